/* typecheck_test.c — typed decoding texts (api/typecheck.c) against what Go's encoding/json,
 * base64.StdEncoding and the unstructured converter say for the same input, and the YAML
 * writer (util/yaml_out.c) against go-yaml v2's layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machinery/schema.h"
#include "machinery/typecheck.h"
#include "util/buf.h"
#include "machinery/yaml_out.h"

static void expect_decode(const char *kind, const char *body, enum typecheck_mode mode, const char *want)
{
    json_t *obj = json_loads(body, 0, NULL);
    assert_non_null(obj);
    char *err = typecheck_object(schema_for_kind("", "v1", kind), kind, obj, mode);
    if (want == NULL) {
        assert_null(err);
    } else {
        assert_non_null(err);
        assert_string_equal(err, want);
    }
    free(err);
    json_decref(obj);
}

static void test_json_mode(void **state)
{
    (void)state;
    expect_decode("ConfigMap", "{\"data\":{\"a\":1}}", TYPECHECK_JSON,
                  "json: cannot unmarshal number into Go struct field ConfigMap.data of type string");
    expect_decode("ConfigMap", "{\"data\":{\"a\":\"1\"},\"metadata\":{\"labels\":{\"a\":true}}}", TYPECHECK_JSON,
                  "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string");
    expect_decode("Pod", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":3000000000}]}]}}",
                  TYPECHECK_JSON,
                  "json: cannot unmarshal number 3000000000 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32");
    expect_decode("Pod", "{\"spec\":{\"terminationGracePeriodSeconds\":3000000000}}", TYPECHECK_JSON, NULL);
    expect_decode("Pod", "{\"spec\":{\"containers\":{}}}", TYPECHECK_JSON,
                  "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container");
    /* first error in document order */
    expect_decode("ConfigMap", "{\"data\":{\"a\":1},\"immutable\":\"x\"}", TYPECHECK_JSON,
                  "json: cannot unmarshal number into Go struct field ConfigMap.data of type string");
    /* an UnmarshalJSON error (metav1.Time) ends the decode and wins */
    expect_decode("ConfigMap", "{\"data\":{\"a\":1},\"metadata\":{\"creationTimestamp\":5}}", TYPECHECK_JSON,
                  "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string");
    expect_decode("Secret", "{\"data\":{\"a\":\"YWJj\",\"b\":\"YQ==\"}}", TYPECHECK_JSON, NULL);
    expect_decode("Secret", "{\"data\":{\"a\":1}}", TYPECHECK_JSON,
                  "json: cannot unmarshal number into Go struct field Secret.data of type []uint8");
    expect_decode("Secret", "{\"data\":{\"a\":\"YQ\"}}", TYPECHECK_JSON, "illegal base64 data at input byte 0");
    expect_decode("ConfigMap", "{\"data\":null,\"metadata\":{\"labels\":null}}", TYPECHECK_JSON, NULL);
}

static void test_unstructured_mode(void **state)
{
    (void)state;
    expect_decode("ConfigMap", "{\"data\":{\"a\":1}}", TYPECHECK_UNSTRUCTURED, "cannot convert int64 to string");
    expect_decode("ConfigMap", "{\"data\":{\"a\":1.5}}", TYPECHECK_UNSTRUCTURED, "cannot convert float64 to string");
    expect_decode("ConfigMap", "{\"metadata\":{\"labels\":[\"a\"]}}", TYPECHECK_UNSTRUCTURED, "cannot restore map from slice");
    expect_decode("Pod", "{\"spec\":\"x\"}", TYPECHECK_UNSTRUCTURED, "cannot restore struct from: string");
    expect_decode("Pod", "{\"spec\":{\"containers\":\"x\"}}", TYPECHECK_UNSTRUCTURED, "cannot restore slice from string");
    expect_decode("Secret", "{\"data\":{\"a\":\"%\"}}", TYPECHECK_UNSTRUCTURED,
                  "error decoding from json: illegal base64 data at input byte 0");
}

static void test_base64(void **state)
{
    (void)state;
    assert_int_equal(typecheck_base64_error("", 0), -1);
    assert_int_equal(typecheck_base64_error("YWJj", 4), -1);
    assert_int_equal(typecheck_base64_error("YW\nJj", 5), -1);
    assert_int_equal(typecheck_base64_error("YQ==", 4), -1);
    assert_int_equal(typecheck_base64_error("YQ", 2), 0);           /* missing padding */
    assert_int_equal(typecheck_base64_error("abc", 3), 0);
    assert_int_equal(typecheck_base64_error("not base64!", 11), 3);  /* the space */
    assert_int_equal(typecheck_base64_error("YQ=", 3), 3);           /* one '=' of two */
    assert_int_equal(typecheck_base64_error("YQ==YQ==", 8), 4);      /* trailing garbage */
    assert_int_equal(typecheck_base64_error("=", 1), 0);
}

static void test_go_format(void **state)
{
    (void)state;
    json_t *v = json_loads("{\"data\":{\"b\":[1,\"x\",true,null],\"a\":1.5}}", 0, NULL);
    char *s = typecheck_go_format(v);
    assert_string_equal(s, "map[data:map[a:1.5 b:[1 x true <nil>]]]");
    free(s);
    json_decref(v);
}

static void test_yaml(void **state)
{
    (void)state;
    json_t *v = json_loads("{\"kind\":\"X\",\"apiVersion\":\"v1\",\"data\":{\"num\":\"1\",\"t\":\"true\",\"s\":\"*\","
                           "\"m\":\"a\\nb\\n\",\"e\":\"\",\"k\":\"key: v\"},\"items\":[{\"b\":1,\"a\":[]},\"x\"],"
                           "\"o\":{},\"z\":null}", 0, NULL);
    struct buf b = BUF_INIT;
    assert_int_equal(yaml_write(&b, v), 0);
    assert_string_equal(b.data,
                        "apiVersion: v1\n"
                        "data:\n"
                        "  e: \"\"\n"
                        "  k: 'key: v'\n"
                        "  m: |\n"
                        "    a\n"
                        "    b\n"
                        "  num: \"1\"\n"
                        "  s: '*'\n"
                        "  t: \"true\"\n"
                        "items:\n"
                        "- a: []\n"
                        "  b: 1\n"
                        "- x\n"
                        "kind: X\n"
                        "o: {}\n"
                        "z: null\n");
    buf_release(&b);
    json_decref(v);
}

static void test_yaml_folding(void **state)
{
    (void)state;
    json_t *v = json_loads("{\"metadata\":{\"annotations\":{\"d\":\"Contains a CA bundle that can be used to "
                           "verify the kube-apiserver when using internal endpoints such as the internal "
                           "service IP\"}}}", 0, NULL);
    struct buf b = BUF_INIT;
    yaml_write(&b, v);
    assert_string_equal(b.data, "metadata:\n"
                                "  annotations:\n"
                                /* the break comes at the first space past column 80 */
                                "    d: Contains a CA bundle that can be used to verify the kube-apiserver when using\n"
                                "      internal endpoints such as the internal service IP\n");
    buf_release(&b);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_mode),  cmocka_unit_test(test_unstructured_mode),
        cmocka_unit_test(test_base64),     cmocka_unit_test(test_go_format),
        cmocka_unit_test(test_yaml),       cmocka_unit_test(test_yaml_folding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
