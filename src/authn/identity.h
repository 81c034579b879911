/* identity.h — ServiceAccount identity: JWT signing/verification, the TokenRequest
 * subresource, the SA token authenticator (bound and legacy tokens), TokenReview,
 * SelfSubjectReview, OIDC issuer discovery, ServiceAccount admission and the controllers that
 * keep SAs, root-CA ConfigMaps and token Secrets in shape (spec/01–05, 07, 11).
 *
 * THREADS: identity_init runs once before serving. authn_token_review_create (TokenReview),
 * authn_self_subject_review_create (SelfSubjectReview), oidc_get_config and oidc_get_jwks
 * (documents rendered at start-up, handed out with a reference) may run on any thread
 * without the biglock. authn_token_request_create (TokenRequest: reads and may be refused by
 * objects, signs) and the controllers still run under the biglock. */
#ifndef ANZEN_AUTHN_IDENTITY_H
#define ANZEN_AUTHN_IDENTITY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include "registry/apiserver.h"

struct identity_config {
    const char *issuers;             /* --service-account-issuer, comma-separated (first signs) */
    const char *api_audiences;       /* --api-audiences, comma-separated, or NULL: the issuers */
    const char *key_files;           /* --service-account-key-file, comma-separated, or NULL */
    const char *signing_key_file;    /* --service-account-signing-key-file, or NULL */
    const char *max_token_expiration;/* --service-account-max-token-expiration (Go duration), or NULL */
    bool extend_token_expiration;    /* --service-account-extend-token-expiration (default true) */
    int64_t min_token_expiration;    /* --testing-min-token-expiration seconds (default 600) */
    EVP_PKEY *default_signing_key;   /* DATA_DIR/pki/sa.key, used when signing_key_file is NULL */
    void (*token_metric)(bool stale);/* counts tokens with a warnafter claim, or NULL */
};

/* Prepares the token authenticator and installs the TokenRequest, TokenReview and
 * SelfSubjectReview handlers into srv and renders the issuer discovery documents. Called once before serving;
 * cmd/serve.c then lists the admission plugin (admission/serviceaccount.h), the routes below
 * and the controllers (controllers/serviceaccount.h, tokens_controller_start) itself.
 * Returns 0, or a negative code with *ret_err (malloc'd) set. */
int identity_init(struct apiserver *srv, const struct identity_config *cfg, char **ret_err);

/* The ServiceAccount token authenticator (bound and legacy tokens; valid after
 * identity_init), for srv->token_authenticators. */
struct token_authenticator;
const struct token_authenticator *identity_token_authenticator(void);

/* GET /.well-known/openid-configuration and GET /openid/v1/jwks (spec/11), as handlers of
 * the HTTP server's extra routes (http_get_fn): 0 with a new body, or AZ_ENOTFOUND with a
 * 404 Status when discovery is off (the first issuer is not an https URL). */
int oidc_get_config(struct apiserver *srv, json_t **ret_body, const char **ret_content_type,
                    const char **ret_cache_control);
int oidc_get_jwks(struct apiserver *srv, json_t **ret_body, const char **ret_content_type,
                  const char **ret_cache_control);

/* The legacy token controller (controllers/tokens.c; needs identity_init first): fills legacy
 * token Secrets, deletes Secrets of missing SAs (while controllers_leading()), creates the
 * legacy token tracking ConfigMap. start subscribes (once, on every replica); resync queues
 * every token Secret that needs filling. */
void tokens_controller_start(struct apiserver *srv);
void tokens_controller_resync(struct apiserver *srv);

/* The identity module's virtual handlers (virtual_create_fn; cmd/serve.c lists them;
 * srv->identity must be set by identity_init): the serviceaccounts/token subresource
 * (tokenrequest.c), TokenReview and SelfSubjectReview (authn_reviews.c). */
int authn_token_request_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);
int authn_token_review_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);
int authn_self_subject_review_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);

#endif
