/*
 * Unit tests of hookrow.c and rowkey.c: webhooks-topic messages (written with avro-c from
 * schemas/webhooks.avsc and schemas/webhooks_key.avsc, or from a Debezium long-id variant served
 * by a stub registry) decoded into upserts, deletes, clears and refusals.
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
#include <jansson.h>

#include "avro/decode.h"
#include "avro/hookrow.h"
#include "avro/registry.h"
#include "avro/rowkey.h"
#include "config/conf.h"
#include "support/readfile.h"

#define TS_MS INT64_C(1777629600123)

/* ---- registry stub: 21 the envelope with long ids (Debezium's default), 22 its key {id:
 * long}, 23 unavailable, 24 not found ---- */

static const char long_key_schema[] =
    "{\"type\":\"record\",\"name\":\"Key\",\"namespace\":\"perscom.webhooks\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}";
static char *long_value_schema;

/* Schemas Debezium registered (tests/unit/fixtures/hookrow/<mode>-schemas.json), when set. */
static struct {
    int32_t id;
    const char *text;
} recorded[2];

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    for (size_t i = 0; i < 2; i++) {
        if (recorded[i].text && recorded[i].id == id) {
            *schema_json = recorded[i].text;
            return BR_REGISTRY_OK;
        }
    }
    if (id == 21) {
        *schema_json = long_value_schema;
        return BR_REGISTRY_OK;
    }
    if (id == 22) {
        *schema_json = long_key_schema;
        return BR_REGISTRY_OK;
    }
    if (id == 24) {
        snprintf(errstr, errstr_size, "not found");
        return BR_REGISTRY_NOT_FOUND;
    }
    snprintf(errstr, errstr_size, "connection refused");
    return BR_REGISTRY_UNAVAILABLE;
}

/* ---- helpers ---- */

static char *webhooks_schema;
static char *key_schema_file;
static struct br_conf conf;
static struct br_decoder *decoder;
static struct br_hookrows *rows;
static int registry_dummy;

/* A copy of text with from replaced by to (the caller frees it). */
static char *replaced(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out;

    assert_non_null(at);
    out = malloc(strlen(text) + strlen(to) + 1);
    assert_non_null(out);
    memcpy(out, text, (size_t)(at - text));
    strcpy(out + (at - text), to);
    strcat(out, at + strlen(from));
    return out;
}

static int setup(void **state)
{
    (void)state;
    webhooks_schema = br_test_read_file("../../../schemas/webhooks.avsc", NULL);
    key_schema_file = br_test_read_file("../../../schemas/webhooks_key.avsc", NULL);
    /* the same envelope with Debezium's default long id */
    long_value_schema = replaced(webhooks_schema,
            "{\"type\": \"bytes\", \"scale\": 0, \"precision\": 20, \"logicalType\": "
            "\"decimal\", \"connect.version\": 1, \"connect.parameters\": {\"scale\": \"0\", "
            "\"connect.decimal.precision\": \"20\"}, \"connect.name\": "
            "\"org.apache.kafka.connect.data.Decimal\"}",
            "\"long\"");
    memset(&conf, 0, sizeof(conf));
    conf.backoff_initial_ms = 500;
    conf.backoff_max_ms = 60000;
    conf.retry_after_max_ms = 300000;
    conf.table_hooks.enabled = true;
    conf.table_hooks.topic.format = BR_FORMAT_AVRO;
    conf.table_hooks.topic.schema_json = webhooks_schema;
    decoder = br_decoder_create((struct br_registry *)(void *)&registry_dummy);
    rows = br_hookrows_create(decoder, (struct br_registry *)(void *)&registry_dummy);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    br_hookrows_destroy(rows);
    br_decoder_destroy(decoder);
    free(webhooks_schema);
    free(key_schema_file);
    free(long_value_schema);
    return 0;
}

/* One message written with avro-c. */
struct msg {
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t root;
    char buf[8192];
    size_t len;
};

static void msg_init(struct msg *msg, const char *schema_json, int32_t framing_id)
{
    memset(msg, 0, sizeof(*msg));
    if (avro_schema_from_json_length(schema_json, strlen(schema_json), &msg->schema) != 0) {
        fail_msg("schema: %s", avro_strerror());
    }
    msg->iface = avro_generic_class_from_schema(msg->schema);
    assert_non_null(msg->iface);
    assert_int_equal(avro_generic_value_new(msg->iface, &msg->root), 0);
    if (framing_id > 0) {
        msg->buf[0] = 0;
        msg->buf[1] = (char)((framing_id >> 24) & 0xff);
        msg->buf[2] = (char)((framing_id >> 16) & 0xff);
        msg->buf[3] = (char)((framing_id >> 8) & 0xff);
        msg->buf[4] = (char)(framing_id & 0xff);
        msg->len = 5;
    }
}

static void msg_write(struct msg *msg)
{
    avro_writer_t writer = avro_writer_memory(msg->buf + msg->len, sizeof(msg->buf) - msg->len);

    if (avro_value_write(writer, &msg->root) != 0) {
        fail_msg("write: %s", avro_strerror());
    }
    msg->len += (size_t)avro_writer_tell(writer);
    avro_writer_free(writer);
}

static void msg_finish(struct msg *msg)
{
    avro_value_decref(&msg->root);
    avro_value_iface_decref(msg->iface);
    avro_schema_decref(msg->schema);
}

static avro_value_t field(avro_value_t *record, const char *name)
{
    avro_value_t child;

    if (avro_value_get_by_name(record, name, &child, NULL) != 0) {
        fail_msg("no field %s", name);
    }
    return child;
}

static avro_value_t branch(avro_value_t value, int index)
{
    avro_value_t child;

    assert_int_equal(avro_value_set_branch(&value, index, &child), 0);
    return child;
}

/* The id as the schema wants it: a long, or big-endian two's complement bytes. */
static void set_id(avro_value_t value, uint64_t id)
{
    if (avro_value_get_type(&value) == AVRO_INT64) {
        assert_int_equal(avro_value_set_long(&value, (int64_t)id), 0);
        return;
    }
    unsigned char bytes[9];
    size_t n = 0;
    unsigned char be[9];

    do {
        bytes[n++] = (unsigned char)(id & 0xff);
        id >>= 8;
    } while (id != 0);
    if (bytes[n - 1] & 0x80) {
        bytes[n++] = 0; /* positive */
    }
    for (size_t i = 0; i < n; i++) {
        be[i] = bytes[n - 1 - i];
    }
    assert_int_equal(avro_value_set_bytes(&value, be, n), 0);
}

struct row_spec {
    uint64_t id;
    const char *url;
    const char *method;
    const char *events;
    const char *secret;
};

static const struct row_spec good = {42, "https://hooks.example/in?token=a%20b&x=1", "post",
                                     "[\"user.created\", \"rankrecord.deleted\"]", "s3cret"};

static void fill_row(avro_value_t *row, const struct row_spec *spec)
{
    avro_value_t v;

    set_id(field(row, "id"), spec->id);
    v = field(row, "url");
    avro_value_set_string(&v, spec->url);
    v = branch(field(row, "description"), 1);
    avro_value_set_string(&v, "a tenant's hook");
    v = field(row, "method");
    avro_value_set_string(&v, spec->method);
    v = field(row, "events");
    avro_value_set_string(&v, spec->events);
    v = field(row, "secret");
    if (avro_value_get_type(&v) == AVRO_UNION) {
        v = branch(v, 1);
    }
    avro_value_set_string(&v, spec->secret);
    v = branch(field(row, "created_at"), 1);
    avro_value_set_string(&v, "2026-05-01T10:00:00Z");
    v = branch(field(row, "updated_at"), 0);
    avro_value_set_null(&v);
}

/* An envelope of op with before/after rows (NULL: null), written into msg. */
static void envelope(struct msg *msg, const char *schema_json, int32_t framing_id, char op,
                     const struct row_spec *before, const struct row_spec *after)
{
    avro_value_t v;
    avro_value_t source;
    char op_text[2] = {op, '\0'};

    msg_init(msg, schema_json, framing_id);
    v = field(&msg->root, "before");
    if (before) {
        avro_value_t row = branch(v, 1);
        fill_row(&row, before);
    } else {
        v = branch(v, 0);
        avro_value_set_null(&v);
    }
    v = field(&msg->root, "after");
    if (after) {
        avro_value_t row = branch(v, 1);
        fill_row(&row, after);
    } else {
        v = branch(v, 0);
        avro_value_set_null(&v);
    }
    source = field(&msg->root, "source");
    v = field(&source, "connector");
    avro_value_set_string(&v, "mariadb");
    v = field(&source, "db");
    avro_value_set_string(&v, "perscom_t1");
    v = field(&source, "table");
    avro_value_set_string(&v, "webhooks");
    v = field(&source, "ts_ms");
    avro_value_set_long(&v, TS_MS);
    v = branch(field(&source, "ts_us"), 0);
    avro_value_set_null(&v);
    v = field(&msg->root, "op");
    avro_value_set_string(&v, op_text);
    v = branch(field(&msg->root, "ts_ms"), 0);
    avro_value_set_null(&v);
    v = branch(field(&msg->root, "ts_us"), 0);
    avro_value_set_null(&v);
    msg_write(msg);
}

/* A key {id} of schema_json. */
static void key(struct msg *msg, const char *schema_json, int32_t framing_id, uint64_t id)
{
    msg_init(msg, schema_json, framing_id);
    set_id(field(&msg->root, "id"), id);
    msg_write(msg);
}

static enum br_hookrow_kind decode(const char *tenant, const struct msg *k, const struct msg *v,
                                   struct br_hookrow *out)
{
    struct br_hookrow_message message = {
        .key = k ? k->buf : NULL,
        .key_len = k ? k->len : 0,
        .value = v ? v->buf : NULL,
        .value_len = v ? v->len : 0,
    };

    return br_hookrows_decode(rows, &conf, tenant, &message, out);
}

/* ---- tests ---- */

static void test_create_post(void **state)
{
    (void)state;
    struct msg v;
    struct br_hookrow out;

    envelope(&v, webhooks_schema, 0, 'c', NULL, &good);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_UPSERT);
    assert_int_equal(out.kind, BR_HOOKROW_UPSERT);
    assert_string_equal(out.name, "tenant:t1:webhook:42");
    assert_string_equal(out.id, "42");
    assert_int_equal(out.ts_us, TS_MS * 1000);
    assert_string_equal(out.reason, "");
    assert_non_null(out.hook);
    assert_string_equal(out.hook->name, "tenant:t1:webhook:42");
    assert_string_equal(out.hook->url, "https://hooks.example/in?token=a%20b&x=1");
    assert_int_equal(out.hook->method, BR_METHOD_POST);
    assert_string_equal(out.hook->secret, "s3cret");
    assert_int_equal(out.hook->event_count, 2);
    assert_string_equal(out.hook->events[0], "user.created");
    assert_string_equal(out.hook->events[1], "rankrecord.deleted");
    assert_int_equal(out.hook->timeout_ms, 3000);
    assert_int_equal(out.hook->retry.initial_ms, 500);
    /* the caller takes the hook */
    struct br_conf_hook *taken = out.hook;
    out.hook = NULL;
    br_hookrow_finish(&out);
    br_tablehook_free(taken);
    msg_finish(&v);
}

static void test_update_get_and_snapshot(void **state)
{
    (void)state;
    struct msg v;
    struct br_hookrow out;
    struct row_spec after = good;

    after.method = "get";
    after.url = "http://receiver.example:8080/perscom?a=1";
    after.secret = "rotated";
    after.events = "[\"event.updated\"]";
    envelope(&v, webhooks_schema, 0, 'u', &good, &after);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_UPSERT);
    assert_int_equal(out.hook->method, BR_METHOD_GET);
    assert_string_equal(out.hook->url, "http://receiver.example:8080/perscom?a=1");
    assert_string_equal(out.hook->secret, "rotated");
    assert_int_equal(out.hook->event_count, 1);
    assert_string_equal(out.hook->events[0], "event.updated");
    br_hookrow_finish(&out); /* frees the hook that was not taken */
    assert_null(out.hook);
    msg_finish(&v);

    envelope(&v, webhooks_schema, 0, 'r', NULL, &after);
    assert_int_equal(decode("t2", NULL, &v, &out), BR_HOOKROW_UPSERT);
    assert_string_equal(out.name, "tenant:t2:webhook:42");
    br_hookrow_finish(&out);
    msg_finish(&v);
}

static void test_delete_op_d(void **state)
{
    (void)state;
    struct msg v;
    struct br_hookrow out;
    struct row_spec before = good;

    before.id = UINT64_C(18446744073709551615);
    envelope(&v, webhooks_schema, 0, 'd', &before, NULL);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_DELETE);
    assert_string_equal(out.name, "tenant:t1:webhook:18446744073709551615");
    assert_null(out.hook);
    assert_int_equal(out.ts_us, TS_MS * 1000);
    br_hookrow_finish(&out);
    msg_finish(&v);
}

static void test_tombstone(void **state)
{
    (void)state;
    struct msg k;
    struct br_hookrow out;
    struct msg empty = {.len = 0};

    key(&k, key_schema_file, 0, 42);
    assert_int_equal(decode("t1", &k, NULL, &out), BR_HOOKROW_DELETE);
    assert_string_equal(out.name, "tenant:t1:webhook:42");
    assert_string_equal(out.id, "42");
    assert_int_equal(out.ts_us, 0);
    /* an empty value (not NULL) is a tombstone too */
    assert_int_equal(decode("t1", &k, &empty, &out), BR_HOOKROW_DELETE);
    assert_string_equal(out.name, "tenant:t1:webhook:42");
    msg_finish(&k);

    assert_int_equal(decode("t1", NULL, NULL, &out), BR_HOOKROW_REFUSED);
    assert_string_equal(out.reason, "tombstone: no key");
    assert_string_equal(out.name, "");

    /* a key that is not Avro of the key schema */
    struct msg junk = {.len = 3};
    memcpy(junk.buf, "\x08\xff\xff", 3);
    assert_int_equal(decode("t1", &junk, NULL, &out), BR_HOOKROW_REFUSED);
    assert_non_null(strstr(out.reason, "tombstone: corrupt Avro key"));
}

static void test_confluent(void **state)
{
    (void)state;
    struct msg v;
    struct msg k;
    struct br_hookrow out;

    conf.table_hooks.topic.format = BR_FORMAT_CONFLUENT;
    conf.table_hooks.topic.schema_json = NULL;
    envelope(&v, long_value_schema, 21, 'c', NULL, &good);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_UPSERT);
    assert_string_equal(out.name, "tenant:t1:webhook:42");
    br_hookrow_finish(&out);
    msg_finish(&v);

    key(&k, long_key_schema, 22, 9001);
    assert_int_equal(decode("t1", &k, NULL, &out), BR_HOOKROW_DELETE);
    assert_string_equal(out.name, "tenant:t1:webhook:9001");
    msg_finish(&k);

    /* the key's schema id in Apicurio's header, bare Avro */
    key(&k, long_key_schema, 0, 77);
    unsigned char header[8] = {0, 0, 0, 0, 0, 0, 0, 22};
    struct br_value_headers key_headers = {.content_id = header, .content_id_len = 8};
    struct br_hookrow_message message = {.key = k.buf, .key_len = k.len,
                                         .key_headers = &key_headers};
    assert_int_equal(br_hookrows_decode(rows, &conf, "t1", &message, &out), BR_HOOKROW_DELETE);
    assert_string_equal(out.name, "tenant:t1:webhook:77");
    msg_finish(&k);

    /* registry unavailable: value and key retry; unknown ids are refused */
    envelope(&v, long_value_schema, 23, 'c', NULL, &good);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_RETRY);
    assert_string_equal(out.reason, "schema id 23: connection refused");
    msg_finish(&v);
    key(&k, long_key_schema, 23, 5);
    assert_int_equal(decode("t1", &k, NULL, &out), BR_HOOKROW_RETRY);
    assert_string_equal(out.reason, "tombstone: key schema id 23: connection refused");
    msg_finish(&k);
    key(&k, long_key_schema, 24, 5);
    assert_int_equal(decode("t1", &k, NULL, &out), BR_HOOKROW_REFUSED);
    assert_string_equal(out.reason, "tombstone: unknown key schema id 24");
    msg_finish(&k);
    /* an unframed key */
    key(&k, long_key_schema, 0, 5);
    assert_int_equal(decode("t1", &k, NULL, &out), BR_HOOKROW_REFUSED);
    assert_non_null(strstr(out.reason, "tombstone: key: "));
    msg_finish(&k);

    conf.table_hooks.topic.format = BR_FORMAT_AVRO;
    conf.table_hooks.topic.schema_json = webhooks_schema;
}

struct refusal {
    const char *what;
    struct row_spec row;
    const char *reason;
};

static void test_refusals(void **state)
{
    (void)state;
    static const struct refusal cases[] = {
        {"unknown event", {7, "http://h/", "post", "[\"user.created\", \"webhook.fired\"]", "s"},
         "unknown event \"webhook.fired\" in events"},
        {"bad url", {7, "javascript:alert(1)", "post", "[\"user.created\"]", "s"},
         "url must be an http:// or https:// URL with a host"},
        {"bad method", {7, "http://h/", "delete", "[\"user.created\"]", "s"},
         "method \"delete\" is not get or post"},
        {"empty secret", {7, "http://h/", "get", "[\"user.created\"]", ""}, "secret is empty"},
        {"events not JSON", {7, "http://h/", "get", "user.created", "s"},
         "events is not JSON: invalid token near 'user'"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct msg v;
        struct br_hookrow out;

        envelope(&v, webhooks_schema, 0, 'u', &good, &cases[i].row);
        if (decode("t1", NULL, &v, &out) != BR_HOOKROW_REFUSED) {
            fail_msg("%s: not refused", cases[i].what);
        }
        assert_null(out.hook);
        /* the id was read: the caller can drop what the row described before */
        assert_string_equal(out.name, "tenant:t1:webhook:7");
        if (strcmp(out.reason, cases[i].reason) != 0) {
            fail_msg("%s:\n got: %s\nwant: %s", cases[i].what, out.reason, cases[i].reason);
        }
        msg_finish(&v);
    }
}

/* A schema whose secret may be null (another producer): a null secret is missing. */
static void test_null_secret(void **state)
{
    (void)state;
    char *schema;
    struct msg v;
    struct br_hookrow out;
    avro_value_t after;
    avro_value_t s;

    schema = replaced(webhooks_schema, "{\"name\": \"secret\", \"type\": \"string\"}",
            "{\"name\": \"secret\", \"type\": [\"null\",\"string\"]}");
    conf.table_hooks.topic.schema_json = schema;
    envelope(&v, schema, 0, 'c', NULL, &good);
    /* rewrite with a null secret */
    after = branch(field(&v.root, "after"), 1);
    fill_row(&after, &good);
    s = branch(field(&after, "secret"), 0);
    avro_value_set_null(&s);
    v.len = 0;
    msg_write(&v);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_REFUSED);
    assert_string_equal(out.reason, "secret is missing");
    assert_string_equal(out.name, "tenant:t1:webhook:42");
    msg_finish(&v);
    conf.table_hooks.topic.schema_json = webhooks_schema;
    free(schema);
}

static void test_truncate_corrupt_tenant(void **state)
{
    (void)state;
    struct msg v;
    struct br_hookrow out;

    envelope(&v, webhooks_schema, 0, 't', NULL, NULL);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_CLEAR);
    assert_string_equal(out.name, "");
    msg_finish(&v);

    envelope(&v, webhooks_schema, 0, 'c', NULL, &good);
    v.len -= 3;
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_REFUSED);
    assert_non_null(strstr(out.reason, "corrupt Avro"));
    assert_string_equal(out.name, "");
    assert_int_equal(decode("", NULL, &v, &out), BR_HOOKROW_REFUSED);
    assert_string_equal(out.reason, "no tenant");
    msg_finish(&v);

    envelope(&v, webhooks_schema, 0, 'x', NULL, &good);
    assert_int_equal(decode("t1", NULL, &v, &out), BR_HOOKROW_REFUSED);
    assert_string_equal(out.reason, "unknown op \"x\"");
    msg_finish(&v);
}

/* The built-in key schema of format avro is schemas/webhooks_key.avsc. */
static void test_key_schema_file(void **state)
{
    (void)state;
    json_t *file = json_loads(key_schema_file, 0, NULL);
    json_t *builtin = json_loads(BR_ROWKEY_SCHEMA, 0, NULL);

    assert_non_null(file);
    assert_non_null(builtin);
    assert_true(json_equal(file, builtin));
    json_decref(file);
    json_decref(builtin);
}

/* A file's bytes into buf; their count. */
static size_t read_bytes(const char *path, char *buf, size_t size)
{
    FILE *file = fopen(path, "rb");
    size_t len;

    if (!file) {
        fail_msg("cannot open %s", path);
    }
    len = fread(buf, 1, size, file);
    fclose(file);
    return len;
}

/*
 * What Debezium itself wrote for PERSCOM's webhooks table (MariaDB, Apicurio's converter;
 * recorded by tests/integration/test_debezium_webhooks.py): insert, update, delete and the
 * tombstone, in both bigint modes.
 */
static void test_real_debezium(void **state)
{
    (void)state;
    static const char *const modes[] = {"default", "precise"};
    struct br_conf confluent = conf;

    confluent.table_hooks.topic.format = BR_FORMAT_CONFLUENT;
    confluent.table_hooks.topic.schema_json = NULL;
    for (size_t m = 0; m < 2; m++) {
        char path[256];
        json_error_t error;
        json_t *schemas;
        struct br_decoder *own = br_decoder_create((struct br_registry *)(void *)&registry_dummy);
        struct br_hookrows *own_rows =
            br_hookrows_create(own, (struct br_registry *)(void *)&registry_dummy);
        enum br_hookrow_kind want[4] = {BR_HOOKROW_UPSERT, BR_HOOKROW_UPSERT, BR_HOOKROW_DELETE,
                                        BR_HOOKROW_DELETE};

        snprintf(path, sizeof(path), "hookrow/%s-schemas.json", modes[m]);
        schemas = json_load_file(path, 0, &error);
        if (!schemas) {
            fail_msg("%s: %s", path, error.text);
        }
        recorded[0].id = (int32_t)json_integer_value(json_object_get(json_object_get(schemas,
                                                                                     "key"), "id"));
        recorded[0].text = json_string_value(json_object_get(json_object_get(schemas, "key"),
                                                             "schema"));
        recorded[1].id = (int32_t)json_integer_value(
            json_object_get(json_object_get(schemas, "value"), "id"));
        recorded[1].text = json_string_value(json_object_get(json_object_get(schemas, "value"),
                                                             "schema"));
        for (int n = 0; n < 4; n++) {
            struct msg k = {.len = 0};
            struct msg v = {.len = 0};
            struct br_hookrow out;
            struct br_hookrow_message message;

            snprintf(path, sizeof(path), "hookrow/%s-%d.key", modes[m], n);
            k.len = read_bytes(path, k.buf, sizeof(k.buf));
            snprintf(path, sizeof(path), "hookrow/%s-%d.value", modes[m], n);
            v.len = read_bytes(path, v.buf, sizeof(v.buf));
            message = (struct br_hookrow_message){.key = k.buf, .key_len = k.len,
                                                  .value = v.buf, .value_len = v.len};
            if (br_hookrows_decode(own_rows, &confluent, "tenant1", &message, &out) != want[n]) {
                fail_msg("%s message %d: %s (%s)", modes[m], n, br_hookrow_kind_name(out.kind),
                         out.reason);
            }
            assert_string_equal(out.name, "tenant:tenant1:webhook:42");
            if (n == 0) {
                assert_string_equal(out.hook->url, "https://hooks.example/in?token=a%20b&x=1");
                assert_int_equal(out.hook->method, BR_METHOD_POST);
                assert_string_equal(out.hook->secret, "s3cret");
                assert_int_equal(out.hook->event_count, 2);
                assert_string_equal(out.hook->events[0], "user.created");
                assert_string_equal(out.hook->events[1], "rankrecord.deleted");
                assert_true(out.ts_us > 0);
            } else if (n == 1) {
                assert_string_equal(out.hook->url, "http://127.0.0.1:9000/perscom?a=1");
                assert_int_equal(out.hook->method, BR_METHOD_GET);
                assert_string_equal(out.hook->secret, "rotated");
                assert_int_equal(out.hook->event_count, 1);
                assert_string_equal(out.hook->events[0], "event.updated");
            } else if (n == 3) {
                assert_int_equal(v.len, 0); /* the tombstone: the id came from the key */
            }
            br_hookrow_finish(&out);
        }
        recorded[0].text = NULL;
        recorded[1].text = NULL;
        json_decref(schemas);
        br_hookrows_destroy(own_rows);
        br_decoder_destroy(own);
    }
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(br_hookrow_kind_name(BR_HOOKROW_UPSERT), "upsert");
    assert_string_equal(br_hookrow_kind_name(BR_HOOKROW_REFUSED), "refused");
    assert_string_equal(br_hookrow_kind_name((enum br_hookrow_kind)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_post),
        cmocka_unit_test(test_update_get_and_snapshot),
        cmocka_unit_test(test_delete_op_d),
        cmocka_unit_test(test_tombstone),
        cmocka_unit_test(test_confluent),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_null_secret),
        cmocka_unit_test(test_truncate_corrupt_tenant),
        cmocka_unit_test(test_key_schema_file),
        cmocka_unit_test(test_real_debezium),
        cmocka_unit_test(test_kind_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
