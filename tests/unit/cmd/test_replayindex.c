/*
 * Unit tests of replayindex.c: origin order (topic, partition, offset, then where the dead
 * letter sits), the first entry after a progress note's last key, the committable offset of
 * each source partition as entries get done out of source order, the progress note written and
 * read back, and the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/replayindex.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Dead letters as a 2-partition dead-letter topic might hold them (source, offset, origin). */
static const struct {
    uint32_t source;
    int64_t source_offset;
    const char *topic;
    int32_t partition;
    int64_t offset;
} letters[] = {
    {0, 10, "t.b", 1, 7},
    {1, 20, "t.a", 0, 5},
    {0, 11, "t.a", 0, 3},
    {1, 21, "t.a", 1, 2},
    {0, 12, "t.a", 0, 5}, /* the same origin record again (another hook, or a duplicate) */
    {1, 22, "t.a", 0, 4},
    {0, 13, "t.b", 1, 6},
};

/* The sorted order of letters, as indices into letters. */
static const size_t sorted[] = {2, 5, 4, 1, 3, 6, 0};

static void fill(struct br_replay_index *index)
{
    br_replayindex_init(index, 2, 100);
    for (size_t i = 0; i < COUNT(letters); i++) {
        assert_int_equal(br_replayindex_add(index, letters[i].source, letters[i].source_offset,
                                            letters[i].topic, letters[i].partition,
                                            letters[i].offset),
                         0);
    }
    br_replayindex_sort(index);
}

static void test_origin_order(void **state)
{
    struct br_replay_index index;

    (void)state;
    fill(&index);
    assert_int_equal(index.count, COUNT(letters));
    assert_int_equal(index.topic_count, 2);
    for (size_t i = 0; i < index.count; i++) {
        struct br_replay_key key;
        br_replayindex_key(&index, i, &key);
        if (strcmp(key.topic, letters[sorted[i]].topic) != 0 ||
            key.partition != letters[sorted[i]].partition ||
            key.offset != letters[sorted[i]].offset ||
            key.source_offset != letters[sorted[i]].source_offset) {
            fail_msg("entry %zu: %s/%d/%lld (source offset %lld), want letter %zu", i,
                     key.topic, key.partition, (long long)key.offset,
                     (long long)key.source_offset, sorted[i]);
        }
        if (i > 0) {
            struct br_replay_key before;
            br_replayindex_key(&index, i - 1, &before);
            assert_true(br_replayindex_compare(&before, &key) < 0);
        }
    }
    br_replayindex_finish(&index);
}

static void test_after(void **state)
{
    struct br_replay_index index;
    struct br_replay_key key;

    (void)state;
    fill(&index);
    for (size_t i = 0; i < index.count; i++) {
        br_replayindex_key(&index, i, &key);
        assert_int_equal(br_replayindex_after(&index, &key), i + 1);
    }
    /* a key that is not in the index (a filter moved): the first entry after it */
    key = (struct br_replay_key){"t.a", 0, 4, 9, 0};
    assert_int_equal(br_replayindex_after(&index, &key), 2);
    key = (struct br_replay_key){"t.0", 0, 0, 0, 0};
    assert_int_equal(br_replayindex_after(&index, &key), 0);
    key = (struct br_replay_key){"t.c", 0, 0, 0, 0};
    assert_int_equal(br_replayindex_after(&index, &key), index.count);
    br_replayindex_finish(&index);
}

static void test_committable(void **state)
{
    struct br_replay_index index;

    (void)state;
    fill(&index);
    /* nothing done: each source's first selected offset; an unknown source: end */
    assert_int_equal(br_replayindex_committable(&index, 0, 100), 10);
    assert_int_equal(br_replayindex_committable(&index, 1, 100), 20);
    assert_int_equal(br_replayindex_committable(&index, 7, 100), 100);
    /* origin order: 0@11, 1@22, 0@12, 1@20, 1@21, 0@13, 0@10 */
    static const struct {
        int64_t source0;
        int64_t source1;
    } after[] = {{10, 20}, {10, 20}, {10, 20}, {10, 21}, {10, 100}, {10, 100}, {100, 100}};
    for (size_t i = 0; i < index.count; i++) {
        br_replayindex_done(&index, i);
        if (br_replayindex_committable(&index, 0, 100) != after[i].source0 ||
            br_replayindex_committable(&index, 1, 100) != after[i].source1) {
            fail_msg("after entry %zu: %lld, %lld; want %lld, %lld", i,
                     (long long)br_replayindex_committable(&index, 0, 100),
                     (long long)br_replayindex_committable(&index, 1, 100),
                     (long long)after[i].source0, (long long)after[i].source1);
        }
    }
    br_replayindex_finish(&index);
}

static void test_note(void **state)
{
    static const int64_t end[] = {123, 0, 9223372036854775807LL};
    struct br_replay_key last = {"perscom.t1.records_ranks", 7, 4567, 2, 99};
    struct br_replay_key got;
    int64_t got_end[3];
    char text[512];
    char topic[256];

    (void)state;
    assert_int_equal(br_replaynote_format(end, 3, &last, text, sizeof(text)), 0);
    assert_string_equal(text, "perscom-bridge replay 1 end=123,0,9223372036854775807 "
                              "last=perscom.t1.records_ranks/7/4567/2/99");
    assert_int_equal(br_replaynote_parse(text, 3, got_end, &got, topic, sizeof(topic)), 0);
    assert_memory_equal(got_end, end, sizeof(end));
    assert_string_equal(got.topic, last.topic);
    assert_int_equal(got.partition, 7);
    assert_int_equal(got.offset, 4567);
    assert_int_equal(got.source, 2);
    assert_int_equal(got.source_offset, 99);
    /* too small a buffer */
    assert_int_equal(br_replaynote_format(end, 3, &last, text, 40), -1);

    static const char *const bad[] = {
        "",
        "something else",
        "perscom-bridge replay 1 end=123,0 last=t/1/2/3/4",         /* 2 ends for 3 */
        "perscom-bridge replay 1 end=123,0,5,6 last=t/1/2/3/4",     /* 4 ends */
        "perscom-bridge replay 1 end=123,0,5 last=t/1/2/3",
        "perscom-bridge replay 1 end=123,0,5 last=t/1/2/3/4x",
        "perscom-bridge replay 1 end=123,0,5 last=/1/2/3/4",
        "perscom-bridge replay 1 end=123,-1,5 last=t/1/2/3/4",
        "perscom-bridge replay 1 end=123,0,5 last=t/2147483648/2/3/4",
        "perscom-bridge replay 1 end=123,0,5",
        "perscom-bridge replay 2 end=123,0,5 last=t/1/2/3/4",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (br_replaynote_parse(bad[i], 3, got_end, &got, topic, sizeof(topic)) != -1) {
            fail_msg("'%s' was read as a note", bad[i]);
        }
    }
    assert_int_equal(br_replaynote_parse("perscom-bridge replay 1 end=1,2,3 last=t/1/2/3/4", 3,
                                         got_end, &got, topic, sizeof(topic)),
                     0);
    assert_int_equal(br_replaynote_parse(NULL, 3, got_end, &got, topic, sizeof(topic)), -1);
}

static void test_limit(void **state)
{
    struct br_replay_index index;

    (void)state;
    br_replayindex_init(&index, 1, 2);
    assert_int_equal(br_replayindex_add(&index, 0, 1, "t", 0, 1), 0);
    assert_int_equal(br_replayindex_add(&index, 0, 2, "t", 0, 2), 0);
    assert_int_equal(br_replayindex_add(&index, 0, 3, "t", 0, 3), -1);
    assert_int_equal(index.count, 2);
    br_replayindex_sort(&index);
    br_replayindex_finish(&index);

    /* an empty index sorts and commits at the end */
    br_replayindex_init(&index, 1, 2);
    br_replayindex_sort(&index);
    assert_int_equal(br_replayindex_committable(&index, 0, 42), 42);
    br_replayindex_finish(&index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin_order),
        cmocka_unit_test(test_after),
        cmocka_unit_test(test_committable),
        cmocka_unit_test(test_note),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
