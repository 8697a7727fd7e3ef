#ifndef BR_COMMIT_H
#define BR_COMMIT_H
/*
 * Offset commits. Each assigned partition commits one past its done prefix, with per-hook
 * progress beyond it in the commit's metadata (delivery/ackmeta.h): what each hook has
 * acknowledged among the messages after the committed offset, so that the partition's next
 * owner does not send those again (loop/inherit.c reads it).
 *
 * Periodic commits are asynchronous, every delivery.commit_interval_ms, and sooner for a
 * partition with delivery.max_uncommitted / 2 deliveries settled since its last commit was sent.
 * Revokes and shutdown commit synchronously. A partition with delivery.max_uncommitted
 * deliveries settled beyond what a successful commit covers starts no new request until one
 * succeeds (br_commit_may_start): while commits fail (coordinator unreachable), deliveries run
 * at most that far ahead of the last successful commit.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery/lanes.h"

struct br_loop;
struct br_commit_record;

/* Hook ids (delivery/ackmeta.h) of the loop's hooks; two hooks sharing one get 0 (none). */
void br_commit_init(struct br_loop *loop);
/* Frees commits never answered; call after the consumer is destroyed. */
void br_commit_finish(struct br_loop *loop);

/*
 * Commits every partition whose done prefix or progress changed, when the commit interval has
 * passed, a partition needs one sooner, or force (then synchronously: shutdown). Sets
 * loop->uncommitted when something is left to commit.
 */
void br_commit_run(struct br_loop *loop, int64_t now_ms, bool force);

/* Commits partitions synchronously (a revoke). */
void br_commit_partitions(struct br_loop *loop, struct br_partition **partitions, size_t count);

/*
 * May one of partition's lanes start a request? False while it has delivery.max_uncommitted
 * deliveries settled beyond its last successful commit; its lanes are made ready again when a
 * commit succeeds.
 */
bool br_commit_may_start(struct br_loop *loop, struct br_partition *partition);

/*
 * The metadata partition would commit at offset base now, into out (room for
 * delivery.progress_metadata_bytes + 1). Returns its length; *span as br_ackmeta_encode.
 */
size_t br_commit_metadata(struct br_loop *loop, struct br_partition *partition, int64_t base,
                          char *out, int64_t *span);

#endif
