#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lanes.h"

static struct br_delivery *delivery_at(int64_t offset)
{
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));
    assert_non_null(delivery);
    delivery->offset = offset;
    return delivery;
}

static void test_lane_fifo(void **state)
{
    struct br_partition *partition = br_partition_create("t", 3, NULL, 2);
    struct br_lane *lane = &partition->lanes[1];
    struct br_delivery *delivery;
    (void)state;

    assert_int_equal(partition->lane_count, 2);
    assert_ptr_equal(lane->partition, partition);
    assert_int_equal(lane->hook_index, 1);
    assert_true(br_lane_push(lane, delivery_at(1)));  /* first becomes the head */
    assert_false(br_lane_push(lane, delivery_at(2)));
    assert_false(br_lane_push(lane, delivery_at(3)));
    assert_int_equal(lane->count, 3);
    for (int64_t want = 1; want <= 3; want++) {
        lane->in_flight = true;
        delivery = br_lane_pop(lane);
        assert_non_null(delivery);
        assert_int_equal(delivery->offset, want);
        assert_false(lane->in_flight); /* the next head is not in flight yet */
        br_delivery_destroy(delivery);
    }
    assert_null(br_lane_pop(lane));
    assert_null(lane->tail);
    /* the other lane was untouched */
    assert_null(partition->lanes[0].head);
    /* queued deliveries are freed with the partition */
    br_lane_push(&partition->lanes[0], delivery_at(9));
    br_partition_destroy(partition);
}

static void test_window_counts_held(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    rd_kafka_message_t *message;
    (void)state;

    br_offsets_add(&partition->offsets, 10, 1);
    br_offsets_add(&partition->offsets, 11, 1);
    assert_int_equal(br_partition_window_use(partition), 2);
    /* held messages are owned as rd_kafka_message_t; none can be made without a client,
     * so the held list is exercised with NULL payloads and emptied before destroy */
    br_partition_hold(partition, NULL);
    br_partition_hold(partition, NULL);
    assert_int_equal(br_partition_window_use(partition), 4);
    message = br_partition_unhold(partition);
    assert_null(message);
    assert_int_equal(partition->held_count, 1);
    br_partition_unhold(partition);
    assert_int_equal(partition->held_count, 0);
    assert_null(partition->held_tail);
    assert_int_equal(br_partition_window_use(partition), 2);
    br_partition_destroy(partition);
}

static void test_destroy_null(void **state)
{
    (void)state;
    br_partition_destroy(NULL);
    br_delivery_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lane_fifo),
        cmocka_unit_test(test_window_counts_held),
        cmocka_unit_test(test_destroy_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
