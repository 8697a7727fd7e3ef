/*
 * Unit tests of listener.c: the admin.listen address split into host, port and bracketing (with
 * the exact messages of bad ones), and a loopback socket opened on port 0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_split_host_length),
        cmocka_unit_test(test_open_loopback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
