/*
 * libFuzzer target: the admin listener's request handling end to end over loopback TCP, the
 * way a probe or an attacker reaches it: one br_admin (admin.c, conns.c, endpoints.c, http1.c)
 * on 127.0.0.1:0 with 2 connection slots and requests of at most 1024 bytes, driven by
 * br_admin_waitfds / br_admin_serve as the loop drives it.
 *
 * Input: 1 control byte, then the bytes a client sends.
 *   bits 0-2  chunk size: 0 all at once, else 1 << (bits - 1) bytes (1 to 64; at most 64
 *             chunks), the server serving after each chunk, so the head arrives in pieces
 *   bits 3-4  idle connections opened before the client (0-3), each sending one byte (the
 *             listener defers the accept of a connection until its first bytes): with 2 slots
 *             they make the listener close its oldest connections for new ones. With 3 of
 *             them, a head that stays incomplete with the write side open goes to a second
 *             listener whose timeouts are 5 ms (header) and 3 ms (idle): its deadlines close
 *             the connections
 *   bit 5     the client shuts its write side once it has sent everything
 *   bit 6     not ready: /readyz answers 503 with a reason, /metrics fails (500)
 *   bit 7     two clients send the same bytes, their chunks interleaved
 *
 * Checked for every client (a broken invariant aborts, saving the input):
 *   - the answer is the one a reference reading of the bytes predicts (below): the status, and
 *     no answer at all while the head is incomplete and under the limit;
 *   - a response is "HTTP/1.1 <status> <reason>\r\n", then headers with Content-Length equal to
 *     the body's length (0 bytes of body for HEAD) and Connection: close, then the body;
 *   - the connection always ends, and when every client is gone no connection is left open;
 *   - never more than 2 connections, never more descriptors than br_admin_waitfd_max;
 *   - br_admin_timeout_ms is -1 exactly when no connection is open, else at most the longer
 *     of the two timeouts.
 *
 * The reference reading: the head ends at the first "\n\n" or "\n\r\n" within the first 1024
 * bytes; without one, 1024 bytes or more are 431 and fewer get no answer. The request line
 * (the first line, without "\r") is METHOD SP TARGET SP "HTTP/1." one byte, method and target
 * not empty, else 400; a method other than GET or HEAD is 405; the path (the target up to its
 * '?') /healthz is 200, /readyz 200 or 503, /metrics 200 or 500, anything else 404.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "ops/admin.h"

#define MAX_REQUEST 1024
#define MAX_CONNECTIONS 2
#define MAX_CHUNKS 64
#define MAX_IDLE 3
#define RESPONSE_MAX 65536
#define INPUT_DEADLINE_MS 5000
#define QUICK_HEADER_TIMEOUT_MS 5
#define QUICK_IDLE_TIMEOUT_MS 3

static struct br_admin *admin; /* the one this input talks to: */
static struct br_admin *main_admin;  /* default timeouts (2 s, 1 s) */
static struct br_admin *quick_admin; /* 5 ms, 3 ms */
static int admin_longest_timeout_ms;
static bool not_ready;

struct client {
    int fd;
    char response[RESPONSE_MAX];
    size_t len;
    bool eof;
};

static struct client clients[2];
static int idle_fds[MAX_IDLE];

static void fuzz_fail(const char *what, const struct client *client)
{
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    if (client) {
        fprintf(stderr, "response (%zu bytes): [%.*s]\n", client->len,
                (int)(client->len > 2048 ? 2048 : client->len), client->response);
    }
    abort();
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool ready_cb(void *opaque, char *reason, size_t reason_size)
{
    (void)opaque;
    if (not_ready) {
        snprintf(reason, reason_size, "not ready:\r\n\tjoining group");
        return false;
    }
    return true;
}

static int metrics_cb(void *opaque, struct br_buf *out)
{
    (void)opaque;
    br_buf_append_str(out, "perscom_bridge_messages_total 7\n");
    return not_ready ? -1 : 0;
}

static struct br_admin *create(int header_timeout_ms, int idle_timeout_ms)
{
    struct br_admin_conf conf = {
        .listen = "127.0.0.1:0",
        .header_timeout_ms = header_timeout_ms,
        .idle_timeout_ms = idle_timeout_ms,
        .max_connections = MAX_CONNECTIONS,
        .max_request = MAX_REQUEST,
        .ready = ready_cb,
        .metrics = metrics_cb,
    };
    struct br_admin *created = NULL;
    char errstr[256];

    if (br_admin_create(&conf, &created, errstr, sizeof(errstr)) != BR_ADMIN_OK) {
        fprintf(stderr, "fuzz_admin: %s\n", errstr);
        abort();
    }
    return created;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    br_log_set_level(BR_LOG_ERROR); /* evictions and failing /metrics would log every run */
    main_admin = create(0, 0);
    quick_admin = create(QUICK_HEADER_TIMEOUT_MS, QUICK_IDLE_TIMEOUT_MS);
    return 0;
}

/*
 * A connected, non-blocking client socket (the listener's backlog completes the connect; the
 * wait for it survives libFuzzer's timer signals). Closing it sends a reset.
 */
static int connect_client(void)
{
    struct sockaddr_in addr;
    struct linger abortive = {.l_onoff = 1, .l_linger = 0};
    struct pollfd pfd;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    int err = 0;
    socklen_t err_len = sizeof(err);

    if (fd < 0) {
        perror("fuzz_admin: socket");
        abort();
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)br_admin_port(admin));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
        perror("fuzz_admin: connect");
        abort();
    }
    pfd.fd = fd;
    pfd.events = POLLOUT;
    while (poll(&pfd, 1, 1000) < 0 && errno == EINTR) {
        continue; /* a timer signal of libFuzzer's */
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0 ||
        !(pfd.revents & POLLOUT)) {
        fprintf(stderr, "fuzz_admin: connect: %s\n", strerror(err ? err : ETIMEDOUT));
        abort();
    }
    /* no TIME_WAIT on our side: a long run would run out of ports */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void check_limits(void)
{
    struct curl_waitfd fds[1 + MAX_CONNECTIONS + 1];
    int timeout = br_admin_timeout_ms(admin);

    if ((timeout == -1) != (br_admin_connections(admin) == 0) ||
        timeout > admin_longest_timeout_ms) {
        fprintf(stderr, "br_admin_timeout_ms %d with %zu connections\n", timeout,
                br_admin_connections(admin));
        fuzz_fail("br_admin_timeout_ms out of bounds", NULL);
    }
    if (br_admin_connections(admin) > MAX_CONNECTIONS) {
        fuzz_fail("more connections than max_connections", NULL);
    }
    if (br_admin_waitfds(admin, fds, sizeof(fds) / sizeof(fds[0])) >
        br_admin_waitfd_max(admin)) {
        fuzz_fail("more descriptors than br_admin_waitfd_max", NULL);
    }
}

/* Serves once, after waiting at most wait_ms for the admin's or the clients' descriptors. */
static void serve(int wait_ms, size_t client_count)
{
    struct curl_waitfd waitfds[1 + MAX_CONNECTIONS];
    struct pollfd fds[1 + MAX_CONNECTIONS + 2];
    size_t n = br_admin_waitfds(admin, waitfds, 1 + MAX_CONNECTIONS);
    size_t total = n;

    for (size_t i = 0; i < n; i++) {
        fds[i].fd = waitfds[i].fd;
        fds[i].events = (short)(((waitfds[i].events & CURL_WAIT_POLLIN) ? POLLIN : 0) |
                                ((waitfds[i].events & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
        fds[i].revents = 0;
    }
    for (size_t i = 0; i < client_count; i++) {
        if (!clients[i].eof) {
            fds[total].fd = clients[i].fd;
            fds[total].events = POLLIN;
            fds[total++].revents = 0;
        }
    }
    if (wait_ms > 0) {
        poll(fds, total, wait_ms);
    }
    br_admin_serve(admin);
    check_limits();
}

/* Reads what the server sent so far; true once it closed. */
static bool client_read(struct client *client)
{
    while (!client->eof) {
        char sink[4096];
        size_t room = RESPONSE_MAX - client->len;
        ssize_t n = recv(client->fd, room ? client->response + client->len : sink,
                         room ? room : sizeof(sink), MSG_DONTWAIT);

        if (n > 0) {
            if (!room) {
                fuzz_fail("response larger than 64 KiB", client);
            }
            client->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return false;
        }
        client->eof = true; /* closed (0) or reset */
    }
    return true;
}

static void client_send(struct client *client, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(client->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            serve(1, 0); /* the server's buffer is full: let it read */
            continue;
        }
        if (n < 0) {
            return; /* the server closed it (after a 431, say): the rest is not wanted */
        }
        data += n;
        len -= (size_t)n;
    }
}

/* ---- the reference reading ---------------------------------------------------------------- */

static bool equals(const uint8_t *data, size_t len, const char *text)
{
    return len == strlen(text) && memcmp(data, text, len) == 0;
}

/* The status the bytes call for, or 0 for no answer. */
static int expected_status(const uint8_t *data, size_t size)
{
    size_t seen = size < MAX_REQUEST ? size : MAX_REQUEST;
    size_t line_end = 0;
    size_t sp1 = 0;
    size_t sp2 = 0;
    size_t path_len;
    bool found = false;
    bool get;
    bool head;

    for (size_t i = 0; i + 1 < seen && !found; i++) {
        found = data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < seen &&
                                                             data[i + 2] == '\n'));
    }
    if (!found) {
        return size >= MAX_REQUEST ? 431 : 0;
    }
    while (data[line_end] != '\n') {
        line_end++;
    }
    if (line_end > 0 && data[line_end - 1] == '\r') {
        line_end--;
    }
    while (sp1 < line_end && data[sp1] != ' ') {
        sp1++;
    }
    sp2 = sp1 + 1;
    while (sp2 < line_end && data[sp2] != ' ') {
        sp2++;
    }
    if (sp1 == 0 || sp1 >= line_end || sp2 >= line_end || sp2 == sp1 + 1 ||
        line_end - (sp2 + 1) != 8 || memcmp(data + sp2 + 1, "HTTP/1.", 7) != 0) {
        return 400;
    }
    get = equals(data, sp1, "GET");
    head = equals(data, sp1, "HEAD");
    if (!get && !head) {
        return 405;
    }
    path_len = 0;
    while (sp1 + 1 + path_len < sp2 && data[sp1 + 1 + path_len] != '?') {
        path_len++;
    }
    if (equals(data + sp1 + 1, path_len, "/healthz")) {
        return 200;
    }
    if (equals(data + sp1 + 1, path_len, "/readyz")) {
        return not_ready ? 503 : 200;
    }
    if (equals(data + sp1 + 1, path_len, "/metrics")) {
        return not_ready ? 500 : 200;
    }
    return 404;
}

/* Whether the request line asks for HEAD (only meaningful when a route answered). */
static bool is_head(const uint8_t *data, size_t size)
{
    return size > 5 && memcmp(data, "HEAD ", 5) == 0;
}

static const char *find(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(data + i, needle, n) == 0) {
            return data + i;
        }
    }
    return NULL;
}

static void check_response(const struct client *client, int want, bool head)
{
    char status_line[64];
    const char *end;
    const char *length;
    size_t head_len;
    size_t body_len;
    unsigned long declared;

    if (want == 0) {
        if (client->len != 0) {
            fuzz_fail("an answer to an incomplete request", client);
        }
        return;
    }
    snprintf(status_line, sizeof(status_line), "HTTP/1.1 %d ", want);
    if (client->len < strlen(status_line) ||
        memcmp(client->response, status_line, strlen(status_line)) != 0) {
        fprintf(stderr, "want status %d\n", want);
        fuzz_fail("wrong status", client);
    }
    end = find(client->response, client->len, "\r\n\r\n");
    if (!end) {
        fuzz_fail("no end of the response's headers", client);
    }
    head_len = (size_t)(end + 2 - client->response); /* through the last header's line end */
    if (!find(client->response, head_len, "\r\nConnection: close\r\n")) {
        fuzz_fail("no Connection: close", client);
    }
    length = find(client->response, head_len, "\r\nContent-Length: ");
    if (!length) {
        fuzz_fail("no Content-Length", client);
    }
    declared = strtoul(length + strlen("\r\nContent-Length: "), NULL, 10);
    body_len = client->len - (size_t)(end + 4 - client->response);
    if (head ? body_len != 0 : body_len != declared) {
        fprintf(stderr, "Content-Length %lu, body %zu bytes, HEAD %d\n", declared, body_len, head);
        fuzz_fail("body and Content-Length disagree", client);
    }
}

/* ---- one input ---------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t control;
    size_t chunk;
    size_t idle;
    size_t client_count;
    bool shut;
    int want;
    int64_t deadline;

    if (size < 1) {
        return 0;
    }
    control = data[0];
    data++;
    size--;
    chunk = (control & 7) ? (size_t)1 << ((control & 7) - 1) : (size ? size : 1);
    if (chunk * MAX_CHUNKS < size) {
        chunk = (size + MAX_CHUNKS - 1) / MAX_CHUNKS;
    }
    idle = (control >> 3) & 3;
    shut = (control >> 5) & 1;
    not_ready = (control >> 6) & 1;
    client_count = (control >> 7) ? 2 : 1;
    want = expected_status(data, size);
    admin = want == 0 && !shut && idle == 3 ? quick_admin : main_admin;
    admin_longest_timeout_ms = admin == quick_admin ? QUICK_HEADER_TIMEOUT_MS : 2000;

    for (size_t i = 0; i < idle; i++) {
        idle_fds[i] = connect_client();
        if (send(idle_fds[i], "G", 1, MSG_NOSIGNAL) != 1) {
            perror("fuzz_admin: send");
            abort();
        }
        serve(0, 0);
    }
    for (size_t i = 0; i < client_count; i++) {
        clients[i].fd = connect_client();
        clients[i].len = 0;
        clients[i].eof = false;
        serve(0, 0);
    }
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;

        for (size_t i = 0; i < client_count; i++) {
            client_send(&clients[i], data + off, n);
            serve(0, client_count);
        }
    }
    for (size_t i = 0; i < client_count && shut; i++) {
        shutdown(clients[i].fd, SHUT_WR);
    }
    deadline = now_ms() + INPUT_DEADLINE_MS;
    for (size_t i = 0; i < client_count; i++) {
        if (want == 0 && !shut && admin == main_admin) {
            /* nothing will come before the header timeout: look once, then hang up */
            serve(0, client_count);
            client_read(&clients[i]);
            continue;
        }
        while (!client_read(&clients[i])) {
            if (now_ms() > deadline) {
                fuzz_fail("the connection did not end", &clients[i]);
            }
            serve(10, client_count);
        }
    }
    for (size_t i = 0; i < client_count; i++) {
        /* a malformed or oversized request is answered in full, whatever its method */
        check_response(&clients[i], want,
                       want != 400 && want != 431 && is_head(data, size));
        close(clients[i].fd);
    }
    for (size_t i = 0; i < idle; i++) {
        close(idle_fds[i]);
    }
    while (br_admin_connections(admin) > 0) {
        if (now_ms() > deadline) {
            fuzz_fail("connections left open after every client closed", NULL);
        }
        serve(10, 0);
    }
    return 0;
}
