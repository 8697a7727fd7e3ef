/*
 * The `table_hooks:` section (see tablehooks.h): its regexes compiled with their groups, the
 * tenant groups checked against them, the framing keys checked as a topic's are (confcheck.c),
 * and the tenant read out of a topic name.
 */
#include "config/tablehooks.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/confcheck.h"
#include "config/confkeys.h"
#include "core/buf.h"

/* The most groups a tenant group may name (regmatch_t on the stack). */
#define GROUPS_MAX 9

/*
 * Compiles text anchored, with its groups: "^(text)$", so the user's group n is the compiled
 * group n + 1. Reports at node and returns false when it does not compile, has no group, or
 * has fewer than group groups.
 */
static bool compile(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                    const char *key, const char *group_key, const char *text, long group,
                    regex_t *regex)
{
    char sub[BR_YAMLCONF_PATH_MAX];
    struct br_buf anchored;
    int rc;

    br_yamlconf_path_join(sub, sizeof(sub), path, key);
    br_buf_init(&anchored, 0);
    br_buf_printf(&anchored, "^(%s)$", text);
    rc = regcomp(regex, anchored.data, REG_EXTENDED);
    br_buf_finish(&anchored);
    if (rc != 0) {
        char why[256];

        regerror(rc, regex, why, sizeof(why));
        br_yamlconf_diag(ctx, node, sub, "invalid regular expression: %s", why);
        return false;
    }
    if (regex->re_nsub < 2) {
        br_yamlconf_diag(ctx, node, sub,
                         "needs a group, (...), that captures the tenant (%s says which; 1 by "
                         "default)",
                         group_key);
        regfree(regex);
        return false;
    }
    if ((size_t)group > regex->re_nsub - 1) {
        br_yamlconf_diag(ctx, node, sub, "%s is %ld but the expression has %zu group%s",
                         group_key, group, regex->re_nsub - 1, regex->re_nsub == 2 ? "" : "s");
        regfree(regex);
        return false;
    }
    return true;
}

void br_tablehooks_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                         yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;
    struct br_conf_table_hooks *section = &conf->table_hooks;
    yaml_node_t *topic_seen[BR_CONFKEYS_TOPIC_SNAPSHOT + 1] = {NULL};

    section->enabled = true;
    if (section->topics) {
        section->topics_ok = compile(ctx, seen[BR_TABLEHOOKS_TOPICS], path, "topics",
                                     "tenant_group", section->topics, section->tenant_group,
                                     &section->topics_regex);
    }
    if (section->record_tenant) {
        section->record_tenant_ok =
            compile(ctx, seen[BR_TABLEHOOKS_RECORD_TENANT], path, "record_tenant",
                    "record_tenant_group", section->record_tenant, section->record_tenant_group,
                    &section->record_tenant_regex);
    }
    if (!seen[BR_TABLEHOOKS_TOPICS]) {
        return; /* reported by the walker (required) */
    }
    /* format and schema follow the rules of a topic's (and its schema file is read there) */
    topic_seen[BR_CONFKEYS_TOPIC_PATTERN] = seen[BR_TABLEHOOKS_TOPICS];
    topic_seen[BR_CONFKEYS_TOPIC_FORMAT] = seen[BR_TABLEHOOKS_FORMAT];
    topic_seen[BR_CONFKEYS_TOPIC_SCHEMA] = seen[BR_TABLEHOOKS_SCHEMA];
    br_confcheck_topic(ctx, map, path, &section->topic, topic_seen, index);
}

/* The value node of key in the mapping of item i of list, else list itself (or NULL). */
static yaml_node_t *item_value(struct br_yamlconf *ctx, yaml_node_t *list, size_t i,
                               const char *key)
{
    yaml_node_t *item;

    if (!list || list->type != YAML_SEQUENCE_NODE ||
        i >= (size_t)(list->data.sequence.items.top - list->data.sequence.items.start)) {
        return list;
    }
    item = br_yamlconf_node(ctx, list->data.sequence.items.start[i]);
    if (!item || item->type != YAML_MAPPING_NODE) {
        return list;
    }
    for (yaml_node_pair_t *pair = item->data.mapping.pairs.start;
         pair < item->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = br_yamlconf_node(ctx, pair->key);

        if (key_node && key_node->type == YAML_SCALAR_NODE &&
            strcmp((const char *)key_node->data.scalar.value, key) == 0) {
            return br_yamlconf_node(ctx, pair->value);
        }
    }
    return item;
}

void br_tablehooks_check_root(struct br_yamlconf *ctx, const struct br_conf *conf,
                              yaml_node_t *hooks_node, yaml_node_t *topics_node)
{
    const struct br_conf_table_hooks *section = &conf->table_hooks;
    size_t prefix = strlen(BR_TABLEHOOKS_NAME_PREFIX);

    if (!section->enabled) {
        return;
    }
    if (section->topic.format == BR_FORMAT_CONFLUENT && !conf->registry_url) {
        br_yamlconf_diag(ctx, NULL, "schema_registry",
                         "required key is missing (table_hooks has format confluent)");
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        const char *name = conf->hooks[i].name;

        if (name && strncmp(name, BR_TABLEHOOKS_NAME_PREFIX, prefix) == 0) {
            char sub[BR_YAMLCONF_PATH_MAX];

            snprintf(sub, sizeof(sub), "hooks[%zu].name", i);
            br_yamlconf_diag(ctx, item_value(ctx, hooks_node, i, "name"), sub,
                             "names starting with \"%s\" are kept for table hooks "
                             "(table_hooks)",
                             BR_TABLEHOOKS_NAME_PREFIX);
        }
    }
    for (size_t i = 0; i < conf->topic_count; i++) {
        const char *name = conf->topics[i].name;

        if (name && br_tablehooks_is_webhooks_topic(section, name)) {
            char sub[BR_YAMLCONF_PATH_MAX];

            snprintf(sub, sizeof(sub), "topics[%zu].name", i);
            br_yamlconf_diag(ctx, item_value(ctx, topics_node, i, "name"), sub,
                             "\"%s\" is a webhooks topic (table_hooks.topics), not a record "
                             "topic",
                             name);
        }
    }
}

bool br_tablehooks_tenant(const struct br_conf_table_hooks *section, enum br_tablehooks_which which,
                          const char *topic, char *out, size_t out_size)
{
    regmatch_t match[GROUPS_MAX + 2];
    const regex_t *regex;
    long group;
    size_t len;

    if (out_size > 0) {
        out[0] = '\0';
    }
    if (!section || !section->enabled || !topic || out_size == 0) {
        return false;
    }
    if (which == BR_TABLEHOOKS_WEBHOOKS) {
        if (!section->topics_ok) {
            return false;
        }
        regex = &section->topics_regex;
        group = section->tenant_group;
    } else {
        if (!section->record_tenant_ok) {
            return false;
        }
        regex = &section->record_tenant_regex;
        group = section->record_tenant_group;
    }
    if (group < 1 || group > GROUPS_MAX) {
        return false;
    }
    if (regexec(regex, topic, (size_t)group + 2, match, 0) != 0 ||
        match[group + 1].rm_so < 0) {
        return false;
    }
    len = (size_t)(match[group + 1].rm_eo - match[group + 1].rm_so);
    if (len == 0 || len >= out_size) {
        return false;
    }
    memcpy(out, topic + match[group + 1].rm_so, len);
    out[len] = '\0';
    return true;
}

bool br_tablehooks_is_webhooks_topic(const struct br_conf_table_hooks *section,
                                     const char *topic)
{
    char tenant[BR_TABLEHOOKS_TENANT_MAX];

    return br_tablehooks_tenant(section, BR_TABLEHOOKS_WEBHOOKS, topic, tenant, sizeof(tenant));
}

void br_tablehooks_finish(struct br_conf_table_hooks *section)
{
    if (!section) {
        return;
    }
    if (section->topics_ok) {
        regfree(&section->topics_regex);
    }
    if (section->record_tenant_ok) {
        regfree(&section->record_tenant_regex);
    }
    free(section->topics);
    free(section->record_tenant);
    free(section->topic.schema_path);
    free(section->topic.schema_json);
    memset(section, 0, sizeof(*section));
}
