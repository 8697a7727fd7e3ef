#include "cmd/progress.h"

#include <inttypes.h>

#define REDRAW_MS 250

void br_progress_init(struct br_progress *progress, FILE *out, bool enabled, const char *what,
                      uint64_t total, int64_t now_ms)
{
    progress->out = out;
    progress->enabled = enabled;
    progress->drawn = false;
    progress->what = what;
    progress->total = total;
    progress->start_ms = now_ms;
    progress->drawn_ms = now_ms - REDRAW_MS;
}

/* "1:02:03" or "2:03" */
static void clock_text(int64_t seconds, char *out, size_t out_size)
{
    if (seconds >= 3600) {
        snprintf(out, out_size, "%" PRId64 ":%02" PRId64 ":%02" PRId64, seconds / 3600,
                 seconds / 60 % 60, seconds % 60);
    } else {
        snprintf(out, out_size, "%" PRId64 ":%02" PRId64, seconds / 60, seconds % 60);
    }
}

void br_progress_format(const char *what, uint64_t done, uint64_t total, int64_t elapsed_ms,
                        char *out, size_t out_size)
{
    char eta[32] = "-";
    double rate = elapsed_ms > 0 ? (double)done * 1000.0 / (double)elapsed_ms : 0.0;
    unsigned percent = total > 0 ? (unsigned)(done * 100 / total) : 100;

    if (done > 0 && rate > 0.0 && done <= total) {
        clock_text((int64_t)((double)(total - done) / rate + 0.5), eta, sizeof(eta));
    }
    snprintf(out, out_size, "%s: %" PRIu64 "/%" PRIu64 " (%u%%), %.1f/s, ETA %s", what, done,
             total, percent, rate, eta);
}

void br_progress_update(struct br_progress *progress, uint64_t done, int64_t now_ms)
{
    char line[256];

    if (!progress->enabled || now_ms - progress->drawn_ms < REDRAW_MS) {
        return;
    }
    br_progress_format(progress->what, done, progress->total, now_ms - progress->start_ms, line,
                       sizeof(line));
    fprintf(progress->out, "\r\033[K%s", line);
    fflush(progress->out);
    progress->drawn = true;
    progress->drawn_ms = now_ms;
}

void br_progress_clear(struct br_progress *progress)
{
    if (progress->drawn) {
        fputs("\r\033[K", progress->out);
        fflush(progress->out);
        progress->drawn = false;
        progress->drawn_ms = 0;
    }
}
