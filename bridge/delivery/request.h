#ifndef BR_REQUEST_H
#define BR_REQUEST_H
/*
 * One HTTP request owed to one hook: method, URL (with query for GET), body, PERSCOM signature,
 * and what its Standard Webhooks headers are made of (signed when sent: they carry the time).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "config/conf.h"
#include "perscom/sign.h"

struct br_request {
    const struct br_conf_hook *hook; /* not owned */
    enum br_method method;
    char *url;           /* owned; GET: the hook's URL + '?' (or '&' when it has a query) + query */
    char *body;          /* owned; POST: the JSON body; GET: NULL */
    size_t body_len;
    char signature[BR_SIGN_HEX_LEN + 1]; /* HMAC of the JSON encoding of the payload; empty
                                          * when the hook's signature mode is standard */
    char webhook_id[128];  /* Standard Webhooks webhook-id: one per message, the same on every
                            * attempt (br_request_build*: the payload's request_id) */
};

/* webhook-signature of a hook: one "v1,<base64>" per secret, space-separated. */
#define BR_REQUEST_STANDARD_MAX (BR_CONF_SECRETS_MAX * (BR_SIGN_STANDARD_LEN + 1))

/* Builds the request of hook for payload. Returns 0, or -1 with a message. */
int br_request_build(const struct br_conf_hook *hook, const json_t *payload,
                     struct br_request *out, char *errstr, size_t errstr_size);
/*
 * The same, with payload's JSON encoding (br_json_encode) already made: a message owed to
 * several hooks is encoded once. json is copied (POST body) and signed, not kept. max_query
 * bounds a GET's query string (limits.max_body_bytes; 0: the buffer's default limit). payload
 * is needed for a GET hook's query string only and may be NULL for a POST hook (webhook_id is
 * then left empty for the caller to set). signer: reused HMAC contexts (sign.h), or NULL.
 */
int br_request_build_encoded(const struct br_conf_hook *hook, const json_t *payload,
                             const char *json, size_t json_len, size_t max_query,
                             struct br_signer *signer, struct br_request *out, char *errstr,
                             size_t errstr_size);
void br_request_finish(struct br_request *request);

/*
 * What the Standard Webhooks signature covers: a POST's body; a GET's query string as sent (the
 * URL after its first '?'), which is what the receiver has (it cannot rebuild the JSON).
 */
void br_request_signed_content(const struct br_request *request, const char **content,
                               size_t *len);

/*
 * The webhook-signature value of request at unix time timestamp (which goes into
 * webhook-timestamp): "v1,<base64 HMAC-SHA256 of id.timestamp.content>" for each secret of the
 * hook, in order, space-separated. Returns 0, or -1 with a message (the hook has no Standard
 * Webhooks key).
 */
int br_request_sign_standard(const struct br_request *request, int64_t timestamp,
                             char out[BR_REQUEST_STANDARD_MAX], char *errstr, size_t errstr_size);

/* The user agent sent with every request: "perscom-bridge/<version>". */
const char *br_request_user_agent(void);

/*
 * Writes the request as the render command shows it, Standard Webhooks headers signed now
 * (br_request_print_at: at the unix time timestamp):
 *   ### hook NAME
 *   METHOD URL                         (credentials in the URL shown as ***)
 *   Content-Type: application/json
 *   Signature: <hex>                   (signature perscom or both)
 *   webhook-id: <id>                   (signature standard or both)
 *   webhook-timestamp: <timestamp>
 *   webhook-signature: v1,<base64> ...
 *   Authorization: Bearer ***          (or Basic ***: auth is never shown)
 *   User-Agent: perscom-bridge/<version>
 *   <extra headers of the hook, in config order>
 *   <blank line>
 *   <body, one line; empty for GET>
 *   <blank line>
 */
void br_request_print(const struct br_request *request, FILE *out);
void br_request_print_at(const struct br_request *request, int64_t timestamp, FILE *out);

#endif
