#ifndef BR_OFFSETS_H
#define BR_OFFSETS_H
/*
 * Done-prefix tracking for one partition. Messages enter in offset order, each owing some
 * deliveries; a message is done when all of them are. The committable offset is one past the
 * longest done prefix: it never moves past a message that is not done.
 */
#include <stddef.h>
#include <stdint.h>

struct br_offset_entry {
    int64_t offset;
    uint32_t pending; /* deliveries still owed */
};

struct br_offsets {
    struct br_offset_entry *ring; /* owned */
    size_t cap;                   /* power of two */
    size_t head;                  /* index of the oldest entry */
    size_t count;
    uint64_t head_seq;            /* sequence number of ring[head] */
    int64_t committable;          /* one past the done prefix; -1 until something is done */
};

void br_offsets_init(struct br_offsets *offsets);
void br_offsets_finish(struct br_offsets *offsets);

/*
 * Adds the message at offset (greater than every offset added before) owing `pending`
 * deliveries (0: done at once). Returns its sequence number, the handle for br_offsets_done.
 */
uint64_t br_offsets_add(struct br_offsets *offsets, int64_t offset, uint32_t pending);

/* One delivery of message seq is finished (delivered, or given up by policy). */
void br_offsets_done(struct br_offsets *offsets, uint64_t seq);

/* Messages not yet done (the partition's window use). */
size_t br_offsets_outstanding(const struct br_offsets *offsets);

/* One past the longest done prefix, or -1 when nothing is done yet. */
int64_t br_offsets_committable(const struct br_offsets *offsets);

#endif
