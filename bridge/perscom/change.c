#include "perscom/change.h"

#include <stdlib.h>
#include <string.h>

struct br_row *br_row_create(size_t capacity)
{
    struct br_row *row = calloc(1, sizeof(*row));

    if (!row) {
        abort();
    }
    row->capacity = capacity < 8 ? 8 : capacity;
    row->fields = calloc(row->capacity, sizeof(*row->fields));
    if (!row->fields) {
        abort();
    }
    return row;
}

static struct br_field *push(struct br_row *row, const char *name)
{
    struct br_field *field;

    if (row->count == row->capacity) {
        struct br_field *grown = realloc(row->fields, 2 * row->capacity * sizeof(*grown));
        if (!grown) {
            abort();
        }
        row->fields = grown;
        row->capacity *= 2;
    }
    field = &row->fields[row->count++];
    memset(field, 0, sizeof(*field));
    field->name = strdup(name);
    if (!field->name) {
        abort();
    }
    return field;
}

void br_row_add_value(struct br_row *row, const char *name, json_t *value)
{
    struct br_field *field = push(row, name);

    field->kind = BR_FIELD_VALUE;
    field->value = value ? value : json_null();
}

void br_row_add_time(struct br_row *row, const char *name, int64_t time_us)
{
    br_row_add_timed(row, name, BR_FIELD_TIME, time_us);
}

void br_row_add_timed(struct br_row *row, const char *name, enum br_field_kind kind,
                      int64_t time_us)
{
    struct br_field *field = push(row, name);

    field->kind = kind;
    field->time_us = time_us;
}

void br_row_add_decimal(struct br_row *row, const char *name, const char *text)
{
    struct br_field *field = push(row, name);

    field->kind = BR_FIELD_DECIMAL;
    field->value = json_string(text);
    if (!field->value) {
        abort();
    }
}

const struct br_field *br_row_find(const struct br_row *row, const char *name)
{
    for (size_t i = 0; row && i < row->count; i++) {
        if (strcmp(row->fields[i].name, name) == 0) {
            return &row->fields[i];
        }
    }
    return NULL;
}

bool br_field_equal(const struct br_field *a, const struct br_field *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    if (a->kind == BR_FIELD_VALUE || a->kind == BR_FIELD_DECIMAL) {
        return json_equal(a->value, b->value);
    }
    return a->time_us == b->time_us;
}

void br_row_destroy(struct br_row *row)
{
    if (!row) {
        return;
    }
    for (size_t i = 0; i < row->count; i++) {
        free(row->fields[i].name);
        json_decref(row->fields[i].value);
    }
    free(row->fields);
    free(row);
}

void br_change_finish(struct br_change *change)
{
    br_row_destroy(change->before);
    br_row_destroy(change->after);
    change->before = NULL;
    change->after = NULL;
}

const char *br_skip_reason_name(enum br_skip_reason reason)
{
    static const char *const names[BR_SKIP_REASON_COUNT] = {
        [BR_SKIP_TOMBSTONE] = "tombstone",
        [BR_SKIP_TRUNCATE] = "truncate",
        [BR_SKIP_SNAPSHOT] = "snapshot",
        [BR_SKIP_NOT_PERSCOM_TABLE] = "not_perscom_table",
        [BR_SKIP_SCHEMA_CHANGE] = "schema_change",
        [BR_SKIP_TRANSACTION] = "transaction",
        [BR_SKIP_HEARTBEAT] = "heartbeat",
    };

    return (unsigned)reason < BR_SKIP_REASON_COUNT ? names[reason] : NULL;
}
