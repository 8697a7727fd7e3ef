/*
 * Unit tests of endpoints.c, without sockets: the routing of request lines (400, 404, 405 before
 * the path, HEAD), /readyz's reason made one line, and /metrics' failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "ops/endpoints.h"
#include "ops/http1.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct probe {
    bool ready;
    const char *reason;
    int metrics_rc;
    const char *metrics_body;
    size_t metrics_repeat; /* appends metrics_body this many times (0: once) */
    int ready_calls;
    int metrics_calls;
};

static bool ready_cb(void *opaque, char *reason, size_t reason_size)
{
    struct probe *probe = opaque;

    probe->ready_calls++;
    if (!probe->ready) {
        snprintf(reason, reason_size, "%s", probe->reason);
    }
    return probe->ready;
}

static int metrics_cb(void *opaque, struct br_buf *out)
{
    struct probe *probe = opaque;

    probe->metrics_calls++;
    assert_int_equal(out->len, 0);
    for (size_t i = 0; i < (probe->metrics_repeat ? probe->metrics_repeat : 1); i++) {
        br_buf_append_str(out, probe->metrics_body);
    }
    return probe->metrics_rc;
}

static void route(struct br_endpoints *endpoints, const char *line, bool *head,
                  struct br_http1_response *response)
{
    memset(response, 0, sizeof(*response));
    *head = !*head; /* the route must set it either way */
    br_endpoints_route(endpoints, line, strlen(line), head, response);
}

static void assert_response(size_t i, const struct br_http1_response *response, int status,
                            const char *body)
{
    if (response->status != status || response->body == NULL ||
        response->body_len != strlen(body) || memcmp(response->body, body, strlen(body)) != 0) {
        fail_msg("case %zu: got %d [%.*s], want %d [%s]", i, response->status,
                 (int)response->body_len, response->body ? response->body : "", status, body);
    }
}

static void test_routes(void **state)
{
    static const struct {
        const char *line;
        int status;
        const char *body;
        bool head;
        const char *extra_headers;
    } cases[] = {
        {"GET /healthz HTTP/1.1", 200, "ok\n", false, NULL},
        {"HEAD /healthz HTTP/1.1", 200, "ok\n", true, NULL},
        {"GET /healthz?x=1 HTTP/1.0", 200, "ok\n", false, NULL},
        {"GET /readyz HTTP/1.1", 503, "warming up\n", false, NULL},
        {"GET /metrics HTTP/1.1", 200, "m 1\n", false, NULL},
        {"HEAD /metrics HTTP/1.1", 200, "m 1\n", true, NULL},
        {"GET / HTTP/1.1", 404, "not found\n", false, NULL},
        {"GET /healthz/ HTTP/1.1", 404, "not found\n", false, NULL},
        {"GET /metricsx HTTP/1.1", 404, "not found\n", false, NULL},
        {"HEAD /nothing HTTP/1.1", 404, "not found\n", true, NULL},
        {"POST /healthz HTTP/1.1", 405, "method not allowed\n", false, "Allow: GET, HEAD\r\n"},
        {"DELETE /nothing HTTP/1.1", 405, "method not allowed\n", false, "Allow: GET, HEAD\r\n"},
        {"GET /healthz", 400, "bad request\n", false, NULL},
        {"POST /healthz HTTP/2", 400, "bad request\n", false, NULL}, /* 400 before 405 */
        {"garbage", 400, "bad request\n", false, NULL},
    };
    struct probe probe = {.ready = false, .reason = "warming up", .metrics_body = "m 1\n"};
    struct br_endpoints endpoints;

    (void)state;
    br_endpoints_init(&endpoints, ready_cb, metrics_cb, &probe);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_http1_response response;
        bool head = false;

        route(&endpoints, cases[i].line, &head, &response);
        assert_response(i, &response, cases[i].status, cases[i].body);
        if (head != cases[i].head) {
            fail_msg("case %zu: head %d, want %d", i, head, cases[i].head);
        }
        if ((cases[i].extra_headers == NULL) != (response.extra_headers == NULL) ||
            (cases[i].extra_headers != NULL &&
             strcmp(cases[i].extra_headers, response.extra_headers) != 0)) {
            fail_msg("case %zu: extra headers [%s]", i,
                     response.extra_headers ? response.extra_headers : "(none)");
        }
        assert_non_null(response.content_type);
        assert_string_equal(response.content_type,
                            cases[i].status == 200 && strstr(cases[i].line, "/metrics")
                                ? "text/plain; version=0.0.4; charset=utf-8"
                                : "text/plain; charset=utf-8");
    }
    /* the callbacks ran for their own paths only */
    assert_int_equal(probe.ready_calls, 1);
    assert_int_equal(probe.metrics_calls, 2);
    br_endpoints_finish(&endpoints);
}

static void test_without_callbacks(void **state)
{
    struct br_endpoints endpoints;
    struct br_http1_response response;
    bool head = false;

    (void)state;
    br_endpoints_init(&endpoints, NULL, NULL, NULL);
    route(&endpoints, "GET /readyz HTTP/1.1", &head, &response);
    assert_response(0, &response, 200, "ok\n");
    route(&endpoints, "GET /metrics HTTP/1.1", &head, &response);
    assert_response(1, &response, 404, "not found\n");
    br_endpoints_finish(&endpoints);
}

/* The reason of a 503 becomes one line of at most 255 bytes; an empty one says "not ready". */
static void test_readyz_reason(void **state)
{
    char longer[400];
    char want_long[257];
    const struct {
        const char *reason;
        const char *body;
    } cases[] = {
        {"no partition assigned\n(joining\tgroup)\x7f", "no partition assigned (joining group) \n"},
        {"", "not ready\n"},
        {longer, want_long},
    };
    struct probe probe = {.ready = false};
    struct br_endpoints endpoints;

    (void)state;
    memset(longer, 'r', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    memset(want_long, 'r', 255);
    want_long[255] = '\n';
    want_long[256] = '\0';
    br_endpoints_init(&endpoints, ready_cb, NULL, &probe);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct br_http1_response response;
        bool head = false;

        probe.reason = cases[i].reason;
        route(&endpoints, "GET /readyz HTTP/1.1", &head, &response);
        assert_response(i, &response, 503, cases[i].body);
    }
    br_endpoints_finish(&endpoints);
}

static void test_metrics_failures(void **state)
{
    struct probe probe = {.ready = true, .metrics_body = "m 1\n", .metrics_rc = -1};
    struct br_endpoints endpoints;
    struct br_http1_response response;
    bool head = false;

    (void)state;
    br_endpoints_init(&endpoints, ready_cb, metrics_cb, &probe);
    route(&endpoints, "GET /metrics HTTP/1.1", &head, &response);
    assert_response(0, &response, 500, "metrics unavailable\n");

    /* past BR_ADMIN_METRICS_LIMIT the exposition is refused, not cut */
    probe.metrics_rc = 0;
    probe.metrics_body = "0123456789abcdef";
    probe.metrics_repeat = BR_ADMIN_METRICS_LIMIT / 16 + 1;
    route(&endpoints, "GET /metrics HTTP/1.1", &head, &response);
    assert_response(1, &response, 500, "metrics unavailable\n");

    /* exactly at the limit it is served whole, and the buffer recovers after the overflow */
    probe.metrics_repeat = BR_ADMIN_METRICS_LIMIT / 16;
    route(&endpoints, "GET /metrics HTTP/1.1", &head, &response);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.body_len, BR_ADMIN_METRICS_LIMIT);
    assert_int_equal(probe.metrics_calls, 3);
    br_endpoints_finish(&endpoints);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_without_callbacks),
        cmocka_unit_test(test_readyz_reason),
        cmocka_unit_test(test_metrics_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
