/*
 * Unit tests of the table_hooks: section (config/tablehooks.c): loading with its defaults, the
 * diagnostics of each mistake (file:line:col: key: message), the root's checks, and the tenant
 * read out of topic names. Each configuration is written to a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/conf.h"
#include "config/tablehooks.h"

#define ERR_SIZE 8192

static const char head[] = "kafka:\n"
                           "  brokers: 127.0.0.1:9092\n"
                           "  group_id: g\n"
                           "topics:\n"
                           "  - pattern: 'perscom\\.t[0-9]+\\..*'\n"
                           "hooks:\n"
                           "  - name: h\n"
                           "    url: http://127.0.0.1:8080/\n"
                           "    secret: x\n"
                           "    events: [\"*\"]\n"
                           "schema_registry:\n"
                           "  url: http://127.0.0.1:8081\n";

static char path[64];

/* Writes head + tail to a new temporary file named in path. */
static void write_conf(const char *tail)
{
    FILE *file;
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_tablehooks_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    file = fdopen(fd, "w");
    assert_non_null(file);
    fputs(head, file);
    fputs(tail, file);
    fclose(file);
}

static struct br_conf *load_ok(const char *tail)
{
    char err[ERR_SIZE] = "";
    struct br_conf *conf;

    write_conf(tail);
    conf = br_conf_load(path, err, sizeof(err));
    unlink(path);
    if (!conf) {
        fail_msg("did not load:\n%s", err);
    }
    return conf;
}

/* Loads head + tail, which must fail with exactly want (path replaced by "F"). */
static void load_bad(const char *tail, const char *want)
{
    char err[ERR_SIZE] = "";
    char got[ERR_SIZE] = "";
    struct br_conf *conf;
    size_t plen;
    size_t out = 0;

    write_conf(tail);
    conf = br_conf_load(path, err, sizeof(err));
    unlink(path);
    if (conf) {
        br_conf_destroy(conf);
        fail_msg("loaded, expected:\n%s", want);
    }
    plen = strlen(path);
    for (const char *p = err; *p && out + 2 < sizeof(got);) {
        if (strncmp(p, path, plen) == 0) {
            got[out++] = 'F';
            p += plen;
        } else {
            got[out++] = *p++;
        }
    }
    got[out] = '\0';
    if (strcmp(got, want) != 0) {
        fail_msg("\n got: %s\nwant: %s", got, want);
    }
}

static void test_absent(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("");
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    assert_false(conf->table_hooks.enabled);
    assert_false(br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_RECORDS,
                                      "perscom.t1.users", tenant, sizeof(tenant)));
    assert_string_equal(tenant, "");
    assert_false(br_tablehooks_is_webhooks_topic(&conf->table_hooks, "perscom.t1.webhooks"));
    br_conf_destroy(conf);
}

static void test_defaults_and_tenants(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("table_hooks:\n"
                                   "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
                                   "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n");
    const struct br_conf_table_hooks *section = &conf->table_hooks;
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    assert_true(section->enabled);
    assert_string_equal(section->topics, "perscom\\.(t[0-9]+)\\.webhooks");
    assert_int_equal(section->tenant_group, 1);
    assert_int_equal(section->record_tenant_group, 1);
    assert_int_equal(section->discover_interval_ms, 30000);
    assert_int_equal(section->topic.format, BR_FORMAT_CONFLUENT);
    assert_null(section->topic.schema_json);

    assert_true(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS, "perscom.t12.webhooks",
                                     tenant, sizeof(tenant)));
    assert_string_equal(tenant, "t12");
    assert_true(br_tablehooks_is_webhooks_topic(section, "perscom.t12.webhooks"));
    assert_true(br_tablehooks_tenant(section, BR_TABLEHOOKS_RECORDS, "perscom.t7.records_ranks",
                                     tenant, sizeof(tenant)));
    assert_string_equal(tenant, "t7");
    /* anchored: a match inside a longer name is no match */
    assert_false(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS, "xperscom.t1.webhooks",
                                      tenant, sizeof(tenant)));
    assert_string_equal(tenant, "");
    assert_false(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS,
                                      "perscom.t1.webhooks.old", tenant, sizeof(tenant)));
    assert_false(br_tablehooks_is_webhooks_topic(section, "perscom.t1.users"));
    assert_false(br_tablehooks_tenant(section, BR_TABLEHOOKS_RECORDS, "other.t1.users", tenant,
                                      sizeof(tenant)));
    /* a tenant that does not fit the caller's buffer is no tenant */
    assert_false(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS, "perscom.t12.webhooks",
                                      tenant, 3));
    assert_true(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS, "perscom.t12.webhooks",
                                     tenant, 4));
    assert_string_equal(tenant, "t12");
    br_conf_destroy(conf);
}

static void test_groups_and_avro(void **state)
{
    (void)state;
    char cwd[512];
    char tail[2048];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(tail, sizeof(tail),
             "table_hooks:\n"
             "  topics: '(dbz|cdc)\\.perscom_([a-z0-9_]+)\\.webhooks'\n"
             "  tenant_group: 2\n"
             "  record_tenant: '(dbz|cdc)\\.perscom_([a-z0-9_]+)\\.(records_[a-z]+|users)'\n"
             "  record_tenant_group: 2\n"
             "  format: avro\n"
             "  schema: %s/../../../schemas/webhooks.avsc\n",
             cwd);
    struct br_conf *conf = load_ok(tail);
    const struct br_conf_table_hooks *section = &conf->table_hooks;
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    assert_int_equal(section->topic.format, BR_FORMAT_AVRO);
    assert_non_null(section->topic.schema_json);
    assert_non_null(strstr(section->topic.schema_json, "\"perscom.webhooks\""));
    assert_true(br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS,
                                     "cdc.perscom_acme_2.webhooks", tenant, sizeof(tenant)));
    assert_string_equal(tenant, "acme_2");
    assert_true(br_tablehooks_tenant(section, BR_TABLEHOOKS_RECORDS, "dbz.perscom_acme.users",
                                     tenant, sizeof(tenant)));
    assert_string_equal(tenant, "acme");
    assert_false(br_tablehooks_tenant(section, BR_TABLEHOOKS_RECORDS, "dbz.perscom_acme.events",
                                      tenant, sizeof(tenant)));
    br_conf_destroy(conf);
}

/* The fixture with every key (also a seed of fuzz_conf). */
static void test_fixture(void **state)
{
    (void)state;
    char err[ERR_SIZE] = "";
    struct br_conf *conf = br_conf_load("conf/good_table_hooks.yaml", err, sizeof(err));
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    if (!conf) {
        fail_msg("did not load:\n%s", err);
    }
    assert_true(conf->table_hooks.enabled);
    assert_int_equal(conf->table_hooks.tenant_group, 2);
    assert_int_equal(conf->table_hooks.record_tenant_group, 2);
    assert_int_equal(conf->table_hooks.discover_interval_ms, 5000);
    assert_int_equal(conf->table_hooks.topic.format, BR_FORMAT_AVRO);
    assert_string_equal(conf->table_hooks.topic.schema_path,
                        "conf/../../../../schemas/webhooks.avsc");
    assert_non_null(conf->table_hooks.topic.schema_json);
    assert_true(br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_RECORDS,
                                     "dbz.perscom_tenant_7.records_ranks", tenant,
                                     sizeof(tenant)));
    assert_string_equal(tenant, "tenant_7");
    assert_true(br_tablehooks_is_webhooks_topic(&conf->table_hooks,
                                                "cdc.perscom_tenant_7.webhooks"));
    br_conf_destroy(conf);
}

/* A group that matches nothing (optional) or an empty text gives no tenant. */
static void test_empty_group(void **state)
{
    (void)state;
    struct br_conf *conf = load_ok("table_hooks:\n"
                                   "  topics: 'p\\.(x)?([a-z]*)\\.webhooks'\n"
                                   "  tenant_group: 2\n"
                                   "  record_tenant: 'p\\.(x)?\\..*'\n");
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    assert_false(br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_WEBHOOKS, "p..webhooks",
                                      tenant, sizeof(tenant)));
    assert_true(br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_WEBHOOKS,
                                     "p.xab.webhooks", tenant, sizeof(tenant)));
    assert_string_equal(tenant, "ab");
    assert_false(br_tablehooks_tenant(&conf->table_hooks, BR_TABLEHOOKS_RECORDS, "p..users",
                                      tenant, sizeof(tenant)));
    br_conf_destroy(conf);
}

static void test_bad_regex(void **state)
{
    (void)state;
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n",
             "F:14:11: table_hooks.topics: invalid regular expression: Unmatched ( or \\(");
}

static void test_no_group(void **state)
{
    (void)state;
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.t[0-9]+\\..*'\n",
             "F:15:18: table_hooks.record_tenant: needs a group, (...), that captures the "
             "tenant (record_tenant_group says which; 1 by default)");
}

static void test_group_out_of_range(void **state)
{
    (void)state;
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  tenant_group: 2\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\.(users|events)'\n"
             "  record_tenant_group: 3\n",
             "F:14:11: table_hooks.topics: tenant_group is 2 but the expression has 1 group\n"
             "F:16:18: table_hooks.record_tenant: record_tenant_group is 3 but the expression "
             "has 2 groups");
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  tenant_group: 0\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n",
             "F:15:17: table_hooks.tenant_group: must be between 1 and 9, got 0");
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n"
             "  discover_interval_ms: 999\n",
             "F:16:25: table_hooks.discover_interval_ms: must be between 1000 and 3600000, "
             "got 999");
}

static void test_missing_keys(void **state)
{
    (void)state;
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n",
             "F:14:3: table_hooks.record_tenant: required key is missing");
    load_bad("table_hooks:\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n",
             "F:14:3: table_hooks.topics: required key is missing");
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n"
             "  tenants: x\n",
             "F:16:3: table_hooks.tenants: unknown key (expected one of topics, tenant_group, "
             "record_tenant, record_tenant_group, format, schema, "
             "discover_interval_ms)");
}

static void test_format_rules(void **state)
{
    (void)state;
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n"
             "  format: avro\n",
             "F:14:3: table_hooks.schema: required when format is avro");
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n"
             "  schema: nowhere.avsc\n",
             "F:16:11: table_hooks.schema: only allowed when format is avro");
    load_bad("table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n"
             "  format: avro\n"
             "  schema: /nonexistent/webhooks.avsc\n",
             "F:17:11: table_hooks.schema: cannot read /nonexistent/webhooks.avsc: No such file "
             "or directory");
}

/* Webhooks topics of format confluent need the registry, as confluent record topics do. */
static void test_registry_required(void **state)
{
    (void)state;
    char cwd[512];
    char tail[1024];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    /* head's record topics are confluent with a registry: this file replaces them */
    snprintf(tail, sizeof(tail),
             "table_hooks:\n"
             "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
             "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n");
    char err[ERR_SIZE] = "";
    FILE *file;
    int fd;
    struct br_conf *conf;
    char want[512];

    snprintf(path, sizeof(path), "/tmp/test_tablehooks_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    file = fdopen(fd, "w");
    fprintf(file,
            "kafka: {brokers: 'b:1', group_id: g}\n"
            "topics:\n"
            "  - name: perscom.t1.users\n"
            "    format: avro\n"
            "    schema: %s/../../../schemas/users.avsc\n"
            "hooks:\n"
            "  - {name: h, url: 'http://127.0.0.1:1/', secret: x, events: ['*']}\n"
            "%s",
            cwd, tail);
    fclose(file);
    conf = br_conf_load(path, err, sizeof(err));
    unlink(path);
    assert_null(conf);
    snprintf(want, sizeof(want),
             "%s:1:1: schema_registry: required key is missing (table_hooks has format "
             "confluent)",
             path);
    assert_string_equal(err, want);
}

/* hooks: may be left out when table_hooks gives every hook; without either it is required */
static void test_hooks_optional_with_table_hooks(void **state)
{
    (void)state;
    char err[ERR_SIZE] = "";
    struct br_conf *conf = br_conf_load("conf/good_table_hooks_only.yaml", err, sizeof(err));

    if (!conf) {
        fail_msg("%s", err);
    }
    assert_true(conf->table_hooks.enabled);
    assert_int_equal(conf->hook_count, 0);
    br_conf_destroy(conf);

    conf = br_conf_load("conf/bad_missing_hooks.yaml", err, sizeof(err));
    assert_null(conf);
    assert_string_equal(err, "conf/bad_missing_hooks.yaml:1:1: hooks: required key is missing");
}

static void test_root_names(void **state)
{
    (void)state;
    char err[ERR_SIZE] = "";
    FILE *file;
    int fd;
    struct br_conf *conf;

    snprintf(path, sizeof(path), "/tmp/test_tablehooks_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    file = fdopen(fd, "w");
    fputs("kafka: {brokers: 'b:1', group_id: g}\n"
          "schema_registry: {url: 'http://r:1'}\n"
          "topics:\n"
          "  - name: perscom.t1.users\n"
          "  - name: perscom.t1.webhooks\n"
          "    resource: user\n"
          "hooks:\n"
          "  - name: ok\n"
          "    url: http://127.0.0.1:1/\n"
          "    secret: x\n"
          "    events: ['*']\n"
          "  - name: 'tenant:t1:webhook:1'\n"
          "    url: http://127.0.0.1:1/\n"
          "    secret: x\n"
          "    events: ['*']\n"
          "table_hooks:\n"
          "  topics: 'perscom\\.(t[0-9]+)\\.webhooks'\n"
          "  record_tenant: 'perscom\\.(t[0-9]+)\\..*'\n",
          file);
    fclose(file);
    conf = br_conf_load(path, err, sizeof(err));
    unlink(path);
    assert_null(conf);
    char want[1024];
    snprintf(want, sizeof(want),
             "%s:12:11: hooks[1].name: names starting with \"tenant:\" are kept for table hooks "
             "(table_hooks)\n"
             "%s:5:11: topics[1].name: \"perscom.t1.webhooks\" is a webhooks topic "
             "(table_hooks.topics), not a record topic",
             path, path);
    assert_string_equal(err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_defaults_and_tenants),
        cmocka_unit_test(test_groups_and_avro),
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_empty_group),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_no_group),
        cmocka_unit_test(test_group_out_of_range),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_format_rules),
        cmocka_unit_test(test_registry_required),
        cmocka_unit_test(test_hooks_optional_with_table_hooks),
        cmocka_unit_test(test_root_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
