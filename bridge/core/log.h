#ifndef BR_LOG_H
#define BR_LOG_H
/* Leveled logging to stderr: "2026-05-01T10:00:00.123Z level module: message". */

enum br_log_level { BR_LOG_ERROR, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };

/* Sets the level from "error", "warn", "info" or "debug"; returns -1 for anything else. */
int br_log_set_level_name(const char *name);
void br_log_set_level(enum br_log_level level);
int br_log_enabled(enum br_log_level level);
void br_log_write(enum br_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
