/*
 * The live hook set (see hookset.h): identities and their slots, each slot's current version,
 * versions reference-counted.
 */
#include "delivery/hookset.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    char *id;              /* owned */
    char *group;           /* owned, or NULL */
    struct br_hook *hook;  /* current version (one reference), or NULL when removed */
};

struct br_hookset {
    struct slot *slots;    /* owned; a slot is never removed nor reused by another identity */
    size_t count;
    size_t cap;
    size_t live;
    uint64_t generation;
    br_hookset_freed_fn freed;
    void *opaque;
};

struct br_hookset *br_hookset_create(br_hookset_freed_fn freed, void *opaque)
{
    struct br_hookset *set = calloc(1, sizeof(*set));

    if (!set) {
        abort();
    }
    set->freed = freed;
    set->opaque = opaque;
    return set;
}

void br_hookset_destroy(struct br_hookset *set)
{
    if (!set) {
        return;
    }
    for (size_t i = 0; i < set->count; i++) {
        br_hook_release(set->slots[i].hook);
        free(set->slots[i].id);
        free(set->slots[i].group);
    }
    free(set->slots);
    free(set);
}

static char *copy_or_null(const char *text)
{
    char *copy;

    if (!text || !*text) {
        return NULL;
    }
    copy = strdup(text);
    if (!copy) {
        abort();
    }
    return copy;
}

static struct br_hook *version_new(struct br_hookset *set, struct br_conf_hook *conf, bool owned,
                                   size_t slot)
{
    struct br_hook *hook = calloc(1, sizeof(*hook));

    if (!hook) {
        abort();
    }
    hook->refs = 1;
    hook->conf = conf;
    hook->owned = owned;
    hook->slot = slot;
    hook->version = set->generation;
    hook->set = set;
    return hook;
}

size_t br_hookset_find(const struct br_hookset *set, const char *id)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->slots[i].id, id) == 0) {
            return i;
        }
    }
    return (size_t)-1;
}

static bool same_group(const char *a, const char *b)
{
    if (!a || !b) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

enum br_hookset_change br_hookset_put(struct br_hookset *set, const char *id,
                                      struct br_conf_hook *conf, bool owned, const char *group,
                                      size_t *slot)
{
    size_t index = br_hookset_find(set, id);
    struct slot *entry;
    enum br_hookset_change change;

    if (index == (size_t)-1) {
        if (set->count == set->cap) {
            size_t cap = set->cap ? set->cap * 2 : 8;
            struct slot *grown = realloc(set->slots, cap * sizeof(*grown));
            if (!grown) {
                abort();
            }
            set->slots = grown;
            set->cap = cap;
        }
        index = set->count++;
        entry = &set->slots[index];
        entry->id = strdup(id);
        if (!entry->id) {
            abort();
        }
        entry->group = copy_or_null(group);
        entry->hook = NULL;
    }
    entry = &set->slots[index];
    *slot = index;
    if (entry->hook && same_group(entry->group, group && *group ? group : NULL) &&
        br_conf_hook_equal(entry->hook->conf, conf)) {
        if (owned) {
            br_conf_hook_free(conf);
        }
        return BR_HOOKSET_UNCHANGED;
    }
    set->generation++;
    if (entry->hook) {
        change = BR_HOOKSET_CHANGED;
        br_hook_release(entry->hook);
    } else {
        change = BR_HOOKSET_ADDED;
        set->live++;
    }
    free(entry->group);
    entry->group = copy_or_null(group);
    entry->hook = version_new(set, conf, owned, index);
    return change;
}

bool br_hookset_remove(struct br_hookset *set, const char *id, size_t *slot)
{
    size_t index = br_hookset_find(set, id);

    if (index == (size_t)-1 || !set->slots[index].hook) {
        return false;
    }
    set->generation++;
    set->live--;
    br_hook_release(set->slots[index].hook);
    set->slots[index].hook = NULL;
    *slot = index;
    return true;
}

size_t br_hookset_slots(const struct br_hookset *set)
{
    return set->count;
}

size_t br_hookset_live(const struct br_hookset *set)
{
    return set->live;
}

const char *br_hookset_id(const struct br_hookset *set, size_t slot)
{
    return slot < set->count ? set->slots[slot].id : NULL;
}

const char *br_hookset_group(const struct br_hookset *set, size_t slot)
{
    return slot < set->count ? set->slots[slot].group : NULL;
}

struct br_hook *br_hookset_current(const struct br_hookset *set, size_t slot)
{
    return slot < set->count ? set->slots[slot].hook : NULL;
}

uint64_t br_hookset_generation(const struct br_hookset *set)
{
    return set->generation;
}

struct br_hook *br_hook_ref(struct br_hook *hook)
{
    hook->refs++;
    return hook;
}

void br_hook_release(struct br_hook *hook)
{
    if (!hook || --hook->refs > 0) {
        return;
    }
    if (hook->set && hook->set->freed) {
        hook->set->freed(hook->set->opaque, hook->conf);
    }
    if (hook->owned) {
        br_conf_hook_free(hook->conf);
    }
    free(hook);
}
