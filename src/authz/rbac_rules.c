/* rbac_rules.c — PolicyRule matching, coverage and compaction; see rbac_rules.h. */
#include <stdlib.h>
#include <string.h>
#include "machinery/field.h"
#include "authz/rbac_rules.h"
#include "util/buf.h"
#include "util/text.h"

#define RBAC_RULE_MAX_ITEMS 4096 /* per list: bounds work on client-supplied roles */

void rbac_rules_init(struct rbac_rules *rs)
{
    memset(rs, 0, sizeof(*rs));
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static void rule_release(struct rbac_rule *r)
{
    free_list(r->verbs, r->nverbs);
    free_list(r->groups, r->ngroups);
    free_list(r->resources, r->nresources);
    free_list(r->names, r->nnames);
    free_list(r->urls, r->nurls);
    memset(r, 0, sizeof(*r));
}

void rbac_rules_release(struct rbac_rules *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rule_release(&rs->items[i]);
    free(rs->items);
    memset(rs, 0, sizeof(*rs));
}

static struct rbac_rule *rules_push(struct rbac_rules *rs)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 8;
        rs->items = xrealloc(rs->items, rs->cap * sizeof(*rs->items));
    }
    struct rbac_rule *r = &rs->items[rs->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

static char **list_from_json(json_t *arr, size_t *ret_n)
{
    *ret_n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return NULL;
    size_t n = json_array_size(arr);
    if (n > RBAC_RULE_MAX_ITEMS)
        n = RBAC_RULE_MAX_ITEMS;
    char **out = xcalloc(n, sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s != NULL)
            out[k++] = xstrdup(s);
    }
    *ret_n = k;
    return out;
}

static char **list_copy(char *const *l, size_t n)
{
    if (n == 0)
        return NULL;
    char **out = xcalloc(n, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(l[i]);
    return out;
}

static char **list_from_strs(const char *const *l, size_t *ret_n)
{
    size_t n = 0;
    while (l != NULL && l[n] != NULL)
        n++;
    *ret_n = n;
    return list_copy((char *const *)l, n);
}

void rbac_rules_add_json(struct rbac_rules *rs, json_t *rules)
{
    size_t i;
    json_t *rule;
    if (!json_is_array(rules))
        return;
    json_array_foreach(rules, i, rule) {
        if (!json_is_object(rule))
            continue;
        struct rbac_rule *r = rules_push(rs);
        r->verbs = list_from_json(json_object_get(rule, "verbs"), &r->nverbs);
        r->groups = list_from_json(json_object_get(rule, "apiGroups"), &r->ngroups);
        r->resources = list_from_json(json_object_get(rule, "resources"), &r->nresources);
        r->names = list_from_json(json_object_get(rule, "resourceNames"), &r->nnames);
        r->urls = list_from_json(json_object_get(rule, "nonResourceURLs"), &r->nurls);
    }
}

void rbac_rules_add(struct rbac_rules *rs, const struct rbac_rule *src)
{
    struct rbac_rule *r = rules_push(rs);
    r->verbs = list_copy(src->verbs, r->nverbs = src->nverbs);
    r->groups = list_copy(src->groups, r->ngroups = src->ngroups);
    r->resources = list_copy(src->resources, r->nresources = src->nresources);
    r->names = list_copy(src->names, r->nnames = src->nnames);
    r->urls = list_copy(src->urls, r->nurls = src->nurls);
}

void rbac_rules_add_lists(struct rbac_rules *rs, const char *const *verbs,
                          const char *const *groups, const char *const *resources,
                          const char *const *names, const char *const *urls)
{
    struct rbac_rule *r = rules_push(rs);
    r->verbs = list_from_strs(verbs, &r->nverbs);
    r->groups = list_from_strs(groups, &r->ngroups);
    r->resources = list_from_strs(resources, &r->nresources);
    r->names = list_from_strs(names, &r->nnames);
    r->urls = list_from_strs(urls, &r->nurls);
}

static bool has(char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

static bool has_all(char *const *set, size_t nset, char *const *want, size_t nwant)
{
    for (size_t i = 0; i < nwant; i++)
        if (!has(set, nset, want[i]))
            return false;
    return true;
}

static bool url_matches(const char *rule_url, const char *path)
{
    if (strcmp(rule_url, "*") == 0 || strcmp(rule_url, path) == 0)
        return true;
    size_t n = strlen(rule_url);
    if (n == 0 || rule_url[n - 1] != '*')
        return false;
    while (n > 0 && rule_url[n - 1] == '*')
        n--;
    return strncmp(path, rule_url, n) == 0;
}

bool rbac_rule_allows(const struct rbac_rule *r, const struct authz_attrs *a)
{
    if (!has(r->verbs, r->nverbs, "*") && !has(r->verbs, r->nverbs, a->verb ? a->verb : ""))
        return false;
    if (!a->is_resource) {
        const char *path = a->path ? a->path : "";
        for (size_t i = 0; i < r->nurls; i++)
            if (url_matches(r->urls[i], path))
                return true;
        return false;
    }
    const char *group = a->group ? a->group : "";
    if (!has(r->groups, r->ngroups, "*") && !has(r->groups, r->ngroups, group))
        return false;
    const char *res = a->resource ? a->resource : "";
    const char *sub = a->subresource ? a->subresource : "";
    size_t rlen = strlen(res), slen = strlen(sub);
    bool ok = false;
    for (size_t i = 0; i < r->nresources && !ok; i++) {
        const char *rr = r->resources[i];
        if (strcmp(rr, "*") == 0) {
            ok = true;
        } else if (slen == 0) {
            ok = strcmp(rr, res) == 0;
        } else {
            size_t n = strlen(rr);
            /* combined "res/sub", or exactly "*" + "/" + sub */
            ok = (n == rlen + 1 + slen && memcmp(rr, res, rlen) == 0 && rr[rlen] == '/' &&
                  memcmp(rr + rlen + 1, sub, slen) == 0) ||
                 (n == slen + 2 && rr[0] == '*' && rr[1] == '/' && memcmp(rr + 2, sub, slen) == 0);
        }
    }
    if (!ok)
        return false;
    if (r->nnames == 0)
        return true;
    return has(r->names, r->nnames, a->name ? a->name : "");
}

/* ---- coverage (escalation) ---------------------------------------------------------- */

static bool resource_covers_all(const struct rbac_rule *o, char *const *want, size_t nwant)
{
    if (has(o->resources, o->nresources, "*") || has_all(o->resources, o->nresources, want, nwant))
        return true;
    for (size_t i = 0; i < nwant; i++) {
        if (has(o->resources, o->nresources, want[i]))
            continue;
        const char *slash = strchr(want[i], '/');
        if (slash == NULL)
            return false;
        char *star = xasprintf("*/%s", slash + 1);
        bool found = has(o->resources, o->nresources, star);
        free(star);
        if (!found)
            return false;
    }
    return true;
}

static bool url_covers(const char *owner, const char *sub)
{
    if (strcmp(owner, sub) == 0)
        return true;
    size_t n = strlen(owner);
    if (n == 0 || owner[n - 1] != '*')
        return false;
    while (n > 0 && owner[n - 1] == '*')
        n--;
    return strncmp(sub, owner, n) == 0;
}

static bool rule_covers(const struct rbac_rule *o, const struct rbac_rule *s)
{
    if (!has(o->verbs, o->nverbs, "*") && !has_all(o->verbs, o->nverbs, s->verbs, s->nverbs))
        return false;
    if (!has(o->groups, o->ngroups, "*") && !has_all(o->groups, o->ngroups, s->groups, s->ngroups))
        return false;
    if (!resource_covers_all(o, s->resources, s->nresources))
        return false;
    for (size_t i = 0; i < s->nurls; i++) {
        bool covered = false;
        for (size_t j = 0; j < o->nurls && !covered; j++)
            covered = url_covers(o->urls[j], s->urls[i]);
        if (!covered)
            return false;
    }
    if (s->nnames == 0)
        return o->nnames == 0;
    return o->nnames == 0 || has_all(o->names, o->nnames, s->names, s->nnames);
}

static void piece(struct rbac_rules *out, const char *g, const char *r, const char *v,
                  const char *n, const char *u)
{
    const char *gl[] = {g, NULL}, *rl[] = {r, NULL}, *vl[] = {v, NULL}, *nl[] = {n, NULL},
               *ul[] = {u, NULL};
    rbac_rules_add_lists(out, vl, g ? gl : NULL, r ? rl : NULL, n ? nl : NULL, u ? ul : NULL);
}

/* Upstream BreakdownRule. */
static void breakdown(const struct rbac_rule *r, struct rbac_rules *out)
{
    for (size_t g = 0; g < r->ngroups; g++)
        for (size_t s = 0; s < r->nresources; s++)
            for (size_t v = 0; v < r->nverbs; v++) {
                if (r->nnames == 0)
                    piece(out, r->groups[g], r->resources[s], r->verbs[v], NULL, NULL);
                for (size_t n = 0; n < r->nnames; n++)
                    piece(out, r->groups[g], r->resources[s], r->verbs[v], r->names[n], NULL);
            }
    for (size_t u = 0; u < r->nurls; u++)
        for (size_t v = 0; v < r->nverbs; v++)
            piece(out, NULL, NULL, r->verbs[v], NULL, r->urls[u]);
}

bool rbac_rules_cover(const struct rbac_rules *owner, const struct rbac_rules *servant,
                      struct rbac_rules *ret_missing)
{
    bool all = true;
    for (size_t i = 0; i < servant->n; i++) {
        struct rbac_rules pieces;
        rbac_rules_init(&pieces);
        breakdown(&servant->items[i], &pieces);
        for (size_t p = 0; p < pieces.n; p++) {
            bool covered = false;
            for (size_t o = 0; o < owner->n && !covered; o++)
                covered = rule_covers(&owner->items[o], &pieces.items[p]);
            if (!covered) {
                all = false;
                if (ret_missing != NULL)
                    rbac_rules_add(ret_missing, &pieces.items[p]);
            }
        }
        rbac_rules_release(&pieces);
    }
    return all;
}

/* ---- description ------------------------------------------------------------------- */

void rbac_quote_list(struct buf *b, char *const *items, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ' ');
        go_quote(b, items[i], strlen(items[i]));
    }
    buf_putc(b, ']');
}

/* Upstream CompactString. */
static char *compact_string(const struct rbac_rule *r)
{
    struct buf b = BUF_INIT;
    bool first = true;
#define PART(label, list, n)                                                                   \
    if ((n) > 0) {                                                                             \
        buf_puts(&b, first ? "{" label ":" : ", " label ":");                                  \
        rbac_quote_list(&b, list, n);                                                          \
        first = false;                                                                         \
    }
    PART("APIGroups", r->groups, r->ngroups)
    PART("Resources", r->resources, r->nresources)
    PART("NonResourceURLs", r->urls, r->nurls)
    PART("ResourceNames", r->names, r->nnames)
    PART("Verbs", r->verbs, r->nverbs)
#undef PART
    if (first)
        buf_putc(&b, '{');
    buf_putc(&b, '}');
    return buf_detach(&b, NULL);
}

/* Upstream isSimpleResourceRule: one group, one resource, at most one name, no URLs. */
static bool is_simple(const struct rbac_rule *r)
{
    return r->nnames <= 1 && r->nurls == 0 && r->ngroups == 1 && r->nresources == 1;
}

static bool same_simple(const struct rbac_rule *a, const struct rbac_rule *b)
{
    return strcmp(a->groups[0], b->groups[0]) == 0 && strcmp(a->resources[0], b->resources[0]) == 0 &&
           a->nnames == b->nnames && (a->nnames == 0 || strcmp(a->names[0], b->names[0]) == 0);
}

char *rbac_rules_describe_missing(const struct rbac_rules *missing)
{
    /* CompactRules: simple rules differing only in verbs merge (verbs appended in order) */
    struct rbac_rules compact;
    rbac_rules_init(&compact);
    for (size_t i = 0; i < missing->n; i++) {
        const struct rbac_rule *m = &missing->items[i];
        struct rbac_rule *into = NULL;
        if (is_simple(m))
            for (size_t j = 0; j < compact.n && into == NULL; j++)
                if (is_simple(&compact.items[j]) && same_simple(&compact.items[j], m))
                    into = &compact.items[j];
        if (into == NULL) {
            rbac_rules_add(&compact, m);
            continue;
        }
        into->verbs = xrealloc(into->verbs, (into->nverbs + m->nverbs) * sizeof(char *));
        for (size_t v = 0; v < m->nverbs; v++)
            into->verbs[into->nverbs++] = xstrdup(m->verbs[v]);
    }
    char **descs = xcalloc(compact.n ? compact.n : 1, sizeof(char *));
    for (size_t i = 0; i < compact.n; i++)
        descs[i] = compact_string(&compact.items[i]);
    qsort(descs, compact.n, sizeof(char *), strp_cmp);
    struct buf b = BUF_INIT;
    buf_puts(&b, "");
    for (size_t i = 0; i < compact.n; i++) {
        if (i > 0 && strcmp(descs[i], descs[i - 1]) == 0)
            continue;
        if (b.len)
            buf_putc(&b, '\n');
        buf_puts(&b, descs[i]);
    }
    free_list(descs, compact.n);
    rbac_rules_release(&compact);
    return buf_detach(&b, NULL);
}

static json_t *list_json(char *const *l, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(l[i]));
    return a;
}

json_t *rbac_rule_to_json(const struct rbac_rule *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "verbs", list_json(r->verbs, r->nverbs));
    if (r->ngroups)
        json_object_set_new(o, "apiGroups", list_json(r->groups, r->ngroups));
    if (r->nresources)
        json_object_set_new(o, "resources", list_json(r->resources, r->nresources));
    if (r->nnames)
        json_object_set_new(o, "resourceNames", list_json(r->names, r->nnames));
    if (r->nurls)
        json_object_set_new(o, "nonResourceURLs", list_json(r->urls, r->nurls));
    return o;
}

/* ---- compiled rules ------------------------------------------------------------------ */

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t load32(const char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* The last (up to) 8 bytes of p[0..n) as a word that, for a given n < 8, determines them;
 * for n >= 8 the 8 bytes ending at p + n. */
static inline uint64_t tail_word(const char *p, size_t n)
{
    if (n >= 8)
        return load64(p + n - 8);
    if (n >= 4)
        return load32(p) | (load32(p + n - 4) << 32);
    if (n > 0)
        return (uint64_t)(unsigned char)p[0] | ((uint64_t)(unsigned char)p[n / 2] << 8) |
               ((uint64_t)(unsigned char)p[n - 1] << 16);
    return 0;
}

uint64_t rbac_hash(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0x100000001b3ull);
    while (n > 8) {
        h = (h ^ load64(p)) * 0x87c37b91114253d5ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    return fmix64(h ^ tail_word(p, n));
}

/* First word of a string: its first 8 bytes for n >= 8 (the rest compared with memcmp), else
 * a word that determines all n bytes. */
static inline uint64_t word0(const char *s, size_t n)
{
    return n >= 8 ? load64(s) : tail_word(s, n);
}

static inline void cstr_set(struct rbac_cstr *c, const char *s, size_t n)
{
    c->s = s;
    c->len = (uint32_t)n;
    c->w0 = word0(s, n);
    c->star_sub = false;
    c->sub_w0 = 0;
}

/* The bit of a verb (RBAC_VERB_OTHER when not a known one). */
static uint64_t verb_bit(const char *s, size_t n)
{
#define V(str, bit)                                                                            \
    if (memcmp(s, str, n) == 0)                                                                \
        return 1ull << (bit);
    switch (n) {
    case 3:
        V("get", 0) V("use", 1) break;
    case 4:
        V("list", 2) V("bind", 3) V("sign", 4) break;
    case 5:
        V("watch", 5) V("patch", 6) V("proxy", 7) break;
    case 6:
        V("create", 8) V("update", 9) V("delete", 10) V("attest", 11) break;
    case 7:
        V("approve", 12) break;
    case 8:
        V("escalate", 13) break;
    case 11:
        V("impersonate", 14) break;
    case 16:
        V("deletecollection", 15) break;
    default:
        break;
    }
#undef V
    return RBAC_VERB_OTHER;
}

/* Appends the items of list l to c->strs; returns whether one of them is "*". */
static bool compile_list(struct rbac_crules *c, size_t *cap, char *const *l, size_t n,
                         uint32_t *ret_at, uint32_t *ret_n, bool resources)
{
    bool any = false;
    if (c->nstrs + n > *cap) {
        while (c->nstrs + n > *cap)
            *cap = *cap ? *cap * 2 : 16;
        c->strs = xrealloc(c->strs, *cap * sizeof(*c->strs));
    }
    *ret_at = (uint32_t)c->nstrs;
    *ret_n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        struct rbac_cstr *s = &c->strs[c->nstrs++];
        size_t len = strlen(l[i]);
        cstr_set(s, l[i], len);
        if (len == 1 && l[i][0] == '*')
            any = true;
        if (resources && len >= 2 && l[i][0] == '*' && l[i][1] == '/') {
            s->star_sub = true;
            s->sub_w0 = word0(l[i] + 2, len - 2);
        }
    }
    return any;
}

void rbac_crules_compile(const struct rbac_rules *rs, struct rbac_crules *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (rs->n == 0)
        return;
    ret->items = xcalloc(rs->n, sizeof(*ret->items));
    size_t cap = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const struct rbac_rule *r = &rs->items[i];
        struct rbac_crule *c = &ret->items[ret->n++];
        c->src = r;
        /* verbs: known ones as bits, the others kept as strings */
        char **other = xcalloc(r->nverbs ? r->nverbs : 1, sizeof(char *));
        size_t nother = 0;
        for (size_t v = 0; v < r->nverbs; v++) {
            size_t len = strlen(r->verbs[v]);
            if (len == 1 && r->verbs[v][0] == '*')
                c->any_verb = true;
            uint64_t bit = verb_bit(r->verbs[v], len);
            c->verb_mask |= bit;
            if (bit == RBAC_VERB_OTHER)
                other[nother++] = r->verbs[v];
        }
        if (c->any_verb)
            c->verb_mask = ~0ull;
        compile_list(ret, &cap, other, nother, &c->verbs, &c->nverbs, false);
        free(other);
        ret->verb_mask |= c->verb_mask;
        ret->has_res |= r->nresources > 0;
        ret->has_urls |= r->nurls > 0;
        c->any_group = compile_list(ret, &cap, r->groups, r->ngroups, &c->groups, &c->ngroups, false);
        c->any_res = compile_list(ret, &cap, r->resources, r->nresources, &c->res, &c->nres, true);
        compile_list(ret, &cap, r->names, r->nnames, &c->names, &c->nnames, false);
    }
}

void rbac_crules_release(struct rbac_crules *c)
{
    free(c->items);
    free(c->strs);
    memset(c, 0, sizeof(*c));
}

void rbac_probe_init(struct rbac_probe *p, const struct authz_attrs *a)
{
    p->a = a;
    p->slow = false;
    const char *verb = a->verb ? a->verb : "";
    cstr_set(&p->verb, verb, strlen(verb));
    p->verb_bit = verb_bit(verb, p->verb.len);
    if (!a->is_resource)
        return;
    const char *group = a->group ? a->group : "";
    const char *res = a->resource ? a->resource : "";
    const char *sub = a->subresource ? a->subresource : "";
    const char *name = a->name ? a->name : "";
    cstr_set(&p->group, group, strlen(group));
    cstr_set(&p->name, name, strlen(name));
    size_t rlen = strlen(res), slen = strlen(sub);
    cstr_set(&p->sub, sub, slen);
    if (slen == 0) {
        cstr_set(&p->res, res, rlen);
    } else if (rlen + 1 + slen <= sizeof(p->combined)) {
        memcpy(p->combined, res, rlen);
        p->combined[rlen] = '/';
        memcpy(p->combined + rlen + 1, sub, slen);
        cstr_set(&p->res, p->combined, rlen + 1 + slen);
    } else {
        p->slow = true;
    }
}

static inline bool cstr_eq(const struct rbac_cstr *a, const struct rbac_cstr *b)
{
    return a->w0 == b->w0 && a->len == b->len &&
           (a->len <= 8 || memcmp(a->s + 8, b->s + 8, a->len - 8) == 0);
}

static inline bool cstr_in(const struct rbac_cstr *items, uint32_t n, const struct rbac_cstr *want)
{
    for (uint32_t i = 0; i < n; i++)
        if (cstr_eq(&items[i], want))
            return true;
    return false;
}

static bool crule_resource_ok(const struct rbac_crules *c, const struct rbac_crule *r,
                              const struct rbac_probe *p)
{
    if (r->any_res)
        return true;
    const struct rbac_cstr *items = c->strs + r->res;
    bool has_sub = p->sub.len > 0;
    for (uint32_t i = 0; i < r->nres; i++) {
        const struct rbac_cstr *it = &items[i];
        if (cstr_eq(it, &p->res))
            return true;
        /* "*" + "/" + sub matches any resource's sub (only with a subresource) */
        if (has_sub && it->star_sub && it->sub_w0 == p->sub.w0 && it->len == p->sub.len + 2 &&
            (p->sub.len <= 8 || memcmp(it->s + 10, p->sub.s + 8, p->sub.len - 8) == 0))
            return true;
    }
    return false;
}

bool rbac_crules_allow(const struct rbac_crules *c, const struct rbac_probe *p)
{
    const struct authz_attrs *a = p->a;
    if ((c->verb_mask & p->verb_bit) == 0 || !(a->is_resource ? c->has_res : c->has_urls))
        return false;
    for (size_t i = 0; i < c->n; i++) {
        const struct rbac_crule *r = &c->items[i];
        if ((r->verb_mask & p->verb_bit) == 0)
            continue;
        if (p->verb_bit == RBAC_VERB_OTHER && !r->any_verb &&
            !cstr_in(c->strs + r->verbs, r->nverbs, &p->verb))
            continue;
        if (!a->is_resource || p->slow) {
            if (rbac_rule_allows(r->src, a))
                return true;
            continue;
        }
        if (!r->any_group && !cstr_in(c->strs + r->groups, r->ngroups, &p->group))
            continue;
        if (!crule_resource_ok(c, r, p))
            continue;
        if (r->nnames == 0 || cstr_in(c->strs + r->names, r->nnames, &p->name))
            return true;
    }
    return false;
}
