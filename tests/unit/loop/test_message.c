/*
 * Unit tests of message.c: one Kafka message -> the requests it owes (topic entry, decode,
 * event name, subscribed hooks, render, sign), as the run loop and the render command see it.
 * The configuration is message/bridge.yaml; the message is decode/ranks_update.bin (a
 * records_ranks update written by fastavro, see decode/make_fixtures.py), plain Avro.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop/message.h"
#include "perscom/sign.h"

struct fixture {
    struct br_conf *conf;
    struct br_registry *registry;
    struct br_decoder *decoder;
    char value[512]; /* ranks_update.bin */
    size_t len;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char errstr[2048];
    FILE *file;

    assert_non_null(fx);
    fx->conf = br_conf_load("message/bridge.yaml", errstr, sizeof(errstr));
    if (!fx->conf) {
        fail_msg("config: %s", errstr);
    }
    /* a registry nobody listens on: framed messages cannot get their schema */
    fx->registry = br_registry_create(fx->conf->registry_url, NULL, NULL, NULL);
    fx->decoder = br_decoder_create(fx->registry);
    file = fopen("decode/ranks_update.bin", "rb");
    assert_non_null(file);
    fx->len = fread(fx->value, 1, sizeof(fx->value), file);
    fclose(file);
    assert_int_equal(fx->len, 144);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    br_decoder_destroy(fx->decoder);
    br_registry_destroy(fx->registry);
    br_conf_destroy(fx->conf);
    free(fx);
    return 0;
}

static struct br_message_in message_in(const char *topic, const void *value, size_t len)
{
    struct br_message_in in = {
        .topic = topic,
        .partition = 3,
        .offset = 41,
        .value = value,
        .len = len,
    };
    return in;
}

static enum br_prepare_status prepare(struct fixture *fx, const struct br_message_in *in,
                                      const char *only_hook, struct br_prepared *out,
                                      char *errstr, size_t errstr_size)
{
    errstr[0] = '\0';
    return br_message_prepare(fx->conf, fx->decoder, in, only_hook, out, errstr, errstr_size);
}

static void assert_signed(const struct br_request *request, const char *secret,
                          const char *json)
{
    char expected[BR_SIGN_HEX_LEN + 1];
    char errstr[256];

    assert_int_equal(br_sign_hex(secret, strlen(secret), json, strlen(json), expected, errstr,
                                 sizeof(errstr)),
                     0);
    assert_string_equal(request->signature, expected);
}

static void test_update_to_subscribed_hooks(void **state)
{
    struct fixture *fx = *state;
    struct br_message_in in = message_in("perscom.perscom.records_ranks", fx->value, fx->len);
    struct br_prepared prepared;
    char errstr[512];
    json_error_t error;
    json_t *body;

    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_string_equal(prepared.event, "rankrecord.updated");
    /* no request_id header: the name-based UUID of "topic/3/41" (Python's uuid5 agrees) */
    assert_string_equal(prepared.request_id, "283d30ca-3976-575f-8e93-6208d5da8ba8");
    /* discord (rankrecord.*) and audit (*.updated); users (user.*) is not subscribed */
    assert_int_equal(prepared.count, 2);
    assert_ptr_equal(prepared.requests[0].hook, &fx->conf->hooks[0]);
    assert_ptr_equal(prepared.requests[1].hook, &fx->conf->hooks[1]);

    assert_int_equal(prepared.requests[0].method, BR_METHOD_POST);
    assert_string_equal(prepared.requests[0].url, "http://127.0.0.1:8080/discord");
    assert_non_null(prepared.requests[0].body);
    assert_int_equal(strlen(prepared.requests[0].body), prepared.requests[0].body_len);
    /* the row's text holds a NUL (\u0000 in the body) */
    body = json_loadb(prepared.requests[0].body, prepared.requests[0].body_len, JSON_ALLOW_NUL,
                      &error);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "event")),
                        "rankrecord.updated");
    assert_string_equal(json_string_value(json_object_get(body, "request_id")),
                        "283d30ca-3976-575f-8e93-6208d5da8ba8");
    assert_true(json_is_null(json_object_get(body, "trace_id")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(body, "data"), "id")),
                     12);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(body, "data"), "rank_id")), 5);
    json_decref(body);

    /* the payload is encoded once; each hook signs that encoding with its own secret */
    assert_int_equal(prepared.requests[1].method, BR_METHOD_GET);
    assert_null(prepared.requests[1].body);
    assert_true(strncmp(prepared.requests[1].url, "http://127.0.0.1:8080/audit?src=bridge&",
                        strlen("http://127.0.0.1:8080/audit?src=bridge&")) == 0);
    assert_non_null(strstr(prepared.requests[1].url, "event=rankrecord.updated"));
    assert_signed(&prepared.requests[0], "s1", prepared.requests[0].body);
    assert_signed(&prepared.requests[1], "s2", prepared.requests[0].body);
    br_prepared_finish(&prepared);
    assert_null(prepared.requests);
    assert_int_equal(prepared.count, 0);
}

static void test_headers_carry_ids(void **state)
{
    struct fixture *fx = *state;
    struct br_message_in in = message_in("perscom.perscom.records_ranks", fx->value, fx->len);
    struct br_prepared prepared;
    char errstr[512];
    json_t *body;

    in.request_id = "req-7";
    in.trace_id = "trace-9";
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_string_equal(prepared.request_id, "req-7");
    body = json_loadb(prepared.requests[0].body, prepared.requests[0].body_len, JSON_ALLOW_NUL,
                      NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "request_id")), "req-7");
    assert_string_equal(json_string_value(json_object_get(body, "trace_id")), "trace-9");
    json_decref(body);
    br_prepared_finish(&prepared);
}

static void test_only_hook(void **state)
{
    struct fixture *fx = *state;
    struct br_message_in in = message_in("perscom.perscom.records_ranks", fx->value, fx->len);
    struct br_prepared prepared;
    char errstr[512];

    assert_int_equal(prepare(fx, &in, "audit", &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_int_equal(prepared.count, 1);
    assert_ptr_equal(prepared.requests[0].hook, &fx->conf->hooks[1]);
    br_prepared_finish(&prepared);
    /* a hook that is not subscribed (or does not exist): named, but nothing to send */
    assert_int_equal(prepare(fx, &in, "users", &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_int_equal(prepared.count, 0);
    assert_null(prepared.requests);
    assert_string_equal(prepared.event, "rankrecord.updated");
    assert_int_equal(prepare(fx, &in, "nope", &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_int_equal(prepared.count, 0);
}

/* The fixture with its op ("u", the only "\x02u" in it) replaced by op. */
static size_t with_op(const struct fixture *fx, char op, char *out)
{
    char *at;

    memcpy(out, fx->value, fx->len);
    at = memmem(out, fx->len, "\x02u", 2);
    assert_non_null(at);
    assert_null(memmem(at + 1, fx->len - (size_t)(at + 1 - out), "\x02u", 2));
    at[1] = op;
    return fx->len;
}

static void test_snapshot_reads(void **state)
{
    struct fixture *fx = *state;
    char value[512];
    size_t len = with_op(fx, 'r', value);
    struct br_message_in skipped = message_in("perscom.perscom.records_ranks", value, len);
    struct br_message_in created = message_in("snap.ranks", value, len);
    struct br_prepared prepared;
    char errstr[512];

    assert_int_equal(prepare(fx, &skipped, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_SKIP);
    assert_int_equal(prepared.skip, BR_SKIP_SNAPSHOT);
    assert_int_equal(prepared.count, 0);
    /* snapshot: created -> rankrecord.created, which audit (*.updated) does not want */
    assert_int_equal(prepare(fx, &created, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_string_equal(prepared.event, "rankrecord.created");
    assert_int_equal(prepared.count, 1);
    assert_ptr_equal(prepared.requests[0].hook, &fx->conf->hooks[0]);
    br_prepared_finish(&prepared);
}

static void test_tombstone_is_skipped(void **state)
{
    struct fixture *fx = *state;
    struct br_message_in in = message_in("perscom.perscom.records_ranks", NULL, 0);
    struct br_prepared prepared;
    char errstr[512];

    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_SKIP);
    assert_int_equal(prepared.skip, BR_SKIP_TOMBSTONE);
    assert_int_equal(prepared.count, 0);
    assert_null(prepared.requests);
}

static void test_undeliverable(void **state)
{
    struct fixture *fx = *state;
    struct br_message_in in;
    struct br_prepared prepared;
    char errstr[512];

    in = message_in("other.topic", fx->value, fx->len);
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_string_equal(errstr, "topic other.topic matches no entry of topics");

    /* a table that is no PERSCOM resource is skipped, not undeliverable (test_message_skip.c) */
    in = message_in("perscom.perscom.widgets", fx->value, fx->len);
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_SKIP);
    assert_int_equal(prepared.skip, BR_SKIP_NOT_PERSCOM_TABLE);
    assert_non_null(strstr(errstr, "not a PERSCOM table"));

    in = message_in("perscom.perscom.records_ranks", fx->value, 20); /* cut short */
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_true(errstr[0] != '\0');
    assert_int_equal(prepared.count, 0);
    assert_null(prepared.requests);
}

static void test_registry_down_is_retried(void **state)
{
    struct fixture *fx = *state;
    char value[512 + 5] = {0x00, 0x00, 0x00, 0x00, 0x07};
    struct br_message_in in;
    struct br_prepared prepared;
    char errstr[512];

    memcpy(value + 5, fx->value, fx->len);
    in = message_in("framed.ranks", value, fx->len + 5);
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_RETRY);
    assert_true(errstr[0] != '\0');
    assert_int_equal(prepared.count, 0);
    /* without the framing's magic byte it is not a message of this topic at all */
    value[0] = 0x07;
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_BAD);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(br_prepare_status_name(BR_PREPARE_OK), "ok");
    assert_string_equal(br_prepare_status_name(BR_PREPARE_SKIP), "skip");
    assert_string_equal(br_prepare_status_name(BR_PREPARE_RETRY), "retry");
    assert_string_equal(br_prepare_status_name(BR_PREPARE_BAD), "bad");
    assert_string_equal(br_prepare_status_name((enum br_prepare_status)4), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_to_subscribed_hooks),
        cmocka_unit_test(test_headers_carry_ids),
        cmocka_unit_test(test_only_hook),
        cmocka_unit_test(test_snapshot_reads),
        cmocka_unit_test(test_tombstone_is_skipped),
        cmocka_unit_test(test_undeliverable),
        cmocka_unit_test(test_registry_down_is_retried),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
