#ifndef BR_RETRY_H
#define BR_RETRY_H
/*
 * Retry policy: outcome classification, backoff schedule, Retry-After parsing and the decision
 * taken after a failed attempt. Pure functions (no clock, no global state, no allocation);
 * randomness and time come in as arguments, so every result is reproducible and table-tested.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h" /* struct br_retry_policy */

enum br_outcome {
    BR_OUTCOME_OK,        /* 2xx: delivered */
    BR_OUTCOME_RETRY,     /* transient: connection error, timeout, 408, 425, 429, 5xx */
    BR_OUTCOME_PERMANENT  /* the receiver refused it: 3xx (not followed), other 4xx, 1xx */
};

/*
 * Classifies one finished attempt. transport_ok is false when the request did not complete
 * (connection refused, timeout, reset); http_status is then ignored. With transport_ok:
 * 200-299 OK; 408, 425, 429 and 500-599 RETRY; anything else (1xx as a final status, 3xx since
 * redirects are not followed, other 4xx, values outside 100-599) PERMANENT.
 */
enum br_outcome br_retry_classify(int transport_ok, long http_status);
/* "ok", "retry", "permanent" ("unknown" for a value outside the enum). */
const char *br_retry_outcome_name(enum br_outcome outcome);

/*
 * The delay before the next attempt, after `attempt` attempts made so far (0 counts as 1), with
 * full jitter: d = min(max_ms, initial_ms * 2^(attempt-1)), result = random % (d + 1), i.e.
 * uniform in [0, d]. initial_ms below 1 counts as 1; max_ms below initial_ms counts as
 * initial_ms. Saturates instead of overflowing for any attempt (attempt 1000 or UINT_MAX gives
 * d = max_ms). `random` is any 64-bit random value; the same inputs give the same delay.
 */
int64_t br_retry_backoff_ms(int64_t initial_ms, int64_t max_ms, unsigned attempt,
                            uint64_t random);

/*
 * Parses a Retry-After header value (RFC 9110 section 10.2.3) of len bytes; surrounding spaces,
 * tabs, CR and LF are ignored. Accepted forms:
 *   delta-seconds   "120" (digits only: no sign, no fraction; any length, saturating)
 *   IMF-fixdate     "Sun, 06 Nov 1994 08:49:37 GMT"
 *   RFC 850 (obs.)  "Sunday, 06-Nov-94 08:49:37 GMT" (a two-digit year more than 50 years
 *                   after now's year means the century before, as RFC 9110 says)
 *   asctime (obs.)  "Sun Nov  6 08:49:37 1994"
 * The date forms are case-sensitive as in the RFC; the day name must be a valid one but is not
 * checked against the date; the date itself must exist (no 31 Apr, 29 Feb only in leap years).
 * now_s is the current time in seconds since the epoch; a date at or before now gives 0.
 * On success stores the delay in milliseconds, at most max(max_ms, 0), in *delay_ms and returns
 * true. Anything else (empty, garbage, negative, trailing bytes) returns false ("absent") and
 * leaves *delay_ms alone.
 */
bool br_retry_after_parse(const char *value, size_t len, int64_t now_s, int64_t max_ms,
                          int64_t *delay_ms);

enum br_retry_verdict {
    BR_VERDICT_DONE,      /* outcome was OK: nothing to retry */
    BR_VERDICT_RETRY,     /* try again after *delay_ms */
    BR_VERDICT_EXHAUSTED, /* transient failure, but the attempt or age limit is reached */
    BR_VERDICT_PERMANENT  /* the receiver refused it: retrying will not help */
};

/* Passed as retry_after_ms when the response had no (valid) Retry-After. */
#define BR_RETRY_AFTER_NONE ((int64_t)-1)

/*
 * What to do after attempt number `attempts` (attempts made so far, including the one just
 * finished, >= 1) ended with `outcome`. first_attempt_ms and now_ms are in milliseconds on the
 * same clock (the start of the first attempt and the present); retry_after_ms is the parsed
 * Retry-After delay or BR_RETRY_AFTER_NONE (any negative value); random feeds the jitter.
 *
 * - OK -> DONE; PERMANENT -> PERMANENT (limits are not looked at). *delay_ms = 0.
 * - RETRY: EXHAUSTED when max_attempts != 0 and attempts >= max_attempts. Otherwise the delay
 *   is the full-jitter backoff; with a Retry-After it is max(backoff, min(retry_after,
 *   retry_after_max_ms)): the receiver's wish is a lower bound we honour up to the cap, and we
 *   never come back sooner than our own backoff (so "Retry-After: 0" cannot make a hook be
 *   hammered, and a huge value cannot park a lane beyond the operator's cap). EXHAUSTED when
 *   max_age_ms != 0 and the next attempt would start after first_attempt_ms + max_age_ms
 *   (exactly at the limit is still allowed); else RETRY.
 * *delay_ms receives the delay that was computed (0 for DONE and PERMANENT, and for EXHAUSTED
 * by attempts; the rejected delay for EXHAUSTED by age). delay_ms may be NULL.
 */
enum br_retry_verdict br_retry_decide(const struct br_retry_policy *policy, unsigned attempts,
                                      int64_t first_attempt_ms, int64_t now_ms,
                                      enum br_outcome outcome, int64_t retry_after_ms,
                                      uint64_t random, int64_t *delay_ms);
/* "done", "retry", "exhausted", "permanent" ("unknown" otherwise). */
const char *br_retry_verdict_name(enum br_retry_verdict verdict);

#endif
