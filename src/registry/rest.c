/* rest.c — generic REST operations on stored resources; see rest.h.
 *
 * Stored form: the object's JSON without metadata.resourceVersion (the store's mod_rev is the
 * resourceVersion, set on every read). Keys: resource_key() = /registry/<plural>/[<ns>/]<name>.
 *
 * Write path of create/update/patch: decode → type checks → unknown-field check →
 * strategy (server-set metadata, status handling, generation) → defaults → validation →
 * admission → store (compare-and-swap on the read revision) → response with resourceVersion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/events_v1.h"
#include "registry/admission.h"
#include "registry/apply.h"
#include "machinery/managedfields.h"
#include "machinery/patch.h"
#include "registry/rest.h"
#include "machinery/schema.h"
#include "machinery/selector.h"
#include "machinery/status.h"
#include "machinery/typecheck.h"
#include "machinery/table.h"
#include "machinery/validate.h"
#include "machinery/itembytes.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/jsonfast.h"
#include "util/util.h"

#define LIST_PAGE 500
#define MAX_LIST_LIMIT 100000

void api_call_warn(struct api_call *c, const char *text)
{
    if (c->warnings != NULL)
        json_array_append_new(c->warnings, json_string(text));
}

static json_t *meta_of(json_t *obj)
{
    return json_obj_ensure(obj, "metadata");
}

static void set_rv(json_t *obj, int64_t rev)
{
    char s[32];
    snprintf(s, sizeof(s), "%lld", (long long)rev);
    json_object_set_new(meta_of(obj), "resourceVersion", json_string(s));
}

/* Decimal resourceVersion: 0 for "" and NULL, -1 if not a number; a number too large for
 * int64 gives INT64_MAX (newer than any revision). */
static int64_t parse_rv(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v < 0)
        return -1;
    return v;
}

static json_t *decode_kv(const struct store_kv *kv)
{
    json_t *obj = jsonfast_load_stored(kv->value, kv->len);
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    set_rv(obj, kv->mod_rev);
    return obj;
}

json_t *rest_read_key(struct apiserver *srv, const char *key)
{
    struct store_kv kv;
    if (store_get(srv->store, key, &kv) != 0)
        return NULL;
    json_t *obj = decode_kv(&kv);
    store_kv_release(&kv);
    return obj;
}

/* Decodes a cache item as decode_kv does. */
static json_t *decode_item(const struct wc_item *it)
{
    struct store_kv kv = {.key = (char *)it->key, .value = (char *)it->value, .len = it->len,
                          .create_rev = it->create_rev, .mod_rev = it->mod_rev};
    return decode_kv(&kv);
}

json_t *rest_read_cached(struct apiserver *srv, const char *key)
{
    struct wc_item it;
    int rc = srv->wc != NULL ? watchcache_get(srv->wc, key, &it, NULL) : AZ_EUNAVAILABLE;
    if (rc == AZ_ENOTFOUND)
        return NULL;
    if (rc != 0)
        return rest_read_key(srv, key);
    json_t *obj = decode_item(&it);
    watchcache_item_release(&it);
    return obj;
}

/* Serialises obj for storage: compact JSON without resourceVersion. */
static char *encode_for_store(json_t *obj, size_t *ret_len)
{
    json_t *m = json_object_get(obj, "metadata");
    json_t *rv = json_object_get(m, "resourceVersion");
    if (rv != NULL)
        json_incref(rv);
    json_object_del(m, "resourceVersion");
    char *s = json_dumps_compact(obj, ret_len);
    if (rv != NULL)
        json_object_set_new(m, "resourceVersion", rv);
    return s;
}

static json_t *not_found(struct api_call *c)
{
    return status_not_found(c->res->group, c->res->plural, c->name);
}

static json_t *internal_error(const char *what, int code)
{
    /* storage unreachable (etcd without quorum): upstream's request-timeout Status */
    if (code == AZ_ETIMEOUT)
        return status_new(AZ_ETIMEOUT, "Timeout: request did not complete within requested timeout - context deadline exceeded", json_object());
    char *msg = xasprintf("%s: %s", what, az_err_str(code));
    json_t *s = status_internal(msg);
    free(msg);
    return s;
}

/* ---- managedFields ------------------------------------------------------------------ */

json_t *rest_fields_v1(const struct resource_def *r, json_t *obj)
{
    const struct schema_node *root = r->schema;
    json_t *zero = mf_zero_object(r->zero);
    json_t *copy = json_deep_copy(obj);
    json_object_del(json_object_get(copy, "metadata"), "managedFields");
    json_t *added, *modified, *removed;
    mf_compare(root, zero, copy, &added, &modified, &removed);
    json_t *set = fs_union(added, modified);
    mf_strip_meta(set);
    mf_filter_reset(set, r->has_status, NULL);
    json_t *out = fs_to_fields_v1(set);
    json_decref(set);
    json_decref(added);
    json_decref(modified);
    json_decref(removed);
    json_decref(copy);
    json_decref(zero);
    return out;
}

/* ---- type checks -------------------------------------------------------------------- */

virtual_create_fn apiserver_virtual_handler(const struct apiserver *srv,
                                            const struct resource_def *r, const char *sub)
{
    if (srv == NULL || r == NULL)
        return NULL;
    for (size_t i = 0; i < srv->nvirtual_handlers; i++) {
        const struct virtual_handler *h = &srv->virtual_handlers[i];
        if (strcmp(h->group, r->group) == 0 && strcmp(h->resource, r->plural) == 0 &&
            (h->subresource == NULL ? sub == NULL : sub != NULL && strcmp(h->subresource, sub) == 0))
            return h->create;
    }
    return NULL;
}

static int check_type(struct api_call *c, json_t *obj, json_t **ret_status)
{
    const struct resource_def *r = c->res;
    const char *kind = r->kind, *gv = resource_api_version(r);
    if (c->subresource) {
        const struct subresource_def *sd = resource_subresource(r, c->subresource);
        if (sd && strcmp(sd->kind, r->kind) != 0)
            kind = sd->kind;
        if (sd && sd->group) {
            static char buf[128];
            snprintf(buf, sizeof(buf), "%s/%s", sd->group, sd->version);
            gv = buf;
        }
    }
    if (!json_is_object(obj)) {
        *ret_status = status_bad_request("the body of the request must be a JSON object");
        return AZ_EBADREQUEST;
    }
    const char *av = json_str(obj, "apiVersion"), *k = json_str(obj, "kind");
    if (av != NULL && *av && strcmp(av, gv) != 0) {
        char *msg = xasprintf("the API version in the data (%s) does not match the expected API version (%s)", av, gv);
        *ret_status = status_bad_request(msg);
        free(msg);
        return AZ_EBADREQUEST;
    }
    if (k != NULL && *k && strcmp(k, kind) != 0) {
        /* upstream decodes into the endpoint's type and fails converting between kinds */
        const char *ver = av && *av ? (strchr(av, '/') ? strchr(av, '/') + 1 : av) : r->version;
        const char *g = c->subresource ? NULL : r->group;
        const struct subresource_def *sd = c->subresource ? resource_subresource(r, c->subresource) : NULL;
        if (sd != NULL)
            g = sd->group ? sd->group : r->group;
        const char *pkg = g == NULL || *g == '\0' ? "core" : g;
        char pkgbuf[64];
        const char *dot = strchr(pkg, '.');
        if (dot != NULL && (size_t)(dot - pkg) < sizeof(pkgbuf)) {
            memcpy(pkgbuf, pkg, (size_t)(dot - pkg));
            pkgbuf[dot - pkg] = '\0';
            pkg = pkgbuf; /* rbac.authorization.k8s.io -> rbac */
        }
        char *msg = xasprintf("%s in version \"%s\" cannot be handled as a %s: converting (%s.%s) to (%s.%s): unknown conversion",
                              k, ver, kind, ver, k, pkg, kind);
        *ret_status = status_bad_request(msg);
        free(msg);
        return AZ_EBADREQUEST;
    }
    /* Rebuild with kind and apiVersion first, as Go's TypeMeta would serialise. */
    json_t *head = json_object();
    json_object_set_new(head, "kind", json_string(kind));
    json_object_set_new(head, "apiVersion", json_string(gv));
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, v) {
        if (strcmp(key, "kind") != 0 && strcmp(key, "apiVersion") != 0)
            json_object_set(head, key, v);
    }
    json_object_clear(obj);
    json_object_update(obj, head);
    json_decref(head);
    if (!json_is_object(json_object_get(obj, "metadata")))
        json_object_set_new(obj, "metadata", json_object());
    return 0;
}

/* The typed decoding of a POST/PUT body (typecheck.h): 400 with the decoder's text. */
static int check_decodes(struct api_call *c, json_t *obj, json_t **ret_status)
{
    if (c->subresource != NULL && strcmp(c->subresource, "status") != 0)
        return 0;
    const struct schema_node *root = c->res->schema;
    char *err = typecheck_object(root, c->res->kind, obj, TYPECHECK_JSON);
    if (err == NULL)
        return 0;
    char *msg = xasprintf("%s in version \"%s\" cannot be handled as a %s: %s", c->res->kind,
                          c->res->version, c->res->kind, err);
    *ret_status = status_bad_request(msg);
    free(msg);
    free(err);
    return AZ_EBADREQUEST;
}

/* A deep copy with object keys in sorted order, as Go marshals the map[string]interface{}
 * the JSON and merge patch libraries work on. */
static json_t *sorted_copy(json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) json_array_append_new(a, sorted_copy(it));
        return a;
    }
    if (!json_is_object(v))
        return json_incref(v);
    size_t n;
    const char **keys = json_sorted_keys(v, &n);
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, keys[i], sorted_copy(json_object_get(v, keys[i])));
    free(keys);
    return o;
}

/* The typed decoding of a patched object: upstream's patch handler answers 422 with the
 * patch as the invalid value (a strategic merge patch as Go's %+v of the patch map, JSON and
 * merge patches as the patched object's JSON) and the decoder's (converter's) text. */
static int check_patched_decodes(struct api_call *c, int patch_type, const char *body, size_t len,
                                 json_t *patched, json_t **ret_status)
{
    if (c->subresource != NULL && strcmp(c->subresource, "status") != 0)
        return 0;
    const struct schema_node *root = c->res->schema;
    bool smp = patch_type == PATCH_TYPE_STRATEGIC;
    char *err = typecheck_object(root, c->res->kind, patched,
                                 smp ? TYPECHECK_UNSTRUCTURED : TYPECHECK_JSON);
    if (err == NULL)
        return 0;
    char *shown;
    if (smp) {
        json_t *pm = json_loadb(body, len, JSON_DECODE_ANY, NULL);
        shown = typecheck_go_format(pm ? pm : json_null());
        json_decref(pm);
    } else {
        size_t n;
        json_t *sorted = sorted_copy(patched);
        shown = json_dump_go(sorted, false, &n);
        json_decref(sorted);
        if (n > 0 && shown[n - 1] == '\n')
            shown[n - 1] = '\0';
    }
    struct field_errors fe;
    field_errors_init(&fe);
    json_t *v = json_string(shown);
    field_errors_add(&fe, FIELD_INVALID, "patch", v, err);
    json_decref(v);
    *ret_status = status_invalid("", "", "", &fe);
    field_errors_release(&fe);
    free(shown);
    free(err);
    return AZ_EINVALID;
}

static int check_unknown_fields(struct api_call *c, json_t *obj, json_t **ret_status)
{
    const struct schema_node *root = c->res->schema;
    if (root == NULL)
        return 0;
    json_t *msgs = json_array();
    /* Unknown fields never reach storage: Strict refuses them, Warn and Ignore drop them. */
    int n = c->validation == FIELD_VALIDATION_STRICT ? schema_find_unknown_fields(root, obj, msgs)
                                                     : schema_prune_unknown_fields(root, obj, msgs);
    if (c->validation == FIELD_VALIDATION_IGNORE)
        n = 0;
    int rc = 0;
    if (n > 0 && c->validation == FIELD_VALIDATION_STRICT) {
        struct buf b = BUF_INIT;
        buf_printf(&b, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ",
                   c->res->kind, c->res->version, c->res->kind);
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m) {
            if (i)
                buf_puts(&b, ", ");
            buf_puts(&b, json_string_value(m));
        }
        *ret_status = status_bad_request(b.data);
        buf_release(&b);
        rc = AZ_EBADREQUEST;
    } else if (n > 0) {
        size_t i;
        json_t *m;
        json_array_foreach(msgs, i, m)
            api_call_warn(c, json_string_value(m));
    }
    json_decref(msgs);
    return rc;
}

int rest_check_namespace(struct api_call *c, json_t *obj, json_t **ret_status)
{
    json_t *m = meta_of(obj);
    const char *ons = json_str(m, "namespace");
    if (!c->res->namespaced) {
        json_object_del(m, "namespace");
        return 0;
    }
    if (c->ns == NULL || *c->ns == '\0') {
        *ret_status = status_bad_request("namespace is required");
        return AZ_EBADREQUEST;
    }
    if (ons != NULL && *ons && strcmp(ons, c->ns) != 0) {
        *ret_status = status_bad_request("the namespace of the provided object does not match the namespace sent on the request");
        return AZ_EBADREQUEST;
    }
    /* c->ns may point into obj itself: only write when absent */
    if (ons == NULL || *ons == '\0')
        json_object_set_new(m, "namespace", json_string(c->ns));
    return 0;
}

/* Whether the stored bytes of a namespace carry metadata.deletionTimestamp: 1, 0, or -1 when
 * they are not an object (decoded then by the caller). */
static int namespace_terminating(const char *v, size_t len)
{
    const char *md, *dt;
    size_t mdl, dtl;
    /* stored bytes are a compact dump whose keys are never escaped: an object without the
     * member's literal anywhere has no deletionTimestamp (one memmem, not two scans) */
    static const char dts[] = "\"deletionTimestamp\":";
    if (len >= 2 && v[0] == '{' && v[len - 1] == '}' && memmem(v, len, dts, sizeof(dts) - 1) == NULL)
        return 0;
    int rc = itembytes_member(v, len, "\"metadata\":", &md, &mdl);
    if (rc <= 0)
        return rc;
    return itembytes_member(md, mdl, "\"deletionTimestamp\":", &dt, &dtl);
}

/* Namespace must exist and not be terminating for new content (NamespaceLifecycle). As
 * upstream's plugin, from the cache (here the object cache, which has every acknowledged
 * write), with a live lookup when the cache does not have it. */
static int check_namespace_open(struct api_call *c, json_t **ret_status)
{
    if (!c->res->namespaced)
        return 0;
    char *key = xasprintf("/registry/namespaces/%s", c->ns);
    struct wc_item it;
    int term = -1;
    if (c->srv->wc != NULL && watchcache_get(c->srv->wc, key, &it, NULL) == 0) {
        term = namespace_terminating(it.value, it.len);
        watchcache_item_release(&it);
    }
    json_t *ns = NULL;
    if (term < 0) {
        struct store_kv kv;
        int grc = store_get(c->srv->store, key, &kv);
        if (grc < 0 && grc != AZ_ENOTFOUND) { /* storage down: its Status, not a false 404 */
            free(key);
            *ret_status = internal_error("get", grc);
            return grc;
        }
        ns = grc == 0 ? decode_kv(&kv) : NULL;
        if (grc == 0)
            store_kv_release(&kv);
    }
    free(key);
    if (term < 0 && ns == NULL) {
        *ret_status = status_not_found("", "namespaces", c->ns);
        return AZ_ENOTFOUND;
    }
    if (term < 0)
        term = json_path(ns, "metadata.deletionTimestamp") != NULL;
    json_decref(ns);
    if (term > 0) {
        char *err = xasprintf("unable to create new content in namespace %s because it is being terminated", c->ns);
        *ret_status = status_forbidden(c->res->group, c->res->plural, c->name, err);
        free(err);
        return AZ_EFORBIDDEN;
    }
    return 0;
}

static int validate(struct api_call *c, json_t *obj, json_t *old, json_t **ret_status)
{
    struct field_errors fe;
    field_errors_init(&fe);
    /* The in-process scheduler binds a pod by setting spec.nodeName, as upstream's
     * pods/binding does; clients cannot (Pod update rules). */
    json_t *bound = NULL;
    const char *onn = json_path_str(old, "spec.nodeName"), *nnn = json_path_str(obj, "spec.nodeName");
    if (c->internal && old && (c->res->flags & RES_SCHEDULER_BINDS) &&
        (onn == NULL || *onn == '\0') && nnn != NULL && *nnn != '\0') {
        bound = json_deep_copy(old);
        json_object_set_new(json_obj_ensure(bound, "spec"), "nodeName", json_string(nnn));
        old = bound;
    }
    const struct subresource_def *vsd = c->subresource ? resource_subresource(c->res, c->subresource) : NULL;
    if (vsd != NULL && vsd->validate != NULL && old != NULL)
        vsd->validate(obj, old, &fe); /* e.g. pods/ephemeralcontainers: replaces the kind's */
    else
        resource_validate(c->res, obj, old, &fe);
    json_decref(bound);
    int rc = 0;
    if (fe.n > 0) {
        *ret_status = status_invalid(c->res->group, c->res->kind, json_path_str(obj, "metadata.name"), &fe);
        rc = AZ_EINVALID;
    }
    field_errors_release(&fe);
    return rc;
}

/* Create preparation (upstream registry strategies' PrepareForCreate): the status of a kind
 * with a status subresource starts empty, then the row's own preparation. */
static void strategy_prepare_create(struct api_call *c, json_t *obj)
{
    const struct resource_def *r = c->res;
    if (r->has_status && !(r->flags & RES_CREATE_KEEPS_STATUS))
        json_object_set_new(obj, "status", json_object());
    resource_prepare_create(r, obj);
}

/* ---- get / list --------------------------------------------------------------------- */


/* A consistent read from the object cache: store_sync() first (unless the HTTP layer ran the
 * barrier before resuming the request: c->read_barrier), so that every write acknowledged
 * before the request is in it (upstream 1.31+ consistent reads from cache). 0 when the cache
 * answers; AZ_EUNAVAILABLE when the caller must read the store (no cache, or not loaded);
 * AZ_ETIMEOUT when the storage did not confirm in time. */
static int cache_sync(const struct api_call *c)
{
    if (c->srv->wc == NULL)
        return AZ_EUNAVAILABLE;
    if (c->read_barrier == 1)
        return 0;
    if (c->read_barrier < 0)
        return c->read_barrier;
    return store_sync(c->srv->store);
}

/* A request's resourceVersion as a revision, or AZ_EBADREQUEST with upstream's 400 Status. */
static int request_rv(const char *rvs, int64_t *ret_rv, json_t **ret_status)
{
    int64_t rv = parse_rv(rvs);
    if (rv < 0) {
        char *msg = xasprintf("invalid resource version \"%s\"", rvs);
        *ret_status = status_new(AZ_EBADREQUEST, msg, NULL);
        free(msg);
        return AZ_EBADREQUEST;
    }
    *ret_rv = rv;
    return 0;
}

/* The barrier a get needs: none for resourceVersion "0" or a revision the cache has
 * reached; the consistent-read barrier for none; for a newer revision, the barrier and then
 * 504 "Too large resource version" if the cache is still behind it (upstream's watch cache
 * waits for it to arrive, then answers that). ret_status set on an error. */
static int get_sync(const struct api_call *c, json_t **ret_status)
{
    const char *rvs = c->resource_version;
    if (rvs == NULL || *rvs == '\0')
        return cache_sync(c);
    int64_t rv;
    if (request_rv(rvs, &rv, ret_status) != 0)
        return AZ_EBADREQUEST;
    if (c->srv->wc == NULL)
        return AZ_EUNAVAILABLE;
    if (rv == 0 || watchcache_rev(c->srv->wc) >= rv)
        return 0;
    int rc = cache_sync(c);
    if (rc == 0 && watchcache_rev(c->srv->wc) < rv) {
        *ret_status = status_too_large_resource_version(rvs, watchcache_rev(c->srv->wc));
        return AZ_ETIMEOUT;
    }
    return rc;
}

int rest_get_item(struct api_call *c, struct wc_item *ret_it, json_t **ret_status)
{
    json_t *sync_status = NULL;
    int rc = get_sync(c, &sync_status);
    if (sync_status != NULL) {
        *ret_status = sync_status;
        return rc;
    }
    if (rc == 0) {
        char *key = resource_key(c->res, c->ns, c->name);
        rc = watchcache_get(c->srv->wc, key, ret_it, NULL);
        free(key);
    }
    if (rc == 0 || rc == AZ_EUNAVAILABLE) /* no cache, or not loaded: the store answers */
        return rc;
    /* a storage fault is a 500 (504 on timeout), never a 404 */
    *ret_status = rc == AZ_ENOTFOUND ? not_found(c) : internal_error("get", rc);
    return rc;
}

int rest_get(struct api_call *c, json_t **ret_obj, json_t **ret_status)
{
    json_t *obj = NULL;
    struct wc_item it;
    int rc = rest_get_item(c, &it, ret_status);
    if (rc == 0) {
        obj = decode_item(&it);
        watchcache_item_release(&it);
    } else if (rc == AZ_EUNAVAILABLE) {
        char *key = resource_key(c->res, c->ns, c->name);
        struct store_kv kv;
        if ((rc = store_get(c->srv->store, key, &kv)) == 0) {
            obj = decode_kv(&kv);
            store_kv_release(&kv);
        }
        free(key);
        if (rc != 0 && rc != AZ_ENOTFOUND) {
            *ret_status = internal_error("get", rc);
            return rc;
        }
    } else {
        return rc;
    }
    if (obj == NULL) {
        *ret_status = not_found(c);
        return AZ_ENOTFOUND;
    }
    *ret_obj = obj;
    return 0;
}

int rest_parse_selectors(const struct resource_def *r, const struct list_opts *o,
                         struct label_selector **ret_ls, struct field_selector **ret_fs,
                         json_t **ret_status)
{
    *ret_ls = NULL;
    *ret_fs = NULL;
    char *err = NULL;
    if (o->label_selector && *o->label_selector &&
        label_selector_parse(o->label_selector, ret_ls, &err) != 0) {
        *ret_status = status_bad_request(err ? err : "invalid label selector");
        free(err);
        return AZ_EBADREQUEST;
    }
    if (o->field_selector && *o->field_selector) {
        if (field_selector_parse(o->field_selector, ret_fs, &err) != 0 ||
            field_selector_check_supported(*ret_fs, r->fields, &err) != 0) {
            *ret_status = status_bad_request(err ? err : "invalid field selector");
            free(err);
            label_selector_free(*ret_ls);
            field_selector_free(*ret_fs);
            *ret_ls = NULL;
            *ret_fs = NULL;
            return AZ_EBADREQUEST;
        }
    }
    return 0;
}

bool rest_object_matches(json_t *obj, const char *ns, const struct label_selector *ls,
                         const struct field_selector *fs)
{
    if (ns != NULL && *ns) {
        const char *ons = json_path_str(obj, "metadata.namespace");
        if (ons == NULL || strcmp(ons, ns) != 0)
            return false;
    }
    if (ls != NULL && !label_selector_matches(ls, json_path(obj, "metadata.labels")))
        return false;
    if (fs != NULL) {
        const struct resource_def *r = resource_of_object(obj);
        if (!field_selector_matches(fs, r != NULL ? r->fields : NULL, obj))
            return false;
    }
    return true;
}

/* Upstream's continue token: base64 (URL alphabet, padded) of
 * {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<key after the prefix>\u0000"}. */
static char *continue_encode(int64_t rev, const char *start_rel)
{
    struct buf start = BUF_INIT;
    buf_puts(&start, start_rel);
    buf_append(&start, "\0", 1);
    json_t *t = json_object();
    json_object_set_new(t, "v", json_string("meta.k8s.io/v1"));
    json_object_set_new(t, "rv", json_integer(rev));
    json_object_set_new(t, "start", json_stringn(start.data, start.len));
    char *js = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *out = base64_encode(js, strlen(js));
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    free(js);
    buf_release(&start);
    json_decref(t);
    return out;
}

static int continue_decode(const char *tok, int64_t *ret_rev, char **ret_start)
{
    size_t n;
    unsigned char *raw = base64_decode(tok, strlen(tok), &n);
    if (raw == NULL)
        return AZ_EBADREQUEST;
    json_t *t = json_loadb((char *)raw, n, JSON_ALLOW_NUL, NULL);
    free(raw);
    const char *v = json_str(t, "v");
    json_t *rv = json_object_get(t, "rv");
    json_t *st = json_object_get(t, "start");
    if (v == NULL || strcmp(v, "meta.k8s.io/v1") != 0 || !json_is_integer(rv) || !json_is_string(st)) {
        json_decref(t);
        return AZ_EBADREQUEST;
    }
    *ret_rev = json_integer_value(rv);
    size_t sl = json_string_length(st);
    const char *sv = json_string_value(st);
    if (sl > 0 && sv[sl - 1] == '\0')
        sl--;
    *ret_start = xstrndup(sv, sl);
    json_decref(t);
    if (strstr(*ret_start, "..") != NULL || (*ret_start)[0] == '/') {
        free(*ret_start);
        return AZ_EBADREQUEST;
    }
    return 0;
}

/* ---- list items composed from the stored bytes (api/itembytes.h) ------------------- */

/* Pre-parsed filter data of every object in the object cache (watchcache_attrs_fn): the
 * selector attributes (machinery/selector.h) with the field labels of the object's row, and
 * the value of the row's cache_index (pods by spec.nodeName). */
int rest_cache_attrs(const char *key, const char *value, size_t len, struct buf *attrs,
                     struct buf *index, json_t **tree)
{
    (void)key;
    json_t *obj = jsonfast_load_stored(value, len);
    if (obj == NULL)
        return 0;
    int indexed = 0;
    size_t mark = attrs->len;
    const struct resource_def *r = resource_of_object(obj);
    const struct field_labels *k = r != NULL ? r->fields : NULL;
    if (selector_attrs_build(k, obj, attrs) == 0 && r != NULL && r->cache_index != NULL) {
        const char *v = selector_attrs_field(k, attrs->data + mark, attrs->len - mark, r->cache_index);
        if (v != NULL) {
            buf_puts(index, v);
            indexed = 1;
        }
    }
    if (tree != NULL)
        *tree = obj; /* the cache decodes with the same function: the delivery reuses it */
    else
        json_decref(obj);
    return indexed;
}

/* Whether a cached item of the kind whose field labels are k passes the selectors by its
 * attributes: 1, 0, or -1 when they cannot tell (no attributes, a field read from the
 * object); the caller then decodes it. */
static int attrs_match(const struct wc_item *it, const struct field_labels *k,
                       const struct label_selector *ls, const struct field_selector *fs)
{
    if (it == NULL || it->attrs == NULL)
        return -1;
    int m = ls != NULL ? label_selector_matches_attrs(ls, it->attrs, it->attrs_len) : 1;
    if (m == 1 && fs != NULL)
        m = field_selector_matches_attrs(fs, k, it->attrs, it->attrs_len);
    return m;
}

/* The selectors a filtered cache list applies (watchcache_filter_fn). */
struct list_filter {
    const struct field_labels *k;
    const struct label_selector *ls;
    const struct field_selector *fs;
};

/* Keeps the items the attributes match and those they cannot tell about (decoded later). */
static int list_filter_keep(void *arg, const struct wc_item *it)
{
    const struct list_filter *f = arg;
    return attrs_match(it, f->k, f->ls, f->fs) != 0;
}

/* A compact (or pretty) JSON list written piece by piece (rest_list_open). Items served
 * from the object cache stay references to its bytes until they are written; items read from
 * the store (an Exact resourceVersion, an old continue token) are composed up front. */
struct rest_list_stream {
    struct wc_list cl;      /* the cache's items (references), or empty */
    size_t *keep;           /* indexes into cl.items of the items to write, in order */
    size_t nkeep, pos;      /* pos: the next of keep to write */
    size_t written;         /* items written so far (for the separating commas) */
    struct buf head;        /* the list up to and including "items":[ */
    struct buf body;        /* items composed already (store reads) */
    struct buf tail;        /* ]} and the newline */
    int phase;              /* 0 head, 1 cached items, 2 body, 3 tail, 4 done */
    bool pretty;
    struct itembytes_indent indent; /* the re-indenter's state (pretty) */
};

/* Appends one list item for kv: from its bytes, or decoded (obj, if the caller decoded it
 * already, else decoded here) and printed as json_dump_go does. */
static void item_append(struct buf *out, const struct store_kv *kv, json_t *obj)
{
    if (itembytes_item(out, kv->value, kv->len, kv->mod_rev))
        return;
    json_t *o = obj != NULL ? json_incref(obj) : decode_kv(kv);
    if (o == NULL)
        return;
    json_object_del(o, "kind");
    json_object_del(o, "apiVersion");
    size_t n;
    char *js = json_dump_go(o, false, &n);
    while (n > 0 && js[n - 1] == '\n') /* the document's newline, not the item's */
        n--;
    buf_append(out, js, n);
    free(js);
    json_decref(o);
}

/* The list, as a tree (*ret_obj) or, when out is not NULL, as compact JSON appended to out
 * with each item composed from its stored bytes (item_append). */
static int list_impl(struct api_call *c, const struct list_opts *o, json_t **ret_obj,
                     struct rest_list_stream *out, json_t **ret_status)
{
    const struct resource_def *r = c->res;
    struct label_selector *ls;
    struct field_selector *fs;
    int rc = rest_parse_selectors(r, o, &ls, &fs, ret_status);
    if (rc < 0)
        return rc;
    char *prefix = resource_key(r, c->ns, NULL);
    struct wc_list cl = {0};
    int64_t at_rev = 0, min_rev = 0;
    char *start_after = NULL;
    bool continuing = o->continue_token && *o->continue_token;
    /* no resourceVersion: a consistent list (the barrier first); "0": any cached state */
    bool consistent = !continuing && (o->resource_version == NULL || *o->resource_version == '\0');
    bool rv0 = false;
    if (continuing) {
        char *rel = NULL;
        if (continue_decode(o->continue_token, &at_rev, &rel) != 0) {
            *ret_status = status_bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            rc = AZ_EBADREQUEST;
            goto out;
        }
        start_after = xasprintf("%s%s", prefix, rel);
        free(rel);
    } else if (o->resource_version && *o->resource_version) {
        int64_t rv;
        if ((rc = request_rv(o->resource_version, &rv, ret_status)) != 0)
            goto out;
        /* Exact reads the state at that revision; otherwise "not older than": a revision
         * newer than the store's is answered 504 as upstream's watch cache does. */
        if (o->resource_version_match && strcmp(o->resource_version_match, "Exact") == 0)
            at_rev = rv;
        else if ((o->resource_version_match == NULL || *o->resource_version_match == '\0') && rv > 0 &&
                 o->limit > 0)
            at_rev = rv; /* upstream's legacy case: a positive revision with a limit and no match is Exact */
        else
            min_rev = rv;
        rv0 = rv == 0 && at_rev == 0;
    }
    int64_t limit = o->limit;
    if (limit < 0)
        limit = 0;
    if (limit > MAX_LIST_LIMIT)
        limit = MAX_LIST_LIMIT;
    json_t *items = json_array();
    int64_t nitems = 0;
    int64_t list_rev = 0;
    bool more = false;
    char *last_key = NULL;
    /* From the object cache: a consistent list (no resourceVersion, after store_sync), "0" or
     * NotOlderThan a revision the cache has, and a continue token pinned to the cache's
     * current revision. An Exact revision, or a continue token of an older revision, reads
     * the store's history (as upstream delegates those to etcd). "0" takes no barrier, and
     * from the cache its limit is ignored: the whole list, no continue (upstream 1.32's
     * cacher serves limit+resourceVersion=0 from the watch cache, which does not page). */
    bool from_cache = false;
    if (c->srv->wc != NULL && (at_rev == 0 || at_rev == watchcache_rev(c->srv->wc))) {
        int src = consistent ? cache_sync(c) : 0;
        int64_t cache_limit = rv0 ? 0 : limit;
        if (src == 0) {
            bool selecting = ls != NULL || fs != NULL;
            const char *indexed = r->cache_index != NULL
                                      ? field_selector_requires_exact(fs, r->cache_index) : NULL;
            src = AZ_EUNAVAILABLE;
            if (indexed != NULL)
                src = watchcache_list_indexed(c->srv->wc, prefix, indexed, start_after, 0, &cl);
            struct list_filter lf = {r->fields, ls, fs};
            if (src == AZ_EUNAVAILABLE && selecting)
                src = watchcache_list_filtered(c->srv->wc, prefix, start_after, list_filter_keep, &lf, &cl);
            else if (src == AZ_EUNAVAILABLE)
                src = watchcache_list(c->srv->wc, prefix, start_after, cache_limit == 0 ? 0 : (size_t)cache_limit + 1, &cl);
            if (src == 0 && (at_rev != 0 && cl.rev != at_rev))
                watchcache_list_release(&cl);
            else if (src == 0 && cl.rev >= min_rev)
                from_cache = true;
            else if (src == 0)
                watchcache_list_release(&cl);
            if (from_cache)
                limit = cache_limit;
        }
    }
    size_t remaining_after = 0;
    if (out != NULL && from_cache)
        out->keep = xcalloc(cl.n == 0 ? 1 : cl.n, sizeof(*out->keep));
    for (;;) {
        struct store_list sl;
        if (from_cache) {
            /* borrowed views of the cache's items, released with cl */
            sl.items = xcalloc(cl.n == 0 ? 1 : cl.n, sizeof(*sl.items));
            for (size_t i = 0; i < cl.n; i++) {
                sl.items[i].key = (char *)cl.items[i].key;
                sl.items[i].value = (char *)cl.items[i].value;
                sl.items[i].len = cl.items[i].len;
                sl.items[i].create_rev = cl.items[i].create_rev;
                sl.items[i].mod_rev = cl.items[i].mod_rev;
            }
            sl.n = cl.n;
            sl.rev = cl.rev;
            sl.more = 0;
            remaining_after = cl.remaining;
            rc = 0;
        } else {
            rc = store_list(c->srv->store, prefix, start_after, at_rev, LIST_PAGE, &sl);
        }
        if (rc == 0 && min_rev > sl.rev) {
            store_list_release(&sl);
            rc = AZ_ETIMEOUT;
        }
        if (rc == AZ_ETIMEOUT && !continuing) {
            *ret_status = status_too_large_resource_version(o->resource_version, store_current_rev(c->srv->store));
            json_decref(items);
            goto out;
        }
        if (rc < 0 && continuing && rc != AZ_EGONE) {
            /* a forged token naming a revision the store never had */
            *ret_status = status_bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
            rc = AZ_EBADREQUEST;
            json_decref(items);
            goto out;
        }
        if (rc == AZ_EGONE && !continuing) {
            *ret_status = status_gone("The resourceVersion for the provided list is too old.");
            json_decref(items);
            goto out;
        }
        if (rc == AZ_EGONE) {
            *ret_status = status_gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            json_decref(items);
            goto out;
        }
        if (rc < 0) {
            *ret_status = internal_error("list", rc);
            json_decref(items);
            goto out;
        }
        if (at_rev == 0)
            at_rev = sl.rev;
        list_rev = sl.rev;
        bool stopped = false;
        for (size_t i = 0; i < sl.n; i++) {
            free(start_after);
            start_after = xstrdup(sl.items[i].key);
            if (limit > 0 && nitems >= limit) {
                more = true;
                stopped = true;
                break;
            }
            const struct wc_item *ci = from_cache ? &cl.items[i] : NULL;
            int m = ls == NULL && fs == NULL ? 1 : attrs_match(ci, r->fields, ls, fs);
            if (m == 0)
                continue;
            if (m == 1 && out != NULL && from_cache) {
                /* the item stays a reference to the cache's bytes until it is written */
                out->keep[out->nkeep++] = i;
                nitems++;
                free(last_key);
                last_key = xstrdup(sl.items[i].key);
                continue;
            }
            if (m == 1 && out != NULL && ls == NULL && fs == NULL) {
                /* no selector: the namespace is the key prefix's; no decoding */
                if (nitems > 0)
                    buf_putc(&out->body, ',');
                size_t before = out->body.len;
                item_append(&out->body, &sl.items[i], NULL);
                if (out->body.len == before) {
                    if (nitems > 0)
                        out->body.len--; /* an undecodable value: skipped as the tree path does */
                    continue;
                }
                nitems++;
                free(last_key);
                last_key = xstrdup(sl.items[i].key);
                continue;
            }
            json_t *obj = decode_kv(&sl.items[i]);
            if (obj == NULL)
                continue;
            if (m == 1 || rest_object_matches(obj, c->ns, ls, fs)) {
                if (out != NULL) {
                    if (nitems > 0)
                        buf_putc(&out->body, ',');
                    item_append(&out->body, &sl.items[i], obj);
                    json_decref(obj);
                } else {
                    json_object_del(obj, "kind");
                    json_object_del(obj, "apiVersion");
                    json_array_append_new(items, obj);
                }
                nitems++;
                free(last_key);
                last_key = xstrdup(sl.items[i].key);
            } else {
                json_decref(obj);
            }
        }
        bool page_more = sl.more;
        if (from_cache) {
            free(sl.items);
            /* start_after now names the first key not returned, or the last key listed */
            if (stopped)
                remaining_after += 1;
        } else {
            store_list_release(&sl);
        }
        if (stopped || !page_more)
            break;
    }
    json_t *list = json_object();
    json_object_set_new(list, "kind", json_string(r->list_kind));
    json_object_set_new(list, "apiVersion", json_string(resource_api_version(r)));
    json_t *lm = json_object();
    char rvs[32];
    snprintf(rvs, sizeof(rvs), "%lld", (long long)list_rev);
    json_object_set_new(lm, "resourceVersion", json_string(rvs));
    if (more && last_key != NULL) {
        char *tok = continue_encode(list_rev, last_key + strlen(prefix));
        json_object_set_new(lm, "continue", json_string(tok));
        free(tok);
        if (ls == NULL && fs == NULL && from_cache) {
            /* the keys after the page: the one that stopped it and those beyond the limit+1 */
            json_object_set_new(lm, "remainingItemCount", json_integer((json_int_t)remaining_after));
        } else if (ls == NULL && fs == NULL) {
            /* start_after holds the first key not returned */
            struct store_list rest;
            if (store_list(c->srv->store, prefix, start_after, at_rev, 0, &rest) == 0) {
                json_object_set_new(lm, "remainingItemCount", json_integer((json_int_t)rest.n + 1));
                store_list_release(&rest);
            }
        }
    }
    json_object_set_new(list, "metadata", lm);
    if (out != NULL) {
        /* {"kind":..,"apiVersion":..,"metadata":{..},"items":[..]}, as json_dump_go prints the tree */
        json_object_set_new(list, "items", json_array());
        size_t n;
        char *head = json_dump_go(list, false, &n);
        /* head ends with `[]}` and json_dump_go's trailing newline */
        char *open = strrchr(head, '[');
        size_t at = open != NULL ? (size_t)(open - head) + 1 : n;
        buf_append(&out->head, head, at);
        buf_append(&out->tail, head + at, n - at);
        free(head);
        json_decref(list);
        json_decref(items);
        if (from_cache) {
            out->cl = cl; /* the stream keeps the references */
            memset(&cl, 0, sizeof(cl));
        }
    } else {
        json_object_set_new(list, "items", items);
        *ret_obj = list;
    }
    rc = 0;
    free(last_key);
out:
    watchcache_list_release(&cl);
    free(prefix);
    free(start_after);
    label_selector_free(ls);
    field_selector_free(fs);
    return rc;
}

int rest_list(struct api_call *c, const struct list_opts *o, json_t **ret_obj, json_t **ret_status)
{
    return list_impl(c, o, ret_obj, NULL, ret_status);
}

int rest_list_open(struct api_call *c, const struct list_opts *o, bool pretty,
                   struct rest_list_stream **ret, json_t **ret_status)
{
    struct rest_list_stream *ls = xcalloc(1, sizeof(*ls));
    ls->pretty = pretty;
    int rc = list_impl(c, o, NULL, ls, ret_status);
    if (rc < 0) {
        rest_list_stream_free(ls);
        return rc;
    }
    *ret = ls;
    return 0;
}

/* Appends compact text to out, re-indented when the stream is pretty. */
static void stream_put(struct rest_list_stream *ls, struct buf *out, const char *s, size_t n)
{
    if (ls->pretty)
        itembytes_indent(&ls->indent, out, s, n);
    else
        buf_append(out, s, n);
}

bool rest_list_stream_next(struct rest_list_stream *ls, struct buf *out, size_t max)
{
    size_t start = out->len;
    struct buf item = BUF_INIT;
    while (ls->phase < 4 && out->len - start < max) {
        switch (ls->phase) {
        case 0:
            stream_put(ls, out, ls->head.data, ls->head.len);
            ls->phase = 1;
            break;
        case 1:
            if (ls->pos == ls->nkeep) {
                ls->phase = 2;
                break;
            }
            {
                const struct wc_item *it = &ls->cl.items[ls->keep[ls->pos++]];
                struct store_kv kv = {.key = (char *)it->key, .value = (char *)it->value,
                                      .len = it->len, .create_rev = it->create_rev,
                                      .mod_rev = it->mod_rev};
                /* compact: composed straight into out; pretty: re-indented from item */
                struct buf *dst = ls->pretty ? &item : out;
                size_t mark = dst->len;
                if (ls->written > 0)
                    buf_putc(dst, ',');
                size_t before = dst->len;
                item_append(dst, &kv, NULL);
                if (dst->len == before) {
                    dst->len = mark; /* an undecodable value: skipped as the tree path does */
                    break;
                }
                ls->written++;
                if (ls->pretty) {
                    stream_put(ls, out, item.data, item.len);
                    item.len = 0;
                }
            }
            break;
        case 2:
            if (ls->body.len > 0) {
                if (ls->written > 0)
                    stream_put(ls, out, ",", 1);
                stream_put(ls, out, ls->body.data, ls->body.len);
            }
            ls->phase = 3;
            break;
        case 3:
            /* json_dump_go: the compact document ends in a newline, the pretty one does not */
            stream_put(ls, out, ls->tail.data, ls->pretty && ls->tail.len > 0 ? ls->tail.len - 1 : ls->tail.len);
            ls->phase = 4;
            break;
        }
    }
    buf_release(&item);
    return ls->phase < 4;
}

void rest_list_stream_free(struct rest_list_stream *ls)
{
    if (ls == NULL)
        return;
    watchcache_list_release(&ls->cl);
    free(ls->keep);
    buf_release(&ls->head);
    buf_release(&ls->body);
    buf_release(&ls->tail);
    free(ls);
}

/* ---- create ------------------------------------------------------------------------- */

/* applied: obj carries the managedFields of a server-side apply. */
static int create_internal(struct api_call *c, json_t *obj, bool applied, json_t **ret_obj,
                           json_t **ret_status)
{
    const struct resource_def *r = c->res;
    int rc;
    if ((rc = check_type(c, obj, ret_status)) < 0 || (rc = check_decodes(c, obj, ret_status)) < 0)
        return rc;
    if (r->flags & RES_VIRTUAL) {
        virtual_create_fn create = apiserver_virtual_handler(c->srv, r, NULL);
        if (create == NULL) {
            *ret_status = status_method_not_allowed();
            return AZ_EMETHOD;
        }
        json_t *res = NULL;
        rc = create(c, obj, &res, ret_status);
        if (rc == 0)
            *ret_obj = res;
        return rc;
    }
    if ((rc = check_unknown_fields(c, obj, ret_status)) < 0)
        return rc;
    if ((rc = rest_check_namespace(c, obj, ret_status)) < 0)
        return rc;
    resource_defaults(r, obj);
    /* the field manager sees the decoded, defaulted object before admission and strategy */
    if (!applied)
        apply_update_managed_fields(c, NULL, obj);
    json_t *m = meta_of(obj);
    struct api_call named = *c;
    named.name = json_str(m, "name");
    if ((rc = check_namespace_open(&named, ret_status)) < 0)
        return rc;
    /* mutating admission sees the object as the client sent it (name may still be empty) */
    if ((rc = admission_mutate(&named, ADMIT_CREATE, obj, NULL, ret_status)) < 0)
        return rc;
    const char *name = json_str(m, "name");
    const char *gen = json_str(m, "generateName");
    if ((name == NULL || *name == '\0') && gen != NULL && *gen) {
        char sfx[6];
        random_suffix(sfx);
        char *genname = xasprintf("%.*s%s", (int)(strlen(gen) > 58 ? 58 : strlen(gen)), gen, sfx);
        json_object_set_new(m, "name", json_string(genname));
        free(genname);
    }
    /* server-set metadata (upstream rest.BeforeCreate) */
    char uid[37], now[32];
    uuid_v4(uid);
    time_rfc3339(clock_wall_s(), now);
    json_object_set_new(m, "uid", json_string(uid));
    json_object_del(m, "resourceVersion");
    json_object_del(m, "selfLink");
    json_object_del(m, "deletionTimestamp");
    json_object_del(m, "deletionGracePeriodSeconds");
    json_object_set_new(m, "creationTimestamp", json_string(now));
    if (r->tracks_generation)
        json_object_set_new(m, "generation", json_integer(1));
    else
        json_object_del(m, "generation");
    strategy_prepare_create(c, obj);
    if ((rc = validate(c, obj, NULL, ret_status)) < 0)
        return rc;
    name = json_str(m, "name");
    named.name = name;
    if ((rc = admission_validate(&named, ADMIT_CREATE, obj, NULL, ret_status)) < 0)
        return rc;
    /* keep metadata keys in upstream's order: name, generateName, namespace, uid, ... */
    char *key = resource_key(r, c->ns, name);
    if (c->dry_run) {
        struct store_kv kv;
        if (store_get(c->srv->store, key, &kv) == 0) {
            store_kv_release(&kv);
            free(key);
            *ret_status = status_already_exists(r->group, r->plural, name);
            return AZ_EEXIST;
        }
        free(key);
        *ret_obj = json_incref(obj);
        return 0;
    }
    size_t len;
    char *val = encode_for_store(obj, &len);
    if (c->defer != NULL) {
        *c->defer = (struct rest_deferred){.key = key, .value = val, .len = len, .obj = json_incref(obj),
                                           .res = r, .name = xstrdup(name)};
        return 1;
    }
    int64_t rev;
    rc = store_create(c->srv->store, key, val, len, &rev);
    struct rest_deferred d = {.key = key, .value = val, .obj = json_incref(obj), .res = r, .name = (char *)name};
    rc = rest_create_finish(&d, rc, rc == 0 ? rev : 0, ret_obj, ret_status);
    d.name = NULL; /* obj's */
    rest_deferred_release(&d);
    return rc;
}

int rest_create_finish(struct rest_deferred *d, int rc, int64_t rev, json_t **ret_obj, json_t **ret_status)
{
    if (rc == AZ_EEXIST) {
        *ret_status = status_already_exists(d->res->group, d->res->plural, d->name);
        return rc;
    }
    if (rc < 0) {
        *ret_status = internal_error("create", rc);
        return rc;
    }
    set_rv(d->obj, rev);
    *ret_obj = json_incref(d->obj);
    return 0;
}

void rest_deferred_release(struct rest_deferred *d)
{
    if (d == NULL)
        return;
    free(d->key);
    free(d->value);
    json_decref(d->obj);
    free(d->name);
    memset(d, 0, sizeof(*d));
}

int rest_create(struct api_call *c, json_t *obj, json_t **ret_obj, int *ret_code, json_t **ret_status)
{
    *ret_code = 201;
    return create_internal(c, obj, false, ret_obj, ret_status);
}

/* Maps a failed store write (update/delete) to its Status. */
static int store_write_status(struct api_call *c, int rc, const char *what, json_t **ret_status)
{
    if (rc == AZ_ECONFLICT)
        *ret_status = status_conflict(c->res->group, c->res->plural, c->name, NULL);
    else if (rc == AZ_ENOTFOUND)
        *ret_status = not_found(c);
    else
        *ret_status = internal_error(what, rc);
    return rc;
}

/* Reads the object the call names: *ret_old (resourceVersion set) and its revision. */
static int read_current(struct api_call *c, json_t **ret_old, int64_t *ret_rev, json_t **ret_status)
{
    char *key = resource_key(c->res, c->ns, c->name);
    struct store_kv kv;
    int rc = store_get(c->srv->store, key, &kv);
    free(key);
    if (rc < 0) {
        *ret_status = rc == AZ_ENOTFOUND ? not_found(c) : internal_error("get", rc);
        return rc;
    }
    json_t *old = decode_kv(&kv);
    *ret_rev = kv.mod_rev;
    store_kv_release(&kv);
    if (old == NULL) {
        *ret_status = status_internal("stored object is corrupt");
        return AZ_EINTERNAL;
    }
    *ret_old = old;
    return 0;
}

/* ---- update ------------------------------------------------------------------------- */

static bool spec_changed(json_t *a, json_t *b)
{
    json_t *sa = json_object_get(a, "spec"), *sb = json_object_get(b, "spec");
    if (sa == NULL && sb == NULL)
        return false;
    if (sa == NULL || sb == NULL)
        return true;
    return !json_equal(sa, sb);
}

/* Compares two objects ignoring resourceVersion. */
static bool same_object(json_t *a, json_t *b)
{
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
    json_t *ma = json_object_get(ca, "metadata"), *mb = json_object_get(cb, "metadata");
    json_object_del(ma, "resourceVersion");
    json_object_del(mb, "resourceVersion");
    bool eq = json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

static int store_delete_final(struct api_call *c, const char *key, int64_t rev,
                              json_t *obj, json_t **ret_status);

/* The update handler's name check (upstream checkName): 0 when the object's name is the
 * URL's, else the 400. */
static int refuse_other_name(const char *name, const char *url_name, json_t **ret_status)
{
    if (strcmp(name, url_name) == 0)
        return 0;
    char *msg = xasprintf("the name of the object (%s) does not match the name on the URL (%s)", name, url_name);
    *ret_status = status_bad_request(msg);
    free(msg);
    return AZ_EBADREQUEST;
}

/* The same for a PUT's body: an empty metadata.name takes the URL's. */
static int check_url_name(struct api_call *c, json_t *m, json_t **ret_status)
{
    const char *name = json_str(m, "name");
    if (name == NULL || *name == '\0') {
        json_object_set_new(m, "name", json_string(c->name));
        return 0;
    }
    return refuse_other_name(name, c->name, ret_status);
}

/* Update with old (as stored, rv = old_rev) replaced by obj. Checks and CAS. */
static int update_internal(struct api_call *c, json_t *obj, json_t *old, int64_t old_rev,
                           bool applied, json_t **ret_obj, json_t **ret_status)
{
    const struct resource_def *r = c->res;
    int rc;
    json_t *m = meta_of(obj);
    if ((rc = check_url_name(c, m, ret_status)) < 0)
        return rc;
    if ((rc = rest_check_namespace(c, obj, ret_status)) < 0)
        return rc;
    int64_t want = parse_rv(json_str(m, "resourceVersion"));
    if (want < 0) {
        *ret_status = status_bad_request("invalid resourceVersion");
        return AZ_EBADREQUEST;
    }
    if (want != 0 && want != old_rev) {
        *ret_status = status_conflict(r->group, r->plural, c->name, NULL);
        return AZ_ECONFLICT;
    }
    json_t *om = json_object_get(old, "metadata");
    json_t *newobj;
    if (c->subresource && strcmp(c->subresource, "status") == 0) {
        newobj = json_deep_copy(old);
        json_t *st = json_object_get(obj, "status");
        if (st)
            json_object_set(newobj, "status", st);
        else
            json_object_del(newobj, "status");
    } else if (c->subresource && strcmp(c->subresource, "ephemeralcontainers") == 0) {
        /* ephemeralContainersStrategy: only spec.ephemeralContainers comes from the request */
        newobj = json_deep_copy(old);
        json_t *ecs = json_path(obj, "spec.ephemeralContainers");
        json_t *spec = json_obj_ensure(newobj, "spec");
        if (ecs)
            json_object_set(spec, "ephemeralContainers", ecs);
        else
            json_object_del(spec, "ephemeralContainers");
    } else if (c->subresource && strcmp(c->subresource, "finalize") == 0) {
        newobj = json_deep_copy(old);
        json_t *fin = json_path(obj, "spec.finalizers");
        json_t *spec = json_obj_ensure(newobj, "spec");
        if (fin)
            json_object_set(spec, "finalizers", fin);
        else
            json_object_del(spec, "finalizers");
    } else {
        newobj = json_incref(obj);
        if (r->has_status) {
            json_t *st = json_object_get(old, "status");
            if (st)
                json_object_set(newobj, "status", st);
            else
                json_object_del(newobj, "status");
        }
    }
    json_t *nm = meta_of(newobj);
    static const char *immutable[] = {"uid", "creationTimestamp", "deletionTimestamp",
                                      "deletionGracePeriodSeconds", "generation"};
    for (size_t i = 0; i < sizeof(immutable) / sizeof(immutable[0]); i++) {
        json_t *v = json_object_get(om, immutable[i]);
        if (v)
            json_object_set(nm, immutable[i], v);
        else
            json_object_del(nm, immutable[i]);
    }
    json_object_del(nm, "selfLink");
    if (r->tracks_generation && spec_changed(newobj, old)) {
        json_int_t g = json_integer_value(json_object_get(om, "generation"));
        json_object_set_new(nm, "generation", json_integer(g + 1));
    }
    resource_defaults(r, newobj);
    if (applied) {
        json_t *amf = json_path(obj, "metadata.managedFields");
        if (amf != NULL)
            json_object_set(nm, "managedFields", amf);
        else
            json_object_del(nm, "managedFields");
    } else {
        apply_update_managed_fields(c, old, newobj);
    }
    if ((rc = validate(c, newobj, old, ret_status)) < 0)
        goto fail;
    if ((rc = admission_run(c, ADMIT_UPDATE, newobj, old, ret_status)) < 0)
        goto fail;
    if (same_object(newobj, old)) {
        json_decref(newobj);
        *ret_obj = json_incref(old);
        return 0;
    }
    char *key = resource_key(r, c->ns, c->name);
    if (c->dry_run) {
        free(key);
        *ret_obj = newobj;
        return 0;
    }
    /* An object being deleted whose last finalizer went away is deleted now. */
    json_t *fins = json_object_get(nm, "finalizers");
    if (json_object_get(nm, "deletionTimestamp") != NULL &&
        (fins == NULL || json_array_size(fins) == 0) &&
        !((r->flags & RES_NAMESPACE) && json_array_size(json_path(newobj, "spec.finalizers")) > 0)) {
        rc = store_delete_final(c, key, old_rev, newobj, ret_status);
        free(key);
        if (rc < 0)
            goto fail;
        *ret_obj = newobj;
        return 0;
    }
    size_t len;
    char *val = encode_for_store(newobj, &len);
    int64_t rev;
    rc = store_update(c->srv->store, key, val, len, old_rev, &rev);
    free(val);
    free(key);
    if (rc < 0) {
        store_write_status(c, rc, "update", ret_status);
        goto fail;
    }
    set_rv(newobj, rev);
    *ret_obj = newobj;
    return 0;
fail:
    json_decref(newobj);
    return rc;
}

/* The 409 of a failed precondition: upstream's storage layer (Preconditions.Check) fails with
 * an invalid-object StorageError, which the registry turns into a Conflict carrying its text. */
static json_t *status_precondition_failed(const struct resource_def *r, const char *ns, const char *name,
                                          const char *what)
{
    char *key = resource_key(r, ns, name);
    char *msg = xasprintf("StorageError: invalid object, Code: 4, Key: %s, ResourceVersion: 0, "
                          "AdditionalErrorMsg: Precondition failed: %s", key, what);
    json_t *st = status_conflict(r->group, r->plural, name, msg);
    free(msg);
    free(key);
    return st;
}

int rest_update(struct api_call *c, json_t *obj, json_t **ret_obj, int *ret_code, json_t **ret_status)
{
    int rc;
    *ret_code = 200;
    if ((rc = check_type(c, obj, ret_status)) < 0 || (rc = check_decodes(c, obj, ret_status)) < 0)
        return rc;
    if ((rc = check_unknown_fields(c, obj, ret_status)) < 0)
        return rc;
    json_t *old;
    int64_t old_rev;
    if ((rc = read_current(c, &old, &old_rev, ret_status)) < 0) {
        if (rc != AZ_ENOTFOUND || !(c->res->flags & RES_CREATE_ON_UPDATE) ||
            (c->subresource != NULL && *c->subresource))
            return rc;
        /* AllowCreateOnUpdate: the PUT creates the object (upstream Store.Update's creating
         * branch: create admission and validation, 201), after the update handler's name check */
        json_decref(*ret_status);
        *ret_status = NULL;
        json_t *m = meta_of(obj);
        if ((rc = check_url_name(c, m, ret_status)) < 0)
            return rc;
        const char *uid = json_str(m, "uid");
        if (uid != NULL && *uid != '\0') {
            /* the body's uid is a precondition the absent object fails (kubectl replace of an
             * object deleted meanwhile) */
            char *what = xasprintf("UID in precondition: %s, UID in object meta: ", uid);
            *ret_status = status_precondition_failed(c->res, c->ns, c->name, what);
            free(what);
            return AZ_ECONFLICT;
        }
        rc = create_internal(c, obj, false, ret_obj, ret_status);
        if (rc == 0)
            *ret_code = 201;
        return rc;
    }
    /* a uid in the body is a precondition (upstream DefaultUpdatedObjectInfo.Preconditions):
     * an object deleted and created again since the client read it is not overwritten */
    const char *puid = json_path_str(obj, "metadata.uid"), *uid = json_path_str(old, "metadata.uid");
    if (puid != NULL && *puid != '\0' && uid != NULL && strcmp(puid, uid) != 0) {
        char *what = xasprintf("UID in precondition: %s, UID in object meta: %s", puid, uid);
        *ret_status = status_precondition_failed(c->res, c->ns, c->name, what);
        free(what);
        json_decref(old);
        return AZ_ECONFLICT;
    }
    rc = update_internal(c, obj, old, old_rev, false, ret_obj, ret_status);
    json_decref(old);
    return rc;
}

int rest_patch(struct api_call *c, int patch_type, const char *body, size_t len, json_t **ret_obj,
               json_t **ret_status)
{
    const struct resource_def *r = c->res;
    const struct schema_node *root = r->schema;
    for (int attempt = 0; attempt < 5; attempt++) {
        json_t *old;
        int64_t old_rev;
        int rc = read_current(c, &old, &old_rev, ret_status);
        if (rc < 0)
            return rc;
        json_t *patched = NULL;
        char *err = NULL;
        rc = patch_apply((enum patch_type)patch_type, root, old, body, len, &patched, &err);
        if (rc < 0) {
            *ret_status = patch_error_status(rc, err ? err : "invalid patch");
            free(err);
            json_decref(old);
            return rc;
        }
        free(err);
        /* The patch may carry a resourceVersion precondition; if not, it applies to old. */
        const char *prv = json_path_str(patched, "metadata.resourceVersion");
        bool precondition = prv != NULL && parse_rv(prv) != old_rev;
        rc = check_type(c, patched, ret_status);
        if (rc == 0)
            rc = check_patched_decodes(c, patch_type, body, len, patched, ret_status);
        if (rc == 0)
            rc = check_unknown_fields(c, patched, ret_status);
        if (rc == 0)
            rc = update_internal(c, patched, old, old_rev, false, ret_obj, ret_status);
        json_decref(patched);
        json_decref(old);
        if (rc == AZ_ECONFLICT && !precondition) {
            json_decref(*ret_status);
            *ret_status = NULL;
            continue;
        }
        return rc;
    }
    *ret_status = status_conflict(r->group, r->plural, c->name, NULL);
    return AZ_ECONFLICT;
}

int rest_apply(struct api_call *c, const char *body, size_t len, bool force, json_t **ret_obj,
               int *ret_code, json_t **ret_status)
{
    const struct resource_def *r = c->res;
    if (c->field_manager == NULL || *c->field_manager == '\0') {
        *ret_status = status_bad_request("fieldManager is required for apply patch");
        return AZ_EBADREQUEST;
    }
    char *strict = NULL;
    json_t *config = apply_decode_body(body, len, &strict, ret_status);
    if (config == NULL)
        return json_integer_value(json_object_get(*ret_status, "code")) == 413 ? AZ_ETOOLARGE : AZ_EBADREQUEST;
    int rc = AZ_ECONFLICT;
    for (int attempt = 0; attempt < 5; attempt++) {
        json_t *old = NULL;
        int64_t old_rev = 0;
        rc = read_current(c, &old, &old_rev, ret_status);
        if (rc == AZ_ENOTFOUND && c->subresource == NULL) {
            json_decref(*ret_status);
            *ret_status = NULL;
            old = NULL;
        } else if (rc < 0) {
            break;
        }
        json_t *merged = NULL;
        rc = apply_merge(c, old, config, force, &merged, ret_status);
        /* fieldValidation of the applied YAML is decided after the merge, as upstream */
        if (rc == 0 && strict != NULL && c->validation == FIELD_VALIDATION_STRICT) {
            char *msg = xasprintf("error strict decoding YAML: %s", strict);
            *ret_status = status_bad_request(msg);
            free(msg);
            rc = AZ_EBADREQUEST;
        }
        if (rc == 0) {
            json_t *m = meta_of(merged);
            const char *name = json_str(m, "name");
            if (name == NULL || *name == '\0')
                json_object_set_new(m, "name", json_string(c->name));
            rc = check_type(c, merged, ret_status);
        }
        if (rc == 0)
            rc = check_decodes(c, merged, ret_status);
        if (rc == 0)
            rc = check_unknown_fields(c, merged, ret_status);
        if (rc == 0 && old == NULL) {
            rc = refuse_other_name(json_path_str(merged, "metadata.name"), c->name, ret_status);
            if (rc == 0) {
                *ret_code = 201;
                rc = create_internal(c, merged, true, ret_obj, ret_status);
            }
        } else if (rc == 0) {
            *ret_code = 200;
            rc = update_internal(c, merged, old, old_rev, true, ret_obj, ret_status);
        }
        const char *prv = json_path_str(config, "metadata.resourceVersion");
        bool precondition = prv != NULL && *prv;
        bool retry = ((rc == AZ_ECONFLICT && old != NULL &&
                       json_object_get(json_object_get(*ret_status, "details"), "causes") == NULL) ||
                      (rc == AZ_EEXIST && old == NULL)) && !precondition;
        json_decref(merged);
        json_decref(old);
        if (!retry)
            break;
        json_decref(*ret_status);
        *ret_status = NULL;
        rc = AZ_ECONFLICT;
    }
    if (rc == AZ_ECONFLICT && *ret_status == NULL)
        *ret_status = status_conflict(r->group, r->plural, c->name, NULL);
    if (rc == 0 && strict != NULL && c->validation == FIELD_VALIDATION_WARN) {
        for (char *p = strict; *p; p++) /* as Go's header writer: line breaks become spaces */
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        api_call_warn(c, strict);
    }
    free(strict);
    json_decref(config);
    return rc;
}

/* ---- delete ------------------------------------------------------------------------- */

static int store_delete_final(struct api_call *c, const char *key, int64_t rev,
                              json_t *obj, json_t **ret_status)
{
    int64_t drev;
    int rc = store_delete(c->srv->store, key, rev, &drev, NULL);
    if (rc < 0)
        return store_write_status(c, rc, "delete", ret_status);
    set_rv(obj, drev);
    return 0;
}

/* NamespaceLifecycle: default, kube-system and kube-public can never be deleted. */
static int check_namespace_immortal(struct api_call *c, json_t **ret_status)
{
    static const char *const immortal[] = {"default", "kube-system", "kube-public"};
    if (!(c->res->flags & RES_NAMESPACE))
        return 0;
    for (size_t i = 0; i < sizeof(immortal) / sizeof(immortal[0]); i++) {
        if (strcmp(c->name, immortal[i]) == 0) {
            *ret_status = status_forbidden("", "namespaces", c->name, "this namespace may not be deleted");
            return AZ_EFORBIDDEN;
        }
    }
    return 0;
}

int rest_delete(struct api_call *c, json_t *opts, json_t **ret_obj, int *ret_code, json_t **ret_status)
{
    const struct resource_def *r = c->res;
    *ret_code = 200;
    for (int attempt = 0; attempt < 5; attempt++) {
        json_t *obj;
        int64_t rev;
        int rc = read_current(c, &obj, &rev, ret_status);
        if (rc < 0)
            return rc;
        char *key = resource_key(r, c->ns, c->name);
        json_t *pre = json_object_get(opts, "preconditions");
        const char *puid = json_str(pre, "uid"), *prv = json_str(pre, "resourceVersion");
        const char *uid = json_path_str(obj, "metadata.uid");
        if (puid && uid && strcmp(puid, uid) != 0) {
            char *msg = xasprintf("UID in precondition: %s, UID in object meta: %s", puid, uid);
            *ret_status = status_precondition_failed(r, c->ns, c->name, msg);
            free(msg);
            json_decref(obj);
            free(key);
            return AZ_ECONFLICT;
        }
        if (prv && parse_rv(prv) != rev) {
            char *msg = xasprintf("ResourceVersion in precondition: %s, ResourceVersion in object meta: %lld", prv, (long long)rev);
            *ret_status = status_precondition_failed(r, c->ns, c->name, msg);
            free(msg);
            json_decref(obj);
            free(key);
            return AZ_ECONFLICT;
        }
        if ((rc = check_namespace_immortal(c, ret_status)) < 0 ||
            (rc = admission_run(c, ADMIT_DELETE, obj, obj, ret_status)) < 0) {
            json_decref(obj);
            free(key);
            return rc;
        }
        const char *policy = json_str(opts, "propagationPolicy");
        json_t *orphan = json_object_get(opts, "orphanDependents");
        if (policy == NULL && json_is_boolean(orphan))
            policy = json_is_true(orphan) ? "Orphan" : "Background";
        if (policy == NULL && (r->flags & RES_DELETE_ORPHANS))
            policy = "Orphan"; /* batch/v1 Jobs default to orphaning their pods */
        json_t *m = meta_of(obj);
        json_t *fins = json_object_get(m, "finalizers");
        bool is_ns = (r->flags & RES_NAMESPACE) != 0;
        bool foreground = policy && strcmp(policy, "Foreground") == 0;
        bool orphaning = policy && strcmp(policy, "Orphan") == 0;
        bool graceful = (fins != NULL && json_array_size(fins) > 0) || is_ns || foreground || orphaning;
        if (graceful) {
            if (json_object_get(m, "deletionTimestamp") == NULL) {
                char now[32];
                time_rfc3339(clock_wall_s(), now);
                json_object_set_new(m, "deletionTimestamp", json_string(now));
                json_object_set_new(m, "deletionGracePeriodSeconds", json_integer(0));
                if (foreground || orphaning) {
                    /* the garbage collector finishes the job and removes the finalizer */
                    if (!json_is_array(fins)) {
                        fins = json_array();
                        json_object_set_new(m, "finalizers", fins);
                    }
                    json_array_append_new(fins, json_string(foreground ? "foregroundDeletion" : "orphan"));
                }
                if (is_ns)
                    json_object_set_new(json_obj_ensure(obj, "status"), "phase", json_string("Terminating"));
                if (!c->dry_run) {
                    size_t len;
                    char *val = encode_for_store(obj, &len);
                    int64_t nrev;
                    rc = store_update(c->srv->store, key, val, len, rev, &nrev);
                    free(val);
                    if (rc == AZ_ECONFLICT) {
                        json_decref(obj);
                        free(key);
                        continue;
                    }
                    if (rc < 0) {
                        store_write_status(c, rc, "update", ret_status);
                        json_decref(obj);
                        free(key);
                        return rc;
                    }
                    set_rv(obj, nrev);
                }
            }
            free(key);
            *ret_obj = obj;
            return 0;
        }
        if (!c->dry_run) {
            rc = store_delete_final(c, key, rev, obj, ret_status);
            if (rc == AZ_ECONFLICT) {
                json_decref(*ret_status);
                *ret_status = NULL;
                json_decref(obj);
                free(key);
                continue;
            }
            if (rc < 0) {
                json_decref(obj);
                free(key);
                return rc;
            }
        }
        free(key);
        if (r->return_deleted_object) {
            *ret_obj = obj;
        } else {
            *ret_obj = status_success_deleted(r->group, r->plural, c->name, uid);
            json_decref(obj);
        }
        return 0;
    }
    *ret_status = status_conflict(r->group, r->plural, c->name, NULL);
    return AZ_ECONFLICT;
}

int rest_deletecollection(struct api_call *c, const struct list_opts *o, json_t *opts,
                          json_t **ret_obj, json_t **ret_status)
{
    json_t *list = NULL;
    int rc = rest_list(c, o, &list, ret_status);
    if (rc < 0)
        return rc;
    json_t *items = json_object_get(list, "items");
    json_t *deleted = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        struct api_call one = *c;
        one.name = json_path_str(item, "metadata.name");
        one.ns = json_path_str(item, "metadata.namespace");
        json_t *res = NULL, *st = NULL;
        int code;
        rc = rest_delete(&one, opts, &res, &code, &st);
        if (rc != 0 && rc != AZ_ENOTFOUND) {
            /* upstream's DeleteCollection: the first failed delete is the answer */
            json_decref(res);
            json_decref(deleted);
            json_decref(list);
            *ret_status = st;
            return rc;
        }
        if (rc == 0) {
            if (json_is_object(res) && strcmp(json_str(res, "kind") ? json_str(res, "kind") : "", "Status") != 0) {
                json_object_del(res, "kind");
                json_object_del(res, "apiVersion");
                json_array_append(deleted, res);
            } else {
                json_array_append(deleted, item);
            }
        }
        json_decref(res);
        json_decref(st);
    }
    json_object_set_new(list, "items", deleted);
    *ret_obj = list;
    return 0;
}

/* ---- Table -------------------------------------------------------------------------- */

static json_t *table_row(const struct resource_def *r, json_t *obj, time_t now)
{
    json_t *row = json_object();
    json_object_set_new(row, "cells", table_cells(r->table, obj, now));
    json_t *po = json_object();
    json_object_set_new(po, "kind", json_string("PartialObjectMetadata"));
    json_object_set_new(po, "apiVersion", json_string("meta.k8s.io/v1"));
    json_object_set(po, "metadata", json_object_get(obj, "metadata"));
    json_object_set_new(row, "object", po);
    return row;
}

json_t *rest_to_table(const struct resource_def *r, json_t *obj_or_list, bool include_columns)
{
    time_t now = clock_wall_s();
    json_t *t = json_object();
    json_object_set_new(t, "kind", json_string("Table"));
    json_object_set_new(t, "apiVersion", json_string("meta.k8s.io/v1"));
    json_t *tm = json_object();
    json_t *items = json_object_get(obj_or_list, "items");
    if (json_is_array(items)) {
        json_t *lm = json_object_get(obj_or_list, "metadata");
        const char *rv = json_str(lm, "resourceVersion"), *cont = json_str(lm, "continue");
        if (rv)
            json_object_set_new(tm, "resourceVersion", json_string(rv));
        if (cont)
            json_object_set_new(tm, "continue", json_string(cont));
    } else {
        const char *rv = json_path_str(obj_or_list, "metadata.resourceVersion");
        if (rv)
            json_object_set_new(tm, "resourceVersion", json_string(rv));
    }
    json_object_set_new(t, "metadata", tm);
    json_object_set_new(t, "columnDefinitions", include_columns ? table_columns(r->table) : json_array());
    json_t *rows = json_array();
    if (json_is_array(items)) {
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
            json_array_append_new(rows, table_row(r, it, now));
    } else {
        json_array_append_new(rows, table_row(r, obj_or_list, now));
    }
    json_object_set_new(t, "rows", rows);
    return t;
}
