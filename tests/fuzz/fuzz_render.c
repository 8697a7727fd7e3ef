/*
 * libFuzzer target: a change record built from JSON, through the renderer, the PHP-compatible
 * JSON writer and the query builder, with the invariants of fuzz_check.h.
 *
 * Input: the first byte selects the resource (byte % 10, catalog order) and the action
 * ((byte / 10) % 3: created, updated, deleted); the rest is a JSON object (jansson, NUL allowed
 * in strings):
 *   {"before": {column: value, ...} or null, "after": {...} or null, "ts_us": integer,
 *    "request_id": string, "trace_id": string, "topic": string, "partition": integer,
 *    "offset": integer}
 * every key optional. A column value that is a string of the form
 * "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z]", or an object {"$t": integer} (microseconds since the
 * epoch), becomes a BR_FIELD_TIME column; {"$date": days} a BR_FIELD_DATE, {"$clock":
 * microseconds} a BR_FIELD_CLOCK, {"$dec": "text"} a BR_FIELD_DECIMAL (any text: the casts must
 * cope with what the decoder never gives); anything else is the column's value as it is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "perscom/catalog.h"
#include "core/civil.h"
#include "perscom/change.h"
#include "perscom/customscan.h"
#include "fuzz_check.h"

static int digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* 0 and the time when s is "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z]" (fields range-checked). */
static int parse_time(const char *s, size_t len, int64_t *time_us)
{
    int year, month, day, hour, minute, second;
    int64_t micros = 0;
    size_t pos = 19;

    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
        s[13] != ':' || s[16] != ':' || digits(s, 4, &year) || digits(s + 5, 2, &month) ||
        digits(s + 8, 2, &day) || digits(s + 11, 2, &hour) || digits(s + 14, 2, &minute) ||
        digits(s + 17, 2, &second)) {
        return -1;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 60) {
        return -1;
    }
    if (pos < len && s[pos] == '.') {
        int n = 0;

        pos++;
        while (pos < len && n < 6 && s[pos] >= '0' && s[pos] <= '9') {
            micros = micros * 10 + (s[pos++] - '0');
            n++;
        }
        if (n == 0) {
            return -1;
        }
        for (; n < 6; n++) {
            micros *= 10;
        }
    }
    if (pos < len && s[pos] == 'Z') {
        pos++;
    }
    if (pos != len) {
        return -1;
    }
    *time_us = ((br_civil_days(year, month, day) * 24 + hour) * 60 + minute) * 60 + second;
    *time_us = *time_us * 1000000 + micros;
    return 0;
}

static struct br_row *row_from(json_t *object)
{
    struct br_row *row;
    const char *name;
    json_t *value;

    if (!json_is_object(object)) {
        return NULL;
    }
    row = br_row_create(json_object_size(object));
    json_object_foreach(object, name, value) {
        int single = json_is_object(value) && json_object_size(value) == 1;
        json_t *t = json_object_get(value, "$t");
        json_t *date = json_object_get(value, "$date");
        json_t *clock = json_object_get(value, "$clock");
        json_t *dec = json_object_get(value, "$dec");
        int64_t time_us = 0;

        if (json_is_string(value) &&
            parse_time(json_string_value(value), json_string_length(value), &time_us) == 0) {
            br_row_add_time(row, name, time_us);
        } else if (single && json_is_integer(t)) {
            br_row_add_time(row, name, (int64_t)json_integer_value(t));
        } else if (single && json_is_integer(date) &&
                   !__builtin_mul_overflow((int64_t)json_integer_value(date),
                                           INT64_C(86400000000), &time_us)) {
            br_row_add_timed(row, name, BR_FIELD_DATE, time_us);
        } else if (single && json_is_integer(clock)) {
            br_row_add_timed(row, name, BR_FIELD_CLOCK, (int64_t)json_integer_value(clock));
        } else if (single && json_is_string(dec)) {
            br_row_add_decimal(row, name, json_string_value(dec));
        } else {
            br_row_add_value(row, name, json_incref(value));
        }
    }
    return row;
}

/*
 * The render's reader of flat custom fields (customscan.h) against jansson: every string column
 * it accepts reads, member by member and in order, as json_loadb reads it.
 */
static void check_customscan(const struct br_row *row)
{
    for (size_t i = 0; row && i < row->count; i++) {
        const json_t *column = row->fields[i].value;
        const char *text = json_string_value(column);
        size_t len = json_string_length(column);
        struct br_customscan scan;
        json_error_t error;
        json_t *parsed;
        const char *key;
        json_t *member;
        size_t at = 0;

        if (row->fields[i].kind != BR_FIELD_VALUE || !text ||
            br_customscan_object(text, len, &scan) != 0) {
            continue;
        }
        parsed = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        if (!json_is_object(parsed) || json_object_size(parsed) != scan.count) {
            fuzz_fail("customscan accepted what jansson reads otherwise", text, len);
        }
        json_object_foreach(parsed, key, member) {
            const struct br_customscan_member *m = &scan.members[at++];
            char digits[32];
            int same = strcmp(m->key, key) == 0;

            switch (m->type) {
            case BR_CUSTOMSCAN_STRING:
                same = same && json_is_string(member) && json_string_length(member) == m->len &&
                       memcmp(json_string_value(member), m->text, m->len) == 0;
                break;
            case BR_CUSTOMSCAN_INTEGER:
                snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(member));
                same = same && json_is_integer(member) && strlen(digits) == m->len &&
                       memcmp(digits, m->text, m->len) == 0;
                break;
            case BR_CUSTOMSCAN_TRUE:
                same = same && json_is_true(member);
                break;
            case BR_CUSTOMSCAN_FALSE:
                same = same && json_is_false(member);
                break;
            case BR_CUSTOMSCAN_NULL:
                same = same && json_is_null(member);
                break;
            }
            if (!same) {
                fuzz_fail("customscan read a member otherwise than jansson", text, len);
            }
        }
        json_decref(parsed);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum br_op ops[BR_ACTION_COUNT] = {BR_OP_CREATE, BR_OP_UPDATE, BR_OP_DELETE};
    struct br_change change = {0};
    const struct br_resource *resource;
    enum br_action action;
    struct br_render_input in;
    json_error_t error;
    json_t *root;

    if (size < 1) {
        return 0;
    }
    resource = br_catalog_resource(data[0] % BR_RESOURCE_COUNT);
    action = (enum br_action)((data[0] / BR_RESOURCE_COUNT) % BR_ACTION_COUNT);
    root = json_loadb((const char *)data + 1, size - 1, JSON_ALLOW_NUL, &error);
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    change.op = ops[action];
    change.before = row_from(json_object_get(root, "before"));
    change.after = row_from(json_object_get(root, "after"));
    change.ts_us = (int64_t)json_integer_value(json_object_get(root, "ts_us"));
    check_customscan(change.before);
    check_customscan(change.after);
    /* What br_decode guarantees: a delete has a before image, everything else an after. */
    if ((action == BR_ACTION_DELETED && !change.before) ||
        (action != BR_ACTION_DELETED && !change.after)) {
        goto done;
    }

    in = (struct br_render_input){
        .resource = resource,
        .action = action,
        .change = &change,
        .request_id = json_string_value(json_object_get(root, "request_id")),
        .trace_id = json_string_value(json_object_get(root, "trace_id")),
        .topic = json_string_value(json_object_get(root, "topic")),
        .partition = (int32_t)json_integer_value(json_object_get(root, "partition")),
        .offset = (int64_t)json_integer_value(json_object_get(root, "offset")),
    };
    if (!in.topic) {
        in.topic = "perscom.fuzz.table";
    }
    fuzz_render_check(&in);
done:
    br_change_finish(&change);
    json_decref(root);
    return 0;
}
