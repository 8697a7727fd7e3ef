#ifndef BR_CONSUMER_H
#define BR_CONSUMER_H
/*
 * The librdkafka high-level consumer: subscription, rebalances, per-partition queues, offset
 * commits with their metadata, and reading the group's committed offsets. Auto-commit and
 * auto-store are off: offsets move only through br_consumer_commit, which commits the list it
 * is given (librdkafka 2.0.2's rd_kafka_offsets_store drops metadata).
 *
 * Each assigned partition's messages stay in a queue of its own (detached from the consumer
 * queue), so the loop reads a partition only while its window has room. A partition that is not
 * read is not paused: librdkafka keeps what it prefetched (up to queued.max.messages.kbytes)
 * and simply stops fetching more, so reading resumes without a refetch.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct br_consumer;

/*
 * Called from inside br_consumer_poll / br_consumer_close, on the loop's thread. assigned runs
 * once the partitions are assigned (br_consumer_partition_queue and br_consumer_committed work
 * then). revoked runs before the partitions are given up: it must finish or cancel their work,
 * commit their done offsets synchronously (br_consumer_commit) and release their queues. lost is
 * true when the partitions were already lost (nothing may be committed for them).
 */
struct br_consumer_events {
    void (*assigned)(void *opaque, const rd_kafka_topic_partition_list_t *partitions);
    void (*revoked)(void *opaque, const rd_kafka_topic_partition_list_t *partitions, bool lost);
    void *opaque;
};

/*
 * Sets the consumer's librdkafka properties from conf on kconf, in this order: the bridge's
 * defaults (bootstrap.servers, group.id, auto.offset.reset, partition.assignment.strategy as
 * br_consumer_default_strategy says, client.id, the fetch bounds and
 * fetch.queue.backoff.ms as br_consumer_queue_backoff says), group.instance.id =
 * instance when instance is non-empty (static membership: br_consumer_create passes
 * $POD_NAME), conf's kafka.properties as written (they override the above), then the
 * offset-management properties, which kafka.properties may not name. Returns 0, or -1 with a
 * message (kconf may then be half set). Callbacks are not set here. Used by br_consumer_create;
 * public so that the table can be tested.
 */
int br_consumer_conf_set(const struct br_conf *conf, const char *instance,
                         rd_kafka_conf_t *kconf, char *errstr, size_t errstr_size);

/*
 * The default partition.assignment.strategy for the librdkafka version (rd_kafka_version()'s
 * 0xMMmmrrxx): "cooperative-sticky" from 2.10.0 on, which keeps the assignment when a commit
 * races the rejoin after an incremental revoke; "range" (eager) before, where that race makes
 * the member declare its whole assignment lost. kafka.properties may set either.
 */
const char *br_consumer_default_strategy(int version);

/*
 * The default fetch.queue.backoff.ms for the librdkafka version (0xMMmmrrxx): "10" from 2.2.0
 * on, where a partition whose prefetch is full is looked at again after that long rather than
 * after librdkafka's second; NULL before 2.2.0, which has no such property (its second is
 * fixed). kafka.properties may set it.
 */
const char *br_consumer_queue_backoff(int version);

struct br_consumer *br_consumer_create(const struct br_conf *conf,
                                       const struct br_consumer_events *events, char *errstr,
                                       size_t errstr_size);
/*
 * The same without subscribing: the consumer joins its group only at br_consumer_subscribe
 * (with table_hooks, once the webhooks topics have been read). Polling it meanwhile is fine.
 */
struct br_consumer *br_consumer_create_unsubscribed(const struct br_conf *conf,
                                                    const struct br_consumer_events *events,
                                                    char *errstr, size_t errstr_size);
/* Subscribes to conf's topics (once). Returns 0, or -1 with a message. */
int br_consumer_subscribe(struct br_consumer *consumer, const struct br_conf *conf, char *errstr,
                          size_t errstr_size);
/* The value of a librdkafka property as the consumer uses it; 0, or -1 when unknown or when out
 * is too small. */
int br_consumer_property(const struct br_consumer *consumer, const char *key, char *out,
                         size_t out_size);
/*
 * The partition's high watermark (the offset the next produced message gets) as librdkafka last
 * saw it in a fetch response, without asking the brokers. 0, or -1 while it is not known yet.
 */
int br_consumer_high_watermark(const struct br_consumer *consumer, const char *topic,
                               int32_t partition, int64_t *high);
/* Leaves the group (revoking everything through events.revoked) if not done yet, then frees. */
void br_consumer_destroy(struct br_consumer *consumer);

/* A descriptor that becomes readable when messages or events wait in the consumer queue. */
int br_consumer_wake_fd(const struct br_consumer *consumer);
/*
 * Empties the wake-up descriptor; call before draining the queue. Once br_consumer_wake_seen
 * has been called, it reads only when the last wait saw the descriptor readable.
 */
void br_consumer_clear_wake(struct br_consumer *consumer);
/* What the caller's last wait saw of the wake-up descriptor (true when it did not watch it). */
void br_consumer_wake_seen(struct br_consumer *consumer, bool readable);

/*
 * The next message, without waiting, or NULL. Errors are logged and not returned; a fatal
 * consumer error sets *fatal.
 */
rd_kafka_message_t *br_consumer_poll(struct br_consumer *consumer, bool *fatal);

/*
 * The assigned partition's own queue, detached from the consumer queue; it wakes the same
 * descriptor. Release it with br_consumer_queue_release before the partition is given up.
 */
rd_kafka_queue_t *br_consumer_partition_queue(struct br_consumer *consumer, const char *topic,
                                              int32_t partition);
void br_consumer_queue_release(rd_kafka_queue_t *queue);
/*
 * Up to max messages from queue, without waiting; error events are logged and dropped.
 * Returns how many were written to messages (the caller owns them).
 */
size_t br_consumer_read(rd_kafka_queue_t *queue, rd_kafka_message_t **messages, size_t max);
/*
 * The answer to one commit: err for the whole request, and offsets as sent with each
 * partition's own err. offsets is librdkafka's; it is valid during the call only.
 */
typedef void br_consumer_commit_fn(void *opaque, rd_kafka_resp_err_t err,
                                   const rd_kafka_topic_partition_list_t *offsets);

/*
 * Commits offsets: each element's offset (the next offset to consume) and metadata. sync waits
 * for the broker's answer (while the coordinator is unreachable librdkafka holds the commit up
 * to session.timeout.ms). done is called once with the answer: before this returns when sync,
 * else later from inside br_consumer_poll. Returns -1 without ever calling done when the commit
 * was not sent: a periodic (not sync) commit during the quiet time after a cooperative
 * rebalance, or librdkafka refused it at once.
 */
int br_consumer_commit(struct br_consumer *consumer, const rd_kafka_topic_partition_list_t *offsets,
                       bool sync, br_consumer_commit_fn *done, void *opaque);
/*
 * Reads the group's committed offset and metadata of each element of partitions (librdkafka
 * asks the coordinator and waits up to timeout_ms). 0, or -1 with the reason.
 */
int br_consumer_committed(struct br_consumer *consumer, rd_kafka_topic_partition_list_t *partitions,
                          int timeout_ms, char *errstr, size_t errstr_size);
/* Leaves the group: revokes everything through events.revoked and commits. */
void br_consumer_close(struct br_consumer *consumer);

#endif
