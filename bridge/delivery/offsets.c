#include "delivery/offsets.h"

#include <stdlib.h>
#include <string.h>

void br_offsets_init(struct br_offsets *offsets)
{
    memset(offsets, 0, sizeof(*offsets));
    offsets->committable = -1;
}

void br_offsets_finish(struct br_offsets *offsets)
{
    free(offsets->ring);
    offsets->ring = NULL;
    offsets->cap = 0;
    offsets->count = 0;
}

static void grow(struct br_offsets *offsets)
{
    size_t cap = offsets->cap ? offsets->cap * 2 : 64;
    struct br_offset_entry *ring = malloc(cap * sizeof(*ring));

    if (!ring) {
        abort();
    }
    for (size_t i = 0; i < offsets->count; i++) {
        ring[i] = offsets->ring[(offsets->head + i) & (offsets->cap - 1)];
    }
    free(offsets->ring);
    offsets->ring = ring;
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
    offsets->count++;
    advance(offsets);
    return seq;
}

void br_offsets_done(struct br_offsets *offsets, uint64_t seq)
{
    size_t index;

    if (seq < offsets->head_seq || seq >= offsets->head_seq + offsets->count) {
        return; /* already done or never added: nothing owed */
    }
    index = (offsets->head + (size_t)(seq - offsets->head_seq)) & (offsets->cap - 1);
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
