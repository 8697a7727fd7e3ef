/*
 * Unit tests of env.c: ${NAME} expansion, the "$${" escape, and every problem reported (each
 * unset variable and invalid name; an unterminated "${" ends the scan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "config/env.h"

/* The reports of one expansion, one per line. */
static void collect(void *opaque, const char *message)
{
    struct br_buf *reports = opaque;

    if (reports->len > 0) {
        br_buf_append_char(reports, '\n');
    }
    br_buf_append_str(reports, message);
}

static void set_env(void)
{
    setenv("ENV_TEST_A", "alpha", 1);
    setenv("ENV_TEST_B", "beta", 1);
    setenv("ENV_TEST_EMPTY", "", 1);
    setenv("ENV_TEST_DOLLAR", "${ENV_TEST_A}", 1);
    setenv("_ENV_TEST_9", "underscore", 1);
    unsetenv("ENV_TEST_UNSET");
    unsetenv("ENV_TEST_UNSET2");
}

static void test_expands(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"", ""},
        {"plain text", "plain text"},
        {"${ENV_TEST_A}", "alpha"},
        {"x${ENV_TEST_A}y${ENV_TEST_B}z", "xalphaybetaz"},
        {"${ENV_TEST_A}${ENV_TEST_A}", "alphaalpha"},
        {"[${ENV_TEST_EMPTY}]", "[]"},
        {"$${ENV_TEST_A}", "${ENV_TEST_A}"},
        {"$$${ENV_TEST_A}", "$${ENV_TEST_A}"}, /* "$$" then "${": only the first "$${" escapes */
        {"$", "$"},
        {"$$", "$$"},
        {"a$b {c} $ {d}", "a$b {c} $ {d}"},
        {"}", "}"},
        {"${ENV_TEST_DOLLAR}", "${ENV_TEST_A}"}, /* values are not expanded again */
        {"${_ENV_TEST_9}", "underscore"},
    };

    (void)state;
    set_env();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_buf reports;
        const char *want = cases[i].want;

        br_buf_init(&reports, 0);
        char *got = br_env_expand(cases[i].text, collect, &reports);
        if (got == NULL || strcmp(got, want) != 0 || reports.len != 0) {
            fail_msg("case %zu \"%s\": got \"%s\" (reports: %s), want \"%s\"", i, cases[i].text,
                     got != NULL ? got : "(null)", reports.data != NULL ? reports.data : "",
                     want);
        }
        free(got);
        br_buf_finish(&reports);
    }
}

static void test_problems(void **state)
{
    static const struct {
        const char *text;
        const char *reports;
    } cases[] = {
        {"${ENV_TEST_UNSET}", "environment variable ENV_TEST_UNSET is not set"},
        {"a ${ENV_TEST_UNSET} b ${ENV_TEST_A} c ${ENV_TEST_UNSET2}",
         "environment variable ENV_TEST_UNSET is not set\n"
         "environment variable ENV_TEST_UNSET2 is not set"},
        {"${", "unterminated ${ (write $${ for a literal ${)"},
        {"ok ${ENV_TEST_A", "unterminated ${ (write $${ for a literal ${)"},
        {"${ENV_TEST_UNSET} ${ENV_TEST_A} ${",
         "environment variable ENV_TEST_UNSET is not set\n"
         "unterminated ${ (write $${ for a literal ${)"},
        {"${}", "invalid variable name \"\" in ${...}"},
        {"${1A}", "invalid variable name \"1A\" in ${...}"},
        {"${A-B}", "invalid variable name \"A-B\" in ${...}"},
        {"${ENV TEST}", "invalid variable name \"ENV TEST\" in ${...}"},
        {"${1A}${ENV_TEST_UNSET}",
         "invalid variable name \"1A\" in ${...}\nenvironment variable ENV_TEST_UNSET is not set"},
    };

    (void)state;
    set_env();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_buf reports;

        br_buf_init(&reports, 0);
        char *got = br_env_expand(cases[i].text, collect, &reports);
        if (got != NULL || reports.data == NULL || strcmp(reports.data, cases[i].reports) != 0) {
            fail_msg("case %zu \"%s\": got \"%s\", reports:\n%s\nwant:\n%s", i, cases[i].text,
                     got != NULL ? got : "(null)", reports.data != NULL ? reports.data : "",
                     cases[i].reports);
        }
        br_buf_finish(&reports);
    }
}

/* A long value is copied whole (the expansion grows as needed). */
static void test_long_value(void **state)
{
    char value[10001];
    struct br_buf reports;

    (void)state;
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    setenv("ENV_TEST_LONG", value, 1);
    br_buf_init(&reports, 0);
    char *got = br_env_expand("<${ENV_TEST_LONG}>", collect, &reports);
    assert_non_null(got);
    assert_int_equal(strlen(got), sizeof(value) - 1 + 2);
    assert_int_equal(got[0], '<');
    assert_memory_equal(got + 1, value, sizeof(value) - 1);
    assert_string_equal(got + sizeof(value), ">");
    assert_int_equal(reports.len, 0);
    free(got);
    br_buf_finish(&reports);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expands),
        cmocka_unit_test(test_problems),
        cmocka_unit_test(test_long_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
