/* nodetaint.c — the node lifecycle controller's TaintNodesByCondition pass, for the one
 * condition anzen's nodes expose to users: a Node whose spec.unschedulable is true (kubectl
 * cordon) gets the taint node.kubernetes.io/unschedulable:NoSchedule, and loses it again when
 * spec.unschedulable is cleared (kubectl uncordon). Like upstream (doNoScheduleTaintingPass),
 * the taint has no value and no timeAdded, and other taints are left as they are. Writes go
 * through client_call() as system:serviceaccount:kube-system:node-controller; a conflict is
 * retried by the watch event the competing write produces. */
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "registry/rest.h"
#include "controllers/controllers.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

#define UNSCHEDULABLE_TAINT "node.kubernetes.io/unschedulable"

struct nodetaint_work {
    struct apiserver *srv;
    char *name;
};

/* Index of the unschedulable NoSchedule taint in taints, or -1. */
static long taint_index(json_t *taints)
{
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t) {
        const char *k = json_str(t, "key"), *e = json_str(t, "effect");
        if (k && e && strcmp(k, UNSCHEDULABLE_TAINT) == 0 && strcmp(e, "NoSchedule") == 0)
            return (long)i;
    }
    return -1;
}

/* True when the node's taints disagree with its spec.unschedulable. */
static bool needs_sync(json_t *node)
{
    bool unsched = json_is_true(json_path(node, "spec.unschedulable"));
    return unsched != (taint_index(json_path(node, "spec.taints")) >= 0);
}

static void nodetaint_sync(struct apiserver *srv, const char *name)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind("", "Node"), .name = name,
                         .user = client_controller_user(CONTROLLER_NODE_LIFECYCLE), .field_manager = "kube-controller-manager",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    json_t *node = NULL, *st = NULL;
    if (rest_get(&c, &node, &st) != 0) {
        json_decref(st);
        return;
    }
    if (!needs_sync(node) || json_path(node, "metadata.deletionTimestamp") != NULL) {
        json_decref(node);
        return;
    }
    json_t *spec = json_obj_ensure(node, "spec");
    json_t *taints = json_object_get(spec, "taints");
    long at = taint_index(taints);
    if (at >= 0) {
        json_array_remove(taints, (size_t)at);
        if (json_array_size(taints) == 0)
            json_object_del(spec, "taints");
    } else {
        if (!json_is_array(taints)) {
            taints = json_array();
            json_object_set_new(spec, "taints", taints);
        }
        json_array_append_new(taints, json_pack("{s:s, s:s}", "key", UNSCHEDULABLE_TAINT,
                                                "effect", "NoSchedule"));
    }
    json_t *res = NULL;
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = node}, &res, &st) != 0)
        log_debug("node lifecycle controller: taints of node %s: %s", name,
                  json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(res);
    json_decref(st);
    json_decref(node);
}

static void nodetaint_work_run(void *arg)
{
    struct nodetaint_work *w = arg;
    if (controllers_leading())
        nodetaint_sync(w->srv, w->name);
    free(w->name);
    free(w);
}

static void enqueue(struct apiserver *srv, const char *name)
{
    struct nodetaint_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->name = xstrdup(name);
    srv->defer(srv, nodetaint_work_run, w);
}

static void on_node_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading() || ev->type == WATCH_DELETED)
        return;
    const char *name = json_path_str(ev->obj, "metadata.name");
    if (name != NULL && needs_sync(ev->obj))
        enqueue(arg, name);
}

void nodetaint_controller_start(struct apiserver *srv)
{
    struct watch_sub *sub;
    int64_t rev = watchcache_rev(srv->wc);
    watchcache_subscribe(srv->wc, "/registry/nodes/", rev, on_node_event, srv, &sub, NULL);
}

void nodetaint_controller_resync(struct apiserver *srv)
{
    /* nodes cordoned while no replica led */
    struct api_call c = {.srv = srv, .res = resource_by_kind("", "Node"),
                         .user = client_controller_user(CONTROLLER_NODE_LIFECYCLE), .internal = true};
    struct list_opts lo = {0};
    json_t *list = NULL, *st = NULL;
    if (rest_list(&c, &lo, &list, &st) == 0) {
        size_t i;
        json_t *n;
        json_array_foreach(json_object_get(list, "items"), i, n)
            if (needs_sync(n) && json_path_str(n, "metadata.name"))
                enqueue(srv, json_path_str(n, "metadata.name"));
    }
    json_decref(list);
    json_decref(st);
}
