#ifndef BR_EGRESS_H
#define BR_EGRESS_H
/*
 * The outbound request guard: whether a hook may open a connection to an address. Called by the
 * sender for every address libcurl is about to connect to (after name resolution, for each
 * attempt: what is checked is what is connected to, so DNS rebinding cannot slip through), the
 * proxy's address included when a proxy is used. Refused: loopback, private, shared (CGNAT),
 * link-local and cloud metadata, unique-local and site-local IPv6, multicast, unspecified and
 * reserved addresses, and IPv6 forms that carry one of them (core/netaddr.h), unless the address
 * is in egress.allow, or the hook is a YAML hook with allow_private (which lets the private
 * classes through: not the metadata addresses, multicast, unspecified or reserved ones). The
 * reference is docs/configuration.md, "egress".
 */
#include <stddef.h>
#include <sys/socket.h>

#include "config/conf.h"
#include "delivery/sender.h"

/*
 * Returns 0 when hook may connect to address (len bytes), else -1 with the reason in reason:
 * "egress refused: 10.0.0.1 is private (RFC 1918)". conf and hook are borrowed.
 */
int br_egress_check(const struct br_conf *conf, const struct br_conf_hook *hook,
                    const struct sockaddr *address, size_t len, char *reason, size_t reason_size);

/* Makes sender check every connection with br_egress_check under conf (borrowed: it must
 * outlive the sender, or be installed again). */
void br_egress_install(struct br_sender *sender, const struct br_conf *conf);

#endif
