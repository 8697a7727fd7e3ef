#ifndef BR_CATALOG_H
#define BR_CATALOG_H
/* The event catalog: the ten PERSCOM resources, their tables and labels; event-name matching. */
#include <stdbool.h>
#include <stddef.h>

#include "perscom/change.h"

enum br_action { BR_ACTION_CREATED, BR_ACTION_UPDATED, BR_ACTION_DELETED, BR_ACTION_COUNT };

/* The cast PERSCOM's model applies to a column (casts.c applies it; schemas/README.md). */
enum br_cast {
    BR_CAST_STRING,      /* text, not cast */
    BR_CAST_INTEGER,     /* 'integer', and the model's key: ids, other *_id, records_ranks.type */
    BR_CAST_BOOLEAN,     /* 'boolean' */
    BR_CAST_DATETIME,    /* 'datetime': ISO-8601 UTC with 6 fraction digits in `data` */
    BR_CAST_JSON,        /* 'array', AsEnumCollection: JSON text read as json_decode($text, true) */
    BR_CAST_DECIMAL,     /* 'decimal:N': Laravel's decimal string with N fraction digits */
    BR_CAST_RAW_DATETIME /* a datetime the model does not cast: "Y-m-d H:i:s" as PDO gives it */
};

struct br_column {
    const char *name;  /* "all_day" */
    enum br_cast cast;
    unsigned decimals; /* BR_CAST_DECIMAL: N of 'decimal:N' */
};

struct br_resource {
    const char *name;          /* "rankrecord" */
    const char *table;         /* "records_ranks" */
    const char *label_prefix;  /* "Rank Record" */
    bool custom_fields;        /* the table has the JSON column `data` (flattened) */
    const char *const *hidden; /* NULL-terminated column names never sent */
    const struct br_column *columns; /* the sent columns of perscom-wire.md and their casts,
                                        ended by an entry whose name is NULL */
};

#define BR_RESOURCE_COUNT 10
#define BR_EVENT_COUNT (BR_RESOURCE_COUNT * BR_ACTION_COUNT)

const struct br_resource *br_catalog_resource(size_t index); /* index < BR_RESOURCE_COUNT */
const struct br_resource *br_catalog_by_name(const char *name);
const struct br_resource *br_catalog_by_table(const char *table);
/*
 * The resource of a topic name: its last dot-separated part is the table
 * ("perscom.tenant1.records_ranks" -> rankrecord). NULL when the table is unknown.
 */
const struct br_resource *br_catalog_from_topic(const char *topic);
/* The catalog column of resource named name; NULL for a column PERSCOM's tables lack. */
const struct br_column *br_catalog_column(const struct br_resource *resource, const char *name);
/*
 * Why a topic that names no resource is not an event stream, from its name alone:
 * BR_SKIP_HEARTBEAT for Debezium's heartbeat topics ("__debezium-heartbeat.<prefix>"),
 * BR_SKIP_TRANSACTION for its transaction topic ("<prefix>.transaction"), otherwise
 * BR_SKIP_NOT_PERSCOM_TABLE.
 */
enum br_skip_reason br_catalog_skip_reason(const char *topic);
/* True when topic is one of Debezium's heartbeat topics by name (see above). */
bool br_catalog_is_heartbeat_topic(const char *topic);

const char *br_catalog_action_name(enum br_action action); /* "created" ... */
/* Maps a change op to an action; false when the op is not an event (snapshot read skipped). */
bool br_catalog_action_for_op(enum br_op op, bool snapshot_as_created, enum br_action *action);

/* Writes "<resource>.<action>" into out; returns out. */
const char *br_catalog_event_name(const struct br_resource *resource, enum br_action action,
                                  char *out, size_t out_size);

/* True when pattern (exact name, "resource.*", "*.action" or "*") is valid: names a known event. */
bool br_catalog_pattern_valid(const char *pattern);
/* True when pattern matches event (a full event name). */
bool br_catalog_pattern_matches(const char *pattern, const char *event);

#endif
