#include "perscom/change.h"

#include <stdlib.h>
#include <string.h>

/*
 * One allocation holds the row, the first block of its fields' names (NAMES_FIRST bytes) and
 * its first array of fields (the capacity asked for: the decoder asks for the schema's column
 * count, so a decoded row is one allocation). Further name blocks are allocated as needed, each
 * linked to the previous, so a name never moves once copied; a row that outgrows its first
 * array moves its fields to the heap.
 */
#define NAMES_FIRST 256

struct br_row_names {
    struct br_row_names *next; /* the block filled before this one, or NULL */
    size_t used;
    size_t size;
    char text[];
};

static struct br_row_names *first_names(const struct br_row *row)
{
    return (struct br_row_names *)(row + 1);
}

static struct br_field *first_fields(const struct br_row *row)
{
    return (struct br_field *)((char *)(row + 1) + sizeof(struct br_row_names) + NAMES_FIRST);
}

struct br_row *br_row_create(size_t capacity)
{
    size_t fields = capacity < 8 ? 8 : capacity;
    struct br_row *row = calloc(1, sizeof(*row) + sizeof(struct br_row_names) + NAMES_FIRST +
                                       fields * sizeof(struct br_field));

    if (!row) {
        abort();
    }
    row->names = first_names(row);
    row->names->size = NAMES_FIRST;
    row->capacity = fields;
    row->fields = first_fields(row);
    return row;
}

static char *copy_name(struct br_row *row, const char *name)
{
    size_t len = strlen(name) + 1;
    char *copy;

    if (row->names->size - row->names->used < len) {
        size_t size = len > NAMES_FIRST ? len : NAMES_FIRST;
        struct br_row_names *block = malloc(sizeof(*block) + size);

        if (!block) {
            abort();
        }
        block->next = row->names;
        block->used = 0;
        block->size = size;
        row->names = block;
    }
    copy = row->names->text + row->names->used;
    memcpy(copy, name, len);
    row->names->used += len;
    return copy;
}

static struct br_field *push(struct br_row *row, const char *name)
{
    struct br_field *field;

    if (row->count == row->capacity) {
        struct br_field *grown;

        if (row->fields == first_fields(row)) {
            grown = malloc(2 * row->capacity * sizeof(*grown));
            if (grown) {
                memcpy(grown, row->fields, row->count * sizeof(*grown));
            }
        } else {
            grown = realloc(row->fields, 2 * row->capacity * sizeof(*grown));
        }
        if (!grown) {
            abort();
        }
        row->fields = grown;
        row->capacity *= 2;
    }
    field = &row->fields[row->count++];
    memset(field, 0, sizeof(*field));
    field->name = copy_name(row, name);
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

/* PHP's === of the arrays the values stand for: objects key by key in their order. */
static bool equal_in_order(const json_t *a, const json_t *b)
{
    if (json_is_object(a) && json_is_object(b)) {
        void *x = json_object_iter((json_t *)a);
        void *y = json_object_iter((json_t *)b);

        if (json_object_size(a) != json_object_size(b)) {
            return false;
        }
        for (; x && y; x = json_object_iter_next((json_t *)a, x),
                       y = json_object_iter_next((json_t *)b, y)) {
            if (strcmp(json_object_iter_key(x), json_object_iter_key(y)) != 0 ||
                !equal_in_order(json_object_iter_value(x), json_object_iter_value(y))) {
                return false;
            }
        }
        return true;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b)) {
            return false;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            if (!equal_in_order(json_array_get(a, i), json_array_get(b, i))) {
                return false;
            }
        }
        return true;
    }
    return json_equal(a, b);
}

bool br_field_equal(const struct br_field *a, const struct br_field *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    if (a->kind == BR_FIELD_VALUE || a->kind == BR_FIELD_DECIMAL) {
        return equal_in_order(a->value, b->value);
    }
    return a->time_us == b->time_us;
}

void br_row_destroy(struct br_row *row)
{
    if (!row) {
        return;
    }
    for (size_t i = 0; i < row->count; i++) {
        json_decref(row->fields[i].value);
    }
    while (row->names != first_names(row)) {
        struct br_row_names *next = row->names->next;

        free(row->names);
        row->names = next;
    }
    if (row->fields != first_fields(row)) {
        free(row->fields);
    }
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
