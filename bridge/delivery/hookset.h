#ifndef BR_HOOKSET_H
#define BR_HOOKSET_H
/*
 * The live hook set: the hooks the bridge delivers to, which may be added, changed and removed
 * while it runs (a YAML reload, a PERSCOM webhooks row). Each hook has a stable identity (the
 * YAML hook's name; a table hook's "t<tenant>/<row id>") and a slot: a small index that never
 * changes for that identity while the process lives and is never given to another identity.
 * Slots index the partitions' lanes, the hooks' health, metrics and progress ids.
 *
 * A slot holds the hook's current version: a reference-counted `struct br_hook` wrapping its
 * settings. Whoever keeps settings beyond the current turn of the loop (a queued delivery, its
 * request) holds a reference; a change puts a new version in the slot and the old one lives on
 * until its last holder lets go. A removed hook's slot holds no version (br_hookset_current is
 * NULL) until the same identity is added again.
 *
 * Ownership: a version owns its settings when it was put with owned = true (they are finished
 * and freed with it, br_conf_hook_free); otherwise they are borrowed from a configuration that
 * outlives the set (the start-up one).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"

struct br_hookset;

/* One version of one hook's settings. */
struct br_hook {
    unsigned refs;
    struct br_conf_hook *conf; /* the settings (owned when owned) */
    bool owned;
    size_t slot;
    uint64_t version;          /* the set's change counter when this version was put */
    struct br_hookset *set;    /* to tell it when the version is freed */
};

/* What br_hookset_put did. */
enum br_hookset_change {
    BR_HOOKSET_ADDED,     /* a new identity, or one removed before: a new slot or its old one */
    BR_HOOKSET_CHANGED,   /* the identity had other settings: a new version */
    BR_HOOKSET_UNCHANGED  /* the same settings: the current version stays (conf freed if owned) */
};

/*
 * Called with each version's settings just before they are freed (the sender forgets what it
 * keeps per hook: br_sender_forget_hook). May be NULL.
 */
typedef void (*br_hookset_freed_fn)(void *opaque, const struct br_conf_hook *conf);

struct br_hookset *br_hookset_create(br_hookset_freed_fn freed, void *opaque);
/* Drops the current versions; versions still referenced elsewhere are freed by their holders
 * (the set must outlive them: destroy it last). Accepts NULL. */
void br_hookset_destroy(struct br_hookset *set);

/*
 * Adds or changes the hook identified by id with the settings conf. owned: the set takes conf
 * (heap-allocated; freed with br_conf_hook_free when its version goes, or at once when
 * UNCHANGED). group: what the hook listens to beyond its events ("" or NULL for every topic; a
 * table hook's tenant), copied. *slot receives the hook's slot.
 */
enum br_hookset_change br_hookset_put(struct br_hookset *set, const char *id,
                                      struct br_conf_hook *conf, bool owned, const char *group,
                                      size_t *slot);
/* Removes the hook identified by id. Returns true and its slot, or false when it is not live. */
bool br_hookset_remove(struct br_hookset *set, const char *id, size_t *slot);

/* Slots ever given out (the size lanes, health and metrics must have). */
size_t br_hookset_slots(const struct br_hookset *set);
/* Live hooks. */
size_t br_hookset_live(const struct br_hookset *set);
/* The slot of id (live or removed), or (size_t)-1 when id never had one. */
size_t br_hookset_find(const struct br_hookset *set, const char *id);
/* The identity of slot (valid while the set lives). */
const char *br_hookset_id(const struct br_hookset *set, size_t slot);
/* The group of slot: NULL for every topic. */
const char *br_hookset_group(const struct br_hookset *set, size_t slot);
/* The current version of slot (no reference taken), or NULL when it is removed. */
struct br_hook *br_hookset_current(const struct br_hookset *set, size_t slot);
/* The set's change counter: it moves on with every add, change and removal. */
uint64_t br_hookset_generation(const struct br_hookset *set);

/* One more reference to hook. */
struct br_hook *br_hook_ref(struct br_hook *hook);
/* Drops a reference; the last one frees the version (and its settings when owned). NULL ok. */
void br_hook_release(struct br_hook *hook);

#endif
