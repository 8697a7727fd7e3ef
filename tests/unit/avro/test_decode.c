/*
 * Unit tests of decode.c (with avrocheck.c, avrojson.c, timecols.c). Messages are written with
 * avro-c's writer from the committed schemas (../../../schemas, the tests run in tests/unit/fixtures) or
 * from small schemas below. The registry is replaced by a stub (br_registry_schema below).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <avro.h>
#include <cmocka.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "support/readfile.h"

#define TS_BASE INT64_C(1777629600123456) /* 2026-05-01T10:00:00.123456Z */

/* ---- registry stub: id 7 is records_ranks, 8 does not exist, 9 is unavailable, 10 is not a
 * schema avro-c accepts, 11 is over a limit (schemabounds.h) ---- */

static int stub_calls;
static char *stub_ranks_schema;
static const char stub_bad_schema[] =
    "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"},"
    "{\"name\":\"x\",\"type\":\"nosuchtype\"}]}";
static const char stub_huge_schema[] =
    "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"},"
    "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2000000000}}]}";

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    stub_calls++;
    if (id == 7) {
        *schema_json = stub_ranks_schema;
        return BR_REGISTRY_OK;
    }
    if (id == 8) {
        snprintf(errstr, errstr_size, "not found");
        return BR_REGISTRY_NOT_FOUND;
    }
    if (id == 10 || id == 11) {
        *schema_json = id == 10 ? stub_bad_schema : stub_huge_schema;
        return BR_REGISTRY_OK;
    }
    snprintf(errstr, errstr_size, "connection refused");
    return BR_REGISTRY_UNAVAILABLE;
}

/* ---- helpers ---- */

static char *table_schema(const char *table)
{
    char path[256];

    snprintf(path, sizeof(path), "../../../schemas/%s.avsc", table);
    return br_test_read_file(path, NULL);
}

/* A writable message of schema text. */
struct msg {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t root;
    char buf[65536];
    size_t len;
};

static void msg_init(struct msg *msg, const char *schema_json)
{
    memset(msg, 0, sizeof(*msg));
    if (avro_schema_from_json_length(schema_json, strlen(schema_json), &msg->schema) != 0) {
        fail_msg("schema: %s", avro_strerror());
    }
    msg->iface = avro_generic_class_from_schema(msg->schema);
    assert_non_null(msg->iface);
    assert_int_equal(avro_generic_value_new(msg->iface, &msg->root), 0);
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

static avro_value_t field(avro_value_t *record, const char *name)
{
    avro_value_t child;

    if (avro_value_get_by_name(record, name, &child, NULL) != 0) {
        fail_msg("no field %s", name);
    }
    return child;
}

/* The branch of a ["null", X] union: 0 null, 1 X. */
static avro_value_t branch(avro_value_t *value, int index)
{
    avro_value_t child;

    assert_int_equal(avro_value_set_branch(value, index, &child), 0);
    return child;
}

static void set_string(avro_value_t value, const char *s)
{
    if (avro_value_get_type(&value) == AVRO_UNION) {
        value = branch(&value, 1);
    }
    assert_int_equal(avro_value_set_string(&value, s), 0);
}

static void set_long(avro_value_t value, int64_t v)
{
    if (avro_value_get_type(&value) == AVRO_UNION) {
        value = branch(&value, 1);
    }
    assert_int_equal(avro_value_set_long(&value, v), 0);
}

static void set_null(avro_value_t value)
{
    value = branch(&value, 0);
    avro_value_set_null(&value);
}

static const char *const time_columns[] = {
    "created_at",   "updated_at", "email_verified_at",     "notes_updated_at", "last_seen_at",
    "starts",       "ends",       "registration_deadline", "read_at",          NULL,
};

static int is_time_column(const char *name)
{
    for (size_t i = 0; time_columns[i]; i++) {
        if (strcmp(time_columns[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Fills a row of the committed schemas: column i gets TS_BASE + i (datetimes), 1000 + i
 * (longs), 2 (ints), i % 2 (booleans), "v<i>" (strings), ["pt15m", "mail"] (lists); with
 * nulls, every nullable column is null instead.
 */
static void fill_row(avro_value_t *row, int nulls)
{
    size_t count = 0;

    assert_int_equal(avro_value_get_size(row, &count), 0);
    for (size_t i = 0; i < count; i++) {
        avro_value_t column;
        const char *name = NULL;
        char text[32];

        assert_int_equal(avro_value_get_by_index(row, i, &column, &name), 0);
        if (avro_value_get_type(&column) == AVRO_UNION) {
            if (nulls) {
                set_null(column);
                continue;
            }
            column = branch(&column, 1);
        }
        switch (avro_value_get_type(&column)) {
        case AVRO_INT64:
            avro_value_set_long(&column, is_time_column(name) ? TS_BASE + (int64_t)i
                                                              : 1000 + (int64_t)i);
            break;
        case AVRO_INT32:
            avro_value_set_int(&column, 2);
            break;
        case AVRO_BOOLEAN:
            avro_value_set_boolean(&column, (int)(i % 2));
            break;
        case AVRO_STRING:
            snprintf(text, sizeof(text), "v%zu", i);
            avro_value_set_string(&column, text);
            break;
        case AVRO_ARRAY: {
            avro_value_t item;
            avro_value_append(&column, &item, NULL);
            avro_value_set_string(&item, "pt15m");
            avro_value_append(&column, &item, NULL);
            avro_value_set_string(&item, "mail");
            break;
        }
        default:
            fail_msg("column %s: unexpected type", name);
        }
    }
}

/* Checks a decoded row against fill_row() of the same schema row. */
static void check_row(const struct br_row *row, avro_value_t *written, int nulls)
{
    size_t count = 0;

    assert_non_null(row);
    assert_int_equal(avro_value_get_size(written, &count), 0);
    assert_int_equal(row->count, count);
    for (size_t i = 0; i < count; i++) {
        const struct br_field *f = &row->fields[i];
        avro_value_t column;
        const char *name = NULL;
        char text[32];
        int nullable;

        avro_value_get_by_index(written, i, &column, &name);
        assert_string_equal(f->name, name);
        nullable = avro_value_get_type(&column) == AVRO_UNION;
        if (nullable) {
            avro_value_get_current_branch(&column, &column);
        }
        if (nulls && nullable) {
            assert_int_equal(f->kind, BR_FIELD_VALUE);
            assert_true(json_is_null(f->value));
            continue;
        }
        if (is_time_column(name)) {
            assert_int_equal(f->kind, BR_FIELD_TIME);
            assert_int_equal(f->time_us, TS_BASE + (int64_t)i);
            continue;
        }
        assert_int_equal(f->kind, BR_FIELD_VALUE);
        switch (avro_value_get_type(&column)) {
        case AVRO_INT64:
            assert_true(json_is_integer(f->value));
            assert_int_equal(json_integer_value(f->value), 1000 + (int64_t)i);
            break;
        case AVRO_INT32:
            assert_int_equal(json_integer_value(f->value), 2);
            break;
        case AVRO_BOOLEAN:
            assert_true(json_is_boolean(f->value));
            assert_int_equal(json_is_true(f->value), (int)(i % 2));
            break;
        case AVRO_STRING:
            snprintf(text, sizeof(text), "v%zu", i);
            assert_string_equal(json_string_value(f->value), text);
            break;
        case AVRO_ARRAY:
            assert_int_equal(json_array_size(f->value), 2);
            assert_string_equal(json_string_value(json_array_get(f->value, 0)), "pt15m");
            assert_string_equal(json_string_value(json_array_get(f->value, 1)), "mail");
            break;
        default:
            fail_msg("column %s: unexpected type", name);
        }
    }
}

static void set_source(avro_value_t *root, int64_t ts_ms, int64_t ts_us)
{
    avro_value_t source = field(root, "source");

    set_string(field(&source, "connector"), "mysql");
    set_string(field(&source, "db"), "perscom");
    set_string(field(&source, "table"), "x");
    set_long(field(&source, "ts_ms"), ts_ms);
    if (ts_us < 0) {
        set_null(field(&source, "ts_us"));
    } else {
        set_long(field(&source, "ts_us"), ts_us);
    }
}

/* A message of a committed schema: op, with before/after filled as the op needs. */
static void table_message(struct msg *msg, const char *op, int nulls)
{
    avro_value_t side;

    side = field(&msg->root, "before");
    if (strcmp(op, "u") == 0 || strcmp(op, "d") == 0) {
        avro_value_t row = branch(&side, 1);
        fill_row(&row, nulls);
    } else {
        set_null(side);
    }
    side = field(&msg->root, "after");
    if (strcmp(op, "d") != 0) {
        avro_value_t row = branch(&side, 1);
        fill_row(&row, nulls);
    } else {
        set_null(side);
    }
    set_source(&msg->root, TS_BASE / 1000, TS_BASE);
    set_string(field(&msg->root, "op"), op);
    set_long(field(&msg->root, "ts_ms"), TS_BASE / 1000 + 5);
    set_null(field(&msg->root, "ts_us"));
    msg_write(msg);
}

static struct br_conf_topic avro_topic(char *schema_json)
{
    struct br_conf_topic topic;

    memset(&topic, 0, sizeof(topic));
    topic.name = "t";
    topic.format = BR_FORMAT_AVRO;
    topic.schema_json = schema_json;
    return topic;
}

/* A topic of format avro with a schema's text, and a decoder without a registry. */
struct avro_case {
    char *schema_json; /* owned */
    struct br_conf_topic topic;
    struct br_decoder *decoder;
};

/* schema_json is taken over: avro_case_finish frees it. */
static void avro_case_init(struct avro_case *ac, char *schema_json)
{
    ac->schema_json = schema_json;
    ac->topic = avro_topic(schema_json);
    ac->decoder = br_decoder_create(NULL);
    assert_non_null(ac->decoder);
}

static void avro_case_finish(struct avro_case *ac)
{
    br_decoder_destroy(ac->decoder);
    free(ac->schema_json);
}

static enum br_decode_status decode(struct br_decoder *decoder, struct br_conf_topic *topic,
                                    const void *buf, size_t len, struct br_change *change,
                                    char *errstr)
{
    errstr[0] = '\0';
    return br_decode(decoder, topic, buf, len, change, errstr, 256);
}

/* ---- every table: create, update, delete, snapshot read, all-null columns ---- */

static const char *const tables[] = {
    "records_assignments", "records_awards",  "calendars",   "records_combat", "events",
    "records_qualifications", "records_ranks", "records_service", "submissions", "users",
};

static void test_table(void **state)
{
    const char *table = *state;
    struct avro_case ac;
    static const char *const ops[] = {"c", "u", "d", "r"};
    char errstr[256];

    avro_case_init(&ac, table_schema(table));
    for (int nulls = 0; nulls <= 1; nulls++) {
        for (size_t i = 0; i < 4; i++) {
            struct msg msg;
            struct br_change change;
            enum br_decode_status status;
            avro_value_t side;
            avro_value_t row;

            msg_init(&msg, ac.schema_json);
            table_message(&msg, ops[i], nulls);
            status = decode(ac.decoder, &ac.topic, msg.buf, msg.len, &change, errstr);
            if (status != BR_DECODE_OK) {
                fail_msg("%s op %s: %d %s", table, ops[i], status, errstr);
            }
            assert_int_equal(change.op, ops[i][0]);
            assert_int_equal(change.ts_us, TS_BASE);
            side = field(&msg.root, "before");
            if (ops[i][0] == 'u' || ops[i][0] == 'd') {
                avro_value_get_current_branch(&side, &row);
                check_row(change.before, &row, nulls);
            } else {
                assert_null(change.before);
            }
            side = field(&msg.root, "after");
            if (ops[i][0] != 'd') {
                avro_value_get_current_branch(&side, &row);
                check_row(change.after, &row, nulls);
            } else {
                assert_null(change.after);
            }
            br_change_finish(&change);
            msg_finish(&msg);
        }
    }
    avro_case_finish(&ac);
}

/* users keeps its hidden columns (the renderer drops them) in Laravel's places */
static void test_users_columns(void **state)
{
    struct avro_case ac;
    struct msg msg;
    struct br_change change;
    char errstr[256];
    static const char *const order[] = {
        "id", "name", "email", "email_verified_at", "password", "remember_token",
    };
    (void)state;
    avro_case_init(&ac, table_schema("users"));

    msg_init(&msg, ac.schema_json);
    table_message(&msg, "c", 0);
    assert_int_equal(decode(ac.decoder, &ac.topic, msg.buf, msg.len, &change, errstr),
                     BR_DECODE_OK);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        assert_string_equal(change.after->fields[i].name, order[i]);
    }
    assert_non_null(br_row_find(change.after, "discord_private_channel_id"));
    assert_string_equal(change.after->fields[change.after->count - 1].name, "data");
    br_change_finish(&change);
    msg_finish(&msg);
    avro_case_finish(&ac);
}

/* ---- timestamp conventions ---- */

static const char conv_schema[] =
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"conv\",\"fields\":["
    "{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\","
    "\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},"
    "{\"name\":\"micros\",\"type\":[\"null\",{\"type\":\"long\","
    "\"logicalType\":\"timestamp-micros\"}]},"
    "{\"name\":\"millis\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"dbz_ts\",\"type\":{\"type\":\"long\",\"connect.version\":1,"
    "\"connect.name\":\"io.debezium.time.Timestamp\"}},"
    "{\"name\":\"dbz_micro\",\"type\":[\"null\",{\"type\":\"long\","
    "\"connect.name\":\"io.debezium.time.MicroTimestamp\"}]},"
    "{\"name\":\"dbz_nano\",\"type\":{\"type\":\"long\","
    "\"connect.name\":\"io.debezium.time.NanoTimestamp\"}},"
    "{\"name\":\"zoned\",\"type\":[\"null\",{\"type\":\"string\","
    "\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}]},"
    "{\"name\":\"plain\",\"type\":\"long\"},"
    "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"b\",\"type\":\"bytes\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"red\","
    "\"green\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"Two\",\"size\":2}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"int\"}},"
    "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"Inner\",\"fields\":["
    "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":[\"null\",\"string\"]}]}},"
    "{\"name\":\"again\",\"type\":\"Color\"}"
    "]}],\"default\":null},"
    "{\"name\":\"after\",\"type\":[\"null\",\"Value\"],\"default\":null},"
    "{\"name\":\"source\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Source\","
    "\"fields\":[{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"ts_us\",\"type\":[\"null\",\"long\"]}]}]},"
    "{\"name\":\"op\",\"type\":\"string\"},"
    "{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]},"
    "{\"name\":\"ts_us\",\"type\":[\"null\",\"long\"]}"
    "]}";

/* after = a row of every convention; zoned as given (NULL: null) */
static void conv_message(struct msg *msg, const char *zoned)
{
    avro_value_t side = field(&msg->root, "after");
    avro_value_t row = branch(&side, 1);
    avro_value_t v;
    avro_value_t item;
    static char two[2] = {(char)0xab, 0x01};
    static char bytes[] = "h\xc3\xa9";

    set_null(field(&msg->root, "before"));
    set_long(field(&row, "id"), 1);
    set_long(field(&row, "micros"), TS_BASE);
    set_long(field(&row, "millis"), TS_BASE / 1000);
    set_long(field(&row, "dbz_ts"), -1);                /* 1 ms before the epoch */
    set_long(field(&row, "dbz_micro"), TS_BASE + 1);
    set_long(field(&row, "dbz_nano"), TS_BASE * 1000 + 999);
    if (zoned) {
        set_string(field(&row, "zoned"), zoned);
    } else {
        set_null(field(&row, "zoned"));
    }
    set_long(field(&row, "plain"), 42);
    v = field(&row, "day");
    avro_value_set_int(&v, 20000);
    v = field(&row, "f");
    avro_value_set_float(&v, 1.5f);
    v = field(&row, "d");
    avro_value_set_double(&v, 0.1);
    v = field(&row, "b");
    avro_value_set_bytes(&v, bytes, 3);
    v = field(&row, "e");
    avro_value_set_enum(&v, 1);
    v = field(&row, "fx");
    avro_value_set_fixed(&v, two, 2);
    v = field(&row, "m");
    avro_value_add(&v, "k", &item, NULL, NULL);
    avro_value_set_int(&item, 3);
    v = field(&row, "r");
    item = field(&v, "x");
    avro_value_set_int(&item, 4);
    set_null(field(&v, "y"));
    v = field(&row, "again");
    avro_value_set_enum(&v, 0);
    set_string(field(&msg->root, "op"), "c");
}

static void set_times(struct msg *msg, int64_t src_ms, int64_t src_us, int64_t ms, int64_t us)
{
    avro_value_t source = field(&msg->root, "source");

    if (src_ms < 0 && src_us < 0) {
        set_null(source);
    } else {
        source = branch(&source, 1);
        src_ms < 0 ? set_null(field(&source, "ts_ms")) : set_long(field(&source, "ts_ms"), src_ms);
        src_us < 0 ? set_null(field(&source, "ts_us")) : set_long(field(&source, "ts_us"), src_us);
    }
    ms < 0 ? set_null(field(&msg->root, "ts_ms")) : set_long(field(&msg->root, "ts_ms"), ms);
    us < 0 ? set_null(field(&msg->root, "ts_us")) : set_long(field(&msg->root, "ts_us"), us);
}

static void test_conventions(void **state)
{
    struct br_conf_topic topic = avro_topic((char *)conv_schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    struct msg msg;
    struct br_change change;
    const struct br_row *row;
    char errstr[256];
    char *text;
    (void)state;

    msg_init(&msg, conv_schema);
    conv_message(&msg, "2026-05-01T12:00:00.123456+02:00");
    set_times(&msg, 1, 2, 3, 4);
    msg_write(&msg);
    if (decode(decoder, &topic, msg.buf, msg.len, &change, errstr) != BR_DECODE_OK) {
        fail_msg("%s", errstr);
    }
    row = change.after;
    assert_int_equal(br_row_find(row, "micros")->kind, BR_FIELD_TIME);
    assert_int_equal(br_row_find(row, "micros")->time_us, TS_BASE);
    assert_int_equal(br_row_find(row, "millis")->time_us, TS_BASE / 1000 * 1000);
    assert_int_equal(br_row_find(row, "dbz_ts")->time_us, -1000);
    assert_int_equal(br_row_find(row, "dbz_micro")->time_us, TS_BASE + 1);
    assert_int_equal(br_row_find(row, "dbz_nano")->time_us, TS_BASE);
    assert_int_equal(br_row_find(row, "zoned")->kind, BR_FIELD_TIME);
    assert_int_equal(br_row_find(row, "zoned")->time_us, TS_BASE);
    assert_int_equal(br_row_find(row, "plain")->kind, BR_FIELD_VALUE);
    assert_int_equal(json_integer_value(br_row_find(row, "plain")->value), 42);
    /* a date keeps its logical type (logical.c) */
    assert_int_equal(br_row_find(row, "day")->kind, BR_FIELD_DATE);
    assert_int_equal(br_row_find(row, "day")->time_us, INT64_C(20000) * 86400 * 1000000);
    assert_true(json_real_value(br_row_find(row, "f")->value) == 1.5);
    assert_true(json_real_value(br_row_find(row, "d")->value) == 0.1);
    /* raw bytes never pass as text: base64 */
    assert_string_equal(json_string_value(br_row_find(row, "b")->value), "aMOp");
    assert_string_equal(json_string_value(br_row_find(row, "e")->value), "green");
    assert_string_equal(json_string_value(br_row_find(row, "fx")->value), "ab01");
    assert_string_equal(json_string_value(br_row_find(row, "again")->value), "red");
    text = json_dumps(br_row_find(row, "m")->value, JSON_COMPACT);
    assert_string_equal(text, "{\"k\":3}");
    free(text);
    text = json_dumps(br_row_find(row, "r")->value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"x\":4,\"y\":null}");
    free(text);
    assert_int_equal(change.ts_us, 2); /* source.ts_us wins */
    br_change_finish(&change);
    msg_finish(&msg);
    br_decoder_destroy(decoder);
}

/* Which timestamp wins: source.ts_us, source.ts_ms, ts_us, ts_ms; -1 = null. */
static void test_timestamp_precedence(void **state)
{
    static const struct {
        int64_t src_ms, src_us, ms, us;
        enum br_decode_status status;
        int64_t want;
    } cases[] = {
        {1, 2, 3, 4, BR_DECODE_OK, 2},
        {1, -1, 3, 4, BR_DECODE_OK, 1000},
        {-1, 2, 3, 4, BR_DECODE_OK, 2},
        {-1, -1, 3, 4, BR_DECODE_OK, 4},
        {-1, -1, 3, -1, BR_DECODE_OK, 3000},
        {-1, -1, -1, -1, BR_DECODE_BAD, 0},
        {INT64_MAX / 10, -1, 3, 4, BR_DECODE_BAD, 0},
    };
    struct br_conf_topic topic = avro_topic((char *)conv_schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    char errstr[256];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct msg msg;
        struct br_change change;
        enum br_decode_status status;

        msg_init(&msg, conv_schema);
        conv_message(&msg, NULL);
        set_times(&msg, cases[i].src_ms, cases[i].src_us, cases[i].ms, cases[i].us);
        msg_write(&msg);
        status = decode(decoder, &topic, msg.buf, msg.len, &change, errstr);
        if (status != cases[i].status) {
            fail_msg("case %zu: status %d, want %d (%s)", i, status, cases[i].status, errstr);
        }
        if (status == BR_DECODE_OK) {
            assert_int_equal(change.ts_us, cases[i].want);
            assert_true(json_is_null(br_row_find(change.after, "zoned")->value));
        } else {
            assert_null(change.after);
        }
        br_change_finish(&change);
        msg_finish(&msg);
    }
    br_decoder_destroy(decoder);
}

static void test_zoned(void **state)
{
    static const struct {
        const char *text;
        int64_t want; /* INT64_MIN: BAD */
    } cases[] = {
        {"2026-05-01T10:00:00.123456Z", TS_BASE},
        {"2026-05-01T10:00:00.123456789Z", TS_BASE},
        {"2026-05-01T10:00:00.1Z", TS_BASE - 23456},
        {"2026-05-01T10:00:00Z", TS_BASE - 123456},
        {"2026-05-01T12:00:00.123456+02:00", TS_BASE},
        {"2026-05-01T05:30:00.123456-04:30", TS_BASE},
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59.5Z", -500000},
        {"2024-02-29T00:00:00Z", INT64_C(1709164800000000)},
        {"2026-05-01T10:00:00", INT64_MIN},
        {"2026-05-01T10:00:00.Z", INT64_MIN},
        {"2026-05-01T10:00:00.1234567890Z", INT64_MIN},
        {"2026-13-01T10:00:00Z", INT64_MIN},
        {"2026-05-01 10:00:00Z", INT64_MIN},
        {"2026-05-01T10:00:00+0200", INT64_MIN},
        {"2026-05-01T10:00:00Zjunk", INT64_MIN},
        {"", INT64_MIN},
    };
    struct br_conf_topic topic = avro_topic((char *)conv_schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    char errstr[256];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct msg msg;
        struct br_change change;
        enum br_decode_status status;

        msg_init(&msg, conv_schema);
        conv_message(&msg, cases[i].text);
        set_times(&msg, 1, -1, -1, -1);
        msg_write(&msg);
        status = decode(decoder, &topic, msg.buf, msg.len, &change, errstr);
        if (cases[i].want == INT64_MIN) {
            if (status != BR_DECODE_BAD) {
                fail_msg("\"%s\": status %d, want BAD", cases[i].text, status);
            }
            assert_non_null(strstr(errstr, "after.zoned"));
        } else {
            if (status != BR_DECODE_OK) {
                fail_msg("\"%s\": status %d (%s)", cases[i].text, status, errstr);
            }
            assert_int_equal(br_row_find(change.after, "zoned")->time_us, cases[i].want);
        }
        br_change_finish(&change);
        msg_finish(&msg);
    }
    br_decoder_destroy(decoder);
}

/* ---- strings ---- */

/* A records_ranks create whose text column holds bytes[0..len). */
static void ranks_text_message(struct msg *msg, const char *bytes, size_t len)
{
    avro_value_t side;
    avro_value_t row;
    avro_value_t text;

    table_message(msg, "c", 0);
    side = field(&msg->root, "after");
    avro_value_get_current_branch(&side, &row);
    text = field(&row, "text");
    text = branch(&text, 1);
    /* avro-c's string length counts a NUL terminator */
    assert_int_equal(avro_value_set_string_len(&text, bytes, len + 1), 0);
    msg_write(msg);
}

static void test_strings(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        int ok;
    } cases[] = {
        {"a\0b", 4, 1},
        {"", 1, 1},
        {"\xf0\x9f\x8e\x96 medal", 11, 1},
        {"\xff", 2, 0},
        {"\xc0\x80", 3, 0},       /* overlong NUL */
        {"\xed\xa0\x80", 4, 0},   /* surrogate */
        {"\xe2\x82", 3, 0},       /* cut short */
        {"\xf4\x90\x80\x80", 5, 0}, /* above U+10FFFF */
    };
    struct avro_case ac;
    char errstr[256];
    (void)state;
    avro_case_init(&ac, table_schema("records_ranks"));

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct msg msg;
        struct br_change change;
        enum br_decode_status status;
        char *copy = malloc(cases[i].len + 1);

        memcpy(copy, cases[i].bytes, cases[i].len);
        copy[cases[i].len] = '\0';
        msg_init(&msg, ac.schema_json);
        ranks_text_message(&msg, copy, cases[i].len - 1);
        status = decode(ac.decoder, &ac.topic, msg.buf, msg.len, &change, errstr);
        if (cases[i].ok) {
            const struct br_field *f;
            if (status != BR_DECODE_OK) {
                fail_msg("case %zu: %s", i, errstr);
            }
            f = br_row_find(change.after, "text");
            assert_int_equal(json_string_length(f->value), cases[i].len - 1);
            assert_memory_equal(json_string_value(f->value), cases[i].bytes, cases[i].len - 1);
        } else {
            if (status != BR_DECODE_BAD) {
                fail_msg("case %zu: status %d, want BAD", i, status);
            }
            assert_non_null(strstr(errstr, "after.text"));
            assert_non_null(strstr(errstr, "UTF-8"));
        }
        br_change_finish(&change);
        msg_finish(&msg);
        free(copy);
    }
    avro_case_finish(&ac);
}

/* ---- framing, ops, corrupt data ---- */

static void expect_status(struct br_decoder *decoder, struct br_conf_topic *topic,
                          const void *buf, size_t len, enum br_decode_status want,
                          const char *reason)
{
    struct br_change change;
    char errstr[256];
    enum br_decode_status status = decode(decoder, topic, buf, len, &change, errstr);

    if (status != want) {
        fail_msg("status %d, want %d (%s)", status, want, errstr);
    }
    if (reason && !strstr(errstr, reason)) {
        fail_msg("reason \"%s\" lacks \"%s\"", errstr, reason);
    }
    if (status != BR_DECODE_OK) {
        assert_null(change.before);
        assert_null(change.after);
    }
    br_change_finish(&change);
}

static void test_ops(void **state)
{
    static const struct {
        const char *op;
        enum br_decode_status status;
        const char *reason;
    } cases[] = {
        {"c", BR_DECODE_OK, NULL},        {"r", BR_DECODE_OK, NULL},
        {"t", BR_DECODE_SKIP, NULL},      {"x", BR_DECODE_BAD, "unknown op"},
        {"", BR_DECODE_BAD, "unknown op"}, {"cc", BR_DECODE_BAD, "unknown op"},
    };
    struct avro_case ac;
    (void)state;
    avro_case_init(&ac, table_schema("records_service"));

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct msg msg;

        msg_init(&msg, ac.schema_json);
        table_message(&msg, "c", 0);
        set_string(field(&msg.root, "op"), cases[i].op);
        msg_write(&msg);
        expect_status(ac.decoder, &ac.topic, msg.buf, msg.len, cases[i].status, cases[i].reason);
        msg_finish(&msg);
    }
    /* a delete needs before, a create after */
    {
        struct msg msg;

        msg_init(&msg, ac.schema_json);
        table_message(&msg, "c", 0);
        set_string(field(&msg.root, "op"), "d");
        msg_write(&msg);
        expect_status(ac.decoder, &ac.topic, msg.buf, msg.len, BR_DECODE_BAD, "without before");
        msg_finish(&msg);
    }
    expect_status(ac.decoder, &ac.topic, "", 0, BR_DECODE_SKIP, NULL); /* tombstone */
    ac.topic.format = BR_FORMAT_CONFLUENT;
    expect_status(ac.decoder, &ac.topic, "", 0, BR_DECODE_SKIP, NULL);
    avro_case_finish(&ac);
}

static void test_corrupt(void **state)
{
    struct avro_case ac;
    struct msg msg;
    char *copy;
    (void)state;
    avro_case_init(&ac, table_schema("users"));

    msg_init(&msg, ac.schema_json);
    table_message(&msg, "u", 0);
    expect_status(ac.decoder, &ac.topic, msg.buf, msg.len, BR_DECODE_OK, NULL);
    /* every truncation */
    for (size_t len = 1; len < msg.len; len++) {
        expect_status(ac.decoder, &ac.topic, msg.buf, len, BR_DECODE_BAD, "corrupt Avro");
    }
    /* trailing garbage */
    copy = malloc(msg.len + 3);
    memcpy(copy, msg.buf, msg.len);
    memcpy(copy + msg.len, "\x00\x01\x02", 3);
    expect_status(ac.decoder, &ac.topic, copy, msg.len + 1, BR_DECODE_BAD, "1 trailing bytes");
    expect_status(ac.decoder, &ac.topic, copy, msg.len + 3, BR_DECODE_BAD, "3 trailing bytes");
    /* every single-byte corruption: any status, never a crash or a leak (run under ASan) */
    for (size_t i = 0; i < msg.len; i++) {
        static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
        for (size_t k = 0; k < sizeof(values); k++) {
            struct br_change change;
            char errstr[256];

            memcpy(copy, msg.buf, msg.len);
            copy[i] = (char)values[k];
            decode(ac.decoder, &ac.topic, copy, msg.len, &change, errstr);
            br_change_finish(&change);
        }
    }
    free(copy);
    msg_finish(&msg);
    avro_case_finish(&ac);
}

/* Hand-made bytes that make avro-c 1.11.1 misbehave if it is handed them unchecked. */
static void test_hostile(void **state)
{
    static const char op_schema[] =
        "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"n\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
        "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"a\"]}},"
        "{\"name\":\"u\",\"type\":[\"null\",\"long\"]},"
        "{\"name\":\"i\",\"type\":\"int\"}]}";
    static const struct {
        const char *bytes;
        size_t len;
        const char *reason;
    } cases[] = {
        {"\x01", 1, "string length"},                            /* length -1 */
        {"\x03", 1, "string length"},                            /* length -2 */
        {"\xfe\xff\xff\xff\x0f", 5, "string length"},            /* 2 GiB */
        {"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, "string length"},
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "string length"}, /* 11-byte varint */
        {"\x02" "c" "\xfe\xff\xff\xff\x0f", 7, "too many array items"},
        {"\x02" "c" "\x01\x00", 4, "array block"},               /* count -1, then no size */
        {"\x02" "c" "\x00\x02\x00\x00", 6, "enum index"},               /* enum index 1 of 1 */
        {"\x02" "c" "\x00\x00\x04\x00", 6, "union index"},              /* branch 2 of 2 */
        {"\x02" "c" "\x00\x00\x00\xfe\xff\xff\xff\x1f", 10, "int out of range"}, /* 2^32 */
    };
    struct br_conf_topic topic = avro_topic((char *)op_schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_status(decoder, &topic, cases[i].bytes, cases[i].len, BR_DECODE_BAD,
                      cases[i].reason);
    }
    /* well-formed, but not an envelope of ours: no before/after, no timestamp */
    expect_status(decoder, &topic, "\x02" "c" "\x00\x00\x00\x00", 6, BR_DECODE_BAD,
                  "no timestamp");
    br_decoder_destroy(decoder);
}

static void test_not_envelope(void **state)
{
    static const char schema[] =
        "{\"type\":\"record\",\"name\":\"Row\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";
    struct br_conf_topic topic = avro_topic((char *)schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    (void)state;

    expect_status(decoder, &topic, "\x02", 1, BR_DECODE_BAD, "no op field");
    topic.schema_json = "\"long\"";
    expect_status(decoder, &topic, "\x02", 1, BR_DECODE_BAD, "not a record");
    topic.schema_json = "{\"type\":\"record\"";
    expect_status(decoder, &topic, "\x02", 1, BR_DECODE_BAD, "topic schema");
    br_decoder_destroy(decoder);
}

static void test_confluent(void **state)
{
    struct br_conf_topic topic = avro_topic(NULL);
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    struct br_decoder *no_registry = br_decoder_create(NULL);
    struct msg msg;
    char *framed;
    (void)state;

    topic.format = BR_FORMAT_CONFLUENT;
    stub_ranks_schema = table_schema("records_ranks");
    stub_calls = 0;
    msg_init(&msg, stub_ranks_schema);
    table_message(&msg, "u", 0);
    framed = malloc(msg.len + 5);
    memcpy(framed, "\x00\x00\x00\x00\x07", 5);
    memcpy(framed + 5, msg.buf, msg.len);

    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_OK, NULL);
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_OK, NULL);
    assert_int_equal(stub_calls, 1); /* the parsed schema is cached */
    expect_status(no_registry, &topic, framed, msg.len + 5, BR_DECODE_BAD, "registry");

    framed[0] = 1;
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_BAD, "magic byte 1");
    framed[0] = 0;
    expect_status(decoder, &topic, framed, 4, BR_DECODE_BAD, "too short");
    expect_status(decoder, &topic, framed, 5, BR_DECODE_BAD, "corrupt Avro");
    framed[4] = 8;
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_BAD, "unknown schema id 8");
    framed[4] = 9;
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_RETRY, "connection refused");
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_RETRY, NULL);
    assert_int_equal(stub_calls, 4); /* failures are not cached */
    framed[1] = (char)0x80;
    framed[4] = 7;
    expect_status(decoder, &topic, framed, msg.len + 5, BR_DECODE_RETRY, "-2147483641");

    free(framed);
    msg_finish(&msg);
    free(stub_ranks_schema);
    br_decoder_destroy(decoder);
    br_decoder_destroy(no_registry);
}

/* ---- schemas that cannot be used (issue 13) ---- */

/*
 * Decodes "\x02c" with topic schema text in a child process; the child's peak RSS in KiB.
 * A schema avro-c would build in gigabytes, or recurse on until the stack overflows, must be
 * refused before it is built: the child then exits with the status, and stays small.
 */
static long decode_in_child(const char *text, const char *reason)
{
    struct rusage usage;
    int wstatus = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct br_conf_topic topic = avro_topic((char *)text);
        struct br_decoder *decoder = br_decoder_create(NULL);
        struct br_change change;
        char errstr[256];
        enum br_decode_status status = decode(decoder, &topic, "\x02" "c", 2, &change, errstr);

        br_decoder_destroy(decoder);
        _exit(status == BR_DECODE_BAD && strstr(errstr, reason) ? 0 : 1);
    }
    assert_int_equal(wait4(pid, &wstatus, 0, &usage), pid);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fail_msg("decoding with the schema %s (signal %d, status %d), want BAD \"%s\"",
                 WIFSIGNALED(wstatus) ? "crashed" : "was not refused",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0,
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, reason);
    }
    return usage.ru_maxrss;
}

static void test_schema_limits(void **state)
{
    static const char self[] =
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"again\",\"type\":\"R\"}]}";
    long rss;
    (void)state;

    /* avro-c 1.11.1 allocated 1.97 GB for it when creating the schema's value */
    rss = decode_in_child(stub_huge_schema, "topic schema: schema over a limit: fixed F: "
                                            "2000000000 bytes (at most 65536)");
    if (rss > 200 * 1024) {
        fail_msg("the refused schema peaked at %ld KiB", rss);
    }
    /* avro-c recursed until the stack overflowed (SIGSEGV) */
    decode_in_child(self, "record R contains itself");
}

/* A schema that cannot be used is refused at once the next time, without parsing it again. */
static void test_failures_cached(void **state)
{
    struct br_conf_topic topic = avro_topic(NULL);
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    avro_schema_t other = NULL;
    static const char framed_bad[] = "\x00\x00\x00\x00\x0a\x02" "c";
    static const char framed_huge[] = "\x00\x00\x00\x00\x0b\x02" "c";
    (void)state;

    topic.format = BR_FORMAT_CONFLUENT;
    stub_calls = 0;
    expect_status(decoder, &topic, framed_bad, 7, BR_DECODE_BAD,
                  "schema id 10: bad schema: Unknown Avro \"type\": nosuchtype");
    expect_status(decoder, &topic, framed_huge, 7, BR_DECODE_BAD,
                  "schema id 11: schema over a limit: fixed F: 2000000000 bytes");
    assert_int_equal(stub_calls, 2);
    /* avro-c's last error is now another one: parsing id 10 again would replace it */
    assert_int_not_equal(avro_schema_from_json_length("{\"type\":\"wrong\"}", 16, &other), 0);
    for (int i = 0; i < 3; i++) {
        expect_status(decoder, &topic, framed_bad, 7, BR_DECODE_BAD,
                      "schema id 10: bad schema: Unknown Avro \"type\": nosuchtype");
        expect_status(decoder, &topic, framed_huge, 7, BR_DECODE_BAD,
                      "schema id 11: schema over a limit: fixed F");
    }
    assert_int_equal(stub_calls, 2); /* the registry was not asked again */
    assert_non_null(strstr(avro_strerror(), "wrong"));

    /* a topic's schema file the same way */
    topic = avro_topic((char *)stub_bad_schema);
    expect_status(decoder, &topic, "\x02" "c", 2, BR_DECODE_BAD,
                  "topic schema: bad schema: Unknown Avro \"type\": nosuchtype");
    assert_int_not_equal(avro_schema_from_json_length("{\"type\":\"wrong\"}", 16, &other), 0);
    expect_status(decoder, &topic, "\x02" "c", 2, BR_DECODE_BAD,
                  "topic schema: bad schema: Unknown Avro \"type\": nosuchtype");
    assert_non_null(strstr(avro_strerror(), "wrong"));
    br_decoder_destroy(decoder);
}

/* limits.max_elements: a message of more Avro values is refused before avro-c reads it. */
static void test_max_elements(void **state)
{
    static const char schema[] =
        "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"},"
        "{\"name\":\"ts_ms\",\"type\":\"long\"},"
        "{\"name\":\"after\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"V\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\"},"
        "{\"name\":\"flags\",\"type\":{\"type\":\"array\",\"items\":\"boolean\"}}]}]}]}";
    /* op c, ts_ms 1, after: V {id 1, flags [true, false, true]}: 10 values */
    static const char value[] = "\x02" "c" "\x02" "\x02" "\x02" "\x06\x01\x00\x01\x00";
    struct br_conf_topic topic = avro_topic((char *)schema);
    struct br_decoder *decoder = br_decoder_create(NULL);
    (void)state;

    expect_status(decoder, &topic, value, sizeof(value) - 1, BR_DECODE_OK, NULL);
    br_decoder_set_max_elements(decoder, 10);
    expect_status(decoder, &topic, value, sizeof(value) - 1, BR_DECODE_OK, NULL);
    br_decoder_set_max_elements(decoder, 9);
    expect_status(decoder, &topic, value, sizeof(value) - 1, BR_DECODE_BAD,
                  "message over a limit: more than 9 values (limits.max_elements)");
    br_decoder_set_max_elements(decoder, 0); /* the default again */
    expect_status(decoder, &topic, value, sizeof(value) - 1, BR_DECODE_OK, NULL);
    br_decoder_destroy(decoder);
}

/* ---- fixtures written by fastavro (decode/make_fixtures.py) ---- */

static void expect_time(const struct br_row *row, const char *name, int64_t us)
{
    const struct br_field *f = br_row_find(row, name);

    assert_non_null(f);
    assert_int_equal(f->kind, BR_FIELD_TIME);
    assert_int_equal(f->time_us, us);
}

static void expect_int(const struct br_row *row, const char *name, int64_t want)
{
    const struct br_field *f = br_row_find(row, name);

    assert_non_null(f);
    assert_int_equal(f->kind, BR_FIELD_VALUE);
    assert_true(json_is_integer(f->value));
    assert_int_equal(json_integer_value(f->value), want);
}

static void expect_null(const struct br_row *row, const char *name)
{
    const struct br_field *f = br_row_find(row, name);

    assert_non_null(f);
    assert_int_equal(f->kind, BR_FIELD_VALUE);
    assert_true(json_is_null(f->value));
}

static void test_fastavro_ranks(void **state)
{
    static const char text[] = "Promoted \xc3\xa9\xe2\x98\x83\xf0\x9f\x8e\x96 a\0b </p>";
    struct avro_case ac;
    struct br_change change;
    const struct br_field *f;
    char errstr[256];
    size_t len;
    char *data = br_test_read_file("decode/ranks_update.bin", &len);
    (void)state;
    avro_case_init(&ac, table_schema("records_ranks"));

    if (decode(ac.decoder, &ac.topic, data, len, &change, errstr) != BR_DECODE_OK) {
        fail_msg("%s", errstr);
    }
    assert_int_equal(change.op, BR_OP_UPDATE);
    assert_int_equal(change.ts_us, INT64_C(1777629600123000)); /* source.ts_ms */
    assert_int_equal(change.after->count, 10);
    expect_int(change.after, "id", 12);
    expect_int(change.after, "user_id", 3);
    expect_int(change.after, "rank_id", 5);
    expect_null(change.after, "document_id");
    expect_int(change.after, "author_id", 1);
    f = br_row_find(change.after, "text");
    assert_int_equal(json_string_length(f->value), sizeof(text) - 1);
    assert_memory_equal(json_string_value(f->value), text, sizeof(text) - 1);
    expect_int(change.after, "type", 0);
    expect_time(change.after, "created_at", INT64_C(1735732800000000));
    expect_time(change.after, "updated_at", TS_BASE);
    assert_string_equal(json_string_value(br_row_find(change.after, "data")->value),
                        "{\"reason\":\"merit\"}");
    expect_null(change.before, "text");
    expect_int(change.before, "type", 1);
    expect_null(change.before, "updated_at");
    expect_time(change.before, "created_at", INT64_C(1735732800000000));
    br_change_finish(&change);
    free(data);
    avro_case_finish(&ac);
}

static void test_fastavro_debezium(void **state)
{
    struct avro_case ac;
    struct br_change change;
    char errstr[256];
    size_t len;
    char *data = br_test_read_file("decode/debezium_users.bin", &len);
    static const char *const order[] = {
        "id",           "name",       "email",      "email_verified_at", "password",
        "approved",     "last_seen_at", "created_at", "updated_at",      "data",
    };
    (void)state;
    avro_case_init(&ac, br_test_read_file("decode/debezium_users.avsc", NULL));

    if (decode(ac.decoder, &ac.topic, data, len, &change, errstr) != BR_DECODE_OK) {
        fail_msg("%s", errstr);
    }
    assert_int_equal(change.op, BR_OP_CREATE);
    assert_int_equal(change.ts_us, INT64_C(1777629600000000));
    assert_null(change.before);
    assert_int_equal(change.after->count, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(change.after->fields[i].name, order[i]);
    }
    expect_int(change.after, "id", 3);
    assert_string_equal(json_string_value(br_row_find(change.after, "email")->value),
                        "jane@example.com");
    expect_time(change.after, "email_verified_at", INT64_C(1735732800000000));
    assert_string_equal(json_string_value(br_row_find(change.after, "password")->value),
                        "$2y$10$hash");
    assert_true(json_is_true(br_row_find(change.after, "approved")->value));
    expect_time(change.after, "last_seen_at", TS_BASE);
    expect_time(change.after, "created_at", TS_BASE);
    expect_time(change.after, "updated_at", TS_BASE);
    expect_null(change.after, "data");
    br_change_finish(&change);
    free(data);
    avro_case_finish(&ac);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(tables) / sizeof(tables[0]) + 15];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        struct CMUnitTest test = cmocka_unit_test_prestate(test_table, (void *)tables[i]);
        test.name = tables[i];
        tests[n++] = test;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_users_columns);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_conventions);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_timestamp_precedence);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_zoned);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_strings);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ops);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_corrupt);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hostile);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_not_envelope);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_confluent);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_schema_limits);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_failures_cached);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_max_elements);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fastavro_ranks);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fastavro_debezium);
    return _cmocka_run_group_tests("decode", tests, n, NULL, NULL);
}
