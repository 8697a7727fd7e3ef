#ifndef BR_JSON_H
#define BR_JSON_H
/* The PHP-compatible JSON writer: byte for byte what PHP's json_encode($value) (no flags) writes. */
#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"

/* br_json_encode's answer when out would pass its limit (out->limit). */
#define BR_JSON_OVER_LIMIT (-2)

/*
 * Appends the encoding of value to out. Objects keep insertion order; an empty object is
 * written "{}" and an empty array "[]". Strings must be valid UTF-8 (json_encode fails on
 * anything else): returns -1 with a message then, and BR_JSON_OVER_LIMIT with a message when
 * out would pass its limit. On failure out is left as it was.
 */
int br_json_encode(const json_t *value, struct br_buf *out, char *errstr, size_t errstr_size);

/*
 * Parts of an encoding, for writers that put a document together themselves (render.c): a
 * string (UTF-8, as br_json_encode writes it), and a value at nesting depth depth (0 for a
 * document, 1 for a member of the document's object, ...: PHP's depth limit counts from
 * there). Both append to out and return 0, or -1 with a message (out may then hold part of
 * the value, and out->overflow is set when it passed its limit).
 */
int br_json_encode_string(const char *str, size_t len, struct br_buf *out, char *errstr,
                          size_t errstr_size);
int br_json_encode_at(const json_t *value, int depth, struct br_buf *out, char *errstr,
                      size_t errstr_size);

/*
 * Writes a float as PHP does: precision 0 gives json_encode's form (serialize_precision -1,
 * shortest round-trip digits, "1.0e+25"); precision > 0 gives "%.*G", PHP's form in a string
 * context such as http_build_query() (precision 14: "1.0E+25").
 */
#define BR_JSON_DOUBLE_MAX 40
void br_json_format_double(double value, int precision, char out[BR_JSON_DOUBLE_MAX]);

/*
 * Writes n's digits as "%" JSON_INTEGER_FORMAT does, without printf, at out (room for
 * BR_JSON_INTEGER_MAX bytes; no NUL); their count.
 */
#define BR_JSON_INTEGER_MAX 24
size_t br_json_integer_digits(json_int_t n, char *out);

#endif
