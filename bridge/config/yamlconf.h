#ifndef BR_YAMLCONF_H
#define BR_YAMLCONF_H
/*
 * A table-driven YAML configuration walker. A schema is a tree of sections, each a table of keys
 * (key, kind, field offset, default, bounds, required, doc); br_yamlconf_load() walks one YAML
 * document against it, stores the values into the caller's struct and collects every problem as
 * "file:line:col: key: message": unknown and duplicate keys, wrong types, missing required keys,
 * bad values. Knows nothing about what the configuration is for; cross-key rules are callbacks.
 * The values of each kind are parsed by yamlvalue.c.
 */
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#define BR_YAMLCONF_PATH_MAX 512 /* dotted key paths; a longer one is cut and ends in "..." */

/* The walk's context: the file, its directory, the document and the diagnostics so far. */
struct br_yamlconf;

enum br_yamlconf_kind {
    BR_YAMLCONF_STRING,      /* non-empty string -> char * */
    BR_YAMLCONF_STRING_ENV,  /* non-empty string with ${VAR} expanded -> char * */
    BR_YAMLCONF_PATH,        /* non-empty string, relative to the file's directory -> char * */
    BR_YAMLCONF_SEEN,        /* non-empty string, only recorded (read by the section's check) */
    BR_YAMLCONF_URL,         /* http:// or https:// URL -> char * */
    BR_YAMLCONF_REGEX,       /* POSIX ERE -> char * source + regex_t compiled anchored */
    BR_YAMLCONF_INT,         /* integer within [min, max] -> long */
    BR_YAMLCONF_ENUM,        /* one of choices (case-insensitive) -> int (enum) */
    BR_YAMLCONF_LEVEL,       /* one of choices (case-insensitive) -> char * (canonical name) */
    BR_YAMLCONF_KV,          /* string -> scalar mapping, ${VAR} expanded -> br_kv * + count */
    BR_YAMLCONF_STRING_LIST, /* non-empty list of strings passing item_check -> char ** + count;
                              * with env, each item ${VAR} expanded */
    BR_YAMLCONF_SECTION,     /* nested mapping whose keys are stored in the same struct */
    BR_YAMLCONF_LIST,        /* non-empty list of mappings -> array of elem_size + count */
};

struct br_yamlconf_choice {
    const char *name;
    int value;
};

struct br_yamlconf_section;

struct br_yamlconf_key {
    const char *key;
    enum br_yamlconf_kind kind;
    size_t offset;        /* the field in the section's struct */
    size_t count_offset;  /* KV, STRING_LIST, LIST: the size_t count field */
    size_t regex_offset;  /* REGEX: the regex_t field (offset is the char * source) */
    bool required;
    long def;             /* INT, ENUM default */
    const char *def_str;  /* LEVEL default */
    long min;             /* INT bounds */
    long max;
    const struct br_yamlconf_choice *choices; /* ENUM, LEVEL: terminated by a NULL name */
    const struct br_yamlconf_section *sub;    /* SECTION, LIST */
    size_t elem_size;                         /* LIST */
    bool env;                                 /* STRING_LIST: expand ${VAR} in each item */
    /* KV: checks one entry, value expanded; reports and returns false to refuse it (or NULL) */
    bool (*kv_check)(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                     yaml_node_t *value_node, const char *value, const char *path);
    /* STRING_LIST: checks one item; reports and returns false to refuse it (or NULL) */
    bool (*item_check)(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                       const char *path);
    const char *doc;
};

/*
 * Cross-key validation of one mapping after its walk. seen[i] is the value node of keys[i], or
 * NULL when the key was absent; index is the item's position when the mapping is a LIST item.
 */
typedef void (*br_yamlconf_check_fn)(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                                     void *base, yaml_node_t **seen, size_t index);

struct br_yamlconf_section {
    const struct br_yamlconf_key *keys;
    size_t count;
    br_yamlconf_check_fn check; /* or NULL */
};

/*
 * Everything the walk stores is heap memory that base then owns: each char * and array, each
 * br_kv key and value (values may be credentials: free them with br_file_scrub_free_str),
 * and a REGEX's regex_t, compiled (to regfree) exactly when its source pointer is non-NULL.
 * A LIST's array and count are published before its items are walked.
 */

/*
 * Reads path (at most max_size bytes), applies root's defaults to base, then walks the single
 * YAML document into base. Returns 0, or -1 with every diagnostic, one per line, in errstr
 * (truncated to errstr_size). Either way base owns whatever was stored into it (heap strings,
 * arrays, compiled regexes, also on failure); the caller frees it. Every scalar of the document
 * and the file's bytes are scrubbed before return.
 */
int br_yamlconf_load(const char *path, size_t max_size, const struct br_yamlconf_section *root,
                     void *base, char *errstr, size_t errstr_size);

/*
 * Stores section's defaults (INT, ENUM, LEVEL keys, nested SECTIONs) into base, as the walk does
 * before it reads a mapping: a struct built without YAML starts where a YAML one does.
 */
void br_yamlconf_apply_defaults(const struct br_yamlconf_section *section, void *base);

/* ---- for check callbacks (and the value parsers) ---- */

/* Reports "file:line:col: key: message" at node (its start; node NULL means 1:1). */
void br_yamlconf_diag(struct br_yamlconf *ctx, const yaml_node_t *node, const char *key,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes "path.key" (or "key" when path is "") into out, cut with "..." when too long. */
void br_yamlconf_path_join(char *out, size_t out_size, const char *path, const char *key);

/* Writes "path[index]" into out, cut with "..." when too long. */
void br_yamlconf_path_index(char *out, size_t out_size, const char *path, size_t index);

/* The node of item in the document being walked. */
yaml_node_t *br_yamlconf_node(struct br_yamlconf *ctx, yaml_node_item_t item);

/* True when node is a plain scalar null: "", "~", "null", "Null" or "NULL". */
bool br_yamlconf_is_null(const yaml_node_t *node);

/* path relative to the configuration file's directory; the caller frees the result. */
char *br_yamlconf_resolve_path(struct br_yamlconf *ctx, const char *path);

/*
 * Reports list items (a LIST of count structs of name_stride bytes from the first item's char *
 * member, the one named member) that repeat an earlier item's member: "duplicate what ...".
 */
void br_yamlconf_unique_names(struct br_yamlconf *ctx, yaml_node_t *list, const char *path,
                              const char *what, const char *member, char *const *names,
                              size_t name_stride, size_t count);

#endif
