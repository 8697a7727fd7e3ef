#include "delivery/lanes.h"

#include <stdbool.h>
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
        if (partition->lanes[i]) {
            free(partition->lanes[i]->keys);
        }
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

void br_message_keep_headers(struct br_message *message, rd_kafka_headers_t **kept)
{
    const char *name = NULL;
    const void *value = NULL;
    size_t size = 0;

    if (!*kept) {
        return;
    }
    if (message->kept_headers) {
        rd_kafka_headers_destroy(message->kept_headers);
    }
    message->kept_headers = *kept;
    *kept = NULL;
    for (size_t i = 0; rd_kafka_header_get_all(message->kept_headers, i, &name, &value, &size) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
         i++) {
        message->bytes += strlen(name) + size;
        message->partition->bytes += strlen(name) + size;
    }
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
    if (message->kept_headers) {
        rd_kafka_headers_destroy(message->kept_headers);
    }
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

/* ---- the start queue ---- */

static void start_push(struct br_lane *lane, struct br_delivery *delivery)
{
    if (delivery->startable || delivery->in_flight || delivery->waiting) {
        return;
    }
    delivery->startable = true;
    delivery->start_next = NULL;
    if (lane->start_tail) {
        lane->start_tail->start_next = delivery;
    } else {
        lane->start_head = delivery;
    }
    lane->start_tail = delivery;
    lane->startable++;
}

/* Takes delivery off the start queue wherever it is (a revoke; the loop takes the first). */
static void start_unlink(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_delivery **link = &lane->start_head;
    struct br_delivery *prev = NULL;

    if (!delivery->startable) {
        return;
    }
    while (*link && *link != delivery) {
        prev = *link;
        link = &(*link)->start_next;
    }
    if (*link) {
        *link = delivery->start_next;
        if (lane->start_tail == delivery) {
            lane->start_tail = prev;
        }
        lane->startable--;
    }
    delivery->startable = false;
    delivery->start_next = NULL;
}

/* ---- ordering key: each key's first delivery in a table ---- */

static uint64_t key_hash(const struct br_message *message)
{
    uint64_t hash = 14695981039346656037ull;

    if (!message || !message->key) {
        return 0x6e6f206b6579ull; /* "no key": one key of its own */
    }
    for (size_t i = 0; i < message->key_len; i++) {
        hash ^= (unsigned char)message->key[i];
        hash *= 1099511628211ull;
    }
    return hash;
}

static bool same_key(const struct br_delivery *a, const struct br_delivery *b)
{
    const struct br_message *x = a->message;
    const struct br_message *y = b->message;

    if (a->key_hash != b->key_hash) {
        return false;
    }
    if (!x || !y) {
        return x == y;
    }
    if (!x->key || !y->key) {
        return !x->key && !y->key;
    }
    return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
}

static struct br_delivery **bucket_of(struct br_lane *lane, uint64_t hash)
{
    return &lane->keys[(size_t)(hash ^ (hash >> 32)) & (lane->key_buckets - 1)];
}

static void keys_grow(struct br_lane *lane)
{
    size_t old_buckets = lane->key_buckets;
    struct br_delivery **old = lane->keys;

    lane->key_buckets = old_buckets ? old_buckets * 2 : 16;
    lane->keys = calloc(lane->key_buckets, sizeof(*lane->keys));
    if (!lane->keys) {
        abort();
    }
    for (size_t i = 0; i < old_buckets; i++) {
        struct br_delivery *first = old[i];
        while (first) {
            struct br_delivery *next = first->bucket_next;
            struct br_delivery **bucket = bucket_of(lane, first->key_hash);
            first->bucket_next = *bucket;
            *bucket = first;
            first = next;
        }
    }
    free(old);
}

/* Adds delivery to its key; true when it is the key's first (nothing of its key before it). */
static bool key_add(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_delivery **bucket;

    delivery->key_hash = key_hash(delivery->message);
    delivery->key_next = NULL;
    delivery->key_tail = NULL;
    delivery->bucket_next = NULL;
    if (lane->key_buckets > 0) {
        for (struct br_delivery *first = *bucket_of(lane, delivery->key_hash); first;
             first = first->bucket_next) {
            if (same_key(first, delivery)) {
                first->key_tail->key_next = delivery;
                first->key_tail = delivery;
                return false;
            }
        }
    }
    if (lane->key_count >= lane->key_buckets) {
        keys_grow(lane);
    }
    bucket = bucket_of(lane, delivery->key_hash);
    delivery->key_tail = delivery;
    delivery->bucket_next = *bucket;
    *bucket = delivery;
    lane->key_count++;
    return true;
}

/*
 * Takes delivery out of its key. Returns the delivery that became the key's first (its
 * successor), or NULL.
 */
static struct br_delivery *key_remove(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_delivery **link;
    struct br_delivery *first = NULL;

    if (lane->key_buckets == 0) {
        return NULL;
    }
    for (link = bucket_of(lane, delivery->key_hash); *link; link = &(*link)->bucket_next) {
        if (same_key(*link, delivery)) {
            first = *link;
            break;
        }
    }
    if (!first) {
        return NULL;
    }
    if (first == delivery) {
        struct br_delivery *successor = delivery->key_next;
        if (successor) {
            successor->key_tail = delivery->key_tail;
            successor->bucket_next = delivery->bucket_next;
            *link = successor;
        } else {
            *link = delivery->bucket_next;
            lane->key_count--;
        }
        delivery->key_next = NULL;
        delivery->key_tail = NULL;
        delivery->bucket_next = NULL;
        return successor;
    }
    /* not its key's first (only a revoke takes such a one): unlink it from the chain */
    for (struct br_delivery *before = first; before->key_next; before = before->key_next) {
        if (before->key_next == delivery) {
            before->key_next = delivery->key_next;
            if (first->key_tail == delivery) {
                first->key_tail = before;
            }
            break;
        }
    }
    delivery->key_next = NULL;
    return NULL;
}

/* ---- the lane ---- */

bool br_lane_set_ordering(struct br_lane *lane, enum br_ordering ordering)
{
    if (lane->ordering == ordering) {
        return true;
    }
    if (lane->count > 0) {
        return false;
    }
    /* empty: no key has a delivery, and the key table (kept for reuse) is all NULL */
    lane->ordering = ordering;
    return true;
}

bool br_lane_push(struct br_lane *lane, struct br_delivery *delivery)
{
    bool first;

    delivery->lane = lane;
    delivery->next = NULL;
    delivery->prev = lane->tail;
    delivery->in_flight = false;
    delivery->startable = false;
    delivery->waiting = false;
    if (lane->tail) {
        lane->tail->next = delivery;
    } else {
        lane->head = delivery;
    }
    lane->tail = delivery;
    lane->count++;
    switch (lane->ordering) {
    case BR_ORDERING_KEY:
        first = key_add(lane, delivery);
        break;
    case BR_ORDERING_NONE:
        first = true;
        break;
    default:
        first = lane->head == delivery;
        break;
    }
    if (first) {
        start_push(lane, delivery);
    }
    return delivery->startable;
}

struct br_delivery *br_lane_next(const struct br_lane *lane)
{
    return lane->start_head;
}

struct br_delivery *br_lane_take(struct br_lane *lane)
{
    struct br_delivery *delivery = lane->start_head;

    if (!delivery) {
        return NULL;
    }
    lane->start_head = delivery->start_next;
    if (!lane->start_head) {
        lane->start_tail = NULL;
    }
    lane->startable--;
    delivery->startable = false;
    delivery->start_next = NULL;
    delivery->in_flight = true;
    lane->in_flight++;
    return delivery;
}

static void not_in_flight(struct br_lane *lane, struct br_delivery *delivery)
{
    if (delivery->in_flight) {
        delivery->in_flight = false;
        lane->in_flight--;
    }
}

static void set_waiting(struct br_lane *lane, struct br_delivery *delivery, bool waiting)
{
    if (delivery->waiting != waiting) {
        delivery->waiting = waiting;
        if (waiting) {
            lane->waiting++;
        } else {
            lane->waiting--;
        }
    }
}

void br_lane_retry(struct br_lane *lane, struct br_delivery *delivery)
{
    not_in_flight(lane, delivery);
    start_unlink(lane, delivery);
    set_waiting(lane, delivery, true);
}

void br_lane_wake(struct br_lane *lane, struct br_delivery *delivery)
{
    if (!delivery->waiting) {
        return;
    }
    set_waiting(lane, delivery, false);
    delivery->due_ms = 0;
    start_push(lane, delivery);
}

void br_lane_abandon(struct br_lane *lane, struct br_delivery *delivery)
{
    not_in_flight(lane, delivery);
    set_waiting(lane, delivery, true);
}

/* Takes delivery out of the lane; returns the delivery its ordering now lets start, or NULL. */
static struct br_delivery *unlink_delivery(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_delivery *released = NULL;

    not_in_flight(lane, delivery);
    start_unlink(lane, delivery);
    if (lane->ordering == BR_ORDERING_KEY) {
        released = key_remove(lane, delivery);
    }
    if (delivery->prev) {
        delivery->prev->next = delivery->next;
    } else {
        lane->head = delivery->next;
    }
    if (delivery->next) {
        delivery->next->prev = delivery->prev;
    } else {
        lane->tail = delivery->prev;
    }
    if (lane->ordering == BR_ORDERING_PARTITION && !delivery->prev) {
        released = lane->head;
    }
    lane->count--;
    delivery->next = NULL;
    delivery->prev = NULL;
    set_waiting(lane, delivery, false);
    return released;
}

bool br_lane_remove(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_delivery *released = unlink_delivery(lane, delivery);

    if (released) {
        start_push(lane, released);
    }
    return released && released->startable;
}

struct br_delivery *br_lane_pop(struct br_lane *lane)
{
    struct br_delivery *delivery = lane->head;

    if (delivery) {
        unlink_delivery(lane, delivery);
    }
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
