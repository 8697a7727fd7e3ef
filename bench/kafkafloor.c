/*
 * bench-kafkafloor: the benchmark's Kafka floor. A plain librdkafka consumer with the bridge's
 * own consumer properties (br_consumer_conf_set) that does nothing with a message but note when
 * it arrived, so that a run can tell the latency of Kafka alone (producer, broker, fetch) from
 * what the bridge adds. It reads every partition of one topic from the beginning, without
 * joining a group (rd_kafka_assign) and without committing, in the most direct way:
 * rd_kafka_consumer_poll() blocking on the consumer queue.
 *
 *   bench-kafkafloor [--start O0,O1,...] BOOTSTRAP TOPIC PARTITIONS WARMUP COUNT OUT \
 *                    [KEY=VALUE...]
 *
 * KEY=VALUE are extra kafka.properties, as the bridge gets them. --start gives each partition's
 * first offset (a later round on a topic that already holds an earlier round's messages);
 * without it every partition is read from the beginning. Prints "ready" on stdout once
 * the partitions are assigned and "warm" after the first WARMUP messages; after WARMUP + COUNT
 * messages (or SIGTERM) writes one line per message to OUT, "<unix ns> <key>", and exits 0.
 * Built on demand by bench/run.sh (not part of `all`).
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/conf.h"
#include "kafka/consumer.h"

struct arrival {
    int64_t ns;
    char key[24];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t unix_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_props(int argc, char **argv, struct br_conf *conf)
{
    conf->kafka_prop_count = (size_t)argc;
    conf->kafka_props = calloc(argc ? (size_t)argc : 1, sizeof(*conf->kafka_props));
    if (!conf->kafka_props) {
        abort();
    }
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "kafkafloor: %s: not KEY=VALUE\n", argv[i]);
            return -1;
        }
        *eq = '\0';
        conf->kafka_props[i].key = argv[i];
        conf->kafka_props[i].value = eq + 1;
    }
    return 0;
}

/* start: NULL (every partition from the beginning) or "O0,O1,..." (owned by argv) */
static rd_kafka_t *consumer_new(struct br_conf *conf, const char *topic, int partitions,
                                const char *start)
{
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    rd_kafka_topic_partition_list_t *list;
    char errstr[512];
    rd_kafka_t *rk;

    if (br_consumer_conf_set(conf, NULL, kconf, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "kafkafloor: %s\n", errstr);
        rd_kafka_conf_destroy(kconf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kafkafloor: %s\n", errstr);
        rd_kafka_conf_destroy(kconf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; i++) {
        int64_t offset = RD_KAFKA_OFFSET_BEGINNING;

        if (start) {
            char *end;

            offset = strtoll(start, &end, 10);
            if (end == start || (*end != ',' && *end != '\0') || offset < 0) {
                fprintf(stderr, "kafkafloor: --start: no offset for partition %d\n", i);
                rd_kafka_topic_partition_list_destroy(list);
                rd_kafka_destroy(rk);
                return NULL;
            }
            start = *end == ',' ? end + 1 : end;
        }
        rd_kafka_topic_partition_list_add(list, topic, i)->offset = offset;
    }
    if (rd_kafka_assign(rk, list) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafkafloor: assign failed\n");
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_destroy(rk);
        return NULL;
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rk;
}

int main(int argc, char **argv)
{
    struct br_conf conf;
    struct arrival *arrivals;
    char group[64];
    rd_kafka_t *rk;
    long warmup;
    long count;
    long got = 0;
    const char *start = NULL;
    FILE *out;

    if (argc >= 3 && strcmp(argv[1], "--start") == 0) {
        start = argv[2];
        argv[2] = argv[0];
        argc -= 2;
        argv += 2;
    }
    if (argc < 7) {
        fprintf(stderr,
                "usage: %s [--start O0,O1,...] BOOTSTRAP TOPIC PARTITIONS WARMUP COUNT OUT "
                "[KEY=VALUE...]\n",
                argv[0]);
        return 2;
    }
    warmup = strtol(argv[4], NULL, 10);
    count = warmup + strtol(argv[5], NULL, 10);
    arrivals = calloc(count > 0 ? (size_t)count : 1, sizeof(*arrivals));
    if (!arrivals) {
        abort();
    }
    memset(&conf, 0, sizeof(conf));
    snprintf(group, sizeof(group), "perscom-bench-floor-%ld", (long)time(NULL));
    conf.brokers = argv[1];
    conf.group_id = group; /* assign() needs one; nothing joins or commits */
    if (parse_props(argc - 7, argv + 7, &conf) != 0) {
        return 2;
    }
    rk = consumer_new(&conf, argv[2], atoi(argv[3]), start);
    if (!rk) {
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("ready\n");
    fflush(stdout);
    while (!stop && got < count) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
        int64_t now = unix_ns();

        if (!message) {
            continue;
        }
        if (!message->err) {
            size_t len = message->key_len < sizeof(arrivals[got].key) - 1
                             ? message->key_len
                             : sizeof(arrivals[got].key) - 1;
            arrivals[got].ns = now;
            memcpy(arrivals[got].key, message->key, len);
            arrivals[got].key[len] = '\0';
            got++;
            if (got == warmup) {
                printf("warm\n");
                fflush(stdout);
            }
        }
        rd_kafka_message_destroy(message);
    }
    out = fopen(argv[6], "w");
    if (!out) {
        perror(argv[6]);
        return 1;
    }
    for (long i = 0; i < got; i++) {
        fprintf(out, "%lld %s\n", (long long)arrivals[i].ns, arrivals[i].key);
    }
    fclose(out);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(conf.kafka_props);
    free(arrivals);
    return 0;
}
