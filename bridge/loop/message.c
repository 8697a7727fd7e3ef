#include "loop/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perscom/catalog.h"
#include "perscom/json.h"
#include "perscom/render.h"

static bool subscribed(const struct br_conf_hook *hook, const char *event)
{
    for (size_t i = 0; i < hook->event_count; i++) {
        if (br_catalog_pattern_matches(hook->events[i], event)) {
            return true;
        }
    }
    return false;
}

/*
 * The resource of topic; NULL, with the reason in *skip, for a topic that is no PERSCOM table's.
 * `resource` in the configuration wins; otherwise Debezium's heartbeat topics are told by name
 * first (their last part is the topic prefix, which may look like a table), then the table.
 */
static const struct br_resource *resource_of(const struct br_conf_topic *topic_conf,
                                             const char *topic, enum br_skip_reason *skip)
{
    if (topic_conf->resource) {
        return br_catalog_by_name(topic_conf->resource);
    }
    *skip = br_catalog_skip_reason(topic);
    if (*skip == BR_SKIP_HEARTBEAT) {
        return NULL;
    }
    return br_catalog_from_topic(topic);
}

enum br_prepare_status br_message_prepare(const struct br_conf *conf, struct br_decoder *decoder,
                                          const struct br_message_in *in, const char *only_hook,
                                          struct br_prepared *out, char *errstr,
                                          size_t errstr_size)
{
    const struct br_conf_hook **hooks = calloc(conf->hook_count ? conf->hook_count : 1,
                                               sizeof(*hooks));
    struct br_hook_list list = {hooks, conf->hook_count};
    enum br_prepare_status status;

    if (!hooks) {
        abort();
    }
    for (size_t i = 0; i < conf->hook_count; i++) {
        hooks[i] = &conf->hooks[i];
    }
    status = br_message_prepare_for(conf, &list, decoder, in, only_hook, out, errstr,
                                    errstr_size);
    free(hooks);
    return status;
}

enum br_prepare_status br_message_prepare_for(const struct br_conf *conf,
                                              const struct br_hook_list *hooks,
                                              struct br_decoder *decoder,
                                              const struct br_message_in *in,
                                              const char *only_hook, struct br_prepared *out,
                                              char *errstr, size_t errstr_size)
{
    const struct br_conf_topic *topic_conf =
        in->topic_conf ? in->topic_conf : br_conf_topic_for(conf, in->topic);
    const struct br_resource *resource;
    struct br_change change = {0};
    enum br_decode_status decoded;
    enum br_prepare_status status = BR_PREPARE_BAD;
    enum br_action action;
    json_t *payload = NULL;
    struct br_buf json;
    char derived_id[37] = ""; /* the id derived from the message's position, made once */

    memset(out, 0, sizeof(*out));
    br_buf_init(&json, (size_t)conf->max_body_bytes);
    if (!topic_conf) {
        snprintf(errstr, errstr_size, "topic %s matches no entry of topics", in->topic);
        return BR_PREPARE_BAD;
    }
    resource = resource_of(topic_conf, in->topic, &out->skip);
    if (!resource) {
        snprintf(errstr, errstr_size, "%s",
                 out->skip == BR_SKIP_NOT_PERSCOM_TABLE
                     ? "its table is not a PERSCOM table (set `resource` for a renamed table)"
                     : out->skip == BR_SKIP_HEARTBEAT ? "Debezium's heartbeat topic"
                                                      : "Debezium's transaction topic");
        return BR_PREPARE_SKIP;
    }
    br_decoder_set_max_elements(decoder, (size_t)conf->max_elements);
    decoded = br_decode_message(decoder, topic_conf, in->value, in->len, in->headers, &change,
                                errstr, errstr_size);
    switch (decoded) {
    case BR_DECODE_OK:
        break;
    case BR_DECODE_SKIP:
        out->skip = change.skip;
        return BR_PREPARE_SKIP;
    case BR_DECODE_RETRY:
        return BR_PREPARE_RETRY;
    case BR_DECODE_BAD:
        return BR_PREPARE_BAD;
    }
    if (!br_catalog_action_for_op(change.op, topic_conf->snapshot == BR_SNAPSHOT_CREATED,
                                  &action)) {
        snprintf(errstr, errstr_size, "snapshot read (snapshot: skip)");
        out->skip = BR_SKIP_SNAPSHOT;
        status = BR_PREPARE_SKIP;
        goto done;
    }
    br_catalog_event_name(resource, action, out->event, sizeof(out->event));

    struct br_render_input input = {
        .resource = resource,
        .action = action,
        .change = &change,
        .request_id = out->request_id,
        .trace_id = in->trace_id,
        .topic = in->topic,
        .partition = in->partition,
        .offset = in->offset,
    };
    bool rendered = false;

    for (size_t i = 0; i < hooks->count; i++) {
        const struct br_conf_hook *hook = hooks->hooks[i];

        if ((only_hook && strcmp(only_hook, hook->name) != 0) || !subscribed(hook, out->event)) {
            continue;
        }
        if (!rendered) {
            /* rendered once, for the first subscribed hook, straight into the body's bytes */
            br_render_derived_uuid(in->topic, in->partition, in->offset, derived_id);
            snprintf(out->request_id, sizeof(out->request_id), "%s",
                     in->request_id ? in->request_id : derived_id);
            /* json's limit is limits.max_body_bytes: encoding stops there */
            int encoded = br_render_encode(&input, &json, errstr, errstr_size);
            if (encoded == BR_JSON_OVER_LIMIT) {
                snprintf(errstr, errstr_size, "message over a limit: its body is larger than %ld "
                         "bytes (limits.max_body_bytes)", conf->max_body_bytes);
            }
            if (encoded != 0) {
                goto done;
            }
            rendered = true;
            out->requests = calloc(hooks->count, sizeof(*out->requests));
            out->positions = calloc(hooks->count, sizeof(*out->positions));
            if (!out->requests || !out->positions) {
                abort();
            }
        }
        if (hook->method == BR_METHOD_GET && !payload) {
            /* a GET hook's query string is made from the tree (perscom/query.c) */
            payload = br_render_payload(&input, errstr, errstr_size);
            if (!payload) {
                goto done;
            }
        }
        if (br_request_build_encoded(hook, payload, json.data, json.len,
                                     (size_t)conf->max_body_bytes, in->signer,
                                     &out->requests[out->count], errstr, errstr_size) != 0) {
            goto done;
        }
        /* webhook-id names this message: a request_id from a Kafka header is shared by every
         * change of one PERSCOM request, so the id derived from the message's position is used */
        snprintf(out->requests[out->count].webhook_id,
                 sizeof(out->requests[out->count].webhook_id), "%s", derived_id);
        if (hook->method == BR_METHOD_GET && !out->json) {
            /* kept so that the request can be built again if the hook changes (no body) */
            out->json = malloc(json.len ? json.len : 1);
            if (!out->json) {
                abort();
            }
            memcpy(out->json, json.data, json.len);
            out->json_len = json.len;
        }
        out->positions[out->count] = i;
        out->count++;
    }
    status = BR_PREPARE_OK;

done:
    br_buf_finish(&json);
    json_decref(payload);
    br_change_finish(&change);
    if (status != BR_PREPARE_OK) {
        br_prepared_finish(out);
    }
    return status;
}

void br_prepared_finish(struct br_prepared *prepared)
{
    for (size_t i = 0; i < prepared->count; i++) {
        br_request_finish(&prepared->requests[i]);
    }
    free(prepared->requests);
    prepared->requests = NULL;
    free(prepared->positions);
    prepared->positions = NULL;
    prepared->count = 0;
    free(prepared->json);
    prepared->json = NULL;
    prepared->json_len = 0;
}

const char *br_prepare_status_name(enum br_prepare_status status)
{
    static const char *const names[] = {"ok", "skip", "retry", "bad"};

    return (unsigned)status < 4 ? names[status] : "unknown";
}
