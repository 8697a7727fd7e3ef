/*
 * Unit tests of dlrecord.c, without a broker: the perscom.* headers of dead-letter records, the
 * JSON of delivery reports, the names of reasons and outcomes, and the timestamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>

#include "kafka/dlrecord.h"

static void test_format_time(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        {1, "1970-01-01T00:00:00.001Z"},
        {1777629600123, "2026-05-01T10:00:00.123Z"},
        {946684799999, "1999-12-31T23:59:59.999Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {-1000, "1969-12-31T23:59:59.000Z"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[BR_DLRECORD_TIME_MAX];
        br_dlrecord_format_time(cases[i].ms, out);
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: got %s, want %s", i, out, cases[i].want);
        }
    }
}

static void test_report_json(void **state)
{
    static const struct {
        struct br_delivery_report rep;
        const char *want;
    } cases[] = {
        {{.topic = "perscom.t1.records_ranks", .partition = 3, .offset = 1234,
          .event = "rankrecord.created", .hook = "discord", .http_status = 204,
          .outcome = BR_REPORT_DELIVERED, .attempts = 1, .latency_ms = 12,
          .request_id = "9b2d4c1e-0000-4000-8000-000000000001"},
         "{\"event\":\"rankrecord.created\",\"hook\":\"discord\",\"status\":204,"
         "\"outcome\":\"delivered\",\"attempts\":1,\"latency_ms\":12,"
         "\"topic\":\"perscom.t1.records_ranks\",\"partition\":3,\"offset\":1234,"
         "\"request_id\":\"9b2d4c1e-0000-4000-8000-000000000001\",\"reason\":null,"
         "\"error\":null}"},
        {{.topic = "t/x", .partition = 0, .offset = 0, .event = "user.deleted", .hook = "h\"q",
          .http_status = 0, .outcome = BR_REPORT_DEAD_LETTERED, .attempts = 5,
          .latency_ms = 61000, .request_id = NULL, .reason = "egress_refused",
          .error = "egress refused: 10.0.0.1 is private (RFC 1918)"},
         "{\"event\":\"user.deleted\",\"hook\":\"h\\\"q\",\"status\":null,"
         "\"outcome\":\"dead_lettered\",\"attempts\":5,\"latency_ms\":61000,\"topic\":\"t/x\","
         "\"partition\":0,\"offset\":0,\"request_id\":null,\"reason\":\"egress_refused\","
         "\"error\":\"egress refused: 10.0.0.1 is private (RFC 1918)\"}"},
        {{.topic = "t", .partition = 1, .offset = 9007199254740993LL, .event = NULL,
          .hook = NULL, .http_status = 400, .outcome = BR_REPORT_DROPPED, .attempts = 0,
          .latency_ms = 0},
         "{\"event\":null,\"hook\":null,\"status\":400,\"outcome\":\"dropped\",\"attempts\":0,"
         "\"latency_ms\":0,\"topic\":\"t\",\"partition\":1,\"offset\":9007199254740993,"
         "\"request_id\":null,\"reason\":null,\"error\":null}"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errstr[256] = "";
        size_t len = 0;
        char *json = br_dlrecord_report_json(&cases[i].rep, &len, errstr, sizeof(errstr));
        if (!json) {
            fail_msg("case %zu: %s", i, errstr);
        }
        if (strcmp(json, cases[i].want) != 0 || len != strlen(cases[i].want)) {
            fail_msg("case %zu:\n got %s\nwant %s", i, json, cases[i].want);
        }
        free(json);
    }
    {
        struct br_delivery_report bad = {.topic = "t", .hook = "\xff\xfe"};
        char errstr[256] = "";
        size_t len = 0;
        assert_null(br_dlrecord_report_json(&bad, &len, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, "hook"));
    }
}

/* headers: NULL-terminated pairs name, value; exactly these, in this order. */
static void assert_headers(size_t index, rd_kafka_headers_t *headers, const char *const *want)
{
    size_t i = 0;

    for (;; i++) {
        const char *name;
        const void *value;
        size_t size;

        if (rd_kafka_header_get_all(headers, i, &name, &value, &size) != 0) {
            break;
        }
        if (!want[2 * i]) {
            fail_msg("case %zu: unexpected header %s", index, name);
        }
        if (strcmp(name, want[2 * i]) != 0) {
            fail_msg("case %zu: header %zu: got %s, want %s", index, i, name, want[2 * i]);
        }
        if (size != strlen(want[2 * i + 1]) || memcmp(value, want[2 * i + 1], size) != 0) {
            fail_msg("case %zu: header %s: got '%.*s', want '%s'", index, name, (int)size,
                     (const char *)value, want[2 * i + 1]);
        }
    }
    if (want[2 * i]) {
        fail_msg("case %zu: header %s missing", index, want[2 * i]);
    }
}

static void test_headers(void **state)
{
    static const struct {
        struct br_dead_record rec;
        const char *const headers[28];
    } cases[] = {
        {{.topic = "perscom.t1.records_ranks", .partition = 2, .offset = 41, .hook = "discord",
          .event = "rankrecord.created", .http_status = 400, .error = "HTTP 400", .attempts = 1,
          .first_attempt_ms = 1777629600123, .last_attempt_ms = 1777629600123,
          .reason = BR_DEAD_REFUSED},
         {"perscom.topic", "perscom.t1.records_ranks", "perscom.partition", "2",
          "perscom.offset", "41", "perscom.hook", "discord", "perscom.event",
          "rankrecord.created", "perscom.status", "400", "perscom.error", "HTTP 400",
          "perscom.attempts", "1", "perscom.first_attempt", "2026-05-01T10:00:00.123Z",
          "perscom.last_attempt", "2026-05-01T10:00:00.123Z", "perscom.reason", "refused",
          NULL}},
        /* undecodable: no hook, event, status or attempt times */
        {{.topic = "perscom.t1.users", .partition = 0, .offset = 7,
          .error = "bad magic byte 0x07", .attempts = 0, .first_attempt_ms = 1,
          .last_attempt_ms = 1, .reason = BR_DEAD_UNDECODABLE},
         {"perscom.topic", "perscom.t1.users", "perscom.partition", "0", "perscom.offset", "7",
          "perscom.error", "bad magic byte 0x07", "perscom.attempts", "0", "perscom.reason",
          "undecodable", NULL}},
        /* no error text: an empty header; a time of 0 leaves its header out */
        {{.topic = "t", .partition = 2147483647, .offset = 9000000000LL, .hook = "slack",
          .http_status = 0, .error = NULL, .attempts = 4294967295u, .first_attempt_ms = 0,
          .last_attempt_ms = 946684799999, .reason = BR_DEAD_EXHAUSTED},
         {"perscom.topic", "t", "perscom.partition", "2147483647", "perscom.offset",
          "9000000000", "perscom.hook", "slack", "perscom.error", "", "perscom.attempts",
          "4294967295", "perscom.last_attempt", "1999-12-31T23:59:59.999Z", "perscom.reason",
          "exhausted", NULL}},
        /* the payload's request_id and the Kafka header trace_id, last */
        {{.topic = "perscom.t1.users", .partition = 1, .offset = 3, .hook = "crm",
          .event = "user.created", .http_status = 404, .error = "HTTP 404", .attempts = 1,
          .first_attempt_ms = 1, .last_attempt_ms = 1, .reason = BR_DEAD_REFUSED,
          .request_id = "6f1c3a52-8d0e-5b7a-9c25-3e41d7f0b9a8", .trace_id = "trace-\u00e9"},
         {"perscom.topic", "perscom.t1.users", "perscom.partition", "1", "perscom.offset", "3",
          "perscom.hook", "crm", "perscom.event", "user.created", "perscom.status", "404",
          "perscom.error", "HTTP 404", "perscom.attempts", "1", "perscom.first_attempt",
          "1970-01-01T00:00:00.001Z", "perscom.last_attempt", "1970-01-01T00:00:00.001Z",
          "perscom.reason", "refused", "perscom.request_id",
          "6f1c3a52-8d0e-5b7a-9c25-3e41d7f0b9a8", "perscom.trace_id", "trace-\u00e9", NULL}},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rd_kafka_headers_t *headers = br_dlrecord_headers(&cases[i].rec);

        assert_non_null(headers);
        assert_headers(i, headers, cases[i].headers);
        rd_kafka_headers_destroy(headers);
    }
}

/*
 * The original headers a dead letter carries on (Apicurio's schema ids) come first, bytes and
 * order unchanged, repeated ones included; the perscom.* headers still parse after them.
 */
static void test_original_headers(void **state)
{
    static const unsigned char id[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x2c};
    rd_kafka_headers_t *original = rd_kafka_headers_new(3);
    struct br_dead_record rec = {.topic = "t", .partition = 0, .offset = 5, .error = "HTTP 400",
                                 .reason = BR_DEAD_REFUSED, .original = original};
    rd_kafka_headers_t *headers;
    struct br_dead_header got;
    const char *name;
    const void *value;
    size_t size;
    char errstr[256] = "";

    (void)state;
    rd_kafka_header_add(original, "apicurio.value.contentId", -1, id, sizeof(id));
    rd_kafka_header_add(original, "apicurio.value.globalId", -1, id, sizeof(id));
    rd_kafka_header_add(original, "apicurio.value.contentId", -1, "\x01", 1);
    headers = br_dlrecord_headers(&rec);
    assert_int_equal(rd_kafka_header_get_all(headers, 0, &name, &value, &size), 0);
    assert_string_equal(name, "apicurio.value.contentId");
    assert_int_equal(size, sizeof(id));
    assert_memory_equal(value, id, sizeof(id));
    assert_int_equal(rd_kafka_header_get_all(headers, 1, &name, &value, &size), 0);
    assert_string_equal(name, "apicurio.value.globalId");
    assert_int_equal(rd_kafka_header_get_all(headers, 2, &name, &value, &size), 0);
    assert_string_equal(name, "apicurio.value.contentId");
    assert_int_equal(size, 1);
    assert_int_equal(rd_kafka_header_get_all(headers, 3, &name, &value, &size), 0);
    assert_string_equal(name, "perscom.topic");
    if (br_dlrecord_parse(headers, &got, errstr, sizeof(errstr)) != 0) {
        fail_msg("%s", errstr);
    }
    assert_true(got.offset == 5);
    rd_kafka_headers_destroy(headers);
    rd_kafka_headers_destroy(original);
}

/* What br_dlrecord_headers writes, br_dlrecord_parse reads back. */
static void test_parse_round_trip(void **state)
{
    static const struct br_dead_record recs[] = {
        {.topic = "perscom.t1.records_ranks", .partition = 2, .offset = 41, .hook = "discord",
         .event = "rankrecord.created", .http_status = 400, .error = "HTTP 400", .attempts = 1,
         .first_attempt_ms = 1777629600123, .last_attempt_ms = 1777629600123,
         .reason = BR_DEAD_REFUSED, .request_id = "req-1", .trace_id = "tr-1"},
        {.topic = "perscom.t1.users", .partition = 0, .offset = 7, .error = "bad magic",
         .reason = BR_DEAD_UNDECODABLE},
        {.topic = "t", .partition = 2147483647, .offset = INT64_MAX, .hook = "slack",
         .attempts = 4294967295u, .reason = BR_DEAD_EXHAUSTED},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        rd_kafka_headers_t *headers = br_dlrecord_headers(&recs[i]);
        struct br_dead_header got;
        char errstr[256] = "";

        if (br_dlrecord_parse(headers, &got, errstr, sizeof(errstr)) != 0) {
            fail_msg("case %zu: %s", i, errstr);
        }
        assert_string_equal(got.topic, recs[i].topic);
        assert_int_equal(got.partition, recs[i].partition);
        assert_true(got.offset == recs[i].offset);
        assert_string_equal(got.hook, recs[i].hook ? recs[i].hook : "");
        assert_string_equal(got.event, recs[i].event ? recs[i].event : "");
        assert_int_equal(got.http_status, recs[i].http_status);
        assert_int_equal(got.reason, recs[i].reason);
        assert_int_equal(got.attempts, recs[i].attempts);
        assert_string_equal(got.request_id, recs[i].request_id ? recs[i].request_id : "");
        assert_string_equal(got.trace_id, recs[i].trace_id ? recs[i].trace_id : "");
        rd_kafka_headers_destroy(headers);
    }
}

static void test_parse_refuses(void **state)
{
    static const char long_hook[300] = {[0 ... 298] = 'h'};
    static const struct {
        const char *headers[16]; /* name, value pairs; a NULL value: a null header */
        const char *error;
    } cases[] = {
        {{NULL}, "header perscom.topic is missing"},
        {{"perscom.partition", "0", "perscom.offset", "1", "perscom.reason", "refused"},
         "header perscom.topic is missing"},
        {{"perscom.topic", "", "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "refused"}, "header perscom.topic is empty"},
        {{"perscom.topic", "t", "perscom.offset", "1", "perscom.reason", "refused"},
         "header perscom.partition is missing"},
        {{"perscom.topic", "t", "perscom.partition", "-1", "perscom.offset", "1",
          "perscom.reason", "refused"}, "header perscom.partition is '-1'"},
        {{"perscom.topic", "t", "perscom.partition", "2147483648", "perscom.offset", "1",
          "perscom.reason", "refused"}, "header perscom.partition is '2147483648'"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1x",
          "perscom.reason", "refused"}, "header perscom.offset is '1x'"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset",
          "99999999999999999999", "perscom.reason", "refused"}, "header perscom.offset is"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1"},
         "header perscom.reason is missing"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "lost"}, "header perscom.reason is 'lost'"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "refused", "perscom.status", "abc"}, "header perscom.status is"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "refused", "perscom.hook", long_hook}, "perscom.hook is too long"},
        {{"perscom.topic", "t", "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "refused", "perscom.event", "\xff"}, "perscom.event is not text"},
        {{"perscom.topic", NULL, "perscom.partition", "0", "perscom.offset", "1",
          "perscom.reason", "refused"}, "header perscom.topic is null"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rd_kafka_headers_t *headers = rd_kafka_headers_new(8);
        struct br_dead_header got;
        char errstr[256] = "";

        for (size_t h = 0; cases[i].headers[h]; h += 2) {
            rd_kafka_header_add(headers, cases[i].headers[h], -1, cases[i].headers[h + 1],
                                cases[i].headers[h + 1] ? -1 : 0);
        }
        if (br_dlrecord_parse(headers, &got, errstr, sizeof(errstr)) != -1 ||
            !strstr(errstr, cases[i].error) || strncmp(errstr, "not a dead-letter record: ",
                                                       26) != 0) {
            fail_msg("case %zu: \"%s\", want \"not a dead-letter record: ...%s...\"", i,
                     errstr, cases[i].error);
        }
        rd_kafka_headers_destroy(headers);
    }
    {
        struct br_dead_header got;
        char errstr[256] = "";
        assert_int_equal(br_dlrecord_parse(NULL, &got, errstr, sizeof(errstr)), -1);
        assert_string_equal(errstr, "not a dead-letter record: no headers");
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(br_dlrecord_reason_name(BR_DEAD_REFUSED), "refused");
    assert_string_equal(br_dlrecord_reason_name(BR_DEAD_EXHAUSTED), "exhausted");
    assert_string_equal(br_dlrecord_reason_name(BR_DEAD_UNDECODABLE), "undecodable");
    assert_string_equal(br_dlrecord_reason_name((enum br_dead_reason)99), "unknown");
    assert_int_equal(br_dlrecord_reason_parse("refused"), BR_DEAD_REFUSED);
    assert_int_equal(br_dlrecord_reason_parse("exhausted"), BR_DEAD_EXHAUSTED);
    assert_int_equal(br_dlrecord_reason_parse("undecodable"), BR_DEAD_UNDECODABLE);
    assert_int_equal(br_dlrecord_reason_parse("unknown"), -1);
    assert_int_equal(br_dlrecord_reason_parse(""), -1);
    assert_string_equal(br_dlrecord_outcome_name(BR_REPORT_DELIVERED), "delivered");
    assert_string_equal(br_dlrecord_outcome_name(BR_REPORT_DEAD_LETTERED), "dead_lettered");
    assert_string_equal(br_dlrecord_outcome_name(BR_REPORT_DROPPED), "dropped");
    assert_string_equal(br_dlrecord_outcome_name((enum br_report_outcome)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_original_headers),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
