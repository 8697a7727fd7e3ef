#ifndef BR_BUF_H
#define BR_BUF_H
/* A growable byte buffer with a hard cap. Bytes travel as (pointer, length). */
#include <stddef.h>
#include <stdint.h>

struct br_buf {
    char *data;   /* always NUL-terminated when non-NULL (the NUL is not counted in len) */
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* hard cap on len; 0 means BR_BUF_DEFAULT_LIMIT */
    int overflow; /* set once an append would have passed limit; later appends are ignored */
};

#define BR_BUF_DEFAULT_LIMIT (64u * 1024u * 1024u)

void br_buf_init(struct br_buf *buf, size_t limit);
void br_buf_finish(struct br_buf *buf); /* frees data; buf may be reused after init */
void br_buf_reset(struct br_buf *buf);  /* len = 0, keeps memory */
/* Appends return 0, or -1 when the limit would be passed (buf->overflow is then set). */
int br_buf_append(struct br_buf *buf, const void *data, size_t len);
int br_buf_append_str(struct br_buf *buf, const char *str);
int br_buf_append_char(struct br_buf *buf, char c);
int br_buf_printf(struct br_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (who frees them) and leaves buf empty. */
char *br_buf_steal(struct br_buf *buf, size_t *len);

#endif
