/* The table hooks read once for a command (see tablesnap.h). */
#include "cmd/tablesnap.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avro/hookrow.h"
#include "config/tablehook.h"
#include "config/tablehooks.h"
#include "core/clock.h"
#include "kafka/hookfeed.h"
#include "loop/headers.h"

#define RETRY_MS 200 /* a row waiting for the schema registry is tried again after */

struct snap_hook {
    char *tenant;              /* owned */
    struct br_conf_hook *hook; /* owned (br_tablehook_free); its name is the hook's */
};

struct br_tablesnap {
    struct snap_hook *hooks; /* owned */
    size_t count;
    size_t cap;
    size_t refused;
};

static size_t find(const struct br_tablesnap *snap, const char *name)
{
    for (size_t i = 0; i < snap->count; i++) {
        if (strcmp(snap->hooks[i].hook->name, name) == 0) {
            return i;
        }
    }
    return snap->count;
}

static void remove_at(struct br_tablesnap *snap, size_t i)
{
    free(snap->hooks[i].tenant);
    br_tablehook_free(snap->hooks[i].hook);
    memmove(&snap->hooks[i], &snap->hooks[i + 1], (snap->count - i - 1) * sizeof(*snap->hooks));
    snap->count--;
}

static void remove_name(struct br_tablesnap *snap, const char *name)
{
    size_t i = find(snap, name);

    if (i < snap->count) {
        remove_at(snap, i);
    }
}

/* Puts hook (taken) under its name: replaced in place, or added at the end. */
static void put(struct br_tablesnap *snap, const char *tenant, struct br_conf_hook *hook)
{
    size_t i = find(snap, hook->name);

    if (i < snap->count) {
        br_tablehook_free(snap->hooks[i].hook);
        snap->hooks[i].hook = hook;
        return;
    }
    if (snap->count == snap->cap) {
        size_t cap = snap->cap ? snap->cap * 2 : 8;
        struct snap_hook *grown = realloc(snap->hooks, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        snap->hooks = grown;
        snap->cap = cap;
    }
    snap->hooks[snap->count].tenant = strdup(tenant);
    if (!snap->hooks[snap->count].tenant) {
        abort();
    }
    snap->hooks[snap->count++].hook = hook;
}

/* Applies one webhooks message; false when the registry cannot help yet (row.reason). */
static bool apply(struct br_tablesnap *snap, struct br_hookrows *rows,
                  const struct br_conf *conf, const rd_kafka_message_t *message, char *reason,
                  size_t reason_size)
{
    const char *topic = rd_kafka_topic_name(message->rkt);
    char tenant[BR_TABLEHOOKS_TENANT_MAX];
    struct br_hookrow_ids ids;
    struct br_hookrow row;

    if (!br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_WEBHOOKS, topic, tenant,
                              sizeof(tenant))) {
        return true; /* listed as a webhooks topic, so this cannot happen */
    }
    struct br_hookrow_message msg = br_header_hookrow_message(message, &ids);
    switch (br_hookrows_decode(rows, conf, tenant, &msg, &row)) {
    case BR_HOOKROW_UPSERT:
        put(snap, tenant, row.hook);
        row.hook = NULL; /* the snapshot owns it now */
        break;
    case BR_HOOKROW_DELETE:
        remove_name(snap, row.name);
        break;
    case BR_HOOKROW_CLEAR:
        for (size_t i = snap->count; i-- > 0;) {
            if (strcmp(snap->hooks[i].tenant, tenant) == 0) {
                remove_at(snap, i);
            }
        }
        break;
    case BR_HOOKROW_SKIP:
        break;
    case BR_HOOKROW_RETRY:
        snprintf(reason, reason_size, "%s [%d] @%lld: %s", topic, (int)message->partition,
                 (long long)message->offset, row.reason);
        br_hookrow_finish(&row);
        return false;
    case BR_HOOKROW_REFUSED:
        snap->refused++;
        fprintf(stderr, "perscom-bridge: %s [%d] @%lld: tenant %s: webhooks row%s%s refused: "
                "%s\n", topic, (int)message->partition, (long long)message->offset, tenant,
                row.id[0] ? " " : "", row.id, row.reason);
        if (row.name[0]) {
            remove_name(snap, row.name); /* the row no longer describes its old hook */
        }
        break;
    }
    br_hookrow_finish(&row);
    return true;
}

struct br_tablesnap *br_tablesnap_read(const struct br_conf *conf, struct br_decoder *decoder,
                                       struct br_registry *registry, int timeout_ms,
                                       char *errstr, size_t errstr_size)
{
    struct br_tablesnap *snap = calloc(1, sizeof(*snap));
    struct br_hookfeed *feed = NULL;
    struct br_hookrows *rows = NULL;
    rd_kafka_message_t *held = NULL; /* a row waiting for the registry */
    int64_t deadline = br_clock_monotonic_ms() + timeout_ms;
    char reason[512] = "";

    if (!snap) {
        abort();
    }
    if (!conf->table_hooks.enabled) {
        return snap;
    }
    feed = br_hookfeed_create(conf, timeout_ms, errstr, errstr_size);
    if (!feed) {
        goto fail;
    }
    rows = br_hookrows_create(decoder, registry);
    for (;;) {
        rd_kafka_message_t *message = held ? held : br_hookfeed_poll(feed);
        int64_t now = br_clock_monotonic_ms();

        held = NULL;
        if (message) {
            if (apply(snap, rows, conf, message, reason, sizeof(reason))) {
                rd_kafka_message_destroy(message);
                continue;
            }
            held = message; /* in order: nothing after it until it is applied */
            if (now >= deadline) {
                snprintf(errstr, errstr_size, "reading the webhooks topics: %s", reason);
                goto fail;
            }
            usleep(RETRY_MS * 1000);
            continue;
        }
        if (br_hookfeed_caught_up(feed)) {
            break;
        }
        if (now >= deadline) {
            snprintf(errstr, errstr_size, "the webhooks topics (%zu partition(s)) were not read "
                     "to their end within %d ms", br_hookfeed_partitions(feed), timeout_ms);
            goto fail;
        }
        struct pollfd pfd = {.fd = br_hookfeed_wake_fd(feed), .events = POLLIN};
        poll(&pfd, 1, 100);
    }
    br_hookrows_destroy(rows);
    br_hookfeed_destroy(feed);
    return snap;

fail:
    if (held) {
        rd_kafka_message_destroy(held);
    }
    br_hookrows_destroy(rows);
    br_hookfeed_destroy(feed);
    br_tablesnap_destroy(snap);
    return NULL;
}

void br_tablesnap_destroy(struct br_tablesnap *snap)
{
    if (!snap) {
        return;
    }
    while (snap->count > 0) {
        remove_at(snap, snap->count - 1);
    }
    free(snap->hooks);
    free(snap);
}

size_t br_tablesnap_count(const struct br_tablesnap *snap)
{
    return snap->count;
}

const struct br_conf_hook *br_tablesnap_hook(const struct br_tablesnap *snap, size_t i)
{
    return snap->hooks[i].hook;
}

const char *br_tablesnap_tenant(const struct br_tablesnap *snap, size_t i)
{
    return snap->hooks[i].tenant;
}

size_t br_tablesnap_refused(const struct br_tablesnap *snap)
{
    return snap->refused;
}
