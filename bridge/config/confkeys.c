/*
 * The perscom-bridge configuration schema (see confkeys.h): one table per section (key, kind,
 * default, bounds, required, doc), the choices of its enumerated keys, and the check each
 * section runs after its walk (confcheck.c). The generic walker that applies them is yamlconf.c.
 * The reference for users is docs/configuration.md; keep the two together.
 */
#include "config/confkeys.h"

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "config/confcheck.h"
#include "config/egresscheck.h"
#include "config/hookcheck.h"
#include "config/tablehooks.h"
#include "config/yamlconf.h"

#define FIELD(type, member) offsetof(type, member)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

const struct br_yamlconf_choice br_confkeys_formats[] = {
    {"confluent", BR_FORMAT_CONFLUENT}, {"avro", BR_FORMAT_AVRO}, {NULL, 0}};
static const struct br_yamlconf_choice snapshot_choices[] = {
    {"skip", BR_SNAPSHOT_SKIP}, {"created", BR_SNAPSHOT_CREATED}, {NULL, 0}};
static const struct br_yamlconf_choice method_choices[] = {
    {"POST", BR_METHOD_POST}, {"GET", BR_METHOD_GET}, {NULL, 0}};
static const struct br_yamlconf_choice policy_choices[] = {
    {"block", BR_DEAD_LETTER_BLOCK}, {"drop", BR_DEAD_LETTER_DROP}, {NULL, 0}};
static const struct br_yamlconf_choice tls_choices[] = {
    {"1.2", BR_TLS_1_2}, {"1.3", BR_TLS_1_3}, {NULL, 0}};
static const struct br_yamlconf_choice signature_choices[] = {
    {"perscom", BR_SIGNATURE_PERSCOM}, {"standard", BR_SIGNATURE_STANDARD},
    {"both", BR_SIGNATURE_BOTH}, {NULL, 0}};
static const struct br_yamlconf_choice ordering_choices[] = {
    {"partition", BR_ORDERING_PARTITION}, {"key", BR_ORDERING_KEY}, {"none", BR_ORDERING_NONE},
    {NULL, 0}};
static const struct br_yamlconf_choice log_format_choices[] = {
    {"text", BR_LOG_TEXT}, {"json", BR_LOG_JSON}, {NULL, 0}};
static const struct br_yamlconf_choice bool_choices[] = {
    {"false", 0}, {"true", 1}, {NULL, 0}};
static const struct br_yamlconf_choice level_choices[] = {
    {"error", 0}, {"warn", 1}, {"info", 2}, {"debug", 3}, {NULL, 0}};

static const struct br_yamlconf_key kafka_keys[] = {
    {.key = "brokers", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, brokers),
     .required = true, .doc = "bootstrap brokers, host:port[,host:port...]"},
    {.key = "group_id", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, group_id),
     .required = true, .doc = "consumer group id; no default"},
    {.key = "properties", .kind = BR_YAMLCONF_KV, .offset = FIELD(struct br_conf, kafka_props),
     .count_offset = FIELD(struct br_conf, kafka_prop_count), .kv_check = br_confcheck_kafka_prop,
     .doc = "librdkafka properties, passed through as written"},
};
static const struct br_yamlconf_section kafka_section = {kafka_keys, COUNT(kafka_keys), NULL};

static const struct br_yamlconf_key registry_keys[] = {
    [BR_CONFKEYS_REGISTRY_URL] = {.key = "url", .kind = BR_YAMLCONF_URL,
                                  .offset = FIELD(struct br_conf, registry_url), .required = true,
                                  .doc = "Schema Registry base URL, without credentials"},
    [BR_CONFKEYS_REGISTRY_USERNAME] = {.key = "username", .kind = BR_YAMLCONF_STRING_ENV,
     .offset = FIELD(struct br_conf, registry_username), .doc = "basic-auth user, ${VAR} expanded"},
    [BR_CONFKEYS_REGISTRY_PASSWORD] = {.key = "password", .kind = BR_YAMLCONF_STRING_ENV,
     .offset = FIELD(struct br_conf, registry_password),
     .doc = "basic-auth password, ${VAR} expanded"},
    [BR_CONFKEYS_REGISTRY_TLS_MIN] = {.key = "tls_min_version", .kind = BR_YAMLCONF_ENUM,
     .offset = FIELD(struct br_conf, registry_tls_min), .def = BR_TLS_1_2, .choices = tls_choices,
     .doc = "lowest TLS version accepted from an https:// registry (1.2 or 1.3)"},
    [BR_CONFKEYS_REGISTRY_CA_FILE] = {.key = "ca_file", .kind = BR_YAMLCONF_PATH,
     .offset = FIELD(struct br_conf, registry_ca_file),
     .doc = "CA bundle for TLS"},
};
static const struct br_yamlconf_section registry_section = {registry_keys, COUNT(registry_keys),
                                                            br_confcheck_registry};

static const struct br_yamlconf_key topic_keys[] = {
    [BR_CONFKEYS_TOPIC_NAME] =
        {.key = "name", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf_topic, name),
         .doc = "exact topic name"},
    [BR_CONFKEYS_TOPIC_PATTERN] =
        {.key = "pattern", .kind = BR_YAMLCONF_REGEX,
         .offset = FIELD(struct br_conf_topic, pattern),
         .regex_offset = FIELD(struct br_conf_topic, regex),
         .doc = "POSIX extended regex over topic names, anchored"},
    [BR_CONFKEYS_TOPIC_RESOURCE] =
        {.key = "resource", .kind = BR_YAMLCONF_STRING,
         .offset = FIELD(struct br_conf_topic, resource),
         .doc = "PERSCOM resource; default from the table name"},
    [BR_CONFKEYS_TOPIC_FORMAT] =
        {.key = "format", .kind = BR_YAMLCONF_ENUM, .offset = FIELD(struct br_conf_topic, format),
         .def = BR_FORMAT_CONFLUENT, .choices = br_confkeys_formats, .doc = "message encoding"},
    [BR_CONFKEYS_TOPIC_SCHEMA] =
        {.key = "schema", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_topic, schema_path),
         .doc = "Avro schema file for format avro"},
    [BR_CONFKEYS_TOPIC_SNAPSHOT] =
        {.key = "snapshot", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf_topic, snapshot), .def = BR_SNAPSHOT_SKIP,
         .choices = snapshot_choices, .doc = "what snapshot reads become"},
};
static const struct br_yamlconf_section topic_section = {topic_keys, COUNT(topic_keys),
                                                         br_confcheck_topic};

static const struct br_yamlconf_key hook_retry_keys[] = {
    [BR_CONFKEYS_RETRY_BACKOFF_INITIAL] =
        {.key = "backoff_initial_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf_hook, retry_backoff_initial_ms), .def = -1, .min = 1,
         .max = 3600000, .doc = "first retry delay of this hook"},
    [BR_CONFKEYS_RETRY_BACKOFF_MAX] =
        {.key = "backoff_max_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf_hook, retry_backoff_max_ms), .def = -1, .min = 1,
         .max = 86400000, .doc = "longest retry delay of this hook"},
    {.key = "max_attempts", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf_hook, retry_max_attempts), .def = -1, .min = 0,
     .max = 1000000, .doc = "attempts per delivery; 0 = unlimited"},
    {.key = "max_age_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf_hook, retry_max_age_ms), .def = -1, .min = 0,
     .max = 2592000000L, .doc = "give up this long after the message was read; 0 = never"},
};
static const struct br_yamlconf_section hook_retry_section = {
    hook_retry_keys, COUNT(hook_retry_keys), br_confcheck_hook_retry};

static const struct br_yamlconf_key hook_tls_keys[] = {
    [BR_CONFKEYS_TLS_CA_FILE] =
        {.key = "ca_file", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_hook, tls_ca_file),
         .doc = "the only CAs trusted for this hook (PEM)"},
    [BR_CONFKEYS_TLS_CERT_FILE] =
        {.key = "cert_file", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_hook, tls_cert_file),
         .doc = "client certificate (PEM) for mTLS; re-read when it changes"},
    [BR_CONFKEYS_TLS_KEY_FILE] =
        {.key = "key_file", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_hook, tls_key_file),
         .doc = "the client certificate's key (PEM, unencrypted); re-read when it changes"},
    [BR_CONFKEYS_TLS_MIN_VERSION] =
        {.key = "min_version", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf_hook, tls_min_version), .def = -1,
         .choices = tls_choices, .doc = "lowest TLS version (default delivery.tls_min_version)"},
};
static const struct br_yamlconf_section hook_tls_section = {hook_tls_keys, COUNT(hook_tls_keys),
                                                            br_hookcheck_tls};

static const struct br_yamlconf_key hook_basic_keys[] = {
    [BR_CONFKEYS_BASIC_USERNAME] =
        {.key = "username", .kind = BR_YAMLCONF_STRING_ENV,
         .offset = FIELD(struct br_conf_hook, auth_username), .required = true,
         .doc = "basic-auth user, ${VAR} expanded"},
    [BR_CONFKEYS_BASIC_PASSWORD] =
        {.key = "password", .kind = BR_YAMLCONF_STRING_ENV,
         .offset = FIELD(struct br_conf_hook, auth_password),
         .doc = "basic-auth password, ${VAR} expanded"},
    [BR_CONFKEYS_BASIC_PASSWORD_FILE] =
        {.key = "password_file", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_hook, auth_password_file),
         .doc = "a file holding the basic-auth password"},
};
static const struct br_yamlconf_section hook_basic_section = {
    hook_basic_keys, COUNT(hook_basic_keys), br_hookcheck_basic};

static const struct br_yamlconf_key hook_auth_keys[] = {
    [BR_CONFKEYS_AUTH_BEARER] =
        {.key = "bearer", .kind = BR_YAMLCONF_STRING_ENV,
         .offset = FIELD(struct br_conf_hook, auth_bearer),
         .doc = "bearer token, ${VAR} expanded"},
    [BR_CONFKEYS_AUTH_BEARER_FILE] =
        {.key = "bearer_file", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf_hook, auth_bearer_file),
         .doc = "a file holding the bearer token"},
    [BR_CONFKEYS_AUTH_BASIC] =
        {.key = "basic", .kind = BR_YAMLCONF_SECTION, .sub = &hook_basic_section,
         .doc = "basic auth: username and password or password_file"},
};
static const struct br_yamlconf_section hook_auth_section = {
    hook_auth_keys, COUNT(hook_auth_keys), br_hookcheck_auth};

static const struct br_yamlconf_key hook_keys[] = {
    [BR_CONFKEYS_HOOK_NAME] =
        {.key = "name", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf_hook, name),
         .required = true, .doc = "unique hook name"},
    [BR_CONFKEYS_HOOK_URL] =
        {.key = "url", .kind = BR_YAMLCONF_URL, .offset = FIELD(struct br_conf_hook, url),
         .required = true, .doc = "receiver URL"},
    [BR_CONFKEYS_HOOK_METHOD] =
        {.key = "method", .kind = BR_YAMLCONF_ENUM, .offset = FIELD(struct br_conf_hook, method),
         .def = BR_METHOD_POST, .choices = method_choices, .doc = "HTTP method"},
    [BR_CONFKEYS_HOOK_SECRET] =
        {.key = "secret", .kind = BR_YAMLCONF_STRING_ENV,
         .offset = FIELD(struct br_conf_hook, secret_inline), .doc = "signing secret"},
    [BR_CONFKEYS_HOOK_SECRET_FILE] =
        {.key = "secret_file", .kind = BR_YAMLCONF_SEEN, .doc = "file holding the signing secret"},
    [BR_CONFKEYS_HOOK_EVENTS] =
        {.key = "events", .kind = BR_YAMLCONF_STRING_LIST,
         .offset = FIELD(struct br_conf_hook, events),
         .count_offset = FIELD(struct br_conf_hook, event_count), .required = true,
         .item_check = br_confcheck_event, .doc = "subscribed events and wildcards"},
    [BR_CONFKEYS_HOOK_TIMEOUT] =
        {.key = "timeout_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf_hook, timeout_ms), .def = 3000, .min = 1, .max = 600000,
         .doc = "whole-request timeout"},
    [BR_CONFKEYS_HOOK_HEADERS] =
        {.key = "headers", .kind = BR_YAMLCONF_KV, .offset = FIELD(struct br_conf_hook, headers),
         .count_offset = FIELD(struct br_conf_hook, header_count),
         .kv_check = br_confcheck_header, .doc = "extra request headers"},
    [BR_CONFKEYS_HOOK_RETRY] =
        {.key = "retry", .kind = BR_YAMLCONF_SECTION, .sub = &hook_retry_section,
         .doc = "this hook's retry policy (defaults: delivery.*)"},
    [BR_CONFKEYS_HOOK_SECRETS] =
        {.key = "secrets", .kind = BR_YAMLCONF_STRING_LIST,
         .offset = FIELD(struct br_conf_hook, secret_list),
         .count_offset = FIELD(struct br_conf_hook, secret_list_count), .env = true,
         .doc = "several signing secrets (rotation); the first signs Signature"},
    [BR_CONFKEYS_HOOK_SECRET_FILES] =
        {.key = "secret_files", .kind = BR_YAMLCONF_STRING_LIST,
         .offset = FIELD(struct br_conf_hook, secret_file_list),
         .count_offset = FIELD(struct br_conf_hook, secret_file_list_count),
         .doc = "files holding several signing secrets (rotation)"},
    [BR_CONFKEYS_HOOK_SIGNATURE] =
        {.key = "signature", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf_hook, signature), .def = BR_SIGNATURE_PERSCOM,
         .choices = signature_choices, .doc = "perscom, standard (Standard Webhooks) or both"},
    [BR_CONFKEYS_HOOK_TLS] =
        {.key = "tls", .kind = BR_YAMLCONF_SECTION, .sub = &hook_tls_section,
         .doc = "CA, client certificate and minimum version for https://"},
    [BR_CONFKEYS_HOOK_AUTH] =
        {.key = "auth", .kind = BR_YAMLCONF_SECTION, .sub = &hook_auth_section,
         .doc = "an Authorization header: bearer or basic"},
    [BR_CONFKEYS_HOOK_PROXY] =
        {.key = "proxy", .kind = BR_YAMLCONF_STRING_ENV,
         .offset = FIELD(struct br_conf_hook, proxy),
         .doc = "proxy URL for this hook (default: the environment's)"},
    [BR_CONFKEYS_HOOK_NO_PROXY] =
        {.key = "no_proxy", .kind = BR_YAMLCONF_STRING,
         .offset = FIELD(struct br_conf_hook, no_proxy),
         .doc = "hosts reached without the proxy; * = all (default: NO_PROXY)"},
    [BR_CONFKEYS_HOOK_ORDERING] =
        {.key = "ordering", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf_hook, ordering), .def = BR_ORDERING_PARTITION,
         .choices = ordering_choices,
         .doc = "partition (offset order per partition), key (per Kafka message key) or none"},
    /* 0 (absent) is resolved by br_confcheck_root, once delivery.max_in_flight is known */
    [BR_CONFKEYS_HOOK_MAX_IN_FLIGHT] =
        {.key = "max_in_flight", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf_hook, max_in_flight), .def = 0, .min = 1, .max = 1024,
         .doc = "requests to this hook at once, at most delivery.max_in_flight"},
    [BR_CONFKEYS_HOOK_ALLOW_PRIVATE] =
        {.key = "allow_private", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf_hook, allow_private), .def = 0, .choices = bool_choices,
         .doc = "true lets this hook reach loopback and private addresses (egress guard)"},
};
const struct br_yamlconf_section br_confkeys_hook = {hook_keys, COUNT(hook_keys),
                                                     br_confcheck_hook};

static const struct br_yamlconf_key delivery_keys[] = {
    [BR_CONFKEYS_DELIVERY_BACKOFF_INITIAL] =
        {.key = "backoff_initial_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf, backoff_initial_ms), .def = 500, .min = 1, .max = 3600000,
         .doc = "first retry delay"},
    [BR_CONFKEYS_DELIVERY_BACKOFF_MAX] =
        {.key = "backoff_max_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf, backoff_max_ms), .def = 60000, .min = 1, .max = 86400000,
         .doc = "longest retry delay"},
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
     .offset = FIELD(struct br_conf, partition_window), .def = 200, .min = 1, .max = 1000000,
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
    {.key = "tls_min_version", .kind = BR_YAMLCONF_ENUM,
     .offset = FIELD(struct br_conf, hooks_tls_min), .def = BR_TLS_1_2, .choices = tls_choices,
     .doc = "lowest TLS version accepted from an https:// hook (1.2 or 1.3)"},
    {.key = "probe_after_failures", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, probe_after_failures), .def = 5, .min = 0, .max = 1000000,
     .doc = "consecutive failures before a hook's lanes wait behind one probe; 0 = never"},
    {.key = "max_uncommitted", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, max_uncommitted), .def = 100, .min = 0, .max = 1000000,
     .doc = "deliveries per partition beyond the last successful commit; at this many the "
            "partition starts no request until a commit succeeds; 0 = no bound"},
    {.key = "progress_metadata_bytes", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, progress_metadata_bytes), .def = 4096, .min = 0,
     .max = 1048576,
     .doc = "longest per-hook progress sent with a commit (at most the brokers' "
            "offset.metadata.max.bytes); 0 = none"},
};
static const struct br_yamlconf_section delivery_section = {delivery_keys, COUNT(delivery_keys),
                                                            br_confcheck_delivery};

/* Defaults derived in docs/configuration.md ("limits") from the largest real PERSCOM row. */
static const struct br_yamlconf_key limits_keys[] = {
    {.key = "max_body_bytes", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, max_body_bytes), .def = BR_CONF_MAX_BODY_BYTES_DEFAULT,
     .min = 1024, .max = 1L << 30,
     .doc = "largest JSON body (and GET query string) a message may render to"},
    {.key = "max_elements", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, max_elements), .def = BR_CONF_MAX_ELEMENTS_DEFAULT,
     .min = 100, .max = 100000000, .doc = "most Avro values a message may be made of"},
};
static const struct br_yamlconf_section limits_section = {limits_keys, COUNT(limits_keys), NULL};

static const struct br_yamlconf_key dead_letter_keys[] = {
    [BR_CONFKEYS_DEAD_LETTER_TOPIC] =
        {.key = "topic", .kind = BR_YAMLCONF_STRING,
         .offset = FIELD(struct br_conf, dead_letter_topic),
         .doc = "where undeliverable messages go"},
    [BR_CONFKEYS_DEAD_LETTER_POLICY] =
        {.key = "policy", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf, dead_letter_policy), .def = BR_DEAD_LETTER_BLOCK,
         .choices = policy_choices, .doc = "without a topic: block (retry forever) or drop"},
    {.key = "producer_failure_exit_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, producer_failure_exit_ms), .def = 600000, .min = 0,
     .max = 2592000000L,
     .doc = "stop the bridge after its dead-letter producer failed this long; 0 = never"},
};
static const struct br_yamlconf_section dead_letter_section = {
    dead_letter_keys, COUNT(dead_letter_keys), br_confcheck_dead_letter};

static const struct br_yamlconf_key admin_keys[] = {
    {.key = "listen", .kind = BR_YAMLCONF_STRING, .offset = FIELD(struct br_conf, admin_listen),
     .required = true, .doc = "host:port of /healthz, /readyz and /metrics"},
    {.key = "max_connections", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, admin_max_connections), .def = 32, .min = 1, .max = 4096,
     .doc = "connections open at once; when all are taken the oldest gives way to a new one"},
    {.key = "header_timeout_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, admin_header_timeout_ms), .def = 2000, .min = 10,
     .max = 60000, .doc = "the whole request head must arrive within this of the accept"},
    {.key = "idle_timeout_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, admin_idle_timeout_ms), .def = 1000, .min = 10,
     .max = 60000, .doc = "a client silent for this long (or not reading its response) is closed"},
};
static const struct br_yamlconf_section admin_section = {admin_keys, COUNT(admin_keys), NULL};

static const struct br_yamlconf_key reload_keys[] = {
    {.key = "watch_interval_ms", .kind = BR_YAMLCONF_INT,
     .offset = FIELD(struct br_conf, reload_watch_ms), .def = 0, .min = 0, .max = 3600000,
     .doc = "look at the file this often and reload its hooks when it changed; 0: SIGHUP only"},
};
static const struct br_yamlconf_section reload_section = {reload_keys, COUNT(reload_keys), NULL};

static const struct br_yamlconf_key report_keys[] = {
    {.key = "topic", .kind = BR_YAMLCONF_STRING,
     .offset = FIELD(struct br_conf, delivery_report_topic), .required = true,
     .doc = "one record per finished delivery"},
};
static const struct br_yamlconf_section report_section = {report_keys, COUNT(report_keys), NULL};

/* PERSCOM's webhooks tables (tablehooks.h); the hooks themselves are built by tablehook.c. */
static const struct br_yamlconf_key table_hooks_keys[] = {
    [BR_TABLEHOOKS_TOPICS] =
        {.key = "topics", .kind = BR_YAMLCONF_STRING,
         .offset = FIELD(struct br_conf, table_hooks.topics), .required = true,
         .doc = "POSIX extended regex over the webhooks topics' names, anchored; a group "
                "captures the tenant"},
    [BR_TABLEHOOKS_TENANT_GROUP] =
        {.key = "tenant_group", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf, table_hooks.tenant_group), .def = 1, .min = 1, .max = 9,
         .doc = "which group of topics is the tenant"},
    [BR_TABLEHOOKS_RECORD_TENANT] =
        {.key = "record_tenant", .kind = BR_YAMLCONF_STRING,
         .offset = FIELD(struct br_conf, table_hooks.record_tenant), .required = true,
         .doc = "POSIX extended regex over record topics' names, anchored; a group captures "
                "the tenant"},
    [BR_TABLEHOOKS_RECORD_TENANT_GROUP] =
        {.key = "record_tenant_group", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf, table_hooks.record_tenant_group), .def = 1, .min = 1,
         .max = 9, .doc = "which group of record_tenant is the tenant"},
    [BR_TABLEHOOKS_FORMAT] =
        {.key = "format", .kind = BR_YAMLCONF_ENUM,
         .offset = FIELD(struct br_conf, table_hooks.topic.format), .def = BR_FORMAT_CONFLUENT,
         .choices = br_confkeys_formats, .doc = "message encoding of the webhooks topics"},
    [BR_TABLEHOOKS_SCHEMA] =
        {.key = "schema", .kind = BR_YAMLCONF_PATH,
         .offset = FIELD(struct br_conf, table_hooks.topic.schema_path),
         .doc = "Avro schema file for format avro (schemas/webhooks.avsc)"},
    [BR_TABLEHOOKS_DISCOVER_INTERVAL] =
        {.key = "discover_interval_ms", .kind = BR_YAMLCONF_INT,
         .offset = FIELD(struct br_conf, table_hooks.discover_interval_ms), .def = 30000,
         .min = 1000, .max = 3600000,
         .doc = "new webhooks topics (new tenants) are looked for this often"},
};
static const struct br_yamlconf_section table_hooks_section = {
    table_hooks_keys, COUNT(table_hooks_keys), br_tablehooks_check};
static const struct br_yamlconf_key egress_keys[] = {
    {.key = "allow", .kind = BR_YAMLCONF_STRING_LIST,
     .offset = FIELD(struct br_conf, egress_allow_text),
     .count_offset = FIELD(struct br_conf, egress_allow_text_count),
     .item_check = br_egresscheck_cidr,
     .doc = "CIDR prefixes (or addresses) the outbound request guard lets through"},
};
static const struct br_yamlconf_section egress_section = {egress_keys, COUNT(egress_keys),
                                                          br_egresscheck_section};

static const struct br_yamlconf_key root_keys[] = {
    [BR_CONFKEYS_ROOT_KAFKA] =
        {.key = "kafka", .kind = BR_YAMLCONF_SECTION, .sub = &kafka_section, .required = true,
         .doc = "the Kafka consumer"},
    [BR_CONFKEYS_ROOT_REGISTRY] =
        {.key = "schema_registry", .kind = BR_YAMLCONF_SECTION, .sub = &registry_section,
         .doc = "Confluent Schema Registry"},
    [BR_CONFKEYS_ROOT_TOPICS] =
        {.key = "topics", .kind = BR_YAMLCONF_LIST, .offset = FIELD(struct br_conf, topics),
         .count_offset = FIELD(struct br_conf, topic_count), .required = true,
         .sub = &topic_section, .elem_size = sizeof(struct br_conf_topic),
         .doc = "record-change topics"},
    [BR_CONFKEYS_ROOT_HOOKS] =
        {.key = "hooks", .kind = BR_YAMLCONF_LIST, .offset = FIELD(struct br_conf, hooks),
         .count_offset = FIELD(struct br_conf, hook_count), .sub = &br_confkeys_hook,
         .elem_size = sizeof(struct br_conf_hook),
         .doc = "webhook receivers (required unless table_hooks is set)"},
    [BR_CONFKEYS_ROOT_DELIVERY] =
        {.key = "delivery", .kind = BR_YAMLCONF_SECTION, .sub = &delivery_section,
         .doc = "retry, window and commit tuning"},
    [BR_CONFKEYS_ROOT_LOG_LEVEL] =
        {.key = "log_level", .kind = BR_YAMLCONF_LEVEL, .offset = FIELD(struct br_conf, log_level),
         .def_str = "info", .choices = level_choices, .doc = "log verbosity"},
    {.key = "log_format", .kind = BR_YAMLCONF_ENUM, .offset = FIELD(struct br_conf, log_format),
     .def = BR_LOG_TEXT, .choices = log_format_choices,
     .doc = "text lines, or one JSON object per line"},
    {.key = "limits", .kind = BR_YAMLCONF_SECTION, .sub = &limits_section,
     .doc = "how large a message may decode and render"},
    {.key = "dead_letter", .kind = BR_YAMLCONF_SECTION, .sub = &dead_letter_section,
     .doc = "where deliveries that cannot succeed go"},
    {.key = "delivery_report", .kind = BR_YAMLCONF_SECTION, .sub = &report_section,
     .doc = "a record per finished delivery"},
    {.key = "admin", .kind = BR_YAMLCONF_SECTION, .sub = &admin_section,
     .doc = "health and metrics listener"},
    {.key = "reload", .kind = BR_YAMLCONF_SECTION, .sub = &reload_section,
     .doc = "reloading the hooks while running"},
    {.key = "table_hooks", .kind = BR_YAMLCONF_SECTION, .sub = &table_hooks_section,
     .doc = "hooks from PERSCOM's webhooks tables, read from their change topics"},
    {.key = "egress", .kind = BR_YAMLCONF_SECTION, .sub = &egress_section,
     .doc = "the outbound request guard: what hooks may reach besides public addresses"},
};
const struct br_yamlconf_section br_confkeys_root = {root_keys, COUNT(root_keys),
                                                     br_confcheck_root};
