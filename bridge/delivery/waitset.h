#ifndef BR_WAITSET_H
#define BR_WAITSET_H
/*
 * The sender's wait: one epoll set, kept from wait to wait, holding the sockets libcurl names
 * (its socket interface) and the caller's extra descriptors, with a table indexed by descriptor
 * of what is wanted and what is registered. A socket the sender opened (br_waitset_opened)
 * stays registered when libcurl stops watching it between two requests on its kept-alive
 * connection, so that its next request costs no epoll_ctl; it leaves the set when it is closed
 * (br_waitset_closing).
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct br_waitset;

struct br_waitset *br_waitset_create(char *errstr, size_t errstr_size);
void br_waitset_destroy(struct br_waitset *set);

/* CURLMOPT_SOCKETFUNCTION: watch fd for what (CURL_POLL_*) from now on. */
void br_waitset_curl(struct br_waitset *set, int fd, int what);
/* fd was just opened for a connection (the number may have been another file's). */
void br_waitset_opened(struct br_waitset *set, int fd);
/* fd, opened through br_waitset_opened, is about to be closed. */
void br_waitset_closing(struct br_waitset *set, int fd);

/*
 * Waits up to timeout_ms (-1: no bound) for libcurl's sockets and extra's descriptors, as
 * br_sender_wait says (sender.h): the first stable_count of extra are registered once and kept
 * while listed, the others are checked again at each wait; a negative descriptor is ignored.
 * Sets extra's revents (CURL_WAIT_POLL*). Returns the number of ready descriptors, 0 after a
 * signal, or -1 (logged).
 */
int br_waitset_wait(struct br_waitset *set, struct curl_waitfd *extra, unsigned extra_count,
                    unsigned stable_count, int timeout_ms);
/*
 * The next of libcurl's sockets the last wait saw ready and libcurl still watches, with its
 * CURL_CSELECT_* mask; false when none is left (until the next wait).
 */
bool br_waitset_next_ready(struct br_waitset *set, int *fd, int *mask);

#endif
