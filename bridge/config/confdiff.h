#ifndef BR_CONFDIFF_H
#define BR_CONFDIFF_H
/*
 * What a reloaded configuration changes that the running bridge cannot apply without a restart:
 * everything but the hooks and what applies at once (log_level, egress, and the delivery.* keys
 * that are every hook's defaults, YAML and table hooks alike: backoff_initial_ms,
 * backoff_max_ms, max_attempts, max_age_ms, retry_after_max_ms, tls_min_version). Each
 * table_hooks key needs a restart. Pure: two loaded configurations in, the keys that differ
 * out.
 */
#include <stddef.h>

#include "config/conf.h"

/*
 * Writes into keys (up to cap) the names of the settings that differ between running and loaded
 * and need a restart ("kafka.group_id", "topics", "delivery.max_in_flight",
 * "table_hooks.record_tenant", ...), in the order of the configuration reference. Returns how
 * many differ (which may be more than cap).
 */
size_t br_confdiff_restart(const struct br_conf *running, const struct br_conf *loaded,
                           const char **keys, size_t cap);

#endif
