/* Unit tests of progress.c: the line's figures, and that nothing is drawn off a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/progress.h"

static void test_format(void **state)
{
    static const struct {
        uint64_t done;
        uint64_t total;
        int64_t elapsed_ms;
        const char *want;
    } cases[] = {
        {0, 200, 0, "replay: 0/200 (0%), 0.0/s, ETA -"},
        {120, 200, 4000, "replay: 120/200 (60%), 30.0/s, ETA 0:03"},
        {1, 7200, 1000, "replay: 1/7200 (0%), 1.0/s, ETA 1:59:59"},
        {200, 200, 8000, "replay: 200/200 (100%), 25.0/s, ETA 0:00"},
        {0, 0, 10, "replay: 0/0 (100%), 0.0/s, ETA -"},
        {50, 100, 60000, "replay: 50/100 (50%), 0.8/s, ETA 1:00"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        br_progress_format("replay", cases[i].done, cases[i].total, cases[i].elapsed_ms, out,
                           sizeof(out));
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: \"%s\", want \"%s\"", i, out, cases[i].want);
        }
    }
}

static void test_drawing(void **state)
{
    char text[1024] = "";
    FILE *out = fmemopen(text, sizeof(text), "w");
    struct br_progress progress;

    (void)state;
    assert_non_null(out);
    /* off a terminal: nothing at all */
    br_progress_init(&progress, out, false, "scan", 10, 0);
    br_progress_update(&progress, 5, 1000);
    br_progress_clear(&progress);
    fflush(out);
    assert_int_equal(ftell(out), 0);

    /* on: drawn in place, at most every 250 ms, erased by clear */
    br_progress_init(&progress, out, true, "scan", 10, 0);
    br_progress_update(&progress, 5, 1000);
    br_progress_update(&progress, 6, 1100); /* too soon */
    br_progress_update(&progress, 7, 1300);
    br_progress_clear(&progress);
    br_progress_clear(&progress); /* nothing left to erase */
    fclose(out);
    assert_string_equal(text, "\r\033[Kscan: 5/10 (50%), 5.0/s, ETA 0:01"
                              "\r\033[Kscan: 7/10 (70%), 5.4/s, ETA 0:01"
                              "\r\033[K");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_drawing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
