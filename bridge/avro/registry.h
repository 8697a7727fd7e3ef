#ifndef BR_REGISTRY_H
#define BR_REGISTRY_H
/* Confluent Schema Registry client (GET /schemas/ids/{id}) with a cache of writer schemas. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_conf;
struct br_registry;

enum br_registry_status {
    BR_REGISTRY_OK,
    BR_REGISTRY_NOT_FOUND,   /* the registry answered 404, or the id is not positive: the id
                              * does not exist (permanent) */
    BR_REGISTRY_UNAVAILABLE  /* connection error, timeout, 5xx, bad answer: retry later */
};

/* url is the registry's base URL; username/password/ca_file may be NULL. */
struct br_registry *br_registry_create(const char *url, const char *username,
                                       const char *password, const char *ca_file);
/*
 * The registry a configuration names (registry.url, its credentials, CA file and lowest TLS
 * version), or NULL when it names none. The caller owns it.
 */
struct br_registry *br_registry_create_for(const struct br_conf *conf);
void br_registry_destroy(struct br_registry *registry);
/* The lowest TLS version accepted from an https:// registry: 1.2 (the default) or 1.3. */
void br_registry_set_tls13(struct br_registry *registry, bool tls13);

/*
 * The schema JSON text of id. The returned string belongs to the registry's cache and lives
 * as long as the registry. By default a cache miss blocks for at most a few seconds (the
 * render command). In asynchronous mode a miss never blocks: it starts a fetch and answers
 * UNAVAILABLE ("fetching"); once br_registry_perform has finished it, the next call for the
 * same id answers with its result.
 * An id below 1 is NOT_FOUND without a request. A 404 is remembered: the same id answers
 * NOT_FOUND without a request for 2 s, then 4 s, 8 s, ... up to 60 s between requests.
 */
enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size);

/*
 * The schema text of a registry's answer to GET /schemas/ids/{id} ({"schema": "..."}, at most
 * 4 MiB): a malloc'd copy, or NULL with the reason in errstr. What the text declares is
 * checked when it is built (decode.c, schemabounds.h), not here.
 */
char *br_registry_answer_schema(const char *data, size_t len, char *errstr, size_t errstr_size);

/* Switches to the asynchronous mode (the run loop's): one fetch at a time, never blocking. */
void br_registry_set_async(struct br_registry *registry);
/* Drives the fetch in flight without waiting; true when one has just finished. */
bool br_registry_perform(struct br_registry *registry);
/* True while a fetch is in flight (the loop then polls it every few milliseconds). */
bool br_registry_busy(const struct br_registry *registry);
/* True while a fetch is in flight or its result waits to be collected: a RETRY answered now is
 * the normal first sight of a schema id, not a problem. */
bool br_registry_fetching(const struct br_registry *registry);

#endif
