/* query.c — URL query string parsing; the rules are described in query.h. */
#include "http/query.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"

/* Decodes src[0..n) into dst (which has room for n + 1 bytes) like Go's QueryUnescape.
 * Returns the decoded length, -1 for a malformed escape, -2 for a decoded NUL byte. */
static long decode_component(const char *src, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hex_digit_value((unsigned char)src[i + 1]);
            int lo = hex_digit_value((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0')
            return -2;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return (long)o;
}

int query_parse(const char *s, size_t len, struct query *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (len == 0)
        return 0;
    if (s == NULL || len > QUERY_MAX_BYTES)
        return AZ_EBADREQUEST;

    /* Count non-empty segments first so the limit applies before any allocation. */
    size_t nseg = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        if (j > i)
            nseg++;
        i = j + 1;
    }
    if (nseg > QUERY_MAX_PARAMS)
        return AZ_EBADREQUEST;
    if (nseg == 0)
        return 0;

    struct query q = {0};
    q.params = xcalloc(nseg, sizeof(*q.params));
    q.buf = xmalloc(len + 2 * nseg + 1);

    size_t used = 0;
    int r = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        const char *seg = s + i;
        size_t seglen = j - i;
        i = j + 1;
        if (seglen == 0 || memchr(seg, ';', seglen) != NULL)
            continue;
        const char *eq = memchr(seg, '=', seglen);
        size_t nlen = eq != NULL ? (size_t)(eq - seg) : seglen;
        const char *val = eq != NULL ? eq + 1 : seg + seglen;
        size_t vlen = eq != NULL ? seglen - nlen - 1 : 0;

        char *name = q.buf + used;
        long dn = decode_component(seg, nlen, name);
        if (dn == -2) {
            r = AZ_EBADREQUEST;
            break;
        }
        if (dn < 0)
            continue; /* malformed escape: Go drops the pair */
        char *value = name + dn + 1;
        long dv = decode_component(val, vlen, value);
        if (dv == -2) {
            r = AZ_EBADREQUEST;
            break;
        }
        if (dv < 0)
            continue;
        used += (size_t)dn + 1 + (size_t)dv + 1;
        q.params[q.nparams].name = name;
        q.params[q.nparams].value = value;
        q.nparams++;
    }
    if (r < 0) {
        query_release(&q);
        return r;
    }
    *ret = q;
    return 0;
}

const char *query_get(const struct query *q, const char *name)
{
    if (q == NULL)
        return NULL;
    for (size_t i = 0; i < q->nparams; i++)
        if (strcmp(q->params[i].name, name) == 0)
            return q->params[i].value;
    return NULL;
}

bool query_has(const struct query *q, const char *name)
{
    return query_get(q, name) != NULL;
}

int query_bool(const struct query *q, const char *name, bool *ret)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const falsehoods[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *v = query_get(q, name);
    if (v == NULL)
        return AZ_ENOTFOUND;
    for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
        if (strcmp(v, truths[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcmp(v, falsehoods[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return AZ_EBADREQUEST;
}

void query_release(struct query *q)
{
    if (q == NULL)
        return;
    free(q->params);
    free(q->buf);
    memset(q, 0, sizeof(*q));
}
