#include "loop/commit.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "delivery/ackmeta.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"

/* One commit sent: what each of its partitions had settled then. */
struct commit_part {
    struct br_partition *partition; /* holds a reference */
    uint64_t settled;
};

struct br_commit_record {
    struct br_loop *loop;
    struct commit_part *parts; /* owned */
    size_t count;
    struct br_commit_record *prev;
    struct br_commit_record *next;
};

void br_commit_init(struct br_loop *loop)
{
    /* hook_ids and progress_hooks: one per hook slot, grown with the hook set (hooks.c) */
    loop->progress_budget = (size_t)loop->conf->progress_metadata_bytes;
    loop->metadata = malloc(loop->progress_budget + 1);
    if (!loop->metadata) {
        abort();
    }
}

static void record_free(struct br_commit_record *record)
{
    for (size_t i = 0; i < record->count; i++) {
        br_partition_release(record->parts[i].partition);
    }
    free(record->parts);
    free(record);
}

static void record_unlink(struct br_loop *loop, struct br_commit_record *record)
{
    if (record->prev) {
        record->prev->next = record->next;
    } else if (loop->commits == record) {
        loop->commits = record->next;
    }
    if (record->next) {
        record->next->prev = record->prev;
    }
    record->prev = NULL;
    record->next = NULL;
}

void br_commit_finish(struct br_loop *loop)
{
    while (loop->commits) {
        struct br_commit_record *record = loop->commits;
        record_unlink(loop, record);
        record_free(record);
    }
    free(loop->hook_ids);
    free(loop->progress_hooks);
    free(loop->ranges);
    free(loop->metadata);
}

/* The offset partition commits now, or -1 when it has read nothing. */
static int64_t commit_base(const struct br_partition *partition)
{
    int64_t base = br_offsets_committable(&partition->offsets);

    if (base < 0) {
        base = br_offsets_first_undone(&partition->offsets);
    }
    if (base < 0 && partition->held_head) {
        base = partition->held_head->message->offset;
    }
    return base;
}

size_t br_commit_metadata(struct br_loop *loop, struct br_partition *partition, int64_t base,
                          char *out, int64_t *span)
{
    size_t hooks = loop->hook_slots;
    size_t need = 0;
    size_t used = 0;
    /* what the previous owner recorded for messages not taken yet is recorded again */
    int64_t unread = partition->held_head ? partition->held_head->message->offset
                                          : partition->next_offset;

    *span = INT64_MAX;
    out[0] = '\0';
    if (loop->progress_budget == 0 || base < 0) {
        return 0;
    }
    for (size_t i = 0; i < hooks && i < partition->lane_count; i++) {
        need += br_offsets_outstanding(&partition->offsets) / 2 + 1 +
                br_handover_count(partition->handover, i);
    }
    if (need > loop->range_cap) {
        free(loop->ranges);
        loop->range_cap = need * 2;
        loop->ranges = malloc(loop->range_cap * sizeof(*loop->ranges));
        if (!loop->ranges) {
            abort();
        }
    }
    for (size_t i = 0; i < hooks && i < partition->lane_count; i++) {
        struct br_ackmeta_hook *hook = &loop->progress_hooks[i];

        hook->id = loop->hook_ids[i];
        hook->ranges = loop->ranges + used;
        hook->count = br_offsets_acked(&partition->offsets, i, hook->ranges,
                                       loop->range_cap - used);
        if (partition->handover) {
            hook->count += br_handover_ranges_from(partition->handover, i,
                                                   unread < 0 ? base : unread,
                                                   hook->ranges + hook->count,
                                                   loop->range_cap - used - hook->count);
        }
        used += hook->count;
    }
    return br_ackmeta_encode(base, loop->progress_hooks,
                              hooks < partition->lane_count ? hooks : partition->lane_count,
                              loop->progress_budget, out, span);
}

/* A throttled partition whose commits caught up: its lanes may go again. */
static void unthrottle(struct br_loop *loop, struct br_partition *partition)
{
    if (!partition->throttled || partition->revoked ||
        (loop->conf->max_uncommitted > 0 &&
         partition->settled - partition->settled_committed >=
             (uint64_t)loop->conf->max_uncommitted)) {
        return;
    }
    partition->throttled = false;
    for (size_t i = 0; i < partition->lane_count; i++) {
        if (partition->lanes[i]) {
            br_schedule_ready(&loop->schedule, partition->lanes[i]);
        }
    }
}

bool br_commit_may_start(struct br_loop *loop, struct br_partition *partition)
{
    if (loop->conf->max_uncommitted <= 0 ||
        partition->settled - partition->settled_committed < (uint64_t)loop->conf->max_uncommitted) {
        return true;
    }
    if (!partition->throttled) {
        partition->throttled = true;
        br_log_info("commit", "%s [%d]: %llu deliveries beyond the last successful commit "
                    "(delivery.max_uncommitted): no new request until a commit succeeds",
                    partition->topic, partition->id,
                    (unsigned long long)(partition->settled - partition->settled_committed));
    }
    return false;
}

/* Logs the first failure of a run of them, and the recovery. */
static void note_result(struct br_loop *loop, bool ok, const char *topic, int32_t id,
                        rd_kafka_resp_err_t err)
{
    int64_t now = br_schedule_now_ms();

    if (ok) {
        if (loop->commit_failures > 0) {
            br_log_info("commit", "commits succeed again after %llu failure(s) over %lld ms",
                        (unsigned long long)loop->commit_failures,
                        (long long)(now - loop->commit_failing_since_ms));
        }
        loop->commit_failures = 0;
        return;
    }
    if (loop->commit_failures++ == 0) {
        loop->commit_failing_since_ms = now;
        br_log_warn("commit", "commit of %s [%d] failed: %s (tried again; partitions stop "
                    "%ld deliveries beyond their last successful commit)", topic, (int)id,
                    rd_kafka_err2str(err), loop->conf->max_uncommitted);
    }
    if (err == RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE && loop->progress_budget > 0) {
        loop->progress_budget /= 2;
        br_log_warn("commit", "the broker refused the commit metadata as too large "
                    "(offset.metadata.max.bytes below delivery.progress_metadata_bytes?): "
                    "progress is now recorded in at most %zu bytes", loop->progress_budget);
    }
}

static void answered(void *opaque, rd_kafka_resp_err_t err,
                     const rd_kafka_topic_partition_list_t *offsets)
{
    struct br_commit_record *record = opaque;
    struct br_loop *loop = record->loop;

    for (size_t i = 0; i < record->count; i++) {
        struct br_partition *partition = record->parts[i].partition;
        rd_kafka_resp_err_t result = err;

        for (int j = 0; offsets && j < offsets->cnt; j++) {
            if (offsets->elems[j].partition == partition->id &&
                strcmp(offsets->elems[j].topic, partition->topic) == 0) {
                result = err ? err : offsets->elems[j].err;
                break;
            }
        }
        if (partition->commits_in_flight > 0) {
            partition->commits_in_flight--;
        }
        if (partition->revoked) {
            continue;
        }
        if (result == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (record->parts[i].settled > partition->settled_committed) {
                partition->settled_committed = record->parts[i].settled;
            }
            unthrottle(loop, partition);
        } else {
            partition->commit_again = true;
        }
        note_result(loop, result == RD_KAFKA_RESP_ERR_NO_ERROR, partition->topic, partition->id,
                    result);
    }
    record_unlink(loop, record);
    record_free(record);
}

/* Adds partition to list when it has something new to commit. */
static bool add_partition(struct br_loop *loop, struct br_partition *partition, bool sync,
                          rd_kafka_topic_partition_list_t *list, struct br_commit_record *record)
{
    int64_t base = commit_base(partition);
    int64_t span;
    size_t len;
    rd_kafka_topic_partition_t *element;

    if (partition->revoked || base < 0) {
        return false;
    }
    len = br_commit_metadata(loop, partition, base, loop->metadata, &span);
    if (span != INT64_MAX && !loop->progress_clipped_logged) {
        loop->progress_clipped_logged = true;
        br_log_warn("commit", "%s [%d]: per-hook progress beyond offset %lld does not fit in "
                    "%zu bytes (delivery.progress_metadata_bytes); the next owner may send "
                    "what lies beyond again (logged once)", partition->topic, partition->id,
                    (long long)(base + span), loop->progress_budget);
    }
    if ((base == partition->commit_sent && !partition->commit_again &&
         strcmp(loop->metadata, partition->commit_metadata ? partition->commit_metadata : "") ==
             0 &&
         (!sync || partition->commits_in_flight == 0)) ||
        (br_offsets_committable(&partition->offsets) < 0 && len == 0)) {
        /* nothing new: what was sent covers everything settled (or nothing is done and no
         * progress can be recorded: the committed offset stays where the partition started) */
        partition->settled_sent = partition->settled;
        if (partition->commits_in_flight == 0) {
            partition->settled_committed = partition->settled;
            unthrottle(loop, partition);
        }
        return false;
    }
    element = rd_kafka_topic_partition_list_add(list, partition->topic, partition->id);
    element->offset = base;
    if (len > 0) {
        element->metadata = malloc(len);
        if (!element->metadata) {
            abort();
        }
        memcpy(element->metadata, loop->metadata, len);
        element->metadata_size = len;
    }
    free(partition->commit_metadata);
    partition->commit_metadata = strdup(loop->metadata);
    if (!partition->commit_metadata) {
        abort();
    }
    partition->commit_sent = base;
    partition->commit_again = false;
    partition->settled_sent = partition->settled;
    partition->commits_in_flight++;
    record->parts[record->count].partition = br_partition_ref(partition);
    record->parts[record->count].settled = partition->settled;
    record->count++;
    return true;
}

static void commit_list(struct br_loop *loop, struct br_partition **partitions, size_t count,
                        bool sync)
{
    struct br_commit_record *record = calloc(1, sizeof(*record));
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)count);

    if (!record || !list) {
        abort();
    }
    record->loop = loop;
    record->parts = calloc(count ? count : 1, sizeof(*record->parts));
    if (!record->parts) {
        abort();
    }
    for (size_t i = 0; i < count; i++) {
        add_partition(loop, partitions[i], sync, list, record);
    }
    if (record->count == 0) {
        record_free(record);
        rd_kafka_topic_partition_list_destroy(list);
        return;
    }
    /* linked first: a synchronous commit answers (and unlinks it) before returning */
    record->next = loop->commits;
    if (record->next) {
        record->next->prev = record;
    }
    loop->commits = record;
    if (br_consumer_commit(loop->consumer, list, sync, answered, record) != 0) {
        /* not sent (and never answered): send it again next time */
        for (size_t i = 0; i < record->count; i++) {
            record->parts[i].partition->commits_in_flight--;
            record->parts[i].partition->commit_again = true;
        }
        record_unlink(loop, record);
        record_free(record);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

void br_commit_partitions(struct br_loop *loop, struct br_partition **partitions, size_t count)
{
    commit_list(loop, partitions, count, true);
}

/* Whether partition has something settled (or a moved prefix) not sent yet. */
static bool unsent(const struct br_partition *partition)
{
    if (br_offsets_committable(&partition->offsets) < 0 && partition->settled == 0 &&
        !partition->commit_again) {
        return false; /* nothing done, nothing acknowledged: nothing to say */
    }
    return partition->settled != partition->settled_sent || partition->commit_again ||
           commit_base(partition) != partition->commit_sent;
}

void br_commit_run(struct br_loop *loop, int64_t now_ms, bool force)
{
    uint64_t soon = loop->conf->max_uncommitted > 1 ? (uint64_t)loop->conf->max_uncommitted / 2
                                                     : 1;
    bool due = force || now_ms >= loop->next_commit_ms;
    size_t count = 0;
    struct br_partition **partitions;

    loop->uncommitted = false;
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        if (!unsent(partition)) {
            continue;
        }
        loop->uncommitted = true;
        if (loop->conf->max_uncommitted > 0 && partition->commits_in_flight == 0 &&
            partition->settled - partition->settled_sent >= soon) {
            due = true;
        }
        count++;
    }
    if (!due || count == 0) {
        if (due) {
            loop->next_commit_ms = now_ms + loop->conf->commit_interval_ms;
        }
        return;
    }
    partitions = malloc(count * sizeof(*partitions));
    if (!partitions) {
        abort();
    }
    count = 0;
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        if (unsent(partition)) {
            partitions[count++] = partition;
        }
    }
    commit_list(loop, partitions, count, force);
    free(partitions);
    loop->next_commit_ms = now_ms + loop->conf->commit_interval_ms;
    loop->uncommitted = false;
    for (struct br_partition *partition = loop->partitions; partition;
         partition = partition->next) {
        loop->uncommitted = loop->uncommitted || unsent(partition);
    }
}
