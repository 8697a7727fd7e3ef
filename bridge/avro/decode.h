#ifndef BR_DECODE_H
#define BR_DECODE_H
/*
 * Avro bytes -> change record. Confluent framing (magic 0, 4-byte big-endian schema id, Avro
 * binary; writer schema from the registry) or plain Avro binary with the topic's schema file.
 * Reads with the writer schema, fields by name; never uses avro-c's schema resolution.
 */
#include <stddef.h>

#include "perscom/change.h"
#include "config/conf.h"
#include "avro/framing.h"
#include "avro/registry.h"

struct br_decoder;

enum br_decode_status {
    BR_DECODE_OK,     /* out holds the change */
    BR_DECODE_SKIP,   /* not an event (out->skip says why): tombstone (empty value), truncate
                         ('t'), Debezium's schema-change, transaction and heartbeat messages */
    BR_DECODE_RETRY,  /* the registry is unavailable: try the same message again later */
    BR_DECODE_BAD     /* permanent: bad framing, unknown schema id, a schema or message over a
                         limit, corrupt Avro, unknown op */
};

/*
 * registry may be NULL when no topic uses the confluent format. Not owned. A schema id or topic
 * schema that cannot be used (not a schema, or over a limit of schemabounds.h) is remembered
 * with its reason: later messages of it are refused without parsing it again.
 */
struct br_decoder *br_decoder_create(struct br_registry *registry);
void br_decoder_destroy(struct br_decoder *decoder);
/* The most Avro values one message may be made of (limits.max_elements; default and after 0:
 * BR_CONF_MAX_ELEMENTS_DEFAULT): a message of more is BR_DECODE_BAD, checked before avro-c
 * reads it (avrocheck.h). */
void br_decoder_set_max_elements(struct br_decoder *decoder, size_t max_elements);

/* br_decode_message without Kafka headers. */
enum br_decode_status br_decode(struct br_decoder *decoder, const struct br_conf_topic *topic,
                                const void *value, size_t len, struct br_change *out,
                                char *errstr, size_t errstr_size);

/*
 * One message value -> out. headers (may be NULL) are the message's Apicurio schema-id headers:
 * for a confluent topic, an apicurio.value.contentId header gives the schema id of a bare Avro
 * value (framing.h). Columns keep their logical types (timecols.h, logical.h).
 */
enum br_decode_status br_decode_message(struct br_decoder *decoder,
                                        const struct br_conf_topic *topic, const void *value,
                                        size_t len, const struct br_value_headers *headers,
                                        struct br_change *out, char *errstr, size_t errstr_size);

#endif
