#ifndef BR_ADMIN_H
#define BR_ADMIN_H
/*
 * The admin listener: a small HTTP/1.1 server for health probes and metrics, driven by the
 * loop's thread (no threads of its own, every socket non-blocking).
 *
 *   GET /healthz  200 "ok"                          while the loop serves it at all
 *   GET /readyz   200 "ok", or 503 with the reason   (the ready callback decides)
 *   GET /metrics  200 text/plain; version=0.0.4      (the metrics callback fills the body)
 *   other paths   404; methods other than GET and HEAD: 405
 *
 * Every response closes its connection. A request (request line and headers) is capped at
 * max_request bytes (431 past it). Slow and idle clients cannot keep a probe out: a connection
 * is closed without an answer when its request is not whole header_timeout_ms after the accept
 * or when it stays silent for idle_timeout_ms (and when it takes nothing of its response for
 * idle_timeout_ms); at most max_connections are open at once, and when all are taken a new
 * connection is still accepted and the oldest one gives way (conns.h says which). The kernel
 * hands a connection over only once its first bytes have come (listener.h), so a probe's request
 * is whole at the accept and answered in the same br_admin_serve. Query strings are ignored;
 * request bodies are not read.
 *
 * Use from the loop: before each wait, br_admin_waitfds() adds the admin's descriptors to the
 * extra descriptors of the sender's wait (br_sender_wait), and br_admin_timeout_ms() bounds the
 * wait; after it, br_admin_serve() does whatever is possible without blocking.
 */
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "core/buf.h"

enum br_admin_err {
    BR_ADMIN_OK = 0,
    BR_ADMIN_ERR_ARG,     /* a bad argument (missing listen address, zero-sized limits) */
    BR_ADMIN_ERR_ADDRESS, /* the listen address cannot be parsed or resolved */
    BR_ADMIN_ERR_LISTEN,  /* socket, bind or listen failed */
};

/*
 * Returns true when the bridge is ready. Otherwise writes a one-line reason (NUL-terminated)
 * into reason and returns false; the reason becomes the 503 body.
 */
typedef bool (*br_admin_ready_fn)(void *opaque, char *reason, size_t reason_size);

/*
 * Appends the metrics exposition to out (empty, capped at BR_ADMIN_METRICS_LIMIT). Returns 0, or
 * -1 to answer 500.
 */
typedef int (*br_admin_metrics_fn)(void *opaque, struct br_buf *out);

#define BR_ADMIN_METRICS_LIMIT (16u * 1024u * 1024u)

struct br_admin_conf {
    /* "host:port", "[ipv6]:port", "*:port" or ":port" (any address); port 0 picks one */
    const char *listen;
    int header_timeout_ms;       /* the whole request head after the accept; 0: 2000 */
    int idle_timeout_ms;         /* the longest silence of a client; 0: 1000 */
    size_t max_connections;      /* 0: 32; at most 4096 (each is a descriptor) */
    size_t max_request;          /* bytes of request line and headers; 0: 8192; at most 1 MiB */
    br_admin_ready_fn ready;     /* NULL: always ready */
    br_admin_metrics_fn metrics; /* NULL: /metrics is 404 */
    void *opaque;                /* passed to both callbacks */
};

struct br_admin;

/*
 * Binds and listens (SO_REUSEADDR, non-blocking, close-on-exec). On success *adminp is set and
 * BR_ADMIN_OK returned; on failure *adminp is NULL and errstr names the address and the cause,
 * e.g. `admin.listen "0.0.0.0:9400": bind: Address already in use`.
 */
enum br_admin_err br_admin_create(const struct br_admin_conf *conf, struct br_admin **adminp,
                                  char *errstr, size_t errstr_size);
/* Closes the listener and every connection. Accepts NULL. */
void br_admin_destroy(struct br_admin *admin);

/* The bound port (useful after port 0). */
int br_admin_port(const struct br_admin *admin);

/* How many entries br_admin_waitfds may fill at most: 1 + max_connections. */
size_t br_admin_waitfd_max(const struct br_admin *admin);

/*
 * Fills fds[0..] with the descriptors to wait on and the events wanted (CURL_WAIT_POLLIN or
 * CURL_WAIT_POLLOUT; revents cleared). Returns the number filled, at most cap. The listener is
 * left out only for a moment after an accept error (such as running out of descriptors with no
 * connection of its own to close).
 */
size_t br_admin_waitfds(const struct br_admin *admin, struct curl_waitfd *fds, size_t cap);

/* Milliseconds until the next connection times out (0 when overdue), or -1 when none is open. */
int br_admin_timeout_ms(const struct br_admin *admin);

/*
 * Reads requests, writes responses, closes timed-out connections and accepts pending ones (at
 * most 64 or max_connections per call, whichever is less, so a flood cannot hold the loop), all
 * without blocking. Callbacks run from here, on the caller's thread. Safe to call at any time,
 * whether or not a descriptor is ready.
 */
void br_admin_serve(struct br_admin *admin);

/* Open connections (for tests and logging). */
size_t br_admin_connections(const struct br_admin *admin);

#endif
