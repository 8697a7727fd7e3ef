#ifndef BR_DBZVALUE_H
#define BR_DBZVALUE_H
/*
 * Debezium's own messages that are not row changes, told by the name of their value schema:
 * io.debezium.connector.<connector>.SchemaChangeValue (the schema-change topic, named
 * <topic.prefix>), io.debezium.connector.common.TransactionMetadataValue (the transaction topic,
 * <topic.prefix>.transaction) and io.debezium.connector.common.Heartbeat (the heartbeat topic,
 * __debezium-heartbeat.<topic.prefix>).
 */
#include <stdbool.h>

#include "perscom/change.h"

/* True, with the skip reason, when schema_json's top-level record is one of those. */
bool br_dbzvalue_reason(const char *schema_json, enum br_skip_reason *reason);

#endif
