/* Base64, standard alphabet, strict decoding (see base64.h). */
#include "core/base64.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t br_base64_encode(const void *in, size_t len, char *out, size_t out_size)
{
    const unsigned char *bytes = in;
    size_t need = BR_BASE64_LEN(len);
    size_t at = 0;

    if (out_size == 0) {
        return 0;
    }
    if (out_size < need + 1) {
        out[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < len; i += 3) {
        uint32_t group = (uint32_t)bytes[i] << 16;
        size_t left = len - i;

        if (left > 1) {
            group |= (uint32_t)bytes[i + 1] << 8;
        }
        if (left > 2) {
            group |= bytes[i + 2];
        }
        out[at++] = alphabet[(group >> 18) & 63];
        out[at++] = alphabet[(group >> 12) & 63];
        out[at++] = left > 1 ? alphabet[(group >> 6) & 63] : '=';
        out[at++] = left > 2 ? alphabet[group & 63] : '=';
    }
    out[at] = '\0';
    return at;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

int br_base64_decode(const char *text, size_t len, unsigned char *out, size_t out_size,
                     size_t *out_len)
{
    size_t data_len = len;
    size_t pad = 0;
    size_t at = 0;
    uint32_t group = 0;
    unsigned bits = 0;

    while (data_len > 0 && text[data_len - 1] == '=' && pad < 2) {
        data_len--;
        pad++;
    }
    /* a single leftover character carries 6 bits: not a whole byte */
    if (data_len % 4 == 1) {
        return -1;
    }
    /* padding, when present, completes the last group exactly */
    if (pad > 0 && (data_len + pad) % 4 != 0) {
        return -1;
    }
    if (data_len / 4 * 3 + 2 > out_size) {
        return -1;
    }
    for (size_t i = 0; i < data_len; i++) {
        int value = sextet(text[i]);

        if (value < 0) {
            return -1;
        }
        group = (group << 6) | (uint32_t)value;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[at++] = (unsigned char)(group >> bits);
            group &= (1u << bits) - 1;
        }
    }
    *out_len = at;
    return 0;
}
