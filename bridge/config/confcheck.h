#ifndef BR_CONFCHECK_H
#define BR_CONFCHECK_H
/*
 * The cross-key checks of the configuration schema, named by its tables (confkeys.c) and called
 * by the walker (yamlconf.c): item checks for Kafka properties, headers and events, and the
 * checks of a topic, a hook, a hook's retry policy, delivery, dead_letter and the root, each run
 * after its mapping was walked (signatures: yamlconf.h). They report with br_yamlconf_diag; the
 * topic check reads and parses a topic's Avro schema file; a hook's secrets, TLS files, auth and
 * proxy are checked in hookcheck.c.
 */
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/yamlconf.h"

/* kafka.properties: refuses the properties the bridge sets itself (group.id, ...). */
bool br_confcheck_kafka_prop(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                             yaml_node_t *value_node, const char *value, const char *path);
/* hooks[].headers: refuses the bridge's own headers, bad names and control characters. */
bool br_confcheck_header(struct br_yamlconf *ctx, yaml_node_t *key_node, const char *key,
                         yaml_node_t *value_node, const char *value, const char *path);
/* hooks[].events: one pattern the catalog knows. */
bool br_confcheck_event(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                        const char *path);

/* schema_registry: refuses credentials in the URL (they would reach logs and errors). */
void br_confcheck_registry(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index);
void br_confcheck_topic(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                        yaml_node_t **seen, size_t index);
void br_confcheck_hook(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);
void br_confcheck_hook_retry(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                             void *base, yaml_node_t **seen, size_t index);
void br_confcheck_delivery(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                           void *base, yaml_node_t **seen, size_t index);
void br_confcheck_dead_letter(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                              void *base, yaml_node_t **seen, size_t index);
void br_confcheck_root(struct br_yamlconf *ctx, yaml_node_t *map, const char *path, void *base,
                       yaml_node_t **seen, size_t index);

#endif
