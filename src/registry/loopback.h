/* loopback.h — the API server's own identity, system:apiserver in group system:masters
 * (upstream's loopback client of kube-apiserver). Only kube-apiserver's own work uses it:
 *   - start-up writes that must happen before any authorizer has state: the system
 *     namespaces and the bootstrap RBAC policy (cmd/serve.c, authz/rbac.c);
 *   - the legacy token tracking ConfigMap and last-used labels (authn/satoken.c,
 *     controllers/tokens.c: kube-apiserver's legacytokentracking controller);
 *   - lister-style reads of the request layers (admission plugins reading a Namespace or a
 *     ServiceAccount), which upstream serves from informer caches without authorization.
 * Controllers and the node agent never use it: they call through client/client.h with
 * their own identities. */
#ifndef ANZEN_REGISTRY_LOOPBACK_H
#define ANZEN_REGISTRY_LOOPBACK_H

#include "machinery/user.h"

const struct user_info *apiserver_loopback_user(void);

#endif
