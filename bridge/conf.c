/*
 * YAML -> validated configuration. The accepted keys are the tables below (key, kind, default,
 * bounds, required, doc); the walker reports unknown and duplicate keys, wrong types, missing
 * required keys and bad values as "file:line:col: key: message", collecting every diagnostic.
 * The reference for users is docs/configuration.md; keep the two together.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "buf.h"
#include "catalog.h"

#define CONF_FILE_MAX (4u * 1024u * 1024u)    /* the YAML file itself */
#define SCHEMA_FILE_MAX (16u * 1024u * 1024u) /* an Avro schema file */
#define SECRET_FILE_MAX (64u * 1024u)         /* a secret_file */
#define DIAG_MAX 200                          /* diagnostics kept; the rest are counted */
#define PATH_MAX_LEN 512                      /* dotted key path */

struct ctx {
    const char *file;     /* the path as given, used in every diagnostic */
    char *dir;            /* the file's directory ("" when the path has none) */
    yaml_document_t *doc;
    struct br_buf diags;  /* "file:line:col: key: message" lines */
    size_t diag_count;
};

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

static void scrub_free(char *str, size_t len)
{
    if (str != NULL) {
        OPENSSL_cleanse(str, len);
        free(str);
    }
}

static void scrub_free_str(char *str)
{
    if (str != NULL) {
        scrub_free(str, strlen(str));
    }
}

static void diag_at(struct ctx *ctx, size_t line, size_t col, const char *key, const char *fmt,
                    ...) __attribute__((format(printf, 5, 6)));

static void diag_at(struct ctx *ctx, size_t line, size_t col, const char *key, const char *fmt,
                    ...)
{
    va_list ap;
    char message[1024];

    ctx->diag_count++;
    if (ctx->diag_count > DIAG_MAX) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (ctx->diags.len > 0) {
        br_buf_append_char(&ctx->diags, '\n');
    }
    br_buf_printf(&ctx->diags, "%s:%zu:%zu: %s: %s", ctx->file, line, col, key, message);
}

/* Reports at node (1-based line and column of its start); node NULL means 1:1. */
#define diag(ctx, node, key, ...)                                                                 \
    diag_at((ctx), (node) != NULL ? (node)->start_mark.line + 1 : 1,                              \
            (node) != NULL ? (node)->start_mark.column + 1 : 1, (key), __VA_ARGS__)

/* Dotted key paths are capped at PATH_MAX_LEN; a longer one ends in "...". */
static void mark_cut(char *out, size_t out_size, int len)
{
    if ((len < 0 || (size_t)len >= out_size) && out_size > 4) {
        memcpy(out + out_size - 4, "...", 4);
    }
}

static void path_join(char *out, size_t out_size, const char *path, const char *key)
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

static yaml_node_t *node_at(struct ctx *ctx, yaml_node_item_t item)
{
    return yaml_document_get_node(ctx->doc, item);
}

static bool is_null(const yaml_node_t *node)
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
    if (is_null(node)) {
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
static const char *scalar_text(struct ctx *ctx, yaml_node_t *node, const char *path,
                               const char *expected)
{
    if (node->type != YAML_SCALAR_NODE || is_null(node)) {
        diag(ctx, node, path, "expected %s, got %s", expected, node_kind(node));
        return NULL;
    }
    const char *text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length) {
        diag(ctx, node, path, "must not contain NUL bytes");
        return NULL;
    }
    return text;
}

/* A non-empty string. */
static const char *string_text(struct ctx *ctx, yaml_node_t *node, const char *path)
{
    const char *text = scalar_text(ctx, node, path, "a string");

    if (text != NULL && text[0] == '\0') {
        diag(ctx, node, path, "must not be empty");
        return NULL;
    }
    return text;
}

/* Resolves a path relative to the configuration file's directory. */
static char *resolve_path(struct ctx *ctx, const char *path)
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
static char *read_file(const char *path, size_t max, size_t *len, char *why, size_t why_size)
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
        scrub_free(data, cap);
    }
    return NULL;
}

/*
 * Expands ${NAME} from the environment; "$${" writes a literal "${". Unset variables and
 * unterminated references are diagnostics (returns NULL).
 */
static char *expand_env(struct ctx *ctx, yaml_node_t *node, const char *path, const char *text)
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
            diag(ctx, node, path, "unterminated ${ (write $${ for a literal ${)");
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
            diag(ctx, node, path, "invalid variable name \"%s\" in ${...}", var);
            ok = false;
        } else {
            const char *value = getenv(var);
            if (value == NULL) {
                diag(ctx, node, path, "environment variable %s is not set", var);
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

/* ---- the schema ---- */

enum kind {
    K_STRING,     /* non-empty string -> char * */
    K_STRING_ENV, /* non-empty string with ${VAR} expanded -> char * */
    K_PATH,       /* non-empty string, relative to the file's directory -> char * */
    K_SEEN,       /* non-empty string, only recorded (read by the section's check) */
    K_URL,        /* http:// or https:// URL -> char * */
    K_REGEX,      /* POSIX ERE, compiled anchored -> topic pattern + regex */
    K_INT,        /* integer within [min, max] -> long */
    K_ENUM,       /* one of choices (case-insensitive) -> int (enum) */
    K_LEVEL,      /* one of choices (case-insensitive) -> char * (canonical name) */
    K_KV,         /* mapping of string -> scalar, ${VAR} expanded -> struct br_kv array + count */
    K_EVENTS,     /* non-empty list of event patterns -> char ** + count */
    K_SECTION,    /* nested mapping whose keys are stored in the same struct */
    K_LIST,       /* non-empty list of mappings -> array of elem_size + count */
};

struct choice {
    const char *name;
    int value;
};

struct section;

struct key_spec {
    const char *key;
    enum kind kind;
    size_t offset;               /* the field in the section's struct */
    size_t count_offset;         /* K_KV, K_EVENTS, K_LIST: the count field */
    bool required;
    long def;                    /* K_INT, K_ENUM default */
    const char *def_str;         /* K_LEVEL default */
    long min;                    /* K_INT bounds */
    long max;
    const struct choice *choices; /* K_ENUM, K_LEVEL: terminated by a NULL name */
    const struct section *sub;   /* K_SECTION, K_LIST */
    size_t elem_size;            /* K_LIST */
    /* K_KV: checks one entry; reports and returns false when it is refused */
    bool (*kv_check)(struct ctx *ctx, yaml_node_t *key_node, const char *key,
                     yaml_node_t *value_node, const char *value, const char *path);
    const char *doc;
};

typedef void (*check_fn)(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                         yaml_node_t **seen, size_t index);

struct section {
    const struct key_spec *keys;
    size_t count;
    check_fn check; /* cross-key validation after the walk, or NULL */
};

#define FIELD(type, member) offsetof(type, member)

static const struct choice format_choices[] = {
    {"confluent", BR_FORMAT_CONFLUENT}, {"avro", BR_FORMAT_AVRO}, {NULL, 0}};
static const struct choice snapshot_choices[] = {
    {"skip", BR_SNAPSHOT_SKIP}, {"created", BR_SNAPSHOT_CREATED}, {NULL, 0}};
static const struct choice method_choices[] = {
    {"POST", BR_METHOD_POST}, {"GET", BR_METHOD_GET}, {NULL, 0}};
static const struct choice level_choices[] = {
    {"error", 0}, {"warn", 1}, {"info", 2}, {"debug", 3}, {NULL, 0}};

static bool kafka_prop_check(struct ctx *ctx, yaml_node_t *key_node, const char *key,
                             yaml_node_t *value_node, const char *value, const char *path);
static bool header_check(struct ctx *ctx, yaml_node_t *key_node, const char *key,
                         yaml_node_t *value_node, const char *value, const char *path);
static void topic_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index);
static void hook_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);
static void delivery_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                           yaml_node_t **seen, size_t index);
static void root_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const struct key_spec kafka_keys[] = {
    {.key = "brokers", .kind = K_STRING, .offset = FIELD(struct br_conf, brokers),
     .required = true, .doc = "bootstrap brokers, host:port[,host:port...]"},
    {.key = "group_id", .kind = K_STRING, .offset = FIELD(struct br_conf, group_id),
     .required = true, .doc = "consumer group id; no default"},
    {.key = "properties", .kind = K_KV, .offset = FIELD(struct br_conf, kafka_props),
     .count_offset = FIELD(struct br_conf, kafka_prop_count), .kv_check = kafka_prop_check,
     .doc = "librdkafka properties, passed through as written"},
};
static const struct section kafka_section = {kafka_keys, COUNT(kafka_keys), NULL};

static const struct key_spec registry_keys[] = {
    {.key = "url", .kind = K_URL, .offset = FIELD(struct br_conf, registry_url),
     .required = true, .doc = "Schema Registry base URL"},
    {.key = "username", .kind = K_STRING_ENV, .offset = FIELD(struct br_conf, registry_username),
     .doc = "basic-auth user, ${VAR} expanded"},
    {.key = "password", .kind = K_STRING_ENV, .offset = FIELD(struct br_conf, registry_password),
     .doc = "basic-auth password, ${VAR} expanded"},
    {.key = "ca_file", .kind = K_PATH, .offset = FIELD(struct br_conf, registry_ca_file),
     .doc = "CA bundle for TLS"},
};
static const struct section registry_section = {registry_keys, COUNT(registry_keys), NULL};

enum { TOPIC_NAME, TOPIC_PATTERN, TOPIC_RESOURCE, TOPIC_FORMAT, TOPIC_SCHEMA, TOPIC_SNAPSHOT };
static const struct key_spec topic_keys[] = {
    [TOPIC_NAME] = {.key = "name", .kind = K_STRING, .offset = FIELD(struct br_conf_topic, name),
                    .doc = "exact topic name"},
    [TOPIC_PATTERN] = {.key = "pattern", .kind = K_REGEX,
                       .doc = "POSIX extended regex over topic names, anchored"},
    [TOPIC_RESOURCE] = {.key = "resource", .kind = K_STRING,
                        .offset = FIELD(struct br_conf_topic, resource),
                        .doc = "PERSCOM resource; default from the table name"},
    [TOPIC_FORMAT] = {.key = "format", .kind = K_ENUM,
                      .offset = FIELD(struct br_conf_topic, format), .def = BR_FORMAT_CONFLUENT,
                      .choices = format_choices, .doc = "message encoding"},
    [TOPIC_SCHEMA] = {.key = "schema", .kind = K_PATH,
                      .offset = FIELD(struct br_conf_topic, schema_path),
                      .doc = "Avro schema file for format avro"},
    [TOPIC_SNAPSHOT] = {.key = "snapshot", .kind = K_ENUM,
                        .offset = FIELD(struct br_conf_topic, snapshot), .def = BR_SNAPSHOT_SKIP,
                        .choices = snapshot_choices, .doc = "what snapshot reads become"},
};
static const struct section topic_section = {topic_keys, COUNT(topic_keys), topic_check};

enum { HOOK_NAME, HOOK_URL, HOOK_METHOD, HOOK_SECRET, HOOK_SECRET_FILE, HOOK_EVENTS };
static const struct key_spec hook_keys[] = {
    [HOOK_NAME] = {.key = "name", .kind = K_STRING, .offset = FIELD(struct br_conf_hook, name),
                   .required = true, .doc = "unique hook name"},
    [HOOK_URL] = {.key = "url", .kind = K_URL, .offset = FIELD(struct br_conf_hook, url),
                  .required = true, .doc = "receiver URL"},
    [HOOK_METHOD] = {.key = "method", .kind = K_ENUM,
                     .offset = FIELD(struct br_conf_hook, method), .def = BR_METHOD_POST,
                     .choices = method_choices, .doc = "HTTP method"},
    [HOOK_SECRET] = {.key = "secret", .kind = K_STRING_ENV,
                     .offset = FIELD(struct br_conf_hook, secret), .doc = "signing secret"},
    [HOOK_SECRET_FILE] = {.key = "secret_file", .kind = K_SEEN,
                          .doc = "file holding the signing secret"},
    [HOOK_EVENTS] = {.key = "events", .kind = K_EVENTS,
                     .offset = FIELD(struct br_conf_hook, events),
                     .count_offset = FIELD(struct br_conf_hook, event_count), .required = true,
                     .doc = "subscribed events and wildcards"},
    {.key = "timeout_ms", .kind = K_INT, .offset = FIELD(struct br_conf_hook, timeout_ms),
     .def = 3000, .min = 1, .max = 600000, .doc = "whole-request timeout"},
    {.key = "headers", .kind = K_KV, .offset = FIELD(struct br_conf_hook, headers),
     .count_offset = FIELD(struct br_conf_hook, header_count), .kv_check = header_check,
     .doc = "extra request headers"},
};
static const struct section hook_section = {hook_keys, COUNT(hook_keys), hook_check};

enum { DELIVERY_BACKOFF_INITIAL, DELIVERY_BACKOFF_MAX };
static const struct key_spec delivery_keys[] = {
    [DELIVERY_BACKOFF_INITIAL] = {.key = "backoff_initial_ms", .kind = K_INT,
                                  .offset = FIELD(struct br_conf, backoff_initial_ms),
                                  .def = 500, .min = 1, .max = 3600000,
                                  .doc = "first retry delay"},
    [DELIVERY_BACKOFF_MAX] = {.key = "backoff_max_ms", .kind = K_INT,
                              .offset = FIELD(struct br_conf, backoff_max_ms), .def = 60000,
                              .min = 1, .max = 86400000, .doc = "longest retry delay"},
    {.key = "max_in_flight", .kind = K_INT, .offset = FIELD(struct br_conf, max_in_flight),
     .def = 64, .min = 1, .max = 1024, .doc = "HTTP requests at once"},
    {.key = "commit_interval_ms", .kind = K_INT,
     .offset = FIELD(struct br_conf, commit_interval_ms), .def = 1000, .min = 1, .max = 3600000,
     .doc = "offset commit period"},
    {.key = "shutdown_grace_ms", .kind = K_INT,
     .offset = FIELD(struct br_conf, shutdown_grace_ms), .def = 10000, .min = 0, .max = 3600000,
     .doc = "time to finish in-flight work on SIGTERM"},
    {.key = "partition_window", .kind = K_INT, .offset = FIELD(struct br_conf, partition_window),
     .def = 1000, .min = 1, .max = 1000000, .doc = "undelivered messages per partition"},
};
static const struct section delivery_section = {delivery_keys, COUNT(delivery_keys),
                                                delivery_check};

enum { ROOT_KAFKA, ROOT_REGISTRY, ROOT_TOPICS, ROOT_HOOKS, ROOT_DELIVERY, ROOT_LOG_LEVEL };
static const struct key_spec root_keys[] = {
    [ROOT_KAFKA] = {.key = "kafka", .kind = K_SECTION, .sub = &kafka_section, .required = true,
                    .doc = "the Kafka consumer"},
    [ROOT_REGISTRY] = {.key = "schema_registry", .kind = K_SECTION, .sub = &registry_section,
                       .doc = "Confluent Schema Registry"},
    [ROOT_TOPICS] = {.key = "topics", .kind = K_LIST, .offset = FIELD(struct br_conf, topics),
                     .count_offset = FIELD(struct br_conf, topic_count), .required = true,
                     .sub = &topic_section, .elem_size = sizeof(struct br_conf_topic),
                     .doc = "record-change topics"},
    [ROOT_HOOKS] = {.key = "hooks", .kind = K_LIST, .offset = FIELD(struct br_conf, hooks),
                    .count_offset = FIELD(struct br_conf, hook_count), .required = true,
                    .sub = &hook_section, .elem_size = sizeof(struct br_conf_hook),
                    .doc = "webhook receivers"},
    [ROOT_DELIVERY] = {.key = "delivery", .kind = K_SECTION, .sub = &delivery_section,
                       .doc = "retry, window and commit tuning"},
    [ROOT_LOG_LEVEL] = {.key = "log_level", .kind = K_LEVEL,
                        .offset = FIELD(struct br_conf, log_level), .def_str = "info",
                        .choices = level_choices, .doc = "log verbosity"},
};
static const struct section root_section = {root_keys, COUNT(root_keys), root_check};

#define AT(base, offset, type) ((type *)(void *)((char *)(base) + (offset)))

/* ---- the walker ---- */

static void walk_mapping(struct ctx *ctx, yaml_node_t *map, const char *path,
                         const struct section *section, void *base, size_t index);

static void apply_defaults(const struct section *section, void *base)
{
    for (size_t i = 0; i < section->count; i++) {
        const struct key_spec *spec = &section->keys[i];

        switch (spec->kind) {
        case K_INT:
            *AT(base, spec->offset, long) = spec->def;
            break;
        case K_ENUM:
            *AT(base, spec->offset, int) = (int)spec->def;
            break;
        case K_LEVEL:
            *AT(base, spec->offset, char *) = xstrdup(spec->def_str);
            break;
        case K_SECTION:
            apply_defaults(spec->sub, base);
            break;
        default:
            break;
        }
    }
}

static const struct choice *find_choice(const struct choice *choices, const char *text)
{
    for (size_t i = 0; choices[i].name != NULL; i++) {
        if (strcasecmp(choices[i].name, text) == 0) {
            return &choices[i];
        }
    }
    return NULL;
}

/* True when node is absent or names one of choices (false after a bad value, already reported). */
static bool choice_given(const yaml_node_t *node, const struct choice *choices)
{
    if (node == NULL) {
        return true;
    }
    return node->type == YAML_SCALAR_NODE &&
           find_choice(choices, (const char *)node->data.scalar.value) != NULL;
}

static void bad_choice(struct ctx *ctx, yaml_node_t *node, const char *path,
                       const struct choice *choices, const char *text)
{
    struct br_buf list;

    br_buf_init(&list, 0);
    for (size_t i = 0; choices[i].name != NULL; i++) {
        br_buf_printf(&list, "%s%s", i > 0 ? ", " : "", choices[i].name);
    }
    diag(ctx, node, path, "must be one of %s, got \"%s\"", list.data, text);
    br_buf_finish(&list);
}

static void parse_int(struct ctx *ctx, yaml_node_t *node, const char *path,
                      const struct key_spec *spec, long *out)
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
        diag(ctx, node, path, "expected an integer, got \"%s\"", text);
        return;
    }
    if (errno == ERANGE || value < spec->min || value > spec->max) {
        diag(ctx, node, path, "must be between %ld and %ld, got %s", spec->min, spec->max, text);
        return;
    }
    *out = value;
}

static void parse_url(struct ctx *ctx, yaml_node_t *node, const char *path, char **out)
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
        diag(ctx, node, path, "must be an http:// or https:// URL with a host, got \"%s\"", text);
        return;
    }
    for (const char *c = text; *c != '\0'; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            diag(ctx, node, path, "must not contain spaces or control characters");
            return;
        }
    }
    *out = xstrdup(text);
}

static void parse_regex(struct ctx *ctx, yaml_node_t *node, const char *path,
                        struct br_conf_topic *topic)
{
    const char *text = string_text(ctx, node, path);
    struct br_buf anchored;

    if (text == NULL) {
        return;
    }
    br_buf_init(&anchored, 0);
    br_buf_printf(&anchored, "^(%s)$", text);
    int rc = regcomp(&topic->regex, anchored.data, REG_EXTENDED | REG_NOSUB);
    br_buf_finish(&anchored);
    if (rc != 0) {
        char why[256];

        regerror(rc, &topic->regex, why, sizeof(why));
        diag(ctx, node, path, "invalid regular expression: %s", why);
        return;
    }
    topic->pattern = xstrdup(text);
}

/* Checks that the items of a K_KV mapping are scalars with distinct keys, then stores them. */
static void parse_kv(struct ctx *ctx, yaml_node_t *node, const char *path,
                     const struct key_spec *spec, void *base)
{
    struct br_kv **entries = AT(base, spec->offset, struct br_kv *);
    size_t *count = AT(base, spec->count_offset, size_t);

    if (node->type != YAML_MAPPING_NODE) {
        diag(ctx, node, path, "expected a mapping, got %s", node_kind(node));
        return;
    }
    size_t total = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    *entries = xcalloc(total, sizeof(**entries));
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_pair_t *pair = &node->data.mapping.pairs.start[i];
        yaml_node_t *key_node = node_at(ctx, pair->key);
        yaml_node_t *value_node = node_at(ctx, pair->value);
        char sub[PATH_MAX_LEN];

        const char *key = string_text(ctx, key_node, path);
        if (key == NULL) {
            continue;
        }
        path_join(sub, sizeof(sub), path, key);
        bool duplicate = false;
        for (size_t j = 0; j < i && !duplicate; j++) {
            yaml_node_t *other = node_at(ctx, node->data.mapping.pairs.start[j].key);

            if (other->type == YAML_SCALAR_NODE &&
                strcasecmp((const char *)other->data.scalar.value, key) == 0) {
                diag(ctx, key_node, sub, "duplicate key (first at line %zu, column %zu)",
                     (size_t)other->start_mark.line + 1, (size_t)other->start_mark.column + 1);
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
        if (!spec->kv_check(ctx, key_node, key, value_node, expanded, sub)) {
            scrub_free_str(expanded);
            continue;
        }
        (*entries)[*count].key = xstrdup(key);
        (*entries)[*count].value = expanded;
        (*count)++;
    }
}

/* The item count of a non-empty list; 0 (with a diagnostic) for anything else. */
static size_t list_length(struct ctx *ctx, yaml_node_t *node, const char *path)
{
    size_t total;

    if (node->type != YAML_SEQUENCE_NODE) {
        diag(ctx, node, path, "expected a list, got %s", node_kind(node));
        return 0;
    }
    total = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (total == 0) {
        diag(ctx, node, path, "must not be empty");
    }
    return total;
}

static void parse_events(struct ctx *ctx, yaml_node_t *node, const char *path,
                         const struct key_spec *spec, void *base)
{
    char ***events = AT(base, spec->offset, char **);
    size_t *count = AT(base, spec->count_offset, size_t);

    size_t total = list_length(ctx, node, path);
    if (total == 0) {
        return;
    }
    *events = xcalloc(total, sizeof(**events));
    *count = 0;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = node_at(ctx, node->data.sequence.items.start[i]);
        char sub[PATH_MAX_LEN];

        path_index(sub, sizeof(sub), path, i);
        const char *text = string_text(ctx, item, sub);
        if (text == NULL) {
            continue;
        }
        if (!br_catalog_pattern_valid(text)) {
            diag(ctx, item, sub,
                 "unknown event \"%s\" (use <resource>.<created|updated|deleted>, "
                 "<resource>.*, *.<action> or *)",
                 text);
            continue;
        }
        (*events)[(*count)++] = xstrdup(text);
    }
}

static void parse_list(struct ctx *ctx, yaml_node_t *node, const char *path,
                       const struct key_spec *spec, void *base)
{
    char **array = AT(base, spec->offset, char *);
    size_t *count = AT(base, spec->count_offset, size_t);

    size_t total = list_length(ctx, node, path);
    if (total == 0) {
        return;
    }
    /* published before the walk so that destroy frees whatever the items hold */
    *array = xcalloc(total, spec->elem_size);
    *count = total;
    for (size_t i = 0; i < total; i++) {
        yaml_node_t *item = node_at(ctx, node->data.sequence.items.start[i]);
        void *elem = *array + i * spec->elem_size;
        char sub[PATH_MAX_LEN];

        path_index(sub, sizeof(sub), path, i);
        apply_defaults(spec->sub, elem);
        walk_mapping(ctx, item, sub, spec->sub, elem, i);
    }
}

static void parse_value(struct ctx *ctx, yaml_node_t *node, const char *path,
                        const struct key_spec *spec, void *base, size_t index)
{
    const char *text;

    switch (spec->kind) {
    case K_STRING:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = xstrdup(text);
        }
        break;
    case K_STRING_ENV:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = expand_env(ctx, node, path, text);
        }
        break;
    case K_PATH:
        text = string_text(ctx, node, path);
        if (text != NULL) {
            *AT(base, spec->offset, char *) = resolve_path(ctx, text);
        }
        break;
    case K_SEEN:
        string_text(ctx, node, path);
        break;
    case K_URL:
        parse_url(ctx, node, path, AT(base, spec->offset, char *));
        break;
    case K_REGEX:
        parse_regex(ctx, node, path, base);
        break;
    case K_INT:
        parse_int(ctx, node, path, spec, AT(base, spec->offset, long));
        break;
    case K_ENUM:
    case K_LEVEL:
        text = scalar_text(ctx, node, path, "a string");
        if (text != NULL) {
            const struct choice *choice = find_choice(spec->choices, text);

            if (choice == NULL) {
                bad_choice(ctx, node, path, spec->choices, text);
            } else if (spec->kind == K_ENUM) {
                *AT(base, spec->offset, int) = choice->value;
            } else {
                char **level = AT(base, spec->offset, char *);

                free(*level);
                *level = xstrdup(choice->name);
            }
        }
        break;
    case K_KV:
        parse_kv(ctx, node, path, spec, base);
        break;
    case K_EVENTS:
        parse_events(ctx, node, path, spec, base);
        break;
    case K_SECTION:
        walk_mapping(ctx, node, path, spec->sub, base, index);
        break;
    case K_LIST:
        parse_list(ctx, node, path, spec, base);
        break;
    }
}

static void unknown_key(struct ctx *ctx, yaml_node_t *node, const char *path,
                        const struct section *section)
{
    struct br_buf list;

    br_buf_init(&list, 0);
    for (size_t i = 0; i < section->count; i++) {
        br_buf_printf(&list, "%s%s", i > 0 ? ", " : "", section->keys[i].key);
    }
    diag(ctx, node, path, "unknown key (expected one of %s)", list.data);
    br_buf_finish(&list);
}

static void walk_mapping(struct ctx *ctx, yaml_node_t *map, const char *path,
                         const struct section *section, void *base, size_t index)
{
    yaml_node_t **seen = NULL;

    if (map->type != YAML_MAPPING_NODE) {
        diag(ctx, map, path[0] != '\0' ? path : "(document)", "expected a mapping, got %s",
             node_kind(map));
        return;
    }
    seen = xcalloc(section->count, sizeof(*seen));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = node_at(ctx, pair->key);
        yaml_node_t *value_node = node_at(ctx, pair->value);
        char sub[PATH_MAX_LEN];
        size_t i;

        if (key_node->type != YAML_SCALAR_NODE || is_null(key_node)) {
            diag(ctx, key_node, path[0] != '\0' ? path : "(document)",
                 "keys must be strings, got %s", node_kind(key_node));
            continue;
        }
        const char *key = (const char *)key_node->data.scalar.value;
        path_join(sub, sizeof(sub), path, key);
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
            diag(ctx, key_node, sub, "duplicate key (first at line %zu, column %zu)",
                 (size_t)seen[i]->start_mark.line + 1, (size_t)seen[i]->start_mark.column + 1);
            continue;
        }
        /* seen holds the value node: checks report at the value */
        seen[i] = value_node;
        parse_value(ctx, value_node, sub, &section->keys[i], base, index);
    }
    for (size_t i = 0; i < section->count; i++) {
        if (section->keys[i].required && seen[i] == NULL) {
            char sub[PATH_MAX_LEN];

            path_join(sub, sizeof(sub), path, section->keys[i].key);
            diag(ctx, map, sub, "required key is missing");
        }
    }
    if (section->check != NULL) {
        section->check(ctx, map, path, base, seen, index);
    }
    free(seen);
}

/* ---- cross-key checks ---- */

static bool kafka_prop_check(struct ctx *ctx, yaml_node_t *key_node, const char *key,
                             yaml_node_t *value_node, const char *value, const char *path)
{
    static const struct {
        const char *property;
        const char *why;
    } reserved[] = {
        {"group.id", "set kafka.group_id instead"},
        {"bootstrap.servers", "set kafka.brokers instead"},
        {"metadata.broker.list", "set kafka.brokers instead"},
        {"enable.auto.commit", "the bridge commits offsets itself, after delivery"},
        {"enable.auto.offset.store", "the bridge stores offsets itself, after delivery"},
    };

    for (size_t i = 0; i < COUNT(reserved); i++) {
        if (strcmp(key, reserved[i].property) == 0) {
            diag(ctx, key_node, path, "cannot be set here: %s", reserved[i].why);
            return false;
        }
    }
    return true;
}

static bool header_check(struct ctx *ctx, yaml_node_t *key_node, const char *key,
                         yaml_node_t *value_node, const char *value, const char *path)
{
    static const char *const reserved[] = {"Signature", "Content-Type", "User-Agent"};

    for (size_t i = 0; i < COUNT(reserved); i++) {
        if (strcasecmp(key, reserved[i]) == 0) {
            diag(ctx, key_node, path, "header %s is set by the bridge and cannot be overridden",
                 reserved[i]);
            return false;
        }
    }
    for (const char *c = key; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr("!#$%&'*+-.^_`|~", *c) == NULL) {
            diag(ctx, key_node, path, "not a valid HTTP header name");
            return false;
        }
    }
    for (const char *c = value; *c != '\0'; c++) {
        if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f) {
            diag(ctx, value_node, path, "header value must not contain control characters");
            return false;
        }
    }
    return true;
}

static void topic_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index)
{
    struct br_conf_topic *topic = base;
    char sub[PATH_MAX_LEN];

    if (seen[TOPIC_NAME] == NULL && seen[TOPIC_PATTERN] == NULL) {
        diag(ctx, map, path, "one of name or pattern is required");
    } else if (seen[TOPIC_NAME] != NULL && seen[TOPIC_PATTERN] != NULL) {
        path_join(sub, sizeof(sub), path, "pattern");
        diag(ctx, seen[TOPIC_PATTERN], sub, "cannot be combined with name");
    }
    if (topic->resource != NULL) {
        if (br_catalog_by_name(topic->resource) == NULL) {
            path_join(sub, sizeof(sub), path, "resource");
            diag(ctx, seen[TOPIC_RESOURCE], sub, "unknown resource \"%s\"", topic->resource);
        }
    } else if (topic->name != NULL && br_catalog_from_topic(topic->name) == NULL) {
        const char *dot = strrchr(topic->name, '.');

        path_join(sub, sizeof(sub), path, "name");
        diag(ctx, seen[TOPIC_NAME], sub,
             "\"%s\" is not a PERSCOM table; set resource for this topic",
             dot != NULL ? dot + 1 : topic->name);
    }
    if (topic->format == BR_FORMAT_AVRO) {
        if (seen[TOPIC_SCHEMA] == NULL) {
            path_join(sub, sizeof(sub), path, "schema");
            diag(ctx, map, sub, "required when format is avro");
        }
    } else if (seen[TOPIC_SCHEMA] != NULL && choice_given(seen[TOPIC_FORMAT], format_choices)) {
        path_join(sub, sizeof(sub), path, "schema");
        diag(ctx, seen[TOPIC_SCHEMA], sub, "only allowed when format is avro");
        return;
    }
    if (topic->schema_path != NULL && topic->format == BR_FORMAT_AVRO) {
        char why[256];
        size_t len = 0;
        json_error_t error;

        path_join(sub, sizeof(sub), path, "schema");
        topic->schema_json = read_file(topic->schema_path, SCHEMA_FILE_MAX, &len, why,
                                       sizeof(why));
        if (topic->schema_json == NULL) {
            diag(ctx, seen[TOPIC_SCHEMA], sub, "cannot read %s: %s", topic->schema_path, why);
            return;
        }
        json_t *json = json_loadb(topic->schema_json, len, JSON_DECODE_ANY, &error);
        if (json == NULL) {
            diag(ctx, seen[TOPIC_SCHEMA], sub, "%s:%d:%d: invalid JSON: %s", topic->schema_path,
                 error.line, error.column, error.text);
            return;
        }
        json_decref(json);
    }
}

static void hook_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;
    char sub[PATH_MAX_LEN];

    if (seen[HOOK_SECRET] == NULL && seen[HOOK_SECRET_FILE] == NULL) {
        path_join(sub, sizeof(sub), path, "secret");
        diag(ctx, map, sub, "required key is missing (or set secret_file)");
    } else if (seen[HOOK_SECRET] != NULL && seen[HOOK_SECRET_FILE] != NULL) {
        path_join(sub, sizeof(sub), path, "secret_file");
        diag(ctx, seen[HOOK_SECRET_FILE], sub, "cannot be combined with secret");
    } else if (hook->secret != NULL) {
        hook->secret_len = strlen(hook->secret);
        if (hook->secret_len == 0) {
            path_join(sub, sizeof(sub), path, "secret");
            diag(ctx, seen[HOOK_SECRET], sub, "is empty after ${VAR} expansion");
        }
    } else if (seen[HOOK_SECRET_FILE] != NULL && seen[HOOK_SECRET_FILE]->type == YAML_SCALAR_NODE &&
               !is_null(seen[HOOK_SECRET_FILE]) &&
               seen[HOOK_SECRET_FILE]->data.scalar.value[0] != '\0') {
        char *file = resolve_path(ctx, (const char *)seen[HOOK_SECRET_FILE]->data.scalar.value);
        char why[256];
        size_t len = 0;

        path_join(sub, sizeof(sub), path, "secret_file");
        char *secret = read_file(file, SECRET_FILE_MAX, &len, why, sizeof(why));
        if (secret == NULL) {
            diag(ctx, seen[HOOK_SECRET_FILE], sub, "cannot read %s: %s", file, why);
        } else {
            if (len > 0 && secret[len - 1] == '\n') {
                secret[--len] = '\0';
            }
            if (len == 0) {
                diag(ctx, seen[HOOK_SECRET_FILE], sub, "%s is empty", file);
            }
            hook->secret = secret;
            hook->secret_len = len;
        }
        free(file);
    }
}

static void delivery_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                           yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    if (conf->backoff_max_ms < conf->backoff_initial_ms) {
        char sub[PATH_MAX_LEN];
        yaml_node_t *node = seen[DELIVERY_BACKOFF_MAX];

        path_join(sub, sizeof(sub), path, node != NULL ? "backoff_max_ms" : "backoff_initial_ms");
        if (node == NULL) {
            node = seen[DELIVERY_BACKOFF_INITIAL];
        }
        diag(ctx, node, sub, "backoff_max_ms (%ld) must be at least backoff_initial_ms (%ld)",
             conf->backoff_max_ms, conf->backoff_initial_ms);
    }
}

/* The value node of key in map, or NULL. */
static yaml_node_t *map_get(struct ctx *ctx, yaml_node_t *map, const char *key)
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
static void unique_names(struct ctx *ctx, yaml_node_t *list, const char *path, const char *what,
                         const char *member, char *const *names, size_t name_stride,
                         size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = *(char *const *)(void *)((const char *)names + i * name_stride);

        for (size_t j = 0; name != NULL && j < i; j++) {
            const char *other = *(char *const *)(void *)((const char *)names + j * name_stride);

            if (other != NULL && strcmp(name, other) == 0) {
                char sub[PATH_MAX_LEN];
                yaml_node_t *item = node_at(ctx, list->data.sequence.items.start[i]);

                snprintf(sub, sizeof(sub), "%s[%zu].%s", path, i, member);
                diag(ctx, map_get(ctx, item, member), sub,
                     "duplicate %s \"%s\" (also %s[%zu])", what, name, path, j);
                break;
            }
        }
    }
}

static void root_check(struct ctx *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;

    if (seen[ROOT_REGISTRY] == NULL) {
        for (size_t i = 0; i < conf->topic_count; i++) {
            if (conf->topics[i].format == BR_FORMAT_CONFLUENT) {
                diag(ctx, map, "schema_registry",
                     "required key is missing (topics[%zu] has format confluent)", i);
                break;
            }
        }
    }
    if (conf->hook_count > 0) {
        unique_names(ctx, seen[ROOT_HOOKS], "hooks", "hook name", "name",
                     (char *const *)(void *)&conf->hooks[0].name, sizeof(conf->hooks[0]),
                     conf->hook_count);
    }
    if (conf->topic_count > 0) {
        unique_names(ctx, seen[ROOT_TOPICS], "topics", "topic", "name",
                     (char *const *)(void *)&conf->topics[0].name, sizeof(conf->topics[0]),
                     conf->topic_count);
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

static void syntax_error(struct ctx *ctx, yaml_parser_t *parser)
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

static void copy_diags(struct ctx *ctx, char *errstr, size_t errstr_size)
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

struct br_conf *br_conf_load(const char *path, char *errstr, size_t errstr_size)
{
    struct ctx ctx;
    struct br_conf *conf = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool parser_ready = false;
    bool doc_ready = false;
    char *text = NULL;
    size_t text_len = 0;
    char why[256];

    memset(&ctx, 0, sizeof(ctx));
    ctx.file = path;
    br_buf_init(&ctx.diags, 0);
    if (errstr != NULL && errstr_size > 0) {
        errstr[0] = '\0';
    }
    text = read_file(path, CONF_FILE_MAX, &text_len, why, sizeof(why));
    if (text == NULL) {
        if (errstr != NULL && errstr_size > 0) {
            snprintf(errstr, errstr_size, "%s: cannot open: %s", path, why);
        }
        goto fail;
    }
    ctx.dir = dir_of(path);
    conf = xcalloc(1, sizeof(*conf));
    conf->path = xstrdup(path);
    apply_defaults(&root_section, conf);

    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    parser_ready = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, text_len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&ctx, &parser);
        goto fail;
    }
    doc_ready = true;
    ctx.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        diag_at(&ctx, 1, 1, "(document)", "the file is empty");
        goto fail;
    }
    {
        yaml_document_t next;

        if (!yaml_parser_load(&parser, &next)) {
            syntax_error(&ctx, &parser);
        } else {
            yaml_node_t *next_root = yaml_document_get_root_node(&next);

            if (next_root != NULL) {
                diag(&ctx, next_root, "(document)", "only one YAML document is allowed");
            }
            scrub_document(&next);
            yaml_document_delete(&next);
        }
    }
    walk_mapping(&ctx, root, "", &root_section, conf, 0);
    if (ctx.diag_count > 0) {
        goto fail;
    }
    scrub_document(&doc);
    yaml_document_delete(&doc);
    scrub_parser(&parser);
    yaml_parser_delete(&parser);
    scrub_free(text, text_len);
    free(ctx.dir);
    br_buf_finish(&ctx.diags);
    return conf;

fail:
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
        scrub_free(text, text_len);
    }
    free(ctx.dir);
    br_buf_finish(&ctx.diags);
    br_conf_destroy(conf);
    return NULL;
}

static void free_kv(struct br_kv *entries, size_t count)
{
    for (size_t i = 0; entries != NULL && i < count; i++) {
        free(entries[i].key);
        /* values may carry credentials (sasl.password, Authorization) */
        scrub_free_str(entries[i].value);
    }
    free(entries);
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
    scrub_free_str(conf->registry_username);
    scrub_free_str(conf->registry_password);
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
        struct br_conf_hook *hook = &conf->hooks[i];

        free(hook->name);
        free(hook->url);
        if (hook->secret != NULL) {
            /* secret_len may be unset when loading failed before the hook's check */
            size_t len = hook->secret_len;
            if (len == 0) {
                len = strlen(hook->secret);
            }
            scrub_free(hook->secret, len);
        }
        for (size_t j = 0; hook->events != NULL && j < hook->event_count; j++) {
            free(hook->events[j]);
        }
        free(hook->events);
        free_kv(hook->headers, hook->header_count);
    }
    free(conf->hooks);
    free(conf->log_level);
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
