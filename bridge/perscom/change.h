#ifndef BR_CHANGE_H
#define BR_CHANGE_H
/*
 * The change record: what decode.c makes of one Kafka message, and what render.c turns into a
 * PERSCOM payload. Independent of Avro: values are jansson trees; datetimes, dates, times of
 * day and exact decimals are kept apart so that the renderer can apply PERSCOM's model casts
 * (casts.c) and write them as `data` or as the raw database form of `changes`.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum br_field_kind {
    BR_FIELD_VALUE,  /* value holds the column's value (json null for SQL NULL) */
    BR_FIELD_TIME,   /* a non-null datetime: time_us holds microseconds since the epoch, UTC */
    BR_FIELD_DATE,   /* a non-null date: time_us holds its midnight (UTC), a whole number of days */
    BR_FIELD_CLOCK,  /* a non-null time of day: time_us holds microseconds since midnight (a
                        MySQL TIME may be negative or 24 hours and more) */
    BR_FIELD_DECIMAL /* a non-null exact decimal: value holds its text, an optional '-', digits
                        and, when the scale is not 0, '.' and scale digits ("-123.40", "7") */
};

struct br_field {
    char *name;              /* in its row's name storage (freed with the row) */
    enum br_field_kind kind;
    int64_t time_us;         /* BR_FIELD_TIME, BR_FIELD_DATE, BR_FIELD_CLOCK */
    json_t *value;           /* owned reference; BR_FIELD_VALUE and BR_FIELD_DECIMAL, never NULL
                                there */
};

/* Storage for a row's column names: one allocation for many names (change.c). */
struct br_row_names;

/* One row image, columns in schema (table) order. */
struct br_row {
    size_t count;
    size_t capacity;         /* allocated fields */
    struct br_field *fields; /* owned array of count fields (at first part of the row's own
                                allocation: change.c) */
    struct br_row_names *names; /* owned list of blocks holding the fields' names; the first
                                   block is part of the row's own allocation */
};

enum br_op {
    BR_OP_CREATE = 'c',
    BR_OP_UPDATE = 'u',
    BR_OP_DELETE = 'd',
    BR_OP_READ = 'r'  /* Debezium snapshot read */
};

/* Why a message is not an event (the `reason` label of skipped_total). */
enum br_skip_reason {
    BR_SKIP_TOMBSTONE,         /* empty value (Debezium's tombstone after a delete) */
    BR_SKIP_TRUNCATE,          /* op "t" */
    BR_SKIP_SNAPSHOT,          /* op "r" with snapshot: skip */
    BR_SKIP_NOT_PERSCOM_TABLE, /* the topic names no PERSCOM table and has no `resource` */
    BR_SKIP_SCHEMA_CHANGE,     /* Debezium's schema-change topic */
    BR_SKIP_TRANSACTION,       /* Debezium's transaction metadata topic */
    BR_SKIP_HEARTBEAT,         /* Debezium's heartbeat topic */
    BR_SKIP_REASON_COUNT
};

struct br_change {
    enum br_op op;
    struct br_row *before;  /* owned; NULL when the envelope has none */
    struct br_row *after;   /* owned; NULL when the envelope has none */
    int64_t ts_us;          /* when the change happened, microseconds since the epoch, UTC */
    enum br_skip_reason skip; /* why, when br_decode answered BR_DECODE_SKIP */
};

struct br_row *br_row_create(size_t capacity);
void br_row_destroy(struct br_row *row);
/* Appends a field; takes ownership of value (a json reference), copies name. */
void br_row_add_value(struct br_row *row, const char *name, json_t *value);
void br_row_add_time(struct br_row *row, const char *name, int64_t time_us);
/* kind is BR_FIELD_TIME, BR_FIELD_DATE or BR_FIELD_CLOCK. */
void br_row_add_timed(struct br_row *row, const char *name, enum br_field_kind kind,
                      int64_t time_us);
/* text: an exact decimal as described at BR_FIELD_DECIMAL (copied). */
void br_row_add_decimal(struct br_row *row, const char *name, const char *text);
const struct br_field *br_row_find(const struct br_row *row, const char *name);
/* True when both fields hold the same kind and value (names are not compared); the members of
 * objects (Avro maps and records) in the same order, as PHP's === compares arrays. */
bool br_field_equal(const struct br_field *a, const struct br_field *b);

void br_change_finish(struct br_change *change); /* frees before/after; change itself is the caller's */

/* "tombstone", "truncate", "snapshot", "not_perscom_table", "schema_change", "transaction",
 * "heartbeat"; NULL out of range. */
const char *br_skip_reason_name(enum br_skip_reason reason);

#endif
