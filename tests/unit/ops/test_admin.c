#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ops/admin.h"
#include "core/buf.h"
#include "ops/metrics.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DRIVE_LIMIT_MS 3000

/* What the callbacks answer; each test sets it. */
struct probe_state {
    bool ready;
    const char *reason;
    int metrics_rc;
    const char *metrics_body;
    struct br_metrics *metrics; /* when set, rendered instead of metrics_body */
    int ready_calls;
    int metrics_calls;
};

static bool ready_cb(void *opaque, char *reason, size_t reason_size)
{
    struct probe_state *probe = opaque;

    probe->ready_calls++;
    if (!probe->ready) {
        snprintf(reason, reason_size, "%s", probe->reason);
    }
    return probe->ready;
}

static int metrics_cb(void *opaque, struct br_buf *out)
{
    struct probe_state *probe = opaque;

    probe->metrics_calls++;
    if (probe->metrics) {
        return br_metrics_render(probe->metrics, out);
    }
    br_buf_append_str(out, probe->metrics_body);
    return probe->metrics_rc;
}

struct client {
    int fd;
    char data[256 * 1024];
    size_t len;
    bool eof;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* conf with the callbacks set to probe's; fails the test when the admin cannot start */
static struct br_admin *start_conf(struct probe_state *probe, struct br_admin_conf conf)
{
    struct br_admin *admin = NULL;
    char errstr[256] = "";

    conf.ready = ready_cb;
    conf.metrics = metrics_cb;
    conf.opaque = probe;
    if (br_admin_create(&conf, &admin, errstr, sizeof(errstr)) != BR_ADMIN_OK) {
        fail_msg("br_admin_create(%s): %s", conf.listen, errstr);
    }
    assert_true(br_admin_port(admin) > 0);
    return admin;
}

static struct br_admin *start(struct probe_state *probe, const char *listen, int idle_timeout_ms,
                              size_t max_request)
{
    struct br_admin_conf conf = {
        .listen = listen,
        .idle_timeout_ms = idle_timeout_ms,
        .max_request = max_request,
    };

    return start_conf(probe, conf);
}

/* A plain blocking connect (the listener's backlog completes it), then non-blocking reads. */
static int connect_to(int family, int port)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int fd = socket(family, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&addr, 0, sizeof(addr));
    if (family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        in6->sin6_addr = in6addr_loopback;
        len = sizeof(*in6);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;

        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*in);
    }
    if (connect(fd, (struct sockaddr *)&addr, len) != 0) {
        fail_msg("connect to port %d: %s", port, strerror(errno));
    }
    return fd;
}

static void client_send(struct client *client, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(client->fd, data, len, MSG_NOSIGNAL);

        if (n <= 0) {
            fail_msg("send: %s", strerror(errno));
        }
        data += n;
        len -= (size_t)n;
    }
}

static void client_open(struct client *client, int family, int port)
{
    client->fd = connect_to(family, port);
    client->len = 0;
    client->eof = false;
}

static void client_read(struct client *client)
{
    while (!client->eof) {
        ssize_t n = recv(client->fd, client->data + client->len,
                         sizeof(client->data) - 1 - client->len, MSG_DONTWAIT);

        if (n > 0) {
            client->len += (size_t)n;
            client->data[client->len] = '\0';
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        client->eof = true; /* closed or reset: close ours too, as an HTTP client would */
        close(client->fd);
        client->fd = -1;
    }
}

/*
 * Drives the admin the way the loop does (wait on its descriptors, then serve) until every client
 * saw the end of its connection or until_ms passes. Checks the connection cap (max_open) on the
 * way. Returns true when all clients are done.
 */
static bool drive_max(struct br_admin *admin, struct client *clients, size_t count,
                      int64_t until_ms, size_t max_open)
{
    size_t max = br_admin_waitfd_max(admin);
    struct curl_waitfd *waitfds = calloc(max, sizeof(*waitfds));
    struct pollfd *fds = calloc(max + count, sizeof(*fds));
    bool done = false;

    assert_non_null(waitfds);
    assert_non_null(fds);
    while (!done && now_ms() < until_ms) {
        size_t n = br_admin_waitfds(admin, waitfds, max);
        int timeout = br_admin_timeout_ms(admin);

        assert_true(n <= max);
        for (size_t i = 0; i < n; i++) {
            fds[i].fd = waitfds[i].fd;
            fds[i].events = (short)(((waitfds[i].events & CURL_WAIT_POLLIN) ? POLLIN : 0) |
                                    ((waitfds[i].events & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
            fds[i].revents = 0;
        }
        for (size_t i = 0; i < count; i++) {
            fds[n + i].fd = clients[i].eof ? -1 : clients[i].fd;
            fds[n + i].events = POLLIN;
            fds[n + i].revents = 0;
        }
        if (timeout < 0 || timeout > 50) {
            timeout = 50;
        }
        poll(fds, n + count, timeout);
        br_admin_serve(admin);
        assert_true(br_admin_connections(admin) <= max_open);
        done = true;
        for (size_t i = 0; i < count; i++) {
            client_read(&clients[i]);
            done = done && clients[i].eof;
        }
    }
    free(waitfds);
    free(fds);
    return done;
}

static bool drive(struct br_admin *admin, struct client *clients, size_t count, int64_t until_ms)
{
    return drive_max(admin, clients, count, until_ms, 32);
}

static void client_close(struct client *client)
{
    if (client->fd >= 0) {
        close(client->fd);
    }
    client->fd = -1;
}

/* Serves until every connection is closed (clients closed theirs); fails after a second. */
static void settle(struct br_admin *admin)
{
    int64_t until = now_ms() + 1000;

    while (br_admin_connections(admin) > 0 && now_ms() < until) {
        usleep(1000);
        br_admin_serve(admin);
    }
    assert_int_equal(br_admin_connections(admin), 0);
}

/* One request on a new connection; the response is left in client->data. */
static void exchange_max(struct br_admin *admin, struct client *client, const char *request,
                         size_t max_open)
{
    client_open(client, AF_INET, br_admin_port(admin));
    client_send(client, request, strlen(request));
    if (!drive_max(admin, client, 1, now_ms() + DRIVE_LIMIT_MS, max_open)) {
        fail_msg("no complete response to [%s]; got [%s]", request, client->data);
    }
    client_close(client);
}

static void exchange(struct br_admin *admin, struct client *client, const char *request)
{
    exchange_max(admin, client, request, 32);
    settle(admin);
}

static const char *body_of(const char *response)
{
    const char *end = strstr(response, "\r\n\r\n");

    return end ? end + 4 : NULL;
}

static void test_healthz_exact(void **state)
{
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;

    int64_t started = now_ms();

    /* The response ends with the server's FIN at once, not after its 1 s linger. */
    exchange(admin, &client, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_true(now_ms() - started < 500);
    assert_string_equal(client.data, "HTTP/1.1 200 OK\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Content-Length: 3\r\n"
                                     "Cache-Control: no-store\r\n"
                                     "Connection: close\r\n"
                                     "\r\n"
                                     "ok\n");
    assert_int_equal(br_admin_connections(admin), 0);
    assert_int_equal(probe.ready_calls, 0);
    br_admin_destroy(admin);
}

static void test_routes(void **state)
{
    static const struct {
        const char *request;
        bool ready;
        int metrics_rc;
        const char *status_line;
        const char *header; /* a header line the response must have, or NULL */
        const char *body;
    } cases[] = {
        {"GET /healthz HTTP/1.1\r\n\r\n", false, 0, "HTTP/1.1 200 OK", NULL, "ok\n"},
        {"GET /healthz?verbose=1 HTTP/1.0\r\nUser-Agent: kube-probe/1.29\r\n\r\n", true, 0,
         "HTTP/1.1 200 OK", NULL, "ok\n"},
        {"GET /healthz HTTP/1.1\n\n", true, 0, "HTTP/1.1 200 OK", NULL, "ok\n"},
        {"GET /readyz HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 200 OK",
         "Content-Type: text/plain; charset=utf-8", "ok\n"},
        {"GET /readyz HTTP/1.1\r\n\r\n", false, 0, "HTTP/1.1 503 Service Unavailable",
         "Content-Length: 38", "no partition assigned (joining group)\n"},
        {"GET /metrics HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 200 OK",
         "Content-Type: text/plain; version=0.0.4; charset=utf-8", "a_metric 1\n"},
        {"GET /metrics HTTP/1.1\r\n\r\n", true, -1, "HTTP/1.1 500 Internal Server Error", NULL,
         "metrics unavailable\n"},
        {"HEAD /healthz HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 200 OK", "Content-Length: 3", ""},
        {"GET / HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 404 Not Found", NULL, "not found\n"},
        {"GET /healthz/ HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 404 Not Found", NULL,
         "not found\n"},
        {"GET /HEALTHZ HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 404 Not Found", NULL, "not found\n"},
        {"GET /metricsx HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 404 Not Found", NULL,
         "not found\n"},
        {"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", true, 0,
         "HTTP/1.1 405 Method Not Allowed", "Allow: GET, HEAD", "method not allowed\n"},
        {"DELETE /nothing HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 405 Method Not Allowed", NULL,
         "method not allowed\n"},
        {"get /healthz HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 405 Method Not Allowed", NULL,
         "method not allowed\n"},
        {"GET /healthz\r\n\r\n", true, 0, "HTTP/1.1 400 Bad Request", NULL, "bad request\n"},
        {"GET /healthz SMTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 400 Bad Request", NULL,
         "bad request\n"},
        {"garbage\r\n\r\n", true, 0, "HTTP/1.1 400 Bad Request", NULL, "bad request\n"},
        {" /healthz HTTP/1.1\r\n\r\n", true, 0, "HTTP/1.1 400 Bad Request", NULL,
         "bad request\n"},
    };
    struct probe_state probe = {.reason = "no partition assigned\n(joining\tgroup)",
                                .metrics_body = "a_metric 1\n"};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;

    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *body;
        char header[160];

        probe.ready = cases[i].ready;
        probe.metrics_rc = cases[i].metrics_rc;
        exchange(admin, &client, cases[i].request);
        if (strncmp(client.data, cases[i].status_line, strlen(cases[i].status_line)) != 0 ||
            strncmp(client.data + strlen(cases[i].status_line), "\r\n", 2) != 0) {
            fail_msg("case %zu: got [%s], want status line [%s]", i, client.data,
                     cases[i].status_line);
        }
        snprintf(header, sizeof(header), "\r\n%s\r\n", cases[i].header ? cases[i].header
                                                                       : "Connection: close");
        if (!strstr(client.data, header)) {
            fail_msg("case %zu: no header [%s] in [%s]", i, cases[i].header, client.data);
        }
        body = body_of(client.data);
        if (!body || strcmp(body, cases[i].body) != 0) {
            fail_msg("case %zu: body [%s], want [%s]", i, body ? body : "(none)", cases[i].body);
        }
    }
    assert_int_equal(br_admin_connections(admin), 0);
    br_admin_destroy(admin);
}

/* The reason of a 503 is one line, even when the callback writes a longer, multi-line one. */
static void test_readyz_reason(void **state)
{
    static char long_reason[1000];
    struct probe_state probe = {.ready = false, .reason = long_reason};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;
    const char *body;

    memset(long_reason, 'x', sizeof(long_reason) - 1);
    long_reason[10] = '\n';
    long_reason[20] = '\r';
    exchange(admin, &client, "GET /readyz HTTP/1.1\r\n\r\n");
    body = body_of(client.data);
    assert_non_null(body);
    assert_int_equal(strchr(body, '\n') - body, strlen(body) - 1);
    assert_null(strchr(body, '\r'));
    assert_true(strlen(body) > 100);

    probe.reason = "";
    exchange(admin, &client, "GET /readyz HTTP/1.1\r\n\r\n");
    assert_string_equal(body_of(client.data), "not ready\n");
    assert_int_equal(probe.ready_calls, 2);
    br_admin_destroy(admin);
}

/* /metrics serves what br_metrics renders, byte for byte. */
static void test_metrics_body(void **state)
{
    static const char *const hooks[] = {"audit", "crm \"eu\""};
    struct probe_state probe = {.ready = true, .metrics = br_metrics_create(hooks, 2)};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;
    struct br_buf want;
    char length[64];

    br_metrics_add(probe.metrics, BR_METRIC_MESSAGES, 12);
    br_metrics_delivery(probe.metrics, 1, BR_METRIC_DEAD_LETTERED);
    br_metrics_observe_latency(probe.metrics, 0, 0.3);
    br_buf_init(&want, 0);
    assert_int_equal(br_metrics_render(probe.metrics, &want), 0);

    exchange(admin, &client, "GET /metrics HTTP/1.1\r\nAccept: text/plain\r\n\r\n");
    assert_non_null(body_of(client.data));
    assert_string_equal(body_of(client.data), want.data);
    snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n", want.len);
    assert_non_null(strstr(client.data, length));
    assert_non_null(strstr(client.data, "crm \\\"eu\\\""));
    assert_int_equal(probe.metrics_calls, 1);

    br_buf_finish(&want);
    br_admin_destroy(admin);
    br_metrics_destroy(probe.metrics);
}

/* A request that arrives in pieces is answered once it is whole. */
static void test_request_in_pieces(void **state)
{
    static const char *const pieces[] = {"GE", "T /rea", "dyz HTTP/1.1\r", "\nHost: a\r\n", "\r",
                                         "\n"};
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;

    client_open(&client, AF_INET, br_admin_port(admin));
    for (size_t i = 0; i < COUNT(pieces); i++) {
        client_send(&client, pieces[i], strlen(pieces[i]));
        drive(admin, &client, 1, now_ms() + 30);
        if (i + 1 < COUNT(pieces)) {
            assert_int_equal(client.len, 0);
            assert_false(client.eof);
        }
    }
    assert_true(drive(admin, &client, 1, now_ms() + DRIVE_LIMIT_MS));
    assert_non_null(strstr(client.data, "HTTP/1.1 200 OK\r\n"));
    assert_int_equal(probe.ready_calls, 1);
    client_close(&client);
    br_admin_destroy(admin);
}

/* Request line and headers fill max_request exactly: served; one byte more: 431. */
static void test_request_limit(void **state)
{
    static const struct {
        size_t size;
        bool terminated; /* ends with the blank line */
        const char *status_line;
    } cases[] = {
        {256, true, "HTTP/1.1 200 OK\r\n"},
        {257, true, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
        {256, false, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
        {20000, false, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
    };
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 256);
    static struct client client;
    static char request[20001];

    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t prefix = strlen("GET /healthz HTTP/1.1\r\nX-Pad: ");

        memcpy(request, "GET /healthz HTTP/1.1\r\nX-Pad: ", prefix);
        memset(request + prefix, 'p', cases[i].size - prefix);
        if (cases[i].terminated) {
            memcpy(request + cases[i].size - 4, "\r\n\r\n", 4);
        }
        request[cases[i].size] = '\0';
        exchange(admin, &client, request);
        if (strncmp(client.data, cases[i].status_line, strlen(cases[i].status_line)) != 0) {
            fail_msg("case %zu (%zu bytes): got [%.80s]", i, cases[i].size, client.data);
        }
    }
    assert_int_equal(br_admin_connections(admin), 0);
    br_admin_destroy(admin);
}

/*
 * More clients than connections: every one is answered, never more than 32 open at once (a
 * connection whose response is sent gives way to a new one). The clients connect before anything
 * is accepted, so they must fit the listen backlog of 64.
 */
static void test_many_connections(void **state)
{
    enum { CLIENTS = 60 };
    static struct client clients[CLIENTS];
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);

    for (size_t i = 0; i < CLIENTS; i++) {
        const char *request = i % 2 ? "GET /healthz HTTP/1.1\r\n\r\n"
                                    : "GET /readyz HTTP/1.1\r\n\r\n";

        client_open(&clients[i], AF_INET, br_admin_port(admin));
        client_send(&clients[i], request, strlen(request));
    }
    /* First serve: at most max_connections accepts per call, the listener still watched. */
    br_admin_serve(admin);
    assert_int_equal(br_admin_connections(admin), 32);
    {
        struct curl_waitfd fds[40];
        size_t n = br_admin_waitfds(admin, fds, COUNT(fds));

        assert_int_equal(n, 33);
        for (size_t i = 0; i < n; i++) {
            assert_int_not_equal(fds[i].events, 0);
        }
    }
    assert_true(drive(admin, clients, CLIENTS, now_ms() + 5000));
    for (size_t i = 0; i < CLIENTS; i++) {
        if (strcmp(clients[i].data, "") == 0 || !strstr(clients[i].data, "200 OK\r\n") ||
            strcmp(body_of(clients[i].data), "ok\n") != 0) {
            fail_msg("client %zu: [%s]", i, clients[i].data);
        }
        client_close(&clients[i]);
    }
    assert_int_equal(probe.ready_calls, CLIENTS / 2);
    br_admin_destroy(admin);
}

/*
 * A client that sends too little of its request is closed after the idle timeout, not before.
 * (One that sends nothing at all is not accepted yet: test_silent_client_not_accepted.)
 */
static void test_idle_timeout(void **state)
{
    static const char *const sends[] = {"G", "GET /healthz HTTP/1.1\r\n"};
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 100, 0);
    static struct client client;

    for (size_t i = 0; i < COUNT(sends); i++) {
        int64_t started = now_ms();
        int64_t elapsed;
        int timeout;

        client_open(&client, AF_INET, br_admin_port(admin));
        client_send(&client, sends[i], strlen(sends[i]));
        assert_int_equal(br_admin_timeout_ms(admin), -1);
        br_admin_serve(admin);
        assert_int_equal(br_admin_connections(admin), 1);
        timeout = br_admin_timeout_ms(admin);
        assert_true(timeout > 50 && timeout <= 100);
        assert_true(drive(admin, &client, 1, started + DRIVE_LIMIT_MS));
        elapsed = now_ms() - started;
        if (elapsed < 95 || elapsed > 1000) {
            fail_msg("case %zu: closed after %lld ms, want about 100", i, (long long)elapsed);
        }
        assert_int_equal(client.len, 0); /* closed without a response */
        assert_int_equal(br_admin_connections(admin), 0);
        client_close(&client);
    }
    br_admin_destroy(admin);
}

/*
 * A client that connects and sends nothing stays with the kernel (TCP_DEFER_ACCEPT): no
 * connection, no descriptor, no deadline of ours; once its request comes it is accepted and
 * answered at once, whole, by the same serve.
 */
static void test_silent_client_not_accepted(void **state)
{
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 100, 0);
    static struct client client;
    int64_t until;

    client_open(&client, AF_INET, br_admin_port(admin));
    until = now_ms() + 300; /* three idle timeouts, well under the kernel's 1 s */
    while (now_ms() < until) {
        usleep(5000);
        br_admin_serve(admin);
        assert_int_equal(br_admin_connections(admin), 0);
        assert_int_equal(br_admin_timeout_ms(admin), -1);
    }
    client_send(&client, "GET /healthz HTTP/1.1\r\n\r\n", 26);
    for (int tries = 0; tries < 1000 && client.len == 0; tries++) {
        usleep(1000);
        br_admin_serve(admin);
        client_read(&client);
    }
    assert_non_null(strstr(client.data, "HTTP/1.1 200 OK\r\n"));
    client_close(&client);
    settle(admin);
    br_admin_destroy(admin);
}

/*
 * All connections taken by slow clients (a few bytes, then one byte now and then, or nothing
 * more): a probe is still accepted and answered at once, and the oldest of them is closed for it
 * (no response), the others stay open.
 */
static void test_full_house_gives_way(void **state)
{
    enum { MAX = 4, ROUNDS = 3 };
    static struct client hogs[MAX + ROUNDS];
    static struct client probe_client;
    struct br_admin_conf conf = {.listen = "127.0.0.1:0", .max_connections = MAX,
                                 .header_timeout_ms = 10000, .idle_timeout_ms = 10000};
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start_conf(&probe, conf);

    for (size_t round = 0; round < ROUNDS; round++) {
        int64_t started;

        /* fill every free slot with a hog, one at a time so that accepts follow the clients */
        for (size_t i = round; i < round + MAX; i++) {
            if (hogs[i].fd > 0) {
                continue;
            }
            client_open(&hogs[i], AF_INET, br_admin_port(admin));
            /* slow, or idle after its first byte (without one it would not be accepted) */
            client_send(&hogs[i], "GET /hea", i % 2 ? 8 : 1);
            for (int tries = 0; tries < 100 && br_admin_connections(admin) < i - round + 1;
                 tries++) {
                usleep(1000);
                br_admin_serve(admin);
            }
            assert_int_equal(br_admin_connections(admin), i - round + 1);
        }
        if (round == 0) {
            struct curl_waitfd fds[MAX + 1];

            /* full, yet the listener is among the descriptors to wait on */
            assert_int_equal(br_admin_waitfds(admin, fds, COUNT(fds)), MAX + 1);
        }
        started = now_ms();
        exchange_max(admin, &probe_client, "GET /healthz HTTP/1.1\r\n\r\n", MAX);
        assert_true(now_ms() - started < 500);
        assert_non_null(strstr(probe_client.data, "HTTP/1.1 200 OK\r\n"));
        /* the oldest hog was closed without a word, the others are open */
        client_read(&hogs[round]);
        if (!hogs[round].eof || hogs[round].len != 0) {
            fail_msg("round %zu: hog %zu: eof %d, %zu bytes", round, round, hogs[round].eof,
                     hogs[round].len);
        }
        for (size_t i = round + 1; i < round + MAX; i++) {
            client_read(&hogs[i]);
            if (hogs[i].eof) {
                fail_msg("round %zu: hog %zu closed too", round, i);
            }
        }
        /* the probe's connection ends once the probe has closed its end */
        for (int tries = 0; tries < 100 && br_admin_connections(admin) > MAX - 1; tries++) {
            usleep(1000);
            br_admin_serve(admin);
        }
        assert_int_equal(br_admin_connections(admin), MAX - 1);
    }
    for (size_t i = 0; i < MAX + ROUNDS; i++) {
        client_close(&hogs[i]);
    }
    br_admin_destroy(admin);
}

/*
 * A client that trickles its request head a byte at a time is never idle long enough for the
 * idle timeout, but is closed when the header timeout (from the accept) runs out.
 */
static void test_header_timeout(void **state)
{
    static const char head[] = "GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    struct br_admin_conf conf = {.listen = "127.0.0.1:0", .header_timeout_ms = 400,
                                 .idle_timeout_ms = 200};
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start_conf(&probe, conf);
    static struct client client;
    int64_t started = now_ms();
    int64_t elapsed;
    size_t sent = 0;

    client_open(&client, AF_INET, br_admin_port(admin));
    while (!client.eof && now_ms() - started < DRIVE_LIMIT_MS) {
        if (sent < strlen(head)) {
            client_send(&client, head + sent, 1);
            sent++;
        }
        drive(admin, &client, 1, now_ms() + 30);
    }
    elapsed = now_ms() - started;
    if (!client.eof || elapsed < 390 || elapsed > 900) {
        fail_msg("closed: %d after %lld ms, want about 400", client.eof, (long long)elapsed);
    }
    assert_int_equal(client.len, 0);
    if (sent < 5) { /* it did trickle, each byte well within the idle timeout */
        fail_msg("sent %zu bytes in %lld ms", sent, (long long)elapsed);
    }
    assert_int_equal(br_admin_connections(admin), 0);
    br_admin_destroy(admin);
}

/* A client that takes nothing of a response too big for the socket buffers is closed. */
static void test_write_idle_timeout(void **state)
{
    enum { BODY = 8 * 1024 * 1024 };
    static char body[BODY + 1];
    struct br_admin_conf conf = {.listen = "127.0.0.1:0", .idle_timeout_ms = 150};
    struct probe_state probe = {.ready = true, .metrics_body = body};
    struct br_admin *admin = start_conf(&probe, conf);
    static struct client client;
    int small = 4096;
    int64_t started;
    int64_t closed_at = 0;

    memset(body, 'm', BODY);
    client_open(&client, AF_INET, br_admin_port(admin));
    assert_int_equal(setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    client_send(&client, "GET /metrics HTTP/1.1\r\n\r\n", 25);
    started = now_ms();
    while (now_ms() - started < DRIVE_LIMIT_MS) {
        usleep(5000);
        br_admin_serve(admin);
        if (br_admin_connections(admin) == 0) {
            closed_at = now_ms();
            break;
        }
    }
    if (closed_at == 0 || closed_at - started < 140 || closed_at - started > 1000) {
        fail_msg("closed after %lld ms, want about 150", (long long)(closed_at - started));
    }
    client_close(&client);
    br_admin_destroy(admin);
}

/* A client that goes away before its request is whole frees its slot at once. */
static void test_client_gone(void **state)
{
    struct probe_state probe = {.ready = true};
    struct br_admin *admin = start(&probe, "127.0.0.1:0", 0, 0);
    static struct client client;

    client_open(&client, AF_INET, br_admin_port(admin));
    client_send(&client, "GET /hea", 8);
    br_admin_serve(admin);
    assert_int_equal(br_admin_connections(admin), 1);
    client_close(&client);
    for (int i = 0; i < 100 && br_admin_connections(admin) > 0; i++) {
        usleep(1000);
        br_admin_serve(admin);
    }
    assert_int_equal(br_admin_connections(admin), 0);
    br_admin_destroy(admin);
}

static void test_listen_errors(void **state)
{
    static const struct {
        const char *listen;
        enum br_admin_err want;
        const char *message; /* must appear in errstr */
    } cases[] = {
        {"", BR_ADMIN_ERR_ARG, "no address"},
        {"9400", BR_ADMIN_ERR_ADDRESS, "admin.listen \"9400\": expected host:port"},
        {"127.0.0.1", BR_ADMIN_ERR_ADDRESS, "expected host:port"},
        {"127.0.0.1:", BR_ADMIN_ERR_ADDRESS, "the port must be a number 0-65535"},
        {"127.0.0.1:65536", BR_ADMIN_ERR_ADDRESS, "the port must be a number 0-65535"},
        {"127.0.0.1:123456", BR_ADMIN_ERR_ADDRESS, "the port must be a number 0-65535"},
        {"127.0.0.1:http", BR_ADMIN_ERR_ADDRESS, "the port must be a number 0-65535"},
        {"127.0.0.1:-1", BR_ADMIN_ERR_ADDRESS, "the port must be a number 0-65535"},
        {"::1:9400", BR_ADMIN_ERR_ADDRESS, "an IPv6 address goes in brackets"},
        {"[::1:9400", BR_ADMIN_ERR_ADDRESS, "an IPv6 address goes in brackets"},
        /* brackets hold an IPv6 literal, nothing else (and never cause a DNS query) */
        {"[1.2.3.4]:0", BR_ADMIN_ERR_ADDRESS, "admin.listen \"[1.2.3.4]:0\": "},
        {"[localhost]:0", BR_ADMIN_ERR_ADDRESS, "admin.listen \"[localhost]:0\": "},
        {"[]:0", BR_ADMIN_ERR_ADDRESS, "an IPv6 address goes in brackets"},
        /* TEST-NET-1: a valid address that is not ours */
        {"192.0.2.1:0", BR_ADMIN_ERR_LISTEN,
         "admin.listen \"192.0.2.1:0\": bind: Cannot assign requested address"},
    };

    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_admin_conf conf = {.listen = cases[i].listen};
        struct br_admin *admin = (struct br_admin *)&conf; /* must be reset to NULL */
        char errstr[256] = "";
        enum br_admin_err err = br_admin_create(&conf, &admin, errstr, sizeof(errstr));

        if (err != cases[i].want || !strstr(errstr, cases[i].message)) {
            fail_msg("case %zu (%s): got %d [%s], want %d [%s]", i, cases[i].listen, err, errstr,
                     cases[i].want, cases[i].message);
        }
        assert_null(admin);
    }
}

static void test_address_in_use(void **state)
{
    struct probe_state probe = {.ready = true};
    struct br_admin *first = start(&probe, "127.0.0.1:0", 0, 0);
    struct br_admin *second = NULL;
    char listen[64];
    char want[160];
    char errstr[256] = "";
    struct br_admin_conf conf = {.listen = listen};

    snprintf(listen, sizeof(listen), "127.0.0.1:%d", br_admin_port(first));
    assert_int_equal(br_admin_create(&conf, &second, errstr, sizeof(errstr)), BR_ADMIN_ERR_LISTEN);
    assert_null(second);
    snprintf(want, sizeof(want), "admin.listen \"%s\": bind: %s", listen, strerror(EADDRINUSE));
    assert_string_equal(errstr, want);

    /* Once the first is gone the port is free again at once (SO_REUSEADDR, TIME_WAIT aside). */
    {
        static struct client client;

        exchange(first, &client, "GET /healthz HTTP/1.1\r\n\r\n");
    }
    br_admin_destroy(first);
    assert_int_equal(br_admin_create(&conf, &second, errstr, sizeof(errstr)), BR_ADMIN_OK);
    br_admin_destroy(second);
    br_admin_destroy(NULL);
}

/* Wildcard and IPv6 forms bind and answer. */
static void test_address_forms(void **state)
{
    static const struct {
        const char *listen;
        int family; /* the client's */
    } cases[] = {
        {"*:0", AF_INET},
        {":0", AF_INET},
        {"0.0.0.0:0", AF_INET},
        {"localhost:0", AF_INET},
        {"[::1]:0", AF_INET6},
        {"[::]:0", AF_INET6},
    };
    struct probe_state probe = {.ready = true};
    static struct client client;

    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_admin *admin = start(&probe, cases[i].listen, 0, 0);

        client_open(&client, cases[i].family, br_admin_port(admin));
        client_send(&client, "GET /healthz HTTP/1.1\r\n\r\n", 25);
        if (!drive(admin, &client, 1, now_ms() + DRIVE_LIMIT_MS) ||
            !strstr(client.data, "200 OK")) {
            fail_msg("case %zu (%s): [%s]", i, cases[i].listen, client.data);
        }
        client_close(&client);
        br_admin_destroy(admin);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_exact),     cmocka_unit_test(test_routes),
        cmocka_unit_test(test_readyz_reason),     cmocka_unit_test(test_metrics_body),
        cmocka_unit_test(test_request_in_pieces), cmocka_unit_test(test_request_limit),
        cmocka_unit_test(test_many_connections),  cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_silent_client_not_accepted),
        cmocka_unit_test(test_full_house_gives_way), cmocka_unit_test(test_header_timeout),
        cmocka_unit_test(test_write_idle_timeout),
        cmocka_unit_test(test_client_gone),       cmocka_unit_test(test_listen_errors),
        cmocka_unit_test(test_address_in_use),    cmocka_unit_test(test_address_forms),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
