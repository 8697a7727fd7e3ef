/*
 * Unit tests of inherit.c and of the progress commit.c records: a partition whose previous
 * owner committed at offset 100 with hook "fast" ahead of hook "slow". Requests the previous
 * owner's hooks had acknowledged are not sent (done at once for that hook), the others are;
 * what this owner would commit records the inherited progress again, including the part it has
 * not read yet; and a partition too far ahead of its last successful commit starts nothing
 * until that commit covers it. A real loop state, no consumer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "delivery/ackmeta.h"
#include "loop/commit.h"
#include "loop/hooks.h"
#include "loop/inherit.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { SLOW, FAST, HOOKS };

struct fixture {
    struct br_conf conf;
    struct br_conf_hook hooks[HOOKS];
    struct br_loop loop;
    struct br_partition *partition;
};

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    assert_non_null(fx);
    fx->hooks[SLOW].name = "slow";
    fx->hooks[FAST].name = "fast";
    fx->conf.hooks = fx->hooks;
    fx->conf.hook_count = HOOKS;
    fx->conf.progress_metadata_bytes = 4096;
    fx->conf.max_uncommitted = 4;
    fx->loop.conf = &fx->conf;
    br_schedule_init(&fx->loop.schedule, 7);
    br_commit_init(&fx->loop);
    br_hooks_init(&fx->loop); /* slots, progress ids and scratch of the two hooks */
    assert_int_equal(fx->loop.hook_slots, HOOKS);
    fx->partition = br_partition_create("t", 0, NULL, HOOKS);
    fx->loop.partitions = fx->partition;
    return fx;
}

static void fixture_free(struct fixture *fx)
{
    br_schedule_forget(&fx->loop.schedule, fx->partition);
    br_inherit_forget(fx->partition);
    br_partition_revoke(fx->partition);
    br_commit_finish(&fx->loop);
    br_hooks_finish(&fx->loop);
    br_schedule_finish(&fx->loop.schedule);
    free(fx->loop.health);
    free(fx->loop.inherit_hooks);
    free(fx);
}

/* The previous owner's commit at 100: fast had 100..104 and 106, slow had 101. */
static void inherit(struct fixture *fx)
{
    struct br_ackmeta_range fast[] = {{100, 105}, {106, 107}};
    struct br_ackmeta_range slow[] = {{101, 102}};
    struct br_ackmeta_range other[] = {{100, 120}};
    struct br_ackmeta_hook hooks[] = {
        {br_ackmeta_hook_id("slow"), slow, COUNT(slow)},
        {br_ackmeta_hook_id("fast"), fast, COUNT(fast)},
        {br_ackmeta_hook_id("renamed"), other, COUNT(other)}, /* not a hook of this bridge */
    };
    struct br_ackmeta progress;
    char text[4097];
    char errstr[128];
    int64_t span;
    size_t len = br_ackmeta_encode(100, hooks, COUNT(hooks), 4096, text, &span);

    assert_int_equal(br_ackmeta_decode(text, len, 100, &progress, errstr, sizeof(errstr)), 0);
    fx->partition->handover = br_handover_create(&progress, fx->loop.hook_ids, HOOKS);
    assert_non_null(fx->partition->handover);
}

/* Takes offset as intake does, with a request for each hook; returns the hooks still sent. */
static unsigned take(struct fixture *fx, int64_t offset)
{
    struct br_prepared prepared = {0};
    unsigned sent = 0;
    size_t skipped;
    uint64_t seq;

    prepared.requests = calloc(HOOKS, sizeof(*prepared.requests));
    prepared.positions = calloc(HOOKS, sizeof(*prepared.positions));
    assert_non_null(prepared.requests);
    assert_non_null(prepared.positions);
    for (size_t i = 0; i < HOOKS; i++) {
        prepared.positions[i] = i; /* the hook's slot */
        prepared.requests[i].hook = &fx->hooks[i];
        prepared.requests[i].url = strdup("http://127.0.0.1:9/");
        prepared.requests[i].body = strdup("{}");
    }
    prepared.count = HOOKS;
    skipped = br_inherit_take(&fx->loop, fx->partition, offset, &prepared);
    assert_int_equal(skipped + prepared.count, HOOKS);
    seq = br_offsets_add(&fx->partition->offsets, offset, (uint32_t)prepared.count);
    br_inherit_ack(&fx->loop, fx->partition, seq, skipped);
    for (size_t i = 0; i < prepared.count; i++) {
        sent |= 1u << (prepared.requests[i].hook - fx->hooks);
    }
    fx->partition->next_offset = offset + 1;
    br_prepared_finish(&prepared);
    return sent;
}

/* What this owner would commit now, decoded. */
static void committed_progress(struct fixture *fx, int64_t base, struct br_ackmeta *out)
{
    char text[4097];
    char errstr[128];
    int64_t span;
    size_t len = br_commit_metadata(&fx->loop, fx->partition, base, text, &span);

    assert_true(span == INT64_MAX);
    assert_int_equal(br_ackmeta_decode(text, len, base, out, errstr, sizeof(errstr)), 0);
}

static void assert_ranges(const struct br_ackmeta_hook *hook, const int64_t *pairs, size_t n)
{
    assert_non_null(hook);
    assert_int_equal(hook->count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(hook->ranges[i].start, pairs[2 * i]);
        assert_int_equal(hook->ranges[i].end, pairs[2 * i + 1]);
    }
}

static void test_acknowledged_deliveries_are_not_sent_again(void **state)
{
    struct fixture *fx = fixture_new();
    const unsigned both = 1u << SLOW | 1u << FAST;
    /* per offset 100..107: the hooks still sent */
    const unsigned want[] = {1u << SLOW, 0, 1u << SLOW, 1u << SLOW, 1u << SLOW, both,
                             1u << SLOW, both};
    struct br_ackmeta progress;
    static const int64_t fast_ranges[] = {100, 105, 106, 107};
    static const int64_t slow_ranges[] = {101, 102};
    (void)state;

    inherit(fx);
    for (int64_t offset = 100; offset < 108; offset++) {
        assert_int_equal(take(fx, offset), want[offset - 100]);
    }
    assert_int_equal(fx->partition->handover_skipped, 7);
    /* slow still owes 100: nothing is done, yet the acknowledgements are recorded again */
    assert_int_equal(br_offsets_committable(&fx->partition->offsets), -1);
    committed_progress(fx, 100, &progress);
    assert_int_equal(progress.count, 2);
    assert_ranges(br_ackmeta_find(&progress, br_ackmeta_hook_id("fast")), fast_ranges, 2);
    assert_ranges(br_ackmeta_find(&progress, br_ackmeta_hook_id("slow")), slow_ranges, 1);
    assert_null(br_ackmeta_find(&progress, br_ackmeta_hook_id("renamed")));
    br_ackmeta_finish(&progress);

    /* from the inheritance's end on (107) it is dropped */
    assert_int_equal(take(fx, 108), both);
    assert_null(fx->partition->handover);
    fixture_free(fx);
}

static void test_unread_inheritance_is_recorded_again(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_ackmeta progress;
    static const int64_t fast_ranges[] = {100, 105, 106, 107};
    (void)state;

    /* revoked again after reading only 100 and 101: the rest still counts for the next owner */
    inherit(fx);
    assert_int_equal(take(fx, 100), 1u << SLOW);
    assert_int_equal(take(fx, 101), 0);
    committed_progress(fx, 100, &progress);
    assert_ranges(br_ackmeta_find(&progress, br_ackmeta_hook_id("fast")), fast_ranges, 2);
    br_ackmeta_finish(&progress);

    /* nothing read at all: everything inherited is recorded again */
    br_inherit_forget(fx->partition);
    fixture_free(fx);
    fx = fixture_new();
    inherit(fx);
    committed_progress(fx, 100, &progress);
    assert_ranges(br_ackmeta_find(&progress, br_ackmeta_hook_id("fast")), fast_ranges, 2);
    br_ackmeta_finish(&progress);
    fixture_free(fx);
}

static void test_too_far_ahead_waits_for_a_commit(void **state)
{
    struct fixture *fx = fixture_new();
    struct br_partition *partition = fx->partition;
    struct br_delivery *delivery = calloc(1, sizeof(*delivery));
    rd_kafka_message_t kafka;
    char text[4097];
    int64_t span;
    (void)state;

    assert_non_null(delivery);
    memset(&kafka, 0, sizeof(kafka));
    kafka.offset = 7;
    kafka.payload = "v";
    kafka.len = 1;
    delivery->message = br_message_create(partition, &kafka, br_schedule_now_ms());
    delivery->message->seq = br_offsets_add(&partition->offsets, 7, 1);
    br_lane_push(partition->lanes[SLOW], delivery);

    partition->settled = 3; /* max_uncommitted 4 */
    assert_true(br_commit_may_start(&fx->loop, partition));
    partition->settled = 4;
    assert_false(br_commit_may_start(&fx->loop, partition));
    assert_true(partition->throttled);
    partition->settled = 5;
    partition->settled_committed = 1; /* a commit covered the first one */
    assert_false(br_commit_may_start(&fx->loop, partition));

    /* the commit that was sent turns out to cover everything settled: the lanes go again */
    br_commit_metadata(&fx->loop, partition, 7, text, &span);
    partition->commit_sent = 7;
    partition->commit_metadata = strdup(text);
    br_commit_partitions(&fx->loop, &partition, 1); /* nothing new: nothing sent */
    assert_int_equal(partition->settled_committed, 5);
    assert_false(partition->throttled);
    assert_ptr_equal(br_schedule_pop(&fx->loop.schedule), partition->lanes[SLOW]);
    assert_null(br_schedule_pop(&fx->loop.schedule)); /* the other lane has nothing */
    assert_true(br_commit_may_start(&fx->loop, partition));

    fx->conf.max_uncommitted = 0; /* no bound */
    partition->settled = 1000;
    assert_true(br_commit_may_start(&fx->loop, partition));
    fixture_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acknowledged_deliveries_are_not_sent_again),
        cmocka_unit_test(test_unread_inheritance_is_recorded_again),
        cmocka_unit_test(test_too_far_ahead_waits_for_a_commit),
    };

    br_log_set_level(BR_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
