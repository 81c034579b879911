/* smpatch.c — strategic merge patch (application/strategic-merge-patch+json) as the apiserver
 * applies it: k8s.io/apimachinery/pkg/util/strategicpatch StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls, patch metadata (patchStrategy / patchMergeKey)
 * taken from api/schema.h instead of Go struct tags.
 *
 * Semantics, per map level of the patch:
 *   "$patch": "replace"       the map is the patch (minus the directive); "delete" -> {};
 *                             anything else -> 500 `unknown patch type: X in map: map[...]`
 *   "$retainKeys": [k...]     drop original keys not listed; a non-null patch key not listed -> 400
 *   "$setElementOrder/f": []  merge list f, then order it: setElementOrder > patch > live order
 *   "$deleteFromPrimitiveList/f": [v...]  remove those scalars from merge list f
 *   key: null                 delete key
 *   key absent in original    take the patch value
 *   types differ              take the patch value
 *   map field                 recurse (strategy "replace": take the patch value)
 *   list field, strategy merge
 *     of maps (merge key K)   items matched by K are merged, new ones added; items
 *                             {"$patch":"delete",K:v} delete, {"$patch":"replace"} replaces the list
 *     of scalars              union without duplicates
 *   other list / scalar       take the patch value
 * Order of a merged list (mergeSortedSlice upstream): patch items in patch order, live-only items
 * in live order, interleaved by live order; a patch item absent from the live list sorts before
 * the live-only item it is compared with.
 *
 * Error codes follow handlers/patch.go interpretStrategicMergePatchError: the mergepatch format
 * errors are 400, list-of-lists is 422, everything else is a plain error (500).
 *
 * Deviations (documented, deliberate): a patch value for a field absent from the original is
 * itself merged into an empty value (directives and nulls inside it are applied, not stored
 * verbatim); `$deleteFromPrimitiveList/f` for an absent f is a no-op (upstream stores the
 * deletion list); fields unknown to the schema get no patch metadata instead of an error;
 * unknown `$`-directives are rejected (400) outside SCHEMA_ANY subtrees. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/patch.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"

#define DIRECTIVE_MARKER "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PRIMITIVE_PREFIX "$deleteFromPrimitiveList"
#define SET_ORDER_PREFIX "$setElementOrder"

/* One patch application. */
struct smp {
    int code;  /* first error (AZ_E*), 0 while none */
    char *err; /* its message */
};

static int smp_fail(struct smp *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error (code, message) and returns the recorded code. */
static int smp_fail(struct smp *c, int code, const char *fmt, ...)
{
    if (c->code != 0)
        return c->code;
    va_list ap;
    va_start(ap, fmt);
    c->err = xvasprintf(fmt, ap);
    va_end(ap);
    c->code = code;
    return code;
}

/* ---- Go fmt of decoded JSON, for upstream's error texts ---------------------------------- */

static void go_fmt_float(FILE *f, double d)
{
    /* strconv.FormatFloat(d, 'g', -1, 64) as fmt %v prints it: shortest digits, exponent
     * form when exp < -4 || exp >= 6 */
    char buf[64];
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
    const char *e = strchr(buf, 'e');
    int exp = e != NULL ? (int)strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) {
        fputs(buf, f);
    } else {
        int decimals = prec - 1 - exp;
        fprintf(f, "%.*f", decimals > 0 ? decimals : 0, d);
    }
}

/* fmt's %v of a value decoded by encoding/json (maps print with sorted keys). */
static void go_fmt_value(FILE *f, json_t *v, int depth)
{
    if (depth > PATCH_MAX_DEPTH) {
        fputs("...", f);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xcalloc(n + 1, sizeof(*keys));
        const char *k;
        json_t *c;
        if (keys == NULL)
            abort();
        json_object_foreach(v, k, c) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), strp_cmp);
        fputs("map[", f);
        for (i = 0; i < n; i++) {
            fprintf(f, "%s%s:", i > 0 ? " " : "", keys[i]);
            go_fmt_value(f, json_object_get(v, keys[i]), depth + 1);
        }
        fputc(']', f);
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *c;
        fputc('[', f);
        json_array_foreach(v, i, c) {
            if (i > 0)
                fputc(' ', f);
            go_fmt_value(f, c, depth + 1);
        }
        fputc(']', f);
        break;
    }
    case JSON_STRING: fwrite(json_string_value(v), 1, json_string_length(v), f); break;
    case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(v)); break;
    case JSON_REAL: go_fmt_float(f, json_real_value(v)); break;
    case JSON_TRUE: fputs("true", f); break;
    case JSON_FALSE: fputs("false", f); break;
    case JSON_NULL: fputs("<nil>", f); break;
    }
}

/* Go's reflect type name of a decoded JSON value. */
static const char *go_type_name(json_t *v)
{
    if (v == NULL)
        return "%!s(<nil>)";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int64";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "%!s(<nil>)";
    }
    return "interface {}";
}

const char *patch_go_type_name(json_t *v)
{
    return go_type_name(v);
}

/* fmt's %s of a value (used by ErrBadPatchType for the directive value). */
static void go_fmt_s(FILE *f, json_t *v)
{
    if (json_is_string(v) || json_is_object(v) || json_is_array(v)) {
        go_fmt_value(f, v, 0);
    } else if (json_is_null(v)) {
        fputs("%!s(<nil>)", f);
    } else {
        fprintf(f, "%%!s(%s=", go_type_name(v));
        go_fmt_value(f, v, 0);
        fputc(')', f);
    }
}

/* Renders a message with %v values: pieces are text, then a value, alternately (value may be
 * NULL to end). Returns malloc'd text. */
static char *go_msg(const char *fmt_prefix, json_t *v1, const char *mid, json_t *v2, const char *suffix)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (f == NULL)
        abort();
    fputs(fmt_prefix, f);
    if (v1 != NULL)
        go_fmt_value(f, v1, 0);
    if (mid != NULL)
        fputs(mid, f);
    if (v2 != NULL)
        go_fmt_value(f, v2, 0);
    if (suffix != NULL)
        fputs(suffix, f);
    fclose(f);
    return out;
}

static int smp_fail_msg(struct smp *c, int code, char *msg)
{
    if (c->code == 0) {
        c->code = code;
        c->err = msg;
    } else {
        free(msg);
    }
    return c->code;
}

/* The recorded error's code, after a callee failed (AZ_EINTERNAL if it recorded none). */
static int smp_code(const struct smp *c)
{
    return c->code != 0 ? c->code : AZ_EINTERNAL;
}

static int err_no_merge_key(struct smp *c, json_t *m, const char *key)
{
    char *s = go_msg("map: ", m, " does not contain declared merge key: ", NULL, key);
    return smp_fail_msg(c, AZ_EINTERNAL, s);
}

static int err_bad_arg_type(struct smp *c, const char *expected, json_t *actual)
{
    return smp_fail(c, AZ_EINTERNAL, "expected a %s, but received a %s", expected, go_type_name(actual));
}

static int err_bad_patch_type(struct smp *c, json_t *directive, json_t *m)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (f == NULL)
        abort();
    fputs("unknown patch type: ", f);
    go_fmt_s(f, directive);
    fputs(" in map: ", f);
    go_fmt_value(f, m, 0);
    fclose(f);
    return smp_fail_msg(c, AZ_EINTERNAL, out);
}

/* ---- schema metadata -------------------------------------------------------------------- */

/* Schema of member name of a value described by node (NULL: no metadata). */
static const struct schema_node *smp_child(const struct schema_node *node, const char *name)
{
    if (node == NULL)
        return NULL;
    switch (node->type) {
    case SCHEMA_OBJECT:
        for (const struct schema_field *f = node->fields; f != NULL && f->name != NULL; f++)
            if (strcmp(f->name, name) == 0)
                return f->type;
        return NULL;
    case SCHEMA_MAP:
        return node->items;
    case SCHEMA_ANY:
    case SCHEMA_ARRAY:
    case SCHEMA_STRING:
    case SCHEMA_INTEGER:
    case SCHEMA_NUMBER:
    case SCHEMA_BOOLEAN:
    case SCHEMA_INT_OR_STRING:
    case SCHEMA_QUANTITY:
    case SCHEMA_TIME:
        return NULL;
    }
    return NULL;
}

/* Whether node's patchStrategy (comma-separated) contains s. */
static bool smp_strategy_has(const struct schema_node *node, const char *s)
{
    if (node == NULL || node->patch_strategy == NULL)
        return false;
    size_t n = strlen(s);
    for (const char *p = node->patch_strategy; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, s, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static const char *smp_merge_key(const struct schema_node *node)
{
    return node != NULL && node->type == SCHEMA_ARRAY && node->patch_merge_key != NULL
               ? node->patch_merge_key : "";
}

static const struct schema_node *smp_items(const struct schema_node *node)
{
    return node != NULL && node->type == SCHEMA_ARRAY ? node->items : NULL;
}

/* ---- list helpers ----------------------------------------------------------------------- */

/* Go type identity of decoded JSON values (int64 and float64 differ, as upstream): a
 * json_type, or -1 for none. */
static int go_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE: return JSON_TRUE;
    case JSON_OBJECT:
    case JSON_ARRAY:
    case JSON_STRING:
    case JSON_INTEGER:
    case JSON_REAL:
    case JSON_NULL: return (int)json_typeof(v);
    }
    return -1;
}

/* sliceElementType(a, b): the common element kind, or -1 with the error set. */
static int smp_element_kind(struct smp *c, json_t *a, json_t *b)
{
    int kind = -2;
    json_t *lists[2] = {a, b};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v) {
            int k = go_kind(v);
            if (kind == -2) {
                kind = k;
                if (k == JSON_ARRAY) {
                    smp_fail(c, AZ_EINVALID, "lists of lists are not supported");
                    return -1;
                }
            } else if (k != kind) {
                json_t *both = json_pack("[OO]", a != NULL ? a : json_null(), b != NULL ? b : json_null());
                smp_fail_msg(c, AZ_EINTERNAL, go_msg("list element types are not identical: ", both, NULL, NULL, NULL));
                json_decref(both);
                return -1;
            }
        }
    }
    if (kind == -2) {
        smp_fail(c, AZ_EINTERNAL, "no elements in any of the given slices");
        return -1;
    }
    return kind;
}

/* Value an item is identified by in a list: its merge key value for maps, itself otherwise. */
static json_t *smp_ident(json_t *item, const char *merge_key, bool maps)
{
    if (!maps)
        return item;
    return json_is_object(item) ? json_object_get(item, merge_key) : NULL;
}

/* index(): position of item in order, or -1. */
static long smp_index(json_t *order, json_t *item, const char *merge_key, bool maps)
{
    json_t *id = smp_ident(item, merge_key, maps);
    size_t i;
    json_t *v;
    json_array_foreach(order, i, v) {
        json_t *vid = smp_ident(v, merge_key, maps);
        if (id == NULL ? vid == NULL : (vid != NULL && json_equal(id, vid)))
            return (long)i;
    }
    return -1;
}

/* Stable sort of list (in place) by position in order; items not in order keep their place
 * relative to each other (upstream's comparator only orders items found in both). */
static void smp_sort_by(json_t *list, json_t *order, const char *merge_key, bool maps)
{
    size_t n = json_array_size(list);
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            long a = smp_index(order, json_array_get(list, j), merge_key, maps);
            long b = smp_index(order, json_array_get(list, j - 1), merge_key, maps);
            if (a < 0 || b < 0 || a >= b)
                break;
            json_t *x = json_incref(json_array_get(list, j));
            json_array_set(list, j, json_array_get(list, j - 1));
            json_array_set_new(list, j - 1, x);
        }
    }
}

/* validateMergeKeyInLists */
static int smp_validate_merge_keys(struct smp *c, const char *merge_key, json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_object(v))
            return err_bad_arg_type(c, "map[string]interface {}", v);
        if (json_object_get(v, merge_key) == NULL)
            return err_no_merge_key(c, v, merge_key);
    }
    return 0;
}

/* normalizeSliceOrder: sorts to_sort (stolen) by order; for maps, {"$patch":"delete"} items go
 * last. Returns a new list or NULL on error. */
static json_t *smp_normalize_slice(struct smp *c, json_t *to_sort, json_t *order, const char *merge_key, bool maps)
{
    json_t *deletes = json_array();
    if (maps) {
        if (smp_validate_merge_keys(c, merge_key, to_sort) != 0 || smp_validate_merge_keys(c, merge_key, order) != 0)
            goto fail;
        json_t *keep = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(to_sort, i, v) {
            json_t *d = json_object_get(v, DIRECTIVE_MARKER);
            json_array_append(json_is_string(d) && strcmp(json_string_value(d), "delete") == 0 ? deletes : keep, v);
        }
        json_decref(to_sort);
        to_sort = keep;
    }
    smp_sort_by(to_sort, order, merge_key, maps);
    json_array_extend(to_sort, deletes);
    json_decref(deletes);
    return to_sort;
fail:
    json_decref(deletes);
    json_decref(to_sort);
    return NULL;
}

/* normalizeElementOrder + mergeSortedSlice. patch_items and server_only are stolen. */
static json_t *smp_order(struct smp *c, json_t *patch_items, json_t *server_only, json_t *patch_order,
                         json_t *server_order, const char *merge_key, bool maps)
{
    json_t *right = smp_normalize_slice(c, patch_items, patch_order, merge_key, maps);
    json_t *left = smp_normalize_slice(c, server_only, server_order, merge_key, maps);
    if (left == NULL || right == NULL) {
        json_decref(left);
        json_decref(right);
        return NULL;
    }
    json_t *out = json_array();
    size_t i = 0, j = 0, nl = json_array_size(left), nr = json_array_size(right);
    while (i < nl || j < nr) {
        if (i >= nl) {
            json_array_append(out, json_array_get(right, j++));
        } else if (j >= nr) {
            json_array_append(out, json_array_get(left, i++));
        } else {
            long li = smp_index(server_order, json_array_get(left, i), merge_key, maps);
            long ri = smp_index(server_order, json_array_get(right, j), merge_key, maps);
            if (li >= 0 && ri >= 0 && li < ri)
                json_array_append(out, json_array_get(left, i++));
            else
                json_array_append(out, json_array_get(right, j++));
        }
    }
    json_decref(left);
    json_decref(right);
    return out;
}

/* partition*ByPresentInList: items of merged present in by (by identity) vs the rest. */
static int smp_partition(struct smp *c, json_t *merged, json_t *by, const char *merge_key, bool maps,
                         json_t **ret_in, json_t **ret_out)
{
    json_t *in = json_array(), *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(merged, i, v) {
        if (maps) {
            if (!json_is_object(v) || json_object_get(v, merge_key) == NULL) {
                json_decref(in);
                json_decref(out);
                return json_is_object(v) ? err_no_merge_key(c, v, merge_key)
                                         : err_bad_arg_type(c, "map[string]interface {}", v);
            }
        }
        json_array_append(smp_index(by, v, merge_key, maps) >= 0 ? in : out, v);
    }
    *ret_in = in;
    *ret_out = out;
    return 0;
}

/* Go's deduplicateScalars (order as upstream: a duplicate is overwritten by the last item). */
static void smp_dedup_scalars(json_t *s)
{
    size_t length = json_array_size(s);
    if (length == 0)
        return;
    length--;
    for (size_t i = 0; i < length; i++) {
        for (size_t j = i + 1; j <= length; j++) {
            if (json_equal(json_array_get(s, i), json_array_get(s, j))) {
                json_array_set(s, j, json_array_get(s, length));
                json_array_remove(s, length);
                length--;
                j--;
            }
        }
    }
}

static json_t *smp_merge_map(struct smp *c, json_t *orig, json_t *patch, const struct schema_node *schema);

/* A patch value placed where the original has nothing: merged into an empty value. */
static json_t *smp_fresh(struct smp *c, json_t *patch, const struct schema_node *schema);

static json_t *smp_merge_slice(struct smp *c, json_t *orig, json_t *patch, const struct schema_node *schema,
                               bool is_delete_list)
{
    if (json_array_size(orig) == 0 && json_array_size(patch) == 0)
        return json_incref(orig);
    int kind = smp_element_kind(c, orig, patch);
    if (kind < 0)
        return NULL;
    const char *merge_key = smp_merge_key(schema);
    const struct schema_node *items = smp_items(schema);
    json_t *server = json_copy(orig); /* the live list (after deletions): the server order */
    json_t *plist = json_copy(patch); /* the patch list without directive items */
    json_t *merged = NULL, *result = NULL;
    size_t i;
    json_t *v;

    if (kind != JSON_OBJECT) {
        if (is_delete_list) {
            merged = json_array();
            json_array_foreach(server, i, v) {
                if (smp_index(patch, v, "", false) < 0)
                    json_array_append(merged, v);
            }
            result = merged;
            merged = NULL;
            goto out;
        }
        merged = json_copy(server);
        json_array_extend(merged, plist);
        smp_dedup_scalars(merged);
    } else {
        if (merge_key[0] == '\0') {
            smp_fail(c, AZ_EINTERNAL, "cannot merge lists without merge key for type struct");
            goto out;
        }
        /* mergeSliceWithSpecialElements */
        bool replace = false;
        json_t *rest = json_array();
        json_array_foreach(patch, i, v) {
            json_t *d = json_object_get(v, DIRECTIVE_MARKER);
            if (d == NULL) {
                json_array_append(rest, v);
            } else if (json_is_string(d) && strcmp(json_string_value(d), "delete") == 0) {
                json_t *key = json_object_get(v, merge_key);
                if (key == NULL) {
                    err_no_merge_key(c, v, merge_key);
                    json_decref(rest);
                    goto out;
                }
                for (size_t k = 0; k < json_array_size(server);) {
                    json_t *s = json_array_get(server, k);
                    if (!json_is_object(s)) {
                        smp_fail(c, AZ_EINTERNAL, "value for key %zu is not a map.", k);
                        json_decref(rest);
                        goto out;
                    }
                    json_t *sk = json_object_get(s, merge_key);
                    if (sk != NULL && json_equal(sk, key))
                        json_array_remove(server, k);
                    else
                        k++;
                }
            } else if (json_is_string(d) && strcmp(json_string_value(d), "replace") == 0) {
                replace = true;
            } else if (json_is_string(d) && strcmp(json_string_value(d), "merge") == 0) {
                smp_fail(c, AZ_EINTERNAL, "merging lists cannot yet be specified in the patch");
                json_decref(rest);
                goto out;
            } else {
                err_bad_patch_type(c, d, v);
                json_decref(rest);
                goto out;
            }
        }
        json_decref(plist);
        if (replace) {
            json_decref(server);
            server = json_array();
            json_array_foreach(rest, i, v) {
                json_t *item = smp_fresh(c, v, items);
                if (item == NULL) {
                    json_decref(rest);
                    plist = NULL;
                    goto out;
                }
                json_array_append_new(server, item);
            }
            json_decref(rest);
            plist = json_array();
        } else {
            plist = rest;
        }
        /* mergeSliceWithoutSpecialElements */
        merged = json_copy(server);
        json_array_foreach(plist, i, v) {
            json_t *key = json_object_get(v, merge_key);
            if (key == NULL) {
                err_no_merge_key(c, v, merge_key);
                goto out;
            }
            size_t n = json_array_size(merged), k;
            for (k = 0; k < n; k++) {
                json_t *m = json_array_get(merged, k);
                if (!json_is_object(m)) {
                    smp_fail(c, AZ_EINTERNAL, "value for key %zu is not a map.", k);
                    goto out;
                }
                json_t *mk = json_object_get(m, merge_key);
                if (mk != NULL && json_equal(mk, key))
                    break;
            }
            json_t *item = k < n ? smp_merge_map(c, json_incref(json_array_get(merged, k)), v, items)
                                 : smp_fresh(c, v, items);
            if (item == NULL)
                goto out;
            if (k < n) {
                json_array_set_new(merged, k, item);
                json_array_set(server, k, item); /* same element, merged */
            } else {
                json_array_append_new(merged, item);
            }
        }
    }
    /* enforce the order */
    json_t *in, *rest_items;
    bool maps = kind == JSON_OBJECT;
    if (smp_partition(c, merged, plist, merge_key, maps, &in, &rest_items) != 0)
        goto out;
    result = smp_order(c, in, rest_items, plist, server, merge_key, maps);
out:
    json_decref(server);
    json_decref(plist);
    json_decref(merged);
    return result;
}

static json_t *smp_fresh(struct smp *c, json_t *patch, const struct schema_node *schema)
{
    if (json_is_object(patch))
        return smp_merge_map(c, NULL, patch, schema);
    if (json_is_array(patch) && smp_strategy_has(schema, "merge")) {
        json_t *empty = json_array();
        json_t *out = smp_merge_slice(c, empty, patch, schema, false);
        json_decref(empty);
        return out;
    }
    return json_deep_copy(patch);
}

/* extractKey(): the field a `<prefix>/<field>` directive key names, or NULL. */
static const char *smp_directive_field(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] != '/')
        return NULL;
    return key + n + 1;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* $retainKeys (applyRetainKeysDirective). */
static int smp_retain_keys(struct smp *c, json_t *orig, json_t *patch)
{
    json_t *list = json_object_get(patch, RETAIN_KEYS);
    if (list == NULL)
        return 0;
    if (!json_is_array(list))
        return smp_fail(c, AZ_EBADREQUEST, "invalid patch format of retainKeys");
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (strcmp(k, RETAIN_KEYS) == 0 || json_is_null(v) || has_prefix(k, DELETE_PRIMITIVE_PREFIX) ||
            has_prefix(k, SET_ORDER_PREFIX))
            continue;
        json_t *key = json_string(k);
        long found = smp_index(list, key, "", false);
        json_decref(key);
        if (found < 0)
            return smp_fail(c, AZ_EBADREQUEST, "invalid patch format of retainKeys");
    }
    void *tmp;
    json_object_foreach_safe(orig, tmp, k, v) {
        json_t *key = json_string(k);
        if (smp_index(list, key, "", false) < 0)
            json_object_del(orig, k);
        json_decref(key);
    }
    return 0;
}

/* validatePatchWithSetOrderList */
static int smp_validate_set_order(struct smp *c, json_t *plist, json_t *order, const char *merge_key)
{
    if (json_array_size(order) == 0 || json_array_size(plist) == 0)
        return 0;
    bool maps = merge_key[0] != '\0';
    json_t *non_delete = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(plist, i, v) {
        if (maps && !json_is_object(v)) {
            json_decref(non_delete);
            return err_bad_arg_type(c, "map[string]interface {}", v);
        }
        json_t *d = maps ? json_object_get(v, DIRECTIVE_MARKER) : NULL;
        if (!(json_is_string(d) && strcmp(json_string_value(d), "delete") == 0))
            json_array_append(non_delete, v);
    }
    size_t pi = 0, oi = 0, np = json_array_size(non_delete), no = json_array_size(order);
    int rc = 0;
    while (pi < np && oi < no) {
        json_t *p = json_array_get(non_delete, pi), *o = json_array_get(order, oi);
        if (json_is_object(p) && json_object_get(p, DIRECTIVE_MARKER) != NULL) {
            pi++;
            continue;
        }
        bool equal;
        if (!maps) {
            equal = json_equal(p, o);
        } else {
            if (!json_is_object(p) || !json_is_object(o)) {
                rc = err_bad_arg_type(c, "map[string]interface {}", json_is_object(p) ? o : p);
                break;
            }
            json_t *pk = json_object_get(p, merge_key), *ok = json_object_get(o, merge_key);
            if (pk == NULL || ok == NULL) {
                rc = err_no_merge_key(c, pk == NULL ? p : o, merge_key);
                break;
            }
            equal = json_equal(pk, ok);
        }
        if (equal)
            pi++;
        oi++;
    }
    if (rc == 0 && pi < np && oi >= no) {
        char *s = go_msg("The order in patch list:\n", plist, "\n doesn't match $setElementOrder list:\n", order, "\n");
        rc = smp_fail_msg(c, AZ_EINTERNAL, s);
    }
    json_decref(non_delete);
    return rc;
}

/* $setElementOrder/<field> (mergePatchIntoOriginal). Adds handled fields to done. */
static int smp_set_element_order(struct smp *c, json_t *orig, json_t *patch, const struct schema_node *schema,
                                 json_t *done)
{
    const char *k;
    json_t *order;
    json_object_foreach(patch, k, order) {
        if (!has_prefix(k, SET_ORDER_PREFIX))
            continue;
        if (!json_is_array(order))
            return err_bad_arg_type(c, "[]interface {}", order);
        const char *field = smp_directive_field(k, SET_ORDER_PREFIX);
        if (field == NULL)
            return smp_fail(c, AZ_EBADREQUEST, "invalid patch format of setElementOrder list");
        json_t *olist = json_object_get(orig, field), *plist = json_object_get(patch, field);
        if (olist != NULL && !json_is_array(olist))
            return err_bad_arg_type(c, "[]interface {}", olist);
        if (plist != NULL && !json_is_array(plist))
            return err_bad_arg_type(c, "[]interface {}", json_is_null(plist) ? NULL : plist);
        const struct schema_node *fs = smp_child(schema, field);
        const char *merge_key = smp_merge_key(fs);
        if (smp_validate_set_order(c, plist, order, merge_key) != 0)
            return smp_code(c);
        json_t *merged;
        if (olist != NULL && plist == NULL)
            merged = json_incref(olist);
        else if (olist == NULL && plist != NULL)
            merged = smp_fresh(c, plist, fs);
        else if (olist != NULL && plist != NULL)
            merged = smp_strategy_has(fs, "merge") ? smp_merge_slice(c, olist, plist, fs, false)
                                                    : json_deep_copy(plist);
        else
            continue;
        if (merged == NULL)
            return smp_code(c);
        int kind = smp_element_kind(c, olist, plist);
        json_t *in = NULL, *rest = NULL, *both = NULL;
        bool maps = kind == JSON_OBJECT;
        if (kind >= 0 && smp_partition(c, merged, order, merge_key, merge_key[0] != '\0', &in, &rest) == 0) {
            json_t *server = olist != NULL ? json_incref(olist) : json_array();
            both = smp_order(c, in, rest, order, server, merge_key, maps);
            json_decref(server);
        }
        json_decref(merged);
        if (both == NULL)
            return smp_code(c);
        json_object_set_new(orig, field, both);
        json_object_set_new(done, field, json_true());
    }
    return 0;
}

/* mergeMap: merges patch into orig (a reference that is stolen; NULL = {}). Returns the merged
 * map (new reference) or NULL on error. */
static json_t *smp_merge_map(struct smp *c, json_t *orig, json_t *patch, const struct schema_node *schema)
{
    json_t *d = json_object_get(patch, DIRECTIVE_MARKER);
    if (d != NULL) {
        json_decref(orig);
        if (json_is_string(d) && strcmp(json_string_value(d), "replace") == 0) {
            json_t *p = json_copy(patch);
            json_object_del(p, DIRECTIVE_MARKER);
            json_t *out = smp_merge_map(c, NULL, p, schema);
            json_decref(p);
            return out;
        }
        if (json_is_string(d) && strcmp(json_string_value(d), "delete") == 0)
            return json_object();
        err_bad_patch_type(c, d, patch);
        return NULL;
    }
    if (orig == NULL)
        orig = json_object();
    json_t *done = json_object();
    if (smp_retain_keys(c, orig, patch) != 0 || smp_set_element_order(c, orig, patch, schema, done) != 0)
        goto fail;

    const char *k;
    json_t *pv;
    json_object_foreach(patch, k, pv) {
        bool is_delete_list = false;
        const char *field = k;
        if (json_object_get(done, k) != NULL || strcmp(k, RETAIN_KEYS) == 0 || has_prefix(k, SET_ORDER_PREFIX))
            continue;
        if (has_prefix(k, DELETE_PRIMITIVE_PREFIX)) {
            field = smp_directive_field(k, DELETE_PRIMITIVE_PREFIX);
            if (field == NULL) {
                smp_fail(c, AZ_EBADREQUEST, "invalid patch format of primitive list");
                goto fail;
            }
            is_delete_list = true;
        } else if (k[0] == '$' && !(schema != NULL && schema->type == SCHEMA_ANY)) {
            smp_fail(c, AZ_EBADREQUEST, "unknown directive \"%s\" in strategic merge patch", k);
            goto fail;
        }
        json_t *ov = json_object_get(orig, field);
        const struct schema_node *fs = smp_child(schema, field);
        json_t *nv;
        if (json_is_null(pv)) {
            json_object_del(orig, field);
            continue;
        }
        if (ov == NULL) {
            if (is_delete_list)
                continue;
            nv = smp_fresh(c, pv, fs);
        } else if (go_kind(ov) != go_kind(pv)) {
            nv = is_delete_list ? json_deep_copy(pv) : smp_fresh(c, pv, fs);
        } else if (json_is_object(ov)) {
            nv = smp_strategy_has(fs, "replace") ? json_deep_copy(pv) : smp_merge_map(c, json_incref(ov), pv, fs);
        } else if (json_is_array(ov)) {
            nv = smp_strategy_has(fs, "merge") ? smp_merge_slice(c, ov, pv, fs, is_delete_list) : json_deep_copy(pv);
        } else {
            nv = json_deep_copy(pv);
        }
        if (nv == NULL)
            goto fail;
        json_object_set_new(orig, field, nv);
    }
    json_decref(done);
    return orig;
fail:
    json_decref(done);
    json_decref(orig);
    return NULL;
}

int smpatch_merge(json_t *doc, json_t *patch, const struct schema_node *schema, char **ret_err)
{
    struct smp c = {0, NULL};
    json_t *out = smp_merge_map(&c, json_incref(doc), patch, schema);
    if (out == NULL) {
        *ret_err = c.err != NULL ? c.err : xstrdup("strategic merge patch failed");
        return c.code != 0 ? c.code : AZ_EINTERNAL;
    }
    if (out != doc) {
        /* $patch replace/delete at the top: the result replaces doc's contents */
        json_object_clear(doc);
        json_object_update(doc, out);
    }
    json_decref(out);
    return 0;
}
