#include "delivery/sender.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"

#define CAPTURE_HEADERS_MAX (16u * 1024u)

/* One transfer: an easy handle bound to a delivery while in flight, pooled when idle. */
struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    struct br_delivery *delivery;
    char error[CURL_ERROR_SIZE];
    char retry_after[64];
    struct br_buf *capture_headers; /* NULL unless the sender captures */
    struct br_buf *capture_body;
    size_t body_total;
    struct transfer *next_idle;
    struct transfer *prev_active; /* the in-flight list */
    struct transfer *next_active;
};

struct br_sender {
    CURLM *multi;
    struct transfer *idle;
    struct transfer *active;
    size_t in_flight;
    size_t capture_body_max; /* 0: responses are not kept */
};

struct br_sender *br_sender_create(long max_connections, char *errstr, size_t errstr_size)
{
    struct br_sender *sender = calloc(1, sizeof(*sender));

    if (!sender) {
        abort();
    }
    sender->multi = curl_multi_init();
    if (!sender->multi) {
        snprintf(errstr, errstr_size, "curl_multi_init failed");
        free(sender);
        return NULL;
    }
    /* HTTP/1.1 connections are reused, never multiplexed. */
    curl_multi_setopt(sender->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    /* libcurl's default cache follows the transfers added at the moment (4 per transfer) and
     * closes connections when few are in flight; keep one per possible transfer instead. */
    curl_multi_setopt(sender->multi, CURLMOPT_MAXCONNECTS, max_connections);
    return sender;
}

static void capture_free(struct br_buf *buf)
{
    if (buf) {
        br_buf_finish(buf);
        free(buf);
    }
}

static void transfer_free(struct transfer *transfer)
{
    capture_free(transfer->capture_headers);
    capture_free(transfer->capture_body);
    curl_easy_cleanup(transfer->easy);
    curl_slist_free_all(transfer->headers);
    free(transfer);
}

static void transfer_release(struct br_sender *sender, struct transfer *transfer)
{
    curl_multi_remove_handle(sender->multi, transfer->easy);
    if (transfer->prev_active) {
        transfer->prev_active->next_active = transfer->next_active;
    } else {
        sender->active = transfer->next_active;
    }
    if (transfer->next_active) {
        transfer->next_active->prev_active = transfer->prev_active;
    }
    transfer->prev_active = NULL;
    transfer->next_active = NULL;
    curl_slist_free_all(transfer->headers);
    transfer->headers = NULL;
    if (transfer->delivery) {
        transfer->delivery->transfer = NULL;
        transfer->delivery = NULL;
    }
    sender->in_flight--;
    transfer->next_idle = sender->idle;
    sender->idle = transfer;
}

void br_sender_destroy(struct br_sender *sender)
{
    if (!sender) {
        return;
    }
    while (sender->active) {
        transfer_release(sender, sender->active);
    }
    while (sender->idle) {
        struct transfer *transfer = sender->idle;
        sender->idle = transfer->next_idle;
        transfer_free(transfer);
    }
    curl_multi_cleanup(sender->multi);
    free(sender);
}

void br_sender_capture(struct br_sender *sender, size_t body_max)
{
    sender->capture_body_max = body_max;
}

/* Receivers' answers are not kept (only the status counts) unless the sender captures. */
static size_t take_body(char *data, size_t size, size_t count, void *opaque)
{
    struct transfer *transfer = opaque;
    size_t len = size * count;

    transfer->body_total += len;
    if (transfer->capture_body && transfer->capture_body->len < transfer->capture_body->limit) {
        size_t room = transfer->capture_body->limit - transfer->capture_body->len;
        br_buf_append(transfer->capture_body, data, len < room ? len : room);
    }
    return len;
}

/* Keeps the Retry-After header of the final response; every other header is ignored. */
static size_t keep_retry_after(char *line, size_t size, size_t count, void *opaque)
{
    struct transfer *transfer = opaque;
    size_t len = size * count;
    static const char name[] = "retry-after:";

    if (transfer->capture_headers) {
        if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
            br_buf_reset(transfer->capture_headers); /* keep the final response's only */
        }
        br_buf_append(transfer->capture_headers, line, len);
    }

    if (len > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
        const char *value = line + sizeof(name) - 1;
        size_t value_len = len - (sizeof(name) - 1);
        while (value_len > 0 && (*value == ' ' || *value == '\t')) {
            value++;
            value_len--;
        }
        while (value_len > 0 && (value[value_len - 1] == '\r' || value[value_len - 1] == '\n' ||
                                 value[value_len - 1] == ' ')) {
            value_len--;
        }
        if (value_len >= sizeof(transfer->retry_after)) {
            value_len = sizeof(transfer->retry_after) - 1;
        }
        memcpy(transfer->retry_after, value, value_len);
        transfer->retry_after[value_len] = '\0';
    } else if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        transfer->retry_after[0] = '\0'; /* a new response (after 1xx): forget the old one */
    }
    return len;
}

static struct transfer *transfer_take(struct br_sender *sender)
{
    struct transfer *transfer = sender->idle;

    if (transfer) {
        sender->idle = transfer->next_idle;
        curl_easy_reset(transfer->easy);
        transfer->next_idle = NULL;
        return transfer;
    }
    transfer = calloc(1, sizeof(*transfer));
    if (!transfer) {
        abort();
    }
    transfer->easy = curl_easy_init();
    if (!transfer->easy) {
        abort();
    }
    return transfer;
}

/* Appends "name: value", whole, however long the configured value is. */
static struct curl_slist *append_header(struct curl_slist *list, const char *name,
                                        const char *value)
{
    size_t name_len = strlen(name);
    size_t value_len = strlen(value);
    char *line = malloc(name_len + value_len + 3);
    struct curl_slist *grown;

    if (!line) {
        abort();
    }
    memcpy(line, name, name_len);
    memcpy(line + name_len, ": ", 2);
    memcpy(line + name_len + 2, value, value_len + 1);
    grown = curl_slist_append(list, line);
    free(line);
    if (!grown) {
        abort();
    }
    return grown;
}

int br_sender_start(struct br_sender *sender, struct br_delivery *delivery, long timeout_ms,
                    char *errstr, size_t errstr_size)
{
    const struct br_request *request = &delivery->request;
    const struct br_conf_hook *hook = request->hook;
    struct transfer *transfer = transfer_take(sender);
    CURL *easy = transfer->easy;
    CURLMcode mcode;

    transfer->headers = append_header(NULL, "Content-Type", "application/json");
    transfer->headers = append_header(transfer->headers, "Signature", request->signature);
    for (size_t i = 0; i < hook->header_count; i++) {
        transfer->headers =
            append_header(transfer->headers, hook->headers[i].key, hook->headers[i].value);
    }
    /* No "Expect: 100-continue" round trip before larger bodies. */
    transfer->headers = curl_slist_append(transfer->headers, "Expect:");
    transfer->error[0] = '\0';
    transfer->retry_after[0] = '\0';
    transfer->body_total = 0;
    if (sender->capture_body_max > 0 && !transfer->capture_headers) {
        transfer->capture_headers = calloc(1, sizeof(*transfer->capture_headers));
        transfer->capture_body = calloc(1, sizeof(*transfer->capture_body));
        if (!transfer->capture_headers || !transfer->capture_body) {
            abort();
        }
        br_buf_init(transfer->capture_headers, CAPTURE_HEADERS_MAX);
        br_buf_init(transfer->capture_body, sender->capture_body_max);
    }
    if (transfer->capture_headers) {
        br_buf_reset(transfer->capture_headers);
        br_buf_reset(transfer->capture_body);
    }

    curl_easy_setopt(easy, CURLOPT_URL, request->url);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, br_request_user_agent());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* TLS 1.2 is the floor whatever the library's default; delivery.tls_min_version raises it */
    curl_easy_setopt(easy, CURLOPT_SSLVERSION,
                     hook->tls_min == BR_TLS_1_3 ? (long)CURL_SSLVERSION_TLSv1_3
                                                 : (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, take_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, keep_retry_after);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)transfer);
    if (request->method == BR_METHOD_POST) {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request->body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_len);
    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }

    mcode = curl_multi_add_handle(sender->multi, easy);
    if (mcode != CURLM_OK) {
        snprintf(errstr, errstr_size, "curl_multi_add_handle: %s", curl_multi_strerror(mcode));
        curl_slist_free_all(transfer->headers);
        transfer->headers = NULL;
        transfer->next_idle = sender->idle;
        sender->idle = transfer;
        return -1;
    }
    transfer->delivery = delivery;
    delivery->transfer = transfer;
    transfer->next_active = sender->active;
    if (sender->active) {
        sender->active->prev_active = transfer;
    }
    sender->active = transfer;
    sender->in_flight++;
    return 0;
}

void br_sender_cancel(struct br_sender *sender, struct br_delivery *delivery)
{
    if (delivery->transfer) {
        transfer_release(sender, delivery->transfer);
    }
}

size_t br_sender_in_flight(const struct br_sender *sender)
{
    return sender->in_flight;
}

int br_sender_wait(struct br_sender *sender, struct curl_waitfd *extra, unsigned extra_count,
                   int timeout_ms)
{
    int ready = 0;
    CURLMcode mcode = curl_multi_poll(sender->multi, extra, extra_count, timeout_ms, &ready);

    if (mcode != CURLM_OK) {
        br_log_error("sender", "curl_multi_poll: %s", curl_multi_strerror(mcode));
        return -1;
    }
    return ready;
}

/* A phase's time in microseconds from the start of the request, 0 when curl has none. */
static int64_t time_of(CURL *easy, CURLINFO info)
{
    curl_off_t us = 0;

    return curl_easy_getinfo(easy, info, &us) == CURLE_OK ? (int64_t)us : 0;
}

static void timings(CURL *easy, struct br_transfer_result *result)
{
    result->dns_us = time_of(easy, CURLINFO_NAMELOOKUP_TIME_T);
    result->connect_us = time_of(easy, CURLINFO_CONNECT_TIME_T);
    result->tls_us = time_of(easy, CURLINFO_APPCONNECT_TIME_T);
    result->first_byte_us = time_of(easy, CURLINFO_STARTTRANSFER_TIME_T);
    result->total_us = time_of(easy, CURLINFO_TOTAL_TIME_T);
}

void br_sender_perform(struct br_sender *sender, br_sender_done_fn done, void *opaque)
{
    int running = 0;
    int queued = 0;
    CURLMsg *msg;

    curl_multi_perform(sender->multi, &running);
    while ((msg = curl_multi_info_read(sender->multi, &queued)) != NULL) {
        struct transfer *transfer = NULL;
        struct br_transfer_result result;
        struct br_delivery *delivery;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&transfer);
        memset(&result, 0, sizeof(result));
        result.transport_ok = msg->data.result == CURLE_OK;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &result.http_status);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME, &result.seconds);
        result.curl_code = (int)msg->data.result;
        timings(msg->easy_handle, &result);
        if (transfer->capture_headers) {
            result.headers = transfer->capture_headers->data ? transfer->capture_headers->data
                                                             : "";
            result.headers_len = transfer->capture_headers->len;
            result.body = transfer->capture_body->data ? transfer->capture_body->data : "";
            result.body_len = transfer->capture_body->len;
        }
        result.body_total = transfer->body_total;
        if (!result.transport_ok) {
            snprintf(result.error, sizeof(result.error), "%s",
                     transfer->error[0] ? transfer->error : curl_easy_strerror(msg->data.result));
        }
        memcpy(result.retry_after, transfer->retry_after, sizeof(result.retry_after));
        delivery = transfer->delivery;
        transfer_release(sender, transfer);
        if (delivery) {
            done(opaque, delivery, &result);
        }
    }
}
