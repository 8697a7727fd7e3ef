#include "avro/framing.h"

#include <stdio.h>

/* The converter settings that make Apicurio write Confluent framing with usable ids. Every
 * message stays under 256 bytes, the size a dead letter's reason keeps. */
#define SETTINGS                                                                                  \
    "apicurio.registry.as-confluent=true, apicurio.registry.use-id=contentId and "               \
    "apicurio.registry.headers.enabled=false"

/* A header's 8-byte big-endian long; -1 when it is not 8 bytes long. */
static int header_long(const void *value, size_t len, int64_t *out)
{
    const uint8_t *bytes = value;
    uint64_t v = 0;

    if (len != 8) {
        return -1;
    }
    for (size_t i = 0; i < 8; i++) {
        v = (v << 8) | bytes[i];
    }
    *out = (int64_t)v;
    return 0;
}

static int from_content_id(const struct br_value_headers *headers, int32_t *id, char *errstr,
                           size_t errstr_size)
{
    int64_t content_id;

    if (header_long(headers->content_id, headers->content_id_len, &content_id) != 0) {
        snprintf(errstr, errstr_size,
                 "Kafka header " BR_FRAMING_CONTENT_ID_HEADER " of %zu bytes (Apicurio writes an "
                 "8-byte big-endian id)",
                 headers->content_id_len);
        return -1;
    }
    if (content_id < 1 || content_id > INT32_MAX) {
        snprintf(errstr, errstr_size,
                 "header " BR_FRAMING_CONTENT_ID_HEADER " holds %lld, not a schema id of 1..%d; "
                 "set the converter's " SETTINGS,
                 (long long)content_id, INT32_MAX);
        return -1;
    }
    *id = (int32_t)content_id;
    return 0;
}

int br_framing_split(const void *value, size_t len, const struct br_value_headers *headers,
                     int32_t *id, const uint8_t **avro, size_t *avro_len, bool *from_header,
                     char *errstr, size_t errstr_size)
{
    const uint8_t *bytes = value;

    *from_header = false;
    if (headers && headers->content_id) {
        if (from_content_id(headers, id, errstr, errstr_size) != 0) {
            return -1;
        }
        *from_header = true;
        *avro = bytes;
        *avro_len = len;
        return 0;
    }
    if (headers && headers->global_id) {
        int64_t global_id = -1;

        header_long(headers->global_id, headers->global_id_len, &global_id);
        snprintf(errstr, errstr_size,
                 "bare Avro with global id %lld in header " BR_FRAMING_GLOBAL_ID_HEADER
                 " (Apicurio's default framing); set the converter's " SETTINGS,
                 (long long)global_id);
        return -1;
    }
    if (len < 5) {
        snprintf(errstr, errstr_size, "%zu bytes: too short for Confluent framing", len);
        return -1;
    }
    if (bytes[0] != 0) {
        snprintf(errstr, errstr_size,
                 "bad magic byte %u (want 0): not Confluent framing; with Apicurio's converter "
                 "set " SETTINGS,
                 bytes[0]);
        return -1;
    }
    *id = (int32_t)(((uint32_t)bytes[1] << 24) | ((uint32_t)bytes[2] << 16) |
                    ((uint32_t)bytes[3] << 8) | bytes[4]);
    if (*id == 0) {
        snprintf(errstr, errstr_size,
                 "schema id 0 (Apicurio writes an 8-byte id unless as-confluent); set the "
                 "converter's " SETTINGS);
        return -1;
    }
    *avro = bytes + 5;
    *avro_len = len - 5;
    return 0;
}
