/* gc.c — garbage collector: when an object is deleted, delete the objects whose
 * metadata.ownerReferences name its uid (upstream pkg/controller/garbagecollector, reduced to
 * the kinds anzen serves). Background: the owner is gone, its dependents follow. Foreground
 * (the owner carries the foregroundDeletion finalizer): dependents are deleted — those with
 * blockOwnerDeletion in the foreground too — and the owner keeps its finalizer until no
 * dependent with blockOwnerDeletion is left. Orphan: dependents lose the ownerReference. */
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "registry/events_v1.h"
#include "registry/rest.h"
#include "machinery/itembytes.h"
#include "machinery/patch.h"
#include "machinery/status.h"
#include "controllers/controllers.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

struct gc_work {
    struct apiserver *srv;
    char *uid;
    char *ns;
    bool foreground; /* the owner waits: blocking dependents are deleted in the foreground */
};

/* Owners in foreground deletion still waiting for blocking dependents: uid -> store key
 * (event-loop only). */
static json_t *fg_waiting;

/* The ownerReference of obj that names uid, or NULL. */
static json_t *owner_ref(json_t *obj, const char *uid)
{
    size_t i;
    json_t *ref;
    json_array_foreach(json_path(obj, "metadata.ownerReferences"), i, ref) {
        const char *u = json_str(ref, "uid");
        if (u && strcmp(u, uid) == 0)
            return ref;
    }
    return NULL;
}

static bool owned_by(json_t *obj, const char *uid)
{
    return owner_ref(obj, uid) != NULL;
}

static bool blocks_owner(json_t *obj, const char *uid)
{
    return json_is_true(json_object_get(owner_ref(obj, uid), "blockOwnerDeletion"));
}

/* Calls fn(d, it, arg) for every object owned by uid in ns (and cluster scope), of every
 * stored resource, d naming it, as the garbage collector's identity. */
typedef void dependent_fn(struct api_call *d, json_t *it, void *arg);

static void for_each_dependent(struct apiserver *srv, const char *uid, const char *ns,
                               dependent_fn *fn, void *arg)
{
    size_t n;
    const struct resource_def *t = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &t[i];
        if (events_v1_is_view(r) || (r->flags & RES_VIRTUAL) || (r->namespaced && ns == NULL))
            continue; /* events.k8s.io: the same storage as core/v1 events */
        struct api_call c = {.srv = srv, .res = r, .ns = r->namespaced ? ns : NULL,
                             .user = client_controller_user(CONTROLLER_GC), .field_manager = "garbage-collector",
                             .validation = FIELD_VALIDATION_IGNORE, .internal = true};
        struct list_opts lo = {0};
        json_t *list = NULL, *st = NULL;
        if (rest_list(&c, &lo, &list, &st) == 0) {
            size_t j;
            json_t *it;
            json_array_foreach(json_object_get(list, "items"), j, it) {
                if (!owned_by(it, uid))
                    continue;
                struct api_call d = c;
                d.name = json_path_str(it, "metadata.name");
                fn(&d, it, arg);
            }
        }
        json_decref(list);
        json_decref(st);
    }
}

struct delete_state {
    struct gc_work *w;
    size_t blocking;
};

static void delete_dependent(struct api_call *d, json_t *it, void *arg)
{
    struct delete_state *ds = arg;
    struct gc_work *w = ds->w;
    bool blocks = w->foreground && blocks_owner(it, w->uid);
    json_t *res = NULL, *st2 = NULL;
    json_t *opts = json_pack("{s:s}", "propagationPolicy", blocks ? "Foreground" : "Background");
    client_call(d, CLIENT_DELETE, &(struct client_args){.delete_opts = opts}, &res, &st2);
    if (blocks) {
        /* still stored: marked for deletion, held by its finalizers */
        char *key = resource_key(d->res, d->ns, d->name);
        json_t *still = rest_read_key(w->srv, key);
        if (still != NULL && blocks_owner(still, w->uid))
            ds->blocking++;
        json_decref(still);
        free(key);
    }
    json_decref(opts);
    json_decref(res);
    json_decref(st2);
}

/* Deletes the dependents of w->uid; returns how many dependents that block their owner's
 * deletion are still there afterwards (being deleted, held by their finalizers). */
static size_t gc_delete_dependents(struct gc_work *w)
{
    struct delete_state ds = {.w = w};
    for_each_dependent(w->srv, w->uid, w->ns, delete_dependent, &ds);
    return ds.blocking;
}

static void orphan_dependent(struct api_call *d, json_t *it, void *arg)
{
    const char *uid = arg;
    json_t *keep = json_array();
    size_t k;
    json_t *ref;
    json_array_foreach(json_path(it, "metadata.ownerReferences"), k, ref) {
        const char *u = json_str(ref, "uid");
        if (u == NULL || strcmp(u, uid) != 0)
            json_array_append(keep, ref);
    }
    json_t *patch = json_pack("{s:{s:o, s:s?}}", "metadata", "ownerReferences",
                              json_array_size(keep) ? keep : (json_decref(keep), json_null()),
                              "uid", json_path_str(it, "metadata.uid"));
    size_t len;
    char *body = json_dump_go(patch, false, &len);
    json_t *res = NULL, *st2 = NULL;
    if (client_call(d, CLIENT_PATCH, &(struct client_args){.patch_type = PATCH_TYPE_MERGE,
                                                          .patch = body, .patch_len = len},
                    &res, &st2) != 0 && status_code(st2) != 404)
        log_warn("garbage collector: orphaning %s %s: %s", d->res->plural, d->name,
                 json_str(st2, "message") ? json_str(st2, "message") : "failed");
    free(body);
    json_decref(patch);
    json_decref(res);
    json_decref(st2);
}

/* The orphan finalizer: every dependent of uid in ns (and cluster scope) loses its
 * ownerReferences to uid, by a JSON merge patch as the garbage collector's own identity
 * (upstream's deleteOwnerRefJSONMergePatch: the remaining references, with the dependent's
 * uid as a precondition). */
static void orphan_dependents(struct apiserver *srv, const char *uid, const char *ns)
{
    for_each_dependent(srv, uid, ns, orphan_dependent, (void *)uid);
}

static void gc_run(void *arg)
{
    struct gc_work *w = arg;
    if (controllers_leading()) /* queued before the Lease was lost: the holder's job now */
        gc_delete_dependents(w);
    free(w->uid);
    free(w->ns);
    free(w);
}

/* Foreground deletion: dependents go first, then the owner's foregroundDeletion finalizer. */
struct fg_work {
    struct apiserver *srv;
    char *key;
    bool orphan; /* "orphan" finalizer: strip ownerReferences instead of deleting dependents */
};

static void fg_run(void *arg)
{
    struct fg_work *w = arg;
    json_t *obj = controllers_leading() ? rest_read_key(w->srv, w->key) : NULL;
    if (obj != NULL) {
        const char *ns = json_path_str(obj, "metadata.namespace");
        const char *uid = json_path_str(obj, "metadata.uid");
        if (w->orphan) {
            orphan_dependents(w->srv, uid, ns);
        } else if (uid != NULL) {
            struct gc_work g = {.srv = w->srv, .uid = (char *)uid, .ns = (char *)ns, .foreground = true};
            if (gc_delete_dependents(&g) > 0) {
                /* the owner stays until the blocking dependents are gone (on_event retries) */
                json_object_set_new(fg_waiting, uid, json_string(w->key));
                json_decref(obj);
                free(w->key);
                free(w);
                return;
            }
            json_object_del(fg_waiting, uid);
        }
        /* drop the finalizer: the REST layer deletes an object whose last finalizer went */
        const struct resource_def *r = resource_of_object(obj);
        json_t *fins = json_path(obj, "metadata.finalizers");
        for (size_t k = json_array_size(fins); k > 0; k--) {
            const char *f = json_string_value(json_array_get(fins, k - 1));
            if (f && strcmp(f, w->orphan ? "orphan" : "foregroundDeletion") == 0)
                json_array_remove(fins, k - 1);
        }
        if (r != NULL) {
            struct api_call c = {.srv = w->srv, .res = r, .ns = ns, .name = json_path_str(obj, "metadata.name"),
                                 .user = client_controller_user(CONTROLLER_GC), .field_manager = "garbage-collector",
                                 .validation = FIELD_VALIDATION_IGNORE, .internal = true};
            json_t *res = NULL, *st = NULL;
            if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st) != 0)
                log_warn("garbage collector: removing the %s finalizer of %s: %s",
                         w->orphan ? "orphan" : "foregroundDeletion", w->key,
                         json_str(st, "message") ? json_str(st, "message") : "failed");
            json_decref(res);
            json_decref(st);
        }
        json_decref(obj);
    }
    free(w->key);
    free(w);
}

static bool has_finalizer(json_t *obj, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_path(obj, "metadata.finalizers"), i, f)
        if (json_is_string(f) && strcmp(json_string_value(f), name) == 0)
            return true;
    return false;
}

static void queue_foreground(struct apiserver *srv, const char *key)
{
    struct fg_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->key = xstrdup(key);
    srv->defer(srv, fg_run, w);
}

/* A dependent went away or stopped blocking: its waiting owners try again. */
static void retry_waiting_owners(struct apiserver *srv, const struct watch_event *ev)
{
    json_t *before = ev->type == WATCH_DELETED ? ev->obj : ev->prev_obj;
    size_t i;
    json_t *ref;
    json_array_foreach(json_path(before, "metadata.ownerReferences"), i, ref) {
        const char *uid = json_str(ref, "uid");
        json_t *key = uid ? json_object_get(fg_waiting, uid) : NULL;
        if (key == NULL || !json_is_true(json_object_get(ref, "blockOwnerDeletion")))
            continue;
        if (ev->type == WATCH_MODIFIED && blocks_owner(ev->obj, uid))
            continue;
        queue_foreground(srv, json_string_value(key));
    }
}

/* Whether obj (a stored object, or an ownerReference: both carry apiVersion and kind) is of a
 * kind whose deletion the garbage collector acts on. */
static bool gc_owner(json_t *obj)
{
    const struct resource_def *r = resource_of_object(obj);
    return r != NULL && (r->flags & RES_GC_OWNER) != 0;
}

static void on_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading()) /* lost the controller Lease */
        return;
    struct apiserver *srv = arg;
    if (json_object_size(fg_waiting) > 0 && (ev->type == WATCH_DELETED || ev->type == WATCH_MODIFIED))
        retry_waiting_owners(srv, ev);
    if (ev->type == WATCH_MODIFIED && json_path(ev->obj, "metadata.deletionTimestamp") != NULL) {
        for (int orphan = 0; orphan <= 1; orphan++) {
            if (!has_finalizer(ev->obj, orphan ? "orphan" : "foregroundDeletion"))
                continue;
            struct fg_work *w = xcalloc(1, sizeof(*w));
            w->srv = srv;
            w->key = xstrdup(ev->key);
            w->orphan = orphan;
            srv->defer(srv, fg_run, w);
        }
        return;
    }
    if (ev->type != WATCH_DELETED)
        return;
    const char *uid = json_path_str(ev->obj, "metadata.uid");
    if (uid == NULL)
        return;
    /* only the kinds that own others here (their rows say RES_GC_OWNER) */
    if (!gc_owner(ev->obj))
        return;
    struct gc_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->uid = xstrdup(uid);
    const char *ns = json_path_str(ev->obj, "metadata.namespace");
    w->ns = ns ? xstrdup(ns) : NULL;
    srv->defer(srv, gc_run, w);
}

void gc_controller_start(struct apiserver *srv)
{
    struct watch_sub *sub;
    fg_waiting = json_object();
    watchcache_subscribe(srv->wc, "/registry/", watchcache_rev(srv->wc), on_event, srv, &sub, NULL);
}

/* The metadata.uid of stored object bytes (malloc'd), or NULL. */
static char *stored_uid(const char *v, size_t len)
{
    const char *md, *u;
    size_t mdl, ul;
    if (itembytes_member(v, len, "\"metadata\":", &md, &mdl) == 1 &&
        itembytes_member(md, mdl, "\"uid\":", &u, &ul) == 1 && ul >= 2 && u[0] == '"')
        return xstrndup(u + 1, ul - 2);
    json_t *o = json_loadb(v, len, JSON_ALLOW_NUL, NULL);
    const char *s = json_path_str(o, "metadata.uid");
    char *r = s != NULL ? xstrdup(s) : NULL;
    json_decref(o);
    return r;
}

/* Owners deleted while no replica led (their DELETED events went by): a dependent none of
 * whose owners is stored any more gets, for each owner of such a kind, the work that owner's
 * deletion event would have queued (once per uid and namespace of the dependent). A dependent
 * with a live owner is left alone. */
static void queue_dangling(struct apiserver *srv, const struct store_list *sl)
{
    json_t *live = json_object(), *queued = json_object();
    for (size_t i = 0; i < sl->n; i++) {
        char *uid = stored_uid(sl->items[i].value, sl->items[i].len);
        if (uid != NULL)
            json_object_set_new(live, uid, json_true());
        free(uid);
    }
    for (size_t i = 0; i < sl->n; i++) {
        if (strstr(sl->items[i].value, "\"ownerReferences\"") == NULL)
            continue;
        json_t *obj = json_loadb(sl->items[i].value, sl->items[i].len, JSON_ALLOW_NUL, NULL);
        const char *ns = json_path_str(obj, "metadata.namespace");
        size_t k;
        json_t *ref;
        bool owned = false;
        json_array_foreach(json_path(obj, "metadata.ownerReferences"), k, ref) {
            const char *uid = json_str(ref, "uid");
            owned = owned || (uid != NULL && json_object_get(live, uid) != NULL);
        }
        json_array_foreach(owned ? NULL : json_path(obj, "metadata.ownerReferences"), k, ref) {
            const char *uid = json_str(ref, "uid");
            if (uid == NULL || !gc_owner(ref) || json_object_get(live, uid) != NULL)
                continue;
            char *id = xasprintf("%s/%s", uid, ns != NULL ? ns : "");
            if (json_object_get(queued, id) == NULL) {
                json_object_set_new(queued, id, json_true());
                struct gc_work *w = xcalloc(1, sizeof(*w));
                w->srv = srv;
                w->uid = xstrdup(uid);
                w->ns = ns != NULL ? xstrdup(ns) : NULL;
                srv->defer(srv, gc_run, w);
            }
            free(id);
        }
        json_decref(obj);
    }
    json_decref(live);
    json_decref(queued);
}

void gc_controller_resync(struct apiserver *srv)
{
    /* deletions left half-done by a previous run or by another replica, and dependents of
     * owners deleted meanwhile */
    struct store_list sl;
    if (store_list(srv->store, "/registry/", NULL, 0, 0, &sl) != 0)
        return;
    for (size_t i = 0; i < sl.n; i++) {
        if (strstr(sl.items[i].value, "\"deletionTimestamp\"") == NULL)
            continue;
        json_t *obj = json_loadb(sl.items[i].value, sl.items[i].len, JSON_ALLOW_NUL, NULL);
        for (int orphan = 0; obj != NULL && orphan <= 1; orphan++) {
            if (json_path(obj, "metadata.deletionTimestamp") == NULL ||
                !has_finalizer(obj, orphan ? "orphan" : "foregroundDeletion"))
                continue;
            struct fg_work *w = xcalloc(1, sizeof(*w));
            w->srv = srv;
            w->key = xstrdup(sl.items[i].key);
            w->orphan = orphan;
            srv->defer(srv, fg_run, w);
        }
        json_decref(obj);
    }
    queue_dangling(srv, &sl);
    store_list_release(&sl);
}
