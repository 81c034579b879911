/* client.h — the in-process entry to the request path (upstream: a loopback client-go
 * client). Every in-process caller that acts on the API — the controllers, the node agent,
 * the scheduler, the event recorder — makes its requests through client_call() with its own
 * identity: the request is authorized by the same authorizer chain as an HTTP request
 * (system:masters, then Node, then RBAC), and a write then passes admission, defaulting and
 * validation in the registry exactly as a client's does. A refused request comes back as
 * the same 403 Status a client would get.
 *
 * The identities are upstream's (docs/internals/layers.md):
 *   - each kube-controller-manager controller as its service account with
 *     --use-service-account-credentials semantics: system:serviceaccount:kube-system:<name>
 *     in groups system:serviceaccounts, system:serviceaccounts:kube-system,
 *     system:authenticated (bound to ClusterRole system:controller:<name> by the bootstrap
 *     policy);
 *   - the scheduler as system:kube-scheduler;
 *   - the node agent as system:node:<name> in group system:nodes (the Node authorizer).
 *
 * Lister-style reads inside the request layers (an admission plugin reading a Namespace, the
 * token authenticator reading a Secret) are not API requests: they read the registry
 * directly, as upstream's informer listers do. */
#ifndef ANZEN_CLIENT_CLIENT_H
#define ANZEN_CLIENT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include "registry/apiserver.h"
#include "registry/rest.h"

enum client_verb {
    CLIENT_GET,
    CLIENT_LIST,
    CLIENT_CREATE,
    CLIENT_UPDATE,
    CLIENT_PATCH,
    CLIENT_DELETE,
    CLIENT_DELETECOLLECTION,
};

/* What a verb takes besides the api_call; unused members stay zero. */
struct client_args {
    json_t *obj;                  /* CREATE, UPDATE: the body (borrowed) */
    const struct list_opts *list; /* LIST, DELETECOLLECTION (NULL: no options) */
    int patch_type;               /* PATCH: an enum patch_type value (machinery/patch.h) */
    const char *patch;            /* PATCH: the body */
    size_t patch_len;
    json_t *delete_opts;          /* DELETE, DELETECOLLECTION: DeleteOptions or NULL */
};

/* The one internal call. c describes the request as for the rest_* functions (c->user is
 * the caller's own identity, never NULL); c->internal is set here. Authorizes verb on
 * c->res/c->subresource in c->ns with c->name, then runs it (a CREATE of a virtual
 * subresource such as serviceaccounts/token goes to its handler). Returns 0 with *ret_obj,
 * or a negative az_err code with a Status in *ret_status (403 when authorization refused). */
int client_call(struct api_call *c, enum client_verb verb, const struct client_args *a,
                json_t **ret_obj, json_t **ret_status);

/* A kube-controller-manager controller's identity: system:serviceaccount:kube-system:<name>
 * (name one of the CONTROLLER_* strings below, or any controller service-account name).
 * Interned: the same pointer for the same name for the process's lifetime. */
const struct user_info *client_controller_user(const char *name);
/* system:kube-scheduler */
const struct user_info *client_scheduler_user(void);
/* system:kube-controller-manager: the controller manager's own identity, which upstream's
 * tokens controller uses (it cannot use a service-account token to make them). */
const struct user_info *client_kcm_user(void);

/* Controller service-account names (upstream's controller-manager names). */
#define CONTROLLER_NAMESPACE "namespace-controller"
#define CONTROLLER_GC "generic-garbage-collector"
#define CONTROLLER_JOB "job-controller"
#define CONTROLLER_SERVICEACCOUNT "service-account-controller"
#define CONTROLLER_ROOT_CA "root-ca-cert-publisher"
#define CONTROLLER_NODE_LIFECYCLE "node-controller"
#define CONTROLLER_CLUSTERROLE_AGGREGATION "clusterrole-aggregation-controller"

#endif
