/*
 * Unit tests of framing.c, alone and through br_decode_message: Confluent framing, Apicurio's
 * schema ids in Kafka headers (8-byte big-endian longs, io.apicurio.registry.serde.SerdeHeaders)
 * and the diagnosis of framing mistakes. The registry is a stub: id 7 is records_ranks, 404
 * does not exist.
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
#include "avro/framing.h"

/* records_ranks' envelope, reduced to what decode needs */
static const char ranks_schema[] =
    "{\"type\":\"record\",\"name\":\"Envelope\",\"namespace\":\"perscom.perscom.records_ranks\","
    "\"fields\":[{\"name\":\"before\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Value\","
    "\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}]},"
    "{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
    "{\"name\":\"op\",\"type\":\"string\"},{\"name\":\"ts_ms\",\"type\":[\"null\",\"long\"]}]}";

/* ---- registry stub ---- */

static int stub_calls;
static int32_t stub_last_id;

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    stub_calls++;
    stub_last_id = id;
    if (id == 7) {
        *schema_json = ranks_schema;
        return BR_REGISTRY_OK;
    }
    snprintf(errstr, errstr_size, "not found");
    return BR_REGISTRY_NOT_FOUND;
}

/* A records_ranks create with id 12: "\x00" (before null) "\x02\x18" (after, id 12) "\x02c"
 * (op) "\x00" (ts_ms null): bare Avro, which starts with the byte 0 like Confluent framing. */
static const char ranks_create[] = "\x00\x02\x18\x02"
                                   "c\x02\xf6\x9f\xa4\xd9\xdd\x66";
#define RANKS_CREATE_LEN (sizeof(ranks_create) - 1)

static const uint8_t content_id_7[8] = {0, 0, 0, 0, 0, 0, 0, 7};

static struct br_conf_topic confluent_topic(void)
{
    struct br_conf_topic topic;

    memset(&topic, 0, sizeof(topic));
    topic.name = "perscom.perscom.records_ranks";
    topic.format = BR_FORMAT_CONFLUENT;
    return topic;
}

static enum br_decode_status decode(struct br_decoder *decoder, const void *value, size_t len,
                                    const struct br_value_headers *headers,
                                    struct br_change *change, char *errstr, size_t errstr_size)
{
    struct br_conf_topic topic = confluent_topic();

    errstr[0] = '\0';
    return br_decode_message(decoder, &topic, value, len, headers, change, errstr, errstr_size);
}

static void test_split(void **state)
{
    static const uint8_t framed[] = {0, 0, 0, 0, 7, 0x02, 0x18};
    static const uint8_t big_id[8] = {0, 0, 0, 0, 0x80, 0, 0, 0}; /* 2^31 */
    static const uint8_t zero_id[8] = {0};
    static const uint8_t short_id[4] = {0, 0, 0, 7};
    static const uint8_t global_id[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x00};
    struct br_value_headers headers;
    const uint8_t *avro = NULL;
    size_t avro_len = 0;
    int32_t id = 0;
    bool from_header = true;
    char errstr[512];
    (void)state;

    /* Confluent framing */
    assert_int_equal(br_framing_split(framed, sizeof(framed), NULL, &id, &avro, &avro_len,
                                      &from_header, errstr, sizeof(errstr)),
                     0);
    assert_int_equal(id, 7);
    assert_ptr_equal(avro, framed + 5);
    assert_int_equal(avro_len, 2);
    assert_false(from_header);

    /* Apicurio's contentId header: the whole value is Avro */
    memset(&headers, 0, sizeof(headers));
    headers.content_id = content_id_7;
    headers.content_id_len = 8;
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     0);
    assert_int_equal(id, 7);
    assert_ptr_equal(avro, (const uint8_t *)ranks_create);
    assert_int_equal(avro_len, RANKS_CREATE_LEN);
    assert_true(from_header);

    /* unusable contentId headers */
    headers.content_id = short_id;
    headers.content_id_len = sizeof(short_id);
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "apicurio.value.contentId of 4 bytes"));
    headers.content_id = big_id;
    headers.content_id_len = 8;
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "holds 2147483648"));
    assert_true(strlen(errstr) < 256);
    headers.content_id = zero_id;
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "holds 0"));
    assert_non_null(strstr(errstr, "apicurio.registry.headers.enabled=false"));

    /* Apicurio's default: the globalId header; named, not used */
    memset(&headers, 0, sizeof(headers));
    headers.global_id = global_id;
    headers.global_id_len = 8;
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "global id 256 in header apicurio.value.globalId"));
    assert_true(strlen(errstr) < 256); /* kept whole in a dead letter's reason */
    assert_non_null(strstr(errstr, "apicurio.registry.as-confluent=true"));
    assert_non_null(strstr(errstr, "apicurio.registry.use-id=contentId"));
    assert_non_null(strstr(errstr, "apicurio.registry.headers.enabled=false"));
    /* a contentId header wins over a globalId one */
    headers.content_id = content_id_7;
    headers.content_id_len = 8;
    assert_int_equal(br_framing_split(ranks_create, RANKS_CREATE_LEN, &headers, &id, &avro,
                                      &avro_len, &from_header, errstr, sizeof(errstr)),
                     0);
    assert_int_equal(id, 7);
}

static void test_diagnosis(void **state)
{
    /* bare Avro of an update starts with 0x02 (before present) */
    static const uint8_t bare_update[] = {0x02, 0x18, 0x02, 0x18, 0x02, 'u', 0x00};
    /* Apicurio's default without headers: magic byte, 8-byte global id 42, Avro */
    static const uint8_t eight_byte_id[] = {0, 0, 0, 0, 0, 0, 0, 0, 42, 0x00, 0x02};
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    struct br_change change;
    char errstr[512];
    (void)state;

    stub_calls = 0;
    assert_int_equal(decode(decoder, bare_update, sizeof(bare_update), NULL, &change, errstr,
                            sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "bad magic byte 2 (want 0)"));
    assert_non_null(strstr(errstr, "apicurio.registry.as-confluent=true, "
                                   "apicurio.registry.use-id=contentId and "
                                   "apicurio.registry.headers.enabled=false"));
    assert_int_equal(decode(decoder, eight_byte_id, sizeof(eight_byte_id), NULL, &change, errstr,
                            sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "schema id 0"));
    assert_non_null(strstr(errstr, "8-byte id"));
    assert_non_null(strstr(errstr, "apicurio.registry.headers.enabled=false"));
    assert_int_equal(stub_calls, 0); /* neither asked the registry */
    br_decoder_destroy(decoder);
}

static void test_header_decode(void **state)
{
    struct br_decoder *decoder = br_decoder_create((struct br_registry *)&stub_calls);
    struct br_value_headers headers;
    struct br_change change;
    char errstr[512];
    static const uint8_t unknown[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x94}; /* 404 */
    (void)state;

    memset(&headers, 0, sizeof(headers));
    headers.content_id = content_id_7;
    headers.content_id_len = 8;
    stub_calls = 0;
    if (decode(decoder, ranks_create, RANKS_CREATE_LEN, &headers, &change, errstr,
               sizeof(errstr)) != BR_DECODE_OK) {
        fail_msg("%s", errstr);
    }
    assert_int_equal(stub_last_id, 7);
    assert_int_equal(change.op, BR_OP_CREATE);
    assert_null(change.before);
    assert_int_equal(json_integer_value(br_row_find(change.after, "id")->value), 12);
    br_change_finish(&change);
    /* the same bare value without the header, read as Confluent framing: id 0x02180263 */
    assert_int_equal(decode(decoder, ranks_create, RANKS_CREATE_LEN, NULL, &change, errstr,
                            sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_int_equal(stub_last_id, 0x02180263);
    /* an id from the header the registry does not know: said so */
    headers.content_id = unknown;
    assert_int_equal(decode(decoder, ranks_create, RANKS_CREATE_LEN, &headers, &change, errstr,
                            sizeof(errstr)),
                     BR_DECODE_BAD);
    assert_non_null(strstr(errstr, "unknown schema id 404 (from the Kafka header "
                                   "apicurio.value.contentId)"));
    br_decoder_destroy(decoder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_diagnosis),
        cmocka_unit_test(test_header_decode),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
