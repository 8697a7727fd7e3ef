#include "delivery/handover.h"

#include <stdlib.h>

struct handover_hook {
    struct br_ackmeta_range *ranges; /* owned, sorted, disjoint */
    size_t count;
    size_t cursor;                    /* ranges before it end at or before the last offset asked */
};

struct br_handover {
    struct handover_hook *hooks; /* owned, one per hook of this bridge */
    size_t hook_count;
    int64_t end;
    uint64_t total;
};

struct br_handover *br_handover_create(struct br_ackmeta *progress, const uint64_t *hook_ids,
                                       size_t hook_count)
{
    struct br_handover *handover = NULL;

    for (size_t i = 0; i < hook_count; i++) {
        struct br_ackmeta_hook *found = NULL;

        for (size_t j = 0; hook_ids[i] != 0 && j < progress->count; j++) {
            if (progress->hooks[j].id == hook_ids[i] && progress->hooks[j].count > 0) {
                found = &progress->hooks[j];
                break;
            }
        }
        if (!found) {
            continue;
        }
        if (!handover) {
            handover = calloc(1, sizeof(*handover));
            if (!handover) {
                abort();
            }
            handover->hooks = calloc(hook_count, sizeof(*handover->hooks));
            if (!handover->hooks) {
                abort();
            }
            handover->hook_count = hook_count;
        }
        handover->hooks[i].ranges = found->ranges; /* moved */
        handover->hooks[i].count = found->count;
        found->ranges = NULL;
        found->count = 0;
        for (size_t k = 0; k < handover->hooks[i].count; k++) {
            const struct br_ackmeta_range *range = &handover->hooks[i].ranges[k];
            handover->total += (uint64_t)(range->end - range->start);
        }
        if (handover->hooks[i].ranges[handover->hooks[i].count - 1].end > handover->end) {
            handover->end = handover->hooks[i].ranges[handover->hooks[i].count - 1].end;
        }
    }
    br_ackmeta_finish(progress);
    return handover;
}

void br_handover_destroy(struct br_handover *handover)
{
    if (!handover) {
        return;
    }
    for (size_t i = 0; i < handover->hook_count; i++) {
        free(handover->hooks[i].ranges);
    }
    free(handover->hooks);
    free(handover);
}

bool br_handover_acked(struct br_handover *handover, size_t hook, int64_t offset)
{
    struct handover_hook *entry;

    if (!handover || hook >= handover->hook_count) {
        return false;
    }
    entry = &handover->hooks[hook];
    while (entry->cursor < entry->count && entry->ranges[entry->cursor].end <= offset) {
        entry->cursor++;
    }
    return entry->cursor < entry->count && entry->ranges[entry->cursor].start <= offset;
}

int64_t br_handover_end(const struct br_handover *handover)
{
    return handover ? handover->end : 0;
}

uint64_t br_handover_total(const struct br_handover *handover)
{
    return handover ? handover->total : 0;
}

size_t br_handover_count(const struct br_handover *handover, size_t hook)
{
    return handover && hook < handover->hook_count ? handover->hooks[hook].count : 0;
}

size_t br_handover_ranges_from(const struct br_handover *handover, size_t hook, int64_t from,
                               struct br_ackmeta_range *out, size_t cap)
{
    size_t written = 0;

    if (!handover || hook >= handover->hook_count) {
        return 0;
    }
    for (size_t i = 0; i < handover->hooks[hook].count && written < cap; i++) {
        struct br_ackmeta_range range = handover->hooks[hook].ranges[i];

        if (range.end <= from) {
            continue;
        }
        if (range.start < from) {
            range.start = from;
        }
        out[written++] = range;
    }
    return written;
}
