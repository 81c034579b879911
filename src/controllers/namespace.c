/* namespace.c — namespace lifecycle controller: when a namespace gets a deletionTimestamp
 * (phase Terminating), wait the deletion grace period (upstream's 5 s
 * namespaceDeletionGracePeriod, srv->namespace_deletion_grace_ms: time for late writes to
 * land and for `kubectl delete -f` to delete the manifest's own objects), then delete
 * everything in it, drop its "kubernetes" finalizer and the namespace object itself
 * (upstream pkg/controller/namespace). */
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "registry/events_v1.h"
#include "registry/rest.h"
#include "controllers/controllers.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

struct ns_work {
    struct apiserver *srv;
    char *name;
};

static void finalize_namespace(struct apiserver *srv, const char *name)
{
    const struct resource_def *nsr = resource_by_kind("", "Namespace");
    size_t n;
    const struct resource_def *t = resource_table(&n);
    bool remaining = false;
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &t[i];
        if (events_v1_is_view(r) || !r->namespaced || (r->flags & RES_VIRTUAL))
            continue; /* events.k8s.io: the same storage as core/v1 events */
        struct api_call c = {.srv = srv, .res = r, .ns = name, .user = client_controller_user(CONTROLLER_NAMESPACE),
                             .field_manager = "namespace-controller",
                             .validation = FIELD_VALIDATION_IGNORE, .internal = true};
        struct list_opts lo = {0};
        json_t *res = NULL, *st = NULL;
        json_t *opts = json_pack("{s:s}", "propagationPolicy", "Background");
        if (client_call(&c, CLIENT_DELETECOLLECTION, &(struct client_args){.list = &lo, .delete_opts = opts}, &res, &st) == 0) {
            /* objects with finalizers stay until their finalizers are removed */
            json_t *left = NULL, *st2 = NULL;
            if (rest_list(&c, &lo, &left, &st2) == 0 && json_array_size(json_object_get(left, "items")) > 0)
                remaining = true;
            json_decref(left);
            json_decref(st2);
        }
        json_decref(opts);
        json_decref(res);
        json_decref(st);
    }
    if (remaining)
        return; /* retried on the next namespace event */
    struct api_call c = {.srv = srv, .res = nsr, .name = name, .user = client_controller_user(CONTROLLER_NAMESPACE),
                         .field_manager = "namespace-controller", .subresource = "finalize",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    json_t *obj = NULL, *st = NULL;
    if (rest_get(&c, &obj, &st) != 0) {
        json_decref(st);
        return;
    }
    json_t *spec = json_obj_ensure(obj, "spec");
    json_object_set_new(spec, "finalizers", json_array());
    json_t *res = NULL;
    json_t *st2 = NULL;
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st2) != 0)
        log_warn("namespace controller: finalizing %s: %s", name, json_str(st2, "message"));
    json_decref(res);
    json_decref(st2);
    json_decref(obj);
    /* with no finalizers left, delete the object itself */
    c.subresource = NULL;
    json_t *res2 = NULL, *st3 = NULL;
    char *key = xasprintf("/registry/namespaces/%s", name);
    json_t *cur = rest_read_key(srv, key);
    free(key);
    if (cur != NULL) {
        int64_t rev = strtoll(json_path_str(cur, "metadata.resourceVersion"), NULL, 10);
        char *k2 = xasprintf("/registry/namespaces/%s", name);
        int64_t drev;
        store_delete(srv->store, k2, rev, &drev, NULL);
        free(k2);
        json_decref(cur);
    }
    json_decref(res2);
    json_decref(st3);
}

/* Namespaces being terminated (name -> true once the grace period is over, false while it
 * runs), and those with a finalize pass queued (event-loop only). */
static json_t *terminating_namespaces;
static json_t *queued_namespaces;

static void ns_work_run(void *arg)
{
    struct ns_work *w = arg;
    json_object_del(queued_namespaces, w->name);
    if (controllers_leading()) /* queued before the Lease was lost: the holder's job now */
        finalize_namespace(w->srv, w->name);
    free(w->name);
    free(w);
}

static void queue_finalize(struct apiserver *srv, const char *name)
{
    if (json_object_get(queued_namespaces, name) != NULL)
        return;
    json_object_set_new(queued_namespaces, name, json_true());
    struct ns_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->name = xstrdup(name);
    srv->defer(srv, ns_work_run, w);
}

/* The grace period of a terminating namespace ended: its content goes now. */
static void grace_over(void *arg)
{
    struct ns_work *w = arg;
    if (json_object_get(terminating_namespaces, w->name) != NULL) {
        json_object_set_new(terminating_namespaces, w->name, json_true());
        queue_finalize(w->srv, w->name);
    }
    free(w->name);
    free(w);
}

/* Runs on the loop: starts the grace period (defer_after needs the running loop). */
static void start_grace(void *arg)
{
    struct ns_work *w = arg;
    if (w->srv->defer_after != NULL && w->srv->namespace_deletion_grace_ms > 0)
        w->srv->defer_after(w->srv, w->srv->namespace_deletion_grace_ms, grace_over, w);
    else
        grace_over(w);
}

/* A namespace newly seen terminating: finalize it once its grace period is over. */
static void begin_termination(struct apiserver *srv, const char *name)
{
    if (json_object_get(terminating_namespaces, name) != NULL) {
        if (json_is_true(json_object_get(terminating_namespaces, name)))
            queue_finalize(srv, name);
        return;
    }
    json_object_set_new(terminating_namespaces, name, json_false());
    struct ns_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->name = xstrdup(name);
    srv->defer(srv, start_grace, w);
}

/* Content of a terminating namespace changed (e.g. a finalizer went away): try again. */
static void on_content_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading()) /* lost the controller Lease */
        return;
    if (ev->type == WATCH_ADDED || json_object_size(terminating_namespaces) == 0 ||
        strncmp(ev->key, "/registry/namespaces/", 21) == 0)
        return;
    const char *ns = json_path_str(ev->obj, "metadata.namespace");
    if (ns != NULL && json_is_true(json_object_get(terminating_namespaces, ns)))
        queue_finalize(arg, ns);
}

static void on_namespace_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading()) /* lost the controller Lease */
        return;
    struct apiserver *srv = arg;
    const char *name = json_path_str(ev->obj, "metadata.name");
    if (name == NULL)
        return;
    if (ev->type == WATCH_DELETED) {
        json_object_del(terminating_namespaces, name);
        return;
    }
    if (json_path(ev->obj, "metadata.deletionTimestamp") == NULL)
        return;
    begin_termination(srv, name);
}

void namespace_controller_start(struct apiserver *srv)
{
    struct watch_sub *sub;
    terminating_namespaces = json_object();
    queued_namespaces = json_object();
    watchcache_subscribe(srv->wc, "/registry/namespaces/", watchcache_rev(srv->wc), on_namespace_event,
                         srv, &sub, NULL);
    watchcache_subscribe(srv->wc, "/registry/", watchcache_rev(srv->wc), on_content_event, srv, &sub, NULL);
}

void namespace_controller_resync(struct apiserver *srv)
{
    /* namespaces marked for deletion (at start-up, or while another replica led) */
    const struct resource_def *nsr = resource_by_kind("", "Namespace");
    struct api_call c = {.srv = srv, .res = nsr, .user = client_controller_user(CONTROLLER_NAMESPACE), .internal = true};
    struct list_opts lo = {0};
    json_t *list = NULL, *st = NULL;
    if (rest_list(&c, &lo, &list, &st) == 0) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(list, "items"), i, it) {
            if (json_path(it, "metadata.deletionTimestamp") == NULL)
                continue;
            begin_termination(srv, json_path_str(it, "metadata.name"));
        }
    }
    json_decref(list);
    json_decref(st);
}
