/*
 * Unit tests of schedule.c: the ready queue, the backoff list, each hook's max_in_flight,
 * forgetting a partition, the jitter source and the clocks. Lanes are real ones
 * (br_partition_create) with real deliveries at their heads, since only a lane with a delivery
 * that may start may be queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "delivery/lanes.h"
#include "loop/schedule.h"

/* A partition of topic "t" with hooks lanes, each with one (empty) delivery at its head. */
static struct br_partition *partition_with_heads(int32_t id, size_t hooks)
{
    struct br_partition *partition = br_partition_create("t", id, NULL, hooks);

    for (size_t i = 0; i < hooks; i++) {
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        assert_non_null(delivery);
        assert_true(br_lane_push(partition->lanes[i], delivery));
    }
    return partition;
}

/* Takes lane's next delivery, fails it and backs it off until due_ms; returns it. */
static struct br_delivery *back_off(struct br_schedule *schedule, struct br_lane *lane,
                                    int64_t due_ms)
{
    struct br_delivery *delivery = br_lane_take(lane);

    assert_non_null(delivery);
    br_lane_retry(lane, delivery);
    br_schedule_backoff(schedule, delivery, due_ms);
    return delivery;
}

static void test_ready_is_fifo_once(void **state)
{
    struct br_partition *p1 = partition_with_heads(1, 2);
    struct br_partition *p2 = partition_with_heads(2, 1);
    struct br_lane *a = p1->lanes[0];
    struct br_lane *b = p1->lanes[1];
    struct br_lane *c = p2->lanes[0];
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    assert_null(br_schedule_pop(&schedule));
    br_schedule_ready(&schedule, b);
    br_schedule_ready(&schedule, c);
    br_schedule_ready(&schedule, a);
    br_schedule_ready(&schedule, b); /* queued already: stays where it is */
    assert_true(a->queued);
    assert_ptr_equal(br_schedule_pop(&schedule), b);
    assert_false(b->queued);
    assert_null(b->ready_next);
    assert_ptr_equal(br_schedule_pop(&schedule), c);
    assert_ptr_equal(br_schedule_pop(&schedule), a);
    assert_null(br_schedule_pop(&schedule));
    assert_null(schedule.ready_tail);
    /* queued again after the queue ran empty: the tail was reset */
    br_schedule_ready(&schedule, c);
    assert_ptr_equal(schedule.ready_head, c);
    assert_ptr_equal(schedule.ready_tail, c);
    assert_ptr_equal(br_schedule_pop(&schedule), c);
    br_schedule_finish(&schedule);
    br_partition_revoke(p1);
    br_partition_revoke(p2);
}

static void test_ready_refuses(void **state)
{
    struct br_partition *p1 = partition_with_heads(1, 1);
    struct br_partition *p2 = br_partition_create("t", 2, NULL, 1); /* no head */
    struct br_lane *lane = p1->lanes[0];
    struct br_delivery *delivery;
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    br_schedule_ready(&schedule, p2->lanes[0]);
    assert_false(p2->lanes[0]->queued);
    delivery = br_lane_take(lane); /* in flight: nothing else may start */
    br_schedule_ready(&schedule, lane);
    assert_false(lane->queued);
    br_lane_retry(lane, delivery); /* waiting for its retry time: still nothing */
    br_schedule_ready(&schedule, lane);
    assert_false(lane->queued);
    br_lane_wake(lane, delivery);
    p1->revoked = true;
    br_schedule_ready(&schedule, lane);
    assert_false(lane->queued);
    p1->revoked = false;
    assert_null(br_schedule_pop(&schedule));
    br_schedule_ready(&schedule, lane);
    assert_ptr_equal(br_schedule_pop(&schedule), lane);
    br_schedule_finish(&schedule);
    br_partition_revoke(p1);
    br_partition_revoke(p2);
}

static void test_backoff_fires_when_due(void **state)
{
    struct br_partition *p = partition_with_heads(1, 3);
    struct br_lane *a = p->lanes[0];
    struct br_lane *b = p->lanes[1];
    struct br_lane *c = p->lanes[2];
    struct br_delivery *waiting;
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    assert_int_equal(br_schedule_fire(&schedule, 0), INT64_MAX);
    waiting = back_off(&schedule, a, 1100);
    back_off(&schedule, b, 1050);
    back_off(&schedule, c, 1300);
    assert_int_equal(waiting->due_ms, 1100);
    assert_true(waiting->waiting);
    assert_int_equal(schedule.backoff_count, 3);
    assert_false(a->queued);

    assert_int_equal(br_schedule_fire(&schedule, 1040), 10); /* b in 10 ms */
    assert_null(br_schedule_pop(&schedule));
    assert_int_equal(br_schedule_fire(&schedule, 1050), 50); /* b due exactly now */
    assert_int_equal(schedule.backoff_count, 2);
    assert_int_equal(br_schedule_fire(&schedule, 1100), 200);
    assert_false(waiting->waiting);
    assert_ptr_equal(br_lane_next(a), waiting); /* may start again */
    assert_ptr_equal(br_schedule_pop(&schedule), b);
    assert_ptr_equal(br_schedule_pop(&schedule), a);
    assert_null(br_schedule_pop(&schedule));
    assert_int_equal(schedule.backoff_count, 1);
    assert_int_equal(br_schedule_fire(&schedule, 5000), INT64_MAX);
    assert_ptr_equal(br_schedule_pop(&schedule), c);
    assert_int_equal(schedule.backoff_count, 0);
    br_schedule_finish(&schedule);
    br_partition_revoke(p);
}

static void test_backoff_grows(void **state)
{
    enum { LANES = 40 };
    struct br_partition *p = partition_with_heads(1, LANES);
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    for (size_t i = 0; i < LANES; i++) {
        back_off(&schedule, p->lanes[i], 100 + (int64_t)i);
    }
    assert_int_equal(schedule.backoff_count, LANES);
    assert_true(schedule.backoff_cap >= LANES);
    assert_int_equal(br_schedule_fire(&schedule, 100 + LANES / 2 - 1), 1);
    assert_int_equal(schedule.backoff_count, LANES / 2);
    assert_int_equal(br_schedule_fire(&schedule, 1000), INT64_MAX);
    for (size_t i = 0; i < LANES; i++) {
        assert_ptr_equal(br_schedule_pop(&schedule), p->lanes[i]);
    }
    assert_null(br_schedule_pop(&schedule));
    br_schedule_finish(&schedule);
    assert_null(schedule.backoff);
    br_partition_revoke(p);
}

/* A partition of topic "t" with one hook lane in mode none holding count deliveries. */
static struct br_partition *partition_none(int32_t id, size_t count)
{
    struct br_partition *partition = br_partition_create("t", id, NULL, 1);

    partition->lanes[0]->ordering = BR_ORDERING_NONE;
    for (size_t i = 0; i < count; i++) {
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        assert_non_null(delivery);
        assert_true(br_lane_push(partition->lanes[0], delivery));
    }
    return partition;
}

static void test_hook_max_in_flight(void **state)
{
    struct br_conf_hook hooks[2] = {{.max_in_flight = 2}, {.max_in_flight = 0}};
    struct br_partition *p1 = partition_none(1, 4);
    struct br_partition *p2 = partition_none(2, 4);
    struct br_lane *a = p1->lanes[0];
    struct br_lane *b = p2->lanes[0];
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    br_schedule_set_hooks(&schedule, hooks, 2);
    assert_int_equal(schedule.hooks[0].cap, 2);
    assert_int_equal(schedule.hooks[1].cap, 0);
    /* two of hook 0's requests start, from either lane */
    assert_true(br_schedule_may_start(&schedule, a));
    br_schedule_started(&schedule, 0);
    assert_true(br_schedule_may_start(&schedule, b));
    br_schedule_started(&schedule, 0);
    /* the third waits, each lane once, in the order they asked */
    assert_false(br_schedule_may_start(&schedule, b));
    assert_false(br_schedule_may_start(&schedule, a));
    assert_false(br_schedule_may_start(&schedule, b));
    assert_true(a->capped);
    assert_ptr_equal(schedule.hooks[0].capped_head, b);
    assert_ptr_equal(schedule.hooks[0].capped_tail, a);
    assert_null(br_schedule_pop(&schedule));
    /* one ends: both waiting lanes are ready again (each starts one or waits again) */
    br_schedule_ended(&schedule, 0);
    assert_int_equal(schedule.hooks[0].in_flight, 1);
    assert_false(a->capped);
    assert_null(schedule.hooks[0].capped_head);
    assert_ptr_equal(br_schedule_pop(&schedule), b);
    assert_ptr_equal(br_schedule_pop(&schedule), a);
    assert_null(br_schedule_pop(&schedule));
    assert_true(br_schedule_may_start(&schedule, b));
    br_schedule_started(&schedule, 0);
    assert_false(br_schedule_may_start(&schedule, a));
    /* forgetting a partition takes its lane off the wait */
    br_schedule_forget(&schedule, p1);
    assert_false(a->capped);
    assert_null(schedule.hooks[0].capped_head);
    assert_null(schedule.hooks[0].capped_tail);
    /* a hook without a cap of its own, and a hook index beyond the table, never wait */
    for (int i = 0; i < 100; i++) {
        br_schedule_started(&schedule, 1);
    }
    a->hook_index = 1;
    assert_true(br_schedule_may_start(&schedule, a));
    a->hook_index = 7;
    assert_true(br_schedule_may_start(&schedule, a));
    br_schedule_started(&schedule, 7);
    br_schedule_ended(&schedule, 7);
    a->hook_index = 0;
    br_schedule_finish(&schedule);
    br_partition_revoke(p1);
    br_partition_revoke(p2);
}

static void test_forget_keeps_other_partitions(void **state)
{
    struct br_partition *p1 = partition_with_heads(1, 3);
    struct br_partition *p2 = partition_with_heads(2, 3);
    struct br_delivery *kept;
    struct br_schedule schedule;
    (void)state;

    br_schedule_init(&schedule, 1);
    /* ready: p1.0 p2.0 p1.1 p2.1; backoff: p1.2 p2.2 */
    br_schedule_ready(&schedule, p1->lanes[0]);
    br_schedule_ready(&schedule, p2->lanes[0]);
    br_schedule_ready(&schedule, p1->lanes[1]);
    br_schedule_ready(&schedule, p2->lanes[1]);
    back_off(&schedule, p1->lanes[2], 10);
    kept = back_off(&schedule, p2->lanes[2], 20);

    br_schedule_forget(&schedule, p1);
    assert_false(p1->lanes[0]->queued);
    assert_false(p1->lanes[1]->queued);
    assert_true(p2->lanes[0]->queued);
    assert_true(p2->lanes[1]->queued);
    assert_int_equal(schedule.backoff_count, 1);
    assert_ptr_equal(schedule.backoff[0], kept);
    /* the kept queue is well linked: a lane queued now goes behind it */
    br_schedule_ready(&schedule, p1->lanes[0]);
    assert_ptr_equal(br_schedule_pop(&schedule), p2->lanes[0]);
    assert_ptr_equal(br_schedule_pop(&schedule), p2->lanes[1]);
    assert_ptr_equal(br_schedule_pop(&schedule), p1->lanes[0]);
    assert_null(br_schedule_pop(&schedule));
    assert_int_equal(br_schedule_fire(&schedule, 100), INT64_MAX);
    assert_ptr_equal(br_schedule_pop(&schedule), p2->lanes[2]);

    /* forgetting the only partition empties everything */
    br_schedule_ready(&schedule, p2->lanes[0]);
    back_off(&schedule, p2->lanes[1], 10);
    br_schedule_forget(&schedule, p2);
    assert_null(schedule.ready_head);
    assert_null(schedule.ready_tail);
    assert_int_equal(schedule.backoff_count, 0);
    br_schedule_finish(&schedule);
    br_partition_revoke(p1);
    br_partition_revoke(p2);
}

static void test_random_is_xorshift64star(void **state)
{
    struct br_schedule one;
    struct br_schedule zero;
    (void)state;

    /* reference values computed independently (Python, xorshift64* with shifts 12, 25, 27) */
    br_schedule_init(&one, 1);
    assert_int_equal(br_schedule_random(&one), 0x47e4ce4b896cdd1dULL);
    assert_int_equal(br_schedule_random(&one), 0xabcfa6a8e079651dULL);
    assert_int_equal(br_schedule_random(&one), 0xb9d10d8feb731f57ULL);
    /* a zero seed would stick at zero: it is replaced */
    br_schedule_init(&zero, 0);
    assert_int_equal(br_schedule_random(&zero), 0x0d83b3e29a21487aULL);
    assert_int_not_equal(br_schedule_random(&zero), 0);
    br_schedule_finish(&one);
    br_schedule_finish(&zero);
}

static void test_clocks(void **state)
{
    int64_t wall = br_schedule_wall_ms();
    int64_t first = br_schedule_now_ms();
    int64_t later;
    struct timespec pause = {0, 20 * 1000 * 1000};
    (void)state;

    /* wall: milliseconds since the epoch, agreeing with time() */
    assert_true(wall / 1000 >= (int64_t)time(NULL) - 1);
    assert_true(wall / 1000 <= (int64_t)time(NULL) + 1);
    nanosleep(&pause, NULL);
    later = br_schedule_now_ms();
    assert_true(later - first >= 19);
    assert_true(later - first < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_is_fifo_once),
        cmocka_unit_test(test_ready_refuses),
        cmocka_unit_test(test_backoff_fires_when_due),
        cmocka_unit_test(test_backoff_grows),
        cmocka_unit_test(test_hook_max_in_flight),
        cmocka_unit_test(test_forget_keeps_other_partitions),
        cmocka_unit_test(test_random_is_xorshift64star),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
