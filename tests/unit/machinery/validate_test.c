/* validate_test.c — defaulting and validation against upstream v1.32 behaviour. Every invalid
 * object is defaulted (as the server does) and validated; the aggregate message must equal the
 * text upstream produces. The comment on each case names the upstream source of the rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry/resource.h"
#include "machinery/validate.h"

struct vcase {
    const char *group, *kind;
    bool namespaced;
    const char *obj, *old; /* JSON; old NULL on create */
    const char *want;      /* aggregate message, "" when valid */
};

#define POD(spec) "{\"metadata\":{\"name\":\"p\",\"namespace\":\"lab\"},\"spec\":" spec "}"
#define C1 "{\"name\":\"c\",\"image\":\"nginx\"}"
#define JOB(tmpl) \
    "{\"metadata\":{\"name\":\"j\",\"namespace\":\"lab\"},\"spec\":{\"template\":" tmpl "}}"
#define SUBDOMAIN_MSG                                                                          \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex " \
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                              \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "   \
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define RB_OK(ref) \
    "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"lab\"},\"roleRef\":" ref ",\"subjects\":[]}"

static const struct vcase cases[] = {
    /* apimachinery pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor + generic.go
     * NameIsDNSSubdomain + util/validation/validation.go IsDNS1123Subdomain/RegexError */
    {"", "Pod", true, "{\"metadata\":{\"name\":\"Bad_Name\",\"namespace\":\"lab\"},\"spec\":{\"containers\":[" C1 "]}}", NULL,
     "metadata.name: Invalid value: \"Bad_Name\": " SUBDOMAIN_MSG},
    /* objectmeta.go: Required(name, "name or generateName is required") */
    {"", "ServiceAccount", true, "{\"metadata\":{\"namespace\":\"lab\"}}", NULL,
     "metadata.name: Required value: name or generateName is required"},
    /* objectmeta.go: namespace Required / Forbidden "not allowed on this type" */
    {"", "ServiceAccount", true, "{\"metadata\":{\"name\":\"sa\"}}", NULL,
     "metadata.namespace: Required value"},
    {"", "Node", false, "{\"metadata\":{\"name\":\"n1\",\"namespace\":\"lab\"}}", NULL,
     "metadata.namespace: Forbidden: not allowed on this type"},
    /* core ValidateNamespaceName = NameIsDNSLabel; IsDNS1123Label "must not contain dots" */
    {"", "Namespace", false, "{\"metadata\":{\"name\":\"a.b\"}}", NULL,
     "metadata.name: Invalid value: \"a.b\": must not contain dots"},
    {"", "Namespace", false, "{\"metadata\":{\"name\":\"Lab\"}}", NULL,
     "metadata.name: Invalid value: \"Lab\": " LABEL_MSG},
    /* generateName checked with maskTrailingDash: "Pre-" -> "Pa" still invalid */
    {"", "ConfigMap", true, "{\"metadata\":{\"generateName\":\"Pre-\",\"name\":\"pre-abcde\",\"namespace\":\"lab\"}}", NULL,
     "metadata.generateName: Invalid value: \"Pre-\": " SUBDOMAIN_MSG},
    /* meta/v1/validation ValidateLabels + IsQualifiedName (name part) / IsValidLabelValue */
    {"", "ConfigMap", true, "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"lab\",\"labels\":{\"bad key!\":\"ok\"}}}", NULL,
     "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric "
     "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
     "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
    {"", "ConfigMap", true, "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"lab\",\"labels\":{\"k\":\"-v\"}}}", NULL,
     "metadata.labels: Invalid value: \"-v\": a valid label must be an empty string or consist "
     "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
     "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
    /* IsQualifiedName: prefix part is a DNS subdomain */
    {"", "ConfigMap", true, "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"lab\",\"labels\":{\"/x\":\"\"}}}", NULL,
     "metadata.labels: Invalid value: \"/x\": prefix part must be non-empty"},
    /* core validation.go validateContainers: Required(fldPath, "") */
    {"", "Pod", true, POD("{\"containers\":[]}"), NULL, "spec.containers: Required value"},
    /* validateContainerCommon: image Required; name ValidateDNS1123Label */
    {"", "Pod", true, POD("{\"containers\":[{\"name\":\"A\"}]}"), NULL,
     "[spec.containers[0].name: Invalid value: \"A\": " LABEL_MSG
     ", spec.containers[0].image: Required value]"},
    /* validateContainers: Duplicate(path.Child("name"), ctr.Name) */
    {"", "Pod", true, POD("{\"containers\":[" C1 "," C1 "]}"), NULL,
     "spec.containers[1].name: Duplicate value: \"c\""},
    /* ValidateVolumeMounts: NotFound(name) and Required(mountPath) */
    {"", "Pod", true, POD("{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"volumeMounts\":[{\"name\":\"data\"}]}]}"), NULL,
     "[spec.containers[0].volumeMounts[0].name: Not found: \"data\", "
     "spec.containers[0].volumeMounts[0].mountPath: Required value]"},
    /* ValidateVolumes: name DNS label + Duplicate; a mount of a valid volume is fine */
    {"", "Pod", true, POD("{\"volumes\":[{\"name\":\"v\"},{\"name\":\"v\"}],\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/v\"}]}]}"), NULL,
     "spec.volumes[1].name: Duplicate value: \"v\""},
    /* validateRestartPolicy: NotSupported with Always, OnFailure, Never */
    {"", "Pod", true, POD("{\"restartPolicy\":\"Sometimes\",\"containers\":[" C1 "]}"), NULL,
     "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
     "\"OnFailure\", \"Never\""},
    /* validateContainerPorts: containerPort Required / IsValidPortNum; protocol sets.List */
    {"", "Pod", true, POD("{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"ports\":[{\"containerPort\":70000,\"protocol\":\"ICMP\"}]}]}"), NULL,
     "[spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and "
     "65535, inclusive, spec.containers[0].ports[0].protocol: Unsupported value: \"ICMP\": "
     "supported values: \"SCTP\", \"TCP\", \"UDP\"]"},
    /* batch validation.go validateJobSpec (since kubernetes#95747): defaulted Always ->
     * Required(..., "valid values: \"OnFailure\", \"Never\"") */
    {"batch", "Job", true, JOB("{\"spec\":{\"containers\":[" C1 "]}}"), NULL,
     "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""},
    /* ...other values: the pod rule and the job rule both fire */
    {"batch", "Job", true, JOB("{\"spec\":{\"restartPolicy\":\"Sometimes\",\"containers\":[" C1 "]}}"), NULL,
     "[spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
     "\"Always\", \"OnFailure\", \"Never\", spec.template.spec.restartPolicy: Unsupported value: "
     "\"Sometimes\": supported values: \"OnFailure\", \"Never\"]"},
    /* ValidateNonnegativeField(backoffLimit) */
    {"batch", "Job", true,
     "{\"metadata\":{\"name\":\"j\",\"namespace\":\"lab\"},\"spec\":{\"backoffLimit\":-1,\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[" C1 "]}}}}", NULL,
     "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0"},
    /* rbac validation.go minimalNameRequirements = path.IsValidPathSegmentName */
    {"rbac.authorization.k8s.io", "Role", true, "{\"metadata\":{\"name\":\"a/b%\",\"namespace\":\"lab\"}}", NULL,
     "[metadata.name: Invalid value: \"a/b%\": may not contain '/', metadata.name: Invalid value: "
     "\"a/b%\": may not contain '%']"},
    {"rbac.authorization.k8s.io", "ClusterRole", false, "{\"metadata\":{\"name\":\"..\"}}", NULL,
     "metadata.name: Invalid value: \"..\": may not be '..'"},
    /* validatePolicyRule: namespaced rules and non-resource URLs */
    {"rbac.authorization.k8s.io", "Role", true,
     "{\"metadata\":{\"name\":\"r\",\"namespace\":\"lab\"},\"rules\":[{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\"]}]}", NULL,
     "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot "
     "apply to non-resource URLs"},
    {"rbac.authorization.k8s.io", "ClusterRole", false, "{\"metadata\":{\"name\":\"r\"},\"rules\":[{}]}", NULL,
     "[rules[0].verbs: Required value: verbs must contain at least one value, rules[0].apiGroups: "
     "Required value: resource rules must supply at least one api group, rules[0].resources: "
     "Required value: resource rules must supply at least one resource]"},
    /* ValidateClusterRoleBinding: roleRef.kind NotSupported ClusterRole; SA subject namespace */
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", false,
     "{\"metadata\":{\"name\":\"crb\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"x\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"sa\"}]}", NULL,
     "[roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\", "
     "subjects[0].namespace: Required value]"},
    /* ValidateRoleBinding: apiGroup NotSupported, roleRef.name Required, subject kind */
    {"rbac.authorization.k8s.io", "RoleBinding", true,
     RB_OK("{\"apiGroup\":\"x\",\"kind\":\"Role\"}"), NULL,
     "[roleRef.apiGroup: Unsupported value: \"x\": supported values: \"rbac.authorization.k8s.io\", "
     "roleRef.name: Required value]"},
    {"rbac.authorization.k8s.io", "RoleBinding", true,
     "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"lab\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},\"subjects\":[{\"kind\":\"Robot\",\"name\":\"x\"},{\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"apiGroup\":\"v1\"}]}", NULL,
     "[subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", "
     "\"User\", \"Group\", subjects[1].apiGroup: Unsupported value: \"v1\": supported values: \"\"]"},
    /* ValidateRoleBindingUpdate: Invalid(roleRef, %#v RoleRef, "cannot change roleRef") */
    {"rbac.authorization.k8s.io", "RoleBinding", true,
     RB_OK("{\"kind\":\"Role\",\"name\":\"b\"}"), RB_OK("{\"kind\":\"Role\",\"name\":\"a\"}"),
     "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", "
     "Name:\"b\"}: cannot change roleRef"},
    /* ValidateObjectMetaUpdate: ValidateImmutableField(name) */
    {"", "ServiceAccount", true, "{\"metadata\":{\"name\":\"b\",\"namespace\":\"lab\"}}",
     "{\"metadata\":{\"name\":\"a\",\"namespace\":\"lab\"}}",
     "metadata.name: Invalid value: \"b\": field is immutable"},
    {"", "ServiceAccount", true, "{\"metadata\":{\"name\":\"a\",\"namespace\":\"lab\",\"uid\":\"u2\",\"creationTimestamp\":\"2024-01-02T03:04:05Z\"}}",
     "{\"metadata\":{\"name\":\"a\",\"namespace\":\"lab\",\"uid\":\"u1\",\"creationTimestamp\":\"2024-01-01T00:00:00Z\"}}",
     "[metadata.uid: Invalid value: \"u2\": field is immutable, metadata.creationTimestamp: "
     "Invalid value: 2024-01-02 03:04:05 +0000 UTC: field is immutable]"},
    /* ValidateSecretUpdate: ValidateImmutableField(type) */
    {"", "Secret", true,
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"lab\"},\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"\",\"tls.key\":\"\"}}",
     "{\"metadata\":{\"name\":\"s\",\"namespace\":\"lab\"},\"type\":\"Opaque\"}",
     "type: Invalid value: \"kubernetes.io/tls\": field is immutable"},
    /* ValidateSecret: IsConfigMapKey on data keys, Path.Key renders [key] */
    {"", "Secret", true, "{\"metadata\":{\"name\":\"s\",\"namespace\":\"lab\"},\"data\":{\"a b\":\"\"}}", NULL,
     "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric "
     "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
     "for validation is '[-._a-zA-Z0-9]+')"},
    {"", "ConfigMap", true, "{\"metadata\":{\"name\":\"c\",\"namespace\":\"lab\"},\"data\":{\"..x\":\"\"}}", NULL,
     "data[..x]: Invalid value: \"..x\": must not start with '..'"},
    /* core validateKubeFinalizerName */
    {"", "Namespace", false, "{\"metadata\":{\"name\":\"ns\"},\"spec\":{\"finalizers\":[\"foo\"]}}", NULL,
     "spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is "
     "it fully qualified"},
    /* coordination validation: leaseDurationSeconds > 0 */
    {"coordination.k8s.io", "Lease", true, "{\"metadata\":{\"name\":\"l\",\"namespace\":\"lab\"},\"spec\":{\"leaseDurationSeconds\":0}}", NULL,
     "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"},
    /* valid objects */
    {"", "Pod", true, POD("{\"containers\":[" C1 "]}"), NULL, ""},
    {"rbac.authorization.k8s.io", "RoleBinding", true, RB_OK("{\"kind\":\"ClusterRole\",\"name\":\"view\"}"), NULL, ""},
};

static json_t *load(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", e.text, s);
    return j;
}

static void test_cases(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct vcase *c = &cases[i];
        json_t *obj = load(c->obj), *old = c->old ? load(c->old) : NULL;
        resource_defaults(resource_by_kind(c->group, c->kind), obj);
        if (old)
            resource_defaults(resource_by_kind(c->group, c->kind), old);
        struct field_errors errs;
        field_errors_init(&errs);
        const struct resource_def *r = resource_by_kind(c->group, c->kind);
        assert_non_null(r);
        if (r->namespaced != c->namespaced)
            fail_msg("case %zu (%s): the row says namespaced=%d", i, c->kind, r->namespaced);
        resource_validate(r, obj, old, &errs);
        char *got = field_errors_aggregate(&errs);
        if (strcmp(got, c->want) != 0)
            fail_msg("case %zu (%s):\n got: %s\nwant: %s", i, c->kind, got, c->want);
        free(got);
        field_errors_release(&errs);
        json_decref(obj);
        json_decref(old);
    }
}

static void test_annotations_too_long(void **state)
{
    json_t *obj = load("{\"metadata\":{\"name\":\"cm\",\"namespace\":\"lab\",\"annotations\":{}}}");
    char *big = malloc(262144);
    memset(big, 'x', 262143);
    big[262143] = 0;
    json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "annotations"), "ab",
                        json_string(big)); /* 2 + 262143 > 262144 */
    free(big);
    struct field_errors errs;
    field_errors_init(&errs);
    resource_validate(resource_by_kind("", "ConfigMap"), obj, NULL, &errs);
    char *got = field_errors_aggregate(&errs);
    /* objectmeta.go ValidateAnnotations: TooLong(fldPath, "", TotalAnnotationSizeLimitB) */
    assert_string_equal(got, "metadata.annotations: Too long: must have at most 262144 bytes");
    assert_int_equal(errs.items[0].type, FIELD_TOO_LONG);
    free(got);
    field_errors_release(&errs);
    json_decref(obj);
}

/* The seed's Job (tests/seed/job.json; ANZEN_SRC is the source tree, set by CTest). */
static json_t *load_seed_job(void)
{
    const char *src = getenv("ANZEN_SRC");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/seed/job.json", src ? src : ".");
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    assert_non_null(j);
    return j;
}

#define GET(o, k) json_object_get(o, k)

/* batch/v1 defaults.go SetDefaults_Job + core/v1 SetDefaults_PodSpec/Container (template) */
static void test_defaults_seed_job(void **state)
{
    json_t *job = load_seed_job();
    resource_defaults(resource_by_kind("batch", "Job"), job);
    json_t *spec = GET(job, "spec");
    assert_int_equal(json_integer_value(GET(spec, "completions")), 1);
    assert_int_equal(json_integer_value(GET(spec, "parallelism")), 1);
    assert_int_equal(json_integer_value(GET(spec, "backoffLimit")), 4); /* given, kept */
    assert_string_equal(json_string_value(GET(spec, "completionMode")), "NonIndexed");
    assert_true(json_is_false(GET(spec, "suspend")));
    assert_string_equal(json_string_value(GET(spec, "podReplacementPolicy")), "TerminatingOrFailed");
    assert_null(GET(spec, "manualSelector"));
    json_t *ps = GET(GET(spec, "template"), "spec");
    assert_string_equal(json_string_value(GET(ps, "restartPolicy")), "Never");
    assert_string_equal(json_string_value(GET(ps, "dnsPolicy")), "ClusterFirst");
    assert_string_equal(json_string_value(GET(ps, "schedulerName")), "default-scheduler");
    assert_int_equal(json_integer_value(GET(ps, "terminationGracePeriodSeconds")), 30);
    assert_true(json_is_object(GET(ps, "securityContext")));
    assert_int_equal(json_object_size(GET(ps, "securityContext")), 0);
    assert_null(GET(ps, "enableServiceLinks")); /* SetDefaults_Pod only, not templates */
    json_t *c = json_array_get(GET(ps, "containers"), 0);
    assert_string_equal(json_string_value(GET(c, "imagePullPolicy")), "Always"); /* :latest */
    assert_string_equal(json_string_value(GET(c, "terminationMessagePath")), "/dev/termination-log");
    assert_string_equal(json_string_value(GET(c, "terminationMessagePolicy")), "File");
    assert_true(json_is_object(GET(c, "resources")));

    struct field_errors errs;
    field_errors_init(&errs);
    resource_validate(resource_by_kind("batch", "Job"), job, NULL, &errs);
    assert_int_equal(errs.n, 0);
    /* backoffLimit absent -> 6 */
    json_object_del(spec, "backoffLimit");
    resource_defaults(resource_by_kind("batch", "Job"), job);
    assert_int_equal(json_integer_value(GET(spec, "backoffLimit")), 6);
    field_errors_release(&errs);
    json_decref(job);
}

static void test_defaults_pod(void **state)
{
    json_t *pod = load(POD("{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]},"
                           "{\"name\":\"d\",\"image\":\"busybox\"}],"
                           "\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"x\"}},{\"name\":\"e\"},"
                           "{\"name\":\"t\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}},"
                           "{\"downwardAPI\":{\"items\":[{\"path\":\"ns\",\"fieldRef\":{\"fieldPath\":\"metadata.namespace\"}}]}}]}}]}"));
    resource_defaults(resource_by_kind("", "Pod"), pod);
    resource_prepare_create(resource_by_kind("", "Pod"), pod);
    json_t *spec = GET(pod, "spec");
    assert_string_equal(json_string_value(GET(spec, "restartPolicy")), "Always");
    assert_true(json_is_true(GET(spec, "enableServiceLinks")));
    assert_int_equal(json_integer_value(GET(spec, "priority")), 0);
    assert_string_equal(json_string_value(GET(spec, "preemptionPolicy")), "PreemptLowerPriority");
    json_t *c0 = json_array_get(GET(spec, "containers"), 0);
    json_t *c1 = json_array_get(GET(spec, "containers"), 1);
    assert_string_equal(json_string_value(GET(c0, "imagePullPolicy")), "IfNotPresent");
    assert_string_equal(json_string_value(GET(c1, "imagePullPolicy")), "Always"); /* no tag */
    assert_string_equal(json_string_value(GET(json_array_get(GET(c0, "ports"), 0), "protocol")), "TCP");
    json_t *vols = GET(spec, "volumes");
    assert_int_equal(json_integer_value(GET(GET(json_array_get(vols, 0), "secret"), "defaultMode")), 420);
    assert_true(json_is_object(GET(json_array_get(vols, 1), "emptyDir")));
    json_t *proj = GET(json_array_get(vols, 2), "projected");
    assert_int_equal(json_integer_value(GET(proj, "defaultMode")), 420);
    json_t *srcs = GET(proj, "sources");
    assert_int_equal(json_integer_value(GET(GET(json_array_get(srcs, 0), "serviceAccountToken"), "expirationSeconds")), 3600);
    json_t *fr = GET(json_array_get(GET(GET(json_array_get(srcs, 1), "downwardAPI"), "items"), 0), "fieldRef");
    assert_string_equal(json_string_value(GET(fr, "apiVersion")), "v1");
    /* DefaultTolerationSeconds admission */
    json_t *tols = GET(spec, "tolerations");
    assert_int_equal(json_array_size(tols), 2);
    assert_string_equal(json_string_value(GET(json_array_get(tols, 0), "key")), "node.kubernetes.io/not-ready");
    assert_int_equal(json_integer_value(GET(json_array_get(tols, 1), "tolerationSeconds")), 300);
    /* pod strategy PrepareForCreate */
    assert_string_equal(json_string_value(GET(GET(pod, "status"), "phase")), "Pending");
    assert_string_equal(json_string_value(GET(GET(pod, "status"), "qosClass")), "BestEffort");
    struct field_errors errs;
    field_errors_init(&errs);
    resource_validate(resource_by_kind("", "Pod"), pod, NULL, &errs);
    assert_int_equal(errs.n, 0);
    field_errors_release(&errs);
    json_decref(pod);

    /* limits only: requests default to limits (SetDefaults_Pod) -> Guaranteed */
    pod = load(POD("{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}}]}"));
    resource_defaults(resource_by_kind("", "Pod"), pod);
    resource_prepare_create(resource_by_kind("", "Pod"), pod);
    assert_string_equal(json_string_value(GET(GET(pod, "status"), "qosClass")), "Guaranteed");
    json_decref(pod);
    pod = load(POD("{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"0.5\"}}}]}"));
    resource_defaults(resource_by_kind("", "Pod"), pod);
    resource_prepare_create(resource_by_kind("", "Pod"), pod);
    assert_string_equal(json_string_value(GET(GET(pod, "status"), "qosClass")), "Burstable");
    json_decref(pod);
}

static void test_defaults_other(void **state)
{
    json_t *ns = load("{\"metadata\":{\"name\":\"lab\"}}");
    resource_defaults(resource_by_kind("", "Namespace"), ns);
    resource_prepare_create(resource_by_kind("", "Namespace"), ns);
    assert_string_equal(json_string_value(GET(GET(GET(ns, "metadata"), "labels"), "kubernetes.io/metadata.name")), "lab");
    assert_string_equal(json_string_value(json_array_get(GET(GET(ns, "spec"), "finalizers"), 0)), "kubernetes");
    assert_string_equal(json_string_value(GET(GET(ns, "status"), "phase")), "Active");
    json_decref(ns);

    json_t *s = load("{\"metadata\":{\"name\":\"s\"},\"stringData\":{\"k\":\"hi\"}}");
    resource_defaults(resource_by_kind("", "Secret"), s);
    assert_string_equal(json_string_value(GET(s, "type")), "Opaque");
    assert_string_equal(json_string_value(GET(GET(s, "data"), "k")), "aGk=");
    assert_null(GET(s, "stringData"));
    json_decref(s);

    json_t *rb = load("{\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"u\"},{\"kind\":\"ServiceAccount\",\"name\":\"sa\"}]}");
    resource_defaults(resource_by_kind("rbac.authorization.k8s.io", "RoleBinding"), rb);
    assert_string_equal(json_string_value(GET(GET(rb, "roleRef"), "apiGroup")), "rbac.authorization.k8s.io");
    assert_string_equal(json_string_value(GET(json_array_get(GET(rb, "subjects"), 0), "apiGroup")), "rbac.authorization.k8s.io");
    assert_null(GET(json_array_get(GET(rb, "subjects"), 1), "apiGroup"));
    json_decref(rb);
}

static void test_name_helpers(void **state)
{
    assert_null(validate_dns1123_subdomain("example.com"));
    assert_null(validate_dns1123_label("my-name"));
    char *m = validate_dns1123_label("a.b");
    assert_string_equal(m, "must not contain dots");
    free(m);
    m = validate_dns1123_subdomain("Bad_Name");
    assert_string_equal(m, SUBDOMAIN_MSG);
    free(m);
    char long_label[70];
    memset(long_label, 'a', 64);
    long_label[64] = 0;
    m = validate_dns1123_label(long_label);
    assert_string_equal(m, "must be no more than 63 characters");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),           cmocka_unit_test(test_annotations_too_long),
        cmocka_unit_test(test_defaults_seed_job), cmocka_unit_test(test_defaults_pod),
        cmocka_unit_test(test_defaults_other),  cmocka_unit_test(test_name_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
