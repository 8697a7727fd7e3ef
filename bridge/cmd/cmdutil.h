#ifndef BR_CMDUTIL_H
#define BR_CMDUTIL_H
/* Helpers the commands share: the configuration, whole numbers, hooks, signals. */
#include <stdint.h>
#include <stdio.h>

#include "config/conf.h"

/*
 * Loads path; prints the diagnostics to stderr and returns NULL when refused. Prints start-up
 * warnings (registry or hook credentials over http://) to stderr.
 */
struct br_conf *br_cmdutil_load_conf(const char *path);

/* A whole decimal integer in [min, max] (no sign for min >= 0, no trailing bytes): 0 or -1. */
int br_cmdutil_parse_integer(const char *text, long long min, long long max, long long *out);

/* The hook named name, or NULL. */
const struct br_conf_hook *br_cmdutil_find_hook(const struct br_conf *conf, const char *name);
/* Writes "configured hooks: a, b" and a newline to out. */
void br_cmdutil_print_hooks(const struct br_conf *conf, FILE *out);
/* Writes "configured topics: a, pattern 'b'" and a newline to out. */
void br_cmdutil_print_topics(const struct br_conf *conf, FILE *out);

/*
 * SIGTERM and SIGINT write to fd (an eventfd) from then on; SIGPIPE is ignored. The signal
 * handler touches nothing else. br_cmdutil_signals_reset stops writing to fd.
 */
void br_cmdutil_signals_install(int fd);
void br_cmdutil_signals_reset(void);
/* SIGHUP writes to fd (an eventfd) from then on: the run loop reloads the configuration. */
void br_cmdutil_reload_signal_install(int fd);

#endif
