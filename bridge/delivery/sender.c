#include "delivery/sender.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/crypto.h>

#include "config/tlsfiles.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/log.h"
#include "delivery/waitset.h"

#define CAPTURE_HEADERS_MAX (16u * 1024u)

/*
 * The header lines that change per request, in the transfer: a node each, linked in front of
 * the hook's own lines (hook_state.headers), so that starting a request allocates nothing.
 */
enum { LINE_CONTENT_TYPE, LINE_SIGNATURE, LINE_WEBHOOK_ID, LINE_WEBHOOK_TIMESTAMP,
       LINE_WEBHOOK_SIGNATURE, LINE_COUNT };

/* One transfer: an easy handle bound to a delivery while in flight, pooled when idle. */
struct transfer {
    CURL *easy;
    struct curl_slist nodes[LINE_COUNT]; /* CURLOPT_HTTPHEADER: nodes[0] on, then the hook's */
    char signature_line[sizeof("Signature: ") + BR_SIGN_HEX_LEN];
    char id_line[sizeof("webhook-id: ") + 128];
    char timestamp_line[sizeof("webhook-timestamp: ") + 24];
    char standard_line[sizeof("webhook-signature: ") + BR_REQUEST_STANDARD_MAX];
    struct br_delivery *delivery;
    char error[CURL_ERROR_SIZE];
    char retry_after[64];
    struct br_buf *capture_headers; /* NULL unless the sender captures */
    struct br_buf *capture_body;
    size_t body_total;
    struct br_sender *sender;          /* its guard */
    const struct br_conf_hook *hook;   /* the request's, for the guard */
    unsigned opened;                   /* sockets opened by this request */
    unsigned refused;                  /* addresses the guard refused */
    bool refused_reused;               /* the guard refused the connection it was to reuse */
    char refusal[CURL_ERROR_SIZE];     /* the last refusal's reason */
    /* The hook version whose constant options the easy handle carries (set at its first
     * request, kept over the next ones: no curl_easy_reset and no setting them again), with the
     * TLS files' generation they were set from; NULL: none (a fresh or reset handle). */
    const struct br_conf_hook *configured;
    unsigned configured_tls;
    char *url; /* owned: the URL last set, NULL: none */
    CURLU *parsed; /* owned: url parsed, given as CURLOPT_CURLU (NULL until the first) */
    struct transfer *next_idle;
    struct transfer *prev_active; /* the in-flight list */
    struct transfer *next_active;
};

/* What the sender keeps per hook: its TLS files, loaded and watched, and its header lines.
 * Found by the hook. */
struct hook_state {
    const struct br_conf_hook *hook;
    struct br_tlsfiles files;
    /* owned (scrubbed when freed: Authorization): the lines that are the same in every request
     * of the hook, made at its first request: Authorization, the hook's headers, "Expect:" */
    struct curl_slist *headers;
};

/*
 * libcurl's socket interface drives the transfers: the sender watches the sockets libcurl
 * names in one epoll set, kept from wait to wait (waitset.h), and tells libcurl which are
 * ready (curl_multi_socket_action); a wait is one epoll_wait, with no descriptor to hand over.
 */
struct br_sender {
    CURLM *multi;
    struct br_waitset *waitset; /* libcurl's sockets and the caller's descriptors */
    int64_t timer_ms;       /* libcurl's timer, monotonic ms; -1: none */
    struct transfer *idle;
    struct transfer *active;
    size_t in_flight;
    struct hook_state *hooks; /* grown as hooks are first seen */
    size_t hook_count;
    size_t hook_cap;
    size_t capture_body_max; /* 0: responses are not kept */
    bool env_proxy;          /* a proxy variable is set in the environment (libcurl reads it) */
    br_sender_guard_fn guard; /* or NULL */
    void *guard_opaque;
};

static int64_t monotonic_ms(void);

/* CURLMOPT_SOCKETFUNCTION: what to watch on fd from now on. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *opaque, void *socket_opaque)
{
    struct br_sender *sender = opaque;

    (void)easy;
    (void)socket_opaque;
    br_waitset_curl(sender->waitset, fd, what);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT). */
static int on_timer(CURLM *multi, long timeout_ms, void *opaque)
{
    struct br_sender *sender = opaque;

    (void)multi;
    sender->timer_ms = timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
    return 0;
}

struct br_sender *br_sender_create(long max_connections, char *errstr, size_t errstr_size)
{
    struct br_sender *sender = calloc(1, sizeof(*sender));

    if (!sender) {
        abort();
    }
    sender->waitset = br_waitset_create(errstr, errstr_size);
    if (!sender->waitset) {
        free(sender);
        return NULL;
    }
    sender->multi = curl_multi_init();
    if (!sender->multi) {
        snprintf(errstr, errstr_size, "curl_multi_init failed");
        br_waitset_destroy(sender->waitset);
        free(sender);
        return NULL;
    }
    /* HTTP/1.1 connections are reused, never multiplexed. */
    curl_multi_setopt(sender->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    /* libcurl's default cache follows the transfers added at the moment (4 per transfer) and
     * closes connections when few are in flight; keep one per possible transfer instead. */
    curl_multi_setopt(sender->multi, CURLMOPT_MAXCONNECTS, max_connections);
    sender->timer_ms = -1;
    {
        static const char *const names[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                            "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (getenv(names[i])) {
                sender->env_proxy = true;
            }
        }
    }
    curl_multi_setopt(sender->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(sender->multi, CURLMOPT_SOCKETDATA, sender);
    curl_multi_setopt(sender->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(sender->multi, CURLMOPT_TIMERDATA, sender);
    return sender;
}

static void capture_free(struct br_buf *buf)
{
    if (buf) {
        br_buf_finish(buf);
        free(buf);
    }
}

/* The header lines may carry credentials (Authorization): scrubbed before they are freed. */
static void free_headers(struct curl_slist *headers)
{
    for (struct curl_slist *item = headers; item; item = item->next) {
        OPENSSL_cleanse(item->data, strlen(item->data));
    }
    curl_slist_free_all(headers);
}

static void transfer_free(struct transfer *transfer)
{
    capture_free(transfer->capture_headers);
    capture_free(transfer->capture_body);
    curl_easy_cleanup(transfer->easy);
    curl_url_cleanup(transfer->parsed);
    free(transfer->url);
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
    curl_multi_cleanup(sender->multi); /* closes the connections: close_socket */
    br_waitset_destroy(sender->waitset);
    for (size_t i = 0; i < sender->hook_count; i++) {
        br_tlsfiles_finish(&sender->hooks[i].files);
        free_headers(sender->hooks[i].headers);
    }
    free(sender->hooks);
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

/* Back to a handle without options (curl_easy_reset), as a new one. */
static void unconfigure(struct transfer *transfer)
{
    curl_easy_reset(transfer->easy);
    transfer->configured = NULL;
    free(transfer->url);
    transfer->url = NULL;
}

/*
 * An idle transfer for hook: one whose handle already carries the options of hook's version and
 * TLS generation if there is one, else any (reset: its options are set again), else a new one.
 */
static struct transfer *transfer_take(struct br_sender *sender, const struct br_conf_hook *hook,
                                      unsigned tls_generation)
{
    struct transfer **link = &sender->idle;
    struct transfer *transfer;

    for (transfer = sender->idle; transfer; transfer = transfer->next_idle) {
        if (transfer->configured == hook && transfer->configured_tls == tls_generation) {
            break;
        }
        link = &transfer->next_idle;
    }
    if (!transfer && sender->idle) {
        link = &sender->idle;
        transfer = sender->idle;
        unconfigure(transfer);
    }
    if (transfer) {
        *link = transfer->next_idle;
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

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static struct hook_state *hook_state(struct br_sender *sender, const struct br_conf_hook *hook)
{
    for (size_t i = 0; i < sender->hook_count; i++) {
        if (sender->hooks[i].hook == hook) {
            return &sender->hooks[i];
        }
    }
    if (sender->hook_count == sender->hook_cap) {
        size_t cap = sender->hook_cap ? sender->hook_cap * 2 : 8;
        struct hook_state *grown = realloc(sender->hooks, cap * sizeof(*grown));

        if (!grown) {
            abort();
        }
        sender->hooks = grown;
        sender->hook_cap = cap;
    }
    struct hook_state *state = &sender->hooks[sender->hook_count++];
    state->hook = hook;
    state->headers = NULL;
    br_tlsfiles_init(&state->files, hook->tls_ca_file, hook->tls_cert_file, hook->tls_key_file);
    return state;
}

void br_sender_forget_hook(struct br_sender *sender, const struct br_conf_hook *hook)
{
    /* a later hook at the same address must not find this one's options on a handle */
    for (struct transfer *transfer = sender ? sender->idle : NULL; transfer;
         transfer = transfer->next_idle) {
        if (transfer->configured == hook) {
            unconfigure(transfer);
        }
    }
    for (size_t i = 0; sender && i < sender->hook_count; i++) {
        if (sender->hooks[i].hook == hook) {
            br_tlsfiles_finish(&sender->hooks[i].files);
            free_headers(sender->hooks[i].headers); /* the version's lines go with it */
            sender->hooks[i] = sender->hooks[--sender->hook_count];
            return;
        }
    }
}

/*
 * The hook's TLS files, loaded at its first request and looked at again every few seconds: a
 * certificate rotated on disk is used from the next new connection on (see tlsfiles.h). Returns
 * 0, or -1 with a message when none could ever be loaded.
 */
static int refresh_tls(struct hook_state *state, char *errstr, size_t errstr_size)
{
    char why[512];
    bool first = state->files.generation == 0;

    switch (br_tlsfiles_refresh(&state->files, monotonic_ms(), why, sizeof(why))) {
    case BR_TLSFILES_UNCHANGED:
        return 0;
    case BR_TLSFILES_LOADED:
        if (first) {
            br_log_debug("sender", "hook %s: TLS files loaded", state->hook->name);
        } else {
            br_log_info("sender", "hook %s: TLS files changed on disk, reloaded (new "
                        "connections use them)", state->hook->name);
        }
        return 0;
    case BR_TLSFILES_KEPT:
        br_log_warn("sender", "hook %s: TLS files changed on disk but cannot be used, keeping "
                    "the previous ones: %s", state->hook->name, why);
        return 0;
    case BR_TLSFILES_FAILED:
        break;
    }
    snprintf(errstr, errstr_size, "TLS files: %s", why);
    return -1;
}

/* libcurl copies a blob (CURL_BLOB_COPY) and compares it when it looks for a connection to
 * reuse: a changed file never rides on a connection made with the old one. */
static void set_blob(CURL *easy, CURLoption option, char *data, size_t len)
{
    struct curl_blob blob = {data, len, CURL_BLOB_COPY};

    curl_easy_setopt(easy, option, &blob);
}

static void set_tls(CURL *easy, const struct br_conf_hook *hook, struct hook_state *state)
{
    const struct br_tlsfiles *files = &state->files;

    /* verification is always on; there is no way to turn it off */
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    /* TLS 1.2 is the floor whatever the library's default; tls.min_version or
     * delivery.tls_min_version raises it */
    curl_easy_setopt(easy, CURLOPT_SSLVERSION,
                     hook->tls_min == BR_TLS_1_3 ? (long)CURL_SSLVERSION_TLSv1_3
                                                 : (long)CURL_SSLVERSION_TLSv1_2);
    if (!files->loaded) {
        return;
    }
    if (files->data[BR_TLSFILE_CA]) {
        /* tls.ca_file is the only trust: neither the system bundle nor its directory */
        curl_easy_setopt(easy, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
        set_blob(easy, CURLOPT_CAINFO_BLOB, files->data[BR_TLSFILE_CA],
                 files->lens[BR_TLSFILE_CA]);
    }
    if (files->data[BR_TLSFILE_CERT] && files->data[BR_TLSFILE_KEY]) {
        curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
        set_blob(easy, CURLOPT_SSLCERT_BLOB, files->data[BR_TLSFILE_CERT],
                 files->lens[BR_TLSFILE_CERT]);
        curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
        set_blob(easy, CURLOPT_SSLKEY_BLOB, files->data[BR_TLSFILE_KEY],
                 files->lens[BR_TLSFILE_KEY]);
    }
}

/* "Authorization: Bearer <token>" or "Basic <base64 of user:password>". */
static struct curl_slist *append_auth(struct curl_slist *list, const struct br_conf_hook *hook)
{
    if (hook->auth == BR_AUTH_BEARER) {
        size_t len = strlen("Bearer ") + strlen(hook->auth_bearer) + 1;
        char *value = malloc(len);
        struct curl_slist *grown;

        if (!value) {
            abort();
        }
        snprintf(value, len, "Bearer %s", hook->auth_bearer);
        grown = append_header(list, "Authorization", value);
        OPENSSL_cleanse(value, len);
        free(value);
        return grown;
    }
    if (hook->auth == BR_AUTH_BASIC) {
        size_t user_len = strlen(hook->auth_username);
        size_t pass_len = strlen(hook->auth_password);
        size_t plain_len = user_len + 1 + pass_len;
        size_t value_len = strlen("Basic ") + BR_BASE64_LEN(plain_len) + 1;
        char *plain = malloc(plain_len);
        char *value = malloc(value_len);
        struct curl_slist *grown;

        if (!plain || !value) {
            abort();
        }
        memcpy(plain, hook->auth_username, user_len);
        plain[user_len] = ':';
        memcpy(plain + user_len + 1, hook->auth_password, pass_len);
        memcpy(value, "Basic ", 6);
        br_base64_encode(plain, plain_len, value + 6, value_len - 6);
        grown = append_header(list, "Authorization", value);
        OPENSSL_cleanse(plain, plain_len);
        OPENSSL_cleanse(value, value_len);
        free(plain);
        free(value);
        return grown;
    }
    return list;
}

/* "name: value" into line (of line_size bytes, enough for both), linked after *tail. */
static void put_line(struct curl_slist *node, char *line, size_t line_size, const char *name,
                     const char *value, struct curl_slist **tail)
{
    size_t name_len = strlen(name);
    size_t value_len = strlen(value);

    /* by hand, not snprintf: once per request (value cut to what line holds, as before) */
    if (name_len + 2 >= line_size) {
        name_len = line_size - 3;
    }
    if (value_len > line_size - name_len - 3) {
        value_len = line_size - name_len - 3;
    }
    memcpy(line, name, name_len);
    line[name_len] = ':';
    line[name_len + 1] = ' ';
    memcpy(line + name_len + 2, value, value_len);
    line[name_len + 2 + value_len] = '\0';
    node->data = line;
    node->next = NULL;
    (*tail)->next = node;
    *tail = node;
}

/*
 * The request's header lines: Content-Type, the signature lines of the hook's mode (Standard
 * Webhooks' signed now), then the hook's own lines. Returns 0 or -1 with a message.
 */
static int link_headers(struct transfer *transfer, const struct br_request *request,
                        struct curl_slist *hook_lines, char *errstr, size_t errstr_size)
{
    enum br_signature_mode mode = request->hook->signature;
    struct curl_slist *tail = &transfer->nodes[LINE_CONTENT_TYPE];

    tail->data = (char *)"Content-Type: application/json";
    tail->next = NULL;
    if (mode != BR_SIGNATURE_STANDARD) {
        put_line(&transfer->nodes[LINE_SIGNATURE], transfer->signature_line,
                 sizeof(transfer->signature_line), "Signature", request->signature, &tail);
    }
    if (mode != BR_SIGNATURE_PERSCOM) {
        /* the time of this attempt: receivers refuse a timestamp outside their tolerance
         * (5 minutes in the reference libraries), and a retry may come much later */
        int64_t timestamp = (int64_t)time(NULL);
        char signature[BR_REQUEST_STANDARD_MAX];
        char seconds[24];

        if (br_request_sign_standard(request, timestamp, signature, errstr, errstr_size) != 0) {
            return -1;
        }
        snprintf(seconds, sizeof(seconds), "%lld", (long long)timestamp);
        put_line(&transfer->nodes[LINE_WEBHOOK_ID], transfer->id_line, sizeof(transfer->id_line),
                 "webhook-id", request->webhook_id, &tail);
        put_line(&transfer->nodes[LINE_WEBHOOK_TIMESTAMP], transfer->timestamp_line,
                 sizeof(transfer->timestamp_line), "webhook-timestamp", seconds, &tail);
        put_line(&transfer->nodes[LINE_WEBHOOK_SIGNATURE], transfer->standard_line,
                 sizeof(transfer->standard_line), "webhook-signature", signature, &tail);
    }
    tail->next = hook_lines;
    return 0;
}

/* The lines every request of hook carries after its signatures; made once per hook. */
static struct curl_slist *hook_lines(const struct br_conf_hook *hook)
{
    struct curl_slist *list = append_auth(NULL, hook);

    for (size_t i = 0; i < hook->header_count; i++) {
        list = append_header(list, hook->headers[i].key, hook->headers[i].value);
    }
    /* No "Expect: 100-continue" round trip before larger bodies. */
    list = curl_slist_append(list, "Expect:");
    if (!list) {
        abort();
    }
    return list;
}

static void set_proxy(CURL *easy, const struct br_conf_hook *hook, bool env_proxy)
{
    /* without proxy, libcurl reads https_proxy, http_proxy, all_proxy and no_proxy itself, on
     * every request; when none is set at all (looked at once, br_sender_create), "no proxy" is
     * said outright and libcurl reads nothing */
    if (hook->proxy) {
        curl_easy_setopt(easy, CURLOPT_PROXY, hook->proxy);
    } else if (!env_proxy) {
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
    }
    if (hook->no_proxy) {
        curl_easy_setopt(easy, CURLOPT_NOPROXY, hook->no_proxy);
    } else if (!hook->proxy && !env_proxy) {
        curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
    }
    /* the hook's headers (Signature, Authorization, ...) go to the receiver only, never in the
     * CONNECT request to a proxy */
    curl_easy_setopt(easy, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE);
}

void br_sender_guard(struct br_sender *sender, br_sender_guard_fn guard, void *opaque)
{
    sender->guard = guard;
    sender->guard_opaque = opaque;
}

/* CURLOPT_OPENSOCKETFUNCTION: every connection of a transfer, to the address actually used. */
static curl_socket_t open_socket(void *opaque, curlsocktype purpose,
                                 struct curl_sockaddr *address)
{
    struct transfer *transfer = opaque;
    struct br_sender *sender = transfer->sender;
    curl_socket_t fd;

    (void)purpose;
    if (sender->guard &&
        sender->guard(sender->guard_opaque, transfer->hook, &address->addr, address->addrlen,
                      transfer->refusal, sizeof(transfer->refusal)) != 0) {
        transfer->refused++;
        br_log_debug("sender", "%s: %s", transfer->hook ? transfer->hook->name : "-",
                     transfer->refusal);
        return CURL_SOCKET_BAD;
    }
    fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd >= 0) {
        transfer->opened++;
        br_waitset_opened(sender->waitset, fd);
    }
    return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: a socket of open_socket leaves the epoll set, then closes. */
static int close_socket(void *opaque, curl_socket_t fd)
{
    struct br_sender *sender = opaque;

    br_waitset_closing(sender->waitset, fd);
    return close(fd);
}

/*
 * CURLOPT_PREREQFUNCTION: before each request, on a new connection or a kept-alive one. A
 * connection opened for another hook (one with allow_private) is reused only if this hook may
 * reach its address too.
 */
static int before_request(void *opaque, char *primary_ip, char *local_ip, int primary_port,
                          int local_port)
{
    struct transfer *transfer = opaque;
    struct br_sender *sender = transfer->sender;
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    int verdict;

    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (!sender->guard) {
        return CURL_PREREQFUNC_OK;
    }
    if (inet_pton(AF_INET, primary_ip, &in.sin_addr) == 1) {
        verdict = sender->guard(sender->guard_opaque, transfer->hook, (struct sockaddr *)&in,
                                sizeof(in), transfer->refusal, sizeof(transfer->refusal));
    } else if (inet_pton(AF_INET6, primary_ip, &in6.sin6_addr) == 1) {
        verdict = sender->guard(sender->guard_opaque, transfer->hook, (struct sockaddr *)&in6,
                                sizeof(in6), transfer->refusal, sizeof(transfer->refusal));
    } else {
        snprintf(transfer->refusal, sizeof(transfer->refusal),
                 "egress refused: connected to '%.64s', not an IP address", primary_ip);
        verdict = -1;
    }
    if (verdict != 0) {
        transfer->refused++;
        transfer->refused_reused = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/*
 * The options that are the same in every request of hook's version (and its TLS files'
 * generation), set on a fresh or reset handle; the request's own (URL, body, timeouts) are set
 * by br_sender_start. The header list is the transfer's own nodes, relinked per request.
 */
static void configure(struct br_sender *sender, struct transfer *transfer,
                      const struct br_conf_hook *hook, struct hook_state *state)
{
    CURL *easy = transfer->easy;

    if (transfer->configured) {
        unconfigure(transfer); /* another hook's, or older TLS files */
    }
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, &transfer->nodes[LINE_CONTENT_TYPE]);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, br_request_user_agent());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    set_tls(easy, hook, state);
    set_proxy(easy, hook, sender->env_proxy);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, take_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, keep_retry_after);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)transfer);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, transfer);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, sender);
    curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, before_request);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, transfer);
    transfer->configured = hook;
    transfer->configured_tls = state->files.generation;
}

/*
 * The request's URL, parsed once here and handed over as CURLOPT_CURLU (libcurl parses a
 * CURLOPT_URL again for every transfer); a URL that does not parse is set as it is, and the
 * transfer fails with libcurl's own message, as before.
 */
static void set_url(struct transfer *transfer, const char *url)
{
    free(transfer->url);
    transfer->url = strdup(url);
    if (!transfer->url) {
        abort();
    }
    if (!transfer->parsed) {
        transfer->parsed = curl_url();
        if (!transfer->parsed) {
            abort();
        }
    }
    /* the flags libcurl parses a CURLOPT_URL with */
    if (curl_url_set(transfer->parsed, CURLUPART_URL, url,
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        curl_easy_setopt(transfer->easy, CURLOPT_URL, NULL);
        curl_easy_setopt(transfer->easy, CURLOPT_CURLU, transfer->parsed);
    } else {
        curl_easy_setopt(transfer->easy, CURLOPT_CURLU, NULL);
        curl_easy_setopt(transfer->easy, CURLOPT_URL, url);
    }
}

static void give_back(struct br_sender *sender, struct transfer *transfer)
{
    transfer->next_idle = sender->idle;
    sender->idle = transfer;
}

int br_sender_start(struct br_sender *sender, struct br_delivery *delivery, long timeout_ms,
                    char *errstr, size_t errstr_size)
{
    const struct br_request *request = &delivery->request;
    const struct br_conf_hook *hook = request->hook;
    struct hook_state *state = hook_state(sender, hook);
    struct transfer *transfer;
    CURL *easy;
    CURLMcode mcode;

    if (br_tlsfiles_configured(&state->files) && refresh_tls(state, errstr, errstr_size) != 0) {
        return -1;
    }
    if (!state->headers) {
        state->headers = hook_lines(hook);
    }
    transfer = transfer_take(sender, hook, state->files.generation);
    easy = transfer->easy;
    if (link_headers(transfer, request, state->headers, errstr, errstr_size) != 0) {
        give_back(sender, transfer);
        return -1;
    }
    transfer->error[0] = '\0';
    transfer->retry_after[0] = '\0';
    transfer->body_total = 0;
    transfer->sender = sender;
    transfer->hook = hook;
    transfer->opened = 0;
    transfer->refused = 0;
    transfer->refused_reused = false;
    transfer->refusal[0] = '\0';
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

    if (transfer->configured != hook || transfer->configured_tls != state->files.generation) {
        configure(sender, transfer, hook, state);
    }
    if (!transfer->url || strcmp(transfer->url, request->url) != 0) {
        /* a POST hook's URL is the same in every request: set once per handle */
        set_url(transfer, request->url);
    }
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
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
        give_back(sender, transfer);
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
                   unsigned stable_count, int timeout_ms)
{
    if (sender->timer_ms >= 0) {
        int64_t due = sender->timer_ms - monotonic_ms();

        if (due < timeout_ms) {
            timeout_ms = due < 0 ? 0 : (int)due;
        }
    }
    return br_waitset_wait(sender->waitset, extra, extra_count, stable_count, timeout_ms);
}

/* Hands libcurl the sockets br_sender_wait found ready, and its timer when it is due. */
static void drive(struct br_sender *sender)
{
    int running = 0;
    int fd;
    int mask;

    while (br_waitset_next_ready(sender->waitset, &fd, &mask)) {
        curl_multi_socket_action(sender->multi, fd, mask, &running);
    }
    if (sender->timer_ms >= 0 && sender->timer_ms <= monotonic_ms()) {
        sender->timer_ms = -1; /* libcurl sets it again (on_timer) when it wants */
        curl_multi_socket_action(sender->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
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
    int queued = 0;
    CURLMsg *msg;

    drive(sender);
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
        if (!result.transport_ok && (transfer->refused_reused ||
                                     (transfer->refused > 0 && transfer->opened == 0))) {
            result.egress_refused = true;
            snprintf(result.error, sizeof(result.error), "%s", transfer->refusal);
        } else if (!result.transport_ok) {
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
