#include "cmd/selection.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "perscom/catalog.h"

void br_selection_init(struct br_selection *sel)
{
    memset(sel, 0, sizeof(*sel));
    sel->origin_partition = -1;
    sel->origin_from = -1;
    sel->origin_to = -1;
    sel->since_ms = -1;
    sel->until_ms = -1;
    sel->reason = -1;
}

bool br_selection_time(const struct br_selection *sel, int64_t timestamp_ms)
{
    return (sel->since_ms < 0 || timestamp_ms >= sel->since_ms) &&
           (sel->until_ms < 0 || timestamp_ms < sel->until_ms);
}

bool br_selection_event(const struct br_selection *sel, const char *event)
{
    return !sel->event || br_catalog_pattern_matches(sel->event, event);
}

bool br_selection_dead_letter(const struct br_selection *sel, const struct br_dead_header *dl,
                              int64_t timestamp_ms, const char **why)
{
    const char *failed = NULL;

    if (sel->origin_topic && strcmp(sel->origin_topic, dl->topic) != 0) {
        failed = "origin topic";
    } else if (sel->origin_partition >= 0 && dl->partition != sel->origin_partition) {
        failed = "origin partition";
    } else if ((sel->origin_from >= 0 && dl->offset < sel->origin_from) ||
               (sel->origin_to >= 0 && dl->offset > sel->origin_to)) {
        failed = "origin offset";
    } else if (sel->reason >= 0 && (int)dl->reason != sel->reason) {
        failed = "reason";
    } else if (sel->hook && dl->hook[0] && strcmp(sel->hook, dl->hook) != 0) {
        failed = "hook";
    } else if (dl->event[0] && !br_selection_event(sel, dl->event)) {
        failed = "event";
    } else if (!br_selection_time(sel, timestamp_ms)) {
        failed = "time";
    }
    if (why) {
        *why = failed;
    }
    return failed == NULL;
}

/* Reads exactly count digits at *p into *out. */
static bool digits(const char **p, int count, int64_t *out)
{
    int64_t value = 0;

    for (int i = 0; i < count; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return false;
        }
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += count;
    *out = value;
    return true;
}

static int parse_ago(const char *text, int64_t now_ms, int64_t *out_ms)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
    char *end = NULL;
    long long count;

    if (!isdigit((unsigned char)text[0])) {
        return -1;
    }
    errno = 0;
    count = strtoll(text, &end, 10);
    if (errno != 0 || end[0] == '\0' || end[1] != '\0') {
        return -1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (*end == units[i].unit) {
            if (count > (now_ms < 0 ? 0 : now_ms) / units[i].ms) {
                return -1; /* before the epoch */
            }
            *out_ms = now_ms - (int64_t)count * units[i].ms;
            return 0;
        }
    }
    return -1;
}

static int parse_iso(const char *text, int64_t *out_ms)
{
    const char *p = text;
    int64_t year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    int64_t offset_min = 0;

    if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
        !digits(&p, 2, &day)) {
        return -1;
    }
    if (!br_civil_valid_date(year, month, day)) {
        return -1;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &minute) || hour > 23 ||
            minute > 59) {
            return -1;
        }
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &second) || second > 59) {
                return -1;
            }
            if (*p == '.') {
                int places = 0;
                p++;
                if (!isdigit((unsigned char)*p)) {
                    return -1;
                }
                while (isdigit((unsigned char)*p)) {
                    if (places < 3) {
                        millis = millis * 10 + (*p - '0');
                        places++;
                    }
                    p++;
                }
                while (places++ < 3) {
                    millis *= 10;
                }
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            int64_t oh, om;
            p++;
            if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 ||
                om > 59) {
                return -1;
            }
            offset_min = sign * (oh * 60 + om);
        }
    }
    if (*p != '\0') {
        return -1;
    }
    *out_ms = ((br_civil_days(year, month, day) * 24 + hour) * 60 + minute - offset_min) * 60000 +
              second * 1000 + millis;
    return 0;
}

int br_selection_parse_time(const char *text, int64_t now_ms, int64_t *out_ms, char *errstr,
                            size_t errstr_size)
{
    if (text && (parse_ago(text, now_ms, out_ms) == 0 || parse_iso(text, out_ms) == 0)) {
        return 0;
    }
    snprintf(errstr, errstr_size, "'%s' is not a time: use an ISO-8601 date or date-time "
             "(2026-05-01, 2026-05-01T10:00:00Z; UTC unless it names an offset) or a time ago "
             "(90m, 36h, 2d)", text ? text : "");
    return -1;
}

void br_selection_group(const char *group_id, const char *options, char *out, size_t out_size)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!EVP_Digest(options, strlen(options), digest, &len, EVP_sha256(), NULL)) {
        abort(); /* SHA-256 of a few bytes cannot fail short of a broken OpenSSL */
    }
    snprintf(out, out_size, "%s.replay-%02x%02x%02x%02x", group_id, digest[0], digest[1],
             digest[2], digest[3]);
}
