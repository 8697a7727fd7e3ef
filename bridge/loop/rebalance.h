#ifndef BR_REBALANCE_H
#define BR_REBALANCE_H
/*
 * The loop's assigned partitions: what a rebalance adds and takes away. An assigned partition
 * gets its lanes, its own consumer queue and what its previous owner recorded (inherit.h). A
 * revoked one lets its requests in flight finish (up to delivery.shutdown_grace_ms; unless the
 * partitions were lost), is forgotten by the schedule and by its hooks' health, has what is
 * still in flight cancelled, commits its done prefix with its per-hook progress (commit.h), and
 * is dropped (late completions for it are discarded).
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "delivery/lanes.h"

struct br_loop;

/* The consumer's rebalance callbacks (struct br_consumer_events); opaque is the loop. */
void br_rebalance_assigned(void *opaque, const rd_kafka_topic_partition_list_t *list);
void br_rebalance_revoked(void *opaque, const rd_kafka_topic_partition_list_t *list, bool lost);

/* The assigned partition topic [id], or NULL. */
struct br_partition *br_rebalance_find(struct br_loop *loop, const char *topic, int32_t id);
/* Forgets every scheduling reference to partition's lanes and cancels their transfers. */
void br_rebalance_unschedule(struct br_loop *loop, struct br_partition *partition);
/* Unlinks partition from the loop and revokes it (late completions for it are discarded). */
void br_rebalance_drop(struct br_loop *loop, struct br_partition *partition);

#endif
