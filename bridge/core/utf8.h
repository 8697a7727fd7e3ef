#ifndef BR_UTF8_H
#define BR_UTF8_H
/* UTF-8 validation as json_encode applies it: shortest forms only, no surrogates, <= U+10FFFF. */
#include <stdbool.h>
#include <stddef.h>

/* true when the len bytes at text are well-formed UTF-8 without NUL bytes. */
bool br_utf8_valid(const char *text, size_t len);

#endif
