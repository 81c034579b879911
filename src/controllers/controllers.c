/* controllers.c — controller start-up and bootstrap objects; see controllers.h. */
#include <string.h>
#include "client/client.h"
#include "machinery/status.h"
#include "authn/identity_int.h"
#include "authz/rbac.h"
#include "controllers/serviceaccount.h"
#include "controllers/controllers.h"
#include "registry/loopback.h"
#include "util/json.h"
#include "util/log.h"

int controllers_bootstrap(struct apiserver *srv)
{
    static const char *namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    const struct resource_def *r = resource_by_kind("", "Namespace");
    for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
        /* kube-apiserver's own system-namespaces controller: its loopback identity */
        struct api_call c = {.srv = srv, .res = r, .user = apiserver_loopback_user(),
                             .field_manager = "kube-apiserver", .validation = FIELD_VALIDATION_IGNORE};
        json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                                "metadata", "name", namespaces[i]);
        json_t *res = NULL, *st = NULL;
        int rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = obj}, &res, &st);
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
