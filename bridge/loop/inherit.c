#include "loop/inherit.h"

#include <stdlib.h>

#include "core/log.h"
#include "delivery/handover.h"
#include "delivery/ackmeta.h"
#include "loop/loopstate.h"

void br_inherit_load(struct br_loop *loop, struct br_partition **partitions, size_t count)
{
    rd_kafka_topic_partition_list_t *list;
    char errstr[256];

    if (count == 0 || loop->conf->progress_metadata_bytes == 0) {
        return;
    }
    list = rd_kafka_topic_partition_list_new((int)count);
    for (size_t i = 0; i < count; i++) {
        rd_kafka_topic_partition_list_add(list, partitions[i]->topic, partitions[i]->id);
    }
    if (br_consumer_committed(loop->consumer, list, BR_INHERIT_TIMEOUT_MS, errstr,
                              sizeof(errstr)) != 0) {
        br_log_warn("inherit", "reading the committed offsets of %zu assigned partition(s) "
                    "failed (%s): what their previous owners delivered after those offsets is "
                    "sent again", count, errstr);
        rd_kafka_topic_partition_list_destroy(list);
        return;
    }
    for (size_t i = 0; i < count && i < (size_t)list->cnt; i++) {
        const rd_kafka_topic_partition_t *element = &list->elems[i];
        struct br_partition *partition = partitions[i];
        struct br_ackmeta progress;

        if (element->err || element->offset < 0 || element->metadata_size == 0) {
            continue;
        }
        if (br_ackmeta_decode(element->metadata, element->metadata_size, element->offset,
                               &progress, errstr, sizeof(errstr)) != 0) {
            br_log_warn("inherit", "%s [%d]: the metadata committed with offset %lld is not "
                        "per-hook progress (%s): ignored", partition->topic, partition->id,
                        (long long)element->offset, errstr);
            continue;
        }
        br_handover_destroy(partition->handover);
        partition->handover = br_handover_create(&progress, loop->hook_ids, loop->hook_slots);
        if (partition->handover) {
            br_log_info("inherit", "%s [%d]: committed at offset %lld; the previous owner's "
                        "hooks had acknowledged %llu deliveries up to offset %lld beyond it: "
                        "they are not sent again", partition->topic, partition->id,
                        (long long)element->offset,
                        (unsigned long long)br_handover_total(partition->handover),
                        (long long)br_handover_end(partition->handover) - 1);
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

size_t br_inherit_take(struct br_loop *loop, struct br_partition *partition, int64_t offset,
                       struct br_prepared *prepared)
{
    size_t skipped = 0;
    size_t kept = 0;

    if (!partition->handover) {
        return 0;
    }
    if (offset >= br_handover_end(partition->handover)) {
        br_inherit_forget(partition);
        return 0;
    }
    for (size_t i = 0; i < prepared->count; i++) {
        size_t hook = prepared->positions[i]; /* the hook's slot */

        if (br_handover_acked(partition->handover, hook, offset)) {
            loop->inherit_hooks[skipped++] = hook;
            br_request_finish(&prepared->requests[i]);
        } else {
            prepared->positions[kept] = hook;
            prepared->requests[kept++] = prepared->requests[i];
        }
    }
    prepared->count = kept;
    partition->handover_skipped += skipped;
    return skipped;
}

void br_inherit_ack(struct br_loop *loop, struct br_partition *partition, uint64_t seq,
                    size_t skipped)
{
    for (size_t i = 0; i < skipped; i++) {
        br_offsets_ack(&partition->offsets, seq, loop->inherit_hooks[i]);
    }
}

void br_inherit_forget(struct br_partition *partition)
{
    if (!partition->handover) {
        return;
    }
    br_log_info("inherit", "%s [%d]: %llu delivery(ies) acknowledged under the previous owner "
                "not sent again", partition->topic, partition->id,
                (unsigned long long)partition->handover_skipped);
    br_handover_destroy(partition->handover);
    partition->handover = NULL;
}
