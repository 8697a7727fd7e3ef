#ifndef BR_INHERIT_H
#define BR_INHERIT_H
/*
 * A newly assigned partition's inheritance: the per-hook progress its previous owner committed
 * with its offset (loop/commit.c, delivery/ackmeta.h). Read once at the assignment, in the
 * rebalance callback, with rd_kafka_committed (a blocking call, bounded by
 * BR_INHERIT_TIMEOUT_MS): the loop takes the partition's messages only after the callback
 * returns, so none is delivered before its inheritance is known. Then, for each message taken,
 * the requests of hooks that had already acknowledged it are not sent: they count as done at
 * once.
 */
#include <stddef.h>
#include <stdint.h>

#include "delivery/lanes.h"
#include "loop/message.h"

#define BR_INHERIT_TIMEOUT_MS 5000

struct br_loop;

/*
 * Reads the committed offset and metadata of each of partitions (newly assigned) and keeps
 * what their previous owners recorded. On any failure a partition inherits nothing: its
 * deliveries after the committed offset are all sent (at least once, as without progress).
 */
void br_inherit_load(struct br_loop *loop, struct br_partition **partitions, size_t count);

/*
 * Removes from prepared (and frees) the requests of hooks that had acknowledged offset on
 * partition. Returns how many; their hooks are kept for br_inherit_ack until the next call.
 */
size_t br_inherit_take(struct br_loop *loop, struct br_partition *partition, int64_t offset,
                       struct br_prepared *prepared);

/* Records the skipped hooks of the last br_inherit_take as acknowledging message seq. */
void br_inherit_ack(struct br_loop *loop, struct br_partition *partition, uint64_t seq,
                    size_t skipped);

/* Logs what partition's inheritance saved and frees it (its partition is done with it). */
void br_inherit_forget(struct br_partition *partition);

#endif
