#ifndef BR_HANDOVER_H
#define BR_HANDOVER_H
/*
 * What a partition's previous owner recorded in its last commit: per hook of this bridge, the
 * offsets beyond the committed offset that the hook had already acknowledged (ackmeta.h). The
 * new owner does not send those again; they count as done for that hook at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery/ackmeta.h"

struct br_handover;

/*
 * From progress decoded at the partition's committed offset, for this bridge's hooks (hook_ids
 * indexed by hook; an id of 0 is never matched). Ids of hooks this bridge does not have are
 * ignored. NULL when none of its hooks has progress. progress is finished either way.
 */
struct br_handover *br_handover_create(struct br_ackmeta *progress, const uint64_t *hook_ids,
                                       size_t hook_count);
void br_handover_destroy(struct br_handover *handover);

/*
 * Whether hook had acknowledged offset. For one hook, offsets must be asked in increasing order
 * (a cursor moves forward).
 */
bool br_handover_acked(struct br_handover *handover, size_t hook, int64_t offset);

/* One past the highest offset any hook had acknowledged: nothing is skipped from there on. */
int64_t br_handover_end(const struct br_handover *handover);

/* Offsets acknowledged by all hooks together (for the log). */
uint64_t br_handover_total(const struct br_handover *handover);

/* How many ranges hook has. */
size_t br_handover_count(const struct br_handover *handover, size_t hook);

/*
 * hook's ranges at and beyond from, clipped to start there, into out (at most cap; room for
 * br_handover_count suffices). Returns how many.
 */
size_t br_handover_ranges_from(const struct br_handover *handover, size_t hook, int64_t from,
                               struct br_ackmeta_range *out, size_t cap);

#endif
