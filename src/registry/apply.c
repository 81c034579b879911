/* apply.c — managedFields of every write and server-side apply; see apply.h. */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/apply.h"
#include "machinery/managedfields.h"
#include "machinery/patch.h"
#include "machinery/schema.h"
#include "machinery/status.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/text.h"
#include "util/util.h"
#include "util/yaml.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

/* ---- entries ------------------------------------------------------------------------------
 * Internally a manager is {"manager","operation","apiVersion","time","subresource","set"}
 * with "set" a canonical field set (managedfields.h). */

static const char *str_or_empty(json_t *o, const char *k)
{
    const char *s = json_str(o, k);
    return s ? s : "";
}

static bool same_identity(json_t *a, json_t *b)
{
    if (strcmp(str_or_empty(a, "manager"), str_or_empty(b, "manager")) != 0 ||
        strcmp(str_or_empty(a, "operation"), str_or_empty(b, "operation")) != 0 ||
        strcmp(str_or_empty(a, "subresource"), str_or_empty(b, "subresource")) != 0)
        return false;
    if (strcmp(str_or_empty(a, "operation"), "Apply") == 0)
        return true;
    return strcmp(str_or_empty(a, "apiVersion"), str_or_empty(b, "apiVersion")) == 0;
}

static json_t *entry_new(const char *manager, const char *op, const char *api_version,
                         const char *subresource)
{
    json_t *e = json_object();
    json_object_set_new(e, "manager", json_string(manager));
    json_object_set_new(e, "operation", json_string(op));
    json_object_set_new(e, "apiVersion", json_string(api_version));
    if (subresource && *subresource)
        json_object_set_new(e, "subresource", json_string(subresource));
    json_object_set_new(e, "set", json_object());
    return e;
}

static json_t *entry_find(json_t *entries, json_t *id)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        if (same_identity(e, id))
            return e;
    }
    return NULL;
}

/* upstream DecodeManagedFields: NULL with *ret_err on an entry it cannot decode. */
static json_t *entries_decode(json_t *mf, char **ret_err)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    if (mf != NULL && !json_is_array(mf) && !json_is_null(mf)) {
        *ret_err = xstrdup("managedFields must be a list");
        json_decref(out);
        return NULL;
    }
    json_array_foreach(mf, i, e) {
        const char *ft = json_str(e, "fieldsType");
        const char *op = json_str(e, "operation");
        if (!json_is_object(e) || ft == NULL || strcmp(ft, "FieldsV1") != 0) {
            *ret_err = xasprintf("error decoding set: unexpected fields type %s", ft ? ft : "");
            json_decref(out);
            return NULL;
        }
        if (op == NULL || (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0)) {
            *ret_err = xstrdup("error decoding manager: invalid operation");
            json_decref(out);
            return NULL;
        }
        json_t *set;
        if (fs_from_fields_v1(json_object_get(e, "fieldsV1") ? json_object_get(e, "fieldsV1") : json_object(),
                              &set, ret_err) < 0) {
            json_decref(out);
            return NULL;
        }
        json_t *d = entry_new(str_or_empty(e, "manager"), op, str_or_empty(e, "apiVersion"),
                              json_str(e, "subresource"));
        const char *t = json_str(e, "time");
        if (t != NULL)
            json_object_set_new(d, "time", json_string(t));
        json_object_set_new(d, "set", set);
        json_t *prev = entry_find(out, d);
        if (prev != NULL) { /* later duplicates win, as in the decoded map */
            json_object_update(prev, d);
            json_decref(d);
        } else {
            json_array_append_new(out, d);
        }
    }
    return out;
}

static int entry_order(const void *x, const void *y)
{
    json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    int c = strcmp(str_or_empty(a, "operation"), str_or_empty(b, "operation"));
    if (c == 0) {
        time_t ta = json_str(a, "time") ? time_parse_rfc3339(json_str(a, "time")) : 0;
        time_t tb = json_str(b, "time") ? time_parse_rfc3339(json_str(b, "time")) : 0;
        c = ta < tb ? -1 : ta > tb;
    }
    if (c == 0)
        c = strcmp(str_or_empty(a, "manager"), str_or_empty(b, "manager"));
    if (c == 0)
        c = strcmp(str_or_empty(a, "apiVersion"), str_or_empty(b, "apiVersion"));
    if (c == 0)
        c = strcmp(str_or_empty(a, "subresource"), str_or_empty(b, "subresource"));
    return c;
}

/* Writes entries (dropping empty ones) into obj's metadata.managedFields. */
static void entries_encode(json_t *entries, json_t *obj)
{
    size_t n = json_array_size(entries), m = 0;
    json_t **v = xmalloc((n + 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(entries, i);
        if (!fs_empty(json_object_get(e, "set")))
            v[m++] = e;
    }
    qsort(v, m, sizeof(*v), entry_order);
    json_t *out = json_array();
    for (size_t i = 0; i < m; i++) {
        json_t *e = v[i], *w = json_object();
        json_object_set(w, "manager", json_object_get(e, "manager"));
        json_object_set(w, "operation", json_object_get(e, "operation"));
        json_object_set(w, "apiVersion", json_object_get(e, "apiVersion"));
        if (json_object_get(e, "time"))
            json_object_set(w, "time", json_object_get(e, "time"));
        json_object_set_new(w, "fieldsType", json_string("FieldsV1"));
        json_object_set_new(w, "fieldsV1", fs_to_fields_v1(json_object_get(e, "set")));
        if (json_object_get(e, "subresource"))
            json_object_set(w, "subresource", json_object_get(e, "subresource"));
        json_array_append_new(out, w);
    }
    free(v);
    json_t *meta = json_obj_ensure(obj, "metadata");
    if (json_array_size(out) == 0) {
        json_decref(out);
        json_object_del(meta, "managedFields");
    } else {
        json_object_set_new(meta, "managedFields", out);
    }
}

static void entry_touch(json_t *e)
{
    char now[32];
    time_rfc3339(clock_wall_s(), now);
    json_object_set_new(e, "time", json_string(now));
}

/* A copy of obj without metadata.managedFields (NULL stays NULL). */
static json_t *without_mf(json_t *obj)
{
    if (obj == NULL)
        return NULL;
    json_t *c = json_deep_copy(obj);
    json_object_del(json_object_get(c, "metadata"), "managedFields");
    return c;
}

/* upstream isResetManagedFields: [] or [{}] */
static bool is_reset(json_t *mf)
{
    if (!json_is_array(mf))
        return false;
    if (json_array_size(mf) == 0)
        return true;
    return json_array_size(mf) == 1 && json_is_object(json_array_get(mf, 0)) &&
           json_object_size(json_array_get(mf, 0)) == 0;
}

static const struct schema_node *kind_schema(const struct resource_def *r)
{
    return r->schema;
}

struct changes {
    json_t *added, *modified, *removed, *changed; /* changed = added ∪ modified */
};

static void changes_compute(struct api_call *c, json_t *live, json_t *newobj, struct changes *ch)
{
    mf_compare(kind_schema(c->res), live, newobj, &ch->added, &ch->modified, &ch->removed);
    mf_filter_reset(ch->added, c->res->has_status, c->subresource);
    mf_filter_reset(ch->modified, c->res->has_status, c->subresource);
    mf_filter_reset(ch->removed, c->res->has_status, c->subresource);
    /* a create modifies nothing of the zero object in most kinds: no union to build */
    ch->changed = fs_empty(ch->modified) ? json_incref(ch->added) : fs_union(ch->added, ch->modified);
}

static void changes_release(struct changes *ch)
{
    json_decref(ch->added);
    json_decref(ch->modified);
    json_decref(ch->removed);
    json_decref(ch->changed);
}

/* e.set -= s */
static void entry_subtract(json_t *e, json_t *s)
{
    json_t *d = fs_difference(json_object_get(e, "set"), s);
    json_object_set_new(e, "set", d);
}

/* ---- Update --------------------------------------------------------------------------------- */

#define MAX_UPDATE_MANAGERS 10 /* upstream DefaultMaxUpdateManagers */

static int updater_order(const void *x, const void *y)
{
    json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    time_t ta = json_str(a, "time") ? time_parse_rfc3339(json_str(a, "time")) : 0;
    time_t tb = json_str(b, "time") ? time_parse_rfc3339(json_str(b, "time")) : 0;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return strcmp(str_or_empty(a, "manager"), str_or_empty(b, "manager"));
}

/* upstream capManagersManager: beyond 10 Update entries, the oldest are merged per
 * apiVersion into an "ancient-changes" entry carrying the newest merged time. */
static void cap_update_managers(json_t *entries)
{
    size_t n = 0, i;
    json_t *e;
    json_t **upd = xmalloc((json_array_size(entries) + 1) * sizeof(*upd));
    json_array_foreach(entries, i, e) {
        if (strcmp(str_or_empty(e, "operation"), "Update") == 0 && !fs_empty(json_object_get(e, "set")))
            upd[n++] = e;
    }
    if (n > MAX_UPDATE_MANAGERS) {
        qsort(upd, n, sizeof(*upd), updater_order);
        json_t *first = json_object(); /* apiVersion -> first entry seen */
        size_t length = n;
        for (i = 0; i < n && length > MAX_UPDATE_MANAGERS; i++) {
            const char *ver = str_or_empty(upd[i], "apiVersion");
            json_t *f = json_object_get(first, ver);
            if (f == NULL) {
                json_object_set(first, ver, upd[i]);
                continue;
            }
            /* the bucket: the existing one, else the first entry of this version renamed */
            json_t *id = entry_new("ancient-changes", "Update", ver, NULL);
            json_t *bucket = entry_find(entries, id);
            json_decref(id);
            if (bucket == NULL) {
                bucket = f;
                json_object_set_new(bucket, "manager", json_string("ancient-changes"));
                json_object_del(bucket, "subresource");
            }
            json_object_set_new(bucket, "set", fs_union(json_object_get(bucket, "set"), json_object_get(upd[i], "set")));
            if (json_object_get(upd[i], "time"))
                json_object_set(bucket, "time", json_object_get(upd[i], "time"));
            json_object_set_new(upd[i], "set", json_object()); /* dropped when encoded */
            length--;
        }
        json_decref(first);
    }
    free(upd);
}

void apply_update_managed_fields(struct api_call *c, json_t *live, json_t *newobj)
{
    json_t *meta = json_obj_ensure(newobj, "metadata");
    json_t *sent = json_object_get(meta, "managedFields");
    json_t *entries = NULL;
    char *err = NULL;
    if (c->subresource == NULL && is_reset(sent)) {
        entries = json_array();
    } else if (c->subresource == NULL && sent != NULL) {
        entries = entries_decode(sent, &err);
        free(err);
        err = NULL;
        if (entries != NULL && json_array_size(entries) == 0) {
            json_decref(entries);
            entries = NULL;
        }
    }
    if (entries == NULL) {
        entries = live ? entries_decode(json_path(live, "metadata.managedFields"), &err) : json_array();
        free(err);
        if (entries == NULL)
            entries = json_array();
    }
    json_object_del(meta, "managedFields");
    json_t *base = live ? without_mf(live) : mf_zero_object(c->res->zero);
    struct changes ch;
    changes_compute(c, base, newobj, &ch);
    if (!fs_empty(ch.changed) || !fs_empty(ch.removed)) {
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
            entry_subtract(e, ch.changed);
            entry_subtract(e, ch.removed);
        }
        json_t *cur = ch.changed; /* not read again: stripped in place */
        ch.changed = NULL;
        mf_strip_meta(cur);
        if (!fs_empty(cur)) {
            json_t *id = entry_new(c->field_manager ? c->field_manager : "unknown", "Update",
                                   resource_api_version(c->res), c->subresource);
            json_t *mine = entry_find(entries, id);
            if (mine == NULL) {
                json_array_append(entries, id);
                mine = id;
            }
            json_t *had = json_object_get(mine, "set");
            /* a new entry's (empty) set becomes cur itself: the union would only copy it */
            json_object_set_new(mine, "set", !fs_empty(had) ? fs_union(had, cur) : json_incref(cur));
            entry_touch(mine);
            json_decref(id);
        }
        json_decref(cur);
    }
    cap_update_managers(entries);
    entries_encode(entries, newobj);
    changes_release(&ch);
    json_decref(base);
    json_decref(entries);
}

/* ---- body ------------------------------------------------------------------------------------ */

/* Appends "\n  line N: key \"k\" already set in map" for every repeated mapping key below n
 * (yaml.v2's strict unmarshal errors). */
static void yaml_duplicates(struct fy_node *n, struct buf *out, int depth)
{
    if (n == NULL || depth > 256)
        return;
    void *it = NULL;
    if (fy_node_is_mapping(n)) {
        json_t *seen = json_object();
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it)) != NULL) {
            struct fy_node *k = fy_node_pair_key(p);
            char *key = k != NULL ? yaml_scalar(k, NULL) : NULL;
            if (key != NULL) {
                if (json_object_get(seen, key) != NULL) {
                    struct fy_token *t = fy_node_get_scalar_token(k);
                    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
                    json_t *q = json_string(key);
                    char *qs = q ? json_dump_go(q, false, NULL) : xstrdup("\"\"\n");
                    qs[strcspn(qs, "\n")] = '\0'; /* Go's %#v of the key: quoted, escaped */
                    buf_printf(out, "\n  line %d: key %s already set in map", m ? m->line + 1 : 0, qs);
                    free(qs);
                    json_decref(q);
                }
                json_object_set_new(seen, key, json_true());
                free(key);
            }
            yaml_duplicates(fy_node_pair_value(p), out, depth + 1);
        }
        json_decref(seen);
    } else if (fy_node_is_sequence(n)) {
        struct fy_node *c;
        while ((c = fy_node_sequence_iterate(n, &it)) != NULL)
            yaml_duplicates(c, out, depth + 1);
    }
}

json_t *apply_decode_body(const char *body, size_t len, char **ret_strict, json_t **ret_status)
{
    *ret_strict = NULL;
    if (len > PATCH_MAX_BYTES) {
        *ret_status = status_too_large();
        return NULL;
    }
    char *err = NULL;
    json_t *v = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    /* libfyaml may loop forever on invalid UTF-8: such a body never reaches it */
    struct fy_document *fyd = utf8_invalid_at(body, len) < len
                                  ? NULL : yaml_document_quiet(body, len, FYPCF_ALLOW_DUPLICATE_KEYS);
    if (fyd != NULL) {
        struct buf dups = BUF_INIT;
        yaml_duplicates(fy_document_root(fyd), &dups, 0);
        if (dups.len > 0)
            *ret_strict = xasprintf("error converting YAML to JSON: yaml: unmarshal errors:%s", dups.data);
        buf_release(&dups);
    }
    if (i < len && body[i] == '{') {
        v = json_parse_go(body, len, &err);
    } else {
        char *js = fyd ? yaml_document_to_json(fyd) : NULL;
        if (js != NULL) {
            v = json_loads(js, JSON_DECODE_ANY, NULL); /* a repeated key: the last one wins */
            free(js);
        }
        if (v == NULL)
            err = xstrdup("yaml: invalid document");
    }
    if (fyd != NULL)
        fy_document_destroy(fyd);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
        free(err);
        err = xstrdup("json: cannot unmarshal into Go value of type map[string]interface {}");
    }
    if (v == NULL) {
        char *msg = xasprintf("error decoding YAML: %s", err ? err : "invalid document");
        *ret_status = status_bad_request(msg);
        free(msg);
        free(*ret_strict);
        *ret_strict = NULL;
    }
    free(err);
    return v;
}

/* ---- conflicts ------------------------------------------------------------------------------ */

/* upstream printManager for a decoded manager entry */
static char *print_manager(json_t *e)
{
    struct buf b = BUF_INIT;
    json_t *q = json_string(str_or_empty(e, "manager"));
    char *qs = json_dump_go(q, false, NULL);
    qs[strcspn(qs, "\n")] = '\0';
    buf_puts(&b, qs);
    free(qs);
    json_decref(q);
    const char *sub = json_str(e, "subresource");
    if (sub && *sub)
        buf_printf(&b, " with subresource \"%s\"", sub);
    if (strcmp(str_or_empty(e, "operation"), "Update") == 0)
        buf_printf(&b, " using %s", str_or_empty(e, "apiVersion"));
    return buf_detach(&b, NULL);
}

/* The upstream 409 Status for conflicts: an array of {"manager": <identity JSON>, "path": str}. */
static json_t *apply_conflict_status(json_t *conflicts)
{
    size_t n = json_array_size(conflicts);
    json_t *causes = json_array();
    struct buf msg = BUF_INIT;
    size_t i;
    json_t *c;
    json_array_foreach(conflicts, i, c) {
        json_t *cause = json_object();
        json_object_set_new(cause, "reason", json_string("FieldManagerConflict"));
        char *pm = print_manager(json_object_get(c, "entry"));
        char *m = xasprintf("conflict with %s", pm);
        json_object_set_new(cause, "message", json_string(m));
        json_object_set(cause, "field", json_object_get(c, "path"));
        json_array_append_new(causes, cause);
        if (n == 1)
            buf_printf(&msg, "Apply failed with 1 conflict: conflict with %s: %s", pm,
                       json_string_value(json_object_get(c, "path")));
        free(m);
        free(pm);
    }
    if (n > 1) {
        /* grouped by manager, managers sorted by their printed identity */
        buf_printf(&msg, "Apply failed with %zu conflicts: ", n);
        json_t *names = json_array();
        json_array_foreach(conflicts, i, c) {
            char *pm = print_manager(json_object_get(c, "entry"));
            bool seen = false;
            size_t j;
            json_t *x;
            json_array_foreach(names, j, x) seen = seen || strcmp(json_string_value(x), pm) == 0;
            if (!seen)
                json_array_append_new(names, json_string(pm));
            free(pm);
        }
        size_t nn = json_array_size(names);
        const char **sorted = xmalloc((nn + 1) * sizeof(*sorted));
        for (size_t k = 0; k < nn; k++)
            sorted[k] = json_string_value(json_array_get(names, k));
        for (size_t a = 1; a < nn; a++)
            for (size_t b = a; b > 0 && strcmp(sorted[b - 1], sorted[b]) > 0; b--) {
                const char *t = sorted[b];
                sorted[b] = sorted[b - 1];
                sorted[b - 1] = t;
            }
        for (size_t k = 0; k < nn; k++) {
            buf_printf(&msg, "%sconflicts with %s:", k ? "\n" : "", sorted[k]);
            json_array_foreach(conflicts, i, c) {
                char *pm = print_manager(json_object_get(c, "entry"));
                if (strcmp(pm, sorted[k]) == 0)
                    buf_printf(&msg, "\n- %s", json_string_value(json_object_get(c, "path")));
                free(pm);
            }
        }
        free(sorted);
        json_decref(names);
    }
    json_t *details = json_object();
    json_object_set_new(details, "causes", causes);
    json_t *st = status_new(AZ_ECONFLICT, msg.data ? msg.data : "", details);
    buf_release(&msg);
    return st;
}

/* ---- Apply ----------------------------------------------------------------------------------- */

/* Removal set of the prune: members of gone (last applied, not applied now) nobody keeps.
 * Named fields count as members (upstream EnsureNamedFieldsAreMembers). */
static void prune_set(json_t *gone, json_t *keep, json_t *out, int depth)
{
    const char *k;
    json_t *v;
    json_object_foreach(gone, k, v) {
        if (strcmp(k, ".") == 0)
            continue;
        if (depth == 0 && (strcmp(k, "f:metadata") == 0 || strcmp(k, "f:apiVersion") == 0 ||
                           strcmp(k, "f:kind") == 0)) {
            if (strcmp(k, "f:metadata") == 0) {
                json_t *sub = json_object();
                prune_set(v, keep ? json_object_get(keep, k) : NULL, sub, depth + 1);
                if (json_object_size(sub) > 0)
                    json_object_set_new(out, k, sub);
                else
                    json_decref(sub);
            }
            continue;
        }
        json_t *kc = keep ? json_object_get(keep, k) : NULL;
        bool is_member = json_object_get(v, ".") != NULL || k[0] == 'f';
        if (is_member && fs_empty(kc)) {
            json_object_set_new(out, k, json_pack("{s:{}}", "."));
            continue;
        }
        json_t *sub = json_object();
        prune_set(v, kc, sub, depth + 1);
        if (json_object_size(sub) > 0)
            json_object_set_new(out, k, sub);
        else
            json_decref(sub);
    }
}

/* Field set of the live object's last-applied-configuration (NULL if none or unparsable). */
static json_t *last_applied_set(struct api_call *c, json_t *live)
{
    json_t *ann = json_path(live, "metadata.annotations");
    const char *la = json_str(ann, LAST_APPLIED);
    if (la == NULL || *la == '\0')
        return NULL;
    json_t *obj = json_loads(la, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    json_t *s = mf_to_field_set(kind_schema(c->res), obj);
    json_decref(obj);
    return s;
}

static json_t *sorted_copy(json_t *v)
{
    if (json_is_object(v)) {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xmalloc((n + 1) * sizeof(*keys));
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) keys[i++] = k;
        for (size_t a = 1; a < n; a++)
            for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
                const char *t = keys[b];
                keys[b] = keys[b - 1];
                keys[b - 1] = t;
            }
        json_t *out = json_object();
        for (size_t a = 0; a < n; a++)
            json_object_set_new(out, keys[a], sorted_copy(json_object_get(v, keys[a])));
        free(keys);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(out, sorted_copy(x));
        return out;
    }
    return json_deep_copy(v);
}

/* upstream buildLastApplied: the applied configuration without the annotation itself, as
 * encoding/json writes a map (sorted keys, trailing newline). */
static char *build_last_applied(json_t *config)
{
    json_t *copy = sorted_copy(config);
    json_t *ann = json_path(copy, "metadata.annotations");
    if (json_is_object(ann))
        json_object_del(ann, LAST_APPLIED);
    char *s = json_dump_go(copy, false, NULL);
    json_decref(copy);
    return s;
}

/* The conflicts of the change set against every entry but the applier's: a JSON array of
 * {"entry": <entry>, "path": <string>, "set": <entry's conflicting set>}; entries in order. */
static json_t *find_conflicts(json_t *entries, json_t *applier, json_t *changed, json_t *allowed)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        if (same_identity(e, applier))
            continue;
        json_t *cs = fs_intersection(json_object_get(e, "set"), changed);
        if (allowed != NULL) {
            json_t *d = fs_difference(cs, allowed);
            json_decref(cs);
            cs = d;
        }
        if (!fs_empty(cs)) {
            json_t *paths = json_array();
            fs_paths(cs, paths);
            size_t j;
            json_t *p;
            json_array_foreach(paths, j, p) {
                json_t *c = json_object();
                json_object_set(c, "entry", e);
                json_object_set(c, "path", p);
                json_array_append_new(out, c);
            }
            json_decref(paths);
        }
        json_decref(cs);
    }
    return out;
}

int apply_merge(struct api_call *c, json_t *live, json_t *config, bool force, json_t **ret_obj,
                json_t **ret_status)
{
    const struct resource_def *r = c->res;
    const struct schema_node *sch = kind_schema(r);
    const char *gv = resource_api_version(r);
    const char *pav = json_str(config, "apiVersion");
    if (pav == NULL || strcmp(pav, gv) != 0) {
        char *msg = xasprintf("Incorrect version specified in apply patch. Specified patch version: %s, expected: %s",
                              pav ? pav : "", gv);
        *ret_status = status_bad_request(msg);
        free(msg);
        return AZ_EBADREQUEST;
    }
    json_t *cmf = json_path(config, "metadata.managedFields");
    if (cmf != NULL && !json_is_null(cmf)) {
        *ret_status = status_bad_request("metadata.managedFields must be nil");
        return AZ_EBADREQUEST;
    }
    char *err = NULL;
    json_t *unknown = json_array();
    if (schema_find_unknown_fields(sch, config, unknown) > 0) {
        /* typed conversion of the patch refuses undeclared fields, whatever fieldValidation */
        const char *u = json_string_value(json_array_get(unknown, 0)), *q = strchr(u, '"');
        char *dotted = xstrndup(q ? q + 1 : "", q ? strcspn(q + 1, "\"") : 0);
        char *path = mf_path_string(sch, config, dotted);
        err = xasprintf("%s: field not declared in schema", path);
        free(path);
        free(dotted);
    }
    json_decref(unknown);
    if (err != NULL || mf_check(sch, config, &err) < 0) {
        /* upstream objectGVKNN: the patch's namespace/name; GroupVersionKind.String() */
        const char *kind = json_str(config, "kind");
        char *msg = xasprintf("failed to create typed patch object (%s/%s; %s%s, Kind=%s): %s",
                              str_or_empty(json_object_get(config, "metadata"), "namespace"),
                              str_or_empty(json_object_get(config, "metadata"), "name"),
                              strchr(gv, '/') ? "" : "/", gv, kind ? kind : "", err);
        *ret_status = status_internal(msg);
        free(msg);
        free(err);
        return AZ_EINTERNAL;
    }
    err = NULL;
    json_t *entries = live ? entries_decode(json_path(live, "metadata.managedFields"), &err) : json_array();
    if (entries == NULL) {
        char *msg = xasprintf("failed to decode managed fields: %s", err);
        *ret_status = status_internal(msg);
        free(msg);
        free(err);
        return AZ_EINTERNAL;
    }
    json_t *base = live ? without_mf(live) : mf_zero_object(r->zero);
    json_t *merged = mf_merge(sch, base, config, &err);
    if (merged == NULL) {
        *ret_status = status_internal(err);
        free(err);
        json_decref(base);
        json_decref(entries);
        return AZ_EINTERNAL;
    }
    json_t *set = mf_to_field_set(sch, config);
    mf_filter_reset(set, r->has_status, c->subresource);
    json_t *id = entry_new(c->field_manager, "Apply", gv, c->subresource);
    json_t *mine = entry_find(entries, id);
    /* prune what this manager applied last time and no longer applies */
    if (mine != NULL && !fs_empty(json_object_get(mine, "set"))) {
        json_t *gone = fs_difference(json_object_get(mine, "set"), set);
        json_t *keep = json_deep_copy(set);
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e) {
            if (e == mine)
                continue;
            json_t *u = fs_union(keep, json_object_get(e, "set"));
            json_decref(keep);
            keep = u;
        }
        json_t *rm = json_object();
        prune_set(gone, keep, rm, 0);
        mf_remove_items(sch, merged, rm);
        json_decref(rm);
        json_decref(gone);
        json_decref(keep);
    }
    struct changes ch;
    changes_compute(c, base, merged, &ch);
    json_t *conflicts = find_conflicts(entries, id, ch.changed, NULL);
    if (json_array_size(conflicts) > 0 && !force && strcmp(c->field_manager, "kubectl") == 0) {
        /* client-side apply upgrade: conflicts the last-applied configuration allows are forced */
        json_t *allowed = live ? last_applied_set(c, live) : NULL;
        if (allowed != NULL) {
            json_decref(conflicts);
            conflicts = find_conflicts(entries, id, ch.changed, allowed);
            if (json_array_size(conflicts) == 0)
                force = true;
            json_decref(allowed);
        }
    }
    if (json_array_size(conflicts) > 0 && !force) {
        *ret_status = apply_conflict_status(conflicts);
        json_decref(conflicts);
        changes_release(&ch);
        json_decref(set);
        json_decref(id);
        json_decref(merged);
        json_decref(base);
        json_decref(entries);
        return AZ_ECONFLICT;
    }
    json_decref(conflicts);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        if (e == mine)
            continue;
        entry_subtract(e, ch.changed);
        entry_subtract(e, ch.removed);
    }
    if (mine == NULL) {
        json_array_append(entries, id);
        mine = id;
    }
    mf_strip_meta(set);
    json_object_set(mine, "set", set);
    bool noop = json_equal(base, merged);
    if (!noop || json_object_get(mine, "time") == NULL)
        entry_touch(mine);
    /* kubectl keeps the client-side apply annotation in step with what it applies */
    json_t *ann = json_path(merged, "metadata.annotations");
    if (strcmp(c->field_manager, "kubectl") == 0 && json_str(ann, LAST_APPLIED) != NULL) {
        char *la = build_last_applied(config);
        json_object_set_new(ann, LAST_APPLIED, json_string(la));
        free(la);
    }
    entries_encode(entries, merged);
    changes_release(&ch);
    json_decref(set);
    json_decref(id);
    json_decref(base);
    json_decref(entries);
    *ret_obj = merged;
    return 0;
}
