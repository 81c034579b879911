/* graph.c — the escalation graph of an inventory (analyze_int.h).
 *
 * Every RBAC question is answered by the RBAC evaluator itself: the inventory's Roles,
 * ClusterRoles (aggregated as the aggregation controller would) and bindings go into an
 * rbac_index snapshot, and each identity asks it, as a request would, whether it may e.g.
 * "create jobs.batch" — in every namespace (ClusterRoleBindings) and in each namespace where
 * it has a RoleBinding. The allow reason names the binding and role; the rule is the first
 * rule of that role that allows the request. Pod Security decides whether a namespace would
 * admit a hostPath/privileged/hostPID pod (its enforce level evaluated on such a pod). */
#include <string.h>
#include "admission/podsecurity.h"
#include "analyze/analyze_int.h"
#include "machinery/selector.h"
#include "authz/rbac_index.h"
#include "authz/rbac_rules.h"
#include "util/buf.h"
#include "util/json.h"

#define SA_PREFIX "system:serviceaccount:"
#define LEGACY_TOKEN_TYPE "kubernetes.io/service-account-token"

/* ---- questions ------------------------------------------------------------------------- */

enum qtarget {
    QT_ADMIN,   /* cluster-admin */
    QT_RUN,     /* run:<ns> */
    QT_SECRETS, /* secrets:<ns> */
    QT_ANYSA,   /* anysa:<ns> */
    QT_EXEC,    /* exec:<ns> */
    QT_NODE,    /* node */
    QT_USERS,   /* every known user */
    QT_NSADMIN, /* run, secrets, exec and anysa of <ns> */
};

struct qcond {
    const char *verb, *group, *resource, *sub, *name;
};

/* A capability: every condition must be allowed in the same scope; the first one's grant is
 * shown. cluster_only: asked only across all namespaces (cluster-scoped resources). */
struct question {
    struct qcond c[3];
    bool cluster_only;
    enum qtarget target;
    const char *action;
};

#define Q1(v, g, r, s, t, act) {{{v, g, r, s, NULL}}, false, t, act}
#define QWORK(g, r, act) Q1("create", g, r, NULL, QT_RUN, "create " act), \
                         Q1("update", g, r, NULL, QT_RUN, "update " act), \
                         Q1("patch", g, r, NULL, QT_RUN, "patch " act)

static const struct question questions[] = {
    {{{"*", "*", "*", NULL, NULL}}, true, QT_ADMIN, "every verb on every resource (cluster-admin equivalent)"},
    Q1("create", "", "pods", NULL, QT_RUN, "create pods"),
    QWORK("apps", "deployments", "deployments.apps"),
    QWORK("apps", "replicasets", "replicasets.apps"),
    QWORK("apps", "statefulsets", "statefulsets.apps"),
    QWORK("apps", "daemonsets", "daemonsets.apps"),
    QWORK("batch", "jobs", "jobs.batch"),
    QWORK("batch", "cronjobs", "cronjobs.batch"),
    QWORK("", "replicationcontrollers", "replicationcontrollers"),
    Q1("get", "", "secrets", NULL, QT_SECRETS, "get secrets"),
    Q1("list", "", "secrets", NULL, QT_SECRETS, "list secrets"),
    Q1("watch", "", "secrets", NULL, QT_SECRETS, "watch secrets"),
    Q1("create", "", "serviceaccounts", "token", QT_ANYSA, "create serviceaccounts/token"),
    Q1("create", "", "secrets", NULL, QT_ANYSA, "create secrets of type " LEGACY_TOKEN_TYPE),
    Q1("impersonate", "", "serviceaccounts", NULL, QT_ANYSA, "impersonate serviceaccounts"),
    Q1("create", "", "pods", "exec", QT_EXEC, "create pods/exec"),
    Q1("create", "", "pods", "attach", QT_EXEC, "create pods/attach"),
    Q1("update", "", "pods", "ephemeralcontainers", QT_EXEC, "update pods/ephemeralcontainers"),
    Q1("patch", "", "pods", "ephemeralcontainers", QT_EXEC, "patch pods/ephemeralcontainers"),
    Q1("update", "", "pods", NULL, QT_EXEC, "update pods (replace a container image)"),
    Q1("patch", "", "pods", NULL, QT_EXEC, "patch pods (replace a container image)"),
    {{{"get", "", "nodes", "proxy", NULL}}, true, QT_NODE, "get nodes/proxy (the kubelet API: exec in any pod of the node)"},
    {{{"create", "", "nodes", "proxy", NULL}}, true, QT_NODE, "create nodes/proxy (the kubelet API: exec in any pod of the node)"},
    {{{"impersonate", "", "groups", NULL, NULL}}, true, QT_ADMIN, "impersonate groups (system:masters)"},
    {{{"impersonate", "", "users", NULL, NULL}}, true, QT_USERS, "impersonate users"},
    {{{"create", "rbac.authorization.k8s.io", "clusterrolebindings", NULL, NULL},
      {"bind", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL}}, true, QT_ADMIN,
     "create clusterrolebindings + bind clusterroles (bind cluster-admin to itself)"},
    {{{"update", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL},
      {"escalate", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL}}, true, QT_ADMIN,
     "update clusterroles + escalate (grant any permission to a bound ClusterRole)"},
    {{{"patch", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL},
      {"escalate", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL}}, true, QT_ADMIN,
     "patch clusterroles + escalate (grant any permission to a bound ClusterRole)"},
    {{{"create", "rbac.authorization.k8s.io", "rolebindings", NULL, NULL},
      {"bind", "rbac.authorization.k8s.io", "clusterroles", NULL, NULL}}, false, QT_NSADMIN,
     "create rolebindings + bind clusterroles (bind admin in the namespace)"},
    {{{"update", "rbac.authorization.k8s.io", "roles", NULL, NULL},
      {"escalate", "rbac.authorization.k8s.io", "roles", NULL, NULL}}, false, QT_NSADMIN,
     "update roles + escalate (grant any namespace permission to a bound Role)"},
    {{{"create", "certificates.k8s.io", "certificatesigningrequests", NULL, NULL},
      {"update", "certificates.k8s.io", "certificatesigningrequests", "approval"},
      {"approve", "certificates.k8s.io", "signers", NULL, "kubernetes.io/kube-apiserver-client"}},
     true, QT_ADMIN, "create + approve a CertificateSigningRequest for a system:masters client certificate"},
    {{{"create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", NULL, NULL}}, true, QT_ADMIN,
     "create mutatingwebhookconfigurations (rewrite every object admitted, e.g. pods)"},
    {{{"update", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", NULL, NULL}}, true, QT_ADMIN,
     "update mutatingwebhookconfigurations (rewrite every object admitted, e.g. pods)"},
    {{{"patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", NULL, NULL}}, true, QT_ADMIN,
     "patch mutatingwebhookconfigurations (rewrite every object admitted, e.g. pods)"},
    {{{"create", "admissionregistration.k8s.io", "validatingwebhookconfigurations", NULL, NULL}}, true, QT_SECRETS,
     "create validatingwebhookconfigurations (receive every Secret written, with its data)"},
    {{{"update", "admissionregistration.k8s.io", "validatingwebhookconfigurations", NULL, NULL}}, true, QT_SECRETS,
     "update validatingwebhookconfigurations (receive every Secret written, with its data)"},
    {{{"patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", NULL, NULL}}, true, QT_SECRETS,
     "patch validatingwebhookconfigurations (receive every Secret written, with its data)"},
};

/* ---- the model of the inventory -------------------------------------------------------- */

struct ns_info {
    bool host_allowed;   /* the enforce level admits a hostPath/privileged/hostPID pod */
    char *psa;           /* the enforce level-version, e.g. "privileged:latest" */
    int inv;             /* the Namespace object, or -1 */
};

struct build {
    struct graph *g;
    const struct analyze_inventory *inv;
    struct rbac_index *ix;
    struct rbac_snapshot *snap;
    json_t *nss;         /* ns name → index into ns[] */
    struct ns_info *ns;
    size_t nns;
    json_t *bind_scopes; /* "u:<name>" / "g:<name>" → {scope: true} ("" = all namespaces) */
    json_t *bindings;    /* "RoleBinding <ns>/<name>" / "ClusterRoleBinding <name>" → inv index */
    json_t *sa_automount;/* "<ns>/<name>" → false when the ServiceAccount opts out */
    json_t *rule_cache;  /* "<role>\x01<rule index>" → the rule's JSON, shared by every edge */
};

static const char *obj_ns(json_t *o)
{
    const char *ns = json_path_str(o, "metadata.namespace");
    return ns && *ns ? ns : "default";
}

char *analyze_object_ref(const struct analyze_inventory *inv, size_t i)
{
    json_t *o = inv->items[i].obj;
    const char *kind = json_str(o, "kind"), *name = json_path_str(o, "metadata.name");
    const char *ns = json_path_str(o, "metadata.namespace");
    if (ns != NULL && *ns)
        return xasprintf("%s %s/%s", kind ? kind : "?", ns, name ? name : "?");
    return xasprintf("%s %s", kind ? kind : "?", name ? name : "?");
}

static bool kind_is(json_t *o, const char *kind)
{
    const char *k = json_str(o, "kind");
    return k != NULL && strcmp(k, kind) == 0;
}

static int node_get(struct graph *g, enum gnode_kind kind, const char *id, const char *ns)
{
    json_t *v = json_object_get(g->ids, id);
    if (v != NULL)
        return (int)json_integer_value(v);
    if (g->nn == g->capn) {
        g->capn = g->capn ? g->capn * 2 : 256;
        g->nodes = xrealloc(g->nodes, g->capn * sizeof(*g->nodes));
    }
    struct gnode *n = &g->nodes[g->nn];
    n->kind = kind;
    n->id = xstrdup(id);
    n->ns = ns ? xstrdup(ns) : NULL;
    n->start = false;
    n->loc = -1;
    json_object_set_new(g->ids, id, json_integer((json_int_t)g->nn));
    return (int)g->nn++;
}

/* (A helper, not g->nodes[node_get(...)]: node_get may move g->nodes.) */
static void mark_start(struct graph *g, int i)
{
    g->nodes[i].start = true;
}

static int hub(struct graph *g, enum gnode_kind kind, const char *ns)
{
    static const char *const prefix[] = {[GN_HUB_RUN] = "run", [GN_HUB_ANYSA] = "anysa",
                                         [GN_HUB_SECRETS] = "secrets", [GN_HUB_EXEC] = "exec"};
    char *id = xasprintf("%s:%s", prefix[kind], ns);
    int i = node_get(g, kind, id, ns);
    free(id);
    return i;
}

static int sa_node(struct graph *g, const char *ns, const char *name)
{
    char *id = xasprintf(SA_PREFIX "%s:%s", ns, name);
    int i = node_get(g, GN_SA, id, ns);
    free(id);
    return i;
}

/* A user name is a ServiceAccount's when it has the "system:serviceaccount:<ns>:<name>" form. */
static int user_node(struct graph *g, const char *name)
{
    if (strncmp(name, SA_PREFIX, strlen(SA_PREFIX)) == 0) {
        const char *rest = name + strlen(SA_PREFIX), *colon = strchr(rest, ':');
        if (colon != NULL && colon > rest && colon[1] != '\0' && strchr(colon + 1, ':') == NULL) {
            char *ns = xstrndup(rest, (size_t)(colon - rest));
            int i = sa_node(g, ns, colon + 1);
            free(ns);
            return i;
        }
    }
    return node_get(g, GN_USER, name, NULL);
}

static struct gvia *via_dup(const struct gvia *v)
{
    if (v == NULL)
        return NULL;
    struct gvia *c = xcalloc(1, sizeof(*c));
    c->binding = xstrdup(v->binding);
    c->role = xstrdup(v->role);
    c->rule = v->rule ? json_incref(v->rule) : NULL;
    return c;
}

static void via_free(struct gvia *v)
{
    if (v == NULL)
        return;
    free(v->binding);
    free(v->role);
    json_decref(v->rule);
    free(v);
}

/* Adds an edge; strings are copied, via is copied. */
static void edge_add(struct graph *g, int from, int to, bool member, const char *action,
                     const char *object, const char *remedy, const struct gvia *via, int loc)
{
    if (from == to)
        return;
    if (g->ne == g->cape) {
        g->cape = g->cape ? g->cape * 2 : 1024;
        g->edges = xrealloc(g->edges, g->cape * sizeof(*g->edges));
    }
    struct gedge *e = &g->edges[g->ne++];
    e->from = from;
    e->to = to;
    e->member = member;
    e->action = action ? xstrdup(action) : NULL;
    e->object = object ? xstrdup(object) : NULL;
    e->remedy = remedy ? xstrdup(remedy) : NULL;
    e->via = via_dup(via);
    e->loc = loc;
}

/* ---- RBAC ------------------------------------------------------------------------------ */

/* Reads a Go-quoted string at *p (as field_quote_go writes it); advances *p. */
static char *read_quoted(const char **p)
{
    const char *s = *p;
    if (*s != '"')
        return NULL;
    struct buf b = BUF_INIT;
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1] != '\0')
            s++;
        buf_putc(&b, *s);
    }
    if (*s != '"') {
        buf_release(&b);
        return NULL;
    }
    *p = s + 1;
    return buf_detach(&b, NULL);
}

static char *read_word(const char **p)
{
    const char *s = *p, *sp = strchr(s, ' ');
    if (sp == NULL)
        return NULL;
    *p = sp + 1;
    return xstrndup(s, (size_t)(sp - s));
}

/* The grant named by an RBAC allow reason:
 *   RBAC: allowed by RoleBinding "<name>/<ns>" of Role "<role>" to ...
 *   RBAC: allowed by ClusterRoleBinding "<name>" of ClusterRole "<role>" to ...
 * with the first rule of the role that allows a. */
static struct gvia *via_from_reason(struct build *b, const char *reason, const struct authz_attrs *a)
{
    const char *p = reason ? strstr(reason, "allowed by ") : NULL;
    if (p == NULL)
        return NULL;
    p += strlen("allowed by ");
    struct gvia *v = NULL;
    char *bkind = read_word(&p), *bname = NULL, *rkind = NULL, *rname = NULL;
    if (bkind == NULL || (bname = read_quoted(&p)) == NULL || strncmp(p, " of ", 4) != 0)
        goto out;
    p += 4;
    if ((rkind = read_word(&p)) == NULL || (rname = read_quoted(&p)) == NULL)
        goto out;
    v = xcalloc(1, sizeof(*v));
    const char *ns = "";
    char *slash = strrchr(bname, '/');
    if (strcmp(bkind, "RoleBinding") == 0 && slash != NULL) {
        *slash = '\0';
        ns = slash + 1;
        v->binding = xasprintf("RoleBinding %s/%s", ns, bname);
    } else {
        v->binding = xasprintf("%s %s", bkind, bname);
    }
    v->role = strcmp(rkind, "Role") == 0 ? xasprintf("Role %s/%s", ns, rname) : xasprintf("%s %s", rkind, rname);
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    if (rbac_snapshot_role_rules(b->snap, rkind, ns, rname, &rules) == 0) {
        for (size_t i = 0; i < rules.n; i++) {
            if (rbac_rule_allows(&rules.items[i], a)) {
                char *key = xasprintf("%s\x01%zu", v->role, i);
                v->rule = json_object_get(b->rule_cache, key);
                if (v->rule == NULL)
                    json_object_set_new(b->rule_cache, key, v->rule = rbac_rule_to_json(&rules.items[i]));
                json_incref(v->rule);
                free(key);
                break;
            }
        }
    }
    rbac_rules_release(&rules);
out:
    free(bkind);
    free(bname);
    free(rkind);
    free(rname);
    return v;
}

/* Whether u may do c in scope ns ("" = in every namespace / cluster-scoped). With ret_via,
 * the grant (NULL if the reason could not be read). */
static bool can(struct build *b, const struct user_info *u, const struct qcond *c, const char *ns,
                const char *name, struct gvia **ret_via)
{
    struct authz_attrs a = {
        .user = u, .verb = c->verb, .is_resource = true, .ns = ns, .group = c->group,
        .version = "*", .resource = c->resource, .subresource = c->sub,
        .name = name ? name : c->name,
    };
    char *reason = NULL;
    bool ok = rbac_snapshot_authorize(b->snap, &a, ret_via ? &reason : NULL) == AUTHZ_ALLOW;
    if (ok && ret_via != NULL)
        *ret_via = via_from_reason(b, reason, &a);
    free(reason);
    return ok;
}

static int binding_loc(struct build *b, const struct gvia *v)
{
    json_t *i = v ? json_object_get(b->bindings, v->binding) : NULL;
    return i ? (int)json_integer_value(i) : -1;
}

char *analyze__grant_remedy(const struct gvia *v, const char *subject)
{
    if (v == NULL)
        return NULL;
    char *rule = v->rule ? json_dumps(v->rule, JSON_COMPACT) : xstrdup("(its rules)");
    char *r = xasprintf("narrow the rule %s of %s, or remove %s from %s", rule, v->role, subject, v->binding);
    free(rule);
    return r;
}

/* ---- edges of one identity ------------------------------------------------------------- */

static void target_edges(struct build *b, int from, enum qtarget t, const char *scope,
                         const char *action, const struct gvia *via)
{
    struct graph *g = b->g;
    const char *ns = *scope ? scope : "*";
    const char *rem = NULL; /* a grant's remedy is written when a path uses it */
    int loc = binding_loc(b, via);
    switch (t) {
    case QT_ADMIN:
        edge_add(g, from, g->admin, false, action, NULL, rem, via, loc);
        break;
    case QT_RUN:
        edge_add(g, from, hub(g, GN_HUB_RUN, ns), false, action, NULL, rem, via, loc);
        break;
    case QT_SECRETS:
        edge_add(g, from, hub(g, GN_HUB_SECRETS, ns), false, action, NULL, rem, via, loc);
        break;
    case QT_ANYSA:
        edge_add(g, from, hub(g, GN_HUB_ANYSA, ns), false, action, NULL, rem, via, loc);
        break;
    case QT_EXEC:
        edge_add(g, from, hub(g, GN_HUB_EXEC, ns), false, action, NULL, rem, via, loc);
        break;
    case QT_NODE:
        edge_add(g, from, g->node, false, action, NULL, rem, via, loc);
        break;
    case QT_USERS:
        for (size_t i = 0; i < g->nn; i++)
            if (g->nodes[i].kind == GN_USER)
                edge_add(g, from, (int)i, false, action, NULL, rem, via, loc);
        break;
    case QT_NSADMIN: {
        static const enum gnode_kind hubs[] = {GN_HUB_RUN, GN_HUB_SECRETS, GN_HUB_EXEC, GN_HUB_ANYSA};
        for (size_t i = 0; i < 4; i++)
            edge_add(g, from, hub(g, hubs[i], ns), false, action, NULL, rem, via, loc);
        break;
    }
    }
}

/* Grants with resourceNames: the named ServiceAccounts (serviceaccounts/token, impersonate),
 * users and groups (impersonate). */
static void named_edges(struct build *b, int from, const struct user_info *u, const char *scope,
                        const struct rbac_rules *rules)
{
    struct graph *g = b->g;
    static const struct {
        struct qcond c;
        int kind; /* 0 SA, 1 user, 2 group */
        const char *action;
    } named[] = {
        {{"create", "", "serviceaccounts", "token", NULL}, 0, "create serviceaccounts/token"},
        {{"impersonate", "", "serviceaccounts", NULL, NULL}, 0, "impersonate serviceaccounts"},
        {{"impersonate", "", "users", NULL, NULL}, 1, "impersonate users"},
        {{"impersonate", "", "groups", NULL, NULL}, 2, "impersonate groups"},
    };
    for (size_t r = 0; r < rules->n; r++) {
        const struct rbac_rule *rule = &rules->items[r];
        for (size_t k = 0; k < rule->nnames; k++) {
            const char *name = rule->names[k];
            for (size_t q = 0; q < sizeof(named) / sizeof(named[0]); q++) {
                if (named[q].kind == 0 && *scope == '\0')
                    continue; /* a ServiceAccount name needs its namespace */
                struct gvia *via = NULL;
                if (!can(b, u, &named[q].c, scope, name, &via)) {
                    via_free(via);
                    continue;
                }
                int to = named[q].kind == 0 ? sa_node(g, scope, name)
                       : named[q].kind == 1 ? user_node(g, name)
                                            : node_get(g, GN_GROUP, name, NULL);
                char *act = xasprintf("%s (resourceNames: %s)", named[q].action, name);
                edge_add(g, from, to, false, act, NULL, NULL, via, binding_loc(b, via));
                free(act);
                via_free(via);
            }
        }
    }
}

/* Edges for a namespace whose Pod Security refuses host pods: relabelling it. */
static void relabel_edge(struct build *b, int from, const struct user_info *u, const char *ns,
                         const char *run_action)
{
    struct ns_info *ni = &b->ns[json_integer_value(json_object_get(b->nss, ns))];
    if (ni->host_allowed)
        return;
    static const struct qcond conds[] = {{"patch", "", "namespaces", NULL, NULL}, {"update", "", "namespaces", NULL, NULL}};
    for (size_t i = 0; i < 2; i++) {
        struct gvia *via = NULL;
        if (can(b, u, &conds[i], "", ns, &via)) {
            char *act = xasprintf("%s namespaces %s (relax its Pod Security labels) + %s ⇒ a hostPath/privileged pod", conds[i].verb, ns, run_action);
            char *obj = xasprintf("Namespace %s (pod-security enforce %s)", ns, ni->psa);
            edge_add(b->g, from, b->g->node, false, act, obj, NULL, via, binding_loc(b, via));
            free(obj);
            free(act);
            via_free(via);
            return;
        }
        via_free(via);
    }
}

/* A fast pre-check on u's compiled rules in this scope (the same answer as the evaluator's
 * decision, without the grant): most questions are not allowed to most identities. */
static bool maybe(const struct rbac_crules *cr, const struct qcond *c, const char *ns)
{
    struct authz_attrs a = {.verb = c->verb, .is_resource = true, .ns = ns, .group = c->group, .version = "*",
                            .resource = c->resource, .subresource = c->sub, .name = c->name};
    struct rbac_probe p;
    rbac_probe_init(&p, &a);
    return rbac_crules_allow(cr, &p);
}

static void scope_edges(struct build *b, int from, const struct user_info *u, const char *scope, bool *done)
{
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    char *errs = NULL;
    rbac_snapshot_rules_for(b->snap, u, scope, &rules, &errs);
    free(errs);
    if (rules.n == 0) {
        rbac_rules_release(&rules);
        return;
    }
    struct rbac_crules cr;
    rbac_crules_compile(&rules, &cr);
    named_edges(b, from, u, scope, &rules);
    for (size_t q = 0; q < sizeof(questions) / sizeof(questions[0]); q++) {
        const struct question *qq = &questions[q];
        if (done[q] || (qq->cluster_only && *scope) || !maybe(&cr, &qq->c[0], scope))
            continue;
        struct gvia *via = NULL;
        bool ok = can(b, u, &qq->c[0], scope, NULL, &via);
        for (size_t k = 1; ok && k < 3 && qq->c[k].verb != NULL; k++)
            ok = can(b, u, &qq->c[k], scope, NULL, NULL);
        if (ok) {
            target_edges(b, from, qq->target, scope, qq->action, via);
            if (qq->target == QT_RUN) {
                if (*scope) {
                    relabel_edge(b, from, u, scope, qq->action);
                } else {
                    const char *k;
                    json_t *v;
                    json_object_foreach(b->nss, k, v)
                        relabel_edge(b, from, u, k, qq->action);
                }
            }
            /* one grant per target and scope is enough (and one across all namespaces
             * covers each namespace: done is copied into the namespace scopes) */
            for (size_t r = 0; r < sizeof(questions) / sizeof(questions[0]); r++)
                if (questions[r].target == qq->target)
                    done[r] = true;
        }
        via_free(via);
    }
    rbac_crules_release(&cr);
    rbac_rules_release(&rules);
}

static void identity_edges(struct build *b, int from, const struct user_info *u, const char *const *keys, size_t nkeys)
{
    /* the scopes where u has grants: "" (ClusterRoleBindings) and the RoleBindings' namespaces */
    json_t *scopes = json_object();
    for (size_t i = 0; i < nkeys; i++)
        json_object_update(scopes, json_object_get(b->bind_scopes, keys[i]));
    if (json_object_size(scopes) == 0) {
        json_decref(scopes);
        return;
    }
    bool done_all[sizeof(questions) / sizeof(questions[0])] = {0};
    scope_edges(b, from, u, "", done_all);
    const char *scope;
    json_t *v;
    json_object_foreach(scopes, scope, v) {
        if (*scope == '\0' || json_object_get(b->nss, scope) == NULL)
            continue;
        bool done[sizeof(questions) / sizeof(questions[0])];
        memcpy(done, done_all, sizeof(done));
        scope_edges(b, from, u, scope, done);
    }
    json_decref(scopes);
}

/* ---- the inventory --------------------------------------------------------------------- */

static void ns_add(struct build *b, const char *name, int inv_idx)
{
    json_t *v = json_object_get(b->nss, name);
    if (v != NULL) {
        if (inv_idx >= 0)
            b->ns[json_integer_value(v)].inv = inv_idx;
        return;
    }
    b->ns = xrealloc(b->ns, (b->nns + 1) * sizeof(*b->ns));
    b->ns[b->nns] = (struct ns_info){.inv = inv_idx};
    json_object_set_new(b->nss, name, json_integer((json_int_t)b->nns));
    b->nns++;
}

static bool is_namespaced_kind(json_t *o)
{
    static const char *const cluster_kinds[] = {"Namespace", "ClusterRole", "ClusterRoleBinding", "Node",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "CertificateSigningRequest",
        "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass", NULL};
    const char *k = json_str(o, "kind");
    if (k == NULL)
        return false;
    for (const char *const *c = cluster_kinds; *c; c++)
        if (strcmp(*c, k) == 0)
            return false;
    return true;
}

/* Evaluates the namespace's enforce level on a pod with a hostPath volume. */
static void ns_psa(struct ns_info *ni, json_t *labels)
{
    struct psa_policy pol;
    psa_policy_from_labels(labels, &pol, NULL);
    json_t *spec = json_pack("{s:[{s:s, s:{s:s}}], s:[{s:s, s:s}]}", "volumes", "name", "host",
                             "hostPath", "path", "/", "containers", "name", "c", "image", "busybox");
    ni->host_allowed = psa_evaluate_pod(&pol.enforce, NULL, spec, NULL, NULL);
    ni->psa = psa_level_version_string(&pol.enforce);
    json_decref(spec);
}

/* The pod spec of a Pod or of a workload's template, or NULL. */
json_t *analyze__pod_spec(json_t *o)
{
    const char *k = json_str(o, "kind");
    if (k == NULL)
        return NULL;
    if (strcmp(k, "Pod") == 0)
        return json_object_get(o, "spec");
    if (strcmp(k, "CronJob") == 0)
        return json_path(o, "spec.jobTemplate.spec.template.spec");
    static const char *const workloads[] = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                                            "ReplicationController", "PodTemplate", NULL};
    for (const char *const *w = workloads; *w; w++)
        if (strcmp(*w, k) == 0)
            return strcmp(k, "PodTemplate") == 0 ? json_path(o, "template.spec") : json_path(o, "spec.template.spec");
    return NULL;
}

const char *analyze__pod_sa(json_t *spec)
{
    const char *sa = json_str(spec, "serviceAccountName");
    if (sa == NULL || *sa == '\0')
        sa = json_str(spec, "serviceAccount");
    return sa && *sa ? sa : "default";
}

/* Why a pod spec reaches its node: "hostPath", "privileged", "hostPID" (joined), or NULL. */
char *analyze__host_escape(json_t *spec)
{
    struct buf b = BUF_INIT;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        if (json_object_get(v, "hostPath") != NULL) {
            buf_printf(&b, "%shostPath %s", b.len ? ", " : "", json_path_str(v, "hostPath.path") ? json_path_str(v, "hostPath.path") : "");
            break;
        }
    }
    if (json_is_true(json_object_get(spec, "hostPID")))
        buf_printf(&b, "%shostPID", b.len ? ", " : "");
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t l = 0; l < 3; l++) {
        json_array_foreach(json_object_get(spec, lists[l]), i, v) {
            if (json_is_true(json_path(v, "securityContext.privileged"))) {
                buf_printf(&b, "%sprivileged container %s", b.len ? ", " : "", json_str(v, "name") ? json_str(v, "name") : "");
                l = 3;
                break;
            }
        }
    }
    return b.len ? buf_detach(&b, NULL) : NULL;
}

/* Whether a pod of this spec gets a token: a projected serviceAccountToken source, or the
 * automount (pod field wins over the ServiceAccount's, default true). */
bool analyze__token_mounted(json_t *spec, json_t *sa_automount, const char *ns)
{
    size_t i, j;
    json_t *v, *s;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        json_array_foreach(json_path(v, "projected.sources"), j, s)
            if (json_object_get(s, "serviceAccountToken") != NULL)
                return true;
    }
    json_t *pa = json_object_get(spec, "automountServiceAccountToken");
    if (json_is_boolean(pa))
        return json_is_true(pa);
    char *key = xasprintf("%s/%s", ns, analyze__pod_sa(spec));
    json_t *sa = json_object_get(sa_automount, key);
    free(key);
    return sa == NULL || json_is_true(sa);
}

/* ClusterRole aggregation as the controller does it: the rules of every ClusterRole matching
 * a selector, de-duplicated — repeated until nothing changes, since an aggregated role (edit)
 * may itself be aggregated into another (admin). Returns name → rules of aggregated roles. */
static json_t *aggregate_all(const struct analyze_inventory *inv)
{
    json_t *eff = json_object();
    size_t n = 0;
    json_t **crs = xmalloc((inv->n + 1) * sizeof(*crs));
    for (size_t i = 0; i < inv->n; i++)
        if (kind_is(inv->items[i].obj, "ClusterRole"))
            crs[n++] = inv->items[i].obj;
    for (int round = 0; round < 8; round++) {
        bool changed = false;
        for (size_t r = 0; r < n; r++) {
            json_t *role = crs[r];
            json_t *sels = json_path(role, "aggregationRule.clusterRoleSelectors");
            const char *name = json_path_str(role, "metadata.name");
            if (!json_is_array(sels) || name == NULL)
                continue;
            json_t *rules = json_array();
            size_t i;
            json_t *sel;
            json_array_foreach(sels, i, sel) {
                struct label_selector *ls = NULL;
                if (label_selector_from_json(sel, &ls, NULL) != 0)
                    continue;
                for (size_t j = 0; j < n; j++) {
                    json_t *o = crs[j];
                    const char *other = json_path_str(o, "metadata.name");
                    if (other == NULL || strcmp(other, name) == 0 ||
                        !label_selector_matches(ls, json_path(o, "metadata.labels")))
                        continue;
                    json_t *src = json_object_get(eff, other) ? json_object_get(eff, other) : json_object_get(o, "rules");
                    size_t k;
                    json_t *rule;
                    json_array_foreach(src, k, rule) {
                        bool seen = false;
                        for (size_t m = 0; m < json_array_size(rules) && !seen; m++)
                            seen = json_equal(json_array_get(rules, m), rule);
                        if (!seen)
                            json_array_append(rules, rule);
                    }
                }
                label_selector_free(ls);
            }
            if (!json_equal(rules, json_object_get(eff, name))) {
                json_object_set(eff, name, rules);
                changed = true;
            }
            json_decref(rules);
        }
        if (!changed)
            break;
    }
    free(crs);
    return eff;
}

static void subject_key(struct buf *k, json_t *s, const char *bns)
{
    const char *kind = json_str(s, "kind"), *name = json_str(s, "name");
    if (kind == NULL || name == NULL)
        return;
    if (strcmp(kind, "User") == 0) {
        buf_printf(k, "u:%s", name);
    } else if (strcmp(kind, "Group") == 0) {
        buf_printf(k, "g:%s", name);
    } else if (strcmp(kind, "ServiceAccount") == 0) {
        const char *ns = json_str(s, "namespace");
        if (ns == NULL || *ns == '\0')
            ns = bns;
        if (ns && *ns)
            buf_printf(k, "u:" SA_PREFIX "%s:%s", ns, name);
    }
}

static void read_inventory(struct build *b)
{
    const struct analyze_inventory *inv = b->inv;
    struct graph *g = b->g;
    for (size_t i = 0; i < inv->n; i++) {
        json_t *o = inv->items[i].obj;
        if (kind_is(o, "Namespace") && json_path_str(o, "metadata.name"))
            ns_add(b, json_path_str(o, "metadata.name"), (int)i);
        else if (is_namespaced_kind(o))
            ns_add(b, obj_ns(o), -1);
        if (kind_is(o, "ServiceAccount") && json_is_false(json_object_get(o, "automountServiceAccountToken"))) {
            char *key = xasprintf("%s/%s", obj_ns(o), json_path_str(o, "metadata.name") ? json_path_str(o, "metadata.name") : "");
            json_object_set_new(b->sa_automount, key, json_false());
            free(key);
        }
    }
    /* namespaces: Pod Security, the default ServiceAccount, group nodes */
    const char *ns;
    json_t *v;
    json_object_foreach(b->nss, ns, v) {
        struct ns_info *ni = &b->ns[json_integer_value(v)];
        ns_psa(ni, ni->inv >= 0 ? json_path(inv->items[ni->inv].obj, "metadata.labels") : NULL);
        mark_start(g, sa_node(g, ns, "default"));
    }
    /* RBAC objects into the evaluator */
    json_t *aggregated = aggregate_all(inv);
    for (size_t i = 0; i < inv->n; i++) {
        json_t *o = inv->items[i].obj;
        const char *name = json_path_str(o, "metadata.name");
        if (name == NULL)
            continue;
        if (kind_is(o, "ClusterRole")) {
            json_t *rules = json_object_get(aggregated, name), *r = o;
            if (rules != NULL) {
                r = json_copy(o);
                json_object_set(r, "rules", rules);
            } else {
                json_incref(r);
            }
            rbac_index_put(b->ix, RBAC_CLUSTER_ROLE, r);
            json_decref(r);
        } else if (kind_is(o, "Role") || kind_is(o, "RoleBinding") || kind_is(o, "ClusterRoleBinding")) {
            bool rb = kind_is(o, "RoleBinding"), crb = kind_is(o, "ClusterRoleBinding");
            json_t *c = o;
            if (!crb && json_path_str(o, "metadata.namespace") == NULL) {
                c = json_deep_copy(o);
                json_set_str(json_obj_ensure(c, "metadata"), "namespace", "default");
            } else {
                json_incref(c);
            }
            rbac_index_put(b->ix, crb ? RBAC_CLUSTER_ROLE_BINDING : rb ? RBAC_ROLE_BINDING : RBAC_ROLE, c);
            json_decref(c);
            if (!rb && !crb)
                continue;
            char *bkey = crb ? xasprintf("ClusterRoleBinding %s", name) : xasprintf("RoleBinding %s/%s", obj_ns(o), name);
            json_object_set_new(b->bindings, bkey, json_integer((json_int_t)i));
            free(bkey);
            size_t j;
            json_t *s;
            json_array_foreach(json_object_get(o, "subjects"), j, s) {
                struct buf k = BUF_INIT;
                subject_key(&k, s, crb ? NULL : obj_ns(o));
                if (k.len == 0)
                    continue;
                json_t *sc = json_object_get(b->bind_scopes, k.data);
                if (sc == NULL)
                    json_object_set_new(b->bind_scopes, k.data, sc = json_object());
                json_object_set_new(sc, crb ? "" : obj_ns(o), json_true());
                const char *kind = json_str(s, "kind");
                if (strcmp(kind, "ServiceAccount") == 0 && !inv->items[i].builtin)
                    mark_start(g, user_node(g, k.data + 2)); /* not upstream's controllers */
                else if (strcmp(kind, "User") == 0)
                    user_node(g, k.data + 2);
                else if (strcmp(kind, "Group") == 0)
                    node_get(g, GN_GROUP, k.data + 2, NULL);
                buf_release(&k);
            }
        }
    }
    json_decref(aggregated);
    rbac_index_publish(b->ix);
    b->snap = rbac_index_acquire(b->ix);
}

/* Hub edges and the edges of objects: ServiceAccounts, legacy tokens, pods. */
static void object_edges(struct build *b)
{
    const struct analyze_inventory *inv = b->inv;
    struct graph *g = b->g;
    for (size_t i = 0; i < inv->n; i++) {
        json_t *o = inv->items[i].obj;
        const char *name = json_path_str(o, "metadata.name");
        if (name == NULL)
            continue;
        const char *ns = obj_ns(o);
        if (kind_is(o, "ServiceAccount")) {
            int sa = sa_node(g, ns, name);
            mark_start(g, sa);
            if (inv->items[i].file != NULL && g->nodes[sa].loc < 0)
                g->nodes[sa].loc = (int)i;
        } else if (kind_is(o, "Secret") && json_str(o, "type") && strcmp(json_str(o, "type"), LEGACY_TOKEN_TYPE) == 0) {
            const char *sa = json_str(json_path(o, "metadata.annotations"), "kubernetes.io/service-account.name");
            if (sa == NULL || *sa == '\0')
                continue;
            char *act = xasprintf("read the legacy token Secret %s/%s", ns, name);
            char *obj = xasprintf("Secret %s/%s (type %s)", ns, name, LEGACY_TOKEN_TYPE);
            char *rem = xasprintf("delete the Secret %s/%s and let pods use TokenRequest (projected, expiring tokens)", ns, name);
            edge_add(g, hub(g, GN_HUB_SECRETS, ns), sa_node(g, ns, sa), false, act, obj, rem, NULL, (int)i);
            free(rem);
            free(obj);
            free(act);
        } else {
            json_t *spec = analyze__pod_spec(o);
            if (spec == NULL)
                continue;
            const char *sa = analyze__pod_sa(spec);
            const char *kind = json_str(o, "kind");
            char *escape = analyze__host_escape(spec);
            bool token = analyze__token_mounted(spec, b->sa_automount, ns);
            int san = sa_node(g, ns, sa);
            if (token) {
                char *act = xasprintf("exec into the pods of %s %s/%s, which mount the token of ServiceAccount %s", kind, ns, name, sa);
                char *obj = xasprintf("%s %s/%s", kind, ns, name);
                char *rem = xasprintf("set automountServiceAccountToken: false in %s %s/%s if it needs no API access", kind, ns, name);
                edge_add(g, hub(g, GN_HUB_EXEC, ns), san, false, act, obj, rem, NULL, (int)i);
                free(act);
                act = xasprintf("read the token of ServiceAccount %s mounted into %s %s/%s on the node", sa, kind, ns, name);
                edge_add(g, g->node, san, false, act, obj, rem, NULL, (int)i);
                free(act);
                free(obj);
                free(rem);
            }
            if (escape != NULL) {
                char *act = xasprintf("exec into the pods of %s %s/%s (%s)", kind, ns, name, escape);
                char *obj = xasprintf("%s %s/%s", kind, ns, name);
                char *rem = xasprintf("remove %s from %s %s/%s", escape, kind, ns, name);
                edge_add(g, hub(g, GN_HUB_EXEC, ns), g->node, false, act, obj, rem, NULL, (int)i);
                free(rem);
                free(obj);
                free(act);
            }
            free(escape);
        }
    }
    /* per namespace hubs */
    const char *ns;
    json_t *v;
    json_object_foreach(b->nss, ns, v) {
        struct ns_info *ni = &b->ns[json_integer_value(v)];
        int run = hub(g, GN_HUB_RUN, ns), anysa = hub(g, GN_HUB_ANYSA, ns);
        char *act = xasprintf("run a pod as any ServiceAccount in %s", ns);
        edge_add(g, run, anysa, false, act, NULL, NULL, NULL, -1);
        free(act);
        if (ni->host_allowed) {
            /* the pod runs as any ServiceAccount of ns, with the node's filesystem */
            char *obj = ni->inv >= 0 ? xasprintf("Namespace %s (pod-security enforce %s)", ns, ni->psa)
                                     : xasprintf("Namespace %s (no Pod Security labels: enforce %s)", ns, ni->psa);
            char *rem = xasprintf("label namespace %s pod-security.kubernetes.io/enforce=baseline (or restricted)", ns);
            char *act = xasprintf("run a pod as any ServiceAccount in %s ⇒ with hostPath (Pod Security admits it) ⇒ node", ns);
            edge_add(g, run, g->node, false, act, obj, rem, NULL, ni->inv);
            free(act);
            free(rem);
            free(obj);
        }
        static const enum gnode_kind hubs[] = {GN_HUB_RUN, GN_HUB_ANYSA, GN_HUB_SECRETS, GN_HUB_EXEC};
        for (size_t k = 0; k < 4; k++)
            edge_add(g, hub(g, hubs[k], "*"), hub(g, hubs[k], ns), false, NULL, NULL, NULL, NULL, -1);
    }
    /* anysa:<ns> → each ServiceAccount of ns (after all ServiceAccounts exist) */
    size_t nn = g->nn;
    for (size_t i = 0; i < nn; i++) {
        if (g->nodes[i].kind != GN_SA || json_object_get(b->nss, g->nodes[i].ns) == NULL)
            continue;
        const char *sa = g->nodes[i].id + strlen(SA_PREFIX) + strlen(g->nodes[i].ns) + 1;
        char *act = xasprintf("as ServiceAccount %s", sa);
        edge_add(g, hub(g, GN_HUB_ANYSA, g->nodes[i].ns), (int)i, false, act, NULL, NULL, NULL, -1);
        free(act);
    }
    int masters = node_get(g, GN_GROUP, "system:masters", NULL);
    edge_add(g, masters, g->admin, false, "member of system:masters (always authorized)", NULL, NULL, NULL, -1);
}

static void all_identity_edges(struct build *b)
{
    struct graph *g = b->g;
    node_get(g, GN_GROUP, "system:authenticated", NULL);
    node_get(g, GN_GROUP, "system:unauthenticated", NULL);
    node_get(g, GN_GROUP, "system:serviceaccounts", NULL);
    /* g->nn grows in the loop: identities created on the way (a membership group, a named
     * impersonation target) get their edges too */
    for (size_t i = 0; i < g->nn; i++) {
        struct gnode *n = &g->nodes[i];
        char *id = n->id; /* stable: g->nodes may move while edges are added */
        char *key = NULL;
        struct user_info u = {0};
        if (n->kind == GN_SA || n->kind == GN_USER) {
            u.name = id;
            key = xasprintf("u:%s", id);
        } else if (n->kind == GN_GROUP) {
            bool unauth = strcmp(id, "system:unauthenticated") == 0;
            u.name = unauth ? "system:anonymous" : "";
            u.groups = &id;
            u.ngroups = 1;
            key = xasprintf("g:%s", n->id);
        } else {
            continue;
        }
        const char *keys[2] = {key, "u:system:anonymous"};
        size_t nkeys = strcmp(id, "system:unauthenticated") == 0 && n->kind == GN_GROUP ? 2 : 1;
        identity_edges(b, (int)i, &u, keys, nkeys);
        free(key);
        if (g->nodes[i].kind == GN_SA) {
            /* memberships: the groups every ServiceAccount token carries */
            char *nsg = xasprintf("system:serviceaccounts:%s", g->nodes[i].ns);
            const char *groups[] = {"system:serviceaccounts", nsg, "system:authenticated"};
            for (size_t k = 0; k < 3; k++) {
                json_t *gi = json_object_get(g->ids, groups[k]);
                char *gk = xasprintf("g:%s", groups[k]);
                bool bound = json_object_get(b->bind_scopes, gk) != NULL;
                free(gk);
                if (bound || gi != NULL)
                    edge_add(g, (int)i, gi ? (int)json_integer_value(gi) : node_get(g, GN_GROUP, groups[k], NULL),
                             true, NULL, NULL, NULL, NULL, -1);
            }
            free(nsg);
        }
    }
    g->nodes[json_integer_value(json_object_get(g->ids, "system:authenticated"))].start = true;
    g->nodes[json_integer_value(json_object_get(g->ids, "system:unauthenticated"))].start = true;
}

static void build_adjacency(struct graph *g)
{
    g->out_start = xcalloc(g->nn + 1, sizeof(int));
    g->in_start = xcalloc(g->nn + 1, sizeof(int));
    g->out_list = xmalloc((g->ne + 1) * sizeof(int));
    g->in_list = xmalloc((g->ne + 1) * sizeof(int));
    for (size_t i = 0; i < g->ne; i++) {
        g->out_start[g->edges[i].from + 1]++;
        g->in_start[g->edges[i].to + 1]++;
    }
    for (size_t i = 0; i < g->nn; i++) {
        g->out_start[i + 1] += g->out_start[i];
        g->in_start[i + 1] += g->in_start[i];
    }
    int *oc = xcalloc(g->nn + 1, sizeof(int)), *ic = xcalloc(g->nn + 1, sizeof(int));
    for (size_t i = 0; i < g->ne; i++) {
        int f = g->edges[i].from, t = g->edges[i].to;
        g->out_list[g->out_start[f] + oc[f]++] = (int)i;
        g->in_list[g->in_start[t] + ic[t]++] = (int)i;
    }
    free(oc);
    free(ic);
}

void graph_build(struct graph *g, const struct analyze_inventory *inv)
{
    memset(g, 0, sizeof(*g));
    g->inv = inv;
    g->ids = json_object();
    g->admin = node_get(g, GN_ADMIN, "cluster-admin", NULL);
    g->node = node_get(g, GN_NODE, "node", NULL);
    struct build b = {.g = g, .inv = inv, .ix = rbac_index_new(), .nss = json_object(),
                      .bind_scopes = json_object(), .bindings = json_object(), .sa_automount = json_object(),
                      .rule_cache = json_object()};
    read_inventory(&b);
    object_edges(&b);
    all_identity_edges(&b);
    build_adjacency(g);
    rbac_snapshot_release(b.snap);
    rbac_index_free(b.ix);
    for (size_t i = 0; i < b.nns; i++)
        free(b.ns[i].psa);
    free(b.ns);
    json_decref(b.nss);
    json_decref(b.bind_scopes);
    json_decref(b.bindings);
    g->sa_automount = b.sa_automount;
    json_decref(b.rule_cache);
}

void graph_release(struct graph *g)
{
    for (size_t i = 0; i < g->nn; i++) {
        free(g->nodes[i].id);
        free(g->nodes[i].ns);
    }
    for (size_t i = 0; i < g->ne; i++) {
        free(g->edges[i].action);
        free(g->edges[i].object);
        free(g->edges[i].remedy);
        via_free(g->edges[i].via);
    }
    free(g->nodes);
    free(g->edges);
    json_decref(g->ids);
    json_decref(g->sa_automount);
    free(g->out_start);
    free(g->out_list);
    free(g->in_start);
    free(g->in_list);
    memset(g, 0, sizeof(*g));
}
