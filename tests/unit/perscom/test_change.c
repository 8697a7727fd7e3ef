/*
 * Unit tests of change.c: rows of fields (growth, lookup, ownership of names and values) and
 * br_change_finish.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/change.h"

static void test_create_capacity(void **state)
{
    static const struct {
        size_t asked;
        size_t want;
    } cases[] = {
        {0, 8}, {1, 8}, {7, 8}, {8, 8}, {9, 9}, {100, 100},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_row *row = br_row_create(cases[i].asked);

        if (row->capacity != cases[i].want || row->count != 0 || !row->fields) {
            fail_msg("create(%zu): capacity %zu count %zu, want capacity %zu count 0",
                     cases[i].asked, row->capacity, row->count, cases[i].want);
        }
        br_row_destroy(row);
    }
}

/* Fields keep their order and kind past several doublings of the array. */
static void test_add_grows_in_order(void **state)
{
    struct br_row *row = br_row_create(0);
    char name[16];

    (void)state;
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        if (i % 3 == 0) {
            br_row_add_time(row, name, INT64_C(-86400000000) * i);
        } else {
            br_row_add_value(row, name, json_integer(i));
        }
    }
    assert_int_equal(row->count, 40);
    assert_int_equal(row->capacity, 64); /* 8 -> 16 -> 32 -> 64 */
    for (int i = 0; i < 40; i++) {
        const struct br_field *field = &row->fields[i];

        snprintf(name, sizeof(name), "c%d", i);
        assert_string_equal(field->name, name);
        assert_ptr_equal(br_row_find(row, name), field);
        if (i % 3 == 0) {
            assert_int_equal(field->kind, BR_FIELD_TIME);
            assert_true(field->time_us == INT64_C(-86400000000) * i);
            assert_null(field->value);
        } else {
            assert_int_equal(field->kind, BR_FIELD_VALUE);
            assert_int_equal(json_integer_value(field->value), i);
        }
    }
    br_row_destroy(row);
}

/* The i-th name of test_names_past_the_first_block: 10 + i bytes, the 13th 300 (size > 300). */
static void block_test_name(int i, char *name, size_t size)
{
    int len = i == 12 ? 300 : 10 + i;

    memset(name, 'a' + i % 26, (size_t)len);
    snprintf(name, size - (size_t)len, "%02d", i);
    name[2] = 'a' + i % 26;
    name[len] = '\0';
}

/* Names longer and more than the row's first name block holds (256 bytes), one of 300 bytes:
 * each stays whole where it was copied while later ones fill further blocks. */
static void test_names_past_the_first_block(void **state)
{
    struct br_row *row = br_row_create(0);
    char name[320];
    const char *copies[30];

    (void)state;
    for (int i = 0; i < 30; i++) {
        block_test_name(i, name, sizeof(name));
        br_row_add_value(row, name, json_integer(i));
        copies[i] = row->fields[i].name;
    }
    for (int i = 0; i < 30; i++) {
        block_test_name(i, name, sizeof(name));
        assert_ptr_equal(row->fields[i].name, copies[i]);
        assert_string_equal(row->fields[i].name, name);
        assert_ptr_equal(br_row_find(row, name), &row->fields[i]);
        assert_int_equal(json_integer_value(row->fields[i].value), i);
    }
    br_row_destroy(row);
}

static void test_time_edges(void **state)
{
    static const int64_t values[] = {0, -1, 1, INT64_MIN, INT64_MAX};
    struct br_row *row = br_row_create(1);

    (void)state;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        br_row_add_time(row, "t", values[i]);
    }
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(row->fields[i].kind, BR_FIELD_TIME);
        assert_true(row->fields[i].time_us == values[i]);
    }
    br_row_destroy(row);
}

/* A NULL value is stored as json null (SQL NULL), never as a NULL pointer. */
static void test_null_value_is_json_null(void **state)
{
    struct br_row *row = br_row_create(2);
    const struct br_field *field;

    (void)state;
    br_row_add_value(row, "deleted_at", NULL);
    field = br_row_find(row, "deleted_at");
    assert_non_null(field);
    assert_int_equal(field->kind, BR_FIELD_VALUE);
    assert_non_null(field->value);
    assert_true(json_is_null(field->value));
    br_row_destroy(row);
}

/* The row copies the name and takes the caller's reference of the value. */
static void test_ownership(void **state)
{
    struct br_row *row = br_row_create(2);
    char name[] = "rank_id";
    json_t *value = json_string("Sergeant");

    (void)state;
    json_incref(value); /* the test's own reference, to watch the row's */
    br_row_add_value(row, name, value);
    memcpy(name, "XXXXXXX", sizeof(name));
    assert_ptr_not_equal(row->fields[0].name, name);
    assert_string_equal(row->fields[0].name, "rank_id");
    assert_null(br_row_find(row, "XXXXXXX"));
    assert_ptr_equal(row->fields[0].value, value);
    assert_int_equal(value->refcount, 2);
    br_row_destroy(row);
    assert_int_equal(value->refcount, 1);
    assert_string_equal(json_string_value(value), "Sergeant");
    json_decref(value);
}

static void test_find(void **state)
{
    struct br_row *row = br_row_create(0);
    static const struct {
        const char *name;
        int want; /* index, or -1 for none */
    } cases[] = {
        {"id", 0}, {"name", 1}, {"Name", -1}, {"nam", -1}, {"names", -1}, {"", 3},
        {"dup", 4}, /* the first of two fields of one name */
    };

    (void)state;
    br_row_add_value(row, "id", json_integer(1));
    br_row_add_value(row, "name", json_string("a"));
    br_row_add_time(row, "created_at", 0);
    br_row_add_value(row, "", json_true());
    br_row_add_value(row, "dup", json_integer(4));
    br_row_add_value(row, "dup", json_integer(5));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct br_field *got = br_row_find(row, cases[i].name);
        const struct br_field *want = cases[i].want < 0 ? NULL : &row->fields[cases[i].want];

        if (got != want) {
            fail_msg("find(\"%s\"): got field %td, want %d", cases[i].name,
                     got ? got - row->fields : -1, cases[i].want);
        }
    }
    assert_null(br_row_find(NULL, "id"));
    br_row_destroy(row);
}

static void test_empty_row(void **state)
{
    struct br_row *row = br_row_create(0);

    (void)state;
    assert_null(br_row_find(row, "id"));
    br_row_destroy(row);
    br_row_destroy(NULL);
}

static void test_change_finish(void **state)
{
    struct br_change change = {.op = BR_OP_UPDATE, .ts_us = 42};
    json_t *value = json_integer(7);

    (void)state;
    change.before = br_row_create(1);
    change.after = br_row_create(1);
    json_incref(value);
    br_row_add_value(change.after, "id", value);
    br_change_finish(&change);
    assert_null(change.before);
    assert_null(change.after);
    assert_int_equal(value->refcount, 1); /* the after row let go of its reference */
    assert_int_equal(change.op, BR_OP_UPDATE);
    assert_int_equal(change.ts_us, 42);
    br_change_finish(&change); /* twice, and with no rows, is harmless */
    json_decref(value);
}

/* Values compare as PHP's === compares what they stand for: maps and records in order. */
static void test_field_equal(void **state)
{
    static const struct {
        const char *a;
        const char *b;
        bool equal;
    } cases[] = {
        {"1", "1", true},
        {"1", "1.0", false},
        {"\"a\"", "\"a\"", true},
        {"null", "null", true},
        {"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2}", true},
        {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", false},
        {"{\"0\":5,\"1\":6}", "{\"1\":6,\"0\":5}", false},
        {"{\"a\":1}", "{\"a\":1,\"b\":2}", false},
        {"{\"a\":1,\"b\":2}", "{\"a\":1}", false},
        {"[{\"x\":1,\"y\":{}}]", "[{\"x\":1,\"y\":{}}]", true},
        {"[{\"x\":1,\"y\":{}}]", "[{\"y\":{},\"x\":1}]", false},
        {"[1,2]", "[2,1]", false},
        {"[1,2]", "[1,2,3]", false},
        {"{}", "[]", false},
        {"{}", "{}", true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct br_row *row = br_row_create(2);
        json_error_t error;

        br_row_add_value(row, "a", json_loads(cases[i].a, JSON_DECODE_ANY, &error));
        br_row_add_value(row, "b", json_loads(cases[i].b, JSON_DECODE_ANY, &error));
        if (br_field_equal(&row->fields[0], &row->fields[1]) != cases[i].equal) {
            fail_msg("%s vs %s: want %s", cases[i].a, cases[i].b,
                     cases[i].equal ? "equal" : "different");
        }
        br_row_destroy(row);
    }
}

static void test_op_letters(void **state)
{
    (void)state;
    /* Debezium's "op" letters are the enum's values */
    assert_int_equal(BR_OP_CREATE, 'c');
    assert_int_equal(BR_OP_UPDATE, 'u');
    assert_int_equal(BR_OP_DELETE, 'd');
    assert_int_equal(BR_OP_READ, 'r');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_capacity),
        cmocka_unit_test(test_add_grows_in_order),
        cmocka_unit_test(test_names_past_the_first_block),
        cmocka_unit_test(test_time_edges),
        cmocka_unit_test(test_null_value_is_json_null),
        cmocka_unit_test(test_ownership),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_empty_row),
        cmocka_unit_test(test_change_finish),
        cmocka_unit_test(test_field_equal),
        cmocka_unit_test(test_op_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
