#ifndef BR_NETADDR_H
#define BR_NETADDR_H
/*
 * IP addresses for the outbound request guard: what kind of network an address belongs to
 * (loopback, private, link-local, ...), CIDR prefixes parsed and matched, addresses written.
 * Pure: no I/O, no allocation, no configuration. The guard's policy (which classes are refused,
 * the allow-list, a hook's opt-out) is delivery/egress.c's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An IPv4 (4 bytes used) or IPv6 address, bytes in network order. */
struct br_netaddr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
};

/* A prefix: addr with every bit after the first prefix_len ones zero. */
struct br_netaddr_cidr {
    struct br_netaddr addr;
    unsigned prefix_len; /* 0-32 (IPv4) or 0-128 (IPv6) */
};

/* The kind of network an address reaches; every class but PUBLIC is refused by default. */
enum br_netaddr_class {
    BR_NETADDR_PUBLIC,       /* none of the below */
    BR_NETADDR_UNSPECIFIED,  /* 0.0.0.0/8 ("this network", RFC 1122), :: */
    BR_NETADDR_LOOPBACK,     /* 127.0.0.0/8, ::1 */
    BR_NETADDR_PRIVATE,      /* 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918) */
    BR_NETADDR_SHARED,       /* 100.64.0.0/10 (RFC 6598, carrier-grade NAT) */
    BR_NETADDR_LINK_LOCAL,   /* 169.254.0.0/16, fe80::/10 */
    BR_NETADDR_METADATA,     /* 169.254.169.254, fd00:ec2::254: cloud instance metadata */
    BR_NETADDR_UNIQUE_LOCAL, /* fc00::/7 (RFC 4193) */
    BR_NETADDR_SITE_LOCAL,   /* fec0::/10 (deprecated, RFC 3879) */
    BR_NETADDR_MULTICAST,    /* 224.0.0.0/4, ff00::/8 */
    BR_NETADDR_RESERVED,     /* 240.0.0.0/4 and 255.255.255.255 (broadcast) */
    BR_NETADDR_NAT64_LOCAL,  /* 64:ff9b:1::/48 (RFC 8215): a local translator, any IPv4 */
    BR_NETADDR_V4_COMPAT,    /* ::/96 other than :: and ::1 (deprecated IPv4-compatible) */
    BR_NETADDR_CLASS_COUNT
};

/* How an IPv6 address carries an IPv4 one, whose class is then the address's class. */
enum br_netaddr_embed {
    BR_NETADDR_EMBED_NONE,
    BR_NETADDR_EMBED_MAPPED, /* ::ffff:a.b.c.d (IPv4-mapped) */
    BR_NETADDR_EMBED_COMPAT, /* ::a.b.c.d (IPv4-compatible, deprecated) */
    BR_NETADDR_EMBED_NAT64,  /* 64:ff9b::a.b.c.d (RFC 6052 well-known prefix) */
    BR_NETADDR_EMBED_6TO4,   /* 2002:aabb:ccdd::/48 (6to4, RFC 3056) */
};

struct br_netaddr_verdict {
    enum br_netaddr_class class_;
    enum br_netaddr_embed embed; /* NONE, or how the IPv4 address that was classified is held */
    struct br_netaddr v4;        /* that IPv4 address (valid when embed != NONE) */
};

/* The class of addr; an IPv6 address that carries an IPv4 one gets that address's class. */
struct br_netaddr_verdict br_netaddr_classify(const struct br_netaddr *addr);

/* "private (RFC 1918)", "loopback", ... for messages; "public" for BR_NETADDR_PUBLIC. */
const char *br_netaddr_class_text(enum br_netaddr_class class_);
/* "IPv4-mapped", "IPv4-compatible", "NAT64", "6to4"; "" for NONE. */
const char *br_netaddr_embed_text(enum br_netaddr_embed embed);

/*
 * addr from a socket address (AF_INET or AF_INET6; len is the sockaddr's size). Returns 0, or -1
 * for another family or a short length.
 */
int br_netaddr_from_sockaddr(const struct sockaddr *sa, size_t len, struct br_netaddr *addr);

/* Parses a dotted-quad IPv4 or an IPv6 address (no brackets, no zone). Returns 0 or -1. */
int br_netaddr_parse(const char *text, struct br_netaddr *addr);

/*
 * Parses "address/prefix_len" or a bare address (a single host: /32 or /128). The prefix length
 * is decimal, 0-32 or 0-128; an address with bits set after its prefix is refused (it is a
 * host, not a network: "10.0.0.1/8"). A prefix inside ::ffff:0:0/96 of length 96 or more is
 * stored as the IPv4 prefix it maps ("::ffff:127.0.0.1" is 127.0.0.1/32). Returns 0, or -1
 * with a message for the user.
 */
int br_netaddr_parse_cidr(const char *text, struct br_netaddr_cidr *cidr, char *errstr,
                          size_t errstr_size);

/*
 * True when cidr contains addr. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as the
 * IPv4 address it is: the connection goes to that IPv4 host.
 */
bool br_netaddr_cidr_contains(const struct br_netaddr_cidr *cidr, const struct br_netaddr *addr);

/* Writes addr as inet_ntop does ("10.0.0.1", "::ffff:127.0.0.1"). out_size >= 46 is enough. */
void br_netaddr_format(const struct br_netaddr *addr, char *out, size_t out_size);

#define BR_NETADDR_TEXT_MAX 46

#endif
