/* create_path_test.c — the create path's shortcuts (issue 10) give what the long way gave:
 * NamespaceLifecycle from the object cache (a terminating namespace refuses new content with
 * upstream's 403, a missing one is 404, the store answers when there is no cache), and the
 * managedFields of a create: one Update entry whose fieldsV1 is the object's fields, as
 * upstream's field manager writes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "registry/apiserver.h"
#include "registry/loopback.h"
#include "registry/resource.h"
#include "registry/rest.h"
#include "test_store.h"
#include "util/err.h"
#include "util/json.h"

static int setup(void **state)
{
    if (test_apiserver_setup(state, "create-path", false) != 0)
        return -1;
    struct test_apiserver *f = *state;
    /* lab: open; gone: terminating (written straight to the store, as the namespace
     * controller's update would leave it) */
    static const char lab[] = "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"lab\"},\"spec\":{},\"status\":{\"phase\":\"Active\"}}";
    static const char gone[] = "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"gone\","
                               "\"deletionTimestamp\":\"2026-12-06T00:00:00Z\"},\"spec\":{},\"status\":{\"phase\":\"Terminating\"}}";
    int64_t rev;
    if (store_create(f->srv.store, "/registry/namespaces/lab", lab, strlen(lab), &rev) != 0 ||
        store_create(f->srv.store, "/registry/namespaces/gone", gone, strlen(gone), &rev) != 0)
        return -1;
    return 0;
}

static int create_cm(struct test_apiserver *f, const char *ns, const char *name, json_t **ret_obj, json_t **ret_status)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "ConfigMap"), .ns = ns,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_STRICT};
    json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                            "metadata", "name", name, "labels", "app", "bench", "data", "k", "v");
    int code = 0;
    *ret_obj = *ret_status = NULL;
    int rc = rest_create(&c, obj, ret_obj, &code, ret_status);
    json_decref(obj);
    if (rc == 0)
        assert_int_equal(code, 201);
    return rc;
}

static void test_create_in_open_namespace(void **state)
{
    struct test_apiserver *f = *state;
    json_t *obj, *st;
    assert_int_equal(create_cm(f, "lab", "a", &obj, &st), 0);
    assert_null(st);
    json_t *mf = json_path(obj, "metadata.managedFields");
    assert_int_equal(json_array_size(mf), 1);
    json_t *e = json_array_get(mf, 0);
    assert_string_equal(json_str(e, "manager"), "test");
    assert_string_equal(json_str(e, "operation"), "Update");
    assert_string_equal(json_str(e, "apiVersion"), "v1");
    assert_string_equal(json_str(e, "fieldsType"), "FieldsV1");
    assert_non_null(json_str(e, "time"));
    size_t n;
    char *v1 = json_dump_go(json_object_get(e, "fieldsV1"), false, &n);
    assert_string_equal(v1, "{\"f:data\":{\".\":{},\"f:k\":{}},\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}\n");
    free(v1);
    json_decref(obj);
}

static void test_create_in_terminating_namespace_is_403(void **state)
{
    struct test_apiserver *f = *state;
    json_t *obj, *st;
    assert_int_equal(create_cm(f, "gone", "a", &obj, &st), AZ_EFORBIDDEN);
    assert_null(obj);
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 403);
    assert_string_equal(json_str(st, "reason"), "Forbidden");
    assert_string_equal(json_str(st, "message"),
                        "configmaps \"a\" is forbidden: unable to create new content in namespace gone because it is being terminated");
    json_decref(st);
}

static void test_create_in_missing_namespace_is_404(void **state)
{
    struct test_apiserver *f = *state;
    json_t *obj, *st;
    assert_int_equal(create_cm(f, "nowhere", "a", &obj, &st), AZ_ENOTFOUND);
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 404);
    assert_string_equal(json_str(st, "message"), "namespaces \"nowhere\" not found");
    json_decref(st);
}

/* Without an object cache the store answers, with the same verdicts. */
static void test_without_cache_the_store_answers(void **state)
{
    struct test_apiserver *f = *state;
    struct watchcache *wc = f->srv.wc;
    f->srv.wc = NULL;
    json_t *obj, *st;
    assert_int_equal(create_cm(f, "lab", "b", &obj, &st), 0);
    json_decref(obj);
    assert_int_equal(create_cm(f, "gone", "b", &obj, &st), AZ_EFORBIDDEN);
    json_decref(st);
    assert_int_equal(create_cm(f, "nowhere", "b", &obj, &st), AZ_ENOTFOUND);
    json_decref(st);
    f->srv.wc = wc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_in_open_namespace, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_create_in_terminating_namespace_is_403, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_create_in_missing_namespace_is_404, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_without_cache_the_store_answers, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
