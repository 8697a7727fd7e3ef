#ifndef BR_TEST_MOCKCLUSTER_H
#define BR_TEST_MOCKCLUSTER_H
/*
 * librdkafka's in-process mock cluster for the unit tests (tests/unit/kafka): one broker,
 * started and stopped around a group of tests, and a producer that writes numbered messages.
 * Failures fail the test (cmocka), so none of these returns an error.
 */
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct br_test_cluster {
    rd_kafka_t *owner; /* the mock cluster lives in this handle */
    rd_kafka_mock_cluster_t *mock;
    char *brokers; /* owned: the bootstrap servers */
};

/* Starts a one-broker mock cluster in cl (librdkafka's own log off). */
void br_test_cluster_init(struct br_test_cluster *cl);
/* Stops it and frees what init made (not cl itself). */
void br_test_cluster_finish(struct br_test_cluster *cl);

/* cmocka group setup/teardown: *state a new started cluster (struct br_test_cluster *). */
int br_test_cluster_setup(void **state);
int br_test_cluster_teardown(void **state);

/* Creates topic with partitions partitions (replication 1). */
void br_test_cluster_topic(struct br_test_cluster *cl, const char *topic, int partitions);

/* Produces "<topic>/<partition>/<n>" for n in first..last-1 to partition (flushed). */
void br_test_cluster_produce(struct br_test_cluster *cl, const char *topic, int32_t partition,
                             int first, int last);

/* A new topic of partitions partitions with counts[p] messages in partition p (n from 0). */
void br_test_cluster_fill(struct br_test_cluster *cl, const char *topic, int partitions,
                          const int *counts);

#endif
