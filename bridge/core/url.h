#ifndef BR_URL_H
#define BR_URL_H
/*
 * URLs as they may be shown: credentials (the userinfo part, "user:password@") never reach a
 * log line, an error message or the render output.
 */
#include <stdbool.h>
#include <stddef.h>

/*
 * 0 when url is an http:// or https:// URL (scheme in any case) with a host and no space or
 * control character; otherwise what is wrong in errstr ("must be ...", never repeating the URL)
 * and -1 (not http(s) with a host) or -2 (a space or control character). What every hook's url
 * must be, whether written in YAML or in a tenant's webhooks row.
 */
int br_url_check_http(const char *url, char *errstr, size_t errstr_size);

/* true when url has a userinfo part ("scheme://user[:password]@host..."). */
bool br_url_has_userinfo(const char *url);

/*
 * Copies url to out (out_size > 0) with any userinfo replaced by three asterisks (the "u:p" of
 * http://u:p@host/x); a URL without userinfo is copied unchanged; a result that does not fit is
 * cut. Returns out.
 */
char *br_url_redact(const char *url, char *out, size_t out_size);

#endif
