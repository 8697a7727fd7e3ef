#ifndef BR_LOOPSTATE_H
#define BR_LOOPSTATE_H
/*
 * The event loop's state, shared by loop.c (scheduling, Kafka, offsets, lifecycle) and
 * finish.c (what happens when a delivery or a message is finished). Not a public interface.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/admin.h"
#include "config/conf.h"
#include "kafka/consumer.h"
#include "kafka/deadletter.h"
#include "avro/decode.h"
#include "delivery/health.h"
#include "delivery/lanes.h"
#include "loop/loop.h"
#include "loop/skiplog.h"
#include "ops/metrics.h"
#include "avro/registry.h"
#include "delivery/sender.h"

struct br_dead_pending;

struct br_loop {
    const struct br_conf *conf;
    struct br_registry *registry;
    struct br_decoder *decoder;
    struct br_sender *sender;
    struct br_consumer *consumer;
    struct br_deadletter *deadletter;  /* NULL when neither dead letters nor reports are on */
    struct br_metrics *metrics;
    struct br_admin *admin;            /* NULL without admin.listen */
    struct br_skiplog *skiplog;        /* topics whose skipping has been logged */
    struct curl_waitfd *fds;           /* the descriptors the loop waits on */
    size_t fd_cap;
    bool joined;                       /* the consumer has had an assignment */
    int stop_fd;

    struct br_partition *partitions; /* assigned partitions */
    struct br_partition *last_hit;   /* lookup cache */
    struct br_lane *ready_head;      /* lanes whose head may start now */
    struct br_lane *ready_tail;
    struct br_lane **backoff;        /* lanes waiting for their retry time */
    size_t backoff_count;
    size_t backoff_cap;
    struct br_health *health;        /* one per hook */
    struct br_dead_pending *dead_retry; /* dead letters to send again */

    bool stopping;
    bool fatal;
    int64_t stop_deadline_ms;
    int64_t next_commit_ms;
    bool uncommitted;                /* offsets stored since the last commit */
    uint64_t rng;
    struct br_loop_stats stats;
};

int64_t br_loop_now_ms(void);      /* monotonic */
int64_t br_loop_wall_ms(void);     /* ms since the epoch */
uint64_t br_loop_random(struct br_loop *loop);
void br_loop_ready(struct br_loop *loop, struct br_lane *lane);
void br_loop_backoff(struct br_loop *loop, struct br_lane *lane, int64_t delay_ms);

/* finish.c */

/* Called by the sender for each finished request. */
void br_finish_attempt(void *opaque, struct br_delivery *delivery,
                       const struct br_transfer_result *result);
/*
 * message could not be decoded or rendered (errstr says why) and is in the partition's tracker
 * owing one completion: dead-letter it (dead_letter.topic set), or drop it (policy drop). The
 * caller handles policy block itself (it holds the partition).
 */
void br_finish_undecodable(struct br_loop *loop, struct br_message *message, const char *errstr);
/* Sends dead letters that failed or could not be queued before, once their time has come;
 * returns ms to the next one (INT64_MAX when none). */
int64_t br_finish_retry_dead(struct br_loop *loop, int64_t now_ms);
/* Frees the retry list (shutdown). */
void br_finish_discard_dead(struct br_loop *loop);

#endif
