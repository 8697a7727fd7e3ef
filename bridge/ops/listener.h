#ifndef BR_LISTENER_H
#define BR_LISTENER_H
/*
 * The admin listener's socket: the admin.listen address ("host:port", "[ipv6]:port", "*:port"
 * or ":port") split into host and port, and a listening TCP socket (SO_REUSEADDR, non-blocking,
 * close-on-exec, a backlog of 4096, TCP_DEFER_ACCEPT of 1 s: a connection is handed over once
 * its first bytes have come, or after about a second) bound to it. Messages start with the key
 * and the address as configured, e.g. `admin.listen "0.0.0.0:9400": bind: Address already in
 * use`.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ops/admin.h"

struct br_listener_address {
    char host[256];  /* "" for any address ("", "*") */
    char port[8];    /* decimal, 0-65535 */
    bool bracketed;  /* written "[host]": host must be an IPv6 literal */
};

/* Splits address into *out. Returns 0, or -1 with errstr set. No name resolution. */
int br_listener_split(const char *address, struct br_listener_address *out, char *errstr,
                      size_t errstr_size);

/*
 * Resolves address and listens on the first of its addresses that binds. Returns BR_ADMIN_OK
 * with *fdp set, or BR_ADMIN_ERR_ADDRESS / BR_ADMIN_ERR_LISTEN with *fdp = -1 and errstr set.
 */
enum br_admin_err br_listener_open(const char *address, int *fdp, char *errstr,
                                   size_t errstr_size);

/* The port fd is bound to (the one picked for port 0), or -1. */
int br_listener_port(int fd);

#endif
