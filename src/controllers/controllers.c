/* controllers.c — controller start-up and bootstrap objects; see controllers.h. */
#include <string.h>
#include "registry/rest.h"
#include "machinery/status.h"
#include "authn/identity_int.h"
#include "authz/rbac.h"
#include "controllers/serviceaccount.h"
#include "controllers/controllers.h"
#include "util/json.h"
#include "util/log.h"

static char *internal_groups[] = {"system:masters", "system:authenticated"};
static struct user_info internal_user = {
    .name = "system:apiserver",
    .groups = internal_groups,
    .ngroups = 2,
};

const struct user_info *controllers_user(void)
{
    return &internal_user;
}

int controllers_bootstrap(struct apiserver *srv)
{
    static const char *namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    const struct resource_def *r = resource_by_kind("", "Namespace");
    for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
        struct api_call c = {.srv = srv, .res = r, .user = &internal_user,
                             .field_manager = "kube-apiserver", .validation = FIELD_VALIDATION_IGNORE};
        json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                                "metadata", "name", namespaces[i]);
        json_t *res = NULL, *st = NULL;
        int code;
        int rc = rest_create(&c, obj, &res, &code, &st);
        json_decref(obj);
        json_decref(res);
        if (rc < 0 && rc != AZ_EEXIST) {
            log_error("bootstrap: creating namespace %s: %s", namespaces[i],
                      json_str(st, "message") ? json_str(st, "message") : az_err_str(rc));
            json_decref(st);
            return rc;
        }
        json_decref(st);
    }
    return 0;
}

/* Every controller of `anzen serve`. start runs once on every replica (subscriptions, state;
 * leader-only controllers drop their events while controllers_leading() is false); resync is a
 * full pass over the controller's inputs, run when this replica takes the controller Lease
 * (and at start without election), like an informer resync: work missed meanwhile is done. */
struct controller_def {
    const char *name;
    void (*start)(struct apiserver *srv);
    void (*resync)(struct apiserver *srv); /* NULL: nothing to catch up */
    bool leader_only;                      /* kube-controller-manager's: on the Lease holder only */
};

static const struct controller_def controllers__table[] = {
    /* every replica compacts; the store lets one per interval do it (etcd: compact_rev_key) */
    {"compactor", compactor_start, NULL, false},
    {"namespace", namespace_controller_start, namespace_controller_resync, true},
    {"garbage-collector", gc_controller_start, gc_controller_resync, true},
    {"job", job_controller_start, job_controller_resync, true},
    {"node-lifecycle", nodetaint_controller_start, nodetaint_controller_resync, true},
    {"serviceaccount+root-ca-cert-publisher", serviceaccount_controllers_watch, serviceaccount_controllers_resync, true},
    {"serviceaccount-token", tokens_controller_start, tokens_controller_resync, true},
    {"clusterrole-aggregation", NULL, rbac_aggregation_resync, true},
};

void controllers_start(struct apiserver *srv)
{
    for (size_t i = 0; i < sizeof(controllers__table) / sizeof(controllers__table[0]); i++)
        if (controllers__table[i].start != NULL)
            controllers__table[i].start(srv);
}

void controllers_resync(struct apiserver *srv)
{
    for (size_t i = 0; i < sizeof(controllers__table) / sizeof(controllers__table[0]); i++) {
        const struct controller_def *d = &controllers__table[i];
        if (d->leader_only && d->resync != NULL) {
            log_debug("controllers: resync %s", d->name);
            d->resync(srv);
        }
    }
}
