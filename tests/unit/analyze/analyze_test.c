/* analyze_test.c — `anzen analyze`'s model, shortest paths, checks and outputs on the corpora
 * of tests/analyze_data/ and on small inline manifests, one capability at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "util/buf.h"
#include "util/json.h"

static char *data_path(const char *name)
{
    const char *src = getenv("ANZEN_SRC");
    return xasprintf("%s/tests/analyze_data/%s", src ? src : ".", name);
}

/* Report of the named data files plus inline YAML (may be NULL), with or without defaults. */
static json_t *analyze_files(const char *const *names, const char *yaml, bool defaults)
{
    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    for (; names && *names; names++) {
        char *p = data_path(*names), *err = NULL;
        int rc = analyze_load_path(&inv, p, &err);
        if (rc != 0)
            fail_msg("%s: %s", p, err);
        free(p);
    }
    if (yaml != NULL) {
        char *err = NULL;
        if (analyze_load_manifest(&inv, yaml, strlen(yaml), "inline.yaml", &err) != 0)
            fail_msg("inline: %s", err);
    }
    if (defaults)
        analyze_inventory_add_defaults(&inv);
    json_t *r = analyze_run(&inv);
    analyze_inventory_release(&inv);
    return r;
}

static json_t *finding(json_t *report, const char *kind, const char *subject)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "findings"), i, f)
        if (strcmp(json_str(f, "kind"), kind) == 0 && strcmp(json_str(f, "subject"), subject) == 0)
            return f;
    return NULL;
}

static void print_report(json_t *r)
{
    char *s = analyze_render(r, ANALYZE_TABLE, false);
    printf("%s", s);
    free(s);
}

#define RUNNER "system:serviceaccount:lab:runner"

static void test_seed_hostpath_reaches_node(void **state)
{
    const char *files[] = {"seed-manifests.yaml", "seed-hostpath-pod.yaml", NULL};
    json_t *r = analyze_files(files, NULL, true);
    json_t *f = finding(r, "escalation", RUNNER);
    if (f == NULL)
        print_report(r);
    assert_non_null(f);
    assert_string_equal(json_str(f, "reaches"), "node");
    assert_string_equal(json_str(f, "severity"), "critical");
    json_t *path = json_object_get(f, "path");
    assert_int_equal(json_array_size(path), 1);
    json_t *hop = json_array_get(path, 0);
    assert_string_equal(json_str(hop, "from"), RUNNER);
    assert_string_equal(json_str(hop, "to"), "node");
    const char *action = json_str(hop, "action");
    assert_non_null(strstr(action, "create jobs.batch"));
    assert_non_null(strstr(action, "run a pod as any ServiceAccount in lab"));
    assert_non_null(strstr(action, "hostPath"));
    assert_string_equal(json_path_str(hop, "via.binding"), "RoleBinding lab/job-runner");
    assert_string_equal(json_path_str(hop, "via.role"), "Role lab/job-runner");
    json_t *rule = json_path(hop, "via.rule");
    assert_string_equal(json_string_value(json_array_get(json_object_get(rule, "resources"), 0)), "jobs");
    assert_non_null(strstr(json_str(f, "remedy"), "pod-security.kubernetes.io/enforce=baseline"));
    /* the location is the RoleBinding in the manifest */
    assert_non_null(strstr(json_path_str(f, "location.file"), "seed-manifests.yaml"));
    assert_int_equal(json_integer_value(json_path(f, "location.line")), 26);
    /* the per-object checks */
    assert_non_null(finding(r, "host-access", "Pod lab/escape"));
    assert_non_null(finding(r, "default-sa-automount", "Pod lab/escape"));
    assert_non_null(finding(r, "wildcard-rule", "Role lab/job-runner"));
    json_decref(r);
}

static void test_seed_baseline_removes_node_hop(void **state)
{
    const char *files[] = {"seed-manifests.yaml", "seed-hostpath-pod.yaml", "psa-baseline.yaml", NULL};
    json_t *r = analyze_files(files, NULL, true);
    json_t *f = finding(r, "escalation", RUNNER);
    assert_non_null(f);
    assert_string_not_equal(json_str(f, "reaches"), "node");
    assert_string_equal(json_str(f, "reaches"), "system:serviceaccount:lab:default");
    assert_string_equal(json_str(f, "severity"), "low");
    json_decref(r);
}

static void test_three_hops(void **state)
{
    const char *files[] = {"three-hop.yaml", NULL};
    json_t *r = analyze_files(files, NULL, true);
    json_t *f = finding(r, "escalation", "system:serviceaccount:x:a");
    assert_non_null(f);
    assert_string_equal(json_str(f, "reaches"), "cluster-admin");
    json_t *path = json_object_get(f, "path");
    assert_int_equal(json_array_size(path), 3);
    static const char *const hops[][3] = {
        {"system:serviceaccount:x:a", "system:serviceaccount:x:b", "RoleBinding x/a-creates-pods"},
        {"system:serviceaccount:x:b", "system:serviceaccount:y:c", "RoleBinding y/b-reads-secrets"},
        {"system:serviceaccount:y:c", "cluster-admin", "ClusterRoleBinding c-admin"},
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *h = json_array_get(path, i);
        assert_string_equal(json_str(h, "from"), hops[i][0]);
        assert_string_equal(json_str(h, "to"), hops[i][1]);
        assert_string_equal(json_path_str(h, "via.binding"), hops[i][2]);
    }
    assert_string_equal(json_str(json_array_get(path, 1), "object"), "Secret y/c-token (type kubernetes.io/service-account-token)");
    assert_non_null(strstr(json_str(f, "remedy"), "TokenRequest"));
    json_decref(r);
}

static void test_least_privilege_nothing_above_low(void **state)
{
    const char *files[] = {"least-privilege.yaml", NULL};
    json_t *r = analyze_files(files, NULL, true);
    if (analyze_report_max_severity(r) > ANALYZE_LOW)
        print_report(r);
    assert_true(analyze_report_max_severity(r) <= ANALYZE_LOW);
    /* the defaults alone: nothing at all above low either, and no checks on default objects */
    json_t *d = analyze_files(NULL, NULL, true);
    assert_true(analyze_report_max_severity(d) <= ANALYZE_LOW);
    assert_null(finding(d, "wildcard-rule", "ClusterRole cluster-admin"));
    json_decref(d);
    json_decref(r);
}

/* One capability per case: the manifest, the subject and what it must reach. */
static const struct {
    const char *name, *yaml, *subject, *reaches;
} caps[] = {
    {"impersonate system:masters",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: imp}\n"
     "rules: [{apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: [system:masters]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: imp}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: imp}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"bind + create clusterrolebindings",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: binder}\n"
     "rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]},"
     " {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: binder}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"nodes/proxy",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: np}\n"
     "rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: np}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: np}\n",
     "system:serviceaccount:app:s", "node"},
    {"CSR create + approve",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: csr}\n"
     "rules: [{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]},"
     " {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]},"
     " {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: csr}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: csr}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"mutating webhooks",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: wh}\n"
     "rules: [{apiGroups: ['*'], resources: [mutatingwebhookconfigurations], verbs: [patch]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: wh}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: wh}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"aggregated edit role reads secrets",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: e, namespace: app}\n"
     "subjects: [{kind: ServiceAccount, name: s}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n",
     "system:serviceaccount:app:s", "secrets:app"},
    {"serviceaccounts/token by name",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\n"
     "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: boss, namespace: app}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: tok, namespace: app}\n"
     "rules: [{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [boss]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: tok, namespace: app}\n"
     "subjects: [{kind: ServiceAccount, name: s}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: tok}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: boss, namespace: app}\n"
     "subjects: [{kind: ServiceAccount, name: boss}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\n",
     "system:serviceaccount:app:s", "secrets:app"},
    {"exec into a pod with a token",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\n"
     "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec: {serviceAccountName: boss, containers: [{name: c, image: i}]}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ex, namespace: app}\n"
     "rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ex, namespace: app}\n"
     "subjects: [{kind: ServiceAccount, name: s}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ex}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: boss}\n"
     "subjects: [{kind: ServiceAccount, name: boss, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"relabel a restricted namespace",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: nsedit}\n"
     "rules: [{apiGroups: [''], resources: [namespaces], verbs: [patch], resourceNames: [app]}, {apiGroups: [''], resources: [pods], verbs: [create]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: nsedit}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: nsedit}\n",
     "system:serviceaccount:app:s", "node"},
    {"impersonate a named user bound to cluster-admin",
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: imp-alice}\n"
     "rules: [{apiGroups: [''], resources: [users], verbs: [impersonate], resourceNames: [alice]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: imp-alice}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: imp-alice}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: alice-admin}\n"
     "subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n",
     "system:serviceaccount:app:s", "cluster-admin"},
    {"validating webhooks see every Secret written",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: vwh}\n"
     "rules: [{apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [create]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: vwh}\n"
     "subjects: [{kind: ServiceAccount, name: s, namespace: app}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: vwh}\n",
     "system:serviceaccount:app:s", "secrets:"},
    {"system:authenticated with pod create (any apiGroup wildcard)",
     "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: dep}\n"
     "rules: [{apiGroups: ['*'], resources: [deployments], verbs: [create]}]\n---\n"
     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: dep}\n"
     "subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]\n"
     "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dep}\n",
     "system:authenticated", "node"},
};

static void test_capabilities(void **state)
{
    int failed = 0;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        json_t *r = analyze_files(NULL, caps[i].yaml, true);
        json_t *f = finding(r, "escalation", caps[i].subject);
        const char *got = f ? json_str(f, "reaches") : "(no finding)";
        size_t n = strlen(caps[i].reaches);
        bool prefix = n > 0 && caps[i].reaches[n - 1] == ':'; /* "secrets:" — any namespace */
        if (prefix ? strncmp(got, caps[i].reaches, n) != 0 : strcmp(got, caps[i].reaches) != 0) {
            printf("FAIL %s: %s reaches %s, want %s\n", caps[i].name, caps[i].subject, got, caps[i].reaches);
            print_report(r);
            failed++;
        }
        json_decref(r);
    }
    assert_int_equal(failed, 0);
}

static void test_manifest_parsing(void **state)
{
    const char *yaml =
        "# Source: chart/templates/sa.yaml\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  kind: ServiceAccount\n"
        "  metadata: {name: one, namespace: n}\n"
        "  automountServiceAccountToken: no\n"
        "- apiVersion: v1\n"
        "  kind: ServiceAccount\n"
        "  metadata: {name: two, namespace: n}\n"
        "---\n"
        "---\n"
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"n\"}, \"x\": 1.5}\n";
    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    char *err = NULL;
    assert_int_equal(analyze_load_manifest(&inv, yaml, strlen(yaml), "f.yaml", &err), 0);
    assert_int_equal(inv.n, 3);
    assert_string_equal(json_path_str(inv.items[0].obj, "metadata.name"), "one");
    assert_int_equal(inv.items[0].line, 6);
    assert_int_equal(inv.items[1].line, 10);
    assert_int_equal(inv.items[2].line, 15);
    assert_true(json_is_false(json_object_get(inv.items[0].obj, "automountServiceAccountToken")));
    assert_null(json_object_get(inv.items[2].obj, "x")); /* fields the analysis does not read are dropped */
    assert_null(json_object_get(inv.items[2].obj, "apiVersion"));
    assert_string_equal(inv.items[2].file, "f.yaml");
    analyze_inventory_release(&inv);

    /* errors name the line; objects before the error are kept */
    analyze_inventory_init(&inv);
    const char *bad = "kind: ServiceAccount\nmetadata: {name: a}\n---\nkind: Pod\nspec: [1\n";
    assert_int_equal(analyze_load_manifest(&inv, bad, strlen(bad), "bad.yaml", &err), -4 /* AZ_EINVALID */);
    assert_non_null(strstr(err, "bad.yaml: line "));
    free(err);
    assert_int_equal(inv.n, 1);
    analyze_inventory_release(&inv);

    /* invalid UTF-8 is refused before libfyaml sees it (0.7.12 loops forever on "%-\xff") */
    analyze_inventory_init(&inv);
    static const char *const invalid[] = {"%-\xff", "a: \xc0\x80\n", "a: b\n\xed\xa0\x80", "a: \xf4\x90\x80\x80", "a: \xe2\x82"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        err = NULL;
        assert_int_equal(analyze_load_manifest(&inv, invalid[i], strlen(invalid[i]), "u.yaml", &err), -4);
        assert_non_null(strstr(err, "invalid UTF-8"));
        free(err);
    }
    const char *valid = "a: \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\n";
    err = NULL;
    assert_int_equal(analyze_load_manifest(&inv, valid, strlen(valid), "u.yaml", &err), 0);
    analyze_inventory_release(&inv);

    /* scalars resolve as sigs.k8s.io/yaml does */
    const char *scalars = "a: 1.5\nb: 7\nc: y\nd: 'y'\ne: ~\nf: |\n  text\n";
    json_t *v = analyze_yaml_to_json(scalars, strlen(scalars), &err);
    assert_non_null(v);
    assert_true(json_is_real(json_object_get(v, "a")));
    assert_int_equal(json_integer_value(json_object_get(v, "b")), 7);
    assert_true(json_is_true(json_object_get(v, "c")));
    assert_string_equal(json_str(v, "d"), "y");
    assert_true(json_is_null(json_object_get(v, "e")));
    assert_string_equal(json_str(v, "f"), "text\n");
    json_decref(v);

    /* Secret data is never kept; kinds the analysis does not read are dropped */
    analyze_inventory_init(&inv);
    const char *sec = "kind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata: {k: c2VjcmV0}\n---\nkind: ConfigMap\nmetadata: {name: c}\n";
    assert_int_equal(analyze_load_manifest(&inv, sec, strlen(sec), "s.yaml", &err), 0);
    assert_int_equal(inv.n, 1);
    assert_null(json_object_get(inv.items[0].obj, "data"));
    assert_string_equal(json_str(inv.items[0].obj, "type"), "Opaque");
    analyze_inventory_release(&inv);

    /* aliases are not expanded; deep nesting is refused */
    analyze_inventory_init(&inv);
    const char *alias = "a: &x [1, 2]\nb: *x\n";
    v = analyze_yaml_to_json(alias, strlen(alias), &err);
    assert_non_null(v);
    assert_true(json_is_null(json_object_get(v, "b")));
    json_decref(v);
    struct buf deep = BUF_INIT;
    for (int i = 0; i < ANALYZE_MAX_DEPTH + 5; i++)
        buf_puts(&deep, "[");
    err = NULL;
    assert_int_equal(analyze_load_manifest(&inv, deep.data, deep.len, "d.yaml", &err), -4);
    free(err);
    buf_release(&deep);
    analyze_inventory_release(&inv);
}

static void test_outputs(void **state)
{
    const char *files[] = {"seed-manifests.yaml", "seed-hostpath-pod.yaml", NULL};
    json_t *r = analyze_files(files, NULL, true);
    json_t *sarif = analyze_sarif(r);
    assert_string_equal(json_str(sarif, "version"), "2.1.0");
    json_t *run = json_array_get(json_object_get(sarif, "runs"), 0);
    assert_string_equal(json_path_str(run, "tool.driver.name"), "anzen-analyze");
    json_t *res = json_object_get(run, "results");
    assert_true(json_array_size(res) >= 1);
    json_t *r0 = json_array_get(res, 0);
    assert_string_equal(json_str(r0, "ruleId"), "escalation");
    assert_string_equal(json_str(r0, "level"), "error");
    json_t *pl = json_object_get(json_array_get(json_object_get(r0, "locations"), 0), "physicalLocation");
    assert_non_null(strstr(json_path_str(pl, "artifactLocation.uri"), "seed-manifests.yaml"));
    assert_true(json_path_str(pl, "artifactLocation.uri")[0] != '/'); /* absolute paths are file:// URIs */
    assert_int_equal(json_integer_value(json_path(pl, "region.startLine")), 26);
    json_decref(sarif);

    char *dot = analyze_render(r, ANALYZE_DOT, false);
    assert_non_null(strstr(dot, "digraph anzen_analyze {"));
    assert_non_null(strstr(dot, "\"system:serviceaccount:lab:runner\" -> \"node\""));
    free(dot);
    char *table = analyze_render(r, ANALYZE_TABLE, false);
    assert_non_null(strstr(table, "critical  system:serviceaccount:lab:runner"));
    assert_null(strstr(table, "\033["));
    free(table);
    table = analyze_render(r, ANALYZE_TABLE, true);
    assert_non_null(strstr(table, "\033[1;31mcritical"));
    free(table);
    json_decref(r);
}

static void test_severity_names(void **state)
{
    assert_int_equal(analyze_severity_parse("critical"), ANALYZE_CRITICAL);
    assert_int_equal(analyze_severity_parse("low"), ANALYZE_LOW);
    assert_int_equal(analyze_severity_parse("bogus"), -1);
    assert_string_equal(analyze_severity_name(ANALYZE_HIGH), "high");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_hostpath_reaches_node),
        cmocka_unit_test(test_seed_baseline_removes_node_hop),
        cmocka_unit_test(test_three_hops),
        cmocka_unit_test(test_least_privilege_nothing_above_low),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_manifest_parsing),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_severity_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
