/* IP address classes, CIDR prefixes and their text (see netaddr.h). */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One IPv4 range and its class; the first that contains the address wins. */
struct v4_range {
    uint32_t net;
    unsigned prefix_len;
    enum br_netaddr_class class_;
};

static const struct v4_range v4_ranges[] = {
    {0x00000000u, 8, BR_NETADDR_UNSPECIFIED},   /* 0.0.0.0/8: "this network" */
    {0x0a000000u, 8, BR_NETADDR_PRIVATE},       /* 10.0.0.0/8 */
    {0x64400000u, 10, BR_NETADDR_SHARED},       /* 100.64.0.0/10 */
    {0x7f000000u, 8, BR_NETADDR_LOOPBACK},      /* 127.0.0.0/8 */
    {0xa9fea9feu, 32, BR_NETADDR_METADATA},     /* 169.254.169.254 (AWS, GCP, Azure, ...) */
    {0xa9fe0000u, 16, BR_NETADDR_LINK_LOCAL},   /* 169.254.0.0/16 */
    {0xac100000u, 12, BR_NETADDR_PRIVATE},      /* 172.16.0.0/12 */
    {0xc00000c0u, 32, BR_NETADDR_METADATA},     /* 192.0.0.192 (Oracle Cloud) */
    {0xc0000000u, 24, BR_NETADDR_RESERVED},     /* 192.0.0.0/24: IETF protocol assignments */
    {0xc0a80000u, 16, BR_NETADDR_PRIVATE},      /* 192.168.0.0/16 */
    {0xe0000000u, 4, BR_NETADDR_MULTICAST},     /* 224.0.0.0/4 */
    {0xf0000000u, 4, BR_NETADDR_RESERVED},      /* 240.0.0.0/4, 255.255.255.255 included */
};

static uint32_t v4_value(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
           (uint32_t)bytes[3];
}

static enum br_netaddr_class classify_v4(const unsigned char *bytes)
{
    uint32_t value = v4_value(bytes);

    for (size_t i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++) {
        uint32_t mask = v4_ranges[i].prefix_len == 0
                            ? 0
                            : 0xffffffffu << (32 - v4_ranges[i].prefix_len);
        if ((value & mask) == v4_ranges[i].net) {
            return v4_ranges[i].class_;
        }
    }
    return BR_NETADDR_PUBLIC;
}

static bool all_zero(const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] != 0) {
            return false;
        }
    }
    return true;
}

static bool is_mapped(const unsigned char *b)
{
    return all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff;
}

/* The verdict of an IPv6 address that carries the IPv4 address at v4 (4 bytes). */
static struct br_netaddr_verdict embedded(enum br_netaddr_embed embed, const unsigned char *v4)
{
    struct br_netaddr_verdict verdict = {.embed = embed};

    verdict.v4.family = AF_INET;
    memcpy(verdict.v4.bytes, v4, 4);
    verdict.class_ = classify_v4(v4);
    return verdict;
}

static struct br_netaddr_verdict classify_v6(const unsigned char *b)
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    static const unsigned char nat64_local[6] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};
    static const unsigned char metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
    struct br_netaddr_verdict verdict = {.class_ = BR_NETADDR_PUBLIC};

    if (is_mapped(b)) {
        return embedded(BR_NETADDR_EMBED_MAPPED, b + 12);
    }
    if (all_zero(b, 12)) {
        if (all_zero(b + 12, 3) && b[15] <= 1) {
            verdict.class_ = b[15] == 0 ? BR_NETADDR_UNSPECIFIED : BR_NETADDR_LOOPBACK;
            return verdict;
        }
        verdict = embedded(BR_NETADDR_EMBED_COMPAT, b + 12);
        if (verdict.class_ == BR_NETADDR_PUBLIC) {
            verdict.class_ = BR_NETADDR_V4_COMPAT; /* deprecated: never a real destination */
        }
        return verdict;
    }
    if (memcmp(b, nat64, sizeof(nat64)) == 0) {
        return embedded(BR_NETADDR_EMBED_NAT64, b + 12);
    }
    if (memcmp(b, nat64_local, sizeof(nat64_local)) == 0) {
        verdict.class_ = BR_NETADDR_NAT64_LOCAL;
        return verdict;
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        return embedded(BR_NETADDR_EMBED_6TO4, b + 2);
    }
    if (memcmp(b, metadata, sizeof(metadata)) == 0) {
        verdict.class_ = BR_NETADDR_METADATA;
    } else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        verdict.class_ = BR_NETADDR_LINK_LOCAL;
    } else if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {
        verdict.class_ = BR_NETADDR_SITE_LOCAL;
    } else if ((b[0] & 0xfe) == 0xfc) {
        verdict.class_ = BR_NETADDR_UNIQUE_LOCAL;
    } else if (b[0] == 0xff) {
        verdict.class_ = BR_NETADDR_MULTICAST;
    }
    return verdict;
}

struct br_netaddr_verdict br_netaddr_classify(const struct br_netaddr *addr)
{
    struct br_netaddr_verdict verdict = {.class_ = BR_NETADDR_PUBLIC};

    if (addr->family == AF_INET) {
        verdict.class_ = classify_v4(addr->bytes);
        return verdict;
    }
    return classify_v6(addr->bytes);
}

const char *br_netaddr_class_text(enum br_netaddr_class class_)
{
    switch (class_) {
    case BR_NETADDR_PUBLIC:
        return "public";
    case BR_NETADDR_UNSPECIFIED:
        return "unspecified";
    case BR_NETADDR_LOOPBACK:
        return "loopback";
    case BR_NETADDR_PRIVATE:
        return "private (RFC 1918)";
    case BR_NETADDR_SHARED:
        return "shared address space (RFC 6598, CGNAT)";
    case BR_NETADDR_LINK_LOCAL:
        return "link-local";
    case BR_NETADDR_METADATA:
        return "a cloud metadata service";
    case BR_NETADDR_UNIQUE_LOCAL:
        return "unique-local (RFC 4193)";
    case BR_NETADDR_SITE_LOCAL:
        return "site-local (deprecated)";
    case BR_NETADDR_MULTICAST:
        return "multicast";
    case BR_NETADDR_RESERVED:
        return "reserved";
    case BR_NETADDR_NAT64_LOCAL:
        return "local-use NAT64 (RFC 8215)";
    case BR_NETADDR_V4_COMPAT:
        return "IPv4-compatible (deprecated)";
    case BR_NETADDR_CLASS_COUNT:
        break;
    }
    return "unknown";
}

const char *br_netaddr_embed_text(enum br_netaddr_embed embed)
{
    switch (embed) {
    case BR_NETADDR_EMBED_MAPPED:
        return "IPv4-mapped";
    case BR_NETADDR_EMBED_COMPAT:
        return "IPv4-compatible";
    case BR_NETADDR_EMBED_NAT64:
        return "NAT64";
    case BR_NETADDR_EMBED_6TO4:
        return "6to4";
    case BR_NETADDR_EMBED_NONE:
        break;
    }
    return "";
}

int br_netaddr_from_sockaddr(const struct sockaddr *sa, size_t len, struct br_netaddr *addr)
{
    memset(addr, 0, sizeof(*addr));
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        addr->family = AF_INET;
        memcpy(addr->bytes, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        addr->family = AF_INET6;
        memcpy(addr->bytes, &in6->sin6_addr, 16);
        return 0;
    }
    return -1;
}

int br_netaddr_parse(const char *text, struct br_netaddr *addr)
{
    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, text, addr->bytes) == 1) {
        addr->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, addr->bytes) == 1) {
        addr->family = AF_INET6;
        return 0;
    }
    return -1;
}

static unsigned family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* True when the bits of bytes from bit `from` on are all zero. */
static bool zero_from(const unsigned char *bytes, unsigned from, unsigned bits)
{
    for (unsigned bit = from; bit < bits; bit++) {
        if (bytes[bit / 8] & (0x80u >> (bit % 8))) {
            return false;
        }
    }
    return true;
}

int br_netaddr_parse_cidr(const char *text, struct br_netaddr_cidr *cidr, char *errstr,
                          size_t errstr_size)
{
    char address[64];
    const char *slash = strchr(text, '/');
    size_t address_len = slash ? (size_t)(slash - text) : strlen(text);
    unsigned bits;

    memset(cidr, 0, sizeof(*cidr));
    if (address_len == 0 || address_len >= sizeof(address)) {
        snprintf(errstr, errstr_size, "'%.80s' is not a CIDR prefix (such as 10.1.0.0/16 or "
                 "fd00::/8) nor an IP address", text);
        return -1;
    }
    memcpy(address, text, address_len);
    address[address_len] = '\0';
    if (br_netaddr_parse(address, &cidr->addr) != 0) {
        snprintf(errstr, errstr_size, "'%s' is not an IPv4 or IPv6 address (a CIDR prefix is "
                 "address/length, such as 10.1.0.0/16 or fd00::/8; no host names)", address);
        return -1;
    }
    bits = family_bits(cidr->addr.family);
    cidr->prefix_len = bits;
    if (slash) {
        const char *digits = slash + 1;
        unsigned long value = 0;
        size_t n = strspn(digits, "0123456789");

        if (n == 0 || n > 3 || digits[n] != '\0' || (n > 1 && digits[0] == '0')) {
            snprintf(errstr, errstr_size, "'%.80s': the prefix length after '/' must be a "
                     "number from 0 to %u", text, bits);
            return -1;
        }
        value = strtoul(digits, NULL, 10);
        if (value > bits) {
            snprintf(errstr, errstr_size, "'%.80s': the prefix length must be at most %u for an "
                     "%s address", text, bits, bits == 32 ? "IPv4" : "IPv6");
            return -1;
        }
        cidr->prefix_len = (unsigned)value;
    }
    if (!zero_from(cidr->addr.bytes, cidr->prefix_len, bits)) {
        struct br_netaddr_cidr network = *cidr;
        char shown[BR_NETADDR_TEXT_MAX];

        for (unsigned bit = cidr->prefix_len; bit < bits; bit++) {
            network.addr.bytes[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
        }
        br_netaddr_format(&network.addr, shown, sizeof(shown));
        snprintf(errstr, errstr_size, "'%.80s' has host bits set after its /%u prefix; the "
                 "network is %s/%u", text, cidr->prefix_len, shown, cidr->prefix_len);
        return -1;
    }
    if (cidr->addr.family == AF_INET6 && cidr->prefix_len >= 96 && is_mapped(cidr->addr.bytes)) {
        memmove(cidr->addr.bytes, cidr->addr.bytes + 12, 4);
        memset(cidr->addr.bytes + 4, 0, 12);
        cidr->addr.family = AF_INET;
        cidr->prefix_len -= 96;
    }
    return 0;
}

bool br_netaddr_cidr_contains(const struct br_netaddr_cidr *cidr, const struct br_netaddr *addr)
{
    struct br_netaddr plain = *addr;
    unsigned full;

    if (plain.family == AF_INET6 && is_mapped(plain.bytes)) {
        memmove(plain.bytes, plain.bytes + 12, 4);
        memset(plain.bytes + 4, 0, 12);
        plain.family = AF_INET;
    }
    if (plain.family != cidr->addr.family) {
        return false;
    }
    full = cidr->prefix_len / 8;
    if (memcmp(plain.bytes, cidr->addr.bytes, full) != 0) {
        return false;
    }
    if (cidr->prefix_len % 8 != 0) {
        unsigned char mask = (unsigned char)(0xffu << (8 - cidr->prefix_len % 8));
        if ((plain.bytes[full] & mask) != cidr->addr.bytes[full]) {
            return false;
        }
    }
    return true;
}

void br_netaddr_format(const struct br_netaddr *addr, char *out, size_t out_size)
{
    char text[INET6_ADDRSTRLEN];

    if (!inet_ntop(addr->family, addr->bytes, text, sizeof(text))) {
        snprintf(text, sizeof(text), "?");
    }
    snprintf(out, out_size, "%s", text);
}
