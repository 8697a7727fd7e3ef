/*
 * The table-driven YAML configuration walker (see yamlconf.h): diagnostics, key paths, node
 * helpers, value parsers by kind, the mapping walk with unknown/duplicate/missing-key detection,
 * ${VAR} expansion, file reading and scrubbing. The schema itself lives with its user (conf.c).
 */
#include "config/yamlconf.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "core/buf.h"
#include "config/conf.h" /* struct br_kv, the entry type of a KV key; nothing else */

#define DIAG_MAX 200 /* diagnostics kept; the rest are counted */

struct br_yamlconf {
    const char *file;     /* the path as given, used in every diagnostic */
    char *dir;            /* the file's directory ("" when the path has none) */
    yaml_document_t *doc;
    struct br_buf diags;  /* "file:line:col: key: message" lines */
    size_t diag_count;
};

#define AT(base, offset, type) ((type *)(void *)((char *)(base) + (offset)))

/* ---- small helpers ---- */

static void *xcalloc(size_t count, size_t size)
{
    void *ptr = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);

    if (ptr == NULL) {
        abort();
    }
    return ptr;
}

static char *xstrndup(const char *str, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL) {
        abort();
    }
    memcpy(copy, str, len);
    copy[len] = '\0';
    return copy;
}

static char *xstrdup(const char *str)
{
    return xstrndup(str, strlen(str));
}

void br_yamlconf_scrub_free(char *str, size_t len)
{
    if (str != NULL) {
        OPENSSL_cleanse(str, len);
        free(str);
    }
}

void br_yamlconf_scrub_free_str(char *str)
{
    if (str != NULL) {
        br_yamlconf_scrub_free(str, strlen(str));
    }
}

/* ---- diagnostics ---- */

static void vdiag_at(struct br_yamlconf *ctx, size_t line, size_t col, const char *key,
                     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vdiag_at(struct br_yamlconf *ctx, size_t line, size_t col, const char *key,
                     const char *fmt, va_list ap)
{
    char message[1024];

    ctx->diag_count++;
    if (ctx->diag_count > DIAG_MAX) {
        return;
    }
    vsnprintf(message, sizeof(message), fmt, ap);
    if (ctx->diags.len > 0) {
        br_buf_append_char(&ctx->diags, '\n');
    }
    br_buf_printf(&ctx->diags, "%s:%zu:%zu: %s: %s", ctx->file, line, col, key, message);
}

static void diag_at(struct br_yamlconf *ctx, size_t line, size_t col, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void diag_at(struct br_yamlconf *ctx, size_t line, size_t col, const char *key,
                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag_at(ctx, line, col, key, fmt, ap);
    va_end(ap);
}

/* Reports at node (1-based line and column of its start); node NULL means 1:1. */
void br_yamlconf_diag(struct br_yamlconf *ctx, const yaml_node_t *node, const char *key,
                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag_at(ctx, node != NULL ? node->start_mark.line + 1 : 1,
             node != NULL ? node->start_mark.column + 1 : 1, key, fmt, ap);
    va_end(ap);
}

/* ---- key paths and nodes ---- */

/* Dotted key paths are capped at BR_YAMLCONF_PATH_MAX; a longer one ends in "...". */
static void mark_cut(char *out, size_t out_size, int len)
{
    if ((len < 0 || (size_t)len >= out_size) && out_size > 4) {
        memcpy(out + out_size - 4, "...", 4);
    }
}

void br_yamlconf_path_join(char *out, size_t out_size, const char *path, const char *key)
{
    int len;

    if (path[0] == '\0') {
        len = snprintf(out, out_size, "%s", key);
    } else {
        len = snprintf(out, out_size, "%s.%s", path, key);
    }
    mark_cut(out, out_size, len);
}

static void path_index(char *out, size_t out_size, const char *path, size_t index)
{
    int len = snprintf(out, out_size, "%s[%zu]", path, index);

    mark_cut(out, out_size, len);
}

static yaml_node_t *node_at(struct br_yamlconf *ctx, yaml_node_item_t item)
{
    return yaml_document_get_node(ctx->doc, item);
}

bool br_yamlconf_is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0) {
            return true;
        }
    }
    return false;
}

static const char *node_kind(const yaml_node_t *node)
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
        br_yamlconf_diag(ctx, node, path, "expected %s, got %s", expected, node_kind(node));
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

/* Resolves a path relative to the configuration file's directory. */
char *br_yamlconf_resolve_path(struct br_yamlconf *ctx, const char *path)
{
    struct br_buf buf;

    if (path[0] == '/' || ctx->dir[0] == '\0') {
        return xstrdup(path);
    }
    br_buf_init(&buf, 0);
    br_buf_printf(&buf, "%s/%s", ctx->dir, path);
    return br_buf_steal(&buf, NULL);
}

/*
 * Reads a whole file of at most max bytes. Returns the bytes (NUL-terminated) or NULL with
 * errno-style text in why.
 */
char *br_yamlconf_read_file(const char *path, size_t max, size_t *len, char *why, size_t why_size)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    size_t used = 0;
    size_t cap = 0;

    if (file == NULL) {
        snprintf(why, why_size, "%s", strerror(errno));
        goto fail;
    }
    for (;;) {
        if (used == cap) {
            size_t next = cap == 0 ? 4096 : cap * 2;
            char *grown;

            if (cap > max) {
                snprintf(why, why_size, "larger than %zu bytes", max);
                goto fail;
            }
            grown = realloc(data, next + 1);
            if (grown == NULL) {
                abort();
            }
            data = grown;
            cap = next;
        }
        size_t got = fread(data + used, 1, cap - used, file);
        used += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(file)) {
        snprintf(why, why_size, "%s", strerror(errno != 0 ? errno : EIO));
        goto fail;
    }
    if (used > max) {
        snprintf(why, why_size, "larger than %zu bytes", max);
        goto fail;
    }
    fclose(file);
    data[used] = '\0';
    *len = used;
    return data;

fail:
    if (file != NULL) {
        fclose(file);
    }
    if (data != NULL) {
        br_yamlconf_scrub_free(data, cap);
    }
    return NULL;
}

/*
 * Expands ${NAME} from the environment; "$${" writes a literal "${". Unset variables and
 * unterminated references are diagnostics (returns NULL).
 */
static char *expand_env(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const char *text)
{
    struct br_buf buf;
    const char *cursor = text;
    bool ok = true;

    br_buf_init(&buf, 0);
    while (*cursor != '\0') {
        if (cursor[0] == '$' && cursor[1] == '$' && cursor[2] == '{') {
            br_buf_append_str(&buf, "${");
            cursor += 3;
            continue;
        }
        if (cursor[0] != '$' || cursor[1] != '{') {
            br_buf_append_char(&buf, *cursor);
            cursor++;
            continue;
        }
        const char *name = cursor + 2;
        const char *end = strchr(name, '}');
        if (end == NULL) {
            br_yamlconf_diag(ctx, node, path, "unterminated ${ (write $${ for a literal ${)");
            ok = false;
            break;
        }
        size_t name_len = (size_t)(end - name);
        bool valid = name_len > 0 && (isalpha((unsigned char)name[0]) || name[0] == '_');
        for (size_t i = 0; valid && i < name_len; i++) {
            valid = isalnum((unsigned char)name[i]) || name[i] == '_';
        }
        char *var = xstrndup(name, name_len);
        if (!valid) {
            br_yamlconf_diag(ctx, node, path, "invalid variable name \"%s\" in ${...}", var);
            ok = false;
        } else {
            const char *value = getenv(var);
            if (value == NULL) {
                br_yamlconf_diag(ctx, node, path, "environment variable %s is not set", var);
                ok = false;
            } else {
                br_buf_append_str(&buf, value);
            }
        }
        free(var);
        cursor = end + 1;
    }
    if (!ok) {
        if (buf.data != NULL) {
            OPENSSL_cleanse(buf.data, buf.cap);
        }
        br_buf_finish(&buf);
        return NULL;
    }
    char *out = br_buf_steal(&buf, NULL);
    return out != NULL ? out : xstrdup("");
}

/* ---- the walker ---- */

static void walk_mapping(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                         const struct br_yamlconf_section *section, void *base, size_t index);

static void apply_defaults(const struct br_yamlconf_section *section, void *base)
{
    for (size_t i = 0; i < section->count; i++) {
        const struct br_yamlconf_key *spec = &section->keys[i];

        switch (spec->kind) {
        case BR_YAMLCONF_INT:
            *AT(base, spec->offset, long) = spec->def;
            break;
        case BR_YAMLCONF_ENUM:
            *AT(base, spec->offset, int) = (int)spec->def;
            break;
        case BR_YAMLCONF_LEVEL:
            *AT(base, spec->offset, char *) = xstrdup(spec->def_str);
            break;
        case BR_YAMLCONF_SECTION:
            apply_defaults(spec->sub, base);
            break;
        default:
            break;
        }
    }
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

/* True when node is absent or names one of choices (false after a bad value, already reported). */
bool br_yamlconf_choice_given(const yaml_node_t *node, const struct br_yamlconf_choice *choices)
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

    if (text == NULL) {
        return;
    }
    size_t skip = 0;
    if (strncasecmp(text, "http://", 7) == 0) {
        skip = 7;
    } else if (strncasecmp(text, "https://", 8) == 0) {
        skip = 8;
    }
    if (skip == 0 || text[skip] == '\0' || text[skip] == '/') {
        br_yamlconf_diag(ctx, node, path,
                         "must be an http:// or https:// URL with a host, got \"%s\"", text);
        return;
    }
    for (const char *c = text; *c != '\0'; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            br_yamlconf_diag(ctx, node, path, "must not contain spaces or control characters");
            return;
        }
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
        br_yamlconf_diag(ctx, node, path, "expected a mapping, got %s", node_kind(node));
        return;
    }
    size_t total = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    *entries = xcalloc(total, sizeof(**entries));
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_pair_t *pair = &node->data.mapping.pairs.start[i];
        yaml_node_t *key_node = node_at(ctx, pair->key);
        yaml_node_t *value_node = node_at(ctx, pair->value);
        char sub[BR_YAMLCONF_PATH_MAX];

        const char *key = string_text(ctx, key_node, path);
        if (key == NULL) {
            continue;
        }
        br_yamlconf_path_join(sub, sizeof(sub), path, key);
        bool duplicate = false;
        for (size_t j = 0; j < i && !duplicate; j++) {
            yaml_node_t *other = node_at(ctx, node->data.mapping.pairs.start[j].key);

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
            br_yamlconf_scrub_free_str(expanded);
            continue;
        }
        (*entries)[*count].key = xstrdup(key);
        (*entries)[*count].value = expanded;
        (*count)++;
    }
}

/*
 * Allocates total zeroed elements of elem_size for the items of a non-empty list and returns them
 * (the caller owns them); NULL with a diagnostic for anything else.
 */
static void *list_items(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        size_t elem_size, size_t *total)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        br_yamlconf_diag(ctx, node, path, "expected a list, got %s", node_kind(node));
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
    char **items = list_items(ctx, node, path, sizeof(*items), &total);

    if (items == NULL) {
        return;
    }
    *AT(base, spec->offset, char **) = items;
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = node_at(ctx, node->data.sequence.items.start[i]);
        char sub[BR_YAMLCONF_PATH_MAX];

        path_index(sub, sizeof(sub), path, i);
        const char *text = string_text(ctx, item, sub);
        if (text == NULL || (spec->item_check != NULL && !spec->item_check(ctx, item, text, sub))) {
            continue;
        }
        items[(*count)++] = xstrdup(text);
    }
}

static void parse_list(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                       const struct br_yamlconf_key *spec, void *base)
{
    size_t total = 0;
    char *array = list_items(ctx, node, path, spec->elem_size, &total);

    if (array == NULL) {
        return;
    }
    /* published before the walk so that destroy frees whatever the items hold */
    *AT(base, spec->offset, char *) = array;
    *AT(base, spec->count_offset, size_t) = total;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = node_at(ctx, node->data.sequence.items.start[i]);
        void *elem = array + i * spec->elem_size;
        char sub[BR_YAMLCONF_PATH_MAX];

        path_index(sub, sizeof(sub), path, i);
        apply_defaults(spec->sub, elem);
        walk_mapping(ctx, item, sub, spec->sub, elem, i);
    }
}

static void parse_value(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_key *spec, void *base, size_t index)
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
        text = scalar_text(ctx, node, path, "a string");
        if (text != NULL) {
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
        break;
    case BR_YAMLCONF_KV:
        parse_kv(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_STRING_LIST:
        parse_string_list(ctx, node, path, spec, base);
        break;
    case BR_YAMLCONF_SECTION:
        walk_mapping(ctx, node, path, spec->sub, base, index);
        break;
    case BR_YAMLCONF_LIST:
        parse_list(ctx, node, path, spec, base);
        break;
    }
}

static void unknown_key(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_section *section)
{
    struct br_buf list;

    br_buf_init(&list, 0);
    for (size_t i = 0; i < section->count; i++) {
        br_buf_printf(&list, "%s%s", i > 0 ? ", " : "", section->keys[i].key);
    }
    br_yamlconf_diag(ctx, node, path, "unknown key (expected one of %s)", list.data);
    br_buf_finish(&list);
}

static void walk_mapping(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                         const struct br_yamlconf_section *section, void *base, size_t index)
{
    yaml_node_t **seen = NULL;

    if (map->type != YAML_MAPPING_NODE) {
        br_yamlconf_diag(ctx, map, path[0] != '\0' ? path : "(document)",
                         "expected a mapping, got %s", node_kind(map));
        return;
    }
    seen = xcalloc(section->count, sizeof(*seen));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = node_at(ctx, pair->key);
        yaml_node_t *value_node = node_at(ctx, pair->value);
        char sub[BR_YAMLCONF_PATH_MAX];
        size_t i;

        if (key_node->type != YAML_SCALAR_NODE || br_yamlconf_is_null(key_node)) {
            br_yamlconf_diag(ctx, key_node, path[0] != '\0' ? path : "(document)",
                             "keys must be strings, got %s", node_kind(key_node));
            continue;
        }
        const char *key = (const char *)key_node->data.scalar.value;
        br_yamlconf_path_join(sub, sizeof(sub), path, key);
        for (i = 0; i < section->count; i++) {
            if (strcmp(section->keys[i].key, key) == 0) {
                break;
            }
        }
        if (i == section->count) {
            unknown_key(ctx, key_node, sub, section);
            continue;
        }
        if (seen[i] != NULL) {
            br_yamlconf_diag(ctx, key_node, sub, "duplicate key (first at line %zu, column %zu)",
                             (size_t)seen[i]->start_mark.line + 1,
                             (size_t)seen[i]->start_mark.column + 1);
            continue;
        }
        /* seen holds the value node: checks report at the value */
        seen[i] = value_node;
        parse_value(ctx, value_node, sub, &section->keys[i], base, index);
    }
    for (size_t i = 0; i < section->count; i++) {
        if (section->keys[i].required && seen[i] == NULL) {
            char sub[BR_YAMLCONF_PATH_MAX];

            br_yamlconf_path_join(sub, sizeof(sub), path, section->keys[i].key);
            br_yamlconf_diag(ctx, map, sub, "required key is missing");
        }
    }
    if (section->check != NULL) {
        section->check(ctx, map, path, base, seen, index);
    }
    free(seen);
}

/* ---- helpers of cross-key checks ---- */

/* The value node of key in map, or NULL. */
static yaml_node_t *map_get(struct br_yamlconf *ctx, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = node_at(ctx, pair->key);

        if (key_node->type == YAML_SCALAR_NODE &&
            strcmp((const char *)key_node->data.scalar.value, key) == 0) {
            return node_at(ctx, pair->value);
        }
    }
    return NULL;
}

/* Reports entries of a list whose member (name) repeats an earlier entry's. */
void br_yamlconf_unique_names(struct br_yamlconf *ctx, yaml_node_t *list, const char *path,
                              const char *what, const char *member, char *const *names,
                              size_t name_stride, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = *(char *const *)(void *)((const char *)names + i * name_stride);

        for (size_t j = 0; name != NULL && j < i; j++) {
            const char *other = *(char *const *)(void *)((const char *)names + j * name_stride);

            if (other != NULL && strcmp(name, other) == 0) {
                char sub[BR_YAMLCONF_PATH_MAX];
                yaml_node_t *item = node_at(ctx, list->data.sequence.items.start[i]);

                snprintf(sub, sizeof(sub), "%s[%zu].%s", path, i, member);
                br_yamlconf_diag(ctx, map_get(ctx, item, member), sub,
                                 "duplicate %s \"%s\" (also %s[%zu])", what, name, path, j);
                break;
            }
        }
    }
}

/* ---- load ---- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return xstrdup("");
    }
    if (slash == path) {
        return xstrdup("/");
    }
    return xstrndup(path, (size_t)(slash - path));
}

static void syntax_error(struct br_yamlconf *ctx, yaml_parser_t *parser)
{
    const char *problem = parser->problem != NULL ? parser->problem : "unknown error";
    yaml_mark_t mark = parser->problem_mark;

    if (parser->error == YAML_READER_ERROR) {
        diag_at(ctx, 1, 1, "(yaml)", "%s at byte %zu", problem, parser->problem_offset);
    } else if (parser->context != NULL) {
        diag_at(ctx, mark.line + 1, mark.column + 1, "(yaml)", "%s (%s at line %zu)", problem,
                parser->context, (size_t)parser->context_mark.line + 1);
    } else {
        diag_at(ctx, mark.line + 1, mark.column + 1, "(yaml)", "%s", problem);
    }
}

/* Overwrites every scalar of the document: secrets may have been written inline. */
static void scrub_document(yaml_document_t *doc)
{
    for (yaml_node_t *node = doc->nodes.start; node < doc->nodes.top; node++) {
        if (node->type == YAML_SCALAR_NODE) {
            OPENSSL_cleanse(node->data.scalar.value, node->data.scalar.length);
        }
    }
}

static void scrub_parser(yaml_parser_t *parser)
{
    if (parser->buffer.start != NULL) {
        OPENSSL_cleanse(parser->buffer.start, (size_t)(parser->buffer.end - parser->buffer.start));
    }
    if (parser->raw_buffer.start != NULL) {
        OPENSSL_cleanse(parser->raw_buffer.start,
                        (size_t)(parser->raw_buffer.end - parser->raw_buffer.start));
    }
}

static void copy_diags(struct br_yamlconf *ctx, char *errstr, size_t errstr_size)
{
    if (errstr == NULL || errstr_size == 0) {
        return;
    }
    if (ctx->diag_count > DIAG_MAX) {
        br_buf_printf(&ctx->diags, "\n%s: %zu more problems not shown", ctx->file,
                      ctx->diag_count - DIAG_MAX);
    }
    snprintf(errstr, errstr_size, "%s", ctx->diags.data != NULL ? ctx->diags.data : "");
}

int br_yamlconf_load(const char *path, size_t max_size, const struct br_yamlconf_section *root,
                     void *base, char *errstr, size_t errstr_size)
{
    struct br_yamlconf ctx;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool parser_ready = false;
    bool doc_ready = false;
    char *text = NULL;
    size_t text_len = 0;
    char why[256];
    int rc = -1;

    memset(&ctx, 0, sizeof(ctx));
    ctx.file = path;
    br_buf_init(&ctx.diags, 0);
    if (errstr != NULL && errstr_size > 0) {
        errstr[0] = '\0';
    }
    text = br_yamlconf_read_file(path, max_size, &text_len, why, sizeof(why));
    if (text == NULL) {
        if (errstr != NULL && errstr_size > 0) {
            snprintf(errstr, errstr_size, "%s: cannot open: %s", path, why);
        }
        goto done;
    }
    ctx.dir = dir_of(path);
    apply_defaults(root, base);

    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    parser_ready = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, text_len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&ctx, &parser);
        goto done;
    }
    doc_ready = true;
    ctx.doc = &doc;
    yaml_node_t *root_node = yaml_document_get_root_node(&doc);
    if (root_node == NULL) {
        diag_at(&ctx, 1, 1, "(document)", "the file is empty");
        goto done;
    }
    {
        yaml_document_t next;

        if (!yaml_parser_load(&parser, &next)) {
            syntax_error(&ctx, &parser);
        } else {
            yaml_node_t *next_root = yaml_document_get_root_node(&next);

            if (next_root != NULL) {
                br_yamlconf_diag(&ctx, next_root, "(document)",
                                 "only one YAML document is allowed");
            }
            scrub_document(&next);
            yaml_document_delete(&next);
        }
    }
    walk_mapping(&ctx, root_node, "", root, base, 0);
    if (ctx.diag_count == 0) {
        rc = 0;
    }

done:
    if (ctx.diag_count > 0) {
        copy_diags(&ctx, errstr, errstr_size);
    }
    if (doc_ready) {
        scrub_document(&doc);
        yaml_document_delete(&doc);
    }
    if (parser_ready) {
        scrub_parser(&parser);
        yaml_parser_delete(&parser);
    }
    if (text != NULL) {
        br_yamlconf_scrub_free(text, text_len);
    }
    free(ctx.dir);
    br_buf_finish(&ctx.diags);
    return rc;
}
