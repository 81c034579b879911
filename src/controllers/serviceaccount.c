/* serviceaccount.c — two kube-controller-manager controllers (spec/05 §5.1, §5.2):
 *
 *   serviceaccount controller  a ServiceAccount "default" (metadata only) in every namespace
 *                              that is not terminating; re-created when deleted.
 *   root-ca-cert-publisher     ConfigMap "kube-root-ca.crt" {data: {ca.crt: srv->ca_pem}} with
 *                              the kubernetes.io/description annotation in every namespace;
 *                              re-created when deleted, repaired when its data differs or the
 *                              annotation is missing (other annotations and fields are kept).
 *
 * Triggers: both reconcile every namespace at start-up and at every resync (when this replica
 * takes the controller Lease), and on namespace ADDED/MODIFIED events;
 * the SA controller on DELETED of a "default" SA; the publisher on MODIFIED/DELETED of a
 * kube-root-ca.crt ConfigMap. Watch callbacks only queue a namespace name with srv->defer;
 * the work (a GET, then create or update through client_call() as the controller's own identity,
 * field manager "kube-controller-manager") runs later on the event loop. Nothing is done in a
 * missing or terminating namespace, and nothing while another replica holds the controller
 * Lease (controllers_leading(): events are dropped, queued work is skipped). */
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "registry/rest.h"
#include "controllers/controllers.h"
#include "controllers/serviceaccount.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

#define DEFAULT_SA_NAME "default"
#define ROOT_CA_CONFIGMAP "kube-root-ca.crt"
#define ROOT_CA_KEY "ca.crt"
#define DESCRIPTION_ANNOTATION "kubernetes.io/description"
#define ROOT_CA_DESCRIPTION                                                                          \
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "     \
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "     \
    "guaranteed across distributions of Kubernetes clusters."
#define FIELD_MANAGER "kube-controller-manager"

enum sa_work_kind { WORK_DEFAULT_SA, WORK_ROOT_CA };

struct sa_work {
    struct apiserver *srv;
    enum sa_work_kind kind;
    char *ns; /* namespace to reconcile (owned) */
};

/* A call as controller (CONTROLLER_SERVICEACCOUNT or CONTROLLER_ROOT_CA): the two
 * controllers of this file run as their own kube-controller-manager identities. */
static struct api_call controller_call(struct apiserver *srv, const char *controller, const char *kind,
                                       const char *ns, const char *name)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind("", kind), .ns = ns, .name = name,
                         .user = client_controller_user(controller), .field_manager = FIELD_MANAGER,
                         .validation = FIELD_VALIDATION_IGNORE};
    return c;
}

/* True if namespace ns exists and has no deletionTimestamp. */
static bool namespace_active(struct apiserver *srv, const char *ns)
{
    char *key = xasprintf("/registry/namespaces/%s", ns);
    json_t *obj = rest_read_key(srv, key);
    free(key);
    bool active = obj != NULL && json_path(obj, "metadata.deletionTimestamp") == NULL;
    json_decref(obj);
    return active;
}

static void ensure_default_service_account(struct apiserver *srv, const char *ns)
{
    struct api_call c = controller_call(srv, CONTROLLER_SERVICEACCOUNT, "ServiceAccount", ns, DEFAULT_SA_NAME);
    json_t *obj = NULL, *st = NULL;
    if (rest_get(&c, &obj, &st) == 0) {
        json_decref(obj);
        return;
    }
    json_decref(st);
    st = NULL;
    json_t *sa = json_pack("{s:s, s:s, s:{s:s, s:s}}", "kind", "ServiceAccount", "apiVersion", "v1",
                           "metadata", "name", DEFAULT_SA_NAME, "namespace", ns);
    int rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = sa}, &obj, &st);
    /* already exists: someone was quicker; forbidden: the namespace started terminating */
    if (rc < 0 && rc != AZ_EEXIST && rc != AZ_EFORBIDDEN && rc != AZ_ENOTFOUND)
        log_warn("serviceaccount controller: creating %s/default: %s", ns, json_str(st, "message"));
    json_decref(sa);
    json_decref(obj);
    json_decref(st);
}

/* True if cm already has exactly data {ca.crt: pem} and a non-empty description annotation
 * (upstream's up-to-date test). */
static bool root_ca_up_to_date(json_t *cm, const char *pem)
{
    json_t *data = json_object_get(cm, "data");
    const char *have = json_str(data, ROOT_CA_KEY);
    if (json_object_size(data) != 1 || have == NULL || strcmp(have, pem) != 0)
        return false;
    const char *desc = json_str(json_path(cm, "metadata.annotations"), DESCRIPTION_ANNOTATION);
    return desc != NULL && *desc;
}

static void ensure_root_ca_configmap(struct apiserver *srv, const char *ns)
{
    const char *pem = srv->ca_pem != NULL ? srv->ca_pem : "";
    struct api_call c = controller_call(srv, CONTROLLER_ROOT_CA, "ConfigMap", ns, ROOT_CA_CONFIGMAP);
    json_t *cm = NULL, *st = NULL, *res = NULL;
    int rc;
    if (rest_get(&c, &cm, &st) != 0) {
        json_decref(st);
        st = NULL;
        cm = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}}", "kind", "ConfigMap", "apiVersion", "v1",
                       "metadata", "name", ROOT_CA_CONFIGMAP, "namespace", ns, "annotations",
                       DESCRIPTION_ANNOTATION, ROOT_CA_DESCRIPTION, "data", ROOT_CA_KEY, pem);
        rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = cm}, &res, &st);
        if (rc < 0 && rc != AZ_EEXIST && rc != AZ_EFORBIDDEN && rc != AZ_ENOTFOUND)
            log_warn("root-ca-cert-publisher: creating %s/%s: %s", ns, ROOT_CA_CONFIGMAP, json_str(st, "message"));
    } else if (!root_ca_up_to_date(cm, pem)) {
        json_object_set_new(cm, "data", json_pack("{s:s}", ROOT_CA_KEY, pem));
        json_t *ann = json_obj_ensure(json_obj_ensure(cm, "metadata"), "annotations");
        json_object_set_new(ann, DESCRIPTION_ANNOTATION, json_string(ROOT_CA_DESCRIPTION));
        rc = client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = cm}, &res, &st);
        /* a conflict means a newer version exists: its MODIFIED event queues another pass */
        if (rc < 0 && rc != AZ_ECONFLICT && rc != AZ_ENOTFOUND)
            log_warn("root-ca-cert-publisher: updating %s/%s: %s", ns, ROOT_CA_CONFIGMAP, json_str(st, "message"));
    }
    json_decref(cm);
    json_decref(res);
    json_decref(st);
}

static void sa_work_run(void *arg)
{
    struct sa_work *w = arg;
    if (controllers_leading() && namespace_active(w->srv, w->ns)) {
        switch (w->kind) {
        case WORK_DEFAULT_SA:
            ensure_default_service_account(w->srv, w->ns);
            break;
        case WORK_ROOT_CA:
            ensure_root_ca_configmap(w->srv, w->ns);
            break;
        }
    }
    free(w->ns);
    free(w);
}

static void queue_work(struct apiserver *srv, enum sa_work_kind kind, const char *ns)
{
    if (ns == NULL || !*ns)
        return;
    struct sa_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->kind = kind;
    w->ns = xstrdup(ns);
    srv->defer(srv, sa_work_run, w);
}

/* Callbacks run with the watch cache locked: they only queue. */
static void on_namespace_event(void *arg, const struct watch_event *ev)
{
    struct apiserver *srv = arg;
    if (!controllers_leading() || ev->type == WATCH_DELETED || json_path(ev->obj, "metadata.deletionTimestamp") != NULL)
        return;
    const char *ns = json_path_str(ev->obj, "metadata.name");
    queue_work(srv, WORK_DEFAULT_SA, ns);
    queue_work(srv, WORK_ROOT_CA, ns);
}

static void on_serviceaccount_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading() || ev->type != WATCH_DELETED)
        return;
    const char *name = json_path_str(ev->obj, "metadata.name");
    if (name != NULL && strcmp(name, DEFAULT_SA_NAME) == 0)
        queue_work(arg, WORK_DEFAULT_SA, json_path_str(ev->obj, "metadata.namespace"));
}

static void on_configmap_event(void *arg, const struct watch_event *ev)
{
    struct apiserver *srv = arg;
    if (!controllers_leading() || ev->type == WATCH_ADDED)
        return;
    const char *name = json_path_str(ev->obj, "metadata.name");
    if (name == NULL || strcmp(name, ROOT_CA_CONFIGMAP) != 0)
        return;
    if (ev->type == WATCH_MODIFIED && root_ca_up_to_date(ev->obj, srv->ca_pem != NULL ? srv->ca_pem : ""))
        return;
    queue_work(srv, WORK_ROOT_CA, json_path_str(ev->obj, "metadata.namespace"));
}

void serviceaccount_controllers_watch(struct apiserver *srv)
{
    int64_t rev = watchcache_rev(srv->wc);
    struct watch_sub *sub;
    watchcache_subscribe(srv->wc, "/registry/namespaces/", rev, on_namespace_event, srv, &sub, NULL);
    watchcache_subscribe(srv->wc, "/registry/serviceaccounts/", rev, on_serviceaccount_event, srv, &sub, NULL);
    watchcache_subscribe(srv->wc, "/registry/configmaps/", rev, on_configmap_event, srv, &sub, NULL);
}

void serviceaccount_controllers_start(struct apiserver *srv)
{
    serviceaccount_controllers_watch(srv);
    serviceaccount_controllers_resync(srv);
}

void serviceaccount_controllers_resync(struct apiserver *srv)
{
    /* every namespace */
    struct api_call c = controller_call(srv, CONTROLLER_SERVICEACCOUNT, "Namespace", NULL, NULL);
    struct list_opts lo = {0};
    json_t *list = NULL, *st = NULL;
    if (rest_list(&c, &lo, &list, &st) == 0) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(list, "items"), i, it) {
            if (json_path(it, "metadata.deletionTimestamp") != NULL)
                continue;
            const char *ns = json_path_str(it, "metadata.name");
            queue_work(srv, WORK_DEFAULT_SA, ns);
            queue_work(srv, WORK_ROOT_CA, ns);
        }
    } else {
        log_warn("serviceaccount controllers: listing namespaces: %s", json_str(st, "message"));
    }
    json_decref(list);
    json_decref(st);
}
