/* patch_test.c — table-driven tests of api/patch.c and api/smpatch.c: RFC 6902 appendix A,
 * RFC 7386 appendix A, evanphx/json-patch v4 error texts, Go encoding/json syntax errors,
 * strategic merge patch as kubectl apply / kubectl patch send it (local schema and the real
 * Pod/Job/Role/RoleBinding schemas). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "machinery/patch.h"
#include "registry/resource.h"
#include "machinery/schema.h"
#include "util/err.h"

/* ---- a small local schema (same structs as api/schema.h) --------------------------------- */

static const struct schema_node s_string = {.type = SCHEMA_STRING};
static const struct schema_node s_int = {.type = SCHEMA_INTEGER};
static const struct schema_node s_strmap = {.type = SCHEMA_MAP, .items = &s_string};
static const struct schema_node s_any = {.type = SCHEMA_ANY};

static const struct schema_field f_port[] = {{"containerPort", &s_int}, {"name", &s_string}, {NULL, NULL}};
static const struct schema_node s_port = {.type = SCHEMA_OBJECT, .fields = f_port};
static const struct schema_field f_env[] = {{"name", &s_string}, {"value", &s_string}, {NULL, NULL}};
static const struct schema_node s_env = {.type = SCHEMA_OBJECT, .fields = f_env};
static const struct schema_node s_ports = {.type = SCHEMA_ARRAY, .items = &s_port,
                                           .patch_merge_key = "containerPort", .patch_strategy = "merge"};
static const struct schema_node s_envs = {.type = SCHEMA_ARRAY, .items = &s_env,
                                          .patch_merge_key = "name", .patch_strategy = "merge"};
static const struct schema_node s_strings = {.type = SCHEMA_ARRAY, .items = &s_string};
static const struct schema_field f_container[] = {
    {"name", &s_string}, {"image", &s_string}, {"ports", &s_ports}, {"env", &s_envs},
    {"args", &s_strings}, {NULL, NULL}};
static const struct schema_node s_container = {.type = SCHEMA_OBJECT, .ref_name = "io.k8s.api.core.v1.Container",
                                               .fields = f_container};
static const struct schema_node s_containers = {.type = SCHEMA_ARRAY, .items = &s_container,
                                                .patch_merge_key = "name", .patch_strategy = "merge"};
static const struct schema_field f_hostpath[] = {{"path", &s_string}, {NULL, NULL}};
static const struct schema_node s_hostpath = {.type = SCHEMA_OBJECT, .fields = f_hostpath};
static const struct schema_field f_volume[] = {
    {"name", &s_string}, {"hostPath", &s_hostpath}, {"emptyDir", &s_any}, {NULL, NULL}};
static const struct schema_node s_volume = {.type = SCHEMA_OBJECT, .fields = f_volume};
static const struct schema_node s_volumes = {.type = SCHEMA_ARRAY, .items = &s_volume,
                                             .patch_merge_key = "name", .patch_strategy = "merge,retainKeys"};
static const struct schema_field f_spec[] = {
    {"containers", &s_containers}, {"volumes", &s_volumes}, {"securityContext", &s_any},
    {"nodeSelector", &s_strmap}, {NULL, NULL}};
static const struct schema_node s_spec = {.type = SCHEMA_OBJECT, .fields = f_spec};
static const struct schema_node s_finalizers = {.type = SCHEMA_ARRAY, .items = &s_string,
                                                .patch_strategy = "merge"};
static const struct schema_field f_meta[] = {
    {"name", &s_string}, {"labels", &s_strmap}, {"annotations", &s_strmap},
    {"finalizers", &s_finalizers}, {NULL, NULL}};
static const struct schema_node s_meta = {.type = SCHEMA_OBJECT, .fields = f_meta};
static const struct schema_field f_rule[] = {{"verbs", &s_strings}, {"resources", &s_strings}, {NULL, NULL}};
static const struct schema_node s_rule = {.type = SCHEMA_OBJECT, .fields = f_rule};
static const struct schema_node s_rules = {.type = SCHEMA_ARRAY, .items = &s_rule, .list_type = "atomic"};
static const struct schema_field f_root[] = {
    {"apiVersion", &s_string}, {"kind", &s_string}, {"metadata", &s_meta}, {"spec", &s_spec},
    {"rules", &s_rules}, {NULL, NULL}};
static const struct schema_node s_root = {.type = SCHEMA_OBJECT, .fields = f_root};

/* ---- case runner ------------------------------------------------------------------------ */

struct pcase {
    const char *name;
    enum patch_type type;
    const char *original;
    const char *patch;
    const char *expected; /* JSON, or NULL when an error is expected */
    int code;             /* expected error code when expected is NULL */
    const char *err;      /* exact expected *ret_err, or NULL to skip the check */
};

static json_t *must_parse(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (v == NULL)
        fail_msg("bad test JSON %s: %s", s, e.text);
    return v;
}

static void run_case(const struct pcase *c, const struct schema_node *schema)
{
    json_t *orig = must_parse(c->original);
    char *before = json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT);
    json_t *ret = NULL;
    char *err = NULL;
    int rc = patch_apply(c->type, schema, orig, c->patch, strlen(c->patch), &ret, &err);
    if (c->expected != NULL) {
        if (rc != 0)
            fail_msg("%s: rc=%d err=%s", c->name, rc, err);
        json_t *want = must_parse(c->expected);
        if (!json_equal(ret, want)) {
            char *got = json_dumps(ret, JSON_COMPACT);
            fail_msg("%s:\n got  %s\n want %s", c->name, got, c->expected);
        }
        json_decref(want);
        json_decref(ret);
    } else {
        if (rc != c->code)
            fail_msg("%s: rc=%d want %d (err=%s)", c->name, rc, c->code, err ? err : "(null)");
        assert_null(ret);
        assert_non_null(err);
        if (c->err != NULL && strcmp(err, c->err) != 0)
            fail_msg("%s:\n got  err %s\n want err %s", c->name, err, c->err);
        free(err);
    }
    char *after = json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT);
    if (strcmp(before, after) != 0)
        fail_msg("%s: original was modified", c->name);
    free(before);
    free(after);
    json_decref(orig);
}

static void run_cases(const struct pcase *cases, size_t n, const struct schema_node *schema)
{
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i], schema);
}

#define J PATCH_TYPE_JSON
#define M PATCH_TYPE_MERGE
#define S PATCH_TYPE_STRATEGIC

/* ---- RFC 6902 appendix A ---------------------------------------------------------------- */

static const struct pcase rfc6902[] = {
    {"A.1 add member", J, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
     "{\"baz\":\"qux\",\"foo\":\"bar\"}"},
    {"A.2 add element", J, "{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
     "{\"foo\":[\"bar\",\"qux\",\"baz\"]}"},
    {"A.3 remove member", J, "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
     "{\"foo\":\"bar\"}"},
    {"A.4 remove element", J, "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
     "{\"foo\":[\"bar\",\"baz\"]}"},
    {"A.5 replace", J, "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
     "{\"baz\":\"boo\",\"foo\":\"bar\"}"},
    {"A.6 move value", J, "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
     "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
     "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}"},
    {"A.7 move element", J, "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
     "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]", "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}"},
    {"A.8 test ok", J, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
     "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
     "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}"},
    {"A.9 test error", J, "{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL,
     AZ_EINVALID, "testing value /baz failed: test failed"},
    {"A.10 add nested", J, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
     "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}"},
    {"A.11 ignore unknown members", J, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]", "{\"foo\":\"bar\",\"baz\":\"qux\"}"},
    {"A.12 add to nonexistent target", J, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
     NULL, AZ_EINVALID, "add operation does not apply: doc is missing path: \"/baz/bat\": missing value"},
    {"A.13 duplicate op member: last wins (Go)", J, "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]", NULL, AZ_EINVALID,
     "error in remove for path: '/baz': Unable to remove nonexistent key: baz: missing value"},
    {"A.14 ~ escaping", J, "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
     "{\"/\":9,\"~1\":10}"},
    {"A.15 string vs number", J, "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
     NULL, AZ_EINVALID, "testing value /~01 failed: test failed"},
    {"A.16 add array value", J, "{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
     "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}"},
};

static void test_rfc6902(void **state)
{
    run_cases(rfc6902, sizeof(rfc6902) / sizeof(rfc6902[0]), NULL);
}

/* ---- JSON patch: evanphx v4 behaviour and error texts ------------------------------------ */

static const struct pcase jsonpatch[] = {
    {"copy", J, "{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
     "{\"a\":{\"b\":1},\"c\":{\"b\":1}}"},
    {"~1 in path", J, "{\"metadata\":{\"labels\":{}}}",
     "[{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1name\",\"value\":\"x\"}]",
     "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"}}}"},
    {"negative index (v4 SupportNegativeIndices)", J, "{\"a\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/a/-1\"}]",
     "{\"a\":[1,2]}"},
    {"replace of a missing object key adds it (v4)", J, "{\"a\":1}",
     "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}"},
    {"root replace", J, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}"},
    {"null body is no patch", J, "{\"a\":1}", "null", "{\"a\":1}"},
    {"empty list", J, "{\"a\":1}", "[]", "{\"a\":1}"},
    {"test null matches missing", J, "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/b\",\"value\":null}]", "{\"a\":1}"},
    {"add index out of range", J, "{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/5\",\"value\":2}]", NULL,
     AZ_EINVALID, "error in add for path: '/foo/5': Unable to access invalid index: 5: invalid index referenced"},
    {"add bad index", J, "{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/x\",\"value\":2}]", NULL, AZ_EINVALID,
     "error in add for path: '/foo/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax"},
    {"remove missing key", J, "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL, AZ_EINVALID,
     "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value"},
    {"remove missing parent", J, "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/x/y\"}]", NULL, AZ_EINVALID,
     "remove operation does not apply: doc is missing path: \"/x/y\": missing value"},
    {"replace missing parent", J, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/x/y\",\"value\":1}]", NULL,
     AZ_EINVALID, "replace operation does not apply: doc is missing path: /x/y: missing value"},
    {"replace bad index", J, "{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/3\",\"value\":1}]", NULL, AZ_EINVALID,
     "replace operation does not apply: doc is missing key: /a/3: missing value"},
    {"move from missing", J, "{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/x/y\",\"path\":\"/b\"}]", NULL, AZ_EINVALID,
     "move operation does not apply: doc is missing from path: /x/y: missing value"},
    {"copy to missing", J, "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/x/y\"}]", NULL, AZ_EINVALID,
     "copy operation does not apply: doc is missing destination path: /x/y: missing value"},
    {"test missing parent", J, "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/x/y\",\"value\":1}]", NULL, AZ_EINVALID,
     "test operation does not apply: is missing path: /x/y: missing value"},
    {"unknown op", J, "{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, AZ_EINVALID, "Unexpected kind: frob"},
    {"missing op", J, "{\"a\":1}", "[{\"path\":\"/a\"}]", NULL, AZ_EINVALID, "Unexpected kind: unknown"},
    {"missing path", J, "{\"a\":1}", "[{\"op\":\"add\",\"value\":1}]", NULL, AZ_EINVALID,
     "add operation failed to decode path: missing value"},
    {"ops applied in order, failure discards all", J, "{\"a\":1}",
     "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", NULL,
     AZ_EINVALID, "testing value /a failed: test failed"},
    {"body is an object", J, "{\"a\":1}", "{\"op\":\"add\"}", NULL, AZ_EBADREQUEST,
     "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"},
    {"op of wrong type", J, "{\"a\":1}", "[{\"op\":1}]", NULL, AZ_EBADREQUEST,
     "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"},
    {"invalid JSON", J, "{\"a\":1}", "[{\"op\":", NULL, AZ_EBADREQUEST,
     "error decoding patch: unexpected end of JSON input"},
    {"result not an object", J, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", NULL, AZ_EINVALID,
     NULL},
    {"kubectl patch --type=json on a pod image", J,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\"}]}}",
     "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"nginx:2\"}]",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:2\"}]}}"},
};

static void test_jsonpatch(void **state)
{
    run_cases(jsonpatch, sizeof(jsonpatch) / sizeof(jsonpatch[0]), NULL);
}

static void test_jsonpatch_limits(void **state)
{
    /* 10001 operations: 413 with upstream's text */
    size_t n = PATCH_MAX_JSON_OPS + 1;
    const char *op = "{\"op\":\"test\",\"path\":\"/a\",\"value\":1},";
    size_t oplen = strlen(op);
    char *body = malloc(n * oplen + 2);
    assert_non_null(body);
    body[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy(body + 1 + i * oplen, op, oplen);
    body[n * oplen] = ']';
    body[n * oplen + 1] = '\0';
    json_t *orig = must_parse("{\"a\":1}"), *ret = NULL;
    char *err = NULL;
    assert_int_equal(patch_apply(J, NULL, orig, body, strlen(body), &ret, &err), AZ_ETOOLARGE);
    assert_string_equal(err, "The allowed maximum operations in a JSON patch is 10000, got 10001");
    free(err);
    err = NULL;
    /* exactly 10000 is accepted */
    body[(n - 1) * oplen] = ']';
    assert_int_equal(patch_apply(J, NULL, orig, body, (n - 1) * oplen + 1, &ret, &err), 0);
    json_decref(ret);
    free(body);

    /* copy amplification is bounded by the accumulated copy size */
    const char *grow = "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"},";
    size_t glen = strlen(grow), gn = 40;
    body = malloc(gn * glen + 2);
    body[0] = '[';
    for (size_t i = 0; i < gn; i++)
        memcpy(body + 1 + i * glen, grow, glen);
    body[gn * glen] = ']';
    json_t *o2 = must_parse("{\"a\":[\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}");
    ret = NULL;
    int rc = patch_apply(J, NULL, o2, body, gn * glen + 1, &ret, &err);
    assert_int_equal(rc, AZ_EINVALID);
    assert_non_null(strstr(err, "Unable to complete the copy, the accumulated size increase of copy is"));
    free(err);
    free(body);
    json_decref(o2);

    /* nesting depth of the body is bounded */
    size_t depth = PATCH_MAX_DEPTH + 10;
    body = malloc(2 * depth + 1);
    memset(body, '[', depth);
    memset(body + depth, ']', depth);
    err = NULL;
    assert_int_equal(patch_apply(M, NULL, orig, body, 2 * depth, &ret, &err), AZ_EBADREQUEST);
    assert_string_equal(err, "error decoding patch: exceeded max depth");
    free(err);
    free(body);
    json_decref(orig);
}

/* ---- RFC 7386 appendix A ---------------------------------------------------------------- */

static const struct pcase rfc7386[] = {
    {"1", M, "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"2", M, "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
    {"3", M, "{\"a\":\"b\"}", "{\"a\":null}", "{}"},
    {"4", M, "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
    {"5", M, "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"6", M, "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
    {"7", M, "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
    {"8", M, "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
    {"13", M, "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
    {"15", M, "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    {"nulls pruned in new values (evanphx)", M, "{}", "{\"a\":[1,null,{\"x\":null,\"y\":2}]}",
     "{\"a\":[1,{\"y\":2}]}"},
    {"labels via merge patch", M, "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
     "{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}}}", "{\"metadata\":{\"labels\":{\"b\":\"2\",\"c\":\"3\"}}}"},
    {"lists replaced", M, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}", "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}"},
    {"null body", M, "{\"a\":\"foo\"}", "null", NULL, AZ_EBADREQUEST, "Invalid JSON Patch"},
    {"string body", M, "{\"a\":\"foo\"}", "\"bar\"", NULL, AZ_EBADREQUEST,
     "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"},
    {"array body", M, "{\"a\":\"foo\"}", "[\"c\"]", NULL, AZ_EBADREQUEST,
     "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"},
};

static void test_rfc7386(void **state)
{
    run_cases(rfc7386, sizeof(rfc7386) / sizeof(rfc7386[0]), NULL);
}

static void test_merge_value_non_object(void **state)
{
    /* RFC 7386 cases whose target or patch is not an object, via the lower-level entry */
    json_t *doc = must_parse("[1,2]"), *patch = must_parse("{\"a\":\"b\",\"c\":null}");
    json_t *out = patch_merge_value(doc, patch), *want = must_parse("{\"a\":\"b\"}");
    assert_true(json_equal(out, want));
    json_decref(out);
    json_decref(want);
    json_decref(patch);
    patch = must_parse("[\"c\",\"d\"]");
    out = patch_merge_value(doc, patch);
    assert_true(json_equal(out, patch));
    json_decref(out);
    json_decref(patch);
    json_decref(doc);
}

/* ---- Go encoding/json syntax error texts ------------------------------------------------ */

static const struct pcase syntax[] = {
    {"empty", M, "{}", "", NULL, AZ_EBADREQUEST, "error decoding patch: unexpected end of JSON input"},
    {"bare word", M, "{}", "x", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character 'x' looking for beginning of value"},
    {"after key", M, "{}", "{\"a\" 1}", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '1' after object key"},
    {"after pair", M, "{}", "{\"a\":1 \"b\":2}", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '\"' after object key:value pair"},
    {"single quotes", M, "{}", "{'a':1}", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '\\'' looking for beginning of object key string"},
    {"trailing comma", M, "{}", "{\"a\":1,}", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '}' looking for beginning of object key string"},
    {"array element", M, "{}", "[1 2]", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '2' after array element"},
    {"top level", M, "{}", "{} x", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character 'x' after top-level value"},
    {"truncated literal", M, "{}", "tru", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character ' ' in literal true (expecting 'e')"},
    {"bad literal", M, "{}", "nul!", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '!' in literal null (expecting 'l')"},
    {"minus", M, "{}", "-x", NULL, AZ_EBADREQUEST, "error decoding patch: invalid character 'x' in numeric literal"},
    {"decimal point", M, "{}", "{\"a\":1.}", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '}' after decimal point in numeric literal"},
    {"escape", M, "{}", "\"\\q\"", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character 'q' in string escape code"},
    {"control char", M, "{}", "\"a\nb\"", NULL, AZ_EBADREQUEST,
     "error decoding patch: invalid character '\\n' in string literal"},
    {"strategic has no prefix", S, "{}", "{\"a\":", NULL, AZ_EBADREQUEST, "unexpected end of JSON input"},
    {"strategic array body", S, "{}", "[1]", NULL, AZ_EBADREQUEST,
     "json: cannot unmarshal array into Go value of type map[string]interface {}"},
};

static void test_syntax_errors(void **state)
{
    run_cases(syntax, sizeof(syntax) / sizeof(syntax[0]), NULL);
}

/* ---- strategic merge patch, local schema ------------------------------------------------ */

#define POD2 \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"a\",\"tier\":\"web\"}," \
    "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"old\"},\"finalizers\":[\"f1\",\"f2\"]}," \
    "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\",\"ports\":[{\"containerPort\":80}]," \
    "\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]},{\"name\":\"b\",\"image\":\"busybox\"}]," \
    "\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]}}"

static const struct pcase strategic[] = {
    {"kubectl apply: image change with $setElementOrder + last-applied annotation", S, POD2,
     "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"new\"}},"
     "\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
     "\"containers\":[{\"image\":\"nginx:2\",\"name\":\"a\"}]}}",
     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"a\",\"tier\":\"web\"},"
     "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"new\"},\"finalizers\":[\"f1\",\"f2\"]},"
     "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:2\",\"ports\":[{\"containerPort\":80}],"
     "\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"2\"}]},{\"name\":\"b\",\"image\":\"busybox\"}],"
     "\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]}}"},
    {"labels: add one, remove one", S, "{\"metadata\":{\"labels\":{\"app\":\"a\",\"tier\":\"web\"}}}",
     "{\"metadata\":{\"labels\":{\"new\":\"x\",\"tier\":null}}}", "{\"metadata\":{\"labels\":{\"app\":\"a\",\"new\":\"x\"}}}"},
    {"new container without $setElementOrder goes first", S,
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"},{\"name\":\"a\"},{\"name\":\"b\"}]}}"},
    {"new container placed by $setElementOrder", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"c\"},{\"name\":\"b\"}],"
     "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"c\",\"image\":\"x\"},{\"name\":\"b\"}]}}"},
    {"$setElementOrder reorders", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}"},
    {"kubectl apply: container removed", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"}],\"containers\":[{\"$patch\":\"delete\",\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}"},
    {"nested merge lists (env by name, ports by containerPort)", S, POD2,
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\",\"value\":\"3\"},{\"name\":\"Z\",\"value\":\"4\"}],"
     "\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]}}",
     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"a\",\"tier\":\"web\"},"
     "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"old\"},\"finalizers\":[\"f1\",\"f2\"]},"
     "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],"
     "\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Y\",\"value\":\"3\"},{\"name\":\"Z\",\"value\":\"4\"}]},"
     "{\"name\":\"b\",\"image\":\"busybox\"}],\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]}}"},
    {"atomic list (args) replaced", S, "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"1\",\"2\"]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"3\"]}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"3\"]}]}}"},
    {"Role rules atomic: a removed rule disappears", S,
     "{\"rules\":[{\"verbs\":[\"get\"],\"resources\":[\"pods\"]},{\"verbs\":[\"list\"],\"resources\":[\"pods\"]}]}",
     "{\"rules\":[{\"verbs\":[\"get\"],\"resources\":[\"pods\"]}]}",
     "{\"rules\":[{\"verbs\":[\"get\"],\"resources\":[\"pods\"]}]}"},
    {"finalizers union, new item first", S, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
     "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}", "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}"},
    {"finalizers union of a new one alone", S, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
     "{\"metadata\":{\"finalizers\":[\"c\"]}}", "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}"},
    {"finalizers with $setElementOrder", S, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
     "{\"metadata\":{\"$setElementOrder/finalizers\":[\"a\",\"b\",\"c\"],\"finalizers\":[\"c\"]}}",
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}"},
    {"$deleteFromPrimitiveList", S, "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"a\"]}}",
     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}", "{\"metadata\":{\"finalizers\":[\"b\"]}}"},
    {"$deleteFromPrimitiveList on absent list is a no-op", S, "{\"metadata\":{}}",
     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}", "{\"metadata\":{}}"},
    {"map $patch: replace", S, "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
     "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"x\":\"1\"}}}", "{\"metadata\":{\"labels\":{\"x\":\"1\"}}}"},
    {"map $patch: delete", S, "{\"spec\":{\"securityContext\":{\"runAsUser\":1}}}",
     "{\"spec\":{\"securityContext\":{\"$patch\":\"delete\"}}}", "{\"spec\":{\"securityContext\":{}}}"},
    {"list $patch: replace", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"z\",\"image\":\"z\"},{\"$patch\":\"replace\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"z\",\"image\":\"z\"}]}}"},
    {"$retainKeys clears other volume sources", S, "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]}}",
     "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{},\"$retainKeys\":[\"emptyDir\",\"name\"]}]}}",
     "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}"},
    {"nested null deletes, absent null ignored", S, "{\"spec\":{\"nodeSelector\":{\"a\":\"1\"}}}",
     "{\"spec\":{\"nodeSelector\":{\"a\":null,\"b\":null}}}", "{\"spec\":{\"nodeSelector\":{}}}"},
    {"whole-object $patch: replace", S, "{\"a\":1,\"b\":2}", "{\"$patch\":\"replace\",\"c\":3}", "{\"c\":3}"},
    {"null body is no patch", S, "{\"a\":1}", "null", "{\"a\":1}"},
    {"type change replaces", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", "{\"spec\":{\"containers\":\"x\"}}",
     "{\"spec\":{\"containers\":\"x\"}}"},
    {"missing merge key -> 500", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", NULL, AZ_EINTERNAL,
     "map: map[image:x] does not contain declared merge key: name"},
    {"unknown $patch in map -> 500", S, "{\"metadata\":{}}", "{\"metadata\":{\"$patch\":\"frob\"}}", NULL,
     AZ_EINTERNAL, "unknown patch type: frob in map: map[$patch:frob]"},
    {"$patch: merge in list -> 500", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"merge\"}]}}", NULL, AZ_EINTERNAL,
     "merging lists cannot yet be specified in the patch"},
    {"$retainKeys not listing a patched key -> 400", S, "{\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}",
     "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{},\"$retainKeys\":[\"name\"]}]}}", NULL, AZ_EBADREQUEST,
     "invalid patch format of retainKeys"},
    {"$retainKeys not a list -> 400", S, "{\"a\":{}}", "{\"a\":{\"$retainKeys\":\"x\"}}", NULL, AZ_EBADREQUEST,
     "invalid patch format of retainKeys"},
    {"$deleteFromPrimitiveList without field -> 400", S, "{}", "{\"$deleteFromPrimitiveList\":[\"a\"]}", NULL,
     AZ_EBADREQUEST, "invalid patch format of primitive list"},
    {"$setElementOrder without field -> 400", S, "{}", "{\"$setElementOrderX\":[]}", NULL, AZ_EBADREQUEST,
     "invalid patch format of setElementOrder list"},
    {"$setElementOrder disagreeing with the patch -> 500", S, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
     "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{\"name\":\"b\"}]}}", NULL,
     AZ_EINTERNAL, "The order in patch list:\n[map[name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n"},
    {"unknown directive -> 400", S, "{}", "{\"$foo\":1}", NULL, AZ_EBADREQUEST, NULL},
    {"lists of lists -> 422", S, "{\"metadata\":{\"finalizers\":[[\"a\"]]}}", "{\"metadata\":{\"finalizers\":[[\"b\"]]}}",
     NULL, AZ_EINVALID, "lists of lists are not supported"},
    {"mixed element types -> 500", S, "{\"metadata\":{\"finalizers\":[\"a\"]}}", "{\"metadata\":{\"finalizers\":[1]}}",
     NULL, AZ_EINTERNAL, "list element types are not identical: [[a] [1]]"},
};

static void test_strategic_local(void **state)
{
    run_cases(strategic, sizeof(strategic) / sizeof(strategic[0]), &s_root);
}

static const struct pcase strategic_noschema[] = {
    {"no schema: lists replace", S, "{\"a\":[1,2],\"m\":{\"x\":1}}", "{\"a\":[3],\"m\":{\"y\":2}}",
     "{\"a\":[3],\"m\":{\"x\":1,\"y\":2}}"},
};

static void test_strategic_noschema(void **state)
{
    run_cases(strategic_noschema, 1, NULL);
}

/* ---- strategic merge patch, the real schemas (api/schema.c) ----------------------------- */

static void test_strategic_real_schemas(void **state)
{
    const struct schema_node *pod = resource_schema_by_kind("", "v1", "Pod");
    const struct schema_node *job = resource_schema_by_kind("batch", "v1", "Job");
    const struct schema_node *role = resource_schema_by_kind("rbac.authorization.k8s.io", "v1", "Role");
    const struct schema_node *rb = resource_schema_by_kind("rbac.authorization.k8s.io", "v1", "RoleBinding");
    assert_non_null(pod);
    assert_non_null(job);
    assert_non_null(role);
    assert_non_null(rb);

    static const struct pcase pod_cases[] = {
        {"pod: kubectl apply image change", S,
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"finalizers\":[\"x\"]},\"spec\":{\"containers\":"
         "[{\"name\":\"a\",\"image\":\"nginx:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},{\"name\":\"b\",\"image\":\"b\"}]}}",
         "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"containers\":[{\"image\":\"nginx:2\","
         "\"name\":\"a\"}]},\"metadata\":{\"finalizers\":[\"y\"]}}",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"finalizers\":[\"y\",\"x\"]},\"spec\":{\"containers\":"
         "[{\"name\":\"a\",\"image\":\"nginx:2\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},{\"name\":\"b\",\"image\":\"b\"}]}}"},
        {"pod: volumes retainKeys", S, "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/x\"}}]}}",
         "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{},\"$retainKeys\":[\"emptyDir\",\"name\"]}]}}",
         "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}"},
    };
    run_cases(pod_cases, sizeof(pod_cases) / sizeof(pod_cases[0]), pod);

    static const struct pcase job_cases[] = {
        {"job: container image in template", S,
         "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\",\"image\":\"y\"}]}}}}",
         "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
         "\"containers\":[{\"image\":\"x:2\",\"name\":\"a\"}]}}}}",
         "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:2\"},{\"name\":\"b\",\"image\":\"y\"}]}}}}"},
    };
    run_cases(job_cases, 1, job);

    static const struct pcase role_cases[] = {
        {"role: rule removed (atomic)", S,
         "{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]},"
         "{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"verbs\":[\"get\"]}]}",
         "{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}",
         "{\"rules\":[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]}"},
    };
    run_cases(role_cases, 1, role);

    static const struct pcase rb_cases[] = {
        {"rolebinding: subject added (atomic list replaced)", S,
         "{\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"}],\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"}}",
         "{\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"},{\"kind\":\"User\",\"name\":\"bob\"}]}",
         "{\"subjects\":[{\"kind\":\"User\",\"name\":\"alice\"},{\"kind\":\"User\",\"name\":\"bob\"}],"
         "\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"}}"},
    };
    run_cases(rb_cases, 1, rb);
}

/* ---- media types and Status rendering --------------------------------------------------- */

static void test_media_types_and_status(void **state)
{
    assert_int_equal(patch_type_from_media_type("application/merge-patch+json; charset=utf-8"), PATCH_TYPE_MERGE);
    assert_int_equal(patch_type_from_media_type("application/json-patch+json"), PATCH_TYPE_JSON);
    assert_int_equal(patch_type_from_media_type("application/strategic-merge-patch+json"), PATCH_TYPE_STRATEGIC);
    assert_int_equal(patch_type_from_media_type("application/json"), -1);
    assert_int_equal(patch_type_from_media_type("application/apply-patch+yaml"), -1);

    json_t *st = patch_error_status(AZ_EINVALID, "testing value /a failed: test failed");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 422);
    assert_string_equal(json_string_value(json_object_get(st, "reason")), "Invalid");
    assert_string_equal(json_string_value(json_object_get(st, "message")),
                        "the server rejected our request due to an error in our request");
    json_decref(st);
    st = patch_error_status(AZ_ETOOLARGE, "The allowed maximum operations in a JSON patch is 10000, got 10001");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 413);
    assert_string_equal(json_string_value(json_object_get(st, "message")),
                        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001");
    json_decref(st);
    st = patch_error_status(AZ_EBADREQUEST, "Invalid JSON Patch");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 400);
    assert_string_equal(json_string_value(json_object_get(st, "message")), "Invalid JSON Patch");
    json_decref(st);
    st = patch_error_status(AZ_EINTERNAL, "map: map[image:x] does not contain declared merge key: name");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 500);
    assert_string_equal(json_string_value(json_object_get(st, "message")),
                        "Internal error occurred: map: map[image:x] does not contain declared merge key: name");
    json_decref(st);
}

/* json_parse_go keeps the text's member order and number types whichever reader built the
 * value (jsonfast for plain objects, jansson with a repeated key or a \u0000). */
static void test_parse_go_order(void **state)
{
    (void)state;
    static const char *docs[][2] = {
        {"{\"b\":1,\"a\":{\"z\":1.0,\"y\":[2,\"x\"]},\"m\":null}",
         "{\"b\":1,\"a\":{\"z\":1.0,\"y\":[2,\"x\"]},\"m\":null}"},
        {"{\"b\":\"n\\u0000\",\"a\":2}", "{\"b\":\"n\\u0000\",\"a\":2}"},
        {" [ 3 , {\"k\":true} ] ", "[3,{\"k\":true}]"},
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        char *err = NULL;
        json_t *v = json_parse_go(docs[i][0], strlen(docs[i][0]), &err);
        assert_null(err);
        assert_non_null(v);
        char *out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(out, docs[i][1]);
        free(out);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6902),
        cmocka_unit_test(test_parse_go_order),
        cmocka_unit_test(test_jsonpatch),
        cmocka_unit_test(test_jsonpatch_limits),
        cmocka_unit_test(test_rfc7386),
        cmocka_unit_test(test_merge_value_non_object),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_strategic_local),
        cmocka_unit_test(test_strategic_noschema),
        cmocka_unit_test(test_strategic_real_schemas),
        cmocka_unit_test(test_media_types_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
