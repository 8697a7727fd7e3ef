/*
 * Unit tests of dbzvalue.c, alone and through br_decode: Debezium's schema-change, transaction
 * and heartbeat messages told by their value schema's name, and the skip reasons br_decode
 * gives. The registry is a stub: id 21 is a heartbeat, 22 a schema change, 23 a transaction
 * record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "avro/dbzvalue.h"
#include "avro/decode.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char heartbeat_schema[] =
    "{\"type\":\"record\",\"name\":\"Heartbeat\",\"namespace\":\"io.debezium.connector.common\","
    "\"fields\":[{\"name\":\"ts_ms\",\"type\":\"long\"}],"
    "\"connect.name\":\"io.debezium.connector.common.Heartbeat\"}";
static const char schema_change_schema[] =
    "{\"type\":\"record\",\"name\":\"SchemaChangeValue\","
    "\"namespace\":\"io.debezium.connector.mariadb\",\"fields\":[{\"name\":\"databaseName\","
    "\"type\":\"string\"},{\"name\":\"ddl\",\"type\":[\"null\",\"string\"]}]}";
static const char transaction_schema[] =
    "{\"type\":\"record\",\"name\":\"io.debezium.connector.common.TransactionMetadataValue\","
    "\"fields\":[{\"name\":\"status\",\"type\":\"string\"},{\"name\":\"id\",\"type\":\"string\"}]}";
static const char ranks_schema[] =
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"perscom.perscom.records_ranks\","
    "\"fields\":[{\"name\":\"after\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}]},{\"name\":\"op\",\"type\":\"string\"}]}";

static int stub_calls;

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    stub_calls++;
    switch (id) {
    case 21:
        *schema_json = heartbeat_schema;
        return BR_REGISTRY_OK;
    case 22:
        *schema_json = schema_change_schema;
        return BR_REGISTRY_OK;
    case 23:
        *schema_json = transaction_schema;
        return BR_REGISTRY_OK;
    default:
        snprintf(errstr, errstr_size, "not found");
        return BR_REGISTRY_NOT_FOUND;
    }
}

static enum br_decode_status decode(struct br_decoder *decoder, const void *value, size_t len,
                                    struct br_change *change, char *errstr, size_t errstr_size)
{
    struct br_conf_topic topic;

    memset(&topic, 0, sizeof(topic));
    topic.name = "perscom.perscom.records_ranks";
    topic.format = BR_FORMAT_CONFLUENT;
    errstr[0] = '\0';
    return br_decode(decoder, &topic, value, len, change, errstr, errstr_size);
}

static void test_debezium_messages(void **state)
{
    static const struct {
        uint8_t id;
        enum br_skip_reason reason;
    } cases[] = {
        {21, BR_SKIP_HEARTBEAT},
        {22, BR_SKIP_SCHEMA_CHANGE},
        {23, BR_SKIP_TRANSACTION},
    };
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    struct br_change change;
    char errstr[512];
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        /* the value's bytes do not matter: the schema says what it is */
        uint8_t framed[] = {0, 0, 0, 0, cases[i].id, 0xff, 0xff};

        assert_int_equal(decode(decoder, framed, sizeof(framed), &change, errstr,
                                sizeof(errstr)),
                         BR_DECODE_SKIP);
        assert_int_equal(change.skip, cases[i].reason);
        assert_null(change.after);
        assert_non_null(strstr(errstr, br_skip_reason_name(cases[i].reason)));
    }
    br_decoder_destroy(decoder);
}

static void test_dbzvalue_names(void **state)
{
    static const struct {
        const char *schema;
        bool found;
        enum br_skip_reason reason;
    } cases[] = {
        {heartbeat_schema, true, BR_SKIP_HEARTBEAT},
        {schema_change_schema, true, BR_SKIP_SCHEMA_CHANGE},
        {"{\"type\":\"record\",\"name\":\"SchemaChangeValue\",\"namespace\":"
         "\"io.debezium.connector.mysql\",\"fields\":[]}",
         true, BR_SKIP_SCHEMA_CHANGE},
        {transaction_schema, true, BR_SKIP_TRANSACTION},
        {ranks_schema, false, BR_SKIP_TOMBSTONE},
        {"{\"type\":\"record\",\"name\":\"SchemaChangeValue\",\"fields\":[]}", false,
         BR_SKIP_TOMBSTONE},
        {"{\"type\":\"record\",\"name\":\"Heartbeat\",\"namespace\":\"other\",\"fields\":[]}",
         false, BR_SKIP_TOMBSTONE},
        {"\"long\"", false, BR_SKIP_TOMBSTONE},
        {"not json", false, BR_SKIP_TOMBSTONE},
    };
    (void)state;

    for (size_t i = 0; i < COUNT(cases); i++) {
        enum br_skip_reason reason = BR_SKIP_TOMBSTONE;

        assert_int_equal(br_dbzvalue_reason(cases[i].schema, &reason), cases[i].found);
        if (cases[i].found) {
            assert_int_equal(reason, cases[i].reason);
        }
    }
}

static void test_tombstone_reason(void **state)
{
    struct br_decoder *decoder = br_decoder_create(NULL);
    struct br_change change;
    char errstr[512];
    (void)state;

    assert_int_equal(decode(decoder, "", 0, &change, errstr, sizeof(errstr)), BR_DECODE_SKIP);
    assert_int_equal(change.skip, BR_SKIP_TOMBSTONE);
    br_decoder_destroy(decoder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debezium_messages),
        cmocka_unit_test(test_dbzvalue_names),
        cmocka_unit_test(test_tombstone_reason),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
