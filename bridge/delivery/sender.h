#ifndef BR_SENDER_H
#define BR_SENDER_H
/*
 * libcurl multi: starts the requests of deliveries, waits for them (and for the loop's other
 * descriptors) in curl_multi_poll, and reports each finished transfer. HTTP/1.1 with kept-alive
 * connections; redirects are not followed.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "delivery/lanes.h"

struct br_sender;

struct br_transfer_result {
    bool transport_ok;  /* the exchange completed; http_status is valid */
    long http_status;
    char error[CURL_ERROR_SIZE]; /* curl's message when !transport_ok */
    char retry_after[64];        /* the response's Retry-After value, or empty */
    double seconds;     /* total time of the request */
};

typedef void (*br_sender_done_fn)(void *opaque, struct br_delivery *delivery,
                                  const struct br_transfer_result *result);

/* max_connections: idle kept-alive connections to keep (at least the requests in flight). */
struct br_sender *br_sender_create(long max_connections, char *errstr, size_t errstr_size);
/* Cancels whatever is in flight (the deliveries stay with their lanes). */
void br_sender_destroy(struct br_sender *sender);

/* Starts delivery's request; timeout_ms bounds the whole request. Returns 0 or -1 with a message. */
int br_sender_start(struct br_sender *sender, struct br_delivery *delivery, long timeout_ms,
                    char *errstr, size_t errstr_size);
/* Abandons delivery's transfer, if any; its done callback will not be called. */
void br_sender_cancel(struct br_sender *sender, struct br_delivery *delivery);
size_t br_sender_in_flight(const struct br_sender *sender);

/* Waits up to timeout_ms for transfer activity or one of extra's descriptors. */
int br_sender_wait(struct br_sender *sender, struct curl_waitfd *extra, unsigned extra_count,
                   int timeout_ms);
/* Drives transfers and calls done for each finished one. */
void br_sender_perform(struct br_sender *sender, br_sender_done_fn done, void *opaque);

#endif
