/* perscom-bridge check-config FILE: validate a configuration and exit. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmdutil.h"

int br_cmd_check_config(int argc, char **argv)
{
    struct br_conf *conf;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("Usage: perscom-bridge check-config FILE\n"
               "Validates FILE; prints every problem as file:line:col: key: message.\n"
               "Exit codes: 0 valid; 2 usage error; 3 FILE was refused.\n");
        return BR_EXIT_OK;
    }
    if (argc != 2) {
        fprintf(stderr, "perscom-bridge check-config: expected one FILE\n");
        return BR_EXIT_USAGE;
    }
    conf = br_cmdutil_load_conf(argv[1]);
    if (!conf) {
        return BR_EXIT_CONFIG;
    }
    printf("%s: OK (%zu topic entr%s, %zu hook(s))\n", argv[1], conf->topic_count,
           conf->topic_count == 1 ? "y" : "ies", conf->hook_count);
    br_conf_destroy(conf);
    return BR_EXIT_OK;
}
