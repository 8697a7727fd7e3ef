#ifndef BR_MESSAGE_H
#define BR_MESSAGE_H
/*
 * One Kafka message -> the requests it owes: topic entry, decode, event name, subscribed hooks,
 * render, sign. Shared by the run loop and the render command, so both give the same bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "avro/decode.h"
#include "delivery/request.h"

enum br_prepare_status {
    BR_PREPARE_OK,    /* requests holds count requests (0 when no hook is subscribed) */
    BR_PREPARE_SKIP,  /* not an event; out->skip says why (tombstone, truncate, skipped snapshot
                         read, not a PERSCOM table, Debezium's own topics) */
    BR_PREPARE_RETRY, /* the schema registry is unavailable: try again later */
    BR_PREPARE_BAD    /* the message can never be delivered; errstr says why */
};

struct br_message_in {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *value;
    size_t len;
    const char *request_id; /* Kafka header "request_id", or NULL */
    const char *trace_id;   /* Kafka header "trace_id", or NULL */
    const struct br_value_headers *headers; /* Apicurio's schema-id headers, or NULL */
    const struct br_conf_topic *topic_conf; /* the topic's entry when the caller knows it (the
                                             * run loop's partition does), or NULL: looked up */
    struct br_signer *signer; /* reused HMAC contexts (the run loop's), or NULL */
};

/* The hooks a message may go to (the run loop's live hook set; every hook of conf otherwise). */
struct br_hook_list {
    const struct br_conf_hook *const *hooks; /* count of them, not owned */
    size_t count;
};

struct br_prepared {
    char event[64];              /* "rankrecord.created"; empty when not known */
    char request_id[128];        /* the payload's request_id (header or derived); empty if none */
    struct br_request *requests; /* owned array */
    size_t *positions;           /* owned: requests[i] is for hooks->hooks[positions[i]] */
    size_t count;
    char *json;                  /* owned: the payload's JSON encoding when a request is a GET
                                  * (a POST's body is that JSON), else NULL */
    size_t json_len;
    enum br_skip_reason skip;    /* BR_PREPARE_SKIP: why the message is not an event */
};

/* only_hook: NULL for every subscribed hook, else just the hook of that name. */
enum br_prepare_status br_message_prepare(const struct br_conf *conf, struct br_decoder *decoder,
                                          const struct br_message_in *in, const char *only_hook,
                                          struct br_prepared *out, char *errstr,
                                          size_t errstr_size);
/* The same for the hooks of hooks instead of conf's (the run loop's live hook set). */
enum br_prepare_status br_message_prepare_for(const struct br_conf *conf,
                                              const struct br_hook_list *hooks,
                                              struct br_decoder *decoder,
                                              const struct br_message_in *in,
                                              const char *only_hook, struct br_prepared *out,
                                              char *errstr, size_t errstr_size);
void br_prepared_finish(struct br_prepared *prepared);

const char *br_prepare_status_name(enum br_prepare_status status);

#endif
