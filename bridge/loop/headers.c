#include "loop/headers.h"

#include <string.h>

#include "core/utf8.h"

const char *br_header_unusable(const void *value, size_t len, size_t size)
{
    if (!value || len == 0) {
        return "empty";
    }
    if (len >= size) {
        return "too long";
    }
    if (!br_utf8_valid(value, len)) {
        return "not UTF-8";
    }
    return NULL;
}

const char *br_header_text(const rd_kafka_message_t *message, const char *name, char *buf,
                           size_t size, const char **why)
{
    rd_kafka_headers_t *headers = NULL;
    const void *value = NULL;
    size_t len = 0;

    *why = NULL;
    if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(headers, name, &value, &len) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return NULL;
    }
    if ((*why = br_header_unusable(value, len, size)) != NULL) {
        return NULL;
    }
    memcpy(buf, value, len);
    buf[len] = '\0';
    return buf;
}

/* One header's value; a header without a value is present with 0 bytes. */
static void header_bytes(rd_kafka_headers_t *headers, const char *name, const void **value,
                         size_t *len)
{
    *value = NULL;
    *len = 0;
    if (rd_kafka_header_get_last(headers, name, value, len) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *value = NULL;
        *len = 0;
    } else if (!*value) {
        *value = "";
        *len = 0;
    }
}

static bool schema_ids(const rd_kafka_message_t *message, const char *content_id,
                       const char *global_id, struct br_value_headers *out)
{
    rd_kafka_headers_t *headers = NULL;

    memset(out, 0, sizeof(*out));
    if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    header_bytes(headers, content_id, &out->content_id, &out->content_id_len);
    header_bytes(headers, global_id, &out->global_id, &out->global_id_len);
    return out->content_id || out->global_id;
}

bool br_header_value_ids(const rd_kafka_message_t *message, struct br_value_headers *out)
{
    return schema_ids(message, BR_FRAMING_CONTENT_ID_HEADER, BR_FRAMING_GLOBAL_ID_HEADER, out);
}

bool br_header_key_ids(const rd_kafka_message_t *message, struct br_value_headers *out)
{
    return schema_ids(message, "apicurio.key.contentId", "apicurio.key.globalId", out);
}

struct br_hookrow_message br_header_hookrow_message(const rd_kafka_message_t *message,
                                                    struct br_hookrow_ids *ids)
{
    struct br_hookrow_message msg = {
        .key = message->key,
        .key_len = message->key_len,
        .key_headers = br_header_key_ids(message, &ids->key) ? &ids->key : NULL,
        .value = message->payload,
        .value_len = message->payload ? message->len : 0,
        .value_headers = br_header_value_ids(message, &ids->value) ? &ids->value : NULL,
    };

    return msg;
}

bool br_header_value_ids_keep(const rd_kafka_headers_t *headers, struct br_value_headers *out,
                              rd_kafka_headers_t **kept)
{
    const char *name = NULL;
    const void *value = NULL;
    size_t size = 0;

    memset(out, 0, sizeof(*out));
    *kept = NULL;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         i++) {
        if (strcmp(name, BR_FRAMING_CONTENT_ID_HEADER) != 0 &&
            strcmp(name, BR_FRAMING_GLOBAL_ID_HEADER) != 0) {
            continue;
        }
        if (!*kept) {
            *kept = rd_kafka_headers_new(2);
        }
        rd_kafka_header_add(*kept, name, -1, value, value ? (ssize_t)size : 0);
    }
    if (!*kept) {
        return false;
    }
    /* the last occurrence of each, as br_header_value_ids reads them (a small list) */
    header_bytes(*kept, BR_FRAMING_CONTENT_ID_HEADER, &out->content_id, &out->content_id_len);
    header_bytes(*kept, BR_FRAMING_GLOBAL_ID_HEADER, &out->global_id, &out->global_id_len);
    return true;
}
