/*
 * Unit tests of consumer.c. The property table (br_consumer_conf_set) is read back with
 * rd_kafka_conf_get; the consumer itself runs against librdkafka's in-process mock cluster:
 * subscription (names and patterns), assignment, the partitions' own queues and the wake-up
 * descriptor, commits (asynchronous and synchronous, with metadata) and reading them back, and
 * the revocation on close.
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
#include <poll.h>
#include <time.h>

#include "core/log.h"
#include "kafka/consumer.h"
#include "support/mockcluster.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define UNSET "<unset>"

/* kconf's value of name, or UNSET. */
static const char *get(rd_kafka_conf_t *kconf, const char *name, char out[512])
{
    size_t size = 512;

    if (rd_kafka_conf_get(kconf, name, out, &size) != RD_KAFKA_CONF_OK) {
        return UNSET;
    }
    return out;
}

static void assert_props(rd_kafka_conf_t *kconf, const char *const (*want)[2], size_t count,
                         const char *what)
{
    for (size_t i = 0; i < count; i++) {
        char value[512];
        const char *got = get(kconf, want[i][0], value);

        if (strcmp(got, want[i][1]) != 0) {
            fail_msg("%s: %s is \"%s\", want \"%s\"", what, want[i][0], got, want[i][1]);
        }
    }
}

/* ---- the property table ---- */

/* The default strategy by librdkafka version: cooperative-sticky from 2.10.0 on. */
static void test_default_strategy(void **state)
{
    static const struct {
        int version;
        const char *want;
    } cases[] = {
        {0x000b06ff, "range"},              /* 0.11.6 */
        {0x020002ff, "range"},              /* 2.0.2, Debian 12 */
        {0x020800ff, "range"},              /* 2.8.0, Debian 13 */
        {0x0209ffff, "range"},              /* the last before 2.10.0 */
        {0x020a0000, "cooperative-sticky"}, /* 2.10.0 pre-releases and on */
        {0x020a01ff, "cooperative-sticky"}, /* 2.10.1 */
        {0x030000ff, "cooperative-sticky"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = br_consumer_default_strategy(cases[i].version);

        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("version 0x%08x: \"%s\", want \"%s\"", cases[i].version, got,
                     cases[i].want);
        }
    }
}

/* fetch.queue.backoff.ms by librdkafka version: 10 ms from 2.2.0 on, none before. */
static void test_queue_backoff(void **state)
{
    static const struct {
        int version;
        const char *want; /* NULL: not set */
    } cases[] = {
        {0x020002ff, NULL}, /* 2.0.2, Debian 12 */
        {0x020101ff, NULL}, /* 2.1.1 */
        {0x0201ffff, NULL}, /* the last before 2.2.0 */
        {0x02020000, "10"}, /* 2.2.0 pre-releases and on */
        {0x020800ff, "10"}, /* 2.8.0, Debian 13 */
        {0x030000ff, "10"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = br_consumer_queue_backoff(cases[i].version);

        if (!got != !cases[i].want || (got && strcmp(got, cases[i].want) != 0)) {
            fail_msg("version 0x%08x: \"%s\", want \"%s\"", cases[i].version,
                     got ? got : "(none)", cases[i].want ? cases[i].want : "(none)");
        }
    }
}

static void test_conf_defaults(void **state)
{
    static const char *const want[][2] = {
        {"bootstrap.servers", "k1:9092,k2:9092"},
        {"group.id", "perscom-bridge-prod"},
        {"auto.offset.reset", "smallest"}, /* librdkafka's name for "earliest" */
        {"client.id", "perscom-bridge"},
        /* the burst benchmark's peak memory (docs/performance.md, "Memory") */
        {"queued.max.messages.kbytes", "256"},
        {"max.partition.fetch.bytes", "131072"},
        {"fetch.max.bytes", "1048576"},
        /* a partition that starts fetching waits for the outstanding fetch: 100 ms at most */
        {"fetch.wait.max.ms", "100"},
        /* new topics (Debezium's, at a table's first change) within 5 s, not 300 s */
        {"topic.metadata.refresh.interval.ms", "5000"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"group.instance.id", UNSET},
    };
    struct br_conf conf = {.brokers = "k1:9092,k2:9092", .group_id = "perscom-bridge-prod"};
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char errstr[512] = "";

    const char *const strategy[][2] = {
        /* the running librdkafka's (test_default_strategy) */
        {"partition.assignment.strategy", br_consumer_default_strategy(rd_kafka_version())},
        /* none before 2.2.0, where librdkafka does not know the property (test_queue_backoff) */
        {"fetch.queue.backoff.ms", rd_kafka_version() >= 0x02020000 ? "10" : UNSET},
    };

    (void)state;
    if (br_consumer_conf_set(&conf, NULL, kconf, errstr, sizeof(errstr)) != 0) {
        fail_msg("br_consumer_conf_set: %s", errstr);
    }
    assert_props(kconf, want, COUNT(want), "defaults");
    assert_props(kconf, strategy, COUNT(strategy), "defaults");
    rd_kafka_conf_destroy(kconf);
}

/* Static membership: group.instance.id is the instance name when there is one. */
static void test_conf_instance(void **state)
{
    static const struct {
        const char *instance;
        const char *prop; /* kafka.properties' group.instance.id, or NULL */
        const char *want;
    } cases[] = {
        {NULL, NULL, UNSET},
        {"", NULL, UNSET},
        {"perscom-bridge-0", NULL, "perscom-bridge-0"},
        {"bridge-7f9c4d-x2k", NULL, "bridge-7f9c4d-x2k"},
        /* kafka.properties are applied after it, as written */
        {"perscom-bridge-0", "from-properties", "from-properties"},
        {NULL, "from-properties", "from-properties"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_kv prop = {"group.instance.id", (char *)cases[i].prop};
        struct br_conf conf = {.brokers = "k:9092", .group_id = "g", .kafka_props = &prop,
                               .kafka_prop_count = cases[i].prop ? 1 : 0};
        rd_kafka_conf_t *kconf = rd_kafka_conf_new();
        char errstr[512] = "";
        char value[512];
        const char *got;

        assert_int_equal(br_consumer_conf_set(&conf, cases[i].instance, kconf, errstr,
                                              sizeof(errstr)),
                         0);
        got = get(kconf, "group.instance.id", value);
        if (strcmp(got, cases[i].want) != 0) {
            fail_msg("instance \"%s\", property \"%s\": group.instance.id \"%s\", want \"%s\"",
                     cases[i].instance ? cases[i].instance : "(null)",
                     cases[i].prop ? cases[i].prop : "(none)", got, cases[i].want);
        }
        rd_kafka_conf_destroy(kconf);
    }
}

/* kafka.properties override the defaults and pass anything else through. */
static void test_conf_properties_override(void **state)
{
    struct br_kv props[] = {
        {"auto.offset.reset", "largest"}, /* "latest" */
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"client.id", "bridge-eu"},
        {"queued.max.messages.kbytes", "4096"},
        {"max.partition.fetch.bytes", "1048576"},
        {"fetch.wait.max.ms", "500"},
        {"topic.metadata.refresh.interval.ms", "60000"},
        {"session.timeout.ms", "45000"},
        {"heartbeat.interval.ms", "1500"},
        {"security.protocol", "plaintext"},
    };
    static const char *const want[][2] = {
        {"auto.offset.reset", "largest"}, /* "latest" */
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"client.id", "bridge-eu"},
        {"queued.max.messages.kbytes", "4096"},
        {"max.partition.fetch.bytes", "1048576"},
        {"fetch.wait.max.ms", "500"},
        {"topic.metadata.refresh.interval.ms", "60000"},
        {"session.timeout.ms", "45000"},
        {"heartbeat.interval.ms", "1500"},
        {"security.protocol", "plaintext"},
        {"bootstrap.servers", "k:9092"},
        {"group.id", "g"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
    };
    struct br_conf conf = {.brokers = "k:9092", .group_id = "g", .kafka_props = props,
                           .kafka_prop_count = COUNT(props)};
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char errstr[512] = "";

    (void)state;
    if (br_consumer_conf_set(&conf, NULL, kconf, errstr, sizeof(errstr)) != 0) {
        fail_msg("br_consumer_conf_set: %s", errstr);
    }
    assert_props(kconf, want, COUNT(want), "overrides");
    rd_kafka_conf_destroy(kconf);
}

/* Refused properties, and what librdkafka refuses, each with the message it gives. */
static void test_conf_refused(void **state)
{
    static const struct {
        const char *key;
        const char *value;
        const char *want;
    } cases[] = {
        {"enable.auto.commit", "true",
         "kafka property enable.auto.commit cannot be set: the bridge manages offsets itself"},
        {"enable.auto.commit", "false",
         "kafka property enable.auto.commit cannot be set: the bridge manages offsets itself"},
        {"enable.auto.offset.store", "true", "kafka property enable.auto.offset.store cannot be "
                                             "set: the bridge manages offsets itself"},
        {"enable.partition.eof", "true",
         "kafka property enable.partition.eof cannot be set: the bridge manages offsets itself"},
        {"no.such.property", "1",
         "kafka property no.such.property: No such configuration property: "
         "\"no.such.property\""},
        {"session.timeout.ms", "soon",
         "kafka property session.timeout.ms: Invalid value for configuration property "
         "\"session.timeout.ms\""},
        {"auto.offset.reset", "sometimes",
         "kafka property auto.offset.reset: Invalid value \"sometimes\" for configuration "
         "property \"auto.offset.reset\""},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        /* the refused one comes second: the first is applied, the third never looked at */
        struct br_kv props[] = {
            {"client.id", "first"},
            {(char *)cases[i].key, (char *)cases[i].value},
            {"no.such.property.either", "x"},
        };
        struct br_conf conf = {.brokers = "k:9092", .group_id = "g", .kafka_props = props,
                               .kafka_prop_count = COUNT(props)};
        rd_kafka_conf_t *kconf = rd_kafka_conf_new();
        char errstr[512] = "";
        char value[512];
        int rc = br_consumer_conf_set(&conf, NULL, kconf, errstr, sizeof(errstr));

        if (rc != -1 || strcmp(errstr, cases[i].want) != 0) {
            fail_msg("%s=%s: got %d \"%s\", want -1 \"%s\"", cases[i].key, cases[i].value, rc,
                     errstr, cases[i].want);
        }
        assert_string_equal(get(kconf, "client.id", value), "first");
        rd_kafka_conf_destroy(kconf);
    }
}

/* ---- br_consumer_create's failures: nothing reaches a broker ---- */

static void never_assigned(void *opaque, const rd_kafka_topic_partition_list_t *partitions)
{
    (void)opaque;
    (void)partitions;
    fail_msg("assigned called");
}

static void never_revoked(void *opaque, const rd_kafka_topic_partition_list_t *partitions,
                          bool lost)
{
    (void)opaque;
    (void)partitions;
    (void)lost;
    fail_msg("revoked called");
}

static void test_create_fails(void **state)
{
    static const struct {
        const char *key;
        const char *value;
        const char *want;
    } cases[] = {
        {"enable.auto.offset.store", "false", "kafka property enable.auto.offset.store cannot be "
                                              "set: the bridge manages offsets itself"},
        /* accepted by the property table, refused by rd_kafka_new */
        {"fetch.max.bytes", "1000", "kafka consumer: `fetch.max.bytes` must be >= "
                                    "`message.max.bytes`"},
    };
    struct br_conf_topic topic = {.name = "t"};
    struct br_consumer_events events = {never_assigned, never_revoked, NULL};

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_kv prop = {(char *)cases[i].key, (char *)cases[i].value};
        struct br_conf conf = {.brokers = "127.0.0.1:1", .group_id = "g", .kafka_props = &prop,
                               .kafka_prop_count = 1, .topics = &topic, .topic_count = 1};
        char errstr[512] = "";
        struct br_consumer *consumer = br_consumer_create(&conf, &events, errstr,
                                                          sizeof(errstr));

        if (consumer || strcmp(errstr, cases[i].want) != 0) {
            fail_msg("%s=%s: got %s \"%s\", want NULL \"%s\"", cases[i].key, cases[i].value,
                     consumer ? "a consumer" : "NULL", errstr, cases[i].want);
        }
    }
}

/* ---- against the mock cluster ---- */

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Produces "<topic>/<partition>/<n>" for n in first..last-1 to each of partitions. */
static void produce_range(struct br_test_cluster *cl, const char *topic, int partitions, int first,
                          int last)
{
    for (int p = 0; p < partitions; p++) {
        br_test_cluster_produce(cl, topic, p, first, last);
    }
}

/* A new topic of partitions, each with count messages. */
static void produce(struct br_test_cluster *cl, const char *topic, int partitions, int count)
{
    br_test_cluster_topic(cl, topic, partitions);
    produce_range(cl, topic, partitions, 0, count);
}

/* What the loop would keep: a partition's queue, opened when it is assigned. */
struct held {
    char topic[64];
    int32_t partition;
    rd_kafka_queue_t *queue;
};

struct watcher {
    struct br_consumer *consumer;
    struct held held[8];
    size_t held_count;
    int assigned_calls;
    int revoked_calls;
    int revoked_count; /* partitions in the last revocation */
    bool revoked_lost;
    int commits_answered;
    rd_kafka_resp_err_t commit_err;
    int commit_count;        /* elements in the last answer */
    int commit_element_errs; /* of which failed */
};

static void on_committed(void *opaque, rd_kafka_resp_err_t err,
                         const rd_kafka_topic_partition_list_t *offsets)
{
    struct watcher *w = opaque;

    w->commits_answered++;
    w->commit_err = err;
    w->commit_count = offsets ? offsets->cnt : 0;
    w->commit_element_errs = 0;
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        w->commit_element_errs += offsets->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR;
    }
}

static void on_assigned(void *opaque, const rd_kafka_topic_partition_list_t *partitions)
{
    struct watcher *w = opaque;

    w->assigned_calls++;
    for (int i = 0; i < partitions->cnt; i++) {
        struct held *held = &w->held[w->held_count++];

        assert_true(w->held_count <= COUNT(w->held));
        snprintf(held->topic, sizeof(held->topic), "%s", partitions->elems[i].topic);
        held->partition = partitions->elems[i].partition;
        held->queue = br_consumer_partition_queue(w->consumer, held->topic, held->partition);
        assert_non_null(held->queue);
    }
}

static void on_revoked(void *opaque, const rd_kafka_topic_partition_list_t *partitions,
                       bool lost)
{
    struct watcher *w = opaque;

    w->revoked_calls++;
    w->revoked_count = partitions->cnt;
    w->revoked_lost = lost;
    for (size_t i = 0; i < w->held_count; i++) {
        br_consumer_queue_release(w->held[i].queue);
        w->held[i].queue = NULL;
    }
    w->held_count = 0;
}

static struct held *held_of(struct watcher *w, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < w->held_count; i++) {
        if (strcmp(w->held[i].topic, topic) == 0 && w->held[i].partition == partition) {
            return &w->held[i];
        }
    }
    return NULL;
}

/* Polls the consumer as the loop does until the assignment came, or timeout_ms. */
static void wait_assigned(struct watcher *w, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;

    while (w->assigned_calls == 0 && now_ms() < deadline) {
        struct pollfd pfd = {.fd = br_consumer_wake_fd(w->consumer), .events = POLLIN};
        bool fatal = false;
        rd_kafka_message_t *message;

        poll(&pfd, 1, 100);
        br_consumer_clear_wake(w->consumer);
        while ((message = br_consumer_poll(w->consumer, &fatal)) != NULL) {
            fail_msg("a message on the consumer queue: %.*s", (int)message->len,
                     (const char *)message->payload);
        }
        assert_false(fatal);
    }
}

/* Reads the messages first..last-1 of held's queue, in order. */
static void read_partition(struct watcher *w, struct held *held, int first, int last,
                           int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int got = first;

    while (got < last && now_ms() < deadline) {
        struct pollfd pfd = {.fd = br_consumer_wake_fd(w->consumer), .events = POLLIN};
        rd_kafka_message_t *messages[4];
        size_t count;
        bool fatal = false;

        poll(&pfd, 1, 100);
        br_consumer_clear_wake(w->consumer);
        assert_null(br_consumer_poll(w->consumer, &fatal));
        count = br_consumer_read(held->queue, messages, COUNT(messages));
        for (size_t i = 0; i < count; i++) {
            char want_value[128];

            snprintf(want_value, sizeof(want_value), "%s/%d/%d", held->topic, held->partition,
                     got);
            assert_int_equal(messages[i]->err, RD_KAFKA_RESP_ERR_NO_ERROR);
            assert_string_equal(rd_kafka_topic_name(messages[i]->rkt), held->topic);
            assert_int_equal(messages[i]->partition, held->partition);
            assert_int_equal(messages[i]->offset, got);
            if (messages[i]->len != strlen(want_value) ||
                memcmp(messages[i]->payload, want_value, messages[i]->len) != 0) {
                fail_msg("%s [%d] @%d: \"%.*s\", want \"%s\"", held->topic, held->partition, got,
                         (int)messages[i]->len, (const char *)messages[i]->payload, want_value);
            }
            rd_kafka_message_destroy(messages[i]);
            got++;
        }
    }
    if (got != last) {
        fail_msg("%s [%d]: read up to %d, want %d", held->topic, held->partition, got, last);
    }
}

/* The group's committed offsets of topic/partition pairs, asked by another client. */
static void committed(struct br_test_cluster *cl, const char *group,
                      rd_kafka_topic_partition_list_t *list)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char reason[512];
    rd_kafka_t *rk;

    assert_int_equal(rd_kafka_conf_set(kconf, "bootstrap.servers", cl->brokers, reason,
                                       sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(kconf, "group.id", group, reason, sizeof(reason)),
                     RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, reason, sizeof(reason));
    assert_non_null(rk);
    assert_int_equal(rd_kafka_committed(rk, list, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/*
 * With the default session.timeout.ms (45 s), a new member's join to a group whose previous
 * member had left waited more than 20 s at the mock coordinator; short sessions keep it fast.
 */
static struct br_kv fast_group[] = {
    {"session.timeout.ms", "3000"},
    {"heartbeat.interval.ms", "500"},
};

static void test_consume_commit(void **state)
{
    struct br_test_cluster *cl = *state;
    struct br_conf_topic topics[] = {
        {.name = "orders"},
        {.pattern = "ranks\\..*"},
    };
    struct br_conf conf = {.brokers = cl->brokers, .group_id = "g-consume",
                           .topics = topics, .topic_count = COUNT(topics),
                           .kafka_props = fast_group, .kafka_prop_count = COUNT(fast_group)};
    struct watcher w = {0};
    struct br_consumer_events events = {on_assigned, on_revoked, &w};
    char errstr[512] = "";
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_message_t *messages[4];

    produce(cl, "orders", 2, 3);
    produce(cl, "ranks.v1", 1, 2);
    produce(cl, "ranksv1", 1, 1);      /* not matched: "\\." is a dot */
    produce(cl, "old.ranks.v1", 1, 1); /* not matched: the pattern is anchored */
    produce(cl, "audit", 1, 1);

    w.consumer = br_consumer_create(&conf, &events, errstr, sizeof(errstr));
    if (!w.consumer) {
        fail_msg("br_consumer_create: %s", errstr);
    }
    assert_true(br_consumer_wake_fd(w.consumer) >= 0);
    {
        char refresh[32];

        /* the consumer's own configuration, as librdkafka holds it */
        assert_int_equal(br_consumer_property(w.consumer, "topic.metadata.refresh.interval.ms",
                                              refresh, sizeof(refresh)),
                         0);
        assert_string_equal(refresh, "5000");
        assert_int_equal(br_consumer_property(w.consumer, "no.such.property", refresh,
                                              sizeof(refresh)),
                         -1);
    }
    wait_assigned(&w, 20000);
    assert_int_equal(w.assigned_calls, 1);
    assert_int_equal(w.held_count, 3);
    assert_non_null(held_of(&w, "orders", 0));
    assert_non_null(held_of(&w, "orders", 1));
    assert_non_null(held_of(&w, "ranks.v1", 0));

    /* from the beginning (auto.offset.reset earliest), each partition in its own queue */
    read_partition(&w, held_of(&w, "orders", 0), 0, 3, 10000);
    read_partition(&w, held_of(&w, "ranks.v1", 0), 0, 2, 10000);
    read_partition(&w, held_of(&w, "orders", 1), 0, 3, 10000);
    assert_int_equal(br_consumer_read(held_of(&w, "orders", 0)->queue, messages, 4), 0);

    /*
     * A message arriving in an emptied partition queue wakes the consumer's descriptor, and
     * nothing reaches the consumer queue. (Not the first fetch after the assignment: librdkafka
     * 2.0.2 writes the descriptor when a queue goes from empty to non-empty, and the queue
     * already holds an entry when br_consumer_partition_queue enables the descriptor; the loop
     * reads every partition each round anyway.)
     */
    br_consumer_clear_wake(w.consumer);
    produce_range(cl, "orders", 2, 3, 4);
    {
        struct pollfd pfd = {.fd = br_consumer_wake_fd(w.consumer), .events = POLLIN};

        assert_int_equal(poll(&pfd, 1, 10000), 1);
    }
    read_partition(&w, held_of(&w, "orders", 0), 3, 4, 10000);
    read_partition(&w, held_of(&w, "orders", 1), 3, 4, 10000);

    /* an asynchronous commit is answered from inside br_consumer_poll, with each element */
    list = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(list, "orders", 0)->offset = 1;
    rd_kafka_topic_partition_list_add(list, "ranks.v1", 0)->offset = 2;
    assert_int_equal(br_consumer_commit(w.consumer, list, false, on_committed, &w), 0);
    rd_kafka_topic_partition_list_destroy(list);
    assert_int_equal(w.commits_answered, 0);
    {
        int64_t deadline = now_ms() + 10000;
        bool fatal = false;

        while (w.commits_answered == 0 && now_ms() < deadline) {
            struct pollfd pfd = {.fd = br_consumer_wake_fd(w.consumer), .events = POLLIN};
            rd_kafka_message_t *stray;

            poll(&pfd, 1, 100);
            br_consumer_clear_wake(w.consumer);
            while ((stray = br_consumer_poll(w.consumer, &fatal)) != NULL) {
                rd_kafka_message_destroy(stray);
            }
        }
        assert_false(fatal);
    }
    assert_int_equal(w.commits_answered, 1);
    assert_int_equal(w.commit_err, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(w.commit_count, 2);
    assert_int_equal(w.commit_element_errs, 0);

    /* a synchronous one is answered before it returns; metadata travels with the offset */
    list = rd_kafka_topic_partition_list_new(1);
    {
        rd_kafka_topic_partition_t *element = rd_kafka_topic_partition_list_add(list, "orders", 0);
        element->offset = 2;
        element->metadata = strdup("p1,2,progress");
        element->metadata_size = strlen("p1,2,progress");
    }
    assert_int_equal(br_consumer_commit(w.consumer, list, true, on_committed, &w), 0);
    rd_kafka_topic_partition_list_destroy(list);
    assert_int_equal(w.commits_answered, 2);
    assert_int_equal(w.commit_err, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(w.commit_count, 1);

    /* read back by the consumer itself (what a new owner does at its assignment) */
    list = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(list, "orders", 0);
    rd_kafka_topic_partition_list_add(list, "orders", 1);
    rd_kafka_topic_partition_list_add(list, "ranks.v1", 0);
    {
        char errstr2[128];
        assert_int_equal(br_consumer_committed(w.consumer, list, 10000, errstr2,
                                               sizeof(errstr2)),
                         0);
    }
    assert_int_equal(list->elems[0].offset, 2);
    assert_int_equal(list->elems[0].metadata_size, strlen("p1,2,progress"));
    assert_memory_equal(list->elems[0].metadata, "p1,2,progress", strlen("p1,2,progress"));
    assert_int_equal(list->elems[1].offset, RD_KAFKA_OFFSET_INVALID); /* never committed */
    assert_int_equal(list->elems[2].offset, 2);
    assert_int_equal(list->elems[2].metadata_size, 0);
    rd_kafka_topic_partition_list_destroy(list);

    br_consumer_close(w.consumer);
    assert_int_equal(w.revoked_calls, 1);
    assert_int_equal(w.revoked_count, 3);
    assert_false(w.revoked_lost);
    br_consumer_close(w.consumer); /* once only */
    assert_int_equal(w.revoked_calls, 1);
    br_consumer_destroy(w.consumer);

    list = rd_kafka_topic_partition_list_new(4);
    rd_kafka_topic_partition_list_add(list, "orders", 0);
    rd_kafka_topic_partition_list_add(list, "orders", 1);
    rd_kafka_topic_partition_list_add(list, "ranks.v1", 0);
    rd_kafka_topic_partition_list_add(list, "audit", 0);
    committed(cl, "g-consume", list);
    assert_int_equal(list->elems[0].offset, 2);
    assert_int_equal(list->elems[1].offset, RD_KAFKA_OFFSET_INVALID);
    assert_int_equal(list->elems[2].offset, 2);
    assert_int_equal(list->elems[3].offset, RD_KAFKA_OFFSET_INVALID);
    /* the metadata as another client of the group sees it */
    assert_int_equal(list->elems[0].metadata_size, strlen("p1,2,progress"));
    assert_memory_equal(list->elems[0].metadata, "p1,2,progress", strlen("p1,2,progress"));
    rd_kafka_topic_partition_list_destroy(list);
}

/* A group that comes back starts after its committed offset. */
static void test_resume_after_commit(void **state)
{
    struct br_test_cluster *cl = *state;
    struct br_conf_topic topic = {.name = "ranks.v2"};
    struct br_conf conf = {.brokers = cl->brokers, .group_id = "g-resume", .topics = &topic,
                           .topic_count = 1, .kafka_props = fast_group,
                           .kafka_prop_count = COUNT(fast_group)};
    char errstr[512] = "";

    produce(cl, "ranks.v2", 1, 5);
    for (int round = 0; round < 2; round++) {
        struct watcher w = {0};
        struct br_consumer_events events = {on_assigned, on_revoked, &w};
        rd_kafka_message_t *messages[8];
        int64_t deadline;
        size_t count = 0;

        w.consumer = br_consumer_create(&conf, &events, errstr, sizeof(errstr));
        if (!w.consumer) {
            fail_msg("br_consumer_create: %s", errstr);
        }
        wait_assigned(&w, 20000);
        assert_int_equal(w.held_count, 1);
        deadline = now_ms() + 10000;
        while (count == 0 && now_ms() < deadline) {
            struct pollfd pfd = {.fd = br_consumer_wake_fd(w.consumer), .events = POLLIN};

            poll(&pfd, 1, 100);
            br_consumer_clear_wake(w.consumer);
            count = br_consumer_read(w.held[0].queue, messages, 1);
        }
        assert_int_equal(count, 1);
        /* the first round starts at 0 and stores 3; the second starts there */
        assert_int_equal(messages[0]->offset, round == 0 ? 0 : 3);
        rd_kafka_message_destroy(messages[0]);
        if (round == 0) {
            rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);

            rd_kafka_topic_partition_list_add(list, "ranks.v2", 0)->offset = 3;
            assert_int_equal(br_consumer_commit(w.consumer, list, true, on_committed, &w), 0);
            rd_kafka_topic_partition_list_destroy(list);
            assert_int_equal(w.commits_answered, 1);
        }
        br_consumer_destroy(w.consumer);
        assert_int_equal(w.revoked_calls, 1);
    }
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_default_strategy),
        cmocka_unit_test(test_queue_backoff),
        cmocka_unit_test(test_conf_defaults),
        cmocka_unit_test(test_conf_instance),
        cmocka_unit_test(test_conf_properties_override),
        cmocka_unit_test(test_conf_refused),
        cmocka_unit_test(test_create_fails),
    };
    const struct CMUnitTest cluster[] = {
        cmocka_unit_test(test_consume_commit),
        cmocka_unit_test(test_resume_after_commit),
    };
    int failed;

    br_log_set_level(BR_LOG_WARN);
    failed = cmocka_run_group_tests_name("conf", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("mock cluster", cluster, br_test_cluster_setup,
                                          br_test_cluster_teardown);
    return failed;
}
