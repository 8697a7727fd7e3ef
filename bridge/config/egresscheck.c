/* The egress section's checks (see egresscheck.h). */
#include "config/egresscheck.h"

#include <stdlib.h>

#include "config/conf.h"
#include "core/netaddr.h"

bool br_egresscheck_cidr(struct br_yamlconf *ctx, yaml_node_t *node, const char *text,
                         const char *path)
{
    struct br_netaddr_cidr cidr;
    char errstr[256];

    if (br_netaddr_parse_cidr(text, &cidr, errstr, sizeof(errstr)) != 0) {
        br_yamlconf_diag(ctx, node, path, "%s", errstr);
        return false;
    }
    return true;
}

void br_egresscheck_section(struct br_yamlconf *ctx, yaml_node_t *map, const char *path,
                            void *base, yaml_node_t **seen, size_t index)
{
    struct br_conf *conf = base;
    char errstr[256];

    (void)ctx;
    (void)map;
    (void)path;
    (void)seen;
    (void)index;
    free(conf->egress_allow);
    conf->egress_allow = NULL;
    conf->egress_allow_count = 0;
    if (conf->egress_allow_text_count == 0) {
        return;
    }
    conf->egress_allow = calloc(conf->egress_allow_text_count, sizeof(*conf->egress_allow));
    if (!conf->egress_allow) {
        abort();
    }
    /* every item passed br_egresscheck_cidr; the refused ones were never stored */
    for (size_t i = 0; i < conf->egress_allow_text_count; i++) {
        if (br_netaddr_parse_cidr(conf->egress_allow_text[i],
                                  &conf->egress_allow[conf->egress_allow_count], errstr,
                                  sizeof(errstr)) == 0) {
            conf->egress_allow_count++;
        }
    }
}
