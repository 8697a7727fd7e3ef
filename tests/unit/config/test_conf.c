/*
 * Unit tests of br_conf_load: the bridge's schema (confkeys.c), its cross-key checks
 * (confcheck.c) and conf.c. Fixtures live in tests/unit/fixtures/conf/ (ctest runs in
 * tests/unit/fixtures): one full configuration checked field by field, and bad files each with
 * the exact diagnostics expected. The walker itself is tested with a schema of its own in
 * test_yamlconf.c.
 */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/conf.h"

#define ERR_SIZE 8192

static void set_test_env(void)
{
    setenv("CONF_TEST_SASL", "sasl-pw", 1);
    setenv("CONF_TEST_SR_PASSWORD", "sr-pw", 1);
    setenv("CONF_TEST_SECRET", "tail", 1);
    unsetenv("CONF_TEST_UNSET_VARIABLE");
}

static struct br_conf *load_ok(const char *path)
{
    char err[ERR_SIZE] = "";
    struct br_conf *conf = br_conf_load(path, err, sizeof(err));

    if (conf == NULL) {
        fail_msg("%s did not load:\n%s", path, err);
    }
    return conf;
}

static const char *kv_get(const struct br_kv *entries, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(entries[i].key, key) == 0) {
            return entries[i].value;
        }
    }
    return NULL;
}

static void test_good(void **state)
{
    (void)state;
    set_test_env();
    struct br_conf *conf = load_ok("conf/good.yaml");

    assert_string_equal(conf->path, "conf/good.yaml");
    assert_string_equal(conf->brokers, "kafka-0:9092,kafka-1:9092");
    assert_string_equal(conf->group_id, "perscom-bridge-test");
    assert_int_equal(conf->kafka_prop_count, 3);
    assert_string_equal(conf->kafka_props[0].key, "session.timeout.ms");
    assert_string_equal(conf->kafka_props[0].value, "45000");
    assert_string_equal(conf->kafka_props[1].key, "security.protocol");
    assert_string_equal(conf->kafka_props[1].value, "SASL_SSL");
    assert_string_equal(conf->kafka_props[2].key, "sasl.password");
    assert_string_equal(conf->kafka_props[2].value, "sasl-pw");

    assert_string_equal(conf->registry_url, "https://registry.internal:8081");
    assert_string_equal(conf->registry_username, "bridge");
    assert_string_equal(conf->registry_password, "sr-pw");
    assert_string_equal(conf->registry_ca_file, "conf/certs/ca.pem");

    assert_int_equal(conf->topic_count, 3);
    const struct br_conf_topic *topic = &conf->topics[0];
    assert_string_equal(topic->name, "perscom.tenant1.records_ranks");
    assert_null(topic->pattern);
    assert_null(topic->resource);
    assert_int_equal(topic->format, BR_FORMAT_CONFLUENT);
    assert_null(topic->schema_path);
    assert_null(topic->schema_json);
    assert_int_equal(topic->snapshot, BR_SNAPSHOT_CREATED);
    topic = &conf->topics[1];
    assert_null(topic->name);
    assert_string_equal(topic->pattern, "perscom\\.tenant1\\..*");
    assert_null(topic->resource);
    assert_int_equal(topic->format, BR_FORMAT_CONFLUENT);
    assert_int_equal(topic->snapshot, BR_SNAPSHOT_SKIP);
    topic = &conf->topics[2];
    assert_string_equal(topic->name, "legacy.awards");
    assert_string_equal(topic->resource, "awardrecord");
    assert_int_equal(topic->format, BR_FORMAT_AVRO);
    assert_string_equal(topic->schema_path, "conf/schemas/records_awards.avsc");
    assert_non_null(topic->schema_json);
    assert_non_null(strstr(topic->schema_json, "\"namespace\": \"perscom.records_awards\""));
    assert_int_equal(topic->snapshot, BR_SNAPSHOT_SKIP);

    assert_int_equal(conf->hook_count, 2);
    const struct br_conf_hook *hook = &conf->hooks[0];
    assert_string_equal(hook->name, "discord");
    assert_string_equal(hook->url, "https://relay.example/hook");
    assert_int_equal(hook->method, BR_METHOD_POST);
    assert_int_equal(hook->secret_len, strlen("s3cr3t-tail"));
    assert_memory_equal(hook->secret, "s3cr3t-tail", hook->secret_len);
    assert_int_equal(hook->event_count, 2);
    assert_string_equal(hook->events[0], "rankrecord.*");
    assert_string_equal(hook->events[1], "*.deleted");
    assert_int_equal(hook->timeout_ms, 3000);
    assert_int_equal(hook->header_count, 0);
    hook = &conf->hooks[1];
    assert_string_equal(hook->name, "reports");
    assert_string_equal(hook->url, "http://reports.example/perscom?src=bridge");
    assert_int_equal(hook->method, BR_METHOD_GET);
    assert_int_equal(hook->secret_len, strlen("file-secret"));
    assert_memory_equal(hook->secret, "file-secret", hook->secret_len);
    assert_int_equal(hook->event_count, 2);
    assert_string_equal(hook->events[0], "user.created");
    assert_string_equal(hook->events[1], "*");
    assert_int_equal(hook->timeout_ms, 10000);
    assert_int_equal(hook->header_count, 3);
    assert_string_equal(kv_get(hook->headers, hook->header_count, "X-Relay"), "perscom");
    assert_string_equal(kv_get(hook->headers, hook->header_count, "Authorization"),
                        "Bearer abc");
    assert_string_equal(kv_get(hook->headers, hook->header_count, "X-Literal"),
                        "${not-a-var}");

    assert_int_equal(conf->backoff_initial_ms, 250);
    assert_int_equal(conf->backoff_max_ms, 30000);
    assert_int_equal(conf->max_in_flight, 16);
    assert_int_equal(conf->commit_interval_ms, 2000);
    assert_int_equal(conf->shutdown_grace_ms, 0);
    assert_int_equal(conf->partition_window, 5000);
    assert_int_equal(conf->partition_window_bytes, 1048576);
    assert_int_equal(conf->max_buffered_bytes, 0);
    assert_int_equal(conf->max_attempts, 10);
    assert_int_equal(conf->max_age_ms, 3600000);
    assert_int_equal(conf->retry_after_max_ms, 60000);
    assert_int_equal(conf->probe_after_failures, 0);
    assert_int_equal(conf->max_body_bytes, 1048576);
    assert_int_equal(conf->max_elements, 5000);
    assert_int_equal(conf->max_uncommitted, 50);
    assert_int_equal(conf->progress_metadata_bytes, 0);
    assert_string_equal(conf->dead_letter_topic, "perscom.bridge.dead-letter");
    assert_int_equal(conf->producer_failure_exit_ms, 0);
    assert_string_equal(conf->delivery_report_topic, "perscom.bridge.deliveries");
    assert_string_equal(conf->admin_listen, "0.0.0.0:9400");
    assert_int_equal(conf->admin_max_connections, 64);
    assert_int_equal(conf->admin_header_timeout_ms, 1500);
    assert_int_equal(conf->admin_idle_timeout_ms, 500);
    /* the first hook overrides two retry keys, the second inherits delivery.* */
    assert_int_equal(conf->hooks[0].retry.initial_ms, 250);
    assert_int_equal(conf->hooks[0].retry.max_ms, 5000);
    assert_int_equal(conf->hooks[0].retry.max_attempts, 3);
    assert_int_equal(conf->hooks[0].retry.max_age_ms, 3600000);
    assert_int_equal(conf->hooks[0].retry.retry_after_max_ms, 60000);
    assert_int_equal(conf->hooks[1].retry.initial_ms, 250);
    assert_int_equal(conf->hooks[1].retry.max_ms, 30000);
    assert_int_equal(conf->hooks[1].retry.max_attempts, 10);
    assert_string_equal(conf->log_level, "debug");
    br_conf_destroy(conf);
}

static void test_defaults(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("conf/minimal.yaml");

    assert_int_equal(conf->kafka_prop_count, 0);
    assert_null(conf->kafka_props);
    assert_null(conf->registry_url);
    assert_null(conf->registry_username);
    assert_null(conf->registry_password);
    assert_null(conf->registry_ca_file);
    assert_int_equal(conf->topic_count, 1);
    assert_int_equal(conf->topics[0].snapshot, BR_SNAPSHOT_SKIP);
    assert_int_equal(conf->hook_count, 1);
    assert_int_equal(conf->hooks[0].method, BR_METHOD_POST);
    assert_int_equal(conf->hooks[0].timeout_ms, 3000);
    assert_int_equal(conf->hooks[0].header_count, 0);
    assert_int_equal(conf->hooks[0].signature, BR_SIGNATURE_PERSCOM);
    assert_int_equal(conf->hooks[0].secret_count, 1);
    assert_int_equal(conf->hooks[0].auth, BR_AUTH_NONE);
    assert_null(conf->hooks[0].proxy);
    assert_null(conf->hooks[0].no_proxy);
    assert_int_equal(conf->hooks[0].tls_min, BR_TLS_1_2);
    assert_int_equal(conf->hooks[0].ordering, BR_ORDERING_PARTITION);
    assert_int_equal(conf->hooks[0].max_in_flight, 64);
    assert_int_equal(conf->backoff_initial_ms, 500);
    assert_int_equal(conf->backoff_max_ms, 60000);
    assert_int_equal(conf->max_in_flight, 64);
    assert_int_equal(conf->commit_interval_ms, 1000);
    assert_int_equal(conf->shutdown_grace_ms, 10000);
    assert_int_equal(conf->partition_window, 200);
    assert_int_equal(conf->partition_window_bytes, 16 * 1024 * 1024);
    assert_int_equal(conf->max_buffered_bytes, 256 * 1024 * 1024);
    assert_int_equal(conf->max_attempts, 0);
    assert_int_equal(conf->max_age_ms, 0);
    assert_int_equal(conf->retry_after_max_ms, 300000);
    assert_int_equal(conf->probe_after_failures, 5);
    assert_int_equal(conf->max_body_bytes, 8 * 1024 * 1024);
    assert_int_equal(conf->max_elements, 100000);
    assert_int_equal(conf->max_uncommitted, 100);
    assert_int_equal(conf->progress_metadata_bytes, 4096);
    assert_null(conf->dead_letter_topic);
    assert_int_equal(conf->dead_letter_policy, BR_DEAD_LETTER_BLOCK);
    assert_int_equal(conf->producer_failure_exit_ms, 600000);
    assert_null(conf->delivery_report_topic);
    assert_null(conf->admin_listen);
    assert_int_equal(conf->admin_max_connections, 32);
    assert_int_equal(conf->admin_header_timeout_ms, 2000);
    assert_int_equal(conf->admin_idle_timeout_ms, 1000);
    assert_int_equal(conf->hooks[0].retry.initial_ms, 500);
    assert_int_equal(conf->hooks[0].retry.max_ms, 60000);
    assert_int_equal(conf->hooks[0].retry.max_attempts, 0);
    assert_int_equal(conf->hooks[0].retry.max_age_ms, 0);
    assert_int_equal(conf->hooks[0].retry.retry_after_max_ms, 300000);
    assert_string_equal(conf->log_level, "info");
    br_conf_destroy(conf);
}

static void test_secret_file_newlines(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("conf/secret_newlines.yaml");

    assert_int_equal(conf->hooks[0].secret_len, 4);
    assert_memory_equal(conf->hooks[0].secret, "two\n", 4);
    br_conf_destroy(conf);
}

struct topic_case {
    const char *topic;
    int index; /* into conf->topics, -1: none */
};

static void test_topic_for(void **state)
{
    static const struct topic_case cases[] = {
        {"perscom.tenant1.records_ranks", 0}, /* exact name wins over the pattern */
        {"perscom.tenant1.users", 1},
        {"perscom.tenant1.", 1},
        {"legacy.awards", 2},
        {"perscom.tenant1", -1},
        {"perscom.tenant2.users", -1},
        {"xperscom.tenant1.users", -1}, /* anchored at the start */
        {"perscomXtenant1.users", -1},
        {"legacy.awards.x", -1},
        {"", -1},
    };

    (void)state;
    set_test_env();
    struct br_conf *conf = load_ok("conf/good.yaml");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct br_conf_topic *topic = br_conf_topic_for(conf, cases[i].topic);
        const struct br_conf_topic *expect =
            cases[i].index < 0 ? NULL : &conf->topics[cases[i].index];

        if (topic != expect) {
            fail_msg("topic \"%s\": got entry %td, expected %d", cases[i].topic,
                     topic == NULL ? (ptrdiff_t)-1 : topic - conf->topics, cases[i].index);
        }
    }
    assert_null(br_conf_topic_for(conf, NULL));
    assert_null(br_conf_topic_for(NULL, "legacy.awards"));
    br_conf_destroy(conf);
}

struct bad_case {
    const char *file;
    const char *expected; /* every diagnostic, one per line */
};

static const struct bad_case bad_cases[] = {
    {"conf/bad_syntax.yaml",
     "conf/bad_syntax.yaml:3:11: (yaml): did not find expected ',' or ']' "
     "(while parsing a flow sequence at line 2)"},
    {"conf/bad_empty.yaml", "conf/bad_empty.yaml:1:1: (document): the file is empty"},
    {"conf/bad_root_list.yaml",
     "conf/bad_root_list.yaml:1:1: (document): expected a mapping, got a list"},
    {"conf/bad_two_documents.yaml",
     "conf/bad_two_documents.yaml:14:1: (document): only one YAML document is allowed"},
    {"conf/bad_unknown_key.yaml",
     "conf/bad_unknown_key.yaml:3:3: kafka.brokerz: unknown key "
     "(expected one of brokers, group_id, properties)"},
    {"conf/bad_duplicate_key.yaml",
     "conf/bad_duplicate_key.yaml:4:3: kafka.group_id: duplicate key (first at line 3, column 13)"},
    {"conf/bad_missing_group_id.yaml",
     "conf/bad_missing_group_id.yaml:2:3: kafka.group_id: required key is missing"},
    {"conf/bad_missing_hooks.yaml",
     "conf/bad_missing_hooks.yaml:1:1: hooks: required key is missing"},
    {"conf/bad_topics_type.yaml",
     "conf/bad_topics_type.yaml:7:3: topics: expected a list, got a mapping"},
    {"conf/bad_timeout_type.yaml",
     "conf/bad_timeout_type.yaml:13:17: hooks[0].timeout_ms: expected an integer, got \"fast\""},
    {"conf/bad_timeout_range.yaml",
     "conf/bad_timeout_range.yaml:13:17: hooks[0].timeout_ms: must be between 1 and 600000, "
     "got 0"},
    {"conf/bad_ordering.yaml",
     "conf/bad_ordering.yaml:13:15: hooks[0].ordering: must be one of partition, key, none, "
     "got \"record\"\n"
     "conf/bad_ordering.yaml:18:20: hooks[1].max_in_flight: must be between 1 and 1024, got 0"},
    {"conf/bad_hook_in_flight.yaml",
     "conf/bad_hook_in_flight.yaml:14:20: hooks[0].max_in_flight: 65 is more than "
     "delivery.max_in_flight (64), the requests in flight to all hooks together"},
    {"conf/bad_window.yaml",
     "conf/bad_window.yaml:14:18: delivery.max_in_flight: must be between 1 and 1024, got 2000\n"
     "conf/bad_window.yaml:15:21: delivery.partition_window: expected an integer, got \"12abc\""},
    {"conf/bad_limits.yaml",
     "conf/bad_limits.yaml:14:19: limits.max_body_bytes: must be between 1024 and 1073741824, "
     "got 1023\n"
     "conf/bad_limits.yaml:15:17: limits.max_elements: must be between 100 and 100000000, got 0\n"
     "conf/bad_limits.yaml:16:3: limits.max_schema_bytes: unknown key (expected one of "
     "max_body_bytes, max_elements)"},
    {"conf/bad_dead_letter.yaml",
     "conf/bad_dead_letter.yaml:16:29: dead_letter.producer_failure_exit_ms: must be between 0 "
     "and 2592000000, got -5\n"
     "conf/bad_dead_letter.yaml:14:11: dead_letter.policy: applies only without topic (with a "
     "topic, everything that cannot be delivered goes there)\n"
     "conf/bad_dead_letter.yaml:18:3: delivery_report.unknown_only: unknown key (expected one of "
     "topic)\n"
     "conf/bad_dead_letter.yaml:18:3: delivery_report.topic: required key is missing"},
    {"conf/bad_hook_retry.yaml",
     "conf/bad_hook_retry.yaml:15:21: hooks[0].retry.max_attempts: must be between 0 and "
     "1000000, got -2\n"
     "conf/bad_hook_retry.yaml:14:23: hooks[0].retry.backoff_max_ms: backoff_max_ms (10) must be "
     "at least backoff_initial_ms (100)"},
    {"conf/bad_backoff.yaml",
     "conf/bad_backoff.yaml:15:19: delivery.backoff_max_ms: backoff_max_ms (1000) must be at "
     "least backoff_initial_ms (5000)"},
    {"conf/bad_event.yaml",
     "conf/bad_event.yaml:16:14: hooks[1].events[0]: unknown event \"rankrecord.promoted\" "
     "(use <resource>.<created|updated|deleted>, <resource>.*, *.<action> or *)"},
    {"conf/bad_events_empty.yaml",
     "conf/bad_events_empty.yaml:12:13: hooks[0].events: must not be empty"},
    {"conf/bad_method.yaml",
     "conf/bad_method.yaml:13:13: hooks[0].method: must be one of POST, GET, got \"PUT\""},
    {"conf/bad_url.yaml",
     "conf/bad_url.yaml:10:10: hooks[0].url: must be an http:// or https:// URL with a host, "
     "got \"ftp://relay.example/hook\""},
    {"conf/bad_env.yaml",
     "conf/bad_env.yaml:11:13: hooks[0].secret: environment variable CONF_TEST_UNSET_VARIABLE "
     "is not set"},
    {"conf/bad_secret_both.yaml",
     "conf/bad_secret_both.yaml:13:18: hooks[0].secret_file: cannot be combined with secret"},
    {"conf/bad_secret_none.yaml",
     "conf/bad_secret_none.yaml:9:5: hooks[0].secret: required key is missing "
     "(or set secret_file, secrets or secret_files)"},
    {"conf/bad_hook_access.yaml",
     "conf/bad_hook_access.yaml:13:10: hooks[0].tls.key_file: required with cert_file\n"
     "conf/bad_hook_access.yaml:14:40: hooks[0].auth.basic: cannot be combined with bearer\n"
     "conf/bad_hook_access.yaml:14:20: hooks[0].auth.bearer: the token must not contain "
     "spaces or control characters\n"
     "conf/bad_hook_access.yaml:9:14: hooks[0].secrets: cannot be combined with secret\n"
     "conf/bad_hook_access.yaml:11:13: hooks[0].secret: signature standard needs a Standard "
     "Webhooks secret: not whsec_ followed by base64 (standard alphabet)\n"
     "conf/bad_hook_access.yaml:13:10: hooks[0].tls: applies only to an https:// url\n"
     "conf/bad_hook_access.yaml:15:14: hooks[0].headers.Webhook-Signature: header "
     "webhook-signature is set by the bridge (signature: standard)\n"
     "conf/bad_hook_access.yaml:16:12: hooks[0].proxy: must be a proxy URL with a host: "
     "http://, https://, socks4://, socks4a://, socks5:// or socks5h://\n"
     "conf/bad_hook_access.yaml:22:25: hooks[1].auth.basic.username: must not contain ':' or "
     "control characters\n"
     "conf/bad_hook_access.yaml:22:60: hooks[1].auth.basic.password_file: cannot be combined "
     "with password\n"
     "conf/bad_hook_access.yaml:23:20: hooks[1].tls.ca_file: conf/no-such-ca.pem: cannot read "
     "the CA bundle: No such file or directory\n"
     "conf/bad_hook_access.yaml:19:14: hooks[1].secrets: at most 8 secrets, got 9\n"
     "conf/bad_hook_access.yaml:18:10: hooks[1].url: credentials in the URL cannot be "
     "combined with auth\n"
     "conf/bad_hook_access.yaml:28:11: hooks[2].auth: set one of bearer, bearer_file or basic\n"
     "conf/bad_hook_access.yaml:26:20: hooks[2].secret_files[0]: conf/empty.txt is empty"},
    {"conf/bad_secret_file.yaml",
     "conf/bad_secret_file.yaml:11:18: hooks[0].secret_file: cannot read "
     "conf/no-such-secret.txt: No such file or directory"},
    {"conf/bad_header.yaml",
     "conf/bad_header.yaml:15:7: hooks[0].headers.signature: header Signature is set by the "
     "bridge and cannot be overridden"},
    {"conf/bad_duplicate_hook.yaml",
     "conf/bad_duplicate_hook.yaml:13:11: hooks[1].name: duplicate hook name \"discord\" "
     "(also hooks[0])"},
    {"conf/bad_topic_table.yaml",
     "conf/bad_topic_table.yaml:8:11: topics[1].name: \"widgets\" is not a PERSCOM table; "
     "set resource for this topic"},
    {"conf/bad_resource.yaml",
     "conf/bad_resource.yaml:8:15: topics[0].resource: unknown resource \"rank\""},
    {"conf/bad_regex.yaml",
     "conf/bad_regex.yaml:8:14: topics[1].pattern: invalid regular expression: "
     "Unmatched ( or \\("},
    {"conf/bad_name_and_pattern.yaml",
     "conf/bad_name_and_pattern.yaml:8:14: topics[0].pattern: cannot be combined with name"},
    {"conf/bad_schema_missing.yaml",
     "conf/bad_schema_missing.yaml:8:5: topics[1].schema: required when format is avro"},
    {"conf/bad_schema_forbidden.yaml",
     "conf/bad_schema_forbidden.yaml:8:13: topics[0].schema: only allowed when format is avro"},
    {"conf/bad_schema_json.yaml",
     "conf/bad_schema_json.yaml:10:13: topics[1].schema: conf/schemas/broken.avsc:2:13: "
     "invalid JSON: unexpected token near '}'"},
    {"conf/bad_registry_userinfo.yaml",
     "conf/bad_registry_userinfo.yaml:5:8: schema_registry.url: credentials in the URL are "
     "refused (they would be shown in logs and errors): use schema_registry.username and "
     "schema_registry.password"},
    {"conf/bad_registry_missing.yaml",
     "conf/bad_registry_missing.yaml:1:1: schema_registry: required key is missing "
     "(topics[1] has format confluent)"},
    {"conf/bad_log_level.yaml",
     "conf/bad_log_level.yaml:13:12: log_level: must be one of error, warn, info, debug, "
     "got \"verbose\""},
    {"conf/bad_kafka_property.yaml",
     "conf/bad_kafka_property.yaml:5:5: kafka.properties.group.id: cannot be set here: "
     "set kafka.group_id instead\n"
     "conf/bad_kafka_property.yaml:6:22: kafka.properties.fetch.max.bytes: expected a scalar, "
     "got a mapping"},
    {"conf/bad_admin.yaml",
     "conf/bad_admin.yaml:15:20: admin.max_connections: must be between 1 and 4096, got 0\n"
     "conf/bad_admin.yaml:16:22: admin.header_timeout_ms: must be between 10 and 60000, got 5\n"
     "conf/bad_admin.yaml:17:20: admin.idle_timeout_ms: must be between 10 and 60000, "
     "got 600001\n"
     "conf/bad_admin.yaml:18:3: admin.keepalive_ms: unknown key (expected one of listen, "
     "max_connections, header_timeout_ms, idle_timeout_ms)"},
    {"conf/bad_egress.yaml",
     "conf/bad_egress.yaml:13:20: hooks[0].allow_private: must be one of false, true, "
     "got \"yes\"\n"
     "conf/bad_egress.yaml:17:7: egress.allow[1]: '10.0.0.1/8' has host bits set after its /8 "
     "prefix; the network is 10.0.0.0/8\n"
     "conf/bad_egress.yaml:18:7: egress.allow[2]: 'localhost' is not an IPv4 or IPv6 address "
     "(a CIDR prefix is address/length, such as 10.1.0.0/16 or fd00::/8; no host names)\n"
     "conf/bad_egress.yaml:19:7: egress.allow[3]: '::1/129': the prefix length must be at most "
     "128 for an IPv6 address\n"
     "conf/bad_egress.yaml:20:7: egress.allow[4]: '192.168.0.0/': the prefix length after '/' "
     "must be a number from 0 to 32\n"
     "conf/bad_egress.yaml:21:3: egress.deny: unknown key (expected one of allow)"},
    /* every problem of a file is reported, not only the first */
    {"conf/bad_many.yaml",
     "conf/bad_many.yaml:2:3: kafka.group_id: required key is missing\n"
     "conf/bad_many.yaml:4:8: schema_registry.url: must be an http:// or https:// URL with a "
     "host, got \"127.0.0.1:8081\"\n"
     "conf/bad_many.yaml:7:15: topics[0].snapshot: must be one of skip, created, got \"always\"\n"
     "conf/bad_many.yaml:12:28: hooks[0].events[1]: unknown event \"*.read\" "
     "(use <resource>.<created|updated|deleted>, <resource>.*, *.<action> or *)\n"
     "conf/bad_many.yaml:13:17: hooks[0].timeout_ms: must be between 1 and 600000, got 700000\n"
     "conf/bad_many.yaml:15:13: hooks[1].events: expected a list, got a scalar\n"
     "conf/bad_many.yaml:14:5: hooks[1].name: required key is missing\n"
     "conf/bad_many.yaml:14:5: hooks[1].secret: required key is missing (or set secret_file, "
     "secrets or secret_files)\n"
     "conf/bad_many.yaml:17:3: delivery.retries: unknown key (expected one of "
     "backoff_initial_ms, backoff_max_ms, max_in_flight, commit_interval_ms, "
     "shutdown_grace_ms, partition_window, partition_window_bytes, max_buffered_bytes, "
     "max_attempts, max_age_ms, retry_after_max_ms, tls_min_version, probe_after_failures, "
     "max_uncommitted, progress_metadata_bytes)\n"
     "conf/bad_many.yaml:18:12: log_level: expected a string, got a list"},
};

/* Signatures, secret rotation, auth and proxy (conf/good_hook_access.yaml). */
static void test_hook_access(void **state)
{
    static const unsigned char key1[] = "0123456789abcdef0123456789abcdef";
    static const unsigned char key2[] = "second-key-second-key-second-key";
    (void)state;
    setenv("CONF_TEST_WHSEC", "whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=", 1);
    setenv("CONF_TEST_TOKEN", "tok-123", 1);
    setenv("CONF_TEST_PROXY_PW", "proxy-pw", 1);
    setenv("CONF_TEST_USER", "env-user", 1);
    setenv("CONF_TEST_PW", "env-pw", 1);
    struct br_conf *conf = load_ok("conf/good_hook_access.yaml");
    const struct br_conf_hook *hook = &conf->hooks[0];

    assert_int_equal(conf->hook_count, 4);
    assert_int_equal(hook->signature, BR_SIGNATURE_BOTH);
    assert_int_equal(hook->secret_count, 2);
    /* the first secret signs Signature: its bytes as written, whsec_ prefix and all */
    assert_string_equal(hook->secret, "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
    assert_int_equal(hook->secret_len, strlen(hook->secret));
    assert_int_equal(hook->secrets[0].key_len, 32);
    assert_memory_equal(hook->secrets[0].key, key1, 32);
    assert_string_equal(hook->secrets[1].text,
                        "whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=");
    assert_int_equal(hook->secrets[1].key_len, 32);
    assert_memory_equal(hook->secrets[1].key, key2, 32);
    assert_int_equal(hook->auth, BR_AUTH_BEARER);
    assert_string_equal(hook->auth_bearer, "tok-123");
    assert_string_equal(hook->proxy, "http://u:proxy-pw@proxy.example:3128");
    assert_string_equal(hook->no_proxy, "internal.example,.corp");
    assert_int_equal(hook->tls_min, BR_TLS_1_3);
    assert_null(hook->tls_ca_file);
    assert_null(hook->tls_cert_file);

    hook = &conf->hooks[1];
    assert_int_equal(hook->signature, BR_SIGNATURE_STANDARD);
    assert_int_equal(hook->secret_count, 2);
    assert_string_equal(hook->secrets[0].text,
                        "whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=");
    assert_memory_equal(hook->secrets[0].key, key2, 32);
    /* without the prefix and the padding, still base64 */
    assert_string_equal(hook->secrets[1].text, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY");
    assert_memory_equal(hook->secrets[1].key, key1, 32);
    assert_int_equal(hook->auth, BR_AUTH_BASIC);
    assert_string_equal(hook->auth_username, "bridge");
    assert_string_equal(hook->auth_password, "pw-from-file");
    assert_null(hook->proxy);
    assert_null(hook->no_proxy);
    assert_int_equal(hook->tls_min, BR_TLS_1_2);

    hook = &conf->hooks[2];
    assert_int_equal(hook->signature, BR_SIGNATURE_PERSCOM);
    assert_int_equal(hook->secret_count, 1);
    assert_string_equal(hook->secret, "plain");
    assert_null(hook->secrets[0].key); /* perscom: no Standard Webhooks key */
    assert_int_equal(hook->auth, BR_AUTH_BEARER);
    assert_string_equal(hook->auth_bearer, "b-token-from-file");

    hook = &conf->hooks[3];
    assert_int_equal(hook->secret_count, 1);
    assert_string_equal(hook->secret, "one-secret");
    assert_int_equal(hook->auth, BR_AUTH_BASIC);
    assert_string_equal(hook->auth_username, "env-user");
    assert_string_equal(hook->auth_password, "env-pw");
    br_conf_destroy(conf);
}

/* ordering and max_in_flight: as set, or their defaults (partition; the global cap in mode
 * partition, BR_CONF_HOOK_IN_FLIGHT_DEFAULT in the others) */
static void test_ordering(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("conf/good_ordering.yaml");

    assert_int_equal(conf->hook_count, 4);
    assert_int_equal(conf->max_in_flight, 32);
    assert_int_equal(conf->hooks[0].ordering, BR_ORDERING_PARTITION);
    assert_int_equal(conf->hooks[0].max_in_flight, 32);
    assert_int_equal(conf->hooks[1].ordering, BR_ORDERING_KEY);
    assert_int_equal(conf->hooks[1].max_in_flight, 32);
    assert_int_equal(conf->hooks[2].ordering, BR_ORDERING_NONE);
    assert_int_equal(conf->hooks[2].max_in_flight, BR_CONF_HOOK_IN_FLIGHT_DEFAULT);
    assert_int_equal(conf->hooks[3].ordering, BR_ORDERING_PARTITION);
    assert_int_equal(conf->hooks[3].max_in_flight, 2);
    br_conf_destroy(conf);
}

/* egress.allow and a hook's allow_private (conf/good_egress.yaml). */
static void test_egress(void **state)
{
    static const char *const want[] = {"127.0.0.1/32", "::1/128", "10.20.0.0/16",
                                       "fd00:abcd::/32", "192.168.7.0/24"};
    char text[64];

    (void)state;
    struct br_conf *conf = load_ok("conf/good_egress.yaml");
    assert_int_equal(conf->hook_count, 3);
    assert_int_equal(conf->hooks[0].allow_private, 1);
    assert_int_equal(conf->hooks[1].allow_private, 0);
    assert_int_equal(conf->hooks[2].allow_private, 0);
    assert_int_equal(conf->egress_allow_count, 5);
    for (size_t i = 0; i < 5; i++) {
        char address[BR_NETADDR_TEXT_MAX];

        br_netaddr_format(&conf->egress_allow[i].addr, address, sizeof(address));
        snprintf(text, sizeof(text), "%s/%u", address, conf->egress_allow[i].prefix_len);
        assert_string_equal(text, want[i]);
    }
    br_conf_destroy(conf);

    /* without an egress section, nothing is allowed beyond public addresses */
    conf = load_ok("conf/minimal.yaml");
    assert_int_equal(conf->egress_allow_count, 0);
    assert_null(conf->egress_allow);
    assert_int_equal(conf->hooks[0].allow_private, 0);
    br_conf_destroy(conf);
}

static void test_bad(void **state)
{
    (void)state;
    set_test_env();
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        char err[ERR_SIZE];

        memset(err, 'x', sizeof(err));
        struct br_conf *conf = br_conf_load(bad_cases[i].file, err, sizeof(err));
        if (conf != NULL) {
            br_conf_destroy(conf);
            fail_msg("%s loaded, expected:\n%s", bad_cases[i].file, bad_cases[i].expected);
        }
        if (strcmp(err, bad_cases[i].expected) != 0) {
            fail_msg("%s:\n got: %s\nwant: %s", bad_cases[i].file, err, bad_cases[i].expected);
        }
    }
}

/* Every diagnostic line names file, line, column and key. */
static void test_diagnostic_shape(void **state)
{
    regex_t shape;

    (void)state;
    assert_int_equal(regcomp(&shape, "^conf/bad_[a-z_]+\\.yaml:[1-9][0-9]*:[1-9][0-9]*: "
                                     "[A-Za-z_(][^ :]*: [^ ].*$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        char err[ERR_SIZE];
        struct br_conf *conf = br_conf_load(bad_cases[i].file, err, sizeof(err));

        assert_null(conf);
        for (char *line = strtok(err, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            if (regexec(&shape, line, 0, NULL, 0) != 0) {
                regfree(&shape);
                fail_msg("badly shaped diagnostic: %s", line);
            }
        }
    }
    regfree(&shape);
}

static void test_missing_file(void **state)
{
    char err[ERR_SIZE];
    char want[ERR_SIZE];

    (void)state;
    assert_null(br_conf_load("conf/does-not-exist.yaml", err, sizeof(err)));
    snprintf(want, sizeof(want), "conf/does-not-exist.yaml: cannot open: %s", strerror(ENOENT));
    assert_string_equal(err, want);
}

static void test_errstr_truncated(void **state)
{
    char err[24];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_null(br_conf_load("conf/bad_many.yaml", err, sizeof(err)));
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_memory_equal(err, "conf/bad_many.yaml:2:3: ", sizeof(err) - 1);
    assert_null(br_conf_load("conf/bad_many.yaml", NULL, 0));
}

static void test_destroy_null(void **state)
{
    (void)state;
    br_conf_destroy(NULL);
}

/* The shipped example must stay loadable. */
static void test_example(void **state)
{
    (void)state;
    setenv("SR_PASSWORD", "sr", 1);
    setenv("DISCORD_SECRET", "discord", 1);
    setenv("REPORTS_SECRET", "reports", 1);
    struct br_conf *conf = load_ok("../../../examples/bridge.yaml");

    assert_int_equal(conf->topic_count, 1);
    assert_non_null(br_conf_topic_for(conf, "perscom.perscom_tenant1.records_ranks"));
    assert_int_equal(conf->hook_count, 2);
    assert_int_equal(conf->hooks[0].method, BR_METHOD_POST);
    assert_memory_equal(conf->hooks[0].secret, "discord", conf->hooks[0].secret_len);
    assert_int_equal(conf->hooks[1].method, BR_METHOD_GET);
    br_conf_destroy(conf);

    /* and it names the variables it needs */
    char err[ERR_SIZE];
    unsetenv("DISCORD_SECRET");
    assert_null(br_conf_load("../../../examples/bridge.yaml", err, sizeof(err)));
    assert_non_null(strstr(err, "hooks[0].secret: environment variable DISCORD_SECRET is not set"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_secret_file_newlines),
        cmocka_unit_test(test_topic_for),
        cmocka_unit_test(test_hook_access),
        cmocka_unit_test(test_egress),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_diagnostic_shape),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_errstr_truncated),
        cmocka_unit_test(test_destroy_null),
        cmocka_unit_test(test_example),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
