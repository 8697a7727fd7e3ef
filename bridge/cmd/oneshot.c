#include "cmd/oneshot.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/lanes.h"

struct wait {
    struct br_oneshot_result *out;
    bool done;
};

static char *copy(const char *data, size_t len)
{
    char *text = malloc(len + 1);

    if (!text) {
        abort();
    }
    if (len > 0) {
        memcpy(text, data, len);
    }
    text[len] = '\0';
    return text;
}

static void on_done(void *opaque, struct br_delivery *delivery,
                    const struct br_transfer_result *result)
{
    struct wait *wait = opaque;
    struct br_oneshot_result *out = wait->out;

    (void)delivery;
    out->transfer = *result;
    if (result->headers) {
        out->headers = copy(result->headers, result->headers_len);
        out->body = copy(result->body, result->body_len);
        out->transfer.headers = out->headers;
        out->transfer.body = out->body;
    }
    wait->done = true;
}

int br_oneshot_send(struct br_sender *sender, const struct br_request *request,
                    struct br_oneshot_result *out, char *errstr, size_t errstr_size)
{
    struct br_delivery delivery;
    struct wait wait = {.out = out};

    memset(out, 0, sizeof(*out));
    memset(&delivery, 0, sizeof(delivery));
    delivery.request = *request; /* borrowed: never finished here */
    if (br_sender_start(sender, &delivery, request->hook->timeout_ms, errstr, errstr_size) != 0) {
        return -1;
    }
    /* the sender's own timeout ends the transfer; the wait only paces the turns */
    while (!wait.done) {
        if (br_sender_wait(sender, NULL, 0, 0, 1000) < 0) {
            br_sender_cancel(sender, &delivery);
            snprintf(errstr, errstr_size, "waiting for the transfer failed");
            return -1;
        }
        br_sender_perform(sender, on_done, &wait);
    }
    return 0;
}

void br_oneshot_finish(struct br_oneshot_result *result)
{
    free(result->headers);
    free(result->body);
    memset(result, 0, sizeof(*result));
}
