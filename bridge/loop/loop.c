#include "loop/loop.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "delivery/egress.h"
#include "loop/commit.h"
#include "loop/finish.h"
#include "loop/hooks.h"
#include "loop/intake.h"
#include "loop/loopstate.h"
#include "loop/rebalance.h"
#include "loop/reload.h"
#include "loop/schedule.h"
#include "loop/status.h"
#include "loop/tablefeed.h"

#define IDLE_WAIT_MS 1000
#define REGISTRY_POLL_MS 10       /* how often a schema fetch in flight is driven */

/* ---- deliveries ---- */

/*
 * Starts what may start, within delivery.max_in_flight: a ready lane starts its next delivery
 * (br_lane_next: its ordering decides which) unless its partition waits for a commit, its hook
 * is at its max_in_flight, or its hook is behind a probe; a lane with more to start goes back
 * to the tail of the ready queue, so lanes take turns.
 */
static void start_ready(struct br_loop *loop)
{
    struct br_lane *lane;

    while (br_sender_in_flight(loop->sender) < (size_t)loop->conf->max_in_flight &&
           (lane = br_schedule_pop(&loop->schedule)) != NULL) {
        struct br_delivery *delivery = br_lane_next(lane);
        const struct br_conf_hook *hook = br_hooks_conf(loop, lane->hook_index);
        struct br_health *health = &loop->health[lane->hook_index];
        char errstr[256];

        if (!delivery || !hook) {
            continue;
        }
        if (!br_commit_may_start(loop, lane->partition)) {
            continue; /* made ready again when a commit succeeds */
        }
        if (!br_schedule_may_start(&loop->schedule, lane)) {
            continue; /* made ready again when a request of its hook ends */
        }
        if (!br_health_may_start(health, lane)) {
            continue; /* parked until the hook's probe succeeds */
        }
        if (health->open && (lane->in_flight > 0 || lane->waiting > 0)) {
            /* the probe: one request at a time, and none while one waits for its retry time
             * (whatever the ordering, a failing hook sees one request per backoff period);
             * made ready when it ends or its retry time comes */
            continue;
        }
        if (!br_hooks_refresh(loop, delivery)) {
            continue;
        }
        delivery = br_lane_take(lane);
        if (delivery->attempts == 0) {
            delivery->first_attempt_ms = br_schedule_now_ms();
            delivery->first_attempt_wall_ms = br_schedule_wall_ms();
        }
        if (br_sender_start(loop->sender, delivery, hook->timeout_ms, errstr, sizeof(errstr)) !=
            0) {
            br_log_error("loop", "hook %s: %s", hook->name, errstr);
            br_lane_retry(lane, delivery);
            br_schedule_backoff(&loop->schedule, delivery,
                                br_schedule_now_ms() + loop->conf->backoff_initial_ms);
        } else {
            br_schedule_started(&loop->schedule, lane->hook_index);
        }
        br_schedule_ready(&loop->schedule, lane); /* more to start: its turn comes again */
    }
}

/* ---- the admin listener (its answers: status.c) ---- */

static int admin_start(struct br_loop *loop, char *errstr, size_t errstr_size)
{
    struct br_admin_conf admin_conf = {
        .listen = loop->conf->admin_listen,
        .header_timeout_ms = (int)loop->conf->admin_header_timeout_ms,
        .idle_timeout_ms = (int)loop->conf->admin_idle_timeout_ms,
        .max_connections = (size_t)loop->conf->admin_max_connections,
        .ready = br_status_ready,
        .metrics = br_status_metrics,
        .opaque = loop,
    };

    if (br_admin_create(&admin_conf, &loop->admin, errstr, errstr_size) != BR_ADMIN_OK) {
        return -1;
    }
    br_log_info("loop", "health and metrics on %s (port %d)", loop->conf->admin_listen,
                br_admin_port(loop->admin));
    return 0;
}

/* ---- lifecycle ---- */

struct br_loop *br_loop_create(const struct br_conf *conf, int stop_fd, char *errstr,
                               size_t errstr_size)
{
    struct br_loop *loop = calloc(1, sizeof(*loop));
    struct br_consumer_events events = {br_rebalance_assigned, br_rebalance_revoked, NULL};

    if (!loop) {
        abort();
    }
    loop->conf = conf;
    loop->stop_fd = stop_fd;
    loop->stop_ready = true;
    loop->reload_ready = true;
    br_schedule_init(&loop->schedule,
                     (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL);
    loop->reload_fd = -1;
    br_commit_init(loop);
    loop->registry = br_registry_create_for(conf);
    if (loop->registry) {
        br_registry_set_async(loop->registry); /* a slow registry must not stall the lanes */
    }
    loop->decoder = br_decoder_create(loop->registry);
    loop->signer = br_signer_create();
    loop->skiplog = br_skiplog_create();
    loop->metrics = br_metrics_create(NULL, 0);
    br_metrics_set(loop->metrics, BR_METRIC_RELOAD_SUCCESS, 1);
    br_hooks_init(loop); /* one metrics series per hook slot */
    if (conf->admin_listen && admin_start(loop, errstr, errstr_size) != 0) {
        goto fail;
    }
    br_reload_init(loop);
    loop->fd_cap = 5 + (loop->admin ? br_admin_waitfd_max(loop->admin) : 0);
    loop->fds = calloc(loop->fd_cap, sizeof(*loop->fds));
    if (!loop->fds) {
        abort();
    }
    loop->sender = br_sender_create(conf->max_in_flight, errstr, errstr_size);
    if (!loop->sender) {
        goto fail;
    }
    br_egress_install(loop->sender, conf);
    if (conf->dead_letter_topic || conf->delivery_report_topic) {
        loop->deadletter = br_deadletter_create(conf, -1, errstr, errstr_size);
        if (!loop->deadletter) {
            goto fail;
        }
    }
    events.opaque = loop;
    /* with table hooks the group is joined once the webhooks topics are read (tablefeed.c) */
    loop->consumer = conf->table_hooks.enabled
                         ? br_consumer_create_unsubscribed(conf, &events, errstr, errstr_size)
                         : br_consumer_create(conf, &events, errstr, errstr_size);
    if (!loop->consumer) {
        goto fail;
    }
    if (br_tablefeed_start(loop, errstr, errstr_size) != 0) {
        goto fail;
    }
    return loop;

fail:
    br_loop_destroy(loop);
    return NULL;
}

void br_loop_set_reload_fd(struct br_loop *loop, int reload_fd)
{
    loop->reload_fd = reload_fd;
}

/* Read only when the last wait saw it readable: no read(2) per turn. */
static bool stop_requested(struct br_loop *loop)
{
    char sink[8];

    if (!loop->stop_ready) {
        return false;
    }
    loop->stop_ready = false;
    return read(loop->stop_fd, sink, sizeof(sink)) > 0;
}

/* The dead-letter producer has been failing for dead_letter.producer_failure_exit_ms. */
static bool producer_gave_up(struct br_loop *loop)
{
    if (loop->deadletter && br_deadletter_gave_up(loop->deadletter)) {
        br_log_error("loop", "stopping with an error: the dead-letter producer has been failing "
                     "for %ld ms (dead_letter.producer_failure_exit_ms)",
                     loop->conf->producer_failure_exit_ms);
        return true;
    }
    return false;
}

/* Logs, per hook, the requests still in flight when the grace period ran out. */
static void report_abandoned(const struct br_loop *loop)
{
    for (size_t hook = 0; hook < loop->hook_slots; hook++) {
        size_t count = 0;
        for (const struct br_partition *partition = loop->partitions; partition;
             partition = partition->next) {
            if (hook < partition->lane_count && partition->lanes[hook]) {
                count += partition->lanes[hook]->in_flight;
            }
        }
        if (count > 0) {
            br_log_warn("loop", "shutdown: hook %s: %zu request(s) still in flight after "
                        "shutdown_grace_ms (%ld ms) abandoned; their offsets are not committed, "
                        "so the next owner of the partitions delivers them again",
                        br_hooks_name(loop, hook), count, loop->conf->shutdown_grace_ms);
        }
    }
}

int br_loop_run(struct br_loop *loop)
{
    struct curl_waitfd *fds;
    unsigned fd_count;
    unsigned stable_count;
    bool more = false;

    loop->next_commit_ms = br_schedule_now_ms() + loop->conf->commit_interval_ms;
    br_log_info("loop", "running: %zu topic entr%s, %zu hook(s)", loop->conf->topic_count,
                loop->conf->topic_count == 1 ? "y" : "ies", loop->route_count);
    for (size_t slot = 0; slot < loop->hook_slots; slot++) {
        const struct br_conf_hook *hook = br_hooks_conf(loop, slot);

        if (hook) {
            br_log_info("loop", "hook %s: ordering %s, at most %ld request(s) in flight",
                        hook->name, br_hooks_ordering_name(hook->ordering),
                        hook->max_in_flight);
        }
    }
    for (;;) {
        int64_t now = br_schedule_now_ms();
        int64_t wait;
        int64_t next;

        if (!loop->stopping && stop_requested(loop)) {
            loop->stopping = true;
            loop->stop_deadline_ms = now + loop->conf->shutdown_grace_ms;
            br_log_info("loop", "stopping: no new deliveries; waiting up to %ld ms for %zu in "
                        "flight", loop->conf->shutdown_grace_ms,
                        br_sender_in_flight(loop->sender));
        }
        if (loop->deadletter) {
            br_deadletter_serve(loop->deadletter);
            loop->fatal = loop->fatal || producer_gave_up(loop);
        }
        if (loop->registry && br_registry_perform(loop->registry)) {
            /* a schema fetch finished: held partitions may go on now */
            for (struct br_partition *partition = loop->partitions; partition;
                 partition = partition->next) {
                partition->held_due_ms = now;
            }
        }
        if (!loop->stopping) {
            /* hooks change between reads: a message read from here on goes to the new set */
            next = br_reload_poll(loop, now);
            int64_t feed = br_tablefeed_poll(loop, now);
            next = feed < next ? feed : next;
        } else {
            next = INT64_MAX;
        }
        more = !loop->stopping && !loop->fatal && br_intake_drain(loop);
        wait = br_intake_retry_held(loop, now);
        wait = next < wait ? next : wait;
        next = br_schedule_fire(&loop->schedule, now);
        wait = next < wait ? next : wait;
        if (loop->deadletter) {
            next = br_finish_retry_dead(loop, now);
            wait = next < wait ? next : wait;
        }
        if (!loop->stopping) {
            start_ready(loop);
        }
        br_sender_perform(loop->sender, br_finish_attempt, loop);
        /* the attempts that just failed set their backoffs: the wait must not sleep past them
         * (it slept up to IDLE_WAIT_MS: a retry due in 80 ms went after 1 s) */
        next = br_schedule_fire(&loop->schedule, now);
        wait = next < wait ? next : wait;
        if (!loop->stopping) {
            start_ready(loop);
        }
        br_commit_run(loop, now, false);

        if (loop->fatal) {
            break;
        }
        if (loop->stopping &&
            (br_sender_in_flight(loop->sender) == 0 || now >= loop->stop_deadline_ms)) {
            break;
        }
        if (wait > IDLE_WAIT_MS) {
            wait = IDLE_WAIT_MS;
        }
        if (loop->uncommitted && loop->next_commit_ms - now < wait) {
            wait = loop->next_commit_ms - now;
        }
        if (loop->stopping && loop->stop_deadline_ms - now < wait) {
            wait = loop->stop_deadline_ms - now;
        }
        if (loop->registry && br_registry_busy(loop->registry) && wait > REGISTRY_POLL_MS) {
            wait = REGISTRY_POLL_MS;
        }
        if (more || wait < 0) {
            wait = 0;
        }
        /* the loop's own descriptors first: open as long as the loop runs, they stay in the
         * sender's epoll set from turn to turn (stable); then those that come and go */
        fd_count = 0;
        fds = loop->fds;
        if (!loop->stopping) {
            fds[fd_count].fd = br_consumer_wake_fd(loop->consumer);
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
            fds[fd_count].fd = loop->stop_fd;
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
            if (loop->reload_fd >= 0) {
                fds[fd_count].fd = loop->reload_fd;
                fds[fd_count].events = CURL_WAIT_POLLIN;
                fds[fd_count++].revents = 0;
            }
        }
        if (loop->deadletter) {
            fds[fd_count].fd = br_deadletter_wake_fd(loop->deadletter);
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
        }
        stable_count = fd_count;
        if (!loop->stopping && br_tablefeed_wake_fd(loop) >= 0) {
            fds[fd_count].fd = br_tablefeed_wake_fd(loop);
            fds[fd_count].events = CURL_WAIT_POLLIN;
            fds[fd_count++].revents = 0;
        }
        if (loop->admin) {
            int admin_wait = br_admin_timeout_ms(loop->admin);
            fd_count += (unsigned)br_admin_waitfds(loop->admin, fds + fd_count,
                                                   loop->fd_cap - fd_count);
            if (admin_wait >= 0 && admin_wait < wait) {
                wait = admin_wait;
            }
        }
        br_sender_wait(loop->sender, fds, fd_count, stable_count, (int)wait);
        if (!loop->stopping) {
            /* what is not ready is not read in the next turn */
            br_consumer_wake_seen(loop->consumer, fds[0].revents != 0);
            loop->stop_ready = fds[1].revents != 0;
            loop->reload_ready = loop->reload_fd >= 0 && fds[2].revents != 0;
        }
        if (loop->admin) {
            br_admin_serve(loop->admin);
        }
    }

    /* Shutdown: abandon what is still in flight after the grace period, let dead letters on
     * their way land, commit the done prefix, leave the group. */
    if (loop->stopping && br_sender_in_flight(loop->sender) > 0) {
        report_abandoned(loop);
    }
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        br_rebalance_unschedule(loop, partition);
    }
    if (loop->deadletter && br_deadletter_pending_dead(loop->deadletter) > 0) {
        br_deadletter_flush(loop->deadletter, 2000);
    }
    br_commit_run(loop, br_schedule_now_ms(), true);
    br_consumer_close(loop->consumer);
    br_log_info("loop", "stopped: %llu message(s), %llu delivered, %llu failed attempt(s), "
                "%llu skipped, %llu undeliverable, %llu dead-lettered, %llu dropped",
                (unsigned long long)loop->stats.messages,
                (unsigned long long)loop->stats.delivered,
                (unsigned long long)loop->stats.attempts_failed,
                (unsigned long long)loop->stats.skipped,
                (unsigned long long)loop->stats.undeliverable,
                (unsigned long long)loop->stats.dead_lettered,
                (unsigned long long)loop->stats.dropped);
    return loop->fatal ? -1 : 0;
}

void br_loop_destroy(struct br_loop *loop)
{
    if (!loop) {
        return;
    }
    /* leaving the group revokes (and drops) every partition still assigned; drop any left
     * before the consumer that their queues belong to goes away */
    if (loop->consumer) {
        br_consumer_close(loop->consumer);
    }
    while (loop->partitions) {
        br_rebalance_drop(loop, loop->partitions);
    }
    br_consumer_destroy(loop->consumer);
    br_commit_finish(loop); /* commits never answered */
    free(loop->inherit_hooks);
    /* dead letters still on their way end here (their partitions are revoked: discarded) */
    br_deadletter_destroy(loop->deadletter);
    br_finish_discard_dead(loop);
    br_tablefeed_stop(loop);
    br_reload_finish(loop);
    br_hooks_finish(loop); /* after every delivery and dead letter, before the sender */
    br_sender_destroy(loop->sender);
    br_conf_destroy(loop->reload_conf); /* what the sender's egress guard read */
    br_decoder_destroy(loop->decoder);
    br_signer_destroy(loop->signer);
    br_registry_destroy(loop->registry);
    free(loop->health);
    br_admin_destroy(loop->admin);
    br_metrics_destroy(loop->metrics);
    br_skiplog_destroy(loop->skiplog);
    free(loop->fds);
    br_schedule_finish(&loop->schedule);
    free(loop);
}
