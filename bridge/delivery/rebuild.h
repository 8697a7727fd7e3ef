#ifndef BR_REBUILD_H
#define BR_REBUILD_H
/*
 * A queued request built again for its hook's new settings (the hook changed while it waited):
 * the same payload, so the same JSON bytes, under the new URL, method, secrets and signature
 * mode. The sender adds the rest (headers, auth, TLS, proxy, timeout) from the hook when it
 * starts the request.
 */
#include <stddef.h>

#include "config/conf.h"
#include "delivery/request.h"

/*
 * Builds request again for hook. json: the payload's JSON encoding (a POST's body, or the one
 * kept for a GET). A GET's query string is made from that JSON read back (every value of a
 * payload reads back as the value it was written from). max_query and signer as
 * br_request_build_encoded: the loop passes its signer, so that the queued requests of a hook
 * whose secret changed are signed through one keyed context instead of a new HMAC each (NULL
 * gives the same signature, made from scratch). On success the old request is finished and
 * replaced (its webhook-id kept) and 0 returned; on failure request is unchanged and -1
 * returned with a message.
 */
int br_request_rebuild(const struct br_conf_hook *hook, const char *json, size_t json_len,
                       size_t max_query, struct br_signer *signer, struct br_request *request,
                       char *errstr, size_t errstr_size);

#endif
