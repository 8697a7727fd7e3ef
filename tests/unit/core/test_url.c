/* Unit tests of url.c: credentials in a URL are found and never shown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "core/url.h"

static void test_redact_table(void **state)
{
    static const struct {
        const char *in;
        bool userinfo;
        const char *out;
    } cases[] = {
        {"http://host:8081", false, "http://host:8081"},
        {"https://registry.example/api", false, "https://registry.example/api"},
        {"http://reguser:URLPASS_leak@host:8081/x", true, "http://***@host:8081/x"},
        {"http://user@host", true, "http://***@host"},
        {"http://a:b@c:d@host/p", true, "http://***@host/p"},
        {"http://host/path@not-userinfo", false, "http://host/path@not-userinfo"},
        {"http://host?q=a@b", false, "http://host?q=a@b"},
        {"http://host#frag@x", false, "http://host#frag@x"},
        {"not a url", false, "not a url"},
        {"", false, ""},
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (br_url_has_userinfo(cases[i].in) != cases[i].userinfo) {
            fail_msg("case %zu (%s): has_userinfo %d", i, cases[i].in, !cases[i].userinfo);
        }
        br_url_redact(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].out);
        }
        if (strstr(out, "URLPASS") || strstr(out, "user:")) {
            fail_msg("case %zu: credentials shown: %s", i, out);
        }
    }
}

static void test_redact_cut(void **state)
{
    char out[12];

    (void)state;
    br_url_redact("http://u:secretpassword@h/a/long/path", out, sizeof(out));
    assert_string_equal(out, "http://***@");
    assert_null(strstr(out, "secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_table),
        cmocka_unit_test(test_redact_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
