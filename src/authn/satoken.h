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
 * A success is cached (tokcache.h) for SATOKEN_CACHE_TTL_MS per (target audiences, token),
 * shortened to when the token expires (exp + leeway), when a deleting object's leeway ends,
 * and (legacy tokens) to the next UTC midnight, when the last-used label is due. The entry
 * depends on the objects step 6 read; satoken_start subscribes to ServiceAccount, Secret, Pod
 * and Node events, and any event for one of them makes the very next request verify again,
 * so a deleted SA/Pod/Secret/Node still fails at once. A hit costs a hash of the token's tail,
 * one shard lock and a constant-time compare, and hands out the immutable entry itself.
 *
 * THREADS: satoken_authenticate, satoken_authenticate_ref, satoken_authenticator and
 * satoken_object may be called from any thread without the biglock once satoken_start ran:
 * struct satoken's fields are fixed after identity_init/satoken_start; the success cache is
 * sharded (tokcache.h); signatures are verified with per-thread EVP contexts (jwt.c); the
 * objects of step 6 come from the lock-free object cache (watchcache_get), or, when it
 * cannot serve, from the store (rest_read_key: as safe as the store's reads); token_metric
 * is metrics_sa_token (atomic). Two things it hands to others: a legacy token's last-used
 * label is written through srv->defer (which must accept work from any thread), and
 * revocation runs in the watch cache's subscriber on the committing thread.
 * satoken_start: once, before serving. */
#ifndef ANZEN_AUTHN_SATOKEN_H
#define ANZEN_AUTHN_SATOKEN_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "registry/apiserver.h"
#include "authn/jwt.h"
#include "authn/tokcache.h"
#include "machinery/user.h"

#define SATOKEN_LEGACY_ISSUER "kubernetes/serviceaccount"
#define SATOKEN_LEEWAY_S 60
#define SATOKEN_CACHE_TTL_MS 10000
#define SATOKEN_CACHE_MAX 8192
#define SATOKEN_MAX_AUDIENCES 64
#define SATOKEN_WATCHES 4 /* serviceaccounts, secrets, pods, nodes */

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
    /* counts a token with a warnafter claim: stale = used past it (serviceaccount
     * stale/valid token metrics; cmd/serve.c hands metrics_sa_token), or NULL */
    void (*token_metric)(bool stale);
    struct tokcache *cache;    /* success cache (tokcache_new(SATOKEN_CACHE_MAX)), thread-safe */
    bool cache_armed;          /* revocation events wired (satoken_start): entries are kept */
    struct watch_sub *subs[SATOKEN_WATCHES];
};

/* Authenticates token for the target audiences (array of strings; NULL or empty: the API
 * audiences). Returns 0 with *ret filled (without system:authenticated) and *ret_auds (new
 * array, may be NULL) set; AZ_ENOTFOUND when the token is not a ServiceAccount token of ours;
 * AZ_EUNAUTHORIZED with *ret_err (malloc'd, upstream's text) when it is ours but rejected. */
int satoken_authenticate(struct satoken *s, const char *token, json_t *audiences,
                         struct user_info *ret, json_t **ret_auds, char **ret_err);
/* The same, handing out the cache entry itself (ret->user, ret->auds; immutable) with a
 * reference the caller drops with tokcache_entry_unref. No allocation on a cache hit. */
int satoken_authenticate_ref(struct satoken *s, const char *token, json_t *audiences,
                             struct tokcache_entry **ret, char **ret_err);

/* The object at store key "/registry/<plural>/[<ns>/]<name>", read from the object cache
 * (rest_read_cached), as a new reference, or NULL. */
json_t *satoken_object(struct satoken *s, const char *plural, const char *ns, const char *name);

/* Binds s to srv (objects are read from srv's object cache) and subscribes the success
 * cache's revocation to srv's watch cache (without one, nothing is cached). Returns 0 or
 * AZ_EINTERNAL when a subscription fails. */
int satoken_start(struct satoken *s, struct apiserver *srv);

/* The token_authenticator entry (authn.h) for API requests. */
int satoken_authenticator(void *state, struct apiserver *srv, const char *token,
                          struct user_info *ret, char **ret_why);

#endif
