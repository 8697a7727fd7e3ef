/*
 * Unit tests of registry.c against a tiny HTTP server run by the test itself on a 127.0.0.1
 * ephemeral port (one pthread, one request per connection, canned answers by path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "avro/registry.h"

#define SCHEMA                                                                                     \
    "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"op\",\"type\":\"string\"}]}"

struct server {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    int requests;
    char last[2048]; /* the last request head */
};

static const struct {
    const char *path;
    const char *status; /* NULL: close without answering */
    const char *body;
} answers[] = {
    {"/schemas/ids/1", "200 OK",
     "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"E\\\","
     "\\\"fields\\\":[{\\\"name\\\":\\\"op\\\",\\\"type\\\":\\\"string\\\"}]}\"}"},
    {"/schemas/ids/2", "404 Not Found", "{\"error_code\":40403,\"message\":\"Schema not found\"}"},
    {"/schemas/ids/3", "500 Internal Server Error", ""},
    {"/schemas/ids/4", "200 OK", "not json"},
    {"/schemas/ids/5", "200 OK", "{\"schema\": 1}"},
    {"/schemas/ids/6", NULL, NULL},
    {"/schemas/ids/-7", "200 OK", "{\"schema\":\"7\"}"},
};

static void *serve(void *arg)
{
    struct server *server = arg;

    for (;;) {
        char head[2048];
        size_t len = 0;
        char answer[1024];
        const char *status = "400 Bad Request";
        const char *body = "";
        int fd = accept(server->fd, NULL, NULL);

        if (fd < 0) {
            return NULL; /* the listener was shut down */
        }
        while (len < sizeof(head) - 1) {
            ssize_t n = read(fd, head + len, sizeof(head) - 1 - len);
            if (n <= 0) {
                break;
            }
            len += (size_t)n;
            head[len] = '\0';
            if (strstr(head, "\r\n\r\n")) {
                break;
            }
        }
        head[len] = '\0';
        for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
            char line[128];
            snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\n", answers[i].path);
            if (strncmp(head, line, strlen(line)) == 0) {
                status = answers[i].status;
                body = answers[i].body;
            }
        }
        pthread_mutex_lock(&server->lock);
        server->requests++;
        memcpy(server->last, head, len + 1);
        pthread_mutex_unlock(&server->lock);
        if (status) {
            int n = snprintf(answer, sizeof(answer),
                             "HTTP/1.1 %s\r\n"
                             "Content-Type: application/vnd.schemaregistry.v1+json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             status, strlen(body), body);
            if (write(fd, answer, (size_t)n) < 0) {
                perror("write");
            }
        }
        close(fd);
    }
}

static void server_start(struct server *server)
{
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof(addr);

    memset(server, 0, sizeof(*server));
    server->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(server->fd >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    assert_int_equal(bind(server->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(server->fd, 8), 0);
    assert_int_equal(getsockname(server->fd, (struct sockaddr *)&addr, &addr_len), 0);
    server->port = ntohs(addr.sin_port);
    pthread_mutex_init(&server->lock, NULL);
    assert_int_equal(pthread_create(&server->thread, NULL, serve, server), 0);
}

static void server_stop(struct server *server)
{
    shutdown(server->fd, SHUT_RDWR);
    pthread_join(server->thread, NULL);
    close(server->fd);
    pthread_mutex_destroy(&server->lock);
}

static int requests(struct server *server, char *last, size_t last_size)
{
    int count;

    pthread_mutex_lock(&server->lock);
    count = server->requests;
    if (last) {
        snprintf(last, last_size, "%s", server->last);
    }
    pthread_mutex_unlock(&server->lock);
    return count;
}

/*
 * Starts server and a registry client of it, at http://<userinfo>127.0.0.1:<port><path>
 * (userinfo "" or "user:pass@"), with basic-auth user and password (or NULL) as
 * br_registry_create takes them. registry_stop undoes both.
 */
static struct br_registry *registry_start(struct server *server, const char *userinfo,
                                          const char *path, const char *user,
                                          const char *password)
{
    struct br_registry *registry;
    char url[128];

    server_start(server);
    snprintf(url, sizeof(url), "http://%s127.0.0.1:%d%s", userinfo, server->port, path);
    registry = br_registry_create(url, user, password, NULL);
    assert_non_null(registry);
    return registry;
}

static void registry_stop(struct br_registry *registry, struct server *server)
{
    br_registry_destroy(registry);
    server_stop(server);
}

static void test_answers(void **state)
{
    static const struct {
        int32_t id;
        enum br_registry_status status;
        const char *text; /* schema (OK) or part of the message */
    } cases[] = {
        {1, BR_REGISTRY_OK, SCHEMA},
        {2, BR_REGISTRY_NOT_FOUND, "not found"},
        {3, BR_REGISTRY_UNAVAILABLE, "HTTP status 500"},
        {4, BR_REGISTRY_UNAVAILABLE, "bad answer"},
        {5, BR_REGISTRY_UNAVAILABLE, "no \"schema\" string"},
        {6, BR_REGISTRY_UNAVAILABLE, "/schemas/ids/6"},
    };
    struct server server;
    struct br_registry *registry;
    (void)state;

    registry = registry_start(&server, "", "//", NULL, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *schema = NULL;
        char errstr[256] = "";
        char last[2048];
        int before = requests(&server, NULL, 0);
        enum br_registry_status status =
            br_registry_schema(registry, cases[i].id, &schema, errstr, sizeof(errstr));

        if (status != cases[i].status) {
            fail_msg("id %d: status %d, want %d (%s)", cases[i].id, status, cases[i].status,
                     errstr);
        }
        assert_int_equal(requests(&server, last, sizeof(last)), before + 1);
        assert_non_null(strstr(last, "\r\nAccept: application/vnd.schemaregistry.v1+json\r\n"));
        assert_null(strstr(last, "Authorization:"));
        if (status == BR_REGISTRY_OK) {
            assert_string_equal(schema, cases[i].text);
        } else if (!strstr(errstr, cases[i].text)) {
            fail_msg("id %d: \"%s\" lacks \"%s\"", cases[i].id, errstr, cases[i].text);
        }
    }
    /* cache hits and known 404s make no request; other failures are asked again */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *schema = NULL;
        char errstr[256];
        int before = requests(&server, NULL, 0);
        enum br_registry_status status =
            br_registry_schema(registry, cases[i].id, &schema, errstr, sizeof(errstr));

        assert_int_equal(status, cases[i].status);
        assert_int_equal(requests(&server, NULL, 0),
                         before + (status == BR_REGISTRY_UNAVAILABLE ? 1 : 0));
        if (status == BR_REGISTRY_NOT_FOUND && !strstr(errstr, "not found (asked again in 2 s)")) {
            fail_msg("id %d: \"%s\"", cases[i].id, errstr);
        }
    }
    registry_stop(registry, &server);
}

/* The answer's parser alone (fuzz_schema's entry point): the schema string, or why not. */
static void test_answer_schema(void **state)
{
    static const struct {
        const char *answer;
        const char *schema; /* NULL: refused with reason */
        const char *reason;
    } cases[] = {
        {"{\"schema\":\"\\\"long\\\"\"}", "\"long\"", NULL},
        {"{\"subject\":\"t-value\",\"version\":3,\"schema\":\"{}\",\"id\":7}", "{}", NULL},
        {"{\"schema\":\"a\\u0000b\"}", NULL, "bad answer"}, /* jansson refuses NUL */
        {"{\"schema\":7}", NULL, "no \"schema\" string"},
        {"[\"schema\"]", NULL, "no \"schema\" string"},
        {"{\"schema\":\"x\"", NULL, "bad answer"},
        {"", NULL, "bad answer"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errstr[256] = "";
        char *schema = br_registry_answer_schema(cases[i].answer, strlen(cases[i].answer), errstr,
                                                 sizeof(errstr));

        if (cases[i].schema) {
            if (!schema) {
                fail_msg("case %zu: refused (%s)", i, errstr);
            }
            assert_string_equal(schema, cases[i].schema);
        } else if (schema || !strstr(errstr, cases[i].reason)) {
            fail_msg("case %zu: \"%s\", want a refusal with \"%s\"", i, errstr, cases[i].reason);
        }
        free(schema);
    }
}

static void test_basic_auth(void **state)
{
    struct server server;
    struct br_registry *registry;
    const char *schema = NULL;
    char errstr[256];
    char last[2048];
    (void)state;

    registry = registry_start(&server, "", "", "user", "pa:ss");
    assert_int_equal(br_registry_schema(registry, 1, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_OK);
    requests(&server, last, sizeof(last));
    /* base64("user:pa:ss") */
    assert_non_null(strstr(last, "\r\nAuthorization: Basic dXNlcjpwYTpzcw==\r\n"));
    assert_non_null(strstr(last, "GET /schemas/ids/1 HTTP/1.1\r\n"));
    registry_stop(registry, &server);
}

/* Ids below 1 are never asked for; an unknown id is asked at most once per backoff step. */
static void test_negative_cache(void **state)
{
    static const int32_t bad_ids[] = {0, -1, -119602891, INT32_MIN};
    struct server server;
    struct br_registry *registry;
    const char *schema = NULL;
    char errstr[256];
    (void)state;

    registry = registry_start(&server, "", "", NULL, NULL);
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        assert_int_equal(br_registry_schema(registry, bad_ids[i], &schema, errstr,
                                            sizeof(errstr)), BR_REGISTRY_NOT_FOUND);
        assert_non_null(strstr(errstr, "not a positive 32-bit number"));
    }
    assert_int_equal(requests(&server, NULL, 0), 0);
    /* ten lookups of an unknown id in quick succession: one request */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(br_registry_schema(registry, 2, &schema, errstr, sizeof(errstr)),
                         BR_REGISTRY_NOT_FOUND);
    }
    assert_int_equal(requests(&server, NULL, 0), 1);
    /* after the first step (2 s) it is asked again, once; then the step is 4 s */
    usleep(2100 * 1000);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(br_registry_schema(registry, 2, &schema, errstr, sizeof(errstr)),
                         BR_REGISTRY_NOT_FOUND);
    }
    assert_int_equal(requests(&server, NULL, 0), 2);
    assert_non_null(strstr(errstr, "(asked again in 4 s)"));
    /* the asynchronous mode keeps the same cache */
    br_registry_set_async(registry);
    assert_int_equal(br_registry_schema(registry, 2, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_NOT_FOUND);
    assert_false(br_registry_fetching(registry));
    assert_int_equal(requests(&server, NULL, 0), 2);
    registry_stop(registry, &server);
}

/* A URL with credentials (refused by the configuration, but never shown anyway). */
static void test_errors_hide_url_credentials(void **state)
{
    struct server server;
    struct br_registry *registry;
    const char *schema = NULL;
    char errstr[256];
    (void)state;

    registry = registry_start(&server, "reguser:URLPASS_leak@", "", NULL, NULL);
    for (int32_t id = 2; id <= 6; id += 4) {
        assert_int_not_equal(br_registry_schema(registry, id, &schema, errstr, sizeof(errstr)),
                             BR_REGISTRY_OK);
        if (strstr(errstr, "URLPASS") || strstr(errstr, "reguser") || !strstr(errstr, "***@")) {
            fail_msg("id %d: credentials in \"%s\"", id, errstr);
        }
    }
    registry_stop(registry, &server);
}

static void test_refused(void **state)
{
    struct server server;
    struct br_registry *registry;
    const char *schema = NULL;
    char url[64];
    char errstr[256];
    (void)state;

    /* a port that was just free: nothing listens there any more */
    server_start(&server);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", server.port);
    server_stop(&server);
    registry = br_registry_create(url, NULL, NULL, NULL);
    assert_int_equal(br_registry_schema(registry, 1, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_UNAVAILABLE);
    assert_non_null(strstr(errstr, "schema registry"));
    br_registry_destroy(registry);
    br_registry_destroy(NULL);
}

/* Drives the asynchronous lookup of id to its end; returns what the call after it answers. */
static enum br_registry_status lookup_async(struct br_registry *registry, int32_t id,
                                            const char **schema, char *errstr, size_t size)
{
    enum br_registry_status status = br_registry_schema(registry, id, schema, errstr, size);

    /* a miss never blocks: it starts a fetch and says so */
    assert_int_equal(status, BR_REGISTRY_UNAVAILABLE);
    assert_non_null(strstr(errstr, "fetching schema id"));
    assert_true(br_registry_busy(registry));
    for (int i = 0; i < 5000 && !br_registry_perform(registry); i++) {
        usleep(1000);
    }
    assert_false(br_registry_busy(registry));
    return br_registry_schema(registry, id, schema, errstr, size);
}

static void test_async(void **state)
{
    struct server server;
    struct br_registry *registry;
    const char *schema = NULL;
    char errstr[256];
    (void)state;

    registry = registry_start(&server, "", "", NULL, NULL);
    br_registry_set_async(registry);
    assert_false(br_registry_perform(registry)); /* nothing in flight */

    assert_int_equal(lookup_async(registry, 1, &schema, errstr, sizeof(errstr)), BR_REGISTRY_OK);
    assert_non_null(strstr(schema, "\"record\""));
    /* a cache hit answers at once, without a request */
    int before = requests(&server, NULL, 0);
    assert_int_equal(br_registry_schema(registry, 1, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_OK);
    assert_int_equal(requests(&server, NULL, 0), before);

    assert_int_equal(lookup_async(registry, 2, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_NOT_FOUND);
    assert_non_null(strstr(errstr, "not found"));
    assert_int_equal(lookup_async(registry, 3, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_UNAVAILABLE);
    assert_non_null(strstr(errstr, "HTTP status 500"));
    /* a failure is not cached: the next call fetches again */
    assert_int_equal(br_registry_schema(registry, 3, &schema, errstr, sizeof(errstr)),
                     BR_REGISTRY_UNAVAILABLE);
    assert_true(br_registry_busy(registry));
    registry_stop(registry, &server); /* with a fetch in flight */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_answer_schema),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_negative_cache),
        cmocka_unit_test(test_errors_hide_url_credentials),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_async),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
