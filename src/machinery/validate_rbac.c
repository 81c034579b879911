/* validate_rbac.c — defaulting and validation of rbac.authorization.k8s.io/v1 Role,
 * ClusterRole, RoleBinding and ClusterRoleBinding as upstream v1.32 does:
 *   pkg/apis/rbac/v1/defaults.go          roleRef.apiGroup, subject apiGroup per kind
 *   pkg/apis/rbac/validation/validation.go names as path segments, policy rules, roleRef,
 *                                          subjects, roleRef immutable on update */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/validate.h"
#include "machinery/validate_int.h"
#include "util/buf.h"
#include "util/text.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

void defaults_kind_binding(json_t *obj)
{
    json_t *ref = jobj(obj, "roleRef");
    if (ref)
        jset_default_str(ref, "apiGroup", RBAC_GROUP);
    size_t i;
    json_t *s;
    json_array_foreach(jarr(obj, "subjects"), i, s) {
        const char *k = jstr(s, "kind");
        if (strcmp(k, "User") == 0 || strcmp(k, "Group") == 0)
            jset_default_str(s, "apiGroup", RBAC_GROUP);
    }
}

static void string_list_invalid(struct field_errors *errs, const char *path, json_t *list,
                                const char *detail)
{
    field_errors_add(errs, FIELD_INVALID, path, list, detail);
}

static void validate_policy_rule(json_t *rule, bool namespaced, size_t i,
                                 struct field_errors *errs)
{
    char p[64];
    if (json_array_size(jarr(rule, "verbs")) == 0) {
        snprintf(p, sizeof(p), "rules[%zu].verbs", i);
        field_errors_add(errs, FIELD_REQUIRED, p, NULL, "verbs must contain at least one value");
    }
    json_t *urls = jarr(rule, "nonResourceURLs");
    size_t ngroups = json_array_size(jarr(rule, "apiGroups"));
    size_t nres = json_array_size(jarr(rule, "resources"));
    size_t nnames = json_array_size(jarr(rule, "resourceNames"));
    if (json_array_size(urls) > 0) {
        snprintf(p, sizeof(p), "rules[%zu].nonResourceURLs", i);
        if (namespaced)
            string_list_invalid(errs, p, urls, "namespaced rules cannot apply to non-resource URLs");
        if (ngroups || nres || nnames)
            string_list_invalid(errs, p, urls,
                                "rules cannot apply to both regular resources and non-resource "
                                "URLs");
        return;
    }
    if (ngroups == 0) {
        snprintf(p, sizeof(p), "rules[%zu].apiGroups", i);
        field_errors_add(errs, FIELD_REQUIRED, p, NULL,
                         "resource rules must supply at least one api group");
    }
    if (nres == 0) {
        snprintf(p, sizeof(p), "rules[%zu].resources", i);
        field_errors_add(errs, FIELD_REQUIRED, p, NULL,
                         "resource rules must supply at least one resource");
    }
}

static void not_supported_str(struct field_errors *errs, const char *path, const char *value,
                              const char *const *supported)
{
    json_t *v = json_string(value);
    field_errors_add_not_supported(errs, path, v, supported);
    json_decref(v);
}

static void validate_subject(json_t *s, bool namespaced, size_t i, struct field_errors *errs)
{
    static const char *const kinds[] = {"ServiceAccount", "User", "Group", NULL};
    static const char *const rbac_group[] = {RBAC_GROUP, NULL};
    static const char *const core_group[] = {"", NULL};
    char np[64], gp[64], p[64];
    snprintf(np, sizeof(np), "subjects[%zu].name", i);
    snprintf(gp, sizeof(gp), "subjects[%zu].apiGroup", i);
    const char *name = jstr(s, "name"), *kind = jstr(s, "kind"), *group = jstr(s, "apiGroup");
    if (!*name)
        field_errors_add(errs, FIELD_REQUIRED, np, NULL, NULL);
    if (strcmp(kind, "ServiceAccount") == 0) {
        if (*name) {
            struct vmsgs ms = {0};
            vnames_dns1123_subdomain(name, &ms);
            verr_invalid_msgs(errs, np, name, &ms);
        }
        if (*group)
            not_supported_str(errs, gp, group, core_group);
        if (!namespaced && !*jstr(s, "namespace")) {
            snprintf(p, sizeof(p), "subjects[%zu].namespace", i);
            field_errors_add(errs, FIELD_REQUIRED, p, NULL, NULL);
        }
    } else if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0) {
        if (!*name)
            verr_invalid_str(errs, np, "", strcmp(kind, "User") == 0 ? "user name cannot be empty"
                                                                     : "group name cannot be empty");
        if (strcmp(group, RBAC_GROUP))
            not_supported_str(errs, gp, group, rbac_group);
    } else {
        snprintf(p, sizeof(p), "subjects[%zu].kind", i);
        not_supported_str(errs, p, kind, kinds);
    }
}

static void validate_binding(json_t *obj, bool cluster, struct field_errors *errs)
{
    static const char *const rbac_group[] = {RBAC_GROUP, NULL};
    static const char *const ns_kinds[] = {"Role", "ClusterRole", NULL};
    static const char *const cl_kinds[] = {"ClusterRole", NULL};
    vmeta_create_core(obj, !cluster, vname_path_segment, errs);
    json_t *ref = jobj(obj, "roleRef");
    const char *group = jstr(ref, "apiGroup"), *kind = jstr(ref, "kind"),
               *name = jstr(ref, "name");
    if (strcmp(group, RBAC_GROUP))
        not_supported_str(errs, "roleRef.apiGroup", group, rbac_group);
    if (cluster ? strcmp(kind, "ClusterRole") != 0
                : (strcmp(kind, "Role") && strcmp(kind, "ClusterRole")))
        not_supported_str(errs, "roleRef.kind", kind, cluster ? cl_kinds : ns_kinds);
    if (!*name) {
        field_errors_add(errs, FIELD_REQUIRED, "roleRef.name", NULL, NULL);
    } else {
        struct vmsgs ms = {0};
        vnames_path_segment(name, &ms);
        verr_invalid_msgs(errs, "roleRef.name", name, &ms);
    }
    size_t i;
    json_t *s;
    json_array_foreach(jarr(obj, "subjects"), i, s) validate_subject(s, !cluster, i, errs);
}

/* Go %#v of rbac.RoleRef. */
static char *render_role_ref(json_t *ref)
{
    struct buf b = BUF_INIT;
    const char *g = jstr(ref, "apiGroup"), *k = jstr(ref, "kind"), *n = jstr(ref, "name");
    buf_puts(&b, "rbac.RoleRef{APIGroup:");
    go_quote(&b, g, strlen(g));
    buf_puts(&b, ", Kind:");
    go_quote(&b, k, strlen(k));
    buf_puts(&b, ", Name:");
    go_quote(&b, n, strlen(n));
    buf_putc(&b, '}');
    return buf_detach(&b, NULL);
}

static void validate_role_kind(json_t *obj, json_t *old, bool role, struct field_errors *errs)
{
    vmeta_create_core(obj, role, vname_path_segment, errs);
    size_t i;
    json_t *r;
    json_array_foreach(jarr(obj, "rules"), i, r) validate_policy_rule(r, role, i, errs);
    json_t *agg = jobj(obj, "aggregationRule");
    if (!role && agg && json_array_size(jarr(agg, "clusterRoleSelectors")) == 0)
        field_errors_add(errs, FIELD_REQUIRED, "aggregationRule.clusterRoleSelectors", NULL,
                         "at least one clusterRoleSelector required if aggregationRule is "
                         "non-nil");
    if (old)
        vmeta_update(obj, old, errs);
}

void validate_kind_role(json_t *obj, json_t *old, struct field_errors *errs)
{
    validate_role_kind(obj, old, true, errs);
}

void validate_kind_cluster_role(json_t *obj, json_t *old, struct field_errors *errs)
{
    validate_role_kind(obj, old, false, errs);
}

static void validate_binding_kind(json_t *obj, json_t *old, bool cluster,
                                  struct field_errors *errs)
{
    validate_binding(obj, cluster, errs);
    if (old) {
        vmeta_update(obj, old, errs);
        json_t *nr = jobj(obj, "roleRef"), *orf = jobj(old, "roleRef");
        if (strcmp(jstr(nr, "apiGroup"), jstr(orf, "apiGroup")) ||
            strcmp(jstr(nr, "kind"), jstr(orf, "kind")) ||
            strcmp(jstr(nr, "name"), jstr(orf, "name"))) {
            char *r = render_role_ref(nr);
            field_errors_add_raw(errs, FIELD_INVALID, "roleRef", r, "cannot change roleRef");
            free(r);
        }
    }
}

void validate_kind_role_binding(json_t *obj, json_t *old, struct field_errors *errs)
{
    validate_binding_kind(obj, old, false, errs);
}

void validate_kind_cluster_role_binding(json_t *obj, json_t *old, struct field_errors *errs)
{
    validate_binding_kind(obj, old, true, errs);
}
