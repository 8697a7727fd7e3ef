/*
 * Unit tests of custom.c: the custom-field column as PERSCOM's model reads it. Expected texts
 * are PHP 8.2's: json_encode of what `foreach (json_decode($text, true) ?? [] as $k => $v)`
 * gives, without the hidden names (array_diff_key), and json_encode of the rest for `changes`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "perscom/custom.h"
#include "perscom/json.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hidden[] = {"password", "remember_token", "discord_private_channel_id",
                                     NULL};

static json_t *load(const char *json)
{
    json_error_t error;
    json_t *value = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);

    if (!value) {
        fail_msg("bad test JSON %s: %s", json, error.text);
    }
    return value;
}

static char *encode(const json_t *value)
{
    struct br_buf out;
    char errstr[128];

    br_buf_init(&out, 0);
    if (br_json_encode(value, &out, errstr, sizeof(errstr)) != 0) {
        fail_msg("json_encode: %s", errstr);
    }
    return br_buf_steal(&out, NULL);
}

struct fields_case {
    const char *column;  /* JSON of the column's value: a string holding the text, or null */
    const char *fields;  /* json_encode of the fields; NULL: refused */
    const char *message; /* refused: a part of the message */
};

static void run_fields(const struct fields_case *cases, size_t count,
                       const char *const *hidden_names)
{
    for (size_t i = 0; i < count; i++) {
        json_t *column = load(cases[i].column);
        char errstr[256] = "";
        json_t *fields = br_custom_fields(column, hidden_names, errstr, sizeof(errstr));

        if (!cases[i].fields) {
            if (fields) {
                fail_msg("%s: read, expected a refusal", cases[i].column);
            }
            if (!strstr(errstr, cases[i].message)) {
                fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].column, errstr,
                         cases[i].message);
            }
        } else {
            char *text;

            if (!fields) {
                fail_msg("%s: %s", cases[i].column, errstr);
            }
            text = encode(fields);
            if (strcmp(text, cases[i].fields) != 0) {
                fail_msg("%s: fields %s, want %s", cases[i].column, text, cases[i].fields);
            }
            free(text);
        }
        json_decref(fields);
        json_decref(column);
    }
}

static void test_fields(void **state)
{
    static const struct fields_case cases[] = {
        {"null", "{}", NULL},
        {"\"{}\"", "{}", NULL},
        {"\"[]\"", "{}", NULL},
        {"\" {\\\"b\\\":1,\\\"a\\\":{},\\\"l\\\":{\\\"0\\\":\\\"x\\\"}} \"",
         "{\"b\":1,\"a\":[],\"l\":[\"x\"]}", NULL},
        /* hidden names are left out, wherever they stand */
        {"\"{\\\"password\\\":\\\"hunter2\\\",\\\"rank\\\":\\\"Sgt\\\",\\\"remember_token\\\":1,"
         "\\\"discord_private_channel_id\\\":\\\"9\\\"}\"",
         "{\"rank\":\"Sgt\"}", NULL},
        {"\"{\\\"password\\\":\\\"x\\\"}\"", "{}", NULL},
        /* only at the top level: a nested key is a value's, not an attribute */
        {"\"{\\\"profile\\\":{\\\"password\\\":\\\"x\\\"}}\"",
         "{\"profile\":{\"password\":\"x\"}}", NULL},
        /* JSON null: json_decode gives null, `?? []` no fields */
        {"\"null\"", "{}", NULL},
        {"\" null \"", "{}", NULL},
        /* a list: foreach gives its items under the integer keys 0, 1, ... */
        {"\"[1]\"", "{\"0\":1}", NULL},
        {"\"[{\\\"a\\\":{}},{\\\"0\\\":\\\"x\\\"},null]\"",
         "{\"0\":{\"a\":[]},\"1\":[\"x\"],\"2\":null}", NULL},
        /* scalars: foreach fails, so PERSCOM's model cannot load the row (PHP's words) */
        {"\"42\"", NULL,
         "holds a JSON number, not an object or a list; PERSCOM's model cannot load the row "
         "(foreach() argument must be of type array|object, int given)"},
        {"\"-0\"", NULL, "a JSON number, not an object or a list; PERSCOM's model cannot load"},
        {"\"-1.5\"", NULL, "holds a JSON number, not an object or a list; PERSCOM's model "
                          "cannot load the row (foreach() argument must be of type "
                          "array|object, float given)"},
        {"\"1E5\"", NULL, "array|object, float given)"},
        {"\"\\\"text\\\"\"", NULL, "holds a JSON string, not an object or a list; PERSCOM's "
                                   "model cannot load the row (foreach() argument must be of "
                                   "type array|object, string given)"},
        {"\"true\"", NULL, "holds a JSON boolean, not an object or a list; PERSCOM's model "
                          "cannot load the row (foreach() argument must be of type "
                          "array|object, bool given)"},
        {"\" false \"", NULL, "a JSON boolean, not an object or a list; PERSCOM's model"},
        {"\"{bad\"", NULL, "is not valid JSON"},
        {"\"\"", NULL, "is not valid JSON"},
        {"{\"a\":1}", NULL, "is not a string"},
        {"5", NULL, "is not a string"},
    };
    (void)state;
    run_fields(cases, COUNT(cases), hidden);
}

/* A resource without hidden columns sends every name. */
static void test_fields_nothing_hidden(void **state)
{
    static const struct fields_case cases[] = {
        {"\"{\\\"password\\\":\\\"x\\\",\\\"a\\\":1}\"", "{\"password\":\"x\",\"a\":1}", NULL},
    };
    (void)state;
    run_fields(cases, COUNT(cases), NULL);
}

static void test_raw(void **state)
{
    static const struct {
        const char *column; /* JSON of the column's value */
        const char *raw;    /* json_encode of the value in `changes` */
    } cases[] = {
        {"null", "null"},
        /* no hidden key: the text exactly as it came, spacing and all */
        {"\"{\\\"a\\\": 1, \\\"n\\\": {}}\"", "\"{\\\"a\\\": 1, \\\"n\\\": {}}\""},
        {"\"{\\\"profile\\\":{\\\"password\\\":1}}\"",
         "\"{\\\"profile\\\":{\\\"password\\\":1}}\""},
        {"\"not json\"", "\"not json\""},
        {"\"[1,2]\"", "\"[1,2]\""},
        /* hidden keys: json_encode(array_diff_key(json_decode($text, true), $hidden)) */
        {"\"{\\\"a\\\": 1, \\\"password\\\": \\\"x\\\", \\\"n\\\": {}, \\\"f\\\": 1.0}\"",
         "\"{\\\"a\\\":1,\\\"n\\\":[],\\\"f\\\":1}\""},
        {"\"{\\\"password\\\":\\\"x\\\",\\\"0\\\":\\\"a\\\",\\\"1\\\":\\\"b\\\"}\"",
         "\"[\\\"a\\\",\\\"b\\\"]\""},
        {"\"{\\\"remember_token\\\":\\\"t\\\"}\"", "\"[]\""},
        {"\"{\\\"password\\\":\\\"x\\\",\\\"u\\\":\\\"\\\\u00e9/\\\"}\"",
         "\"{\\\"u\\\":\\\"\\\\u00e9\\\\\\/\\\"}\""},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *column = load(cases[i].column);
        char errstr[256] = "";
        json_t *raw = br_custom_raw(column, hidden, errstr, sizeof(errstr));
        char *text;

        if (!raw) {
            fail_msg("%s: %s", cases[i].column, errstr);
        }
        text = encode(raw);
        if (strcmp(text, cases[i].raw) != 0) {
            fail_msg("%s: raw %s, want %s", cases[i].column, text, cases[i].raw);
        }
        free(text);
        json_decref(raw);
        json_decref(column);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_fields_nothing_hidden),
        cmocka_unit_test(test_raw),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
