/*
 * Unit tests of hookview.c without a broker: the YAML hooks alone (no table hooks read), their
 * indexes, the routing of a topic (every YAML hook), the names that belong to table hooks, and
 * the list printed for a usage error. The table hooks themselves (read from a real broker,
 * routed to their tenant only) are tests/integration/test_tablehooks.py's
 * test_commands_know_the_table_hooks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/hookview.h"
#include "config/conf.h"

static struct br_conf *load(const char *path)
{
    char err[4096] = "";
    struct br_conf *conf = br_conf_load(path, err, sizeof(err));

    if (!conf) {
        fail_msg("%s: %s", path, err);
    }
    return conf;
}

static char *printed(const struct br_hookview *view)
{
    static char text[1024];
    FILE *f = fmemopen(text, sizeof(text), "w");

    assert_non_null(f);
    br_hookview_print(view, f);
    fclose(f);
    return text;
}

static void test_yaml_hooks_only(void **state)
{
    (void)state;
    struct br_conf *conf;

    /* the fixture's ${VAR}s */
    setenv("CONF_TEST_SASL", "x", 1);
    setenv("CONF_TEST_SR_PASSWORD", "x", 1);
    setenv("CONF_TEST_SECRET", "x", 1);
    conf = load("conf/good.yaml");
    char errstr[256] = "";
    /* with_table is ignored without table_hooks: nothing is read */
    struct br_hookview *view = br_hookview_create(conf, true, NULL, NULL, errstr,
                                                  sizeof(errstr));
    struct br_hook_list list;
    const size_t *indexes = NULL;
    size_t index = 99;

    assert_non_null(view);
    assert_int_equal(br_hookview_count(view), 2);
    assert_ptr_equal(br_hookview_find(view, "reports", &index), &conf->hooks[1]);
    assert_int_equal(index, 1);
    assert_ptr_equal(br_hookview_find(view, "discord", NULL), &conf->hooks[0]);
    assert_null(br_hookview_find(view, "tenant:t1:webhook:1", NULL));
    assert_null(br_hookview_find(view, NULL, NULL));

    br_hookview_for_topic(view, "perscom.tenant1.records_ranks", &list, &indexes);
    assert_int_equal(list.count, 2);
    assert_ptr_equal(list.hooks[0], &conf->hooks[0]);
    assert_ptr_equal(list.hooks[1], &conf->hooks[1]);
    assert_int_equal(indexes[0], 0);
    assert_int_equal(indexes[1], 1);

    assert_false(br_hookview_is_table_name(conf, "tenant:t1:webhook:1")); /* no table_hooks */
    assert_string_equal(printed(view), "configured hooks: discord, reports\n");
    br_hookview_destroy(view);
    br_conf_destroy(conf);
}

static void test_table_names_and_yaml_view(void **state)
{
    (void)state;
    struct br_conf *conf = load("conf/good_table_hooks.yaml");
    char errstr[256] = "";
    /* with_table false: the webhooks topics are not read (no broker needed) */
    struct br_hookview *view = br_hookview_create(conf, false, NULL, NULL, errstr,
                                                  sizeof(errstr));
    struct br_hook_list list;

    assert_non_null(view);
    assert_true(br_hookview_is_table_name(conf, "tenant:acme:webhook:7"));
    assert_false(br_hookview_is_table_name(conf, "operator"));
    assert_false(br_hookview_is_table_name(conf, "tenant"));
    assert_false(br_hookview_is_table_name(conf, NULL));
    assert_int_equal(br_hookview_count(view), 1);
    br_hookview_for_topic(view, "dbz.perscom_acme.users", &list, NULL);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.hooks[0]->name, "operator");
    assert_string_equal(printed(view), "configured hooks: operator\n");
    br_hookview_destroy(view);
    br_conf_destroy(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_hooks_only),
        cmocka_unit_test(test_table_names_and_yaml_view),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
