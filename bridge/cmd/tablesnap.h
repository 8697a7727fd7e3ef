#ifndef BR_TABLESNAP_H
#define BR_TABLESNAP_H
/*
 * The table hooks as PERSCOM's webhooks topics have them now, for the commands (render,
 * test-hook, replay): the topics read from the beginning to their end once, as the daemon does
 * at start (kafka/hookfeed.h, avro/hookrow.h), each row applied in order (created or updated:
 * the hook put; deleted or tombstone: removed; truncated: the tenant's removed; a refused row:
 * counted, and the hook it described before removed). Nothing is followed afterwards.
 */
#include <stddef.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "config/conf.h"

struct br_tablesnap;

/*
 * Reads conf's webhooks topics to their end, waiting up to timeout_ms in all (for the brokers,
 * and for the schema registry when it is unavailable). Without table_hooks the snapshot is
 * empty and nothing is read. decoder and registry are borrowed (the command's; registry may be
 * NULL). NULL with a message when the topics cannot be read in time.
 */
struct br_tablesnap *br_tablesnap_read(const struct br_conf *conf, struct br_decoder *decoder,
                                       struct br_registry *registry, int timeout_ms,
                                       char *errstr, size_t errstr_size);
void br_tablesnap_destroy(struct br_tablesnap *snap);

/* The hooks, in the order their rows were first read. */
size_t br_tablesnap_count(const struct br_tablesnap *snap);
const struct br_conf_hook *br_tablesnap_hook(const struct br_tablesnap *snap, size_t i);
const char *br_tablesnap_tenant(const struct br_tablesnap *snap, size_t i);
/* Rows refused as not a valid hook (their reasons were printed to stderr). */
size_t br_tablesnap_refused(const struct br_tablesnap *snap);

#endif
