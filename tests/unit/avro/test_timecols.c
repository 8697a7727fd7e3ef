/*
 * Unit tests of timecols.c: which columns of a change schema are datetimes, ZonedTimestamp
 * strings, and unit conversion. Expected microseconds were computed with Python's datetime
 * (proleptic Gregorian, UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "avro/timecols.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *kind_name(enum br_timecol_kind kind)
{
    switch (kind) {
    case BR_TIMECOL_NONE:
        return "NONE";
    case BR_TIMECOL_US:
        return "US";
    case BR_TIMECOL_MS:
        return "MS";
    case BR_TIMECOL_NS:
        return "NS";
    case BR_TIMECOL_ZONED:
        return "ZONED";
    }
    return "?";
}

/* ---- classify: one column of each type, seen through "before" and through "after" ---- */

#define MICROS "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}"
#define ZONED "{\"type\":\"string\",\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}"

static void test_classify_column_types(void **state)
{
    static const struct {
        const char *type;
        enum br_timecol_kind want;
    } cases[] = {
        /* Avro logical types */
        {MICROS, BR_TIMECOL_US},
        {"{\"type\":\"long\",\"logicalType\":\"local-timestamp-micros\"}", BR_TIMECOL_US},
        {"{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", BR_TIMECOL_MS},
        {"{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}", BR_TIMECOL_MS},
        /* Debezium's connect names */
        {"{\"type\":\"long\",\"connect.name\":\"io.debezium.time.MicroTimestamp\"}",
         BR_TIMECOL_US},
        {"{\"type\":\"long\",\"connect.version\":1,"
         "\"connect.name\":\"io.debezium.time.Timestamp\"}",
         BR_TIMECOL_MS},
        {"{\"type\":\"long\",\"connect.name\":\"io.debezium.time.NanoTimestamp\"}", BR_TIMECOL_NS},
        {ZONED, BR_TIMECOL_ZONED},
        /* optional columns: a union with null, on either side */
        {"[\"null\"," MICROS "]", BR_TIMECOL_US},
        {"[" MICROS ",\"null\"]", BR_TIMECOL_US},
        {"[\"null\"," ZONED "]", BR_TIMECOL_ZONED},
        /* not datetimes */
        {"\"long\"", BR_TIMECOL_NONE},
        {"\"string\"", BR_TIMECOL_NONE},
        {"\"boolean\"", BR_TIMECOL_NONE},
        {"[\"null\",\"long\"]", BR_TIMECOL_NONE},
        {"{\"type\":\"long\"}", BR_TIMECOL_NONE},
        {"{\"type\":\"long\",\"connect.type\":\"int64\"}", BR_TIMECOL_NONE},
        {"{\"type\":\"long\",\"connect.name\":\"com.example.Thing\"}", BR_TIMECOL_NONE},
        {"{\"type\":\"long\",\"logicalType\":\"TIMESTAMP-MICROS\"}", BR_TIMECOL_NONE},
        /* a datetime name on the wrong base type */
        {"{\"type\":\"string\",\"connect.name\":\"io.debezium.time.MicroTimestamp\"}",
         BR_TIMECOL_NONE},
        {"{\"type\":\"string\",\"logicalType\":\"timestamp-millis\"}", BR_TIMECOL_NONE},
        {"{\"type\":\"long\",\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}",
         BR_TIMECOL_NONE},
        /* ambiguous unions: more than one non-null branch, or none */
        {"[\"null\"," MICROS ",\"string\"]", BR_TIMECOL_NONE},
        {"[" MICROS "," MICROS "]", BR_TIMECOL_NONE},
        {"[\"null\"]", BR_TIMECOL_NONE},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        static const char *const fields[] = {"before", "after"};
        char schema[2048];

        snprintf(schema, sizeof(schema),
                 "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"srv.db.users\","
                 "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\","
                 "\"name\":\"Value\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
                 "{\"name\":\"c\",\"type\":%s}]}]},"
                 "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
                 "{\"name\":\"op\",\"type\":\"string\"}]}",
                 cases[i].type);
        for (size_t f = 0; f < COUNT(fields); f++) {
            size_t count = 99;
            enum br_timecol_kind *kinds = br_timecols_classify(schema, fields[f], &count);

            if (!kinds || count != 2) {
                fail_msg("case %zu (%s) %s: got %s, count %zu; want 2 columns", i,
                         cases[i].type, fields[f], kinds ? "kinds" : "NULL", count);
            }
            if (kinds[0] != BR_TIMECOL_NONE || kinds[1] != cases[i].want) {
                fail_msg("case %zu (%s) %s: got [%s, %s], want [NONE, %s]", i, cases[i].type,
                         fields[f], kind_name(kinds[0]), kind_name(kinds[1]),
                         kind_name(cases[i].want));
            }
            free(kinds);
        }
    }
}

/* ---- classify: names, namespaces and schemas that have no such record ---- */

#define VALUE_RECORD(ns)                                                                        \
    "{\"type\":\"record\",\"name\":\"Value\"" ns ",\"fields\":["                                \
    "{\"name\":\"a\",\"type\":" ZONED "},{\"name\":\"b\",\"type\":\"int\"},"                   \
    "{\"name\":\"c\",\"type\":[\"null\",{\"type\":\"long\","                                    \
    "\"connect.name\":\"io.debezium.time.NanoTimestamp\"}]}]}"

static void test_classify_schemas(void **state)
{
    static const struct {
        const char *what;
        const char *schema;
        const char *field;
        int want_count; /* -1: NULL */
    } cases[] = {
        {"after by short name in the root's namespace",
         "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"a.b\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD("") "]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]}]}",
         "after", 3},
        {"after by full name",
         "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"a.b\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD("") "]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"a.b.Value\"]}]}",
         "after", 3},
        {"root without a namespace",
         "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD("") "]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]}]}",
         "after", 3},
        {"record with a namespace of its own, by full name",
         "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"a.b\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD(",\"namespace\":\"x.y\"") "]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"x.y.Value\"]}]}",
         "after", 3},
        {"record with a namespace of its own, by a name of another namespace",
         "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"a.b\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD(",\"namespace\":\"x.y\"") "]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]}]}",
         "after", -1},
        {"record declared as a dotted name",
         "{\"type\":\"record\",\"name\":\"E\",\"namespace\":\"a.b\",\"fields\":["
         "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"q.r.V\","
         "\"fields\":[{\"name\":\"t\",\"type\":" MICROS "}]}]},"
         "{\"name\":\"after\",\"type\":[\"null\",\"q.r.V\"]}]}",
         "after", 1},
        {"record not in a union",
         "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
         "{\"name\":\"after\",\"type\":" VALUE_RECORD("") "}]}",
         "after", 3},
        {"unknown name", "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
                         "{\"name\":\"after\",\"type\":[\"null\",\"Nowhere\"]}]}",
         "after", -1},
        {"no such field", "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
                          "{\"name\":\"before\",\"type\":[\"null\"," VALUE_RECORD("") "]}]}",
         "after", -1},
        {"field is not a record", "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
                                  "{\"name\":\"after\",\"type\":\"string\"}]}",
         "after", -1},
        {"record without columns", "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
                                   "{\"name\":\"after\",\"type\":{\"type\":\"record\","
                                   "\"name\":\"V\",\"fields\":[]}}]}",
         "after", 0},
        {"not JSON", "{\"type\":", "after", -1},
        {"empty", "", "after", -1},
        {"JSON array", "[\"null\",\"string\"]", "after", -1},
        {"JSON string", "\"string\"", "after", -1},
        {"root without fields", "{\"type\":\"record\",\"name\":\"E\"}", "after", -1},
    };
    static const enum br_timecol_kind value_kinds[] = {BR_TIMECOL_ZONED, BR_TIMECOL_NONE,
                                                       BR_TIMECOL_NS};
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t count = 99;
        enum br_timecol_kind *kinds = br_timecols_classify(cases[i].schema, cases[i].field,
                                                           &count);

        if (cases[i].want_count < 0) {
            if (kinds || count != 0) {
                fail_msg("%s: got kinds (count %zu), want NULL", cases[i].what, count);
            }
            continue;
        }
        if (!kinds || count != (size_t)cases[i].want_count) {
            fail_msg("%s: got %s count %zu, want %d columns", cases[i].what,
                     kinds ? "kinds" : "NULL", count, cases[i].want_count);
        }
        if (count == 3) {
            for (size_t k = 0; k < 3; k++) {
                if (kinds[k] != value_kinds[k]) {
                    fail_msg("%s: column %zu is %s, want %s", cases[i].what, k,
                             kind_name(kinds[k]), kind_name(value_kinds[k]));
                }
            }
        } else if (count == 1) {
            assert_int_equal(kinds[0], BR_TIMECOL_US);
        }
        free(kinds);
    }
}

/* The record declared at the end of a nest of `levels` records, referenced by name. */
static char *nested_schema(int levels)
{
    static const char head[] = "{\"type\":\"record\",\"name\":\"E\",\"fields\":["
                               "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
                               "{\"name\":\"nest\",\"type\":";
    static const char value[] = VALUE_RECORD("");
    size_t size = 65536;
    char *schema = malloc(size);
    int n;

    if (!schema) {
        abort();
    }
    n = snprintf(schema, size, "%s", head);
    for (int i = 0; i < levels; i++) {
        n += snprintf(schema + n, size - (size_t)n,
                      "{\"type\":\"record\",\"name\":\"N%d\",\"fields\":[{\"name\":\"x\",\"type\":",
                      i);
    }
    n += snprintf(schema + n, size - (size_t)n, "%s", value);
    for (int i = 0; i < levels; i++) {
        n += snprintf(schema + n, size - (size_t)n, "}]}");
    }
    n += snprintf(schema + n, size - (size_t)n, "}]}");
    assert_true((size_t)n < size);
    return schema;
}

/* Names are collected down to a depth cap: deeper declarations are not followed. */
static void test_classify_nested_declaration(void **state)
{
    static const struct {
        int levels;
        int want_count; /* -1: NULL */
    } cases[] = {
        {0, 3}, {1, 3}, {10, 3}, {63, 3}, {64, -1}, {200, -1},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *schema = nested_schema(cases[i].levels);
        size_t count = 99;
        enum br_timecol_kind *kinds = br_timecols_classify(schema, "after", &count);

        if (cases[i].want_count < 0 ? kinds != NULL || count != 0
                                    : kinds == NULL || count != (size_t)cases[i].want_count) {
            fail_msg("%d levels: got %s count %zu, want count %d", cases[i].levels,
                     kinds ? "kinds" : "NULL", count, cases[i].want_count);
        }
        if (kinds) {
            assert_int_equal(kinds[0], BR_TIMECOL_ZONED);
            assert_int_equal(kinds[2], BR_TIMECOL_NS);
        }
        free(kinds);
        free(schema);
    }
}

/* ---- ZonedTimestamp ---- */

#define REFUSED INT64_C(0x7eadbeefdeadbeef)

static void test_parse_zoned_table(void **state)
{
    static const struct {
        const char *text;
        int64_t want; /* REFUSED: returns -1 */
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-05-01T10:00:00.123456Z", INT64_C(1777629600123456)},
        {"2024-12-31T23:59:59Z", INT64_C(1735689599000000)},
        /* before 1970 */
        {"1969-12-31T23:59:59Z", INT64_C(-1000000)},
        {"1969-12-31T23:59:59.5Z", INT64_C(-500000)},
        {"1969-12-31T23:59:59.999999Z", INT64_C(-1)},
        {"1900-01-01T00:00:00Z", INT64_C(-2208988800000000)},
        {"1600-03-01T00:00:00Z", INT64_C(-11670912000000000)},
        {"0001-01-01T00:00:00Z", INT64_C(-62135596800000000)},
        {"0000-01-01T00:00:00Z", INT64_C(-62167219200000000)},
        {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999)},
        /* leap days and the leap second (60 is the next minute's 0) */
        {"2000-02-29T12:00:00+01:00", INT64_C(951822000000000)},
        {"2016-12-31T23:59:60Z", INT64_C(1483228800000000)},
        /* offsets */
        {"1969-07-20T20:17:40+05:30", INT64_C(-14202740000000)},
        {"1960-01-01T00:00:00-08:00", INT64_C(-315590400000000)},
        {"1970-01-01T00:00:00+23:59", INT64_C(-86340000000)},
        {"1970-01-01T00:00:00-23:59", INT64_C(86340000000)},
        {"1970-01-01T00:00:00+00:00", 0},
        {"1970-01-01T00:00:00-00:00", 0},
        /* fractions of 1 to 9 digits; beyond microseconds they are cut, not rounded */
        {"1970-01-01T00:00:00.1Z", 100000},
        {"1970-01-01T00:00:00.01Z", 10000},
        {"1970-01-01T00:00:00.000001Z", 1},
        {"1970-01-01T00:00:00.1234567Z", 123456},
        {"1970-01-01T00:00:00.123456789Z", 123456},
        {"1970-01-01T00:00:00.999999999Z", 999999},
        {"1970-01-01T00:00:00.000000999Z", 0},
        {"1970-01-01T00:00:00.5+01:00", INT64_C(-3599500000)},
        /* refused */
        {"", REFUSED},
        {"1970-01-01T00:00:00", REFUSED},   /* no zone */
        {"1970-01-01T00:00:00z", REFUSED},  /* lower-case zone */
        {"1970-01-01 00:00:00Z", REFUSED},  /* space for T */
        {"1970-01-01t00:00:00Z", REFUSED},
        {"1970-01-01T00:00:00ZZ", REFUSED}, /* trailing bytes */
        {"1970-01-01T00:00:00Z ", REFUSED},
        {" 1970-01-01T00:00:00Z", REFUSED},
        {"1970-01-01T00:00:00.Z", REFUSED},  /* a dot without digits */
        {"1970-01-01T00:00:00.1234567890Z", REFUSED}, /* ten digits */
        {"1970-01-01T00:00:00,5Z", REFUSED},
        {"1970-01-01T00:00Z", REFUSED},      /* no seconds */
        {"1970-1-01T00:00:00Z", REFUSED},
        {"70-01-01T00:00:00Z", REFUSED},
        {"19700-01-01T00:00:00Z", REFUSED},
        {"-001-01-01T00:00:00Z", REFUSED},
        {"+1970-01-01T00:00:00Z", REFUSED},
        {"1970-00-01T00:00:00Z", REFUSED},
        {"1970-13-01T00:00:00Z", REFUSED},
        {"1970-01-00T00:00:00Z", REFUSED},
        {"1970-01-32T00:00:00Z", REFUSED},
        {"1970-04-31T00:00:00Z", REFUSED},
        {"2000-02-30T00:00:00Z", REFUSED},
        {"2023-02-29T00:00:00Z", REFUSED},
        {"1900-02-29T00:00:00Z", REFUSED},
        {"1970-01-01T24:00:00Z", REFUSED},
        {"1970-01-01T00:60:00Z", REFUSED},
        {"1970-01-01T00:00:61Z", REFUSED},
        {"1970-01-01T00:00:00+01", REFUSED},
        {"1970-01-01T00:00:00+0100", REFUSED},
        {"1970-01-01T00:00:00+1:00", REFUSED},
        {"1970-01-01T00:00:00+24:00", REFUSED},
        {"1970-01-01T00:00:00+01:60", REFUSED},
        {"1970-01-01T00:00:00+01:00Z", REFUSED},
        {"1970-01-01T00:00:00 +01:00", REFUSED},
        {"1970-01-01T00:00:00[UTC]", REFUSED},
        {"1970-01-01T0a:00:00Z", REFUSED},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = REFUSED;
        int rc = br_timecols_parse_zoned(cases[i].text, strlen(cases[i].text), &got);

        if (cases[i].want == REFUSED) {
            if (rc != -1 || got != REFUSED) {
                fail_msg("\"%s\": got %d (%lld), want -1 with out untouched", cases[i].text, rc,
                         (long long)got);
            }
        } else if (rc != 0 || got != cases[i].want) {
            fail_msg("\"%s\": got %d (%lld), want 0 (%lld)", cases[i].text, rc, (long long)got,
                     (long long)cases[i].want);
        }
    }
}

/* Only len bytes are read: the string need not end with a NUL. */
static void test_parse_zoned_length(void **state)
{
    static const char text[] = "1970-01-02T00:00:00Zjunk1970-01-01T00:00:00.25Z";
    int64_t got = 0;

    (void)state;
    assert_int_equal(br_timecols_parse_zoned(text, 20, &got), 0);
    assert_true(got == INT64_C(86400000000));
    assert_int_equal(br_timecols_parse_zoned(text + 24, 23, &got), 0);
    assert_true(got == 250000);
    /* one byte short: the zone is missing */
    assert_int_equal(br_timecols_parse_zoned(text, 19, &got), -1);
    assert_int_equal(br_timecols_parse_zoned(text + 24, 22, &got), -1);
    /* every shorter prefix is refused, never read past */
    for (size_t len = 0; len < 20; len++) {
        char *copy = malloc(len ? len : 1);

        assert_non_null(copy);
        memcpy(copy, text, len);
        if (br_timecols_parse_zoned(copy, len, &got) != -1) {
            fail_msg("prefix of %zu bytes accepted", len);
        }
        free(copy);
    }
}

/* ---- unit conversion ---- */

static void test_to_us_table(void **state)
{
    static const struct {
        int64_t v;
        enum br_timecol_kind kind;
        int want_rc;
        int64_t want; /* only when want_rc is 0 */
    } cases[] = {
        {0, BR_TIMECOL_US, 0, 0},
        {-1, BR_TIMECOL_US, 0, -1},
        {INT64_MAX, BR_TIMECOL_US, 0, INT64_MAX},
        {INT64_MIN, BR_TIMECOL_US, 0, INT64_MIN},
        {INT64_C(1777629600123456), BR_TIMECOL_US, 0, INT64_C(1777629600123456)},
        /* milliseconds: times 1000, refused on overflow */
        {0, BR_TIMECOL_MS, 0, 0},
        {1, BR_TIMECOL_MS, 0, 1000},
        {-1, BR_TIMECOL_MS, 0, -1000},
        {INT64_C(-2208988800000), BR_TIMECOL_MS, 0, INT64_C(-2208988800000000)},
        {INT64_MAX / 1000, BR_TIMECOL_MS, 0, INT64_C(9223372036854775000)},
        {INT64_MAX / 1000 + 1, BR_TIMECOL_MS, -1, 0},
        {INT64_MIN / 1000, BR_TIMECOL_MS, 0, INT64_C(-9223372036854775000)},
        {INT64_MIN / 1000 - 1, BR_TIMECOL_MS, -1, 0},
        {INT64_MAX, BR_TIMECOL_MS, -1, 0},
        {INT64_MIN, BR_TIMECOL_MS, -1, 0},
        /* nanoseconds: divided by 1000, rounded toward minus infinity */
        {0, BR_TIMECOL_NS, 0, 0},
        {999, BR_TIMECOL_NS, 0, 0},
        {1000, BR_TIMECOL_NS, 0, 1},
        {1999, BR_TIMECOL_NS, 0, 1},
        {-1, BR_TIMECOL_NS, 0, -1},
        {-999, BR_TIMECOL_NS, 0, -1},
        {-1000, BR_TIMECOL_NS, 0, -1},
        {-1001, BR_TIMECOL_NS, 0, -2},
        {INT64_C(-500000000), BR_TIMECOL_NS, 0, -500000},
        {INT64_MAX, BR_TIMECOL_NS, 0, INT64_C(9223372036854775)},
        {INT64_MIN, BR_TIMECOL_NS, 0, INT64_C(-9223372036854776)},
        /* any other kind passes the value through */
        {123, BR_TIMECOL_NONE, 0, 123},
        {-123, BR_TIMECOL_ZONED, 0, -123},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = 0;
        int rc = br_timecols_to_us(cases[i].v, cases[i].kind, &got);

        if (rc != cases[i].want_rc || (rc == 0 && got != cases[i].want)) {
            fail_msg("case %zu: to_us(%lld, %s) = %d (%lld), want %d (%lld)", i,
                     (long long)cases[i].v, kind_name(cases[i].kind), rc, (long long)got,
                     cases[i].want_rc, (long long)cases[i].want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_column_types),
        cmocka_unit_test(test_classify_schemas),
        cmocka_unit_test(test_classify_nested_declaration),
        cmocka_unit_test(test_parse_zoned_table),
        cmocka_unit_test(test_parse_zoned_length),
        cmocka_unit_test(test_to_us_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
