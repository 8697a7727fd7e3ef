/*
 * Unit tests of listener.c: the admin.listen address split into host, port and bracketing (with
 * the exact messages of bad ones), a loopback socket opened on port 0, and its backlog.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ops/admin.h"
#include "ops/listener.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_split(void **state)
{
    static const struct {
        const char *address;
        const char *host;
        const char *port;
        bool bracketed;
    } cases[] = {
        {"127.0.0.1:9400", "127.0.0.1", "9400", false},
        {"localhost:0", "localhost", "0", false},
        {":9400", "", "9400", false},
        {"*:9400", "", "9400", false},
        {"**:1", "**", "1", false},
        {"0.0.0.0:65535", "0.0.0.0", "65535", false},
        {"[::1]:80", "::1", "80", true},
        {"[::]:00080", "::", "00080", true},
        {"[*]:1", "", "1", true}, /* any address, IPv6 only */
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_listener_address out;
        char errstr[256] = "";

        if (br_listener_split(cases[i].address, &out, errstr, sizeof(errstr)) != 0) {
            fail_msg("case %zu (%s): %s", i, cases[i].address, errstr);
        }
        if (strcmp(out.host, cases[i].host) != 0 || strcmp(out.port, cases[i].port) != 0 ||
            out.bracketed != cases[i].bracketed) {
            fail_msg("case %zu (%s): host [%s] port [%s] bracketed %d", i, cases[i].address,
                     out.host, out.port, out.bracketed);
        }
    }
}

static void test_split_errors(void **state)
{
    static const struct {
        const char *address;
        const char *message; /* after `admin.listen "<address>": ` */
    } cases[] = {
        {"9400", "expected host:port"},
        {"", "expected host:port"},
        {"127.0.0.1:", "the port must be a number 0-65535"},
        {"127.0.0.1:65536", "the port must be a number 0-65535"},
        {"127.0.0.1:123456", "the port must be a number 0-65535"},
        {"127.0.0.1:http", "the port must be a number 0-65535"},
        {"127.0.0.1:-1", "the port must be a number 0-65535"},
        {"127.0.0.1: 80", "the port must be a number 0-65535"},
        {"::1:9400", "an IPv6 address goes in brackets, as in [::]:9400"},
        {"[::1:9400", "an IPv6 address goes in brackets, as in [::]:9400"},
        {"[]:0", "an IPv6 address goes in brackets, as in [::]:9400"},
        {"a]:0", "an IPv6 address goes in brackets, as in [::]:9400"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_listener_address out;
        char errstr[256] = "";
        char want[256];

        snprintf(want, sizeof(want), "admin.listen \"%s\": %s", cases[i].address,
                 cases[i].message);
        if (br_listener_split(cases[i].address, &out, errstr, sizeof(errstr)) != -1 ||
            strcmp(errstr, want) != 0) {
            fail_msg("case %zu: got [%s], want [%s]", i, errstr, want);
        }
    }
}

/* 255 bytes of host fit, 256 do not. */
static void test_split_host_length(void **state)
{
    char address[300];
    char errstr[512] = "";
    char want[512];
    struct br_listener_address out;

    (void)state;
    memset(address, 'h', 255);
    snprintf(address + 255, sizeof(address) - 255, ":1");
    assert_int_equal(br_listener_split(address, &out, errstr, sizeof(errstr)), 0);
    assert_int_equal(strlen(out.host), 255);

    memset(address, 'h', 256);
    snprintf(address + 256, sizeof(address) - 256, ":1");
    assert_int_equal(br_listener_split(address, &out, errstr, sizeof(errstr)), -1);
    snprintf(want, sizeof(want), "admin.listen \"%s\": host name too long", address);
    assert_string_equal(errstr, want);
}

static void test_open_loopback(void **state)
{
    char errstr[256] = "";
    int fd = -2;
    int second = -2;
    char address[64];
    char want[160];

    (void)state;
    assert_int_equal(br_listener_open("127.0.0.1:0", &fd, errstr, sizeof(errstr)), BR_ADMIN_OK);
    assert_true(fd >= 0);
    assert_true(br_listener_port(fd) > 0);

    /* the same port again: refused while fd listens, with the step and the cause */
    snprintf(address, sizeof(address), "127.0.0.1:%d", br_listener_port(fd));
    assert_int_equal(br_listener_open(address, &second, errstr, sizeof(errstr)),
                     BR_ADMIN_ERR_LISTEN);
    assert_int_equal(second, -1);
    snprintf(want, sizeof(want), "admin.listen \"%s\": bind: %s", address, strerror(EADDRINUSE));
    assert_string_equal(errstr, want);

    /* an address that does not split is refused before any socket */
    assert_int_equal(br_listener_open("nowhere", &second, errstr, sizeof(errstr)),
                     BR_ADMIN_ERR_ADDRESS);
    assert_int_equal(second, -1);
    assert_string_equal(errstr, "admin.listen \"nowhere\": expected host:port");

    close(fd);
    assert_int_equal(br_listener_port(fd), -1); /* closed: no port */
}

/* net.core.somaxconn, which caps every listen backlog, or -1 */
static int somaxconn(void)
{
    FILE *file = fopen("/proc/sys/net/core/somaxconn", "r");
    int value = -1;

    if (file) {
        if (fscanf(file, "%d", &value) != 1) {
            value = -1;
        }
        fclose(file);
    }
    return value;
}

/*
 * A burst of connections while nothing accepts (the loop busy, slow clients reconnecting) waits
 * in the backlog: the kernel drops the SYN of a connection that finds the backlog full, and the
 * client retries only after a second, which a probe with a 1 s timeout does not survive. 300
 * connections all complete at once (with a backlog of 64, only 65 did).
 */
static void test_open_backlog(void **state)
{
    enum { CLIENTS = 300 };
    struct pollfd fds[CLIENTS];
    struct sockaddr_in addr;
    struct timespec start;
    struct timespec now;
    char errstr[256] = "";
    int fd = -1;
    int want = CLIENTS;
    int established = 0;

    (void)state;
    if (somaxconn() >= 0 && somaxconn() + 1 < want) {
        want = somaxconn() + 1; /* the kernel's cap, not ours */
    }
    assert_int_equal(br_listener_open("127.0.0.1:0", &fd, errstr, sizeof(errstr)), BR_ADMIN_OK);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)br_listener_port(fd));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < CLIENTS; i++) {
        fds[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        fds[i].events = POLLOUT;
        assert_true(fds[i].fd >= 0);
        if (connect(fds[i].fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
            assert_int_equal(errno, EINPROGRESS);
        }
    }
    /* the handshakes are local: 500 ms is ample, a dropped SYN is retried after 1 s */
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        established = 0;
        poll(fds, CLIENTS, 50);
        for (int i = 0; i < CLIENTS; i++) {
            int err = -1;
            socklen_t len = sizeof(err);

            if ((fds[i].revents & POLLOUT) &&
                getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
                established++;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (established < want &&
             (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 500);
    for (int i = 0; i < CLIENTS; i++) {
        close(fds[i].fd);
    }
    close(fd);
    if (established < want) {
        fail_msg("%d of %d connections established without an accept (want %d)", established,
                 CLIENTS, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_split_host_length),
        cmocka_unit_test(test_open_loopback),
        cmocka_unit_test(test_open_backlog),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
