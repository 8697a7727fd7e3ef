/* Unit tests of catalog.c: resources, op -> action, event names, subscription patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/catalog.h"

struct resource_case {
    const char *name;
    const char *table;
    const char *label_prefix;
    bool custom_fields;
};

static const struct resource_case resource_cases[BR_RESOURCE_COUNT] = {
    {"assignmentrecord", "records_assignments", "Assignment Record", true},
    {"awardrecord", "records_awards", "Award Record", true},
    {"calendar", "calendars", "Calendar", false},
    {"combatrecord", "records_combat", "Combat Record", true},
    {"event", "events", "Event", false},
    {"qualificationrecord", "records_qualifications", "Qualification Record", true},
    {"rankrecord", "records_ranks", "Rank Record", true},
    {"servicerecord", "records_service", "Service Record", true},
    {"submission", "submissions", "Submission", true},
    {"user", "users", "User", true},
};

static size_t list_count(const char *const *list)
{
    size_t count = 0;

    assert_non_null(list);
    while (list[count] != NULL) {
        count++;
    }
    return count;
}

static bool list_has(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static void test_resources(void **state)
{
    (void)state;
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        const struct resource_case *expect = &resource_cases[i];
        const struct br_resource *resource = br_catalog_resource(i);

        assert_non_null(resource);
        assert_string_equal(resource->name, expect->name);
        assert_string_equal(resource->table, expect->table);
        assert_string_equal(resource->label_prefix, expect->label_prefix);
        assert_int_equal(resource->custom_fields, expect->custom_fields);
        assert_ptr_equal(br_catalog_by_name(expect->name), resource);
        assert_ptr_equal(br_catalog_by_table(expect->table), resource);
        if (strcmp(expect->name, "user") == 0) {
            assert_int_equal(list_count(resource->hidden), 3);
            assert_true(list_has(resource->hidden, "password"));
            assert_true(list_has(resource->hidden, "remember_token"));
            assert_true(list_has(resource->hidden, "discord_private_channel_id"));
        } else {
            assert_int_equal(list_count(resource->hidden), 0);
        }
        assert_non_null(resource->columns);
    }
    assert_null(br_catalog_resource(BR_RESOURCE_COUNT));
    assert_null(br_catalog_by_name("records_ranks"));
    assert_null(br_catalog_by_name("webhook"));
    assert_null(br_catalog_by_name(NULL));
    assert_null(br_catalog_by_table("rankrecord"));
    assert_null(br_catalog_by_table(NULL));
}

/* Every column of perscom-wire.md ("Columns of the ten resources") with its model cast:
 * i integer, s string, b boolean, t datetime, j JSON, r raw datetime. */
static const struct {
    const char *table;
    const char *columns; /* "name:c name:c ..." in table order */
} column_cases[] = {
    {"records_assignments", "id:i user_id:i status_id:i unit_id:i position_id:i specialty_id:i "
                            "unit_slot_id:i document_id:i author_id:i type:s text:s "
                            "created_at:t updated_at:t"},
    {"records_awards", "id:i user_id:i award_id:i document_id:i author_id:i text:s created_at:t "
                       "updated_at:t"},
    {"calendars", "id:i name:s description:s color:s created_at:t updated_at:t"},
    {"records_combat", "id:i user_id:i document_id:i author_id:i text:s created_at:t updated_at:t"},
    {"events", "id:i name:s calendar_id:i description:s content:s location:s url:s author_id:i "
               "all_day:b starts:t ends:t repeats:b registration_enabled:b "
               "registration_deadline:t notifications_enabled:b notifications_interval:j "
               "notifications_channels:j created_at:t updated_at:t"},
    {"records_qualifications", "id:i user_id:i qualification_id:i document_id:i author_id:i "
                               "text:s created_at:t updated_at:t"},
    {"records_ranks", "id:i user_id:i rank_id:i document_id:i author_id:i text:s type:i "
                      "created_at:t updated_at:t"},
    {"records_service", "id:i user_id:i document_id:i author_id:i text:s created_at:t "
                        "updated_at:t"},
    {"submissions", "id:i form_id:i user_id:i read_at:r created_at:t updated_at:t"},
    {"users", "id:i name:s email:s email_verified_at:t phone_number:s position_id:i rank_id:i "
              "specialty_id:i status_id:i unit_id:i unit_slot_id:i approved:b notes:s "
              "notes_updated_at:t profile_photo:s cover_photo:s last_seen_at:t "
              "discord_user_id:s facebook_user_id:s github_user_id:s google_user_id:s "
              "created_at:t updated_at:t"},
};

static enum br_cast cast_of(char letter)
{
    switch (letter) {
    case 'i':
        return BR_CAST_INTEGER;
    case 'b':
        return BR_CAST_BOOLEAN;
    case 't':
        return BR_CAST_DATETIME;
    case 'j':
        return BR_CAST_JSON;
    case 'r':
        return BR_CAST_RAW_DATETIME;
    default:
        return BR_CAST_STRING;
    }
}

static void test_columns(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(column_cases) / sizeof(column_cases[0]); i++) {
        const struct br_resource *resource = br_catalog_by_table(column_cases[i].table);
        char list[1024];
        size_t n = 0;

        assert_non_null(resource);
        snprintf(list, sizeof(list), "%s", column_cases[i].columns);
        for (char *item = strtok(list, " "); item; item = strtok(NULL, " ")) {
            char *colon = strchr(item, ':');
            const struct br_column *column;

            *colon = '\0';
            column = br_catalog_column(resource, item);
            if (!column) {
                fail_msg("%s.%s: not in the catalog", column_cases[i].table, item);
            }
            assert_string_equal(resource->columns[n].name, item); /* table order */
            if (column->cast != cast_of(colon[1])) {
                fail_msg("%s.%s: cast %d, want %c", column_cases[i].table, item, column->cast,
                         colon[1]);
            }
            n++;
        }
        assert_null(resource->columns[n].name); /* nothing more */
        /* hidden columns and the custom-field column are not catalog columns */
        assert_null(br_catalog_column(resource, "data"));
        assert_null(br_catalog_column(resource, "password"));
        assert_null(br_catalog_column(resource, "pay_grade"));
    }
    assert_null(br_catalog_column(NULL, "id"));
    assert_null(br_catalog_column(br_catalog_by_name("user"), NULL));
}

static void test_skip_reason(void **state)
{
    static const struct {
        const char *topic;
        enum br_skip_reason reason;
        bool heartbeat;
    } cases[] = {
        {"__debezium-heartbeat.perscom", BR_SKIP_HEARTBEAT, true},
        {"__debezium-heartbeat.users", BR_SKIP_HEARTBEAT, true}, /* prefix named like a table */
        {"__debezium-heartbeat", BR_SKIP_NOT_PERSCOM_TABLE, false},
        {"perscom.transaction", BR_SKIP_TRANSACTION, false},
        {"a.b.transaction", BR_SKIP_TRANSACTION, false},
        {".transaction", BR_SKIP_NOT_PERSCOM_TABLE, false},
        {"transaction", BR_SKIP_NOT_PERSCOM_TABLE, false},
        {"perscom.perscom_tenant1.transactions", BR_SKIP_NOT_PERSCOM_TABLE, false},
        {"perscom.perscom_tenant1.migrations", BR_SKIP_NOT_PERSCOM_TABLE, false},
        {"perscom", BR_SKIP_NOT_PERSCOM_TABLE, false}, /* the schema-change topic, by name */
        {"", BR_SKIP_NOT_PERSCOM_TABLE, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (br_catalog_skip_reason(cases[i].topic) != cases[i].reason) {
            fail_msg("%s: reason %d, want %d", cases[i].topic,
                     br_catalog_skip_reason(cases[i].topic), cases[i].reason);
        }
        assert_int_equal(br_catalog_is_heartbeat_topic(cases[i].topic), cases[i].heartbeat);
    }
    assert_int_equal(br_catalog_skip_reason(NULL), BR_SKIP_NOT_PERSCOM_TABLE);
    assert_string_equal(br_skip_reason_name(BR_SKIP_NOT_PERSCOM_TABLE), "not_perscom_table");
    assert_string_equal(br_skip_reason_name(BR_SKIP_SCHEMA_CHANGE), "schema_change");
    assert_null(br_skip_reason_name(BR_SKIP_REASON_COUNT));
}

struct topic_case {
    const char *topic;
    const char *resource; /* NULL: unknown */
};

static const struct topic_case topic_cases[] = {
    {"perscom.tenant1.records_ranks", "rankrecord"},
    {"records_ranks", "rankrecord"},
    {"dbserver.perscom.users", "user"},
    {"a.b.c.submissions", "submission"},
    {"perscom.tenant1.events", "event"},
    {"perscom.tenant1.calendars", "calendar"},
    {"perscom.tenant1.records_ranks.", NULL},
    {"perscom.tenant1.records_rank", NULL},
    {"perscom.records_ranks.extra", NULL},
    {"perscom.tenant1.password_resets", NULL},
    {"", NULL},
};

static void test_from_topic(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(topic_cases) / sizeof(topic_cases[0]); i++) {
        const struct br_resource *resource = br_catalog_from_topic(topic_cases[i].topic);

        if (topic_cases[i].resource == NULL) {
            assert_null(resource);
        } else {
            assert_non_null(resource);
            assert_string_equal(resource->name, topic_cases[i].resource);
        }
    }
    assert_null(br_catalog_from_topic(NULL));
}

struct op_case {
    enum br_op op;
    bool snapshot_as_created;
    bool is_event;
    enum br_action action;
};

static const struct op_case op_cases[] = {
    {BR_OP_CREATE, false, true, BR_ACTION_CREATED},
    {BR_OP_CREATE, true, true, BR_ACTION_CREATED},
    {BR_OP_UPDATE, false, true, BR_ACTION_UPDATED},
    {BR_OP_UPDATE, true, true, BR_ACTION_UPDATED},
    {BR_OP_DELETE, false, true, BR_ACTION_DELETED},
    {BR_OP_DELETE, true, true, BR_ACTION_DELETED},
    {BR_OP_READ, false, false, BR_ACTION_COUNT},
    {BR_OP_READ, true, true, BR_ACTION_CREATED},
    {(enum br_op)'t', false, false, BR_ACTION_COUNT},
    {(enum br_op)'t', true, false, BR_ACTION_COUNT},
};

static void test_action_for_op(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(op_cases) / sizeof(op_cases[0]); i++) {
        enum br_action action = BR_ACTION_COUNT;
        bool got = br_catalog_action_for_op(op_cases[i].op, op_cases[i].snapshot_as_created,
                                            &action);

        assert_int_equal(got, op_cases[i].is_event);
        assert_int_equal(action, op_cases[i].action);
    }
    assert_string_equal(br_catalog_action_name(BR_ACTION_CREATED), "created");
    assert_string_equal(br_catalog_action_name(BR_ACTION_UPDATED), "updated");
    assert_string_equal(br_catalog_action_name(BR_ACTION_DELETED), "deleted");
    assert_null(br_catalog_action_name(BR_ACTION_COUNT));
}

/* All thirty event names, in catalog order. */
static const char *const all_events[BR_EVENT_COUNT] = {
    "assignmentrecord.created",    "assignmentrecord.updated",    "assignmentrecord.deleted",
    "awardrecord.created",         "awardrecord.updated",         "awardrecord.deleted",
    "calendar.created",            "calendar.updated",            "calendar.deleted",
    "combatrecord.created",        "combatrecord.updated",        "combatrecord.deleted",
    "event.created",               "event.updated",               "event.deleted",
    "qualificationrecord.created", "qualificationrecord.updated", "qualificationrecord.deleted",
    "rankrecord.created",          "rankrecord.updated",          "rankrecord.deleted",
    "servicerecord.created",       "servicerecord.updated",       "servicerecord.deleted",
    "submission.created",          "submission.updated",          "submission.deleted",
    "user.created",                "user.updated",                "user.deleted",
};

static void test_event_names(void **state)
{
    char out[64];

    (void)state;
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        for (size_t a = 0; a < BR_ACTION_COUNT; a++) {
            const char *name = br_catalog_event_name(br_catalog_resource(i), (enum br_action)a,
                                                     out, sizeof(out));

            assert_ptr_equal(name, out);
            assert_string_equal(name, all_events[i * BR_ACTION_COUNT + a]);
            /* every event is a valid pattern matching itself and nothing else */
            assert_true(br_catalog_pattern_valid(name));
            for (size_t e = 0; e < BR_EVENT_COUNT; e++) {
                assert_int_equal(br_catalog_pattern_matches(name, all_events[e]),
                                 e == i * BR_ACTION_COUNT + a);
            }
        }
    }
    /* truncated, still terminated */
    char small[8];
    br_catalog_event_name(br_catalog_by_name("rankrecord"), BR_ACTION_CREATED, small,
                          sizeof(small));
    assert_string_equal(small, "rankrec");
    /* every size cuts where snprintf("%s.%s") cuts: around the dot too */
    for (size_t size = 1; size <= 24; size++) {
        char got[24];
        char want[24];

        memset(got, 'x', sizeof(got));
        br_catalog_event_name(br_catalog_by_name("rankrecord"), BR_ACTION_UPDATED, got, size);
        snprintf(want, size, "%s.%s", "rankrecord", "updated");
        assert_string_equal(got, want);
    }
}

struct valid_case {
    const char *pattern;
    bool valid;
};

static const struct valid_case valid_cases[] = {
    {"*", true},
    {"rankrecord.*", true},
    {"user.*", true},
    {"*.created", true},
    {"*.updated", true},
    {"*.deleted", true},
    {"rankrecord.created", true},
    {"submission.deleted", true},
    {"", false},
    {"*.*", false},
    {"**", false},
    {"*.", false},
    {".*", false},
    {".", false},
    {"rankrecord", false},
    {"rankrecord.", false},
    {"rankrecord.read", false},
    {"rankrecord.created.x", false},
    {"rankrecords.*", false},
    {"RankRecord.created", false},
    {"rankrecord.Created", false},
    {"*.read", false},
    {"records_ranks.created", false},
    {"webhook.test", false},
    {"rank*.created", false},
    {"rankrecord.cre*", false},
    {" rankrecord.created", false},
    {"rankrecord.created ", false},
    {"averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongname.*", false},
};

static void test_pattern_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        if (br_catalog_pattern_valid(valid_cases[i].pattern) != valid_cases[i].valid) {
            fail_msg("pattern \"%s\": expected %s", valid_cases[i].pattern,
                     valid_cases[i].valid ? "valid" : "invalid");
        }
    }
    assert_false(br_catalog_pattern_valid(NULL));
}

/* For each wildcard, the indices (into all_events) it must match; all others must not match. */
static bool wildcard_expect(const char *pattern, size_t event_index)
{
    size_t resource = event_index / BR_ACTION_COUNT;
    size_t action = event_index % BR_ACTION_COUNT;

    if (strcmp(pattern, "*") == 0) {
        return true;
    }
    if (strcmp(pattern, "*.created") == 0) {
        return action == BR_ACTION_CREATED;
    }
    if (strcmp(pattern, "*.updated") == 0) {
        return action == BR_ACTION_UPDATED;
    }
    if (strcmp(pattern, "*.deleted") == 0) {
        return action == BR_ACTION_DELETED;
    }
    /* "<resource>.*" */
    const struct br_resource *res = br_catalog_resource(resource);
    size_t len = strlen(res->name);
    return strncmp(pattern, res->name, len) == 0 && strcmp(pattern + len, ".*") == 0;
}

static void test_wildcards(void **state)
{
    const char *wildcards[4 + BR_RESOURCE_COUNT] = {"*", "*.created", "*.updated", "*.deleted"};
    char storage[BR_RESOURCE_COUNT][64];

    (void)state;
    for (size_t i = 0; i < BR_RESOURCE_COUNT; i++) {
        snprintf(storage[i], sizeof(storage[i]), "%s.*", br_catalog_resource(i)->name);
        wildcards[4 + i] = storage[i];
    }
    for (size_t w = 0; w < sizeof(wildcards) / sizeof(wildcards[0]); w++) {
        size_t matched = 0;

        assert_true(br_catalog_pattern_valid(wildcards[w]));
        for (size_t e = 0; e < BR_EVENT_COUNT; e++) {
            bool got = br_catalog_pattern_matches(wildcards[w], all_events[e]);

            if (got != wildcard_expect(wildcards[w], e)) {
                fail_msg("pattern \"%s\" vs \"%s\": got %d", wildcards[w], all_events[e], got);
            }
            matched += got;
        }
        if (strcmp(wildcards[w], "*") == 0) {
            assert_int_equal(matched, BR_EVENT_COUNT);
        } else if (wildcards[w][0] == '*') {
            assert_int_equal(matched, BR_RESOURCE_COUNT);
        } else {
            assert_int_equal(matched, BR_ACTION_COUNT);
        }
    }
    /* prefixes and near misses never match */
    assert_false(br_catalog_pattern_matches("rank.*", "rankrecord.created"));
    assert_false(br_catalog_pattern_matches("rankrecord.*", "rankrecordx.created"));
    assert_false(br_catalog_pattern_matches("*.create", "rankrecord.created"));
    assert_false(br_catalog_pattern_matches("rankrecord.created", "rankrecord.created.x"));
    assert_false(br_catalog_pattern_matches(NULL, "rankrecord.created"));
    assert_false(br_catalog_pattern_matches("*", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resources),   cmocka_unit_test(test_from_topic),
        cmocka_unit_test(test_action_for_op), cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_pattern_valid), cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_columns),       cmocka_unit_test(test_skip_reason),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
