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

#include "core/log.h"
#include "kafka/reader.h"
#include "support/mockcluster.h"

#define TIMEOUT_MS 10000

static struct br_reader *reader_new(struct br_test_cluster *cl, const char *group,
                                    const char *topic, int32_t partition)
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

/* Reads partition index at offset and checks the value "<topic>/p/n" (n == offset here). */
static void assert_read(struct br_reader *reader, const char *topic, size_t index, int64_t offset,
                        int p, int64_t want_offset)
{
    bool end = true;
    rd_kafka_message_t *message = br_reader_read(reader, index, offset, TIMEOUT_MS, &end);
    char want[128];

    if (!message) {
        fail_msg("[%zu] @%lld: no message (end %d)", index, (long long)offset, end);
    }
    snprintf(want, sizeof(want), "%s/%d/%lld", topic, p, (long long)want_offset);
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
    struct br_test_cluster *cl = *state;
    static const int counts[] = {5, 0, 3};
    struct br_reader *reader;

    br_test_cluster_fill(cl, "r.read", 3, counts);
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
        assert_read(reader, "r.read", 0, o, 0, o);
    }
    assert_end(reader, 0, 5);
    assert_read(reader, "r.read", 0, 1, 0, 1);
    assert_read(reader, "r.read", 2, 2, 2, 2);
    assert_read(reader, "r.read", 0, 4, 0, 4); /* reads on over 2 and 3 */
    assert_read(reader, "r.read", 2, 0, 2, 0);
    assert_end(reader, 1, 0);        /* an empty partition */
    assert_end(reader, 2, 3);
    br_reader_destroy(reader);

    /* one partition only */
    reader = reader_new(cl, "g.read", "r.read", 2);
    assert_int_equal(br_reader_count(reader), 1);
    assert_int_equal(br_reader_partition(reader, 0)->id, 2);
    assert_int_equal(br_reader_partition(reader, 0)->high, 3);
    assert_read(reader, "r.read", 0, 1, 2, 1);
    br_reader_destroy(reader);
}

static void test_commit_with_metadata(void **state)
{
    struct br_test_cluster *cl = *state;
    static const int counts[] = {4, 6};
    struct br_reader *reader;
    int64_t offsets[2] = {2, -1};
    char errstr[512] = "";

    br_test_cluster_fill(cl, "r.commit", 2, counts);
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
    struct br_test_cluster *cl = *state;
    static const int counts[] = {1};
    struct br_conf conf = {.brokers = cl->brokers, .group_id = "unused"};
    char errstr[512] = "";

    br_test_cluster_fill(cl, "r.one", 1, counts);
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
    br_log_set_level(BR_LOG_ERROR);
    return cmocka_run_group_tests_name("mock cluster", tests, br_test_cluster_setup,
                                       br_test_cluster_teardown);
}
