#include "loop/skiplog.h"

#include <stdlib.h>
#include <string.h>

struct seen {
    char *topic;
    enum br_skip_reason reason;
};

struct br_skiplog {
    struct seen *seen;
    size_t count;
    size_t capacity;
};

struct br_skiplog *br_skiplog_create(void)
{
    struct br_skiplog *skiplog = calloc(1, sizeof(*skiplog));

    if (!skiplog) {
        abort();
    }
    return skiplog;
}

void br_skiplog_destroy(struct br_skiplog *skiplog)
{
    if (!skiplog) {
        return;
    }
    for (size_t i = 0; i < skiplog->count; i++) {
        free(skiplog->seen[i].topic);
    }
    free(skiplog->seen);
    free(skiplog);
}

bool br_skiplog_first(struct br_skiplog *skiplog, const char *topic, enum br_skip_reason reason)
{
    struct seen *entry;

    for (size_t i = 0; i < skiplog->count; i++) {
        if (skiplog->seen[i].reason == reason && strcmp(skiplog->seen[i].topic, topic) == 0) {
            return false;
        }
    }
    if (skiplog->count == BR_SKIPLOG_MAX) {
        return false;
    }
    if (skiplog->count == skiplog->capacity) {
        size_t capacity = skiplog->capacity ? 2 * skiplog->capacity : 16;
        struct seen *grown = realloc(skiplog->seen, capacity * sizeof(*grown));

        if (!grown) {
            abort();
        }
        skiplog->seen = grown;
        skiplog->capacity = capacity;
    }
    entry = &skiplog->seen[skiplog->count++];
    entry->topic = strdup(topic);
    if (!entry->topic) {
        abort();
    }
    entry->reason = reason;
    return true;
}

bool br_skiplog_topic_reason(enum br_skip_reason reason)
{
    return reason == BR_SKIP_NOT_PERSCOM_TABLE || reason == BR_SKIP_SCHEMA_CHANGE ||
           reason == BR_SKIP_TRANSACTION || reason == BR_SKIP_HEARTBEAT;
}
