#ifndef BR_HEALTH_H
#define BR_HEALTH_H
/*
 * Per-hook health. After `threshold` consecutive failed attempts (on any of its lanes) a hook
 * is open: one lane at a time may send (the probe); every other lane of the hook that wants to
 * start is parked until the probe succeeds, which closes the hook and releases them all. So a
 * dead endpoint sees one request per backoff period, not one per partition.
 */
#include <stdbool.h>
#include <stddef.h>

struct br_lane;

struct br_health {
    unsigned failures;       /* consecutive failed attempts */
    bool open;
    struct br_lane *probe;   /* the lane allowed to send while open, or NULL */
    struct br_lane **parked; /* owned array of lanes waiting for the hook to close */
    size_t parked_count;
    size_t parked_cap;
};

void br_health_init(struct br_health *health);
void br_health_finish(struct br_health *health);

/*
 * May lane start its head now? Always while closed. While open: the probe may; if there is no
 * probe, lane becomes it; any other lane is parked (and must not start) and false is returned.
 */
bool br_health_may_start(struct br_health *health, struct br_lane *lane);

/* A request of lane succeeded: the hook closes. Returns true when lanes were parked: take them
 * with br_health_unpark and make them ready. */
bool br_health_success(struct br_health *health, struct br_lane *lane);

/* A request of lane failed; threshold 0 means never open. */
void br_health_failure(struct br_health *health, struct br_lane *lane, unsigned threshold);

/*
 * lane will not send its current head any more (done, dead-lettered, or revoked): if it was the
 * probe, the probe is released. Returns a parked lane to make ready as the next probe, or NULL.
 */
struct br_lane *br_health_release(struct br_health *health, struct br_lane *lane);

/* Takes one parked lane (the oldest), or NULL. */
struct br_lane *br_health_unpark(struct br_health *health);

/*
 * Forgets lane entirely (its partition is going away). When the hook is then open with no probe
 * (lane was the probe, or the lane that would have become it was forgotten just before), returns
 * a parked lane to make ready as the next probe, or NULL: else nothing would ever release them.
 */
struct br_lane *br_health_forget(struct br_health *health, struct br_lane *lane);

#endif
