#include "loop/intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "config/tablehooks.h"
#include "delivery/retry.h"
#include "loop/finish.h"
#include "loop/headers.h"
#include "loop/hooks.h"
#include "loop/inherit.h"
#include "loop/loopstate.h"
#include "loop/message.h"
#include "loop/rebalance.h"
#include "loop/schedule.h"

#define DRAIN_BUDGET 512          /* events and stray messages taken from the consumer queue */
#define READ_BATCH 256            /* messages read from one partition queue per turn */
#define HELD_REMIND_MS 60000      /* a partition held by policy block is logged again after this */

/*
 * A usable Kafka header's value in buf (loop/headers.h), or NULL. An unusable value counts as
 * absent rather than costing the change; the first one on a partition is logged.
 */
static const char *header_value(struct br_partition *partition, rd_kafka_message_t *message,
                                const char *name, char *buf, size_t buf_size)
{
    const char *why = NULL;
    const char *value = br_header_text(message, name, buf, buf_size, &why);

    if (why && !partition->header_warned) {
        partition->header_warned = true;
        struct br_log_where where = {partition->topic, partition->id, message->offset, NULL};
        br_log_at(BR_LOG_WARN, "loop", &where,
                  "%s [%d] @%lld: Kafka header %s is %s: treated as absent "
                    "(logged once per partition)", partition->topic, partition->id,
                    (long long)message->offset, name, why);
    }
    return value;
}

/* Counts a skipped message; a topic that is not a PERSCOM table's is logged once. */
static void note_skip(struct br_loop *loop, const char *topic, enum br_skip_reason reason,
                      const char *why)
{
    loop->stats.skipped++;
    br_metrics_skipped(loop->metrics, reason);
    if (br_skiplog_topic_reason(reason) && br_skiplog_first(loop->skiplog, topic, reason)) {
        br_log_info("loop", "topic %s: %s; its messages are skipped (skipped_total{reason=\"%s\"})",
                    topic, why, br_skip_reason_name(reason));
    }
}

/* Puts one delivery per request on the partition's lanes; the requests move into them. */
static void enqueue_deliveries(struct br_loop *loop, struct br_message *message,
                               struct br_prepared *prepared)
{
    struct br_partition *partition = message->partition;

    br_partition_grow(partition, loop->hook_slots);
    if (prepared->json) {
        message->json = prepared->json; /* moved */
        message->json_len = prepared->json_len;
        message->bytes += prepared->json_len;
        partition->bytes += prepared->json_len;
        prepared->json = NULL;
        prepared->json_len = 0;
    }
    for (size_t i = 0; i < prepared->count; i++) {
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        size_t slot = prepared->positions[i]; /* a slot since accept_message */
        struct br_lane *lane = br_partition_lane(partition, slot);
        size_t bytes;

        if (!delivery) {
            abort();
        }
        delivery->message = br_message_ref(message);
        delivery->hook = br_hooks_take(loop, slot);
        if (delivery->hook) {
            /* a new lane, or an empty one, takes its hook version's ordering */
            br_lane_set_ordering(lane, delivery->hook->conf->ordering);
        }
        delivery->request = prepared->requests[i];
        bytes = sizeof(*delivery) + delivery->request.body_len + strlen(delivery->request.url);
        message->bytes += bytes;
        partition->bytes += bytes;
        if (br_lane_push(lane, delivery)) {
            br_schedule_ready(&loop->schedule, lane);
        }
    }
    free(prepared->requests); /* the requests themselves now belong to deliveries */
    prepared->requests = NULL;
    prepared->count = 0;
}

/*
 * An undeliverable message under policy block: the partition waits at it. Counted and logged
 * once (undecodable_total, the exit summary), then reminded at most every HELD_REMIND_MS while
 * it keeps failing; partitions_held{reason="undeliverable"} shows it meanwhile.
 */
static void hold_undeliverable(struct br_loop *loop, struct br_partition *partition,
                               int64_t offset, const char *errstr)
{
    int64_t now = br_schedule_now_ms();
    struct br_log_where where = {partition->topic, partition->id, offset, NULL};

    partition->held_reason = BR_METRIC_HELD_UNDELIVERABLE;
    if (partition->held_counted != offset) {
        partition->held_counted = offset;
        partition->held_since_ms = now;
        partition->held_logged_ms = now;
        loop->stats.undeliverable++;
        br_metrics_add(loop->metrics, BR_METRIC_UNDECODABLE, 1);
        br_log_at(BR_LOG_ERROR, "loop", &where,
                  "%s [%d] @%lld: undeliverable (%s); the partition waits for it "
                     "(policy block; set dead_letter.topic to pass it over)", partition->topic,
                     partition->id, (long long)offset, errstr);
    } else if (now - partition->held_logged_ms >= HELD_REMIND_MS) {
        partition->held_logged_ms = now;
        br_log_at(BR_LOG_ERROR, "loop", &where,
                  "%s [%d] @%lld: still waiting at this undeliverable message for %lld s "
                     "(%s)", partition->topic, partition->id, (long long)offset,
                     (long long)((now - partition->held_since_ms) / 1000), errstr);
    }
}

/* The tenant of partition's topic (table_hooks.record_tenant), read once; NULL for none. */
static const char *partition_tenant(struct br_loop *loop, struct br_partition *partition)
{
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    if (!partition->tenant_read) {
        partition->tenant_read = true;
        if (loop->conf->table_hooks.enabled &&
            br_tablehooks_tenant(&loop->conf->table_hooks, BR_TABLEHOOKS_RECORDS,
                                 partition->topic, tenant, sizeof(tenant))) {
            partition->tenant = strdup(tenant);
            if (!partition->tenant) {
                abort();
            }
        }
    }
    return partition->tenant;
}

/*
 * accept_message with kafka's schema-id headers (NULL when none) and their copy, which the
 * message it makes takes (*kept is left to the caller otherwise).
 */
static bool accept_with(struct br_loop *loop, struct br_partition *partition,
                        rd_kafka_message_t *kafka, const struct br_value_headers *headers,
                        rd_kafka_headers_t **kept)
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
        .request_id = header_value(partition, kafka, "request_id", request_id,
                                   sizeof(request_id)),
        .trace_id = header_value(partition, kafka, "trace_id", trace_id, sizeof(trace_id)),
        .headers = headers,
        .topic_conf = partition->topic_conf,
        .signer = loop->signer,
    };
    enum br_prepare_status status;
    struct br_message *message;
    size_t inherited = 0; /* requests not sent: the previous owner had them acknowledged */

    errstr[0] = '\0';
    struct br_hook_list hooks;
    const size_t *slots;

    /* the hooks a message goes to are the live ones now, when it is read */
    br_hooks_route(loop, partition_tenant(loop, partition), &hooks, &slots);
    status = br_message_prepare_for(loop->conf, &hooks, loop->decoder, &in, NULL, &prepared,
                                    errstr, sizeof(errstr));
    if (status == BR_PREPARE_OK) {
        for (size_t i = 0; i < prepared.count; i++) {
            prepared.positions[i] = slots[prepared.positions[i]];
        }
        inherited = br_inherit_take(loop, partition, kafka->offset, &prepared);
    }
    if (status == BR_PREPARE_RETRY) {
        /* a fetch in flight is the normal first sight of a schema id; anything else is not */
        bool first_sight = loop->registry && br_registry_fetching(loop->registry);
        struct br_log_where where = {partition->topic, partition->id, kafka->offset, NULL};
        br_log_at(first_sight ? BR_LOG_DEBUG : BR_LOG_WARN, "loop", &where,
               "%s [%d] @%lld: %s; holding the partition and retrying", partition->topic,
               partition->id, (long long)kafka->offset, errstr);
        partition->held_reason = BR_METRIC_HELD_REGISTRY;
        return false;
    }
    if (status == BR_PREPARE_SKIP || (status == BR_PREPARE_OK && prepared.count == 0)) {
        if (status == BR_PREPARE_SKIP) {
            note_skip(loop, partition->topic, prepared.skip, errstr);
        }
        br_inherit_ack(loop, partition, br_offsets_add(&partition->offsets, kafka->offset, 0),
                       inherited);
        br_prepared_finish(&prepared);
        return true;
    }
    if (status == BR_PREPARE_BAD && !loop->conf->dead_letter_topic &&
        loop->conf->dead_letter_policy == BR_DEAD_LETTER_BLOCK) {
        hold_undeliverable(loop, partition, kafka->offset, errstr);
        br_prepared_finish(&prepared);
        return false;
    }
    message = br_message_create(partition, kafka, br_schedule_now_ms());
    /* the value alone cannot be decoded again: its dead letter carries the schema ids */
    br_message_keep_headers(message, kept);
    snprintf(message->event, sizeof(message->event), "%s", prepared.event);
    snprintf(message->request_id, sizeof(message->request_id), "%s", prepared.request_id);
    snprintf(message->trace_id, sizeof(message->trace_id), "%s", in.trace_id ? in.trace_id : "");
    if (status == BR_PREPARE_BAD) {
        loop->stats.undeliverable++;
        br_metrics_add(loop->metrics, BR_METRIC_UNDECODABLE, 1);
        message->seq = br_offsets_add(&partition->offsets, kafka->offset, 1);
        br_finish_undecodable(loop, message, errstr);
    } else {
        message->seq = br_offsets_add(&partition->offsets, kafka->offset,
                                      (uint32_t)prepared.count);
        br_inherit_ack(loop, partition, message->seq, inherited);
        enqueue_deliveries(loop, message, &prepared);
    }
    br_message_release(message);
    br_prepared_finish(&prepared);
    return true;
}

/* Turns kafka into deliveries on partition's lanes. false: hold it and try again later. */
static bool accept_message(struct br_loop *loop, struct br_partition *partition,
                           rd_kafka_message_t *kafka)
{
    struct br_value_headers headers;
    rd_kafka_headers_t *all = NULL;
    rd_kafka_headers_t *kept = NULL; /* the schema-id headers' copy, for the dead letter */
    /* Apicurio's schema-id headers are looked up once, copied in the same pass */
    bool has_headers = rd_kafka_message_headers(kafka, &all) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                       br_header_value_ids_keep(all, &headers, &kept);
    bool accepted = accept_with(loop, partition, kafka, has_headers ? &headers : NULL, &kept);

    if (kept) {
        rd_kafka_headers_destroy(kept); /* no message took it: skipped or held */
    }
    return accepted;
}

/* When the held messages of partition are tried again: backoff over its failed tries. */
static void hold_later(struct br_loop *loop, struct br_partition *partition, int64_t now)
{
    partition->held_attempts++;
    partition->held_due_ms =
        now + br_retry_backoff_ms(loop->conf->backoff_initial_ms, loop->conf->backoff_max_ms,
                                  partition->held_attempts, br_schedule_random(&loop->schedule)) +
        loop->conf->backoff_initial_ms;
}

static void take_message(struct br_loop *loop, rd_kafka_message_t *kafka)
{
    const char *topic = rd_kafka_topic_name(kafka->rkt);
    struct br_partition *partition = br_rebalance_find(loop, topic, kafka->partition);

    if (!partition || kafka->offset < partition->next_offset) {
        /* not ours (any more), or seen already: the owner of the partition gets it */
        rd_kafka_message_destroy(kafka);
        return;
    }
    loop->stats.messages++;
    br_metrics_add(loop->metrics, BR_METRIC_MESSAGES, 1);
    if (partition->first_offset < 0) {
        partition->first_offset = kafka->offset;
    }
    partition->next_offset = kafka->offset + 1;
    if (partition->held_count > 0) {
        br_partition_hold(partition, kafka);
    } else if (!accept_message(loop, partition, kafka)) {
        partition->held_attempts = 0;
        hold_later(loop, partition, br_schedule_now_ms());
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

bool br_intake_drain(struct br_loop *loop)
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

int64_t br_intake_retry_held(struct br_loop *loop, int64_t now)
{
    int64_t next = INT64_MAX;
    int64_t held[BR_METRIC_HELD_COUNT] = {0};

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
        if (partition->held_count > 0 && (unsigned)partition->held_reason < BR_METRIC_HELD_COUNT) {
            held[partition->held_reason]++;
        }
    }
    for (int reason = 0; reason < BR_METRIC_HELD_COUNT; reason++) {
        br_metrics_set_held(loop->metrics, (enum br_metric_held)reason, held[reason]);
    }
    return next;
}
