/*
 * libFuzzer target: a Schema Registry answer, its schema built as the decoder builds it, and a
 * message decoded with it.
 *
 * Input: the registry's answer to GET /schemas/ids/{id} ({"schema": "..."}), then optionally a
 * NUL byte and a message value (bare Avro) to decode with that schema.
 *   1. br_registry_answer_schema: the answer's parser (registry.c);
 *   2. br_schemabounds_check on the schema text;
 *   3. when the bounds pass and avro-c parses the text, an independent walk of the avro-c schema
 *      asserts every bound of schemabounds.h on what avro-c built: fixed sizes, fields, union
 *      branches, enum symbols, name lengths, nesting, and what one value holds before any data
 *      (values, fixed bytes, no record that contains itself); then avro-c creates the value
 *      (the allocation the bounds exist for; run with -malloc_limit_mb so that any larger
 *      allocation is a finding);
 *   4. br_decode_message of the value with the text as a topic schema (format avro), twice on
 *      one decoder: the same status and reason both times (the second from the decoder's cache,
 *      a refused schema included), and a schema the bounds refused is always refused by the
 *      decoder with "schema over a limit".
 * A broken assertion aborts, which libFuzzer reports as a crash with the input saved.
 */
#include <avro.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "avro/schemabounds.h"
#include "config/conf.h"

static void broken(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_schema: %s\nschema: %.2000s\n", what, text ? text : "");
    abort();
}

struct cost {
    uint64_t values;
    uint64_t bytes;
};

/* What one value of a type holds before any data, as avro-c builds it (records memoized). */
struct eager {
    avro_schema_t *open; /* records being expanded */
    size_t open_count;
    avro_schema_t *done; /* records expanded, and their cost */
    struct cost *done_cost;
    size_t done_count;
    const char *text;
};

static void *grow(void *array, size_t count, size_t size)
{
    void *grown = realloc(array, (count + 1) * size);

    if (!grown) {
        abort();
    }
    return grown;
}

/* avro-c's generic value: a record holds all its fields, a link its target, a fixed its bytes;
 * a union, array or map starts empty. */
static struct cost eager_cost(struct eager *eager, avro_schema_t schema)
{
    struct cost cost = {1, 0};

    switch (avro_typeof(schema)) {
    case AVRO_LINK:
        return eager_cost(eager, avro_schema_link_target(schema));
    case AVRO_FIXED:
        cost.bytes = (uint64_t)avro_schema_fixed_size(schema);
        return cost;
    case AVRO_RECORD:
        break;
    default:
        return cost;
    }
    for (size_t i = 0; i < eager->done_count; i++) {
        if (eager->done[i] == schema) {
            return eager->done_cost[i];
        }
    }
    for (size_t i = 0; i < eager->open_count; i++) {
        if (eager->open[i] == schema) {
            broken("a record that contains itself passed the bounds", eager->text);
        }
    }
    eager->open = grow(eager->open, eager->open_count, sizeof(*eager->open));
    eager->open[eager->open_count++] = schema;
    for (size_t i = 0; i < avro_schema_record_size(schema); i++) {
        avro_schema_t type = avro_schema_record_field_get_by_index(schema, (int)i);
        struct cost field = eager_cost(eager, type);

        cost.values += field.values;
        cost.bytes += field.bytes;
        if (cost.values > BR_SCHEMABOUNDS_MAX_VALUES ||
            cost.bytes > BR_SCHEMABOUNDS_MAX_FIXED_BYTES) {
            broken("a record larger than the bounds before any data passed them", eager->text);
        }
    }
    eager->open_count--;
    eager->done = grow(eager->done, eager->done_count, sizeof(*eager->done));
    eager->done_cost = grow(eager->done_cost, eager->done_count, sizeof(*eager->done_cost));
    eager->done[eager->done_count] = schema;
    eager->done_cost[eager->done_count++] = cost;
    return cost;
}

static void check_name(const avro_schema_t schema, const char *text)
{
    const char *name = avro_schema_name(schema);
    const char *space = avro_schema_namespace(schema);

    if ((name && strlen(name) > BR_SCHEMABOUNDS_MAX_NAME) ||
        (space && strlen(space) > BR_SCHEMABOUNDS_MAX_NAME)) {
        broken("a name or namespace longer than the bound", text);
    }
}

/*
 * The definitions of schema (links not followed): every declared size within its bound,
 * nesting no deeper than BR_SCHEMABOUNDS_MAX_DEPTH, every record's value bounded.
 */
static void check_sizes(struct eager *eager, avro_schema_t schema, int depth)
{
    const char *text = eager->text;

    if (depth > BR_SCHEMABOUNDS_MAX_DEPTH) {
        broken("types nested deeper than the bound", text);
    }
    switch (avro_typeof(schema)) {
    case AVRO_RECORD: {
        size_t count = avro_schema_record_size(schema);

        if (count > BR_SCHEMABOUNDS_MAX_FIELDS) {
            broken("a record with more fields than the bound", text);
        }
        check_name(schema, text);
        for (size_t i = 0; i < count; i++) {
            const char *name = avro_schema_record_field_name(schema, (int)i);

            if (name && strlen(name) > BR_SCHEMABOUNDS_MAX_NAME) {
                broken("a field name longer than the bound", text);
            }
            check_sizes(eager, avro_schema_record_field_get_by_index(schema, (int)i), depth + 1);
        }
        eager_cost(eager, schema);
        return;
    }
    case AVRO_ENUM: {
        int count = avro_schema_enum_number_of_symbols(schema);

        if (count < 0 || count > BR_SCHEMABOUNDS_MAX_SYMBOLS) {
            broken("an enum with more symbols than the bound", text);
        }
        for (int i = 0; i < count; i++) {
            const char *symbol = avro_schema_enum_get(schema, i);

            if (symbol && strlen(symbol) > BR_SCHEMABOUNDS_MAX_NAME) {
                broken("an enum symbol longer than the bound", text);
            }
        }
        check_name(schema, text);
        return;
    }
    case AVRO_FIXED:
        if (avro_schema_fixed_size(schema) < 0 ||
            avro_schema_fixed_size(schema) > BR_SCHEMABOUNDS_MAX_FIXED) {
            broken("a fixed larger than the bound", text);
        }
        check_name(schema, text);
        return;
    case AVRO_UNION: {
        size_t count = avro_schema_union_size(schema);

        if (count > BR_SCHEMABOUNDS_MAX_BRANCHES) {
            broken("a union with more branches than the bound", text);
        }
        for (size_t i = 0; i < count; i++) {
            check_sizes(eager, avro_schema_union_branch(schema, (int)i), depth + 1);
        }
        return;
    }
    case AVRO_ARRAY:
        check_sizes(eager, avro_schema_array_items(schema), depth + 1);
        return;
    case AVRO_MAP:
        check_sizes(eager, avro_schema_map_values(schema), depth + 1);
        return;
    default:
        return; /* primitives, and links (their target is checked where it is defined) */
    }
}

static void build_and_check(const char *text)
{
    avro_schema_t schema = NULL;
    avro_value_iface_t *iface;
    avro_value_t value;
    struct eager eager = {.text = text};

    if (avro_schema_from_json_length(text, strlen(text), &schema) != 0) {
        return; /* avro-c refuses it: nothing is built */
    }
    check_sizes(&eager, schema, 0);
    eager_cost(&eager, schema);
    free(eager.open);
    free(eager.done);
    free(eager.done_cost);
    iface = avro_generic_class_from_schema(schema);
    if (iface) {
        if (avro_generic_value_new(iface, &value) == 0) {
            avro_value_decref(&value);
        }
        avro_value_iface_decref(iface);
    }
    avro_schema_decref(schema);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t answer_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *value = nul ? nul + 1 : (const uint8_t *)"";
    size_t value_len = nul ? size - answer_len - 1 : 0;
    char errstr[512];
    char first[512];
    char *text;
    uint8_t *copy;
    int within;
    struct br_conf_topic topic;
    struct br_decoder *decoder;
    struct br_change change;
    enum br_decode_status status;
    enum br_decode_status again;

    text = br_registry_answer_schema((const char *)data, answer_len, errstr, sizeof(errstr));
    if (!text) {
        if (errstr[0] == '\0') {
            broken("a refused answer without a reason", NULL);
        }
        return 0;
    }
    within = br_schemabounds_check(text, strlen(text), errstr, sizeof(errstr)) == 0;
    if (!within && errstr[0] == '\0') {
        broken("a schema over the bounds without a reason", text);
    }
    if (within) {
        build_and_check(text);
    }

    /* the decoder: an exact-size copy of the value, so that ASan sees reads past its end */
    copy = malloc(value_len ? value_len : 1);
    if (!copy) {
        abort();
    }
    memcpy(copy, value, value_len);
    memset(&topic, 0, sizeof(topic));
    topic.name = "fuzz";
    topic.format = BR_FORMAT_AVRO;
    topic.schema_json = text;
    topic.snapshot = BR_SNAPSHOT_CREATED;
    decoder = br_decoder_create(NULL);
    status = br_decode_message(decoder, &topic, copy, value_len, NULL, &change, first,
                               sizeof(first));
    br_change_finish(&change);
    if (!within && value_len > 0 &&
        (status != BR_DECODE_BAD || !strstr(first, "schema over a limit"))) {
        broken("the decoder used a schema over the bounds", text);
    }
    again = br_decode_message(decoder, &topic, copy, value_len, NULL, &change, errstr,
                              sizeof(errstr));
    br_change_finish(&change);
    if (again != status || (status != BR_DECODE_OK && strcmp(first, errstr) != 0)) {
        fprintf(stderr, "first: %d %s\nagain: %d %s\n", (int)status, first, (int)again, errstr);
        broken("decoding twice with one schema gave different answers", text);
    }
    br_decoder_destroy(decoder);
    free(copy);
    free(text);
    return 0;
}
