/* store.h — the storage interface every backend implements (sqlite embedded, etcd later).
 *
 * MODEL
 *   A flat keyspace of byte-string keys ("/registry/<resource>/<namespace>/<name>", or
 *   "/registry/<resource>/<name>" for cluster-scoped kinds) mapping to opaque values (JSON
 *   objects with metadata.resourceVersion removed; the API layer sets it on read from mod_rev).
 *   One global revision counter, starting at 1, incremented by exactly one for every committed
 *   create, update or delete. Like etcd: a key's mod_rev is the revision of its last write,
 *   create_rev the revision that created it.
 *
 *   update and delete are compare-and-swap on mod_rev (expected_rev == 0 means "any").
 *   A write is acknowledged (returns 0) only after it is durable: it survives kill -9.
 *
 *   Every committed change is passed, in revision order, to the event sink set with
 *   store_set_sink (the watch cache), before the write call returns. The sink is called after
 *   commit: sqlite, on the backend's writer thread with the biglock (util/biglock.h) held,
 *   once per write of a group commit, before any writer of the batch is woken; etcd, on the
 *   thread that opened the store (the event loop, woken by the backend's watch thread; see
 *   etcd.h). A sink must not write to the store or set the sink.
 *
 *   Concurrent writes may share one transaction and one fsync (sqlite's group commit); each
 *   is still checked on its own (a failed compare-and-swap fails that write alone) and gets
 *   its own revision. A caller waiting for its commit suspends the biglock meanwhile; a
 *   create_async caller does not wait at all: its completion comes after the sink's call.
 *
 * OWNERSHIP
 *   struct store_kv / store_list / store_event filled by the store own their memory; release
 *   them with store_kv_release / store_list_release / store_event_release.
 *
 * THREADS
 *   All functions may be called from any thread; backends serialise internally.
 */
#ifndef ANZEN_STORE_STORE_H
#define ANZEN_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_kv {
    char *key;          /* NUL-terminated */
    char *value;        /* value bytes, NUL-terminated for convenience (not counted in len) */
    size_t len;         /* value length */
    int64_t create_rev; /* revision that created the key */
    int64_t mod_rev;    /* revision of the last write */
};

struct store_list {
    struct store_kv *items; /* sorted by key, ascending */
    size_t n;
    int64_t rev;      /* the revision the list was read at */
    int more;         /* 1 if items beyond the limit exist */
};

/* STORE_EVENT_RELIST: the backend lost its change history (etcd compacted past the revision
 * its watch had reached); list holds every key at revision rev and replaces what the sink
 * knew. The sink turns the differences into its own changes. kv/prev are empty. */
enum store_event_type { STORE_EVENT_PUT = 1, STORE_EVENT_DELETE = 2, STORE_EVENT_RELIST = 3 };

struct store_event {
    enum store_event_type type;
    int64_t rev;          /* the revision of this change */
    struct store_kv kv;   /* PUT: the new value (kv.mod_rev == rev; kv.create_rev == rev on create).
                             DELETE: key, the value as it was before deletion, mod_rev = rev */
    struct store_kv prev; /* the previous value (PUT of an existing key, DELETE); key NULL if none */
    const struct store_list *list; /* RELIST only: the whole keyspace at rev; else NULL */
};

typedef void (*store_sink_fn)(void *arg, const struct store_event *ev);

/* Completion of store_sync_async: rc 0 (the barrier passed) or a negative code. */
typedef void (*store_sync_done_fn)(void *arg, int rc);

/* Completion of create_async: rc 0 with rev the new revision, or a negative code (rev 0). */
typedef void (*store_write_done_fn)(void *arg, int rc, int64_t rev);

/* Function table of a backend. version is STORE_OPS_VERSION; new members only appended. */
#define STORE_OPS_VERSION 4
struct store_ops {
    int version;
    const char *name;
    /* AZ_ENOTFOUND if absent. */
    int (*get)(struct store *s, const char *key, struct store_kv *ret);
    /* Keys with the given prefix, in key order, strictly after start_after (NULL: from the
     * start), as of revision at_rev (0: current). At most limit items (0: no limit).
     * AZ_EGONE if at_rev is compacted away; AZ_ETIMEOUT if at_rev is newer than the current
     * revision (kube: "Too large resource version"). */
    int (*list)(struct store *s, const char *prefix, const char *start_after, int64_t at_rev,
                size_t limit, struct store_list *ret);
    /* AZ_EEXIST if the key exists. *ret_rev = the new revision. */
    int (*create)(struct store *s, const char *key, const char *value, size_t len, int64_t *ret_rev);
    /* AZ_ENOTFOUND if absent, AZ_ECONFLICT if expected_rev != 0 and != mod_rev. */
    int (*update)(struct store *s, const char *key, const char *value, size_t len,
                  int64_t expected_rev, int64_t *ret_rev);
    /* AZ_ENOTFOUND / AZ_ECONFLICT as update. ret_prev (may be NULL) gets the deleted value. */
    int (*del)(struct store *s, const char *key, int64_t expected_rev, int64_t *ret_rev,
               struct store_kv *ret_prev);
    /* The current (latest committed) revision. */
    int64_t (*current_rev)(struct store *s);
    /* Events with rev > after_rev, at most max (0: no limit), in order. AZ_EGONE if compacted
     * (after_rev below the compaction revision). *ret is released with store_events_free. */
    int (*events_since)(struct store *s, int64_t after_rev, size_t max, struct store_event **ret,
                        size_t *ret_n);
    /* Drop history older than rev (keeps latest value of each key). rev at or below the last
     * compaction: no-op; rev above the current revision: AZ_EINVALID. */
    int (*compact)(struct store *s, int64_t rev);
    void (*set_sink)(struct store *s, store_sink_fn fn, void *arg);
    void (*close)(struct store *s);
    /* --- version 2 (NULL in a backend means "trivially true": 0) --- */
    /* Consistent-read barrier: returns once the sink has received every change committed
     * before the call (through any process sharing the storage). AZ_ETIMEOUT if that did not
     * happen within the backend's request timeout. A cache serving reads without
     * resourceVersion calls this first (upstream 1.31+ consistent reads from cache). */
    int (*sync)(struct store *s);
    /* Health of the storage for /readyz: 0, or a negative code (*ret_reason, may be NULL,
     * gets a malloc'd reason for the log; never secrets). */
    int (*health)(struct store *s, char **ret_reason);
    /* --- version 3 (NULL: sync is called instead) --- */
    /* The consistent-read barrier without blocking the caller (any thread): returns 1 when
     * done(arg, rc) will be called later, on a thread of the backend or on the thread that
     * opened the store, possibly from inside another store call there and possibly before
     * sync_async has returned (so done must only queue work, and the caller must not touch
     * arg after a 1), once every change committed before this call has reached the sink
     * (rc 0) or the request timeout passed (AZ_ETIMEOUT). Returns 0 or a negative code,
     * without calling done, when the barrier was decided at once. Calls that arrive while
     * the backend is learning the revision share the next such round trip (one learned
     * after they arrived). */
    int (*sync_async)(struct store *s, store_sync_done_fn done, void *arg);
    /* --- version 4 (NULL: the backend has no asynchronous write; use create) --- */
    /* create without blocking the caller (any thread): returns 1 when done(arg, rc, rev)
     * will be called later, on a thread of the backend, once the write is durable and its
     * event has reached the sink (rc 0), or failed (AZ_EEXIST as create, ...); key and value
     * must stay valid until then. done must only queue work (it runs on the backend's writer:
     * no store call, no biglock) and may run before create_async has returned. Returns a
     * negative code, without calling done, when the write is refused at once (invalid key,
     * too large, the store closing). */
    int (*create_async)(struct store *s, const char *key, const char *value, size_t len,
                        store_write_done_fn done, void *arg);
};

struct store {
    const struct store_ops *ops;
};

/* Opens (creating if needed) the SQLite store at path. *ret is set on success. On failure
 * returns a negative code and, if ret_errmsg is not NULL, a malloc'd message. */
int store_sqlite_open(const char *path, struct store **ret, char **ret_errmsg);

/* Convenience wrappers around s->ops. */
static inline int store_get(struct store *s, const char *k, struct store_kv *r) { return s->ops->get(s, k, r); }
static inline int store_list(struct store *s, const char *p, const char *after, int64_t rev, size_t limit, struct store_list *r) { return s->ops->list(s, p, after, rev, limit, r); }
static inline int store_create(struct store *s, const char *k, const char *v, size_t n, int64_t *rr) { return s->ops->create(s, k, v, n, rr); }
static inline int store_update(struct store *s, const char *k, const char *v, size_t n, int64_t exp, int64_t *rr) { return s->ops->update(s, k, v, n, exp, rr); }
static inline int store_delete(struct store *s, const char *k, int64_t exp, int64_t *rr, struct store_kv *prev) { return s->ops->del(s, k, exp, rr, prev); }
static inline int64_t store_current_rev(struct store *s) { return s->ops->current_rev(s); }
static inline void store_close(struct store *s) { if (s != NULL) s->ops->close(s); }
static inline int store_events_since(struct store *s, int64_t after, size_t max, struct store_event **r, size_t *rn) { return s->ops->events_since(s, after, max, r, rn); }
static inline int store_compact(struct store *s, int64_t rev) { return s->ops->compact(s, rev); }
static inline int store_sync(struct store *s) { return s->ops->version >= 2 && s->ops->sync ? s->ops->sync(s) : 0; }
static inline int store_sync_async(struct store *s, store_sync_done_fn done, void *arg)
{
    if (s->ops->version >= 3 && s->ops->sync_async != NULL)
        return s->ops->sync_async(s, done, arg);
    return store_sync(s);
}
/* Whether store_sync_async can defer (the barrier costs a round trip: worth not blocking). */
static inline bool store_sync_is_async(struct store *s)
{
    return s->ops->version >= 3 && s->ops->sync_async != NULL;
}
/* Whether store_create_async is available (else a caller uses the blocking store_create). */
static inline bool store_create_is_async(struct store *s)
{
    return s->ops->version >= 4 && s->ops->create_async != NULL;
}
static inline int store_create_async(struct store *s, const char *k, const char *v, size_t n,
                                     store_write_done_fn done, void *arg)
{
    return s->ops->create_async(s, k, v, n, done, arg);
}
static inline int store_health(struct store *s, char **r) { return s->ops->version >= 2 && s->ops->health ? s->ops->health(s, r) : 0; }
static inline void store_set_sink(struct store *s, store_sink_fn fn, void *arg) { s->ops->set_sink(s, fn, arg); }

void store_kv_release(struct store_kv *kv);
void store_list_release(struct store_list *l);
void store_event_release(struct store_event *ev);
void store_events_free(struct store_event *evs, size_t n);

#endif
