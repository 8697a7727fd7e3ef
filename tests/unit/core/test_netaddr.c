/* Unit tests of netaddr.c: every address class and its edges, embedded IPv4, CIDR prefixes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/netaddr.h"

static struct br_netaddr addr_of(const char *text)
{
    struct br_netaddr addr;

    if (br_netaddr_parse(text, &addr) != 0) {
        fail_msg("%s does not parse", text);
    }
    return addr;
}

/* Each class at its edges: the first and last address of each range, and the neighbours. */
static void test_classify_table(void **state)
{
    static const struct {
        const char *address;
        enum br_netaddr_class class_;
        enum br_netaddr_embed embed;
        const char *v4; /* the embedded IPv4 address, or NULL */
    } cases[] = {
        /* IPv4 */
        {"0.0.0.0", BR_NETADDR_UNSPECIFIED, BR_NETADDR_EMBED_NONE, NULL},
        {"0.255.255.255", BR_NETADDR_UNSPECIFIED, BR_NETADDR_EMBED_NONE, NULL},
        {"1.0.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"9.255.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"10.0.0.0", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"10.0.0.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"10.255.255.255", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"11.0.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"100.63.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"100.64.0.0", BR_NETADDR_SHARED, BR_NETADDR_EMBED_NONE, NULL},
        {"100.127.255.255", BR_NETADDR_SHARED, BR_NETADDR_EMBED_NONE, NULL},
        {"100.128.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"126.255.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"127.0.0.0", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_NONE, NULL},
        {"127.0.0.1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_NONE, NULL},
        {"127.255.255.255", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_NONE, NULL},
        {"128.0.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"169.253.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"169.254.0.0", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"169.254.169.253", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"169.254.169.254", BR_NETADDR_METADATA, BR_NETADDR_EMBED_NONE, NULL},
        {"169.254.169.255", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"169.254.255.255", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"169.255.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"172.15.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"172.16.0.0", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"172.31.255.255", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"172.32.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"191.255.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"192.0.0.0", BR_NETADDR_RESERVED, BR_NETADDR_EMBED_NONE, NULL},
        {"192.0.0.192", BR_NETADDR_METADATA, BR_NETADDR_EMBED_NONE, NULL},
        {"192.0.0.255", BR_NETADDR_RESERVED, BR_NETADDR_EMBED_NONE, NULL},
        {"192.0.1.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"192.0.2.1", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL}, /* TEST-NET-1: no harm */
        {"192.167.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"192.168.0.0", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"192.168.255.255", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NONE, NULL},
        {"192.169.0.0", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"223.255.255.255", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"224.0.0.0", BR_NETADDR_MULTICAST, BR_NETADDR_EMBED_NONE, NULL},
        {"239.255.255.255", BR_NETADDR_MULTICAST, BR_NETADDR_EMBED_NONE, NULL},
        {"240.0.0.0", BR_NETADDR_RESERVED, BR_NETADDR_EMBED_NONE, NULL},
        {"255.255.255.255", BR_NETADDR_RESERVED, BR_NETADDR_EMBED_NONE, NULL},
        {"8.8.8.8", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        /* IPv6 */
        {"::", BR_NETADDR_UNSPECIFIED, BR_NETADDR_EMBED_NONE, NULL},
        {"::1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_NONE, NULL},
        {"::2", BR_NETADDR_UNSPECIFIED, BR_NETADDR_EMBED_COMPAT, "0.0.0.2"},
        {"::127.0.0.1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_COMPAT, "127.0.0.1"},
        {"::10.0.0.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_COMPAT, "10.0.0.1"},
        {"::8.8.8.8", BR_NETADDR_V4_COMPAT, BR_NETADDR_EMBED_COMPAT, "8.8.8.8"},
        {"::ffff:0.0.0.0", BR_NETADDR_UNSPECIFIED, BR_NETADDR_EMBED_MAPPED, "0.0.0.0"},
        {"::ffff:127.0.0.1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_MAPPED, "127.0.0.1"},
        {"::ffff:10.0.0.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_MAPPED, "10.0.0.1"},
        {"::ffff:172.16.0.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_MAPPED, "172.16.0.1"},
        {"::ffff:192.168.1.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_MAPPED, "192.168.1.1"},
        {"::ffff:100.64.0.1", BR_NETADDR_SHARED, BR_NETADDR_EMBED_MAPPED, "100.64.0.1"},
        {"::ffff:169.254.169.254", BR_NETADDR_METADATA, BR_NETADDR_EMBED_MAPPED,
         "169.254.169.254"},
        {"::ffff:169.254.1.1", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_MAPPED, "169.254.1.1"},
        {"::ffff:224.0.0.1", BR_NETADDR_MULTICAST, BR_NETADDR_EMBED_MAPPED, "224.0.0.1"},
        {"::ffff:255.255.255.255", BR_NETADDR_RESERVED, BR_NETADDR_EMBED_MAPPED,
         "255.255.255.255"},
        {"::ffff:8.8.8.8", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_MAPPED, "8.8.8.8"},
        {"::fffe:127.0.0.1", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL}, /* not mapped */
        {"::1:ffff:127.0.0.1", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"64:ff9b::127.0.0.1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_NAT64, "127.0.0.1"},
        {"64:ff9b::10.0.0.1", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_NAT64, "10.0.0.1"},
        {"64:ff9b::169.254.169.254", BR_NETADDR_METADATA, BR_NETADDR_EMBED_NAT64,
         "169.254.169.254"},
        {"64:ff9b::8.8.8.8", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NAT64, "8.8.8.8"},
        {"64:ff9b:1::", BR_NETADDR_NAT64_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_NAT64_LOCAL, BR_NETADDR_EMBED_NONE,
         NULL},
        {"64:ff9b:2::", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"2002:7f00:1::1", BR_NETADDR_LOOPBACK, BR_NETADDR_EMBED_6TO4, "127.0.0.1"},
        {"2002:a00:1::", BR_NETADDR_PRIVATE, BR_NETADDR_EMBED_6TO4, "10.0.0.1"},
        {"2002:808:808::1", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_6TO4, "8.8.8.8"},
        {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE,
         NULL},
        {"fc00::", BR_NETADDR_UNIQUE_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"fd12:3456::1", BR_NETADDR_UNIQUE_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"fd00:ec2::254", BR_NETADDR_METADATA, BR_NETADDR_EMBED_NONE, NULL},
        {"fd00:ec2::253", BR_NETADDR_UNIQUE_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_UNIQUE_LOCAL,
         BR_NETADDR_EMBED_NONE, NULL},
        {"fe00::", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE,
         NULL},
        {"fe80::", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"fe80::1", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_LINK_LOCAL, BR_NETADDR_EMBED_NONE,
         NULL},
        {"fec0::", BR_NETADDR_SITE_LOCAL, BR_NETADDR_EMBED_NONE, NULL},
        {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", BR_NETADDR_SITE_LOCAL, BR_NETADDR_EMBED_NONE,
         NULL},
        {"ff00::", BR_NETADDR_MULTICAST, BR_NETADDR_EMBED_NONE, NULL},
        {"ff02::1", BR_NETADDR_MULTICAST, BR_NETADDR_EMBED_NONE, NULL},
        {"2001:db8::1", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
        {"2606:4700::1111", BR_NETADDR_PUBLIC, BR_NETADDR_EMBED_NONE, NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_netaddr addr = addr_of(cases[i].address);
        struct br_netaddr_verdict verdict = br_netaddr_classify(&addr);
        char v4[BR_NETADDR_TEXT_MAX];

        if (verdict.class_ != cases[i].class_ || verdict.embed != cases[i].embed) {
            fail_msg("%s: class %s embed '%s', want %s embed '%s'", cases[i].address,
                     br_netaddr_class_text(verdict.class_), br_netaddr_embed_text(verdict.embed),
                     br_netaddr_class_text(cases[i].class_),
                     br_netaddr_embed_text(cases[i].embed));
        }
        if (cases[i].v4) {
            br_netaddr_format(&verdict.v4, v4, sizeof(v4));
            if (verdict.v4.family != AF_INET || strcmp(v4, cases[i].v4) != 0) {
                fail_msg("%s: embedded %s, want %s", cases[i].address, v4, cases[i].v4);
            }
        }
    }
}

static void test_class_texts(void **state)
{
    (void)state;
    assert_string_equal(br_netaddr_class_text(BR_NETADDR_PRIVATE), "private (RFC 1918)");
    assert_string_equal(br_netaddr_class_text(BR_NETADDR_LOOPBACK), "loopback");
    assert_string_equal(br_netaddr_embed_text(BR_NETADDR_EMBED_MAPPED), "IPv4-mapped");
    for (int c = 0; c < BR_NETADDR_CLASS_COUNT; c++) {
        if (strcmp(br_netaddr_class_text((enum br_netaddr_class)c), "unknown") == 0) {
            fail_msg("class %d has no text", c);
        }
    }
}

static void test_from_sockaddr(void **state)
{
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    struct sockaddr other = {.sa_family = AF_UNIX};
    struct br_netaddr addr;
    char text[BR_NETADDR_TEXT_MAX];

    (void)state;
    inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
    assert_int_equal(br_netaddr_from_sockaddr((struct sockaddr *)&in, sizeof(in), &addr), 0);
    br_netaddr_format(&addr, text, sizeof(text));
    assert_string_equal(text, "10.0.0.1");
    assert_int_equal(br_netaddr_classify(&addr).class_, BR_NETADDR_PRIVATE);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
    assert_int_equal(br_netaddr_from_sockaddr((struct sockaddr *)&in6, sizeof(in6), &addr), 0);
    br_netaddr_format(&addr, text, sizeof(text));
    assert_string_equal(text, "::ffff:127.0.0.1");
    assert_int_equal(br_netaddr_classify(&addr).class_, BR_NETADDR_LOOPBACK);
    /* a short length or another family is refused */
    assert_int_equal(br_netaddr_from_sockaddr((struct sockaddr *)&in6, sizeof(in), &addr), -1);
    assert_int_equal(br_netaddr_from_sockaddr((struct sockaddr *)&in, 8, &addr), -1);
    assert_int_equal(br_netaddr_from_sockaddr(&other, sizeof(other), &addr), -1);
}

static void test_parse(void **state)
{
    static const char *const bad[] = {
        "", "localhost", "10.0.0", "10.0.0.256", "1.2.3.4 ", " 1.2.3.4", "[::1]", "fe80::1%lo",
        "::1::2", "010.0.0.1x",
    };
    struct br_netaddr addr;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (br_netaddr_parse(bad[i], &addr) == 0) {
            fail_msg("'%s' parsed", bad[i]);
        }
    }
}

static void test_cidr_parse(void **state)
{
    static const struct {
        const char *text;
        int family;
        unsigned prefix_len;
        const char *address;
    } good[] = {
        {"127.0.0.1/32", AF_INET, 32, "127.0.0.1"},
        {"127.0.0.1", AF_INET, 32, "127.0.0.1"},
        {"10.0.0.0/8", AF_INET, 8, "10.0.0.0"},
        {"0.0.0.0/0", AF_INET, 0, "0.0.0.0"},
        {"::1", AF_INET6, 128, "::1"},
        {"::1/128", AF_INET6, 128, "::1"},
        {"fd00::/8", AF_INET6, 8, "fd00::"},
        {"::/0", AF_INET6, 0, "::"},
        {"fe80::/10", AF_INET6, 10, "fe80::"},
        /* IPv4-mapped prefixes are the IPv4 prefixes they map */
        {"::ffff:127.0.0.1", AF_INET, 32, "127.0.0.1"},
        {"::ffff:10.0.0.0/104", AF_INET, 8, "10.0.0.0"},
        {"::ffff:0.0.0.0/96", AF_INET, 0, "0.0.0.0"},
    };
    static const struct {
        const char *text;
        const char *message; /* a part of the message */
    } bad[] = {
        {"", "is not a CIDR prefix"},
        {"/8", "is not a CIDR prefix"},
        {"localhost", "'localhost' is not an IPv4 or IPv6 address"},
        {"10.0.0/8", "'10.0.0' is not an IPv4 or IPv6 address"},
        {"10.0.0.0/", "prefix length after '/' must be a number from 0 to 32"},
        {"10.0.0.0/x", "must be a number from 0 to 32"},
        {"10.0.0.0/-1", "must be a number from 0 to 32"},
        {"10.0.0.0/08", "must be a number from 0 to 32"},
        {"10.0.0.0/8 ", "must be a number from 0 to 32"},
        {"10.0.0.0/33", "at most 32 for an IPv4 address"},
        {"::/129", "at most 128 for an IPv6 address"},
        {"fd00::/1000", "must be a number from 0 to 128"},
        {"10.0.0.1/8", "'10.0.0.1/8' has host bits set after its /8 prefix; the network is "
                       "10.0.0.0/8"},
        {"fd00::1/8", "the network is fd00::/8"},
        {"fe80::1/9", "the network is fe80::/9"},
        {"10.0.0.0/8/8", "must be a number"},
    };
    struct br_netaddr_cidr cidr;
    char text[BR_NETADDR_TEXT_MAX];
    char errstr[256];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        errstr[0] = '\0';
        if (br_netaddr_parse_cidr(good[i].text, &cidr, errstr, sizeof(errstr)) != 0) {
            fail_msg("%s: %s", good[i].text, errstr);
        }
        br_netaddr_format(&cidr.addr, text, sizeof(text));
        if (cidr.addr.family != good[i].family || cidr.prefix_len != good[i].prefix_len ||
            strcmp(text, good[i].address) != 0) {
            fail_msg("%s: got %s/%u", good[i].text, text, cidr.prefix_len);
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errstr[0] = '\0';
        if (br_netaddr_parse_cidr(bad[i].text, &cidr, errstr, sizeof(errstr)) == 0) {
            fail_msg("'%s' parsed", bad[i].text);
        }
        if (!strstr(errstr, bad[i].message)) {
            fail_msg("'%s': message \"%s\" lacks \"%s\"", bad[i].text, errstr, bad[i].message);
        }
    }
}

static void test_cidr_contains(void **state)
{
    static const struct {
        const char *cidr;
        const char *address;
        bool contains;
    } cases[] = {
        {"127.0.0.1/32", "127.0.0.1", true},
        {"127.0.0.1/32", "127.0.0.2", false},
        {"127.0.0.1/32", "::ffff:127.0.0.1", true}, /* the same IPv4 host */
        {"127.0.0.1/32", "::1", false},
        {"127.0.0.1/32", "64:ff9b::127.0.0.1", false}, /* a translator, not this host */
        {"::1", "::1", true},
        {"::1", "127.0.0.1", false},
        {"::ffff:127.0.0.1", "127.0.0.1", true},
        {"10.0.0.0/8", "10.255.255.255", true},
        {"10.0.0.0/8", "11.0.0.0", false},
        {"10.0.0.0/8", "9.255.255.255", false},
        {"172.16.0.0/12", "172.31.0.1", true},
        {"172.16.0.0/12", "172.32.0.1", false},
        {"0.0.0.0/0", "203.0.113.9", true},
        {"0.0.0.0/0", "2001:db8::1", false},
        {"::/0", "2001:db8::1", true},
        {"::/0", "10.0.0.1", false},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        {"fd00::/9", "fd7f::1", true},
        {"fd00::/9", "fd80::1", false},
    };
    struct br_netaddr_cidr cidr;
    char errstr[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_netaddr addr = addr_of(cases[i].address);

        if (br_netaddr_parse_cidr(cases[i].cidr, &cidr, errstr, sizeof(errstr)) != 0) {
            fail_msg("%s: %s", cases[i].cidr, errstr);
        }
        if (br_netaddr_cidr_contains(&cidr, &addr) != cases[i].contains) {
            fail_msg("%s contains %s: got %d", cases[i].cidr, cases[i].address,
                     !cases[i].contains);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_table), cmocka_unit_test(test_class_texts),
        cmocka_unit_test(test_from_sockaddr),  cmocka_unit_test(test_parse),
        cmocka_unit_test(test_cidr_parse),     cmocka_unit_test(test_cidr_contains),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
