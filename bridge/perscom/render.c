/*
 * Change record -> the PERSCOM payload of perscom-wire.md. The rules in detail (and the
 * decisions where PERSCOM leaves a choice) are written down in tests/golden/README.md, and
 * tests/golden/expected.php implements them again in PHP.
 */
#include "perscom/render.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/civil.h"
#include "core/utf8.h"
#include "perscom/json.h"
#include "perscom/casts.h"
#include "perscom/custom.h"
#include "perscom/customscan.h"

#define LABEL_KEY "label"

/* The namespace of derived request ids (UUIDv5): 6f1c3a52-8d0e-4b7a-9c25-3e41d7f0b9a8. */
static const unsigned char request_id_namespace[16] = {
    0x6f, 0x1c, 0x3a, 0x52, 0x8d, 0x0e, 0x4b, 0x7a,
    0x9c, 0x25, 0x3e, 0x41, 0xd7, 0xf0, 0xb9, 0xa8,
};

static void split_time(int64_t time_us, struct tm *tm, long *micros)
{
    int64_t secs = time_us / 1000000;
    int64_t rem = time_us % 1000000;
    time_t t;

    if (rem < 0) {
        rem += 1000000;
        secs -= 1;
    }
    t = (time_t)secs;
    memset(tm, 0, sizeof(*tm));
    gmtime_r(&t, tm);
    *micros = (long)rem;
}

static void put2(char *at, int value)
{
    at[0] = (char)('0' + value / 10);
    at[1] = (char)('0' + value % 10);
}

/*
 * format_time for the years 0000..9999, without gmtime_r and snprintf (one per message on the
 * hot path): the same characters. Returns 0, or -1 outside those years.
 */
static int format_time_fast(int64_t time_us, int iso, char out[32])
{
    /* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
    static const int64_t first_s = -62167219200LL;
    static const int64_t last_s = 253402300799LL;
    int64_t secs = time_us / 1000000;
    int64_t rem = time_us % 1000000;
    int64_t days;
    int64_t of_day;
    int64_t year;
    int month;
    int day;

    if (rem < 0) {
        rem += 1000000;
        secs -= 1;
    }
    if (secs < first_s || secs > last_s) {
        return -1;
    }
    days = secs / 86400;
    of_day = secs % 86400;
    if (of_day < 0) {
        of_day += 86400;
        days -= 1;
    }
    br_civil_from_days(days, &year, &month, &day);
    put2(out, (int)(year / 100));
    put2(out + 2, (int)(year % 100));
    out[4] = '-';
    put2(out + 5, month);
    out[7] = '-';
    put2(out + 8, day);
    out[10] = iso ? 'T' : ' ';
    put2(out + 11, (int)(of_day / 3600));
    out[13] = ':';
    put2(out + 14, (int)(of_day / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(of_day % 60));
    if (!iso) {
        out[19] = '\0';
        return 0;
    }
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + rem % 10);
        rem /= 10;
    }
    out[26] = 'Z';
    out[27] = '\0';
    return 0;
}

/* Like PHP's date('Y-m-d H:i:s'): at least four year digits, a minus sign before year 0. */
static void format_time(int64_t time_us, int iso, char out[32])
{
    struct tm tm;
    long micros;
    long long year;
    char text[96];

    if (format_time_fast(time_us, iso, out) == 0) {
        return;
    }
    split_time(time_us, &tm, &micros);
    year = (long long)tm.tm_year + 1900;
    snprintf(text, sizeof(text), "%s%04lld-%02d-%02d%c%02d:%02d:%02d", year < 0 ? "-" : "",
             year < 0 ? -year : year, tm.tm_mon + 1, tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    if (iso) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof(text) - len, ".%06ldZ", micros);
    }
    text[31] = '\0'; /* years of up to six digits fit */
    memcpy(out, text, 32);
}

void br_render_iso_time(int64_t time_us, char out[32])
{
    format_time(time_us, 1, out);
}

void br_render_raw_time(int64_t time_us, char out[32])
{
    format_time(time_us, 0, out);
}

void br_render_derived_uuid(const char *topic, int32_t partition, int64_t offset, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char suffix[48];
    /* namespace, topic and suffix in one piece: one EVP_Digest call (Kafka's topic names have
     * at most 249 characters; a longer one goes the same way from the heap) */
    unsigned char stack[16 + 256 + sizeof(suffix)];
    unsigned char *name = stack;
    size_t topic_len = topic ? strlen(topic) : 0;
    size_t suffix_len;
    size_t pos = 0;

    /* "/%" PRId32 "/%" PRId64, without printf */
    suffix[0] = '/';
    suffix_len = 1 + br_json_integer_digits(partition, suffix + 1);
    suffix[suffix_len++] = '/';
    suffix_len += br_json_integer_digits(offset, suffix + suffix_len);
    if (sizeof(request_id_namespace) + topic_len + suffix_len > sizeof(stack)) {
        name = malloc(sizeof(request_id_namespace) + topic_len + suffix_len);
        if (!name) {
            abort();
        }
    }
    memcpy(name, request_id_namespace, sizeof(request_id_namespace));
    memcpy(name + sizeof(request_id_namespace), topic ? topic : "", topic_len);
    memcpy(name + sizeof(request_id_namespace) + topic_len, suffix, suffix_len);
    if (!EVP_Digest(name, sizeof(request_id_namespace) + topic_len + suffix_len, digest,
                    &digest_len, EVP_sha1(), NULL)) {
        abort(); /* SHA-1 of a few bytes cannot fail short of a broken OpenSSL */
    }
    if (name != stack) {
        free(name);
    }
    digest[6] = (unsigned char)((digest[6] & 0x0f) | 0x50); /* version 5 */
    digest[8] = (unsigned char)((digest[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[pos++] = '-';
        }
        out[pos++] = hex[digest[i] >> 4];
        out[pos++] = hex[digest[i] & 0xf];
    }
    out[pos] = '\0';
}

static int in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_custom_column(const struct br_resource *resource, const char *name)
{
    return resource->custom_fields && strcmp(name, BR_CUSTOM_COLUMN) == 0;
}

/*
 * The label "<prefix>: <id>": *text and *len point into stack (stack_size bytes) for an integer
 * id that fits (the usual case), else into label. 0, or -1 with a message.
 */
static int label_text(const struct br_resource *resource, const struct br_row *row,
                      struct br_buf *label, char *stack, size_t stack_size, const char **text,
                      size_t *len, char *errstr, size_t errstr_size)
{
    const struct br_field *id = br_row_find(row, "id");
    size_t prefix_len = strlen(resource->label_prefix);
    json_t *value;
    char why[256] = "";

    value = id ? br_casts_data(br_catalog_column(resource, "id"), id, why, sizeof(why)) : NULL;
    if (json_is_integer(value) && prefix_len + 2 + BR_JSON_INTEGER_MAX <= stack_size) {
        memcpy(stack, resource->label_prefix, prefix_len);
        memcpy(stack + prefix_len, ": ", 2);
        *len = prefix_len + 2 +
               br_json_integer_digits(json_integer_value(value), stack + prefix_len + 2);
        *text = stack;
    } else {
        br_buf_append(label, resource->label_prefix, prefix_len);
        br_buf_append(label, ": ", 2);
        if (json_is_integer(value)) {
            char digits[BR_JSON_INTEGER_MAX];

            br_buf_append(label, digits, br_json_integer_digits(json_integer_value(value), digits));
        } else if (json_is_string(value)) {
            br_buf_append(label, json_string_value(value), json_string_length(value));
        }
        *text = label->data;
        *len = label->len;
    }
    json_decref(value);
    if (label->overflow || !br_utf8_valid_nul(*text, *len)) {
        snprintf(errstr, errstr_size, "the id is not valid UTF-8");
        return -1;
    }
    return 0;
}

/* The raw form of field in `changes` (the custom column without hidden keys); NULL on error. */
static json_t *raw_value(const struct br_resource *resource, const struct br_field *field,
                         char *errstr, size_t errstr_size)
{
    if (is_custom_column(resource, field->name) && field->kind == BR_FIELD_VALUE) {
        return br_custom_raw(field->value, resource->hidden, errstr, errstr_size);
    }
    return br_casts_raw(br_catalog_column(resource, field->name), field, errstr, errstr_size);
}

/*
 * 1 and the raw value of after when it changed, 0 when not, -1 on error. The custom column
 * counts as changed only when its text differs once hidden keys are left out.
 */
static int changed_value(const struct br_resource *resource, const struct br_field *after,
                         const struct br_field *before, json_t **value, char *errstr,
                         size_t errstr_size)
{
    json_t *old;
    int same;

    *value = NULL;
    if (before && br_field_equal(after, before)) {
        return 0;
    }
    *value = raw_value(resource, after, errstr, errstr_size);
    if (!*value) {
        return -1;
    }
    if (!before || !is_custom_column(resource, after->name)) {
        return 1;
    }
    old = raw_value(resource, before, errstr, errstr_size);
    same = old && json_equal(old, *value);
    json_decref(old);
    if (same) {
        json_decref(*value);
        *value = NULL;
        return 0;
    }
    return 1;
}

/*
 * The walks of `data` and `changes`, shared by the tree (br_render_payload) and the writer
 * (br_render_encode): which members come, in which order, with which values, and the errors of
 * building them (a cast, the custom fields, the label), in that order. A sink takes the members:
 * the tree sets them in a json_t object, the writer writes their JSON at once.
 */
struct data_sink {
    /* A column of the row and its value (the sink owns the reference). */
    void (*column)(void *sink, const char *name, json_t *value);
    /* A column whose value is a string made without jansson (casts.h, br_casts_data_text):
     * ASCII, NUL-terminated. */
    void (*column_text)(void *sink, const char *name, const char *text);
    /* A custom field that no column of the row (nor label) hides; borrowed. */
    void (*custom)(void *sink, const char *key, json_t *member);
    /* The same, of a custom-field column read without jansson (customscan.h). */
    void (*custom_scalar)(void *sink, const struct br_customscan_member *member);
    /* The label, last: well-formed UTF-8 (NUL allowed). 0, or -1 with a message. */
    int (*label)(void *sink, const char *text, size_t len, char *errstr, size_t errstr_size);
};

/* The custom fields' walk: members that no column of the row (nor label) hides go to sink. */
struct custom_walk {
    const struct br_row *row;
    const struct data_sink *ops;
    void *sink;
};

static void custom_member(void *ctx, const char *key, json_t *member)
{
    struct custom_walk *walk = ctx;

    /* a column of the row (the custom column too) wins, as does label */
    if (br_row_find(walk->row, key) || strcmp(key, LABEL_KEY) == 0) {
        return;
    }
    walk->ops->custom(walk->sink, key, member);
}

/* The custom fields of a column read by br_customscan_object, as custom_member sends them. */
static void scanned_members(const struct br_resource *resource, const struct br_row *row,
                            const struct br_customscan *scan, const struct data_sink *ops,
                            void *sink)
{
    for (size_t i = 0; i < scan->count; i++) {
        const char *key = scan->members[i].key;

        if (in_list(resource->hidden, key) || br_row_find(row, key) ||
            strcmp(key, LABEL_KEY) == 0) {
            continue;
        }
        ops->custom_scalar(sink, &scan->members[i]);
    }
}

/* `data` of row into ops/sink. Returns 0, or -1 with a message (a build error). */
static inline int walk_data(const struct br_resource *resource, const struct br_row *row,
                            const struct data_sink *ops, void *sink, char *errstr,
                            size_t errstr_size)
{
    json_t *custom = NULL;
    struct br_customscan scan;
    int scanned = 0;
    struct br_buf label;
    char label_stack[128];
    const char *label_at = NULL;
    size_t label_len = 0;
    char why[256] = "";
    int rc = -1;

    br_buf_init(&label, 0);
    for (size_t i = 0; i < row->count; i++) {
        const struct br_field *field = &row->fields[i];
        const struct br_column *column;
        char text[32];
        json_t *value;

        if (in_list(resource->hidden, field->name)) {
            continue;
        }
        if (is_custom_column(resource, field->name)) {
            if (custom || scanned || field->kind != BR_FIELD_VALUE) {
                snprintf(errstr, errstr_size, "custom-field column \"%s\" is not a string",
                         BR_CUSTOM_COLUMN);
                goto done;
            }
            /* hidden names never leave, also when the schema lacks the hidden columns */
            if (json_is_string(field->value) &&
                br_customscan_object(json_string_value(field->value),
                                     json_string_length(field->value), &scan) == 0) {
                scanned = 1;
                continue;
            }
            custom = br_custom_parse(field->value, errstr, errstr_size);
            if (!custom) {
                goto done;
            }
            continue;
        }
        column = br_catalog_column(resource, field->name);
        if (br_casts_data_text(column, field, text)) {
            ops->column_text(sink, field->name, text);
            continue;
        }
        value = br_casts_data(column, field, why, sizeof(why));
        if (!value) {
            snprintf(errstr, errstr_size, "column \"%s\": %s", field->name, why);
            goto done;
        }
        ops->column(sink, field->name, value);
    }
    if (scanned) {
        scanned_members(resource, row, &scan, ops, sink);
    }
    if (custom) {
        struct custom_walk walk = {.row = row, .ops = ops, .sink = sink};

        br_custom_each(custom, resource->hidden, custom_member, &walk);
    }
    if (label_text(resource, row, &label, label_stack, sizeof(label_stack), &label_at,
                   &label_len, errstr, errstr_size) != 0) {
        goto done;
    }
    rc = ops->label(sink, label_at, label_len, errstr, errstr_size);
done:
    br_buf_finish(&label);
    json_decref(custom);
    return rc;
}

/* Where walk_changes sends the changed columns. */
struct changes_sink {
    /* A changed column and its raw value (the sink owns the reference). */
    void (*member)(void *sink, const char *name, json_t *value);
    /* A changed column whose raw value is text made without jansson (br_casts_raw_text). */
    void (*member_text)(void *sink, const char *name, const char *text);
};

/*
 * `changes` of an update: ops->member(sink, name, value) for each changed column, value its raw
 * form (member owns the reference), or ops->member_text(sink, name, text). Returns 0, or -1
 * with a message (a build error).
 */
static inline int walk_changes(const struct br_resource *resource,
                               const struct br_change *change, const struct changes_sink *ops,
                               void *sink, char *errstr, size_t errstr_size)
{
    char why[256] = "";

    for (size_t i = 0; change->after && i < change->after->count; i++) {
        const struct br_field *field = &change->after->fields[i];
        const struct br_field *before =
            change->before ? br_row_find(change->before, field->name) : NULL;
        char text[32];
        json_t *value;
        int changed;

        if (in_list(resource->hidden, field->name)) {
            continue;
        }
        if (!is_custom_column(resource, field->name) &&
            br_casts_raw_text(br_catalog_column(resource, field->name), field, text)) {
            if (!before || !br_field_equal(field, before)) {
                ops->member_text(sink, field->name, text);
            }
            continue;
        }
        changed = changed_value(resource, field, before, &value, why, sizeof(why));
        if (changed < 0) {
            snprintf(errstr, errstr_size, "column \"%s\": %s", field->name, why);
            return -1;
        }
        if (changed) {
            ops->member(sink, field->name, value);
        }
    }
    return 0;
}

/* ---- the tree: members set in a json_t object (sink: the object) ---- */

static void tree_column(void *sink, const char *name, json_t *value)
{
    json_object_set_new(sink, name, value);
}

static void tree_column_text(void *sink, const char *name, const char *text)
{
    json_object_set_new(sink, name, json_string(text));
}

static void tree_custom(void *sink, const char *key, json_t *member)
{
    json_object_set(sink, key, member);
}

static void tree_custom_scalar(void *sink, const struct br_customscan_member *member)
{
    json_t *value;
    char digits[24];

    switch (member->type) {
    case BR_CUSTOMSCAN_STRING:
        value = json_stringn(member->text, member->len);
        break;
    case BR_CUSTOMSCAN_INTEGER:
        /* at most 18 digits and a sign */
        memcpy(digits, member->text, member->len);
        digits[member->len] = '\0';
        value = json_integer(strtoll(digits, NULL, 10));
        break;
    case BR_CUSTOMSCAN_TRUE:
        value = json_true();
        break;
    case BR_CUSTOMSCAN_FALSE:
        value = json_false();
        break;
    default:
        value = json_null();
        break;
    }
    json_object_set_new(sink, member->key, value);
}

/* A column named label keeps its place: json_object_set_new replaces in place. */
static int tree_label(void *sink, const char *text, size_t len, char *errstr, size_t errstr_size)
{
    json_t *value = json_stringn(text, len);

    if (!value) {
        snprintf(errstr, errstr_size, "the id is not valid UTF-8");
        return -1;
    }
    json_object_set_new(sink, LABEL_KEY, value);
    return 0;
}

static const struct data_sink tree_sink = {
    .column = tree_column,
    .column_text = tree_column_text,
    .custom = tree_custom,
    .custom_scalar = tree_custom_scalar,
    .label = tree_label,
};

static json_t *build_data(const struct br_resource *resource, const struct br_row *row,
                          char *errstr, size_t errstr_size)
{
    json_t *data = json_object();

    if (walk_data(resource, row, &tree_sink, data, errstr, errstr_size) != 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

static const struct changes_sink tree_changes = {
    .member = tree_column,
    .member_text = tree_column_text,
};

static json_t *build_changes(const struct br_resource *resource, const struct br_change *change,
                             char *errstr, size_t errstr_size)
{
    json_t *changes = json_object();

    if (walk_changes(resource, change, &tree_changes, changes, errstr, errstr_size) != 0) {
        json_decref(changes);
        return NULL;
    }
    if (json_object_size(changes) == 0) {
        /* PHP writes an empty array as [] */
        json_decref(changes);
        return json_array();
    }
    return changes;
}

json_t *br_render_payload(const struct br_render_input *in, char *errstr, size_t errstr_size)
{
    json_t *payload = NULL;
    json_t *data = NULL;
    json_t *changes = NULL;
    const struct br_row *row;
    char event[128];
    char text[40];

    if (!in || !in->resource || !in->change || in->action >= BR_ACTION_COUNT) {
        snprintf(errstr, errstr_size, "incomplete render input");
        goto fail;
    }
    row = in->action == BR_ACTION_DELETED ? in->change->before : in->change->after;
    if (!row) {
        snprintf(errstr, errstr_size, "the change has no %s image",
                 in->action == BR_ACTION_DELETED ? "before" : "after");
        goto fail;
    }
    data = build_data(in->resource, row, errstr, errstr_size);
    if (!data) {
        goto fail;
    }
    if (in->action == BR_ACTION_UPDATED) {
        changes = build_changes(in->resource, in->change, errstr, errstr_size);
        if (!changes) {
            goto fail;
        }
    } else {
        changes = json_array();
    }

    payload = json_object();
    br_catalog_event_name(in->resource, in->action, event, sizeof(event));
    json_object_set_new(payload, "event", json_string(event));
    br_render_iso_time(in->change->ts_us, text);
    json_object_set_new(payload, "created", json_string(text));
    if (in->request_id) {
        json_object_set_new(payload, "request_id", json_string(in->request_id));
    } else {
        br_render_derived_uuid(in->topic, in->partition, in->offset, text);
        json_object_set_new(payload, "request_id", json_string(text));
    }
    json_object_set_new(payload, "trace_id", in->trace_id ? json_string(in->trace_id)
                                                          : json_null());
    if (!json_object_get(payload, "request_id") || !json_object_get(payload, "trace_id")) {
        snprintf(errstr, errstr_size, "request_id or trace_id is not valid UTF-8");
        goto fail;
    }
    json_object_set_new(payload, "data", data);
    data = NULL;
    json_object_set_new(payload, "changes", changes);
    return payload;
fail:
    json_decref(payload);
    json_decref(data);
    json_decref(changes);
    return NULL;
}

/*
 * br_render_encode: the payload written straight into the output, member by member, without
 * building the tree first. The bytes are those of br_json_encode(br_render_payload(in)), and so
 * is the error a message gets when several things are wrong with it: the first error of
 * building the tree (a column's cast, the custom fields, the label, in the order
 * br_render_payload meets them) wins over invalid request_id/trace_id, which wins over the
 * first error of encoding (a value too deep, Inf or NaN, the output's limit) in the order of
 * the bytes.
 */
struct writer {
    struct br_buf *out;
    int encode_failed;       /* the first encoding error is in encode_err */
    int encode_over_limit;   /* ... and it was the output's limit */
    char encode_err[256];
};

/* Records the first encoding error; the output's limit counts as one as soon as it is hit. */
static void encode_result(struct writer *w, int rc, const char *why)
{
    if (w->encode_failed) {
        return;
    }
    if (rc != 0 || w->out->overflow) {
        w->encode_failed = 1;
        w->encode_over_limit = w->out->overflow;
        snprintf(w->encode_err, sizeof(w->encode_err), "%s", rc != 0 ? why : "");
    }
}

static void put_raw(struct writer *w, const char *text, size_t len)
{
    br_buf_append(w->out, text, len);
    encode_result(w, 0, "");
}

static void put_string(struct writer *w, const char *str, size_t len)
{
    char why[256] = ""; /* an encoder stopped by the limit says nothing */
    int rc = br_json_encode_string(str, len, w->out, why, sizeof(why));

    encode_result(w, rc, why);
}

/* "key": (with a comma before all but the first member of an object). */
static void put_key(struct writer *w, const char *key, int *first)
{
    put_raw(w, *first ? "" : ",", *first ? 0 : 1);
    *first = 0;
    put_string(w, key, strlen(key));
    put_raw(w, ":", 1);
}

/* A member's value, at depth 2 (payload -> data/changes -> member). */
static void put_value(struct writer *w, const json_t *value)
{
    char why[256] = ""; /* an encoder stopped by the limit says nothing */
    int rc = br_json_encode_at(value, 2, w->out, why, sizeof(why));

    encode_result(w, rc, why);
}

/* Inserts text at byte at of the output (the label of a row with a column named label). */
static void insert_at(struct writer *w, size_t at, const char *text, size_t len)
{
    size_t tail;

    if (w->out->overflow || br_buf_append(w->out, text, len) != 0) {
        encode_result(w, 0, "");
        return;
    }
    tail = w->out->len - len - at;
    memmove(w->out->data + at + len, w->out->data + at, tail);
    memcpy(w->out->data + at, text, len);
}


/* ---- the writer's sinks: `data` and `changes` written member by member ---- */

struct object_writer {
    struct writer *w;
    int first;              /* no member written yet */
    int has_label_column;   /* data: the row has a column named label ... */
    size_t label_at;        /* ... whose value goes here, once the label is known */
};

/* A column's key; 1 when its value is to be written, 0 for a column named label. */
static int column_key(struct object_writer *ow, const char *name)
{
    put_key(ow->w, name, &ow->first);
    if (strcmp(name, LABEL_KEY) == 0) {
        /* the label takes the column's place (json_object_set_new replaces in place) */
        ow->has_label_column = 1;
        ow->label_at = ow->w->out->len;
        return 0;
    }
    return 1;
}

static void write_column(void *sink, const char *name, json_t *value)
{
    struct object_writer *ow = sink;

    if (column_key(ow, name)) {
        put_value(ow->w, value);
    }
    json_decref(value);
}

static void write_column_text(void *sink, const char *name, const char *text)
{
    struct object_writer *ow = sink;

    if (column_key(ow, name)) {
        put_string(ow->w, text, strlen(text));
    }
}

static void write_custom(void *sink, const char *key, json_t *member)
{
    struct object_writer *ow = sink;

    put_key(ow->w, key, &ow->first);
    put_value(ow->w, member);
}

static void write_custom_scalar(void *sink, const struct br_customscan_member *member)
{
    struct object_writer *ow = sink;

    put_key(ow->w, member->key, &ow->first);
    if (member->type == BR_CUSTOMSCAN_STRING) {
        put_string(ow->w, member->text, member->len);
    } else {
        /* an integer's digits as written are what json_encode writes of it; the constants */
        put_raw(ow->w, member->text, member->len);
    }
}

static int write_label(void *sink, const char *text, size_t len, char *errstr,
                       size_t errstr_size)
{
    struct object_writer *ow = sink;
    struct br_buf encoded;
    char why[256] = "";

    if (!ow->has_label_column) {
        put_key(ow->w, LABEL_KEY, &ow->first);
        put_string(ow->w, text, len);
        return 0;
    }
    br_buf_init(&encoded, 0);
    if (br_json_encode_string(text, len, &encoded, why, sizeof(why)) != 0) {
        encode_result(ow->w, -1, why);
    } else if (!ow->w->out->overflow) {
        insert_at(ow->w, ow->label_at, encoded.data, encoded.len);
    }
    br_buf_finish(&encoded);
    return 0;
}

static const struct data_sink write_sink = {
    .column = write_column,
    .column_text = write_column_text,
    .custom = write_custom,
    .custom_scalar = write_custom_scalar,
    .label = write_label,
};

/* A member of `changes`: the object opens with the first one. */
static void write_change(void *sink, const char *name, json_t *value)
{
    struct object_writer *ow = sink;

    put_raw(ow->w, ow->first ? "{" : "", ow->first ? 1 : 0);
    put_key(ow->w, name, &ow->first);
    put_value(ow->w, value);
    json_decref(value);
}

static void write_change_text(void *sink, const char *name, const char *text)
{
    struct object_writer *ow = sink;

    put_raw(ow->w, ow->first ? "{" : "", ow->first ? 1 : 0);
    put_key(ow->w, name, &ow->first);
    put_string(ow->w, text, strlen(text));
}

static const struct changes_sink write_changes_sink = {
    .member = write_change,
    .member_text = write_change_text,
};

/* `data`, as build_data makes it. Returns 0, or -1 with a message (a build error). */
static int write_data(struct writer *w, const struct br_resource *resource,
                      const struct br_row *row, char *errstr, size_t errstr_size)
{
    struct object_writer ow = {.w = w, .first = 1};

    put_raw(w, "{", 1);
    if (walk_data(resource, row, &write_sink, &ow, errstr, errstr_size) != 0) {
        return -1;
    }
    put_raw(w, "}", 1);
    return 0;
}

/* `changes`, as build_changes makes it. Returns 0, or -1 with a message (a build error). */
static int write_changes(struct writer *w, const struct br_resource *resource,
                         const struct br_change *change, char *errstr, size_t errstr_size)
{
    struct object_writer ow = {.w = w, .first = 1};

    if (walk_changes(resource, change, &write_changes_sink, &ow, errstr, errstr_size) != 0) {
        return -1;
    }
    /* PHP writes an empty array as [] */
    put_raw(w, ow.first ? "[]" : "}", ow.first ? 2 : 1);
    return 0;
}

int br_render_encode(const struct br_render_input *in, struct br_buf *out, char *errstr,
                     size_t errstr_size)
{
    struct writer w = {.out = out};
    size_t start = out->len;
    int overflow = out->overflow;
    const struct br_row *row;
    const char *request_id;
    char derived[37];
    char event[128];
    char text[40];
    int ids_ok;
    int rc = -1;

    if (!in || !in->resource || !in->change || in->action >= BR_ACTION_COUNT) {
        snprintf(errstr, errstr_size, "incomplete render input");
        return -1;
    }
    row = in->action == BR_ACTION_DELETED ? in->change->before : in->change->after;
    if (!row) {
        snprintf(errstr, errstr_size, "the change has no %s image",
                 in->action == BR_ACTION_DELETED ? "before" : "after");
        return -1;
    }
    request_id = in->request_id;
    if (!request_id) {
        br_render_derived_uuid(in->topic, in->partition, in->offset, derived);
        request_id = derived;
    }
    /* json_string() refuses what is not UTF-8 (a NUL included: it takes C strings) */
    ids_ok = br_utf8_valid(request_id, strlen(request_id)) &&
             (!in->trace_id || br_utf8_valid(in->trace_id, strlen(in->trace_id)));

    br_catalog_event_name(in->resource, in->action, event, sizeof(event));
    put_raw(&w, "{\"event\":", 9);
    put_string(&w, event, strlen(event));
    put_raw(&w, ",\"created\":", 11);
    br_render_iso_time(in->change->ts_us, text);
    put_string(&w, text, strlen(text));
    put_raw(&w, ",\"request_id\":", 14);
    if (ids_ok) {
        put_string(&w, request_id, strlen(request_id));
    }
    put_raw(&w, ",\"trace_id\":", 12);
    if (ids_ok && in->trace_id) {
        put_string(&w, in->trace_id, strlen(in->trace_id));
    } else {
        put_raw(&w, "null", 4);
    }
    put_raw(&w, ",\"data\":", 8);
    if (write_data(&w, in->resource, row, errstr, errstr_size) != 0) {
        goto fail;
    }
    put_raw(&w, ",\"changes\":", 11);
    if (in->action == BR_ACTION_UPDATED) {
        if (write_changes(&w, in->resource, in->change, errstr, errstr_size) != 0) {
            goto fail;
        }
    } else {
        put_raw(&w, "[]", 2);
    }
    put_raw(&w, "}", 1);
    if (!ids_ok) {
        snprintf(errstr, errstr_size, "request_id or trace_id is not valid UTF-8");
        goto fail;
    }
    if (w.encode_failed) {
        if (w.encode_over_limit) {
            snprintf(errstr, errstr_size, "JSON output passes the buffer limit of %zu bytes",
                     out->limit);
            rc = BR_JSON_OVER_LIMIT;
        } else {
            snprintf(errstr, errstr_size, "%s", w.encode_err);
        }
        goto fail;
    }
    return 0;
fail:
    /* leave out as it was */
    out->len = start;
    out->overflow = overflow;
    if (out->data) {
        out->data[start] = '\0';
    }
    return rc;
}
