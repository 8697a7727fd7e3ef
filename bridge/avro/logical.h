#ifndef BR_LOGICAL_H
#define BR_LOGICAL_H
/*
 * Logical types of columns other than datetimes (timecols.c has those): dates, times of day and
 * exact decimals, as Avro's logicalType, Kafka Connect's logical types and Debezium's
 * io.debezium.* names write them. Read from the schema JSON (avro-c drops these attributes) and
 * turned into change-record fields (change.h) that keep the exact value.
 */
#include <avro.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "perscom/change.h"

enum br_logical_kind {
    BR_LOGICAL_NONE,
    BR_LOGICAL_DATE,    /* int, days since the epoch: logicalType date, io.debezium.time.Date,
                           org.apache.kafka.connect.data.Date */
    BR_LOGICAL_TIME_MS, /* int, ms since midnight: logicalType time-millis, io.debezium.time.Time,
                           org.apache.kafka.connect.data.Time */
    BR_LOGICAL_TIME_US, /* long, µs: logicalType time-micros, io.debezium.time.MicroTime */
    BR_LOGICAL_TIME_NS, /* long, ns (floored to µs): io.debezium.time.NanoTime */
    BR_LOGICAL_DECIMAL, /* bytes or fixed, big-endian two's complement unscaled value:
                           logicalType decimal, org.apache.kafka.connect.data.Decimal */
    BR_LOGICAL_VARIABLE_DECIMAL /* record {scale: int, value: bytes}:
                                   io.debezium.data.VariableScaleDecimal */
};

/* Decimals: a scale outside 0..BR_LOGICAL_MAX_SCALE, or more unscaled bytes, is refused. */
#define BR_LOGICAL_MAX_SCALE 1000
#define BR_LOGICAL_MAX_DECIMAL_BYTES 64
/* Room for the text of any accepted decimal, NUL included. */
#define BR_LOGICAL_DECIMAL_TEXT_MAX (BR_LOGICAL_MAX_SCALE + 8 + 3 * BR_LOGICAL_MAX_DECIMAL_BYTES)

struct br_logical {
    enum br_logical_kind kind;
    int64_t scale; /* BR_LOGICAL_DECIMAL: the declared scale (checked when a value is read) */
};

/*
 * For the record type of field `field` ("before", "after") of the top-level record in
 * schema_json: one entry per column, in column order. Returns a malloc'd array (count entries)
 * or NULL when the schema has no such record field (count 0).
 */
struct br_logical *br_logical_classify(const char *schema_json, const char *field,
                                       size_t *count);

/* The logical type of one (resolved, non-union) type of a schema's JSON; BR_LOGICAL_NONE for
 * anything else. */
struct br_logical br_logical_of(json_t *type);

/*
 * Appends column `name` of kind logical (not BR_LOGICAL_NONE) to row: a date, a time of day,
 * an exact decimal, or null. Returns 0, or -1 with the reason in errstr (nothing appended).
 */
int br_logical_add(struct br_row *row, const char *name, avro_value_t *value,
                   const struct br_logical *logical, char *errstr, size_t errstr_size);

/*
 * The exact decimal text of an unscaled big-endian two's complement integer and a scale:
 * "-123.45" for {0xcf, 0xc7} and 2, "0.05", "7". Returns 0, or -1 with the reason in errstr
 * (no bytes, too many bytes, scale out of range, out too small).
 */
int br_logical_decimal_text(const void *bytes, size_t len, int64_t scale, char *out,
                            size_t out_size, char *errstr, size_t errstr_size);

#endif
