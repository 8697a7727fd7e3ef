/*
 * The event catalog: the ten PERSCOM resources of perscom-wire.md, op -> action, event names
 * and subscription patterns ("rankrecord.created", "rankrecord.*", "*.deleted", "*").
 */
#include "perscom/catalog.h"

#include <stdio.h>
#include <string.h>

static const char *const users_hidden[] = {"password", "remember_token",
                                           "discord_private_channel_id", NULL};
static const char *const none[] = {NULL};

/* Debezium's default heartbeat topic prefix (heartbeat.topics.prefix). */
#define HEARTBEAT_PREFIX "__debezium-heartbeat."

#define INT(name) {name, BR_CAST_INTEGER, 0}
#define STR(name) {name, BR_CAST_STRING, 0}
#define BOOL(name) {name, BR_CAST_BOOLEAN, 0}
#define TIME(name) {name, BR_CAST_DATETIME, 0}
#define JSON(name) {name, BR_CAST_JSON, 0}
#define TIMESTAMPS TIME("created_at"), TIME("updated_at")
#define END {NULL, BR_CAST_STRING, 0}

/* The columns of perscom-wire.md ("Columns of the ten resources") and their model casts. */
static const struct br_column assignment_columns[] = {
    INT("id"), INT("user_id"), INT("status_id"), INT("unit_id"), INT("position_id"),
    INT("specialty_id"), INT("unit_slot_id"), INT("document_id"), INT("author_id"), STR("type"),
    STR("text"), TIMESTAMPS, END,
};
static const struct br_column award_columns[] = {
    INT("id"), INT("user_id"), INT("award_id"), INT("document_id"), INT("author_id"),
    STR("text"), TIMESTAMPS, END,
};
static const struct br_column calendar_columns[] = {
    INT("id"), STR("name"), STR("description"), STR("color"), TIMESTAMPS, END,
};
static const struct br_column combat_columns[] = {
    INT("id"), INT("user_id"), INT("document_id"), INT("author_id"), STR("text"), TIMESTAMPS, END,
};
static const struct br_column event_columns[] = {
    INT("id"), STR("name"), INT("calendar_id"), STR("description"), STR("content"),
    STR("location"), STR("url"), INT("author_id"), BOOL("all_day"), TIME("starts"), TIME("ends"),
    BOOL("repeats"), BOOL("registration_enabled"), TIME("registration_deadline"),
    BOOL("notifications_enabled"), JSON("notifications_interval"), JSON("notifications_channels"),
    TIMESTAMPS, END,
};
static const struct br_column qualification_columns[] = {
    INT("id"), INT("user_id"), INT("qualification_id"), INT("document_id"), INT("author_id"),
    STR("text"), TIMESTAMPS, END,
};
static const struct br_column rank_columns[] = {
    INT("id"), INT("user_id"), INT("rank_id"), INT("document_id"), INT("author_id"),
    STR("text"), INT("type"), TIMESTAMPS, END,
};
static const struct br_column service_columns[] = {
    INT("id"), INT("user_id"), INT("document_id"), INT("author_id"), STR("text"), TIMESTAMPS, END,
};
static const struct br_column submission_columns[] = {
    INT("id"), INT("form_id"), INT("user_id"), {"read_at", BR_CAST_RAW_DATETIME, 0}, TIMESTAMPS,
    END,
};
static const struct br_column user_columns[] = {
    INT("id"), STR("name"), STR("email"), TIME("email_verified_at"), STR("phone_number"),
    INT("position_id"), INT("rank_id"), INT("specialty_id"), INT("status_id"), INT("unit_id"),
    INT("unit_slot_id"), BOOL("approved"), STR("notes"), TIME("notes_updated_at"),
    STR("profile_photo"), STR("cover_photo"), TIME("last_seen_at"), STR("discord_user_id"),
    STR("facebook_user_id"), STR("github_user_id"), STR("google_user_id"), TIMESTAMPS, END,
};

static const struct br_resource resources[BR_RESOURCE_COUNT] = {
    {"assignmentrecord", "records_assignments", "Assignment Record", true, none,
     assignment_columns},
    {"awardrecord", "records_awards", "Award Record", true, none, award_columns},
    {"calendar", "calendars", "Calendar", false, none, calendar_columns},
    {"combatrecord", "records_combat", "Combat Record", true, none, combat_columns},
    {"event", "events", "Event", false, none, event_columns},
    {"qualificationrecord", "records_qualifications", "Qualification Record", true, none,
     qualification_columns},
    {"rankrecord", "records_ranks", "Rank Record", true, none, rank_columns},
    {"servicerecord", "records_service", "Service Record", true, none, service_columns},
    {"submission", "submissions", "Submission", true, none, submission_columns},
    {"user", "users", "User", true, users_hidden, user_columns},
};

static const char *const action_names[BR_ACTION_COUNT] = {"created", "updated", "deleted"};

const struct br_resource *br_catalog_resource(size_t index)
{
    if (index >= BR_RESOURCE_COUNT) {
        return NULL;
    }
    return &resources[index];
}

const struct br_resource *br_catalog_by_name(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        if (strcmp(resources[i].name, name) == 0) {
            return &resources[i];
        }
    }
    return NULL;
}

const struct br_resource *br_catalog_by_table(const char *table)
{
    if (table == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        if (strcmp(resources[i].table, table) == 0) {
            return &resources[i];
        }
    }
    return NULL;
}

const struct br_resource *br_catalog_from_topic(const char *topic)
{
    if (topic == NULL) {
        return NULL;
    }
    const char *dot = strrchr(topic, '.');
    return br_catalog_by_table(dot != NULL ? dot + 1 : topic);
}

const struct br_column *br_catalog_column(const struct br_resource *resource, const char *name)
{
    if (resource == NULL || name == NULL) {
        return NULL;
    }
    for (const struct br_column *column = resource->columns; column->name; column++) {
        if (strcmp(column->name, name) == 0) {
            return column;
        }
    }
    return NULL;
}

bool br_catalog_is_heartbeat_topic(const char *topic)
{
    return topic != NULL && strncmp(topic, HEARTBEAT_PREFIX, strlen(HEARTBEAT_PREFIX)) == 0;
}

enum br_skip_reason br_catalog_skip_reason(const char *topic)
{
    const char *dot;

    if (br_catalog_is_heartbeat_topic(topic)) {
        return BR_SKIP_HEARTBEAT;
    }
    dot = topic != NULL ? strrchr(topic, '.') : NULL;
    if (dot != NULL && dot != topic && strcmp(dot + 1, "transaction") == 0) {
        return BR_SKIP_TRANSACTION;
    }
    return BR_SKIP_NOT_PERSCOM_TABLE;
}

const char *br_catalog_action_name(enum br_action action)
{
    if ((unsigned)action >= BR_ACTION_COUNT) {
        return NULL;
    }
    return action_names[action];
}

bool br_catalog_action_for_op(enum br_op op, bool snapshot_as_created, enum br_action *action)
{
    switch (op) {
    case BR_OP_CREATE:
        *action = BR_ACTION_CREATED;
        return true;
    case BR_OP_UPDATE:
        *action = BR_ACTION_UPDATED;
        return true;
    case BR_OP_DELETE:
        *action = BR_ACTION_DELETED;
        return true;
    case BR_OP_READ:
        if (snapshot_as_created) {
            *action = BR_ACTION_CREATED;
            return true;
        }
        return false;
    }
    return false;
}

const char *br_catalog_event_name(const struct br_resource *resource, enum br_action action,
                                  char *out, size_t out_size)
{
    const char *action_name = br_catalog_action_name(action);

    if (out_size == 0) {
        return out;
    }
    if (resource == NULL || action_name == NULL) {
        out[0] = '\0';
        return out;
    }
    /* snprintf(out, out_size, "%s.%s", ...) without printf: cut to out_size - 1 bytes */
    {
        size_t name_len = strlen(resource->name);
        size_t action_len = strlen(action_name);
        size_t at = 0;
        size_t part;

        part = name_len < out_size - 1 ? name_len : out_size - 1;
        memcpy(out, resource->name, part);
        at = part;
        if (at < out_size - 1) {
            out[at++] = '.';
        }
        part = action_len < out_size - 1 - at ? action_len : out_size - 1 - at;
        memcpy(out + at, action_name, part);
        at += part;
        out[at] = '\0';
    }
    return out;
}

static bool action_by_name(const char *name, enum br_action *action)
{
    for (size_t i = 0; i < BR_ACTION_COUNT; i++) {
        if (strcmp(action_names[i], name) == 0) {
            *action = (enum br_action)i;
            return true;
        }
    }
    return false;
}

/*
 * Splits "left.right" at its only dot into resource and action parts (each may be "*").
 * False when there is not exactly one dot or a part is too long.
 */
static bool split_event(const char *text, char *left, size_t left_size, const char **right)
{
    const char *dot = strchr(text, '.');

    if (dot == NULL || strchr(dot + 1, '.') != NULL) {
        return false;
    }
    size_t len = (size_t)(dot - text);
    if (len >= left_size) {
        return false;
    }
    memcpy(left, text, len);
    left[len] = '\0';
    *right = dot + 1;
    return true;
}

bool br_catalog_pattern_valid(const char *pattern)
{
    char left[64];
    const char *right;
    enum br_action action;

    if (pattern == NULL) {
        return false;
    }
    if (strcmp(pattern, "*") == 0) {
        return true;
    }
    if (!split_event(pattern, left, sizeof(left), &right)) {
        return false;
    }
    if (strcmp(left, "*") == 0) {
        /* "*.action"; "*.*" is spelled "*" */
        return action_by_name(right, &action);
    }
    if (br_catalog_by_name(left) == NULL) {
        return false;
    }
    return strcmp(right, "*") == 0 || action_by_name(right, &action);
}

bool br_catalog_pattern_matches(const char *pattern, const char *event)
{
    char pattern_left[64];
    char event_left[64];
    const char *pattern_right;
    const char *event_right;

    if (pattern == NULL || event == NULL) {
        return false;
    }
    if (strcmp(pattern, "*") == 0) {
        return true;
    }
    if (!split_event(pattern, pattern_left, sizeof(pattern_left), &pattern_right) ||
        !split_event(event, event_left, sizeof(event_left), &event_right)) {
        return false;
    }
    if (strcmp(pattern_left, "*") != 0 && strcmp(pattern_left, event_left) != 0) {
        return false;
    }
    return strcmp(pattern_right, "*") == 0 || strcmp(pattern_right, event_right) == 0;
}
