/*
 * Unit tests of logical.c (with decode.c): every logical type Debezium, Kafka Connect and Avro
 * give a column other than datetimes, written with avro-c from a Debezium-shaped schema (the
 * attributes are those Apicurio's and Confluent's AvroData write) and decoded with br_decode;
 * and the decimal text of unscaled two's complement bytes.
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

#include "avro/decode.h"
#include "avro/logical.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_US INT64_C(86400000000)

/* decode.c links the registry client; these tests use plain Avro topics only */
enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    (void)id;
    (void)schema_json;
    snprintf(errstr, errstr_size, "no registry in this test");
    return BR_REGISTRY_UNAVAILABLE;
}

#define ENVELOPE(columns)                                                                          \
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"perscom.perscom.events\","         \
    "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\"," \
    "\"fields\":[" columns "]}],\"default\":null},"                                                \
    "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"                         \
    "{\"name\":\"op\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]}]}"

/* One column of every kind, as the Debezium MySQL/MariaDB connector's schemas write them. */
static const char dbz_schema[] = ENVELOPE(
    "{\"name\":\"id\",\"type\":{\"type\":\"bytes\",\"scale\":0,\"precision\":20,"
    "\"connect.version\":1,\"connect.parameters\":{\"scale\":\"0\","
    "\"connect.decimal.precision\":\"20\"},\"connect.name\":\"org.apache.kafka.connect.data."
    "Decimal\",\"logicalType\":\"decimal\"}},"
    "{\"name\":\"approved\",\"type\":{\"type\":\"int\",\"connect.type\":\"int16\"}},"
    "{\"name\":\"day\",\"type\":[\"null\",{\"type\":\"int\",\"connect.version\":1,"
    "\"connect.name\":\"io.debezium.time.Date\"}],\"default\":null},"
    "{\"name\":\"cday\",\"type\":{\"type\":\"int\",\"connect.version\":1,"
    "\"connect.name\":\"org.apache.kafka.connect.data.Date\",\"logicalType\":\"date\"}},"
    "{\"name\":\"t_ms\",\"type\":{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Time\"}},"
    "{\"name\":\"ct_ms\",\"type\":{\"type\":\"int\",\"connect.name\":"
    "\"org.apache.kafka.connect.data.Time\",\"logicalType\":\"time-millis\"}},"
    "{\"name\":\"t_us\",\"type\":[\"null\",{\"type\":\"long\","
    "\"connect.name\":\"io.debezium.time.MicroTime\"}],\"default\":null},"
    "{\"name\":\"a_us\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"}},"
    "{\"name\":\"t_ns\",\"type\":{\"type\":\"long\","
    "\"connect.name\":\"io.debezium.time.NanoTime\"}},"
    "{\"name\":\"zt\",\"type\":{\"type\":\"string\","
    "\"connect.name\":\"io.debezium.time.ZonedTime\"}},"
    "{\"name\":\"year\",\"type\":{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Year\"}},"
    "{\"name\":\"cts\",\"type\":{\"type\":\"long\",\"connect.name\":"
    "\"org.apache.kafka.connect.data.Timestamp\"}},"
    "{\"name\":\"dec\",\"type\":[\"null\",{\"type\":\"bytes\",\"connect.parameters\":"
    "{\"scale\":\"2\"},\"connect.name\":\"org.apache.kafka.connect.data.Decimal\"}]},"
    "{\"name\":\"fdec\",\"type\":{\"type\":\"fixed\",\"name\":\"Money\",\"size\":8,"
    "\"logicalType\":\"decimal\",\"precision\":18,\"scale\":3}},"
    "{\"name\":\"vdec\",\"type\":{\"type\":\"record\",\"name\":\"VariableScaleDecimal\","
    "\"namespace\":\"io.debezium.data\",\"fields\":[{\"name\":\"scale\",\"type\":\"int\"},"
    "{\"name\":\"value\",\"type\":\"bytes\"}],\"connect.name\":"
    "\"io.debezium.data.VariableScaleDecimal\"}},"
    "{\"name\":\"js\",\"type\":{\"type\":\"string\",\"connect.name\":\"io.debezium.data.Json\"}},"
    "{\"name\":\"raw\",\"type\":\"bytes\"},"
    "{\"name\":\"wrong\",\"type\":{\"type\":\"long\",\"logicalType\":\"date\"}}");

static const enum br_logical_kind dbz_kinds[] = {
    BR_LOGICAL_DECIMAL, BR_LOGICAL_NONE,    BR_LOGICAL_DATE,    BR_LOGICAL_DATE,
    BR_LOGICAL_TIME_MS, BR_LOGICAL_TIME_MS, BR_LOGICAL_TIME_US, BR_LOGICAL_TIME_US,
    BR_LOGICAL_TIME_NS, BR_LOGICAL_NONE,    BR_LOGICAL_NONE,    BR_LOGICAL_NONE,
    BR_LOGICAL_DECIMAL, BR_LOGICAL_DECIMAL, BR_LOGICAL_VARIABLE_DECIMAL, BR_LOGICAL_NONE,
    BR_LOGICAL_NONE,    BR_LOGICAL_NONE,
};

/* ---- writing messages with avro-c ---- */

struct msg {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t root;
    avro_value_t row;
    char buf[8192];
    size_t len;
};

static avro_value_t field(avro_value_t *record, const char *name)
{
    avro_value_t child;

    if (avro_value_get_by_name(record, name, &child, NULL) != 0) {
        fail_msg("no field %s", name);
    }
    return child;
}

/* The value to write into: the non-null branch of a ["null", X] union, else the value. */
static avro_value_t slot(avro_value_t *record, const char *name)
{
    avro_value_t value = field(record, name);
    avro_value_t branch;

    if (avro_value_get_type(&value) == AVRO_UNION) {
        assert_int_equal(avro_value_set_branch(&value, 1, &branch), 0);
        return branch;
    }
    return value;
}

static void set_null(avro_value_t *record, const char *name)
{
    avro_value_t value = field(record, name);
    avro_value_t branch;

    assert_int_equal(avro_value_set_branch(&value, 0, &branch), 0);
    avro_value_set_null(&branch);
}

/* A create of schema_json; msg->row is its after row, to be filled. */
static void msg_init(struct msg *msg, const char *schema_json)
{
    avro_value_t side;
    avro_value_t v;

    memset(msg, 0, sizeof(*msg));
    if (avro_schema_from_json_length(schema_json, strlen(schema_json), &msg->schema) != 0) {
        fail_msg("schema: %s", avro_strerror());
    }
    msg->iface = avro_generic_class_from_schema(msg->schema);
    assert_non_null(msg->iface);
    assert_int_equal(avro_generic_value_new(msg->iface, &msg->root), 0);
    set_null(&msg->root, "before");
    side = field(&msg->root, "after");
    assert_int_equal(avro_value_set_branch(&side, 1, &msg->row), 0);
    v = field(&msg->root, "op");
    avro_value_set_string(&v, "c");
    v = slot(&msg->root, "ts_ms");
    avro_value_set_long(&v, 1777629600123);
}

static void msg_finish(struct msg *msg)
{
    avro_value_decref(&msg->root);
    avro_value_iface_decref(msg->iface);
    avro_schema_decref(msg->schema);
}

static void msg_write(struct msg *msg)
{
    avro_writer_t writer = avro_writer_memory(msg->buf, sizeof(msg->buf));

    if (avro_value_write(writer, &msg->root) != 0) {
        fail_msg("write: %s", avro_strerror());
    }
    msg->len = (size_t)avro_writer_tell(writer);
    avro_writer_free(writer);
}

static void set_int(struct msg *msg, const char *name, int32_t v)
{
    avro_value_t value = slot(&msg->row, name);

    assert_int_equal(avro_value_set_int(&value, v), 0);
}

static void set_long(struct msg *msg, const char *name, int64_t v)
{
    avro_value_t value = slot(&msg->row, name);

    assert_int_equal(avro_value_set_long(&value, v), 0);
}

static void set_string(struct msg *msg, const char *name, const char *s)
{
    avro_value_t value = slot(&msg->row, name);

    assert_int_equal(avro_value_set_string(&value, s), 0);
}

static void set_bytes(struct msg *msg, const char *name, const void *bytes, size_t len)
{
    avro_value_t value = slot(&msg->row, name);

    if (avro_value_get_type(&value) == AVRO_FIXED) {
        assert_int_equal(avro_value_set_fixed(&value, (void *)bytes, len), 0);
    } else {
        assert_int_equal(avro_value_set_bytes(&value, (void *)bytes, len), 0);
    }
}

static struct br_conf_topic avro_topic(const char *schema_json)
{
    struct br_conf_topic topic;

    memset(&topic, 0, sizeof(topic));
    topic.name = "t";
    topic.format = BR_FORMAT_AVRO;
    topic.schema_json = (char *)schema_json;
    return topic;
}

/* Every column of dbz_schema set; the changing ones from the arguments. */
static void fill_dbz(struct msg *msg, int32_t day, int64_t micro_time)
{
    static const uint8_t id[] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t dec[] = {0xcf, 0xc7};                       /* -12345 */
    static const uint8_t fdec[] = {0, 0, 0, 0, 0, 0, 0x30, 0x39};   /* 12345 */
    static const uint8_t raw[] = {0x00, 0x01, 0xff};
    avro_value_t vdec = slot(&msg->row, "vdec");
    avro_value_t v;

    set_bytes(msg, "id", id, sizeof(id));
    set_int(msg, "approved", 1);
    set_int(msg, "day", day);
    set_int(msg, "cday", -719162);
    set_int(msg, "t_ms", 37230123);
    set_int(msg, "ct_ms", 0);
    set_long(msg, "t_us", micro_time);
    set_long(msg, "a_us", INT64_C(86399999999));
    set_long(msg, "t_ns", INT64_C(-1));
    set_string(msg, "zt", "10:15:30.123456Z");
    set_int(msg, "year", 2155);
    set_long(msg, "cts", INT64_C(-1));
    set_bytes(msg, "dec", dec, sizeof(dec));
    set_bytes(msg, "fdec", fdec, sizeof(fdec));
    v = field(&vdec, "scale");
    avro_value_set_int(&v, 4);
    v = field(&vdec, "value");
    avro_value_set_bytes(&v, (void *)dec, sizeof(dec));
    set_string(msg, "js", "{\"a\": [1, 2]}");
    set_bytes(msg, "raw", raw, sizeof(raw));
    set_long(msg, "wrong", 5);
}

static const struct br_field *find(const struct br_row *row, const char *name,
                                   enum br_field_kind kind)
{
    const struct br_field *f = br_row_find(row, name);

    if (!f) {
        fail_msg("no column %s", name);
    }
    if (f->kind != kind) {
        fail_msg("column %s: kind %d, want %d", name, f->kind, kind);
    }
    return f;
}

static void expect_text(const struct br_row *row, const char *name, enum br_field_kind kind,
                        const char *want)
{
    const struct br_field *f = find(row, name, kind);

    if (!json_is_string(f->value) || strcmp(json_string_value(f->value), want) != 0) {
        fail_msg("column %s: %s, want %s", name, json_string_value(f->value), want);
    }
}

static void expect_timed(const struct br_row *row, const char *name, enum br_field_kind kind,
                         int64_t want)
{
    const struct br_field *f = find(row, name, kind);

    if (f->time_us != want) {
        fail_msg("column %s: %lld, want %lld", name, (long long)f->time_us, (long long)want);
    }
}

static void expect_int(const struct br_row *row, const char *name, int64_t want)
{
    const struct br_field *f = find(row, name, BR_FIELD_VALUE);

    assert_true(json_is_integer(f->value));
    assert_int_equal(json_integer_value(f->value), want);
}

/* ---- tests ---- */

static void test_classify(void **state)
{
    size_t count = 0;
    struct br_logical *kinds = br_logical_classify(dbz_schema, "after", &count);
    (void)state;

    assert_non_null(kinds);
    assert_int_equal(count, COUNT(dbz_kinds));
    for (size_t i = 0; i < count; i++) {
        if (kinds[i].kind != dbz_kinds[i]) {
            fail_msg("column %zu: kind %d, want %d", i, kinds[i].kind, dbz_kinds[i]);
        }
    }
    assert_int_equal(kinds[0].scale, 0);
    assert_int_equal(kinds[12].scale, 2); /* from connect.parameters */
    assert_int_equal(kinds[13].scale, 3); /* Avro's scale */
    free(kinds);
    kinds = br_logical_classify(dbz_schema, "before", &count);
    assert_int_equal(count, COUNT(dbz_kinds));
    free(kinds);
    assert_null(br_logical_classify(dbz_schema, "source", &count));
    assert_int_equal(count, 0);
    assert_null(br_logical_classify("not json", "after", &count));
    assert_null(br_logical_classify("\"long\"", "after", &count));
}

static void test_decode_debezium(void **state)
{
    struct br_conf_topic topic = avro_topic(dbz_schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    struct br_change change;
    struct msg msg;
    char errstr[256];
    const struct br_row *row;
    (void)state;

    msg_init(&msg, dbz_schema);
    fill_dbz(&msg, -1, INT64_C(-3600000000));
    msg_write(&msg);
    if (br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr, sizeof(errstr)) !=
        BR_DECODE_OK) {
        fail_msg("%s", errstr);
    }
    row = change.after;
    expect_text(row, "id", BR_FIELD_DECIMAL, "18446744073709551615");
    expect_int(row, "approved", 1);
    expect_timed(row, "day", BR_FIELD_DATE, -DAY_US);             /* 1969-12-31 */
    expect_timed(row, "cday", BR_FIELD_DATE, -719162 * DAY_US);   /* 0001-01-01 */
    expect_timed(row, "t_ms", BR_FIELD_CLOCK, INT64_C(37230123000));
    expect_timed(row, "ct_ms", BR_FIELD_CLOCK, 0);
    expect_timed(row, "t_us", BR_FIELD_CLOCK, INT64_C(-3600000000)); /* TIME '-01:00:00' */
    expect_timed(row, "a_us", BR_FIELD_CLOCK, INT64_C(86399999999));
    expect_timed(row, "t_ns", BR_FIELD_CLOCK, -1);                   /* -1 ns floors to -1 µs */
    expect_text(row, "zt", BR_FIELD_VALUE, "10:15:30.123456Z");     /* ZonedTime: its text */
    expect_int(row, "year", 2155);                                  /* Year: the year */
    expect_timed(row, "cts", BR_FIELD_TIME, -1000);                 /* Connect Timestamp, ms */
    expect_text(row, "dec", BR_FIELD_DECIMAL, "-123.45");
    expect_text(row, "fdec", BR_FIELD_DECIMAL, "12.345");
    expect_text(row, "vdec", BR_FIELD_DECIMAL, "-1.2345");
    expect_text(row, "js", BR_FIELD_VALUE, "{\"a\": [1, 2]}");    /* JSON: text until cast */
    expect_text(row, "raw", BR_FIELD_VALUE, "AAH/");                /* bytes: base64 */
    expect_int(row, "wrong", 5); /* a logicalType on the wrong type is ignored */
    br_change_finish(&change);

    /* nulls and MySQL's TIME extremes */
    msg_finish(&msg);
    msg_init(&msg, dbz_schema);
    fill_dbz(&msg, 0, INT64_C(3020399000000));
    set_null(&msg.row, "day");
    set_null(&msg.row, "dec");
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_OK);
    assert_true(json_is_null(find(change.after, "day", BR_FIELD_VALUE)->value));
    assert_true(json_is_null(find(change.after, "dec", BR_FIELD_VALUE)->value));
    expect_timed(change.after, "t_us", BR_FIELD_CLOCK, INT64_C(3020399000000));
    br_change_finish(&change);
    msg_finish(&msg);
    br_decoder_destroy(decoder);
}

static void test_decode_errors(void **state)
{
    static const char date_schema[] = ENVELOPE(
        "{\"name\":\"d\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}}");
    static const char bad_scale[] = ENVELOPE(
        "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
        "\"scale\":\"2\"}}");
    static const char negative_scale[] = ENVELOPE(
        "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
        "\"scale\":-1}}");
    static const char decimal_schema[] = ENVELOPE(
        "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"scale\":2}}");
    static const uint8_t big[65] = {0x01};
    struct br_decoder *decoder = br_decoder_create(NULL);
    struct br_change change;
    struct br_conf_topic topic;
    struct msg msg;
    char errstr[256];
    (void)state;

    /* 2^31 - 1 days is past what microseconds since the epoch hold */
    topic = avro_topic(date_schema);
    msg_init(&msg, date_schema);
    set_int(&msg, "d", INT32_MAX);
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "after.d: date out of range"));
    msg_finish(&msg);
    msg_init(&msg, date_schema);
    set_int(&msg, "d", -106751); /* about year 1677: still in range */
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_OK);
    expect_timed(change.after, "d", BR_FIELD_DATE, -106751 * DAY_US);
    br_change_finish(&change);
    msg_finish(&msg);

    topic = avro_topic(decimal_schema);
    msg_init(&msg, decimal_schema);
    set_bytes(&msg, "d", big, sizeof(big));
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "decimal of 65 bytes"));
    msg_finish(&msg);
    msg_init(&msg, decimal_schema);
    set_bytes(&msg, "d", big, 0);
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "decimal without bytes"));
    msg_finish(&msg);

    topic = avro_topic(bad_scale);
    msg_init(&msg, bad_scale);
    set_bytes(&msg, "d", big, 1);
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "scale is not a whole number"));
    msg_finish(&msg);

    topic = avro_topic(negative_scale);
    msg_init(&msg, negative_scale);
    set_bytes(&msg, "d", big, 1);
    msg_write(&msg);
    assert_int_equal(br_decode(decoder, &topic, msg.buf, msg.len, &change, errstr,
                               sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "scale out of range"));
    msg_finish(&msg);
    br_decoder_destroy(decoder);
}

static void test_decimal_text(void **state)
{
    static const struct {
        uint8_t bytes[17];
        size_t len;
        int64_t scale;
        const char *want;
    } cases[] = {
        {{0x00}, 1, 0, "0"},
        {{0x00}, 1, 2, "0.00"},
        {{0xff}, 1, 0, "-1"},
        {{0x80}, 1, 0, "-128"},
        {{0x7f}, 1, 0, "127"},
        {{0x30, 0x39}, 2, 2, "123.45"},
        {{0xcf, 0xc7}, 2, 2, "-123.45"},
        {{0x05}, 1, 2, "0.05"},
        {{0xfb}, 1, 2, "-0.05"},
        {{0x01}, 1, 3, "0.001"},
        {{0x00, 0x00, 0x01}, 3, 0, "1"},
        {{0xff, 0xff, 0xff}, 3, 1, "-0.1"},
        {{0x0a}, 1, 1, "1.0"},
        {{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8, 0, "9223372036854775807"},
        {{0x80, 0, 0, 0, 0, 0, 0, 0}, 8, 0, "-9223372036854775808"},
        {{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9, 0, "18446744073709551615"},
        {{0x01, 0, 0, 0, 0, 0, 0, 0, 0}, 9, 0, "18446744073709551616"},
        /* 10^38 - 1 and its negation: DECIMAL(38) */
        {{0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a, 0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff,
          0xff, 0xff},
         16, 0, "99999999999999999999999999999999999999"},
        {{0xb4, 0xc4, 0xb3, 0x57, 0xa5, 0x79, 0x3b, 0x85, 0xf6, 0x75, 0xdd, 0xc0, 0x00, 0x00,
          0x00, 0x01},
         16, 10, "-9999999999999999999999999999.9999999999"},
    };
    char out[BR_LOGICAL_DECIMAL_TEXT_MAX];
    char errstr[128];
    uint8_t big[BR_LOGICAL_MAX_DECIMAL_BYTES + 1];
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        if (br_logical_decimal_text(cases[i].bytes, cases[i].len, cases[i].scale, out,
                                    sizeof(out), errstr, sizeof(errstr)) != 0) {
            fail_msg("case %zu: %s", i, errstr);
        }
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: %s, want %s", i, out, cases[i].want);
        }
    }
    /* the largest accepted: 64 bytes of 0x7f ff .. ff = 2^511 - 1, 154 digits */
    memset(big, 0xff, sizeof(big));
    big[0] = 0x7f;
    assert_int_equal(br_logical_decimal_text(big, BR_LOGICAL_MAX_DECIMAL_BYTES,
                                             BR_LOGICAL_MAX_SCALE, out, sizeof(out), errstr,
                                             sizeof(errstr)),
                     0);
    assert_int_equal(strlen(out), BR_LOGICAL_MAX_SCALE + 2); /* "0." + 1000 digits */
    assert_int_equal(br_logical_decimal_text(big, BR_LOGICAL_MAX_DECIMAL_BYTES, 0, out,
                                             sizeof(out), errstr, sizeof(errstr)),
                     0);
    assert_int_equal(strlen(out), 154);
    assert_memory_equal(out, "6703903964971298549787012499102923063739682910296196688861780721",
                        64);
    /* refused */
    assert_int_equal(br_logical_decimal_text(big, 0, 0, out, sizeof(out), errstr,
                                             sizeof(errstr)),
                     -1);
    assert_int_equal(br_logical_decimal_text(big, sizeof(big), 0, out, sizeof(out), errstr,
                                             sizeof(errstr)),
                     -1);
    assert_int_equal(br_logical_decimal_text(big, 1, -1, out, sizeof(out), errstr,
                                             sizeof(errstr)),
                     -1);
    assert_int_equal(br_logical_decimal_text(big, 1, BR_LOGICAL_MAX_SCALE + 1, out, sizeof(out),
                                             errstr, sizeof(errstr)),
                     -1);
    assert_int_equal(br_logical_decimal_text(cases[5].bytes, 2, 2, out, 6, errstr,
                                             sizeof(errstr)),
                     -1); /* "123.45" needs 7 bytes */
}

/* Every 1..8-byte value against a 64-bit reference, at several scales. */
static void test_decimal_text_random(void **state)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    char out[BR_LOGICAL_DECIMAL_TEXT_MAX];
    char want[64];
    char errstr[128];
    (void)state;

    for (int n = 0; n < 20000; n++) {
        uint8_t bytes[8];
        size_t len = 1 + (size_t)(n % 8);
        int64_t scale = n % 5;
        int64_t v = 0;
        uint64_t magnitude;
        char digits[32];
        size_t nd;

        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        for (size_t i = 0; i < len; i++) {
            bytes[i] = (uint8_t)(rng >> (8 * i));
        }
        /* sign-extend the big-endian bytes */
        v = (bytes[0] & 0x80) ? -1 : 0;
        for (size_t i = 0; i < len; i++) {
            v = (int64_t)(((uint64_t)v << 8) | bytes[i]);
        }
        magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        snprintf(digits, sizeof(digits), "%0*llu", (int)scale + 1,
                 (unsigned long long)magnitude);
        nd = strlen(digits);
        if (scale > 0) {
            snprintf(want, sizeof(want), "%s%.*s.%s", v < 0 ? "-" : "", (int)(nd - scale),
                     digits, digits + nd - scale);
        } else {
            snprintf(want, sizeof(want), "%s%s", v < 0 ? "-" : "", digits);
        }
        assert_int_equal(br_logical_decimal_text(bytes, len, scale, out, sizeof(out), errstr,
                                                 sizeof(errstr)),
                         0);
        if (strcmp(out, want) != 0) {
            fail_msg("value %lld scale %lld: %s, want %s", (long long)v, (long long)scale, out,
                     want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),      cmocka_unit_test(test_decode_debezium),
        cmocka_unit_test(test_decode_errors), cmocka_unit_test(test_decimal_text),
        cmocka_unit_test(test_decimal_text_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
