/*
 * Unit tests of avrocheck.c: hand-made Avro binary that must be refused (hostile lengths,
 * counts, union branches, enum indexes, truncation, nesting) or accepted. Every accepted datum
 * is also read by avro-c from exactly the bytes the check says it occupies, so "accepted" and
 * *used agree with the reader the check protects.
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

#include "avro/avrocheck.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* The values limit of the cases below: far more than any of them is made of. */
#define VALUES ((size_t)1 << 20)
/* A byte string and its length (it may hold NULs). */
#define B(s) s, sizeof(s) - 1

/* zig-zag varints used below */
#define INT64_MAX_VARINT "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"
#define INT64_MIN_VARINT "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"

static avro_schema_t parse_schema(const char *json)
{
    avro_schema_t schema = NULL;

    if (avro_schema_from_json_length(json, strlen(json), &schema) != 0) {
        fail_msg("bad test schema %s: %s", json, avro_strerror());
    }
    return schema;
}

/* avro-c reads one datum of schema from exactly len bytes of buf, and nothing is left. */
static void assert_avro_c_reads(avro_schema_t schema, const char *buf, size_t len,
                                const char *what)
{
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_reader_t reader = avro_reader_memory(buf, (int64_t)len);
    avro_value_t value;
    char extra;
    int rc;

    assert_non_null(iface);
    assert_non_null(reader);
    assert_int_equal(avro_generic_value_new(iface, &value), 0);
    rc = avro_value_read(reader, &value);
    /* (avro_reader_is_eof answers only for file readers: try one more byte instead) */
    if (rc != 0 || avro_read(reader, &extra, 1) == 0) {
        fail_msg("%s: accepted, but avro-c %s (%s)", what,
                 rc != 0 ? "cannot read it" : "reads fewer bytes", avro_strerror());
    }
    avro_value_decref(&value);
    avro_reader_free(reader);
    avro_value_iface_decref(iface);
}

struct check_case {
    const char *schema;
    const char *bytes;
    size_t len;
    const char *want_err; /* NULL: accepted */
    size_t want_used;
};

static void run_case(const struct check_case *c, size_t index)
{
    avro_schema_t schema = parse_schema(c->schema);
    char what[256];
    char errstr[128] = "";
    size_t used = 12345;
    /* a buffer of exactly len bytes, so that ASan sees any read past it */
    char *buf = malloc(c->len ? c->len : 1);
    int rc;

    assert_non_null(buf);
    memcpy(buf, c->bytes, c->len);
    snprintf(what, sizeof(what), "case %zu (%s, %zu bytes)", index, c->schema, c->len);
    rc = br_avrocheck_datum(schema, buf, c->len, VALUES, &used, errstr, sizeof(errstr));
    if (c->want_err) {
        if (rc != -1 || strcmp(errstr, c->want_err) != 0) {
            fail_msg("%s: got %d \"%s\", want -1 \"%s\"", what, rc, errstr, c->want_err);
        }
        if (used != 12345) {
            fail_msg("%s: refused, but *used was written (%zu)", what, used);
        }
    } else {
        if (rc != 0 || used != c->want_used) {
            fail_msg("%s: got %d used %zu \"%s\", want 0 used %zu", what, rc, used, errstr,
                     c->want_used);
        }
        assert_avro_c_reads(schema, buf, used, what);
    }
    free(buf);
    avro_schema_decref(schema);
}

static void run_cases(const struct check_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        run_case(&cases[i], i);
    }
}

static void test_primitives(void **state)
{
    static const struct check_case cases[] = {
        {"\"null\"", B(""), NULL, 0},
        {"\"null\"", B("\x05"), NULL, 0}, /* what follows is not its business */
        {"\"boolean\"", B("\x00"), NULL, 1},
        {"\"boolean\"", B("\x01"), NULL, 1},
        {"\"boolean\"", B("\x02"), "bad boolean (1 bytes left)", 0},
        {"\"boolean\"", B("\xff"), "bad boolean (1 bytes left)", 0},
        {"\"boolean\"", B(""), "bad boolean (0 bytes left)", 0},
        /* int: a varint that must fit 32 bits */
        {"\"int\"", B("\x00"), NULL, 1},
        {"\"int\"", B("\x7f"), NULL, 1},
        {"\"int\"", B("\x02\x99"), NULL, 1},
        {"\"int\"", B("\xfe\xff\xff\xff\x0f"), NULL, 5}, /* INT32_MAX */
        {"\"int\"", B("\xff\xff\xff\xff\x0f"), NULL, 5}, /* INT32_MIN */
        {"\"int\"", B("\x80\x80\x80\x80\x10"), "int out of range (0 bytes left)", 0},
        {"\"int\"", B("\x81\x80\x80\x80\x10"), "int out of range (0 bytes left)", 0},
        {"\"int\"", B(INT64_MAX_VARINT), "int out of range (0 bytes left)", 0},
        {"\"int\"", B("\x80"), "bad int (0 bytes left)", 0},
        {"\"int\"", B(""), "bad int (0 bytes left)", 0},
        /* long: at most 10 bytes */
        {"\"long\"", B(INT64_MAX_VARINT), NULL, 10},
        {"\"long\"", B(INT64_MIN_VARINT), NULL, 10},
        {"\"long\"", B(INT64_MAX_VARINT "\x00"), NULL, 10},
        {"\"long\"", B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), "bad long (1 bytes left)",
         0},
        {"\"long\"", B("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"), "bad long (0 bytes left)", 0},
        {"\"long\"", B("\xff\xff"), "bad long (0 bytes left)", 0},
        /* float, double, fixed: so many bytes */
        {"\"float\"", B("\x00\x00\x80\x3f"), NULL, 4},
        {"\"float\"", B("\x00\x00\x80"), "truncated float (3 bytes left)", 0},
        {"\"double\"", B("\x00\x00\x00\x00\x00\x00\xf0\x3f"), NULL, 8},
        {"\"double\"", B("\x00\x00\x00\x00\x00\x00\xf0"), "truncated double (7 bytes left)", 0},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", B("abcd"), NULL, 4},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", B("abcde"), NULL, 4},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", B("abc"),
         "truncated fixed (3 bytes left)", 0},
        /* string and bytes: a length that must be >= 0 and present */
        {"\"string\"", B("\x00"), NULL, 1},
        {"\"string\"", B("\x06" "abc"), NULL, 4},
        {"\"string\"", B("\x06" "abcd"), NULL, 4},
        {"\"string\"", B("\x06" "ab"), "bad string length (2 bytes left)", 0},
        {"\"string\"", B("\x01" "a"), "bad string length (1 bytes left)", 0},
        {"\"string\"", B(INT64_MIN_VARINT "a"), "bad string length (1 bytes left)", 0},
        {"\"string\"", B(INT64_MAX_VARINT "a"), "bad string length (1 bytes left)", 0},
        {"\"string\"", B("\x80\x80\x80\x80\x20" "a"), "bad string length (1 bytes left)", 0},
        {"\"string\"", B(""), "bad string length (0 bytes left)", 0},
        {"\"bytes\"", B("\x04\x00\xff"), NULL, 3},
        {"\"bytes\"", B("\x03"), "bad bytes length (0 bytes left)", 0},
        {"\"bytes\"", B("\x04\x00"), "bad bytes length (1 bytes left)", 0},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

#define ENUM "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}"
#define OPT_STRING "[\"null\",\"string\"]"

static void test_enums_and_unions(void **state)
{
    static const struct check_case cases[] = {
        {ENUM, B("\x00"), NULL, 1},
        {ENUM, B("\x04"), NULL, 1},
        {ENUM, B("\x06"), "enum index out of range (0 bytes left)", 0},
        {ENUM, B("\x01"), "enum index out of range (0 bytes left)", 0},
        {ENUM, B(INT64_MAX_VARINT), "enum index out of range (0 bytes left)", 0},
        {ENUM, B(""), "bad enum (0 bytes left)", 0},
        {OPT_STRING, B("\x00"), NULL, 1},
        {OPT_STRING, B("\x02\x02x"), NULL, 3},
        {OPT_STRING, B("\x04"), "union index out of range (0 bytes left)", 0},
        {OPT_STRING, B("\x04\x00"), "union index out of range (1 bytes left)", 0},
        {OPT_STRING, B("\x01"), "union index out of range (0 bytes left)", 0},
        {OPT_STRING, B(INT64_MIN_VARINT), "union index out of range (0 bytes left)", 0},
        {OPT_STRING, B("\x02\x04x"), "bad string length (1 bytes left)", 0},
        {OPT_STRING, B(""), "bad union index (0 bytes left)", 0},
        /* a branch that is itself checked */
        {"[\"null\"," ENUM "]", B("\x02\x04"), NULL, 2},
        {"[\"null\"," ENUM "]", B("\x02\x08"), "enum index out of range (0 bytes left)", 0},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

#define INTS "{\"type\":\"array\",\"items\":\"int\"}"
#define NULLS "{\"type\":\"array\",\"items\":\"null\"}"
#define STRING_MAP "{\"type\":\"map\",\"values\":\"string\"}"
#define NULL_MAP "{\"type\":\"map\",\"values\":\"null\"}"

static void test_arrays_and_maps(void **state)
{
    static const struct check_case cases[] = {
        {INTS, B("\x00"), NULL, 1},
        {INTS, B("\x04\x02\x04\x00"), NULL, 4},
        {INTS, B("\x02\x02\x02\x04\x00"), NULL, 5},     /* two blocks */
        {INTS, B("\x03\x04\x02\x04\x00"), NULL, 5},     /* count -2 with its byte size */
        {INTS, B("\x04\x02"), "bad int (0 bytes left)", 0},
        {INTS, B("\x02\x02"), "bad array block (0 bytes left)", 0}, /* no end block */
        {INTS, B(""), "bad array block (0 bytes left)", 0},
        {INTS, B("\x03\x01\x02\x04\x00"), "bad array block (3 bytes left)", 0}, /* size < 0 */
        {INTS, B("\x03\x08\x02\x04\x00"), "bad array block (3 bytes left)", 0}, /* size > left */
        {INTS, B("\x03"), "bad array block (0 bytes left)", 0},
        {INTS, B(INT64_MIN_VARINT "\x00"), "bad array block (1 bytes left)", 0},
        {INTS, B(INT64_MAX_VARINT "\x00"), "too many array items (1 bytes left)", 0},
        {INTS, B("\xfe\xff\xff\xff\x0f\x02\x00"), "too many array items (2 bytes left)", 0},
        /* items of null take no bytes: the count is capped at the length + 4096 */
        {NULLS, B("\x86\x40\x00"), NULL, 3},                              /* 4099 items */
        {NULLS, B("\x88\x40\x00"), "too many array items (1 bytes left)", 0}, /* 4100 */
        {NULLS, B("\xf0\x2e\xf0\x2e\x00"), "too many array items (1 bytes left)", 0}, /* 2x3000 */
        {NULLS, B("\xd0\x0f\xd0\x0f\x00"), NULL, 5},                      /* 2x1000 */
        {STRING_MAP, B("\x00"), NULL, 1},
        {STRING_MAP, B("\x02\x02k\x02v\x00"), NULL, 6},
        {STRING_MAP, B("\x04\x02k\x02v\x02l\x00\x00"), NULL, 9},
        {STRING_MAP, B("\x01\x08\x02k\x02v\x00"), NULL, 7},
        {STRING_MAP, B("\x02\x03k\x02v\x00"), "bad map key (4 bytes left)", 0},
        {STRING_MAP, B("\x02\x04k"), "bad map key (1 bytes left)", 0},
        {STRING_MAP, B("\x02\x02k"), "bad string length (0 bytes left)", 0},
        {STRING_MAP, B("\x02\x02k\x02v"), "bad map block (0 bytes left)", 0},
        {STRING_MAP, B(INT64_MIN_VARINT), "bad map block (0 bytes left)", 0},
        {STRING_MAP, B("\x03\x01\x02k\x02v\x00"), "bad map block (5 bytes left)", 0},
        {STRING_MAP, B(INT64_MAX_VARINT), "too many map entries (0 bytes left)", 0},
        {NULL_MAP, B("\x02\x00\x00"), NULL, 3},
        {NULL_MAP, B("\x88\x40\x00"), "too many map entries (1 bytes left)", 0},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

#define RECORD                                                                                 \
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"         \
    "{\"name\":\"b\",\"type\":\"string\"},{\"name\":\"c\",\"type\":[\"null\",\"long\"]}]}"
#define NODE                                                                                   \
    "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"      \
    "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}"

static void test_records(void **state)
{
    static const struct check_case cases[] = {
        {RECORD, B("\x02\x02x\x02\x04"), NULL, 5},
        {RECORD, B("\x02\x02x\x00"), NULL, 4},
        {RECORD, B("\x02\x02x"), "bad union index (0 bytes left)", 0},
        {RECORD, B("\x02\x05x\x00"), "bad string length (2 bytes left)", 0},
        {RECORD, B("\x80\x80\x80\x80\x10\x00\x00"), "int out of range (2 bytes left)", 0},
        {"{\"type\":\"record\",\"name\":\"Empty\",\"fields\":[]}", B(""), NULL, 0},
        /* a recursive type goes through a link */
        {NODE, B("\x02\x00"), NULL, 2},
        {NODE, B("\x02\x02\x04\x00"), NULL, 4},
        {NODE, B("\x02\x02\x04\x04"), "union index out of range (0 bytes left)", 0},
        {NODE, B("\x02\x02\x04"), "bad union index (0 bytes left)", 0},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

/* levels arrays, each of one item, around one int: "[[[...[0]...]]]" */
static void test_nested_arrays(void **state)
{
    static const struct {
        int levels;
        const char *want_err;
    } cases[] = {
        {1, NULL},
        {10, NULL},
        {64, NULL},
        {65, "nested too deeply (66 bytes left)"},
        {100, "nested too deeply (136 bytes left)"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int levels = cases[i].levels;
        static const char open[] = "{\"type\":\"array\",\"items\":";
        size_t size = (size_t)levels * (sizeof(open) - 1 + 1) + sizeof("\"int\"");
        char *json = malloc(size);
        char *bytes = malloc((size_t)levels * 2 + 1);
        size_t n = 0;
        struct check_case c;

        if (!json || !bytes) {
            abort();
        }
        for (int k = 0; k < levels; k++) {
            memcpy(json + n, open, sizeof(open) - 1);
            n += sizeof(open) - 1;
        }
        memcpy(json + n, "\"int\"", 5);
        n += 5;
        memset(json + n, '}', (size_t)levels);
        n += (size_t)levels;
        json[n] = '\0';
        assert_true(n < size);
        memset(bytes, 0x02, (size_t)levels);            /* one item per level */
        memset(bytes + levels, 0x00, (size_t)levels + 1); /* the int 0, then the end blocks */
        c.schema = json;
        c.bytes = bytes;
        c.len = (size_t)levels * 2 + 1;
        c.want_err = cases[i].want_err;
        c.want_used = c.len;
        run_case(&c, (size_t)levels);
        free(bytes);
        free(json);
    }
}

/* A linked list of Node: each node takes three levels (record, union, link). */
static void test_recursive_depth(void **state)
{
    static const struct {
        int nodes;
        const char *want_err;
    } cases[] = {
        {1, NULL},
        {21, NULL},
        {22, "nested too deeply (0 bytes left)"},
        {500, "nested too deeply (956 bytes left)"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int nodes = cases[i].nodes;
        char *bytes = malloc((size_t)nodes * 2);
        struct check_case c;

        assert_non_null(bytes);
        for (int k = 0; k < nodes; k++) {
            bytes[2 * k] = 0x02;                          /* v = 1 */
            bytes[2 * k + 1] = k + 1 < nodes ? 0x02 : 0x00; /* next: a node, or null */
        }
        c.schema = NODE;
        c.bytes = bytes;
        c.len = (size_t)nodes * 2;
        c.want_err = cases[i].want_err;
        c.want_used = c.len;
        run_case(&c, (size_t)nodes);
        free(bytes);
    }
}

/* Every value counts one against max_values; the datum below is made of 8. */
static void test_values_limit(void **state)
{
    avro_schema_t schema = parse_schema(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
        "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"]},"
        "{\"name\":\"c\",\"type\":{\"type\":\"array\",\"items\":\"boolean\"}}]}");
    /* record, a, b (union), b's branch, c (array), three items */
    static const char datum[] = "\x02\x02\x02x\x06\x01\x00\x01\x00";
    char errstr[128];
    size_t used = 0;
    size_t n = 8000000;
    char *big = malloc(n + 16);

    (void)state;
    assert_int_equal(br_avrocheck_datum(schema, datum, sizeof(datum) - 1, 8, &used, errstr,
                                        sizeof(errstr)),
                     BR_AVROCHECK_OK);
    assert_int_equal(used, sizeof(datum) - 1);
    used = 12345;
    assert_int_equal(br_avrocheck_datum(schema, datum, sizeof(datum) - 1, 7, &used, errstr,
                                        sizeof(errstr)),
                     BR_AVROCHECK_TOO_BIG);
    assert_string_equal(errstr, "more than 7 values");
    assert_int_equal(used, 12345);
    /* corrupt bytes are still CORRUPT, not TOO_BIG */
    assert_int_equal(br_avrocheck_datum(schema, datum, 4, 8, &used, errstr, sizeof(errstr)),
                     BR_AVROCHECK_CORRUPT);

    /* 8,000,000 booleans (issue 13's message): refused at the 100,001st value */
    assert_non_null(big);
    memcpy(big, "\x02\x00\x80\xc8\xd0\x07", 6); /* a = 1, b = null, c: 8e6 items */
    memset(big + 6, 1, n);
    big[6 + n] = 0;
    assert_int_equal(br_avrocheck_datum(schema, big, n + 7, 100000, &used, errstr,
                                        sizeof(errstr)),
                     BR_AVROCHECK_TOO_BIG);
    assert_string_equal(errstr, "more than 100000 values");
    assert_int_equal(br_avrocheck_datum(schema, big, n + 7, n + 5, &used, errstr,
                                        sizeof(errstr)),
                     BR_AVROCHECK_OK);
    assert_int_equal(used, n + 7);
    free(big);
    avro_schema_decref(schema);
}

/* A refusal's message is cut to the caller's size, and a zero size is honoured. */
static void test_errstr_size(void **state)
{
    avro_schema_t schema = parse_schema("\"string\"");
    char errstr[8];
    size_t used = 0;

    (void)state;
    memset(errstr, 'X', sizeof(errstr));
    assert_int_equal(
        br_avrocheck_datum(schema, "\x01", 1, VALUES, &used, errstr, sizeof(errstr)), -1);
    assert_string_equal(errstr, "bad str");
    memset(errstr, 'X', sizeof(errstr));
    assert_int_equal(br_avrocheck_datum(schema, "\x01", 1, VALUES, &used, errstr, 0), -1);
    assert_int_equal(errstr[0], 'X');
    avro_schema_decref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_enums_and_unions),
        cmocka_unit_test(test_arrays_and_maps),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_nested_arrays),
        cmocka_unit_test(test_recursive_depth),
        cmocka_unit_test(test_values_limit),
        cmocka_unit_test(test_errstr_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
