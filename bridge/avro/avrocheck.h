#ifndef BR_AVROCHECK_H
#define BR_AVROCHECK_H
/*
 * Validates Avro binary against a writer schema before avro-c reads it. avro-c 1.11.1 trusts
 * lengths (a negative string length writes before its buffer, a huge one allocates it, a
 * failed read leaks it), so every length, count, union branch and enum index is checked here
 * against the bytes actually present. Recursion depth and the total number of array/map
 * elements are capped, and so is the number of values the datum is made of (what avro-c
 * allocates to read it).
 */
#include <avro.h>
#include <stddef.h>

#define BR_AVROCHECK_MAX_DEPTH 64

enum br_avrocheck_status {
    BR_AVROCHECK_OK = 0,
    BR_AVROCHECK_CORRUPT = -1, /* the bytes are not a datum of the schema */
    BR_AVROCHECK_TOO_BIG = -2  /* a datum of more than max_values values */
};

/*
 * Walks one datum of schema at the start of buf. On success returns BR_AVROCHECK_OK and sets
 * *used to the number of bytes it occupies; on failure returns the reason's status with the
 * reason in errstr. Every value counts one against max_values: a record, each of its fields,
 * each array item and map value, a union and its branch, a reference to a named type.
 */
enum br_avrocheck_status br_avrocheck_datum(avro_schema_t schema, const void *buf, size_t len,
                                            size_t max_values, size_t *used, char *errstr,
                                            size_t errstr_size);

#endif
