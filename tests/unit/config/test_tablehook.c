/*
 * Unit tests of config/tablehook.c: a hook built from one webhooks row (every setting checked
 * against the row, PERSCOM's timeout and the bridge's delivery settings), each refusal with its
 * reason, names, and events given as JSON text or as an array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config/conf.h"
#include "config/tablehook.h"

static struct br_conf conf;

static int setup(void **state)
{
    (void)state;
    memset(&conf, 0, sizeof(conf));
    conf.backoff_initial_ms = 250;
    conf.backoff_max_ms = 9000;
    conf.max_attempts = 7;
    conf.max_age_ms = 120000;
    conf.retry_after_max_ms = 30000;
    conf.hooks_tls_min = BR_TLS_1_3;
    return 0;
}

/* A row with every column valid; tests change one. */
struct fixture {
    json_t *events;
    struct br_tablehook_row row;
};

static void fixture_init(struct fixture *f, const char *events_text)
{
    f->events = json_string(events_text);
    f->row = (struct br_tablehook_row){.id = "42",
                                       .url = "https://hooks.example/perscom?token=a&b=c",
                                       .method = "post",
                                       .events = f->events,
                                       .secret = "s3cret",
                                       .secret_len = 6};
}

static void test_valid_post(void **state)
{
    (void)state;
    struct fixture f;
    char err[256] = "";
    struct br_conf_hook *hook;

    fixture_init(&f, "[\"user.created\",\"rankrecord.deleted\",\"user.created\"]");
    hook = br_tablehook_build(&conf, "tenant1", &f.row, err, sizeof(err));
    if (!hook) {
        fail_msg("refused: %s", err);
    }
    assert_string_equal(hook->name, "tenant:tenant1:webhook:42");
    assert_string_equal(hook->url, "https://hooks.example/perscom?token=a&b=c");
    assert_int_equal(hook->method, BR_METHOD_POST);
    assert_int_equal(hook->signature, BR_SIGNATURE_PERSCOM);
    assert_int_equal(hook->secret_count, 1);
    assert_string_equal(hook->secret, "s3cret");
    assert_int_equal(hook->secret_len, 6);
    assert_ptr_equal(hook->secret, hook->secrets[0].text);
    assert_null(hook->secrets[0].key);
    /* a repeated name is kept once, in order */
    assert_int_equal(hook->event_count, 2);
    assert_string_equal(hook->events[0], "user.created");
    assert_string_equal(hook->events[1], "rankrecord.deleted");
    assert_int_equal(hook->timeout_ms, 3000);
    assert_int_equal(hook->header_count, 0);
    assert_null(hook->headers);
    assert_int_equal(hook->auth, BR_AUTH_NONE);
    assert_null(hook->proxy);
    assert_null(hook->no_proxy);
    assert_null(hook->tls_ca_file);
    /* delivery.* */
    assert_int_equal(hook->retry.initial_ms, 250);
    assert_int_equal(hook->retry.max_ms, 9000);
    assert_int_equal(hook->retry.max_attempts, 7);
    assert_int_equal(hook->retry.max_age_ms, 120000);
    assert_int_equal(hook->retry.retry_after_max_ms, 30000);
    assert_int_equal(hook->tls_min, BR_TLS_1_3);
    assert_int_equal(hook->retry_backoff_initial_ms, -1);
    assert_int_equal(hook->tls_min_version, -1);
    br_tablehook_free(hook);
    json_decref(f.events);
}

static void test_valid_get_array(void **state)
{
    (void)state;
    struct fixture f;
    char err[256] = "";
    struct br_conf_hook *hook;
    json_t *array = json_pack("[s,s]", "event.updated", "submission.created");

    fixture_init(&f, "unused");
    f.row.events = array;
    f.row.method = "get";
    f.row.url = "http://127.0.0.1:9000/in?x=1";
    f.row.id = "18446744073709551615";
    /* a secret may hold any byte, NUL included */
    f.row.secret = "a\0b";
    f.row.secret_len = 3;
    hook = br_tablehook_build(&conf, "acme-prod.eu", &f.row, err, sizeof(err));
    if (!hook) {
        fail_msg("refused: %s", err);
    }
    assert_string_equal(hook->name, "tenant:acme-prod.eu:webhook:18446744073709551615");
    assert_int_equal(hook->method, BR_METHOD_GET);
    assert_string_equal(hook->url, "http://127.0.0.1:9000/in?x=1");
    assert_int_equal(hook->event_count, 2);
    assert_string_equal(hook->events[1], "submission.created");
    assert_int_equal(hook->secret_len, 3);
    assert_memory_equal(hook->secret, "a\0b", 3);
    br_tablehook_free(hook);
    json_decref(array);
    json_decref(f.events);
}

struct refusal {
    const char *what;
    const char *id;
    const char *url;
    const char *method;
    const char *events; /* JSON text; NULL: missing */
    const char *secret; /* NULL: missing */
    const char *tenant;
    const char *reason;
};

static const struct refusal refusals[] = {
    {"unknown event", "1", "http://h/", "post", "[\"user.created\",\"user.archived\"]", "s",
     "t", "unknown event \"user.archived\" in events"},
    {"pattern", "1", "http://h/", "post", "[\"user.*\"]", "s", "t",
     "unknown event \"user.*\" in events"},
    {"star", "1", "http://h/", "post", "[\"*\"]", "s", "t", "unknown event \"*\" in events"},
    {"not a string", "1", "http://h/", "post", "[\"user.created\",3]", "s", "t",
     "events[1] is not a string"},
    {"empty", "1", "http://h/", "post", "[]", "s", "t",
     "events is empty: the hook would receive nothing"},
    {"object", "1", "http://h/", "post", "{\"a\":1}", "s", "t", "events is not a JSON array"},
    {"not JSON", "1", "http://h/", "post", "[user.created", "s", "t",
     "events is not JSON: invalid token near 'user'"},
    {"no events", "1", "http://h/", "post", NULL, "s", "t", "events is missing"},
    {"ftp", "1", "ftp://h/", "post", "[\"user.created\"]", "s", "t",
     "url must be an http:// or https:// URL with a host"},
    {"no host", "1", "https:///x", "post", "[\"user.created\"]", "s", "t",
     "url must be an http:// or https:// URL with a host"},
    {"space", "1", "http://h/a b", "post", "[\"user.created\"]", "s", "t",
     "url must not contain spaces or control characters"},
    {"no url", "1", NULL, "post", "[\"user.created\"]", "s", "t", "url is missing"},
    {"put", "1", "http://h/", "put", "[\"user.created\"]", "s", "t",
     "method \"put\" is not get or post"},
    {"upper case", "1", "http://h/", "POST", "[\"user.created\"]", "s", "t",
     "method \"POST\" is not get or post"},
    {"control", "1", "http://h/", "po\x01st", "[\"user.created\"]", "s", "t",
     "method \"po?st\" is not get or post"},
    {"no method", "1", "http://h/", NULL, "[\"user.created\"]", "s", "t", "method is missing"},
    {"no secret", "1", "http://h/", "get", "[\"user.created\"]", NULL, "t", "secret is missing"},
    {"empty secret", "1", "http://h/", "get", "[\"user.created\"]", "", "t", "secret is empty"},
    {"no id", NULL, "http://h/", "get", "[\"user.created\"]", "s", "t", "id is missing"},
    {"bad id", "4x", "http://h/", "get", "[\"user.created\"]", "s", "t",
     "id \"4x\" is not a whole number"},
    {"no tenant", "1", "http://h/", "get", "[\"user.created\"]", "s", "",
     "no hook name for tenant \"\" and id 1"},
};

static void test_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal *r = &refusals[i];
        json_t *events = r->events ? json_string(r->events) : NULL;
        struct br_tablehook_row row = {.id = r->id,
                                       .url = r->url,
                                       .method = r->method,
                                       .events = events,
                                       .secret = r->secret,
                                       .secret_len = r->secret ? strlen(r->secret) : 0};
        char err[256] = "";
        struct br_conf_hook *hook = br_tablehook_build(&conf, r->tenant, &row, err, sizeof(err));

        if (hook) {
            br_tablehook_free(hook);
            fail_msg("%s: built, expected \"%s\"", r->what, r->reason);
        }
        if (strcmp(err, r->reason) != 0) {
            fail_msg("%s:\n got: %s\nwant: %s", r->what, err, r->reason);
        }
        json_decref(events);
    }
}

/* A reason never shows the URL (it may hold credentials) nor the secret. */
static void test_reason_hides_url(void **state)
{
    (void)state;
    struct fixture f;
    char err[256] = "";

    fixture_init(&f, "[\"user.created\"]");
    f.row.url = "ftp://user:hunter2@h/";
    assert_null(br_tablehook_build(&conf, "t", &f.row, err, sizeof(err)));
    assert_null(strstr(err, "hunter2"));
    json_decref(f.events);
}

static void test_name(void **state)
{
    (void)state;
    char out[BR_TABLEHOOK_NAME_MAX];
    char small[12];

    assert_int_equal(br_tablehook_name("t1", "7", out, sizeof(out)), 0);
    assert_string_equal(out, "tenant:t1:webhook:7");
    assert_int_equal(br_tablehook_name("t1", "7", small, sizeof(small)), -1);
    assert_string_equal(small, "");
    assert_int_equal(br_tablehook_name("", "7", out, sizeof(out)), -1);
    assert_int_equal(br_tablehook_name("t1", "", out, sizeof(out)), -1);
}

/*
 * A reload's delivery settings reach a table hook: built again from its own row under another
 * configuration, it is what that row gives under it (br_conf_hook_equal), with the new retry
 * policy, TLS floor and max_in_flight, and the same url, method, events and secret.
 */
static void test_rebuild_takes_the_new_defaults(void **state)
{
    (void)state;
    struct fixture f;
    struct br_conf reloaded;
    char err[256] = "";
    struct br_conf_hook *hook;
    struct br_conf_hook *again;
    struct br_conf_hook *direct;

    fixture_init(&f, "[\"user.created\",\"rankrecord.deleted\"]");
    f.row.method = "get";
    f.row.secret = "a\0b";
    f.row.secret_len = 3;
    conf.max_in_flight = 64;
    hook = br_tablehook_build(&conf, "acme:eu", &f.row, err, sizeof(err));
    if (!hook) {
        fail_msg("refused: %s", err);
    }
    assert_int_equal(hook->max_in_flight, 64);
    reloaded = conf;
    reloaded.backoff_initial_ms = 40;
    reloaded.backoff_max_ms = 80;
    reloaded.max_attempts = 2;
    reloaded.max_age_ms = 5000;
    reloaded.retry_after_max_ms = 7;
    reloaded.hooks_tls_min = BR_TLS_1_2;
    reloaded.max_in_flight = 8;
    again = br_tablehook_rebuild(&reloaded, "acme:eu", hook, err, sizeof(err));
    if (!again) {
        fail_msg("not built again: %s", err);
    }
    assert_string_equal(again->name, "tenant:acme:eu:webhook:42");
    assert_string_equal(again->url, hook->url);
    assert_int_equal(again->method, BR_METHOD_GET);
    assert_int_equal(again->event_count, 2);
    assert_string_equal(again->events[0], "user.created");
    assert_string_equal(again->events[1], "rankrecord.deleted");
    assert_int_equal(again->secret_len, 3);
    assert_memory_equal(again->secret, "a\0b", 3);
    assert_int_equal(again->retry.initial_ms, 40);
    assert_int_equal(again->retry.max_ms, 80);
    assert_int_equal(again->retry.max_attempts, 2);
    assert_int_equal(again->retry.max_age_ms, 5000);
    assert_int_equal(again->retry.retry_after_max_ms, 7);
    assert_int_equal(again->tls_min, BR_TLS_1_2);
    assert_int_equal(again->max_in_flight, 8);
    assert_false(br_conf_hook_equal(hook, again));
    direct = br_tablehook_build(&reloaded, "acme:eu", &f.row, err, sizeof(err));
    assert_non_null(direct);
    assert_true(br_conf_hook_equal(direct, again));
    /* under the same configuration: the same hook (a reload that changes nothing, no version) */
    br_tablehook_free(direct);
    direct = br_tablehook_rebuild(&conf, "acme:eu", hook, err, sizeof(err));
    assert_non_null(direct);
    assert_true(br_conf_hook_equal(direct, hook));
    /* another tenant's name does not hold this hook's id */
    assert_null(br_tablehook_rebuild(&conf, "acme", hook, err, sizeof(err)));
    assert_string_equal(err, "not a table hook of tenant \"acme\"");
    br_tablehook_free(direct);
    br_tablehook_free(again);
    br_tablehook_free(hook);
    json_decref(f.events);
}

/* br_tablehook_defaults alone: what a row applied after a reload gets. */
static void test_defaults_set_delivery_settings(void **state)
{
    (void)state;
    struct fixture f;
    struct br_conf reloaded;
    char err[256] = "";
    struct br_conf_hook *hook;

    fixture_init(&f, "[\"user.created\"]");
    hook = br_tablehook_build(&conf, "t1", &f.row, err, sizeof(err));
    assert_non_null(hook);
    assert_int_equal(hook->retry.max_attempts, 7);
    reloaded = conf;
    reloaded.max_attempts = 3;
    reloaded.backoff_initial_ms = 11;
    reloaded.max_in_flight = 5;
    br_tablehook_defaults(&reloaded, hook);
    assert_int_equal(hook->retry.max_attempts, 3);
    assert_int_equal(hook->retry.initial_ms, 11);
    assert_int_equal(hook->retry.max_ms, 9000);
    assert_int_equal(hook->max_in_flight, 5);
    br_tablehook_free(hook);
    json_decref(f.events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rebuild_takes_the_new_defaults, setup),
        cmocka_unit_test_setup(test_defaults_set_delivery_settings, setup),
        cmocka_unit_test_setup(test_valid_post, setup),
        cmocka_unit_test_setup(test_valid_get_array, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_reason_hides_url, setup),
        cmocka_unit_test(test_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
