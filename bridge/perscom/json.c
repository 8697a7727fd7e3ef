#include "perscom/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512 /* PHP's json_encode default depth */

static const char hex_digits[] = "0123456789abcdef";

/*
 * Decodes one UTF-8 sequence at s[0..len) into *cp; returns its length, or 0 when it is not
 * valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF are invalid, as in
 * PHP's php_next_utf8_char()).
 */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t need;
    uint32_t min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        min = 0x80;
        c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        min = 0x800;
        c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len < need) {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return need;
}

static int append_u16(struct br_buf *out, uint32_t unit)
{
    char esc[6] = {'\\', 'u', hex_digits[(unit >> 12) & 0xf], hex_digits[(unit >> 8) & 0xf],
                   hex_digits[(unit >> 4) & 0xf], hex_digits[unit & 0xf]};

    return br_buf_append(out, esc, sizeof(esc));
}

static int encode_string(const char *str, size_t len, struct br_buf *out, char *errstr,
                         size_t errstr_size)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t pos = 0;
    int rc = 0;

    rc |= br_buf_append_char(out, '"');
    while (pos < len) {
        size_t run = pos;

        /* copy runs of printable ASCII that need no escape in one go */
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\' &&
               s[run] != '/') {
            run++;
        }
        if (run > pos) {
            rc |= br_buf_append(out, s + pos, run - pos);
            pos = run;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_next(s + pos, len - pos, &cp);
        if (n == 0) {
            snprintf(errstr, errstr_size, "malformed UTF-8 at byte %zu of a string", pos);
            return -1;
        }
        pos += n;
        switch (cp) {
        case '"':
            rc |= br_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            rc |= br_buf_append(out, "\\\\", 2);
            break;
        case '/':
            rc |= br_buf_append(out, "\\/", 2);
            break;
        case '\b':
            rc |= br_buf_append(out, "\\b", 2);
            break;
        case '\f':
            rc |= br_buf_append(out, "\\f", 2);
            break;
        case '\n':
            rc |= br_buf_append(out, "\\n", 2);
            break;
        case '\r':
            rc |= br_buf_append(out, "\\r", 2);
            break;
        case '\t':
            rc |= br_buf_append(out, "\\t", 2);
            break;
        default:
            if (cp >= 0x10000) {
                uint32_t v = cp - 0x10000;
                rc |= append_u16(out, 0xd800 | (v >> 10));
                rc |= append_u16(out, 0xdc00 | (v & 0x3ff));
            } else {
                /* control characters and every non-ASCII character below U+10000 */
                rc |= append_u16(out, cp);
            }
            break;
        }
    }
    rc |= br_buf_append_char(out, '"');
    if (rc != 0) {
        snprintf(errstr, errstr_size, "JSON output passes the buffer limit");
        return -1;
    }
    return 0;
}

/*
 * Splits a "%.*e" rendering ("-1.2345e+17") into its digit string (no dot, trailing zeros
 * removed) and decimal exponent.
 */
static void split_sci(const char *sci, char *digits, int *exp10, int strip)
{
    const char *p = sci;
    size_t n = 0;

    if (*p == '-') {
        p++;
    }
    while (*p && *p != 'e') {
        if (*p != '.') {
            digits[n++] = *p;
        }
        p++;
    }
    while (strip && n > 1 && digits[n - 1] == '0') {
        n--;
    }
    digits[n] = '\0';
    *exp10 = (*p == 'e') ? atoi(p + 1) : 0;
}

static int round_trips(const char *digits, int exp10, int negative, double value)
{
    char text[64];

    snprintf(text, sizeof(text), "%s0.%se%d", negative ? "-" : "", digits, exp10 + 1);
    return strtod(text, NULL) == value;
}

/* Adds delta (+1 or -1) to the last digit of a digit string of p digits; 0 on success. */
static int step_digits(const char *digits, int exp10, int delta, char *out, int *out_exp)
{
    size_t n = strlen(digits);
    uint64_t mant = strtoull(digits, NULL, 10);
    char tmp[32];

    if (delta < 0 && mant <= 1) {
        return -1;
    }
    mant = delta > 0 ? mant + 1 : mant - 1;
    snprintf(tmp, sizeof(tmp), "%" PRIu64, mant);
    /* carries may lengthen (999 -> 1000) or shorten (100 -> 99) the digit string */
    *out_exp = exp10 + (int)strlen(tmp) - (int)n;
    split_sci(tmp, out, &(int){0}, 1);
    return 0;
}

/*
 * The shortest digit string that reads back as value, and the position of the decimal
 * point (value = 0.DIGITS * 10^decpt), like zend_dtoa(value, 0, ...). mode 2 with ndigit
 * digits when ndigit > 0 (correct rounding to ndigit significant digits).
 */
static void dtoa_digits(double value, int ndigit, char *digits, int *decpt)
{
    char sci[64];
    char cand[32];
    int exp10;
    int negative = signbit(value) != 0;

    if (value == 0.0) {
        strcpy(digits, "0");
        *decpt = 1;
        return;
    }
    if (ndigit > 0) {
        snprintf(sci, sizeof(sci), "%.*e", ndigit - 1, value);
        split_sci(sci, digits, &exp10, 1);
        *decpt = exp10 + 1;
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(sci, sizeof(sci), "%.*e", p - 1, value);
        split_sci(sci, digits, &exp10, 0);
        if (round_trips(digits, exp10, negative, value)) {
            split_sci(sci, digits, &exp10, 1);
            *decpt = exp10 + 1;
            return;
        }
        /*
         * At a power of two the interval of values reading back is lopsided: a neighbour of
         * the correctly rounded string may read back when that string does not.
         */
        for (int delta = -1; delta <= 1; delta += 2) {
            int cand_exp;
            if (step_digits(digits, exp10, delta, cand, &cand_exp) == 0 &&
                round_trips(cand, cand_exp, negative, value)) {
                strcpy(digits, cand);
                *decpt = cand_exp + 1;
                return;
            }
        }
    }
    snprintf(sci, sizeof(sci), "%.16e", value);
    split_sci(sci, digits, &exp10, 1);
    *decpt = exp10 + 1;
}

/* php_gcvt(): precision 17 for mode 0, exponent char 'e' or 'E'. */
static void php_gcvt(double value, int ndigit, char exp_char, char *buf)
{
    char digits[40];
    int decpt;
    int precision = ndigit > 0 ? ndigit : 17;
    char *dst = buf;

    dtoa_digits(value, ndigit, digits, &decpt);
    if (signbit(value)) {
        *dst++ = '-';
    }
    if (decpt < 0 ? decpt < -3 : decpt > precision) {
        int e = decpt - 1;
        *dst++ = digits[0];
        *dst++ = '.';
        if (digits[1] == '\0') {
            *dst++ = '0';
        } else {
            size_t n = strlen(digits + 1);
            memcpy(dst, digits + 1, n);
            dst += n;
        }
        sprintf(dst, "%c%c%d", exp_char, e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (decpt < 0) {
        *dst++ = '0';
        *dst++ = '.';
        for (int i = decpt; i < 0; i++) {
            *dst++ = '0';
        }
        strcpy(dst, digits);
    } else {
        const char *src = digits;
        for (int i = 0; i < decpt; i++) {
            *dst++ = *src ? *src++ : '0';
        }
        if (*src) {
            if (src == digits) {
                *dst++ = '0';
            }
            *dst++ = '.';
            strcpy(dst, src);
        } else {
            *dst = '\0';
        }
    }
}

void br_json_format_double(double value, int precision, char out[BR_JSON_DOUBLE_MAX])
{
    if (precision > 0) {
        php_gcvt(value, precision > 17 ? 17 : precision, 'E', out);
    } else {
        php_gcvt(value, 0, 'e', out);
    }
}

static int encode_value(const json_t *value, int depth, struct br_buf *out, char *errstr,
                        size_t errstr_size)
{
    char num[BR_JSON_DOUBLE_MAX];

    if ((json_is_object(value) || json_is_array(value)) && depth >= MAX_DEPTH) {
        /* PHP allows 512 nested arrays and objects, not 513 */
        snprintf(errstr, errstr_size, "maximum nesting depth %d exceeded", MAX_DEPTH);
        return -1;
    }
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        int first = 1;

        if (json_object_size(value) == 0) {
            return br_buf_append(out, "{}", 2) == 0 ? 0 : -1;
        }
        br_buf_append_char(out, '{');
        json_object_foreach((json_t *)value, key, member) {
            if (!first) {
                br_buf_append_char(out, ',');
            }
            first = 0;
            if (encode_string(key, strlen(key), out, errstr, errstr_size) != 0) {
                return -1;
            }
            br_buf_append_char(out, ':');
            if (encode_value(member, depth + 1, out, errstr, errstr_size) != 0) {
                return -1;
            }
        }
        return br_buf_append_char(out, '}') == 0 ? 0 : -1;
    }
    case JSON_ARRAY:
        br_buf_append_char(out, '[');
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (i > 0) {
                br_buf_append_char(out, ',');
            }
            if (encode_value(json_array_get(value, i), depth + 1, out, errstr, errstr_size) !=
                0) {
                return -1;
            }
        }
        return br_buf_append_char(out, ']') == 0 ? 0 : -1;
    case JSON_STRING:
        return encode_string(json_string_value(value), json_string_length(value), out, errstr,
                             errstr_size);
    case JSON_INTEGER: {
        char digits[BR_JSON_INTEGER_MAX];
        size_t len = br_json_integer_digits(json_integer_value(value), digits);

        return br_buf_append(out, digits, len) == 0 ? 0 : -1;
    }
    case JSON_REAL:
        if (!isfinite(json_real_value(value))) {
            snprintf(errstr, errstr_size, "Inf and NaN cannot be JSON encoded");
            return -1;
        }
        br_json_format_double(json_real_value(value), 0, num);
        return br_buf_append_str(out, num) == 0 ? 0 : -1;
    case JSON_TRUE:
        return br_buf_append(out, "true", 4) == 0 ? 0 : -1;
    case JSON_FALSE:
        return br_buf_append(out, "false", 5) == 0 ? 0 : -1;
    case JSON_NULL:
        return br_buf_append(out, "null", 4) == 0 ? 0 : -1;
    }
    snprintf(errstr, errstr_size, "unknown JSON type");
    return -1;
}

int br_json_encode_string(const char *str, size_t len, struct br_buf *out, char *errstr,
                          size_t errstr_size)
{
    return encode_string(str, len, out, errstr, errstr_size);
}

int br_json_encode_at(const json_t *value, int depth, struct br_buf *out, char *errstr,
                      size_t errstr_size)
{
    if (!value) {
        snprintf(errstr, errstr_size, "no value to encode");
        return -1;
    }
    return encode_value(value, depth, out, errstr, errstr_size);
}

int br_json_encode(const json_t *value, struct br_buf *out, char *errstr, size_t errstr_size)
{
    size_t start = out->len;
    int overflow = out->overflow;

    if (!value) {
        snprintf(errstr, errstr_size, "no value to encode");
        return -1;
    }
    if (encode_value(value, 0, out, errstr, errstr_size) != 0 || out->overflow) {
        int rc = -1;

        if (out->overflow) {
            snprintf(errstr, errstr_size, "JSON output passes the buffer limit of %zu bytes",
                     out->limit);
            rc = BR_JSON_OVER_LIMIT;
        }
        /* leave out as it was */
        out->len = start;
        out->overflow = overflow;
        if (out->data) {
            out->data[start] = '\0';
        }
        return rc;
    }
    return 0;
}

size_t br_json_integer_digits(json_int_t n, char *out)
{
    uint64_t magnitude = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    char digits[BR_JSON_INTEGER_MAX];
    size_t at = sizeof(digits);

    do {
        digits[--at] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (n < 0) {
        digits[--at] = '-';
    }
    memcpy(out, digits + at, sizeof(digits) - at);
    return sizeof(digits) - at;
}
