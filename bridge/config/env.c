/* ${NAME} expansion from the environment (see env.h). */
#include "config/env.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/buf.h"

static char *xstrndup(const char *str, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL) {
        abort();
    }
    memcpy(copy, str, len);
    copy[len] = '\0';
    return copy;
}

static bool valid_name(const char *name, size_t len)
{
    bool valid = len > 0 && (isalpha((unsigned char)name[0]) || name[0] == '_');

    for (size_t i = 0; valid && i < len; i++) {
        valid = isalnum((unsigned char)name[i]) || name[i] == '_';
    }
    return valid;
}

char *br_env_expand(const char *text, br_env_report_fn report, void *opaque)
{
    struct br_buf buf;
    const char *cursor = text;
    char message[1024];
    bool ok = true;

    br_buf_init(&buf, 0);
    while (*cursor != '\0') {
        if (cursor[0] == '$' && cursor[1] == '$' && cursor[2] == '{') {
            br_buf_append_str(&buf, "${");
            cursor += 3;
            continue;
        }
        if (cursor[0] != '$' || cursor[1] != '{') {
            br_buf_append_char(&buf, *cursor);
            cursor++;
            continue;
        }
        const char *name = cursor + 2;
        const char *end = strchr(name, '}');
        if (end == NULL) {
            report(opaque, "unterminated ${ (write $${ for a literal ${)");
            ok = false;
            break;
        }
        char *var = xstrndup(name, (size_t)(end - name));
        if (!valid_name(name, (size_t)(end - name))) {
            snprintf(message, sizeof(message), "invalid variable name \"%s\" in ${...}", var);
            report(opaque, message);
            ok = false;
        } else {
            const char *value = getenv(var);
            if (value == NULL) {
                snprintf(message, sizeof(message), "environment variable %s is not set", var);
                report(opaque, message);
                ok = false;
            } else {
                br_buf_append_str(&buf, value);
            }
        }
        free(var);
        cursor = end + 1;
    }
    if (!ok) {
        if (buf.data != NULL) {
            OPENSSL_cleanse(buf.data, buf.cap);
        }
        br_buf_finish(&buf);
        return NULL;
    }
    char *out = br_buf_steal(&buf, NULL);
    return out != NULL ? out : xstrndup("", 0);
}
