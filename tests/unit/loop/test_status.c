/*
 * Unit tests of status.c: what /readyz and /metrics say about a loop, through the admin's real
 * routing (endpoints.c). The dead-letter producer is a real one on librdkafka's in-process mock
 * cluster, whose brokers refuse it a producer id once (as a broker whose ACLs lack
 * IdempotentWrite does): librdkafka's fatal error, then a restart that works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "loop/loopstate.h"
#include "loop/status.h"
#include "ops/endpoints.h"

struct fixture {
    struct br_conf conf;
    struct br_loop loop;
    struct br_endpoints endpoints;
    rd_kafka_t *owner; /* the mock cluster lives in this handle */
    rd_kafka_mock_cluster_t *mock;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char errstr[512];

    assert_non_null(fx);
    assert_int_equal(rd_kafka_conf_set(kconf, "log_level", "0", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    fx->owner = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr, sizeof(errstr));
    assert_non_null(fx->owner);
    fx->mock = rd_kafka_mock_cluster_new(fx->owner, 1);
    assert_non_null(fx->mock);
    assert_int_equal(rd_kafka_mock_topic_create(fx->mock, "dlq", 1, 1), 0);
    fx->conf.brokers = (char *)rd_kafka_mock_cluster_bootstraps(fx->mock);
    fx->conf.dead_letter_topic = "dlq";
    fx->conf.producer_failure_exit_ms = 600000;
    fx->loop.conf = &fx->conf;
    fx->loop.hooks_caught_up = true; /* no table hooks */
    fx->loop.metrics = br_metrics_create(NULL, 0);
    fx->loop.sender = br_sender_create(1, errstr, sizeof(errstr));
    assert_non_null(fx->loop.sender);
    br_endpoints_init(&fx->endpoints, br_status_ready, br_status_metrics, &fx->loop);
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    br_endpoints_finish(&fx->endpoints);
    br_deadletter_destroy(fx->loop.deadletter);
    br_sender_destroy(fx->loop.sender);
    br_metrics_destroy(fx->loop.metrics);
    rd_kafka_mock_cluster_destroy(fx->mock);
    rd_kafka_destroy(fx->owner);
    free(fx);
}

/* GET path through the admin's routing; returns the status, *body the body (valid until the
 * next call). */
static int get(struct fixture *fx, const char *path, const char **body)
{
    char line[64];
    struct br_http1_response response;
    bool head = true;

    memset(&response, 0, sizeof(response));
    snprintf(line, sizeof(line), "GET %s HTTP/1.1", path);
    br_endpoints_route(&fx->endpoints, line, strlen(line), &head, &response);
    assert_false(head);
    *body = response.body;
    return response.status;
}

static void assert_readyz(struct fixture *fx, int status, const char *body_prefix,
                          const char *body_part, int line)
{
    const char *body;
    int got = get(fx, "/readyz", &body);

    if (got != status || strncmp(body, body_prefix, strlen(body_prefix)) != 0 ||
        (body_part && !strstr(body, body_part)) || body[strlen(body) - 1] != '\n') {
        fail_msg("line %d: /readyz %d \"%s\", want %d \"%s...%s...\\n\"", line, got, body, status,
                 body_prefix, body_part ? body_part : "");
    }
}

static void assert_metric(struct fixture *fx, const char *sample, int line)
{
    const char *body;
    char wanted[256];

    assert_int_equal(get(fx, "/metrics", &body), 200);
    snprintf(wanted, sizeof(wanted), "\n%s\n", sample);
    if (!strstr(body, wanted)) {
        fail_msg("line %d: /metrics lacks \"%s\":\n%s", line, sample, body);
    }
}

static void on_done(void *opaque, bool ok, const char *errstr)
{
    int *acked = opaque;
    (void)errstr;
    *acked = ok ? 1 : -1;
}

/* Without a dead-letter producer: the group decides, then stopping. */
static void test_ready_without_producer(void **state)
{
    struct fixture *fx = fixture_new();
    (void)state;

    assert_readyz(fx, 503, "not in the consumer group yet\n", NULL, __LINE__);
    fx->loop.hooks_caught_up = false; /* table hooks: the webhooks topics first */
    assert_readyz(fx, 503, "reading the webhooks topics (table hooks)\n", NULL, __LINE__);
    fx->loop.hooks_caught_up = true;
    fx->loop.joined = true;
    assert_readyz(fx, 200, "ok\n", NULL, __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_up 1", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_restarts_total 0", __LINE__);
    fx->loop.stopping = true;
    assert_readyz(fx, 503, "stopping\n", NULL, __LINE__);
    fixture_free(fx);
}

/*
 * The producer id is refused: not ready, with the producer's status and librdkafka's reason;
 * after the restart, not ready until the fresh producer has had a record acknowledged; then
 * ready again. /metrics follows.
 */
static void test_failed_producer_makes_the_bridge_not_ready(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 3, .value = "v",
                                 .value_len = 1, .error = "HTTP 400", .attempts = 1,
                                 .reason = BR_DEAD_REFUSED};
    char errstr[512];
    int acked = 0;
    int64_t deadline;
    (void)state;

    rd_kafka_mock_push_request_errors(fx->mock, 22 /* InitProducerId */, 1,
                                      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
    fx->loop.deadletter = br_deadletter_create(&fx->conf, -1, errstr, sizeof(errstr));
    if (!fx->loop.deadletter) {
        fail_msg("create: %s", errstr);
    }
    fx->loop.joined = true;
    /* the refusal arrives on librdkafka's threads; nothing served yet */
    deadline = now_ms() + 5000;
    while (!br_deadletter_failing(fx->loop.deadletter, NULL, 0) && now_ms() < deadline) {
        usleep(10 * 1000);
    }
    assert_readyz(fx, 503, "dead-letter producer failed: Failed to acquire idempotence PID",
                  "Cluster authorization failed", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_up 0", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_restarts_total 0", __LINE__);

    br_deadletter_serve(fx->loop.deadletter); /* restarts it at once */
    assert_readyz(fx, 503,
                  "dead-letter producer restarted 0 s ago after failing for 0 s (1 restart(s)), "
                  "not confirmed yet: Failed to acquire idempotence PID",
                  "Cluster authorization failed", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_up 0", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_restarts_total 1", __LINE__);

    assert_int_equal(br_deadletter_send(fx->loop.deadletter, "dlq", &rec, on_done, &acked, errstr,
                                        sizeof(errstr)),
                     0);
    deadline = now_ms() + 5000;
    while (acked == 0 && now_ms() < deadline) {
        usleep(10 * 1000);
        br_deadletter_serve(fx->loop.deadletter);
    }
    assert_int_equal(acked, 1);
    assert_readyz(fx, 200, "ok\n", NULL, __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_up 1", __LINE__);
    assert_metric(fx, "perscom_bridge_deadletter_producer_restarts_total 1", __LINE__);
    fixture_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_without_producer),
        cmocka_unit_test(test_failed_producer_makes_the_bridge_not_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
