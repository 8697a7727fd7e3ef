#ifndef BR_HOOKROW_H
#define BR_HOOKROW_H
/*
 * One Kafka message of a tenant's `webhooks` change topic -> what it does to that tenant's
 * table hooks: add or replace one (a complete, checked struct br_conf_hook), remove one, remove
 * all of the tenant's (truncate), nothing, try again later, or refuse the row with a reason.
 * The contract of the messages is schemas/README.md, "The webhooks table"; the hooks'
 * settings are config/tablehook.h's.
 *
 * Use (the run loop, for each message of a topic br_tablehooks_tenant(BR_TABLEHOOKS_WEBHOOKS)
 * names a tenant of):
 *
 *     struct br_hookrows *rows = br_hookrows_create(decoder, registry);   // once
 *     struct br_hookrow_message msg = {key, key_len, key_headers, value, value_len,
 *                                      value_headers};                    // value NULL/0:
 *     struct br_hookrow row;                                              //   tombstone
 *     switch (br_hookrows_decode(rows, conf, tenant, &msg, &row)) {
 *     case BR_HOOKROW_UPSERT:  add or replace the hook named row.name with row.hook; take it:
 *                              row.hook = NULL (free it later with br_tablehook_free)
 *     case BR_HOOKROW_DELETE:  remove the hook named row.name, if there is one
 *     case BR_HOOKROW_CLEAR:   remove every hook of tenant (its table was truncated)
 *     case BR_HOOKROW_SKIP:    nothing (Debezium's own messages); row.reason says which
 *     case BR_HOOKROW_RETRY:   the registry is unavailable: the same message again later
 *     case BR_HOOKROW_REFUSED: log row.reason and count it; when row.name is not "" the row's
 *                              id was read: a hook of that name should be removed too, since
 *                              the row no longer describes it
 *     }
 *     br_hookrow_finish(&row);                 // frees row.hook unless it was taken
 *     ...
 *     br_hookrows_destroy(rows);
 *
 * Which row a message stands for: op c, u and r (a snapshot read is the row as it is) give the
 * `after` row; op d, and a tombstone (empty value; its key's id, avro/rowkey.h), delete; op t
 * clears. A row's id comes from the row itself (the key only for a tombstone). The hook's name
 * is br_tablehook_name(tenant, id) ("tenant:<tenant>:webhook:<id>").
 *
 * Nothing here keeps a message's bytes; row owns what it holds.
 */
#include <stddef.h>
#include <stdint.h>

#include "avro/decode.h"
#include "avro/framing.h"
#include "avro/registry.h"
#include "config/conf.h"
#include "config/tablehook.h"

enum br_hookrow_kind {
    BR_HOOKROW_UPSERT,  /* row.hook: the hook named row.name, owned by row until taken */
    BR_HOOKROW_DELETE,  /* remove the hook named row.name (op d or tombstone) */
    BR_HOOKROW_CLEAR,   /* remove every table hook of the tenant (op t) */
    BR_HOOKROW_SKIP,    /* not a row change: Debezium's schema-change, transaction, heartbeat */
    BR_HOOKROW_RETRY,   /* the registry is unavailable (row.reason): try the message again */
    BR_HOOKROW_REFUSED  /* not a valid hook, or not decodable: row.reason */
};

/* The Kafka message: key and value bytes (a NULL or empty value is a tombstone), and the
 * Apicurio schema-id headers of each (framing.h; NULL when none: key_headers from
 * apicurio.key.contentId / apicurio.key.globalId, value_headers from apicurio.value.*). */
struct br_hookrow_message {
    const void *key;
    size_t key_len;
    const struct br_value_headers *key_headers;
    const void *value;
    size_t value_len;
    const struct br_value_headers *value_headers;
};

struct br_hookrow {
    enum br_hookrow_kind kind;
    char name[BR_TABLEHOOK_NAME_MAX]; /* UPSERT, DELETE; REFUSED when the id was read; else "" */
    char id[BR_TABLEHOOK_ID_MAX];     /* the row's id, same rule */
    struct br_conf_hook *hook;        /* UPSERT: the hook (br_tablehook_free); else NULL */
    int64_t ts_us;                    /* when the change happened (µs, UTC); 0 for a tombstone
                                         or when unknown */
    char reason[256];                 /* SKIP, RETRY, REFUSED: why ("" otherwise) */
};

struct br_hookrows;

/*
 * decoder: the bridge's decoder of record topics (its schema cache and registry are shared;
 * not owned, must outlive rows). registry: for the keys' schemas (may be NULL when the webhooks
 * topics use format avro; not owned).
 */
struct br_hookrows *br_hookrows_create(struct br_decoder *decoder, struct br_registry *registry);
void br_hookrows_destroy(struct br_hookrows *rows);

/*
 * Decodes msg, a message of a webhooks topic of tenant (the text br_tablehooks_tenant gave),
 * into *out (every field set; the caller finishes it with br_hookrow_finish). The hook is built
 * with conf's table_hooks framing and delivery settings. Returns out->kind.
 */
enum br_hookrow_kind br_hookrows_decode(struct br_hookrows *rows, const struct br_conf *conf,
                                        const char *tenant, const struct br_hookrow_message *msg,
                                        struct br_hookrow *out);

/* Frees out->hook when the caller did not take it. */
void br_hookrow_finish(struct br_hookrow *row);

/* "upsert", "delete", "clear", "skip", "retry", "refused" (metric labels, logs). */
const char *br_hookrow_kind_name(enum br_hookrow_kind kind);

#endif
