/* Listing topics off the caller's thread (see topicwatch.h). */
#include "kafka/topicwatch.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

struct br_topicwatch {
    /* set at creation, read-only afterwards */
    rd_kafka_t *rk;                 /* borrowed */
    br_topicwatch_match_fn match;
    void *opaque;                   /* borrowed */
    int interval_ms;
    int timeout_ms;
    int wake_fd;                    /* borrowed */
    const char *log_module;
    pthread_t thread;
    bool started;
    /* shared with the thread, under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* signalled when stop is set; CLOCK_MONOTONIC */
    bool stop;
    struct br_topicwatch_list *found; /* owned until taken */
    unsigned long listings;
};

void br_topicwatch_list_destroy(struct br_topicwatch_list *list)
{
    if (!list) {
        return;
    }
    for (size_t i = 0; i < list->count; i++) {
        free(list->entries[i].topic);
    }
    free(list->entries);
    free(list);
}

struct br_topicwatch_list *br_topicwatch_list(rd_kafka_t *rk, br_topicwatch_match_fn match,
                                              void *opaque, int timeout_ms, char *errstr,
                                              size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    struct br_topicwatch_list *list;
    rd_kafka_resp_err_t err;
    size_t cap = 0;

    err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (err) {
        snprintf(errstr, errstr_size, "listing the topics: %s", rd_kafka_err2str(err));
        return NULL;
    }
    list = calloc(1, sizeof(*list));
    if (!list) {
        abort();
    }
    for (int t = 0; t < md->topic_cnt; t++) {
        const rd_kafka_metadata_topic_t *topic = &md->topics[t];

        if (topic->err || !match(opaque, topic->topic)) {
            continue;
        }
        list->topics++;
        for (int p = 0; p < topic->partition_cnt; p++) {
            struct br_topicwatch_entry *entry;

            if (list->count == cap) {
                size_t grown_cap = cap ? cap * 2 : 16;
                struct br_topicwatch_entry *grown =
                    realloc(list->entries, grown_cap * sizeof(*grown));
                if (!grown) {
                    abort();
                }
                list->entries = grown;
                cap = grown_cap;
            }
            entry = &list->entries[list->count++];
            entry->topic = strdup(topic->topic);
            if (!entry->topic) {
                abort();
            }
            entry->partition = topic->partitions[p].id;
        }
    }
    rd_kafka_metadata_destroy(md);
    return list;
}

/* deadline = now + ms on CLOCK_MONOTONIC (the condition variable's clock). */
static struct timespec deadline_after(int ms)
{
    struct timespec at;

    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += ms / 1000;
    at.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    return at;
}

/* The thread: wait an interval (or the stop), list, hand the list over, wake the owner. */
static void *run(void *arg)
{
    struct br_topicwatch *watch = arg;

    for (;;) {
        struct timespec at = deadline_after(watch->interval_ms);
        struct br_topicwatch_list *list;
        char errstr[256];
        int64_t started;
        bool stop;

        pthread_mutex_lock(&watch->lock);
        while (!watch->stop &&
               pthread_cond_timedwait(&watch->cond, &watch->lock, &at) != ETIMEDOUT) {
        }
        stop = watch->stop;
        pthread_mutex_unlock(&watch->lock);
        if (stop) {
            break;
        }
        /* the listing waits for the brokers with no lock held */
        started = br_clock_monotonic_ms();
        list = br_topicwatch_list(watch->rk, watch->match, watch->opaque, watch->timeout_ms,
                                  errstr, sizeof(errstr));
        if (!list) {
            br_log_warn(watch->log_module, "%s (after %lld ms; trying again in %d ms)", errstr,
                        (long long)(br_clock_monotonic_ms() - started), watch->interval_ms);
        } else {
            br_log_debug(watch->log_module, "listed %zu matching topic(s), %zu partition(s), in "
                         "%lld ms", list->topics, list->count,
                         (long long)(br_clock_monotonic_ms() - started));
        }
        pthread_mutex_lock(&watch->lock);
        watch->listings++;
        if (list) {
            br_topicwatch_list_destroy(watch->found); /* not taken in time: the newer counts */
            watch->found = list;
        }
        pthread_mutex_unlock(&watch->lock);
        if (list) {
            /* full (EAGAIN): the owner has a wake-up pending anyway */
            while (write(watch->wake_fd, "t", 1) < 0 && errno == EINTR) {
            }
        }
    }
    return NULL;
}

struct br_topicwatch *br_topicwatch_create(rd_kafka_t *rk, br_topicwatch_match_fn match,
                                           void *opaque, int interval_ms, int timeout_ms,
                                           int wake_fd, const char *log_module, char *errstr,
                                           size_t errstr_size)
{
    struct br_topicwatch *watch = calloc(1, sizeof(*watch));
    pthread_condattr_t attr;
    sigset_t all;
    sigset_t old;
    int err;

    if (!watch) {
        abort();
    }
    watch->rk = rk;
    watch->match = match;
    watch->opaque = opaque;
    watch->interval_ms = interval_ms;
    watch->timeout_ms = timeout_ms;
    watch->wake_fd = wake_fd;
    watch->log_module = log_module;
    pthread_mutex_init(&watch->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&watch->cond, &attr);
    pthread_condattr_destroy(&attr);
    /* the thread starts with every signal blocked: they stay the loop thread's (the handlers
     * only write eventfds, but a signal taken here would not interrupt the loop's wait) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&watch->thread, NULL, run, watch);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        snprintf(errstr, errstr_size, "starting the topic listing thread: %s", strerror(err));
        br_topicwatch_destroy(watch);
        return NULL;
    }
    watch->started = true;
    return watch;
}

void br_topicwatch_destroy(struct br_topicwatch *watch)
{
    if (!watch) {
        return;
    }
    if (watch->started) {
        pthread_mutex_lock(&watch->lock);
        watch->stop = true;
        pthread_cond_signal(&watch->cond);
        pthread_mutex_unlock(&watch->lock);
        pthread_join(watch->thread, NULL);
    }
    br_topicwatch_list_destroy(watch->found);
    pthread_cond_destroy(&watch->cond);
    pthread_mutex_destroy(&watch->lock);
    free(watch);
}

struct br_topicwatch_list *br_topicwatch_take(struct br_topicwatch *watch)
{
    struct br_topicwatch_list *list;

    pthread_mutex_lock(&watch->lock);
    list = watch->found;
    watch->found = NULL;
    pthread_mutex_unlock(&watch->lock);
    return list;
}

unsigned long br_topicwatch_listings(struct br_topicwatch *watch)
{
    unsigned long listings;

    pthread_mutex_lock(&watch->lock);
    listings = watch->listings;
    pthread_mutex_unlock(&watch->lock);
    return listings;
}
