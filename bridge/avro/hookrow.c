/*
 * A webhooks-topic message -> a change to the tenant's table hooks (see hookrow.h): the value
 * decoded as any record topic's (decode.c, with the table_hooks framing), a tombstone's id read
 * from its key (rowkey.c), the row's columns handed to config/tablehook.c.
 */
#include "avro/hookrow.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/rowkey.h"
#include "perscom/change.h"

struct br_hookrows {
    struct br_decoder *decoder;
    struct br_rowkey *keys;
};

struct br_hookrows *br_hookrows_create(struct br_decoder *decoder, struct br_registry *registry)
{
    struct br_hookrows *rows = calloc(1, sizeof(*rows));

    if (!rows) {
        abort();
    }
    rows->decoder = decoder;
    rows->keys = br_rowkey_create(registry);
    return rows;
}

void br_hookrows_destroy(struct br_hookrows *rows)
{
    if (!rows) {
        return;
    }
    br_rowkey_destroy(rows->keys);
    free(rows);
}

void br_hookrow_finish(struct br_hookrow *row)
{
    if (row) {
        br_tablehook_free(row->hook);
        row->hook = NULL;
    }
}

const char *br_hookrow_kind_name(enum br_hookrow_kind kind)
{
    static const char *const names[] = {"upsert", "delete", "clear", "skip", "retry", "refused"};

    return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

static enum br_hookrow_kind finish_as(struct br_hookrow *out, enum br_hookrow_kind kind,
                                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum br_hookrow_kind finish_as(struct br_hookrow *out, enum br_hookrow_kind kind,
                                      const char *fmt, ...)
{
    va_list ap;

    out->kind = kind;
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
        va_end(ap);
    }
    return kind;
}

/* The id column as text into out; 0, 1 when missing or null, or -1 with why. */
static int row_id(const struct br_row *row, char *out, size_t out_size, char *why,
                  size_t why_size)
{
    const struct br_field *field = br_row_find(row, "id");
    const char *text;

    if (!field || (field->kind == BR_FIELD_VALUE && json_is_null(field->value))) {
        return 1;
    }
    if (field->kind == BR_FIELD_VALUE && json_is_integer(field->value)) {
        snprintf(out, out_size, "%" JSON_INTEGER_FORMAT, json_integer_value(field->value));
        return 0;
    }
    if ((field->kind == BR_FIELD_VALUE || field->kind == BR_FIELD_DECIMAL) &&
        json_is_string(field->value)) {
        const char *digits;
        size_t count;

        text = json_string_value(field->value);
        digits = text + (text[0] == '-');
        count = strspn(digits, "0123456789");
        /* digits only (a decimal's scale 0), at most 20 of them */
        if (count > 0 && count <= 20 && digits[count] == '\0' &&
            json_string_length(field->value) < out_size) {
            snprintf(out, out_size, "%s", text);
            return 0;
        }
    }
    snprintf(why, why_size, "id is not a whole number");
    return -1;
}

/* A text column: *out borrowed from the row (NULL when missing or null); -1 with why. */
static int text_column(const struct br_row *row, const char *name, const char **out,
                       size_t *len, char *why, size_t why_size)
{
    const struct br_field *field = br_row_find(row, name);

    *out = NULL;
    if (len) {
        *len = 0;
    }
    if (!field || (field->kind == BR_FIELD_VALUE && json_is_null(field->value))) {
        return 0;
    }
    if (field->kind != BR_FIELD_VALUE || !json_is_string(field->value)) {
        snprintf(why, why_size, "%s is not a string", name);
        return -1;
    }
    *out = json_string_value(field->value);
    if (len) {
        *len = json_string_length(field->value);
    } else if (strlen(*out) != json_string_length(field->value)) {
        snprintf(why, why_size, "%s holds a NUL byte", name);
        return -1;
    }
    return 0;
}

/* The hook of row (op c, u, r). */
static enum br_hookrow_kind upsert(const struct br_conf *conf, const char *tenant,
                                   const struct br_row *row, struct br_hookrow *out)
{
    struct br_tablehook_row columns = {.id = out->id};
    const struct br_field *events = br_row_find(row, "events");
    char why[256];

    if (text_column(row, "url", &columns.url, NULL, why, sizeof(why)) != 0 ||
        text_column(row, "method", &columns.method, NULL, why, sizeof(why)) != 0 ||
        text_column(row, "secret", &columns.secret, &columns.secret_len, why, sizeof(why)) != 0) {
        return finish_as(out, BR_HOOKROW_REFUSED, "%s", why);
    }
    if (events && events->kind != BR_FIELD_VALUE) {
        return finish_as(out, BR_HOOKROW_REFUSED, "events is neither JSON text nor an array");
    }
    columns.events = events ? events->value : NULL;
    out->hook = br_tablehook_build(conf, tenant, &columns, why, sizeof(why));
    if (!out->hook) {
        return finish_as(out, BR_HOOKROW_REFUSED, "%s", why);
    }
    return finish_as(out, BR_HOOKROW_UPSERT, NULL);
}

/* A tombstone: the key's id. */
static enum br_hookrow_kind tombstone(struct br_hookrows *rows, const struct br_conf *conf,
                                      const char *tenant, const struct br_hookrow_message *msg,
                                      struct br_hookrow *out)
{
    char why[256];

    switch (br_rowkey_id(rows->keys, &conf->table_hooks.topic, msg->key, msg->key_len,
                         msg->key_headers, out->id, sizeof(out->id), why, sizeof(why))) {
    case BR_DECODE_OK:
        break;
    case BR_DECODE_RETRY:
        out->id[0] = '\0';
        return finish_as(out, BR_HOOKROW_RETRY, "tombstone: %s", why);
    default:
        out->id[0] = '\0';
        return finish_as(out, BR_HOOKROW_REFUSED, "tombstone: %s", why);
    }
    if (br_tablehook_name(tenant, out->id, out->name, sizeof(out->name)) != 0) {
        out->id[0] = '\0';
        return finish_as(out, BR_HOOKROW_REFUSED, "tombstone: no hook name for its id");
    }
    return finish_as(out, BR_HOOKROW_DELETE, NULL);
}

enum br_hookrow_kind br_hookrows_decode(struct br_hookrows *rows, const struct br_conf *conf,
                                        const char *tenant, const struct br_hookrow_message *msg,
                                        struct br_hookrow *out)
{
    struct br_change change;
    enum br_decode_status status;
    enum br_hookrow_kind kind;
    const struct br_row *row;
    char why[512];
    int rc;

    memset(out, 0, sizeof(*out));
    if (!tenant || tenant[0] == '\0') {
        return finish_as(out, BR_HOOKROW_REFUSED, "no tenant");
    }
    if (!msg->value || msg->value_len == 0) {
        return tombstone(rows, conf, tenant, msg, out);
    }
    why[0] = '\0';
    status = br_decode_message(rows->decoder, &conf->table_hooks.topic, msg->value,
                               msg->value_len, msg->value_headers, &change, why, sizeof(why));
    switch (status) {
    case BR_DECODE_OK:
        break;
    case BR_DECODE_SKIP:
        if (change.skip == BR_SKIP_TRUNCATE) {
            return finish_as(out, BR_HOOKROW_CLEAR, NULL);
        }
        if (change.skip == BR_SKIP_TOMBSTONE) {
            return tombstone(rows, conf, tenant, msg, out);
        }
        return finish_as(out, BR_HOOKROW_SKIP, "%s", why);
    case BR_DECODE_RETRY:
        return finish_as(out, BR_HOOKROW_RETRY, "%s", why);
    default:
        return finish_as(out, BR_HOOKROW_REFUSED, "%s", why);
    }
    out->ts_us = change.ts_us;
    row = change.op == BR_OP_DELETE ? change.before : change.after;
    rc = row_id(row, out->id, sizeof(out->id), why, sizeof(why));
    if (rc != 0) {
        out->id[0] = '\0';
        kind = finish_as(out, BR_HOOKROW_REFUSED, "%s", rc > 0 ? "id is missing" : why);
    } else if (br_tablehook_name(tenant, out->id, out->name, sizeof(out->name)) != 0) {
        out->id[0] = '\0';
        kind = finish_as(out, BR_HOOKROW_REFUSED, "no hook name for tenant and id");
    } else if (change.op == BR_OP_DELETE) {
        kind = finish_as(out, BR_HOOKROW_DELETE, NULL);
    } else {
        kind = upsert(conf, tenant, row, out);
    }
    br_change_finish(&change);
    return kind;
}
