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

/* json_dumps_compact writes what json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) writes. */
static void same_as_jansson(json_t *v)
{
    size_t len = 0;
    char *fast = json_dumps_compact(v, &len);
    char *ref = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (ref == NULL) {
        assert_null(fast);
    } else {
        assert_non_null(fast);
        assert_string_equal(fast, ref);
        assert_int_equal(len, strlen(ref));
    }
    free(fast);
    free(ref);
}

static void test_dumps_compact(void **state)
{
    (void)state;
    static const char *docs[] = {
        "{}", "[]", "{\"a\":{},\"b\":[]}",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":true,\"b\":false,\"n\":null}}",
        "{\"s\":\"\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f <>&\"}",
        "{\"u\":\"\\u00e9\\u65e5\\ud83d\\ude00 \\u2028\"}",
        "[9223372036854775807,-9223372036854775808,0,-1]",
        "{\"r\":[1.5,1e300,0.1,-0.0,100.0]}",
        "{\"k\":\"v\\u0000x\"}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t err;
        json_t *v = json_loads(docs[i], JSON_ALLOW_NUL, &err);
        assert_non_null(v);
        same_as_jansson(v);
        json_decref(v);
    }
    /* the exact bytes, not only jansson's: upper-case \\u escapes, no spaces */
    json_t *v = json_pack("{s:s#}", "k", "a\x01\"", (size_t)3);
    char *s = json_dumps_compact(v, NULL);
    assert_string_equal(s, "{\"k\":\"a\\u0001\\\"\"}");
    free(s);
    json_decref(v);
    /* a scalar at the top: NULL, as json_dumps without JSON_ENCODE_ANY */
    v = json_string("x");
    same_as_jansson(v);
    json_decref(v);
    /* bad UTF-8 (a string made without the check): NULL, as jansson */
    v = json_pack("[o]", json_stringn_nocheck("\xff\xfe", 2));
    same_as_jansson(v);
    json_decref(v);
    /* deeper than the writer goes: jansson's own answer */
    json_t *deep = json_array();
    for (int i = 0; i < 600; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    same_as_jansson(deep);
    json_decref(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_dumps_compact),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_path_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
