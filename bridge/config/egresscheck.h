#ifndef BR_EGRESSCHECK_H
#define BR_EGRESSCHECK_H
/*
 * The checks of the egress section (the outbound request guard's allow-list, see
 * docs/configuration.md, "egress"): each egress.allow item is a CIDR prefix or an address, a bad
 * one reported at its line and column; after the walk the prefixes are parsed into
 * conf->egress_allow. Signatures: yamlconf.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/yamlconf.h"

/* egress.allow[]: one CIDR prefix ("10.1.0.0/16", "fd00::/8") or address ("127.0.0.1", "::1"). */
bool br_egresscheck_cidr(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                         const char *path);
/* egress: stores the parsed prefixes of allow in conf->egress_allow. */
void br_egresscheck_section(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                            void *base, yaml_node_t **seen, size_t index);

#endif
