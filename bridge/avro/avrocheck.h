#ifndef BR_AVROCHECK_H
#define BR_AVROCHECK_H
/*
 * Validates Avro binary against a writer schema before avro-c reads it. avro-c 1.11.1 trusts
 * lengths (a negative string length writes before its buffer, a huge one allocates it, a
 * failed read leaks it), so every length, count, union branch and enum index is checked here
 * against the bytes actually present. Recursion depth and the total number of array/map
 * elements are capped.
 */
#include <avro.h>
#include <stddef.h>

#define BR_AVROCHECK_MAX_DEPTH 64

/*
 * Walks one datum of schema at the start of buf. On success returns 0 and sets *used to the
 * number of bytes it occupies; on failure returns -1 with the reason in errstr.
 */
int br_avrocheck_datum(avro_schema_t schema, const void *buf, size_t len, size_t *used,
                       char *errstr, size_t errstr_size);

#endif
