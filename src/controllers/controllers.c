/* controllers.c — controller start-up and bootstrap objects; see controllers.h. */
#include <string.h>
#include "registry/rest.h"
#include "machinery/status.h"
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

void controllers_start_elected(struct apiserver *srv)
{
    namespace_controller_start(srv);
    gc_controller_start(srv);
    job_controller_start(srv);
    nodetaint_controller_start(srv);
}

void controllers_start(struct apiserver *srv)
{
    /* every replica compacts; the store lets one per interval do it (etcd: compact_rev_key) */
    compactor_start(srv);
}
