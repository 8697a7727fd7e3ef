#include "delivery/request.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/url.h"
#include "perscom/json.h"
#include "perscom/query.h"

const char *br_request_user_agent(void)
{
    return "perscom-bridge/" BR_VERSION;
}

int br_request_build(const struct br_conf_hook *hook, const json_t *payload,
                     struct br_request *out, char *errstr, size_t errstr_size)
{
    struct br_buf json;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    br_buf_init(&json, 0);
    if (payload && br_json_encode(payload, &json, errstr, errstr_size) == 0) {
        rc = br_request_build_encoded(hook, payload, json.data, json.len, 0, NULL, out, errstr,
                                      errstr_size);
    }
    br_buf_finish(&json);
    return rc;
}

int br_request_build_encoded(const struct br_conf_hook *hook, const json_t *payload,
                             const char *json, size_t json_len, size_t max_query,
                             struct br_signer *signer, struct br_request *out, char *errstr,
                             size_t errstr_size)
{
    struct br_buf url;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    br_buf_init(&url, 0);
    if (!hook || !hook->url || !json || (hook->method == BR_METHOD_GET && !payload)) {
        snprintf(errstr, errstr_size, "incomplete request input");
        goto fail;
    }
    /* PERSCOM's Signature only where it is sent: `signature: standard` signs at send time */
    if (hook->signature != BR_SIGNATURE_STANDARD &&
        br_signer_hex(signer, hook->secret ? hook->secret : "",
                      hook->secret ? hook->secret_len : 0, json, json_len, out->signature,
                      errstr, errstr_size) != 0) {
        goto fail;
    }
    br_buf_append_str(&url, hook->url);
    if (hook->method == BR_METHOD_GET) {
        struct br_buf query;

        br_buf_init(&query, max_query);
        if (br_query_build(payload, &query, errstr, errstr_size) != 0) {
            if (max_query > 0) {
                char why[256];

                snprintf(why, sizeof(why), "%s", errstr);
                snprintf(errstr, errstr_size, "%s (at most %zu bytes: limits.max_body_bytes)",
                         why, max_query);
            }
            br_buf_finish(&query);
            goto fail;
        }
        if (query.len > 0) {
            br_buf_append_char(&url, strchr(hook->url, '?') ? '&' : '?');
            br_buf_append(&url, query.data, query.len);
        }
        br_buf_finish(&query);
    } else {
        out->body = malloc(json_len + 1);
        if (!out->body) {
            abort();
        }
        memcpy(out->body, json, json_len);
        out->body[json_len] = '\0';
        out->body_len = json_len;
    }
    if (url.overflow) {
        snprintf(errstr, errstr_size, "request URL passes the buffer limit");
        goto fail;
    }
    /* the message's id for webhook-id; br_message_prepare may set a better one */
    json_t *request_id = payload ? json_object_get(payload, "request_id") : NULL;
    if (json_is_string(request_id)) {
        snprintf(out->webhook_id, sizeof(out->webhook_id), "%s", json_string_value(request_id));
    }
    out->url = br_buf_steal(&url, NULL);
    out->hook = hook;
    out->method = hook->method;
    rc = 0;
fail:
    if (rc != 0) {
        free(out->body);
        memset(out, 0, sizeof(*out));
    }
    br_buf_finish(&url);
    return rc;
}

void br_request_finish(struct br_request *request)
{
    if (!request) {
        return;
    }
    free(request->url);
    free(request->body);
    memset(request, 0, sizeof(*request));
}

void br_request_signed_content(const struct br_request *request, const char **content,
                               size_t *len)
{
    if (request->method == BR_METHOD_GET) {
        const char *query = request->url ? strchr(request->url, '?') : NULL;

        *content = query ? query + 1 : "";
        *len = strlen(*content);
        return;
    }
    *content = request->body ? request->body : "";
    *len = request->body ? request->body_len : 0;
}

int br_request_sign_standard(const struct br_request *request, int64_t timestamp,
                             char out[BR_REQUEST_STANDARD_MAX], char *errstr, size_t errstr_size)
{
    const struct br_conf_hook *hook = request->hook;
    const char *content;
    size_t content_len;
    size_t at = 0;

    out[0] = '\0';
    br_request_signed_content(request, &content, &content_len);
    for (size_t i = 0; hook && i < hook->secret_count && i < BR_CONF_SECRETS_MAX; i++) {
        const struct br_hook_secret *secret = &hook->secrets[i];

        if (!secret->key) {
            continue;
        }
        if (at > 0) {
            out[at++] = ' ';
        }
        if (br_sign_standard(secret->key, secret->key_len, request->webhook_id, timestamp,
                             content, content_len, out + at, errstr, errstr_size) != 0) {
            out[0] = '\0';
            return -1;
        }
        at += BR_SIGN_STANDARD_LEN;
    }
    if (at == 0) {
        snprintf(errstr, errstr_size, "hook %s has no Standard Webhooks secret",
                 hook && hook->name ? hook->name : "?");
        return -1;
    }
    return 0;
}

/* The URL with any credentials replaced by ***. */
static void print_url(const char *url, FILE *out)
{
    size_t size = strlen(url) + 4;
    char *shown;

    if (!br_url_has_userinfo(url)) {
        fputs(url, out);
        return;
    }
    shown = malloc(size);
    if (!shown) {
        abort();
    }
    fputs(br_url_redact(url, shown, size), out);
    free(shown);
}

void br_request_print(const struct br_request *request, FILE *out)
{
    br_request_print_at(request, (int64_t)time(NULL), out);
}

void br_request_print_at(const struct br_request *request, int64_t timestamp, FILE *out)
{
    const struct br_conf_hook *hook = request->hook;
    enum br_signature_mode mode = hook ? hook->signature : BR_SIGNATURE_PERSCOM;

    fprintf(out, "### hook %s\n", hook && hook->name ? hook->name : "");
    fputs(request->method == BR_METHOD_GET ? "GET " : "POST ", out);
    print_url(request->url ? request->url : "", out);
    fputc('\n', out);
    fprintf(out, "Content-Type: application/json\n");
    if (mode != BR_SIGNATURE_STANDARD) {
        fprintf(out, "Signature: %s\n", request->signature);
    }
    if (mode != BR_SIGNATURE_PERSCOM) {
        char signature[BR_REQUEST_STANDARD_MAX];
        char errstr[256];

        if (br_request_sign_standard(request, timestamp, signature, errstr, sizeof(errstr)) !=
            0) {
            snprintf(signature, sizeof(signature), "(%s)", errstr);
        }
        fprintf(out, "webhook-id: %s\n", request->webhook_id);
        fprintf(out, "webhook-timestamp: %lld\n", (long long)timestamp);
        fprintf(out, "webhook-signature: %s\n", signature);
    }
    if (hook && hook->auth != BR_AUTH_NONE) {
        fprintf(out, "Authorization: %s ***\n", hook->auth == BR_AUTH_BEARER ? "Bearer" : "Basic");
    }
    fprintf(out, "User-Agent: %s\n", br_request_user_agent());
    for (size_t i = 0; hook && i < hook->header_count; i++) {
        fprintf(out, "%s: %s\n", hook->headers[i].key, hook->headers[i].value);
    }
    fputc('\n', out);
    if (request->body) {
        fwrite(request->body, 1, request->body_len, out);
    }
    fputc('\n', out);
    fputc('\n', out);
}
