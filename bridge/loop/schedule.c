#include "loop/schedule.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

int64_t br_schedule_now_ms(void)
{
    return br_clock_monotonic_ms();
}

int64_t br_schedule_wall_ms(void)
{
    return br_clock_wall_ms();
}

void br_schedule_init(struct br_schedule *schedule, uint64_t seed)
{
    memset(schedule, 0, sizeof(*schedule));
    schedule->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static void release_capped(struct br_schedule *schedule, size_t hook);

void br_schedule_set_cap(struct br_schedule *schedule, size_t hook, long max_in_flight)
{
    size_t cap = max_in_flight > 0 ? (size_t)max_in_flight : 0;

    if (hook >= schedule->hook_count) {
        struct br_schedule_hook *grown =
            realloc(schedule->hooks, (hook + 1) * sizeof(*schedule->hooks));
        if (!grown) {
            abort();
        }
        memset(&grown[schedule->hook_count], 0,
               (hook + 1 - schedule->hook_count) * sizeof(*grown));
        schedule->hooks = grown;
        schedule->hook_count = hook + 1;
    }
    if (schedule->hooks[hook].cap == cap) {
        return;
    }
    schedule->hooks[hook].cap = cap;
    /* a cap raised or lifted: the lanes that waited for a slot try again (a lowered one lets
     * the requests in flight finish; no new one starts until they are below it) */
    release_capped(schedule, hook);
}

void br_schedule_set_hooks(struct br_schedule *schedule, const struct br_conf_hook *hooks,
                           size_t hook_count)
{
    for (size_t i = 0; i < hook_count; i++) {
        br_schedule_set_cap(schedule, i, hooks[i].max_in_flight);
    }
}

void br_schedule_finish(struct br_schedule *schedule)
{
    free(schedule->hooks);
    free(schedule->backoff);
    memset(schedule, 0, sizeof(*schedule));
}

uint64_t br_schedule_random(struct br_schedule *schedule)
{
    /* xorshift64* */
    schedule->rng ^= schedule->rng >> 12;
    schedule->rng ^= schedule->rng << 25;
    schedule->rng ^= schedule->rng >> 27;
    return schedule->rng * 2685821657736338717ULL;
}

void br_schedule_ready(struct br_schedule *schedule, struct br_lane *lane)
{
    if (lane->queued || !br_lane_next(lane) || lane->partition->revoked) {
        return;
    }
    lane->queued = true;
    lane->ready_next = NULL;
    if (schedule->ready_tail) {
        schedule->ready_tail->ready_next = lane;
    } else {
        schedule->ready_head = lane;
    }
    schedule->ready_tail = lane;
}

struct br_lane *br_schedule_pop(struct br_schedule *schedule)
{
    struct br_lane *lane = schedule->ready_head;

    if (lane) {
        schedule->ready_head = lane->ready_next;
        if (!schedule->ready_head) {
            schedule->ready_tail = NULL;
        }
        lane->queued = false;
        lane->ready_next = NULL;
    }
    return lane;
}

void br_schedule_backoff(struct br_schedule *schedule, struct br_delivery *delivery,
                         int64_t due_ms)
{
    delivery->due_ms = due_ms;
    if (schedule->backoff_count == schedule->backoff_cap) {
        size_t cap = schedule->backoff_cap ? schedule->backoff_cap * 2 : 16;
        struct br_delivery **grown = realloc(schedule->backoff, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        schedule->backoff = grown;
        schedule->backoff_cap = cap;
    }
    schedule->backoff[schedule->backoff_count++] = delivery;
}

int64_t br_schedule_fire(struct br_schedule *schedule, int64_t now_ms)
{
    int64_t next = INT64_MAX;
    size_t kept = 0;

    for (size_t i = 0; i < schedule->backoff_count; i++) {
        struct br_delivery *delivery = schedule->backoff[i];
        if (delivery->due_ms <= now_ms) {
            br_lane_wake(delivery->lane, delivery);
            br_schedule_ready(schedule, delivery->lane);
        } else {
            schedule->backoff[kept++] = delivery;
            if (delivery->due_ms - now_ms < next) {
                next = delivery->due_ms - now_ms;
            }
        }
    }
    schedule->backoff_count = kept;
    return next;
}

bool br_schedule_may_start(struct br_schedule *schedule, struct br_lane *lane)
{
    struct br_schedule_hook *hook;

    if (lane->hook_index >= schedule->hook_count) {
        return true;
    }
    hook = &schedule->hooks[lane->hook_index];
    if (hook->cap == 0 || hook->in_flight < hook->cap) {
        return true;
    }
    if (!lane->capped) {
        lane->capped = true;
        lane->capped_next = NULL;
        if (hook->capped_tail) {
            hook->capped_tail->capped_next = lane;
        } else {
            hook->capped_head = lane;
        }
        hook->capped_tail = lane;
    }
    return false;
}

void br_schedule_started(struct br_schedule *schedule, size_t hook)
{
    if (hook < schedule->hook_count) {
        schedule->hooks[hook].in_flight++;
    }
}

/* Every lane waiting for a slot of hook is made ready (each starts one or waits again). */
static void release_capped(struct br_schedule *schedule, size_t hook)
{
    struct br_lane *lane = schedule->hooks[hook].capped_head;

    schedule->hooks[hook].capped_head = NULL;
    schedule->hooks[hook].capped_tail = NULL;
    while (lane) {
        struct br_lane *next = lane->capped_next;
        lane->capped = false;
        lane->capped_next = NULL;
        br_schedule_ready(schedule, lane);
        lane = next;
    }
}

void br_schedule_ended(struct br_schedule *schedule, size_t hook)
{
    if (hook >= schedule->hook_count) {
        return;
    }
    if (schedule->hooks[hook].in_flight > 0) {
        schedule->hooks[hook].in_flight--;
    }
    release_capped(schedule, hook);
}

void br_schedule_unback(struct br_schedule *schedule, const struct br_delivery *delivery)
{
    for (size_t i = 0; i < schedule->backoff_count; i++) {
        if (schedule->backoff[i] == delivery) {
            memmove(&schedule->backoff[i], &schedule->backoff[i + 1],
                    (schedule->backoff_count - i - 1) * sizeof(*schedule->backoff));
            schedule->backoff_count--;
            return;
        }
    }
}

void br_schedule_forget(struct br_schedule *schedule, const struct br_partition *partition)
{
    struct br_lane *keep_head = NULL;
    struct br_lane *keep_tail = NULL;
    struct br_lane *lane;
    size_t kept = 0;

    while ((lane = br_schedule_pop(schedule)) != NULL) {
        if (lane->partition == partition) {
            continue;
        }
        if (keep_tail) {
            keep_tail->ready_next = lane;
        } else {
            keep_head = lane;
        }
        keep_tail = lane;
        lane->queued = true;
    }
    schedule->ready_head = keep_head;
    schedule->ready_tail = keep_tail;
    for (size_t i = 0; i < schedule->backoff_count; i++) {
        if (schedule->backoff[i]->lane->partition != partition) {
            schedule->backoff[kept++] = schedule->backoff[i];
        }
    }
    schedule->backoff_count = kept;
    for (size_t i = 0; i < schedule->hook_count; i++) {
        struct br_schedule_hook *hook = &schedule->hooks[i];
        struct br_lane **link = &hook->capped_head;

        hook->capped_tail = NULL;
        while (*link) {
            lane = *link;
            if (lane->partition == partition) {
                *link = lane->capped_next;
                lane->capped = false;
                lane->capped_next = NULL;
            } else {
                hook->capped_tail = lane;
                link = &lane->capped_next;
            }
        }
    }
}
