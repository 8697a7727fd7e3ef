#ifndef BR_YAMLVALUE_H
#define BR_YAMLVALUE_H
/*
 * The value parsers of the YAML walker (yamlconf.c), one per key kind: each checks one node
 * against its key's spec, then stores the value into the section's struct or reports why not
 * (br_yamlconf_diag). Structural kinds (SECTION, LIST) are the walker's.
 */
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/yamlconf.h"

/*
 * Parses node as spec's kind into base at spec's offsets (every kind but SECTION and LIST, which
 * it leaves alone). Ownership of what it stores is as in yamlconf.h.
 */
void br_yamlvalue_parse(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                        const struct br_yamlconf_key *spec, void *base);

/*
 * Allocates total zeroed elements of elem_size for the items of a non-empty list and returns them
 * (the caller owns them); NULL with a diagnostic for anything else.
 */
void *br_yamlvalue_list_items(struct br_yamlconf *ctx, yaml_node_t *node, const char *path,
                              size_t elem_size, size_t *total);

/* What node is, for "expected X, got Y": "null", "a mapping", "a list" or "a scalar". */
const char *br_yamlvalue_node_kind(const yaml_node_t *node);

/* True when node is absent or names one of choices (false after a bad value, already reported). */
bool br_yamlvalue_choice_given(const yaml_node_t *node, const struct br_yamlconf_choice *choices);

#endif
