#ifndef BR_METRICS_H
#define BR_METRICS_H
/*
 * A fixed registry of the bridge's counters, gauges and one histogram, rendered as the
 * Prometheus text exposition format 0.0.4. Every series exists from creation (value 0): the
 * label sets are the hooks given to br_metrics_create, for deliveries the three outcomes and
 * for skipped messages the skip reasons.
 * Not thread-safe: the loop's thread updates and renders.
 *
 * Functions taking a hook index ignore an index >= hook_count (a caller's bug, not worth
 * stopping the daemon for).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "perscom/change.h"

/* Counters without labels: perscom_bridge_<name>_total. */
enum br_metric_counter {
    BR_METRIC_MESSAGES,    /* messages_total: taken from Kafka */
    BR_METRIC_UNDECODABLE, /* undecodable_total: could not be decoded or rendered */
    BR_METRIC_DEADLETTER_RESTARTS, /* deadletter_producer_restarts_total: after fatal errors */
    BR_METRIC_COUNTER_COUNT
};

/* Gauges without labels: perscom_bridge_<name>. */
enum br_metric_gauge {
    BR_METRIC_IN_FLIGHT,           /* in_flight: requests being sent */
    BR_METRIC_BUFFERED_BYTES,      /* buffered_bytes: message bytes held by the bridge */
    BR_METRIC_BUFFERED_MESSAGES,   /* buffered_messages: messages read and not yet done */
    BR_METRIC_PARTITIONS_ASSIGNED, /* partitions_assigned */
    BR_METRIC_DEADLETTER_UP,       /* deadletter_producer_up: 0 while the producer is failing */
    BR_METRIC_HOOKS,               /* hooks: hooks delivered to now (the live hook set) */
    BR_METRIC_RELOAD_SUCCESS,      /* config_reload_success: 0 after a refused reload */
    BR_METRIC_RESTART_REQUIRED,    /* config_restart_required: the file differs from the running
                                      configuration in settings that need a restart */
    BR_METRIC_GAUGE_COUNT
};

/* The reason label of partitions_held{reason}: why a partition waits at a message. */
enum br_metric_held {
    BR_METRIC_HELD_UNDELIVERABLE, /* "undeliverable": policy block, no dead-letter topic */
    BR_METRIC_HELD_REGISTRY,      /* "registry": its schema cannot be fetched yet */
    BR_METRIC_HELD_COUNT
};

/* The outcome label of deliveries_total{hook,outcome}. */
enum br_metric_outcome {
    BR_METRIC_DELIVERED,     /* "delivered" */
    BR_METRIC_DEAD_LETTERED, /* "dead_lettered" */
    BR_METRIC_DROPPED,       /* "dropped" */
    BR_METRIC_HOOK_DELETED,  /* "hook_deleted": the hook was removed before it was sent */
    BR_METRIC_OUTCOME_COUNT
};

/* The result label of config_reloads_total{result}. */
enum br_metric_reload {
    BR_METRIC_RELOAD_APPLIED, /* "applied": the new configuration's hooks are in use */
    BR_METRIC_RELOAD_REFUSED, /* "refused": it failed validation; the old one keeps running */
    BR_METRIC_RELOAD_COUNT
};

/* Upper bounds (seconds) of delivery_latency_seconds, before the implicit +Inf. */
#define BR_METRICS_LATENCY_BUCKETS 11

struct br_metrics;

/*
 * hook_names: hook_count names (copied; any bytes, escaped when rendered). Returns NULL only
 * when hook_names is NULL with hook_count > 0 or a name is NULL; aborts when out of memory.
 */
struct br_metrics *br_metrics_create(const char *const *hook_names, size_t hook_count);
void br_metrics_destroy(struct br_metrics *metrics);
/* A new hook's series (name copied); returns its index, hook_count before the call. */
size_t br_metrics_hook_add(struct br_metrics *metrics, const char *name);
/*
 * The series of one tenant of the table hooks (name copied), made at its first use; returns its
 * index.
 */
size_t br_metrics_tenant(struct br_metrics *metrics, const char *tenant);
/* table_hooks{tenant} = hooks; table_hooks_last_change_timestamp_seconds{tenant} = when_s */
void br_metrics_tenant_hooks(struct br_metrics *metrics, size_t tenant, int64_t hooks);
void br_metrics_tenant_changed(struct br_metrics *metrics, size_t tenant, double when_s);
/* table_hook_rows_refused_total{tenant} += 1 */
void br_metrics_tenant_refused(struct br_metrics *metrics, size_t tenant);
/* config_reloads_total{result} += 1 */
void br_metrics_reload(struct br_metrics *metrics, enum br_metric_reload result);

void br_metrics_add(struct br_metrics *metrics, enum br_metric_counter counter, uint64_t n);
/* Sets a counter whose source keeps the total itself; a total below the current value is
 * ignored (a counter never goes down). */
void br_metrics_set_total(struct br_metrics *metrics, enum br_metric_counter counter,
                          uint64_t total);
void br_metrics_set(struct br_metrics *metrics, enum br_metric_gauge gauge, int64_t value);

/* partitions_held{reason} = count */
void br_metrics_set_held(struct br_metrics *metrics, enum br_metric_held reason, int64_t count);
/* skipped_total{reason} += 1: a message that is not an event (change.h, enum br_skip_reason) */
void br_metrics_skipped(struct br_metrics *metrics, enum br_skip_reason reason);
/* deliveries_total{hook,outcome} += 1 */
void br_metrics_delivery(struct br_metrics *metrics, size_t hook, enum br_metric_outcome outcome);
/* attempts_failed_total{hook} += 1 */
void br_metrics_attempt_failed(struct br_metrics *metrics, size_t hook);
/* egress_refused_total{hook} += 1: an attempt the outbound request guard refused */
void br_metrics_egress_refused(struct br_metrics *metrics, size_t hook);
/* hook_probing{hook} = probing ? 1 : 0 */
void br_metrics_set_probing(struct br_metrics *metrics, size_t hook, bool probing);
/* delivery_latency_seconds{hook}: one request's duration (per attempt, whatever its outcome);
 * negative or NaN counts as 0. */
void br_metrics_observe_latency(struct br_metrics *metrics, size_t hook, double seconds);

/*
 * Appends the whole exposition to out (it is not reset first). Returns 0, or -1 when out's limit
 * was reached (out->overflow is set; what was appended is incomplete).
 */
int br_metrics_render(const struct br_metrics *metrics, struct br_buf *out);

/* Appends value escaped as a label value (backslash, double quote and newline). */
int br_metrics_escape_label(struct br_buf *out, const char *value);

#endif
