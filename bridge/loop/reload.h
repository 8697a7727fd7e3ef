#ifndef BR_RELOAD_H
#define BR_RELOAD_H
/*
 * Reloading the configuration file while running (SIGHUP, or the file changed on disk): the new
 * file is validated completely; refused, it is logged with every diagnostic and the running
 * configuration stays; accepted, its hooks replace the YAML hooks (loop/hooks.h) and the
 * settings that only a restart applies are logged. The consumer is not touched.
 */
#include <stdint.h>

struct br_loop;

/* Remembers the file as loaded at start-up (for the watch). */
void br_reload_init(struct br_loop *loop);
void br_reload_finish(struct br_loop *loop);

/* Reloads now; why names the cause for the log ("SIGHUP", "file changed"). */
void br_reload_now(struct br_loop *loop, const char *why);

/*
 * Once per turn: reloads on SIGHUP (loop->reload_fd readable) or when the watched file changed.
 * Returns ms until the next look at the file (INT64_MAX without a watch).
 */
int64_t br_reload_poll(struct br_loop *loop, int64_t now_ms);

#endif
