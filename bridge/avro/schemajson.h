#ifndef BR_SCHEMAJSON_H
#define BR_SCHEMAJSON_H
/*
 * Reading an Avro schema's JSON text with jansson: avro-c drops the attributes the bridge needs
 * (logicalType, scale, connect.name, connect.parameters), so timecols.c and logical.c read them
 * here. Everything returned is borrowed from the parsed schema.
 */
#include <jansson.h>

/* The parsed schema text and an index of its named types (record, enum, fixed). */
struct br_schemajson {
    json_t *root;  /* NULL when the text is not JSON */
    json_t *names; /* full name -> declaration */
};

void br_schemajson_init(struct br_schemajson *schema, const char *text);
void br_schemajson_finish(struct br_schemajson *schema);

/*
 * The columns (the "fields" array) of the record type of the top-level record's field `field`
 * ("before", "after"); NULL when there is no such record.
 */
json_t *br_schemajson_columns(const struct br_schemajson *schema, const char *field);

/* A column's type: the one non-null branch of a union, name references resolved; NULL when the
 * union has more than one non-null branch. */
json_t *br_schemajson_column_type(const struct br_schemajson *schema, json_t *type);

/* 1 when type (an object) has key with the string value want. */
int br_schemajson_is(json_t *type, const char *key, const char *want);

/* The full name of the top-level type ("io.debezium.connector.common.Heartbeat") written to
 * out; empty when it has none. */
void br_schemajson_top_name(const struct br_schemajson *schema, char *out, size_t out_size);

#endif
