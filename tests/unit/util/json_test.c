/* Unit tests for util/json.c: output must be byte-identical to Go's encoding/json
 * (Encoder.Encode for compact, MarshalIndent(v, "", "  ") for pretty). Expected strings are
 * what Go 1.23 prints for the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/json.h"

static void check(const char *in, bool pretty, const char *want)
{
    json_error_t err;
    json_t *v = json_loads(in, JSON_DECODE_ANY, &err);
    assert_non_null(v);
    char *got = json_dump_go(v, pretty, NULL);
    if (strcmp(got, want) != 0)
        fail_msg("input %s\n want [%s]\n got  [%s]", in, want, got);
    free(got);
    json_decref(v);
}

static void test_compact(void **state)
{
    check("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}", false, "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}\n");
    check("{}", false, "{}\n");
    check("[]", false, "[]\n");
    check("{\"metadata\":{}}", false, "{\"metadata\":{}}\n");
    /* key order is insertion order */
    check("{\"z\":1,\"a\":2}", false, "{\"z\":1,\"a\":2}\n");
}

static void test_html_escaping(void **state)
{
    check("\"<a href='x'>&</a>\"", false, "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\"\n");
    check("\"tab\\tnl\\ncr\\rq\\\"bs\\\\\"", false, "\"tab\\tnl\\ncr\\rq\\\"bs\\\\\"\n");
    check("\"\\u0001\\u001f\"", false, "\"\\u0001\\u001f\"\n");
    check("\"\\u2028\\u2029\"", false, "\"\\u2028\\u2029\"\n");
    check("\"日本\"", false, "\"日本\"\n");
    /* the seed's forbidden message survives unchanged */
    check("\"pods \\\"test\\\" is forbidden\"", false, "\"pods \\\"test\\\" is forbidden\"\n");
}

static void test_pretty(void **state)
{
    check("{\"kind\":\"Status\",\"metadata\":{},\"details\":{\"name\":\"test\",\"kind\":\"pods\"},\"code\":403}", true,
          "{\n  \"kind\": \"Status\",\n  \"metadata\": {},\n  \"details\": {\n    \"name\": \"test\",\n    \"kind\": \"pods\"\n  },\n  \"code\": 403\n}");
    check("{\"a\":[1,{\"b\":[]}]}", true, "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ]\n}");
    check("[]", true, "[]");
}

static void test_numbers(void **state)
{
    check("[0,-1,9007199254740993]", false, "[0,-1,9007199254740993]\n");
    check("[1.5,0.1,100.25]", false, "[1.5,0.1,100.25]\n");
    check("[1e21,1e-7]", false, "[1e+21,1e-07]\n");
}

static void test_invalid_utf8(void **state)
{
    json_t *s = json_stringn_nocheck("a\xff" "b", 3);
    char *got = json_dump_go(s, false, NULL);
    assert_string_equal(got, "\"a\\ufffdb\"\n");
    free(got);
    json_decref(s);
}

static void test_path_helpers(void **state)
{
    json_t *o = json_loads("{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"b\"}}}", 0, NULL);
    assert_string_equal(json_path_str(o, "metadata.name"), "x");
    assert_string_equal(json_path_str(o, "metadata.labels.a"), "b");
    assert_null(json_path(o, "metadata.missing.deeper"));
    assert_null(json_path_str(o, "metadata.labels"));
    json_t *spec = json_obj_ensure(o, "spec");
    assert_true(json_is_object(spec));
    assert_ptr_equal(json_obj_ensure(o, "spec"), spec);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_path_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
