#include "cmd/replayindex.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_PREFIX "perscom-bridge replay 1 end="

void br_replayindex_init(struct br_replay_index *index, size_t source_count, size_t limit)
{
    memset(index, 0, sizeof(*index));
    index->limit = limit;
    index->source_count = source_count;
}

void br_replayindex_finish(struct br_replay_index *index)
{
    for (size_t i = 0; i < index->topic_count; i++) {
        free(index->topics[i]);
    }
    for (size_t s = 0; index->by_source && s < index->source_count; s++) {
        free(index->by_source[s]);
    }
    free(index->by_source);
    free(index->source_size);
    free(index->source_next);
    free(index->done);
    free(index->topics);
    free(index->entries);
    memset(index, 0, sizeof(*index));
}

static uint32_t topic_id(struct br_replay_index *index, const char *topic)
{
    for (size_t i = index->topic_count; i > 0; i--) {
        if (strcmp(index->topics[i - 1], topic) == 0) {
            return (uint32_t)(i - 1);
        }
    }
    char **grown = realloc(index->topics, (index->topic_count + 1) * sizeof(*grown));
    if (!grown) {
        abort();
    }
    index->topics = grown;
    index->topics[index->topic_count] = strdup(topic);
    if (!index->topics[index->topic_count]) {
        abort();
    }
    return (uint32_t)index->topic_count++;
}

int br_replayindex_add(struct br_replay_index *index, uint32_t source, int64_t source_offset,
                       const char *topic, int32_t partition, int64_t offset)
{
    struct br_replay_entry *entry;

    if (index->count >= index->limit) {
        return -1;
    }
    if (index->count == index->capacity) {
        size_t capacity = index->capacity ? 2 * index->capacity : 1024;
        struct br_replay_entry *grown = realloc(index->entries, capacity * sizeof(*grown));
        if (!grown) {
            abort();
        }
        index->entries = grown;
        index->capacity = capacity;
    }
    entry = &index->entries[index->count++];
    entry->source = source;
    entry->source_offset = source_offset;
    entry->topic = topic_id(index, topic);
    entry->partition = partition;
    entry->offset = offset;
    return 0;
}

int br_replayindex_compare(const struct br_replay_key *a, const struct br_replay_key *b)
{
    int c = strcmp(a->topic, b->topic);

    if (c != 0) {
        return c;
    }
    if (a->partition != b->partition) {
        return a->partition < b->partition ? -1 : 1;
    }
    if (a->offset != b->offset) {
        return a->offset < b->offset ? -1 : 1;
    }
    if (a->source != b->source) {
        return a->source < b->source ? -1 : 1;
    }
    if (a->source_offset != b->source_offset) {
        return a->source_offset < b->source_offset ? -1 : 1;
    }
    return 0;
}

void br_replayindex_key(const struct br_replay_index *index, size_t i, struct br_replay_key *key)
{
    const struct br_replay_entry *entry = &index->entries[i];

    key->topic = index->topics[entry->topic];
    key->partition = entry->partition;
    key->offset = entry->offset;
    key->source = entry->source;
    key->source_offset = entry->source_offset;
}

static int compare_entries(const void *a, const void *b, void *opaque)
{
    const struct br_replay_index *sorting = opaque;
    const struct br_replay_entry *x = a;
    const struct br_replay_entry *y = b;
    struct br_replay_key kx = {sorting->topics[x->topic], x->partition, x->offset, x->source,
                               x->source_offset};
    struct br_replay_key ky = {sorting->topics[y->topic], y->partition, y->offset, y->source,
                               y->source_offset};

    return br_replayindex_compare(&kx, &ky);
}

static int compare_source_offsets(const void *a, const void *b, void *opaque)
{
    const struct br_replay_entry *entries = opaque;
    int64_t x = entries[*(const uint32_t *)a].source_offset;
    int64_t y = entries[*(const uint32_t *)b].source_offset;

    return x < y ? -1 : x > y;
}

void br_replayindex_sort(struct br_replay_index *index)
{
    if (index->count > 1) {
        qsort_r(index->entries, index->count, sizeof(*index->entries), compare_entries, index);
    }

    index->by_source = calloc(index->source_count + 1, sizeof(*index->by_source));
    index->source_size = calloc(index->source_count + 1, sizeof(*index->source_size));
    index->source_next = calloc(index->source_count + 1, sizeof(*index->source_next));
    index->done = calloc(index->count + 1, sizeof(*index->done));
    if (!index->by_source || !index->source_size || !index->source_next || !index->done) {
        abort();
    }
    for (size_t i = 0; i < index->count; i++) {
        index->source_size[index->entries[i].source]++;
    }
    for (size_t s = 0; s < index->source_count; s++) {
        index->by_source[s] = malloc((index->source_size[s] + 1) * sizeof(uint32_t));
        if (!index->by_source[s]) {
            abort();
        }
        index->source_size[s] = 0;
    }
    for (size_t i = 0; i < index->count; i++) {
        uint32_t s = index->entries[i].source;
        index->by_source[s][index->source_size[s]++] = (uint32_t)i;
    }
    for (size_t s = 0; s < index->source_count; s++) {
        if (index->source_size[s] > 1) {
            qsort_r(index->by_source[s], index->source_size[s], sizeof(uint32_t),
                    compare_source_offsets, index->entries);
        }
    }
}

size_t br_replayindex_after(const struct br_replay_index *index, const struct br_replay_key *last)
{
    size_t low = 0;
    size_t high = index->count;

    while (low < high) {
        size_t mid = low + (high - low) / 2;
        struct br_replay_key key;
        br_replayindex_key(index, mid, &key);
        if (br_replayindex_compare(&key, last) <= 0) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

void br_replayindex_done(struct br_replay_index *index, size_t i)
{
    uint32_t s = index->entries[i].source;

    index->done[i] = true;
    while (index->source_next[s] < index->source_size[s] &&
           index->done[index->by_source[s][index->source_next[s]]]) {
        index->source_next[s]++;
    }
}

int64_t br_replayindex_committable(const struct br_replay_index *index, uint32_t source,
                                   int64_t end)
{
    if (source >= index->source_count || !index->by_source ||
        index->source_next[source] >= index->source_size[source]) {
        return end;
    }
    return index->entries[index->by_source[source][index->source_next[source]]].source_offset;
}

int br_replaynote_format(const int64_t *end, size_t count, const struct br_replay_key *last,
                         char *out, size_t out_size)
{
    size_t len = 0;
    int n = snprintf(out, out_size, "%s", NOTE_PREFIX);

    if (n < 0 || (size_t)n >= out_size) {
        return -1;
    }
    len = (size_t)n;
    for (size_t i = 0; i < count; i++) {
        n = snprintf(out + len, out_size - len, "%s%" PRId64, i ? "," : "", end[i]);
        if (n < 0 || (size_t)n >= out_size - len) {
            return -1;
        }
        len += (size_t)n;
    }
    n = snprintf(out + len, out_size - len, " last=%s/%" PRId32 "/%" PRId64 "/%" PRIu32
                 "/%" PRId64, last->topic, last->partition, last->offset, last->source,
                 last->source_offset);
    return n < 0 || (size_t)n >= out_size - len ? -1 : 0;
}

/* A whole number >= 0 at *p, followed by a byte of stops (the end of text when ""). */
static int number(const char **p, const char *stops, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long value;

    if (**p < '0' || **p > '9') {
        return -1;
    }
    errno = 0;
    value = strtoll(*p, &end, 10);
    if (errno != 0 || value > max ||
        (stops[0] ? *end == '\0' || !strchr(stops, *end) : *end != '\0')) {
        return -1;
    }
    *p = end;
    *out = value;
    return 0;
}

int br_replaynote_parse(const char *text, size_t count, int64_t *end, struct br_replay_key *last,
                        char *topic, size_t topic_size)
{
    const char *p = text;
    const char *slash;
    int64_t value;

    if (!text || strncmp(text, NOTE_PREFIX, strlen(NOTE_PREFIX)) != 0 || count == 0) {
        return -1;
    }
    p += strlen(NOTE_PREFIX);
    for (size_t i = 0; i < count; i++) {
        if (number(&p, i + 1 < count ? "," : " ", INT64_MAX, &end[i]) != 0) {
            return -1;
        }
        p++;
    }
    if (strncmp(p, "last=", 5) != 0) {
        return -1;
    }
    p += 5;
    slash = strchr(p, '/');
    if (!slash || slash == p || (size_t)(slash - p) >= topic_size) {
        return -1;
    }
    memcpy(topic, p, (size_t)(slash - p));
    topic[slash - p] = '\0';
    last->topic = topic;
    p = slash + 1;
    if (number(&p, "/", INT32_MAX, &value) != 0) {
        return -1;
    }
    last->partition = (int32_t)value;
    p++;
    if (number(&p, "/", INT64_MAX, &last->offset) != 0) {
        return -1;
    }
    p++;
    if (number(&p, "/", UINT32_MAX, &value) != 0) {
        return -1;
    }
    last->source = (uint32_t)value;
    p++;
    return number(&p, "", INT64_MAX, &last->source_offset);
}
