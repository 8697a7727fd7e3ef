#ifndef BR_TABLEFEED_H
#define BR_TABLEFEED_H
/*
 * The table hooks (table_hooks): PERSCOM's webhooks rows, read from their change topics
 * (kafka/hookfeed.h) and decoded (avro/hookrow.h), applied to the live hook set (loop/hooks.h)
 * with the tenant as the hook's group, so that each tenant's hooks get that tenant's record
 * changes only. At start the webhooks topics are read from the beginning before the consumer
 * joins its group: the bridge is not ready, and reads no record topic, until it has caught up.
 * Afterwards every created, updated or deleted row adds, changes or removes its hook.
 * A table hook's delivery settings (delivery.*: retry policy, TLS floor, max_in_flight) are
 * those of the configuration last loaded: the start-up one, then each reloaded one.
 */
#include "config/conf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_loop;

/* Starts reading the webhooks topics (nothing without table_hooks: caught up at once). */
int br_tablefeed_start(struct br_loop *loop, char *errstr, size_t errstr_size);
void br_tablefeed_stop(struct br_loop *loop);

/*
 * Once per turn: applies what the webhooks topics have; when the start-up read is complete,
 * subscribes the consumer (loop->fatal on failure). Returns ms until it needs a turn again.
 */
int64_t br_tablefeed_poll(struct br_loop *loop, int64_t now_ms);

/*
 * After a reload of fresh (still owned by the caller; read only during the call): every live
 * table hook built again under fresh's delivery settings, a new version where they changed
 * (its queued deliveries built again when they start, its requests in flight let finish).
 * Rows applied afterwards use the configuration loop->reload_conf (fresh, once the caller
 * stored it). Returns the table hooks changed; *failed counts those that could not be built
 * again (they keep their settings; logged).
 */
size_t br_tablefeed_reload(struct br_loop *loop, const struct br_conf *fresh, size_t *failed);

/* The descriptor that is readable when webhooks messages wait, or -1. */
int br_tablefeed_wake_fd(const struct br_loop *loop);

#endif
