#ifndef BR_RETRY_H
#define BR_RETRY_H
/* Outcome classification and the backoff schedule. Pure functions, table-tested. */
#include <stdint.h>

enum br_outcome {
    BR_OUTCOME_OK,        /* 2xx: delivered */
    BR_OUTCOME_RETRY,     /* transient: connection error, timeout, 408, 425, 429, 5xx */
    BR_OUTCOME_PERMANENT  /* the receiver refused it: 3xx (not followed), other 4xx, 1xx */
};

/*
 * transport_ok is false when the request did not complete (connection refused, timeout, reset);
 * http_status is then ignored.
 */
enum br_outcome br_retry_classify(int transport_ok, long http_status);
const char *br_retry_outcome_name(enum br_outcome outcome);

/*
 * The delay before attempt number `attempt` + 1 (attempt >= 1 attempts made so far):
 * d = min(max_ms, initial_ms * 2^(attempt-1)), then "equal jitter": d/2 + random % (d/2 + 1).
 */
int64_t br_retry_backoff_ms(int64_t initial_ms, int64_t max_ms, unsigned attempt,
                            uint64_t random);

#endif
