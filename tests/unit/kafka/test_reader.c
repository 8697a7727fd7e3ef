/*
 * Unit tests of reader.c against librdkafka's in-process mock cluster: partitions, watermarks
 * and committed offsets at creation; reading on, seeking back and across partitions, the end of
 * a partition; commits with metadata read back by a new reader of the same group; a missing
 * partition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/log.h"
#include "kafka/reader.h"

#define TIMEOUT_MS 10000

struct cluster {
    rd_kafka_t *owner;
    rd_kafka_mock_cluster_t *mock;
    char *brokers;
};

static int cluster_start(void **state)
{
    struct cluster *cl = calloc(1, sizeof(*cl));
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];

    assert_non_null(cl);
    br_log_set_level(BR_LOG_ERROR);
    assert_int_equal(rd_kafka_conf_set(kconf, "log_level", "0", reason, sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    cl->owner = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, reason, sizeof(reason));
    assert_non_null(cl->owner);
    cl->mock = rd_kafka_mock_cluster_new(cl->owner, 1);
    assert_non_null(cl->mock);
    cl->brokers = strdup(rd_kafka_mock_cluster_bootstraps(cl->mock));
    *state = cl;
    return 0;
}

static int cluster_stop(void **state)
{
    struct cluster *cl = *state;

    rd_kafka_mock_cluster_destroy(cl->mock);
    rd_kafka_destroy(cl->owner);
    free(cl->brokers);
    free(cl);
    return 0;
}

/* counts[p] messages "p/n" into partition p of a new topic. */
static void produce(struct cluster *cl, const char *topic, int partitions, const int *counts)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];
    rd_kafka_t *producer;

    assert_int_equal(rd_kafka_mock_topic_create(cl->mock, topic, partitions, 1), 0);
    assert_int_equal(rd_kafka_conf_set(kconf, "bootstrap.servers", cl->brokers, reason,
                                       sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, reason, sizeof(reason));
    assert_non_null(producer);
    for (int p = 0; p < partitions; p++) {
        for (int n = 0; n < counts[p]; n++) {
            char value[64];
            snprintf(value, sizeof(value), "%d/%d", p, n);
            assert_int_equal(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                               RD_KAFKA_V_PARTITION(p),
                                               RD_KAFKA_V_VALUE(value, strlen(value)),
                                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                               RD_KAFKA_V_END),
                             RD_KAFKA_RESP_ERR_NO_ERROR);
        }
    }
    assert_int_equal(rd_kafka_flush(producer, TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
}

static struct br_reader *reader_new(struct cluster *cl, const char *group, const char *topic,
                                    int32_t partition)
{
    struct br_conf conf = {.brokers = cl->brokers, .group_id = "unused"};
    char errstr[512] = "";
    struct br_reader *reader =
        br_reader_create(&conf, group, topic, partition, TIMEOUT_MS, errstr, sizeof(errstr));

    if (!reader) {
        fail_msg("br_reader_create: %s", errstr);
    }
    return reader;
}

/* Reads partition index at offset and checks the value "p/n" (n == offset here). */
static void assert_read(struct br_reader *reader, size_t index, int64_t offset, int p,
                        int64_t want_offset)
{
    bool end = true;
    rd_kafka_message_t *message = br_reader_read(reader, index, offset, TIMEOUT_MS, &end);
    char want[64];

    if (!message) {
        fail_msg("[%zu] @%lld: no message (end %d)", index, (long long)offset, end);
    }
    snprintf(want, sizeof(want), "%d/%lld", p, (long long)want_offset);
    assert_false(end);
    assert_int_equal(message->partition, p);
    assert_int_equal(message->offset, want_offset);
    assert_int_equal(message->len, strlen(want));
    assert_memory_equal(message->payload, want, message->len);
    rd_kafka_message_destroy(message);
}

static void assert_end(struct br_reader *reader, size_t index, int64_t offset)
{
    bool end = false;
    rd_kafka_message_t *message = br_reader_read(reader, index, offset, TIMEOUT_MS, &end);

    if (message) {
        fail_msg("[%zu] @%lld: got offset %lld, want the end", index, (long long)offset,
                 (long long)message->offset);
    }
    assert_true(end);
}

static void test_partitions_and_reading(void **state)
{
    struct cluster *cl = *state;
    static const int counts[] = {5, 0, 3};
    struct br_reader *reader;

    produce(cl, "r.read", 3, counts);
    reader = reader_new(cl, "g.read", "r.read", -1);
    assert_int_equal(br_reader_count(reader), 3);
    for (size_t i = 0; i < 3; i++) {
        const struct br_reader_partition *part = br_reader_partition(reader, i);
        assert_int_equal(part->id, (int32_t)i);
        assert_int_equal(part->low, 0);
        assert_int_equal(part->high, counts[i]);
        assert_int_equal(part->committed, -1);
        assert_null(part->metadata);
    }
    assert_null(br_reader_partition(reader, 3));

    /* on in order, then back (a seek), across to another partition and back again */
    for (int64_t o = 0; o < 5; o++) {
        assert_read(reader, 0, o, 0, o);
    }
    assert_end(reader, 0, 5);
    assert_read(reader, 0, 1, 0, 1);
    assert_read(reader, 2, 2, 2, 2);
    assert_read(reader, 0, 4, 0, 4); /* reads on over 2 and 3 */
    assert_read(reader, 2, 0, 2, 0);
    assert_end(reader, 1, 0);        /* an empty partition */
    assert_end(reader, 2, 3);
    br_reader_destroy(reader);

    /* one partition only */
    reader = reader_new(cl, "g.read", "r.read", 2);
    assert_int_equal(br_reader_count(reader), 1);
    assert_int_equal(br_reader_partition(reader, 0)->id, 2);
    assert_int_equal(br_reader_partition(reader, 0)->high, 3);
    assert_read(reader, 0, 1, 2, 1);
    br_reader_destroy(reader);
}

static void test_commit_with_metadata(void **state)
{
    struct cluster *cl = *state;
    static const int counts[] = {4, 6};
    struct br_reader *reader;
    int64_t offsets[2] = {2, -1};
    char errstr[512] = "";

    produce(cl, "r.commit", 2, counts);
    reader = reader_new(cl, "g.commit", "r.commit", -1);
    if (br_reader_commit(reader, offsets, "replay v1 last=0:1", errstr, sizeof(errstr)) != 0) {
        fail_msg("commit: %s", errstr);
    }
    br_reader_destroy(reader);

    reader = reader_new(cl, "g.commit", "r.commit", -1);
    assert_int_equal(br_reader_partition(reader, 0)->committed, 2);
    assert_string_equal(br_reader_partition(reader, 0)->metadata, "replay v1 last=0:1");
    assert_int_equal(br_reader_partition(reader, 1)->committed, -1); /* left out */
    offsets[0] = 4;
    offsets[1] = 6;
    assert_int_equal(br_reader_commit(reader, offsets, NULL, errstr, sizeof(errstr)), 0);
    br_reader_destroy(reader);

    reader = reader_new(cl, "g.commit", "r.commit", -1);
    assert_int_equal(br_reader_partition(reader, 0)->committed, 4);
    assert_int_equal(br_reader_partition(reader, 1)->committed, 6);
    assert_null(br_reader_partition(reader, 0)->metadata);
    br_reader_destroy(reader);

    /* another group has its own offsets */
    reader = reader_new(cl, "g.other", "r.commit", -1);
    assert_int_equal(br_reader_partition(reader, 0)->committed, -1);
    br_reader_destroy(reader);
}

static void test_missing_partition(void **state)
{
    struct cluster *cl = *state;
    static const int counts[] = {1};
    struct br_conf conf = {.brokers = cl->brokers, .group_id = "unused"};
    char errstr[512] = "";

    produce(cl, "r.one", 1, counts);
    assert_null(br_reader_create(&conf, "g", "r.one", 3, TIMEOUT_MS, errstr, sizeof(errstr)));
    assert_string_equal(errstr, "topic r.one has no partition 3 (it has 1)");
    /* (the mock cluster creates any topic asked for: a missing topic is an integration test) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions_and_reading),
        cmocka_unit_test(test_commit_with_metadata),
        cmocka_unit_test(test_missing_partition),
    };
    return cmocka_run_group_tests_name("mock cluster", tests, cluster_start, cluster_stop);
}
