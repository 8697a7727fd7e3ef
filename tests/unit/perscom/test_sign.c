/*
 * Unit tests of sign.c: the HMAC-SHA256 vectors of RFC 4231 (test cases 1 to 7); Standard
 * Webhooks signatures against the specification's published vector and vectors made with the
 * reference Python package (standardwebhooks 1.1.0, Webhook(secret).sign(id, time, data)); the
 * whsec_ secret convention.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/sign.h"

struct sign_case {
    const char *name;
    const char *key_hex;
    const char *data_hex;
    const char *expect;    /* HMAC-SHA-256 column of RFC 4231 */
    size_t compare_chars;  /* case 5 is truncated to 128 bits */
};

#define KEY_AA_131 \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct sign_case sign_cases[] = {
    {"case 1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 64},
    {"case 2", "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 64},
    {"case 3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 64},
    {"case 4", "0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcdcd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 64},
    {"case 5", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
     "546573742057697468205472756e636174696f6e", "a3b6167473100ee06e0c796c2955552b", 32},
    {"case 6", KEY_AA_131,
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
     "204b6579204669727374",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 64},
    {"case 7", KEY_AA_131,
     "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a"
     "65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865"
     "206b6579206e6565647320746f20626520686173686564206265666f7265206265696e672075736564206279"
     "2074686520484d414320616c676f726974686d2e",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 64},
    /* the webhook case: hash_hmac('sha256', '{"event":"user.created"}', 'secret') in PHP 8.2 */
    {"php", "736563726574", "7b226576656e74223a22757365722e63726561746564227d",
     "e851f51160ef29a5847ccec510a3d5b801d448e9f8d769e8484a75fb4b9f6947", 64},
};

static size_t unhex(const char *hex, unsigned char *out, size_t out_size)
{
    size_t n = strlen(hex) / 2;

    assert_true(n <= out_size);
    for (size_t i = 0; i < n; i++) {
        unsigned int byte;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
        out[i] = (unsigned char)byte;
    }
    return n;
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sign_cases) / sizeof(sign_cases[0]); i++) {
        const struct sign_case *c = &sign_cases[i];
        unsigned char key[256];
        unsigned char data[256];
        size_t key_len = unhex(c->key_hex, key, sizeof(key));
        size_t data_len = unhex(c->data_hex, data, sizeof(data));
        char out[BR_SIGN_HEX_LEN + 1];
        char errstr[256] = "";

        if (br_sign_hex(key, key_len, data, data_len, out, errstr, sizeof(errstr)) != 0) {
            fail_msg("%s: %s", c->name, errstr);
        }
        assert_int_equal(strlen(out), BR_SIGN_HEX_LEN);
        if (strncmp(out, c->expect, c->compare_chars) != 0) {
            fail_msg("%s: expected %s, got %s", c->name, c->expect, out);
        }
    }
}

/*
 * A signer gives br_sign_hex's output: every vector three rounds over, in changing order, with
 * more keys than it keeps contexts for (some are replaced and made again), and an empty key.
 */
static void test_signer(void **state)
{
    struct br_signer *signer = br_signer_create();
    const size_t count = sizeof(sign_cases) / sizeof(sign_cases[0]);

    (void)state;
    for (size_t round = 0; round < 3; round++) {
        for (size_t k = 0; k < count + BR_SIGNER_KEYS + 3; k++) {
            const struct sign_case *c = &sign_cases[(k * (round + 1)) % count];
            unsigned char key[256];
            unsigned char data[256];
            size_t key_len = unhex(c->key_hex, key, sizeof(key));
            size_t data_len = unhex(c->data_hex, data, sizeof(data));
            char out[BR_SIGN_HEX_LEN + 1];
            char expect[BR_SIGN_HEX_LEN + 1];
            char errstr[256] = "";

            if (k >= count) {
                /* keys of their own, which push the vectors' keys out of the signer */
                key[0] = (unsigned char)k;
                key_len = k % 5 == 0 ? 0 : 1 + k % 3;
            }
            assert_int_equal(br_sign_hex(key, key_len, data, data_len, expect, errstr,
                                         sizeof(errstr)), 0);
            assert_int_equal(br_signer_hex(signer, key, key_len, data, data_len, out, errstr,
                                           sizeof(errstr)), 0);
            assert_string_equal(out, expect);
            if (k < count && strncmp(out, c->expect, c->compare_chars) != 0) {
                fail_msg("%s: expected %s, got %s", c->name, c->expect, out);
            }
        }
    }
    br_signer_destroy(signer);
}

/* An empty secret and an empty message are valid (PHP: hash_hmac('sha256', '', '')). */
static void test_empty(void **state)
{
    char out[BR_SIGN_HEX_LEN + 1];
    char errstr[256] = "";

    (void)state;
    assert_int_equal(br_sign_hex("", 0, "", 0, out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    assert_int_equal(br_sign_hex(NULL, 0, NULL, 0, out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

struct standard_case {
    const char *secret;  /* as configured */
    const char *id;
    int64_t timestamp;
    const char *content;
    const char *expect;
};

static const struct standard_case standard_cases[] = {
    /* the specification's own example (and the reference libraries' tests) */
    {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
     "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
    /* the prefix is optional */
    {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
     "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
    /* made with the reference package */
    {"whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "0d6a1a4e-5b7f-5c3a-9f0e-1b2c3d4e5f60",
     1777629600, "{\"event\":\"rankrecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\"}",
     "v1,YtUoXOpWGh9Y3piDwFUqCbDdHEIYQl68gypR1gtl3Q0="},
    {"whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=", "id", 0, "",
     "v1,xJ3o8H34SXPdOgNLNTNE2kuGzz7z1boSsxsRIQlTp+U="},
    {"whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk=", "0d6a1a4e", 1777629600,
     "event=user.created&data%5Bid%5D=3", "v1,wSH22vRT7o8gfObYhDCCQ99rTm8weG+77QI1K9+swAo="},
};

static void test_standard_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(standard_cases) / sizeof(standard_cases[0]); i++) {
        const struct standard_case *c = &standard_cases[i];
        char out[BR_SIGN_STANDARD_LEN + 1];
        char errstr[256] = "";
        size_t key_len = 0;
        unsigned char *key =
            br_sign_whsec_key(c->secret, strlen(c->secret), &key_len, errstr, sizeof(errstr));

        if (!key) {
            fail_msg("case %zu: %s", i, errstr);
        }
        assert_int_equal(br_sign_standard(key, key_len, c->id, c->timestamp, c->content,
                                          strlen(c->content), out, errstr, sizeof(errstr)),
                         0);
        if (strcmp(out, c->expect) != 0) {
            fail_msg("case %zu: got %s, want %s", i, out, c->expect);
        }
        free(key);
    }
}

/* A changed byte of the content, id or time gives another signature. */
static void test_standard_tamper(void **state)
{
    const struct standard_case *c = &standard_cases[0];
    char base[BR_SIGN_STANDARD_LEN + 1];
    char out[BR_SIGN_STANDARD_LEN + 1];
    char errstr[256];
    size_t key_len = 0;
    unsigned char *key = br_sign_whsec_key(c->secret, strlen(c->secret), &key_len, errstr,
                                           sizeof(errstr));

    (void)state;
    assert_non_null(key);
    assert_int_equal(br_sign_standard(key, key_len, c->id, c->timestamp, c->content,
                                      strlen(c->content), base, errstr, sizeof(errstr)), 0);
    assert_int_equal(br_sign_standard(key, key_len, c->id, c->timestamp, "{\"test\": 2432232315}",
                                      strlen(c->content), out, errstr, sizeof(errstr)), 0);
    assert_string_not_equal(out, base);
    assert_int_equal(br_sign_standard(key, key_len, c->id, c->timestamp + 1, c->content,
                                      strlen(c->content), out, errstr, sizeof(errstr)), 0);
    assert_string_not_equal(out, base);
    assert_int_equal(br_sign_standard(key, key_len, "msg_other", c->timestamp, c->content,
                                      strlen(c->content), out, errstr, sizeof(errstr)), 0);
    assert_string_not_equal(out, base);
    free(key);
}

static void test_whsec_key(void **state)
{
    static const struct {
        const char *secret;
        const char *key; /* NULL: refused */
    } cases[] = {
        {"whsec_aGVsbG8=", "hello"},
        {"whsec_aGVsbG8", "hello"},  /* padding optional */
        {"aGVsbG8=", "hello"},
        {"whsec_aGk=", "hi"},
        {"whsec_", NULL},            /* no key */
        {"", NULL},
        {"whsec_aGVsbG8-", NULL},    /* URL-safe alphabet */
        {"whsec_aGVs bG8=", NULL},   /* a space */
        {"whsec_a", NULL},           /* 6 bits */
        {"whsec_aGk==", NULL},       /* too much padding */
        {"whsec_aG=k", NULL},        /* padding inside */
        {"s3cret!", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errstr[256] = "";
        size_t key_len = 0;
        unsigned char *key = br_sign_whsec_key(cases[i].secret, strlen(cases[i].secret),
                                               &key_len, errstr, sizeof(errstr));

        if (!cases[i].key) {
            if (key) {
                fail_msg("case %zu (%s): accepted", i, cases[i].secret);
            }
            assert_true(errstr[0] != '\0');
            continue;
        }
        if (!key) {
            fail_msg("case %zu (%s): %s", i, cases[i].secret, errstr);
        }
        assert_int_equal(key_len, strlen(cases[i].key));
        assert_memory_equal(key, cases[i].key, key_len);
        free(key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_signer),
        cmocka_unit_test(test_standard_vectors),
        cmocka_unit_test(test_standard_tamper),
        cmocka_unit_test(test_whsec_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
