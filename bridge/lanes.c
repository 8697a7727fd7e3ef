#include "lanes.h"

#include <stdlib.h>
#include <string.h>

struct br_partition *br_partition_create(const char *topic, int32_t id,
                                         const struct br_conf_topic *topic_conf,
                                         size_t hook_count)
{
    struct br_partition *partition = calloc(1, sizeof(*partition));

    if (!partition) {
        abort();
    }
    partition->topic = strdup(topic);
    partition->lanes = calloc(hook_count ? hook_count : 1, sizeof(*partition->lanes));
    if (!partition->topic || !partition->lanes) {
        abort();
    }
    partition->id = id;
    partition->topic_conf = topic_conf;
    partition->lane_count = hook_count;
    partition->stored = -1;
    partition->next_offset = -1;
    br_offsets_init(&partition->offsets);
    for (size_t i = 0; i < hook_count; i++) {
        partition->lanes[i].partition = partition;
        partition->lanes[i].hook_index = i;
    }
    return partition;
}

void br_delivery_destroy(struct br_delivery *delivery)
{
    if (!delivery) {
        return;
    }
    br_request_finish(&delivery->request);
    free(delivery);
}

void br_partition_destroy(struct br_partition *partition)
{
    rd_kafka_message_t *message;

    if (!partition) {
        return;
    }
    for (size_t i = 0; i < partition->lane_count; i++) {
        struct br_delivery *delivery;
        while ((delivery = br_lane_pop(&partition->lanes[i])) != NULL) {
            br_delivery_destroy(delivery);
        }
    }
    while ((message = br_partition_unhold(partition)) != NULL) {
        rd_kafka_message_destroy(message);
    }
    br_offsets_finish(&partition->offsets);
    free(partition->lanes);
    free(partition->topic);
    free(partition);
}

size_t br_partition_window_use(const struct br_partition *partition)
{
    return br_offsets_outstanding(&partition->offsets) + partition->held_count;
}

bool br_lane_push(struct br_lane *lane, struct br_delivery *delivery)
{
    delivery->lane = lane;
    delivery->next = NULL;
    if (lane->tail) {
        lane->tail->next = delivery;
    } else {
        lane->head = delivery;
    }
    lane->tail = delivery;
    lane->count++;
    return lane->head == delivery;
}

struct br_delivery *br_lane_pop(struct br_lane *lane)
{
    struct br_delivery *delivery = lane->head;

    if (!delivery) {
        return NULL;
    }
    lane->head = delivery->next;
    if (!lane->head) {
        lane->tail = NULL;
    }
    lane->count--;
    lane->in_flight = false;
    lane->due_ms = 0;
    delivery->next = NULL;
    return delivery;
}

void br_partition_hold(struct br_partition *partition, rd_kafka_message_t *message)
{
    struct br_held *held = calloc(1, sizeof(*held));

    if (!held) {
        abort();
    }
    held->message = message;
    if (partition->held_tail) {
        partition->held_tail->next = held;
    } else {
        partition->held_head = held;
    }
    partition->held_tail = held;
    partition->held_count++;
}

rd_kafka_message_t *br_partition_unhold(struct br_partition *partition)
{
    struct br_held *held = partition->held_head;
    rd_kafka_message_t *message;

    if (!held) {
        return NULL;
    }
    partition->held_head = held->next;
    if (!partition->held_head) {
        partition->held_tail = NULL;
    }
    partition->held_count--;
    message = held->message;
    free(held);
    return message;
}
