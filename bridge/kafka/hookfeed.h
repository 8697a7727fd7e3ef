#ifndef BR_HOOKFEED_H
#define BR_HOOKFEED_H
/*
 * The reader of PERSCOM's webhooks change topics (table_hooks.topics): a consumer of its own
 * that never joins a group (partitions are assigned, not subscribed, and nothing is committed),
 * so every bridge reads every tenant's webhooks rows, each time from the beginning (the topics
 * may be compacted: the latest row of each id, tombstones for deleted ones). It knows when it
 * has caught up: every partition that existed when it started has reached its end once. New
 * webhooks topics (a new tenant) are found by br_hookfeed_refresh and read from their beginning.
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
void br_hookfeed_destroy(struct br_hookfeed *feed);

/*
 * Lists the topics again (waiting up to timeout_ms); partitions not seen before are assigned
 * from their beginning. Returns how many were added, or -1 with a message.
 */
int br_hookfeed_refresh(struct br_hookfeed *feed, int timeout_ms, char *errstr,
                        size_t errstr_size);

/* The next message (the caller destroys it), or NULL when none is waiting. Never blocks. */
rd_kafka_message_t *br_hookfeed_poll(struct br_hookfeed *feed);

/* Every partition assigned at creation has been read to its end once. */
bool br_hookfeed_caught_up(const struct br_hookfeed *feed);
/* Partitions assigned, and topics. */
size_t br_hookfeed_partitions(const struct br_hookfeed *feed);
size_t br_hookfeed_topics(const struct br_hookfeed *feed);

/* Readable when messages are waiting; br_hookfeed_poll clears it. */
int br_hookfeed_wake_fd(const struct br_hookfeed *feed);

#endif
