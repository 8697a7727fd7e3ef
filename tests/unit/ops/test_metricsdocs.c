/*
 * docs/configuration.md's metrics table against what br_metrics_render() writes: every family
 * rendered has a row with its type, its labels and, for the labels with fixed values (reason,
 * outcome, result), each value; every row names a family that is rendered (consumer_lag is
 * rendered by loop/status.c, not here). Each disagreement is printed with the family's name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ops/metrics.h"
#include "support/readfile.h"

#define DOCS_PATH "../../../docs/configuration.md"
#define TABLE_HEADER "| name | type | labels | meaning |"
#define PREFIX "perscom_bridge_"
#define MAX_ROWS 64

struct row {
    char names[256];  /* the first cell: one or more `name`s */
    char type[32];
    char labels[512];
    int matched;
};

/* Copies cell number index (from 0) of a "| a | b | c |" line, trimmed, into out. */
static void cell(const char *line, size_t len, int index, char *out, size_t out_size)
{
    size_t i = 1;
    size_t n = 0;

    for (int c = 0; c < index && i < len; i++) {
        if (line[i] == '|' && line[i - 1] != '\\') {
            c++;
        }
    }
    while (i < len && line[i] == ' ') {
        i++;
    }
    while (i < len && !(line[i] == '|' && line[i - 1] != '\\') && n + 1 < out_size) {
        out[n++] = line[i++];
    }
    while (n > 0 && out[n - 1] == ' ') {
        n--;
    }
    out[n] = '\0';
}

static size_t load_rows(const char *text, struct row *rows)
{
    size_t count = 0;
    int in_table = 0;

    for (const char *line = text; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len == 0 || line[0] != '|') {
            in_table = 0;
        } else if (strncmp(line, TABLE_HEADER, strlen(TABLE_HEADER)) == 0) {
            in_table = 1;
        } else if (in_table && strncmp(line, "| ---", 5) != 0) {
            assert_true(count < MAX_ROWS);
            memset(&rows[count], 0, sizeof(rows[count]));
            cell(line, len, 0, rows[count].names, sizeof(rows[count].names));
            cell(line, len, 1, rows[count].type, sizeof(rows[count].type));
            cell(line, len, 2, rows[count].labels, sizeof(rows[count].labels));
            count++;
        }
        line += len + (end ? 1 : 0);
    }
    return count;
}

static struct row *find_row(struct row *rows, size_t count, const char *name)
{
    char want[160];

    int n = snprintf(want, sizeof(want), "`%s`", name);

    assert_true(n > 0 && (size_t)n < sizeof(want));
    for (size_t i = 0; i < count; i++) {
        if (strstr(rows[i].names, want)) {
            return &rows[i];
        }
    }
    return NULL;
}

static struct row *find_row(struct row *rows, size_t count, const char *name);

/* The family a sample line belongs to: its name, without the suffix of a histogram's series. */
static void family_of(const char *sample, size_t len, struct row *rows, size_t count, char *out,
                      size_t out_size)
{
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    size_t n = strcspn(sample, "{ ");

    snprintf(out, out_size, "%.*s", (int)(n < len ? n : len), sample);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t s = strlen(suffixes[i]);
        size_t have = strlen(out);
        if (have > s && strcmp(out + have - s, suffixes[i]) == 0) {
            char base[160];
            struct row *row;
            snprintf(base, sizeof(base), "%.*s", (int)(have - s), out);
            row = find_row(rows, count, base);
            if (row && strcmp(row->type, "histogram") == 0) {
                snprintf(out, out_size, "%s", base);
                return;
            }
        }
    }
}

/* Checks the labels of one sample line ("name{a=\"x\",b=\"y\"} 1") against row. */
static int check_labels(const char *family, const char *sample, size_t len, const struct row *row)
{
    const char *brace = memchr(sample, '{', len);
    int bad = 0;

    if (!brace) {
        return 0;
    }
    for (const char *at = brace + 1; at < sample + len && *at != '}'; ) {
        char label[64];
        char value[128];
        char want[200];
        size_t n = strcspn(at, "=");
        const char *quote;

        snprintf(label, sizeof(label), "%.*s", (int)n, at);
        quote = strchr(at + n + 2, '"');
        assert_non_null(quote);
        snprintf(value, sizeof(value), "%.*s", (int)(quote - (at + n + 2)), at + n + 2);
        at = quote + 1 + (quote[1] == ',');
        if (strcmp(label, "le") == 0) {
            continue;
        }
        snprintf(want, sizeof(want), "`%s`", label);
        if (!strstr(row->labels, want)) {
            printf("%s: label %s, the reference says \"%s\"\n", family, label, row->labels);
            bad++;
        }
        if (strcmp(label, "reason") == 0 || strcmp(label, "outcome") == 0 ||
            strcmp(label, "result") == 0) {
            snprintf(want, sizeof(want), "`%s`", value);
            if (!strstr(row->labels, want)) {
                printf("%s: %s=\"%s\" is rendered, the reference says \"%s\"\n", family, label,
                       value, row->labels);
                bad++;
            }
        }
    }
    return bad;
}

static void test_every_metric_is_documented_as_rendered(void **state)
{
    static const char *const hooks[] = {"h"};
    struct row rows[MAX_ROWS];
    struct br_metrics *metrics = br_metrics_create(hooks, 1);
    struct br_buf out;
    char *text = br_test_read_file(DOCS_PATH, NULL);
    size_t count = load_rows(text, rows);
    size_t families = 0;
    int bad = 0;
    (void)state;

    /* every labelled family has a series: a hook, a tenant, a latency, a held partition */
    assert_non_null(metrics);
    br_metrics_tenant(metrics, "t");
    br_metrics_observe_latency(metrics, 0, 0.02);
    br_buf_init(&out, 0);
    assert_int_equal(br_metrics_render(metrics, &out), 0);
    assert_non_null(out.data);
    assert_true(count > 15);
    for (const char *line = out.data; line < out.data + out.len; ) {
        const char *end = memchr(line, '\n', (size_t)(out.data + out.len - line));
        size_t len = end ? (size_t)(end - line) : (size_t)(out.data + out.len - line);
        char family[160];
        struct row *row;

        if (strncmp(line, "# TYPE " PREFIX, strlen("# TYPE " PREFIX)) == 0) {
            const char *name = line + strlen("# TYPE " PREFIX);
            const char *space = memchr(name, ' ', len - strlen("# TYPE " PREFIX));

            assert_non_null(space);
            snprintf(family, sizeof(family), "%.*s", (int)(space - name), name);
            families++;
            row = find_row(rows, count, family);
            if (!row) {
                printf("%s: rendered, not in the metrics table of docs/configuration.md\n",
                       family);
                bad++;
            } else {
                row->matched = 1;
                if (strncmp(row->type, space + 1, strlen(row->type)) != 0 ||
                    (size_t)(line + len - (space + 1)) != strlen(row->type)) {
                    printf("%s: rendered as %.*s, the reference says %s\n", family,
                           (int)(line + len - (space + 1)), space + 1, row->type);
                    bad++;
                }
            }
        } else if (strncmp(line, PREFIX, strlen(PREFIX)) == 0) {
            family_of(line + strlen(PREFIX), len - strlen(PREFIX), rows, count, family,
                      sizeof(family));
            row = find_row(rows, count, family);
            if (row) {
                bad += check_labels(family, line, len, row);
            }
        }
        line += len + 1;
    }
    assert_true(families > 15);
    for (size_t i = 0; i < count; i++) {
        if (!rows[i].matched && strcmp(rows[i].names, "`consumer_lag`") != 0) {
            printf("%s: in docs/configuration.md, not rendered\n", rows[i].names);
            bad++;
        }
    }
    br_buf_finish(&out);
    br_metrics_destroy(metrics);
    free(text);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_metric_is_documented_as_rendered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
