#ifndef BR_SIGN_H
#define BR_SIGN_H
/* HMAC-SHA256 signatures through OpenSSL 3 EVP_MAC. */
#include <stddef.h>

#define BR_SIGN_HEX_LEN 64

/*
 * Writes the lowercase hex HMAC-SHA256 of msg under key into out (BR_SIGN_HEX_LEN + 1 bytes,
 * NUL-terminated). Scratch copies of key material are scrubbed. Returns 0 or -1 with a message.
 */
int br_sign_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                char out[BR_SIGN_HEX_LEN + 1], char *errstr, size_t errstr_size);

#endif
