#include "registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A schema answer larger than this is refused. */
#define MAX_ANSWER_BYTES (4u * 1024 * 1024)

struct cached {
    int32_t id;
    char *schema_json;
};

struct br_registry {
    char *url; /* without trailing slashes */
    char *username;
    char *password;
    char *ca_file;
    CURL *curl; /* kept for connection reuse */
    struct cached *cache;
    size_t count;
};

struct answer {
    char *data;
    size_t len;
    int too_big;
};

static char *dup_or_null(const char *s)
{
    char *copy;

    if (!s) {
        return NULL;
    }
    copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

struct br_registry *br_registry_create(const char *url, const char *username,
                                       const char *password, const char *ca_file)
{
    struct br_registry *registry = calloc(1, sizeof(*registry));
    size_t len;

    if (!registry) {
        abort();
    }
    registry->url = dup_or_null(url ? url : "");
    len = strlen(registry->url);
    while (len > 0 && registry->url[len - 1] == '/') {
        registry->url[--len] = '\0';
    }
    registry->username = dup_or_null(username);
    registry->password = dup_or_null(password);
    registry->ca_file = dup_or_null(ca_file);
    return registry;
}

void br_registry_destroy(struct br_registry *registry)
{
    if (!registry) {
        return;
    }
    for (size_t i = 0; i < registry->count; i++) {
        free(registry->cache[i].schema_json);
    }
    free(registry->cache);
    if (registry->curl) {
        curl_easy_cleanup(registry->curl);
    }
    free(registry->url);
    free(registry->username);
    free(registry->password);
    free(registry->ca_file);
    free(registry);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct answer *answer = userdata;
    size_t n = size * nmemb;
    char *grown;

    if (answer->len + n > MAX_ANSWER_BYTES) {
        answer->too_big = 1;
        return 0; /* aborts the transfer */
    }
    grown = realloc(answer->data, answer->len + n + 1);
    if (!grown) {
        abort();
    }
    answer->data = grown;
    memcpy(answer->data + answer->len, ptr, n);
    answer->len += n;
    answer->data[answer->len] = '\0';
    return n;
}

/* Sets up the reused handle for one GET of url. */
static int prepare(struct br_registry *registry, const char *url, struct answer *answer,
                   struct curl_slist *headers)
{
    CURL *curl = registry->curl;
    int rc = 0;

    curl_easy_reset(curl);
    rc |= curl_easy_setopt(curl, CURLOPT_URL, url);
    rc |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    rc |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    rc |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
    rc |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    rc |= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    rc |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (registry->username) {
        rc |= curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        rc |= curl_easy_setopt(curl, CURLOPT_USERNAME, registry->username);
        rc |= curl_easy_setopt(curl, CURLOPT_PASSWORD,
                               registry->password ? registry->password : "");
    }
    if (registry->ca_file) {
        rc |= curl_easy_setopt(curl, CURLOPT_CAINFO, registry->ca_file);
    }
    return rc;
}

/* {"schema": "..."} -> a malloc'd copy of the schema text, or NULL. */
static char *schema_of(const char *data, size_t len, char *errstr, size_t errstr_size)
{
    json_error_t error;
    json_t *root = json_loadb(data, len, 0, &error);
    const char *text;
    char *copy = NULL;

    if (!root) {
        snprintf(errstr, errstr_size, "schema registry: bad answer: %s", error.text);
        goto fail;
    }
    text = json_string_value(json_object_get(root, "schema"));
    if (!text) {
        snprintf(errstr, errstr_size, "schema registry: answer has no \"schema\" string");
        goto fail;
    }
    copy = dup_or_null(text);
fail:
    json_decref(root);
    return copy;
}

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    char url[2048];
    struct answer answer = {0};
    struct curl_slist *headers = NULL;
    enum br_registry_status status = BR_REGISTRY_UNAVAILABLE;
    CURLcode code;
    long http = 0;
    char *text;
    struct cached *grown;

    for (size_t i = 0; i < registry->count; i++) {
        if (registry->cache[i].id == id) {
            *schema_json = registry->cache[i].schema_json;
            return BR_REGISTRY_OK;
        }
    }
    if (!registry->curl) {
        registry->curl = curl_easy_init();
        if (!registry->curl) {
            snprintf(errstr, errstr_size, "schema registry: cannot create a curl handle");
            goto fail;
        }
    }
    snprintf(url, sizeof(url), "%s/schemas/ids/%d", registry->url, (int)id);
    headers = curl_slist_append(NULL, "Accept: application/vnd.schemaregistry.v1+json");
    if (!headers) {
        abort();
    }
    if (prepare(registry, url, &answer, headers) != 0) {
        snprintf(errstr, errstr_size, "schema registry: cannot set up the request");
        goto fail;
    }
    code = curl_easy_perform(registry->curl);
    if (code != CURLE_OK) {
        snprintf(errstr, errstr_size, "schema registry: %s: %s", url,
                 answer.too_big ? "answer too large" : curl_easy_strerror(code));
        goto fail;
    }
    curl_easy_getinfo(registry->curl, CURLINFO_RESPONSE_CODE, &http);
    if (http == 404) {
        snprintf(errstr, errstr_size, "schema registry: %s: schema id %d not found", url,
                 (int)id);
        status = BR_REGISTRY_NOT_FOUND;
        goto fail;
    }
    if (http != 200) {
        snprintf(errstr, errstr_size, "schema registry: %s: HTTP status %ld", url, http);
        goto fail;
    }
    text = schema_of(answer.data ? answer.data : "", answer.len, errstr, errstr_size);
    if (!text) {
        goto fail;
    }
    grown = realloc(registry->cache, (registry->count + 1) * sizeof(*grown));
    if (!grown) {
        abort();
    }
    registry->cache = grown;
    registry->cache[registry->count].id = id;
    registry->cache[registry->count].schema_json = text;
    registry->count++;
    *schema_json = text;
    status = BR_REGISTRY_OK;
fail:
    if (registry->curl) {
        /* the handle must not keep pointers to this call's locals */
        curl_easy_setopt(registry->curl, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(registry->curl, CURLOPT_WRITEDATA, NULL);
    }
    curl_slist_free_all(headers);
    free(answer.data);
    return status;
}
