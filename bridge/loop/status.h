#ifndef BR_STATUS_H
#define BR_STATUS_H
/*
 * What the admin listener reports about the loop: readiness (/readyz) and the metrics
 * (/metrics), read from the loop's state (loopstate.h) when a request comes. The admin
 * listener's callbacks (br_admin_ready_fn, br_admin_metrics_fn); opaque is the loop.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/*
 * Ready once the consumer has had an assignment, while the dead-letter producer is not failing
 * (the reason then is its status line, br_deadletter_failing) and the loop is not stopping.
 */
bool br_status_ready(void *opaque, char *reason, size_t reason_size);

/* Brings the gauges and the producer's figures up to date and renders every metric. */
int br_status_metrics(void *opaque, struct br_buf *out);

#endif
