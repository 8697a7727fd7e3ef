/*
 * Unit tests of log.c: control characters from outside never reach the log unescaped, so a
 * value cannot forge a log line; cutting never splits an escape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"

static void test_escape_table(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"plain text", "plain text"},
        {"", ""},
        {"a\nb", "a\\nb"},
        {"op=c\r\n2026-01-01T00:00:00.000Z error loop: forged",
         "op=c\\r\\n2026-01-01T00:00:00.000Z error loop: forged"},
        {"tab\there", "tab\\there"},
        {"\x01\x1f\x7f", "\\x01\\x1f\\x7f"},
        {"esc\x1b[31mred", "esc\\x1b[31mred"},
        {"pattern 'perscom\\..*'", "pattern 'perscom\\..*'"},
        {"utf-8 \xc3\xa9\xe2\x82\xac", "utf-8 \xc3\xa9\xe2\x82\xac"},
    };
    char out[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        br_log_escape(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].out);
        }
    }
}

static void test_escape_cuts_at_an_escape_boundary(void **state)
{
    char out[10];

    (void)state;
    /* "abcd" fits (4 + 4 <= 10), the escape "\n" after it would leave no room for "..." */
    br_log_escape("abcd\nefgh", out, sizeof(out));
    assert_string_equal(out, "abcd\\n...");
    br_log_escape("abcde\nfgh", out, sizeof(out));
    assert_string_equal(out, "abcde...");
    br_log_escape("short", out, sizeof(out));
    assert_string_equal(out, "short");
    memset(out, 'x', sizeof(out));
    br_log_escape("\n\n\n\n\n\n", out, 4);
    assert_string_equal(out, "...");
}

/* A whole log line with a forged line inside stays one line on stderr. */
static void test_write_is_one_line(void **state)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    char text[1024];
    size_t len;
    FILE *file;
    size_t newlines = 0;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    br_log_write(BR_LOG_ERROR, "test", "op %s unknown",
                 "x\n2026-01-01T00:00:00.000Z info loop: all good");
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    file = fopen(path, "r");
    assert_non_null(file);
    len = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    close(fd);
    unlink(path);
    text[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        newlines += text[i] == '\n';
    }
    assert_int_equal(newlines, 1);
    assert_non_null(strstr(text, " error test: op x\\n2026-01-01T00:00:00.000Z info loop: "
                                 "all good unknown\n"));
}

static void test_json_escape(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"plain", "plain"},
        {"q\"b\\s", "q\\\"b\\\\s"},
        {"nl\nx\r\t\x01\x7f", "nl\\nx\\u000d\\u0009\\u0001\\u007f"},
        {"utf \xc3\xa9 \xf0\x9f\x98\x80", "utf \xc3\xa9 \xf0\x9f\x98\x80"},
        {"bad \xff\xc3(", "bad \\ufffd\\ufffd("},
        {"cut \xe2\x82", "cut \\ufffd\\ufffd"},
    };
    char out[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        br_log_json_escape(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].out);
        }
    }
    /* cut on a character boundary */
    br_log_json_escape("ab\xc3\xa9", out, 4);
    assert_string_equal(out, "ab");
}

/* A JSON line with where's fields; a forged value stays inside its string. */
static void test_json_line(void **state)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    struct br_log_where where = {"perscom.t1.users", 3, 41, "disc\"ord"};
    struct br_log_where none = {NULL, -1, -1, NULL};
    char text[2048];
    size_t len;
    FILE *file;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    br_log_set_format(BR_LOG_JSON);
    br_log_write_at(BR_LOG_WARN, "finish", &where, "HTTP %d\n{\"level\":\"error\"}", 503);
    br_log_write_at(BR_LOG_INFO, "main", &none, "started");
    br_log_write(BR_LOG_ERROR, "loop", "x");
    br_log_set_format(BR_LOG_TEXT);
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    file = fopen(path, "r");
    assert_non_null(file);
    len = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    close(fd);
    unlink(path);
    text[len] = '\0';
    assert_non_null(strstr(text, "\",\"level\":\"warn\",\"module\":\"finish\",\"message\":\"HTTP 503\\n"
                                 "{\\\"level\\\":\\\"error\\\"}\",\"topic\":\"perscom.t1.users\","
                                 "\"partition\":3,\"offset\":41,\"hook\":\"disc\\\"ord\"}\n"));
    assert_non_null(strstr(text, "\"level\":\"info\",\"module\":\"main\",\"message\":\"started\"}\n"));
    assert_non_null(strstr(text, "\"level\":\"error\",\"module\":\"loop\",\"message\":\"x\"}\n"));
    assert_int_equal(strncmp(text, "{\"time\":\"", 9), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_escape_cuts_at_an_escape_boundary),
        cmocka_unit_test(test_write_is_one_line),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
