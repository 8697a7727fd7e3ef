#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kafka/deadletter.h"
#include "kafka/dlrestart.h"
#include "support/mockcluster.h"

/*
 * An in-process Kafka cluster (librdkafka's mock), one for all tests (destroying one takes 2 s);
 * each test produces to topics of its own.
 */
/* done callbacks must run here, never on a librdkafka thread */
static pthread_t test_thread;

static int cluster_start(void **state)
{
    test_thread = pthread_self();
    return br_test_cluster_setup(state);
}

/* A new single-partition topic, "<prefix>.<n>". */
static const char *fresh_topic(struct br_test_cluster *cl, const char *prefix, char out[64])
{
    static int count;
    snprintf(out, 64, "%s.%d", prefix, ++count);
    assert_int_equal(rd_kafka_mock_topic_create(cl->mock, out, 1, 1), 0);
    return out;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the done callbacks saw. */
struct outcome {
    int calls;
    bool ok;
    char errstr[512];
};

static void on_done(void *opaque, bool ok, const char *errstr)
{
    struct outcome *outcome = opaque;
    if (!pthread_equal(pthread_self(), test_thread)) {
        /* a librdkafka thread: the loop's state would be touched concurrently */
        fprintf(stderr, "done called on another thread\n");
        abort();
    }
    outcome->calls++;
    outcome->ok = ok;
    snprintf(outcome->errstr, sizeof(outcome->errstr), "%s", errstr ? errstr : "");
}

/*
 * Waits as the loop does: poll() on the read end of the wake-up pipe, then serve, until `until`
 * says stop or timeout_ms passes. Returns how many times the descriptor woke us.
 */
static int serve_until(struct br_deadletter *dl, int read_fd, bool (*until)(void *), void *arg,
                       int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int wakes = 0;

    while (!until(arg) && now_ms() < deadline) {
        struct pollfd pfd = {.fd = read_fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0) {
            wakes++;
            if (read_fd != br_deadletter_wake_fd(dl)) {
                char sink[64];
                while (read(read_fd, sink, sizeof(sink)) > 0) {
                }
            }
        }
        br_deadletter_serve(dl);
    }
    return wakes;
}

static bool nothing_pending(void *arg)
{
    return br_deadletter_pending(arg) == 0;
}

/*
 * Reads count records of topic from the beginning (partition 0). Returns the consumer: destroy
 * it with reader_close after the messages (librdkafka waits for them).
 */
static rd_kafka_t *read_back(const char *brokers, const char *topic, rd_kafka_message_t **messages,
                      int count)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    char reason[512];
    rd_kafka_t *rk;
    int got = 0;
    int64_t deadline = now_ms() + 8000;

    assert_int_equal(rd_kafka_conf_set(kconf, "bootstrap.servers", brokers, reason,
                                       sizeof(reason)), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(kconf, "group.id", "reader", reason, sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(kconf, "enable.auto.commit", "false", reason,
                                       sizeof(reason)), RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, reason, sizeof(reason));
    assert_non_null(rk);
    rd_kafka_topic_partition_list_add(list, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, list), 0);
    rd_kafka_topic_partition_list_destroy(list);
    while (got < count && now_ms() < deadline) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
        if (!message) {
            continue;
        }
        if (message->err) {
            rd_kafka_message_destroy(message);
            continue;
        }
        messages[got++] = message;
    }
    /* nothing more than expected */
    for (int i = 0; i < 3 && got == count; i++) {
        rd_kafka_message_t *extra = rd_kafka_consumer_poll(rk, 100);
        if (extra && !extra->err) {
            fail_msg("topic %s: more than %d records (offset %lld)", topic, count,
                     (long long)extra->offset);
        }
        if (extra) {
            rd_kafka_message_destroy(extra);
        }
    }
    if (got != count) {
        fail_msg("topic %s: read %d records, want %d", topic, got, count);
    }
    return rk;
}

static void reader_close(rd_kafka_t *rk)
{
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void assert_bytes(const char *what, const void *got, size_t got_len, const void *want,
                         size_t want_len)
{
    if ((got == NULL) != (want == NULL)) {
        fail_msg("%s: got %s, want %s", what, got ? "bytes" : "NULL", want ? "bytes" : "NULL");
    }
    if (got_len != want_len || (want_len > 0 && memcmp(got, want, want_len) != 0)) {
        fail_msg("%s: %zu bytes differ from the %zu expected", what, got_len, want_len);
    }
}

/* headers: NULL-terminated pairs name, value; exactly these, in this order. */
static void assert_headers(const rd_kafka_message_t *message, const char *const *want)
{
    rd_kafka_headers_t *headers = NULL;
    size_t i = 0;

    assert_int_equal(rd_kafka_message_headers(message, &headers), 0);
    for (;; i++) {
        const char *name;
        const void *value;
        size_t size;
        if (rd_kafka_header_get_all(headers, i, &name, &value, &size) != 0) {
            break;
        }
        if (!want[2 * i]) {
            fail_msg("unexpected header %s", name);
        }
        if (strcmp(name, want[2 * i]) != 0) {
            fail_msg("header %zu: got %s, want %s", i, name, want[2 * i]);
        }
        if (size != strlen(want[2 * i + 1]) || memcmp(value, want[2 * i + 1], size) != 0) {
            fail_msg("header %s: got '%.*s', want '%s'", name, (int)size, (const char *)value,
                     want[2 * i + 1]);
        }
    }
    if (want[2 * i]) {
        fail_msg("header %s missing", want[2 * i]);
    }
}

static const char value_nul[] = {0x00, 0x07, 'a', 0x00, (char)0xff, 0x00};
static const char key_nul[] = {'k', 0x00, 'y'};

static void test_dead_letters_round_trip(void **state)
{
    struct br_test_cluster *cl = *state;
    char dlq[64];
    /* consumer-only and forced properties must not break the producer */
    struct br_kv props[] = {
        {"session.timeout.ms", "6000"},
        {"auto.offset.reset", "earliest"},
        {"group.instance.id", "pod-1"},
        {"acks", "1"},
        {"linger.ms", "1"},
    };
    struct br_conf conf = {0};
    struct {
        struct br_dead_record rec;
        const char *const headers[24];
    } cases[] = {
        {{.topic = "perscom.t1.records_ranks", .partition = 2, .offset = 41, .key = key_nul,
          .key_len = sizeof(key_nul), .value = value_nul, .value_len = sizeof(value_nul),
          .hook = "discord", .event = "rankrecord.created", .http_status = 400,
          .error = "HTTP 400", .attempts = 1, .first_attempt_ms = 1777629600123,
          .last_attempt_ms = 1777629600123, .reason = BR_DEAD_REFUSED},
         {"perscom.topic", "perscom.t1.records_ranks", "perscom.partition", "2",
          "perscom.offset", "41", "perscom.hook", "discord", "perscom.event",
          "rankrecord.created", "perscom.status", "400", "perscom.error", "HTTP 400",
          "perscom.attempts", "1", "perscom.first_attempt", "2026-05-01T10:00:00.123Z",
          "perscom.last_attempt", "2026-05-01T10:00:00.123Z", "perscom.reason", "refused",
          NULL}},
        {{.topic = "perscom.t1.users", .partition = 0, .offset = 7, .key = NULL,
          .value = "\x07garbage", .value_len = 8, .hook = NULL, .event = NULL, .http_status = 0,
          .error = "bad magic byte 0x07", .attempts = 0, .reason = BR_DEAD_UNDECODABLE},
         {"perscom.topic", "perscom.t1.users", "perscom.partition", "0", "perscom.offset", "7",
          "perscom.error", "bad magic byte 0x07", "perscom.attempts", "0", "perscom.reason",
          "undecodable", NULL}},
        {{.topic = "perscom.t1.awards", .partition = 11, .offset = 9000000000LL, .key = "",
          .key_len = 0, .value = NULL, .hook = "slack", .event = "awardrecord.deleted",
          .http_status = 0, .error = "exhausted after 5 attempts: connection refused",
          .attempts = 5, .first_attempt_ms = 946684799999, .last_attempt_ms = 1777629600123,
          .reason = BR_DEAD_EXHAUSTED},
         {"perscom.topic", "perscom.t1.awards", "perscom.partition", "11", "perscom.offset",
          "9000000000", "perscom.hook", "slack", "perscom.event", "awardrecord.deleted",
          "perscom.error", "exhausted after 5 attempts: connection refused",
          "perscom.attempts", "5", "perscom.first_attempt", "1999-12-31T23:59:59.999Z",
          "perscom.last_attempt", "2026-05-01T10:00:00.123Z", "perscom.reason", "exhausted",
          NULL}},
    };
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct outcome outcomes[N];
    rd_kafka_message_t *messages[N];
    rd_kafka_t *reader;
    char errstr[512] = "";
    struct br_deadletter *dl;
    int wakes;

    (void)state;
    memset(outcomes, 0, sizeof(outcomes));
    fresh_topic(cl, "dlq", dlq);
    conf.brokers = cl->brokers;
    conf.kafka_props = props;
    conf.kafka_prop_count = sizeof(props) / sizeof(props[0]);
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    assert_true(br_deadletter_wake_fd(dl) >= 0);
    for (size_t i = 0; i < N; i++) {
        if (br_deadletter_send(dl, dlq, &cases[i].rec, on_done, &outcomes[i], errstr,
                               sizeof(errstr)) != 0) {
            fail_msg("send %zu: %s", i, errstr);
        }
    }
    assert_int_equal(br_deadletter_pending(dl), N);
    assert_int_equal(br_deadletter_pending_dead(dl), N);
    /* nothing is called before serve */
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(outcomes[i].calls, 0);
    }
    wakes = serve_until(dl, br_deadletter_wake_fd(dl), nothing_pending, dl, 8000);
    assert_true(wakes > 0);
    assert_int_equal(br_deadletter_pending(dl), 0);
    assert_int_equal(br_deadletter_pending_dead(dl), 0);
    for (size_t i = 0; i < N; i++) {
        if (outcomes[i].calls != 1 || !outcomes[i].ok) {
            fail_msg("record %zu: %d done call(s), ok %d: %s", i, outcomes[i].calls,
                     outcomes[i].ok, outcomes[i].errstr);
        }
    }
    br_deadletter_destroy(dl);

    reader = read_back(cl->brokers, dlq, messages, N);
    for (size_t i = 0; i < N; i++) {
        const struct br_dead_record *rec = &cases[i].rec;
        char what[64];
        snprintf(what, sizeof(what), "record %zu key", i);
        /* an empty key (not NULL) is kept as an empty key */
        assert_bytes(what, messages[i]->key, messages[i]->key_len, rec->key, rec->key_len);
        snprintf(what, sizeof(what), "record %zu value", i);
        assert_bytes(what, messages[i]->payload, messages[i]->len, rec->value, rec->value_len);
        assert_headers(messages[i], cases[i].headers);
        rd_kafka_message_destroy(messages[i]);
    }
    reader_close(reader);
}

static void test_delivery_reports_round_trip(void **state)
{
    struct br_test_cluster *cl = *state;
    char reports[64];
    struct br_conf conf = {0};
    struct br_delivery_report reps[] = {
        {.topic = "perscom.t1.records_ranks", .partition = 3, .offset = 1234, .key = key_nul,
         .key_len = sizeof(key_nul), .event = "rankrecord.created", .hook = "discord",
         .http_status = 204, .outcome = BR_REPORT_DELIVERED, .attempts = 1, .latency_ms = 12,
         .request_id = "r-1"},
        {.topic = "perscom.t1.users", .partition = 0, .offset = 5, .key = NULL, .event = NULL,
         .hook = NULL, .outcome = BR_REPORT_DEAD_LETTERED, .attempts = 0, .latency_ms = 0},
    };
    enum { N = sizeof(reps) / sizeof(reps[0]) };
    rd_kafka_message_t *messages[N];
    rd_kafka_t *reader;
    char errstr[512] = "";
    struct br_deadletter *dl;
    int wake[2];

    (void)state;
    fresh_topic(cl, "reports", reports);
    conf.brokers = cl->brokers;
    /* the loop's own descriptor */
    assert_int_equal(pipe2(wake, O_NONBLOCK | O_CLOEXEC), 0);
    dl = br_deadletter_create(&conf, wake[1], errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    assert_int_equal(br_deadletter_wake_fd(dl), -1);
    for (size_t i = 0; i < N; i++) {
        if (br_deadletter_report(dl, reports, &reps[i], errstr, sizeof(errstr)) != 0) {
            fail_msg("report %zu: %s", i, errstr);
        }
    }
    assert_int_equal(br_deadletter_pending(dl), N);
    assert_int_equal(br_deadletter_pending_dead(dl), 0);
    assert_true(serve_until(dl, wake[0], nothing_pending, dl, 8000) > 0);
    assert_int_equal(br_deadletter_pending(dl), 0);
    br_deadletter_destroy(dl);
    close(wake[0]);
    close(wake[1]);

    reader = read_back(cl->brokers, reports, messages, N);
    for (size_t i = 0; i < N; i++) {
        size_t len = 0;
        char *want = br_dlrecord_report_json(&reps[i], &len, errstr, sizeof(errstr));
        char what[64];
        assert_non_null(want);
        snprintf(what, sizeof(what), "report %zu key", i);
        assert_bytes(what, messages[i]->key, messages[i]->key_len, reps[i].key, reps[i].key_len);
        snprintf(what, sizeof(what), "report %zu value", i);
        assert_bytes(what, messages[i]->payload, messages[i]->len, want, len);
        free(want);
        rd_kafka_message_destroy(messages[i]);
    }
    reader_close(reader);
    {
        /* the value is the JSON of the contract */
        const char *want = "{\"event\":null,\"hook\":null,\"status\":null,"
                           "\"outcome\":\"dead_lettered\",\"attempts\":0,\"latency_ms\":0,"
                           "\"topic\":\"perscom.t1.users\",\"partition\":0,\"offset\":5,"
                           "\"request_id\":null,\"reason\":null,\"error\":null}";
        size_t len = 0;
        char *json = br_dlrecord_report_json(&reps[1], &len, errstr, sizeof(errstr));
        assert_string_equal(json, want);
        free(json);
    }
}

/* A record larger than message.max.bytes cannot be queued: -1 at once, done never called. */
static void test_too_large_refused_at_once(void **state)
{
    struct br_test_cluster *cl = *state;
    char dlq[64];
    struct br_kv props[] = {{"message.max.bytes", "2000"}};
    struct br_conf conf = {0};
    static char big[5000];
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 1, .value = big,
                                 .value_len = sizeof(big), .error = "HTTP 400",
                                 .reason = BR_DEAD_REFUSED};
    struct outcome outcome = {0};
    char errstr[512] = "";
    struct br_deadletter *dl;

    (void)state;
    fresh_topic(cl, "dlq", dlq);
    conf.brokers = cl->brokers;
    conf.kafka_props = props;
    conf.kafka_prop_count = 1;
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &outcome, errstr,
                                        sizeof(errstr)), -1);
    assert_non_null(strstr(errstr, "too large"));
    assert_int_equal(br_deadletter_pending(dl), 0);
    br_deadletter_serve(dl);
    br_deadletter_destroy(dl);
    assert_int_equal(outcome.calls, 0);
}

static bool outcome_called(void *arg)
{
    return ((struct outcome *)arg)->calls > 0;
}

/*
 * The brokers are down longer than message.timeout.ms: done(ok = false); the same record sent
 * again once they are back is acknowledged, and the topic holds it once.
 */
static void test_broker_down_fails_then_retry(void **state)
{
    struct br_test_cluster *cl = *state;
    char dlq[64];
    struct br_kv props[] = {{"message.timeout.ms", "1000"}, {"reconnect.backoff.max.ms", "200"}};
    struct br_conf conf = {0};
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 1, .key = "k",
                                 .key_len = 1, .value = value_nul, .value_len = sizeof(value_nul),
                                 .hook = "h", .event = "user.created", .http_status = 503,
                                 .error = "exhausted after 3 attempts: HTTP 503", .attempts = 3,
                                 .first_attempt_ms = 1000, .last_attempt_ms = 2000,
                                 .reason = BR_DEAD_EXHAUSTED};
    struct outcome first = {0};
    struct outcome second = {0};
    rd_kafka_message_t *message;
    rd_kafka_t *reader;
    char errstr[512] = "";
    struct br_deadletter *dl;

    (void)state;
    fresh_topic(cl, "dlq", dlq);
    conf.brokers = cl->brokers;
    conf.kafka_props = props;
    conf.kafka_prop_count = sizeof(props) / sizeof(props[0]);
    assert_int_equal(rd_kafka_mock_broker_set_down(cl->mock, 1), 0);
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    if (br_deadletter_send(dl, dlq, &rec, on_done, &first, errstr, sizeof(errstr)) != 0) {
        fail_msg("send: %s", errstr);
    }
    serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &first, 6000);
    assert_int_equal(first.calls, 1);
    assert_false(first.ok);
    assert_non_null(strstr(first.errstr, dlq));
    assert_int_equal(br_deadletter_pending(dl), 0);

    assert_int_equal(rd_kafka_mock_broker_set_up(cl->mock, 1), 0);
    if (br_deadletter_send(dl, dlq, &rec, on_done, &second, errstr, sizeof(errstr)) != 0) {
        fail_msg("send again: %s", errstr);
    }
    serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &second, 8000);
    if (second.calls != 1 || !second.ok) {
        fail_msg("retry: %d call(s), ok %d: %s", second.calls, second.ok, second.errstr);
    }
    assert_int_equal(first.calls, 1);
    br_deadletter_destroy(dl);
    reader = read_back(cl->brokers, dlq, &message, 1);
    assert_bytes("value", message->payload, message->len, value_nul, sizeof(value_nul));
    rd_kafka_message_destroy(message);
    reader_close(reader);
}

/*
 * The broker refuses a produce for good (message larger than its message.max.bytes, record
 * refused, topic missing with auto-creation off): done(ok = false) with the broker's reason, and
 * nothing is lost: the record sent again later lands once.
 */
static void test_broker_refusal_reported(void **state)
{
    static const struct {
        rd_kafka_resp_err_t produce_error; /* the broker's answer to the first Produce */
        bool missing_topic;
        const char *want; /* in done's errstr */
    } cases[] = {
        {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, false, "Message size too large"},
        {RD_KAFKA_RESP_ERR_INVALID_RECORD, false, "failed to validate record"},
        {RD_KAFKA_RESP_ERR_NO_ERROR, true, "Unknown topic or partition"},
    };
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct br_test_cluster *cl = *state;
    char dlq[64];
    struct br_kv props[] = {{"topic.metadata.propagation.max.ms", "500"}};
    struct br_conf conf = {0};
    rd_kafka_message_t *messages[N];
    char errstr[512] = "";
    struct br_deadletter *dl;
    rd_kafka_t *reader;

    (void)state;
    fresh_topic(cl, "dlq", dlq);
    rd_kafka_mock_topic_set_error(cl->mock, "missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    conf.brokers = cl->brokers;
    conf.kafka_props = props;
    conf.kafka_prop_count = 1;
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    for (size_t i = 0; i < N; i++) {
        char value[16];
        struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = (int64_t)i,
                                     .value = value, .error = "HTTP 400",
                                     .reason = BR_DEAD_REFUSED};
        struct outcome first = {0};
        struct outcome again = {0};
        rec.value_len = (size_t)snprintf(value, sizeof(value), "record %zu", i);
        if (cases[i].produce_error) {
            rd_kafka_mock_push_request_errors(cl->mock, 0 /* Produce */, 1,
                                              cases[i].produce_error);
        }
        if (br_deadletter_send(dl, cases[i].missing_topic ? "missing" : dlq, &rec, on_done, &first, errstr,
                               sizeof(errstr)) != 0) {
            fail_msg("case %zu: send: %s", i, errstr);
        }
        serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &first, 5000);
        if (first.calls != 1 || first.ok || !strstr(first.errstr, cases[i].want)) {
            fail_msg("case %zu: %d call(s), ok %d: '%s', want an error with '%s'", i, first.calls,
                     first.ok, first.errstr, cases[i].want);
        }
        /* later, to the real topic: acknowledged */
        if (br_deadletter_send(dl, dlq, &rec, on_done, &again, errstr,
                               sizeof(errstr)) != 0) {
            fail_msg("case %zu: send again: %s", i, errstr);
        }
        serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &again, 5000);
        if (again.calls != 1 || !again.ok) {
            fail_msg("case %zu: again: %d call(s), ok %d: %s", i, again.calls, again.ok,
                     again.errstr);
        }
    }
    assert_int_equal(br_deadletter_pending(dl), 0);
    assert_false(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    assert_int_equal(br_deadletter_restarts(dl), 0);
    br_deadletter_destroy(dl);
    reader = read_back(cl->brokers, dlq, messages, N);
    for (size_t i = 0; i < N; i++) {
        char want[16];
        size_t len = (size_t)snprintf(want, sizeof(want), "record %zu", i);
        assert_bytes("value", messages[i]->payload, messages[i]->len, want, len);
        rd_kafka_message_destroy(messages[i]);
    }
    reader_close(reader);
}

/*
 * A fatal error of the idempotent producer: sends are refused at once, serve fails what the old
 * producer held (done ok = false) and starts a fresh one at once, which counts as failing until
 * it has had a record acknowledged.
 */
static void test_fatal_error_restarts(void **state)
{
    struct br_test_cluster *cl = *state;
    char dlq[64];
    struct br_kv props[] = {{"reconnect.backoff.max.ms", "200"}};
    struct br_conf conf = {0};
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 1, .value = "v",
                                 .value_len = 1, .error = "HTTP 400", .attempts = 1,
                                 .reason = BR_DEAD_REFUSED};
    struct outcome held = {0};
    struct outcome refused = {0};
    struct outcome fresh = {0};
    rd_kafka_message_t *message;
    rd_kafka_t *reader;
    rd_kafka_t *old;
    char errstr[512] = "";
    struct br_deadletter *dl;

    (void)state;
    fresh_topic(cl, "dlq", dlq);
    conf.brokers = cl->brokers;
    conf.kafka_props = props;
    conf.kafka_prop_count = 1;
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    assert_false(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    assert_int_equal(rd_kafka_mock_broker_set_down(cl->mock, 1), 0);
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &held, errstr,
                                        sizeof(errstr)), 0);
    old = br_deadletter_handle(dl);
    assert_int_equal(rd_kafka_test_fatal_error(old, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                               "injected by the test"), 0);
    assert_true(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    assert_string_equal(errstr, "dead-letter producer failed: test_fatal_error: injected by the "
                                "test");
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &refused, errstr,
                                        sizeof(errstr)), -1);
    assert_non_null(strstr(errstr, "injected by the test"));

    br_deadletter_serve(dl);
    if (held.calls != 1 || held.ok || !strstr(held.errstr, "injected by the test")) {
        fail_msg("held record: %d call(s), ok %d: %s", held.calls, held.ok, held.errstr);
    }
    assert_int_equal(refused.calls, 0);
    assert_int_equal(br_deadletter_pending(dl), 0);
    assert_non_null(br_deadletter_handle(dl));
    assert_int_equal(br_deadletter_restarts(dl), 1);
    /* the fresh producer runs, but has not proven itself yet */
    assert_true(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    /* seconds are whole: librdkafka 2.8 takes about a second to destroy the failed producer,
     * 2.0.2 none, so "0 s" or "1 s" */
    if (strncmp(errstr, "dead-letter producer restarted ", 31) != 0 ||
        !strstr(errstr, " s ago after failing for ") ||
        !strstr(errstr, " s (1 restart(s)), not confirmed yet: test_fatal_error: injected by the "
                        "test")) {
        fail_msg("status: %s", errstr);
    }

    assert_int_equal(rd_kafka_mock_broker_set_up(cl->mock, 1), 0);
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &fresh, errstr,
                                        sizeof(errstr)), 0);
    serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &fresh, 6000);
    if (fresh.calls != 1 || !fresh.ok) {
        fail_msg("fresh producer: %d call(s), ok %d: %s", fresh.calls, fresh.ok, fresh.errstr);
    }
    assert_false(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    assert_false(br_deadletter_gave_up(dl));
    assert_int_equal(br_deadletter_restarts(dl), 1);
    br_deadletter_destroy(dl);
    reader = read_back(cl->brokers, dlq, &message, 1);
    assert_bytes("value", message->payload, message->len, "v", 1);
    rd_kafka_message_destroy(message);
    reader_close(reader);
}

/* Serves until the producer has been restarted `restarts` times in all. */
struct restarts_wanted {
    struct br_deadletter *dl;
    uint64_t restarts;
};

static bool restarted(void *arg)
{
    struct restarts_wanted *want = arg;
    return br_deadletter_restarts(want->dl) >= want->restarts;
}

/* A restarted producer has failed too (not merely "restarted ..., not confirmed yet"). */
static bool second_refused(void *arg)
{
    char status[512];
    return br_deadletter_failing(arg, status, sizeof(status)) &&
           strncmp(status, "dead-letter producer failing for ", 33) == 0;
}

static bool gave_up(void *arg)
{
    return br_deadletter_gave_up(arg);
}

/*
 * The brokers refuse the producer id of every fresh producer for a while (an ACL without
 * IdempotentWrite): each one fails at once. The second failure within BR_DLRESTART_INITIAL_MS
 * no longer stops anything: the next restart waits 5 s, dead letters are refused meanwhile (the
 * caller keeps them), and once the brokers accept a producer again the record lands, once.
 */
static void test_refused_producer_id_backs_off(void **state)
{
    struct br_test_cluster *cl = *state;
    char dlq[64];
    struct br_conf conf = {0};
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 7, .value = "late",
                                 .value_len = 4, .error = "HTTP 400", .attempts = 1,
                                 .reason = BR_DEAD_REFUSED};
    struct outcome landed = {0};
    struct restarts_wanted want;
    rd_kafka_message_t *message;
    rd_kafka_t *reader;
    char errstr[512] = "";
    struct br_deadletter *dl;
    int64_t second_failure;
    int64_t restart_two;

    fresh_topic(cl, "dlq", dlq);
    /* the first two producers' InitProducerId: refused (librdkafka: a fatal error) */
    rd_kafka_mock_push_request_errors(cl->mock, 22 /* InitProducerId */, 2,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
    conf.brokers = cl->brokers;
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    want.dl = dl;
    want.restarts = 1;
    serve_until(dl, br_deadletter_wake_fd(dl), restarted, &want, 5000);
    assert_int_equal(br_deadletter_restarts(dl), 1);
    /* the fresh producer is refused too, at once */
    serve_until(dl, br_deadletter_wake_fd(dl), second_refused, dl, 5000);
    second_failure = now_ms();
    assert_true(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    if ((!strstr(errstr, "dead-letter producer failing for 0 s (1 restart(s), next in ") &&
         !strstr(errstr, "dead-letter producer failing for 1 s (1 restart(s), next in ")) ||
        !strstr(errstr, "Cluster authorization failed")) {
        fail_msg("status: %s", errstr);
    }
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &landed, errstr,
                                        sizeof(errstr)), -1);
    if (!strstr(errstr, "Cluster authorization failed")) {
        fail_msg("send while failing: %s", errstr);
    }
    /* no stop, no restart before the backoff */
    want.restarts = 2;
    serve_until(dl, br_deadletter_wake_fd(dl), restarted, &want, 3000);
    assert_int_equal(br_deadletter_restarts(dl), 1);
    assert_false(br_deadletter_gave_up(dl));
    serve_until(dl, br_deadletter_wake_fd(dl), restarted, &want, 4000);
    restart_two = now_ms();
    assert_int_equal(br_deadletter_restarts(dl), 2);
    if (restart_two - second_failure < BR_DLRESTART_INITIAL_MS - 1000) {
        fail_msg("second restart %lld ms after the second failure",
                 (long long)(restart_two - second_failure));
    }
    /* the third producer gets its id: the record lands and the producer counts as working */
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &landed, errstr,
                                        sizeof(errstr)), 0);
    serve_until(dl, br_deadletter_wake_fd(dl), outcome_called, &landed, 5000);
    if (landed.calls != 1 || !landed.ok) {
        fail_msg("after the refusals: %d call(s), ok %d: %s", landed.calls, landed.ok,
                 landed.errstr);
    }
    assert_false(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    br_deadletter_destroy(dl);
    reader = read_back(cl->brokers, dlq, &message, 1);
    assert_bytes("value", message->payload, message->len, "late", 4);
    rd_kafka_message_destroy(message);
    reader_close(reader);
}

/*
 * dead_letter.producer_failure_exit_ms: a producer failing that long gives up (the loop then
 * stops the bridge); not before.
 */
static void test_gives_up_after_exit_time(void **state)
{
    struct br_test_cluster *cl = *state;
    struct br_conf conf = {0};
    char errstr[512] = "";
    struct br_deadletter *dl;
    struct restarts_wanted want;
    int64_t first_failure;
    int64_t elapsed;

    rd_kafka_mock_push_request_errors(cl->mock, 22 /* InitProducerId */, 2,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
    conf.brokers = cl->brokers;
    conf.producer_failure_exit_ms = 1500;
    /* the first failure comes after the create: time from there (librdkafka 2.8 takes about a
     * second to destroy the failed producer before the restart can be seen, 2.0.2 none) */
    first_failure = now_ms();
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    want.dl = dl;
    want.restarts = 1;
    serve_until(dl, br_deadletter_wake_fd(dl), restarted, &want, 5000);
    assert_int_equal(br_deadletter_restarts(dl), 1);
    assert_false(br_deadletter_gave_up(dl));
    serve_until(dl, br_deadletter_wake_fd(dl), gave_up, dl, 5000);
    elapsed = now_ms() - first_failure;
    assert_true(br_deadletter_gave_up(dl));
    if (elapsed < 1500 || elapsed > 3500) {
        fail_msg("gave up %lld ms after the create, want 1500 after the first failure",
                 (long long)elapsed);
    }
    assert_true(br_deadletter_failing(dl, errstr, sizeof(errstr)));
    if (!strstr(errstr, "the bridge stops in 0 s")) {
        fail_msg("status: %s", errstr);
    }
    assert_int_equal(br_deadletter_restarts(dl), 1);
    br_deadletter_destroy(dl);
}

/* Records still outstanding at destroy get done(ok = false) before it returns. */
static void test_destroy_fails_outstanding(void **state)
{
    struct br_conf conf = {.brokers = "127.0.0.1:1"}; /* nothing listens */
    struct br_kv props[] = {{"socket.connection.setup.timeout.ms", "1000"}};
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 1, .value = "v",
                                 .value_len = 1, .error = "HTTP 400", .attempts = 1,
                                 .reason = BR_DEAD_REFUSED};
    struct outcome outcome = {0};
    char errstr[512] = "";
    struct br_deadletter *dl;
    int64_t started;
    const char *dlq = "dead-letter";

    (void)state;
    conf.kafka_props = props;
    conf.kafka_prop_count = 1;
    dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
    if (!dl) {
        fail_msg("create: %s", errstr);
    }
    assert_int_equal(br_deadletter_send(dl, dlq, &rec, on_done, &outcome, errstr,
                                        sizeof(errstr)), 0);
    assert_int_equal(br_deadletter_flush(dl, 200), -1);
    assert_int_equal(outcome.calls, 0);
    started = now_ms();
    br_deadletter_destroy(dl);
    assert_true(now_ms() - started < BR_DEADLETTER_DESTROY_FLUSH_MS + 2000);
    assert_int_equal(outcome.calls, 1);
    assert_false(outcome.ok);
}

static void test_create_errors(void **state)
{
    static const struct {
        const char *key;
        const char *value;
        const char *want; /* in errstr, or NULL: create succeeds */
    } cases[] = {
        {"no.such.property", "1", "no.such.property"},
        {"linger.ms", "not-a-number", "linger.ms"},
        {"enable.idempotence", "false", NULL}, /* forced back to true */
        {"enable.auto.commit", "false", NULL}, /* consumer-only: skipped */
        {"transactional.id", "x", NULL},       /* not honoured: skipped */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_kv prop = {(char *)cases[i].key, (char *)cases[i].value};
        struct br_conf conf = {.brokers = "127.0.0.1:1", .kafka_props = &prop,
                               .kafka_prop_count = 1};
        char errstr[512] = "";
        struct br_deadletter *dl = br_deadletter_create(&conf, -1, errstr, sizeof(errstr));
        if (cases[i].want && (dl || !strstr(errstr, cases[i].want))) {
            fail_msg("case %zu: want an error about %s, got %s", i, cases[i].want,
                     dl ? "success" : errstr);
        }
        if (!cases[i].want && !dl) {
            fail_msg("case %zu: %s", i, errstr);
        }
        br_deadletter_destroy(dl);
    }
    br_deadletter_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_dead_letters_round_trip),
        cmocka_unit_test(test_delivery_reports_round_trip),
        cmocka_unit_test(test_too_large_refused_at_once),
        cmocka_unit_test(test_broker_down_fails_then_retry),
        cmocka_unit_test(test_broker_refusal_reported),
        cmocka_unit_test(test_fatal_error_restarts),
        cmocka_unit_test(test_refused_producer_id_backs_off),
        cmocka_unit_test(test_gives_up_after_exit_time),
        cmocka_unit_test(test_destroy_fails_outstanding),
    };
    return cmocka_run_group_tests(tests, cluster_start, br_test_cluster_teardown);
}
