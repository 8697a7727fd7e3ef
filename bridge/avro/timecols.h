#ifndef BR_TIMECOLS_H
#define BR_TIMECOLS_H
/*
 * Which columns of a record-change schema are datetimes, and their conversion to microseconds.
 * avro-c drops logicalType and connect.name, so the schema JSON is read here with jansson.
 */
#include <stddef.h>
#include <stdint.h>

enum br_timecol_kind {
    BR_TIMECOL_NONE,
    BR_TIMECOL_US,   /* long: timestamp-micros, io.debezium.time.MicroTimestamp */
    BR_TIMECOL_MS,   /* long: timestamp-millis, io.debezium.time.Timestamp, Connect Timestamp */
    BR_TIMECOL_NS,   /* long: io.debezium.time.NanoTimestamp */
    BR_TIMECOL_ZONED /* string: io.debezium.time.ZonedTimestamp (ISO-8601 with offset) */
};

/*
 * For the record type of field `field` ("before", "after") of the top-level record in
 * schema_json: one kind per column, in column order. Returns a malloc'd array (count entries)
 * or NULL when the schema has no such record field (count 0).
 */
enum br_timecol_kind *br_timecols_classify(const char *schema_json, const char *field,
                                           size_t *count);

/* "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)" -> microseconds since the epoch, UTC. */
int br_timecols_parse_zoned(const char *s, size_t len, int64_t *out);

/* A long of unit kind (US, MS, NS) -> microseconds; -1 on overflow. */
int br_timecols_to_us(int64_t v, enum br_timecol_kind kind, int64_t *out);

#endif
