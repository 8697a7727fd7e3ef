#ifndef BR_BASE64_H
#define BR_BASE64_H
/* Base64 with the standard alphabet (RFC 4648, section 4), as Standard Webhooks writes it. */
#include <stddef.h>

/* The encoded length of len bytes, padding included (without the NUL). */
#define BR_BASE64_LEN(len) ((((len) + 2) / 3) * 4)

/*
 * Writes the padded encoding of in[0..len) and a NUL into out. Returns the encoded length, or 0
 * (out = "") when out_size is smaller than BR_BASE64_LEN(len) + 1.
 */
size_t br_base64_encode(const void *in, size_t len, char *out, size_t out_size);

/*
 * Decodes text[0..len): the standard alphabet only (no whitespace, no URL-safe letters), padding
 * optional but correct when present ("=" or "==" only where the length needs it). Writes the bytes
 * into out (out_size at least len / 4 * 3 + 3) and their count into *out_len. Returns 0, or -1
 * when text is not such base64 or out is too small.
 */
int br_base64_decode(const char *text, size_t len, unsigned char *out, size_t out_size,
                     size_t *out_len);

#endif
