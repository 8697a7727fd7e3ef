/*
 * The perscom-bridge configuration schema: the key tables below (key, kind, default, bounds,
 * required, doc), the choices, and the cross-key checks (topics, hooks, delivery, the root).
 * The generic walker that applies them and reports "file:line:col: key: message" is
 * yamlconf.c. The reference for users is docs/configuration.md; keep the two together.
 */
#include "config/conf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "perscom/catalog.h"
#include "config/yamlconf.h"

#define CONF_FILE_MAX (4u * 1024u * 1024u)    /* the YAML file itself */
#define SCHEMA_FILE_MAX (16u * 1024u * 1024u) /* an Avro schema file */
#define SECRET_FILE_MAX (64u * 1024u)         /* a secret_file */

#define FIELD(type, member) offsetof(type, member)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const struct br_yamlconf_choice format_choices[] = {
    {"confluent", BR_FORMAT_CONFLUENT}, {"avro", BR_FORMAT_AVRO}, {NULL, 0}};
static const struct br_yamlconf_choice snapshot_choices[] = {
    {"skip", BR_SNAPSHOT_SKIP}, {"created", BR_SNAPSHOT_CREATED}, {NULL, 0}};
static const struct br_yamlconf_choice method_choices[] = {
    {"POST", BR_METHOD_POST}, {"GET", BR_METHOD_GET}, {NULL, 0}};
static const struct br_yamlconf_choice policy_choices[] = {
    {"block", BR_DEAD_LETTER_BLOCK}, {"drop", BR_DEAD_LETTER_DROP}, {NULL, 0}};
static const struct br_yamlconf_choice level_choices[] = {
    {"error", 0}, {"warn", 1}, {"info", 2}, {"debug", 3}, {NULL, 0}};

static bool kafka_prop_check(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                             yaml_node_t *value_node, const char *value, const char *path);
static bool header_check(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                         yaml_node_t *value_node, const char *value, const char *path);
static bool event_check(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                        const char *path);
static void topic_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index);
static void hook_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);
static void delivery_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index);
static void hook_retry_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                             void *base, yaml_node_t **seen, size_t index);
static void dead_letter_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                              void *base, yaml_node_t **seen, size_t index);
static void root_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);

/* ---- the schema ---- */

static const struct br_yamlconf_key kafka_keys[] = {
    {.key = "brokers", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, brokers),
     .required = true, .doc = "bootstrap brokers, host:port[,host:port...]"},
    {.key = "group_id", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, group_id),
     .required = true, .doc = "consumer group id; no default"},
    {.key = "properties", .kind = BR_YAMLCONF_KV, .offset = FIELD(struct br_conf, kafka_props),
     .count_offset = FIELD(struct br_conf, kafka_prop_count), .kv_check = kafka_prop_check,
     .doc = "librdkafka properties, passed through as written"},
};
static const struct br_yamlconf_section kafka_section = {kafka_keys, COUNT(kafka_keys), NULL};

static const struct br_yamlconf_key registry_keys[] = {
    {.key = "url", .kind = BR_YAMLCONF_URL, .offset = FIELD(struct br_conf, registry_url),
     .required = true, .doc = "Schema Registry base URL"},
    {.key = "username", .kind = BR_YAMLCONF_STRING_ENV,
     .offset = FIELD(struct br_conf, registry_username), .doc = "basic-auth user, ${VAR} expanded"},
    {.key = "password", .kind = BR_YAMLCONF_STRING_ENV,
     .offset = FIELD(struct br_conf, registry_password),
     .doc = "basic-auth password, ${VAR} expanded"},
    {.key = "ca_file", .kind = BR_YAMLCONF_PATH, .offset = FIELD(struct br_conf, registry_ca_file),
     .doc = "CA bundle for TLS"},
};
static const struct br_yamlconf_section registry_section = {registry_keys, COUNT(registry_keys),
                                                            NULL};

enum { TOPIC_NAME, TOPIC_PATTERN, TOPIC_RESOURCE, TOPIC_FORMAT, TOPIC_SCHEMA, TOPIC_SNAPSHOT };
static const struct br_yamlconf_key topic_keys[] = {
    [TOPIC_NAME] = {.key = "name", .kind = BR_YAMLCONF_STRING,
                    .offset = FIELD(struct br_conf_topic, name), .doc = "exact topic name"},
    [TOPIC_PATTERN] = {.key = "pattern", .kind = BR_YAMLCONF_REGEX,
                       .offset = FIELD(struct br_conf_topic, pattern),
                       .regex_offset = FIELD(struct br_conf_topic, regex),
                       .doc = "POSIX extended regex over topic names, anchored"},
    [TOPIC_RESOURCE] = {.key = "resource", .kind = BR_YAMLCONF_STRING,
                        .offset = FIELD(struct br_conf_topic, resource),
                        .doc = "PERSCOM resource; default from the table name"},
    [TOPIC_FORMAT] = {.key = "format", .kind = BR_YAMLCONF_ENUM,
                      .offset = FIELD(struct br_conf_topic, format), .def = BR_FORMAT_CONFLUENT,
                      .choices = format_choices, .doc = "message encoding"},
    [TOPIC_SCHEMA] = {.key = "schema", .kind = BR_YAMLCONF_PATH,
                      .offset = FIELD(struct br_conf_topic, schema_path),
                      .doc = "Avro schema file for format avro"},
    [TOPIC_SNAPSHOT] = {.key = "snapshot", .kind = BR_YAMLCONF_ENUM,
                        .offset = FIELD(struct br_conf_topic, snapshot), .def = BR_SNAPSHOT_SKIP,
                        .choices = snapshot_choices, .doc = "what snapshot reads become"},
};
static const struct br_yamlconf_section topic_section = {topic_keys, COUNT(topic_keys),
                                                         topic_check};

enum { RETRY_BACKOFF_INITIAL, RETRY_BACKOFF_MAX };
static const struct br_yamlconf_key hook_retry_keys[] = {
    [RETRY_BACKOFF_INITIAL] = {.key = "backoff_initial_ms", .kind = BR_YAMLCONF_INT,
                               .offset = FIELD(struct br_conf_hook, retry_backoff_initial_ms),
                               .def = -1, .min = 1, .max = 3600000,
                               .doc = "first retry delay of this hook"},
    [RETRY_BACKOFF_MAX] = {.key = "backoff_max_ms", .kind = BR_YAMLCONF_INT,
                           .offset = FIELD(struct br_conf_hook, retry_backoff_max_ms), .def = -1,
                           .min = 1, .max = 86400000, .doc = "longest retry delay of this hook"},
    {.key = "max_attempts", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf_hook, retry_max_attempts), .def = -1, .min = 0,
     .max = 1000000, .doc = "attempts per delivery; 0 = unlimited"},
    {.key = "max_age_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf_hook, retry_max_age_ms), .def = -1, .min = 0,
     .max = 2592000000L, .doc = "give up this long after the message was read; 0 = never"},
};
static const struct br_yamlconf_section hook_retry_section = {
    hook_retry_keys, COUNT(hook_retry_keys), hook_retry_check};

enum { HOOK_NAME, HOOK_URL, HOOK_METHOD, HOOK_SECRET, HOOK_SECRET_FILE, HOOK_EVENTS };
static const struct br_yamlconf_key hook_keys[] = {
    [HOOK_NAME] = {.key = "name", .kind = BR_YAMLCONF_STRING,
                   .offset = FIELD(struct br_conf_hook, name), .required = true,
                   .doc = "unique hook name"},
    [HOOK_URL] = {.key = "url", .kind = BR_YAMLCONF_URL, .offset = FIELD(struct br_conf_hook, url),
                  .required = true, .doc = "receiver URL"},
    [HOOK_METHOD] = {.key = "method", .kind = BR_YAMLCONF_ENUM,
                     .offset = FIELD(struct br_conf_hook, method), .def = BR_METHOD_POST,
                     .choices = method_choices, .doc = "HTTP method"},
    [HOOK_SECRET] = {.key = "secret", .kind = BR_YAMLCONF_STRING_ENV,
                     .offset = FIELD(struct br_conf_hook, secret), .doc = "signing secret"},
    [HOOK_SECRET_FILE] = {.key = "secret_file", .kind = BR_YAMLCONF_SEEN,
                          .doc = "file holding the signing secret"},
    [HOOK_EVENTS] = {.key = "events", .kind = BR_YAMLCONF_STRING_LIST,
                     .offset = FIELD(struct br_conf_hook, events),
                     .count_offset = FIELD(struct br_conf_hook, event_count), .required = true,
                     .item_check = event_check, .doc = "subscribed events and wildcards"},
    {.key = "timeout_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf_hook, timeout_ms), .def = 3000, .min = 1, .max = 600000,
     .doc = "whole-request timeout"},
    {.key = "headers", .kind = BR_YAMLCONF_KV, .offset = FIELD(struct br_conf_hook, headers),
     .count_offset = FIELD(struct br_conf_hook, header_count), .kv_check = header_check,
     .doc = "extra request headers"},
    {.key = "retry", .kind = BR_YAMLCONF_SECTION, .sub = &hook_retry_section,
     .doc = "this hook's retry policy (defaults: delivery.*)"},
};
static const struct br_yamlconf_section hook_section = {hook_keys, COUNT(hook_keys), hook_check};

enum { DELIVERY_BACKOFF_INITIAL, DELIVERY_BACKOFF_MAX };
static const struct br_yamlconf_key delivery_keys[] = {
    [DELIVERY_BACKOFF_INITIAL] = {.key = "backoff_initial_ms", .kind = BR_YAMLCONF_INT,
                                  .offset = FIELD(struct br_conf, backoff_initial_ms),
                                  .def = 500, .min = 1, .max = 3600000,
                                  .doc = "first retry delay"},
    [DELIVERY_BACKOFF_MAX] = {.key = "backoff_max_ms", .kind = BR_YAMLCONF_INT,
                              .offset = FIELD(struct br_conf, backoff_max_ms), .def = 60000,
                              .min = 1, .max = 86400000, .doc = "longest retry delay"},
    {.key = "max_in_flight", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, max_in_flight), .def = 64, .min = 1, .max = 1024,
     .doc = "HTTP requests at once"},
    {.key = "commit_interval_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, commit_interval_ms), .def = 1000, .min = 1, .max = 3600000,
     .doc = "offset commit period"},
    {.key = "shutdown_grace_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, shutdown_grace_ms), .def = 10000, .min = 0, .max = 3600000,
     .doc = "time to finish in-flight work on SIGTERM"},
    {.key = "partition_window", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, partition_window), .def = 1000, .min = 1, .max = 1000000,
     .doc = "undelivered messages per partition"},
    {.key = "partition_window_bytes", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, partition_window_bytes), .def = 16L * 1024 * 1024,
     .min = 0, .max = 1L << 40, .doc = "bytes held per partition; 0 = no limit"},
    {.key = "max_buffered_bytes", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, max_buffered_bytes), .def = 256L * 1024 * 1024, .min = 0,
     .max = 1L << 40, .doc = "bytes held over all partitions; 0 = no limit"},
    {.key = "max_attempts", .kind = BR_YAMLCONF_INT, .offset = FIELD(struct br_conf, max_attempts),
     .def = 0, .min = 0, .max = 1000000, .doc = "attempts per delivery; 0 = unlimited"},
    {.key = "max_age_ms", .kind = BR_YAMLCONF_INT, .offset = FIELD(struct br_conf, max_age_ms),
     .def = 0, .min = 0, .max = 2592000000L,
     .doc = "give up this long after the message was read; 0 = never"},
    {.key = "retry_after_max_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, retry_after_max_ms), .def = 300000, .min = 0,
     .max = 86400000, .doc = "cap on a receiver's Retry-After; 0 ignores it"},
    {.key = "probe_after_failures", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, probe_after_failures), .def = 5, .min = 0, .max = 1000000,
     .doc = "consecutive failures before a hook's lanes wait behind one probe; 0 = never"},
};
static const struct br_yamlconf_section delivery_section = {delivery_keys, COUNT(delivery_keys),
                                                            delivery_check};

enum { DEAD_LETTER_TOPIC, DEAD_LETTER_POLICY };
static const struct br_yamlconf_key dead_letter_keys[] = {
    [DEAD_LETTER_TOPIC] = {.key = "topic", .kind = BR_YAMLCONF_STRING,
                           .offset = FIELD(struct br_conf, dead_letter_topic),
                           .doc = "where undeliverable messages go"},
    [DEAD_LETTER_POLICY] = {.key = "policy", .kind = BR_YAMLCONF_ENUM,
                            .offset = FIELD(struct br_conf, dead_letter_policy),
                            .def = BR_DEAD_LETTER_BLOCK, .choices = policy_choices,
                            .doc = "without a topic: block (retry forever) or drop"},
};
static const struct br_yamlconf_section dead_letter_section = {
    dead_letter_keys, COUNT(dead_letter_keys), dead_letter_check};

static const struct br_yamlconf_key admin_keys[] = {
    {.key = "listen", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, admin_listen),
     .required = true, .doc = "host:port of /healthz, /readyz and /metrics"},
};
static const struct br_yamlconf_section admin_section = {admin_keys, COUNT(admin_keys), NULL};

static const struct br_yamlconf_key report_keys[] = {
    {.key = "topic", .kind = BR_YAMLCONF_STRING,
     .offset = FIELD(struct br_conf, delivery_report_topic), .required = true,
     .doc = "one record per finished delivery"},
};
static const struct br_yamlconf_section report_section = {report_keys, COUNT(report_keys), NULL};

enum { ROOT_KAFKA, ROOT_REGISTRY, ROOT_TOPICS, ROOT_HOOKS, ROOT_DELIVERY, ROOT_LOG_LEVEL };
static const struct br_yamlconf_key root_keys[] = {
    [ROOT_KAFKA] = {.key = "kafka", .kind = BR_YAMLCONF_SECTION, .sub = &kafka_section,
                    .required = true, .doc = "the Kafka consumer"},
    [ROOT_REGISTRY] = {.key = "schema_registry", .kind = BR_YAMLCONF_SECTION,
                       .sub = &registry_section, .doc = "Confluent Schema Registry"},
    [ROOT_TOPICS] = {.key = "topics", .kind = BR_YAMLCONF_LIST,
                     .offset = FIELD(struct br_conf, topics),
                     .count_offset = FIELD(struct br_conf, topic_count), .required = true,
                     .sub = &topic_section, .elem_size = sizeof(struct br_conf_topic),
                     .doc = "record-change topics"},
    [ROOT_HOOKS] = {.key = "hooks", .kind = BR_YAMLCONF_LIST,
                    .offset = FIELD(struct br_conf, hooks),
                    .count_offset = FIELD(struct br_conf, hook_count), .required = true,
                    .sub = &hook_section, .elem_size = sizeof(struct br_conf_hook),
                    .doc = "webhook receivers"},
    [ROOT_DELIVERY] = {.key = "delivery", .kind = BR_YAMLCONF_SECTION, .sub = &delivery_section,
                       .doc = "retry, window and commit tuning"},
    [ROOT_LOG_LEVEL] = {.key = "log_level", .kind = BR_YAMLCONF_LEVEL,
                        .offset = FIELD(struct br_conf, log_level), .def_str = "info",
                        .choices = level_choices, .doc = "log verbosity"},
    {.key = "dead_letter", .kind = BR_YAMLCONF_SECTION, .sub = &dead_letter_section,
     .doc = "where deliveries that cannot succeed go"},
    {.key = "delivery_report", .kind = BR_YAMLCONF_SECTION, .sub = &report_section,
     .doc = "a record per finished delivery"},
    {.key = "admin", .kind = BR_YAMLCONF_SECTION, .sub = &admin_section,
     .doc = "health and metrics listener"},
};
static const struct br_yamlconf_section root_section = {root_keys, COUNT(root_keys), root_check};

/* ---- cross-key checks ---- */

static bool kafka_prop_check(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
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

static bool header_check(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
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

static bool event_check(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
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

static void topic_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index)
{
    struct br_conf_topic *topic = base;
    char sub[BR_YAMLCONF_PATH_MAX];

    if (seen[TOPIC_NAME] == NULL && seen[TOPIC_PATTERN] == NULL) {
        br_yamlconf_diag(ctx, map, path, "one of name or pattern is required");
    } else if (seen[TOPIC_NAME] != NULL && seen[TOPIC_PATTERN] != NULL) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "pattern");
        br_yamlconf_diag(ctx, seen[TOPIC_PATTERN], sub, "cannot be combined with name");
    }
    if (topic->resource != NULL) {
        if (br_catalog_by_name(topic->resource) == NULL) {
            br_yamlconf_path_join(sub, sizeof(sub), path, "resource");
            br_yamlconf_diag(ctx, seen[TOPIC_RESOURCE], sub, "unknown resource \"%s\"",
                             topic->resource);
        }
    } else if (topic->name != NULL && br_catalog_from_topic(topic->name) == NULL) {
        const char *dot = strrchr(topic->name, '.');

        br_yamlconf_path_join(sub, sizeof(sub), path, "name");
        br_yamlconf_diag(ctx, seen[TOPIC_NAME], sub,
                         "\"%s\" is not a PERSCOM table; set resource for this topic",
                         dot != NULL ? dot + 1 : topic->name);
    }
    if (topic->format == BR_FORMAT_AVRO) {
        if (seen[TOPIC_SCHEMA] == NULL) {
            br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
            br_yamlconf_diag(ctx, map, sub, "required when format is avro");
        }
    } else if (seen[TOPIC_SCHEMA] != NULL &&
               br_yamlconf_choice_given(seen[TOPIC_FORMAT], format_choices)) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
        br_yamlconf_diag(ctx, seen[TOPIC_SCHEMA], sub, "only allowed when format is avro");
        return;
    }
    if (topic->schema_path != NULL && topic->format == BR_FORMAT_AVRO) {
        char why[256];
        size_t len = 0;
        json_error_t error;

        br_yamlconf_path_join(sub, sizeof(sub), path, "schema");
        /* the topic owns schema_json (freed by br_conf_destroy) */
        topic->schema_json = br_yamlconf_read_file(topic->schema_path, SCHEMA_FILE_MAX, &len,
                                                   why, sizeof(why));
        if (topic->schema_json == NULL) {
            br_yamlconf_diag(ctx, seen[TOPIC_SCHEMA], sub, "cannot read %s: %s",
                             topic->schema_path, why);
            return;
        }
        json_t *json = json_loadb(topic->schema_json, len, JSON_DECODE_ANY, &error);
        if (json == NULL) {
            br_yamlconf_diag(ctx, seen[TOPIC_SCHEMA], sub, "%s:%d:%d: invalid JSON: %s",
                             topic->schema_path, error.line, error.column, error.text);
            return;
        }
        json_decref(json);
    }
}

static void hook_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;
    char sub[BR_YAMLCONF_PATH_MAX];

    if (seen[HOOK_SECRET] == NULL && seen[HOOK_SECRET_FILE] == NULL) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "secret");
        br_yamlconf_diag(ctx, map, sub, "required key is missing (or set secret_file)");
    } else if (seen[HOOK_SECRET] != NULL && seen[HOOK_SECRET_FILE] != NULL) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "secret_file");
        br_yamlconf_diag(ctx, seen[HOOK_SECRET_FILE], sub, "cannot be combined with secret");
    } else if (hook->secret != NULL) {
        hook->secret_len = strlen(hook->secret);
        if (hook->secret_len == 0) {
            br_yamlconf_path_join(sub, sizeof(sub), path, "secret");
            br_yamlconf_diag(ctx, seen[HOOK_SECRET], sub, "is empty after ${VAR} expansion");
        }
    } else if (seen[HOOK_SECRET_FILE] != NULL && seen[HOOK_SECRET_FILE]->type == YAML_SCALAR_NODE &&
               !br_yamlconf_is_null(seen[HOOK_SECRET_FILE]) &&
               seen[HOOK_SECRET_FILE]->data.scalar.value[0] != '\0') {
        char *file = br_yamlconf_resolve_path(
            ctx, (const char *)seen[HOOK_SECRET_FILE]->data.scalar.value);
        char why[256];
        size_t len = 0;

        br_yamlconf_path_join(sub, sizeof(sub), path, "secret_file");
        char *secret = br_yamlconf_read_file(file, SECRET_FILE_MAX, &len, why, sizeof(why));
        if (secret == NULL) {
            br_yamlconf_diag(ctx, seen[HOOK_SECRET_FILE], sub, "cannot read %s: %s", file, why);
        } else {
            if (len > 0 && secret[len - 1] == '\n') {
                secret[--len] = '\0';
            }
            if (len == 0) {
                br_yamlconf_diag(ctx, seen[HOOK_SECRET_FILE], sub, "%s is empty", file);
            }
            /* the hook owns the secret (scrubbed by br_conf_destroy) */
            hook->secret = secret;
            hook->secret_len = len;
        }
        free(file);
    }
}

static void delivery_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    if (conf->backoff_max_ms < conf->backoff_initial_ms) {
        char sub[BR_YAMLCONF_PATH_MAX];
        yaml_node_t *node = seen[DELIVERY_BACKOFF_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path,
                              node != NULL ? "backoff_max_ms" : "backoff_initial_ms");
        if (node == NULL) {
            node = seen[DELIVERY_BACKOFF_INITIAL];
        }
        br_yamlconf_diag(ctx, node, sub,
                         "backoff_max_ms (%ld) must be at least backoff_initial_ms (%ld)",
                         conf->backoff_max_ms, conf->backoff_initial_ms);
    }
}

static void hook_retry_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                             void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;

    if (seen[RETRY_BACKOFF_INITIAL] != NULL && seen[RETRY_BACKOFF_MAX] != NULL &&
        hook->retry_backoff_max_ms < hook->retry_backoff_initial_ms) {
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path, "backoff_max_ms");
        br_yamlconf_diag(ctx, seen[RETRY_BACKOFF_MAX], sub,
                         "backoff_max_ms (%ld) must be at least backoff_initial_ms (%ld)",
                         hook->retry_backoff_max_ms, hook->retry_backoff_initial_ms);
    }
}

static void dead_letter_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                              void *base, yaml_node_t **seen, size_t index)
{
    if (seen[DEAD_LETTER_TOPIC] != NULL && seen[DEAD_LETTER_POLICY] != NULL) {
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_join(sub, sizeof(sub), path, "policy");
        br_yamlconf_diag(ctx, seen[DEAD_LETTER_POLICY], sub,
                         "applies only without topic (with a topic, everything that cannot be "
                         "delivered goes there)");
    }
}

/* A hook's retry policy: its own retry: keys where set, delivery.* elsewhere. */
static void resolve_retry(const struct br_conf *conf, struct br_conf_hook *hook)
{
    hook->retry.initial_ms = hook->retry_backoff_initial_ms >= 0 ? hook->retry_backoff_initial_ms
                                                                 : conf->backoff_initial_ms;
    hook->retry.max_ms =
        hook->retry_backoff_max_ms >= 0 ? hook->retry_backoff_max_ms : conf->backoff_max_ms;
    hook->retry.max_attempts = (unsigned)(hook->retry_max_attempts >= 0 ? hook->retry_max_attempts
                                                                        : conf->max_attempts);
    hook->retry.max_age_ms =
        hook->retry_max_age_ms >= 0 ? hook->retry_max_age_ms : conf->max_age_ms;
    hook->retry.retry_after_max_ms = conf->retry_after_max_ms;
}

static void root_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    if (seen[ROOT_REGISTRY] == NULL) {
        for (size_t i = 0; i < conf->topic_count; i++) {
            if (conf->topics[i].format == BR_FORMAT_CONFLUENT) {
                br_yamlconf_diag(ctx, map, "schema_registry",
                                 "required key is missing (topics[%zu] has format confluent)", i);
                break;
            }
        }
    }
    if (conf->hook_count > 0) {
        br_yamlconf_unique_names(ctx, seen[ROOT_HOOKS], "hooks", "hook name", "name",
                                 (char *const *)(void *)&conf->hooks[0].name,
                                 sizeof(conf->hooks[0]), conf->hook_count);
    }
    if (conf->topic_count > 0) {
        br_yamlconf_unique_names(ctx, seen[ROOT_TOPICS], "topics", "topic", "name",
                                 (char *const *)(void *)&conf->topics[0].name,
                                 sizeof(conf->topics[0]), conf->topic_count);
    }
}

/* ---- load, destroy, lookup ---- */

struct br_conf *br_conf_load(const char *path, char *errstr, size_t errstr_size)
{
    struct br_conf *conf = calloc(1, sizeof(*conf));

    if (conf == NULL) {
        abort();
    }
    conf->path = strdup(path);
    if (conf->path == NULL) {
        abort();
    }
    if (br_yamlconf_load(path, CONF_FILE_MAX, &root_section, conf, errstr, errstr_size) != 0) {
        /* conf owns whatever the walk stored before it failed */
        br_conf_destroy(conf);
        return NULL;
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        resolve_retry(conf, &conf->hooks[i]);
    }
    return conf;
}

static void free_kv(struct br_kv *entries, size_t count)
{
    for (size_t i = 0; entries != NULL && i < count; i++) {
        free(entries[i].key);
        /* values may carry credentials (sasl.password, Authorization) */
        br_yamlconf_scrub_free_str(entries[i].value);
    }
    free(entries);
}

void br_conf_destroy(struct br_conf *conf)
{
    if (conf == NULL) {
        return;
    }
    free(conf->path);
    free(conf->brokers);
    free(conf->group_id);
    free_kv(conf->kafka_props, conf->kafka_prop_count);
    free(conf->registry_url);
    br_yamlconf_scrub_free_str(conf->registry_username);
    br_yamlconf_scrub_free_str(conf->registry_password);
    free(conf->registry_ca_file);
    for (size_t i = 0; conf->topics != NULL && i < conf->topic_count; i++) {
        struct br_conf_topic *topic = &conf->topics[i];

        free(topic->name);
        if (topic->pattern != NULL) {
            regfree(&topic->regex);
            free(topic->pattern);
        }
        free(topic->resource);
        free(topic->schema_path);
        free(topic->schema_json);
    }
    free(conf->topics);
    for (size_t i = 0; conf->hooks != NULL && i < conf->hook_count; i++) {
        struct br_conf_hook *hook = &conf->hooks[i];

        free(hook->name);
        free(hook->url);
        if (hook->secret != NULL) {
            /* secret_len may be unset when loading failed before the hook's check */
            size_t len = hook->secret_len;
            if (len == 0) {
                len = strlen(hook->secret);
            }
            br_yamlconf_scrub_free(hook->secret, len);
        }
        for (size_t j = 0; hook->events != NULL && j < hook->event_count; j++) {
            free(hook->events[j]);
        }
        free(hook->events);
        free_kv(hook->headers, hook->header_count);
    }
    free(conf->hooks);
    free(conf->dead_letter_topic);
    free(conf->delivery_report_topic);
    free(conf->admin_listen);
    free(conf->log_level);
    free(conf);
}

const struct br_conf_topic *br_conf_topic_for(const struct br_conf *conf, const char *topic_name)
{
    if (conf == NULL || topic_name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < conf->topic_count; i++) {
        if (conf->topics[i].name != NULL && strcmp(conf->topics[i].name, topic_name) == 0) {
            return &conf->topics[i];
        }
    }
    for (size_t i = 0; i < conf->topic_count; i++) {
        if (conf->topics[i].pattern != NULL &&
            regexec(&conf->topics[i].regex, topic_name, 0, NULL, 0) == 0) {
            return &conf->topics[i];
        }
    }
    return NULL;
}

