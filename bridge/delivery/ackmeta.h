#ifndef BR_ACKMETA_H
#define BR_ACKMETA_H
/*
 * Per-hook progress beyond a partition's committed offset, as text for Kafka's offset-commit
 * metadata. A partition commits one offset for all hooks (one past its done prefix); a fast hook
 * is usually ahead of it. The commit carries, per hook, the offsets that hook has acknowledged
 * beyond the committed offset, so that the next owner of the partition does not send them again.
 *
 * The text is ASCII (Kafka stores the metadata as a string):
 *
 *   p1,<base>,<entry>,<entry>,...,<sum>
 *
 * base: the committed offset (decimal) the entries are relative to; a reader checks it against
 * the offset it was committed with. entry: 8 characters of hook id, a kind ('r' or 'b'), then
 * the payload, all in the base64url alphabet. sum: FNV-1a 32 of everything before it, 8 hex
 * digits. Numbers are little-endian groups of 5 bits, one character each (alphabet index 0..31
 * ends a number, 32..63 carries 5 bits and continues). 'r' (ranges): pairs (gap, length - 1),
 * the first gap from base, each later one from one past the previous range's end, minus one.
 * 'b' (bitmap): a number (the first offset, relative to base), then 6 offsets per character,
 * the lowest bit first. The encoder picks the shorter kind per hook. No hook has progress: "".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_ACKMETA_ID_LEN 8            /* characters of a hook id */
#define BR_ACKMETA_MAX_TEXT (1 << 20)  /* longer metadata is not read */

/* Offsets [start, end). */
struct br_ackmeta_range {
    int64_t start;
    int64_t end;
};

/* One hook's acknowledged offsets: sorted, disjoint. */
struct br_ackmeta_hook {
    uint64_t id;
    struct br_ackmeta_range *ranges; /* owned by a decoded br_ackmeta; borrowed when encoding */
    size_t count;
};

/* What a commit's metadata said, offsets absolute. */
struct br_ackmeta {
    int64_t base;
    struct br_ackmeta_hook *hooks; /* owned */
    size_t count;
};

/*
 * A hook's stable id: 48 bits of FNV-1a 64 of its name, never 0. Renaming a hook gives it a new
 * id, so the progress recorded under the old name is not found (its deliveries are sent again).
 */
uint64_t br_ackmeta_hook_id(const char *name);

/*
 * Writes the metadata for a commit at offset base: each hook's ranges (absolute offsets, sorted;
 * parts below base are ignored; adjacent or overlapping ranges are merged) into out, at most
 * max_bytes characters, NUL-terminated (out has room for max_bytes + 1). When everything does
 * not fit, only offsets below base + *span are recorded (the largest span that fits; fewer skips
 * for the next owner, never a wrong one), else *span is INT64_MAX. Hooks with id 0 and hooks
 * with nothing to record are left out; nothing at all gives "". Returns the length written.
 */
size_t br_ackmeta_encode(int64_t base, const struct br_ackmeta_hook *hooks, size_t hook_count,
                          size_t max_bytes, char *out, int64_t *span);

/*
 * Reads metadata committed at offset base. 0 on success (hooks with empty progress absent; ""
 * gives no hooks); -1 with a reason when text is not this encoding, is damaged, or was written
 * for another offset: the caller then skips nothing. Release with br_ackmeta_finish.
 */
int br_ackmeta_decode(const char *text, size_t len, int64_t base, struct br_ackmeta *out,
                       char *errstr, size_t errstr_size);
void br_ackmeta_finish(struct br_ackmeta *progress);

/* The ranges recorded for hook id, or NULL. */
const struct br_ackmeta_hook *br_ackmeta_find(const struct br_ackmeta *progress, uint64_t id);

#endif
