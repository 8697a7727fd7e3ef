/* Whole-file reads for the unit tests (see readfile.h). */
#include "support/readfile.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

char *br_test_read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    char *text;
    long size;

    if (!file) {
        fail_msg("cannot open %s", path);
    }
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    size = ftell(file);
    if (size <= 0) {
        fail_msg("%s is empty or cannot be sized", path);
    }
    rewind(file);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    text[size] = '\0';
    fclose(file);
    if (len) {
        *len = (size_t)size;
    }
    return text;
}
