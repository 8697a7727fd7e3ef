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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_file_needs_nothing),
        cmocka_unit_test(test_restart_keys_are_listed_in_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
