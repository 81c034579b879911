/* patch.c — JSON patch (RFC 6902) and JSON merge patch (RFC 7386) as kube-apiserver applies
 * them (evanphx/json-patch v4 semantics and error texts), body decoding with Go encoding/json's
 * syntax error messages, and the dispatcher patch_apply(). Strategic merge patch is smpatch.c.
 * Contract and error table: patch.h. */
#include "machinery/patch.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/status.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonfast.h"
#include "util/text.h"

/* ---- Go encoding/json syntax errors ------------------------------------------------------
 * A recursive checker that fails on the same byte, with the same text, as Go's scanner
 * (encoding/json/scanner.go): "invalid character 'x' <context>" or "unexpected end of JSON
 * input". At end of input Go feeds one space to the scanner, so states that cannot accept a
 * space report "invalid character ' ' ...". */

struct gojson_scan {
    const unsigned char *p, *end;
    int depth;
    char *err;
};

/* Go's quoteChar(): the byte as a Go-quoted rune between single quotes. */
static void go_quote_char(unsigned char c, char out[16])
{
    if (c == '\'') {
        snprintf(out, 16, "'\\''");
    } else if (c == '"') {
        snprintf(out, 16, "'\"'");
    } else if (c == '\\') {
        snprintf(out, 16, "'\\\\'");
    } else if (c >= 0x20 && c < 0x7f) {
        snprintf(out, 16, "'%c'", c);
    } else if (c == '\a' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' || c == '\v') {
        static const char map[] = "abtnvfr"; /* \a=7 \b=8 \t=9 \n=10 \v=11 \f=12 \r=13 */
        snprintf(out, 16, "'\\%c'", map[c - 7]);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(out, 16, "'\\x%02x'", c);
    } else if (c < 0xa1 || c == 0xad) {
        snprintf(out, 16, "'\\u%04x'", c);
    } else {
        snprintf(out, 16, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    }
}

static int gj_fail(struct gojson_scan *s, unsigned char c, const char *ctx)
{
    char q[16];
    go_quote_char(c, q);
    s->err = xasprintf("invalid character %s %s", q, ctx);
    return AZ_EBADREQUEST;
}

static int gj_eof(struct gojson_scan *s)
{
    s->err = xasprintf("unexpected end of JSON input");
    return AZ_EBADREQUEST;
}

static void gj_space(struct gojson_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

/* Next byte, or ' ' at end of input (what Go's scanner sees then). */
static unsigned char gj_peek(struct gojson_scan *s)
{
    return s->p < s->end ? *s->p : ' ';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int gj_literal(struct gojson_scan *s, const char *word)
{
    s->p++;
    for (const char *w = word + 1; *w != '\0'; w++) {
        unsigned char c = gj_peek(s);
        if (c != (unsigned char)*w) {
            char ctx[64];
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, *w);
            return gj_fail(s, c, ctx);
        }
        s->p++;
    }
    return 0;
}

static int gj_number(struct gojson_scan *s)
{
    if (*s->p == '-') {
        s->p++;
        if (!is_digit(gj_peek(s)))
            return gj_fail(s, gj_peek(s), "in numeric literal");
    }
    if (*s->p == '0') {
        s->p++;
    } else {
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!is_digit(gj_peek(s)))
            return gj_fail(s, gj_peek(s), "after decimal point in numeric literal");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!is_digit(gj_peek(s)))
            return gj_fail(s, gj_peek(s), "in exponent of numeric literal");
        while (s->p < s->end && is_digit(*s->p))
            s->p++;
    }
    return 0;
}

static int gj_string(struct gojson_scan *s)
{
    s->p++;
    for (;;) {
        if (s->p >= s->end)
            return gj_eof(s);
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c == '\\') {
            s->p++;
            unsigned char e = gj_peek(s);
            if (e == 'u') {
                s->p++;
                for (int i = 0; i < 4; i++) {
                    if (!is_hex(gj_peek(s)))
                        return gj_fail(s, gj_peek(s), "in \\u hexadecimal character escape");
                    s->p++;
                }
                continue;
            }
            if (strchr("bfnrt\\/\"", e) == NULL || s->p >= s->end)
                return gj_fail(s, e, "in string escape code");
            s->p++;
            continue;
        }
        if (c < 0x20)
            return gj_fail(s, c, "in string literal");
        s->p++;
    }
}

static int gj_value(struct gojson_scan *s);

static int gj_object(struct gojson_scan *s)
{
    s->p++;
    gj_space(s);
    if (s->p >= s->end)
        return gj_eof(s);
    if (*s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (*s->p != '"')
            return gj_fail(s, *s->p, "looking for beginning of object key string");
        if (gj_string(s) != 0)
            return AZ_EBADREQUEST;
        gj_space(s);
        if (s->p >= s->end)
            return gj_eof(s);
        if (*s->p != ':')
            return gj_fail(s, *s->p, "after object key");
        s->p++;
        if (gj_value(s) != 0)
            return AZ_EBADREQUEST;
        gj_space(s);
        if (s->p >= s->end)
            return gj_eof(s);
        if (*s->p == '}') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return gj_fail(s, *s->p, "after object key:value pair");
        s->p++;
        gj_space(s);
        if (s->p >= s->end)
            return gj_eof(s);
    }
}

static int gj_array(struct gojson_scan *s)
{
    s->p++;
    gj_space(s);
    if (s->p >= s->end)
        return gj_eof(s);
    if (*s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (gj_value(s) != 0)
            return AZ_EBADREQUEST;
        gj_space(s);
        if (s->p >= s->end)
            return gj_eof(s);
        if (*s->p == ']') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return gj_fail(s, *s->p, "after array element");
        s->p++;
    }
}

static int gj_value(struct gojson_scan *s)
{
    gj_space(s);
    if (s->p >= s->end)
        return gj_eof(s);
    unsigned char c = *s->p;
    int rc;
    switch (c) {
    case '{':
    case '[':
        if (++s->depth > PATCH_MAX_DEPTH) {
            s->err = xasprintf("exceeded max depth");
            return AZ_EBADREQUEST;
        }
        rc = c == '{' ? gj_object(s) : gj_array(s);
        s->depth--;
        return rc;
    case '"':
        return gj_string(s);
    case 't':
        return gj_literal(s, "true");
    case 'f':
        return gj_literal(s, "false");
    case 'n':
        return gj_literal(s, "null");
    default:
        if (c == '-' || is_digit(c))
            return gj_number(s);
        return gj_fail(s, c, "looking for beginning of value");
    }
}

/* Parses buf as Go's json.Unmarshal would accept it. Returns the value (new reference; JSON
 * null is json_null()) or NULL with *ret_err set to Go's error text. */
static json_t *go_json_parse(const char *buf, size_t len, char **ret_err)
{
    struct gojson_scan s = {(const unsigned char *)buf, (const unsigned char *)buf + len, 0, NULL};
    if (gj_value(&s) == 0) {
        gj_space(&s);
        if (s.p < s.end)
            gj_fail(&s, *s.p, "after top-level value");
    }
    if (s.err != NULL) {
        *ret_err = s.err;
        return NULL;
    }
    /* Go accepts it. jsonfast builds json_loadb's value (same members in the same order, same
     * types) 3-4x faster when the text is an object or array without repeated keys or \u0000,
     * which is what it accepts; json_loadb reads everything else */
    json_t *v = jsonfast_loadb(buf, len);
    if (v != NULL)
        return v;
    json_error_t jerr;
    v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (v == NULL)
        *ret_err = xasprintf("%s", jerr.text); /* valid for Go, not for jansson (e.g. bad UTF-8) */
    return v;
}

json_t *json_parse_go(const char *buf, size_t len, char **ret_err)
{
    return go_json_parse(buf, len, ret_err);
}

/* Go's name of a JSON value's kind in UnmarshalTypeError. */
static const char *go_json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "null";
    }
    return "value";
}

const char *patch_go_json_kind(json_t *v)
{
    return go_json_kind(v);
}

/* ---- JSON patch (RFC 6902, evanphx/json-patch v4) ---------------------------------------- */

/* Where an operation acts: a container and the (decoded) last path segment. */
struct jp_target {
    json_t *con;    /* object or array */
    char *key;      /* malloc'd, RFC 6901-decoded */
};

/* RFC 6901 unescape of one segment: ~1 -> '/', ~0 -> '~' (one pass). */
static char *jp_decode_segment(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[j++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

/* Go strconv.Atoi. Returns 0, or AZ_EINVALID with *ret_err `strconv.Atoi: parsing "k": ...`. */
static int go_atoi(const char *k, long long *ret, char **ret_err)
{
    const char *p = k;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == '\0')
        goto syntax;
    unsigned long long v = 0;
    for (; *p != '\0'; p++) {
        if (!is_digit((unsigned char)*p))
            goto syntax;
        if (v > (UINT64_MAX - 9) / 10) {
            *ret_err = xasprintf("strconv.Atoi: parsing \"%s\": value out of range", k);
            return AZ_EINVALID;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > (unsigned long long)INT64_MAX + (neg ? 1 : 0)) {
        *ret_err = xasprintf("strconv.Atoi: parsing \"%s\": value out of range", k);
        return AZ_EINVALID;
    }
    *ret = neg ? (long long)(0 - v) : (long long)v;
    return 0;
syntax:
    *ret_err = xasprintf("strconv.Atoi: parsing \"%s\": invalid syntax", k);
    return AZ_EINVALID;
}

/* evanphx findObject(): walks all but the last segment (the first segment, before the first
 * '/', is ignored as upstream does). Returns false if the path does not resolve. */
static bool jp_find(json_t *doc, const char *path, struct jp_target *ret)
{
    const char *slash = strchr(path, '/');
    if (slash == NULL)
        return false;
    json_t *cur = doc;
    const char *seg = slash + 1;
    for (;;) {
        const char *next = strchr(seg, '/');
        if (next == NULL)
            break;
        char *key = jp_decode_segment(seg, (size_t)(next - seg));
        json_t *child = NULL;
        if (json_is_object(cur)) {
            child = json_object_get(cur, key);
        } else if (json_is_array(cur)) {
            long long idx;
            char *err = NULL;
            long long n = (long long)json_array_size(cur);
            if (go_atoi(key, &idx, &err) == 0) {
                if (idx < 0 && idx >= -n)
                    idx += n;
                if (idx >= 0 && idx < n)
                    child = json_array_get(cur, (size_t)idx);
            }
            free(err);
        }
        free(key);
        if (child == NULL || !(json_is_object(child) || json_is_array(child)))
            return false;
        cur = child;
        seg = next + 1;
    }
    if (!json_is_object(cur) && !json_is_array(cur))
        return false;
    ret->con = cur;
    ret->key = jp_decode_segment(seg, strlen(seg));
    return true;
}

/* Array index of key for get/set/remove (negative counts from the end). */
static int jp_index(json_t *arr, const char *key, size_t *ret_idx, char **ret_err)
{
    long long idx, n = (long long)json_array_size(arr);
    if (go_atoi(key, &idx, ret_err) != 0)
        return AZ_EINVALID;
    long long orig = idx;
    if (idx < 0) {
        if (idx < -n) {
            *ret_err = xasprintf("Unable to access invalid index: %lld: invalid index referenced", orig);
            return AZ_EINVALID;
        }
        idx += n;
    }
    if (idx >= n) {
        *ret_err = xasprintf("Unable to access invalid index: %lld: invalid index referenced", idx);
        return AZ_EINVALID;
    }
    *ret_idx = (size_t)idx;
    return 0;
}

/* Container get: *ret is a borrowed value or NULL (absent or JSON null, as upstream). */
static int jp_get(struct jp_target *t, json_t **ret, char **ret_err)
{
    if (json_is_object(t->con)) {
        json_t *v = json_object_get(t->con, t->key);
        *ret = json_is_null(v) ? NULL : v;
        return 0;
    }
    size_t idx;
    if (jp_index(t->con, t->key, &idx, ret_err) != 0)
        return AZ_EINVALID;
    json_t *v = json_array_get(t->con, idx);
    *ret = json_is_null(v) ? NULL : v;
    return 0;
}

/* Container add; steals val. */
static int jp_add(struct jp_target *t, json_t *val, char **ret_err)
{
    if (json_is_object(t->con)) {
        json_object_set_new(t->con, t->key, val);
        return 0;
    }
    if (strcmp(t->key, "-") == 0) {
        json_array_append_new(t->con, val);
        return 0;
    }
    long long idx, sz = (long long)json_array_size(t->con) + 1;
    char *aerr = NULL;
    if (go_atoi(t->key, &idx, &aerr) != 0) {
        *ret_err = xasprintf("value was not a proper array index: '%s': %s", t->key, aerr);
        free(aerr);
        json_decref(val);
        return AZ_EINVALID;
    }
    if (idx >= sz || idx < -sz) {
        *ret_err = xasprintf("Unable to access invalid index: %lld: invalid index referenced", idx);
        json_decref(val);
        return AZ_EINVALID;
    }
    if (idx < 0)
        idx += sz;
    json_array_insert_new(t->con, (size_t)idx, val);
    return 0;
}

/* Container set (replace); steals val. */
static int jp_set(struct jp_target *t, json_t *val, char **ret_err)
{
    if (json_is_object(t->con)) {
        json_object_set_new(t->con, t->key, val);
        return 0;
    }
    size_t idx;
    if (jp_index(t->con, t->key, &idx, ret_err) != 0) {
        json_decref(val);
        return AZ_EINVALID;
    }
    json_array_set_new(t->con, idx, val);
    return 0;
}

static int jp_remove(struct jp_target *t, char **ret_err)
{
    if (json_is_object(t->con)) {
        if (json_object_get(t->con, t->key) == NULL) {
            *ret_err = xasprintf("Unable to remove nonexistent key: %s: missing value", t->key);
            return AZ_EINVALID;
        }
        json_object_del(t->con, t->key);
        return 0;
    }
    size_t idx;
    if (jp_index(t->con, t->key, &idx, ret_err) != 0)
        return AZ_EINVALID;
    json_array_remove(t->con, idx);
    return 0;
}

/* Nesting depth of v, counting up to limit+1 at most (bounded recursion). */
static int json_depth_bounded(json_t *v, int limit)
{
    if (limit < 0 || !(json_is_object(v) || json_is_array(v)))
        return 0;
    int max = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) {
            int d = json_depth_bounded(c, limit - 1);
            if (d > max)
                max = d;
            if (max > limit)
                break;
        }
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            int d = json_depth_bounded(c, limit - 1);
            if (d > max)
                max = d;
            if (max > limit)
                break;
        }
    }
    return max + 1;
}

static size_t count_segments(const char *path)
{
    size_t n = 0;
    for (; *path != '\0'; path++)
        n += *path == '/';
    return n;
}

/* State shared by the operations of one patch. */
struct jp_state {
    json_t *doc;          /* the document being patched (owned) */
    int64_t copied;       /* accumulated size of copy values (upstream AccumulatedCopySizeLimit) */
    size_t depth_bound;   /* upper bound of doc's nesting depth */
};

/* The op's string member name, or NULL if absent/null (decode checked the type). */
static const char *op_str(json_t *op, const char *name)
{
    return json_string_value(json_object_get(op, name));
}

/* Copy of the op's "value" (JSON null if absent). */
static json_t *op_value(json_t *op)
{
    json_t *v = json_object_get(op, "value");
    return v != NULL ? json_deep_copy(v) : json_null();
}

static void jp_note_depth(struct jp_state *st, const char *path, json_t *val)
{
    size_t d = count_segments(path) + (size_t)json_depth_bounded(val, PATCH_MAX_DEPTH + 1);
    if (d > st->depth_bound)
        st->depth_bound = d;
}

static int jp_op_add(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *path = op_str(op, "path");
    struct jp_target t;
    char *err = NULL;
    if (path == NULL) {
        *ret_err = xasprintf("add operation failed to decode path: missing value");
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, path, &t)) {
        *ret_err = xasprintf("add operation does not apply: doc is missing path: \"%s\": missing value", path);
        return AZ_EINVALID;
    }
    json_t *val = op_value(op);
    jp_note_depth(st, path, val);
    int rc = jp_add(&t, val, &err);
    if (rc != 0) {
        *ret_err = xasprintf("error in add for path: '%s': %s", path, err);
        free(err);
    }
    free(t.key);
    return rc;
}

static int jp_op_remove(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *path = op_str(op, "path");
    struct jp_target t;
    char *err = NULL;
    if (path == NULL) {
        *ret_err = xasprintf("remove operation failed to decode path: missing value");
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, path, &t)) {
        *ret_err = xasprintf("remove operation does not apply: doc is missing path: \"%s\": missing value", path);
        return AZ_EINVALID;
    }
    int rc = jp_remove(&t, &err);
    if (rc != 0) {
        *ret_err = xasprintf("error in remove for path: '%s': %s", path, err);
        free(err);
    }
    free(t.key);
    return rc;
}

static int jp_op_replace(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *path = op_str(op, "path");
    struct jp_target t;
    char *err = NULL;
    json_t *cur;
    if (path == NULL) {
        *ret_err = xasprintf("replace operation failed to decode path: operation missing path field: missing value");
        return AZ_EINVALID;
    }
    if (path[0] == '\0') {
        json_t *val = json_object_get(op, "value");
        if (!json_is_object(val) && !json_is_array(val)) {
            *ret_err = xasprintf("replace operation value must be object or array");
            return AZ_EINVALID;
        }
        json_decref(st->doc);
        st->doc = json_deep_copy(val);
        st->depth_bound = (size_t)json_depth_bounded(st->doc, PATCH_MAX_DEPTH + 1);
        return 0;
    }
    if (!jp_find(st->doc, path, &t)) {
        *ret_err = xasprintf("replace operation does not apply: doc is missing path: %s: missing value", path);
        return AZ_EINVALID;
    }
    int rc = jp_get(&t, &cur, &err);
    if (rc != 0) {
        free(err);
        *ret_err = xasprintf("replace operation does not apply: doc is missing key: %s: missing value", path);
    } else {
        json_t *val = op_value(op);
        jp_note_depth(st, path, val);
        rc = jp_set(&t, val, &err);
        if (rc != 0) {
            *ret_err = xasprintf("error in remove for path: '%s': %s", path, err);
            free(err);
        }
    }
    free(t.key);
    return rc;
}

static int jp_op_move(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *from = op_str(op, "from"), *path = op_str(op, "path");
    struct jp_target t, d;
    char *err = NULL;
    json_t *val = NULL;
    if (from == NULL) {
        *ret_err = xasprintf("move operation failed to decode from: operation, missing from field: missing value");
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, from, &t)) {
        *ret_err = xasprintf("move operation does not apply: doc is missing from path: %s: missing value", from);
        return AZ_EINVALID;
    }
    if (jp_get(&t, &val, &err) != 0 || (json_incref(val), jp_remove(&t, &err) != 0)) {
        *ret_err = xasprintf("error in move for path: '%s': %s", t.key, err);
        free(err);
        free(t.key);
        json_decref(val);
        return AZ_EINVALID;
    }
    free(t.key);
    if (val == NULL)
        val = json_null();
    int rc = AZ_EINVALID;
    if (path == NULL) {
        *ret_err = xasprintf("move operation failed to decode path: operation missing path field: missing value");
    } else if (!jp_find(st->doc, path, &d)) {
        *ret_err = xasprintf("move operation does not apply: doc is missing destination path: %s: missing value", path);
    } else {
        jp_note_depth(st, path, val);
        rc = jp_add(&d, val, &err);
        val = NULL;
        if (rc != 0) {
            *ret_err = xasprintf("error in move for path: '%s': %s", path, err);
            free(err);
        }
        free(d.key);
    }
    json_decref(val);
    return rc;
}

static int jp_op_test(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *path = op_str(op, "path");
    struct jp_target t;
    char *err = NULL;
    json_t *val, *want = json_object_get(op, "value");
    if (path == NULL) {
        *ret_err = xasprintf("test operation failed to decode path: operation missing path field: missing value");
        return AZ_EINVALID;
    }
    if (path[0] == '\0') {
        if (want != NULL && json_equal(st->doc, want))
            return 0;
        *ret_err = xasprintf("testing value %s failed: test failed", path);
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, path, &t)) {
        *ret_err = xasprintf("test operation does not apply: is missing path: %s: missing value", path);
        return AZ_EINVALID;
    }
    int rc = jp_get(&t, &val, &err);
    free(t.key);
    if (rc != 0) {
        *ret_err = xasprintf("error in test for path: '%s': %s", path, err);
        free(err);
        return AZ_EINVALID;
    }
    if (val == NULL ? json_is_null(want) : (want != NULL && json_equal(val, want)))
        return 0;
    *ret_err = xasprintf("testing value %s failed: test failed", path);
    return AZ_EINVALID;
}

static int jp_op_copy(struct jp_state *st, json_t *op, char **ret_err)
{
    const char *from = op_str(op, "from"), *path = op_str(op, "path");
    struct jp_target t, d;
    char *err = NULL;
    json_t *val;
    if (from == NULL) {
        *ret_err = xasprintf("copy operation failed to decode from: operation, missing from field: missing value");
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, from, &t)) {
        *ret_err = xasprintf("copy operation does not apply: doc is missing from path: %s: missing value", from);
        return AZ_EINVALID;
    }
    int rc = jp_get(&t, &val, &err);
    free(t.key);
    if (rc != 0) {
        *ret_err = xasprintf("error in copy for from: '%s': %s", from, err);
        free(err);
        return AZ_EINVALID;
    }
    if (path == NULL) {
        *ret_err = xasprintf("copy operation failed to decode path: missing value");
        return AZ_EINVALID;
    }
    if (!jp_find(st->doc, path, &d)) {
        *ret_err = xasprintf("copy operation does not apply: doc is missing destination path: %s: missing value", path);
        return AZ_EINVALID;
    }
    json_t *copy = val != NULL ? json_deep_copy(val) : json_null();
    char *enc = json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY);
    st->copied += enc != NULL ? (int64_t)strlen(enc) : 0;
    free(enc);
    if (st->copied > PATCH_MAX_COPY_BYTES) {
        *ret_err = xasprintf("Unable to complete the copy, the accumulated size increase of copy is %lld, exceeding the limit %d",
                           (long long)st->copied, PATCH_MAX_COPY_BYTES);
        json_decref(copy);
        free(d.key);
        return AZ_EINVALID;
    }
    jp_note_depth(st, path, copy);
    rc = jp_add(&d, copy, &err);
    if (rc != 0) {
        *ret_err = xasprintf("error while adding value during copy: %s", err);
        free(err);
    }
    free(d.key);
    return rc;
}

/* Applies the RFC 6902 operations in ops (a JSON array) to *doc in place; *doc may be replaced
 * (root replace). Returns 0, or AZ_EINVALID with *ret_err the evanphx-style text. */
static int patch_json_ops_apply(json_t **doc, json_t *ops, char **ret_err)
{
    struct jp_state st = {*doc, 0, (size_t)json_depth_bounded(*doc, PATCH_MAX_DEPTH + 1)};
    size_t i;
    json_t *op;
    int rc = 0;
    json_incref(st.doc);
    json_array_foreach(ops, i, op) {
        const char *kind = json_is_object(op) ? op_str(op, "op") : NULL;
        if (kind == NULL)
            kind = "unknown";
        if (!json_is_object(op))
            rc = (*ret_err = xasprintf("Unexpected kind: %s", kind), AZ_EINVALID);
        else if (strcmp(kind, "add") == 0)
            rc = jp_op_add(&st, op, ret_err);
        else if (strcmp(kind, "remove") == 0)
            rc = jp_op_remove(&st, op, ret_err);
        else if (strcmp(kind, "replace") == 0)
            rc = jp_op_replace(&st, op, ret_err);
        else if (strcmp(kind, "move") == 0)
            rc = jp_op_move(&st, op, ret_err);
        else if (strcmp(kind, "test") == 0)
            rc = jp_op_test(&st, op, ret_err);
        else if (strcmp(kind, "copy") == 0)
            rc = jp_op_copy(&st, op, ret_err);
        else
            rc = (*ret_err = xasprintf("Unexpected kind: %s", kind), AZ_EINVALID);
        if (rc == 0 && st.depth_bound > PATCH_MAX_DEPTH) {
            *ret_err = xasprintf("patched document exceeds the maximum nesting depth %d", PATCH_MAX_DEPTH);
            rc = AZ_EINVALID;
        }
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        json_decref(st.doc);
        return AZ_EINVALID;
    }
    json_decref(*doc);
    *doc = st.doc;
    return 0;
}

/* kjson.UnmarshalStrict of the body into []jsonPatchOp: type errors only (unknown and
 * duplicate fields are warnings upstream, not failures). */
static char *json_patch_decode_error(json_t *ops)
{
    if (json_is_null(ops))
        return NULL;
    if (!json_is_array(ops))
        return xasprintf("json: cannot unmarshal %s into Go value of type []handlers.jsonPatchOp", go_json_kind(ops));
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (json_is_null(op))
            continue;
        if (!json_is_object(op))
            return xasprintf("json: cannot unmarshal %s into Go value of type handlers.jsonPatchOp", go_json_kind(op));
        static const char *const strfields[] = {"op", "path", "from"};
        for (size_t f = 0; f < 3; f++) {
            json_t *v = json_object_get(op, strfields[f]);
            if (v != NULL && !json_is_null(v) && !json_is_string(v))
                return xasprintf("json: cannot unmarshal %s into Go struct field jsonPatchOp.%s of type string",
                               go_json_kind(v), strfields[f]);
        }
    }
    return NULL;
}

/* ---- JSON merge patch (RFC 7386, evanphx/json-patch v4 MergePatch) ----------------------- */

/* Removes JSON nulls from objects and arrays, recursively (evanphx pruneNulls). */
static void merge_prune_nulls(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, c) {
            if (json_is_null(c))
                json_object_del(v, k);
            else
                merge_prune_nulls(c);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v);) {
            json_t *c = json_array_get(v, i);
            if (json_is_null(c)) {
                json_array_remove(v, i);
            } else {
                merge_prune_nulls(c);
                i++;
            }
        }
    }
}

static void merge_docs(json_t *doc, json_t *patch);

/* evanphx merge(): returns the new value for a member currently cur (new reference). */
static json_t *merge_member(json_t *cur, json_t *patch)
{
    if (!json_is_object(cur)) {
        json_t *v = json_deep_copy(patch);
        merge_prune_nulls(v);
        return v;
    }
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_incref(cur);
    merge_docs(cur, patch);
    return cur;
}

static void merge_docs(json_t *doc, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (json_is_null(v)) {
            json_object_del(doc, k);
            continue;
        }
        json_t *cur = json_object_get(doc, k);
        json_object_set_new(doc, k, merge_member(json_is_null(cur) ? NULL : cur, v));
    }
}

json_t *patch_merge_value(json_t *doc, json_t *patch)
{
    if (json_is_object(doc) && json_is_object(patch)) {
        json_t *out = json_deep_copy(doc);
        merge_docs(out, patch);
        return out;
    }
    return merge_member(NULL, patch);
}

/* ---- dispatcher ------------------------------------------------------------------------- */

/* Media type of a patch type, e.g. "application/merge-patch+json". */
static const char *patch_type_media_type(enum patch_type t)
{
    switch (t) {
    case PATCH_TYPE_JSON: return "application/json-patch+json";
    case PATCH_TYPE_MERGE: return "application/merge-patch+json";
    case PATCH_TYPE_STRATEGIC: return "application/strategic-merge-patch+json";
    }
    return "";
}

int patch_type_from_media_type(const char *content_type)
{
    if (content_type == NULL)
        return -1;
    size_t n = strcspn(content_type, ";");
    static const enum patch_type all[] = {PATCH_TYPE_JSON, PATCH_TYPE_MERGE, PATCH_TYPE_STRATEGIC};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *m = patch_type_media_type(all[i]);
        if (strlen(m) == n && strncmp(m, content_type, n) == 0)
            return (int)all[i];
    }
    return -1;
}

/* Upstream's 422 for a patched object that is not a JSON object (decode into the kind fails). */
static char *not_object_error(json_t *v)
{
    char *enc = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *quoted = json_string(enc != NULL ? enc : "");
    char *q = json_dumps(quoted, JSON_ENCODE_ANY);
    char *msg = xasprintf(" \"\" is invalid: patch: Invalid value: %s: couldn't get version/kind; json parse error: "
                        "json: cannot unmarshal %s into Go value of type struct { APIVersion string "
                        "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }",
                        q != NULL ? q : "\"\"", go_json_kind(v));
    free(q);
    json_decref(quoted);
    free(enc);
    return msg;
}

int patch_apply(enum patch_type t, const struct schema_node *schema, json_t *original,
                const char *patch, size_t len, json_t **ret, char **ret_err)
{
    char *err = NULL;
    json_t *p = NULL, *doc = NULL;
    int rc = AZ_EBADREQUEST;

    if (len > PATCH_MAX_BYTES) {
        *ret_err = xasprintf("limit is %d", PATCH_MAX_BYTES);
        return AZ_ETOOLARGE;
    }
    if (!json_is_object(original)) {
        *ret_err = xasprintf("original object is not a JSON object");
        return AZ_EINTERNAL;
    }
    p = go_json_parse(patch, len, &err);
    if (p == NULL) {
        *ret_err = t == PATCH_TYPE_STRATEGIC ? err : xasprintf("error decoding patch: %s", err);
        if (t != PATCH_TYPE_STRATEGIC)
            free(err);
        return AZ_EBADREQUEST;
    }

    switch (t) {
    case PATCH_TYPE_JSON:
        if ((err = json_patch_decode_error(p)) != NULL) {
            *ret_err = xasprintf("error decoding patch: %s", err);
            free(err);
            goto out;
        }
        if (json_array_size(p) > PATCH_MAX_JSON_OPS) {
            *ret_err = xasprintf("The allowed maximum operations in a JSON patch is %d, got %zu",
                               PATCH_MAX_JSON_OPS, json_array_size(p));
            rc = AZ_ETOOLARGE;
            goto out;
        }
        doc = json_deep_copy(original);
        if (json_is_array(p) && (rc = patch_json_ops_apply(&doc, p, ret_err)) != 0)
            goto out;
        break;
    case PATCH_TYPE_MERGE:
        if (!json_is_object(p) && !json_is_null(p)) {
            *ret_err = xasprintf("error decoding patch: json: cannot unmarshal %s into Go value of type map[string]interface {}",
                               go_json_kind(p));
            goto out;
        }
        if (json_is_null(p)) {
            *ret_err = xasprintf("Invalid JSON Patch");
            goto out;
        }
        doc = patch_merge_value(original, p);
        break;
    case PATCH_TYPE_STRATEGIC:
        if (!json_is_object(p) && !json_is_null(p)) {
            *ret_err = xasprintf("json: cannot unmarshal %s into Go value of type map[string]interface {}",
                               go_json_kind(p));
            goto out;
        }
        doc = json_deep_copy(original);
        if (json_is_object(p) && (rc = smpatch_merge(doc, p, schema, ret_err)) != 0)
            goto out;
        break;
    default:
        *ret_err = xasprintf("unknown Content-Type header for patch: %d", (int)t);
        rc = AZ_EINTERNAL;
        goto out;
    }
    if (!json_is_object(doc)) {
        *ret_err = not_object_error(doc);
        rc = AZ_EINVALID;
        goto out;
    }
    *ret = doc;
    doc = NULL;
    rc = 0;
out:
    json_decref(doc);
    json_decref(p);
    return rc;
}

json_t *patch_error_status(int code, const char *err)
{
    switch (code) {
    case AZ_EBADREQUEST:
        return status_bad_request(err);
    case AZ_ETOOLARGE:
        return status_newf(AZ_ETOOLARGE, "Request entity too large: %s", err);
    case AZ_EINVALID:
        /* JSON patch apply failures and SMP list errors are NewGenericServerResponse(422):
         * a fixed message and empty details; a result that is not an object is NewInvalid. */
        if (strncmp(err, " \"\" is invalid: ", 16) == 0)
            return status_new(AZ_EINVALID, err, NULL);
        return status_new(AZ_EINVALID, "the server rejected our request due to an error in our request", json_object());
    case AZ_EINTERNAL:
        return status_internal(err);
    default:
        return status_new((enum az_err)code, err, NULL);
    }
}
