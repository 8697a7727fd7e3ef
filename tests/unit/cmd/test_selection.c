/*
 * Unit tests of selection.c: each filter on dead-letter headers and timestamps, the times
 * --since/--until take (ISO-8601 forms, offsets, times ago, refusals), and the default group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/selection.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1777629600000LL /* 2026-05-01T10:00:00Z */

static struct br_dead_header dead_letter(const char *topic, int32_t partition, int64_t offset,
                                         const char *hook, const char *event,
                                         enum br_dead_reason reason)
{
    struct br_dead_header dl;

    memset(&dl, 0, sizeof(dl));
    snprintf(dl.topic, sizeof(dl.topic), "%s", topic);
    dl.partition = partition;
    dl.offset = offset;
    snprintf(dl.hook, sizeof(dl.hook), "%s", hook);
    snprintf(dl.event, sizeof(dl.event), "%s", event);
    dl.reason = reason;
    return dl;
}

static void test_filters(void **state)
{
    struct br_dead_header refused =
        dead_letter("p.t1.users", 3, 100, "crm", "user.created", BR_DEAD_REFUSED);
    struct br_dead_header undecodable =
        dead_letter("p.t1.users", 3, 101, "", "", BR_DEAD_UNDECODABLE);
    static const struct {
        const char *name;
        struct br_selection sel;
        int refused;     /* passes, 1 or 0 */
        int undecodable;
        const char *why; /* the refused one's filter when it fails */
    } cases[] = {
        {"everything", {NULL, NULL, NULL, -1, -1, -1, -1, -1, -1}, 1, 1, NULL},
        {"same hook", {"crm", NULL, NULL, -1, -1, -1, -1, -1, -1}, 1, 1, NULL},
        /* a dead letter without a hook is owed to every hook: it passes any --hook */
        {"other hook", {"slack", NULL, NULL, -1, -1, -1, -1, -1, -1}, 0, 1, "hook"},
        {"event", {NULL, "user.*", NULL, -1, -1, -1, -1, -1, -1}, 1, 1, NULL},
        /* an unknown event passes until the record is decoded */
        {"other event", {NULL, "*.deleted", NULL, -1, -1, -1, -1, -1, -1}, 0, 1, "event"},
        {"topic", {NULL, NULL, "p.t1.users", -1, -1, -1, -1, -1, -1}, 1, 1, NULL},
        {"other topic", {NULL, NULL, "p.t2.users", -1, -1, -1, -1, -1, -1}, 0, 0,
         "origin topic"},
        {"partition", {NULL, NULL, NULL, 3, -1, -1, -1, -1, -1}, 1, 1, NULL},
        {"other partition", {NULL, NULL, NULL, 0, -1, -1, -1, -1, -1}, 0, 0,
         "origin partition"},
        {"offsets", {NULL, NULL, NULL, -1, 100, 101, -1, -1, -1}, 1, 1, NULL},
        {"from", {NULL, NULL, NULL, -1, 101, -1, -1, -1, -1}, 0, 1, "origin offset"},
        {"to", {NULL, NULL, NULL, -1, -1, 100, -1, -1, -1}, 1, 0, NULL},
        {"reason", {NULL, NULL, NULL, -1, -1, -1, -1, -1, BR_DEAD_REFUSED}, 1, 0, NULL},
        {"other reason", {NULL, NULL, NULL, -1, -1, -1, -1, -1, BR_DEAD_EXHAUSTED}, 0, 0,
         "reason"},
        {"since", {NULL, NULL, NULL, -1, -1, -1, T0, -1, -1}, 1, 1, NULL},
        {"since later", {NULL, NULL, NULL, -1, -1, -1, T0 + 1, -1, -1}, 0, 0, "time"},
        {"until", {NULL, NULL, NULL, -1, -1, -1, -1, T0 + 1, -1}, 1, 1, NULL},
        /* until is exclusive */
        {"until now", {NULL, NULL, NULL, -1, -1, -1, -1, T0, -1}, 0, 0, "time"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *why = "unset";
        bool got = br_selection_dead_letter(&cases[i].sel, &refused, T0, &why);
        bool got_undecodable = br_selection_dead_letter(&cases[i].sel, &undecodable, T0, NULL);

        if (got != (cases[i].refused != 0) || got_undecodable != (cases[i].undecodable != 0)) {
            fail_msg("%s: refused %d undecodable %d, want %d %d", cases[i].name, got,
                     got_undecodable, cases[i].refused, cases[i].undecodable);
        }
        if ((cases[i].why == NULL) != (why == NULL) ||
            (why && strcmp(why, cases[i].why) != 0)) {
            fail_msg("%s: why \"%s\", want \"%s\"", cases[i].name, why ? why : "(null)",
                     cases[i].why ? cases[i].why : "(null)");
        }
    }
}

static void test_init_and_event(void **state)
{
    struct br_selection sel;

    (void)state;
    br_selection_init(&sel);
    assert_null(sel.hook);
    assert_null(sel.event);
    assert_int_equal(sel.origin_partition, -1);
    assert_int_equal(sel.reason, -1);
    assert_true(br_selection_time(&sel, 0));
    assert_true(br_selection_event(&sel, "user.created"));
    sel.event = "rankrecord.*";
    assert_true(br_selection_event(&sel, "rankrecord.deleted"));
    assert_false(br_selection_event(&sel, "user.created"));
}

static void test_parse_time(void **state)
{
    static const struct {
        const char *text;
        int64_t want; /* -2: refused */
    } cases[] = {
        {"2026-05-01", 1777593600000LL},
        {"2026-05-01T10:00Z", T0},
        {"2026-05-01T10:00", T0},
        {"2026-05-01T10:00:00Z", T0},
        {"2026-05-01 10:00:00", T0},
        {"2026-05-01T10:00:00.5Z", T0 + 500},
        {"2026-05-01T10:00:00.123456789Z", T0 + 123},
        {"2026-05-01T12:00:00+02:00", T0},
        {"2026-05-01T09:30:00-00:30", T0},
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29", 1709164800000LL},
        {"90s", T0 - 90000},
        {"90m", T0 - 5400000},
        {"36h", T0 - 129600000},
        {"2d", T0 - 172800000},
        {"0h", T0},
        {"2025-02-29", -2},
        {"2026-13-01", -2},
        {"2026-04-31", -2},
        {"2026-05-01T24:00Z", -2},
        {"2026-05-01T10:60Z", -2},
        {"2026-05-01T10Z", -2},
        {"2026-05-01T10:00:00.Z", -2},
        {"2026-05-01T10:00:00+2", -2},
        {"2026-05-01x", -2},
        {"26-05-01", -2},
        {"yesterday", -2},
        {"", -2},
        {"5", -2},
        {"5w", -2},
        {"-5h", -2},
        {"5hh", -2},
        {"99999999999d", -2},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = -2;
        char errstr[512] = "";
        int rc = br_selection_parse_time(cases[i].text, T0, &got, errstr, sizeof(errstr));

        if (cases[i].want == -2) {
            if (rc != -1 || !strstr(errstr, "is not a time")) {
                fail_msg("'%s': rc %d (%lld), want a refusal", cases[i].text, rc,
                         (long long)got);
            }
        } else if (rc != 0 || got != cases[i].want) {
            fail_msg("'%s': rc %d, %lld, want %lld (%s)", cases[i].text, rc, (long long)got,
                     (long long)cases[i].want, errstr);
        }
    }
}

static void test_group(void **state)
{
    char a[128];
    char b[128];
    char c[128];

    (void)state;
    br_selection_group("perscom-bridge", "source=dead-letters:dlq hook=", a, sizeof(a));
    br_selection_group("perscom-bridge", "source=dead-letters:dlq hook=", b, sizeof(b));
    br_selection_group("perscom-bridge", "source=dead-letters:dlq hook=crm", c, sizeof(c));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), strlen("perscom-bridge.replay-") + 8);
    assert_memory_equal(a, "perscom-bridge.replay-", 22);
    /* the first four bytes of SHA-256("abc") */
    br_selection_group("g", "abc", a, sizeof(a));
    assert_string_equal(a, "g.replay-ba7816bf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_init_and_event),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
