/* The dead-letter and delivery-report records of the contract (see dlrecord.h). */
#include "kafka/dlrecord.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"

const char *br_dlrecord_reason_name(enum br_dead_reason reason)
{
    switch (reason) {
    case BR_DEAD_REFUSED:
        return "refused";
    case BR_DEAD_EXHAUSTED:
        return "exhausted";
    case BR_DEAD_UNDECODABLE:
        return "undecodable";
    case BR_DEAD_EGRESS:
        return "egress_refused";
    }
    return "unknown";
}

const char *br_dlrecord_outcome_name(enum br_report_outcome outcome)
{
    switch (outcome) {
    case BR_REPORT_DELIVERED:
        return "delivered";
    case BR_REPORT_DEAD_LETTERED:
        return "dead_lettered";
    case BR_REPORT_DROPPED:
        return "dropped";
    case BR_REPORT_HOOK_DELETED:
        return "hook_deleted";
    }
    return "unknown";
}

void br_dlrecord_format_time(int64_t ms, char out[BR_DLRECORD_TIME_MAX])
{
    time_t secs = (time_t)(ms / 1000);
    int millis = (int)(ms % 1000);
    struct tm tm;
    char stamp[24];

    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, BR_DLRECORD_TIME_MAX, "%s.%03dZ", stamp, millis);
}

static void add_header(rd_kafka_headers_t *headers, const char *name, const char *value)
{
    rd_kafka_header_add(headers, name, -1, value, -1);
}

rd_kafka_headers_t *br_dlrecord_headers(const struct br_dead_record *rec)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(11);
    char text[BR_DLRECORD_TIME_MAX];
    const char *name;
    const void *value;
    size_t size;

    for (size_t i = 0; rec->original; i++) {
        if (rd_kafka_header_get_all(rec->original, i, &name, &value, &size) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            break;
        }
        rd_kafka_header_add(headers, name, -1, value, value ? (ssize_t)size : 0);
    }

    add_header(headers, "perscom.topic", rec->topic);
    snprintf(text, sizeof(text), "%" PRId32, rec->partition);
    add_header(headers, "perscom.partition", text);
    snprintf(text, sizeof(text), "%" PRId64, rec->offset);
    add_header(headers, "perscom.offset", text);
    if (rec->hook) {
        add_header(headers, "perscom.hook", rec->hook);
    }
    if (rec->event) {
        add_header(headers, "perscom.event", rec->event);
    }
    if (rec->http_status > 0) {
        snprintf(text, sizeof(text), "%ld", rec->http_status);
        add_header(headers, "perscom.status", text);
    }
    add_header(headers, "perscom.error", rec->error ? rec->error : "");
    snprintf(text, sizeof(text), "%u", rec->attempts);
    add_header(headers, "perscom.attempts", text);
    if (rec->attempts > 0 && rec->first_attempt_ms > 0) {
        br_dlrecord_format_time(rec->first_attempt_ms, text);
        add_header(headers, "perscom.first_attempt", text);
    }
    if (rec->attempts > 0 && rec->last_attempt_ms > 0) {
        br_dlrecord_format_time(rec->last_attempt_ms, text);
        add_header(headers, "perscom.last_attempt", text);
    }
    add_header(headers, "perscom.reason", br_dlrecord_reason_name(rec->reason));
    if (rec->request_id) {
        add_header(headers, "perscom.request_id", rec->request_id);
    }
    if (rec->trace_id) {
        add_header(headers, "perscom.trace_id", rec->trace_id);
    }
    return headers;
}

int br_dlrecord_reason_parse(const char *name)
{
    for (int reason = BR_DEAD_REFUSED; reason <= BR_DEAD_EGRESS; reason++) {
        if (strcmp(name, br_dlrecord_reason_name((enum br_dead_reason)reason)) == 0) {
            return reason;
        }
    }
    return -1;
}

/*
 * Copies header name's value into out (NUL-terminated). 1 when found, 0 when absent, -1 with a
 * message when it is not UTF-8 text of fewer than out_size bytes.
 */
static int text_header(const rd_kafka_headers_t *headers, const char *name, char *out,
                       size_t out_size, char *errstr, size_t errstr_size)
{
    const void *value = NULL;
    size_t size = 0;

    out[0] = '\0';
    if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return 0;
    }
    if (!value || size >= out_size || !br_utf8_valid(value, size) ||
        memchr(value, '\0', size)) {
        snprintf(errstr, errstr_size, "not a dead-letter record: header %s is %s", name,
                 !value ? "null" : size >= out_size ? "too long" : "not text");
        return -1;
    }
    memcpy(out, value, size);
    out[size] = '\0';
    return 1;
}

/* A whole decimal number in [0, max] from header name (required or not). */
static int number_header(const rd_kafka_headers_t *headers, const char *name, bool required,
                         long long max, long long *out, char *errstr, size_t errstr_size)
{
    char text[32];
    char *end = NULL;
    int found = text_header(headers, name, text, sizeof(text), errstr, errstr_size);

    if (found < 0) {
        return -1;
    }
    if (found == 0) {
        if (required) {
            snprintf(errstr, errstr_size, "not a dead-letter record: header %s is missing", name);
            return -1;
        }
        *out = 0;
        return 0;
    }
    errno = 0;
    *out = strtoll(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || *out > max) {
        snprintf(errstr, errstr_size, "not a dead-letter record: header %s is '%s', not a "
                 "whole number from 0 to %lld", name, text, max);
        return -1;
    }
    return 0;
}

int br_dlrecord_parse(const rd_kafka_headers_t *headers, struct br_dead_header *out,
                      char *errstr, size_t errstr_size)
{
    char reason[32];
    long long number;
    int found;

    memset(out, 0, sizeof(*out));
    if (!headers) {
        snprintf(errstr, errstr_size, "not a dead-letter record: no headers");
        return -1;
    }
    found = text_header(headers, "perscom.topic", out->topic, sizeof(out->topic), errstr,
                        errstr_size);
    if (found == 0 || (found > 0 && !out->topic[0])) {
        snprintf(errstr, errstr_size, "not a dead-letter record: header perscom.topic is %s",
                 found == 0 ? "missing" : "empty");
        return -1;
    }
    if (found < 0 ||
        number_header(headers, "perscom.partition", true, INT32_MAX, &number, errstr,
                      errstr_size) != 0) {
        return -1;
    }
    out->partition = (int32_t)number;
    if (number_header(headers, "perscom.offset", true, INT64_MAX, &number, errstr,
                      errstr_size) != 0) {
        return -1;
    }
    out->offset = (int64_t)number;
    if (number_header(headers, "perscom.status", false, 999, &number, errstr, errstr_size) !=
        0) {
        return -1;
    }
    out->http_status = (long)number;
    if (number_header(headers, "perscom.attempts", false, UINT32_MAX, &number, errstr,
                      errstr_size) != 0) {
        return -1;
    }
    out->attempts = (unsigned)number;
    found = text_header(headers, "perscom.reason", reason, sizeof(reason), errstr, errstr_size);
    if (found < 0) {
        return -1;
    }
    if (found == 0 || br_dlrecord_reason_parse(reason) < 0) {
        snprintf(errstr, errstr_size, "not a dead-letter record: header perscom.reason is %s%s%s",
                 found == 0 ? "missing" : "'", found == 0 ? "" : reason, found == 0 ? "" : "'");
        return -1;
    }
    out->reason = (enum br_dead_reason)br_dlrecord_reason_parse(reason);
    if (text_header(headers, "perscom.hook", out->hook, sizeof(out->hook), errstr,
                    errstr_size) < 0 ||
        text_header(headers, "perscom.event", out->event, sizeof(out->event), errstr,
                    errstr_size) < 0 ||
        text_header(headers, "perscom.request_id", out->request_id, sizeof(out->request_id),
                    errstr, errstr_size) < 0 ||
        text_header(headers, "perscom.trace_id", out->trace_id, sizeof(out->trace_id), errstr,
                    errstr_size) < 0) {
        return -1;
    }
    return 0;
}

static json_t *string_or_null(const char *value)
{
    return value ? json_string(value) : json_null();
}

char *br_dlrecord_report_json(const struct br_delivery_report *rep, size_t *len, char *errstr,
                              size_t errstr_size)
{
    json_t *obj = json_object();
    char *text = NULL;
    const char *bad = NULL;
    struct {
        const char *name;
        json_t *value;
    } fields[] = {
        {"event", string_or_null(rep->event)},
        {"hook", string_or_null(rep->hook)},
        {"status", rep->http_status > 0 ? json_integer(rep->http_status) : json_null()},
        {"outcome", json_string(br_dlrecord_outcome_name(rep->outcome))},
        {"attempts", json_integer((json_int_t)rep->attempts)},
        {"latency_ms", json_integer(rep->latency_ms)},
        {"topic", string_or_null(rep->topic)},
        {"partition", json_integer(rep->partition)},
        {"offset", json_integer(rep->offset)},
        {"request_id", string_or_null(rep->request_id)},
        {"reason", string_or_null(rep->reason)},
        {"error", string_or_null(rep->error)},
    };

    if (!obj) {
        abort();
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!fields[i].value) {
            bad = bad ? bad : fields[i].name; /* json_string refuses invalid UTF-8 */
            continue;
        }
        json_object_set_new(obj, fields[i].name, fields[i].value);
    }
    if (bad) {
        snprintf(errstr, errstr_size, "delivery report: %s is not valid UTF-8", bad);
        goto fail;
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(errstr, errstr_size, "delivery report: cannot encode JSON");
        goto fail;
    }
    *len = strlen(text);

fail:
    json_decref(obj);
    return text;
}
