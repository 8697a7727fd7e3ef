#include "avro/decode.h"

#include <avro.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/avrocheck.h"
#include "avro/avrojson.h"
#include "avro/dbzvalue.h"
#include "avro/logical.h"
#include "avro/schemabounds.h"
#include "avro/timecols.h"
#include "core/utf8.h"

/* Larger values are refused before any parsing. */
#define MAX_VALUE_BYTES (16u * 1024 * 1024)

enum side { SIDE_BEFORE, SIDE_AFTER };

static const char *const side_names[] = {"before", "after"};

/*
 * One writer schema: by registry id (text NULL) or by topic schema text. A schema that cannot
 * be built is kept too, with the reason (failure), so that it is refused at once the next
 * time instead of being parsed again for every message.
 */
struct schema_entry {
    int32_t id;
    char *text;
    char *failure;                 /* why it cannot be used; NULL when it can */
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value; /* reused for every message of this schema */
    enum br_timecol_kind *kinds[2]; /* per column of before/after; NULL when unknown */
    size_t kind_count[2];
    struct br_logical *logical[2]; /* the same for the other logical types */
    size_t logical_count[2];
    bool debezium;                 /* one of Debezium's own messages (dbzvalue.h): */
    enum br_skip_reason skip;      /* why it is not an event */
};

struct br_decoder {
    struct br_registry *registry;
    size_t max_elements;           /* Avro values per message */
    struct schema_entry **entries;
    size_t count;
};

static enum br_decode_status bad(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum br_decode_status bad(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
    return BR_DECODE_BAD;
}

/* ---- schema cache ---- */

/* Gives back what avro-c built for entry. */
static void entry_drop_avro(struct schema_entry *entry)
{
    if (entry->value.iface) {
        avro_value_decref(&entry->value);
        entry->value.iface = NULL;
    }
    if (entry->iface) {
        avro_value_iface_decref(entry->iface);
        entry->iface = NULL;
    }
    if (entry->schema) {
        avro_schema_decref(entry->schema);
        entry->schema = NULL;
    }
}

static void entry_destroy(struct schema_entry *entry)
{
    if (!entry) {
        return;
    }
    entry_drop_avro(entry);
    free(entry->kinds[0]);
    free(entry->kinds[1]);
    free(entry->logical[0]);
    free(entry->logical[1]);
    free(entry->text);
    free(entry->failure);
    free(entry);
}

/* Builds the avro-c schema, class and value of text; 0, or -1 with the reason in errstr. */
static int entry_build(struct schema_entry *entry, const char *text, char *errstr,
                       size_t errstr_size)
{
    char why[256];

    /* before avro-c allocates anything: it trusts every size a schema declares */
    if (br_schemabounds_check(text, strlen(text), why, sizeof(why)) != 0) {
        snprintf(errstr, errstr_size, "schema over a limit: %s", why);
        return -1;
    }
    if (avro_schema_from_json_length(text, strlen(text), &entry->schema) != 0) {
        snprintf(errstr, errstr_size, "bad schema: %s", avro_strerror());
        entry->schema = NULL;
        return -1;
    }
    entry->iface = avro_generic_class_from_schema(entry->schema);
    if (!entry->iface) {
        snprintf(errstr, errstr_size, "bad schema: %s", avro_strerror());
        return -1;
    }
    if (avro_generic_value_new(entry->iface, &entry->value) != 0) {
        snprintf(errstr, errstr_size, "bad schema: %s", avro_strerror());
        entry->value.iface = NULL;
        return -1;
    }
    return 0;
}

/* The entry of text; one that cannot be used has its reason in failure. */
static struct schema_entry *entry_create(int32_t id, const char *text, int keep_text)
{
    struct schema_entry *entry = calloc(1, sizeof(*entry));
    char why[512];

    if (!entry) {
        abort();
    }
    entry->id = id;
    if (keep_text) {
        entry->text = strdup(text);
        if (!entry->text) {
            abort();
        }
    }
    if (entry_build(entry, text, why, sizeof(why)) != 0) {
        /* only the reason is kept */
        entry_drop_avro(entry);
        entry->failure = strdup(why);
        if (!entry->failure) {
            abort();
        }
        return entry;
    }
    entry->kinds[SIDE_BEFORE] = br_timecols_classify(text, "before", &entry->kind_count[0]);
    entry->kinds[SIDE_AFTER] = br_timecols_classify(text, "after", &entry->kind_count[1]);
    entry->logical[SIDE_BEFORE] = br_logical_classify(text, "before", &entry->logical_count[0]);
    entry->logical[SIDE_AFTER] = br_logical_classify(text, "after", &entry->logical_count[1]);
    entry->debezium = br_dbzvalue_reason(text, &entry->skip);
    return entry;
}

static void cache_add(struct br_decoder *decoder, struct schema_entry *entry)
{
    struct schema_entry **grown =
        realloc(decoder->entries, (decoder->count + 1) * sizeof(*decoder->entries));

    if (!grown) {
        abort();
    }
    decoder->entries = grown;
    decoder->entries[decoder->count++] = entry;
}

static enum br_decode_status schema_by_id(struct br_decoder *decoder, int32_t id,
                                          struct schema_entry **out, char *errstr,
                                          size_t errstr_size)
{
    const char *text = NULL;
    char why[512];
    enum br_registry_status status;
    struct schema_entry *entry = NULL;

    for (size_t i = 0; i < decoder->count && !entry; i++) {
        if (!decoder->entries[i]->text && decoder->entries[i]->id == id) {
            entry = decoder->entries[i];
        }
    }
    if (!entry) {
        if (!decoder->registry) {
            return bad(errstr, errstr_size, "schema id %d: no schema registry configured", id);
        }
        why[0] = '\0';
        status = br_registry_schema(decoder->registry, id, &text, why, sizeof(why));
        if (status == BR_REGISTRY_NOT_FOUND) {
            return bad(errstr, errstr_size, "unknown schema id %d", id);
        }
        if (status != BR_REGISTRY_OK) {
            snprintf(errstr, errstr_size, "schema id %d: %s", id, why);
            return BR_DECODE_RETRY;
        }
        entry = entry_create(id, text, 0);
        cache_add(decoder, entry);
    }
    if (entry->failure) {
        return bad(errstr, errstr_size, "schema id %d: %s", id, entry->failure);
    }
    *out = entry;
    return BR_DECODE_OK;
}

static enum br_decode_status schema_by_text(struct br_decoder *decoder, const char *text,
                                            struct schema_entry **out, char *errstr,
                                            size_t errstr_size)
{
    struct schema_entry *entry = NULL;

    for (size_t i = 0; i < decoder->count && !entry; i++) {
        if (decoder->entries[i]->text && strcmp(decoder->entries[i]->text, text) == 0) {
            entry = decoder->entries[i];
        }
    }
    if (!entry) {
        entry = entry_create(0, text, 1);
        cache_add(decoder, entry);
    }
    if (entry->failure) {
        return bad(errstr, errstr_size, "topic schema: %s", entry->failure);
    }
    *out = entry;
    return BR_DECODE_OK;
}

struct br_decoder *br_decoder_create(struct br_registry *registry)
{
    struct br_decoder *decoder = calloc(1, sizeof(*decoder));

    if (!decoder) {
        abort();
    }
    decoder->registry = registry;
    decoder->max_elements = (size_t)BR_CONF_MAX_ELEMENTS_DEFAULT;
    return decoder;
}

void br_decoder_set_max_elements(struct br_decoder *decoder, size_t max_elements)
{
    decoder->max_elements = max_elements > 0 ? max_elements : (size_t)BR_CONF_MAX_ELEMENTS_DEFAULT;
}

void br_decoder_destroy(struct br_decoder *decoder)
{
    if (!decoder) {
        return;
    }
    for (size_t i = 0; i < decoder->count; i++) {
        entry_destroy(decoder->entries[i]);
    }
    free(decoder->entries);
    free(decoder);
}

/* ---- envelope ---- */

/* value with unions unwrapped (a union of unions cannot exist in Avro) */
static void unwrap(avro_value_t *value)
{
    avro_value_t branch;

    if (avro_value_get_type(value) == AVRO_UNION &&
        avro_value_get_current_branch(value, &branch) == 0) {
        *value = branch;
    }
}

/* A datetime column. Returns 0, or -1 with errstr set. */
static int add_time(struct br_row *row, const char *name, avro_value_t *value,
                    enum br_timecol_kind kind, char *errstr, size_t errstr_size)
{
    int64_t raw = 0;
    int64_t us = 0;
    avro_type_t type;

    unwrap(value);
    type = avro_value_get_type(value);
    if (type == AVRO_NULL) {
        br_row_add_value(row, name, json_null());
        return 0;
    }
    if (kind == BR_TIMECOL_ZONED && type == AVRO_STRING) {
        const char *s = NULL;
        size_t size = 0;
        avro_value_get_string(value, &s, &size);
        if (br_timecols_parse_zoned(s, size ? size - 1 : 0, &us) != 0) {
            snprintf(errstr, errstr_size, "bad ZonedTimestamp");
            return -1;
        }
    } else if (kind != BR_TIMECOL_ZONED && type == AVRO_INT64) {
        avro_value_get_long(value, &raw);
        if (br_timecols_to_us(raw, kind, &us) != 0) {
            snprintf(errstr, errstr_size, "timestamp out of range");
            return -1;
        }
    } else {
        snprintf(errstr, errstr_size, "datetime of unexpected type");
        return -1;
    }
    br_row_add_time(row, name, us);
    return 0;
}

static enum br_decode_status row_from(struct schema_entry *entry, enum side side,
                                      avro_value_t *record, struct br_row **out, char *errstr,
                                      size_t errstr_size)
{
    char why[256];
    size_t count = 0;
    struct br_row *row = NULL;

    avro_value_get_size(record, &count);
    row = br_row_create(count < 8 ? 8 : count);
    for (size_t i = 0; i < count; i++) {
        avro_value_t column;
        const char *name = NULL;
        enum br_timecol_kind kind = BR_TIMECOL_NONE;
        const struct br_logical *logical = NULL;

        if (i < entry->kind_count[side]) {
            kind = entry->kinds[side][i];
        }
        if (i < entry->logical_count[side] &&
            entry->logical[side][i].kind != BR_LOGICAL_NONE) {
            logical = &entry->logical[side][i];
        }

        if (avro_value_get_by_index(record, i, &column, &name) != 0 || !name) {
            bad(errstr, errstr_size, "%s: %s", side_names[side], avro_strerror());
            goto fail;
        }
        if (kind != BR_TIMECOL_NONE) {
            if (add_time(row, name, &column, kind, why, sizeof(why)) != 0) {
                bad(errstr, errstr_size, "%s.%s: %s", side_names[side], name, why);
                goto fail;
            }
        } else if (logical) {
            if (br_logical_add(row, name, &column, logical, why, sizeof(why)) != 0) {
                bad(errstr, errstr_size, "%s.%s: %s", side_names[side], name, why);
                goto fail;
            }
        } else {
            json_t *json = NULL;

            if (br_avrojson_value(&column, &json, why, sizeof(why)) != 0) {
                bad(errstr, errstr_size, "%s.%s: %s", side_names[side], name, why);
                goto fail;
            }
            br_row_add_value(row, name, json);
        }
    }
    *out = row;
    return BR_DECODE_OK;
fail:
    br_row_destroy(row);
    return BR_DECODE_BAD;
}

/* A long field of record (unions unwrapped); 1 when present and non-null. */
static int long_field(avro_value_t *record, const char *name, int64_t *out)
{
    avro_value_t field;

    if (avro_value_get_type(record) != AVRO_RECORD ||
        avro_value_get_by_name(record, name, &field, NULL) != 0) {
        return 0;
    }
    unwrap(&field);
    if (avro_value_get_type(&field) == AVRO_INT64) {
        return avro_value_get_long(&field, out) == 0;
    }
    if (avro_value_get_type(&field) == AVRO_INT32) {
        int32_t i = 0;
        int ok = avro_value_get_int(&field, &i) == 0;
        *out = i;
        return ok;
    }
    return 0;
}

static enum br_decode_status timestamp(avro_value_t *envelope, int64_t *ts_us, char *errstr,
                                       size_t errstr_size)
{
    avro_value_t source;
    int64_t v = 0;

    if (avro_value_get_by_name(envelope, "source", &source, NULL) == 0) {
        unwrap(&source);
        if (long_field(&source, "ts_us", &v)) {
            *ts_us = v;
            return BR_DECODE_OK;
        }
        if (long_field(&source, "ts_ms", &v)) {
            goto millis;
        }
    }
    if (long_field(envelope, "ts_us", &v)) {
        *ts_us = v;
        return BR_DECODE_OK;
    }
    if (long_field(envelope, "ts_ms", &v)) {
        goto millis;
    }
    return bad(errstr, errstr_size, "no timestamp (source.ts_us, source.ts_ms, ts_us, ts_ms)");
millis:
    if (__builtin_mul_overflow(v, 1000, ts_us)) {
        return bad(errstr, errstr_size, "timestamp out of range");
    }
    return BR_DECODE_OK;
}

static enum br_decode_status row_field(struct schema_entry *entry, avro_value_t *envelope,
                                       enum side side, struct br_row **out, char *errstr,
                                       size_t errstr_size)
{
    avro_value_t field;

    *out = NULL;
    if (avro_value_get_by_name(envelope, side_names[side], &field, NULL) != 0) {
        return BR_DECODE_OK;
    }
    unwrap(&field);
    if (avro_value_get_type(&field) == AVRO_NULL) {
        return BR_DECODE_OK;
    }
    if (avro_value_get_type(&field) != AVRO_RECORD) {
        return bad(errstr, errstr_size, "%s is not a record", side_names[side]);
    }
    return row_from(entry, side, &field, out, errstr, errstr_size);
}

static enum br_decode_status envelope(struct schema_entry *entry, struct br_change *out,
                                      char *errstr, size_t errstr_size)
{
    avro_value_t *root = &entry->value;
    avro_value_t op_value;
    const char *op = NULL;
    size_t size = 0;
    enum br_decode_status status;

    if (avro_value_get_type(root) != AVRO_RECORD) {
        return bad(errstr, errstr_size, "not an envelope: top-level type is not a record");
    }
    if (avro_value_get_by_name(root, "op", &op_value, NULL) != 0) {
        return bad(errstr, errstr_size, "not an envelope: no op field");
    }
    unwrap(&op_value);
    if (avro_value_get_type(&op_value) != AVRO_STRING ||
        avro_value_get_string(&op_value, &op, &size) != 0) {
        return bad(errstr, errstr_size, "not an envelope: op is not a string");
    }
    if (size != 2 || !strchr("cudrt", op[0])) {
        int printable = br_utf8_valid_nul(op, size ? size - 1 : 0);

        return bad(errstr, errstr_size, "unknown op \"%.16s\"", printable ? op : "?");
    }
    if (op[0] == 't') {
        snprintf(errstr, errstr_size, "truncate");
        out->skip = BR_SKIP_TRUNCATE;
        return BR_DECODE_SKIP;
    }
    out->op = (enum br_op)op[0];
    status = timestamp(root, &out->ts_us, errstr, errstr_size);
    if (status == BR_DECODE_OK) {
        status = row_field(entry, root, SIDE_BEFORE, &out->before, errstr, errstr_size);
    }
    if (status == BR_DECODE_OK) {
        status = row_field(entry, root, SIDE_AFTER, &out->after, errstr, errstr_size);
    }
    if (status == BR_DECODE_OK && out->op == BR_OP_DELETE && !out->before) {
        status = bad(errstr, errstr_size, "op d without before");
    }
    if (status == BR_DECODE_OK && out->op != BR_OP_DELETE && !out->after) {
        status = bad(errstr, errstr_size, "op %c without after", op[0]);
    }
    return status;
}

enum br_decode_status br_decode(struct br_decoder *decoder, const struct br_conf_topic *topic,
                                const void *value, size_t len, struct br_change *out,
                                char *errstr, size_t errstr_size)
{
    return br_decode_message(decoder, topic, value, len, NULL, out, errstr, errstr_size);
}

enum br_decode_status br_decode_message(struct br_decoder *decoder,
                                        const struct br_conf_topic *topic, const void *value,
                                        size_t len, const struct br_value_headers *headers,
                                        struct br_change *out, char *errstr, size_t errstr_size)
{
    const uint8_t *bytes = value;
    struct schema_entry *entry = NULL;
    enum br_decode_status status;
    enum br_skip_reason skip = BR_SKIP_TOMBSTONE;
    avro_reader_t reader = NULL;
    size_t used = 0;
    char why[512];

    memset(out, 0, sizeof(*out));
    if (len == 0 || !value) {
        snprintf(errstr, errstr_size, "tombstone");
        out->skip = BR_SKIP_TOMBSTONE;
        return BR_DECODE_SKIP;
    }
    if (len > MAX_VALUE_BYTES) {
        return bad(errstr, errstr_size, "value of %zu bytes is larger than %u", len,
                   MAX_VALUE_BYTES);
    }
    if (topic->format == BR_FORMAT_CONFLUENT) {
        int32_t id = 0;
        bool from_header = false;

        if (br_framing_split(value, len, headers, &id, &bytes, &len, &from_header, errstr,
                             errstr_size) != 0) {
            return BR_DECODE_BAD;
        }
        status = schema_by_id(decoder, id, &entry, errstr, errstr_size);
        if (status == BR_DECODE_BAD && from_header) {
            /* say where the id came from: the value itself has none */
            snprintf(why, sizeof(why), "%s", errstr);
            snprintf(errstr, errstr_size, "%s (from the Kafka header %s)", why,
                     BR_FRAMING_CONTENT_ID_HEADER);
        }
    } else if (!topic->schema_json) {
        return bad(errstr, errstr_size, "topic has no schema");
    } else {
        status = schema_by_text(decoder, topic->schema_json, &entry, errstr, errstr_size);
    }
    if (status != BR_DECODE_OK) {
        return status;
    }
    if (entry->debezium) {
        snprintf(errstr, errstr_size, "Debezium %s message", br_skip_reason_name(entry->skip));
        out->skip = entry->skip;
        return BR_DECODE_SKIP;
    }
    switch (br_avrocheck_datum(entry->schema, bytes, len, decoder->max_elements, &used, why,
                               sizeof(why))) {
    case BR_AVROCHECK_OK:
        break;
    case BR_AVROCHECK_TOO_BIG:
        return bad(errstr, errstr_size, "message over a limit: %s (limits.max_elements)", why);
    case BR_AVROCHECK_CORRUPT:
        return bad(errstr, errstr_size, "corrupt Avro: %s", why);
    }
    if (used != len) {
        return bad(errstr, errstr_size, "corrupt Avro: %zu trailing bytes after the record",
                   len - used);
    }
    reader = avro_reader_memory((const char *)bytes, (int64_t)len);
    if (!reader) {
        abort();
    }
    if (avro_value_read(reader, &entry->value) != 0) {
        status = bad(errstr, errstr_size, "corrupt Avro: %s", avro_strerror());
        goto done;
    }
    status = envelope(entry, out, errstr, errstr_size);
    skip = out->skip;
done:
    avro_reader_free(reader);
    if (status != BR_DECODE_OK) {
        br_change_finish(out);
        memset(out, 0, sizeof(*out));
        out->skip = skip;
    }
    return status;
}
