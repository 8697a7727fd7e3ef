/*
 * The table hooks (see tablefeed.h): the webhooks topics' messages applied to the live hook
 * set, the start-up catch-up, the per-tenant metrics.
 */
#include "loop/tablefeed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/hookrow.h"
#include "config/tablehook.h"
#include "config/tablehooks.h"
#include "core/log.h"
#include "kafka/hookfeed.h"
#include "loop/headers.h"
#include "loop/hooks.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

#define FEED_TIMEOUT_MS 10000   /* the listing of the webhooks topics at start */
#define DISCOVER_TIMEOUT_MS 2000 /* a later listing, on the discovery thread (not the loop's) */
#define FEED_BUDGET 512         /* webhooks messages applied per turn */
#define RETRY_MS 200            /* a message waiting for the registry is tried again after */

int br_tablefeed_start(struct br_loop *loop, char *errstr, size_t errstr_size)
{
    if (!loop->conf->table_hooks.enabled) {
        loop->hooks_caught_up = true;
        return 0;
    }
    loop->hookrows = br_hookrows_create(loop->decoder, loop->registry);
    loop->hookfeed = br_hookfeed_create(loop->conf, FEED_TIMEOUT_MS, errstr, errstr_size);
    if (!loop->hookfeed) {
        return -1;
    }
    loop->hookfeed_started_ms = br_schedule_now_ms();
    br_log_info("tablefeed", "table hooks: reading %zu webhooks topic(s), %zu partition(s), from "
                "the beginning; the record topics wait until they are read",
                br_hookfeed_topics(loop->hookfeed), br_hookfeed_partitions(loop->hookfeed));
    return 0;
}

void br_tablefeed_stop(struct br_loop *loop)
{
    if (loop->hookfeed_held) {
        rd_kafka_message_destroy(loop->hookfeed_held);
        loop->hookfeed_held = NULL;
    }
    br_hookfeed_destroy(loop->hookfeed);
    loop->hookfeed = NULL;
    br_hookrows_destroy(loop->hookrows);
    loop->hookrows = NULL;
}

int br_tablefeed_wake_fd(const struct br_loop *loop)
{
    return loop->hookfeed ? br_hookfeed_wake_fd(loop->hookfeed) : -1;
}

/* The tenant's hooks and last change, into the metrics. */
static void tenant_changed(struct br_loop *loop, const char *tenant)
{
    size_t index = br_metrics_tenant(loop->metrics, tenant);

    br_metrics_tenant_hooks(loop->metrics, index, (int64_t)br_hooks_count_group(loop, tenant));
    br_metrics_tenant_changed(loop->metrics, index, (double)br_schedule_wall_ms() / 1000.0);
}

/* Removes every live hook of tenant (its table was truncated). */
static size_t clear_tenant(struct br_loop *loop, const char *tenant)
{
    size_t removed = 0;

    for (size_t slot = 0; slot < loop->hook_slots; slot++) {
        const char *group = br_hookset_group(loop->hookset, slot);

        if (group && strcmp(group, tenant) == 0 && br_hooks_conf(loop, slot) &&
            br_hooks_remove(loop, br_hookset_id(loop->hookset, slot))) {
            removed++;
        }
    }
    return removed;
}

/* The configuration whose delivery.* settings the table hooks take: the last one loaded. */
static const struct br_conf *defaults_of(const struct br_loop *loop)
{
    return loop->reload_conf ? loop->reload_conf : loop->conf;
}

size_t br_tablefeed_reload(struct br_loop *loop, const struct br_conf *fresh, size_t *failed)
{
    size_t changed = 0;

    *failed = 0;
    for (size_t slot = 0; slot < loop->hook_slots; slot++) {
        const char *group = br_hookset_group(loop->hookset, slot);
        const struct br_conf_hook *current = br_hooks_conf(loop, slot);
        char tenant[BR_TABLEHOOKS_TENANT_MAX];
        char id[BR_TABLEHOOK_NAME_MAX];
        char errstr[256];
        struct br_conf_hook *hook;

        if (!group || !current) {
            continue; /* a YAML hook (reload.c puts those), or removed */
        }
        /* copies: the hook set frees its own when it puts the new version */
        snprintf(tenant, sizeof(tenant), "%s", group);
        snprintf(id, sizeof(id), "%s", br_hookset_id(loop->hookset, slot));
        hook = br_tablehook_rebuild(fresh, tenant, current, errstr, sizeof(errstr));
        if (!hook) {
            br_log_warn("tablefeed", "table hook %s keeps its delivery settings until a restart: "
                        "it cannot be built again under the reloaded configuration (%s)", id,
                        errstr);
            (*failed)++;
            continue;
        }
        if (br_hooks_put(loop, id, hook, true, tenant) == BR_HOOKSET_CHANGED) {
            changed++;
        }
    }
    return changed;
}

/* Applies one webhooks message. false: the registry cannot help yet, try it again later. */
static bool apply(struct br_loop *loop, rd_kafka_message_t *message)
{
    const char *topic = rd_kafka_topic_name(message->rkt);
    char tenant[BR_TABLEHOOKS_TENANT_MAX];
    struct br_hookrow_ids ids;
    struct br_hookrow row;
    struct br_log_where where = {topic, message->partition, message->offset, NULL};
    enum br_hookrow_kind kind;
    size_t index;

    if (!br_tablehooks_tenant(&loop->conf->table_hooks, BR_TABLEHOOKS_WEBHOOKS, topic, tenant,
                              sizeof(tenant))) {
        return true; /* listed as a webhooks topic, so this cannot happen */
    }
    struct br_hookrow_message msg = br_header_hookrow_message(message, &ids);

    kind = br_hookrows_decode(loop->hookrows, loop->conf, tenant, &msg, &row);
    switch (kind) {
    case BR_HOOKROW_UPSERT: {
        struct br_conf_hook *hook = row.hook;
        row.hook = NULL; /* the hook set owns it now */
        /* decoded under the running table_hooks; delivery settings of the last file loaded */
        br_tablehook_defaults(defaults_of(loop), hook);
        br_hooks_put(loop, row.name, hook, true, tenant);
        tenant_changed(loop, tenant);
        break;
    }
    case BR_HOOKROW_DELETE:
        br_hooks_remove(loop, row.name);
        tenant_changed(loop, tenant);
        break;
    case BR_HOOKROW_CLEAR:
        br_log_at(BR_LOG_INFO, "tablefeed", &where, "tenant %s: webhooks table truncated: %zu "
                  "hook(s) removed", tenant, clear_tenant(loop, tenant));
        tenant_changed(loop, tenant);
        break;
    case BR_HOOKROW_SKIP:
        break;
    case BR_HOOKROW_RETRY:
        br_log_at(BR_LOG_DEBUG, "tablefeed", &where, "%s [%d] @%lld: %s; trying again", topic,
                  (int)message->partition, (long long)message->offset, row.reason);
        br_hookrow_finish(&row);
        return false;
    case BR_HOOKROW_REFUSED:
        index = br_metrics_tenant(loop->metrics, tenant);
        br_metrics_tenant_refused(loop->metrics, index);
        br_log_at(BR_LOG_WARN, "tablefeed", &where, "%s [%d] @%lld: tenant %s: webhooks row%s%s "
                  "refused: %s", topic, (int)message->partition, (long long)message->offset,
                  tenant, row.id[0] ? " " : "", row.id, row.reason);
        if (row.name[0] && br_hooks_remove(loop, row.name)) {
            tenant_changed(loop, tenant); /* the row no longer describes its old hook */
        }
        break;
    }
    br_hookrow_finish(&row);
    return true;
}

/* The start-up read is complete: the record topics may be read, and new webhooks topics (new
 * tenants) are looked for from now on, by the discovery thread (kafka/hookfeed.h). */
static void caught_up(struct br_loop *loop, int64_t now_ms)
{
    char errstr[512];
    size_t tenants = 0;

    loop->hooks_caught_up = true;
    for (size_t i = 0; i < loop->route_count; i++) {
        bool seen = false;
        if (!loop->route_groups[i]) {
            continue;
        }
        for (size_t j = 0; j < i && !seen; j++) {
            seen = loop->route_groups[j] && strcmp(loop->route_groups[j],
                                                   loop->route_groups[i]) == 0;
        }
        tenants += seen ? 0 : 1;
    }
    br_log_info("tablefeed", "table hooks: webhooks topics read in %lld ms: %zu table hook(s) of "
                "%zu tenant(s); joining the consumer group", (long long)(now_ms -
                                                                         loop->hookfeed_started_ms),
                loop->route_grouped, tenants);
    if (br_consumer_subscribe(loop->consumer, loop->conf, errstr, sizeof(errstr)) != 0) {
        br_log_error("tablefeed", "%s", errstr);
        loop->fatal = true;
        return;
    }
    if (br_hookfeed_discover(loop->hookfeed, (int)loop->conf->table_hooks.discover_interval_ms,
                             DISCOVER_TIMEOUT_MS, errstr, sizeof(errstr)) != 0) {
        br_log_error("tablefeed", "%s", errstr);
        loop->fatal = true;
    }
}

int64_t br_tablefeed_poll(struct br_loop *loop, int64_t now_ms)
{
    int64_t wait = INT64_MAX;
    size_t budget = FEED_BUDGET;

    if (!loop->hookfeed) {
        return wait;
    }
    {
        /* what the discovery thread found (the wake descriptor said so): no network wait;
         * first in the turn, as it clears the descriptor (hookfeed.h), even while a message is
         * held below (a wake-up left there would end every wait at once) */
        char errstr[256];
        int added = br_hookfeed_take_found(loop->hookfeed, errstr, sizeof(errstr));

        if (added < 0) {
            br_log_warn("tablefeed", "%s", errstr);
        } else if (added > 0) {
            br_log_info("tablefeed", "table hooks: %d new webhooks partition(s), read from the "
                        "beginning", added);
        }
    }
    if (loop->hookfeed_held) {
        if (loop->hookfeed_due_ms > now_ms) {
            return loop->hookfeed_due_ms - now_ms;
        }
        if (!apply(loop, loop->hookfeed_held)) {
            loop->hookfeed_due_ms = now_ms + RETRY_MS;
            return RETRY_MS;
        }
        rd_kafka_message_destroy(loop->hookfeed_held);
        loop->hookfeed_held = NULL;
    }
    while (budget-- > 0) {
        rd_kafka_message_t *message = br_hookfeed_poll(loop->hookfeed);

        if (!message) {
            break;
        }
        if (!apply(loop, message)) {
            loop->hookfeed_held = message; /* in order: nothing after it until it is applied */
            loop->hookfeed_due_ms = now_ms + RETRY_MS;
            return RETRY_MS;
        }
        rd_kafka_message_destroy(message);
    }
    if (budget == (size_t)-1) {
        wait = 0; /* more may be waiting */
    }
    if (!loop->hooks_caught_up && br_hookfeed_caught_up(loop->hookfeed)) {
        caught_up(loop, now_ms);
    }
    /* the end of a partition is an event of the queue, and a listing of the discovery thread
     * is ready: the wake descriptor says so for both */
    return wait;
}
