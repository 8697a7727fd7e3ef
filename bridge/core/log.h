#ifndef BR_LOG_H
#define BR_LOG_H
/*
 * Leveled logging to stderr, one line per call, in one of two formats:
 *   text: "2026-05-01T10:00:00.123Z level module: message"
 *   json: {"time":"2026-05-01T10:00:00.123Z","level":"warn","module":"finish","message":"...",
 *          "topic":"...","partition":3,"offset":41,"hook":"discord"} (the last four where the
 *          line has them)
 * Messages carry values from outside (topics, Kafka headers, change events, receivers'
 * answers): in text every control character of the message is escaped, in JSON every string is
 * JSON-escaped and bytes that are not UTF-8 become U+FFFD, so a value can never forge a line.
 */
#include <stddef.h>
#include <stdint.h>

enum br_log_level { BR_LOG_ERROR, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };
enum br_log_format { BR_LOG_TEXT, BR_LOG_JSON };

/* Where a line is about: NULL / -1 fields are left out. */
struct br_log_where {
    const char *topic;
    int32_t partition; /* -1: none */
    int64_t offset;    /* -1: none */
    const char *hook;
};

/* Sets the level from "error", "warn", "info" or "debug"; returns -1 for anything else. */
int br_log_set_level_name(const char *name);
void br_log_set_level(enum br_log_level level);
int br_log_enabled(enum br_log_level level);
void br_log_set_format(enum br_log_format format);
void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As br_log_write, with the fields of where added to a JSON line (text: the message only). */
void br_log_write_at(enum br_log_level level, const char *module, const struct br_log_where *where,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Appends s to out (out_size > 0) as the inside of a JSON string (cut on a character boundary
 * when it does not fit); invalid UTF-8 becomes U+FFFD. Returns the length written. */
size_t br_log_json_escape(const char *s, char *out, size_t out_size);

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

#define br_log_at(level, module, where, ...)                                                       \
    do {                                                                                           \
        if (br_log_enabled(level)) {                                                               \
            br_log_write_at(level, module, where, __VA_ARGS__);                                    \
        }                                                                                          \
    } while (0)

#define br_log_error(module, ...) br_log(BR_LOG_ERROR, module, __VA_ARGS__)
#define br_log_warn(module, ...) br_log(BR_LOG_WARN, module, __VA_ARGS__)
#define br_log_info(module, ...) br_log(BR_LOG_INFO, module, __VA_ARGS__)
#define br_log_debug(module, ...) br_log(BR_LOG_DEBUG, module, __VA_ARGS__)

#endif
