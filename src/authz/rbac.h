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

/* A repeated SelfSubjectAccessReview answered without decoding the body or building and
 * printing the answer (the server's hot path; issue #10). Each thread remembers its last
 * answered SSAR: the exact body bytes, the field manager, the parsed spec (private), the
 * answer's status and its compact JSON bytes (json_dump_go, as the server sends it).
 * rbac_ssar_fast: when resource, body bytes and field manager equal the remembered ones, the
 * spec is evaluated again against the authorizer chain (always fresh: no decision is
 * remembered) and, when the status equals the remembered one, returns a malloc'd copy of
 * the remembered bytes with managedFields' time set to now (*ret_len bytes, the same bytes
 * the general path prints, NUL-terminated); NULL otherwise (the caller takes the general path).
 * rbac_ssar_remember: after the general path answered (body, len) with obj printed as
 * (resp, resp_len), keeps them for the next call; an answer it cannot patch is not kept.
 * The caller uses both only where the general path's answer is json_dump_go(obj, compact)
 * and nothing else reads the request or the answer (no audit, no query options). */
char *rbac_ssar_fast(struct api_call *call, const char *body, size_t len, size_t *ret_len);
void rbac_ssar_remember(struct api_call *call, const char *body, size_t len, json_t *obj,
                        const char *resp, size_t resp_len);

#endif
