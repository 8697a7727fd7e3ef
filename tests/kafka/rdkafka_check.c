/*
 * Checks that the system librdkafka (the one perscom-bridge links; Debian's 2.0.2) works
 * against the test broker: admin CreateTopics, produce, a consumer group with a regex
 * subscription and cooperative-sticky assignment, offsets_store + commit, committed(), close
 * and destroy. Built and run by tests/integration/test_librdkafka.py.
 *
 * usage: rdkafka_check BROKERS TOPIC GROUP [ASSIGNMENT_STRATEGY]
 * Prints one line per step; exit 0 when every step worked.
 *
 * Note: every topic-partition list handed to rd_kafka_offsets_store() must be destroyed by the
 * caller; a leaked one keeps broker references alive and rd_kafka_destroy() then hangs forever
 * (librdkafka issue 3796).
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGES 100

static int fail(const char *what, const char *why)
{
    printf("FAIL %s: %s\n", what, why);
    return 1;
}

static int create_and_produce(const char *brokers, const char *topic)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *p;
    rd_kafka_NewTopic_t *nt;
    rd_kafka_queue_t *q;
    rd_kafka_event_t *ev;
    const rd_kafka_topic_result_t **tr;
    size_t n;
    int rc = 1;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err))) {
        rd_kafka_conf_destroy(conf);
        return fail("conf", err);
    }
    p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!p) {
        return fail("producer", err);
    }
    nt = rd_kafka_NewTopic_new(topic, 8, 1, err, sizeof(err));
    q = rd_kafka_queue_new(p);
    rd_kafka_CreateTopics(p, &nt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 15000);
    if (!ev) {
        fail("create topic", "timed out");
        goto out;
    }
    tr = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    if (n != 1 || rd_kafka_topic_result_error(tr[0])) {
        fail("create topic", n == 1 ? rd_kafka_err2str(rd_kafka_topic_result_error(tr[0]))
                                    : "no result");
        rd_kafka_event_destroy(ev);
        goto out;
    }
    rd_kafka_event_destroy(ev);
    printf("ok create topic %s with 8 partitions\n", topic);
    for (int i = 0; i < MESSAGES; i++) {
        char key[16];
        char value[32];
        rd_kafka_resp_err_t e;
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE(value, strlen(value)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e) {
            fail("produce", rd_kafka_err2str(e));
            goto out;
        }
    }
    if (rd_kafka_flush(p, 15000) || rd_kafka_outq_len(p) != 0) {
        fail("produce", "flush timed out");
        goto out;
    }
    printf("ok produce %d messages\n", MESSAGES);
    rc = 0;
out:
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(p);
    return rc;
}

static int consume_and_commit(const char *brokers, const char *topic, const char *group,
                              const char *strategy)
{
    char err[512];
    char pattern[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *k;
    rd_kafka_topic_partition_list_t *sub;
    rd_kafka_topic_partition_list_t *assigned = NULL;
    rd_kafka_resp_err_t e;
    int got = 0;
    long committed = 0;
    const char *props[][2] = {
        {"bootstrap.servers", brokers},
        {"group.id", group},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"partition.assignment.strategy", strategy},
    };

    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof(err))) {
            rd_kafka_conf_destroy(conf);
            return fail("conf", err);
        }
    }
    k = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!k) {
        return fail("consumer", err);
    }
    rd_kafka_poll_set_consumer(k);
    snprintf(pattern, sizeof(pattern), "^%s$", topic);
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, pattern, RD_KAFKA_PARTITION_UA);
    e = rd_kafka_subscribe(k, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e) {
        rd_kafka_destroy(k);
        return fail("subscribe", rd_kafka_err2str(e));
    }
    for (int i = 0; i < 300 && got < MESSAGES; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k, 100);
        rd_kafka_topic_partition_list_t *store;
        if (!m) {
            continue;
        }
        if (m->err) {
            printf("consumer event: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        got++;
        store = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(store, rd_kafka_topic_name(m->rkt), m->partition)
            ->offset = m->offset + 1;
        e = rd_kafka_offsets_store(k, store);
        rd_kafka_topic_partition_list_destroy(store);
        rd_kafka_message_destroy(m);
        if (e) {
            printf("FAIL offsets_store: %s\n", rd_kafka_err2str(e));
            got = -1;
            break;
        }
    }
    printf("%s consume %d of %d messages in group %s (%s)\n", got == MESSAGES ? "ok" : "FAIL",
           got, MESSAGES, group, strategy);
    e = rd_kafka_commit(k, NULL, 0);
    printf("%s commit: %s\n", e ? "FAIL" : "ok", rd_kafka_err2str(e));
    rd_kafka_assignment(k, &assigned);
    if (rd_kafka_committed(k, assigned, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < assigned->cnt; i++) {
            committed += assigned->elems[i].offset > 0 ? assigned->elems[i].offset : 0;
        }
    }
    printf("%s committed offsets of %d partitions sum to %ld\n",
           committed == MESSAGES ? "ok" : "FAIL", assigned->cnt, committed);
    rd_kafka_topic_partition_list_destroy(assigned);
    rd_kafka_consumer_close(k);
    rd_kafka_destroy(k);
    printf("ok close and destroy\n");
    return (got == MESSAGES && !e && committed == MESSAGES) ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 4) {
        fprintf(stderr, "usage: %s BROKERS TOPIC GROUP [STRATEGY]\n", argv[0]);
        return 2;
    }
    printf("librdkafka %s\n", rd_kafka_version_str());
    if (create_and_produce(argv[1], argv[2])) {
        return 1;
    }
    return consume_and_commit(argv[1], argv[2], argv[3], argc > 4 ? argv[4] : "range");
}
