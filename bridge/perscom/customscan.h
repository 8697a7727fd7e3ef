#ifndef BR_CUSTOMSCAN_H
#define BR_CUSTOMSCAN_H
/*
 * The custom-field column's usual JSON text read without jansson: a flat object whose members
 * are strings without escapes, integers, true, false or null ({"callsign":"Viper 7","board":
 * "B-7"}). Anything else (escapes, numbers with a fraction or exponent or of 19 digits and more,
 * "-0", nested values, a repeated key, a list, invalid UTF-8, too many members or key bytes) is
 * refused, and the caller takes jansson's way (custom.h): what is accepted is exactly what
 * json_loadb reads into an object of such scalars, and gives the same members in the same order.
 */
#include <stddef.h>

#define BR_CUSTOMSCAN_MAX_MEMBERS 32
#define BR_CUSTOMSCAN_KEY_BYTES 1024

enum br_customscan_type {
    BR_CUSTOMSCAN_STRING,  /* text, len: the string's bytes (well-formed UTF-8, no NUL) */
    BR_CUSTOMSCAN_INTEGER, /* text, len: its digits as written, with a '-' (never "-0") */
    BR_CUSTOMSCAN_TRUE,
    BR_CUSTOMSCAN_FALSE,
    BR_CUSTOMSCAN_NULL
};

struct br_customscan_member {
    const char *key;       /* NUL-terminated, in the scan's keys */
    enum br_customscan_type type;
    const char *text;      /* in the scanned text (not NUL-terminated); the literal for the
                              constants */
    size_t len;
};

struct br_customscan {
    size_t count;
    struct br_customscan_member members[BR_CUSTOMSCAN_MAX_MEMBERS];
    char keys[BR_CUSTOMSCAN_KEY_BYTES];
};

/* 0 and the object's members in scan (pointing into text, which must outlive it), or -1 when
 * text is not such an object. */
int br_customscan_object(const char *text, size_t len, struct br_customscan *scan);

#endif
