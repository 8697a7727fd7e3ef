#include "delivery/ackmeta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "p1,"
#define SUM_LEN 8
#define NUM_MAX ((int64_t)1 << 62) /* relative offsets and lengths stay below this */

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int digit_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

static uint32_t fnv1a32(const char *data, size_t len)
{
    uint32_t hash = 2166136261u;

    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char)data[i];
        hash *= 16777619u;
    }
    return hash;
}

uint64_t br_ackmeta_hook_id(const char *name)
{
    uint64_t hash = 14695981039346656037ull;

    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        hash ^= *p;
        hash *= 1099511628211ull;
    }
    hash = (hash ^ (hash >> 48)) & 0xffffffffffffull;
    return hash ? hash : 1;
}

/* ---- encoding ---- */

/* Characters of a number. */
static size_t num_len(uint64_t value)
{
    size_t len = 1;

    while (value >= 32) {
        value >>= 5;
        len++;
    }
    return len;
}

struct writer {
    char *out;
    size_t len;
};

static void put(struct writer *writer, char c)
{
    writer->out[writer->len++] = c;
}

static void put_num(struct writer *writer, uint64_t value)
{
    while (value >= 32) {
        put(writer, alphabet[32 + (value & 31)]);
        value >>= 5;
    }
    put(writer, alphabet[value]);
}

/* A hook's ranges relative to base, clipped below limit, merged: read in order. */
struct cursor {
    const struct br_ackmeta_hook *hook;
    size_t next;
    int64_t base;
    int64_t limit;
};

static void cursor_init(struct cursor *cursor, const struct br_ackmeta_hook *hook, int64_t base,
                        int64_t limit)
{
    cursor->hook = hook;
    cursor->next = 0;
    cursor->base = base;
    cursor->limit = limit;
}

/* The next range's relative [start, end) clipped to [0, limit); false at the end. */
static bool clipped(const struct cursor *cursor, size_t index, int64_t *start, int64_t *end)
{
    const struct br_ackmeta_range *range = &cursor->hook->ranges[index];
    int64_t s = range->start > cursor->base ? range->start - cursor->base : 0;
    int64_t e = range->end > cursor->base ? range->end - cursor->base : 0;

    if (e > cursor->limit) {
        e = cursor->limit;
    }
    if (e > NUM_MAX) {
        e = NUM_MAX;
    }
    *start = s;
    *end = e;
    return e > s;
}

static bool cursor_next(struct cursor *cursor, int64_t *start, int64_t *end)
{
    int64_t s;
    int64_t e;

    while (cursor->next < cursor->hook->count) {
        if (clipped(cursor, cursor->next++, start, end)) {
            /* merge what touches or overlaps it */
            while (cursor->next < cursor->hook->count) {
                if (!clipped(cursor, cursor->next, &s, &e)) {
                    if (s >= *end) {
                        break; /* clipped away beyond: so is everything after it */
                    }
                    cursor->next++;
                    continue;
                }
                if (s > *end) {
                    break;
                }
                if (e > *end) {
                    *end = e;
                }
                cursor->next++;
            }
            return true;
        }
    }
    return false;
}

struct entry_size {
    size_t ranges; /* payload characters as ranges */
    size_t bitmap; /* payload characters as a bitmap */
    bool empty;
};

static struct entry_size entry_size(const struct br_ackmeta_hook *hook, int64_t base,
                                    int64_t limit)
{
    struct entry_size size = {0, 0, true};
    struct cursor cursor;
    int64_t start;
    int64_t end;
    int64_t first = 0;
    int64_t prev_end = 0;

    cursor_init(&cursor, hook, base, limit);
    while (cursor_next(&cursor, &start, &end)) {
        uint64_t gap = size.empty ? (uint64_t)start : (uint64_t)(start - prev_end - 1);

        if (size.empty) {
            first = start;
        }
        size.empty = false;
        size.ranges += num_len(gap) + num_len((uint64_t)(end - start - 1));
        prev_end = end;
    }
    if (!size.empty) {
        size.bitmap = num_len((uint64_t)first) + (size_t)((prev_end - first + 5) / 6);
    }
    return size;
}

static size_t entry_len(struct entry_size size)
{
    if (size.empty) {
        return 0;
    }
    /* id, kind, payload, separator */
    return BR_ACKMETA_ID_LEN + 1 + (size.bitmap < size.ranges ? size.bitmap : size.ranges) + 1;
}

static size_t base_len(int64_t base)
{
    char digits[32];

    return (size_t)snprintf(digits, sizeof(digits), "%lld", (long long)base);
}

/* The length of the whole text recording offsets below base + limit. */
static size_t total_len(int64_t base, const struct br_ackmeta_hook *hooks, size_t hook_count,
                        int64_t limit)
{
    size_t total = 0;

    for (size_t i = 0; i < hook_count; i++) {
        if (hooks[i].id != 0) {
            total += entry_len(entry_size(&hooks[i], base, limit));
        }
    }
    if (total == 0) {
        return 0;
    }
    return strlen(MAGIC) + base_len(base) + 1 + total + SUM_LEN;
}

static void write_entry(struct writer *writer, const struct br_ackmeta_hook *hook, int64_t base,
                        int64_t limit)
{
    struct entry_size size = entry_size(hook, base, limit);
    struct cursor cursor;
    int64_t start;
    int64_t end;
    int64_t prev_end = 0;
    bool first = true;

    if (size.empty) {
        return;
    }
    for (int shift = 42; shift >= 0; shift -= 6) {
        put(writer, alphabet[(hook->id >> shift) & 63]);
    }
    cursor_init(&cursor, hook, base, limit);
    if (size.bitmap < size.ranges) {
        int64_t origin = 0;
        int64_t at = 0; /* offsets written, relative to origin */
        unsigned bits = 0;

        put(writer, 'b');
        while (cursor_next(&cursor, &start, &end)) {
            if (first) {
                origin = start;
                put_num(writer, (uint64_t)origin);
                first = false;
            }
            for (int64_t offset = start - origin; offset < end - origin; offset++) {
                while (offset / 6 > at / 6) {
                    put(writer, alphabet[bits]);
                    bits = 0;
                    at = (at / 6 + 1) * 6;
                }
                bits |= 1u << (offset % 6);
                at = offset;
            }
        }
        put(writer, alphabet[bits]);
    } else {
        put(writer, 'r');
        while (cursor_next(&cursor, &start, &end)) {
            put_num(writer, first ? (uint64_t)start : (uint64_t)(start - prev_end - 1));
            put_num(writer, (uint64_t)(end - start - 1));
            prev_end = end;
            first = false;
        }
    }
    put(writer, ',');
}

static int64_t largest_end(int64_t base, const struct br_ackmeta_hook *hooks, size_t hook_count)
{
    int64_t largest = 0;

    for (size_t i = 0; i < hook_count; i++) {
        if (hooks[i].count > 0 && hooks[i].ranges[hooks[i].count - 1].end - base > largest) {
            largest = hooks[i].ranges[hooks[i].count - 1].end - base;
        }
    }
    return largest > NUM_MAX ? NUM_MAX : largest;
}

size_t br_ackmeta_encode(int64_t base, const struct br_ackmeta_hook *hooks, size_t hook_count,
                          size_t max_bytes, char *out, int64_t *span)
{
    struct writer writer = {out, 0};
    int64_t limit = INT64_MAX;

    *span = INT64_MAX;
    out[0] = '\0';
    if (base < 0) {
        return 0;
    }
    if (total_len(base, hooks, hook_count, limit) > max_bytes) {
        /* the largest span that fits: the length only grows with it */
        int64_t fits = 0;
        int64_t too_long = largest_end(base, hooks, hook_count);

        while (too_long - fits > 1) {
            int64_t mid = fits + (too_long - fits) / 2;
            if (total_len(base, hooks, hook_count, mid) <= max_bytes) {
                fits = mid;
            } else {
                too_long = mid;
            }
        }
        limit = fits;
        *span = fits;
    }
    if (total_len(base, hooks, hook_count, limit) == 0) {
        return 0;
    }
    writer.len = (size_t)sprintf(out, "%s%lld,", MAGIC, (long long)base);
    for (size_t i = 0; i < hook_count; i++) {
        if (hooks[i].id != 0) {
            write_entry(&writer, &hooks[i], base, limit);
        }
    }
    writer.len += (size_t)sprintf(out + writer.len, "%08x", fnv1a32(out, writer.len));
    return writer.len;
}

/* ---- decoding ---- */

struct reader {
    const char *text;
    size_t pos;
    size_t end;
};

static int read_num(struct reader *reader, int64_t *value)
{
    uint64_t result = 0;

    for (int shift = 0; reader->pos < reader->end && shift < 63; shift += 5) {
        int digit = digit_value(reader->text[reader->pos++]);

        if (digit < 0 || (shift == 60 && (digit & 31) >= 4)) {
            return -1; /* not a digit, or 2^62 or more */
        }
        result |= (uint64_t)(digit & 31) << shift;
        if (result >= (uint64_t)NUM_MAX) {
            return -1;
        }
        if (digit < 32) {
            *value = (int64_t)result;
            return 0;
        }
    }
    return -1;
}

static void add_range(struct br_ackmeta_hook *hook, size_t *cap, int64_t start, int64_t end)
{
    if (hook->count > 0 && hook->ranges[hook->count - 1].end == start) {
        hook->ranges[hook->count - 1].end = end;
        return;
    }
    if (hook->count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 8;
        struct br_ackmeta_range *grown = realloc(hook->ranges, grown_cap * sizeof(*grown));
        if (!grown) {
            abort();
        }
        hook->ranges = grown;
        *cap = grown_cap;
    }
    hook->ranges[hook->count].start = start;
    hook->ranges[hook->count].end = end;
    hook->count++;
}

/* base + relative, when it fits. */
static int absolute(int64_t base, int64_t relative, int64_t *out)
{
    if (relative < 0 || relative > NUM_MAX || relative > INT64_MAX - base) {
        return -1;
    }
    *out = base + relative;
    return 0;
}

static int read_ranges(struct reader *reader, int64_t base, struct br_ackmeta_hook *hook)
{
    size_t cap = 0;
    int64_t prev_end = -1; /* relative */

    while (reader->pos < reader->end) {
        int64_t gap;
        int64_t length;
        int64_t start;
        int64_t end;

        if (read_num(reader, &gap) != 0 || read_num(reader, &length) != 0) {
            return -1;
        }
        start = prev_end < 0 ? gap : prev_end + 1 + gap;
        if (start > NUM_MAX || length >= NUM_MAX - start) {
            return -1;
        }
        end = start + length + 1;
        prev_end = end;
        if (absolute(base, start, &start) != 0 || absolute(base, end, &end) != 0) {
            return -1;
        }
        add_range(hook, &cap, start, end);
    }
    return hook->count > 0 ? 0 : -1;
}

static int read_bitmap(struct reader *reader, int64_t base, struct br_ackmeta_hook *hook)
{
    size_t cap = 0;
    int64_t origin;

    if (read_num(reader, &origin) != 0) {
        return -1;
    }
    for (int64_t index = 0; reader->pos < reader->end; index++) {
        int bits = digit_value(reader->text[reader->pos++]);

        if (bits < 0 || origin + index * 6 + 6 > NUM_MAX) {
            return -1;
        }
        for (int bit = 0; bit < 6; bit++) {
            int64_t offset;
            if (!(bits & (1 << bit))) {
                continue;
            }
            if (absolute(base, origin + index * 6 + bit, &offset) != 0) {
                return -1;
            }
            add_range(hook, &cap, offset, offset + 1);
        }
    }
    return hook->count > 0 ? 0 : -1;
}

static int read_entry(struct reader *reader, int64_t base, struct br_ackmeta_hook *hook)
{
    uint64_t id = 0;

    if (reader->end - reader->pos < BR_ACKMETA_ID_LEN + 1) {
        return -1;
    }
    for (int i = 0; i < BR_ACKMETA_ID_LEN; i++) {
        int digit = digit_value(reader->text[reader->pos++]);
        if (digit < 0) {
            return -1;
        }
        id = id << 6 | (uint64_t)digit;
    }
    if (id == 0) {
        return -1;
    }
    hook->id = id;
    switch (reader->text[reader->pos++]) {
    case 'r':
        return read_ranges(reader, base, hook);
    case 'b':
        return read_bitmap(reader, base, hook);
    default:
        return -1;
    }
}

static int fail(struct br_ackmeta *out, char *errstr, size_t errstr_size, const char *why)
{
    br_ackmeta_finish(out);
    snprintf(errstr, errstr_size, "%s", why);
    return -1;
}

int br_ackmeta_decode(const char *text, size_t len, int64_t base, struct br_ackmeta *out,
                       char *errstr, size_t errstr_size)
{
    size_t magic = strlen(MAGIC);
    size_t body;
    size_t pos;
    char sum[SUM_LEN + 1];
    long long written = 0;

    memset(out, 0, sizeof(*out));
    out->base = base;
    if (len == 0) {
        return 0;
    }
    if (len > BR_ACKMETA_MAX_TEXT) {
        return fail(out, errstr, errstr_size, "too long");
    }
    if (len < magic + 2 + SUM_LEN || memcmp(text, MAGIC, magic) != 0) {
        return fail(out, errstr, errstr_size, "not the bridge's progress");
    }
    body = len - SUM_LEN;
    snprintf(sum, sizeof(sum), "%08x", fnv1a32(text, body));
    if (text[body - 1] != ',' || memcmp(sum, text + body, SUM_LEN) != 0) {
        return fail(out, errstr, errstr_size, "checksum mismatch");
    }
    pos = magic;
    if (text[pos] < '0' || text[pos] > '9') {
        return fail(out, errstr, errstr_size, "bad base offset");
    }
    while (pos < body && text[pos] >= '0' && text[pos] <= '9') {
        if (written > (INT64_MAX - 9) / 10) {
            return fail(out, errstr, errstr_size, "bad base offset");
        }
        written = written * 10 + (text[pos++] - '0');
    }
    if (pos >= body || text[pos] != ',') {
        return fail(out, errstr, errstr_size, "bad base offset");
    }
    if (written != base) {
        return fail(out, errstr, errstr_size, "written for another offset");
    }
    pos++;
    while (pos < body) {
        struct reader reader = {text, pos, pos};
        struct br_ackmeta_hook *hook;

        while (reader.end < body && text[reader.end] != ',') {
            reader.end++;
        }
        if (reader.end >= body) {
            return fail(out, errstr, errstr_size, "truncated entry");
        }
        hook = realloc(out->hooks, (out->count + 1) * sizeof(*hook));
        if (!hook) {
            abort();
        }
        out->hooks = hook;
        hook = &out->hooks[out->count++];
        memset(hook, 0, sizeof(*hook));
        if (read_entry(&reader, base, hook) != 0) {
            return fail(out, errstr, errstr_size, "bad hook entry");
        }
        for (size_t i = 0; i + 1 < out->count; i++) {
            if (out->hooks[i].id == hook->id) {
                return fail(out, errstr, errstr_size, "a hook recorded twice");
            }
        }
        pos = reader.end + 1;
    }
    return 0;
}

void br_ackmeta_finish(struct br_ackmeta *progress)
{
    for (size_t i = 0; i < progress->count; i++) {
        free(progress->hooks[i].ranges);
    }
    free(progress->hooks);
    progress->hooks = NULL;
    progress->count = 0;
}

const struct br_ackmeta_hook *br_ackmeta_find(const struct br_ackmeta *progress, uint64_t id)
{
    for (size_t i = 0; i < progress->count; i++) {
        if (progress->hooks[i].id == id) {
            return &progress->hooks[i];
        }
    }
    return NULL;
}
