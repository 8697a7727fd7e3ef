#ifndef BR_SIGN_H
#define BR_SIGN_H
/*
 * HMAC-SHA256 signatures through OpenSSL 3 EVP_MAC: PERSCOM's Signature header, and Standard
 * Webhooks' webhook-signature (https://www.standardwebhooks.com).
 */
#include <stddef.h>
#include <stdint.h>

#define BR_SIGN_HEX_LEN 64
/* "v1," + the base64 of 32 bytes */
#define BR_SIGN_STANDARD_LEN 47
/* The prefix of a Standard Webhooks secret: "whsec_" + base64 of the key bytes. */
#define BR_SIGN_WHSEC_PREFIX "whsec_"

/*
 * Writes the lowercase hex HMAC-SHA256 of msg under key into out (BR_SIGN_HEX_LEN + 1 bytes,
 * NUL-terminated). Scratch copies of key material are scrubbed. Returns 0 or -1 with a message.
 */
int br_sign_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                char out[BR_SIGN_HEX_LEN + 1], char *errstr, size_t errstr_size);

/*
 * Reused HMAC state for a process that signs many messages under a few keys: OpenSSL's HMAC is
 * fetched once, and each key keeps a keyed context (its pads), restarted per message instead
 * of made anew (br_sign_hex spends more on that than on hashing a webhook body). Up to
 * BR_SIGNER_KEYS keys; another key takes the place of the least recently used. Holds copies of
 * the keys: scrubbed when replaced and by br_signer_destroy.
 */
#define BR_SIGNER_KEYS 16
struct br_signer;
struct br_signer *br_signer_create(void);
void br_signer_destroy(struct br_signer *signer);
/* br_sign_hex through signer's contexts; signer NULL: br_sign_hex itself. The same output. */
int br_signer_hex(struct br_signer *signer, const void *key, size_t key_len, const void *msg,
                  size_t msg_len, char out[BR_SIGN_HEX_LEN + 1], char *errstr,
                  size_t errstr_size);

/*
 * One Standard Webhooks signature: "v1," + base64 of HMAC-SHA256 under key of
 * "<id>.<timestamp>.<content>" (timestamp in decimal seconds). Writes BR_SIGN_STANDARD_LEN
 * characters and a NUL into out. Returns 0 or -1 with a message.
 */
int br_sign_standard(const void *key, size_t key_len, const char *id, int64_t timestamp,
                     const void *content, size_t content_len,
                     char out[BR_SIGN_STANDARD_LEN + 1], char *errstr, size_t errstr_size);

/*
 * The HMAC key of a Standard Webhooks secret: the base64 text after an optional "whsec_" prefix,
 * decoded (standard alphabet, padding optional). Returns a new buffer (the caller scrubs and frees
 * it) with its length in *key_len, or NULL with a message (not base64, or empty).
 */
unsigned char *br_sign_whsec_key(const char *secret, size_t secret_len, size_t *key_len,
                                 char *errstr, size_t errstr_size);

#endif
