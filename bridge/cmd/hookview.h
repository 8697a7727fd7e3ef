#ifndef BR_HOOKVIEW_H
#define BR_HOOKVIEW_H
/*
 * Every hook a command knows: the configuration's YAML hooks and, with table_hooks, the table
 * hooks its webhooks topics hold now (cmd/tablesnap.h), routed as the run loop routes them: a
 * record topic's messages go to the YAML hooks and to its tenant's table hooks (the tenant
 * that table_hooks.record_tenant reads out of the topic's name), never to another tenant's.
 *
 * Each hook has an index, stable for the view's life: the YAML hooks first, in the file's
 * order, then the table hooks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "config/conf.h"
#include "loop/message.h"

/* How long a command waits for the webhooks topics (brokers, registry) in all. */
#define BR_HOOKVIEW_TIMEOUT_MS 30000

struct br_hookview;

/*
 * The YAML hooks, and the table hooks when with_table is true and conf has table_hooks (their
 * topics are read then: the brokers must answer). conf, decoder and registry are borrowed.
 * NULL with a message when the webhooks topics cannot be read.
 */
struct br_hookview *br_hookview_create(const struct br_conf *conf, bool with_table,
                                       struct br_decoder *decoder, struct br_registry *registry,
                                       char *errstr, size_t errstr_size);
void br_hookview_destroy(struct br_hookview *view);

/* Whether name is a table hook's (it starts with "tenant:") and conf has table_hooks. */
bool br_hookview_is_table_name(const struct br_conf *conf, const char *name);

/* The hook named name (*index set when index is not NULL), or NULL. */
const struct br_conf_hook *br_hookview_find(const struct br_hookview *view, const char *name,
                                            size_t *index);
/* How many hooks there are (the indexes run from 0 to this, excluded). */
size_t br_hookview_count(const struct br_hookview *view);

/*
 * The hooks topic's messages go to, into out (valid until the next call or the view's end);
 * *indexes (when not NULL) gets each one's index: out->hooks[i] is hook (*indexes)[i].
 */
void br_hookview_for_topic(struct br_hookview *view, const char *topic,
                           struct br_hook_list *out, const size_t **indexes);

/* Writes "configured hooks: a, b" (and "; table hooks: ..." when read) and a newline. */
void br_hookview_print(const struct br_hookview *view, FILE *out);

#endif
