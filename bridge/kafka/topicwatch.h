#ifndef BR_TOPICWATCH_H
#define BR_TOPICWATCH_H
/*
 * Listing a cluster's topics off the caller's thread. br_topicwatch_list is the listing itself
 * (one Metadata request, which waits for the brokers up to its timeout); a watch is a thread of
 * its own that makes that listing every interval and hands each result to the thread that
 * created it (br_topicwatch_take), writing one byte into a descriptor that thread polls. The
 * thread that polls never waits for the network: a listing in progress holds no lock it needs.
 *
 * The thread blocks every signal (they stay with the threads that handle them).
 *
 * Ownership: a watch borrows the librdkafka handle (thread-safe) and match's opaque, which
 * must outlive it; br_topicwatch_destroy stops and joins the thread, waiting for a listing in
 * progress (at most its timeout). Each list taken belongs to the caller.
 */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a topic's partitions are listed; called on the watch's thread. */
typedef bool (*br_topicwatch_match_fn)(void *opaque, const char *topic);

struct br_topicwatch_entry {
    char *topic; /* owned by the list */
    int32_t partition;
};

struct br_topicwatch_list {
    struct br_topicwatch_entry *entries; /* owned */
    size_t count;
    size_t topics; /* distinct topics matched */
};

struct br_topicwatch;

/*
 * Lists the partitions of the topics match accepts (waiting up to timeout_ms for the brokers)
 * into a new list, or NULL with a message. Thread-safe.
 */
struct br_topicwatch_list *br_topicwatch_list(rd_kafka_t *rk, br_topicwatch_match_fn match,
                                              void *opaque, int timeout_ms, char *errstr,
                                              size_t errstr_size);
void br_topicwatch_list_destroy(struct br_topicwatch_list *list);

/*
 * Starts a thread that lists every interval_ms (the first time after one interval) and wakes
 * wake_fd (a non-blocking pipe's or eventfd's writing end, which stays open until the watch is
 * destroyed) when a list is ready. A failed listing is logged (warn, module `log_module`, a
 * string that outlives the watch) and tried again at the next interval. NULL with a message
 * when the thread cannot be started.
 */
struct br_topicwatch *br_topicwatch_create(rd_kafka_t *rk, br_topicwatch_match_fn match,
                                           void *opaque, int interval_ms, int timeout_ms,
                                           int wake_fd, const char *log_module, char *errstr,
                                           size_t errstr_size);
/* Stops and joins the thread. Accepts NULL. */
void br_topicwatch_destroy(struct br_topicwatch *watch);

/* The latest list the thread made (the caller owns it), or NULL when none waits. Only the
 * newest waits: an older one not taken in time is replaced. Never blocks on the network. */
struct br_topicwatch_list *br_topicwatch_take(struct br_topicwatch *watch);

/* Listings finished so far, failed ones included. */
unsigned long br_topicwatch_listings(struct br_topicwatch *watch);

#endif
