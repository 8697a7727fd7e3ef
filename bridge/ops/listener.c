/* The admin listener's address and listening socket (see listener.h). */
#include "ops/listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Connections waiting for an accept. The kernel drops the SYN of one that finds the backlog
 * full and the client retries only after a second: with 64, slow clients reconnecting in bursts
 * filled it while the loop was busy, and a probe now and then took 1 s. The kernel caps it at
 * net.core.somaxconn (4096 by default); waiting connections are no descriptors of ours.
 */
#define LISTEN_BACKLOG 4096

/*
 * The kernel hands over a connection only once its first bytes have come (or after about this
 * many seconds): a probe's request is then whole at the accept and answered at once, before a
 * burst of newer connections could make it the oldest one and close it for them, and clients
 * that connect and send nothing cost no descriptor meanwhile.
 */
#define DEFER_ACCEPT_S 1

int br_listener_split(const char *address, struct br_listener_address *out, char *errstr,
                      size_t errstr_size)
{
    const char *colon = strrchr(address, ':');
    const char *start = address;
    size_t host_len;
    size_t port_len;
    unsigned long value;

    if (!colon) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": expected host:port", address);
        return -1;
    }
    host_len = (size_t)(colon - address);
    out->bracketed = false;
    if (host_len > 2 && address[0] == '[' && colon[-1] == ']') {
        out->bracketed = true;
        start = address + 1;
        host_len -= 2;
    } else if (memchr(address, ':', host_len) || memchr(address, '[', host_len) ||
               memchr(address, ']', host_len)) {
        snprintf(errstr, errstr_size,
                 "admin.listen \"%s\": an IPv6 address goes in brackets, as in [::]:9400", address);
        return -1;
    }
    if (host_len == 1 && start[0] == '*') {
        host_len = 0;
    }
    port_len = strlen(colon + 1);
    if (port_len == 0 || port_len > 5 || strspn(colon + 1, "0123456789") != port_len) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": the port must be a number 0-65535",
                 address);
        return -1;
    }
    value = strtoul(colon + 1, NULL, 10);
    if (value > 65535 || host_len >= sizeof(out->host) || port_len >= sizeof(out->port)) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s", address,
                 value > 65535 ? "the port must be a number 0-65535" : "host name too long");
        return -1;
    }
    memcpy(out->host, start, host_len);
    out->host[host_len] = '\0';
    memcpy(out->port, colon + 1, port_len + 1);
    return 0;
}

int br_listener_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);

    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        return -1;
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

enum br_admin_err br_listener_open(const char *address, int *fdp, char *errstr,
                                   size_t errstr_size)
{
    struct addrinfo hints;
    struct addrinfo *list = NULL;
    struct br_listener_address split;
    const char *step = "socket";
    int saved = 0;
    int fd = -1;
    int rc;

    *fdp = -1;
    if (br_listener_split(address, &split, errstr, errstr_size) != 0) {
        return BR_ADMIN_ERR_ADDRESS;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = split.bracketed ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (split.bracketed ? AI_NUMERICHOST : 0);
    rc = getaddrinfo(split.host[0] ? split.host : NULL, split.port, &hints, &list);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s", address,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return BR_ADMIN_ERR_ADDRESS;
    }
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int one = 1;
        int defer_s = DEFER_ACCEPT_S;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            step = "socket";
            saved = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
            step = "setsockopt(SO_REUSEADDR)";
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            step = "bind";
        } else if (listen(fd, LISTEN_BACKLOG) != 0) {
            step = "listen";
        } else if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s)) !=
                   0) {
            step = "setsockopt(TCP_DEFER_ACCEPT)";
        } else {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s: %s", address, step,
                 strerror(saved ? saved : EADDRNOTAVAIL));
        return BR_ADMIN_ERR_LISTEN;
    }
    *fdp = fd;
    return BR_ADMIN_OK;
}
