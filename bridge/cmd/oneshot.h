#ifndef BR_ONESHOT_H
#define BR_ONESHOT_H
/*
 * One request through the real sender (the hook's TLS, headers and timeout apply), waited for
 * to its end: for the commands that send one request at a time (test-hook, replay).
 */
#include <stddef.h>

#include "delivery/request.h"
#include "delivery/sender.h"

struct br_oneshot_result {
    struct br_transfer_result transfer; /* headers and body point at the fields below */
    char *headers;                      /* owned copies, when the sender captures */
    char *body;
};

/*
 * Sends request (borrowed) and waits until it finishes or the hook's timeout_ms passes.
 * Returns 0 with the outcome in out (free it with br_oneshot_finish), or -1 with a message when
 * the request could not be started.
 */
int br_oneshot_send(struct br_sender *sender, const struct br_request *request,
                    struct br_oneshot_result *out, char *errstr, size_t errstr_size);
void br_oneshot_finish(struct br_oneshot_result *result);

#endif
