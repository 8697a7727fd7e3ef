#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "delivery/health.h"

/* Lanes are only compared by address here. */
static struct br_lane *lane_at(int i)
{
    static char lanes[8];
    return (struct br_lane *)(void *)&lanes[i];
}

static void test_closed_lets_everyone_start(void **state)
{
    struct br_health health;
    (void)state;
    br_health_init(&health);
    for (int i = 0; i < 4; i++) {
        assert_true(br_health_may_start(&health, lane_at(i)));
    }
    br_health_failure(&health, lane_at(0), 3);
    br_health_failure(&health, lane_at(1), 3);
    assert_false(health.open);
    assert_true(br_health_may_start(&health, lane_at(2)));
    /* a success resets the count */
    assert_false(br_health_success(&health, lane_at(2)));
    br_health_failure(&health, lane_at(0), 3);
    br_health_failure(&health, lane_at(1), 3);
    assert_false(health.open);
    br_health_finish(&health);
}

static void test_open_one_probe_others_parked(void **state)
{
    struct br_health health;
    (void)state;
    br_health_init(&health);
    for (int i = 0; i < 3; i++) {
        br_health_failure(&health, lane_at(i), 3);
    }
    assert_true(health.open);
    assert_ptr_equal(health.probe, lane_at(2)); /* the lane that tipped it probes */
    assert_true(br_health_may_start(&health, lane_at(2)));
    assert_false(br_health_may_start(&health, lane_at(0)));
    assert_false(br_health_may_start(&health, lane_at(1)));
    assert_false(br_health_may_start(&health, lane_at(1))); /* parked once only */
    assert_int_equal(health.parked_count, 2);
    /* the probe fails again: still open, still the probe */
    br_health_failure(&health, lane_at(2), 3);
    assert_true(health.open);
    assert_true(br_health_may_start(&health, lane_at(2)));
    /* the probe succeeds: closed, parked lanes come back in order */
    assert_true(br_health_success(&health, lane_at(2)));
    assert_false(health.open);
    assert_ptr_equal(br_health_unpark(&health), lane_at(0));
    assert_ptr_equal(br_health_unpark(&health), lane_at(1));
    assert_null(br_health_unpark(&health));
    br_health_finish(&health);
}

static void test_release_hands_the_probe_on(void **state)
{
    struct br_health health;
    (void)state;
    br_health_init(&health);
    br_health_failure(&health, lane_at(0), 1);
    assert_true(health.open);
    assert_false(br_health_may_start(&health, lane_at(1)));
    assert_false(br_health_may_start(&health, lane_at(2)));
    /* lane 0's head was dead-lettered: lane 1 must go next, or nobody would */
    assert_ptr_equal(br_health_release(&health, lane_at(0)), lane_at(1));
    assert_null(health.probe);
    assert_true(br_health_may_start(&health, lane_at(1)));
    assert_ptr_equal(health.probe, lane_at(1));
    /* releasing a lane that is not the probe changes nothing */
    assert_null(br_health_release(&health, lane_at(2)));
    assert_ptr_equal(health.probe, lane_at(1));
    /* a revoked partition's lanes are forgotten; nobody is left to hand the probe to */
    assert_null(br_health_forget(&health, lane_at(2)));
    assert_null(br_health_forget(&health, lane_at(1)));
    assert_null(health.probe);
    assert_int_equal(health.parked_count, 0);
    br_health_finish(&health);
}

static void test_forget_hands_the_probe_on(void **state)
{
    struct br_health health;
    (void)state;
    br_health_init(&health);
    /* X probes, Y and Z are parked */
    br_health_failure(&health, lane_at(0), 1);
    assert_false(br_health_may_start(&health, lane_at(1)));
    assert_false(br_health_may_start(&health, lane_at(2)));
    assert_false(br_health_may_start(&health, lane_at(3)));
    /* forgetting a parked lane while the probe is there hands nothing out */
    assert_null(br_health_forget(&health, lane_at(3)));
    assert_ptr_equal(health.probe, lane_at(0));
    assert_int_equal(health.parked_count, 2);
    /* one revoke takes X and Y: forgetting X hands out Y (the oldest parked), forgetting Y,
     * which had not started yet, hands out Z; else Z would wait for ever */
    assert_ptr_equal(br_health_forget(&health, lane_at(0)), lane_at(1));
    assert_null(health.probe);
    assert_ptr_equal(br_health_forget(&health, lane_at(1)), lane_at(2));
    assert_int_equal(health.parked_count, 0);
    assert_true(health.open);
    assert_true(br_health_may_start(&health, lane_at(2)));
    assert_ptr_equal(health.probe, lane_at(2));
    /* a closed hook hands nothing out */
    assert_false(br_health_success(&health, lane_at(2)));
    assert_true(br_health_may_start(&health, lane_at(4)));
    assert_null(br_health_forget(&health, lane_at(2)));
    br_health_finish(&health);
}

static void test_threshold_zero_never_opens(void **state)
{
    struct br_health health;
    (void)state;
    br_health_init(&health);
    for (int i = 0; i < 100; i++) {
        br_health_failure(&health, lane_at(i % 4), 0);
    }
    assert_false(health.open);
    assert_true(br_health_may_start(&health, lane_at(3)));
    br_health_finish(&health);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_lets_everyone_start),
        cmocka_unit_test(test_open_one_probe_others_parked),
        cmocka_unit_test(test_release_hands_the_probe_on),
        cmocka_unit_test(test_forget_hands_the_probe_on),
        cmocka_unit_test(test_threshold_zero_never_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
