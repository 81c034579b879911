/* text.h — UTF-8 and Go-compatible text rendering: the one copy of each, for every module
 * that must treat text as upstream's Go code does (strconv.Quote for %q, utf8.DecodeRune). */
#ifndef ANZEN_UTIL_TEXT_H
#define ANZEN_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Decodes one UTF-8 sequence at s (n > 0 bytes available): returns its length (1-4) and sets
 * *ret_cp, or returns 0 when the bytes there are not valid UTF-8 (overlong, surrogate, past
 * U+10FFFF, truncated) — Go decodes that as RuneError (U+FFFD) of width 1. */
size_t utf8_decode(const void *s, size_t n, uint32_t *ret_cp);
/* Encodes cp (<= U+10FFFF) as UTF-8 into out; returns the length (1-4). */
size_t utf8_encode(uint32_t cp, char out[4]);
/* The offset of the first byte of data that is not valid UTF-8, or len. Every YAML input is
 * checked with it before libfyaml sees it: libfyaml 0.7.12 loops forever on some invalid
 * bytes (e.g. "%-\xff"). */
size_t utf8_invalid_at(const void *data, size_t len);
/* True if s[0..n) is valid UTF-8 (NUL allowed). */
bool utf8_valid(const char *s, size_t n);

/* Appends s[0..n) quoted as Go's strconv.Quote / %q renders it: \a \b \f \n \r \t \v, \" and
 * \\; other controls and invalid bytes as \xNN; non-printable runes as \uNNNN / \UNNNNNNNN.
 * Returns buf_append's code (AZ_ETOOLARGE past the buffer's cap). */
int go_quote(struct buf *b, const char *s, size_t n);

/* qsort/bsearch comparator for an array of C strings (char * elements): strcmp's order. */
int strp_cmp(const void *a, const void *b);

/* A request path with its %XX escapes decoded (a '%' not followed by two hex digits stays as
 * it is), as the front end reads it; malloc'd, NUL-terminated (len bytes of s, no query). */
char *percent_decode_path(const char *s, size_t len);

/* The value of one hexadecimal digit (0-9, a-f, A-F), or -1. */
static inline int hex_digit_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
