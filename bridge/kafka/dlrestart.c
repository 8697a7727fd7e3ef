/* The dead-letter producer's restart policy (see dlrestart.h). */
#include "kafka/dlrestart.h"

#include <stdio.h>

void br_dlrestart_init(struct br_dlrestart *state)
{
    state->failing_since_ms = 0;
    state->restarted_ms = 0;
    state->restarts = 0;
}

int64_t br_dlrestart_delay_ms(unsigned restarts)
{
    int64_t delay = BR_DLRESTART_INITIAL_MS;

    if (restarts == 0) {
        return 0;
    }
    for (unsigned i = 1; i < restarts && delay < BR_DLRESTART_MAX_MS; i++) {
        delay *= 2;
    }
    return delay < BR_DLRESTART_MAX_MS ? delay : BR_DLRESTART_MAX_MS;
}

int64_t br_dlrestart_due_ms(const struct br_dlrestart *state)
{
    return state->restarted_ms + br_dlrestart_delay_ms(state->restarts);
}

enum br_dlrestart_action br_dlrestart_decide(const struct br_dlrestart *state,
                                             const struct br_dlrestart_input *in)
{
    if (state->failing_since_ms == 0) {
        /* working until now: a fatal error opens an episode with an immediate restart */
        return in->failed ? BR_DLRESTART_RESTART : BR_DLRESTART_NONE;
    }
    if (in->failed) {
        if (in->exit_after_ms > 0 && in->now_ms - state->failing_since_ms >= in->exit_after_ms) {
            return BR_DLRESTART_EXIT;
        }
        return in->now_ms >= br_dlrestart_due_ms(state) ? BR_DLRESTART_RESTART
                                                         : BR_DLRESTART_WAIT;
    }
    /* a restarted producer without a fatal error so far: is that proof enough? */
    if (in->acked || in->now_ms - state->restarted_ms >= BR_DLRESTART_SETTLE_MS) {
        return BR_DLRESTART_RECOVERED;
    }
    return BR_DLRESTART_WAIT;
}

void br_dlrestart_apply(struct br_dlrestart *state, enum br_dlrestart_action action,
                        int64_t now_ms)
{
    switch (action) {
    case BR_DLRESTART_RESTART:
        if (state->failing_since_ms == 0) {
            state->failing_since_ms = now_ms;
        }
        state->restarted_ms = now_ms;
        state->restarts++;
        break;
    case BR_DLRESTART_RECOVERED:
        br_dlrestart_init(state);
        break;
    case BR_DLRESTART_NONE:
    case BR_DLRESTART_WAIT:
    case BR_DLRESTART_EXIT:
        break;
    }
}

/* Whole seconds in ms, rounded up ("next in 1 s" rather than "next in 0 s" at 400 ms). */
static long long ceil_s(int64_t ms)
{
    return ms <= 0 ? 0 : (long long)((ms + 999) / 1000);
}

void br_dlrestart_describe(const struct br_dlrestart *state, const struct br_dlrestart_input *in,
                           const char *error, char *out, size_t out_size)
{
    char stops[64] = "";
    long long failing_s;

    if (state->failing_since_ms == 0) {
        /* failed since the last serve: the episode has not been opened yet */
        snprintf(out, out_size, "dead-letter producer failed: %s", error);
        return;
    }
    failing_s = (long long)((in->now_ms - state->failing_since_ms) / 1000);
    if (!in->failed) {
        snprintf(out, out_size,
                 "dead-letter producer restarted %lld s ago after failing for %lld s (%u "
                 "restart(s)), not confirmed yet: %s",
                 (long long)((in->now_ms - state->restarted_ms) / 1000), failing_s,
                 state->restarts, error);
        return;
    }
    if (in->exit_after_ms > 0) {
        snprintf(stops, sizeof(stops), ", the bridge stops in %lld s",
                 ceil_s(state->failing_since_ms + in->exit_after_ms - in->now_ms));
    }
    snprintf(out, out_size, "dead-letter producer failing for %lld s (%u restart(s), next in %lld s"
             "%s): %s", failing_s, state->restarts,
             ceil_s(br_dlrestart_due_ms(state) - in->now_ms), stops, error);
}
