/* The dead-letter producer's properties (see dlconf.h). */
#include "kafka/dlconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Set for the producer whatever the configuration says: the records must not be lost. */
static const char *const fixed_props[][2] = {
    {"enable.idempotence", "true"},
    {"acks", "all"},
};

/* Producer properties the bridge cannot honour: skipped with a warning. */
static const char *const refused_props[] = {"transactional.id"};

/* Defaults the configuration may change: a bounded local queue (memory stays bounded). */
static const char *const default_props[][2] = {
    {"client.id", "perscom-bridge"},
    {"queue.buffering.max.kbytes", "65536"},
};

/*
 * Names of the properties librdkafka applies to consumers only ("C" in its property table),
 * newline-separated, each line "\nname\n"-searchable. malloc'd; NULL if the table is not
 * available (then nothing is filtered, and librdkafka only warns about such properties).
 */
static char *consumer_only_names(void)
{
    char *table = NULL;
    size_t table_len = 0;
    FILE *file = open_memstream(&table, &table_len);
    char *names;
    size_t names_len = 1;
    char *line;
    char *save = NULL;

    if (!file) {
        return NULL;
    }
    rd_kafka_conf_properties_show(file);
    fclose(file);
    names = malloc(table_len + 2);
    if (!names) {
        abort();
    }
    names[0] = '\n';
    names[1] = '\0';
    for (line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        /* "name   |  C  | range | default | importance | description" */
        char *bar = strchr(line, '|');
        size_t name_len;
        const char *scope;
        if (!bar || line[0] == ' ' || line[0] == '-') {
            continue;
        }
        name_len = strcspn(line, " |");
        scope = bar + 1 + strspn(bar + 1, " ");
        if (scope[0] != 'C' || (scope[1] != ' ' && scope[1] != '|')) {
            continue;
        }
        memcpy(names + names_len, line, name_len);
        names_len += name_len;
        names[names_len++] = '\n';
        names[names_len] = '\0';
    }
    free(table);
    return names;
}

static bool in_names(const char *names, const char *key)
{
    size_t key_len = strlen(key);

    if (key_len == 0) {
        return false;
    }
    /* names starts with '\n', so at[-1] is always inside it */
    for (const char *at = strstr(names, key); at; at = strstr(at + 1, key)) {
        if (at[-1] == '\n' && at[key_len] == '\n') {
            return true;
        }
    }
    return false;
}

static int set(rd_kafka_conf_t *kconf, const char *key, const char *value, char *errstr,
               size_t errstr_size)
{
    char reason[512];

    if (rd_kafka_conf_set(kconf, key, value, reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "dead-letter producer: kafka property %s: %s", key, reason);
        return -1;
    }
    return 0;
}

static bool is_fixed(const char *key)
{
    for (size_t i = 0; i < sizeof(fixed_props) / sizeof(fixed_props[0]); i++) {
        if (strcmp(key, fixed_props[i][0]) == 0) {
            return true;
        }
    }
    return false;
}

static bool is_refused(const char *key)
{
    for (size_t i = 0; i < sizeof(refused_props) / sizeof(refused_props[0]); i++) {
        if (strcmp(key, refused_props[i]) == 0) {
            return true;
        }
    }
    return false;
}

int br_dlconf_build(const struct br_conf *conf, rd_kafka_conf_t *kconf, char *errstr,
                    size_t errstr_size)
{
    size_t fixed_count = sizeof(fixed_props) / sizeof(fixed_props[0]);
    char *consumer_only = consumer_only_names();
    int rc = -1;

    if (set(kconf, "bootstrap.servers", conf->brokers, errstr, errstr_size) != 0) {
        goto fail;
    }
    for (size_t i = 0; i < sizeof(default_props) / sizeof(default_props[0]); i++) {
        if (set(kconf, default_props[i][0], default_props[i][1], errstr, errstr_size) != 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < conf->kafka_prop_count; i++) {
        const struct br_kv *prop = &conf->kafka_props[i];
        if (consumer_only && in_names(consumer_only, prop->key)) {
            br_log_debug("deadletter", "kafka property %s is for consumers: not set on the "
                         "producer", prop->key);
            continue;
        }
        if (is_fixed(prop->key)) {
            br_log_info("deadletter", "kafka property %s ignored: the dead-letter producer is "
                        "idempotent with acks=all", prop->key);
            continue;
        }
        if (is_refused(prop->key)) {
            br_log_warn("deadletter", "kafka property %s ignored by the dead-letter producer",
                        prop->key);
            continue;
        }
        if (set(kconf, prop->key, prop->value, errstr, errstr_size) != 0) {
            goto fail;
        }
    }
    for (size_t i = 0; i < fixed_count; i++) {
        if (set(kconf, fixed_props[i][0], fixed_props[i][1], errstr, errstr_size) != 0) {
            goto fail;
        }
    }
    rc = 0;

fail:
    free(consumer_only);
    return rc;
}
