#ifndef BR_FUZZ_HARNESS_H
#define BR_FUZZ_HARNESS_H
/*
 * The harness shared by the targets that decode messages with registry-framed schemas
 * (fuzz_decode, fuzz_hookrow): files of the source tree read at start-up, exact-size copies of
 * the input, and a stub Schema Registry.
 *
 * The stub: br_registry_schema defined here is linked instead of registry.c's. It answers ids
 * 1..fuzz_registry_count with fuzz_registry_texts[id - 1] (set by the target at start-up),
 * id 404 with "not found" and every other id with "unavailable". FUZZ_REGISTRY is the handle to
 * pass where a struct br_registry * is wanted (the stub never looks at it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/registry.h"

#ifndef BR_FUZZ_SOURCE_DIR
#error "BR_FUZZ_SOURCE_DIR (the source tree) must be defined"
#endif

static const char *const *fuzz_registry_texts;
static size_t fuzz_registry_count;
static int fuzz_registry_dummy;
#define FUZZ_REGISTRY ((struct br_registry *)(void *)&fuzz_registry_dummy)

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    (void)registry;
    if (id >= 1 && (size_t)id <= fuzz_registry_count) {
        *schema_json = fuzz_registry_texts[id - 1];
        return BR_REGISTRY_OK;
    }
    if (id == 404) {
        snprintf(errstr, errstr_size, "schema %d not found", id);
        return BR_REGISTRY_NOT_FOUND;
    }
    snprintf(errstr, errstr_size, "registry unavailable");
    return BR_REGISTRY_UNAVAILABLE;
}

/* The file at relative (to the source tree), NUL-terminated; aborts when it cannot be read. */
static char *fuzz_read_text(const char *relative)
{
    char path[1024];
    FILE *file;
    char *text;
    long size;

    snprintf(path, sizeof(path), "%s/%s", BR_FUZZ_SOURCE_DIR, relative);
    file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "fuzz: cannot open %s\n", path);
        abort();
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    rewind(file);
    text = calloc(1, (size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) {
        abort();
    }
    fclose(file);
    return text;
}

/* A copy of len bytes in a block of exactly that size (caller frees), so that ASan sees any
 * read past its end. */
static uint8_t *fuzz_copy(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy) {
        abort();
    }
    memcpy(copy, data, len);
    return copy;
}

#endif
