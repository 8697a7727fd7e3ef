#ifndef BR_SCHEMABOUNDS_H
#define BR_SCHEMABOUNDS_H
/*
 * Bounds on what a writer schema may declare, checked on its JSON text before avro-c builds
 * anything from it. avro-c trusts a schema: a fixed of 2,000,000,000 bytes is allocated when
 * the schema's value is created, a record that contains itself (by name, with no union, array
 * or map between) recurses until the stack overflows, and named records nested in each other
 * multiply (16 records of 16 fields, each of the next: 16^6 values). Anyone who can register a
 * schema could otherwise kill the bridge. schemas/README.md ("Limits") has the reasons for
 * each number.
 */
#include <stddef.h>

#define BR_SCHEMABOUNDS_MAX_TEXT (1024u * 1024)  /* bytes of schema JSON */
#define BR_SCHEMABOUNDS_MAX_DEPTH 32             /* types nested in types */
#define BR_SCHEMABOUNDS_MAX_FIELDS 4096          /* fields of one record */
#define BR_SCHEMABOUNDS_MAX_NAME 255             /* bytes of a name, namespace or symbol */
#define BR_SCHEMABOUNDS_MAX_SYMBOLS 65535        /* symbols of one enum */
#define BR_SCHEMABOUNDS_MAX_BRANCHES 64          /* branches of one union */
#define BR_SCHEMABOUNDS_MAX_FIXED 65536          /* bytes of one fixed type */
/* What avro-c creates for one value of a type before reading any data: records with all their
 * fields, named types expanded where they are used (unions, arrays and maps start empty). */
#define BR_SCHEMABOUNDS_MAX_VALUES 65536         /* values */
#define BR_SCHEMABOUNDS_MAX_FIXED_BYTES (1024u * 1024) /* bytes of fixed types in them */

/*
 * Returns 0 when text[0..len) is within every bound above (and declares no name twice, which
 * avro-c refuses but leaks memory on), or -1 with the first bound it passes in errstr ("fixed F: 2000000000 bytes (at most 65536)"). A text that is not
 * JSON, or not a schema avro-c accepts, may pass: avro-c says what is wrong with it then; what
 * is checked here is only what avro-c would build from it.
 */
int br_schemabounds_check(const char *text, size_t len, char *errstr, size_t errstr_size);

#endif
