/* field_test.c — rendering of field errors as upstream apimachinery
 * pkg/util/validation/field/errors.go (ErrorBody, Error, ToAggregate) and Go's fmt print them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machinery/field.h"
#include "util/buf.h"

static void expect_single(enum field_error_type t, const char *field, json_t *v,
                          const char *detail, const char *want)
{
    struct field_errors fe;
    field_errors_init(&fe);
    field_errors_add(&fe, t, field, v, detail);
    char *s = field_error_string(&fe.items[0]);
    assert_string_equal(s, want);
    free(s);
    field_errors_release(&fe);
}

static char *render(json_t *v)
{
    struct buf b = BUF_INIT;
    field_value_render(&b, v);
    json_decref(v);
    return buf_detach(&b, NULL);
}

static void test_types(void **state)
{
    json_t *s = json_string("Bad_Name");
    /* field.Invalid: "<field>: Invalid value: %q: detail" */
    expect_single(FIELD_INVALID, "metadata.name", s, "bad", "metadata.name: Invalid value: \"Bad_Name\": bad");
    /* field.Required prints no value */
    expect_single(FIELD_REQUIRED, "metadata.name", NULL, "name or generateName is required",
                  "metadata.name: Required value: name or generateName is required");
    expect_single(FIELD_REQUIRED, "spec.containers", NULL, NULL, "spec.containers: Required value");
    expect_single(FIELD_FORBIDDEN, "metadata.namespace", s, "not allowed on this type",
                  "metadata.namespace: Forbidden: not allowed on this type");
    expect_single(FIELD_TOO_LONG, "metadata.annotations", s, "must have at most 262144 bytes",
                  "metadata.annotations: Too long: must have at most 262144 bytes");
    expect_single(FIELD_INTERNAL, "x", s, "boom", "x: Internal error: boom");
    expect_single(FIELD_DUPLICATE, "spec.containers[1].name", s, NULL,
                  "spec.containers[1].name: Duplicate value: \"Bad_Name\"");
    expect_single(FIELD_NOT_FOUND, "spec.containers[0].volumeMounts[0].name", s, NULL,
                  "spec.containers[0].volumeMounts[0].name: Not found: \"Bad_Name\"");
    json_t *five = json_integer(5);
    expect_single(FIELD_TOO_MANY, "rules", five, "must have at most 3 items",
                  "rules: Too many: 5: must have at most 3 items");
    /* omitValue: TooMany without a value prints the type only */
    expect_single(FIELD_TOO_MANY, "rules", NULL, "has too many items", "rules: Too many: has too many items");
    json_t *null = json_null();
    expect_single(FIELD_INVALID, "spec.resourceAttributes", null,
                  "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                  "spec.resourceAttributes: Invalid value: null: exactly one of "
                  "nonResourceAttributes or resourceAttributes must be specified");
    json_t *sixty = json_integer(60);
    /* spec 06 §6.8 example */
    expect_single(FIELD_INVALID, "spec.expirationSeconds", sixty,
                  "may not specify a duration less than 10 minutes",
                  "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes");
    json_decref(s);
    json_decref(five);
    json_decref(sixty);
}

static void test_not_supported(void **state)
{
    static const char *const sup[] = {"Always", "OnFailure", "Never", NULL};
    struct field_errors fe;
    field_errors_init(&fe);
    json_t *v = json_string("Sometimes");
    field_errors_add_not_supported(&fe, "spec.restartPolicy", v, sup);
    json_decref(v);
    char *s = field_error_string(&fe.items[0]);
    assert_string_equal(s, "spec.restartPolicy: Unsupported value: \"Sometimes\": supported "
                           "values: \"Always\", \"OnFailure\", \"Never\"");
    char *body = field_error_body(&fe.items[0]);
    assert_string_equal(body, "Unsupported value: \"Sometimes\": supported values: \"Always\", "
                              "\"OnFailure\", \"Never\"");
    assert_string_equal(field_error_reason(fe.items[0].type), "FieldValueNotSupported");
    free(s);
    free(body);
    field_errors_release(&fe);
}

static void test_quote(void **state)
{
    char *r;
    r = render(json_string("a\"b\\c"));
    assert_string_equal(r, "\"a\\\"b\\\\c\"");
    free(r);
    r = render(json_string("l1\nl2\t\x01\x7f"));
    assert_string_equal(r, "\"l1\\nl2\\t\\x01\\x7f\"");
    free(r);
    r = render(json_string("\a\b\f\r\v"));
    assert_string_equal(r, "\"\\a\\b\\f\\r\\v\"");
    free(r);
    /* printable UTF-8 stays; U+00A0 (not IsPrint) and U+FEFF escape as \u */
    r = render(json_string("h\xc3\xa9 \xc2\xa0\xef\xbb\xbf"));
    assert_string_equal(r, "\"h\xc3\xa9 \\u00a0\\ufeff\"");
    free(r);
    /* plane-15 private use -> \U */
    r = render(json_string("\xf3\xb0\x80\x80"));
    assert_string_equal(r, "\"\\U000f0000\"");
    free(r);
    /* invalid UTF-8 byte (only reachable via field_quote_go) */
    struct buf b = BUF_INIT;
    field_quote_go(&b, "a\xffz", 3);
    assert_string_equal(b.data, "\"a\\xffz\"");
    buf_release(&b);
}

static void test_values(void **state)
{
    char *r;
    r = render(json_integer(-42));
    assert_string_equal(r, "-42");
    free(r);
    r = render(json_true());
    assert_string_equal(r, "true");
    free(r);
    r = render(json_false());
    assert_string_equal(r, "false");
    free(r);
    r = render(json_null());
    assert_string_equal(r, "null");
    free(r);
    /* Go %v of float64: strconv 'g', shortest */
    r = render(json_real(1.5));
    assert_string_equal(r, "1.5");
    free(r);
    r = render(json_real(100000.0));
    assert_string_equal(r, "100000");
    free(r);
    r = render(json_real(1e6));
    assert_string_equal(r, "1e+06");
    free(r);
    r = render(json_real(0.0001));
    assert_string_equal(r, "0.0001");
    free(r);
    r = render(json_real(0.00001));
    assert_string_equal(r, "1e-05");
    free(r);
    r = render(json_real(123456789.0));
    assert_string_equal(r, "1.23456789e+08");
    free(r);
    r = render(json_real(0.1));
    assert_string_equal(r, "0.1");
    free(r);
    /* Go %#v of []string and map[string]string (keys sorted) */
    r = render(json_pack("[ss]", "/healthz", "/a\"b"));
    assert_string_equal(r, "[]string{\"/healthz\", \"/a\\\"b\"}");
    free(r);
    r = render(json_pack("{ss ss}", "b", "2", "a", "1"));
    assert_string_equal(r, "map[string]string{\"a\":\"1\", \"b\":\"2\"}");
    free(r);
}

static void test_aggregate(void **state)
{
    struct field_errors fe;
    field_errors_init(&fe);
    char *a = field_errors_aggregate(&fe);
    assert_string_equal(a, "");
    free(a);
    field_errors_add(&fe, FIELD_REQUIRED, "spec.containers", NULL, NULL);
    a = field_errors_aggregate(&fe);
    assert_string_equal(a, "spec.containers: Required value");
    free(a);
    /* the same message twice prints once (ToAggregate dedup), still alone */
    field_errors_add(&fe, FIELD_REQUIRED, "spec.containers", NULL, NULL);
    a = field_errors_aggregate(&fe);
    assert_string_equal(a, "spec.containers: Required value");
    free(a);
    json_t *v = json_string("x");
    field_errors_addf(&fe, FIELD_INVALID, v, "bad", "spec.x[%d]", 3);
    field_errors_add(&fe, FIELD_REQUIRED, "spec.containers", NULL, NULL);
    json_decref(v);
    a = field_errors_aggregate(&fe);
    assert_string_equal(a, "[spec.containers: Required value, spec.x[3]: Invalid value: \"x\": bad]");
    free(a);
    assert_int_equal(fe.n, 4);
    field_errors_add_raw(&fe, FIELD_INVALID, "roleRef",
                         "rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"a\"}",
                         "cannot change roleRef");
    char *s = field_error_string(&fe.items[4]);
    assert_string_equal(s, "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
                           "Kind:\"Role\", Name:\"a\"}: cannot change roleRef");
    free(s);
    field_errors_release(&fe);
    field_errors_release(&fe);
}

static void test_reasons(void **state)
{
    assert_string_equal(field_error_reason(FIELD_REQUIRED), "FieldValueRequired");
    assert_string_equal(field_error_reason(FIELD_INVALID), "FieldValueInvalid");
    assert_string_equal(field_error_reason(FIELD_FORBIDDEN), "FieldValueForbidden");
    assert_string_equal(field_error_reason(FIELD_DUPLICATE), "FieldValueDuplicate");
    assert_string_equal(field_error_reason(FIELD_TOO_LONG), "FieldValueTooLong");
    assert_string_equal(field_error_reason(FIELD_TOO_MANY), "FieldValueTooMany");
    assert_string_equal(field_error_reason(FIELD_NOT_FOUND), "FieldValueNotFound");
    assert_string_equal(field_error_reason(FIELD_INTERNAL), "InternalError");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),     cmocka_unit_test(test_not_supported),
        cmocka_unit_test(test_quote),     cmocka_unit_test(test_values),
        cmocka_unit_test(test_aggregate), cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
