/* The loop's readiness and metrics for the admin listener (see status.h). */
#include "loop/status.h"

#include <stdio.h>

#include "loop/loopstate.h"

bool br_status_ready(void *opaque, char *reason, size_t reason_size)
{
    struct br_loop *loop = opaque;

    if (!loop->joined) {
        snprintf(reason, reason_size, "not in the consumer group yet");
        return false;
    }
    if (loop->deadletter && br_deadletter_failing(loop->deadletter, reason, reason_size)) {
        return false;
    }
    if (loop->stopping) {
        snprintf(reason, reason_size, "stopping");
        return false;
    }
    return true;
}

int br_status_metrics(void *opaque, struct br_buf *out)
{
    struct br_loop *loop = opaque;
    int64_t bytes = 0;
    int64_t messages = 0;
    int64_t partitions = 0;
    bool producer_up = true;

    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        bytes += (int64_t)partition->bytes;
        messages += (int64_t)br_partition_window_use(partition);
        partitions++;
    }
    br_metrics_set(loop->metrics, BR_METRIC_IN_FLIGHT, (int64_t)br_sender_in_flight(loop->sender));
    br_metrics_set(loop->metrics, BR_METRIC_BUFFERED_BYTES, bytes);
    br_metrics_set(loop->metrics, BR_METRIC_BUFFERED_MESSAGES, messages);
    br_metrics_set(loop->metrics, BR_METRIC_PARTITIONS_ASSIGNED, partitions);
    if (loop->deadletter) {
        producer_up = !br_deadletter_failing(loop->deadletter, NULL, 0);
        br_metrics_set_total(loop->metrics, BR_METRIC_DEADLETTER_RESTARTS,
                             br_deadletter_restarts(loop->deadletter));
    }
    br_metrics_set(loop->metrics, BR_METRIC_DEADLETTER_UP, producer_up ? 1 : 0);
    for (size_t i = 0; i < loop->conf->hook_count; i++) {
        br_metrics_set_probing(loop->metrics, i, loop->health[i].open);
    }
    return br_metrics_render(loop->metrics, out);
}
