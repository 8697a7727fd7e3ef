#ifndef BR_CONFKEYS_H
#define BR_CONFKEYS_H
/*
 * The perscom-bridge configuration schema: the key tables of every section, rooted at
 * br_confkeys_root, for br_yamlconf_load into a struct br_conf. The positions below are the
 * indexes of the keys that the cross-key checks (confcheck.c) read in their seen[] arrays.
 */
#include "config/yamlconf.h"

enum br_confkeys_topic {
    BR_CONFKEYS_TOPIC_NAME,
    BR_CONFKEYS_TOPIC_PATTERN,
    BR_CONFKEYS_TOPIC_RESOURCE,
    BR_CONFKEYS_TOPIC_FORMAT,
    BR_CONFKEYS_TOPIC_SCHEMA,
    BR_CONFKEYS_TOPIC_SNAPSHOT,
};

enum br_confkeys_registry {
    BR_CONFKEYS_REGISTRY_URL,
    BR_CONFKEYS_REGISTRY_USERNAME,
    BR_CONFKEYS_REGISTRY_PASSWORD,
    BR_CONFKEYS_REGISTRY_CA_FILE,
    BR_CONFKEYS_REGISTRY_TLS_MIN
};

enum br_confkeys_retry { BR_CONFKEYS_RETRY_BACKOFF_INITIAL, BR_CONFKEYS_RETRY_BACKOFF_MAX };

enum br_confkeys_hook {
    BR_CONFKEYS_HOOK_NAME,
    BR_CONFKEYS_HOOK_URL,
    BR_CONFKEYS_HOOK_METHOD,
    BR_CONFKEYS_HOOK_SECRET,
    BR_CONFKEYS_HOOK_SECRET_FILE,
    BR_CONFKEYS_HOOK_EVENTS,
    BR_CONFKEYS_HOOK_TIMEOUT,
    BR_CONFKEYS_HOOK_HEADERS,
    BR_CONFKEYS_HOOK_RETRY,
    BR_CONFKEYS_HOOK_SECRETS,
    BR_CONFKEYS_HOOK_SECRET_FILES,
    BR_CONFKEYS_HOOK_SIGNATURE,
    BR_CONFKEYS_HOOK_TLS,
    BR_CONFKEYS_HOOK_AUTH,
    BR_CONFKEYS_HOOK_PROXY,
    BR_CONFKEYS_HOOK_NO_PROXY,
    BR_CONFKEYS_HOOK_ORDERING,
    BR_CONFKEYS_HOOK_MAX_IN_FLIGHT,
    BR_CONFKEYS_HOOK_ALLOW_PRIVATE,
};

enum br_confkeys_tls {
    BR_CONFKEYS_TLS_CA_FILE,
    BR_CONFKEYS_TLS_CERT_FILE,
    BR_CONFKEYS_TLS_KEY_FILE,
    BR_CONFKEYS_TLS_MIN_VERSION,
};

enum br_confkeys_auth { BR_CONFKEYS_AUTH_BEARER, BR_CONFKEYS_AUTH_BEARER_FILE,
                        BR_CONFKEYS_AUTH_BASIC };

enum br_confkeys_basic { BR_CONFKEYS_BASIC_USERNAME, BR_CONFKEYS_BASIC_PASSWORD,
                         BR_CONFKEYS_BASIC_PASSWORD_FILE };

enum br_confkeys_delivery {
    BR_CONFKEYS_DELIVERY_BACKOFF_INITIAL,
    BR_CONFKEYS_DELIVERY_BACKOFF_MAX
};

enum br_confkeys_dead_letter { BR_CONFKEYS_DEAD_LETTER_TOPIC, BR_CONFKEYS_DEAD_LETTER_POLICY };

enum br_confkeys_root {
    BR_CONFKEYS_ROOT_KAFKA,
    BR_CONFKEYS_ROOT_REGISTRY,
    BR_CONFKEYS_ROOT_TOPICS,
    BR_CONFKEYS_ROOT_HOOKS,
    BR_CONFKEYS_ROOT_DELIVERY,
    BR_CONFKEYS_ROOT_LOG_LEVEL,
};

/* The root of the schema: its sections, lists and checks hang from it. */
extern const struct br_yamlconf_section br_confkeys_root;

/* One item of hooks: (its defaults also start every table hook, config/tablehook.c). */
extern const struct br_yamlconf_section br_confkeys_hook;

/* topics[].format: "confluent", "avro" (enum br_topic_format), terminated by a NULL name. */
extern const struct br_yamlconf_choice br_confkeys_formats[];

#endif
