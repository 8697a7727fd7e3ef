/*
 * The validated configuration (see conf.h): loading a file against the schema (confkeys.c, with
 * its cross-key checks in confcheck.c, walked by yamlconf.c), each hook's effective retry
 * policy, freeing, and the topic lookup. The reference for users is docs/configuration.md.
 */
#include "config/conf.h"

#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/confkeys.h"
#include "config/file.h"
#include "config/tablehooks.h"
#include "config/yamlconf.h"

#define CONF_FILE_MAX (4u * 1024u * 1024u) /* the YAML file itself */

void br_conf_hook_resolve(const struct br_conf *conf, struct br_conf_hook *hook)
{
    hook->retry.initial_ms = hook->retry_backoff_initial_ms >= 0 ? hook->retry_backoff_initial_ms
                                                                 : conf->backoff_initial_ms;
    hook->retry.max_ms =
        hook->retry_backoff_max_ms >= 0 ? hook->retry_backoff_max_ms : conf->backoff_max_ms;
    hook->retry.max_attempts = (unsigned)(hook->retry_max_attempts >= 0 ? hook->retry_max_attempts
                                                                        : conf->max_attempts);
    hook->retry.max_age_ms =
        hook->retry_max_age_ms >= 0 ? hook->retry_max_age_ms : conf->max_age_ms;
    hook->retry.retry_after_max_ms = conf->retry_after_max_ms;
    hook->tls_min = hook->tls_min_version >= 0 ? (enum br_tls_version)hook->tls_min_version
                                               : conf->hooks_tls_min;
}

struct br_conf *br_conf_load(const char *path, char *errstr, size_t errstr_size)
{
    struct br_conf *conf = calloc(1, sizeof(*conf));

    if (conf == NULL) {
        abort();
    }
    conf->path = strdup(path);
    if (conf->path == NULL) {
        abort();
    }
    if (br_yamlconf_load(path, CONF_FILE_MAX, &br_confkeys_root, conf, errstr, errstr_size) != 0) {
        /* conf owns whatever the walk stored before it failed */
        br_conf_destroy(conf);
        return NULL;
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        br_conf_hook_resolve(conf, &conf->hooks[i]);
    }
    return conf;
}

static void free_kv(struct br_kv *entries, size_t count)
{
    for (size_t i = 0; entries != NULL && i < count; i++) {
        free(entries[i].key);
        /* values may carry credentials (sasl.password, Authorization) */
        br_file_scrub_free_str(entries[i].value);
    }
    free(entries);
}

static void free_strings(char **items, size_t count, bool secret)
{
    for (size_t i = 0; items != NULL && i < count; i++) {
        if (secret) {
            br_file_scrub_free_str(items[i]);
        } else {
            free(items[i]);
        }
    }
    free(items);
}

/* hook->secret is an alias of secrets[0].text, not freed on its own. */
static void free_hook_secrets(struct br_conf_hook *hook)
{
    for (size_t j = 0; hook->secrets != NULL && j < hook->secret_count; j++) {
        br_file_scrub_free(hook->secrets[j].text, hook->secrets[j].len);
        br_file_scrub_free((char *)hook->secrets[j].key, hook->secrets[j].key_len);
    }
    free(hook->secrets);
    br_file_scrub_free_str(hook->secret_inline);
    free_strings(hook->secret_list, hook->secret_list_count, true);
    free_strings(hook->secret_file_list, hook->secret_file_list_count, false);
}

/* TLS files, auth and proxy: the credentials are scrubbed. */
static void free_hook_access(struct br_conf_hook *hook)
{
    free(hook->tls_ca_file);
    free(hook->tls_cert_file);
    free(hook->tls_key_file);
    br_file_scrub_free_str(hook->auth_bearer);
    br_file_scrub_free_str(hook->auth_username);
    br_file_scrub_free_str(hook->auth_password);
    free(hook->auth_bearer_file);
    free(hook->auth_password_file);
    br_file_scrub_free_str(hook->proxy);
    free(hook->no_proxy);
}

void br_conf_hook_finish(struct br_conf_hook *hook)
{
    if (hook == NULL) {
        return;
    }
    free(hook->name);
    free(hook->url);
    free_hook_secrets(hook);
    free_hook_access(hook);
    for (size_t j = 0; hook->events != NULL && j < hook->event_count; j++) {
        free(hook->events[j]);
    }
    free(hook->events);
    free_kv(hook->headers, hook->header_count);
    memset(hook, 0, sizeof(*hook));
}

void br_conf_hook_free(struct br_conf_hook *hook)
{
    br_conf_hook_finish(hook);
    free(hook);
}

struct br_conf_hook *br_conf_take_hook(struct br_conf *conf, size_t index)
{
    struct br_conf_hook *hook = malloc(sizeof(*hook));

    if (hook == NULL) {
        abort();
    }
    /* every pointer of a hook is to the heap, none into conf: moving the struct moves it all */
    *hook = conf->hooks[index];
    memset(&conf->hooks[index], 0, sizeof(conf->hooks[index]));
    return hook;
}

void br_conf_destroy(struct br_conf *conf)
{
    if (conf == NULL) {
        return;
    }
    free(conf->path);
    free(conf->brokers);
    free(conf->group_id);
    free_kv(conf->kafka_props, conf->kafka_prop_count);
    free(conf->registry_url);
    br_file_scrub_free_str(conf->registry_username);
    br_file_scrub_free_str(conf->registry_password);
    free(conf->registry_ca_file);
    for (size_t i = 0; conf->topics != NULL && i < conf->topic_count; i++) {
        struct br_conf_topic *topic = &conf->topics[i];

        free(topic->name);
        if (topic->pattern != NULL) {
            regfree(&topic->regex);
            free(topic->pattern);
        }
        free(topic->resource);
        free(topic->schema_path);
        free(topic->schema_json);
    }
    free(conf->topics);
    for (size_t i = 0; conf->hooks != NULL && i < conf->hook_count; i++) {
        br_conf_hook_finish(&conf->hooks[i]);
    }
    free(conf->hooks);
    free(conf->dead_letter_topic);
    free(conf->delivery_report_topic);
    free(conf->admin_listen);
    free_strings(conf->egress_allow_text, conf->egress_allow_text_count, false);
    free(conf->egress_allow);
    free(conf->log_level);
    br_tablehooks_finish(&conf->table_hooks);
    free(conf);
}

const struct br_conf_topic *br_conf_topic_for(const struct br_conf *conf, const char *topic_name)
{
    if (conf == NULL || topic_name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < conf->topic_count; i++) {
        if (conf->topics[i].name != NULL && strcmp(conf->topics[i].name, topic_name) == 0) {
            return &conf->topics[i];
        }
    }
    for (size_t i = 0; i < conf->topic_count; i++) {
        if (conf->topics[i].pattern != NULL &&
            regexec(&conf->topics[i].regex, topic_name, 0, NULL, 0) == 0) {
            return &conf->topics[i];
        }
    }
    return NULL;
}

