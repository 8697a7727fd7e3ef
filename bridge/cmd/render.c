/* perscom-bridge render: the requests one Kafka message value would cause, sending nothing. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "cmd/cmd.h"
#include "cmd/cmdutil.h"
#include "cmd/hookview.h"
#include "config/tablehooks.h"
#include "core/buf.h"
#include "loop/headers.h"
#include "loop/message.h"

#define MAX_MESSAGE_BYTES (16u * 1024u * 1024u)

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

/* As the run loop treats a Kafka header (loop/headers.h): unusable counts as absent. */
static const char *usable_header(const char *name, const char *value)
{
    const char *why;

    if (!value) {
        return NULL;
    }
    if ((why = br_header_unusable(value, strlen(value), BR_HEADER_TEXT_SIZE)) != NULL) {
        fprintf(stderr, "perscom-bridge render: warning: header %s is %s: treated as absent\n",
                name, why);
        return NULL;
    }
    return value;
}

int br_cmd_render(int argc, char **argv)
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
    struct br_hookview *view = NULL;
    struct br_hook_list hooks;
    char tenant[BR_TABLEHOOKS_TENANT_MAX];
    struct br_prepared prepared = {0};
    struct br_buf value;
    char errstr[1024];
    int opt;
    int rc = BR_EXIT_RUNTIME;

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
            if (br_cmdutil_parse_integer(optarg, 0, INT32_MAX, &partition) != 0) {
                fprintf(stderr, "perscom-bridge render: --partition wants a whole number from 0 "
                        "to %d, not '%s'\n", INT32_MAX, optarg);
                return BR_EXIT_USAGE;
            }
            in.partition = (int32_t)partition;
            break;
        }
        case 'o': {
            long long offset;
            if (br_cmdutil_parse_integer(optarg, 0, INT64_MAX, &offset) != 0) {
                fprintf(stderr, "perscom-bridge render: --offset wants a whole number from 0, "
                        "not '%s'\n", optarg);
                return BR_EXIT_USAGE;
            }
            in.offset = (int64_t)offset;
            break;
        }
        case 'H': {
            char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "perscom-bridge render: --header wants KEY=VALUE\n");
                return BR_EXIT_USAGE;
            }
            *eq = '\0';
            if (strcmp(optarg, "request_id") == 0) {
                in.request_id = eq + 1;
            } else if (strcmp(optarg, "trace_id") == 0) {
                in.trace_id = eq + 1;
            } else {
                fprintf(stderr, "perscom-bridge render: --header %s: render uses only the "
                        "Kafka headers request_id and trace_id\n", optarg);
                return BR_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            printf("Usage: perscom-bridge render --config FILE --topic TOPIC [--hook NAME]\n"
                   "       [--partition N] [--offset N] [--header KEY=VALUE]... < message\n"
                   "Reads one Kafka message value from standard input and prints every request\n"
                   "it would cause (hook, method, URL, headers, body), sending nothing.\n"
                   "--partition/--offset give the message's position (for the derived\n"
                   "request_id); --header request_id=... and trace_id=... act as Kafka headers\n"
                   "(no other header is taken).\n"
                   "With table_hooks, a topic with a tenant also goes to that tenant's table\n"
                   "hooks (--hook tenant:...), read from the webhooks topics first.\n"
                   "Exit codes: 0 printed (also a message that is not an event, or that no hook\n"
                   "subscribes to); 1 the message cannot be read, decoded or rendered; 2 usage\n"
                   "error (also an unknown --hook or a topic that no topics entry matches);\n"
                   "3 configuration error.\n");
            return BR_EXIT_OK;
        default:
            return BR_EXIT_USAGE;
        }
    }
    if (!path || !in.topic || optind != argc) {
        fprintf(stderr, "perscom-bridge render: --config FILE and --topic TOPIC are required\n");
        return BR_EXIT_USAGE;
    }
    in.request_id = usable_header("request_id", in.request_id);
    in.trace_id = usable_header("trace_id", in.trace_id);
    conf = br_cmdutil_load_conf(path);
    if (!conf) {
        rc = BR_EXIT_CONFIG;
        goto done;
    }
    if (!br_conf_topic_for(conf, in.topic)) {
        fprintf(stderr, "perscom-bridge render: topic %s matches no entry of topics in %s; ",
                in.topic, path);
        br_cmdutil_print_topics(conf, stderr);
        rc = BR_EXIT_USAGE;
        goto done;
    }
    if (hook && !br_hookview_is_table_name(conf, hook) && !br_cmdutil_find_hook(conf, hook)) {
        fprintf(stderr, "perscom-bridge render: no hook named %s in %s\n", hook, path);
        rc = BR_EXIT_USAGE;
        goto done;
    }
    if (read_stdin(&value) != 0) {
        fprintf(stderr, "perscom-bridge render: cannot read the message from standard input\n");
        goto done;
    }
    registry = br_registry_create_for(conf);
    decoder = br_decoder_create(registry);
    /* the table hooks only when one of them may get the message: a tenant's topic, or --hook
     * naming one (a YAML-only render needs no broker) */
    view = br_hookview_create(conf, !hook ? br_tablehooks_tenant(&conf->table_hooks,
                                                                 BR_TABLEHOOKS_RECORDS, in.topic,
                                                                 tenant, sizeof(tenant))
                                          : br_hookview_is_table_name(conf, hook),
                              decoder, registry, errstr, sizeof(errstr));
    if (!view) {
        fprintf(stderr, "perscom-bridge render: table hooks: %s\n", errstr);
        goto done;
    }
    if (hook && !br_hookview_find(view, hook, NULL)) {
        fprintf(stderr, "perscom-bridge render: no hook named %s in %s and its webhooks topics; ",
                hook, path);
        br_hookview_print(view, stderr);
        rc = BR_EXIT_USAGE;
        goto done;
    }
    br_hookview_for_topic(view, in.topic, &hooks, NULL);
    in.value = value.data;
    in.len = value.len;
    errstr[0] = '\0';
    switch (br_message_prepare_for(conf, &hooks, decoder, &in, hook, &prepared, errstr,
                                   sizeof(errstr))) {
    case BR_PREPARE_OK:
        if (prepared.count == 0) {
            printf("# %s: no hook is subscribed\n", prepared.event);
        }
        for (size_t i = 0; i < prepared.count; i++) {
            br_request_print(&prepared.requests[i], stdout);
        }
        rc = BR_EXIT_OK;
        break;
    case BR_PREPARE_SKIP:
        printf("# not an event (%s): %s\n", br_skip_reason_name(prepared.skip), errstr);
        rc = BR_EXIT_OK;
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
    br_hookview_destroy(view);
    br_decoder_destroy(decoder);
    br_registry_destroy(registry);
    br_conf_destroy(conf);
    br_buf_finish(&value);
    return rc;
}
