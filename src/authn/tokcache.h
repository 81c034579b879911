/* tokcache.h — the success cache of the ServiceAccount token authenticator (satoken.c): a
 * token that verified recently is recognised again without parsing, RSA or object reads.
 *
 * KEY
 *   (prefix, token): prefix is the target audiences, each followed by a NUL byte; token is
 *   the bearer token (no NUL). The bucket hash is SipHash-2-4 under a random 128-bit key
 *   (RAND_bytes at tokcache_new) of the token's length and its last TOKCACHE_HASH_TAIL bytes:
 *   the signature's tail, unpredictable for tokens we signed (SipHash over all of a ~1 KB
 *   token costs 650 ns on this machine, twice the whole budget of a hit; OpenSSL's EVP_MAC
 *   "SIPHASH" is no faster). The hash only picks the bucket: a hit needs the whole key
 *   (prefix and token) equal, compared in constant time. Only verified tokens are inserted,
 *   so a client cannot plant colliding entries.
 *
 * REVOCATION (dependency generations)
 *   A table of TOKCACHE_GEN_SLOTS counters; an object's store key maps to one slot by a
 *   second keyed hash. The authenticator reads the slots of the objects a token depends on
 *   (ServiceAccount, Secret, Pod, Node) *before* it reads the objects, and the entry keeps
 *   those values; the watch-cache subscription bumps an object's slot on every event for it
 *   (synchronously in the committing thread, after the object cache published the change
 *   and before the write returns). A reader that saw the old generation either read the old
 *   object (its entry is then stale once the bump lands) or already the new one. A hit
 *   requires every kept value to equal the current one, so a change or deletion that any
 *   verification could not have seen makes the very next lookup miss. Slot collisions only
 *   cause extra misses.
 *
 * THREADS / CONCURRENCY (for the multi-loop server; no biglock needed)
 *   Sharded with per-shard locks: TOKCACHE_SHARDS shards, each a mutex over its bucket
 *   chains; lookups and inserts of different tokens rarely meet on one lock, and there is
 *   no global lock. Entries are immutable once inserted and reference-counted (atomic), so a
 *   hit hands out the entry itself: no allocation, no copy. Generations are atomics.
 *   Every function is thread-safe. */
#ifndef ANZEN_AUTHN_TOKCACHE_H
#define ANZEN_AUTHN_TOKCACHE_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "machinery/user.h"

#define TOKCACHE_SHARDS 16          /* power of two */
#define TOKCACHE_BUCKETS 256        /* per shard, power of two */
#define TOKCACHE_GEN_SLOTS 16384    /* power of two */
#define TOKCACHE_MAX_DEPS 4
#define TOKCACHE_HASH_TAIL 32        /* token bytes hashed: 24 signature bytes of entropy */

struct tokcache;

/* One authenticated token. Everything but refs and next is immutable after tokcache_insert
 * (and readable without a lock by whoever holds a reference). */
struct tokcache_entry {
    struct user_info user;       /* without system:authenticated */
    json_t *auds;                /* audiences the token was accepted for (owned) */
    int64_t warnafter_ms;        /* kubernetes.io.warnafter in ms, 0: none */
    int64_t until_ms;            /* usable while now < until_ms */
    uint64_t hash;
    char *key;                   /* prefix bytes then token bytes (owned, NUL-terminated) */
    size_t prefix_len, token_len;
    uint32_t ndeps;
    uint32_t dep_slot[TOKCACHE_MAX_DEPS];
    uint32_t dep_gen[TOKCACHE_MAX_DEPS];
    atomic_uint refs;
    struct tokcache_entry *next; /* shard chain (under the shard's lock) */
};

/* A cache of at most max_entries live entries (0: 8192). Aborts if the random key cannot be
 * drawn. */
struct tokcache *tokcache_new(size_t max_entries);
void tokcache_free(struct tokcache *c);

/* The bucket hash of (prefix, token). */
uint64_t tokcache_hash(const struct tokcache *c, const char *prefix, size_t prefix_len,
                       const char *token, size_t token_len);

/* The live entry for (prefix, token) with a new reference, or NULL. An entry that has expired
 * or whose dependencies changed is dropped on the way. Never allocates. */
struct tokcache_entry *tokcache_lookup(struct tokcache *c, uint64_t hash, const char *prefix,
                                       size_t prefix_len, const char *token, size_t token_len,
                                       int64_t now_ms);

/* A new, unpublished entry (one reference) holding a copy of the key; the caller fills user,
 * auds, warnafter_ms, until_ms and the dependencies (tokcache_entry_add_dep). */
struct tokcache_entry *tokcache_entry_new(uint64_t hash, const char *prefix, size_t prefix_len,
                                          const char *token, size_t token_len);
/* Records that the entry depends on the object at store key; reads the slot's generation now
 * (call before reading the object). Beyond TOKCACHE_MAX_DEPS: ignored, returns AZ_ETOOMANY. */
int tokcache_entry_add_dep(const struct tokcache *c, struct tokcache_entry *e, const char *key,
                           size_t len);
/* Reference counting; the last unref frees (NULL: nothing). */
struct tokcache_entry *tokcache_entry_ref(struct tokcache_entry *e);
void tokcache_entry_unref(struct tokcache_entry *e);

/* Publishes e, taking one reference from the caller; replaces an entry with the same key.
 * A full shard first drops expired and stale entries, then (still full) all of its entries. */
void tokcache_insert(struct tokcache *c, struct tokcache_entry *e, int64_t now_ms);

/* An object at store key changed or went away: entries depending on it stop matching. */
void tokcache_invalidate(struct tokcache *c, const char *key, size_t len);

/* Drops every entry. */
void tokcache_clear(struct tokcache *c);
/* Entries currently held (expired ones included until swept). */
size_t tokcache_size(struct tokcache *c);

#endif
