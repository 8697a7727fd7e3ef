#ifndef BR_LANES_H
#define BR_LANES_H
/*
 * Partitions and their lanes. A partition owns one lane per hook: a FIFO of the deliveries
 * that hook is owed from that partition, whose head alone is in flight, so each hook sees each
 * partition in offset order. The partition also owns its done-prefix tracker, its window use,
 * and the messages held back while their schema cannot be fetched.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "offsets.h"
#include "request.h"

struct br_partition;
struct br_lane;

struct br_delivery {
    struct br_lane *lane;      /* the lane it waits in */
    uint64_t seq;              /* its message in the partition's offset tracker */
    int64_t offset;
    struct br_request request; /* owned */
    unsigned attempts;
    int64_t first_attempt_ms;
    void *transfer;            /* the sender's handle while in flight, else NULL */
    struct br_delivery *next;
};

struct br_lane {
    struct br_partition *partition;
    size_t hook_index;
    struct br_delivery *head; /* owned list */
    struct br_delivery *tail;
    size_t count;
    bool in_flight;     /* head is being sent */
    bool queued;        /* on the loop's ready queue */
    int64_t due_ms;     /* head may start at or after this monotonic time (retry backoff) */
    struct br_lane *ready_next;
};

struct br_held {
    rd_kafka_message_t *message; /* owned */
    struct br_held *next;
};

struct br_partition {
    char *topic;                 /* owned */
    int32_t id;
    const struct br_conf_topic *topic_conf; /* NULL when no topic entry matches */
    struct br_offsets offsets;
    struct br_lane *lanes;       /* owned array, one per hook */
    size_t lane_count;
    int64_t stored;              /* the last offset handed to the consumer to store, or -1 */
    int64_t next_offset;         /* one past the last offset taken from Kafka, or -1 */
    rd_kafka_queue_t *queue;     /* the partition's own consumer queue; the loop releases it */
    struct br_held *held_head;   /* messages waiting for their decode to be retried */
    struct br_held *held_tail;
    size_t held_count;
    int64_t held_due_ms;
    struct br_partition *next;   /* the loop's list */
};

struct br_partition *br_partition_create(const char *topic, int32_t id,
                                         const struct br_conf_topic *topic_conf,
                                         size_t hook_count);
/* Frees every delivery still queued (the caller has cancelled their transfers first). */
void br_partition_destroy(struct br_partition *partition);

/* Messages taken from Kafka and not yet done: decoded ones and held ones. */
size_t br_partition_window_use(const struct br_partition *partition);

/* Appends delivery (ownership passes to the lane). Returns true when it became the head. */
bool br_lane_push(struct br_lane *lane, struct br_delivery *delivery);
/* Removes and returns the head (ownership passes to the caller), or NULL. */
struct br_delivery *br_lane_pop(struct br_lane *lane);

void br_delivery_destroy(struct br_delivery *delivery);

/* Holds a message back (ownership passes to the partition). */
void br_partition_hold(struct br_partition *partition, rd_kafka_message_t *message);
/* Takes the oldest held message back (ownership passes to the caller), or NULL. */
rd_kafka_message_t *br_partition_unhold(struct br_partition *partition);

#endif
