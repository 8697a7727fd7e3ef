#ifndef BR_DEADLETTER_H
#define BR_DEADLETTER_H
/*
 * The producer side of the bridge: dead-letter records and delivery-report records (their
 * formats are fixed by the contract of issue 3: see dlrecord.h).
 *
 * One idempotent librdkafka producer (enable.idempotence=true, acks=all) on the consumer's
 * brokers, with the kafka.properties that apply to a producer (consumer-only ones are skipped
 * with a debug log; dlconf.h has the rules). Everything here runs on the loop's thread:
 * librdkafka's delivery reports wait in its main queue, which wakes a descriptor the loop polls,
 * and are handed out by br_deadletter_serve (or _flush, _destroy). No callback ever runs on a
 * librdkafka thread.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "kafka/dlrecord.h"

struct br_deadletter;

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
 * Produces rec to dlq_topic (key and value unchanged, headers perscom.*: br_dlrecord_headers).
 * Returns 0: done will be called exactly once later. Returns -1 at once with a message, and never
 * calls done, when the record cannot even be queued (local queue full, record larger than
 * message.max.bytes, fatal producer error): the caller keeps the message and tries again later.
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
 * Serves waiting delivery reports without blocking (done callbacks run here). Each loop turn.
 * After a fatal producer error it fails every outstanding record (done with ok = false) and
 * starts a fresh producer: at once, then with backoff while fresh ones fail too (5 s doubling
 * to 60 s, dlrestart.h), for as long as it takes. A done callback may call _send or _report,
 * never _serve, _flush or _destroy.
 */
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
 * True from a fatal producer error until a restarted producer has proven itself (a record
 * acknowledged, or BR_DLRESTART_SETTLE_MS without a fatal error); records cannot be produced
 * meanwhile, or not surely. A one-line status for /readyz ("dead-letter producer failing for
 * 12 s (2 restart(s), next in 3 s, ...): <librdkafka's reason>") is written to errstr unless it
 * is NULL.
 */
bool br_deadletter_failing(struct br_deadletter *dl, char *errstr, size_t errstr_size);

/*
 * True once the producer has been failing for dead_letter.producer_failure_exit_ms (never when
 * that is 0): the bridge should stop with an error. Decided by br_deadletter_serve.
 */
bool br_deadletter_gave_up(const struct br_deadletter *dl);

/* Restarts of the producer since creation (the metric deadletter_producer_restarts_total). */
uint64_t br_deadletter_restarts(const struct br_deadletter *dl);

/* The librdkafka handle (NULL while restarting), for tests and statistics only. */
rd_kafka_t *br_deadletter_handle(struct br_deadletter *dl);

#endif
