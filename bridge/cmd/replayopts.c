/* The replay command's options (see replayopts.h). */
#include "cmd/replayopts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmdutil.h"
#include "cmd/hookview.h"
#include "perscom/catalog.h"

static const char help_text[] =
    "Usage: perscom-bridge replay --config FILE [SOURCE] [FILTERS] [--group G] [--attempts N]\n"
    "       [--dry-run]\n"
    "Sends dead letters (or a range of a record topic) again to their hooks, rendered and\n"
    "signed as the run loop does, in origin order per partition. Nothing is removed from the\n"
    "dead-letter topic; what fails again is dead-lettered again (to dead_letter.topic) and\n"
    "listed. Progress is committed to the replay's own group after each record: run the same\n"
    "command again to resume an interrupted replay.\n"
    "Source (default: the dead-letter topic of the configuration):\n"
    "  --dead-letter-topic T        another dead-letter topic\n"
    "  --topic T --partition P [--from-offset A] [--to-offset B]\n"
    "                               a record topic's partition, offsets A..B (default: all)\n"
    "Filters (dead letters; --hook, --event, --since, --until for a record topic too):\n"
    "  --hook NAME                  only requests to this hook\n"
    "  --event PATTERN              only these events (rankrecord.created, rankrecord.*, ...)\n"
    "  --origin-topic T  --origin-partition P  --origin-from-offset A  --origin-to-offset B\n"
    "                               only dead letters of these original records\n"
    "  --since TIME  --until TIME   record timestamp (for a dead letter: when it was\n"
    "                               dead-lettered) in [since, until): 2026-05-01T10:00:00Z,\n"
    "                               2026-05-01 (UTC unless an offset is given), or a time\n"
    "                               ago: 36h, 90m, 2d, 300s\n"
    "  --reason R                   refused, exhausted, undecodable or egress_refused\n"
    "Options:\n"
    "  --group G                    the consumer group keeping the progress (default:\n"
    "                               <kafka.group_id>.replay-<hash of the source and filters>)\n"
    "  --attempts N                 attempts per request (1-100), with the hook's backoff\n"
    "                               (default 3)\n"
    "  --dry-run                    list what would be sent; send and commit nothing\n"
    "Exit codes: 0 every selected record delivered (dry run: listed); 4 some failed again or\n"
    "could not be sent (listed); 5 interrupted (run again to resume); 1 runtime failure;\n"
    "2 usage error; 3 configuration error.\n";

static int usage(const char *fmt, const char *value)
{
    fputs("perscom-bridge replay: ", stderr);
    fprintf(stderr, fmt, value);
    fputc('\n', stderr);
    return BR_EXIT_USAGE;
}

static int number_option(const char *name, const char *text, long long max, long long *out)
{
    if (br_cmdutil_parse_integer(text, 0, max, out) != 0) {
        fprintf(stderr, "perscom-bridge replay: %s wants a whole number from 0 to %lld, not "
                "'%s'\n", name, max, text);
        return -1;
    }
    return 0;
}

int br_replay_options_parse(int argc, char **argv, struct br_replay_options *opt)
{
    enum { DLQ = 256, FROM, TO, OPART, OFROM, OTO, OTOPIC, SINCE, UNTIL, REASON, GROUP, ATTEMPTS,
           DRY };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"dead-letter-topic", required_argument, NULL, DLQ},
        {"topic", required_argument, NULL, 't'},
        {"partition", required_argument, NULL, 'p'},
        {"from-offset", required_argument, NULL, FROM},
        {"to-offset", required_argument, NULL, TO},
        {"hook", required_argument, NULL, 'k'},
        {"event", required_argument, NULL, 'e'},
        {"origin-topic", required_argument, NULL, OTOPIC},
        {"origin-partition", required_argument, NULL, OPART},
        {"origin-from-offset", required_argument, NULL, OFROM},
        {"origin-to-offset", required_argument, NULL, OTO},
        {"since", required_argument, NULL, SINCE},
        {"until", required_argument, NULL, UNTIL},
        {"reason", required_argument, NULL, REASON},
        {"group", required_argument, NULL, GROUP},
        {"attempts", required_argument, NULL, ATTEMPTS},
        {"dry-run", no_argument, NULL, DRY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long value;
    int c;

    memset(opt, 0, sizeof(*opt));
    br_selection_init(&opt->sel);
    opt->partition = -1;
    opt->from = -1;
    opt->to = -1;
    opt->attempts = 3;
    while ((c = getopt_long(argc, argv, "c:t:p:k:e:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt->config = optarg;
            break;
        case DLQ:
            opt->dead_letter_topic = optarg;
            break;
        case 't':
            opt->topic = optarg;
            break;
        case 'p':
            if (number_option("--partition", optarg, INT32_MAX, &opt->partition) != 0) {
                return BR_EXIT_USAGE;
            }
            break;
        case FROM:
            if (number_option("--from-offset", optarg, INT64_MAX - 1, &opt->from) != 0) {
                return BR_EXIT_USAGE;
            }
            break;
        case TO:
            if (number_option("--to-offset", optarg, INT64_MAX - 1, &opt->to) != 0) {
                return BR_EXIT_USAGE;
            }
            break;
        case 'k':
            opt->sel.hook = optarg;
            break;
        case 'e':
            if (!br_catalog_pattern_valid(optarg)) {
                return usage("--event %s names no event (rankrecord.created, rankrecord.*, "
                             "*.deleted or *)", optarg);
            }
            opt->sel.event = optarg;
            break;
        case OTOPIC:
            opt->sel.origin_topic = optarg;
            opt->origin_filters = true;
            break;
        case OPART:
            if (number_option("--origin-partition", optarg, INT32_MAX, &value) != 0) {
                return BR_EXIT_USAGE;
            }
            opt->sel.origin_partition = (int32_t)value;
            opt->origin_filters = true;
            break;
        case OFROM:
            if (number_option("--origin-from-offset", optarg, INT64_MAX, &value) != 0) {
                return BR_EXIT_USAGE;
            }
            opt->sel.origin_from = value;
            opt->origin_filters = true;
            break;
        case OTO:
            if (number_option("--origin-to-offset", optarg, INT64_MAX, &value) != 0) {
                return BR_EXIT_USAGE;
            }
            opt->sel.origin_to = value;
            opt->origin_filters = true;
            break;
        case SINCE:
            opt->since = optarg;
            break;
        case UNTIL:
            opt->until = optarg;
            break;
        case REASON:
            opt->sel.reason = br_dlrecord_reason_parse(optarg);
            if (opt->sel.reason < 0) {
                return usage("--reason %s: use refused, exhausted, undecodable or egress_refused", optarg);
            }
            opt->reason = optarg;
            opt->origin_filters = true;
            break;
        case GROUP:
            opt->group = optarg;
            break;
        case ATTEMPTS:
            if (number_option("--attempts", optarg, 100, &value) != 0) {
                return BR_EXIT_USAGE;
            }
            if (value < 1) {
                return usage("--attempts %s: at least 1", optarg);
            }
            opt->attempts = (unsigned)value;
            break;
        case DRY:
            opt->dry_run = true;
            break;
        case 'h':
            fputs(help_text, stdout);
            return -1;
        default:
            return BR_EXIT_USAGE;
        }
    }
    if (!opt->config || optind != argc) {
        return usage("%s", "--config FILE is required (see --help)");
    }
    if (opt->topic && opt->partition < 0) {
        return usage("%s", "--topic wants --partition P");
    }
    if (!opt->topic && (opt->partition >= 0 || opt->from >= 0 || opt->to >= 0)) {
        return usage("%s", "--partition, --from-offset and --to-offset go with --topic");
    }
    if (opt->topic && (opt->origin_filters || opt->dead_letter_topic)) {
        return usage("%s", "--origin-*, --reason and --dead-letter-topic filter dead letters; "
                     "a record topic (--topic) takes --hook, --event, --since and --until");
    }
    if (opt->from >= 0 && opt->to >= 0 && opt->from > opt->to) {
        return usage("%s", "--from-offset is after --to-offset");
    }
    if (opt->sel.origin_from >= 0 && opt->sel.origin_to >= 0 &&
        opt->sel.origin_from > opt->sel.origin_to) {
        return usage("%s", "--origin-from-offset is after --origin-to-offset");
    }
    return 0;
}

/* The options that choose the records, as written: the default group is named after them. */
void br_replay_options_canonical(const struct br_replay_options *opt, const char *source, char *out, size_t out_size)
{
    snprintf(out, out_size,
             "source=%s:%s:%lld:%lld:%lld hook=%s event=%s origin=%s:%d:%lld:%lld since=%s "
             "until=%s reason=%s",
             opt->topic ? "records" : "dead-letters", source, opt->partition, opt->from, opt->to,
             opt->sel.hook ? opt->sel.hook : "", opt->sel.event ? opt->sel.event : "",
             opt->sel.origin_topic ? opt->sel.origin_topic : "", opt->sel.origin_partition,
             (long long)opt->sel.origin_from, (long long)opt->sel.origin_to,
             opt->since ? opt->since : "", opt->until ? opt->until : "",
             opt->reason ? opt->reason : "");
}

/* Checks what needs the configuration: hooks, topics, times. */
int br_replay_options_check(struct br_replay_options *opt, const struct br_conf *conf, int64_t now)
{
    char errstr[512];

    /* a table hook's name is checked once the webhooks topics are read (replay.c) */
    if (opt->sel.hook && !br_hookview_is_table_name(conf, opt->sel.hook) &&
        !br_cmdutil_find_hook(conf, opt->sel.hook)) {
        fprintf(stderr, "perscom-bridge replay: no hook named %s in %s; ", opt->sel.hook,
                opt->config);
        br_cmdutil_print_hooks(conf, stderr);
        return BR_EXIT_USAGE;
    }
    if (opt->topic && !br_conf_topic_for(conf, opt->topic)) {
        fprintf(stderr, "perscom-bridge replay: topic %s matches no entry of topics in %s; ",
                opt->topic, opt->config);
        br_cmdutil_print_topics(conf, stderr);
        return BR_EXIT_USAGE;
    }
    if (!opt->topic && !opt->dead_letter_topic && !conf->dead_letter_topic) {
        fprintf(stderr, "perscom-bridge replay: %s sets no dead_letter.topic: name one with "
                "--dead-letter-topic, or a record topic with --topic\n", opt->config);
        return BR_EXIT_USAGE;
    }
    if ((opt->since && br_selection_parse_time(opt->since, now, &opt->sel.since_ms, errstr,
                                               sizeof(errstr)) != 0) ||
        (opt->until && br_selection_parse_time(opt->until, now, &opt->sel.until_ms, errstr,
                                               sizeof(errstr)) != 0)) {
        fprintf(stderr, "perscom-bridge replay: --%s %s\n", opt->since && opt->sel.since_ms < 0
                                                                ? "since" : "until", errstr);
        return BR_EXIT_USAGE;
    }
    if (opt->since && opt->until && opt->sel.since_ms >= opt->sel.until_ms) {
        fprintf(stderr, "perscom-bridge replay: --since is not before --until\n");
        return BR_EXIT_USAGE;
    }
    return 0;
}

