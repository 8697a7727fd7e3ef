#ifndef BR_DLCONF_H
#define BR_DLCONF_H
/*
 * The dead-letter producer's librdkafka properties, from the bridge's configuration:
 * bootstrap.servers from kafka.brokers; defaults the configuration may change (client.id
 * "perscom-bridge", a local queue of 64 MiB); then kafka.properties, except those that apply to
 * consumers only (skipped, debug log), those fixed below (info log) and transactional.id
 * (warning); last the fixed ones, enable.idempotence=true and acks=all, which no record may lose.
 */
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config/conf.h"

/*
 * Sets the properties on kconf (callbacks and opaque are the caller's). Returns 0, or -1 with
 * "dead-letter producer: kafka property NAME: why" in errstr when librdkafka refuses one.
 */
int br_dlconf_build(const struct br_conf *conf, rd_kafka_conf_t *kconf, char *errstr,
                    size_t errstr_size);

#endif
