#ifndef BR_LOOP_HOOKS_H
#define BR_LOOP_HOOKS_H
/*
 * The loop's side of the live hook set (delivery/hookset.h): what follows when hooks are added,
 * changed or removed while running. A new slot gets its lanes (grown in each partition when
 * first used), health, metrics series and progress id; the hooks a message goes to are the live
 * ones when it is read (the routing view); a removed hook's queued deliveries are not sent,
 * each settled with outcome hook_deleted; a changed hook's queued deliveries stay in order and
 * are built again under its settings when they start. A slot's max_in_flight follows its hook
 * at once (loop/schedule.h); its ordering applies to each lane made, or found empty, when a
 * delivery is queued (delivery/lanes.h, br_lane_set_ordering).
 */
#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "delivery/lanes.h"
#include "loop/message.h"

struct br_loop;

/* The start-up configuration's hooks (borrowed: the configuration outlives the loop). */
void br_hooks_init(struct br_loop *loop);
/* Drops the set (call after every delivery and dead letter is gone, before the sender). */
void br_hooks_finish(struct br_loop *loop);

/* The current settings of slot, or NULL when its hook is removed. */
const struct br_conf_hook *br_hooks_conf(const struct br_loop *loop, size_t slot);
/* "partition", "key" or "none". */
const char *br_hooks_ordering_name(enum br_ordering ordering);
/* The name of slot's hook (its identity; valid while the loop lives). */
const char *br_hooks_name(const struct br_loop *loop, size_t slot);

/*
 * Puts or removes hooks through these two; each keeps the loop's per-slot state in step.
 * br_hooks_put takes conf when owned (see br_hookset_put) and returns what changed.
 */
enum br_hookset_change br_hooks_put(struct br_loop *loop, const char *id,
                                    struct br_conf_hook *conf, bool owned, const char *group);
/* Removes id: its queued deliveries settle as hook_deleted at once; a request in flight
 * finishes (delivered, or hook_deleted when it fails). Returns false when id is not live. */
bool br_hooks_remove(struct br_loop *loop, const char *id);

/*
 * Before delivery starts: when its hook changed since its request was built, builds the request
 * again under the current settings. Returns false when the hook is removed (nothing to send).
 */
bool br_hooks_refresh(struct br_loop *loop, struct br_delivery *delivery);

/*
 * The hooks a message of a topic of tenant (NULL: no tenant) goes to now: the YAML hooks, and
 * the table hooks of that tenant. *slots[i] is the slot of out->hooks[i]. Valid until the next
 * call or change.
 */
void br_hooks_route(struct br_loop *loop, const char *tenant, struct br_hook_list *out,
                    const size_t **slots);

/* Live hooks whose group is group (a tenant's table hooks). */
size_t br_hooks_count_group(const struct br_loop *loop, const char *group);

/* The hook version a new delivery of slot holds (a new reference), or NULL when removed. */
struct br_hook *br_hooks_take(struct br_loop *loop, size_t slot);

#endif
