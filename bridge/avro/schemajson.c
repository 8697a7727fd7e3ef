#include "avro/schemajson.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

/* The full name of a named type declared with name inside namespace ns. */
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

void br_schemajson_init(struct br_schemajson *schema, const char *text)
{
    schema->root = json_loads(text, JSON_DECODE_ANY, NULL);
    schema->names = json_object();
    collect_names(schema->root, NULL, schema->names, 0);
}

void br_schemajson_finish(struct br_schemajson *schema)
{
    json_decref(schema->names);
    json_decref(schema->root);
    schema->names = NULL;
    schema->root = NULL;
}

static const char *top_namespace(const struct br_schemajson *schema)
{
    return json_string_value(json_object_get(schema->root, "namespace"));
}

json_t *br_schemajson_columns(const struct br_schemajson *schema, const char *field)
{
    json_t *item;
    size_t i;

    if (!json_is_object(schema->root)) {
        return NULL;
    }
    json_array_foreach(json_object_get(schema->root, "fields"), i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        json_t *record;
        json_t *columns;

        if (!name || strcmp(name, field) != 0) {
            continue;
        }
        record = resolve(non_null(json_object_get(item, "type")), top_namespace(schema),
                         schema->names);
        columns = json_object_get(record, "fields");
        return json_is_array(columns) ? columns : NULL;
    }
    return NULL;
}

json_t *br_schemajson_column_type(const struct br_schemajson *schema, json_t *type)
{
    type = non_null(type);
    return type ? resolve(type, top_namespace(schema), schema->names) : NULL;
}

int br_schemajson_is(json_t *type, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(type, key));

    return got && strcmp(got, want) == 0;
}

void br_schemajson_top_name(const struct br_schemajson *schema, char *out, size_t out_size)
{
    const char *name = json_string_value(json_object_get(schema->root, "name"));

    if (!json_is_object(schema->root) || !name) {
        snprintf(out, out_size, "%s", "");
        return;
    }
    full_name(name, top_namespace(schema), out, out_size);
}
