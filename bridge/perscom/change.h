#ifndef BR_CHANGE_H
#define BR_CHANGE_H
/*
 * The change record: what decode.c makes of one Kafka message, and what render.c turns into a
 * PERSCOM payload. Independent of Avro: values are jansson trees, datetimes are kept apart so
 * the renderer can write them as ISO (in `data`) or raw database form (in `changes`).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum br_field_kind {
    BR_FIELD_VALUE, /* value holds the column's value (json null for SQL NULL) */
    BR_FIELD_TIME   /* a non-null datetime: time_us holds microseconds since the epoch, UTC */
};

struct br_field {
    char *name;              /* owned */
    enum br_field_kind kind;
    int64_t time_us;         /* BR_FIELD_TIME only */
    json_t *value;           /* owned reference; BR_FIELD_VALUE only, never NULL there */
};

/* One row image, columns in schema (table) order. */
struct br_row {
    size_t count;
    size_t capacity;         /* allocated fields */
    struct br_field *fields; /* owned array of count fields */
};

enum br_op {
    BR_OP_CREATE = 'c',
    BR_OP_UPDATE = 'u',
    BR_OP_DELETE = 'd',
    BR_OP_READ = 'r'  /* Debezium snapshot read */
};

struct br_change {
    enum br_op op;
    struct br_row *before;  /* owned; NULL when the envelope has none */
    struct br_row *after;   /* owned; NULL when the envelope has none */
    int64_t ts_us;          /* when the change happened, microseconds since the epoch, UTC */
};

struct br_row *br_row_create(size_t capacity);
void br_row_destroy(struct br_row *row);
/* Appends a field; takes ownership of value (a json reference), copies name. */
void br_row_add_value(struct br_row *row, const char *name, json_t *value);
void br_row_add_time(struct br_row *row, const char *name, int64_t time_us);
const struct br_field *br_row_find(const struct br_row *row, const char *name);

void br_change_finish(struct br_change *change); /* frees before/after; change itself is the caller's */

#endif
