#ifndef BR_TABLEHOOK_H
#define BR_TABLEHOOK_H
/*
 * One hook from one row of a tenant's PERSCOM `webhooks` table: a complete, checked struct
 * br_conf_hook, as a YAML hook is after br_conf_load, or the reason it cannot be one. The row's
 * columns come already decoded (avro/hookrow.h reads them from a change message).
 *
 * What a table hook is (docs/configuration.md, "table_hooks"):
 *   name       "tenant:<tenant>:webhook:<id>" (br_tablehook_name): stable for a row, unique
 *              across tenants, never a YAML hook's (those may not start with "tenant:")
 *   url        the row's url: http:// or https:// with a host, no spaces or control
 *              characters (core/url.h, the same check as a YAML hook's url)
 *   method     the row's method: exactly "get" or "post", as PERSCOM's WebhookMethod enum
 *   secret     the row's secret, not empty; PERSCOM's Signature only (signature: perscom)
 *   events     the row's events: a JSON array (the column's text, or an already decoded
 *              array) of PERSCOM event names, each exactly one of the catalog's thirty
 *              ("user.created"; no patterns), not empty; repeated names kept once
 *   timeout_ms 3000 (PERSCOM's)
 *   the rest   the defaults of a YAML hook (confkeys.c: no headers, tls, auth or proxy) and
 *              the bridge's delivery.* settings: retry policy (backoff_initial_ms,
 *              backoff_max_ms, max_attempts, max_age_ms, retry_after_max_ms) and
 *              tls_min_version (br_conf_hook_resolve)
 */
#include <jansson.h>
#include <stddef.h>

#include "config/conf.h"

/* PERSCOM's webhook timeout, the timeout_ms of every table hook. */
#define BR_TABLEHOOK_TIMEOUT_MS 3000L

/* Room for any table hook's name, NUL included. */
#define BR_TABLEHOOK_NAME_MAX 320

/* Room for a row id's text (at most 20 digits and a sign), NUL included. */
#define BR_TABLEHOOK_ID_MAX 24

/* The columns of one row, borrowed from the caller; NULL means the column is missing or SQL
 * NULL. */
struct br_tablehook_row {
    const char *id;         /* the row's id as decimal digits (a '-' allowed first) */
    const char *url;
    const char *method;
    const json_t *events;   /* a JSON string holding the column's JSON text, or an array */
    const char *secret;     /* secret_len bytes (NUL-ended) */
    size_t secret_len;
};

/*
 * Writes "tenant:<tenant>:webhook:<id>" into out. Returns 0, or -1 when tenant or id is empty
 * or it does not fit (out "").
 */
int br_tablehook_name(const char *tenant, const char *id, char *out, size_t out_size);

/*
 * The hook of row for tenant, with conf's delivery settings: a new hook the caller owns (free
 * it with br_tablehook_free, or move the struct's contents into an array of hooks and free()
 * the shell; br_conf_hook_finish frees the contents). NULL when the row is not a valid hook,
 * with the reason in errstr ("unknown event \"x\" in events", "method \"put\" is not get or
 * post", ...); a reason never repeats the secret.
 */
struct br_conf_hook *br_tablehook_build(const struct br_conf *conf, const char *tenant,
                                        const struct br_tablehook_row *row, char *errstr,
                                        size_t errstr_size);

/*
 * Sets what hook takes from conf's delivery.* settings: max_in_flight (ordering partition: the
 * cap a YAML hook without max_in_flight gets), the retry policy and the TLS floor
 * (br_conf_hook_resolve). br_tablehook_build does it with its conf.
 */
void br_tablehook_defaults(const struct br_conf *conf, struct br_conf_hook *hook);

/*
 * The table hook hook of tenant built again from its own row (id, url, method, events, secret)
 * with conf's delivery settings: what br_tablehook_build gives for that row under conf (a
 * reloaded configuration's defaults reach the table hooks this way). A new hook the caller
 * owns; NULL with the reason in errstr when hook is not a table hook of tenant.
 */
struct br_conf_hook *br_tablehook_rebuild(const struct br_conf *conf, const char *tenant,
                                          const struct br_conf_hook *hook, char *errstr,
                                          size_t errstr_size);

/* br_conf_hook_finish, then free. NULL is fine. */
void br_tablehook_free(struct br_conf_hook *hook);

#endif
