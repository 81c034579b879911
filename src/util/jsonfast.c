/* jsonfast.c — strict recursive-descent JSON reader producing jansson values; see
 * jsonfast.h for the contract (json_loadb with JSON_REJECT_DUPLICATES, value for value).
 * Strings without escapes go straight from the input to json_stringn_nocheck after one UTF-8
 * check; numbers are converted by strtoll/strtod from a NUL-terminated copy, as jansson does. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonfast.h"
#include "util/text.h"
#include "util/util.h"

struct reader {
    const char *p, *end;
    int depth;
};

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* Four hex digits at p (before end) into *ret: 0, or AZ_EINVALID. */
static int hex4(const char *p, const char *end, unsigned *ret)
{
    if (end - p < 4)
        return AZ_EINVALID;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit_value((unsigned char)p[i]);
        if (d < 0)
            return AZ_EINVALID;
        v = v << 4 | (unsigned)d;
    }
    *ret = v;
    return 0;
}

/* The escapes of s[0..n) (the raw text between the quotes, valid UTF-8) decoded into b: 0, or
 * AZ_EINVALID for an escape JSON does not allow. */
static int unescape(const char *s, size_t n, struct buf *b)
{
    const char *end = s + n;
    while (s < end) {
        const char *bs = memchr(s, '\\', (size_t)(end - s));
        if (bs == NULL)
            bs = end;
        buf_append(b, s, (size_t)(bs - s));
        if (bs == end)
            break;
        s = bs + 1; /* the closing quote follows a backslash's partner, so s < end */
        char c = *s++;
        switch (c) {
        case '"': case '\\': case '/': buf_putc(b, c); break;
        case 'b': buf_putc(b, '\b'); break;
        case 'f': buf_putc(b, '\f'); break;
        case 'n': buf_putc(b, '\n'); break;
        case 'r': buf_putc(b, '\r'); break;
        case 't': buf_putc(b, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(s, end, &cp) != 0)
                return AZ_EINVALID;
            s += 4;
            if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return AZ_EINVALID;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, end, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return AZ_EINVALID;
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            char u[4];
            buf_append(b, u, utf8_encode(cp, u));
            break;
        }
        default:
            return AZ_EINVALID;
        }
    }
    return 0;
}

/* A string token at r->p ('"'): *ret_s and *ret_n point into the input when it has no escapes,
 * else into b (decoded). Returns 0, or AZ_EINVALID when the string is not valid JSON. */
static int read_string(struct reader *r, struct buf *b, const char **ret_s, size_t *ret_n)
{
    const char *s = ++r->p;
    bool escapes = false;
    unsigned char high = 0; /* OR of the bytes: UTF-8 needs checking only past ASCII */
    for (;;) {
        if (r->p >= r->end)
            return AZ_EINVALID;
        unsigned char c = (unsigned char)*r->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return AZ_EINVALID;
        high |= c;
        if (c == '\\') {
            escapes = true;
            if (++r->p >= r->end)
                return AZ_EINVALID;
            high |= (unsigned char)*r->p;
        }
        r->p++;
    }
    size_t n = (size_t)(r->p - s);
    r->p++;
    if ((high & 0x80) && !utf8_valid(s, n))
        return AZ_EINVALID;
    if (!escapes) {
        *ret_s = s, *ret_n = n;
        return 0;
    }
    b->len = 0;
    if (unescape(s, n, b) != 0)
        return AZ_EINVALID;
    *ret_s = b->data ? b->data : "", *ret_n = b->len;
    return 0;
}

/* jansson 2.14 quirk, kept for the contract: the byte that ends a number or a literal is
 * pushed back into its one-character stream buffer, where a NUL means "empty", so one NUL
 * right after a number or literal is skipped ("[1\0]" is [1]). */
static const char *skip_ungot_nul(const char *p, const char *end)
{
    return p < end && *p == '\0' ? p + 1 : p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static json_t *read_number(struct reader *r)
{
    const char *s = r->p, *p = s, *end = r->end;
    bool real = false;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL;
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        real = true;
        if (++p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    r->p = skip_ungot_nul(p, end);
    size_t n = (size_t)(p - s);
    char small[64];
    char *text = n < sizeof(small) ? small : xmalloc(n + 1);
    memcpy(text, s, n);
    text[n] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (real) {
        double d = strtod(text, NULL);
        if (!((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE))
            v = json_real(d);
    } else {
        long long i = strtoll(text, NULL, 10);
        if (errno != ERANGE)
            v = json_integer(i);
    }
    if (text != small)
        free(text);
    return v;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static json_t *read_literal(struct reader *r)
{
    const char *s = r->p;
    while (r->p < r->end && is_letter(*r->p))
        r->p++;
    size_t n = (size_t)(r->p - s);
    r->p = skip_ungot_nul(r->p, r->end);
    if (n == 4 && memcmp(s, "true", 4) == 0)
        return json_true();
    if (n == 5 && memcmp(s, "false", 5) == 0)
        return json_false();
    if (n == 4 && memcmp(s, "null", 4) == 0)
        return json_null();
    return NULL;
}

static json_t *read_value(struct reader *r, struct buf *b);

static json_t *read_object(struct reader *r, struct buf *b)
{
    json_t *o = json_object();
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        const char *k;
        size_t kn;
        if (r->p >= r->end || *r->p != '"' || read_string(r, b, &k, &kn) != 0 || memchr(k, '\0', kn) != NULL)
            goto fail;
        char small[128]; /* the key may live in b, which the value's parse reuses */
        char *key = kn < sizeof(small) ? small : xmalloc(kn + 1);
        memcpy(key, k, kn);
        key[kn] = '\0';
        bool dup = json_object_getn(o, key, kn) != NULL;
        json_t *v = NULL;
        skip_space(r);
        if (!dup && r->p < r->end && *r->p == ':') {
            r->p++;
            skip_space(r);
            v = read_value(r, b);
        }
        if (v != NULL)
            json_object_setn_new_nocheck(o, key, kn, v);
        if (key != small)
            free(key);
        if (v == NULL)
            goto fail;
        skip_space(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == '}') {
            r->p++;
            return o;
        }
        if (*r->p != ',')
            goto fail;
        r->p++;
        skip_space(r);
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *read_array(struct reader *r, struct buf *b)
{
    json_t *a = json_array();
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        json_t *v = read_value(r, b);
        if (v == NULL || json_array_append_new(a, v) != 0)
            goto fail;
        skip_space(r);
        if (r->p >= r->end)
            goto fail;
        if (*r->p == ']') {
            r->p++;
            return a;
        }
        if (*r->p != ',')
            goto fail;
        r->p++;
        skip_space(r);
    }
fail:
    json_decref(a);
    return NULL;
}

static json_t *read_value(struct reader *r, struct buf *b)
{
    if (r->p >= r->end)
        return NULL;
    char c = *r->p;
    if (c == '{' || c == '[') {
        if (++r->depth > JSONFAST_MAX_DEPTH)
            return NULL;
        json_t *v = c == '{' ? read_object(r, b) : read_array(r, b);
        r->depth--;
        return v;
    }
    if (c == '"') {
        const char *s;
        size_t n;
        if (read_string(r, b, &s, &n) != 0 || memchr(s, '\0', n) != NULL)
            return NULL;
        return json_stringn_nocheck(s, n);
    }
    if (c == '-' || is_digit(c))
        return read_number(r);
    if (is_letter(c))
        return read_literal(r);
    return NULL;
}

json_t *jsonfast_load_stored(const char *buf, size_t len)
{
    json_t *v = jsonfast_loadb(buf, len);
    return v != NULL ? v : json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
}

json_t *jsonfast_loadb(const char *buf, size_t len)
{
    struct reader r = {.p = buf, .end = buf + len};
    struct buf b = BUF_INIT;
    skip_space(&r);
    json_t *v = NULL;
    if (r.p < r.end && (*r.p == '{' || *r.p == '['))
        v = read_value(&r, &b);
    buf_release(&b);
    if (v == NULL)
        return NULL;
    skip_space(&r);
    if (r.p != r.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}
