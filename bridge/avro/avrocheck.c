#include "avro/avrocheck.h"

#include <stdint.h>
#include <stdio.h>

struct scan {
    const uint8_t *p;
    size_t left;
    size_t elements_left; /* array items and map entries still allowed */
    size_t values_left;   /* values of any kind still allowed */
    size_t max_values;
    int too_big;          /* values_left ran out */
    char *errstr;
    size_t errstr_size;
};

static int fail(struct scan *scan, const char *what)
{
    snprintf(scan->errstr, scan->errstr_size, "%s (%zu bytes left)", what, scan->left);
    return -1;
}

static int take(struct scan *scan, size_t n, const char *what)
{
    if (n > scan->left) {
        return fail(scan, what);
    }
    scan->p += n;
    scan->left -= n;
    return 0;
}

/* Zig-zag varint, at most 10 bytes, as avro-c reads it. */
static int varint(struct scan *scan, int64_t *out, const char *what)
{
    uint64_t value = 0;
    int shift = 0;
    uint8_t b;

    do {
        if (shift >= 70 || scan->left == 0) {
            return fail(scan, what);
        }
        b = *scan->p++;
        scan->left--;
        value |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    *out = (int64_t)((value >> 1) ^ (~(value & 1) + 1));
    return 0;
}

static int length(struct scan *scan, const char *what)
{
    int64_t len;

    if (varint(scan, &len, what) != 0) {
        return -1;
    }
    if (len < 0 || (uint64_t)len > scan->left) {
        return fail(scan, what);
    }
    return take(scan, (size_t)len, what);
}

static int datum(struct scan *scan, avro_schema_t schema, int depth);

/* Arrays and maps: blocks of count items (negative count: followed by a byte size). */
static int blocks(struct scan *scan, avro_schema_t items, int is_map, int depth)
{
    const char *what = is_map ? "bad map block" : "bad array block";

    for (;;) {
        int64_t count;
        int64_t size;

        if (varint(scan, &count, what) != 0) {
            return -1;
        }
        if (count == 0) {
            return 0;
        }
        if (count < 0) {
            if (count == INT64_MIN) {
                return fail(scan, what);
            }
            count = -count;
            if (varint(scan, &size, what) != 0) {
                return -1;
            }
            if (size < 0 || (uint64_t)size > scan->left) {
                return fail(scan, what);
            }
        }
        if ((uint64_t)count > scan->elements_left) {
            return fail(scan, is_map ? "too many map entries" : "too many array items");
        }
        scan->elements_left -= (size_t)count;
        for (int64_t i = 0; i < count; i++) {
            if (is_map && length(scan, "bad map key") != 0) {
                return -1;
            }
            if (datum(scan, items, depth + 1) != 0) {
                return -1;
            }
        }
    }
}

static int datum(struct scan *scan, avro_schema_t schema, int depth)
{
    int64_t v;

    if (depth > BR_AVROCHECK_MAX_DEPTH) {
        return fail(scan, "nested too deeply");
    }
    if (scan->values_left == 0) {
        scan->too_big = 1;
        snprintf(scan->errstr, scan->errstr_size, "more than %zu values", scan->max_values);
        return -1;
    }
    scan->values_left--;
    switch (avro_typeof(schema)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (scan->left == 0 || *scan->p > 1) {
            return fail(scan, "bad boolean");
        }
        return take(scan, 1, "bad boolean");
    case AVRO_INT32:
        if (varint(scan, &v, "bad int") != 0) {
            return -1;
        }
        if (v < INT32_MIN || v > INT32_MAX) {
            return fail(scan, "int out of range");
        }
        return 0;
    case AVRO_INT64:
        return varint(scan, &v, "bad long");
    case AVRO_FLOAT:
        return take(scan, 4, "truncated float");
    case AVRO_DOUBLE:
        return take(scan, 8, "truncated double");
    case AVRO_STRING:
        return length(scan, "bad string length");
    case AVRO_BYTES:
        return length(scan, "bad bytes length");
    case AVRO_FIXED:
        return take(scan, (size_t)avro_schema_fixed_size(schema), "truncated fixed");
    case AVRO_ENUM:
        if (varint(scan, &v, "bad enum") != 0) {
            return -1;
        }
        if (v < 0 || v >= avro_schema_enum_number_of_symbols(schema)) {
            return fail(scan, "enum index out of range");
        }
        return 0;
    case AVRO_ARRAY:
        return blocks(scan, avro_schema_array_items(schema), 0, depth);
    case AVRO_MAP:
        return blocks(scan, avro_schema_map_values(schema), 1, depth);
    case AVRO_RECORD: {
        size_t count = avro_schema_record_size(schema);

        for (size_t i = 0; i < count; i++) {
            avro_schema_t field = avro_schema_record_field_get_by_index(schema, (int)i);

            if (datum(scan, field, depth + 1) != 0) {
                return -1;
            }
        }
        return 0;
    }
    case AVRO_UNION:
        if (varint(scan, &v, "bad union index") != 0) {
            return -1;
        }
        if (v < 0 || (uint64_t)v >= avro_schema_union_size(schema)) {
            return fail(scan, "union index out of range");
        }
        return datum(scan, avro_schema_union_branch(schema, (int)v), depth + 1);
    case AVRO_LINK:
        return datum(scan, avro_schema_link_target(schema), depth + 1);
    default:
        return fail(scan, "unsupported schema type");
    }
}

enum br_avrocheck_status br_avrocheck_datum(avro_schema_t schema, const void *buf, size_t len,
                                            size_t max_values, size_t *used, char *errstr,
                                            size_t errstr_size)
{
    struct scan scan = {
        .p = buf,
        .left = len,
        /* items of non-empty types need a byte each; the slack bounds empty ones (null) */
        .elements_left = len + 4096,
        .values_left = max_values,
        .max_values = max_values,
        .errstr = errstr,
        .errstr_size = errstr_size,
    };

    if (datum(&scan, schema, 0) != 0) {
        return scan.too_big ? BR_AVROCHECK_TOO_BIG : BR_AVROCHECK_CORRUPT;
    }
    *used = len - scan.left;
    return BR_AVROCHECK_OK;
}
