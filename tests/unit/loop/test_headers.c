/*
 * Unit tests of headers.c: when a request_id or trace_id header's text is usable, the one rule
 * of run, render and replay, and the one pass over a message's headers that finds Apicurio's
 * schema-id headers and copies them for its dead letter (the readers of rd_kafka_message_t are
 * covered by the integration tests: they need messages librdkafka made).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* The name and value of kept's header i, as text ("<none>" past the end, "<null>" for none). */
static void header_at(const rd_kafka_headers_t *kept, size_t i, char *buf, size_t size)
{
    const char *name = NULL;
    const void *value = NULL;
    size_t len = 0;

    if (rd_kafka_header_get_all(kept, i, &name, &value, &len) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(buf, size, "<none>");
    } else if (!value) {
        snprintf(buf, size, "%s=<null>", name);
    } else {
        snprintf(buf, size, "%s=%.*s", name, (int)len, (const char *)value);
    }
}

static void test_value_ids_keep(void **state)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(8);
    rd_kafka_headers_t *kept = NULL;
    struct br_value_headers ids;
    char text[128];

    (void)state;
    rd_kafka_header_add(headers, "request_id", -1, "r-1", 3);
    rd_kafka_header_add(headers, BR_FRAMING_GLOBAL_ID_HEADER, -1, "g1", 2);
    rd_kafka_header_add(headers, "trace_id", -1, "t-1", 3);
    rd_kafka_header_add(headers, BR_FRAMING_CONTENT_ID_HEADER, -1, "c1", 2);
    rd_kafka_header_add(headers, BR_FRAMING_GLOBAL_ID_HEADER, -1, "g2", 2);
    assert_true(br_header_value_ids_keep(headers, &ids, &kept));
    assert_non_null(kept);
    /* every occurrence of the two, in order, nothing else */
    assert_int_equal(rd_kafka_header_cnt(kept), 3);
    header_at(kept, 0, text, sizeof(text));
    assert_string_equal(text, BR_FRAMING_GLOBAL_ID_HEADER "=g1");
    header_at(kept, 1, text, sizeof(text));
    assert_string_equal(text, BR_FRAMING_CONTENT_ID_HEADER "=c1");
    header_at(kept, 2, text, sizeof(text));
    assert_string_equal(text, BR_FRAMING_GLOBAL_ID_HEADER "=g2");
    /* the last occurrence of each is the one the framing reads */
    assert_int_equal(ids.content_id_len, 2);
    assert_memory_equal(ids.content_id, "c1", 2);
    assert_int_equal(ids.global_id_len, 2);
    assert_memory_equal(ids.global_id, "g2", 2);
    rd_kafka_headers_destroy(kept);
    rd_kafka_headers_destroy(headers);
}

static void test_value_ids_keep_none(void **state)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(2);
    rd_kafka_headers_t *kept = (rd_kafka_headers_t *)1;
    struct br_value_headers ids;

    (void)state;
    rd_kafka_header_add(headers, "request_id", -1, "r-1", 3);
    assert_false(br_header_value_ids_keep(headers, &ids, &kept));
    assert_null(kept);
    assert_null(ids.content_id);
    assert_null(ids.global_id);
    rd_kafka_headers_destroy(headers);
}

static void test_value_ids_keep_empty_value(void **state)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(2);
    rd_kafka_headers_t *kept = NULL;
    struct br_value_headers ids;
    char text[128];

    (void)state;
    /* a header without a value is present with 0 bytes, and kept without a value */
    rd_kafka_header_add(headers, BR_FRAMING_CONTENT_ID_HEADER, -1, NULL, 0);
    assert_true(br_header_value_ids_keep(headers, &ids, &kept));
    assert_non_null(ids.content_id);
    assert_int_equal(ids.content_id_len, 0);
    assert_null(ids.global_id);
    header_at(kept, 0, text, sizeof(text));
    assert_string_equal(text, BR_FRAMING_CONTENT_ID_HEADER "=<null>");
    header_at(kept, 1, text, sizeof(text));
    assert_string_equal(text, "<none>");
    rd_kafka_headers_destroy(kept);
    rd_kafka_headers_destroy(headers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable),
        cmocka_unit_test(test_unusable),
        cmocka_unit_test(test_value_ids_keep),
        cmocka_unit_test(test_value_ids_keep_none),
        cmocka_unit_test(test_value_ids_keep_empty_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
