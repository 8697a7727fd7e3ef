/*
 * PROTOTYPE for measurement (issue 6, item 4): admin.h served by libmicrohttpd in external
 * epoll mode. HTTP parsing and responses are libmicrohttpd's; admission (the eviction of the
 * oldest connection and the header deadline) is done behind its back with shutdown(2) on the
 * connection's socket, the only way in its API to end a connection that has not yet reached the
 * access handler.
 *
 * Build: cmake -DBR_ADMIN_MHD=ON (replaces admin.c; needs libmicrohttpd-dev). Run with
 * BR_MHD_PLAIN=1 for libmicrohttpd's own admission only (its connection limit at
 * max_connections, its idle timeout in whole seconds, no eviction, no header deadline).
 * Measured against admin.c in docs/architecture.md; not part of the bridge.
 */
#include "ops/admin.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
#define HEADROOM 64 /* connections shut but not yet reaped by libmicrohttpd */
#define EVICTION_LOG_MS 60000

struct mconn {
    struct MHD_Connection *connection;
    int fd;
    bool shut; /* shutdown(2) by us: libmicrohttpd reaps it on its next run */
};

struct br_admin {
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    int epoll_fd;
    char *address;
    struct br_conns_timeouts timeouts;
    size_t max_connections;
    size_t max_request;
    size_t slot_count; /* max_connections + HEADROOM */
    struct mconn *conns;
    struct br_conns_slot *slots;
    size_t open; /* not shut */
    uint64_t accepted;
    uint64_t evicted;
    int64_t evicted_logged_ms;
    struct br_endpoints endpoints;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_shut(struct br_admin *admin, size_t i)
{
    shutdown(admin->conns[i].fd, SHUT_RDWR);
    admin->conns[i].shut = true;
    admin->open--;
}

static size_t victim(const struct br_admin *admin)
{
    size_t best = admin->slot_count;

    for (size_t i = 0; i < admin->slot_count; i++) {
        if (admin->slots[i].state == BR_CONNS_FREE || admin->conns[i].shut) {
            continue;
        }
        if (best == admin->slot_count || admin->slots[i].serial < admin->slots[best].serial) {
            best = i;
        }
    }
    return best;
}

static void notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                   enum MHD_ConnectionNotificationCode toe)
{
    struct br_admin *admin = cls;
    int64_t now = now_ms();

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        size_t i;

        if (admin->open >= admin->max_connections && !getenv("BR_MHD_PLAIN")) {
            size_t v = victim(admin);

            if (v < admin->slot_count) {
                conn_shut(admin, v);
                admin->evicted++;
                if (admin->evicted_logged_ms == 0 ||
                    now - admin->evicted_logged_ms >= EVICTION_LOG_MS) {
                    br_log_warn("admin",
                                "%s: %llu connection(s) closed to make room for new ones (all "
                                "%zu taken by slow or idle clients; admin.max_connections)",
                                admin->address, (unsigned long long)admin->evicted,
                                admin->max_connections);
                    admin->evicted = 0;
                    admin->evicted_logged_ms = now;
                }
            }
        }
        i = br_conns_free(admin->slots, admin->slot_count);
        if (i == admin->slot_count) {
            abort(); /* the daemon's limit is slot_count */
        }
        admin->conns[i].connection = connection;
        admin->conns[i].fd = info ? info->connect_fd : -1;
        admin->conns[i].shut = false;
        admin->slots[i].state = BR_CONNS_READING;
        admin->slots[i].accepted_ms = now;
        admin->slots[i].active_ms = now;
        admin->slots[i].serial = admin->accepted++;
        admin->open++;
        *socket_context = &admin->conns[i];
        return;
    }
    if (*socket_context) {
        struct mconn *conn = *socket_context;
        size_t i = (size_t)(conn - admin->conns);

        if (!conn->shut) {
            admin->open--;
        }
        admin->slots[i].state = BR_CONNS_FREE;
        conn->connection = NULL;
        conn->fd = -1;
        *socket_context = NULL;
    }
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct br_admin *admin = cls;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct br_http1_response response;
    struct MHD_Response *mresponse;
    char line[512];
    bool head;
    int len;
    enum MHD_Result ret;

    if (info && info->socket_context) {
        struct mconn *conn = info->socket_context;

        admin->slots[conn - admin->conns].state = BR_CONNS_WRITING;
    }
    len = snprintf(line, sizeof(line), "%s %s HTTP/1.1", method, url);
    if (len < 0 || (size_t)len >= sizeof(line)) {
        len = snprintf(line, sizeof(line), "%s /too-long HTTP/1.1", method);
    }
    br_endpoints_route(&admin->endpoints, line, (size_t)len, &head, &response);
    mresponse = MHD_create_response_from_buffer(response.body_len, (void *)response.body,
                                                MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(mresponse, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type);
    MHD_add_response_header(mresponse, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(mresponse, MHD_HTTP_HEADER_CONNECTION, "close");
    if (response.status == 405) {
        MHD_add_response_header(mresponse, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    ret = MHD_queue_response(connection, (unsigned int)response.status, mresponse);
    MHD_destroy_response(mresponse);
    return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    vsnprintf(line, sizeof(line), fmt, ap);
    br_log_debug("admin", "libmicrohttpd: %s", line);
}

enum br_admin_err br_admin_create(const struct br_admin_conf *conf, struct br_admin **adminp,
                                  char *errstr, size_t errstr_size)
{
    struct br_admin *admin = NULL;
    enum br_admin_err err = BR_ADMIN_ERR_ARG;
    const union MHD_DaemonInfo *info;
    unsigned int idle_s;

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
    admin->timeouts.header_timeout_ms =
        conf->header_timeout_ms ? conf->header_timeout_ms : DEFAULT_HEADER_TIMEOUT_MS;
    admin->timeouts.idle_timeout_ms =
        conf->idle_timeout_ms ? conf->idle_timeout_ms : DEFAULT_IDLE_TIMEOUT_MS;
    admin->timeouts.linger_ms = 1000;
    admin->max_connections =
        conf->max_connections ? conf->max_connections : DEFAULT_MAX_CONNECTIONS;
    admin->max_request = conf->max_request ? conf->max_request : DEFAULT_MAX_REQUEST;
    admin->slot_count = admin->max_connections + (getenv("BR_MHD_PLAIN") ? 0 : HEADROOM);
    br_endpoints_init(&admin->endpoints, conf->ready, conf->metrics, conf->opaque);
    admin->address = strdup(conf->listen);
    admin->conns = calloc(admin->slot_count, sizeof(*admin->conns));
    admin->slots = calloc(admin->slot_count, sizeof(*admin->slots));
    if (!admin->address || !admin->conns || !admin->slots) {
        abort();
    }
    err = br_listener_open(conf->listen, &admin->listen_fd, errstr, errstr_size);
    if (err != BR_ADMIN_OK) {
        goto fail;
    }
    admin->port = br_listener_port(admin->listen_fd);
    idle_s = (unsigned int)((admin->timeouts.idle_timeout_ms + 999) / 1000);
    admin->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, admin,
        MHD_OPTION_LISTEN_SOCKET, admin->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)admin->slot_count,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(admin->max_request + 4096),
        MHD_OPTION_NOTIFY_CONNECTION, notify, admin,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
    if (!admin->daemon) {
        snprintf(errstr, errstr_size, "admin.listen \"%s\": libmicrohttpd did not start",
                 conf->listen);
        err = BR_ADMIN_ERR_LISTEN;
        goto fail;
    }
    info = MHD_get_daemon_info(admin->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    admin->epoll_fd = info ? info->epoll_fd : -1;
    *adminp = admin;
    return BR_ADMIN_OK;

fail:
    br_admin_destroy(admin);
    return err;
}

void br_admin_destroy(struct br_admin *admin)
{
    if (!admin) {
        return;
    }
    if (admin->daemon) {
        MHD_stop_daemon(admin->daemon);
    }
    if (admin->listen_fd >= 0) {
        close(admin->listen_fd);
    }
    br_endpoints_finish(&admin->endpoints);
    free(admin->conns);
    free(admin->slots);
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
    return 1;
}

size_t br_admin_waitfds(const struct br_admin *admin, struct curl_waitfd *fds, size_t cap)
{
    if (cap == 0) {
        return 0;
    }
    fds[0].fd = admin->epoll_fd;
    fds[0].events = CURL_WAIT_POLLIN;
    fds[0].revents = 0;
    return 1;
}

int br_admin_timeout_ms(const struct br_admin *admin)
{
    MHD_UNSIGNED_LONG_LONG mhd_timeout;
    int64_t now = now_ms();
    int64_t next = INT64_MAX;

    for (size_t i = 0; i < admin->slot_count; i++) {
        if (admin->slots[i].state == BR_CONNS_READING && !admin->conns[i].shut) {
            int64_t deadline = admin->slots[i].accepted_ms + admin->timeouts.header_timeout_ms;

            if (deadline < next) {
                next = deadline;
            }
        }
    }
    if (MHD_get_timeout(admin->daemon, &mhd_timeout) == MHD_YES &&
        (int64_t)mhd_timeout < next - now) {
        next = now + (int64_t)mhd_timeout;
    }
    if (next == INT64_MAX) {
        return -1;
    }
    if (next <= now) {
        return 0;
    }
    return next - now > INT32_MAX ? INT32_MAX : (int)(next - now);
}

void br_admin_serve(struct br_admin *admin)
{
    int64_t now = now_ms();

    for (size_t i = 0; i < admin->slot_count; i++) {
        if (admin->slots[i].state == BR_CONNS_READING && !admin->conns[i].shut &&
            !getenv("BR_MHD_PLAIN") && now >= admin->slots[i].accepted_ms + admin->timeouts.header_timeout_ms) {
            conn_shut(admin, i);
        }
    }
    MHD_run(admin->daemon);
}
