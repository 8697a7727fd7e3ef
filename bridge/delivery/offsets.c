#include "delivery/offsets.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void br_offsets_init(struct br_offsets *offsets, size_t hook_count)
{
    memset(offsets, 0, sizeof(*offsets));
    offsets->words = (hook_count + 63) / 64;
    offsets->committable = -1;
}

void br_offsets_finish(struct br_offsets *offsets)
{
    free(offsets->ring);
    free(offsets->acked);
    offsets->ring = NULL;
    offsets->acked = NULL;
    offsets->cap = 0;
    offsets->count = 0;
}

void br_offsets_grow(struct br_offsets *offsets, size_t hook_count)
{
    size_t words = (hook_count + 63) / 64;
    uint64_t *acked = NULL;

    if (words <= offsets->words) {
        return;
    }
    if (offsets->cap > 0) {
        acked = calloc(offsets->cap * words, sizeof(*acked));
        if (!acked) {
            abort();
        }
        for (size_t i = 0; i < offsets->cap && offsets->words > 0; i++) {
            memcpy(&acked[i * words], &offsets->acked[i * offsets->words],
                   offsets->words * sizeof(*acked));
        }
    }
    free(offsets->acked);
    offsets->acked = acked;
    offsets->words = words;
}

static void grow(struct br_offsets *offsets)
{
    size_t cap = offsets->cap ? offsets->cap * 2 : 64;
    struct br_offset_entry *ring = malloc(cap * sizeof(*ring));
    uint64_t *acked = NULL;
    size_t words = offsets->words;

    if (words > 0) {
        acked = malloc(cap * words * sizeof(*acked));
    }
    if (!ring || (words > 0 && !acked)) {
        abort();
    }
    for (size_t i = 0; i < offsets->count; i++) {
        size_t from = (offsets->head + i) & (offsets->cap - 1);
        ring[i] = offsets->ring[from];
        if (words > 0) {
            memcpy(&acked[i * words], &offsets->acked[from * words], words * sizeof(*acked));
        }
    }
    free(offsets->ring);
    free(offsets->acked);
    offsets->ring = ring;
    offsets->acked = acked;
    offsets->cap = cap;
    offsets->head = 0;
}

/* Pops done entries from the head, moving the committable offset past each. */
static void advance(struct br_offsets *offsets)
{
    while (offsets->count > 0 && offsets->ring[offsets->head].pending == 0) {
        offsets->committable = offsets->ring[offsets->head].offset + 1;
        offsets->head = (offsets->head + 1) & (offsets->cap - 1);
        offsets->count--;
        offsets->head_seq++;
    }
}

uint64_t br_offsets_add(struct br_offsets *offsets, int64_t offset, uint32_t pending)
{
    uint64_t seq = offsets->head_seq + offsets->count;
    struct br_offset_entry *entry;

    if (offsets->count == offsets->cap) {
        grow(offsets);
    }
    entry = &offsets->ring[(offsets->head + offsets->count) & (offsets->cap - 1)];
    entry->offset = offset;
    entry->pending = pending;
    if (offsets->words > 0) {
        size_t index = (size_t)(entry - offsets->ring);
        memset(&offsets->acked[index * offsets->words], 0,
               offsets->words * sizeof(*offsets->acked));
    }
    offsets->count++;
    advance(offsets);
    return seq;
}

/* The ring index of seq, or -1 when it is in the done prefix or was never added. */
static long index_of(const struct br_offsets *offsets, uint64_t seq)
{
    if (seq < offsets->head_seq || seq >= offsets->head_seq + offsets->count) {
        return -1;
    }
    return (long)((offsets->head + (size_t)(seq - offsets->head_seq)) & (offsets->cap - 1));
}

void br_offsets_ack(struct br_offsets *offsets, uint64_t seq, size_t hook)
{
    long index = index_of(offsets, seq);

    if (index < 0 || hook / 64 >= offsets->words) {
        return;
    }
    offsets->acked[(size_t)index * offsets->words + hook / 64] |= (uint64_t)1 << (hook % 64);
}

void br_offsets_done(struct br_offsets *offsets, uint64_t seq)
{
    long index = index_of(offsets, seq);

    if (index < 0) {
        return; /* already done or never added: nothing owed */
    }
    if (offsets->ring[index].pending > 0) {
        offsets->ring[index].pending--;
    }
    advance(offsets);
}

size_t br_offsets_outstanding(const struct br_offsets *offsets)
{
    return offsets->count;
}

int64_t br_offsets_committable(const struct br_offsets *offsets)
{
    return offsets->committable;
}

int64_t br_offsets_first_undone(const struct br_offsets *offsets)
{
    return offsets->count > 0 ? offsets->ring[offsets->head].offset : -1;
}

size_t br_offsets_acked(const struct br_offsets *offsets, size_t hook,
                        struct br_ackmeta_range *out, size_t cap)
{
    size_t written = 0;
    bool open = false; /* the previous message was acknowledged: out[written - 1] grows */

    if (hook / 64 >= offsets->words) {
        return 0;
    }
    for (size_t i = 0; i < offsets->count; i++) {
        size_t index = (offsets->head + i) & (offsets->cap - 1);
        bool acked = (offsets->acked[index * offsets->words + hook / 64] >> (hook % 64)) & 1;
        int64_t offset = offsets->ring[index].offset;

        if (!acked) {
            open = false;
        } else if (open) {
            out[written - 1].end = offset + 1;
        } else if (written < cap) {
            out[written].start = offset;
            out[written].end = offset + 1;
            written++;
            open = true;
        } else {
            break;
        }
    }
    return written;
}
