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
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * A rankrecord created with flags = count booleans (message/bools.avsc) into buf: before null,
 * after {id 12, flags [true...]}, op "c", ts_ms. Returns its length.
 */
static size_t bools_message(char *buf, size_t count)
{
    size_t len = 0;
    uint64_t zigzag = (uint64_t)count << 1;

    buf[len++] = 0x00; /* before: null */
    buf[len++] = 0x02; /* after: Value */
    buf[len++] = 0x18; /* id 12 */
    do {
        buf[len++] = (char)((zigzag & 0x7f) | (zigzag > 0x7f ? 0x80 : 0));
        zigzag >>= 7;
    } while (zigzag);
    memset(buf + len, 1, count);
    len += count;
    buf[len++] = 0x00;                                       /* end of the array */
    memcpy(buf + len, "\x02" "c" "\xf6\xe5\xd8\xaf\xbc\x67", 8); /* op, ts_ms */
    return len + 8;
}

/*
 * Issue 13: an 8 MB message of booleans took 209 MB and rendered a 40 MB body. It is refused by
 * limits.max_elements before avro-c reads it; the child process that prepares it stays small.
 */
static void test_eight_megabytes_of_booleans(void **state)
{
    struct fixture *fx = *state;
    struct rusage usage;
    int wstatus = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        size_t count = 8000000;
        char *value = malloc(count + 32);
        struct br_message_in in;
        struct br_prepared prepared;
        char errstr[512];
        enum br_prepare_status status;

        in = message_in("bools.ranks", value, bools_message(value, count));
        status = prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr));
        if (status != BR_PREPARE_BAD ||
            strcmp(errstr, "message over a limit: more than 100000 values "
                           "(limits.max_elements)") != 0) {
            fprintf(stderr, "status %d: %s\n", (int)status, errstr);
            _exit(1);
        }
        free(value);
        _exit(0);
    }
    assert_int_equal(wait4(pid, &wstatus, 0, &usage), pid);
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    if (usage.ru_maxrss > 64 * 1024) {
        fail_msg("preparing the refused message peaked at %ld KiB", usage.ru_maxrss);
    }
}

/* limits.max_body_bytes and max_elements from the configuration (message/limits.yaml). */
static void test_limits(void **state)
{
    struct fixture *fx = *state;
    struct br_conf *conf;
    struct br_decoder *decoder = br_decoder_create(NULL);
    struct br_message_in in;
    struct br_prepared prepared;
    char errstr[2048];
    char value[512];
    (void)state;

    conf = br_conf_load("message/limits.yaml", errstr, sizeof(errstr));
    if (!conf) {
        fail_msg("config: %s", errstr);
    }
    assert_int_equal(conf->max_body_bytes, 1024);
    assert_int_equal(conf->max_elements, 200);
    assert_int_equal(fx->conf->max_body_bytes, 8 * 1024 * 1024); /* the defaults */
    assert_int_equal(fx->conf->max_elements, 100000);

    /* 30 booleans: a body of 354 bytes (204 + 5 a boolean), a query string of 936 */
    in = message_in("bools.ranks", value, bools_message(value, 30));
    assert_int_equal(br_message_prepare(conf, decoder, &in, NULL, &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_OK);
    assert_int_equal(prepared.count, 2);
    assert_int_equal(prepared.requests[0].body_len, 354);
    assert_int_equal(strlen(strchr(prepared.requests[1].url, '?') + 1), 936);
    br_prepared_finish(&prepared);

    /* 40 booleans: a body of 404 bytes, but a query string of 1,196 (GET hook audit) */
    in = message_in("bools.ranks", value, bools_message(value, 40));
    assert_int_equal(br_message_prepare(conf, decoder, &in, "discord", &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_OK);
    br_prepared_finish(&prepared);
    assert_int_equal(br_message_prepare(conf, decoder, &in, "audit", &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_non_null(strstr(errstr, "(at most 1024 bytes: limits.max_body_bytes)"));
    assert_int_equal(prepared.count, 0);

    /* 180 booleans: a body of 1,104 bytes */
    in = message_in("bools.ranks", value, bools_message(value, 180));
    assert_int_equal(br_message_prepare(conf, decoder, &in, "discord", &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_string_equal(errstr, "message over a limit: its body is larger than 1024 bytes "
                                "(limits.max_body_bytes)");

    /* 191 booleans: 201 values (the envelope, before and its null, after, its reference to the
     * row record declared in before, the row, id, flags, op, ts_ms: 10, and one a boolean) */
    in = message_in("bools.ranks", value, bools_message(value, 191));
    assert_int_equal(br_message_prepare(conf, decoder, &in, NULL, &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_string_equal(errstr, "message over a limit: more than 200 values "
                                "(limits.max_elements)");
    /* 190: 200 values pass, and only the body is too large then */
    in = message_in("bools.ranks", value, bools_message(value, 190));
    assert_int_equal(br_message_prepare(conf, decoder, &in, NULL, &prepared, errstr,
                                        sizeof(errstr)),
                     BR_PREPARE_BAD);
    assert_non_null(strstr(errstr, "limits.max_body_bytes"));
    in = message_in("bools.ranks", value, bools_message(value, 191));
    /* and with the defaults, the same message is fine */
    assert_int_equal(prepare(fx, &in, NULL, &prepared, errstr, sizeof(errstr)),
                     BR_PREPARE_OK);
    br_prepared_finish(&prepared);
    br_decoder_destroy(decoder);
    br_conf_destroy(conf);
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
        cmocka_unit_test(test_eight_megabytes_of_booleans),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
