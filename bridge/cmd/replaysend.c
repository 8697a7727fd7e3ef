/*
 * One record of a replay: its origin and hooks (from the dead letter's headers, or the record
 * itself), the requests it owes through the same path as the run loop (loop/message.c: decode,
 * render, sign), each sent with the hook's backoff up to --attempts times, and what fails again
 * dead-lettered again.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "cmd/oneshot.h"
#include "cmd/replaystate.h"
#include "core/url.h"
#include "delivery/retry.h"
#include "loop/headers.h"
#include "loop/message.h"

#define DEAD_LETTER_WAIT_MS 30000

static uint64_t next_random(struct br_replay *replay)
{
    uint64_t x = replay->random;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    replay->random = x;
    return x;
}

bool br_replay_sleep(struct br_replay *replay, int64_t ms)
{
    int64_t until = br_clock_monotonic_ms() + ms;

    while (!replay->interrupted) {
        int64_t left = until - br_clock_monotonic_ms();
        struct pollfd pfd = {.fd = replay->stop_fd, .events = POLLIN};
        if (left <= 0) {
            return true;
        }
        if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) > 0) {
            replay->interrupted = true;
        }
    }
    return false;
}

void br_replay_list(struct br_replay *replay, const char *fmt, ...)
{
    va_list args;
    char line[1024];

    va_start(args, fmt);
    vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    br_progress_clear(&replay->progress);
    printf("%s\n", line);
    if (replay->listed_count < BR_REPLAY_LISTED) {
        replay->listed[replay->listed_count] = strdup(line);
        if (!replay->listed[replay->listed_count]) {
            abort();
        }
        replay->listed_count++;
    } else {
        replay->unlisted++;
    }
}

struct dead_wait {
    bool done;
    bool ok;
    char error[256];
};

static void dead_done(void *opaque, bool ok, const char *errstr)
{
    struct dead_wait *wait = opaque;

    wait->done = true;
    wait->ok = ok;
    snprintf(wait->error, sizeof(wait->error), "%s", errstr ? errstr : "");
}

/*
 * Produces a new dead letter for what failed again and waits for the brokers' acknowledgement.
 * Returns 0, or -1 with a message (the record must then not be passed over).
 */
static int dead_letter_again(struct br_replay *replay, const rd_kafka_message_t *message,
                             struct br_dead_record *rec, char *errstr, size_t errstr_size)
{
    struct dead_wait wait = {0};
    int64_t deadline = br_clock_monotonic_ms() + DEAD_LETTER_WAIT_MS;

    rec->key = message->key;
    rec->key_len = message->key_len;
    rec->value = message->payload;
    rec->value_len = message->len;
    if (br_deadletter_send(replay->deadletter, replay->conf->dead_letter_topic, rec, dead_done,
                           &wait, errstr, errstr_size) != 0) {
        return -1;
    }
    while (!wait.done && br_clock_monotonic_ms() < deadline) {
        br_deadletter_flush(replay->deadletter, 500);
    }
    if (!wait.done || !wait.ok) {
        snprintf(errstr, errstr_size, "dead letter not acknowledged: %s",
                 wait.done ? wait.error : "timed out");
        return -1;
    }
    return 0;
}

struct attempt_log {
    unsigned attempts;
    long status;            /* the last HTTP status, 0 when none */
    char error[160];        /* the last failure */
    int64_t first_ms;       /* wall clock */
    int64_t last_ms;
    enum br_dead_reason reason;
};

enum sent { SENT_OK, SENT_FAILED, SENT_INTERRUPTED, SENT_BROKEN };

/* Sends request until it succeeds, is refused, or has had replay->attempts attempts. */
static enum sent send_request(struct br_replay *replay, const struct br_request *request,
                              struct attempt_log *log, char *errstr, size_t errstr_size)
{
    const struct br_conf_hook *hook = request->hook;
    struct br_retry_policy policy = hook->retry;
    int64_t first_mono = br_clock_monotonic_ms();

    policy.max_attempts = replay->attempts;
    policy.max_age_ms = 0;
    memset(log, 0, sizeof(*log));
    log->first_ms = br_clock_wall_ms();
    for (;;) {
        struct br_oneshot_result sent;
        enum br_outcome outcome;
        enum br_retry_verdict verdict;
        int64_t retry_after = BR_RETRY_AFTER_NONE;
        int64_t delay = 0;
        bool egress_refused;

        if (br_oneshot_send(replay->sender, request, &sent, errstr, errstr_size) != 0) {
            return SENT_BROKEN;
        }
        log->attempts++;
        log->last_ms = br_clock_wall_ms();
        if (sent.transfer.transport_ok) {
            log->status = sent.transfer.http_status;
            snprintf(log->error, sizeof(log->error), "HTTP %ld", sent.transfer.http_status);
        } else {
            snprintf(log->error, sizeof(log->error), "%.150s", sent.transfer.error);
        }
        /* a refusal of the outbound request guard is permanent: the address will not change */
        outcome = sent.transfer.egress_refused
                      ? BR_OUTCOME_PERMANENT
                      : br_retry_classify(sent.transfer.transport_ok, sent.transfer.http_status);
        egress_refused = sent.transfer.egress_refused;
        if (sent.transfer.retry_after[0]) {
            br_retry_after_parse(sent.transfer.retry_after, strlen(sent.transfer.retry_after),
                                 br_clock_wall_ms() / 1000, policy.retry_after_max_ms, &retry_after);
        }
        br_oneshot_finish(&sent);
        if (outcome == BR_OUTCOME_OK) {
            return SENT_OK;
        }
        verdict = br_retry_decide(&policy, log->attempts, first_mono, br_clock_monotonic_ms(), outcome,
                                  retry_after, next_random(replay), &delay);
        if (verdict == BR_VERDICT_PERMANENT || verdict == BR_VERDICT_EXHAUSTED) {
            log->reason = verdict == BR_VERDICT_PERMANENT
                              ? (egress_refused ? BR_DEAD_EGRESS : BR_DEAD_REFUSED)
                              : BR_DEAD_EXHAUSTED;
            return SENT_FAILED;
        }
        if (!br_replay_sleep(replay, delay)) {
            return SENT_INTERRUPTED;
        }
    }
}

/* "topic [p] @o" of the origin record. */
static void origin_text(const struct br_message_in *in, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s [%" PRId32 "] @%" PRId64, in->topic, in->partition, in->offset);
}

/* Prepares in, waiting out an unavailable schema registry up to replay->attempts times. */
static enum br_prepare_status prepare(struct br_replay *replay, const struct br_message_in *in,
                                      const struct br_hook_list *hooks, const char *target,
                                      struct br_prepared *prepared, char *errstr,
                                      size_t errstr_size)
{
    enum br_prepare_status status = BR_PREPARE_RETRY;

    for (unsigned attempt = 1; attempt <= replay->attempts; attempt++) {
        errstr[0] = '\0';
        status = br_message_prepare_for(replay->conf, hooks, replay->decoder, in, target,
                                        prepared, errstr, errstr_size);
        if (status != BR_PREPARE_RETRY || attempt == replay->attempts ||
            !br_replay_sleep(replay, br_retry_backoff_ms(replay->conf->backoff_initial_ms,
                                                         replay->conf->backoff_max_ms, attempt,
                                                         next_random(replay)))) {
            break;
        }
    }
    return status;
}

/* The hooks that already had this origin record in this run start afresh for a new one. */
static void track_origin(struct br_replay *replay, const struct br_message_in *in)
{
    if (!replay->last_origin.topic || strcmp(replay->last_topic, in->topic) != 0 ||
        replay->last_origin.partition != in->partition ||
        replay->last_origin.offset != in->offset) {
        snprintf(replay->last_topic, sizeof(replay->last_topic), "%s", in->topic);
        replay->last_origin.topic = replay->last_topic;
        replay->last_origin.partition = in->partition;
        replay->last_origin.offset = in->offset;
        memset(replay->delivered_hooks, 0, br_hookview_count(replay->hooks) * sizeof(bool));
    }
}

/* Dead-letters an undecodable record again; BR_REPLAY_FAILED or BR_REPLAY_STOP. */
static enum br_replay_outcome undecodable(struct br_replay *replay,
                                          const rd_kafka_message_t *message,
                                          const struct br_message_in *in, const char *why,
                                          const char *where)
{
    char errstr[512];
    struct br_dead_record rec = {
        .topic = in->topic,
        .partition = in->partition,
        .offset = in->offset,
        .error = why,
        .reason = BR_DEAD_UNDECODABLE,
        .request_id = in->request_id,
        .trace_id = in->trace_id,
    };

    if (replay->dry_run) {
        br_replay_list(replay, "would fail  %s: undecodable: %s", where, why);
        return BR_REPLAY_FAILED;
    }
    if (!replay->deadletter) {
        snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                 "%s: undecodable (%s) and no dead_letter.topic to keep it", where, why);
        replay->counts.failed++;
        return BR_REPLAY_STOP;
    }
    if (dead_letter_again(replay, message, &rec, errstr, sizeof(errstr)) != 0) {
        snprintf(replay->stop_reason, sizeof(replay->stop_reason), "%s: %s", where, errstr);
        return BR_REPLAY_STOP;
    }
    br_replay_list(replay, "failed      %s: undecodable: %s; dead-lettered again to %s", where,
                   why, replay->conf->dead_letter_topic);
    return BR_REPLAY_FAILED;
}

/* Sends the prepared requests; the outcome of the record. */
static enum br_replay_outcome send_all(struct br_replay *replay, const rd_kafka_message_t *message,
                                       const struct br_message_in *in,
                                       const struct br_prepared *prepared,
                                       const size_t *indexes, const char *where)
{
    enum br_replay_outcome outcome = BR_REPLAY_DELIVERED;
    size_t sent = 0;

    for (size_t r = 0; r < prepared->count; r++) {
        const struct br_request *request = &prepared->requests[r];
        const struct br_conf_hook *hook = request->hook;
        size_t hook_index = indexes[prepared->positions[r]];
        struct attempt_log log;
        char errstr[512];

        if (replay->delivered_hooks[hook_index]) {
            replay->counts.duplicates++;
            continue;
        }
        if (replay->dry_run) {
            char url[512];
            br_url_redact(hook->url, url, sizeof(url));
            br_progress_clear(&replay->progress);
            printf("would send  %s %s -> %s  %s %s  request_id %s\n", prepared->event, where,
                   hook->name, request->method == BR_METHOD_GET ? "GET" : "POST", url,
                   prepared->request_id);
            replay->delivered_hooks[hook_index] = true;
            sent++;
            continue;
        }
        switch (send_request(replay, request, &log, errstr, sizeof(errstr))) {
        case SENT_OK:
            br_progress_clear(&replay->progress);
            printf("delivered   %s %s -> %s: %s (%u attempt%s)\n", prepared->event, where,
                   hook->name, log.error, log.attempts, log.attempts == 1 ? "" : "s");
            replay->delivered_hooks[hook_index] = true;
            sent++;
            break;
        case SENT_FAILED: {
            char error[256];
            if (log.reason == BR_DEAD_REFUSED) {
                snprintf(error, sizeof(error), "%s", log.error);
            } else {
                snprintf(error, sizeof(error), "exhausted after %u attempt(s): %s", log.attempts,
                         log.error);
            }
            struct br_dead_record rec = {
                .topic = in->topic,
                .partition = in->partition,
                .offset = in->offset,
                .hook = hook->name,
                .event = prepared->event,
                .http_status = log.status,
                .error = error,
                .attempts = log.attempts,
                .first_attempt_ms = log.first_ms,
                .last_attempt_ms = log.last_ms,
                .reason = log.reason,
                .request_id = prepared->request_id,
                .trace_id = in->trace_id,
            };
            if (!replay->deadletter) {
                snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                         "%s -> %s failed again (%s) and there is no dead_letter.topic to keep "
                         "it", where, hook->name, error);
                replay->counts.failed++;
                return BR_REPLAY_STOP;
            }
            if (dead_letter_again(replay, message, &rec, errstr, sizeof(errstr)) != 0) {
                snprintf(replay->stop_reason, sizeof(replay->stop_reason), "%s -> %s: %s",
                         where, hook->name, errstr);
                return BR_REPLAY_STOP;
            }
            br_replay_list(replay, "failed      %s %s -> %s: %s: %s; dead-lettered again to %s",
                           prepared->event, where, hook->name,
                           br_dlrecord_reason_name(log.reason), error,
                           replay->conf->dead_letter_topic);
            outcome = BR_REPLAY_FAILED;
            break;
        }
        case SENT_INTERRUPTED:
            snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                     "interrupted while retrying %s -> %s", where, hook->name);
            return BR_REPLAY_STOP;
        case SENT_BROKEN:
            snprintf(replay->stop_reason, sizeof(replay->stop_reason), "%s -> %s: %s", where,
                     hook->name, errstr);
            return BR_REPLAY_STOP;
        }
    }
    replay->counts.requests += sent;
    if (sent == 0 && outcome == BR_REPLAY_DELIVERED) {
        return BR_REPLAY_SKIPPED; /* every hook already had it: a duplicate dead letter */
    }
    return outcome;
}

enum br_replay_outcome br_replay_entry(struct br_replay *replay, size_t i,
                                       const rd_kafka_message_t *message)
{
    const char *target = replay->sel.hook;
    struct br_message_in in = {0};
    struct br_dead_header dl;
    struct br_prepared prepared = {0};
    struct br_hook_list hooks;
    const size_t *indexes;
    enum br_replay_outcome outcome;
    struct br_value_headers value_ids;
    char request_id[BR_HEADER_TEXT_SIZE];
    char trace_id[BR_HEADER_TEXT_SIZE];
    const char *why;
    char errstr[512];
    char where[400];

    (void)i;
    if (replay->dead_letters) {
        rd_kafka_headers_t *headers = NULL;
        rd_kafka_message_headers(message, &headers);
        if (br_dlrecord_parse(headers, &dl, errstr, sizeof(errstr)) != 0) {
            br_replay_list(replay, "not sent    %s [%" PRId32 "] @%" PRId64 ": %s",
                           replay->source, message->partition, message->offset, errstr);
            return BR_REPLAY_NOT_SENT;
        }
        in.topic = dl.topic;
        in.partition = dl.partition;
        in.offset = dl.offset;
        in.request_id = dl.request_id[0] ? dl.request_id : NULL;
        in.trace_id = dl.trace_id[0] ? dl.trace_id : NULL;
        origin_text(&in, where, sizeof(where));
        if (dl.hook[0]) {
            if (!br_hookview_find(replay->hooks, dl.hook, NULL)) {
                br_replay_list(replay, "not sent    %s -> %s: the hook is not configured%s",
                               where, dl.hook,
                               br_hookview_is_table_name(replay->conf, dl.hook)
                                   ? " (no such row in its tenant's webhooks topic)"
                                   : "");
                return BR_REPLAY_NOT_SENT;
            }
            target = dl.hook;
        }
    } else {
        in.topic = replay->source;
        in.partition = message->partition;
        in.offset = message->offset;
        in.request_id = br_header_text(message, "request_id", request_id, sizeof(request_id),
                                       &why);
        in.trace_id = br_header_text(message, "trace_id", trace_id, sizeof(trace_id), &why);
        origin_text(&in, where, sizeof(where));
    }
    in.value = message->payload;
    in.len = message->len;
    if (br_header_value_ids(message, &value_ids)) {
        in.headers = &value_ids;
    }
    track_origin(replay, &in);
    br_hookview_for_topic(replay->hooks, in.topic, &hooks, &indexes);

    switch (prepare(replay, &in, &hooks, target, &prepared, errstr, sizeof(errstr))) {
    case BR_PREPARE_RETRY:
        snprintf(replay->stop_reason, sizeof(replay->stop_reason), "%s: %s", where,
                 replay->interrupted ? "interrupted" : errstr);
        return BR_REPLAY_STOP;
    case BR_PREPARE_SKIP:
        replay->counts.not_events++;
        return BR_REPLAY_SKIPPED;
    case BR_PREPARE_BAD:
        return undecodable(replay, message, &in, errstr, where);
    case BR_PREPARE_OK:
        break;
    }
    if (!br_selection_event(&replay->sel, prepared.event)) {
        replay->counts.by_event++;
        br_prepared_finish(&prepared);
        return BR_REPLAY_SKIPPED;
    }
    if (prepared.count == 0) {
        if (target) {
            br_replay_list(replay, "not sent    %s %s -> %s: the hook does not subscribe to it",
                           prepared.event, where, target);
        } else {
            br_replay_list(replay, "not sent    %s %s: no hook subscribes to it", prepared.event,
                           where);
        }
        br_prepared_finish(&prepared);
        return BR_REPLAY_NOT_SENT;
    }
    outcome = send_all(replay, message, &in, &prepared, indexes, where);
    br_prepared_finish(&prepared);
    return outcome;
}
