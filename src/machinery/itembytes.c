/* itembytes.c — list items composed from stored object bytes; see itembytes.h.
 *
 * Go's encoder (json_dump_go) differs from the stored bytes (jansson's compact dump) for:
 * < > & and U+2028/9 in strings (Go escapes them), escapes other than \" \\ \n \r \t (Go
 * prints \b \f as \u0008 \u000c; jansson prints \u escapes in upper case), and non-integer
 * numbers. Those bytes are flagged and the item refused. */
#include <string.h>

#include "machinery/itembytes.h"
#include "util/buf.h"
#include "util/err.h"

/* Splits the compact JSON object text v into its members: starts[k] is where member k begins
 * (its key's quote), starts[nm] = len, and member k ends at starts[k+1] - 1. Returns nm, or
 * -1 if v is not a compact object of at most ITEMBYTES_MAX_MEMBERS members. *go_ok (may be NULL)
 * becomes false when Go's encoder would print some byte of v differently (see below). */
/* Byte classes for the scan: in a string, the bytes that end it or that Go prints
 * differently (\, <, >, &, the lead byte of U+2028/9, control bytes); outside strings, the
 * structural bytes, the ones of non-integer numbers and whitespace. Every other byte is
 * skipped in a tight loop (the scan was ~58% of a 100-item LIST's CPU byte by byte). */
enum { B_PLAIN = 0, B_QUOTE, B_ESC, B_NOTGO, B_OPEN, B_CLOSE, B_COMMA, B_FRAC, B_LOWER_E, B_SPACE };

static const unsigned char in_str_class[256] = {
    [0x00 ... 0x1f] = B_NOTGO, ['"'] = B_QUOTE, ['\\'] = B_ESC,
    ['<'] = B_NOTGO, ['>'] = B_NOTGO, ['&'] = B_NOTGO, [0xE2] = B_NOTGO,
};

static const unsigned char out_str_class[256] = {
    ['"'] = B_QUOTE, ['{'] = B_OPEN, ['['] = B_OPEN, ['}'] = B_CLOSE, [']'] = B_CLOSE,
    [','] = B_COMMA, ['.'] = B_FRAC, ['E'] = B_FRAC, ['e'] = B_LOWER_E,
    [' '] = B_SPACE, ['\n'] = B_SPACE, ['\r'] = B_SPACE, ['\t'] = B_SPACE,
};

int itembytes_members(const char *v, size_t len, size_t starts[ITEMBYTES_MAX_MEMBERS + 1], bool *go_ok)
{
    if (len < 2 || v[0] != '{' || v[len - 1] != '}')
        return AZ_EINVALID;
    const unsigned char *u = (const unsigned char *)v;
    size_t nm = 0;
    int depth = 0;
    bool in_str = false, ok = true;
    starts[nm++] = 1;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            while (i < len && in_str_class[u[i]] == B_PLAIN)
                i++;
            if (i == len)
                break;
            switch (in_str_class[u[i]]) {
            case B_ESC: {
                unsigned char e = i + 1 < len ? u[i + 1] : 0;
                if (e != '"' && e != '\\' && e != 'n' && e != 'r' && e != 't')
                    ok = false;
                i++;
                break;
            }
            case B_QUOTE: in_str = false; break;
            default: ok = false; break; /* B_NOTGO */
            }
            continue;
        }
        while (i < len && out_str_class[u[i]] == B_PLAIN)
            i++;
        if (i == len)
            break;
        switch (out_str_class[u[i]]) {
        case B_QUOTE: in_str = true; break;
        case B_OPEN: depth++; break;
        case B_CLOSE: depth--; break;
        case B_COMMA:
            if (depth == 1) {
                if (nm == ITEMBYTES_MAX_MEMBERS)
                    return AZ_EINVALID;
                starts[nm++] = i + 1;
            }
            break;
        case B_FRAC: ok = false; break;
        case B_LOWER_E:
            if (i > 0 && v[i - 1] >= '0' && v[i - 1] <= '9')
                ok = false;
            break;
        case B_SPACE: return AZ_EINVALID; /* not compact */
        default: break;
        }
    }
    if (depth != 0 || in_str || len == 2)
        return AZ_EINVALID;
    starts[nm] = len;
    if (go_ok != NULL)
        *go_ok = ok;
    return (int)nm;
}

/* The member of object text v named by quoted key q (e.g. "\"labels\":"): 1 with its value's
 * text, 0 if absent, -1 if v is not an object obj_members can split. */
int itembytes_member(const char *v, size_t len, const char *q, const char **ret, size_t *ret_len)
{
    size_t starts[ITEMBYTES_MAX_MEMBERS + 1];
    int nm = itembytes_members(v, len, starts, NULL);
    size_t ql = strlen(q);
    for (int k = 0; k < nm; k++) {
        size_t ml = starts[k + 1] - 1 - starts[k];
        if (ml > ql && memcmp(v + starts[k], q, ql) == 0) {
            *ret = v + starts[k] + ql;
            *ret_len = ml - ql;
            return 1;
        }
    }
    return nm < 0 ? -1 : 0;
}

/* Appends the list-item form of stored bytes v (a compact JSON object without
 * resourceVersion, as encode_for_store writes it): top-level kind and apiVersion dropped and
 * metadata.resourceVersion = rev appended, without decoding. This is byte for byte what
 * json_dump_go prints for the decoded item only when the bytes are already in Go's encoding,
 * so it answers false (appending nothing) for anything it is not sure of: strings with < > &
 * or U+2028/9 (Go escapes them), escapes other than \" \\ \n \r \t, non-integer numbers,
 * no metadata object; the caller then decodes the item. */
/* Splits v as itembytes_members does and finds its top-level metadata object: *ret_nm
 * members, the metadata's index returned; -1 when the bytes are not exactly Go's encoding
 * or there is no metadata object. */
static int split_with_metadata(const char *v, size_t len, size_t starts[ITEMBYTES_MAX_MEMBERS + 1],
                               size_t *ret_nm)
{
    bool go_ok = false;
    int snm = itembytes_members(v, len, starts, &go_ok);
    if (snm < 0 || !go_ok)
        return -1;
    int md = -1;
    for (int k = 0; k < snm; k++)
        if (starts[k + 1] - 1 - starts[k] >= 12 && memcmp(v + starts[k], "\"metadata\":{", 12) == 0)
            md = k;
    *ret_nm = (size_t)snm;
    return md;
}

bool itembytes_object_rv_at(const char *v, size_t len, size_t *ret_at, bool *ret_empty)
{
    size_t starts[ITEMBYTES_MAX_MEMBERS + 1], nm;
    int md = split_with_metadata(v, len, starts, &nm);
    if (md < 0)
        return false;
    size_t ml = starts[md + 1] - 1 - starts[md];
    *ret_at = starts[md] + ml - 1;
    *ret_empty = ml == 13; /* "metadata":{} */
    return true;
}

bool itembytes_item(struct buf *out, const char *v, size_t len, int64_t rev)
{
    size_t starts[ITEMBYTES_MAX_MEMBERS + 1], nm;
    int smd = split_with_metadata(v, len, starts, &nm);
    if (smd < 0)
        return false;
    size_t md = (size_t)smd;
    size_t mark = out->len;
    bool first = true;
    buf_putc(out, '{');
    for (size_t k = 0; k < nm; k++) {
        const char *m = v + starts[k];
        size_t ml = starts[k + 1] - 1 - starts[k];
        if ((ml > 7 && memcmp(m, "\"kind\":", 7) == 0) || (ml > 13 && memcmp(m, "\"apiVersion\":", 13) == 0))
            continue;
        if (!first)
            buf_putc(out, ',');
        first = false;
        if (k != md) {
            buf_append(out, m, ml);
            continue;
        }
        buf_append(out, m, ml - 1); /* without the metadata's closing brace */
        buf_printf(out, "%s\"resourceVersion\":\"%lld\"}", ml == 13 ? "" : ",", (long long)rev);
    }
    if (buf_putc(out, '}') != 0) {
        out->len = mark;
        return false;
    }
    return true;
}


static void indent_line(struct buf *out, size_t depth)
{
    buf_putc(out, '\n');
    if (depth > 4096) /* deeper than any decoded document (jansson stops at 2048) */
        depth = 4096;
    for (size_t i = 0; i < depth; i++)
        buf_append(out, "  ", 2);
}

void itembytes_indent(struct itembytes_indent *st, struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (st->in_str) {
            buf_putc(out, ch);
            if (st->esc)
                st->esc = false;
            else if (ch == '\\')
                st->esc = true;
            else if (ch == '"')
                st->in_str = false;
            continue;
        }
        if (ch == '\n')
            continue;
        if (st->opened) {
            st->opened = false;
            if (ch == '}' || ch == ']') {
                if (st->depth > 0)
                    st->depth--;
                buf_putc(out, ch);
                continue;
            }
            indent_line(out, st->depth);
        }
        switch (ch) {
        case '{':
        case '[':
            buf_putc(out, ch);
            st->depth++;
            st->opened = true;
            break;
        case '}':
        case ']':
            if (st->depth > 0)
                st->depth--;
            indent_line(out, st->depth);
            buf_putc(out, ch);
            break;
        case ',':
            buf_putc(out, ch);
            indent_line(out, st->depth);
            break;
        case ':':
            buf_append(out, ": ", 2);
            break;
        case '"':
            st->in_str = true;
            buf_putc(out, ch);
            break;
        default:
            buf_putc(out, ch);
            break;
        }
    }
}
