#include "loop/rebalance.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "loop/commit.h"
#include "loop/finish.h"
#include "loop/hooks.h"
#include "loop/inherit.h"
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

void br_rebalance_unschedule(struct br_loop *loop, struct br_partition *partition)
{
    br_schedule_forget(&loop->schedule, partition);
    for (size_t i = 0; i < partition->lane_count; i++) {
        struct br_lane *lane = partition->lanes[i];
        struct br_lane *next;

        if (!lane) {
            continue;
        }
        for (struct br_delivery *delivery = lane->head; delivery && lane->in_flight > 0;
             delivery = delivery->next) {
            if (delivery->in_flight) {
                br_sender_cancel(loop->sender, delivery);
                br_lane_abandon(lane, delivery);
                br_schedule_ended(&loop->schedule, i);
            }
        }
        /* a probing hook left without a probe (this lane was it, or the parked lane promoted
         * when an earlier partition of the same revoke went) lets its oldest parked lane go */
        next = br_health_forget(&loop->health[i], partition->lanes[i]);
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
    br_inherit_forget(partition);
    br_partition_revoke(partition);
}

void br_rebalance_assigned(void *opaque, const rd_kafka_topic_partition_list_t *list)
{
    struct br_loop *loop = opaque;
    struct br_partition **added = calloc(list->cnt > 0 ? (size_t)list->cnt : 1, sizeof(*added));
    size_t count = 0;

    if (!added) {
        abort();
    }
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
        /* the start-up YAML hooks' lanes now, the others' when a message needs them; each
         * takes its hook's ordering (intake.c sets it again whenever a lane is empty) */
        br_partition_grow(partition, loop->hook_slots);
        for (size_t h = 0; h < partition->lane_count; h++) {
            const struct br_conf_hook *hook = br_hooks_conf(loop, h);

            if (partition->lanes[h] && hook) {
                br_lane_set_ordering(partition->lanes[h], hook->ordering);
            }
        }
        partition->queue = br_consumer_partition_queue(loop->consumer, topic, id);
        partition->next = loop->partitions;
        loop->partitions = partition;
        added[count++] = partition;
        br_log_debug("loop", "assigned %s [%d]", topic, id);
    }
    br_inherit_load(loop, added, count);
    free(added);
}

/* Any request of partitions still in flight? */
static bool in_flight(struct br_partition **partitions, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < partitions[i]->lane_count; j++) {
            if (partitions[i]->lanes[j] && partitions[i]->lanes[j]->in_flight > 0) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Lets the requests of partitions in flight finish, for up to delivery.shutdown_grace_ms, so
 * that what their receivers got is committed (and not sent again by the next owner). Starts no
 * new request; other partitions' completions are handled as usual meanwhile.
 */
static void finish_in_flight(struct br_loop *loop, struct br_partition **partitions,
                             size_t count)
{
    int64_t now = br_schedule_now_ms();
    int64_t deadline = now + loop->conf->shutdown_grace_ms;

    if (loop->conf->shutdown_grace_ms <= 0 || !in_flight(partitions, count)) {
        return;
    }
    br_log_info("loop", "revoking: waiting up to %ld ms for the requests in flight",
                loop->conf->shutdown_grace_ms);
    while (in_flight(partitions, count) && now < deadline) {
        br_sender_wait(loop->sender, NULL, 0, 0, (int)(deadline - now < 50 ? deadline - now : 50));
        br_sender_perform(loop->sender, br_finish_attempt, loop);
        now = br_schedule_now_ms();
    }
}

void br_rebalance_revoked(void *opaque, const rd_kafka_topic_partition_list_t *list, bool lost)
{
    struct br_loop *loop = opaque;
    struct br_partition **revoked = calloc(list->cnt > 0 ? (size_t)list->cnt : 1,
                                           sizeof(*revoked));
    size_t count = 0;

    if (!revoked) {
        abort();
    }
    for (int i = 0; i < list->cnt; i++) {
        struct br_partition *partition =
            br_rebalance_find(loop, list->elems[i].topic, list->elems[i].partition);

        if (partition) {
            revoked[count++] = partition;
        }
    }
    if (!lost) {
        finish_in_flight(loop, revoked, count);
        /* let dead letters already on their way land, so their messages count as done */
        if (loop->deadletter && br_deadletter_pending_dead(loop->deadletter) > 0) {
            br_deadletter_flush(loop->deadletter, 2000);
        }
    }
    for (size_t i = 0; i < count; i++) {
        br_rebalance_unschedule(loop, revoked[i]);
    }
    if (!lost) {
        br_commit_partitions(loop, revoked, count);
    }
    for (size_t i = 0; i < count; i++) {
        struct br_partition *partition = revoked[i];

        br_log_info("loop", "revoked %s [%d]: done up to offset %lld, %zu undelivered message(s) "
                    "left to the next owner", partition->topic, partition->id,
                    (long long)br_offsets_committable(&partition->offsets),
                    br_partition_window_use(partition));
        br_rebalance_drop(loop, partition);
    }
    free(revoked);
}
