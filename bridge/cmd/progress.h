#ifndef BR_PROGRESS_H
#define BR_PROGRESS_H
/*
 * A progress line on a terminal ("replay: 120/200 (60%), 35.2/s, ETA 0:02"), rewritten in place
 * at most four times a second; nothing at all when the stream is not a terminal.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct br_progress {
    FILE *out;
    bool enabled;
    bool drawn;        /* a line is on screen */
    const char *what;
    uint64_t total;
    int64_t start_ms;  /* monotonic */
    int64_t drawn_ms;
};

/* enabled: normally isatty(fileno(out)). */
void br_progress_init(struct br_progress *progress, FILE *out, bool enabled, const char *what,
                      uint64_t total, int64_t now_ms);
void br_progress_update(struct br_progress *progress, uint64_t done, int64_t now_ms);
/* Erases the line (before other output, and at the end). */
void br_progress_clear(struct br_progress *progress);

/* The line itself: pure. */
void br_progress_format(const char *what, uint64_t done, uint64_t total, int64_t elapsed_ms,
                        char *out, size_t out_size);

#endif
