#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void br_buf_init(struct br_buf *buf, size_t limit)
{
    memset(buf, 0, sizeof(*buf));
    buf->limit = limit ? limit : BR_BUF_DEFAULT_LIMIT;
}

void br_buf_finish(struct br_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->overflow = 0;
}

void br_buf_reset(struct br_buf *buf)
{
    buf->len = 0;
    buf->overflow = 0;
    if (buf->data) {
        buf->data[0] = '\0';
    }
}

static int reserve(struct br_buf *buf, size_t extra)
{
    size_t want;
    char *grown;

    if (buf->overflow || extra > buf->limit - buf->len) {
        buf->overflow = 1;
        return -1;
    }
    want = buf->len + extra + 1;
    if (want <= buf->cap) {
        return 0;
    }
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < want) {
        cap *= 2;
    }
    grown = realloc(buf->data, cap);
    if (!grown) {
        abort();
    }
    buf->data = grown;
    buf->cap = cap;
    return 0;
}

int br_buf_append(struct br_buf *buf, const void *data, size_t len)
{
    if (reserve(buf, len) != 0) {
        return -1;
    }
    if (len) {
        memcpy(buf->data + buf->len, data, len);
    }
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int br_buf_append_str(struct br_buf *buf, const char *str)
{
    return br_buf_append(buf, str, strlen(str));
}

int br_buf_append_char(struct br_buf *buf, char c)
{
    return br_buf_append(buf, &c, 1);
}

int br_buf_printf(struct br_buf *buf, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return -1;
    }
    if ((size_t)n < sizeof(small)) {
        return br_buf_append(buf, small, (size_t)n);
    }
    if (reserve(buf, (size_t)n) != 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}

char *br_buf_steal(struct br_buf *buf, size_t *len)
{
    char *data = buf->data;

    if (!data) {
        data = calloc(1, 1);
        if (!data) {
            abort();
        }
    }
    if (len) {
        *len = buf->len;
    }
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}
