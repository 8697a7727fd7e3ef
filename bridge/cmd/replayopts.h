#ifndef BR_REPLAYOPTS_H
#define BR_REPLAYOPTS_H
/* The replay command's options: parsing, the checks that need the configuration, and the
 * canonical text that names the default progress group. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/selection.h"
#include "config/conf.h"

struct br_replay_options {
    const char *config;
    const char *dead_letter_topic;
    const char *topic;
    long long partition;
    long long from;
    long long to;
    const char *group;
    const char *since;
    const char *until;
    const char *reason;
    bool origin_filters;
    struct br_selection sel;
    unsigned attempts;
    bool dry_run;
};

/* Parses argv into opt: 0, -1 after --help (printed), or an exit code for a usage error. */
int br_replay_options_parse(int argc, char **argv, struct br_replay_options *opt);
/* Checks what needs the configuration (hooks, topics, times): 0 or an exit code. */
int br_replay_options_check(struct br_replay_options *opt, const struct br_conf *conf,
                            int64_t now);
/* The options that choose the records, as written, for source. */
void br_replay_options_canonical(const struct br_replay_options *opt, const char *source,
                                 char *out, size_t out_size);

#endif
