/* rbac.h — RBAC authorization (spec/08, 09): the subject-indexed rule snapshot fed by the
 * watch cache, the authorizer, bootstrap policy reconciliation, ClusterRole aggregation,
 * escalation prevention (admission), impersonation and the access review APIs (spec/07). *
 * THREADS: rbac_init runs once before serving. The RBAC authorizer (rbac_authorizer()),
 * rbac_impersonate and the review handlers rbac_ssar_create, rbac_sar_create,
 * rbac_lsar_create and rbac_ssrr_create may run on any thread without the biglock: they read
 * the current immutable RBAC snapshot (rbac_index.h) and the authorizer chain, which is
 * fixed after start-up; what they build is per call. The index is fed by the watch cache's
 * subscription on the committing thread (one writer at a time). The escalation admission
 * plugin (rbac_escalation.c) and the bootstrap reconciliation are write paths: they run as
 * the registry's writes do (still under the biglock). */
#ifndef ANZEN_AUTHZ_RBAC_H
#define ANZEN_AUTHZ_RBAC_H

#include <jansson.h>
#include "registry/apiserver.h"
#include "machinery/user.h"

/* Reconciles the bootstrap policy into the store, builds the index and registers the
 * review handlers and the aggregation controller. Called once before serving. Returns 0 or
 * a negative code with *ret_err. */
int rbac_init(struct apiserver *srv, char **ret_err);
/* The RBAC authorizer (valid after rbac_init; cmd/serve.c puts it in srv->authorizers). */
const struct authorizer *rbac_authorizer(void);
/* The escalation check of roles and bindings (upstream does it in the RBAC registry
 * strategies) as a validating admission plugin for srv->admission. */
const struct admission_plugin *rbac_escalation_admission(void);

/* Impersonation (Impersonate-User/-Group/-Uid/-Extra-* headers). get_header(ctx, name)
 * returns the values of a (lower-case) request header as a JSON array of strings (new ref).
 * With no Impersonate-* headers: returns 0 and leaves *ret untouched (ret->name == NULL).
 * Allowed: returns 0 with *ret the impersonated user. Refused: negative code and *ret_status
 * (403 Status as upstream; 500 plain text for malformed headers is signalled by AZ_EINTERNAL
 * with *ret_status holding a Status whose message is the text). */
int rbac_impersonate(struct apiserver *srv, const struct user_info *requester,
                     json_t *(*get_header)(void *ctx, const char *name),
                     json_t *(*header_names)(void *ctx), void *ctx, struct user_info *ret,
                     json_t **ret_status);

/* The access review virtual resources (reviews.c), as kube-apiserver 1.32 answers them from
 * the authorizer chain: SelfSubjectAccessReview, SubjectAccessReview,
 * LocalSubjectAccessReview, SelfSubjectRulesReview (virtual_create_fn, cmd/serve.c lists
 * them). */
int rbac_ssar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);
int rbac_sar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);
int rbac_lsar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);
int rbac_ssrr_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);

#endif
