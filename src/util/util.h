/* util.h — small shared pieces: randomness, UUIDs, timestamps, base64, random name suffixes,
 * constant-time comparison. */
#ifndef ANZEN_UTIL_UTIL_H
#define ANZEN_UTIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* n bytes from OpenSSL's CSPRNG (RAND_bytes) into p; aborts if it fails (as on OOM). */
void random_bytes(void *p, size_t n);
/* Random RFC 4122 v4 UUID, 36 chars + NUL into out. */
void uuid_v4(char out[37]);
/* RFC3339 UTC, second precision ("2006-01-02T15:04:05Z"), into out (>= 21 bytes). */
void time_rfc3339(time_t t, char out[32]);
/* clock_wall() as RFC3339 with microseconds ("...05.000000Z", metav1.MicroTime). */
void time_rfc3339_micro(char out[40]);
/* Parses an RFC3339 timestamp (optional fraction, "Z" or "+hh:mm"/"-hh:mm"; 'T' and 'Z' in
 * either case; a real calendar day; years 1678-2261, the int64 nanosecond range) into
 * nanoseconds since the epoch. False if s[0..len) is not one. */
bool time_parse_rfc3339_ns(const char *s, size_t len, int64_t *ret_ns);
/* time_parse_rfc3339_ns of a NUL-terminated s in whole seconds (rounded down); -1 if invalid
 * or NULL. */
time_t time_parse_rfc3339(const char *s);
/* Upstream's generateName suffix: 5 chars from "bcdfghjklmnpqrstvwxz2456789". */
void random_suffix(char out[6]);
/* base64 (std alphabet with padding) and base64url (no padding); malloc'd results. */
char *base64_encode(const void *data, size_t len);
char *base64url_encode(const void *data, size_t len);
/* Decodes std or url alphabet, padding optional. NULL on invalid input; the result is
 * malloc'd and NUL-terminated (not counted in *ret_len). */
unsigned char *base64_decode(const char *s, size_t len, size_t *ret_len);
/* Decodes base64url without padding (Go's base64.RawURLEncoding, as JWTs use): '=', '+' and
 * '/' are invalid. NULL on invalid input; malloc'd and NUL-terminated like base64_decode. */
unsigned char *base64url_decode_raw(const char *s, size_t len, size_t *ret_len);
/* The most bytes len base64 digits (no padding) decode to. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)
/* base64url_decode_raw into out (cap >= BASE64_DECODED_MAX(len) bytes, not NUL-terminated),
 * without allocating: 0 with *ret_len, or AZ_EINVALID. */
int base64url_decode_into(const char *s, size_t len, unsigned char *out, size_t cap, size_t *ret_len);
/* Constant-time equality of two byte strings of possibly different lengths. */
bool ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
