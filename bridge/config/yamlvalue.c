/*
 * The value parsers of the YAML walker, one per key kind (see yamlvalue.h): scalars, strings
 * with ${VAR} expansion, paths, URLs, regexes, bounded integers, choices, string-to-string
 * mappings and lists of strings.
 */
#include "config/yamlvalue.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "core/buf.h"
#include "core/url.h"
#include "config/conf.h" /* struct br_kv, the entry type of a KV key; nothing else */
#include "config/env.h"
#include "config/file.h"

#define AT(base, offset, type) ((type *)(void *)((char *)(base) + (offset)))

static void *xcalloc(size_t count, size_t size)
{
    void *ptr = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);

    if (ptr == NULL) {
        abort();
    }
    return ptr;
}

static char *xstrdup(const char *str)
{
    char *copy = strdup(str);

    if (copy == NULL) {
        abort();
    }
    return copy;
}

const char *br_yamlvalue_node_kind(const yaml_node_t *node)
{
    if (br_yamlconf_is_null(node)) {
        return "null";
    }
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a scalar";
    }
}

/* The node's text when it is a non-null scalar without NUL bytes, else a diagnostic and NULL. */
static const char *scalar_text(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                               const char *expected)
{
    if (node->type != YAML_SCALAR_NODE || br_yamlconf_is_null(node)) {
        br_yamlconf_diag(ctx, node, path, "expected %s, got %s", expected,
                         br_yamlvalue_node_kind(node));
        return NULL;
    }
    const char *text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length) {
        br_yamlconf_diag(ctx, node, path, "must not contain NUL bytes");
        return NULL;
    }
    return text;
}

/* A non-empty string. */
static const char *string_text(struct br_yamlconf *ctx, yaml_node_t *node, const char *path)
{
    const char *text = scalar_text(ctx, node, path, "a string");

    if (text != NULL && text[0] == '\0') {
        br_yamlconf_diag(ctx, node, path, "must not be empty");
        return NULL;
    }
    return text;
}

/* Where br_env_expand's problems go: diagnostics at the value's node. */
struct env_site {
    struct br_yamlconf *ctx;
    yaml_node_t *node;
    const char *path;
};

static void env_report(void *opaque, const char *message)
{
    struct env_site *site = opaque;

    br_yamlconf_diag(site->ctx, site->node, site->path, "%s", message);
}

/* ${NAME} expanded (see env.h), or NULL after the diagnostics. */
static char *expand_env(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const char *text)
{
    struct env_site site = {ctx, node, path};

    return br_env_expand(text, env_report, &site);
}

static const struct br_yamlconf_choice *find_choice(const struct br_yamlconf_choice *choices,
                                                     const char *text)
{
    for (size_t i = 0; choices[i].name != NULL; i++) {
        if (strcasecmp(choices[i].name, text) == 0) {
            return &choices[i];
        }
    }
    return NULL;
}

bool br_yamlvalue_choice_given(const yaml_node_t *node, const struct br_yamlconf_choice *choices)
{
    if (node == NULL) {
        return true;
    }
    return node->type == YAML_SCALAR_NODE &&
           find_choice(choices, (const char *)node->data.scalar.value) != NULL;
}

static void bad_choice(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                       const struct br_yamlconf_choice *choices, const char *text)
{
    struct br_buf list;

    br_buf_init(&list, 0);
    for (size_t i = 0; choices[i].name != NULL; i++) {
        br_buf_printf(&list, "%s%s", i > 0 ? ", " : "", choices[i].name);
    }
    br_yamlconf_diag(ctx, node, path, "must be one of %s, got \"%s\"", list.data, text);
    br_buf_finish(&list);
}

static void parse_int(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                      const struct br_yamlconf_key *spec, long *out)
{
    const char *text = scalar_text(ctx, node, path, "an integer");
    char *end = NULL;

    if (text == NULL) {
        return;
    }
    errno = 0;
    long value = strtol(text, &end, 10);
    bool digits = text[0] != '\0' && (isdigit((unsigned char)text[0]) ||
                                      ((text[0] == '-' || text[0] == '+') &&
                                       isdigit((unsigned char)text[1])));
    if (!digits || *end != '\0') {
        br_yamlconf_diag(ctx, node, path, "expected an integer, got \"%s\"", text);
        return;
    }
    if (errno == ERANGE || value < spec->min || value > spec->max) {
        br_yamlconf_diag(ctx, node, path, "must be between %ld and %ld, got %s", spec->min,
                         spec->max, text);
        return;
    }
    *out = value;
}

static void parse_url(struct br_yamlconf *ctx, yaml_node_t *node, const char *path, char **out)
{
    const char *text = string_text(ctx, node, path);
    char why[128];

    if (text == NULL) {
        return;
    }
    int rc = br_url_check_http(text, why, sizeof(why));

    if (rc == -1) {
        br_yamlconf_diag(ctx, node, path, "%s, got \"%s\"", why, text);
        return;
    }
    if (rc != 0) {
        /* not repeated: its control characters would garble the diagnostic */
        br_yamlconf_diag(ctx, node, path, "%s", why);
        return;
    }
    *out = xstrdup(text);
}

/* Stores the source at spec->offset and the anchored compiled form at spec->regex_offset. */
static void parse_regex(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_key *spec, void *base)
{
    const char *text = string_text(ctx, node, path);
    regex_t *regex = AT(base, spec->regex_offset, regex_t);
    struct br_buf anchored;

    if (text == NULL) {
        return;
    }
    br_buf_init(&anchored, 0);
    br_buf_printf(&anchored, "^(%s)$", text);
    int rc = regcomp(regex, anchored.data, REG_EXTENDED | REG_NOSUB);
    br_buf_finish(&anchored);
    if (rc != 0) {
        char why[256];

        regerror(rc, regex, why, sizeof(why));
        br_yamlconf_diag(ctx, node, path, "invalid regular expression: %s", why);
        return;
    }
    /* the source is set only once regex holds a compiled form: the owner's cue to regfree */
    *AT(base, spec->offset, char *) = xstrdup(text);
}

/* Checks that the items of a KV mapping are scalars with distinct keys, then stores them. */
static void parse_kv(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                     const struct br_yamlconf_key *spec, void *base)
{
    struct br_kv **entries = AT(base, spec->offset, struct br_kv *);
    size_t *count = AT(base, spec->count_offset, size_t);

    if (node->type != YAML_MAPPING_NODE) {
        br_yamlconf_diag(ctx, node, path, "expected a mapping, got %s",
                         br_yamlvalue_node_kind(node));
        return;
    }
    size_t total = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    *entries = xcalloc(total, sizeof(**entries));
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_pair_t *pair = &node->data.mapping.pairs.start[i];
        yaml_node_t *key_node = br_yamlconf_node(ctx, pair->key);
        yaml_node_t *value_node = br_yamlconf_node(ctx, pair->value);
        char sub[BR_YAMLCONF_PATH_MAX];

        const char *key = string_text(ctx, key_node, path);
        if (key == NULL) {
            continue;
        }
        br_yamlconf_path_join(sub, sizeof(sub), path, key);
        bool duplicate = false;
        for (size_t j = 0; j < i && !duplicate; j++) {
            yaml_node_t *other = br_yamlconf_node(ctx, node->data.mapping.pairs.start[j].key);

            if (other->type == YAML_SCALAR_NODE &&
                strcasecmp((const char *)other->data.scalar.value, key) == 0) {
                br_yamlconf_diag(ctx, key_node, sub,
                                 "duplicate key (first at line %zu, column %zu)",
                                 (size_t)other->start_mark.line + 1,
                                 (size_t)other->start_mark.column + 1);
                duplicate = true;
            }
        }
        if (duplicate) {
            continue;
        }
        const char *value = scalar_text(ctx, value_node, sub, "a scalar");
        if (value == NULL) {
            continue;
        }
        char *expanded = expand_env(ctx, value_node, sub, value);
        if (expanded == NULL) {
            continue;
        }
        if (spec->kv_check != NULL &&
            !spec->kv_check(ctx, key_node, key, value_node, expanded, sub)) {
            br_file_scrub_free_str(expanded);
            continue;
        }
        (*entries)[*count].key = xstrdup(key);
        (*entries)[*count].value = expanded;
        (*count)++;
    }
}

void *br_yamlvalue_list_items(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        size_t elem_size, size_t *total)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        br_yamlconf_diag(ctx, node, path, "expected a list, got %s",
                         br_yamlvalue_node_kind(node));
        return NULL;
    }
    *total = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (*total == 0) {
        br_yamlconf_diag(ctx, node, path, "must not be empty");
        return NULL;
    }
    return xcalloc(*total, elem_size);
}

/* Stores the items that pass spec->item_check; count is how many did. */
static void parse_string_list(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                              const struct br_yamlconf_key *spec, void *base)
{
    size_t *count = AT(base, spec->count_offset, size_t);
    size_t total = 0;
    char **items = br_yamlvalue_list_items(ctx, node, path, sizeof(*items), &total);

    if (items == NULL) {
        return;
    }
    *AT(base, spec->offset, char **) = items;
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = br_yamlconf_node(ctx, node->data.sequence.items.start[i]);
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_index(sub, sizeof(sub), path, i);
        const char *text = string_text(ctx, item, sub);
        if (text == NULL || (spec->item_check != NULL && !spec->item_check(ctx, item, text, sub))) {
            continue;
        }
        if (spec->env) {
            char *expanded = expand_env(ctx, item, sub, text);

            if (expanded != NULL) {
                items[(*count)++] = expanded;
            }
            continue;
        }
        items[(*count)++] = xstrdup(text);
    }
}

/* ENUM stores the choice's value, LEVEL a copy of its canonical name. */
static void parse_choice(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                         const struct br_yamlconf_key *spec, void *base)
{
    const char *text = scalar_text(ctx, node, path, "a string");

    if (text == NULL) {
        return;
    }
    const struct br_yamlconf_choice *choice = find_choice(spec->choices, text);
    if (choice == NULL) {
        bad_choice(ctx, node, path, spec->choices, text);
    } else if (spec->kind == BR_YAMLCONF_ENUM) {
        *AT(base, spec->offset, int) = choice->value;
    } else {
        char **level = AT(base, spec->offset, char *);

        free(*level);
        *level = xstrdup(choice->name);
    }
}

void br_yamlvalue_parse(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_key *spec, void *base)
{
    const char *text;

    switch (spec->kind) {
    case BR_YAMLCONF_STRING:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = xstrdup(text);
        }
        break;
    case BR_YAMLCONF_STRING_ENV:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = expand_env(ctx, node, path, text);
        }
        break;
    case BR_YAMLCONF_PATH:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = br_yamlconf_resolve_path(ctx, text);
        }
        break;
    case BR_YAMLCONF_SEEN:
        string_text(ctx, node, path);
        break;
    case BR_YAMLCONF_URL:
        parse_url(ctx, node, path, AT(base, spec->offset, char *));
        break;
    case BR_YAMLCONF_REGEX:
        parse_regex(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_INT:
        parse_int(ctx, node, path, spec, AT(base, spec->offset, long));
        break;
    case BR_YAMLCONF_ENUM:
    case BR_YAMLCONF_LEVEL:
        parse_choice(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_KV:
        parse_kv(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_STRING_LIST:
        parse_string_list(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_SECTION:
    case BR_YAMLCONF_LIST:
        /* structural: walked by yamlconf.c, never handed here */
        break;
    }
}
