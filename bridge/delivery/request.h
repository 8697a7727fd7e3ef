#ifndef BR_REQUEST_H
#define BR_REQUEST_H
/* One HTTP request owed to one hook: method, URL (with query for GET), body, signature. */
#include <jansson.h>
#include <stdio.h>

#include "config/conf.h"
#include "perscom/sign.h"

struct br_request {
    const struct br_conf_hook *hook; /* not owned */
    enum br_method method;
    char *url;           /* owned; GET: the hook's URL + '?' (or '&' when it has a query) + query */
    char *body;          /* owned; POST: the JSON body; GET: NULL */
    size_t body_len;
    char signature[BR_SIGN_HEX_LEN + 1]; /* HMAC of the JSON encoding of the payload */
};

/* Builds the request of hook for payload. Returns 0, or -1 with a message. */
int br_request_build(const struct br_conf_hook *hook, const json_t *payload,
                     struct br_request *out, char *errstr, size_t errstr_size);
/*
 * The same, with payload's JSON encoding (br_json_encode) already made: a message owed to
 * several hooks is encoded once. json is copied (POST body) and signed, not kept.
 */
int br_request_build_encoded(const struct br_conf_hook *hook, const json_t *payload,
                             const char *json, size_t json_len, struct br_request *out,
                             char *errstr, size_t errstr_size);
void br_request_finish(struct br_request *request);

/* The user agent sent with every request: "perscom-bridge/<version>". */
const char *br_request_user_agent(void);

/*
 * Writes the request as the render command shows it:
 *   ### hook NAME
 *   METHOD URL
 *   Content-Type: application/json
 *   Signature: <hex>
 *   User-Agent: perscom-bridge/<version>
 *   <extra headers of the hook, in config order>
 *   <blank line>
 *   <body, one line; empty for GET>
 *   <blank line>
 */
void br_request_print(const struct br_request *request, FILE *out);

#endif
