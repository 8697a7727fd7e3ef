#ifndef BR_CASTS_H
#define BR_CASTS_H
/*
 * PERSCOM's model casts (catalog.h, enum br_cast) applied to a decoded column, whatever form the
 * change event gave it (change.h): the value of `data` as the model's toArray() gives it, and
 * the raw database form of `changes` as getChanges() gives it. Columns the catalog does not know
 * (column NULL), and values whose form the cast does not apply to, get the default form of
 * their kind. The rules, as a table, are in schemas/README.md ("Values").
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "perscom/catalog.h"
#include "perscom/change.h"

/* The value of field in `data`: a new reference, or NULL with a message. column may be NULL. */
json_t *br_casts_data(const struct br_column *column, const struct br_field *field, char *errstr,
                      size_t errstr_size);

/* The raw database form of field in `changes`: a new reference, or NULL with a message. */
json_t *br_casts_raw(const struct br_column *column, const struct br_field *field, char *errstr,
                     size_t errstr_size);

/*
 * br_casts_data and br_casts_raw for the values that are text made here, without a jansson
 * value: a datetime, date or time of day (BR_FIELD_TIME, BR_FIELD_DATE, BR_FIELD_CLOCK) in
 * whatever column. Return 1 with the string's text in out (what br_casts_data or br_casts_raw
 * would give as a JSON string), or 0 when the field is of another kind (use those).
 */
int br_casts_data_text(const struct br_column *column, const struct br_field *field,
                       char out[32]);
int br_casts_raw_text(const struct br_column *column, const struct br_field *field, char out[32]);

/*
 * A decoded JSON value as PHP's json_encode(json_decode($text, true)) writes it again: every
 * object becomes a PHP array, written as a list when its keys are exactly "0", "1", ... in
 * order (so {} becomes [] and {"0":"a","1":"b"} becomes ["a","b"]). Returns a new reference.
 */
json_t *br_casts_php_array(const json_t *value);

/*
 * Laravel's 'decimal:N' cast of the exact decimal text ("-12.345", "7"): the value rounded to
 * decimals fraction digits, half away from zero (brick/math's HALF_UP), written with exactly
 * that many digits ("-12.35" for 2, "-12" for 0); "-0.001" becomes "0.00". Returns a malloc'd
 * string, or NULL when text is not [-]digits[.digits].
 */
char *br_casts_decimal(const char *text, unsigned decimals);

/* "YYYY-MM-DD" of a BR_FIELD_DATE (years as PHP's date('Y') writes them). */
void br_casts_date_text(int64_t time_us, char out[32]);
/* "[-]HH:MM:SS" of a BR_FIELD_CLOCK, with ".ffffff" when the microseconds are not 0; hours
 * may exceed 23, as in MySQL's TIME. */
void br_casts_clock_text(int64_t time_us, char out[32]);

#endif
