/*
 * The custom-field column `data`: what PERSCOM's model makes of its JSON text (custom.h).
 * stancl/virtualcolumn 1.5 (PERSCOM's composer.lock), VirtualColumn::decodeVirtualColumn():
 *
 *     foreach ($this->getAttribute('data') ?? [] as $key => $value) { $this->setAttribute(...) }
 *
 * json_decode($text, true) of an object or a list is an array: its entries become attributes
 * (a list's under the integer keys 0, 1, ...); of `null` it is null, so `?? []` gives none.
 * Of a number, a string or a boolean, foreach warns "foreach() argument must be of type
 * array|object, int given", which Laravel's error handler throws as an ErrorException: PERSCOM
 * cannot load such a row at all, and sends nothing for it.
 */
#include "perscom/custom.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "perscom/casts.h"
#include "perscom/json.h"

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The JSON type of a scalar: "number", "string", "boolean". */
static const char *json_kind(const json_t *value)
{
    if (json_is_number(value)) {
        return "number";
    }
    return json_is_string(value) ? "string" : "boolean";
}

/* PHP's name of the type json_decode($text, true) gives that scalar. */
static const char *php_type(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float";
    case JSON_STRING:
        return "string";
    default:
        return "bool";
    }
}

/* The decoded JSON text of the column, or NULL with a message. */
static json_t *parse(const json_t *column, char *errstr, size_t errstr_size)
{
    json_error_t error;
    json_t *parsed;

    if (!json_is_string(column)) {
        snprintf(errstr, errstr_size, "custom-field column \"%s\" is not a string",
                 BR_CUSTOM_COLUMN);
        return NULL;
    }
    parsed = json_loadb(json_string_value(column), json_string_length(column),
                        JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!parsed) {
        snprintf(errstr, errstr_size, "custom-field column \"%s\" is not valid JSON: %s",
                 BR_CUSTOM_COLUMN, error.text);
    }
    return parsed;
}

json_t *br_custom_parse(const json_t *column, char *errstr, size_t errstr_size)
{
    json_t *parsed;

    if (json_is_null(column)) {
        return json_null();
    }
    parsed = parse(column, errstr, errstr_size);
    if (!parsed) {
        return NULL;
    }
    if (!json_is_object(parsed) && !json_is_array(parsed) && !json_is_null(parsed)) {
        snprintf(errstr, errstr_size,
                 "custom-field column \"%s\" holds a JSON %s, not an object or a list; "
                 "PERSCOM's model cannot load the row (foreach() argument must be of type "
                 "array|object, %s given)",
                 BR_CUSTOM_COLUMN, json_kind(parsed), php_type(parsed));
        json_decref(parsed);
        return NULL;
    }
    return parsed;
}

void br_custom_each(const json_t *parsed, const char *const *hidden,
                    void (*field)(void *ctx, const char *key, json_t *value), void *ctx)
{
    const char *key;
    json_t *member;

    if (json_is_array(parsed)) {
        /* a list's items are set under their integer keys: "0", "1", ... in `data` */
        for (size_t i = 0; i < json_array_size(parsed); i++) {
            char index[32];
            json_t *value = br_casts_php_array(json_array_get(parsed, i));

            snprintf(index, sizeof(index), "%zu", i);
            field(ctx, index, value);
            json_decref(value);
        }
    } else if (json_is_object(parsed)) {
        json_object_foreach((json_t *)parsed, key, member) {
            if (!in_list(hidden, key)) {
                json_t *value = br_casts_php_array(member);

                field(ctx, key, value);
                json_decref(value);
            }
        }
    }
}

static void set_field(void *ctx, const char *key, json_t *value)
{
    json_object_set(ctx, key, value);
}

json_t *br_custom_fields(const json_t *column, const char *const *hidden, char *errstr,
                         size_t errstr_size)
{
    json_t *parsed = br_custom_parse(column, errstr, errstr_size);
    json_t *fields;

    if (!parsed) {
        return NULL;
    }
    fields = json_object();
    br_custom_each(parsed, hidden, set_field, fields);
    json_decref(parsed);
    return fields;
}

json_t *br_custom_raw(const json_t *column, const char *const *hidden, char *errstr,
                      size_t errstr_size)
{
    json_t *parsed;
    json_t *kept;
    json_t *array;
    const char *key;
    json_t *member;
    int dropped = 0;
    struct br_buf text;
    json_t *result = NULL;

    if (!json_is_string(column) || !hidden || !hidden[0]) {
        /* nothing to hide (most resources): the text as stored, without parsing it */
        return json_incref((json_t *)column);
    }
    parsed = parse(column, errstr, errstr_size);
    if (!json_is_object(parsed)) {
        /* not JSON, or no object: no key to hide; refused, where at all, in `data` */
        json_decref(parsed);
        return json_incref((json_t *)column);
    }
    kept = json_object();
    json_object_foreach(parsed, key, member) {
        if (in_list(hidden, key)) {
            dropped = 1;
        } else {
            json_object_set(kept, key, member);
        }
    }
    json_decref(parsed);
    if (!dropped) {
        json_decref(kept);
        return json_incref((json_t *)column);
    }
    /* json_encode(array_diff_key(json_decode($text, true), $hidden)) */
    array = br_casts_php_array(kept);
    json_decref(kept);
    br_buf_init(&text, 0);
    if (br_json_encode(array, &text, errstr, errstr_size) == 0) {
        result = json_stringn(text.data, text.len);
    }
    br_buf_finish(&text);
    json_decref(array);
    return result;
}
