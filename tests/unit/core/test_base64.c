/* Unit tests of base64.c: the RFC 4648 (section 10) vectors both ways; what decoding refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base64.h"

static const struct {
    const char *plain;
    const char *encoded;
} vectors[] = {
    {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char out[16];
        unsigned char bytes[16];
        size_t len = 99;

        assert_int_equal(br_base64_encode(vectors[i].plain, strlen(vectors[i].plain), out,
                                          sizeof(out)),
                         strlen(vectors[i].encoded));
        assert_string_equal(out, vectors[i].encoded);
        assert_int_equal(br_base64_decode(vectors[i].encoded, strlen(vectors[i].encoded), bytes,
                                          sizeof(bytes), &len),
                         0);
        assert_int_equal(len, strlen(vectors[i].plain));
        assert_memory_equal(bytes, vectors[i].plain, len);
    }
}

static void test_binary(void **state)
{
    static const unsigned char all[] = {0x00, 0xff, 0xfe, 0x3e, 0x3f, 0x80};
    char out[16];
    unsigned char back[16];
    size_t len = 0;

    (void)state;
    assert_int_equal(br_base64_encode(all, sizeof(all), out, sizeof(out)), 8);
    assert_string_equal(out, "AP/+Pj+A");
    assert_int_equal(br_base64_decode(out, 8, back, sizeof(back), &len), 0);
    assert_int_equal(len, sizeof(all));
    assert_memory_equal(back, all, sizeof(all));
}

static void test_decode_unpadded_and_refused(void **state)
{
    static const char *const refused[] = {"Zg=", "Z", "Zm9v=", "Zg===", "Z=g=", "Zm-v", "Zm_v",
                                          "Zm9 v", "Zm9v\n", "=", "Zg==Zg=="};
    unsigned char bytes[16];
    size_t len = 0;

    (void)state;
    assert_int_equal(br_base64_decode("Zg", 2, bytes, sizeof(bytes), &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(bytes[0], 'f');
    assert_int_equal(br_base64_decode("Zm9vYmE", 7, bytes, sizeof(bytes), &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(bytes, "fooba", 5);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (br_base64_decode(refused[i], strlen(refused[i]), bytes, sizeof(bytes), &len) == 0) {
            fail_msg("\"%s\" was accepted", refused[i]);
        }
    }
}

static void test_small_buffers(void **state)
{
    char out[8];
    unsigned char bytes[2];
    size_t len = 0;

    (void)state;
    /* "foobar" needs 9 bytes with the NUL */
    assert_int_equal(br_base64_encode("foobar", 6, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(br_base64_decode("Zm9v", 4, bytes, sizeof(bytes), &len), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_decode_unpadded_and_refused),
        cmocka_unit_test(test_small_buffers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
