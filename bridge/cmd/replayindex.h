#ifndef BR_REPLAYINDEX_H
#define BR_REPLAYINDEX_H
/*
 * The replay's index: where each selected record is (source partition and offset) and where it
 * came from (origin topic, partition, offset); sorted into origin order, the order the replay
 * sends in. Also what the replay commits: per source partition the offset before which every
 * selected record is done, and a progress note (the source's end offsets and the last record
 * done) that lets an interrupted replay resume without sending anything twice. Pure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_replay_entry {
    uint32_t source;       /* the source partition's index (kafka/reader.h) */
    int64_t source_offset;
    uint32_t topic;        /* the origin topic: an index into the index's topics */
    int32_t partition;     /* origin partition */
    int64_t offset;        /* origin offset */
};

/* A record's place in origin order (the sort key of an entry). */
struct br_replay_key {
    const char *topic;
    int32_t partition;
    int64_t offset;
    uint32_t source;
    int64_t source_offset;
};

struct br_replay_index {
    struct br_replay_entry *entries;
    size_t count;
    size_t capacity;
    size_t limit;          /* most entries accepted */
    char **topics;         /* origin topic names, each once */
    size_t topic_count;
    size_t source_count;
    uint32_t **by_source;  /* per source: entry indices in source offset order */
    size_t *source_size;   /* entries per source */
    size_t *source_next;   /* per source: the first of by_source not yet done */
    bool *done;            /* per entry */
};

void br_replayindex_init(struct br_replay_index *index, size_t source_count, size_t limit);
void br_replayindex_finish(struct br_replay_index *index);

/* Adds a record. Returns 0, or -1 when the index already holds limit entries. */
int br_replayindex_add(struct br_replay_index *index, uint32_t source, int64_t source_offset,
                       const char *topic, int32_t partition, int64_t offset);

/* Sorts into origin order (topic name, partition, offset; then source and source offset). */
void br_replayindex_sort(struct br_replay_index *index);

void br_replayindex_key(const struct br_replay_index *index, size_t i, struct br_replay_key *key);
int br_replayindex_compare(const struct br_replay_key *a, const struct br_replay_key *b);
/* The first entry (after sorting) whose key is after last. */
size_t br_replayindex_after(const struct br_replay_index *index, const struct br_replay_key *last);

/* Entry i (after sorting) is done: sent, or settled otherwise. */
void br_replayindex_done(struct br_replay_index *index, size_t i);
/* The offset before which every entry of source is done: the first one not done, else end. */
int64_t br_replayindex_committable(const struct br_replay_index *index, uint32_t source,
                                   int64_t end);

/*
 * The progress note committed with the offsets while a replay runs:
 * "perscom-bridge replay 1 end=E0,E1,... last=TOPIC/P/O/S/SO" (Kafka topic names hold no '/',
 * ',', '=' or space). Returns 0, or -1 when it does not fit out_size.
 */
int br_replaynote_format(const int64_t *end, size_t count, const struct br_replay_key *last,
                         char *out, size_t out_size);
/*
 * Reads a note back: end[count] and the last key (its topic copied into topic). Returns 0, or
 * -1 when text is not a note of count sources.
 */
int br_replaynote_parse(const char *text, size_t count, int64_t *end, struct br_replay_key *last,
                        char *topic, size_t topic_size);

#endif
