/*
 * Unit tests of the YAML walker (yamlconf.c) and its value parsers (yamlvalue.c) with a schema
 * of their own, independent of the bridge's: every key kind stored and defaulted, and the exact
 * diagnostics of bad values, unknown, duplicate and missing keys. Documents are written to a
 * temporary directory; PATH keys resolve against it.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/conf.h" /* struct br_kv */
#include "config/file.h"
#include "config/yamlconf.h"
#include "config/yamlvalue.h"

#define ERR_SIZE 8192
#define FIELD(member) offsetof(struct doc, member)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct item {
    char *name;
    long weight;
};

struct doc {
    char *str;
    char *env;
    char *path;
    char *url;
    char *regex_src;
    regex_t regex;
    long num;
    int color;
    char *level;
    struct br_kv *kv;
    size_t kv_count;
    char **list;
    size_t list_count;
    struct item *items;
    size_t item_count;
    long depth;
    bool checked;     /* set by the root check */
    bool color_given; /* br_yamlvalue_choice_given, from the root check */
};

static const struct br_yamlconf_choice colors[] = {{"red", 1}, {"green", 2}, {NULL, 0}};
static const struct br_yamlconf_choice levels[] = {{"error", 0}, {"info", 1}, {NULL, 0}};

static bool kv_check(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                     yaml_node_t *value_node, const char *value, const char *path)
{
    if (strcmp(key, "bad") == 0) {
        br_yamlconf_diag(ctx, key_node, path, "refused key (value \"%s\")", value);
        return false;
    }
    return true;
}

static bool item_check(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                       const char *path)
{
    if (strcmp(text, "no") == 0) {
        br_yamlconf_diag(ctx, node, path, "refused item");
        return false;
    }
    return true;
}

enum { ROOT_COLOR = 5, ROOT_ITEMS = 10 };

static void root_check(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    struct doc *doc = base;

    doc->checked = true;
    doc->color_given = br_yamlvalue_choice_given(seen[ROOT_COLOR], colors);
    if (doc->item_count > 0) {
        br_yamlconf_unique_names(ctx, seen[ROOT_ITEMS], "items", "item name", "name",
                                 (char *const *)(void *)&doc->items[0].name,
                                 sizeof(doc->items[0]), doc->item_count);
    }
}

static const struct br_yamlconf_key item_keys[] = {
    {.key = "name", .kind = BR_YAMLCONF_STRING, .offset = offsetof(struct item, name),
     .required = true},
    {.key = "weight", .kind = BR_YAMLCONF_INT, .offset = offsetof(struct item, weight), .def = 1,
     .min = 0, .max = 9},
};
static const struct br_yamlconf_section item_section = {item_keys, COUNT(item_keys), NULL};

static const struct br_yamlconf_key nested_keys[] = {
    {.key = "depth", .kind = BR_YAMLCONF_INT, .offset = FIELD(depth), .def = 3, .min = 0,
     .max = 10},
};
static const struct br_yamlconf_section nested_section = {nested_keys, COUNT(nested_keys), NULL};

static const struct br_yamlconf_key root_keys[] = {
    {.key = "str", .kind = BR_YAMLCONF_STRING, .offset = FIELD(str), .required = true},
    {.key = "env", .kind = BR_YAMLCONF_STRING_ENV, .offset = FIELD(env)},
    {.key = "path", .kind = BR_YAMLCONF_PATH, .offset = FIELD(path)},
    {.key = "seen", .kind = BR_YAMLCONF_SEEN},
    {.key = "url", .kind = BR_YAMLCONF_URL, .offset = FIELD(url)},
    [ROOT_COLOR] = {.key = "color", .kind = BR_YAMLCONF_ENUM, .offset = FIELD(color), .def = 1,
                    .choices = colors},
    {.key = "regex", .kind = BR_YAMLCONF_REGEX, .offset = FIELD(regex_src),
     .regex_offset = FIELD(regex)},
    {.key = "num", .kind = BR_YAMLCONF_INT, .offset = FIELD(num), .def = 7, .min = -5,
     .max = 100},
    {.key = "level", .kind = BR_YAMLCONF_LEVEL, .offset = FIELD(level), .def_str = "info",
     .choices = levels},
    {.key = "kv", .kind = BR_YAMLCONF_KV, .offset = FIELD(kv), .count_offset = FIELD(kv_count),
     .kv_check = kv_check},
    [ROOT_ITEMS] = {.key = "items", .kind = BR_YAMLCONF_LIST, .offset = FIELD(items),
                    .count_offset = FIELD(item_count), .sub = &item_section,
                    .elem_size = sizeof(struct item)},
    {.key = "list", .kind = BR_YAMLCONF_STRING_LIST, .offset = FIELD(list),
     .count_offset = FIELD(list_count), .item_check = item_check},
    {.key = "nested", .kind = BR_YAMLCONF_SECTION, .sub = &nested_section},
};
static const struct br_yamlconf_section root_section = {root_keys, COUNT(root_keys), root_check};

static char dir[64];
static char file[128];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test-yamlconf-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(file, sizeof(file), "%s/t.yaml", dir);
    setenv("YAMLCONF_TEST_VAR", "from-env", 1);
    unsetenv("YAMLCONF_TEST_UNSET");
    unsetenv("YAMLCONF_TEST_UNSET2");
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    unlink(file);
    return rmdir(dir);
}

static void doc_free(struct doc *doc)
{
    free(doc->str);
    br_file_scrub_free_str(doc->env);
    free(doc->path);
    free(doc->url);
    if (doc->regex_src != NULL) {
        regfree(&doc->regex);
        free(doc->regex_src);
    }
    free(doc->level);
    for (size_t i = 0; doc->kv != NULL && i < doc->kv_count; i++) {
        free(doc->kv[i].key);
        br_file_scrub_free_str(doc->kv[i].value);
    }
    free(doc->kv);
    for (size_t i = 0; doc->list != NULL && i < doc->list_count; i++) {
        free(doc->list[i]);
    }
    free(doc->list);
    for (size_t i = 0; doc->items != NULL && i < doc->item_count; i++) {
        free(doc->items[i].name);
    }
    free(doc->items);
}

/* Writes text (len bytes) to the document file and loads it into doc. */
static int load(const char *text, size_t len, struct doc *doc, char *err, size_t err_size)
{
    FILE *out = fopen(file, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, len, out), len);
    assert_int_equal(fclose(out), 0);
    memset(doc, 0, sizeof(*doc));
    return br_yamlconf_load(file, 1 << 20, &root_section, doc, err, err_size);
}

static void test_good(void **state)
{
    static const char text[] = "str: hello\n"
                               "env: \"<${YAMLCONF_TEST_VAR}> $${literal}\"\n"
                               "path: sub/rel.txt\n"
                               "seen: anything\n"
                               "url: HTTPS://example.test:8443/x?y=1\n"
                               "color: GREEN\n"
                               "regex: \"ab|c.\"\n"
                               "num: -5\n"
                               "level: ERROR\n"
                               "kv: {Authorization: \"Bearer ${YAMLCONF_TEST_VAR}\", n: 3}\n"
                               "items:\n"
                               "  - name: one\n"
                               "  - {name: two, weight: 9}\n"
                               "list: [a, b]\n"
                               "nested: {depth: 0}\n";
    char err[ERR_SIZE] = "";
    char want_path[192];
    struct doc doc;

    (void)state;
    if (load(text, strlen(text), &doc, err, sizeof(err)) != 0) {
        fail_msg("did not load:\n%s", err);
    }
    assert_string_equal(err, "");
    assert_string_equal(doc.str, "hello");
    assert_string_equal(doc.env, "<from-env> ${literal}");
    snprintf(want_path, sizeof(want_path), "%s/sub/rel.txt", dir);
    assert_string_equal(doc.path, want_path);
    assert_string_equal(doc.url, "HTTPS://example.test:8443/x?y=1");
    assert_int_equal(doc.color, 2);
    assert_string_equal(doc.regex_src, "ab|c.");
    assert_int_equal(regexec(&doc.regex, "ab", 0, NULL, 0), 0);
    assert_int_equal(regexec(&doc.regex, "cz", 0, NULL, 0), 0);
    assert_int_equal(regexec(&doc.regex, "xab", 0, NULL, 0), REG_NOMATCH); /* anchored */
    assert_int_equal(regexec(&doc.regex, "abc", 0, NULL, 0), REG_NOMATCH);
    assert_int_equal(doc.num, -5);
    assert_string_equal(doc.level, "error"); /* the canonical name */
    assert_int_equal(doc.kv_count, 2);
    assert_string_equal(doc.kv[0].key, "Authorization");
    assert_string_equal(doc.kv[0].value, "Bearer from-env");
    assert_string_equal(doc.kv[1].key, "n");
    assert_string_equal(doc.kv[1].value, "3");
    assert_int_equal(doc.item_count, 2);
    assert_string_equal(doc.items[0].name, "one");
    assert_int_equal(doc.items[0].weight, 1); /* the item's default */
    assert_string_equal(doc.items[1].name, "two");
    assert_int_equal(doc.items[1].weight, 9);
    assert_int_equal(doc.list_count, 2);
    assert_string_equal(doc.list[0], "a");
    assert_string_equal(doc.list[1], "b");
    assert_int_equal(doc.depth, 0);
    assert_true(doc.checked);
    assert_true(doc.color_given);
    doc_free(&doc);
}

static void test_defaults(void **state)
{
    static const char text[] = "str: x\npath: /abs/file\n";
    char err[ERR_SIZE] = "";
    struct doc doc;

    (void)state;
    assert_int_equal(load(text, strlen(text), &doc, err, sizeof(err)), 0);
    assert_string_equal(doc.path, "/abs/file");
    assert_null(doc.env);
    assert_null(doc.url);
    assert_null(doc.regex_src);
    assert_int_equal(doc.num, 7);
    assert_int_equal(doc.color, 1);
    assert_string_equal(doc.level, "info");
    assert_int_equal(doc.depth, 3); /* a SECTION's defaults apply although it is absent */
    assert_null(doc.kv);
    assert_null(doc.list);
    assert_null(doc.items);
    assert_true(doc.checked);
    assert_true(doc.color_given); /* absent counts as given */
    doc_free(&doc);
}

static void test_bad(void **state)
{
    static const struct {
        const char *text;
        const char *want; /* "F" stands for the file's path */
    } cases[] = {
        {"str: \"\"\n", "F:1:6: str: must not be empty"},
        {"str: [a]\n", "F:1:6: str: expected a string, got a list"},
        {"str: {a: 1}\n", "F:1:6: str: expected a string, got a mapping"},
        {"str: ~\n", "F:1:6: str: expected a string, got null"},
        {"str:\n", "F:1:5: str: expected a string, got null"},
        {"str: \"a\\0b\"\n", "F:1:6: str: must not contain NUL bytes"},
        {"num: 1\n", "F:1:1: str: required key is missing"},
        {"str: a\nstr: b\n", "F:2:1: str: duplicate key (first at line 1, column 6)"},
        {"str: a\nzz: 1\n",
         "F:2:1: zz: unknown key (expected one of str, env, path, seen, url, color, regex, num, "
         "level, kv, items, list, nested)"},
        {"str: a\n[1]: 2\n", "F:2:1: (document): keys must be strings, got a list"},
        {"str: a\nnum: 1.5\n", "F:2:6: num: expected an integer, got \"1.5\""},
        {"str: a\nnum: 0x10\n", "F:2:6: num: expected an integer, got \"0x10\""},
        {"str: a\nnum: \" 5\"\n", "F:2:6: num: expected an integer, got \" 5\""},
        {"str: a\nnum: 101\n", "F:2:6: num: must be between -5 and 100, got 101"},
        {"str: a\nnum: -6\n", "F:2:6: num: must be between -5 and 100, got -6"},
        {"str: a\nnum: 99999999999999999999\n",
         "F:2:6: num: must be between -5 and 100, got 99999999999999999999"},
        {"str: a\nnum: [1]\n", "F:2:6: num: expected an integer, got a list"},
        {"str: a\nurl: ftp://x\n",
         "F:2:6: url: must be an http:// or https:// URL with a host, got \"ftp://x\""},
        {"str: a\nurl: http:///x\n",
         "F:2:6: url: must be an http:// or https:// URL with a host, got \"http:///x\""},
        {"str: a\nurl: \"http://a b\"\n",
         "F:2:6: url: must not contain spaces or control characters"},
        {"str: a\ncolor: blue\n", "F:2:8: color: must be one of red, green, got \"blue\""},
        {"str: a\nlevel: [x]\n", "F:2:8: level: expected a string, got a list"},
        {"str: a\nenv: \"${YAMLCONF_TEST_UNSET} ${YAMLCONF_TEST_UNSET2}\"\n",
         "F:2:6: env: environment variable YAMLCONF_TEST_UNSET is not set\n"
         "F:2:6: env: environment variable YAMLCONF_TEST_UNSET2 is not set"},
        {"str: a\nkv: [1]\n", "F:2:5: kv: expected a mapping, got a list"},
        {"str: a\nkv: {a: 1, A: 2}\n", "F:2:12: kv.A: duplicate key (first at line 2, column 6)"},
        {"str: a\nkv: {bad: v}\n", "F:2:6: kv.bad: refused key (value \"v\")"},
        {"str: a\nkv: {a: [1]}\n", "F:2:9: kv.a: expected a scalar, got a list"},
        {"str: a\nkv: {\"\": 1}\n", "F:2:6: kv: must not be empty"},
        {"str: a\nkv: {a: \"${YAMLCONF_TEST_UNSET}\"}\n",
         "F:2:9: kv.a: environment variable YAMLCONF_TEST_UNSET is not set"},
        {"str: a\nlist: []\n", "F:2:7: list: must not be empty"},
        {"str: a\nlist: x\n", "F:2:7: list: expected a list, got a scalar"},
        {"str: a\nlist: [a, no, \"\"]\n",
         "F:2:11: list[1]: refused item\nF:2:15: list[2]: must not be empty"},
        {"str: a\nitems: [5]\n", "F:2:9: items[0]: expected a mapping, got a scalar"},
        {"str: a\nitems: [{weight: 3}]\n", "F:2:9: items[0].name: required key is missing"},
        {"str: a\nitems: [{name: x, weight: 10}]\n",
         "F:2:27: items[0].weight: must be between 0 and 9, got 10"},
        {"str: a\nitems: [{name: x}, {name: y}, {name: x}]\n",
         "F:2:38: items[2].name: duplicate item name \"x\" (also items[0])"},
        {"str: a\nnested: {depth: 11}\n", "F:2:17: nested.depth: must be between 0 and 10, got 11"},
        {"str: a\nnested: 1\n", "F:2:9: nested: expected a mapping, got a scalar"},
        {"str: a\nregex: \"\"\n", "F:2:8: regex: must not be empty"},
        {"- str\n", "F:1:1: (document): expected a mapping, got a list"},
        {"", "F:1:1: (document): the file is empty"},
        {"str: a\n---\nstr: b\n", "F:3:1: (document): only one YAML document is allowed"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char err[ERR_SIZE] = "";
        char want[ERR_SIZE] = "";
        struct doc doc;
        int rc = load(cases[i].text, strlen(cases[i].text), &doc, err, sizeof(err));

        /* "F" at the start of each line is the file's path */
        for (const char *line = cases[i].want; *line != '\0';) {
            const char *end = strchr(line, '\n');
            size_t len = end != NULL ? (size_t)(end - line) : strlen(line);

            snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%.*s%s", file,
                     (int)len - 1, line + 1, end != NULL ? "\n" : "");
            line += len + (end != NULL ? 1 : 0);
        }
        if (rc != -1 || strcmp(err, want) != 0) {
            fail_msg("case %zu (%s): rc %d, got:\n%s\nwant:\n%s", i, cases[i].text, rc, err, want);
        }
        doc_free(&doc);
    }
}

/* Diagnostics that depend on the platform's messages: checked by their stable part. */
static void test_bad_prefix(void **state)
{
    static const struct {
        const char *text;
        const char *prefix;
    } cases[] = {
        {"str: a\nregex: \"a(\"\n", ":2:8: regex: invalid regular expression: "},
        {"str: [a\n", ":2:1: (yaml): "},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char err[ERR_SIZE] = "";
        struct doc doc;

        assert_int_equal(load(cases[i].text, strlen(cases[i].text), &doc, err, sizeof(err)), -1);
        if (strncmp(err, file, strlen(file)) != 0 ||
            strncmp(err + strlen(file), cases[i].prefix, strlen(cases[i].prefix)) != 0 ||
            strchr(err, '\n') != NULL) {
            fail_msg("case %zu: got \"%s\", want one line \"%s%s...\"", i, err, file,
                     cases[i].prefix);
        }
        assert_null(doc.regex_src); /* no source without a compiled form */
        doc_free(&doc);
    }
}

/* Past 200 problems the rest are counted, not listed. */
static void test_many_problems(void **state)
{
    char text[16384];
    size_t len = 0;
    char err[65536] = "";
    char tail[256];
    struct doc doc;
    size_t lines = 1;

    (void)state;
    len += (size_t)snprintf(text + len, sizeof(text) - len, "str: a\nlist: [");
    for (int i = 0; i < 250; i++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%sno", i > 0 ? ", " : "");
    }
    len += (size_t)snprintf(text + len, sizeof(text) - len, "]\n");
    assert_int_equal(load(text, len, &doc, err, sizeof(err)), -1);
    for (const char *c = err; *c != '\0'; c++) {
        lines += *c == '\n';
    }
    assert_int_equal(lines, 201);
    snprintf(tail, sizeof(tail), "\n%s: 50 more problems not shown", file);
    assert_true(strlen(err) > strlen(tail));
    assert_string_equal(err + strlen(err) - strlen(tail), tail);
    assert_int_equal(doc.list_count, 0);
    doc_free(&doc);
}

/* Nesting past 32 levels is refused while parsing events, before libyaml's quadratic work. */
static void test_deep_nesting(void **state)
{
    /* the root mapping is the first level: "nested: " and 31 brackets make 32 */
    static const size_t depths[] = {31, 32, 200000};
    char err[512];

    (void)state;
    for (size_t i = 0; i < COUNT(depths); i++) {
        size_t depth = depths[i];
        size_t len = 8 + 2 * depth + 1;
        char *text = malloc(len + 1);
        struct doc doc;
        int rc;

        assert_non_null(text);
        memcpy(text, "nested: ", 8);
        memset(text + 8, '[', depth);
        memset(text + 8 + depth, ']', depth);
        text[len - 1] = '\n';
        text[len] = '\0';
        alarm(10); /* before the fix, 200,000 levels took over a minute */
        rc = load(text, len, &doc, err, sizeof(err));
        alarm(0);
        free(text);
        doc_free(&doc);
        assert_int_equal(rc, -1);
        if (depth <= 31) {
            /* within the limit: refused for its type, not for its depth */
            assert_null(strstr(err, "nested deeper"));
        } else if (!strstr(err, ":1:40: (yaml): nested deeper than 32 levels")) {
            fail_msg("depth %zu: %s", depth, err);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_bad_prefix),
        cmocka_unit_test(test_many_problems),
        cmocka_unit_test(test_deep_nesting),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
