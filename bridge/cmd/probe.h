#ifndef BR_PROBE_H
#define BR_PROBE_H
/*
 * The pure parts of the test-hook command: which event a hook is tested with, and what the
 * outcome of the one request was, as a class with its own exit code.
 */
#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "delivery/sender.h"

/*
 * The event to send hook: requested (a full event name such as "rankrecord.created", which one
 * of the hook's patterns must match), or with requested NULL the first event, in catalog order,
 * that the hook's first pattern matches. Returns 0 with the name in out, or -1 with a message.
 */
int br_probe_pick_event(const struct br_conf_hook *hook, const char *requested, char *out,
                        size_t out_size, char *errstr, size_t errstr_size);

enum br_probe_class {
    BR_PROBE_OK,       /* 2xx */
    BR_PROBE_REFUSED,  /* could not connect: refused, no route */
    BR_PROBE_TIMEOUT,  /* the hook's timeout_ms passed */
    BR_PROBE_TLS,      /* handshake or certificate verification failed */
    BR_PROBE_HTTP_4XX, /* the receiver answered 4xx */
    BR_PROBE_HTTP_5XX, /* the receiver answered 5xx */
    BR_PROBE_DNS,      /* the host name did not resolve */
    BR_PROBE_OTHER,    /* anything else: reset, 1xx or 3xx (redirects are not followed), ... */
    BR_PROBE_EGRESS    /* the outbound request guard refused every address of the hook */
};

/* The class of one finished transfer (transport_ok, http_status and curl_code are read). */
enum br_probe_class br_probe_classify(const struct br_transfer_result *result);
/* "ok", "refused", "timeout", "tls", "http-4xx", "http-5xx", "dns", "other", "egress". */
const char *br_probe_class_name(enum br_probe_class class_);
/* 0 for ok, 10 refused, 11 timeout, 12 tls, 13 http-4xx, 14 http-5xx, 15 dns, 16 other,
 * 17 egress. */
int br_probe_exit_code(enum br_probe_class class_);

/* Writes "dns 0.012 ms, connect 0.310 ms, tls -, first byte 2.004 ms, total 2.100 ms". */
void br_probe_format_timings(const struct br_transfer_result *result, char *out, size_t out_size);

#endif
