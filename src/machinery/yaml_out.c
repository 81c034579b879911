/* yaml_out.c — JSON values written as go-yaml v2 writes them (see yaml_out.h). */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"
#include "util/json.h"
#include "machinery/yaml_out.h"

static void indent(struct buf *out, int n)
{
    for (int i = 0; i < n; i++)
        buf_putc(out, ' ');
}

/* True if s would resolve to a non-string under YAML 1.1 (go-yaml v2's resolver): null,
 * booleans, integers (decimal, 0x, 0o/0, 0b, with _), floats, .inf/.nan, timestamps. */
static bool resolves_to_other(const char *s)
{
    static const char *const words[] = {
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN", "<<",
    };
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(s, words[i]) == 0)
            return true;
    /* numbers: an optional sign, then digits/underscores with at most one '.', an optional
     * exponent; or 0x/0b prefixes */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'b') && p[2] != '\0') {
        const char *q = p + 2;
        while (*q && (isxdigit((unsigned char)*q) || *q == '_'))
            q++;
        if (*q == '\0')
            return true;
    }
    bool digits = false, dot = false;
    const char *q = p;
    while (*q && (isdigit((unsigned char)*q) || *q == '_' || (*q == '.' && !dot))) {
        if (*q == '.')
            dot = true;
        else if (*q != '_')
            digits = true;
        q++;
    }
    if (digits && (*q == 'e' || *q == 'E')) {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q))
                q++;
        } else {
            q = "x";
        }
    }
    if (digits && *q == '\0')
        return true;
    /* timestamps: YYYY-M-D, optionally followed by a time */
    if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
        isdigit((unsigned char)s[3]) && s[4] == '-' && isdigit((unsigned char)s[5]))
        return true;
    return false;
}

/* True if s can be written as a plain scalar (it still must not resolve to another type). */
static bool plain_ok(const char *s)
{
    static const char indicators[] = "-?:,[]{}#&*!|>'\"%@`";
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
        return false;
    if (strchr(indicators, s[0]) != NULL) {
        /* "-", "?" and ":" start a plain scalar when followed by a non-space */
        if (!((s[0] == '-' || s[0] == '?' || s[0] == ':') && s[1] != '\0' && s[1] != ' '))
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
        if (ch == ':' && (s[i + 1] == ' ' || s[i + 1] == '\0'))
            return false;
        if (ch == '#' && i > 0 && s[i - 1] == ' ')
            return false;
    }
    if (strcmp(s, "---") == 0 || strcmp(s, "...") == 0)
        return false;
    return true;
}

static bool printable(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
            return false;
    }
    return true;
}

static void write_double_quoted(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '"': buf_puts(out, "\\\""); break;
        case '\\': buf_puts(out, "\\\\"); break;
        case '\n': buf_puts(out, "\\n"); break;
        case '\t': buf_puts(out, "\\t"); break;
        case '\r': buf_puts(out, "\\r"); break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                buf_printf(out, "\\x%02X", ch);
            else
                buf_putc(out, (char)ch);
        }
    }
    buf_putc(out, '"');
}

#define YAML_BEST_WIDTH 80 /* go-yaml's emitter folds plain and quoted text past this column */

/* Current column (in characters) of the end of out. */
static int column(const struct buf *out)
{
    int col = 0;
    for (size_t i = out->len; i > 0 && out->data[i - 1] != '\n'; i--)
        if (((unsigned char)out->data[i - 1] & 0xc0) != 0x80)
            col++;
    return col;
}

/* Writes s (plain or the inside of a single-quoted scalar) the way go-yaml's emitter does:
 * with breaks allowed, a single space past YAML_BEST_WIDTH before a non-space becomes a line
 * break indented to ind + 2. */
static void write_folded(struct buf *out, const char *s, int ind, bool allow_breaks, bool quoted)
{
    bool spaces = false;
    int col = column(out); /* kept up to date below: one scan per scalar, not per space */
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == ' ') {
            if (allow_breaks && !spaces && col > YAML_BEST_WIDTH && s[i + 1] != ' ' &&
                (!quoted || (i != 0 && s[i + 1] != '\0'))) {
                buf_putc(out, '\n');
                indent(out, ind + 2);
                col = ind + 2;
            } else {
                buf_putc(out, ' ');
                col++;
            }
            spaces = true;
            continue;
        }
        if (quoted && s[i] == '\'') {
            buf_putc(out, '\'');
            col++;
        }
        buf_putc(out, s[i]);
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            col++;
        spaces = false;
    }
}

/* A string scalar; ind is the indent of the enclosing block (for literal blocks and folded
 * lines); keys are written with allow_breaks false (go-yaml never folds simple keys). */
static void write_string(struct buf *out, const char *s, int ind, bool allow_breaks)
{
    if (strchr(s, '\n') != NULL && printable(s) && s[0] != ' ') {
        size_t n = strlen(s);
        bool trailing = n > 0 && s[n - 1] == '\n';
        bool keep = n > 1 && trailing && s[n - 2] == '\n';
        buf_puts(out, keep ? "|+" : trailing ? "|" : "|-");
        const char *p = s;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            buf_putc(out, '\n');
            if (len > 0) {
                indent(out, ind + 2);
                buf_append(out, p, len);
            }
            if (e == NULL)
                break;
            p = e + 1;
        }
        return;
    }
    if (plain_ok(s) && !resolves_to_other(s)) {
        write_folded(out, s, ind, allow_breaks, false);
        return;
    }
    if (resolves_to_other(s) || !printable(s) || strchr(s, '\n') != NULL) {
        write_double_quoted(out, s);
        return;
    }
    buf_putc(out, '\'');
    write_folded(out, s, ind, allow_breaks, true);
    buf_putc(out, '\'');
}

static void write_scalar(struct buf *out, json_t *v, int ind)
{
    switch (json_typeof(v)) {
    case JSON_STRING: write_string(out, json_string_value(v), ind, true); break;
    case JSON_INTEGER: buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 1e15)
            buf_printf(out, "%.0f", d);
        else
            buf_printf(out, "%.17g", d);
        break;
    }
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    case JSON_NULL: buf_puts(out, "null"); break;
    case JSON_OBJECT: buf_puts(out, "{}"); break;
    case JSON_ARRAY: buf_puts(out, "[]"); break;
    }
}

static bool is_block(json_t *v)
{
    return (json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v) > 0);
}

static void write_node(struct buf *out, json_t *v, int ind, bool inline_first);

/* A mapping at indent ind; inline_first: the first key continues the current line
 * (after "- "). */
static void write_mapping(struct buf *out, json_t *obj, int ind, bool inline_first)
{
    size_t n;
    const char **keys = json_sorted_keys(obj, &n);
    json_t *val;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 || !inline_first)
            indent(out, ind);
        write_string(out, keys[i], ind, false);
        buf_putc(out, ':');
        val = json_object_get(obj, keys[i]);
        if (json_is_object(val) && json_object_size(val) > 0) {
            buf_putc(out, '\n');
            write_mapping(out, val, ind + 2, false);
        } else if (json_is_array(val) && json_array_size(val) > 0) {
            buf_putc(out, '\n');
            write_node(out, val, ind, false);
        } else {
            buf_putc(out, ' ');
            write_scalar(out, val, ind);
            buf_putc(out, '\n');
        }
    }
    free(keys);
}

static void write_node(struct buf *out, json_t *v, int ind, bool inline_first)
{
    if (json_is_object(v) && json_object_size(v) > 0) {
        write_mapping(out, v, ind, inline_first);
        return;
    }
    if (json_is_array(v) && json_array_size(v) > 0) {
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (i > 0 || !inline_first)
                indent(out, ind);
            buf_puts(out, "- ");
            if (is_block(it)) {
                write_node(out, it, ind + 2, true);
            } else {
                write_scalar(out, it, ind);
                buf_putc(out, '\n');
            }
        }
        return;
    }
    write_scalar(out, v, ind);
    buf_putc(out, '\n');
}

int yaml_write(struct buf *out, json_t *v)
{
    write_node(out, v, 0, false);
    /* appends past the cap are refused: a buffer at its cap may hold a cut document */
    return out->max != 0 && out->len + 64 >= out->max ? AZ_ETOOLARGE : 0;
}
