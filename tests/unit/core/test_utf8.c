/* Unit tests of utf8.c: the byte sequences json_encode accepts, and the ones it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static void test_utf8_table(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        bool valid;
    } cases[] = {
        {"", 0, true},
        {"plain ascii", 11, true},
        {"\xc3\xa9", 2, true},                 /* é */
        {"\xe2\x82\xac", 3, true},             /* € */
        {"\xf0\x9f\x98\x80", 4, true},         /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, true},         /* U+10FFFF */
        {"\xed\x9f\xbf", 3, true},             /* U+D7FF */
        {"\xee\x80\x80", 3, true},             /* U+E000 */
        {"a\0b", 3, false},                    /* NUL */
        {"\x80", 1, false},                    /* continuation first */
        {"\xc3", 1, false},                    /* truncated */
        {"\xe2\x82", 2, false},                /* truncated */
        {"\xc0\xaf", 2, false},                /* overlong '/' */
        {"\xc1\xbf", 2, false},                /* overlong */
        {"\xe0\x80\xaf", 3, false},            /* overlong */
        {"\xf0\x80\x80\xaf", 4, false},        /* overlong */
        {"\xed\xa0\x80", 3, false},            /* U+D800 surrogate */
        {"\xed\xbf\xbf", 3, false},            /* U+DFFF surrogate */
        {"\xf4\x90\x80\x80", 4, false},        /* U+110000 */
        {"\xf5\x80\x80\x80", 4, false},        /* lead > 0xf4 */
        {"\xff", 1, false},
        {"\xc3\x28", 2, false},                /* bad continuation */
        {"ok\xe2\x82\xac\xc3", 6, false},      /* valid then truncated */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (br_utf8_valid(cases[i].bytes, cases[i].len) != cases[i].valid) {
            fail_msg("case %zu: want %s", i, cases[i].valid ? "valid" : "invalid");
        }
    }
}

/* br_utf8_valid_nul: the same rules, but NUL is a character (Avro strings may hold it). */
static void test_utf8_valid_nul(void **state)
{
    (void)state;
    if (!br_utf8_valid_nul("a\0b", 3) || !br_utf8_valid_nul("\0\xc3\xa9", 3)) {
        fail_msg("NUL refused");
    }
    if (br_utf8_valid_nul("\0\xc3", 2) || br_utf8_valid_nul("\xed\xa0\x80", 3) ||
        br_utf8_valid_nul("\0\xc0\xaf", 3)) {
        fail_msg("invalid UTF-8 around a NUL accepted");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_table),
        cmocka_unit_test(test_utf8_valid_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
