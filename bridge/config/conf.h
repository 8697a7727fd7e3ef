#ifndef BR_CONF_H
#define BR_CONF_H
/*
 * The validated configuration. br_conf_load() reads a YAML file; every problem is reported as
 * "file:line:col: key: message" and stops start-up. The reference is docs/configuration.md.
 */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

/* A hook's retry settings (delivery.* or the hook's retry: overrides). */
struct br_retry_policy {
    int64_t initial_ms;         /* backoff_initial_ms */
    int64_t max_ms;             /* backoff_max_ms: cap of the exponential delay */
    unsigned max_attempts;      /* attempts allowed in all; 0 = unlimited */
    int64_t max_age_ms;         /* no attempt starts later than first + this; 0 = unlimited */
    int64_t retry_after_max_ms; /* cap on a receiver's Retry-After; 0 ignores Retry-After */
};

enum br_topic_format { BR_FORMAT_CONFLUENT, BR_FORMAT_AVRO };
enum br_snapshot_mode { BR_SNAPSHOT_SKIP, BR_SNAPSHOT_CREATED };
enum br_method { BR_METHOD_POST, BR_METHOD_GET };
enum br_dead_letter_policy {
    BR_DEAD_LETTER_BLOCK, /* no dead-letter topic: retry forever (the default) */
    BR_DEAD_LETTER_DROP   /* no dead-letter topic: log, count and pass over */
};

struct br_kv {
    char *key;
    char *value;
};

struct br_conf_topic {
    char *name;               /* exact topic name, or NULL when pattern is set */
    char *pattern;            /* POSIX extended regex source, or NULL */
    regex_t regex;            /* compiled pattern, anchored (valid when pattern != NULL) */
    char *resource;           /* resource name, or NULL: derive from the topic's table name */
    enum br_topic_format format;
    char *schema_path;        /* format avro: path of the Avro schema file (resolved) */
    char *schema_json;        /* format avro: contents of that file */
    enum br_snapshot_mode snapshot;
};

struct br_conf_hook {
    char *name;
    char *url;
    enum br_method method;
    char *secret;             /* bytes as written, ${VAR} expanded, or read from secret_file */
    size_t secret_len;
    char **events;            /* patterns as written: "rankrecord.created", "rankrecord.*", "*" */
    size_t event_count;
    long timeout_ms;          /* default 3000 */
    struct br_kv *headers;    /* extra request headers */
    size_t header_count;
    struct br_retry_policy retry; /* delivery.* defaults, overridden by the hook's retry: keys */
    long retry_backoff_initial_ms; /* retry: overrides as written; -1 = not set */
    long retry_backoff_max_ms;
    long retry_max_attempts;
    long retry_max_age_ms;
};

struct br_conf {
    char *path;               /* the file it came from */

    /* kafka */
    char *brokers;            /* required */
    char *group_id;           /* required, no default */
    struct br_kv *kafka_props; /* passed through to librdkafka as written */
    size_t kafka_prop_count;

    /* schema_registry (optional; required when any topic has format confluent) */
    char *registry_url;
    char *registry_username;
    char *registry_password;
    char *registry_ca_file;

    struct br_conf_topic *topics;
    size_t topic_count;

    struct br_conf_hook *hooks;
    size_t hook_count;

    /* delivery */
    long backoff_initial_ms;  /* default 500 */
    long backoff_max_ms;      /* default 60000 */
    long max_in_flight;       /* curl transfers at once; default 64 */
    long commit_interval_ms;  /* default 1000 */
    long shutdown_grace_ms;   /* default 10000 */
    long partition_window;    /* undelivered messages held per partition; default 1000 */
    long partition_window_bytes; /* bytes held per partition; 0 = no limit; default 16 MiB */
    long max_buffered_bytes;     /* bytes held over all partitions; 0 = no limit; default 256 MiB */
    long max_attempts;           /* attempts per delivery; 0 = unlimited (default) */
    long max_age_ms;             /* since the bridge read the message; 0 = unlimited (default) */
    long retry_after_max_ms;     /* cap on Retry-After; default 300000 */
    long probe_after_failures;   /* failures that put a hook behind one probe; 0 = never; 5 */

    /* dead_letter, delivery_report (optional) */
    char *dead_letter_topic;  /* NULL: dead_letter_policy applies */
    enum br_dead_letter_policy dead_letter_policy;
    char *delivery_report_topic; /* NULL: no reports */

    /* admin (optional) */
    char *admin_listen;       /* "host:port" of /healthz, /readyz, /metrics; NULL: no listener */
    long admin_max_connections;   /* open at once; the oldest gives way to a new one; 32 */
    long admin_header_timeout_ms; /* the whole request head after the accept; 2000 */
    long admin_idle_timeout_ms;   /* the longest silence of an admin client; 1000 */
    char *log_level;          /* "error", "warn", "info" (default), "debug" */
};

/*
 * Loads and validates path. On failure returns NULL and writes every diagnostic, one per line,
 * "file:line:col: key: message", into errstr (truncated to errstr_size).
 */
struct br_conf *br_conf_load(const char *path, char *errstr, size_t errstr_size);
void br_conf_destroy(struct br_conf *conf);

/* The topic entry that matches topic_name (exact names first, then patterns), or NULL. */
const struct br_conf_topic *br_conf_topic_for(const struct br_conf *conf, const char *topic_name);

#endif
