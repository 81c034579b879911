/* authn.h — the authentication stage: client certificate, then the bearer token
 * authenticators srv->token_authenticators in order (cmd/serve.c lists them: ServiceAccount
 * JWTs of the identity module), then anonymous (if enabled).
 *
 * THREADS: authn_request and authn_is_health_path may be called from any thread without the
 * biglock: the client certificate is read from the connection's own SSL object, the chain
 * srv->token_authenticators and the anonymous switch are fixed before serving
 * (authn_set_anonymous: at start-up only), and the ServiceAccount authenticator is safe
 * (satoken.h). */
#ifndef ANZEN_AUTHN_AUTHN_H
#define ANZEN_AUTHN_AUTHN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include "registry/apiserver.h"
#include "machinery/user.h"

struct token_authenticator {
    const char *name;
    /* 0 and *ret filled: authenticated. AZ_ENOTFOUND: not this authenticator's token.
     * AZ_EUNAUTHORIZED: this authenticator's token, rejected (ret_why: debug text). */
    int (*authenticate)(void *state, struct apiserver *srv, const char *token, struct user_info *ret,
                        char **ret_why);
    void *state;
};

void authn_set_anonymous(bool enabled);

/* Authenticates a request. ssl may be NULL (plain connections). authorization is the raw
 * Authorization header or NULL. path is the request path: requests without credentials to
 * the health endpoints (/healthz, /livez, /readyz and below) are anonymous even when
 * anonymous auth is off (as upstream's AnonymousAuthConfigurableEndpoints allows). Returns 0 with *ret filled (system:authenticated added for
 * non-anonymous users), or AZ_EUNAUTHORIZED. *ret_warning may receive a warning text.
 * A client certificate's user is lent by the connection (ret->borrowed, x509_user_lend): it
 * is valid for the request being served on this thread; user_info_copy it to keep it longer
 * (a write job does). Release *ret with user_info_release either way. */
int authn_request(struct apiserver *srv, SSL *ssl, const char *authorization, size_t auth_len,
                  const char *path, struct user_info *ret, const char **ret_warning);
/* True for /healthz, /livez, /readyz and their sub-paths. */
bool authn_is_health_path(const char *path);

#endif
