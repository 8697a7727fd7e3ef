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

/* digest as lowercase hex into out; the digest is scrubbed. */
static void to_hex(unsigned char digest[32], char out[BR_SIGN_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[BR_SIGN_HEX_LEN] = '\0';
    OPENSSL_cleanse(digest, 32);
}

int br_sign_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                char out[BR_SIGN_HEX_LEN + 1], char *errstr, size_t errstr_size)
{
    struct part part = {msg, msg_len};
    unsigned char digest[32];

    out[0] = '\0';
    if (hmac_sha256(key, key_len, &part, 1, digest, errstr, errstr_size) != 0) {
        return -1;
    }
    to_hex(digest, out);
    return 0;
}

/* One key of a signer: a copy of the key and its keyed context. */
struct signer_key {
    unsigned char *key; /* owned copy, scrubbed when freed; NULL: the slot is free */
    size_t key_len;
    EVP_MAC_CTX *ctx;
    uint64_t used;      /* the signer's clock at the last use */
};

struct br_signer {
    EVP_MAC *mac; /* NULL when OpenSSL has no HMAC: every call goes through br_sign_hex */
    struct signer_key keys[BR_SIGNER_KEYS];
    uint64_t clock;
};

struct br_signer *br_signer_create(void)
{
    struct br_signer *signer = calloc(1, sizeof(*signer));

    if (!signer) {
        abort();
    }
    signer->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ERR_clear_error();
    return signer;
}

static void key_clear(struct signer_key *slot)
{
    if (slot->key) {
        OPENSSL_cleanse(slot->key, slot->key_len);
        free(slot->key);
    }
    EVP_MAC_CTX_free(slot->ctx); /* scrubs the keyed pads */
    memset(slot, 0, sizeof(*slot));
}

void br_signer_destroy(struct br_signer *signer)
{
    if (!signer) {
        return;
    }
    for (size_t i = 0; i < BR_SIGNER_KEYS; i++) {
        key_clear(&signer->keys[i]);
    }
    EVP_MAC_free(signer->mac);
    free(signer);
}

/* The keyed context of key, made (in the least recently used slot) when it has none; NULL
 * when OpenSSL fails (the caller falls back to br_sign_hex, which says why). */
static EVP_MAC_CTX *keyed(struct br_signer *signer, const void *key, size_t key_len)
{
    static const unsigned char empty_key[1] = {0};
    struct signer_key *slot = &signer->keys[0];
    char digest_name[] = "SHA256";
    OSSL_PARAM params[2];

    for (size_t i = 0; i < BR_SIGNER_KEYS; i++) {
        struct signer_key *candidate = &signer->keys[i];

        if (candidate->key && candidate->key_len == key_len &&
            CRYPTO_memcmp(candidate->key, key_len ? key : empty_key, key_len) == 0) {
            candidate->used = ++signer->clock;
            /* restart with the same key: OpenSSL copies the kept pads */
            return EVP_MAC_init(candidate->ctx, NULL, 0, NULL) ? candidate->ctx : NULL;
        }
        if (slot->key && (!candidate->key || candidate->used < slot->used)) {
            slot = candidate;
        }
    }
    key_clear(slot);
    slot->ctx = EVP_MAC_CTX_new(signer->mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!slot->ctx || !EVP_MAC_init(slot->ctx, key_len ? key : empty_key, key_len, params)) {
        key_clear(slot);
        ERR_clear_error();
        return NULL;
    }
    slot->key = malloc(key_len ? key_len : 1);
    if (!slot->key) {
        abort();
    }
    memcpy(slot->key, key_len ? key : empty_key, key_len);
    slot->key_len = key_len;
    slot->used = ++signer->clock;
    return slot->ctx;
}

int br_signer_hex(struct br_signer *signer, const void *key, size_t key_len, const void *msg,
                  size_t msg_len, char out[BR_SIGN_HEX_LEN + 1], char *errstr,
                  size_t errstr_size)
{
    EVP_MAC_CTX *ctx = signer && signer->mac ? keyed(signer, key, key_len) : NULL;
    unsigned char digest[32];
    size_t digest_len = 0;

    if (!ctx || (msg_len && !EVP_MAC_update(ctx, msg, msg_len)) ||
        !EVP_MAC_final(ctx, digest, &digest_len, sizeof(digest)) || digest_len != 32) {
        ERR_clear_error();
        return br_sign_hex(key, key_len, msg, msg_len, out, errstr, errstr_size);
    }
    to_hex(digest, out);
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
