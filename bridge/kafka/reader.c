#include "kafka/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kafka/consumer.h"

#define READ_AHEAD_MAX 1000 /* read on over at most this many unwanted messages, else seek */

struct br_reader {
    rd_kafka_t *rk;
    char *topic;
    struct br_reader_partition *parts;
    size_t count;
    rd_kafka_queue_t **queues; /* per partition, detached from the consumer queue */
    int64_t *position;         /* per partition: the offset its next message will have at
                                  least, or -1 before its first read (then it seeks) */
};

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    enum br_log_level ours = level <= 3 ? BR_LOG_ERROR : level <= 4 ? BR_LOG_WARN
                           : level <= 6 ? BR_LOG_INFO : BR_LOG_DEBUG;
    (void)rk;
    br_log(ours, "reader", "kafka %s: %s", facility, buf);
}

static int set(rd_kafka_conf_t *kconf, const char *key, const char *value, char *errstr,
               size_t errstr_size)
{
    char reason[512];

    if (rd_kafka_conf_set(kconf, key, value, reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "kafka property %s: %s", key, reason);
        return -1;
    }
    return 0;
}

/* The partition ids of topic (only the one asked for when partition >= 0). */
static int list_partitions(struct br_reader *reader, int32_t partition, int timeout_ms,
                           char *errstr, size_t errstr_size)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(reader->rk, reader->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    int rc = -1;

    if (!rkt) {
        snprintf(errstr, errstr_size, "topic %s: %s", reader->topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    err = rd_kafka_metadata(reader->rk, 0, rkt, &md, timeout_ms);
    if (err) {
        snprintf(errstr, errstr_size, "topic %s: metadata: %s", reader->topic,
                 rd_kafka_err2str(err));
        goto done;
    }
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        snprintf(errstr, errstr_size, "topic %s: %s", reader->topic,
                 md->topic_cnt == 1 && md->topics[0].err
                     ? rd_kafka_err2str(md->topics[0].err)
                     : "no such topic");
        goto done;
    }
    reader->parts = calloc((size_t)md->topics[0].partition_cnt, sizeof(*reader->parts));
    if (!reader->parts) {
        abort();
    }
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int32_t id = md->topics[0].partitions[i].id;
        if (partition < 0 || id == partition) {
            reader->parts[reader->count++].id = id;
        }
    }
    if (reader->count == 0) {
        snprintf(errstr, errstr_size, "topic %s has no partition %d (it has %d)", reader->topic,
                 partition, md->topics[0].partition_cnt);
        goto done;
    }
    /* metadata lists partitions in no promised order */
    for (size_t i = 1; i < reader->count; i++) {
        for (size_t j = i; j > 0 && reader->parts[j - 1].id > reader->parts[j].id; j--) {
            struct br_reader_partition swap = reader->parts[j];
            reader->parts[j] = reader->parts[j - 1];
            reader->parts[j - 1] = swap;
        }
    }
    rc = 0;
done:
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return rc;
}

static int read_positions(struct br_reader *reader, int timeout_ms, char *errstr,
                          size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)reader->count);
    rd_kafka_resp_err_t err;
    int rc = -1;

    for (size_t i = 0; i < reader->count; i++) {
        struct br_reader_partition *part = &reader->parts[i];
        err = rd_kafka_query_watermark_offsets(reader->rk, reader->topic, part->id, &part->low,
                                               &part->high, timeout_ms);
        if (err) {
            snprintf(errstr, errstr_size, "topic %s [%d]: watermarks: %s", reader->topic,
                     part->id, rd_kafka_err2str(err));
            goto done;
        }
        rd_kafka_topic_partition_list_add(list, reader->topic, part->id);
    }
    err = rd_kafka_committed(reader->rk, list, timeout_ms);
    if (err) {
        snprintf(errstr, errstr_size, "topic %s: committed offsets: %s", reader->topic,
                 rd_kafka_err2str(err));
        goto done;
    }
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *elem = &list->elems[i];
        for (size_t j = 0; j < reader->count; j++) {
            struct br_reader_partition *part = &reader->parts[j];
            if (part->id != elem->partition) {
                continue;
            }
            part->committed = elem->offset >= 0 ? elem->offset : -1;
            if (elem->metadata && elem->metadata_size > 0) {
                part->metadata = malloc(elem->metadata_size + 1);
                if (!part->metadata) {
                    abort();
                }
                memcpy(part->metadata, elem->metadata, elem->metadata_size);
                part->metadata[elem->metadata_size] = '\0';
            }
        }
    }
    rc = 0;
done:
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/*
 * Assigns every partition (at its end: nothing is fetched before the first seek) and takes
 * each one's queue back from the consumer queue, so that partitions are read one at a time.
 */
static int assign_all(struct br_reader *reader, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)reader->count);
    rd_kafka_resp_err_t err;

    reader->queues = calloc(reader->count, sizeof(*reader->queues));
    reader->position = calloc(reader->count, sizeof(*reader->position));
    if (!reader->queues || !reader->position) {
        abort();
    }
    for (size_t i = 0; i < reader->count; i++) {
        rd_kafka_topic_partition_list_add(list, reader->topic, reader->parts[i].id)->offset =
            reader->parts[i].high;
        reader->position[i] = -1;
    }
    err = rd_kafka_assign(reader->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        snprintf(errstr, errstr_size, "topic %s: assign: %s", reader->topic,
                 rd_kafka_err2str(err));
        return -1;
    }
    for (size_t i = 0; i < reader->count; i++) {
        reader->queues[i] =
            rd_kafka_queue_get_partition(reader->rk, reader->topic, reader->parts[i].id);
        if (!reader->queues[i]) {
            snprintf(errstr, errstr_size, "topic %s [%d]: no partition queue", reader->topic,
                     reader->parts[i].id);
            return -1;
        }
        rd_kafka_queue_forward(reader->queues[i], NULL);
    }
    return 0;
}

struct br_reader *br_reader_create(const struct br_conf *conf, const char *group,
                                   const char *topic, int32_t partition, int timeout_ms,
                                   char *errstr, size_t errstr_size)
{
    struct br_reader *reader = calloc(1, sizeof(*reader));
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];

    if (!reader) {
        abort();
    }
    reader->topic = strdup(topic);
    if (!reader->topic) {
        abort();
    }
    if (br_consumer_conf_set(conf, NULL, kconf, errstr, errstr_size) != 0 ||
        set(kconf, "group.id", group, errstr, errstr_size) != 0 ||
        set(kconf, "client.id", "perscom-bridge-replay", errstr, errstr_size) != 0 ||
        set(kconf, "enable.partition.eof", "true", errstr, errstr_size) != 0 ||
        /* a seek waits for the fetch in flight: do not let idle partitions hold one 500 ms */
        set(kconf, "fetch.wait.max.ms", "10", errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(kconf);
        goto fail;
    }
    rd_kafka_conf_set_log_cb(kconf, log_cb);
    reader->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, reason, sizeof(reason));
    if (!reader->rk) {
        snprintf(errstr, errstr_size, "kafka consumer: %s", reason);
        rd_kafka_conf_destroy(kconf);
        goto fail;
    }
    rd_kafka_poll_set_consumer(reader->rk);
    if (list_partitions(reader, partition, timeout_ms, errstr, errstr_size) != 0 ||
        read_positions(reader, timeout_ms, errstr, errstr_size) != 0 ||
        assign_all(reader, errstr, errstr_size) != 0) {
        goto fail;
    }
    return reader;
fail:
    br_reader_destroy(reader);
    return NULL;
}

void br_reader_destroy(struct br_reader *reader)
{
    if (!reader) {
        return;
    }
    for (size_t i = 0; reader->queues && i < reader->count; i++) {
        if (reader->queues[i]) {
            rd_kafka_queue_destroy(reader->queues[i]);
        }
    }
    free(reader->queues);
    free(reader->position);
    if (reader->rk) {
        rd_kafka_assign(reader->rk, NULL);
        rd_kafka_consumer_close(reader->rk);
        rd_kafka_destroy(reader->rk);
    }
    for (size_t i = 0; i < reader->count; i++) {
        free(reader->parts[i].metadata);
    }
    free(reader->parts);
    free(reader->topic);
    free(reader);
}

size_t br_reader_count(const struct br_reader *reader)
{
    return reader->count;
}

const struct br_reader_partition *br_reader_partition(const struct br_reader *reader,
                                                      size_t index)
{
    return index < reader->count ? &reader->parts[index] : NULL;
}

/* Moves partition index to offset; what its queue held before is dropped by librdkafka. */
static int seek(struct br_reader *reader, size_t index, int64_t offset, int timeout_ms)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_error_t *error;
    rd_kafka_resp_err_t err;

    rd_kafka_topic_partition_list_add(list, reader->topic, reader->parts[index].id)->offset =
        offset;
    error = rd_kafka_seek_partitions(reader->rk, list, timeout_ms);
    err = error ? rd_kafka_error_code(error) : list->elems[0].err;
    rd_kafka_topic_partition_list_destroy(list);
    if (error) {
        rd_kafka_error_destroy(error);
    }
    if (err) {
        br_log_warn("reader", "%s [%d] @%lld: seek: %s", reader->topic,
                    reader->parts[index].id, (long long)offset, rd_kafka_err2str(err));
        return -1;
    }
    reader->position[index] = offset;
    return 0;
}

/* Serves the consumer queue: errors and logs that are not any partition's. */
static void serve(struct br_reader *reader)
{
    rd_kafka_message_t *event = rd_kafka_consumer_poll(reader->rk, 0);

    if (event) {
        if (event->err && event->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            br_log_warn("reader", "%s", rd_kafka_message_errstr(event));
        }
        rd_kafka_message_destroy(event);
    }
}

rd_kafka_message_t *br_reader_read(struct br_reader *reader, size_t index, int64_t offset,
                                   int timeout_ms, bool *end)
{
    *end = false;
    if (index >= reader->count) {
        *end = true;
        return NULL;
    }
    if (reader->position[index] < 0 || offset < reader->position[index] ||
        offset - reader->position[index] > READ_AHEAD_MAX) {
        if (seek(reader, index, offset, timeout_ms) != 0) {
            return NULL;
        }
    }
    for (;;) {
        rd_kafka_message_t *message = rd_kafka_consume_queue(reader->queues[index], timeout_ms);

        serve(reader);
        if (!message) {
            return NULL;
        }
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            int64_t at = message->offset;
            rd_kafka_message_destroy(message);
            if (at <= offset) {
                reader->position[index] = at;
                *end = true;
                return NULL;
            }
            continue;
        }
        if (message->err) {
            bool fatal = message->err == RD_KAFKA_RESP_ERR__FATAL;
            br_log_warn("reader", "%s [%d]: %s", reader->topic, reader->parts[index].id,
                        rd_kafka_message_errstr(message));
            rd_kafka_message_destroy(message);
            if (fatal) {
                return NULL;
            }
            continue;
        }
        reader->position[index] = message->offset + 1;
        if (message->offset < offset) {
            rd_kafka_message_destroy(message); /* read on over it */
            continue;
        }
        return message;
    }
}

int br_reader_commit(struct br_reader *reader, const int64_t *offsets, const char *metadata,
                     char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)reader->count);
    rd_kafka_resp_err_t err;

    for (size_t i = 0; i < reader->count; i++) {
        rd_kafka_topic_partition_t *elem;
        if (offsets[i] < 0) {
            continue;
        }
        elem = rd_kafka_topic_partition_list_add(list, reader->topic, reader->parts[i].id);
        elem->offset = offsets[i];
        if (metadata && *metadata) {
            elem->metadata_size = strlen(metadata);
            elem->metadata = malloc(elem->metadata_size); /* freed with the list */
            if (!elem->metadata) {
                abort();
            }
            memcpy(elem->metadata, metadata, elem->metadata_size);
        }
    }
    err = list->cnt > 0 ? rd_kafka_commit(reader->rk, list, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; !err && i < list->cnt; i++) {
        err = list->elems[i].err;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        snprintf(errstr, errstr_size, "commit to topic %s: %s", reader->topic,
                 rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}
