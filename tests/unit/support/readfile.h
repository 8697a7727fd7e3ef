#ifndef BR_TEST_READFILE_H
#define BR_TEST_READFILE_H
/*
 * Reads a fixture or a document for a unit test (paths from tests/unit/fixtures, ctest's
 * working directory). A missing or empty file fails the test (cmocka), so it never returns NULL.
 */
#include <stddef.h>

/* The whole file, NUL-terminated (owned by the caller: free); *len its size if len is given. */
char *br_test_read_file(const char *path, size_t *len);

#endif
