/*
 * Unit tests of dlrestart.c: when the dead-letter producer is restarted, when it counts as
 * working again, when the bridge gives up, and the status line /readyz shows meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/dlrestart.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *action_name(enum br_dlrestart_action action)
{
    static const char *const names[] = {"NONE", "WAIT", "RESTART", "RECOVERED", "EXIT"};
    return (unsigned)action < COUNT(names) ? names[action] : "?";
}

static void test_delay_table(void **state)
{
    static const struct {
        unsigned restarts;
        int64_t want;
    } cases[] = {
        {0, 0},     {1, 5000},  {2, 10000},  {3, 20000},       {4, 40000},
        {5, 60000}, {6, 60000}, {40, 60000}, {4000000000u, 60000},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = br_dlrestart_delay_ms(cases[i].restarts);
        if (got != cases[i].want) {
            fail_msg("case %zu: %u restart(s): delay %lld, want %lld", i, cases[i].restarts,
                     (long long)got, (long long)cases[i].want);
        }
    }
}

static void test_decide_table(void **state)
{
    static const struct {
        struct br_dlrestart state;
        struct br_dlrestart_input in;
        enum br_dlrestart_action want;
    } cases[] = {
        /* working */
        {{0, 0, 0}, {1000, false, false, 600000}, BR_DLRESTART_NONE},
        {{0, 0, 0}, {1000, false, true, 0}, BR_DLRESTART_NONE},
        /* a first fatal error: restart at once, whatever the exit time */
        {{0, 0, 0}, {1000, true, false, 600000}, BR_DLRESTART_RESTART},
        {{0, 0, 0}, {1000, true, false, 1}, BR_DLRESTART_RESTART},
        {{0, 0, 0}, {1000, true, true, 0}, BR_DLRESTART_RESTART},
        /* the restarted one failed too: 5 s after the first restart */
        {{1000, 1000, 1}, {1001, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 1000, 1}, {5999, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 1000, 1}, {6000, true, false, 600000}, BR_DLRESTART_RESTART},
        /* then 10 s, 20 s, 40 s, and 60 s for ever */
        {{1000, 6000, 2}, {15999, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 6000, 2}, {16000, true, false, 600000}, BR_DLRESTART_RESTART},
        {{1000, 16000, 3}, {35999, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 16000, 3}, {36000, true, false, 600000}, BR_DLRESTART_RESTART},
        {{1000, 36000, 4}, {76000, true, false, 600000}, BR_DLRESTART_RESTART},
        {{1000, 76000, 5}, {135999, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 76000, 5}, {136000, true, false, 600000}, BR_DLRESTART_RESTART},
        {{1000, 500000, 12}, {560000, true, false, 0}, BR_DLRESTART_RESTART},
        /* an acknowledgement of a failed producer proves nothing */
        {{1000, 1000, 1}, {2000, true, true, 600000}, BR_DLRESTART_WAIT},
        /* a restarted producer without a fatal error: confirmed by an ack, or after 10 s */
        {{1000, 1000, 1}, {1200, false, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 1000, 1}, {10999, false, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 1000, 1}, {11000, false, false, 600000}, BR_DLRESTART_RECOVERED},
        {{1000, 1000, 1}, {1200, false, true, 600000}, BR_DLRESTART_RECOVERED},
        {{1000, 36000, 4}, {36001, false, true, 600000}, BR_DLRESTART_RECOVERED},
        /* the exit time counts from the first failure, and only while failing */
        {{1000, 560000, 13}, {600999, true, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 560000, 13}, {601000, true, false, 600000}, BR_DLRESTART_EXIT},
        {{1000, 500000, 12}, {601000, true, false, 600000}, BR_DLRESTART_EXIT}, /* over RESTART */
        {{1000, 600500, 14}, {601000, false, false, 600000}, BR_DLRESTART_WAIT},
        {{1000, 600500, 14}, {601000, false, true, 600000}, BR_DLRESTART_RECOVERED},
        {{1000, 1000, 1}, {1000 + 86400000, true, false, 0}, BR_DLRESTART_RESTART},
        {{1000, 1000, 1}, {1500, true, false, 500}, BR_DLRESTART_EXIT},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        enum br_dlrestart_action got = br_dlrestart_decide(&cases[i].state, &cases[i].in);
        if (got != cases[i].want) {
            fail_msg("case %zu: %s, want %s", i, action_name(got), action_name(cases[i].want));
        }
    }
}

/*
 * A cause that persists (every fresh producer fails at once), seen by a loop that serves every
 * 100 ms: the restarts and the exit fall where the documentation says.
 */
static void test_persistent_failure_timeline(void **state)
{
    static const int64_t want_restarts_s[] = {0,   5,   15,  35,  75,  135, 195,
                                              255, 315, 375, 435, 495, 555};
    int64_t restarts_s[32];
    size_t restart_count = 0;
    int64_t exit_s = -1;
    struct br_dlrestart restart;
    const int64_t t0 = 50000;

    (void)state;
    br_dlrestart_init(&restart);
    for (int64_t now = t0; now <= t0 + 700000 && exit_s < 0; now += 100) {
        struct br_dlrestart_input in = {.now_ms = now, .failed = true, .exit_after_ms = 600000};
        enum br_dlrestart_action action = br_dlrestart_decide(&restart, &in);

        if (action == BR_DLRESTART_RESTART) {
            assert_true(restart_count < COUNT(restarts_s));
            restarts_s[restart_count++] = (now - t0) / 1000;
        } else if (action == BR_DLRESTART_EXIT) {
            exit_s = now - t0;
        } else {
            assert_int_equal(action, BR_DLRESTART_WAIT);
        }
        br_dlrestart_apply(&restart, action, now);
    }
    assert_int_equal(restart_count, COUNT(want_restarts_s));
    for (size_t i = 0; i < restart_count; i++) {
        if (restarts_s[i] != want_restarts_s[i]) {
            fail_msg("restart %zu at %lld s, want %lld s", i + 1, (long long)restarts_s[i],
                     (long long)want_restarts_s[i]);
        }
    }
    assert_int_equal(exit_s, 600000);
}

/*
 * Failing for 30 s, then the cause goes away: the restart at 35 s works and is confirmed by its
 * first ack; a later failure opens a new episode with an immediate restart.
 */
static void test_recovery_ends_the_episode(void **state)
{
    struct br_dlrestart restart;
    int64_t now = 1000;
    struct br_dlrestart_input in = {.now_ms = now, .failed = true, .exit_after_ms = 600000};
    int restarts = 0;

    (void)state;
    br_dlrestart_init(&restart);
    for (; now < 1000 + 36000; now += 100) {
        enum br_dlrestart_action action;
        in.now_ms = now;
        /* each restarted producer fails until 30 s; the one after that works */
        in.failed = restart.restarts == 0 || restart.restarted_ms < 1000 + 30000;
        action = br_dlrestart_decide(&restart, &in);
        if (action == BR_DLRESTART_RESTART) {
            restarts++;
        }
        br_dlrestart_apply(&restart, action, now);
    }
    assert_int_equal(restarts, 4); /* at 0, 5, 15 and 35 s */
    assert_int_equal(restart.restarted_ms, 1000 + 35000);
    in.now_ms = now;
    in.failed = false;
    assert_int_equal(br_dlrestart_decide(&restart, &in), BR_DLRESTART_WAIT);
    in.acked = true;
    assert_int_equal(br_dlrestart_decide(&restart, &in), BR_DLRESTART_RECOVERED);
    br_dlrestart_apply(&restart, BR_DLRESTART_RECOVERED, now);
    assert_int_equal(restart.failing_since_ms, 0);
    assert_int_equal(restart.restarts, 0);
    in.now_ms = now + 100000;
    in.failed = true;
    in.acked = false;
    assert_int_equal(br_dlrestart_decide(&restart, &in), BR_DLRESTART_RESTART);
    br_dlrestart_apply(&restart, BR_DLRESTART_RESTART, in.now_ms);
    assert_int_equal(restart.failing_since_ms, now + 100000);
    assert_int_equal(restart.restarts, 1);
}

static void test_describe_table(void **state)
{
    static const char error[] = "Failed to acquire idempotence PID from broker b:9092/1: Broker: "
                                "Cluster authorization failed";
    static const struct {
        struct br_dlrestart state;
        struct br_dlrestart_input in;
        const char *want;
    } cases[] = {
        {{0, 0, 0},
         {1000, true, false, 600000},
         "dead-letter producer failed: Failed to acquire idempotence PID from broker b:9092/1: "
         "Broker: Cluster authorization failed"},
        {{1000, 6000, 2},
         {13100, true, false, 600000},
         "dead-letter producer failing for 12 s (2 restart(s), next in 3 s, the bridge stops in "
         "588 s): Failed to acquire idempotence PID from broker b:9092/1: Broker: Cluster "
         "authorization failed"},
        {{1000, 6000, 2},
         {13100, true, false, 0},
         "dead-letter producer failing for 12 s (2 restart(s), next in 3 s): Failed to acquire "
         "idempotence PID from broker b:9092/1: Broker: Cluster authorization failed"},
        /* overdue restart, past the exit time: never negative */
        {{1000, 6000, 2},
         {700000, true, false, 600000},
         "dead-letter producer failing for 699 s (2 restart(s), next in 0 s, the bridge stops in "
         "0 s): Failed to acquire idempotence PID from broker b:9092/1: Broker: Cluster "
         "authorization failed"},
        {{1000, 36000, 4},
         {38500, false, false, 600000},
         "dead-letter producer restarted 2 s ago after failing for 37 s (4 restart(s)), not "
         "confirmed yet: Failed to acquire idempotence PID from broker b:9092/1: Broker: Cluster "
         "authorization failed"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[400];
        br_dlrestart_describe(&cases[i].state, &cases[i].in, error, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu:\n got: %s\nwant: %s", i, out, cases[i].want);
        }
    }
}

/* A short buffer gets the start of the line, NUL-terminated. */
static void test_describe_truncates(void **state)
{
    struct br_dlrestart restart = {1000, 1000, 1};
    struct br_dlrestart_input in = {.now_ms = 2000, .failed = true};
    char out[24];

    (void)state;
    memset(out, 'x', sizeof(out));
    br_dlrestart_describe(&restart, &in, "boom", out, sizeof(out));
    assert_string_equal(out, "dead-letter producer fa");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_table),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_persistent_failure_timeline),
        cmocka_unit_test(test_recovery_ends_the_episode),
        cmocka_unit_test(test_describe_table),
        cmocka_unit_test(test_describe_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
