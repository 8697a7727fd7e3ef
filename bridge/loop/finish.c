#include "loop/finish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "delivery/retry.h"
#include "loop/hooks.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

#define DEAD_RETRY_MS 1000 /* wait before sending a dead letter again */
#define NO_HOOK ((size_t)-1)

/* A dead letter on its way to the brokers; holds a reference to its message. */
struct br_dead_pending {
    struct br_loop *loop;
    struct br_message *message;
    size_t hook;                     /* the hook's slot; NO_HOOK for undecodable messages */
    long http_status;
    char error[256];
    unsigned attempts;
    int64_t first_attempt_wall_ms;
    int64_t last_attempt_wall_ms;
    int64_t latency_ms;
    enum br_dead_reason reason;
    int64_t due_ms;
    struct br_dead_pending *next;
};

/* hook: the hook's slot, or NO_HOOK; reason and error: why it was not delivered (NULL when it
 * was, or when its hook was removed). */
static void report(struct br_loop *loop, const struct br_message *message, size_t hook,
                   long status, enum br_report_outcome outcome, unsigned attempts,
                   int64_t latency_ms, const char *reason, const char *error)
{
    char errstr[256];
    struct br_delivery_report rep = {
        .topic = message->partition->topic,
        .partition = message->partition->id,
        .offset = message->offset,
        .key = message->key,
        .key_len = message->key_len,
        .event = message->event[0] ? message->event : NULL,
        .hook = hook != NO_HOOK ? br_hooks_name(loop, hook) : NULL,
        .http_status = status,
        .outcome = outcome,
        .attempts = attempts,
        .latency_ms = latency_ms,
        .request_id = message->request_id[0] ? message->request_id : NULL,
        .reason = reason,
        .error = error,
    };

    if (!loop->conf->delivery_report_topic || !loop->deadletter) {
        return;
    }
    if (br_deadletter_report(loop->deadletter, loop->conf->delivery_report_topic, &rep, errstr,
                             sizeof(errstr)) != 0) {
        br_log_warn("finish", "delivery report not sent: %s", errstr);
    }
}

/*
 * One completion of message is settled: the partition's done prefix may move. hook: the hook
 * whose delivery it was (recorded as acknowledged for the next owner), or NO_HOOK for a message
 * owed to every hook (undecodable).
 */
static void settle(struct br_message *message, size_t hook)
{
    struct br_partition *partition = message->partition;

    if (partition->revoked) {
        return;
    }
    if (hook != NO_HOOK) {
        br_offsets_ack(&partition->offsets, message->seq, hook);
    }
    br_offsets_done(&partition->offsets, message->seq);
    partition->settled++;
}

static void dead_free(struct br_dead_pending *pending)
{
    br_message_release(pending->message);
    free(pending);
}

static void dead_done(void *opaque, bool ok, const char *errstr);

static void dead_send(struct br_loop *loop, struct br_dead_pending *pending)
{
    const struct br_message *message = pending->message;
    char errstr[256];
    struct br_dead_record rec = {
        .topic = message->partition->topic,
        .partition = message->partition->id,
        .offset = message->offset,
        .key = message->key,
        .key_len = message->key_len,
        .value = message->value,
        .value_len = message->value_len,
        .hook = pending->hook != NO_HOOK ? br_hooks_name(loop, pending->hook) : NULL,
        .event = message->event[0] ? message->event : NULL,
        .http_status = pending->http_status,
        .error = pending->error,
        .attempts = pending->attempts,
        .first_attempt_ms = pending->first_attempt_wall_ms,
        .last_attempt_ms = pending->last_attempt_wall_ms,
        .reason = pending->reason,
        .request_id = message->request_id[0] ? message->request_id : NULL,
        .trace_id = message->trace_id[0] ? message->trace_id : NULL,
        .original = message->kept_headers,
    };

    if (message->partition->revoked) {
        dead_free(pending); /* the next owner of the partition deals with it */
        return;
    }
    if (br_deadletter_send(loop->deadletter, loop->conf->dead_letter_topic, &rec, dead_done,
                           pending, errstr, sizeof(errstr)) != 0) {
        /* while the producer is failing, its restarts and /readyz say so once for all */
        br_log(br_deadletter_failing(loop->deadletter, NULL, 0) ? BR_LOG_DEBUG : BR_LOG_WARN,
               "finish", "%s [%d] @%lld: dead letter not queued (%s); trying again", rec.topic,
               rec.partition, (long long)rec.offset, errstr);
        pending->due_ms = br_schedule_now_ms() + DEAD_RETRY_MS;
        pending->next = loop->dead_retry;
        loop->dead_retry = pending;
    }
}

static void dead_done(void *opaque, bool ok, const char *errstr)
{
    struct br_dead_pending *pending = opaque;
    struct br_loop *loop = pending->loop;
    struct br_message *message = pending->message;

    if (!ok) {
        br_log(br_deadletter_failing(loop->deadletter, NULL, 0) ? BR_LOG_DEBUG : BR_LOG_WARN,
               "finish", "%s [%d] @%lld: dead letter failed (%s); trying again",
               message->partition->topic, message->partition->id, (long long)message->offset,
               errstr ? errstr : "unknown error");
        pending->due_ms = br_schedule_now_ms() + DEAD_RETRY_MS;
        pending->next = loop->dead_retry;
        loop->dead_retry = pending;
        return;
    }
    if (!message->partition->revoked) {
        loop->stats.dead_lettered++;
        const char *name = pending->hook != NO_HOOK ? br_hooks_name(loop, pending->hook) : NULL;
        if (pending->hook != NO_HOOK) {
            br_metrics_delivery(loop->metrics, pending->hook, BR_METRIC_DEAD_LETTERED);
        }
        struct br_log_where where = {message->partition->topic, message->partition->id,
                                     message->offset, name};
        br_log_at(BR_LOG_WARN, "finish", &where, "%s [%d] @%lld%s%s: dead-lettered to %s (%s: %s)",
                    message->partition->topic, message->partition->id,
                    (long long)message->offset, name ? " -> " : "", name ? name : "",
                    loop->conf->dead_letter_topic, br_dlrecord_reason_name(pending->reason),
                    pending->error);
        report(loop, message, pending->hook, pending->http_status, BR_REPORT_DEAD_LETTERED,
               pending->attempts, pending->latency_ms, br_dlrecord_reason_name(pending->reason),
               pending->error);
        settle(message, pending->hook);
    }
    dead_free(pending);
}

int64_t br_finish_retry_dead(struct br_loop *loop, int64_t now_ms)
{
    struct br_dead_pending *due = NULL;
    struct br_dead_pending **link = &loop->dead_retry;
    int64_t next = INT64_MAX;

    while (*link) {
        struct br_dead_pending *pending = *link;
        if (pending->due_ms <= now_ms) {
            *link = pending->next;
            pending->next = due;
            due = pending;
        } else {
            if (pending->due_ms - now_ms < next) {
                next = pending->due_ms - now_ms;
            }
            link = &pending->next;
        }
    }
    while (due) {
        struct br_dead_pending *pending = due;
        due = pending->next;
        pending->next = NULL;
        dead_send(loop, pending);
    }
    return next;
}

void br_finish_discard_dead(struct br_loop *loop)
{
    while (loop->dead_retry) {
        struct br_dead_pending *pending = loop->dead_retry;
        loop->dead_retry = pending->next;
        dead_free(pending);
    }
}

static struct br_dead_pending *dead_new(struct br_loop *loop, struct br_message *message,
                                        enum br_dead_reason reason, const char *error)
{
    struct br_dead_pending *pending = calloc(1, sizeof(*pending));

    if (!pending) {
        abort();
    }
    pending->loop = loop;
    pending->hook = NO_HOOK;
    pending->message = br_message_ref(message);
    pending->reason = reason;
    snprintf(pending->error, sizeof(pending->error), "%s", error);
    return pending;
}

void br_finish_undecodable(struct br_loop *loop, struct br_message *message, const char *errstr)
{
    struct br_partition *partition = message->partition;

    if (loop->conf->dead_letter_topic) {
        dead_send(loop, dead_new(loop, message, BR_DEAD_UNDECODABLE, errstr));
        return;
    }
    loop->stats.dropped++;
    struct br_log_where where = {partition->topic, partition->id, message->offset, NULL};
    br_log_at(BR_LOG_ERROR, "finish", &where,
              "%s [%d] @%lld: dropped (no dead-letter topic, policy drop): %s",
                 partition->topic, partition->id, (long long)message->offset, errstr);
    report(loop, message, NO_HOOK, 0, BR_REPORT_DROPPED, 0, 0,
           br_dlrecord_reason_name(BR_DEAD_UNDECODABLE), errstr);
    settle(message, NO_HOOK);
}

void br_finish_hook_deleted(struct br_loop *loop, struct br_delivery *delivery)
{
    struct br_message *message = delivery->message;
    size_t slot = delivery->lane->hook_index;
    struct br_partition *partition = message->partition;
    struct br_log_where where = {partition->topic, partition->id, message->offset,
                                 br_hooks_name(loop, slot)};

    br_metrics_delivery(loop->metrics, slot, BR_METRIC_HOOK_DELETED);
    br_log_at(BR_LOG_DEBUG, "finish", &where, "%s [%d] @%lld -> %s: not sent, the hook was "
              "removed", partition->topic, partition->id, (long long)message->offset,
              br_hooks_name(loop, slot));
    report(loop, message, slot, delivery->last_status, BR_REPORT_HOOK_DELETED,
           delivery->attempts,
           delivery->attempts > 0 ? br_schedule_now_ms() - delivery->first_attempt_ms : 0, NULL,
           NULL);
    settle(message, slot);
    br_delivery_destroy(delivery);
}

/*
 * delivery is finished for good (delivered, dead-lettered, dropped, hook deleted): it leaves
 * its lane, which moves on (ownership of delivery passes to the caller).
 */
static void lane_next(struct br_loop *loop, struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_lane *probe = br_health_release(&loop->health[lane->hook_index], lane);

    br_lane_remove(lane, delivery);
    if (probe) {
        br_schedule_ready(&loop->schedule, probe);
    }
    br_schedule_ready(&loop->schedule, lane);
}

/* delivery failed and is tried again at due_ms; its lane goes on with what else may start. */
static void lane_retry(struct br_loop *loop, struct br_lane *lane, struct br_delivery *delivery,
                       int64_t due_ms)
{
    br_lane_retry(lane, delivery);
    br_schedule_backoff(&loop->schedule, delivery, due_ms);
    br_schedule_ready(&loop->schedule, lane);
}

/* The hook answered: it is healthy again, and every lane waiting behind its probe may go. */
static void hook_answered(struct br_loop *loop, struct br_health *health, struct br_lane *lane)
{
    struct br_lane *parked;

    if (br_health_success(health, lane)) {
        while ((parked = br_health_unpark(health)) != NULL) {
            br_schedule_ready(&loop->schedule, parked);
        }
    }
}

static void describe(const struct br_transfer_result *result, char *out, size_t out_size)
{
    if (result->transport_ok) {
        snprintf(out, out_size, "HTTP %ld", result->http_status);
    } else {
        snprintf(out, out_size, "%.120s", result->error);
    }
}

void br_finish_attempt(void *opaque, struct br_delivery *delivery,
                       const struct br_transfer_result *result)
{
    struct br_loop *loop = opaque;
    struct br_lane *lane = delivery->lane;
    struct br_partition *partition = lane->partition;
    struct br_message *message = delivery->message;
    /* the settings in force now (the hook may have changed while this attempt was out) */
    const struct br_conf_hook *hook = br_hooks_conf(loop, lane->hook_index)
                                          ? br_hooks_conf(loop, lane->hook_index)
                                          : delivery->request.hook;
    struct br_health *health = &loop->health[lane->hook_index];
    /* a refusal of the outbound request guard is permanent: the address will not change */
    enum br_outcome outcome = result->egress_refused
                                  ? BR_OUTCOME_PERMANENT
                                  : br_retry_classify(result->transport_ok, result->http_status);
    int64_t now = br_schedule_now_ms();
    int64_t retry_after = BR_RETRY_AFTER_NONE;
    int64_t delay = 0;
    enum br_retry_verdict verdict;
    struct br_log_where where = {partition->topic, partition->id, message->offset, hook->name};

    br_schedule_ended(&loop->schedule, lane->hook_index);
    delivery->attempts++;
    delivery->last_attempt_wall_ms = br_schedule_wall_ms();
    if (result->transport_ok) {
        delivery->last_status = result->http_status;
    }
    describe(result, delivery->last_error, sizeof(delivery->last_error));

    br_metrics_observe_latency(loop->metrics, lane->hook_index, result->seconds);
    if (outcome == BR_OUTCOME_OK) {
        loop->stats.delivered++;
        br_metrics_delivery(loop->metrics, lane->hook_index, BR_METRIC_DELIVERED);
        br_log_at(BR_LOG_DEBUG, "finish", &where, "%s [%d] @%lld -> %s: %ld in %.3f s",
                  partition->topic,
                     partition->id, (long long)message->offset, hook->name,
                     result->http_status, result->seconds);
        hook_answered(loop, health, lane);
        report(loop, message, lane->hook_index, result->http_status, BR_REPORT_DELIVERED,
               delivery->attempts, now - delivery->first_attempt_ms, NULL, NULL);
        settle(message, lane->hook_index);
        lane_next(loop, lane, delivery);
        br_delivery_destroy(delivery);
        return;
    }

    loop->stats.attempts_failed++;
    br_metrics_attempt_failed(loop->metrics, lane->hook_index);
    if (result->egress_refused) {
        br_metrics_egress_refused(loop->metrics, lane->hook_index);
    }
    if (!br_hooks_conf(loop, lane->hook_index)) {
        /* the hook was removed while this attempt was out: it is not tried again */
        lane_next(loop, lane, delivery);
        br_finish_hook_deleted(loop, delivery);
        return;
    }
    if (outcome == BR_OUTCOME_RETRY) {
        br_health_failure(health, lane, (unsigned)loop->conf->probe_after_failures);
    } else {
        /* a refusal is an answer: the endpoint is up, so its lanes need not wait for a probe */
        hook_answered(loop, health, lane);
    }
    if (result->retry_after[0]) {
        br_retry_after_parse(result->retry_after, strlen(result->retry_after),
                             br_schedule_wall_ms() / 1000, hook->retry.retry_after_max_ms,
                             &retry_after);
    }
    /* the age limit counts from when the bridge took the message from Kafka */
    verdict = br_retry_decide(&hook->retry, delivery->attempts, message->taken_ms, now, outcome,
                              retry_after, br_schedule_random(&loop->schedule), &delay);
    if (verdict == BR_VERDICT_RETRY) {
        if (health->open && health->probe != lane) {
            br_log_at(BR_LOG_WARN, "finish", &where,
                      "%s [%d] @%lld -> %s: %s, attempt %u; waiting behind the "
                        "hook's probe", partition->topic, partition->id,
                        (long long)message->offset, hook->name, delivery->last_error,
                        delivery->attempts);
        } else {
            br_log_at(BR_LOG_WARN, "finish", &where,
                      "%s [%d] @%lld -> %s: %s, attempt %u, next in %lld ms",
                        partition->topic, partition->id, (long long)message->offset, hook->name,
                        delivery->last_error, delivery->attempts, (long long)delay);
        }
        lane_retry(loop, lane, delivery, br_schedule_now_ms() + delay);
        return;
    }

    /* refused or exhausted */
    char error[256];
    enum br_dead_reason reason =
        verdict != BR_VERDICT_PERMANENT ? BR_DEAD_EXHAUSTED
        : result->egress_refused        ? BR_DEAD_EGRESS
                                        : BR_DEAD_REFUSED;
    if (reason != BR_DEAD_EXHAUSTED) {
        snprintf(error, sizeof(error), "%s", delivery->last_error);
    } else {
        snprintf(error, sizeof(error), "exhausted after %u attempt(s): %s", delivery->attempts,
                 delivery->last_error);
    }
    if (loop->conf->dead_letter_topic) {
        struct br_dead_pending *pending = dead_new(loop, message, reason, error);
        pending->hook = lane->hook_index;
        pending->http_status = delivery->last_status;
        pending->attempts = delivery->attempts;
        pending->first_attempt_wall_ms = delivery->first_attempt_wall_ms;
        pending->last_attempt_wall_ms = delivery->last_attempt_wall_ms;
        pending->latency_ms = now - delivery->first_attempt_ms;
        lane_next(loop, lane, delivery);
        br_delivery_destroy(delivery);
        dead_send(loop, pending);
        return;
    }
    if (loop->conf->dead_letter_policy == BR_DEAD_LETTER_DROP) {
        loop->stats.dropped++;
        br_metrics_delivery(loop->metrics, lane->hook_index, BR_METRIC_DROPPED);
        br_log_at(BR_LOG_ERROR, "finish", &where,
                  "%s [%d] @%lld -> %s: dropped (%s; no dead-letter topic, policy "
                     "drop)", partition->topic, partition->id, (long long)message->offset,
                     hook->name, error);
        report(loop, message, lane->hook_index, delivery->last_status, BR_REPORT_DROPPED,
               delivery->attempts, now - delivery->first_attempt_ms,
               br_dlrecord_reason_name(reason), error);
        settle(message, lane->hook_index);
        lane_next(loop, lane, delivery);
        br_delivery_destroy(delivery);
        return;
    }
    /* policy block: nothing is ever lost; keep trying at the longest backoff */
    delay = br_retry_backoff_ms(hook->retry.max_ms, hook->retry.max_ms, 1,
                                br_schedule_random(&loop->schedule));
    if (delay < hook->retry.max_ms / 2) {
        delay = hook->retry.max_ms / 2 + delay / 2;
    }
    br_log_at(BR_LOG_ERROR, "finish", &where,
              "%s [%d] @%lld -> %s: %s; no dead-letter topic (policy block): "
                 "retrying in %lld ms", partition->topic, partition->id,
                 (long long)message->offset, hook->name, error, (long long)delay);
    lane_retry(loop, lane, delivery, br_schedule_now_ms() + delay);
}
