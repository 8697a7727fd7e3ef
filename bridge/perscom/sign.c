#include "perscom/sign.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

/* One part of a signed message. */
struct part {
    const void *data;
    size_t len;
};

static void openssl_error(const char *what, char *errstr, size_t errstr_size)
{
    char reason[160];
    unsigned long code = ERR_get_error();

    if (code) {
        ERR_error_string_n(code, reason, sizeof(reason));
    } else {
        snprintf(reason, sizeof(reason), "unknown error");
    }
    ERR_clear_error();
    snprintf(errstr, errstr_size, "%s: %s", what, reason);
}

/* HMAC-SHA256 under key of the parts, one after the other, into digest. Returns 0 or -1. */
static int hmac_sha256(const void *key, size_t key_len, const struct part *parts,
                       size_t part_count, unsigned char digest[32], char *errstr,
                       size_t errstr_size)
{
    static const unsigned char empty_key[1] = {0};
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    size_t digest_len = 0;
    char digest_name[] = "SHA256";
    OSSL_PARAM params[2];
    int rc = -1;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac) {
        openssl_error("HMAC unavailable", errstr, errstr_size);
        goto fail;
    }
    ctx = EVP_MAC_CTX_new(mac);
    if (!ctx) {
        openssl_error("HMAC context", errstr, errstr_size);
        goto fail;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0);
    params[1] = OSSL_PARAM_construct_end();
    /* an empty secret is a valid HMAC key; OpenSSL wants a non-NULL pointer for it */
    if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params)) {
        openssl_error("HMAC init", errstr, errstr_size);
        goto fail;
    }
    for (size_t i = 0; i < part_count; i++) {
        if (parts[i].len && !EVP_MAC_update(ctx, parts[i].data, parts[i].len)) {
            openssl_error("HMAC update", errstr, errstr_size);
            goto fail;
        }
    }
    if (!EVP_MAC_final(ctx, digest, &digest_len, 32) || digest_len != 32) {
        openssl_error("HMAC final", errstr, errstr_size);
        goto fail;
    }
    rc = 0;
fail:
    /* the context holds the keyed pads; freeing it scrubs them */
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

int br_sign_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                char out[BR_SIGN_HEX_LEN + 1], char *errstr, size_t errstr_size)
{
    static const char hex[] = "0123456789abcdef";
    struct part part = {msg, msg_len};
    unsigned char digest[32];

    out[0] = '\0';
    if (hmac_sha256(key, key_len, &part, 1, digest, errstr, errstr_size) != 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(digest); i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[BR_SIGN_HEX_LEN] = '\0';
    OPENSSL_cleanse(digest, sizeof(digest));
    return 0;
}

int br_sign_standard(const void *key, size_t key_len, const char *id, int64_t timestamp,
                     const void *content, size_t content_len,
                     char out[BR_SIGN_STANDARD_LEN + 1], char *errstr, size_t errstr_size)
{
    char seconds[24];
    unsigned char digest[32];
    struct part parts[5];

    out[0] = '\0';
    snprintf(seconds, sizeof(seconds), "%" PRId64, timestamp);
    parts[0] = (struct part){id, strlen(id)};
    parts[1] = (struct part){".", 1};
    parts[2] = (struct part){seconds, strlen(seconds)};
    parts[3] = (struct part){".", 1};
    parts[4] = (struct part){content, content_len};
    if (hmac_sha256(key, key_len, parts, 5, digest, errstr, errstr_size) != 0) {
        return -1;
    }
    memcpy(out, "v1,", 3);
    br_base64_encode(digest, sizeof(digest), out + 3, BR_SIGN_STANDARD_LEN + 1 - 3);
    OPENSSL_cleanse(digest, sizeof(digest));
    return 0;
}

unsigned char *br_sign_whsec_key(const char *secret, size_t secret_len, size_t *key_len,
                                 char *errstr, size_t errstr_size)
{
    size_t prefix = strlen(BR_SIGN_WHSEC_PREFIX);
    unsigned char *key;
    size_t size;

    if (secret_len >= prefix && memcmp(secret, BR_SIGN_WHSEC_PREFIX, prefix) == 0) {
        secret += prefix;
        secret_len -= prefix;
    }
    size = secret_len / 4 * 3 + 3;
    key = malloc(size);
    if (!key) {
        abort();
    }
    if (br_base64_decode(secret, secret_len, key, size, key_len) != 0) {
        snprintf(errstr, errstr_size, "not whsec_ followed by base64 (standard alphabet)");
        goto fail;
    }
    if (*key_len == 0) {
        snprintf(errstr, errstr_size, "no key bytes after whsec_");
        goto fail;
    }
    return key;
fail:
    OPENSSL_cleanse(key, size);
    free(key);
    return NULL;
}
