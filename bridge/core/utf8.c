#include "core/utf8.h"

#include <string.h>

bool br_utf8_valid(const char *text, size_t len)
{
    return memchr(text, 0, len) == NULL && br_utf8_valid_nul(text, len);
}

bool br_utf8_valid_nul(const void *text, size_t len)
{
    const unsigned char *p = text;
    const unsigned char *end = p + len;

    while (p < end) {
        unsigned char c = *p;
        size_t need;
        unsigned min;
        unsigned code;

        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            min = 0x80;
            code = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            min = 0x800;
            code = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            min = 0x10000;
            code = c & 0x07;
        } else {
            return false; /* continuation byte first, overlong lead 0xc0/0xc1, or > 0xf4 */
        }
        if ((size_t)(end - p) <= need) {
            return false;
        }
        for (size_t i = 1; i <= need; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return false;
            }
            code = (code << 6) | (p[i] & 0x3f);
        }
        if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
            return false;
        }
        p += need + 1;
    }
    return true;
}
