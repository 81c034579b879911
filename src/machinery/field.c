/* field.c — field errors and their rendering, as upstream apimachinery
 * pkg/util/validation/field/errors.go (Error.Error, ErrorBody, ToAggregate) and
 * pkg/util/errors/errors.go (aggregate.Error) print them.
 *
 * Body rendering per type:
 *   Required, Forbidden, TooLong, Internal -> "<Type>[: detail]"            (no value)
 *   every other type with value NULL      -> "<Type>[: detail]"            (upstream omitValue)
 *   otherwise                              -> "<Type>: <value>[: detail]"
 * Values print like Go's fmt: strings %q (strconv.Quote), integers and bools plain, floats %v
 * (strconv 'g' with shortest precision), null as null, string arrays as []string{"a", "b"} and
 * string maps as map[string]string{"k":"v"} (Go %#v).
 * Other arrays/objects have no Go type here and print as compact JSON (a deviation). */
#include "machinery/field.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/text.h"

void field_errors_init(struct field_errors *fe)
{
    fe->items = NULL;
    fe->n = 0;
    fe->cap = 0;
}

void field_errors_release(struct field_errors *fe)
{
    if (!fe)
        return;
    for (size_t i = 0; i < fe->n; i++) {
        free(fe->items[i].field);
        free(fe->items[i].detail);
        free(fe->items[i].rendered);
        if (fe->items[i].value)
            json_decref(fe->items[i].value);
    }
    free(fe->items);
    field_errors_init(fe);
}

static struct field_error *field_errors_push(struct field_errors *fe, enum field_error_type type,
                                             const char *field, const char *detail)
{
    if (fe->n == fe->cap) {
        fe->cap = fe->cap ? fe->cap * 2 : 8;
        fe->items = xrealloc(fe->items, fe->cap * sizeof(*fe->items));
    }
    struct field_error *e = &fe->items[fe->n++];
    e->type = type;
    e->field = xstrdup(field ? field : "");
    e->value = NULL;
    e->detail = detail && *detail ? xstrdup(detail) : NULL;
    e->rendered = NULL;
    return e;
}

void field_errors_add(struct field_errors *fe, enum field_error_type type, const char *field,
                      json_t *value, const char *detail)
{
    struct field_error *e = field_errors_push(fe, type, field, detail);
    e->value = value ? json_incref(value) : NULL;
}

void field_errors_addf(struct field_errors *fe, enum field_error_type type, json_t *value,
                       const char *detail, const char *field_fmt, ...)
{
    va_list ap;
    va_start(ap, field_fmt);
    char *path = xvasprintf(field_fmt, ap);
    va_end(ap);
    field_errors_add(fe, type, path, value, detail);
    free(path);
}

void field_errors_add_raw(struct field_errors *fe, enum field_error_type type, const char *field,
                          const char *rendered, const char *detail)
{
    struct field_error *e = field_errors_push(fe, type, field, detail);
    e->rendered = rendered ? xstrdup(rendered) : NULL;
}

/* strconv.Quote joins the values: `supported values: "a", "b"`. */
void field_errors_add_not_supported(struct field_errors *fe, const char *field, json_t *value,
                                    const char *const *supported)
{
    struct buf b = BUF_INIT;
    if (supported && supported[0]) {
        buf_puts(&b, "supported values: ");
        for (size_t i = 0; supported[i]; i++) {
            if (i)
                buf_puts(&b, ", ");
            go_quote(&b, supported[i], strlen(supported[i]));
        }
    }
    field_errors_add(fe, FIELD_NOT_SUPPORTED, field, value, b.data);
    buf_release(&b);
}

/* ---- value rendering ---------------------------------------------------------------------- */

/* Go's %v for a float64 = strconv.FormatFloat(f, 'g', -1, 64): shortest digits that
 * round-trip; %e form when the decimal exponent is < -4 or >= 6 (eprec is 6 for the shortest
 * precision). Exponent printed with a sign and at least two digits. */
static void value_float(struct buf *b, double f)
{
    if (isnan(f)) {
        buf_puts(b, "NaN");
        return;
    }
    if (isinf(f)) {
        buf_puts(b, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (f == 0) {
        buf_puts(b, signbit(f) ? "-0" : "0");
        return;
    }
    char tmp[64];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
    /* tmp: [-]d[.ddd]e[+-]XX */
    char digits[32];
    size_t nd = 0;
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    digits[nd] = 0;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = 0;
    int exp = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    if (neg)
        buf_putc(b, '-');
    if (exp < -4 || exp >= 6) {
        buf_putc(b, digits[0]);
        if (nd > 1) {
            buf_putc(b, '.');
            buf_puts(b, digits + 1);
        }
        buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        buf_puts(b, "0.");
        for (int i = -1; i > exp; i--)
            buf_putc(b, '0');
        buf_puts(b, digits);
    } else {
        for (int i = 0; i <= exp || i < (int)nd; i++) {
            if (i == exp + 1)
                buf_putc(b, '.');
            buf_putc(b, i < (int)nd ? digits[i] : '0');
        }
    }
}

static int json_all_strings(json_t *v)
{
    size_t i;
    json_t *x;
    const char *k;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (!json_is_string(x)) return 0;
        return 1;
    }
    json_object_foreach(v, k, x) if (!json_is_string(x)) return 0;
    return 1;
}

void field_value_render(struct buf *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        go_quote(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL:
        value_float(b, json_real_value(v));
        return;
    case JSON_TRUE:
        buf_puts(b, "true");
        return;
    case JSON_FALSE:
        buf_puts(b, "false");
        return;
    case JSON_NULL:
        buf_puts(b, "null");
        return;
    case JSON_ARRAY:
        if (json_all_strings(v)) {
            size_t i;
            json_t *x;
            buf_puts(b, "[]string{");
            json_array_foreach(v, i, x) {
                if (i)
                    buf_puts(b, ", ");
                go_quote(b, json_string_value(x), json_string_length(x));
            }
            buf_putc(b, '}');
            return;
        }
        break;
    case JSON_OBJECT:
        if (json_all_strings(v)) {
            /* Go %#v of map[string]string: keys sorted, `"k":"v"` joined by ", ". */
            size_t n = json_object_size(v), i = 0;
            const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
            const char *k;
            json_t *x;
            json_object_foreach(v, k, x) keys[i++] = k;
            qsort(keys, n, sizeof(*keys), strp_cmp);
            buf_puts(b, "map[string]string{");
            for (i = 0; i < n; i++) {
                json_t *val = json_object_get(v, keys[i]);
                if (i)
                    buf_puts(b, ", ");
                go_quote(b, keys[i], strlen(keys[i]));
                buf_putc(b, ':');
                go_quote(b, json_string_value(val), json_string_length(val));
            }
            buf_putc(b, '}');
            free(keys);
            return;
        }
        break;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    buf_puts(b, s ? s : "null");
    free(s);
}

/* ---- errors ---------------------------------------------------------------------------- */

static const char *type_text(enum field_error_type t)
{
    switch (t) {
    case FIELD_REQUIRED: return "Required value";
    case FIELD_INVALID: return "Invalid value";
    case FIELD_NOT_SUPPORTED: return "Unsupported value";
    case FIELD_FORBIDDEN: return "Forbidden";
    case FIELD_DUPLICATE: return "Duplicate value";
    case FIELD_TOO_LONG: return "Too long";
    case FIELD_TOO_MANY: return "Too many";
    case FIELD_NOT_FOUND: return "Not found";
    case FIELD_INTERNAL: return "Internal error";
    }
    return "Internal error";
}

const char *field_error_reason(enum field_error_type t)
{
    switch (t) {
    case FIELD_REQUIRED: return "FieldValueRequired";
    case FIELD_INVALID: return "FieldValueInvalid";
    case FIELD_NOT_SUPPORTED: return "FieldValueNotSupported";
    case FIELD_FORBIDDEN: return "FieldValueForbidden";
    case FIELD_DUPLICATE: return "FieldValueDuplicate";
    case FIELD_TOO_LONG: return "FieldValueTooLong";
    case FIELD_TOO_MANY: return "FieldValueTooMany";
    case FIELD_NOT_FOUND: return "FieldValueNotFound";
    case FIELD_INTERNAL: return "InternalError";
    }
    return "InternalError";
}

static int type_prints_value(enum field_error_type t)
{
    switch (t) {
    case FIELD_REQUIRED:
    case FIELD_FORBIDDEN:
    case FIELD_TOO_LONG:
    case FIELD_INTERNAL:
        return 0;
    case FIELD_INVALID:
    case FIELD_NOT_SUPPORTED:
    case FIELD_DUPLICATE:
    case FIELD_TOO_MANY:
    case FIELD_NOT_FOUND:
        return 1;
    }
    return 0;
}

static void body_into(struct buf *b, const struct field_error *e)
{
    buf_puts(b, type_text(e->type));
    if (type_prints_value(e->type) && (e->value || e->rendered)) {
        buf_puts(b, ": ");
        if (e->rendered)
            buf_puts(b, e->rendered);
        else
            field_value_render(b, e->value);
    }
    if (e->detail && *e->detail) {
        buf_puts(b, ": ");
        buf_puts(b, e->detail);
    }
}

char *field_error_body(const struct field_error *e)
{
    struct buf b = BUF_INIT;
    body_into(&b, e);
    return buf_detach(&b, NULL);
}

char *field_error_string(const struct field_error *e)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, e->field ? e->field : "");
    buf_puts(&b, ": ");
    body_into(&b, e);
    return buf_detach(&b, NULL);
}

char *field_errors_aggregate(const struct field_errors *fe)
{
    if (!fe || fe->n == 0)
        return xstrdup("");
    char **msgs = xcalloc(fe->n, sizeof(*msgs));
    size_t nu = 0;
    for (size_t i = 0; i < fe->n; i++) {
        char *m = field_error_string(&fe->items[i]);
        int dup = 0;
        for (size_t j = 0; j < nu && !dup; j++)
            dup = strcmp(msgs[j], m) == 0;
        if (dup)
            free(m);
        else
            msgs[nu++] = m;
    }
    struct buf b = BUF_INIT;
    if (nu == 1) {
        buf_puts(&b, msgs[0]);
    } else {
        buf_putc(&b, '[');
        for (size_t i = 0; i < nu; i++) {
            if (i)
                buf_puts(&b, ", ");
            buf_puts(&b, msgs[i]);
        }
        buf_putc(&b, ']');
    }
    for (size_t i = 0; i < nu; i++)
        free(msgs[i]);
    free(msgs);
    return buf_detach(&b, NULL);
}
