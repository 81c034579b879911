/* util.h — small shared pieces: UUIDs, timestamps, base64, random name suffixes,
 * constant-time comparison. */
#ifndef ANZEN_UTIL_UTIL_H
#define ANZEN_UTIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Random RFC 4122 v4 UUID, 36 chars + NUL into out. */
void uuid_v4(char out[37]);
/* RFC3339 UTC, second precision ("2006-01-02T15:04:05Z"), into out (>= 21 bytes). */
void time_rfc3339(time_t t, char out[32]);
/* clock_wall() as RFC3339 with microseconds ("...05.000000Z", metav1.MicroTime). */
void time_rfc3339_micro(char out[40]);
/* Parses an RFC3339 timestamp; -1 if invalid. */
time_t time_parse_rfc3339(const char *s);
/* Upstream's generateName suffix: 5 chars from "bcdfghjklmnpqrstvwxz2456789". */
void random_suffix(char out[6]);
/* base64 (std alphabet with padding) and base64url (no padding); malloc'd results. */
char *base64_encode(const void *data, size_t len);
char *base64url_encode(const void *data, size_t len);
/* Decodes std or url alphabet, padding optional. NULL on invalid input. */
unsigned char *base64_decode(const char *s, size_t len, size_t *ret_len);
/* Constant-time equality of two byte strings of possibly different lengths. */
bool ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* The offset of the first byte of data that is not valid UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF), or len. Every YAML input is checked with it before libfyaml
 * sees it: libfyaml 0.7.12 loops forever on some invalid bytes (e.g. "%-\xff"). */
size_t utf8_invalid_at(const void *data, size_t len);

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF; NUL allowed). Checked before handing text to libfyaml, which loops forever on some
 * malformed input (e.g. "s:\n% x: \xff"). */
bool utf8_valid(const char *s, size_t n);

#endif
