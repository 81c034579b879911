/* rbac_escalation.c — privilege-escalation prevention for Roles, ClusterRoles, RoleBindings
 * and ClusterRoleBindings (spec/08 §8.6; upstream pkg/registry/rbac/{role,clusterrole,
 * rolebinding,clusterrolebinding}/policybased/storage.go, escalation_check.go and
 * ConfirmNoEscalation in pkg/registry/rbac/validation/rule.go), as a validating admission
 * plugin. Deviation: upstream checks in the registry before validation, so an object that
 * is both invalid and escalating gets 403 there and 422 here. */
#include <stdlib.h>
#include <string.h>
#include "registry/admission.h"
#include "registry/resource.h"
#include "machinery/status.h"
#include "authz/rbac_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

/* Updates touching only finalizers/ownerReferences (IsOnlyMutatingGCFields). */
static bool only_gc_fields(json_t *obj, json_t *old)
{
    if (old == NULL)
        return false;
    json_t *a = json_deep_copy(obj), *b = json_deep_copy(old);
    static const char *const drop[] = {"finalizers", "ownerReferences", "resourceVersion",
                                       "managedFields", "generation", "creationTimestamp", "uid"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
        json_object_del(json_object_get(a, "metadata"), drop[i]);
        json_object_del(json_object_get(b, "metadata"), drop[i]);
    }
    bool same = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* ConfirmNoEscalation: NULL when u's rules in ns cover rules, else the error text. */
static char *confirm_no_escalation(const struct user_info *u, const char *ns,
                                   const struct rbac_rules *rules)
{
    struct rbac_snapshot *s = rbac_index_acquire(rbac__state->index);
    struct rbac_rules owner, missing;
    rbac_rules_init(&owner);
    rbac_rules_init(&missing);
    char *errs = NULL;
    rbac_snapshot_rules_for(s, u, ns, &owner, &errs);
    rbac_snapshot_release(s);
    char *msg = NULL;
    if (!rbac_rules_cover(&owner, rules, &missing)) {
        struct buf b = BUF_INIT;
        buf_puts(&b, "user ");
        go_quote(&b, u->name ? u->name : "", strlen(u->name ? u->name : ""));
        buf_puts(&b, " (groups=");
        rbac_quote_list(&b, u->groups, u->ngroups);
        char *desc = rbac_rules_describe_missing(&missing);
        buf_printf(&b, ") is attempting to grant RBAC permissions not currently held:\n%s", desc);
        free(desc);
        if (errs != NULL)
            buf_printf(&b, "; resolution errors: [%s]", errs);
        msg = buf_detach(&b, NULL);
    }
    free(errs);
    rbac_rules_release(&owner);
    rbac_rules_release(&missing);
    return msg;
}

static int check_role(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                      bool cluster, json_t **ret_status)
{
    const char *name = json_path_str(obj, "metadata.name");
    const char *plural = c->res->plural;
    const char *ns = cluster ? "" : (c->ns ? c->ns : "");
    if (rbac__authorized(c->srv, c->user, "escalate", RBAC_GROUP, plural, NULL, ns,
                         op == ADMIT_CREATE ? "" : c->name, NULL))
        return 0;
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    rbac_rules_add_json(&rules, json_object_get(obj, "rules"));
    char *msg = confirm_no_escalation(c->user, ns, &rules);
    rbac_rules_release(&rules);
    if (msg == NULL && cluster &&
        (json_is_object(json_object_get(obj, "aggregationRule")) ||
         (op == ADMIT_UPDATE && json_is_object(json_object_get(old, "aggregationRule"))))) {
        static const char *const star[] = {"*", NULL};
        struct rbac_rules full;
        rbac_rules_init(&full);
        rbac_rules_add_lists(&full, star, star, star, NULL, NULL);
        rbac_rules_add_lists(&full, star, NULL, NULL, NULL, star);
        char *m2 = confirm_no_escalation(c->user, ns, &full);
        rbac_rules_release(&full);
        if (m2 != NULL) {
            free(m2);
            msg = xstrdup("must have cluster-admin privileges to use the aggregationRule");
        }
    }
    if (msg == NULL)
        return 0;
    *ret_status = status_forbidden(RBAC_GROUP, plural, name, msg);
    free(msg);
    return AZ_EFORBIDDEN;
}

static int check_binding(struct api_call *c, json_t *obj, bool cluster, json_t **ret_status)
{
    const char *name = json_path_str(obj, "metadata.name");
    const char *ns = cluster ? "" : (c->ns ? c->ns : "");
    json_t *ref = json_object_get(obj, "roleRef");
    const char *kind = json_str(ref, "kind") ? json_str(ref, "kind") : "";
    const char *rname = json_str(ref, "name") ? json_str(ref, "name") : "";
    const char *rgroup = json_str(ref, "apiGroup") ? json_str(ref, "apiGroup") : "";
    const char *rres = strcmp(kind, "ClusterRole") == 0 ? "clusterroles" : strcmp(kind, "Role") == 0 ? "roles" : NULL;
    if (rres != NULL && rbac__authorized(c->srv, c->user, "bind", rgroup, rres, NULL, ns, rname, NULL))
        return 0;
    struct rbac_snapshot *s = rbac_index_acquire(rbac__state->index);
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    int rc = rbac_snapshot_role_rules(s, kind, ns, rname, &rules);
    rbac_snapshot_release(s);
    if (rc == AZ_ENOTFOUND) {
        rbac_rules_release(&rules);
        *ret_status = status_not_found(RBAC_GROUP, rres, rname);
        return AZ_ENOTFOUND;
    }
    if (rc < 0) {
        rbac_rules_release(&rules);
        struct buf b = BUF_INIT;
        buf_puts(&b, "unsupported role reference kind: ");
        go_quote(&b, kind, strlen(kind));
        *ret_status = status_internal(b.data);
        buf_release(&b);
        return AZ_EINTERNAL;
    }
    char *msg = confirm_no_escalation(c->user, ns, &rules);
    rbac_rules_release(&rules);
    if (msg == NULL)
        return 0;
    *ret_status = status_forbidden(RBAC_GROUP, c->res->plural, name, msg);
    free(msg);
    return AZ_EFORBIDDEN;
}

static int escalation_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                               json_t **ret_status)
{
    if (op != ADMIT_CREATE && op != ADMIT_UPDATE)
        return 0;
    if (rbac__state == NULL || c->res == NULL || !(c->res->flags & (RES_RBAC_ROLE | RES_RBAC_BINDING)) ||
        c->subresource)
        return 0;
    if (c->user == NULL || user_info_in_group(c->user, "system:masters"))
        return 0; /* EscalationAllowed */
    if (op == ADMIT_UPDATE && only_gc_fields(obj, old))
        return 0;
    bool cluster = !c->res->namespaced;
    if (c->res->flags & RES_RBAC_ROLE)
        return check_role(c, op, obj, old, cluster, ret_status);
    return check_binding(c, obj, cluster, ret_status);
}

/* escalation_validate's rows: roles and bindings, on create and update. */
static bool escalation_acts_on(const struct resource_def *r, enum admission_op op)
{
    return (op == ADMIT_CREATE || op == ADMIT_UPDATE) && (r->flags & (RES_RBAC_ROLE | RES_RBAC_BINDING)) != 0;
}

const struct admission_plugin rbac__escalation_plugin = {
    .name = "RBACEscalation",
    .acts_on = escalation_acts_on,
    .validate = escalation_validate,
};
