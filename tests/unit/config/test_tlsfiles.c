/*
 * Unit tests of tlsfiles.c: the checks of a hook's CA bundle, client certificate and key, and
 * their reload after a change on disk. Keys and certificates are made here with OpenSSL (P-256,
 * self-signed) in a fresh temporary directory: none is committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/tlsfiles.h"

static char dir[64];

static char *path_of(const char *name)
{
    static char paths[8][128];
    static unsigned next;
    char *path = paths[next++ % 8];

    snprintf(path, 128, "%s/%s", dir, name);
    return path;
}

/* Writes <name>.crt and <name>.key: a new P-256 key and a self-signed certificate for it. */
static void make_pair(const char *name)
{
    char file[160];
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    FILE *out;

    assert_non_null(key);
    assert_non_null(cert);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    snprintf(file, sizeof(file), "%s/%s.crt", dir, name);
    out = fopen(file, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_X509(out, cert), 1);
    fclose(out);
    snprintf(file, sizeof(file), "%s/%s.key", dir, name);
    out = fopen(file, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(out);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void write_text(const char *name, const char *text)
{
    FILE *out = fopen(path_of(name), "w");

    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

/* Replaces dst by a copy of src the way a Secret update does: a new file renamed over it. */
static void replace(const char *src, const char *dst)
{
    char tmp[160];
    char cmd[400];

    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, dst);
    snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s'", dir, src, tmp);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rename(tmp, path_of(dst)), 0);
}

static char *slurp(const char *name)
{
    static char text[8192];
    FILE *in = fopen(path_of(name), "r");
    size_t len;

    assert_non_null(in);
    len = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[len] = '\0';
    return text;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/br-tlsfiles-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    make_pair("one");
    make_pair("two");
    write_text("garbage.pem",
               "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_check(void **state)
{
    char why[512];

    (void)state;
    assert_int_equal(br_tlsfiles_check(path_of("one.crt"), NULL, NULL, why, sizeof(why)), 0);
    assert_int_equal(br_tlsfiles_check(NULL, path_of("one.crt"), path_of("one.key"), why,
                                       sizeof(why)),
                     0);
    assert_int_equal(br_tlsfiles_check(path_of("two.crt"), path_of("one.crt"),
                                       path_of("one.key"), why, sizeof(why)),
                     0);

    assert_int_equal(br_tlsfiles_check(NULL, path_of("one.crt"), path_of("two.key"), why,
                                       sizeof(why)),
                     -1);
    assert_non_null(strstr(why, "two.key: the key does not belong to the certificate"));
    assert_int_equal(br_tlsfiles_check(path_of("garbage.pem"), NULL, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "garbage.pem: no PEM certificate in the CA bundle"));
    assert_int_equal(br_tlsfiles_check(NULL, path_of("one.key"), NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "one.key: not a PEM certificate"));
    assert_int_equal(br_tlsfiles_check(NULL, path_of("one.crt"), path_of("one.crt"), why,
                                       sizeof(why)),
                     -1);
    assert_non_null(strstr(why, "one.crt: not an unencrypted PEM private key"));
    assert_int_equal(br_tlsfiles_check(path_of("none.pem"), NULL, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "none.pem: cannot read the CA bundle: No such file"));
    assert_int_equal(br_tlsfiles_check(dir, NULL, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not a regular file (a directory)"));
}

static void test_reload(void **state)
{
    struct br_tlsfiles files;
    char why[512] = "";
    char cert[8192];
    int64_t now = 1000;

    (void)state;
    replace("one.crt", "client.crt");
    replace("one.key", "client.key");
    br_tlsfiles_init(&files, NULL, path_of("client.crt"), path_of("client.key"));
    assert_true(br_tlsfiles_configured(&files));
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_LOADED);
    assert_int_equal(files.generation, 1);
    assert_null(files.data[BR_TLSFILE_CA]);
    snprintf(cert, sizeof(cert), "%s", slurp("one.crt"));
    assert_int_equal(files.lens[BR_TLSFILE_CERT], strlen(cert));
    assert_memory_equal(files.data[BR_TLSFILE_CERT], cert, strlen(cert));
    assert_memory_equal(files.data[BR_TLSFILE_KEY], slurp("one.key"), files.lens[BR_TLSFILE_KEY]);

    /* rotated on disk: not looked at before the interval, picked up after it */
    replace("two.crt", "client.crt");
    replace("two.key", "client.key");
    assert_int_equal(br_tlsfiles_refresh(&files, now + BR_TLSFILES_RECHECK_MS - 1, why,
                                         sizeof(why)),
                     BR_TLSFILES_UNCHANGED);
    assert_memory_equal(files.data[BR_TLSFILE_CERT], cert, strlen(cert));
    now += BR_TLSFILES_RECHECK_MS;
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_LOADED);
    assert_int_equal(files.generation, 2);
    snprintf(cert, sizeof(cert), "%s", slurp("two.crt"));
    assert_int_equal(files.lens[BR_TLSFILE_CERT], strlen(cert));
    assert_memory_equal(files.data[BR_TLSFILE_CERT], cert, strlen(cert));

    /* unchanged files: nothing read */
    now += BR_TLSFILES_RECHECK_MS;
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_UNCHANGED);
    assert_int_equal(files.generation, 2);

    /* half a rotation (the certificate without its key): the old pair stays, said once */
    replace("one.crt", "client.crt");
    now += BR_TLSFILES_RECHECK_MS;
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_KEPT);
    assert_non_null(strstr(why, "does not belong"));
    assert_memory_equal(files.data[BR_TLSFILE_CERT], cert, strlen(cert));
    now += BR_TLSFILES_RECHECK_MS;
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_UNCHANGED);
    /* the key follows: the new pair is loaded */
    replace("one.key", "client.key");
    now += BR_TLSFILES_RECHECK_MS;
    assert_int_equal(br_tlsfiles_refresh(&files, now, why, sizeof(why)), BR_TLSFILES_LOADED);
    assert_int_equal(files.generation, 3);
    assert_memory_equal(files.data[BR_TLSFILE_CERT], slurp("one.crt"),
                        files.lens[BR_TLSFILE_CERT]);
    br_tlsfiles_finish(&files);
    br_tlsfiles_finish(NULL);
}

static void test_never_loaded(void **state)
{
    struct br_tlsfiles files;
    char why[512] = "";

    (void)state;
    br_tlsfiles_init(&files, path_of("missing-ca.pem"), NULL, NULL);
    assert_int_equal(br_tlsfiles_refresh(&files, 0, why, sizeof(why)), BR_TLSFILES_FAILED);
    assert_non_null(strstr(why, "missing-ca.pem: cannot read the CA bundle"));
    assert_int_equal(br_tlsfiles_refresh(&files, 10, why, sizeof(why)), BR_TLSFILES_FAILED);
    assert_int_equal(br_tlsfiles_refresh(&files, BR_TLSFILES_RECHECK_MS, why, sizeof(why)),
                     BR_TLSFILES_FAILED);
    /* it appears: loaded at the next look */
    replace("one.crt", "missing-ca.pem");
    assert_int_equal(br_tlsfiles_refresh(&files, 2 * BR_TLSFILES_RECHECK_MS, why, sizeof(why)),
                     BR_TLSFILES_LOADED);
    assert_non_null(files.data[BR_TLSFILE_CA]);
    br_tlsfiles_finish(&files);

    br_tlsfiles_init(&files, NULL, NULL, NULL);
    assert_false(br_tlsfiles_configured(&files));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_never_loaded),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
