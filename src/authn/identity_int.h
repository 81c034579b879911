/* identity_int.h — internal wiring of the identity module: the pieces identity_init installs.
 * Each is implemented in its own file; srv->identity must point at the module's struct
 * satoken before any of them runs. */
#ifndef ANZEN_AUTHN_IDENTITY_INT_H
#define ANZEN_AUTHN_IDENTITY_INT_H

#include "registry/apiserver.h"
#include "authn/satoken.h"

/* api/tokenrequest.c: the serviceaccounts/token virtual subresource. */
void tokenrequest_register(void);
/* api/authn_reviews.c: TokenReview and SelfSubjectReview virtual resources. */
void authn_reviews_register(void);
/* authn/oidc.c: /.well-known/openid-configuration and /openid/v1/jwks (only when the first
 * issuer is an https URL). */
void oidc_register(struct satoken *s);
/* controllers/tokens.c: fills legacy token Secrets, deletes Secrets of missing SAs (while
 * controllers_leading()), creates the legacy token tracking ConfigMap. start subscribes (once,
 * on every replica); resync queues every token Secret that needs filling. */
void tokens_controller_start(struct apiserver *srv);
void tokens_controller_resync(struct apiserver *srv);

#endif
