/* text.c — see text.h. */
#include <string.h>
#include "util/buf.h"
#include "util/text.h"
#include "util/util.h"

size_t utf8_decode(const void *data, size_t n, uint32_t *ret_cp)
{
    const unsigned char *s = data;
    unsigned char c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) {
        *ret_cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret_cp = cp;
    return len;
}

size_t utf8_encode(uint32_t r, char out[4])
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xc0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xe0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3f));
        out[2] = (char)(0x80 | (r & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3f));
    out[3] = (char)(0x80 | (r & 0x3f));
    return 4;
}

size_t utf8_invalid_at(const void *data, size_t len)
{
    const unsigned char *s = data;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t w = utf8_decode(s + i, len - i, &cp);
        if (w == 0)
            return i;
        i += w;
    }
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    return utf8_invalid_at(s, n) == n;
}

/* Go's unicode.IsPrint, approximated without Unicode tables: controls, spaces other than
 * U+0020, format characters, private use and noncharacters are not printable; unassigned
 * code points are treated as printable (Go treats them as not). */
static bool go_rune_is_print(uint32_t r)
{
    if (r < 0x20 || r == 0x7f)
        return false;
    if (r < 0x7f)
        return true;
    if (r <= 0x9f || r == 0xa0 || r == 0xad)
        return false;
    if ((r >= 0x600 && r <= 0x605) || r == 0x61c || r == 0x6dd || r == 0x70f || r == 0x180e ||
        r == 0x1680)
        return false;
    if ((r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
        (r >= 0x205f && r <= 0x206f) || r == 0x3000)
        return false;
    if ((r >= 0xe000 && r <= 0xf8ff) || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb))
        return false;
    if ((r & 0xfffe) == 0xfffe || (r >= 0xfdd0 && r <= 0xfdef))
        return false;
    if (r == 0x110bd || r == 0x110cd || (r >= 0x1bca0 && r <= 0x1bca3) ||
        (r >= 0x1d173 && r <= 0x1d17a) || r == 0xe0001 || (r >= 0xe0020 && r <= 0xe007f))
        return false;
    if (r >= 0xf0000)
        return false;
    return true;
}

int go_quote(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int rc = buf_putc(b, '"');
    size_t i = 0;
    while (rc == 0 && i < n) {
        uint32_t r;
        size_t w = utf8_decode(p + i, n - i, &r);
        if (w == 0) {
            rc = buf_printf(b, "\\x%02x", p[i]);
            i++;
            continue;
        }
        switch (r) {
        case '"': rc = buf_puts(b, "\\\""); break;
        case '\\': rc = buf_puts(b, "\\\\"); break;
        case '\a': rc = buf_puts(b, "\\a"); break;
        case '\b': rc = buf_puts(b, "\\b"); break;
        case '\f': rc = buf_puts(b, "\\f"); break;
        case '\n': rc = buf_puts(b, "\\n"); break;
        case '\r': rc = buf_puts(b, "\\r"); break;
        case '\t': rc = buf_puts(b, "\\t"); break;
        case '\v': rc = buf_puts(b, "\\v"); break;
        default:
            if (go_rune_is_print(r))
                rc = buf_append(b, p + i, w);
            else if (r < 0x20 || r == 0x7f)
                rc = buf_printf(b, "\\x%02x", (unsigned)r);
            else if (r < 0x10000)
                rc = buf_printf(b, "\\u%04x", (unsigned)r);
            else
                rc = buf_printf(b, "\\U%08x", (unsigned)r);
        }
        i += w;
    }
    return rc ? rc : buf_putc(b, '"');
}

int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *percent_decode_path(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < len && (h = hex_digit_value((unsigned char)s[i + 1])) >= 0 &&
            (l = hex_digit_value((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}
