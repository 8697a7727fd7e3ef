/*
 * Unit tests of schemabounds.c: schemas over each bound are refused with the bound named, the
 * same schemas one step inside it are accepted, and avro-c builds every accepted one (its
 * schema, class and value), so that "accepted" means what the decoder will do with it. The
 * committed schemas (../../../schemas, fixtures, fuzz schemas) are all accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <cmocka.h>

#include "avro/schemabounds.h"
#include "core/buf.h"
#include "support/readfile.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* avro-c builds the schema, its class and a value: what the decoder does after the check. */
static void assert_avro_c_builds(const char *text, const char *what)
{
    avro_schema_t schema = NULL;
    avro_value_iface_t *iface;
    avro_value_t value;

    if (avro_schema_from_json_length(text, strlen(text), &schema) != 0) {
        fail_msg("%s: accepted, but avro-c refuses it: %s", what, avro_strerror());
    }
    iface = avro_generic_class_from_schema(schema);
    assert_non_null(iface);
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
}

/* want NULL: accepted (and built by avro-c); else the refusal must contain want. */
static void expect(const char *text, const char *want, const char *what)
{
    char errstr[256] = "";
    int rc = br_schemabounds_check(text, strlen(text), errstr, sizeof(errstr));

    if (!want) {
        if (rc != 0) {
            fail_msg("%s: refused (%s), want accepted", what, errstr);
        }
        assert_avro_c_builds(text, what);
        return;
    }
    if (rc != -1 || !strstr(errstr, want)) {
        fail_msg("%s: got %d \"%s\", want -1 \"%s\"", what, rc, errstr, want);
    }
}

/* {"type":"record","name":"E","fields":[{"name":"op","type":"string"}, <fields>]} */
static char *envelope(const char *fields)
{
    struct br_buf buf;

    br_buf_init(&buf, 0);
    br_buf_printf(&buf, "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"t\",\"fields\":["
                        "{\"name\":\"op\",\"type\":\"string\"}%s%s]}",
                  fields[0] ? "," : "", fields);
    return br_buf_steal(&buf, NULL);
}

static void test_cases(void **state)
{
    static const struct {
        const char *fields; /* of the envelope */
        const char *want;
    } cases[] = {
        /* fixed: issue 13's 2,000,000,000 bytes, a negative size, the bound and one past it */
        {"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2000000000}}",
         "fixed F: 2000000000 bytes (at most 65536)"},
        {"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}}",
         "fixed F: -1 bytes"},
        {"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":65536}}", NULL},
        {"{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":65537}}",
         "fixed F: 65537 bytes (at most 65536)"},
        {"{\"name\":\"f\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":1e10}]}",
         NULL /* not an integer: avro-c refuses it; checked in test_refused_by_avro_c */},
        /* a record that contains itself: by name, by full name, through another record */
        {"{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"again\",\"type\":\"R\"}]}}",
         "record t.R contains itself"},
        {"{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"again\",\"type\":\"t.R\"}]}}",
         "record t.R contains itself"},
        {"{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"A\",\"fields\":["
         "{\"name\":\"b\",\"type\":{\"type\":\"record\",\"name\":\"B\",\"namespace\":\"u\","
         "\"fields\":[{\"name\":\"a\",\"type\":\"t.A\"}]}}]}}",
         "record t.A contains itself"},
        /* ... which is fine through a union, an array or a map (they start empty) */
        {"{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"u\",\"type\":[\"null\",\"R\"]},"
         "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"R\"}},"
         "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"R\"}}]}}",
         NULL},
        /* a record used again by name */
        {"{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"x\",\"type\":\"long\"}]}},{\"name\":\"s\",\"type\":\"t.R\"},"
         "{\"name\":\"t\",\"type\":\"R\"}",
         NULL},
        /* a name declared twice (avro-c refuses it, and leaks what it was building) */
        {"{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"R\",\"fields\":["
         "{\"name\":\"x\",\"type\":\"long\"}]}},"
         "{\"name\":\"b\",\"type\":{\"type\":\"fixed\",\"name\":\"t.R\",\"size\":1}}",
         "type t.R declared twice"},
        /* unions */
        {"{\"name\":\"u\",\"type\":[\"null\",\"int\",\"long\",\"string\",\"bytes\",\"float\","
         "\"double\",\"boolean\"]}",
         NULL},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        char what[64];
        char *text = envelope(cases[i].fields);

        snprintf(what, sizeof(what), "case %zu", i);
        if (i == 4) {
            /* avro-c refuses a fixed whose size is not an integer: nothing to bound here */
            char errstr[128];
            avro_schema_t schema = NULL;

            assert_int_equal(br_schemabounds_check(text, strlen(text), errstr, sizeof(errstr)),
                             0);
            assert_int_not_equal(avro_schema_from_json_length(text, strlen(text), &schema), 0);
        } else {
            expect(text, cases[i].want, what);
        }
        free(text);
    }
}

/* count fields {"name":"f<i>","type":type} */
static char *many_fields(size_t count, const char *type)
{
    struct br_buf buf;
    char *fields;
    char *text;

    br_buf_init(&buf, 0);
    for (size_t i = 0; i < count; i++) {
        br_buf_printf(&buf, "%s{\"name\":\"f%zu\",\"type\":%s}", i ? "," : "", i, type);
    }
    fields = br_buf_steal(&buf, NULL);
    text = envelope(fields);
    free(fields);
    return text;
}

/* Names resolve as avro-c resolves them: inside namespace u, "A" is u.A, not t.A. */
static void test_names_resolve_as_avro_c(void **state)
{
    static const char inner[] =
        "{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"A\",\"fields\":["
        "{\"name\":\"b\",\"type\":{\"type\":\"record\",\"name\":\"B\",\"namespace\":\"u\","
        "\"fields\":[{\"name\":\"a\",\"type\":\"A\"}]}}]}}";
    char *text = envelope(inner);
    char errstr[128];
    avro_schema_t schema = NULL;
    (void)state;

    assert_int_equal(br_schemabounds_check(text, strlen(text), errstr, sizeof(errstr)), 0);
    assert_int_not_equal(avro_schema_from_json_length(text, strlen(text), &schema), 0);
    assert_non_null(strstr(avro_strerror(), "Unknown Avro \"type\": A"));
    free(text);
}

static void test_fields(void **state)
{
    char *text;
    (void)state;

    text = many_fields(BR_SCHEMABOUNDS_MAX_FIELDS - 1, "\"long\""); /* + op */
    expect(text, NULL, "4096 fields");
    free(text);
    text = many_fields(BR_SCHEMABOUNDS_MAX_FIELDS, "\"long\"");
    expect(text, "record E: 4097 fields (at most 4096)", "4097 fields");
    free(text);
}

/* Named records used again by name multiply: issue 13's nesting, 16 fields of 16 fields... */
static char *nested_records(int depth, int width)
{
    struct br_buf buf;
    char *inner;
    char *text;

    br_buf_init(&buf, 0);
    br_buf_printf(&buf, "{\"type\":\"record\",\"name\":\"L%d\",\"fields\":[{\"name\":\"v\","
                        "\"type\":\"null\"}]}", depth);
    for (int level = depth - 1; level >= 1; level--) {
        inner = br_buf_steal(&buf, NULL);
        br_buf_init(&buf, 0);
        br_buf_printf(&buf, "{\"type\":\"record\",\"name\":\"L%d\",\"fields\":[{\"name\":\"f0\","
                            "\"type\":%s}", level, inner);
        for (int i = 1; i < width; i++) {
            br_buf_printf(&buf, ",{\"name\":\"f%d\",\"type\":\"L%d\"}", i, level + 1);
        }
        br_buf_append_str(&buf, "]}");
        free(inner);
    }
    inner = br_buf_steal(&buf, NULL);
    br_buf_init(&buf, 0);
    br_buf_printf(&buf, "{\"name\":\"e\",\"type\":%s}", inner);
    free(inner);
    inner = br_buf_steal(&buf, NULL);
    text = envelope(inner);
    free(inner);
    return text;
}

static void test_values(void **state)
{
    char *text;
    (void)state;

    /* L5 is 2 values, L4 1 + 16 * 2 = 33, L3 529, L2 8,465, L1 135,441 */
    text = nested_records(5, 16);
    expect(text, "a value of record t.L1 is made of 135441 values before any data is read "
                 "(at most 65536)", "16^4");
    free(text);
    /* one level less: L1 is 8,465 values, fine */
    text = nested_records(4, 16);
    expect(text, NULL, "16^3");
    free(text);
    /* a fixed of 65,536 bytes used 17 times: 1,114,112 bytes of fixed */
    text = many_fields(16, "\"F\"");
    {
        char *with_fixed = strstr(text, "{\"name\":\"f0\"");
        struct br_buf buf;

        br_buf_init(&buf, 0);
        br_buf_append(&buf, text, (size_t)(with_fixed - text));
        br_buf_append_str(&buf, "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F\","
                                "\"size\":65536}},");
        br_buf_append_str(&buf, with_fixed);
        free(text);
        text = br_buf_steal(&buf, NULL);
    }
    expect(text, "a value of record t.E holds 1114112 bytes of fixed types (at most 1048576)",
           "17 x 64 KiB");
    free(text);
}

static void test_names_and_sizes(void **state)
{
    char long_name[BR_SCHEMABOUNDS_MAX_NAME + 2];
    char fields[2048];
    char *text;
    struct br_buf buf;
    (void)state;

    memset(long_name, 'n', sizeof(long_name));
    long_name[BR_SCHEMABOUNDS_MAX_NAME] = '\0'; /* 255: fine */
    snprintf(fields, sizeof(fields), "{\"name\":\"%s\",\"type\":{\"type\":\"enum\",\"name\":\"%s\","
             "\"namespace\":\"%s\",\"symbols\":[\"%s\"]}}", long_name, long_name, long_name,
             long_name);
    text = envelope(fields);
    expect(text, NULL, "names of 255 bytes");
    free(text);
    long_name[BR_SCHEMABOUNDS_MAX_NAME] = 'n'; /* 256 */
    long_name[BR_SCHEMABOUNDS_MAX_NAME + 1] = '\0';
    snprintf(fields, sizeof(fields), "{\"name\":\"%s\",\"type\":\"long\"}", long_name);
    text = envelope(fields);
    expect(text, "field name of 256 bytes (at most 255)", "field name");
    free(text);
    snprintf(fields, sizeof(fields), "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"%s\","
             "\"symbols\":[\"a\"]}}", long_name);
    text = envelope(fields);
    expect(text, "name of 256 bytes (at most 255)", "type name");
    free(text);
    snprintf(fields, sizeof(fields), "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"N\","
             "\"namespace\":\"%s\",\"symbols\":[\"a\"]}}", long_name);
    text = envelope(fields);
    expect(text, "namespace of 256 bytes (at most 255)", "namespace");
    free(text);
    snprintf(fields, sizeof(fields), "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"N\","
             "\"symbols\":[\"a\",\"%s\"]}}", long_name);
    text = envelope(fields);
    expect(text, "enum symbol of 256 bytes (at most 255)", "symbol");
    free(text);

    /* enum symbols: 65,536 */
    br_buf_init(&buf, 0);
    br_buf_append_str(&buf,
                      "{\"name\":\"x\",\"type\":{\"type\":\"enum\",\"name\":\"N\",\"symbols\":[");
    for (int i = 0; i <= BR_SCHEMABOUNDS_MAX_SYMBOLS; i++) {
        br_buf_printf(&buf, "%s\"s%d\"", i ? "," : "", i);
    }
    br_buf_append_str(&buf, "]}}");
    text = envelope(buf.data);
    br_buf_finish(&buf);
    expect(text, "enum N: 65536 symbols (at most 65535)", "symbols");
    free(text);

    /* union branches: 64 named records, then 65 */
    for (int n = BR_SCHEMABOUNDS_MAX_BRANCHES; n <= BR_SCHEMABOUNDS_MAX_BRANCHES + 1; n++) {
        br_buf_init(&buf, 0);
        br_buf_append_str(&buf, "{\"name\":\"u\",\"type\":[");
        for (int i = 0; i < n; i++) {
            br_buf_printf(&buf, "%s{\"type\":\"record\",\"name\":\"B%d\",\"fields\":["
                                "{\"name\":\"v\",\"type\":\"int\"}]}", i ? "," : "", i);
        }
        br_buf_append_str(&buf, "]}");
        text = envelope(buf.data);
        br_buf_finish(&buf);
        expect(text,
               n == BR_SCHEMABOUNDS_MAX_BRANCHES ? NULL : "a union of 65 branches (at most 64)",
               "branches");
        free(text);
    }
}

static void test_depth_and_text(void **state)
{
    struct br_buf buf;
    char *text;
    char errstr[128];
    (void)state;

    /* arrays of arrays: the envelope is depth 0, its field 1, then one per array */
    for (int n = BR_SCHEMABOUNDS_MAX_DEPTH - 1; n <= BR_SCHEMABOUNDS_MAX_DEPTH; n++) {
        br_buf_init(&buf, 0);
        br_buf_append_str(&buf, "{\"name\":\"a\",\"type\":");
        for (int i = 0; i < n; i++) {
            br_buf_append_str(&buf, "{\"type\":\"array\",\"items\":");
        }
        br_buf_append_str(&buf, "\"long\"");
        for (int i = 0; i < n; i++) {
            br_buf_append_str(&buf, "}");
        }
        br_buf_append_str(&buf, "}");
        text = envelope(buf.data);
        br_buf_finish(&buf);
        expect(text, n < BR_SCHEMABOUNDS_MAX_DEPTH ? NULL : "types nested more than 32 deep",
               "depth");
        free(text);
    }

    /* the text itself: one byte over the bound is refused before it is parsed */
    text = malloc(BR_SCHEMABOUNDS_MAX_TEXT + 1);
    assert_non_null(text);
    memset(text, ' ', BR_SCHEMABOUNDS_MAX_TEXT + 1);
    memcpy(text, "\"long\"", 6);
    assert_int_equal(br_schemabounds_check(text, BR_SCHEMABOUNDS_MAX_TEXT, errstr,
                                           sizeof(errstr)),
                     0);
    assert_int_equal(br_schemabounds_check(text, BR_SCHEMABOUNDS_MAX_TEXT + 1, errstr,
                                           sizeof(errstr)),
                     -1);
    assert_string_equal(errstr, "schema of 1048577 bytes (at most 1048576)");
    free(text);
    /* not JSON, not a schema: for avro-c to refuse */
    assert_int_equal(br_schemabounds_check("{", 1, errstr, sizeof(errstr)), 0);
    assert_int_equal(br_schemabounds_check("{\"type\":7}", 10, errstr, sizeof(errstr)), 0);
}

static void test_real_schemas(void **state)
{
    static const char *const paths[] = {
        "../../../schemas/records_assignments.avsc", "../../../schemas/records_awards.avsc",
        "../../../schemas/calendars.avsc",           "../../../schemas/records_combat.avsc",
        "../../../schemas/events.avsc",              "../../../schemas/records_qualifications.avsc",
        "../../../schemas/records_ranks.avsc",       "../../../schemas/records_service.avsc",
        "../../../schemas/submissions.avsc",         "../../../schemas/users.avsc",
        "decode/debezium_users.avsc",                "../../fuzz/schemas/kitchen_sink.avsc",
        "../../fuzz/schemas/debezium_events.avsc",
    };
    (void)state;

    for (size_t i = 0; i < COUNT(paths); i++) {
        char *text = br_test_read_file(paths[i], NULL);

        expect(text, NULL, paths[i]);
        free(text);
    }
}

/* A refusal's message is cut to the caller's size. */
static void test_errstr_size(void **state)
{
    static const char text[] = "{\"type\":\"fixed\",\"name\":\"F\",\"size\":99999999}";
    char errstr[8];
    (void)state;

    memset(errstr, 'X', sizeof(errstr));
    assert_int_equal(br_schemabounds_check(text, sizeof(text) - 1, errstr, sizeof(errstr)), -1);
    assert_string_equal(errstr, "fixed F");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_names_resolve_as_avro_c),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_names_and_sizes),
        cmocka_unit_test(test_depth_and_text),
        cmocka_unit_test(test_real_schemas),
        cmocka_unit_test(test_errstr_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
