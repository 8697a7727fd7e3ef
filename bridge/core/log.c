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

void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
{
    struct timespec now;
    struct tm tm;
    char stamp[32];
    char line[2048];
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000000L, level_names[level],
            module, line);
}
