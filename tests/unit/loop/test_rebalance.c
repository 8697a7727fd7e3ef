/*
 * Unit tests of rebalance.c: what a revoke does to the schedule and to the hooks' health. A
 * real loop state with one hook, three partitions "t" [0..2] (X, Y, Z), each with a delivery at
 * the head of its lane; the consumer is absent (nothing is done yet, so nothing is committed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "loop/commit.h"
#include "loop/loopstate.h"
#include "loop/rebalance.h"
#include "loop/schedule.h"

enum { X, Y, Z, PARTITIONS };

struct fixture {
    struct br_conf conf;
    struct br_conf_hook hook;
    struct br_health health;
    struct br_loop loop;
    struct br_lane *lanes[PARTITIONS]; /* the hook's lane of X, Y, Z */
};

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char errstr[256];

    assert_non_null(fx);
    fx->hook.name = "h";
    fx->conf.hooks = &fx->hook;
    fx->conf.hook_count = 1;
    fx->conf.probe_after_failures = 1;
    fx->loop.conf = &fx->conf;
    fx->loop.health = &fx->health;
    br_health_init(&fx->health);
    br_schedule_init(&fx->loop.schedule, 7);
    br_commit_init(&fx->loop);
    fx->loop.sender = br_sender_create(4, errstr, sizeof(errstr));
    assert_non_null(fx->loop.sender);
    for (int id = PARTITIONS - 1; id >= 0; id--) {
        struct br_partition *partition = br_partition_create("t", id, NULL, 1);
        struct br_delivery *delivery = calloc(1, sizeof(*delivery));
        rd_kafka_message_t kafka;

        assert_non_null(delivery);
        memset(&kafka, 0, sizeof(kafka));
        kafka.offset = 100;
        kafka.payload = "v";
        kafka.len = 1;
        delivery->message = br_message_create(partition, &kafka, br_schedule_now_ms());
        delivery->message->seq = br_offsets_add(&partition->offsets, kafka.offset, 1);
        br_lane_push(partition->lanes[0], delivery);
        partition->next = fx->loop.partitions;
        fx->loop.partitions = partition;
        fx->lanes[id] = partition->lanes[0];
    }
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    while (fx->loop.partitions) {
        br_rebalance_drop(&fx->loop, fx->loop.partitions);
    }
    br_sender_destroy(fx->loop.sender);
    br_commit_finish(&fx->loop);
    br_schedule_finish(&fx->loop.schedule);
    br_health_finish(&fx->health);
    free(fx);
}

/* The hook is failing: X's lane is its probe, Y's and Z's lanes tried to start and wait. */
static void probe_on_x(struct fixture *fx)
{
    br_health_failure(&fx->health, fx->lanes[X], 1);
    assert_true(fx->health.open);
    assert_ptr_equal(fx->health.probe, fx->lanes[X]);
    assert_false(br_health_may_start(&fx->health, fx->lanes[Y]));
    assert_false(br_health_may_start(&fx->health, fx->lanes[Z]));
    assert_int_equal(fx->health.parked_count, 2);
}

/* An incremental (cooperative) revoke of the partitions ids[0..count). */
static void revoke(struct fixture *fx, const int *ids, int count)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(count);

    for (int i = 0; i < count; i++) {
        rd_kafka_topic_partition_list_add(list, "t", ids[i]);
    }
    br_rebalance_revoked(&fx->loop, list, false);
    rd_kafka_topic_partition_list_destroy(list);
    for (int i = 0; i < count; i++) {
        assert_null(br_rebalance_find(&fx->loop, "t", ids[i]));
        fx->lanes[ids[i]] = NULL; /* freed */
    }
}

/*
 * Pops every ready lane and lets it start as the loop's start_ready would (the health decides);
 * returns how many started, the first of them in *started.
 */
static int start_ready(struct fixture *fx, struct br_lane **started)
{
    struct br_lane *lane;
    int count = 0;

    *started = NULL;
    while ((lane = br_schedule_pop(&fx->loop.schedule)) != NULL) {
        if (br_health_may_start(&fx->health, lane)) {
            *started = count == 0 ? lane : *started;
            count++;
        }
    }
    return count;
}

static void test_revoke_probe_and_next_parked_releases_the_last(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {X, Y};
    struct br_lane *started;
    (void)state;

    probe_on_x(fx);
    /* dropping X hands the probe to Y's lane; dropping Y must then hand it to Z's */
    revoke(fx, ids, 2);
    assert_non_null(br_rebalance_find(&fx->loop, "t", Z));
    assert_true(fx->health.open);
    assert_null(fx->health.probe);
    assert_int_equal(fx->health.parked_count, 0);
    /* Z's lane is ready, and starts as the probe */
    assert_ptr_equal(fx->loop.schedule.ready_head, fx->lanes[Z]);
    assert_int_equal(start_ready(fx, &started), 1);
    assert_ptr_equal(started, fx->lanes[Z]);
    assert_ptr_equal(fx->health.probe, fx->lanes[Z]);
    fixture_free(fx);
}

static void test_revoke_probe_alone_promotes_the_oldest_parked(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {X};
    struct br_lane *started;
    (void)state;

    probe_on_x(fx);
    revoke(fx, ids, 1);
    /* Y goes first and probes; Z may be offered too, but waits behind Y's probe */
    assert_ptr_equal(fx->loop.schedule.ready_head, fx->lanes[Y]);
    assert_int_equal(start_ready(fx, &started), 1);
    assert_ptr_equal(started, fx->lanes[Y]);
    assert_ptr_equal(fx->health.probe, fx->lanes[Y]);
    assert_int_equal(fx->health.parked_count, 1);
    assert_ptr_equal(fx->health.parked[0], fx->lanes[Z]);
    fixture_free(fx);
}

static void test_revoke_parked_keeps_the_probe(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {Y, Z};
    (void)state;

    probe_on_x(fx);
    revoke(fx, ids, 2);
    assert_ptr_equal(fx->health.probe, fx->lanes[X]);
    assert_int_equal(fx->health.parked_count, 0);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    fixture_free(fx);
}

static void test_revoke_while_closed_starts_nothing(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {X, Y};
    (void)state;

    br_health_failure(&fx->health, fx->lanes[X], 5); /* one failure of five: still closed */
    assert_false(fx->health.open);
    revoke(fx, ids, 2);
    assert_false(fx->health.open);
    assert_null(fx->health.probe);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    fixture_free(fx);
}

static void test_revoke_forgets_the_schedule(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {Y};

    struct br_delivery *waiting = br_lane_take(fx->lanes[Z]);
    (void)state;

    br_schedule_ready(&fx->loop.schedule, fx->lanes[Y]);
    br_schedule_ready(&fx->loop.schedule, fx->lanes[X]);
    br_lane_retry(fx->lanes[Z], waiting);
    br_schedule_backoff(&fx->loop.schedule, waiting, 10);
    assert_non_null(br_lane_take(fx->lanes[Y])); /* in flight */
    revoke(fx, ids, 1);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), fx->lanes[X]);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    assert_int_equal(fx->loop.schedule.backoff_count, 1);
    assert_ptr_equal(fx->loop.schedule.backoff[0], waiting);
    assert_null(fx->loop.last_hit);
    fixture_free(fx);
}

/* A revoke cancels every request of the partition's lanes in flight (several in mode none),
 * gives their slots of the hook's max_in_flight back, and the lanes of other partitions that
 * waited for a slot become ready. */
static void test_revoke_gives_back_the_hook_slots(void **state)
{
    struct fixture *fx = fixture_new();
    const int ids[] = {X};
    struct br_lane *x = fx->lanes[X];
    struct br_delivery *more = calloc(1, sizeof(*more));
    (void)state;

    assert_non_null(more);
    fx->hook.max_in_flight = 2;
    br_schedule_set_hooks(&fx->loop.schedule, &fx->hook, 1);
    x->ordering = BR_ORDERING_NONE;
    more->message = br_message_ref(x->head->message);
    br_lane_push(x, more);
    for (int i = 0; i < 2; i++) {
        assert_true(br_schedule_may_start(&fx->loop.schedule, x));
        assert_non_null(br_lane_take(x));
        br_schedule_started(&fx->loop.schedule, 0);
    }
    assert_int_equal(x->in_flight, 2);
    assert_false(br_schedule_may_start(&fx->loop.schedule, fx->lanes[Y])); /* waits */
    assert_null(br_schedule_pop(&fx->loop.schedule));
    revoke(fx, ids, 1);
    assert_int_equal(fx->loop.schedule.hooks[0].in_flight, 0);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), fx->lanes[Y]);
    assert_null(br_schedule_pop(&fx->loop.schedule));
    assert_true(br_schedule_may_start(&fx->loop.schedule, fx->lanes[Y]));
    fixture_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoke_probe_and_next_parked_releases_the_last),
        cmocka_unit_test(test_revoke_probe_alone_promotes_the_oldest_parked),
        cmocka_unit_test(test_revoke_parked_keeps_the_probe),
        cmocka_unit_test(test_revoke_while_closed_starts_nothing),
        cmocka_unit_test(test_revoke_forgets_the_schedule),
        cmocka_unit_test(test_revoke_gives_back_the_hook_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
