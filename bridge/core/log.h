#ifndef BR_LOG_H
#define BR_LOG_H
/*
 * Leveled logging to stderr: "2026-05-01T10:00:00.123Z level module: message", one line per
 * call. Messages carry values from outside (topics, Kafka headers, change events, receivers'
 * answers), so every control character of the formatted message is escaped: a value can never
 * start a forged log line.
 */
#include <stddef.h>

enum br_log_level { BR_LOG_ERROR, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };

/* Sets the level from "error", "warn", "info" or "debug"; returns -1 for anything else. */
int br_log_set_level_name(const char *name);
void br_log_set_level(enum br_log_level level);
int br_log_enabled(enum br_log_level level);
void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copies in to out (out_size >= 4), escaping control characters: "\n", "\r", "\t", and "\xNN"
 * for the other bytes below 0x20 and 0x7f; other bytes (UTF-8 included) unchanged. When the
 * result would come within 3 bytes of out_size it is cut before the escape that does not fit
 * and ends in "...". Returns out.
 */
char *br_log_escape(const char *in, char *out, size_t out_size);

#define br_log(level, module, ...)                                                                 \
    do {                                                                                           \
        if (br_log_enabled(level)) {                                                               \
            br_log_write(level, module, __VA_ARGS__);                                              \
        }                                                                                          \
    } while (0)

#define br_log_error(module, ...) br_log(BR_LOG_ERROR, module, __VA_ARGS__)
#define br_log_warn(module, ...) br_log(BR_LOG_WARN, module, __VA_ARGS__)
#define br_log_info(module, ...) br_log(BR_LOG_INFO, module, __VA_ARGS__)
#define br_log_debug(module, ...) br_log(BR_LOG_DEBUG, module, __VA_ARGS__)

#endif
