/*
 * Unit tests of customscan.c: what it accepts is exactly what jansson reads into a flat object
 * of simple scalars (each accepted text is checked against json_loadb member by member), and
 * everything else is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "perscom/customscan.h"

/* The scanned members against jansson's object of the same text. */
static void same_as_jansson(const char *text, const struct br_customscan *scan)
{
    json_error_t error;
    json_t *parsed = json_loadb(text, strlen(text), JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    const char *key;
    json_t *member;
    size_t i = 0;

    if (!json_is_object(parsed)) {
        fail_msg("%s: accepted, but jansson reads no object (%s)", text, error.text);
    }
    assert_int_equal(json_object_size(parsed), scan->count);
    json_object_foreach(parsed, key, member) {
        const struct br_customscan_member *m = &scan->members[i++];
        char digits[32];

        assert_string_equal(m->key, key);
        switch (m->type) {
        case BR_CUSTOMSCAN_STRING:
            assert_true(json_is_string(member));
            assert_int_equal(json_string_length(member), m->len);
            assert_memory_equal(json_string_value(member), m->text, m->len);
            break;
        case BR_CUSTOMSCAN_INTEGER:
            assert_true(json_is_integer(member));
            snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT, json_integer_value(member));
            assert_int_equal(strlen(digits), m->len);
            assert_memory_equal(digits, m->text, m->len);
            break;
        case BR_CUSTOMSCAN_TRUE:
            assert_true(json_is_true(member));
            break;
        case BR_CUSTOMSCAN_FALSE:
            assert_true(json_is_false(member));
            break;
        case BR_CUSTOMSCAN_NULL:
            assert_true(json_is_null(member));
            break;
        }
    }
    json_decref(parsed);
}

static void test_accepted(void **state)
{
    static const struct {
        const char *text;
        size_t count;
    } cases[] = {
        {"{\"callsign\":\"Viper 7\",\"board\":\"B-7\"}", 2},
        {"{}", 0},
        {" \t\r\n{ \n} \r\n", 0},
        {"{\"a\" : 1 , \"b\":-12,\"c\":0,\"d\":true,\"e\":false,\"f\":null}", 6},
        {"{\"big\":999999999999999999,\"small\":-999999999999999999}", 2},
        {"{\"\":\"\"}", 1},
        {"{\"caf\xc3\xa9\":\"\xe2\x82\xac 5 \xf0\x9f\x98\x80 /x\x7f\"}", 1},
        {"{\"0\":\"a\",\"1\":\"b\"}", 2},
        {"{\"b\":1,\"a\":2}", 2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_customscan scan;

        if (br_customscan_object(cases[i].text, strlen(cases[i].text), &scan) != 0) {
            fail_msg("refused: %s", cases[i].text);
        }
        assert_int_equal(scan.count, cases[i].count);
        same_as_jansson(cases[i].text, &scan);
    }
}

static void test_refused(void **state)
{
    static const char *const cases[] = {
        "", "   ", "[]", "null", "\"x\"", "1", "{", "{\"a\":1", "{\"a\":1,}", "{,}",
        "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}", "{\"a\":1}x", "{\"a\":1} {}",
        "{\"a\":\"x\\\"y\"}", "{\"a\\u0062\":1}", "{\"a\":\"tab\there\"}",
        "{\"a\":\"\xc3\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1E3}", "{\"a\":-0}", "{\"a\":01}", "{\"a\":-}",
        "{\"a\":1234567890123456789}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":truex}",
        "{\"a\":nul}", "{\"a\":{}}", "{\"a\":[]}", "{\"a\":1,\"a\":2}", "\xef\xbb\xbf{}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_customscan scan;

        if (br_customscan_object(cases[i], strlen(cases[i]), &scan) != -1) {
            fail_msg("accepted: %s", cases[i]);
        }
    }
}

/* A NUL byte in the text (the column is a JSON string: it may hold one) is refused. */
static void test_nul_refused(void **state)
{
    static const char text[] = "{\"a\":\"x\0y\"}";
    struct br_customscan scan;

    (void)state;
    assert_int_equal(br_customscan_object(text, sizeof(text) - 1, &scan), -1);
    assert_int_equal(br_customscan_object(text, 7, &scan), -1); /* cut short */
}

/* The limits: BR_CUSTOMSCAN_MAX_MEMBERS members and BR_CUSTOMSCAN_KEY_BYTES of keys. */
static void test_limits(void **state)
{
    char text[4096];
    size_t len;
    struct br_customscan scan;
    char key[600];

    (void)state;
    for (int members = BR_CUSTOMSCAN_MAX_MEMBERS; members <= BR_CUSTOMSCAN_MAX_MEMBERS + 1;
         members++) {
        len = (size_t)snprintf(text, sizeof(text), "{");
        for (int i = 0; i < members; i++) {
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\"k%d\":%d",
                                    i ? "," : "", i, i);
        }
        len += (size_t)snprintf(text + len, sizeof(text) - len, "}");
        assert_int_equal(br_customscan_object(text, len, &scan),
                         members <= BR_CUSTOMSCAN_MAX_MEMBERS ? 0 : -1);
        if (members <= BR_CUSTOMSCAN_MAX_MEMBERS) {
            same_as_jansson(text, &scan);
        }
    }
    /* two keys of 511 bytes and their NULs fill the 1024 bytes; one more byte does not fit */
    memset(key, 'k', 511);
    key[511] = '\0';
    len = (size_t)snprintf(text, sizeof(text), "{\"a%s\":1,\"b%s\":2}", key + 1, key + 1);
    assert_int_equal(br_customscan_object(text, len, &scan), 0);
    same_as_jansson(text, &scan);
    len = (size_t)snprintf(text, sizeof(text), "{\"a%s\":1,\"bb%s\":2}", key + 1, key + 1);
    assert_int_equal(br_customscan_object(text, len, &scan), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_nul_refused),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
