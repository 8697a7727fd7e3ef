#ifndef BR_SKIPLOG_H
#define BR_SKIPLOG_H
/*
 * Which (topic, reason) pairs of skipped messages have been logged, so that a topic that is not
 * a PERSCOM table's (or one of Debezium's own) is logged once at info, not once per message.
 */
#include <stdbool.h>

#include "perscom/change.h"

/* At most this many pairs are remembered; later ones are not logged (the metric counts them). */
#define BR_SKIPLOG_MAX 4096

struct br_skiplog;

struct br_skiplog *br_skiplog_create(void);
void br_skiplog_destroy(struct br_skiplog *skiplog);

/* True the first time (topic, reason) is noted while fewer than BR_SKIPLOG_MAX are known. */
bool br_skiplog_first(struct br_skiplog *skiplog, const char *topic, enum br_skip_reason reason);

/* True for the reasons that belong to a whole topic (and are logged once per topic): not a
 * PERSCOM table, schema change, transaction, heartbeat. */
bool br_skiplog_topic_reason(enum br_skip_reason reason);

#endif
