#ifndef BR_CONF_H
#define BR_CONF_H
/*
 * The validated configuration. br_conf_load() reads a YAML file; every problem is reported as
 * "file:line:col: key: message" and stops start-up. The reference is docs/configuration.md.
 */
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/netaddr.h"

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
/* The lowest TLS version accepted from an https:// peer; 1.2 is the floor. */
enum br_tls_version { BR_TLS_1_2, BR_TLS_1_3 };
/* Which signatures a hook's requests carry: PERSCOM's Signature, Standard Webhooks', or both. */
enum br_signature_mode { BR_SIGNATURE_PERSCOM, BR_SIGNATURE_STANDARD, BR_SIGNATURE_BOTH };
enum br_auth_kind { BR_AUTH_NONE, BR_AUTH_BEARER, BR_AUTH_BASIC };
/* What order a hook receives a partition's changes in (docs/guarantees.md, "Order"). */
enum br_ordering {
    BR_ORDERING_PARTITION, /* offset order per partition: one request in flight per lane */
    BR_ORDERING_KEY,       /* offset order per Kafka message key; keys in parallel */
    BR_ORDERING_NONE       /* any order */
};

/* A hook's max_in_flight when not set, in modes key and none (at most delivery.max_in_flight). */
#define BR_CONF_HOOK_IN_FLIGHT_DEFAULT 16
enum br_dead_letter_policy {
    BR_DEAD_LETTER_BLOCK, /* no dead-letter topic: retry forever (the default) */
    BR_DEAD_LETTER_DROP   /* no dead-letter topic: log, count and pass over */
};

struct br_kv {
    char *key;
    char *value;
};

/* limits: the defaults of max_body_bytes and max_elements (docs/configuration.md derives them
 * from the largest real PERSCOM row). */
#define BR_CONF_MAX_BODY_BYTES_DEFAULT (8L * 1024 * 1024)
#define BR_CONF_MAX_ELEMENTS_DEFAULT 100000L

/* The most secrets one hook may list (during a rotation, usually two). */
#define BR_CONF_SECRETS_MAX 8

/* One signing secret of a hook. */
struct br_hook_secret {
    char *text;          /* bytes as written: the key of PERSCOM's Signature */
    size_t len;
    unsigned char *key;  /* Standard Webhooks key: text decoded (whsec_ convention); NULL when
                          * the hook's signature mode is perscom */
    size_t key_len;
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
    char *secret;             /* the first secret's bytes (it signs PERSCOM's Signature); an
                               * alias of secrets[0].text once loaded, not owned */
    size_t secret_len;
    struct br_hook_secret *secrets; /* owned, secret_count of them, the first signs Signature */
    size_t secret_count;
    enum br_signature_mode signature; /* signature: perscom (default) | standard | both */
    char **events;            /* patterns as written: "rankrecord.created", "rankrecord.*", "*" */
    size_t event_count;
    long timeout_ms;          /* default 3000 */
    enum br_ordering ordering; /* ordering: partition (default) | key | none */
    long max_in_flight;       /* requests to this hook at once, all partitions together; once
                               * loaded never 0 and at most delivery.max_in_flight (unset:
                               * delivery.max_in_flight in mode partition, else
                               * BR_CONF_HOOK_IN_FLIGHT_DEFAULT) */
    struct br_kv *headers;    /* extra request headers */
    size_t header_count;
    struct br_retry_policy retry; /* delivery.* defaults, overridden by the hook's retry: keys */
    enum br_tls_version tls_min;  /* tls.min_version, else delivery.tls_min_version */
    /* tls (https:// only; verification is always on) */
    char *tls_ca_file;        /* resolved paths, or NULL */
    char *tls_cert_file;
    char *tls_key_file;
    int tls_min_version;      /* tls.min_version as written (enum br_tls_version), -1 = not set */
    /* auth: an Authorization header; values never shown */
    enum br_auth_kind auth;
    char *auth_bearer;        /* BR_AUTH_BEARER: the token */
    char *auth_username;      /* BR_AUTH_BASIC */
    char *auth_password;
    /* proxy: NULL = libcurl's environment variables (https_proxy, http_proxy, no_proxy...) */
    char *proxy;              /* proxy URL, ${VAR} expanded (credentials never shown) */
    char *no_proxy;           /* hosts that bypass the proxy, "*" = all; NULL = NO_PROXY */
    /* as written, moved into secrets / auth by the hook's check; NULL afterwards */
    char *secret_inline;
    char **secret_list;       /* secrets: [...] */
    size_t secret_list_count;
    char **secret_file_list;  /* secret_files: [...] */
    size_t secret_file_list_count;
    char *auth_bearer_file;
    char *auth_password_file;
    long retry_backoff_initial_ms; /* retry: overrides as written; -1 = not set */
    long retry_backoff_max_ms;
    long retry_max_attempts;
    long retry_max_age_ms;
    /* egress: 1 lets this hook reach private targets past the outbound request guard (YAML
     * hooks only; docs/configuration.md, "egress"); 0 (the default) for every other hook */
    int allow_private;
};

/*
 * table_hooks (optional): hooks that tenants manage in PERSCOM's `webhooks` tables, read from
 * those tables' change topics (config/tablehooks.h decodes the section's regexes' tenants,
 * config/tablehook.h builds a hook from a row, avro/hookrow.h decodes a row's message).
 */
struct br_conf_table_hooks {
    bool enabled;               /* the section is present */
    char *topics;               /* regex over webhooks topic names, as written */
    regex_t topics_regex;       /* anchored, with submatches; valid when topics_ok */
    bool topics_ok;
    long tenant_group;          /* the group of topics that is the tenant; default 1 */
    char *record_tenant;        /* regex over record topic names, as written */
    regex_t record_tenant_regex; /* anchored, with submatches; valid when record_tenant_ok */
    bool record_tenant_ok;
    long record_tenant_group;   /* the group of record_tenant that is the tenant; default 1 */
    long discover_interval_ms;  /* new webhooks topics looked for this often; default 30000 */
    /* how the webhooks topics' messages are framed, for the decoder: format and, for format
     * avro, schema_path and schema_json (name, pattern and resource stay NULL) */
    struct br_conf_topic topic;
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
    enum br_tls_version registry_tls_min; /* schema_registry.tls_min_version */

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
    long partition_window;    /* undelivered messages held per partition; default 200 */
    long partition_window_bytes; /* bytes held per partition; 0 = no limit; default 16 MiB */
    long max_buffered_bytes;     /* bytes held over all partitions; 0 = no limit; default 256 MiB */
    long max_attempts;           /* attempts per delivery; 0 = unlimited (default) */
    long max_age_ms;             /* since the bridge read the message; 0 = unlimited (default) */
    long retry_after_max_ms;     /* cap on Retry-After; default 300000 */
    enum br_tls_version hooks_tls_min; /* delivery.tls_min_version */
    long probe_after_failures;   /* failures that put a hook behind one probe; 0 = never; 5 */
    long max_uncommitted;        /* deliveries per partition beyond the last successful commit
                                    before its lanes wait for one; 0 = no bound; default 100 */
    long progress_metadata_bytes; /* per-hook progress in the commit metadata, at most this
                                     long; 0 = none; default 4096 */

    /* limits (optional): a message over one is undeliverable (dead-lettered with the reason) */
    long max_body_bytes; /* rendered JSON body, and a GET's query string; default 8 MiB */
    long max_elements;   /* Avro values decoded per message; default 100000 */

    /* dead_letter, delivery_report (optional) */
    char *dead_letter_topic;  /* NULL: dead_letter_policy applies */
    enum br_dead_letter_policy dead_letter_policy;
    long producer_failure_exit_ms; /* the dead-letter producer failing this long stops the bridge;
                                      0 = never; default 600000 */
    char *delivery_report_topic; /* NULL: no reports */

    /* admin (optional) */
    char *admin_listen;       /* "host:port" of /healthz, /readyz, /metrics; NULL: no listener */
    long admin_max_connections;   /* open at once; the oldest gives way to a new one; 32 */
    long admin_header_timeout_ms; /* the whole request head after the accept; 2000 */
    long admin_idle_timeout_ms;   /* the longest silence of an admin client; 1000 */
    /* egress (optional): CIDR prefixes the outbound request guard lets through */
    char **egress_allow_text;             /* as written */
    size_t egress_allow_text_count;
    struct br_netaddr_cidr *egress_allow; /* parsed, egress_allow_count of them */
    size_t egress_allow_count;
    char *log_level;          /* "error", "warn", "info" (default), "debug" */
    /* reload (optional): SIGHUP always reloads the hooks; this also when the file changes */
    long reload_watch_ms;     /* reload.watch_interval_ms: stat the file this often; 0 = off */
    enum br_log_format log_format; /* log_format: text (default) or json */

    struct br_conf_table_hooks table_hooks; /* table_hooks (optional) */
};

/*
 * Loads and validates path. On failure returns NULL and writes every diagnostic, one per line,
 * "file:line:col: key: message", into errstr (truncated to errstr_size).
 */
struct br_conf *br_conf_load(const char *path, char *errstr, size_t errstr_size);
void br_conf_destroy(struct br_conf *conf);

/*
 * Fills hook's effective retry policy and TLS floor: its own retry: keys and tls.min_version
 * where set (not -1), conf's delivery.* elsewhere. br_conf_load does it for the YAML hooks.
 */
void br_conf_hook_resolve(const struct br_conf *conf, struct br_conf_hook *hook);

/* Frees what hook holds (not hook itself) and zeroes it. Accepts NULL. */
void br_conf_hook_finish(struct br_conf_hook *hook);
/* br_conf_hook_finish, then frees hook (heap-allocated, e.g. by br_conf_take_hook). NULL ok. */
void br_conf_hook_free(struct br_conf_hook *hook);
/*
 * Moves conf->hooks[index] out into a heap copy the caller owns (free it with
 * br_conf_hook_free); the entry left in conf is zeroed (its name is NULL from then on).
 */
struct br_conf_hook *br_conf_take_hook(struct br_conf *conf, size_t index);
/*
 * Whether a and b send the same requests in the same way: URL, method, secrets, signature mode,
 * events, timeout, ordering, max_in_flight, allow_private, headers, retry policy, TLS settings
 * and files, auth, proxy (the names are not compared).
 */
bool br_conf_hook_equal(const struct br_conf_hook *a, const struct br_conf_hook *b);

/* The topic entry that matches topic_name (exact names first, then patterns), or NULL. */
const struct br_conf_topic *br_conf_topic_for(const struct br_conf *conf, const char *topic_name);

#endif
