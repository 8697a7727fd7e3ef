/*
 * Unit tests of request.c. Bodies, signatures and query strings were written by PHP 8.2:
 * json_encode($payload), hash_hmac('sha256', $body, $secret) and
 * http_build_query($payload, '', '&', PHP_QUERY_RFC3986). Standard Webhooks signatures were made
 * with the reference Python package (standardwebhooks 1.1.0).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "perscom/json.h"
#include "delivery/request.h"

#define PAYLOAD                                                                                \
    "{\"event\":\"user.created\",\"created\":\"2026-05-01T10:00:00.123456Z\","                \
    "\"request_id\":\"r-1\",\"trace_id\":null,\"data\":{\"id\":7,\"name\":\"A b/\\u00e9\","   \
    "\"tags\":[\"x\"],\"f\":1e25,\"ok\":true},\"changes\":[]}"
#define BODY                                                                                   \
    "{\"event\":\"user.created\",\"created\":\"2026-05-01T10:00:00.123456Z\","                \
    "\"request_id\":\"r-1\",\"trace_id\":null,\"data\":{\"id\":7,\"name\":\"A b\\/\\u00e9\","  \
    "\"tags\":[\"x\"],\"f\":1.0e+25,\"ok\":true},\"changes\":[]}"
#define QUERY                                                                                  \
    "event=user.created&created=2026-05-01T10%3A00%3A00.123456Z&request_id=r-1"              \
    "&data%5Bid%5D=7&data%5Bname%5D=A%20b%2F%C3%A9&data%5Btags%5D%5B0%5D=x"                   \
    "&data%5Bf%5D=1.0E%2B25&data%5Bok%5D=1"
#define SIG_S3CRET "2c90f307a5362f9bbf3f3b1c91e93159fd609b9193600fc5c380cbdd2d5eb4ec"
#define SIG_EMPTY "d0a404c7a19c2a660e4ff250e46c2651ea4e43b77eaac0ebfdd3d9ff0e063484"

struct request_case {
    const char *name;
    enum br_method method;
    const char *url;
    const char *secret; /* NULL: no secret (an empty key) */
    const char *expect_url;
    const char *expect_body; /* NULL for GET */
    const char *expect_signature;
};

static const struct request_case request_cases[] = {
    {"post", BR_METHOD_POST, "https://h.example/hook", "s3cret", "https://h.example/hook", BODY,
     SIG_S3CRET},
    {"post keeps the URL's query", BR_METHOD_POST, "https://h.example/hook?a=1", "s3cret",
     "https://h.example/hook?a=1", BODY, SIG_S3CRET},
    {"get", BR_METHOD_GET, "https://h.example/get", "s3cret", "https://h.example/get?" QUERY,
     NULL, SIG_S3CRET},
    {"get after a query", BR_METHOD_GET, "https://h.example/get?t=1", "s3cret",
     "https://h.example/get?t=1&" QUERY, NULL, SIG_S3CRET},
    {"no secret", BR_METHOD_POST, "http://h/", NULL, "http://h/", BODY, SIG_EMPTY},
};

static json_t *load_payload(void)
{
    json_error_t error;
    json_t *payload = json_loads(PAYLOAD, 0, &error);

    if (!payload) {
        fail_msg("bad test payload: %s", error.text);
    }
    return payload;
}

static void test_build(void **state)
{
    json_t *payload = load_payload();

    (void)state;
    for (size_t i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]); i++) {
        const struct request_case *c = &request_cases[i];
        struct br_conf_hook hook = {0};
        struct br_request request;
        char errstr[256] = "";

        hook.name = (char *)c->name;
        hook.url = (char *)c->url;
        hook.method = c->method;
        hook.secret = (char *)c->secret;
        hook.secret_len = c->secret ? strlen(c->secret) : 0;
        if (br_request_build(&hook, payload, &request, errstr, sizeof(errstr)) != 0) {
            fail_msg("%s: %s", c->name, errstr);
        }
        assert_ptr_equal(request.hook, &hook);
        assert_int_equal(request.method, c->method);
        if (strcmp(request.url, c->expect_url) != 0) {
            fail_msg("%s: url\n  expected %s\n  got      %s", c->name, c->expect_url,
                     request.url);
        }
        if (c->expect_body) {
            assert_non_null(request.body);
            assert_int_equal(request.body_len, strlen(c->expect_body));
            assert_memory_equal(request.body, c->expect_body, request.body_len);
        } else {
            assert_null(request.body);
            assert_int_equal(request.body_len, 0);
        }
        assert_string_equal(request.signature, c->expect_signature);
        br_request_finish(&request);
        assert_null(request.url);
    }
    json_decref(payload);
}

/* A GET whose payload gives an empty query adds no '?'. */
static void test_empty_query(void **state)
{
    json_t *payload = json_pack("{s:n, s:[]}", "a", "b");
    struct br_conf_hook hook = {0};
    struct br_request request;
    char errstr[256];

    (void)state;
    hook.name = "g";
    hook.url = "http://h/get";
    hook.method = BR_METHOD_GET;
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    assert_string_equal(request.url, "http://h/get");
    br_request_finish(&request);
    json_decref(payload);
}

/* Building from a pre-encoded body gives exactly what the one-shot build gives. */
static void test_build_encoded_matches(void **state)
{
    json_t *payload = json_pack("{s:s, s:{s:i, s:s}}", "event", "user.created", "data", "id", 7,
                                "name", "J\u00f6 / \"x\"");
    struct br_conf_hook hooks[2] = {{0}};
    char errstr[256];
    char *json;
    size_t json_len;
    struct br_signer *signer = br_signer_create();

    (void)state;
    hooks[0].name = "p";
    hooks[0].url = "http://h/post";
    hooks[0].method = BR_METHOD_POST;
    hooks[0].secret = "k1";
    hooks[0].secret_len = 2;
    hooks[1] = hooks[0];
    hooks[1].url = "http://h/get?a=1";
    hooks[1].method = BR_METHOD_GET;
    json = json_dumps(payload, JSON_COMPACT); /* any bytes: what is signed is what is given */
    json_len = strlen(json);
    for (int i = 0; i < 2; i++) {
        struct br_request one;
        struct br_request two = {0};
        struct br_buf body;

        br_buf_init(&body, 0);
        assert_int_equal(br_json_encode(payload, &body, errstr, sizeof(errstr)), 0);
        assert_int_equal(br_request_build(&hooks[i], payload, &one, errstr, sizeof(errstr)), 0);
        /* signed through a signer's reused context, twice: the same signature */
        for (int round = 0; round < 2; round++) {
            br_request_finish(&two);
            assert_int_equal(br_request_build_encoded(&hooks[i], payload, body.data, body.len,
                                                      0, signer, &two, errstr, sizeof(errstr)),
                             0);
            assert_string_equal(one.signature, two.signature);
        }
        br_request_finish(&two);
        assert_int_equal(br_request_build_encoded(&hooks[i], payload, body.data, body.len, 0,
                                                  NULL, &two, errstr, sizeof(errstr)),
                         0);
        assert_string_equal(one.url, two.url);
        assert_string_equal(one.signature, two.signature);
        assert_int_equal(one.body_len, two.body_len);
        if (one.body) {
            assert_memory_equal(one.body, two.body, one.body_len);
        }
        br_request_finish(&two);
        /* signing other bytes gives another signature */
        assert_int_equal(br_request_build_encoded(&hooks[i], payload, json, json_len, 0, signer,
                                                  &two, errstr, sizeof(errstr)),
                         0);
        assert_string_not_equal(one.signature, two.signature);
        br_request_finish(&one);
        br_request_finish(&two);
        br_buf_finish(&body);
    }
    free(json);
    json_decref(payload);
    br_signer_destroy(signer);
}

/* A GET's query string is bounded by max_query (limits.max_body_bytes). */
static void test_query_limit(void **state)
{
    json_t *payload = load_payload();
    struct br_conf_hook hook = {0};
    struct br_request request;
    char errstr[256] = "";
    size_t len = strlen(QUERY);
    (void)state;

    hook.name = "g";
    hook.url = "http://h/get";
    hook.method = BR_METHOD_GET;
    assert_int_equal(br_request_build_encoded(&hook, payload, BODY, strlen(BODY), len, NULL,
                                              &request,
                                              errstr, sizeof(errstr)),
                     0);
    assert_string_equal(request.url, "http://h/get?" QUERY);
    br_request_finish(&request);
    assert_int_equal(br_request_build_encoded(&hook, payload, BODY, strlen(BODY), len - 1, NULL,
                                              &request,
                                              errstr, sizeof(errstr)),
                     -1);
    assert_non_null(strstr(errstr, "bytes: limits.max_body_bytes)"));
    assert_null(request.url);
    json_decref(payload);
}

/* Invalid UTF-8 in the payload: an error and nothing owned. */
static void test_bad_payload(void **state)
{
    json_t *payload = json_object();
    struct br_conf_hook hook = {0};
    struct br_request request;
    char errstr[256] = "";

    (void)state;
    json_object_set_new(payload, "x", json_stringn_nocheck("\xff", 1));
    hook.name = "p";
    hook.url = "http://h/";
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), -1);
    assert_true(errstr[0] != '\0');
    assert_null(request.url);
    assert_null(request.body);
    br_request_finish(&request);
    br_request_finish(NULL);
    json_decref(payload);
}

static char *print_to_string(const struct br_request *request)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_non_null(out);
    br_request_print(request, out);
    fclose(out);
    return text;
}

static void test_print(void **state)
{
    json_t *payload = load_payload();
    struct br_kv headers[] = {{"X-Source", "perscom-bridge"}, {"X-Tenant", "1"}};
    struct br_conf_hook hook = {0};
    struct br_request request;
    char errstr[256];
    char *text;

    (void)state;
    hook.name = "discord";
    hook.url = "https://h.example/hook";
    hook.method = BR_METHOD_POST;
    hook.secret = "s3cret";
    hook.secret_len = 6;
    hook.headers = headers;
    hook.header_count = 2;
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    text = print_to_string(&request);
    assert_string_equal(text, "### hook discord\n"
                              "POST https://h.example/hook\n"
                              "Content-Type: application/json\n"
                              "Signature: " SIG_S3CRET "\n"
                              "User-Agent: perscom-bridge/" BR_VERSION "\n"
                              "X-Source: perscom-bridge\n"
                              "X-Tenant: 1\n"
                              "\n" BODY "\n"
                              "\n");
    free(text);
    br_request_finish(&request);

    hook.name = "reports";
    hook.method = BR_METHOD_GET;
    hook.header_count = 0;
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    text = print_to_string(&request);
    assert_string_equal(text, "### hook reports\n"
                              "GET https://h.example/hook?" QUERY "\n"
                              "Content-Type: application/json\n"
                              "Signature: " SIG_S3CRET "\n"
                              "User-Agent: perscom-bridge/" BR_VERSION "\n"
                              "\n"
                              "\n"
                              "\n");
    free(text);
    br_request_finish(&request);
    json_decref(payload);
}

#define WHSEC_1 "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define WHSEC_2 "whsec_c2Vjb25kLWtleS1zZWNvbmQta2V5LXNlY29uZC1rZXk="
#define STD_POST_1 "v1,Z2Cy2gArfWqPcw2DH2Fo7I+Tt5YaYwhB+Q/mFC2OzqQ="
#define STD_POST_2 "v1,D/E01C+YLrNXyERvyXG93BBCQWrbICynJTmq9J7uXvI="
#define STD_GET_1 "v1,2nat6mhUZLlJKg1+9JYqt0Jncc2NCRDyGF33b4vXV0Q="
#define STD_GET_2 "v1,Ox1WFJhrtYbH9zqXGSl7pFZ58K2g/fJ3pk39Eaxf0kw="
#define STD_TIME 1777629600

/* A hook with the two secrets above, keys decoded as the configuration does. */
static void two_secrets(struct br_conf_hook *hook, struct br_hook_secret secrets[2])
{
    static const char *const texts[] = {WHSEC_1, WHSEC_2};
    char errstr[256];

    for (size_t i = 0; i < 2; i++) {
        secrets[i].text = (char *)texts[i];
        secrets[i].len = strlen(texts[i]);
        secrets[i].key = br_sign_whsec_key(texts[i], secrets[i].len, &secrets[i].key_len, errstr,
                                           sizeof(errstr));
        assert_non_null(secrets[i].key);
    }
    hook->secrets = secrets;
    hook->secret_count = 2;
    hook->secret = secrets[0].text;
    hook->secret_len = secrets[0].len;
}

static void test_sign_standard(void **state)
{
    json_t *payload = load_payload();
    struct br_hook_secret secrets[2];
    struct br_conf_hook hook = {0};
    struct br_request request;
    char out[BR_REQUEST_STANDARD_MAX];
    char errstr[256];
    const char *content;
    size_t len;

    (void)state;
    hook.name = "std";
    hook.url = "https://h.example/hook";
    hook.signature = BR_SIGNATURE_BOTH;
    two_secrets(&hook, secrets);
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    /* by default the id is the payload's request_id */
    assert_string_equal(request.webhook_id, "r-1");
    br_request_signed_content(&request, &content, &len);
    assert_int_equal(len, strlen(BODY));
    assert_memory_equal(content, BODY, len);
    assert_int_equal(br_request_sign_standard(&request, STD_TIME, out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out, STD_POST_1 " " STD_POST_2);
    br_request_finish(&request);

    /* GET: the query string as sent, the hook's own query included */
    hook.method = BR_METHOD_GET;
    hook.url = "https://h.example/get?t=1";
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    br_request_signed_content(&request, &content, &len);
    assert_string_equal(content, "t=1&" QUERY);
    assert_int_equal(br_request_sign_standard(&request, STD_TIME, out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out, STD_GET_1 " " STD_GET_2);

    /* one secret: one signature */
    hook.secret_count = 1;
    assert_int_equal(br_request_sign_standard(&request, STD_TIME, out, errstr, sizeof(errstr)), 0);
    assert_string_equal(out, STD_GET_1);
    br_request_finish(&request);

    /* no Standard Webhooks key: refused, not signed with nothing */
    hook.secret_count = 0;
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    assert_int_equal(br_request_sign_standard(&request, STD_TIME, out, errstr, sizeof(errstr)),
                     -1);
    assert_string_equal(out, "");
    assert_non_null(strstr(errstr, "hook std"));
    br_request_finish(&request);
    free(secrets[0].key);
    free(secrets[1].key);
    json_decref(payload);
}

/* render shows Standard Webhooks headers, masks auth and credentials in the URL. */
static void test_print_standard_and_auth(void **state)
{
    json_t *payload = load_payload();
    struct br_hook_secret secrets[2];
    struct br_conf_hook hook = {0};
    struct br_request request;
    char errstr[256];
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    (void)state;
    hook.name = "std";
    hook.url = "https://user:pa55@h.example/hook";
    hook.signature = BR_SIGNATURE_STANDARD;
    hook.auth = BR_AUTH_BEARER;
    hook.auth_bearer = "tok-secret";
    two_secrets(&hook, secrets);
    assert_int_equal(br_request_build(&hook, payload, &request, errstr, sizeof(errstr)), 0);
    out = open_memstream(&text, &len);
    br_request_print_at(&request, STD_TIME, out);
    fclose(out);
    /* PERSCOM's Signature is not computed for a hook that does not send it */
    assert_string_equal(request.signature, "");
    assert_string_equal(text, "### hook std\n"
                              "POST https://***@h.example/hook\n"
                              "Content-Type: application/json\n"
                              "webhook-id: r-1\n"
                              "webhook-timestamp: 1777629600\n"
                              "webhook-signature: " STD_POST_1 " " STD_POST_2 "\n"
                              "Authorization: Bearer ***\n"
                              "User-Agent: perscom-bridge/" BR_VERSION "\n"
                              "\n" BODY "\n"
                              "\n");
    free(text);

    hook.signature = BR_SIGNATURE_BOTH;
    hook.auth = BR_AUTH_BASIC;
    hook.auth_username = "user";
    hook.auth_password = "pa55word";
    text = NULL;
    out = open_memstream(&text, &len);
    br_request_print_at(&request, STD_TIME, out);
    fclose(out);
    assert_non_null(strstr(text, "\nSignature: "));
    assert_non_null(strstr(text, "\nwebhook-signature: " STD_POST_1 " " STD_POST_2 "\n"));
    assert_non_null(strstr(text, "\nAuthorization: Basic ***\n"));
    assert_null(strstr(text, "pa55"));
    assert_null(strstr(text, "user:"));
    free(text);
    br_request_finish(&request);
    free(secrets[0].key);
    free(secrets[1].key);
    json_decref(payload);
}

static void test_user_agent(void **state)
{
    (void)state;
    assert_string_equal(br_request_user_agent(), "perscom-bridge/" BR_VERSION);
    assert_true(strlen(BR_VERSION) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build),     cmocka_unit_test(test_empty_query),
        cmocka_unit_test(test_bad_payload), cmocka_unit_test(test_query_limit),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_sign_standard), cmocka_unit_test(test_print_standard_and_auth),
        cmocka_unit_test(test_user_agent),  cmocka_unit_test(test_build_encoded_matches),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
