/* rbac_index.c — subject-keyed RBAC index with copy-on-write snapshots; see rbac_index.h. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "api/field.h"
#include "authz/rbac_index.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define PMAP_SHARDS 1024
#define RBAC_MAX_SUBJECTS 4096 /* per binding */

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

/* Compiled rules of a Role/ClusterRole. */
struct role_val {
    struct rc rc;
    struct rbac_rules rules;
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

/* Grants under one key, sorted by (binding name, subject position). */
struct grant_list {
    struct rc rc;
    size_t n;
    struct grant *g[];
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
    for (size_t i = 0; i < l->n; i++)
        rc_unref(&l->g[i]->rc);
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

/* ---- persistent sharded map ------------------------------------------------------------ */

struct pmap_entry {
    uint64_t hash;
    struct rc *val; /* owns the key */
};

struct pmap_shard {
    atomic_int refs;
    size_t n;
    struct pmap_entry e[]; /* sorted by (hash, len, bytes) */
};

struct rbac_snapshot {
    atomic_int refs;
    struct pmap_shard *shards[PMAP_SHARDS];
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    return h;
}

static int entry_cmp(uint64_t h, const char *k, size_t n, const struct pmap_entry *e)
{
    if (h != e->hash)
        return h < e->hash ? -1 : 1;
    if (n != e->val->len)
        return n < e->val->len ? -1 : 1;
    return memcmp(k, e->val->key, n);
}

/* Index of the entry or of the insertion point (*ret_found tells). */
static size_t shard_find(const struct pmap_shard *s, uint64_t h, const char *k, size_t n,
                         bool *ret_found)
{
    size_t lo = 0, hi = s ? s->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = entry_cmp(h, k, n, &s->e[mid]);
        if (c == 0) {
            *ret_found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *ret_found = false;
    return lo;
}

static void shard_unref(struct pmap_shard *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        rc_unref(s->e[i].val);
    free(s);
}

static struct rc *map_get(struct pmap_shard *const *shards, const char *k, size_t n)
{
    uint64_t h = hash_bytes(k, n);
    const struct pmap_shard *s = shards[h % PMAP_SHARDS];
    bool found;
    size_t i = shard_find(s, h, k, n, &found);
    return found ? s->e[i].val : NULL;
}

/* Sets (val != NULL, reference taken over) or removes key k in the working map. */
static void map_set(struct pmap_shard **shards, const char *k, size_t n, struct rc *val)
{
    uint64_t h = hash_bytes(k, n);
    struct pmap_shard *old = shards[h % PMAP_SHARDS];
    bool found;
    size_t at = shard_find(old, h, k, n, &found);
    size_t oldn = old ? old->n : 0;
    if (!found && val == NULL)
        return;
    if (val != NULL && val->key == NULL) {
        val->key = xstrndup(k, n);
        val->len = n;
    }
    size_t newn = oldn + (found ? 0 : 1) - (val == NULL ? 1 : 0);
    struct pmap_shard *s = NULL;
    if (newn > 0) {
        s = xmalloc(sizeof(*s) + newn * sizeof(s->e[0]));
        atomic_init(&s->refs, 1);
        s->n = newn;
        size_t o = 0;
        for (size_t i = 0; i < oldn; i++) {
            if (i == at && !found)
                s->e[o++] = (struct pmap_entry){h, val};
            if (i == at && found) {
                if (val != NULL)
                    s->e[o++] = (struct pmap_entry){h, val};
                continue;
            }
            s->e[o] = old->e[i];
            rc_ref(s->e[o].val);
            o++;
        }
        if (at == oldn && !found)
            s->e[o++] = (struct pmap_entry){h, val};
    }
    shards[h % PMAP_SHARDS] = s;
    shard_unref(old);
}

/* ---- the index ---------------------------------------------------------------------- */

struct retired {
    struct rbac_snapshot *snap;
    uint64_t at_ms;
    struct retired *next;
};

struct rbac_index {
    struct pmap_shard *work[PMAP_SHARDS]; /* the writer's map */
    _Atomic(struct rbac_snapshot *) current;
    struct retired *retired;
};

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
    struct rbac_snapshot *s = atomic_load_explicit(&ix->current, memory_order_acquire);
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
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
    while (ix->retired) {
        struct retired *r = ix->retired;
        ix->retired = r->next;
        rbac_snapshot_release(r->snap);
        free(r);
    }
    rbac_snapshot_release(atomic_load(&ix->current));
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
    struct rbac_snapshot *old = atomic_exchange_explicit(&ix->current, s, memory_order_acq_rel);
    uint64_t now = now_ms();
    struct retired **pp = &ix->retired;
    while (*pp) {
        struct retired *r = *pp;
        if (now - r->at_ms >= RBAC_INDEX_GRACE_MS) {
            *pp = r->next;
            rbac_snapshot_release(r->snap);
            free(r);
        } else {
            pp = &r->next;
        }
    }
    struct retired *r = xmalloc(sizeof(*r));
    r->snap = old;
    r->at_ms = now;
    r->next = ix->retired;
    ix->retired = r;
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
    struct buf k = BUF_INIT;
    key_role(&k, cluster, json_path_str(obj, "metadata.namespace"), json_path_str(obj, "metadata.name"));
    map_set(ix->work, k.data, k.len, &v->rc);
    buf_release(&k);
}

/* ---- bindings ---------------------------------------------------------------------- */

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

/* Rebuilds the grant list at key without grants of binding (ns, name, namespaced), plus add
 * (may be NULL). */
static void list_replace(struct rbac_index *ix, const char *key, size_t klen, bool namespaced,
                         const char *ns, const char *name, struct grant *add)
{
    struct grant_list *old = (struct grant_list *)map_get(ix->work, key, klen);
    size_t oldn = old ? old->n : 0;
    struct grant_list *l = xmalloc(sizeof(*l) + (oldn + 1) * sizeof(l->g[0]));
    atomic_init(&l->rc.refs, 1);
    l->rc.destroy = grant_list_destroy;
    l->rc.key = NULL;
    l->rc.len = 0;
    l->n = 0;
    struct grant probe = {.namespaced = namespaced, .bind_ns = (char *)ns, .bind_name = (char *)name};
    bool added = add == NULL;
    for (size_t i = 0; i < oldn; i++) {
        struct grant *g = old->g[i];
        if (same_binding(g, &probe))
            continue;
        if (!added && grant_order(add, g) < 0) {
            l->g[l->n++] = (struct grant *)rc_ref(&add->rc);
            added = true;
        }
        l->g[l->n++] = (struct grant *)rc_ref(&g->rc);
    }
    if (!added)
        l->g[l->n++] = (struct grant *)rc_ref(&add->rc);
    if (l->n == 0) {
        free(l);
        map_set(ix->work, key, klen, NULL);
    } else {
        map_set(ix->work, key, klen, &l->rc);
    }
}

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
        field_quote_go(b, s, strlen(s));
        free(s);
    } else {
        field_quote_go(b, name, strlen(name));
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
        field_quote_go(&e, rkind, strlen(rkind));
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
            field_quote_go(&r, name, strlen(name));
        } else {
            char *nn = xasprintf("%s/%s", name, ns);
            buf_puts(&r, "RoleBinding ");
            field_quote_go(&r, nn, strlen(nn));
            free(nn);
        }
        buf_printf(&r, " of %s ", rkind);
        field_quote_go(&r, rname, strlen(rname));
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

/* A small key builder on the stack, heap only for long names. */
struct keybuf {
    char stack[256];
    char *p;
    size_t len;
};

static void keybuf_set(struct keybuf *k, const char *scope, size_t slen, const char *kind,
                       const char *name)
{
    size_t nlen = strlen(name);
    size_t need = slen + 2 + nlen;
    k->p = need <= sizeof(k->stack) ? k->stack : xmalloc(need);
    memcpy(k->p, scope, slen);
    memcpy(k->p + slen, kind, 2);
    memcpy(k->p + slen + 2, name, nlen);
    k->len = need;
}

static void keybuf_release(struct keybuf *k)
{
    if (k->p != k->stack)
        free(k->p);
}

/* Calls visit(arg, grant) for every grant under scope for the user and each group. */
static void visit_scope(const struct rbac_snapshot *s, const struct user_info *u, const char *scope,
                        size_t slen, void (*visit)(void *, const struct grant *), void *arg)
{
    for (size_t i = 0; i <= u->ngroups; i++) {
        struct keybuf k;
        keybuf_set(&k, scope, slen, i == 0 ? "u:" : "g:", i == 0 ? (u->name ? u->name : "") : u->groups[i - 1]);
        const struct grant_list *l = (const struct grant_list *)map_get(s->shards, k.p, k.len);
        keybuf_release(&k);
        for (size_t j = 0; l != NULL && j < l->n; j++)
            visit(arg, l->g[j]);
    }
}

struct decide {
    const struct rbac_snapshot *s;
    const struct authz_attrs *a;
    const struct grant *best;
    bool missing;
};

static void decide_visit(void *arg, const struct grant *g)
{
    struct decide *d = arg;
    if (d->best != NULL && grant_order(g, d->best) >= 0)
        return;
    const struct role_val *r = g->role_key ? (const struct role_val *)map_get(d->s->shards, g->role_key, g->role_key_len) : NULL;
    if (r == NULL) {
        d->missing = true;
        return;
    }
    for (size_t i = 0; i < r->rules.n; i++)
        if (rbac_rule_allows(&r->rules.items[i], d->a)) {
            d->best = g;
            return;
        }
}

/* Grants collected in binding order, one per binding. */
struct collect {
    const struct grant **g;
    size_t n, cap;
};

static void collect_visit(void *arg, const struct grant *g)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->g = xrealloc(c->g, c->cap * sizeof(*c->g));
    }
    c->g[c->n++] = g;
}

static int grant_ptr_cmp(const void *a, const void *b)
{
    return grant_order(*(const struct grant *const *)a, *(const struct grant *const *)b);
}

static void collect_grants(const struct rbac_snapshot *s, const struct user_info *u, const char *ns,
                           struct collect *c)
{
    visit_scope(s, u, "C", 1, collect_visit, c);
    if (ns != NULL && *ns) {
        struct buf scope = BUF_INIT;
        key_scope(&scope, ns);
        visit_scope(s, u, scope.data, scope.len, collect_visit, c);
        buf_release(&scope);
    }
    qsort(c->g, c->n, sizeof(*c->g), grant_ptr_cmp);
    size_t o = 0;
    for (size_t i = 0; i < c->n; i++)
        if (o == 0 || !same_binding(c->g[o - 1], c->g[i]))
            c->g[o++] = c->g[i];
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
        if (c.g[i]->role_key == NULL || map_get(s->shards, c.g[i]->role_key, c.g[i]->role_key_len) == NULL)
            errors_add(&b, &n, c.g[i]->role_error);
    free(c.g);
    return errors_finish(&b, n);
}

enum authz_decision rbac_snapshot_authorize(const struct rbac_snapshot *s,
                                            const struct authz_attrs *a, char **ret_reason)
{
    struct decide d = {.s = s, .a = a};
    const struct user_info *u = a->user;
    visit_scope(s, u, "C", 1, decide_visit, &d);
    bool nsd = a->is_resource && a->ns != NULL && *a->ns;
    if (d.best == NULL && nsd) {
        size_t nl = strlen(a->ns);
        char stack[256];
        char *scope = nl + 2 <= sizeof(stack) ? stack : xmalloc(nl + 2);
        scope[0] = 'N';
        memcpy(scope + 1, a->ns, nl);
        scope[nl + 1] = '\x01';
        visit_scope(s, u, scope, nl + 2, decide_visit, &d);
        if (scope != stack)
            free(scope);
    }
    if (d.best != NULL) {
        if (ret_reason != NULL)
            *ret_reason = xstrdup(d.best->reason);
        return AUTHZ_ALLOW;
    }
    if (ret_reason != NULL) {
        *ret_reason = NULL;
        if (d.missing) {
            char *errs = role_errors(s, u, nsd ? a->ns : NULL);
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
        const struct role_val *r = c.g[i]->role_key ? (const struct role_val *)map_get(s->shards, c.g[i]->role_key, c.g[i]->role_key_len) : NULL;
        if (r == NULL) {
            errors_add(&b, &n, c.g[i]->role_error);
            continue;
        }
        for (size_t j = 0; j < r->rules.n; j++)
            rbac_rules_add(ret, &r->rules.items[j]);
    }
    free(c.g);
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
