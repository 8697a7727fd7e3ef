#include "delivery/lanes.h"

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
    if (!partition->topic) {
        abort();
    }
    partition->refs = 1;
    partition->id = id;
    partition->topic_conf = topic_conf;
    partition->next_offset = -1;
    partition->held_counted = -1;
    partition->first_offset = -1;
    partition->commit_sent = -1;
    br_offsets_init(&partition->offsets, hook_count);
    br_partition_grow(partition, hook_count);
    for (size_t i = 0; i < hook_count; i++) {
        br_partition_lane(partition, i);
    }
    return partition;
}

struct br_lane *br_partition_lane(struct br_partition *partition, size_t slot)
{
    struct br_lane *lane;

    br_partition_grow(partition, slot + 1);
    lane = partition->lanes[slot];
    if (!lane) {
        lane = calloc(1, sizeof(*lane));
        if (!lane) {
            abort();
        }
        lane->partition = partition;
        lane->hook_index = slot;
        partition->lanes[slot] = lane;
    }
    return lane;
}

void br_partition_grow(struct br_partition *partition, size_t hook_count)
{
    struct br_lane **lanes;

    if (hook_count <= partition->lane_count) {
        return;
    }
    lanes = realloc(partition->lanes, hook_count * sizeof(*lanes));
    if (!lanes) {
        abort();
    }
    for (size_t i = partition->lane_count; i < hook_count; i++) {
        lanes[i] = NULL; /* made when first used: br_partition_lane */
    }
    partition->lanes = lanes;
    partition->lane_count = hook_count;
    br_offsets_grow(&partition->offsets, hook_count);
}

struct br_partition *br_partition_ref(struct br_partition *partition)
{
    partition->refs++;
    return partition;
}

void br_partition_release(struct br_partition *partition)
{
    if (!partition || --partition->refs > 0) {
        return;
    }
    br_offsets_finish(&partition->offsets);
    br_handover_destroy(partition->handover);
    free(partition->commit_metadata);
    free(partition->tenant);
    for (size_t i = 0; i < partition->lane_count; i++) {
        free(partition->lanes[i]);
    }
    free(partition->lanes);
    free(partition->topic);
    free(partition);
}

void br_partition_revoke(struct br_partition *partition)
{
    rd_kafka_message_t *message;

    if (!partition) {
        return;
    }
    partition->revoked = true;
    for (size_t i = 0; i < partition->lane_count; i++) {
        struct br_delivery *delivery;
        while (partition->lanes[i] && (delivery = br_lane_pop(partition->lanes[i])) != NULL) {
            br_delivery_destroy(delivery);
        }
    }
    while ((message = br_partition_unhold(partition)) != NULL) {
        rd_kafka_message_destroy(message);
    }
    br_partition_release(partition);
}

size_t br_partition_window_use(const struct br_partition *partition)
{
    return br_offsets_outstanding(&partition->offsets) + partition->held_count;
}

static char *copy_bytes(const void *data, size_t len)
{
    char *copy = malloc(len ? len : 1);

    if (!copy) {
        abort();
    }
    if (len) {
        memcpy(copy, data, len);
    }
    return copy;
}

struct br_message *br_message_create(struct br_partition *partition,
                                     const rd_kafka_message_t *kafka, int64_t now_ms)
{
    struct br_message *message = calloc(1, sizeof(*message));

    if (!message) {
        abort();
    }
    message->refs = 1;
    message->partition = partition;
    partition->refs++;
    message->offset = kafka->offset;
    message->taken_ms = now_ms;
    if (kafka->key) {
        message->key = copy_bytes(kafka->key, kafka->key_len);
        message->key_len = kafka->key_len;
    }
    message->value = copy_bytes(kafka->payload, kafka->payload ? kafka->len : 0);
    message->value_len = kafka->payload ? kafka->len : 0;
    message->bytes = sizeof(*message) + message->key_len + message->value_len;
    partition->bytes += message->bytes;
    return message;
}

struct br_message *br_message_ref(struct br_message *message)
{
    message->refs++;
    return message;
}

void br_message_release(struct br_message *message)
{
    struct br_partition *partition;

    if (!message || --message->refs > 0) {
        return;
    }
    partition = message->partition;
    partition->bytes -= message->bytes;
    free(message->key);
    free(message->value);
    free(message->json);
    free(message);
    br_partition_release(partition);
}

void br_delivery_destroy(struct br_delivery *delivery)
{
    if (!delivery) {
        return;
    }
    br_request_finish(&delivery->request);
    br_message_release(delivery->message);
    br_hook_release(delivery->hook);
    free(delivery);
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
