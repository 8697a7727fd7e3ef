#ifndef BR_JSON_H
#define BR_JSON_H
/* The PHP-compatible JSON writer: byte for byte what PHP's json_encode($value) (no flags) writes. */
#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/*
 * Appends the encoding of value to out. Objects keep insertion order; an empty object is
 * written "{}" and an empty array "[]". Strings must be valid UTF-8 (json_encode fails on
 * anything else): returns -1 with a message then, or when out passes its limit.
 */
int br_json_encode(const json_t *value, struct br_buf *out, char *errstr, size_t errstr_size);

#endif
