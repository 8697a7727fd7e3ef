/*
 * Unit tests of hooks.c: the loop's side of the live hook set. A real loop state (loopstate.h)
 * with two start-up hooks, a partition with queued deliveries; hooks are added, changed and
 * removed as a reload does, and the lanes, the done prefix, the requests and the metrics are
 * looked at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "loop/finish.h"
#include "loop/hooks.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

#define JSON "{\"event\":\"user.created\",\"data\":{\"id\":1}}"

struct fixture {
    struct br_conf conf;
    struct br_conf_hook hooks[2]; /* "a", "b" */
    struct br_hook_secret secrets[2];
    struct br_loop loop;
    struct br_partition *partition;
};

static void hook_init(struct br_conf_hook *hook, struct br_hook_secret *secret, const char *name,
                      const char *url)
{
    static char *events[] = {"*"};

    hook->name = (char *)name;
    hook->url = (char *)url;
    secret->text = "s";
    secret->len = 1;
    hook->secrets = secret;
    hook->secret_count = 1;
    hook->secret = "s";
    hook->secret_len = 1;
    hook->events = events;
    hook->event_count = 1;
    hook->timeout_ms = 3000;
}

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char errstr[256];

    assert_non_null(fx);
    hook_init(&fx->hooks[0], &fx->secrets[0], "a", "http://127.0.0.1:9/a");
    hook_init(&fx->hooks[1], &fx->secrets[1], "b", "http://127.0.0.1:9/b");
    fx->conf.hooks = fx->hooks;
    fx->conf.hook_count = 2;
    fx->conf.max_body_bytes = 1 << 20;
    fx->loop.conf = &fx->conf;
    fx->loop.reload_fd = -1;
    fx->loop.metrics = br_metrics_create(NULL, 0);
    fx->loop.sender = br_sender_create(4, errstr, sizeof(errstr));
    assert_non_null(fx->loop.sender);
    br_schedule_init(&fx->loop.schedule, 7);
    br_hooks_init(&fx->loop);
    fx->partition = br_partition_create("t", 0, NULL, fx->loop.hook_slots);
    fx->loop.partitions = fx->partition;
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    br_schedule_forget(&fx->loop.schedule, fx->partition);
    br_partition_revoke(fx->partition);
    br_hooks_finish(&fx->loop);
    br_sender_destroy(fx->loop.sender);
    br_schedule_finish(&fx->loop.schedule);
    br_metrics_destroy(fx->loop.metrics);
    free(fx->loop.health);
    free(fx->loop.hook_ids);
    free(fx->loop.progress_hooks);
    free(fx->loop.inherit_hooks);
    free(fx);
}

/* A message at offset owing one delivery to the hook in slot, queued on its lane as intake
 * does. */
static struct br_delivery *queue(struct fixture *fx, int64_t offset, size_t slot)
{
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));
    rd_kafka_message_t kafka;
    json_t *payload = json_loads(JSON, 0, NULL);
    char errstr[256];

    assert_non_null(delivery);
    assert_non_null(payload);
    memset(&kafka, 0, sizeof(kafka));
    kafka.offset = offset;
    kafka.payload = "v";
    kafka.len = 1;
    br_partition_grow(fx->partition, fx->loop.hook_slots);
    delivery->message = br_message_create(fx->partition, &kafka, br_schedule_now_ms());
    delivery->message->seq = br_offsets_add(&fx->partition->offsets, offset, 1);
    delivery->hook = br_hooks_take(&fx->loop, slot);
    assert_non_null(delivery->hook);
    assert_int_equal(br_request_build_encoded(delivery->hook->conf, payload, JSON, strlen(JSON),
                                              0, NULL, &delivery->request, errstr, sizeof(errstr)),
                     0);
    json_decref(payload);
    br_lane_push(br_partition_lane(fx->partition, slot), delivery);
    return delivery;
}

static bool metrics_have(struct fixture *fx, const char *line)
{
    struct br_buf out;
    char wanted[256];
    bool found;

    br_buf_init(&out, 0);
    assert_int_equal(br_metrics_render(fx->loop.metrics, &out), 0);
    snprintf(wanted, sizeof(wanted), "\n%s\n", line);
    found = strstr(out.data, wanted) != NULL;
    br_buf_finish(&out);
    return found;
}

static void test_start_up_hooks_are_slots(void **state)
{
    struct fixture *fx = fixture_new();
    (void)state;

    assert_int_equal(fx->loop.hook_slots, 2);
    assert_int_equal(fx->loop.route_count, 2);
    assert_ptr_equal(fx->loop.route_hooks[1], &fx->hooks[1]);
    assert_ptr_equal(br_hooks_conf(&fx->loop, 0), &fx->hooks[0]);
    assert_string_equal(br_hooks_name(&fx->loop, 1), "b");
    assert_true(fx->loop.hook_ids[0] != 0 && fx->loop.hook_ids[0] != fx->loop.hook_ids[1]);
    assert_true(metrics_have(fx, "perscom_bridge_hooks 2"));
    fixture_free(fx);
}

/* A removed hook's queued deliveries are settled (hook_deleted) at once: the offsets move on,
 * the other hook's deliveries stay. */
static void test_removed_hook_deliveries_settle(void **state)
{
    struct fixture *fx = fixture_new();
    (void)state;

    queue(fx, 10, 0);
    queue(fx, 11, 0);
    queue(fx, 12, 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1);

    assert_true(br_hooks_remove(&fx->loop, "a"));
    assert_false(br_hooks_remove(&fx->loop, "a"));
    assert_int_equal(fx->partition->lanes[0]->count, 0);
    assert_int_equal(fx->partition->lanes[1]->count, 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 12); /* 10, 11 settled */
    assert_int_equal(fx->partition->settled, 2);
    assert_true(metrics_have(fx, "perscom_bridge_deliveries_total"
                                     "{hook=\"a\",outcome=\"hook_deleted\"} 2"));
    assert_true(metrics_have(fx, "perscom_bridge_deliveries_total"
                                     "{hook=\"b\",outcome=\"hook_deleted\"} 0"));
    assert_true(metrics_have(fx, "perscom_bridge_hooks 1"));
    assert_int_equal(fx->loop.route_count, 1);
    assert_ptr_equal(fx->loop.route_hooks[0], &fx->hooks[1]);
    assert_null(br_hooks_conf(&fx->loop, 0));
    /* what the next owner is told: a's two deliveries count as acknowledged by a */
    {
        struct br_ackmeta_range ranges[2];
        assert_int_equal(br_offsets_acked(&fx->partition->offsets, 0, ranges, 2), 0); /* done */
    }
    fixture_free(fx);
}

/* A request in flight when its hook is removed finishes; failing, it is not tried again. */
static void test_removed_hook_in_flight_finishes(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_delivery *flying = queue(fx, 10, 0);
    struct br_transfer_result result;
    struct br_lane *lane = fx->partition->lanes[0];
    (void)state;

    queue(fx, 11, 0);
    assert_ptr_equal(br_lane_take(lane), flying); /* the sender has it */
    assert_true(br_hooks_remove(&fx->loop, "a"));
    assert_int_equal(lane->count, 1);
    assert_ptr_equal(lane->head, flying);
    assert_int_equal(lane->in_flight, 1);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1); /* 10 pending */
    assert_true(metrics_have(fx, "perscom_bridge_deliveries_total"
                                     "{hook=\"a\",outcome=\"hook_deleted\"} 1"));

    memset(&result, 0, sizeof(result));
    result.transport_ok = true;
    result.http_status = 503; /* would be retried if the hook were still there */
    br_finish_attempt(&fx->loop, flying, &result);
    assert_int_equal(lane->count, 0);
    assert_int_equal(lane->in_flight, 0);
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), 12);
    assert_true(metrics_have(fx, "perscom_bridge_deliveries_total"
                                     "{hook=\"a\",outcome=\"hook_deleted\"} 2"));
    fixture_free(fx);
}

/* A changed hook keeps its queue in order; each request is built again when it starts. */
static void test_changed_hook_rebuilds_at_send_time(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_conf_hook *changed = calloc(1, sizeof(*changed));
    struct br_delivery *first;
    struct br_delivery *second;
    struct br_delivery *other;
    (void)state;

    first = queue(fx, 10, 0);
    second = queue(fx, 11, 0);
    other = queue(fx, 12, 1);
    /* a's new settings: another URL and secret (owned by the set) */
    assert_non_null(changed);
    changed->name = strdup("a");
    changed->url = strdup("http://127.0.0.1:9/a2");
    changed->secrets = calloc(1, sizeof(*changed->secrets));
    assert_non_null(changed->secrets);
    changed->secrets[0].text = strdup("new");
    changed->secrets[0].len = 3;
    changed->secret_count = 1;
    changed->secret = changed->secrets[0].text;
    changed->secret_len = 3;
    changed->events = calloc(1, sizeof(*changed->events));
    changed->events[0] = strdup("*");
    changed->event_count = 1;
    changed->timeout_ms = 3000;
    assert_int_equal(br_hooks_put(&fx->loop, "a", changed, true, NULL), BR_HOOKSET_CHANGED);
    assert_int_equal(fx->loop.hook_slots, 2); /* the same slot */
    assert_int_equal(fx->partition->lanes[0]->count, 2);
    assert_ptr_equal(fx->partition->lanes[0]->head, first);

    assert_string_equal(first->request.url, "http://127.0.0.1:9/a"); /* not yet */
    assert_true(br_hooks_refresh(&fx->loop, first));
    assert_string_equal(first->request.url, "http://127.0.0.1:9/a2");
    assert_ptr_equal(first->request.hook, changed);
    assert_ptr_equal(first->hook, br_hookset_current(fx->loop.hookset, 0));
    assert_string_equal(first->request.body, JSON);
    assert_string_equal(second->request.url, "http://127.0.0.1:9/a"); /* when its turn comes */
    assert_true(br_hooks_refresh(&fx->loop, other)); /* b did not change */
    assert_string_equal(other->request.url, "http://127.0.0.1:9/b");

    /* the same settings again: nothing to rebuild */
    assert_true(br_hooks_refresh(&fx->loop, first));
    assert_string_equal(first->request.url, "http://127.0.0.1:9/a2");

    /* removed after the change: refresh says there is nothing to send */
    assert_true(br_hooks_remove(&fx->loop, "a"));
    assert_int_equal(fx->partition->lanes[0]->count, 0);
    fixture_free(fx);
}

/* A hook added while running gets a new slot: lanes, health, progress id, metrics. */
static void test_added_hook_gets_a_slot(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_conf_hook *added = calloc(1, sizeof(*added));
    (void)state;

    assert_non_null(added);
    added->name = strdup("c");
    added->url = strdup("http://127.0.0.1:9/c");
    added->timeout_ms = 3000;
    assert_int_equal(br_hooks_put(&fx->loop, "c", added, true, NULL), BR_HOOKSET_ADDED);
    assert_int_equal(fx->loop.hook_slots, 3);
    assert_int_equal(fx->loop.route_count, 3);
    assert_true(fx->loop.hook_ids[2] != 0);
    assert_false(fx->loop.health[2].open);
    assert_true(metrics_have(fx, "perscom_bridge_attempts_failed_total{hook=\"c\"} 0"));
    queue(fx, 20, 2); /* the partition's lanes grow when first used */
    assert_int_equal(fx->partition->lane_count, 3);
    assert_int_equal(fx->partition->lanes[2]->count, 1);
    fixture_free(fx);
}

static struct br_conf_hook *plain_hook(const char *name)
{
    struct br_conf_hook *hook = calloc(1, sizeof(*hook));

    assert_non_null(hook);
    hook->name = strdup(name);
    hook->url = strdup("http://127.0.0.1:9/t");
    hook->timeout_ms = 3000;
    return hook;
}

/*
 * A removed hook of ordering none with two requests in flight and one waiting for its retry
 * time: both in flight stay (they finish), the waiting one and the queued one settle as
 * hook_deleted, and the waiting one leaves the retry timers.
 */
static void test_removed_hook_many_in_flight(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_lane *lane = br_partition_lane(fx->partition, 0);
    struct br_delivery *one;
    struct br_delivery *two;
    struct br_delivery *three;
    (void)state;

    assert_true(br_lane_set_ordering(lane, BR_ORDERING_NONE));
    one = queue(fx, 10, 0);
    two = queue(fx, 11, 0);
    three = queue(fx, 12, 0);
    queue(fx, 13, 0);
    assert_ptr_equal(br_lane_take(lane), one);
    assert_ptr_equal(br_lane_take(lane), two);
    assert_ptr_equal(br_lane_take(lane), three);
    br_lane_retry(lane, three); /* failed: waits for its retry time */
    br_schedule_backoff(&fx->loop.schedule, three, br_schedule_now_ms() + 60000);
    assert_int_equal(fx->loop.schedule.backoff_count, 1);

    assert_true(br_hooks_remove(&fx->loop, "a"));
    assert_int_equal(lane->count, 2);
    assert_int_equal(lane->in_flight, 2);
    assert_ptr_equal(lane->head, one);
    assert_ptr_equal(lane->tail, two);
    assert_int_equal(lane->waiting, 0);
    assert_int_equal(fx->loop.schedule.backoff_count, 0);
    assert_true(metrics_have(fx, "perscom_bridge_deliveries_total"
                                     "{hook=\"a\",outcome=\"hook_deleted\"} 2"));
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1); /* 10, 11 pending */
    fixture_free(fx);
}

/*
 * A hook's max_in_flight is its slot's cap from the moment it is put: a hook added by a reload
 * gets its own, and a change of it applies at once.
 */
static void test_caps_follow_the_hook_set(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_conf_hook *added = plain_hook("c");
    struct br_conf_hook *changed = plain_hook("c");
    struct br_lane *lane;
    (void)state;

    added->ordering = BR_ORDERING_KEY;
    added->max_in_flight = 3;
    assert_int_equal(br_hooks_put(&fx->loop, "c", added, true, NULL), BR_HOOKSET_ADDED);
    assert_true(fx->loop.schedule.hook_count >= 3);
    assert_int_equal(fx->loop.schedule.hooks[2].cap, 3);

    /* a lane waiting for a slot of c is made ready when c's cap is raised */
    queue(fx, 20, 2);
    lane = fx->partition->lanes[2];
    fx->loop.schedule.hooks[2].in_flight = 3;
    assert_false(br_schedule_may_start(&fx->loop.schedule, lane));
    assert_true(lane->capped);
    changed->ordering = BR_ORDERING_KEY;
    changed->max_in_flight = 5;
    assert_int_equal(br_hooks_put(&fx->loop, "c", changed, true, NULL), BR_HOOKSET_CHANGED);
    assert_int_equal(fx->loop.schedule.hooks[2].cap, 5);
    assert_false(lane->capped);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), lane);
    assert_true(br_schedule_may_start(&fx->loop.schedule, lane));
    fx->loop.schedule.hooks[2].in_flight = 0;
    fixture_free(fx);
}

/* A table hook (group = its tenant) gets its tenant's topics only; YAML hooks get all. */
static void test_route_by_tenant(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_hook_list list;
    const size_t *slots;
    (void)state;

    br_hooks_route(&fx->loop, "t1", &list, &slots);
    assert_int_equal(list.count, 2); /* no table hooks yet: the whole view */
    br_hooks_put(&fx->loop, "tenant:t1:webhook:1", plain_hook("tenant:t1:webhook:1"), true, "t1");
    br_hooks_put(&fx->loop, "tenant:t2:webhook:1", plain_hook("tenant:t2:webhook:1"), true, "t2");
    br_hooks_put(&fx->loop, "tenant:t2:webhook:2", plain_hook("tenant:t2:webhook:2"), true, "t2");
    assert_int_equal(br_hooks_count_group(&fx->loop, "t2"), 2);
    assert_int_equal(br_hooks_count_group(&fx->loop, "t3"), 0);

    br_hooks_route(&fx->loop, "t1", &list, &slots);
    assert_int_equal(list.count, 3);
    assert_string_equal(list.hooks[2]->name, "tenant:t1:webhook:1");
    assert_int_equal(slots[2], 2);
    br_hooks_route(&fx->loop, "t2", &list, &slots);
    assert_int_equal(list.count, 4);
    assert_int_equal(slots[2], 3);
    assert_int_equal(slots[3], 4);
    br_hooks_route(&fx->loop, NULL, &list, &slots); /* a topic without a tenant: YAML only */
    assert_int_equal(list.count, 2);
    assert_string_equal(list.hooks[0]->name, "a");
    br_hooks_route(&fx->loop, "t9", &list, &slots);
    assert_int_equal(list.count, 2);

    assert_true(br_hooks_remove(&fx->loop, "tenant:t2:webhook:1"));
    br_hooks_route(&fx->loop, "t2", &list, &slots);
    assert_int_equal(list.count, 3);
    assert_int_equal(slots[2], 4);
    fixture_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_up_hooks_are_slots),
        cmocka_unit_test(test_removed_hook_deliveries_settle),
        cmocka_unit_test(test_removed_hook_in_flight_finishes),
        cmocka_unit_test(test_changed_hook_rebuilds_at_send_time),
        cmocka_unit_test(test_added_hook_gets_a_slot),
        cmocka_unit_test(test_route_by_tenant),
        cmocka_unit_test(test_removed_hook_many_in_flight),
        cmocka_unit_test(test_caps_follow_the_hook_set),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
