/* Unit tests for api/status.c against the exact Status JSON of spec/06-http-errors.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "machinery/status.h"
#include "authz/authz.h"
#include "util/json.h"

static void expect(json_t *status, const char *want)
{
    char *got = json_dump_go(status, false, NULL);
    size_t n = strlen(got);
    if (n && got[n - 1] == '\n')
        got[n - 1] = '\0';
    if (strcmp(got, want) != 0)
        fail_msg("\n want %s\n got  %s", want, got);
    free(got);
    json_decref(status);
}

static void test_unauthorized(void **state)
{
    expect(status_unauthorized(),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
}

static void test_not_found(void **state)
{
    expect(status_not_found("", "serviceaccounts", "runner"),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"serviceaccounts \\\"runner\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"runner\",\"kind\":\"serviceaccounts\"},\"code\":404}");
    expect(status_not_found("rbac.authorization.k8s.io", "roles", "job-runner"),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"roles.rbac.authorization.k8s.io \\\"job-runner\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"job-runner\",\"group\":\"rbac.authorization.k8s.io\",\"kind\":\"roles\"},\"code\":404}");
    expect(status_not_found_path(),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server could not find the requested resource\",\"reason\":\"NotFound\",\"details\":{},\"code\":404}");
}

static void test_conflict_exists(void **state)
{
    expect(status_already_exists("", "serviceaccounts", "runner"),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"serviceaccounts \\\"runner\\\" already exists\",\"reason\":\"AlreadyExists\",\"details\":{\"name\":\"runner\",\"kind\":\"serviceaccounts\"},\"code\":409}");
    expect(status_conflict("", "configmaps", "c", NULL),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Operation cannot be fulfilled on configmaps \\\"c\\\": the object has been modified; please apply your changes to the latest version and try again\",\"reason\":\"Conflict\",\"details\":{\"name\":\"c\",\"kind\":\"configmaps\"},\"code\":409}");
}

static void test_seed_forbidden(void **state)
{
    struct user_info u = {.name = "system:serviceaccount:lab:default"};
    struct authz_attrs a = {.user = &u, .verb = "get", .is_resource = true, .ns = "default",
                            .group = "", .version = "v1", .resource = "pods", .name = "test"};
    expect(authz_forbidden_status(&a, NULL),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"pods \\\"test\\\" is forbidden: User \\\"system:serviceaccount:lab:default\\\" cannot get resource \\\"pods\\\" in API group \\\"\\\" in the namespace \\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"test\",\"kind\":\"pods\"},\"code\":403}");
    struct user_info anon = {.name = "system:anonymous"};
    struct authz_attrs n = {.user = &anon, .verb = "get", .is_resource = false, .path = "/"};
    expect(authz_forbidden_status(&n, NULL),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/\\\"\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}");
    struct authz_attrs j = {.user = &u, .verb = "create", .is_resource = true, .ns = "lab",
                            .group = "batch", .version = "v1", .resource = "jobs"};
    json_t *s = authz_forbidden_status(&j, NULL);
    assert_string_equal(json_str(s, "message"),
                        "jobs.batch is forbidden: User \"system:serviceaccount:lab:default\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"lab\"");
    json_decref(s);
}

static void test_too_large_and_internal(void **state)
{
    expect(status_too_large(),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Request entity too large: limit is 3145728\",\"reason\":\"RequestEntityTooLarge\",\"code\":413}");
    expect(status_method_not_allowed(),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"the server does not allow this method on the requested resource\",\"reason\":\"MethodNotAllowed\",\"details\":{},\"code\":405}");
    expect(status_internal("boom"),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Internal error occurred: boom\",\"reason\":\"InternalError\",\"details\":{\"causes\":[{\"message\":\"boom\"}]},\"code\":500}");
}

static void test_invalid(void **state)
{
    struct field_errors fe;
    field_errors_init(&fe);
    json_t *v = json_integer(60);
    field_errors_add(&fe, FIELD_INVALID, "spec.expirationSeconds", v,
                     "may not specify a duration less than 10 minutes");
    json_decref(v);
    json_t *s = status_invalid("authentication.k8s.io", "TokenRequest", "", &fe);
    assert_string_equal(json_str(s, "message"),
                        "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes");
    json_t *cause = json_array_get(json_path(s, "details.causes"), 0);
    assert_string_equal(json_str(cause, "reason"), "FieldValueInvalid");
    assert_string_equal(json_str(cause, "field"), "spec.expirationSeconds");
    assert_int_equal(status_code(s), 422);
    json_decref(s);
    field_errors_release(&fe);
}

static void test_success_delete(void **state)
{
    expect(status_success_deleted("", "configmaps", "x", "u-1"),
           "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":{\"name\":\"x\",\"kind\":\"configmaps\",\"uid\":\"u-1\"}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unauthorized),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_conflict_exists),
        cmocka_unit_test(test_seed_forbidden),
        cmocka_unit_test(test_too_large_and_internal),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_success_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
