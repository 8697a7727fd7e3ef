/* Unit tests of skiplog.c: one log line per (topic, reason), a bounded memory of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "loop/skiplog.h"

static void test_first(void **state)
{
    struct br_skiplog *skiplog = br_skiplog_create();
    (void)state;

    assert_true(br_skiplog_first(skiplog, "perscom.db.migrations", BR_SKIP_NOT_PERSCOM_TABLE));
    assert_false(br_skiplog_first(skiplog, "perscom.db.migrations", BR_SKIP_NOT_PERSCOM_TABLE));
    assert_true(br_skiplog_first(skiplog, "perscom.db.jobs", BR_SKIP_NOT_PERSCOM_TABLE));
    /* the same topic for another reason is news */
    assert_true(br_skiplog_first(skiplog, "perscom.db.migrations", BR_SKIP_HEARTBEAT));
    assert_false(br_skiplog_first(skiplog, "perscom.db.jobs", BR_SKIP_NOT_PERSCOM_TABLE));
    br_skiplog_destroy(skiplog);
    br_skiplog_destroy(NULL);
}

static void test_bounded(void **state)
{
    struct br_skiplog *skiplog = br_skiplog_create();
    char topic[32];
    (void)state;

    for (int i = 0; i < BR_SKIPLOG_MAX; i++) {
        snprintf(topic, sizeof(topic), "t%d", i);
        assert_true(br_skiplog_first(skiplog, topic, BR_SKIP_NOT_PERSCOM_TABLE));
    }
    /* full: a new pair is no longer remembered (nor logged) */
    assert_false(br_skiplog_first(skiplog, "one.more", BR_SKIP_NOT_PERSCOM_TABLE));
    assert_false(br_skiplog_first(skiplog, "t0", BR_SKIP_NOT_PERSCOM_TABLE));
    br_skiplog_destroy(skiplog);
}

static void test_topic_reasons(void **state)
{
    (void)state;
    assert_false(br_skiplog_topic_reason(BR_SKIP_TOMBSTONE));
    assert_false(br_skiplog_topic_reason(BR_SKIP_TRUNCATE));
    assert_false(br_skiplog_topic_reason(BR_SKIP_SNAPSHOT));
    assert_true(br_skiplog_topic_reason(BR_SKIP_NOT_PERSCOM_TABLE));
    assert_true(br_skiplog_topic_reason(BR_SKIP_SCHEMA_CHANGE));
    assert_true(br_skiplog_topic_reason(BR_SKIP_TRANSACTION));
    assert_true(br_skiplog_topic_reason(BR_SKIP_HEARTBEAT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_topic_reasons),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
