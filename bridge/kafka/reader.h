#ifndef BR_READER_H
#define BR_READER_H
/*
 * A reader of one topic's partitions at positions the caller chooses, for the replay command.
 * It never joins its group (partitions are assigned, not subscribed): the group only keeps the
 * offsets (and a progress note in the commit's metadata) that br_reader_commit writes, so a
 * replay can resume. One partition is read at a time; moving to another one, or back, is a
 * seek. The consumer's properties are the bridge's (br_consumer_conf_set: brokers, security,
 * kafka.properties) with group.id replaced.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct br_reader;

struct br_reader_partition {
    int32_t id;
    int64_t low;       /* the first offset held, when the reader was created */
    int64_t high;      /* one past the last offset, when the reader was created */
    int64_t committed; /* the group's committed offset, or -1 */
    char *metadata;    /* that commit's metadata (NUL-terminated), or NULL */
};

/*
 * Connects, lists topic's partitions (only partition when it is >= 0), their watermarks and the
 * group's committed offsets. Returns NULL with a message when the topic (or the partition) does
 * not exist or the brokers cannot be reached within timeout_ms.
 */
struct br_reader *br_reader_create(const struct br_conf *conf, const char *group,
                                   const char *topic, int32_t partition, int timeout_ms,
                                   char *errstr, size_t errstr_size);
void br_reader_destroy(struct br_reader *reader);

size_t br_reader_count(const struct br_reader *reader);
const struct br_reader_partition *br_reader_partition(const struct br_reader *reader,
                                                      size_t index);

/*
 * The next message of partition index at or after offset, waiting up to timeout_ms for it.
 * Reads on from the last message returned when that is where offset is (or just behind it),
 * else seeks. Returns the message (the caller destroys it), or NULL: *end is then true when
 * the partition holds nothing at or after offset (its end was reached), false on timeout.
 */
rd_kafka_message_t *br_reader_read(struct br_reader *reader, size_t index, int64_t offset,
                                   int timeout_ms, bool *end);

/*
 * Commits offsets[i] for partition i (every partition of the reader; -1 leaves one out), each
 * with metadata (or none), and waits for the brokers' answer. Returns 0, or -1 with a message.
 */
int br_reader_commit(struct br_reader *reader, const int64_t *offsets, const char *metadata,
                     char *errstr, size_t errstr_size);

#endif
