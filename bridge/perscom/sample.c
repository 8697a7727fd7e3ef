/*
 * Sample rows of the ten PERSCOM tables (see sample.h): the catalog's columns (catalog.c, the
 * columns of schemas/<table>.avsc that PERSCOM sends) in order, each with a value of its cast;
 * a few columns have a value of their own.
 */
#include "perscom/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_US (3600LL * 1000000LL)
#define TEXT "Sample text sent by perscom-bridge test-hook."
#define BEFORE " (before the update)"

/* A value of its own: JSON text, or for a datetime hours from now; NULL when none. */
struct special {
    const char *name;
    const char *json; /* NULL: a datetime at now + hours */
    int hours;
    bool changed;     /* differs in the row before the sample update */
};

static const struct special specials[] = {
    {"text", "\"" TEXT "\"", 0, true},
    {"name", NULL, 0, true}, /* "Sample <label prefix>" */
    {"description", "\"" TEXT "\"", 0, false},
    {"email", "\"sample.user@example.com\"", 0, false},
    {"color", "\"#1d4ed8\"", 0, false},
    {"location", "\"Sample location\"", 0, false},
    {"document_id", "null", 0, false},
    {"notifications_interval", "[\"PT15M\"]", 0, false},
    {"notifications_channels", "[\"mail\"]", 0, false},
    {"approved", "true", 0, false},
    {"notifications_enabled", "true", 0, false},
    {"created_at", NULL, -24, false},
    {"email_verified_at", NULL, -24, false},
    {"starts", NULL, 24, false},
    {"ends", NULL, 26, false},
    {"updated_at", NULL, 0, true}, /* an hour earlier before the update */
    {"read_at", NULL, 0, true},    /* null before the update: the submission was read */
};

static const struct special *special_of(const char *name)
{
    for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
        if (strcmp(specials[i].name, name) == 0) {
            return &specials[i];
        }
    }
    return NULL;
}

static json_t *parse(const char *json)
{
    json_t *value = json_loads(json, JSON_DECODE_ANY, NULL);

    if (!value) {
        abort(); /* the texts above are valid JSON */
    }
    return value;
}

/* The value of a column no special names, by its cast. */
static void add_plain(struct br_row *row, const struct br_column *column, int64_t now_us)
{
    switch (column->cast) {
    case BR_CAST_INTEGER:
        /* ids 1; records_ranks.type 0 (a promotion) */
        br_row_add_value(row, column->name,
                         json_integer(strcmp(column->name, "type") == 0 ? 0 : 1));
        break;
    case BR_CAST_BOOLEAN:
        br_row_add_value(row, column->name, json_false());
        break;
    case BR_CAST_DATETIME:
    case BR_CAST_RAW_DATETIME:
        br_row_add_time(row, column->name, now_us);
        break;
    case BR_CAST_DECIMAL:
        br_row_add_value(row, column->name, json_string("1"));
        break;
    case BR_CAST_STRING:
        /* assignment records' type is primary or secondary; other text is optional */
        br_row_add_value(row, column->name,
                         strcmp(column->name, "type") == 0 ? json_string("primary") : json_null());
        break;
    case BR_CAST_JSON:
        br_row_add_value(row, column->name, json_null());
        break;
    }
}

static void add_special(struct br_row *row, const struct br_resource *resource,
                        const struct br_column *column, const struct special *special,
                        int64_t now_us, bool before)
{
    bool changed = before && special->changed;

    if (strcmp(special->name, "name") == 0) {
        char text[128];
        snprintf(text, sizeof(text), "Sample %s%s", resource->label_prefix,
                 changed ? BEFORE : "");
        br_row_add_value(row, column->name, json_string(text));
    } else if (special->json) {
        json_t *value = parse(special->json);
        if (changed && json_is_string(value)) {
            char text[256];
            snprintf(text, sizeof(text), "%s%s", json_string_value(value), BEFORE);
            json_decref(value);
            value = json_string(text);
        }
        br_row_add_value(row, column->name, value);
    } else if (changed && strcmp(special->name, "read_at") == 0) {
        br_row_add_value(row, column->name, json_null());
    } else {
        br_row_add_time(row, column->name,
                        now_us + special->hours * HOUR_US - (changed ? HOUR_US : 0));
    }
}

struct br_row *br_sample_row(const struct br_resource *resource, int64_t now_us, int before)
{
    struct br_row *row;

    if (!resource || !resource->columns ||
        br_catalog_by_table(resource->table) != resource) {
        return NULL;
    }
    row = br_row_create(32);
    for (const struct br_column *column = resource->columns; column->name; column++) {
        const struct special *special = special_of(column->name);
        if (special) {
            add_special(row, resource, column, special, now_us, before != 0);
        } else {
            add_plain(row, column, now_us);
        }
    }
    return row;
}

int br_sample_change(const struct br_resource *resource, enum br_action action, int64_t now_us,
                     struct br_change *out)
{
    memset(out, 0, sizeof(*out));
    out->ts_us = now_us;
    switch (action) {
    case BR_ACTION_CREATED:
        out->op = BR_OP_CREATE;
        out->after = br_sample_row(resource, now_us, 0);
        break;
    case BR_ACTION_UPDATED:
        out->op = BR_OP_UPDATE;
        out->before = br_sample_row(resource, now_us, 1);
        out->after = br_sample_row(resource, now_us, 0);
        break;
    case BR_ACTION_DELETED:
        out->op = BR_OP_DELETE;
        out->before = br_sample_row(resource, now_us, 0);
        break;
    case BR_ACTION_COUNT:
        break;
    }
    if (!out->after && !out->before) {
        br_change_finish(out);
        return -1;
    }
    return 0;
}
