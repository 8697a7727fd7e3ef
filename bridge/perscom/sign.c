#include "perscom/sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>

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

int br_sign_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                char out[BR_SIGN_HEX_LEN + 1], char *errstr, size_t errstr_size)
{
    static const char hex[] = "0123456789abcdef";
    static const unsigned char empty_key[1] = {0};
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    unsigned char digest[32];
    size_t digest_len = 0;
    char digest_name[] = "SHA256";
    OSSL_PARAM params[2];
    int rc = -1;

    out[0] = '\0';
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
    if (msg_len && !EVP_MAC_update(ctx, msg, msg_len)) {
        openssl_error("HMAC update", errstr, errstr_size);
        goto fail;
    }
    if (!EVP_MAC_final(ctx, digest, &digest_len, sizeof(digest)) || digest_len != 32) {
        openssl_error("HMAC final", errstr, errstr_size);
        goto fail;
    }
    for (size_t i = 0; i < digest_len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[BR_SIGN_HEX_LEN] = '\0';
    rc = 0;
fail:
    /* the context holds the keyed pads; freeing it scrubs them, the digest is scrubbed here */
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    OPENSSL_cleanse(digest, sizeof(digest));
    return rc;
}
