#ifndef BR_LOOP_H
#define BR_LOOP_H
/*
 * The event loop: one thread owns the consumer, the lanes, the sender and the offsets. Each turn
 * drains the consumer queue up to the free window, starts the heads of ready lanes, harvests
 * completions, fires due retries, stores and commits offsets, then waits in one epoll_wait on
 * the transfers' sockets (br_sender_wait), the consumer's wake-up descriptor and the stop
 * descriptor.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct br_loop;

struct br_loop_stats {
    uint64_t messages;      /* taken from Kafka */
    uint64_t delivered;     /* deliveries finished with 2xx */
    uint64_t attempts_failed;
    uint64_t skipped;       /* not events: tombstones, truncates, skipped snapshot reads */
    uint64_t undeliverable; /* messages that cannot be decoded or rendered */
    uint64_t dead_lettered; /* dead letters acknowledged by the brokers */
    uint64_t dropped;       /* passed over by policy drop */
};

/* stop_fd: readable when the loop must shut down (written by the signal handler). */
struct br_loop *br_loop_create(const struct br_conf *conf, int stop_fd, char *errstr,
                               size_t errstr_size);
/*
 * reload_fd: readable when the configuration file must be reloaded (SIGHUP's eventfd; the loop
 * reads it). Without one, only reload.watch_interval_ms reloads.
 */
void br_loop_set_reload_fd(struct br_loop *loop, int reload_fd);
/* Runs until stop_fd fires and the shutdown completes. Returns 0 on a clean shutdown. */
int br_loop_run(struct br_loop *loop);
void br_loop_destroy(struct br_loop *loop);

#endif
