#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "delivery/retry.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_classify_table(void **state)
{
    static const struct {
        int transport_ok;
        long status;
        enum br_outcome want;
    } cases[] = {
        /* transport errors retry whatever the status says */
        {0, 0, BR_OUTCOME_RETRY},
        {0, 200, BR_OUTCOME_RETRY},
        {0, 400, BR_OUTCOME_RETRY},
        /* outside any class */
        {1, -1, BR_OUTCOME_PERMANENT},
        {1, 0, BR_OUTCOME_PERMANENT},
        {1, 99, BR_OUTCOME_PERMANENT},
        /* 1xx as a final status */
        {1, 100, BR_OUTCOME_PERMANENT},
        {1, 199, BR_OUTCOME_PERMANENT},
        /* 2xx */
        {1, 200, BR_OUTCOME_OK},
        {1, 201, BR_OUTCOME_OK},
        {1, 204, BR_OUTCOME_OK},
        {1, 299, BR_OUTCOME_OK},
        /* 3xx: redirects are not followed */
        {1, 300, BR_OUTCOME_PERMANENT},
        {1, 301, BR_OUTCOME_PERMANENT},
        {1, 302, BR_OUTCOME_PERMANENT},
        {1, 307, BR_OUTCOME_PERMANENT},
        {1, 399, BR_OUTCOME_PERMANENT},
        /* 4xx, with the three retriable ones and their neighbours */
        {1, 400, BR_OUTCOME_PERMANENT},
        {1, 401, BR_OUTCOME_PERMANENT},
        {1, 404, BR_OUTCOME_PERMANENT},
        {1, 407, BR_OUTCOME_PERMANENT},
        {1, 408, BR_OUTCOME_RETRY},
        {1, 409, BR_OUTCOME_PERMANENT},
        {1, 424, BR_OUTCOME_PERMANENT},
        {1, 425, BR_OUTCOME_RETRY},
        {1, 426, BR_OUTCOME_PERMANENT},
        {1, 428, BR_OUTCOME_PERMANENT},
        {1, 429, BR_OUTCOME_RETRY},
        {1, 430, BR_OUTCOME_PERMANENT},
        {1, 499, BR_OUTCOME_PERMANENT},
        /* 5xx */
        {1, 500, BR_OUTCOME_RETRY},
        {1, 503, BR_OUTCOME_RETRY},
        {1, 599, BR_OUTCOME_RETRY},
        /* above */
        {1, 600, BR_OUTCOME_PERMANENT},
        {1, 999, BR_OUTCOME_PERMANENT},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        enum br_outcome got = br_retry_classify(cases[i].transport_ok, cases[i].status);
        if (got != cases[i].want) {
            fail_msg("case %zu: status %ld transport_ok %d: got %s, want %s", i, cases[i].status,
                     cases[i].transport_ok, br_retry_outcome_name(got),
                     br_retry_outcome_name(cases[i].want));
        }
    }
    assert_string_equal(br_retry_outcome_name((enum br_outcome)42), "unknown");
}

static void test_backoff_table(void **state)
{
    static const struct {
        int64_t initial, max;
        unsigned attempt;
        uint64_t random;
        int64_t want;
    } cases[] = {
        /* full jitter: random % (d + 1), d = min(max, initial * 2^(attempt-1)) */
        {100, 1000, 1, 0, 0},
        {100, 1000, 1, 100, 100},
        {100, 1000, 1, 101, 0},
        {100, 1000, 1, 57, 57},
        {100, 1000, 0, 100, 100}, /* attempt 0 counts as 1 */
        {100, 1000, 2, 200, 200},
        {100, 1000, 3, 400, 400},
        {100, 1000, 4, 800, 800},
        {100, 1000, 4, 801, 0},
        {100, 1000, 5, 1000, 1000}, /* 1600 capped */
        {100, 1000, 5, 1001, 0},
        {100, 1000, 40, 1000, 1000},
        {100, 1000, 1000, 1000, 1000},
        {100, 1000, UINT32_MAX, 1000, 1000},
        {1, 10, 3, 9, 4}, /* d = 4: 9 % 5 */
        /* degenerate settings */
        {300, 10, 5, 300, 300}, /* max below initial: initial is the cap */
        {0, 0, 1, 1, 1},        /* initial 0 counts as 1 ms */
        {-5, -5, 1, 1, 1},
        /* no overflow at the edges of int64_t */
        {1, INT64_MAX, 63, (uint64_t)1 << 62, (int64_t)1 << 62},
        {1, INT64_MAX, 64, UINT64_MAX, INT64_MAX},
        {1, INT64_MAX, 1000, UINT64_MAX, INT64_MAX},
        {INT64_MAX / 2 + 1, INT64_MAX, 2, UINT64_MAX, INT64_MAX},
        {INT64_MAX, INT64_MAX, 1000, UINT64_MAX, INT64_MAX},
        {INT64_MAX, 0, UINT32_MAX, (uint64_t)INT64_MAX + 1, 0},
        {500, 60000, 1000, 60000, 60000},
        {500, 60000, 1000, UINT64_MAX, (int64_t)(UINT64_MAX % 60001)},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = br_retry_backoff_ms(cases[i].initial, cases[i].max, cases[i].attempt,
                                          cases[i].random);
        if (got != cases[i].want) {
            fail_msg("case %zu: backoff(%lld, %lld, %u, %llu) = %lld, want %lld", i,
                     (long long)cases[i].initial, (long long)cases[i].max, cases[i].attempt,
                     (unsigned long long)cases[i].random, (long long)got,
                     (long long)cases[i].want);
        }
    }
}

static void test_backoff_bounds(void **state)
{
    static const struct {
        unsigned attempt;
        int64_t hi;
    } cases[] = {
        {1, 100}, {2, 200}, {3, 400}, {4, 800}, {5, 1000}, {6, 1000}, {40, 1000}, {1000, 1000},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t seen_max = 0, seen_min = INT64_MAX;

        for (uint64_t r = 0; r < 20000; r++) {
            uint64_t random = r * 0x9e3779b97f4a7c15u;
            int64_t got = br_retry_backoff_ms(100, 1000, cases[i].attempt, random);

            assert_in_range(got, 0, cases[i].hi);
            assert_int_equal(got, br_retry_backoff_ms(100, 1000, cases[i].attempt, random));
            seen_max = got > seen_max ? got : seen_max;
            seen_min = got < seen_min ? got : seen_min;
        }
        /* the whole range is used: full jitter, not equal jitter */
        if (seen_min > cases[i].hi / 20 || seen_max < cases[i].hi - cases[i].hi / 20) {
            fail_msg("attempt %u: saw [%lld, %lld], want about [0, %lld]", cases[i].attempt,
                     (long long)seen_min, (long long)seen_max, (long long)cases[i].hi);
        }
    }
}

#define NOW_1994 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW_2025 1748736000 /* Sun, 01 Jun 2025 00:00:00 GMT */
#define ABSENT (-2)

static void test_retry_after_table(void **state)
{
    static const struct {
        const char *value;
        int64_t now, max;
        int64_t want; /* ABSENT: returns false */
    } cases[] = {
        /* delta-seconds */
        {"120", NOW_1994, 300000, 120000},
        {"0", NOW_1994, 300000, 0},
        {"000", NOW_1994, 300000, 0},
        {"007", NOW_1994, 300000, 7000},
        {"  120\r\n", NOW_1994, 300000, 120000},
        {"\t5 ", NOW_1994, 300000, 5000},
        {"299", NOW_1994, 300000, 299000},
        {"300", NOW_1994, 300000, 300000},
        {"301", NOW_1994, 300000, 300000},
        {"1", NOW_1994, 1500, 1000},
        {"2", NOW_1994, 1500, 1500},
        {"120", NOW_1994, 0, 0},  /* a cap of 0 */
        {"120", NOW_1994, -1, 0}, /* a negative cap counts as 0 */
        {"9223372036854775807", NOW_1994, 300000, 300000},
        {"9223372036854775808", NOW_1994, 300000, 300000},
        {"99999999999999999999999999999999999999", NOW_1994, 300000, 300000},
        {"9223372036854775807", NOW_1994, INT64_MAX, INT64_MAX / 1000 * 1000},
        {"99999999999999999999999999999999999999", NOW_1994, INT64_MAX, INT64_MAX / 1000 * 1000},
        {"120", INT64_MIN, 300000, 120000}, /* now does not matter for seconds */
        /* garbage and negative */
        {"", NOW_1994, 300000, ABSENT},
        {"   ", NOW_1994, 300000, ABSENT},
        {"\r\n", NOW_1994, 300000, ABSENT},
        {"-5", NOW_1994, 300000, ABSENT},
        {"-0", NOW_1994, 300000, ABSENT},
        {"+5", NOW_1994, 300000, ABSENT},
        {"1.5", NOW_1994, 300000, ABSENT},
        {"5s", NOW_1994, 300000, ABSENT},
        {"5 5", NOW_1994, 300000, ABSENT},
        {"0x10", NOW_1994, 300000, ABSENT},
        {"1e3", NOW_1994, 300000, ABSENT},
        {"abc", NOW_1994, 300000, ABSENT},
        {"\xff\xfe", NOW_1994, 300000, ABSENT},
        {"120, 30", NOW_1994, 300000, ABSENT},
        /* IMF-fixdate */
        {"Sun, 06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT", NOW_1994 - 1, 300000, 1000},
        {"Sun, 06 Nov 1994 08:49:37 GMT", NOW_1994 + 1, 300000, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT", NOW_1994 + 86400 * 365, 300000, 0},
        {"Sun, 06 Nov 1994 08:51:37 GMT", NOW_1994, 300000, 120000},
        {" Sun, 06 Nov 1994 08:51:37 GMT\r\n", NOW_1994, 300000, 120000},
        {"Sun, 06 Nov 1994 09:49:37 GMT", NOW_1994, 300000, 300000},
        {"Mon, 07 Nov 1994 08:49:37 GMT", NOW_1994, INT64_MAX, 86400000},
        {"Sun, 06 Nov 1994 08:49:60 GMT", NOW_1994, 300000, 23000}, /* leap second */
        {"Thu, 29 Feb 1996 00:00:00 GMT", 825552000 - 10, 300000, 10000},
        {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 10, 300000, 10000},
        {"Fri, 31 Dec 9999 23:59:59 GMT", NOW_2025, 300000, 300000},
        {"Fri, 31 Dec 9999 23:59:59 GMT", NOW_2025, INT64_MAX, 253402300799000 - 1748736000000},
        {"Sat, 01 Jan 0000 00:00:00 GMT", NOW_2025, 300000, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT", INT64_MIN, 300000, 300000},
        {"Sun, 06 Nov 1994 08:49:37 GMT", INT64_MIN, INT64_MAX, INT64_MAX / 1000 * 1000},
        {"Sun, 06 Nov 1994 08:49:37 GMT", INT64_MAX, 300000, 0},
        {"Mon, 06 Nov 1994 08:51:37 GMT", NOW_1994, 300000, 120000}, /* weekday not checked */
        /* IMF-fixdate, malformed */
        {"Sun, 06 Nov 1994 08:49:37 UTC", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37 gmt", NOW_1994, 300000, ABSENT},
        {"sun, 06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 6 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun,  06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun 06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 94 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 8:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37 GMT x", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37 GMTT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37 +0000", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Abc 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sunday, 06 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06-Nov-94 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 00 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 32 Dec 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 31 Apr 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 31 Nov 1994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 29 Feb 1995 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 29 Feb 1900 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 24:00:00 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:60:00 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:61 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 199a 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov -994 08:49:37 GMT", NOW_1994, 300000, ABSENT},
        {"Sun, 06 Nov 1994 08:49:37 GMT, 120", NOW_1994, 300000, ABSENT},
        /* RFC 850 */
        {"Sunday, 06-Nov-94 08:49:37 GMT", NOW_1994 - 60, 300000, 60000},
        {"Sunday, 06-Nov-94 08:49:37 GMT", NOW_1994, 300000, 0},
        {"Monday, 01-Jun-26 00:00:00 GMT", NOW_2025, INT64_MAX, (1780272000 - NOW_2025) * 1000LL},
        {"Friday, 01-Jan-75 00:00:00 GMT", NOW_2025, INT64_MAX, (3313526400 - NOW_2025) * 1000LL},
        {"Thursday, 01-Jan-76 00:00:00 GMT", NOW_2025, INT64_MAX, 0}, /* 1976, not 2076 */
        {"Sunday, 06-Nov-94 08:49:37 GMT", NOW_2025, INT64_MAX, 0},     /* 1994 */
        {"Sunday, 06-Nov-1994 08:49:37 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sun, 06-Nov-94 08:49:37 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sunday, 06 Nov 94 08:49:37 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sunday,06-Nov-94 08:49:37 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sunday, 31-Jun-94 08:49:37 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sunday, 06-Nov-94 08:49:37", NOW_1994 - 60, 300000, ABSENT},
        /* asctime */
        {"Sun Nov  6 08:49:37 1994", NOW_1994 - 60, 300000, 60000},
        {"Sun Nov 06 08:49:37 1994", NOW_1994 - 60, 300000, 60000},
        {"Thu Feb 29 00:00:00 1996", 825552000 - 10, 300000, 10000},
        {"Sun Nov 6 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Nov   6 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Nov  06 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Nov  0 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Nov  6 08:49:37 94", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Nov  6 08:49:37 1994 GMT", NOW_1994 - 60, 300000, ABSENT},
        {"Sun  Nov  6 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
        {"Sun Feb 30 08:49:37 1994", NOW_1994 - 60, 300000, ABSENT},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = -12345;
        bool ok = br_retry_after_parse(cases[i].value, strlen(cases[i].value), cases[i].now,
                                       cases[i].max, &got);

        if (cases[i].want == ABSENT) {
            if (ok || got != -12345) {
                fail_msg("case %zu: \"%s\": got %d/%lld, want absent (and *delay_ms untouched)",
                         i, cases[i].value, ok, (long long)got);
            }
        } else if (!ok || got != cases[i].want) {
            fail_msg("case %zu: \"%s\" now %lld max %lld: got %d/%lld, want %lld", i,
                     cases[i].value, (long long)cases[i].now, (long long)cases[i].max, ok,
                     (long long)got, (long long)cases[i].want);
        }
    }
}

static void test_retry_after_edges(void **state)
{
    static const char *const valid[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    };
    int64_t got = 0;

    (void)state;
    /* every proper prefix of a date is invalid (no reads past len either: see ASan) */
    for (size_t i = 0; i < COUNT(valid); i++) {
        size_t len = strlen(valid[i]);

        assert_true(br_retry_after_parse(valid[i], len, NOW_1994 - 1, 300000, &got));
        assert_int_equal(got, 1000);
        for (size_t n = 0; n < len; n++) {
            char *prefix = test_malloc(n + 1); /* exactly n bytes (+1 for n = 0) */
            bool ok;

            memcpy(prefix, valid[i], n);
            ok = br_retry_after_parse(prefix, n, NOW_1994 - 1, 300000, &got);
            test_free(prefix);
            if (ok) {
                fail_msg("\"%.*s\" (prefix %zu of form %zu) parsed", (int)n, valid[i], n, i);
            }
        }
    }
    /* len is honoured: bytes after it are not looked at, a NUL inside is garbage */
    assert_true(br_retry_after_parse("12345", 2, 0, 300000, &got));
    assert_int_equal(got, 12000);
    assert_false(br_retry_after_parse("12\0", 3, 0, 300000, &got));
    assert_false(br_retry_after_parse(NULL, 0, 0, 300000, &got));
    /* a two-digit year beside an absurd now: no overflow, some capped delay */
    assert_true(br_retry_after_parse(valid[1], strlen(valid[1]), INT64_MIN, 300000, &got));
    assert_in_range(got, 0, 300000);
    assert_true(br_retry_after_parse(valid[1], strlen(valid[1]), INT64_MAX, 300000, &got));
    assert_in_range(got, 0, 300000);
}

static const struct br_retry_policy policy_std = {100, 1000, 5, 10000, 300000};
static const struct br_retry_policy policy_unlimited = {100, 1000, 0, 0, 300000};
static const struct br_retry_policy policy_no_ra = {100, 1000, 0, 0, 0};
static const struct br_retry_policy policy_huge_age = {100, 1000, 0, INT64_MAX, 300000};
static const struct br_retry_policy policy_one = {100, 1000, 1, 0, 300000};

#define NONE BR_RETRY_AFTER_NONE

static void test_decide_table(void **state)
{
    static const struct {
        const struct br_retry_policy *policy;
        unsigned attempts;
        int64_t first, now;
        enum br_outcome outcome;
        int64_t retry_after;
        uint64_t random;
        enum br_retry_verdict want;
        int64_t want_delay;
    } cases[] = {
        /* outcomes that are not retried */
        {&policy_std, 1, 0, 0, BR_OUTCOME_OK, NONE, 50, BR_VERDICT_DONE, 0},
        {&policy_std, 100, 0, 99999, BR_OUTCOME_OK, 5000, 50, BR_VERDICT_DONE, 0},
        {&policy_std, 1, 0, 0, BR_OUTCOME_PERMANENT, NONE, 50, BR_VERDICT_PERMANENT, 0},
        {&policy_std, 100, 0, 99999, BR_OUTCOME_PERMANENT, 5000, 50, BR_VERDICT_PERMANENT, 0},
        {&policy_std, 1, 0, 0, (enum br_outcome)42, NONE, 50, BR_VERDICT_PERMANENT, 0},
        /* plain backoff */
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, NONE, 100, BR_VERDICT_RETRY, 100},
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, NONE, 101, BR_VERDICT_RETRY, 0},
        {&policy_std, 4, 0, 0, BR_OUTCOME_RETRY, NONE, 800, BR_VERDICT_RETRY, 800},
        {&policy_std, 0, 0, 0, BR_OUTCOME_RETRY, NONE, 100, BR_VERDICT_RETRY, 100},
        /* attempt limit */
        {&policy_std, 5, 0, 0, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED, 0},
        {&policy_std, 6, 0, 0, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED, 0},
        {&policy_std, 5, 0, 0, BR_OUTCOME_RETRY, 1000, 50, BR_VERDICT_EXHAUSTED, 0},
        {&policy_one, 1, 0, 0, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED, 0},
        {&policy_unlimited, 1000, 0, 0, BR_OUTCOME_RETRY, NONE, 1000, BR_VERDICT_RETRY, 1000},
        {&policy_unlimited, UINT32_MAX, 0, 0, BR_OUTCOME_RETRY, NONE, 7, BR_VERDICT_RETRY, 7},
        /* Retry-After: max(backoff, min(retry_after, retry_after_max)) */
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, 5000, 50, BR_VERDICT_RETRY, 5000},
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, 0, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, 10, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, 0, 0, BR_OUTCOME_RETRY, 50, 50, BR_VERDICT_RETRY, 50},
        {&policy_unlimited, 1, 0, 0, BR_OUTCOME_RETRY, 400000, 50, BR_VERDICT_RETRY, 300000},
        {&policy_unlimited, 1, 0, 0, BR_OUTCOME_RETRY, INT64_MAX, 50, BR_VERDICT_RETRY, 300000},
        {&policy_unlimited, 1, 0, 0, BR_OUTCOME_RETRY, -5, 50, BR_VERDICT_RETRY, 50},
        {&policy_no_ra, 1, 0, 0, BR_OUTCOME_RETRY, 5000, 50, BR_VERDICT_RETRY, 50},
        /* age limit (10 s): the next attempt may start exactly at first + max_age */
        {&policy_std, 1, 0, 9950, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, 0, 9951, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED, 50},
        {&policy_std, 1, 0, 10000, BR_OUTCOME_RETRY, NONE, 0, BR_VERDICT_RETRY, 0},
        {&policy_std, 1, 0, 10001, BR_OUTCOME_RETRY, NONE, 0, BR_VERDICT_EXHAUSTED, 0},
        {&policy_std, 1, 0, 20000, BR_OUTCOME_RETRY, NONE, 0, BR_VERDICT_EXHAUSTED, 0},
        {&policy_std, 1, 0, 5000, BR_OUTCOME_RETRY, 5000, 0, BR_VERDICT_RETRY, 5000},
        {&policy_std, 1, 0, 5000, BR_OUTCOME_RETRY, 5001, 0, BR_VERDICT_EXHAUSTED, 5001},
        {&policy_std, 1, 1000000, 1009950, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, 1000000, 1009951, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED,
         50},
        /* a clock that went back counts as no time elapsed */
        {&policy_std, 1, 5000, 0, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_RETRY, 50},
        /* unlimited age, extreme times: no overflow */
        {&policy_unlimited, 1, 0, INT64_MAX, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_RETRY, 50},
        {&policy_std, 1, INT64_MIN, INT64_MAX, BR_OUTCOME_RETRY, NONE, 50, BR_VERDICT_EXHAUSTED,
         50},
        {&policy_huge_age, 1, INT64_MIN, INT64_MAX, BR_OUTCOME_RETRY, NONE, 50,
         BR_VERDICT_EXHAUSTED, 50},
        {&policy_huge_age, 1, 0, INT64_MAX, BR_OUTCOME_RETRY, NONE, 0, BR_VERDICT_RETRY, 0},
        {&policy_huge_age, 1, 0, INT64_MAX, BR_OUTCOME_RETRY, NONE, 1, BR_VERDICT_EXHAUSTED, 1},
        {&policy_huge_age, 1, 0, 0, BR_OUTCOME_RETRY, INT64_MAX, 0, BR_VERDICT_RETRY, 300000},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t delay = -12345;
        enum br_retry_verdict got =
            br_retry_decide(cases[i].policy, cases[i].attempts, cases[i].first, cases[i].now,
                            cases[i].outcome, cases[i].retry_after, cases[i].random, &delay);

        if (got != cases[i].want || delay != cases[i].want_delay) {
            fail_msg("case %zu: got %s after %lld ms, want %s after %lld ms", i,
                     br_retry_verdict_name(got), (long long)delay,
                     br_retry_verdict_name(cases[i].want), (long long)cases[i].want_delay);
        }
        /* delay_ms is optional */
        assert_int_equal(br_retry_decide(cases[i].policy, cases[i].attempts, cases[i].first,
                                         cases[i].now, cases[i].outcome, cases[i].retry_after,
                                         cases[i].random, NULL),
                         cases[i].want);
    }
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(br_retry_verdict_name(BR_VERDICT_DONE), "done");
    assert_string_equal(br_retry_verdict_name(BR_VERDICT_RETRY), "retry");
    assert_string_equal(br_retry_verdict_name(BR_VERDICT_EXHAUSTED), "exhausted");
    assert_string_equal(br_retry_verdict_name(BR_VERDICT_PERMANENT), "permanent");
    assert_string_equal(br_retry_verdict_name((enum br_retry_verdict)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_table),    cmocka_unit_test(test_backoff_table),
        cmocka_unit_test(test_backoff_bounds),    cmocka_unit_test(test_retry_after_table),
        cmocka_unit_test(test_retry_after_edges), cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
