/*
 * Unit tests of sender.c against a small HTTP/1.1 server on a loopback socket, driven from the
 * test's own thread: the server's descriptors go to br_sender_wait as extra descriptors, and
 * each round the server answers what it has read in full. The tests check the request as it
 * arrives (method, target, headers, body) and what each finished transfer reports (status,
 * Retry-After, transport errors), connection reuse, cancellation and timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "delivery/request.h"
#include "delivery/sender.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SIGNATURE "5e0f3a1c9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f"
#define MAX_CONNS 8

/* ---- the loopback server ---- */

struct conn {
    int fd;
    char in[65536]; /* bytes of the request being read */
    size_t in_len;
};

struct server {
    int listen_fd;
    int port;
    struct conn conns[MAX_CONNS];
    size_t conn_count;
    unsigned accepts;
    unsigned requests;      /* complete requests read */
    char last[65536];       /* the last complete request, NUL-terminated */
    /* what to answer: response as written; NULL with status_from_path: "HTTP/1.1 NNN" for a
     * target "/s/NNN"; NULL otherwise: never answer */
    const char *response;
    bool status_from_path;
    bool close_after;       /* close the connection after answering */
};

static void server_start(struct server *server)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof(addr);

    memset(server, 0, sizeof(*server));
    server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(server->listen_fd >= 0);
    assert_int_equal(bind(server->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(server->listen_fd, 16), 0);
    assert_int_equal(getsockname(server->listen_fd, (struct sockaddr *)&addr, &addr_len), 0);
    server->port = ntohs(addr.sin_port);
}

static void conn_close(struct server *server, size_t i)
{
    close(server->conns[i].fd);
    server->conns[i] = server->conns[--server->conn_count];
}

static void server_stop(struct server *server)
{
    while (server->conn_count > 0) {
        conn_close(server, 0);
    }
    close(server->listen_fd);
}

/* The length of the complete request at the start of conn->in, or 0 while incomplete. */
static size_t request_length(const struct conn *conn)
{
    const char *end;
    const char *line;
    size_t head;
    size_t body = 0;

    end = memmem(conn->in, conn->in_len, "\r\n\r\n", 4);
    if (!end) {
        return 0;
    }
    head = (size_t)(end - conn->in) + 4;
    for (line = conn->in; line && line < end; line = memchr(line, '\n', (size_t)(end - line))) {
        line += *line == '\n' ? 1 : 0;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            body = strtoul(line + 15, NULL, 10);
        }
    }
    return conn->in_len >= head + body ? head + body : 0;
}

static void answer(struct server *server, size_t i)
{
    struct conn *conn = &server->conns[i];
    char response[256];
    const char *text = server->response;
    unsigned status;

    if (!text && server->status_from_path &&
        sscanf(server->last, "%*s /s/%u ", &status) == 1) {
        snprintf(response, sizeof(response), "HTTP/1.1 %u Whatever\r\nContent-Length: 0\r\n\r\n",
                 status);
        text = response;
    }
    if (!text) {
        return;
    }
    /* small answers fit the socket buffer of a fresh connection */
    assert_int_equal(write(conn->fd, text, strlen(text)), (ssize_t)strlen(text));
    if (server->close_after) {
        conn_close(server, i);
    }
}

/* Accepts, reads and answers whatever is ready, without waiting. */
static void server_step(struct server *server)
{
    int fd;

    while ((fd = accept4(server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        assert_true(server->conn_count < MAX_CONNS);
        server->conns[server->conn_count].fd = fd;
        server->conns[server->conn_count].in_len = 0;
        server->conn_count++;
        server->accepts++;
    }
    for (size_t i = 0; i < server->conn_count; i++) {
        struct conn *conn = &server->conns[i];
        size_t room = sizeof(conn->in) - conn->in_len;
        ssize_t got = read(conn->fd, conn->in + conn->in_len, room);
        int fd_before = conn->fd;
        size_t len;

        if (got == 0) {
            conn_close(server, i--);
            continue;
        }
        if (got < 0) {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNRESET);
            continue;
        }
        conn->in_len += (size_t)got;
        while ((len = request_length(conn)) > 0) {
            memcpy(server->last, conn->in, len);
            server->last[len] = '\0';
            server->requests++;
            memmove(conn->in, conn->in + len, conn->in_len - len);
            conn->in_len -= len;
            answer(server, i);
            if (i >= server->conn_count || server->conns[i].fd != fd_before) {
                i--; /* closed after the answer */
                break;
            }
        }
    }
}

/* ---- deliveries and results ---- */

struct finished {
    struct br_delivery *delivery;
    struct br_transfer_result result;
};

struct done_log {
    struct finished items[16];
    size_t count;
};

static void on_done(void *opaque, struct br_delivery *delivery,
                    const struct br_transfer_result *result)
{
    struct done_log *log = opaque;

    assert_true(log->count < COUNT(log->items));
    assert_null(delivery->transfer); /* released before the callback */
    log->items[log->count].delivery = delivery;
    log->items[log->count].result = *result;
    log->count++;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs sender and server until log has want entries (or stop_ms have passed). */
static void drive(struct br_sender *sender, struct server *server, struct done_log *log,
                  size_t want, int64_t stop_ms)
{
    int64_t deadline = now_ms() + stop_ms;

    while (log->count < want && now_ms() < deadline) {
        struct curl_waitfd fds[MAX_CONNS + 1];
        unsigned count = 0;

        if (server) {
            fds[count++] = (struct curl_waitfd){.fd = server->listen_fd,
                                                .events = CURL_WAIT_POLLIN};
            for (size_t i = 0; i < server->conn_count; i++) {
                fds[count++] = (struct curl_waitfd){.fd = server->conns[i].fd,
                                                    .events = CURL_WAIT_POLLIN};
            }
        }
        assert_true(br_sender_wait(sender, fds, count, 0, 20) >= 0);
        if (server) {
            server_step(server);
        }
        br_sender_perform(sender, on_done, log);
    }
}

static struct br_conf_hook plain_hook = {.name = "h", .method = BR_METHOD_POST};

/* A delivery of a request written by hand (the strings are the test's, not freed). */
static void delivery_init(struct br_delivery *delivery, const struct br_conf_hook *hook,
                          enum br_method method, char *url, char *body)
{
    memset(delivery, 0, sizeof(*delivery));
    delivery->request.hook = hook;
    delivery->request.method = method;
    delivery->request.url = url;
    delivery->request.body = body;
    delivery->request.body_len = body ? strlen(body) : 0;
    snprintf(delivery->request.signature, sizeof(delivery->request.signature), "%s", SIGNATURE);
}

static struct br_sender *sender_new(void)
{
    char errstr[256] = "";
    struct br_sender *sender = br_sender_create(8, errstr, sizeof(errstr));

    if (!sender) {
        fail_msg("br_sender_create: %s", errstr);
    }
    assert_int_equal(br_sender_in_flight(sender), 0);
    return sender;
}

static void start(struct br_sender *sender, struct br_delivery *delivery, long timeout_ms)
{
    char errstr[256] = "";

    if (br_sender_start(sender, delivery, timeout_ms, errstr, sizeof(errstr)) != 0) {
        fail_msg("br_sender_start: %s", errstr);
    }
    assert_non_null(delivery->transfer);
}

/*
 * What a test against the loopback server starts with: the server answering response (NULL:
 * never, or by path with status_from_path), a sender, an empty log of done calls, and url, the
 * server's address followed by path. fixture_stop destroys the sender, then stops the server.
 */
struct fixture {
    struct server server;
    struct br_sender *sender;
    struct done_log log;
    char url[256];
};

static void fixture_start(struct fixture *fx, const char *response, const char *path)
{
    server_start(&fx->server);
    fx->server.response = response;
    fx->sender = sender_new();
    memset(&fx->log, 0, sizeof(fx->log));
    snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d%s", fx->server.port, path);
}

static void fixture_stop(struct fixture *fx)
{
    br_sender_destroy(fx->sender);
    server_stop(&fx->server);
}

/* The header lines of request (between the request line and the blank line), as a list. */
static size_t header_lines(const char *request, char lines[][1100], size_t max)
{
    const char *p = strstr(request, "\r\n");
    size_t count = 0;

    assert_non_null(p);
    p += 2;
    while (strncmp(p, "\r\n", 2) != 0) {
        const char *eol = strstr(p, "\r\n");

        assert_non_null(eol);
        assert_true(count < max);
        assert_true((size_t)(eol - p) < 1100);
        memcpy(lines[count], p, (size_t)(eol - p));
        lines[count][eol - p] = '\0';
        count++;
        p = eol + 2;
    }
    return count;
}

/* The index of line in lines, or -1. */
static int find_line(char lines[][1100], size_t count, const char *line)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(lines[i], line) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- the request as it arrives ---- */

static void assert_starts_with(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)) != 0) {
        fail_msg("\"%.80s\" does not start with \"%s\"", text, prefix);
    }
}

static void test_post_request(void **state)
{
    static char long_value[1001];
    struct br_kv headers[] = {
        {"X-Tenant", "t1"},
        {"Authorization", "Bearer abc.def"},
        {"X-Long", long_value},
    };
    struct br_conf_hook hook = {.name = "h", .method = BR_METHOD_POST, .headers = headers,
                                .header_count = COUNT(headers)};
    struct fixture fx;
    struct br_delivery delivery;
    char body[] = "{\"event\":\"user.created\",\"data\":{\"id\":7}}";
    char lines[32][1100];
    char want[1100];
    size_t count;
    const char *got_body;

    (void)state;
    memset(long_value, 'v', sizeof(long_value) - 1);
    fixture_start(&fx, "HTTP/1.1 204 No Content\r\n\r\n", "/hooks/in?x=1");
    delivery_init(&delivery, &hook, BR_METHOD_POST, fx.url, body);
    start(fx.sender, &delivery, 5000);
    assert_int_equal(br_sender_in_flight(fx.sender), 1);
    drive(fx.sender, &fx.server, &fx.log, 1, 5000);

    assert_int_equal(fx.log.count, 1);
    assert_ptr_equal(fx.log.items[0].delivery, &delivery);
    assert_true(fx.log.items[0].result.transport_ok);
    assert_int_equal(fx.log.items[0].result.http_status, 204);
    assert_string_equal(fx.log.items[0].result.retry_after, "");
    assert_string_equal(fx.log.items[0].result.error, "");
    assert_true(fx.log.items[0].result.seconds >= 0 && fx.log.items[0].result.seconds < 5);
    assert_null(delivery.transfer);
    assert_int_equal(br_sender_in_flight(fx.sender), 0);

    assert_int_equal(fx.server.requests, 1);
    assert_starts_with(fx.server.last, "POST /hooks/in?x=1 HTTP/1.1\r\n");
    count = header_lines(fx.server.last, lines, COUNT(lines));
    snprintf(want, sizeof(want), "Host: 127.0.0.1:%d", fx.server.port);
    assert_true(find_line(lines, count, want) >= 0);
    snprintf(want, sizeof(want), "User-Agent: %s", br_request_user_agent());
    assert_true(find_line(lines, count, want) >= 0);
    assert_true(find_line(lines, count, "User-Agent: perscom-bridge/" BR_VERSION) >= 0);
    snprintf(want, sizeof(want), "Content-Length: %zu", strlen(body));
    assert_true(find_line(lines, count, want) >= 0);
    /* the bridge's headers, then the hook's in config order */
    {
        int content_type = find_line(lines, count, "Content-Type: application/json");
        int signature = find_line(lines, count, "Signature: " SIGNATURE);
        int tenant = find_line(lines, count, "X-Tenant: t1");
        int authorization = find_line(lines, count, "Authorization: Bearer abc.def");
        int long_line;

        snprintf(want, sizeof(want), "X-Long: %s", long_value);
        long_line = find_line(lines, count, want);
        if (content_type < 0 || signature <= content_type || tenant <= signature ||
            authorization <= tenant || long_line <= authorization) {
            fail_msg("header order: Content-Type %d, Signature %d, X-Tenant %d, "
                     "Authorization %d, X-Long %d",
                     content_type, signature, tenant, authorization, long_line);
        }
    }
    for (size_t i = 0; i < count; i++) {
        /* no "Expect: 100-continue" round trip, no chunking */
        assert_true(strncasecmp(lines[i], "Expect:", 7) != 0);
        assert_true(strncasecmp(lines[i], "Transfer-Encoding:", 18) != 0);
    }
    got_body = strstr(fx.server.last, "\r\n\r\n") + 4;
    assert_string_equal(got_body, body);

    fixture_stop(&fx);
}

static void test_get_request(void **state)
{
    struct fixture fx;
    struct br_delivery delivery;
    char lines[32][1100];
    size_t count;

    (void)state;
    fixture_start(&fx, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                  "/get?event=user.created&data%5Bid%5D=7");
    delivery_init(&delivery, &plain_hook, BR_METHOD_GET, fx.url, NULL);
    start(fx.sender, &delivery, 5000);
    drive(fx.sender, &fx.server, &fx.log, 1, 5000);

    assert_int_equal(fx.log.count, 1);
    assert_true(fx.log.items[0].result.transport_ok);
    assert_int_equal(fx.log.items[0].result.http_status, 200);
    assert_starts_with(fx.server.last, "GET /get?event=user.created&data%5Bid%5D=7 HTTP/1.1\r\n");
    count = header_lines(fx.server.last, lines, COUNT(lines));
    assert_true(find_line(lines, count, "Content-Type: application/json") >= 0);
    assert_true(find_line(lines, count, "Signature: " SIGNATURE) >= 0);
    for (size_t i = 0; i < count; i++) {
        assert_true(strncasecmp(lines[i], "Content-Length:", 15) != 0);
    }
    assert_string_equal(strstr(fx.server.last, "\r\n\r\n"), "\r\n\r\n"); /* no body */

    fixture_stop(&fx);
}

/* ---- what a finished transfer reports ---- */

#define LONG_VALUE "0123456789012345678901234567890123456789012345678901234567890123456789"

static void test_results_table(void **state)
{
    static const struct {
        const char *what;
        const char *response;
        bool close_after;
        bool want_ok;
        long want_status;
        const char *want_retry_after;
        const char *want_error; /* a prefix of the error; "" when transport_ok */
    } cases[] = {
        {"200 with a body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, true,
         200, "", ""},
        {"201, closed", "HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n", true, true, 201, "",
         ""},
        {"302 is not followed",
         "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", false, true,
         302, "", ""},
        {"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!", false, true, 404, "",
         ""},
        {"503 with Retry-After seconds",
         "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n",
         false, true, 503, "120", ""},
        {"429 with an HTTP date",
         "HTTP/1.1 429 Too Many Requests\r\nRETRY-AFTER: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
         "Content-Length: 0\r\n\r\n",
         false, true, 429, "Sun, 06 Nov 1994 08:49:37 GMT", ""},
        {"Retry-After trimmed",
         "HTTP/1.1 503 x\r\nretry-after:\t  7  \r\nContent-Length: 0\r\n\r\n",
         false, true, 503, "7", ""},
        {"Retry-After empty", "HTTP/1.1 503 x\r\nRetry-After:\r\nContent-Length: 0\r\n\r\n", false,
         true, 503, "", ""},
        {"the last Retry-After wins",
         "HTTP/1.1 503 x\r\nRetry-After: 1\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n", false,
         true, 503, "2", ""},
        {"Retry-After cut to 63 bytes",
         "HTTP/1.1 503 x\r\nRetry-After: " LONG_VALUE "\r\nContent-Length: 0\r\n\r\n", false, true,
         503, "012345678901234567890123456789012345678901234567890123456789012", ""},
        {"look-alike headers are not Retry-After",
         "HTTP/1.1 503 x\r\nRetry-After-Extra: 9\r\nX-Retry-After: 8\r\nContent-Length: 0\r\n\r\n",
         false, true, 503, "", ""},
        {"an informational response's Retry-After is forgotten",
         "HTTP/1.1 103 Early Hints\r\nRetry-After: 5\r\n\r\n"
         "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
         false, true, 429, "", ""},
        {"the final response's Retry-After is kept",
         "HTTP/1.1 100 Continue\r\nRetry-After: 5\r\n\r\n"
         "HTTP/1.1 503 x\r\nRetry-After: 9\r\nContent-Length: 0\r\n\r\n",
         false, true, 503, "9", ""},
        {"no answer, closed", "", true, false, 0, "", "Empty reply from server"},
        {"not HTTP", "garbage\r\n\r\n", true, false, 0, "", "Received HTTP/0.9"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct fixture fx;
        struct br_delivery delivery;
        const struct br_transfer_result *result = &fx.log.items[0].result;
        char body[] = "{}";

        fixture_start(&fx, cases[i].response, "/r");
        fx.server.close_after = cases[i].close_after;
        delivery_init(&delivery, &plain_hook, BR_METHOD_POST, fx.url, body);
        start(fx.sender, &delivery, 5000);
        drive(fx.sender, &fx.server, &fx.log, 1, 5000);
        if (fx.log.count != 1) {
            fail_msg("%s: %zu results, want 1", cases[i].what, fx.log.count);
        }
        if (result->transport_ok != cases[i].want_ok ||
            result->http_status != cases[i].want_status ||
            strcmp(result->retry_after, cases[i].want_retry_after) != 0 ||
            strncmp(result->error, cases[i].want_error, strlen(cases[i].want_error)) != 0 ||
            (cases[i].want_ok && result->error[0] != '\0') ||
            (!cases[i].want_ok && result->error[0] == '\0')) {
            fail_msg("%s: got ok %d status %ld retry_after \"%s\" error \"%s\"; "
                     "want ok %d status %ld retry_after \"%s\" error \"%s...\"",
                     cases[i].what, result->transport_ok, result->http_status,
                     result->retry_after, result->error, cases[i].want_ok,
                     cases[i].want_status, cases[i].want_retry_after, cases[i].want_error);
        }
        if (fx.server.requests != 1) {
            fail_msg("%s: the server saw %u requests, want 1", cases[i].what, fx.server.requests);
        }
        fixture_stop(&fx);
    }
}

/* A connection that is refused: a bound socket that does not listen holds the port. */
static void test_connection_refused(void **state)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct br_sender *sender = sender_new();
    struct br_delivery delivery;
    struct done_log log = {0};
    char url[128];
    char want[128];
    char body[] = "{}";

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(addr.sin_port));
    delivery_init(&delivery, &plain_hook, BR_METHOD_POST, url, body);
    start(sender, &delivery, 5000);
    drive(sender, NULL, &log, 1, 5000);

    assert_int_equal(log.count, 1);
    assert_false(log.items[0].result.transport_ok);
    assert_int_equal(log.items[0].result.http_status, 0);
    snprintf(want, sizeof(want), "Failed to connect to 127.0.0.1 port %d", ntohs(addr.sin_port));
    if (strncmp(log.items[0].result.error, want, strlen(want)) != 0) {
        fail_msg("error \"%s\", want \"%s...\"", log.items[0].result.error, want);
    }
    assert_int_equal(log.items[0].result.curl_code, CURLE_COULDNT_CONNECT);
    assert_int_equal(log.items[0].result.first_byte_us, 0);
    assert_int_equal(br_sender_in_flight(sender), 0);
    br_sender_destroy(sender);
    close(fd);
}

/* Only http and https: other schemes fail as transfers, without touching anything. */
static void test_other_schemes(void **state)
{
    static const char *const urls[] = {
        "file:///etc/hostname",
        "ftp://127.0.0.1:1/x",
        "gopher://127.0.0.1:1/x",
        "dict://127.0.0.1:1/x",
    };
    (void)state;
    for (size_t i = 0; i < COUNT(urls); i++) {
        struct br_sender *sender = sender_new();
        struct br_delivery delivery;
        struct done_log log = {0};
        char body[] = "{}";

        delivery_init(&delivery, &plain_hook, BR_METHOD_POST, (char *)urls[i], body);
        start(sender, &delivery, 5000);
        drive(sender, NULL, &log, 1, 5000);
        if (log.count != 1 || log.items[0].result.transport_ok ||
            log.items[0].result.http_status != 0 ||
            /* libcurl 7.88 says "not supported", 8.x "disabled" */
            (strstr(log.items[0].result.error, "not supported") == NULL &&
             strstr(log.items[0].result.error, "disabled") == NULL)) {
            fail_msg("%s: %zu results, ok %d status %ld error \"%s\"", urls[i], log.count,
                     log.items[0].result.transport_ok, log.items[0].result.http_status,
                     log.items[0].result.error);
        }
        br_sender_destroy(sender);
    }
}

static void test_timeout(void **state)
{
    struct fixture fx;
    struct br_delivery delivery;
    char body[] = "{}";
    int64_t started;
    int64_t took;

    (void)state;
    fixture_start(&fx, NULL, "/slow"); /* reads, never answers */
    delivery_init(&delivery, &plain_hook, BR_METHOD_POST, fx.url, body);
    started = now_ms();
    start(fx.sender, &delivery, 300);
    drive(fx.sender, &fx.server, &fx.log, 1, 5000);
    took = now_ms() - started;

    assert_int_equal(fx.log.count, 1);
    assert_int_equal(fx.server.requests, 1);
    assert_false(fx.log.items[0].result.transport_ok);
    assert_int_equal(fx.log.items[0].result.http_status, 0);
    if (strncmp(fx.log.items[0].result.error, "Operation timed out after", 25) != 0) {
        fail_msg("error \"%s\", want \"Operation timed out after...\"",
                 fx.log.items[0].result.error);
    }
    assert_int_equal(fx.log.items[0].result.curl_code, CURLE_OPERATION_TIMEDOUT);
    assert_true(fx.log.items[0].result.seconds >= 0.29 && fx.log.items[0].result.seconds < 2.0);
    assert_in_range(took, 290, 2000);
    fixture_stop(&fx);
}

/* The curl code, the phase timings and, with capture on, the response's headers and body. */
static void test_capture_and_timings(void **state)
{
    struct fixture fx;
    struct br_delivery delivery;
    const struct br_transfer_result *result;
    char body[] = "{}";

    (void)state;
    fixture_start(&fx,
                  "HTTP/1.1 500 Oops\r\nX-Trace: abc\r\nContent-Length: 10\r\n\r\n0123456789",
                  "/c");
    fx.server.close_after = true; /* a new connection each time: every phase is timed */

    /* off by default: nothing kept, the body still counted */
    delivery_init(&delivery, &plain_hook, BR_METHOD_POST, fx.url, body);
    start(fx.sender, &delivery, 5000);
    drive(fx.sender, &fx.server, &fx.log, 1, 5000);
    assert_int_equal(fx.log.count, 1);
    result = &fx.log.items[0].result;
    assert_true(result->transport_ok);
    assert_int_equal(result->curl_code, CURLE_OK);
    assert_int_equal(result->http_status, 500);
    assert_null(result->headers);
    assert_null(result->body);
    assert_int_equal(result->headers_len, 0);
    assert_int_equal(result->body_total, 10);

    /* on: the header lines as received and the first 4 body bytes */
    br_sender_capture(fx.sender, 4);
    delivery_init(&delivery, &plain_hook, BR_METHOD_POST, fx.url, body);
    start(fx.sender, &delivery, 5000);
    drive(fx.sender, &fx.server, &fx.log, 2, 5000);
    assert_int_equal(fx.log.count, 2);
    result = &fx.log.items[1].result;
    assert_int_equal(result->http_status, 500);
    assert_non_null(result->headers);
    assert_int_equal(result->headers_len, strlen("HTTP/1.1 500 Oops\r\nX-Trace: abc\r\n"
                                                 "Content-Length: 10\r\n\r\n"));
    assert_memory_equal(result->headers, "HTTP/1.1 500 Oops\r\nX-Trace: abc\r\n", 33);
    assert_int_equal(result->body_len, 4);
    assert_memory_equal(result->body, "0123", 4);
    assert_int_equal(result->body_total, 10);
    /* plain http: no TLS phase; the others in order, all within the total */
    assert_int_equal(result->tls_us, 0);
    assert_true(result->dns_us >= 0);
    assert_true(result->connect_us >= result->dns_us);
    assert_true(result->first_byte_us >= result->connect_us);
    assert_true(result->total_us >= result->first_byte_us);
    assert_true(result->total_us > 0 && result->total_us < 5000000);

    fixture_stop(&fx);
}

/* ---- several transfers, reuse, cancellation ---- */

/* Concurrent transfers each report to their own delivery. */
static void test_concurrent(void **state)
{
    static const long statuses[] = {200, 201, 404, 500, 503, 204};
    struct fixture fx;
    struct br_delivery deliveries[COUNT(statuses)];
    char urls[COUNT(statuses)][128];
    char body[] = "{}";

    (void)state;
    fixture_start(&fx, NULL, "");
    fx.server.status_from_path = true;
    for (size_t i = 0; i < COUNT(statuses); i++) {
        snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/s/%ld", fx.server.port,
                 statuses[i]);
        delivery_init(&deliveries[i], &plain_hook, BR_METHOD_POST, urls[i], body);
        start(fx.sender, &deliveries[i], 5000);
        assert_int_equal(br_sender_in_flight(fx.sender), i + 1);
    }
    drive(fx.sender, &fx.server, &fx.log, COUNT(statuses), 5000);

    assert_int_equal(fx.log.count, COUNT(statuses));
    assert_int_equal(fx.server.requests, COUNT(statuses));
    assert_int_equal(br_sender_in_flight(fx.sender), 0);
    for (size_t i = 0; i < COUNT(statuses); i++) {
        size_t seen = 0;

        for (size_t k = 0; k < fx.log.count; k++) {
            if (fx.log.items[k].delivery == &deliveries[i]) {
                seen++;
                assert_true(fx.log.items[k].result.transport_ok);
                assert_int_equal(fx.log.items[k].result.http_status, statuses[i]);
            }
        }
        assert_int_equal(seen, 1);
    }
    fixture_stop(&fx);
}

/* One request after another to one receiver go over one kept-alive connection. */
static void test_keep_alive(void **state)
{
    struct fixture fx;
    struct br_delivery delivery;
    char body[] = "{}";

    (void)state;
    fixture_start(&fx, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "/k");
    for (size_t round = 0; round < 3; round++) {
        delivery_init(&delivery, &plain_hook, BR_METHOD_POST, fx.url, body);
        start(fx.sender, &delivery, 5000);
        drive(fx.sender, &fx.server, &fx.log, round + 1, 5000);
        assert_int_equal(fx.log.count, round + 1);
        assert_int_equal(fx.log.items[round].result.http_status, 200);
    }
    assert_int_equal(fx.server.requests, 3);
    assert_int_equal(fx.server.accepts, 1);
    fixture_stop(&fx);
}

/* A cancelled transfer never reports; destroy cancels what is still in flight. */
static void test_cancel_and_destroy(void **state)
{
    struct fixture fx;
    struct br_delivery first;
    struct br_delivery second;
    char body[] = "{}";
    int64_t deadline;

    (void)state;
    fixture_start(&fx, NULL, "/c"); /* never answers */
    delivery_init(&first, &plain_hook, BR_METHOD_POST, fx.url, body);
    delivery_init(&second, &plain_hook, BR_METHOD_POST, fx.url, body);
    start(fx.sender, &first, 5000);
    start(fx.sender, &second, 5000);
    assert_int_equal(br_sender_in_flight(fx.sender), 2);
    deadline = now_ms() + 5000;
    while (fx.server.requests < 2 && now_ms() < deadline) {
        drive(fx.sender, &fx.server, &fx.log, 1, 20);
    }
    assert_int_equal(fx.server.requests, 2);

    br_sender_cancel(fx.sender, &first);
    assert_null(first.transfer);
    assert_int_equal(br_sender_in_flight(fx.sender), 1);
    br_sender_cancel(fx.sender, &first); /* twice is harmless */
    assert_int_equal(br_sender_in_flight(fx.sender), 1);
    drive(fx.sender, &fx.server, &fx.log, 1, 200);
    assert_int_equal(fx.log.count, 0);

    /* the cancelled transfer's handle is reused for the next request */
    fx.server.response = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
    delivery_init(&first, &plain_hook, BR_METHOD_POST, fx.url, body);
    start(fx.sender, &first, 5000);
    drive(fx.sender, &fx.server, &fx.log, 1, 5000);
    assert_int_equal(fx.log.count, 1);
    assert_ptr_equal(fx.log.items[0].delivery, &first);
    assert_int_equal(fx.log.items[0].result.http_status, 202);

    assert_non_null(second.transfer);
    assert_int_equal(br_sender_in_flight(fx.sender), 1);
    br_sender_destroy(fx.sender);
    assert_null(second.transfer);
    assert_int_equal(fx.log.count, 1);
    br_sender_destroy(NULL);
    server_stop(&fx.server);
}

/* extra descriptors wake the wait; nothing ready and nothing in flight waits the timeout. */
static void test_wait_extra(void **state)
{
    struct br_sender *sender = sender_new();
    int fds[2];
    struct curl_waitfd extra;
    int64_t started;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    extra = (struct curl_waitfd){.fd = fds[0], .events = CURL_WAIT_POLLIN};
    started = now_ms();
    assert_int_equal(br_sender_wait(sender, &extra, 1, 1, 100), 0);
    assert_true(now_ms() - started >= 90);
    assert_int_equal(write(fds[1], "x", 1), 1);
    started = now_ms();
    assert_int_equal(br_sender_wait(sender, &extra, 1, 1, 5000), 1);
    assert_true(extra.revents & CURL_WAIT_POLLIN);
    assert_true(now_ms() - started < 1000);
    close(fds[0]);
    close(fds[1]);
    br_sender_destroy(sender);
}

/*
 * A hook's constant header lines are made once per hook version (its settings): a new version
 * sends its own lines, and a forgotten version's lines go with it (settings put again at the
 * same address after br_sender_forget_hook get lines made from them, not the old ones).
 */
static void test_header_lines_per_version(void **state)
{
    struct br_kv old_headers[] = {{"X-Tenant", "t1"}};
    struct br_kv new_headers[] = {{"X-Tenant", "t2"}};
    struct br_conf_hook old_hook = {.name = "h", .method = BR_METHOD_POST,
                                    .headers = old_headers, .header_count = 1};
    struct br_conf_hook new_hook = {.name = "h", .method = BR_METHOD_POST,
                                    .headers = new_headers, .header_count = 1};
    struct server server;
    struct br_sender *sender = sender_new();
    struct br_delivery delivery;
    struct done_log log = {0};
    char url[128];
    char body[] = "{}";
    char lines[32][1100];
    size_t count;

    (void)state;
    server_start(&server);
    server.response = "HTTP/1.1 204 No Content\r\n\r\n";
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/in", server.port);

    delivery_init(&delivery, &old_hook, BR_METHOD_POST, url, body);
    start(sender, &delivery, 5000);
    drive(sender, &server, &log, 1, 5000);
    count = header_lines(server.last, lines, COUNT(lines));
    assert_true(find_line(lines, count, "X-Tenant: t1") >= 0);

    /* a new version of the hook: its own lines */
    delivery_init(&delivery, &new_hook, BR_METHOD_POST, url, body);
    start(sender, &delivery, 5000);
    drive(sender, &server, &log, 2, 5000);
    count = header_lines(server.last, lines, COUNT(lines));
    assert_true(find_line(lines, count, "X-Tenant: t2") >= 0);
    assert_int_equal(find_line(lines, count, "X-Tenant: t1"), -1);

    /* the old version goes; other settings at its address are a version of their own */
    br_sender_forget_hook(sender, &old_hook);
    old_headers[0].value = "t3";
    delivery_init(&delivery, &old_hook, BR_METHOD_POST, url, body);
    start(sender, &delivery, 5000);
    drive(sender, &server, &log, 3, 5000);
    count = header_lines(server.last, lines, COUNT(lines));
    assert_true(find_line(lines, count, "X-Tenant: t3") >= 0);
    assert_int_equal(find_line(lines, count, "X-Tenant: t1"), -1);
    assert_int_equal(log.count, 3);
    for (size_t i = 0; i < log.count; i++) {
        assert_int_equal(log.items[i].result.http_status, 204);
    }

    br_sender_forget_hook(sender, &new_hook);
    br_sender_forget_hook(sender, &old_hook);
    br_sender_destroy(sender);
    server_stop(&server);
}

/*
 * An easy handle keeps a hook's options between that hook's requests (no reset): each request
 * still goes with its own method, target, body and signature, and one hook's options never
 * ride on another hook's request (one connection, requests of two hooks in turn).
 */
static void test_handles_keep_a_hooks_options(void **state)
{
    struct br_kv a_headers[] = {{"X-Tenant", "a"}};
    struct br_kv b_headers[] = {{"X-Other", "b"}};
    struct br_conf_hook a_hook = {.name = "a", .method = BR_METHOD_POST, .headers = a_headers,
                                  .header_count = 1};
    struct br_conf_hook b_hook = {.name = "b", .method = BR_METHOD_GET, .headers = b_headers,
                                  .header_count = 1, .signature = BR_SIGNATURE_STANDARD};
    struct {
        struct br_conf_hook *hook;
        enum br_method method;
        const char *path;
        char *body;
        const char *want_line;   /* the hook's own header */
        const char *other_line;  /* the other hook's: never sent */
    } steps[] = {
        {&a_hook, BR_METHOD_POST, "/a/1", "{\"n\":1}", "X-Tenant: a", "X-Other: b"},
        {&a_hook, BR_METHOD_POST, "/a/2", "{\"n\":22}", "X-Tenant: a", "X-Other: b"},
        {&b_hook, BR_METHOD_GET, "/b?q=3", NULL, "X-Other: b", "X-Tenant: a"},
        {&a_hook, BR_METHOD_POST, "/a/2", "{\"n\":4444}", "X-Tenant: a", "X-Other: b"},
        {&b_hook, BR_METHOD_GET, "/b?q=5", NULL, "X-Other: b", "X-Tenant: a"},
    };
    static unsigned char secret_key[] = "k";
    struct br_hook_secret b_secret = {.key = secret_key, .key_len = 1};
    struct server server;
    struct br_sender *sender = sender_new();
    struct done_log log = {0};
    char urls[COUNT(steps)][128];
    char lines[32][1100];
    char want[256];

    (void)state;
    b_hook.secrets = &b_secret;
    b_hook.secret_count = 1;
    server_start(&server);
    server.response = "HTTP/1.1 204 No Content\r\n\r\n";
    for (size_t i = 0; i < COUNT(steps); i++) {
        struct br_delivery delivery;
        size_t count;

        snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d%s", server.port, steps[i].path);
        delivery_init(&delivery, steps[i].hook, steps[i].method, urls[i], steps[i].body);
        snprintf(delivery.request.webhook_id, sizeof(delivery.request.webhook_id), "id-%zu", i);
        start(sender, &delivery, 5000);
        drive(sender, &server, &log, i + 1, 5000);
        assert_int_equal(log.count, i + 1);
        assert_int_equal(log.items[i].result.http_status, 204);
        snprintf(want, sizeof(want), "%s %s HTTP/1.1\r\n",
                 steps[i].method == BR_METHOD_POST ? "POST" : "GET", steps[i].path);
        assert_starts_with(server.last, want);
        count = header_lines(server.last, lines, COUNT(lines));
        assert_true(find_line(lines, count, steps[i].want_line) >= 0);
        assert_int_equal(find_line(lines, count, steps[i].other_line), -1);
        if (steps[i].body) {
            snprintf(want, sizeof(want), "Content-Length: %zu", strlen(steps[i].body));
            assert_true(find_line(lines, count, want) >= 0);
            assert_true(find_line(lines, count, "Signature: " SIGNATURE) >= 0);
            assert_string_equal(strstr(server.last, "\r\n\r\n") + 4, steps[i].body);
        } else {
            snprintf(want, sizeof(want), "webhook-id: id-%zu", i);
            assert_true(find_line(lines, count, want) >= 0);
            assert_int_equal(find_line(lines, count, "Signature: " SIGNATURE), -1);
            assert_null(strcasestr(server.last, "Content-Length:"));
        }
    }
    assert_int_equal(server.accepts, 1);

    br_sender_forget_hook(sender, &a_hook);
    br_sender_forget_hook(sender, &b_hook);
    br_sender_destroy(sender);
    server_stop(&server);
}

/*
 * One easy handle (requests one after the other) going from hook to hook: what a hook's
 * handle carries never reaches another hook's request (Authorization, credentials in the URL,
 * a proxy), a GET after a POST sends no body, and a GET hook's target changes with each request
 * while its parsed URL is kept. A proxy variable is set (loopback, bypassed for 127.0.0.1), so
 * that a hook without proxy sets no proxy option of its own: only the handle's reset between
 * hooks keeps the proxy hook's from the next hook's request.
 */
static void test_kept_handle_per_request(void **state)
{
    struct br_conf_hook get_hook = {.name = "g", .method = BR_METHOD_GET, .auth = BR_AUTH_BEARER,
                                    .auth_bearer = "tok-g"};
    struct br_conf_hook post_hook = {.name = "p", .method = BR_METHOD_POST};
    struct br_conf_hook creds_hook = {.name = "u", .method = BR_METHOD_POST};
    struct br_conf_hook proxy_hook = {.name = "x", .method = BR_METHOD_POST};
    struct fixture fx;
    struct {
        struct br_conf_hook *hook;
        const char *url_form;   /* %d: the server's port */
        const char *request;    /* the request line */
        char *body;
        const char *auth;       /* the Authorization line, NULL: none */
    } steps[] = {
        {&get_hook, "http://127.0.0.1:%d/g?n=1", "GET /g?n=1 HTTP/1.1", NULL,
         "Authorization: Bearer tok-g"},
        {&get_hook, "http://127.0.0.1:%d/g?n=2", "GET /g?n=2 HTTP/1.1", NULL,
         "Authorization: Bearer tok-g"},
        {&post_hook, "http://127.0.0.1:%d/p", "POST /p HTTP/1.1", "{\"n\":3}", NULL},
        {&get_hook, "http://127.0.0.1:%d/g?n=4", "GET /g?n=4 HTTP/1.1", NULL,
         "Authorization: Bearer tok-g"},
        {&creds_hook, "http://u:p@127.0.0.1:%d/u", "POST /u HTTP/1.1", "{\"n\":5}",
         "Authorization: Basic dTpw"},
        {&post_hook, "http://127.0.0.1:%d/p", "POST /p HTTP/1.1", "{\"n\":6}", NULL},
        {&proxy_hook, "http://127.0.0.1:%d/x", "POST http://127.0.0.1:%d/x HTTP/1.1",
         "{\"n\":7}", NULL},
        {&post_hook, "http://127.0.0.1:%d/x", "POST /x HTTP/1.1", "{\"n\":8}", NULL},
    };
    char urls[COUNT(steps)][128];
    char proxy[64];
    char want[256];
    char lines[32][1100];

    (void)state;
    assert_int_equal(setenv("all_proxy", "http://127.0.0.1:1", 1), 0);
    assert_int_equal(setenv("no_proxy", "127.0.0.1", 1), 0);
    fixture_start(&fx, "HTTP/1.1 204 No Content\r\n\r\n", "");
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", fx.server.port);
    proxy_hook.proxy = proxy; /* the server itself: it sees the absolute target */
    proxy_hook.no_proxy = "";
    for (size_t i = 0; i < COUNT(steps); i++) {
        struct br_delivery delivery;
        size_t count;

        snprintf(urls[i], sizeof(urls[i]), steps[i].url_form, fx.server.port);
        delivery_init(&delivery, steps[i].hook, steps[i].hook->method, urls[i], steps[i].body);
        start(fx.sender, &delivery, 5000);
        drive(fx.sender, &fx.server, &fx.log, i + 1, 5000);
        assert_int_equal(fx.log.count, i + 1);
        assert_int_equal(fx.log.items[i].result.http_status, 204);
        snprintf(want, sizeof(want), steps[i].request, fx.server.port);
        assert_starts_with(fx.server.last, want);
        count = header_lines(fx.server.last, lines, COUNT(lines));
        if (steps[i].auth) {
            assert_true(find_line(lines, count, steps[i].auth) >= 0);
        } else {
            assert_null(strcasestr(fx.server.last, "\r\nAuthorization:"));
        }
        if (steps[i].body) {
            assert_string_equal(strstr(fx.server.last, "\r\n\r\n") + 4, steps[i].body);
        } else {
            assert_null(strcasestr(fx.server.last, "Content-Length:"));
            assert_string_equal(strstr(fx.server.last, "\r\n\r\n"), "\r\n\r\n");
        }
    }
    br_sender_forget_hook(fx.sender, &get_hook);
    br_sender_forget_hook(fx.sender, &post_hook);
    br_sender_forget_hook(fx.sender, &creds_hook);
    br_sender_forget_hook(fx.sender, &proxy_hook);
    fixture_stop(&fx);
    unsetenv("all_proxy");
    unsetenv("no_proxy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_request),
        cmocka_unit_test(test_get_request),
        cmocka_unit_test(test_results_table),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_other_schemes),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_capture_and_timings),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_cancel_and_destroy),
        cmocka_unit_test(test_wait_extra),
        cmocka_unit_test(test_header_lines_per_version),
        cmocka_unit_test(test_handles_keep_a_hooks_options),
        cmocka_unit_test(test_kept_handle_per_request),
    };
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
