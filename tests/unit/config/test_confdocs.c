/*
 * docs/configuration.md against the key tables of confkeys.c: every key the parser accepts has
 * a row in the reference (`| `path` | type | default | required | meaning |`) whose bounds,
 * choices, default and "required" agree with the table, and every row of the reference's key
 * tables names a key the parser accepts. Each disagreement is printed with the key's path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/confkeys.h"
#include "config/yamlconf.h"
#include "support/readfile.h"

#define DOCS_PATH "../../../docs/configuration.md"
#define MAX_ROWS 256
#define CELLS 5
#define KEYS_HEADER "| key | type | default | required | meaning |"

/* One row of a key table: its cells, without the surrounding spaces. */
struct row {
    char cell[CELLS][2048];
    int matched;
};

struct docs {
    struct row *rows;
    size_t count;
    char *text;
};

/* Splits "| a | b \| c | ..." into cells (an escaped "\|" stays in its cell). */
static size_t split_row(const char *line, size_t len, struct row *row)
{
    size_t count = 0;
    size_t i = 1;

    memset(row, 0, sizeof(*row));
    while (i < len && count < CELLS) {
        size_t n = 0;
        while (i < len && !(line[i] == '|' && line[i - 1] != '\\')) {
            if (n + 1 < sizeof(row->cell[count])) {
                row->cell[count][n++] = line[i];
            }
            i++;
        }
        while (n > 0 && row->cell[count][n - 1] == ' ') {
            n--;
        }
        row->cell[count][n] = '\0';
        memmove(row->cell[count], row->cell[count] + strspn(row->cell[count], " "),
                strlen(row->cell[count]) + 1 - strspn(row->cell[count], " "));
        count++;
        i++;
    }
    return count;
}

/* The rows of every table whose header is "| key | type | default | required | meaning |". */
static void load_docs(struct docs *docs)
{
    const char *line;
    int in_keys = 0;

    docs->text = br_test_read_file(DOCS_PATH, NULL);
    docs->rows = calloc(MAX_ROWS, sizeof(*docs->rows));
    assert_non_null(docs->rows);
    docs->count = 0;
    for (line = docs->text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len == 0 || line[0] != '|') {
            in_keys = 0;
        } else if (strncmp(line, KEYS_HEADER, strlen(KEYS_HEADER)) == 0) {
            in_keys = 1;
        } else if (in_keys && strncmp(line, "| ---", 5) != 0) {
            assert_true(docs->count < MAX_ROWS);
            split_row(line, len, &docs->rows[docs->count]);
            docs->count++;
        }
        line += len + (end ? 1 : 0);
    }
}

static struct row *find_row(struct docs *docs, const char *path)
{
    char want[600];

    snprintf(want, sizeof(want), "`%s`", path);
    for (size_t i = 0; i < docs->count; i++) {
        if (strcmp(docs->rows[i].cell[0], want) == 0) {
            return &docs->rows[i];
        }
    }
    return NULL;
}

/* True when text holds number as a whole number (not part of a longer one), or as 2^n. */
static int has_number(const char *text, long number)
{
    char digits[32];
    const char *at = text;

    snprintf(digits, sizeof(digits), "%ld", number);
    while ((at = strstr(at, digits)) != NULL) {
        char before = at == text ? ' ' : at[-1];
        char after = at[strlen(digits)];
        if ((before < '0' || before > '9') && before != '^' && (after < '0' || after > '9')) {
            return 1;
        }
        at++;
    }
    for (int bit = 10; bit < 63; bit++) {
        if (number == 1L << bit) {
            snprintf(digits, sizeof(digits), "2^%d", bit);
            if (strstr(text, digits)) {
                return 1;
            }
        }
    }
    return 0;
}

static const char *choice_name(const struct br_yamlconf_choice *choices, long value)
{
    for (size_t i = 0; choices[i].name; i++) {
        if (choices[i].value == value) {
            return choices[i].name;
        }
    }
    return NULL;
}

static int check_key(const struct br_yamlconf_key *key, const char *path, struct row *row)
{
    int bad = 0;

    if (key->required && strncmp(row->cell[3], "yes", 3) != 0) {
        printf("%s: required by the parser, the reference says \"%s\"\n", path, row->cell[3]);
        bad++;
    }
    if (!key->required && strncmp(row->cell[3], "yes", 3) == 0) {
        printf("%s: optional for the parser, the reference says \"%s\"\n", path, row->cell[3]);
        bad++;
    }
    if (key->kind == BR_YAMLCONF_INT) {
        if (!has_number(row->cell[1], key->min) || !has_number(row->cell[1], key->max)) {
            printf("%s: bounds %ld..%ld, the reference says \"%s\"\n", path, key->min, key->max,
                   row->cell[1]);
            bad++;
        }
        /* a default below min is derived from another key (-1: delivery.*, 0: resolved later) */
        if (key->def >= key->min && !has_number(row->cell[2], key->def)) {
            printf("%s: default %ld, the reference says \"%s\"\n", path, key->def, row->cell[2]);
            bad++;
        }
    }
    if (key->kind == BR_YAMLCONF_ENUM) {
        const char *def = choice_name(key->choices, key->def);
        for (size_t i = 0; key->choices[i].name; i++) {
            if (!strstr(row->cell[1], key->choices[i].name)) {
                printf("%s: accepts %s, the reference says \"%s\"\n", path,
                       key->choices[i].name, row->cell[1]);
                bad++;
            }
        }
        if (key->def >= 0 && def && !strstr(row->cell[2], def)) {
            printf("%s: default %s, the reference says \"%s\"\n", path, def, row->cell[2]);
            bad++;
        }
    }
    return bad;
}

/* Walks section under prefix; LIST items are written "[i]". Returns the disagreements. */
static int walk(const struct br_yamlconf_section *section, const char *prefix, struct docs *docs)
{
    int bad = 0;

    for (size_t i = 0; i < section->count; i++) {
        const struct br_yamlconf_key *key = &section->keys[i];
        char path[512];
        struct row *row;

        snprintf(path, sizeof(path), "%s%s%s%s", prefix, *prefix ? "." : "", key->key,
                 key->kind == BR_YAMLCONF_LIST ? "[i]" : "");
        if (key->kind == BR_YAMLCONF_SECTION || key->kind == BR_YAMLCONF_LIST) {
            bad += walk(key->sub, path, docs);
            continue;
        }
        row = find_row(docs, path);
        if (!row) {
            char heading[600];
            /* a top-level scalar may have a section of its own instead of a row */
            snprintf(heading, sizeof(heading), "\n### `%s` (optional)\n", path);
            if (*prefix || !strstr(docs->text, heading)) {
                printf("%s: accepted by the parser, not in docs/configuration.md\n", path);
                bad++;
            }
            continue;
        }
        row->matched = 1;
        bad += check_key(key, path, row);
    }
    return bad;
}

static void test_every_key_is_documented_as_parsed(void **state)
{
    struct docs docs;
    int bad;
    (void)state;

    load_docs(&docs);
    /* the tables are found: a reference that lost its table headers would pass vacuously */
    assert_true(docs.count > 60);
    bad = walk(&br_confkeys_root, "", &docs);
    for (size_t i = 0; i < docs.count; i++) {
        if (!docs.rows[i].matched) {
            printf("%s: in docs/configuration.md, not accepted by the parser\n",
                   docs.rows[i].cell[0]);
            bad++;
        }
    }
    free(docs.rows);
    free(docs.text);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key_is_documented_as_parsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
