/* serviceaccount_test.c — tests of the ServiceAccount admission plugin
 * (src/admission/serviceaccount.c) on a real SQLite store: serviceAccountName defaulting and
 * the deprecated serviceAccount mirror, the 403 for a missing SA (spec/04 §4.2 step 3),
 * automount precedence (Pod over SA, default true), the exact injected projected volume and
 * mount (spec/03 §3.5), containers that already mount the path, reuse of an existing
 * kube-api-access-* volume, imagePullSecrets copying, mirror pods, mountable-secrets
 * enforcement, and a full rest_create of a pod through the admission chain. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/loopback.h"
#include "../../../src/admission/serviceaccount.c"
#include "test_store.h"

static void no_defer(struct apiserver *srv, void (*fn)(void *), void *arg)
{
    /* no controllers run in this test; nothing should be deferred */
    fn(arg);
}

static json_t *create_obj(struct test_apiserver *f, const char *kind, const char *ns, const char *json)
{
    json_error_t jerr;
    json_t *obj = json_loads(json, 0, &jerr);
    assert_non_null(obj);
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", kind), .ns = ns,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_STRICT, .internal = true};
    json_t *res = NULL, *st = NULL;
    int code = 0;
    int rc = rest_create(&c, obj, &res, &code, &st);
    if (rc != 0)
        fail_msg("create %s: %s", kind, json_str(st, "message"));
    json_decref(obj);
    json_decref(st);
    return res;
}

static int setup(void **state)
{
    if (test_apiserver_setup(state, "saadm", false) != 0)
        return -1;
    struct test_apiserver *f = *state;
    f->srv.defer = no_defer;
    f->srv.ca_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    json_decref(create_obj(f, "Namespace", NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"lab\"}}"));
    json_decref(create_obj(f, "ServiceAccount", "lab",
                           "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\"}}"));
    json_decref(create_obj(f, "ServiceAccount", "lab",
                           "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"runner\"}}"));
    json_decref(create_obj(f, "ServiceAccount", "lab",
                           "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"noauto\"},"
                           "\"automountServiceAccountToken\":false}"));
    json_decref(create_obj(f, "ServiceAccount", "lab",
                           "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"puller\"},"
                           "\"imagePullSecrets\":[{\"name\":\"regcred\"},{\"name\":\"other\"}]}"));
    json_decref(create_obj(f, "ServiceAccount", "lab",
                           "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"strict\","
                           "\"annotations\":{\"kubernetes.io/enforce-mountable-secrets\":\"true\"}},"
                           "\"secrets\":[{\"name\":\"allowed\"}],\"imagePullSecrets\":[{\"name\":\"pull-ok\"}]}"));
    return 0;
}

static struct api_call pod_call(struct test_apiserver *f, const char *name)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Pod"), .ns = "lab", .name = name,
                         .user = apiserver_loopback_user(), .internal = true};
    return c;
}

/* Runs the plugin's mutate then validate on a pod as a create; returns rc, *ret_status set on
 * failure. */
static int admit_pod(struct test_apiserver *f, json_t *pod, json_t **ret_status)
{
    struct api_call c = pod_call(f, json_path_str(pod, "metadata.name"));
    int rc = sa_mutate(&c, ADMIT_CREATE, pod, NULL, ret_status);
    if (rc == 0)
        rc = sa_validate(&c, ADMIT_CREATE, pod, NULL, ret_status);
    return rc;
}

static json_t *pod_from(const char *spec_json)
{
    char *s = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"lab\"},"
                        "\"spec\":%s}", spec_json);
    json_error_t jerr;
    json_t *pod = json_loads(s, JSON_PRESERVE_ORDER, &jerr);
    free(s);
    assert_non_null(pod);
    return pod;
}

static char *dump(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(s);
    return s;
}

static void assert_json_eq(json_t *v, const char *want)
{
    char *s = dump(v);
    if (strcmp(s, want) != 0)
        fail_msg("JSON differs:\n got: %s\nwant: %s", s, want);
    free(s);
}

/* The volume name must be kube-api-access- plus 5 chars of the generateName alphabet. */
static const char *check_volume_name(const char *n)
{
    assert_non_null(n);
    assert_int_equal(strlen(n), strlen("kube-api-access-") + 5);
    assert_memory_equal(n, "kube-api-access-", 16);
    for (int i = 16; i < 21; i++)
        assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", n[i]));
    return n;
}

static const char *want_volume_fmt =
    "{\"name\":\"%s\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"
    "{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}]}},"
    "{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}]}}],"
    "\"defaultMode\":420}}";
static const char *want_mount_fmt =
    "{\"name\":\"%s\",\"readOnly\":true,\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}";

static void assert_injected(json_t *pod, size_t nvol_before)
{
    json_t *vols = json_path(pod, "spec.volumes");
    assert_int_equal(json_array_size(vols), nvol_before + 1);
    json_t *vol = json_array_get(vols, nvol_before);
    const char *name = check_volume_name(json_str(vol, "name"));
    char *want = xasprintf(want_volume_fmt, name);
    assert_json_eq(vol, want);
    free(want);
    /* every init container and container: last mount is ours */
    const char *lists[] = {"spec.initContainers", "spec.containers"};
    char *wm = xasprintf(want_mount_fmt, name);
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *ctr;
        json_array_foreach(json_path(pod, lists[l]), i, ctr) {
            json_t *mounts = json_object_get(ctr, "volumeMounts");
            assert_true(json_array_size(mounts) >= 1);
            assert_json_eq(json_array_get(mounts, json_array_size(mounts) - 1), wm);
        }
    }
    free(wm);
}

static void assert_no_token(json_t *pod)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_path(pod, "spec.volumes"), i, v) {
        const char *n = json_str(v, "name");
        assert_false(n != NULL && strncmp(n, "kube-api-access-", 16) == 0);
    }
    json_array_foreach(json_path(pod, "spec.containers"), i, v) {
        size_t j;
        json_t *m;
        json_array_foreach(json_object_get(v, "volumeMounts"), j, m) {
            assert_string_not_equal(json_str(m, "mountPath"), "/var/run/secrets/kubernetes.io/serviceaccount");
        }
    }
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_defaults_service_account_name(void **state)
{
    json_t *pod = pod_from("{\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_string_equal(json_path_str(pod, "spec.serviceAccountName"), "default");
    assert_string_equal(json_path_str(pod, "spec.serviceAccount"), "default");
    assert_injected(pod, 0);
    /* a new volumes key goes first, as in PodSpec's field order */
    const char *first = json_object_iter_key(json_object_iter(json_object_get(pod, "spec")));
    assert_string_equal(first, "volumes");
    json_decref(pod);
}

static void test_deprecated_service_account_field(void **state)
{
    /* the seed's pod-projected.yaml names its SA with the deprecated field only */
    json_t *pod = pod_from("{\"serviceAccount\":\"runner\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_string_equal(json_path_str(pod, "spec.serviceAccountName"), "runner");
    assert_string_equal(json_path_str(pod, "spec.serviceAccount"), "runner");
    json_decref(pod);
}

static void test_missing_service_account(void **state)
{
    json_t *pod = pod_from("{\"serviceAccountName\":\"foo\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_object_set_new(json_object_get(pod, "metadata"), "name", json_string("x"));
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), AZ_EFORBIDDEN);
    assert_non_null(st);
    assert_string_equal(json_str(st, "message"),
                        "pods \"x\" is forbidden: error looking up service account lab/foo: serviceaccount \"foo\" not found");
    assert_int_equal(status_code(st), 403);
    assert_string_equal(json_str(st, "reason"), "Forbidden");
    assert_string_equal(json_path_str(st, "details.name"), "x");
    assert_string_equal(json_path_str(st, "details.kind"), "pods");
    json_decref(st);
    json_decref(pod);
}

static void test_missing_sa_generate_name(void **state)
{
    /* rest.c generated the name; upstream reports the generateName with its dash */
    json_t *pod = pod_from("{\"serviceAccountName\":\"foo\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *m = json_object_get(pod, "metadata");
    json_object_set_new(m, "generateName", json_string("sleep-job-"));
    json_object_set_new(m, "name", json_string("sleep-job-x7k2q"));
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), AZ_EFORBIDDEN);
    assert_string_equal(json_str(st, "message"),
                        "pods \"sleep-job-\" is forbidden: error looking up service account lab/foo: serviceaccount \"foo\" not found");
    json_decref(st);
    json_decref(pod);
}

static void test_automount_false_on_pod(void **state)
{
    json_t *pod = pod_from("{\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_no_token(pod);
    assert_null(json_path(pod, "spec.volumes"));
    assert_null(json_object_get(json_array_get(json_path(pod, "spec.containers"), 0), "volumeMounts"));
    assert_string_equal(json_path_str(pod, "spec.serviceAccountName"), "default");
    json_decref(pod);
}

static void test_automount_false_on_sa(void **state)
{
    json_t *pod = pod_from("{\"serviceAccountName\":\"noauto\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_no_token(pod);
    assert_null(json_path(pod, "spec.volumes"));
    json_decref(pod);
}

static void test_sa_false_pod_true(void **state)
{
    json_t *pod = pod_from("{\"serviceAccountName\":\"noauto\",\"automountServiceAccountToken\":true,"
                           "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_injected(pod, 0);
    json_decref(pod);
}

static void test_init_containers_and_existing_mounts(void **state)
{
    json_t *pod = pod_from(
        "{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}},{\"name\":\"own\",\"emptyDir\":{}}],"
        "\"initContainers\":[{\"name\":\"init\",\"image\":\"alpine\"}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"alpine\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]},"
        "{\"name\":\"b\",\"image\":\"alpine\",\"volumeMounts\":[{\"name\":\"own\",\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}]}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    json_t *vols = json_path(pod, "spec.volumes");
    assert_int_equal(json_array_size(vols), 3);
    const char *name = check_volume_name(json_str(json_array_get(vols, 2), "name"));
    char *wm = xasprintf(want_mount_fmt, name);
    json_t *init = json_array_get(json_path(pod, "spec.initContainers"), 0);
    assert_int_equal(json_array_size(json_object_get(init, "volumeMounts")), 1);
    assert_json_eq(json_array_get(json_object_get(init, "volumeMounts"), 0), wm);
    json_t *a = json_array_get(json_path(pod, "spec.containers"), 0);
    assert_int_equal(json_array_size(json_object_get(a, "volumeMounts")), 2);
    assert_json_eq(json_array_get(json_object_get(a, "volumeMounts"), 1), wm);
    /* b already mounts the path: untouched */
    json_t *b = json_array_get(json_path(pod, "spec.containers"), 1);
    assert_json_eq(json_object_get(b, "volumeMounts"),
                   "[{\"name\":\"own\",\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}]");
    free(wm);
    json_decref(pod);
}

static void test_all_containers_mount_path_no_volume(void **state)
{
    json_t *pod = pod_from(
        "{\"volumes\":[{\"name\":\"own\",\"emptyDir\":{}}],"
        "\"containers\":[{\"name\":\"b\",\"image\":\"alpine\",\"volumeMounts\":[{\"name\":\"own\",\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}]}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_int_equal(json_array_size(json_path(pod, "spec.volumes")), 1);
    json_decref(pod);
}

static void test_existing_kube_api_access_volume_reused(void **state)
{
    json_t *pod = pod_from(
        "{\"volumes\":[{\"name\":\"kube-api-access-abcde\",\"emptyDir\":{}}],"
        "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_json_eq(json_path(pod, "spec.volumes"), "[{\"name\":\"kube-api-access-abcde\",\"emptyDir\":{}}]");
    json_t *ctr = json_array_get(json_path(pod, "spec.containers"), 0);
    char *wm = xasprintf("[" "%s" "]", want_mount_fmt);
    char *want = xasprintf(wm, "kube-api-access-abcde");
    assert_json_eq(json_object_get(ctr, "volumeMounts"), want);
    free(want);
    free(wm);
    json_decref(pod);
}

static void test_image_pull_secrets(void **state)
{
    json_t *pod = pod_from("{\"serviceAccountName\":\"puller\",\"automountServiceAccountToken\":false,"
                           "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_json_eq(json_path(pod, "spec.imagePullSecrets"), "[{\"name\":\"regcred\"},{\"name\":\"other\"}]");
    json_decref(pod);
    /* the pod's own list is kept */
    pod = pod_from("{\"serviceAccountName\":\"puller\",\"imagePullSecrets\":[{\"name\":\"mine\"}],"
                   "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_json_eq(json_path(pod, "spec.imagePullSecrets"), "[{\"name\":\"mine\"}]");
    json_decref(pod);
    /* an SA without pull secrets adds no key */
    pod = pod_from("{\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_null(json_path(pod, "spec.imagePullSecrets"));
    json_decref(pod);
}

static void test_mirror_pod(void **state)
{
    json_t *pod = pod_from("{\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}");
    json_t *ann = json_obj_ensure(json_object_get(pod, "metadata"), "annotations");
    json_object_set_new(ann, "kubernetes.io/config.mirror", json_string("abc"));
    json_t *st = NULL;
    assert_int_equal(admit_pod(*state, pod, &st), 0);
    assert_null(json_path(pod, "spec.serviceAccountName"));
    assert_null(json_path(pod, "spec.volumes"));
    json_object_set_new(json_object_get(pod, "spec"), "serviceAccountName", json_string("default"));
    assert_int_equal(admit_pod(*state, pod, &st), AZ_EFORBIDDEN);
    assert_string_equal(json_str(st, "message"), "pods \"p\" is forbidden: a mirror pod may not reference service accounts");
    json_decref(st);
    json_object_del(json_object_get(pod, "spec"), "serviceAccountName");
    json_object_del(json_object_get(pod, "spec"), "serviceAccount");
    json_object_set_new(json_object_get(pod, "spec"), "imagePullSecrets", json_pack("[{s:s}]", "name", "x"));
    assert_int_equal(admit_pod(*state, pod, &st), AZ_EFORBIDDEN);
    assert_string_equal(json_str(st, "message"), "pods \"p\" is forbidden: a mirror pod may not reference secrets");
    json_decref(st);
    json_decref(pod);
}

static void test_enforce_mountable_secrets(void **state)
{
    struct {
        const char *spec;
        const char *msg; /* NULL: admitted */
    } cases[] = {
        {"{\"serviceAccountName\":\"strict\",\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"allowed\"}}],"
         "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}", NULL},
        {"{\"serviceAccountName\":\"strict\",\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"nope\"}}],"
         "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}",
         "volume with secret.secretName=\"nope\" is not allowed because service account strict does not reference that secret"},
        {"{\"serviceAccountName\":\"strict\",\"initContainers\":[{\"name\":\"i\",\"image\":\"alpine\",\"env\":[{\"name\":\"E\","
         "\"valueFrom\":{\"secretKeyRef\":{\"name\":\"nope\",\"key\":\"k\"}}}]}],\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}",
         "init container i with envVar E referencing secret.secretName=\"nope\" is not allowed because service account strict does not reference that secret"},
        {"{\"serviceAccountName\":\"strict\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\",\"envFrom\":[{\"secretRef\":{\"name\":\"nope\"}}]}]}",
         "container main with envFrom referencing secret.secretName=\"nope\" is not allowed because service account strict does not reference that secret"},
        {"{\"serviceAccountName\":\"strict\",\"imagePullSecrets\":[{\"name\":\"pull-ok\"},{\"name\":\"nope\"}],"
         "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}",
         "imagePullSecrets[1].name=\"nope\" is not allowed because service account strict does not reference that imagePullSecret"},
        /* not enforced for SAs without the annotation */
        {"{\"serviceAccountName\":\"runner\",\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"nope\"}}],"
         "\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *pod = pod_from(cases[i].spec);
        json_t *st = NULL;
        int rc = admit_pod(*state, pod, &st);
        if (cases[i].msg == NULL) {
            if (rc != 0)
                fail_msg("case %zu: unexpected %s", i, json_str(st, "message"));
        } else {
            assert_int_equal(rc, AZ_EFORBIDDEN);
            char *want = xasprintf("pods \"p\" is forbidden: %s", cases[i].msg);
            assert_string_equal(json_str(st, "message"), want);
            free(want);
        }
        json_decref(st);
        json_decref(pod);
    }
}

static void test_go_parse_bool(void **state)
{
    const char *yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    const char *no[] = {"0", "yes", "tRUE", "", "false", " true"};
    for (size_t i = 0; i < 6; i++) {
        assert_true(go_parse_bool_true(yes[i]));
        assert_false(go_parse_bool_true(no[i]));
    }
    assert_false(go_parse_bool_true(NULL));
}

static void test_other_resources_untouched(void **state)
{
    struct test_apiserver *f = *state;
    json_t *obj = json_pack("{s:{s:[]}}", "spec", "containers");
    struct api_call c = pod_call(f, "p");
    c.res = resource_by_kind("", "ConfigMap");
    json_t *st = NULL;
    assert_int_equal(sa_mutate(&c, ADMIT_CREATE, obj, NULL, &st), 0);
    assert_null(json_path(obj, "spec.serviceAccountName"));
    /* pod status updates: no mutation beyond the v1 mirror */
    c = pod_call(f, "p");
    c.subresource = "status";
    assert_int_equal(sa_mutate(&c, ADMIT_UPDATE, obj, obj, &st), 0);
    assert_int_equal(sa_validate(&c, ADMIT_UPDATE, obj, obj, &st), 0);
    assert_null(json_path(obj, "spec.serviceAccountName"));
    json_decref(obj);
}

/* The whole create path: defaults + validation + admission; the stored pod carries the
 * volume and passes validation. */
static void test_rest_create_pod(void **state)
{
    struct test_apiserver *f = *state;
    static const struct admission_plugin *chain[1];
    chain[0] = serviceaccount_admission();
    f->srv.admission = chain;
    f->srv.nadmission = 1;
    json_t *pod = create_obj(f, "Pod", "lab",
                             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"test\",\"namespace\":\"lab\"},"
                             "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\"}]}}");
    assert_string_equal(json_path_str(pod, "spec.serviceAccountName"), "default");
    assert_injected(pod, 0);
    json_decref(pod);
    /* read back from the store */
    char *key = xasprintf("/registry/pods/lab/test");
    json_t *stored = rest_read_key(&f->srv, key);
    free(key);
    assert_non_null(stored);
    assert_injected(stored, 0);
    json_decref(stored);
    /* a missing SA through the REST layer */
    json_error_t jerr;
    json_t *bad = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"generateName\":\"web-\"},"
                             "\"spec\":{\"serviceAccountName\":\"foo\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]}}",
                             0, &jerr);
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Pod"), .ns = "lab",
                         .user = apiserver_loopback_user(), .field_manager = "test", .internal = true};
    json_t *res = NULL, *st = NULL;
    int code;
    assert_int_equal(rest_create(&c, bad, &res, &code, &st), AZ_EFORBIDDEN);
    assert_string_equal(json_str(st, "message"),
                        "pods \"web-\" is forbidden: error looking up service account lab/foo: serviceaccount \"foo\" not found");
    json_decref(st);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_service_account_name, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_deprecated_service_account_field, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_missing_service_account, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_missing_sa_generate_name, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_automount_false_on_pod, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_automount_false_on_sa, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_sa_false_pod_true, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_init_containers_and_existing_mounts, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_all_containers_mount_path_no_volume, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_existing_kube_api_access_volume_reused, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_image_pull_secrets, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_mirror_pod, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_enforce_mountable_secrets, setup, test_apiserver_teardown),
        cmocka_unit_test(test_go_parse_bool),
        cmocka_unit_test_setup_teardown(test_other_resources_untouched, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_rest_create_pod, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
