/*
 * The walk below follows avro-c 1.11.1's own parser (schema.c, avro_schema_from_json_t): the
 * same JSON keys, the same namespaces, the same resolution of names, so that what it measures
 * is what avro-c would build. What avro-c refuses anyway (a missing name, an unknown type) is
 * let through for avro-c to name, except a name declared twice: avro-c leaks memory on it.
 */
#include "avro/schemabounds.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one value of a type holds before any data is read (see schemabounds.h). */
struct cost {
    uint64_t values;
    uint64_t bytes; /* of fixed types */
    bool endless;   /* a record that contains itself: avro-c would never stop */
};

/* A named type seen so far: its cost once its declaration is complete. */
struct named {
    struct cost cost;
    bool open; /* a record whose fields are being walked */
};

struct walk {
    json_t *index;        /* full name -> position in named (a JSON integer) */
    struct named *named;
    size_t named_count;
    char loop[800];       /* the record found inside itself */
    char *errstr;
    size_t errstr_size;
};

static int refuse(struct walk *walk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct walk *walk, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(walk->errstr, walk->errstr_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* avro-c's qualify_name(): a name without a dot is qualified by the namespace, if any. */
static void qualify(const char *name, const char *ns, char *out, size_t out_size)
{
    if (ns && !strchr(name, '.')) {
        snprintf(out, out_size, "%s.%s", ns, name);
    } else {
        snprintf(out, out_size, "%s", name);
    }
}

static int check_name(struct walk *walk, const char *what, const char *name)
{
    size_t len = strlen(name);

    if (len > BR_SCHEMABOUNDS_MAX_NAME) {
        return refuse(walk, "%s of %zu bytes (at most %d): \"%.40s...\"", what, len,
                      BR_SCHEMABOUNDS_MAX_NAME, name);
    }
    return 0;
}

static void add(struct cost *sum, const struct cost *part)
{
    sum->values += part->values;
    sum->bytes += part->bytes;
    sum->endless = sum->endless || part->endless;
}

/*
 * Declares the named type (record, enum, fixed) of type object json: its full name in full, the
 * namespace of what it encloses in *ns (avro-c: the type's own namespace). Returns its slot.
 */
static int declare(struct walk *walk, json_t *json, const char *parent_ns, char *full,
                   size_t full_size, char *ns, size_t ns_size, size_t *slot)
{
    const char *name = json_string_value(json_object_get(json, "name"));
    const char *own_ns = json_string_value(json_object_get(json, "namespace"));
    const char *dot;
    struct named *grown;

    if (check_name(walk, "name", name) != 0 ||
        (own_ns && check_name(walk, "namespace", own_ns) != 0)) {
        return -1;
    }
    dot = strrchr(name, '.');
    if (dot) {
        snprintf(ns, ns_size, "%.*s", (int)(dot - name), name);
        snprintf(full, full_size, "%s", name);
    } else {
        const char *space = own_ns ? own_ns : parent_ns;

        snprintf(ns, ns_size, "%s", space ? space : "");
        qualify(name, space, full, full_size);
    }
    if (json_object_get(walk->index, full)) {
        /* avro-c refuses it too, but leaks the type it was building (avro-c 1.11.1) */
        return refuse(walk, "type %s declared twice", full);
    }
    grown = realloc(walk->named, (walk->named_count + 1) * sizeof(*grown));
    if (!grown) {
        abort();
    }
    walk->named = grown;
    *slot = walk->named_count++;
    memset(&walk->named[*slot], 0, sizeof(walk->named[*slot]));
    json_object_set_new(walk->index, full, json_integer((json_int_t)*slot));
    return 0;
}

/* The namespace avro-c passes on: NULL when the type has none. */
static const char *space_of(json_t *json, const char *parent_ns, const char *ns)
{
    const char *name = json_string_value(json_object_get(json, "name"));

    if (strchr(name, '.') || json_is_string(json_object_get(json, "namespace"))) {
        return ns;
    }
    return parent_ns;
}

static int walk_type(struct walk *walk, json_t *json, const char *ns, int depth,
                     struct cost *cost);

static int walk_record(struct walk *walk, json_t *json, const char *parent_ns, int depth,
                       struct cost *cost)
{
    json_t *fields = json_object_get(json, "fields");
    char full[800];
    char ns[800];
    const char *space;
    size_t slot;
    size_t i;
    json_t *field;

    if (!json_is_string(json_object_get(json, "name")) || !json_is_array(fields)) {
        return 0; /* avro-c refuses it */
    }
    if (json_array_size(fields) > BR_SCHEMABOUNDS_MAX_FIELDS) {
        return refuse(walk, "record %s: %zu fields (at most %d)",
                      json_string_value(json_object_get(json, "name")), json_array_size(fields),
                      BR_SCHEMABOUNDS_MAX_FIELDS);
    }
    if (declare(walk, json, parent_ns, full, sizeof(full), ns, sizeof(ns), &slot) != 0) {
        return -1;
    }
    space = space_of(json, parent_ns, ns);
    walk->named[slot].open = true;
    json_array_foreach(fields, i, field) {
        const char *name = json_string_value(json_object_get(field, "name"));
        json_t *type = json_object_get(field, "type");
        struct cost part;

        if (!json_is_object(field) || !json_object_get(field, "name") || !type) {
            continue; /* avro-c refuses it */
        }
        if (name && check_name(walk, "field name", name) != 0) {
            return -1;
        }
        if (walk_type(walk, type, space, depth + 1, &part) != 0) {
            return -1;
        }
        add(cost, &part);
    }
    walk->named[slot].open = false;
    walk->named[slot].cost = *cost;
    if (cost->endless) {
        return refuse(walk, "record %s contains itself with no union, array or map between: "
                      "a value of it would never end", walk->loop);
    }
    if (cost->values > BR_SCHEMABOUNDS_MAX_VALUES) {
        return refuse(walk, "a value of record %s is made of %llu values before any data is "
                      "read (at most %d)", full, (unsigned long long)cost->values,
                      BR_SCHEMABOUNDS_MAX_VALUES);
    }
    if (cost->bytes > BR_SCHEMABOUNDS_MAX_FIXED_BYTES) {
        return refuse(walk, "a value of record %s holds %llu bytes of fixed types (at most %u)",
                      full, (unsigned long long)cost->bytes, BR_SCHEMABOUNDS_MAX_FIXED_BYTES);
    }
    return 0;
}

static int walk_enum(struct walk *walk, json_t *json, const char *parent_ns)
{
    json_t *symbols = json_object_get(json, "symbols");
    char full[800];
    char ns[800];
    size_t slot;
    size_t i;
    json_t *symbol;

    if (!json_is_string(json_object_get(json, "name")) || !json_is_array(symbols)) {
        return 0;
    }
    if (json_array_size(symbols) > BR_SCHEMABOUNDS_MAX_SYMBOLS) {
        return refuse(walk, "enum %s: %zu symbols (at most %d)",
                      json_string_value(json_object_get(json, "name")), json_array_size(symbols),
                      BR_SCHEMABOUNDS_MAX_SYMBOLS);
    }
    json_array_foreach(symbols, i, symbol) {
        if (json_is_string(symbol) &&
            check_name(walk, "enum symbol", json_string_value(symbol)) != 0) {
            return -1;
        }
    }
    if (declare(walk, json, parent_ns, full, sizeof(full), ns, sizeof(ns), &slot) != 0) {
        return -1;
    }
    walk->named[slot].cost.values = 1;
    return 0;
}

static int walk_fixed(struct walk *walk, json_t *json, const char *parent_ns, struct cost *cost)
{
    json_t *size = json_object_get(json, "size");
    char full[800];
    char ns[800];
    size_t slot;

    if (!json_is_integer(size) || !json_is_string(json_object_get(json, "name"))) {
        return 0;
    }
    if (json_integer_value(size) < 0 || json_integer_value(size) > BR_SCHEMABOUNDS_MAX_FIXED) {
        return refuse(walk, "fixed %s: %lld bytes (at most %d)",
                      json_string_value(json_object_get(json, "name")),
                      (long long)json_integer_value(size), BR_SCHEMABOUNDS_MAX_FIXED);
    }
    if (declare(walk, json, parent_ns, full, sizeof(full), ns, sizeof(ns), &slot) != 0) {
        return -1;
    }
    cost->bytes = (uint64_t)json_integer_value(size);
    walk->named[slot].cost = *cost;
    return 0;
}

/* A reference to a named type: what it costs where it is used. */
static void reference(struct walk *walk, const char *name, const char *ns, struct cost *cost)
{
    char full[800];
    json_t *slot;
    const struct named *named;

    qualify(name, ns, full, sizeof(full));
    slot = json_object_get(walk->index, full);
    if (!slot) {
        return; /* unknown (or declared later): avro-c refuses it */
    }
    named = &walk->named[json_integer_value(slot)];
    if (named->open) {
        snprintf(walk->loop, sizeof(walk->loop), "%s", full);
        cost->endless = true;
        return;
    }
    *cost = named->cost;
}

/* A container (union, array, map) starts empty: what it holds costs nothing until data comes. */
static int walk_inside(struct walk *walk, json_t *json, const char *ns, int depth)
{
    struct cost ignored;

    if (!json) {
        return 0;
    }
    return walk_type(walk, json, ns, depth + 1, &ignored);
}

static int walk_type(struct walk *walk, json_t *json, const char *ns, int depth,
                     struct cost *cost)
{
    static const char *const primitives[] = {"string", "bytes", "int",  "long",
                                             "float",  "double", "boolean", "null"};
    json_t *type;
    const char *name;

    memset(cost, 0, sizeof(*cost));
    cost->values = 1;
    if (depth > BR_SCHEMABOUNDS_MAX_DEPTH) {
        return refuse(walk, "types nested more than %d deep", BR_SCHEMABOUNDS_MAX_DEPTH);
    }
    if (json_is_array(json)) {
        size_t i;
        json_t *branch;

        if (json_array_size(json) > BR_SCHEMABOUNDS_MAX_BRANCHES) {
            return refuse(walk, "a union of %zu branches (at most %d)", json_array_size(json),
                          BR_SCHEMABOUNDS_MAX_BRANCHES);
        }
        json_array_foreach(json, i, branch) {
            if (walk_inside(walk, branch, ns, depth) != 0) {
                return -1;
            }
        }
        return 0;
    }
    type = json_is_object(json) ? json_object_get(json, "type") : json;
    name = json_string_value(type);
    if (!name) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++) {
        if (strcmp(name, primitives[i]) == 0) {
            return 0;
        }
    }
    if (strcmp(name, "record") == 0) {
        return walk_record(walk, json, ns, depth, cost);
    }
    if (strcmp(name, "enum") == 0) {
        return walk_enum(walk, json, ns);
    }
    if (strcmp(name, "fixed") == 0) {
        return walk_fixed(walk, json, ns, cost);
    }
    if (strcmp(name, "array") == 0) {
        return walk_inside(walk, json_object_get(json, "items"), ns, depth);
    }
    if (strcmp(name, "map") == 0) {
        return walk_inside(walk, json_object_get(json, "values"), ns, depth);
    }
    if (strlen(name) > 2 * BR_SCHEMABOUNDS_MAX_NAME + 1) {
        return refuse(walk, "type name of %zu bytes (at most %d)", strlen(name),
                      2 * BR_SCHEMABOUNDS_MAX_NAME + 1);
    }
    reference(walk, name, ns, cost);
    return 0;
}

int br_schemabounds_check(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    struct walk walk = {.errstr = errstr, .errstr_size = errstr_size};
    struct cost cost;
    json_t *root;
    int rc;

    if (len > BR_SCHEMABOUNDS_MAX_TEXT) {
        snprintf(errstr, errstr_size, "schema of %zu bytes (at most %u)", len,
                 BR_SCHEMABOUNDS_MAX_TEXT);
        return -1;
    }
    root = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (!root) {
        return 0; /* avro-c says why */
    }
    walk.index = json_object();
    if (!walk.index) {
        abort();
    }
    /* a value of the top-level type is bounded by now: records are checked where they end */
    rc = walk_type(&walk, root, NULL, 0, &cost);
    json_decref(walk.index);
    json_decref(root);
    free(walk.named);
    return rc;
}
