/*
 * Unit tests of query.c. Every expected string was written by PHP 8.2:
 * http_build_query(json_decode($input, true), '', '&', PHP_QUERY_RFC3986).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/query.h"

struct query_case {
    const char *input; /* JSON text read by jansson */
    const char *expect;
};

static const struct query_case query_cases[] = {
    {"{}", ""},
    {"[]", ""},
    {"{\"a\":\"b\"}", "a=b"},
    {"{\"a\":null,\"b\":[],\"c\":{},\"d\":1}", "d=1"},
    {"{\"t\":true,\"f\":false}", "t=1&f=0"},
    {"{\"data\":{\"user_id\":3}}", "data%5Buser_id%5D=3"},
    {"{\"data\":{\"tags\":[\"a\",\"b\"]}}", "data%5Btags%5D%5B0%5D=a&data%5Btags%5D%5B1%5D=b"},
    {"{\"data\":{\"x\":{\"y\":{\"z\":\"deep\"}}}}", "data%5Bx%5D%5By%5D%5Bz%5D=deep"},
    {"{\"s\":\"a b/c?d=e&f+g%h#i~j-k_l.m\"}", "s=a%20b%2Fc%3Fd%3De%26f%2Bg%25h%23i~j-k_l.m"},
    {"{\"u\":\"caf\\u00e9 \\ud83d\\ude00 \\u0000 \\n\"}", "u=caf%C3%A9%20%F0%9F%98%80%20%00%20%0A"},
    {"{\"k y/\\u00e9\":{\"[i]\":\"v\"}}", "k%20y%2F%C3%A9%5B%5Bi%5D%5D=v"},
    {"[\"x\",\"y\"]", "0=x&1=y"},
    {"{\"n\":-9223372036854775808,\"m\":9223372036854775807}",
        "n=-9223372036854775808&m=9223372036854775807"},
    {"{\"f\":1.0,\"g\":0.1,\"h\":1e25,\"i\":-0.0,\"j\":0.3333333333333333}",
        "f=1&g=0.1&h=1.0E%2B25&i=-0&j=0.33333333333333"},
    {"{\"event\":\"user.updated\",\"request_id\":null,\"changes\":[],\"data\":{\"id\":1,\""
        "list\":[null,1,[]]}}", "event=user.updated&data%5Bid%5D=1&data%5Blist%5D%5B1%5D=1"},
    {"{\"\":\"empty\",\"e\":\"\"}", "=empty&e="},
};

static void test_queries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
        const struct query_case *c = &query_cases[i];
        json_error_t error;
        json_t *value = json_loads(c->input, JSON_ALLOW_NUL, &error);
        struct br_buf out;
        char errstr[256] = "";

        if (!value) {
            fail_msg("case %zu: input %s: %s", i, c->input, error.text);
        }
        br_buf_init(&out, 0);
        if (br_query_build(value, &out, errstr, sizeof(errstr)) != 0) {
            fail_msg("case %zu: %s", i, errstr);
        }
        if (strcmp(out.data ? out.data : "", c->expect) != 0) {
            fail_msg("%s:\n  expected %s\n  got      %s", c->input, c->expect, out.data);
        }
        br_buf_finish(&out);
        json_decref(value);
    }
}

/* A query is appended to what out already holds; '&' only between its own members. */
static void test_appends(void **state)
{
    json_t *value = json_pack("{s:i, s:s}", "a", 1, "b", "x");
    struct br_buf out;
    char errstr[256] = "";

    (void)state;
    br_buf_init(&out, 0);
    br_buf_append_str(&out, "http://h/p?");
    assert_int_equal(br_query_build(value, &out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out.data, "http://h/p?a=1&b=x");
    br_buf_finish(&out);
    json_decref(value);
}

static void test_errors(void **state)
{
    json_t *scalar = json_string("x");
    json_t *big = json_pack("{s:s}", "k", "0123456789012345678901234567890123456789");
    struct br_buf out;
    char errstr[256] = "";

    (void)state;
    br_buf_init(&out, 0);
    assert_int_equal(br_query_build(scalar, &out, errstr, sizeof(errstr)), -1);
    assert_true(errstr[0] != '\0');
    br_buf_finish(&out);
    br_buf_init(&out, 20);
    errstr[0] = '\0';
    assert_int_equal(br_query_build(big, &out, errstr, sizeof(errstr)), -1);
    assert_true(errstr[0] != '\0');
    br_buf_finish(&out);
    json_decref(scalar);
    json_decref(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
