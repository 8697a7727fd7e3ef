#ifndef BR_HOOKCHECK_H
#define BR_HOOKCHECK_H
/*
 * The checks of a hook's signing secrets, TLS files, authentication and proxy (the rest of a
 * hook is checked in confcheck.c): section checks named by the key tables (confkeys.c), and the
 * parts of the hook's own check that br_confcheck_hook calls. Secret files and TLS files are read
 * here; every problem is a br_yamlconf_diag.
 */
#include <stddef.h>

#include <yaml.h>

#include "config/conf.h"
#include "config/yamlconf.h"

/* hooks[].tls: cert_file and key_file together; the files readable, PEM, the key the cert's. */
void br_hookcheck_tls(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                      yaml_node_t **seen, size_t index);
/* hooks[].auth: exactly one of bearer, bearer_file, basic; the token read and checked. */
void br_hookcheck_auth(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);
/* hooks[].auth.basic: one of password and password_file; no ':' in the user name. */
void br_hookcheck_basic(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index);

/*
 * A hook's secrets: exactly one of secret, secret_file, secrets, secret_files; files read; at
 * most BR_CONF_SECRETS_MAX; each decoded as a Standard Webhooks key unless the signature mode is
 * perscom. Fills hook->secrets (and the alias hook->secret) from the hook's mapping's seen[].
 */
void br_hookcheck_secrets(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                          struct br_conf_hook *hook, yaml_node_t **seen);

/*
 * Appends one secret to hook->secrets, which has room for it (BR_CONF_SECRETS_MAX are allocated
 * by br_hookcheck_secrets; a table hook allocates one): ownership of text (len bytes, NUL-ended)
 * passes to the hook, the first secret becomes the alias hook->secret, and unless the hook's
 * signature mode is perscom its Standard Webhooks key is decoded. 0, or -1 with why (the text
 * is the hook's either way). The part of the secrets check that YAML and table hooks share.
 */
int br_hookcheck_secret_add(struct br_conf_hook *hook, char *text, size_t len, char *why,
                            size_t why_size);

/*
 * How a hook's keys fit together: tls only for https://; auth not with credentials in the URL;
 * headers that auth or the signature mode set are refused in headers; the proxy URL's form.
 */
void br_hookcheck_wiring(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                         struct br_conf_hook *hook, yaml_node_t **seen);

#endif
