/* findings.c — shortest escalation paths and per-object checks → the report (analyze.h).
 *
 * Reach classes, most powerful first: cluster-admin (critical), node (critical), the Secrets
 * of a namespace (high), another identity (medium; low in the same namespace). For each
 * class one reverse 0-1 BFS from its targets gives every node its hop distance to the nearest
 * target and the edge to follow, so all subjects are answered in O(classes × (V + E)). */
#include <string.h>
#include "analyze/analyze_int.h"
#include "util/buf.h"
#include "util/json.h"


#define INF 0x3fffffff
#define MAX_FORWARD_VISITS 20000

/* Reverse 0-1 BFS from every node with is_target. dist/next are filled for every node. */
static void reverse_bfs(const struct graph *g, bool (*is_target)(const struct graph *, int), int *dist, int *next)
{
    size_t cap = 1;
    while (cap < 2 * (g->ne + g->nn) + 4)
        cap <<= 1;
    int *dq = xmalloc(cap * sizeof(int));
    size_t head = 0, tail = 0; /* [head, tail) modulo cap */
    for (size_t i = 0; i < g->nn; i++) {
        dist[i] = INF;
        next[i] = -1;
        if (is_target(g, (int)i)) {
            dist[i] = 0;
            dq[tail++ & (cap - 1)] = (int)i;
        }
    }
    while (head != tail) {
        int v = dq[head++ & (cap - 1)];
        for (int k = g->in_start[v]; k < g->in_start[v + 1]; k++) {
            const struct gedge *e = &g->edges[g->in_list[k]];
            int w = gedge_weight(g, e), nd = dist[v] + w;
            if (nd >= dist[e->from])
                continue;
            dist[e->from] = nd;
            next[e->from] = g->in_list[k];
            if (w == 0)
                dq[--head & (cap - 1)] = e->from;
            else
                dq[tail++ & (cap - 1)] = e->from;
        }
    }
    free(dq);
}

static bool is_admin(const struct graph *g, int i) { return i == g->admin; }
static bool is_node(const struct graph *g, int i) { return i == g->node; }
static bool is_secrets(const struct graph *g, int i)
{
    return g->nodes[i].kind == GN_HUB_SECRETS && strcmp(g->nodes[i].ns, "*") != 0;
}

static json_t *via_json(const struct gvia *v)
{
    if (v == NULL)
        return json_null();
    return json_pack("{s:s, s:s, s:O?}", "binding", v->binding, "role", v->role, "rule", v->rule);
}

static void join(struct buf *b, const char *sep, const char *s)
{
    if (s == NULL)
        return;
    if (b->len)
        buf_puts(b, sep);
    buf_puts(b, s);
}

static json_t *location_json(const struct graph *g, int loc)
{
    if (loc < 0 || (size_t)loc >= g->inv->n || g->inv->items[loc].file == NULL)
        return json_null();
    return json_pack("{s:s, s:i}", "file", g->inv->items[loc].file, "line", g->inv->items[loc].line);
}

/* The finding for a path of edges (in order) from start. */
static json_t *path_finding(const struct graph *g, int start, const int *edges, size_t n,
                            enum analyze_severity sev)
{
    json_t *path = json_array();
    struct buf action = BUF_INIT, object = BUF_INIT, remedy = BUF_INIT;
    const struct gvia *via = NULL;
    int from = start, loc = -1, loc_any = -1;
    json_t *seen_remedies = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct gedge *e = &g->edges[edges[i]];
        join(&action, " ⇒ ", e->action);
        join(&object, "; ", e->object);
        if (via == NULL)
            via = e->via;
        if (e->loc >= 0 && e->via != NULL && loc < 0)
            loc = e->loc;
        if (e->loc >= 0 && loc_any < 0)
            loc_any = e->loc;
        /* remedies: the first grant (cut the path at its start) and every object-level fix */
        if (e->via != NULL && json_object_get(seen_remedies, "\x01grant") == NULL) {
            json_object_set_new(seen_remedies, "\x01grant", json_true());
            char *gr = analyze__grant_remedy(e->via, g->nodes[e->from].id);
            join(&remedy, "; ", gr);
            free(gr);
        }
        if (e->remedy != NULL && json_object_get(seen_remedies, e->remedy) == NULL) {
            json_object_set_new(seen_remedies, e->remedy, json_true());
            join(&remedy, "; ", e->remedy);
        }
        if (gedge_weight(g, e) == 1 || i + 1 == n) {
            json_array_append_new(path, json_pack("{s:s, s:s, s:s, s:o, s:s?}", "from", g->nodes[from].id,
                                                  "to", g->nodes[e->to].id, "action", action.data ? action.data : "",
                                                  "via", via_json(via), "object", object.data));
            buf_release(&action);
            buf_release(&object);
            via = NULL;
            from = e->to;
        }
    }
    json_decref(seen_remedies);
    const struct gedge *last = &g->edges[edges[n - 1]];
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "kind", "escalation",
                          "subject", g->nodes[start].id, "reaches", g->nodes[last->to].id,
                          "severity", analyze_severity_name(sev), "path", path,
                          "remedy", remedy.data ? remedy.data : "",
                          "location", location_json(g, loc >= 0 ? loc : loc_any >= 0 ? loc_any : g->nodes[start].loc));
    json_object_set_new(f, "hops", json_integer((json_int_t)json_array_size(path)));
    buf_release(&remedy);
    return f;
}

/* Another identity within one hop: a forward search over free edges. */
static json_t *nearest_identity(const struct graph *g, int start, int *mark, int *parent, int stamp)
{
    int *queue = xmalloc((g->nn + 1) * sizeof(int));
    size_t qh = 0, qt = 0;
    queue[qt++] = start;
    mark[start] = stamp;
    parent[start] = -1;
    json_t *found = NULL;
    size_t visits = 0;
    while (qh < qt && found == NULL && visits++ < MAX_FORWARD_VISITS) {
        int v = queue[qh++];
        for (int k = g->out_start[v]; k < g->out_start[v + 1] && found == NULL; k++) {
            const struct gedge *e = &g->edges[g->out_list[k]];
            if (e->to == start || mark[e->to] == stamp)
                continue;
            if (gedge_weight(g, e) == 0) {
                mark[e->to] = stamp;
                parent[e->to] = g->out_list[k];
                queue[qt++] = e->to;
                continue;
            }
            /* one hop to an identity */
            size_t n = 1;
            for (int u = v; parent[u] >= 0; u = g->edges[parent[u]].from)
                n++;
            int *edges = xmalloc(n * sizeof(int));
            size_t i = n;
            edges[--i] = g->out_list[k];
            for (int u = v; parent[u] >= 0; u = g->edges[parent[u]].from)
                edges[--i] = parent[u];
            const struct gnode *t = &g->nodes[e->to], *s = &g->nodes[start];
            enum analyze_severity sev = ANALYZE_MEDIUM;
            if (t->kind == GN_SA && s->kind == GN_SA && strcmp(t->ns, s->ns) == 0)
                sev = ANALYZE_LOW;
            found = path_finding(g, start, edges, n, sev);
            free(edges);
        }
    }
    free(queue);
    return found;
}

/* ---- per-object checks ----------------------------------------------------------------- */

static void check_add(json_t *out, const struct analyze_inventory *inv, size_t i, const char *kind,
                      const char *reaches, enum analyze_severity sev, const char *remedy)
{
    char *ref = analyze_object_ref(inv, i);
    json_t *loc = inv->items[i].file ? json_pack("{s:s, s:i}", "file", inv->items[i].file, "line", inv->items[i].line) : json_null();
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:[], s:s, s:o, s:i}", "kind", kind, "subject", ref,
                                         "reaches", reaches, "severity", analyze_severity_name(sev), "path",
                                         "remedy", remedy, "location", loc, "hops", 0));
    free(ref);
}

static bool has_star(json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (json_string_value(v) && strcmp(json_string_value(v), "*") == 0)
            return true;
    return false;
}

static void object_checks(const struct analyze_inventory *inv, json_t *sa_automount, json_t *out)
{
    for (size_t i = 0; i < inv->n; i++) {
        json_t *o = inv->items[i].obj;
        const char *k = json_str(o, "kind");
        if (inv->items[i].builtin || k == NULL)
            continue;
        const char *ns = json_path_str(o, "metadata.namespace");
        ns = ns && *ns ? ns : "default";
        if (strcmp(k, "Secret") == 0 && json_str(o, "type") && strcmp(json_str(o, "type"), "kubernetes.io/service-account-token") == 0) {
            check_add(out, inv, i, "legacy-token-secret", "a non-expiring ServiceAccount token stored in a Secret",
                      ANALYZE_MEDIUM, "delete the Secret and use TokenRequest (projected, expiring tokens; kubectl create token)");
        } else if (strcmp(k, "RoleBinding") == 0 || strcmp(k, "ClusterRoleBinding") == 0) {
            size_t j;
            json_t *s;
            json_array_foreach(json_object_get(o, "subjects"), j, s) {
                const char *sk = json_str(s, "kind"), *sn = json_str(s, "name");
                if (sk == NULL || sn == NULL)
                    continue;
                bool anon = (strcmp(sk, "Group") == 0 && strcmp(sn, "system:unauthenticated") == 0) ||
                            (strcmp(sk, "User") == 0 && strcmp(sn, "system:anonymous") == 0);
                bool broad = strcmp(sk, "Group") == 0 && (strcmp(sn, "system:authenticated") == 0 ||
                             strncmp(sn, "system:serviceaccounts", strlen("system:serviceaccounts")) == 0);
                if (!anon && !broad)
                    continue;
                char *r = xasprintf("the role %s to every member of %s", json_path_str(o, "roleRef.name") ? json_path_str(o, "roleRef.name") : "?", sn);
                check_add(out, inv, i, "broad-group-binding", r, anon ? ANALYZE_HIGH : ANALYZE_MEDIUM,
                          "bind the role to the ServiceAccounts or users that need it, not to a broad group");
                free(r);
            }
        } else if (strcmp(k, "Role") == 0 || strcmp(k, "ClusterRole") == 0) {
            size_t j;
            json_t *r;
            json_array_foreach(json_object_get(o, "rules"), j, r) {
                bool sv = has_star(json_object_get(r, "verbs")), sr = has_star(json_object_get(r, "resources"));
                bool sg = has_star(json_object_get(r, "apiGroups"));
                if (!sv && !sr && !sg)
                    continue;
                char *rule = json_dumps(r, JSON_COMPACT);
                char *txt = xasprintf("wildcard rule %s", rule);
                check_add(out, inv, i, "wildcard-rule", txt, sv || sr ? ANALYZE_MEDIUM : ANALYZE_LOW,
                          "list the verbs, API groups and resources the workload needs instead of \"*\"");
                free(txt);
                free(rule);
                break;
            }
        } else {
            json_t *spec = analyze__pod_spec(o);
            if (!json_is_object(spec))
                continue;
            if (strcmp(analyze__pod_sa(spec), "default") == 0 && analyze__token_mounted(spec, sa_automount, ns))
                check_add(out, inv, i, "default-sa-automount", "the automounted token of ServiceAccount default",
                          ANALYZE_LOW, "use a dedicated ServiceAccount, or set automountServiceAccountToken: false");
            char *esc = analyze__host_escape(spec);
            if (esc != NULL) {
                char *r = xasprintf("the node (%s)", esc);
                char *rem = xasprintf("remove %s, or label namespace %s pod-security.kubernetes.io/enforce=baseline", esc, ns);
                check_add(out, inv, i, "host-access", r, ANALYZE_MEDIUM, rem);
                free(rem);
                free(r);
                free(esc);
            }
        }
    }
}

/* ---- the report ------------------------------------------------------------------------ */

static int cmp_findings(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int sx = analyze_severity_parse(json_str(x, "severity")), sy = analyze_severity_parse(json_str(y, "severity"));
    if (sx != sy)
        return sy - sx;
    bool ex = strcmp(json_str(x, "kind"), "escalation") == 0, ey = strcmp(json_str(y, "kind"), "escalation") == 0;
    if (ex != ey)
        return ex ? -1 : 1;
    int c = strcmp(json_str(x, "subject"), json_str(y, "subject"));
    return c ? c : strcmp(json_str(x, "reaches"), json_str(y, "reaches"));
}

json_t *analyze_run(const struct analyze_inventory *inv)
{
    struct graph g;
    graph_build(&g, inv);
    json_t *findings = json_array();
    static bool (*const classes[])(const struct graph *, int) = {is_admin, is_node, is_secrets};
    static const enum analyze_severity class_sev[] = {ANALYZE_CRITICAL, ANALYZE_CRITICAL, ANALYZE_HIGH};
    int *dist[3], *next[3];
    for (size_t c = 0; c < 3; c++) {
        dist[c] = xmalloc((g.nn + 1) * sizeof(int));
        next[c] = xmalloc((g.nn + 1) * sizeof(int));
        reverse_bfs(&g, classes[c], dist[c], next[c]);
    }
    int *mark = xcalloc(g.nn + 1, sizeof(int)), *parent = xmalloc((g.nn + 1) * sizeof(int));
    int *edges = xmalloc((g.nn + 1) * sizeof(int));
    int stamp = 0;
    for (size_t s = 0; s < g.nn; s++) {
        if (!g.nodes[s].start)
            continue;
        json_t *f = NULL;
        for (size_t c = 0; c < 3 && f == NULL; c++) {
            if (dist[c][s] >= INF || next[c][s] < 0)
                continue;
            size_t n = 0;
            for (int v = (int)s; next[c][v] >= 0 && n <= g.nn; v = g.edges[next[c][v]].to)
                edges[n++] = next[c][v];
            f = path_finding(&g, (int)s, edges, n, class_sev[c]);
        }
        if (f == NULL)
            f = nearest_identity(&g, (int)s, mark, parent, ++stamp);
        if (f != NULL)
            json_array_append_new(findings, f);
    }
    free(edges);
    free(mark);
    free(parent);
    for (size_t c = 0; c < 3; c++) {
        free(dist[c]);
        free(next[c]);
    }
    object_checks(inv, g.sa_automount, findings);
    size_t n = json_array_size(findings);
    json_t **arr = xmalloc((n + 1) * sizeof(*arr));
    for (size_t i = 0; i < n; i++)
        arr[i] = json_incref(json_array_get(findings, i));
    qsort(arr, n, sizeof(*arr), cmp_findings);
    json_t *sorted = json_array();
    int counts[ANALYZE_CRITICAL + 1] = {0};
    for (size_t i = 0; i < n; i++) {
        int sv = analyze_severity_parse(json_str(arr[i], "severity"));
        if (sv >= 0)
            counts[sv]++;
        json_array_append_new(sorted, arr[i]);
    }
    free(arr);
    json_decref(findings);
    json_t *report = json_pack("{s:o, s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i}}", "findings", sorted, "summary",
                               "critical", counts[ANALYZE_CRITICAL], "high", counts[ANALYZE_HIGH], "medium",
                               counts[ANALYZE_MEDIUM], "low", counts[ANALYZE_LOW], "graph",
                               "objects", (int)inv->n, "nodes", (int)g.nn, "edges", (int)g.ne);
    graph_release(&g);
    return report;
}

enum analyze_severity analyze_report_max_severity(json_t *report)
{
    int max = ANALYZE_NONE;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "findings"), i, f) {
        int s = analyze_severity_parse(json_str(f, "severity"));
        if (s > max)
            max = s;
    }
    return (enum analyze_severity)max;
}
