/* typecheck.c — decoding rules of upstream's JSON decoder and unstructured converter over
 * the schema table (see typecheck.h). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/patch.h"
#include "machinery/typecheck.h"
#include "util/buf.h"
#include "util/json.h"

/* JSON names of the int64 fields of the served kinds (every other integer is an int32). */
static const char *const int64_fields[] = {
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "runAsUser", "runAsGroup",
    "fsGroup", "supplementalGroups", "tolerationSeconds", "generation",
    "deletionGracePeriodSeconds", "observedGeneration", "expirationSeconds",
    "startingDeadlineSeconds", "remainingItemCount", "gracePeriodSeconds", "sizeBytes",
    "uid", "gid", "seconds",
};

/* []byte fields: "<root kind>.<field>" */
static const char *const bytes_fields[] = {"Secret.data", "ConfigMap.binaryData"};

struct tc {
    enum typecheck_mode mode;
    const char *kind;
    struct buf path;   /* JSON path from the root, without indexes or map keys */
    char *saved;       /* first saved error (JSON mode) */
    char *fatal;       /* error that ended the decode */
};

static bool is_int64_field(const char *name)
{
    for (size_t i = 0; i < sizeof(int64_fields) / sizeof(int64_fields[0]); i++)
        if (name && strcmp(name, int64_fields[i]) == 0)
            return true;
    return false;
}

/* Go type name of a schema node (leaf is the JSON name of the field, for int widths). */
static void go_type(struct buf *out, const struct schema_node *n, const char *leaf, bool bytes)
{
    if (bytes) {
        buf_puts(out, "[]uint8");
        return;
    }
    switch (n->type) {
    case SCHEMA_ANY: buf_puts(out, "interface {}"); break;
    case SCHEMA_OBJECT: {
        const char *ref = n->ref_name ? n->ref_name : "v1.Object";
        /* io.k8s.api.core.v1.Container -> v1.Container */
        const char *last = strrchr(ref, '.');
        const char *pkg = last;
        while (pkg > ref && pkg[-1] != '.')
            pkg--;
        buf_append(out, pkg, strlen(pkg));
        break;
    }
    case SCHEMA_MAP:
        buf_puts(out, "map[string]");
        go_type(out, n->items, leaf, false);
        break;
    case SCHEMA_ARRAY:
        buf_puts(out, "[]");
        go_type(out, n->items, leaf, false);
        break;
    case SCHEMA_STRING: buf_puts(out, "string"); break;
    case SCHEMA_INTEGER: buf_puts(out, is_int64_field(leaf) ? "int64" : "int32"); break;
    case SCHEMA_NUMBER: buf_puts(out, "float64"); break;
    case SCHEMA_BOOLEAN: buf_puts(out, "bool"); break;
    case SCHEMA_INT_OR_STRING: buf_puts(out, "intstr.IntOrString"); break;
    case SCHEMA_QUANTITY: buf_puts(out, "resource.Quantity"); break;
    case SCHEMA_TIME: buf_puts(out, "v1.Time"); break;
    }
}

/* Struct name of an object node ("PodSpec"); the root is the kind. */
static const char *struct_name(const struct schema_node *n, const char *dflt)
{
    if (n == NULL || n->ref_name == NULL)
        return dflt;
    const char *last = strrchr(n->ref_name, '.');
    return last ? last + 1 : n->ref_name;
}

/* reflect.Kind name of that source type. */
static const char *unstructured_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "map";
    case JSON_ARRAY: return "slice";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int64";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "interface";
    }
    return "interface";
}

/* A number as Go prints its literal ("1.5", "3000000000"). */
static void number_text(struct buf *out, json_t *v)
{
    if (json_is_integer(v)) {
        buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
        /* shortest representation that reads back the same */
        for (int prec = 1; prec <= 17; prec++) {
            char t[64];
            snprintf(t, sizeof(t), "%.*g", prec, json_real_value(v));
            if (strtod(t, NULL) == json_real_value(v)) {
                memcpy(tmp, t, sizeof(t));
                break;
            }
        }
        buf_puts(out, tmp);
    }
}

/* "json: cannot unmarshal <kind>[ <number>]", the start of every UnmarshalTypeError. */
static void unmarshal_prefix(struct buf *b, json_t *v, bool with_number)
{
    buf_puts(b, "json: cannot unmarshal ");
    buf_puts(b, patch_go_json_kind(v));
    if (with_number) {
        buf_putc(b, ' ');
        number_text(b, v);
    }
}

/* Saves the first UnmarshalTypeError-shaped message (JSON mode). */
static void save_type_error(struct tc *t, json_t *v, const char *strct, const struct schema_node *n,
                            const char *leaf, bool bytes, bool with_number)
{
    if (t->saved != NULL)
        return;
    struct buf b = BUF_INIT;
    unmarshal_prefix(&b, v, with_number);
    buf_printf(&b, " into Go struct field %s.%s of type ", strct, t->path.data ? t->path.data : "");
    go_type(&b, n, leaf, bytes);
    t->saved = buf_detach(&b, NULL);
}

/* An UnmarshalJSON failure ends the decode; its inner json.Unmarshal error gets the field
 * context (JSON mode), or none (unstructured mode). */
static void fatal_unmarshal(struct tc *t, json_t *v, const char *strct, const char *gotype, bool with_number)
{
    if (t->fatal != NULL)
        return;
    struct buf b = BUF_INIT;
    unmarshal_prefix(&b, v, with_number);
    if (t->mode == TYPECHECK_JSON)
        buf_printf(&b, " into Go struct field %s.%s of type %s", strct, t->path.data ? t->path.data : "", gotype);
    else
        buf_printf(&b, " into Go value of type %s", gotype);
    t->fatal = buf_detach(&b, NULL);
}

static void fatal_text(struct tc *t, const char *msg)
{
    if (t->fatal == NULL)
        t->fatal = xstrdup(msg);
}

static void fatal_convert(struct tc *t, json_t *v, const struct schema_node *n, const char *leaf)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "cannot convert %s to ", patch_go_type_name(v));
    go_type(&b, n, leaf, false);
    if (t->fatal == NULL)
        t->fatal = buf_detach(&b, NULL);
    else
        buf_release(&b);
}

long typecheck_base64_error(const char *s, size_t len)
{
    /* Go's decodeQuantum over the whole input (StdEncoding: padding required, \r and \n
     * skipped); returns the CorruptInputError offset. */
    size_t si = 0;
    while (si < len) {
        int j;
        for (j = 0; j < 4; j++) {
            if (si == len) {
                if (j == 0)
                    return -1;
                return (long)(si - (size_t)j);
            }
            unsigned char in = (unsigned char)s[si++];
            bool valid = (in >= 'A' && in <= 'Z') || (in >= 'a' && in <= 'z') || (in >= '0' && in <= '9') ||
                         in == '+' || in == '/';
            if (valid)
                continue;
            if (in == '\n' || in == '\r') {
                j--;
                continue;
            }
            if (in != '=')
                return (long)(si - 1);
            /* padding */
            if (j == 0 || j == 1)
                return (long)(si - 1);
            if (j == 2) {
                while (si < len && (s[si] == '\n' || s[si] == '\r'))
                    si++;
                if (si == len)
                    return (long)len;
                if (s[si] != '=')
                    return (long)(si - 1);
                si++;
            }
            while (si < len && (s[si] == '\n' || s[si] == '\r'))
                si++;
            if (si < len)
                return (long)si;
            return -1;
        }
    }
    return -1;
}

static bool quantity_ok(const char *s)
{
    /* ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$ after trimming spaces */
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t start = i;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
        i++;
    if (i == start)
        return false;
    while (i < n && strchr("eEinumkKMGTP", s[i]) != NULL)
        i++;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i == n;
}

#define QUANTITY_FORMAT_ERROR "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

static void check(struct tc *t, const struct schema_node *n, json_t *v, const char *strct,
                  const char *leaf, bool bytes);

/* A container value of the wrong kind: the converter's "cannot restore <what> <kind>", or
 * the decoder's UnmarshalTypeError. */
static void restore_mismatch(struct tc *t, json_t *v, const struct schema_node *n, const char *strct,
                             const char *leaf, const char *what, bool bytes)
{
    if (t->mode == TYPECHECK_UNSTRUCTURED) {
        char *m = xasprintf("cannot restore %s %s", what, unstructured_kind(v));
        fatal_text(t, m);
        free(m);
    } else {
        save_type_error(t, v, strct, n, leaf, bytes, false);
    }
}


static void check_bytes(struct tc *t, const struct schema_node *n, json_t *v, const char *strct, const char *leaf)
{
    if (json_is_string(v)) {
        long off = typecheck_base64_error(json_string_value(v), json_string_length(v));
        if (off < 0)
            return;
        struct buf b = BUF_INIT;
        if (t->mode == TYPECHECK_UNSTRUCTURED) {
            buf_printf(&b, "error decoding from json: illegal base64 data at input byte %ld", off);
            fatal_text(t, b.data);
        } else if (t->saved == NULL) {
            buf_printf(&b, "illegal base64 data at input byte %ld", off);
            t->saved = xstrdup(b.data);
        }
        buf_release(&b);
        return;
    }
    if (t->mode == TYPECHECK_UNSTRUCTURED) {
        if (!json_is_array(v))
            restore_mismatch(t, v, n, strct, leaf, "slice from", true);
        return;
    }
    if (json_is_array(v)) {
        /* []byte from an array of numbers: each must fit uint8 */
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) {
            if (!json_is_integer(it) || json_integer_value(it) < 0 || json_integer_value(it) > 255) {
                if (t->saved == NULL) {
                    struct buf b = BUF_INIT;
                    unmarshal_prefix(&b, it, json_is_number(it));
                    buf_printf(&b, " into Go struct field %s.%s of type uint8", strct, t->path.data ? t->path.data : "");
                    t->saved = buf_detach(&b, NULL);
                }
                return;
            }
        }
        return;
    }
    save_type_error(t, v, strct, n, leaf, true, false);
}

static void path_push(struct tc *t, const char *key, size_t *ret_len)
{
    *ret_len = t->path.len;
    if (t->path.len > 0)
        buf_putc(&t->path, '.');
    buf_puts(&t->path, key);
}

static void path_pop(struct tc *t, size_t len)
{
    t->path.len = len;
    if (t->path.data)
        t->path.data[len] = '\0';
}

static void check_object(struct tc *t, const struct schema_node *n, json_t *v, const char *strct)
{
    if (!json_is_object(v)) {
        restore_mismatch(t, v, n, strct, NULL, "struct from:", false);
        return;
    }
    const char *inner = struct_name(n, t->kind);
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (t->fatal)
            return;
        const struct schema_node *fn = schema_field(n, key);
        if (fn == NULL)
            continue; /* unknown fields: strict field validation reports them */
        bool bytes = false;
        if (t->path.len == 0 && fn->type == SCHEMA_MAP) {
            char q[128];
            snprintf(q, sizeof(q), "%s.%s", t->kind, key);
            for (size_t i = 0; i < sizeof(bytes_fields) / sizeof(bytes_fields[0]); i++)
                bytes = bytes || strcmp(q, bytes_fields[i]) == 0;
        }
        size_t saved_len;
        path_push(t, key, &saved_len);
        check(t, fn, val, inner, key, bytes);
        if (!t->fatal)
            path_pop(t, saved_len);
    }
}

static void check(struct tc *t, const struct schema_node *n, json_t *v, const char *strct,
                  const char *leaf, bool bytes)
{
    if (t->fatal || v == NULL || json_is_null(v))
        return;
    switch (n->type) {
    case SCHEMA_ANY:
        return;
    case SCHEMA_OBJECT:
        check_object(t, n, v, strct);
        return;
    case SCHEMA_MAP:
        if (!json_is_object(v)) {
            restore_mismatch(t, v, n, strct, leaf, "map from", false);
            return;
        }
        {
            const char *k;
            json_t *it;
            json_object_foreach(v, k, it) {
                if (bytes)
                    check_bytes(t, n->items, it, strct, leaf);
                else
                    check(t, n->items, it, strct, leaf, false);
                if (t->fatal)
                    return;
            }
        }
        return;
    case SCHEMA_ARRAY:
        if (!json_is_array(v)) {
            restore_mismatch(t, v, n, strct, leaf, "slice from", false);
            return;
        }
        {
            size_t i;
            json_t *it;
            json_array_foreach(v, i, it) {
                check(t, n->items, it, strct, leaf, false);
                if (t->fatal)
                    return;
            }
        }
        return;
    case SCHEMA_STRING:
    case SCHEMA_BOOLEAN:
    case SCHEMA_NUMBER:
        if ((n->type == SCHEMA_STRING && json_is_string(v)) || (n->type == SCHEMA_BOOLEAN && json_is_boolean(v)) ||
            (n->type == SCHEMA_NUMBER && json_is_number(v)))
            return;
        if (t->mode == TYPECHECK_UNSTRUCTURED)
            fatal_convert(t, v, n, leaf);
        else
            save_type_error(t, v, strct, n, leaf, false, false);
        return;
    case SCHEMA_INTEGER: {
        bool wide = is_int64_field(leaf);
        if (json_is_integer(v)) {
            json_int_t x = json_integer_value(v);
            if (wide || (x >= INT32_MIN && x <= INT32_MAX))
                return;
            /* the unstructured converter truncates silently (reflect Convert) */
            if (t->mode == TYPECHECK_JSON)
                save_type_error(t, v, strct, n, leaf, false, true);
            return;
        }
        if (t->mode == TYPECHECK_UNSTRUCTURED)
            fatal_convert(t, v, n, leaf);
        else
            save_type_error(t, v, strct, n, leaf, false, json_is_real(v));
        return;
    }
    case SCHEMA_INT_OR_STRING:
        if (json_is_string(v))
            return;
        if (json_is_integer(v) && json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX)
            return;
        fatal_unmarshal(t, v, strct, "int32", json_is_number(v));
        return;
    case SCHEMA_QUANTITY:
        if ((json_is_string(v) && quantity_ok(json_string_value(v))) || json_is_number(v))
            return;
        fatal_text(t, QUANTITY_FORMAT_ERROR);
        return;
    case SCHEMA_TIME:
        if (json_is_string(v))
            return;
        fatal_unmarshal(t, v, strct, "string", false);
        return;
    }
}

char *typecheck_object(const struct schema_node *root, const char *kind, json_t *obj,
                       enum typecheck_mode mode)
{
    if (root == NULL || !json_is_object(obj))
        return NULL;
    struct tc t = {.mode = mode, .kind = kind};
    buf_init(&t.path, 0);
    check(&t, root, obj, kind, NULL, false);
    buf_release(&t.path);
    if (t.fatal) {
        free(t.saved);
        return t.fatal;
    }
    return t.saved;
}

static void go_format(struct buf *out, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n;
        const char **keys = json_sorted_keys(v, &n);
        buf_puts(out, "map[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_putc(out, ' ');
            buf_puts(out, keys[i]);
            buf_putc(out, ':');
            go_format(out, json_object_get(v, keys[i]));
        }
        buf_putc(out, ']');
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *it;
        buf_putc(out, '[');
        json_array_foreach(v, i, it) {
            if (i)
                buf_putc(out, ' ');
            go_format(out, it);
        }
        buf_putc(out, ']');
        break;
    }
    case JSON_STRING: buf_append(out, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
    case JSON_REAL: number_text(out, v); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    case JSON_NULL: buf_puts(out, "<nil>"); break;
    }
}

char *typecheck_go_format(json_t *v)
{
    struct buf b = BUF_INIT;
    go_format(&b, v);
    return buf_detach(&b, NULL);
}
