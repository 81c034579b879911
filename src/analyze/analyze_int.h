/* analyze_int.h — the escalation graph shared by graph.c (building), findings.c (paths) and
 * output.c; private to src/analyze/.
 *
 * NODES are identities (ServiceAccounts, users, groups, "node" = any node's credentials and
 * everything on it, "cluster-admin") and capability hubs: run:<ns> (may run a pod in ns),
 * anysa:<ns> (may act as any ServiceAccount of ns), secrets:<ns> (reads every Secret of ns),
 * exec:<ns> (may run commands in the existing pods of ns); <ns> "*" is every namespace.
 *
 * EDGES carry what makes them possible: the grant (binding → role → rule) when RBAC allows
 * it, the object that makes it work (a legacy token Secret, a Pod with a mounted token, a
 * Namespace without a Pod Security enforce level), an action text and a remedy hint. An edge
 * into an identity costs one hop; edges into hubs and group memberships cost nothing, so a
 * shortest path counts hops between identities (a hub is folded into the hop that crosses it). */
#ifndef ANZEN_ANALYZE_ANALYZE_INT_H
#define ANZEN_ANALYZE_ANALYZE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "analyze/analyze.h"

enum gnode_kind {
    GN_SA, GN_USER, GN_GROUP, GN_NODE, GN_ADMIN, /* identities */
    GN_HUB_RUN, GN_HUB_ANYSA, GN_HUB_SECRETS, GN_HUB_EXEC,
};

struct gnode {
    enum gnode_kind kind;
    char *id;     /* user name, group name, "node", "cluster-admin", "<hub>:<ns>" */
    char *ns;     /* namespace of a ServiceAccount or hub ("*" for every namespace), else NULL */
    bool start;   /* a finding is computed for it */
    int loc;      /* inventory index of the ServiceAccount object, or -1 */
};

/* The grant behind an edge. */
struct gvia {
    char *binding; /* "RoleBinding lab/job-runner", "ClusterRoleBinding cluster-admin" */
    char *role;    /* "Role lab/job-runner", "ClusterRole cluster-admin" */
    json_t *rule;  /* the PolicyRule that allows it (JSON), or NULL */
};

struct gedge {
    int from, to;
    bool member;        /* group membership (costs nothing, not shown as a hop) */
    char *action;       /* what the step does, e.g. "create jobs.batch" */
    char *object;       /* the object that makes it work, or NULL */
    char *remedy;       /* how to cut this edge (object-level), or NULL; a grant's remedy is
                           analyze__grant_remedy(via, from) */
    struct gvia *via;   /* NULL when no RBAC grant is involved */
    int loc;            /* inventory index for the finding location, -1 if none */
};

struct graph {
    struct gnode *nodes;
    size_t nn, capn;
    struct gedge *edges;
    size_t ne, cape;
    json_t *ids;        /* id → node index (integer) */
    int admin, node;    /* indexes of "cluster-admin" and "node" */
    /* CSR adjacency, built by graph_finish: edges out of / into node i are
     * out_list[out_start[i] .. out_start[i+1]) (and in_*). */
    int *out_start, *out_list, *in_start, *in_list;
    const struct analyze_inventory *inv;
    json_t *sa_automount; /* "<ns>/<name>" → false for ServiceAccounts that opt out */
};

/* Builds the graph of inv (graph.c). Release with graph_release. */
void graph_build(struct graph *g, const struct analyze_inventory *inv);
void graph_release(struct graph *g);

/* Whether an edge counts as a hop (it enters an identity and is not a membership). */
static inline int gedge_weight(const struct graph *g, const struct gedge *e)
{
    enum gnode_kind k = g->nodes[e->to].kind;
    return (!e->member && k <= GN_ADMIN) ? 1 : 0;
}

/* "narrow the rule R of ROLE, or remove SUBJECT from BINDING" (malloc'd), NULL without v. */
char *analyze__grant_remedy(const struct gvia *v, const char *subject);

/* Pod facts (graph.c), shared with the checks of findings.c:
 *   analyze__pod_spec       the pod spec of a Pod or of a workload's template, or NULL
 *   analyze__pod_sa         its ServiceAccount ("default" when unset)
 *   analyze__host_escape    why it reaches its node ("hostPath /, privileged container c"),
 *                           malloc'd, or NULL
 *   analyze__token_mounted  whether it gets a token (projected serviceAccountToken, or the
 *                           automount: the pod's field wins over the SA's in sa_automount,
 *                           "<ns>/<name>" → false, default true) */
json_t *analyze__pod_spec(json_t *o);
const char *analyze__pod_sa(json_t *spec);
char *analyze__host_escape(json_t *spec);
bool analyze__token_mounted(json_t *spec, json_t *sa_automount, const char *ns);

/* Object reference text of inventory item i: "Kind ns/name" or "Kind name". malloc'd. */
char *analyze_object_ref(const struct analyze_inventory *inv, size_t i);

#endif
