#ifndef BR_CONNS_H
#define BR_CONNS_H
/*
 * The admin listener's connection policy, without I/O: when a connection times out, and which
 * connection gives way when a new one arrives while every slot is taken. admin.c keeps one
 * struct br_conns_slot per connection slot, in an array parallel to its connections.
 *
 * Deadlines (all in the caller's monotonic milliseconds):
 *   READING  the request head must be whole header_timeout_ms after the accept, and the client
 *            may stay silent at most idle_timeout_ms (since the accept or its last byte);
 *   WRITING  the client must take some of the response every idle_timeout_ms;
 *   LINGER   (response sent) the client has linger_ms to close.
 *
 * Eviction, so that a new connection (a probe) is always served: a connection whose response
 * is already sent goes first (LINGER), then the oldest connection by accept, whether it is
 * still reading its request or writing its response. A probe sends its request at once and is
 * answered in microseconds; what has been open longest is slow or idle. Among equals, the
 * earlier accept goes first (serial numbers order accepts within one millisecond).
 */
#include <stddef.h>
#include <stdint.h>

enum br_conns_state {
    BR_CONNS_FREE,
    BR_CONNS_READING, /* waiting for the end of the request's headers */
    BR_CONNS_WRITING, /* sending the response */
    BR_CONNS_LINGER,  /* response sent, write side shut: draining until the client closes */
};

struct br_conns_slot {
    enum br_conns_state state;
    int64_t accepted_ms; /* when the connection was accepted */
    int64_t active_ms;   /* its last progress: the accept, a byte read or written, the linger */
    uint64_t serial;     /* accept order: larger is newer */
};

struct br_conns_timeouts {
    int header_timeout_ms; /* > 0 */
    int idle_timeout_ms;   /* > 0 */
    int linger_ms;         /* > 0 */
};

/* When slot times out (INT64_MAX for a free slot). */
int64_t br_conns_deadline(const struct br_conns_slot *slot,
                          const struct br_conns_timeouts *timeouts);

/* The first free slot of slots[0..count), or count when all are taken. */
size_t br_conns_free(const struct br_conns_slot *slots, size_t count);

/* The slot to close for a new connection (see above), or count when all are free. */
size_t br_conns_victim(const struct br_conns_slot *slots, size_t count);

#endif
