#include "delivery/request.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
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
        rc = br_request_build_encoded(hook, payload, json.data, json.len, out, errstr,
                                      errstr_size);
    }
    br_buf_finish(&json);
    return rc;
}

int br_request_build_encoded(const struct br_conf_hook *hook, const json_t *payload,
                             const char *json, size_t json_len, struct br_request *out,
                             char *errstr, size_t errstr_size)
{
    struct br_buf url;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    br_buf_init(&url, 0);
    if (!hook || !hook->url || !payload || !json) {
        snprintf(errstr, errstr_size, "incomplete request input");
        goto fail;
    }
    if (br_sign_hex(hook->secret ? hook->secret : "", hook->secret ? hook->secret_len : 0,
                    json, json_len, out->signature, errstr, errstr_size) != 0) {
        goto fail;
    }
    br_buf_append_str(&url, hook->url);
    if (hook->method == BR_METHOD_GET) {
        struct br_buf query;

        br_buf_init(&query, 0);
        if (br_query_build(payload, &query, errstr, errstr_size) != 0) {
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

void br_request_print(const struct br_request *request, FILE *out)
{
    const struct br_conf_hook *hook = request->hook;

    fprintf(out, "### hook %s\n", hook && hook->name ? hook->name : "");
    fprintf(out, "%s %s\n", request->method == BR_METHOD_GET ? "GET" : "POST",
            request->url ? request->url : "");
    fprintf(out, "Content-Type: application/json\n");
    fprintf(out, "Signature: %s\n", request->signature);
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
