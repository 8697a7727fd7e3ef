#include "cmd/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "perscom/catalog.h"

int br_probe_pick_event(const struct br_conf_hook *hook, const char *requested, char *out,
                        size_t out_size, char *errstr, size_t errstr_size)
{
    char name[64];

    if (requested) {
        bool known = false;
        for (size_t r = 0; r < BR_RESOURCE_COUNT && !known; r++) {
            for (int a = 0; a < BR_ACTION_COUNT && !known; a++) {
                br_catalog_event_name(br_catalog_resource(r), (enum br_action)a, name,
                                      sizeof(name));
                known = strcmp(name, requested) == 0;
            }
        }
        if (!known) {
            snprintf(errstr, errstr_size, "--event %s is not an event name (such as "
                     "rankrecord.created)", requested);
            return -1;
        }
        for (size_t i = 0; i < hook->event_count; i++) {
            if (br_catalog_pattern_matches(hook->events[i], requested)) {
                snprintf(out, out_size, "%s", requested);
                return 0;
            }
        }
        snprintf(errstr, errstr_size, "hook %s does not subscribe to %s", hook->name, requested);
        return -1;
    }
    for (size_t r = 0; hook->event_count > 0 && r < BR_RESOURCE_COUNT; r++) {
        for (int a = 0; a < BR_ACTION_COUNT; a++) {
            br_catalog_event_name(br_catalog_resource(r), (enum br_action)a, name, sizeof(name));
            if (br_catalog_pattern_matches(hook->events[0], name)) {
                snprintf(out, out_size, "%s", name);
                return 0;
            }
        }
    }
    snprintf(errstr, errstr_size, "hook %s subscribes to no event", hook->name);
    return -1;
}

enum br_probe_class br_probe_classify(const struct br_transfer_result *result)
{
    if (result->transport_ok) {
        if (result->http_status >= 200 && result->http_status <= 299) {
            return BR_PROBE_OK;
        }
        if (result->http_status >= 400 && result->http_status <= 499) {
            return BR_PROBE_HTTP_4XX;
        }
        if (result->http_status >= 500 && result->http_status <= 599) {
            return BR_PROBE_HTTP_5XX;
        }
        return BR_PROBE_OTHER;
    }
    if (result->egress_refused) {
        return BR_PROBE_EGRESS;
    }
    switch ((CURLcode)result->curl_code) {
    case CURLE_COULDNT_CONNECT:
        return BR_PROBE_REFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return BR_PROBE_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
        return BR_PROBE_DNS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return BR_PROBE_TLS;
    default:
        return BR_PROBE_OTHER;
    }
}

static const struct {
    const char *name;
    int exit_code;
} classes[] = {
    [BR_PROBE_OK] = {"ok", 0},
    [BR_PROBE_REFUSED] = {"refused", 10},
    [BR_PROBE_TIMEOUT] = {"timeout", 11},
    [BR_PROBE_TLS] = {"tls", 12},
    [BR_PROBE_HTTP_4XX] = {"http-4xx", 13},
    [BR_PROBE_HTTP_5XX] = {"http-5xx", 14},
    [BR_PROBE_DNS] = {"dns", 15},
    [BR_PROBE_OTHER] = {"other", 16},
    [BR_PROBE_EGRESS] = {"egress", 17},
};

const char *br_probe_class_name(enum br_probe_class class_)
{
    return (unsigned)class_ < sizeof(classes) / sizeof(classes[0]) ? classes[class_].name
                                                                     : "other";
}

int br_probe_exit_code(enum br_probe_class class_)
{
    return (unsigned)class_ < sizeof(classes) / sizeof(classes[0]) ? classes[class_].exit_code
                                                                     : 16;
}

/* "1.234 ms", or "-" when the phase did not happen (0). */
static void phase(int64_t us, char *out, size_t out_size)
{
    if (us <= 0) {
        snprintf(out, out_size, "-");
    } else {
        snprintf(out, out_size, "%" PRId64 ".%03" PRId64 " ms", us / 1000, us % 1000);
    }
}

void br_probe_format_timings(const struct br_transfer_result *result, char *out, size_t out_size)
{
    char dns[32];
    char conn[32];
    char tls[32];
    char first[32];
    char total[32];

    phase(result->dns_us, dns, sizeof(dns));
    phase(result->connect_us, conn, sizeof(conn));
    phase(result->tls_us, tls, sizeof(tls));
    phase(result->first_byte_us, first, sizeof(first));
    phase(result->total_us, total, sizeof(total));
    snprintf(out, out_size, "dns %s, connect %s, tls %s, first byte %s, total %s", dns, conn,
             tls, first, total);
}
