/*
 * libFuzzer target: one message of a tenant's webhooks topic through br_hookrows_decode
 * (avro/hookrow.c, avro/rowkey.c, config/tablehook.c).
 *
 * Input: byte 0 selects the path, bytes 1-2 the key's length (big-endian, cut to what is left),
 * then the key, then the value.
 *   bit 0x80: format confluent (key and value carry their framing); otherwise format avro with
 *             schemas/webhooks.avsc (keys: schemas/webhooks_key.avsc);
 *   bit 0x40: a tombstone (the value is dropped: only the key is read);
 *   bit 0x20: with confluent, the key's first 8 bytes are its apicurio.key.contentId header;
 *   bit 0x10: tenant "t1", else "acme-prod".
 * The stub registry of fuzz_harness.h answers 1 with webhooks.avsc, 2 with the same
 * envelope with long ids (Debezium's default), 3 with webhooks_key.avsc, 4 with a key of a long
 * id, 404 with "not found" and every other id with "unavailable".
 * Checked for every input: the message decoded twice gives the same result; an upsert holds a
 * complete hook named as the result says (tenant prefix, 3 s timeout, known event names, a URL
 * that passes the URL check, a secret); a delete names a hook and holds none; a refusal, retry
 * or skip says why and holds no hook. A fresh decoder per input (see fuzz_decode.c on
 * LeakSanitizer and avro-c's cached values).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro/decode.h"
#include "avro/hookrow.h"
#include "config/conf.h"
#include "config/tablehook.h"
#include "core/url.h"
#include "perscom/catalog.h"
#include "fuzz_harness.h"

static const char long_key[] = "{\"type\":\"record\",\"name\":\"Key\",\"namespace\":"
                               "\"perscom.webhooks\",\"fields\":[{\"name\":\"id\",\"type\":"
                               "\"long\"}]}";
static char *webhooks_text;
/* what the stub registry answers for ids 1..4 */
static const char *registry_texts[4];
static struct br_conf avro_conf;
static struct br_conf confluent_conf;

/* webhooks.avsc with its Decimal id type replaced by "long". */
static char *long_variant(const char *text)
{
    const char *start = strstr(text, "{\"type\": \"bytes\"");
    const char *end = start ? strstr(start, "Decimal\"}") : NULL;
    char *out;

    if (!start || !end) {
        abort();
    }
    end += strlen("Decimal\"}");
    out = calloc(1, strlen(text) + 8);
    if (!out) {
        abort();
    }
    memcpy(out, text, (size_t)(start - text));
    strcat(out, "\"long\"");
    strcat(out, end);
    return out;
}

static void delivery_defaults(struct br_conf *conf)
{
    conf->backoff_initial_ms = 500;
    conf->backoff_max_ms = 60000;
    conf->retry_after_max_ms = 300000;
    conf->table_hooks.enabled = true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    webhooks_text = fuzz_read_text("schemas/webhooks.avsc");
    registry_texts[0] = webhooks_text;
    registry_texts[1] = long_variant(webhooks_text);
    registry_texts[2] = fuzz_read_text("schemas/webhooks_key.avsc");
    registry_texts[3] = long_key;
    fuzz_registry_texts = registry_texts;
    fuzz_registry_count = 4;
    delivery_defaults(&avro_conf);
    avro_conf.table_hooks.topic.format = BR_FORMAT_AVRO;
    avro_conf.table_hooks.topic.schema_json = webhooks_text;
    delivery_defaults(&confluent_conf);
    confluent_conf.table_hooks.topic.format = BR_FORMAT_CONFLUENT;
    return 0;
}

static void fail(const char *what, const struct br_hookrow *row)
{
    fprintf(stderr, "fuzz_hookrow invariant broken: %s (kind %s, name \"%s\", reason \"%s\")\n",
            what, br_hookrow_kind_name(row->kind), row->name, row->reason);
    abort();
}

static void check_hook(const struct br_hookrow *row, const char *tenant)
{
    const struct br_conf_hook *hook = row->hook;
    char expected[BR_TABLEHOOK_NAME_MAX];
    char why[128];

    if (!hook) {
        fail("upsert without a hook", row);
    }
    if (br_tablehook_name(tenant, row->id, expected, sizeof(expected)) != 0 ||
        strcmp(expected, row->name) != 0 || strcmp(hook->name, row->name) != 0) {
        fail("hook name is not tenant:<tenant>:webhook:<id>", row);
    }
    if (hook->timeout_ms != BR_TABLEHOOK_TIMEOUT_MS || hook->signature != BR_SIGNATURE_PERSCOM ||
        hook->header_count != 0 || hook->auth != BR_AUTH_NONE || hook->proxy) {
        fail("settings beyond the row's", row);
    }
    if (!hook->url || br_url_check_http(hook->url, why, sizeof(why)) != 0) {
        fail("url that a YAML hook could not have", row);
    }
    if (hook->method != BR_METHOD_GET && hook->method != BR_METHOD_POST) {
        fail("method", row);
    }
    if (hook->secret_count != 1 || !hook->secret || hook->secret_len == 0 ||
        hook->secret != hook->secrets[0].text) {
        fail("secret", row);
    }
    if (hook->event_count == 0 || hook->event_count > BR_EVENT_COUNT) {
        fail("event count", row);
    }
    for (size_t i = 0; i < hook->event_count; i++) {
        if (strchr(hook->events[i], '*') || !br_catalog_pattern_valid(hook->events[i])) {
            fail("an event that is not a catalog name", row);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(hook->events[i], hook->events[j]) == 0) {
                fail("an event listed twice", row);
            }
        }
    }
}

static void check(const struct br_hookrow *row, const char *tenant)
{
    switch (row->kind) {
    case BR_HOOKROW_UPSERT:
        check_hook(row, tenant);
        break;
    case BR_HOOKROW_DELETE:
        if (row->hook || row->name[0] == '\0' || row->id[0] == '\0') {
            fail("delete without a name, or with a hook", row);
        }
        break;
    case BR_HOOKROW_CLEAR:
        if (row->hook) {
            fail("clear with a hook", row);
        }
        break;
    case BR_HOOKROW_SKIP:
    case BR_HOOKROW_RETRY:
    case BR_HOOKROW_REFUSED:
        if (row->hook || row->reason[0] == '\0') {
            fail("no reason, or a hook", row);
        }
        break;
    default:
        fail("unknown kind", row);
    }
}

static int same(const struct br_hookrow *a, const struct br_hookrow *b)
{
    if (a->kind != b->kind || strcmp(a->name, b->name) != 0 || strcmp(a->id, b->id) != 0 ||
        strcmp(a->reason, b->reason) != 0 || a->ts_us != b->ts_us) {
        return 0;
    }
    if (a->kind != BR_HOOKROW_UPSERT) {
        return 1;
    }
    if (strcmp(a->hook->url, b->hook->url) != 0 || a->hook->method != b->hook->method ||
        a->hook->secret_len != b->hook->secret_len ||
        memcmp(a->hook->secret, b->hook->secret, a->hook->secret_len) != 0 ||
        a->hook->event_count != b->hook->event_count) {
        return 0;
    }
    for (size_t i = 0; i < a->hook->event_count; i++) {
        if (strcmp(a->hook->events[i], b->hook->events[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned selector;
    size_t key_len;
    uint8_t *key;
    uint8_t *value;
    size_t value_len;
    unsigned char header[8];
    struct br_value_headers key_headers;
    struct br_hookrow_message msg;
    struct br_decoder *decoder;
    struct br_hookrows *rows;
    struct br_hookrow first;
    struct br_hookrow second;
    const struct br_conf *conf;
    const char *tenant;

    if (size < 3) {
        return 0;
    }
    selector = data[0];
    key_len = ((size_t)data[1] << 8) | data[2];
    data += 3;
    size -= 3;
    if (key_len > size) {
        key_len = size;
    }
    conf = (selector & 0x80) ? &confluent_conf : &avro_conf;
    tenant = (selector & 0x10) ? "t1" : "acme-prod";
    memset(&msg, 0, sizeof(msg));
    if ((selector & 0xa0) == 0xa0 && key_len >= 8) {
        memcpy(header, data, 8);
        memset(&key_headers, 0, sizeof(key_headers));
        key_headers.content_id = header;
        key_headers.content_id_len = 8;
        msg.key_headers = &key_headers;
        data += 8;
        size -= 8;
        key_len -= 8;
    }
    /* exact-size copies, so that ASan sees any read past either end */
    value_len = (selector & 0x40) ? 0 : size - key_len;
    key = fuzz_copy(data, key_len);
    value = fuzz_copy(data + key_len, value_len);
    msg.key = key_len ? key : NULL;
    msg.key_len = key_len;
    msg.value = value_len ? value : NULL;
    msg.value_len = value_len;

    decoder = br_decoder_create(FUZZ_REGISTRY);
    rows = br_hookrows_create(decoder, FUZZ_REGISTRY);
    br_hookrows_decode(rows, conf, tenant, &msg, &first);
    check(&first, tenant);
    br_hookrows_decode(rows, conf, tenant, &msg, &second);
    if (!same(&first, &second)) {
        fail("decoding the same message twice gave different results", &second);
    }
    br_hookrow_finish(&first);
    br_hookrow_finish(&second);
    br_hookrows_destroy(rows);
    br_decoder_destroy(decoder);
    free(key);
    free(value);
    return 0;
}
