/* The webhooks topics' reader (see hookfeed.h). */
#include "kafka/hookfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/tablehooks.h"
#include "core/log.h"
#include "kafka/consumer.h"
#include "kafka/topicwatch.h"

struct feed_partition {
    char *topic; /* owned */
    int32_t id;
    bool initial; /* assigned at creation: counts for catching up */
    bool at_end;  /* has reached its end once */
};

struct br_hookfeed {
    const struct br_conf *conf;
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    int wake[2];
    struct br_topicwatch *watch; /* owned: the discovery thread, or NULL */
    struct feed_partition *parts;
    size_t count;
    size_t cap;
    size_t topics;
    size_t initial_left; /* initial partitions not at their end yet */
};

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    enum br_log_level ours = level <= 3 ? BR_LOG_ERROR : level <= 4 ? BR_LOG_WARN
                           : level <= 6 ? BR_LOG_INFO : BR_LOG_DEBUG;
    (void)rk;
    br_log(ours, "hookfeed", "%s: %s", facility, buf);
}

static int set(rd_kafka_conf_t *kconf, const char *key, const char *value, char *errstr,
               size_t errstr_size)
{
    char reason[256];

    if (rd_kafka_conf_set(kconf, key, value, reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "kafka property %s: %s", key, reason);
        return -1;
    }
    return 0;
}

static struct feed_partition *find(struct br_hookfeed *feed, const char *topic, int32_t id)
{
    for (size_t i = 0; i < feed->count; i++) {
        if (feed->parts[i].id == id && strcmp(feed->parts[i].topic, topic) == 0) {
            return &feed->parts[i];
        }
    }
    return NULL;
}

static void add(struct br_hookfeed *feed, const char *topic, int32_t id, bool initial)
{
    struct feed_partition *part;

    if (feed->count == feed->cap) {
        size_t cap = feed->cap ? feed->cap * 2 : 16;
        struct feed_partition *grown = realloc(feed->parts, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        feed->parts = grown;
        feed->cap = cap;
    }
    part = &feed->parts[feed->count++];
    part->topic = strdup(topic);
    if (!part->topic) {
        abort();
    }
    part->id = id;
    part->initial = initial;
    part->at_end = false;
    if (initial) {
        feed->initial_left++;
    }
}

/* The discovery's filter: a topic table_hooks.topics matches (regexec is thread-safe). */
static bool is_webhooks_topic(void *opaque, const char *topic)
{
    const struct br_conf *conf = opaque;

    return br_tablehooks_is_webhooks_topic(&conf->table_hooks, topic);
}

/* Assigns the partitions of list not seen before from their beginning. */
static int assign_new(struct br_hookfeed *feed, const struct br_topicwatch_list *list,
                      bool initial, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new(8);
    int added = 0;

    for (size_t i = 0; i < list->count; i++) {
        const struct br_topicwatch_entry *entry = &list->entries[i];

        if (find(feed, entry->topic, entry->partition)) {
            continue;
        }
        add(feed, entry->topic, entry->partition, initial);
        rd_kafka_topic_partition_list_add(assign, entry->topic, entry->partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
        added++;
    }
    feed->topics = list->topics > feed->topics ? list->topics : feed->topics;
    if (added > 0) {
        /* local: an operation for librdkafka's own thread, no request to the brokers */
        rd_kafka_error_t *error = rd_kafka_incremental_assign(feed->rk, assign);
        if (error) {
            snprintf(errstr, errstr_size, "assigning the webhooks topics: %s",
                     rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            rd_kafka_topic_partition_list_destroy(assign);
            return -1;
        }
    }
    rd_kafka_topic_partition_list_destroy(assign);
    return added;
}

/* Lists the webhooks topics (blocking); assigns partitions not seen before. */
static int discover(struct br_hookfeed *feed, bool initial, int timeout_ms, char *errstr,
                    size_t errstr_size)
{
    struct br_topicwatch_list *list = br_topicwatch_list(feed->rk, is_webhooks_topic,
                                                         (void *)feed->conf, timeout_ms,
                                                         errstr, errstr_size);
    int added;

    if (!list) {
        return -1;
    }
    added = assign_new(feed, list, initial, errstr, errstr_size);
    br_topicwatch_list_destroy(list);
    return added;
}

struct br_hookfeed *br_hookfeed_create(const struct br_conf *conf, int timeout_ms, char *errstr,
                                       size_t errstr_size)
{
    struct br_hookfeed *feed = calloc(1, sizeof(*feed));
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char group[512];
    char reason[512];

    if (!feed) {
        abort();
    }
    feed->conf = conf;
    feed->wake[0] = -1;
    feed->wake[1] = -1;
    /* a group.id librdkafka wants; it is never joined nor committed to */
    snprintf(group, sizeof(group), "%s.table-hooks", conf->group_id);
    if (br_consumer_conf_set(conf, NULL, kconf, errstr, errstr_size) != 0 ||
        set(kconf, "group.id", group, errstr, errstr_size) != 0 ||
        set(kconf, "client.id", "perscom-bridge-table-hooks", errstr, errstr_size) != 0 ||
        set(kconf, "enable.partition.eof", "true", errstr, errstr_size) != 0 ||
        set(kconf, "fetch.wait.max.ms", "100", errstr, errstr_size) != 0) {
        rd_kafka_conf_destroy(kconf);
        goto fail;
    }
    rd_kafka_conf_set_log_cb(kconf, log_cb);
    feed->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, reason, sizeof(reason));
    if (!feed->rk) {
        snprintf(errstr, errstr_size, "kafka consumer (table hooks): %s", reason);
        rd_kafka_conf_destroy(kconf);
        goto fail;
    }
    rd_kafka_poll_set_consumer(feed->rk);
    feed->queue = rd_kafka_queue_get_consumer(feed->rk);
    if (pipe2(feed->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
        goto fail;
    }
    rd_kafka_queue_io_event_enable(feed->queue, feed->wake[1], "w", 1);
    if (discover(feed, true, timeout_ms, errstr, errstr_size) < 0) {
        goto fail;
    }
    return feed;

fail:
    br_hookfeed_destroy(feed);
    return NULL;
}

void br_hookfeed_destroy(struct br_hookfeed *feed)
{
    if (!feed) {
        return;
    }
    br_topicwatch_destroy(feed->watch); /* joined before the handle and the pipe go */
    feed->watch = NULL;
    if (feed->queue) {
        rd_kafka_queue_io_event_enable(feed->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(feed->queue);
    }
    if (feed->rk) {
        rd_kafka_consumer_close(feed->rk);
        rd_kafka_destroy(feed->rk);
    }
    for (int i = 0; i < 2; i++) {
        if (feed->wake[i] >= 0) {
            close(feed->wake[i]);
        }
    }
    for (size_t i = 0; i < feed->count; i++) {
        free(feed->parts[i].topic);
    }
    free(feed->parts);
    free(feed);
}

int br_hookfeed_refresh(struct br_hookfeed *feed, int timeout_ms, char *errstr,
                        size_t errstr_size)
{
    return discover(feed, false, timeout_ms, errstr, errstr_size);
}

int br_hookfeed_discover(struct br_hookfeed *feed, int interval_ms, int timeout_ms, char *errstr,
                         size_t errstr_size)
{
    if (feed->watch) {
        snprintf(errstr, errstr_size, "the webhooks topics' discovery already runs");
        return -1;
    }
    feed->watch = br_topicwatch_create(feed->rk, is_webhooks_topic, (void *)feed->conf,
                                       interval_ms, timeout_ms, feed->wake[1], "hookfeed",
                                       errstr, errstr_size);
    return feed->watch ? 0 : -1;
}

/* Empties the wake descriptor; what it announced is looked at after (no wake-up is lost). */
static void clear_wake(struct br_hookfeed *feed)
{
    char sink[64];

    while (read(feed->wake[0], sink, sizeof(sink)) > 0) {
    }
}

int br_hookfeed_take_found(struct br_hookfeed *feed, char *errstr, size_t errstr_size)
{
    struct br_topicwatch_list *list;
    int added;

    /* cleared first: a listing handed over from here on wakes the descriptor again */
    clear_wake(feed);
    list = feed->watch ? br_topicwatch_take(feed->watch) : NULL;
    if (!list) {
        return 0;
    }
    added = assign_new(feed, list, false, errstr, errstr_size);
    br_topicwatch_list_destroy(list);
    return added;
}

unsigned long br_hookfeed_discoveries(struct br_hookfeed *feed)
{
    return feed->watch ? br_topicwatch_listings(feed->watch) : 0;
}

rd_kafka_message_t *br_hookfeed_poll(struct br_hookfeed *feed)
{
    if (!feed->watch) {
        /* with the discovery thread, take_found clears it: a listing's wake-up cleared here,
         * after take_found looked, would wait for some other wake-up */
        clear_wake(feed);
    }
    for (;;) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(feed->rk, 0);
        struct feed_partition *part;

        if (!message) {
            return NULL;
        }
        if (!message->err) {
            return message;
        }
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            part = find(feed, rd_kafka_topic_name(message->rkt), message->partition);
            if (part && !part->at_end) {
                part->at_end = true;
                if (part->initial && feed->initial_left > 0) {
                    feed->initial_left--;
                }
            }
        } else {
            br_log_warn("hookfeed", "%s", rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
    }
}

bool br_hookfeed_caught_up(const struct br_hookfeed *feed)
{
    return feed->initial_left == 0;
}

size_t br_hookfeed_partitions(const struct br_hookfeed *feed)
{
    return feed->count;
}

size_t br_hookfeed_topics(const struct br_hookfeed *feed)
{
    return feed->topics;
}

int br_hookfeed_wake_fd(const struct br_hookfeed *feed)
{
    return feed->wake[0];
}
