/* The settings a reload cannot apply while running (see confdiff.h). */
#include "config/confdiff.h"

#include <stdbool.h>
#include <string.h>

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

static bool same_kv(const struct br_kv *a, size_t a_count, const struct br_kv *b, size_t b_count)
{
    if (a_count != b_count) {
        return false;
    }
    for (size_t i = 0; i < a_count; i++) {
        if (!same_text(a[i].key, b[i].key) || !same_text(a[i].value, b[i].value)) {
            return false;
        }
    }
    return true;
}

static bool same_topics(const struct br_conf *a, const struct br_conf *b)
{
    if (a->topic_count != b->topic_count) {
        return false;
    }
    for (size_t i = 0; i < a->topic_count; i++) {
        const struct br_conf_topic *x = &a->topics[i];
        const struct br_conf_topic *y = &b->topics[i];

        if (!same_text(x->name, y->name) || !same_text(x->pattern, y->pattern) ||
            !same_text(x->resource, y->resource) || x->format != y->format ||
            !same_text(x->schema_json, y->schema_json) || x->snapshot != y->snapshot) {
            return false;
        }
    }
    return true;
}

/* Both have a table_hooks section: its keys are compared one by one. */
static bool both_tables(const struct br_conf *a, const struct br_conf *b)
{
    return a->table_hooks.enabled && b->table_hooks.enabled;
}

struct check {
    const char *key;
    bool differs;
};

size_t br_confdiff_restart(const struct br_conf *running, const struct br_conf *loaded,
                           const char **keys, size_t cap)
{
    const struct br_conf *r = running;
    const struct br_conf *l = loaded;
    const struct check checks[] = {
        {"kafka.brokers", !same_text(r->brokers, l->brokers)},
        {"kafka.group_id", !same_text(r->group_id, l->group_id)},
        {"kafka.properties",
         !same_kv(r->kafka_props, r->kafka_prop_count, l->kafka_props, l->kafka_prop_count)},
        {"schema_registry",
         !same_text(r->registry_url, l->registry_url) ||
             !same_text(r->registry_username, l->registry_username) ||
             !same_text(r->registry_password, l->registry_password) ||
             !same_text(r->registry_ca_file, l->registry_ca_file) ||
             r->registry_tls_min != l->registry_tls_min},
        {"topics", !same_topics(r, l)},
        {"delivery.max_in_flight", r->max_in_flight != l->max_in_flight},
        {"delivery.commit_interval_ms", r->commit_interval_ms != l->commit_interval_ms},
        {"delivery.shutdown_grace_ms", r->shutdown_grace_ms != l->shutdown_grace_ms},
        {"delivery.partition_window", r->partition_window != l->partition_window},
        {"delivery.partition_window_bytes",
         r->partition_window_bytes != l->partition_window_bytes},
        {"delivery.max_buffered_bytes", r->max_buffered_bytes != l->max_buffered_bytes},
        {"delivery.probe_after_failures", r->probe_after_failures != l->probe_after_failures},
        {"delivery.max_uncommitted", r->max_uncommitted != l->max_uncommitted},
        {"delivery.progress_metadata_bytes",
         r->progress_metadata_bytes != l->progress_metadata_bytes},
        {"limits.max_body_bytes", r->max_body_bytes != l->max_body_bytes},
        {"limits.max_elements", r->max_elements != l->max_elements},
        {"dead_letter",
         !same_text(r->dead_letter_topic, l->dead_letter_topic) ||
             r->dead_letter_policy != l->dead_letter_policy ||
             r->producer_failure_exit_ms != l->producer_failure_exit_ms},
        {"delivery_report.topic", !same_text(r->delivery_report_topic, l->delivery_report_topic)},
        {"admin",
         !same_text(r->admin_listen, l->admin_listen) ||
             r->admin_max_connections != l->admin_max_connections ||
             r->admin_header_timeout_ms != l->admin_header_timeout_ms ||
             r->admin_idle_timeout_ms != l->admin_idle_timeout_ms},
        {"log_format", r->log_format != l->log_format},
        {"reload.watch_interval_ms", r->reload_watch_ms != l->reload_watch_ms},
        /* table_hooks: added or removed as a whole, else each key (the table hooks' delivery
         * settings are delivery.*'s, applied at once: loop/tablefeed.h) */
        {"table_hooks", r->table_hooks.enabled != l->table_hooks.enabled},
        {"table_hooks.topics", both_tables(r, l) &&
                                   !same_text(r->table_hooks.topics, l->table_hooks.topics)},
        {"table_hooks.tenant_group",
         both_tables(r, l) && r->table_hooks.tenant_group != l->table_hooks.tenant_group},
        {"table_hooks.record_tenant",
         both_tables(r, l) &&
             !same_text(r->table_hooks.record_tenant, l->table_hooks.record_tenant)},
        {"table_hooks.record_tenant_group",
         both_tables(r, l) &&
             r->table_hooks.record_tenant_group != l->table_hooks.record_tenant_group},
        {"table_hooks.format",
         both_tables(r, l) && r->table_hooks.topic.format != l->table_hooks.topic.format},
        {"table_hooks.schema",
         both_tables(r, l) &&
             !same_text(r->table_hooks.topic.schema_json, l->table_hooks.topic.schema_json)},
        {"table_hooks.discover_interval_ms",
         both_tables(r, l) &&
             r->table_hooks.discover_interval_ms != l->table_hooks.discover_interval_ms},
    };
    size_t count = 0;

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (!checks[i].differs) {
            continue;
        }
        if (count < cap) {
            keys[count] = checks[i].key;
        }
        count++;
    }
    return count;
}
