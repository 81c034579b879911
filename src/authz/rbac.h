/* rbac.h — RBAC authorization (spec/08, 09): the subject-indexed rule snapshot fed by the
 * watch cache, the authorizer, bootstrap policy reconciliation, ClusterRole aggregation,
 * escalation prevention (admission), impersonation and the access review APIs (spec/07). */
#ifndef ANZEN_AUTHZ_RBAC_H
#define ANZEN_AUTHZ_RBAC_H

#include <jansson.h>
#include "registry/apiserver.h"
#include "machinery/user.h"

/* Reconciles the bootstrap policy into the store, builds the index and registers the
 * authorizer, the review handlers, the escalation admission plugin and the aggregation
 * controller. Called once before serving. Returns 0 or a negative code with *ret_err. */
int rbac_init(struct apiserver *srv, char **ret_err);
/* Queues a full aggregation pass over every ClusterRole (the controller's resync, when this
 * replica takes the controller Lease). The controller acts only while controllers_leading(). */
void rbac_aggregation_resync(struct apiserver *srv);

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

#endif
