/*
 * Unit tests of consumer.c's configuration: the metadata refresh default that finds Debezium's
 * new topics within seconds, and that kafka.properties still override it. The consumer points at
 * a loopback port where no broker listens; nothing is consumed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/consumer.h"

static void on_assigned(void *opaque, const rd_kafka_topic_partition_list_t *partitions)
{
    (void)opaque;
    (void)partitions;
}

static void on_revoked(void *opaque, const rd_kafka_topic_partition_list_t *partitions, bool lost)
{
    (void)opaque;
    (void)partitions;
    (void)lost;
}

static char *property(struct br_kv *props, size_t count, const char *key)
{
    static char value[64];
    struct br_conf conf;
    struct br_conf_topic topic;
    struct br_consumer_events events = {on_assigned, on_revoked, NULL};
    struct br_consumer *consumer;
    char errstr[512];

    memset(&conf, 0, sizeof(conf));
    memset(&topic, 0, sizeof(topic));
    topic.name = "perscom.db.records_ranks";
    conf.brokers = "127.0.0.1:9";
    conf.group_id = "test-consumer";
    conf.topics = &topic;
    conf.topic_count = 1;
    conf.kafka_props = props;
    conf.kafka_prop_count = count;
    consumer = br_consumer_create(&conf, &events, errstr, sizeof(errstr));
    if (!consumer) {
        fail_msg("%s", errstr);
    }
    assert_int_equal(br_consumer_property(consumer, key, value, sizeof(value)), 0);
    assert_int_equal(br_consumer_property(consumer, "no.such.property", value, sizeof(value)),
                     -1);
    assert_int_equal(br_consumer_property(consumer, key, value, sizeof(value)), 0);
    br_consumer_destroy(consumer);
    return value;
}

static void test_refresh_default(void **state)
{
    struct br_kv props[] = {{"topic.metadata.refresh.interval.ms", "60000"}};
    (void)state;

    assert_string_equal(property(NULL, 0, "topic.metadata.refresh.interval.ms"), "5000");
    assert_string_equal(property(props, 1, "topic.metadata.refresh.interval.ms"), "60000");
    /* the other defaults stay */
    assert_string_equal(property(NULL, 0, "client.id"), "perscom-bridge");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_default),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
