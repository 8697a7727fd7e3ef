#include "avro/logical.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/schemajson.h"

#define US_PER_DAY INT64_C(86400000000)
#define INVALID_SCALE INT64_MIN

static int is_type(json_t *type, const char *base)
{
    return br_schemajson_is(type, "type", base);
}

static int named(json_t *type, const char *key, const char *value)
{
    return br_schemajson_is(type, key, value);
}

/*
 * A decimal's scale: Avro's "scale" attribute, else Kafka Connect's connect.parameters.scale
 * (a string), else 0. INVALID_SCALE when one is given but is not a whole number.
 */
static int64_t scale_of(json_t *type)
{
    json_t *scale = json_object_get(type, "scale");
    const char *text;
    char *end = NULL;
    long long value;

    if (scale) {
        return json_is_integer(scale) ? json_integer_value(scale) : INVALID_SCALE;
    }
    text = json_string_value(json_object_get(json_object_get(type, "connect.parameters"), "scale"));
    if (!text) {
        return 0;
    }
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return INVALID_SCALE;
    }
    return value;
}

struct br_logical br_logical_of(json_t *type)
{
    struct br_logical logical = {BR_LOGICAL_NONE, 0};

    if (!json_is_object(type)) {
        return logical;
    }
    if (is_type(type, "int")) {
        if (named(type, "logicalType", "date") ||
            named(type, "connect.name", "io.debezium.time.Date") ||
            named(type, "connect.name", "org.apache.kafka.connect.data.Date")) {
            logical.kind = BR_LOGICAL_DATE;
        } else if (named(type, "logicalType", "time-millis") ||
                   named(type, "connect.name", "io.debezium.time.Time") ||
                   named(type, "connect.name", "org.apache.kafka.connect.data.Time")) {
            logical.kind = BR_LOGICAL_TIME_MS;
        }
    } else if (is_type(type, "long")) {
        if (named(type, "logicalType", "time-micros") ||
            named(type, "connect.name", "io.debezium.time.MicroTime")) {
            logical.kind = BR_LOGICAL_TIME_US;
        } else if (named(type, "connect.name", "io.debezium.time.NanoTime")) {
            logical.kind = BR_LOGICAL_TIME_NS;
        }
    } else if (is_type(type, "bytes") || is_type(type, "fixed")) {
        if (named(type, "logicalType", "decimal") ||
            named(type, "connect.name", "org.apache.kafka.connect.data.Decimal")) {
            logical.kind = BR_LOGICAL_DECIMAL;
            logical.scale = scale_of(type);
        }
    } else if (is_type(type, "record") &&
               named(type, "connect.name", "io.debezium.data.VariableScaleDecimal")) {
        logical.kind = BR_LOGICAL_VARIABLE_DECIMAL;
    }
    return logical;
}

struct br_logical *br_logical_classify(const char *schema_json, const char *field,
                                       size_t *count)
{
    struct br_schemajson schema;
    struct br_logical *kinds = NULL;
    json_t *columns;
    json_t *column;
    size_t k;

    *count = 0;
    br_schemajson_init(&schema, schema_json);
    columns = br_schemajson_columns(&schema, field);
    if (columns) {
        kinds = calloc(json_array_size(columns) + 1, sizeof(*kinds));
        if (!kinds) {
            abort();
        }
        json_array_foreach(columns, k, column) {
            kinds[k] = br_logical_of(br_schemajson_column_type(&schema, json_object_get(column, "type")));
        }
        *count = json_array_size(columns);
    }
    br_schemajson_finish(&schema);
    return kinds;
}

int br_logical_decimal_text(const void *bytes, size_t len, int64_t scale, char *out,
                            size_t out_size, char *errstr, size_t errstr_size)
{
    uint8_t magnitude[BR_LOGICAL_MAX_DECIMAL_BYTES];
    char digits[3 * BR_LOGICAL_MAX_DECIMAL_BYTES + 1]; /* reversed: least significant first */
    size_t ndigits = 0;
    size_t width;
    size_t pos = 0;
    int negative;

    if (len == 0) {
        snprintf(errstr, errstr_size, "decimal without bytes");
        return -1;
    }
    if (len > BR_LOGICAL_MAX_DECIMAL_BYTES) {
        snprintf(errstr, errstr_size, "decimal of %zu bytes (at most %d are read)", len,
                 BR_LOGICAL_MAX_DECIMAL_BYTES);
        return -1;
    }
    if (scale < 0 || scale > BR_LOGICAL_MAX_SCALE) {
        snprintf(errstr, errstr_size, "decimal scale out of range 0..%d", BR_LOGICAL_MAX_SCALE);
        return -1;
    }
    memcpy(magnitude, bytes, len);
    negative = (magnitude[0] & 0x80) != 0;
    if (negative) {
        /* two's complement: invert and add one */
        unsigned carry = 1;
        for (size_t i = len; i-- > 0;) {
            unsigned v = (uint8_t)~magnitude[i] + carry;
            magnitude[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    /* repeated division by 10^9 of the base-256 number */
    for (;;) {
        uint64_t remainder = 0;
        int zero = 1;

        for (size_t i = 0; i < len; i++) {
            uint64_t cur = (remainder << 8) | magnitude[i];
            magnitude[i] = (uint8_t)(cur / 1000000000u);
            remainder = cur % 1000000000u;
            zero = zero && magnitude[i] == 0;
        }
        for (int k = 0; k < 9; k++) {
            digits[ndigits++] = (char)('0' + remainder % 10);
            remainder /= 10;
        }
        if (zero) {
            break;
        }
    }
    while (ndigits > 1 && digits[ndigits - 1] == '0') {
        ndigits--;
    }
    /* at least one digit before the point */
    width = ndigits > (size_t)scale ? ndigits : (size_t)scale + 1;
    if (width + 3 > out_size) {
        snprintf(errstr, errstr_size, "decimal text too long");
        return -1;
    }
    if (negative && !(ndigits == 1 && digits[0] == '0')) {
        out[pos++] = '-';
    }
    for (size_t i = width; i-- > 0;) {
        out[pos++] = i < ndigits ? digits[i] : '0';
        if (i == (size_t)scale && scale > 0) {
            out[pos++] = '.';
        }
    }
    out[pos] = '\0';
    return 0;
}

static int add_decimal(struct br_row *row, const char *name, const void *bytes, size_t len,
                       int64_t scale, char *errstr, size_t errstr_size)
{
    char text[BR_LOGICAL_DECIMAL_TEXT_MAX];

    if (scale == INVALID_SCALE) {
        snprintf(errstr, errstr_size, "decimal whose scale is not a whole number");
        return -1;
    }
    if (br_logical_decimal_text(bytes, len, scale, text, sizeof(text), errstr, errstr_size) != 0) {
        return -1;
    }
    br_row_add_decimal(row, name, text);
    return 0;
}

static int add_variable_decimal(struct br_row *row, const char *name, avro_value_t *record,
                                char *errstr, size_t errstr_size)
{
    avro_value_t scale_value;
    avro_value_t unscaled;
    int32_t scale = 0;
    const void *bytes = NULL;
    size_t len = 0;

    if (avro_value_get_by_name(record, "scale", &scale_value, NULL) != 0 ||
        avro_value_get_by_name(record, "value", &unscaled, NULL) != 0 ||
        avro_value_get_type(&scale_value) != AVRO_INT32 ||
        avro_value_get_type(&unscaled) != AVRO_BYTES ||
        avro_value_get_int(&scale_value, &scale) != 0 ||
        avro_value_get_bytes(&unscaled, &bytes, &len) != 0) {
        snprintf(errstr, errstr_size, "VariableScaleDecimal without int scale and bytes value");
        return -1;
    }
    return add_decimal(row, name, bytes, len, scale, errstr, errstr_size);
}

int br_logical_add(struct br_row *row, const char *name, avro_value_t *value,
                   const struct br_logical *logical, char *errstr, size_t errstr_size)
{
    avro_value_t branch;
    avro_type_t type;
    int32_t i32 = 0;
    int64_t i64 = 0;
    const void *bytes = NULL;
    size_t len = 0;

    if (avro_value_get_type(value) == AVRO_UNION &&
        avro_value_get_current_branch(value, &branch) == 0) {
        value = &branch;
    }
    type = avro_value_get_type(value);
    if (type == AVRO_NULL) {
        br_row_add_value(row, name, json_null());
        return 0;
    }
    switch (logical->kind) {
    case BR_LOGICAL_DATE:
        if (type != AVRO_INT32 || avro_value_get_int(value, &i32) != 0) {
            break;
        }
        if (__builtin_mul_overflow((int64_t)i32, US_PER_DAY, &i64)) {
            snprintf(errstr, errstr_size, "date out of range");
            return -1;
        }
        br_row_add_timed(row, name, BR_FIELD_DATE, i64);
        return 0;
    case BR_LOGICAL_TIME_MS:
        if (type != AVRO_INT32 || avro_value_get_int(value, &i32) != 0) {
            break;
        }
        br_row_add_timed(row, name, BR_FIELD_CLOCK, (int64_t)i32 * 1000);
        return 0;
    case BR_LOGICAL_TIME_US:
    case BR_LOGICAL_TIME_NS:
        if (type != AVRO_INT64 || avro_value_get_long(value, &i64) != 0) {
            break;
        }
        if (logical->kind == BR_LOGICAL_TIME_NS) {
            i64 = i64 / 1000 - (i64 % 1000 < 0); /* floor */
        }
        br_row_add_timed(row, name, BR_FIELD_CLOCK, i64);
        return 0;
    case BR_LOGICAL_DECIMAL:
        if (type == AVRO_BYTES && avro_value_get_bytes(value, &bytes, &len) == 0) {
            return add_decimal(row, name, bytes, len, logical->scale, errstr, errstr_size);
        }
        if (type == AVRO_FIXED && avro_value_get_fixed(value, &bytes, &len) == 0) {
            return add_decimal(row, name, bytes, len, logical->scale, errstr, errstr_size);
        }
        break;
    case BR_LOGICAL_VARIABLE_DECIMAL:
        if (type == AVRO_RECORD) {
            return add_variable_decimal(row, name, value, errstr, errstr_size);
        }
        break;
    case BR_LOGICAL_NONE:
        break;
    }
    snprintf(errstr, errstr_size, "value of unexpected type for its logical type");
    return -1;
}
