#ifndef BR_SAMPLE_H
#define BR_SAMPLE_H
/*
 * Sample rows of the ten PERSCOM tables, for the test-hook command: the catalog's columns of the
 * table (the columns of schemas/<table>.avsc PERSCOM sends, in order; not the hidden ones, no
 * custom fields) with plausible values of each column's cast (ids 1, a text saying it is a
 * test, datetimes around a given instant). A unit test checks them against the schema files.
 * Pure: the instant comes in as an argument.
 */
#include <stdint.h>

#include "perscom/catalog.h"
#include "perscom/change.h"

/*
 * One row of resource's table with its datetimes at now_us (events start a day later).
 * before: the row as it was before the sample update (text or name, updated_at, and a
 * submission's read_at differ). NULL when resource is not one of the catalog's.
 */
struct br_row *br_sample_row(const struct br_resource *resource, int64_t now_us, int before);

/*
 * The sample change of resource for action, at now_us: created has `after`, deleted `before`,
 * updated both (so the payload's `changes` is not empty). Returns 0, or -1 when resource is
 * unknown. Free it with br_change_finish.
 */
int br_sample_change(const struct br_resource *resource, enum br_action action, int64_t now_us,
                     struct br_change *out);

#endif
