#ifndef BR_OFFSETS_H
#define BR_OFFSETS_H
/*
 * Done-prefix tracking for one partition. Messages enter in offset order, each owing some
 * deliveries; a message is done when all of them are. The committable offset is one past the
 * longest done prefix: it never moves past a message that is not done.
 *
 * Beyond the done prefix it also remembers which hooks have acknowledged each message (their
 * delivery done: delivered, dead-lettered or dropped), for the per-hook progress a commit
 * carries (ackmeta.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "delivery/ackmeta.h"

struct br_offset_entry {
    int64_t offset;
    uint32_t pending; /* deliveries still owed */
};

struct br_offsets {
    struct br_offset_entry *ring; /* owned */
    uint64_t *acked;              /* owned: words bits per entry, parallel to ring */
    size_t words;                 /* 64-bit words of hook bits per entry */
    size_t cap;                   /* power of two */
    size_t head;                  /* index of the oldest entry */
    size_t count;
    uint64_t head_seq;            /* sequence number of ring[head] */
    int64_t committable;          /* one past the done prefix; -1 until something is done */
};

/* hook_count: the hooks whose acknowledgements are remembered (hook indexes below it). */
void br_offsets_init(struct br_offsets *offsets, size_t hook_count);
void br_offsets_finish(struct br_offsets *offsets);
/* Remembers the acknowledgements of hook_count hooks from now on (never fewer than before);
 * what was remembered is kept. */
void br_offsets_grow(struct br_offsets *offsets, size_t hook_count);

/*
 * Adds the message at offset (greater than every offset added before) owing `pending`
 * deliveries (0: done at once). Returns its sequence number, the handle for br_offsets_done.
 */
uint64_t br_offsets_add(struct br_offsets *offsets, int64_t offset, uint32_t pending);

/* One delivery of message seq is finished (delivered, or given up by policy). */
void br_offsets_done(struct br_offsets *offsets, uint64_t seq);

/*
 * Hook has acknowledged message seq (call before its br_offsets_done). Nothing happens when
 * seq is already in the done prefix.
 */
void br_offsets_ack(struct br_offsets *offsets, uint64_t seq, size_t hook);

/* Messages not yet done (the partition's window use). */
size_t br_offsets_outstanding(const struct br_offsets *offsets);

/* One past the longest done prefix, or -1 when nothing is done yet. */
int64_t br_offsets_committable(const struct br_offsets *offsets);

/* The offset of the oldest message not done, or -1 when every message added is done. */
int64_t br_offsets_first_undone(const struct br_offsets *offsets);

/*
 * The offsets hook has acknowledged among the messages not done yet, as sorted ranges: two
 * acknowledged messages next to each other in the partition share a range, also across offsets
 * that hold no message (compaction, transaction markers). Writes at most cap ranges (room for
 * br_offsets_outstanding() / 2 + 1 always suffices) and returns how many.
 */
size_t br_offsets_acked(const struct br_offsets *offsets, size_t hook,
                        struct br_ackmeta_range *out, size_t cap);

#endif
