/* perscom-bridge run --config FILE: consume, deliver, commit until SIGTERM/SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/cmdutil.h"
#include "core/log.h"
#include "loop/loop.h"

int br_cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct br_conf *conf = NULL;
    struct br_loop *loop = NULL;
    char errstr[1024];
    int opt;
    int fd = -1;
    int hup_fd = -1;
    int rc = BR_EXIT_RUNTIME;

    while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            printf("Usage: perscom-bridge run --config FILE\n"
                   "Consumes the configured topics and delivers webhooks until SIGTERM/SIGINT.\n"
                   "SIGHUP reloads FILE's hooks without leaving the group.\n"
                   "POD_NAME, when set, becomes the static group member id.\n"
                   "Exit codes: 0 stopped by SIGTERM/SIGINT; 1 runtime failure; 2 usage error;\n"
                   "3 configuration error.\n");
            return BR_EXIT_OK;
        default:
            return BR_EXIT_USAGE;
        }
    }
    if (!path || optind != argc) {
        fprintf(stderr, "perscom-bridge run: --config FILE is required\n");
        return BR_EXIT_USAGE;
    }
    conf = br_cmdutil_load_conf(path);
    if (!conf) {
        return BR_EXIT_CONFIG;
    }
    br_log_set_format(conf->log_format);
    if (conf->log_level) {
        br_log_set_level_name(conf->log_level);
    }
    fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        br_log_error("main", "eventfd: %s", strerror(errno));
        goto done;
    }
    br_cmdutil_signals_install(fd);
    hup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (hup_fd < 0) {
        br_log_error("main", "eventfd: %s", strerror(errno));
        goto done;
    }
    br_cmdutil_reload_signal_install(hup_fd);

    loop = br_loop_create(conf, fd, errstr, sizeof(errstr));
    if (!loop) {
        br_log_error("main", "%s", errstr);
        goto done;
    }
    br_loop_set_reload_fd(loop, hup_fd);
    br_log_info("main", "perscom-bridge %s started (group %s, brokers %s)", BR_VERSION,
                conf->group_id, conf->brokers);
    if (br_loop_run(loop) == 0) {
        rc = BR_EXIT_OK;
    }

done:
    br_loop_destroy(loop);
    if (fd >= 0) {
        br_cmdutil_signals_reset();
        close(fd);
    }
    if (hup_fd >= 0) {
        signal(SIGHUP, SIG_DFL);
        close(hup_fd);
    }
    br_conf_destroy(conf);
    return rc;
}
