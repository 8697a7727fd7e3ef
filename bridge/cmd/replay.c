/*
 * perscom-bridge replay: dead letters (or a range of a record topic) sent again to their hooks
 * through the run loop's render and sign path. Two phases: a scan of the source that indexes the
 * selected records by origin, then the sends in origin order, one record at a time, each
 * followed by a commit (offsets and a progress note) to the replay's own group, so that an
 * interrupted replay resumes where it stopped. docs/replay.md is the operator's side.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "cmd/cmd.h"
#include "cmd/cmdutil.h"
#include "cmd/replayopts.h"
#include "cmd/replaystate.h"
#include "core/log.h"
#include "delivery/egress.h"
#include "perscom/catalog.h"

#define READ_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 15000
#define INDEX_LIMIT 20000000u /* records one replay indexes (about 40 bytes each) */
#define EXIT_FAILED_AGAIN 4
#define EXIT_INTERRUPTED 5

/* Where each source partition starts and ends; the progress note's last key, if resuming. */
static bool plan(struct br_replay *replay, const struct br_replay_options *opt, struct br_replay_key *last,
                 char *last_topic, size_t last_topic_size)
{
    size_t count = br_reader_count(replay->reader);
    bool resuming = false;

    for (size_t s = 0; s < count && !resuming; s++) {
        const struct br_reader_partition *part = br_reader_partition(replay->reader, s);
        resuming = part->metadata &&
                   br_replaynote_parse(part->metadata, count, replay->end, last, last_topic,
                                       last_topic_size) == 0;
    }
    for (size_t s = 0; s < count; s++) {
        const struct br_reader_partition *part = br_reader_partition(replay->reader, s);
        int64_t start = part->low;

        if (!resuming) {
            replay->end[s] = part->high;
            if (opt->to >= 0 && opt->to + 1 < replay->end[s]) {
                replay->end[s] = opt->to + 1;
            }
        }
        if (opt->from > start) {
            start = opt->from;
        }
        if (part->committed > start) {
            start = part->committed;
        }
        replay->start[s] = start < replay->end[s] ? start : replay->end[s];
    }
    return resuming;
}

static bool stop_requested(struct br_replay *replay)
{
    struct pollfd pfd = {.fd = replay->stop_fd, .events = POLLIN};

    if (!replay->interrupted && poll(&pfd, 1, 0) > 0) {
        replay->interrupted = true;
    }
    return replay->interrupted;
}

/* Reads every source partition from start to end and indexes what the filters select. */
static int scan(struct br_replay *replay)
{
    size_t count = br_reader_count(replay->reader);
    uint64_t total = 0;
    uint64_t read = 0;

    for (size_t s = 0; s < count; s++) {
        total += (uint64_t)(replay->end[s] - replay->start[s]);
    }
    br_progress_init(&replay->progress, stderr, isatty(STDERR_FILENO), "scan", total,
                     br_clock_monotonic_ms());
    for (size_t s = 0; s < count; s++) {
        int64_t offset = replay->start[s];
        while (offset < replay->end[s]) {
            bool end = false;

            if (replay->counts.read % 256 == 0 && stop_requested(replay)) {
                br_progress_clear(&replay->progress);
                snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                         "interrupted while scanning");
                return -1;
            }
            rd_kafka_message_t *message =
                br_reader_read(replay->reader, s, offset, READ_TIMEOUT_MS, &end);
            int64_t timestamp;

            if (!message) {
                if (end) {
                    break;
                }
                br_progress_clear(&replay->progress);
                fprintf(stderr, "perscom-bridge replay: no answer reading %s [%" PRId32
                        "] @%" PRId64 "\n", replay->source,
                        br_reader_partition(replay->reader, s)->id, offset);
                return -1;
            }
            if (message->offset >= replay->end[s]) {
                rd_kafka_message_destroy(message);
                break;
            }
            read += (uint64_t)(message->offset + 1 - offset);
            offset = message->offset + 1;
            replay->counts.read++;
            timestamp = rd_kafka_message_timestamp(message, NULL);
            if (replay->dead_letters) {
                rd_kafka_headers_t *headers = NULL;
                struct br_dead_header dl;
                char errstr[256];
                rd_kafka_message_headers(message, &headers);
                if (br_dlrecord_parse(headers, &dl, errstr, sizeof(errstr)) != 0) {
                    replay->counts.foreign++;
                    br_replay_list(replay, "skipped     %s [%" PRId32 "] @%" PRId64 ": %s",
                                   replay->source, message->partition, message->offset, errstr);
                } else if (!br_selection_dead_letter(&replay->sel, &dl, timestamp, NULL)) {
                    replay->counts.filtered++;
                } else if (br_replayindex_add(&replay->index, (uint32_t)s, message->offset,
                                              dl.topic, dl.partition, dl.offset) != 0) {
                    goto too_many;
                }
            } else if (!br_selection_time(&replay->sel, timestamp)) {
                replay->counts.filtered++;
            } else if (br_replayindex_add(&replay->index, (uint32_t)s, message->offset,
                                          replay->source, message->partition,
                                          message->offset) != 0) {
                goto too_many;
            }
            rd_kafka_message_destroy(message);
            br_progress_update(&replay->progress, read, br_clock_monotonic_ms());
            continue;
too_many:
            rd_kafka_message_destroy(message);
            br_progress_clear(&replay->progress);
            fprintf(stderr, "perscom-bridge replay: more than %u records selected; narrow the "
                    "selection (--since/--until, --origin-*, --hook)\n", INDEX_LIMIT);
            return -1;
        }
    }
    br_progress_clear(&replay->progress);
    replay->counts.selected = replay->index.count;
    return 0;
}

/* Commits the progress after index entry i: offsets of the done prefixes, and the note. */
static int commit_progress(struct br_replay *replay, size_t i, bool finished)
{
    size_t count = br_reader_count(replay->reader);
    int64_t *offsets = calloc(count, sizeof(*offsets));
    char note[4096];
    char errstr[512];
    struct br_replay_key key;
    int rc = -1;

    if (!offsets) {
        abort();
    }

    for (size_t s = 0; s < count; s++) {
        offsets[s] = finished ? replay->end[s]
                              : br_replayindex_committable(&replay->index, (uint32_t)s,
                                                           replay->end[s]);
    }
    if (!finished) {
        br_replayindex_key(&replay->index, i, &key);
        if (br_replaynote_format(replay->end, count, &key, note, sizeof(note)) != 0) {
            snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                     "the progress note does not fit in a commit");
            goto done;
        }
    }
    if (br_reader_commit(replay->reader, offsets, finished ? NULL : note, errstr,
                         sizeof(errstr)) != 0) {
        snprintf(replay->stop_reason, sizeof(replay->stop_reason), "%s", errstr);
        goto done;
    }
    rc = 0;
done:
    free(offsets);
    return rc;
}

/* Sends the index from first on; 0 when all of it was settled. */
static int send_phase(struct br_replay *replay, size_t first)
{
    br_progress_init(&replay->progress, stderr, isatty(STDERR_FILENO),
                     replay->dry_run ? "dry run" : "replay", replay->index.count - first,
                     br_clock_monotonic_ms());
    for (size_t i = first; i < replay->index.count; i++) {
        const struct br_replay_entry *entry = &replay->index.entries[i];
        enum br_replay_outcome outcome;
        rd_kafka_message_t *message;
        bool end = false;

        if (stop_requested(replay)) {
            snprintf(replay->stop_reason, sizeof(replay->stop_reason), "interrupted");
            return -1;
        }
        message = br_reader_read(replay->reader, entry->source, entry->source_offset,
                                 READ_TIMEOUT_MS, &end);
        if (!message && !end) {
            snprintf(replay->stop_reason, sizeof(replay->stop_reason),
                     "no answer reading %s [%" PRId32 "] @%" PRId64, replay->source,
                     br_reader_partition(replay->reader, entry->source)->id,
                     entry->source_offset);
            return -1;
        }
        if (!message || message->offset != entry->source_offset) {
            br_replay_list(replay, "not sent    %s [%" PRId32 "] @%" PRId64 ": the record is "
                           "gone (retention)", replay->source,
                           br_reader_partition(replay->reader, entry->source)->id,
                           entry->source_offset);
            outcome = BR_REPLAY_NOT_SENT;
        } else {
            outcome = br_replay_entry(replay, i, message);
        }
        if (message) {
            rd_kafka_message_destroy(message);
        }
        switch (outcome) {
        case BR_REPLAY_STOP:
            return -1;
        case BR_REPLAY_DELIVERED:
            replay->counts.delivered++;
            break;
        case BR_REPLAY_FAILED:
            replay->counts.failed++;
            break;
        case BR_REPLAY_NOT_SENT:
            replay->counts.not_sent++;
            break;
        case BR_REPLAY_SKIPPED:
            break;
        }
        br_replayindex_done(&replay->index, i);
        if (!replay->dry_run && commit_progress(replay, i, false) != 0) {
            return -1;
        }
        br_progress_update(&replay->progress, i + 1 - first, br_clock_monotonic_ms());
    }
    br_progress_clear(&replay->progress);
    if (!replay->dry_run && commit_progress(replay, 0, true) != 0) {
        return -1;
    }
    return 0;
}

static void summary(const struct br_replay *replay)
{
    const struct br_replay_counts *c = &replay->counts;

    printf("--- summary\n");
    printf("source: %s topic %s, group %s%s\n", replay->dead_letters ? "dead-letter" : "record",
           replay->source, replay->group, replay->dry_run ? " (dry run: nothing sent or "
                                                              "committed)" : "");
    printf("read %" PRIu64 ", selected %" PRIu64 " (filtered out %" PRIu64 ", not dead letters %"
           PRIu64 "), done by an earlier run %" PRIu64 "\n", c->read, c->selected, c->filtered,
           c->foreign, c->resumed);
    printf("%s %" PRIu64 " record(s) (%" PRIu64 " request(s)), failed again %" PRIu64
           ", not sent %" PRIu64 ", not events %" PRIu64 ", other events %" PRIu64
           ", duplicate dead letters %" PRIu64 "\n",
           replay->dry_run ? "would send" : "delivered", c->delivered, c->requests, c->failed,
           c->not_sent, c->not_events, c->by_event, c->duplicates);
    if (replay->listed_count > 0) {
        printf("listed:\n");
        for (size_t i = 0; i < replay->listed_count; i++) {
            printf("  %s\n", replay->listed[i]);
        }
        if (replay->unlisted > 0) {
            printf("  ... and %zu more\n", replay->unlisted);
        }
    }
    if (replay->stop_reason[0]) {
        printf("stopped: %s; run the same command again to resume\n", replay->stop_reason);
    }
}

#define SETUP_USAGE -2 /* setup's return: a usage error, printed */

/* 0, SETUP_USAGE, or -1 with a message. */
static int setup(struct br_replay *replay, const struct br_replay_options *opt, char *errstr,
                 size_t errstr_size)
{
    const struct br_conf *conf = replay->conf;
    char options_text[2048];

    replay->dead_letters = opt->topic == NULL;
    replay->source = opt->topic ? opt->topic
                                : opt->dead_letter_topic ? opt->dead_letter_topic
                                                         : conf->dead_letter_topic;
    br_replay_options_canonical(opt, replay->source, options_text, sizeof(options_text));
    if (opt->group) {
        snprintf(replay->group, sizeof(replay->group), "%s", opt->group);
    } else {
        br_selection_group(conf->group_id, options_text, replay->group, sizeof(replay->group));
    }
    replay->reader = br_reader_create(conf, replay->group, replay->source,
                                      opt->topic ? (int32_t)opt->partition : -1,
                                      CONNECT_TIMEOUT_MS, errstr, errstr_size);
    if (!replay->reader) {
        return -1;
    }
    replay->registry = br_registry_create_for(conf);
    replay->decoder = br_decoder_create(replay->registry);
    replay->hooks = br_hookview_create(conf, true, replay->decoder, replay->registry, errstr,
                                       errstr_size);
    if (!replay->hooks) {
        return -1;
    }
    if (opt->sel.hook && !br_hookview_find(replay->hooks, opt->sel.hook, NULL)) {
        fprintf(stderr, "perscom-bridge replay: no hook named %s in %s and its webhooks topics; ",
                opt->sel.hook, opt->config);
        br_hookview_print(replay->hooks, stderr);
        return SETUP_USAGE;
    }
    if (!opt->dry_run) {
        replay->sender = br_sender_create(1, errstr, errstr_size);
        if (!replay->sender) {
            return -1;
        }
        br_egress_install(replay->sender, conf);
        if (conf->dead_letter_topic) {
            replay->deadletter = br_deadletter_create(conf, -1, errstr, errstr_size);
            if (!replay->deadletter) {
                return -1;
            }
        }
    }
    replay->delivered_hooks = calloc(br_hookview_count(replay->hooks) + 1, sizeof(bool));
    replay->start = calloc(br_reader_count(replay->reader), sizeof(int64_t));
    replay->end = calloc(br_reader_count(replay->reader), sizeof(int64_t));
    if (!replay->delivered_hooks || !replay->start || !replay->end) {
        abort();
    }
    br_replayindex_init(&replay->index, br_reader_count(replay->reader), INDEX_LIMIT);
    return 0;
}

static void teardown(struct br_replay *replay)
{
    br_replayindex_finish(&replay->index);
    if (replay->deadletter) {
        br_deadletter_flush(replay->deadletter, 5000);
    }
    br_deadletter_destroy(replay->deadletter);
    br_sender_destroy(replay->sender);
    br_hookview_destroy(replay->hooks);
    br_decoder_destroy(replay->decoder);
    br_registry_destroy(replay->registry);
    br_reader_destroy(replay->reader);
    for (size_t i = 0; i < replay->listed_count; i++) {
        free(replay->listed[i]);
    }
    free(replay->delivered_hooks);
    free(replay->start);
    free(replay->end);
}

int br_cmd_replay(int argc, char **argv)
{
    struct br_replay_options opt;
    struct br_conf *conf = NULL;
    struct br_replay replay;
    struct br_replay_key last = {0};
    char last_topic[256];
    char errstr[1024];
    size_t first = 0;
    bool resuming;
    int fd = -1;
    int rc = br_replay_options_parse(argc, argv, &opt);

    if (rc != 0) {
        return rc < 0 ? BR_EXIT_OK : rc;
    }
    memset(&replay, 0, sizeof(replay));
    conf = br_cmdutil_load_conf(opt.config);
    if (!conf) {
        return BR_EXIT_CONFIG;
    }
    rc = br_replay_options_check(&opt, conf, br_clock_wall_ms());
    if (rc != 0) {
        goto done;
    }
    rc = BR_EXIT_RUNTIME;
    br_log_set_level(BR_LOG_WARN);
    fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "perscom-bridge replay: eventfd: %s\n", strerror(errno));
        goto done;
    }
    br_cmdutil_signals_install(fd);
    replay.conf = conf;
    replay.sel = opt.sel;
    replay.dry_run = opt.dry_run;
    replay.attempts = opt.attempts;
    replay.stop_fd = fd;
    replay.random = (uint64_t)br_clock_wall_ms() * 2654435761u | 1;
    switch (setup(&replay, &opt, errstr, sizeof(errstr))) {
    case 0:
        break;
    case SETUP_USAGE:
        rc = BR_EXIT_USAGE; /* said why */
        goto done;
    default:
        fprintf(stderr, "perscom-bridge replay: %s\n", errstr);
        goto done;
    }
    resuming = plan(&replay, &opt, &last, last_topic, sizeof(last_topic));
    printf("# replay of %s topic %s (%zu partition(s)), group %s%s\n",
           replay.dead_letters ? "dead-letter" : "record", replay.source,
           br_reader_count(replay.reader), replay.group,
           resuming ? ": resuming an interrupted replay" : "");
    fflush(stdout);
    if (scan(&replay) != 0) {
        rc = replay.interrupted ? EXIT_INTERRUPTED : BR_EXIT_RUNTIME;
        if (replay.interrupted) {
            summary(&replay);
        }
        goto done;
    }
    br_replayindex_sort(&replay.index);
    if (resuming) {
        first = br_replayindex_after(&replay.index, &last);
        for (size_t i = 0; i < first; i++) {
            br_replayindex_done(&replay.index, i);
        }
        replay.counts.resumed = first;
    }
    if (send_phase(&replay, first) != 0) {
        rc = replay.interrupted       ? EXIT_INTERRUPTED
             : replay.counts.failed > 0 ? EXIT_FAILED_AGAIN
                                        : BR_EXIT_RUNTIME;
    } else {
        rc = replay.counts.failed + replay.counts.not_sent > 0 ? EXIT_FAILED_AGAIN : BR_EXIT_OK;
    }
    summary(&replay);

done:
    teardown(&replay);
    if (fd >= 0) {
        br_cmdutil_signals_reset();
        close(fd);
    }
    br_conf_destroy(conf);
    return rc;
}
