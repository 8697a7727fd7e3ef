/*
 * Reloading the configuration while running (see reload.h): SIGHUP's eventfd, the file watch
 * (stat of the path every reload.watch_interval_ms), and applying a file that validates.
 */
#include "loop/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/confdiff.h"
#include "core/log.h"
#include "delivery/egress.h"
#include "loop/hooks.h"
#include "loop/loopstate.h"
#include "loop/schedule.h"
#include "loop/tablefeed.h"

#define RESTART_KEYS_MAX 32

/* What the file looked like when it was last loaded (or refused). */
struct br_reload_stamp {
    bool ok; /* stat succeeded */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

static void stamp_of(const char *path, struct br_reload_stamp *out)
{
    struct stat st;

    memset(out, 0, sizeof(*out));
    if (stat(path, &st) != 0) {
        return;
    }
    out->ok = true;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime = st.st_mtim;
    out->ctime = st.st_ctim;
}

static bool same_stamp(const struct br_reload_stamp *a, const struct br_reload_stamp *b)
{
    return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

void br_reload_init(struct br_loop *loop)
{
    loop->reload_stamp = calloc(1, sizeof(*loop->reload_stamp));
    if (!loop->reload_stamp) {
        abort();
    }
    stamp_of(loop->conf->path, loop->reload_stamp);
    loop->reload_watch_ms = loop->conf->reload_watch_ms;
    loop->reload_next_poll_ms = br_schedule_now_ms() + loop->reload_watch_ms;
}

void br_reload_finish(struct br_loop *loop)
{
    free(loop->reload_stamp);
    loop->reload_stamp = NULL;
}

/* Logs errstr's diagnostics one line each. */
static void log_refused(const char *why, const char *path, const char *errstr)
{
    const char *line = errstr;

    br_log_error("reload", "configuration reload (%s) of %s refused; the running configuration "
                 "stays:", why, path);
    while (line && *line) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);

        if (len > 0) {
            br_log_error("reload", "%.*s", len, line);
        }
        line = end ? end + 1 : NULL;
    }
}

/* The settings that wait for a restart, logged; the gauge says whether there are any. */
static void report_restart(struct br_loop *loop, const struct br_conf *fresh)
{
    const char *keys[RESTART_KEYS_MAX];
    size_t count = br_confdiff_restart(loop->conf, fresh, keys, RESTART_KEYS_MAX);
    char list[1024];
    size_t used = 0;

    br_metrics_set(loop->metrics, BR_METRIC_RESTART_REQUIRED, count > 0 ? 1 : 0);
    if (count == 0) {
        return;
    }
    list[0] = '\0';
    for (size_t i = 0; i < count && i < RESTART_KEYS_MAX; i++) {
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", keys[i]);
        if (n < 0 || (size_t)n >= sizeof(list) - used) {
            break;
        }
        used += (size_t)n;
    }
    br_log_warn("reload", "the configuration file changes settings that need a restart to apply "
                "(the running values stay until then): %s", list);
}

void br_reload_now(struct br_loop *loop, const char *why)
{
    char errstr[8192];
    struct br_conf *fresh;
    size_t added = 0;
    size_t changed = 0;
    size_t removed = 0;
    size_t table_changed;
    size_t table_failed;

    stamp_of(loop->conf->path, loop->reload_stamp);
    errstr[0] = '\0';
    fresh = br_conf_load(loop->conf->path, errstr, sizeof(errstr));
    if (!fresh) {
        log_refused(why, loop->conf->path, errstr);
        br_metrics_reload(loop->metrics, BR_METRIC_RELOAD_REFUSED);
        br_metrics_set(loop->metrics, BR_METRIC_RELOAD_SUCCESS, 0);
        return;
    }
    report_restart(loop, fresh);
    if (fresh->log_level) {
        br_log_set_level_name(fresh->log_level);
    }
    /* YAML hooks that are gone: removed (table hooks, which have a group, are not the file's) */
    for (size_t slot = 0; slot < loop->hook_slots; slot++) {
        const char *id = br_hookset_id(loop->hookset, slot);
        bool kept = false;

        if (br_hookset_group(loop->hookset, slot) || !br_hooks_conf(loop, slot)) {
            continue;
        }
        for (size_t i = 0; i < fresh->hook_count && !kept; i++) {
            kept = strcmp(fresh->hooks[i].name, id) == 0;
        }
        if (!kept && br_hooks_remove(loop, id)) {
            removed++;
        }
    }
    for (size_t i = 0; i < fresh->hook_count; i++) {
        struct br_conf_hook *hook = br_conf_take_hook(fresh, i); /* the set owns it now */

        switch (br_hooks_put(loop, hook->name, hook, true, NULL)) {
        case BR_HOOKSET_ADDED:
            added++;
            break;
        case BR_HOOKSET_CHANGED:
            changed++;
            break;
        case BR_HOOKSET_UNCHANGED:
            break;
        }
    }
    /* the table hooks take the file's delivery settings, as its hooks do (tablefeed.h) */
    table_changed = br_tablefeed_reload(loop, fresh, &table_failed);
    if (table_failed > 0) {
        br_metrics_set(loop->metrics, BR_METRIC_RESTART_REQUIRED, 1);
        br_log_warn("reload", "%zu table hook(s) keep their previous delivery settings: a "
                    "restart applies the reloaded ones", table_failed);
    }
    /* the guard checks the next connection under the file's egress.allow; the previous
     * configuration goes once nothing reads it any more */
    br_egress_install(loop->sender, fresh);
    br_conf_destroy(loop->reload_conf);
    loop->reload_conf = fresh;
    br_metrics_reload(loop->metrics, BR_METRIC_RELOAD_APPLIED);
    br_metrics_set(loop->metrics, BR_METRIC_RELOAD_SUCCESS, 1);
    br_log_info("reload", "configuration reloaded (%s): %zu hook(s) added, %zu changed, %zu "
                "removed, %zu table hook(s) changed; %zu hook(s) now", why, added, changed,
                removed, table_changed, loop->route_count);
}

int64_t br_reload_poll(struct br_loop *loop, int64_t now_ms)
{
    uint64_t count;

    if (loop->reload_fd >= 0 && loop->reload_ready) {
        loop->reload_ready = false;
        if (read(loop->reload_fd, &count, sizeof(count)) > 0) {
            br_reload_now(loop, "SIGHUP");
        }
    }
    if (loop->reload_watch_ms <= 0) {
        return INT64_MAX;
    }
    if (now_ms >= loop->reload_next_poll_ms) {
        struct br_reload_stamp now;

        loop->reload_next_poll_ms = now_ms + loop->reload_watch_ms;
        stamp_of(loop->conf->path, &now);
        if (now.ok && !same_stamp(&now, loop->reload_stamp)) {
            br_reload_now(loop, "file changed");
        }
    }
    return loop->reload_next_poll_ms - now_ms;
}
