#include "core/url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The authority of url: [*start, *end) after "scheme://", up to the first '/', '?' or '#'. */
static bool authority(const char *url, const char **start, const char **end)
{
    const char *sep = strstr(url, "://");

    if (!sep) {
        return false;
    }
    *start = sep + 3;
    *end = *start + strcspn(*start, "/?#");
    return true;
}

/* The last '@' of the authority, or NULL. */
static const char *userinfo_end(const char *url)
{
    const char *start;
    const char *end;
    const char *at = NULL;

    if (!authority(url, &start, &end)) {
        return NULL;
    }
    for (const char *p = start; p < end; p++) {
        if (*p == '@') {
            at = p;
        }
    }
    return at;
}

bool br_url_has_userinfo(const char *url)
{
    return userinfo_end(url) != NULL;
}

char *br_url_redact(const char *url, char *out, size_t out_size)
{
    const char *at = userinfo_end(url);
    const char *start = url;
    const char *end = url;

    if (!at || !authority(url, &start, &end)) {
        snprintf(out, out_size, "%s", url);
        return out;
    }
    snprintf(out, out_size, "%.*s***%s", (int)(start - url), url, at);
    return out;
}

int br_url_check_http(const char *url, char *errstr, size_t errstr_size)
{
    size_t skip = 0;

    if (strncasecmp(url, "http://", 7) == 0) {
        skip = 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        skip = 8;
    }
    if (skip == 0 || url[skip] == '\0' || url[skip] == '/') {
        snprintf(errstr, errstr_size, "must be an http:// or https:// URL with a host");
        return -1;
    }
    for (const char *c = url; *c != '\0'; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            snprintf(errstr, errstr_size, "must not contain spaces or control characters");
            return -2;
        }
    }
    return 0;
}
