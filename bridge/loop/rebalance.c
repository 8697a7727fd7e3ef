#include "loop/rebalance.h"

#include <string.h>

#include "core/log.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

struct br_partition *br_rebalance_find(struct br_loop *loop, const char *topic, int32_t id)
{
    struct br_partition *partition = loop->last_hit;

    if (partition && partition->id == id && strcmp(partition->topic, topic) == 0) {
        return partition;
    }
    for (partition = loop->partitions; partition; partition = partition->next) {
        if (partition->id == id && strcmp(partition->topic, topic) == 0) {
            loop->last_hit = partition;
            return partition;
        }
    }
    return NULL;
}

void br_rebalance_store(struct br_loop *loop, struct br_partition *partition)
{
    int64_t committable = br_offsets_committable(&partition->offsets);

    if (committable > partition->stored &&
        br_consumer_store(loop->consumer, partition->topic, partition->id, committable) == 0) {
        partition->stored = committable;
        loop->uncommitted = true;
    }
}

void br_rebalance_unschedule(struct br_loop *loop, struct br_partition *partition)
{
    br_schedule_forget(&loop->schedule, partition);
    for (size_t i = 0; i < partition->lane_count; i++) {
        struct br_lane *next;

        if (partition->lanes[i].head) {
            br_sender_cancel(loop->sender, partition->lanes[i].head);
        }
        partition->lanes[i].in_flight = false;
        /* a probing hook left without a probe (this lane was it, or the parked lane promoted
         * when an earlier partition of the same revoke went) lets its oldest parked lane go */
        next = br_health_forget(&loop->health[i], &partition->lanes[i]);
        if (next) {
            br_schedule_ready(&loop->schedule, next);
        }
    }
}

void br_rebalance_drop(struct br_loop *loop, struct br_partition *partition)
{
    struct br_partition **link;

    br_rebalance_unschedule(loop, partition);
    for (link = &loop->partitions; *link; link = &(*link)->next) {
        if (*link == partition) {
            *link = partition->next;
            break;
        }
    }
    if (loop->last_hit == partition) {
        loop->last_hit = NULL;
    }
    br_consumer_queue_release(partition->queue);
    partition->queue = NULL;
    br_partition_revoke(partition);
}

void br_rebalance_assigned(void *opaque, const rd_kafka_topic_partition_list_t *list)
{
    struct br_loop *loop = opaque;

    loop->joined = true;
    for (int i = 0; i < list->cnt; i++) {
        const char *topic = list->elems[i].topic;
        int32_t id = list->elems[i].partition;
        struct br_partition *partition;

        if (br_rebalance_find(loop, topic, id)) {
            continue;
        }
        partition = br_partition_create(topic, id, br_conf_topic_for(loop->conf, topic),
                                        loop->conf->hook_count);
        partition->queue = br_consumer_partition_queue(loop->consumer, topic, id);
        partition->next = loop->partitions;
        loop->partitions = partition;
        br_log_debug("loop", "assigned %s [%d]", topic, id);
    }
}

void br_rebalance_revoked(void *opaque, const rd_kafka_topic_partition_list_t *list, bool lost)
{
    struct br_loop *loop = opaque;

    /* let dead letters already on their way land, so their messages count as done */
    if (!lost && loop->deadletter && br_deadletter_pending_dead(loop->deadletter) > 0) {
        br_deadletter_flush(loop->deadletter, 2000);
    }
    for (int i = 0; i < list->cnt; i++) {
        struct br_partition *partition =
            br_rebalance_find(loop, list->elems[i].topic, list->elems[i].partition);

        if (!partition) {
            continue;
        }
        br_rebalance_unschedule(loop, partition);
        if (!lost) {
            br_rebalance_store(loop, partition);
        }
        br_log_info("loop", "revoked %s [%d]: done up to offset %lld, %zu undelivered message(s) "
                    "left to the next owner", partition->topic, partition->id,
                    (long long)br_offsets_committable(&partition->offsets),
                    br_partition_window_use(partition));
        br_rebalance_drop(loop, partition);
    }
}
