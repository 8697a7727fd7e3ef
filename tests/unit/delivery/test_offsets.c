#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "delivery/offsets.h"

static void test_empty(void **state)
{
    struct br_offsets offsets;
    (void)state;
    br_offsets_init(&offsets, 2);
    assert_int_equal(br_offsets_committable(&offsets), -1);
    assert_int_equal(br_offsets_outstanding(&offsets), 0);
    br_offsets_finish(&offsets);
}

static void test_prefix_waits_for_head(void **state)
{
    struct br_offsets offsets;
    uint64_t s10, s11, s12;
    (void)state;
    br_offsets_init(&offsets, 2);
    s10 = br_offsets_add(&offsets, 10, 2);
    s11 = br_offsets_add(&offsets, 11, 1);
    s12 = br_offsets_add(&offsets, 12, 1);
    br_offsets_done(&offsets, s11);
    br_offsets_done(&offsets, s12);
    assert_int_equal(br_offsets_committable(&offsets), -1); /* 10 still owes two */
    br_offsets_done(&offsets, s10);
    assert_int_equal(br_offsets_committable(&offsets), -1); /* one left */
    assert_int_equal(br_offsets_outstanding(&offsets), 3);
    br_offsets_done(&offsets, s10);
    assert_int_equal(br_offsets_committable(&offsets), 13);
    assert_int_equal(br_offsets_outstanding(&offsets), 0);
    /* a late duplicate completion changes nothing */
    br_offsets_done(&offsets, s10);
    assert_int_equal(br_offsets_committable(&offsets), 13);
    br_offsets_finish(&offsets);
}

static void test_gaps_and_zero_pending(void **state)
{
    struct br_offsets offsets;
    uint64_t s;
    (void)state;
    br_offsets_init(&offsets, 2);
    br_offsets_add(&offsets, 5, 0); /* maps to no hook: done at once */
    assert_int_equal(br_offsets_committable(&offsets), 6);
    s = br_offsets_add(&offsets, 9, 1); /* offsets may skip (compaction, markers) */
    br_offsets_add(&offsets, 12, 0);
    assert_int_equal(br_offsets_committable(&offsets), 6);
    br_offsets_done(&offsets, s);
    assert_int_equal(br_offsets_committable(&offsets), 13);
    br_offsets_finish(&offsets);
}

/* Random completion order over many wraps of the ring: the prefix is always exact. */
static void test_random_order(void **state)
{
    enum { N = 5000 };
    struct br_offsets offsets;
    static uint64_t seqs[N];
    static int done[N];
    size_t added = 0;
    unsigned rng = 12345;
    (void)state;
    br_offsets_init(&offsets, 2);
    while (added < N || br_offsets_outstanding(&offsets) > 0) {
        rng = rng * 1103515245u + 12345u;
        if (added < N && (rng >> 16) % 3 != 0) {
            seqs[added] = br_offsets_add(&offsets, (int64_t)added * 2, 1);
            added++;
            continue;
        }
        if (added == 0) {
            continue;
        }
        size_t pick = (rng >> 8) % added;
        if (!done[pick]) {
            done[pick] = 1;
            br_offsets_done(&offsets, seqs[pick]);
        } else {
            /* finish the oldest not done, so the loop ends */
            for (size_t i = 0; i < added; i++) {
                if (!done[i]) {
                    done[i] = 1;
                    br_offsets_done(&offsets, seqs[i]);
                    break;
                }
            }
        }
        size_t prefix = 0;
        while (prefix < added && done[prefix]) {
            prefix++;
        }
        int64_t want = prefix == 0 ? -1 : (int64_t)(prefix - 1) * 2 + 1;
        if (prefix > 0 || br_offsets_committable(&offsets) != -1) {
            assert_int_equal(br_offsets_committable(&offsets), want);
        }
    }
    assert_int_equal(br_offsets_committable(&offsets), (N - 1) * 2 + 1);
    br_offsets_finish(&offsets);
}

/* Which hooks acknowledged which messages beyond the done prefix, as ranges. */
static void test_acked_ranges(void **state)
{
    struct br_offsets offsets;
    struct br_ackmeta_range out[8];
    uint64_t s10, s11, s12, s15, s16;
    (void)state;
    br_offsets_init(&offsets, 70); /* two words of hook bits per message */
    s10 = br_offsets_add(&offsets, 10, 2);
    s11 = br_offsets_add(&offsets, 11, 2);
    s12 = br_offsets_add(&offsets, 12, 1);
    s15 = br_offsets_add(&offsets, 15, 2); /* 13 and 14 hold no message */
    s16 = br_offsets_add(&offsets, 16, 2);
    br_offsets_ack(&offsets, s11, 0);
    br_offsets_done(&offsets, s11);
    br_offsets_ack(&offsets, s12, 0);
    br_offsets_done(&offsets, s12);
    br_offsets_ack(&offsets, s15, 0);
    br_offsets_done(&offsets, s15);
    br_offsets_ack(&offsets, s16, 69);
    br_offsets_done(&offsets, s16);
    br_offsets_ack(&offsets, s16, 200); /* no such hook: ignored */
    assert_int_equal(br_offsets_committable(&offsets), -1);
    assert_int_equal(br_offsets_first_undone(&offsets), 10);

    /* 11, 12 and 15 are neighbours in the partition: one range across the gap */
    assert_int_equal(br_offsets_acked(&offsets, 0, out, 8), 1);
    assert_int_equal(out[0].start, 11);
    assert_int_equal(out[0].end, 16);
    assert_int_equal(br_offsets_acked(&offsets, 69, out, 8), 1);
    assert_int_equal(out[0].start, 16);
    assert_int_equal(out[0].end, 17);
    assert_int_equal(br_offsets_acked(&offsets, 1, out, 8), 0);
    assert_int_equal(br_offsets_acked(&offsets, 70, out, 8), 0);
    assert_int_equal(br_offsets_acked(&offsets, 0, out, 0), 0);

    /* 10 done by both hooks: the prefix moves to 11 (which still owes one delivery) */
    br_offsets_ack(&offsets, s10, 0);
    br_offsets_done(&offsets, s10);
    br_offsets_ack(&offsets, s10, 1);
    br_offsets_done(&offsets, s10);
    assert_int_equal(br_offsets_committable(&offsets), 11);
    assert_int_equal(br_offsets_first_undone(&offsets), 11);
    assert_int_equal(br_offsets_acked(&offsets, 0, out, 8), 1);
    assert_int_equal(out[0].start, 11);
    assert_int_equal(br_offsets_acked(&offsets, 1, out, 8), 0);
    br_offsets_ack(&offsets, s10, 1); /* in the done prefix: nothing happens */
    br_offsets_finish(&offsets);
}

/* The hook bits survive the ring's growth and wrap-around. */
static void test_acked_survive_growth(void **state)
{
    struct br_offsets offsets;
    struct br_ackmeta_range out[200];
    uint64_t seqs[300];
    size_t n;
    (void)state;
    br_offsets_init(&offsets, 3);
    for (int i = 0; i < 40; i++) { /* move the head so that the ring wraps */
        br_offsets_add(&offsets, i, 0);
    }
    for (int i = 0; i < 300; i++) {
        seqs[i] = br_offsets_add(&offsets, 100 + i, 3);
        if (i % 3 != 2) {
            br_offsets_ack(&offsets, seqs[i], 2);
            br_offsets_done(&offsets, seqs[i]);
        }
    }
    n = br_offsets_acked(&offsets, 2, out, 200);
    assert_int_equal(n, 100);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].start, 100 + (int64_t)i * 3);
        assert_int_equal(out[i].end, 102 + (int64_t)i * 3);
    }
    assert_int_equal(br_offsets_acked(&offsets, 0, out, 200), 0);
    assert_int_equal(br_offsets_committable(&offsets), 40);
    br_offsets_finish(&offsets);
}

/*
 * Out-of-order completion as ordering key leaves it: a window of 1000 messages, one key of ten
 * failing (its messages not acknowledged), the others done in any order, for 4 hooks. The
 * progress of a commit at the committable offset must record exactly the acknowledged offsets
 * when it fits (about one character per six messages per hook), and when the budget is too
 * small, only acknowledged offsets, all of them below one limit: fewer skips, never a wrong one.
 */
static void test_sparse_acks_in_the_commit_metadata(void **state)
{
    enum { MESSAGES = 1000, HOOKS = 4 };
    struct br_offsets offsets;
    static struct br_ackmeta_range ranges[HOOKS][MESSAGES / 2 + 1];
    struct br_ackmeta_hook hooks[HOOKS];
    static uint64_t seqs[MESSAGES];
    static char text[4097];
    struct br_ackmeta read;
    char errstr[128];
    int64_t base;
    int64_t span;
    size_t len;
    (void)state;

    br_offsets_init(&offsets, HOOKS);
    for (int i = 0; i < MESSAGES; i++) {
        seqs[i] = br_offsets_add(&offsets, 5000 + i, HOOKS);
    }
    /* done newest first, key 3 of 10 failing: its messages stay owed to every hook */
    for (int i = MESSAGES - 1; i >= 0; i--) {
        if (i % 10 == 3) {
            continue;
        }
        for (size_t h = 0; h < HOOKS; h++) {
            br_offsets_ack(&offsets, seqs[i], h);
            br_offsets_done(&offsets, seqs[i]);
        }
    }
    base = br_offsets_committable(&offsets);
    assert_int_equal(base, 5003); /* the failing key's first message holds the prefix */
    assert_int_equal(br_offsets_outstanding(&offsets), MESSAGES - 3);
    for (size_t h = 0; h < HOOKS; h++) {
        hooks[h].id = 1000 + h;
        hooks[h].ranges = ranges[h];
        hooks[h].count = br_offsets_acked(&offsets, h, ranges[h], MESSAGES / 2 + 1);
        assert_int_equal(hooks[h].count, MESSAGES / 10); /* a hole every ten offsets */
    }
    len = br_ackmeta_encode(base, hooks, HOOKS, 4096, text, &span);
    assert_int_equal(span, INT64_MAX); /* it all fits */
    assert_true(len <= 4096);
    assert_int_equal(br_ackmeta_decode(text, len, base, &read, errstr, sizeof(errstr)), 0);
    assert_int_equal(read.count, HOOKS);
    for (size_t h = 0; h < HOOKS; h++) {
        const struct br_ackmeta_hook *got = br_ackmeta_find(&read, 1000 + h);
        size_t acked = 0;
        assert_non_null(got);
        for (size_t r = 0; r < got->count; r++) {
            for (int64_t o = got->ranges[r].start; o < got->ranges[r].end; o++) {
                assert_true(o > base && (o - 5000) % 10 != 3);
                acked++;
            }
        }
        assert_int_equal(acked, MESSAGES - MESSAGES / 10 - 3);
    }
    br_ackmeta_finish(&read);

    /* a budget too small for it all: a part, only acknowledged offsets, all below one limit */
    len = br_ackmeta_encode(base, hooks, HOOKS, 300, text, &span);
    assert_true(len > 0 && len <= 300);
    assert_true(span > 0 && span < MESSAGES);
    assert_int_equal(br_ackmeta_decode(text, len, base, &read, errstr, sizeof(errstr)), 0);
    for (size_t h = 0; h < HOOKS; h++) {
        const struct br_ackmeta_hook *got = br_ackmeta_find(&read, 1000 + h);
        size_t acked = 0;
        assert_non_null(got);
        for (size_t r = 0; r < got->count; r++) {
            for (int64_t o = got->ranges[r].start; o < got->ranges[r].end; o++) {
                assert_true(o > base && o < base + span && (o - 5000) % 10 != 3);
                acked++;
            }
        }
        /* every acknowledged offset below the limit is there */
        /* offsets base + 1 .. base + span - 1; the failing key has every tenth of them */
        assert_int_equal(acked, (size_t)(span - 1) - (size_t)(span - 1) / 10);
    }
    br_ackmeta_finish(&read);
    br_offsets_finish(&offsets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_prefix_waits_for_head),
        cmocka_unit_test(test_gaps_and_zero_pending),
        cmocka_unit_test(test_random_order),
        cmocka_unit_test(test_acked_ranges),
        cmocka_unit_test(test_acked_survive_growth),
        cmocka_unit_test(test_sparse_acks_in_the_commit_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
