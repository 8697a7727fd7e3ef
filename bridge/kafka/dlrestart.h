#ifndef BR_DLRESTART_H
#define BR_DLRESTART_H
/*
 * When the dead-letter producer is restarted after a fatal error, when it counts as working
 * again, and when the bridge gives up: one pure decision over a small state, no clock and no
 * librdkafka (deadletter.c applies it on every serve).
 *
 * A failure episode begins at the first fatal error of a producer that was working. The first
 * restart is at once; each further one waits BR_DLRESTART_INITIAL_MS doubling up to
 * BR_DLRESTART_MAX_MS after the previous one (at once, 5 s, 10 s, 20 s, 40 s, then every 60 s).
 * The episode ends when a restarted producer has had a record acknowledged, or has run
 * BR_DLRESTART_SETTLE_MS without a fatal error. A producer whose episode has lasted
 * exit_after_ms (0 = never) and which is failing at that moment makes the decision EXIT.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_DLRESTART_INITIAL_MS 5000
#define BR_DLRESTART_MAX_MS 60000
#define BR_DLRESTART_SETTLE_MS 10000

struct br_dlrestart {
    int64_t failing_since_ms; /* first fatal error of the episode; 0 = working (no episode) */
    int64_t restarted_ms;     /* the episode's last restart; 0 = none yet */
    unsigned restarts;        /* restarts in this episode */
};

/* What the producer's state looks like now. */
struct br_dlrestart_input {
    int64_t now_ms;        /* monotonic, > 0 */
    bool failed;           /* the current producer hit a fatal error, or none could be started */
    bool acked;            /* the current producer has had a record acknowledged */
    int64_t exit_after_ms; /* give up after failing this long; 0 = never */
};

enum br_dlrestart_action {
    BR_DLRESTART_NONE,      /* working: nothing to do */
    BR_DLRESTART_WAIT,      /* in an episode: wait (for the next restart, or for proof) */
    BR_DLRESTART_RESTART,   /* start a fresh producer now */
    BR_DLRESTART_RECOVERED, /* the restarted producer proved itself: the episode ends */
    BR_DLRESTART_EXIT,      /* failing for exit_after_ms: stop the bridge */
};

/* Initial state: working, no episode. */
void br_dlrestart_init(struct br_dlrestart *state);

/* The decision for in, given state. Pure. */
enum br_dlrestart_action br_dlrestart_decide(const struct br_dlrestart *state,
                                             const struct br_dlrestart_input *in);

/* Updates state for the action taken at now_ms (RESTART counts, RECOVERED ends the episode). */
void br_dlrestart_apply(struct br_dlrestart *state, enum br_dlrestart_action action,
                        int64_t now_ms);

/* The pause before restart number restarts + 1 of an episode: 0, 5000, 10000, ... 60000. */
int64_t br_dlrestart_delay_ms(unsigned restarts);

/* When the next restart is due (monotonic ms); only meaningful inside an episode. */
int64_t br_dlrestart_due_ms(const struct br_dlrestart *state);

/*
 * The one-line status of a producer that is failing or not yet confirmed (for /readyz), e.g.
 * "dead-letter producer failing for 12 s (2 restart(s), next in 3 s, the bridge stops in 588 s):
 * <error>". error: the last fatal error (librdkafka's text). Pure.
 */
void br_dlrestart_describe(const struct br_dlrestart *state, const struct br_dlrestart_input *in,
                           const char *error, char *out, size_t out_size);

#endif
