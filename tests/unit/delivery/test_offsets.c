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
    br_offsets_init(&offsets);
    assert_int_equal(br_offsets_committable(&offsets), -1);
    assert_int_equal(br_offsets_outstanding(&offsets), 0);
    br_offsets_finish(&offsets);
}

static void test_prefix_waits_for_head(void **state)
{
    struct br_offsets offsets;
    uint64_t s10, s11, s12;
    (void)state;
    br_offsets_init(&offsets);
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
    br_offsets_init(&offsets);
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
    br_offsets_init(&offsets);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_prefix_waits_for_head),
        cmocka_unit_test(test_gaps_and_zero_pending),
        cmocka_unit_test(test_random_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
