#ifndef BR_HEADERS_H
#define BR_HEADERS_H
/*
 * The Kafka headers the message path reads, with one rule for run, render and replay:
 * request_id and trace_id are used only when their text is usable (else they count as absent:
 * a derived request_id, a null trace_id), and Apicurio's schema-id headers feed the framing.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "avro/framing.h"
#include "avro/hookrow.h"

/* The buffer size of a request_id or trace_id: its text has at most 127 bytes. */
#define BR_HEADER_TEXT_SIZE 128

/*
 * Why a header's text cannot be used, or NULL when it can: "empty", "too long" (size bytes or
 * more, with room for the NUL) or "not UTF-8" (json_encode would refuse it).
 */
const char *br_header_unusable(const void *value, size_t len, size_t size);

/*
 * Copies header name's value into buf (NUL-terminated) and returns buf. NULL when the header
 * is absent (*why = NULL) or unusable (*why = the reason of br_header_unusable).
 */
const char *br_header_text(const rd_kafka_message_t *message, const char *name, char *buf,
                           size_t size, const char **why);

/* Apicurio's schema-id headers of message (avro/framing.h); false when it has neither. */
bool br_header_value_ids(const rd_kafka_message_t *message, struct br_value_headers *out);
/* The same for the key: apicurio.key.contentId and apicurio.key.globalId (webhooks topics). */
bool br_header_key_ids(const rd_kafka_message_t *message, struct br_value_headers *out);

/* The schema-id headers of a webhooks-topic message (key and value), kept for its decoding. */
struct br_hookrow_ids {
    struct br_value_headers key;
    struct br_value_headers value;
};

/*
 * A webhooks-topic message as avro/hookrow.h decodes it: key, value (NULL/0 for a tombstone)
 * and their schema-id headers, which it points to in ids (the caller's, alive as long as the
 * result). It points into message: used while message is.
 */
struct br_hookrow_message br_header_hookrow_message(const rd_kafka_message_t *message,
                                                    struct br_hookrow_ids *ids);

/*
 * The same from headers in one pass, also copying every occurrence of them, in order, into
 * *kept (a new list the caller owns): what a message's dead letter carries on. out points into
 * *kept. false, with *kept NULL, when headers has neither.
 */
bool br_header_value_ids_keep(const rd_kafka_headers_t *headers, struct br_value_headers *out,
                              rd_kafka_headers_t **kept);

#endif
