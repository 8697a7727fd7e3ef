/*
 * The admin listener (see admin.h): its lifecycle and its connections, each read until the end
 * of its request's headers, answered, then drained and closed, all without blocking. The socket
 * is listener.c, the HTTP/1.1 wire format http1.c, the endpoints and routing endpoints.c, the
 * deadlines and the choice of the connection that gives way to a new one conns.c.
 */
#include "ops/admin.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "ops/conns.h"
#include "ops/endpoints.h"
#include "ops/http1.h"
#include "ops/listener.h"

#define DEFAULT_HEADER_TIMEOUT_MS 2000
#define DEFAULT_IDLE_TIMEOUT_MS 1000
#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_MAX_REQUEST 8192
#define MAX_CONNECTIONS_LIMIT 4096
#define MAX_REQUEST_LIMIT (1024 * 1024)
#define LINGER_MAX_MS 1000     /* reading what a client still sends after its response */
#define ACCEPT_PAUSE_MS 100    /* after an accept error that closing a connection cannot cure */
#define ACCEPT_BATCH 64        /* accepts per br_admin_serve: a flood cannot hold the loop */
#define EVICTION_LOG_MS 60000  /* at most one line about evictions per minute */
#define RESPONSE_LIMIT (BR_ADMIN_METRICS_LIMIT + 4096u)

/* A connection; its state and times are the slot of the same index (conns.h). */
struct conn {
    int fd;
    struct br_conns_slot *slot;
    char *in;      /* max_request bytes, owned by the admin's block */
    size_t in_len;
    struct br_buf out;
    size_t out_off;
};

struct br_admin {
    int listen_fd;
    int port;
    char *address; /* as configured, for messages */
    struct br_conns_timeouts timeouts;
    size_t max_connections;
    size_t max_request;
    struct conn *conns;
    struct br_conns_slot *slots; /* parallel to conns */
    char *in_block;
    size_t open;
    uint64_t accepted;           /* connections accepted so far: the next serial */
    uint64_t evicted;            /* connections closed for a new one, since the last log line */
    int64_t evicted_logged_ms;   /* when that line was written (0: never) */
    int64_t accept_paused_until_ms;
    struct pollfd *pollfds; /* 1 + max_connections, for br_admin_serve */
    struct conn **owners;   /* the connection of each pollfd (NULL: the listener) */
    struct br_endpoints endpoints; /* callbacks, and the buffer reused for response bodies */
};

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
    if (conf->header_timeout_ms < 0 || conf->idle_timeout_ms < 0) {
        snprintf(errstr, errstr_size, "admin: a timeout is negative (header %d ms, idle %d ms)",
                 conf->header_timeout_ms, conf->idle_timeout_ms);
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
    admin->timeouts.header_timeout_ms = conf->header_timeout_ms ? conf->header_timeout_ms
                                                                : DEFAULT_HEADER_TIMEOUT_MS;
    admin->timeouts.idle_timeout_ms = conf->idle_timeout_ms ? conf->idle_timeout_ms
                                                            : DEFAULT_IDLE_TIMEOUT_MS;
    admin->timeouts.linger_ms = admin->timeouts.idle_timeout_ms < LINGER_MAX_MS
                                    ? admin->timeouts.idle_timeout_ms
                                    : LINGER_MAX_MS;
    admin->max_connections = conf->max_connections ? conf->max_connections
                                                   : DEFAULT_MAX_CONNECTIONS;
    admin->max_request = conf->max_request ? conf->max_request : DEFAULT_MAX_REQUEST;
    br_endpoints_init(&admin->endpoints, conf->ready, conf->metrics, conf->opaque);
    address_len = strlen(conf->listen);
    admin->address = malloc(address_len + 1);
    admin->conns = calloc(admin->max_connections, sizeof(*admin->conns));
    admin->slots = calloc(admin->max_connections, sizeof(*admin->slots));
    admin->in_block = malloc(admin->max_connections * admin->max_request);
    admin->pollfds = calloc(1 + admin->max_connections, sizeof(*admin->pollfds));
    admin->owners = calloc(1 + admin->max_connections, sizeof(*admin->owners));
    if (!admin->address || !admin->conns || !admin->slots || !admin->in_block || !admin->pollfds ||
        !admin->owners) {
        abort();
    }
    memcpy(admin->address, conf->listen, address_len + 1);
    for (size_t i = 0; i < admin->max_connections; i++) {
        admin->conns[i].fd = -1;
        admin->conns[i].slot = &admin->slots[i];
        admin->conns[i].in = admin->in_block + i * admin->max_request;
        br_buf_init(&admin->conns[i].out, RESPONSE_LIMIT);
    }
    err = br_listener_open(conf->listen, &admin->listen_fd, errstr, errstr_size);
    if (err != BR_ADMIN_OK) {
        goto fail;
    }
    admin->port = br_listener_port(admin->listen_fd);
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
    conn->slot->state = BR_CONNS_FREE;
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
        if (admin->slots[i].state != BR_CONNS_FREE) {
            conn_close(admin, &admin->conns[i]);
        }
    }
    if (admin->listen_fd >= 0) {
        close(admin->listen_fd);
    }
    br_endpoints_finish(&admin->endpoints);
    free(admin->conns);
    free(admin->slots);
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

/* The listener is always watched (a full house gives way to a new connection), unless paused. */
static bool accepting(const struct br_admin *admin, int64_t now)
{
    return now >= admin->accept_paused_until_ms;
}

size_t br_admin_waitfds(const struct br_admin *admin, struct curl_waitfd *fds, size_t cap)
{
    size_t n = 0;

    if (n < cap && accepting(admin, br_clock_monotonic_ms())) {
        fds[n].fd = admin->listen_fd;
        fds[n].events = CURL_WAIT_POLLIN;
        fds[n].revents = 0;
        n++;
    }
    for (size_t i = 0; i < admin->max_connections && n < cap; i++) {
        const struct conn *conn = &admin->conns[i];

        if (conn->slot->state == BR_CONNS_FREE) {
            continue;
        }
        fds[n].fd = conn->fd;
        fds[n].events =
            conn->slot->state == BR_CONNS_WRITING ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

int br_admin_timeout_ms(const struct br_admin *admin)
{
    int64_t now = br_clock_monotonic_ms();
    int64_t next = INT64_MAX;

    for (size_t i = 0; i < admin->max_connections; i++) {
        int64_t deadline = br_conns_deadline(&admin->slots[i], &admin->timeouts);

        if (deadline < next) {
            next = deadline;
        }
    }
    if (admin->accept_paused_until_ms > now && admin->accept_paused_until_ms < next) {
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

/* ---- connections --------------------------------------------------------------------------- */

static void conn_respond(struct conn *conn, const struct br_http1_response *response, bool head,
                         int64_t now)
{
    br_http1_write(&conn->out, response, head);
    conn->out_off = 0;
    conn->slot->state = BR_CONNS_WRITING;
    conn->slot->active_ms = now;
}

static void conn_read(struct br_admin *admin, struct conn *conn, int64_t now)
{
    struct br_http1_response response;
    bool head = false;

    while (conn->in_len < admin->max_request) {
        ssize_t n = recv(conn->fd, conn->in + conn->in_len, admin->max_request - conn->in_len, 0);
        size_t from;

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
        /* only the new bytes (and the 3 before them) can complete the blank line */
        from = conn->in_len > 3 ? conn->in_len - 3 : 0;
        conn->in_len += (size_t)n;
        conn->slot->active_ms = now;
        if (br_http1_headers_end(conn->in + from, conn->in_len - from)) {
            size_t line_len = br_http1_line_len(conn->in, conn->in_len);

            br_endpoints_route(&admin->endpoints, conn->in, line_len, &head, &response);
            conn_respond(conn, &response, head, now);
            return;
        }
    }
    br_http1_text(&response, 431, "request too large\n");
    conn_respond(conn, &response, false, now);
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
        conn->slot->active_ms = now;
    }
    /*
     * Shut the write side and read what the client still sends until it closes: closing with
     * unread input would reset the connection and could destroy the response in flight.
     */
    br_buf_finish(&conn->out);
    conn->out_off = 0;
    shutdown(conn->fd, SHUT_WR);
    conn->slot->state = BR_CONNS_LINGER;
    conn->slot->active_ms = now;
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
    if (conn->slot->state == BR_CONNS_READING) {
        conn_read(admin, conn, now);
    }
    if (conn->slot->state == BR_CONNS_WRITING) {
        conn_write(admin, conn, now);
    }
    if (conn->slot->state == BR_CONNS_LINGER) {
        conn_drain(admin, conn);
    }
}

/*
 * Closes the connection that gives way to a new one (conns.h); false when none is open. A line
 * at warn level says so, at most once a minute, with the count since the last line.
 */
static bool evict(struct br_admin *admin, int64_t now)
{
    size_t victim = br_conns_victim(admin->slots, admin->max_connections);

    if (victim == admin->max_connections) {
        return false;
    }
    conn_close(admin, &admin->conns[victim]);
    admin->evicted++;
    if (admin->evicted_logged_ms == 0 || now - admin->evicted_logged_ms >= EVICTION_LOG_MS) {
        br_log_warn("admin",
                    "%s: %llu connection(s) closed to make room for new ones (all %zu taken by "
                    "slow or idle clients; admin.max_connections)",
                    admin->address, (unsigned long long)admin->evicted, admin->max_connections);
        admin->evicted = 0;
        admin->evicted_logged_ms = now;
    }
    return true;
}

/* Takes a slot for a new connection, closing the one that gives way when all are taken. */
static struct conn *take_slot(struct br_admin *admin, int64_t now)
{
    size_t i = br_conns_free(admin->slots, admin->max_connections);

    if (i == admin->max_connections) {
        evict(admin, now);
        i = br_conns_free(admin->slots, admin->max_connections);
    }
    return &admin->conns[i];
}

static void accept_some(struct br_admin *admin, int64_t now)
{
    /* at most max_connections at once, so that a batch never evicts its own connections */
    size_t batch = admin->max_connections < ACCEPT_BATCH ? admin->max_connections : ACCEPT_BATCH;

    for (size_t tries = 0; tries < batch && accepting(admin, now);) {
        struct conn *conn;
        int fd = accept4(admin->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if ((errno == EMFILE || errno == ENFILE) && evict(admin, now)) {
                tries++; /* out of descriptors: one of ours frees one */
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                br_log_warn("admin", "accept on %s: %s", admin->address, strerror(errno));
                admin->accept_paused_until_ms = now + ACCEPT_PAUSE_MS;
            }
            return;
        }
        tries++;
        conn = take_slot(admin, now);
        conn->fd = fd;
        conn->in_len = 0;
        conn->out_off = 0;
        conn->slot->state = BR_CONNS_READING;
        conn->slot->accepted_ms = now;
        conn->slot->active_ms = now;
        conn->slot->serial = admin->accepted++;
        admin->open++;
        conn_serve(admin, conn, now);
    }
}

void br_admin_serve(struct br_admin *admin)
{
    struct pollfd *fds = admin->pollfds;
    struct conn **owners = admin->owners;
    size_t n = 0;
    bool listener_ready = false;
    int64_t now = br_clock_monotonic_ms();

    if (accepting(admin, now)) {
        fds[n].fd = admin->listen_fd;
        fds[n].events = POLLIN;
        owners[n++] = NULL;
    }
    for (size_t i = 0; i < admin->max_connections; i++) {
        struct conn *conn = &admin->conns[i];

        if (conn->slot->state == BR_CONNS_FREE) {
            continue;
        }
        fds[n].fd = conn->fd;
        fds[n].events = conn->slot->state == BR_CONNS_WRITING ? POLLOUT : POLLIN;
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
                listener_ready = true;
            }
        }
    }
    /* timed-out connections free their slots before new ones are accepted */
    for (size_t i = 0; i < admin->max_connections; i++) {
        if (admin->slots[i].state != BR_CONNS_FREE &&
            now >= br_conns_deadline(&admin->slots[i], &admin->timeouts)) {
            conn_close(admin, &admin->conns[i]);
        }
    }
    if (listener_ready) {
        accept_some(admin, now);
    }
}
