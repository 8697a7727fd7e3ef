/* perscom-bridge: the command line. Each command lives in bridge/cmd/; this file dispatches. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cmd/cmd.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", br_cmd_run},
    {"check-config", br_cmd_check_config},
    {"render", br_cmd_render},
    {"test-hook", br_cmd_test_hook},
    {"replay", br_cmd_replay},
};

static const char usage_text[] =
    "Usage: perscom-bridge COMMAND [OPTIONS]\n"
    "\n"
    "Delivers PERSCOM webhooks from Avro record changes in Kafka.\n"
    "\n"
    "Commands:\n"
    "  run --config FILE            consume, deliver, commit; stops cleanly on SIGTERM/SIGINT\n"
    "  check-config FILE            validate a configuration file and exit\n"
    "  render --config FILE --topic TOPIC [--hook NAME] [--partition N] [--offset N]\n"
    "         [--header KEY=VALUE]...  < message\n"
    "                               print the requests one Kafka message value would cause,\n"
    "                               without sending anything\n"
    "  test-hook --config FILE --hook NAME [--event EVENT]\n"
    "                               send the hook one signed sample event and show the\n"
    "                               answer and timings; exit 0 on 2xx, 10-17 by reason\n"
    "                               (see test-hook --help)\n"
    "  replay --config FILE [--dry-run] [source and filters, see replay --help]\n"
    "                               send dead letters (or a range of a record topic) again,\n"
    "                               resumable; exit 4 when some fail again, 5 when\n"
    "                               interrupted\n"
    "\n"
    "Options:\n"
    "  -h, --help, help             show help (-h and --help also after a command)\n"
    "  -V, --version                show the version (before a command)\n"
    "Options of the commands have one-letter forms: -c --config, -t --topic,\n"
    "-p --partition, -k --hook, -e --event, -o --offset, -H --header.\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 configuration error;\n"
    "test-hook and replay add their own (see their --help).\n"
    "Configuration reference: docs/configuration.md\n";

static void print_version(void)
{
    printf("perscom-bridge %s (librdkafka %s, %s)\n", BR_VERSION, rd_kafka_version_str(),
           curl_version());
}

int main(int argc, char **argv)
{
    int rc = BR_EXIT_USAGE;
    size_t i = 0;

    if (argc < 2) {
        fputs(usage_text, stderr);
        return BR_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return BR_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        print_version();
        return BR_EXIT_OK;
    }
    while (i < sizeof(commands) / sizeof(commands[0]) && strcmp(argv[1], commands[i].name) != 0) {
        i++;
    }
    if (i == sizeof(commands) / sizeof(commands[0])) {
        fprintf(stderr, "perscom-bridge: unknown command '%s'\n\n%s", argv[1], usage_text);
        return BR_EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = commands[i].fn(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
