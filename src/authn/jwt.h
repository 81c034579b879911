/* jwt.h — compact JWS / JWT signing and verification with OpenSSL EVP, for ServiceAccount
 * tokens (spec/01-jwt-tokens.md §1.1, §1.5; JWKS entries spec/11 §11.3).
 *
 * FORMAT
 *   token  = b64url(header) "." b64url(payload) "." b64url(signature), all unpadded base64url
 *   header = {"alg":"RS256"|"ES256","kid":"<kid>"}     (exactly these two members, this order)
 *   kid    = b64url(SHA-256(DER SubjectPublicKeyInfo of the public key)), 43 characters
 *   RS256  = RSASSA-PKCS1-v1_5 with SHA-256, any RSA modulus size
 *   ES256  = ECDSA P-256 with SHA-256, signature = r || s, 32 bytes each, big-endian
 *
 * Only RS256 and ES256 are supported; any other "alg" (none, HS256, ES384, ...) or an alg
 * that does not match the verifying key fails verification. Parsing is strict: three parts,
 * unpadded url-safe base64 only, header and payload JSON objects, whole token at most
 * JWT_MAX_TOKEN bytes. */
#ifndef ANZEN_AUTHN_JWT_H
#define ANZEN_AUTHN_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#define JWT_MAX_TOKEN 16384 /* bytes; longer tokens are not parsed */
#define JWT_KID_LEN 43
#define JWT_SIG_INLINE 512  /* decoded signatures up to this size (RSA-4096) need no malloc */
/* Room for the decoding of len base64url characters. */

/* One signing or verification key. */
struct jwt_key {
    EVP_PKEY *pkey;              /* owned reference (private or public) */
    char kid[JWT_KID_LEN + 1];   /* derived from the public half */
    const char *alg;             /* "RS256" or "ES256" (static) */
};

/* Takes a reference to pkey and derives kid and alg. Returns 0, or AZ_EINVALID with
 * *ret_err (malloc'd) for unsupported key types (only RSA and EC P-256 are accepted). */
int jwt_key_init(struct jwt_key *k, EVP_PKEY *pkey, char **ret_err);
void jwt_key_release(struct jwt_key *k);
/* The kid of pkey's public half into ret_kid. Returns 0 or AZ_EINTERNAL. */
int jwt_kid(EVP_PKEY *pkey, char ret_kid[JWT_KID_LEN + 1]);
/* The JWK (public members only, go-jose member order) of k, as a new reference. */
json_t *jwt_key_jwk(const struct jwt_key *k);

/* Signs payload (compact JSON text, len bytes) with k (must hold a private key).
 * Returns the malloc'd compact token, or NULL on a signing failure. */
char *jwt_sign(const struct jwt_key *k, const char *payload, size_t len);

/* A parsed, not yet verified, token. */
struct jwt {
    json_t *header;              /* the header object */
    json_t *claims;              /* the payload object */
    const char *alg;             /* header "alg" or "" (borrowed from header) */
    const char *kid;             /* header "kid" or "" (borrowed from header) */
    unsigned char *sig;          /* decoded signature: sigbuf, or malloc'd when longer */
    size_t siglen;
    const char *input;           /* signing input "header.payload" (borrowed from the token) */
    size_t input_len;
    unsigned char sigbuf[JWT_SIG_INLINE];
};

/* Parses token (len bytes; it must outlive *ret). The header and payload are decoded into a
 * stack buffer and parsed once. Returns 0 and fills *ret, or AZ_EINVALID for anything
 * malformed (ret untouched). */
int jwt_parse(const char *token, size_t len, struct jwt *ret);
void jwt_release(struct jwt *t);
/* Checks t's signature with k. 0 when valid; AZ_EUNAUTHORIZED for a bad signature, an
 * unsupported alg, or an alg that does not belong to k's key type. Thread-safe: each thread
 * keeps its own verify-initialised EVP_PKEY_CTX per key (the last 8 keys it used) and its own
 * digest context, freed when the thread exits. */
int jwt_verify(const struct jwt *t, const struct jwt_key *k);

#endif
