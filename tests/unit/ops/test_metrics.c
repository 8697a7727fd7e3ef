#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ops/metrics.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define HEAD_COUNTERS                                                                              \
    "# HELP perscom_bridge_messages_total Messages taken from Kafka.\n"                            \
    "# TYPE perscom_bridge_messages_total counter\n"

/* Everything up to the first per-hook family, with the given values (skipped: by reason, in
 * the order of enum br_skip_reason). */
#define FIXED_PART(messages, undecodable, restarts, tombstone, truncate, snapshot, table, schema,  \
                   txn, beat)                                                                      \
    HEAD_COUNTERS                                                                                  \
    "perscom_bridge_messages_total " messages "\n"                                                 \
    "# HELP perscom_bridge_undecodable_total Messages that could not be decoded or rendered.\n"    \
    "# TYPE perscom_bridge_undecodable_total counter\n"                                            \
    "perscom_bridge_undecodable_total " undecodable "\n"                                           \
    "# HELP perscom_bridge_deadletter_producer_restarts_total Restarts of the dead-letter "        \
    "producer after fatal errors.\n"                                                               \
    "# TYPE perscom_bridge_deadletter_producer_restarts_total counter\n"                           \
    "perscom_bridge_deadletter_producer_restarts_total " restarts "\n"                             \
    "# HELP perscom_bridge_skipped_total Messages that are not events, by reason (tombstones, "    \
    "truncates, snapshot reads, topics of other tables, Debezium's schema-change, transaction "    \
    "and heartbeat topics).\n"                                                                     \
    "# TYPE perscom_bridge_skipped_total counter\n"                                                \
    "perscom_bridge_skipped_total{reason=\"tombstone\"} " tombstone "\n"                           \
    "perscom_bridge_skipped_total{reason=\"truncate\"} " truncate "\n"                             \
    "perscom_bridge_skipped_total{reason=\"snapshot\"} " snapshot "\n"                             \
    "perscom_bridge_skipped_total{reason=\"not_perscom_table\"} " table "\n"                       \
    "perscom_bridge_skipped_total{reason=\"schema_change\"} " schema "\n"                          \
    "perscom_bridge_skipped_total{reason=\"transaction\"} " txn "\n"                               \
    "perscom_bridge_skipped_total{reason=\"heartbeat\"} " beat "\n"

#define GAUGES(in_flight, bytes, messages, partitions, producer_up, hooks, reload_ok, restart)     \
    "# HELP perscom_bridge_in_flight Webhook requests being sent.\n"                               \
    "# TYPE perscom_bridge_in_flight gauge\n"                                                      \
    "perscom_bridge_in_flight " in_flight "\n"                                                     \
    "# HELP perscom_bridge_buffered_bytes Bytes of messages read and not yet done.\n"              \
    "# TYPE perscom_bridge_buffered_bytes gauge\n"                                                 \
    "perscom_bridge_buffered_bytes " bytes "\n"                                                    \
    "# HELP perscom_bridge_buffered_messages Messages read and not yet done.\n"                    \
    "# TYPE perscom_bridge_buffered_messages gauge\n"                                              \
    "perscom_bridge_buffered_messages " messages "\n"                                              \
    "# HELP perscom_bridge_partitions_assigned Partitions assigned to the bridge.\n"               \
    "# TYPE perscom_bridge_partitions_assigned gauge\n"                                            \
    "perscom_bridge_partitions_assigned " partitions "\n"                                          \
    "# HELP perscom_bridge_deadletter_producer_up 0 while the dead-letter producer is failing, "   \
    "else 1 (also without one).\n"                                                                 \
    "# TYPE perscom_bridge_deadletter_producer_up gauge\n"                                         \
    "perscom_bridge_deadletter_producer_up " producer_up "\n"                                      \
    "# HELP perscom_bridge_hooks Hooks delivered to now (YAML and table hooks).\n"              \
    "# TYPE perscom_bridge_hooks gauge\n"                                                          \
    "perscom_bridge_hooks " hooks "\n"                                                             \
    "# HELP perscom_bridge_config_reload_success 1 when the last configuration reload was "        \
    "applied (or none was tried), 0 when it was refused.\n"                                        \
    "# TYPE perscom_bridge_config_reload_success gauge\n"                                          \
    "perscom_bridge_config_reload_success " reload_ok "\n"                                         \
    "# HELP perscom_bridge_config_restart_required 1 when the configuration file differs from "    \
    "the running one in settings that only a restart applies (logged).\n"                          \
    "# TYPE perscom_bridge_config_restart_required gauge\n"                                        \
    "perscom_bridge_config_restart_required " restart "\n"

#define RELOADS(applied, refused)                                                                  \
    "# HELP perscom_bridge_config_reloads_total Configuration reloads (SIGHUP or a changed "       \
    "file), by result.\n"                                                                          \
    "# TYPE perscom_bridge_config_reloads_total counter\n"                                         \
    "perscom_bridge_config_reloads_total{result=\"applied\"} " applied "\n"                       \
    "perscom_bridge_config_reloads_total{result=\"refused\"} " refused "\n"

#define DELIVERIES_HEAD                                                                            \
    "# HELP perscom_bridge_deliveries_total Deliveries finished, by hook and outcome.\n"           \
    "# TYPE perscom_bridge_deliveries_total counter\n"
#define ATTEMPTS_HEAD                                                                              \
    "# HELP perscom_bridge_attempts_failed_total Delivery attempts that failed, by hook.\n"        \
    "# TYPE perscom_bridge_attempts_failed_total counter\n"
#define EGRESS_HEAD                                                                                \
    "# HELP perscom_bridge_egress_refused_total Delivery attempts the outbound request guard "     \
    "refused (their address is loopback, private, link-local, ...), by hook.\n"                   \
    "# TYPE perscom_bridge_egress_refused_total counter\n"
#define HELD(undeliverable, registry)                                                              \
    "# HELP perscom_bridge_partitions_held Partitions waiting at a message, by reason: "           \
    "undeliverable (policy block, no dead-letter topic) or registry (its schema cannot be "       \
    "fetched yet).\n"                                                                              \
    "# TYPE perscom_bridge_partitions_held gauge\n"                                                \
    "perscom_bridge_partitions_held{reason=\"undeliverable\"} " undeliverable "\n"                 \
    "perscom_bridge_partitions_held{reason=\"registry\"} " registry "\n"
#define PROBING_HEAD                                                                               \
    "# HELP perscom_bridge_hook_probing 1 while a hook is failing and sends one probe request "    \
    "at a time, else 0.\n"                                                                         \
    "# TYPE perscom_bridge_hook_probing gauge\n"
#define LATENCY_HEAD                                                                               \
    "# HELP perscom_bridge_delivery_latency_seconds Duration of webhook requests, one "            \
    "observation per attempt, by hook.\n"                                                          \
    "# TYPE perscom_bridge_delivery_latency_seconds histogram\n"

static char *render(const struct br_metrics *metrics)
{
    struct br_buf out;
    char *text;

    br_buf_init(&out, 0);
    assert_int_equal(br_metrics_render(metrics, &out), 0);
    text = br_buf_steal(&out, NULL);
    return text;
}

/* Compares line by line so that a failure names the first differing line. */
static void assert_text(const char *got, const char *want, int line)
{
    int n = 1;

    while (*got && *want) {
        const char *got_end = strchr(got, '\n');
        const char *want_end = strchr(want, '\n');
        size_t got_len = got_end ? (size_t)(got_end - got) : strlen(got);
        size_t want_len = want_end ? (size_t)(want_end - want) : strlen(want);

        if (got_len != want_len || memcmp(got, want, got_len) != 0) {
            fail_msg("test line %d, text line %d:\n got: %.*s\nwant: %.*s", line, n, (int)got_len,
                     got, (int)want_len, want);
        }
        got += got_len + (got_end ? 1 : 0);
        want += want_len + (want_end ? 1 : 0);
        n++;
    }
    if (*got || *want) {
        fail_msg("test line %d, text line %d: got %s, want %s", line, n,
                 *got ? "extra text" : "end", *want ? "more text" : "end");
    }
}

static void test_empty_registry(void **state)
{
    struct br_metrics *metrics = br_metrics_create(NULL, 0);
    char *text;

    assert_non_null(metrics);
    text = render(metrics);
    assert_text(text,
                FIXED_PART("0", "0", "0", "0", "0", "0", "0", "0", "0", "0") DELIVERIES_HEAD
                    ATTEMPTS_HEAD EGRESS_HEAD RELOADS("0", "0")
                        GAUGES("0", "0", "0", "0", "0", "0", "0", "0") HELD("0", "0")
                            PROBING_HEAD LATENCY_HEAD,
                __LINE__);
    free(text);
    br_metrics_destroy(metrics);
}

#define ZERO_BUCKETS(hook)                                                                         \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.005\"} 0\n"           \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.01\"} 0\n"            \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.025\"} 0\n"           \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.05\"} 0\n"            \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.1\"} 0\n"             \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.25\"} 0\n"            \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"0.5\"} 0\n"             \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"1\"} 0\n"               \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"2.5\"} 0\n"             \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"5\"} 0\n"               \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"10\"} 0\n"              \
    "perscom_bridge_delivery_latency_seconds_bucket{hook=\"" hook "\",le=\"+Inf\"} 0\n"            \
    "perscom_bridge_delivery_latency_seconds_sum{hook=\"" hook "\"} 0\n"                           \
    "perscom_bridge_delivery_latency_seconds_count{hook=\"" hook "\"} 0\n"

static void test_small_registry_exact(void **state)
{
    /* The second name needs every escape: quote, backslash, newline. */
    static const char *const hooks[] = {"audit", "we\"i\\rd\nname"};
    struct br_metrics *metrics = br_metrics_create(hooks, COUNT(hooks));
    char *text;

    assert_non_null(metrics);
    br_metrics_add(metrics, BR_METRIC_MESSAGES, 42);
    br_metrics_add(metrics, BR_METRIC_MESSAGES, 1);
    br_metrics_add(metrics, BR_METRIC_UNDECODABLE, 2);
    for (int i = 0; i < 5; i++) {
        br_metrics_skipped(metrics, BR_SKIP_NOT_PERSCOM_TABLE);
    }
    br_metrics_skipped(metrics, BR_SKIP_TOMBSTONE);
    br_metrics_skipped(metrics, BR_SKIP_HEARTBEAT);
    br_metrics_skipped(metrics, BR_SKIP_HEARTBEAT);
    br_metrics_skipped(metrics, BR_SKIP_REASON_COUNT); /* out of range: ignored */
    br_metrics_set_total(metrics, BR_METRIC_DEADLETTER_RESTARTS, 3);
    br_metrics_set_total(metrics, BR_METRIC_DEADLETTER_RESTARTS, 2); /* never goes down */
    br_metrics_delivery(metrics, 0, BR_METRIC_DELIVERED);
    br_metrics_delivery(metrics, 0, BR_METRIC_DELIVERED);
    br_metrics_delivery(metrics, 0, BR_METRIC_DROPPED);
    br_metrics_delivery(metrics, 1, BR_METRIC_DEAD_LETTERED);
    br_metrics_attempt_failed(metrics, 1);
    br_metrics_attempt_failed(metrics, 1);
    br_metrics_attempt_failed(metrics, 1);
    br_metrics_set(metrics, BR_METRIC_IN_FLIGHT, 3);
    br_metrics_set(metrics, BR_METRIC_BUFFERED_BYTES, 123456789012);
    br_metrics_set(metrics, BR_METRIC_BUFFERED_MESSAGES, 7);
    br_metrics_set(metrics, BR_METRIC_PARTITIONS_ASSIGNED, 6);
    br_metrics_set(metrics, BR_METRIC_DEADLETTER_UP, 1);
    br_metrics_set(metrics, BR_METRIC_IN_FLIGHT, 4); /* a gauge keeps the last value */
    br_metrics_set_probing(metrics, 1, true);
    br_metrics_egress_refused(metrics, 0);
    br_metrics_egress_refused(metrics, 0);
    br_metrics_egress_refused(metrics, 2); /* out of range: ignored */
    br_metrics_observe_latency(metrics, 0, 0.02);
    br_metrics_observe_latency(metrics, 0, 0.5);
    br_metrics_observe_latency(metrics, 0, 30);

    /* Out of range: ignored. */
    br_metrics_delivery(metrics, 2, BR_METRIC_DELIVERED);
    br_metrics_attempt_failed(metrics, 2);
    br_metrics_set_probing(metrics, 9, true);
    br_metrics_observe_latency(metrics, 2, 1);
    br_metrics_set_held(metrics, BR_METRIC_HELD_UNDELIVERABLE, 5);
    br_metrics_set_held(metrics, BR_METRIC_HELD_UNDELIVERABLE, 2); /* a gauge: the last value */
    br_metrics_set_held(metrics, BR_METRIC_HELD_REGISTRY, 1);
    br_metrics_set_held(metrics, BR_METRIC_HELD_COUNT, 9);

#define WEIRD "we\\\"i\\\\rd\\nname"
    text = render(metrics);
    assert_text(
        text,
        FIXED_PART("43", "2", "3", "1", "0", "0", "5", "0", "0", "2") DELIVERIES_HEAD
        "perscom_bridge_deliveries_total{hook=\"audit\",outcome=\"delivered\"} 2\n"
        "perscom_bridge_deliveries_total{hook=\"audit\",outcome=\"dead_lettered\"} 0\n"
        "perscom_bridge_deliveries_total{hook=\"audit\",outcome=\"dropped\"} 1\n"
        "perscom_bridge_deliveries_total{hook=\"audit\",outcome=\"hook_deleted\"} 0\n"
        "perscom_bridge_deliveries_total{hook=\"" WEIRD "\",outcome=\"delivered\"} 0\n"
        "perscom_bridge_deliveries_total{hook=\"" WEIRD "\",outcome=\"dead_lettered\"} 1\n"
        "perscom_bridge_deliveries_total{hook=\"" WEIRD "\",outcome=\"dropped\"} 0\n"
        "perscom_bridge_deliveries_total{hook=\"" WEIRD "\",outcome=\"hook_deleted\"} 0\n"
        ATTEMPTS_HEAD
        "perscom_bridge_attempts_failed_total{hook=\"audit\"} 0\n"
        "perscom_bridge_attempts_failed_total{hook=\"" WEIRD "\"} 3\n"
        EGRESS_HEAD
        "perscom_bridge_egress_refused_total{hook=\"audit\"} 2\n"
        "perscom_bridge_egress_refused_total{hook=\"" WEIRD "\"} 0\n"
        RELOADS("0", "0") GAUGES("4", "123456789012", "7", "6", "1", "0", "0", "0")
        HELD("2", "1") PROBING_HEAD
        "perscom_bridge_hook_probing{hook=\"audit\"} 0\n"
        "perscom_bridge_hook_probing{hook=\"" WEIRD "\"} 1\n"
        LATENCY_HEAD
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.005\"} 0\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.01\"} 0\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.025\"} 1\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.05\"} 1\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.1\"} 1\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.25\"} 1\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"0.5\"} 2\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"1\"} 2\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"2.5\"} 2\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"5\"} 2\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"10\"} 2\n"
        "perscom_bridge_delivery_latency_seconds_bucket{hook=\"audit\",le=\"+Inf\"} 3\n"
        "perscom_bridge_delivery_latency_seconds_sum{hook=\"audit\"} 30.52\n"
        "perscom_bridge_delivery_latency_seconds_count{hook=\"audit\"} 3\n"
        ZERO_BUCKETS(WEIRD),
        __LINE__);
#undef WEIRD
    free(text);
    br_metrics_destroy(metrics);
}

static void test_escape_label(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"", ""},
        {"plain-name_1.x", "plain-name_1.x"},
        {"\"", "\\\""},
        {"\\", "\\\\"},
        {"\n", "\\n"},
        {"a\"b\\c\nd", "a\\\"b\\\\c\\nd"},
        {"\\n", "\\\\n"},       /* a backslash then n, not a newline */
        {"tab\there", "tab\there"}, /* only the three are escaped */
        {"caf\xc3\xa9", "caf\xc3\xa9"},
    };

    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_buf out;

        br_buf_init(&out, 0);
        assert_int_equal(br_metrics_escape_label(&out, cases[i].in), 0);
        if (strcmp(out.data ? out.data : "", cases[i].want) != 0) {
            fail_msg("case %zu: got [%s], want [%s]", i, out.data ? out.data : "", cases[i].want);
        }
        br_buf_finish(&out);
    }
}

/* Returns the value of the sample line that starts with prefix (-1 when absent). */
static long long sample_value(const char *text, const char *prefix)
{
    const char *p = text;
    size_t len = strlen(prefix);

    while (p && *p) {
        if (strncmp(p, prefix, len) == 0 && p[len] == ' ') {
            return atoll(p + len + 1);
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

static const char *sample_text(const char *text, const char *prefix, char *value, size_t size)
{
    const char *p = strstr(text, prefix);
    const char *end;

    if (!p) {
        return NULL;
    }
    p += strlen(prefix) + 1;
    end = strchr(p, '\n');
    snprintf(value, size, "%.*s", (int)(end - p), p);
    return value;
}

static void test_histogram_buckets(void **state)
{
    static const char *const labels[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                         "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
    static const struct {
        double observations[6];
        size_t count;
        long long want[12]; /* cumulative, per label above */
        const char *want_sum;
    } cases[] = {
        /* a bound is inclusive */
        {{0.005}, 1, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "0.005"},
        {{0.0051}, 1, {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "0.0051"},
        {{10}, 1, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, "10"},
        {{10.001}, 1, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "10.001"},
        /* negative and NaN count as 0 */
        {{-1, NAN}, 2, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, "0"},
        {{0.1, 0.2}, 2, {0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2}, "0.30000000000000004"},
        {{0.25, 0.75, 1, 2.5, 4, 7}, 6, {0, 0, 0, 0, 0, 1, 1, 3, 4, 5, 6, 6}, "15.5"},
        {{0}, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "0"},
        /* sums: no exponent between 1e-4 and 1e16, shortest digits */
        {{123456.789}, 1, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "123456.789"},
        {{0.0001}, 1, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "0.0001"},
        {{0.00001}, 1, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "1e-05"},
        {{1e20}, 1, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "1e+20"},
    };

    for (size_t c = 0; c < COUNT(cases); c++) {
        static const char *const hooks[] = {"h"};
        struct br_metrics *metrics = br_metrics_create(hooks, 1);
        char prefix[160];
        char value[64];
        char *text;

        for (size_t i = 0; i < cases[c].count; i++) {
            br_metrics_observe_latency(metrics, 0, cases[c].observations[i]);
        }
        text = render(metrics);
        for (size_t b = 0; b < COUNT(labels); b++) {
            long long got;

            snprintf(prefix, sizeof(prefix),
                     "perscom_bridge_delivery_latency_seconds_bucket{hook=\"h\",le=\"%s\"}",
                     labels[b]);
            got = sample_value(text, prefix);
            if (got != cases[c].want[b]) {
                fail_msg("case %zu, le=%s: got %lld, want %lld", c, labels[b], got,
                         cases[c].want[b]);
            }
        }
        assert_int_equal(
            sample_value(text, "perscom_bridge_delivery_latency_seconds_count{hook=\"h\"}"),
            (long long)cases[c].count);
        assert_non_null(sample_text(text, "perscom_bridge_delivery_latency_seconds_sum{hook=\"h\"}",
                                    value, sizeof(value)));
        if (strcmp(value, cases[c].want_sum) != 0) {
            fail_msg("case %zu: sum %s, want %s", c, value, cases[c].want_sum);
        }
        free(text);
        br_metrics_destroy(metrics);
    }
}

static void test_render_overflow(void **state)
{
    static const char *const hooks[] = {"a", "b"};
    struct br_metrics *metrics = br_metrics_create(hooks, COUNT(hooks));
    struct br_buf out;

    br_buf_init(&out, 200);
    assert_int_equal(br_metrics_render(metrics, &out), -1);
    assert_true(out.overflow);
    assert_true(out.len <= 200);
    br_buf_finish(&out);

    /* Appends to what is there. */
    br_buf_init(&out, 0);
    br_buf_append_str(&out, "before\n");
    assert_int_equal(br_metrics_render(metrics, &out), 0);
    assert_memory_equal(out.data, "before\n" HEAD_COUNTERS, strlen("before\n" HEAD_COUNTERS));
    br_buf_finish(&out);
    br_metrics_destroy(metrics);
}

static void test_create_rejects(void **state)
{
    static const char *const with_null[] = {"a", NULL};

    assert_null(br_metrics_create(NULL, 1));
    assert_null(br_metrics_create(with_null, 2));
    br_metrics_destroy(NULL);
}

/* Hooks added while running get their series; reloads are counted by result. */
static void test_hooks_added_and_reloads(void **state)
{
    static const char *const hooks[] = {"a"};
    struct br_metrics *metrics = br_metrics_create(hooks, COUNT(hooks));
    char *text;

    assert_int_equal(br_metrics_hook_add(metrics, "b"), 1);
    assert_int_equal(br_metrics_hook_add(metrics, "c"), 2);
    br_metrics_delivery(metrics, 2, BR_METRIC_HOOK_DELETED);
    br_metrics_delivery(metrics, 2, BR_METRIC_HOOK_DELETED);
    br_metrics_delivery(metrics, 3, BR_METRIC_HOOK_DELETED); /* out of range: ignored */
    br_metrics_reload(metrics, BR_METRIC_RELOAD_APPLIED);
    br_metrics_reload(metrics, BR_METRIC_RELOAD_REFUSED);
    br_metrics_reload(metrics, BR_METRIC_RELOAD_REFUSED);
    br_metrics_reload(metrics, BR_METRIC_RELOAD_COUNT); /* out of range: ignored */
    br_metrics_set(metrics, BR_METRIC_RELOAD_SUCCESS, 0);
    text = render(metrics);
    assert_non_null(strstr(text, "\nperscom_bridge_deliveries_total"
                                 "{hook=\"c\",outcome=\"hook_deleted\"} 2\n"));
    assert_non_null(strstr(text, "\nperscom_bridge_deliveries_total"
                                 "{hook=\"b\",outcome=\"hook_deleted\"} 0\n"));
    assert_non_null(strstr(text, "\nperscom_bridge_hook_probing{hook=\"c\"} 0\n"));
    assert_non_null(strstr(text, RELOADS("1", "2")));
    assert_non_null(strstr(text, "\nperscom_bridge_config_reload_success 0\n"));
    assert_null(strstr(text, "table_hooks")); /* no tenant: no table hooks families */
    free(text);

    /* per tenant: hooks known, last change applied, rows refused */
    assert_int_equal(br_metrics_tenant(metrics, "t1"), 0);
    assert_int_equal(br_metrics_tenant(metrics, "t\"2"), 1);
    assert_int_equal(br_metrics_tenant(metrics, "t1"), 0);
    br_metrics_tenant_hooks(metrics, 0, 3);
    br_metrics_tenant_changed(metrics, 0, 1700000000.5);
    br_metrics_tenant_refused(metrics, 1);
    br_metrics_tenant_refused(metrics, 1);
    br_metrics_tenant_refused(metrics, 7); /* out of range: ignored */
    text = render(metrics);
    assert_non_null(strstr(text, "\nperscom_bridge_table_hooks{tenant=\"t1\"} 3\n"));
    assert_non_null(strstr(text, "\nperscom_bridge_table_hooks{tenant=\"t\\\"2\"} 0\n"));
    assert_non_null(strstr(text, "\nperscom_bridge_table_hook_last_change_timestamp_seconds"
                                 "{tenant=\"t1\"} 1700000000.5\n"));
    assert_non_null(strstr(text, "\nperscom_bridge_table_hook_rows_refused_total"
                                 "{tenant=\"t\\\"2\"} 2\n"));
    free(text);
    br_metrics_destroy(metrics);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry),   cmocka_unit_test(test_small_registry_exact),
        cmocka_unit_test(test_escape_label),     cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_render_overflow),  cmocka_unit_test(test_create_rejects),
        cmocka_unit_test(test_hooks_added_and_reloads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
