/* The admin listener's HTTP/1.1, without I/O (see http1.h). */
#include "ops/http1.h"

#include <string.h>

#define TEXT_PLAIN "text/plain; charset=utf-8"

const char *br_http1_headers_end(const char *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\n' &&
            (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n'))) {
            return data + i;
        }
    }
    return NULL;
}

size_t br_http1_line_len(const char *data, size_t len)
{
    const char *eol = memchr(data, '\n', len);
    size_t line_len;

    if (!eol) {
        return len;
    }
    line_len = (size_t)(eol - data);
    if (line_len > 0 && data[line_len - 1] == '\r') {
        line_len--;
    }
    return line_len;
}

int br_http1_parse_request_line(const char *line, size_t len, struct br_http1_request *request)
{
    const char *method_end = memchr(line, ' ', len);
    const char *target;
    const char *target_end;
    const char *query;
    size_t method_len;

    if (!method_end || method_end == line) {
        return -1;
    }
    target = method_end + 1;
    target_end = memchr(target, ' ', len - (size_t)(target - line));
    if (!target_end || target_end == target ||
        (size_t)(line + len - (target_end + 1)) != strlen("HTTP/1.1") ||
        memcmp(target_end + 1, "HTTP/1.", strlen("HTTP/1.")) != 0) {
        return -1;
    }
    method_len = (size_t)(method_end - line);
    if (method_len == 4 && memcmp(line, "HEAD", 4) == 0) {
        request->method = BR_HTTP1_HEAD;
    } else if (method_len == 3 && memcmp(line, "GET", 3) == 0) {
        request->method = BR_HTTP1_GET;
    } else {
        request->method = BR_HTTP1_OTHER;
    }
    request->path = target;
    request->path_len = (size_t)(target_end - target);
    query = memchr(target, '?', request->path_len);
    if (query) {
        request->path_len = (size_t)(query - target);
    }
    return 0;
}

const char *br_http1_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void br_http1_text(struct br_http1_response *response, int status, const char *body)
{
    response->status = status;
    response->content_type = TEXT_PLAIN;
    response->extra_headers = NULL;
    response->body = body;
    response->body_len = strlen(body);
}

void br_http1_write(struct br_buf *out, const struct br_http1_response *response, bool head)
{
    br_buf_reset(out);
    br_buf_printf(out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n%sConnection: close\r\n\r\n",
                  response->status, br_http1_reason(response->status), response->content_type,
                  response->body_len, response->extra_headers ? response->extra_headers : "");
    if (!head) {
        br_buf_append(out, response->body, response->body_len);
    }
}
