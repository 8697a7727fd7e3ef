#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one process-wide setting besides signals: read on every log call, set at start-up. */
static enum br_log_level current_level = BR_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int br_log_set_level_name(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            current_level = (enum br_log_level)i;
            return 0;
        }
    }
    return -1;
}

void br_log_set_level(enum br_log_level level)
{
    current_level = level;
}

int br_log_enabled(enum br_log_level level)
{
    return level <= current_level;
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

void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
{
    struct timespec now;
    struct tm tm;
    char stamp[32];
    char line[2048];
    char escaped[4096];
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000L, level_names[level],
            module, br_log_escape(line, escaped, sizeof(escaped)));
}
