#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "delivery/lanes.h"

/* A message of partition at offset, made from a Kafka message built on the stack. */
static struct br_message *message_at(struct br_partition *partition, int64_t offset,
                                     const char *value)
{
    rd_kafka_message_t kafka;

    memset(&kafka, 0, sizeof(kafka));
    kafka.offset = offset;
    kafka.payload = (void *)value;
    kafka.len = strlen(value);
    kafka.key = (void *)"k";
    kafka.key_len = 1;
    return br_message_create(partition, &kafka, 1000);
}

static struct br_delivery *delivery_of(struct br_message *message)
{
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));
    assert_non_null(delivery);
    delivery->message = br_message_ref(message);
    return delivery;
}

/* A message at offset with key (NULL: no key), tracked in the partition's done prefix as owing
 * one delivery, and that delivery pushed onto lane. Returns the delivery. */
static struct br_delivery *push_keyed(struct br_lane *lane, int64_t offset, const char *key)
{
    struct br_partition *partition = lane->partition;
    rd_kafka_message_t kafka;
    struct br_message *message;
    struct br_delivery *delivery;

    memset(&kafka, 0, sizeof(kafka));
    kafka.offset = offset;
    kafka.payload = (void *)"v";
    kafka.len = 1;
    if (key) {
        kafka.key = (void *)key;
        kafka.key_len = strlen(key);
    }
    message = br_message_create(partition, &kafka, 1000);
    message->seq = br_offsets_add(&partition->offsets, offset, 1);
    delivery = delivery_of(message);
    br_message_release(message);
    br_lane_push(lane, delivery);
    return delivery;
}

/* Takes the lane's next delivery, which must be the one at offset. */
static struct br_delivery *take_at(struct br_lane *lane, int64_t offset)
{
    struct br_delivery *delivery = br_lane_take(lane);

    assert_non_null(delivery);
    assert_int_equal(delivery->message->offset, offset);
    assert_true(delivery->in_flight);
    return delivery;
}

/* delivery is delivered: out of the lane, done in the partition's prefix, freed. */
static void finish(struct br_lane *lane, struct br_delivery *delivery)
{
    struct br_partition *partition = lane->partition;

    br_lane_remove(lane, delivery);
    br_offsets_ack(&partition->offsets, delivery->message->seq, lane->hook_index);
    br_offsets_done(&partition->offsets, delivery->message->seq);
    br_delivery_destroy(delivery);
}

static void test_lane_fifo(void **state)
{
    struct br_partition *partition = br_partition_create("t", 3, NULL, 2);
    struct br_lane *lane = partition->lanes[1];
    struct br_delivery *delivery;
    (void)state;

    assert_int_equal(partition->lane_count, 2);
    assert_ptr_equal(lane->partition, partition);
    assert_int_equal(lane->hook_index, 1);
    assert_int_equal(lane->ordering, BR_ORDERING_PARTITION); /* the default */
    for (int64_t offset = 1; offset <= 3; offset++) {
        struct br_message *message = message_at(partition, offset, "v");
        bool startable = br_lane_push(lane, delivery_of(message));
        assert_true(startable == (offset == 1)); /* only the first may start */
        br_message_release(message);
    }
    assert_int_equal(lane->count, 3);
    for (int64_t want = 1; want <= 3; want++) {
        delivery = br_lane_take(lane);
        assert_non_null(delivery);
        assert_int_equal(delivery->message->offset, want);
        assert_int_equal(lane->in_flight, 1);
        assert_null(br_lane_next(lane)); /* one at a time */
        assert_null(br_lane_take(lane));
        assert_true(br_lane_remove(lane, delivery) == (want < 3)); /* the next may start */
        assert_int_equal(lane->in_flight, 0);
        br_delivery_destroy(delivery);
    }
    assert_null(br_lane_pop(lane));
    assert_null(lane->head);
    assert_null(lane->tail);
    assert_null(partition->lanes[0]->head);
    assert_int_equal(partition->bytes, 0);
    br_partition_revoke(partition);
}

static void test_partition_retry_blocks_the_lane(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *first;
    (void)state;

    push_keyed(lane, 10, "a");
    push_keyed(lane, 11, "b"); /* another key: still behind the first in this mode */
    first = take_at(lane, 10);
    br_lane_retry(lane, first);
    assert_false(first->in_flight);
    assert_true(first->waiting);
    assert_int_equal(lane->in_flight, 0);
    assert_null(br_lane_next(lane));
    br_lane_wake(lane, first);
    assert_ptr_equal(take_at(lane, 10), first);
    finish(lane, first);
    finish(lane, take_at(lane, 11));
    assert_int_equal(br_offsets_committable(&partition->offsets), 12);
    br_partition_revoke(partition);
}

static void test_key_in_flight_per_key(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *a10;
    struct br_delivery *b11;
    struct br_delivery *a12;
    struct br_delivery *c13;
    struct br_delivery *b14;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    a10 = push_keyed(lane, 10, "a");
    b11 = push_keyed(lane, 11, "b");
    a12 = push_keyed(lane, 12, "a");
    c13 = push_keyed(lane, 13, "c");
    b14 = push_keyed(lane, 14, "b");
    assert_int_equal(lane->key_count, 3);
    assert_int_equal(lane->startable, 3); /* the first of each key */
    assert_false(a12->startable);
    assert_false(b14->startable);
    /* every key's first is in flight at once, oldest first; nothing else */
    assert_ptr_equal(take_at(lane, 10), a10);
    assert_ptr_equal(take_at(lane, 11), b11);
    assert_ptr_equal(take_at(lane, 13), c13);
    assert_int_equal(lane->in_flight, 3);
    assert_null(br_lane_next(lane));
    /* c finishes first: nothing of its key behind it, the window's prefix does not move */
    assert_false(br_lane_remove(lane, c13));
    br_offsets_done(&partition->offsets, c13->message->seq);
    br_delivery_destroy(c13);
    assert_int_equal(lane->key_count, 2);
    assert_int_equal(br_offsets_committable(&partition->offsets), -1);
    /* b's first done: b's next may start, a's next still waits for a's first */
    finish(lane, b11);
    assert_ptr_equal(br_lane_next(lane), b14);
    assert_ptr_equal(take_at(lane, 14), b14);
    assert_null(br_lane_next(lane));
    finish(lane, a10);
    /* the done prefix moves over 10 and 11 only: 12 is not done */
    assert_int_equal(br_offsets_committable(&partition->offsets), 12);
    assert_ptr_equal(take_at(lane, 12), a12);
    finish(lane, b14);
    assert_int_equal(br_offsets_committable(&partition->offsets), 12);
    finish(lane, a12);
    /* all done: the prefix is complete, out-of-order completion notwithstanding */
    assert_int_equal(br_offsets_committable(&partition->offsets), 15);
    assert_int_equal(br_offsets_outstanding(&partition->offsets), 0);
    assert_int_equal(lane->count, 0);
    assert_int_equal(lane->key_count, 0);
    assert_int_equal(lane->in_flight, 0);
    assert_int_equal(lane->startable, 0);
    br_partition_revoke(partition);
}

static void test_key_retry_blocks_only_its_key(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *a10;
    struct br_delivery *a12;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    a10 = push_keyed(lane, 10, "a");
    push_keyed(lane, 11, "b");
    a12 = push_keyed(lane, 12, "a");
    push_keyed(lane, 13, "b");
    assert_ptr_equal(take_at(lane, 10), a10);
    br_lane_retry(lane, a10); /* a fails: waits for its retry time */
    assert_true(a10->waiting);
    assert_int_equal(lane->waiting, 1);
    assert_int_equal(lane->in_flight, 0);
    /* b goes on, all of it; a's next stays behind a's first */
    finish(lane, take_at(lane, 11));
    finish(lane, take_at(lane, 13));
    assert_null(br_lane_next(lane));
    assert_false(a12->startable);
    assert_int_equal(br_offsets_committable(&partition->offsets), -1); /* 10 holds the prefix */
    assert_int_equal(br_partition_window_use(partition), 4);          /* and the window */
    /* a's retry time comes: a in order, then the prefix moves to the end */
    br_lane_wake(lane, a10);
    assert_int_equal(lane->waiting, 0);
    assert_ptr_equal(take_at(lane, 10), a10);
    assert_null(br_lane_next(lane));
    finish(lane, a10);
    assert_int_equal(br_offsets_committable(&partition->offsets), 12);
    finish(lane, take_at(lane, 12));
    assert_int_equal(br_offsets_committable(&partition->offsets), 14);
    br_partition_revoke(partition);
}

static void test_key_null_and_lookalike_keys(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *none1;
    struct br_delivery *none2;
    struct br_delivery *empty;
    struct br_delivery *ab;
    struct br_delivery *ab2;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    none1 = push_keyed(lane, 1, NULL);
    empty = push_keyed(lane, 2, ""); /* an empty key is a key, not "no key" */
    none2 = push_keyed(lane, 3, NULL);
    ab = push_keyed(lane, 4, "ab");
    ab2 = push_keyed(lane, 5, "ab");
    assert_true(none1->startable);
    assert_true(empty->startable);
    assert_false(none2->startable); /* messages without a key: in order among themselves */
    assert_true(ab->startable);
    assert_false(ab2->startable);
    assert_int_equal(lane->key_count, 3);
    finish(lane, take_at(lane, 1));
    assert_ptr_equal(br_lane_next(lane), empty);
    assert_true(none2->startable);
    br_partition_revoke(partition); /* frees the rest, keys and all */
}

static void test_key_many_keys(void **state)
{
    enum { KEYS = 1000, ROUNDS = 3 };
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *delivery;
    char key[16];
    int64_t offset = 0;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < KEYS; k++) {
            snprintf(key, sizeof(key), "id-%d", k);
            push_keyed(lane, offset++, key);
        }
    }
    assert_int_equal(lane->key_count, KEYS);
    assert_true(lane->key_buckets >= KEYS);
    assert_int_equal(lane->startable, KEYS);
    /* take every key's first, finish them newest first: each releases its key's next */
    for (int k = 0; k < KEYS; k++) {
        take_at(lane, k);
    }
    assert_null(br_lane_next(lane));
    for (delivery = lane->tail; delivery; delivery = delivery->prev) {
        if (delivery->in_flight) {
            break;
        }
    }
    while (lane->in_flight > 0) {
        struct br_delivery *prev = delivery->prev;
        assert_true(br_lane_remove(lane, delivery));
        br_offsets_done(&partition->offsets, delivery->message->seq);
        br_delivery_destroy(delivery);
        delivery = prev;
    }
    assert_int_equal(br_offsets_committable(&partition->offsets), KEYS);
    assert_int_equal(lane->startable, KEYS);
    /* the released ones are the second round, in the order they were released */
    assert_int_equal(br_lane_next(lane)->message->offset, 2 * KEYS - 1);
    for (int k = 0; k < KEYS; k++) {
        finish(lane, br_lane_take(lane)); /* releases the third round's */
    }
    assert_int_equal(lane->count, KEYS);
    assert_int_equal(lane->startable, KEYS);
    assert_int_equal(br_offsets_committable(&partition->offsets), 2 * KEYS);
    br_partition_revoke(partition);
}

static void test_none_any_order(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *d[4];
    (void)state;

    lane->ordering = BR_ORDERING_NONE;
    for (int i = 0; i < 4; i++) {
        d[i] = push_keyed(lane, 20 + i, "same");
        assert_true(d[i]->startable); /* the same key makes no difference */
    }
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(take_at(lane, 20 + i), d[i]);
    }
    assert_int_equal(lane->in_flight, 4);
    br_lane_retry(lane, d[0]);      /* a failure waits alone */
    assert_false(br_lane_remove(lane, d[2])); /* nothing was behind it */
    br_offsets_done(&partition->offsets, d[2]->message->seq);
    br_delivery_destroy(d[2]);
    finish(lane, d[3]);
    finish(lane, d[1]);
    assert_int_equal(br_offsets_committable(&partition->offsets), -1); /* 20 still owed */
    br_lane_wake(lane, d[0]);
    finish(lane, take_at(lane, 20));
    assert_int_equal(br_offsets_committable(&partition->offsets), 24);
    br_partition_revoke(partition);
}

/*
 * A lane takes a changed ordering (a reload) only while empty: the deliveries in it keep the
 * promise they were queued under; once it has drained, the new ordering applies.
 */
static void test_ordering_changes_when_empty(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *first;
    (void)state;

    assert_true(br_lane_set_ordering(lane, BR_ORDERING_PARTITION)); /* the same: fine */
    assert_true(push_keyed(lane, 1, NULL)->startable);
    assert_false(push_keyed(lane, 2, NULL)->startable); /* behind 1 */
    assert_false(br_lane_set_ordering(lane, BR_ORDERING_NONE)); /* not empty: kept */
    assert_int_equal(lane->ordering, BR_ORDERING_PARTITION);
    first = take_at(lane, 1);
    assert_null(br_lane_next(lane)); /* still one at a time */
    finish(lane, first);
    finish(lane, take_at(lane, 2));
    assert_true(br_lane_set_ordering(lane, BR_ORDERING_NONE)); /* drained: applies */
    assert_int_equal(lane->ordering, BR_ORDERING_NONE);
    assert_true(push_keyed(lane, 3, NULL)->startable);
    assert_true(push_keyed(lane, 4, NULL)->startable); /* not behind 3 any more */
    first = take_at(lane, 3);
    finish(lane, take_at(lane, 4)); /* 4 finishes before 3: ordering none */
    finish(lane, first);
    assert_true(br_lane_set_ordering(lane, BR_ORDERING_KEY));
    assert_int_equal(br_offsets_committable(&partition->offsets), 5); /* all four done */
    assert_int_equal(partition->bytes, 0);
    br_partition_revoke(partition);
}

static void test_abandon_and_revoke(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *lane = partition->lanes[0];
    struct br_delivery *a1;
    struct br_message *kept;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    a1 = push_keyed(lane, 1, "a");
    push_keyed(lane, 2, "a");
    push_keyed(lane, 3, "b");
    take_at(lane, 1);
    take_at(lane, 3);
    /* a cancelled transfer: not in flight any more, never started again */
    br_lane_abandon(lane, a1);
    assert_false(a1->in_flight);
    assert_int_equal(lane->waiting, 1);
    assert_int_equal(lane->in_flight, 1);
    assert_null(br_lane_next(lane));
    kept = br_message_ref(a1->message);
    /* pop takes them all, in offset order, whatever their state */
    for (int64_t want = 1; want <= 3; want++) {
        struct br_delivery *delivery = br_lane_pop(lane);
        assert_non_null(delivery);
        assert_int_equal(delivery->message->offset, want);
        br_delivery_destroy(delivery);
    }
    assert_null(br_lane_pop(lane));
    assert_int_equal(lane->waiting, 0);
    assert_int_equal(lane->key_count, 0);
    assert_int_equal(lane->in_flight, 0);
    assert_int_equal(lane->startable, 0);
    br_partition_revoke(partition);
    br_message_release(kept);
}

static void test_message_bytes_and_lifetime(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_message *message = message_at(partition, 7, "hello\0world");
    size_t one;
    (void)state;

    one = partition->bytes;
    assert_true(one >= sizeof(*message) + 1 + 5);
    assert_int_equal(message->value_len, 5); /* strlen stops at the NUL above */
    assert_memory_equal(message->key, "k", 1);
    assert_int_equal(message->taken_ms, 1000);
    /* a delivery keeps the message; revoking the partition frees queued deliveries, while a
     * reference held elsewhere (a dead letter on its way) keeps message and partition alive */
    br_lane_push(partition->lanes[0], delivery_of(message));
    assert_int_equal(partition->refs, 2);
    br_partition_revoke(partition);
    assert_true(message->partition->revoked);
    assert_int_equal(message->refs, 1);
    assert_int_equal(message->partition->bytes, one);
    br_message_release(message); /* frees the message, then the partition */
}

static void test_window_counts_held(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    (void)state;

    br_offsets_add(&partition->offsets, 10, 1);
    br_offsets_add(&partition->offsets, 11, 1);
    assert_int_equal(br_partition_window_use(partition), 2);
    /* held messages are owned as rd_kafka_message_t; none can be made without a client,
     * so the held list is exercised with NULL entries and emptied before revoke */
    br_partition_hold(partition, NULL);
    br_partition_hold(partition, NULL);
    assert_int_equal(br_partition_window_use(partition), 4);
    assert_null(br_partition_unhold(partition));
    assert_int_equal(partition->held_count, 1);
    br_partition_unhold(partition);
    assert_int_equal(partition->held_count, 0);
    assert_null(partition->held_tail);
    assert_int_equal(br_partition_window_use(partition), 2);
    br_partition_revoke(partition);
}

static void test_null_safe(void **state)
{
    (void)state;
    br_partition_revoke(NULL);
    br_delivery_destroy(NULL);
    br_message_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lane_fifo),
        cmocka_unit_test(test_partition_retry_blocks_the_lane),
        cmocka_unit_test(test_key_in_flight_per_key),
        cmocka_unit_test(test_key_retry_blocks_only_its_key),
        cmocka_unit_test(test_key_null_and_lookalike_keys),
        cmocka_unit_test(test_key_many_keys),
        cmocka_unit_test(test_none_any_order),
        cmocka_unit_test(test_ordering_changes_when_empty),
        cmocka_unit_test(test_abandon_and_revoke),
        cmocka_unit_test(test_message_bytes_and_lifetime),
        cmocka_unit_test(test_window_counts_held),
        cmocka_unit_test(test_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
