#include "ops/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "perscom_bridge_"

struct hook_series {
    char *name;
    uint64_t deliveries[BR_METRIC_OUTCOME_COUNT];
    uint64_t attempts_failed;
    uint64_t egress_refused;
    int64_t probing;
    uint64_t buckets[BR_METRICS_LATENCY_BUCKETS]; /* per bucket, not cumulative */
    uint64_t latency_count;
    double latency_sum;
};

struct tenant_series {
    char *name;
    int64_t hooks;
    double last_change_s; /* 0: none applied yet */
    uint64_t refused;
};

struct br_metrics {
    uint64_t counters[BR_METRIC_COUNTER_COUNT];
    uint64_t skipped[BR_SKIP_REASON_COUNT];
    int64_t held[BR_METRIC_HELD_COUNT];
    int64_t gauges[BR_METRIC_GAUGE_COUNT];
    uint64_t reloads[BR_METRIC_RELOAD_COUNT];
    struct tenant_series *tenants;
    size_t tenant_count;
    struct hook_series *hooks;
    size_t hook_count;
};

struct family {
    const char *name; /* without the prefix */
    const char *help;
};

static const struct family counter_families[BR_METRIC_COUNTER_COUNT] = {
    [BR_METRIC_MESSAGES] = {"messages_total", "Messages taken from Kafka."},
    [BR_METRIC_UNDECODABLE] = {"undecodable_total",
                               "Messages that could not be decoded or rendered."},
    [BR_METRIC_DEADLETTER_RESTARTS] = {"deadletter_producer_restarts_total",
                                       "Restarts of the dead-letter producer after fatal errors."},
};

static const struct family gauge_families[BR_METRIC_GAUGE_COUNT] = {
    [BR_METRIC_IN_FLIGHT] = {"in_flight", "Webhook requests being sent."},
    [BR_METRIC_BUFFERED_BYTES] = {"buffered_bytes", "Bytes of messages read and not yet done."},
    [BR_METRIC_BUFFERED_MESSAGES] = {"buffered_messages", "Messages read and not yet done."},
    [BR_METRIC_PARTITIONS_ASSIGNED] = {"partitions_assigned", "Partitions assigned to the bridge."},
    [BR_METRIC_DEADLETTER_UP] = {"deadletter_producer_up",
                                 "0 while the dead-letter producer is failing, else 1 (also "
                                 "without one)."},
    [BR_METRIC_HOOKS] = {"hooks", "Hooks delivered to now (YAML and table hooks)."},
    [BR_METRIC_RELOAD_SUCCESS] = {"config_reload_success",
                                  "1 when the last configuration reload was applied (or none was "
                                  "tried), 0 when it was refused."},
    [BR_METRIC_RESTART_REQUIRED] = {"config_restart_required",
                                    "1 when the configuration file differs from the running one "
                                    "in settings that only a restart applies (logged)."},
};

static const char *const reload_names[BR_METRIC_RELOAD_COUNT] = {
    [BR_METRIC_RELOAD_APPLIED] = "applied",
    [BR_METRIC_RELOAD_REFUSED] = "refused",
};

static const char *const outcome_names[BR_METRIC_OUTCOME_COUNT] = {
    [BR_METRIC_DELIVERED] = "delivered",
    [BR_METRIC_DEAD_LETTERED] = "dead_lettered",
    [BR_METRIC_DROPPED] = "dropped",
    [BR_METRIC_HOOK_DELETED] = "hook_deleted",
};

static const double bucket_bounds[BR_METRICS_LATENCY_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
static const char *const bucket_labels[BR_METRICS_LATENCY_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
};

static char *copy_string(const char *str)
{
    size_t len = strlen(str);
    char *copy = malloc(len + 1);

    if (!copy) {
        abort();
    }
    memcpy(copy, str, len + 1);
    return copy;
}

struct br_metrics *br_metrics_create(const char *const *hook_names, size_t hook_count)
{
    struct br_metrics *metrics;

    if (hook_count > 0 && !hook_names) {
        return NULL;
    }
    for (size_t i = 0; i < hook_count; i++) {
        if (!hook_names[i]) {
            return NULL;
        }
    }
    metrics = calloc(1, sizeof(*metrics));
    if (!metrics) {
        abort();
    }
    if (hook_count > 0) {
        metrics->hooks = calloc(hook_count, sizeof(*metrics->hooks));
        if (!metrics->hooks) {
            abort();
        }
    }
    metrics->hook_count = hook_count;
    for (size_t i = 0; i < hook_count; i++) {
        metrics->hooks[i].name = copy_string(hook_names[i]);
    }
    return metrics;
}

void br_metrics_destroy(struct br_metrics *metrics)
{
    if (!metrics) {
        return;
    }
    for (size_t i = 0; i < metrics->hook_count; i++) {
        free(metrics->hooks[i].name);
    }
    free(metrics->hooks);
    for (size_t i = 0; i < metrics->tenant_count; i++) {
        free(metrics->tenants[i].name);
    }
    free(metrics->tenants);
    free(metrics);
}

size_t br_metrics_hook_add(struct br_metrics *metrics, const char *name)
{
    struct hook_series *hooks = realloc(metrics->hooks,
                                        (metrics->hook_count + 1) * sizeof(*hooks));

    if (!hooks) {
        abort();
    }
    metrics->hooks = hooks;
    memset(&hooks[metrics->hook_count], 0, sizeof(*hooks));
    hooks[metrics->hook_count].name = copy_string(name);
    return metrics->hook_count++;
}

size_t br_metrics_tenant(struct br_metrics *metrics, const char *tenant)
{
    struct tenant_series *tenants;

    for (size_t i = 0; i < metrics->tenant_count; i++) {
        if (strcmp(metrics->tenants[i].name, tenant) == 0) {
            return i;
        }
    }
    tenants = realloc(metrics->tenants, (metrics->tenant_count + 1) * sizeof(*tenants));
    if (!tenants) {
        abort();
    }
    metrics->tenants = tenants;
    memset(&tenants[metrics->tenant_count], 0, sizeof(*tenants));
    tenants[metrics->tenant_count].name = copy_string(tenant);
    return metrics->tenant_count++;
}

void br_metrics_tenant_hooks(struct br_metrics *metrics, size_t tenant, int64_t hooks)
{
    if (tenant < metrics->tenant_count) {
        metrics->tenants[tenant].hooks = hooks;
    }
}

void br_metrics_tenant_changed(struct br_metrics *metrics, size_t tenant, double when_s)
{
    if (tenant < metrics->tenant_count) {
        metrics->tenants[tenant].last_change_s = when_s;
    }
}

void br_metrics_tenant_refused(struct br_metrics *metrics, size_t tenant)
{
    if (tenant < metrics->tenant_count) {
        metrics->tenants[tenant].refused++;
    }
}

static void append_double(struct br_buf *out, double value);
static void append_header(struct br_buf *out, const char *name, const char *help,
                          const char *type);

static void append_tenant_sample(struct br_buf *out, const char *name,
                                 const struct tenant_series *series)
{
    br_buf_printf(out, PREFIX "%s{tenant=\"", name);
    br_metrics_escape_label(out, series->name);
    br_buf_append_str(out, "\"} ");
}

/* The table hooks' families, only when there is a tenant (no table_hooks: nothing). */
static void render_tenants(const struct br_metrics *metrics, struct br_buf *out)
{
    if (metrics->tenant_count == 0) {
        return;
    }
    append_header(out, "table_hooks", "Hooks of a tenant's webhooks table delivered to now.",
                  "gauge");
    for (size_t i = 0; i < metrics->tenant_count; i++) {
        append_tenant_sample(out, "table_hooks", &metrics->tenants[i]);
        br_buf_printf(out, "%" PRId64 "\n", metrics->tenants[i].hooks);
    }
    append_header(out, "table_hook_last_change_timestamp_seconds",
                  "When the last change of a tenant's webhooks table was applied (unix time; 0: "
                  "none yet).", "gauge");
    for (size_t i = 0; i < metrics->tenant_count; i++) {
        append_tenant_sample(out, "table_hook_last_change_timestamp_seconds",
                             &metrics->tenants[i]);
        append_double(out, metrics->tenants[i].last_change_s);
        br_buf_append_char(out, '\n');
    }
    append_header(out, "table_hook_rows_refused_total",
                  "Rows of a tenant's webhooks table that are not a valid hook (logged with the "
                  "reason).", "counter");
    for (size_t i = 0; i < metrics->tenant_count; i++) {
        append_tenant_sample(out, "table_hook_rows_refused_total", &metrics->tenants[i]);
        br_buf_printf(out, "%" PRIu64 "\n", metrics->tenants[i].refused);
    }
}

void br_metrics_reload(struct br_metrics *metrics, enum br_metric_reload result)
{
    if ((unsigned)result < BR_METRIC_RELOAD_COUNT) {
        metrics->reloads[result]++;
    }
}

void br_metrics_add(struct br_metrics *metrics, enum br_metric_counter counter, uint64_t n)
{
    if ((unsigned)counter < BR_METRIC_COUNTER_COUNT) {
        metrics->counters[counter] += n;
    }
}

void br_metrics_set_total(struct br_metrics *metrics, enum br_metric_counter counter,
                          uint64_t total)
{
    if ((unsigned)counter < BR_METRIC_COUNTER_COUNT && total > metrics->counters[counter]) {
        metrics->counters[counter] = total;
    }
}

void br_metrics_set(struct br_metrics *metrics, enum br_metric_gauge gauge, int64_t value)
{
    if ((unsigned)gauge < BR_METRIC_GAUGE_COUNT) {
        metrics->gauges[gauge] = value;
    }
}

static const char *const held_names[BR_METRIC_HELD_COUNT] = {"undeliverable", "registry"};

void br_metrics_set_held(struct br_metrics *metrics, enum br_metric_held reason, int64_t count)
{
    if ((unsigned)reason < BR_METRIC_HELD_COUNT) {
        metrics->held[reason] = count;
    }
}

void br_metrics_skipped(struct br_metrics *metrics, enum br_skip_reason reason)
{
    if ((unsigned)reason < BR_SKIP_REASON_COUNT) {
        metrics->skipped[reason]++;
    }
}

void br_metrics_delivery(struct br_metrics *metrics, size_t hook, enum br_metric_outcome outcome)
{
    if (hook < metrics->hook_count && (unsigned)outcome < BR_METRIC_OUTCOME_COUNT) {
        metrics->hooks[hook].deliveries[outcome]++;
    }
}

void br_metrics_attempt_failed(struct br_metrics *metrics, size_t hook)
{
    if (hook < metrics->hook_count) {
        metrics->hooks[hook].attempts_failed++;
    }
}

void br_metrics_egress_refused(struct br_metrics *metrics, size_t hook)
{
    if (hook < metrics->hook_count) {
        metrics->hooks[hook].egress_refused++;
    }
}

void br_metrics_set_probing(struct br_metrics *metrics, size_t hook, bool probing)
{
    if (hook < metrics->hook_count) {
        metrics->hooks[hook].probing = probing ? 1 : 0;
    }
}

void br_metrics_observe_latency(struct br_metrics *metrics, size_t hook, double seconds)
{
    struct hook_series *series;
    size_t i;

    if (hook >= metrics->hook_count) {
        return;
    }
    if (!(seconds > 0)) { /* negative, zero or NaN */
        seconds = 0;
    }
    series = &metrics->hooks[hook];
    for (i = 0; i < BR_METRICS_LATENCY_BUCKETS; i++) {
        if (seconds <= bucket_bounds[i]) {
            series->buckets[i]++;
            break;
        }
    }
    series->latency_count++;
    series->latency_sum += seconds;
}

int br_metrics_escape_label(struct br_buf *out, const char *value)
{
    const char *run = value;
    const char *p;

    for (p = value; *p; p++) {
        const char *escaped = NULL;

        if (*p == '\\') {
            escaped = "\\\\";
        } else if (*p == '"') {
            escaped = "\\\"";
        } else if (*p == '\n') {
            escaped = "\\n";
        }
        if (escaped) {
            br_buf_append(out, run, (size_t)(p - run));
            br_buf_append_str(out, escaped);
            run = p + 1;
        }
    }
    br_buf_append(out, run, (size_t)(p - run));
    return out->overflow ? -1 : 0;
}

/*
 * The shortest digits that read back as the same double, written without an exponent when it is
 * between -4 and 16 ("10", "0.005", "30.52"), else as 1.5e+20. Prometheus parses either.
 */
static void append_double(struct br_buf *out, double value)
{
    char text[48];
    int precision;
    int exponent;

    if (isnan(value)) {
        br_buf_append_str(out, "NaN");
        return;
    }
    if (isinf(value)) {
        br_buf_append_str(out, value > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (value == 0) {
        br_buf_append_str(out, "0");
        return;
    }
    for (precision = 0; precision < 17; precision++) {
        snprintf(text, sizeof(text), "%.*e", precision, value);
        if (strtod(text, NULL) == value) {
            break;
        }
    }
    exponent = atoi(strchr(text, 'e') + 1);
    if (exponent >= -4 && exponent <= 16) {
        int decimals = precision - exponent;

        snprintf(text, sizeof(text), "%.*f", decimals > 0 ? decimals : 0, value);
    }
    br_buf_append_str(out, text);
}

static void append_header(struct br_buf *out, const char *name, const char *help,
                          const char *type)
{
    br_buf_printf(out, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

/* Starts a sample: prefix, name, suffix, {hook="…" (the brace is left open). */
static void append_hook_sample(struct br_buf *out, const char *name, const char *suffix,
                               const struct hook_series *series)
{
    br_buf_printf(out, PREFIX "%s%s{hook=\"", name, suffix);
    br_metrics_escape_label(out, series->name);
    br_buf_append_char(out, '"');
}

static void render_histogram(const struct br_metrics *metrics, struct br_buf *out)
{
    static const char name[] = "delivery_latency_seconds";

    append_header(out, name, "Duration of webhook requests, one observation per attempt, by hook.",
                  "histogram");
    for (size_t h = 0; h < metrics->hook_count; h++) {
        const struct hook_series *series = &metrics->hooks[h];
        uint64_t cumulative = 0;

        for (size_t i = 0; i < BR_METRICS_LATENCY_BUCKETS; i++) {
            cumulative += series->buckets[i];
            append_hook_sample(out, name, "_bucket", series);
            br_buf_printf(out, ",le=\"%s\"} %" PRIu64 "\n", bucket_labels[i], cumulative);
        }
        append_hook_sample(out, name, "_bucket", series);
        br_buf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", series->latency_count);
        append_hook_sample(out, name, "_sum", series);
        br_buf_append_str(out, "} ");
        append_double(out, series->latency_sum);
        br_buf_append_char(out, '\n');
        append_hook_sample(out, name, "_count", series);
        br_buf_printf(out, "} %" PRIu64 "\n", series->latency_count);
    }
}

int br_metrics_render(const struct br_metrics *metrics, struct br_buf *out)
{
    for (size_t i = 0; i < BR_METRIC_COUNTER_COUNT; i++) {
        append_header(out, counter_families[i].name, counter_families[i].help, "counter");
        br_buf_printf(out, PREFIX "%s %" PRIu64 "\n", counter_families[i].name,
                      metrics->counters[i]);
    }

    append_header(out, "skipped_total",
                  "Messages that are not events, by reason (tombstones, truncates, snapshot reads, "
                  "topics of other tables, Debezium's schema-change, transaction and heartbeat "
                  "topics).",
                  "counter");
    for (size_t r = 0; r < BR_SKIP_REASON_COUNT; r++) {
        br_buf_printf(out, PREFIX "skipped_total{reason=\"%s\"} %" PRIu64 "\n",
                      br_skip_reason_name((enum br_skip_reason)r), metrics->skipped[r]);
    }

    append_header(out, "deliveries_total", "Deliveries finished, by hook and outcome.",
                  "counter");
    for (size_t h = 0; h < metrics->hook_count; h++) {
        for (size_t o = 0; o < BR_METRIC_OUTCOME_COUNT; o++) {
            append_hook_sample(out, "deliveries_total", "", &metrics->hooks[h]);
            br_buf_printf(out, ",outcome=\"%s\"} %" PRIu64 "\n", outcome_names[o],
                          metrics->hooks[h].deliveries[o]);
        }
    }

    append_header(out, "attempts_failed_total", "Delivery attempts that failed, by hook.",
                  "counter");
    for (size_t h = 0; h < metrics->hook_count; h++) {
        append_hook_sample(out, "attempts_failed_total", "", &metrics->hooks[h]);
        br_buf_printf(out, "} %" PRIu64 "\n", metrics->hooks[h].attempts_failed);
    }

    append_header(out, "egress_refused_total",
                  "Delivery attempts the outbound request guard refused (their address is "
                  "loopback, private, link-local, ...), by hook.",
                  "counter");
    for (size_t h = 0; h < metrics->hook_count; h++) {
        append_hook_sample(out, "egress_refused_total", "", &metrics->hooks[h]);
        br_buf_printf(out, "} %" PRIu64 "\n", metrics->hooks[h].egress_refused);
    }

    append_header(out, "config_reloads_total",
                  "Configuration reloads (SIGHUP or a changed file), by result.", "counter");
    for (size_t r = 0; r < BR_METRIC_RELOAD_COUNT; r++) {
        br_buf_printf(out, PREFIX "config_reloads_total{result=\"%s\"} %" PRIu64 "\n",
                      reload_names[r], metrics->reloads[r]);
    }

    for (size_t i = 0; i < BR_METRIC_GAUGE_COUNT; i++) {
        append_header(out, gauge_families[i].name, gauge_families[i].help, "gauge");
        br_buf_printf(out, PREFIX "%s %" PRId64 "\n", gauge_families[i].name,
                      metrics->gauges[i]);
    }

    append_header(out, "partitions_held",
                  "Partitions waiting at a message, by reason: undeliverable (policy block, no "
                  "dead-letter topic) or registry (its schema cannot be fetched yet).",
                  "gauge");
    for (size_t r = 0; r < BR_METRIC_HELD_COUNT; r++) {
        br_buf_printf(out, PREFIX "partitions_held{reason=\"%s\"} %" PRId64 "\n", held_names[r],
                      metrics->held[r]);
    }

    append_header(out, "hook_probing",
                  "1 while a hook is failing and sends one probe request at a time, else 0.",
                  "gauge");
    for (size_t h = 0; h < metrics->hook_count; h++) {
        append_hook_sample(out, "hook_probing", "", &metrics->hooks[h]);
        br_buf_printf(out, "} %" PRId64 "\n", metrics->hooks[h].probing);
    }

    render_histogram(metrics, out);
    render_tenants(metrics, out);
    return out->overflow ? -1 : 0;
}
