/*
 * The loop's side of the live hook set (see hooks.h): per-slot state grown with the set, the
 * routing view, removed hooks' deliveries settled, changed hooks' requests built again.
 */
#include "loop/hooks.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "delivery/ackmeta.h"
#include "delivery/rebuild.h"
#include "loop/finish.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

static void grow_array(void **array, size_t count, size_t size)
{
    void *grown = realloc(*array, (count ? count : 1) * size);

    if (!grown) {
        abort();
    }
    *array = grown;
}

/* Health, progress ids, scratch and metrics for the slots given out since last time. */
static void grow_slots(struct br_loop *loop)
{
    size_t slots = br_hookset_slots(loop->hookset);
    size_t old = loop->hook_slots;

    if (slots <= old) {
        return;
    }
    grow_array((void **)&loop->health, slots, sizeof(*loop->health));
    grow_array((void **)&loop->hook_ids, slots, sizeof(*loop->hook_ids));
    grow_array((void **)&loop->progress_hooks, slots, sizeof(*loop->progress_hooks));
    grow_array((void **)&loop->inherit_hooks, slots, sizeof(*loop->inherit_hooks));
    for (size_t i = old; i < slots; i++) {
        const char *name = br_hookset_id(loop->hookset, i);

        br_health_init(&loop->health[i]);
        memset(&loop->progress_hooks[i], 0, sizeof(loop->progress_hooks[i]));
        loop->hook_ids[i] = br_ackmeta_hook_id(name);
        for (size_t j = 0; j < i; j++) {
            if (loop->hook_ids[i] != 0 && br_ackmeta_hook_id(br_hookset_id(loop->hookset, j)) ==
                                              loop->hook_ids[i]) {
                br_log_warn("commit", "hooks %s and %s share a progress id: their progress is "
                            "not recorded with commits (rename one)",
                            br_hookset_id(loop->hookset, j), name);
                loop->hook_ids[i] = 0;
                loop->hook_ids[j] = 0;
            }
        }
        if (loop->metrics) {
            br_metrics_hook_add(loop->metrics, name);
        }
    }
    loop->hook_slots = slots;
}

/* The live hooks, in slot order: what a message read from now on may go to. */
static void rebuild_route(struct br_loop *loop)
{
    size_t count = 0;

    grow_array((void **)&loop->route_hooks, loop->hook_slots, sizeof(*loop->route_hooks));
    grow_array((void **)&loop->route_slots, loop->hook_slots, sizeof(*loop->route_slots));
    grow_array((void **)&loop->route_groups, loop->hook_slots, sizeof(*loop->route_groups));
    grow_array((void **)&loop->tenant_hooks, loop->hook_slots, sizeof(*loop->tenant_hooks));
    grow_array((void **)&loop->tenant_slots, loop->hook_slots, sizeof(*loop->tenant_slots));
    loop->route_grouped = 0;
    for (size_t i = 0; i < loop->hook_slots; i++) {
        struct br_hook *hook = br_hookset_current(loop->hookset, i);

        if (hook) {
            loop->route_hooks[count] = hook->conf;
            loop->route_groups[count] = br_hookset_group(loop->hookset, i);
            loop->route_grouped += loop->route_groups[count] ? 1 : 0;
            loop->route_slots[count++] = i;
        }
    }
    loop->route_count = count;
    if (loop->metrics) {
        br_metrics_set(loop->metrics, BR_METRIC_HOOKS, (int64_t)count);
    }
}

static void forget_in_sender(void *opaque, const struct br_conf_hook *conf)
{
    struct br_loop *loop = opaque;

    br_sender_forget_hook(loop->sender, conf);
}

void br_hooks_init(struct br_loop *loop)
{
    loop->hookset = br_hookset_create(forget_in_sender, loop);
    for (size_t i = 0; i < loop->conf->hook_count; i++) {
        size_t slot;
        /* borrowed: the start-up configuration outlives the loop */
        br_hookset_put(loop->hookset, loop->conf->hooks[i].name,
                       (struct br_conf_hook *)&loop->conf->hooks[i], false, NULL, &slot);
        br_schedule_set_cap(&loop->schedule, slot, loop->conf->hooks[i].max_in_flight);
    }
    grow_slots(loop);
    rebuild_route(loop);
}

void br_hooks_finish(struct br_loop *loop)
{
    for (size_t i = 0; i < loop->hook_slots; i++) {
        br_health_finish(&loop->health[i]);
    }
    br_hookset_destroy(loop->hookset);
    loop->hookset = NULL;
    free(loop->route_hooks);
    free(loop->route_slots);
    free(loop->route_groups);
    free(loop->tenant_hooks);
    free(loop->tenant_slots);
    loop->route_hooks = NULL;
    loop->route_slots = NULL;
    loop->route_groups = NULL;
    loop->tenant_hooks = NULL;
    loop->tenant_slots = NULL;
    loop->route_count = 0;
}

const struct br_conf_hook *br_hooks_conf(const struct br_loop *loop, size_t slot)
{
    struct br_hook *hook = br_hookset_current(loop->hookset, slot);

    return hook ? hook->conf : NULL;
}

const char *br_hooks_ordering_name(enum br_ordering ordering)
{
    static const char *const names[] = {"partition", "key", "none"};

    return (unsigned)ordering < 3 ? names[ordering] : "?";
}

const char *br_hooks_name(const struct br_loop *loop, size_t slot)
{
    const char *name = br_hookset_id(loop->hookset, slot);

    return name ? name : "?";
}

void br_hooks_route(struct br_loop *loop, const char *tenant, struct br_hook_list *out,
                    const size_t **slots)
{
    size_t count = 0;

    if (loop->route_grouped == 0) {
        out->hooks = loop->route_hooks;
        out->count = loop->route_count;
        *slots = loop->route_slots;
        return;
    }
    /* a tenant's table hooks get that tenant's record changes only */
    for (size_t i = 0; i < loop->route_count; i++) {
        const char *group = loop->route_groups[i];

        if (!group || (tenant && strcmp(group, tenant) == 0)) {
            loop->tenant_hooks[count] = loop->route_hooks[i];
            loop->tenant_slots[count++] = loop->route_slots[i];
        }
    }
    out->hooks = loop->tenant_hooks;
    out->count = count;
    *slots = loop->tenant_slots;
}

size_t br_hooks_count_group(const struct br_loop *loop, const char *group)
{
    size_t count = 0;

    for (size_t i = 0; i < loop->route_count; i++) {
        if (loop->route_groups[i] && strcmp(loop->route_groups[i], group) == 0) {
            count++;
        }
    }
    return count;
}

struct br_hook *br_hooks_take(struct br_loop *loop, size_t slot)
{
    struct br_hook *hook = br_hookset_current(loop->hookset, slot);

    return hook ? br_hook_ref(hook) : NULL;
}

enum br_hookset_change br_hooks_put(struct br_loop *loop, const char *id,
                                    struct br_conf_hook *conf, bool owned, const char *group)
{
    size_t slot;
    enum br_hookset_change change = br_hookset_put(loop->hookset, id, conf, owned, group, &slot);

    if (change == BR_HOOKSET_UNCHANGED) {
        return change;
    }
    grow_slots(loop);
    rebuild_route(loop);
    /* its max_in_flight from now on; its ordering for each lane made or emptied from now on */
    br_schedule_set_cap(&loop->schedule, slot, conf->max_in_flight);
    br_log_info("hooks", "hook %s %s (ordering %s, at most %ld request(s) in flight)", id,
                change == BR_HOOKSET_ADDED ? "added" : "changed: its queued deliveries go out in "
                "order under the new settings", br_hooks_ordering_name(conf->ordering),
                conf->max_in_flight);
    return change;
}

/*
 * Every queued delivery of slot settles as hook_deleted. A request in flight is let finish: the
 * receiver may have it already, so its outcome is what it is (delivered, or hook_deleted if it
 * fails: finish.c does not try a removed hook again).
 */
static void purge(struct br_loop *loop, size_t slot)
{
    size_t count = 0;

    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        struct br_lane *lane;

        if (slot >= partition->lane_count || !partition->lanes[slot]) {
            continue;
        }
        lane = partition->lanes[slot];
        /* what is in flight stays (it finishes in finish.c); the rest leaves, waiting or not */
        for (struct br_delivery *next, *delivery = lane->head; delivery; delivery = next) {
            next = delivery->next;
            if (delivery->in_flight) {
                continue;
            }
            if (delivery->waiting) {
                br_schedule_unback(&loop->schedule, delivery);
            }
            br_lane_remove(lane, delivery);
            br_finish_hook_deleted(loop, delivery);
            count++;
        }
    }
    /* nothing of it will start again: whatever probe or parked lane its health had is moot */
    br_health_finish(&loop->health[slot]);
    br_health_init(&loop->health[slot]);
    if (count > 0) {
        br_log_info("hooks", "hook %s removed: %zu queued delivery(ies) not sent (outcome "
                    "hook_deleted)", br_hooks_name(loop, slot), count);
    } else {
        br_log_info("hooks", "hook %s removed", br_hooks_name(loop, slot));
    }
}

bool br_hooks_remove(struct br_loop *loop, const char *id)
{
    size_t slot;

    if (!br_hookset_remove(loop->hookset, id, &slot)) {
        return false;
    }
    rebuild_route(loop);
    purge(loop, slot);
    return true;
}

bool br_hooks_refresh(struct br_loop *loop, struct br_delivery *delivery)
{
    struct br_lane *lane = delivery->lane;
    struct br_hook *current = br_hookset_current(loop->hookset, lane->hook_index);
    const char *json;
    size_t json_len;
    char errstr[256];

    if (!current) {
        return false;
    }
    if (!delivery->hook || delivery->hook == current) {
        return true;
    }
    if (delivery->request.method == BR_METHOD_POST) {
        json = delivery->request.body;
        json_len = delivery->request.body_len;
    } else {
        json = delivery->message->json;
        json_len = delivery->message->json_len;
    }
    if (br_request_rebuild(current->conf, json, json_len, (size_t)loop->conf->max_body_bytes,
                           loop->signer, &delivery->request, errstr, sizeof(errstr)) != 0) {
        /* cannot happen with a payload the bridge wrote; never lose the delivery for it */
        br_log_warn("hooks", "%s [%d] @%lld -> %s: the request cannot be built under the hook's "
                    "new settings (%s): sent under its previous ones",
                    lane->partition->topic, lane->partition->id,
                    (long long)delivery->message->offset, br_hooks_name(loop, lane->hook_index),
                    errstr);
        return true;
    }
    delivery->request.hook = current->conf;
    br_hook_release(delivery->hook);
    delivery->hook = br_hook_ref(current);
    return true;
}
