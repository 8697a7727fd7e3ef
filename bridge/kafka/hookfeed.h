#ifndef BR_HOOKFEED_H
#define BR_HOOKFEED_H
/*
 * The reader of PERSCOM's webhooks change topics (table_hooks.topics): a consumer of its own
 * that never joins a group (partitions are assigned, not subscribed, and nothing is committed),
 * so every bridge reads every tenant's webhooks rows, each time from the beginning (the topics
 * may be compacted: the latest row of each id, tombstones for deleted ones). It knows when it
 * has caught up: every partition that existed when it started has reached its end once. New
 * webhooks topics (a new tenant) are found by br_hookfeed_refresh (a blocking listing, for
 * commands and tests) or, in the running bridge, by a discovery thread (br_hookfeed_discover):
 * it alone makes the listing, which may wait for the brokers, and hands what it found to the
 * caller's thread, which assigns the new partitions in br_hookfeed_take_found without waiting
 * for the network.
 *
 * Threads: every function but the discovery thread's own work runs on the thread that created
 * the feed (the loop's). The thread reads the configuration's table_hooks regex and the
 * librdkafka handle (thread-safe), and shares with the caller only the found list, under a
 * mutex; it writes one byte into the wake descriptor when a listing is ready.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"

struct br_hookfeed;

/*
 * Connects with conf's brokers and kafka.properties, lists the topics that
 * table_hooks.topics matches and assigns all their partitions from the beginning. Waits up to
 * timeout_ms for the listing. Returns NULL with a message when the brokers cannot be reached.
 */
struct br_hookfeed *br_hookfeed_create(const struct br_conf *conf, int timeout_ms, char *errstr,
                                       size_t errstr_size);
/* Stops and joins the discovery thread (waiting for a listing in progress, at most its
 * timeout), then closes the consumer. Accepts NULL. */
void br_hookfeed_destroy(struct br_hookfeed *feed);

/*
 * Lists the topics again (waiting up to timeout_ms); partitions not seen before are assigned
 * from their beginning. Returns how many were added, or -1 with a message.
 */
int br_hookfeed_refresh(struct br_hookfeed *feed, int timeout_ms, char *errstr,
                        size_t errstr_size);

/*
 * Starts the discovery thread: every interval_ms it lists the topics (waiting up to timeout_ms)
 * and hands the webhooks partitions to br_hookfeed_take_found, waking the wake descriptor. A
 * failed listing is logged (warn) by the thread and tried again at the next interval. Returns
 * -1 with a message when the thread cannot be started (or already runs).
 */
int br_hookfeed_discover(struct br_hookfeed *feed, int interval_ms, int timeout_ms, char *errstr,
                         size_t errstr_size);

/*
 * The discovery thread's latest listing, if one is waiting: partitions not seen before are
 * assigned from their beginning. Never waits for the network (the assignment is handed to
 * librdkafka's own thread). Returns how many were added (0 when no listing waits), or -1 with
 * a message.
 */
int br_hookfeed_take_found(struct br_hookfeed *feed, char *errstr, size_t errstr_size);

/* Listings the discovery thread has finished, successful or not (for tests and logs). */
unsigned long br_hookfeed_discoveries(struct br_hookfeed *feed);

/* The next message (the caller destroys it), or NULL when none is waiting. Never blocks. */
rd_kafka_message_t *br_hookfeed_poll(struct br_hookfeed *feed);

/* Every partition assigned at creation has been read to its end once. */
bool br_hookfeed_caught_up(const struct br_hookfeed *feed);
/* Partitions assigned, and topics. */
size_t br_hookfeed_partitions(const struct br_hookfeed *feed);
size_t br_hookfeed_topics(const struct br_hookfeed *feed);

/* Readable when messages or a listing are waiting. br_hookfeed_take_found clears it (before it
 * looks), and br_hookfeed_poll too until the discovery thread runs; from then on the caller
 * calls take_found first in each turn, then poll: whatever comes after that clearing wakes the
 * descriptor again. */
int br_hookfeed_wake_fd(const struct br_hookfeed *feed);

#endif
