#ifndef BR_AVROJSON_H
#define BR_AVROJSON_H
/*
 * An avro-c value -> a plain jansson value (not Avro's JSON encoding): null, boolean,
 * int/long -> integer, float/double -> real, string -> string (valid UTF-8 required, NUL
 * allowed), bytes -> base64 string (raw bytes never pass as text), enum -> symbol,
 * array -> array, map -> object, record -> object (field order), fixed -> lowercase hex,
 * union -> its branch. Logical types are not read here (timecols.h, logical.h).
 */
#include <avro.h>
#include <jansson.h>
#include <stddef.h>

/* Returns 0 and a new reference in *out, or -1 with the reason in errstr. */
int br_avrojson_value(avro_value_t *value, json_t **out, char *errstr, size_t errstr_size);

#endif
