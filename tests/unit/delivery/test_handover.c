/*
 * Unit tests of handover.c: a previous owner's progress mapped onto this bridge's hooks (by
 * id; unknown ids ignored, id 0 never matched), the skip decision as offsets come in order, and
 * the part not read yet, to be recorded again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "delivery/handover.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A decoded progress with hooks (id, ranges...) copied to the heap as the decoder makes them. */
static void add_hook(struct br_ackmeta *progress, uint64_t id,
                     const struct br_ackmeta_range *ranges, size_t count)
{
    struct br_ackmeta_hook *hook;

    progress->hooks = realloc(progress->hooks, (progress->count + 1) * sizeof(*hook));
    assert_non_null(progress->hooks);
    hook = &progress->hooks[progress->count++];
    hook->id = id;
    hook->count = count;
    hook->ranges = malloc(count * sizeof(*ranges));
    assert_non_null(hook->ranges);
    memcpy(hook->ranges, ranges, count * sizeof(*ranges));
}

static void test_maps_hooks_by_id(void **state)
{
    struct br_ackmeta progress = {.base = 100};
    struct br_ackmeta_range fast[] = {{100, 105}, {107, 108}};
    struct br_ackmeta_range gone[] = {{100, 500}};
    struct br_ackmeta_range slow[] = {{102, 103}};
    /* this bridge: hook 0 = "slow", hook 1 = "fast", hook 2 = new, hook 3 = id collision (0) */
    uint64_t ids[] = {22, 11, 33, 0};
    struct br_handover *handover;
    struct br_ackmeta_range out[4];
    (void)state;

    add_hook(&progress, 11, fast, COUNT(fast));
    add_hook(&progress, 99, gone, COUNT(gone)); /* a hook this bridge does not have */
    add_hook(&progress, 22, slow, COUNT(slow));
    handover = br_handover_create(&progress, ids, COUNT(ids));
    assert_non_null(handover);
    assert_int_equal(progress.count, 0); /* finished */
    assert_null(progress.hooks);
    assert_int_equal(br_handover_end(handover), 108); /* the unknown hook's 500 does not count */
    assert_int_equal(br_handover_total(handover), 7);
    assert_int_equal(br_handover_count(handover, 1), 2);
    assert_int_equal(br_handover_count(handover, 2), 0);

    /* what is not read yet, from offset 104 on */
    assert_int_equal(br_handover_ranges_from(handover, 1, 104, out, COUNT(out)), 2);
    assert_int_equal(out[0].start, 104);
    assert_int_equal(out[0].end, 105);
    assert_int_equal(out[1].start, 107);
    assert_int_equal(br_handover_ranges_from(handover, 0, 104, out, COUNT(out)), 0);
    assert_int_equal(br_handover_ranges_from(handover, 1, 100, out, 1), 1); /* capped */

    for (int64_t offset = 100; offset < 110; offset++) {
        bool fast_acked = (offset >= 100 && offset < 105) || offset == 107;
        assert_int_equal(br_handover_acked(handover, 1, offset), fast_acked);
        assert_int_equal(br_handover_acked(handover, 0, offset), offset == 102);
        assert_false(br_handover_acked(handover, 2, offset));
        assert_false(br_handover_acked(handover, 3, offset));
        assert_false(br_handover_acked(handover, 4, offset)); /* no such hook */
    }
    br_handover_destroy(handover);
}

static void test_nothing_for_these_hooks(void **state)
{
    struct br_ackmeta progress = {.base = 7};
    struct br_ackmeta_range ranges[] = {{7, 9}};
    uint64_t ids[] = {1, 2};
    (void)state;

    add_hook(&progress, 3, ranges, COUNT(ranges));
    assert_null(br_handover_create(&progress, ids, COUNT(ids)));
    assert_int_equal(progress.count, 0);
    /* a missing handover skips nothing */
    assert_false(br_handover_acked(NULL, 0, 7));
    assert_int_equal(br_handover_end(NULL), 0);
    br_handover_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maps_hooks_by_id),
        cmocka_unit_test(test_nothing_for_these_hooks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
