/*
 * libFuzzer target: Debezium's logical types and PERSCOM's casts on schemas made by the input.
 * fuzz_decode reads with thirteen fixed schemas, so what a schema decides (a logical type on an
 * unexpected base type, a scale that is not a number, a malformed VariableScaleDecimal, the
 * names of Debezium's own value schemas) stays out of its reach; here the input writes the
 * schema too, from the forms the Debezium connector, Kafka Connect and Avro use.
 *
 * Input:
 *   byte 0: resource (byte % 10, catalog order); byte / 10 % 4 picks the top-level record's
 *           name: Envelope, Debezium's Heartbeat, TransactionMetadataValue, SchemaChangeValue;
 *   byte 1: the number of columns (1 + byte % 12);
 *   then 2 bytes a column: the catalog column of the resource (byte % its column count; a
 *           second use of a name becomes <name>_<n>, a column PERSCOM lacks), and the column's
 *           type (byte % 0x80 from the table below; bit 0x80: nullable, ["null", type]);
 *   the rest: the Avro value, {before: ["null", Value], after: ["null", Value], op: string,
 *           ts_ms: long}.
 * The value goes through br_decode_message; on BR_DECODE_OK through the renderer, the JSON
 * writer and the query builder with their invariants (fuzz_check.h), as fuzz_decode does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/decode.h"
#include "config/conf.h"
#include "core/buf.h"
#include "fuzz_check.h"
#include "perscom/catalog.h"

#define MAX_COLUMNS 12

/* Column types: Debezium's io.debezium.*, Kafka Connect's, Avro's logical types, the plain
 * types, and logical types on base types they do not belong to. %d is a unique number. */
static const char *const types[] = {
    "\"long\"",
    "\"int\"",
    "\"string\"",
    "\"boolean\"",
    "\"double\"",
    "\"float\"",
    "\"bytes\"",
    "{\"type\":\"int\",\"connect.type\":\"int16\"}",
    "{\"type\":\"string\",\"connect.version\":1,\"connect.name\":\"io.debezium.data.Json\"}",
    /* dates and times of day */
    "{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Date\"}",
    "{\"type\":\"int\",\"logicalType\":\"date\"}",
    "{\"type\":\"int\",\"connect.name\":\"org.apache.kafka.connect.data.Date\","
    "\"logicalType\":\"date\"}",
    "{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Time\"}",
    "{\"type\":\"int\",\"logicalType\":\"time-millis\"}",
    "{\"type\":\"int\",\"connect.name\":\"org.apache.kafka.connect.data.Time\"}",
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.MicroTime\"}",
    "{\"type\":\"long\",\"logicalType\":\"time-micros\"}",
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.NanoTime\"}",
    "{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Year\"}",
    "{\"type\":\"string\",\"connect.name\":\"io.debezium.time.ZonedTime\"}",
    /* datetimes */
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.Timestamp\"}",
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.MicroTimestamp\"}",
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.NanoTimestamp\"}",
    "{\"type\":\"string\",\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}",
    "{\"type\":\"long\",\"connect.name\":\"org.apache.kafka.connect.data.Timestamp\"}",
    "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}",
    "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}",
    "{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}",
    "{\"type\":\"long\",\"logicalType\":\"local-timestamp-micros\"}",
    /* decimals: scales in range, at and past the bound, negative, not whole numbers */
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":2}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":65,\"scale\":0}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":1000}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":1001}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":-1}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2.5}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,\"scale\":\"2\"}",
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\"}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":\"0\"}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":\"x\"}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":\"99999999999999999999\"}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":\"\"}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\","
    "\"connect.parameters\":{\"scale\":7}}",
    "{\"type\":\"bytes\",\"connect.name\":\"org.apache.kafka.connect.data.Decimal\"}",
    "{\"type\":\"fixed\",\"name\":\"D%d\",\"size\":8,\"logicalType\":\"decimal\",\"scale\":3}",
    "{\"type\":\"fixed\",\"name\":\"D%d\",\"size\":1,\"logicalType\":\"decimal\",\"scale\":0}",
    "{\"type\":\"fixed\",\"name\":\"D%d\",\"size\":64,\"logicalType\":\"decimal\",\"scale\":30}",
    "{\"type\":\"fixed\",\"name\":\"D%d\",\"size\":65,\"logicalType\":\"decimal\",\"scale\":2}",
    "{\"type\":\"fixed\",\"name\":\"D%d\",\"size\":0,\"logicalType\":\"decimal\",\"scale\":2}",
    "{\"type\":\"fixed\",\"name\":\"F%d\",\"size\":16}",
    /* Debezium's VariableScaleDecimal, and records that only look like it */
    "{\"type\":\"record\",\"name\":\"VariableScaleDecimal%d\",\"namespace\":\"io.debezium.data\","
    "\"fields\":[{\"name\":\"scale\",\"type\":\"int\"},{\"name\":\"value\",\"type\":\"bytes\"}],"
    "\"connect.name\":\"io.debezium.data.VariableScaleDecimal\"}",
    "{\"type\":\"record\",\"name\":\"V%d\",\"fields\":[{\"name\":\"value\",\"type\":\"bytes\"},"
    "{\"name\":\"scale\",\"type\":\"long\"}],"
    "\"connect.name\":\"io.debezium.data.VariableScaleDecimal\"}",
    "{\"type\":\"record\",\"name\":\"V%d\",\"fields\":[{\"name\":\"scale\",\"type\":\"int\"}],"
    "\"connect.name\":\"io.debezium.data.VariableScaleDecimal\"}",
    "{\"type\":\"record\",\"name\":\"V%d\",\"fields\":[{\"name\":\"scale\",\"type\":\"int\"},"
    "{\"name\":\"value\",\"type\":[\"null\",\"bytes\"]}],"
    "\"connect.name\":\"io.debezium.data.VariableScaleDecimal\"}",
    /* logical types on the wrong base type: plain values */
    "{\"type\":\"long\",\"logicalType\":\"date\"}",
    "{\"type\":\"string\",\"logicalType\":\"decimal\",\"scale\":2}",
    "{\"type\":\"int\",\"connect.name\":\"io.debezium.time.MicroTimestamp\"}",
    "{\"type\":\"long\",\"connect.name\":\"io.debezium.time.ZonedTimestamp\"}",
    "{\"type\":\"string\",\"connect.name\":\"io.debezium.time.Date\"}",
    /* containers */
    "{\"type\":\"array\",\"items\":\"string\"}",
    "{\"type\":\"array\",\"items\":{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Date\"}}",
    "{\"type\":\"map\",\"values\":[\"null\",\"long\",\"string\"]}",
    "{\"type\":\"enum\",\"name\":\"E%d\",\"symbols\":[\"primary\",\"secondary\"]}",
    /* a union of two non-null branches: no logical type is read through it */
    "[\"null\",\"long\",{\"type\":\"int\",\"connect.name\":\"io.debezium.time.Date\"}]",
};
#define TYPE_COUNT (sizeof(types) / sizeof(types[0]))

/* The top-level record: an envelope, or one of Debezium's own values (dbzvalue.c). */
static const char *const tops[] = {
    "\"name\":\"Envelope\",\"namespace\":\"perscom.fuzz\"",
    "\"name\":\"Heartbeat\",\"namespace\":\"io.debezium.connector.common\"",
    "\"name\":\"io.debezium.connector.common.TransactionMetadataValue\"",
    "\"name\":\"SchemaChangeValue\",\"namespace\":\"io.debezium.connector.mysql\"",
};

static size_t column_count(const struct br_resource *resource)
{
    size_t count = 0;

    while (resource->columns[count].name) {
        count++;
    }
    return count;
}

static int name_used(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The schema text written by the first bytes of data; *used says how many it took. */
static char *schema_of(const uint8_t *data, size_t size, const struct br_resource *resource,
                       size_t *used)
{
    struct br_buf buf;
    char names[MAX_COLUMNS][80];
    const char *seen[MAX_COLUMNS];
    size_t columns = column_count(resource);
    size_t count = 1 + data[1] % MAX_COLUMNS;
    size_t pos = 2;

    br_buf_init(&buf, 0);
    br_buf_printf(&buf, "{\"type\":\"record\",%s,\"fields\":[{\"name\":\"before\",\"type\":"
                        "[\"null\",{\"type\":\"record\",\"name\":\"Value\",\"fields\":[",
                  tops[(data[0] / 10) % 4]);
    for (size_t i = 0; i < count && pos + 2 <= size; i++, pos += 2) {
        const char *name = resource->columns[data[pos] % columns].name;
        unsigned type = data[pos + 1] % 0x80 % TYPE_COUNT;
        char type_text[1024];

        snprintf(names[i], sizeof(names[i]), "%s", name);
        if (name_used(seen, i, names[i])) {
            snprintf(names[i], sizeof(names[i]), "%s_%zu", name, i);
        }
        seen[i] = names[i];
        snprintf(type_text, sizeof(type_text), types[type], (int)i);
        if (data[pos + 1] & 0x80) {
            br_buf_printf(&buf, "%s{\"name\":\"%s\",\"type\":[\"null\",%s]}", i ? "," : "",
                          names[i], type_text);
        } else {
            br_buf_printf(&buf, "%s{\"name\":\"%s\",\"type\":%s}", i ? "," : "", names[i],
                          type_text);
        }
    }
    br_buf_append_str(&buf, "]}]},{\"name\":\"after\",\"type\":[\"null\",\"Value\"]},"
                            "{\"name\":\"op\",\"type\":\"string\"},"
                            "{\"name\":\"ts_ms\",\"type\":\"long\"}]}");
    *used = pos;
    return br_buf_steal(&buf, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct br_resource *resource;
    struct br_conf_topic topic;
    struct br_decoder *decoder;
    struct br_change change;
    enum br_action action;
    char errstr[512];
    char *schema;
    uint8_t *value;
    size_t used;
    size_t len;

    if (size < 2) {
        return 0;
    }
    resource = br_catalog_resource(data[0] % BR_RESOURCE_COUNT);
    schema = schema_of(data, size, resource, &used);
    len = size - used;
    /* an exact-size copy, so that ASan sees any read past the message's end */
    value = malloc(len ? len : 1);
    if (!value) {
        abort();
    }
    memcpy(value, data + used, len);
    memset(&topic, 0, sizeof(topic));
    topic.name = "fuzz";
    topic.format = BR_FORMAT_AVRO;
    topic.schema_json = schema;
    topic.snapshot = BR_SNAPSHOT_CREATED;
    decoder = br_decoder_create(NULL);
    if (br_decode_message(decoder, &topic, value, len, NULL, &change, errstr, sizeof(errstr)) ==
        BR_DECODE_OK) {
        if (br_catalog_action_for_op(change.op, true, &action)) {
            struct br_render_input in = {
                .resource = resource,
                .action = action,
                .change = &change,
                .request_id = (data[0] & 1) ? "req-1" : NULL,
                .trace_id = NULL,
                .topic = "perscom.fuzz.table",
                .partition = 0,
                .offset = (int64_t)len,
            };
            fuzz_render_check(&in);
        }
    } else if (change.before || change.after) {
        fprintf(stderr, "br_decode returned an error but left rows in the change\n");
        abort();
    }
    br_change_finish(&change);
    br_decoder_destroy(decoder);
    free(value);
    free(schema);
    return 0;
}
