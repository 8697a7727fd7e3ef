/*
 * Change record -> the PERSCOM payload of perscom-wire.md. The rules in detail (and the
 * decisions where PERSCOM leaves a choice) are written down in tests/golden/README.md, and
 * tests/golden/expected.php implements them again in PHP.
 */
#include "perscom/render.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "perscom/casts.h"

#define CUSTOM_COLUMN "data"
#define LABEL_KEY "label"

/* The namespace of derived request ids (UUIDv5): 6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8. */
static const unsigned char request_id_namespace[16] = {
    0x6f, 0x1c, 0x3a, 0x52, 0x8d, 0x0e, 0x4b, 0x7a,
    0x9c, 0x25, 0x3e, 0x41, 0xd7, 0xf0, 0xb9, 0xa8,
};

static void split_time(int64_t time_us, struct tm *tm, long *micros)
{
    int64_t secs = time_us / 1000000;
    int64_t rem = time_us % 1000000;
    time_t t;

    if (rem < 0) {
        rem += 1000000;
        secs -= 1;
    }
    t = (time_t)secs;
    memset(tm, 0, sizeof(*tm));
    gmtime_r(&t, tm);
    *micros = (long)rem;
}

/* Like PHP's date('Y-m-d H:i:s'): at least four year digits, a minus sign before year 0. */
static void format_time(int64_t time_us, int iso, char out[32])
{
    struct tm tm;
    long micros;
    long long year;
    char text[96];

    split_time(time_us, &tm, &micros);
    year = (long long)tm.tm_year + 1900;
    snprintf(text, sizeof(text), "%s%04lld-%02d-%02d%c%02d:%02d:%02d", year < 0 ? "-" : "",
             year < 0 ? -year : year, tm.tm_mon + 1, tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    if (iso) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, ".%06ldZ", micros);
    }
    text[31] = '\0'; /* years of up to six digits fit */
    memcpy(out, text, 32);
}

void br_render_iso_time(int64_t time_us, char out[32])
{
    format_time(time_us, 1, out);
}

void br_render_raw_time(int64_t time_us, char out[32])
{
    format_time(time_us, 0, out);
}

void br_render_derived_uuid(const char *topic, int32_t partition, int64_t offset, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char suffix[48];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t pos = 0;

    if (!ctx) {
        abort();
    }
    snprintf(suffix, sizeof(suffix), "/%" PRId32 "/%" PRId64, partition, offset);
    if (!EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
        !EVP_DigestUpdate(ctx, request_id_namespace, sizeof(request_id_namespace)) ||
        !EVP_DigestUpdate(ctx, topic ? topic : "", topic ? strlen(topic) : 0) ||
        !EVP_DigestUpdate(ctx, suffix, strlen(suffix)) ||
        !EVP_DigestFinal_ex(ctx, digest, &digest_len)) {
        abort(); /* SHA-1 of a few bytes cannot fail short of a broken OpenSSL */
    }
    EVP_MD_CTX_free(ctx);
    digest[6] = (unsigned char)((digest[6] & 0x0f) | 0x50); /* version 5 */
    digest[8] = (unsigned char)((digest[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[pos++] = '-';
        }
        out[pos++] = hex[digest[i] >> 4];
        out[pos++] = hex[digest[i] & 0xf];
    }
    out[pos] = '\0';
}

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_custom_column(const struct br_resource *resource, const char *name)
{
    return resource->custom_fields && strcmp(name, CUSTOM_COLUMN) == 0;
}

/*
 * Parses the custom-field column: an object (its keys become fields), or an empty array
 * (how PHP stores an empty set). Returns a new object, or NULL with a message.
 */
static json_t *parse_custom_fields(const json_t *column, char *errstr, size_t errstr_size)
{
    json_error_t error;
    json_t *parsed;
    json_t *converted;

    if (json_is_null(column)) {
        return json_object();
    }
    if (!json_is_string(column)) {
        snprintf(errstr, errstr_size, "custom-field column \"%s\" is not a string",
                 CUSTOM_COLUMN);
        return NULL;
    }
    parsed = json_loadb(json_string_value(column), json_string_length(column), JSON_ALLOW_NUL,
                        &error);
    if (!parsed) {
        snprintf(errstr, errstr_size, "custom-field column \"%s\" is not valid JSON: %s",
                 CUSTOM_COLUMN, error.text);
        return NULL;
    }
    if (json_is_array(parsed) && json_array_size(parsed) == 0) {
        json_decref(parsed);
        return json_object();
    }
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        snprintf(errstr, errstr_size, "custom-field column \"%s\" is not a JSON object",
                 CUSTOM_COLUMN);
        return NULL;
    }
    /* the top level stays an object: its keys are merged into data one by one */
    converted = json_object();
    const char *key;
    json_t *member;
    json_object_foreach(parsed, key, member) {
        json_object_set_new(converted, key, br_casts_php_array(member));
    }
    json_decref(parsed);
    return converted;
}

static json_t *build_data(const struct br_resource *resource, const struct br_row *row,
                          char *errstr, size_t errstr_size)
{
    json_t *data = json_object();
    json_t *custom = NULL;
    const struct br_field *id;
    struct br_buf label;
    json_t *label_value;
    json_t *value;
    char why[256];

    br_buf_init(&label, 0);

    for (size_t i = 0; i < row->count; i++) {
        const struct br_field *field = &row->fields[i];

        if (in_list(resource->hidden, field->name)) {
            continue;
        }
        if (is_custom_column(resource, field->name)) {
            if (custom || field->kind != BR_FIELD_VALUE) {
                snprintf(errstr, errstr_size, "custom-field column \"%s\" is not a string",
                         CUSTOM_COLUMN);
                goto fail;
            }
            custom = parse_custom_fields(field->value, errstr, errstr_size);
            if (!custom) {
                goto fail;
            }
            continue;
        }
        value = br_casts_data(br_catalog_column(resource, field->name), field, why, sizeof(why));
        if (!value) {
            snprintf(errstr, errstr_size, "column \"%s\": %s", field->name, why);
            goto fail;
        }
        json_object_set_new(data, field->name, value);
    }
    if (custom) {
        const char *key;
        json_t *member;
        json_object_foreach(custom, key, member) {
            /* a column of the row (hidden ones and the custom column too) wins, as does label */
            if (br_row_find(row, key) || strcmp(key, LABEL_KEY) == 0) {
                continue;
            }
            json_object_set(data, key, member);
        }
    }

    br_buf_printf(&label, "%s: ", resource->label_prefix);
    id = br_row_find(row, "id");
    value = id ? br_casts_data(br_catalog_column(resource, "id"), id, why, sizeof(why)) : NULL;
    if (json_is_integer(value)) {
        br_buf_printf(&label, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    } else if (json_is_string(value)) {
        br_buf_append(&label, json_string_value(value), json_string_length(value));
    }
    json_decref(value);
    label_value = label.overflow ? NULL : json_stringn(label.data, label.len);
    if (!label_value) {
        snprintf(errstr, errstr_size, "the id is not valid UTF-8");
        goto fail;
    }
    json_object_set_new(data, LABEL_KEY, label_value);
    br_buf_finish(&label);
    json_decref(custom);
    return data;
fail:
    br_buf_finish(&label);
    json_decref(custom);
    json_decref(data);
    return NULL;
}

static int field_changed(const struct br_field *after, const struct br_field *before)
{
    return !before || !br_field_equal(after, before);
}

static json_t *build_changes(const struct br_resource *resource, const struct br_change *change,
                             char *errstr, size_t errstr_size)
{
    json_t *changes = json_object();
    char why[256];

    for (size_t i = 0; change->after && i < change->after->count; i++) {
        const struct br_field *field = &change->after->fields[i];
        const struct br_field *before =
            change->before ? br_row_find(change->before, field->name) : NULL;
        json_t *value;

        if (in_list(resource->hidden, field->name) || !field_changed(field, before)) {
            continue;
        }
        value = br_casts_raw(br_catalog_column(resource, field->name), field, why, sizeof(why));
        if (!value) {
            snprintf(errstr, errstr_size, "column \"%s\": %s", field->name, why);
            json_decref(changes);
            return NULL;
        }
        json_object_set_new(changes, field->name, value);
    }
    if (json_object_size(changes) == 0) {
        /* PHP writes an empty array as [] */
        json_decref(changes);
        return json_array();
    }
    return changes;
}

json_t *br_render_payload(const struct br_render_input *in, char *errstr, size_t errstr_size)
{
    json_t *payload = NULL;
    json_t *data = NULL;
    json_t *changes = NULL;
    const struct br_row *row;
    char event[128];
    char text[40];

    if (!in || !in->resource || !in->change || in->action >= BR_ACTION_COUNT) {
        snprintf(errstr, errstr_size, "incomplete render input");
        goto fail;
    }
    row = in->action == BR_ACTION_DELETED ? in->change->before : in->change->after;
    if (!row) {
        snprintf(errstr, errstr_size, "the change has no %s image",
                 in->action == BR_ACTION_DELETED ? "before" : "after");
        goto fail;
    }
    data = build_data(in->resource, row, errstr, errstr_size);
    if (!data) {
        goto fail;
    }
    if (in->action == BR_ACTION_UPDATED) {
        changes = build_changes(in->resource, in->change, errstr, errstr_size);
        if (!changes) {
            goto fail;
        }
    } else {
        changes = json_array();
    }

    payload = json_object();
    br_catalog_event_name(in->resource, in->action, event, sizeof(event));
    json_object_set_new(payload, "event", json_string(event));
    br_render_iso_time(in->change->ts_us, text);
    json_object_set_new(payload, "created", json_string(text));
    if (in->request_id) {
        json_object_set_new(payload, "request_id", json_string(in->request_id));
    } else {
        br_render_derived_uuid(in->topic, in->partition, in->offset, text);
        json_object_set_new(payload, "request_id", json_string(text));
    }
    json_object_set_new(payload, "trace_id", in->trace_id ? json_string(in->trace_id)
                                                          : json_null());
    if (!json_object_get(payload, "request_id") || !json_object_get(payload, "trace_id")) {
        snprintf(errstr, errstr_size, "request_id or trace_id is not valid UTF-8");
        goto fail;
    }
    json_object_set_new(payload, "data", data);
    data = NULL;
    json_object_set_new(payload, "changes", changes);
    return payload;
fail:
    json_decref(payload);
    json_decref(data);
    json_decref(changes);
    return NULL;
}
