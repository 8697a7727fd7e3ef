/*
 * Unit tests of conns.c, without sockets: each state's deadline, the first free slot, and which
 * connection gives way to a new one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ops/conns.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define F BR_CONNS_FREE
#define R BR_CONNS_READING
#define W BR_CONNS_WRITING
#define L BR_CONNS_LINGER

static void test_deadline(void **state)
{
    static const struct br_conns_timeouts timeouts = {
        .header_timeout_ms = 2000, .idle_timeout_ms = 500, .linger_ms = 300};
    static const struct {
        struct br_conns_slot slot;
        int64_t want;
    } cases[] = {
        /* reading, silent since the accept: the idle timeout comes first */
        {{R, 10000, 10000, 1}, 10500},
        /* reading, a byte now and then: the header deadline from the accept holds */
        {{R, 10000, 11400, 1}, 11900},
        {{R, 10000, 11600, 1}, 12000},
        {{R, 10000, 19000, 1}, 12000},
        /* writing and lingering count from the last progress, not from the accept */
        {{W, 10000, 10000, 1}, 10500},
        {{W, 10000, 15000, 1}, 15500},
        {{L, 10000, 15000, 1}, 15300},
        {{F, 10000, 15000, 1}, INT64_MAX},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t got = br_conns_deadline(&cases[i].slot, &timeouts);

        if (got != cases[i].want) {
            fail_msg("case %zu: deadline %lld, want %lld", i, (long long)got,
                     (long long)cases[i].want);
        }
    }
}

/* The header deadline is the earlier of the two when the idle timeout is the longer one. */
static void test_deadline_idle_longer(void **state)
{
    static const struct br_conns_timeouts timeouts = {
        .header_timeout_ms = 100, .idle_timeout_ms = 5000, .linger_ms = 1000};
    struct br_conns_slot slot = {R, 0, 0, 0};

    (void)state;
    assert_int_equal(br_conns_deadline(&slot, &timeouts), 100);
    slot.state = W;
    assert_int_equal(br_conns_deadline(&slot, &timeouts), 5000);
    slot.state = L;
    assert_int_equal(br_conns_deadline(&slot, &timeouts), 1000);
}

static void test_first_free(void **state)
{
    struct br_conns_slot slots[4] = {{R, 0, 0, 0}, {F, 0, 0, 0}, {W, 0, 0, 0}, {F, 0, 0, 0}};

    (void)state;
    assert_int_equal(br_conns_free(slots, 4), 1);
    slots[1].state = L;
    assert_int_equal(br_conns_free(slots, 4), 3);
    slots[3].state = R;
    assert_int_equal(br_conns_free(slots, 4), 4);
    assert_int_equal(br_conns_free(slots, 0), 0);
}

static void test_victim(void **state)
{
    /* {state, accepted_ms, active_ms, serial} per slot; want: the index that gives way */
    static const struct {
        struct br_conns_slot slots[4];
        size_t want;
    } cases[] = {
        /* all reading: the oldest accept, wherever it sits */
        {{{R, 100, 900, 7}, {R, 50, 60, 3}, {R, 200, 200, 9}, {R, 300, 300, 12}}, 1},
        /* a lingering connection (response sent) goes before any older one */
        {{{R, 50, 60, 3}, {R, 100, 900, 7}, {L, 300, 350, 12}, {R, 200, 200, 9}}, 2},
        /* of two lingering, the earlier accept */
        {{{L, 400, 450, 20}, {R, 50, 60, 3}, {L, 300, 500, 12}, {W, 10, 10, 1}}, 2},
        /* writing and reading by accept order alike: a slow reader of its response is old too */
        {{{R, 100, 900, 7}, {W, 20, 990, 2}, {R, 200, 200, 9}, {R, 300, 300, 12}}, 1},
        {{{R, 10, 900, 1}, {W, 20, 990, 2}, {R, 200, 200, 9}, {R, 300, 300, 12}}, 0},
        /* accepts in the same millisecond: the serial decides, not the slot index */
        {{{R, 100, 100, 6}, {R, 100, 100, 5}, {R, 100, 100, 8}, {R, 100, 100, 7}}, 1},
        /* free slots are never chosen */
        {{{F, 0, 0, 0}, {R, 100, 100, 5}, {F, 0, 0, 0}, {W, 200, 200, 9}}, 1},
        /* none open: none to close */
        {{{F, 0, 0, 0}, {F, 0, 0, 0}, {F, 0, 0, 0}, {F, 0, 0, 0}}, 4},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t got = br_conns_victim(cases[i].slots, 4);

        if (got != cases[i].want) {
            fail_msg("case %zu: victim %zu, want %zu", i, got, cases[i].want);
        }
    }
    assert_int_equal(br_conns_victim(cases[0].slots, 0), 0);
}

/*
 * Connections keep arriving into a full table, each taking the slot that gives way: a new one is
 * only closed after every connection older than it (those 4 arrivals later), and a connection
 * whose response is sent goes first.
 */
static void test_victim_sequence(void **state)
{
    struct br_conns_slot slots[4] = {{F, 0, 0, 0}, {F, 0, 0, 0}, {F, 0, 0, 0}, {F, 0, 0, 0}};
    uint64_t serial_in[4];

    (void)state;
    for (uint64_t serial = 0; serial < 20; serial++) {
        size_t i = br_conns_free(slots, 4);

        if (i == 4) {
            i = br_conns_victim(slots, 4);
            assert_true(i < 4);
            /* the one closed is the oldest of the four: serial - 4 */
            if (serial_in[i] != serial - 4) {
                fail_msg("arrival %llu closed serial %llu, want %llu", (unsigned long long)serial,
                         (unsigned long long)serial_in[i], (unsigned long long)(serial - 4));
            }
        }
        slots[i] = (struct br_conns_slot){R, (int64_t)serial, (int64_t)serial, serial};
        serial_in[i] = serial;
    }
    /* one of them answered: it goes next, whatever its age */
    slots[2].state = L;
    assert_int_equal(br_conns_victim(slots, 4), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline),   cmocka_unit_test(test_deadline_idle_longer),
        cmocka_unit_test(test_first_free),       cmocka_unit_test(test_victim),
        cmocka_unit_test(test_victim_sequence),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
