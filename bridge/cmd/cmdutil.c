#include "cmd/cmdutil.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The globals: the descriptors the signal handlers write to. */
static volatile sig_atomic_t stop_fd = -1;
static volatile sig_atomic_t reload_fd = -1;

/* SIGHUP wakes the reload descriptor, SIGTERM and SIGINT the stop descriptor. */
static void on_signal(int signo)
{
    uint64_t one = 1;
    int saved = errno;
    int fd = signo == SIGHUP ? reload_fd : stop_fd;

    if (fd >= 0) {
        ssize_t ignored = write(fd, &one, sizeof(one));
        (void)ignored;
    }
    errno = saved;
}

void br_cmdutil_reload_signal_install(int fd)
{
    struct sigaction action;

    reload_fd = fd;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGHUP, &action, NULL);
}

void br_cmdutil_signals_install(int fd)
{
    struct sigaction action;

    stop_fd = fd;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void br_cmdutil_signals_reset(void)
{
    stop_fd = -1;
    reload_fd = -1;
}

struct br_conf *br_cmdutil_load_conf(const char *path)
{
    char errstr[8192];
    struct br_conf *conf;

    errstr[0] = '\0';
    conf = br_conf_load(path, errstr, sizeof(errstr));
    if (!conf) {
        fprintf(stderr, "%s%s", errstr, errstr[0] && errstr[strlen(errstr) - 1] == '\n' ? ""
                                                                                   : "\n");
        return NULL;
    }
    if (conf->registry_password && conf->registry_url &&
        strncasecmp(conf->registry_url, "http://", 7) == 0) {
        fprintf(stderr, "%s: warning: schema_registry: basic auth over http:// sends the "
                "password in clear; use https://\n", path);
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        const struct br_conf_hook *hook = &conf->hooks[i];

        if (hook->auth != BR_AUTH_NONE && strncasecmp(hook->url, "http://", 7) == 0) {
            fprintf(stderr, "%s: warning: hooks[%zu] (%s): auth over http:// sends the "
                    "credentials in clear; use https://\n", path, i, hook->name);
        }
    }
    return conf;
}

int br_cmdutil_parse_integer(const char *text, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long value;

    if (!text || !*text || (min >= 0 && *text == '-') || *text == '+' || *text == ' ') {
        return -1;
    }
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) {
        return -1;
    }
    *out = value;
    return 0;
}

const struct br_conf_hook *br_cmdutil_find_hook(const struct br_conf *conf, const char *name)
{
    for (size_t i = 0; name && i < conf->hook_count; i++) {
        if (strcmp(conf->hooks[i].name, name) == 0) {
            return &conf->hooks[i];
        }
    }
    return NULL;
}

void br_cmdutil_print_hooks(const struct br_conf *conf, FILE *out)
{
    fputs("configured hooks:", out);
    for (size_t i = 0; i < conf->hook_count; i++) {
        fprintf(out, " %s%s", conf->hooks[i].name, i + 1 < conf->hook_count ? "," : "");
    }
    fputc('\n', out);
}

void br_cmdutil_print_topics(const struct br_conf *conf, FILE *out)
{
    fputs("configured topics:", out);
    for (size_t i = 0; i < conf->topic_count; i++) {
        const struct br_conf_topic *topic = &conf->topics[i];
        if (topic->name) {
            fprintf(out, " %s", topic->name);
        } else {
            fprintf(out, " pattern '%s'", topic->pattern);
        }
        fputs(i + 1 < conf->topic_count ? "," : "", out);
    }
    fputc('\n', out);
}
