/* jsonfast.h — a strict JSON reader that builds jansson values three to four times faster
 * than json_loadb (whose byte-at-a-time lexer takes 7 us for a 600-byte token payload here),
 * for hot paths that parse small untrusted documents: ServiceAccount token headers and
 * payloads (authn/jwt.c).
 *
 * CONTRACT: accepts exactly what json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err) accepts
 * and returns an equal value (json_equal):
 *   - the text is one array or object, optionally surrounded by space, tab, CR, LF;
 *   - strings are valid UTF-8 without control characters; escapes \" \\ \/ \b \f \n \r \t
 *     and \uXXXX (surrogate pairs combined; a lone surrogate or \u0000 is an error);
 *   - numbers: integers fit a long long, reals do not overflow a double; no leading zeros,
 *     no lone '-', a digit after '.' and after the exponent;
 *   - literals true, false, null (not followed by a letter);
 *   - no duplicate object keys, nesting at most JSONFAST_MAX_DEPTH (jansson's 2048);
 *   - and jansson's quirk: one NUL byte right after a number or literal is ignored.
 * fuzz/jsonfast_fuzz.c checks the contract against jansson on arbitrary input. No error
 * text: the callers only need yes or no. Thread-safe. */
#ifndef ANZEN_UTIL_JSONFAST_H
#define ANZEN_UTIL_JSONFAST_H

#include <jansson.h>
#include <stddef.h>

#define JSONFAST_MAX_DEPTH 2048

/* The value of the len bytes at buf (a new reference), or NULL when json_loadb would fail. */
json_t *jsonfast_loadb(const char *buf, size_t len);

/* Stored object bytes to a value (a new reference, NULL when not JSON): jsonfast_loadb, else
 * json_loadb(JSON_ALLOW_NUL) for what jsonfast refuses that stored bytes can hold (a \u0000;
 * repeated keys, which the store's encoder never writes). The one decoder of stored bytes:
 * the REST layer's and the watch cache's trees must be equal, as the cache hands the one it
 * got from the attributes function to its watchers. */
json_t *jsonfast_load_stored(const char *buf, size_t len);

#endif
