#ifndef BR_SELECTION_H
#define BR_SELECTION_H
/*
 * Which records a replay sends: its filters as pure functions, the times they take, and the
 * replay's default consumer group.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/dlrecord.h"

struct br_selection {
    const char *hook;         /* only this hook; NULL: every hook */
    const char *event;        /* an event pattern ("rankrecord.*"); NULL: every event */
    const char *origin_topic; /* dead letters of this topic only; NULL: every topic */
    int32_t origin_partition; /* -1: every partition */
    int64_t origin_from;      /* first origin offset; -1: no bound */
    int64_t origin_to;        /* last origin offset (included); -1: no bound */
    int64_t since_ms;         /* record timestamp at or after; -1: no bound */
    int64_t until_ms;         /* record timestamp before; -1: no bound */
    int reason;               /* an enum br_dead_reason; -1: every reason */
};

/* Everything selected. */
void br_selection_init(struct br_selection *sel);

/*
 * Whether a dead letter (its headers, and the record's timestamp in ms) passes the filters that
 * its headers can answer: origin, reason, hook (a dead letter without perscom.hook, an
 * undecodable message, passes: it is owed to every hook), event (when perscom.event is there)
 * and time. When false, *why (if given) names the filter.
 */
bool br_selection_dead_letter(const struct br_selection *sel, const struct br_dead_header *dl,
                              int64_t timestamp_ms, const char **why);
/* Whether a record's timestamp passes --since/--until. */
bool br_selection_time(const struct br_selection *sel, int64_t timestamp_ms);
/* Whether event (a full event name) passes --event. */
bool br_selection_event(const struct br_selection *sel, const char *event);

/*
 * A point in time, as ms since the epoch: an ISO-8601 date or date-time in UTC unless it names
 * an offset ("2026-05-01", "2026-05-01T10:00Z", "2026-05-01T10:00:00.250+02:00", a space for
 * the T), or a time ago: a whole number with s, m, h or d ("90m", "36h", "2d", counted back
 * from now_ms). Returns 0, or -1 with a message.
 */
int br_selection_parse_time(const char *text, int64_t now_ms, int64_t *out_ms, char *errstr,
                            size_t errstr_size);

/*
 * The default group of a replay: "<group_id>.replay-" and the first 8 hex digits of the SHA-256
 * of options (the source and the filters as written), so the same replay resumes where it
 * stopped and a replay with other filters starts afresh.
 */
void br_selection_group(const char *group_id, const char *options, char *out, size_t out_size);

#endif
