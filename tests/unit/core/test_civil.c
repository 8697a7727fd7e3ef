/* Unit tests of civil.c: day counts both ways around the epoch and leap days; date validity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/civil.h"

static void test_days_round_trip(void **state)
{
    static const struct {
        int64_t year;
        int month, day;
        int64_t days;
    } cases[] = {
        {1970, 1, 1, 0},        {1969, 12, 31, -1},     {2000, 2, 29, 11016},
        {2000, 3, 1, 11017},    {2024, 2, 29, 19782},   {1900, 3, 1, -25508},
        {1600, 1, 1, -135140},  {9999, 12, 31, 2932896},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t year;
        int month, day;

        assert_int_equal(br_civil_days(cases[i].year, cases[i].month, cases[i].day),
                         cases[i].days);
        br_civil_from_days(cases[i].days, &year, &month, &day);
        assert_int_equal(year, cases[i].year);
        assert_int_equal(month, cases[i].month);
        assert_int_equal(day, cases[i].day);
    }
}

static void test_valid_date(void **state)
{
    (void)state;
    assert_true(br_civil_valid_date(2024, 2, 29));
    assert_true(br_civil_valid_date(2000, 2, 29));
    assert_false(br_civil_valid_date(2023, 2, 29));
    assert_false(br_civil_valid_date(1900, 2, 29));
    assert_true(br_civil_valid_date(2023, 12, 31));
    assert_false(br_civil_valid_date(2023, 4, 31));
    assert_false(br_civil_valid_date(2023, 0, 1));
    assert_false(br_civil_valid_date(2023, 13, 1));
    assert_false(br_civil_valid_date(2023, 1, 0));
    assert_false(br_civil_valid_date(2023, 1, 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_round_trip),
        cmocka_unit_test(test_valid_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
