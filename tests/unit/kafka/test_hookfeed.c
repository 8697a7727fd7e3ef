/*
 * Unit tests of hookfeed.c against librdkafka's in-process mock cluster: only the topics
 * table_hooks.topics matches are read, every partition from its beginning; caught up once each
 * partition seen at start reached its end (also an empty one); a webhooks topic created later is
 * found by a refresh and read from its beginning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>

#include "config/conf.h"
#include "core/log.h"
#include "kafka/hookfeed.h"
#include "support/mockcluster.h"

#define TIMEOUT_MS 10000

struct cluster {
    struct br_test_cluster kafka;
    struct br_conf *conf;
    char path[64];
};

/* The configuration: table_hooks over wh.<tenant>.webhooks, schemas by absolute path (the
 * tests run in tests/unit/fixtures). */
static struct br_conf *load_conf(struct cluster *cl)
{
    char records[4096];
    char webhooks[4096];
    char err[4096] = "";
    FILE *f;
    int fd;
    struct br_conf *conf;

    assert_non_null(realpath("../../../schemas/records_ranks.avsc", records));
    assert_non_null(realpath("../../../schemas/webhooks.avsc", webhooks));
    snprintf(cl->path, sizeof(cl->path), "/tmp/test_hookfeed_XXXXXX");
    fd = mkstemp(cl->path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f,
            "kafka:\n  brokers: \"%s\"\n  group_id: g\n"
            "topics:\n  - name: rec.t1.records_ranks\n    format: avro\n    schema: %s\n"
            "hooks:\n  - name: h\n    url: http://127.0.0.1:9/\n    secret: s\n"
            "    events: [\"*\"]\n"
            "table_hooks:\n  topics: 'wh\\.(t[0-9]+)\\.webhooks'\n"
            "  record_tenant: 'rec\\.(t[0-9]+)\\..*'\n  format: avro\n  schema: %s\n",
            cl->kafka.brokers, records, webhooks);
    fclose(f);
    conf = br_conf_load(cl->path, err, sizeof(err));
    if (!conf) {
        fail_msg("%s", err);
    }
    return conf;
}

static int cluster_start(void **state)
{
    struct cluster *cl = calloc(1, sizeof(*cl));

    assert_non_null(cl);
    br_log_set_level(BR_LOG_ERROR);
    br_test_cluster_init(&cl->kafka);
    cl->conf = load_conf(cl);
    *state = cl;
    return 0;
}

static int cluster_stop(void **state)
{
    struct cluster *cl = *state;

    br_conf_destroy(cl->conf);
    unlink(cl->path);
    br_test_cluster_finish(&cl->kafka);
    free(cl);
    return 0;
}

/* Polls until want messages came (and, with caught_up, the feed says so); their values are
 * appended to seen (one per line). */
static size_t drain(struct br_hookfeed *feed, size_t want, bool caught_up, char *seen,
                    size_t seen_size)
{
    size_t got = 0;

    for (int round = 0; round < 1000; round++) {
        rd_kafka_message_t *message;

        while ((message = br_hookfeed_poll(feed)) != NULL) {
            size_t used = strlen(seen);
            snprintf(seen + used, seen_size - used, "%.*s\n", (int)message->len,
                     (const char *)message->payload);
            got++;
            rd_kafka_message_destroy(message);
        }
        if (got >= want && (!caught_up || br_hookfeed_caught_up(feed))) {
            break;
        }
        usleep(10000);
    }
    return got;
}

static void test_reads_the_webhooks_topics_and_catches_up(void **state)
{
    struct cluster *cl = *state;
    static const int t1[] = {3, 0}; /* partition 1 is empty: caught up all the same */
    static const int t2[] = {2};
    static const int rec[] = {4};
    static const int t3[] = {1};
    char seen[4096] = "";
    char errstr[512] = "";
    struct br_hookfeed *feed;

    br_test_cluster_fill(&cl->kafka, "wh.t1.webhooks", 2, t1);
    br_test_cluster_fill(&cl->kafka, "wh.t2.webhooks", 1, t2);
    /* a record topic: not read */
    br_test_cluster_fill(&cl->kafka, "rec.t1.records_ranks", 1, rec);
    /* no tenant (t[0-9]+): not a webhooks topic */
    br_test_cluster_fill(&cl->kafka, "wh.x.webhooks", 1, t2);
    feed = br_hookfeed_create(cl->conf, TIMEOUT_MS, errstr, sizeof(errstr));
    if (!feed) {
        fail_msg("br_hookfeed_create: %s", errstr);
    }
    assert_int_equal(br_hookfeed_topics(feed), 2);
    assert_int_equal(br_hookfeed_partitions(feed), 3);
    assert_false(br_hookfeed_caught_up(feed));
    assert_true(br_hookfeed_wake_fd(feed) >= 0);

    assert_int_equal(drain(feed, 5, true, seen, sizeof(seen)), 5);
    assert_true(br_hookfeed_caught_up(feed));
    assert_non_null(strstr(seen, "wh.t1.webhooks/0/0\nwh.t1.webhooks/0/1\nwh.t1.webhooks/0/2\n"));
    assert_non_null(strstr(seen, "wh.t2.webhooks/0/0\nwh.t2.webhooks/0/1\n"));
    assert_null(strstr(seen, "rec."));
    assert_null(strstr(seen, "wh.x."));

    /* nothing new: a refresh adds nothing */
    assert_int_equal(br_hookfeed_refresh(feed, TIMEOUT_MS, errstr, sizeof(errstr)), 0);
    /* a new tenant's topic: found by the refresh, read from its beginning */
    br_test_cluster_fill(&cl->kafka, "wh.t3.webhooks", 1, t3);
    assert_int_equal(br_hookfeed_refresh(feed, TIMEOUT_MS, errstr, sizeof(errstr)), 1);
    assert_int_equal(br_hookfeed_topics(feed), 3);
    seen[0] = '\0';
    assert_int_equal(drain(feed, 1, false, seen, sizeof(seen)), 1);
    assert_string_equal(seen, "wh.t3.webhooks/0/0\n");
    assert_true(br_hookfeed_caught_up(feed));
    br_hookfeed_destroy(feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_webhooks_topics_and_catches_up),
    };

    return cmocka_run_group_tests(tests, cluster_start, cluster_stop);
}
