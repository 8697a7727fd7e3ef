#ifndef BR_CUSTOM_H
#define BR_CUSTOM_H
/*
 * The custom-field column `data` as PERSCOM's model reads it. PERSCOM's models with custom
 * fields use stancl/virtualcolumn (app/Traits/HasCustomFieldData.php): the column is cast
 * 'array' (json_decode($text, true)) and, when a model is loaded, every entry of
 * `foreach ($model->data ?? [] as $key => $value)` is set as an attribute of its own, which
 * toArray() sends as a top-level key of `data` unless the model hides it ($hidden).
 */
#include <jansson.h>
#include <stddef.h>

/* The custom-field column's name. */
#define BR_CUSTOM_COLUMN "data"

/*
 * The custom fields of the column's value (a JSON string or null) in their order, names in
 * hidden (NULL-terminated, may be NULL) left out, values as PHP arrays (casts.h,
 * br_casts_php_array): a new object. SQL NULL, JSON null and an empty list give no fields; a
 * list gives its items under the keys "0", "1", ... Returns NULL with a message when the value
 * is not a string, not JSON, or JSON that PERSCOM's model cannot load (a number, a string, a
 * boolean: the message names the JSON type found and PHP's words for it).
 */
json_t *br_custom_fields(const json_t *column, const char *const *hidden, char *errstr,
                         size_t errstr_size);

/*
 * The custom fields without the object br_custom_fields makes: br_custom_parse checks and
 * parses the column's value (the same errors), a new reference to an object, a list or null
 * (SQL NULL gives JSON null); br_custom_each then calls field for each custom field of it in
 * br_custom_fields' order, names in hidden left out, value as a PHP array (borrowed for the
 * call).
 */
json_t *br_custom_parse(const json_t *column, char *errstr, size_t errstr_size);
void br_custom_each(const json_t *parsed, const char *const *hidden,
                    void (*field)(void *ctx, const char *key, json_t *value), void *ctx);

/*
 * The column's value in `changes`: its raw text as it is, unless the text is a JSON object
 * with a key in hidden at its top level; then the JSON text of the object without those keys,
 * as PHP's json_encode writes the array (so an object left empty is "[]"). A value that is no
 * such object is returned as it is. Returns a new reference, or NULL with a message.
 */
json_t *br_custom_raw(const json_t *column, const char *const *hidden, char *errstr,
                      size_t errstr_size);

#endif
