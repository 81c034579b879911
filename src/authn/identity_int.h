/* identity_int.h — internal wiring of the identity module: the pieces identity_init installs.
 * Each is implemented in its own file; srv->identity must point at the module's struct
 * satoken before any of them runs. */
#ifndef ANZEN_AUTHN_IDENTITY_INT_H
#define ANZEN_AUTHN_IDENTITY_INT_H

#include "registry/apiserver.h"
#include "authn/satoken.h"

/* authn/oidc.c: renders the documents of /.well-known/openid-configuration and
 * /openid/v1/jwks (only when the first issuer is an https URL; identity.h serves them). */
void oidc_init(struct satoken *s);

#endif
