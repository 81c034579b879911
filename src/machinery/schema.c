/* schema.c — lookups over the schema table (schema_core.c) and strict field validation.
 *
 * Unknown-field messages reproduce what upstream's strict JSON decoder (sigs.k8s.io/json,
 * used by the apiserver's serializer with DisallowUnknownFields) produces:
 *
 *   unknown field "<path>"
 *
 * where <path> joins object keys with "." and array elements as "[i]", starting at the
 * document root: "foo", "spec.foo", "spec.template.spec.containers[0].ports[1].foo".
 * Map values (labels, limits, extra) continue the path with ".<key>". The path is quoted
 * like Go's strconv.Quote. Fields below an unknown field, and below free-form values
 * (SCHEMA_ANY: fieldsV1, RawExtension), are not examined. Messages come in document order,
 * duplicates are dropped and at most SCHEMA_MAX_STRICT_ERRORS are kept, as upstream does. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "machinery/schema.h"
#include "machinery/schema_int.h"
#include "util/buf.h"

/* Upstream keeps at most 100 strict errors per decode. */
#define SCHEMA_MAX_STRICT_ERRORS 100
/* Longest field path we build; deeper keys are not reported (bodies are bounded anyway). */
#define SCHEMA_MAX_PATH (64 * 1024)

const struct schema_node *schema_for_kind(const char *group, const char *version,
                                          const char *kind)
{
    if (!group || !version || !kind)
        return NULL;
    for (const struct schema_kind *k = schema_core__kinds; k->kind; k++) {
        if (strcmp(k->kind, kind) != 0)
            continue;
        if (strcmp(k->group, "*") != 0 && strcmp(k->group, group) != 0)
            continue;
        if (strcmp(k->version, "*") != 0 && strcmp(k->version, version) != 0)
            continue;
        return k->root;
    }
    return NULL;
}

const struct schema_node *schema_field(const struct schema_node *obj, const char *name)
{
    if (!obj || !name || obj->type != SCHEMA_OBJECT || !obj->fields)
        return NULL;
    for (const struct schema_field *f = obj->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f->type;
    return NULL;
}

/* ---- Go strconv.Quote ---------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length and sets *ret_cp,
 * or 0 if the bytes are not valid UTF-8 (overlong, surrogate, out of range, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
    uint32_t cp;
    size_t len;
    if (s[0] < 0x80) {
        *ret_cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        cp = s[0] & 0x1f;
        len = 2;
    } else if ((s[0] & 0xf0) == 0xe0) {
        cp = s[0] & 0x0f;
        len = 3;
    } else if ((s[0] & 0xf8) == 0xf0) {
        cp = s[0] & 0x07;
        len = 4;
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
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret_cp = cp;
    return len;
}

/* An approximation of Go's unicode.IsPrint for non-ASCII code points: C1 controls, the
 * soft hyphen, line/paragraph separators, format characters and noncharacters are not
 * printable. */
static int unicode_printable(uint32_t cp)
{
    if (cp >= 0x80 && cp <= 0xa0)
        return 0;
    if (cp == 0xad || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
        (cp & 0xfffe) == 0xfffe || (cp >= 0xfdd0 && cp <= 0xfdef) ||
        (cp >= 0xe000 && cp <= 0xf8ff) || cp >= 0xf0000)
        return 0;
    return 1;
}

/* Appends s quoted as Go's strconv.Quote (%q) renders it. */
static int buf_put_go_quoted(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = buf_putc(b, '"');
    size_t i = 0;
    while (rc == 0 && i < n) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            char esc[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 0xf]};
            rc = buf_append(b, esc, sizeof(esc));
            i++;
            continue;
        }
        switch (cp) {
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
            if (cp < 0x20 || cp == 0x7f)
                rc = buf_printf(b, "\\x%02x", (unsigned)cp);
            else if (cp < 0x80 || unicode_printable(cp))
                rc = buf_append(b, p + i, len);
            else if (cp < 0x10000)
                rc = buf_printf(b, "\\u%04x", (unsigned)cp);
            else
                rc = buf_printf(b, "\\U%08x", (unsigned)cp);
            break;
        }
        i += len;
    }
    if (rc == 0)
        rc = buf_putc(b, '"');
    return rc;
}

/* ---- the walk ------------------------------------------------------------------------ */

struct unknown_walk {
    struct buf path;  /* current field path, "" at the root */
    json_t *msgs;     /* caller's array */
    json_t *seen;     /* object used as a set of messages already reported */
    int added;        /* messages appended */
    bool prune;       /* also delete the unknown fields from the object */
};

static int schema__unknown(const struct schema_node *root, json_t *obj, json_t *ret_msgs, bool prune);

static void walk_report(struct unknown_walk *w, const char *key)
{
    if (json_array_size(w->msgs) >= SCHEMA_MAX_STRICT_ERRORS)
        return;
    struct buf field = BUF_INIT, msg = BUF_INIT;
    buf_init(&field, SCHEMA_MAX_PATH * 2);
    buf_init(&msg, SCHEMA_MAX_PATH * 8);
    int rc = 0;
    if (w->path.len > 0) {
        rc = buf_append(&field, w->path.data, w->path.len);
        if (rc == 0)
            rc = buf_putc(&field, '.');
    }
    if (rc == 0)
        rc = buf_puts(&field, key);
    if (rc == 0)
        rc = buf_puts(&msg, "unknown field ");
    if (rc == 0)
        rc = buf_put_go_quoted(&msg, field.data, field.len);
    if (rc == 0 && !json_object_get(w->seen, msg.data)) {
        json_object_set_new(w->seen, msg.data, json_true());
        json_array_append_new(w->msgs, json_string_nocheck(msg.data));
        w->added++;
    }
    buf_release(&field);
    buf_release(&msg);
}

static void walk_value(struct unknown_walk *w, const struct schema_node *node, json_t *v);

/* Descends into child with the path extended by ".key" (or "key" at the root). */
static void walk_key(struct unknown_walk *w, const struct schema_node *node, const char *key,
                     json_t *child)
{
    size_t saved = w->path.len;
    int rc = 0;
    if (saved > 0)
        rc = buf_putc(&w->path, '.');
    if (rc == 0)
        rc = buf_puts(&w->path, key);
    if (rc == 0)
        walk_value(w, node, child);
    w->path.len = saved;
    if (w->path.data)
        w->path.data[saved] = '\0';
}

static void walk_value(struct unknown_walk *w, const struct schema_node *node, json_t *v)
{
    if (!node || !v)
        return;
    switch (node->type) {
    case SCHEMA_OBJECT: {
        if (!json_is_object(v))
            return;
        const char *key;
        json_t *child;
        void *tmp;
        json_object_foreach_safe(v, tmp, key, child) {
            const struct schema_node *fnode = schema_field(node, key);
            if (!fnode) {
                walk_report(w, key);
                if (w->prune)
                    json_object_del(v, key);
            } else {
                walk_key(w, fnode, key, child);
            }
        }
        return;
    }
    case SCHEMA_MAP: {
        if (!json_is_object(v) || !node->items)
            return;
        /* Only structured values can hold unknown fields. */
        switch (node->items->type) {
        case SCHEMA_OBJECT:
        case SCHEMA_MAP:
        case SCHEMA_ARRAY:
            break;
        case SCHEMA_ANY:
        case SCHEMA_STRING:
        case SCHEMA_INTEGER:
        case SCHEMA_NUMBER:
        case SCHEMA_BOOLEAN:
        case SCHEMA_INT_OR_STRING:
        case SCHEMA_QUANTITY:
        case SCHEMA_TIME:
            return;
        }
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
            walk_key(w, node->items, key, child);
        return;
    }
    case SCHEMA_ARRAY: {
        if (!json_is_array(v) || !node->items)
            return;
        size_t i;
        json_t *elem;
        json_array_foreach(v, i, elem) {
            size_t saved = w->path.len;
            if (buf_printf(&w->path, "[%zu]", i) == 0)
                walk_value(w, node->items, elem);
            w->path.len = saved;
            if (w->path.data)
                w->path.data[saved] = '\0';
        }
        return;
    }
    case SCHEMA_ANY:
    case SCHEMA_STRING:
    case SCHEMA_INTEGER:
    case SCHEMA_NUMBER:
    case SCHEMA_BOOLEAN:
    case SCHEMA_INT_OR_STRING:
    case SCHEMA_QUANTITY:
    case SCHEMA_TIME:
        return;
    }
}

int schema_prune_unknown_fields(const struct schema_node *root, json_t *obj, json_t *ret_msgs)
{
    return schema__unknown(root, obj, ret_msgs, true);
}

int schema_find_unknown_fields(const struct schema_node *root, json_t *obj, json_t *ret_msgs)
{
    return schema__unknown(root, obj, ret_msgs, false);
}

static int schema__unknown(const struct schema_node *root, json_t *obj, json_t *ret_msgs, bool prune)
{
    if (!root || !obj || !json_is_array(ret_msgs))
        return 0;
    struct unknown_walk w = {.msgs = ret_msgs, .seen = json_object(), .prune = prune};
    buf_init(&w.path, SCHEMA_MAX_PATH);
    /* Messages already in ret_msgs count towards de-duplication and the cap. */
    size_t i;
    json_t *m;
    json_array_foreach(ret_msgs, i, m) {
        if (json_is_string(m))
            json_object_set_new(w.seen, json_string_value(m), json_true());
    }
    walk_value(&w, root, obj);
    buf_release(&w.path);
    json_decref(w.seen);
    return w.added;
}

