/* The admin listener's deadlines and eviction order, without I/O (see conns.h). */
#include "ops/conns.h"

#include <stdbool.h>

static int64_t earlier(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t br_conns_deadline(const struct br_conns_slot *slot,
                          const struct br_conns_timeouts *timeouts)
{
    switch (slot->state) {
    case BR_CONNS_READING:
        return earlier(slot->accepted_ms + timeouts->header_timeout_ms,
                       slot->active_ms + timeouts->idle_timeout_ms);
    case BR_CONNS_WRITING:
        return slot->active_ms + timeouts->idle_timeout_ms;
    case BR_CONNS_LINGER:
        return slot->active_ms + timeouts->linger_ms;
    case BR_CONNS_FREE:
    default:
        return INT64_MAX;
    }
}

size_t br_conns_free(const struct br_conns_slot *slots, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (slots[i].state == BR_CONNS_FREE) {
            return i;
        }
    }
    return count;
}

size_t br_conns_victim(const struct br_conns_slot *slots, size_t count)
{
    size_t victim = count;
    bool victim_linger = false;

    for (size_t i = 0; i < count; i++) {
        bool linger = slots[i].state == BR_CONNS_LINGER;

        if (slots[i].state == BR_CONNS_FREE) {
            continue;
        }
        if (victim == count || (linger && !victim_linger) ||
            (linger == victim_linger && slots[i].serial < slots[victim].serial)) {
            victim = i;
            victim_linger = linger;
        }
    }
    return victim;
}
