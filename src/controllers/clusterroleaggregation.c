/* clusterroleaggregation.c — the ClusterRole aggregation controller (upstream
 * pkg/controller/clusterroleaggregation): keeps the rules of every ClusterRole with an
 * aggregationRule equal to the union of the roles its selectors match. It runs as
 * system:serviceaccount:kube-system:clusterrole-aggregation-controller (ClusterRole
 * system:controller:clusterrole-aggregation-controller: clusterroles escalate, get, list,
 * patch, update, watch), so its writes pass RBAC's escalation check through "escalate". */
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "controllers/controllers.h"
#include "machinery/selector.h"
#include "registry/rest.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

struct agg_state {
    struct apiserver *srv;
    bool pending; /* a deferred pass is queued */
    struct watch_sub *sub;
};

/* ---- ClusterRole aggregation ------------------------------------------------------------
 *
 * Upstream's controller sets an aggregated role's rules to the union (in role-name order,
 * without repeats) of the rules of the ClusterRoles its selectors match, itself excepted,
 * reading the matched roles' current rules. Chains (admin <- edit <- view) settle after a
 * few rounds, but cycles (two roles whose selectors match each other) never settle.
 *
 * Here the rules of an aggregated role are computed from the roles that do not aggregate
 * only: a matched role that aggregates contributes what this computation gives for it
 * (memoised; a role already on the path contributes nothing). For every input without a
 * cycle this is upstream's fixed point; on any input the result does not depend on the
 * rules the controller itself wrote, so one run writes each role at most once and the next
 * run finds nothing to do. Repeated rules are found through a hash of their canonical JSON
 * (empty lists dropped: upstream compares with semantic equality, nil == empty), so a run is
 * linear in the number of rules. */

#define AGG_MAX_DEPTH 256 /* deeper chains of aggregated roles contribute nothing further */

struct agg_role {
    json_t *obj;                 /* the ClusterRole (borrowed from the list) */
    const char *name;
    struct label_selector **sel; /* compiled clusterRoleSelectors (invalid ones skipped) */
    size_t nsel;
    bool aggregates;             /* has an aggregationRule */
    int state;                   /* 2: rules computed, independent of where the run started */
    json_t *rules;               /* computed rules (aggregating roles) */
    unsigned gen;                /* start that last visited this role */
    int tmp_state;               /* within that start: 1 on the path, 2 finished */
    bool tmp_tainted;            /* the finished result depended on a role on the path */
    json_t *tmp_rules;           /* that result */
};

struct agg_run {
    struct agg_role *roles; /* sorted by name */
    size_t n;
};

static int cmp_agg_role(const void *a, const void *b)
{
    return strcmp(((const struct agg_role *)a)->name, ((const struct agg_role *)b)->name);
}

/* Canonical text of a rule: sorted keys, no empty or null members. Caller frees. */
static char *rule_key(json_t *rule)
{
    if (!json_is_object(rule))
        return json_dumps(rule, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *c = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(rule, k, v) {
        if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
            continue;
        json_object_set(c, k, v);
    }
    char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(c);
    return s;
}

static void add_rules(json_t *into, json_t *seen, json_t *rules)
{
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule) {
        char *key = rule_key(rule);
        if (key != NULL && json_object_get(seen, key) == NULL) {
            json_object_set_new(seen, key, json_true());
            json_array_append(into, rule);
        }
        free(key);
    }
}

/* Rules of aggregating role i for the computation started at role `root` (generation gen).
 * A role met again while still on the path contributes nothing and taints the results that
 * depended on that (they are kept for this start only); untainted results are memoised for
 * every start. So each start's result is the union of the non-aggregating roles reachable
 * from it, in depth-first, role-name order, whatever the cycles. */
static json_t *agg_compute(struct agg_run *run, size_t i, unsigned gen, int depth, bool *ret_tainted)
{
    struct agg_role *x = &run->roles[i];
    if (x->state == 2)
        return x->rules;
    if (x->gen == gen) {
        if (x->tmp_state == 1)
            *ret_tainted = true;
        else if (x->tmp_tainted)
            *ret_tainted = true;
        return x->tmp_state == 2 ? x->tmp_rules : NULL;
    }
    if (depth > AGG_MAX_DEPTH) {
        *ret_tainted = true;
        return NULL;
    }
    json_decref(x->tmp_rules);
    x->tmp_rules = NULL;
    x->gen = gen;
    x->tmp_state = 1;
    bool tainted = false;
    json_t *rules = json_array(), *seen = json_object();
    for (size_t s = 0; s < x->nsel; s++) {
        for (size_t j = 0; j < run->n; j++) {
            struct agg_role *y = &run->roles[j];
            if (j == i || !label_selector_matches(x->sel[s], json_path(y->obj, "metadata.labels")))
                continue;
            add_rules(rules, seen, y->aggregates ? agg_compute(run, j, gen, depth + 1, &tainted)
                                                 : json_object_get(y->obj, "rules"));
        }
    }
    json_decref(seen);
    x->tmp_state = 2;
    x->tmp_tainted = tainted;
    if (tainted) {
        *ret_tainted = true;
        x->tmp_rules = rules;
        return rules;
    }
    x->rules = rules;
    x->state = 2;
    return rules;
}

/* True if both rule lists hold the same rules in the same order (semantic equality). */
static bool rules_equal(json_t *a, json_t *b)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    if (na != nb)
        return false;
    bool eq = true;
    for (size_t i = 0; i < na && eq; i++) {
        char *ka = rule_key(json_array_get(a, i)), *kb = rule_key(json_array_get(b, i));
        eq = ka != NULL && kb != NULL && strcmp(ka, kb) == 0;
        free(ka);
        free(kb);
    }
    return eq;
}

static void agg_write(struct apiserver *srv, const struct resource_def *r, struct agg_role *x)
{
    if (rules_equal(x->rules, json_object_get(x->obj, "rules")))
        return;
    json_t *obj = json_deep_copy(x->obj);
    json_object_set(obj, "rules", x->rules);
    struct api_call c = {.srv = srv, .res = r, .name = x->name,
                         .user = client_controller_user(CONTROLLER_CLUSTERROLE_AGGREGATION),
                         .field_manager = "clusterrole-aggregation-controller",
                         .validation = FIELD_VALIDATION_IGNORE};
    json_t *res = NULL, *st = NULL;
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st) < 0)
        log_warn("clusterrole aggregation: %s: %s", x->name, json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(obj);
    json_decref(res);
    json_decref(st);
}

static void aggregation_run(void *arg)
{
    struct agg_state *st = arg;
    st->pending = false;
    if (!controllers_leading()) /* kube-controller-manager's: the Lease holder aggregates */
        return;
    const struct resource_def *r = resource_by_kind(RBAC_GROUP, "ClusterRole");
    /* a lister read (upstream: the ClusterRole informer) */
    struct api_call c = {.srv = st->srv, .res = r, .user = client_controller_user(CONTROLLER_CLUSTERROLE_AGGREGATION),
                         .internal = true};
    struct list_opts lo = {0};
    json_t *list = NULL, *status = NULL;
    if (rest_list(&c, &lo, &list, &status) != 0) {
        json_decref(status);
        return;
    }
    json_t *items = json_object_get(list, "items");
    struct agg_run run = {.n = json_array_size(items)};
    run.roles = xcalloc(run.n ? run.n : 1, sizeof(*run.roles));
    for (size_t i = 0; i < run.n; i++) {
        struct agg_role *x = &run.roles[i];
        x->obj = json_array_get(items, i);
        x->name = json_path_str(x->obj, "metadata.name") ? json_path_str(x->obj, "metadata.name") : "";
        json_t *agg = json_object_get(x->obj, "aggregationRule");
        x->aggregates = json_is_object(agg);
        json_t *sels = json_object_get(agg, "clusterRoleSelectors");
        x->sel = xcalloc(json_array_size(sels) + 1, sizeof(*x->sel));
        size_t k;
        json_t *sel;
        json_array_foreach(sels, k, sel) {
            struct label_selector *ls = NULL;
            if (label_selector_from_json(sel, &ls, NULL) == 0)
                x->sel[x->nsel++] = ls;
        }
    }
    qsort(run.roles, run.n, sizeof(*run.roles), cmp_agg_role);
    for (size_t i = 0; i < run.n; i++) {
        struct agg_role *x = &run.roles[i];
        if (!x->aggregates)
            continue;
        bool tainted = false;
        json_t *rules = agg_compute(&run, i, (unsigned)i + 1, 0, &tainted);
        if (x->state != 2) { /* tainted: this start's result is the role's result */
            x->rules = json_incref(rules);
            x->state = 2;
        }
    }
    for (size_t i = 0; i < run.n; i++)
        if (run.roles[i].aggregates && run.roles[i].rules != NULL)
            agg_write(st->srv, r, &run.roles[i]);
    for (size_t i = 0; i < run.n; i++) {
        for (size_t k = 0; k < run.roles[i].nsel; k++)
            label_selector_free(run.roles[i].sel[k]);
        free(run.roles[i].sel);
        json_decref(run.roles[i].rules);
        json_decref(run.roles[i].tmp_rules);
    }
    free(run.roles);
    json_decref(list);
}

static void schedule_aggregation(struct agg_state *st)
{
    if (st->pending || st->srv->defer == NULL)
        return;
    st->pending = true;
    st->srv->defer(st->srv, aggregation_run, st);
}

static void on_cluster_role(void *arg, const struct watch_event *ev)
{
    schedule_aggregation(arg);
}

static struct agg_state agg__state;

void clusterrole_aggregation_resync(struct apiserver *srv)
{
    if (agg__state.srv == srv)
        schedule_aggregation(&agg__state);
}

void clusterrole_aggregation_start(struct apiserver *srv)
{
    struct agg_state *st = &agg__state;
    st->srv = srv;
    const struct resource_def *r = resource_by_kind(RBAC_GROUP, "ClusterRole");
    char *prefix = resource_key(r, NULL, NULL);
    if (watchcache_subscribe(srv->wc, prefix, watchcache_rev(srv->wc), on_cluster_role, st, &st->sub, NULL) < 0)
        log_warn("clusterrole aggregation: cannot watch %s", prefix);
    free(prefix);
    schedule_aggregation(st);
}
