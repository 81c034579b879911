/* schema_test.c — tests of the structural schema table (src/api/schema_core.c), strict
 * unknown-field detection (src/api/schema.c) and the OpenAPI v3 documents (src/api/openapi.c).
 *
 * Expected strings come from upstream facts, not from this implementation's output:
 *  - merge keys / strategies are the patchMergeKey / patchStrategy tags of k8s.io/api v1.32;
 *  - unknown-field messages follow kube's strict decoder, e.g. upstream's integration test
 *    test/integration/apiserver/field_validation_test.go expects
 *    `unknown field "spec.template.spec.containers[0].unknownNested"` and
 *    `unknown field "metadata.unknownMeta"` in document order;
 *  - kubectl 1.32 looks for a PATCH operation whose x-kubernetes-group-version-kind matches
 *    and which has a "fieldValidation" parameter (shared notes kubectl-wire.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "machinery/schema.h"

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v)
        fail_msg("bad test JSON at line %d: %s", err.line, err.text);
    return v;
}

/* Runs unknown-field detection of text against kind's schema; returns the messages. */
static json_t *unknowns(const char *group, const char *version, const char *kind,
                        const char *text, int *ret_n)
{
    const struct schema_node *root = schema_for_kind(group, version, kind);
    assert_non_null(root);
    json_t *obj = parse(text);
    json_t *msgs = json_array();
    int n = schema_find_unknown_fields(root, obj, msgs);
    json_decref(obj);
    if (ret_n)
        *ret_n = n;
    return msgs;
}

static void assert_msgs(json_t *msgs, const char *const *expected, size_t n)
{
    if (json_array_size(msgs) != n) {
        char *dump = json_dumps(msgs, 0);
        fail_msg("expected %zu messages, got %zu: %s", n, json_array_size(msgs), dump);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(msgs, i)), expected[i]);
}

static const struct schema_node *path_node(const struct schema_node *n, const char *dotted)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", dotted);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
        if (strcmp(tok, "[]") == 0) {
            assert_true(n->type == SCHEMA_ARRAY || n->type == SCHEMA_MAP);
            n = n->items;
        } else {
            n = schema_field(n, tok);
        }
    }
    return n;
}

/* ---- lookups ------------------------------------------------------------------------- */

static void test_kind_lookup(void **state)
{
    (void)state;
    static const char *const kinds[][3] = {
        {"", "v1", "Namespace"}, {"", "v1", "ServiceAccount"}, {"", "v1", "Secret"},
        {"", "v1", "ConfigMap"}, {"", "v1", "Pod"}, {"", "v1", "Node"}, {"", "v1", "Event"},
        {"batch", "v1", "Job"}, {"rbac.authorization.k8s.io", "v1", "Role"},
        {"rbac.authorization.k8s.io", "v1", "ClusterRole"},
        {"rbac.authorization.k8s.io", "v1", "RoleBinding"},
        {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"},
        {"coordination.k8s.io", "v1", "Lease"}, {"authentication.k8s.io", "v1", "TokenRequest"},
        {"authentication.k8s.io", "v1", "TokenReview"},
        {"authentication.k8s.io", "v1", "SelfSubjectReview"},
        {"authorization.k8s.io", "v1", "SelfSubjectAccessReview"},
        {"authorization.k8s.io", "v1", "SubjectAccessReview"},
        {"authorization.k8s.io", "v1", "LocalSubjectAccessReview"},
        {"authorization.k8s.io", "v1", "SelfSubjectRulesReview"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct schema_node *root = schema_for_kind(kinds[i][0], kinds[i][1], kinds[i][2]);
        if (!root)
            fail_msg("no schema for %s/%s %s", kinds[i][0], kinds[i][1], kinds[i][2]);
        assert_int_equal(root->type, SCHEMA_OBJECT);
        assert_non_null(schema_field(root, "apiVersion"));
        assert_non_null(schema_field(root, "kind"));
        const struct schema_node *meta = schema_field(root, "metadata");
        assert_non_null(meta);
        assert_string_equal(meta->ref_name, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    }
    /* meta/v1 kinds are accepted in any group-version */
    assert_non_null(schema_for_kind("", "v1", "DeleteOptions"));
    assert_non_null(schema_for_kind("batch", "v1", "DeleteOptions"));
    assert_non_null(schema_for_kind("", "v1", "Status"));
    /* wrong group or version, unknown kinds */
    assert_null(schema_for_kind("", "v1", "Job"));
    assert_null(schema_for_kind("batch", "v2", "Job"));
    assert_null(schema_for_kind("", "v1", "Deployment"));
    assert_null(schema_for_kind(NULL, "v1", "Pod"));
}

static void test_pod_patch_metadata(void **state)
{
    (void)state;
    const struct schema_node *pod = schema_for_kind("", "v1", "Pod");
    const struct schema_node *n;

    n = path_node(pod, "spec.containers");
    assert_non_null(n);
    assert_int_equal(n->type, SCHEMA_ARRAY);
    assert_string_equal(n->patch_merge_key, "name");
    assert_string_equal(n->patch_strategy, "merge");
    assert_string_equal(n->items->ref_name, "io.k8s.api.core.v1.Container");

    n = path_node(pod, "spec.initContainers");
    assert_string_equal(n->patch_merge_key, "name");
    n = path_node(pod, "spec.ephemeralContainers");
    assert_string_equal(n->patch_merge_key, "name");
    assert_non_null(schema_field(n->items, "targetContainerName"));

    n = path_node(pod, "spec.volumes");
    assert_string_equal(n->patch_merge_key, "name");
    assert_string_equal(n->patch_strategy, "merge,retainKeys");

    n = path_node(pod, "spec.containers.[].env");
    assert_string_equal(n->patch_merge_key, "name");
    assert_string_equal(n->patch_strategy, "merge");
    n = path_node(pod, "spec.containers.[].ports");
    assert_string_equal(n->patch_merge_key, "containerPort");
    assert_string_equal(n->patch_strategy, "merge");
    n = path_node(pod, "spec.containers.[].volumeMounts");
    assert_string_equal(n->patch_merge_key, "mountPath");
    assert_string_equal(n->patch_strategy, "merge");
    n = path_node(pod, "spec.containers.[].volumeDevices");
    assert_string_equal(n->patch_merge_key, "devicePath");
    n = path_node(pod, "spec.imagePullSecrets");
    assert_string_equal(n->patch_merge_key, "name");
    n = path_node(pod, "spec.tolerations");
    assert_null(n->patch_merge_key);
    assert_string_equal(n->list_type, "atomic");
    n = path_node(pod, "status.conditions");
    assert_string_equal(n->patch_merge_key, "type");
    n = path_node(pod, "spec.containers.[].command");
    assert_null(n->patch_merge_key);
    assert_int_equal(n->items->type, SCHEMA_STRING);

    n = path_node(pod, "metadata.ownerReferences");
    assert_string_equal(n->patch_merge_key, "uid");
    assert_string_equal(n->patch_strategy, "merge");
    n = path_node(pod, "metadata.finalizers");
    assert_null(n->patch_merge_key);
    assert_string_equal(n->patch_strategy, "merge");
    n = path_node(pod, "metadata.labels");
    assert_int_equal(n->type, SCHEMA_MAP);
    assert_int_equal(n->items->type, SCHEMA_STRING);
    n = path_node(pod, "metadata.managedFields.[].fieldsV1");
    assert_int_equal(n->type, SCHEMA_ANY);

    /* precise leaf types */
    assert_int_equal(path_node(pod, "spec.containers.[].resources.limits.[]")->type,
                     SCHEMA_QUANTITY);
    assert_int_equal(path_node(pod, "spec.containers.[].livenessProbe.httpGet.port")->type,
                     SCHEMA_INT_OR_STRING);
    assert_int_equal(path_node(pod, "spec.containers.[].securityContext.runAsUser")->type,
                     SCHEMA_INTEGER);
    assert_int_equal(path_node(pod, "spec.securityContext.runAsNonRoot")->type, SCHEMA_BOOLEAN);
    assert_int_equal(path_node(pod, "metadata.creationTimestamp")->type, SCHEMA_TIME);
    assert_non_null(path_node(pod, "spec.volumes.[].projected.sources.[].serviceAccountToken."
                                   "expirationSeconds"));
    assert_non_null(path_node(pod, "status.containerStatuses.[].state.terminated.exitCode"));
    assert_non_null(path_node(pod, "spec.affinity.nodeAffinity."
                                   "requiredDuringSchedulingIgnoredDuringExecution."
                                   "nodeSelectorTerms.[].matchExpressions.[].values"));
    assert_null(schema_field(path_node(pod, "spec"), "foo"));
    assert_null(schema_field(path_node(pod, "metadata.labels"), "app"));
}

static void test_other_kinds_patch_metadata(void **state)
{
    (void)state;
    const struct schema_node *role = schema_for_kind("rbac.authorization.k8s.io", "v1", "Role");
    const struct schema_node *n = schema_field(role, "rules");
    assert_non_null(n);
    assert_int_equal(n->type, SCHEMA_ARRAY);
    assert_null(n->patch_merge_key);
    assert_string_equal(n->list_type, "atomic");

    const struct schema_node *crb =
        schema_for_kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding");
    n = schema_field(crb, "subjects");
    assert_null(n->patch_merge_key);
    assert_string_equal(n->list_type, "atomic");
    assert_non_null(path_node(crb, "roleRef.apiGroup"));
    const struct schema_node *cr =
        schema_for_kind("rbac.authorization.k8s.io", "v1", "ClusterRole");
    assert_non_null(path_node(cr, "aggregationRule.clusterRoleSelectors.[].matchLabels"));

    const struct schema_node *job = schema_for_kind("batch", "v1", "Job");
    n = path_node(job, "spec.template.spec.containers");
    assert_string_equal(n->patch_merge_key, "name");
    n = path_node(job, "status.conditions");
    assert_string_equal(n->patch_merge_key, "type");

    const struct schema_node *node = schema_for_kind("", "v1", "Node");
    assert_string_equal(path_node(node, "status.addresses")->patch_merge_key, "type");
    assert_non_null(path_node(node, "status.daemonEndpoints.kubeletEndpoint.Port"));

    const struct schema_node *sa = schema_for_kind("", "v1", "ServiceAccount");
    assert_string_equal(schema_field(sa, "secrets")->patch_merge_key, "name");

    const struct schema_node *sar =
        schema_for_kind("authorization.k8s.io", "v1", "SubjectAccessReview");
    assert_int_equal(path_node(sar, "spec.extra")->type, SCHEMA_MAP);
    assert_int_equal(path_node(sar, "spec.extra.[]")->type, SCHEMA_ARRAY);

    const struct schema_node *del = schema_for_kind("", "v1", "DeleteOptions");
    assert_non_null(schema_field(del, "propagationPolicy"));
    assert_non_null(path_node(del, "preconditions.resourceVersion"));
}

/* ---- unknown fields ------------------------------------------------------------------ */

static void test_unknown_pod_nested(void **state)
{
    (void)state;
    int n = 0;
    json_t *msgs = unknowns("", "v1", "Pod",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"foo\":1,"
        " \"metadata\":{\"name\":\"p\",\"unknownMeta\":\"x\",\"labels\":{\"anything\":\"ok\"},"
        "   \"ownerReferences\":[{\"uid\":\"u\",\"zzz\":true}]},"
        " \"spec\":{\"bogus\":{\"deeper\":1},"
        "   \"containers\":["
        "     {\"name\":\"a\",\"image\":\"i\",\"unknownNested\":\"v\","
        "      \"resources\":{\"limits\":{\"cpu\":\"1\",\"example.com/gpu\":1}},"
        "      \"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"x\",\"nope\":1}}}]},"
        "     {\"name\":\"b\",\"ports\":[{\"containerPort\":80},{\"containerPortZ\":8080}]}],"
        "   \"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/\",\"bad\":1}}]},"
        " \"status\":{\"phase\":\"Running\",\"extra\":1}}",
        &n);
    static const char *const expected[] = {
        "unknown field \"foo\"",
        "unknown field \"metadata.unknownMeta\"",
        "unknown field \"metadata.ownerReferences[0].zzz\"",
        "unknown field \"spec.bogus\"",
        "unknown field \"spec.containers[0].unknownNested\"",
        "unknown field \"spec.containers[0].env[1].valueFrom.fieldRef.nope\"",
        "unknown field \"spec.containers[1].ports[1].containerPortZ\"",
        "unknown field \"spec.volumes[0].hostPath.bad\"",
        "unknown field \"status.extra\"",
    };
    assert_int_equal(n, 9);
    assert_msgs(msgs, expected, 9);
    json_decref(msgs);
}

static void test_unknown_job_template(void **state)
{
    (void)state;
    /* the body of upstream's field-validation integration test, as a Job */
    json_t *msgs = unknowns("batch", "v1", "Job",
        "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\","
        " \"metadata\":{\"name\":\"j\",\"unknownMeta\":\"x\"},"
        " \"spec\":{\"unknown1\":\"val1\",\"unknownDupe\":\"valDupe\",\"suspend\":true,"
        "   \"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}},"
        "     \"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:latest\","
        "       \"unknownNested\":\"val1\",\"imagePullPolicy\":\"Always\"}]}}}}",
        NULL);
    static const char *const expected[] = {
        "unknown field \"metadata.unknownMeta\"",
        "unknown field \"spec.unknown1\"",
        "unknown field \"spec.unknownDupe\"",
        "unknown field \"spec.template.spec.containers[0].unknownNested\"",
    };
    assert_msgs(msgs, expected, 4);
    json_decref(msgs);
}

static void test_unknown_case_sensitive_and_quoting(void **state)
{
    (void)state;
    /* keys match case-sensitively (sigs.k8s.io/json CaseSensitive); paths are Go-%q quoted */
    json_t *msgs = unknowns("", "v1", "ConfigMap",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"Metadata\":{},"
        " \"metadata\":{\"Name\":\"x\"},\"data\":{\"k\":\"v\"},"
        " \"a\\\"b\\n\\u0001\":1,\"caf\\u00e9\":1}",
        NULL);
    static const char *const expected[] = {
        "unknown field \"Metadata\"",
        "unknown field \"metadata.Name\"",
        "unknown field \"a\\\"b\\n\\x01\"",
        "unknown field \"caf\xc3\xa9\"",
    };
    assert_msgs(msgs, expected, 4);
    json_decref(msgs);
}

static void test_unknown_dedup_cap_and_any(void **state)
{
    (void)state;
    const struct schema_node *pod = schema_for_kind("", "v1", "Pod");
    json_t *obj = parse("{\"spec\":{\"x\":1},\"metadata\":{\"managedFields\":[{\"manager\":\"m\","
                        "\"fieldsV1\":{\"f:spec\":{\"f:anything\":{}}}}]}}");
    json_t *msgs = json_array();
    assert_int_equal(schema_find_unknown_fields(pod, obj, msgs), 1);
    /* the same message is not appended twice */
    assert_int_equal(schema_find_unknown_fields(pod, obj, msgs), 0);
    assert_int_equal(json_array_size(msgs), 1);
    json_decref(obj);
    json_decref(msgs);

    /* at most 100 messages, like upstream's strict decoder */
    json_t *big = json_object();
    json_t *spec = json_object();
    for (int i = 0; i < 150; i++) {
        char key[32];
        snprintf(key, sizeof(key), "u%d", i);
        json_object_set_new(spec, key, json_true());
    }
    json_object_set_new(big, "spec", spec);
    msgs = json_array();
    assert_int_equal(schema_find_unknown_fields(pod, big, msgs), 100);
    assert_string_equal(json_string_value(json_array_get(msgs, 0)), "unknown field \"spec.u0\"");
    json_decref(big);
    json_decref(msgs);

    /* type mismatches are not unknown fields */
    obj = parse("{\"spec\":\"notanobject\",\"metadata\":[1,2]}");
    msgs = json_array();
    assert_int_equal(schema_find_unknown_fields(pod, obj, msgs), 0);
    json_decref(obj);
    json_decref(msgs);
}

/* The acceptance seed manifests (converted from YAML) and typical server-written objects. */
static const char *const good_manifests[][4] = {
    {"", "v1", "Namespace", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"lab\"}}"},
    {"", "v1", "ServiceAccount", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"runner\",\"namespace\":\"lab\"}}"},
    {"rbac.authorization.k8s.io", "v1", "Role", "{\"kind\":\"Role\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"job-runner\",\"namespace\":\"lab\"},\"rules\":[{\"apiGroups\":[\"batch\",\"extensions\"],\"resources\":[\"jobs\",\"job/status\"],\"verbs\":[\"*\"]},{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/binding\",\"pods/log\",\"pods/status\"],\"verbs\":[\"get\",\"list\"]}]}"},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", "{\"kind\":\"RoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"job-runner\",\"namespace\":\"lab\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"runner\",\"namespace\":\"lab\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"job-runner\",\"apiGroup\":\"rbac.authorization.k8s.io\"}}"},
    {"", "v1", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"escape\",\"namespace\":\"NS\"},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\",\"command\":[\"cat\",\"/host/etc/hostname\"],\"volumeMounts\":[{\"mountPath\":\"/host\",\"name\":\"host\"}]}],\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}}"},
    {"", "v1", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"noauto\",\"namespace\":\"lab\"},\"spec\":{\"automountServiceAccountToken\":false,\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\",\"command\":[\"sh\",\"-c\",\"echo done\"]}]}}"},
    {"", "v1", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"sleep\",\"namespace\":\"lab\"},\"spec\":{\"serviceAccount\":\"runner\",\"containers\":[{\"name\":\"alpine\",\"image\":\"alpine:latest\",\"args\":[\"tail\",\"-f\",\"/dev/null\"],\"volumeMounts\":[{\"mountPath\":\"/var/run/secrets/tokens\",\"name\":\"token\"}]}],\"volumes\":[{\"name\":\"token\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\",\"expirationSeconds\":600,\"audience\":\"api\"}}]}}]}}"},
    {"", "v1", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"launcher\",\"namespace\":\"lab\"},\"spec\":{\"serviceAccountName\":\"runner\",\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\",\"command\":[\"sh\",\"-c\",\"curl ...\"]}]}}"},
    {"", "v1", "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"test\",\"namespace\":\"lab\"},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\",\"command\":[\"sh\",\"-c\",\"ls\"]}]}}"},
    {"batch", "v1", "Job", "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"sleep-job\",\"namespace\":\"lab\"},\"spec\":{\"backoffLimit\":4,\"template\":{\"spec\":{\"containers\":[{\"command\":[\"sleep\",\"100\"],\"image\":\"alpine:latest\",\"name\":\"sleep-job\"}],\"restartPolicy\":\"Never\"}}}}"},
    {"authorization.k8s.io", "v1", "SelfSubjectAccessReview", "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"resourceAttributes\":{\"namespace\":\"lab\",\"verb\":\"get\",\"resource\":\"pods\"}},\"status\":{}}"},
    /* a Pod as the apiserver/kubelet write it back */
    {"", "v1", "Pod",
     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"lab\","
     "\"uid\":\"0b6e\",\"resourceVersion\":\"12\",\"generation\":1,"
     "\"creationTimestamp\":\"2024-01-01T00:00:00Z\",\"labels\":{\"app\":\"web\"},"
     "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"},"
     "\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"name\":\"j\","
     "\"uid\":\"1\",\"controller\":true,\"blockOwnerDeletion\":true}],"
     "\"finalizers\":[\"batch.kubernetes.io/job-tracking\"],"
     "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
     "\"time\":\"2024-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{}}}]},"
     "\"spec\":{\"volumes\":[{\"name\":\"kube-api-access-x\",\"projected\":{\"sources\":["
     "{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"
     "{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},"
     "{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\","
     "\"fieldPath\":\"metadata.namespace\"}}]}}],\"defaultMode\":420}},"
     "{\"name\":\"data\",\"emptyDir\":{\"sizeLimit\":\"1Gi\"}},"
     "{\"name\":\"cfg\",\"configMap\":{\"name\":\"c\",\"defaultMode\":420}},"
     "{\"name\":\"sec\",\"secret\":{\"secretName\":\"s\",\"optional\":true}},"
     "{\"name\":\"pvc\",\"persistentVolumeClaim\":{\"claimName\":\"pvc\"}}],"
     "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\",\"restartPolicy\":\"Always\"}],"
     "\"containers\":[{\"name\":\"web\",\"image\":\"nginx\",\"workingDir\":\"/\","
     "\"ports\":[{\"name\":\"http\",\"containerPort\":80,\"protocol\":\"TCP\"}],"
     "\"envFrom\":[{\"configMapRef\":{\"name\":\"c\"}},{\"prefix\":\"S_\",\"secretRef\":{\"name\":\"s\"}}],"
     "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"POD\",\"valueFrom\":{\"fieldRef\":"
     "{\"fieldPath\":\"metadata.name\"}}},{\"name\":\"MEM\",\"valueFrom\":{\"resourceFieldRef\":"
     "{\"resource\":\"limits.memory\",\"divisor\":\"1Mi\"}}},{\"name\":\"K\",\"valueFrom\":"
     "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}],"
     "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":0.25}},"
     "\"volumeMounts\":[{\"name\":\"kube-api-access-x\",\"readOnly\":true,"
     "\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],"
     "\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":\"http\",\"scheme\":\"HTTP\","
     "\"httpHeaders\":[{\"name\":\"X\",\"value\":\"y\"}]},\"initialDelaySeconds\":3,"
     "\"timeoutSeconds\":1,\"periodSeconds\":10,\"successThreshold\":1,\"failureThreshold\":3},"
     "\"readinessProbe\":{\"tcpSocket\":{\"port\":80}},\"startupProbe\":{\"exec\":{\"command\":[\"true\"]}},"
     "\"lifecycle\":{\"preStop\":{\"sleep\":{\"seconds\":5}}},"
     "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
     "\"imagePullPolicy\":\"Always\",\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]},"
     "\"runAsNonRoot\":true,\"runAsUser\":1000,\"allowPrivilegeEscalation\":false,"
     "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},\"stdin\":false,\"tty\":false}],"
     "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
     "\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},\"serviceAccountName\":\"default\","
     "\"serviceAccount\":\"default\",\"nodeName\":\"node-1\",\"securityContext\":{\"fsGroup\":2000,"
     "\"supplementalGroups\":[1],\"sysctls\":[{\"name\":\"a\",\"value\":\"b\"}]},"
     "\"imagePullSecrets\":[{\"name\":\"reg\"}],\"affinity\":{\"nodeAffinity\":{"
     "\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":"
     "[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"v\"]}]}]}},\"podAntiAffinity\":{"
     "\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":1,\"podAffinityTerm\":"
     "{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"topologyKey\":\"kubernetes.io/hostname\"}}]}},"
     "\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
     "\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],"
     "\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\","
     "\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":"
     "\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]},"
     "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
     "\"lastProbeTime\":null,\"lastTransitionTime\":\"2024-01-01T00:00:00Z\"}],"
     "\"hostIP\":\"10.0.0.1\",\"hostIPs\":[{\"ip\":\"10.0.0.1\"}],\"podIP\":\"10.1.0.5\","
     "\"podIPs\":[{\"ip\":\"10.1.0.5\"}],\"startTime\":\"2024-01-01T00:00:00Z\","
     "\"containerStatuses\":[{\"name\":\"web\",\"state\":{\"running\":{\"startedAt\":"
     "\"2024-01-01T00:00:01Z\"}},\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\","
     "\"startedAt\":null,\"finishedAt\":null,\"containerID\":\"c://1\"}},\"ready\":true,"
     "\"restartCount\":1,\"image\":\"nginx\",\"imageID\":\"sha\",\"containerID\":\"c://2\","
     "\"started\":true}],\"qosClass\":\"Burstable\"}}"},
    {"", "v1", "Node",
     "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\"},\"spec\":{"
     "\"podCIDR\":\"10.1.0.0/24\",\"podCIDRs\":[\"10.1.0.0/24\"],\"taints\":[{\"key\":\"k\","
     "\"effect\":\"NoSchedule\"}]},\"status\":{\"capacity\":{\"cpu\":\"2\",\"pods\":\"110\"},"
     "\"allocatable\":{\"cpu\":\"2\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
     "\"lastHeartbeatTime\":\"2024-01-01T00:00:00Z\",\"lastTransitionTime\":\"2024-01-01T00:00:00Z\","
     "\"reason\":\"KubeletReady\",\"message\":\"ok\"}],\"addresses\":[{\"type\":\"InternalIP\","
     "\"address\":\"10.0.0.1\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}},"
     "\"nodeInfo\":{\"machineID\":\"m\",\"systemUUID\":\"s\",\"bootID\":\"b\",\"kernelVersion\":\"6\","
     "\"osImage\":\"o\",\"containerRuntimeVersion\":\"c\",\"kubeletVersion\":\"v1.32.0\","
     "\"kubeProxyVersion\":\"\",\"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}"},
    {"", "v1", "Event",
     "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\",\"namespace\":\"lab\"},"
     "\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"lab\",\"name\":\"p\",\"uid\":\"u\","
     "\"apiVersion\":\"v1\",\"fieldPath\":\"spec.containers{web}\"},\"reason\":\"Pulled\","
     "\"message\":\"m\",\"source\":{\"component\":\"kubelet\",\"host\":\"node-1\"},"
     "\"firstTimestamp\":\"2024-01-01T00:00:00Z\",\"lastTimestamp\":\"2024-01-01T00:00:00Z\","
     "\"count\":1,\"type\":\"Normal\",\"eventTime\":null,\"reportingComponent\":\"kubelet\","
     "\"reportingInstance\":\"node-1\"}"},
    {"coordination.k8s.io", "v1", "Lease",
     "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"node-1\","
     "\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":\"node-1\","
     "\"leaseDurationSeconds\":40,\"renewTime\":\"2024-01-01T00:00:00.000000Z\"}}"},
    {"", "v1", "Secret",
     "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"type\":\"Opaque\","
     "\"data\":{\"k\":\"dg==\"},\"stringData\":{\"x\":\"y\"},\"immutable\":false}"},
    {"", "v1", "ConfigMap",
     "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
     "\"data\":{\"a\":\"b\"},\"binaryData\":{\"b\":\"AA==\"}}"},
    {"authentication.k8s.io", "v1", "TokenRequest",
     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"metadata\":{},"
     "\"spec\":{\"audiences\":[\"api\"],\"expirationSeconds\":3600,\"boundObjectRef\":{"
     "\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p\",\"uid\":\"u\"}},"
     "\"status\":{\"token\":\"\",\"expirationTimestamp\":null}}"},
    {"authentication.k8s.io", "v1", "TokenReview",
     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"metadata\":{},"
     "\"spec\":{\"token\":\"t\",\"audiences\":[\"a\"]},\"status\":{\"authenticated\":true,"
     "\"user\":{\"username\":\"u\",\"uid\":\"1\",\"groups\":[\"g\"],\"extra\":{\"k\":[\"v\"]}},"
     "\"audiences\":[\"a\"]}}"},
    {"authentication.k8s.io", "v1", "SelfSubjectReview",
     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\",\"metadata\":{},"
     "\"status\":{\"userInfo\":{\"username\":\"u\",\"groups\":[\"system:authenticated\"]}}}"},
    {"authorization.k8s.io", "v1", "SubjectAccessReview",
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"metadata\":{},"
     "\"spec\":{\"resourceAttributes\":{\"namespace\":\"n\",\"verb\":\"get\",\"group\":\"\","
     "\"resource\":\"pods\",\"name\":\"p\",\"fieldSelector\":{\"rawSelector\":\"a=b\"}},"
     "\"user\":\"u\",\"groups\":[\"g\"],\"extra\":{\"k\":[\"v\"]},\"uid\":\"1\"},"
     "\"status\":{\"allowed\":false,\"denied\":true,\"reason\":\"r\"}}"},
    {"authorization.k8s.io", "v1", "SelfSubjectRulesReview",
     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\",\"metadata\":{},"
     "\"spec\":{\"namespace\":\"lab\"},\"status\":{\"resourceRules\":[{\"verbs\":[\"get\"],"
     "\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}],\"nonResourceRules\":[{\"verbs\":[\"get\"],"
     "\"nonResourceURLs\":[\"/healthz\"]}],\"incomplete\":false}}"},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole",
     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":"
     "{\"name\":\"admin\"},\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":"
     "{\"rbac.authorization.k8s.io/aggregate-to-admin\":\"true\"}}]},\"rules\":[{\"nonResourceURLs\":"
     "[\"/healthz\"],\"verbs\":[\"get\"]}]}"},
    {"", "v1", "DeleteOptions",
     "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"gracePeriodSeconds\":0,"
     "\"propagationPolicy\":\"Background\",\"preconditions\":{\"uid\":\"u\"},\"dryRun\":[\"All\"]}"},
};

static void test_known_good_manifests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good_manifests) / sizeof(good_manifests[0]); i++) {
        int n = -1;
        json_t *msgs = unknowns(good_manifests[i][0], good_manifests[i][1],
                                good_manifests[i][2], good_manifests[i][3], &n);
        if (n != 0 || json_array_size(msgs) != 0) {
            char *dump = json_dumps(msgs, 0);
            fail_msg("manifest %zu (%s): unexpected %s", i, good_manifests[i][2], dump);
        }
        json_decref(msgs);
    }
}

/* ---- OpenAPI ------------------------------------------------------------------------- */

/* kubectl's check: some path's PATCH operation carries the GVK and a fieldValidation
 * parameter (in the operation or on the path item). */
static int kubectl_verifier_finds(json_t *doc, const char *group, const char *version,
                                  const char *kind)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        json_t *op = json_object_get(item, "patch");
        if (!op)
            continue;
        json_t *gvk = json_object_get(op, "x-kubernetes-group-version-kind");
        if (!json_is_object(gvk))
            continue;
        if (strcmp(json_string_value(json_object_get(gvk, "group")), group) ||
            strcmp(json_string_value(json_object_get(gvk, "version")), version) ||
            strcmp(json_string_value(json_object_get(gvk, "kind")), kind))
            continue;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(op, "parameters"), i, p) {
            if (!strcmp(json_string_value(json_object_get(p, "name")), "fieldValidation"))
                return 1;
        }
        return 0;
    }
    return 0;
}

/* Every "$ref" in v resolves to a component. */
static void check_refs(json_t *schemas, json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child) {
            if (!strcmp(key, "$ref")) {
                const char *ref = json_string_value(child);
                assert_non_null(ref);
                assert_memory_equal(ref, "#/components/schemas/", 21);
                if (!json_object_get(schemas, ref + 21))
                    fail_msg("dangling $ref %s", ref);
            } else {
                check_refs(schemas, child);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
            check_refs(schemas, child);
    }
}

static json_t *doc_roundtrip(json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);
    json_t *back = parse(text);
    free(text);
    json_decref(doc);
    return back;
}

static int has_gvk_array(json_t *schemas, const char *ref, const char *group,
                         const char *version, const char *kind)
{
    json_t *arr = json_object_get(json_object_get(schemas, ref),
                                  "x-kubernetes-group-version-kind");
    size_t i;
    json_t *g;
    json_array_foreach(arr, i, g) {
        if (!strcmp(json_string_value(json_object_get(g, "group")), group) &&
            !strcmp(json_string_value(json_object_get(g, "version")), version) &&
            !strcmp(json_string_value(json_object_get(g, "kind")), kind))
            return 1;
    }
    return 0;
}

static void test_openapi_core_v1(void **state)
{
    (void)state;
    json_t *kinds = parse(
        "[{\"kind\":\"Pod\",\"plural\":\"pods\",\"namespaced\":true,\"verbs\":[\"create\","
        "\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
        " {\"kind\":\"Namespace\",\"plural\":\"namespaces\",\"namespaced\":false,\"verbs\":"
        "[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
        " {\"kind\":\"ConfigMap\",\"plural\":\"configmaps\",\"namespaced\":true,\"verbs\":"
        "[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
        " {\"kind\":\"Pod\",\"plural\":\"pods/status\",\"namespaced\":true,\"verbs\":[\"get\","
        "\"patch\",\"update\"]},"
        " {\"kind\":\"TokenRequest\",\"plural\":\"serviceaccounts/token\",\"namespaced\":true,"
        "\"group\":\"authentication.k8s.io\",\"version\":\"v1\",\"verbs\":[\"create\"]}]");
    json_t *doc = doc_roundtrip(openapi_v3_document("", "v1", kinds));
    json_decref(kinds);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.0");

    json_t *paths = json_object_get(doc, "paths");
    json_t *pod_item = json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}");
    assert_non_null(pod_item);
    json_t *pod_coll = json_object_get(paths, "/api/v1/namespaces/{namespace}/pods");
    assert_non_null(pod_coll);
    assert_non_null(json_object_get(pod_coll, "get"));
    assert_non_null(json_object_get(pod_coll, "post"));
    assert_non_null(json_object_get(pod_coll, "delete"));
    assert_non_null(json_object_get(pod_item, "get"));
    assert_non_null(json_object_get(pod_item, "put"));
    assert_non_null(json_object_get(pod_item, "delete"));
    json_t *patch = json_object_get(pod_item, "patch");
    assert_non_null(patch);
    json_t *gvk = json_object_get(patch, "x-kubernetes-group-version-kind");
    assert_string_equal(json_string_value(json_object_get(gvk, "group")), "");
    assert_string_equal(json_string_value(json_object_get(gvk, "version")), "v1");
    assert_string_equal(json_string_value(json_object_get(gvk, "kind")), "Pod");
    assert_string_equal(json_string_value(json_object_get(patch, "operationId")),
                        "patchCoreV1NamespacedPod");
    assert_non_null(json_object_get(json_object_get(json_object_get(patch, "requestBody"),
                                                    "content"),
                                    "application/strategic-merge-patch+json"));
    /* query parameters on write operations */
    static const char *const want[] = {"dryRun", "fieldManager", "fieldValidation", "force"};
    for (size_t w = 0; w < 4; w++) {
        size_t i;
        json_t *p;
        int found = 0;
        json_array_foreach(json_object_get(patch, "parameters"), i, p) {
            if (!strcmp(json_string_value(json_object_get(p, "name")), want[w])) {
                found = 1;
                assert_string_equal(json_string_value(json_object_get(p, "in")), "query");
            }
        }
        if (!found)
            fail_msg("patch lacks %s", want[w]);
    }
    assert_true(kubectl_verifier_finds(doc, "", "v1", "Pod"));
    assert_true(kubectl_verifier_finds(doc, "", "v1", "Namespace"));
    assert_true(kubectl_verifier_finds(doc, "", "v1", "ConfigMap"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{name}"));
    assert_non_null(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}/status"));
    json_t *token = json_object_get(
        paths, "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token");
    assert_non_null(json_object_get(token, "post"));
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(token, "post"), "x-kubernetes-group-version-kind"),
            "group")),
        "authentication.k8s.io");

    /* components: GVK arrays on root kinds, patch extensions from the table */
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_true(has_gvk_array(schemas, "io.k8s.api.core.v1.Pod", "", "v1", "Pod"));
    assert_true(has_gvk_array(schemas, "io.k8s.api.core.v1.Namespace", "", "v1", "Namespace"));
    assert_true(has_gvk_array(schemas, "io.k8s.api.core.v1.PodList", "", "v1", "PodList"));
    assert_true(has_gvk_array(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
                              "", "v1", "DeleteOptions"));
    json_t *containers = json_object_get(
        json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.PodSpec"), "properties"),
        "containers");
    assert_string_equal(json_string_value(json_object_get(containers, "type")), "array");
    assert_string_equal(
        json_string_value(json_object_get(containers, "x-kubernetes-patch-merge-key")), "name");
    assert_string_equal(
        json_string_value(json_object_get(containers, "x-kubernetes-patch-strategy")), "merge");
    json_t *volumes = json_object_get(
        json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.PodSpec"), "properties"),
        "volumes");
    assert_string_equal(
        json_string_value(json_object_get(volumes, "x-kubernetes-patch-strategy")),
        "merge,retainKeys");
    json_t *spec_prop = json_object_get(
        json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.Pod"), "properties"),
        "spec");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(spec_prop, "allOf"), 0),
                                          "$ref")),
        "#/components/schemas/io.k8s.api.core.v1.PodSpec");
    json_t *labels = json_object_get(
        json_object_get(
            json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            "properties"),
        "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "type")), "object");
    assert_non_null(json_object_get(labels, "additionalProperties"));
    check_refs(schemas, doc);
    json_decref(doc);
}

static void test_openapi_groups(void **state)
{
    (void)state;
    json_t *kinds = parse(
        "[{\"kind\":\"Role\",\"plural\":\"roles\",\"namespaced\":true,\"verbs\":[\"create\","
        "\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
        " {\"kind\":\"ClusterRole\",\"plural\":\"clusterroles\",\"namespaced\":false,\"verbs\":"
        "[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
        " {\"kind\":\"RoleBinding\",\"plural\":\"rolebindings\",\"namespaced\":true},"
        " {\"kind\":\"ClusterRoleBinding\",\"plural\":\"clusterrolebindings\",\"namespaced\":false}]");
    json_t *doc = doc_roundtrip(openapi_v3_document("rbac.authorization.k8s.io", "v1", kinds));
    json_decref(kinds);
    json_t *paths = json_object_get(doc, "paths");
    json_t *patch = json_object_get(
        json_object_get(paths,
                        "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles/{name}"),
        "patch");
    assert_non_null(patch);
    assert_string_equal(json_string_value(json_object_get(patch, "operationId")),
                        "patchRbacAuthorizationV1NamespacedRole");
    assert_non_null(json_object_get(
        paths, "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"));
    for (size_t i = 0; i < 4; i++) {
        static const char *const k[] = {"Role", "ClusterRole", "RoleBinding",
                                        "ClusterRoleBinding"};
        if (!kubectl_verifier_finds(doc, "rbac.authorization.k8s.io", "v1", k[i]))
            fail_msg("no PATCH with fieldValidation for %s", k[i]);
    }
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_true(has_gvk_array(schemas, "io.k8s.api.rbac.v1.Role", "rbac.authorization.k8s.io",
                              "v1", "Role"));
    json_t *rules = json_object_get(
        json_object_get(json_object_get(schemas, "io.k8s.api.rbac.v1.Role"), "properties"),
        "rules");
    assert_string_equal(json_string_value(json_object_get(rules, "x-kubernetes-list-type")),
                        "atomic");
    assert_null(json_object_get(rules, "x-kubernetes-patch-merge-key"));
    check_refs(schemas, doc);
    json_decref(doc);

    /* create-only kinds still give kubectl a PATCH entry to verify */
    kinds = parse(
        "[{\"kind\":\"SelfSubjectAccessReview\",\"plural\":\"selfsubjectaccessreviews\","
        "\"namespaced\":false,\"verbs\":[\"create\"]},"
        " {\"kind\":\"LocalSubjectAccessReview\",\"plural\":\"localsubjectaccessreviews\","
        "\"namespaced\":true,\"verbs\":[\"create\"]},"
        " {\"kind\":\"SubjectAccessReview\",\"plural\":\"subjectaccessreviews\","
        "\"namespaced\":false,\"verbs\":[\"create\"]},"
        " {\"kind\":\"SelfSubjectRulesReview\",\"plural\":\"selfsubjectrulesreviews\","
        "\"namespaced\":false,\"verbs\":[\"create\"]},"
        " {\"kind\":\"NoSuchKind\",\"plural\":\"nosuch\",\"namespaced\":false,\"verbs\":[\"create\"]}]");
    doc = doc_roundtrip(openapi_v3_document("authorization.k8s.io", "v1", kinds));
    json_decref(kinds);
    paths = json_object_get(doc, "paths");
    json_t *ssar = json_object_get(paths, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    assert_non_null(json_object_get(ssar, "post"));
    assert_null(json_object_get(ssar, "get"));
    assert_null(json_object_get(paths,
                                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/{name}"));
    assert_non_null(json_object_get(
        paths, "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews"));
    assert_true(kubectl_verifier_finds(doc, "authorization.k8s.io", "v1",
                                       "SelfSubjectAccessReview"));
    assert_true(kubectl_verifier_finds(doc, "authorization.k8s.io", "v1",
                                       "LocalSubjectAccessReview"));
    assert_null(json_object_get(paths, "/apis/authorization.k8s.io/v1/nosuch"));
    schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    check_refs(schemas, doc);
    json_decref(doc);

    /* batch, coordination, authentication */
    static const char *const gv[][4] = {
        {"batch", "v1", "Job", "[{\"kind\":\"Job\",\"plural\":\"jobs\",\"namespaced\":true}]"},
        {"coordination.k8s.io", "v1", "Lease",
         "[{\"kind\":\"Lease\",\"plural\":\"leases\",\"namespaced\":true}]"},
        {"authentication.k8s.io", "v1", "TokenReview",
         "[{\"kind\":\"TokenReview\",\"plural\":\"tokenreviews\",\"namespaced\":false,"
         "\"verbs\":[\"create\"]},{\"kind\":\"SelfSubjectReview\",\"plural\":"
         "\"selfsubjectreviews\",\"namespaced\":false,\"verbs\":[\"create\"]}]"},
    };
    for (size_t i = 0; i < 3; i++) {
        kinds = parse(gv[i][3]);
        doc = doc_roundtrip(openapi_v3_document(gv[i][0], gv[i][1], kinds));
        json_decref(kinds);
        if (!kubectl_verifier_finds(doc, gv[i][0], gv[i][1], gv[i][2]))
            fail_msg("no PATCH with fieldValidation for %s", gv[i][2]);
        check_refs(json_object_get(json_object_get(doc, "components"), "schemas"), doc);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_lookup),
        cmocka_unit_test(test_pod_patch_metadata),
        cmocka_unit_test(test_other_kinds_patch_metadata),
        cmocka_unit_test(test_unknown_pod_nested),
        cmocka_unit_test(test_unknown_job_template),
        cmocka_unit_test(test_unknown_case_sensitive_and_quoting),
        cmocka_unit_test(test_unknown_dedup_cap_and_any),
        cmocka_unit_test(test_known_good_manifests),
        cmocka_unit_test(test_openapi_core_v1),
        cmocka_unit_test(test_openapi_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
