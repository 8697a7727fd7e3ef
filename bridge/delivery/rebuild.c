/* A queued request built again under its hook's new settings (see rebuild.h). */
#include "delivery/rebuild.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int br_request_rebuild(const struct br_conf_hook *hook, const char *json, size_t json_len,
                       size_t max_query, struct br_signer *signer, struct br_request *request,
                       char *errstr, size_t errstr_size)
{
    struct br_request fresh;
    json_t *payload;
    json_error_t error;
    int rc;

    if (!json) {
        snprintf(errstr, errstr_size, "the payload's JSON was not kept");
        return -1;
    }
    if (hook->method == BR_METHOD_GET) {
        /* the query string is made from the payload's values */
        payload = json_loadb(json, json_len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &error);
        if (!payload) {
            snprintf(errstr, errstr_size, "the payload's JSON cannot be read back: %s",
                     error.text);
            return -1;
        }
    } else {
        payload = json_null(); /* a POST sends the JSON bytes as they are */
    }
    rc = br_request_build_encoded(hook, payload, json, json_len, max_query, signer, &fresh,
                                  errstr, errstr_size);
    json_decref(payload);
    if (rc != 0) {
        return -1;
    }
    memcpy(fresh.webhook_id, request->webhook_id, sizeof(fresh.webhook_id));
    br_request_finish(request);
    *request = fresh;
    return 0;
}
