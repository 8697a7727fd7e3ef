#ifndef BR_LOOPSTATE_H
#define BR_LOOPSTATE_H
/*
 * The event loop's state, shared by the files of loop/: loop.c (the turn, offsets, lifecycle),
 * intake.c (Kafka -> lanes), rebalance.c (assigned partitions), finish.c (what a finished
 * delivery or message leads to). Not a public interface. Only data: none of these files calls
 * into loop.c; the scheduling they share is schedule.c.
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
#include "delivery/hookset.h"
#include "delivery/ackmeta.h"
#include "loop/loop.h"
#include "loop/skiplog.h"
#include "ops/metrics.h"
#include "avro/registry.h"
#include "delivery/sender.h"
#include "loop/schedule.h"

struct br_dead_pending;

struct br_loop {
    const struct br_conf *conf;
    struct br_registry *registry;
    struct br_decoder *decoder;
    struct br_signer *signer;          /* HMAC contexts reused from message to message */
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
    /* the last wait saw stop_fd / reload_fd readable (or did not watch it): read it (true
     * before the first wait); a descriptor that is not ready is not read on every turn */
    bool stop_ready;
    bool reload_ready;

    /* the live hook set (hooks.c): slots index lanes, health, metrics and progress ids */
    struct br_hookset *hookset;
    size_t hook_slots;               /* slots given out: health, hook_ids, ... have this many */
    const struct br_conf_hook **route_hooks; /* owned array: the live hooks' current settings */
    size_t *route_slots;             /* owned array: their slots */
    const char **route_groups;       /* owned array: their groups (a table hook's tenant), or
                                      * NULL for a YAML hook */
    size_t route_count;
    size_t route_grouped;            /* how many have a group */
    const struct br_conf_hook **tenant_hooks; /* owned scratch: one tenant's routing view */
    size_t *tenant_slots;
    /* table hooks (tablefeed.c); NULL without table_hooks */
    struct br_hookfeed *hookfeed;
    struct br_hookrows *hookrows;
    bool hooks_caught_up;            /* the webhooks topics were read (always true without) */
    rd_kafka_message_t *hookfeed_held; /* a webhooks message waiting for the registry */
    int64_t hookfeed_due_ms;
    int64_t hookfeed_started_ms;
    /* reloading the configuration (reload.c) */
    int reload_fd;                   /* SIGHUP's eventfd, or -1 */
    int64_t reload_watch_ms;         /* poll the file this often; 0: only on SIGHUP */
    int64_t reload_next_poll_ms;
    struct br_reload_stamp *reload_stamp; /* owned: the file as last loaded */
    struct br_conf *reload_conf;     /* owned: the last reloaded file, its hooks taken out (the
                                      * egress guard reads its egress.allow); NULL: none yet */

    struct br_partition *partitions; /* assigned partitions */
    struct br_partition *last_hit;   /* lookup cache */
    struct br_schedule schedule;     /* ready lanes, lanes in backoff, jitter */
    struct br_health *health;        /* one per hook */
    struct br_dead_pending *dead_retry; /* dead letters to send again */

    bool stopping;
    bool fatal;
    int64_t stop_deadline_ms;
    int64_t next_commit_ms;
    bool uncommitted;                /* something settled that no commit was sent for yet */
    struct br_loop_stats stats;

    /* commits (commit.c) and what partitions inherit (inherit.c) */
    uint64_t *hook_ids;              /* owned: each hook's progress id, 0 for none */
    struct br_ackmeta_hook *progress_hooks; /* owned scratch, one per hook */
    struct br_ackmeta_range *ranges; /* owned scratch */
    size_t range_cap;
    char *metadata;                  /* owned scratch: progress_budget + 1 bytes */
    size_t progress_budget;          /* progress_metadata_bytes; halved if the broker refuses */
    bool progress_clipped_logged;
    struct br_commit_record *commits; /* asynchronous commits not answered yet */
    uint64_t commit_failures;        /* failed commits in a row */
    int64_t commit_failing_since_ms;
    size_t *inherit_hooks;           /* owned scratch: hooks skipped for the message taken */
};

#endif
