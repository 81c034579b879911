/* sa_controllers_test.c — tests of the ServiceAccount controller and the root-CA publisher
 * (src/controllers/serviceaccount.c) on a real SQLite store and watch cache, with deferred
 * work collected in a queue the test drains: start-up reconciliation, new namespaces, the
 * default SA re-created after deletion, kube-root-ca.crt re-created and repaired (spec/05
 * §5.1, §5.2), and nothing done in a terminating namespace. */
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
#include "test_policy.h"
#include "../../../src/controllers/serviceaccount.c"
#include "test_store.h"

#define TEST_CA "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

struct queued {
    void (*fn)(void *);
    void *arg;
};

struct fixture {
    struct test_store ts;
    struct apiserver srv;
    struct queued q[256];
    size_t nq;
};

static struct fixture *current;

static void queue_defer(struct apiserver *srv, void (*fn)(void *), void *arg)
{
    assert_true(current->nq < 256);
    current->q[current->nq].fn = fn;
    current->q[current->nq].arg = arg;
    current->nq++;
}

/* Runs deferred work until none is left; returns how many items ran. */
static size_t drain(struct fixture *f)
{
    size_t ran = 0;
    while (f->nq > 0) {
        struct queued w = f->q[0];
        memmove(f->q, f->q + 1, (f->nq - 1) * sizeof(f->q[0]));
        f->nq--;
        w.fn(w.arg);
        ran++;
        assert_true(ran < 1000);
    }
    return ran;
}

static struct api_call call_for(struct fixture *f, const char *kind, const char *ns, const char *name)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", kind), .ns = ns, .name = name,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    return c;
}

static void create_namespace(struct fixture *f, const char *name)
{
    struct api_call c = call_for(f, "Namespace", NULL, NULL);
    json_t *obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                            "name", name);
    json_t *res = NULL, *st = NULL;
    int code;
    if (rest_create(&c, obj, &res, &code, &st) != 0)
        fail_msg("create ns: %s", json_str(st, "message"));
    json_decref(obj);
    json_decref(res);
}

static json_t *get(struct fixture *f, const char *kind, const char *ns, const char *name)
{
    struct api_call c = call_for(f, kind, ns, name);
    json_t *obj = NULL, *st = NULL;
    if (rest_get(&c, &obj, &st) != 0) {
        json_decref(st);
        return NULL;
    }
    return obj;
}

static void del(struct fixture *f, const char *kind, const char *ns, const char *name)
{
    struct api_call c = call_for(f, kind, ns, name);
    json_t *res = NULL, *st = NULL;
    int code;
    if (rest_delete(&c, NULL, &res, &code, &st) != 0)
        fail_msg("delete %s %s/%s: %s", kind, ns, name, json_str(st, "message"));
    json_decref(res);
    json_decref(st);
}

static void assert_root_ca(struct fixture *f, const char *ns)
{
    json_t *cm = get(f, "ConfigMap", ns, "kube-root-ca.crt");
    if (cm == NULL)
        fail_msg("no kube-root-ca.crt in %s", ns);
    json_t *data = json_object_get(cm, "data");
    assert_int_equal(json_object_size(data), 1);
    assert_string_equal(json_str(data, "ca.crt"), TEST_CA);
    assert_string_equal(json_str(json_path(cm, "metadata.annotations"), "kubernetes.io/description"),
                        "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                        "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                        "guaranteed across distributions of Kubernetes clusters.");
    bool kcm = false;
    size_t i;
    json_t *mf;
    json_array_foreach(json_path(cm, "metadata.managedFields"), i, mf) {
        const char *m = json_str(mf, "manager");
        if (m != NULL && strcmp(m, "kube-controller-manager") == 0) {
            assert_string_equal(json_str(mf, "operation"), "Update");
            kcm = true;
        }
    }
    assert_true(kcm);
    json_decref(cm);
}

static void assert_default_sa(struct fixture *f, const char *ns)
{
    json_t *sa = get(f, "ServiceAccount", ns, "default");
    if (sa == NULL)
        fail_msg("no default SA in %s", ns);
    assert_null(json_object_get(sa, "secrets"));
    assert_null(json_object_get(sa, "automountServiceAccountToken"));
    assert_null(json_object_get(sa, "imagePullSecrets"));
    json_decref(sa);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    current = f;
    if (test_store_open(&f->ts, &f->srv, "sactl") != 0)
        return -1;
    f->srv.defer = queue_defer;
    f->srv.ca_pem = TEST_CA;
    test_policy_install(&f->srv); /* the controllers write as their own identities */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    drain(f);
    test_store_close(&f->ts, &f->srv);
    free(f);
    return 0;
}

static void test_startup_existing_namespaces(void **state)
{
    struct fixture *f = *state;
    create_namespace(f, "default");
    create_namespace(f, "kube-system");
    serviceaccount_controllers_start(&f->srv);
    /* nothing happens inside start: all work is deferred */
    assert_null(get(f, "ServiceAccount", "default", "default"));
    assert_true(drain(f) >= 4);
    assert_default_sa(f, "default");
    assert_default_sa(f, "kube-system");
    assert_root_ca(f, "default");
    assert_root_ca(f, "kube-system");
}

static void test_new_namespace_and_recreate(void **state)
{
    struct fixture *f = *state;
    serviceaccount_controllers_start(&f->srv);
    drain(f);
    create_namespace(f, "lab");
    drain(f);
    assert_default_sa(f, "lab");
    assert_root_ca(f, "lab");
    json_t *sa = get(f, "ServiceAccount", "lab", "default");
    char *uid = xstrdup(json_path_str(sa, "metadata.uid"));
    json_decref(sa);
    del(f, "ServiceAccount", "lab", "default");
    assert_null(get(f, "ServiceAccount", "lab", "default"));
    drain(f);
    sa = get(f, "ServiceAccount", "lab", "default");
    assert_non_null(sa);
    assert_string_not_equal(json_path_str(sa, "metadata.uid"), uid);
    free(uid);
    json_decref(sa);
    del(f, "ConfigMap", "lab", "kube-root-ca.crt");
    drain(f);
    assert_root_ca(f, "lab");
}

static void test_configmap_repaired(void **state)
{
    struct fixture *f = *state;
    serviceaccount_controllers_start(&f->srv);
    create_namespace(f, "lab");
    drain(f);
    /* tamper: other data and another annotation, description removed */
    json_t *cm = get(f, "ConfigMap", "lab", "kube-root-ca.crt");
    json_object_set_new(cm, "data", json_pack("{s:s, s:s}", "ca.crt", "evil", "x", "y"));
    json_t *ann = json_path(cm, "metadata.annotations");
    json_object_del(ann, "kubernetes.io/description");
    json_object_set_new(ann, "mine", json_string("kept"));
    struct api_call c = call_for(f, "ConfigMap", "lab", "kube-root-ca.crt");
    json_t *res = NULL, *st = NULL;
    int code;
    assert_int_equal(rest_update(&c, cm, &res, &code, &st), 0);
    json_decref(res);
    json_decref(cm);
    drain(f);
    assert_root_ca(f, "lab");
    cm = get(f, "ConfigMap", "lab", "kube-root-ca.crt");
    assert_string_equal(json_str(json_path(cm, "metadata.annotations"), "mine"), "kept");
    json_decref(cm);
    /* an up-to-date ConfigMap does not loop */
    assert_int_equal(f->nq, 0);
}

static void test_terminating_namespace_untouched(void **state)
{
    struct fixture *f = *state;
    create_namespace(f, "gone");
    /* mark it terminating directly (what a delete does first) */
    json_t *ns = get(f, "Namespace", NULL, "gone");
    json_object_set_new(json_object_get(ns, "metadata"), "deletionTimestamp", json_string("2025-01-01T00:00:00Z"));
    char *s = json_dumps(ns, JSON_COMPACT);
    int64_t rev = strtoll(json_path_str(ns, "metadata.resourceVersion"), NULL, 10), nrev;
    json_object_del(json_object_get(ns, "metadata"), "resourceVersion");
    free(s);
    s = json_dumps(ns, JSON_COMPACT);
    assert_int_equal(store_update(f->srv.store, "/registry/namespaces/gone", s, strlen(s), rev, &nrev), 0);
    free(s);
    json_decref(ns);
    serviceaccount_controllers_start(&f->srv);
    drain(f);
    assert_null(get(f, "ServiceAccount", "gone", "default"));
    assert_null(get(f, "ConfigMap", "gone", "kube-root-ca.crt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_startup_existing_namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_namespace_and_recreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configmap_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminating_namespace_untouched, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
