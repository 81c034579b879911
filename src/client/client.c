/* client.c — the one internal call of in-process callers and their identities; see
 * client.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "authz/authz.h"
#include "client/client.h"
#include "machinery/status.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

static const char *const verb_names[] = {
    [CLIENT_GET] = "get",       [CLIENT_LIST] = "list",     [CLIENT_CREATE] = "create",
    [CLIENT_UPDATE] = "update", [CLIENT_PATCH] = "patch",   [CLIENT_DELETE] = "delete",
    [CLIENT_DELETECOLLECTION] = "deletecollection",
};

int client_call(struct api_call *c, enum client_verb verb, const struct client_args *a,
                json_t **ret_obj, json_t **ret_status)
{
    static const struct client_args no_args;
    static const struct list_opts no_list;
    if (a == NULL)
        a = &no_args;
    *ret_obj = NULL;
    *ret_status = NULL;
    c->internal = true;
    if (c->res == NULL || c->user == NULL) {
        *ret_status = status_internal("internal call without a resource or an identity");
        return AZ_EINTERNAL;
    }
    struct authz_attrs attrs = {
        .user = c->user,
        .verb = verb_names[verb],
        .is_resource = true,
        .ns = c->ns != NULL ? c->ns : "",
        .group = c->res->group,
        .version = c->res->version,
        .resource = c->res->plural,
        .subresource = c->subresource != NULL ? c->subresource : "",
        .name = c->name != NULL ? c->name : "",
        .path = "",
    };
    char *reason = NULL;
    if (authz_authorize(c->srv, &attrs, &reason) != AUTHZ_ALLOW) {
        *ret_status = authz_forbidden_status(&attrs, reason);
        /* an in-process caller refused is a wiring bug (wrong identity or missing rule) */
        log_warn("internal call refused: %s", json_str(*ret_status, "message"));
        free(reason);
        return AZ_EFORBIDDEN;
    }
    free(reason);
    const struct list_opts *lo = a->list != NULL ? a->list : &no_list;
    int code = 0;
    switch (verb) {
    case CLIENT_GET:
        return rest_get(c, ret_obj, ret_status);
    case CLIENT_LIST:
        return rest_list(c, lo, ret_obj, ret_status);
    case CLIENT_CREATE:
        if (c->subresource != NULL) {
            virtual_create_fn vc = apiserver_virtual_handler(c->srv, c->res, c->subresource);
            if (vc != NULL)
                return vc(c, a->obj, ret_obj, ret_status);
        }
        return rest_create(c, a->obj, ret_obj, &code, ret_status);
    case CLIENT_UPDATE:
        return rest_update(c, a->obj, ret_obj, &code, ret_status);
    case CLIENT_PATCH:
        return rest_patch(c, a->patch_type, a->patch, a->patch_len, ret_obj, ret_status);
    case CLIENT_DELETE:
        return rest_delete(c, a->delete_opts, ret_obj, &code, ret_status);
    case CLIENT_DELETECOLLECTION:
        return rest_deletecollection(c, lo, a->delete_opts, ret_obj, ret_status);
    }
    *ret_status = status_internal("unknown internal call verb");
    return AZ_EINTERNAL;
}

/* ---- identities ------------------------------------------------------------------------ */

#define KCM_SA_PREFIX "system:serviceaccount:kube-system:"

static char *controller_groups[] = {"system:serviceaccounts", "system:serviceaccounts:kube-system",
                                    "system:authenticated"};

#define MAX_CONTROLLER_USERS 32
static pthread_mutex_t users_mu = PTHREAD_MUTEX_INITIALIZER;
static struct user_info controller_users[MAX_CONTROLLER_USERS];
static size_t ncontroller_users;

const struct user_info *client_controller_user(const char *name)
{
    size_t plen = strlen(KCM_SA_PREFIX);
    pthread_mutex_lock(&users_mu);
    const struct user_info *u = NULL;
    for (size_t i = 0; i < ncontroller_users && u == NULL; i++)
        if (strcmp(controller_users[i].name + plen, name) == 0)
            u = &controller_users[i];
    if (u == NULL && ncontroller_users < MAX_CONTROLLER_USERS) {
        struct user_info *n = &controller_users[ncontroller_users++];
        n->name = xasprintf(KCM_SA_PREFIX "%s", name);
        n->groups = controller_groups;
        n->ngroups = sizeof(controller_groups) / sizeof(controller_groups[0]);
        u = n;
    }
    pthread_mutex_unlock(&users_mu);
    return u; /* NULL only past MAX_CONTROLLER_USERS names: client_call refuses it */
}

static char *authenticated_group[] = {"system:authenticated"};

const struct user_info *client_scheduler_user(void)
{
    static const struct user_info u = {.name = "system:kube-scheduler", .groups = authenticated_group,
                                       .ngroups = 1};
    return &u;
}

const struct user_info *client_kcm_user(void)
{
    static const struct user_info u = {.name = "system:kube-controller-manager",
                                       .groups = authenticated_group, .ngroups = 1};
    return &u;
}
