#include "avro/timecols.h"

#include "avro/schemajson.h"
#include "core/civil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum br_timecol_kind time_kind_of(json_t *type)
{
    if (!json_is_object(type)) {
        return BR_TIMECOL_NONE;
    }
    if (br_schemajson_is(type, "type", "long")) {
        if (br_schemajson_is(type, "logicalType", "timestamp-micros") ||
            br_schemajson_is(type, "logicalType", "local-timestamp-micros") ||
            br_schemajson_is(type, "connect.name", "io.debezium.time.MicroTimestamp")) {
            return BR_TIMECOL_US;
        }
        if (br_schemajson_is(type, "logicalType", "timestamp-millis") ||
            br_schemajson_is(type, "logicalType", "local-timestamp-millis") ||
            br_schemajson_is(type, "connect.name", "io.debezium.time.Timestamp") ||
            br_schemajson_is(type, "connect.name", "org.apache.kafka.connect.data.Timestamp")) {
            return BR_TIMECOL_MS;
        }
        if (br_schemajson_is(type, "connect.name", "io.debezium.time.NanoTimestamp")) {
            return BR_TIMECOL_NS;
        }
    }
    if (br_schemajson_is(type, "type", "string") &&
        br_schemajson_is(type, "connect.name", "io.debezium.time.ZonedTimestamp")) {
        return BR_TIMECOL_ZONED;
    }
    return BR_TIMECOL_NONE;
}

enum br_timecol_kind *br_timecols_classify(const char *schema_json, const char *field,
                                           size_t *count)
{
    struct br_schemajson schema;
    enum br_timecol_kind *kinds = NULL;
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
            kinds[k] = time_kind_of(
                br_schemajson_column_type(&schema, json_object_get(column, "type")));
        }
        *count = json_array_size(columns);
    }
    br_schemajson_finish(&schema);
    return kinds;
}

static int digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9') {
            return -1;
        }
        v = v * 10 + (*(*p)++ - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c) {
        return -1;
    }
    (*p)++;
    return 0;
}

int br_timecols_parse_zoned(const char *s, size_t len, int64_t *out)
{
    const char *p = s;
    const char *end = s + len;
    int year, month, day, hour, minute, second;
    int64_t micros = 0;
    int64_t offset = 0;

    if (digits(&p, end, 4, &year) || expect(&p, end, '-') || digits(&p, end, 2, &month) ||
        expect(&p, end, '-') || digits(&p, end, 2, &day) || expect(&p, end, 'T') ||
        digits(&p, end, 2, &hour) || expect(&p, end, ':') || digits(&p, end, 2, &minute) ||
        expect(&p, end, ':') || digits(&p, end, 2, &second)) {
        return -1;
    }
    if (!br_civil_valid_date(year, month, day) || hour > 23 || minute > 59 || second > 60) {
        return -1;
    }
    if (p < end && *p == '.') {
        int n = 0;
        int64_t scale = 100000;
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            if (++n > 9) {
                return -1;
            }
            micros += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
        if (n == 0) {
            return -1;
        }
    }
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        int oh, om;
        if (digits(&p, end, 2, &oh) || expect(&p, end, ':') || digits(&p, end, 2, &om) ||
            oh > 23 || om > 59) {
            return -1;
        }
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (p != end) {
        return -1;
    }
    *out = ((br_civil_days(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
             offset) *
            1000000) +
           micros;
    return 0;
}

int br_timecols_to_us(int64_t v, enum br_timecol_kind kind, int64_t *out)
{
    switch (kind) {
    case BR_TIMECOL_MS:
        return __builtin_mul_overflow(v, 1000, out) ? -1 : 0;
    case BR_TIMECOL_NS:
        *out = v / 1000 - (v % 1000 < 0); /* floor */
        return 0;
    default:
        *out = v;
        return 0;
    }
}
