#ifndef BR_REPLAYSTATE_H
#define BR_REPLAYSTATE_H
/* The replay command's state, shared by replay.c (the phases) and replaysend.c (one record). */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avro/decode.h"
#include "avro/registry.h"
#include "cmd/hookview.h"
#include "cmd/progress.h"
#include "cmd/replayindex.h"
#include "cmd/selection.h"
#include "config/conf.h"
#include "delivery/sender.h"
#include "kafka/deadletter.h"
#include "kafka/reader.h"

#define BR_REPLAY_LISTED 50 /* failures and records not sent listed in the summary */

/* What became of one record. */
enum br_replay_outcome {
    BR_REPLAY_DELIVERED, /* every request it owed answered 2xx (or, dry run, would be sent) */
    BR_REPLAY_FAILED,    /* some request failed again: dead-lettered again, listed */
    BR_REPLAY_NOT_SENT,  /* nothing could be sent (hook gone, not subscribed, record gone) */
    BR_REPLAY_SKIPPED,   /* not an event, left out by --event, or a duplicate dead letter */
    BR_REPLAY_STOP       /* stop here without settling it (interrupted, registry down, ...) */
};

struct br_replay_counts {
    uint64_t read;          /* records read from the source */
    uint64_t filtered;      /* left out by the filters */
    uint64_t foreign;       /* dead-letter source: records without valid perscom.* headers */
    uint64_t selected;      /* in the index */
    uint64_t resumed;       /* done by an earlier run (before the progress note's last) */
    uint64_t delivered;     /* records */
    uint64_t requests;      /* requests delivered (or, dry run, listed) */
    uint64_t failed;
    uint64_t not_sent;
    uint64_t not_events;
    uint64_t by_event;
    uint64_t duplicates;    /* requests left out: the hook already had that origin record */
};

struct br_replay {
    const struct br_conf *conf;
    struct br_selection sel;
    bool dead_letters;      /* the source is a dead-letter topic (else a record topic) */
    bool dry_run;
    unsigned attempts;      /* per request */
    const char *source;     /* the topic read */
    char group[300];
    int stop_fd;            /* readable once SIGINT/SIGTERM came */
    bool interrupted;
    char stop_reason[2048]; /* why BR_REPLAY_STOP, for the summary */

    struct br_reader *reader;
    struct br_registry *registry;
    struct br_decoder *decoder;
    struct br_hookview *hooks; /* the YAML hooks and the table hooks as their topics have them */
    struct br_sender *sender;
    struct br_deadletter *deadletter; /* re-dead-letters failures; NULL in a dry run or without
                                         dead_letter.topic (a failure then stops the replay) */
    struct br_replay_index index;
    int64_t *start;         /* per source partition */
    int64_t *end;
    uint64_t random;        /* xorshift state for the retry jitter */

    /* the origin record of the previous entry and the hooks it was delivered to */
    struct br_replay_key last_origin;
    char last_topic[256];
    bool *delivered_hooks;  /* per hook of hooks, by its index */

    struct br_progress progress;
    struct br_replay_counts counts;
    char *listed[BR_REPLAY_LISTED];
    size_t listed_count;
    size_t unlisted;
};

/* Sends (or, dry run, lists) what index entry i owes; message is its source record. */
enum br_replay_outcome br_replay_entry(struct br_replay *replay, size_t i,
                                       const rd_kafka_message_t *message);
/* Adds a line to the summary's list (and prints it to stdout now). */
void br_replay_list(struct br_replay *replay, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Waits ms (or less when a signal came): false when interrupted. */
bool br_replay_sleep(struct br_replay *replay, int64_t ms);

#endif
