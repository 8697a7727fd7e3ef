/*
 * Unit tests of json.c. Every expected string was written by PHP 8.2 (json_encode with no
 * flags; floats with serialize_precision -1 and, for "%.14G", precision 14).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/json.h"

/* input: JSON text read by jansson (JSON_DECODE_ANY | JSON_ALLOW_NUL); expect: PHP's output */
struct value_case {
    const char *input;
    const char *expect;
};

static const struct value_case value_cases[] = {
    {"\"plain\"", "\"plain\""},
    {"\"\"", "\"\""},
    {"\"a/b//c\"", "\"a\\/b\\/\\/c\""},
    {"\"quote \\\" backslash \\\\ end\"", "\"quote \\\" backslash \\\\ end\""},
    {"\"\\u0000nul\\u0000\"", "\"\\u0000nul\\u0000\""},
    {"\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""},
    {"\"\\u0001\\u001f\\u007f\\u0010\"", "\"\\u0001\\u001f\177\\u0010\""},
    {"\"caf\\u00e9 \\u20ac \\u00a0\"", "\"caf\\u00e9 \\u20ac \\u00a0\""},
    {"\"\\ud83d\\ude00 \\udbff\\udfff \\ud800\\udc00\"",
        "\"\\ud83d\\ude00 \\udbff\\udfff \\ud800\\udc00\""},
    {"\"\\u2028\\u2029\\ufeff\\uffff\"", "\"\\u2028\\u2029\\ufeff\\uffff\""},
    {"\"<tag attr='x'>&amp;</tag>\"", "\"<tag attr='x'>&amp;<\\/tag>\""},
    {"0", "0"},
    {"-1", "-1"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"true", "true"},
    {"false", "false"},
    {"null", "null"},
    {"{}", "{}"},
    {"[]", "[]"},
    {"[{}]", "[{}]"},
    {"{\"a\":[]}", "{\"a\":[]}"},
    {"[1,\"two\",3.5,null,true,false]", "[1,\"two\",3.5,null,true,false]"},
    {"{\"k/\\u00e9\":{\"n\":[[],{}]},\"\":1,\"x\":{\"y\":{\"z\":null}}}",
        "{\"k\\/\\u00e9\":{\"n\":[[],{}]},\"\":1,\"x\":{\"y\":{\"z\":null}}}"},
    {"{\"b\":1,\"a\":2,\"c\":3}", "{\"b\":1,\"a\":2,\"c\":3}"},
};

struct double_case {
    double value;
    const char *json;   /* json_encode($value) */
    const char *string; /* (string) in http_build_query: "%.14G" */
};

static const struct double_case double_cases[] = {
    {0.0, "0", "0"},
    {-0.0, "-0", "-0"},
    {1.0, "1", "1"},
    {-1.0, "-1", "-1"},
    {0.1, "0.1", "0.1"},
    {0.5, "0.5", "0.5"},
    {1.0 / 3.0, "0.3333333333333333", "0.33333333333333"},
    {2.5, "2.5", "2.5"},
    {100.0, "100", "100"},
    {1000000000000000.0, "1000000000000000", "1.0E+15"},
    {10000000000000000.0, "10000000000000000", "1.0E+16"},
    {1.0E+17, "1.0e+17", "1.0E+17"},
    {1.0E+21, "1.0e+21", "1.0E+21"},
    {1.0E+25, "1.0e+25", "1.0E+25"},
    {1.5E-7, "1.5e-7", "1.5E-7"},
    {0.0001, "0.0001", "0.0001"},
    {1.0E-5, "1.0e-5", "1.0E-5"},
    {0.0001234, "0.0001234", "0.0001234"},
    {1.2345678901234568E+17, "1.2345678901234568e+17", "1.2345678901235E+17"},
    {123456789012345.67, "123456789012345.67", "1.2345678901235E+14"},
    {5.0E-324, "5.0e-324", "4.9406564584125E-324"},
    {2.2250738585072014E-308, "2.2250738585072014e-308", "2.2250738585072E-308"},
    {1.7976931348623157E+308, "1.7976931348623157e+308", "1.7976931348623E+308"},
    {-1.5E+300, "-1.5e+300", "-1.5E+300"},
    {9007199254740992.0, "9007199254740992", "9.007199254741E+15"},
    {0.30000000000000004, "0.30000000000000004", "0.3"},
    {4.35, "4.35", "4.35"},
    {1.0E+100, "1.0e+100", "1.0E+100"},
};

static void assert_encodes(const json_t *value, const char *expect, size_t expect_len,
                           const char *what)
{
    struct br_buf out;
    char errstr[256] = "";

    br_buf_init(&out, 0);
    if (br_json_encode(value, &out, errstr, sizeof(errstr)) != 0) {
        fail_msg("%s: encode failed: %s", what, errstr);
    }
    if (out.len != expect_len || memcmp(out.data, expect, expect_len) != 0) {
        fail_msg("%s:\n  expected %s\n  got      %s", what, expect, out.data);
    }
    br_buf_finish(&out);
}

static void test_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
        const struct value_case *c = &value_cases[i];
        json_error_t error;
        json_t *value = json_loads(c->input, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);

        if (!value) {
            fail_msg("case %zu: input %s: %s", i, c->input, error.text);
        }
        assert_encodes(value, c->expect, strlen(c->expect), c->input);
        json_decref(value);
    }
}

static void test_doubles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(double_cases) / sizeof(double_cases[0]); i++) {
        const struct double_case *c = &double_cases[i];
        char text[BR_JSON_DOUBLE_MAX];
        json_t *value = json_real(c->value);

        assert_non_null(value);
        assert_encodes(value, c->json, strlen(c->json), c->json);
        json_decref(value);
        br_json_format_double(c->value, 14, text);
        if (strcmp(text, c->string) != 0) {
            fail_msg("%%.14G of %s: expected %s, got %s", c->json, c->string, text);
        }
    }
}

/* jansson keeps NUL bytes in strings made with json_stringn: PHP writes \u0000. */
static void test_nul_bytes(void **state)
{
    static const char expect[] = "[\"a\\u0000b\",\"\\u0000\"]";
    json_t *array = json_array();

    (void)state;
    json_array_append_new(array, json_stringn("a\0b", 3));
    json_array_append_new(array, json_stringn("\0", 1));
    assert_encodes(array, expect, strlen(expect), "NUL bytes");
    json_decref(array);
}

/* Objects keep insertion order, also after a value is replaced. */
static void test_order(void **state)
{
    static const char expect[] = "{\"z\":1,\"a\":[],\"m\":{}}";
    json_t *object = json_object();

    (void)state;
    json_object_set_new(object, "z", json_integer(0));
    json_object_set_new(object, "a", json_array());
    json_object_set_new(object, "m", json_object());
    json_object_set_new(object, "z", json_integer(1));
    assert_encodes(object, expect, strlen(expect), "order");
    json_decref(object);
}

/* PHP's json_encode fails on these: overlong, surrogate, above U+10FFFF, stray bytes. */
static const struct {
    const char *bytes;
    size_t len;
} invalid_cases[] = {
    {"\xc0\x80", 2}, {"\xc1\xbf", 2}, {"\xe0\x80\xaf", 3}, {"\xed\xa0\x80", 3},
    {"\xed\xbf\xbf", 3}, {"\xf4\x90\x80\x80", 4}, {"\xf5\x80\x80\x80", 4}, {"\xff", 1},
    {"\x80", 1}, {"ok\xe2\x82", 4}, {"\xe2\x82x", 3}, {"\xf0\x9f\x98", 3},
};

static void test_invalid_utf8(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        json_t *value = json_stringn_nocheck(invalid_cases[i].bytes, invalid_cases[i].len);
        json_t *key_case = json_object();
        struct br_buf out;
        char errstr[256] = "";

        br_buf_init(&out, 0);
        br_buf_append_str(&out, "prefix");
        if (br_json_encode(value, &out, errstr, sizeof(errstr)) == 0) {
            fail_msg("invalid case %zu was encoded: %s", i, out.data);
        }
        assert_true(errstr[0] != '\0');
        /* out is left as it was */
        assert_int_equal(out.len, 6);
        assert_string_equal(out.data, "prefix");
        json_object_set_new_nocheck(key_case, "k", value);
        if (br_json_encode(key_case, &out, errstr, sizeof(errstr)) == 0) {
            fail_msg("invalid case %zu inside an object was encoded: %s", i, out.data);
        }
        json_decref(key_case);
        br_buf_finish(&out);
    }
}

static void test_limit(void **state)
{
    struct br_buf out;
    char errstr[256] = "";
    json_t *value = json_string("0123456789012345678901234567890123456789");

    (void)state;
    br_buf_init(&out, 16);
    assert_int_equal(br_json_encode(value, &out, errstr, sizeof(errstr)), BR_JSON_OVER_LIMIT);
    assert_non_null(strstr(errstr, "limit"));
    assert_int_equal(out.len, 0);
    json_decref(value);
    br_buf_finish(&out);
}

/* Like PHP: 512 nested arrays are fine, 513 are not. */
static void test_depth(void **state)
{
    json_t *root = json_array();
    json_t *inner = root;
    struct br_buf out;
    char errstr[256] = "";

    (void)state;
    for (int i = 1; i < 512; i++) {
        json_t *next = json_array();
        json_array_append_new(inner, next);
        inner = next;
    }
    br_buf_init(&out, 0);
    assert_int_equal(br_json_encode(root, &out, errstr, sizeof(errstr)), 0);
    assert_int_equal(out.len, 1024);
    json_array_append_new(inner, json_array());
    br_buf_reset(&out);
    assert_int_equal(br_json_encode(root, &out, errstr, sizeof(errstr)), -1);
    assert_non_null(strstr(errstr, "depth"));
    assert_int_equal(out.len, 0);
    json_decref(root);
    br_buf_finish(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),       cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_nul_bytes),    cmocka_unit_test(test_order),
        cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_limit),
        cmocka_unit_test(test_depth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
