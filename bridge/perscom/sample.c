/* Sample rows of the ten PERSCOM tables (see sample.h); columns as in schemas/<table>.avsc. */
#include "perscom/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_US (3600LL * 1000000LL)
#define TEXT "Sample text sent by perscom-bridge test-hook."

enum kind {
    K_NULL,   /* null */
    K_INT,    /* an integer: number */
    K_STRING, /* text */
    K_BOOL,   /* number != 0 */
    K_TIME,   /* now + number hours */
    K_LIST    /* a list of one string: text */
};

/*
 * One column. before: the value the sample update changed (text, or for a K_TIME column
 * "updated": an hour earlier; for a K_NULL column that becomes a time: "was_null"); NULL when
 * the column did not change.
 */
struct column {
    const char *name;
    enum kind kind;
    long long number;
    const char *text;
    const char *before;
};

#define ID {"id", K_INT, 1, NULL, NULL}
#define REF(name) {name, K_INT, 1, NULL, NULL}
#define NUL(name) {name, K_NULL, 0, NULL, NULL}
#define STR(name, value) {name, K_STRING, 0, value, NULL}
#define CHANGED(name, value) {name, K_STRING, 0, value, value " (before the update)"}
#define BOOLEAN(name, value) {name, K_BOOL, value, NULL, NULL}
#define TIME(name, hours) {name, K_TIME, hours, NULL, NULL}
#define STAMPS TIME("created_at", -24), {"updated_at", K_TIME, 0, NULL, "updated"}
#define CUSTOM NUL("data") /* custom fields: none */
#define END {NULL, K_NULL, 0, NULL, NULL}

static const struct column assignments[] = {
    ID, REF("user_id"), REF("status_id"), REF("unit_id"), REF("position_id"),
    REF("specialty_id"), REF("unit_slot_id"), NUL("document_id"), REF("author_id"),
    STR("type", "primary"), CHANGED("text", TEXT), STAMPS, CUSTOM, END,
};
static const struct column awards[] = {
    ID, REF("user_id"), REF("award_id"), NUL("document_id"), REF("author_id"),
    CHANGED("text", TEXT), STAMPS, CUSTOM, END,
};
static const struct column calendars[] = {
    ID, CHANGED("name", "Sample calendar"), STR("description", TEXT), STR("color", "#1d4ed8"),
    STAMPS, END,
};
static const struct column combat[] = {
    ID, REF("user_id"), NUL("document_id"), REF("author_id"), CHANGED("text", TEXT), STAMPS,
    CUSTOM, END,
};
static const struct column events[] = {
    ID, CHANGED("name", "Sample event"), REF("calendar_id"), STR("description", TEXT),
    NUL("content"), STR("location", "Sample location"), NUL("url"), REF("author_id"),
    BOOLEAN("all_day", 0), TIME("starts", 24), TIME("ends", 26), BOOLEAN("repeats", 0),
    BOOLEAN("registration_enabled", 0), NUL("registration_deadline"),
    BOOLEAN("notifications_enabled", 1), {"notifications_interval", K_LIST, 0, "PT15M", NULL},
    {"notifications_channels", K_LIST, 0, "mail", NULL}, STAMPS, END,
};
static const struct column qualifications[] = {
    ID, REF("user_id"), REF("qualification_id"), NUL("document_id"), REF("author_id"),
    CHANGED("text", TEXT), STAMPS, CUSTOM, END,
};
static const struct column ranks[] = {
    ID, REF("user_id"), REF("rank_id"), NUL("document_id"), REF("author_id"),
    CHANGED("text", TEXT), {"type", K_INT, 0, NULL, NULL}, STAMPS, CUSTOM, END,
};
static const struct column service[] = {
    ID, REF("user_id"), NUL("document_id"), REF("author_id"), CHANGED("text", TEXT), STAMPS,
    CUSTOM, END,
};
static const struct column submissions[] = {
    ID, REF("form_id"), REF("user_id"), {"read_at", K_TIME, 0, NULL, "was_null"}, STAMPS,
    CUSTOM, END,
};
static const struct column users[] = {
    ID, CHANGED("name", "Sample User"), STR("email", "sample.user@example.com"),
    TIME("email_verified_at", -24), NUL("password"), NUL("remember_token"), NUL("phone_number"),
    REF("position_id"), REF("rank_id"), REF("specialty_id"), REF("status_id"), REF("unit_id"),
    REF("unit_slot_id"), BOOLEAN("approved", 1), NUL("notes"), NUL("notes_updated_at"),
    NUL("profile_photo"), NUL("cover_photo"), TIME("last_seen_at", 0), NUL("discord_user_id"),
    NUL("discord_private_channel_id"), NUL("facebook_user_id"), NUL("github_user_id"),
    NUL("google_user_id"), STAMPS, CUSTOM, END,
};

static const struct {
    const char *table;
    const struct column *columns;
} tables[] = {
    {"records_assignments", assignments},
    {"records_awards", awards},
    {"calendars", calendars},
    {"records_combat", combat},
    {"events", events},
    {"records_qualifications", qualifications},
    {"records_ranks", ranks},
    {"records_service", service},
    {"submissions", submissions},
    {"users", users},
};

static void add_column(struct br_row *row, const struct column *column, int64_t now_us,
                       int before)
{
    bool changed = before && column->before;

    switch (column->kind) {
    case K_NULL:
        br_row_add_value(row, column->name, json_null());
        break;
    case K_INT:
        br_row_add_value(row, column->name, json_integer(column->number));
        break;
    case K_STRING:
        br_row_add_value(row, column->name,
                         json_string(changed ? column->before : column->text));
        break;
    case K_BOOL:
        br_row_add_value(row, column->name, json_boolean(column->number != 0));
        break;
    case K_TIME:
        if (changed && strcmp(column->before, "was_null") == 0) {
            br_row_add_value(row, column->name, json_null());
        } else {
            br_row_add_time(row, column->name,
                            now_us + column->number * HOUR_US - (changed ? HOUR_US : 0));
        }
        break;
    case K_LIST: {
        json_t *list = json_array();
        if (!list) {
            abort();
        }
        json_array_append_new(list, json_string(column->text));
        br_row_add_value(row, column->name, list);
        break;
    }
    }
}

struct br_row *br_sample_row(const struct br_resource *resource, int64_t now_us, int before)
{
    for (size_t i = 0; resource && i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (strcmp(tables[i].table, resource->table) == 0) {
            struct br_row *row = br_row_create(32);
            for (const struct column *column = tables[i].columns; column->name; column++) {
                add_column(row, column, now_us, before);
            }
            return row;
        }
    }
    return NULL;
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
        return -1;
    }
    return 0;
}
