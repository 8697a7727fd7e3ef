#ifndef BR_TABLEHOOKS_H
#define BR_TABLEHOOKS_H
/*
 * The `table_hooks:` section (struct br_conf_table_hooks in conf.h): which topics carry PERSCOM's
 * `webhooks` tables, and how the tenant is found in a topic's name. Its check (called by the
 * walker, confkeys.c) compiles the two regexes with their groups and checks the tenant groups,
 * the format and the schema file; br_tablehooks_tenant reads a tenant out of a topic name.
 * Building a hook from one row is config/tablehook.h; decoding a row's message avro/hookrow.h.
 *
 * A tenant is the text of one group of an anchored POSIX extended regex over the whole topic
 * name, so it is a non-empty part of a Kafka topic name: ASCII letters, digits, '.', '_', '-'.
 */
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/conf.h"
#include "config/yamlconf.h"

/* The longest tenant (a Kafka topic name is at most 249 characters), NUL included. */
#define BR_TABLEHOOKS_TENANT_MAX 250

/* The prefix of every table hook's name; YAML hook names may not start with it. */
#define BR_TABLEHOOKS_NAME_PREFIX "tenant:"

enum br_tablehooks_indexes {
    BR_TABLEHOOKS_TOPICS,
    BR_TABLEHOOKS_TENANT_GROUP,
    BR_TABLEHOOKS_RECORD_TENANT,
    BR_TABLEHOOKS_RECORD_TENANT_GROUP,
    BR_TABLEHOOKS_FORMAT,
    BR_TABLEHOOKS_SCHEMA,
    BR_TABLEHOOKS_DISCOVER_INTERVAL,
};

/* Which regex of the section a topic name is read with. */
enum br_tablehooks_which {
    BR_TABLEHOOKS_WEBHOOKS, /* table_hooks.topics: a webhooks topic */
    BR_TABLEHOOKS_RECORDS   /* table_hooks.record_tenant: a record topic */
};

/* The section's check (base is the struct br_conf; seen[] by enum br_tablehooks_indexes). */
void br_tablehooks_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                         yaml_node_t **seen, size_t index);

/*
 * The root's part (br_confcheck_root calls it once every section is walked): with table_hooks,
 * format confluent needs schema_registry, no YAML hook's name may start with
 * BR_TABLEHOOKS_NAME_PREFIX, and no topics[].name may be a webhooks topic. hooks_node and topics_node are the root's seen[] nodes of hooks and topics.
 */
void br_tablehooks_check_root(struct br_yamlconf *ctx, const struct br_conf *conf,
                              yaml_node_t *hooks_node, yaml_node_t *topics_node);

/*
 * The tenant of topic read with the section's regex `which`: writes it into out (NUL-ended) and
 * returns true; false (out "") when the section is absent, the regex does not match the whole
 * name, or its tenant group matched nothing or an empty text, or does not fit out_size.
 */
bool br_tablehooks_tenant(const struct br_conf_table_hooks *section, enum br_tablehooks_which which,
                          const char *topic, char *out, size_t out_size);

/* True when topic is a webhooks topic (table_hooks.topics matches it with a tenant). */
bool br_tablehooks_is_webhooks_topic(const struct br_conf_table_hooks *section,
                                     const char *topic);

/* Frees what the section owns (regexes, schema path and text). */
void br_tablehooks_finish(struct br_conf_table_hooks *section);

#endif
