#ifndef BR_SENDER_H
#define BR_SENDER_H
/*
 * libcurl multi: starts the requests of deliveries, waits for them (and for the loop's other
 * descriptors) in one epoll_wait on the sockets libcurl names (its socket interface, kept in
 * one epoll set from wait to wait), and reports each finished transfer. HTTP/1.1 with
 * kept-alive connections; redirects are not followed.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "delivery/lanes.h"

struct br_sender;

struct br_transfer_result {
    bool transport_ok;  /* the exchange completed; http_status is valid */
    long http_status;
    char error[CURL_ERROR_SIZE]; /* curl's message when !transport_ok */
    char retry_after[64];        /* the response's Retry-After value, or empty */
    double seconds;     /* total time of the request */
    int curl_code;      /* the transfer's CURLcode (CURLE_OK with transport_ok) */
    bool egress_refused; /* the guard refused every address tried (error says why): permanent */
    /* From the start of the request, microseconds (CURLINFO_*_TIME_T); 0 when the phase did
     * not happen (tls_us on http://, first_byte_us without an answer). */
    int64_t dns_us;        /* name resolved */
    int64_t connect_us;    /* TCP connected */
    int64_t tls_us;        /* TLS handshake done */
    int64_t first_byte_us; /* first byte of the answer */
    int64_t total_us;
    /* Only with br_sender_capture on, else NULL/0; valid during the done callback only: the
     * final response's header lines as received (CRLF included, capped at 16 KiB) and its
     * body's first bytes (body_total counts them all). */
    const char *headers;
    size_t headers_len;
    const char *body;
    size_t body_len;
    size_t body_total;
};

typedef void (*br_sender_done_fn)(void *opaque, struct br_delivery *delivery,
                                  const struct br_transfer_result *result);

/* max_connections: idle kept-alive connections to keep (at least the requests in flight). */
struct br_sender *br_sender_create(long max_connections, char *errstr, size_t errstr_size);
/* Cancels whatever is in flight (the deliveries stay with their lanes). */
void br_sender_destroy(struct br_sender *sender);

/*
 * From now on every transfer keeps its response's header lines and the first body_max bytes of
 * its body, handed to the done callback in the result (the test-hook command shows them). Off
 * by default: the run loop needs the status only.
 */
void br_sender_capture(struct br_sender *sender, size_t body_max);

/*
 * The guard asked before each connection a transfer opens (to the receiver, or to its proxy):
 * hook is the request's hook, address the resolved address about to be connected to. It
 * returns 0 to allow it, or -1 with the reason; that address is then not connected to (libcurl
 * tries the hook's next address, if any). A transfer for which every address was refused ends
 * with egress_refused and the reason as its error.
 */
typedef int (*br_sender_guard_fn)(void *opaque, const struct br_conf_hook *hook,
                                  const struct sockaddr *address, size_t len, char *reason,
                                  size_t reason_size);
/* Sets the guard of every transfer started from now on (NULL: none). opaque is borrowed. */
void br_sender_guard(struct br_sender *sender, br_sender_guard_fn guard, void *opaque);

/* Starts delivery's request; timeout_ms bounds the whole request. Returns 0 or -1 with a message. */
int br_sender_start(struct br_sender *sender, struct br_delivery *delivery, long timeout_ms,
                    char *errstr, size_t errstr_size);
/* Abandons delivery's transfer, if any; its done callback will not be called. */
void br_sender_cancel(struct br_sender *sender, struct br_delivery *delivery);
size_t br_sender_in_flight(const struct br_sender *sender);
/*
 * Forgets what the sender keeps for hook (its TLS files and its constant header lines, which
 * are made once per hook version, scrubbed here), before hook's settings are freed (a hook
 * changed or removed while running). No request of hook may be in flight.
 */
void br_sender_forget_hook(struct br_sender *sender, const struct br_conf_hook *hook);

/*
 * Waits up to timeout_ms (less when libcurl's timer is due sooner) for transfer activity or one
 * of extra's descriptors (their revents set, as curl_multi_poll sets them). The first
 * stable_count of extra are the caller's long-lived descriptors: registered in the epoll set
 * once and kept there while they are listed, so the caller must leave one out of a wait before
 * closing it (a descriptor left out is unregistered at that wait). The others (an admin
 * connection, opened and closed at any time) are checked again at every wait. Returns the
 * number of ready descriptors, or -1 (logged).
 */
int br_sender_wait(struct br_sender *sender, struct curl_waitfd *extra, unsigned extra_count,
                   unsigned stable_count, int timeout_ms);
/* Hands libcurl what the last wait saw (and its timer when due), then calls done for each
 * finished transfer. */
void br_sender_perform(struct br_sender *sender, br_sender_done_fn done, void *opaque);

#endif
