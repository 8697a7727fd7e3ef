#ifndef BR_FUZZ_CHECK_H
#define BR_FUZZ_CHECK_H
/*
 * Shared by the decoder and renderer fuzz targets: renders a change the way message.c does
 * (br_render_payload, then br_json_encode for the body and br_query_build for GET hooks) and
 * checks what must hold for every input:
 *   - an encoded body is ASCII without control characters (json_encode escapes everything
 *     else; it leaves DEL, 0x7f, as it is) and parses back with jansson;
 *   - rendering is deterministic: a second render + encode gives the same bytes;
 *   - a built query string uses only RFC 3986 unreserved characters, '=', '&' and "%XX" with
 *     upper-case hex digits.
 * A broken invariant aborts, which libFuzzer reports as a crash with the input saved.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "perscom/catalog.h"
#include "perscom/change.h"
#include "perscom/json.h"
#include "perscom/query.h"
#include "perscom/render.h"

static void fuzz_fail(const char *what, const char *bytes, size_t len)
{
    fprintf(stderr, "fuzz invariant broken: %s\n%.*s\n", what, (int)(len > 4096 ? 4096 : len),
            bytes ? bytes : "");
    abort();
}

static int fuzz_hex_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static void fuzz_check_query(const char *q, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = q[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '=' || c == '&') {
            continue;
        }
        if (c == '%' && i + 2 < len && fuzz_hex_upper(q[i + 1]) && fuzz_hex_upper(q[i + 2])) {
            i += 2;
            continue;
        }
        fuzz_fail("query string: character outside the RFC 3986 set", q, len);
    }
}

/* Encodes payload into out (reset first); 0 when encoding succeeded. */
static int fuzz_encode(const json_t *payload, struct br_buf *out)
{
    char errstr[512];

    br_buf_reset(out);
    return br_json_encode(payload, out, errstr, sizeof(errstr));
}

static void fuzz_render_check(const struct br_render_input *in)
{
    char errstr[512];
    struct br_buf body;
    struct br_buf again;
    struct br_buf query;
    json_t *payload = NULL;
    json_t *second = NULL;

    br_buf_init(&body, 0);
    br_buf_init(&again, 0);
    br_buf_init(&query, 0);
    payload = br_render_payload(in, errstr, sizeof(errstr));
    if (!payload) {
        goto done;
    }
    if (fuzz_encode(payload, &body) == 0) {
        json_error_t error;
        json_t *parsed;

        for (size_t i = 0; i < body.len; i++) {
            unsigned char c = (unsigned char)body.data[i];
            if (c < 0x20 || c > 0x7f) {
                fuzz_fail("body: control or non-ASCII byte", body.data, body.len);
            }
        }
        parsed = json_loadb(body.data, body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        if (!parsed) {
            fprintf(stderr, "jansson: %s at %d\n", error.text, error.position);
            fuzz_fail("body does not parse back", body.data, body.len);
        }
        json_decref(parsed);

        /* the body written straight from the change is the tree's encoding, byte for byte */
        br_buf_reset(&again);
        if (br_render_encode(in, &again, errstr, sizeof(errstr)) != 0 || again.len != body.len ||
            memcmp(again.data, body.data, body.len) != 0) {
            fuzz_fail("br_render_encode differs from the tree's encoding", body.data, body.len);
        }
        br_buf_reset(&again);

        second = br_render_payload(in, errstr, sizeof(errstr));
        if (!second || fuzz_encode(second, &again) != 0 || again.len != body.len ||
            memcmp(again.data, body.data, body.len) != 0) {
            fuzz_fail("render is not deterministic", body.data, body.len);
        }
    }
    if (br_query_build(payload, &query, errstr, sizeof(errstr)) == 0) {
        fuzz_check_query(query.data ? query.data : "", query.len);
    }
done:
    json_decref(payload);
    json_decref(second);
    br_buf_finish(&body);
    br_buf_finish(&again);
    br_buf_finish(&query);
}

#endif
