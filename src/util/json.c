/* json.c — Go encoding/json compatible writer; see json.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"

static const char hexd[] = "0123456789abcdef";

static int write_string(struct buf *out, const char *s, size_t len)
{
    int r = buf_putc(out, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0;
    while (r == 0 && i < len) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < 0x80) {
            i++;
            continue;
        }
        if (c < 0x80) {
            r = buf_append(out, s + start, i - start);
            char esc[7] = "\\u00";
            switch (c) {
            case '"': r = r ? r : buf_puts(out, "\\\""); break;
            case '\\': r = r ? r : buf_puts(out, "\\\\"); break;
            case '\n': r = r ? r : buf_puts(out, "\\n"); break;
            case '\r': r = r ? r : buf_puts(out, "\\r"); break;
            case '\t': r = r ? r : buf_puts(out, "\\t"); break;
            default:
                esc[4] = hexd[c >> 4];
                esc[5] = hexd[c & 15];
                esc[6] = 0;
                r = r ? r : buf_puts(out, esc);
            }
            i++;
            start = i;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            r = buf_append(out, s + start, i - start);
            r = r ? r : buf_puts(out, "\\ufffd");
            i++;
            start = i;
        } else if (cp == 0x2028 || cp == 0x2029) {
            r = buf_append(out, s + start, i - start);
            r = r ? r : buf_puts(out, cp == 0x2028 ? "\\u2028" : "\\u2029");
            i += n;
            start = i;
        } else {
            i += n;
        }
    }
    if (r == 0)
        r = buf_append(out, s + start, i - start);
    return r ? r : buf_putc(out, '"');
}

static int write_real(struct buf *out, double d)
{
    /* Go formats float64 with the shortest repr ('f' for 1e-6 <= |d| < 1e21, else 'e'). */
    char tmp[64];
    if (!isfinite(d))
        return buf_puts(out, "null");
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    double a = fabs(d);
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        /* Go: 1e+21 form with at least 2 exponent digits: "1e+21", "1e-07" */
        return buf_puts(out, tmp);
    }
    if (strchr(tmp, 'e') != NULL) {
        /* expand to plain decimal */
        for (int prec = 0; prec <= 20; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*f", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
    }
    return buf_puts(out, tmp);
}

static int indent(struct buf *out, int depth)
{
    int r = buf_putc(out, '\n');
    for (int i = 0; r == 0 && i < depth; i++)
        r = buf_puts(out, "  ");
    return r;
}

static int write_value(struct buf *out, json_t *v, bool pretty, int depth)
{
    if (depth > 4096) /* beyond jansson's parse limit (2048): never hit by decoded input */
        return AZ_ETOOLARGE;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0)
            return buf_puts(out, "{}");
        int r = buf_putc(out, '{');
        const char *k;
        json_t *child;
        bool first = true;
        json_object_foreach(v, k, child) {
            if (!first)
                r = r ? r : buf_putc(out, ',');
            first = false;
            if (pretty)
                r = r ? r : indent(out, depth + 1);
            r = r ? r : write_string(out, k, strlen(k));
            r = r ? r : buf_puts(out, pretty ? ": " : ":");
            r = r ? r : write_value(out, child, pretty, depth + 1);
        }
        if (pretty)
            r = r ? r : indent(out, depth);
        return r ? r : buf_putc(out, '}');
    }
    case JSON_ARRAY: {
        if (json_array_size(v) == 0)
            return buf_puts(out, "[]");
        int r = buf_putc(out, '[');
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) {
            if (i)
                r = r ? r : buf_putc(out, ',');
            if (pretty)
                r = r ? r : indent(out, depth + 1);
            r = r ? r : write_value(out, child, pretty, depth + 1);
        }
        if (pretty)
            r = r ? r : indent(out, depth);
        return r ? r : buf_putc(out, ']');
    }
    case JSON_STRING:
        return write_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return write_real(out, json_real_value(v));
    case JSON_TRUE:
        return buf_puts(out, "true");
    case JSON_FALSE:
        return buf_puts(out, "false");
    case JSON_NULL:
        return buf_puts(out, "null");
    }
    return AZ_EINVALID;
}

int json_write_go(struct buf *out, json_t *v, bool pretty)
{
    int r = write_value(out, v, pretty, 0);
    if (r == 0 && !pretty)
        r = buf_putc(out, '\n');
    return r;
}

char *json_dump_go(json_t *v, bool pretty, size_t *ret_len)
{
    struct buf b = BUF_INIT;
    json_write_go(&b, v, pretty);
    return buf_detach(&b, ret_len);
}

/* ---- jansson's compact, insertion-ordered encoding (json_dumps_compact) ---------------- */

#define JC_MAX_DEPTH 512 /* deeper trees go to jansson itself */

/* The output: a plain growable array (no struct buf call per piece: this writer makes one
 * store encoding per write). */
struct jc_out {
    char *p;
    size_t len, cap;
};

static char *jc_room(struct jc_out *o, size_t n)
{
    if (o->cap - o->len < n) {
        size_t cap = o->cap ? o->cap : 512;
        while (cap - o->len < n)
            cap *= 2;
        o->p = xrealloc(o->p, cap);
        o->cap = cap;
    }
    return o->p + o->len;
}

static void jc_put(struct jc_out *o, const char *s, size_t n)
{
    memcpy(jc_room(o, n), s, n);
    o->len += n;
}

/* bytes a string may copy as they are: printable ASCII but '"' and '\\' (the rest: escapes,
 * or UTF-8 sequences to check) */
static const unsigned char jc_plain[256] = {
    [' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1, [0x7f] = 1,
};

/* jansson's dump_string: \\ \" \b \f \n \r \t, other controls as \u00XX (upper-case hex),
 * everything else as is. AZ_EINVALID for bytes that are not UTF-8 (jansson refuses them). */
static int jc_string(struct jc_out *o, const char *s, size_t len)
{
    static const char hexu[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    jc_put(o, "\"", 1);
    while (i < len) {
        size_t start = i;
        while (i < len && jc_plain[p[i]])
            i++;
        if (i > start)
            jc_put(o, s + start, i - start);
        if (i == len)
            break;
        unsigned char c = p[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_decode(p + i, len - i, &cp);
            if (n == 0)
                return AZ_EINVALID;
            jc_put(o, s + i, n);
            i += n;
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hexu[c >> 4], hexu[c & 15]};
        size_t el = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: el = 6; break;
        }
        jc_put(o, esc, el);
        i++;
    }
    jc_put(o, "\"", 1);
    return 0;
}

/* One value; AZ_EINVALID for what this writer leaves to jansson (reals: jansson's %.17g
 * rules; bad UTF-8; nesting past JC_MAX_DEPTH). */
static int jc_value(struct jc_out *o, const json_t *v, int depth)
{
    if (depth > JC_MAX_DEPTH)
        return AZ_EINVALID;
    int r = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        jc_put(o, "{", 1);
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); r == 0 && it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                jc_put(o, ",", 1);
            first = false;
            r = jc_string(o, json_object_iter_key(it), json_object_iter_key_len(it));
            if (r == 0)
                jc_put(o, ":", 1);
            r = r ? r : jc_value(o, json_object_iter_value(it), depth + 1);
        }
        jc_put(o, "}", 1);
        return r;
    }
    case JSON_ARRAY: {
        jc_put(o, "[", 1);
        size_t n = json_array_size(v);
        for (size_t i = 0; r == 0 && i < n; i++) {
            if (i > 0)
                jc_put(o, ",", 1);
            r = jc_value(o, json_array_get(v, i), depth + 1);
        }
        jc_put(o, "]", 1);
        return r;
    }
    case JSON_STRING:
        return jc_string(o, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        char num[24];
        int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        jc_put(o, num, (size_t)n);
        return 0;
    }
    case JSON_TRUE:
        jc_put(o, "true", 4);
        return 0;
    case JSON_FALSE:
        jc_put(o, "false", 5);
        return 0;
    case JSON_NULL:
        jc_put(o, "null", 4);
        return 0;
    case JSON_REAL:
        break;
    }
    return AZ_EINVALID;
}

char *json_dumps_compact(const json_t *v, size_t *ret_len)
{
    if (json_is_object(v) || json_is_array(v)) {
        struct jc_out o = {0};
        if (jc_value(&o, v, 0) == 0) {
            jc_put(&o, "", 1); /* the NUL */
            if (ret_len != NULL)
                *ret_len = o.len - 1;
            return o.p;
        }
        free(o.p);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (ret_len != NULL)
        *ret_len = s != NULL ? strlen(s) : 0;
    return s;
}

const char *json_str(json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_path(json_t *obj, const char *dotted)
{
    const char *p = dotted;
    while (obj != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(obj))
            return NULL;
        obj = json_object_getn(obj, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    return obj;
}

const char *json_path_str(json_t *obj, const char *dotted)
{
    json_t *v = json_path(obj, dotted);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_obj_ensure(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
    if (s == NULL)
        json_object_del(obj, key);
    else
        json_object_set_new(obj, key, json_string(s));
}

const char **json_sorted_keys(json_t *obj, size_t *ret_n)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), strp_cmp);
    *ret_n = n;
    return keys;
}
