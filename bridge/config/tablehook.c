/*
 * One hook from one row of a tenant's `webhooks` table (see tablehook.h): the row's url,
 * method, events and secret checked, the rest from a YAML hook's defaults and the bridge's
 * delivery settings, through the same code a YAML hook goes through (yamlconf's defaults,
 * core/url.c's URL check, hookcheck.c's secret, conf.c's delivery settings).
 */
#include "config/tablehook.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/confkeys.h"
#include "config/hookcheck.h"
#include "config/yamlconf.h"
#include "core/url.h"
#include "perscom/catalog.h"

/* How much of a row's text a reason shows. */
#define SHOWN_MAX 64

static char *xstrdup(const char *text)
{
    char *copy = strdup(text);

    if (!copy) {
        abort();
    }
    return copy;
}

/* text as a reason may show it: printable ASCII, anything else '?', cut after SHOWN_MAX. */
static const char *shown(const char *text, char *out, size_t out_size)
{
    size_t n = 0;

    for (; text[n] != '\0' && n < SHOWN_MAX && n + 4 < out_size; n++) {
        unsigned char c = (unsigned char)text[n];

        out[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (text[n] != '\0' && n + 4 <= out_size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

int br_tablehook_name(const char *tenant, const char *id, char *out, size_t out_size)
{
    int n;

    if (out_size == 0) {
        return -1;
    }
    out[0] = '\0';
    if (!tenant || !id || tenant[0] == '\0' || id[0] == '\0') {
        return -1;
    }
    n = snprintf(out, out_size, "%s%s:webhook:%s", "tenant:", tenant, id);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* True when id is decimal digits, '-' allowed first, at most 20 digits. */
static bool id_valid(const char *id)
{
    size_t digits = 0;

    if (*id == '-') {
        id++;
    }
    for (; *id != '\0'; id++, digits++) {
        if (!isdigit((unsigned char)*id)) {
            return false;
        }
    }
    return digits > 0 && digits <= 20;
}

static int refuse(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* The events array of the column: its JSON text decoded, or the array itself (new ref). */
static json_t *events_array(const json_t *column, char *errstr, size_t errstr_size)
{
    json_t *array;
    json_error_t error;

    if (!column || json_is_null(column)) {
        refuse(errstr, errstr_size, "events is missing");
        return NULL;
    }
    if (json_is_array(column)) {
        return json_incref((json_t *)column);
    }
    if (!json_is_string(column)) {
        refuse(errstr, errstr_size, "events is neither JSON text nor an array");
        return NULL;
    }
    array = json_loadb(json_string_value(column), json_string_length(column),
                       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
    if (!array) {
        refuse(errstr, errstr_size, "events is not JSON: %s", error.text);
        return NULL;
    }
    if (!json_is_array(array)) {
        refuse(errstr, errstr_size, "events is not a JSON array");
        json_decref(array);
        return NULL;
    }
    return array;
}

/* Fills hook->events from the column: exact catalog event names, each once. */
static int set_events(struct br_conf_hook *hook, const json_t *column, char *errstr,
                      size_t errstr_size)
{
    json_t *array = events_array(column, errstr, errstr_size);
    json_t *item;
    size_t i;
    int rc = 0;

    if (!array) {
        return -1;
    }
    if (json_array_size(array) == 0) {
        json_decref(array);
        return refuse(errstr, errstr_size, "events is empty: the hook would receive nothing");
    }
    /* at most BR_EVENT_COUNT distinct names can pass */
    hook->events = calloc(BR_EVENT_COUNT, sizeof(*hook->events));
    if (!hook->events) {
        abort();
    }
    json_array_foreach(array, i, item) {
        const char *name = json_string_value(item);
        char text[SHOWN_MAX + 8];
        bool seen = false;

        if (!name) {
            rc = refuse(errstr, errstr_size, "events[%zu] is not a string", i);
            break;
        }
        if (strlen(name) != json_string_length(item) || strchr(name, '*') ||
            !br_catalog_pattern_valid(name)) {
            rc = refuse(errstr, errstr_size, "unknown event \"%s\" in events",
                        shown(name, text, sizeof(text)));
            break;
        }
        for (size_t j = 0; j < hook->event_count && !seen; j++) {
            seen = strcmp(hook->events[j], name) == 0;
        }
        if (!seen) {
            hook->events[hook->event_count++] = xstrdup(name);
        }
    }
    json_decref(array);
    return rc;
}

/* The row's own columns into hook; -1 with the reason at the first one that is not valid. */
static int set_columns(struct br_conf_hook *hook, const struct br_tablehook_row *row,
                       char *errstr, size_t errstr_size)
{
    char why[128];
    char text[SHOWN_MAX + 8];
    char *secret;

    if (!row->url) {
        return refuse(errstr, errstr_size, "url is missing");
    }
    if (br_url_check_http(row->url, why, sizeof(why)) != 0) {
        /* the URL may hold credentials: never shown */
        return refuse(errstr, errstr_size, "url %s", why);
    }
    hook->url = xstrdup(row->url);
    if (!row->method) {
        return refuse(errstr, errstr_size, "method is missing");
    }
    if (strcmp(row->method, "post") == 0) {
        hook->method = BR_METHOD_POST;
    } else if (strcmp(row->method, "get") == 0) {
        hook->method = BR_METHOD_GET;
    } else {
        return refuse(errstr, errstr_size, "method \"%s\" is not get or post",
                      shown(row->method, text, sizeof(text)));
    }
    if (set_events(hook, row->events, errstr, errstr_size) != 0) {
        return -1;
    }
    if (!row->secret) {
        return refuse(errstr, errstr_size, "secret is missing");
    }
    if (row->secret_len == 0) {
        return refuse(errstr, errstr_size, "secret is empty");
    }
    hook->secrets = calloc(1, sizeof(*hook->secrets));
    secret = malloc(row->secret_len + 1);
    if (!hook->secrets || !secret) {
        abort();
    }
    memcpy(secret, row->secret, row->secret_len);
    secret[row->secret_len] = '\0';
    /* signature perscom: nothing to decode, cannot fail */
    if (br_hookcheck_secret_add(hook, secret, row->secret_len, why, sizeof(why)) != 0) {
        return refuse(errstr, errstr_size, "secret: %s", why);
    }
    return 0;
}

struct br_conf_hook *br_tablehook_build(const struct br_conf *conf, const char *tenant,
                                        const struct br_tablehook_row *row, char *errstr,
                                        size_t errstr_size)
{
    char name[BR_TABLEHOOK_NAME_MAX];
    char text[SHOWN_MAX + 8];
    struct br_conf_hook *hook;

    if (!row->id) {
        refuse(errstr, errstr_size, "id is missing");
        return NULL;
    }
    if (!id_valid(row->id)) {
        refuse(errstr, errstr_size, "id \"%s\" is not a whole number",
               shown(row->id, text, sizeof(text)));
        return NULL;
    }
    if (br_tablehook_name(tenant, row->id, name, sizeof(name)) != 0) {
        refuse(errstr, errstr_size, "no hook name for tenant \"%s\" and id %s",
               shown(tenant ? tenant : "", text, sizeof(text)), row->id);
        return NULL;
    }
    hook = calloc(1, sizeof(*hook));
    if (!hook) {
        abort();
    }
    /* where a YAML hook starts: every key's default (signature perscom, retry: unset, ...) */
    br_yamlconf_apply_defaults(&br_confkeys_hook, hook);
    hook->name = xstrdup(name);
    hook->signature = BR_SIGNATURE_PERSCOM;
    hook->timeout_ms = BR_TABLEHOOK_TIMEOUT_MS;
    /* ordering partition (the default), so one request in flight per partition; its
     * max_in_flight is delivery.max_in_flight (br_tablehook_defaults), the cap a YAML hook
     * without max_in_flight gets (confcheck.c) */
    hook->ordering = BR_ORDERING_PARTITION;
    /* a row written by a tenant never reaches private addresses: allow_private is a YAML
     * hook's alone (delivery/egress.h) */
    hook->allow_private = false;
    if (set_columns(hook, row, errstr, errstr_size) != 0) {
        br_tablehook_free(hook);
        return NULL;
    }
    br_tablehook_defaults(conf, hook);
    return hook;
}

void br_tablehook_defaults(const struct br_conf *conf, struct br_conf_hook *hook)
{
    hook->max_in_flight = conf->max_in_flight;
    br_conf_hook_resolve(conf, hook);
}

struct br_conf_hook *br_tablehook_rebuild(const struct br_conf *conf, const char *tenant,
                                          const struct br_conf_hook *hook, char *errstr,
                                          size_t errstr_size)
{
    static const char middle[] = ":webhook:";
    const char *prefix = "tenant:";
    size_t tenant_len = tenant ? strlen(tenant) : 0;
    struct br_tablehook_row row = {0};
    struct br_conf_hook *fresh;
    json_t *events;

    /* the row's id is what follows "tenant:<tenant>:webhook:" in the hook's name */
    if (!hook->name || tenant_len == 0 || strncmp(hook->name, prefix, strlen(prefix)) != 0 ||
        strncmp(hook->name + strlen(prefix), tenant, tenant_len) != 0 ||
        strncmp(hook->name + strlen(prefix) + tenant_len, middle, sizeof(middle) - 1) != 0) {
        refuse(errstr, errstr_size, "not a table hook of tenant \"%s\"", tenant ? tenant : "");
        return NULL;
    }
    if (hook->secret_count == 0) {
        refuse(errstr, errstr_size, "secret is missing");
        return NULL;
    }
    events = json_array();
    if (!events) {
        abort();
    }
    for (size_t i = 0; i < hook->event_count; i++) {
        if (json_array_append_new(events, json_string(hook->events[i])) != 0) {
            abort();
        }
    }
    row.id = hook->name + strlen(prefix) + tenant_len + sizeof(middle) - 1;
    row.url = hook->url;
    row.method = hook->method == BR_METHOD_GET ? "get" : "post";
    row.events = events;
    row.secret = hook->secrets[0].text;
    row.secret_len = hook->secrets[0].len;
    fresh = br_tablehook_build(conf, tenant, &row, errstr, errstr_size);
    json_decref(events);
    return fresh;
}

void br_tablehook_free(struct br_conf_hook *hook)
{
    br_conf_hook_finish(hook);
    free(hook);
}
