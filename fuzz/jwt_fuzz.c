/* jwt_fuzz.c — libFuzzer target for the JWT parser/verifier and the ServiceAccount token
 * authenticator: jwt_parse + jwt_verify (RS256 and ES256 keys) and satoken_authenticate (issuer
 * sniff, kid lookup, claim type checks, audience intersection, time claims, legacy claims) on
 * arbitrary bytes taken as a bearer token. The object caches are empty, so every token that
 * gets past the signature would fail the object checks; the signature cannot be forged, so
 * the fuzzer mostly explores the parsing and rejection paths. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authn/jwt.h"
#include "authn/satoken.h"
#include "util/util.h"

static struct satoken *fuzz_state(void)
{
    static struct satoken *s;
    if (s != NULL)
        return s;
    s = calloc(1, sizeof(*s));
    s->issuers = json_pack("[s]", "https://kubernetes.default.svc.cluster.local");
    s->api_audiences = json_deep_copy(s->issuers);
    s->cache = tokcache_new(SATOKEN_CACHE_MAX);
    s->keys = calloc(2, sizeof(*s->keys));
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    EVP_PKEY *rsa = EVP_RSA_gen(1024); /* size irrelevant here; keeps start-up fast */
    char *err = NULL;
    if (ec == NULL || rsa == NULL || jwt_key_init(&s->keys[0], ec, &err) != 0 ||
        jwt_key_init(&s->keys[1], rsa, &err) != 0)
        abort();
    s->nkeys = 2;
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct satoken *s = fuzz_state();
    char *tok = malloc(size + 1);
    if (tok == NULL)
        abort();
    memcpy(tok, data, size);
    tok[size] = '\0';
    struct jwt t;
    if (jwt_parse(tok, size, &t) == 0) {
        for (size_t i = 0; i < s->nkeys; i++)
            (void)jwt_verify(&t, &s->keys[i]);
        jwt_release(&t);
    }
    size_t n;
    unsigned char *d = base64url_decode_raw(tok, size, &n);
    free(d);
    if (strlen(tok) == size) {
        struct user_info u;
        json_t *auds = NULL;
        char *err = NULL;
        if (satoken_authenticate(s, tok, NULL, &u, &auds, &err) == 0) {
            user_info_release(&u);
            json_decref(auds);
        }
        free(err);
    }
    free(tok);
    return 0;
}
