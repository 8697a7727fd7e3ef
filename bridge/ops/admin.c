#include "ops/admin.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define DEFAULT_IDLE_TIMEOUT_MS 5000
#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_MAX_REQUEST 8192
#define MAX_CONNECTIONS_LIMIT 4096
#define MAX_REQUEST_LIMIT (1024 * 1024)
#define LINGER_MAX_MS 1000     /* reading what a client still sends after its response */
#define ACCEPT_PAUSE_MS 100    /* after running out of descriptors */
#define LISTEN_BACKLOG 64
#define RESPONSE_LIMIT (BR_ADMIN_METRICS_LIMIT + 4096u)

enum conn_state {
    CONN_FREE,
    CONN_READING, /* waiting for the end of the request's headers */
    CONN_WRITING, /* sending the response */
    CONN_LINGER,  /* response sent, write side shut: draining until the client closes */
};

struct conn {
    int fd;
    enum conn_state state;
    int64_t deadline_ms;
    char *in;      /* max_request bytes, owned by the admin's block */
    size_t in_len;
    struct br_buf out;
    size_t out_off;
};

struct br_admin {
    int listen_fd;
    int port;
    char *address; /* as configured, for messages */
    int idle_timeout_ms;
    size_t max_connections;
    size_t max_request;
    br_admin_ready_fn ready;
    br_admin_metrics_fn metrics;
    void *opaque;
    struct conn *conns;
    char *in_block;
    size_t open;
    int64_t accept_paused_until_ms;
    struct pollfd *pollfds; /* 1 + max_connections, for br_admin_serve */
    struct conn **owners;   /* the connection of each pollfd (NULL: the listener) */
    struct br_buf body; /* reused for each response body */
};

struct response {
    int status;
    const char *content_type;
    const char *extra_headers; /* "Name: value\r\n"… or NULL */
    const char *body;
    size_t body_len;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- listening ------------------------------------------------------------------------------ */

/*
 * Splits "host:port" / "[v6]:port"; host becomes "" for "" and "*" (any address); *bracketed
 * tells that host must be an IPv6 literal.
 */
static int split_listen(const char *address, char *host, size_t host_size, char *port,
                        size_t port_size, bool *bracketed, char *errstr, size_t errstr_size)
{
    const char *colon = strrchr(address, ':');
    const char *start = address;
    size_t host_len;
    size_t port_len;
    unsigned long value;

    if (!colon) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": expected host:port", address);
        return -1;
    }
    host_len = (size_t)(colon - address);
    *bracketed = false;
    if (host_len > 2 && address[0] == '[' && colon[-1] == ']') {
        *bracketed = true;
        start = address + 1;
        host_len -= 2;
    } else if (memchr(address, ':', host_len) || memchr(address, '[', host_len) ||
               memchr(address, ']', host_len)) {
        snprintf(errstr, errstr_size,
                 "admin.listen \"%s\": an IPv6 address goes in brackets, as in [::]:9400", address);
        return -1;
    }
    if (host_len == 1 && start[0] == '*') {
        host_len = 0;
    }
    port_len = strlen(colon + 1);
    if (port_len == 0 || port_len > 5 || strspn(colon + 1, "0123456789") != port_len) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": the port must be a number 0-65535",
                 address);
        return -1;
    }
    value = strtoul(colon + 1, NULL, 10);
    if (value > 65535 || host_len >= host_size || port_len >= port_size) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s", address,
                 value > 65535 ? "the port must be a number 0-65535" : "host name too long");
        return -1;
    }
    memcpy(host, start, host_len);
    host[host_len] = '\0';
    memcpy(port, colon + 1, port_len + 1);
    return 0;
}

static int bound_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);

    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        return -1;
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

/* Sets *fdp to the listening descriptor, or returns an error with errstr set. */
static enum br_admin_err open_listener(const char *address, int *fdp, char *errstr,
                                       size_t errstr_size)
{
    struct addrinfo hints;
    struct addrinfo *list = NULL;
    char host[256];
    char port[8];
    const char *step = "socket";
    int saved = 0;
    bool bracketed;
    int fd = -1;
    int rc;

    *fdp = -1;
    if (split_listen(address, host, sizeof(host), port, sizeof(port), &bracketed, errstr,
                     errstr_size) != 0) {
        return BR_ADMIN_ERR_ADDRESS;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (bracketed ? AI_NUMERICHOST : 0);
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &list);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s", address,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return BR_ADMIN_ERR_ADDRESS;
    }
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            step = "socket";
            saved = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
            step = "setsockopt(SO_REUSEADDR)";
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            step = "bind";
        } else if (listen(fd, LISTEN_BACKLOG) != 0) {
            step = "listen";
        } else {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": %s: %s", address, step,
                 strerror(saved ? saved : EADDRNOTAVAIL));
        return BR_ADMIN_ERR_LISTEN;
    }
    *fdp = fd;
    return BR_ADMIN_OK;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

enum br_admin_err br_admin_create(const struct br_admin_conf *conf, struct br_admin **adminp,
                                  char *errstr, size_t errstr_size)
{
    struct br_admin *admin = NULL;
    enum br_admin_err err = BR_ADMIN_ERR_ARG;
    size_t address_len;

    *adminp = NULL;
    if (!conf->listen || !conf->listen[0]) {
        snprintf(errstr, errstr_size, "admin.listen: no address");
        goto fail;
    }
    if (conf->idle_timeout_ms < 0) {
        snprintf(errstr, errstr_size, "admin: idle timeout %d ms is negative",
                 conf->idle_timeout_ms);
        goto fail;
    }
    if (conf->max_connections > MAX_CONNECTIONS_LIMIT || conf->max_request > MAX_REQUEST_LIMIT) {
        snprintf(errstr, errstr_size, "admin: at most %d connections of %d request bytes",
                 MAX_CONNECTIONS_LIMIT, MAX_REQUEST_LIMIT);
        goto fail;
    }
    admin = calloc(1, sizeof(*admin));
    if (!admin) {
        abort();
    }
    admin->listen_fd = -1;
    admin->idle_timeout_ms = conf->idle_timeout_ms ? conf->idle_timeout_ms
                                                   : DEFAULT_IDLE_TIMEOUT_MS;
    admin->max_connections = conf->max_connections ? conf->max_connections
                                                   : DEFAULT_MAX_CONNECTIONS;
    admin->max_request = conf->max_request ? conf->max_request : DEFAULT_MAX_REQUEST;
    admin->ready = conf->ready;
    admin->metrics = conf->metrics;
    admin->opaque = conf->opaque;
    br_buf_init(&admin->body, BR_ADMIN_METRICS_LIMIT);
    address_len = strlen(conf->listen);
    admin->address = malloc(address_len + 1);
    admin->conns = calloc(admin->max_connections, sizeof(*admin->conns));
    admin->in_block = malloc(admin->max_connections * admin->max_request);
    admin->pollfds = calloc(1 + admin->max_connections, sizeof(*admin->pollfds));
    admin->owners = calloc(1 + admin->max_connections, sizeof(*admin->owners));
    if (!admin->address || !admin->conns || !admin->in_block || !admin->pollfds ||
        !admin->owners) {
        abort();
    }
    memcpy(admin->address, conf->listen, address_len + 1);
    for (size_t i = 0; i < admin->max_connections; i++) {
        admin->conns[i].fd = -1;
        admin->conns[i].in = admin->in_block + i * admin->max_request;
        br_buf_init(&admin->conns[i].out, RESPONSE_LIMIT);
    }
    err = open_listener(conf->listen, &admin->listen_fd, errstr, errstr_size);
    if (err != BR_ADMIN_OK) {
        goto fail;
    }
    admin->port = bound_port(admin->listen_fd);
    *adminp = admin;
    return BR_ADMIN_OK;

fail:
    br_admin_destroy(admin);
    return err;
}

static void conn_close(struct br_admin *admin, struct conn *conn)
{
    close(conn->fd);
    conn->fd = -1;
    conn->state = CONN_FREE;
    conn->in_len = 0;
    conn->out_off = 0;
    br_buf_finish(&conn->out);
    admin->open--;
}

void br_admin_destroy(struct br_admin *admin)
{
    if (!admin) {
        return;
    }
    for (size_t i = 0; admin->conns && i < admin->max_connections; i++) {
        if (admin->conns[i].state != CONN_FREE) {
            conn_close(admin, &admin->conns[i]);
        }
    }
    if (admin->listen_fd >= 0) {
        close(admin->listen_fd);
    }
    br_buf_finish(&admin->body);
    free(admin->conns);
    free(admin->in_block);
    free(admin->pollfds);
    free(admin->owners);
    free(admin->address);
    free(admin);
}

int br_admin_port(const struct br_admin *admin)
{
    return admin->port;
}

size_t br_admin_connections(const struct br_admin *admin)
{
    return admin->open;
}

size_t br_admin_waitfd_max(const struct br_admin *admin)
{
    return 1 + admin->max_connections;
}

static bool accepting(const struct br_admin *admin, int64_t now)
{
    return admin->open < admin->max_connections && now >= admin->accept_paused_until_ms;
}

size_t br_admin_waitfds(const struct br_admin *admin, struct curl_waitfd *fds, size_t cap)
{
    size_t n = 0;

    if (n < cap && accepting(admin, now_ms())) {
        fds[n].fd = admin->listen_fd;
        fds[n].events = CURL_WAIT_POLLIN;
        fds[n].revents = 0;
        n++;
    }
    for (size_t i = 0; i < admin->max_connections && n < cap; i++) {
        const struct conn *conn = &admin->conns[i];

        if (conn->state == CONN_FREE) {
            continue;
        }
        fds[n].fd = conn->fd;
        fds[n].events = conn->state == CONN_WRITING ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

int br_admin_timeout_ms(const struct br_admin *admin)
{
    int64_t now = now_ms();
    int64_t next = INT64_MAX;

    for (size_t i = 0; i < admin->max_connections; i++) {
        if (admin->conns[i].state != CONN_FREE && admin->conns[i].deadline_ms < next) {
            next = admin->conns[i].deadline_ms;
        }
    }
    if (admin->open < admin->max_connections && admin->accept_paused_until_ms > now &&
        admin->accept_paused_until_ms < next) {
        next = admin->accept_paused_until_ms;
    }
    if (next == INT64_MAX) {
        return -1;
    }
    if (next <= now) {
        return 0;
    }
    return next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

/* ---- requests ------------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static void text_response(struct response *response, int status, const char *body)
{
    response->status = status;
    response->content_type = TEXT_PLAIN;
    response->extra_headers = NULL;
    response->body = body;
    response->body_len = strlen(body);
}

static void serve_healthz(struct br_admin *admin, struct response *response)
{
    text_response(response, 200, "ok\n");
}

static void serve_readyz(struct br_admin *admin, struct response *response)
{
    char reason[256];

    reason[0] = '\0';
    if (!admin->ready || admin->ready(admin->opaque, reason, sizeof(reason))) {
        text_response(response, 200, "ok\n");
        return;
    }
    reason[sizeof(reason) - 1] = '\0';
    for (char *p = reason; *p; p++) { /* one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = ' ';
        }
    }
    br_buf_reset(&admin->body);
    br_buf_append_str(&admin->body, reason[0] ? reason : "not ready");
    br_buf_append_char(&admin->body, '\n');
    text_response(response, 503, admin->body.data);
}

static void serve_metrics(struct br_admin *admin, struct response *response)
{
    if (!admin->metrics) {
        text_response(response, 404, "not found\n");
        return;
    }
    br_buf_reset(&admin->body);
    if (admin->metrics(admin->opaque, &admin->body) != 0 || admin->body.overflow) {
        br_log_warn("admin", "/metrics: the metrics could not be rendered");
        text_response(response, 500, "metrics unavailable\n");
        return;
    }
    response->status = 200;
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    response->extra_headers = NULL;
    response->body = admin->body.data ? admin->body.data : "";
    response->body_len = admin->body.len;
}

static const struct {
    const char *path;
    void (*serve)(struct br_admin *admin, struct response *response);
} routes[] = {
    {"/healthz", serve_healthz},
    {"/readyz", serve_readyz},
    {"/metrics", serve_metrics},
};

/*
 * Decides the response to the request line in line[0..len). The method is checked first: any
 * method but GET and HEAD is 405 whatever the path.
 */
static void route(struct br_admin *admin, const char *line, size_t len, bool *head,
                  struct response *response)
{
    const char *method_end = memchr(line, ' ', len);
    const char *target;
    const char *target_end;
    size_t path_len;

    *head = false;
    if (!method_end || method_end == line) {
        text_response(response, 400, "bad request\n");
        return;
    }
    target = method_end + 1;
    target_end = memchr(target, ' ', len - (size_t)(target - line));
    if (!target_end || target_end == target ||
        (size_t)(line + len - (target_end + 1)) != strlen("HTTP/1.1") ||
        memcmp(target_end + 1, "HTTP/1.", strlen("HTTP/1.")) != 0) {
        text_response(response, 400, "bad request\n");
        return;
    }
    *head = method_end - line == 4 && memcmp(line, "HEAD", 4) == 0;
    if (!*head && !(method_end - line == 3 && memcmp(line, "GET", 3) == 0)) {
        text_response(response, 405, "method not allowed\n");
        response->extra_headers = "Allow: GET, HEAD\r\n";
        return;
    }
    path_len = (size_t)(target_end - target);
    {
        const char *query = memchr(target, '?', path_len);

        if (query) {
            path_len = (size_t)(query - target);
        }
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strlen(routes[i].path) == path_len && memcmp(routes[i].path, target, path_len) == 0) {
            routes[i].serve(admin, response);
            return;
        }
    }
    text_response(response, 404, "not found\n");
}

static void conn_respond(struct br_admin *admin, struct conn *conn, const struct response *response,
                         bool head, int64_t now)
{
    br_buf_reset(&conn->out);
    br_buf_printf(&conn->out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
                  response->status, reason_phrase(response->status), response->content_type,
                  response->body_len, response->extra_headers ? response->extra_headers : "");
    if (!head) {
        br_buf_append(&conn->out, response->body, response->body_len);
    }
    conn->out_off = 0;
    conn->state = CONN_WRITING;
    conn->deadline_ms = now + admin->idle_timeout_ms;
}

/* The end of the headers ("\r\n\r\n", or "\n\n" from a lenient client), or NULL. */
static const char *headers_end(const char *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\n' &&
            (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n'))) {
            return data + i;
        }
    }
    return NULL;
}

static void conn_read(struct br_admin *admin, struct conn *conn, int64_t now)
{
    struct response response;
    bool head = false;

    while (conn->in_len < admin->max_request) {
        ssize_t n = recv(conn->fd, conn->in + conn->in_len, admin->max_request - conn->in_len, 0);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n <= 0) { /* closed before a whole request, or reset */
            conn_close(admin, conn);
            return;
        }
        conn->in_len += (size_t)n;
        if (headers_end(conn->in, conn->in_len)) {
            const char *eol = memchr(conn->in, '\n', conn->in_len);
            size_t line_len = (size_t)(eol - conn->in);

            if (line_len > 0 && conn->in[line_len - 1] == '\r') {
                line_len--;
            }
            route(admin, conn->in, line_len, &head, &response);
            conn_respond(admin, conn, &response, head, now);
            return;
        }
    }
    text_response(&response, 431, "request too large\n");
    conn_respond(admin, conn, &response, false, now);
}

static void conn_write(struct br_admin *admin, struct conn *conn, int64_t now)
{
    while (conn->out_off < conn->out.len) {
        ssize_t n = send(conn->fd, conn->out.data + conn->out_off, conn->out.len - conn->out_off,
                         MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0) {
            conn_close(admin, conn);
            return;
        }
        conn->out_off += (size_t)n;
        conn->deadline_ms = now + admin->idle_timeout_ms;
    }
    /*
     * Shut the write side and read what the client still sends until it closes: closing with
     * unread input would reset the connection and could destroy the response in flight.
     */
    br_buf_finish(&conn->out);
    conn->out_off = 0;
    shutdown(conn->fd, SHUT_WR);
    conn->state = CONN_LINGER;
    conn->deadline_ms =
        now + (admin->idle_timeout_ms < LINGER_MAX_MS ? admin->idle_timeout_ms : LINGER_MAX_MS);
}

static void conn_drain(struct br_admin *admin, struct conn *conn)
{
    char sink[4096];

    for (;;) {
        ssize_t n = recv(conn->fd, sink, sizeof(sink), 0);

        if (n > 0 || (n < 0 && errno == EINTR)) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        conn_close(admin, conn);
        return;
    }
}

static void conn_serve(struct br_admin *admin, struct conn *conn, int64_t now)
{
    if (conn->state == CONN_READING) {
        conn_read(admin, conn, now);
    }
    if (conn->state == CONN_WRITING) {
        conn_write(admin, conn, now);
    }
    if (conn->state == CONN_LINGER) {
        conn_drain(admin, conn);
    }
}

static struct conn *free_conn(struct br_admin *admin)
{
    for (size_t i = 0; i < admin->max_connections; i++) {
        if (admin->conns[i].state == CONN_FREE) {
            return &admin->conns[i];
        }
    }
    return NULL;
}

static void accept_all(struct br_admin *admin, int64_t now)
{
    while (accepting(admin, now)) {
        struct conn *conn;
        int fd = accept4(admin->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                br_log_warn("admin", "accept on %s: %s", admin->address, strerror(errno));
                admin->accept_paused_until_ms = now + ACCEPT_PAUSE_MS;
            }
            return;
        }
        conn = free_conn(admin);
        conn->fd = fd;
        conn->state = CONN_READING;
        conn->in_len = 0;
        conn->out_off = 0;
        conn->deadline_ms = now + admin->idle_timeout_ms;
        admin->open++;
        conn_serve(admin, conn, now);
    }
}

void br_admin_serve(struct br_admin *admin)
{
    struct pollfd *fds = admin->pollfds;
    struct conn **owners = admin->owners;
    size_t n = 0;
    int64_t now = now_ms();

    if (accepting(admin, now)) {
        fds[n].fd = admin->listen_fd;
        fds[n].events = POLLIN;
        owners[n++] = NULL;
    }
    for (size_t i = 0; i < admin->max_connections; i++) {
        struct conn *conn = &admin->conns[i];

        if (conn->state == CONN_FREE) {
            continue;
        }
        fds[n].fd = conn->fd;
        fds[n].events = conn->state == CONN_WRITING ? POLLOUT : POLLIN;
        owners[n++] = conn;
    }
    if (n > 0 && poll(fds, n, 0) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (owners[i]) {
                conn_serve(admin, owners[i], now);
            } else {
                accept_all(admin, now);
            }
        }
    }
    for (size_t i = 0; i < admin->max_connections; i++) {
        struct conn *conn = &admin->conns[i];

        if (conn->state != CONN_FREE && now >= conn->deadline_ms) {
            conn_close(admin, conn);
        }
    }
}
