#include "avro/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/conf.h"
#include "core/clock.h"
#include "core/url.h"

/* A schema answer larger than this is refused. */
#define MAX_ANSWER_BYTES (4u * 1024 * 1024)

struct cached {
    int32_t id;
    char *schema_json;
};

/* A schema id the registry said it does not have: not asked again before retry_ms. */
#define NEGATIVE_FIRST_MS 2000
#define NEGATIVE_MAX_MS 60000

struct missing {
    int32_t id;
    int64_t retry_ms; /* monotonic */
    int64_t delay_ms; /* doubles at each new 404, up to NEGATIVE_MAX_MS */
    char message[256];
};

struct answer {
    char *data;
    size_t len;
    int too_big;
};

/* The one lookup of the asynchronous mode: in flight, or finished and not yet collected. */
struct fetch {
    bool active;          /* the transfer is in the multi handle */
    bool finished;        /* result and message wait for the next call for id */
    int32_t id;
    char url[2048];
    char shown[2048]; /* url without credentials, for messages */
    struct answer answer;
    struct curl_slist *headers;
    enum br_registry_status result;
    char message[512];
};

struct br_registry {
    char *url; /* without trailing slashes */
    char *username;
    char *password;
    char *ca_file;
    bool tls13;   /* TLS 1.3 at least, else 1.2 */
    CURL *curl; /* kept for connection reuse */
    CURLM *multi; /* asynchronous mode only */
    struct fetch fetch;
    struct cached *cache;
    size_t count;
    struct missing *missing; /* the negative cache */
    size_t missing_count;
};

static struct missing *missing_find(struct br_registry *registry, int32_t id)
{
    for (size_t i = 0; i < registry->missing_count; i++) {
        if (registry->missing[i].id == id) {
            return &registry->missing[i];
        }
    }
    return NULL;
}

/* Remembers a 404 for id: the next fetch waits NEGATIVE_FIRST_MS, then twice as long each time. */
static void missing_note(struct br_registry *registry, int32_t id, const char *message)
{
    struct missing *entry = missing_find(registry, id);

    if (!entry) {
        struct missing *grown = realloc(registry->missing,
                                        (registry->missing_count + 1) * sizeof(*grown));
        if (!grown) {
            abort();
        }
        registry->missing = grown;
        entry = &registry->missing[registry->missing_count++];
        entry->id = id;
        entry->delay_ms = NEGATIVE_FIRST_MS;
    } else {
        entry->delay_ms = entry->delay_ms * 2 > NEGATIVE_MAX_MS ? NEGATIVE_MAX_MS
                                                                : entry->delay_ms * 2;
    }
    entry->retry_ms = br_clock_monotonic_ms() + entry->delay_ms;
    snprintf(entry->message, sizeof(entry->message), "%s", message);
}

/* true (and errstr set) when id is known missing and its next fetch is not due yet. */
static bool missing_known(struct br_registry *registry, int32_t id, char *errstr,
                          size_t errstr_size)
{
    const struct missing *entry = missing_find(registry, id);
    int64_t now;

    if (!entry) {
        return false;
    }
    now = br_clock_monotonic_ms();
    if (now >= entry->retry_ms) {
        return false;
    }
    snprintf(errstr, errstr_size, "%s (asked again in %lld s)", entry->message,
             (long long)((entry->retry_ms - now + 999) / 1000));
    return true;
}

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

struct br_registry *br_registry_create_for(const struct br_conf *conf)
{
    struct br_registry *registry;

    if (!conf->registry_url) {
        return NULL;
    }
    registry = br_registry_create(conf->registry_url, conf->registry_username,
                                  conf->registry_password, conf->registry_ca_file);
    br_registry_set_tls13(registry, conf->registry_tls_min == BR_TLS_1_3);
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
    free(registry->missing);
    if (registry->multi && registry->fetch.active) {
        curl_multi_remove_handle(registry->multi, registry->curl);
    }
    curl_slist_free_all(registry->fetch.headers);
    free(registry->fetch.answer.data);
    if (registry->curl) {
        curl_easy_cleanup(registry->curl);
    }
    if (registry->multi) {
        curl_multi_cleanup(registry->multi);
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
    rc |= curl_easy_setopt(curl, CURLOPT_SSLVERSION,
                           registry->tls13 ? (long)CURL_SSLVERSION_TLSv1_3
                                           : (long)CURL_SSLVERSION_TLSv1_2);
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

char *br_registry_answer_schema(const char *data, size_t len, char *errstr, size_t errstr_size)
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

static const char *cache_find(const struct br_registry *registry, int32_t id)
{
    for (size_t i = 0; i < registry->count; i++) {
        if (registry->cache[i].id == id) {
            return registry->cache[i].schema_json;
        }
    }
    return NULL;
}

/* Sets up the GET of schema id on the reused handle; headers are kept in fetch. */
static int start(struct br_registry *registry, int32_t id, char *errstr, size_t errstr_size)
{
    struct fetch *fetch = &registry->fetch;

    if (!registry->curl) {
        registry->curl = curl_easy_init();
        if (!registry->curl) {
            snprintf(errstr, errstr_size, "schema registry: cannot create a curl handle");
            return -1;
        }
    }
    free(fetch->answer.data);
    memset(&fetch->answer, 0, sizeof(fetch->answer));
    curl_slist_free_all(fetch->headers);
    fetch->headers = curl_slist_append(NULL, "Accept: application/vnd.schemaregistry.v1+json");
    if (!fetch->headers) {
        abort();
    }
    fetch->id = id;
    snprintf(fetch->url, sizeof(fetch->url), "%s/schemas/ids/%d", registry->url, (int)id);
    br_url_redact(fetch->url, fetch->shown, sizeof(fetch->shown));
    if (prepare(registry, fetch->url, &fetch->answer, fetch->headers) != 0) {
        snprintf(errstr, errstr_size, "schema registry: cannot set up the request");
        return -1;
    }
    return 0;
}

/* The outcome of a finished transfer: caches the schema, or says why not. */
static enum br_registry_status conclude(struct br_registry *registry, CURLcode code,
                                        const char **schema_json, char *errstr,
                                        size_t errstr_size)
{
    struct fetch *fetch = &registry->fetch;
    long http = 0;
    char *text;
    struct cached *grown;

    if (code != CURLE_OK) {
        snprintf(errstr, errstr_size, "schema registry: %s: %s", fetch->shown,
                 fetch->answer.too_big ? "answer too large" : curl_easy_strerror(code));
        return BR_REGISTRY_UNAVAILABLE;
    }
    curl_easy_getinfo(registry->curl, CURLINFO_RESPONSE_CODE, &http);
    if (http == 404) {
        snprintf(errstr, errstr_size, "schema registry: %s: schema id %d not found",
                 fetch->shown, (int)fetch->id);
        missing_note(registry, fetch->id, errstr);
        return BR_REGISTRY_NOT_FOUND;
    }
    if (http != 200) {
        snprintf(errstr, errstr_size, "schema registry: %s: HTTP status %ld", fetch->shown, http);
        return BR_REGISTRY_UNAVAILABLE;
    }
    text = br_registry_answer_schema(fetch->answer.data ? fetch->answer.data : "",
                                     fetch->answer.len, errstr, errstr_size);
    if (!text) {
        return BR_REGISTRY_UNAVAILABLE;
    }
    grown = realloc(registry->cache, (registry->count + 1) * sizeof(*grown));
    if (!grown) {
        abort();
    }
    registry->cache = grown;
    registry->cache[registry->count].id = fetch->id;
    registry->cache[registry->count].schema_json = text;
    registry->count++;
    *schema_json = text;
    return BR_REGISTRY_OK;
}

static void release_call_state(struct br_registry *registry)
{
    struct fetch *fetch = &registry->fetch;

    if (registry->curl) {
        /* the handle must not keep pointers to this lookup's buffers */
        curl_easy_setopt(registry->curl, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(registry->curl, CURLOPT_WRITEDATA, NULL);
    }
    curl_slist_free_all(fetch->headers);
    fetch->headers = NULL;
    free(fetch->answer.data);
    memset(&fetch->answer, 0, sizeof(fetch->answer));
}

void br_registry_set_async(struct br_registry *registry)
{
    if (!registry->multi) {
        registry->multi = curl_multi_init();
        if (!registry->multi) {
            abort();
        }
    }
}

bool br_registry_perform(struct br_registry *registry)
{
    struct fetch *fetch = &registry->fetch;
    int running = 0;
    int queued = 0;
    CURLMsg *msg;
    const char *ignored;

    if (!registry->multi || !fetch->active) {
        return false;
    }
    curl_multi_perform(registry->multi, &running);
    while ((msg = curl_multi_info_read(registry->multi, &queued)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        curl_multi_remove_handle(registry->multi, registry->curl);
        fetch->active = false;
        fetch->finished = true;
        fetch->message[0] = '\0';
        fetch->result = conclude(registry, msg->data.result, &ignored, fetch->message,
                                 sizeof(fetch->message));
        release_call_state(registry);
        return true;
    }
    return false;
}

void br_registry_set_tls13(struct br_registry *registry, bool tls13)
{
    registry->tls13 = tls13;
}

bool br_registry_busy(const struct br_registry *registry)
{
    return registry->multi && registry->fetch.active;
}

bool br_registry_fetching(const struct br_registry *registry)
{
    return registry->multi && (registry->fetch.active || registry->fetch.finished);
}

/* Asynchronous lookup: never blocks; a miss starts a fetch and answers UNAVAILABLE. */
static enum br_registry_status lookup_async(struct br_registry *registry, int32_t id,
                                            const char **schema_json, char *errstr,
                                            size_t errstr_size)
{
    struct fetch *fetch = &registry->fetch;

    br_registry_perform(registry);
    if (fetch->finished && fetch->id == id) {
        fetch->finished = false; /* collected: a later miss fetches again */
        if (fetch->result == BR_REGISTRY_OK) {
            *schema_json = cache_find(registry, id);
            return BR_REGISTRY_OK;
        }
        snprintf(errstr, errstr_size, "%s", fetch->message);
        return fetch->result;
    }
    if (fetch->active) {
        snprintf(errstr, errstr_size, "schema registry: fetching schema id %d",
                 (int)fetch->id);
        return BR_REGISTRY_UNAVAILABLE;
    }
    fetch->finished = false;
    if (start(registry, id, errstr, errstr_size) != 0) {
        release_call_state(registry);
        return BR_REGISTRY_UNAVAILABLE;
    }
    if (curl_multi_add_handle(registry->multi, registry->curl) != CURLM_OK) {
        snprintf(errstr, errstr_size, "schema registry: cannot start the request");
        release_call_state(registry);
        return BR_REGISTRY_UNAVAILABLE;
    }
    fetch->active = true;
    br_registry_perform(registry);
    snprintf(errstr, errstr_size, "schema registry: fetching schema id %d", (int)id);
    return BR_REGISTRY_UNAVAILABLE;
}

enum br_registry_status br_registry_schema(struct br_registry *registry, int32_t id,
                                           const char **schema_json, char *errstr,
                                           size_t errstr_size)
{
    enum br_registry_status status;
    const char *cached = cache_find(registry, id);

    if (cached) {
        *schema_json = cached;
        return BR_REGISTRY_OK;
    }
    if (id <= 0) {
        snprintf(errstr, errstr_size,
                 "schema id %d is not a positive 32-bit number: not a registry's id (the value "
                 "is not Confluent-framed Avro)", (int)id);
        return BR_REGISTRY_NOT_FOUND;
    }
    if (missing_known(registry, id, errstr, errstr_size)) {
        return BR_REGISTRY_NOT_FOUND;
    }
    if (registry->multi) {
        return lookup_async(registry, id, schema_json, errstr, errstr_size);
    }
    status = BR_REGISTRY_UNAVAILABLE;
    if (start(registry, id, errstr, errstr_size) == 0) {
        status = conclude(registry, curl_easy_perform(registry->curl), schema_json, errstr,
                          errstr_size);
    }
    release_call_state(registry);
    return status;
}
