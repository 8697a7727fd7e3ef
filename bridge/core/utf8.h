#ifndef BR_UTF8_H
#define BR_UTF8_H
/* UTF-8 validation as json_encode applies it: shortest forms only, no surrogates, <= U+10FFFF. */
#include <stdbool.h>
#include <stddef.h>

/* true when the len bytes at text are well-formed UTF-8 (U+0000 included: JSON text may hold
 * it, json_encode writes it as \u0000). */
bool br_utf8_valid_nul(const void *text, size_t len);
/* The same, and without NUL bytes (what a C string or a header value can carry). */
bool br_utf8_valid(const char *text, size_t len);

#endif
