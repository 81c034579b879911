/* rbac.c — RBAC module wiring (spec/08, 09): keeps the subject index (rbac_index.c) fed from
 * the watch cache, registers the RBAC authorizer, reconciles the bootstrap policy at start
 * (upstream rbac/bootstrap-roles post-start hook, component-helpers/auth/rbac/reconciliation)
 * and runs the ClusterRole aggregation controller (pkg/controller/clusterroleaggregation). */
#include <stdlib.h>
#include <string.h>
#include "registry/admission.h"
#include "registry/rest.h"
#include "machinery/selector.h"
#include "machinery/status.h"
#include "authz/authz.h"
#include "authz/bootstrap_policy.h"
#include "authz/rbac.h"
#include "authz/rbac_int.h"
#include "controllers/controllers.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define AUTOUPDATE "rbac.authorization.kubernetes.io/autoupdate"

struct rbac_state *rbac__state;

static const struct {
    enum rbac_kind kind;
    const char *res_kind;
    const char *policy_key; /* member of bootstrap_policy() */
} kinds[] = {
    {RBAC_CLUSTER_ROLE, "ClusterRole", "clusterRoles"},
    {RBAC_CLUSTER_ROLE_BINDING, "ClusterRoleBinding", "clusterRoleBindings"},
    {RBAC_ROLE, "Role", "roles"},
    {RBAC_ROLE_BINDING, "RoleBinding", "roleBindings"},
};

/* ---- authorizer ---------------------------------------------------------------------- */

static enum authz_decision rbac_authorize(void *state, struct apiserver *srv,
                                         const struct authz_attrs *a, char **ret_reason)
{
    struct rbac_state *st = state;
    struct rbac_snapshot *s = rbac_index_acquire(st->index);
    enum authz_decision d = rbac_snapshot_authorize(s, a, ret_reason);
    rbac_snapshot_release(s);
    return d;
}

static const struct authorizer rbac_authorizer = {"RBAC", rbac_authorize, NULL};
static struct authorizer rbac_authorizer_inst;

bool rbac__authorized(struct apiserver *srv, const struct user_info *u, const char *verb,
                      const char *group, const char *resource, const char *subresource,
                      const char *ns, const char *name, char **ret_reason)
{
    struct authz_attrs a = {.user = u, .verb = verb, .is_resource = true, .ns = ns ? ns : "",
                            .group = group ? group : "", .version = "*", .resource = resource,
                            .subresource = subresource ? subresource : "", .name = name ? name : "",
                            .path = ""};
    char *why = NULL;
    enum authz_decision d = authz_authorize(srv, &a, &why);
    if (ret_reason != NULL)
        *ret_reason = why;
    else
        free(why);
    return d == AUTHZ_ALLOW;
}

/* ---- index feeding ---------------------------------------------------------------------- */

static void schedule_aggregation(struct rbac_state *st);

static void on_event(void *arg, const struct watch_event *ev)
{
    struct rbac_state *st = rbac__state;
    enum rbac_kind kind = (enum rbac_kind)(intptr_t)arg;
    if (ev->type == WATCH_DELETED)
        rbac_index_delete(st->index, kind, json_path_str(ev->obj, "metadata.namespace"),
                          json_path_str(ev->obj, "metadata.name"));
    else
        rbac_index_put(st->index, kind, ev->obj);
    rbac_index_publish(st->index);
    if (kind == RBAC_CLUSTER_ROLE)
        schedule_aggregation(st);
}

static int load_and_watch(struct rbac_state *st, enum rbac_kind kind, const char *res_kind,
                          char **ret_err)
{
    const struct resource_def *r = resource_by_kind(RBAC_GROUP, res_kind);
    char *prefix = resource_key(r, NULL, NULL);
    struct store_list l;
    int rc = store_list(st->srv->store, prefix, NULL, 0, 0, &l);
    if (rc < 0) {
        *ret_err = xasprintf("listing %s: %d", prefix, rc);
        free(prefix);
        return rc;
    }
    for (size_t i = 0; i < l.n; i++) {
        json_t *obj = json_loadb(l.items[i].value, l.items[i].len, JSON_ALLOW_NUL, NULL);
        if (obj != NULL)
            rbac_index_put(st->index, kind, obj);
        json_decref(obj);
    }
    struct watch_sub *sub = NULL;
    rc = watchcache_subscribe(st->srv->wc, prefix, l.rev, on_event, (void *)(intptr_t)kind, &sub, NULL);
    store_list_release(&l);
    if (rc < 0)
        *ret_err = xasprintf("watching %s: %d", prefix, rc);
    free(prefix);
    return rc;
}

/* ---- bootstrap policy reconciliation -------------------------------------------------------- */

/* Adds the keys of `from` missing in `into` (upstream merge(expected, existing)). */
static bool merge_map(json_t *meta, const char *field, json_t *from)
{
    bool changed = false;
    const char *k;
    json_t *v;
    json_object_foreach(from, k, v) {
        json_t *into = json_object_get(meta, field);
        if (!json_is_object(into)) {
            into = json_object();
            json_object_set_new(meta, field, into);
        }
        if (json_object_get(into, k) == NULL) {
            json_object_set(into, k, v);
            changed = true;
        }
    }
    return changed;
}

static bool json_in(json_t *arr, json_t *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_equal(x, v))
            return true;
    return false;
}

/* computeReconciledRole: merges labels/annotations, appends uncovered rule pieces and
 * missing aggregation selectors. Returns true when existing changed. */
static bool reconcile_role(json_t *existing, json_t *expected)
{
    json_t *m = json_obj_ensure(existing, "metadata");
    bool changed = merge_map(m, "annotations", json_path(expected, "metadata.annotations"));
    changed |= merge_map(m, "labels", json_path(expected, "metadata.labels"));
    struct rbac_rules have, want, missing;
    rbac_rules_init(&have);
    rbac_rules_init(&want);
    rbac_rules_init(&missing);
    rbac_rules_add_json(&have, json_object_get(existing, "rules"));
    rbac_rules_add_json(&want, json_object_get(expected, "rules"));
    if (!rbac_rules_cover(&have, &want, &missing)) {
        json_t *rules = json_object_get(existing, "rules");
        if (!json_is_array(rules)) {
            rules = json_array();
            json_object_set_new(existing, "rules", rules);
        }
        for (size_t i = 0; i < missing.n; i++)
            json_array_append_new(rules, rbac_rule_to_json(&missing.items[i]));
        changed = true;
    }
    rbac_rules_release(&have);
    rbac_rules_release(&want);
    rbac_rules_release(&missing);
    json_t *eagg = json_object_get(expected, "aggregationRule");
    json_t *xagg = json_object_get(existing, "aggregationRule");
    if (!json_is_object(eagg) && json_is_object(xagg)) {
        json_object_del(existing, "aggregationRule");
        changed = true;
    } else if (json_is_object(eagg)) {
        json_t *want_sel = json_object_get(eagg, "clusterRoleSelectors");
        size_t i;
        json_t *sel;
        json_array_foreach(want_sel, i, sel) {
            if (!json_is_object(xagg)) {
                xagg = json_object();
                json_object_set_new(existing, "aggregationRule", xagg);
            }
            json_t *have_sel = json_object_get(xagg, "clusterRoleSelectors");
            if (!json_is_array(have_sel)) {
                have_sel = json_array();
                json_object_set_new(xagg, "clusterRoleSelectors", have_sel);
            }
            if (!json_in(have_sel, sel)) {
                json_array_append(have_sel, sel);
                changed = true;
            }
        }
    }
    return changed;
}

/* computeReconciledRoleBinding. *ret_recreate when the roleRef differs. */
static bool reconcile_binding(json_t *existing, json_t *expected, bool *ret_recreate)
{
    *ret_recreate = !json_equal(json_object_get(existing, "roleRef"), json_object_get(expected, "roleRef"));
    if (*ret_recreate)
        return true;
    json_t *m = json_obj_ensure(existing, "metadata");
    bool changed = merge_map(m, "annotations", json_path(expected, "metadata.annotations"));
    changed |= merge_map(m, "labels", json_path(expected, "metadata.labels"));
    json_t *subjects = json_object_get(existing, "subjects");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(expected, "subjects"), i, s) {
        if (!json_is_array(subjects)) {
            subjects = json_array();
            json_object_set_new(existing, "subjects", subjects);
        }
        if (!json_in(subjects, s)) {
            json_array_append(subjects, s);
            changed = true;
        }
    }
    return changed;
}

static void reconcile_one(struct apiserver *srv, const struct resource_def *r, json_t *expected)
{
    const char *ns = json_path_str(expected, "metadata.namespace");
    const char *name = json_path_str(expected, "metadata.name");
    if (name == NULL)
        return;
    struct api_call c = {.srv = srv, .res = r, .ns = r->namespaced ? ns : NULL, .name = name,
                         .user = controllers_user(), .field_manager = "kube-apiserver",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    char *key = resource_key(r, c.ns, name);
    json_t *existing = rest_read_key(srv, key);
    free(key);
    json_t *res = NULL, *st = NULL;
    int code = 0, rc = 0;
    if (existing == NULL) {
        json_t *obj = json_deep_copy(expected);
        c.name = NULL;
        rc = rest_create(&c, obj, &res, &code, &st);
        json_decref(obj);
    } else if (strcmp(json_path_str(existing, "metadata.annotations." AUTOUPDATE) ? json_path_str(existing, "metadata.annotations." AUTOUPDATE) : "", "false") != 0) {
        bool recreate = false, changed;
        if (strcmp(r->kind, "Role") == 0 || strcmp(r->kind, "ClusterRole") == 0)
            changed = reconcile_role(existing, expected);
        else
            changed = reconcile_binding(existing, expected, &recreate);
        if (recreate) {
            json_t *del = NULL, *st1 = NULL;
            rest_delete(&c, NULL, &del, &code, &st1);
            json_decref(del);
            json_decref(st1);
            json_t *obj = json_deep_copy(expected);
            c.name = NULL;
            rc = rest_create(&c, obj, &res, &code, &st);
            json_decref(obj);
        } else if (changed) {
            rc = rest_update(&c, existing, &res, &code, &st);
        }
    }
    if (rc < 0)
        log_warn("rbac bootstrap: %s %s: %s", r->kind, name, json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(existing);
    json_decref(res);
    json_decref(st);
}

static void reconcile_bootstrap(struct apiserver *srv)
{
    json_t *policy = bootstrap_policy();
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const struct resource_def *r = resource_by_kind(RBAC_GROUP, kinds[k].res_kind);
        size_t i;
        json_t *obj;
        json_array_foreach(json_object_get(policy, kinds[k].policy_key), i, obj)
            reconcile_one(srv, r, obj);
    }
    json_decref(policy);
}

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
    struct api_call c = {.srv = srv, .res = r, .name = x->name, .user = controllers_user(),
                         .field_manager = "clusterrole-aggregation-controller",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    json_t *res = NULL, *st = NULL;
    int code;
    if (rest_update(&c, obj, &res, &code, &st) < 0)
        log_warn("clusterrole aggregation: %s: %s", x->name, json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(obj);
    json_decref(res);
    json_decref(st);
}

static void aggregation_run(void *arg)
{
    struct rbac_state *st = arg;
    st->aggregation_pending = false;
    if (!controllers_leading()) /* kube-controller-manager's: the Lease holder aggregates */
        return;
    const struct resource_def *r = resource_by_kind(RBAC_GROUP, "ClusterRole");
    struct api_call c = {.srv = st->srv, .res = r, .user = controllers_user(), .internal = true};
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

static void schedule_aggregation(struct rbac_state *st)
{
    if (st->aggregation_pending || st->srv->defer == NULL)
        return;
    st->aggregation_pending = true;
    st->srv->defer(st->srv, aggregation_run, st);
}

void rbac_aggregation_resync(struct apiserver *srv)
{
    (void)srv;
    if (rbac__state != NULL)
        schedule_aggregation(rbac__state);
}

/* ---- init ----------------------------------------------------------------------------- */

int rbac_init(struct apiserver *srv, char **ret_err)
{
    if (rbac__state != NULL)
        return 0;
    struct rbac_state *st = xcalloc(1, sizeof(*st));
    st->srv = srv;
    st->index = rbac_index_new();
    rbac__state = st;
    srv->authz = st;
    reconcile_bootstrap(srv);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        int rc = load_and_watch(st, kinds[k].kind, kinds[k].res_kind, ret_err);
        if (rc < 0)
            return rc;
    }
    rbac_index_publish(st->index);
    rbac_authorizer_inst = rbac_authorizer;
    rbac_authorizer_inst.state = st;
    authz_register(&rbac_authorizer_inst);
    admission_register(&rbac__escalation_plugin);
    rbac__reviews_register();
    schedule_aggregation(st);
    return 0;
}
