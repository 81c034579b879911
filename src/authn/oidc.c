/* oidc.c — ServiceAccount issuer discovery (spec/11): GET /.well-known/openid-configuration
 * and GET /openid/v1/jwks, pre-rendered at start-up, served only when the first issuer is an
 * https URL without query or fragment. jwks_uri = <server URL>/openid/v1/jwks. */
#include <stdlib.h>
#include <string.h>
#include "machinery/status.h"
#include "authn/identity_int.h"
#include "authn/jwt.h"
#include "authn/identity.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"

#define CACHE_CONTROL "public, max-age=3600"

static json_t *oidc__config; /* discovery document */
static json_t *oidc__jwks;   /* {"keys":[...]} */

int oidc_get_config(struct apiserver *srv, json_t **ret_body, const char **ret_ct, const char **ret_cc)
{
    if (oidc__config == NULL) {
        *ret_body = status_not_found_path();
        return AZ_ENOTFOUND;
    }
    *ret_body = json_incref(oidc__config);
    *ret_ct = "application/json";
    *ret_cc = CACHE_CONTROL;
    return 0;
}

int oidc_get_jwks(struct apiserver *srv, json_t **ret_body, const char **ret_ct, const char **ret_cc)
{
    if (oidc__jwks == NULL) {
        *ret_body = status_not_found_path();
        return AZ_ENOTFOUND;
    }
    *ret_body = json_incref(oidc__jwks);
    *ret_ct = "application/jwk-set+json";
    *ret_cc = CACHE_CONTROL;
    return 0;
}

void oidc_init(struct satoken *s)
{
    const char *iss = json_string_value(json_array_get(s->issuers, 0));
    if (iss == NULL || strncmp(iss, "https://", 8) != 0 || iss[8] == '\0' || strpbrk(iss, "?#") != NULL)
        return;
    json_t *keys = json_array();
    const char *algs[8];
    size_t nalgs = 0;
    for (size_t i = 0; i < s->nkeys; i++) {
        json_array_append_new(keys, jwt_key_jwk(&s->keys[i]));
        bool seen = false;
        for (size_t j = 0; j < nalgs; j++)
            seen |= strcmp(algs[j], s->keys[i].alg) == 0;
        if (!seen && nalgs < 8)
            algs[nalgs++] = s->keys[i].alg;
    }
    qsort(algs, nalgs, sizeof(*algs), strp_cmp);
    json_t *alg_arr = json_array();
    for (size_t j = 0; j < nalgs; j++)
        json_array_append_new(alg_arr, json_string(algs[j]));
    char *jwks_uri = xasprintf("%s/openid/v1/jwks", s->srv->server_url);
    oidc__config = json_object();
    json_object_set_new(oidc__config, "issuer", json_string(iss));
    json_object_set_new(oidc__config, "jwks_uri", json_string(jwks_uri));
    json_object_set_new(oidc__config, "response_types_supported", json_pack("[s]", "id_token"));
    json_object_set_new(oidc__config, "subject_types_supported", json_pack("[s]", "public"));
    json_object_set_new(oidc__config, "id_token_signing_alg_values_supported", alg_arr);
    free(jwks_uri);
    oidc__jwks = json_pack("{s:o}", "keys", keys);
}
