#ifndef BR_DEADLETTER_H
#define BR_DEADLETTER_H
/*
 * The producer side of the bridge: dead-letter records and delivery-report records
 * (docs of issue 3: the record formats are fixed by the contract, see deadletter.c).
 *
 * One idempotent librdkafka producer (enable.idempotence=true, acks=all) on the consumer's
 * brokers, with the kafka.properties that apply to a producer (consumer-only ones are skipped
 * with a debug log). Everything here runs on the loop's thread: librdkafka's delivery reports
 * wait in its main queue, which wakes a descriptor the loop polls, and are handed out by
 * br_deadletter_serve (or _flush, _destroy). No callback ever runs on a librdkafka thread.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct br_deadletter;

enum br_dead_reason {
    BR_DEAD_REFUSED,     /* permanent HTTP answer (3xx not followed, 4xx but 408/425/429) */
    BR_DEAD_EXHAUSTED,   /* max_attempts or max_age reached */
    BR_DEAD_UNDECODABLE, /* bad framing, unknown schema id, corrupt Avro, unknown resource/op */
};

/* Everything is borrowed: br_deadletter_send copies what it needs before returning. */
struct br_dead_record {
    const char *topic;        /* original topic */
    int32_t partition;        /* original partition */
    int64_t offset;           /* original offset */
    const void *key;          /* original key bytes, or NULL: the record has no key */
    size_t key_len;
    const void *value;        /* original value bytes, or NULL: a null value (tombstone) */
    size_t value_len;
    const char *hook;         /* hook name, or NULL (undecodable): header absent */
    const char *event;        /* "rankrecord.created", or NULL (not known): header absent */
    long http_status;         /* last HTTP status, 0 = none received: header absent */
    const char *error;        /* "HTTP 400", "exhausted after 5 attempts: ...", decode error */
    unsigned attempts;        /* 0 for undecodable messages */
    int64_t first_attempt_ms; /* wall clock, ms since the epoch; 0 = none: header absent */
    int64_t last_attempt_ms;  /* same */
    enum br_dead_reason reason;
};

enum br_report_outcome { BR_REPORT_DELIVERED, BR_REPORT_DEAD_LETTERED, BR_REPORT_DROPPED };

/* Everything is borrowed, as above. */
struct br_delivery_report {
    const char *topic;       /* original topic */
    int32_t partition;
    int64_t offset;
    const void *key;         /* original key bytes (the report's key), or NULL */
    size_t key_len;
    const char *event;       /* or NULL: JSON null */
    const char *hook;        /* or NULL: JSON null */
    long http_status;        /* 0 = no response: JSON null */
    enum br_report_outcome outcome;
    unsigned attempts;
    int64_t latency_ms;      /* first attempt start to finish */
    const char *request_id;  /* PERSCOM's request id, or NULL: JSON null */
};

/*
 * done: the dead-letter record was acknowledged by the brokers (ok = true) or failed for good
 * (ok = false, errstr says why; the caller may send it again later). Called on the loop's thread
 * from br_deadletter_serve, _flush or _destroy, exactly once per successful _send.
 */
typedef void (*br_deadletter_done_fn)(void *opaque, bool ok, const char *errstr);

/*
 * Creates the producer. wake_fd: the write end of a non-blocking pipe (or eventfd) the loop
 * polls; librdkafka writes to it when delivery reports wait, and the loop then calls
 * br_deadletter_serve (draining wake_fd is the caller's job). wake_fd = -1: the producer makes
 * its own pipe, whose read end br_deadletter_wake_fd returns and br_deadletter_serve drains.
 * Returns NULL with a message when the configuration is refused.
 */
struct br_deadletter *br_deadletter_create(const struct br_conf *conf, int wake_fd,
                                           char *errstr, size_t errstr_size);
/*
 * Waits up to BR_DEADLETTER_DESTROY_FLUSH_MS for outstanding records (their done callbacks run),
 * then purges the rest: their done callbacks run with ok = false before it returns. Accepts NULL.
 */
#define BR_DEADLETTER_DESTROY_FLUSH_MS 2000
void br_deadletter_destroy(struct br_deadletter *dl);

/* The read end of the producer's own pipe (wake_fd = -1 at create), else -1. */
int br_deadletter_wake_fd(const struct br_deadletter *dl);

/*
 * Produces rec to dlq_topic (key and value unchanged, headers perscom.*). Returns 0: done will be
 * called exactly once later. Returns -1 at once with a message, and never calls done, when the
 * record cannot even be queued (local queue full, record larger than message.max.bytes, fatal
 * producer error): the caller keeps the message and tries again later.
 */
int br_deadletter_send(struct br_deadletter *dl, const char *dlq_topic,
                       const struct br_dead_record *rec, br_deadletter_done_fn done, void *opaque,
                       char *errstr, size_t errstr_size);

/*
 * Produces one delivery-report record to report_topic (key = the original key, value = the JSON
 * object of the contract). Fire-and-forget: a failure later is logged as a warning. Returns -1
 * with a message when it could not be queued (the caller logs it and goes on).
 */
int br_deadletter_report(struct br_deadletter *dl, const char *report_topic,
                         const struct br_delivery_report *rep, char *errstr, size_t errstr_size);

/*
 * The JSON value of a delivery report, NUL-terminated, malloc'd (the caller frees it); NULL with
 * a message when a string is not valid UTF-8. Exposed for tests.
 */
char *br_deadletter_report_json(const struct br_delivery_report *rep, size_t *len, char *errstr,
                                size_t errstr_size);

/*
 * Serves waiting delivery reports without blocking (done callbacks run here). Each loop turn.
 * After a fatal producer error it fails every outstanding record (done with ok = false) and
 * starts a fresh producer, at most once per BR_DEADLETTER_RESTART_MS. A done callback may call
 * _send or _report, never _serve, _flush or _destroy.
 */
#define BR_DEADLETTER_RESTART_MS 5000
void br_deadletter_serve(struct br_deadletter *dl);

/* Records (dead letters and reports) produced whose delivery report has not been served yet. */
size_t br_deadletter_pending(const struct br_deadletter *dl);
/* Dead-letter records whose done callback has not run yet. */
size_t br_deadletter_pending_dead(const struct br_deadletter *dl);

/*
 * Waits up to timeout_ms for every outstanding record, serving delivery reports (done callbacks
 * run here). Returns 0 when nothing is pending any more, -1 on timeout.
 */
int br_deadletter_flush(struct br_deadletter *dl, int timeout_ms);

/*
 * True while the producer is unusable: it hit a fatal error (br_deadletter_serve replaces it) or
 * could not be restarted. The message is written to errstr. For logs and health checks.
 */
bool br_deadletter_fatal(struct br_deadletter *dl, char *errstr, size_t errstr_size);

/* The librdkafka handle (NULL while restarting), for tests and statistics only. */
rd_kafka_t *br_deadletter_handle(struct br_deadletter *dl);

/* "refused", "exhausted", "undecodable" */
const char *br_deadletter_reason_name(enum br_dead_reason reason);
/* "delivered", "dead_lettered", "dropped" */
const char *br_deadletter_outcome_name(enum br_report_outcome outcome);

/* Writes ms since the epoch as "2026-05-01T10:00:00.123Z" (UTC) into out. */
#define BR_DEADLETTER_TIME_MAX 32
void br_deadletter_format_time(int64_t ms, char out[BR_DEADLETTER_TIME_MAX]);

#endif
