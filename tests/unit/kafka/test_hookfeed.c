/*
 * Unit tests of hookfeed.c against librdkafka's in-process mock cluster: only the topics
 * table_hooks.topics matches are read, every partition from its beginning; caught up once each
 * partition seen at start reached its end (also an empty one); a webhooks topic created later is
 * found by a refresh and read from its beginning; the discovery thread finds one too, wakes the
 * wake descriptor, and its listing never holds up the caller even when the broker answers
 * slowly.
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

#include <poll.h>

#include <librdkafka/rdkafka.h>

#include "config/conf.h"
#include "core/clock.h"
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

/* A feed over the topics that exist now, read to its end. */
static struct br_hookfeed *caught_up_feed(struct cluster *cl)
{
    char seen[8192] = "";
    char errstr[512] = "";
    struct br_hookfeed *feed = br_hookfeed_create(cl->conf, TIMEOUT_MS, errstr, sizeof(errstr));

    if (!feed) {
        fail_msg("br_hookfeed_create: %s", errstr);
    }
    drain(feed, 0, true, seen, sizeof(seen));
    assert_true(br_hookfeed_caught_up(feed));
    return feed;
}

static void test_the_discovery_thread_finds_a_new_topic(void **state)
{
    struct cluster *cl = *state;
    static const int t5[] = {2, 1};
    char seen[4096] = "";
    char errstr[512] = "";
    struct br_hookfeed *feed = caught_up_feed(cl);
    size_t before = br_hookfeed_partitions(feed);
    struct pollfd pfd = {.fd = br_hookfeed_wake_fd(feed), .events = POLLIN};
    int added = 0;

    assert_int_equal(br_hookfeed_take_found(feed, errstr, sizeof(errstr)), 0); /* none yet */
    assert_int_equal(br_hookfeed_discover(feed, 1000, TIMEOUT_MS, errstr, sizeof(errstr)), 0);
    assert_int_equal(br_hookfeed_discover(feed, 1000, TIMEOUT_MS, errstr, sizeof(errstr)), -1);
    assert_string_equal(errstr, "the webhooks topics' discovery already runs");
    br_test_cluster_fill(&cl->kafka, "wh.t5.webhooks", 2, t5);
    /* the thread's listing wakes the descriptor; what it found is assigned by take_found */
    for (int round = 0; round < 100 && added == 0; round++) {
        assert_true(poll(&pfd, 1, 200) >= 0);
        drain(feed, 0, false, seen, sizeof(seen));
        added = br_hookfeed_take_found(feed, errstr, sizeof(errstr));
        assert_true(added >= 0);
    }
    assert_int_equal(added, 2);
    assert_true(br_hookfeed_discoveries(feed) >= 1);
    assert_int_equal(br_hookfeed_partitions(feed), before + 2);
    assert_int_equal(drain(feed, 3, false, seen, sizeof(seen)), 3);
    assert_non_null(strstr(seen, "wh.t5.webhooks/0/0\nwh.t5.webhooks/0/1\n"));
    assert_non_null(strstr(seen, "wh.t5.webhooks/1/0\n"));
    /* listed again later: nothing new */
    unsigned long listings = br_hookfeed_discoveries(feed);
    for (int round = 0; round < 100 && br_hookfeed_discoveries(feed) == listings; round++) {
        usleep(50000);
    }
    assert_true(br_hookfeed_discoveries(feed) > listings);
    assert_int_equal(br_hookfeed_take_found(feed, errstr, sizeof(errstr)), 0);
    /* take_found clears the wake-up it answers: the loop calls it alone while a webhooks
     * message waits for the registry, and a wake-up left would never let the loop wait */
    assert_int_equal(poll(&pfd, 1, 0), 0);
    br_hookfeed_destroy(feed); /* joins the thread */
}

/*
 * The broker answers every request 1.5 s late: the same listing made on the caller's thread
 * (br_hookfeed_refresh) holds it at least that long, while with the discovery thread every call
 * the loop makes (take_found, poll) returns at once during the listing, and the new topic is
 * found all the same.
 */
static void test_a_slow_listing_never_holds_up_the_caller(void **state)
{
    struct cluster *cl = *state;
    static const int t6[] = {1};
    char seen[4096] = "";
    char errstr[512] = "";
    struct br_hookfeed *feed = caught_up_feed(cl);
    int64_t started;
    int64_t slowest = 0;
    int64_t found_after = -1;

    br_test_cluster_fill(&cl->kafka, "wh.t6.webhooks", 1, t6);
    assert_int_equal(rd_kafka_mock_broker_set_rtt(cl->kafka.mock, 1, 1500), 0);

    started = br_clock_monotonic_ms();
    assert_int_equal(br_hookfeed_refresh(feed, TIMEOUT_MS, errstr, sizeof(errstr)), 1);
    assert_true(br_clock_monotonic_ms() - started >= 1400); /* the slowness is real */

    /* an empty topic: created in the mock cluster without a round trip */
    assert_int_equal(rd_kafka_mock_topic_create(cl->kafka.mock, "wh.t7.webhooks", 1, 1), 0);
    assert_int_equal(br_hookfeed_discover(feed, 1000, TIMEOUT_MS, errstr, sizeof(errstr)), 0);
    started = br_clock_monotonic_ms();
    while (br_clock_monotonic_ms() - started < 8000 && found_after < 0) {
        int64_t call = br_clock_monotonic_ms();
        int added = br_hookfeed_take_found(feed, errstr, sizeof(errstr));
        rd_kafka_message_t *message;

        while ((message = br_hookfeed_poll(feed)) != NULL) {
            rd_kafka_message_destroy(message);
        }
        call = br_clock_monotonic_ms() - call;
        slowest = call > slowest ? call : slowest;
        assert_true(added >= 0);
        if (added > 0) {
            assert_int_equal(added, 1);
            found_after = br_clock_monotonic_ms() - started;
        }
        usleep(10000);
    }
    /* the interval (1 s) and the listing (>= 1.5 s) passed while the caller went on */
    assert_true(slowest < 500);
    assert_true(found_after >= 2400);
    assert_int_equal(rd_kafka_mock_broker_set_rtt(cl->kafka.mock, 1, 0), 0);
    assert_int_equal(drain(feed, 1, false, seen, sizeof(seen)), 1);
    assert_string_equal(seen, "wh.t6.webhooks/0/0\n"); /* the refresh's; t7 is empty */
    assert_int_equal(br_hookfeed_topics(feed), 6); /* t1, t2, t3, t5, t6, t7 */
    started = br_clock_monotonic_ms();
    br_hookfeed_destroy(feed);
    assert_true(br_clock_monotonic_ms() - started < TIMEOUT_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_webhooks_topics_and_catches_up),
        cmocka_unit_test(test_the_discovery_thread_finds_a_new_topic),
        cmocka_unit_test(test_a_slow_listing_never_holds_up_the_caller),
    };

    return cmocka_run_group_tests(tests, cluster_start, cluster_stop);
}
