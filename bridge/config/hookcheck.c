/*
 * The checks of a hook's secrets, TLS files, authentication and proxy (see hookcheck.h). Each
 * problem is a br_yamlconf_diag; a check never stops the walk. Values that may be secret are
 * never written into a diagnostic.
 */
#include "config/hookcheck.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/confkeys.h"
#include "config/file.h"
#include "config/tlsfiles.h"
#include "core/url.h"
#include "perscom/sign.h"

#define SECRET_FILE_MAX (64u * 1024u) /* a secret_file, bearer_file or password_file */

/* The node's text when it is a non-empty scalar (the walker reported anything else). */
static const char *scalar(const yaml_node_t *node)
{
    if (!node || node->type != YAML_SCALAR_NODE || br_yamlconf_is_null(node) ||
        node->data.scalar.value[0] == '\0') {
        return NULL;
    }
    return (const char *)node->data.scalar.value;
}

/*
 * Reads a file that holds one secret: its bytes with one trailing newline removed, not empty.
 * Returns them (the caller scrubs and frees them) with their count, or NULL after a diagnostic
 * at node.
 */
static char *read_secret(struct br_yamlconf *ctx, yaml_node_t *node, const char *key,
                         const char *file, size_t *len)
{
    char why[256];
    char *secret = br_file_read(file, SECRET_FILE_MAX, len, why, sizeof(why));

    if (!secret) {
        br_yamlconf_diag(ctx, node, key, "cannot read %s: %s", file, why);
        return NULL;
    }
    if (*len > 0 && secret[*len - 1] == '\n') {
        secret[--*len] = '\0';
    }
    if (*len == 0) {
        br_yamlconf_diag(ctx, node, key, "%s is empty", file);
        br_file_scrub_free(secret, 1);
        return NULL;
    }
    return secret;
}

/* Reads the file named by node's text (relative to the configuration's directory). */
static char *read_secret_at(struct br_yamlconf *ctx, yaml_node_t *node, const char *key,
                            size_t *len)
{
    const char *text = scalar(node);
    char *file;
    char *secret;

    if (!text) {
        return NULL;
    }
    file = br_yamlconf_resolve_path(ctx, text);
    secret = read_secret(ctx, node, key, file, len);
    free(file);
    return secret;
}

/* True when text holds a control character (or, with no_space, a space). */
static bool has_control(const char *text, size_t len, bool no_space)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c < 0x20 || c == 0x7f || (no_space && c == ' ')) {
            return true;
        }
    }
    return false;
}

/* Reports the first of nodes[] given after the first one that is: "cannot be combined". */
static size_t one_of(struct br_yamlconf *ctx, const char *path, yaml_node_t *const *nodes,
                     const char *const *names, size_t count, size_t *first)
{
    size_t given = 0;

    for (size_t i = 0; i < count; i++) {
        if (!nodes[i]) {
            continue;
        }
        if (given == 0) {
            *first = i;
        } else {
            char sub[BR_YAMLCONF_PATH_MAX];

            br_yamlconf_path_join(sub, sizeof(sub), path, names[i]);
            br_yamlconf_diag(ctx, nodes[i], sub, "cannot be combined with %s", names[*first]);
        }
        given++;
    }
    return given;
}

/* ---- tls ---- */

void br_hookcheck_tls(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                      yaml_node_t **seen, size_t index)
{
    struct br_conf_hook *hook = base;
    yaml_node_t *ca = seen[BR_CONFKEYS_TLS_CA_FILE];
    yaml_node_t *cert = seen[BR_CONFKEYS_TLS_CERT_FILE];
    yaml_node_t *key = seen[BR_CONFKEYS_TLS_KEY_FILE];
    char sub[BR_YAMLCONF_PATH_MAX];
    char why[512];

    if ((cert != NULL) != (key != NULL)) {
        br_yamlconf_path_join(sub, sizeof(sub), path, cert ? "key_file" : "cert_file");
        br_yamlconf_diag(ctx, map, sub, "required with %s", cert ? "cert_file" : "key_file");
        return;
    }
    if (hook->tls_ca_file && br_tlsfiles_check(hook->tls_ca_file, NULL, NULL, why,
                                               sizeof(why)) != 0) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "ca_file");
        br_yamlconf_diag(ctx, ca, sub, "%s", why);
    }
    if (!hook->tls_cert_file || !hook->tls_key_file) {
        return;
    }
    if (br_tlsfiles_check(NULL, hook->tls_cert_file, NULL, why, sizeof(why)) != 0) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "cert_file");
        br_yamlconf_diag(ctx, cert, sub, "%s", why);
    } else if (br_tlsfiles_check(NULL, hook->tls_cert_file, hook->tls_key_file, why,
                                 sizeof(why)) != 0) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "key_file");
        br_yamlconf_diag(ctx, key, sub, "%s", why);
    }
}

/* ---- auth ---- */

void br_hookcheck_basic(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index)
{
    static const char *const names[] = {"password", "password_file"};
    struct br_conf_hook *hook = base;
    yaml_node_t *nodes[] = {seen[BR_CONFKEYS_BASIC_PASSWORD],
                            seen[BR_CONFKEYS_BASIC_PASSWORD_FILE]};
    char sub[BR_YAMLCONF_PATH_MAX];
    size_t first = 0;
    size_t len = 0;

    if (hook->auth_username) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "username");
        if (hook->auth_username[0] == '\0') {
            br_yamlconf_diag(ctx, seen[BR_CONFKEYS_BASIC_USERNAME], sub,
                             "is empty after ${VAR} expansion");
        } else if (strchr(hook->auth_username, ':') ||
                   has_control(hook->auth_username, strlen(hook->auth_username), false)) {
            br_yamlconf_diag(ctx, seen[BR_CONFKEYS_BASIC_USERNAME], sub,
                             "must not contain ':' or control characters");
        }
    }
    if (one_of(ctx, path, nodes, names, 2, &first) == 0) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "password");
        br_yamlconf_diag(ctx, map, sub, "required key is missing (or set password_file)");
        return;
    }
    if (first == 1 && !hook->auth_password && hook->auth_password_file) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "password_file");
        /* the hook owns the password (scrubbed by br_conf_destroy) */
        hook->auth_password = read_secret(ctx, nodes[1], sub, hook->auth_password_file, &len);
    } else if (first == 0 && hook->auth_password && hook->auth_password[0] == '\0') {
        br_yamlconf_path_join(sub, sizeof(sub), path, "password");
        br_yamlconf_diag(ctx, nodes[0], sub, "is empty after ${VAR} expansion");
    }
}

void br_hookcheck_auth(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index)
{
    static const char *const names[] = {"bearer", "bearer_file", "basic"};
    struct br_conf_hook *hook = base;
    yaml_node_t *nodes[] = {seen[BR_CONFKEYS_AUTH_BEARER], seen[BR_CONFKEYS_AUTH_BEARER_FILE],
                            seen[BR_CONFKEYS_AUTH_BASIC]};
    char sub[BR_YAMLCONF_PATH_MAX];
    size_t first = 0;
    size_t len = 0;

    if (one_of(ctx, path, nodes, names, 3, &first) == 0) {
        br_yamlconf_diag(ctx, map, path, "set one of bearer, bearer_file or basic");
        return;
    }
    if (first == 2) {
        if (hook->auth_username && hook->auth_password) {
            hook->auth = BR_AUTH_BASIC;
        }
        return;
    }
    br_yamlconf_path_join(sub, sizeof(sub), path, names[first]);
    if (first == 1 && !hook->auth_bearer && hook->auth_bearer_file) {
        /* the hook owns the token (scrubbed by br_conf_destroy) */
        hook->auth_bearer = read_secret(ctx, nodes[1], sub, hook->auth_bearer_file, &len);
        if (!hook->auth_bearer) {
            return;
        }
    }
    if (!hook->auth_bearer) {
        return;
    }
    if (hook->auth_bearer[0] == '\0') {
        br_yamlconf_diag(ctx, nodes[first], sub, "is empty after ${VAR} expansion");
    } else if (has_control(hook->auth_bearer, strlen(hook->auth_bearer), true)) {
        br_yamlconf_diag(ctx, nodes[first], sub,
                         "the token must not contain spaces or control characters");
    } else {
        hook->auth = BR_AUTH_BEARER;
    }
}

/* ---- secrets ---- */

int br_hookcheck_secret_add(struct br_conf_hook *hook, char *text, size_t len, char *why,
                            size_t why_size)
{
    struct br_hook_secret *secret = &hook->secrets[hook->secret_count++];

    secret->text = text;
    secret->len = len;
    if (hook->secret_count == 1) {
        hook->secret = secret->text;
        hook->secret_len = secret->len;
    }
    if (hook->signature == BR_SIGNATURE_PERSCOM) {
        return 0;
    }
    secret->key = br_sign_whsec_key(text, len, &secret->key_len, why, why_size);
    return secret->key ? 0 : -1;
}

/* Appends one secret (ownership of text passes to the hook) and decodes its standard key. */
static void add_secret(struct br_yamlconf *ctx, yaml_node_t *node, const char *key,
                       struct br_conf_hook *hook, char *text, size_t len)
{
    char why[200];

    if (br_hookcheck_secret_add(hook, text, len, why, sizeof(why)) != 0) {
        br_yamlconf_diag(ctx, node, key, "signature %s needs a Standard Webhooks secret: %s",
                         hook->signature == BR_SIGNATURE_BOTH ? "both" : "standard", why);
    }
}

static char *dup_bytes(const char *text, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy) {
        abort();
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

/* The node of a list's item i. */
static yaml_node_t *item_node(struct br_yamlconf *ctx, yaml_node_t *list, size_t i)
{
    return br_yamlconf_node(ctx, list->data.sequence.items.start[i]);
}

void br_hookcheck_secrets(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                          struct br_conf_hook *hook, yaml_node_t **seen)
{
    static const char *const names[] = {"secret", "secret_file", "secrets", "secret_files"};
    yaml_node_t *nodes[] = {seen[BR_CONFKEYS_HOOK_SECRET], seen[BR_CONFKEYS_HOOK_SECRET_FILE],
                            seen[BR_CONFKEYS_HOOK_SECRETS], seen[BR_CONFKEYS_HOOK_SECRET_FILES]};
    char sub[BR_YAMLCONF_PATH_MAX];
    size_t first = 0;
    size_t total;

    if (one_of(ctx, path, nodes, names, 4, &first) == 0) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "secret");
        br_yamlconf_diag(ctx, map, sub,
                         "required key is missing (or set secret_file, secrets or secret_files)");
        return;
    }
    br_yamlconf_path_join(sub, sizeof(sub), path, names[first]);
    hook->secrets = calloc(BR_CONF_SECRETS_MAX, sizeof(*hook->secrets));
    if (!hook->secrets) {
        abort();
    }
    switch (first) {
    case 0: /* secret */
        if (hook->secret_inline) {
            size_t len = strlen(hook->secret_inline);

            if (len == 0) {
                br_yamlconf_diag(ctx, nodes[0], sub, "is empty after ${VAR} expansion");
                return;
            }
            add_secret(ctx, nodes[0], sub, hook, hook->secret_inline, len);
            hook->secret_inline = NULL;
        }
        break;
    case 1: { /* secret_file */
        size_t len = 0;
        char *text = read_secret_at(ctx, nodes[1], sub, &len);

        if (text) {
            add_secret(ctx, nodes[1], sub, hook, text, len);
        }
        break;
    }
    case 2: /* secrets: [...] */
    case 3: /* secret_files: [...] */
        total = (size_t)(nodes[first]->type == YAML_SEQUENCE_NODE
                             ? nodes[first]->data.sequence.items.top -
                                   nodes[first]->data.sequence.items.start
                             : 0);
        if (total > BR_CONF_SECRETS_MAX) {
            br_yamlconf_diag(ctx, nodes[first], sub, "at most %d secrets, got %zu",
                             BR_CONF_SECRETS_MAX, total);
            return;
        }
        if ((first == 2 ? hook->secret_list_count : hook->secret_file_list_count) != total) {
            return; /* an item was refused by the walker, already reported */
        }
        for (size_t i = 0; i < total; i++) {
            yaml_node_t *item = item_node(ctx, nodes[first], i);
            char item_key[BR_YAMLCONF_PATH_MAX];
            size_t len = 0;
            char *text;

            br_yamlconf_path_index(item_key, sizeof(item_key), sub, i);
            if (first == 2) {
                len = strlen(hook->secret_list[i]);
                if (len == 0) {
                    br_yamlconf_diag(ctx, item, item_key, "is empty after ${VAR} expansion");
                    continue;
                }
                text = dup_bytes(hook->secret_list[i], len);
            } else {
                text = read_secret_at(ctx, item, item_key, &len);
                if (!text) {
                    continue;
                }
            }
            add_secret(ctx, item, item_key, hook, text, len);
        }
        break;
    default:
        break;
    }
    if (hook->secret_count > 0) {
        hook->secret = hook->secrets[0].text;
        hook->secret_len = hook->secrets[0].len;
    }
}

/* ---- how the keys fit together ---- */

static bool has_scheme(const char *url, const char *scheme)
{
    size_t len = strlen(scheme);

    return strncasecmp(url, scheme, len) == 0 && strncmp(url + len, "://", 3) == 0;
}

static void check_proxy(struct br_yamlconf *ctx, yaml_node_t *node, const char *key,
                        const char *proxy)
{
    static const char *const schemes[] = {"http", "https", "socks4", "socks4a", "socks5",
                                          "socks5h"};
    const char *rest = NULL;

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !rest; i++) {
        if (has_scheme(proxy, schemes[i])) {
            rest = proxy + strlen(schemes[i]) + 3;
        }
    }
    /* the value may hold credentials: never repeated in the message */
    if (!rest || rest[0] == '\0' || rest[0] == '/' || rest[0] == '@' ||
        has_control(proxy, strlen(proxy), true)) {
        br_yamlconf_diag(ctx, node, key,
                         "must be a proxy URL with a host: http://, https://, socks4://, "
                         "socks4a://, socks5:// or socks5h://");
    }
}

/* Refuses headers[] entries that the bridge sets for this hook. */
static void check_headers(struct br_yamlconf *ctx, yaml_node_t *headers, const char *path,
                          const struct br_conf_hook *hook)
{
    static const char *const standard[] = {"webhook-id", "webhook-timestamp",
                                           "webhook-signature"};

    for (size_t i = 0; i < hook->header_count; i++) {
        const char *name = hook->headers[i].key;
        char sub[BR_YAMLCONF_PATH_MAX];
        char key[BR_YAMLCONF_PATH_MAX];

        br_yamlconf_path_join(key, sizeof(key), path, "headers");
        br_yamlconf_path_join(sub, sizeof(sub), key, name);
        if (hook->auth != BR_AUTH_NONE && strcasecmp(name, "Authorization") == 0) {
            br_yamlconf_diag(ctx, headers, sub, "header Authorization is set by auth");
        }
        for (size_t j = 0; hook->signature != BR_SIGNATURE_PERSCOM && j < 3; j++) {
            if (strcasecmp(name, standard[j]) == 0) {
                br_yamlconf_diag(ctx, headers, sub,
                                 "header %s is set by the bridge (signature: %s)", standard[j],
                                 hook->signature == BR_SIGNATURE_BOTH ? "both" : "standard");
            }
        }
    }
}

void br_hookcheck_wiring(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                         struct br_conf_hook *hook, yaml_node_t **seen)
{
    char sub[BR_YAMLCONF_PATH_MAX];

    if (seen[BR_CONFKEYS_HOOK_TLS] && hook->url && !has_scheme(hook->url, "https")) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "tls");
        br_yamlconf_diag(ctx, seen[BR_CONFKEYS_HOOK_TLS], sub,
                         "applies only to an https:// url");
    }
    if (seen[BR_CONFKEYS_HOOK_AUTH] && hook->url && br_url_has_userinfo(hook->url)) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "url");
        br_yamlconf_diag(ctx, seen[BR_CONFKEYS_HOOK_URL], sub,
                         "credentials in the URL cannot be combined with auth");
    }
    if (seen[BR_CONFKEYS_HOOK_HEADERS]) {
        check_headers(ctx, seen[BR_CONFKEYS_HOOK_HEADERS], path, hook);
    }
    if (hook->proxy) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "proxy");
        check_proxy(ctx, seen[BR_CONFKEYS_HOOK_PROXY], sub, hook->proxy);
    }
    if (hook->no_proxy && has_control(hook->no_proxy, strlen(hook->no_proxy), false)) {
        br_yamlconf_path_join(sub, sizeof(sub), path, "no_proxy");
        br_yamlconf_diag(ctx, seen[BR_CONFKEYS_HOOK_NO_PROXY], sub,
                         "must not contain control characters");
    }
}
