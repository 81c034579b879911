/* rbac.c — RBAC module wiring (spec/08, 09): keeps the subject index (rbac_index.c) fed from
 * the watch cache, registers the RBAC authorizer, reconciles the bootstrap policy at start
 * (upstream rbac/bootstrap-roles post-start hook, component-helpers/auth/rbac/reconciliation).
 * The ClusterRole aggregation controller is controllers/clusterroleaggregation.c. */
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
#include "registry/loopback.h"
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

static const struct authorizer rbac_authorizer_def = {"RBAC", rbac_authorize, NULL};
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
    /* the rbac/bootstrap-roles post-start hook: kube-apiserver's own privileged write at
     * start-up, straight to the registry (it writes the policy every authorizer reads) */
    struct api_call c = {.srv = srv, .res = r, .ns = r->namespaced ? ns : NULL, .name = name,
                         .user = apiserver_loopback_user(), .field_manager = "kube-apiserver",
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
        if (r->flags & RES_RBAC_ROLE)
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

/* ---- init ----------------------------------------------------------------------------- */

const struct authorizer *rbac_authorizer(void)
{
    return &rbac_authorizer_inst;
}

const struct admission_plugin *rbac_escalation_admission(void)
{
    return &rbac__escalation_plugin;
}

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
    rbac_authorizer_inst = rbac_authorizer_def;
    rbac_authorizer_inst.state = st;
    return 0;
}
