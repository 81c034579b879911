/* jwt.c — compact JWS signing/verification (RS256, ES256) on OpenSSL EVP; see jwt.h for the
 * wire format and spec/01 §1.1 for the kid derivation. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include "authn/jwt.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfast.h"
#include "util/util.h"

#define ES256_COORD 32

int jwt_kid(EVP_PKEY *pkey, char ret_kid[JWT_KID_LEN + 1])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pkey, &der);
    if (n <= 0)
        return AZ_EINTERNAL;
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(der, (size_t)n, md);
    OPENSSL_free(der);
    char *k = base64url_encode(md, sizeof(md));
    if (strlen(k) != JWT_KID_LEN) {
        free(k);
        return AZ_EINTERNAL;
    }
    memcpy(ret_kid, k, JWT_KID_LEN + 1);
    free(k);
    return 0;
}

int jwt_key_init(struct jwt_key *k, EVP_PKEY *pkey, char **ret_err)
{
    memset(k, 0, sizeof(*k));
    const char *alg = NULL;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        alg = "RS256";
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        char curve[64];
        size_t cl = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), &cl) == 1 &&
            strcmp(curve, "prime256v1") == 0)
            alg = "ES256";
        else {
            *ret_err = xstrdup("unsupported ECDSA curve: only P-256 (ES256) is supported");
            return AZ_EINVALID;
        }
    } else {
        *ret_err = xstrdup("unsupported key type: must be RSA or ECDSA P-256");
        return AZ_EINVALID;
    }
    if (jwt_kid(pkey, k->kid) != 0) {
        *ret_err = xstrdup("failed to serialize public key to DER format");
        return AZ_EINVALID;
    }
    EVP_PKEY_up_ref(pkey);
    k->pkey = pkey;
    k->alg = alg;
    return 0;
}

void jwt_key_release(struct jwt_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    memset(k, 0, sizeof(*k));
}

/* Big-endian bytes of a BIGNUM parameter, left-padded to pad bytes (0: minimal). */
static char *bn_param_b64(EVP_PKEY *pkey, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return NULL;
    int n = pad > 0 ? pad : BN_num_bytes(bn);
    if (n == 0)
        n = 1;
    unsigned char *b = xmalloc((size_t)n);
    if (BN_bn2binpad(bn, b, n) < 0) {
        free(b);
        BN_free(bn);
        return NULL;
    }
    char *s = base64url_encode(b, (size_t)n);
    free(b);
    BN_free(bn);
    return s;
}

json_t *jwt_key_jwk(const struct jwt_key *k)
{
    json_t *j = json_object();
    json_object_set_new(j, "use", json_string("sig"));
    if (strcmp(k->alg, "RS256") == 0) {
        char *n = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        char *e = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        json_object_set_new(j, "kty", json_string("RSA"));
        json_object_set_new(j, "kid", json_string(k->kid));
        json_object_set_new(j, "alg", json_string(k->alg));
        json_object_set_new(j, "n", json_string(n ? n : ""));
        json_object_set_new(j, "e", json_string(e ? e : ""));
        free(n);
        free(e);
    } else {
        char *x = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, ES256_COORD);
        char *y = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, ES256_COORD);
        json_object_set_new(j, "kty", json_string("EC"));
        json_object_set_new(j, "kid", json_string(k->kid));
        json_object_set_new(j, "crv", json_string("P-256"));
        json_object_set_new(j, "alg", json_string(k->alg));
        json_object_set_new(j, "x", json_string(x ? x : ""));
        json_object_set_new(j, "y", json_string(y ? y : ""));
        free(x);
        free(y);
    }
    return j;
}

/* DER ECDSA-Sig-Value -> r || s (each ES256_COORD bytes). */
static int ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char raw[2 * ES256_COORD])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (sig == NULL)
        return AZ_EINTERNAL;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, raw, ES256_COORD) == ES256_COORD &&
             BN_bn2binpad(s, raw + ES256_COORD, ES256_COORD) == ES256_COORD;
    ECDSA_SIG_free(sig);
    return ok ? 0 : AZ_EINTERNAL;
}

/* r || s -> DER; malloc'd into *ret_der. */
static int ecdsa_raw_to_der(const unsigned char *raw, unsigned char **ret_der, size_t *ret_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, ES256_COORD, NULL);
    BIGNUM *s = BN_bin2bn(raw + ES256_COORD, ES256_COORD, NULL);
    if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return AZ_EINTERNAL;
    }
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (n <= 0)
        return AZ_EINTERNAL;
    *ret_der = xmalloc((size_t)n);
    memcpy(*ret_der, der, (size_t)n);
    OPENSSL_free(der);
    *ret_len = (size_t)n;
    return 0;
}

char *jwt_sign(const struct jwt_key *k, const char *payload, size_t len)
{
    json_t *hdr = json_object();
    json_object_set_new(hdr, "alg", json_string(k->alg));
    json_object_set_new(hdr, "kid", json_string(k->kid));
    size_t hlen;
    char *htxt = json_dump_go(hdr, false, &hlen);
    json_decref(hdr);
    while (hlen > 0 && htxt[hlen - 1] == '\n')
        hlen--;
    char *h64 = base64url_encode(htxt, hlen);
    char *p64 = base64url_encode(payload, len);
    free(htxt);
    char *input = xasprintf("%s.%s", h64, p64);
    free(h64);
    free(p64);
    char *token = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    unsigned char *sig = NULL;
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        goto out;
    sig = xmalloc(siglen);
    if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        goto out;
    char *s64;
    if (strcmp(k->alg, "ES256") == 0) {
        unsigned char raw[2 * ES256_COORD];
        if (ecdsa_der_to_raw(sig, siglen, raw) != 0)
            goto out;
        s64 = base64url_encode(raw, sizeof(raw));
    } else {
        s64 = base64url_encode(sig, siglen);
    }
    token = xasprintf("%s.%s", input, s64);
    free(s64);
out:
    EVP_MD_CTX_free(md);
    free(sig);
    free(input);
    return token;
}

/* One part's JSON object, decoded into the caller's scratch buffer (no allocation but
 * jansson's), or NULL. */
static json_t *decode_json_part(const char *s, size_t len, unsigned char *scratch, size_t cap)
{
    size_t n;
    if (base64url_decode_into(s, len, scratch, cap, &n) != 0)
        return NULL;
    json_t *v = jsonfast_loadb((const char *)scratch, n); /* json_loadb's verdicts, 4x faster */
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int jwt_parse(const char *token, size_t len, struct jwt *ret)
{
    if (token == NULL || len == 0 || len > JWT_MAX_TOKEN || memchr(token, '\0', len) != NULL)
        return AZ_EINVALID;
    const char *d1 = memchr(token, '.', len);
    if (d1 == NULL)
        return AZ_EINVALID;
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
        return AZ_EINVALID;
    size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - token);
    if (hl == 0 || pl == 0)
        return AZ_EINVALID;
    unsigned char scratch[BASE64_DECODED_MAX(JWT_MAX_TOKEN)];
    json_t *hdr = decode_json_part(token, hl, scratch, sizeof(scratch));
    if (hdr == NULL)
        return AZ_EINVALID;
    json_t *claims = decode_json_part(d1 + 1, pl, scratch, sizeof(scratch));
    if (claims == NULL) {
        json_decref(hdr);
        return AZ_EINVALID;
    }
    memset(ret, 0, sizeof(*ret));
    size_t siglen = 0;
    bool sig_ok;
    if (BASE64_DECODED_MAX(sl) <= sizeof(ret->sigbuf)) {
        sig_ok = base64url_decode_into(d2 + 1, sl, ret->sigbuf, sizeof(ret->sigbuf), &siglen) == 0;
        ret->sig = ret->sigbuf;
    } else {
        ret->sig = base64url_decode_raw(d2 + 1, sl, &siglen);
        sig_ok = ret->sig != NULL;
    }
    json_t *alg = json_object_get(hdr, "alg"), *kid = json_object_get(hdr, "kid");
    if (!sig_ok || (alg != NULL && !json_is_string(alg)) || (kid != NULL && !json_is_string(kid))) {
        if (ret->sig != ret->sigbuf)
            free(ret->sig);
        memset(ret, 0, sizeof(*ret));
        json_decref(hdr);
        json_decref(claims);
        return AZ_EINVALID;
    }
    ret->header = hdr;
    ret->claims = claims;
    ret->alg = alg ? json_string_value(alg) : "";
    ret->kid = kid ? json_string_value(kid) : "";
    ret->siglen = siglen;
    ret->input = token;
    ret->input_len = (size_t)(d2 - token);
    return 0;
}

void jwt_release(struct jwt *t)
{
    if (t == NULL)
        return;
    json_decref(t->header);
    json_decref(t->claims);
    if (t->sig != t->sigbuf)
        free(t->sig);
    memset(t, 0, sizeof(*t));
}

/* ---- verification contexts, one set per thread ----
 * EVP_DigestVerifyInit builds a new EVP_PKEY_CTX (provider fetch, key import check) on every
 * call, a third of an RSA-2048 verification here. Instead each thread keeps, per key it has
 * verified with, a verify-initialised EVP_PKEY_CTX (padding and digest set once) that
 * EVP_PKEY_verify reuses, and one EVP_MD_CTX with a fetched SHA-256 for the digest. The
 * context holds a reference to its key, so a key's address cannot be reused while cached. */

#define VERIFY_CTX_KEYS 8

struct verify_ctxs {
    EVP_MD *sha256;
    EVP_MD_CTX *md;
    struct {
        EVP_PKEY *pkey;          /* identity only (the ctx holds the reference) */
        EVP_PKEY_CTX *ctx;
    } keys[VERIFY_CTX_KEYS];
    size_t next;                 /* round-robin replacement */
};

static pthread_key_t verify__key;
static pthread_once_t verify__once = PTHREAD_ONCE_INIT;

static void verify_ctxs_free(void *arg)
{
    struct verify_ctxs *v = arg;
    for (size_t i = 0; i < VERIFY_CTX_KEYS; i++)
        EVP_PKEY_CTX_free(v->keys[i].ctx);
    EVP_MD_CTX_free(v->md);
    EVP_MD_free(v->sha256);
    free(v);
}

static void verify_key_create(void)
{
    if (pthread_key_create(&verify__key, verify_ctxs_free) != 0)
        abort();
}

static struct verify_ctxs *verify_ctxs_get(void)
{
    pthread_once(&verify__once, verify_key_create);
    struct verify_ctxs *v = pthread_getspecific(verify__key);
    if (v != NULL)
        return v;
    v = xcalloc(1, sizeof(*v));
    v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    v->md = EVP_MD_CTX_new();
    if (v->sha256 == NULL || v->md == NULL || pthread_setspecific(verify__key, v) != 0) {
        verify_ctxs_free(v);
        return NULL;
    }
    return v;
}

/* This thread's verify context for k, created on first use. */
static EVP_PKEY_CTX *verify_ctx_for(struct verify_ctxs *v, const struct jwt_key *k)
{
    for (size_t i = 0; i < VERIFY_CTX_KEYS; i++)
        if (v->keys[i].pkey == k->pkey && v->keys[i].ctx != NULL)
            return v->keys[i].ctx;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    bool rsa = strcmp(k->alg, "RS256") == 0;
    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_PKEY_CTX_set_signature_md(ctx, v->sha256) != 1) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    size_t slot = v->next++ % VERIFY_CTX_KEYS;
    EVP_PKEY_CTX_free(v->keys[slot].ctx);
    v->keys[slot].pkey = k->pkey;
    v->keys[slot].ctx = ctx;
    return ctx;
}

int jwt_verify(const struct jwt *t, const struct jwt_key *k)
{
    /* the header's alg must be the key's (RSA keys: RS256 only; P-256: ES256 only); a
     * critical header we do not understand fails like go-jose does */
    if (strcmp(t->alg, k->alg) != 0 || json_object_get(t->header, "crit") != NULL)
        return AZ_EUNAUTHORIZED;
    unsigned char *der = NULL;
    const unsigned char *sig = t->sig;
    size_t siglen = t->siglen;
    if (strcmp(k->alg, "ES256") == 0) {
        if (t->siglen != 2 * ES256_COORD || ecdsa_raw_to_der(t->sig, &der, &siglen) != 0)
            return AZ_EUNAUTHORIZED;
        sig = der;
    }
    struct verify_ctxs *v = verify_ctxs_get();
    EVP_PKEY_CTX *ctx = v != NULL ? verify_ctx_for(v, k) : NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(v->md, v->sha256, NULL) == 1 &&
             EVP_DigestUpdate(v->md, t->input, t->input_len) == 1 &&
             EVP_DigestFinal_ex(v->md, digest, &dlen) == 1 &&
             EVP_PKEY_verify(ctx, sig, siglen, digest, dlen) == 1;
    free(der);
    return ok ? 0 : AZ_EUNAUTHORIZED;
}
