/*
 * The dead-letter producer (see deadletter.h): its lifecycle and restarts after a fatal error,
 * the records produced and still waiting for their delivery reports, and the hand-off of each
 * report to its owner on the loop's thread. The records' formats are dlrecord.c, the producer's
 * properties dlconf.c.
 */
#include "kafka/deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "kafka/dlconf.h"
#include "kafka/dlrestart.h"
#include "kafka/dlrecord.h"

/* One produced record until its delivery report is served. */
struct dl_msg {
    struct dl_msg *prev;
    struct dl_msg *next;
    br_deadletter_done_fn done; /* NULL: a delivery report */
    void *opaque;
    char what[];                /* "topic [partition] @offset" of the original message */
};

struct br_deadletter {
    rd_kafka_conf_t *kconf; /* kept to start a fresh producer after a fatal error */
    rd_kafka_t *rk;         /* NULL while a restart failed */
    rd_kafka_queue_t *main_queue;
    struct br_dlrestart restart; /* the failure episode, if any (dlrestart.h) */
    int64_t exit_after_ms;       /* dead_letter.producer_failure_exit_ms; 0 = never */
    bool acked;                  /* the current producer has had a record acknowledged */
    bool gave_up;                /* failing for exit_after_ms: the bridge should stop */
    uint64_t restarts_total;     /* restarts since creation */
    char last_error[512];        /* the last fatal error (or failed start), for status texts */
    int wake_fd;            /* written by librdkafka when delivery reports wait */
    int own_wake[2];        /* pipe made when create got wake_fd = -1 */
    struct dl_msg *head;  /* outstanding records, newest first */
    size_t pending;       /* records in the list */
    size_t pending_dead;  /* of which dead letters (done != NULL) */
    const char *stop_why; /* while stop() purges: the reason given to the purged records */
};

static void log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    enum br_log_level ours = level <= 3 ? BR_LOG_ERROR : level <= 4 ? BR_LOG_WARN
                           : level <= 6 ? BR_LOG_INFO : BR_LOG_DEBUG;
    (void)rk;
    br_log(ours, "deadletter", "kafka %s: %s", facility, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        br_log_error("deadletter", "producer fatal error: %s", fatal);
        return;
    }
    br_log_warn("deadletter", "producer: %s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
                reason);
}

static void unlink_msg(struct br_deadletter *dl, struct dl_msg *msg)
{
    if (msg->prev) {
        msg->prev->next = msg->next;
    } else {
        dl->head = msg->next;
    }
    if (msg->next) {
        msg->next->prev = msg->prev;
    }
    msg->prev = NULL;
    msg->next = NULL;
    dl->pending--;
    if (msg->done) {
        dl->pending_dead--;
    }
}

static void link_msg(struct br_deadletter *dl, struct dl_msg *msg)
{
    msg->prev = NULL;
    msg->next = dl->head;
    if (dl->head) {
        dl->head->prev = msg;
    }
    dl->head = msg;
    dl->pending++;
    if (msg->done) {
        dl->pending_dead++;
    }
}

/* Hands one finished record to its owner: done callback, or a log line for a report. */
static void finish_msg(struct br_deadletter *dl, struct dl_msg *msg, const char *topic,
                       const char *error)
{
    unlink_msg(dl, msg);
    if (msg->done) {
        if (error) {
            char reason[512];
            snprintf(reason, sizeof(reason), "dead-letter topic %s: %s", topic, error);
            msg->done(msg->opaque, false, reason);
        } else {
            msg->done(msg->opaque, true, NULL);
        }
    } else if (error) {
        br_log_warn("deadletter", "delivery report for %s lost: topic %s: %s", msg->what, topic,
                    error);
    }
    free(msg);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque)
{
    struct br_deadletter *dl = opaque;
    struct dl_msg *msg = message->_private;
    const char *topic = message->rkt ? rd_kafka_topic_name(message->rkt) : "?";

    if (!msg) {
        return;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
        message->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        char fatal[512];
        char why[600];
        /* purged by stop(), or by librdkafka itself after a fatal error: say why */
        if (dl->stop_why) {
            finish_msg(dl, msg, topic, dl->stop_why);
            return;
        }
        if (rd_kafka_fatal_error(rk, fatal, sizeof(fatal)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(why, sizeof(why), "producer fatal error: %s", fatal);
            finish_msg(dl, msg, topic, why);
            return;
        }
    }
    if (!message->err) {
        dl->acked = true; /* proof that a restarted producer works */
    }
    /* rd_kafka_message_errstr would return the payload of a failed delivery report */
    finish_msg(dl, msg, topic, message->err ? rd_kafka_err2str(message->err) : NULL);
}

/* Starts a producer from the kept configuration. */
static int start(struct br_deadletter *dl, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_dup(dl->kconf);
    char reason[512];

    dl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, reason, sizeof(reason));
    if (!dl->rk) {
        rd_kafka_conf_destroy(kconf);
        snprintf(errstr, errstr_size, "dead-letter producer: %s", reason);
        return -1;
    }
    dl->main_queue = rd_kafka_queue_get_main(dl->rk);
    rd_kafka_queue_io_event_enable(dl->main_queue, dl->wake_fd, "w", 1);
    return 0;
}

/* Purges and destroys the producer; every record still outstanding fails with why. */
static void stop(struct br_deadletter *dl, const char *why)
{
    if (dl->rk) {
        dl->stop_why = why;
        rd_kafka_purge(dl->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(dl->rk, 0);
        rd_kafka_queue_io_event_enable(dl->main_queue, -1, NULL, 0);
        rd_kafka_queue_destroy(dl->main_queue);
        /* serves the purge reports that were still on their way (on this thread) */
        rd_kafka_destroy(dl->rk);
        dl->stop_why = NULL;
        dl->main_queue = NULL;
        dl->rk = NULL;
    }
    /* no delivery report can come any more: whatever is left failed */
    while (dl->head) {
        finish_msg(dl, dl->head, "-", why);
    }
}

struct br_deadletter *br_deadletter_create(const struct br_conf *conf, int wake_fd,
                                           char *errstr, size_t errstr_size)
{
    struct br_deadletter *dl = calloc(1, sizeof(*dl));

    if (!dl) {
        abort();
    }
    dl->own_wake[0] = -1;
    dl->own_wake[1] = -1;
    br_dlrestart_init(&dl->restart);
    dl->exit_after_ms = conf->producer_failure_exit_ms;
    dl->kconf = rd_kafka_conf_new();
    if (br_dlconf_build(conf, dl->kconf, errstr, errstr_size) != 0) {
        goto fail;
    }
    rd_kafka_conf_set_log_cb(dl->kconf, log_cb);
    rd_kafka_conf_set_error_cb(dl->kconf, error_cb);
    rd_kafka_conf_set_dr_msg_cb(dl->kconf, dr_msg_cb);
    rd_kafka_conf_set_opaque(dl->kconf, dl);
    if (wake_fd < 0) {
        if (pipe2(dl->own_wake, O_NONBLOCK | O_CLOEXEC) != 0) {
            snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
            goto fail;
        }
        wake_fd = dl->own_wake[1];
    }
    dl->wake_fd = wake_fd;
    if (start(dl, errstr, errstr_size) != 0) {
        goto fail;
    }
    return dl;

fail:
    br_deadletter_destroy(dl);
    return NULL;
}

void br_deadletter_destroy(struct br_deadletter *dl)
{
    if (!dl) {
        return;
    }
    if (dl->rk && dl->pending > 0 &&
        rd_kafka_flush(dl->rk, BR_DEADLETTER_DESTROY_FLUSH_MS) != 0) {
        br_log_warn("deadletter", "%zu record(s) not acknowledged at shutdown: purged",
                    dl->pending);
    }
    stop(dl, "purged at shutdown");
    if (dl->kconf) {
        rd_kafka_conf_destroy(dl->kconf);
    }
    for (int i = 0; i < 2; i++) {
        if (dl->own_wake[i] >= 0) {
            close(dl->own_wake[i]);
        }
    }
    free(dl);
}

int br_deadletter_wake_fd(const struct br_deadletter *dl)
{
    return dl->own_wake[0];
}

static struct dl_msg *new_msg(br_deadletter_done_fn done, void *opaque, const char *topic,
                              int32_t partition, int64_t offset)
{
    int len = snprintf(NULL, 0, "%s [%" PRId32 "] @%" PRId64, topic, partition, offset);
    struct dl_msg *msg = malloc(sizeof(*msg) + (size_t)len + 1);

    if (!msg) {
        abort();
    }
    msg->prev = NULL;
    msg->next = NULL;
    msg->done = done;
    msg->opaque = opaque;
    snprintf(msg->what, (size_t)len + 1, "%s [%" PRId32 "] @%" PRId64, topic, partition, offset);
    return msg;
}

/* Queues one record; takes headers (destroyed here on failure). */
static int produce(struct br_deadletter *dl, const char *topic, const void *key, size_t key_len,
                   const void *value, size_t value_len, rd_kafka_headers_t *headers,
                   struct dl_msg *msg, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t err;

    if (!dl->rk) {
        snprintf(errstr, errstr_size, "topic %s: the producer is restarting", topic);
        if (headers) {
            rd_kafka_headers_destroy(headers);
        }
        free(msg);
        return -1;
    }
    err = rd_kafka_producev(
        dl->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
        RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(msg), RD_KAFKA_V_END);

    if (err) {
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char fatal[512];
            rd_kafka_fatal_error(dl->rk, fatal, sizeof(fatal));
            snprintf(errstr, errstr_size, "topic %s: producer fatal error: %s", topic, fatal);
        } else {
            snprintf(errstr, errstr_size, "topic %s: %s", topic, rd_kafka_err2str(err));
        }
        if (headers) {
            rd_kafka_headers_destroy(headers);
        }
        free(msg);
        return -1;
    }
    link_msg(dl, msg);
    return 0;
}

int br_deadletter_send(struct br_deadletter *dl, const char *dlq_topic,
                       const struct br_dead_record *rec, br_deadletter_done_fn done, void *opaque,
                       char *errstr, size_t errstr_size)
{
    rd_kafka_headers_t *headers = br_dlrecord_headers(rec);

    return produce(dl, dlq_topic, rec->key, rec->key_len, rec->value, rec->value_len, headers,
                   new_msg(done, opaque, rec->topic, rec->partition, rec->offset), errstr,
                   errstr_size);
}

int br_deadletter_report(struct br_deadletter *dl, const char *report_topic,
                         const struct br_delivery_report *rep, char *errstr, size_t errstr_size)
{
    size_t len = 0;
    char *json = br_dlrecord_report_json(rep, &len, errstr, errstr_size);
    int rc;

    if (!json) {
        return -1;
    }
    rc = produce(dl, report_topic, rep->key, rep->key_len, json, len, NULL,
                 new_msg(NULL, NULL, rep->topic, rep->partition, rep->offset), errstr,
                 errstr_size);
    free(json);
    return rc;
}

/*
 * The current producer is unusable: it hit a fatal error (reason written), none runs, or stop()
 * is taking it down (done callbacks of purged records may ask).
 */
static bool producer_failed(struct br_deadletter *dl, char *reason, size_t reason_size)
{
    if (!dl->rk || dl->stop_why) {
        snprintf(reason, reason_size, "%s", dl->last_error);
        return true;
    }
    if (rd_kafka_fatal_error(dl->rk, reason, reason_size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return true;
    }
    reason[0] = '\0';
    return false;
}

/* Replaces a failed producer with a fresh one; every record it held fails (done ok = false). */
static void restart(struct br_deadletter *dl, int64_t now_ms)
{
    char why[600];
    char errstr[512];

    snprintf(why, sizeof(why), "%s: %s", dl->rk ? "producer fatal error" : "producer not running",
             dl->last_error);
    if (dl->restart.failing_since_ms == 0) {
        br_log_error("deadletter", "%s: restarting the producer", why);
    } else {
        br_log_error("deadletter", "%s (failing for %lld s): restart %u", why,
                     (long long)((now_ms - dl->restart.failing_since_ms) / 1000),
                     dl->restart.restarts + 1);
    }
    stop(dl, why);
    br_dlrestart_apply(&dl->restart, BR_DLRESTART_RESTART, now_ms);
    dl->restarts_total++;
    dl->acked = false;
    if (start(dl, errstr, sizeof(errstr)) != 0) {
        br_log_error("deadletter", "%s", errstr);
        snprintf(dl->last_error, sizeof(dl->last_error), "%s", errstr);
    }
}

/*
 * After a fatal error the idempotent producer refuses everything: fail what it holds and start
 * a fresh one, with backoff while the cause persists, until it proves itself or the episode has
 * lasted exit_after_ms (dlrestart.h decides).
 */
static void supervise(struct br_deadletter *dl)
{
    char reason[512];
    struct br_dlrestart_input in = {.now_ms = br_clock_monotonic_ms(), .acked = dl->acked,
                                    .exit_after_ms = dl->exit_after_ms};

    in.failed = producer_failed(dl, reason, sizeof(reason));
    if (in.failed && dl->rk) {
        snprintf(dl->last_error, sizeof(dl->last_error), "%s", reason);
    }
    switch (br_dlrestart_decide(&dl->restart, &in)) {
    case BR_DLRESTART_RESTART:
        restart(dl, in.now_ms);
        break;
    case BR_DLRESTART_RECOVERED:
        br_log_info("deadletter", "the producer works again after failing for %lld s (%u "
                    "restart(s))", (long long)((in.now_ms - dl->restart.failing_since_ms) / 1000),
                    dl->restart.restarts);
        br_dlrestart_apply(&dl->restart, BR_DLRESTART_RECOVERED, in.now_ms);
        break;
    case BR_DLRESTART_EXIT:
        if (!dl->gave_up) {
            br_log_error("deadletter", "the producer has been failing for %lld s (%u restart(s)), "
                         "dead_letter.producer_failure_exit_ms is %lld: giving up",
                         (long long)((in.now_ms - dl->restart.failing_since_ms) / 1000),
                         dl->restart.restarts, (long long)dl->exit_after_ms);
        }
        dl->gave_up = true;
        break;
    case BR_DLRESTART_NONE:
    case BR_DLRESTART_WAIT:
        break;
    }
}

void br_deadletter_serve(struct br_deadletter *dl)
{
    if (dl->own_wake[0] >= 0) {
        char sink[64];
        while (read(dl->own_wake[0], sink, sizeof(sink)) > 0) {
        }
    }
    if (dl->rk) {
        /* one call serves everything queued; a few more catch reports arriving meanwhile */
        for (int i = 0; i < 4 && rd_kafka_poll(dl->rk, 0) > 0; i++) {
        }
    }
    supervise(dl);
}

size_t br_deadletter_pending(const struct br_deadletter *dl)
{
    return dl->pending;
}

size_t br_deadletter_pending_dead(const struct br_deadletter *dl)
{
    return dl->pending_dead;
}

int br_deadletter_flush(struct br_deadletter *dl, int timeout_ms)
{
    if (dl->rk) {
        rd_kafka_flush(dl->rk, timeout_ms);
    }
    return dl->pending == 0 ? 0 : -1;
}

bool br_deadletter_failing(struct br_deadletter *dl, char *errstr, size_t errstr_size)
{
    char reason[512];
    struct br_dlrestart_input in = {.now_ms = br_clock_monotonic_ms(), .acked = dl->acked,
                                    .exit_after_ms = dl->exit_after_ms};

    in.failed = producer_failed(dl, reason, sizeof(reason));
    if (!in.failed && dl->restart.failing_since_ms == 0) {
        return false;
    }
    if (errstr) {
        br_dlrestart_describe(&dl->restart, &in, in.failed ? reason : dl->last_error, errstr,
                              errstr_size);
    }
    return true;
}

bool br_deadletter_gave_up(const struct br_deadletter *dl)
{
    return dl->gave_up;
}

uint64_t br_deadletter_restarts(const struct br_deadletter *dl)
{
    return dl->restarts_total;
}

rd_kafka_t *br_deadletter_handle(struct br_deadletter *dl)
{
    return dl->rk;
}
