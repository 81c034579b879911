/* identity.h — ServiceAccount identity: JWT signing/verification, the TokenRequest
 * subresource, the SA token authenticator (bound and legacy tokens), TokenReview,
 * SelfSubjectReview, OIDC issuer discovery, ServiceAccount admission and the controllers that
 * keep SAs, root-CA ConfigMaps and token Secrets in shape (spec/01–05, 07, 11). */
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
};

/* Installs everything listed above into srv (authenticator, handlers, admission plugin,
 * HTTP endpoints) and starts the controllers. Called once before serving.
 * Returns 0, or a negative code with *ret_err (malloc'd) set. */
int identity_init(struct apiserver *srv, const struct identity_config *cfg, char **ret_err);

#endif
