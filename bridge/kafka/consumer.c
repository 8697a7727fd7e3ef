#include "kafka/consumer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

struct br_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue;
    int wake[2]; /* pipe: librdkafka writes, the loop polls the read end */
    bool wake_known;    /* br_consumer_wake_seen was called: wake_readable is meaningful */
    bool wake_readable; /* the last wait saw wake[0] readable, and it was not read since */
    struct br_consumer_events events;
    bool closed;
    /* With cooperative-sticky, a rebalance goes on after its callbacks (the member rejoins);
     * a commit that races that rejoin fails with ILLEGAL_GENERATION, and librdkafka before
     * 2.10.0 then declares the whole assignment lost (later ones only fail the commit).
     * Periodic commits wait rejoin_quiet_ms after each rebalance callback, whatever the
     * version: a failed commit is a warning and a later retry. */
    int64_t last_rebalance_ms; /* monotonic */
    bool cooperative;
    long rejoin_quiet_ms; /* 2 heartbeats + 1 s: members learn of a rebalance by heartbeat */
    struct pending_commit *commits; /* asynchronous commits not answered yet */
};

/* An asynchronous commit's callback, until librdkafka answers (or the consumer goes). */
struct pending_commit {
    struct br_consumer *consumer;
    br_consumer_commit_fn *done;
    void *opaque;
    struct pending_commit *prev;
    struct pending_commit *next;
};

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    enum br_log_level ours = level <= 3 ? BR_LOG_ERROR : level <= 4 ? BR_LOG_WARN
                           : level <= 6 ? BR_LOG_INFO : BR_LOG_DEBUG;
    (void)rk;
    br_log(ours, "kafka", "%s: %s", facility, buf);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    struct br_consumer *consumer = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;

    consumer->cooperative = cooperative;
    consumer->last_rebalance_ms = br_clock_monotonic_ms();
    rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        br_log_info("consumer", "assigned %d partition(s)", partitions->cnt);
        if (cooperative) {
            error = rd_kafka_incremental_assign(rk, partitions);
        } else {
            result = rd_kafka_assign(rk, partitions);
        }
        if (!error && result == RD_KAFKA_RESP_ERR_NO_ERROR) {
            consumer->events.assigned(consumer->events.opaque, partitions);
        }
    } else {
        bool lost = rd_kafka_assignment_lost(rk) != 0;
        br_log_info("consumer", "revoking %d partition(s)%s", partitions->cnt,
                    lost ? " (lost)" : "");
        consumer->events.revoked(consumer->events.opaque, partitions, lost);
        if (cooperative) {
            error = rd_kafka_incremental_unassign(rk, partitions);
        } else {
            result = rd_kafka_assign(rk, NULL);
        }
    }
    if (error) {
        br_log_error("consumer", "rebalance: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
        br_log_error("consumer", "rebalance: %s", rd_kafka_err2str(result));
    }
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

/*
 * Before librdkafka 2.10.0 (its #4908), a commit that races the rejoin after an incremental
 * revoke fails with ILLEGAL_GENERATION and the member declares its whole assignment lost: with
 * the rejoin deferral below turned off, 5 of 6 cooperative rebalance tests lost an assignment
 * with 2.0.2 and with 2.8.0, none with 2.10.1 (docs/guarantees.md).
 */
#define COOPERATIVE_SAFE_VERSION 0x020a0000

const char *br_consumer_default_strategy(int version)
{
    return version >= COOPERATIVE_SAFE_VERSION ? "cooperative-sticky" : "range";
}

/*
 * A partition whose prefetch is over queued.max.messages.kbytes is not looked at again for a
 * fixed second (librdkafka's #2879); 2.2.0 made that second fetch.queue.backoff.ms. In a burst
 * every partition drains its 256 KiB in under a second and waits, all at once, for the end of
 * that second: 10-13 partition-seconds of stalls in a 13 s run (docs/performance.md, "What
 * limits the bridge here").
 */
#define QUEUE_BACKOFF_VERSION 0x02020000

const char *br_consumer_queue_backoff(int version)
{
    return version >= QUEUE_BACKOFF_VERSION ? "10" : NULL;
}

/* Properties the delivery guarantee depends on: the config file cannot change them. */
static const char *const fixed_props[][2] = {
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
};

int br_consumer_conf_set(const struct br_conf *conf, const char *instance,
                         rd_kafka_conf_t *kconf, char *errstr, size_t errstr_size)
{
    if (set(kconf, "bootstrap.servers", conf->brokers, errstr, errstr_size) != 0 ||
        set(kconf, "group.id", conf->group_id, errstr, errstr_size) != 0 ||
        set(kconf, "auto.offset.reset", "earliest", errstr, errstr_size) != 0 ||
        set(kconf, "partition.assignment.strategy",
            br_consumer_default_strategy(rd_kafka_version()), errstr, errstr_size) != 0 ||
        set(kconf, "client.id", "perscom-bridge", errstr, errstr_size) != 0 ||
        /* prefetch bound per partition (separate partition queues make it per partition);
         * librdkafka keeps ~1 KiB per message besides its bytes, so 256 KiB of 179-byte events
         * is ~1.7 MiB (docs/performance.md, "Memory") */
        set(kconf, "queued.max.messages.kbytes", "256", errstr, errstr_size) != 0 ||
        /* one fetch per partition is decompressed whole: with lz4 a 1 MiB fetch of small
         * change events became ~13 MiB per partition (tests/integration/test_faults.py) */
        set(kconf, "max.partition.fetch.bytes", "131072", errstr, errstr_size) != 0 ||
        /* a fetch response is one buffer, kept until its last message is gone: with the
         * default (50 MB) a burst's responses over 8 partitions reached 8 MiB each (librdkafka
         * wants it at least message.max.bytes, 1000000 by default) */
        set(kconf, "fetch.max.bytes", "1048576", errstr, errstr_size) != 0 ||
        /* librdkafka has one fetch per broker outstanding; a partition that becomes fetchable
         * meanwhile (at assignment, when its prefetch drains) joins the next one, and the
         * broker holds a fetch of idle partitions up to this long (default 500 ms: ~350 ms
         * stalls after an assignment, docs/performance.md) */
        set(kconf, "fetch.wait.max.ms", "100", errstr, errstr_size) != 0 ||
        /* Debezium creates a table's topic at its first change; a pattern subscription (or a
         * name not created yet) sees it only at the next metadata refresh: 5 s, not 300 s */
        set(kconf, "topic.metadata.refresh.interval.ms", "5000", errstr, errstr_size) != 0) {
        return -1;
    }
    const char *backoff = br_consumer_queue_backoff(rd_kafka_version());
    if (backoff && set(kconf, "fetch.queue.backoff.ms", backoff, errstr, errstr_size) != 0) {
        return -1;
    }
    if (instance && *instance && set(kconf, "group.instance.id", instance, errstr,
                                     errstr_size) != 0) {
        return -1;
    }
    for (size_t i = 0; i < conf->kafka_prop_count; i++) {
        const struct br_kv *prop = &conf->kafka_props[i];
        for (size_t j = 0; j < sizeof(fixed_props) / sizeof(fixed_props[0]); j++) {
            if (strcmp(prop->key, fixed_props[j][0]) == 0) {
                snprintf(errstr, errstr_size,
                         "kafka property %s cannot be set: the bridge manages offsets itself",
                         prop->key);
                return -1;
            }
        }
        if (set(kconf, prop->key, prop->value, errstr, errstr_size) != 0) {
            return -1;
        }
    }
    for (size_t j = 0; j < sizeof(fixed_props) / sizeof(fixed_props[0]); j++) {
        if (set(kconf, fixed_props[j][0], fixed_props[j][1], errstr, errstr_size) != 0) {
            return -1;
        }
    }
    return 0;
}

static int build_conf(const struct br_conf *conf, struct br_consumer *consumer,
                      rd_kafka_conf_t *kconf, char *errstr, size_t errstr_size)
{
    if (br_consumer_conf_set(conf, getenv("POD_NAME"), kconf, errstr, errstr_size) != 0) {
        return -1;
    }
    char heartbeat[32];
    size_t heartbeat_size = sizeof(heartbeat);
    long heartbeat_ms = 3000;
    if (rd_kafka_conf_get(kconf, "heartbeat.interval.ms", heartbeat, &heartbeat_size) ==
        RD_KAFKA_CONF_OK) {
        heartbeat_ms = strtol(heartbeat, NULL, 10);
    }
    consumer->rejoin_quiet_ms = 2 * heartbeat_ms + 1000;
    rd_kafka_conf_set_log_cb(kconf, log_cb);
    rd_kafka_conf_set_rebalance_cb(kconf, rebalance_cb);
    rd_kafka_conf_set_opaque(kconf, consumer);
    return 0;
}

static int subscribe(const struct br_conf *conf, rd_kafka_t *rk, char *errstr,
                     size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(
        (int)conf->topic_count);
    rd_kafka_resp_err_t err;

    for (size_t i = 0; i < conf->topic_count; i++) {
        const struct br_conf_topic *topic = &conf->topics[i];
        if (topic->name) {
            rd_kafka_topic_partition_list_add(topics, topic->name, RD_KAFKA_PARTITION_UA);
        } else {
            /* librdkafka treats a leading '^' as a regex subscription */
            size_t len = strlen(topic->pattern) + 8;
            char *regex = malloc(len);
            if (!regex) {
                abort();
            }
            snprintf(regex, len, "^(%s)$", topic->pattern);
            rd_kafka_topic_partition_list_add(topics, regex, RD_KAFKA_PARTITION_UA);
            free(regex);
        }
    }
    err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static struct br_consumer *create(const struct br_conf *conf,
                                  const struct br_consumer_events *events, bool subscribe_now,
                                  char *errstr, size_t errstr_size)
{
    struct br_consumer *consumer = calloc(1, sizeof(*consumer));
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];

    if (!consumer) {
        abort();
    }
    consumer->events = *events;
    consumer->wake[0] = -1;
    consumer->wake[1] = -1;
    if (build_conf(conf, consumer, kconf, errstr, errstr_size) != 0) {
        goto fail;
    }
    consumer->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, reason, sizeof(reason));
    if (!consumer->rk) {
        snprintf(errstr, errstr_size, "kafka consumer: %s", reason);
        goto fail;
    }
    kconf = NULL; /* owned by rk now */
    rd_kafka_poll_set_consumer(consumer->rk);
    consumer->queue = rd_kafka_queue_get_consumer(consumer->rk);
    if (pipe2(consumer->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
        goto fail;
    }
    rd_kafka_queue_io_event_enable(consumer->queue, consumer->wake[1], "w", 1);
    if (subscribe_now && subscribe(conf, consumer->rk, errstr, errstr_size) != 0) {
        goto fail;
    }
    if (br_consumer_property(consumer, "partition.assignment.strategy", reason,
                             sizeof(reason)) == 0) {
        br_log_info("consumer", "librdkafka %s: partition.assignment.strategy = %s (default %s)",
                    rd_kafka_version_str(), reason,
                    br_consumer_default_strategy(rd_kafka_version()));
    }
    if (br_consumer_property(consumer, "fetch.queue.backoff.ms", reason, sizeof(reason)) != 0) {
        br_log_info("consumer", "librdkafka %s has no fetch.queue.backoff.ms (2.2.0 and later "
                    "have): a partition whose prefetch is full waits a whole second for its "
                    "next fetch, which stalls bursts", rd_kafka_version_str());
    }
    if (br_consumer_property(consumer, "topic.metadata.refresh.interval.ms", reason,
                             sizeof(reason)) == 0) {
        br_log_info("consumer", "new topics are found within topic.metadata.refresh.interval.ms "
                    "= %s", reason);
    }
    return consumer;

fail:
    if (kconf) {
        rd_kafka_conf_destroy(kconf);
    }
    consumer->closed = true;
    br_consumer_destroy(consumer);
    return NULL;
}

struct br_consumer *br_consumer_create(const struct br_conf *conf,
                                       const struct br_consumer_events *events, char *errstr,
                                       size_t errstr_size)
{
    return create(conf, events, true, errstr, errstr_size);
}

struct br_consumer *br_consumer_create_unsubscribed(const struct br_conf *conf,
                                                    const struct br_consumer_events *events,
                                                    char *errstr, size_t errstr_size)
{
    return create(conf, events, false, errstr, errstr_size);
}

int br_consumer_subscribe(struct br_consumer *consumer, const struct br_conf *conf, char *errstr,
                          size_t errstr_size)
{
    return subscribe(conf, consumer->rk, errstr, errstr_size);
}

int br_consumer_property(const struct br_consumer *consumer, const char *key, char *out,
                         size_t out_size)
{
    size_t size = out_size;

    if (!consumer->rk ||
        rd_kafka_conf_get(rd_kafka_conf(consumer->rk), key, out, &size) != RD_KAFKA_CONF_OK) {
        return -1;
    }
    return 0;
}

void br_consumer_close(struct br_consumer *consumer)
{
    rd_kafka_resp_err_t err;

    if (consumer->closed) {
        return;
    }
    consumer->closed = true;
    err = rd_kafka_consumer_close(consumer->rk);
    if (err) {
        br_log_warn("consumer", "close: %s", rd_kafka_err2str(err));
    }
}

void br_consumer_destroy(struct br_consumer *consumer)
{
    if (!consumer) {
        return;
    }
    if (consumer->rk && !consumer->closed) {
        br_consumer_close(consumer);
    }
    if (consumer->queue) {
        rd_kafka_queue_io_event_enable(consumer->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(consumer->queue);
    }
    if (consumer->rk) {
        rd_kafka_destroy(consumer->rk);
    }
    /* commits librdkafka never answered (it was closing): their callbacks are not called */
    while (consumer->commits) {
        struct pending_commit *pending = consumer->commits;
        consumer->commits = pending->next;
        free(pending);
    }
    for (int i = 0; i < 2; i++) {
        if (consumer->wake[i] >= 0) {
            close(consumer->wake[i]);
        }
    }
    free(consumer);
}

int br_consumer_wake_fd(const struct br_consumer *consumer)
{
    return consumer->wake[0];
}

void br_consumer_wake_seen(struct br_consumer *consumer, bool readable)
{
    consumer->wake_known = true;
    consumer->wake_readable = readable;
}

void br_consumer_clear_wake(struct br_consumer *consumer)
{
    char sink[64];
    ssize_t got;

    if (consumer->wake_known && !consumer->wake_readable) {
        return; /* empty at the last wait, and the loop has not waited since */
    }
    consumer->wake_readable = false;
    /* one byte per wake-up: a short read emptied it, no second read to see EAGAIN */
    do {
        got = read(consumer->wake[0], sink, sizeof(sink));
    } while (got == (ssize_t)sizeof(sink));
}

rd_kafka_message_t *br_consumer_poll(struct br_consumer *consumer, bool *fatal)
{
    rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer->rk, 0);

    if (!message || !message->err) {
        return message;
    }
    if (message->err == RD_KAFKA_RESP_ERR__FATAL) {
        char reason[512];
        rd_kafka_fatal_error(consumer->rk, reason, sizeof(reason));
        br_log_error("consumer", "fatal: %s", reason);
        *fatal = true;
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        br_log_warn("consumer", "%s%s%s", message->rkt ? rd_kafka_topic_name(message->rkt) : "",
                    message->rkt ? ": " : "", rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
    return NULL;
}

rd_kafka_queue_t *br_consumer_partition_queue(struct br_consumer *consumer, const char *topic,
                                              int32_t partition)
{
    rd_kafka_queue_t *queue = rd_kafka_queue_get_partition(consumer->rk, topic, partition);

    if (!queue) {
        return NULL;
    }
    /* assign() forwarded the partition to the consumer queue; take it back */
    rd_kafka_queue_forward(queue, NULL);
    rd_kafka_queue_io_event_enable(queue, consumer->wake[1], "w", 1);
    return queue;
}

void br_consumer_queue_release(rd_kafka_queue_t *queue)
{
    if (!queue) {
        return;
    }
    rd_kafka_queue_io_event_enable(queue, -1, NULL, 0);
    rd_kafka_queue_destroy(queue);
}

size_t br_consumer_read(rd_kafka_queue_t *queue, rd_kafka_message_t **messages, size_t max)
{
    ssize_t got = rd_kafka_consume_batch_queue(queue, 0, messages, max);
    size_t kept = 0;

    for (ssize_t i = 0; i < got; i++) {
        rd_kafka_message_t *message = messages[i];
        if (!message->err) {
            messages[kept++] = message;
            continue;
        }
        if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            br_log_warn("consumer", "%s [%d]: %s",
                        message->rkt ? rd_kafka_topic_name(message->rkt) : "?",
                        message->partition, rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
    }
    return kept;
}

static bool rejoin_may_be_running(const struct br_consumer *consumer)
{
    if (!consumer->cooperative) {
        return false;
    }
    return br_clock_monotonic_ms() - consumer->last_rebalance_ms < consumer->rejoin_quiet_ms;
}

int br_consumer_high_watermark(const struct br_consumer *consumer, const char *topic,
                               int32_t partition, int64_t *high)
{
    int64_t low = RD_KAFKA_OFFSET_INVALID;
    int64_t hi = RD_KAFKA_OFFSET_INVALID;

    if (rd_kafka_get_watermark_offsets(consumer->rk, topic, partition, &low, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0) {
        return -1;
    }
    *high = hi;
    return 0;
}

static void commit_answered(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct pending_commit *pending = opaque;
    struct br_consumer *consumer = pending->consumer;

    (void)rk;
    if (pending->prev) {
        pending->prev->next = pending->next;
    } else {
        consumer->commits = pending->next;
    }
    if (pending->next) {
        pending->next->prev = pending->prev;
    }
    pending->done(pending->opaque, err, offsets);
    free(pending);
}

static void sync_answered(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct pending_commit *call = opaque;

    (void)rk;
    call->consumer = NULL; /* answered */
    call->done(call->opaque, err, offsets);
}

int br_consumer_commit(struct br_consumer *consumer, const rd_kafka_topic_partition_list_t *offsets,
                       bool sync, br_consumer_commit_fn *done, void *opaque)
{
    rd_kafka_resp_err_t err;

    if (!sync && rejoin_may_be_running(consumer)) {
        return -1; /* a later commit takes it */
    }
    if (sync) {
        struct pending_commit call = {consumer, done, opaque, NULL, NULL};

        err = rd_kafka_commit_queue(consumer->rk, offsets, NULL, sync_answered, &call);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            br_log_warn("consumer", "commit: %s", rd_kafka_err2str(err));
        }
        return call.consumer ? -1 : 0;
    }
    struct pending_commit *pending = calloc(1, sizeof(*pending));
    if (!pending) {
        abort();
    }
    pending->consumer = consumer;
    pending->done = done;
    pending->opaque = opaque;
    err = rd_kafka_commit_queue(consumer->rk, offsets, consumer->queue, commit_answered,
                                pending);
    if (err) {
        br_log_warn("consumer", "commit: %s", rd_kafka_err2str(err));
        free(pending);
        return -1;
    }
    pending->next = consumer->commits;
    if (pending->next) {
        pending->next->prev = pending;
    }
    consumer->commits = pending;
    return 0;
}

int br_consumer_committed(struct br_consumer *consumer, rd_kafka_topic_partition_list_t *partitions,
                          int timeout_ms, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer->rk, partitions, timeout_ms);

    if (err) {
        snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}
