/* The mock cluster of the Kafka unit tests (see mockcluster.h). */
#include "support/mockcluster.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FLUSH_MS 10000

void br_test_cluster_init(struct br_test_cluster *cl)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];

    memset(cl, 0, sizeof(*cl));
    assert_int_equal(rd_kafka_conf_set(kconf, "log_level", "0", reason, sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    cl->owner = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, reason, sizeof(reason));
    if (!cl->owner) {
        fail_msg("rd_kafka_new: %s", reason);
    }
    cl->mock = rd_kafka_mock_cluster_new(cl->owner, 1);
    assert_non_null(cl->mock);
    cl->brokers = strdup(rd_kafka_mock_cluster_bootstraps(cl->mock));
    assert_non_null(cl->brokers);
}

void br_test_cluster_finish(struct br_test_cluster *cl)
{
    rd_kafka_mock_cluster_destroy(cl->mock);
    rd_kafka_destroy(cl->owner);
    free(cl->brokers);
    memset(cl, 0, sizeof(*cl));
}

int br_test_cluster_setup(void **state)
{
    struct br_test_cluster *cl = calloc(1, sizeof(*cl));

    assert_non_null(cl);
    br_test_cluster_init(cl);
    *state = cl;
    return 0;
}

int br_test_cluster_teardown(void **state)
{
    struct br_test_cluster *cl = *state;

    br_test_cluster_finish(cl);
    free(cl);
    return 0;
}

void br_test_cluster_topic(struct br_test_cluster *cl, const char *topic, int partitions)
{
    assert_int_equal(rd_kafka_mock_topic_create(cl->mock, topic, partitions, 1), 0);
}

void br_test_cluster_produce(struct br_test_cluster *cl, const char *topic, int32_t partition,
                             int first, int last)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];
    rd_kafka_t *producer;

    if (first >= last) {
        rd_kafka_conf_destroy(kconf);
        return;
    }
    assert_int_equal(rd_kafka_conf_set(kconf, "bootstrap.servers", cl->brokers, reason,
                                       sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, reason, sizeof(reason));
    if (!producer) {
        fail_msg("rd_kafka_new: %s", reason);
    }
    for (int n = first; n < last; n++) {
        char value[320];

        snprintf(value, sizeof(value), "%s/%d/%d", topic, (int)partition, n);
        assert_int_equal(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                           RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_VALUE(value, strlen(value)),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(rd_kafka_flush(producer, FLUSH_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(producer);
}

void br_test_cluster_fill(struct br_test_cluster *cl, const char *topic, int partitions,
                          const int *counts)
{
    br_test_cluster_topic(cl, topic, partitions);
    for (int p = 0; p < partitions; p++) {
        br_test_cluster_produce(cl, topic, p, 0, counts[p]);
    }
}
