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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_prefix_waits_for_head),
        cmocka_unit_test(test_gaps_and_zero_pending),
        cmocka_unit_test(test_random_order),
        cmocka_unit_test(test_acked_ranges),
        cmocka_unit_test(test_acked_survive_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
