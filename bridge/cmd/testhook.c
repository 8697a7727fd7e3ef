/*
 * perscom-bridge test-hook --config FILE --hook NAME [--event EVENT]: one signed sample event
 * through the real sender, like PERSCOM's "Test webhook" action; prints the request, the
 * response (status, headers, the first KiB of the body) and the timings; the exit code says
 * how it went (cmd/probe.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "avro/decode.h"
#include "avro/registry.h"
#include "cmd/cmdutil.h"
#include "cmd/hookview.h"
#include "cmd/oneshot.h"
#include "cmd/probe.h"
#include "delivery/egress.h"
#include "perscom/render.h"
#include "perscom/sample.h"

#define BODY_SHOWN 1024

static const char help_text[] =
    "Usage: perscom-bridge test-hook --config FILE --hook NAME [--event EVENT]\n"
    "Sends the hook one signed sample event (the hook's first subscribed event, or EVENT,\n"
    "which the hook must subscribe to) built from a sample row of the event's table, through\n"
    "the real sender, and prints the request, the response's status, headers and first KiB of\n"
    "body, and the timings (DNS, connect, TLS, first byte, total).\n"
    "Exit codes: 0 the hook answered 2xx; 10 connection refused; 11 timeout (the hook's\n"
    "timeout_ms); 12 TLS failure; 13 HTTP 4xx; 14 HTTP 5xx; 15 DNS failure; 16 anything else\n"
    "(1xx or 3xx answer, reset, ...); 17 refused by the outbound request guard (egress: the\n"
    "hook's address is loopback, private, link-local, ...; nothing sent); 1 runtime failure;\n"
    "2 usage error; 3 configuration error.\n"
    "A table hook (NAME tenant:<tenant>:webhook:<id>, with table_hooks) is read from the\n"
    "webhooks topics first, as the bridge reads them at start.\n";

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes len bytes with control characters other than newline and tab as \xNN; CR dropped. */
static void print_text(const char *data, size_t len, FILE *out)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\r') {
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fprintf(out, "\\x%02x", c);
        } else {
            fputc(c, out);
        }
    }
}

/* The sample event's request for hook: rendered, encoded and signed as the run loop does. */
static int build_request(const struct br_conf_hook *hook, const char *event,
                         struct br_request *request, char *errstr, size_t errstr_size)
{
    char resource_name[64];
    const char *dot = strchr(event, '.');
    const struct br_resource *resource;
    enum br_action action = BR_ACTION_CREATED;
    struct br_change change;
    char request_id[37];
    char topic[300];
    json_t *payload;
    int rc;

    snprintf(resource_name, sizeof(resource_name), "%.*s", (int)(dot - event), event);
    resource = br_catalog_by_name(resource_name);
    for (int a = 0; a < BR_ACTION_COUNT; a++) {
        if (strcmp(dot + 1, br_catalog_action_name((enum br_action)a)) == 0) {
            action = (enum br_action)a;
        }
    }
    int64_t now = now_us();
    if (br_sample_change(resource, action, now, &change) != 0) {
        snprintf(errstr, errstr_size, "no sample row for %s", event);
        return -1;
    }
    /* a fresh request_id per test: receivers that dedupe on it take every test */
    snprintf(topic, sizeof(topic), "test-hook/%s", hook->name);
    br_render_derived_uuid(topic, 0, now, request_id);
    struct br_render_input input = {
        .resource = resource,
        .action = action,
        .change = &change,
        .request_id = request_id,
        .trace_id = NULL,
        .topic = topic,
    };
    payload = br_render_payload(&input, errstr, errstr_size);
    rc = payload ? br_request_build(hook, payload, request, errstr, errstr_size) : -1;
    json_decref(payload);
    br_change_finish(&change);
    return rc;
}

static void print_response(const struct br_transfer_result *result)
{
    char timings[256];

    printf("--- response\n");
    if (result->transport_ok) {
        print_text(result->headers, result->headers_len, stdout);
        if (result->body_len > 0) {
            print_text(result->body, result->body_len, stdout);
            if (result->body_total > result->body_len) {
                printf("\n[... %zu more bytes]", result->body_total - result->body_len);
            }
            fputc('\n', stdout);
        }
    } else {
        printf("(no response)\n");
    }
    br_probe_format_timings(result, timings, sizeof(timings));
    printf("--- timings\n%s\n", timings);
}

int br_cmd_test_hook(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"hook", required_argument, NULL, 'k'},
        {"event", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    const char *hook_name = NULL;
    const char *requested = NULL;
    const struct br_conf_hook *hook;
    struct br_conf *conf = NULL;
    struct br_registry *registry = NULL;
    struct br_decoder *decoder = NULL;
    struct br_hookview *view = NULL;
    struct br_sender *sender = NULL;
    struct br_request request = {0};
    struct br_oneshot_result sent = {0};
    enum br_probe_class verdict;
    char event[64];
    char errstr[1024];
    int opt;
    int rc = BR_EXIT_RUNTIME;

    while ((opt = getopt_long(argc, argv, "c:k:e:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            hook_name = optarg;
            break;
        case 'e':
            requested = optarg;
            break;
        case 'h':
            fputs(help_text, stdout);
            return BR_EXIT_OK;
        default:
            return BR_EXIT_USAGE;
        }
    }
    if (!path || !hook_name || optind != argc) {
        fprintf(stderr, "perscom-bridge test-hook: --config FILE and --hook NAME are required\n");
        return BR_EXIT_USAGE;
    }
    conf = br_cmdutil_load_conf(path);
    if (!conf) {
        return BR_EXIT_CONFIG;
    }
    if (br_hookview_is_table_name(conf, hook_name)) {
        /* a table hook: the webhooks topics are read (decoder and registry for their rows) */
        registry = br_registry_create_for(conf);
        decoder = br_decoder_create(registry);
    }
    view = br_hookview_create(conf, decoder != NULL, decoder, registry, errstr, sizeof(errstr));
    if (!view) {
        fprintf(stderr, "perscom-bridge test-hook: table hooks: %s\n", errstr);
        goto done;
    }
    hook = br_hookview_find(view, hook_name, NULL);
    if (!hook) {
        fprintf(stderr, "perscom-bridge test-hook: no hook named %s in %s; ", hook_name, path);
        br_hookview_print(view, stderr);
        rc = BR_EXIT_USAGE;
        goto done;
    }
    if (br_probe_pick_event(hook, requested, event, sizeof(event), errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "perscom-bridge test-hook: %s\n", errstr);
        rc = BR_EXIT_USAGE;
        goto done;
    }
    if (build_request(hook, event, &request, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "perscom-bridge test-hook: %s: %s\n", event, errstr);
        goto done;
    }
    printf("# test-hook: %s, sample %s\n", hook->name, event);
    br_request_print(&request, stdout);
    fflush(stdout);

    sender = br_sender_create(1, errstr, sizeof(errstr));
    if (!sender) {
        fprintf(stderr, "perscom-bridge test-hook: %s\n", errstr);
        goto done;
    }
    br_sender_capture(sender, BODY_SHOWN);
    br_egress_install(sender, conf);
    if (br_oneshot_send(sender, &request, &sent, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "perscom-bridge test-hook: %s\n", errstr);
        goto done;
    }
    print_response(&sent.transfer);
    verdict = br_probe_classify(&sent.transfer);
    printf("--- result\n");
    if (verdict == BR_PROBE_OK) {
        printf("ok: HTTP %ld\n", sent.transfer.http_status);
    } else {
        char reason[CURL_ERROR_SIZE + 64];
        if (sent.transfer.transport_ok) {
            snprintf(reason, sizeof(reason), "HTTP %ld%s", sent.transfer.http_status,
                     sent.transfer.http_status >= 300 && sent.transfer.http_status < 400
                         ? " (redirects are not followed)"
                         : "");
        } else {
            snprintf(reason, sizeof(reason), "%s", sent.transfer.error);
        }
        printf("failed: %s: %s\n", br_probe_class_name(verdict), reason);
        fprintf(stderr, "perscom-bridge test-hook: %s failed: %s: %s\n", hook->name,
                br_probe_class_name(verdict), reason);
    }
    rc = br_probe_exit_code(verdict);

done:
    br_oneshot_finish(&sent);
    br_sender_destroy(sender);
    br_request_finish(&request);
    br_hookview_destroy(view); /* after the request, which points into its hook */
    br_decoder_destroy(decoder);
    br_registry_destroy(registry);
    br_conf_destroy(conf);
    return rc;
}
