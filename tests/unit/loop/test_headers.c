/*
 * Unit tests of headers.c: when a request_id or trace_id header's text is usable, the one rule
 * of run, render and replay (the readers of rd_kafka_message_t are covered by the integration
 * tests: they need messages librdkafka made).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loop/headers.h"

static void test_usable(void **state)
{
    char longest[BR_HEADER_TEXT_SIZE];

    (void)state;
    assert_null(br_header_unusable("abc", 3, BR_HEADER_TEXT_SIZE));
    assert_null(br_header_unusable("caf\xc3\xa9", 5, BR_HEADER_TEXT_SIZE));
    memset(longest, 'a', sizeof(longest));
    assert_null(br_header_unusable(longest, sizeof(longest) - 1, BR_HEADER_TEXT_SIZE));
}

static void test_unusable(void **state)
{
    char too_long[BR_HEADER_TEXT_SIZE];

    (void)state;
    assert_string_equal(br_header_unusable(NULL, 0, BR_HEADER_TEXT_SIZE), "empty");
    assert_string_equal(br_header_unusable("", 0, BR_HEADER_TEXT_SIZE), "empty");
    memset(too_long, 'a', sizeof(too_long));
    assert_string_equal(br_header_unusable(too_long, sizeof(too_long), BR_HEADER_TEXT_SIZE),
                        "too long");
    assert_string_equal(br_header_unusable("caf\xe9", 4, BR_HEADER_TEXT_SIZE), "not UTF-8");
    assert_string_equal(br_header_unusable("a\0b", 3, BR_HEADER_TEXT_SIZE), "not UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable),
        cmocka_unit_test(test_unusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
