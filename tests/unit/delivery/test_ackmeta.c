/*
 * Unit tests of ackmeta.c: the per-hook progress text of a commit. A golden text (also read by
 * tests/integration/ackmeta.py), round trips of hand-made and random progress, the degrade when
 * it does not fit (fewer offsets, never one that was not acknowledged), and damaged or foreign
 * metadata refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/ackmeta.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_hook_id(void **state)
{
    (void)state;
    /* FNV-1a 64 folded to 48 bits; the same values as tests/integration/ackmeta.py */
    assert_int_equal(br_ackmeta_hook_id("a"), 0xdc4c860143efull);
    assert_int_equal(br_ackmeta_hook_id("fast"), 0x4a7916c51d35ull);
    assert_int_equal(br_ackmeta_hook_id("slow"), 0x1318f6fe46cfull);
    assert_true(br_ackmeta_hook_id("") != 0);
    assert_true(br_ackmeta_hook_id("x") < (1ull << 48));
}

static void test_golden(void **state)
{
    struct br_ackmeta_range a[] = {{10, 13}, {14, 15}};
    struct br_ackmeta_range b[] = {{12, 112}};
    struct br_ackmeta_hook hooks[] = {
        {br_ackmeta_hook_id("a"), a, COUNT(a)},
        {br_ackmeta_hook_id("b"), b, COUNT(b)},
    };
    const char *want = "p1,10,3EyGAUPvbAX,30yGAV7GrCjD,1fb144e1";
    char out[4097];
    int64_t span;
    size_t len;
    (void)state;

    /* a: 4 offsets of 5 as a bitmap (shorter); b: one long range as ranges (shorter) */
    len = br_ackmeta_encode(10, hooks, COUNT(hooks), 4096, out, &span);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    assert_true(span == INT64_MAX);
}

static void assert_same(const struct br_ackmeta_hook *got, const struct br_ackmeta_range *want,
                        size_t count)
{
    assert_non_null(got);
    assert_int_equal(got->count, count);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(got->ranges[i].start, want[i].start);
        assert_int_equal(got->ranges[i].end, want[i].end);
    }
}

static void test_round_trip(void **state)
{
    /* below the base, overlapping and adjacent ranges are normalised */
    struct br_ackmeta_range fast[] = {{990, 1002}, {1001, 1005}, {1005, 1006}, {1008, 1009}};
    struct br_ackmeta_range slow[] = {{1000, 1001}};
    struct br_ackmeta_range none[] = {{100, 200}}; /* all below the base: left out */
    struct br_ackmeta_range gaps[60];
    struct br_ackmeta_hook hooks[] = {
        {11, fast, COUNT(fast)},
        {22, slow, COUNT(slow)},
        {33, none, COUNT(none)},
        {44, gaps, COUNT(gaps)},
        {0, slow, COUNT(slow)}, /* id 0: never recorded */
    };
    struct br_ackmeta_range want_fast[] = {{1000, 1006}, {1008, 1009}};
    struct br_ackmeta read;
    char out[4097];
    char errstr[128];
    int64_t span;
    size_t len;
    (void)state;

    for (size_t i = 0; i < COUNT(gaps); i++) { /* two of every three: a bitmap is shorter */
        gaps[i].start = 1000 + (int64_t)i * 3;
        gaps[i].end = gaps[i].start + 2;
    }
    len = br_ackmeta_encode(1000, hooks, COUNT(hooks), 4096, out, &span);
    assert_true(span == INT64_MAX);
    assert_int_equal(br_ackmeta_decode(out, len, 1000, &read, errstr, sizeof(errstr)), 0);
    assert_int_equal(read.count, 3);
    assert_same(br_ackmeta_find(&read, 11), want_fast, COUNT(want_fast));
    assert_same(br_ackmeta_find(&read, 22), slow, COUNT(slow));
    assert_null(br_ackmeta_find(&read, 33));
    assert_same(br_ackmeta_find(&read, 44), gaps, COUNT(gaps));
    assert_non_null(strstr(out, "b")); /* the gapped hook went as a bitmap */
    br_ackmeta_finish(&read);

    /* nothing beyond the base: no metadata at all */
    len = br_ackmeta_encode(5000, hooks, COUNT(hooks), 4096, out, &span);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");
    assert_int_equal(br_ackmeta_decode("", 0, 5000, &read, errstr, sizeof(errstr)), 0);
    assert_int_equal(read.count, 0);
    br_ackmeta_finish(&read);
}

/* Every decoded offset is one of the hook's input ranges, and below base + span. */
static void assert_subset(const struct br_ackmeta *read, const struct br_ackmeta_hook *hooks,
                          size_t count, int64_t base, int64_t span)
{
    for (size_t i = 0; i < read->count; i++) {
        const struct br_ackmeta_hook *input = NULL;
        for (size_t k = 0; k < count; k++) {
            if (hooks[k].id == read->hooks[i].id) {
                input = &hooks[k];
            }
        }
        assert_non_null(input);
        for (size_t j = 0; j < read->hooks[i].count; j++) {
            const struct br_ackmeta_range *range = &read->hooks[i].ranges[j];
            bool inside = false;

            assert_true(range->start >= base && range->end <= base + span);
            for (size_t k = 0; k < input->count; k++) {
                inside = inside || (input->ranges[k].start <= range->start &&
                                    range->end <= input->ranges[k].end);
            }
            if (!inside) {
                fail_msg("hook %llu: [%lld, %lld) was not acknowledged",
                         (unsigned long long)read->hooks[i].id, (long long)range->start,
                         (long long)range->end);
            }
        }
    }
}

static void test_overflow_degrades(void **state)
{
    enum { N = 6000 };
    struct br_ackmeta_range *ranges = calloc(N, sizeof(*ranges));
    struct br_ackmeta_hook hooks[3];
    struct br_ackmeta read;
    char *out = malloc(65536);
    char errstr[128];
    int64_t span;
    size_t full;
    size_t len;
    (void)state;

    assert_non_null(ranges);
    assert_non_null(out);
    for (size_t i = 0; i < N; i++) { /* every other offset: 1 character per 2 offsets at best */
        ranges[i].start = 7 + (int64_t)i * 2;
        ranges[i].end = ranges[i].start + 1;
    }
    for (size_t i = 0; i < COUNT(hooks); i++) {
        hooks[i].id = 100 + i;
        hooks[i].ranges = ranges;
        hooks[i].count = N;
    }
    full = br_ackmeta_encode(5, hooks, COUNT(hooks), 65535, out, &span);
    assert_true(span == INT64_MAX);
    assert_true(full > 4096);

    len = br_ackmeta_encode(5, hooks, COUNT(hooks), 4096, out, &span);
    assert_true(len <= 4096);
    assert_true(len > 3500);  /* the largest span that fits, not a crude cut */
    assert_true(span > 0 && span < 2 * N);
    assert_int_equal(strlen(out), len);
    assert_int_equal(br_ackmeta_decode(out, len, 5, &read, errstr, sizeof(errstr)), 0);
    assert_int_equal(read.count, 3);
    assert_subset(&read, hooks, COUNT(hooks), 5, span);
    /* everything below the span is there */
    assert_int_equal(read.hooks[0].count, (size_t)((span - 2 + 1) / 2));
    br_ackmeta_finish(&read);

    /* no room for a single offset: nothing (the span stops before the first one, at 7) */
    len = br_ackmeta_encode(5, hooks, COUNT(hooks), 20, out, &span);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");
    assert_int_equal(span, 2);
    free(out);
    free(ranges);
}

static void test_random_round_trips(void **state)
{
    unsigned seed = 12345;
    (void)state;

    for (int round = 0; round < 300; round++) {
        struct br_ackmeta_range ranges[4][40];
        struct br_ackmeta_hook hooks[4];
        size_t budget = 30 + (size_t)(rand_r(&seed) % 600);
        int64_t base = (int64_t)(rand_r(&seed) % 100000) * (round % 3 == 0 ? 100000000 : 1);
        struct br_ackmeta read;
        char out[700];
        char errstr[128];
        int64_t span;
        size_t len;

        for (size_t h = 0; h < 4; h++) {
            int64_t at = base - 5 + (int64_t)(rand_r(&seed) % 10);
            hooks[h].id = 1 + (uint64_t)h * 7919;
            hooks[h].ranges = ranges[h];
            hooks[h].count = (size_t)(rand_r(&seed) % 40);
            for (size_t i = 0; i < hooks[h].count; i++) {
                at += (int64_t)(rand_r(&seed) % 4);
                ranges[h][i].start = at;
                at += 1 + (int64_t)(rand_r(&seed) % (round % 2 ? 3 : 300));
                ranges[h][i].end = at;
                at += 1;
            }
        }
        len = br_ackmeta_encode(base, hooks, 4, budget, out, &span);
        assert_true(len <= budget);
        assert_int_equal(br_ackmeta_decode(out, len, base, &read, errstr, sizeof(errstr)), 0);
        assert_subset(&read, hooks, 4, base, span == INT64_MAX ? INT64_MAX - base : span);
        if (span == INT64_MAX) {
            /* complete: every acknowledged offset at or beyond the base came back */
            for (size_t h = 0; h < 4; h++) {
                const struct br_ackmeta_hook *got = br_ackmeta_find(&read, hooks[h].id);
                int64_t want = 0;
                int64_t have = 0;
                for (size_t i = 0; i < hooks[h].count; i++) {
                    int64_t start = ranges[h][i].start > base ? ranges[h][i].start : base;
                    want += ranges[h][i].end > start ? ranges[h][i].end - start : 0;
                }
                for (size_t i = 0; got && i < got->count; i++) {
                    have += got->ranges[i].end - got->ranges[i].start;
                }
                assert_int_equal(have, want);
            }
        }
        br_ackmeta_finish(&read);
    }
}

static void test_corrupt_is_refused(void **state)
{
    static const char good[] = "p1,10,3EyGAUPvbAX,30yGAV7GrCjD,1fb144e1";
    struct {
        const char *text;
        int64_t base;
        const char *why;
    } cases[] = {
        {good, 11, "written for another offset"},
        {"p1,10,3EyGAUPvbAY,30yGAV7GrCjD,1fb144e1", 10, "checksum mismatch"},
        {"p1,10,3EyGAUPvbAX,30yGAV7GrCjD,1fb144e", 10, "checksum mismatch"},
        {"p1,10,3EyGAUPvbAX,30yG", 10, "checksum mismatch"},
        {"kafka-streams-state", 10, "not the bridge's progress"},
        {"p2,10,3EyGAUPvbAX,30yGAV7GrCjD,1fb144e1", 10, "not the bridge's progress"},
        {"", 10, NULL},
    };
    struct br_ackmeta read;
    char errstr[128];
    (void)state;

    assert_int_equal(br_ackmeta_decode(good, strlen(good), 10, &read, errstr, sizeof(errstr)),
                     0);
    assert_int_equal(read.count, 2);
    br_ackmeta_finish(&read);
    for (size_t i = 0; i < COUNT(cases); i++) {
        int rc = br_ackmeta_decode(cases[i].text, strlen(cases[i].text), cases[i].base, &read,
                                   errstr, sizeof(errstr));
        if (!cases[i].why) {
            assert_int_equal(rc, 0);
            br_ackmeta_finish(&read);
            continue;
        }
        if (rc != -1) {
            fail_msg("case %zu (%s) decoded", i, cases[i].text);
        }
        assert_string_equal(errstr, cases[i].why);
        assert_int_equal(read.count, 0);
        assert_null(read.hooks);
    }
}

/* Well-formed frame with a bad body: the checksum is recomputed so the body itself is judged. */
static void test_bad_bodies_are_refused(void **state)
{
    static const char *bodies[] = {
        "p1,10,3EyGAUPvxAX,",             /* unknown kind */
        "p1,10,AAAAAAAArAA,",             /* hook id 0 */
        "p1,10,3EyGAUPvr,",               /* ranges without a range */
        "p1,10,3EyGAUPvrA,",              /* a gap without its length */
        "p1,10,3EyGAUPvbA,",              /* a bitmap without bits */
        "p1,10,3EyGAUPvbAA,",             /* a bitmap of no offset */
        "p1,10,3EyGAUPvr!A,",             /* not the alphabet */
        "p1,10,3EyGAU,",                  /* an id cut short */
        "p1,10,3EyGAUPvbAX,3EyGAUPvbAX,", /* one hook twice */
        "p1,10,3EyGAUPvr______________A,", /* a number of 2^62 or more */
        "p1,9223372036854775806,3EyGAUPvrDA,", /* past INT64_MAX */
        "p1,x,3EyGAUPvbAX,",
        "p1,99999999999999999999,3EyGAUPvbAX,",
    };
    struct br_ackmeta read;
    char errstr[128];
    char text[256];
    (void)state;

    for (size_t i = 0; i < COUNT(bodies); i++) {
        size_t len = strlen(bodies[i]);
        uint32_t hash = 2166136261u;
        int64_t base = strncmp(bodies[i], "p1,9223", 7) == 0 ? 9223372036854775806LL : 10;

        for (size_t j = 0; j < len; j++) {
            hash ^= (unsigned char)bodies[i][j];
            hash *= 16777619u;
        }
        snprintf(text, sizeof(text), "%s%08x", bodies[i], hash);
        if (br_ackmeta_decode(text, strlen(text), base, &read, errstr, sizeof(errstr)) != -1) {
            fail_msg("body %zu (%s) decoded", i, bodies[i]);
        }
        assert_int_equal(read.count, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_id),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_overflow_degrades),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_corrupt_is_refused),
        cmocka_unit_test(test_bad_bodies_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
