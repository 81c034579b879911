/* watchcache.h — in-memory fan-out of store events to watchers (HTTP watches and in-process
 * consumers such as the RBAC index, token-binding index and controllers).
 *
 * The cache is the store's event sink. It keeps the last `capacity` events (at most
 * WC_MAX_BYTES of encoded values, and beyond WC_FLOOR_BYTES only the events of the last
 * 75 s: watchcache.c) in a ring so a
 * watcher can start from any resourceVersion still in the window; an older start revision
 * gives AZ_EGONE (the HTTP layer answers 410 Expired "too old resource version: X (Y)").
 *
 * Events are delivered with the JSON object decoded and metadata.resourceVersion set to the
 * event's revision (for DELETE: the deleted object, resourceVersion = the delete revision).
 * The cache keeps bytes, not trees: objects are decoded for the delivery and released after
 * it; a callback that keeps one must json_incref.
 *
 * Delivery: subscribers' callbacks run synchronously on the thread that committed the write,
 * in revision order, while the cache's lock is held: a callback must not write to the store or
 * (un)subscribe; it should copy/queue what it needs. (The HTTP layer queues into the watch
 * stream.) A callback runs after the object map already shows the event's change.
 *
 * THREADS: watchcache_get, watchcache_list, watchcache_list_filtered, watchcache_list_indexed,
 * watchcache_rev, watchcache_objects(_attrs), watchcache_item_release and
 * watchcache_list_release may be called from any thread without the biglock and never block:
 * they read the last published immutable snapshot of the object map (util/epoch.h read
 * section), so a read sees exactly one revision's map while the sink changes the next one.
 * watchcache_subscribe/_unsubscribe and the sink take the cache's mutex (they may be called
 * from any thread, but a subscriber's callback then runs on the committing thread, which
 * today holds the biglock when the server delivers events). watchcache_new/_free: no other
 * user of the cache.
 */
#ifndef ANZEN_STORE_WATCHCACHE_H
#define ANZEN_STORE_WATCHCACHE_H

#include <jansson.h>
#include <stdint.h>
#include "store/store.h"

struct watchcache;
struct watch_sub;

enum watch_event_type { WATCH_ADDED = 1, WATCH_MODIFIED = 2, WATCH_DELETED = 3 };

struct watch_event {
    enum watch_event_type type;
    int64_t rev;
    const char *key;
    json_t *obj;      /* the object, resourceVersion set (borrowed) */
    json_t *prev_obj; /* the object before the change, or NULL (borrowed) */
};

typedef void (*watch_cb)(void *arg, const struct watch_event *ev);

struct buf;

/* Computes an object's pre-parsed filter data when it enters the cache (called with the
 * cache's lock held, on the writing thread): appends its attributes to attrs (opaque to the
 * cache; empty: none) and returns 1 when the object belongs in the secondary index under the
 * value appended to index (which may be empty), 0 when it does not. When tree is not NULL and
 * the function decoded the value into a JSON object as the cache decodes it for subscribers
 * (jsonfast, else json_loadb with JSON_ALLOW_NUL; no resourceVersion added), it may hand that
 * object over in *tree (a new reference) so the event is not decoded a second time; it leaves
 * *tree NULL otherwise. */
typedef int (*watchcache_attrs_fn)(const char *key, const char *value, size_t len,
                                   struct buf *attrs, struct buf *index, json_t **tree);

/* Creates a cache for store s (installing itself as the store's sink) that remembers the last
 * capacity events. Its window starts at the store's current revision. */
struct watchcache *watchcache_new(struct store *s, size_t capacity);

/* watchcache_new whose objects carry attributes and a secondary index computed by fn. */
struct watchcache *watchcache_new_attrs(struct store *s, size_t capacity, watchcache_attrs_fn fn);
void watchcache_free(struct watchcache *wc);

/* Subscribes to events whose key starts with prefix and whose revision is > from_rev.
 * Events already in the window are delivered synchronously before this returns.
 * from_rev == 0 means "from now". AZ_EGONE if from_rev is older than the window;
 * *ret_oldest (if not NULL) then gets the oldest revision still available. */
int watchcache_subscribe(struct watchcache *wc, const char *prefix, int64_t from_rev, watch_cb cb,
                         void *arg, struct watch_sub **ret, int64_t *ret_oldest);
void watchcache_unsubscribe(struct watchcache *wc, struct watch_sub *sub);

/* The newest revision the cache has seen. */
int64_t watchcache_rev(struct watchcache *wc);

/* The window's clock: CLOCK_MONOTONIC milliseconds (not the server's testing offset: the
 * window's freshness is about real memory, not API time). */
uint64_t watchcache_now_ms(void);
/* Drops the window's events that are no longer fresh at now_ms (older than 75 s, as
 * upstream's eventFreshDuration) while it holds more than its floor (4 MiB of values; see
 * watchcache.c); a watch resuming from before the new window gets AZ_EGONE (410). Returns the
 * bytes dropped; 0 also when the cache is busy (it never waits for the lock). For a periodic
 * caller: after a burst, nothing else shrinks an idle window. Any thread. */
size_t watchcache_expire(struct watchcache *wc, uint64_t now_ms);
/* Testing only: the clock that stamps events as they enter the window (NULL: back to
 * watchcache_now_ms), so a test decides their age without waiting. Set it while no store
 * thread delivers events. */
void watchcache_testing_set_clock(uint64_t (*clock_ms)(void));

/* ---- the object cache ----
 * Every live object is held once, as its stored bytes (JSON without resourceVersion),
 * reference-counted and ordered by key; the event ring points at the same byte strings.
 * Reads see the state at the cache's newest revision. For a consistent read (no
 * resourceVersion) call store_sync() first: every acknowledged write is then in the cache.
 * Items borrow the cache's bytes through a reference: release them (any thread). */
struct wc_item {
    const char *key;
    const char *value;   /* NUL-terminated, len bytes */
    size_t len;
    int64_t create_rev;
    int64_t mod_rev;
    const char *attrs;   /* the object's attributes (watchcache_attrs_fn), or NULL */
    size_t attrs_len;
    uint32_t *memo;      /* a word kept with this version of the object for readers (0 until
                            set): what a reader derived from the immutable value, so the next
                            one need not derive it again (http/server.c: where
                            metadata.resourceVersion goes). Read and write it only with
                            watchcache_item_memo / watchcache_item_set_memo. */
    void *ref;
};

struct wc_list {
    struct wc_item *items; /* sorted by key */
    size_t n;
    int64_t rev;           /* the revision the list reflects */
    size_t remaining;      /* keys under the prefix beyond the limit (0 without limit) */
};

/* The live version of key. AZ_ENOTFOUND; AZ_EUNAVAILABLE if the cache could not be loaded
 * from the store (callers then read the store). *ret_rev (may be NULL): the cache revision. */
int watchcache_get(struct watchcache *wc, const char *key, struct wc_item *ret, int64_t *ret_rev);
void watchcache_item_release(struct wc_item *it);

/* The item's memo word (0: not set), and setting it. Any thread may call these while it holds
 * the item (or, for a list's view, while its read section lasts); concurrent setters must
 * store the same value (it is a function of the immutable value). */
static inline uint32_t watchcache_item_memo(const struct wc_item *it)
{
    return it->memo != NULL ? __atomic_load_n(it->memo, __ATOMIC_RELAXED) : 0;
}

static inline void watchcache_item_set_memo(const struct wc_item *it, uint32_t v)
{
    if (it->memo != NULL)
        __atomic_store_n(it->memo, v, __ATOMIC_RELAXED);
}

/* Keys starting with prefix, strictly after start_after (NULL: from the start), at most
 * limit (0: all) in O(log N + n). AZ_EUNAVAILABLE as watchcache_get. */
int watchcache_list(struct watchcache *wc, const char *prefix, const char *start_after,
                    size_t limit, struct wc_list *ret);
void watchcache_list_release(struct wc_list *l);

/* Decides under the cache's lock whether a candidate it borrows (it->ref is NULL; valid only
 * during the call) goes into a filtered list: nonzero keeps it. Must not call into the cache. */
typedef int (*watchcache_filter_fn)(void *arg, const struct wc_item *it);

/* As watchcache_list without a limit, keeping only the items filter keeps: references are
 * taken on those alone (a selector over all pods touches each object's header and attributes,
 * not its bytes). */
int watchcache_list_filtered(struct watchcache *wc, const char *prefix, const char *start_after,
                             watchcache_filter_fn filter, void *arg, struct wc_list *ret);

/* As watchcache_list, restricted to the objects whose secondary-index value is index (e.g. the
 * pods of one node), in key order, in O(log N + n). AZ_EUNAVAILABLE also when the cache has
 * no attrs_fn. */
int watchcache_list_indexed(struct watchcache *wc, const char *prefix, const char *index,
                            const char *start_after, size_t limit, struct wc_list *ret);

/* Objects held and the sum of their JSON sizes (for the memory model and benches). */
size_t watchcache_objects(struct watchcache *wc, size_t *ret_bytes);

/* watchcache_objects, also giving the bytes of attributes and index values held. */
size_t watchcache_objects_attrs(struct watchcache *wc, size_t *ret_bytes, size_t *ret_attr_bytes);

#endif
