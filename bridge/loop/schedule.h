#ifndef BR_SCHEDULE_H
#define BR_SCHEDULE_H
/*
 * The loop's scheduling primitives: the clocks, the jitter source, the queue of lanes with a
 * delivery that may start now, the deliveries waiting for their retry time, and each hook's
 * requests in flight against its max_in_flight (with the lanes waiting for a free slot). The
 * loop fires and drains them; finish.c, intake.c and rebalance.c make lanes ready or back
 * deliveries off. Nothing here owns a lane or a delivery: they are only linked
 * (lane->queued, lane->ready_next, lane->capped, lane->capped_next, delivery->due_ms).
 */
#include <stddef.h>
#include <stdint.h>

#include "delivery/lanes.h"

/* One hook's requests in flight, all partitions together. */
struct br_schedule_hook {
    size_t in_flight;
    size_t cap;                  /* the hook's max_in_flight; 0 = only the global cap */
    struct br_lane *capped_head; /* lanes waiting for a free slot, oldest first */
    struct br_lane *capped_tail;
};

struct br_schedule {
    struct br_lane *ready_head; /* lanes with a delivery that may start now, oldest first */
    struct br_lane *ready_tail;
    struct br_delivery **backoff; /* owned array: deliveries waiting for their retry time */
    size_t backoff_count;
    size_t backoff_cap;
    struct br_schedule_hook *hooks; /* owned, hook_count of them (none: no per-hook caps),
                                     * grown by br_schedule_set_cap */
    size_t hook_count;
    uint64_t rng;               /* xorshift64* state, never 0 */
};

int64_t br_schedule_now_ms(void);  /* monotonic */
int64_t br_schedule_wall_ms(void); /* ms since the epoch */

/* seed: any value (0 is replaced by a fixed non-zero one). */
void br_schedule_init(struct br_schedule *schedule, uint64_t seed);
void br_schedule_finish(struct br_schedule *schedule);

/*
 * The cap of hook (a hook slot, loop/hooks.h): its max_in_flight, 0 or less for no cap of its
 * own. The table grows to hold hook; the loop sets it for each new slot and again when a
 * reload changes the hook. A raised cap makes the lanes waiting for a slot ready; a lowered
 * one lets the requests in flight finish and starts none until they are below it.
 */
void br_schedule_set_cap(struct br_schedule *schedule, size_t hook, long max_in_flight);
/* br_schedule_set_cap of hooks[i].max_in_flight for slots 0 .. hook_count - 1. */
void br_schedule_set_hooks(struct br_schedule *schedule, const struct br_conf_hook *hooks,
                           size_t hook_count);

/* Jitter only, not security. */
uint64_t br_schedule_random(struct br_schedule *schedule);

/*
 * Queues lane at the tail of the ready queue, unless it is queued already, has nothing that
 * may start now (br_lane_next), or its partition is revoked.
 */
void br_schedule_ready(struct br_schedule *schedule, struct br_lane *lane);
/* Takes the oldest ready lane off the queue, or NULL. */
struct br_lane *br_schedule_pop(struct br_schedule *schedule);

/*
 * delivery (made waiting with br_lane_retry) may start again at due_ms (monotonic):
 * br_schedule_fire wakes it and makes its lane ready then.
 */
void br_schedule_backoff(struct br_schedule *schedule, struct br_delivery *delivery,
                         int64_t due_ms);
/* Takes delivery out of the backoff list (it leaves its lane before its retry time). */
void br_schedule_unback(struct br_schedule *schedule, const struct br_delivery *delivery);
/* Wakes the deliveries whose retry time has come and queues their lanes; returns ms to the
 * next one (INT64_MAX when none waits). */
int64_t br_schedule_fire(struct br_schedule *schedule, int64_t now_ms);

/*
 * May lane start one more request of its hook? false when the hook has max_in_flight requests
 * in flight: the lane then waits for br_schedule_ended of that hook, which makes it ready.
 */
bool br_schedule_may_start(struct br_schedule *schedule, struct br_lane *lane);
/* A request of hook started. */
void br_schedule_started(struct br_schedule *schedule, size_t hook);
/* A request of hook ended (finished or cancelled): every lane waiting for a slot of it is
 * made ready (each starts one or waits again). */
void br_schedule_ended(struct br_schedule *schedule, size_t hook);

/*
 * Forgets every lane of partition: off the ready queue and the hooks' slot waits, its
 * deliveries out of the backoff list.
 */
void br_schedule_forget(struct br_schedule *schedule, const struct br_partition *partition);

#endif
