/* Whole-file reads under a cap, and scrubbing before free (see file.h). */
#include "config/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void br_file_scrub_free(char *str, size_t len)
{
    if (str != NULL) {
        OPENSSL_cleanse(str, len);
        free(str);
    }
}

void br_file_scrub_free_str(char *str)
{
    if (str != NULL) {
        br_file_scrub_free(str, strlen(str));
    }
}

char *br_file_read(const char *path, size_t max, size_t *len, char *why, size_t why_size)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    size_t used = 0;
    size_t cap = 0;

    if (file == NULL) {
        snprintf(why, why_size, "%s", strerror(errno));
        goto fail;
    }
    for (;;) {
        if (used == cap) {
            size_t next = cap == 0 ? 4096 : cap * 2;
            char *grown;

            if (cap > max) {
                snprintf(why, why_size, "larger than %zu bytes", max);
                goto fail;
            }
            grown = realloc(data, next + 1);
            if (grown == NULL) {
                abort();
            }
            data = grown;
            cap = next;
        }
        size_t got = fread(data + used, 1, cap - used, file);
        used += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(file)) {
        snprintf(why, why_size, "%s", strerror(errno != 0 ? errno : EIO));
        goto fail;
    }
    if (used > max) {
        snprintf(why, why_size, "larger than %zu bytes", max);
        goto fail;
    }
    fclose(file);
    data[used] = '\0';
    *len = used;
    return data;

fail:
    if (file != NULL) {
        fclose(file);
    }
    if (data != NULL) {
        br_file_scrub_free(data, cap);
    }
    return NULL;
}
