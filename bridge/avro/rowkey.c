/*
 * A Debezium key's id (see rowkey.h): framing as for values (framing.c), the writer schema
 * bounded (schemabounds.c) and cached per registry id, the bytes validated (avrocheck.c) before
 * avro-c reads them, the id read by name in whichever form the schema gives it.
 */
#include "avro/rowkey.h"

#include <avro.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avrocheck.h"
#include "avro/logical.h"
#include "avro/schemabounds.h"
#include "avro/schemajson.h"

#define KEY_MAX_BYTES 4096u  /* a key of one id is a few bytes */
#define KEY_MAX_VALUES 256u

const char BR_ROWKEY_SCHEMA[] =
    "{\n"
    "  \"type\": \"record\",\n"
    "  \"name\": \"Key\",\n"
    "  \"namespace\": \"perscom.webhooks\",\n"
    "  \"fields\": [\n"
    "    {\"name\": \"id\", \"type\": {\"type\": \"bytes\", \"scale\": 0, \"precision\": 20, "
    "\"logicalType\": \"decimal\", \"connect.version\": 1, \"connect.parameters\": {\"scale\": "
    "\"0\", \"connect.decimal.precision\": \"20\"}, \"connect.name\": "
    "\"org.apache.kafka.connect.data.Decimal\"}}\n"
    "  ]\n"
    "}\n";

/* One key schema: by registry id, or the built-in one (id 0). */
struct key_schema {
    int32_t id;
    char *failure;          /* why it cannot be used; NULL when it can */
    avro_schema_t schema;
    avro_value_iface_t *iface;
    struct br_logical id_logical; /* the id field's logical type (decimals) */
};

struct br_rowkey {
    struct br_registry *registry;
    struct key_schema **schemas;
    size_t count;
};

static void schema_destroy(struct key_schema *entry)
{
    if (!entry) {
        return;
    }
    if (entry->iface) {
        avro_value_iface_decref(entry->iface);
    }
    if (entry->schema) {
        avro_schema_decref(entry->schema);
    }
    free(entry->failure);
    free(entry);
}

/* The logical type of the top-level record's field "id" in text. */
static struct br_logical id_logical(const char *text)
{
    struct br_logical none = {BR_LOGICAL_NONE, 0};
    struct br_schemajson parsed;
    json_t *field;
    size_t i;

    br_schemajson_init(&parsed, text);
    json_array_foreach(json_object_get(parsed.root, "fields"), i, field) {
        if (json_is_string(json_object_get(field, "name")) &&
            strcmp(json_string_value(json_object_get(field, "name")), "id") == 0) {
            json_t *type = br_schemajson_column_type(&parsed, json_object_get(field, "type"));

            none = br_logical_of(type);
            break;
        }
    }
    br_schemajson_finish(&parsed);
    return none;
}

static struct key_schema *schema_build(int32_t id, const char *text)
{
    struct key_schema *entry = calloc(1, sizeof(*entry));
    char why[256];
    char reason[512];

    if (!entry) {
        abort();
    }
    entry->id = id;
    if (br_schemabounds_check(text, strlen(text), why, sizeof(why)) != 0) {
        snprintf(reason, sizeof(reason), "schema over a limit: %s", why);
    } else if (avro_schema_from_json_length(text, strlen(text), &entry->schema) != 0) {
        entry->schema = NULL;
        snprintf(reason, sizeof(reason), "bad schema: %s", avro_strerror());
    } else if (!is_avro_record(entry->schema)) {
        snprintf(reason, sizeof(reason), "not a record with an id");
    } else if (!(entry->iface = avro_generic_class_from_schema(entry->schema))) {
        snprintf(reason, sizeof(reason), "bad schema: %s", avro_strerror());
    } else {
        entry->id_logical = id_logical(text);
        return entry;
    }
    entry->failure = strdup(reason);
    if (!entry->failure) {
        abort();
    }
    return entry;
}

struct br_rowkey *br_rowkey_create(struct br_registry *registry)
{
    struct br_rowkey *rowkey = calloc(1, sizeof(*rowkey));

    if (!rowkey) {
        abort();
    }
    rowkey->registry = registry;
    return rowkey;
}

void br_rowkey_destroy(struct br_rowkey *rowkey)
{
    if (!rowkey) {
        return;
    }
    for (size_t i = 0; i < rowkey->count; i++) {
        schema_destroy(rowkey->schemas[i]);
    }
    free(rowkey->schemas);
    free(rowkey);
}

/* The cached schema of id (0: the built-in one), built on first use. */
static enum br_decode_status schema_for(struct br_rowkey *rowkey, int32_t id,
                                        struct key_schema **out, char *errstr,
                                        size_t errstr_size)
{
    struct key_schema *entry = NULL;
    const char *text = BR_ROWKEY_SCHEMA;

    for (size_t i = 0; i < rowkey->count && !entry; i++) {
        if (rowkey->schemas[i]->id == id) {
            entry = rowkey->schemas[i];
        }
    }
    if (!entry) {
        if (id != 0) {
            char why[512] = "";
            enum br_registry_status status;

            if (!rowkey->registry) {
                snprintf(errstr, errstr_size, "key schema id %d: no schema registry configured",
                         id);
                return BR_DECODE_BAD;
            }
            status = br_registry_schema(rowkey->registry, id, &text, why, sizeof(why));
            if (status == BR_REGISTRY_NOT_FOUND) {
                snprintf(errstr, errstr_size, "unknown key schema id %d", id);
                return BR_DECODE_BAD;
            }
            if (status != BR_REGISTRY_OK) {
                snprintf(errstr, errstr_size, "key schema id %d: %s", id, why);
                return BR_DECODE_RETRY;
            }
        }
        struct key_schema **grown =
            realloc(rowkey->schemas, (rowkey->count + 1) * sizeof(*rowkey->schemas));
        if (!grown) {
            abort();
        }
        rowkey->schemas = grown;
        entry = schema_build(id, text);
        rowkey->schemas[rowkey->count++] = entry;
    }
    if (entry->failure) {
        snprintf(errstr, errstr_size, "key schema%s: %s", id ? "" : " (built-in)",
                 entry->failure);
        return BR_DECODE_BAD;
    }
    *out = entry;
    return BR_DECODE_OK;
}

/* The id field of record as text; 0, or -1 with errstr. */
static int id_text(const struct key_schema *entry, avro_value_t *record, char *id,
                   size_t id_size, char *errstr, size_t errstr_size)
{
    avro_value_t field;
    avro_value_t branch;
    int64_t number = 0;
    int32_t small = 0;
    const char *text = NULL;
    const void *bytes = NULL;
    size_t size = 0;
    char decimal[BR_LOGICAL_DECIMAL_TEXT_MAX];
    char why[256];

    if (avro_value_get_by_name(record, "id", &field, NULL) != 0) {
        snprintf(errstr, errstr_size, "key has no field id");
        return -1;
    }
    if (avro_value_get_type(&field) == AVRO_UNION &&
        avro_value_get_current_branch(&field, &branch) == 0) {
        field = branch;
    }
    switch (avro_value_get_type(&field)) {
    case AVRO_INT32:
        avro_value_get_int(&field, &small);
        snprintf(id, id_size, "%" PRId32, small);
        return 0;
    case AVRO_INT64:
        avro_value_get_long(&field, &number);
        snprintf(id, id_size, "%" PRId64, number);
        return 0;
    case AVRO_STRING:
        avro_value_get_string(&field, &text, &size);
        if (size < 2 || size - 1 >= id_size || strlen(text) != size - 1 ||
            strspn(text, "0123456789") != size - 1) {
            snprintf(errstr, errstr_size, "key id is a string but not digits");
            return -1;
        }
        memcpy(id, text, size);
        return 0;
    case AVRO_BYTES:
    case AVRO_FIXED:
        if (entry->id_logical.kind != BR_LOGICAL_DECIMAL) {
            break;
        }
        if (avro_value_get_type(&field) == AVRO_BYTES) {
            avro_value_get_bytes(&field, &bytes, &size);
        } else {
            avro_value_get_fixed(&field, &bytes, &size);
        }
        if (br_logical_decimal_text(bytes, size, entry->id_logical.scale, decimal,
                                    sizeof(decimal), why, sizeof(why)) != 0) {
            snprintf(errstr, errstr_size, "key id: %s", why);
            return -1;
        }
        if (strchr(decimal, '.') || strlen(decimal) >= id_size) {
            snprintf(errstr, errstr_size, "key id %.40s is not a whole number of at most %zu "
                     "characters", decimal, id_size - 1);
            return -1;
        }
        snprintf(id, id_size, "%s", decimal);
        return 0;
    default:
        break;
    }
    snprintf(errstr, errstr_size, "key id is not an int, a long, digits or a decimal");
    return -1;
}

enum br_decode_status br_rowkey_id(struct br_rowkey *rowkey, const struct br_conf_topic *topic,
                                   const void *key, size_t len,
                                   const struct br_value_headers *headers, char *id,
                                   size_t id_size, char *errstr, size_t errstr_size)
{
    const uint8_t *bytes = key;
    struct key_schema *entry = NULL;
    enum br_decode_status status;
    int32_t schema_id = 0;
    size_t used = 0;
    avro_reader_t reader;
    avro_value_t value;
    char why[256];

    if (id_size > 0) {
        id[0] = '\0';
    }
    if (!key || len == 0) {
        snprintf(errstr, errstr_size, "no key");
        return BR_DECODE_BAD;
    }
    if (len > KEY_MAX_BYTES) {
        snprintf(errstr, errstr_size, "key of %zu bytes is larger than %u", len, KEY_MAX_BYTES);
        return BR_DECODE_BAD;
    }
    if (topic->format == BR_FORMAT_CONFLUENT) {
        bool from_header = false;

        if (br_framing_split(key, len, headers, &schema_id, &bytes, &len, &from_header, why,
                             sizeof(why)) != 0) {
            snprintf(errstr, errstr_size, "key: %s", why);
            return BR_DECODE_BAD;
        }
    }
    status = schema_for(rowkey, schema_id, &entry, errstr, errstr_size);
    if (status != BR_DECODE_OK) {
        return status;
    }
    switch (br_avrocheck_datum(entry->schema, bytes, len, KEY_MAX_VALUES, &used, why,
                               sizeof(why))) {
    case BR_AVROCHECK_OK:
        break;
    default:
        snprintf(errstr, errstr_size, "corrupt Avro key: %s", why);
        return BR_DECODE_BAD;
    }
    if (used != len) {
        snprintf(errstr, errstr_size, "corrupt Avro key: %zu trailing bytes", len - used);
        return BR_DECODE_BAD;
    }
    /* a value per key: keys are rare (tombstones), and none is kept across calls */
    if (avro_generic_value_new(entry->iface, &value) != 0) {
        abort();
    }
    reader = avro_reader_memory((const char *)bytes, (int64_t)len);
    if (!reader) {
        abort();
    }
    if (avro_value_read(reader, &value) != 0) {
        snprintf(errstr, errstr_size, "corrupt Avro key: %s", avro_strerror());
        status = BR_DECODE_BAD;
    } else if (id_text(entry, &value, id, id_size, errstr, errstr_size) != 0) {
        status = BR_DECODE_BAD;
    }
    avro_reader_free(reader);
    avro_value_decref(&value);
    return status;
}
