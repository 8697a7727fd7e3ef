#ifndef BR_LANES_H
#define BR_LANES_H
/*
 * Partitions, their messages and their lanes. A partition owns one lane per hook slot
 * (delivery/hookset.h; lanes are added as slots are, and each lane is allocated on its own so
 * that a lane's address never changes while the partition lives): the deliveries that hook is
 * owed from that partition, in offset order. Which of them may be in flight at once is the
 * lane's ordering, its hook version's (config/conf.h, enum br_ordering):
 *
 * - partition: only the lane's first delivery, so the hook sees the partition in offset order;
 * - key: the first delivery of each Kafka message key (a message without a key counts as one
 *   more key, "no key"), so each key's deliveries keep offset order and keys go in parallel;
 * - none: any delivery.
 *
 * A lane takes its hook's ordering when it is made, and a changed ordering (a reload) only
 * while it is empty (br_lane_set_ordering): the deliveries already in a lane keep the promise
 * they were queued under.
 *
 * A delivery that failed and waits for its retry time stays where it is, and keeps blocking
 * what its ordering puts behind it (partition: the lane; key: its key; none: nothing). The
 * deliveries that may start now are on the lane's start queue, in the order they became free
 * to start (offset order as they arrive; a key's next one, or a retry, joins at the tail). The
 * lane only says which, the loop decides when (its caps: delivery.max_in_flight, the hook's
 * max_in_flight, probes, delivery.max_uncommitted). The partition also owns its done-prefix
 * tracker, its window use, and the Kafka messages held back while they cannot be decoded yet.
 *
 * Messages and partitions are reference-counted: a message lives while a delivery or a pending
 * dead-letter record needs its bytes, and keeps its partition's memory alive (not its
 * ownership: a revoked partition is marked so, and whatever completes for it later is
 * discarded).
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "delivery/handover.h"
#include "delivery/hookset.h"
#include "delivery/offsets.h"
#include "delivery/request.h"

struct br_partition;
struct br_lane;

/* One Kafka message taken by the bridge, shared by the deliveries it owes. */
struct br_message {
    unsigned refs;
    struct br_partition *partition; /* holds a reference */
    uint64_t seq;                   /* in the partition's offset tracker */
    int64_t offset;
    int64_t taken_ms;               /* monotonic time it was taken from Kafka */
    char event[64];                 /* the event name, or empty when it could not be named */
    char request_id[128];           /* the payload's request_id, or empty */
    char trace_id[128];             /* the usable Kafka header trace_id, or empty */
    char *key;                      /* owned copy of the Kafka key, or NULL */
    size_t key_len;
    char *value;                    /* owned copy of the Kafka value */
    size_t value_len;
    char *json;                     /* owned: the payload's JSON encoding when a request of it
                                     * is a GET (to build it again if its hook changes), or NULL */
    size_t json_len;
    size_t bytes;                   /* counted in the partition's window while it lives */
    rd_kafka_headers_t *kept_headers; /* owned: the Kafka headers its dead letter carries on
                                       * (br_message_keep_headers), or NULL */
};

struct br_delivery {
    struct br_lane *lane;      /* the lane it waits in */
    struct br_message *message; /* holds a reference */
    struct br_request request; /* owned */
    struct br_hook *hook;      /* the hook version request was built for (a reference), or
                                * NULL when its settings outlive it (render, replay, tests) */
    unsigned attempts;
    int64_t first_attempt_ms;  /* monotonic */
    int64_t first_attempt_wall_ms;
    int64_t last_attempt_wall_ms;
    long last_status;          /* last HTTP status received, 0 when none */
    char last_error[128];      /* what went wrong last time */
    void *transfer;            /* the sender's handle while in flight, else NULL */
    int64_t due_ms;            /* while waiting: may start again at this monotonic time */
    bool in_flight;            /* taken by br_lane_take, not finished yet */
    bool startable;            /* on the lane's start queue */
    bool waiting;              /* failed; waits for br_lane_wake (its retry time) */
    /* the lane's links (owned by lanes.c) */
    struct br_delivery *next;  /* every delivery of the lane, offset order */
    struct br_delivery *prev;
    struct br_delivery *start_next; /* the start queue */
    struct br_delivery *key_next;   /* ordering key: the next delivery of the same key */
    struct br_delivery *key_tail;   /* ordering key, on a key's first delivery: its last one */
    struct br_delivery *bucket_next; /* ordering key, on a key's first delivery: the key table */
    uint64_t key_hash;
};

struct br_lane {
    struct br_partition *partition;
    size_t hook_index;        /* the hook's slot (delivery/hookset.h) */
    enum br_ordering ordering; /* its hook version's; changed only while empty */
    struct br_delivery *head; /* owned list, offset order */
    struct br_delivery *tail;
    size_t count;
    size_t in_flight;         /* deliveries taken and not finished */
    size_t waiting;           /* deliveries waiting for their retry time (or abandoned) */
    struct br_delivery *start_head; /* the start queue: deliveries that may start now */
    struct br_delivery *start_tail;
    size_t startable;
    struct br_delivery **keys; /* ordering key: owned table of each key's first delivery */
    size_t key_buckets;        /* a power of two, or 0 */
    size_t key_count;          /* keys with a delivery in the lane */
    /* the loop's scheduling (loop/schedule.c) */
    bool queued;        /* on the loop's ready queue */
    struct br_lane *ready_next;
    bool capped;        /* waiting for a free slot of its hook's max_in_flight */
    struct br_lane *capped_next;
};

struct br_held {
    rd_kafka_message_t *message; /* owned */
    struct br_held *next;
};

struct br_partition {
    unsigned refs;               /* the loop's (until revoked) + one per live message */
    bool revoked;
    char *topic;                 /* owned */
    int32_t id;
    const struct br_conf_topic *topic_conf; /* NULL when no topic entry matches */
    char *tenant;                /* owned: the topic's tenant (table_hooks.record_tenant), or
                                  * NULL; set by the loop when tenant_read */
    bool tenant_read;
    struct br_offsets offsets;
    struct br_lane **lanes;      /* owned array of owned lanes, one per hook slot; an entry is
                                  * NULL until that slot's lane is first needed */
    size_t lane_count;
    size_t bytes;                /* bytes of its live messages */
    int64_t next_offset;         /* one past the last offset taken from Kafka, or -1 */
    int64_t first_offset;        /* the first offset taken from Kafka (the committed one), or -1 */
    /* commits (loop/commit.c) */
    int64_t commit_sent;         /* the offset last sent to be committed, or -1 */
    char *commit_metadata;       /* owned: the metadata last sent with it, or NULL */
    bool commit_again;           /* the last commit failed: send it again even if unchanged */
    unsigned commits_in_flight;  /* asynchronous commits of it not answered yet */
    uint64_t settled;            /* deliveries settled (acknowledged, or given up by policy) */
    uint64_t settled_sent;       /* settled when the last commit was sent */
    uint64_t settled_committed;  /* settled as far as a successful commit covers it */
    bool throttled;              /* a lane waits for a commit (delivery.max_uncommitted) */
    /* what the previous owner recorded (delivery/handover.h), NULL when nothing (any more) */
    struct br_handover *handover;
    uint64_t handover_skipped;   /* deliveries not sent because of it */
    rd_kafka_queue_t *queue;     /* the partition's own consumer queue; the loop releases it */
    struct br_held *held_head;   /* messages waiting for their decode to be retried */
    struct br_held *held_tail;
    size_t held_count;
    int64_t held_due_ms;
    unsigned held_attempts;      /* failed tries of the oldest held message */
    bool header_warned;          /* an unusable request_id/trace_id header was logged */
    int held_reason;             /* why the oldest held message waits (loop/intake.c) */
    int64_t held_counted;        /* offset counted and logged as undeliverable, or -1 */
    int64_t held_logged_ms;      /* when it was last logged (monotonic) */
    int64_t held_since_ms;       /* when it was first refused (monotonic) */
    struct br_partition *next;   /* the loop's list */
};

/* A new partition with one reference (the caller's). */
struct br_partition *br_partition_create(const char *topic, int32_t id,
                                         const struct br_conf_topic *topic_conf,
                                         size_t hook_count);
/*
 * Makes partition have room for hook_count lanes (and remember as many hooks' acknowledgements):
 * the new entries of lanes[] are NULL until br_partition_lane makes them (a partition of one
 * tenant's topic never needs the other tenants' hooks' lanes); existing lanes do not move.
 * br_partition_create makes the lanes of its first hook_count slots at once.
 */
void br_partition_grow(struct br_partition *partition, size_t hook_count);
/* The lane of slot, made (empty) when it does not exist yet. */
struct br_lane *br_partition_lane(struct br_partition *partition, size_t slot);

/*
 * Gives up the loop's hold: marks it revoked and frees every queued delivery and held message
 * (the caller has cancelled their transfers first), then drops the caller's reference.
 */
void br_partition_revoke(struct br_partition *partition);

/* One more reference to partition (its memory, not its ownership). */
struct br_partition *br_partition_ref(struct br_partition *partition);
/* Drops a reference; the last one frees the partition. */
void br_partition_release(struct br_partition *partition);

/* Messages taken from Kafka and not yet done: decoded ones and held ones. */
size_t br_partition_window_use(const struct br_partition *partition);

/*
 * A new message of partition (one reference, the caller's), copying the Kafka key and value.
 */
struct br_message *br_message_create(struct br_partition *partition,
                                     const rd_kafka_message_t *kafka, int64_t now_ms);
/*
 * Gives message the Kafka headers its dead letter carries on (takes kept, which may be NULL;
 * the caller's pointer is set to NULL): the value bytes alone cannot be decoded again without,
 * e.g., Apicurio's schema-id headers. Their bytes count in the window.
 */
void br_message_keep_headers(struct br_message *message, rd_kafka_headers_t **kept);
struct br_message *br_message_ref(struct br_message *message);
/* Drops a reference; the last one frees the message and returns its bytes to the window. */
void br_message_release(struct br_message *message);

/*
 * Sets lane's ordering when it is empty (nothing queued, waiting or in flight) and returns
 * true; a lane with deliveries keeps its ordering (returns false; the loop tries again at the
 * next push).
 */
bool br_lane_set_ordering(struct br_lane *lane, enum br_ordering ordering);

/*
 * Appends delivery (ownership passes to the lane; its message is set). Returns true when it may
 * start at once (it went onto the start queue).
 */
bool br_lane_push(struct br_lane *lane, struct br_delivery *delivery);
/* The delivery that would start next (the first on the start queue), or NULL. */
struct br_delivery *br_lane_next(const struct br_lane *lane);
/* Takes the next delivery off the start queue: it is in flight from now on. NULL when none. */
struct br_delivery *br_lane_take(struct br_lane *lane);
/*
 * delivery (in flight) failed and will be tried again: it is no longer in flight, and waits
 * (with what its ordering puts behind it) until br_lane_wake.
 */
void br_lane_retry(struct br_lane *lane, struct br_delivery *delivery);
/* delivery's retry time has come: back on the start queue. */
void br_lane_wake(struct br_lane *lane, struct br_delivery *delivery);
/*
 * delivery (taken) is finished for good: delivered, dead-lettered or dropped. It leaves the
 * lane (ownership passes to the caller), and what its ordering held behind it may start. Returns
 * true when something went onto the start queue.
 */
bool br_lane_remove(struct br_lane *lane, struct br_delivery *delivery);
/*
 * delivery (taken) was abandoned (its transfer cancelled): no longer in flight, it stays in
 * the lane, waiting, until the partition is revoked.
 */
void br_lane_abandon(struct br_lane *lane, struct br_delivery *delivery);
/* Removes and returns the first delivery whatever its state (revoke), or NULL. */
struct br_delivery *br_lane_pop(struct br_lane *lane);

/* Frees the request and releases the message and the hook version. */
void br_delivery_destroy(struct br_delivery *delivery);

/* Holds a message back (ownership passes to the partition). */
void br_partition_hold(struct br_partition *partition, rd_kafka_message_t *message);
/* Takes the oldest held message back (ownership passes to the caller), or NULL. */
rd_kafka_message_t *br_partition_unhold(struct br_partition *partition);

#endif
