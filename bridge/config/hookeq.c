/*
 * Whether two hooks' settings send the same requests in the same way (conf.h,
 * br_conf_hook_equal; ordering, max_in_flight and allow_private included): a reload or a
 * webhooks row that leaves a hook as it was does not make it a new version.
 */
#include <string.h>

#include "config/conf.h"

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

static bool same_bytes(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len) {
        return false;
    }
    if (a_len == 0) {
        return true;
    }
    return a != NULL && b != NULL && memcmp(a, b, a_len) == 0;
}

static bool same_secrets(const struct br_conf_hook *a, const struct br_conf_hook *b)
{
    if (a->secret_count != b->secret_count || !same_bytes(a->secret, a->secret_len, b->secret,
                                                          b->secret_len)) {
        return false;
    }
    for (size_t i = 0; i < a->secret_count; i++) {
        const struct br_hook_secret *x = &a->secrets[i];
        const struct br_hook_secret *y = &b->secrets[i];

        if (!same_bytes(x->text, x->len, y->text, y->len) ||
            !same_bytes(x->key, x->key_len, y->key, y->key_len)) {
            return false;
        }
    }
    return true;
}

static bool same_lists(char *const *a, size_t a_count, char *const *b, size_t b_count)
{
    if (a_count != b_count) {
        return false;
    }
    for (size_t i = 0; i < a_count; i++) {
        if (!same_text(a[i], b[i])) {
            return false;
        }
    }
    return true;
}

static bool same_headers(const struct br_conf_hook *a, const struct br_conf_hook *b)
{
    if (a->header_count != b->header_count) {
        return false;
    }
    for (size_t i = 0; i < a->header_count; i++) {
        if (!same_text(a->headers[i].key, b->headers[i].key) ||
            !same_text(a->headers[i].value, b->headers[i].value)) {
            return false;
        }
    }
    return true;
}

static bool same_retry(const struct br_retry_policy *a, const struct br_retry_policy *b)
{
    return a->initial_ms == b->initial_ms && a->max_ms == b->max_ms &&
           a->max_attempts == b->max_attempts && a->max_age_ms == b->max_age_ms &&
           a->retry_after_max_ms == b->retry_after_max_ms;
}

bool br_conf_hook_equal(const struct br_conf_hook *a, const struct br_conf_hook *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return same_text(a->url, b->url) && a->method == b->method && same_secrets(a, b) &&
           a->signature == b->signature &&
           same_lists(a->events, a->event_count, b->events, b->event_count) &&
           a->timeout_ms == b->timeout_ms && a->ordering == b->ordering &&
           a->max_in_flight == b->max_in_flight && a->allow_private == b->allow_private &&
           same_headers(a, b) &&
           same_retry(&a->retry, &b->retry) &&
           a->tls_min == b->tls_min && same_text(a->tls_ca_file, b->tls_ca_file) &&
           same_text(a->tls_cert_file, b->tls_cert_file) &&
           same_text(a->tls_key_file, b->tls_key_file) && a->auth == b->auth &&
           same_text(a->auth_bearer, b->auth_bearer) &&
           same_text(a->auth_username, b->auth_username) &&
           same_text(a->auth_password, b->auth_password) && same_text(a->proxy, b->proxy) &&
           same_text(a->no_proxy, b->no_proxy);
}
