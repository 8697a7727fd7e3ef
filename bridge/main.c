/* perscom-bridge: command line, start-up and shutdown order, exit codes. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "core/buf.h"
#include "config/conf.h"
#include "avro/decode.h"
#include "core/log.h"
#include "core/utf8.h"
#include "loop/loop.h"
#include "loop/message.h"
#include "avro/registry.h"

enum { EXIT_USAGE = 2, EXIT_CONFIG = 3, EXIT_RUNTIME = 1 };

#define MAX_MESSAGE_BYTES (16u * 1024u * 1024u)

/* The one global: the descriptor the signal handler writes to. */
static volatile sig_atomic_t stop_fd = -1;

static void on_signal(int signo)
{
    uint64_t one = 1;
    int saved = errno;
    (void)signo;
    if (stop_fd >= 0) {
        ssize_t ignored = write(stop_fd, &one, sizeof(one));
        (void)ignored;
    }
    errno = saved;
}

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
    "\n"
    "Options:\n"
    "  -h, --help                   show help (also after a command)\n"
    "  -V, --version                show the version\n"
    "\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage error, 3 configuration error.\n"
    "Configuration reference: docs/configuration.md\n";

static void print_version(void)
{
    printf("perscom-bridge %s (librdkafka %s, %s)\n", BR_VERSION, rd_kafka_version_str(),
           curl_version());
}

static struct br_conf *load_conf(const char *path)
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

static int cmd_check_config(int argc, char **argv)
{
    struct br_conf *conf;

    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("Usage: perscom-bridge check-config FILE\n"
               "Validates FILE; prints every problem as file:line:col: key: message.\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "perscom-bridge check-config: expected one FILE\n");
        return EXIT_USAGE;
    }
    conf = load_conf(argv[1]);
    if (!conf) {
        return EXIT_CONFIG;
    }
    printf("%s: OK (%zu topic entr%s, %zu hook(s))\n", argv[1], conf->topic_count,
           conf->topic_count == 1 ? "y" : "ies", conf->hook_count);
    br_conf_destroy(conf);
    return 0;
}

static int cmd_run(int argc, char **argv)
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
    int fd;
    int rc = EXIT_RUNTIME;

    while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            printf("Usage: perscom-bridge run --config FILE\n"
                   "Consumes the configured topics and delivers webhooks until SIGTERM/SIGINT.\n"
                   "POD_NAME, when set, becomes the static group member id.\n");
            return 0;
        default:
            return EXIT_USAGE;
        }
    }
    if (!path || optind != argc) {
        fprintf(stderr, "perscom-bridge run: --config FILE is required\n");
        return EXIT_USAGE;
    }
    conf = load_conf(path);
    if (!conf) {
        return EXIT_CONFIG;
    }
    br_log_set_format(conf->log_format == BR_LOG_FORMAT_JSON ? BR_LOG_JSON : BR_LOG_TEXT);
    if (conf->log_level) {
        br_log_set_level_name(conf->log_level);
    }
    fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        br_log_error("main", "eventfd: %s", strerror(errno));
        goto done;
    }
    stop_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    loop = br_loop_create(conf, fd, errstr, sizeof(errstr));
    if (!loop) {
        br_log_error("main", "%s", errstr);
        goto done;
    }
    br_log_info("main", "perscom-bridge %s started (group %s, brokers %s)", BR_VERSION,
                conf->group_id, conf->brokers);
    if (br_loop_run(loop) == 0) {
        rc = 0;
    }

done:
    br_loop_destroy(loop);
    if (stop_fd >= 0) {
        stop_fd = -1;
        close(fd);
    }
    br_conf_destroy(conf);
    return rc;
}

static int read_stdin(struct br_buf *buf)
{
    char chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (br_buf_append(buf, chunk, n) != 0) {
            return -1;
        }
    }
    return ferror(stdin) ? -1 : 0;
}

/* A whole decimal integer in [min, max] (no sign for min >= 0, no trailing bytes). */
static int parse_integer(const char *text, long long min, long long max, long long *out)
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

/* Prints the configured topics (names and patterns) after "configured topics: ". */
static void print_topics(const struct br_conf *conf, FILE *out)
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

/* As the run loop treats a Kafka header: empty or not UTF-8 counts as absent (with a warning). */
static const char *usable_header(const char *name, const char *value)
{
    if (!value) {
        return NULL;
    }
    if (!*value || !br_utf8_valid(value, strlen(value))) {
        fprintf(stderr, "perscom-bridge render: warning: header %s is %s: treated as absent\n",
                name, *value ? "not UTF-8" : "empty");
        return NULL;
    }
    return value;
}

static int cmd_render(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"topic", required_argument, NULL, 't'},
        {"hook", required_argument, NULL, 'k'},
        {"partition", required_argument, NULL, 'p'},
        {"offset", required_argument, NULL, 'o'},
        {"header", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    const char *hook = NULL;
    struct br_message_in in = {0};
    struct br_conf *conf = NULL;
    struct br_registry *registry = NULL;
    struct br_decoder *decoder = NULL;
    struct br_prepared prepared = {0};
    struct br_buf value;
    char errstr[1024];
    int opt;
    int rc = EXIT_RUNTIME;

    br_buf_init(&value, MAX_MESSAGE_BYTES);
    while ((opt = getopt_long(argc, argv, "c:t:k:p:o:H:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 't':
            in.topic = optarg;
            break;
        case 'k':
            hook = optarg;
            break;
        case 'p': {
            long long partition;
            if (parse_integer(optarg, 0, INT32_MAX, &partition) != 0) {
                fprintf(stderr, "perscom-bridge render: --partition wants a whole number from 0 "
                        "to %d, not '%s'\n", INT32_MAX, optarg);
                return EXIT_USAGE;
            }
            in.partition = (int32_t)partition;
            break;
        }
        case 'o': {
            long long offset;
            if (parse_integer(optarg, 0, INT64_MAX, &offset) != 0) {
                fprintf(stderr, "perscom-bridge render: --offset wants a whole number from 0, "
                        "not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            in.offset = (int64_t)offset;
            break;
        }
        case 'H': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "perscom-bridge render: --header wants KEY=VALUE\n");
                return EXIT_USAGE;
            }
            *eq = '\0';
            if (strcmp(optarg, "request_id") == 0) {
                in.request_id = eq + 1;
            } else if (strcmp(optarg, "trace_id") == 0) {
                in.trace_id = eq + 1;
            } else {
                fprintf(stderr, "perscom-bridge render: --header %s: render uses only the "
                        "Kafka headers request_id and trace_id\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'h':
            printf("Usage: perscom-bridge render --config FILE --topic TOPIC [--hook NAME]\n"
                   "       [--partition N] [--offset N] [--header KEY=VALUE]... < message\n"
                   "Reads one Kafka message value from standard input and prints every request\n"
                   "it would cause (hook, method, URL, headers, body), sending nothing.\n"
                   "--partition/--offset give the message's position (for the derived\n"
                   "request_id); --header request_id=... and trace_id=... act as Kafka headers.\n");
            return 0;
        default:
            return EXIT_USAGE;
        }
    }
    if (!path || !in.topic || optind != argc) {
        fprintf(stderr, "perscom-bridge render: --config FILE and --topic TOPIC are required\n");
        return EXIT_USAGE;
    }
    in.request_id = usable_header("request_id", in.request_id);
    in.trace_id = usable_header("trace_id", in.trace_id);
    conf = load_conf(path);
    if (!conf) {
        rc = EXIT_CONFIG;
        goto done;
    }
    if (!br_conf_topic_for(conf, in.topic)) {
        fprintf(stderr, "perscom-bridge render: topic %s matches no entry of topics in %s; ",
                in.topic, path);
        print_topics(conf, stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    if (hook) {
        size_t i = 0;
        while (i < conf->hook_count && strcmp(conf->hooks[i].name, hook) != 0) {
            i++;
        }
        if (i == conf->hook_count) {
            fprintf(stderr, "perscom-bridge render: no hook named %s in %s\n", hook, path);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (read_stdin(&value) != 0) {
        fprintf(stderr, "perscom-bridge render: cannot read the message from standard input\n");
        goto done;
    }
    if (conf->registry_url) {
        registry = br_registry_create(conf->registry_url, conf->registry_username,
                                      conf->registry_password, conf->registry_ca_file);
        br_registry_set_tls13(registry, conf->registry_tls_min == BR_TLS_1_3);
    }
    decoder = br_decoder_create(registry);
    in.value = value.data;
    in.len = value.len;
    errstr[0] = '\0';
    switch (br_message_prepare(conf, decoder, &in, hook, &prepared, errstr, sizeof(errstr))) {
    case BR_PREPARE_OK:
        if (prepared.count == 0) {
            printf("# %s: no hook is subscribed\n", prepared.event);
        }
        for (size_t i = 0; i < prepared.count; i++) {
            br_request_print(&prepared.requests[i], stdout);
        }
        rc = 0;
        break;
    case BR_PREPARE_SKIP:
        printf("# not an event (%s): %s\n", br_skip_reason_name(prepared.skip), errstr);
        rc = 0;
        break;
    case BR_PREPARE_RETRY:
        fprintf(stderr, "perscom-bridge render: %s\n", errstr);
        break;
    case BR_PREPARE_BAD:
        fprintf(stderr, "perscom-bridge render: undeliverable message: %s\n", errstr);
        break;
    }

done:
    br_prepared_finish(&prepared);
    br_decoder_destroy(decoder);
    br_registry_destroy(registry);
    br_conf_destroy(conf);
    br_buf_finish(&value);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        print_version();
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(argv[1], "run") == 0) {
        rc = cmd_run(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "check-config") == 0) {
        rc = cmd_check_config(argc - 1, argv + 1);
    } else if (strcmp(argv[1], "render") == 0) {
        rc = cmd_render(argc - 1, argv + 1);
    } else {
        fprintf(stderr, "perscom-bridge: unknown command '%s'\n\n%s", argv[1], usage_text);
        rc = EXIT_USAGE;
    }
    curl_global_cleanup();
    return rc;
}
