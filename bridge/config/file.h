#ifndef BR_FILE_H
#define BR_FILE_H
/*
 * Files the configuration names (the YAML file itself, an Avro schema, a secret_file), read
 * whole under a size cap, and the scrubbing of bytes that may be secret before they are freed.
 */
#include <stddef.h>

/*
 * Reads a whole regular file of at most max bytes (a FIFO, a directory or a device is refused
 * with "not a regular file (a FIFO)" etc., without blocking). Returns the bytes, NUL-terminated, which the caller
 * owns and frees (with br_file_scrub_free when they may be secret), with their count in *len;
 * or NULL with strerror-style text in why ("No such file or directory", "larger than N bytes").
 * A partial read is scrubbed before it is freed.
 */
char *br_file_read(const char *path, size_t max, size_t *len, char *why, size_t why_size);

/* Overwrites len bytes, then frees (both accept NULL). */
void br_file_scrub_free(char *str, size_t len);
void br_file_scrub_free_str(char *str); /* len is strlen(str) */

#endif
