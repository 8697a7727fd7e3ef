/* Whole-file reads under a cap, and scrubbing before free (see file.h). */
#include "config/file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
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

/*
 * Opens path for reading without ever blocking in open() (a FIFO with no writer would hang it for
 * ever) and only when it is a regular file.
 */
static FILE *open_regular(const char *path, char *why, size_t why_size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    int flags;
    FILE *file;

    if (fd < 0) {
        snprintf(why, why_size, "%s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_size, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "not a regular file (%s)",
                 S_ISFIFO(st.st_mode)  ? "a FIFO"
                 : S_ISDIR(st.st_mode) ? "a directory"
                 : S_ISCHR(st.st_mode) ? "a character device"
                 : S_ISSOCK(st.st_mode) ? "a socket"
                                        : "a special file");
        close(fd);
        return NULL;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    file = fdopen(fd, "rb");
    if (!file) {
        snprintf(why, why_size, "%s", strerror(errno));
        close(fd);
    }
    return file;
}

char *br_file_read(const char *path, size_t max, size_t *len, char *why, size_t why_size)
{
    FILE *file = open_regular(path, why, why_size);
    char *data = NULL;
    size_t used = 0;
    size_t cap = 0;

    if (file == NULL) {
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
