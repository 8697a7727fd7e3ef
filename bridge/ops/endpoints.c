/* /healthz, /readyz, /metrics and the routing of request lines to them (see endpoints.h). */
#include "ops/endpoints.h"

#include <string.h>

#include "core/log.h"

void br_endpoints_init(struct br_endpoints *endpoints, br_admin_ready_fn ready,
                       br_admin_metrics_fn metrics, void *opaque)
{
    endpoints->ready = ready;
    endpoints->metrics = metrics;
    endpoints->opaque = opaque;
    br_buf_init(&endpoints->body, BR_ADMIN_METRICS_LIMIT);
}

void br_endpoints_finish(struct br_endpoints *endpoints)
{
    br_buf_finish(&endpoints->body);
}

static void serve_healthz(struct br_endpoints *endpoints, struct br_http1_response *response)
{
    br_http1_text(response, 200, "ok\n");
}

static void serve_readyz(struct br_endpoints *endpoints, struct br_http1_response *response)
{
    char reason[256];

    reason[0] = '\0';
    if (!endpoints->ready || endpoints->ready(endpoints->opaque, reason, sizeof(reason))) {
        br_http1_text(response, 200, "ok\n");
        return;
    }
    reason[sizeof(reason) - 1] = '\0';
    for (char *p = reason; *p; p++) { /* one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = ' ';
        }
    }
    br_buf_reset(&endpoints->body);
    br_buf_append_str(&endpoints->body, reason[0] ? reason : "not ready");
    br_buf_append_char(&endpoints->body, '\n');
    br_http1_text(response, 503, endpoints->body.data);
}

static void serve_metrics(struct br_endpoints *endpoints, struct br_http1_response *response)
{
    if (!endpoints->metrics) {
        br_http1_text(response, 404, "not found\n");
        return;
    }
    br_buf_reset(&endpoints->body);
    if (endpoints->metrics(endpoints->opaque, &endpoints->body) != 0 ||
        endpoints->body.overflow) {
        br_log_warn("admin", "/metrics: the metrics could not be rendered");
        br_http1_text(response, 500, "metrics unavailable\n");
        return;
    }
    response->status = 200;
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    response->extra_headers = NULL;
    response->body = endpoints->body.data ? endpoints->body.data : "";
    response->body_len = endpoints->body.len;
}

static const struct {
    const char *path;
    void (*serve)(struct br_endpoints *endpoints, struct br_http1_response *response);
} routes[] = {
    {"/healthz", serve_healthz},
    {"/readyz", serve_readyz},
    {"/metrics", serve_metrics},
};

void br_endpoints_route(struct br_endpoints *endpoints, const char *line, size_t len, bool *head,
                        struct br_http1_response *response)
{
    struct br_http1_request request;

    *head = false;
    if (br_http1_parse_request_line(line, len, &request) != 0) {
        br_http1_text(response, 400, "bad request\n");
        return;
    }
    /* the method first: anything but GET and HEAD is 405 whatever the path */
    *head = request.method == BR_HTTP1_HEAD;
    if (request.method == BR_HTTP1_OTHER) {
        br_http1_text(response, 405, "method not allowed\n");
        response->extra_headers = "Allow: GET, HEAD\r\n";
        return;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strlen(routes[i].path) == request.path_len &&
            memcmp(routes[i].path, request.path, request.path_len) == 0) {
            routes[i].serve(endpoints, response);
            return;
        }
    }
    br_http1_text(response, 404, "not found\n");
}
