#ifndef BR_CMD_H
#define BR_CMD_H
/*
 * The commands of the command line, one file each; bridge/main.c dispatches to them. Each takes
 * argv from the command's name on (argv[0] is "run", "render", ...) and returns the exit code.
 */

/* Exit codes shared by every command (README.md, --help). */
enum br_exit {
    BR_EXIT_OK = 0,
    BR_EXIT_RUNTIME = 1, /* a runtime failure */
    BR_EXIT_USAGE = 2,   /* a usage error: bad or missing options */
    BR_EXIT_CONFIG = 3   /* the configuration was refused */
};

int br_cmd_run(int argc, char **argv);
int br_cmd_check_config(int argc, char **argv);
int br_cmd_render(int argc, char **argv);
int br_cmd_test_hook(int argc, char **argv);
int br_cmd_replay(int argc, char **argv);

#endif
