/*
 * Unit tests of probe.c: the event test-hook picks for a hook, the class (and exit code) of
 * each kind of outcome, and the timings line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/probe.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_pick_event(void **state)
{
    static const struct {
        const char *patterns[3];
        const char *requested;
        const char *want;  /* NULL: an error containing error */
        const char *error;
    } cases[] = {
        {{"*"}, NULL, "assignmentrecord.created", NULL},
        {{"rankrecord.*"}, NULL, "rankrecord.created", NULL},
        {{"*.deleted"}, NULL, "assignmentrecord.deleted", NULL},
        {{"user.updated", "rankrecord.*"}, NULL, "user.updated", NULL},
        {{"user.updated", "rankrecord.*"}, "rankrecord.deleted", "rankrecord.deleted", NULL},
        {{"*"}, "event.updated", "event.updated", NULL},
        {{"rankrecord.*"}, "user.created", NULL, "does not subscribe to user.created"},
        {{"*"}, "rankrecord.*", NULL, "is not an event name"},
        {{"*"}, "rankrecord.moved", NULL, "is not an event name"},
        {{"*"}, "", NULL, "is not an event name"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *events[3];
        size_t count = 0;
        char out[64] = "";
        char errstr[256] = "";
        int rc;

        while (count < 3 && cases[i].patterns[count]) {
            events[count] = (char *)cases[i].patterns[count];
            count++;
        }
        struct br_conf_hook hook = {.name = "h", .events = events, .event_count = count};
        rc = br_probe_pick_event(&hook, cases[i].requested, out, sizeof(out), errstr,
                                 sizeof(errstr));
        if (cases[i].want) {
            if (rc != 0 || strcmp(out, cases[i].want) != 0) {
                fail_msg("case %zu: rc %d, event \"%s\" (%s), want %s", i, rc, out, errstr,
                         cases[i].want);
            }
        } else if (rc != -1 || !strstr(errstr, cases[i].error)) {
            fail_msg("case %zu: rc %d, error \"%s\", want one with \"%s\"", i, rc, errstr,
                     cases[i].error);
        }
    }
}

static void test_no_subscription(void **state)
{
    struct br_conf_hook hook = {.name = "h", .event_count = 0};
    char out[64];
    char errstr[256] = "";

    (void)state;
    assert_int_equal(br_probe_pick_event(&hook, NULL, out, sizeof(out), errstr, sizeof(errstr)),
                     -1);
    assert_string_equal(errstr, "hook h subscribes to no event");
}

static void test_classify(void **state)
{
    static const struct {
        int transport_ok;
        long status;
        int curl_code;
        enum br_probe_class want;
        const char *name;
        int exit_code;
    } cases[] = {
        {1, 200, CURLE_OK, BR_PROBE_OK, "ok", 0},
        {1, 204, CURLE_OK, BR_PROBE_OK, "ok", 0},
        {1, 299, CURLE_OK, BR_PROBE_OK, "ok", 0},
        {1, 400, CURLE_OK, BR_PROBE_HTTP_4XX, "http-4xx", 13},
        {1, 429, CURLE_OK, BR_PROBE_HTTP_4XX, "http-4xx", 13},
        {1, 499, CURLE_OK, BR_PROBE_HTTP_4XX, "http-4xx", 13},
        {1, 500, CURLE_OK, BR_PROBE_HTTP_5XX, "http-5xx", 14},
        {1, 503, CURLE_OK, BR_PROBE_HTTP_5XX, "http-5xx", 14},
        {1, 301, CURLE_OK, BR_PROBE_OTHER, "other", 16},
        {1, 101, CURLE_OK, BR_PROBE_OTHER, "other", 16},
        {1, 600, CURLE_OK, BR_PROBE_OTHER, "other", 16},
        {0, 0, CURLE_COULDNT_CONNECT, BR_PROBE_REFUSED, "refused", 10},
        {0, 0, CURLE_OPERATION_TIMEDOUT, BR_PROBE_TIMEOUT, "timeout", 11},
        {0, 0, CURLE_PEER_FAILED_VERIFICATION, BR_PROBE_TLS, "tls", 12},
        {0, 0, CURLE_SSL_CONNECT_ERROR, BR_PROBE_TLS, "tls", 12},
        {0, 0, CURLE_SSL_CACERT_BADFILE, BR_PROBE_TLS, "tls", 12},
        {0, 0, CURLE_SSL_CERTPROBLEM, BR_PROBE_TLS, "tls", 12},
        {0, 0, CURLE_COULDNT_RESOLVE_HOST, BR_PROBE_DNS, "dns", 15},
        {0, 0, CURLE_RECV_ERROR, BR_PROBE_OTHER, "other", 16},
        {0, 0, CURLE_GOT_NOTHING, BR_PROBE_OTHER, "other", 16},
        {0, 0, CURLE_UNSUPPORTED_PROTOCOL, BR_PROBE_OTHER, "other", 16},
        /* a transport failure is never read as the status it might carry */
        {0, 204, CURLE_OPERATION_TIMEDOUT, BR_PROBE_TIMEOUT, "timeout", 11},
    };
    /* the outbound request guard refused every address: whatever curl code that left */
    static const int egress_codes[] = {CURLE_COULDNT_CONNECT, CURLE_ABORTED_BY_CALLBACK};

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_transfer_result result = {
            .transport_ok = cases[i].transport_ok,
            .http_status = cases[i].status,
            .curl_code = cases[i].curl_code,
        };
        enum br_probe_class got = br_probe_classify(&result);

        if (got != cases[i].want || strcmp(br_probe_class_name(got), cases[i].name) != 0 ||
            br_probe_exit_code(got) != cases[i].exit_code) {
            fail_msg("case %zu (ok %d, status %ld, curl %d): %s/%d, want %s/%d", i,
                     cases[i].transport_ok, cases[i].status, cases[i].curl_code,
                     br_probe_class_name(got), br_probe_exit_code(got), cases[i].name,
                     cases[i].exit_code);
        }
    }
    for (size_t i = 0; i < COUNT(egress_codes); i++) {
        struct br_transfer_result result = {.curl_code = egress_codes[i], .egress_refused = true};
        enum br_probe_class got = br_probe_classify(&result);

        assert_int_equal(got, BR_PROBE_EGRESS);
        assert_string_equal(br_probe_class_name(got), "egress");
        assert_int_equal(br_probe_exit_code(got), 17);
    }
}

/* Every failure class has its own exit code, none of them 0-3 (shared by all commands). */
static void test_exit_codes_distinct(void **state)
{
    (void)state;
    for (int a = BR_PROBE_REFUSED; a <= BR_PROBE_EGRESS; a++) {
        assert_true(br_probe_exit_code((enum br_probe_class)a) > 3);
        for (int b = a + 1; b <= BR_PROBE_EGRESS; b++) {
            assert_int_not_equal(br_probe_exit_code((enum br_probe_class)a),
                                 br_probe_exit_code((enum br_probe_class)b));
        }
    }
}

static void test_timings(void **state)
{
    struct br_transfer_result result = {.dns_us = 12, .connect_us = 310, .tls_us = 0,
                                        .first_byte_us = 2004, .total_us = 1234567};
    char out[256];

    (void)state;
    br_probe_format_timings(&result, out, sizeof(out));
    assert_string_equal(out, "dns 0.012 ms, connect 0.310 ms, tls -, first byte 2.004 ms, "
                             "total 1234.567 ms");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_event),
        cmocka_unit_test(test_no_subscription),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_exit_codes_distinct),
        cmocka_unit_test(test_timings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
