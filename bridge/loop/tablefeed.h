#ifndef BR_TABLEFEED_H
#define BR_TABLEFEED_H
/*
 * The table hooks (table_hooks): PERSCOM's webhooks rows, read from their change topics
 * (kafka/hookfeed.h) and decoded (avro/hookrow.h), applied to the live hook set (loop/hooks.h)
 * with the tenant as the hook's group, so that each tenant's hooks get that tenant's record
 * changes only. At start the webhooks topics are read from the beginning before the consumer
 * joins its group: the bridge is not ready, and reads no record topic, until it has caught up.
 * Afterwards every created, updated or deleted row adds, changes or removes its hook.
 */
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

/* The descriptor that is readable when webhooks messages wait, or -1. */
int br_tablefeed_wake_fd(const struct br_loop *loop);

#endif
