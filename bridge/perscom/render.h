#ifndef BR_RENDER_H
#define BR_RENDER_H
/*
 * Change record -> the PERSCOM payload (perscom-wire.md): {event, created, request_id,
 * trace_id, data, changes}. Deterministic: the same input always gives the same tree.
 */
#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "perscom/catalog.h"
#include "perscom/change.h"

struct br_render_input {
    const struct br_resource *resource;
    enum br_action action;
    const struct br_change *change;
    const char *request_id; /* from the Kafka header "request_id", or NULL: derived below */
    const char *trace_id;   /* from the Kafka header "trace_id", or NULL: JSON null */
    const char *topic;      /* where the message came from, for the derived request_id */
    int32_t partition;
    int64_t offset;
};

/* Returns a new payload object (caller decrefs), or NULL with a message. */
json_t *br_render_payload(const struct br_render_input *in, char *errstr, size_t errstr_size);

/*
 * The payload's JSON (PHP's json_encode) appended to out, written as it is made: the same bytes
 * as br_json_encode(br_render_payload(in)), and the same error for the same input, without the
 * tree. Returns 0, or -1 with a message, or BR_JSON_OVER_LIMIT (json.h) when out would pass its
 * limit; on failure out is left as it was.
 */
int br_render_encode(const struct br_render_input *in, struct br_buf *out, char *errstr,
                     size_t errstr_size);

/* A name-based UUID (version 5, SHA-1) of "topic/partition/offset": 36 chars + NUL. */
void br_render_derived_uuid(const char *topic, int32_t partition, int64_t offset, char out[37]);

/* "2026-05-01T10:00:00.123456Z" (28 chars + NUL) and "2026-05-01 10:00:00" (19 chars + NUL). */
void br_render_iso_time(int64_t time_us, char out[32]);
void br_render_raw_time(int64_t time_us, char out[32]);

#endif
