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

void br_schedule_finish(struct br_schedule *schedule)
{
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
    if (lane->queued || lane->in_flight || !lane->head || lane->partition->revoked) {
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

void br_schedule_backoff(struct br_schedule *schedule, struct br_lane *lane, int64_t due_ms)
{
    lane->due_ms = due_ms;
    if (schedule->backoff_count == schedule->backoff_cap) {
        size_t cap = schedule->backoff_cap ? schedule->backoff_cap * 2 : 16;
        struct br_lane **grown = realloc(schedule->backoff, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        schedule->backoff = grown;
        schedule->backoff_cap = cap;
    }
    schedule->backoff[schedule->backoff_count++] = lane;
}

int64_t br_schedule_fire(struct br_schedule *schedule, int64_t now_ms)
{
    int64_t next = INT64_MAX;
    size_t kept = 0;

    for (size_t i = 0; i < schedule->backoff_count; i++) {
        struct br_lane *lane = schedule->backoff[i];
        if (lane->due_ms <= now_ms) {
            br_schedule_ready(schedule, lane);
        } else {
            schedule->backoff[kept++] = lane;
            if (lane->due_ms - now_ms < next) {
                next = lane->due_ms - now_ms;
            }
        }
    }
    schedule->backoff_count = kept;
    return next;
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
        if (schedule->backoff[i]->partition != partition) {
            schedule->backoff[kept++] = schedule->backoff[i];
        }
    }
    schedule->backoff_count = kept;
}
