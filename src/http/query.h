/* query.h — URL query string parsing (the part of a request target after '?').
 *
 * Follows Go's net/url ParseQuery as used by the apiserver through req.URL.Query():
 *   - the string is split on '&'; empty segments are skipped;
 *   - a segment containing ';' is dropped (Go >= 1.17 rejects ';' as a separator and
 *     URL.Query() silently ignores the bad pair);
 *   - each segment is split at the first '=' into name and value (no '=' means value "");
 *   - name and value are percent-decoded, '+' decodes to a space; a segment with a malformed
 *     escape ('%' not followed by two hex digits) is dropped, like Go.
 * Repeated names are kept in order; query_get returns the first, like url.Values.Get.
 *
 * Limits (client-controlled sizes): at most QUERY_MAX_PARAMS non-empty segments and
 * QUERY_MAX_BYTES of input, else AZ_EBADREQUEST. A decoded name or value containing a NUL
 * byte (%00) is also AZ_EBADREQUEST: our strings are C strings, and silently truncating a
 * selector or name would change its meaning. */
#ifndef ANZEN_HTTP_QUERY_H
#define ANZEN_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#define QUERY_MAX_PARAMS 64
#define QUERY_MAX_BYTES 8192

struct query_param {
    const char *name;  /* decoded, NUL-terminated, points into query.buf */
    const char *value; /* decoded, NUL-terminated ("" when the segment had no '='), into buf */
};

struct query {
    struct query_param *params; /* in order of appearance */
    size_t nparams;
    char *buf;                  /* owns all decoded strings */
};

/* Parses s[0..len) (no leading '?'). On success fills *ret (release with query_release) and
 * returns 0; on failure returns AZ_EBADREQUEST and leaves *ret empty (safe to release).
 * s may be NULL when len is 0. */
int query_parse(const char *s, size_t len, struct query *ret);

/* First value of name, or NULL when absent. q may be NULL. */
const char *query_get(const struct query *q, const char *name);

/* Whether name appears at least once (with or without a value). q may be NULL. */
bool query_has(const struct query *q, const char *name);

/* Parses the first value of name like Go's strconv.ParseBool: 1 t T TRUE true True are true,
 * 0 f F FALSE false False are false. Returns 0 and sets *ret on success, AZ_ENOTFOUND when
 * the parameter is absent, AZ_EBADREQUEST for any other value (*ret untouched on failure). */
int query_bool(const struct query *q, const char *name, bool *ret);

/* Frees what query_parse allocated and empties q. Accepts an empty or zeroed q. */
void query_release(struct query *q);

#endif
