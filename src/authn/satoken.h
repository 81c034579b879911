/* satoken.h — the ServiceAccount token authenticator (bound tokens and legacy Secret-based
 * tokens, spec/01 §1.4–1.6) and the state the identity module shares: keys, issuers, API
 * audiences, TokenRequest limits, and watch-fed in-memory caches of ServiceAccounts, Pods,
 * Secrets and Nodes (the hot path never reads the store).
 *
 * VALIDATION ORDER (bound tokens; legacy tokens per spec/01 "Legacy validator")
 *   1 issuer sniff of the unverified payload: not ours -> AZ_ENOTFOUND (no error)
 *   2 kid -> candidate keys ("invalid signature, no keys found"), signature
 *     ("square/go-jose: error in cryptographic primitive")
 *   3 issuer, 4 audience intersection, 5 nbf/exp/iat with 60 s leeway, 6 object checks
 * Steps 1–4 are cached for SATOKEN_CACHE_TTL_MS per SHA-256(audiences, token); steps 5–6 run
 * on every request against the watch-fed caches, so a deleted SA/Pod/Secret/Node makes the
 * very next request fail. */
#ifndef ANZEN_AUTHN_SATOKEN_H
#define ANZEN_AUTHN_SATOKEN_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "registry/apiserver.h"
#include "authn/jwt.h"
#include "machinery/user.h"

#define SATOKEN_LEGACY_ISSUER "kubernetes/serviceaccount"
#define SATOKEN_LEEWAY_S 60
#define SATOKEN_CACHE_TTL_MS 10000
#define SATOKEN_CACHE_MAX 8192
#define SATOKEN_MAX_AUDIENCES 64

struct watch_sub;

struct satoken {
    struct apiserver *srv;
    json_t *issuers;           /* array of strings; the first signs */
    json_t *api_audiences;     /* array of strings (--api-audiences, default the issuers) */
    struct jwt_key *keys;      /* verification keys */
    size_t nkeys;
    struct jwt_key signing;    /* signs TokenRequest tokens */
    int64_t max_expiration;    /* --service-account-max-token-expiration seconds, 0: none */
    bool extend_expiration;    /* --service-account-extend-token-expiration */
    int64_t min_expiration;    /* lowest expirationSeconds (600; lower only with the testing flag) */
    pthread_mutex_t mu;        /* guards cache */
    json_t *cache;             /* hex SHA-256 -> {"until":ms,"claims":{},"auds":[]} */
};

/* Authenticates token for the target audiences (array of strings; NULL or empty: the API
 * audiences). Returns 0 with *ret filled (without system:authenticated) and *ret_auds (new
 * array, may be NULL) set; AZ_ENOTFOUND when the token is not a ServiceAccount token of ours;
 * AZ_EUNAUTHORIZED with *ret_err (malloc'd, upstream's text) when it is ours but rejected. */
int satoken_authenticate(struct satoken *s, const char *token, json_t *audiences,
                         struct user_info *ret, json_t **ret_auds, char **ret_err);

/* The object at store key "/registry/<plural>/[<ns>/]<name>", read from the object cache
 * (rest_read_cached), as a new reference, or NULL. */
json_t *satoken_object(struct satoken *s, const char *plural, const char *ns, const char *name);

/* Binds s to srv (objects are read from srv's object cache). Returns 0. */
int satoken_start(struct satoken *s, struct apiserver *srv);

/* The token_authenticator entry (authn.h) for API requests. */
int satoken_authenticator(void *state, struct apiserver *srv, const char *token,
                          struct user_info *ret, char **ret_why);

/* Appends the Go %q rendering of a string array (`["a" "b"]`) to a malloc'd string. */
char *satoken_quote_list(json_t *arr);

/* Wall-clock milliseconds since the epoch. */
int64_t satoken_now_ms(void);

#endif
