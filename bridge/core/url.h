#ifndef BR_URL_H
#define BR_URL_H
/*
 * URLs as they may be shown: credentials (the userinfo part, "user:password@") never reach a
 * log line, an error message or the render output.
 */
#include <stdbool.h>
#include <stddef.h>

/* true when url has a userinfo part ("scheme://user[:password]@host..."). */
bool br_url_has_userinfo(const char *url);

/*
 * Copies url to out (out_size > 0) with any userinfo replaced by three asterisks (the "u:p" of
 * http://u:p@host/x); a URL without userinfo is copied unchanged; a result that does not fit is
 * cut. Returns out.
 */
char *br_url_redact(const char *url, char *out, size_t out_size);

#endif
