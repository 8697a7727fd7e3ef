/*
 * Unit tests of file.c: whole-file reads under a cap (exactly at the cap, one byte over, across
 * the buffer's growth, empty, missing, a directory) and the scrubbing frees.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/file.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test-file-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return rmdir(dir);
}

/* Writes len bytes of a repeating pattern (with NUL bytes) to dir/name; returns the path. */
static char *write_file(const char *name, size_t len, char *path, size_t path_size)
{
    FILE *file;

    snprintf(path, path_size, "%s/%s", dir, name);
    file = fopen(path, "wb");
    assert_non_null(file);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(fputc((int)(i % 251), file), (int)(i % 251));
    }
    assert_int_equal(fclose(file), 0);
    return path;
}

static void test_sizes(void **state)
{
    static const struct {
        size_t len;
        size_t max;
        const char *why; /* NULL: read whole */
    } cases[] = {
        {0, 10, NULL},
        {1, 1, NULL},
        {10, 10, NULL},
        {11, 10, "larger than 10 bytes"},
        {4096, 4096, NULL},
        {4097, 4096, "larger than 4096 bytes"},
        {10000, 10000, NULL},
        {10000, 1 << 20, NULL},
        {10001, 10000, "larger than 10000 bytes"},
        {100000, 8192, "larger than 8192 bytes"}, /* refused before it is all read */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[128];
        char why[128] = "";
        size_t len = 12345;
        char *data;

        write_file("data", cases[i].len, path, sizeof(path));
        data = br_file_read(path, cases[i].max, &len, why, sizeof(why));
        if (cases[i].why != NULL) {
            if (data != NULL || strcmp(why, cases[i].why) != 0) {
                fail_msg("case %zu: got %s, why \"%s\"; want \"%s\"", i,
                         data != NULL ? "data" : "NULL", why, cases[i].why);
            }
        } else {
            if (data == NULL) {
                fail_msg("case %zu: NULL, why \"%s\"", i, why);
            }
            assert_int_equal(len, cases[i].len);
            assert_int_equal(data[len], '\0');
            for (size_t j = 0; j < len; j++) {
                if ((unsigned char)data[j] != j % 251) {
                    fail_msg("case %zu: byte %zu is %d, want %zu", i, j, data[j], j % 251);
                }
            }
            br_file_scrub_free(data, len);
        }
        assert_int_equal(unlink(path), 0);
    }
}

static void test_missing_and_directory(void **state)
{
    char path[128];
    char why[128] = "";
    size_t len = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/absent", dir);
    assert_null(br_file_read(path, 100, &len, why, sizeof(why)));
    assert_string_equal(why, strerror(ENOENT));

    why[0] = '\0';
    assert_null(br_file_read(dir, 100, &len, why, sizeof(why)));
    assert_string_equal(why, "not a regular file (a directory)");
}

/* A FIFO without a writer would block open() for ever: refused at once instead. */
static void test_fifo_refused_without_blocking(void **state)
{
    char path[128];
    char why[128] = "";
    size_t len = 0;

    (void)state;
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(5); /* a hang fails the test instead of the suite */
    assert_null(br_file_read(path, 100, &len, why, sizeof(why)));
    alarm(0);
    assert_string_equal(why, "not a regular file (a FIFO)");
    assert_int_equal(unlink(path), 0);
    assert_null(br_file_read("/dev/null", 100, &len, why, sizeof(why)));
    assert_string_equal(why, "not a regular file (a character device)");
}

static void test_scrub_free(void **state)
{
    char *secret = strdup("hunter2");

    (void)state;
    assert_non_null(secret);
    br_file_scrub_free_str(secret);
    br_file_scrub_free_str(NULL);
    br_file_scrub_free(NULL, 10);
    secret = malloc(4);
    assert_non_null(secret);
    memcpy(secret, "ab\0c", 4);
    br_file_scrub_free(secret, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_missing_and_directory),
        cmocka_unit_test(test_fifo_refused_without_blocking),
        cmocka_unit_test(test_scrub_free),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
