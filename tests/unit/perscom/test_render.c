/*
 * Unit tests of render.c. The expected payloads were written by PHP 8.2: json_encode of the
 * payload built by hand as a PHP array (tests/golden/README.md states the rules), dates by
 * DateTimeImmutable::format, derived ids by a PHP UUIDv5 (and checked with Python's uuid5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "perscom/json.h"
#include "perscom/query.h"
#include "perscom/render.h"

#define T1 1735732800000000LL /* 2025-01-01T12:00:00.000000Z */
#define T2 1735732800123456LL /* 2025-01-01T12:00:00.123456Z */
#define TS 1777629600123456LL /* 2026-05-01T10:00:00.123456Z */

/* One column: a datetime (json == NULL) or a value given as JSON text. */
struct col {
    const char *name;
    const char *json;
    int64_t time_us;
};

static const char expect_a[] =
    "{\"event\":\"rankrecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"requ"
    "est_id\":\"req-1\",\"trace_id\":null,\"data\":{\"id\":12,\"user_id\":3,\"rank_id\":n"
    "ull,\"document_id\":9223372036854775807,\"author_id\":-5,\"text\":\"Promoted \\/ \\"
    "\"well\\\" \\\\ \\u00e9\\ud83d\\ude00\\n\\u0000\",\"type\":0,\"created_at\":\"2025-0"
    "1-01T12:00:00.000000Z\",\"updated_at\":\"1969-12-31T23:59:59.999999Z\",\"score\":1.5"
    ",\"tags\":[\"a\"],\"nested\":[],\"list\":[\"a\",\"b\"],\"big\":1.0e+25,\"neg\":-0,\""
    "u\":\"\\u00e9\\ud83d\\ude00\\/\",\"label\":\"Rank Record: 12\"},\"changes\":[]}";
static const char expect_b[] =
    "{\"event\":\"user.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"r\\/2\",\"trace_id\":\"t-2\",\"data\":{\"id\":7,\"name\":\"B\",\"approved\":tru"
    "e,\"last_seen_at\":\"2025-01-01T12:00:00.123456Z\",\"created_at\":\"2025-01-01T12:00"
    ":00.000000Z\",\"x\":2,\"label\":\"User: 7\"},\"changes\":{\"name\":\"B\",\"approved"
    "\":true,\"last_seen_at\":\"2025-01-01 12:00:00\",\"data\":\"{\\\"x\\\":2}\"}}";
static const char expect_c[] =
    "{\"event\":\"event.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_i"
    "d\":\"req-3\",\"trace_id\":null,\"data\":{\"id\":5,\"name\":\"Op\",\"starts\":\"2025"
    "-01-01T12:00:00.000000Z\",\"ends\":\"2025-01-01T12:00:00.123456Z\",\"notifications_c"
    "hannels\":[\"mail\",\"discord\"],\"extra\":{\"k\":\"v\"},\"label\":\"Event: 5\"},\"c"
    "hanges\":{\"ends\":\"2025-01-01 12:00:00\",\"notifications_channels\":\"[\\\"mail\\"
    "\",\\\"discord\\\"]\",\"extra\":\"{\\\"k\\\":\\\"v\\\"}\"}}";
static const char expect_d[] =
    "{\"event\":\"submission.deleted\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"requ"
    "est_id\":\"req-4\",\"trace_id\":null,\"data\":{\"id\":9,\"form_id\":2,\"user_id\":nu"
    "ll,\"read_at\":\"2025-01-01 12:00:00\",\"created_at\":\"2025-01-01T12:00:00.000000Z"
    "\",\"label\":\"Submission: 9\"},\"changes\":[]}";
static const char expect_e[] =
    "{\"event\":\"calendar.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"reques"
    "t_id\":\"455667db-5e43-58d0-af59-24c55b1026c3\",\"trace_id\":null,\"data\":{\"id\":1"
    ",\"name\":\"Ops\",\"data\":\"{\\\"not\\\":\\\"custom\\\"}\",\"updated_at\":\"2025-01"
    "-01T12:00:00.000000Z\",\"label\":\"Calendar: 1\"},\"changes\":[]}";
static const char expect_f[] =
    "{\"event\":\"user.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"req-6\",\"trace_id\":null,\"data\":{\"id\":8,\"name\":\"N\",\"email_verified_at"
    "\":null,\"label\":\"User: 8\"},\"changes\":{\"id\":8,\"name\":\"N\",\"email_verified"
    "_at\":null,\"data\":\"[]\"}}";
static const char expect_g[] =
    "{\"event\":\"servicerecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"r"
    "equest_id\":\"req-7\",\"trace_id\":null,\"data\":{\"id\":null,\"text\":\"\",\"label"
    "\":\"Service Record: \"},\"changes\":[]}";

/* users without the hidden columns in the schema, hidden names among the custom fields */
static const char expect_h[] =
    "{\"event\":\"user.created\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"req-8\",\"trace_id\":null,\"data\":{\"id\":4,\"name\":\"N\",\"updated_at\":nu"
    "ll,\"rank\":\"Sgt\",\"0\":\"a\",\"label\":\"User: 4\"},\"changes\":[]}";
static const char expect_i[] =
    "{\"event\":\"user.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"req-9\",\"trace_id\":null,\"data\":{\"id\":4,\"a\":1,\"label\":\"User: 4\"},"
    "\"changes\":[]}";
static const char expect_j[] =
    "{\"event\":\"user.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"req-10\",\"trace_id\":null,\"data\":{\"id\":4,\"0\":\"z\",\"label\":\"User: 4"
    "\"},\"changes\":{\"data\":\"[\\\"z\\\"]\"}}";
static const char expect_k[] =
    "{\"event\":\"user.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_id"
    "\":\"req-11\",\"trace_id\":null,\"data\":{\"id\":4,\"label\":\"User: 4\"},\"chang"
    "es\":{\"id\":4,\"data\":\"[]\"}}";

/* custom fields that are a list, and JSON null (PHP: foreach over json_decode($text, true)) */
static const char expect_l[] =
    "{\"event\":\"rankrecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"req"
    "uest_id\":\"r\",\"trace_id\":null,\"data\":{\"id\":1,\"0\":{\"a\":[]},\"1\":[\"x\"],"
    "\"label\":\"Rank Record: 1\"},\"changes\":[]}";
static const char expect_m[] =
    "{\"event\":\"rankrecord.created\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"req"
    "uest_id\":\"r\",\"trace_id\":null,\"data\":{\"id\":1,\"label\":\"Rank Record: 1\"},"
    "\"changes\":[]}";

/* extra columns of Avro maps and records: PHP arrays, compared in order (PHP 8.2) */
static const char expect_n[] =
    "{\"event\":\"calendar.updated\",\"created\":\"2026-05-01T10:00:00.123456Z\",\"request_"
    "id\":\"req-12\",\"trace_id\":null,\"data\":{\"id\":2,\"m_empty\":[],\"m_list\":[5,7],"
    "\"m_order\":{\"b\":2,\"a\":1},\"maps\":[[],[\"x\"]],\"rec\":{\"m\":[1],\"e\":[]},\"lab"
    "el\":\"Calendar: 2\"},\"changes\":{\"m_list\":\"[5,7]\",\"m_order\":\"{\\\"b\\\":2,"
    "\\\"a\\\":1}\"}}";

#define END {NULL, NULL, 0}
#define MAX_COLS 16

struct render_case {
    const char *name;
    const char *resource;
    enum br_action action;
    struct col before[MAX_COLS]; /* first name NULL: no before image */
    struct col after[MAX_COLS];
    const char *request_id;
    const char *trace_id;
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *expect; /* NULL: an error */
};

static const struct render_case render_cases[] = {
    {"A: created, custom fields merged after the columns", "rankrecord", BR_ACTION_CREATED,
     {END},
     {{"id", "12", 0}, {"user_id", "3", 0}, {"rank_id", "null", 0},
      {"document_id", "9223372036854775807", 0}, {"author_id", "-5", 0},
      {"text", "\"Promoted / \\\"well\\\" \\\\ \\u00e9\\ud83d\\ude00\\n\\u0000\"", 0},
      {"type", "0", 0}, {"created_at", NULL, T1}, {"updated_at", NULL, -1},
      {"data", "\"{\\\"score\\\":1.5,\\\"id\\\":99,\\\"label\\\":\\\"x\\\",\\\"data\\\":\\\"y\\\","
               "\\\"tags\\\":[\\\"a\\\"],\\\"nested\\\":{},\\\"list\\\":{\\\"0\\\":\\\"a\\\","
               "\\\"1\\\":\\\"b\\\"},\\\"big\\\":1e25,\\\"neg\\\":-0.0,"
               "\\\"u\\\":\\\"\\\\u00e9\\\\ud83d\\\\ude00/\\\"}\"", 0},
      END},
     "req-1", NULL, "t", 0, 0, expect_a},
    {"B: updated, hidden columns skipped, custom column raw in changes", "user",
     BR_ACTION_UPDATED,
     {{"id", "7", 0}, {"name", "\"A\"", 0}, {"password", "\"old\"", 0},
      {"approved", "false", 0}, {"last_seen_at", NULL, T1}, {"created_at", NULL, T1},
      {"data", "\"{\\\"x\\\":1}\"", 0}, END},
     {{"id", "7", 0}, {"name", "\"B\"", 0}, {"password", "\"new\"", 0},
      {"approved", "true", 0}, {"last_seen_at", NULL, T2}, {"created_at", NULL, T1},
      {"data", "\"{\\\"x\\\":2}\"", 0}, END},
     "r/2", "t-2", "t", 0, 0, expect_b},
    {"C: updated, lists and objects raw as their JSON, column absent from before", "event",
     BR_ACTION_UPDATED,
     {{"id", "5", 0}, {"name", "\"Op\"", 0}, {"starts", NULL, T1}, {"ends", "null", 0},
      {"notifications_channels", "[\"mail\"]", 0}, END},
     {{"id", "5", 0}, {"name", "\"Op\"", 0}, {"starts", NULL, T1}, {"ends", NULL, T2},
      {"notifications_channels", "[\"mail\",\"discord\"]", 0}, {"extra", "{\"k\":\"v\"}", 0},
      END},
     "req-3", NULL, "t", 0, 0, expect_c},
    {"D: deleted: the before image, raw-time column", "submission", BR_ACTION_DELETED,
     {{"id", "9", 0}, {"form_id", "2", 0}, {"user_id", "null", 0}, {"read_at", NULL, T2},
      {"created_at", NULL, T1}, {"data", "\"[]\"", 0}, END},
     {END},
     "req-4", NULL, "t", 0, 0, expect_d},
    {"E: updated without a change, derived request id, a plain column named data", "calendar",
     BR_ACTION_UPDATED,
     {{"id", "1", 0}, {"name", "\"Ops\"", 0}, {"data", "\"{\\\"not\\\":\\\"custom\\\"}\"", 0},
      {"updated_at", NULL, T1}, END},
     {{"id", "1", 0}, {"name", "\"Ops\"", 0}, {"data", "\"{\\\"not\\\":\\\"custom\\\"}\"", 0},
      {"updated_at", NULL, T1}, END},
     NULL, NULL, "perscom.t1.calendars", 3, 42, expect_e},
    {"F: updated without a before image: every column changed", "user", BR_ACTION_UPDATED,
     {END},
     {{"id", "8", 0}, {"name", "\"N\"", 0}, {"remember_token", "\"tok\"", 0},
      {"email_verified_at", "null", 0}, {"data", "\"[]\"", 0}, END},
     "req-6", NULL, "t", 0, 0, expect_f},
    {"G: null id, null custom fields", "servicerecord", BR_ACTION_CREATED, {END},
     {{"id", "null", 0}, {"text", "\"\"", 0}, {"data", "null", 0}, END},
     "req-7", NULL, "t", 0, 0, expect_g},
    {"H: users without hidden columns: hidden names among the custom fields never sent",
     "user", BR_ACTION_CREATED, {END},
     {{"id", "4", 0}, {"name", "\"N\"", 0}, {"updated_at", "null", 0},
      {"data", "\"{\\\"password\\\":\\\"hunter2\\\",\\\"rank\\\":\\\"Sgt\\\","
               "\\\"remember_token\\\":\\\"tok\\\",\\\"discord_private_channel_id\\\":"
               "\\\"99\\\",\\\"0\\\":\\\"a\\\"}\"", 0},
      END},
     "req-8", NULL, "t", 0, 0, expect_h},
    {"I: only a hidden custom field changed: no change", "user", BR_ACTION_UPDATED,
     {{"id", "4", 0}, {"data", "\"{\\\"a\\\":1,\\\"password\\\":\\\"x\\\"}\"", 0}, END},
     {{"id", "4", 0}, {"data", "\"{\\\"a\\\":1,\\\"password\\\":\\\"y\\\"}\"", 0}, END},
     "req-9", NULL, "t", 0, 0, expect_i},
    {"J: changes: the custom column's text without hidden keys, as PHP encodes the rest",
     "user", BR_ACTION_UPDATED,
     {{"id", "4", 0}, {"data", "\"{\\\"a\\\":1}\"", 0}, END},
     {{"id", "4", 0}, {"data", "\"{\\\"password\\\":\\\"y\\\",\\\"0\\\":\\\"z\\\"}\"", 0},
      END},
     "req-10", NULL, "t", 0, 0, expect_j},
    {"K: changes: nothing left of the custom fields but hidden ones", "user", BR_ACTION_UPDATED,
     {END},
     {{"id", "4", 0}, {"data", "\"{\\\"password\\\":\\\"y\\\"}\"", 0}, END},
     "req-11", NULL, "t", 0, 0, expect_k},
    {"N: maps and records are PHP arrays; a map's order counts", "calendar", BR_ACTION_UPDATED,
     {{"id", "2", 0},
      {"m_empty", "{}", 0},
      {"m_list", "{\"0\":5,\"1\":6}", 0},
      {"m_order", "{\"a\":1,\"b\":2}", 0},
      {"maps", "[{},{\"0\":\"x\"}]", 0},
      {"rec", "{\"m\":{\"0\":1},\"e\":{}}", 0}, END},
     {{"id", "2", 0},
      {"m_empty", "{}", 0},
      {"m_list", "{\"0\":5,\"1\":7}", 0},
      {"m_order", "{\"b\":2,\"a\":1}", 0},
      {"maps", "[{},{\"0\":\"x\"}]", 0},
      {"rec", "{\"m\":{\"0\":1},\"e\":{}}", 0}, END},
     "req-12", NULL, "t", 0, 0, expect_n},
    {"deleted without a before image", "user", BR_ACTION_DELETED, {END},
     {{"id", "1", 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"created without an after image", "user", BR_ACTION_CREATED, {{"id", "1", 0}, END},
     {END}, "r", NULL, "t", 0, 0, NULL},
    {"L: custom fields a list: its items under the keys 0, 1, ...", "rankrecord",
     BR_ACTION_CREATED, {END},
     {{"id", "1", 0},
      {"data", "\"[{\\\"a\\\":{}},{\\\"0\\\":\\\"x\\\"}]\"", 0}, END},
     "r", NULL, "t", 0, 0, expect_l},
    {"M: custom fields the JSON null: none", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", "\" null \"", 0}, END}, "r", NULL, "t", 0, 0, expect_m},
    {"custom fields a number", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", "\"5\"", 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"custom fields not JSON", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", "\"{bad\"", 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"custom-field column not a string", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", "{\"a\":1}", 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"custom-field column a datetime", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", NULL, T1}, END}, "r", NULL, "t", 0, 0, NULL},
};

static struct br_row *make_row(const struct col *cols)
{
    struct br_row *row;

    if (!cols[0].name) {
        return NULL;
    }
    row = br_row_create(MAX_COLS);
    for (size_t i = 0; cols[i].name; i++) {
        if (!cols[i].json) {
            br_row_add_time(row, cols[i].name, cols[i].time_us);
        } else {
            json_error_t error;
            json_t *value = json_loads(cols[i].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
            if (!value) {
                fail_msg("column %s: bad test JSON %s: %s", cols[i].name, cols[i].json,
                         error.text);
            }
            br_row_add_value(row, cols[i].name, value);
        }
    }
    return row;
}

/*
 * br_render_encode against the tree: the same bytes, or the same error (and out as it was), at
 * output limit limit (0: none).
 */
static void assert_streamed_like_tree(const struct br_render_input *in, size_t limit,
                                      const char *name)
{
    struct br_buf tree_out;
    struct br_buf stream_out;
    char tree_err[256] = "";
    char stream_err[256] = "";
    json_t *payload = br_render_payload(in, tree_err, sizeof(tree_err));
    int tree_rc = -1;
    int stream_rc;

    br_buf_init(&tree_out, limit);
    br_buf_init(&stream_out, limit);
    br_buf_append_str(&tree_out, "x");
    br_buf_append_str(&stream_out, "x");
    if (payload) {
        tree_rc = br_json_encode(payload, &tree_out, tree_err, sizeof(tree_err));
    }
    stream_rc = br_render_encode(in, &stream_out, stream_err, sizeof(stream_err));
    if (stream_rc != tree_rc || strcmp(stream_err, tree_err) != 0 ||
        strcmp(stream_out.data, tree_out.data) != 0 || stream_out.overflow != tree_out.overflow) {
        fail_msg("%s (limit %zu):\n  tree   %d %s %s\n  stream %d %s %s", name, limit, tree_rc,
                 tree_err, tree_out.data, stream_rc, stream_err, stream_out.data);
    }
    json_decref(payload);
    br_buf_finish(&tree_out);
    br_buf_finish(&stream_out);
}

static void test_payloads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
        const struct render_case *c = &render_cases[i];
        struct br_change change = {0};
        struct br_render_input in = {0};
        char errstr[256] = "";
        json_t *payload;

        change.op = c->action == BR_ACTION_CREATED   ? BR_OP_CREATE
                    : c->action == BR_ACTION_UPDATED ? BR_OP_UPDATE
                                                     : BR_OP_DELETE;
        change.before = make_row(c->before);
        change.after = make_row(c->after);
        change.ts_us = TS;
        in.resource = br_catalog_by_name(c->resource);
        assert_non_null(in.resource);
        in.action = c->action;
        in.change = &change;
        in.request_id = c->request_id;
        in.trace_id = c->trace_id;
        in.topic = c->topic;
        in.partition = c->partition;
        in.offset = c->offset;
        assert_streamed_like_tree(&in, 0, c->name);
        for (size_t limit = 1; c->expect && limit < strlen(c->expect) + 3; limit += 7) {
            assert_streamed_like_tree(&in, limit, c->name);
        }
        payload = br_render_payload(&in, errstr, sizeof(errstr));
        if (!c->expect) {
            if (payload) {
                fail_msg("%s: rendered, expected an error", c->name);
            }
            if (errstr[0] == '\0') {
                fail_msg("%s: an error without a message", c->name);
            }
        } else {
            struct br_buf out;

            if (!payload) {
                fail_msg("%s: %s", c->name, errstr);
            }
            br_buf_init(&out, 0);
            assert_int_equal(br_json_encode(payload, &out, errstr, sizeof(errstr)), 0);
            if (strcmp(out.data, c->expect) != 0) {
                fail_msg("%s:\n  expected %s\n  got      %s", c->name, c->expect, out.data);
            }
            br_buf_finish(&out);
        }
        json_decref(payload);
        br_change_finish(&change);
    }
}

/* Inputs where the order of the members or of the errors is easy to get wrong. */
static const struct render_case odd_cases[] = {
    {"a column named label: the label takes its place", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "3", 0}, {"label", "\"mine\"", 0}, {"text", "\"t\"", 0},
      {"data", "\"{\\\"label\\\":1,\\\"z\\\":2}\"", 0}, END},
     "r", "tr", "t", 0, 0, NULL},
    {"a string id with a NUL", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "\"a\\u0000b\"", 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"custom fields nested past PHP's depth", "rankrecord", BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", NULL, 0}, END}, "r", NULL, "t", 0, 0, NULL},
    {"a trace id that is not UTF-8, and a bad custom column after it", "rankrecord",
     BR_ACTION_CREATED, {END},
     {{"id", "1", 0}, {"data", "\"{bad\"", 0}, END}, "r", "\xff", "t", 0, 0, NULL},
    {"a trace id that is not UTF-8", "rankrecord", BR_ACTION_UPDATED,
     {{"id", "1", 0}, {"text", "\"a\"", 0}, END}, {{"id", "1", 0}, {"text", "\"b\"", 0}, END},
     "r", "\xff", "t", 0, 0, NULL},
    {"a derived request id", "rankrecord", BR_ACTION_UPDATED,
     {{"id", "1", 0}, {"text", "\"a\"", 0}, END}, {{"id", "1", 0}, {"text", "\"a\"", 0}, END},
     NULL, "t-1", "perscom.t.rank_records", 2, 77, NULL},
};

static void test_streamed_odd_cases(void **state)
{
    char deep[2 * 600 + 8];

    (void)state;
    /* "[[[...]]]" 600 deep, as the custom column's JSON text */
    for (int i = 0; i < 600; i++) {
        deep[i] = '[';
        deep[600 + i] = ']';
    }
    deep[1200] = '\0';
    for (size_t i = 0; i < sizeof(odd_cases) / sizeof(odd_cases[0]); i++) {
        const struct render_case *c = &odd_cases[i];
        struct br_change change = {0};
        struct br_render_input in = {0};

        change.before = make_row(c->before);
        change.after = make_row(c->after);
        change.ts_us = TS;
        if (strstr(c->name, "depth")) {
            char *text = malloc(sizeof(deep) + 64);
            assert_non_null(text);
            snprintf(text, sizeof(deep) + 64, "{\"d\":%s}", deep);
            json_decref(change.after->fields[1].value);
            change.after->fields[1].kind = BR_FIELD_VALUE;
            change.after->fields[1].value = json_string(text);
            free(text);
        }
        in.resource = br_catalog_by_name(c->resource);
        assert_non_null(in.resource);
        in.action = c->action;
        in.change = &change;
        in.request_id = c->request_id;
        in.trace_id = c->trace_id;
        in.topic = c->topic;
        in.partition = c->partition;
        in.offset = c->offset;
        for (size_t limit = 0; limit < 400; limit += limit < 40 ? 1 : 13) {
            assert_streamed_like_tree(&in, limit, c->name);
        }
        br_change_finish(&change);
    }
}

/* GET queries, as PHP 8.2's http_build_query($payload, '', '&', PHP_QUERY_RFC3986) writes them. */
static const struct {
    const char *prefix; /* of the render case's name */
    const char *query;
} query_cases[] = {
    {"H:", "event=user.created&created=2026-05-01T10%3A00%3A00.123456Z&request_id=req-8&data%5B"
           "id%5D=4&data%5Bname%5D=N&data%5Brank%5D=Sgt&data%5B0%5D=a&data%5Blabel%5D=User%3A%204"},
    {"N:",
     "event=calendar.updated&created=2026-05-01T10%3A00%3A00.123456Z&request_id=req-12&data%"
     "5Bid%5D=2&data%5Bm_list%5D%5B0%5D=5&data%5Bm_list%5D%5B1%5D=7&data%5Bm_order%5D%5Bb%5D"
     "=2&data%5Bm_order%5D%5Ba%5D=1&data%5Bmaps%5D%5B1%5D%5B0%5D=x&data%5Brec%5D%5Bm%5D%5B0%"
     "5D=1&data%5Blabel%5D=Calendar%3A%202&changes%5Bm_list%5D=%5B5%2C7%5D&changes%5Bm_order"
     "%5D=%7B%22b%22%3A2%2C%22a%22%3A1%7D"},
};

static void test_queries(void **state)
{
    (void)state;
    for (size_t q = 0; q < sizeof(query_cases) / sizeof(query_cases[0]); q++) {
        const struct render_case *c = NULL;
        struct br_change change = {.ts_us = TS};
        struct br_render_input in = {0};
        char errstr[256];
        struct br_buf query;
        json_t *payload;

        for (size_t i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
            if (strncmp(render_cases[i].name, query_cases[q].prefix,
                        strlen(query_cases[q].prefix)) == 0) {
                c = &render_cases[i];
            }
        }
        assert_non_null(c);
        change.before = make_row(c->before);
        change.after = make_row(c->after);
        in.resource = br_catalog_by_name(c->resource);
        in.action = c->action;
        in.change = &change;
        in.request_id = c->request_id;
        in.topic = c->topic;
        payload = br_render_payload(&in, errstr, sizeof(errstr));
        assert_non_null(payload);
        br_buf_init(&query, 0);
        assert_int_equal(br_query_build(payload, &query, errstr, sizeof(errstr)), 0);
        if (strcmp(query.data, query_cases[q].query) != 0) {
            fail_msg("%s\n  expected %s\n  got      %s", c->name, query_cases[q].query,
                     query.data);
        }
        br_buf_finish(&query);
        json_decref(payload);
        br_change_finish(&change);
    }
}

static const struct {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *expect;
} uuid_cases[] = {
    {"perscom.t1.calendars", 3, 42LL, "455667db-5e43-58d0-af59-24c55b1026c3"},
    {"", 0, 0LL, "8f3e7157-7697-5d9e-8d5a-ff161d7c78bb"},
    {"perscom.tenant1.records_ranks", 2147483647, 9223372036854775807LL,
        "c06e4d32-a607-546a-998f-bb4cb3432e6b"},
};

static void test_derived_uuid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(uuid_cases) / sizeof(uuid_cases[0]); i++) {
        char out[37];

        memset(out, 'x', sizeof(out));
        br_render_derived_uuid(uuid_cases[i].topic, uuid_cases[i].partition,
                               uuid_cases[i].offset, out);
        assert_string_equal(out, uuid_cases[i].expect);
    }
}

static const struct {
    int64_t time_us;
    const char *iso;
    const char *raw;
} time_cases[] = {
    {-1LL, "1969-12-31T23:59:59.999999Z", "1969-12-31 23:59:59"},
    {0LL, "1970-01-01T00:00:00.000000Z", "1970-01-01 00:00:00"},
    {1735732800000000LL, "2025-01-01T12:00:00.000000Z", "2025-01-01 12:00:00"},
    {1735732800123456LL, "2025-01-01T12:00:00.123456Z", "2025-01-01 12:00:00"},
    {253402300799999999LL, "9999-12-31T23:59:59.999999Z", "9999-12-31 23:59:59"},
    {-62135596800000000LL, "0001-01-01T00:00:00.000000Z", "0001-01-01 00:00:00"},
    {951782400000001LL, "2000-02-29T00:00:00.000001Z", "2000-02-29 00:00:00"},
};

static void test_times(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
        char out[32];

        br_render_iso_time(time_cases[i].time_us, out);
        assert_string_equal(out, time_cases[i].iso);
        br_render_raw_time(time_cases[i].time_us, out);
        assert_string_equal(out, time_cases[i].raw);
    }
}

/* gmtime_r's reading of time_us, as render.c wrote it before it had a faster way. */
static void reference_time(int64_t time_us, int iso, char out[64])
{
    int64_t secs = time_us / 1000000;
    int64_t rem = time_us % 1000000;
    time_t t;
    struct tm tm;

    if (rem < 0) {
        rem += 1000000;
        secs -= 1;
    }
    t = (time_t)secs;
    memset(&tm, 0, sizeof(tm));
    gmtime_r(&t, &tm);
    long long year = (long long)tm.tm_year + 1900;
    snprintf(out, 64, "%s%04lld-%02d-%02d%c%02d:%02d:%02d", year < 0 ? "-" : "",
             year < 0 ? -year : year, tm.tm_mon + 1, tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (iso) {
        size_t len = strlen(out);
        snprintf(out + len, 64 - len, ".%06lldZ", (long long)rem);
    }
}

/* Every year 0000..9999 (the fast path) reads as gmtime_r reads it, to the microsecond. */
static void test_times_like_gmtime(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    const int64_t first_us = -62167219200LL * 1000000;
    const int64_t span_us = (253402300799LL + 62167219200LL + 1) * 1000000;

    (void)state;
    for (int i = 0; i < 200000; i++) {
        char expect[64];
        char out[32];
        int64_t time_us;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        time_us = first_us + (int64_t)(x % (uint64_t)span_us);
        if (i < 4) {
            /* the edges of the fast path */
            time_us = i == 0 ? first_us : i == 1 ? first_us + span_us - 1
                                    : i == 2 ? first_us - 1 : first_us + span_us;
        }
        reference_time(time_us, 1, expect);
        br_render_iso_time(time_us, out);
        assert_string_equal(out, expect);
        reference_time(time_us, 0, expect);
        br_render_raw_time(time_us, out);
        assert_string_equal(out, expect);
    }
}

/* The same input renders the same bytes, and the input is left as it was. */
static void test_deterministic(void **state)
{
    const struct render_case *c = &render_cases[0];
    struct br_change change = {0};
    struct br_render_input in = {0};
    char errstr[256];
    struct br_buf first;
    struct br_buf second;

    (void)state;
    change.op = BR_OP_CREATE;
    change.after = make_row(c->after);
    change.ts_us = TS;
    in.resource = br_catalog_by_name(c->resource);
    in.action = c->action;
    in.change = &change;
    in.topic = "perscom.t1.records_ranks";
    br_buf_init(&first, 0);
    br_buf_init(&second, 0);
    for (int round = 0; round < 2; round++) {
        json_t *payload = br_render_payload(&in, errstr, sizeof(errstr));
        assert_non_null(payload);
        assert_int_equal(br_json_encode(payload, round ? &second : &first, errstr,
                                        sizeof(errstr)), 0);
        json_decref(payload);
    }
    assert_string_equal(first.data, second.data);
    assert_non_null(strstr(first.data, "\"request_id\":\"")); /* derived, not null */
    br_buf_finish(&first);
    br_buf_finish(&second);
    br_change_finish(&change);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_derived_uuid),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_streamed_odd_cases),
        cmocka_unit_test(test_times_like_gmtime),
        cmocka_unit_test(test_deterministic),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
