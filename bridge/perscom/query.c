#include "perscom/query.h"

#include <stdio.h>
#include <string.h>

#include "perscom/json.h"

/* PHP's rawurlencode(): everything but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex). */
static void append_encoded(struct br_buf *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    size_t pos = 0;

    while (pos < len) {
        size_t run = pos;
        while (run < len && ((s[run] >= 'A' && s[run] <= 'Z') || (s[run] >= 'a' && s[run] <= 'z') ||
                             (s[run] >= '0' && s[run] <= '9') || s[run] == '-' ||
                             s[run] == '_' || s[run] == '.' || s[run] == '~')) {
            run++;
        }
        br_buf_append(out, s + pos, run - pos);
        if (run < len) {
            char esc[3] = {'%', hex[s[run] >> 4], hex[s[run] & 0xf]};
            br_buf_append(out, esc, sizeof(esc));
            run++;
        }
        pos = run;
    }
}

/* The scalar as PHP writes it in a string context, percent-encoded. */
static void append_scalar(struct br_buf *out, const json_t *value)
{
    char num[BR_JSON_DOUBLE_MAX];

    switch (json_typeof(value)) {
    case JSON_STRING:
        append_encoded(out, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        br_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        br_json_format_double(json_real_value(value), 14, num);
        append_encoded(out, num, strlen(num));
        break;
    case JSON_TRUE:
        br_buf_append_char(out, '1');
        break;
    default: /* JSON_FALSE; null never gets here */
        br_buf_append_char(out, '0');
        break;
    }
}

/*
 * One member: prefix is the already encoded "outer%5Bmiddle%5D%5B" (NULL at the top level).
 * Nulls and empty containers write nothing.
 */
static void append_member(struct br_buf *out, const char *prefix, size_t prefix_len,
                          const char *key, size_t key_len, const json_t *value, int depth);

static void append_container(struct br_buf *out, const char *prefix, size_t prefix_len,
                             const json_t *value, int depth)
{
    char index[32];

    if (json_is_object(value)) {
        const char *key;
        size_t key_len;
        json_t *member;
        json_object_keylen_foreach((json_t *)value, key, key_len, member) {
            append_member(out, prefix, prefix_len, key, key_len, member, depth);
        }
        return;
    }
    for (size_t i = 0; i < json_array_size(value); i++) {
        int n = snprintf(index, sizeof(index), "%zu", i);
        append_member(out, prefix, prefix_len, index, (size_t)n, json_array_get(value, i), depth);
    }
}

static void append_member(struct br_buf *out, const char *prefix, size_t prefix_len,
                          const char *key, size_t key_len, const json_t *value, int depth)
{
    if (json_is_null(value)) {
        return;
    }
    if (json_is_object(value) || json_is_array(value)) {
        struct br_buf sub;

        if (depth >= 512) {
            out->overflow = 1; /* reported as an error by the caller */
            return;
        }
        br_buf_init(&sub, out->limit);
        if (prefix) {
            br_buf_append(&sub, prefix, prefix_len);
        }
        append_encoded(&sub, key, key_len);
        br_buf_append_str(&sub, prefix ? "%5D%5B" : "%5B");
        if (sub.overflow) {
            out->overflow = 1;
        } else {
            append_container(out, sub.data, sub.len, value, depth + 1);
        }
        br_buf_finish(&sub);
        return;
    }
    if (out->len > 0) {
        br_buf_append_char(out, '&');
    }
    if (prefix) {
        br_buf_append(out, prefix, prefix_len);
    }
    append_encoded(out, key, key_len);
    if (prefix) {
        br_buf_append_str(out, "%5D");
    }
    br_buf_append_char(out, '=');
    append_scalar(out, value);
}

int br_query_build(const json_t *payload, struct br_buf *out, char *errstr, size_t errstr_size)
{
    struct br_buf query;

    if (!json_is_object(payload) && !json_is_array(payload)) {
        snprintf(errstr, errstr_size, "the query payload must be an object or an array");
        return -1;
    }
    /* built apart so that the '&' test sees only this query's bytes */
    br_buf_init(&query, out->limit);
    append_container(&query, NULL, 0, payload, 0);
    if (query.overflow || br_buf_append(out, query.data ? query.data : "", query.len) != 0) {
        snprintf(errstr, errstr_size, "query string passes the buffer limit or nesting depth");
        br_buf_finish(&query);
        return -1;
    }
    br_buf_finish(&query);
    return 0;
}
