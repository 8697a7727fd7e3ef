/* The outbound request guard's policy (see egress.h). */
#include "delivery/egress.h"

#include <stdbool.h>
#include <stdio.h>

#include "core/netaddr.h"

/* The classes a YAML hook's allow_private lets through. */
static bool private_class(enum br_netaddr_class class_)
{
    switch (class_) {
    case BR_NETADDR_LOOPBACK:
    case BR_NETADDR_PRIVATE:
    case BR_NETADDR_SHARED:
    case BR_NETADDR_LINK_LOCAL:
    case BR_NETADDR_UNIQUE_LOCAL:
    case BR_NETADDR_SITE_LOCAL:
    case BR_NETADDR_NAT64_LOCAL:
        return true;
    default:
        return false;
    }
}

int br_egress_check(const struct br_conf *conf, const struct br_conf_hook *hook,
                    const struct sockaddr *address, size_t len, char *reason, size_t reason_size)
{
    struct br_netaddr addr;
    struct br_netaddr_verdict verdict;
    char text[BR_NETADDR_TEXT_MAX];
    char v4[BR_NETADDR_TEXT_MAX];

    if (br_netaddr_from_sockaddr(address, len, &addr) != 0) {
        snprintf(reason, reason_size, "egress refused: address family %d is not IPv4 or IPv6",
                 (int)address->sa_family);
        return -1;
    }
    for (size_t i = 0; i < conf->egress_allow_count; i++) {
        if (br_netaddr_cidr_contains(&conf->egress_allow[i], &addr)) {
            return 0;
        }
    }
    verdict = br_netaddr_classify(&addr);
    if (verdict.class_ == BR_NETADDR_PUBLIC ||
        (hook && hook->allow_private && private_class(verdict.class_))) {
        return 0;
    }
    br_netaddr_format(&addr, text, sizeof(text));
    if (verdict.embed == BR_NETADDR_EMBED_NONE) {
        snprintf(reason, reason_size, "egress refused: %s is %s", text,
                 br_netaddr_class_text(verdict.class_));
    } else {
        br_netaddr_format(&verdict.v4, v4, sizeof(v4));
        snprintf(reason, reason_size, "egress refused: %s is %s (%s %s)", text,
                 br_netaddr_class_text(verdict.class_), br_netaddr_embed_text(verdict.embed), v4);
    }
    return -1;
}

static int guard(void *opaque, const struct br_conf_hook *hook, const struct sockaddr *address,
                 size_t len, char *reason, size_t reason_size)
{
    return br_egress_check(opaque, hook, address, len, reason, reason_size);
}

void br_egress_install(struct br_sender *sender, const struct br_conf *conf)
{
    br_sender_guard(sender, guard, (void *)conf);
}
