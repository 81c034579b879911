/* limits_test.c — request intake checks: body media types as upstream's
 * NegotiateInputSerializerForMediaType (mime.ParseMediaType, exact type match, empty →
 * JSON) and request-target checks (origin form, %00). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/limits.h"

static enum http_body_format fmt(const char *ct)
{
    return http_body_format(ct, ct ? strlen(ct) : 0);
}

static void test_body_format(void **state)
{
    (void)state;
    assert_int_equal(fmt(NULL), HTTP_BODY_JSON);
    assert_int_equal(fmt(""), HTTP_BODY_JSON);
    assert_int_equal(fmt("application/json"), HTTP_BODY_JSON);
    assert_int_equal(fmt("Application/JSON"), HTTP_BODY_JSON);
    assert_int_equal(fmt("application/json; charset=utf-8"), HTTP_BODY_JSON);
    assert_int_equal(fmt("  application/json ;charset=utf-8"), HTTP_BODY_JSON);
    assert_int_equal(fmt("application/yaml"), HTTP_BODY_YAML);
    assert_int_equal(fmt("application/vnd.kubernetes.protobuf"), HTTP_BODY_PROTOBUF);
    assert_int_equal(fmt("application/jsonxyz"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("application/x-www-form-urlencoded"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("*/*"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("text/plain"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("application/"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("/json"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("application/json/x"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt("application json"), HTTP_BODY_UNSUPPORTED);
    assert_int_equal(fmt(";"), HTTP_BODY_UNSUPPORTED);
    /* a NUL inside the header value is not a token character */
    assert_int_equal(http_body_format("application/json\0x", 18), HTTP_BODY_UNSUPPORTED);
}

static void test_target(void **state)
{
    (void)state;
    assert_int_equal(http_target_check("/api/v1", 7), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("api/v1", 6), HTTP_TARGET_NOT_ORIGIN_FORM);
    assert_int_equal(http_target_check("", 0), HTTP_TARGET_NOT_ORIGIN_FORM);
    assert_int_equal(http_target_check("*", 1), HTTP_TARGET_NOT_ORIGIN_FORM);
    assert_int_equal(http_target_check("/api/v1/namespaces/a%00b", 24), HTTP_TARGET_NUL);
    assert_int_equal(http_target_check("/x%00", 5), HTTP_TARGET_NUL);
    assert_int_equal(http_target_check("/x?labelSelector=%00", 20), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("/x%0a", 5), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("/a\0b", 4), HTTP_TARGET_NUL);
    assert_int_equal(http_target_check("/x%", 3), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("/x%0", 4), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("/x%0?0", 6), HTTP_TARGET_OK);
    assert_int_equal(http_target_check("/%%00", 5), HTTP_TARGET_NUL);
    assert_int_equal(http_target_check("/a?b\0", 5), HTTP_TARGET_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_format),
        cmocka_unit_test(test_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
