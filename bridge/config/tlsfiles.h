#ifndef BR_TLSFILES_H
#define BR_TLSFILES_H
/*
 * The TLS files a hook names (tls.ca_file, tls.cert_file, tls.key_file): read whole, checked
 * with OpenSSL (PEM certificates, an unencrypted key that belongs to the certificate), and read
 * again when one of them changes on disk, as Kubernetes does when it rotates a mounted Secret.
 * The bytes go to libcurl as blobs: libcurl compares them when it looks for a connection or a TLS
 * session to reuse, so a changed certificate never rides on a connection made with the old one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* How often br_tlsfiles_refresh looks at the files (stat) at most. */
#define BR_TLSFILES_RECHECK_MS 3000
#define BR_TLSFILES_MAX (1u * 1024u * 1024u) /* one PEM file */

enum br_tlsfile_role { BR_TLSFILE_CA, BR_TLSFILE_CERT, BR_TLSFILE_KEY, BR_TLSFILE_COUNT };

/* What stat() says of one file: a rotation changes at least one of these. */
struct br_tlsfile_id {
    bool present;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
};

struct br_tlsfiles {
    const char *paths[BR_TLSFILE_COUNT]; /* not owned; NULL when not configured */
    char *data[BR_TLSFILE_COUNT];        /* the loaded bytes (owned; the key scrubbed on free) */
    size_t lens[BR_TLSFILE_COUNT];
    struct br_tlsfile_id loaded_ids[BR_TLSFILE_COUNT]; /* of the loaded bytes */
    struct br_tlsfile_id failed_ids[BR_TLSFILE_COUNT]; /* of the last set that was refused */
    bool loaded;
    bool failed;             /* failed_ids is valid */
    bool checked;
    int64_t checked_ms;      /* when the files were last looked at */
    unsigned generation;     /* how many times a set was loaded */
};

enum br_tlsfiles_status {
    BR_TLSFILES_UNCHANGED, /* nothing to do: the loaded bytes stand */
    BR_TLSFILES_LOADED,    /* a new set is loaded (the first, or after a change on disk) */
    BR_TLSFILES_KEPT,      /* the files changed but the new set is unusable (why): the old stays;
                            * said once per such set, UNCHANGED until the files change again */
    BR_TLSFILES_FAILED,    /* nothing usable is loaded (why) */
};

/* ca, cert, key: paths or NULL (cert and key go together). Nothing is read yet. */
void br_tlsfiles_init(struct br_tlsfiles *files, const char *ca, const char *cert,
                      const char *key);
void br_tlsfiles_finish(struct br_tlsfiles *files);

/* True when at least one file is configured. */
bool br_tlsfiles_configured(const struct br_tlsfiles *files);

/*
 * Loads the files the first time; afterwards, at most once per BR_TLSFILES_RECHECK_MS of now_ms
 * (a monotonic clock), stats them and reads and checks them all again when one changed.
 */
enum br_tlsfiles_status br_tlsfiles_refresh(struct br_tlsfiles *files, int64_t now_ms,
                                            char *why, size_t why_size);

/*
 * Reads and checks the files (any may be NULL) without keeping them: a CA bundle holds at least
 * one PEM certificate; the certificate file starts with one; the key is an unencrypted PEM
 * private key that matches it. Returns 0, or -1 with why ("<path>: <problem>").
 */
int br_tlsfiles_check(const char *ca, const char *cert, const char *key, char *why,
                      size_t why_size);

#endif
