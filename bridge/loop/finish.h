#ifndef BR_FINISH_H
#define BR_FINISH_H
/*
 * What happens when a request or a message is finished: delivered, retried later, dead-lettered,
 * dropped by policy, or kept retrying (policy block); and the delivery reports. Works on the
 * loop's state (loopstate.h) and its schedule; calls nothing of loop.c.
 */
#include <stdint.h>

#include "delivery/lanes.h"
#include "delivery/sender.h"

struct br_loop;

/* The sender's done callback (br_sender_perform); opaque is the loop. */
void br_finish_attempt(void *opaque, struct br_delivery *delivery,
                       const struct br_transfer_result *result);
/*
 * message could not be decoded or rendered (errstr says why) and is in the partition's tracker
 * owing one completion: dead-letter it (dead_letter.topic set), or drop it (policy drop). The
 * caller handles policy block itself (it holds the partition).
 */
void br_finish_undecodable(struct br_loop *loop, struct br_message *message, const char *errstr);
/*
 * delivery's hook was removed before it was sent (the caller took it off its lane, and
 * cancelled its transfer if it was in flight): a delivery report with outcome hook_deleted,
 * deliveries_total{outcome="hook_deleted"}, and it counts as settled (acknowledged for that
 * hook) so that the offsets move on. Frees delivery.
 */
void br_finish_hook_deleted(struct br_loop *loop, struct br_delivery *delivery);
/* Sends dead letters that failed or could not be queued before, once their time has come;
 * returns ms to the next one (INT64_MAX when none). */
int64_t br_finish_retry_dead(struct br_loop *loop, int64_t now_ms);
/* Frees the retry list (shutdown). */
void br_finish_discard_dead(struct br_loop *loop);

#endif
