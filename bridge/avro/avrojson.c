#include "avro/avrojson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/utf8.h"

#define MAX_DEPTH 64

static int fail(char *errstr, size_t errstr_size, const char *what)
{
    snprintf(errstr, errstr_size, "%s", what);
    return -1;
}

static int avro_fail(char *errstr, size_t errstr_size)
{
    snprintf(errstr, errstr_size, "avro: %s", avro_strerror());
    return -1;
}

static json_t *text(const void *buf, size_t len, char *errstr, size_t errstr_size)
{
    json_t *json;

    if (!br_utf8_valid_nul(buf, len)) {
        fail(errstr, errstr_size, "invalid UTF-8");
        return NULL;
    }
    json = json_stringn_nocheck(len ? buf : "", len);
    if (!json) {
        abort();
    }
    return json;
}

static json_t *hex(const uint8_t *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 1);
    json_t *json;

    if (!out) {
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[buf[i] >> 4];
        out[2 * i + 1] = digits[buf[i] & 0x0f];
    }
    json = json_stringn_nocheck(out, 2 * len);
    free(out);
    return json;
}

/* Standard base64 with padding (RFC 4648), as Debezium's binary.handling.mode=base64 writes. */
static json_t *base64(const uint8_t *buf, size_t len)
{
    size_t out_size = BR_BASE64_LEN(len) + 1;
    char *out = malloc(out_size);
    json_t *json;

    if (!out) {
        abort();
    }
    json = json_stringn_nocheck(out, br_base64_encode(buf, len, out, out_size));
    free(out);
    return json;
}

static int convert(avro_value_t *value, int depth, json_t **out, char *errstr,
                   size_t errstr_size);

/* Arrays, maps and records: children by index, named for maps and records. */
static int children(avro_value_t *value, int depth, int named, json_t **out, char *errstr,
                    size_t errstr_size)
{
    json_t *json = named ? json_object() : json_array();
    size_t count = 0;

    if (avro_value_get_size(value, &count) != 0) {
        avro_fail(errstr, errstr_size);
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        avro_value_t child;
        const char *name = NULL;
        json_t *item = NULL;

        if (avro_value_get_by_index(value, i, &child, named ? &name : NULL) != 0) {
            avro_fail(errstr, errstr_size);
            goto fail;
        }
        if (named && (!name || !br_utf8_valid_nul(name, strlen(name)))) {
            fail(errstr, errstr_size, "invalid UTF-8 in map key");
            goto fail;
        }
        if (convert(&child, depth + 1, &item, errstr, errstr_size) != 0) {
            goto fail;
        }
        if (named) {
            json_object_set_new_nocheck(json, name, item);
        } else {
            json_array_append_new(json, item);
        }
    }
    *out = json;
    return 0;
fail:
    json_decref(json);
    return -1;
}

static int convert(avro_value_t *value, int depth, json_t **out, char *errstr,
                   size_t errstr_size)
{
    int rc = 0;
    json_t *json = NULL;

    if (depth > MAX_DEPTH) {
        return fail(errstr, errstr_size, "nested too deeply");
    }
    switch (avro_value_get_type(value)) {
    case AVRO_NULL:
        json = json_null();
        break;
    case AVRO_BOOLEAN: {
        int b = 0;
        rc = avro_value_get_boolean(value, &b);
        json = json_boolean(b);
        break;
    }
    case AVRO_INT32: {
        int32_t i = 0;
        rc = avro_value_get_int(value, &i);
        json = json_integer(i);
        break;
    }
    case AVRO_INT64: {
        int64_t l = 0;
        rc = avro_value_get_long(value, &l);
        json = json_integer(l);
        break;
    }
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double d = 0;
        float f = 0;
        if (avro_value_get_type(value) == AVRO_FLOAT) {
            rc = avro_value_get_float(value, &f);
            d = f;
        } else {
            rc = avro_value_get_double(value, &d);
        }
        if (rc == 0 && !isfinite(d)) {
            return fail(errstr, errstr_size, "non-finite number");
        }
        json = json_real(d);
        break;
    }
    case AVRO_STRING: {
        const char *s = NULL;
        size_t size = 0;
        rc = avro_value_get_string(value, &s, &size);
        if (rc == 0) {
            /* size counts the NUL terminator avro-c adds */
            json = text(s, size ? size - 1 : 0, errstr, errstr_size);
            if (!json) {
                return -1;
            }
        }
        break;
    }
    case AVRO_BYTES: {
        const void *b = NULL;
        size_t size = 0;
        rc = avro_value_get_bytes(value, &b, &size);
        if (rc == 0) {
            json = base64(b, size);
        }
        break;
    }
    case AVRO_FIXED: {
        const void *b = NULL;
        size_t size = 0;
        rc = avro_value_get_fixed(value, &b, &size);
        if (rc == 0) {
            json = hex(b, size);
        }
        break;
    }
    case AVRO_ENUM: {
        int index = 0;
        const char *symbol = NULL;
        rc = avro_value_get_enum(value, &index);
        if (rc == 0) {
            symbol = avro_schema_enum_get(avro_value_get_schema(value), index);
            if (!symbol) {
                return fail(errstr, errstr_size, "enum index out of range");
            }
            json = json_string(symbol);
        }
        break;
    }
    case AVRO_ARRAY:
        return children(value, depth, 0, out, errstr, errstr_size);
    case AVRO_MAP:
    case AVRO_RECORD:
        return children(value, depth, 1, out, errstr, errstr_size);
    case AVRO_UNION: {
        avro_value_t branch;
        if (avro_value_get_current_branch(value, &branch) != 0) {
            return avro_fail(errstr, errstr_size);
        }
        return convert(&branch, depth + 1, out, errstr, errstr_size);
    }
    default:
        return fail(errstr, errstr_size, "unsupported Avro type");
    }
    if (rc != 0) {
        json_decref(json);
        return avro_fail(errstr, errstr_size);
    }
    if (!json) {
        abort();
    }
    *out = json;
    return 0;
}

int br_avrojson_value(avro_value_t *value, json_t **out, char *errstr, size_t errstr_size)
{
    return convert(value, 0, out, errstr, errstr_size);
}
