#ifndef BR_SCHEDULE_H
#define BR_SCHEDULE_H
/*
 * The loop's scheduling primitives: the clocks, the jitter source, the queue of lanes whose head
 * may start now, and the lanes waiting for their retry time. The loop fires and drains them;
 * finish.c, intake.c and rebalance.c make lanes ready or back them off. Nothing here owns a
 * lane: a lane is only linked (lane->queued, lane->ready_next, lane->due_ms).
 */
#include <stddef.h>
#include <stdint.h>

#include "delivery/lanes.h"

struct br_schedule {
    struct br_lane *ready_head; /* lanes whose head may start now, oldest first */
    struct br_lane *ready_tail;
    struct br_lane **backoff;   /* owned array: lanes waiting for their retry time */
    size_t backoff_count;
    size_t backoff_cap;
    uint64_t rng;               /* xorshift64* state, never 0 */
};

int64_t br_schedule_now_ms(void);  /* monotonic */
int64_t br_schedule_wall_ms(void); /* ms since the epoch */

/* seed: any value (0 is replaced by a fixed non-zero one). */
void br_schedule_init(struct br_schedule *schedule, uint64_t seed);
void br_schedule_finish(struct br_schedule *schedule);

/* Jitter only, not security. */
uint64_t br_schedule_random(struct br_schedule *schedule);

/*
 * Queues lane at the tail of the ready queue, unless it is queued already, in flight, has no
 * head, or its partition is revoked.
 */
void br_schedule_ready(struct br_schedule *schedule, struct br_lane *lane);
/* Takes the oldest ready lane off the queue, or NULL. */
struct br_lane *br_schedule_pop(struct br_schedule *schedule);

/* lane's head may start again at due_ms (monotonic): br_schedule_fire makes it ready then. */
void br_schedule_backoff(struct br_schedule *schedule, struct br_lane *lane, int64_t due_ms);
/* Moves lanes whose retry time has come to the ready queue; returns ms to the next one
 * (INT64_MAX when none waits). */
int64_t br_schedule_fire(struct br_schedule *schedule, int64_t now_ms);

/* Forgets every lane of partition: off the ready queue and out of the backoff list. */
void br_schedule_forget(struct br_schedule *schedule, const struct br_partition *partition);

#endif
