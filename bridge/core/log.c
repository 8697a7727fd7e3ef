#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"

/*
 * The one process-wide setting besides signals: read on every log call, from the loop and from
 * other threads (librdkafka's log callbacks, the table hooks' discovery), and set at start-up
 * and by a reload on the loop thread: atomic, so a reload's write is no data race.
 */
static _Atomic int current_level = BR_LOG_INFO;
static _Atomic int current_format = BR_LOG_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int br_log_set_level_name(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            atomic_store_explicit(&current_level, (int)i, memory_order_relaxed);
            return 0;
        }
    }
    return -1;
}

void br_log_set_level(enum br_log_level level)
{
    atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

int br_log_enabled(enum br_log_level level)
{
    return (int)level <= atomic_load_explicit(&current_level, memory_order_relaxed);
}

char *br_log_escape(const char *in, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char esc[5];
        size_t len = 0;
        switch (*p) {
        case '\n':
            memcpy(esc, "\\n", 2);
            len = 2;
            break;
        case '\r':
            memcpy(esc, "\\r", 2);
            len = 2;
            break;
        case '\t':
            memcpy(esc, "\\t", 2);
            len = 2;
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                esc[0] = '\\';
                esc[1] = 'x';
                esc[2] = hex[*p >> 4];
                esc[3] = hex[*p & 15];
                len = 4;
            } else {
                esc[0] = (char)*p;
                len = 1;
            }
        }
        if (n + len + 4 > out_size) {
            /* keep room for "..." and the terminator; never split an escape */
            if (n + 4 <= out_size) {
                memcpy(out + n, "...", 3);
                n += 3;
            }
            break;
        }
        memcpy(out + n, esc, len);
        n += len;
    }
    out[n] = '\0';
    return out;
}

void br_log_set_format(enum br_log_format format)
{
    atomic_store_explicit(&current_format, (int)format, memory_order_relaxed);
}

/* The length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
static size_t utf8_length(const unsigned char *p)
{
    size_t len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

    for (size_t i = 1; i < len; i++) {
        if (p[i] == 0) {
            return 0;
        }
    }
    return br_utf8_valid((const char *)p, len) ? len : 0;
}

size_t br_log_json_escape(const char *s, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char piece[8];
        size_t len = 0;
        size_t take = 1;

        if (*p == '"' || *p == '\\') {
            piece[0] = '\\';
            piece[1] = (char)*p;
            len = 2;
        } else if (*p == '\n') {
            memcpy(piece, "\\n", 2);
            len = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            memcpy(piece, "\\u00", 4);
            piece[4] = hex[*p >> 4];
            piece[5] = hex[*p & 15];
            len = 6;
        } else if (*p < 0x80) {
            piece[0] = (char)*p;
            len = 1;
        } else {
            take = utf8_length(p);
            if (take == 0) {
                memcpy(piece, "\\ufffd", 6);
                len = 6;
                take = 1;
            } else {
                memcpy(piece, p, take);
                len = take;
            }
        }
        if (n + len + 1 > out_size) {
            break;
        }
        memcpy(out + n, piece, len);
        n += len;
        p += take;
    }
    out[n] = '\0';
    return n;
}

static void write_line(enum br_log_level level, const char *module,
                       const struct br_log_where *where, const char *fmt, va_list ap)
{
    struct timespec now;
    struct tm tm;
    char stamp[32];
    char line[2048];
    char escaped[4096];

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(line, sizeof(line), fmt, ap);
    if (atomic_load_explicit(&current_format, memory_order_relaxed) == BR_LOG_TEXT) {
        fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000L,
                level_names[level], module, br_log_escape(line, escaped, sizeof(escaped)));
        return;
    }
    {
        char out[8192];
        char field[1024];
        size_t n = 0;

        br_log_json_escape(module, field, sizeof(field));
        br_log_json_escape(line, escaped, sizeof(escaped));
        n += (size_t)snprintf(out + n, sizeof(out) - n,
                              "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"module\":\"%s\","
                              "\"message\":\"%s\"", stamp, now.tv_nsec / 1000000L,
                              level_names[level], field, escaped);
        if (where && where->topic && n < sizeof(out)) {
            br_log_json_escape(where->topic, field, sizeof(field));
            n += (size_t)snprintf(out + n, sizeof(out) - n, ",\"topic\":\"%s\"", field);
        }
        if (where && where->partition >= 0 && n < sizeof(out)) {
            n += (size_t)snprintf(out + n, sizeof(out) - n, ",\"partition\":%d",
                                  (int)where->partition);
        }
        if (where && where->offset >= 0 && n < sizeof(out)) {
            n += (size_t)snprintf(out + n, sizeof(out) - n, ",\"offset\":%lld",
                                  (long long)where->offset);
        }
        if (where && where->hook && n < sizeof(out)) {
            br_log_json_escape(where->hook, field, sizeof(field));
            n += (size_t)snprintf(out + n, sizeof(out) - n, ",\"hook\":\"%s\"", field);
        }
        if (n >= sizeof(out) - 2) {
            /* never reached with the buffers above (8192 > the fields' escaped sizes) */
            n = sizeof(out) - 3;
        }
        fprintf(stderr, "%.*s}\n", (int)n, out);
    }
}

void br_log_write_at(enum br_log_level level, const char *module, const struct br_log_where *where,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    write_line(level, module, where, fmt, ap);
    va_end(ap);
}

void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    write_line(level, module, NULL, fmt, ap);
    va_end(ap);
}
