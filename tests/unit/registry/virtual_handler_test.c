/* virtual_handler_test.c — the handlers of virtual (create-only, unstored) resources and
 * subresources come from the table the apiserver is handed (struct virtual_handler), not from
 * the constant resource rows: a create of a RES_VIRTUAL row runs the handler listed for its
 * group and resource, and without a listed handler is a 405 MethodNotAllowed;
 * a subresource's handler is found by group, resource and subresource name only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "registry/apiserver.h"
#include "registry/resource.h"
#include "registry/rest.h"
#include "registry/loopback.h"
#include "test_store.h"
#include "util/err.h"
#include "util/json.h"

static int calls;

static int fake_review(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    (void)ret_status;
    calls++;
    json_t *out = json_deep_copy(body);
    json_object_set_new(out, "status", json_pack("{s:b,s:s}", "authenticated", 1, "resource",
                                                 call->res->plural));
    *ret_obj = out;
    return 0;
}

static int fake_sub(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    (void)call, (void)body, (void)ret_status;
    calls += 100;
    *ret_obj = json_pack("{s:s}", "kind", "Status");
    return 0;
}

static const struct virtual_handler handlers[] = {
    {"authentication.k8s.io", "tokenreviews", NULL, fake_review},
    {"", "pods", "eviction", fake_sub},
};

static int setup(void **state)
{
    calls = 0;
    return test_apiserver_setup(state, "virtual", false);
}

static int create(struct test_apiserver *f, const char *group, const char *kind, const char *json,
                  json_t **ret_obj, json_t **ret_status)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind(group, kind), .user = apiserver_loopback_user(),
                         .field_manager = "test", .validation = FIELD_VALIDATION_STRICT, .internal = true};
    assert_non_null(c.res);
    json_t *obj = json_loads(json, 0, NULL);
    assert_non_null(obj);
    int code = 0;
    int rc = rest_create(&c, obj, ret_obj, &code, ret_status);
    json_decref(obj);
    return rc;
}

#define TOKEN_REVIEW "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"x\"}}"

static void test_rows_flag_virtual(void **state)
{
    (void)state;
    const struct resource_def *tr = resource_by_kind("authentication.k8s.io", "TokenReview");
    assert_non_null(tr);
    assert_true(tr->flags & RES_VIRTUAL);
    const struct resource_def *pod = resource_by_kind("", "Pod");
    assert_false(pod->flags & RES_VIRTUAL);
    assert_true(resource_subresource(pod, "eviction")->virtual_create);
    assert_true(resource_subresource(pod, "binding")->virtual_create);
    assert_false(resource_subresource(pod, "status")->virtual_create);
    const struct resource_def *sa = resource_by_kind("", "ServiceAccount");
    assert_true(resource_subresource(sa, "token")->virtual_create);
}

static void test_listed_handler_runs(void **state)
{
    struct test_apiserver *f = *state;
    f->srv.virtual_handlers = handlers;
    f->srv.nvirtual_handlers = sizeof(handlers) / sizeof(handlers[0]);
    json_t *obj = NULL, *st = NULL;
    assert_int_equal(create(f, "authentication.k8s.io", "TokenReview", TOKEN_REVIEW, &obj, &st), 0);
    assert_null(st);
    assert_int_equal(calls, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "status"), "resource")),
                        "tokenreviews");
    json_decref(obj);
}

static void test_lookup(void **state)
{
    struct test_apiserver *f = *state;
    f->srv.virtual_handlers = handlers;
    f->srv.nvirtual_handlers = sizeof(handlers) / sizeof(handlers[0]);
    const struct resource_def *pod = resource_by_kind("", "Pod");
    const struct resource_def *tr = resource_by_kind("authentication.k8s.io", "TokenReview");
    assert_ptr_equal(apiserver_virtual_handler(&f->srv, pod, "eviction"), fake_sub);
    assert_null(apiserver_virtual_handler(&f->srv, pod, "binding"));
    assert_null(apiserver_virtual_handler(&f->srv, pod, NULL));
    assert_ptr_equal(apiserver_virtual_handler(&f->srv, tr, NULL), fake_review);
    assert_null(apiserver_virtual_handler(&f->srv, tr, "eviction"));
    f->srv.nvirtual_handlers = 0;
    assert_null(apiserver_virtual_handler(&f->srv, pod, "eviction"));
}

static void test_unlisted_is_method_not_allowed(void **state)
{
    struct test_apiserver *f = *state;
    json_t *obj = NULL, *st = NULL;
    assert_int_equal(create(f, "authentication.k8s.io", "TokenReview", TOKEN_REVIEW, &obj, &st), AZ_EMETHOD);
    assert_null(obj);
    assert_int_equal(calls, 0);
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 405);
    assert_string_equal(json_string_value(json_object_get(st, "reason")), "MethodNotAllowed");
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_flag_virtual),
        cmocka_unit_test_setup_teardown(test_listed_handler_runs, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_lookup, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_unlisted_is_method_not_allowed, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
