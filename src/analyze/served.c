/* served.c — the analysis of anzen's own state, served by `anzen serve` at GET /analyze
 * (registered in cmd/serve.c; authorised like any non-resource request). Reads the objects
 * straight from the store, as the RBAC index and controllers do. */
#include <string.h>
#include "analyze/analyze.h"
#include "analyze/served.h"
#include "machinery/status.h"
#include "util/buf.h"

static const struct {
    const char *plural, *kind, *api_version;
} served_kinds[] = {
    {"namespaces", "Namespace", "v1"},
    {"serviceaccounts", "ServiceAccount", "v1"},
    {"secrets", "Secret", "v1"},
    {"pods", "Pod", "v1"},
    {"replicationcontrollers", "ReplicationController", "v1"},
    {"clusterroles", "ClusterRole", "rbac.authorization.k8s.io/v1"},
    {"clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io/v1"},
    {"roles", "Role", "rbac.authorization.k8s.io/v1"},
    {"rolebindings", "RoleBinding", "rbac.authorization.k8s.io/v1"},
    {"deployments", "Deployment", "apps/v1"},
    {"replicasets", "ReplicaSet", "apps/v1"},
    {"statefulsets", "StatefulSet", "apps/v1"},
    {"daemonsets", "DaemonSet", "apps/v1"},
    {"jobs", "Job", "batch/v1"},
    {"cronjobs", "CronJob", "batch/v1"},
};

/* Reads the objects the analysis needs from st into inv. 0, or a negative code with *ret_err. */
static int analyze_served_load(struct store *st, struct analyze_inventory *inv, char **ret_err)
{
    for (size_t k = 0; k < sizeof(served_kinds) / sizeof(served_kinds[0]); k++) {
        char *prefix = xasprintf("/registry/%s/", served_kinds[k].plural);
        struct store_list l = {0};
        int rc = store_list(st, prefix, NULL, 0, 0, &l);
        free(prefix);
        if (rc < 0) {
            *ret_err = xasprintf("listing %s failed", served_kinds[k].plural);
            return rc;
        }
        for (size_t i = 0; i < l.n; i++) {
            json_t *o = json_loadb(l.items[i].value, l.items[i].len, 0, NULL);
            if (!json_is_object(o)) {
                json_decref(o);
                continue;
            }
            if (json_object_get(o, "kind") == NULL)
                json_object_set_new(o, "kind", json_string(served_kinds[k].kind));
            if (json_object_get(o, "apiVersion") == NULL)
                json_object_set_new(o, "apiVersion", json_string(served_kinds[k].api_version));
            analyze_inventory_add(inv, o, NULL, 0);
        }
        store_list_release(&l);
    }
    return 0;
}

int analyze_served_get(struct apiserver *srv, json_t **ret_body, const char **ret_content_type,
                       const char **ret_cache_control)
{
    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    char *err = NULL;
    int rc = analyze_served_load(srv->store, &inv, &err);
    if (rc < 0) {
        *ret_body = status_internal(err);
        free(err);
        analyze_inventory_release(&inv);
        return rc;
    }
    *ret_body = analyze_run(&inv);
    analyze_inventory_release(&inv);
    return 0;
}
