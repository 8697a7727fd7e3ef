/*
 * The cross-key checks of the configuration schema (see confcheck.h): reserved Kafka properties
 * and headers, event patterns, and the rules between the keys of a topic, a hook, its retry
 * policy, delivery, dead_letter and the root. Each problem is a br_yamlconf_diag; a check never
 * stops the walk.
 */
#include "config/confcheck.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "perscom/catalog.h"
#include "config/conf.h"
#include "config/confkeys.h"
#include "config/file.h"
#include "config/hookcheck.h"
#include "config/tablehooks.h"
#include "config/yamlconf.h"
#include "core/url.h"
#include "config/yamlvalue.h"

#define SCHEMA_FILE_MAX (16u * 1024u * 1024u) /* an Avro schema file */

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

bool br_confcheck_kafka_prop(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                             yaml_node_t *value_node, const char *value, const char *path)
{
    static const struct {
        const char *property;
        const char *why;
    } reserved[] = {
        {"group.id", "set kafka.group_id instead"},
        {"bootstrap.servers", "set kafka.brokers instead"},
        {"metadata.broker.list", "set kafka.brokers instead"},
        {"enable.auto.commit", "the bridge commits offsets itself, after delivery"},
        {"enable.auto.offset.store", "the bridge stores offsets itself, after delivery"},
    };

    for (size_t i = 0; i < COUNT(reserved); i++) {
        if (strcmp(key, reserved[i].property) == 0) {
            br_yamlconf_diag(ctx, key_node, path, "cannot be set here: %s", reserved[i].why);
            return false;
        }
    }
    return true;
}

bool br_confcheck_header(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                         yaml_node_t *value_node, const char *value, const char *path)
{
    static const char *const reserved[] = {"Signature", "Content-Type", "User-Agent"};

    for (size_t i = 0; i < COUNT(reserved); i++) {
        if (strcasecmp(key, reserved[i]) == 0) {
            br_yamlconf_diag(ctx, key_node, path,
                             "header %s is set by the bridge and cannot be overridden",
                             reserved[i]);
            return false;
        }
    }
    for (const char *c = key; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("!#$%&'*+-.^_`|~", *c) == NULL) {
            br_yamlconf_diag(ctx, key_node, path, "not a valid HTTP header name");
            return false;
        }
    }
    for (const char *c = value; *c != '\0'; c++) {
        if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f) {
            br_yamlconf_diag(ctx, value_node, path,
                             "header value must not contain control characters");
            return false;
        }
    }
    return true;
}

bool br_confcheck_event(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                        const char *path)
{
    if (!br_catalog_pattern_valid(text)) {
        br_yamlconf_diag(ctx, node, path,
                         "unknown event \"%s\" (use <resource>.<created|updated|deleted>, "
                         "<resource>.*, *.<action> or *)",
                         text);
        return false;
    }
    return true;
}

void br_confcheck_topic(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index)
{
    struct br_conf_topic *topic = base;
    yaml_node_t *name = seen[BR_CONFKEYS_TOPIC_NAME];
    yaml_node_t *pattern = seen[BR_CONFKEYS_TOPIC_PATTERN];
    yaml_node_t *schema = seen[BR_CONFKEYS_TOPIC_SCHEMA];
    char sub[BR_YAMLCONF_PATH_MAX];

    if (name == NULL && pattern == NULL) {
        br_yamlconf_diag(ctx, map, path, "one of name or pattern is required");
    } else if (name != NULL && pattern != NULL) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "pattern");
        br_yamlconf_diag(ctx, pattern, sub, "cannot be combined with name");
    }
    if (topic->resource != NULL) {
        if (br_catalog_by_name(topic->resource) == NULL) {
            br_yamlconf_path_join(sub, sizeof(sub), path, "resource");
            br_yamlconf_diag(ctx, seen[BR_CONFKEYS_TOPIC_RESOURCE], sub,
                             "unknown resource \"%s\"", topic->resource);
        }
    } else if (topic->name != NULL && br_catalog_from_topic(topic->name) == NULL) {
        const char *dot = strrchr(topic->name, '.');

        br_yamlconf_path_join(sub, sizeof(sub), path, "name");
        br_yamlconf_diag(ctx, name, sub,
                         "\"%s\" is not a PERSCOM table; set resource for this topic",
                         dot != NULL ? dot + 1 : topic->name);
    }
    if (topic->format == BR_FORMAT_AVRO) {
        if (schema == NULL) {
            br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
            br_yamlconf_diag(ctx, map, sub, "required when format is avro");
        }
    } else if (schema != NULL &&
               br_yamlvalue_choice_given(seen[BR_CONFKEYS_TOPIC_FORMAT], br_confkeys_formats)) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
        br_yamlconf_diag(ctx, schema, sub, "only allowed when format is avro");
        return;
    }
    if (topic->schema_path != NULL && topic->format == BR_FORMAT_AVRO) {
        char why[256];
        size_t len = 0;
        json_error_t error;

        br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
        /* the topic owns schema_json (freed by br_conf_destroy) */
        topic->schema_json =
            br_file_read(topic->schema_path, SCHEMA_FILE_MAX, &len, why, sizeof(why));
        if (topic->schema_json == NULL) {
            br_yamlconf_diag(ctx, schema, sub, "cannot read %s: %s", topic->schema_path, why);
            return;
        }
        json_t *json = json_loadb(topic->schema_json, len, JSON_DECODE_ANY, &error);
        if (json == NULL) {
            br_yamlconf_diag(ctx, schema, sub, "%s:%d:%d: invalid JSON: %s",
                             topic->schema_path, error.line, error.column, error.text);
            return;
        }
        json_decref(json);
    }
}

void br_confcheck_hook(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;

    br_hookcheck_secrets(ctx, map, path, hook, seen);
    br_hookcheck_wiring(ctx, map, path, hook, seen);
}

void br_confcheck_delivery(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    if (conf->backoff_max_ms < conf->backoff_initial_ms) {
        char sub[BR_YAMLCONF_PATH_MAX];
        yaml_node_t *node = seen[BR_CONFKEYS_DELIVERY_BACKOFF_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path,
                              node != NULL ? "backoff_max_ms" : "backoff_initial_ms");
        if (node == NULL) {
            node = seen[BR_CONFKEYS_DELIVERY_BACKOFF_INITIAL];
        }
        br_yamlconf_diag(ctx, node, sub,
                         "backoff_max_ms (%ld) must be at least backoff_initial_ms (%ld)",
                         conf->backoff_max_ms, conf->backoff_initial_ms);
    }
}

void br_confcheck_hook_retry(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                             void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;
    yaml_node_t *initial = seen[BR_CONFKEYS_RETRY_BACKOFF_INITIAL];
    yaml_node_t *max = seen[BR_CONFKEYS_RETRY_BACKOFF_MAX];

    if (initial != NULL && max != NULL &&
        hook->retry_backoff_max_ms < hook->retry_backoff_initial_ms) {
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path, "backoff_max_ms");
        br_yamlconf_diag(ctx, max, sub,
                         "backoff_max_ms (%ld) must be at least backoff_initial_ms (%ld)",
                         hook->retry_backoff_max_ms, hook->retry_backoff_initial_ms);
    }
}

void br_confcheck_dead_letter(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                              void *base, yaml_node_t **seen, size_t index)
{
    yaml_node_t *policy = seen[BR_CONFKEYS_DEAD_LETTER_POLICY];

    if (seen[BR_CONFKEYS_DEAD_LETTER_TOPIC] != NULL && policy != NULL) {
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path, "policy");
        br_yamlconf_diag(ctx, policy, sub,
                         "applies only without topic (with a topic, everything that cannot be "
                         "delivered goes there)");
    }
}

void br_confcheck_registry(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;
    char sub[256];

    if (conf->registry_url && br_url_has_userinfo(conf->registry_url)) {
        snprintf(sub, sizeof(sub), "%s.url", path);
        br_yamlconf_diag(ctx, seen[BR_CONFKEYS_REGISTRY_URL], sub,
                         "credentials in the URL are refused (they would be shown in logs and "
                         "errors): use %s.username and %s.password", path, path);
    }
}

/* The value of key in the mapping at item index of list, or NULL. */
static yaml_node_t *list_item_value(struct br_yamlconf *ctx, yaml_node_t *list, size_t index,
                                    const char *key)
{
    yaml_node_t *map;

    if (list == NULL || list->type != YAML_SEQUENCE_NODE ||
        index >= (size_t)(list->data.sequence.items.top - list->data.sequence.items.start)) {
        return NULL;
    }
    map = br_yamlconf_node(ctx, list->data.sequence.items.start[index]);
    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *name = br_yamlconf_node(ctx, pair->key);
        if (name != NULL && name->type == YAML_SCALAR_NODE &&
            strcmp((const char *)name->data.scalar.value, key) == 0) {
            return br_yamlconf_node(ctx, pair->value);
        }
    }
    return NULL;
}

/*
 * Each hook's max_in_flight against delivery.max_in_flight (known only once the whole file is
 * read), and the default of an unset one: delivery.max_in_flight with ordering partition (one
 * request per partition bounds it, as before the key existed), else
 * BR_CONF_HOOK_IN_FLIGHT_DEFAULT within delivery.max_in_flight.
 */
static void hooks_in_flight(struct br_yamlconf *ctx, struct br_conf *conf, yaml_node_t *hooks)
{
    for (size_t i = 0; i < conf->hook_count; i++) {
        struct br_conf_hook *hook = &conf->hooks[i];

        if (hook->max_in_flight <= 0) {
            hook->max_in_flight = hook->ordering == BR_ORDERING_PARTITION ||
                                          conf->max_in_flight < BR_CONF_HOOK_IN_FLIGHT_DEFAULT
                                      ? conf->max_in_flight
                                      : BR_CONF_HOOK_IN_FLIGHT_DEFAULT;
        } else if (hook->max_in_flight > conf->max_in_flight) {
            char item[BR_YAMLCONF_PATH_MAX];
            char sub[BR_YAMLCONF_PATH_MAX];

            br_yamlconf_path_index(item, sizeof(item), "hooks", i);
            br_yamlconf_path_join(sub, sizeof(sub), item, "max_in_flight");
            br_yamlconf_diag(ctx, list_item_value(ctx, hooks, i, "max_in_flight"), sub,
                             "%ld is more than delivery.max_in_flight (%ld), the requests in "
                             "flight to all hooks together", hook->max_in_flight,
                             conf->max_in_flight);
        }
    }
}

void br_confcheck_root(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    /* the operator's hooks, unless every hook comes from PERSCOM's webhooks tables */
    if (seen[BR_CONFKEYS_ROOT_HOOKS] == NULL && !conf->table_hooks.enabled) {
        br_yamlconf_diag(ctx, map, "hooks", "required key is missing");
    }
    hooks_in_flight(ctx, conf, seen[BR_CONFKEYS_ROOT_HOOKS]);

    if (seen[BR_CONFKEYS_ROOT_REGISTRY] == NULL) {
        for (size_t i = 0; i < conf->topic_count; i++) {
            if (conf->topics[i].format == BR_FORMAT_CONFLUENT) {
                br_yamlconf_diag(ctx, map, "schema_registry",
                                 "required key is missing (topics[%zu] has format confluent)", i);
                break;
            }
        }
    }
    if (conf->hook_count > 0) {
        br_yamlconf_unique_names(ctx, seen[BR_CONFKEYS_ROOT_HOOKS], "hooks", "hook name", "name",
                                 (char *const *)(void *)&conf->hooks[0].name,
                                 sizeof(conf->hooks[0]), conf->hook_count);
    }
    if (conf->topic_count > 0) {
        br_yamlconf_unique_names(ctx, seen[BR_CONFKEYS_ROOT_TOPICS], "topics", "topic", "name",
                                 (char *const *)(void *)&conf->topics[0].name,
                                 sizeof(conf->topics[0]), conf->topic_count);
    }
    br_tablehooks_check_root(ctx, conf, seen[BR_CONFKEYS_ROOT_HOOKS],
                             seen[BR_CONFKEYS_ROOT_TOPICS]);
}
