/* The hooks a command knows (see hookview.h). */
#include "cmd/hookview.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/tablesnap.h"
#include "config/tablehooks.h"

struct br_hookview {
    const struct br_conf *conf;    /* borrowed */
    struct br_tablesnap *snap;     /* owned, or NULL without the table hooks */
    const struct br_conf_hook **all; /* owned array: YAML hooks, then table hooks */
    const char **tenants;          /* owned array: NULL for a YAML hook (strings borrowed) */
    size_t count;
    const struct br_conf_hook **routed; /* owned scratch: one topic's hooks */
    size_t *routed_index;
};

struct br_hookview *br_hookview_create(const struct br_conf *conf, bool with_table,
                                       struct br_decoder *decoder, struct br_registry *registry,
                                       char *errstr, size_t errstr_size)
{
    struct br_hookview *view = calloc(1, sizeof(*view));
    size_t table = 0;
    size_t cap;

    if (!view) {
        abort();
    }
    view->conf = conf;
    if (with_table && conf->table_hooks.enabled) {
        view->snap = br_tablesnap_read(conf, decoder, registry, BR_HOOKVIEW_TIMEOUT_MS, errstr,
                                       errstr_size);
        if (!view->snap) {
            free(view);
            return NULL;
        }
        table = br_tablesnap_count(view->snap);
    }
    cap = conf->hook_count + table + 1;
    view->all = calloc(cap, sizeof(*view->all));
    view->tenants = calloc(cap, sizeof(*view->tenants));
    view->routed = calloc(cap, sizeof(*view->routed));
    view->routed_index = calloc(cap, sizeof(*view->routed_index));
    if (!view->all || !view->tenants || !view->routed || !view->routed_index) {
        abort();
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        view->all[view->count++] = &conf->hooks[i];
    }
    for (size_t i = 0; i < table; i++) {
        view->tenants[view->count] = br_tablesnap_tenant(view->snap, i);
        view->all[view->count++] = br_tablesnap_hook(view->snap, i);
    }
    return view;
}

void br_hookview_destroy(struct br_hookview *view)
{
    if (!view) {
        return;
    }
    br_tablesnap_destroy(view->snap);
    free(view->all);
    free(view->tenants);
    free(view->routed);
    free(view->routed_index);
    free(view);
}

bool br_hookview_is_table_name(const struct br_conf *conf, const char *name)
{
    return conf->table_hooks.enabled && name &&
           strncmp(name, BR_TABLEHOOKS_NAME_PREFIX, strlen(BR_TABLEHOOKS_NAME_PREFIX)) == 0;
}

const struct br_conf_hook *br_hookview_find(const struct br_hookview *view, const char *name,
                                            size_t *index)
{
    for (size_t i = 0; name && i < view->count; i++) {
        if (strcmp(view->all[i]->name, name) == 0) {
            if (index) {
                *index = i;
            }
            return view->all[i];
        }
    }
    return NULL;
}

size_t br_hookview_count(const struct br_hookview *view)
{
    return view->count;
}

void br_hookview_for_topic(struct br_hookview *view, const char *topic,
                           struct br_hook_list *out, const size_t **indexes)
{
    char tenant[BR_TABLEHOOKS_TENANT_MAX];
    bool has_tenant = view->snap && br_tablehooks_tenant(&view->conf->table_hooks,
                                                         BR_TABLEHOOKS_RECORDS, topic, tenant,
                                                         sizeof(tenant));
    size_t n = 0;

    for (size_t i = 0; i < view->count; i++) {
        if (view->tenants[i] && (!has_tenant || strcmp(view->tenants[i], tenant) != 0)) {
            continue; /* another tenant's table hook */
        }
        view->routed[n] = view->all[i];
        view->routed_index[n++] = i;
    }
    out->hooks = view->routed;
    out->count = n;
    if (indexes) {
        *indexes = view->routed_index;
    }
}

void br_hookview_print(const struct br_hookview *view, FILE *out)
{
    bool table = false;

    fputs("configured hooks:", out);
    if (view->conf->hook_count == 0) {
        fputs(" none", out);
    }
    for (size_t i = 0; i < view->count; i++) {
        if (view->tenants[i] && !table) {
            fputs("; table hooks:", out);
            table = true;
        } else if (i > 0) {
            fputc(',', out);
        }
        fprintf(out, " %s", view->all[i]->name);
    }
    if (view->snap && !table) {
        fputs("; table hooks: none", out);
    }
    fputc('\n', out);
}
