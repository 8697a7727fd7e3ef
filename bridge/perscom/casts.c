/*
 * PERSCOM's model casts applied to decoded columns. Which form each cast applies to, and what
 * everything else becomes, is the table in schemas/README.md ("Values"); this file is that
 * table as code.
 */
#include "perscom/casts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/civil.h"
#include "perscom/json.h"
#include "perscom/render.h"

#define US_PER_DAY INT64_C(86400000000)

/* An exact decimal split into its parts: [-]int_digits[.frac_digits]. */
struct decimal {
    bool negative;
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
};

static bool parse_decimal(const char *text, struct decimal *d)
{
    const char *p = text;

    memset(d, 0, sizeof(*d));
    if (*p == '-') {
        d->negative = true;
        p++;
    }
    d->int_digits = p;
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    d->int_len = (size_t)(p - d->int_digits);
    if (d->int_len == 0) {
        return false;
    }
    if (*p == '.') {
        d->frac_digits = ++p;
        while (*p >= '0' && *p <= '9') {
            p++;
        }
        d->frac_len = (size_t)(p - d->frac_digits);
        if (d->frac_len == 0) {
            return false;
        }
    }
    return *p == '\0';
}

static bool all_zeros(const char *digits, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (digits[i] != '0') {
            return false;
        }
    }
    return true;
}

/*
 * The integer value of an exact decimal text without a fractional part: a JSON integer when it
 * fits 64 bits, else its digits as a string (PHP reads such a BIGINT UNSIGNED as a string; its
 * int cast would clamp it to PHP_INT_MAX). NULL when text has a non-zero fraction.
 */
static json_t *integral_value(const char *text)
{
    struct decimal d;
    char digits[48];
    size_t skip = 0;
    json_t *value;

    if (!parse_decimal(text, &d) || !all_zeros(d.frac_digits, d.frac_len)) {
        return NULL;
    }
    while (skip + 1 < d.int_len && d.int_digits[skip] == '0') {
        skip++;
    }
    if (d.int_len - skip <= 19) {
        long long number;

        snprintf(digits, sizeof(digits), "%s%.*s", d.negative ? "-" : "", (int)(d.int_len - skip),
                 d.int_digits + skip);
        errno = 0;
        number = strtoll(digits, NULL, 10);
        if (errno == 0) {
            return json_integer(number);
        }
    }
    {
        size_t len = d.int_len - skip;
        char *copy = malloc(len + 2);

        if (!copy) {
            abort();
        }
        snprintf(copy, len + 2, "%s%.*s", d.negative ? "-" : "", (int)len, d.int_digits + skip);
        value = json_string(copy);
        free(copy);
    }
    return value;
}

char *br_casts_decimal(const char *text, unsigned decimals)
{
    struct decimal d;
    size_t total;
    char *digits;
    char *out;
    size_t first;
    size_t pos = 0;

    if (!text || !parse_decimal(text, &d)) {
        return NULL;
    }
    /* digits = "0" (room for a carry), the integer digits, then decimals fraction digits */
    total = 1 + d.int_len + decimals;
    digits = malloc(total + 1);
    out = malloc(total + 3);
    if (!digits || !out) {
        abort();
    }
    digits[0] = '0';
    memcpy(digits + 1, d.int_digits, d.int_len);
    for (size_t i = 0; i < decimals; i++) {
        digits[1 + d.int_len + i] = i < d.frac_len ? d.frac_digits[i] : '0';
    }
    digits[total] = '\0';
    if (d.frac_len > decimals && d.frac_digits[decimals] >= '5') {
        /* half up: away from zero, ties included */
        size_t i = total;
        while (i-- > 0) {
            if (digits[i] == '9') {
                digits[i] = '0';
                continue;
            }
            digits[i]++;
            break;
        }
    }
    first = 0;
    while (first < total - decimals - 1 && digits[first] == '0') {
        first++;
    }
    if (d.negative && !all_zeros(digits, total)) {
        out[pos++] = '-';
    }
    memcpy(out + pos, digits + first, total - decimals - first);
    pos += total - decimals - first;
    if (decimals > 0) {
        out[pos++] = '.';
        memcpy(out + pos, digits + total - decimals, decimals);
        pos += decimals;
    }
    out[pos] = '\0';
    free(digits);
    return out;
}

void br_casts_date_text(int64_t time_us, char out[32])
{
    int64_t days = time_us / US_PER_DAY - (time_us % US_PER_DAY < 0);
    int64_t year;
    int month;
    int day;

    br_civil_from_days(days, &year, &month, &day);
    /* like PHP's date('Y'): at least four digits, a minus sign before year 0 */
    snprintf(out, 32, "%s%04" PRId64 "-%02d-%02d", year < 0 ? "-" : "", year < 0 ? -year : year,
             month, day);
}

void br_casts_clock_text(int64_t time_us, char out[32])
{
    uint64_t magnitude = time_us < 0 ? (uint64_t)0 - (uint64_t)time_us : (uint64_t)time_us;
    uint64_t micros = magnitude % 1000000;
    uint64_t seconds = magnitude / 1000000;
    int len;

    len = snprintf(out, 32, "%s%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, time_us < 0 ? "-" : "",
                   seconds / 3600, seconds / 60 % 60, seconds % 60);
    if (micros != 0 && len > 0 && len < 24) {
        snprintf(out + len, (size_t)(32 - len), ".%06" PRIu64, micros);
    }
}

json_t *br_casts_php_array(const json_t *value)
{
    if (json_is_object(value)) {
        const char *key;
        json_t *member;
        size_t index = 0;
        int is_list = 1;
        char expect[32];
        json_t *copy;

        json_object_foreach((json_t *)value, key, member) {
            snprintf(expect, sizeof(expect), "%zu", index++);
            if (strcmp(key, expect) != 0) {
                is_list = 0;
                break;
            }
        }
        copy = is_list ? json_array() : json_object();
        json_object_foreach((json_t *)value, key, member) {
            json_t *converted = br_casts_php_array(member);
            if (is_list) {
                json_array_append_new(copy, converted);
            } else {
                json_object_set_new(copy, key, converted);
            }
        }
        return copy;
    }
    if (json_is_array(value)) {
        json_t *copy = json_array();
        for (size_t i = 0; i < json_array_size(value); i++) {
            json_array_append_new(copy, br_casts_php_array(json_array_get(value, i)));
        }
        return copy;
    }
    return json_incref((json_t *)value);
}

static json_t *string_value(const char *text)
{
    json_t *json = json_string(text);

    if (!json) {
        abort();
    }
    return json;
}

static json_t *time_value(int64_t time_us, bool raw)
{
    char text[32];

    if (raw) {
        br_render_raw_time(time_us, text);
    } else {
        br_render_iso_time(time_us, text);
    }
    return string_value(text);
}

/* The default form of a field in `data`: what a column the model does not cast becomes. */
static json_t *default_data(const struct br_field *field)
{
    char text[32];

    switch (field->kind) {
    case BR_FIELD_TIME:
        return time_value(field->time_us, false);
    case BR_FIELD_DATE:
        br_casts_date_text(field->time_us, text);
        return string_value(text);
    case BR_FIELD_CLOCK:
        br_casts_clock_text(field->time_us, text);
        return string_value(text);
    case BR_FIELD_VALUE:
        /* an Avro array, map or record is a PHP array: {} is [], keys "0".."n-1" a list */
        return br_casts_php_array(field->value);
    case BR_FIELD_DECIMAL:
        break;
    }
    return json_incref(field->value);
}

/* The integer (or boolean) a field stands for, as a new reference; NULL when it is none. */
static json_t *integer_of(const struct br_field *field)
{
    if (field->kind == BR_FIELD_DECIMAL) {
        return integral_value(json_string_value(field->value));
    }
    if (field->kind != BR_FIELD_VALUE) {
        return NULL;
    }
    if (json_is_integer(field->value)) {
        return json_incref(field->value);
    }
    if (json_is_boolean(field->value)) {
        return json_integer(json_is_true(field->value) ? 1 : 0);
    }
    return NULL;
}

static json_t *cast_boolean(const struct br_field *field)
{
    json_t *number = integer_of(field);
    json_t *result;

    if (!number) {
        return default_data(field);
    }
    /* (bool) of an integer, or of the digits of one beyond 64 bits (never "0") */
    result = json_boolean(json_is_integer(number) ? json_integer_value(number) != 0 : 1);
    json_decref(number);
    return result;
}

static json_t *cast_json(const struct br_field *field, char *errstr, size_t errstr_size)
{
    json_error_t error;
    json_t *parsed;
    json_t *converted;

    if (field->kind != BR_FIELD_VALUE) {
        return default_data(field);
    }
    if (!json_is_string(field->value)) {
        return br_casts_php_array(field->value);
    }
    parsed = json_loadb(json_string_value(field->value), json_string_length(field->value),
                        JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!parsed) {
        snprintf(errstr, errstr_size, "not valid JSON: %s", error.text);
        return NULL;
    }
    converted = br_casts_php_array(parsed);
    json_decref(parsed);
    return converted;
}

static json_t *cast_decimal(const struct br_column *column, const struct br_field *field)
{
    char number[32];
    const char *text = NULL;
    char *scaled;
    json_t *result;

    if (field->kind == BR_FIELD_DECIMAL ||
        (field->kind == BR_FIELD_VALUE && json_is_string(field->value))) {
        text = json_string_value(field->value);
    } else if (field->kind == BR_FIELD_VALUE && json_is_integer(field->value)) {
        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(field->value));
        text = number;
    }
    scaled = text ? br_casts_decimal(text, column->decimals) : NULL;
    if (!scaled) {
        return default_data(field);
    }
    result = string_value(scaled);
    free(scaled);
    return result;
}

json_t *br_casts_data(const struct br_column *column, const struct br_field *field, char *errstr,
                      size_t errstr_size)
{
    json_t *number;
    bool is_null = field->kind == BR_FIELD_VALUE && json_is_null(field->value);

    if (!column || is_null) {
        return default_data(field);
    }
    switch (column->cast) {
    case BR_CAST_INTEGER:
        number = integer_of(field);
        return number ? number : default_data(field);
    case BR_CAST_BOOLEAN:
        return cast_boolean(field);
    case BR_CAST_DATETIME:
    case BR_CAST_RAW_DATETIME:
        if (field->kind == BR_FIELD_TIME || field->kind == BR_FIELD_DATE) {
            return time_value(field->time_us, column->cast == BR_CAST_RAW_DATETIME);
        }
        return default_data(field);
    case BR_CAST_JSON:
        return cast_json(field, errstr, errstr_size);
    case BR_CAST_DECIMAL:
        return cast_decimal(column, field);
    case BR_CAST_STRING:
        break;
    }
    return default_data(field);
}

static int is_timed(const struct br_field *field)
{
    return field->kind == BR_FIELD_TIME || field->kind == BR_FIELD_DATE ||
           field->kind == BR_FIELD_CLOCK;
}

static int is_datetime_cast(const struct br_column *column)
{
    return column && (column->cast == BR_CAST_DATETIME || column->cast == BR_CAST_RAW_DATETIME);
}

/* default_data's text of a timed field. */
static void default_text(const struct br_field *field, char out[32])
{
    if (field->kind == BR_FIELD_TIME) {
        br_render_iso_time(field->time_us, out);
    } else if (field->kind == BR_FIELD_DATE) {
        br_casts_date_text(field->time_us, out);
    } else {
        br_casts_clock_text(field->time_us, out);
    }
}

int br_casts_data_text(const struct br_column *column, const struct br_field *field, char out[32])
{
    if (!is_timed(field)) {
        return 0;
    }
    /* as br_casts_data: only the datetime casts apply to a timed field (a datetime or a
     * date); every other cast, and a time of day, give the default form */
    if (is_datetime_cast(column) && field->kind != BR_FIELD_CLOCK) {
        if (column->cast == BR_CAST_RAW_DATETIME) {
            br_render_raw_time(field->time_us, out);
        } else {
            br_render_iso_time(field->time_us, out);
        }
        return 1;
    }
    default_text(field, out);
    return 1;
}

int br_casts_raw_text(const struct br_column *column, const struct br_field *field, char out[32])
{
    if (!is_timed(field)) {
        return 0;
    }
    /* as br_casts_raw: a datetime, and a date under a datetime cast, as Laravel stores it;
     * otherwise the default form (also through br_casts_data for the integer, boolean and
     * JSON casts, which do not apply to a timed field) */
    if (field->kind == BR_FIELD_TIME ||
        (field->kind == BR_FIELD_DATE && is_datetime_cast(column))) {
        br_render_raw_time(field->time_us, out);
        return 1;
    }
    default_text(field, out);
    return 1;
}

/* json_encode of value as a JSON string (lists and objects in `changes`); NULL on failure. */
static json_t *encoded(const json_t *value, char *errstr, size_t errstr_size)
{
    struct br_buf text;
    json_t *result = NULL;

    br_buf_init(&text, 0);
    if (br_json_encode(value, &text, errstr, errstr_size) == 0) {
        result = json_stringn(text.data, text.len);
    }
    br_buf_finish(&text);
    return result;
}

json_t *br_casts_raw(const struct br_column *column, const struct br_field *field, char *errstr,
                     size_t errstr_size)
{
    json_t *value;
    json_t *raw;

    if (field->kind == BR_FIELD_TIME ||
        (field->kind == BR_FIELD_DATE && column &&
         (column->cast == BR_CAST_DATETIME || column->cast == BR_CAST_RAW_DATETIME))) {
        /* what Laravel stores for a datetime: "Y-m-d H:i:s" */
        return time_value(field->time_us, true);
    }
    if (column && (column->cast == BR_CAST_INTEGER || column->cast == BR_CAST_BOOLEAN ||
                   column->cast == BR_CAST_JSON)) {
        /* ids as PDO reads them; booleans as a set attribute holds them; JSON as the model
         * encodes it when it is set (json_encode of the decoded value, null kept); a list or
         * object the cast does not apply to, as its json_encode like everywhere */
        value = br_casts_data(column, field, errstr, errstr_size);
        if (!value || json_is_null(value) ||
            (column->cast != BR_CAST_JSON && !json_is_object(value) && !json_is_array(value))) {
            return value;
        }
        raw = encoded(value, errstr, errstr_size);
        json_decref(value);
        return raw;
    }
    value = default_data(field);
    if (field->kind == BR_FIELD_VALUE && (json_is_object(value) || json_is_array(value))) {
        raw = encoded(value, errstr, errstr_size);
        json_decref(value);
        return raw;
    }
    return value;
}
