/*
 * Unit tests of dlconf.c, without a broker: the properties the dead-letter producer gets from a
 * configuration (read back with rd_kafka_conf_get), and librdkafka's refusals as messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>

#include "config/conf.h"
#include "kafka/dlconf.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* name, value: the value expected, or NULL for "not set" */
struct want {
    const char *name;
    const char *value;
};

static void assert_props(const char *what, rd_kafka_conf_t *kconf, const struct want *want,
                         size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char value[512];
        size_t size = sizeof(value);
        rd_kafka_conf_res_t res = rd_kafka_conf_get(kconf, want[i].name, value, &size);

        if (want[i].value == NULL) {
            if (res == RD_KAFKA_CONF_OK) {
                fail_msg("%s: %s is set to [%s]", what, want[i].name, value);
            }
            continue;
        }
        if (res != RD_KAFKA_CONF_OK || strcmp(value, want[i].value) != 0) {
            fail_msg("%s: %s is [%s] (%d), want [%s]", what, want[i].name,
                     res == RD_KAFKA_CONF_OK ? value : "", res, want[i].value);
        }
    }
}

static void test_defaults(void **state)
{
    static const struct want want[] = {
        {"bootstrap.servers", "kafka-0:9092,kafka-1:9092"},
        {"client.id", "perscom-bridge"},
        {"queue.buffering.max.kbytes", "65536"},
        {"enable.idempotence", "true"},
        {"acks", "-1"}, /* "all" */
        {"transactional.id", NULL},
    };
    struct br_conf conf = {.brokers = "kafka-0:9092,kafka-1:9092"};
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char errstr[512] = "";

    (void)state;
    if (br_dlconf_build(&conf, kconf, errstr, sizeof(errstr)) != 0) {
        fail_msg("build: %s", errstr);
    }
    assert_props("defaults", kconf, want, COUNT(want));
    rd_kafka_conf_destroy(kconf);
}

static void test_properties(void **state)
{
    struct br_kv props[] = {
        {"client.id", "mine"},                  /* a default: may be changed */
        {"queue.buffering.max.kbytes", "1024"}, /* same */
        {"linger.ms", "7"},                     /* a producer property: passed */
        {"security.protocol", "plaintext"},     /* a common one: passed */
        {"session.timeout.ms", "6000"},         /* consumer-only: skipped */
        {"group.instance.id", "pod-1"},         /* same */
        {"auto.offset.reset", "earliest"},      /* same (a topic property) */
        {"enable.idempotence", "false"},        /* fixed: stays true */
        {"acks", "1"},                          /* same: stays all */
        {"transactional.id", "tx"},             /* refused: not set */
    };
    static const struct want want[] = {
        {"bootstrap.servers", "b:1"},
        {"client.id", "mine"},
        {"queue.buffering.max.kbytes", "1024"},
        {"linger.ms", "7"},
        {"security.protocol", "plaintext"},
        {"session.timeout.ms", "45000"},
        {"group.instance.id", NULL},
        {"auto.offset.reset", "largest"},
        {"enable.idempotence", "true"},
        {"acks", "-1"},
        {"transactional.id", NULL},
    };
    struct br_conf conf = {.brokers = "b:1", .kafka_props = props,
                           .kafka_prop_count = COUNT(props)};
    rd_kafka_conf_t *kconf = rd_kafka_conf_new();
    char errstr[512] = "";

    (void)state;
    if (br_dlconf_build(&conf, kconf, errstr, sizeof(errstr)) != 0) {
        fail_msg("build: %s", errstr);
    }
    assert_props("properties", kconf, want, COUNT(want));
    rd_kafka_conf_destroy(kconf);
}

static void test_refused(void **state)
{
    static const struct {
        const char *key;
        const char *value;
    } cases[] = {
        {"no.such.property", "1"},
        {"linger.ms", "not-a-number"},
        {"security.protocol", "carrier-pigeon"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_kv prop = {(char *)cases[i].key, (char *)cases[i].value};
        struct br_conf conf = {.brokers = "b:1", .kafka_props = &prop, .kafka_prop_count = 1};
        rd_kafka_conf_t *kconf = rd_kafka_conf_new();
        char errstr[512] = "";
        char want[128];

        snprintf(want, sizeof(want), "dead-letter producer: kafka property %s: ", cases[i].key);
        if (br_dlconf_build(&conf, kconf, errstr, sizeof(errstr)) != -1 ||
            strncmp(errstr, want, strlen(want)) != 0 || strlen(errstr) == strlen(want)) {
            fail_msg("case %zu: got [%s], want [%s<why>]", i, errstr, want);
        }
        rd_kafka_conf_destroy(kconf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
