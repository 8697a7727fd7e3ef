/*
 * Unit tests of sample.c: every table's sample row has exactly the columns of its schema file
 * (../../../schemas/<table>.avsc; the tests run in tests/unit/fixtures) that PERSCOM sends (not
 * the hidden ones, not the custom-field column), in order, with values of the column's type
 * (never null where the schema has no null branch); each action's sample change renders, and
 * the update's `changes` is not empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/json.h"
#include "perscom/render.h"
#include "perscom/sample.h"

#define NOW 1777629600123456LL /* 2026-05-01T10:00:00.123456Z */

/* The row record's fields of schemas/<table>.avsc (the non-null branch of `before`). */
static json_t *schema_fields(const char *table)
{
    char path[256];
    json_error_t error;
    json_t *root;
    json_t *fields;
    size_t i;
    json_t *field;

    snprintf(path, sizeof(path), "../../../schemas/%s.avsc", table);
    root = json_load_file(path, 0, &error);
    if (!root) {
        fail_msg("%s: %s", path, error.text);
    }
    json_array_foreach(json_object_get(root, "fields"), i, field) {
        if (strcmp(json_string_value(json_object_get(field, "name")), "before") == 0) {
            json_t *branch = json_array_get(json_object_get(field, "type"), 1);
            fields = json_incref(json_object_get(branch, "fields"));
            json_decref(root);
            assert_non_null(fields);
            return fields;
        }
    }
    fail_msg("%s: no field before", path);
    return NULL;
}

/* The non-null branch of an Avro type and whether a null branch exists. */
static json_t *non_null(json_t *type, int *nullable)
{
    *nullable = 0;
    if (json_is_array(type)) {
        json_t *branch;
        size_t i;
        json_t *found = NULL;
        json_array_foreach(type, i, branch) {
            if (json_is_string(branch) && strcmp(json_string_value(branch), "null") == 0) {
                *nullable = 1;
            } else {
                found = branch;
            }
        }
        return found;
    }
    return type;
}

/* True when field's value fits the Avro type. */
static int fits(const struct br_field *field, json_t *type, const char **why)
{
    const char *name = json_is_string(type) ? json_string_value(type)
                                            : json_string_value(json_object_get(type, "type"));
    const char *logical = json_is_object(type)
                              ? json_string_value(json_object_get(type, "logicalType"))
                              : NULL;

    *why = name;
    if (logical && strcmp(logical, "timestamp-micros") == 0) {
        *why = "timestamp-micros";
        return field->kind == BR_FIELD_TIME;
    }
    if (field->kind != BR_FIELD_VALUE) {
        return 0;
    }
    if (strcmp(name, "long") == 0 || strcmp(name, "int") == 0) {
        return json_is_integer(field->value);
    }
    if (strcmp(name, "string") == 0) {
        return json_is_string(field->value);
    }
    if (strcmp(name, "boolean") == 0) {
        return json_is_boolean(field->value);
    }
    if (strcmp(name, "array") == 0) {
        return json_is_array(field->value) && json_array_size(field->value) > 0 &&
               json_is_string(json_array_get(field->value, 0));
    }
    return 0;
}

/* Columns PERSCOM never sends: the hidden ones and the custom-field column `data`. */
static int unsent(const struct br_resource *resource, const char *name)
{
    for (size_t i = 0; resource->hidden && resource->hidden[i]; i++) {
        if (strcmp(resource->hidden[i], name) == 0) {
            return 1;
        }
    }
    return resource->custom_fields && strcmp(name, "data") == 0;
}

static void check_row(const struct br_resource *resource, const struct br_row *row)
{
    json_t *fields = schema_fields(resource->table);
    json_t *field;
    size_t i;
    size_t n = 0;

    json_array_foreach(fields, i, field) {
        const char *name = json_string_value(json_object_get(field, "name"));
        int nullable;
        json_t *type = non_null(json_object_get(field, "type"), &nullable);
        const struct br_field *got;
        const char *why;

        if (unsent(resource, name)) {
            continue;
        }
        if (n >= row->count) {
            fail_msg("%s: the sample has no column %s", resource->table, name);
        }
        got = &row->fields[n++];

        if (strcmp(got->name, name) != 0) {
            fail_msg("%s: column %zu is %s, the schema says %s", resource->table, i, got->name,
                     name);
        }
        if (got->kind == BR_FIELD_VALUE && json_is_null(got->value)) {
            if (!nullable) {
                fail_msg("%s.%s: null, but the schema has no null branch", resource->table,
                         name);
            }
            continue;
        }
        if (!fits(got, type, &why)) {
            fail_msg("%s.%s: the sample value does not fit %s", resource->table, name, why);
        }
    }
    if (n != row->count) {
        fail_msg("%s: %zu sample columns, the schema has %zu that PERSCOM sends",
                 resource->table, row->count, n);
    }
    json_decref(fields);
}

static void test_rows_match_the_schemas(void **state)
{
    (void)state;
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        const struct br_resource *resource = br_catalog_resource(i);
        struct br_row *row = br_sample_row(resource, NOW, 0);
        struct br_row *before = br_sample_row(resource, NOW, 1);

        assert_non_null(row);
        assert_non_null(before);
        check_row(resource, row);
        check_row(resource, before);
        br_row_destroy(row);
        br_row_destroy(before);
    }
}

/* Renders resource's sample change for action; returns the payload's JSON text (caller frees). */
static char *render(const struct br_resource *resource, enum br_action action)
{
    struct br_change change;
    struct br_render_input input = {
        .resource = resource,
        .action = action,
        .change = &change,
        .request_id = "req",
        .topic = "t",
    };
    struct br_buf text;
    char errstr[256] = "";
    json_t *payload;
    char *out;

    assert_int_equal(br_sample_change(resource, action, NOW, &change), 0);
    assert_int_equal(change.ts_us, NOW);
    switch (action) {
    case BR_ACTION_CREATED:
        assert_int_equal(change.op, BR_OP_CREATE);
        assert_non_null(change.after);
        assert_null(change.before);
        break;
    case BR_ACTION_UPDATED:
        assert_int_equal(change.op, BR_OP_UPDATE);
        assert_non_null(change.after);
        assert_non_null(change.before);
        break;
    default:
        assert_int_equal(change.op, BR_OP_DELETE);
        assert_null(change.after);
        assert_non_null(change.before);
        break;
    }
    payload = br_render_payload(&input, errstr, sizeof(errstr));
    if (!payload) {
        fail_msg("%s %s: %s", resource->name, br_catalog_action_name(action), errstr);
    }
    if (action == BR_ACTION_UPDATED) {
        json_t *changes = json_object_get(payload, "changes");
        if (!json_is_object(changes) || json_object_size(changes) < 2) {
            fail_msg("%s.updated: changes should name the changed column and updated_at",
                     resource->name);
        }
    }
    br_buf_init(&text, 0);
    assert_int_equal(br_json_encode(payload, &text, errstr, sizeof(errstr)), 0);
    out = br_buf_steal(&text, NULL);
    json_decref(payload);
    br_change_finish(&change);
    return out;
}

static void test_every_event_renders(void **state)
{
    (void)state;
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        for (int action = 0; action < BR_ACTION_COUNT; action++) {
            free(render(br_catalog_resource(i), (enum br_action)action));
        }
    }
}

static void test_rank_record_payloads(void **state)
{
    const struct br_resource *ranks = br_catalog_by_name("rankrecord");
    char *created = render(ranks, BR_ACTION_CREATED);
    char *updated = render(ranks, BR_ACTION_UPDATED);

    (void)state;
    assert_string_equal(
        created,
        "{\"event\":\"rankrecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\","
        "\"request_id\":\"req\",\"trace_id\":null,\"data\":{\"id\":1,\"user_id\":1,"
        "\"rank_id\":1,\"document_id\":null,\"author_id\":1,\"text\":\"Sample text sent by "
        "perscom-bridge test-hook.\",\"type\":0,\"created_at\":\"2026-04-30T10:00:00.123456Z\","
        "\"updated_at\":\"2026-05-01T10:00:00.123456Z\",\"label\":\"Rank Record: 1\"},"
        "\"changes\":[]}");
    assert_non_null(strstr(updated, "\"changes\":{\"text\":\"Sample text sent by perscom-bridge"
                                    " test-hook.\",\"updated_at\":\"2026-05-01 10:00:00\"}}"));
    free(created);
    free(updated);
}

static void test_unknown_resource(void **state)
{
    static const struct br_resource other = {"widget", "widgets", "Widget", false, NULL, NULL};
    struct br_change change;

    (void)state;
    assert_null(br_sample_row(&other, NOW, 0));
    assert_null(br_sample_row(NULL, NOW, 0));
    assert_int_equal(br_sample_change(&other, BR_ACTION_CREATED, NOW, &change), -1);
    assert_null(change.after);
    assert_null(change.before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_match_the_schemas),
        cmocka_unit_test(test_every_event_renders),
        cmocka_unit_test(test_rank_record_payloads),
        cmocka_unit_test(test_unknown_resource),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
