/* Unit tests of egress.c: the guard's policy (allow-list, a hook's allow_private) and reasons. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "core/netaddr.h"
#include "delivery/egress.h"

/* Checks address (IPv4 or IPv6 text) for hook under conf; returns the reason, "" if allowed. */
static const char *check(const struct br_conf *conf, const struct br_conf_hook *hook,
                         const char *address)
{
    static char reason[256];
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(80)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
    int rc;

    reason[0] = '\0';
    if (inet_pton(AF_INET, address, &in.sin_addr) == 1) {
        rc = br_egress_check(conf, hook, (struct sockaddr *)&in, sizeof(in), reason,
                             sizeof(reason));
    } else if (inet_pton(AF_INET6, address, &in6.sin6_addr) == 1) {
        rc = br_egress_check(conf, hook, (struct sockaddr *)&in6, sizeof(in6), reason,
                             sizeof(reason));
    } else {
        fail_msg("%s is not an address", address);
        return NULL;
    }
    if ((rc == 0) != (reason[0] == '\0')) {
        fail_msg("%s: returned %d with reason \"%s\"", address, rc, reason);
    }
    return reason;
}

static void test_default_refusals(void **state)
{
    static const struct {
        const char *address;
        const char *reason; /* "" = allowed */
    } cases[] = {
        {"8.8.8.8", ""},
        {"2606:4700::1111", ""},
        {"64:ff9b::8.8.8.8", ""}, /* DNS64 of a public address */
        {"127.0.0.1", "egress refused: 127.0.0.1 is loopback"},
        {"10.0.0.1", "egress refused: 10.0.0.1 is private (RFC 1918)"},
        {"172.20.1.2", "egress refused: 172.20.1.2 is private (RFC 1918)"},
        {"192.168.1.1", "egress refused: 192.168.1.1 is private (RFC 1918)"},
        {"100.64.0.1",
         "egress refused: 100.64.0.1 is shared address space (RFC 6598, CGNAT)"},
        {"169.254.169.254", "egress refused: 169.254.169.254 is a cloud metadata service"},
        {"169.254.1.1", "egress refused: 169.254.1.1 is link-local"},
        {"0.0.0.0", "egress refused: 0.0.0.0 is unspecified"},
        {"224.0.0.1", "egress refused: 224.0.0.1 is multicast"},
        {"255.255.255.255", "egress refused: 255.255.255.255 is reserved"},
        {"::", "egress refused: :: is unspecified"},
        {"::1", "egress refused: ::1 is loopback"},
        {"::ffff:127.0.0.1", "egress refused: ::ffff:127.0.0.1 is loopback (IPv4-mapped "
                             "127.0.0.1)"},
        {"::ffff:10.0.0.1", "egress refused: ::ffff:10.0.0.1 is private (RFC 1918) (IPv4-mapped "
                            "10.0.0.1)"},
        {"::10.0.0.1", "egress refused: ::10.0.0.1 is private (RFC 1918) (IPv4-compatible "
                       "10.0.0.1)"},
        {"64:ff9b::a9fe:a9fe", "egress refused: 64:ff9b::a9fe:a9fe is a cloud metadata service "
                               "(NAT64 169.254.169.254)"},
        {"fd00:ec2::254", "egress refused: fd00:ec2::254 is a cloud metadata service"},
        {"fd12::1", "egress refused: fd12::1 is unique-local (RFC 4193)"},
        {"fe80::1", "egress refused: fe80::1 is link-local"},
        {"fec0::1", "egress refused: fec0::1 is site-local (deprecated)"},
        {"ff02::1", "egress refused: ff02::1 is multicast"},
    };
    struct br_conf conf = {0};
    struct br_conf_hook hook = {.name = "h"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = check(&conf, &hook, cases[i].address);
        if (strcmp(reason, cases[i].reason) != 0) {
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].address, reason, cases[i].reason);
        }
        /* without a hook (no allow_private), the same */
        if (strcmp(check(&conf, NULL, cases[i].address), cases[i].reason) != 0) {
            fail_msg("%s without a hook differs", cases[i].address);
        }
    }
}

static void test_allow_list(void **state)
{
    static const char *const allow[] = {"127.0.0.1/32", "::1", "10.20.0.0/16", "fd00:1::/32",
                                        "169.254.169.254"};
    static const struct {
        const char *address;
        bool allowed;
    } cases[] = {
        {"127.0.0.1", true},         {"127.0.0.2", false},        {"::ffff:127.0.0.1", true},
        {"::1", true},               {"10.20.255.255", true},     {"10.21.0.0", false},
        {"10.0.0.1", false},         {"fd00:1:ffff::1", true},    {"fd00:2::1", false},
        {"169.254.169.254", true},   {"169.254.169.253", false},  {"8.8.8.8", true},
    };
    struct br_netaddr_cidr cidrs[sizeof(allow) / sizeof(allow[0])];
    struct br_conf conf = {.egress_allow = cidrs, .egress_allow_count = 5};
    struct br_conf_hook hook = {.name = "h"};
    char errstr[128];

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(br_netaddr_parse_cidr(allow[i], &cidrs[i], errstr, sizeof(errstr)), 0);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = check(&conf, &hook, cases[i].address);
        if ((reason[0] == '\0') != cases[i].allowed) {
            fail_msg("%s: \"%s\", want %s", cases[i].address, reason,
                     cases[i].allowed ? "allowed" : "refused");
        }
    }
}

/* allow_private opens the private classes, not metadata, multicast, unspecified, reserved. */
static void test_allow_private(void **state)
{
    static const struct {
        const char *address;
        bool allowed;
    } cases[] = {
        {"127.0.0.1", true},        {"::1", true},           {"10.0.0.1", true},
        {"172.16.0.1", true},       {"192.168.0.1", true},   {"100.64.0.1", true},
        {"169.254.1.1", true},      {"fe80::1", true},       {"fd12::1", true},
        {"fec0::1", true},          {"64:ff9b:1::1", true},  {"::ffff:10.0.0.1", true},
        {"169.254.169.254", false}, {"fd00:ec2::254", false}, {"192.0.0.192", false},
        {"0.0.0.0", false},         {"::", false},           {"224.0.0.1", false},
        {"ff02::1", false},         {"240.0.0.1", false},    {"::8.8.8.8", false},
    };
    struct br_conf conf = {0};
    struct br_conf_hook hook = {.name = "internal", .allow_private = 1};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = check(&conf, &hook, cases[i].address);
        if ((reason[0] == '\0') != cases[i].allowed) {
            fail_msg("%s: \"%s\", want %s", cases[i].address, reason,
                     cases[i].allowed ? "allowed" : "refused");
        }
    }
}

/* The longest reasons fit the 120 characters a delivery keeps of its last error (lanes.h). */
static void test_reason_fits(void **state)
{
    static const char *const longest[] = {
        "2002:6440:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:100.127.255.255",
        "64:ff9b::6440:ffff", "fd00:ec2:ffff:ffff:ffff:ffff:ffff:ffff",
        "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
    };
    struct br_conf conf = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(longest) / sizeof(longest[0]); i++) {
        const char *reason = check(&conf, NULL, longest[i]);
        if (reason[0] == '\0' || strlen(reason) > 120) {
            fail_msg("%s: \"%s\" (%zu characters)", longest[i], reason, strlen(reason));
        }
    }
}

static void test_other_family(void **state)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct br_conf conf = {0};
    char reason[128];

    (void)state;
    assert_int_equal(br_egress_check(&conf, NULL, (struct sockaddr *)&un, sizeof(un), reason,
                                     sizeof(reason)),
                     -1);
    assert_string_equal(reason, "egress refused: address family 1 is not IPv4 or IPv6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_refusals),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_allow_private),
        cmocka_unit_test(test_reason_fits),
        cmocka_unit_test(test_other_family),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
