#include "delivery/retry.h"

#include "core/civil.h"

#include <string.h>

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
    /* Doubling stops at the cap, so this runs at most 63 times and never overflows. */
    for (unsigned i = 1; i < attempt && delay < max_ms; i++) {
        delay = delay > max_ms / 2 ? max_ms : delay * 2;
    }
    return (int64_t)(random % ((uint64_t)delay + 1));
}

/* ---- Retry-After ---- */

struct cursor {
    const char *p;
    const char *end;
};

static const char *const day_short[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool take_text(struct cursor *cur, const char *text)
{
    size_t len = strlen(text);

    if ((size_t)(cur->end - cur->p) < len || memcmp(cur->p, text, len) != 0) {
        return false;
    }
    cur->p += len;
    return true;
}

/* Index of the word taken, or -1. */
static int take_word(struct cursor *cur, const char *const *words, int count)
{
    for (int i = 0; i < count; i++) {
        if (take_text(cur, words[i])) {
            return i;
        }
    }
    return -1;
}

/* Exactly n digits, value within [lo, hi]. */
static bool take_digits(struct cursor *cur, int n, int lo, int hi, int *value)
{
    int v = 0;

    if (cur->end - cur->p < n) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (cur->p[i] < '0' || cur->p[i] > '9') {
            return false;
        }
        v = v * 10 + (cur->p[i] - '0');
    }
    if (v < lo || v > hi) {
        return false;
    }
    cur->p += n;
    *value = v;
    return true;
}

/* "hh:mm:ss" (a leap second 60 is allowed) as seconds since midnight. */
static bool take_time(struct cursor *cur, int64_t *seconds)
{
    int h, m, s;

    if (!take_digits(cur, 2, 0, 23, &h) || !take_text(cur, ":") ||
        !take_digits(cur, 2, 0, 59, &m) || !take_text(cur, ":") ||
        !take_digits(cur, 2, 0, 60, &s)) {
        return false;
    }
    *seconds = (int64_t)h * 3600 + m * 60 + s;
    return true;
}

/* One of the three HTTP-date forms, as seconds since the epoch. */
static bool parse_http_date(struct cursor *cur, int64_t now_s, int64_t *date_s)
{
    int day, month, year, yy;
    int64_t full_year, tod;

    if (take_word(cur, day_long, 7) >= 0) {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
        if (!take_text(cur, ", ") || !take_digits(cur, 2, 1, 31, &day) || !take_text(cur, "-") ||
            (month = take_word(cur, month_names, 12)) < 0 || !take_text(cur, "-") ||
            !take_digits(cur, 2, 0, 99, &yy) || !take_text(cur, " ") || !take_time(cur, &tod) ||
            !take_text(cur, " GMT")) {
            return false;
        }
        /* Nearest year with these two digits, at most 50 years ahead of now's year. */
        int64_t now_year;
        int now_month, now_day;
        br_civil_from_days(now_s >= 0 ? now_s / 86400 : -((-now_s + 86399) / 86400), &now_year,
                           &now_month, &now_day);
        full_year = now_year - ((now_year % 100) + 100) % 100 + yy;
        if (full_year > now_year + 50) {
            full_year -= 100;
        } else if (full_year <= now_year - 50) {
            full_year += 100;
        }
    } else if (take_word(cur, day_short, 7) >= 0) {
        if (take_text(cur, ", ")) {
            /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
            if (!take_digits(cur, 2, 1, 31, &day) || !take_text(cur, " ") ||
                (month = take_word(cur, month_names, 12)) < 0 || !take_text(cur, " ") ||
                !take_digits(cur, 4, 0, 9999, &year) || !take_text(cur, " ") ||
                !take_time(cur, &tod) || !take_text(cur, " GMT")) {
                return false;
            }
        } else {
            /* asctime: "Sun Nov  6 08:49:37 1994" */
            if (!take_text(cur, " ") || (month = take_word(cur, month_names, 12)) < 0 ||
                !take_text(cur, " ")) {
                return false;
            }
            /* day = 2DIGIT / ( SP DIGIT ) */
            bool day_ok = take_text(cur, " ") ? take_digits(cur, 1, 1, 9, &day)
                                              : take_digits(cur, 2, 1, 31, &day);
            if (!day_ok) {
                return false;
            }
            if (!take_text(cur, " ") || !take_time(cur, &tod) || !take_text(cur, " ") ||
                !take_digits(cur, 4, 0, 9999, &year)) {
                return false;
            }
        }
        full_year = year;
    } else {
        return false;
    }
    if (cur->p != cur->end || !br_civil_valid_date(full_year, month + 1, day)) {
        return false;
    }
    *date_s = br_civil_days(full_year, month + 1, day) * 86400 + tod;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool br_retry_after_parse(const char *value, size_t len, int64_t now_s, int64_t max_ms,
                          int64_t *delay_ms)
{
    /* Seconds beyond this are "forever": still capped by max_ms, never overflowing. */
    const int64_t limit_s = INT64_MAX / 1000;
    /* Keeps date - now within int64 (dates are within +-2^38 s). */
    const int64_t now_bound = (int64_t)1 << 62;
    struct cursor cur = {value, value + len};
    int64_t seconds = 0;

    if (value == NULL) {
        return false;
    }
    while (cur.p < cur.end && is_space(*cur.p)) {
        cur.p++;
    }
    while (cur.end > cur.p && is_space(cur.end[-1])) {
        cur.end--;
    }
    if (cur.p == cur.end) {
        return false;
    }
    if (*cur.p >= '0' && *cur.p <= '9') {
        for (; cur.p < cur.end; cur.p++) {
            if (*cur.p < '0' || *cur.p > '9') {
                return false;
            }
            int digit = *cur.p - '0';
            seconds = seconds > (limit_s - digit) / 10 ? limit_s : seconds * 10 + digit;
        }
    } else {
        int64_t date_s;

        now_s = now_s > now_bound ? now_bound : now_s < -now_bound ? -now_bound : now_s;
        if (!parse_http_date(&cur, now_s, &date_s)) {
            return false;
        }
        seconds = date_s > now_s ? date_s - now_s : 0;
        if (seconds > limit_s) {
            seconds = limit_s;
        }
    }
    if (max_ms < 0) {
        max_ms = 0;
    }
    *delay_ms = seconds > max_ms / 1000 ? max_ms : seconds * 1000;
    return true;
}

/* ---- the decision after an attempt ---- */

enum br_retry_verdict br_retry_decide(const struct br_retry_policy *policy, unsigned attempts,
                                      int64_t first_attempt_ms, int64_t now_ms,
                                      enum br_outcome outcome, int64_t retry_after_ms,
                                      uint64_t random, int64_t *delay_ms)
{
    enum br_retry_verdict verdict = BR_VERDICT_RETRY;
    int64_t delay = 0;

    if (outcome == BR_OUTCOME_OK) {
        verdict = BR_VERDICT_DONE;
        goto out;
    }
    if (outcome != BR_OUTCOME_RETRY) {
        verdict = BR_VERDICT_PERMANENT;
        goto out;
    }
    if (policy->max_attempts != 0 && attempts >= policy->max_attempts) {
        verdict = BR_VERDICT_EXHAUSTED;
        goto out;
    }
    delay = br_retry_backoff_ms(policy->initial_ms, policy->max_ms, attempts, random);
    if (retry_after_ms >= 0 && policy->retry_after_max_ms > 0) {
        int64_t wish = retry_after_ms < policy->retry_after_max_ms ? retry_after_ms
                                                                   : policy->retry_after_max_ms;
        if (wish > delay) {
            delay = wish;
        }
    }
    if (policy->max_age_ms > 0) {
        /* In uint64_t: exact for any two int64_t times, so nothing here can overflow. */
        uint64_t elapsed = now_ms > first_attempt_ms
                               ? (uint64_t)now_ms - (uint64_t)first_attempt_ms
                               : 0;
        uint64_t max_age = (uint64_t)policy->max_age_ms;

        if (elapsed > max_age || (uint64_t)delay > max_age - elapsed) {
            verdict = BR_VERDICT_EXHAUSTED;
        }
    }
out:
    if (delay_ms != NULL) {
        *delay_ms = delay;
    }
    return verdict;
}

const char *br_retry_verdict_name(enum br_retry_verdict verdict)
{
    switch (verdict) {
    case BR_VERDICT_DONE:
        return "done";
    case BR_VERDICT_RETRY:
        return "retry";
    case BR_VERDICT_EXHAUSTED:
        return "exhausted";
    case BR_VERDICT_PERMANENT:
        return "permanent";
    }
    return "unknown";
}
