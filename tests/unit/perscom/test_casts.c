/*
 * Unit tests of casts.c: PERSCOM's model casts applied to every form a change event gives a
 * column (change.h), the default forms of columns the catalog does not know, Laravel's decimal
 * string, and whole payloads of Debezium-shaped rows through render.c. Expected texts are PHP's
 * (json_encode of what the model's cast gives; checked with php 8.2 where noted).
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
#include "perscom/casts.h"
#include "perscom/catalog.h"
#include "perscom/json.h"
#include "perscom/render.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_US INT64_C(86400000000)
#define TS_BASE INT64_C(1777629600123456) /* 2026-05-01T10:00:00.123456Z */

static const struct br_column integer_column = {"id", BR_CAST_INTEGER, 0};
static const struct br_column boolean_column = {"approved", BR_CAST_BOOLEAN, 0};
static const struct br_column datetime_column = {"starts", BR_CAST_DATETIME, 0};
static const struct br_column raw_datetime_column = {"read_at", BR_CAST_RAW_DATETIME, 0};
static const struct br_column json_column = {"notifications_interval", BR_CAST_JSON, 0};
static const struct br_column decimal_column = {"pay_grade", BR_CAST_DECIMAL, 2};
static const struct br_column string_column = {"name", BR_CAST_STRING, 0};

/* A field described compactly: kind, a JSON text for value kinds, time_us for timed kinds. */
struct field_spec {
    enum br_field_kind kind;
    const char *json; /* BR_FIELD_VALUE: JSON text of the value; BR_FIELD_DECIMAL: the text */
    int64_t time_us;
};

struct cast_case {
    const struct br_column *column; /* NULL: a column the catalog does not know */
    struct field_spec field;
    const char *data;    /* json_encode of the `data` value; NULL: br_casts_data fails */
    const char *changes; /* json_encode of the `changes` value */
};

static void make_field(const struct field_spec *spec, struct br_field *field)
{
    json_error_t error;

    memset(field, 0, sizeof(*field));
    field->name = "column";
    field->kind = spec->kind;
    field->time_us = spec->time_us;
    if (spec->kind == BR_FIELD_VALUE) {
        field->value = json_loads(spec->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        if (!field->value) {
            fail_msg("bad test JSON %s: %s", spec->json, error.text);
        }
    } else if (spec->kind == BR_FIELD_DECIMAL) {
        field->value = json_string(spec->json);
    }
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

static void run_cases(const struct cast_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct br_field field;
        char errstr[256] = "";
        json_t *data;
        json_t *raw;
        char *text;

        make_field(&cases[i].field, &field);
        data = br_casts_data(cases[i].column, &field, errstr, sizeof(errstr));
        if (!cases[i].data) {
            if (data) {
                fail_msg("case %zu: data should fail, got a value", i);
            }
            assert_true(strlen(errstr) > 0);
            json_decref(field.value);
            continue;
        }
        if (!data) {
            fail_msg("case %zu: data failed: %s", i, errstr);
        }
        text = encode(data);
        if (strcmp(text, cases[i].data) != 0) {
            fail_msg("case %zu: data %s, want %s", i, text, cases[i].data);
        }
        free(text);
        raw = br_casts_raw(cases[i].column, &field, errstr, sizeof(errstr));
        if (!raw) {
            fail_msg("case %zu: raw failed: %s", i, errstr);
        }
        text = encode(raw);
        if (strcmp(text, cases[i].changes) != 0) {
            fail_msg("case %zu: changes %s, want %s", i, text, cases[i].changes);
        }
        free(text);
        json_decref(data);
        json_decref(raw);
        json_decref(field.value);
    }
}

#define V(json) {BR_FIELD_VALUE, json, 0}
#define D(text) {BR_FIELD_DECIMAL, text, 0}
#define T(us) {BR_FIELD_TIME, NULL, us}
#define DATE(days) {BR_FIELD_DATE, NULL, (days) * DAY_US}
#define CLOCK(us) {BR_FIELD_CLOCK, NULL, us}

static void test_integer(void **state)
{
    static const struct cast_case cases[] = {
        {&integer_column, V("42"), "42", "42"},
        {&integer_column, V("-9223372036854775808"), "-9223372036854775808",
         "-9223372036854775808"},
        {&integer_column, V("null"), "null", "null"},
        {&integer_column, V("true"), "1", "1"},
        {&integer_column, V("false"), "0", "0"},
        /* bigint.unsigned.handling.mode=precise: Decimal with scale 0 */
        {&integer_column, D("12"), "12", "12"},
        {&integer_column, D("0"), "0", "0"},
        {&integer_column, D("-0"), "0", "0"},
        {&integer_column, D("0012"), "12", "12"},
        {&integer_column, D("9223372036854775807"), "9223372036854775807",
         "9223372036854775807"},
        {&integer_column, D("-9223372036854775808"), "-9223372036854775808",
         "-9223372036854775808"},
        /* beyond PHP_INT_MAX: the exact digits as a string (PHP's (int) would clamp) */
        {&integer_column, D("9223372036854775808"), "\"9223372036854775808\"",
         "\"9223372036854775808\""},
        {&integer_column, D("18446744073709551615"), "\"18446744073709551615\"",
         "\"18446744073709551615\""},
        {&integer_column, D("-99999999999999999999"), "\"-99999999999999999999\"",
         "\"-99999999999999999999\""},
        /* an integral decimal of a scale > 0; a fraction is not truncated but kept exact */
        {&integer_column, D("12.00"), "12", "12"},
        {&integer_column, D("-0.00"), "0", "0"},
        {&integer_column, D("12.50"), "\"12.50\"", "\"12.50\""},
        /* forms the cast does not apply to stay as they are */
        {&integer_column, V("\"12\""), "\"12\"", "\"12\""},
        {&integer_column, V("1.5"), "1.5", "1.5"},
        {&integer_column, T(0), "\"1970-01-01T00:00:00.000000Z\"", "\"1970-01-01 00:00:00\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

static void test_boolean(void **state)
{
    static const struct cast_case cases[] = {
        /* TINYINT(1) as int (connect.type int16/int8): (bool) */
        {&boolean_column, V("0"), "false", "false"},
        {&boolean_column, V("1"), "true", "true"},
        {&boolean_column, V("2"), "true", "true"},
        {&boolean_column, V("-128"), "true", "true"},
        {&boolean_column, V("true"), "true", "true"},
        {&boolean_column, V("false"), "false", "false"},
        {&boolean_column, V("null"), "null", "null"},
        {&boolean_column, D("0"), "false", "false"},
        {&boolean_column, D("1"), "true", "true"},
        {&boolean_column, D("0.00"), "false", "false"},
        {&boolean_column, D("18446744073709551615"), "true", "true"},
        {&boolean_column, D("0.5"), "\"0.5\"", "\"0.5\""},
        {&boolean_column, V("\"1\""), "\"1\"", "\"1\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

static void test_datetime(void **state)
{
    static const struct cast_case cases[] = {
        {&datetime_column, T(TS_BASE), "\"2026-05-01T10:00:00.123456Z\"",
         "\"2026-05-01 10:00:00\""},
        {&datetime_column, T(-1), "\"1969-12-31T23:59:59.999999Z\"", "\"1969-12-31 23:59:59\""},
        /* a DATE column (io.debezium.time.Date) under a datetime cast: its midnight */
        {&datetime_column, DATE(20574), "\"2026-05-01T00:00:00.000000Z\"",
         "\"2026-05-01 00:00:00\""},
        {&datetime_column, DATE(-1), "\"1969-12-31T00:00:00.000000Z\"",
         "\"1969-12-31 00:00:00\""},
        {&datetime_column, DATE(-719162), "\"0001-01-01T00:00:00.000000Z\"",
         "\"0001-01-01 00:00:00\""},
        {&datetime_column, V("null"), "null", "null"},
        /* a time of day is no datetime: its own form */
        {&datetime_column, CLOCK(3600000000), "\"01:00:00\"", "\"01:00:00\""},
        {&datetime_column, V("1777629600"), "1777629600", "1777629600"},
        /* submissions.read_at: not cast by the model, raw in data too */
        {&raw_datetime_column, T(TS_BASE), "\"2026-05-01 10:00:00\"", "\"2026-05-01 10:00:00\""},
        {&raw_datetime_column, DATE(0), "\"1970-01-01 00:00:00\"", "\"1970-01-01 00:00:00\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

static void test_json(void **state)
{
    static const struct cast_case cases[] = {
        /* JSON text (MariaDB LONGTEXT, MySQL io.debezium.data.Json) */
        {&json_column, V("\"[\\\"pt15m\\\",\\\"pt1h\\\"]\""), "[\"pt15m\",\"pt1h\"]",
         "\"[\\\"pt15m\\\",\\\"pt1h\\\"]\""},
        /* MySQL's own spacing is not kept in changes: the model's json_encode */
        {&json_column, V("\"[\\\"mail\\\", \\\"discord\\\"]\""), "[\"mail\",\"discord\"]",
         "\"[\\\"mail\\\",\\\"discord\\\"]\""},
        {&json_column, V("\"[]\""), "[]", "\"[]\""},
        /* PHP's arrays: {} is [], "0","1" keys are a list, others an object */
        {&json_column, V("\"{}\""), "[]", "\"[]\""},
        {&json_column, V("\"{\\\"0\\\":\\\"a\\\",\\\"1\\\":\\\"b\\\"}\""), "[\"a\",\"b\"]",
         "\"[\\\"a\\\",\\\"b\\\"]\""},
        {&json_column, V("\"{\\\"1\\\":\\\"a\\\",\\\"0\\\":\\\"b\\\"}\""),
         "{\"1\":\"a\",\"0\":\"b\"}", "\"{\\\"1\\\":\\\"a\\\",\\\"0\\\":\\\"b\\\"}\""},
        {&json_column, V("\"{\\\"a\\\":{},\\\"b\\\":[{}]}\""), "{\"a\":[],\"b\":[[]]}",
         "\"{\\\"a\\\":[],\\\"b\\\":[[]]}\""},
        {&json_column, V("\"  [ 1 , 2.50 , -0 ]  \""), "[1,2.5,0]", "\"[1,2.5,0]\""},
        {&json_column, V("\"\\\"pt15m\\\"\""), "\"pt15m\"", "\"\\\"pt15m\\\"\""},
        {&json_column, V("\"5\""), "5", "\"5\""},
        {&json_column, V("\"null\""), "null", "null"},
        {&json_column, V("null"), "null", "null"},
        {&json_column, V("\"a\\/b \\u00e9\""), NULL, NULL},
        {&json_column, V("\"[1,\""), NULL, NULL},
        {&json_column, V("\"\""), NULL, NULL},
        /* an Avro array of strings (the committed schemas) */
        {&json_column, V("[\"pt15m\"]"), "[\"pt15m\"]", "\"[\\\"pt15m\\\"]\""},
        {&json_column, V("[]"), "[]", "\"[]\""},
        {&json_column, V("{}"), "[]", "\"[]\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

static void test_decimal_cast(void **state)
{
    static const struct cast_case cases[] = {
        /* decimal:2 */
        {&decimal_column, D("123.45"), "\"123.45\"", "\"123.45\""},
        {&decimal_column, D("123.4"), "\"123.40\"", "\"123.4\""},
        {&decimal_column, D("-1.005"), "\"-1.01\"", "\"-1.005\""},
        {&decimal_column, D("7"), "\"7.00\"", "\"7\""},
        {&decimal_column, V("5"), "\"5.00\"", "5"},
        {&decimal_column, V("\"1.235\""), "\"1.24\"", "\"1.235\""},
        {&decimal_column, V("\"abc\""), "\"abc\"", "\"abc\""},
        {&decimal_column, V("null"), "null", "null"},
        {&decimal_column, V("1.5"), "1.5", "1.5"},
        /* the string cast leaves everything as it is */
        {&string_column, V("\"x\""), "\"x\"", "\"x\""},
        {&string_column, D("1.50"), "\"1.50\"", "\"1.50\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

/* Columns the catalog does not know: the default, lossless form of each kind. */
static void test_defaults(void **state)
{
    static const struct cast_case cases[] = {
        {NULL, V("42"), "42", "42"},
        {NULL, V("1"), "1", "1"}, /* an int16 of an extra column stays an integer */
        {NULL, V("\"text\""), "\"text\"", "\"text\""},
        {NULL, V("[1,{\"a\":null}]"), "[1,{\"a\":null}]", "\"[1,{\\\"a\\\":null}]\""},
        {NULL, V("{}"), "{}", "\"{}\""},
        {NULL, V("\"[\\\"json\\\"]\""), "\"[\\\"json\\\"]\"", "\"[\\\"json\\\"]\""},
        {NULL, D("-123.40"), "\"-123.40\"", "\"-123.40\""},
        {NULL, D("18446744073709551615"), "\"18446744073709551615\"",
         "\"18446744073709551615\""},
        {NULL, T(TS_BASE), "\"2026-05-01T10:00:00.123456Z\"", "\"2026-05-01 10:00:00\""},
        {NULL, DATE(20574), "\"2026-05-01\"", "\"2026-05-01\""},
        {NULL, DATE(-1), "\"1969-12-31\"", "\"1969-12-31\""},
        {NULL, DATE(-719162), "\"0001-01-01\"", "\"0001-01-01\""},
        {NULL, DATE(2932896), "\"9999-12-31\"", "\"9999-12-31\""},
        {NULL, CLOCK(0), "\"00:00:00\"", "\"00:00:00\""},
        {NULL, CLOCK(INT64_C(37230123456)), "\"10:20:30.123456\"", "\"10:20:30.123456\""},
        {NULL, CLOCK(INT64_C(37230000001)), "\"10:20:30.000001\"", "\"10:20:30.000001\""},
        {NULL, CLOCK(INT64_C(-3600000000)), "\"-01:00:00\"", "\"-01:00:00\""},
        {NULL, CLOCK(INT64_C(-1)), "\"-00:00:00.000001\"", "\"-00:00:00.000001\""},
        /* MySQL's TIME range: -838:59:59 .. 838:59:59 */
        {NULL, CLOCK(INT64_C(3020399000000)), "\"838:59:59\"", "\"838:59:59\""},
        {NULL, CLOCK(INT64_C(-3020399000000)), "\"-838:59:59\"", "\"-838:59:59\""},
    };
    (void)state;
    run_cases(cases, COUNT(cases));
}

static void test_decimal_text(void **state)
{
    static const struct {
        const char *text;
        unsigned decimals;
        const char *want; /* NULL: refused */
    } cases[] = {
        {"123.45", 2, "123.45"},
        {"123.4", 2, "123.40"},
        {"123.455", 2, "123.46"},
        {"123.454", 2, "123.45"},
        {"123.4549", 2, "123.45"},
        {"-1.005", 2, "-1.01"},
        {"-1.004", 2, "-1.00"},
        {"-0.004", 2, "0.00"},
        {"-0.005", 2, "-0.01"},
        {"9.995", 2, "10.00"},
        {"-9.995", 2, "-10.00"},
        {"999.5", 0, "1000"},
        {"0.5", 0, "1"},
        {"-0.5", 0, "-1"},
        {"-0.4", 0, "0"},
        {"-0", 0, "0"},
        {"00012.3", 1, "12.3"},
        {"0.000", 1, "0.0"},
        {"7", 3, "7.000"},
        {"18446744073709551615", 2, "18446744073709551615.00"},
        {"0.123456789012345678901234567890", 29, "0.12345678901234567890123456789"},
        {"", 2, NULL},
        {"-", 2, NULL},
        {"1.", 2, NULL},
        {".5", 2, NULL},
        {"1e5", 2, NULL},
        {"+1", 2, NULL},
        {" 1", 2, NULL},
        {"1.2.3", 2, NULL},
        {"abc", 2, NULL},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = br_casts_decimal(cases[i].text, cases[i].decimals);

        if (!cases[i].want) {
            if (got) {
                fail_msg("\"%s\": %s, want refused", cases[i].text, got);
            }
            continue;
        }
        if (!got || strcmp(got, cases[i].want) != 0) {
            fail_msg("\"%s\" to %u: %s, want %s", cases[i].text, cases[i].decimals,
                     got ? got : "(refused)", cases[i].want);
        }
        free(got);
    }
    assert_null(br_casts_decimal(NULL, 2));
}

static void test_php_array(void **state)
{
    static const struct {
        const char *in;
        const char *want; /* php -r 'echo json_encode(json_decode($in, true));' */
    } cases[] = {
        {"{}", "[]"},
        {"[]", "[]"},
        {"{\"0\":1}", "[1]"},
        {"{\"1\":1}", "{\"1\":1}"},
        {"{\"0\":1,\"2\":2}", "{\"0\":1,\"2\":2}"},
        {"{\"00\":1}", "{\"00\":1}"},
        {"[{\"0\":{}},{\"k\":[{}]}]", "[[[]],{\"k\":[[]]}]"},
        {"\"s\"", "\"s\""},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *in = json_loads(cases[i].in, JSON_DECODE_ANY, NULL);
        json_t *out = br_casts_php_array(in);
        char *text = encode(out);

        if (strcmp(text, cases[i].want) != 0) {
            fail_msg("%s: %s, want %s", cases[i].in, text, cases[i].want);
        }
        free(text);
        json_decref(out);
        json_decref(in);
    }
}

/* ---- whole payloads of Debezium-shaped rows ---- */

static char *render_body(const char *resource, enum br_action action,
                         const struct br_change *change)
{
    struct br_render_input in = {
        .resource = br_catalog_by_name(resource),
        .action = action,
        .change = change,
        .request_id = "r",
        .topic = "t",
    };
    char errstr[256];
    json_t *payload = br_render_payload(&in, errstr, sizeof(errstr));
    char *text;

    if (!payload) {
        fail_msg("render: %s", errstr);
    }
    text = encode(payload);
    json_decref(payload);
    return text;
}

/* An events row as the Debezium MariaDB connector gives it: TINYINT(1) as int, JSON as text,
 * ids as Decimal (bigint.unsigned.handling.mode=precise), datetimes in several forms. */
static struct br_row *debezium_event(int all_day, const char *interval, const char *id)
{
    struct br_row *row = br_row_create(8);

    br_row_add_decimal(row, "id", id);
    br_row_add_value(row, "name", json_string("Drill"));
    br_row_add_value(row, "calendar_id", json_null());
    br_row_add_decimal(row, "author_id", "7");
    br_row_add_value(row, "all_day", json_integer(all_day));
    br_row_add_time(row, "starts", TS_BASE);
    br_row_add_timed(row, "ends", BR_FIELD_DATE, 20575 * DAY_US);
    br_row_add_value(row, "repeats", json_integer(0));
    br_row_add_value(row, "notifications_interval", json_string(interval));
    br_row_add_value(row, "notifications_channels", json_null());
    br_row_add_decimal(row, "pay_grade", "123.40");                 /* extra: DECIMAL(5,2) */
    br_row_add_timed(row, "drill_day", BR_FIELD_DATE, -1 * DAY_US); /* extra: DATE */
    br_row_add_timed(row, "muster", BR_FIELD_CLOCK, INT64_C(30600000000)); /* extra: TIME */
    br_row_add_value(row, "year", json_integer(2026));              /* extra: YEAR */
    br_row_add_value(row, "blob", json_string("AAE="));             /* extra: bytes (base64) */
    return row;
}

static void test_render_debezium(void **state)
{
    struct br_change change = {.op = BR_OP_UPDATE, .ts_us = TS_BASE};
    char *body;
    (void)state;

    change.before = debezium_event(0, "[\"pt15m\"]", "12");
    change.after = debezium_event(1, "[\"pt15m\", \"pt1h\"]", "12");
    body = render_body("event", BR_ACTION_UPDATED, &change);
    assert_string_equal(
        body,
        "{\"event\":\"event.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\","
        "\"request_id\":\"r\",\"trace_id\":null,\"data\":{\"id\":12,\"name\":\"Drill\","
        "\"calendar_id\":null,\"author_id\":7,\"all_day\":true,"
        "\"starts\":\"2026-05-01T10:00:00.123456Z\",\"ends\":\"2026-05-02T00:00:00.000000Z\","
        "\"repeats\":false,\"notifications_interval\":[\"pt15m\",\"pt1h\"],"
        "\"notifications_channels\":null,\"pay_grade\":\"123.40\",\"drill_day\":\"1969-12-31\","
        "\"muster\":\"08:30:00\",\"year\":2026,\"blob\":\"AAE=\",\"label\":\"Event: 12\"},"
        "\"changes\":{\"all_day\":true,"
        "\"notifications_interval\":\"[\\\"pt15m\\\",\\\"pt1h\\\"]\"}}");
    free(body);
    br_change_finish(&change);

    /* an id beyond PHP_INT_MAX: digits as a string, in data and label */
    change.op = BR_OP_CREATE;
    change.after = debezium_event(0, "[]", "18446744073709551615");
    body = render_body("event", BR_ACTION_CREATED, &change);
    assert_non_null(strstr(body, "\"data\":{\"id\":\"18446744073709551615\","));
    assert_non_null(strstr(body, "\"all_day\":false,"));
    assert_non_null(strstr(body, "\"notifications_interval\":[],"));
    assert_non_null(strstr(body, "\"label\":\"Event: 18446744073709551615\"},\"changes\":[]}"));
    free(body);
    br_change_finish(&change);

    /* JSON text that is not JSON: the message cannot be rendered, and says which column */
    change.after = debezium_event(0, "[\"pt15m\"", "1");
    {
        struct br_render_input in = {
            .resource = br_catalog_by_name("event"),
            .action = BR_ACTION_CREATED,
            .change = &change,
            .request_id = "r",
        };
        char errstr[256];

        assert_null(br_render_payload(&in, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "notifications_interval"));
        assert_non_null(strstr(errstr, "not valid JSON"));
    }
    br_change_finish(&change);
}

/* users: approved as int 0/1 in data and changes; submissions.read_at raw from a Timestamp. */
static void test_render_users_submissions(void **state)
{
    struct br_change change = {.op = BR_OP_UPDATE, .ts_us = TS_BASE};
    char *body;
    (void)state;

    change.before = br_row_create(4);
    br_row_add_value(change.before, "id", json_integer(3));
    br_row_add_value(change.before, "approved", json_integer(0));
    br_row_add_value(change.before, "password", json_string("a"));
    change.after = br_row_create(4);
    br_row_add_value(change.after, "id", json_integer(3));
    br_row_add_value(change.after, "approved", json_integer(1));
    br_row_add_value(change.after, "password", json_string("b"));
    body = render_body("user", BR_ACTION_UPDATED, &change);
    assert_non_null(strstr(body, "\"data\":{\"id\":3,\"approved\":true,\"label\":\"User: 3\"},"
                                 "\"changes\":{\"approved\":true}}"));
    free(body);
    br_change_finish(&change);

    change.op = BR_OP_CREATE;
    change.after = br_row_create(4);
    br_row_add_decimal(change.after, "id", "5");
    br_row_add_decimal(change.after, "form_id", "2");
    br_row_add_time(change.after, "read_at", TS_BASE);
    body = render_body("submission", BR_ACTION_CREATED, &change);
    assert_non_null(strstr(body, "\"data\":{\"id\":5,\"form_id\":2,"
                                 "\"read_at\":\"2026-05-01 10:00:00\","
                                 "\"label\":\"Submission: 5\"}"));
    free(body);
    br_change_finish(&change);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer),       cmocka_unit_test(test_boolean),
        cmocka_unit_test(test_datetime),      cmocka_unit_test(test_json),
        cmocka_unit_test(test_decimal_cast),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_decimal_text),  cmocka_unit_test(test_php_array),
        cmocka_unit_test(test_render_debezium), cmocka_unit_test(test_render_users_submissions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
