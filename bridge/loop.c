#include "loop.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "consumer.h"
#include "decode.h"
#include "lanes.h"
#include "log.h"
#include "message.h"
#include "registry.h"
#include "retry.h"
#include "sender.h"

#define DRAIN_BUDGET 512          /* events and stray messages taken from the consumer queue */
#define READ_BATCH 256            /* messages read from one partition queue per turn */
#define HELD_RETRY_MS 2000        /* wait before decoding a held message again */
#define IDLE_WAIT_MS 1000

struct br_loop {
    const struct br_conf *conf;
    struct br_registry *registry;
    struct br_decoder *decoder;
    struct br_sender *sender;
    struct br_consumer *consumer;
    int stop_fd;

    struct br_partition *partitions; /* assigned partitions */
    struct br_partition *last_hit;   /* lookup cache */
    struct br_lane *ready_head;      /* lanes whose head may start now */
    struct br_lane *ready_tail;
    struct br_lane **backoff;        /* lanes waiting for their retry time */
    size_t backoff_count;
    size_t backoff_cap;

    bool stopping;
    bool fatal;
    int64_t stop_deadline_ms;
    int64_t next_commit_ms;
    bool uncommitted;                /* offsets stored since the last commit */
    uint64_t rng;
    struct br_loop_stats stats;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t next_random(struct br_loop *loop)
{
    /* xorshift64*: jitter only, not security */
    loop->rng ^= loop->rng >> 12;
    loop->rng ^= loop->rng << 25;
    loop->rng ^= loop->rng >> 27;
    return loop->rng * 2685821657736338717ULL;
}

/* ---- lane scheduling ---- */

static void ready_push(struct br_loop *loop, struct br_lane *lane)
{
    if (lane->queued || lane->in_flight || !lane->head) {
        return;
    }
    lane->queued = true;
    lane->ready_next = NULL;
    if (loop->ready_tail) {
        loop->ready_tail->ready_next = lane;
    } else {
        loop->ready_head = lane;
    }
    loop->ready_tail = lane;
}

static struct br_lane *ready_pop(struct br_loop *loop)
{
    struct br_lane *lane = loop->ready_head;

    if (lane) {
        loop->ready_head = lane->ready_next;
        if (!loop->ready_head) {
            loop->ready_tail = NULL;
        }
        lane->queued = false;
        lane->ready_next = NULL;
    }
    return lane;
}

static void backoff_push(struct br_loop *loop, struct br_lane *lane)
{
    if (loop->backoff_count == loop->backoff_cap) {
        size_t cap = loop->backoff_cap ? loop->backoff_cap * 2 : 16;
        struct br_lane **grown = realloc(loop->backoff, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        loop->backoff = grown;
        loop->backoff_cap = cap;
    }
    loop->backoff[loop->backoff_count++] = lane;
}

/* Moves lanes whose retry time has come to the ready queue; returns ms to the next one. */
static int64_t backoff_fire(struct br_loop *loop, int64_t now)
{
    int64_t next = INT64_MAX;
    size_t kept = 0;

    for (size_t i = 0; i < loop->backoff_count; i++) {
        struct br_lane *lane = loop->backoff[i];
        if (lane->due_ms <= now) {
            ready_push(loop, lane);
        } else {
            loop->backoff[kept++] = lane;
            if (lane->due_ms - now < next) {
                next = lane->due_ms - now;
            }
        }
    }
    loop->backoff_count = kept;
    return next;
}

/* Forgets every scheduling reference to partition's lanes (before it is destroyed). */
static void unschedule_partition(struct br_loop *loop, struct br_partition *partition)
{
    struct br_lane *keep_head = NULL;
    struct br_lane *keep_tail = NULL;
    struct br_lane *lane;
    size_t kept = 0;

    while ((lane = ready_pop(loop)) != NULL) {
        if (lane->partition == partition) {
            continue;
        }
        lane->ready_next = NULL;
        if (keep_tail) {
            keep_tail->ready_next = lane;
        } else {
            keep_head = lane;
        }
        keep_tail = lane;
        lane->queued = true;
    }
    loop->ready_head = keep_head;
    loop->ready_tail = keep_tail;
    for (size_t i = 0; i < loop->backoff_count; i++) {
        if (loop->backoff[i]->partition != partition) {
            loop->backoff[kept++] = loop->backoff[i];
        }
    }
    loop->backoff_count = kept;
    for (size_t i = 0; i < partition->lane_count; i++) {
        if (partition->lanes[i].head) {
            br_sender_cancel(loop->sender, partition->lanes[i].head);
        }
    }
}

/* ---- partitions ---- */

static struct br_partition *partition_find(struct br_loop *loop, const char *topic, int32_t id)
{
    struct br_partition *partition = loop->last_hit;

    if (partition && partition->id == id && strcmp(partition->topic, topic) == 0) {
        return partition;
    }
    for (partition = loop->partitions; partition; partition = partition->next) {
        if (partition->id == id && strcmp(partition->topic, topic) == 0) {
            loop->last_hit = partition;
            return partition;
        }
    }
    return NULL;
}

/* Hands the done prefix of partition to the consumer's offset store. */
static void partition_store(struct br_loop *loop, struct br_partition *partition)
{
    int64_t committable = br_offsets_committable(&partition->offsets);

    if (committable > partition->stored &&
        br_consumer_store(loop->consumer, partition->topic, partition->id, committable) == 0) {
        partition->stored = committable;
        loop->uncommitted = true;
    }
}

/* Unlinks partition from the loop and frees it, with its queue and whatever it still holds. */
static void partition_drop(struct br_loop *loop, struct br_partition *partition)
{
    struct br_partition **link;

    unschedule_partition(loop, partition);
    for (link = &loop->partitions; *link; link = &(*link)->next) {
        if (*link == partition) {
            *link = partition->next;
            break;
        }
    }
    if (loop->last_hit == partition) {
        loop->last_hit = NULL;
    }
    br_consumer_queue_release(partition->queue);
    partition->queue = NULL;
    br_partition_destroy(partition);
}

static void on_assigned(void *opaque, const rd_kafka_topic_partition_list_t *list)
{
    struct br_loop *loop = opaque;

    for (int i = 0; i < list->cnt; i++) {
        const char *topic = list->elems[i].topic;
        int32_t id = list->elems[i].partition;
        struct br_partition *partition;

        if (partition_find(loop, topic, id)) {
            continue;
        }
        partition = br_partition_create(topic, id, br_conf_topic_for(loop->conf, topic),
                                        loop->conf->hook_count);
        partition->queue = br_consumer_partition_queue(loop->consumer, topic, id);
        partition->next = loop->partitions;
        loop->partitions = partition;
        br_log_debug("loop", "assigned %s [%d]", topic, id);
    }
}

static void on_revoked(void *opaque, const rd_kafka_topic_partition_list_t *list, bool lost)
{
    struct br_loop *loop = opaque;

    for (int i = 0; i < list->cnt; i++) {
        struct br_partition *partition =
            partition_find(loop, list->elems[i].topic, list->elems[i].partition);

        if (!partition) {
            continue;
        }
        unschedule_partition(loop, partition);
        if (!lost) {
            partition_store(loop, partition);
        }
        br_log_info("loop", "revoked %s [%d]: done up to offset %lld, %zu undelivered message(s) "
                    "left to the next owner", partition->topic, partition->id,
                    (long long)br_offsets_committable(&partition->offsets),
                    br_partition_window_use(partition));
        partition_drop(loop, partition);
    }
}

/* ---- messages ---- */

/* Copies a Kafka header's value into buf (NUL-terminated); NULL when absent or too long. */
static const char *header_value(rd_kafka_message_t *message, const char *name, char *buf,
                                size_t buf_size)
{
    rd_kafka_headers_t *headers = NULL;
    const void *value = NULL;
    size_t size = 0;

    if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        !value || size >= buf_size) {
        return NULL;
    }
    memcpy(buf, value, size);
    buf[size] = '\0';
    return buf;
}

/* Turns message into deliveries on partition's lanes. false: hold it and retry later. */
static bool accept_message(struct br_loop *loop, struct br_partition *partition,
                           rd_kafka_message_t *message)
{
    char request_id[128];
    char trace_id[128];
    char errstr[512];
    struct br_prepared prepared;
    struct br_message_in in = {
        .topic = partition->topic,
        .partition = partition->id,
        .offset = message->offset,
        .value = message->payload,
        .len = message->len,
        .request_id = header_value(message, "request_id", request_id, sizeof(request_id)),
        .trace_id = header_value(message, "trace_id", trace_id, sizeof(trace_id)),
    };
    enum br_prepare_status status;
    uint64_t seq;

    errstr[0] = '\0';
    status = br_message_prepare(loop->conf, loop->decoder, &in, NULL, &prepared, errstr,
                                sizeof(errstr));
    switch (status) {
    case BR_PREPARE_RETRY:
        br_log_warn("loop", "%s [%d] @%lld: %s; holding the partition and retrying",
                    partition->topic, partition->id, (long long)message->offset, errstr);
        return false;
    case BR_PREPARE_BAD:
        /* Until the dead-letter topic exists, an undeliverable message is logged, counted and
         * passed over: it can never become a request. */
        loop->stats.undeliverable++;
        br_log_error("loop", "%s [%d] @%lld: undeliverable: %s", partition->topic,
                     partition->id, (long long)message->offset, errstr);
        br_offsets_add(&partition->offsets, message->offset, 0);
        return true;
    case BR_PREPARE_SKIP:
        loop->stats.skipped++;
        br_offsets_add(&partition->offsets, message->offset, 0);
        return true;
    case BR_PREPARE_OK:
        break;
    }
    seq = br_offsets_add(&partition->offsets, message->offset, (uint32_t)prepared.count);
    for (size_t i = 0; i < prepared.count; i++) {
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        size_t hook_index = (size_t)(prepared.requests[i].hook - loop->conf->hooks);
        struct br_lane *lane = &partition->lanes[hook_index];
        if (!delivery) {
            abort();
        }
        delivery->seq = seq;
        delivery->offset = message->offset;
        delivery->request = prepared.requests[i]; /* ownership moves to the delivery */
        if (br_lane_push(lane, delivery)) {
            ready_push(loop, lane);
        }
    }
    free(prepared.requests); /* the requests themselves now belong to deliveries */
    return true;
}

static void take_message(struct br_loop *loop, rd_kafka_message_t *message)
{
    const char *topic = rd_kafka_topic_name(message->rkt);
    struct br_partition *partition = partition_find(loop, topic, message->partition);

    if (!partition || message->offset < partition->next_offset) {
        /* not ours (any more), or seen already: the owner of the partition gets it */
        rd_kafka_message_destroy(message);
        return;
    }
    loop->stats.messages++;
    partition->next_offset = message->offset + 1;
    if (partition->held_count > 0 || !accept_message(loop, partition, message)) {
        if (partition->held_count == 0) {
            partition->held_due_ms = now_ms() + HELD_RETRY_MS;
        }
        br_partition_hold(partition, message);
    } else {
        rd_kafka_message_destroy(message);
    }
}

/*
 * Serves the consumer queue (rebalances, errors, any message not in a partition queue), then
 * reads each partition's queue while its window has room and nothing is held. Returns true when
 * more may be waiting (a budget or batch ran out).
 */
static bool drain_consumer(struct br_loop *loop)
{
    rd_kafka_message_t *batch[READ_BATCH];
    bool more = false;
    int i;

    br_consumer_clear_wake(loop->consumer);
    for (i = 0; i < DRAIN_BUDGET; i++) {
        rd_kafka_message_t *message = br_consumer_poll(loop->consumer, &loop->fatal);
        if (!message) {
            break;
        }
        take_message(loop, message);
    }
    more = i == DRAIN_BUDGET;
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        size_t use = br_partition_window_use(partition);
        size_t room;
        size_t got;

        if (!partition->queue || partition->held_count > 0 ||
            use >= (size_t)loop->conf->partition_window) {
            continue;
        }
        room = (size_t)loop->conf->partition_window - use;
        if (room > READ_BATCH) {
            room = READ_BATCH;
        }
        got = br_consumer_read(partition->queue, batch, room);
        for (size_t j = 0; j < got; j++) {
            take_message(loop, batch[j]);
        }
        if (got == room) {
            more = true;
        }
    }
    return more;
}

/* Decodes held messages again once their time has come; returns ms to the next try. */
static int64_t retry_held(struct br_loop *loop, int64_t now)
{
    int64_t next = INT64_MAX;

    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        if (partition->held_count == 0) {
            continue;
        }
        if (partition->held_due_ms > now) {
            if (partition->held_due_ms - now < next) {
                next = partition->held_due_ms - now;
            }
            continue;
        }
        while (partition->held_head) {
            if (!accept_message(loop, partition, partition->held_head->message)) {
                partition->held_due_ms = now + HELD_RETRY_MS;
                next = next < HELD_RETRY_MS ? next : HELD_RETRY_MS;
                break;
            }
            rd_kafka_message_destroy(br_partition_unhold(partition));
        }
    }
    return next;
}

/* ---- deliveries ---- */

static void start_ready(struct br_loop *loop)
{
    struct br_lane *lane;

    while (br_sender_in_flight(loop->sender) < (size_t)loop->conf->max_in_flight &&
           (lane = ready_pop(loop)) != NULL) {
        struct br_delivery *delivery = lane->head;
        const struct br_conf_hook *hook = &loop->conf->hooks[lane->hook_index];
        char errstr[256];

        if (!delivery || lane->in_flight) {
            continue;
        }
        if (delivery->attempts == 0) {
            delivery->first_attempt_ms = now_ms();
        }
        if (br_sender_start(loop->sender, delivery, hook->timeout_ms, errstr, sizeof(errstr)) !=
            0) {
            br_log_error("loop", "hook %s: %s", hook->name, errstr);
            lane->due_ms = now_ms() + loop->conf->backoff_initial_ms;
            backoff_push(loop, lane);
            continue;
        }
        lane->in_flight = true;
    }
}

static void on_done(void *opaque, struct br_delivery *delivery,
                    const struct br_transfer_result *result)
{
    struct br_loop *loop = opaque;
    struct br_lane *lane = delivery->lane;
    struct br_partition *partition = lane->partition;
    const struct br_conf_hook *hook = &loop->conf->hooks[lane->hook_index];
    enum br_outcome outcome = br_retry_classify(result->transport_ok, result->http_status);
    int64_t delay;

    lane->in_flight = false;
    delivery->attempts++;
    if (outcome == BR_OUTCOME_OK) {
        loop->stats.delivered++;
        br_log_debug("loop", "%s [%d] @%lld -> %s: %ld in %.3f s", partition->topic,
                     partition->id, (long long)delivery->offset, hook->name,
                     result->http_status, result->seconds);
        br_lane_pop(lane);
        br_offsets_done(&partition->offsets, delivery->seq);
        br_delivery_destroy(delivery);
        ready_push(loop, lane);
        return;
    }
    loop->stats.attempts_failed++;
    if (outcome == BR_OUTCOME_RETRY) {
        delay = br_retry_backoff_ms(loop->conf->backoff_initial_ms, loop->conf->backoff_max_ms,
                                    delivery->attempts, next_random(loop));
    } else {
        /* No dead-letter topic yet: a refused delivery blocks its lane and is retried at the
         * longest backoff, so nothing is lost and the operator sees it in the log. */
        delay = br_retry_backoff_ms(loop->conf->backoff_max_ms, loop->conf->backoff_max_ms, 1,
                                    next_random(loop));
    }
    if (result->transport_ok) {
        br_log_warn("loop", "%s [%d] @%lld -> %s: HTTP %ld (%s), attempt %u, next in %lld ms",
                    partition->topic, partition->id, (long long)delivery->offset, hook->name,
                    result->http_status, br_retry_outcome_name(outcome), delivery->attempts,
                    (long long)delay);
    } else {
        br_log_warn("loop", "%s [%d] @%lld -> %s: %s, attempt %u, next in %lld ms",
                    partition->topic, partition->id, (long long)delivery->offset, hook->name,
                    result->error, delivery->attempts, (long long)delay);
    }
    lane->due_ms = now_ms() + delay;
    backoff_push(loop, lane);
}

/* ---- offsets ---- */

static void store_and_commit(struct br_loop *loop, int64_t now, bool force)
{
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        partition_store(loop, partition);
    }
    if (loop->uncommitted && (force || now >= loop->next_commit_ms)) {
        if (br_consumer_commit(loop->consumer, force) == 0) {
            loop->uncommitted = false;
        }
        loop->next_commit_ms = now + loop->conf->commit_interval_ms;
    }
}

/* ---- lifecycle ---- */

struct br_loop *br_loop_create(const struct br_conf *conf, int stop_fd, char *errstr,
                               size_t errstr_size)
{
    struct br_loop *loop = calloc(1, sizeof(*loop));
    struct br_consumer_events events = {on_assigned, on_revoked, NULL};

    if (!loop) {
        abort();
    }
    loop->conf = conf;
    loop->stop_fd = stop_fd;
    loop->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    if (conf->registry_url) {
        loop->registry = br_registry_create(conf->registry_url, conf->registry_username,
                                            conf->registry_password, conf->registry_ca_file);
    }
    loop->decoder = br_decoder_create(loop->registry);
    loop->sender = br_sender_create(conf->max_in_flight, errstr, errstr_size);
    if (!loop->sender) {
        goto fail;
    }
    events.opaque = loop;
    loop->consumer = br_consumer_create(conf, &events, errstr, errstr_size);
    if (!loop->consumer) {
        goto fail;
    }
    return loop;

fail:
    br_loop_destroy(loop);
    return NULL;
}

static bool stop_requested(struct br_loop *loop)
{
    char sink[8];

    return read(loop->stop_fd, sink, sizeof(sink)) > 0;
}

int br_loop_run(struct br_loop *loop)
{
    struct curl_waitfd fds[2];
    bool more = false;

    loop->next_commit_ms = now_ms() + loop->conf->commit_interval_ms;
    br_log_info("loop", "running: %zu topic entr%s, %zu hook(s)", loop->conf->topic_count,
                loop->conf->topic_count == 1 ? "y" : "ies", loop->conf->hook_count);
    for (;;) {
        int64_t now = now_ms();
        int64_t wait;
        int64_t next;

        if (!loop->stopping && stop_requested(loop)) {
            loop->stopping = true;
            loop->stop_deadline_ms = now + loop->conf->shutdown_grace_ms;
            br_log_info("loop", "stopping: no new deliveries; waiting up to %ld ms for %zu in "
                        "flight", loop->conf->shutdown_grace_ms,
                        br_sender_in_flight(loop->sender));
        }
        more = !loop->stopping && !loop->fatal && drain_consumer(loop);
        next = retry_held(loop, now);
        wait = backoff_fire(loop, now);
        if (next < wait) {
            wait = next;
        }
        if (!loop->stopping) {
            start_ready(loop);
        }
        br_sender_perform(loop->sender, on_done, loop);
        if (!loop->stopping) {
            start_ready(loop);
        }
        store_and_commit(loop, now, false);

        if (loop->fatal) {
            break;
        }
        if (loop->stopping &&
            (br_sender_in_flight(loop->sender) == 0 || now >= loop->stop_deadline_ms)) {
            break;
        }
        if (wait > IDLE_WAIT_MS) {
            wait = IDLE_WAIT_MS;
        }
        if (loop->uncommitted && loop->next_commit_ms - now < wait) {
            wait = loop->next_commit_ms - now;
        }
        if (loop->stopping && loop->stop_deadline_ms - now < wait) {
            wait = loop->stop_deadline_ms - now;
        }
        if (more || wait < 0) {
            wait = 0;
        }
        fds[0].fd = br_consumer_wake_fd(loop->consumer);
        fds[0].events = CURL_WAIT_POLLIN;
        fds[0].revents = 0;
        fds[1].fd = loop->stop_fd;
        fds[1].events = CURL_WAIT_POLLIN;
        fds[1].revents = 0;
        br_sender_wait(loop->sender, fds, loop->stopping ? 0 : 2, (int)wait);
    }

    /* Shutdown: abandon what is still in flight after the grace period, commit the done
     * prefix, leave the group. */
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        unschedule_partition(loop, partition);
    }
    store_and_commit(loop, now_ms(), true);
    br_consumer_close(loop->consumer);
    br_log_info("loop", "stopped: %llu message(s), %llu delivered, %llu failed attempt(s), "
                "%llu skipped, %llu undeliverable",
                (unsigned long long)loop->stats.messages,
                (unsigned long long)loop->stats.delivered,
                (unsigned long long)loop->stats.attempts_failed,
                (unsigned long long)loop->stats.skipped,
                (unsigned long long)loop->stats.undeliverable);
    return loop->fatal ? -1 : 0;
}

void br_loop_get_stats(const struct br_loop *loop, struct br_loop_stats *stats)
{
    *stats = loop->stats;
}

void br_loop_destroy(struct br_loop *loop)
{
    if (!loop) {
        return;
    }
    /* leaving the group revokes (and drops) every partition still assigned; drop any left
     * before the consumer that their queues belong to goes away */
    if (loop->consumer) {
        br_consumer_close(loop->consumer);
    }
    while (loop->partitions) {
        partition_drop(loop, loop->partitions);
    }
    br_consumer_destroy(loop->consumer);
    br_sender_destroy(loop->sender);
    br_decoder_destroy(loop->decoder);
    br_registry_destroy(loop->registry);
    free(loop->backoff);
    free(loop);
}
