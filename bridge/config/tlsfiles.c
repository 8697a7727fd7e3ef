/* A hook's TLS files: read, checked, re-read when they change on disk (see tlsfiles.h). */
#include "config/tlsfiles.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/file.h"

static const char *const role_names[BR_TLSFILE_COUNT] = {"CA bundle", "certificate", "key"};

void br_tlsfiles_init(struct br_tlsfiles *files, const char *ca, const char *cert,
                      const char *key)
{
    memset(files, 0, sizeof(*files));
    files->paths[BR_TLSFILE_CA] = ca;
    files->paths[BR_TLSFILE_CERT] = cert;
    files->paths[BR_TLSFILE_KEY] = key;
}

static void free_data(char **data, size_t *lens)
{
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        /* a certificate is public, a key is not: scrub them all alike */
        br_file_scrub_free(data[i], lens[i]);
        data[i] = NULL;
        lens[i] = 0;
    }
}

void br_tlsfiles_finish(struct br_tlsfiles *files)
{
    if (!files) {
        return;
    }
    free_data(files->data, files->lens);
    memset(files, 0, sizeof(*files));
}

bool br_tlsfiles_configured(const struct br_tlsfiles *files)
{
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        if (files->paths[i]) {
            return true;
        }
    }
    return false;
}

/* OpenSSL must never ask for a pass phrase on the terminal: an encrypted key is refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *opaque)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)opaque;
    return -1;
}

static void openssl_reason(char *out, size_t out_size)
{
    unsigned long code = ERR_peek_last_error();

    if (code) {
        ERR_error_string_n(code, out, out_size);
    } else {
        snprintf(out, out_size, "no PEM data");
    }
    ERR_clear_error();
}

/* Checks the bytes of a set (NULL entries are not configured). Returns 0 or -1 with why. */
static int check_bytes(const char *const paths[BR_TLSFILE_COUNT], char *const data[],
                       const size_t lens[], char *why, size_t why_size)
{
    char reason[200];
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *bio = NULL;
    int rc = -1;

    if (data[BR_TLSFILE_CA]) {
        STACK_OF(X509_INFO) *infos;
        int certs = 0;

        bio = BIO_new_mem_buf(data[BR_TLSFILE_CA], (int)lens[BR_TLSFILE_CA]);
        infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, no_passphrase, NULL) : NULL;
        for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
            certs += sk_X509_INFO_value(infos, i)->x509 != NULL;
        }
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
        BIO_free(bio);
        bio = NULL;
        if (certs == 0) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, why_size, "%s: no PEM certificate in the CA bundle (%s)",
                     paths[BR_TLSFILE_CA], reason);
            goto fail;
        }
        ERR_clear_error();
    }
    if (data[BR_TLSFILE_CERT]) {
        bio = BIO_new_mem_buf(data[BR_TLSFILE_CERT], (int)lens[BR_TLSFILE_CERT]);
        cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
        bio = NULL;
        if (!cert) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, why_size, "%s: not a PEM certificate (%s)", paths[BR_TLSFILE_CERT],
                     reason);
            goto fail;
        }
    }
    if (data[BR_TLSFILE_KEY]) {
        bio = BIO_new_mem_buf(data[BR_TLSFILE_KEY], (int)lens[BR_TLSFILE_KEY]);
        key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
        bio = NULL;
        if (!key) {
            openssl_reason(reason, sizeof(reason));
            snprintf(why, why_size, "%s: not an unencrypted PEM private key (%s)",
                     paths[BR_TLSFILE_KEY], reason);
            goto fail;
        }
    }
    if (cert && key && X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        snprintf(why, why_size, "%s: the key does not belong to the certificate %s",
                 paths[BR_TLSFILE_KEY], paths[BR_TLSFILE_CERT]);
        goto fail;
    }
    rc = 0;
fail:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* Reads the configured files of a set; returns 0, or -1 with why (and nothing kept). */
static int read_set(const char *const paths[BR_TLSFILE_COUNT], char **data, size_t *lens,
                    char *why, size_t why_size)
{
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        data[i] = NULL;
        lens[i] = 0;
    }
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        char reason[256];

        if (!paths[i]) {
            continue;
        }
        data[i] = br_file_read(paths[i], BR_TLSFILES_MAX, &lens[i], reason, sizeof(reason));
        if (!data[i]) {
            snprintf(why, why_size, "%s: cannot read the %s: %s", paths[i], role_names[i],
                     reason);
            free_data(data, lens);
            return -1;
        }
    }
    return 0;
}

int br_tlsfiles_check(const char *ca, const char *cert, const char *key, char *why,
                      size_t why_size)
{
    const char *paths[BR_TLSFILE_COUNT] = {ca, cert, key};
    char *data[BR_TLSFILE_COUNT];
    size_t lens[BR_TLSFILE_COUNT];
    int rc;

    if (read_set(paths, data, lens, why, why_size) != 0) {
        return -1;
    }
    rc = check_bytes(paths, data, lens, why, why_size);
    free_data(data, lens);
    return rc;
}

static void stat_set(const struct br_tlsfiles *files, struct br_tlsfile_id *ids)
{
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        struct stat st;

        memset(&ids[i], 0, sizeof(ids[i]));
        if (files->paths[i] && stat(files->paths[i], &st) == 0) {
            ids[i].present = true;
            ids[i].dev = st.st_dev;
            ids[i].ino = st.st_ino;
            ids[i].size = st.st_size;
            ids[i].mtime = st.st_mtim;
            ids[i].ctime = st.st_ctim;
        }
    }
}

static bool same_ids(const struct br_tlsfile_id *a, const struct br_tlsfile_id *b)
{
    for (int i = 0; i < BR_TLSFILE_COUNT; i++) {
        if (a[i].present != b[i].present || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
            a[i].size != b[i].size || a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
            a[i].mtime.tv_nsec != b[i].mtime.tv_nsec || a[i].ctime.tv_sec != b[i].ctime.tv_sec ||
            a[i].ctime.tv_nsec != b[i].ctime.tv_nsec) {
            return false;
        }
    }
    return true;
}

enum br_tlsfiles_status br_tlsfiles_refresh(struct br_tlsfiles *files, int64_t now_ms,
                                            char *why, size_t why_size)
{
    struct br_tlsfile_id ids[BR_TLSFILE_COUNT];
    char *data[BR_TLSFILE_COUNT];
    size_t lens[BR_TLSFILE_COUNT];

    if (files->checked && now_ms - files->checked_ms < BR_TLSFILES_RECHECK_MS) {
        if (!files->loaded) {
            snprintf(why, why_size, "the TLS files could not be loaded (checked again soon)");
            return BR_TLSFILES_FAILED;
        }
        return BR_TLSFILES_UNCHANGED;
    }
    files->checked = true;
    files->checked_ms = now_ms;
    /* stat first: a change between stat and read is seen at the next check */
    stat_set(files, ids);
    if (files->loaded && same_ids(ids, files->loaded_ids)) {
        return BR_TLSFILES_UNCHANGED;
    }
    if (files->failed && same_ids(ids, files->failed_ids)) {
        if (!files->loaded) {
            snprintf(why, why_size, "the TLS files could not be loaded and have not changed");
            return BR_TLSFILES_FAILED;
        }
        return BR_TLSFILES_UNCHANGED;
    }
    if (read_set(files->paths, data, lens, why, why_size) != 0 ||
        check_bytes(files->paths, data, lens, why, why_size) != 0) {
        free_data(data, lens);
        memcpy(files->failed_ids, ids, sizeof(ids));
        files->failed = true;
        return files->loaded ? BR_TLSFILES_KEPT : BR_TLSFILES_FAILED;
    }
    free_data(files->data, files->lens);
    memcpy(files->data, data, sizeof(data));
    memcpy(files->lens, lens, sizeof(lens));
    memcpy(files->loaded_ids, ids, sizeof(ids));
    files->loaded = true;
    files->failed = false;
    files->generation++;
    return BR_TLSFILES_LOADED;
}
