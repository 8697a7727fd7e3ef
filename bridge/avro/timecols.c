#include "avro/timecols.h"

#include "core/civil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

/* The full name of a named type declared as object obj inside namespace ns. */
static void full_name(const char *name, const char *ns, char *out, size_t out_size)
{
    if (strchr(name, '.') || !ns || !*ns) {
        snprintf(out, out_size, "%s", name);
    } else {
        snprintf(out, out_size, "%s.%s", ns, name);
    }
}

/* Records every named type (record, enum, fixed) of type into names, by full name. */
static void collect_names(json_t *type, const char *ns, json_t *names, int depth)
{
    char full[512];
    const char *name;
    const char *own_ns;
    size_t i;
    json_t *item;

    if (depth > MAX_DEPTH) {
        return;
    }
    if (json_is_array(type)) {
        json_array_foreach(type, i, item) {
            collect_names(item, ns, names, depth + 1);
        }
        return;
    }
    if (!json_is_object(type)) {
        return;
    }
    name = json_string_value(json_object_get(type, "name"));
    own_ns = json_string_value(json_object_get(type, "namespace"));
    if (name) {
        if (own_ns) {
            ns = own_ns;
        }
        full_name(name, ns, full, sizeof(full));
        json_object_set(names, full, type);
        /* the namespace of what it encloses is the full name's prefix */
        if (strrchr(full, '.')) {
            *strrchr(full, '.') = '\0';
            ns = full;
        } else {
            ns = NULL;
        }
    }
    json_array_foreach(json_object_get(type, "fields"), i, item) {
        collect_names(json_object_get(item, "type"), ns, names, depth + 1);
    }
    collect_names(json_object_get(type, "items"), ns, names, depth + 1);
    collect_names(json_object_get(type, "values"), ns, names, depth + 1);
}

/* A reference by name resolved to its declaration; anything else as it is. */
static json_t *resolve(json_t *type, const char *ns, json_t *names)
{
    char full[512];
    const char *name = json_string_value(type);
    json_t *found;

    if (!name) {
        return type;
    }
    full_name(name, ns, full, sizeof(full));
    found = json_object_get(names, full);
    if (!found) {
        found = json_object_get(names, name);
    }
    return found ? found : type;
}

/* The one non-null branch of a union, or the type itself; NULL when ambiguous. */
static json_t *non_null(json_t *type)
{
    json_t *found = NULL;
    json_t *item;
    size_t i;

    if (!json_is_array(type)) {
        return type;
    }
    json_array_foreach(type, i, item) {
        if (json_is_string(item) && strcmp(json_string_value(item), "null") == 0) {
            continue;
        }
        if (found) {
            return NULL;
        }
        found = item;
    }
    return found;
}

static int name_is(json_t *json, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(json, key));

    return got && strcmp(got, want) == 0;
}

static enum br_timecol_kind time_kind_of(json_t *type)
{
    type = non_null(type);
    if (!json_is_object(type)) {
        return BR_TIMECOL_NONE;
    }
    if (name_is(type, "type", "long")) {
        if (name_is(type, "logicalType", "timestamp-micros") ||
            name_is(type, "logicalType", "local-timestamp-micros") ||
            name_is(type, "connect.name", "io.debezium.time.MicroTimestamp")) {
            return BR_TIMECOL_US;
        }
        if (name_is(type, "logicalType", "timestamp-millis") ||
            name_is(type, "logicalType", "local-timestamp-millis") ||
            name_is(type, "connect.name", "io.debezium.time.Timestamp")) {
            return BR_TIMECOL_MS;
        }
        if (name_is(type, "connect.name", "io.debezium.time.NanoTimestamp")) {
            return BR_TIMECOL_NS;
        }
    }
    if (name_is(type, "type", "string") &&
        name_is(type, "connect.name", "io.debezium.time.ZonedTimestamp")) {
        return BR_TIMECOL_ZONED;
    }
    return BR_TIMECOL_NONE;
}

enum br_timecol_kind *br_timecols_classify(const char *schema_json, const char *field,
                                           size_t *count)
{
    json_t *root = json_loads(schema_json, JSON_DECODE_ANY, NULL);
    json_t *names = json_object();
    enum br_timecol_kind *kinds = NULL;
    const char *ns;
    json_t *item;
    size_t i;

    *count = 0;
    if (!json_is_object(root)) {
        goto done;
    }
    collect_names(root, NULL, names, 0);
    ns = json_string_value(json_object_get(root, "namespace"));
    json_array_foreach(json_object_get(root, "fields"), i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        json_t *record;
        json_t *columns;
        json_t *column;
        size_t k;

        if (!name || strcmp(name, field) != 0) {
            continue;
        }
        record = resolve(non_null(json_object_get(item, "type")), ns, names);
        columns = json_object_get(record, "fields");
        if (!json_is_array(columns)) {
            break;
        }
        kinds = calloc(json_array_size(columns) + 1, sizeof(*kinds));
        if (!kinds) {
            abort();
        }
        json_array_foreach(columns, k, column) {
            kinds[k] = time_kind_of(json_object_get(column, "type"));
        }
        *count = json_array_size(columns);
        break;
    }
done:
    json_decref(names);
    json_decref(root);
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
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (digits(&p, end, 4, &year) || expect(&p, end, '-') || digits(&p, end, 2, &month) ||
        expect(&p, end, '-') || digits(&p, end, 2, &day) || expect(&p, end, 'T') ||
        digits(&p, end, 2, &hour) || expect(&p, end, ':') || digits(&p, end, 2, &minute) ||
        expect(&p, end, ':') || digits(&p, end, 2, &second)) {
        return -1;
    }
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1] || hour > 23 ||
        minute > 59 || second > 60) {
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
