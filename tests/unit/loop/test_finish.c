/*
 * Unit tests of finish.c: what a finished attempt (or an undecodable message) leads to. Each
 * test builds a real loop state (loopstate.h) with one hook, real partitions, lanes, messages
 * and deliveries, calls br_finish_attempt as the sender would, and looks at the lane, the
 * schedule, the partition's done prefix, the hook's health, the stats and the metrics. Dead
 * letters go to librdkafka's in-process mock cluster.
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

#include "core/buf.h"
#include "loop/finish.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

struct fixture {
    struct br_conf conf;
    struct br_conf_hook hook;
    struct br_health health;
    struct br_loop loop;
    struct br_partition *partition; /* "t" [0] */
};

static struct fixture *fixture_new(unsigned max_attempts, long probe_after,
                                   enum br_dead_letter_policy policy)
{
    static const char *const names[] = {"h"};
    struct fixture *fx = calloc(1, sizeof(*fx));

    assert_non_null(fx);
    fx->hook.name = "h";
    fx->hook.url = "http://127.0.0.1:9/";
    fx->hook.retry.initial_ms = 100;
    fx->hook.retry.max_ms = 1000;
    fx->hook.retry.max_attempts = max_attempts;
    fx->hook.retry.retry_after_max_ms = 5000;
    fx->conf.hooks = &fx->hook;
    fx->conf.hook_count = 1;
    fx->conf.backoff_initial_ms = 100;
    fx->conf.backoff_max_ms = 1000;
    fx->conf.probe_after_failures = probe_after;
    fx->conf.dead_letter_policy = policy;
    fx->loop.conf = &fx->conf;
    fx->loop.health = &fx->health;
    br_health_init(&fx->health);
    fx->loop.metrics = br_metrics_create(names, 1);
    {
        size_t slot;
        /* the live hook set holds the one hook (borrowed) in slot 0 */
        fx->loop.hookset = br_hookset_create(NULL, NULL);
        br_hookset_put(fx->loop.hookset, "h", &fx->hook, false, NULL, &slot);
        assert_int_equal(slot, 0);
        fx->loop.hook_slots = 1;
    }
    br_schedule_init(&fx->loop.schedule, 7);
    fx->partition = br_partition_create("t", 0, NULL, 1);
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    br_deadletter_destroy(fx->loop.deadletter);
    br_finish_discard_dead(&fx->loop);
    br_partition_revoke(fx->partition);
    br_schedule_finish(&fx->loop.schedule);
    br_health_finish(&fx->health);
    br_hookset_destroy(fx->loop.hookset);
    br_metrics_destroy(fx->loop.metrics);
    free(fx);
}

/* A message at offset of partition, tracked as owing one completion. */
static struct br_message *message_new(struct br_partition *partition, int64_t offset)
{
    rd_kafka_message_t kafka;
    struct br_message *message;

    memset(&kafka, 0, sizeof(kafka));
    kafka.offset = offset;
    kafka.payload = "v";
    kafka.len = 1;
    message = br_message_create(partition, &kafka, br_schedule_now_ms());
    message->seq = br_offsets_add(&partition->offsets, offset, 1);
    return message;
}

/* A delivery of a new message at offset, appended to partition's lane. */
static struct br_delivery *delivery_new(struct br_partition *partition, int64_t offset)
{
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));

    assert_non_null(delivery);
    delivery->message = message_new(partition, offset); /* the creator's reference moves here */
    br_lane_push(partition->lanes[0], delivery);
    return delivery;
}

/* A delivery of a new message at offset with Kafka key key, appended to partition's lane. */
static struct br_delivery *delivery_keyed(struct br_partition *partition, int64_t offset,
                                          const char *key)
{
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));

    assert_non_null(delivery);
    delivery->message = message_new(partition, offset);
    delivery->message->key = strdup(key);
    assert_non_null(delivery->message->key);
    delivery->message->key_len = strlen(key);
    br_lane_push(partition->lanes[0], delivery);
    return delivery;
}

/* Finishes delivery's attempt as the sender would: the lane was in flight. delivery is freed
 * when it is finished (delivered, dropped or dead-lettered). */
static void attempt(struct fixture *fx, struct br_delivery *delivery, bool transport_ok,
                    long status, const char *retry_after)
{
    struct br_lane *lane = delivery->lane;
    struct br_transfer_result result;
    size_t in_flight;

    memset(&result, 0, sizeof(result));
    result.transport_ok = transport_ok;
    result.http_status = transport_ok ? status : 0;
    if (!transport_ok) {
        snprintf(result.error, sizeof(result.error), "Connection refused");
    }
    if (retry_after) {
        snprintf(result.retry_after, sizeof(result.retry_after), "%s", retry_after);
    }
    result.seconds = 0.01;
    if (delivery->attempts == 0) {
        delivery->first_attempt_ms = br_schedule_now_ms();
    }
    if (delivery->waiting) {
        br_lane_wake(lane, delivery); /* its retry time has come */
    }
    if (!delivery->in_flight) {
        /* the loop starts the lane's next delivery: it must be this one */
        assert_ptr_equal(br_lane_take(lane), delivery);
    }
    in_flight = lane->in_flight;
    br_finish_attempt(&fx->loop, delivery, &result);
    assert_int_equal(lane->in_flight, in_flight - 1);
}

/* Fails unless the rendered metrics hold line (a whole line). */
static void assert_metric(struct fixture *fx, const char *line)
{
    struct br_buf out;
    char wanted[256];

    br_buf_init(&out, 0);
    assert_int_equal(br_metrics_render(fx->loop.metrics, &out), 0);
    snprintf(wanted, sizeof(wanted), "\n%s\n", line);
    if (!strstr(out.data, wanted)) {
        fail_msg("metrics lack \"%s\":\n%s", line, out.data);
    }
    br_buf_finish(&out);
}

static void test_delivered_moves_the_lane_on(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *first = delivery_new(fx->partition, 10);
    struct br_delivery *second = delivery_new(fx->partition, 11);
    (void)state;

    attempt(fx, first, true, 204, NULL);
    assert_int_equal(fx->loop.stats.delivered, 1);
    assert_int_equal(fx->loop.stats.attempts_failed, 0);
    assert_ptr_equal(lane->head, second);
    assert_int_equal(lane->count, 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 11);
    /* the next delivery may start at once */
    assert_int_equal(fx->loop.schedule.backoff_count, 0);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), lane);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    assert_metric(fx, "perscom_bridge_deliveries_total{hook=\"h\",outcome=\"delivered\"} 1");

    attempt(fx, second, true, 200, NULL);
    assert_null(lane->head);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 12);
    assert_null(br_schedule_pop(&fx->loop.schedule)); /* nothing left to start */
    fixture_free(fx);
}

static void test_transient_failure_backs_off(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *delivery = delivery_new(fx->partition, 10);
    int64_t before;
    int64_t after;
    (void)state;

    before = br_schedule_now_ms();
    attempt(fx, delivery, true, 503, NULL);
    after = br_schedule_now_ms();
    assert_int_equal(fx->loop.stats.attempts_failed, 1);
    assert_int_equal(fx->loop.stats.delivered, 0);
    assert_ptr_equal(lane->head, delivery);
    assert_int_equal(delivery->attempts, 1);
    assert_int_equal(delivery->last_status, 503);
    assert_string_equal(delivery->last_error, "HTTP 503");
    /* waits in the backoff list, not in the ready queue: attempt 1 gives [0, initial_ms] */
    assert_null(br_schedule_pop(&fx->loop.schedule));
    assert_int_equal(fx->loop.schedule.backoff_count, 1);
    assert_ptr_equal(fx->loop.schedule.backoff[0], delivery);
    assert_in_range(delivery->due_ms, before, after + 100);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1);

    /* a transport error: the error is kept, the last status too; attempt 2 gives [0, 200] */
    fx->loop.schedule.backoff_count = 0;
    before = br_schedule_now_ms();
    attempt(fx, delivery, false, 0, NULL);
    after = br_schedule_now_ms();
    assert_int_equal(delivery->attempts, 2);
    assert_int_equal(delivery->last_status, 503);
    assert_string_equal(delivery->last_error, "Connection refused");
    assert_in_range(delivery->due_ms, before, after + 200);
    assert_int_equal(fx->health.failures, 2);
    assert_false(fx->health.open); /* threshold 5 */
    assert_metric(fx, "perscom_bridge_attempts_failed_total{hook=\"h\"} 2");
    fixture_free(fx);
}

static void test_retry_after_is_a_lower_bound(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_delivery *delivery = delivery_new(fx->partition, 10);
    int64_t before;
    int64_t after;
    (void)state;

    before = br_schedule_now_ms();
    attempt(fx, delivery, true, 429, "3");
    after = br_schedule_now_ms();
    assert_int_equal(fx->loop.schedule.backoff_count, 1);
    assert_in_range(delivery->due_ms, before + 3000, after + 3000);
    /* capped at retry_after_max_ms */
    fx->loop.schedule.backoff_count = 0;
    before = br_schedule_now_ms();
    attempt(fx, delivery, true, 503, "3600");
    after = br_schedule_now_ms();
    assert_in_range(delivery->due_ms, before + 5000, after + 5000);
    fixture_free(fx);
}

static void test_exhausted_is_dropped_by_policy(void **state)
{
    struct fixture *fx = fixture_new(2, 5, BR_DEAD_LETTER_DROP);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *delivery = delivery_new(fx->partition, 10);
    (void)state;

    attempt(fx, delivery, true, 500, NULL);
    assert_int_equal(fx->loop.schedule.backoff_count, 1); /* attempt 1 of 2: retried */
    fx->loop.schedule.backoff_count = 0;
    attempt(fx, delivery, true, 500, NULL);
    assert_int_equal(fx->loop.stats.dropped, 1);
    assert_int_equal(fx->loop.stats.attempts_failed, 2);
    assert_null(lane->head);
    assert_int_equal(fx->loop.schedule.backoff_count, 0);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 11);
    assert_metric(fx, "perscom_bridge_deliveries_total{hook=\"h\",outcome=\"dropped\"} 1");
    fixture_free(fx);
}

static void test_refused_is_kept_under_policy_block(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *delivery = delivery_new(fx->partition, 10);
    int64_t before;
    int64_t after;
    (void)state;

    attempt(fx, delivery, true, 503, NULL);
    assert_int_equal(fx->health.failures, 1);
    for (int i = 0; i < 20; i++) {
        fx->loop.schedule.backoff_count = 0;
        before = br_schedule_now_ms();
        attempt(fx, delivery, true, 400, NULL);
        after = br_schedule_now_ms();
        /* nothing is lost: the same head, again at the longest backoff [max/2, max] */
        assert_ptr_equal(lane->head, delivery);
        assert_int_equal(fx->loop.schedule.backoff_count, 1);
        assert_in_range(delivery->due_ms, before + 500, after + 1000);
    }
    assert_int_equal(delivery->attempts, 21);
    assert_int_equal(fx->loop.stats.dropped, 0);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1);
    /* a refusal is an answer: the hook's failure count starts again */
    assert_int_equal(fx->health.failures, 0);
    fixture_free(fx);
}

/* ordering key: a failing key waits for its retry time; the other keys go on meanwhile, and
 * the done prefix (the committable offset) waits at the failing key's message */
static void test_key_mode_failure_blocks_only_its_key(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *a10;
    struct br_delivery *b11;
    struct br_delivery *a12;
    struct br_delivery *b13;
    (void)state;

    lane->ordering = BR_ORDERING_KEY;
    a10 = delivery_keyed(fx->partition, 10, "a");
    b11 = delivery_keyed(fx->partition, 11, "b");
    a12 = delivery_keyed(fx->partition, 12, "a");
    b13 = delivery_keyed(fx->partition, 13, "b");
    assert_ptr_equal(br_lane_take(lane), a10);
    assert_ptr_equal(br_lane_take(lane), b11);
    assert_int_equal(lane->in_flight, 2);
    attempt(fx, a10, true, 503, NULL);
    /* a waits in the backoff list; b goes on: its next is ready at once, a's next is not */
    assert_int_equal(fx->loop.schedule.backoff_count, 1);
    assert_ptr_equal(fx->loop.schedule.backoff[0], a10);
    assert_true(a10->waiting);
    assert_null(br_lane_next(lane));
    attempt(fx, b11, true, 204, NULL);
    assert_ptr_equal(br_lane_next(lane), b13);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), lane);
    attempt(fx, b13, true, 204, NULL);
    assert_false(a12->startable);
    assert_int_equal(fx->loop.stats.delivered, 2);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1); /* 10 is owed */
    /* a's retry time comes: a in order, then the whole prefix is done */
    assert_int_equal(br_schedule_fire(&fx->loop.schedule, a10->due_ms), INT64_MAX);
    assert_ptr_equal(br_lane_next(lane), a10);
    attempt(fx, a10, true, 204, NULL);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 12);
    assert_ptr_equal(br_lane_next(lane), a12);
    attempt(fx, a12, true, 204, NULL);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 14);
    assert_null(lane->head);
    fixture_free(fx);
}

static void test_undecodable_is_dropped_by_policy(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_DROP);
    struct br_message *message = message_new(fx->partition, 42);
    (void)state;

    br_finish_undecodable(&fx->loop, message, "bad magic byte 0x07");
    br_message_release(message);
    assert_int_equal(fx->loop.stats.dropped, 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 43);
    fixture_free(fx);
}

static void test_probe_success_releases_parked_lanes(void **state)
{
    struct fixture *fx = fixture_new(5, 1, BR_DEAD_LETTER_BLOCK);
    struct br_partition *other = br_partition_create("t", 1, NULL, 1);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *probe = delivery_new(fx->partition, 10);
    (void)state;

    delivery_new(fx->partition, 11);
    delivery_new(other, 5);
    attempt(fx, probe, false, 0, NULL);
    assert_true(fx->health.open);
    assert_ptr_equal(fx->health.probe, lane);
    assert_false(br_health_may_start(&fx->health, other->lanes[0])); /* parked */
    fx->loop.schedule.backoff_count = 0;

    attempt(fx, probe, true, 200, NULL);
    assert_false(fx->health.open);
    assert_int_equal(fx->health.parked_count, 0);
    /* the parked lane first, then the probe's lane with its next delivery */
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), other->lanes[0]);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), lane);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    br_partition_revoke(other);
    fixture_free(fx);
}

static void test_probe_given_up_hands_the_probe_on(void **state)
{
    struct fixture *fx = fixture_new(1, 1, BR_DEAD_LETTER_DROP);
    struct br_partition *other = br_partition_create("t", 1, NULL, 1);
    struct br_delivery *probe = delivery_new(fx->partition, 10);
    (void)state;

    delivery_new(other, 5);
    fx->health.open = true; /* opened by earlier failures */
    fx->health.failures = 1;
    fx->health.probe = fx->partition->lanes[0];
    assert_false(br_health_may_start(&fx->health, other->lanes[0]));

    attempt(fx, probe, true, 503, NULL); /* exhausted at once (max_attempts 1): dropped */
    assert_int_equal(fx->loop.stats.dropped, 1);
    assert_true(fx->health.open);
    assert_null(fx->health.probe);
    /* the parked lane is made ready: it becomes the next probe when it starts */
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), other->lanes[0]);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    assert_true(br_health_may_start(&fx->health, other->lanes[0]));
    assert_ptr_equal(fx->health.probe, other->lanes[0]);
    br_partition_revoke(other);
    fixture_free(fx);
}

static void test_dead_letters_settle_when_acknowledged(void **state)
{
    struct fixture *fx = fixture_new(5, 5, BR_DEAD_LETTER_BLOCK);
    struct br_lane *lane = fx->partition->lanes[0];
    struct br_delivery *refused = delivery_new(fx->partition, 10);
    struct br_delivery *next = delivery_new(fx->partition, 11);
    struct br_message *undecodable;
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    rd_kafka_mock_cluster_t *mock;
    rd_kafka_t *owner;
    char errstr[512];
    (void)state;

    assert_int_equal(rd_kafka_conf_set(kconf, "log_level", "0", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    owner = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr, sizeof(errstr));
    assert_non_null(owner);
    mock = rd_kafka_mock_cluster_new(owner, 1);
    assert_non_null(mock);
    assert_int_equal(rd_kafka_mock_topic_create(mock, "dlq", 1, 1), 0);
    fx->conf.brokers = (char *)rd_kafka_mock_cluster_bootstraps(mock);
    fx->conf.dead_letter_topic = "dlq";
    fx->loop.deadletter = br_deadletter_create(&fx->conf, -1, errstr, sizeof(errstr));
    if (!fx->loop.deadletter) {
        fail_msg("dead-letter producer: %s", errstr);
    }

    attempt(fx, refused, true, 400, NULL);
    /* the lane moves on at once; the message is done only when the brokers have it */
    assert_ptr_equal(lane->head, next);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), lane);
    assert_int_equal(fx->loop.schedule.backoff_count, 0);
    assert_int_equal(br_deadletter_pending_dead(fx->loop.deadletter), 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1);
    assert_int_equal(fx->loop.stats.dead_lettered, 0);

    undecodable = message_new(fx->partition, 12);
    br_finish_undecodable(&fx->loop, undecodable, "bad magic byte 0x07");
    br_message_release(undecodable);
    assert_int_equal(br_deadletter_pending_dead(fx->loop.deadletter), 2);

    assert_int_equal(br_deadletter_flush(fx->loop.deadletter, 10000), 0);
    assert_int_equal(fx->loop.stats.dead_lettered, 2);
    assert_int_equal(fx->loop.stats.dropped, 0);
    assert_null(fx->loop.dead_retry);
    /* 10 and 12 are done, 11 is not: the prefix stops at 11 */
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 11);
    assert_metric(fx, "perscom_bridge_deliveries_total{hook=\"h\",outcome=\"dead_lettered\"} 1");
    attempt(fx, next, true, 200, NULL);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 13);

    br_deadletter_destroy(fx->loop.deadletter);
    fx->loop.deadletter = NULL;
    fixture_free(fx);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(owner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivered_moves_the_lane_on),
        cmocka_unit_test(test_key_mode_failure_blocks_only_its_key),
        cmocka_unit_test(test_transient_failure_backs_off),
        cmocka_unit_test(test_retry_after_is_a_lower_bound),
        cmocka_unit_test(test_exhausted_is_dropped_by_policy),
        cmocka_unit_test(test_refused_is_kept_under_policy_block),
        cmocka_unit_test(test_undecodable_is_dropped_by_policy),
        cmocka_unit_test(test_probe_success_releases_parked_lanes),
        cmocka_unit_test(test_probe_given_up_hands_the_probe_on),
        cmocka_unit_test(test_dead_letters_settle_when_acknowledged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
