/* The loop's readiness and metrics for the admin listener (see status.h). */
#include "loop/status.h"

#include <stdio.h>

#include "loop/loopstate.h"

bool br_status_ready(void *opaque, char *reason, size_t reason_size)
{
    struct br_loop *loop = opaque;

    if (!loop->hooks_caught_up) {
        snprintf(reason, reason_size, "reading the webhooks topics (table hooks)");
        return false;
    }
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

/*
 * consumer_lag{topic,partition}: the high watermark librdkafka last saw minus the committed
 * offset (the one last sent to be committed; before any commit, the offset the partition
 * started at). A partition whose high watermark is not known yet has no series.
 */
static int render_lag(const struct br_loop *loop, struct br_buf *out)
{
    br_buf_append_str(out, "# HELP perscom_bridge_consumer_lag Messages of an assigned partition "
                           "after its committed offset (high watermark - committed).\n"
                           "# TYPE perscom_bridge_consumer_lag gauge\n");
    for (const struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        int64_t high;
        int64_t base = partition->commit_sent >= 0 ? partition->commit_sent
                                                   : partition->first_offset;
        if (br_consumer_high_watermark(loop->consumer, partition->topic, partition->id,
                                       &high) != 0) {
            continue;
        }
        if (base < 0 || base > high) {
            base = high; /* nothing taken yet and nothing committed: nothing is behind */
        }
        br_buf_append_str(out, "perscom_bridge_consumer_lag{topic=\"");
        br_metrics_escape_label(out, partition->topic);
        br_buf_printf(out, "\",partition=\"%d\"} %lld\n", (int)partition->id,
                      (long long)(high - base));
    }
    return out->overflow ? -1 : 0;
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
    for (size_t i = 0; i < loop->hook_slots; i++) {
        br_metrics_set_probing(loop->metrics, i, loop->health[i].open);
    }
    if (br_metrics_render(loop->metrics, out) != 0) {
        return -1;
    }
    return render_lag(loop, out);
}
