#include "retry.h"

enum br_outcome br_retry_classify(int transport_ok, long http_status)
{
    if (!transport_ok) {
        return BR_OUTCOME_RETRY;
    }
    if (http_status >= 200 && http_status <= 299) {
        return BR_OUTCOME_OK;
    }
    if (http_status == 408 || http_status == 425 || http_status == 429 ||
        (http_status >= 500 && http_status <= 599)) {
        return BR_OUTCOME_RETRY;
    }
    return BR_OUTCOME_PERMANENT;
}

const char *br_retry_outcome_name(enum br_outcome outcome)
{
    switch (outcome) {
    case BR_OUTCOME_OK:
        return "ok";
    case BR_OUTCOME_RETRY:
        return "retry";
    case BR_OUTCOME_PERMANENT:
        return "permanent";
    }
    return "unknown";
}

int64_t br_retry_backoff_ms(int64_t initial_ms, int64_t max_ms, unsigned attempt,
                            uint64_t random)
{
    int64_t delay = initial_ms > 0 ? initial_ms : 1;

    if (max_ms < delay) {
        max_ms = delay;
    }
    for (unsigned i = 1; i < attempt && delay < max_ms; i++) {
        delay *= 2;
    }
    if (delay > max_ms) {
        delay = max_ms;
    }
    return delay / 2 + (int64_t)(random % (uint64_t)(delay / 2 + 1));
}
