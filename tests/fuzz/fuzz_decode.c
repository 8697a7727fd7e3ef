/*
 * libFuzzer target: one Kafka message value through br_decode, then (on BR_DECODE_OK) through
 * the renderer, the PHP-compatible JSON writer and the query builder (fuzz_check.h).
 *
 * Input: the first byte selects the path, the rest is the message value.
 *   byte < 0x80: format avro with schema (byte % 13): the ten schemas/<table>.avsc in
 *                gen_cases.py's TABLES order, then tests/unit/fixtures/decode/debezium_users.avsc
 *                (io.debezium.time columns), tests/fuzz/schemas/kitchen_sink.avsc (every
 *                Avro type; rendered as rankrecord) and tests/fuzz/schemas/debezium_events.avsc
 *                (events as the Debezium connector shapes them, with a column of every logical
 *                type; rendered as event);
 *   0x80 <= byte < 0xc0: format confluent; the value carries its own framing (magic byte,
 *                schema id).
 *   byte >= 0xc0: format confluent, Apicurio's header framing: the first 8 bytes are the
 *                apicurio.value.contentId header, the rest the bare Avro value.
 *                A stub registry (fuzz_harness.h, linked instead of registry.c)
 *                answers ids 1..13 with the schemas above, 404 with "not found" and every
 *                other id with "unavailable".
 * The value is decoded twice with the same decoder: the second time from its schema cache, into
 * the avro-c value the first read filled; both results must be equal (status, op, timestamp,
 * every column's name, kind and value).
 * Each input gets a fresh decoder (destroyed after it), so that LeakSanitizer's per-input check
 * sees exactly what one message allocates: avro-c's generic values kept in a long-lived schema
 * cache grow buffers that LeakSanitizer cannot trace back to the cache and reports as leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perscom/catalog.h"
#include "config/conf.h"
#include "avro/decode.h"
#include "fuzz_check.h"
#include "fuzz_harness.h"

#define SCHEMA_COUNT 13

static const char *const schema_files[SCHEMA_COUNT] = {
    "schemas/records_assignments.avsc", "schemas/records_awards.avsc",
    "schemas/calendars.avsc",           "schemas/records_combat.avsc",
    "schemas/events.avsc",              "schemas/records_qualifications.avsc",
    "schemas/records_ranks.avsc",       "schemas/records_service.avsc",
    "schemas/submissions.avsc",         "schemas/users.avsc",
    "tests/unit/fixtures/decode/debezium_users.avsc", "tests/fuzz/schemas/kitchen_sink.avsc",
    "tests/fuzz/schemas/debezium_events.avsc",
};
/* The resource each schema's rows belong to. */
static const char *const resources[SCHEMA_COUNT] = {
    "assignmentrecord", "awardrecord", "calendar",   "combatrecord", "event",
    "qualificationrecord", "rankrecord", "servicerecord", "submission", "user", "user",
    "rankrecord", "event",
};

static char *schema_texts[SCHEMA_COUNT];
static struct br_conf_topic avro_topics[SCHEMA_COUNT];
static struct br_conf_topic confluent_topic;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < SCHEMA_COUNT; i++) {
        schema_texts[i] = fuzz_read_text(schema_files[i]);
        avro_topics[i].name = "fuzz";
        avro_topics[i].format = BR_FORMAT_AVRO;
        avro_topics[i].schema_path = (char *)schema_files[i];
        avro_topics[i].schema_json = schema_texts[i];
        avro_topics[i].snapshot = BR_SNAPSHOT_CREATED;
    }
    confluent_topic.name = "fuzz";
    confluent_topic.format = BR_FORMAT_CONFLUENT;
    confluent_topic.snapshot = BR_SNAPSHOT_CREATED;
    fuzz_registry_texts = (const char *const *)schema_texts;
    fuzz_registry_count = SCHEMA_COUNT;
    return 0;
}

static int rows_equal(const struct br_row *a, const struct br_row *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a->count != b->count) {
        return 0;
    }
    for (size_t i = 0; i < a->count; i++) {
        const struct br_field *x = &a->fields[i];
        const struct br_field *y = &b->fields[i];

        if (strcmp(x->name, y->name) != 0 || !br_field_equal(x, y)) {
            return 0;
        }
    }
    return 1;
}

static uint32_t be32(const uint8_t *bytes)
{
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) |
           bytes[3];
}

/* The resource of a decoded change: from the schema, or for confluent from the registry id
 * (header: the low half of the 8-byte header, which the decoder accepted). */
static const struct br_resource *resource_for(const uint8_t *value, size_t len, int confluent,
                                              const struct br_value_headers *headers,
                                              unsigned selector)
{
    uint32_t id = 0;

    if (!confluent) {
        return br_catalog_by_name(resources[selector % SCHEMA_COUNT]);
    }
    if (headers) {
        id = be32((const uint8_t *)headers->content_id + 4);
    } else if (len >= 5) {
        id = be32(value + 1);
    }
    if (id >= 1 && id <= SCHEMA_COUNT) {
        return br_catalog_by_name(resources[id - 1]);
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[512];
    struct br_decoder *decoder;
    struct br_change change;
    struct br_change second;
    const struct br_conf_topic *topic;
    const struct br_resource *resource;
    struct br_value_headers header_ids;
    const struct br_value_headers *headers = NULL;
    enum br_decode_status status;
    enum br_decode_status again;
    enum br_action action;
    int confluent;
    unsigned selector;
    uint8_t *value;
    size_t len;

    if (size < 1) {
        return 0;
    }
    selector = data[0];
    confluent = selector >= 0x80;
    topic = confluent ? &confluent_topic : &avro_topics[selector % SCHEMA_COUNT];
    data++;
    size--;
    if (selector >= 0xc0) {
        if (size < 8) {
            return 0;
        }
        memset(&header_ids, 0, sizeof(header_ids));
        header_ids.content_id = data;
        header_ids.content_id_len = 8;
        headers = &header_ids;
        data += 8;
        size -= 8;
    }
    len = size;
    value = fuzz_copy(data, len);

    decoder = br_decoder_create(FUZZ_REGISTRY);
    status = br_decode_message(decoder, topic, value, len, headers, &change, errstr,
                               sizeof(errstr));
    again = br_decode_message(decoder, topic, value, len, headers, &second, errstr,
                              sizeof(errstr));
    if (again != status ||
        (status == BR_DECODE_OK &&
         (second.op != change.op || second.ts_us != change.ts_us ||
          !rows_equal(change.before, second.before) || !rows_equal(change.after, second.after)))) {
        fprintf(stderr, "decoding the same value twice gave different results (%d, %d)\n",
                (int)status, (int)again);
        abort();
    }
    br_change_finish(&second);
    if (status == BR_DECODE_OK) {
        resource = resource_for(value, len, confluent, headers, selector);
        if (resource && br_catalog_action_for_op(change.op, true, &action)) {
            struct br_render_input in = {
                .resource = resource,
                .action = action,
                .change = &change,
                .request_id = (selector & 1) ? "req-1" : NULL,
                .trace_id = (selector & 2) ? "trace/1" : NULL,
                .topic = "perscom.fuzz.table",
                .partition = (int32_t)(selector & 7),
                .offset = (int64_t)len,
            };
            fuzz_render_check(&in);
        }
        br_change_finish(&change);
    } else if (change.before || change.after) {
        fprintf(stderr, "br_decode returned %d but left rows in the change\n", (int)status);
        abort();
    }
    br_decoder_destroy(decoder);
    free(value);
    return 0;
}
