#include "loop/loop.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "loop/loopstate.h"
#include "loop/message.h"
#include "delivery/retry.h"

#define DRAIN_BUDGET 512          /* events and stray messages taken from the consumer queue */
#define READ_BATCH 256            /* messages read from one partition queue per turn */
#define IDLE_WAIT_MS 1000
#define REGISTRY_POLL_MS 10       /* how often a schema fetch in flight is driven */

int64_t br_loop_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t br_loop_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t br_loop_random(struct br_loop *loop)
{
    /* xorshift64*: jitter only, not security */
    loop->rng ^= loop->rng >> 12;
    loop->rng ^= loop->rng << 25;
    loop->rng ^= loop->rng >> 27;
    return loop->rng * 2685821657736338717ULL;
}

/* ---- lane scheduling ---- */

void br_loop_ready(struct br_loop *loop, struct br_lane *lane)
{
    if (lane->queued || lane->in_flight || !lane->head || lane->partition->revoked) {
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

void br_loop_backoff(struct br_loop *loop, struct br_lane *lane, int64_t delay_ms)
{
    lane->due_ms = br_loop_now_ms() + delay_ms;
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
            br_loop_ready(loop, lane);
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

/* Forgets every scheduling reference to partition's lanes and cancels their transfers. */
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
        struct br_health *health = &loop->health[i];
        bool was_probe = health->probe == &partition->lanes[i];

        if (partition->lanes[i].head) {
            br_sender_cancel(loop->sender, partition->lanes[i].head);
        }
        partition->lanes[i].in_flight = false;
        br_health_forget(health, &partition->lanes[i]);
        if (was_probe && health->open) {
            struct br_lane *next = br_health_unpark(health);
            if (next) {
                br_loop_ready(loop, next);
            }
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

/* Unlinks partition from the loop and revokes it (late completions for it are discarded). */
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
    br_partition_revoke(partition);
}

static void on_assigned(void *opaque, const rd_kafka_topic_partition_list_t *list)
{
    struct br_loop *loop = opaque;

    loop->joined = true;
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

    /* let dead letters already on their way land, so their messages count as done */
    if (!lost && loop->deadletter && br_deadletter_pending_dead(loop->deadletter) > 0) {
        br_deadletter_flush(loop->deadletter, 2000);
    }
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

/* Puts one delivery per request on the partition's lanes; the requests move into them. */
static void enqueue_deliveries(struct br_loop *loop, struct br_message *message,
                               struct br_prepared *prepared)
{
    struct br_partition *partition = message->partition;

    for (size_t i = 0; i < prepared->count; i++) {
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        size_t hook_index = (size_t)(prepared->requests[i].hook - loop->conf->hooks);
        struct br_lane *lane = &partition->lanes[hook_index];
        size_t bytes;

        if (!delivery) {
            abort();
        }
        delivery->message = br_message_ref(message);
        delivery->request = prepared->requests[i];
        bytes = sizeof(*delivery) + delivery->request.body_len + strlen(delivery->request.url);
        message->bytes += bytes;
        partition->bytes += bytes;
        if (br_lane_push(lane, delivery)) {
            br_loop_ready(loop, lane);
        }
    }
    free(prepared->requests); /* the requests themselves now belong to deliveries */
    prepared->requests = NULL;
    prepared->count = 0;
}

/* Turns kafka into deliveries on partition's lanes. false: hold it and try again later. */
static bool accept_message(struct br_loop *loop, struct br_partition *partition,
                           rd_kafka_message_t *kafka)
{
    char request_id[128];
    char trace_id[128];
    char errstr[512];
    struct br_prepared prepared;
    struct br_message_in in = {
        .topic = partition->topic,
        .partition = partition->id,
        .offset = kafka->offset,
        .value = kafka->payload,
        .len = kafka->len,
        .request_id = header_value(kafka, "request_id", request_id, sizeof(request_id)),
        .trace_id = header_value(kafka, "trace_id", trace_id, sizeof(trace_id)),
    };
    enum br_prepare_status status;
    struct br_message *message;

    errstr[0] = '\0';
    status = br_message_prepare(loop->conf, loop->decoder, &in, NULL, &prepared, errstr,
                                sizeof(errstr));
    if (status == BR_PREPARE_RETRY) {
        /* a fetch in flight is the normal first sight of a schema id; anything else is not */
        bool first_sight = loop->registry && br_registry_fetching(loop->registry);
        br_log(first_sight ? BR_LOG_DEBUG : BR_LOG_WARN, "loop",
               "%s [%d] @%lld: %s; holding the partition and retrying", partition->topic, partition->id, (long long)kafka->offset, errstr);
        return false;
    }
    if (status == BR_PREPARE_SKIP || (status == BR_PREPARE_OK && prepared.count == 0)) {
        if (status == BR_PREPARE_SKIP) {
            loop->stats.skipped++;
            br_metrics_add(loop->metrics, BR_METRIC_SKIPPED, 1);
        }
        br_offsets_add(&partition->offsets, kafka->offset, 0);
        br_prepared_finish(&prepared);
        return true;
    }
    if (status == BR_PREPARE_BAD && !loop->conf->dead_letter_topic &&
        loop->conf->dead_letter_policy == BR_DEAD_LETTER_BLOCK) {
        br_log_error("loop", "%s [%d] @%lld: undeliverable (%s); the partition waits for it "
                     "(policy block; set dead_letter.topic to pass it over)", partition->topic,
                     partition->id, (long long)kafka->offset, errstr);
        br_prepared_finish(&prepared);
        return false;
    }
    message = br_message_create(partition, kafka, br_loop_now_ms());
    snprintf(message->event, sizeof(message->event), "%s", prepared.event);
    snprintf(message->request_id, sizeof(message->request_id), "%s", prepared.request_id);
    if (status == BR_PREPARE_BAD) {
        loop->stats.undeliverable++;
        br_metrics_add(loop->metrics, BR_METRIC_UNDECODABLE, 1);
        message->seq = br_offsets_add(&partition->offsets, kafka->offset, 1);
        br_finish_undecodable(loop, message, errstr);
    } else {
        message->seq = br_offsets_add(&partition->offsets, kafka->offset,
                                      (uint32_t)prepared.count);
        enqueue_deliveries(loop, message, &prepared);
    }
    br_message_release(message);
    br_prepared_finish(&prepared);
    return true;
}

/* When the held messages of partition are tried again: backoff over its failed tries. */
static void hold_later(struct br_loop *loop, struct br_partition *partition, int64_t now)
{
    partition->held_attempts++;
    partition->held_due_ms =
        now + br_retry_backoff_ms(loop->conf->backoff_initial_ms, loop->conf->backoff_max_ms,
                                  partition->held_attempts, br_loop_random(loop)) +
        loop->conf->backoff_initial_ms;
}

static void take_message(struct br_loop *loop, rd_kafka_message_t *kafka)
{
    const char *topic = rd_kafka_topic_name(kafka->rkt);
    struct br_partition *partition = partition_find(loop, topic, kafka->partition);

    if (!partition || kafka->offset < partition->next_offset) {
        /* not ours (any more), or seen already: the owner of the partition gets it */
        rd_kafka_message_destroy(kafka);
        return;
    }
    loop->stats.messages++;
    br_metrics_add(loop->metrics, BR_METRIC_MESSAGES, 1);
    partition->next_offset = kafka->offset + 1;
    if (partition->held_count > 0) {
        br_partition_hold(partition, kafka);
    } else if (!accept_message(loop, partition, kafka)) {
        partition->held_attempts = 0;
        hold_later(loop, partition, br_loop_now_ms());
        br_partition_hold(partition, kafka);
    } else {
        rd_kafka_message_destroy(kafka);
    }
}

static bool has_room(const struct br_loop *loop, const struct br_partition *partition,
                     size_t total_bytes)
{
    const struct br_conf *conf = loop->conf;

    return br_partition_window_use(partition) < (size_t)conf->partition_window &&
           (conf->partition_window_bytes <= 0 ||
            partition->bytes < (size_t)conf->partition_window_bytes) &&
           (conf->max_buffered_bytes <= 0 || total_bytes < (size_t)conf->max_buffered_bytes);
}

/*
 * Serves the consumer queue (rebalances, errors, any message not in a partition queue), then
 * reads each partition's queue while its windows have room and nothing is held. Returns true
 * when more may be waiting (a budget or batch ran out).
 */
static bool drain_consumer(struct br_loop *loop)
{
    rd_kafka_message_t *batch[READ_BATCH];
    size_t total_bytes = 0;
    bool more;
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
        total_bytes += partition->bytes;
    }
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        size_t room;
        size_t got;
        size_t before = partition->bytes;

        if (!partition->queue || partition->held_count > 0 ||
            !has_room(loop, partition, total_bytes)) {
            continue;
        }
        room = (size_t)loop->conf->partition_window - br_partition_window_use(partition);
        if (room > READ_BATCH) {
            room = READ_BATCH;
        }
        got = br_consumer_read(partition->queue, batch, room);
        for (size_t j = 0; j < got; j++) {
            take_message(loop, batch[j]);
        }
        total_bytes += partition->bytes - before;
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
        if (partition->held_due_ms <= now) {
            while (partition->held_head) {
                if (!accept_message(loop, partition, partition->held_head->message)) {
                    hold_later(loop, partition, now);
                    break;
                }
                rd_kafka_message_destroy(br_partition_unhold(partition));
            }
        }
        if (partition->held_count > 0 && partition->held_due_ms - now < next) {
            next = partition->held_due_ms - now;
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

        if (!delivery || lane->in_flight || lane->due_ms > br_loop_now_ms()) {
            continue;
        }
        if (!br_health_may_start(&loop->health[lane->hook_index], lane)) {
            continue; /* parked until the hook's probe succeeds */
        }
        if (delivery->attempts == 0) {
            delivery->first_attempt_ms = br_loop_now_ms();
            delivery->first_attempt_wall_ms = br_loop_wall_ms();
        }
        if (br_sender_start(loop->sender, delivery, hook->timeout_ms, errstr, sizeof(errstr)) !=
            0) {
            br_log_error("loop", "hook %s: %s", hook->name, errstr);
            br_loop_backoff(loop, lane, loop->conf->backoff_initial_ms);
            continue;
        }
        lane->in_flight = true;
    }
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

/* ---- health and metrics ---- */

static bool admin_ready(void *opaque, char *reason, size_t reason_size)
{
    struct br_loop *loop = opaque;
    char why[256];

    if (!loop->joined) {
        snprintf(reason, reason_size, "not in the consumer group yet");
        return false;
    }
    if (loop->deadletter && br_deadletter_fatal(loop->deadletter, why, sizeof(why))) {
        snprintf(reason, reason_size, "dead-letter producer: %s", why);
        return false;
    }
    if (loop->stopping) {
        snprintf(reason, reason_size, "stopping");
        return false;
    }
    return true;
}

static int admin_metrics(void *opaque, struct br_buf *out)
{
    struct br_loop *loop = opaque;
    int64_t bytes = 0;
    int64_t messages = 0;
    int64_t partitions = 0;

    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        bytes += (int64_t)partition->bytes;
        messages += (int64_t)br_partition_window_use(partition);
        partitions++;
    }
    br_metrics_set(loop->metrics, BR_METRIC_IN_FLIGHT, (int64_t)br_sender_in_flight(loop->sender));
    br_metrics_set(loop->metrics, BR_METRIC_BUFFERED_BYTES, bytes);
    br_metrics_set(loop->metrics, BR_METRIC_BUFFERED_MESSAGES, messages);
    br_metrics_set(loop->metrics, BR_METRIC_PARTITIONS_ASSIGNED, partitions);
    for (size_t i = 0; i < loop->conf->hook_count; i++) {
        br_metrics_set_probing(loop->metrics, i, loop->health[i].open);
    }
    return br_metrics_render(loop->metrics, out);
}

static int admin_start(struct br_loop *loop, char *errstr, size_t errstr_size)
{
    struct br_admin_conf admin_conf = {
        .listen = loop->conf->admin_listen,
        .ready = admin_ready,
        .metrics = admin_metrics,
        .opaque = loop,
    };

    if (br_admin_create(&admin_conf, &loop->admin, errstr, errstr_size) != BR_ADMIN_OK) {
        return -1;
    }
    br_log_info("loop", "health and metrics on %s (port %d)", loop->conf->admin_listen,
                br_admin_port(loop->admin));
    return 0;
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
    loop->health = calloc(conf->hook_count ? conf->hook_count : 1, sizeof(*loop->health));
    if (!loop->health) {
        abort();
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        br_health_init(&loop->health[i]);
    }
    if (conf->registry_url) {
        loop->registry = br_registry_create(conf->registry_url, conf->registry_username,
                                            conf->registry_password, conf->registry_ca_file);
        br_registry_set_async(loop->registry); /* a slow registry must not stall the lanes */
    }
    loop->decoder = br_decoder_create(loop->registry);
    {
        const char **names = calloc(conf->hook_count ? conf->hook_count : 1, sizeof(*names));
        if (!names) {
            abort();
        }
        for (size_t i = 0; i < conf->hook_count; i++) {
            names[i] = conf->hooks[i].name;
        }
        loop->metrics = br_metrics_create(names, conf->hook_count);
        free(names);
    }
    if (conf->admin_listen && admin_start(loop, errstr, errstr_size) != 0) {
        goto fail;
    }
    loop->fd_cap = 3 + (loop->admin ? br_admin_waitfd_max(loop->admin) : 0);
    loop->fds = calloc(loop->fd_cap, sizeof(*loop->fds));
    if (!loop->fds) {
        abort();
    }
    loop->sender = br_sender_create(conf->max_in_flight, errstr, errstr_size);
    if (!loop->sender) {
        goto fail;
    }
    if (conf->dead_letter_topic || conf->delivery_report_topic) {
        loop->deadletter = br_deadletter_create(conf, -1, errstr, errstr_size);
        if (!loop->deadletter) {
            goto fail;
        }
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

static bool producer_failed(struct br_loop *loop)
{
    char errstr[512];

    if (loop->deadletter && br_deadletter_fatal(loop->deadletter, errstr, sizeof(errstr))) {
        br_log_error("loop", "dead-letter producer: %s", errstr);
        return true;
    }
    return false;
}

int br_loop_run(struct br_loop *loop)
{
    struct curl_waitfd *fds;
    unsigned fd_count;
    bool more = false;

    loop->next_commit_ms = br_loop_now_ms() + loop->conf->commit_interval_ms;
    br_log_info("loop", "running: %zu topic entr%s, %zu hook(s)", loop->conf->topic_count,
                loop->conf->topic_count == 1 ? "y" : "ies", loop->conf->hook_count);
    for (;;) {
        int64_t now = br_loop_now_ms();
        int64_t wait;
        int64_t next;

        if (!loop->stopping && stop_requested(loop)) {
            loop->stopping = true;
            loop->stop_deadline_ms = now + loop->conf->shutdown_grace_ms;
            br_log_info("loop", "stopping: no new deliveries; waiting up to %ld ms for %zu in "
                        "flight", loop->conf->shutdown_grace_ms,
                        br_sender_in_flight(loop->sender));
        }
        if (loop->deadletter) {
            br_deadletter_serve(loop->deadletter);
            loop->fatal = loop->fatal || producer_failed(loop);
        }
        if (loop->registry && br_registry_perform(loop->registry)) {
            /* a schema fetch finished: held partitions may go on now */
            for (struct br_partition *partition = loop->partitions; partition;
                 partition = partition->next) {
                partition->held_due_ms = now;
            }
        }
        more = !loop->stopping && !loop->fatal && drain_consumer(loop);
        wait = retry_held(loop, now);
        next = backoff_fire(loop, now);
        wait = next < wait ? next : wait;
        if (loop->deadletter) {
            next = br_finish_retry_dead(loop, now);
            wait = next < wait ? next : wait;
        }
        if (!loop->stopping) {
            start_ready(loop);
        }
        br_sender_perform(loop->sender, br_finish_attempt, loop);
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
        if (loop->registry && br_registry_busy(loop->registry) && wait > REGISTRY_POLL_MS) {
            wait = REGISTRY_POLL_MS;
        }
        if (more || wait < 0) {
            wait = 0;
        }
        fd_count = 0;
        fds = loop->fds;
        if (!loop->stopping) {
            fds[fd_count].fd = br_consumer_wake_fd(loop->consumer);
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
            fds[fd_count].fd = loop->stop_fd;
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
        }
        if (loop->deadletter) {
            fds[fd_count].fd = br_deadletter_wake_fd(loop->deadletter);
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
        }
        if (loop->admin) {
            int admin_wait = br_admin_timeout_ms(loop->admin);
            fd_count += (unsigned)br_admin_waitfds(loop->admin, fds + fd_count,
                                                   loop->fd_cap - fd_count);
            if (admin_wait >= 0 && admin_wait < wait) {
                wait = admin_wait;
            }
        }
        br_sender_wait(loop->sender, fds, fd_count, (int)wait);
        if (loop->admin) {
            br_admin_serve(loop->admin);
        }
    }

    /* Shutdown: abandon what is still in flight after the grace period, let dead letters on
     * their way land, commit the done prefix, leave the group. */
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        unschedule_partition(loop, partition);
    }
    if (loop->deadletter && br_deadletter_pending_dead(loop->deadletter) > 0) {
        br_deadletter_flush(loop->deadletter, 2000);
    }
    store_and_commit(loop, br_loop_now_ms(), true);
    br_consumer_close(loop->consumer);
    br_log_info("loop", "stopped: %llu message(s), %llu delivered, %llu failed attempt(s), "
                "%llu skipped, %llu undeliverable, %llu dead-lettered, %llu dropped",
                (unsigned long long)loop->stats.messages,
                (unsigned long long)loop->stats.delivered,
                (unsigned long long)loop->stats.attempts_failed,
                (unsigned long long)loop->stats.skipped,
                (unsigned long long)loop->stats.undeliverable,
                (unsigned long long)loop->stats.dead_lettered,
                (unsigned long long)loop->stats.dropped);
    return loop->fatal ? -1 : 0;
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
    /* dead letters still on their way end here (their partitions are revoked: discarded) */
    br_deadletter_destroy(loop->deadletter);
    br_finish_discard_dead(loop);
    br_sender_destroy(loop->sender);
    br_decoder_destroy(loop->decoder);
    br_registry_destroy(loop->registry);
    for (size_t i = 0; i < loop->conf->hook_count; i++) {
        br_health_finish(&loop->health[i]);
    }
    free(loop->health);
    br_admin_destroy(loop->admin);
    br_metrics_destroy(loop->metrics);
    free(loop->fds);
    free(loop->backoff);
    free(loop);
}
