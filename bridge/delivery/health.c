#include "delivery/health.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void br_health_init(struct br_health *health)
{
    memset(health, 0, sizeof(*health));
}

void br_health_finish(struct br_health *health)
{
    free(health->parked);
    memset(health, 0, sizeof(*health));
}

static bool is_parked(const struct br_health *health, const struct br_lane *lane)
{
    for (size_t i = 0; i < health->parked_count; i++) {
        if (health->parked[i] == lane) {
            return true;
        }
    }
    return false;
}

static void park(struct br_health *health, struct br_lane *lane)
{
    if (is_parked(health, lane)) {
        return;
    }
    if (health->parked_count == health->parked_cap) {
        size_t cap = health->parked_cap ? health->parked_cap * 2 : 8;
        struct br_lane **grown = realloc(health->parked, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        health->parked = grown;
        health->parked_cap = cap;
    }
    health->parked[health->parked_count++] = lane;
}

bool br_health_may_start(struct br_health *health, struct br_lane *lane)
{
    if (!health->open || health->probe == lane) {
        return true;
    }
    if (!health->probe) {
        health->probe = lane;
        return true;
    }
    park(health, lane);
    return false;
}

bool br_health_success(struct br_health *health, struct br_lane *lane)
{
    (void)lane;
    health->failures = 0;
    health->open = false;
    health->probe = NULL;
    return health->parked_count > 0;
}

void br_health_failure(struct br_health *health, struct br_lane *lane, unsigned threshold)
{
    if (health->failures < UINT32_MAX) {
        health->failures++;
    }
    if (!health->open && threshold > 0 && health->failures >= threshold) {
        health->open = true;
        health->probe = lane;
    }
}

struct br_lane *br_health_unpark(struct br_health *health)
{
    struct br_lane *lane;

    if (health->parked_count == 0) {
        return NULL;
    }
    lane = health->parked[0];
    memmove(health->parked, health->parked + 1,
            (health->parked_count - 1) * sizeof(*health->parked));
    health->parked_count--;
    return lane;
}

struct br_lane *br_health_release(struct br_health *health, struct br_lane *lane)
{
    if (health->probe != lane) {
        return NULL;
    }
    health->probe = NULL;
    return health->open ? br_health_unpark(health) : NULL;
}

struct br_lane *br_health_forget(struct br_health *health, struct br_lane *lane)
{
    size_t kept = 0;

    for (size_t i = 0; i < health->parked_count; i++) {
        if (health->parked[i] != lane) {
            health->parked[kept++] = health->parked[i];
        }
    }
    health->parked_count = kept;
    if (health->probe == lane) {
        health->probe = NULL;
    }
    return health->open && !health->probe ? br_health_unpark(health) : NULL;
}
