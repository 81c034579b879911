/* rbac_index.c — subject-keyed RBAC index with copy-on-write snapshots; see rbac_index.h.
 *
 * Speed (bench/rbac_bench.c, docs/bench.md): a decision hashes the request once
 * (rbac_probe), hashes the user name and each group once, and then does at most
 * 2 × (1 + groups) open-addressing lookups. Every grant in a looked-up list already points at
 * the compiled rules of its role (resolved when the list or the role is written, never per
 * decision), so a decision does no name lookups, no string building and no allocation unless
 * a reason is asked for. A writer-side reverse map (role key → subject keys whose lists
 * reference it) re-resolves just the affected lists when a role changes. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/field.h"
#include "authz/rbac_index.h"
#include "util/buf.h"
#include "util/epoch.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"
#include "util/util.h"

#define PMAP_SHARDS 1024
#define PMAP_SLOT_SHIFT 10 /* log2(PMAP_SHARDS): slot bits start above the shard bits */
#define RBAC_MAX_SUBJECTS 4096 /* per binding */
#define RBAC_GROUP_HASHES 32   /* group-name hashes kept on the stack per decision */
#define RBAC_SCOPE_STACK 256   /* "N" <ns> "\x01" built on the stack up to this size */

/* ---- reference-counted values --------------------------------------------------------- */

struct rc {
    atomic_int refs;
    void (*destroy)(struct rc *);
    char *key;  /* the map key this value is stored under (set by map_set) */
    size_t len;
};

static struct rc *rc_ref(struct rc *r)
{
    if (r != NULL)
        atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
    return r;
}

static void rc_unref(struct rc *r)
{
    if (r != NULL && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
        free(r->key);
        r->destroy(r);
    }
}

/* Rules of a Role/ClusterRole, as given and compiled. */
struct role_val {
    struct rc rc;
    struct rbac_rules rules;
    struct rbac_crules compiled;
};

/* One (binding, subject, roleRef). */
struct grant {
    struct rc rc;
    bool namespaced;     /* RoleBinding */
    char *bind_ns, *bind_name;
    unsigned subj_pos;   /* index of the subject in the binding */
    char *role_key;      /* index key of the referenced role, NULL for unsupported kinds */
    size_t role_key_len;
    char *role_error;    /* message when the role is missing (or the kind unsupported) */
    char *reason;        /* "RBAC: allowed by ..." */
};

/* A grant with the role it resolves to in the same map (NULL: missing or unsupported). */
struct grant_ent {
    struct grant *g;
    struct role_val *role;
};

/* Grants under one subject key, sorted by (namespaced, ns, binding name, subject position). */
struct grant_list {
    struct rc rc;
    size_t n;
    struct grant_ent e[];
};

/* The grant keys one binding contributed to. */
struct binding_val {
    struct rc rc;
    size_t n;
    char **keys;
    size_t *lens;
};

static void role_destroy(struct rc *r)
{
    struct role_val *v = (struct role_val *)r;
    rbac_crules_release(&v->compiled);
    rbac_rules_release(&v->rules);
    free(v);
}

static void grant_destroy(struct rc *r)
{
    struct grant *g = (struct grant *)r;
    free(g->bind_ns);
    free(g->bind_name);
    free(g->role_key);
    free(g->role_error);
    free(g->reason);
    free(g);
}

static void grant_list_destroy(struct rc *r)
{
    struct grant_list *l = (struct grant_list *)r;
    for (size_t i = 0; i < l->n; i++) {
        rc_unref(&l->e[i].g->rc);
        if (l->e[i].role != NULL)
            rc_unref(&l->e[i].role->rc);
    }
    free(l);
}

static void binding_destroy(struct rc *r)
{
    struct binding_val *b = (struct binding_val *)r;
    for (size_t i = 0; i < b->n; i++)
        free(b->keys[i]);
    free(b->keys);
    free(b->lens);
    free(b);
}

/* ---- hashing ------------------------------------------------------------------------- */

/* Hash of a subject key from the hashes of its parts: scope ("C" or "N" <ns> "\x01"),
 * kind ('u' or 'g') and name. A decision hashes each name once for both scopes. */
static inline uint64_t subject_hash(uint64_t scope_h, char kind, uint64_t name_h)
{
    uint64_t h = (scope_h + (uint64_t)(unsigned char)kind * 0x9E3779B97F4A7C15ull) ^
                 (name_h * 0xbf58476d1ce4e5b9ull);
    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return h;
}

/* Length of the scope prefix of a subject key, 0 when k is not one. */
static size_t subject_scope_len(const char *k, size_t n)
{
    size_t slen;
    if (n >= 3 && k[0] == 'C') {
        slen = 1;
    } else if (n >= 4 && k[0] == 'N') {
        const char *e = memchr(k, '\x01', n);
        if (e == NULL)
            return 0;
        slen = (size_t)(e - k) + 1;
    } else {
        return 0;
    }
    if (slen + 2 > n || (k[slen] != 'u' && k[slen] != 'g') || k[slen + 1] != ':')
        return 0;
    return slen;
}

/* The map hash of a whole key: subject keys hash by parts (subject_hash), others whole. */
static uint64_t key_hash(const char *k, size_t n)
{
    size_t slen = subject_scope_len(k, n);
    if (slen == 0)
        return rbac_hash(k, n);
    return subject_hash(rbac_hash(k, slen), k[slen], rbac_hash(k + slen + 2, n - slen - 2));
}

/* A key given as up to three byte ranges (so lookups need not concatenate). */
struct keyparts {
    const char *p[3];
    size_t n[3];
    size_t len;
};

static inline bool key_eq(const struct rc *v, const struct keyparts *k)
{
    if (v->len != k->len)
        return false;
    const char *q = v->key;
    for (size_t i = 0; i < 3; i++) {
        if (k->n[i] != 0 && memcmp(q, k->p[i], k->n[i]) != 0)
            return false;
        q += k->n[i];
    }
    return true;
}

static struct keyparts keyparts_one(const char *k, size_t n)
{
    struct keyparts kp = {.p = {k, NULL, NULL}, .n = {n, 0, 0}, .len = n};
    return kp;
}

/* ---- persistent sharded map ------------------------------------------------------------
 * PMAP_SHARDS shards, each an open-addressing table (linear probing, load <= 1/2, empty slot
 * = NULL val). A snapshot shares shards with the writer's map; the writer copies a shard
 * before changing it unless it holds the only reference (then it changes it in place). */

struct pmap_entry {
    uint64_t hash;
    struct rc *val; /* owns the key */
};

struct pmap_shard {
    atomic_int refs;
    size_t n, mask;
    struct pmap_entry e[];
};

struct rbac_snapshot {
    atomic_int refs;
    struct pmap_shard *shards[PMAP_SHARDS];
};

static inline size_t slot_of(uint64_t h, size_t mask)
{
    return (size_t)(h >> PMAP_SLOT_SHIFT) & mask;
}

static inline struct rc *shard_get(const struct pmap_shard *s, uint64_t h, const struct keyparts *k)
{
    if (s == NULL)
        return NULL;
    for (size_t i = slot_of(h, s->mask);; i = (i + 1) & s->mask) {
        const struct pmap_entry *e = &s->e[i];
        if (e->val == NULL)
            return NULL;
        if (e->hash == h && key_eq(e->val, k))
            return e->val;
    }
}

static void shard_unref(struct pmap_shard *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i <= s->mask; i++)
        rc_unref(s->e[i].val);
    free(s);
}

static void shard_insert_raw(struct pmap_shard *s, uint64_t h, struct rc *val)
{
    size_t i = slot_of(h, s->mask);
    while (s->e[i].val != NULL)
        i = (i + 1) & s->mask;
    s->e[i].hash = h;
    s->e[i].val = val;
    s->n++;
}

/* Makes *slot a shard only the writer references, with room for need entries. */
static struct pmap_shard *shard_writable(struct pmap_shard **slot, size_t need)
{
    struct pmap_shard *old = *slot;
    bool own = old != NULL && atomic_load_explicit(&old->refs, memory_order_acquire) == 1;
    if (own && need * 2 <= old->mask + 1)
        return old;
    if (old != NULL && need * 2 <= old->mask + 1) {
        /* shared and big enough: same layout, so a plain copy plus a reference per value */
        size_t bytes = sizeof(*old) + (old->mask + 1) * sizeof(old->e[0]);
        struct pmap_shard *s = xmalloc(bytes);
        memcpy((void *)s, old, bytes);
        atomic_init(&s->refs, 1);
        for (size_t i = 0; i <= s->mask; i++)
            rc_ref(s->e[i].val);
        shard_unref(old);
        *slot = s;
        return s;
    }
    size_t cap = 8;
    while (need * 2 > cap)
        cap *= 2;
    struct pmap_shard *s = xcalloc(1, sizeof(*s) + cap * sizeof(s->e[0]));
    atomic_init(&s->refs, 1);
    s->mask = cap - 1;
    for (size_t i = 0; old != NULL && i <= old->mask; i++) {
        if (old->e[i].val == NULL)
            continue;
        shard_insert_raw(s, old->e[i].hash, own ? old->e[i].val : rc_ref(old->e[i].val));
    }
    if (own)
        free(old);
    else
        shard_unref(old);
    *slot = s;
    return s;
}

/* Removes slot i (backward-shift deletion keeps probe chains intact). */
static void shard_remove_at(struct pmap_shard *s, size_t i)
{
    s->e[i].val = NULL;
    s->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & s->mask;
        if (s->e[j].val == NULL)
            return;
        size_t home = slot_of(s->e[j].hash, s->mask);
        /* leave e[j] when its home lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            s->e[i] = s->e[j];
            s->e[j].val = NULL;
            i = j;
        }
    }
}

static struct rc *map_get(struct pmap_shard *const *shards, const char *k, size_t n)
{
    uint64_t h = key_hash(k, n);
    struct keyparts kp = keyparts_one(k, n);
    return shard_get(shards[h % PMAP_SHARDS], h, &kp);
}

/* Sets (val != NULL, reference taken over) or removes key k in the working map. */
static void map_set(struct pmap_shard **shards, const char *k, size_t n, struct rc *val)
{
    uint64_t h = key_hash(k, n);
    struct keyparts kp = keyparts_one(k, n);
    struct pmap_shard **slot = &shards[h % PMAP_SHARDS];
    bool found = shard_get(*slot, h, &kp) != NULL;
    if (!found && val == NULL)
        return;
    if (val != NULL && val->key == NULL) {
        val->key = xstrndup(k, n);
        val->len = n;
    }
    struct pmap_shard *s = shard_writable(slot, (*slot ? (*slot)->n : 0) + (found ? 0 : 1));
    if (!found) {
        shard_insert_raw(s, h, val);
        return;
    }
    size_t i = slot_of(h, s->mask);
    while (!(s->e[i].hash == h && key_eq(s->e[i].val, &kp)))
        i = (i + 1) & s->mask;
    struct rc *old = s->e[i].val;
    if (val != NULL)
        s->e[i].val = val;
    else
        shard_remove_at(s, i);
    rc_unref(old);
}

/* ---- writer-side reverse references: role key -> {subject key -> count} --------------- */

struct wmap_ent {
    uint64_t hash;
    char *key; /* NULL: empty */
    size_t len;
    void *val;
};

struct wmap {
    struct wmap_ent *e;
    size_t n, mask;
};

static struct wmap_ent *wmap_find(struct wmap *m, const char *k, size_t n, bool create)
{
    uint64_t h = rbac_hash(k, n);
    if (create && (m->n + 1) * 4 > (m->e ? m->mask + 1 : 0) * 3) {
        size_t cap = m->e ? (m->mask + 1) * 2 : 8;
        struct wmap_ent *ne = xcalloc(cap, sizeof(*ne));
        for (size_t i = 0; m->e != NULL && i <= m->mask; i++) {
            if (m->e[i].key == NULL)
                continue;
            size_t j = (size_t)m->e[i].hash & (cap - 1);
            while (ne[j].key != NULL)
                j = (j + 1) & (cap - 1);
            ne[j] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->mask = cap - 1;
    }
    if (m->e == NULL)
        return NULL;
    for (size_t i = (size_t)h & m->mask;; i = (i + 1) & m->mask) {
        struct wmap_ent *e = &m->e[i];
        if (e->key == NULL) {
            if (!create)
                return NULL;
            e->hash = h;
            e->key = xstrndup(k, n);
            e->len = n;
            e->val = NULL;
            m->n++;
            return e;
        }
        if (e->hash == h && e->len == n && memcmp(e->key, k, n) == 0)
            return e;
    }
}

static void wmap_remove(struct wmap *m, struct wmap_ent *at)
{
    size_t i = (size_t)(at - m->e);
    free(m->e[i].key);
    m->e[i].key = NULL;
    m->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->e[j].key == NULL)
            return;
        size_t home = (size_t)m->e[j].hash & m->mask;
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->e[i] = m->e[j];
            m->e[j].key = NULL;
            i = j;
        }
    }
}

static void wmap_release(struct wmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; m->e != NULL && i <= m->mask; i++) {
        if (m->e[i].key == NULL)
            continue;
        free(m->e[i].key);
        if (free_val != NULL)
            free_val(m->e[i].val);
    }
    free(m->e);
    memset(m, 0, sizeof(*m));
}

static void wmap_free_inner(void *v)
{
    wmap_release(v, NULL);
    free(v);
}

/* ---- the index ---------------------------------------------------------------------- */

struct rbac_index {
    struct pmap_shard *work[PMAP_SHARDS]; /* the writer's map */
    _Atomic(struct rbac_snapshot *) current;
    struct wmap role_refs; /* role key -> struct wmap of subject keys (val = count) */
};

static void refs_inc(struct rbac_index *ix, const struct grant *g, const char *skey, size_t slen)
{
    if (g->role_key == NULL)
        return;
    struct wmap_ent *e = wmap_find(&ix->role_refs, g->role_key, g->role_key_len, true);
    if (e->val == NULL)
        e->val = xcalloc(1, sizeof(struct wmap));
    struct wmap_ent *c = wmap_find(e->val, skey, slen, true);
    c->val = (void *)((uintptr_t)c->val + 1);
}

static void refs_dec(struct rbac_index *ix, const struct grant *g, const char *skey, size_t slen)
{
    if (g->role_key == NULL)
        return;
    struct wmap_ent *e = wmap_find(&ix->role_refs, g->role_key, g->role_key_len, false);
    if (e == NULL)
        return;
    struct wmap *subs = e->val;
    struct wmap_ent *c = wmap_find(subs, skey, slen, false);
    if (c == NULL)
        return;
    c->val = (void *)((uintptr_t)c->val - 1);
    if ((uintptr_t)c->val == 0)
        wmap_remove(subs, c);
    if (subs->n == 0) {
        wmap_free_inner(subs);
        wmap_remove(&ix->role_refs, e);
    }
}

static void snapshot_free(struct rbac_snapshot *s)
{
    for (size_t i = 0; i < PMAP_SHARDS; i++)
        shard_unref(s->shards[i]);
    free(s);
}

void rbac_snapshot_release(struct rbac_snapshot *s)
{
    if (s != NULL && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        snapshot_free(s);
}

struct rbac_snapshot *rbac_index_acquire(struct rbac_index *ix)
{
    /* the read section keeps a snapshot just replaced from being freed before its
     * reference is taken (the writer retires its own reference through the epoch) */
    epoch_enter();
    struct rbac_snapshot *s = atomic_load(&ix->current);
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    epoch_exit();
    return s;
}

static void snapshot_release_cb(void *s)
{
    rbac_snapshot_release(s);
}

struct rbac_index *rbac_index_new(void)
{
    struct rbac_index *ix = xcalloc(1, sizeof(*ix));
    struct rbac_snapshot *s = xcalloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    atomic_init(&ix->current, s);
    return ix;
}

void rbac_index_free(struct rbac_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < PMAP_SHARDS; i++)
        shard_unref(ix->work[i]);
    epoch_drain(); /* the retired snapshots still share the shards */
    rbac_snapshot_release(atomic_load(&ix->current));
    wmap_release(&ix->role_refs, wmap_free_inner);
    free(ix);
}

void rbac_index_publish(struct rbac_index *ix)
{
    struct rbac_snapshot *s = xmalloc(sizeof(*s));
    atomic_init(&s->refs, 1);
    for (size_t i = 0; i < PMAP_SHARDS; i++) {
        s->shards[i] = ix->work[i];
        if (s->shards[i] != NULL)
            atomic_fetch_add_explicit(&s->shards[i]->refs, 1, memory_order_relaxed);
    }
    struct rbac_snapshot *old = atomic_exchange(&ix->current, s);
    epoch_retire(snapshot_release_cb, old);
}

/* ---- grant lists ---------------------------------------------------------------------- */

static int grant_order(const struct grant *a, const struct grant *b)
{
    if (a->namespaced != b->namespaced)
        return a->namespaced ? 1 : -1;
    int c = strcmp(a->bind_ns, b->bind_ns);
    if (c == 0)
        c = strcmp(a->bind_name, b->bind_name);
    if (c == 0 && a->subj_pos != b->subj_pos)
        c = a->subj_pos < b->subj_pos ? -1 : 1;
    return c;
}

static bool same_binding(const struct grant *a, const struct grant *b)
{
    return a->namespaced == b->namespaced && strcmp(a->bind_ns, b->bind_ns) == 0 &&
           strcmp(a->bind_name, b->bind_name) == 0;
}

static struct grant_list *list_new(size_t cap)
{
    struct grant_list *l = xmalloc(sizeof(*l) + cap * sizeof(l->e[0]));
    atomic_init(&l->rc.refs, 1);
    l->rc.destroy = grant_list_destroy;
    l->rc.key = NULL;
    l->rc.len = 0;
    l->n = 0;
    return l;
}

/* The role g refers to in the working map, with a reference (NULL when absent). */
static struct role_val *resolve(struct rbac_index *ix, const struct grant *g)
{
    if (g->role_key == NULL)
        return NULL;
    return (struct role_val *)rc_ref(map_get(ix->work, g->role_key, g->role_key_len));
}

static void list_push(struct grant_list *l, struct grant *g, struct role_val *role_ref)
{
    l->e[l->n].g = (struct grant *)rc_ref(&g->rc);
    l->e[l->n].role = role_ref;
    l->n++;
}

static void list_store(struct rbac_index *ix, const char *key, size_t klen, struct grant_list *l)
{
    if (l->n == 0) {
        free(l);
        map_set(ix->work, key, klen, NULL);
    } else {
        map_set(ix->work, key, klen, &l->rc);
    }
}

/* Rebuilds the grant list at key without grants of binding (ns, name, namespaced), plus add
 * (may be NULL), keeping the reverse role references in step. */
static void list_replace(struct rbac_index *ix, const char *key, size_t klen, bool namespaced,
                         const char *ns, const char *name, struct grant *add)
{
    const struct grant_list *old = (const struct grant_list *)map_get(ix->work, key, klen);
    size_t oldn = old ? old->n : 0;
    struct grant_list *l = list_new(oldn + 1);
    struct grant probe = {.namespaced = namespaced, .bind_ns = (char *)ns, .bind_name = (char *)name};
    bool added = add == NULL;
    for (size_t i = 0; i < oldn; i++) {
        const struct grant_ent *e = &old->e[i];
        if (same_binding(e->g, &probe)) {
            refs_dec(ix, e->g, key, klen);
            continue;
        }
        if (!added && grant_order(add, e->g) < 0) {
            list_push(l, add, resolve(ix, add));
            added = true;
        }
        list_push(l, e->g, e->role ? (struct role_val *)rc_ref(&e->role->rc) : NULL);
    }
    if (!added)
        list_push(l, add, resolve(ix, add));
    if (add != NULL)
        refs_inc(ix, add, key, klen);
    list_store(ix, key, klen, l);
}

/* After the role at rkey was put or deleted: re-point every list that references it. */
static void role_changed(struct rbac_index *ix, const char *rkey, size_t rlen)
{
    struct wmap_ent *r = wmap_find(&ix->role_refs, rkey, rlen, false);
    if (r == NULL)
        return;
    struct wmap *subs = r->val;
    struct role_val *now = (struct role_val *)map_get(ix->work, rkey, rlen);
    for (size_t i = 0; i <= subs->mask; i++) {
        const struct wmap_ent *s = &subs->e[i];
        if (s->key == NULL)
            continue;
        const struct grant_list *old = (const struct grant_list *)map_get(ix->work, s->key, s->len);
        if (old == NULL)
            continue;
        struct grant_list *l = list_new(old->n);
        for (size_t j = 0; j < old->n; j++) {
            const struct grant_ent *e = &old->e[j];
            struct role_val *role = e->role;
            if (e->g->role_key_len == rlen && memcmp(e->g->role_key, rkey, rlen) == 0)
                role = now;
            list_push(l, e->g, role ? (struct role_val *)rc_ref(&role->rc) : NULL);
        }
        list_store(ix, s->key, s->len, l);
    }
}

/* ---- keys ------------------------------------------------------------------------- */

static void key_role(struct buf *b, bool cluster, const char *ns, const char *name)
{
    if (cluster) {
        buf_putc(b, 'K');
    } else {
        buf_putc(b, 'R');
        buf_puts(b, ns ? ns : "");
        buf_putc(b, '\x01');
    }
    buf_puts(b, name ? name : "");
}

static void key_binding(struct buf *b, bool cluster, const char *ns, const char *name)
{
    buf_puts(b, cluster ? "Bc" : "Br");
    buf_puts(b, ns ? ns : "");
    buf_putc(b, '\x01');
    buf_puts(b, name ? name : "");
}

/* The grant-list key prefix for a scope: "C" or "N<ns>\x01". */
static void key_scope(struct buf *b, const char *ns)
{
    if (ns == NULL || *ns == '\0') {
        buf_putc(b, 'C');
    } else {
        buf_putc(b, 'N');
        buf_puts(b, ns);
        buf_putc(b, '\x01');
    }
}

/* ---- roles --------------------------------------------------------------------------- */

static void put_role(struct rbac_index *ix, bool cluster, json_t *obj)
{
    struct role_val *v = xcalloc(1, sizeof(*v));
    atomic_init(&v->rc.refs, 1);
    v->rc.destroy = role_destroy;
    rbac_rules_init(&v->rules);
    rbac_rules_add_json(&v->rules, json_object_get(obj, "rules"));
    rbac_crules_compile(&v->rules, &v->compiled);
    struct buf k = BUF_INIT;
    key_role(&k, cluster, json_path_str(obj, "metadata.namespace"), json_path_str(obj, "metadata.name"));
    map_set(ix->work, k.data, k.len, &v->rc);
    role_changed(ix, k.data, k.len);
    buf_release(&k);
}

/* ---- bindings ---------------------------------------------------------------------- */

static void remove_binding(struct rbac_index *ix, bool cluster, const char *ns, const char *name)
{
    struct buf bk = BUF_INIT;
    key_binding(&bk, cluster, ns, name);
    struct binding_val *b = (struct binding_val *)map_get(ix->work, bk.data, bk.len);
    if (b != NULL) {
        rc_ref(&b->rc);
        for (size_t i = 0; i < b->n; i++)
            list_replace(ix, b->keys[i], b->lens[i], !cluster, cluster ? "" : ns, name, NULL);
        map_set(ix->work, bk.data, bk.len, NULL);
        rc_unref(&b->rc);
    }
    buf_release(&bk);
}

static void describe_subject(struct buf *b, const char *kind, const char *name, const char *sa_ns)
{
    buf_puts(b, kind);
    buf_putc(b, ' ');
    if (strcmp(kind, "ServiceAccount") == 0) {
        char *s = xasprintf("%s/%s", name, sa_ns);
        go_quote(b, s, strlen(s));
        free(s);
    } else {
        go_quote(b, name, strlen(name));
    }
}

static void put_binding(struct rbac_index *ix, bool cluster, json_t *obj)
{
    const char *name = json_path_str(obj, "metadata.name");
    const char *ns = cluster ? "" : json_path_str(obj, "metadata.namespace");
    if (name == NULL)
        return;
    if (ns == NULL)
        ns = "";
    remove_binding(ix, cluster, ns, name);
    json_t *ref = json_object_get(obj, "roleRef");
    const char *rkind = json_str(ref, "kind") ? json_str(ref, "kind") : "";
    const char *rname = json_str(ref, "name") ? json_str(ref, "name") : "";
    char *role_key = NULL, *role_error = NULL;
    size_t role_key_len = 0;
    if (strcmp(rkind, "Role") == 0 || strcmp(rkind, "ClusterRole") == 0) {
        bool cr = strcmp(rkind, "ClusterRole") == 0;
        struct buf k = BUF_INIT;
        key_role(&k, cr, ns, rname);
        role_key = buf_detach(&k, &role_key_len);
        role_error = xasprintf("%s.rbac.authorization.k8s.io \"%s\" not found", cr ? "clusterrole" : "role", rname);
    } else {
        struct buf e = BUF_INIT;
        buf_puts(&e, "unsupported role reference kind: ");
        go_quote(&e, rkind, strlen(rkind));
        role_error = buf_detach(&e, NULL);
    }
    struct binding_val *bv = xcalloc(1, sizeof(*bv));
    atomic_init(&bv->rc.refs, 1);
    bv->rc.destroy = binding_destroy;
    json_t *subjects = json_object_get(obj, "subjects");
    size_t nsub = json_array_size(subjects);
    if (nsub > RBAC_MAX_SUBJECTS)
        nsub = RBAC_MAX_SUBJECTS;
    bv->keys = xcalloc(nsub ? nsub : 1, sizeof(char *));
    bv->lens = xcalloc(nsub ? nsub : 1, sizeof(size_t));
    for (size_t i = 0; i < nsub; i++) {
        json_t *s = json_array_get(subjects, i);
        const char *kind = json_str(s, "kind"), *sname = json_str(s, "name");
        if (kind == NULL || sname == NULL)
            continue;
        struct buf key = BUF_INIT;
        key_scope(&key, ns);
        const char *sa_ns = NULL;
        if (strcmp(kind, "User") == 0) {
            buf_puts(&key, "u:");
            buf_puts(&key, sname);
        } else if (strcmp(kind, "Group") == 0) {
            buf_puts(&key, "g:");
            buf_puts(&key, sname);
        } else if (strcmp(kind, "ServiceAccount") == 0) {
            sa_ns = json_str(s, "namespace");
            if (sa_ns == NULL || *sa_ns == '\0')
                sa_ns = ns;
            if (*sa_ns == '\0') {
                buf_release(&key);
                continue; /* never matches */
            }
            buf_printf(&key, "u:system:serviceaccount:%s:%s", sa_ns, sname);
        } else {
            buf_release(&key);
            continue;
        }
        /* a binding naming the same subject twice: the first position wins */
        bool dup = false;
        for (size_t j = 0; j < bv->n && !dup; j++)
            dup = bv->lens[j] == key.len && memcmp(bv->keys[j], key.data, key.len) == 0;
        if (dup) {
            buf_release(&key);
            continue;
        }
        struct grant *g = xcalloc(1, sizeof(*g));
        atomic_init(&g->rc.refs, 1);
        g->rc.destroy = grant_destroy;
        g->namespaced = !cluster;
        g->bind_ns = xstrdup(ns);
        g->bind_name = xstrdup(name);
        g->subj_pos = (unsigned)i;
        g->role_key = role_key ? xstrndup(role_key, role_key_len) : NULL;
        g->role_key_len = role_key_len;
        g->role_error = xstrdup(role_error);
        struct buf r = BUF_INIT;
        struct buf subj = BUF_INIT;
        describe_subject(&subj, kind, sname, sa_ns ? sa_ns : ns);
        buf_puts(&r, "RBAC: allowed by ");
        if (cluster) {
            buf_puts(&r, "ClusterRoleBinding ");
            go_quote(&r, name, strlen(name));
        } else {
            char *nn = xasprintf("%s/%s", name, ns);
            buf_puts(&r, "RoleBinding ");
            go_quote(&r, nn, strlen(nn));
            free(nn);
        }
        buf_printf(&r, " of %s ", rkind);
        go_quote(&r, rname, strlen(rname));
        buf_printf(&r, " to %s", subj.data);
        buf_release(&subj);
        g->reason = buf_detach(&r, NULL);
        list_replace(ix, key.data, key.len, !cluster, ns, name, g);
        rc_unref(&g->rc);
        bv->lens[bv->n] = key.len;
        bv->keys[bv->n++] = buf_detach(&key, NULL);
    }
    free(role_key);
    free(role_error);
    struct buf bk = BUF_INIT;
    key_binding(&bk, cluster, ns, name);
    map_set(ix->work, bk.data, bk.len, &bv->rc);
    buf_release(&bk);
}

void rbac_index_put(struct rbac_index *ix, enum rbac_kind kind, json_t *obj)
{
    switch (kind) {
    case RBAC_ROLE:
        put_role(ix, false, obj);
        break;
    case RBAC_CLUSTER_ROLE:
        put_role(ix, true, obj);
        break;
    case RBAC_ROLE_BINDING:
        put_binding(ix, false, obj);
        break;
    case RBAC_CLUSTER_ROLE_BINDING:
        put_binding(ix, true, obj);
        break;
    }
}

void rbac_index_delete(struct rbac_index *ix, enum rbac_kind kind, const char *ns, const char *name)
{
    struct buf k = BUF_INIT;
    switch (kind) {
    case RBAC_ROLE:
    case RBAC_CLUSTER_ROLE:
        key_role(&k, kind == RBAC_CLUSTER_ROLE, ns, name);
        map_set(ix->work, k.data, k.len, NULL);
        role_changed(ix, k.data, k.len);
        break;
    case RBAC_ROLE_BINDING:
        remove_binding(ix, false, ns ? ns : "", name);
        break;
    case RBAC_CLUSTER_ROLE_BINDING:
        remove_binding(ix, true, "", name);
        break;
    }
    buf_release(&k);
}

/* ---- decisions ----------------------------------------------------------------------- */

/* A scope prefix ("C" or "N" <ns> "\x01") and its hash; on the stack unless ns is long. */
struct scope {
    char stack[RBAC_SCOPE_STACK];
    char *p;
    size_t len;
    uint64_t hash;
};

static void scope_set(struct scope *sc, const char *ns)
{
    sc->p = sc->stack;
    if (ns == NULL || *ns == '\0') {
        sc->p[0] = 'C';
        sc->len = 1;
    } else {
        size_t nl = strlen(ns);
        if (nl + 2 > sizeof(sc->stack))
            sc->p = xmalloc(nl + 2);
        sc->p[0] = 'N';
        memcpy(sc->p + 1, ns, nl);
        sc->p[nl + 1] = '\x01';
        sc->len = nl + 2;
    }
    sc->hash = rbac_hash(sc->p, sc->len);
}

static void scope_release(struct scope *sc)
{
    if (sc->p != sc->stack)
        free(sc->p);
}

/* The requester's subjects, hashed once: the user name and each group. */
struct subjects {
    const struct user_info *u;
    size_t ngroups;
    const char *name[1 + RBAC_GROUP_HASHES];
    size_t len[1 + RBAC_GROUP_HASHES];
    uint64_t hash[1 + RBAC_GROUP_HASHES];
};

static void subjects_init(struct subjects *sj, const struct user_info *u)
{
    sj->u = u;
    sj->ngroups = u->ngroups;
    for (size_t i = 0; i <= u->ngroups && i <= RBAC_GROUP_HASHES; i++) {
        const char *n = i == 0 ? (u->name ? u->name : "") : u->groups[i - 1];
        sj->name[i] = n;
        sj->len[i] = strlen(n);
        sj->hash[i] = rbac_hash(n, sj->len[i]);
    }
}

/* The grant list of subject i (0: the user, 1 + k: group k) under scope sc. */
static const struct grant_list *subject_list(const struct rbac_snapshot *s, const struct scope *sc,
                                             const struct subjects *sj, size_t i)
{
    const char *name;
    size_t nlen;
    uint64_t nh;
    if (i <= RBAC_GROUP_HASHES) {
        name = sj->name[i];
        nlen = sj->len[i];
        nh = sj->hash[i];
    } else {
        name = sj->u->groups[i - 1];
        nlen = strlen(name);
        nh = rbac_hash(name, nlen);
    }
    char kind = i == 0 ? 'u' : 'g';
    uint64_t h = subject_hash(sc->hash, kind, nh);
    const struct pmap_shard *sh = s->shards[h % PMAP_SHARDS];
    if (sh == NULL)
        return NULL;
    size_t total = sc->len + 2 + nlen;
    for (size_t j = slot_of(h, sh->mask);; j = (j + 1) & sh->mask) {
        const struct pmap_entry *e = &sh->e[j];
        if (e->val == NULL)
            return NULL;
        if (e->hash != h || e->val->len != total)
            continue;
        const char *k = e->val->key;
        if (k[sc->len] == kind && k[sc->len + 1] == ':' &&
            (sc->len == 1 ? k[0] == sc->p[0] : memcmp(k, sc->p, sc->len) == 0) &&
            memcmp(k + sc->len + 2, name, nlen) == 0)
            return (const struct grant_list *)e->val;
    }
}

struct decide {
    const struct grant *best;
    bool missing;
};

/* Finds the first grant of l (in binding order) that allows p and is before d->best. */
static void decide_list(const struct grant_list *l, const struct rbac_probe *p, struct decide *d)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct grant_ent *e = &l->e[i];
        if (d->best != NULL && grant_order(e->g, d->best) >= 0)
            return; /* sorted: nothing later in l can come first */
        if (e->role == NULL) {
            d->missing = true;
            continue;
        }
        if (rbac_crules_allow(&e->role->compiled, p)) {
            d->best = e->g;
            return;
        }
    }
}

static void decide_scope(const struct rbac_snapshot *s, const struct scope *sc,
                         const struct subjects *sj, const struct rbac_probe *p, struct decide *d)
{
    for (size_t i = 0; i <= sj->ngroups; i++) {
        const struct grant_list *l = subject_list(s, sc, sj, i);
        if (l != NULL)
            decide_list(l, p, d);
    }
}

/* Grant entries collected in binding order, one per binding. */
struct collect {
    const struct grant_ent **e;
    size_t n, cap;
};

static void collect_scope(const struct rbac_snapshot *s, const struct scope *sc,
                          const struct subjects *sj, struct collect *c)
{
    for (size_t i = 0; i <= sj->ngroups; i++) {
        const struct grant_list *l = subject_list(s, sc, sj, i);
        for (size_t j = 0; l != NULL && j < l->n; j++) {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 16;
                c->e = xrealloc(c->e, c->cap * sizeof(*c->e));
            }
            c->e[c->n++] = &l->e[j];
        }
    }
}

static int grant_ent_cmp(const void *a, const void *b)
{
    return grant_order((*(const struct grant_ent *const *)a)->g, (*(const struct grant_ent *const *)b)->g);
}

static void collect_grants(const struct rbac_snapshot *s, const struct user_info *u, const char *ns,
                           struct collect *c)
{
    struct subjects sj;
    subjects_init(&sj, u);
    struct scope sc;
    scope_set(&sc, NULL);
    collect_scope(s, &sc, &sj, c);
    if (ns != NULL && *ns) {
        scope_set(&sc, ns);
        collect_scope(s, &sc, &sj, c);
        scope_release(&sc);
    }
    if (c->n > 1)
        qsort(c->e, c->n, sizeof(*c->e), grant_ent_cmp);
    size_t o = 0;
    for (size_t i = 0; i < c->n; i++)
        if (o == 0 || !same_binding(c->e[o - 1]->g, c->e[i]->g))
            c->e[o++] = c->e[i];
    c->n = o;
}

/* upstream utilerrors aggregate text: one message alone, several "[a, b]", duplicates dropped */
static void errors_add(struct buf *b, size_t *n, const char *msg)
{
    /* dedupe by scanning the ", "-joined text (messages are short and few) */
    if (*n > 0) {
        const char *p = b->data;
        size_t ml = strlen(msg);
        while (p != NULL) {
            if (strncmp(p, msg, ml) == 0 && (p[ml] == '\0' || strncmp(p + ml, ", ", 2) == 0))
                return;
            p = strstr(p, ", ");
            if (p)
                p += 2;
        }
        buf_puts(b, ", ");
    }
    buf_puts(b, msg);
    (*n)++;
}

static char *errors_finish(struct buf *b, size_t n)
{
    if (n == 0) {
        buf_release(b);
        return NULL;
    }
    if (n == 1)
        return buf_detach(b, NULL);
    char *s = xasprintf("[%s]", b->data);
    buf_release(b);
    return s;
}

static char *role_errors(const struct rbac_snapshot *s, const struct user_info *u, const char *ns)
{
    struct collect c = {0};
    collect_grants(s, u, ns, &c);
    struct buf b = BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.e[i]->role == NULL)
            errors_add(&b, &n, c.e[i]->g->role_error);
    free(c.e);
    return errors_finish(&b, n);
}

enum authz_decision rbac_snapshot_authorize(const struct rbac_snapshot *s,
                                            const struct authz_attrs *a, char **ret_reason)
{
    struct decide d = {0};
    struct rbac_probe p;
    rbac_probe_init(&p, a);
    struct subjects sj;
    subjects_init(&sj, a->user);
    struct scope sc;
    scope_set(&sc, NULL);
    decide_scope(s, &sc, &sj, &p, &d);
    bool nsd = a->is_resource && a->ns != NULL && *a->ns;
    if (d.best == NULL && nsd) {
        scope_set(&sc, a->ns);
        decide_scope(s, &sc, &sj, &p, &d);
        scope_release(&sc);
    }
    if (d.best != NULL) {
        if (ret_reason != NULL)
            *ret_reason = xstrdup(d.best->reason);
        return AUTHZ_ALLOW;
    }
    if (ret_reason != NULL) {
        *ret_reason = NULL;
        if (d.missing) {
            char *errs = role_errors(s, a->user, nsd ? a->ns : NULL);
            if (errs != NULL)
                *ret_reason = xasprintf("RBAC: %s", errs);
            free(errs);
        }
    }
    return AUTHZ_NO_OPINION;
}

void rbac_snapshot_rules_for(const struct rbac_snapshot *s, const struct user_info *u,
                             const char *ns, struct rbac_rules *ret, char **ret_errors)
{
    struct collect c = {0};
    collect_grants(s, u, ns, &c);
    struct buf b = BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < c.n; i++) {
        const struct role_val *r = c.e[i]->role;
        if (r == NULL) {
            errors_add(&b, &n, c.e[i]->g->role_error);
            continue;
        }
        for (size_t j = 0; j < r->rules.n; j++)
            rbac_rules_add(ret, &r->rules.items[j]);
    }
    free(c.e);
    *ret_errors = errors_finish(&b, n);
}

int rbac_snapshot_role_rules(const struct rbac_snapshot *s, const char *kind, const char *ns,
                             const char *name, struct rbac_rules *ret)
{
    bool cluster;
    if (strcmp(kind, "ClusterRole") == 0)
        cluster = true;
    else if (strcmp(kind, "Role") == 0)
        cluster = false;
    else
        return AZ_EINVALID;
    struct buf k = BUF_INIT;
    key_role(&k, cluster, ns, name);
    const struct role_val *r = (const struct role_val *)map_get(s->shards, k.data, k.len);
    buf_release(&k);
    if (r == NULL)
        return AZ_ENOTFOUND;
    for (size_t j = 0; j < r->rules.n; j++)
        rbac_rules_add(ret, &r->rules.items[j]);
    return 0;
}
