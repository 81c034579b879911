/* watchcache.c — in-memory fan-out of store events to watchers (see watchcache.h).
 *
 * The cache is the store's sink. Each store event is decoded once into a JSON object with
 * metadata.resourceVersion set, kept in a ring of the last `capacity` events and handed to
 * every subscriber whose prefix matches.
 *
 * Window: the ring holds every event with start_rev < rev <= newest_rev (the store gives one
 * event per revision, in order). A subscriber may start from any from_rev >= start_rev;
 * start_rev is what the HTTP layer prints in "too old resource version: X (Y)" (upstream
 * prints the oldest event's revision minus one, which is the same number).
 *
 * Locking: one mutex guards ring, subscriber list and revisions. The sink, subscribe (with its
 * backlog replay) and unsubscribe all hold it, so a subscriber sees each event exactly once and
 * in order. Callbacks run with it held (and, for live events, with the store's lock held):
 * they must not write to the store or (un)subscribe.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/watchcache.h"
#include "util/err.h"

/* One remembered event; owns key and object references. */
struct wc_entry {
    enum watch_event_type type;
    int64_t rev;
    char *key;
    json_t *obj;
    json_t *prev_obj;
    size_t bytes;       /* encoded size of the values held (the memory bound's measure) */
};

/* Besides the event count, the window is bounded by the encoded size of the values it
 * holds (decoded trees take a few times more): large objects written fast push old events
 * out sooner, and a watch resuming from before the window gets 410 and re-lists, as with
 * upstream's watch cache. */
#define WC_MAX_BYTES (32u * 1024 * 1024)

struct watch_sub {
    struct watch_sub *next;
    char *prefix;       /* "" matches every key */
    size_t prefix_len;
    watch_cb cb;
    void *arg;
    int64_t from_rev;   /* events at or below are not delivered (a from_rev ahead of the cache:
                           etcd replicas list at etcd's revision before the watch delivered it) */
};

struct watchcache {
    struct store *store;
    pthread_mutex_t mu;
    struct wc_entry *ring;  /* capacity slots */
    size_t capacity;
    size_t head;            /* slot of the oldest event */
    size_t count;           /* events in the ring */
    size_t bytes;           /* sum of the entries' bytes */
    int64_t start_rev;      /* events with rev > start_rev are in the ring */
    int64_t rev;            /* newest revision seen */
    int started;            /* start_rev/rev initialised (by new or by the first event) */
    struct watch_sub *subs;
};

static void *wc_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    if (p == NULL)
        abort();
    return p;
}

static char *wc_xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        abort();
    return p;
}

static void wc_entry_release(struct wc_entry *e)
{
    free(e->key);
    json_decref(e->obj);
    json_decref(e->prev_obj);
    memset(e, 0, sizeof(*e));
}

/* Decodes a stored value into an object with metadata.resourceVersion = rev. A value that is
 * not a JSON object gives an object holding only that metadata, so watchers always get an
 * object. Returns a new reference. */
static json_t *wc_decode(const char *value, size_t len, int64_t rev)
{
    json_t *obj = value != NULL ? json_loadb(value, len, JSON_ALLOW_NUL, NULL) : NULL;
    if (!json_is_object(obj)) {
        json_decref(obj);
        obj = json_object();
    }
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) {
        md = json_object();
        json_object_set_new(obj, "metadata", md);
    }
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, rev);
    json_object_set_new(md, "resourceVersion", json_string(buf));
    return obj;
}

static int wc_matches(const struct watch_sub *sub, const char *key)
{
    return strncmp(key, sub->prefix, sub->prefix_len) == 0;
}

static void wc_deliver(const struct watch_sub *sub, const struct wc_entry *e)
{
    struct watch_event ev = {
        .type = e->type, .rev = e->rev, .key = e->key, .obj = e->obj, .prev_obj = e->prev_obj,
    };
    sub->cb(sub->arg, &ev);
}

static void wc_sink(void *arg, const struct store_event *sev)
{
    struct watchcache *wc = arg;
    struct wc_entry e = {.rev = sev->rev, .bytes = sev->kv.len + sev->prev.len};

    switch (sev->type) {
    case STORE_EVENT_PUT:
        e.type = sev->kv.create_rev == sev->rev || sev->prev.key == NULL ? WATCH_ADDED
                                                                         : WATCH_MODIFIED;
        break;
    case STORE_EVENT_DELETE:
        e.type = WATCH_DELETED;
        break;
    }
    e.key = wc_xstrndup(sev->kv.key, strlen(sev->kv.key));
    e.obj = wc_decode(sev->kv.value, sev->kv.len, sev->rev);
    if (sev->prev.key != NULL && e.type != WATCH_ADDED)
        e.prev_obj = wc_decode(sev->prev.value, sev->prev.len, sev->prev.mod_rev);

    pthread_mutex_lock(&wc->mu);
    if (!wc->started) {
        wc->start_rev = sev->rev - 1;
        wc->started = 1;
    }
    while (wc->count > 0 && (wc->count == wc->capacity || wc->bytes + e.bytes > WC_MAX_BYTES)) {
        struct wc_entry *old = &wc->ring[wc->head];
        wc->start_rev = old->rev;
        wc->bytes -= old->bytes;
        wc_entry_release(old);
        wc->head = (wc->head + 1) % wc->capacity;
        wc->count--;
    }
    struct wc_entry *slot = &wc->ring[(wc->head + wc->count) % wc->capacity];
    *slot = e;
    wc->count++;
    wc->bytes += e.bytes;
    wc->rev = sev->rev;
    for (struct watch_sub *sub = wc->subs; sub != NULL; sub = sub->next)
        if (slot->rev > sub->from_rev && wc_matches(sub, slot->key))
            wc_deliver(sub, slot);
    pthread_mutex_unlock(&wc->mu);
}

struct watchcache *watchcache_new(struct store *s, size_t capacity)
{
    struct watchcache *wc = wc_xcalloc(1, sizeof(*wc));
    wc->store = s;
    wc->capacity = capacity == 0 ? 1 : capacity;
    wc->ring = wc_xcalloc(wc->capacity, sizeof(*wc->ring));
    pthread_mutex_init(&wc->mu, NULL);

    /* Install first, then read the revision: a write committed after set_sink reaches the
     * sink (which then initialises the window itself); every write up to the revision read
     * below has finished its sink call, since the store calls the sink under its lock. The
     * cache lock is not held while calling into the store (the store's lock is taken first
     * on the write path). */
    s->ops->set_sink(s, wc_sink, wc);
    int64_t cur = s->ops->current_rev(s);
    pthread_mutex_lock(&wc->mu);
    if (!wc->started) {
        wc->start_rev = cur;
        wc->rev = cur;
        wc->started = 1;
    }
    pthread_mutex_unlock(&wc->mu);
    return wc;
}

void watchcache_free(struct watchcache *wc)
{
    if (wc == NULL)
        return;
    wc->store->ops->set_sink(wc->store, NULL, NULL);
    for (size_t i = 0; i < wc->count; i++)
        wc_entry_release(&wc->ring[(wc->head + i) % wc->capacity]);
    free(wc->ring);
    while (wc->subs != NULL) {
        struct watch_sub *next = wc->subs->next;
        free(wc->subs->prefix);
        free(wc->subs);
        wc->subs = next;
    }
    pthread_mutex_destroy(&wc->mu);
    free(wc);
}

int watchcache_subscribe(struct watchcache *wc, const char *prefix, int64_t from_rev, watch_cb cb,
                         void *arg, struct watch_sub **ret, int64_t *ret_oldest)
{
    if (cb == NULL || from_rev < 0)
        return AZ_EINVALID;
    if (prefix == NULL)
        prefix = "";

    pthread_mutex_lock(&wc->mu);
    if (from_rev == 0)
        from_rev = wc->rev;
    if (from_rev < wc->start_rev) {
        if (ret_oldest != NULL)
            *ret_oldest = wc->start_rev;
        pthread_mutex_unlock(&wc->mu);
        return AZ_EGONE;
    }
    struct watch_sub *sub = wc_xcalloc(1, sizeof(*sub));
    sub->prefix_len = strlen(prefix);
    sub->prefix = wc_xstrndup(prefix, sub->prefix_len);
    sub->cb = cb;
    sub->arg = arg;
    sub->from_rev = from_rev;

    /* Backlog: the ring is in revision order; binary-search the first event after from_rev. */
    size_t lo = 0, hi = wc->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (wc->ring[(wc->head + mid) % wc->capacity].rev > from_rev)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (size_t i = lo; i < wc->count; i++) {
        const struct wc_entry *e = &wc->ring[(wc->head + i) % wc->capacity];
        if (wc_matches(sub, e->key))
            wc_deliver(sub, e);
    }
    sub->next = wc->subs;
    wc->subs = sub;
    pthread_mutex_unlock(&wc->mu);
    *ret = sub;
    return 0;
}

void watchcache_unsubscribe(struct watchcache *wc, struct watch_sub *sub)
{
    if (sub == NULL)
        return;
    pthread_mutex_lock(&wc->mu);
    for (struct watch_sub **p = &wc->subs; *p != NULL; p = &(*p)->next) {
        if (*p == sub) {
            *p = sub->next;
            break;
        }
    }
    pthread_mutex_unlock(&wc->mu);
    free(sub->prefix);
    free(sub);
}

int64_t watchcache_rev(struct watchcache *wc)
{
    pthread_mutex_lock(&wc->mu);
    int64_t rev = wc->rev;
    pthread_mutex_unlock(&wc->mu);
    return rev;
}
