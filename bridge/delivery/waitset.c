#include "delivery/waitset.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/epoll.h>

#include "core/log.h"

#define READY_MAX 64 /* ready descriptors taken per epoll_wait; the rest come at the next */

enum watch_kind { WATCH_NONE, WATCH_CURL, WATCH_EXTRA };

/* What the set knows of one descriptor: the events wanted and the events registered. */
struct watch {
    uint32_t want;        /* EPOLLIN | EPOLLOUT | EPOLLPRI; 0: not wanted */
    uint32_t registered;  /* the events in the epoll set; 0: not in it */
    unsigned char kind;   /* enum watch_kind */
    bool ours;            /* a connection's socket: br_waitset_opened, br_waitset_closing */
    bool stable;          /* extra: the caller keeps it open while it is listed */
    uint32_t seen;        /* libcurl's socket: the events of the last wait, not yet handed */
    unsigned listed;      /* extra: the number of the last wait that listed it */
    unsigned index;       /* extra: its index in that wait's list */
};

struct br_waitset {
    int epoll_fd;
    struct watch *watches; /* indexed by descriptor */
    size_t watch_cap;
    struct epoll_event ready[READY_MAX]; /* what the last wait saw */
    int ready_count;
    int ready_next;        /* br_waitset_next_ready's position in ready */
    int *extras;           /* the descriptors of the last wait's extra list */
    size_t extra_count;
    size_t extra_cap;
    unsigned wait_number;
};

struct br_waitset *br_waitset_create(char *errstr, size_t errstr_size)
{
    struct br_waitset *set = calloc(1, sizeof(*set));

    if (!set) {
        abort();
    }
    set->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (set->epoll_fd < 0) {
        snprintf(errstr, errstr_size, "epoll_create1: %s", strerror(errno));
        free(set);
        return NULL;
    }
    return set;
}

void br_waitset_destroy(struct br_waitset *set)
{
    if (!set) {
        return;
    }
    close(set->epoll_fd);
    free(set->watches);
    free(set->extras);
    free(set);
}

/* fd's entry in the table, grown as needed. */
static struct watch *watch_at(struct br_waitset *set, int fd)
{
    if ((size_t)fd >= set->watch_cap) {
        size_t cap = set->watch_cap ? set->watch_cap : 64;
        struct watch *grown;

        while (cap <= (size_t)fd) {
            cap *= 2;
        }
        grown = realloc(set->watches, cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        memset(grown + set->watch_cap, 0, (cap - set->watch_cap) * sizeof(*grown));
        set->watches = grown;
        set->watch_cap = cap;
    }
    return &set->watches[fd];
}

/*
 * Puts fd in the epoll set for events (0: out of it). force: even when the table says it is
 * registered so (fd may have been closed and opened again since: the set forgot it). Errors
 * are logged.
 */
static void watch_register(struct br_waitset *set, int fd, struct watch *watch, uint32_t events,
                           bool force)
{
    struct epoll_event event = {.events = events, .data.fd = fd};
    int rc = 0;

    if (events == watch->registered && !force) {
        return;
    }
    if (events == 0) {
        /* gone already when fd was closed: ENOENT and EBADF are fine */
        epoll_ctl(set->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    } else if (watch->registered == 0) {
        rc = epoll_ctl(set->epoll_fd, EPOLL_CTL_ADD, fd, &event);
        if (rc != 0 && errno == EEXIST) {
            rc = epoll_ctl(set->epoll_fd, EPOLL_CTL_MOD, fd, &event);
        }
    } else {
        rc = epoll_ctl(set->epoll_fd, EPOLL_CTL_MOD, fd, &event);
        if (rc != 0 && errno == ENOENT) {
            rc = epoll_ctl(set->epoll_fd, EPOLL_CTL_ADD, fd, &event);
        }
    }
    if (rc != 0) {
        br_log_error("sender", "epoll_ctl(%d): %s", fd, strerror(errno));
        events = 0;
    }
    watch->registered = events;
}

void br_waitset_curl(struct br_waitset *set, int fd, int what)
{
    struct watch *watch = watch_at(set, fd);

    if (what == CURL_POLL_REMOVE) {
        watch->want = 0;
        watch->seen = 0;
        if (!watch->ours) {
            /* libcurl's own descriptor (a resolver's): may be closed already */
            watch_register(set, fd, watch, 0, false);
            watch->kind = WATCH_NONE;
        }
        return;
    }
    /* the entry of a number that was not libcurl's (an extra its owner closed since) says
     * nothing of this file: registered again whatever it says */
    bool fresh = watch->kind != WATCH_CURL;

    watch->kind = WATCH_CURL;
    watch->want = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    watch_register(set, fd, watch, watch->want, fresh);
}

void br_waitset_opened(struct br_waitset *set, int fd)
{
    struct watch *watch = watch_at(set, fd);

    /* a new file: the epoll set forgot whatever had this number before (closed), but libcurl
     * may go on wanting what it wanted for the number without saying so again */
    if (watch->kind != WATCH_CURL) {
        watch->kind = WATCH_CURL;
        watch->want = 0;
    }
    watch->ours = true;
    watch->seen = 0;
    watch->registered = 0;
    watch_register(set, fd, watch, watch->want, false);
}

void br_waitset_closing(struct br_waitset *set, int fd)
{
    struct watch *watch = watch_at(set, fd);

    watch_register(set, fd, watch, 0, false);
    memset(watch, 0, sizeof(*watch));
}

static uint32_t epoll_events(short curl_events)
{
    return ((curl_events & CURL_WAIT_POLLIN) ? EPOLLIN : 0) |
           ((curl_events & CURL_WAIT_POLLPRI) ? EPOLLPRI : 0) |
           ((curl_events & CURL_WAIT_POLLOUT) ? EPOLLOUT : 0);
}

static short curl_events(uint32_t events)
{
    return (short)(((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? CURL_WAIT_POLLIN : 0) |
                   ((events & EPOLLPRI) ? CURL_WAIT_POLLPRI : 0) |
                   ((events & EPOLLOUT) ? CURL_WAIT_POLLOUT : 0));
}

/* Registers this wait's extra descriptors and unregisters the last wait's that left the list. */
static void list_extras(struct br_waitset *set, struct curl_waitfd *extra, unsigned count,
                        unsigned stable_count, unsigned number)
{
    for (unsigned i = 0; i < count; i++) {
        int fd = extra[i].fd;
        uint32_t events = epoll_events(extra[i].events);
        bool stable = i < stable_count;
        struct watch *watch;

        extra[i].revents = 0;
        if (fd < 0) {
            continue; /* ignored, as poll() ignores it */
        }
        watch = watch_at(set, fd);
        /* a stable one listed before is registered still; any other is checked again */
        watch_register(set, fd, watch, events,
                       !(stable && watch->kind == WATCH_EXTRA && watch->stable));
        watch->kind = WATCH_EXTRA;
        watch->want = events;
        watch->stable = stable;
        watch->listed = number;
        watch->index = i;
    }
    for (size_t i = 0; i < set->extra_count; i++) {
        int fd = set->extras[i];
        struct watch *watch = watch_at(set, fd);

        if (watch->kind == WATCH_EXTRA && watch->listed != number) {
            watch_register(set, fd, watch, 0, false);
            memset(watch, 0, sizeof(*watch));
        }
    }
    if (count > set->extra_cap) {
        int *grown = realloc(set->extras, count * sizeof(*grown));

        if (!grown) {
            abort();
        }
        set->extras = grown;
        set->extra_cap = count;
    }
    set->extra_count = 0;
    for (unsigned i = 0; i < count; i++) {
        if (extra[i].fd >= 0) {
            set->extras[set->extra_count++] = extra[i].fd;
        }
    }
}

int br_waitset_wait(struct br_waitset *set, struct curl_waitfd *extra, unsigned extra_count,
                    unsigned stable_count, int timeout_ms)
{
    unsigned number = ++set->wait_number;
    int got;
    int ready = 0;

    if (number == 0) {
        number = ++set->wait_number; /* 0 is "never listed" */
    }
    list_extras(set, extra, extra_count, stable_count, number);
    set->ready_count = 0;
    set->ready_next = 0;
    got = epoll_wait(set->epoll_fd, set->ready, READY_MAX, timeout_ms);
    if (got < 0) {
        if (errno == EINTR) {
            return 0; /* a signal: the loop looks at its flags */
        }
        br_log_error("sender", "epoll_wait: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < got; i++) {
        int fd = set->ready[i].data.fd;
        uint32_t events = set->ready[i].events;
        struct watch *watch = watch_at(set, fd);

        if (watch->kind == WATCH_EXTRA && watch->listed == number) {
            extra[watch->index].revents = curl_events(events);
            ready++;
        } else if (watch->kind == WATCH_CURL && watch->want != 0) {
            watch->seen = events;
            ready++;
        } else {
            /* wanted by nobody now (a kept-alive socket between requests whose peer closed
             * it or wrote to it): out of the set until libcurl wants it again */
            watch_register(set, fd, watch, 0, false);
        }
    }
    set->ready_count = got;
    return ready;
}

bool br_waitset_next_ready(struct br_waitset *set, int *fd, int *mask)
{
    /* libcurl changes the table while it works: each socket is looked at again when its
     * turn comes */
    while (set->ready_next < set->ready_count) {
        int next = set->ready[set->ready_next++].data.fd;
        struct watch *watch = watch_at(set, next);
        uint32_t seen = watch->seen;

        if (watch->kind != WATCH_CURL || watch->want == 0 || seen == 0) {
            continue;
        }
        watch->seen = 0;
        *fd = next;
        *mask = ((seen & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) |
                ((seen & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                ((seen & EPOLLERR) ? CURL_CSELECT_ERR : 0);
        return true;
    }
    set->ready_count = 0;
    set->ready_next = 0;
    return false;
}
