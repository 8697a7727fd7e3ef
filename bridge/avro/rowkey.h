#ifndef BR_ROWKEY_H
#define BR_ROWKEY_H
/*
 * The `id` of a Debezium message key (a record with the table's primary key: {id}), as decimal
 * text. A confluent topic's key is framed like its values (Confluent framing, or Apicurio's
 * apicurio.key.contentId header) with its writer schema from the registry; a format avro
 * topic's key is Avro binary of schemas/webhooks_key.avsc (BR_ROWKEY_SCHEMA). The id may be an
 * int, a long, a string of digits or a decimal of scale 0 (Debezium's
 * bigint.unsigned.handling.mode=precise). Used for the webhooks tables' tombstones
 * (avro/hookrow.h), whose value is empty.
 */
#include <stddef.h>

#include "avro/decode.h"
#include "avro/framing.h"
#include "avro/registry.h"
#include "config/conf.h"

/* The key schema of a format avro webhooks topic: schemas/webhooks_key.avsc, as written. */
extern const char BR_ROWKEY_SCHEMA[];

struct br_rowkey;

/* registry may be NULL (format avro only); not owned. */
struct br_rowkey *br_rowkey_create(struct br_registry *registry);
void br_rowkey_destroy(struct br_rowkey *rowkey);

/*
 * The id of key (len bytes; headers: its Apicurio key headers, or NULL) of a topic framed as
 * topic says, written into id (decimal digits, '-' first when negative). BR_DECODE_OK;
 * BR_DECODE_RETRY when the registry is unavailable; BR_DECODE_BAD with the reason in errstr
 * (no key, framing, unknown schema, corrupt Avro, no usable id).
 */
enum br_decode_status br_rowkey_id(struct br_rowkey *rowkey, const struct br_conf_topic *topic,
                                   const void *key, size_t len,
                                   const struct br_value_headers *headers, char *id,
                                   size_t id_size, char *errstr, size_t errstr_size);

#endif
