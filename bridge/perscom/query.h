#ifndef BR_QUERY_H
#define BR_QUERY_H
/* The GET query string: what PHP's http_build_query($payload, '', '&', PHP_QUERY_RFC3986) writes. */
#include <jansson.h>

#include "core/buf.h"

int br_query_build(const json_t *payload, struct br_buf *out, char *errstr, size_t errstr_size);

#endif
