/* managedfields.c — field sets (fieldsV1) and the typed walks of server-side apply; see
 * managedfields.h. Upstream sources mirrored: structured-merge-diff v4 fieldpath/set.go,
 * fieldpath/serialize.go, fieldpath/element.go (PathElement order and String), typed/
 * tofieldset.go, typed/compare.go, typed/merge.go, typed/remove.go; kube's schemaconv for
 * the element relationships (listType, patch strategy fallback, map-type atomic). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/managedfields.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/err.h"

#define MF_MAX_DEPTH 128
#define MF_MAX_KEYS 4

json_t *mf_zero_object(const char *zero)
{
    json_t *v = zero != NULL ? json_loads(zero, 0, NULL) : NULL;
    return v != NULL ? v : json_pack("{s:{}}", "metadata");
}

/* ---- types ------------------------------------------------------------------------------ */

enum rel { REL_GRANULAR, REL_ATOMIC, REL_SET, REL_ASSOC };

struct ty {
    const struct schema_node *s;  /* NULL: untyped (deduced from the value) */
    enum rel rel;                 /* lists: atomic/set/assoc; maps: granular/atomic */
    const char *keys[MF_MAX_KEYS];
    const char *defaults[MF_MAX_KEYS];
    size_t nkeys;
};

static struct ty ty_of(const struct schema_node *s)
{
    struct ty t = {.s = s, .rel = REL_GRANULAR};
    if (s == NULL || s->type == SCHEMA_ANY) {
        t.s = NULL;
        return t;
    }
    if (s->type == SCHEMA_OBJECT) {
        t.rel = s->struct_atomic ? REL_ATOMIC : REL_GRANULAR;
        return t;
    }
    if (s->type != SCHEMA_ARRAY)
        return t;
    const char *lt = s->list_type;
    bool merge = s->patch_strategy && strstr(s->patch_strategy, "merge") != NULL;
    if ((lt && strcmp(lt, "map") == 0) || (lt == NULL && merge && s->patch_merge_key)) {
        t.rel = REL_ASSOC;
        for (size_t k = 0; k < MF_MAX_KEYS && s->list_map_keys[k]; k++) {
            t.keys[k] = s->list_map_keys[k];
            t.defaults[k] = s->list_map_key_defaults[k];
            t.nkeys = k + 1;
        }
        if (t.nkeys == 0 && s->patch_merge_key) {
            t.keys[0] = s->patch_merge_key;
            t.nkeys = 1;
        }
        if (t.nkeys == 0)
            t.rel = REL_ATOMIC;
    } else if ((lt && strcmp(lt, "set") == 0) || (lt == NULL && merge)) {
        t.rel = REL_SET;
    } else {
        t.rel = REL_ATOMIC;
    }
    return t;
}

size_t mf_list_map_keys(const struct schema_node *list, const char *ret_keys[4])
{
    struct ty t = ty_of(list);
    if (t.rel != REL_ASSOC || list == NULL || list->type != SCHEMA_ARRAY)
        return 0;
    for (size_t i = 0; i < t.nkeys; i++)
        ret_keys[i] = t.keys[i];
    return t.nkeys;
}

bool mf_struct_is_atomic(const struct schema_node *obj)
{
    return obj != NULL && obj->type == SCHEMA_OBJECT && obj->struct_atomic;
}

/* The type of field key inside map/struct t; *declared: a struct field (not a map entry). */
static struct ty ty_field(const struct ty *t, const char *key, bool *declared)
{
    *declared = false;
    if (t->s != NULL && t->s->type == SCHEMA_OBJECT) {
        const struct schema_node *f = schema_field(t->s, key);
        if (f != NULL) {
            *declared = true;
            return ty_of(f);
        }
        return ty_of(NULL);
    }
    if (t->s != NULL && t->s->type == SCHEMA_MAP)
        return ty_of(t->s->items);
    return ty_of(NULL);
}

static struct ty ty_item(const struct ty *t)
{
    return ty_of(t->s ? t->s->items : NULL);
}

enum shape { SHAPE_SCALAR, SHAPE_MAP, SHAPE_LIST };

/* Shape of a value of type t; untyped values are deduced from v (objects granular maps,
 * arrays atomic lists). */
static enum shape ty_shape(const struct ty *t, json_t *v)
{
    if (t->s == NULL)
        return json_is_object(v) ? SHAPE_MAP : json_is_array(v) ? SHAPE_LIST : SHAPE_SCALAR;
    if (t->s->type == SCHEMA_OBJECT || t->s->type == SCHEMA_MAP)
        return SHAPE_MAP;
    return t->s->type == SCHEMA_ARRAY ? SHAPE_LIST : SHAPE_SCALAR;
}

static bool ty_atomic(const struct ty *t, enum shape sh)
{
    if (sh == SHAPE_LIST)
        return t->s == NULL || t->rel == REL_ATOMIC;
    return sh == SHAPE_MAP && t->rel == REL_ATOMIC;
}

static void pe_string(struct buf *b, const char *pe);
static char *item_pe(const struct ty *t, json_t *v, size_t index, char **ret_err);

/* ---- path elements ------------------------------------------------------------------------ */

static char *go_json(json_t *v)
{
    size_t n;
    char *s = json_dump_go(v, false, &n);
    if (n > 0 && s[n - 1] == '\n')
        s[n - 1] = '\0';
    return s;
}

/* Path element of list item v (list type t), malloc'd; NULL with *ret_err on a bad item. */
static char *item_pe(const struct ty *t, json_t *v, size_t index, char **ret_err)
{
    if (t->rel == REL_ASSOC) {
        if (!json_is_object(v)) {
            *ret_err = xstrdup("associative list with keys may not have non-map elements");
            return NULL;
        }
        /* keys sorted by name, as upstream's value.FieldList */
        size_t order[MF_MAX_KEYS];
        for (size_t i = 0; i < t->nkeys; i++)
            order[i] = i;
        for (size_t i = 1; i < t->nkeys; i++)
            for (size_t j = i; j > 0 && strcmp(t->keys[order[j - 1]], t->keys[order[j]]) > 0; j--) {
                size_t x = order[j];
                order[j] = order[j - 1];
                order[j - 1] = x;
            }
        json_t *k = json_object();
        for (size_t i = 0; i < t->nkeys; i++) {
            const char *name = t->keys[order[i]];
            json_t *kv = json_object_get(v, name);
            if (kv == NULL && t->defaults[order[i]] != NULL) {
                json_object_set_new(k, name, json_loads(t->defaults[order[i]], JSON_DECODE_ANY, NULL));
                continue;
            }
            if (kv == NULL || json_is_object(kv) || json_is_array(kv)) {
                json_decref(k);
                *ret_err = xasprintf("associative list with keys has an element that omits key field \"%s\" (and doesn't have default value)", name);
                return NULL;
            }
            json_object_set(k, name, kv);
        }
        char *js = go_json(k);
        char *pe = xasprintf("k:%s", js);
        free(js);
        json_decref(k);
        return pe;
    }
    if (t->rel == REL_SET) {
        if (json_is_object(v) || json_is_array(v)) {
            *ret_err = xstrdup("associative list without keys has an element that's a map type");
            return NULL;
        }
        char *js = go_json(v);
        char *pe = xasprintf("v:%s", js);
        free(js);
        return pe;
    }
    return xasprintf("i:%zu", index);
}

static int pe_rank(const char *pe)
{
    static const char order[] = "fkvi";
    const char *p = pe[0] ? strchr(order, pe[0]) : NULL;
    return p ? (int)(p - order) : 4;
}

static int value_rank(json_t *v)
{
    if (json_is_number(v))
        return 0;
    if (json_is_string(v))
        return 1;
    if (json_is_boolean(v))
        return 2;
    if (json_is_null(v))
        return 3;
    return 4;
}

static int value_cmp(json_t *a, json_t *b)
{
    int ra = value_rank(a), rb = value_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (json_is_number(a)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_string(a))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a))
        return json_is_true(a) - json_is_true(b);
    if (json_is_null(a))
        return 0;
    char *sa = go_json(a), *sb = go_json(b);
    int c = strcmp(sa, sb);
    free(sa);
    free(sb);
    return c;
}

/* Key objects: field by field (they are sorted by name), then by length. */
static int key_cmp(json_t *a, json_t *b)
{
    void *ia = json_object_iter(a), *ib = json_object_iter(b);
    while (ia && ib) {
        int c = strcmp(json_object_iter_key(ia), json_object_iter_key(ib));
        if (c == 0)
            c = value_cmp(json_object_iter_value(ia), json_object_iter_value(ib));
        if (c != 0)
            return c;
        ia = json_object_iter_next(a, ia);
        ib = json_object_iter_next(b, ib);
    }
    return ia ? 1 : ib ? -1 : 0;
}

/* upstream PathElement.Compare on serialized elements */
static int pe_cmp(const char *a, const char *b)
{
    int ra = pe_rank(a), rb = pe_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0 || ra == 4)
        return strcmp(a, b);
    if (ra == 3) {
        long x = strtol(a + 2, NULL, 10), y = strtol(b + 2, NULL, 10);
        return x < y ? -1 : x > y;
    }
    json_t *va = json_loads(a + 2, JSON_DECODE_ANY | JSON_PRESERVE_ORDER, NULL);
    json_t *vb = json_loads(b + 2, JSON_DECODE_ANY | JSON_PRESERVE_ORDER, NULL);
    int c;
    if (va == NULL || vb == NULL)
        c = strcmp(a, b);
    else
        c = ra == 1 ? key_cmp(va, vb) : value_cmp(va, vb);
    json_decref(va);
    json_decref(vb);
    return c;
}

static int pe_qsort(const void *x, const void *y)
{
    return pe_cmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorted child keys of s (without "."); caller frees the array. */
static const char **sorted_keys(json_t *s, size_t *ret_n)
{
    size_t n = 0;
    const char **keys = xmalloc((json_object_size(s) + 1) * sizeof(*keys));
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v) {
        if (strcmp(k, ".") != 0)
            keys[n++] = k;
    }
    qsort(keys, n, sizeof(*keys), pe_qsort);
    *ret_n = n;
    return keys;
}

/* ---- sets ------------------------------------------------------------------------------- */

bool fs_empty(json_t *s)
{
    return s == NULL || json_object_size(s) == 0;
}

static bool member(json_t *node)
{
    return json_object_get(node, ".") != NULL;
}

static void set_member(json_t *node)
{
    json_object_set_new(node, ".", json_object());
}

static json_t *child_ensure(json_t *node, const char *pe)
{
    json_t *c = json_object_get(node, pe);
    if (c == NULL) {
        c = json_object();
        json_object_set_new(node, pe, c);
    }
    return c;
}

static void fs_insert(json_t *s, char *const *p, size_t n)
{
    if (n == 0)
        return;
    json_t *node = s;
    for (size_t i = 0; i < n; i++)
        node = child_ensure(node, p[i]);
    set_member(node);
}

static void union_into(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v) {
        if (strcmp(k, ".") == 0)
            set_member(dst);
        else
            union_into(child_ensure(dst, k), v);
    }
}

json_t *fs_union(json_t *a, json_t *b)
{
    json_t *out = json_object();
    if (a)
        union_into(out, a);
    if (b)
        union_into(out, b);
    return out;
}

json_t *fs_difference(json_t *a, json_t *b)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) {
        if (strcmp(k, ".") == 0) {
            if (b == NULL || !member(b))
                set_member(out);
            continue;
        }
        json_t *d = fs_difference(v, b ? json_object_get(b, k) : NULL);
        if (json_object_size(d) > 0)
            json_object_set_new(out, k, d);
        else
            json_decref(d);
    }
    return out;
}

json_t *fs_intersection(json_t *a, json_t *b)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (a == NULL || b == NULL)
        return out;
    json_object_foreach(a, k, v) {
        if (strcmp(k, ".") == 0) {
            if (member(b))
                set_member(out);
            continue;
        }
        json_t *bc = json_object_get(b, k);
        if (bc == NULL)
            continue;
        json_t *d = fs_intersection(v, bc);
        if (json_object_size(d) > 0)
            json_object_set_new(out, k, d);
        else
            json_decref(d);
    }
    return out;
}

size_t fs_count(json_t *s)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v)
        n += strcmp(k, ".") == 0 ? 1 : fs_count(v);
    return n;
}

/* Canonical form of one serialized path element, or NULL if it is not valid. */
static char *pe_canonical(const char *k)
{
    if (strncmp(k, "f:", 2) == 0)
        return xstrdup(k);
    if (strncmp(k, "i:", 2) == 0) {
        char *end;
        long i = strtol(k + 2, &end, 10);
        if (k[2] == '\0' || *end != '\0' || i < 0)
            return NULL;
        return xasprintf("i:%ld", i);
    }
    if (strncmp(k, "k:", 2) != 0 && strncmp(k, "v:", 2) != 0)
        return NULL;
    json_t *v = json_loads(k + 2, JSON_DECODE_ANY, NULL);
    if (v == NULL || (k[0] == 'k' && (!json_is_object(v) || json_object_size(v) == 0))) {
        json_decref(v);
        return NULL;
    }
    if (k[0] == 'k') {
        /* key fields sorted by name; scalar values only */
        size_t n;
        const char **names = xmalloc((json_object_size(v) + 1) * sizeof(*names));
        const char *name;
        json_t *x;
        n = 0;
        json_object_foreach(v, name, x) {
            if (json_is_object(x) || json_is_array(x)) {
                free(names);
                json_decref(v);
                return NULL;
            }
            names[n++] = name;
        }
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                const char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        json_t *sorted = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set(sorted, names[i], json_object_get(v, names[i]));
        free(names);
        json_decref(v);
        v = sorted;
    }
    char *js = go_json(v);
    char *out = xasprintf("%c:%s", k[0], js);
    free(js);
    json_decref(v);
    return out;
}

static int from_v1(json_t *v1, json_t *out, int depth, char **ret_err)
{
    if (depth > MF_MAX_DEPTH) {
        *ret_err = xstrdup("fieldsV1 nested too deeply");
        return AZ_EINVALID;
    }
    const char *k;
    json_t *v;
    json_object_foreach(v1, k, v) {
        if (!json_is_object(v)) {
            *ret_err = xasprintf("expected an object for %s", k);
            return AZ_EINVALID;
        }
        if (strcmp(k, ".") == 0) {
            set_member(out);
            continue;
        }
        char *pe = pe_canonical(k);
        if (pe == NULL) {
            *ret_err = xasprintf("unexpected path element: %s", k);
            return AZ_EINVALID;
        }
        json_t *c = child_ensure(out, pe);
        free(pe);
        if (json_object_size(v) == 0)
            set_member(c);
        else if (from_v1(v, c, depth + 1, ret_err) != AZ_OK)
            return AZ_EINVALID;
    }
    return 0;
}

int fs_from_fields_v1(json_t *v1, json_t **ret, char **ret_err)
{
    if (!json_is_object(v1)) {
        *ret_err = xstrdup("fieldsV1 must be an object");
        return AZ_EINVALID;
    }
    json_t *out = json_object();
    if (from_v1(v1, out, 0, ret_err) != AZ_OK) {
        json_decref(out);
        return AZ_EINVALID;
    }
    /* a "." at the root names the empty path: not a field */
    json_object_del(out, ".");
    *ret = out;
    return 0;
}

/* Adds the fieldsV1 form of set s to out (keys sorted; "." first where a member has
 * children), written straight into out rather than built apart and copied in. */
static void to_v1(json_t *out, json_t *s)
{
    size_t n;
    const char **keys = sorted_keys(s, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object_get(s, keys[i]);
        json_t *w = json_object();
        if (member(c) && json_object_size(c) > 1)
            json_object_set_new(w, ".", json_object());
        to_v1(w, c);
        json_object_set_new(out, keys[i], w);
    }
    free(keys);
}

json_t *fs_to_fields_v1(json_t *s)
{
    json_t *out = json_object();
    to_v1(out, s);
    return out;
}

static void pe_string(struct buf *b, const char *pe)
{
    if (pe[0] == 'f') {
        buf_printf(b, ".%s", pe + 2);
        return;
    }
    if (pe[0] == 'i') {
        buf_printf(b, "[%s]", pe + 2);
        return;
    }
    json_t *v = json_loads(pe + 2, JSON_DECODE_ANY | JSON_PRESERVE_ORDER, NULL);
    if (pe[0] == 'v' || !json_is_object(v)) {
        char *js = v ? go_json(v) : xstrdup(pe + 2);
        buf_printf(b, "[=%s]", js);
        free(js);
    } else {
        buf_puts(b, "[");
        const char *k;
        json_t *x;
        bool first = true;
        json_object_foreach(v, k, x) {
            char *js = go_json(x);
            buf_printf(b, "%s%s=%s", first ? "" : ",", k, js);
            free(js);
            first = false;
        }
        buf_puts(b, "]");
    }
    json_decref(v);
}

static void paths_walk(json_t *s, struct buf *prefix, json_t *out)
{
    size_t n;
    const char **keys = sorted_keys(s, &n);
    /* members first, then the children (fieldpath.Set.Iterate) */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            json_t *c = json_object_get(s, keys[i]);
            size_t mark = prefix->len;
            pe_string(prefix, keys[i]);
            if (pass == 0 && member(c))
                json_array_append_new(out, json_stringn(prefix->data, prefix->len));
            else if (pass == 1 && json_object_size(c) > (member(c) ? 1u : 0u))
                paths_walk(c, prefix, out);
            prefix->len = mark;
            if (prefix->data)
                prefix->data[mark] = '\0';
        }
    }
    free(keys);
}

void fs_paths(json_t *s, json_t *out)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "");
    paths_walk(s, &b, out);
    buf_release(&b);
}

char *mf_path_string(const struct schema_node *sch, json_t *v, const char *dotted)
{
    struct ty t = ty_of(sch);
    struct buf b = BUF_INIT;
    const char *p = dotted;
    buf_puts(&b, "");
    while (*p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            char *pe = NULL, *err = NULL;
            if (*end == ']' && json_is_array(v) && i >= 0 && (size_t)i < json_array_size(v) && t.s != NULL &&
                t.rel != REL_ATOMIC)
                pe = item_pe(&t, json_array_get(v, (size_t)i), (size_t)i, &err);
            if (pe != NULL)
                pe_string(&b, pe);
            else
                buf_printf(&b, "[%ld]", i);
            free(pe);
            free(err);
            v = json_array_get(v, (size_t)i);
            t = ty_item(&t);
            p = *end == ']' ? end + 1 : end;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char *name = xstrndup(p, n);
        bool declared;
        buf_printf(&b, ".%s", name);
        t = ty_field(&t, name, &declared);
        v = json_object_get(v, name);
        free(name);
        p += n;
    }
    return buf_detach(&b, NULL);
}

/* ---- ToFieldSet --------------------------------------------------------------------------- */

static void tfs(const struct ty *t, json_t *v, json_t *node, int depth);

static void tfs_map(const struct ty *t, json_t *v, json_t *node, int depth)
{
    const char *k;
    json_t *cv;
    json_object_foreach(v, k, cv) {
        bool declared;
        struct ty ct = ty_field(t, k, &declared);
        char *pe = xasprintf("f:%s", k);
        json_t *c = child_ensure(node, pe);
        enum shape sh = ty_shape(&ct, cv);
        bool leaf = sh == SHAPE_SCALAR || json_is_null(cv) || ty_atomic(&ct, sh);
        if (!leaf)
            tfs(&ct, cv, c, depth + 1);
        if (leaf || !declared)
            set_member(c);
        if (json_object_size(c) == 0)
            json_object_del(node, pe);
        free(pe);
    }
}

static void tfs(const struct ty *t, json_t *v, json_t *node, int depth)
{
    if (depth > MF_MAX_DEPTH)
        return;
    enum shape sh = ty_shape(t, v);
    if (sh == SHAPE_MAP && json_is_object(v) && !ty_atomic(t, sh)) {
        tfs_map(t, v, node, depth);
    } else if (sh == SHAPE_LIST && json_is_array(v) && !ty_atomic(t, sh)) {
        struct ty it = ty_item(t);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            char *err = NULL;
            char *pe = item_pe(t, item, i, &err);
            free(err);
            if (pe == NULL)
                continue;
            json_t *c = child_ensure(node, pe);
            enum shape ish = ty_shape(&it, item);
            if (!(ish == SHAPE_SCALAR || json_is_null(item) || ty_atomic(&it, ish)))
                tfs(&it, item, c, depth + 1);
            set_member(c);
            free(pe);
        }
    }
}

json_t *mf_to_field_set(const struct schema_node *sch, json_t *v)
{
    struct ty t = ty_of(sch);
    json_t *out = json_object();
    tfs(&t, v, out, 0);
    return out;
}

/* ---- list indexing ------------------------------------------------------------------------ */

struct litem {
    char *pe;
    json_t *v;
};

/* Index of list l by path element, duplicates after the first dropped (or an error when
 * strict: AZ_EINVALID with *ret_err). The items and their count in *ret_items (malloc'd) and
 * *ret_n; AZ_OK. */
static int list_index(const struct ty *t, json_t *l, bool strict, struct litem **ret_items,
                      size_t *ret_n, char **ret_err)
{
    size_t n = json_is_array(l) ? json_array_size(l) : 0;
    struct litem *items = xcalloc(n + 1, sizeof(*items));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(l, i);
        char *err = NULL;
        char *pe = item_pe(t, v, i, &err);
        if (pe == NULL) {
            if (strict) {
                for (size_t j = 0; j < m; j++)
                    free(items[j].pe);
                free(items);
                *ret_err = xasprintf("element %zu: %s", i, err);
                free(err);
                return AZ_EINVALID;
            }
            free(err);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = strcmp(items[j].pe, pe) == 0;
        if (dup) {
            if (strict) {
                struct buf b = BUF_INIT;
                pe_string(&b, pe);
                *ret_err = xasprintf("duplicate entries for key %s", b.data);
                buf_release(&b);
                free(pe);
                for (size_t j = 0; j < m; j++)
                    free(items[j].pe);
                free(items);
                return AZ_EINVALID;
            }
            free(pe);
            continue;
        }
        items[m].pe = pe;
        items[m].v = v;
        m++;
    }
    *ret_items = items;
    *ret_n = m;
    return 0;
}

static void litems_free(struct litem *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i].pe);
    free(items);
}

static json_t *litem_get(struct litem *items, size_t n, const char *pe)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].pe, pe) == 0)
            return items[i].v;
    return NULL;
}

/* The merged order of upstream's visitListItems: calls fn(pe, lhs item or NULL, rhs item or
 * NULL) once per distinct element. */
static void list_zip(struct litem *l, size_t ln, struct litem *r, size_t rn,
                     void (*fn)(void *arg, const char *pe, json_t *lv, json_t *rv), void *arg)
{
    const char **shared = xmalloc((rn + 1) * sizeof(*shared));
    size_t ns = 0, si = 0;
    for (size_t i = 0; i < rn; i++)
        if (litem_get(l, ln, r[i].pe))
            shared[ns++] = r[i].pe;
    bool *done_l = xcalloc(ln + 1, sizeof(bool));
    const char *next = ns > 0 ? shared[si++] : NULL;
    size_t li = 0, ri = 0;
    while (li < ln || ri < rn) {
        if (li < ln && done_l[li]) {
            li++;
            continue;
        }
        if (li < ln && ri < rn) {
            const char *pe = l[li].pe;
            if (strcmp(pe, r[ri].pe) == 0) {
                fn(arg, pe, l[li].v, r[ri].v);
                done_l[li] = true;
                li++;
                ri++;
                next = si < ns ? shared[si++] : NULL;
                continue;
            }
            if (litem_get(r, rn, pe) && next != NULL && strcmp(next, pe) != 0) {
                li++; /* shared, but not the one this round: it comes with its rhs item */
                continue;
            }
        }
        if (li < ln && litem_get(r, rn, l[li].pe) == NULL) {
            fn(arg, l[li].pe, l[li].v, NULL);
            done_l[li] = true;
            li++;
            continue;
        }
        if (ri < rn) {
            const char *pe = r[ri].pe;
            json_t *lv = NULL;
            for (size_t j = 0; j < ln; j++)
                if (strcmp(l[j].pe, pe) == 0) {
                    lv = l[j].v;
                    done_l[j] = true;
                }
            fn(arg, pe, lv, r[ri].v);
            ri++;
            if (next != NULL && strcmp(next, pe) == 0)
                next = si < ns ? shared[si++] : NULL;
            continue;
        }
        li++; /* only already merged lhs items are left */
    }
    free(done_l);
    free(shared);
}

/* ---- Compare ------------------------------------------------------------------------------ */

struct cmp {
    json_t *added, *modified, *removed;
    char *path[MF_MAX_DEPTH + 2];
    size_t n;
};

static void cmp_walk(struct cmp *c, const struct ty *t, json_t *l, json_t *r);

/* The path element "f:" key in buf when it fits (n bytes), else in a new string. */
static char *field_pe(char *buf, size_t n, const char *key)
{
    size_t kl = strlen(key);
    if (kl + 3 > n)
        return xasprintf("f:%s", key);
    buf[0] = 'f';
    buf[1] = ':';
    memcpy(buf + 2, key, kl + 1);
    return buf;
}

static void cmp_leaf(struct cmp *c, json_t *l, json_t *r)
{
    if (l == NULL)
        fs_insert(c->added, c->path, c->n);
    else if (r == NULL)
        fs_insert(c->removed, c->path, c->n);
    else if (!json_equal(l, r))
        fs_insert(c->modified, c->path, c->n);
}

struct cmp_list_arg {
    struct cmp *c;
    struct ty it;
};

static void cmp_list_item(void *arg, const char *pe, json_t *lv, json_t *rv)
{
    struct cmp_list_arg *a = arg;
    a->c->path[a->c->n++] = (char *)pe;
    cmp_walk(a->c, &a->it, lv, rv);
    a->c->n--;
}

static void cmp_walk(struct cmp *c, const struct ty *t, json_t *l, json_t *r)
{
    if (c->n > MF_MAX_DEPTH)
        return;
    enum shape sh = ty_shape(t, r ? r : l);
    if (sh == SHAPE_SCALAR || ty_atomic(t, sh)) {
        cmp_leaf(c, l, r);
        return;
    }
    if (sh == SHAPE_MAP) {
        json_t *lm = json_is_object(l) ? l : NULL, *rm = json_is_object(r) ? r : NULL;
        if (json_object_size(lm) == 0 && json_object_size(rm) == 0) {
            cmp_leaf(c, l, r);
            return;
        }
        const char *k;
        json_t *v;
        char small[64]; /* the path element "f:KEY" of most keys, without a malloc */
        json_object_foreach(lm, k, v) {
            bool declared;
            struct ty ct = ty_field(t, k, &declared);
            char *pe = field_pe(small, sizeof(small), k);
            c->path[c->n++] = pe;
            cmp_walk(c, &ct, v, rm ? json_object_get(rm, k) : NULL);
            c->n--;
            if (pe != small)
                free(pe);
        }
        json_object_foreach(rm, k, v) {
            if (lm && json_object_get(lm, k))
                continue;
            bool declared;
            struct ty ct = ty_field(t, k, &declared);
            char *pe = field_pe(small, sizeof(small), k);
            c->path[c->n++] = pe;
            cmp_walk(c, &ct, NULL, v);
            c->n--;
            if (pe != small)
                free(pe);
        }
    } else {
        json_t *ll = json_is_array(l) ? l : NULL, *rl = json_is_array(r) ? r : NULL;
        if (json_array_size(ll) == 0 && json_array_size(rl) == 0) {
            cmp_leaf(c, l, r);
            return;
        }
        struct litem *li = NULL, *ri = NULL;
        size_t ln = 0, rn = 0;
        list_index(t, ll, false, &li, &ln, NULL);
        list_index(t, rl, false, &ri, &rn, NULL);
        struct cmp_list_arg a = {c, ty_item(t)};
        list_zip(li, ln, ri, rn, cmp_list_item, &a);
        litems_free(li, ln);
        litems_free(ri, rn);
    }
    /* non-leaf: only presence changes count */
    if (l == NULL)
        fs_insert(c->added, c->path, c->n);
    else if (r == NULL)
        fs_insert(c->removed, c->path, c->n);
}

void mf_compare(const struct schema_node *sch, json_t *lhs, json_t *rhs, json_t **ret_added,
                json_t **ret_modified, json_t **ret_removed)
{
    struct cmp c = {.added = json_object(), .modified = json_object(), .removed = json_object()};
    struct ty t = ty_of(sch);
    if (lhs != NULL || rhs != NULL)
        cmp_walk(&c, &t, lhs, rhs);
    *ret_added = c.added;
    *ret_modified = c.modified;
    *ret_removed = c.removed;
}

/* ---- Merge -------------------------------------------------------------------------------- */

static json_t *merge_walk(const struct ty *t, json_t *l, json_t *r, int depth, char **ret_err);

struct merge_list_arg {
    struct ty it;
    json_t *out;
    int depth;
    char **ret_err;
    bool failed;
};

static void merge_list_item(void *arg, const char *pe, json_t *lv, json_t *rv)
{
    (void)pe;
    struct merge_list_arg *a = arg;
    if (a->failed)
        return;
    json_t *m = merge_walk(&a->it, lv, rv, a->depth + 1, a->ret_err);
    if (m == NULL)
        a->failed = true;
    else
        json_array_append_new(a->out, m);
}

static json_t *merge_walk(const struct ty *t, json_t *l, json_t *r, int depth, char **ret_err)
{
    if (depth > MF_MAX_DEPTH) {
        *ret_err = xstrdup("max depth exceeded");
        return NULL;
    }
    if (r == NULL)
        return json_deep_copy(l);
    enum shape sh = ty_shape(t, r);
    if (sh == SHAPE_MAP && json_is_object(r) && !ty_atomic(t, sh)) {
        json_t *lm = json_is_object(l) ? l : NULL;
        json_t *out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(lm, k, v) {
            bool declared;
            struct ty ct = ty_field(t, k, &declared);
            json_t *m = merge_walk(&ct, v, json_object_get(r, k), depth + 1, ret_err);
            if (m == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, k, m);
        }
        json_object_foreach(r, k, v) {
            if (lm && json_object_get(lm, k))
                continue;
            bool declared;
            struct ty ct = ty_field(t, k, &declared);
            json_t *m = merge_walk(&ct, NULL, v, depth + 1, ret_err);
            if (m == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, k, m);
        }
        return out;
    }
    if (sh == SHAPE_LIST && json_is_array(r) && !ty_atomic(t, sh)) {
        struct litem *li = NULL, *ri = NULL;
        size_t ln = 0, rn = 0;
        char *err = NULL;
        if (list_index(t, r, true, &ri, &rn, &err) != AZ_OK) {
            *ret_err = err;
            return NULL;
        }
        list_index(t, json_is_array(l) ? l : NULL, false, &li, &ln, NULL);
        struct merge_list_arg a = {.it = ty_item(t), .out = json_array(), .depth = depth, .ret_err = ret_err};
        list_zip(li, ln, ri, rn, merge_list_item, &a);
        litems_free(li, ln);
        litems_free(ri, rn);
        if (a.failed) {
            json_decref(a.out);
            return NULL;
        }
        return a.out;
    }
    /* leaves (scalars, atomic values, type changes): the applied value wins */
    return json_deep_copy(r);
}

json_t *mf_merge(const struct schema_node *sch, json_t *live, json_t *config, char **ret_err)
{
    struct ty t = ty_of(sch);
    *ret_err = NULL;
    json_t *out = merge_walk(&t, live, config, 0, ret_err);
    if (out == NULL && *ret_err == NULL)
        *ret_err = xstrdup("merge failed");
    return out;
}

int mf_check(const struct schema_node *sch, json_t *v, char **ret_err)
{
    json_t *m = mf_merge(sch, NULL, v, ret_err);
    if (m == NULL)
        return AZ_EINVALID;
    json_decref(m);
    return 0;
}

/* ---- RemoveItems -------------------------------------------------------------------------- */

static void remove_walk(const struct ty *t, json_t *v, json_t *s, int depth)
{
    if (depth > MF_MAX_DEPTH || s == NULL)
        return;
    if (json_is_object(v)) {
        const char *k;
        json_t *cv;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, cv) {
            char *pe = xasprintf("f:%s", k);
            json_t *cs = json_object_get(s, pe);
            free(pe);
            if (cs == NULL)
                continue;
            if (member(cs)) {
                json_object_del(v, k);
                continue;
            }
            bool declared;
            struct ty ct = ty_field(t, k, &declared);
            remove_walk(&ct, cv, cs, depth + 1);
        }
    } else if (json_is_array(v) && t->s != NULL && t->rel != REL_ATOMIC) {
        struct ty it = ty_item(t);
        for (size_t i = json_array_size(v); i > 0; i--) {
            json_t *item = json_array_get(v, i - 1);
            char *err = NULL;
            char *pe = item_pe(t, item, i - 1, &err);
            free(err);
            if (pe == NULL)
                continue;
            json_t *cs = json_object_get(s, pe);
            free(pe);
            if (cs == NULL)
                continue;
            if (member(cs))
                json_array_remove(v, i - 1);
            else
                remove_walk(&it, item, cs, depth + 1);
        }
    }
}

void mf_remove_items(const struct schema_node *sch, json_t *v, json_t *s)
{
    struct ty t = ty_of(sch);
    remove_walk(&t, v, s, 0);
}

/* ---- reset and stripped fields ------------------------------------------------------------ */

void mf_filter_reset(json_t *s, bool has_status, const char *subresource)
{
    if (subresource != NULL && strcmp(subresource, "status") == 0)
        json_object_del(s, "f:spec");
    else if (subresource == NULL && has_status)
        json_object_del(s, "f:status");
}

void mf_strip_meta(json_t *s)
{
    static const char *const meta[] = {"f:name", "f:namespace", "f:creationTimestamp", "f:selfLink",
                                       "f:uid", "f:clusterName", "f:generation", "f:managedFields",
                                       "f:resourceVersion"};
    /* plain Difference with the strip set: the paths themselves, not what is below them */
    json_t *m = json_object_get(s, "f:metadata");
    for (size_t i = 0; m && i < sizeof(meta) / sizeof(meta[0]); i++) {
        json_t *c = json_object_get(m, meta[i]);
        if (c == NULL)
            continue;
        json_object_del(c, ".");
        if (json_object_size(c) == 0)
            json_object_del(m, meta[i]);
    }
    if (m != NULL) {
        json_object_del(m, ".");
        if (json_object_size(m) == 0)
            json_object_del(s, "f:metadata");
    }
    static const char *const top[] = {"f:apiVersion", "f:kind"};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = json_object_get(s, top[i]);
        if (c == NULL)
            continue;
        json_object_del(c, ".");
        if (json_object_size(c) == 0)
            json_object_del(s, top[i]);
    }
}
