/*
 * Unit tests of waitset.c: the sender's epoll set, with pipes and socket pairs standing in for
 * libcurl's sockets and the loop's descriptors. The set is kept from wait to wait, so each test
 * closes descriptors and opens others under the same numbers, as a long-running loop does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/socket.h>
#include <unistd.h>

#include "delivery/waitset.h"

static struct br_waitset *set_new(void)
{
    char errstr[256] = "";
    struct br_waitset *set = br_waitset_create(errstr, sizeof(errstr));

    if (!set) {
        fail_msg("br_waitset_create: %s", errstr);
    }
    return set;
}

/* The one ready libcurl socket of the last wait, or -1 (and none after it). */
static int ready_socket(struct br_waitset *set, int *mask)
{
    int fd = -1;
    int other;
    int other_mask;

    if (!br_waitset_next_ready(set, &fd, mask)) {
        return -1;
    }
    assert_false(br_waitset_next_ready(set, &other, &other_mask));
    return fd;
}

static void drain(int fd)
{
    char sink[64];

    assert_true(read(fd, sink, sizeof(sink)) > 0);
}

/*
 * An extra descriptor closed and opened again under the same number still wakes the wait: when
 * listed as changing (not stable), and when listed as stable after one wait without it.
 */
static void test_extra_reopened(void **state)
{
    struct br_waitset *set = set_new();
    int first[2];
    int again[2];
    struct curl_waitfd extra;

    (void)state;
    for (unsigned stable = 0; stable <= 1; stable++) {
        assert_int_equal(pipe(first), 0);
        extra = (struct curl_waitfd){.fd = first[0], .events = CURL_WAIT_POLLIN};
        assert_int_equal(br_waitset_wait(set, &extra, 1, stable, 0), 0);
        assert_int_equal(write(first[1], "x", 1), 1);
        assert_int_equal(br_waitset_wait(set, &extra, 1, stable, 1000), 1);
        assert_true(extra.revents & CURL_WAIT_POLLIN);
        if (stable) {
            /* a stable descriptor is left out of one wait before it is closed */
            assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
        }
        close(first[0]);
        close(first[1]);
        assert_int_equal(pipe(again), 0);
        assert_int_equal(again[0], first[0]); /* the lowest free numbers: the same */
        extra = (struct curl_waitfd){.fd = again[0], .events = CURL_WAIT_POLLIN};
        assert_int_equal(br_waitset_wait(set, &extra, 1, stable, 0), 0);
        assert_int_equal(extra.revents, 0);
        assert_int_equal(write(again[1], "y", 1), 1);
        assert_int_equal(br_waitset_wait(set, &extra, 1, stable, 1000), 1);
        assert_true(extra.revents & CURL_WAIT_POLLIN);
        /* left out: no longer watched, whatever it holds */
        assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
        close(again[0]);
        close(again[1]);
    }
    /* a negative descriptor is ignored, as poll() ignores it */
    extra = (struct curl_waitfd){.fd = -1, .events = CURL_WAIT_POLLIN};
    assert_int_equal(br_waitset_wait(set, &extra, 1, 1, 0), 0);
    assert_int_equal(extra.revents, 0);
    br_waitset_destroy(set);
}

/*
 * A connection's socket between two requests: libcurl stops watching it (it stays in the set),
 * what arrives meanwhile is not reported, and when libcurl watches it again it is reported
 * again. Closed and opened again under the same number, the new socket is watched.
 */
static void test_kept_alive_socket(void **state)
{
    struct br_waitset *set = set_new();
    int pair[2];
    int again[2];
    int mask = 0;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    br_waitset_opened(set, pair[0]);
    br_waitset_curl(set, pair[0], CURL_POLL_IN);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
    assert_int_equal(write(pair[1], "a", 1), 1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), pair[0]);
    assert_int_equal(mask, CURL_CSELECT_IN);
    drain(pair[0]);

    /* between requests: not watched; the next request watches it again */
    br_waitset_curl(set, pair[0], CURL_POLL_REMOVE);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
    br_waitset_curl(set, pair[0], CURL_POLL_IN);
    assert_int_equal(write(pair[1], "b", 1), 1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), pair[0]);
    drain(pair[0]);

    /* something arrives while nobody watches it: not reported, and reported once watched */
    br_waitset_curl(set, pair[0], CURL_POLL_REMOVE);
    assert_int_equal(write(pair[1], "c", 1), 1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
    assert_int_equal(ready_socket(set, &mask), -1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
    br_waitset_curl(set, pair[0], CURL_POLL_IN);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), pair[0]);
    drain(pair[0]);

    /* closed, and a new socket under the same number */
    br_waitset_curl(set, pair[0], CURL_POLL_REMOVE);
    br_waitset_closing(set, pair[0]);
    close(pair[0]);
    close(pair[1]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, again), 0);
    assert_int_equal(again[0], pair[0]);
    br_waitset_opened(set, again[0]);
    br_waitset_curl(set, again[0], CURL_POLL_OUT);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), again[0]);
    assert_int_equal(mask, CURL_CSELECT_OUT);
    br_waitset_closing(set, again[0]);
    close(again[0]);
    close(again[1]);
    br_waitset_destroy(set);
}

/*
 * libcurl's own descriptor (a resolver's) closed before libcurl says so, its number taken by a
 * new connection: libcurl may go on wanting the same events for the number without saying so
 * again, and the new socket is watched for them.
 */
static void test_number_taken_over(void **state)
{
    struct br_waitset *set = set_new();
    int resolver[2];
    int pair[2];
    int mask = 0;

    (void)state;
    assert_int_equal(pipe(resolver), 0);
    br_waitset_curl(set, resolver[0], CURL_POLL_IN);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 0), 0);
    close(resolver[0]);
    close(resolver[1]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    assert_int_equal(pair[0], resolver[0]);
    br_waitset_opened(set, pair[0]);
    assert_int_equal(write(pair[1], "z", 1), 1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), pair[0]);
    br_waitset_curl(set, pair[0], CURL_POLL_REMOVE);
    br_waitset_closing(set, pair[0]);
    close(pair[0]);
    close(pair[1]);
    br_waitset_destroy(set);
}

/*
 * A changing extra descriptor (an admin connection) closed by its owner after a wait, its
 * number taken by libcurl's own descriptor (a resolver's, not opened through the sender) before
 * the next wait: the table still says "registered" for the old file, which epoll forgot when it
 * was closed; the new descriptor is watched all the same.
 */
static void test_extra_number_to_curl(void **state)
{
    struct br_waitset *set = set_new();
    int first[2];
    int resolver[2];
    int mask = 0;
    struct curl_waitfd extra;

    (void)state;
    assert_int_equal(pipe(first), 0);
    extra = (struct curl_waitfd){.fd = first[0], .events = CURL_WAIT_POLLIN};
    assert_int_equal(br_waitset_wait(set, &extra, 1, 0, 0), 0);
    close(first[0]);
    close(first[1]);
    assert_int_equal(pipe(resolver), 0);
    assert_int_equal(resolver[0], first[0]);
    br_waitset_curl(set, resolver[0], CURL_POLL_IN);
    assert_int_equal(write(resolver[1], "r", 1), 1);
    assert_int_equal(br_waitset_wait(set, NULL, 0, 0, 1000), 1);
    assert_int_equal(ready_socket(set, &mask), resolver[0]);
    assert_int_equal(mask, CURL_CSELECT_IN);
    br_waitset_curl(set, resolver[0], CURL_POLL_REMOVE);
    close(resolver[0]);
    close(resolver[1]);
    br_waitset_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extra_reopened),
        cmocka_unit_test(test_kept_alive_socket),
        cmocka_unit_test(test_number_taken_over),
        cmocka_unit_test(test_extra_number_to_curl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
