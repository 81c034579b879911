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
 * in order. Callbacks run with it held (and, for live events, on the store's delivering
 * thread — SQLite: its writer, with the biglock held): they must not write to the store or
 * (un)subscribe.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/watchcache.h"
#include "util/buf.h"
#include "util/epoch.h"
#include "util/err.h"
#include "util/jsonfast.h"

/* One version of one object: its stored JSON bytes (without resourceVersion), immutable
 * and reference-counted. The object map holds the live version of each key; event entries
 * hold the versions they name (an update's previous value is the same wc_obj the map held,
 * not a copy). The refcount is atomic: list/get callers release outside the cache's lock. */
struct wc_obj {
    int refs;
    uint32_t attrs_len;  /* pre-parsed filter data at the start of data (0: none) */
    uint32_t memo;       /* readers' word about the immutable value (wc_item.memo), 0: none yet */
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
    uint64_t at_ms;     /* when it entered the window (watchcache_now_ms) */
};

/* Besides the event count, the window is bounded by the encoded size of the values it
 * holds (decoded trees take a few times more): large objects written fast push old events
 * out sooner, and a watch resuming from before the window gets 410 and re-lists, as with
 * upstream's watch cache. */
#define WC_MAX_BYTES (32u * 1024 * 1024)

/* Freshness, as upstream's watch cache sizes its window by eventFreshDuration (75 s: it
 * grows while its oldest event is younger, shrinks toward its lower bound when most of it is
 * older): events younger than WC_FRESH_MS stay (within the bounds above); older ones leave
 * the window once it holds more than WC_FLOOR_BYTES, at the next event or at
 * watchcache_expire. So a burst of large writes is kept while watchers may still resume from
 * it, and memory goes back to the floor about a minute after the burst. */
#define WC_FRESH_MS 75000
#define WC_FLOOR_BYTES (4u * 1024 * 1024)

struct watch_sub {
    struct watch_sub *next;
    char *prefix;       /* "" matches every key */
    size_t prefix_len;
    watch_cb cb;
    void *arg;
    int64_t from_rev;   /* events at or below are not delivered (a from_rev ahead of the cache:
                           etcd replicas list at etcd's revision before the watch delivered it) */
};

struct wc_snap;

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
    /* The object map (every live key's current version, by key, and the secondary index),
     * as the last published immutable snapshot: NULL until the first load, then kept current
     * by the sink (changed under mu, read by anyone without it). */
    _Atomic(struct wc_snap *) snap;
    atomic_int loaded;      /* snap reflects every event up to rev (set once) */
    watchcache_attrs_fn attrs_fn; /* fills each object's attributes and index value, or NULL */
};

/* Sets the newest revision (under mu; watchcache_rev reads it without). */
static void wc_set_rev(struct watchcache *wc, int64_t rev)
{
    __atomic_store_n(&wc->rev, rev, __ATOMIC_RELEASE);
}

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

/* A new cached version of kv. With tree not NULL, *tree receives the attributes function's
 * decoded object when it handed one over (see watchcache_attrs_fn), else NULL. */
static struct wc_obj *wc_obj_new(const struct watchcache *wc, const struct store_kv *kv,
                                 json_t **tree)
{
    struct buf attrs = BUF_INIT, index = BUF_INIT;
    int indexed = 0;
    if (tree != NULL)
        *tree = NULL;
    if (wc->attrs_fn != NULL && kv->value != NULL) {
        indexed = wc->attrs_fn(kv->key, kv->value, kv->len, &attrs, &index, tree) == 1;
        if (attrs.len > UINT32_MAX)
            attrs.len = 0;
    }
    size_t extra = attrs.len + (indexed ? index.len + 1 : 0);
    struct wc_obj *o = xmalloc(sizeof(*o) + kv->len + 1 + extra);
    o->refs = 1;
    o->attrs_len = (uint32_t)attrs.len;
    o->memo = 0;
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

/* ---- the object map: immutable snapshots --------------------------------------------------
 * The live objects are kept in two ordered sequences: by key (every live object; it holds
 * their references) and by (index value, key) (the objects with an index value; borrowed).
 * A sequence is an array of chunks of at most WC_CHUNK object pointers, with the count of
 * objects before each chunk, so a position is found in O(log N) and a range is walked in
 * order. Nothing published is ever changed: the writer (the sink, under mu) copies the chunk
 * it changes and the two small top-level arrays, publishes a new snapshot with an atomic
 * pointer swap and retires what the old one alone used (chunks, arrays, the references of
 * replaced objects) through util/epoch.h. Readers load the snapshot inside an epoch read
 * section and take references on the objects they return: they never lock and never wait
 * for a writer. */

#define WC_CHUNK 128

struct wc_chunk {
    size_t n;
    struct wc_obj *o[WC_CHUNK];
};

struct wc_seq {
    struct wc_chunk **c;   /* nc chunks, none empty */
    size_t *before;        /* nc + 1 entries: objects in the chunks before chunk i */
    size_t nc;
};

struct wc_snap {
    int64_t rev;           /* the revision the map reflects */
    struct wc_seq keys;    /* every live object, by key (owns one reference on each) */
    struct wc_seq idx;     /* the objects with an index value, by (index value, key) */
};

/* A position in a sequence: chunk ci, slot off (ci == nc: the end). */
struct wc_pos {
    size_t ci, off;
};

static inline size_t seq_len(const struct wc_seq *s)
{
    return s->nc == 0 ? 0 : s->before[s->nc];
}

static inline size_t seq_index(const struct wc_seq *s, struct wc_pos p)
{
    return p.ci >= s->nc ? seq_len(s) : s->before[p.ci] + p.off;
}

static inline struct wc_obj *seq_at(const struct wc_seq *s, struct wc_pos p)
{
    return p.ci < s->nc ? s->c[p.ci]->o[p.off] : NULL;
}

static inline void seq_next(const struct wc_seq *s, struct wc_pos *p)
{
    if (++p->off >= s->c[p->ci]->n) {
        p->ci++;
        p->off = 0;
    }
}

/* The first position whose object does not satisfy before(o, arg); before must hold for a
 * prefix of the sequence. */
typedef int (*wc_before_fn)(const struct wc_obj *o, const void *arg);

static struct wc_pos seq_partition(const struct wc_seq *s, wc_before_fn before, const void *arg)
{
    size_t lo = 0, hi = s->nc;
    while (lo < hi) { /* first chunk whose last object is not before */
        size_t mid = lo + (hi - lo) / 2;
        if (before(s->c[mid]->o[s->c[mid]->n - 1], arg))
            lo = mid + 1;
        else
            hi = mid;
    }
    struct wc_pos p = {lo, 0};
    if (lo == s->nc)
        return p;
    const struct wc_chunk *c = s->c[lo];
    size_t a = 0, b = c->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (before(c->o[mid], arg))
            a = mid + 1;
        else
            b = mid;
    }
    p.off = a;
    return p;
}

struct wc_probe {
    const char *index; /* the secondary index's order only */
    const char *key;
    size_t plen;       /* prefix_end only */
    int after;         /* also the equal one is before */
};

static int before_key(const struct wc_obj *o, const void *arg)
{
    const struct wc_probe *p = arg;
    int c = strcmp(o->key, p->key);
    return c < 0 || (p->after && c == 0);
}

/* Keys up to and including those starting with the prefix p->key. */
static int before_prefix_end(const struct wc_obj *o, const void *arg)
{
    const struct wc_probe *p = arg;
    return strncmp(o->key, p->key, p->plen) <= 0;
}

/* Order of the secondary index: index value, then key. */
static int before_idx(const struct wc_obj *o, const void *arg)
{
    const struct wc_probe *p = arg;
    int c = strcmp(o->index, p->index);
    if (c == 0)
        c = strcmp(o->key, p->key);
    return c < 0 || (p->after && c == 0);
}

/* The object with exactly key, or NULL; *ret_pos: where it is or would be. */
static struct wc_obj *seq_find(const struct wc_seq *s, const char *key, struct wc_pos *ret_pos)
{
    struct wc_probe probe = {.key = key};
    struct wc_pos p = seq_partition(s, before_key, &probe);
    *ret_pos = p;
    struct wc_obj *o = seq_at(s, p);
    return o != NULL && strcmp(o->key, key) == 0 ? o : NULL;
}

/* ---- the writer's side: copy-on-write changes, collected garbage ---- */

/* What the previous snapshot alone used: freed (objects: unreferenced) after a grace
 * period. */
struct wc_garbage {
    void **mem;
    size_t nmem, capmem;
    struct wc_obj **objs;
    size_t nobjs, capobjs;
};

static void garbage_mem(struct wc_garbage *g, void *p)
{
    if (p == NULL)
        return;
    if (g->nmem == g->capmem) {
        g->capmem = g->capmem ? g->capmem * 2 : 8;
        g->mem = xrealloc(g->mem, g->capmem * sizeof(*g->mem));
    }
    g->mem[g->nmem++] = p;
}

static void garbage_obj(struct wc_garbage *g, struct wc_obj *o)
{
    if (g->nobjs == g->capobjs) {
        g->capobjs = g->capobjs ? g->capobjs * 2 : 4;
        g->objs = xrealloc(g->objs, g->capobjs * sizeof(*g->objs));
    }
    g->objs[g->nobjs++] = o;
}

static void wc_obj_unref(struct wc_obj *o);

static void garbage_free(void *arg)
{
    struct wc_garbage *g = arg;
    for (size_t i = 0; i < g->nmem; i++)
        free(g->mem[i]);
    for (size_t i = 0; i < g->nobjs; i++)
        wc_obj_unref(g->objs[i]);
    free(g->mem);
    free(g->objs);
    free(g);
}

/* Recomputes before[] from chunk from on. */
static void seq_count(struct wc_seq *s, size_t from)
{
    if (from == 0)
        s->before[0] = 0;
    for (size_t i = from == 0 ? 0 : from - 1; i < s->nc; i++)
        s->before[i + 1] = s->before[i] + s->c[i]->n;
}

/* Gives s its own top-level arrays with room for nc + extra chunks (the old ones go to g). */
static void seq_own(struct wc_seq *s, size_t extra, struct wc_garbage *g)
{
    struct wc_chunk **c = xmalloc((s->nc + extra + 1) * sizeof(*c));
    size_t *before = xmalloc((s->nc + extra + 1) * sizeof(*before));
    if (s->nc > 0) {
        memcpy(c, s->c, s->nc * sizeof(*c));
        memcpy(before, s->before, (s->nc + 1) * sizeof(*before));
    } else {
        before[0] = 0;
    }
    garbage_mem(g, s->c);
    garbage_mem(g, s->before);
    s->c = c;
    s->before = before;
}

static struct wc_chunk *chunk_copy(const struct wc_chunk *c)
{
    struct wc_chunk *n = xmalloc(sizeof(*n));
    n->n = c->n;
    memcpy(n->o, c->o, c->n * sizeof(*c->o));
    return n;
}

/* Inserts o at p. */
static void seq_insert(struct wc_seq *s, struct wc_pos p, struct wc_obj *o, struct wc_garbage *g)
{
    seq_own(s, 1, g);
    if (s->nc == 0) {
        struct wc_chunk *c = xmalloc(sizeof(*c));
        c->n = 1;
        c->o[0] = o;
        s->c[0] = c;
        s->nc = 1;
        seq_count(s, 0);
        return;
    }
    if (p.ci == s->nc) { /* the end: append to the last chunk */
        p.ci = s->nc - 1;
        p.off = s->c[p.ci]->n;
    }
    const struct wc_chunk *old = s->c[p.ci];
    garbage_mem(g, (void *)old);
    if (old->n < WC_CHUNK) {
        struct wc_chunk *c = xmalloc(sizeof(*c));
        memcpy(c->o, old->o, p.off * sizeof(*c->o));
        c->o[p.off] = o;
        memcpy(&c->o[p.off + 1], &old->o[p.off], (old->n - p.off) * sizeof(*c->o));
        c->n = old->n + 1;
        s->c[p.ci] = c;
        seq_count(s, p.ci);
        return;
    }
    /* full: split into two halves */
    struct wc_obj *all[WC_CHUNK + 1];
    memcpy(all, old->o, p.off * sizeof(*all));
    all[p.off] = o;
    memcpy(&all[p.off + 1], &old->o[p.off], (old->n - p.off) * sizeof(*all));
    size_t half = (WC_CHUNK + 1) / 2;
    struct wc_chunk *a = xmalloc(sizeof(*a)), *b = xmalloc(sizeof(*b));
    a->n = half;
    memcpy(a->o, all, half * sizeof(*all));
    b->n = WC_CHUNK + 1 - half;
    memcpy(b->o, &all[half], b->n * sizeof(*all));
    memmove(&s->c[p.ci + 2], &s->c[p.ci + 1], (s->nc - p.ci - 1) * sizeof(*s->c));
    s->c[p.ci] = a;
    s->c[p.ci + 1] = b;
    s->nc++;
    seq_count(s, p.ci);
}

/* Replaces the object at p (which must exist) by o. */
static void seq_replace(struct wc_seq *s, struct wc_pos p, struct wc_obj *o, struct wc_garbage *g)
{
    seq_own(s, 0, g);
    garbage_mem(g, s->c[p.ci]);
    struct wc_chunk *c = chunk_copy(s->c[p.ci]);
    c->o[p.off] = o;
    s->c[p.ci] = c;
}

/* Removes the object at p (which must exist). */
static void seq_remove(struct wc_seq *s, struct wc_pos p, struct wc_garbage *g)
{
    seq_own(s, 0, g);
    const struct wc_chunk *old = s->c[p.ci];
    garbage_mem(g, (void *)old);
    if (old->n == 1) {
        memmove(&s->c[p.ci], &s->c[p.ci + 1], (s->nc - p.ci - 1) * sizeof(*s->c));
        s->nc--;
        seq_count(s, p.ci);
        return;
    }
    struct wc_chunk *c = xmalloc(sizeof(*c));
    memcpy(c->o, old->o, p.off * sizeof(*c->o));
    memcpy(&c->o[p.off], &old->o[p.off + 1], (old->n - p.off - 1) * sizeof(*c->o));
    c->n = old->n - 1;
    s->c[p.ci] = c;
    seq_count(s, p.ci);
}

/* Builds a sequence from n objects already in its order. */
static void seq_build(struct wc_seq *s, struct wc_obj **objs, size_t n)
{
    s->nc = (n + WC_CHUNK - 1) / WC_CHUNK;
    s->c = xmalloc((s->nc + 1) * sizeof(*s->c));
    s->before = xmalloc((s->nc + 1) * sizeof(*s->before));
    for (size_t i = 0; i < s->nc; i++) {
        struct wc_chunk *c = xmalloc(sizeof(*c));
        c->n = n - i * WC_CHUNK < WC_CHUNK ? n - i * WC_CHUNK : WC_CHUNK;
        memcpy(c->o, &objs[i * WC_CHUNK], c->n * sizeof(*objs));
        s->c[i] = c;
    }
    seq_count(s, 0);
}

static void seq_free(struct wc_seq *s)
{
    for (size_t i = 0; i < s->nc; i++)
        free(s->c[i]);
    free(s->c);
    free(s->before);
}

static void idx_probe(struct wc_probe *p, const struct wc_obj *o)
{
    memset(p, 0, sizeof(*p));
    p->index = o->index;
    p->key = o->key;
}

static int idx_cmp(const void *a, const void *b)
{
    const struct wc_obj *x = *(struct wc_obj *const *)a, *y = *(struct wc_obj *const *)b;
    int c = strcmp(x->index, y->index);
    return c != 0 ? c : strcmp(x->key, y->key);
}

/* The writer's next snapshot: starts as a copy of the published one's header. */
struct wc_change {
    struct wc_snap *next;
    struct wc_garbage *g;
};

/* Begins a change of the published snapshot (under mu, loaded). */
static void wc_change_begin(struct watchcache *wc, struct wc_change *ch)
{
    struct wc_snap *cur = atomic_load_explicit(&wc->snap, memory_order_relaxed);
    ch->next = xmalloc(sizeof(*ch->next));
    *ch->next = *cur;
    ch->g = xcalloc(1, sizeof(*ch->g));
    garbage_mem(ch->g, cur);
}

/* Publishes the change; what only the old snapshot used is freed after the grace period. */
static void wc_change_publish(struct watchcache *wc, struct wc_change *ch)
{
    ch->next->rev = wc->rev;
    atomic_store(&wc->snap, ch->next);
    epoch_retire(garbage_free, ch->g);
}

/* Makes o the live version of its key (taking a reference). Under mu, loaded. */
static void wc_map_put(struct watchcache *wc, struct wc_obj *o)
{
    struct wc_change ch;
    wc_change_begin(wc, &ch);
    struct wc_snap *s = ch.next;
    struct wc_pos p;
    struct wc_probe probe;
    struct wc_obj *cur = seq_find(&s->keys, o->key, &p);
    if (cur != NULL)
        seq_replace(&s->keys, p, wc_obj_ref(o), ch.g);
    else
        seq_insert(&s->keys, p, wc_obj_ref(o), ch.g);
    if (cur != NULL && cur->index != NULL) {
        idx_probe(&probe, cur);
        seq_remove(&s->idx, seq_partition(&s->idx, before_idx, &probe), ch.g);
    }
    if (o->index != NULL) {
        idx_probe(&probe, o);
        seq_insert(&s->idx, seq_partition(&s->idx, before_idx, &probe), o, ch.g);
    }
    if (cur != NULL)
        garbage_obj(ch.g, cur);
    wc_change_publish(wc, &ch);
}

static void wc_map_del(struct watchcache *wc, const char *key)
{
    struct wc_snap *cur_snap = atomic_load_explicit(&wc->snap, memory_order_relaxed);
    struct wc_pos p;
    if (seq_find(&cur_snap->keys, key, &p) == NULL)
        return;
    struct wc_change ch;
    wc_change_begin(wc, &ch);
    struct wc_snap *s = ch.next;
    struct wc_obj *cur = seq_at(&s->keys, p);
    seq_remove(&s->keys, p, ch.g);
    if (cur->index != NULL) {
        struct wc_probe probe;
        idx_probe(&probe, cur);
        seq_remove(&s->idx, seq_partition(&s->idx, before_idx, &probe), ch.g);
    }
    garbage_obj(ch.g, cur);
    wc_change_publish(wc, &ch);
}

/* Publishes the map again when only the revision moved (a relist with no differences). */
static void wc_map_touch(struct watchcache *wc)
{
    struct wc_snap *cur = atomic_load_explicit(&wc->snap, memory_order_relaxed);
    if (cur == NULL || cur->rev == wc->rev)
        return;
    struct wc_change ch;
    wc_change_begin(wc, &ch);
    wc_change_publish(wc, &ch);
}

static void wc_map_apply(struct watchcache *wc, const struct wc_entry *e)
{
    if (e->type == WATCH_DELETED)
        wc_map_del(wc, e->obj->key);
    else
        wc_map_put(wc, e->obj);
}

/* obj (a decoded stored value, a reference taken over; NULL or not an object gives an object
 * holding only the metadata, so watchers always get an object) with metadata.resourceVersion
 * = rev. Returns a new reference. */
static json_t *wc_decoded(json_t *obj, int64_t rev)
{
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

/* Decodes a stored value into an object with metadata.resourceVersion = rev (wc_decoded). */
static json_t *wc_decode(const char *value, size_t len, int64_t rev)
{
    return wc_decoded(value != NULL ? jsonfast_load_stored(value, len) : NULL, rev);
}

static int wc_matches(const struct watch_sub *sub, const char *key)
{
    return strncmp(key, sub->prefix, sub->prefix_len) == 0;
}

/* Delivers e to sub, decoding its objects into *obj / *prev on first use (the caller
 * releases them once every subscriber had the event; *obj may come decoded already). */
static void wc_deliver(const struct watch_sub *sub, const struct wc_entry *e, json_t **obj,
                       json_t **prev)
{
    if (*obj == NULL)
        *obj = wc_decode(wc_value(e->obj), e->obj->len, e->rev);
    if (*prev == NULL && e->prev != NULL)
        *prev = wc_decode(wc_value(e->prev), e->prev->len, e->prev->mod_rev);
    struct watch_event ev = {
        .type = e->type, .rev = e->rev, .key = e->obj->key, .obj = *obj, .prev_obj = *prev,
    };
    sub->cb(sub->arg, &ev);
}

/* Drops the window's oldest event. Under mu, count > 0. */
static void wc_drop_oldest(struct watchcache *wc)
{
    struct wc_entry *old = &wc->ring[wc->head];
    wc->start_rev = old->rev;
    wc->bytes -= old->bytes;
    wc_entry_release(old);
    wc->head = (wc->head + 1) % wc->capacity;
    wc->count--;
}

/* Drops events older than WC_FRESH_MS at now_ms while the window holds more than
 * WC_FLOOR_BYTES. Returns the bytes dropped. Under mu. */
static size_t wc_drop_stale(struct watchcache *wc, uint64_t now_ms)
{
    size_t before = wc->bytes;
    while (wc->count > 0 && wc->bytes > WC_FLOOR_BYTES && wc->ring[wc->head].at_ms + WC_FRESH_MS < now_ms)
        wc_drop_oldest(wc);
    return before - wc->bytes;
}

uint64_t watchcache_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t (*wc__clock)(void) = watchcache_now_ms;

void watchcache_testing_set_clock(uint64_t (*clock_ms)(void))
{
    wc__clock = clock_ms != NULL ? clock_ms : watchcache_now_ms;
}

size_t watchcache_expire(struct watchcache *wc, uint64_t now_ms)
{
    if (pthread_mutex_trylock(&wc->mu) != 0)
        return 0;
    size_t dropped = wc_drop_stale(wc, now_ms);
    pthread_mutex_unlock(&wc->mu);
    return dropped;
}

/* Appends e to the window (taking over its references), applies it to the map and delivers
 * it to the subscribers. tree: e.obj's value decoded already (wc_obj_new's), a reference taken
 * over, or NULL. Under mu. */
static void wc_push(struct watchcache *wc, struct wc_entry e, json_t *tree)
{
    if (!wc->started) {
        wc->start_rev = e.rev - 1;
        wc->started = 1;
    }
    e.at_ms = wc__clock();
    while (wc->count > 0 && (wc->count == wc->capacity || wc->bytes + e.bytes > WC_MAX_BYTES))
        wc_drop_oldest(wc);
    wc_drop_stale(wc, e.at_ms);
    struct wc_entry *slot = &wc->ring[(wc->head + wc->count) % wc->capacity];
    *slot = e;
    wc->count++;
    wc->bytes += e.bytes;
    wc_set_rev(wc, e.rev);
    if (atomic_load_explicit(&wc->snap, memory_order_relaxed) != NULL)
        wc_map_apply(wc, slot);
    json_t *obj = NULL, *pobj = NULL;
    for (struct watch_sub *sub = wc->subs; sub != NULL; sub = sub->next)
        if (slot->rev > sub->from_rev && wc_matches(sub, slot->obj->key)) {
            if (obj == NULL && tree != NULL) {
                obj = wc_decoded(tree, slot->rev);
                tree = NULL;
            }
            wc_deliver(sub, slot, &obj, &pobj);
        }
    json_decref(tree);
    json_decref(obj);
    json_decref(pobj);
}

/* STORE_EVENT_RELIST: the list replaces the map. Each difference becomes an event at the
 * list's revision (a key gone: DELETED; new: ADDED; another mod_rev: MODIFIED), so the map,
 * the subscribers fed from it (RBAC index, token caches, controllers) and clients' watches
 * all catch up with the changes the store could not replay. Under mu. */
static void wc_relist(struct watchcache *wc, const struct store_list *l, int64_t rev)
{
    struct wc_snap *snap = atomic_load_explicit(&wc->snap, memory_order_relaxed);
    if (snap == NULL) {
        if (rev > wc->rev)
            wc_set_rev(wc, rev);
        return;
    }
    /* Diff first (the map changes as the events are applied), then push. */
    struct wc_entry *evs = NULL;
    size_t n = 0, cap = 0, j = 0;
    struct wc_pos i = {0, 0};
    struct wc_obj *o;
    while ((o = seq_at(&snap->keys, i)) != NULL || j < l->n) {
        int c = o == NULL ? 1 : j == l->n ? -1 : strcmp(o->key, l->items[j].key);
        struct wc_entry e = {.rev = rev};
        if (c < 0) {
            e.type = WATCH_DELETED;
            e.obj = wc_obj_ref(o);
            e.prev = wc_obj_ref(o);
            e.bytes = WC_OBJ_OVERHEAD;
            seq_next(&snap->keys, &i);
        } else if (c > 0 || o->mod_rev != l->items[j].mod_rev) {
            e.type = c > 0 ? WATCH_ADDED : WATCH_MODIFIED;
            e.obj = wc_obj_new(wc, &l->items[j], NULL);
            e.prev = c > 0 ? NULL : wc_obj_ref(o);
            e.bytes = l->items[j].len + WC_OBJ_OVERHEAD;
            if (c == 0)
                seq_next(&snap->keys, &i);
            j++;
        } else {
            seq_next(&snap->keys, &i);
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
        wc_push(wc, evs[k], NULL);
    free(evs);
    if (rev > wc->rev)
        wc_set_rev(wc, rev);
    wc_map_touch(wc);
}

static void wc_sink(void *arg, const struct store_event *sev)
{
    struct watchcache *wc = arg;
    struct wc_entry e = {.rev = sev->rev};
    json_t *tree = NULL; /* the new version decoded by the attributes function, if it did */

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
        struct wc_snap *snap = atomic_load_explicit(&wc->snap, memory_order_relaxed);
        struct wc_pos pos;
        prev = snap != NULL ? seq_find(&snap->keys, sev->prev.key, &pos) : NULL;
        prev = prev != NULL && prev->mod_rev == sev->prev.mod_rev ? wc_obj_ref(prev)
                                                                  : wc_obj_new(wc, &sev->prev, NULL);
    }
    switch (sev->type) {
    case STORE_EVENT_PUT:
        e.type = sev->kv.create_rev == sev->rev || sev->prev.key == NULL ? WATCH_ADDED
                                                                         : WATCH_MODIFIED;
        e.obj = wc_obj_new(wc, &sev->kv, &tree);
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
            prev = wc_obj_new(wc, &kv, NULL);
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
    wc_push(wc, e, tree);
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
        if (!wc->started || wc->rev < l.rev) {
            wc->start_rev = l.rev;
            wc_set_rev(wc, l.rev);
            wc->started = 1;
        }
        /* the store lists in key order */
        struct wc_obj **objs = xmalloc((l.n + 1) * sizeof(*objs)), **idx = NULL;
        size_t nidx = 0;
        for (size_t i = 0; i < l.n; i++) {
            objs[i] = wc_obj_new(wc, &l.items[i], NULL);
            if (objs[i]->index != NULL) {
                idx = xrealloc(idx, (nidx + 1) * sizeof(*idx));
                idx[nidx++] = objs[i];
            }
        }
        if (nidx > 1)
            qsort(idx, nidx, sizeof(*idx), idx_cmp);
        struct wc_snap *snap = xcalloc(1, sizeof(*snap));
        seq_build(&snap->keys, objs, l.n);
        seq_build(&snap->idx, idx, nidx);
        snap->rev = wc->rev;
        free(objs);
        free(idx);
        atomic_store(&wc->snap, snap);
        /* readers wait for loaded: the events below publish intermediate snapshots */
        for (size_t i = 0; i < wc->count; i++) {
            const struct wc_entry *e = &wc->ring[(wc->head + i) % wc->capacity];
            if (e->rev > l.rev)
                wc_map_apply(wc, e);
        }
        wc_map_touch(wc);
        atomic_store(&wc->loaded, 1);
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
     * below has finished its sink call, since a store publishes a revision only after its
     * events reached the sink. The cache lock is not held while calling into the store. */
    s->ops->set_sink(s, wc_sink, wc);
    int64_t cur = s->ops->current_rev(s);
    pthread_mutex_lock(&wc->mu);
    if (!wc->started) {
        wc->start_rev = cur;
        wc_set_rev(wc, cur);
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
    epoch_drain(); /* replaced snapshots' garbage */
    struct wc_snap *snap = atomic_load(&wc->snap);
    if (snap != NULL) {
        struct wc_obj *o;
        for (struct wc_pos p = {0, 0}; (o = seq_at(&snap->keys, p)) != NULL; seq_next(&snap->keys, &p))
            wc_obj_unref(o);
        seq_free(&snap->keys);
        seq_free(&snap->idx);
        free(snap);
    }
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
    return __atomic_load_n(&wc->rev, __ATOMIC_ACQUIRE);
}

/* ---- reads from the object map ----------------------------------------------------
 * Each read runs in an epoch read section on the snapshot published when it began, so it
 * sees one revision's map whatever the writer does meanwhile, and takes references on the
 * objects it returns before leaving the section. */

/* it borrows o (no reference): valid in the read section only. */
static void wc_item_view(struct wc_item *it, struct wc_obj *o)
{
    it->key = o->key;
    it->value = wc_value(o);
    it->len = o->len;
    it->create_rev = o->create_rev;
    it->mod_rev = o->mod_rev;
    it->attrs = o->attrs_len > 0 ? o->data : NULL;
    it->attrs_len = o->attrs_len;
    it->memo = &o->memo;
    it->ref = NULL;
}

/* As wc_item_view, holding a reference on o (the item outlives the read section). */
static void wc_item_fill(struct wc_item *it, struct wc_obj *o)
{
    wc_item_view(it, o);
    it->ref = wc_obj_ref(o);
}

/* Enters a read section on the published map: the snapshot, or NULL (section left) before
 * the first load. */
static const struct wc_snap *wc_read_begin(struct watchcache *wc)
{
    epoch_enter();
    if (!atomic_load(&wc->loaded)) {
        epoch_exit();
        return NULL;
    }
    return atomic_load(&wc->snap);
}

/* wc_read_begin for a list: clears ret and sets its revision (NULL: nothing to release). */
static const struct wc_snap *wc_list_begin(struct watchcache *wc, struct wc_list *ret)
{
    memset(ret, 0, sizeof(*ret));
    const struct wc_snap *s = wc_read_begin(wc);
    if (s != NULL)
        ret->rev = s->rev;
    return s;
}

int watchcache_get(struct watchcache *wc, const char *key, struct wc_item *ret, int64_t *ret_rev)
{
    memset(ret, 0, sizeof(*ret));
    const struct wc_snap *s = wc_read_begin(wc);
    if (s == NULL)
        return AZ_EUNAVAILABLE;
    if (ret_rev != NULL)
        *ret_rev = s->rev;
    struct wc_pos p;
    struct wc_obj *o = seq_find(&s->keys, key, &p);
    if (o != NULL)
        wc_item_fill(ret, o);
    epoch_exit();
    return o != NULL ? 0 : AZ_ENOTFOUND;
}

void watchcache_item_release(struct wc_item *it)
{
    wc_obj_unref(it->ref);
    memset(it, 0, sizeof(*it));
}

/* The positions [*ret_first, returned end) of the keys under prefix strictly after
 * start_after (NULL: from the start). */
static struct wc_pos wc_range(const struct wc_snap *s, const char *prefix, const char *start_after,
                              struct wc_pos *ret_first)
{
    struct wc_probe probe = {.key = prefix};
    if (start_after != NULL && strcmp(start_after, prefix) >= 0) {
        probe.key = start_after;
        probe.after = 1;
    }
    *ret_first = seq_partition(&s->keys, before_key, &probe);
    struct wc_probe end = {.key = prefix, .plen = strlen(prefix)};
    struct wc_pos e = seq_partition(&s->keys, before_prefix_end, &end);
    if (seq_index(&s->keys, e) < seq_index(&s->keys, *ret_first))
        e = *ret_first;
    return e;
}

int watchcache_list_filtered(struct watchcache *wc, const char *prefix, const char *start_after,
                             watchcache_filter_fn filter, void *arg, struct wc_list *ret)
{
    const struct wc_snap *s = wc_list_begin(wc, ret);
    if (s == NULL)
        return AZ_EUNAVAILABLE;
    struct wc_pos p, end = wc_range(s, prefix, start_after, &p);
    size_t cap = 0;
    for (size_t i = seq_index(&s->keys, p), n = seq_index(&s->keys, end); i < n; i++, seq_next(&s->keys, &p)) {
        struct wc_obj *o = seq_at(&s->keys, p);
        struct wc_item view;
        wc_item_view(&view, o);
        if (!filter(arg, &view))
            continue;
        if (ret->n == cap) {
            cap = cap ? cap * 2 : 64;
            ret->items = xrealloc(ret->items, cap * sizeof(*ret->items));
        }
        wc_item_fill(&ret->items[ret->n++], o);
    }
    epoch_exit();
    if (ret->items == NULL)
        ret->items = wc_xcalloc(1, sizeof(*ret->items));
    return 0;
}

/* Fills ret with up to limit (0: all) items of seq from p to end; the rest is remaining. */
static void wc_take(const struct wc_seq *seq, struct wc_pos p, struct wc_pos end, size_t limit,
                    struct wc_list *ret)
{
    size_t n = seq_index(seq, end) - seq_index(seq, p);
    if (limit > 0 && n > limit) {
        ret->remaining = n - limit;
        n = limit;
    }
    ret->items = wc_xcalloc(n, sizeof(*ret->items));
    for (size_t i = 0; i < n; i++, seq_next(seq, &p))
        wc_item_fill(&ret->items[i], seq_at(seq, p));
    ret->n = n;
}

int watchcache_list(struct watchcache *wc, const char *prefix, const char *start_after,
                    size_t limit, struct wc_list *ret)
{
    const struct wc_snap *s = wc_list_begin(wc, ret);
    if (s == NULL)
        return AZ_EUNAVAILABLE;
    struct wc_pos first, end = wc_range(s, prefix, start_after, &first);
    wc_take(&s->keys, first, end, limit, ret);
    epoch_exit();
    return 0;
}

int watchcache_list_indexed(struct watchcache *wc, const char *prefix, const char *index,
                            const char *start_after, size_t limit, struct wc_list *ret)
{
    if (wc->attrs_fn == NULL) {
        memset(ret, 0, sizeof(*ret));
        return AZ_EUNAVAILABLE;
    }
    const struct wc_snap *s = wc_list_begin(wc, ret);
    if (s == NULL)
        return AZ_EUNAVAILABLE;
    size_t plen = strlen(prefix);
    /* within one index value the slots are in key order: the prefix's keys are one run */
    struct wc_probe probe = {.index = index, .key = prefix};
    if (start_after != NULL && strcmp(start_after, prefix) >= 0) {
        probe.key = start_after;
        probe.after = 1;
    }
    struct wc_pos first = seq_partition(&s->idx, before_idx, &probe), end = first;
    struct wc_obj *o;
    while ((o = seq_at(&s->idx, end)) != NULL && strcmp(o->index, index) == 0 &&
           strncmp(o->key, prefix, plen) == 0)
        seq_next(&s->idx, &end);
    wc_take(&s->idx, first, end, limit, ret);
    epoch_exit();
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
    size_t n = 0, bytes = 0, abytes = 0;
    epoch_enter();
    const struct wc_snap *s = atomic_load(&wc->snap);
    struct wc_obj *o;
    for (struct wc_pos p = {0, 0}; s != NULL && (o = seq_at(&s->keys, p)) != NULL;
         seq_next(&s->keys, &p)) {
        n++;
        bytes += o->len;
        abytes += o->attrs_len + (o->index != NULL ? strlen(o->index) + 1 : 0);
    }
    epoch_exit();
    if (ret_bytes != NULL)
        *ret_bytes = bytes;
    if (ret_attr_bytes != NULL)
        *ret_attr_bytes = abytes;
    return n;
}
