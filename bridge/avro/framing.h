#ifndef BR_FRAMING_H
#define BR_FRAMING_H
/*
 * Where the writer-schema id of a `confluent` topic's value is, and what is wrong when it is not
 * there: Confluent framing (magic byte 0, 4-byte big-endian id, Avro), or Apicurio's default,
 * bare Avro with the id in a Kafka header (docs/debezium.md, "Converters").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Apicurio's value headers (io.apicurio.registry.serde.SerdeHeaders), as the message has them. */
#define BR_FRAMING_CONTENT_ID_HEADER "apicurio.value.contentId"
#define BR_FRAMING_GLOBAL_ID_HEADER "apicurio.value.globalId"

/* The Kafka headers of a message that may carry its schema id; NULL values when absent. */
struct br_value_headers {
    const void *content_id; /* apicurio.value.contentId: 8-byte big-endian long */
    size_t content_id_len;
    const void *global_id;  /* apicurio.value.globalId: 8-byte big-endian long */
    size_t global_id_len;
};

/*
 * Splits a confluent topic's value into its schema id and Avro bytes. With an
 * apicurio.value.contentId header the id is the header's and the whole value is Avro (Apicurio's
 * Confluent-compatible API serves content ids at /schemas/ids/{id}); *from_header says so.
 * Otherwise the value must be Confluent-framed. headers may be NULL. Returns 0, or -1 with a
 * diagnosis in errstr (under 256 bytes) that names the converter settings to change.
 */
int br_framing_split(const void *value, size_t len, const struct br_value_headers *headers,
                     int32_t *id, const uint8_t **avro, size_t *avro_len, bool *from_header,
                     char *errstr, size_t errstr_size);

#endif
