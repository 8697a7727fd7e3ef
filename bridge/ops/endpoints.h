#ifndef BR_ENDPOINTS_H
#define BR_ENDPOINTS_H
/*
 * The admin listener's endpoints and routing, without I/O: a request line becomes the response
 * of /healthz, /readyz or /metrics (admin.h says what each answers), 404 for other paths, 405
 * (with Allow) for methods other than GET and HEAD whatever the path, or 400 when malformed.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "ops/admin.h"
#include "ops/http1.h"

struct br_endpoints {
    br_admin_ready_fn ready;     /* NULL: always ready */
    br_admin_metrics_fn metrics; /* NULL: /metrics is 404 */
    void *opaque;                /* passed to both callbacks */
    struct br_buf body;          /* reused for each body that is not a constant */
};

/* Sets up endpoints (the caller's memory) with the callbacks; _finish frees its body. */
void br_endpoints_init(struct br_endpoints *endpoints, br_admin_ready_fn ready,
                       br_admin_metrics_fn metrics, void *opaque);
void br_endpoints_finish(struct br_endpoints *endpoints);

/*
 * Decides the response to the request line line[0..len) (without its line end); the callbacks
 * run here. *head is true for a HEAD request (send the headers only). The response's body is
 * constant or points into endpoints->body: valid until the next call.
 */
void br_endpoints_route(struct br_endpoints *endpoints, const char *line, size_t len, bool *head,
                        struct br_http1_response *response);

#endif
