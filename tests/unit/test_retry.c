#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retry.h"

static void test_classify_table(void **state)
{
    static const struct {
        int transport_ok;
        long status;
        enum br_outcome want;
    } cases[] = {
        {1, 200, BR_OUTCOME_OK},        {1, 201, BR_OUTCOME_OK},
        {1, 204, BR_OUTCOME_OK},        {1, 299, BR_OUTCOME_OK},
        {1, 100, BR_OUTCOME_PERMANENT}, {1, 301, BR_OUTCOME_PERMANENT},
        {1, 302, BR_OUTCOME_PERMANENT}, {1, 400, BR_OUTCOME_PERMANENT},
        {1, 401, BR_OUTCOME_PERMANENT}, {1, 404, BR_OUTCOME_PERMANENT},
        {1, 408, BR_OUTCOME_RETRY},     {1, 410, BR_OUTCOME_PERMANENT},
        {1, 425, BR_OUTCOME_RETRY},     {1, 429, BR_OUTCOME_RETRY},
        {1, 500, BR_OUTCOME_RETRY},     {1, 503, BR_OUTCOME_RETRY},
        {1, 599, BR_OUTCOME_RETRY},     {1, 600, BR_OUTCOME_PERMANENT},
        {0, 0, BR_OUTCOME_RETRY},       {0, 200, BR_OUTCOME_RETRY},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum br_outcome got = br_retry_classify(cases[i].transport_ok, cases[i].status);
        if (got != cases[i].want) {
            fail_msg("case %zu: status %ld transport_ok %d: got %s, want %s", i, cases[i].status,
                     cases[i].transport_ok, br_retry_outcome_name(got),
                     br_retry_outcome_name(cases[i].want));
        }
    }
}

static void test_backoff_bounds(void **state)
{
    static const struct {
        unsigned attempt;
        int64_t lo, hi;
    } cases[] = {
        {1, 50, 100}, {2, 100, 200}, {3, 200, 400}, {4, 400, 800},
        {5, 500, 1000}, {6, 500, 1000}, {40, 500, 1000},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t lo = br_retry_backoff_ms(100, 1000, cases[i].attempt, 0);
        int64_t hi = br_retry_backoff_ms(100, 1000, cases[i].attempt, UINT64_MAX - 1);
        assert_int_equal(lo, cases[i].lo);
        assert_in_range(hi, cases[i].lo, cases[i].hi);
        for (uint64_t r = 0; r < 1000; r += 7) {
            assert_in_range(br_retry_backoff_ms(100, 1000, cases[i].attempt, r * 7919),
                            cases[i].lo, cases[i].hi);
        }
    }
}

static void test_backoff_degenerate(void **state)
{
    (void)state;
    /* max below initial: the initial delay is the cap */
    assert_in_range(br_retry_backoff_ms(300, 10, 5, 12345), 150, 300);
    /* zero initial is treated as 1 ms */
    assert_in_range(br_retry_backoff_ms(0, 0, 1, 99), 0, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_backoff_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
