/* Unit tests of confdiff.c: which settings of a reloaded file need a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/confdiff.h"

static void base(struct br_conf *conf, struct br_conf_topic *topic)
{
    memset(conf, 0, sizeof(*conf));
    memset(topic, 0, sizeof(*topic));
    conf->brokers = "127.0.0.1:9092";
    conf->group_id = "g";
    topic->name = "t.users";
    conf->topics = topic;
    conf->topic_count = 1;
    conf->max_in_flight = 64;
    conf->backoff_initial_ms = 500;
}

static void test_same_file_needs_nothing(void **state)
{
    struct br_conf a;
    struct br_conf b;
    struct br_conf_topic ta;
    struct br_conf_topic tb;
    const char *keys[8];
    (void)state;

    base(&a, &ta);
    base(&b, &tb);
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 8), 0);
    /* hooks and the hooks' delivery defaults apply live: not listed */
    b.backoff_initial_ms = 100;
    b.hook_count = 3;
    b.log_level = "debug";
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 8), 0);
}

static void test_restart_keys_are_listed_in_order(void **state)
{
    struct br_conf a;
    struct br_conf b;
    struct br_conf_topic ta;
    struct br_conf_topic tb;
    const char *keys[8];
    (void)state;

    base(&a, &ta);
    base(&b, &tb);
    b.group_id = "other";
    b.max_in_flight = 7;
    tb.name = "t.ranks";
    b.admin_listen = "127.0.0.1:9400";
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 8), 4);
    assert_string_equal(keys[0], "kafka.group_id");
    assert_string_equal(keys[1], "topics");
    assert_string_equal(keys[2], "delivery.max_in_flight");
    assert_string_equal(keys[3], "admin");
    /* more than cap: counted, not written past it */
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 2), 4);
    b.table_hooks.enabled = true;
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 8), 5);
    assert_string_equal(keys[4], "table_hooks");
}

/* A running table_hooks section: both files have it; a test changes one key in b. */
static void tables(struct br_conf *conf)
{
    conf->table_hooks.enabled = true;
    conf->table_hooks.topics = "perscom\\.(t[0-9]+)\\.webhooks";
    conf->table_hooks.tenant_group = 1;
    conf->table_hooks.record_tenant = "perscom\\.(t[0-9]+)\\..*";
    conf->table_hooks.record_tenant_group = 1;
    conf->table_hooks.discover_interval_ms = 30000;
    conf->table_hooks.topic.format = BR_FORMAT_CONFLUENT;
}

static void test_table_hooks_keys_each_need_a_restart(void **state)
{
    static const char *const want[] = {
        "table_hooks.topics", "table_hooks.tenant_group", "table_hooks.record_tenant",
        "table_hooks.record_tenant_group", "table_hooks.format", "table_hooks.schema",
        "table_hooks.discover_interval_ms",
    };
    struct br_conf a;
    struct br_conf b;
    struct br_conf_topic ta;
    struct br_conf_topic tb;
    const char *keys[16];
    (void)state;

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        base(&a, &ta);
        base(&b, &tb);
        tables(&a);
        tables(&b);
        assert_int_equal(br_confdiff_restart(&a, &b, keys, 16), 0);
        switch (i) {
        case 0:
            b.table_hooks.topics = "perscom\\.(t[0-9]+)\\.hooks";
            break;
        case 1:
            b.table_hooks.tenant_group = 2;
            break;
        case 2:
            b.table_hooks.record_tenant = "other\\.(t[0-9]+)\\..*";
            break;
        case 3:
            b.table_hooks.record_tenant_group = 2;
            break;
        case 4:
            b.table_hooks.topic.format = BR_FORMAT_AVRO;
            break;
        case 5:
            b.table_hooks.topic.schema_json = "{\"type\":\"record\"}";
            break;
        default:
            b.table_hooks.discover_interval_ms = 5000;
            break;
        }
        if (br_confdiff_restart(&a, &b, keys, 16) != 1 || strcmp(keys[0], want[i]) != 0) {
            fail_msg("change %zu: want only %s, got %zu key(s), first %s", i, want[i],
                     br_confdiff_restart(&a, &b, keys, 16), keys[0]);
        }
    }
    /* the section added (or removed) as a whole: one key, not each of its keys */
    base(&a, &ta);
    base(&b, &tb);
    tables(&b);
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 16), 1);
    assert_string_equal(keys[0], "table_hooks");
    assert_int_equal(br_confdiff_restart(&b, &a, keys, 16), 1);
    assert_string_equal(keys[0], "table_hooks");
}

/* The delivery settings every hook takes as defaults apply live, to the table hooks too. */
static void test_hook_defaults_apply_live_with_table_hooks(void **state)
{
    struct br_conf a;
    struct br_conf b;
    struct br_conf_topic ta;
    struct br_conf_topic tb;
    const char *keys[16];
    (void)state;

    base(&a, &ta);
    base(&b, &tb);
    tables(&a);
    tables(&b);
    b.backoff_initial_ms = 50;
    b.backoff_max_ms = 60000;
    b.max_attempts = 2;
    b.max_age_ms = 1000;
    b.retry_after_max_ms = 5;
    b.hooks_tls_min = BR_TLS_1_3;
    assert_int_equal(br_confdiff_restart(&a, &b, keys, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file_needs_nothing),
        cmocka_unit_test(test_restart_keys_are_listed_in_order),
        cmocka_unit_test(test_table_hooks_keys_each_need_a_restart),
        cmocka_unit_test(test_hook_defaults_apply_live_with_table_hooks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
