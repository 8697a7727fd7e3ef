/*
 * A flat JSON object of simple scalars read without building a jansson tree (customscan.h).
 * Every refusal sends the caller to json_loadb, so this reader only has to be exact about what
 * it accepts: RFC 8259 whitespace and punctuation, strings of unescaped characters from U+0020
 * on in well-formed UTF-8, integers that strtoll reads without overflow.
 */
#include "perscom/customscan.h"

#include <string.h>

#include "core/utf8.h"

/* At most 18 digits: every such integer fits json_int_t (long long), as jansson reads it. */
#define MAX_DIGITS 18

struct cursor {
    const char *at;
    const char *end;
};

static void skip_space(struct cursor *c)
{
    while (c->at < c->end &&
           (*c->at == ' ' || *c->at == '\t' || *c->at == '\n' || *c->at == '\r')) {
        c->at++;
    }
}

/* A string without escapes or control characters: its bytes; -1 otherwise. */
static int string(struct cursor *c, const char **text, size_t *len)
{
    const char *start;

    if (c->at >= c->end || *c->at != '"') {
        return -1;
    }
    start = ++c->at;
    while (c->at < c->end && *c->at != '"') {
        unsigned char ch = (unsigned char)*c->at;

        if (ch == '\\' || ch < 0x20) {
            return -1;
        }
        c->at++;
    }
    if (c->at >= c->end) {
        return -1;
    }
    *text = start;
    *len = (size_t)(c->at - start);
    c->at++;
    return br_utf8_valid(start, *len) ? 0 : -1;
}

static int literal(struct cursor *c, const char *word, size_t len)
{
    if ((size_t)(c->end - c->at) < len || memcmp(c->at, word, len) != 0) {
        return -1;
    }
    c->at += len;
    return 0;
}

/* -?(0|[1-9][0-9]*) not followed by a fraction or an exponent, at most MAX_DIGITS, not "-0". */
static int integer(struct cursor *c, const char **text, size_t *len)
{
    const char *start = c->at;
    size_t digits = 0;

    if (c->at < c->end && *c->at == '-') {
        c->at++;
    }
    while (c->at < c->end && *c->at >= '0' && *c->at <= '9') {
        c->at++;
        digits++;
    }
    if (digits == 0 || digits > MAX_DIGITS) {
        return -1;
    }
    if (c->at[-(long)digits] == '0' && (digits > 1 || *start == '-')) {
        return -1; /* a leading zero (jansson refuses it) or "-0" (an integer 0: written "0") */
    }
    if (c->at < c->end && (*c->at == '.' || *c->at == 'e' || *c->at == 'E')) {
        return -1;
    }
    *text = start;
    *len = (size_t)(c->at - start);
    return 0;
}

static int value(struct cursor *c, struct br_customscan_member *m)
{
    char first = c->at < c->end ? *c->at : '\0';

    m->text = c->at;
    switch (first) {
    case '"':
        m->type = BR_CUSTOMSCAN_STRING;
        return string(c, &m->text, &m->len);
    case 't':
        m->type = BR_CUSTOMSCAN_TRUE;
        m->len = 4;
        return literal(c, "true", 4);
    case 'f':
        m->type = BR_CUSTOMSCAN_FALSE;
        m->len = 5;
        return literal(c, "false", 5);
    case 'n':
        m->type = BR_CUSTOMSCAN_NULL;
        m->len = 4;
        return literal(c, "null", 4);
    default:
        m->type = BR_CUSTOMSCAN_INTEGER;
        return integer(c, &m->text, &m->len);
    }
}

/* The key copied into the scan's keys; -1 when it does not fit or repeats an earlier one. */
static int add_key(struct br_customscan *scan, size_t *used, const char *key, size_t len)
{
    char *copy = scan->keys + *used;

    if (len + 1 > sizeof(scan->keys) - *used) {
        return -1;
    }
    memcpy(copy, key, len);
    copy[len] = '\0';
    for (size_t i = 0; i < scan->count; i++) {
        if (strcmp(scan->members[i].key, copy) == 0) {
            return -1; /* jansson keeps the first place and the last value: its way */
        }
    }
    scan->members[scan->count].key = copy;
    *used += len + 1;
    return 0;
}

int br_customscan_object(const char *text, size_t len, struct br_customscan *scan)
{
    struct cursor c = {.at = text, .end = text + len};
    size_t used = 0;

    scan->count = 0;
    skip_space(&c);
    if (c.at >= c.end || *c.at++ != '{') {
        return -1;
    }
    skip_space(&c);
    if (c.at < c.end && *c.at == '}') {
        c.at++;
    } else {
        for (;;) {
            const char *key;
            size_t key_len;

            if (scan->count == BR_CUSTOMSCAN_MAX_MEMBERS || string(&c, &key, &key_len) != 0 ||
                add_key(scan, &used, key, key_len) != 0) {
                return -1;
            }
            skip_space(&c);
            if (c.at >= c.end || *c.at++ != ':') {
                return -1;
            }
            skip_space(&c);
            if (value(&c, &scan->members[scan->count]) != 0) {
                return -1;
            }
            scan->count++;
            skip_space(&c);
            if (c.at < c.end && *c.at == ',') {
                c.at++;
                skip_space(&c);
                continue;
            }
            if (c.at < c.end && *c.at == '}') {
                c.at++;
                break;
            }
            return -1;
        }
    }
    skip_space(&c);
    return c.at == c.end ? 0 : -1;
}
