/*
 * Unit tests of the live hook set (hookset.c): identities and slots, versions and their
 * references, removal and re-adding; the partition's lanes and acknowledgements growing with the
 * slots (lanes.c, offsets.c); a queued request built again for a changed hook (rebuild.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "delivery/hookset.h"
#include "delivery/lanes.h"
#include "delivery/rebuild.h"
#include "perscom/sign.h"

/* A heap hook the set may own: name, url, method, one secret, events "*". */
static struct br_conf_hook *hook_new(const char *name, const char *url, enum br_method method,
                                     const char *secret)
{
    struct br_conf_hook *hook = calloc(1, sizeof(*hook));

    assert_non_null(hook);
    hook->name = strdup(name);
    hook->url = strdup(url);
    hook->method = method;
    hook->secrets = calloc(1, sizeof(*hook->secrets));
    assert_non_null(hook->secrets);
    hook->secrets[0].text = strdup(secret);
    hook->secrets[0].len = strlen(secret);
    hook->secret_count = 1;
    hook->secret = hook->secrets[0].text;
    hook->secret_len = hook->secrets[0].len;
    hook->events = calloc(1, sizeof(*hook->events));
    assert_non_null(hook->events);
    hook->events[0] = strdup("*");
    hook->event_count = 1;
    hook->timeout_ms = 3000;
    return hook;
}

struct freed_log {
    const struct br_conf_hook *seen[8];
    size_t count;
};

static void on_freed(void *opaque, const struct br_conf_hook *conf)
{
    struct freed_log *log = opaque;

    assert_true(log->count < 8);
    log->seen[log->count++] = conf;
}

static void test_add_change_remove(void **state)
{
    struct freed_log log = {0};
    struct br_hookset *set = br_hookset_create(on_freed, &log);
    struct br_conf_hook *a1 = hook_new("a", "http://127.0.0.1:1/a", BR_METHOD_POST, "s1");
    struct br_conf_hook *b = hook_new("b", "http://127.0.0.1:1/b", BR_METHOD_POST, "s");
    struct br_hook *held;
    size_t slot = 99;
    uint64_t generation;
    (void)state;

    assert_int_equal(br_hookset_put(set, "a", a1, true, NULL, &slot), BR_HOOKSET_ADDED);
    assert_int_equal(slot, 0);
    assert_int_equal(br_hookset_put(set, "b", b, true, NULL, &slot), BR_HOOKSET_ADDED);
    assert_int_equal(slot, 1);
    assert_int_equal(br_hookset_slots(set), 2);
    assert_int_equal(br_hookset_live(set), 2);
    assert_string_equal(br_hookset_id(set, 1), "b");
    assert_null(br_hookset_group(set, 1));

    /* the same settings again: nothing changes, the copy is freed (not a version: no callback) */
    generation = br_hookset_generation(set);
    assert_int_equal(br_hookset_put(set, "a", hook_new("a", "http://127.0.0.1:1/a",
                                                       BR_METHOD_POST, "s1"), true, NULL, &slot),
                     BR_HOOKSET_UNCHANGED);
    assert_int_equal(slot, 0);
    assert_int_equal(br_hookset_generation(set), generation);
    assert_ptr_equal(br_hookset_current(set, 0)->conf, a1);
    assert_int_equal(log.count, 0);

    /* a queued delivery holds version 1; a new secret makes version 2 */
    held = br_hook_ref(br_hookset_current(set, 0));
    assert_int_equal(br_hookset_put(set, "a", hook_new("a", "http://127.0.0.1:1/a",
                                                       BR_METHOD_POST, "s2"), true, NULL, &slot),
                     BR_HOOKSET_CHANGED);
    assert_int_equal(slot, 0);
    assert_true(br_hookset_generation(set) > generation);
    assert_ptr_not_equal(br_hookset_current(set, 0), held);
    assert_string_equal(br_hookset_current(set, 0)->conf->secret, "s2");
    assert_true(br_hookset_current(set, 0)->version > held->version);
    assert_int_equal(log.count, 0);   /* version 1 lives on with its holder */
    assert_string_equal(held->conf->secret, "s1");
    br_hook_release(held);            /* the last holder: freed now */
    assert_int_equal(log.count, 1);
    assert_ptr_equal(log.seen[0], a1);

    /* removed: no current version, the slot stays b's */
    assert_true(br_hookset_remove(set, "b", &slot));
    assert_int_equal(slot, 1);
    assert_null(br_hookset_current(set, 1));
    assert_int_equal(br_hookset_live(set), 1);
    assert_int_equal(log.count, 2);
    assert_false(br_hookset_remove(set, "b", &slot)); /* not live any more */
    assert_false(br_hookset_remove(set, "nobody", &slot));

    /* a new identity gets a new slot; b again gets its old one */
    assert_int_equal(br_hookset_put(set, "c", hook_new("c", "http://127.0.0.1:1/c",
                                                       BR_METHOD_GET, "s"), true, "7", &slot),
                     BR_HOOKSET_ADDED);
    assert_int_equal(slot, 2);
    assert_string_equal(br_hookset_group(set, 2), "7");
    assert_int_equal(br_hookset_put(set, "b", hook_new("b", "http://127.0.0.1:1/b2",
                                                       BR_METHOD_POST, "s"), true, NULL, &slot),
                     BR_HOOKSET_ADDED);
    assert_int_equal(slot, 1);
    assert_int_equal(br_hookset_slots(set), 3);
    assert_int_equal(br_hookset_live(set), 3);
    assert_int_equal(br_hookset_find(set, "c"), 2);
    assert_int_equal(br_hookset_find(set, "zz"), (size_t)-1);

    br_hookset_destroy(set); /* frees the three current versions */
    assert_int_equal(log.count, 5);
}

static void test_borrowed_settings_are_not_freed(void **state)
{
    struct br_conf_hook *hook = hook_new("a", "http://127.0.0.1:1/", BR_METHOD_POST, "s");
    struct br_hookset *set = br_hookset_create(NULL, NULL);
    size_t slot;
    (void)state;

    assert_int_equal(br_hookset_put(set, "a", hook, false, NULL, &slot), BR_HOOKSET_ADDED);
    assert_true(br_hookset_remove(set, "a", &slot));
    br_hookset_destroy(set);
    assert_string_equal(hook->name, "a"); /* still the caller's */
    br_conf_hook_free(hook);
}

static void test_equal_compares_what_is_sent(void **state)
{
    struct br_conf_hook *a = hook_new("a", "http://127.0.0.1:1/", BR_METHOD_POST, "s");
    struct br_conf_hook *b = hook_new("other-name", "http://127.0.0.1:1/", BR_METHOD_POST, "s");
    (void)state;

    assert_true(br_conf_hook_equal(a, b)); /* names are identities, not settings */
    b->timeout_ms = 10;
    assert_false(br_conf_hook_equal(a, b));
    b->timeout_ms = a->timeout_ms;
    b->method = BR_METHOD_GET;
    assert_false(br_conf_hook_equal(a, b));
    b->method = a->method;
    b->retry.max_attempts = 3;
    assert_false(br_conf_hook_equal(a, b));
    b->retry.max_attempts = 0;
    b->ordering = BR_ORDERING_KEY; /* how requests go out is a setting too */
    assert_false(br_conf_hook_equal(a, b));
    b->ordering = a->ordering;
    b->max_in_flight = a->max_in_flight + 1;
    assert_false(br_conf_hook_equal(a, b));
    b->max_in_flight = a->max_in_flight;
    b->allow_private = !a->allow_private;
    assert_false(br_conf_hook_equal(a, b));
    b->allow_private = a->allow_private;
    assert_true(br_conf_hook_equal(a, b));
    free(b->events[0]);
    b->events[0] = strdup("user.created");
    assert_false(br_conf_hook_equal(a, b));
    br_conf_hook_free(a);
    br_conf_hook_free(b);
}

static void test_lanes_grow_in_place(void **state)
{
    struct br_partition *partition = br_partition_create("t", 0, NULL, 1);
    struct br_lane *first = partition->lanes[0];
    struct br_lane *made;
    struct br_ackmeta_range ranges[4];
    uint64_t seq;
    (void)state;

    seq = br_offsets_add(&partition->offsets, 10, 2);
    br_offsets_ack(&partition->offsets, seq, 0);
    br_offsets_ack(&partition->offsets, seq, 70); /* no such hook yet: ignored */
    br_partition_grow(partition, 71);
    assert_int_equal(partition->lane_count, 71);
    assert_ptr_equal(partition->lanes[0], first); /* lanes never move */
    assert_null(partition->lanes[70]);            /* made when first needed */
    made = br_partition_lane(partition, 70);
    assert_ptr_equal(made, partition->lanes[70]);
    assert_ptr_equal(partition->lanes[70]->partition, partition);
    assert_int_equal(partition->lanes[70]->hook_index, 70);
    assert_null(partition->lanes[70]->head);
    assert_ptr_equal(br_partition_lane(partition, 70), partition->lanes[70]); /* the same */
    assert_null(partition->lanes[69]);
    assert_ptr_equal(br_partition_lane(partition, 80)->partition, partition); /* grows too */
    assert_int_equal(partition->lane_count, 81);
    /* acknowledgements made before the growth are kept, new hooks can acknowledge */
    assert_int_equal(br_offsets_acked(&partition->offsets, 0, ranges, 4), 1);
    assert_int_equal(br_offsets_acked(&partition->offsets, 70, ranges, 4), 0);
    br_offsets_ack(&partition->offsets, seq, 70);
    assert_int_equal(br_offsets_acked(&partition->offsets, 70, ranges, 4), 1);
    assert_int_equal(ranges[0].start, 10);
    br_partition_grow(partition, 5); /* never shrinks */
    assert_int_equal(partition->lane_count, 81);
    br_partition_revoke(partition);
}

static void expect_signature(const char *secret, const char *json, const char *got)
{
    char want[BR_SIGN_HEX_LEN + 1];
    char errstr[128];

    assert_int_equal(br_sign_hex(secret, strlen(secret), json, strlen(json), want, errstr,
                                 sizeof(errstr)),
                     0);
    assert_string_equal(got, want);
}

static void test_rebuild_under_new_settings(void **state)
{
    static const char json[] = "{\"event\":\"user.created\",\"data\":{\"id\":5,\"name\":\"a b\"}}";
    struct br_conf_hook *old = hook_new("h", "http://127.0.0.1:1/old", BR_METHOD_POST, "s1");
    struct br_conf_hook *post = hook_new("h", "http://127.0.0.1:1/new", BR_METHOD_POST, "s2");
    struct br_conf_hook *get = hook_new("h", "http://127.0.0.1:1/get?x=1", BR_METHOD_GET, "s3");
    struct br_request request;
    json_t *payload = json_loads(json, 0, NULL);
    struct br_signer *signer = br_signer_create(); /* as the loop passes its own */
    char errstr[256];
    (void)state;

    assert_non_null(payload);
    assert_non_null(signer);
    assert_int_equal(br_request_build_encoded(old, payload, json, strlen(json), 0, NULL, &request,
                                              errstr, sizeof(errstr)),
                     0);
    snprintf(request.webhook_id, sizeof(request.webhook_id), "id-1");
    expect_signature("s1", json, request.signature);

    /* POST -> POST: new URL and secret, the same body bytes */
    assert_int_equal(br_request_rebuild(post, request.body, request.body_len, 0, signer, &request,
                                        errstr, sizeof(errstr)),
                     0);
    assert_ptr_equal(request.hook, post);
    assert_string_equal(request.url, "http://127.0.0.1:1/new");
    assert_string_equal(request.body, json);
    assert_string_equal(request.webhook_id, "id-1");
    expect_signature("s2", json, request.signature);

    /* POST -> GET: the query string from the JSON read back, signed over the same JSON (without
     * a signer: br_sign_hex itself, the same signature) */
    assert_int_equal(br_request_rebuild(get, json, strlen(json), 0, NULL, &request, errstr,
                                        sizeof(errstr)),
                     0);
    assert_int_equal(request.method, BR_METHOD_GET);
    assert_null(request.body);
    assert_string_equal(request.url, "http://127.0.0.1:1/get?x=1&event=user.created&data%5Bid%5D=5"
                                     "&data%5Bname%5D=a%20b");
    expect_signature("s3", json, request.signature);

    /* GET -> POST: the body is the JSON the message kept (s2's context again in the signer) */
    assert_int_equal(br_request_rebuild(post, json, strlen(json), 0, signer, &request, errstr,
                                        sizeof(errstr)),
                     0);
    assert_int_equal(request.method, BR_METHOD_POST);
    assert_string_equal(request.body, json);
    assert_string_equal(request.url, "http://127.0.0.1:1/new");
    expect_signature("s2", json, request.signature);
    assert_int_equal(br_request_rebuild(get, json, strlen(json), 0, signer, &request, errstr,
                                        sizeof(errstr)),
                     0);
    expect_signature("s3", json, request.signature);

    /* without the JSON nothing changes */
    assert_int_equal(br_request_rebuild(post, NULL, 0, 0, signer, &request, errstr,
                                        sizeof(errstr)),
                     -1);
    assert_int_equal(request.method, BR_METHOD_GET);
    expect_signature("s3", json, request.signature);

    br_request_finish(&request);
    br_signer_destroy(signer);
    json_decref(payload);
    br_conf_hook_free(old);
    br_conf_hook_free(post);
    br_conf_hook_free(get);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_change_remove),
        cmocka_unit_test(test_borrowed_settings_are_not_freed),
        cmocka_unit_test(test_equal_compares_what_is_sent),
        cmocka_unit_test(test_lanes_grow_in_place),
        cmocka_unit_test(test_rebuild_under_new_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
