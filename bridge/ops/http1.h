#ifndef BR_HTTP1_H
#define BR_HTTP1_H
/*
 * The little HTTP/1.1 the admin listener speaks, without I/O: finding the end of a request's
 * headers, splitting its request line, and writing a response after which the connection
 * closes. Bytes travel as (pointer, length); nothing here needs NUL-terminated input.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

enum br_http1_method { BR_HTTP1_GET, BR_HTTP1_HEAD, BR_HTTP1_OTHER };

struct br_http1_request {
    enum br_http1_method method;
    const char *path; /* into the request line: the target up to its '?', not NUL-terminated */
    size_t path_len;
};

struct br_http1_response {
    int status;
    const char *content_type;
    const char *extra_headers; /* "Name: value\r\n"... or NULL */
    const char *body;          /* borrowed */
    size_t body_len;
};

/* The end of the headers in data ("\r\n\r\n", or "\n\n" from a lenient client), or NULL. */
const char *br_http1_headers_end(const char *data, size_t len);

/* The length of data's first line without its "\r\n" or "\n" (len when there is no '\n'). */
size_t br_http1_line_len(const char *data, size_t len);

/*
 * Splits the request line line[0..len) ("METHOD SP target SP HTTP/1.x", without its line end)
 * into *request. Returns 0, or -1 when it is malformed (an empty method or target, a missing
 * space, a version other than HTTP/1.x): the answer is then 400.
 */
int br_http1_parse_request_line(const char *line, size_t len, struct br_http1_request *request);

/* The reason phrase of the statuses the listener sends ("OK", "Not Found", ...), else "Unknown". */
const char *br_http1_reason(int status);

/* Sets *response to status with the text/plain (UTF-8) body body, NUL-terminated and borrowed. */
void br_http1_text(struct br_http1_response *response, int status, const char *body);

/*
 * Replaces out's contents with the whole response: status line, Content-Type, Content-Length,
 * Cache-Control: no-store, the extra headers, Connection: close, the blank line, then the body
 * unless head (Content-Length stays the body's).
 */
void br_http1_write(struct br_buf *out, const struct br_http1_response *response, bool head);

#endif
