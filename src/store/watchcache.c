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
#include "util/buf.h"
#include "util/err.h"

/* One version of one object: its stored JSON bytes (without resourceVersion), immutable
 * and reference-counted. The object map holds the live version of each key; event entries
 * hold the versions they name (an update's previous value is the same wc_obj the map held,
 * not a copy). The refcount is atomic: list/get callers release outside the cache's lock. */
struct wc_obj {
    int refs;
    uint32_t attrs_len;  /* pre-parsed filter data at the start of data (0: none) */
    int64_t create_rev;
    int64_t mod_rev;
    size_t len;
    char *key;
    char *index;       /* the secondary index's value (in this allocation), or NULL */
    char data[];       /* attrs_len bytes of attributes (next to the header: a selector reads
                          them without touching the value), the value (len bytes + NUL), then
                          the index value and its NUL */
};

/* The object's stored bytes. */
static inline char *wc_value(struct wc_obj *o)
{
    return o->data + o->attrs_len;
}

/* One remembered event; owns object references (the key is obj->key). */
struct wc_entry {
    enum watch_event_type type;
    int64_t rev;
    struct wc_obj *obj;       /* PUT: the new version; DELETE: the deleted version */
    struct wc_obj *prev;      /* the version before the change, or NULL */
    size_t bytes;       /* bytes this entry alone keeps alive (the memory bound's measure) */
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
    /* The object map: every live key's current version, sorted by key. Filled from the
     * store by watchcache_new and kept current by the sink (under mu). */
    struct wc_obj **objs;
    size_t nobjs, capobjs;
    int loaded;             /* objs reflects every event up to rev */
    watchcache_attrs_fn attrs_fn; /* fills each object's attributes and index value, or NULL */
    /* The secondary index: the live objects that have an index value, sorted by (index
     * value, key); same references as objs. */
    struct wc_obj **idx;
    size_t nidx, capidx;
};

static void *wc_xcalloc(size_t n, size_t size)
{
    void *p = xcalloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    return p;
}

static char *wc_xstrndup(const char *s, size_t n)
{
    char *p = xstrndup(s, n);
    return p;
}

/* Per-object overhead besides the JSON bytes (struct, key, map slot), for the byte bound. */
#define WC_OBJ_OVERHEAD 64

static struct wc_obj *wc_obj_new(const struct watchcache *wc, const struct store_kv *kv)
{
    struct buf attrs = BUF_INIT, index = BUF_INIT;
    int indexed = 0;
    if (wc->attrs_fn != NULL && kv->value != NULL) {
        indexed = wc->attrs_fn(kv->key, kv->value, kv->len, &attrs, &index) == 1;
        if (attrs.len > UINT32_MAX)
            attrs.len = 0;
    }
    size_t extra = attrs.len + (indexed ? index.len + 1 : 0);
    struct wc_obj *o = xmalloc(sizeof(*o) + kv->len + 1 + extra);
    o->refs = 1;
    o->attrs_len = (uint32_t)attrs.len;
    if (attrs.len > 0)
        memcpy(o->data, attrs.data, attrs.len);
    o->index = NULL;
    if (indexed) {
        o->index = o->data + attrs.len + kv->len + 1;
        if (index.len > 0)
            memcpy(o->index, index.data, index.len);
        o->index[index.len] = '\0';
    }
    buf_release(&attrs);
    buf_release(&index);
    o->create_rev = kv->create_rev;
    o->mod_rev = kv->mod_rev;
    o->len = kv->len;
    if (kv->len > 0)
        memcpy(wc_value(o), kv->value, kv->len);
    wc_value(o)[kv->len] = '\0';
    o->key = wc_xstrndup(kv->key, strlen(kv->key));
    return o;
}

static struct wc_obj *wc_obj_ref(struct wc_obj *o)
{
    if (o != NULL)
        __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
    return o;
}

static void wc_obj_unref(struct wc_obj *o)
{
    if (o != NULL && __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(o->key);
        free(o);
    }
}

static void wc_entry_release(struct wc_entry *e)
{
    wc_obj_unref(e->obj);
    wc_obj_unref(e->prev);
    memset(e, 0, sizeof(*e));
}

/* Index of the first object whose key is >= key (or > key when after is set). Under mu. */
static size_t wc_lower_bound(const struct watchcache *wc, const char *key, int after)
{
    size_t lo = 0, hi = wc->nobjs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(wc->objs[mid]->key, key);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct wc_obj *wc_map_find(const struct watchcache *wc, const char *key, size_t *ret_i)
{
    size_t i = wc_lower_bound(wc, key, 0);
    *ret_i = i;
    return i < wc->nobjs && strcmp(wc->objs[i]->key, key) == 0 ? wc->objs[i] : NULL;
}

/* Order of the secondary index: index value, then key. */
static int wc_idx_cmp(const struct wc_obj *a, const char *index, const char *key)
{
    int c = strcmp(a->index, index);
    return c != 0 ? c : strcmp(a->key, key);
}

/* First slot of the secondary index at or after (index, key) (after it when after is set). */
static size_t wc_idx_lower_bound(const struct watchcache *wc, const char *index, const char *key,
                                 int after)
{
    size_t lo = 0, hi = wc->nidx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = wc_idx_cmp(wc->idx[mid], index, key);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Adds/removes o (borrowed: the map holds the reference) in the secondary index. Under mu. */
static void wc_idx_add(struct watchcache *wc, struct wc_obj *o)
{
    if (o->index == NULL)
        return;
    if (wc->nidx == wc->capidx) {
        wc->capidx = wc->capidx ? wc->capidx * 2 : 256;
        wc->idx = xrealloc(wc->idx, wc->capidx * sizeof(*wc->idx));
    }
    size_t i = wc_idx_lower_bound(wc, o->index, o->key, 0);
    memmove(&wc->idx[i + 1], &wc->idx[i], (wc->nidx - i) * sizeof(*wc->idx));
    wc->idx[i] = o;
    wc->nidx++;
}

static void wc_idx_del(struct watchcache *wc, struct wc_obj *o)
{
    if (o->index == NULL)
        return;
    size_t i = wc_idx_lower_bound(wc, o->index, o->key, 0);
    if (i < wc->nidx && wc->idx[i] == o) {
        memmove(&wc->idx[i], &wc->idx[i + 1], (wc->nidx - i - 1) * sizeof(*wc->idx));
        wc->nidx--;
    }
}

/* Makes o the live version of its key (taking a reference). Under mu. */
static void wc_map_put(struct watchcache *wc, struct wc_obj *o)
{
    size_t i;
    struct wc_obj *cur = wc_map_find(wc, o->key, &i);
    if (cur != NULL) {
        wc_idx_del(wc, cur);
        wc->objs[i] = wc_obj_ref(o);
        wc_idx_add(wc, o);
        wc_obj_unref(cur);
        return;
    }
    if (wc->nobjs == wc->capobjs) {
        wc->capobjs = wc->capobjs ? wc->capobjs * 2 : 1024;
        wc->objs = xrealloc(wc->objs, wc->capobjs * sizeof(*wc->objs));
    }
    memmove(&wc->objs[i + 1], &wc->objs[i], (wc->nobjs - i) * sizeof(*wc->objs));
    wc->objs[i] = wc_obj_ref(o);
    wc->nobjs++;
    wc_idx_add(wc, o);
}

static void wc_map_del(struct watchcache *wc, const char *key)
{
    size_t i;
    struct wc_obj *cur = wc_map_find(wc, key, &i);
    if (cur == NULL)
        return;
    wc_idx_del(wc, cur);
    memmove(&wc->objs[i], &wc->objs[i + 1], (wc->nobjs - i - 1) * sizeof(*wc->objs));
    wc->nobjs--;
    wc_obj_unref(cur);
}

static void wc_map_apply(struct watchcache *wc, const struct wc_entry *e)
{
    if (e->type == WATCH_DELETED)
        wc_map_del(wc, e->obj->key);
    else
        wc_map_put(wc, e->obj);
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

/* Delivers e to sub, decoding its objects into *obj / *prev on first use (the caller
 * releases them once every subscriber had the event). */
static void wc_deliver(const struct watch_sub *sub, const struct wc_entry *e, json_t **obj,
                       json_t **prev)
{
    if (*obj == NULL) {
        *obj = wc_decode(wc_value(e->obj), e->obj->len, e->rev);
        if (e->prev != NULL)
            *prev = wc_decode(wc_value(e->prev), e->prev->len, e->prev->mod_rev);
    }
    struct watch_event ev = {
        .type = e->type, .rev = e->rev, .key = e->obj->key, .obj = *obj, .prev_obj = *prev,
    };
    sub->cb(sub->arg, &ev);
}

/* Appends e to the window (taking over its references), applies it to the map and delivers
 * it to the subscribers. Under mu. */
static void wc_push(struct watchcache *wc, struct wc_entry e)
{
    if (!wc->started) {
        wc->start_rev = e.rev - 1;
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
    wc->rev = e.rev;
    if (wc->loaded)
        wc_map_apply(wc, slot);
    json_t *obj = NULL, *pobj = NULL;
    for (struct watch_sub *sub = wc->subs; sub != NULL; sub = sub->next)
        if (slot->rev > sub->from_rev && wc_matches(sub, slot->obj->key))
            wc_deliver(sub, slot, &obj, &pobj);
    json_decref(obj);
    json_decref(pobj);
}

/* STORE_EVENT_RELIST: the list replaces the map. Each difference becomes an event at the
 * list's revision (a key gone: DELETED; new: ADDED; another mod_rev: MODIFIED), so the map,
 * the subscribers fed from it (RBAC index, token caches, controllers) and clients' watches
 * all catch up with the changes the store could not replay. Under mu. */
static void wc_relist(struct watchcache *wc, const struct store_list *l, int64_t rev)
{
    if (!wc->loaded) {
        if (rev > wc->rev)
            wc->rev = rev;
        return;
    }
    /* Diff first (the map changes as the events are applied), then push. */
    struct wc_entry *evs = NULL;
    size_t n = 0, cap = 0, i = 0, j = 0;
    while (i < wc->nobjs || j < l->n) {
        int c = i == wc->nobjs ? 1 : j == l->n ? -1 : strcmp(wc->objs[i]->key, l->items[j].key);
        struct wc_entry e = {.rev = rev};
        if (c < 0) {
            e.type = WATCH_DELETED;
            e.obj = wc_obj_ref(wc->objs[i]);
            e.prev = wc_obj_ref(wc->objs[i]);
            e.bytes = WC_OBJ_OVERHEAD;
            i++;
        } else if (c > 0 || wc->objs[i]->mod_rev != l->items[j].mod_rev) {
            e.type = c > 0 ? WATCH_ADDED : WATCH_MODIFIED;
            e.obj = wc_obj_new(wc, &l->items[j]);
            e.prev = c > 0 ? NULL : wc_obj_ref(wc->objs[i]);
            e.bytes = l->items[j].len + WC_OBJ_OVERHEAD;
            if (c == 0)
                i++;
            j++;
        } else {
            i++;
            j++;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            evs = xrealloc(evs, cap * sizeof(*evs));
        }
        evs[n++] = e;
    }
    for (size_t k = 0; k < n; k++)
        wc_push(wc, evs[k]);
    free(evs);
    if (rev > wc->rev)
        wc->rev = rev;
}

static void wc_sink(void *arg, const struct store_event *sev)
{
    struct watchcache *wc = arg;
    struct wc_entry e = {.rev = sev->rev};

    pthread_mutex_lock(&wc->mu);
    if (sev->type == STORE_EVENT_RELIST) {
        if (sev->list != NULL)
            wc_relist(wc, sev->list, sev->rev);
        pthread_mutex_unlock(&wc->mu);
        return;
    }
    /* The previous version: the map's (same bytes, shared) once loaded, else the event's. */
    struct wc_obj *prev = NULL;
    if (sev->prev.key != NULL) {
        size_t i;
        prev = wc->loaded ? wc_map_find(wc, sev->prev.key, &i) : NULL;
        prev = prev != NULL && prev->mod_rev == sev->prev.mod_rev ? wc_obj_ref(prev)
                                                                  : wc_obj_new(wc, &sev->prev);
    }
    switch (sev->type) {
    case STORE_EVENT_PUT:
        e.type = sev->kv.create_rev == sev->rev || sev->prev.key == NULL ? WATCH_ADDED
                                                                         : WATCH_MODIFIED;
        e.obj = wc_obj_new(wc, &sev->kv);
        e.bytes = sev->kv.len + WC_OBJ_OVERHEAD;
        if (e.type != WATCH_ADDED)
            e.prev = prev;
        else
            wc_obj_unref(prev);
        break;
    case STORE_EVENT_DELETE:
        e.type = WATCH_DELETED;
        /* the deleted object is the previous version's bytes */
        if (prev == NULL) {
            struct store_kv kv = sev->kv;
            kv.mod_rev = sev->rev;
            prev = wc_obj_new(wc, &kv);
        }
        e.obj = prev;
        e.prev = wc_obj_ref(prev);
        e.bytes = WC_OBJ_OVERHEAD;
        break;
    case STORE_EVENT_RELIST: /* handled above */
        wc_obj_unref(prev);
        pthread_mutex_unlock(&wc->mu);
        return;
    }
    wc_push(wc, e);
    pthread_mutex_unlock(&wc->mu);
}

/* Fills the object map from the store, then applies the events the sink received meanwhile
 * (those after the list's revision). */
static void wc_load(struct watchcache *wc)
{
    struct store_list l;
    int rc = wc->store->ops->list(wc->store, "", NULL, 0, 0, &l);
    pthread_mutex_lock(&wc->mu);
    if (rc == 0) {
        wc->capobjs = l.n + 1024;
        wc->objs = xrealloc(wc->objs, wc->capobjs * sizeof(*wc->objs));
        for (size_t i = 0; i < l.n; i++) {
            wc->objs[wc->nobjs++] = wc_obj_new(wc, &l.items[i]);
            wc_idx_add(wc, wc->objs[wc->nobjs - 1]);
        }
        for (size_t i = 0; i < wc->count; i++) {
            const struct wc_entry *e = &wc->ring[(wc->head + i) % wc->capacity];
            if (e->rev > l.rev)
                wc_map_apply(wc, e);
        }
        if (!wc->started || wc->rev < l.rev) {
            wc->start_rev = l.rev;
            wc->rev = l.rev;
            wc->started = 1;
        }
        wc->loaded = 1;
        store_list_release(&l);
    }
    pthread_mutex_unlock(&wc->mu);
}

struct watchcache *watchcache_new(struct store *s, size_t capacity)
{
    return watchcache_new_attrs(s, capacity, NULL);
}

struct watchcache *watchcache_new_attrs(struct store *s, size_t capacity, watchcache_attrs_fn fn)
{
    struct watchcache *wc = wc_xcalloc(1, sizeof(*wc));
    wc->store = s;
    wc->attrs_fn = fn;
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
    wc_load(wc);
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
    for (size_t i = 0; i < wc->nobjs; i++)
        wc_obj_unref(wc->objs[i]);
    free(wc->objs);
    free(wc->idx);
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
        if (wc_matches(sub, e->obj->key)) {
            json_t *obj = NULL, *pobj = NULL;
            wc_deliver(sub, e, &obj, &pobj);
            json_decref(obj);
            json_decref(pobj);
        }
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

/* ---- reads from the object map ---------------------------------------------------- */

/* it borrows o (no reference): valid under mu only. */
static void wc_item_view(struct wc_item *it, struct wc_obj *o)
{
    it->key = o->key;
    it->value = wc_value(o);
    it->len = o->len;
    it->create_rev = o->create_rev;
    it->mod_rev = o->mod_rev;
    it->attrs = o->attrs_len > 0 ? o->data : NULL;
    it->attrs_len = o->attrs_len;
    it->ref = NULL;
}

/* As wc_item_view, holding a reference on o (the item outlives mu). */
static void wc_item_fill(struct wc_item *it, struct wc_obj *o)
{
    wc_item_view(it, o);
    it->ref = wc_obj_ref(o);
}

/* Takes mu for a read of the object map: 0 with mu held, or AZ_EUNAVAILABLE (mu not held)
 * before the first load. */
static int wc_lock_loaded(struct watchcache *wc)
{
    pthread_mutex_lock(&wc->mu);
    if (!wc->loaded) {
        pthread_mutex_unlock(&wc->mu);
        return AZ_EUNAVAILABLE;
    }
    return 0;
}

int watchcache_get(struct watchcache *wc, const char *key, struct wc_item *ret, int64_t *ret_rev)
{
    memset(ret, 0, sizeof(*ret));
    if (wc_lock_loaded(wc) != 0)
        return AZ_EUNAVAILABLE;
    if (ret_rev != NULL)
        *ret_rev = wc->rev;
    size_t i;
    struct wc_obj *o = wc_map_find(wc, key, &i);
    if (o != NULL)
        wc_item_fill(ret, o);
    pthread_mutex_unlock(&wc->mu);
    return o != NULL ? 0 : AZ_ENOTFOUND;
}

void watchcache_item_release(struct wc_item *it)
{
    wc_obj_unref(it->ref);
    memset(it, 0, sizeof(*it));
}

/* The map slots [*ret_first, returned end) of the keys under prefix strictly after
 * start_after (NULL: from the start). Under mu. */
static size_t wc_range(const struct watchcache *wc, const char *prefix, const char *start_after,
                       size_t *ret_first)
{
    size_t plen = strlen(prefix);
    size_t first = start_after != NULL && strcmp(start_after, prefix) >= 0
                       ? wc_lower_bound(wc, start_after, 1)
                       : wc_lower_bound(wc, prefix, 0);
    /* the end of the prefix's range, by binary search on "key starts with prefix" */
    size_t lo = first, hi = wc->nobjs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(wc->objs[mid]->key, prefix, plen) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *ret_first = first;
    return lo;
}

int watchcache_list_filtered(struct watchcache *wc, const char *prefix, const char *start_after,
                             watchcache_filter_fn filter, void *arg, struct wc_list *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (wc_lock_loaded(wc) != 0)
        return AZ_EUNAVAILABLE;
    ret->rev = wc->rev;
    size_t first, end = wc_range(wc, prefix, start_after, &first), cap = 0;
    for (size_t i = first; i < end; i++) {
        struct wc_item view;
        wc_item_view(&view, wc->objs[i]);
        if (!filter(arg, &view))
            continue;
        if (ret->n == cap) {
            cap = cap ? cap * 2 : 64;
            ret->items = xrealloc(ret->items, cap * sizeof(*ret->items));
        }
        wc_item_fill(&ret->items[ret->n++], wc->objs[i]);
    }
    pthread_mutex_unlock(&wc->mu);
    if (ret->items == NULL)
        ret->items = wc_xcalloc(1, sizeof(*ret->items));
    return 0;
}

int watchcache_list(struct watchcache *wc, const char *prefix, const char *start_after,
                    size_t limit, struct wc_list *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (wc_lock_loaded(wc) != 0)
        return AZ_EUNAVAILABLE;
    ret->rev = wc->rev;
    size_t first, lo = wc_range(wc, prefix, start_after, &first);
    size_t n = lo - first;
    if (limit > 0 && n > limit) {
        ret->remaining = n - limit;
        n = limit;
    }
    ret->items = xcalloc(n == 0 ? 1 : n, sizeof(*ret->items));
    for (size_t i = 0; i < n; i++)
        wc_item_fill(&ret->items[i], wc->objs[first + i]);
    ret->n = n;
    pthread_mutex_unlock(&wc->mu);
    return 0;
}

int watchcache_list_indexed(struct watchcache *wc, const char *prefix, const char *index,
                            const char *start_after, size_t limit, struct wc_list *ret)
{
    memset(ret, 0, sizeof(*ret));
    size_t plen = strlen(prefix);
    pthread_mutex_lock(&wc->mu);
    if (!wc->loaded || wc->attrs_fn == NULL) {
        pthread_mutex_unlock(&wc->mu);
        return AZ_EUNAVAILABLE;
    }
    ret->rev = wc->rev;
    /* within one index value the slots are in key order: the prefix's keys are one run */
    size_t first = start_after != NULL && strcmp(start_after, prefix) >= 0
                       ? wc_idx_lower_bound(wc, index, start_after, 1)
                       : wc_idx_lower_bound(wc, index, prefix, 0);
    size_t end = first;
    while (end < wc->nidx && strcmp(wc->idx[end]->index, index) == 0 &&
           strncmp(wc->idx[end]->key, prefix, plen) == 0)
        end++;
    size_t n = end - first;
    if (limit > 0 && n > limit) {
        ret->remaining = n - limit;
        n = limit;
    }
    ret->items = wc_xcalloc(n, sizeof(*ret->items));
    for (size_t i = 0; i < n; i++)
        wc_item_fill(&ret->items[i], wc->idx[first + i]);
    ret->n = n;
    pthread_mutex_unlock(&wc->mu);
    return 0;
}

void watchcache_list_release(struct wc_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        wc_obj_unref(l->items[i].ref);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

size_t watchcache_objects(struct watchcache *wc, size_t *ret_bytes)
{
    return watchcache_objects_attrs(wc, ret_bytes, NULL);
}

size_t watchcache_objects_attrs(struct watchcache *wc, size_t *ret_bytes, size_t *ret_attr_bytes)
{
    pthread_mutex_lock(&wc->mu);
    size_t n = wc->nobjs, bytes = 0, abytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += wc->objs[i]->len;
        abytes += wc->objs[i]->attrs_len +
                  (wc->objs[i]->index != NULL ? strlen(wc->objs[i]->index) + 1 : 0);
    }
    pthread_mutex_unlock(&wc->mu);
    if (ret_bytes != NULL)
        *ret_bytes = bytes;
    if (ret_attr_bytes != NULL)
        *ret_attr_bytes = abytes;
    return n;
}
