/*
 * Unit tests of message.c with a stub registry (br_registry_schema below; test_message.c has
 * the rest): which messages are not events and why (the reason label of skipped_total), by
 * topic name and by Debezium's value schema names, without the registry for topics of other
 * tables; Apicurio's schema-id header reaching the decoder. The configuration is written to a
 * temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop/message.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char ranks_schema[] =
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"perscom.perscom.records_ranks\","
    "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\","
    "\"fields\":[{\"name\":\"id\",\"type\":{\"type\":\"bytes\",\"scale\":0,\"precision\":20,"
    "\"connect.name\":\"org.apache.kafka.connect.data.Decimal\",\"logicalType\":\"decimal\"}},"
    "{\"name\":\"type\",\"type\":{\"type\":\"int\",\"connect.type\":\"int16\"}}]}]},"
    "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
    "{\"name\":\"op\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]}]}";
static const char heartbeat_schema[] =
    "{\"type\":\"record\",\"name\":\"Heartbeat\",\"namespace\":\"io.debezium.connector.common\","
    "\"fields\":[{\"name\":\"ts_ms\",\"type\":\"long\"}]}";

/* ---- registry stub: 7 is records_ranks (precise ids), 21 a heartbeat ---- */

static int stub_calls;

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    stub_calls++;
    if (id == 7) {
        *schema_json = ranks_schema;
        return BR_REGISTRY_OK;
    }
    if (id == 21) {
        *schema_json = heartbeat_schema;
        return BR_REGISTRY_OK;
    }
    snprintf(errstr, errstr_size, "not found");
    return BR_REGISTRY_NOT_FOUND;
}

/* ---- values ---- */

/* A records_ranks op with id 12 (Decimal bytes {0x0c}) and type 1; bare Avro. */
static size_t ranks_value(char op, uint8_t *out)
{
    size_t n = 0;

    out[n++] = 0x00; /* before: null */
    out[n++] = 0x02; /* after: Value */
    out[n++] = 0x02; /* id: 1 byte */
    out[n++] = 0x0c; /*     12 */
    out[n++] = 0x02; /* type: 1 */
    out[n++] = 0x02; /* op: 1 character */
    out[n++] = (uint8_t)op;
    out[n++] = 0x02; /* ts_ms: long */
    out[n++] = 0x02; /*        1 */
    return n;
}

static size_t framed(uint8_t id, const uint8_t *value, size_t len, uint8_t *out)
{
    out[0] = 0;
    out[1] = out[2] = out[3] = 0;
    out[4] = id;
    memcpy(out + 5, value, len);
    return len + 5;
}

/* ---- configuration ---- */

static char dir[64];
static char conf_path[128];
static char schema_path[128];

static struct br_conf *load_conf(void)
{
    char errstr[4096];
    struct br_conf *conf;
    FILE *file;

    snprintf(dir, sizeof(dir), "/tmp/test_message_skip.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(schema_path, sizeof(schema_path), "%s/ranks.avsc", dir);
    file = fopen(schema_path, "w");
    assert_non_null(file);
    fputs(ranks_schema, file);
    fclose(file);
    snprintf(conf_path, sizeof(conf_path), "%s/bridge.yaml", dir);
    file = fopen(conf_path, "w");
    assert_non_null(file);
    fputs("kafka: {brokers: \"127.0.0.1:9\", group_id: g}\n"
          "schema_registry: {url: \"http://127.0.0.1:9\"}\n"
          "topics:\n"
          "  - pattern: 'perscom\\.db\\..*'\n"
          "  - pattern: '__debezium-heartbeat\\..*'\n"
          "  - name: legacy.promotions\n"
          "    resource: rankrecord\n"
          "    format: avro\n"
          "    schema: ranks.avsc\n"
          "hooks:\n"
          "  - {name: h, url: \"http://127.0.0.1:9/\", secret: s, events: [\"*\"]}\n",
          file);
    fclose(file);
    conf = br_conf_load(conf_path, errstr, sizeof(errstr));
    if (!conf) {
        fail_msg("%s", errstr);
    }
    return conf;
}

static void remove_conf(void)
{
    unlink(conf_path);
    unlink(schema_path);
    rmdir(dir);
}

struct prepare_case {
    const char *topic;
    const void *value;
    size_t len;
    const struct br_value_headers *headers;
    enum br_prepare_status status;
    enum br_skip_reason skip; /* BR_PREPARE_SKIP */
    const char *reason;       /* a part of errstr, or NULL */
    int registry_calls;       /* -1: any */
};

static void run_case(const struct br_conf *conf, const struct prepare_case *c, size_t index)
{
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    struct br_message_in in = {
        .topic = c->topic,
        .value = c->value,
        .len = c->len,
        .headers = c->headers,
    };
    struct br_prepared prepared;
    char errstr[512] = "";
    enum br_prepare_status status;

    stub_calls = 0;
    status = br_message_prepare(conf, decoder, &in, NULL, &prepared, errstr, sizeof(errstr));
    if (status != c->status) {
        fail_msg("case %zu (%s): status %s, want %s (%s)", index, c->topic,
                 br_prepare_status_name(status), br_prepare_status_name(c->status), errstr);
    }
    if (status == BR_PREPARE_SKIP && prepared.skip != c->skip) {
        fail_msg("case %zu (%s): reason %s, want %s", index, c->topic,
                 br_skip_reason_name(prepared.skip), br_skip_reason_name(c->skip));
    }
    if (c->reason && !strstr(errstr, c->reason)) {
        fail_msg("case %zu (%s): \"%s\" lacks \"%s\"", index, c->topic, errstr, c->reason);
    }
    if (c->registry_calls >= 0 && stub_calls != c->registry_calls) {
        fail_msg("case %zu (%s): %d registry calls, want %d", index, c->topic, stub_calls,
                 c->registry_calls);
    }
    if (status == BR_PREPARE_OK) {
        assert_int_equal(prepared.count, 1);
        assert_string_equal(prepared.event, "rankrecord.created");
        /* precise ids are integers again, int16 stays an integer (type is integer-cast) */
        assert_non_null(strstr(prepared.requests[0].body, "\"data\":{\"id\":12,\"type\":1,"
                                                          "\"label\":\"Rank Record: 12\"}"));
    }
    br_prepared_finish(&prepared);
    br_decoder_destroy(decoder);
}

static void test_prepare(void **state)
{
    static const uint8_t content_id_7[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    static const struct br_value_headers apicurio = {content_id_7, 8, NULL, 0};
    struct br_conf *conf = load_conf();
    uint8_t create[16];
    uint8_t snapshot[16];
    uint8_t create_framed[32];
    uint8_t snapshot_framed[32];
    uint8_t heartbeat_framed[32];
    size_t create_len = ranks_value('c', create);
    size_t snapshot_len = ranks_value('r', snapshot);
    size_t create_framed_len = framed(7, create, create_len, create_framed);
    size_t snapshot_framed_len = framed(7, snapshot, snapshot_len, snapshot_framed);
    size_t heartbeat_framed_len = framed(21, create, create_len, heartbeat_framed);
    const struct prepare_case cases[] = {
        /* tables that are not PERSCOM's: skipped by name, the registry is never asked */
        {"perscom.db.migrations", "garbage", 7, NULL, BR_PREPARE_SKIP,
         BR_SKIP_NOT_PERSCOM_TABLE, "not a PERSCOM table", 0},
        {"perscom.db.password_reset_tokens", create_framed, create_framed_len, NULL,
         BR_PREPARE_SKIP, BR_SKIP_NOT_PERSCOM_TABLE, "set `resource`", 0},
        {"perscom.db.transaction", "x", 1, NULL, BR_PREPARE_SKIP, BR_SKIP_TRANSACTION,
         "transaction topic", 0},
        {"__debezium-heartbeat.perscom", "x", 1, NULL, BR_PREPARE_SKIP, BR_SKIP_HEARTBEAT,
         "heartbeat topic", 0},
        /* a topic prefix named like a table: still the heartbeat topic */
        {"__debezium-heartbeat.users", "x", 1, NULL, BR_PREPARE_SKIP, BR_SKIP_HEARTBEAT,
         "heartbeat topic", 0},
        /* named like a table, but Debezium's heartbeat by its value schema */
        {"perscom.db.records_ranks", heartbeat_framed, heartbeat_framed_len, NULL,
         BR_PREPARE_SKIP, BR_SKIP_HEARTBEAT, "heartbeat", 1},
        {"perscom.db.records_ranks", "", 0, NULL, BR_PREPARE_SKIP, BR_SKIP_TOMBSTONE, NULL, 0},
        {"perscom.db.records_ranks", snapshot_framed, snapshot_framed_len, NULL, BR_PREPARE_SKIP,
         BR_SKIP_SNAPSHOT, "snapshot", 1},
        {"perscom.db.records_ranks", create_framed, create_framed_len, NULL, BR_PREPARE_OK,
         BR_SKIP_TOMBSTONE, NULL, 1},
        /* Apicurio's header framing: accepted */
        {"perscom.db.records_ranks", create, create_len, &apicurio, BR_PREPARE_OK,
         BR_SKIP_TOMBSTONE, NULL, 1},
        /* ... and diagnosed without it */
        {"perscom.db.records_ranks", snapshot + 1, snapshot_len - 1, NULL, BR_PREPARE_BAD,
         BR_SKIP_TOMBSTONE, "apicurio.registry.headers.enabled=false", 0},
        /* `resource` for a renamed table */
        {"legacy.promotions", create, create_len, NULL, BR_PREPARE_OK, BR_SKIP_TOMBSTONE, NULL,
         0},
        {"unconfigured.topic", create, create_len, NULL, BR_PREPARE_BAD, BR_SKIP_TOMBSTONE,
         "matches no entry", 0},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        run_case(conf, &cases[i], i);
    }
    br_conf_destroy(conf);
    remove_conf();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
