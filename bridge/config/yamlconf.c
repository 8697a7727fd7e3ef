/*
 * The table-driven YAML configuration walker (see yamlconf.h): the walk's context and its
 * diagnostics, key paths, the mapping walk with unknown/duplicate/missing-key detection, lists of
 * mappings, helpers of cross-key checks, and loading one document. Values are parsed by kind in
 * yamlvalue.c; the schema itself lives with its user (confkeys.c).
 */
#include "config/yamlconf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "core/buf.h"
#include "config/file.h"
#include "config/yamlvalue.h"

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

void br_yamlconf_path_index(char *out, size_t out_size, const char *path, size_t index)
{
    int len = snprintf(out, out_size, "%s[%zu]", path, index);

    mark_cut(out, out_size, len);
}

yaml_node_t *br_yamlconf_node(struct br_yamlconf *ctx, yaml_node_item_t item)
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

/* ---- the walker ---- */

static void walk_mapping(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                         const struct br_yamlconf_section *section, void *base, size_t index);

void br_yamlconf_apply_defaults(const struct br_yamlconf_section *section, void *base)
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
            br_yamlconf_apply_defaults(spec->sub, base);
            break;
        default:
            break;
        }
    }
}

static void parse_list(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                       const struct br_yamlconf_key *spec, void *base)
{
    size_t total = 0;
    char *array = br_yamlvalue_list_items(ctx, node, path, spec->elem_size, &total);

    if (array == NULL) {
        return;
    }
    /* published before the walk so that destroy frees whatever the items hold */
    *AT(base, spec->offset, char *) = array;
    *AT(base, spec->count_offset, size_t) = total;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = br_yamlconf_node(ctx, node->data.sequence.items.start[i]);
        void *elem = array + i * spec->elem_size;
        char sub[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_index(sub, sizeof(sub), path, i);
        br_yamlconf_apply_defaults(spec->sub, elem);
        walk_mapping(ctx, item, sub, spec->sub, elem, i);
    }
}

static void parse_value(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_key *spec, void *base, size_t index)
{
    switch (spec->kind) {
    case BR_YAMLCONF_SECTION:
        walk_mapping(ctx, node, path, spec->sub, base, index);
        break;
    case BR_YAMLCONF_LIST:
        parse_list(ctx, node, path, spec, base);
        break;
    default:
        br_yamlvalue_parse(ctx, node, path, spec, base);
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
                         "expected a mapping, got %s", br_yamlvalue_node_kind(map));
        return;
    }
    seen = xcalloc(section->count, sizeof(*seen));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = br_yamlconf_node(ctx, pair->key);
        yaml_node_t *value_node = br_yamlconf_node(ctx, pair->value);
        char sub[BR_YAMLCONF_PATH_MAX];
        size_t i;

        if (key_node->type != YAML_SCALAR_NODE || br_yamlconf_is_null(key_node)) {
            br_yamlconf_diag(ctx, key_node, path[0] != '\0' ? path : "(document)",
                             "keys must be strings, got %s", br_yamlvalue_node_kind(key_node));
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
        yaml_node_t *key_node = br_yamlconf_node(ctx, pair->key);

        if (key_node->type == YAML_SCALAR_NODE &&
            strcmp((const char *)key_node->data.scalar.value, key) == 0) {
            return br_yamlconf_node(ctx, pair->value);
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
                yaml_node_t *item = br_yamlconf_node(ctx, list->data.sequence.items.start[i]);

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

/*
 * A first pass over the parser's events that refuses nesting deeper than MAX_NESTING before
 * libyaml builds anything: libyaml's scanner is quadratic in the nesting depth (200,000 levels
 * took over a minute), so the check must stop at the first too-deep collection. Returns 0, or -1
 * with a diagnostic (a syntax error found on the way is reported as such).
 */
#define MAX_NESTING 32

static void scrub_parser(yaml_parser_t *parser);

static int check_nesting(struct br_yamlconf *ctx, const char *text, size_t text_len)
{
    yaml_parser_t parser;
    yaml_event_t event;
    int depth = 0;
    int rc = 0;

    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, text_len);
    for (;;) {
        yaml_event_type_t type;

        if (!yaml_parser_parse(&parser, &event)) {
            syntax_error(ctx, &parser);
            rc = -1;
            break;
        }
        type = event.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            depth++;
            if (depth > MAX_NESTING) {
                diag_at(ctx, event.start_mark.line + 1, event.start_mark.column + 1, "(yaml)",
                        "nested deeper than %d levels", MAX_NESTING);
                yaml_event_delete(&event);
                rc = -1;
                break;
            }
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&event);
        if (type == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    scrub_parser(&parser);
    yaml_parser_delete(&parser);
    return rc;
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
    text = br_file_read(path, max_size, &text_len, why, sizeof(why));
    if (text == NULL) {
        if (errstr != NULL && errstr_size > 0) {
            snprintf(errstr, errstr_size, "%s: cannot open: %s", path, why);
        }
        goto done;
    }
    ctx.dir = dir_of(path);
    br_yamlconf_apply_defaults(root, base);
    if (check_nesting(&ctx, text, text_len) != 0) {
        goto done;
    }

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
        br_file_scrub_free(text, text_len);
    }
    free(ctx.dir);
    br_buf_finish(&ctx.diags);
    return rc;
}
