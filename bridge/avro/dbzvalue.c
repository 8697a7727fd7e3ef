#include "avro/dbzvalue.h"

#include <string.h>

#include "avro/schemajson.h"

#define CONNECTOR_NAMESPACE "io.debezium.connector."

bool br_dbzvalue_reason(const char *schema_json, enum br_skip_reason *reason)
{
    struct br_schemajson schema;
    char name[512];
    const char *last;
    bool found = true;

    br_schemajson_init(&schema, schema_json);
    br_schemajson_top_name(&schema, name, sizeof(name));
    br_schemajson_finish(&schema);
    last = strrchr(name, '.');
    if (strcmp(name, CONNECTOR_NAMESPACE "common.Heartbeat") == 0) {
        *reason = BR_SKIP_HEARTBEAT;
    } else if (strcmp(name, CONNECTOR_NAMESPACE "common.TransactionMetadataValue") == 0) {
        *reason = BR_SKIP_TRANSACTION;
    } else if (strncmp(name, CONNECTOR_NAMESPACE, strlen(CONNECTOR_NAMESPACE)) == 0 && last &&
               strcmp(last, ".SchemaChangeValue") == 0) {
        *reason = BR_SKIP_SCHEMA_CHANGE;
    } else {
        found = false;
    }
    return found;
}
