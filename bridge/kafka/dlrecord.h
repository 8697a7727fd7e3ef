#ifndef BR_DLRECORD_H
#define BR_DLRECORD_H
/*
 * The records the producer side writes, as the contract of issue 3 fixes them; no I/O here.
 *
 * Dead-letter record: key and value are the original bytes, unchanged; headers, all UTF-8 text:
 * perscom.topic, perscom.partition, perscom.offset, perscom.hook (absent when undecodable),
 * perscom.event (absent when not known), perscom.status (absent when no response),
 * perscom.error, perscom.attempts, perscom.first_attempt and perscom.last_attempt (ISO-8601 UTC
 * with milliseconds, absent with 0 attempts), perscom.reason, perscom.request_id (the payload's
 * request_id: the Kafka header's or the derived one; absent when the message was not rendered)
 * and perscom.trace_id (the usable Kafka header trace_id; absent when there was none), so that
 * a replay renders the same payload; before them, the original headers the value needs to be
 * decoded again (Apicurio's apicurio.value.contentId / globalId), as the original had them.
 *
 * Delivery report record: key = the original key; value =
 * {"event":...,"hook":...,"status":204|null,
 *  "outcome":"delivered"|"dead_lettered"|"dropped"|"hook_deleted",
 *  "attempts":1,"latency_ms":12,"topic":"...","partition":3,"offset":1234,"request_id":...,
 *  "reason":"refused"|"exhausted"|"undecodable"|"egress_refused"|null,"error":"..."|null}
 */
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

enum br_dead_reason {
    BR_DEAD_REFUSED,     /* permanent HTTP answer (3xx not followed, 4xx but 408/425/429) */
    BR_DEAD_EXHAUSTED,   /* max_attempts or max_age reached */
    BR_DEAD_UNDECODABLE, /* bad framing, unknown schema id, corrupt Avro, unknown resource/op */
    BR_DEAD_EGRESS,      /* the outbound request guard refused the hook's address */
};

/* Everything is borrowed: br_deadletter_send copies what it needs before returning. */
struct br_dead_record {
    const char *topic;        /* original topic */
    int32_t partition;        /* original partition */
    int64_t offset;           /* original offset */
    const void *key;          /* original key bytes, or NULL: the record has no key */
    size_t key_len;
    const void *value;        /* original value bytes, or NULL: a null value (tombstone) */
    size_t value_len;
    const char *hook;         /* hook name, or NULL (undecodable): header absent */
    const char *event;        /* "rankrecord.created", or NULL (not known): header absent */
    long http_status;         /* last HTTP status, 0 = none received: header absent */
    const char *error;        /* "HTTP 400", "exhausted after 5 attempts: ...", decode error */
    unsigned attempts;        /* 0 for undecodable messages */
    int64_t first_attempt_ms; /* wall clock, ms since the epoch; 0 = none: header absent */
    int64_t last_attempt_ms;  /* same */
    enum br_dead_reason reason;
    const char *request_id;   /* the payload's request_id, or NULL: header absent */
    const char *trace_id;     /* the Kafka header trace_id, or NULL: header absent */
    const rd_kafka_headers_t *original; /* original headers to carry on, or NULL: none */
};

/* A dead-letter record's perscom.* headers, read back (br_dlrecord_parse). */
struct br_dead_header {
    char topic[256];          /* original topic (Kafka names have at most 249 bytes) */
    int32_t partition;
    int64_t offset;
    char hook[256];           /* empty when absent */
    char event[64];           /* empty when absent */
    long http_status;         /* 0 when absent */
    enum br_dead_reason reason;
    unsigned attempts;
    char request_id[128];     /* empty when absent */
    char trace_id[128];       /* empty when absent */
};

enum br_report_outcome {
    BR_REPORT_DELIVERED,
    BR_REPORT_DEAD_LETTERED,
    BR_REPORT_DROPPED,
    BR_REPORT_HOOK_DELETED /* the hook was removed before the delivery was sent */
};

/* Everything is borrowed, as above. */
struct br_delivery_report {
    const char *topic;       /* original topic */
    int32_t partition;
    int64_t offset;
    const void *key;         /* original key bytes (the report's key), or NULL */
    size_t key_len;
    const char *event;       /* or NULL: JSON null */
    const char *hook;        /* or NULL: JSON null */
    long http_status;        /* 0 = no response: JSON null */
    enum br_report_outcome outcome;
    unsigned attempts;
    int64_t latency_ms;      /* first attempt start to finish */
    const char *request_id;  /* PERSCOM's request id, or NULL: JSON null */
    const char *reason;      /* why it was not delivered (br_dlrecord_reason_name), or NULL */
    const char *error;       /* the last error ("HTTP 400", "egress refused: ..."), or NULL */
};

/*
 * The perscom.* headers of a dead-letter record, in the order above. The caller owns them: it
 * hands them to rd_kafka_producev or destroys them (rd_kafka_headers_destroy).
 */
rd_kafka_headers_t *br_dlrecord_headers(const struct br_dead_record *rec);

/*
 * Reads the perscom.* headers of a dead-letter record (the last of each name counts).
 * perscom.topic, perscom.partition, perscom.offset and perscom.reason are required; every value
 * must be UTF-8 text that fits out's fields, numbers whole and in range. Returns 0, or -1 with
 * a message naming the header at fault ("not a dead-letter record: ...").
 */
int br_dlrecord_parse(const rd_kafka_headers_t *headers, struct br_dead_header *out,
                      char *errstr, size_t errstr_size);

/*
 * The JSON value of a delivery report, NUL-terminated, malloc'd (the caller frees it), its
 * length in *len; NULL with a message when a string is not valid UTF-8.
 */
char *br_dlrecord_report_json(const struct br_delivery_report *rep, size_t *len, char *errstr,
                              size_t errstr_size);

/* "refused", "exhausted", "undecodable", "egress_refused" */
const char *br_dlrecord_reason_name(enum br_dead_reason reason);
/* The reason of that name; -1 when it is none of them. */
int br_dlrecord_reason_parse(const char *name);
/* "delivered", "dead_lettered", "dropped" */
const char *br_dlrecord_outcome_name(enum br_report_outcome outcome);

/* Writes ms since the epoch as "2026-05-01T10:00:00.123Z" (UTC) into out. */
#define BR_DLRECORD_TIME_MAX 32
void br_dlrecord_format_time(int64_t ms, char out[BR_DLRECORD_TIME_MAX]);

#endif
