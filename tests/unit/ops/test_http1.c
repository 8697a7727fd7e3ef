/*
 * Unit tests of http1.c, without sockets: the end of the headers, the request line's length and
 * its parts, reason phrases, and the exact bytes of a response.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ops/http1.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_headers_end(void **state)
{
    static const struct {
        const char *data;
        long want; /* offset of the end, or -1 for NULL */
    } cases[] = {
        {"", -1},
        {"\n", -1},
        {"\n\n", 0},
        {"\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\n\r\n", 15},
        {"GET / HTTP/1.1\n\n", 14},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 24},
        {"GET / HTTP/1.1\r\nHost: x\r\n", -1},
        {"GET / HTTP/1.1\r\nHost: x\r\n\r", -1},
        {"GET / HTTP/1.1\r\n\rX", -1},
        {"a\r\r\n", -1},
        {"a\n\r\nrest", 1},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *data = cases[i].data;
        const char *end = br_http1_headers_end(data, strlen(data));
        long got = end != NULL ? (long)(end - data) : -1;

        if (got != cases[i].want) {
            fail_msg("case %zu: got %ld, want %ld", i, got, cases[i].want);
        }
    }
    /* only len bytes are looked at */
    assert_null(br_http1_headers_end("GET /\n\n", 6));
}

static void test_line_len(void **state)
{
    static const struct {
        const char *data;
        size_t want;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 14},
        {"GET / HTTP/1.1\nHost: x\n\n", 14},
        {"\r\n\r\n", 0},
        {"\n\n", 0},
        {"a\r\r\n", 2},
        {"no line end", 11},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t got = br_http1_line_len(cases[i].data, strlen(cases[i].data));

        if (got != cases[i].want) {
            fail_msg("case %zu: got %zu, want %zu", i, got, cases[i].want);
        }
    }
}

static void test_parse_request_line(void **state)
{
    static const struct {
        const char *line;
        int rc;
        enum br_http1_method method;
        const char *path;
    } cases[] = {
        {"GET /healthz HTTP/1.1", 0, BR_HTTP1_GET, "/healthz"},
        {"GET /healthz HTTP/1.0", 0, BR_HTTP1_GET, "/healthz"},
        {"HEAD /readyz HTTP/1.1", 0, BR_HTTP1_HEAD, "/readyz"},
        {"POST /metrics HTTP/1.1", 0, BR_HTTP1_OTHER, "/metrics"},
        {"get /healthz HTTP/1.1", 0, BR_HTTP1_OTHER, "/healthz"}, /* methods are case-sensitive */
        {"GETS / HTTP/1.1", 0, BR_HTTP1_OTHER, "/"},
        {"GET /metrics?name=x HTTP/1.1", 0, BR_HTTP1_GET, "/metrics"},
        {"GET /a?b?c HTTP/1.1", 0, BR_HTTP1_GET, "/a"},
        {"GET ? HTTP/1.1", 0, BR_HTTP1_GET, ""},
        {"GET * HTTP/1.1", 0, BR_HTTP1_GET, "*"},
        {"GET / HTTP/1.x", 0, BR_HTTP1_GET, "/"}, /* only "HTTP/1." and the length are checked */
        {"", -1, 0, NULL},
        {"GET", -1, 0, NULL},
        {"GET /", -1, 0, NULL},
        {"GET /healthz", -1, 0, NULL},
        {" /healthz HTTP/1.1", -1, 0, NULL},
        {"GET  HTTP/1.1", -1, 0, NULL},
        {"GET /healthz HTTP/2.0", -1, 0, NULL},
        {"GET /healthz HTTP/1.10", -1, 0, NULL},
        {"GET /healthz http/1.1", -1, 0, NULL},
        {"GET /healthz SMTP/1.1", -1, 0, NULL},
        {"GET /a b HTTP/1.1", -1, 0, NULL},
        {"GET /healthz HTTP/1.1 ", -1, 0, NULL},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_http1_request request = {.method = BR_HTTP1_OTHER, .path = NULL};
        int rc = br_http1_parse_request_line(cases[i].line, strlen(cases[i].line), &request);

        if (rc != cases[i].rc) {
            fail_msg("case %zu [%s]: rc %d, want %d", i, cases[i].line, rc, cases[i].rc);
        }
        if (rc != 0) {
            continue;
        }
        if (request.method != cases[i].method || request.path_len != strlen(cases[i].path) ||
            memcmp(request.path, cases[i].path, request.path_len) != 0) {
            fail_msg("case %zu [%s]: method %d path [%.*s], want %d [%s]", i, cases[i].line,
                     request.method, (int)request.path_len, request.path, cases[i].method,
                     cases[i].path);
        }
    }
    /* the line is (pointer, length): bytes past len are not part of it */
    {
        static const char line[] = "GET /healthz HTTP/1.1\r\nHost: x";
        struct br_http1_request request;

        assert_int_equal(br_http1_parse_request_line(line, 21, &request), 0);
        assert_int_equal(request.path_len, 8);
        assert_int_equal(br_http1_parse_request_line(line, 23, &request), -1);
    }
}

static void test_reason(void **state)
{
    static const struct {
        int status;
        const char *reason;
    } cases[] = {
        {200, "OK"},
        {400, "Bad Request"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {503, "Service Unavailable"},
        {204, "Unknown"},
        {0, "Unknown"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_string_equal(br_http1_reason(cases[i].status), cases[i].reason);
    }
}

static void test_write(void **state)
{
    struct br_http1_response response;
    struct br_buf out;

    (void)state;
    br_buf_init(&out, 0);
    br_buf_append_str(&out, "left over from before");

    br_http1_text(&response, 404, "not found\n");
    assert_int_equal(response.status, 404);
    assert_string_equal(response.content_type, "text/plain; charset=utf-8");
    assert_null(response.extra_headers);
    assert_int_equal(response.body_len, 10);
    br_http1_write(&out, &response, false);
    assert_string_equal(out.data, "HTTP/1.1 404 Not Found\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Length: 10\r\n"
                                  "Cache-Control: no-store\r\n"
                                  "Connection: close\r\n"
                                  "\r\n"
                                  "not found\n");

    br_http1_text(&response, 405, "method not allowed\n");
    response.extra_headers = "Allow: GET, HEAD\r\n";
    br_http1_write(&out, &response, true); /* HEAD: headers only, the body's length */
    assert_string_equal(out.data, "HTTP/1.1 405 Method Not Allowed\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Length: 19\r\n"
                                  "Cache-Control: no-store\r\n"
                                  "Allow: GET, HEAD\r\n"
                                  "Connection: close\r\n"
                                  "\r\n");

    /* bodies are (pointer, length): NUL bytes pass */
    response.status = 200;
    response.content_type = "application/octet-stream";
    response.extra_headers = NULL;
    response.body = "a\0b";
    response.body_len = 3;
    br_http1_write(&out, &response, false);
    {
        static const char want[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: application/octet-stream\r\n"
                                   "Content-Length: 3\r\n"
                                   "Cache-Control: no-store\r\n"
                                   "Connection: close\r\n"
                                   "\r\n"
                                   "a\0b";

        assert_int_equal(out.len, sizeof(want) - 1);
        assert_memory_equal(out.data, want, sizeof(want) - 1);
    }
    br_buf_finish(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_end),        cmocka_unit_test(test_line_len),
        cmocka_unit_test(test_parse_request_line), cmocka_unit_test(test_reason),
        cmocka_unit_test(test_write),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
