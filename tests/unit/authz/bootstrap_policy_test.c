/* bootstrap_policy_test.c — bootstrap_policy() against upstream's own testdata dumps in
 * shared/reference/bootstrap-policy/ (loaded with libfyaml), after removing the differences
 * between those dumps and v1.32 that spec 09 and the reference README document; every object
 * is compared field by field and each mismatch is reported by object and field. The
 * ClusterRoleBindings (no reference dump) are checked against the table of spec 09 §9.2, and
 * the controller roles against spec 09 §9.3 and the structural rules upstream follows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libfyaml.h>

#include "authz/bootstrap_policy.h"

/* ---- loading the reference ------------------------------------------------------------- */

static char reference_dir[4096];

/* Sets reference_dir; false when the shared/ directory is not beside the repository. */
static int reference_available(void)
{
    const char *src = getenv("ANZEN_SRC");
    struct stat st;

    if (!src)
        src = ".";
    snprintf(reference_dir, sizeof reference_dir, "%s/../shared/reference/bootstrap-policy",
             src);
    return stat(reference_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The "items" of a reference List file, as JSON (libfyaml emits the YAML document as JSON). */
static json_t *load_reference_items(const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", reference_dir, file);

    struct fy_document *fyd = fy_document_build_from_file(NULL, path);
    if (!fyd)
        fail_msg("cannot parse %s", path);
    char *text = fy_emit_document_to_string(fyd, FYECF_MODE_JSON_ONELINE);
    fy_document_destroy(fyd);
    assert_non_null(text);

    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    free(text);
    if (!doc)
        fail_msg("%s: JSON from libfyaml does not parse: %s", path, err.text);
    json_t *items = json_incref(json_object_get(doc, "items"));
    json_decref(doc);
    assert_true(json_is_array(items));
    assert_true(json_array_size(items) > 0);
    return items;
}

/* Removes what the API server sets and the dumps may carry: creationTimestamp (v1.32 dumps
 * have "creationTimestamp: null", later ones none — reference README). */
static void normalise(json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata");
    json_object_del(meta, "creationTimestamp");
    json_object_del(meta, "resourceVersion");
    json_object_del(meta, "uid");
    json_object_del(meta, "managedFields");
}

static const char *object_name(json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

static const char *object_namespace(json_t *obj)
{
    const char *ns =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    return ns ? ns : "";
}

static json_t *find_object(json_t *list, const char *namespace, const char *name)
{
    size_t i;
    json_t *obj;

    json_array_foreach(list, i, obj) {
        if (strcmp(object_name(obj), name) == 0 && strcmp(object_namespace(obj), namespace) == 0)
            return obj;
    }
    return NULL;
}

/* ---- the documented differences between the dumps and v1.32 ----------------------------- */

/* "apiGroups|resources|nonResourceURLs" of a rule, each list joined with spaces. */
static void rule_key(json_t *rule, char *buf, size_t size)
{
    size_t i, len = 0;
    json_t *v;
    const char *fields[] = {"apiGroups", "resources", "nonResourceURLs"};

    buf[0] = '\0';
    for (size_t f = 0; f < 3; f++) {
        if (f)
            len += (size_t)snprintf(buf + len, size - len, "|");
        json_array_foreach(json_object_get(rule, fields[f]), i, v)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
                                    json_string_value(v));
        assert_true(len < size);
    }
}

/* A rule in a ClusterRole of the dump that a default v1.32 server does not create. */
struct dropped_rule {
    const char *role;
    const char *key; /* rule_key() of the rule */
};

/* spec 09 / reference README "How these differ from v1.32": the dump has every feature gate
 * on, and some rules are 1.33/1.34 additions. */
static const struct dropped_rule dropped_rules[] = {
    /* DRA (resource.k8s.io) rules exist only with the DynamicResourceAllocation gate, off by
     * default in v1.32 (README; spec 09 §9.3 "+ DRA rules only with the DRA gate") */
    {"system:aggregate-to-edit", "resource.k8s.io|resourceclaims resourceclaimtemplates|"},
    {"system:aggregate-to-view",
     "resource.k8s.io|resourceclaims resourceclaims/status resourceclaimtemplates|"},
    {"system:kube-scheduler", "resource.k8s.io|deviceclasses|"},
    {"system:kube-scheduler", "resource.k8s.io|resourceclaims|"},
    {"system:kube-scheduler", "resource.k8s.io|resourceclaims/status|"},
    {"system:kube-scheduler", "|pods/finalizers|"}, /* part of the scheduler's DRA rules */
    {"system:kube-scheduler", "resource.k8s.io|resourceslices|"},
    {"system:kube-scheduler", "resource.k8s.io|devicetaintrules|"}, /* README */
    {"system:node", "resource.k8s.io|resourceclaims|"},
    {"system:node", "resource.k8s.io|resourceslices|"},
    /* README: the ClusterTrustBundle rule in system:node and serviceaccounts get */
    {"system:node", "certificates.k8s.io|clustertrustbundles|"},
    {"system:node", "|serviceaccounts|"},
    /* README: /flagz and /statusz in system:monitoring (spec 09 §9.3: only with alpha gates) */
    {"system:monitoring", "||/flagz"},
    {"system:monitoring", "||/statusz"},
    /* README: nodes/configz, nodes/healthz, nodes/pods in system:kubelet-api-admin */
    {"system:kubelet-api-admin", "|nodes/configz nodes/healthz nodes/pods|"},
    /* README: servicecidrs in system:node-proxier (MultiCIDRServiceAllocator, off in 1.32) */
    {"system:node-proxier", "networking.k8s.io|servicecidrs|"},
};

/* README: system:cluster-trust-bundle-discovery is not created by a default v1.32 server. */
static const char *const dropped_cluster_roles[] = {"system:cluster-trust-bundle-discovery"};

static void drop_object(json_t *items, const char *name)
{
    size_t i;
    json_t *obj;

    json_array_foreach(items, i, obj) {
        if (strcmp(object_name(obj), name) == 0) {
            json_array_remove(items, i);
            return;
        }
    }
    fail_msg("documented difference: object %s is not in the dump", name);
}

static void drop_rule(json_t *items, const struct dropped_rule *d)
{
    json_t *role = find_object(items, "", d->role);
    json_t *rules = json_object_get(role, "rules");
    size_t i;
    json_t *rule;
    char key[1024];

    if (!role)
        fail_msg("documented difference: role %s is not in the dump", d->role);
    json_array_foreach(rules, i, rule) {
        rule_key(rule, key, sizeof key);
        if (strcmp(key, d->key) == 0) {
            json_array_remove(rules, i);
            return;
        }
    }
    fail_msg("documented difference: %s has no rule %s in the dump", d->role, d->key);
}

static void apply_cluster_role_differences(json_t *items)
{
    for (size_t i = 0; i < sizeof dropped_rules / sizeof dropped_rules[0]; i++)
        drop_rule(items, &dropped_rules[i]);
    for (size_t i = 0; i < sizeof dropped_cluster_roles / sizeof dropped_cluster_roles[0]; i++)
        drop_object(items, dropped_cluster_roles[i]);
}

/* README: "in v1.32 the two system::leader-locking-* Roles also grant configmaps watch and, for
 * the ConfigMap named after the component, get/update; those rules were dropped later." */
static void apply_namespace_role_differences(json_t *items)
{
    const char *components[] = {"kube-controller-manager", "kube-scheduler"};
    char name[128];

    for (size_t c = 0; c < 2; c++) {
        snprintf(name, sizeof name, "system::leader-locking-%s", components[c]);
        json_t *role = find_object(items, "kube-system", name);
        assert_non_null(role);
        json_t *rules = json_object_get(role, "rules");
        json_array_insert_new(rules, 0, json_pack("{s:[s], s:[s], s:[s]}", "apiGroups", "",
                                                  "resources", "configmaps", "verbs", "watch"));
        json_array_insert_new(rules, 1,
                              json_pack("{s:[s], s:[s], s:[s], s:[s,s]}", "apiGroups", "",
                                        "resourceNames", components[c], "resources",
                                        "configmaps", "verbs", "get", "update"));
    }
}

/* ---- field-by-field comparison ---------------------------------------------------------- */

/* Compares want and got below path; prints one line per differing field, returns how many. */
static int compare_json(const char *object, const char *path, json_t *want, json_t *got)
{
    char sub[1024];
    int mismatches = 0;

    if (json_is_object(want) && json_is_object(got)) {
        const char *key;
        json_t *v;
        json_object_foreach(want, key, v) {
            snprintf(sub, sizeof sub, "%s.%s", path, key);
            json_t *g = json_object_get(got, key);
            if (!g) {
                print_message("MISMATCH %s: field %s missing\n", object, sub);
                mismatches++;
            } else {
                mismatches += compare_json(object, sub, v, g);
            }
        }
        json_object_foreach(got, key, v) {
            if (!json_object_get(want, key)) {
                print_message("MISMATCH %s: unexpected field %s.%s\n", object, path, key);
                mismatches++;
            }
        }
        return mismatches;
    }
    if (json_is_array(want) && json_is_array(got)) {
        size_t n = json_array_size(want) > json_array_size(got) ? json_array_size(want)
                                                                 : json_array_size(got);
        for (size_t i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            json_t *w = json_array_get(want, i), *g = json_array_get(got, i);
            if (!w || !g) {
                char *s = json_dumps(w ? w : g, JSON_COMPACT | JSON_ENCODE_ANY);
                print_message("MISMATCH %s: %s %s: %s\n", object, sub,
                              w ? "missing" : "unexpected", s);
                free(s);
                mismatches++;
            } else {
                mismatches += compare_json(object, sub, w, g);
            }
        }
        return mismatches;
    }
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        print_message("MISMATCH %s: field %s: want %s, got %s\n", object, path, w, g);
        free(w);
        free(g);
        return 1;
    }
    return 0;
}

/* Compares every reference object with the one of the same namespace/name in got; objects of
 * got not in the reference are counted as mismatches unless extra_prefix (may be NULL)
 * starts their name. Returns the number of mismatches. */
static int compare_lists(const char *what, json_t *want, json_t *got, const char *extra_prefix)
{
    size_t i;
    json_t *w, *g;
    int mismatches = 0;
    char label[512];

    json_array_foreach(want, i, w) {
        normalise(w);
        snprintf(label, sizeof label, "%s %s%s%s", what, object_namespace(w),
                 *object_namespace(w) ? "/" : "", object_name(w));
        g = find_object(got, object_namespace(w), object_name(w));
        if (!g) {
            print_message("MISMATCH %s: missing from bootstrap_policy()\n", label);
            mismatches++;
            continue;
        }
        mismatches += compare_json(label, "", w, g);
    }
    json_array_foreach(got, i, g) {
        if (find_object(want, object_namespace(g), object_name(g)))
            continue;
        if (extra_prefix && strncmp(object_name(g), extra_prefix, strlen(extra_prefix)) == 0)
            continue;
        print_message("MISMATCH %s %s: not in the reference\n", what, object_name(g));
        mismatches++;
    }
    return mismatches;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_cluster_roles_match_reference(void **state)
{
    if (!reference_available()) {
        TEST_SKIP("%s absent (shared/ must sit beside the repository)", reference_dir);
    }
    json_t *want = load_reference_items("cluster-roles-featuregates.yaml");
    apply_cluster_role_differences(want);
    json_t *policy = bootstrap_policy();

    /* the dump has no controller roles (controller-roles.yaml was not saved — README) */
    int mismatches = compare_lists("ClusterRole", want, json_object_get(policy, "clusterRoles"),
                                   "system:controller:");
    assert_int_equal(mismatches, 0);
    /* 32 in the dump, minus system:cluster-trust-bundle-discovery */
    assert_int_equal(json_array_size(want), 31);
    json_decref(want);
    json_decref(policy);
}

static void test_namespace_roles_match_reference(void **state)
{
    if (!reference_available()) {
        TEST_SKIP("%s absent (shared/ must sit beside the repository)", reference_dir);
    }
    json_t *want = load_reference_items("namespace-roles.yaml");
    apply_namespace_role_differences(want);
    json_t *policy = bootstrap_policy();
    assert_int_equal(compare_lists("Role", want, json_object_get(policy, "roles"), NULL), 0);
    json_decref(want);

    want = load_reference_items("namespace-role-bindings.yaml");
    assert_int_equal(
        compare_lists("RoleBinding", want, json_object_get(policy, "roleBindings"), NULL), 0);
    json_decref(want);
    json_decref(policy);
}

/* spec 09 §9.2, written out independently of the implementation's table. */
struct expected_binding {
    const char *name;
    const char *subjects; /* "Kind:name" or "ServiceAccount:ns/name", space-separated */
};

static const struct expected_binding expected_bindings[] = {
    {"cluster-admin", "Group:system:masters"},
    {"system:basic-user", "Group:system:authenticated"},
    {"system:discovery", "Group:system:authenticated"},
    {"system:public-info-viewer", "Group:system:authenticated Group:system:unauthenticated"},
    {"system:service-account-issuer-discovery", "Group:system:serviceaccounts"},
    {"system:monitoring", "Group:system:monitoring"},
    {"system:node", ""},
    {"system:node-proxier", "User:system:kube-proxy"},
    {"system:kube-controller-manager", "User:system:kube-controller-manager"},
    {"system:kube-scheduler", "User:system:kube-scheduler"},
    {"system:volume-scheduler", "User:system:kube-scheduler"},
    {"system:kube-dns", "ServiceAccount:kube-system/kube-dns"},
};

static void subjects_text(json_t *binding, char *buf, size_t size)
{
    size_t i, len = 0;
    json_t *s;

    buf[0] = '\0';
    json_array_foreach(json_object_get(binding, "subjects"), i, s) {
        const char *kind = json_string_value(json_object_get(s, "kind"));
        const char *api_group = json_string_value(json_object_get(s, "apiGroup"));
        if (strcmp(kind, "ServiceAccount") == 0) {
            assert_null(api_group); /* spec 09 §9.2: SA subjects have no apiGroup */
            len += (size_t)snprintf(buf + len, size - len, "%sServiceAccount:%s/%s",
                                    i ? " " : "",
                                    json_string_value(json_object_get(s, "namespace")),
                                    json_string_value(json_object_get(s, "name")));
        } else {
            assert_string_equal(api_group, "rbac.authorization.k8s.io");
            len += (size_t)snprintf(buf + len, size - len, "%s%s:%s", i ? " " : "", kind,
                                    json_string_value(json_object_get(s, "name")));
        }
        assert_true(len < size);
    }
}

static void test_cluster_role_bindings_match_spec(void **state)
{
    json_t *policy = bootstrap_policy();
    json_t *bindings = json_object_get(policy, "clusterRoleBindings");
    char text[1024];
    size_t n_controller = 0, i;
    json_t *b;

    for (size_t e = 0; e < sizeof expected_bindings / sizeof expected_bindings[0]; e++) {
        b = find_object(bindings, "", expected_bindings[e].name);
        if (!b)
            fail_msg("ClusterRoleBinding %s missing", expected_bindings[e].name);
        json_t *ref = json_object_get(b, "roleRef");
        assert_string_equal(json_string_value(json_object_get(ref, "kind")), "ClusterRole");
        assert_string_equal(json_string_value(json_object_get(ref, "name")),
                            expected_bindings[e].name);
        assert_string_equal(json_string_value(json_object_get(ref, "apiGroup")),
                            "rbac.authorization.k8s.io");
        subjects_text(b, text, sizeof text);
        if (strcmp(text, expected_bindings[e].subjects) != 0)
            fail_msg("ClusterRoleBinding %s: subjects %s, want %s", expected_bindings[e].name,
                     text, expected_bindings[e].subjects);
    }
    /* system:node is bound to nobody: no subjects key at all (upstream omitempty) */
    assert_null(json_object_get(find_object(bindings, "", "system:node"), "subjects"));

    /* every other binding is a controller's: system:controller:<c> to SA kube-system/<c> */
    json_array_foreach(bindings, i, b) {
        const char *name = object_name(b);
        int listed = 0;
        for (size_t e = 0; e < sizeof expected_bindings / sizeof expected_bindings[0]; e++)
            listed |= strcmp(name, expected_bindings[e].name) == 0;
        if (listed)
            continue;
        if (strncmp(name, "system:controller:", 18) != 0)
            fail_msg("unexpected ClusterRoleBinding %s", name);
        char want[256];
        snprintf(want, sizeof want, "ServiceAccount:kube-system/%s", name + 18);
        subjects_text(b, text, sizeof text);
        assert_string_equal(text, want);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(b, "roleRef"), "name")), name);
        n_controller++;
    }
    assert_int_equal(json_array_size(bindings),
                     sizeof expected_bindings / sizeof expected_bindings[0] + n_controller);
    json_decref(policy);
}

/* One rule, as (verbs | apiGroups | resources | resourceNames), for spec 09 §9.3 checks. */
static void rule_text(json_t *rule, char *buf, size_t size)
{
    const char *fields[] = {"verbs", "apiGroups", "resources", "resourceNames"};
    size_t i, len = 0;
    json_t *v;

    buf[0] = '\0';
    for (size_t f = 0; f < 4; f++) {
        json_t *list = json_object_get(rule, fields[f]);
        if (f == 3 && !list)
            break;
        len += (size_t)snprintf(buf + len, size - len, "%s", f ? " | " : "");
        json_array_foreach(list, i, v)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "",
                                    *json_string_value(v) ? json_string_value(v) : "\"\"");
        assert_true(len < size);
    }
}

static void expect_rules(json_t *roles, const char *name, const char *const *rules, size_t n)
{
    json_t *role = find_object(roles, "", name);
    char text[1024];

    if (!role)
        fail_msg("ClusterRole %s missing", name);
    json_t *list = json_object_get(role, "rules");
    if (json_array_size(list) != n)
        fail_msg("ClusterRole %s: %zu rules, want %zu", name, json_array_size(list), n);
    for (size_t i = 0; i < n; i++) {
        rule_text(json_array_get(list, i), text, sizeof text);
        if (strcmp(text, rules[i]) != 0)
            fail_msg("ClusterRole %s rule %zu: %s, want %s", name, i, text, rules[i]);
    }
}

#define EVENTS "create patch update | \"\" events.k8s.io | events"

static void test_controller_roles_match_spec(void **state)
{
    json_t *policy = bootstrap_policy();
    json_t *roles = json_object_get(policy, "clusterRoles");

    /* spec 09 §9.3 "Controller roles that touch this subsystem" */
    const char *const sa_controller[] = {"create | \"\" | serviceaccounts", EVENTS};
    expect_rules(roles, "system:controller:service-account-controller", sa_controller, 2);
    const char *const root_ca[] = {"create update | \"\" | configmaps", EVENTS};
    expect_rules(roles, "system:controller:root-ca-cert-publisher", root_ca, 2);
    const char *const aggregation[] = {
        "escalate get list patch update watch | rbac.authorization.k8s.io | clusterroles"};
    expect_rules(roles, "system:controller:clusterrole-aggregation-controller", aggregation, 1);
    const char *const token_cleaner[] = {
        "get | \"\" | configmaps | kube-apiserver-legacy-service-account-token-tracking",
        "delete patch | \"\" | secrets"};
    expect_rules(roles, "system:controller:legacy-service-account-token-cleaner", token_cleaner,
                 2);

    /* controllers behind feature gates that are off by default in v1.32 are absent */
    const char *const gated[] = {
        "system:controller:resource-claim-controller",    /* DynamicResourceAllocation */
        "system:controller:service-cidrs-controller",     /* MultiCIDRServiceAllocator */
        "system:controller:volumeattributesclass-protection-controller",
        "system:controller:storage-version-garbage-collector", /* StorageVersionAPI */
        "system:controller:storage-version-migrator-controller",
        "system:controller:selinux-warning-controller",   /* SELinuxChangePolicy */
        "system:controller:kube-apiserver-serving-clustertrustbundle-publisher",
    };
    for (size_t i = 0; i < sizeof gated / sizeof gated[0]; i++)
        if (find_object(roles, "", gated[i]))
            fail_msg("%s is feature-gated off in v1.32", gated[i]);
    json_decref(policy);
}

/* spec 09 §9.1 metadata on every object; unique names; every roleRef resolves. */
static void test_metadata_and_references(void **state)
{
    json_t *policy = bootstrap_policy();
    const char *lists[] = {"clusterRoles", "clusterRoleBindings", "roles", "roleBindings"};
    const char *kinds[] = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"};
    size_t i;
    json_t *obj;

    for (size_t l = 0; l < 4; l++) {
        json_t *list = json_object_get(policy, lists[l]);
        assert_true(json_array_size(list) > 0);
        json_array_foreach(list, i, obj) {
            json_t *meta = json_object_get(obj, "metadata");
            assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")),
                                "rbac.authorization.k8s.io/v1");
            assert_string_equal(json_string_value(json_object_get(obj, "kind")), kinds[l]);
            json_t *labels = json_object_get(meta, "labels");
            assert_string_equal(
                json_string_value(json_object_get(labels, "kubernetes.io/bootstrapping")),
                "rbac-defaults");
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(meta, "annotations"),
                                                  "rbac.authorization.kubernetes.io/autoupdate")),
                "true");
            /* namespaced kinds carry a kube-* namespace, cluster kinds none */
            const char *ns = json_string_value(json_object_get(meta, "namespace"));
            if (l >= 2)
                assert_true(ns && (strcmp(ns, "kube-system") == 0 ||
                                   strcmp(ns, "kube-public") == 0));
            else
                assert_null(ns);
            /* names are unique within a namespace */
            for (size_t j = 0; j < i; j++) {
                json_t *other = json_array_get(list, j);
                if (strcmp(object_name(other), object_name(obj)) == 0 &&
                    strcmp(object_namespace(other), object_namespace(obj)) == 0)
                    fail_msg("%s %s listed twice", kinds[l], object_name(obj));
            }
            if (l == 1 || l == 3) {
                json_t *ref = json_object_get(obj, "roleRef");
                json_t *targets = json_object_get(policy, l == 1 ? "clusterRoles" : "roles");
                if (!find_object(targets, l == 1 ? "" : object_namespace(obj),
                                 json_string_value(json_object_get(ref, "name"))))
                    fail_msg("%s %s: roleRef to a role that is not created", kinds[l],
                             object_name(obj));
            }
        }
    }

    /* admin/edit/view: aggregated, bootstrap rules null (spec 09 §9.3) */
    json_t *roles = json_object_get(policy, "clusterRoles");
    const char *aggregated[] = {"admin", "edit", "view"};
    for (size_t a = 0; a < 3; a++) {
        json_t *role = find_object(roles, "", aggregated[a]);
        assert_non_null(role);
        assert_true(json_is_null(json_object_get(role, "rules")));
        assert_non_null(json_object_get(role, "aggregationRule"));
    }
    json_decref(policy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_roles_match_reference),
        cmocka_unit_test(test_namespace_roles_match_reference),
        cmocka_unit_test(test_cluster_role_bindings_match_spec),
        cmocka_unit_test(test_controller_roles_match_spec),
        cmocka_unit_test(test_metadata_and_references),
    };
    return test_skip_status(cmocka_run_group_tests(tests, NULL, NULL));
}
