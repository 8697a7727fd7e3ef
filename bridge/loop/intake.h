#ifndef BR_INTAKE_H
#define BR_INTAKE_H
/*
 * Messages from Kafka into the lanes: reads the consumer queue and each partition's queue while
 * its window has room, turns each message into deliveries on its partition's lanes (message.c),
 * and holds a partition's messages back while their schema cannot be fetched yet.
 */
#include <stdbool.h>
#include <stdint.h>

struct br_loop;

/*
 * Serves the consumer queue (rebalances, errors, any message not in a partition queue), then
 * reads each partition's queue while its windows have room and nothing is held. Returns true
 * when more may be waiting (a budget or batch ran out).
 */
bool br_intake_drain(struct br_loop *loop);
/* Decodes held messages again once their time has come; returns ms to the next try. */
int64_t br_intake_retry_held(struct br_loop *loop, int64_t now);

#endif
