/* selector_test.c — label and field selectors: parse ok/err with upstream's exact messages
 * (labels.Parse, labels.NewRequirement, util/validation v1.32, fields.ParseSelector,
 * metav1.LabelSelectorAsSelector, per-kind field label conversion funcs), matching, and
 * the per-kind field value rules. Expected texts are written out from the upstream sources,
 * not taken from our output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/selector.h"
#include "registry/resource.h"
#include "util/err.h"

#define QNAME_REGEX_MSG                                                                     \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VALUE_MSG                                                                            \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "    \
    "'my_value',  or '12345', regex used for validation is "                                 \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define SUBDOMAIN_MSG                                                                        \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "    \
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define OPS "in, notin, =, ==, !=, gt, lt"
#define UPR "unable to parse requirement: "

/* ---- label parse: ok cases with their canonical String() ---- */

struct label_ok {
    const char *in;
    const char *str; /* upstream Selector.String() */
};

static const struct label_ok label_ok_cases[] = {
    {"", ""},
    {"x=a", "x=a"},
    {"x=a,y=b,z=c", "x=a,y=b,z=c"},
    {"z=c,x=a", "x=a,z=c"},               /* sorted by key */
    {"x!=a,y=b", "x!=a,y=b"},
    {"x=", "x="},
    {"x= ", "x="},
    {"x=,z= ", "x=,z="},
    {"x= ,z= ", "x=,z="},
    {"!x", "!x"},
    {"x>1", "x>1"},
    {"x>1,z<5", "x>1,z<5"},
    {"x==a", "x==a"},
    {"x", "x"},
    {"  x  =  a  ,  y  ", "x=a,y"},
    {"\tx\n=\ra", "x=a"},
    {"x in (a)", "x in (a)"},
    {"x in(b,a)", "x in (a,b)"},
    {"x in (a,a,b)", "x in (a,b)"},
    {"x notin (a)", "x notin (a)"},
    {"x in ()", "x in ()"},
    {"x in (,a)", "x in (,a)"},
    {"x in (a,)", "x in (,a)"},
    {"x in (a,,b)", "x in (,a,b)"},
    {"x in (in,notin)", "x in (in,notin)"},
    {"in in (notin)", "in in (notin)"},
    {"example.com/a-b_c.d=V_1.x", "example.com/a-b_c.d=V_1.x"},
    {"a=b,!c,d in (e),f notin (g),h>1,i<2,j!=k,l==m",
     "a=b,!c,d in (e),f notin (g),h>1,i<2,j!=k,l==m"},
};

static void test_label_parse_ok(void **state)
{
    for (size_t i = 0; i < sizeof(label_ok_cases) / sizeof(label_ok_cases[0]); i++) {
        const struct label_ok *c = &label_ok_cases[i];
        struct label_selector *sel = NULL;
        char *err = NULL;
        int r = label_selector_parse(c->in, &sel, &err);
        if (r != 0)
            fail_msg("case %zu [%s]: unexpected error %s", i, c->in, err);
        char *s = label_selector_string(sel);
        if (strcmp(s, c->str) != 0)
            fail_msg("case %zu [%s]: want [%s] got [%s]", i, c->in, c->str, s);
        assert_int_equal(label_selector_empty(sel), c->in[0] == '\0');
        free(s);
        label_selector_free(sel);
    }
}

/* ---- label parse: errors, message exactly as upstream's Status.message ---- */

struct label_err {
    const char *in;
    const char *msg;
};

static const struct label_err label_err_cases[] = {
    {"x=a||y=b", UPR "values[0][x]: Invalid value: \"a||y\": " VALUE_MSG},
    {"x==a==b", "found '==', expected: ',' or 'end of string'"},
    {"!x=a", "found '=', expected: ',' or 'end of string'"},
    {"x<a", UPR "values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"},
    {"x<-5", UPR "values[0][x]: Invalid value: \"-5\": " VALUE_MSG}, /* negative: not a label value */
    {"x>1.5", UPR "values[0]: Invalid value: \"1.5\": for 'Gt', 'Lt' operators, the value must be an integer"},
    {"x>99999999999999999999", UPR "values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer"},
    {"x>-a", UPR "[values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, the value must be an integer, "
             "values[0][x]: Invalid value: \"-a\": " VALUE_MSG "]"},
    {"a b", UPR "found 'b', expected: " OPS},
    {"x!!=a", UPR "found '!', expected: " OPS},
    {"xin(a)", UPR "found '(', expected: " OPS},
    {"x in (a b)", UPR "found 'b', expected: ',' or ')'"},
    {"x in (a", UPR "found '', expected: ',' or ')'"},
    {"x in a", UPR "found 'a' expected: '('"},
    {"x in (=)", UPR "found '=', expected: ',', ')' or identifier"},
    {"x in (a,=)", UPR "found '=', expected: ',', or identifier"},
    {"x=(", UPR "found '(', expected: identifier"},
    {"!", UPR "found '', expected: identifier"},
    {"!=a", "found '!=', expected: !, identifier, or 'end of string'"}, /* lexes as NotEquals */
    {",x", "found ',', expected: !, identifier, or 'end of string'"},
    {"(", "found '(', expected: !, identifier, or 'end of string'"},
    {"x,", "found '', expected: identifier after ','"},
    {"x,,y", "found ',', expected: identifier after ','"},
    {"x=a b", "found 'b', expected: ',' or 'end of string'"},
    {"x=a=b", "found '=', expected: ',' or 'end of string'"},
    {"x=\"a\"", UPR "values[0][x]: Invalid value: \"\\\"a\\\"\": " VALUE_MSG},
    {"x=-a", UPR "values[0][x]: Invalid value: \"-a\": " VALUE_MSG},
    {"x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     UPR "values[0][x]: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": "
         "must be no more than 63 characters"},
    {"x in (b,-a)", UPR "values[0][x]: Invalid value: \"-a\": " VALUE_MSG}, /* index in sorted set */
    {"-x", UPR "<nil>: Invalid value: \"-x\": name part " QNAME_REGEX_MSG},
    {"x/", UPR "<nil>: Invalid value: \"x/\": name part must be non-empty; name part " QNAME_REGEX_MSG},
    {"/x", UPR "<nil>: Invalid value: \"/x\": prefix part must be non-empty"},
    {"a/b/c=d", UPR "<nil>: Invalid value: \"a/b/c\": a qualified name " QNAME_REGEX_MSG
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"},
    {"Example.com/x=y", UPR "<nil>: Invalid value: \"Example.com/x\": prefix part " SUBDOMAIN_MSG},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     UPR "<nil>: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": "
         "name part must be no more than 63 characters"},
    {"a\x01=b", UPR "<nil>: Invalid value: \"a\\x01\": name part " QNAME_REGEX_MSG},
    {"\xc3\xa9=b", UPR "<nil>: Invalid value: \"\xc3\xa9\": name part " QNAME_REGEX_MSG},
    {"a\xff=b", UPR "<nil>: Invalid value: \"a\\xff\": name part " QNAME_REGEX_MSG},
    {"!!x", UPR "found '!', expected: identifier"},
};

static void test_label_parse_err(void **state)
{
    for (size_t i = 0; i < sizeof(label_err_cases) / sizeof(label_err_cases[0]); i++) {
        const struct label_err *c = &label_err_cases[i];
        struct label_selector *sel = (struct label_selector *)0x1;
        char *err = NULL;
        int r = label_selector_parse(c->in, &sel, &err);
        if (r != AZ_EBADREQUEST)
            fail_msg("case %zu [%s]: want error, got %d", i, c->in, r);
        assert_ptr_equal(sel, (struct label_selector *)0x1); /* untouched */
        if (err == NULL || strcmp(err, c->msg) != 0)
            fail_msg("case %zu [%s]:\nwant [%s]\ngot  [%s]", i, c->in, c->msg, err);
        free(err);
    }
    /* ret_err may be NULL */
    struct label_selector *sel;
    assert_int_equal(label_selector_parse("a b", &sel, NULL), AZ_EBADREQUEST);
}

/* ---- label matching ---- */

struct label_match {
    const char *sel;
    const char *labels; /* JSON object, or NULL for no labels */
    bool want;
};

static const struct label_match label_match_cases[] = {
    {"", "{}", true},
    {"", NULL, true},
    {"x=a", "{\"x\":\"a\"}", true},
    {"x==a", "{\"x\":\"a\"}", true},
    {"x=a", "{\"x\":\"b\"}", false},
    {"x=a", "{}", false},
    {"x=", "{\"x\":\"\"}", true},
    {"x=", "{}", false},
    {"x!=a", "{}", true},
    {"x!=a", "{\"x\":\"a\"}", false},
    {"x!=a", "{\"x\":\"b\"}", true},
    {"x in (a,b)", "{\"x\":\"b\"}", true},
    {"x in (a,b)", "{\"x\":\"c\"}", false},
    {"x in (a,b)", "{}", false},
    {"x notin (a,b)", "{}", true},
    {"x notin (a,b)", "{\"x\":\"c\"}", true},
    {"x notin (a,b)", "{\"x\":\"a\"}", false},
    {"x in ()", "{\"x\":\"\"}", true},
    {"x", "{\"x\":\"\"}", true},
    {"x", "{}", false},
    {"x", NULL, false},
    {"!x", NULL, true},
    {"!x", "{\"x\":\"a\"}", false},
    {"x>1", "{\"x\":\"2\"}", true},
    {"x>1", "{\"x\":\"1\"}", false},
    {"x>1", "{\"x\":\"a\"}", false},
    {"x>1", "{}", false},
    {"x<1", "{\"x\":\"-5\"}", true},
    {"x<1", "{\"x\":\"+0\"}", true},
    {"x<1", "{\"x\":\" 0\"}", false},
    {"x>-1", "{\"x\":\"0\"}", false}, /* "-1" is not a valid label value */
    {"a=1,b in (2,3),!c", "{\"a\":\"1\",\"b\":\"3\"}", true},
    {"a=1,b in (2,3),!c", "{\"a\":\"1\",\"b\":\"3\",\"c\":\"\"}", false},
    {"a=1", "{\"a\":1}", false}, /* non-string value counts as absent */
    {"a!=1", "{\"a\":1}", true},
};

static void test_label_match(void **state)
{
    for (size_t i = 0; i < sizeof(label_match_cases) / sizeof(label_match_cases[0]); i++) {
        const struct label_match *c = &label_match_cases[i];
        struct label_selector *sel = NULL;
        char *err = NULL;
        if (label_selector_parse(c->sel, &sel, &err) != 0) {
            if (!c->want && strcmp(c->sel, "x>-1") == 0) {
                free(err);
                continue;
            }
            fail_msg("case %zu [%s]: parse error %s", i, c->sel, err);
        }
        json_t *labels = NULL;
        if (c->labels != NULL) {
            labels = json_loads(c->labels, 0, NULL);
            assert_non_null(labels);
        }
        if (label_selector_matches(sel, labels) != c->want)
            fail_msg("case %zu [%s] on %s: want %d", i, c->sel, c->labels, c->want);
        json_decref(labels);
        label_selector_free(sel);
    }
}

static void test_label_requirements(void **state)
{
    struct label_selector *sel;
    assert_int_equal(label_selector_parse("b in (z,y,y),a", &sel, NULL), 0);
    assert_int_equal(label_selector_count(sel), 2);
    const char *key;
    enum label_op op;
    const char *const *values;
    size_t n;
    label_selector_requirement(sel, 0, &key, &op, &values, &n);
    assert_string_equal(key, "a");
    assert_int_equal(op, LABEL_OP_EXISTS);
    assert_int_equal(n, 0);
    label_selector_requirement(sel, 1, &key, &op, &values, &n);
    assert_string_equal(key, "b");
    assert_int_equal(op, LABEL_OP_IN);
    assert_int_equal(n, 2);
    assert_string_equal(values[0], "y");
    assert_string_equal(values[1], "z");
    label_selector_free(sel);
    label_selector_free(NULL);
}

/* ---- metav1.LabelSelector ---- */

struct from_json_case {
    const char *json; /* NULL: C NULL */
    const char *err;  /* NULL: ok */
    const char *labels;
    bool want;
};

static const struct from_json_case from_json_cases[] = {
    {NULL, NULL, "{\"a\":\"b\"}", false}, /* nil selector matches nothing */
    {"null", NULL, "{}", false},
    {"{}", NULL, "{\"a\":\"b\"}", true},  /* empty selector matches everything */
    {"{\"matchLabels\":{}}", NULL, "{}", true},
    {"{\"matchLabels\":{\"a\":\"b\"}}", NULL, "{\"a\":\"b\",\"c\":\"d\"}", true},
    {"{\"matchLabels\":{\"a\":\"b\"}}", NULL, "{\"a\":\"c\"}", false},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",\"y\"]}]}", NULL,
     "{\"a\":\"y\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}", NULL,
     "{}", true},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", NULL, "{\"a\":\"\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\"}]}", NULL, "{\"a\":\"\"}",
     false},
    {"{\"matchLabels\":{\"rbac.example.com/aggregate-to-edit\":\"true\"},"
     "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"web\"]}]}",
     NULL, "{\"rbac.example.com/aggregate-to-edit\":\"true\",\"tier\":\"web\"}", true},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}",
     "\"Foo\" is not a valid label selector operator", NULL, false},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}",
     "\"in\" is not a valid label selector operator", NULL, false},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
     "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
     NULL, false},
    {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"v\",\"w\"]}]}",
     "values: Invalid value: []string{\"v\", \"w\"}: values set must be empty for exists and does not exist",
     NULL, false},
    {"{\"matchLabels\":{\"a b\":\"c\"}}",
     "key: Invalid value: \"a b\": name part " QNAME_REGEX_MSG, NULL, false},
    {"{\"matchLabels\":{\"a\":\"b c\"}}",
     "values[0][a]: Invalid value: \"b c\": " VALUE_MSG, NULL, false},
    {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"ok\",\"-x\"]}]}",
     "values[1][k]: Invalid value: \"-x\": " VALUE_MSG, NULL, false}, /* order as given */
    {"{\"matchLabels\":{\"a\":1}}", "matchLabels values must be strings", NULL, false},
    {"[]", "label selector must be an object", NULL, false},
};

static void test_label_from_json(void **state)
{
    for (size_t i = 0; i < sizeof(from_json_cases) / sizeof(from_json_cases[0]); i++) {
        const struct from_json_case *c = &from_json_cases[i];
        json_t *js = c->json != NULL ? json_loads(c->json, JSON_DECODE_ANY, NULL) : NULL;
        if (c->json != NULL)
            assert_non_null(js);
        struct label_selector *sel = NULL;
        char *err = NULL;
        int r = label_selector_from_json(js, &sel, &err);
        json_decref(js);
        if (c->err != NULL) {
            if (r != AZ_EINVALID || err == NULL || strcmp(err, c->err) != 0)
                fail_msg("case %zu: want [%s] got %d [%s]", i, c->err, r, err);
            free(err);
            continue;
        }
        if (r != 0)
            fail_msg("case %zu: unexpected error %s", i, err);
        json_t *labels = json_loads(c->labels, 0, NULL);
        if (label_selector_matches(sel, labels) != c->want)
            fail_msg("case %zu: match want %d", i, c->want);
        json_decref(labels);
        label_selector_free(sel);
    }
}

/* ---- field selectors ---- */

struct field_ok {
    const char *in;
    size_t nterms;
    const char *exact_name; /* NULL when none */
};

static const struct field_ok field_ok_cases[] = {
    {"", 0, NULL},
    {"metadata.name=foo", 1, "foo"},
    {"metadata.name==foo", 1, "foo"},
    {"metadata.name!=foo", 1, NULL},
    {"metadata.name=", 1, ""},
    {"a=b,c=d", 2, NULL},
    {",a=b,", 1, NULL},
    {"=", 0, NULL},              /* empty field and value: dropped */
    {"=,a=b", 1, NULL},
    {"=x", 1, NULL},
    {"spec.nodeName=n1,metadata.name=p1", 2, "p1"},
    {"metadata.name=b,metadata.name=a", 2, "a"},   /* sorted terms, first match */
    {"metadata.name!=a,metadata.name=b", 2, "b"},
    {"a=!b", 1, NULL},
    {"metadata.name=a\\,b", 1, "a,b"},
    {"metadata.name=a\\=b", 1, "a=b"},
    {"metadata.name=a\\\\b", 1, "a\\b"},
    {"metadata.name=\xc3\xa9", 1, "\xc3\xa9"},
};

static void test_field_parse_ok(void **state)
{
    for (size_t i = 0; i < sizeof(field_ok_cases) / sizeof(field_ok_cases[0]); i++) {
        const struct field_ok *c = &field_ok_cases[i];
        struct field_selector *sel = NULL;
        char *err = NULL;
        if (field_selector_parse(c->in, &sel, &err) != 0)
            fail_msg("case %zu [%s]: unexpected error %s", i, c->in, err);
        assert_int_equal(field_selector_empty(sel), c->nterms == 0);
        const char *name = field_selector_exact_name(sel);
        if (c->exact_name == NULL ? name != NULL
                                  : (name == NULL || strcmp(name, c->exact_name) != 0))
            fail_msg("case %zu [%s]: exact name want [%s] got [%s]", i, c->in,
                     c->exact_name ? c->exact_name : "(null)", name ? name : "(null)");
        field_selector_free(sel);
    }
}

static const struct label_err field_err_cases[] = {
    {"foo", "invalid selector: 'foo'; can't understand 'foo'"},
    {"metadata.name=name1,foo", "invalid selector: 'metadata.name=name1,foo'; can't understand 'foo'"},
    {"a!=b,c", "invalid selector: 'a!=b,c'; can't understand 'c'"},
    {"a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"},
    {"a=b=c", "invalid field selector: unescaped character in value: 61"},
    {"a==b=c", "invalid field selector: unescaped character in value: 61"},
    {"a=b\\x", "invalid field selector: invalid escape sequence: \\x"},
    {"a=b\\", "invalid field selector: invalid escape sequence: \\"},
    {"a=\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9"},
    /* sorted: "a=\\q" is reported before "b=c=d" */
    {"b=c=d,a=\\q", "invalid field selector: invalid escape sequence: \\q"},
};

static void test_field_parse_err(void **state)
{
    for (size_t i = 0; i < sizeof(field_err_cases) / sizeof(field_err_cases[0]); i++) {
        const struct label_err *c = &field_err_cases[i];
        struct field_selector *sel = NULL;
        char *err = NULL;
        int r = field_selector_parse(c->in, &sel, &err);
        if (r != AZ_EBADREQUEST || err == NULL || strcmp(err, c->msg) != 0)
            fail_msg("case %zu [%s]:\nwant [%s]\ngot  %d [%s]", i, c->in, c->msg, r, err);
        assert_null(sel);
        free(err);
    }
}

struct supported_case {
    const char *group, *kind, *sel;
    const char *err; /* NULL: supported */
};

static const struct supported_case supported_cases[] = {
    {"", "Pod", "spec.nodeName=n1,status.phase=Running,metadata.namespace=x", NULL},
    {"", "Pod", "spec.host=n1,spec.hostNetwork=true,status.podIPs=1.2.3.4", NULL},
    {"", "Pod", "spec.restartPolicy=Always,spec.schedulerName=s,spec.serviceAccountName=sa", NULL},
    {"", "Pod", "status.podIP=1,status.nominatedNodeName=n", NULL},
    {"", "Pod", "spec.foo=x", "field label not supported: spec.foo"},
    {"", "Pod", "z=1,a=2", "field label not supported: a"},
    {"", "Pod", "=x", "field label not supported: "},
    {"", "Node", "metadata.name=n,spec.unschedulable=true", NULL},
    {"", "Node", "metadata.namespace=x", "field label not supported: metadata.namespace"},
    {"", "Namespace", "status.phase=Active,metadata.name=a", NULL},
    {"", "Namespace", "metadata.namespace=a", "field label not supported: metadata.namespace"},
    {"", "Secret", "type=Opaque,metadata.namespace=a", NULL},
    {"", "Secret", "data.x=1", "field label not supported: data.x"},
    {"", "Event", "involvedObject.kind=Pod,involvedObject.name=p,reason=x,source=k,type=Normal", NULL},
    {"", "Event", "involvedObject.uid=u,involvedObject.apiVersion=v1,reportingComponent=c", NULL},
    {"", "Event", "involvedObject.resourceVersion=1,involvedObject.fieldPath=f", NULL},
    {"", "Event", "message=x", "field label not supported: message"},
    {"batch", "Job", "status.successful=1,metadata.name=j", NULL},
    {"batch", "Job", "status.active=1", "field label \"status.active\" not supported for Job"},
    {"", "ConfigMap", "metadata.name=a,metadata.namespace=b", NULL},
    {"", "ConfigMap", "data.x=1",
     "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""},
    {"", "ServiceAccount", "secrets=x",
     "\"secrets\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""},
    {"rbac.authorization.k8s.io", "Role", "rules=\"x\"",
     "\"rules\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""},
    {"apps", "Pod", "spec.nodeName=x", /* group matters */
     "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""},
    {"", "Pod", "", NULL},
};

/* The field labels of the row serving group/kind (NULL: no row, or none of its own). */
static const struct field_labels *row_fields(const char *group, const char *kind)
{
    const struct resource_def *r = resource_by_kind(group, kind);
    return r != NULL ? r->fields : NULL;
}

/* The field labels of the row of obj's apiVersion/kind. */
static const struct field_labels *obj_fields(json_t *obj)
{
    const struct resource_def *r = resource_of_object(obj);
    return r != NULL ? r->fields : NULL;
}

static void test_field_supported(void **state)
{
    for (size_t i = 0; i < sizeof(supported_cases) / sizeof(supported_cases[0]); i++) {
        const struct supported_case *c = &supported_cases[i];
        struct field_selector *sel;
        assert_int_equal(field_selector_parse(c->sel, &sel, NULL), 0);
        char *err = NULL;
        int r = field_selector_check_supported(sel, row_fields(c->group, c->kind), &err);
        if (c->err == NULL) {
            if (r != 0)
                fail_msg("case %zu %s [%s]: unexpected %s", i, c->kind, c->sel, err);
        } else if (r != AZ_EBADREQUEST || err == NULL || strcmp(err, c->err) != 0) {
            fail_msg("case %zu %s [%s]: want [%s] got %d [%s]", i, c->kind, c->sel, c->err, r,
                     err);
        }
        free(err);
        field_selector_free(sel);
    }
}

struct field_match {
    const char *sel;
    const char *obj;
    bool want;
};

#define POD "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"}," \
            "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\"," \
            "\"podIPs\":[{\"ip\":\"10.0.0.1\"}]}}"
#define HOSTPOD "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true}}"
#define JOB "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\"status\":{\"succeeded\":3}}"
#define JOB0 "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\"status\":{}}"
#define NODE "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"},\"spec\":{\"unschedulable\":true}}"
#define NODE0 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"},\"spec\":{}}"
#define EVENT "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"}," \
              "\"reason\":\"Started\",\"source\":{},\"reportingComponent\":\"kubelet\"}"
#define EVENT2 "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"source\":{\"component\":\"sched\"}," \
               "\"reportingComponent\":\"kubelet\"}"
#define CM "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"namespace\":\"d\"}," \
           "\"data\":{\"n\":\"1\"},\"immutable\":false,\"x\":{\"count\":7}}"

static const struct field_match field_match_cases[] = {
    {"", POD, true},
    {"spec.nodeName=n1", POD, true},
    {"spec.nodeName==n1", POD, true},
    {"spec.nodeName=n2", POD, false},
    {"spec.nodeName!=n2", POD, true},
    {"spec.host=n1", POD, true},                 /* legacy alias of spec.nodeName */
    {"spec.hostNetwork=false", POD, true},       /* unset bool reads "false" */
    {"spec.hostNetwork=true", HOSTPOD, true},
    {"status.phase!=Running", POD, false},
    {"status.podIP=10.0.0.1", POD, true},
    {"status.podIPs=10.0.0.1", POD, false},      /* accepted but never selectable upstream */
    {"status.podIPs=", POD, true},
    {"spec.restartPolicy=", POD, true},
    {"metadata.name=p,metadata.namespace=ns", POD, true},
    {"metadata.name=p,metadata.namespace=other", POD, false},
    {"status.successful=3", JOB, true},          /* reads status.succeeded */
    {"status.successful=0", JOB0, true},         /* unset count reads "0" */
    {"spec.unschedulable=true", NODE, true},
    {"spec.unschedulable=false", NODE0, true},
    {"metadata.namespace=", NODE, true},
    {"source=kubelet", EVENT, true},             /* falls back to reportingComponent */
    {"source=sched", EVENT2, true},
    {"involvedObject.kind=Pod,involvedObject.name=p,reason=Started", EVENT, true},
    {"involvedObject.namespace=", EVENT, true},
    {"metadata.name=cm", CM, true},
    {"data.n=1", CM, true},                      /* generic dotted path */
    {"immutable=false", CM, true},
    {"x.count=7", CM, true},
    {"missing.path=", CM, true},
    {"missing.path!=", CM, false},
};

static void test_field_match(void **state)
{
    for (size_t i = 0; i < sizeof(field_match_cases) / sizeof(field_match_cases[0]); i++) {
        const struct field_match *c = &field_match_cases[i];
        struct field_selector *sel;
        char *err = NULL;
        if (field_selector_parse(c->sel, &sel, &err) != 0)
            fail_msg("case %zu [%s]: %s", i, c->sel, err);
        json_t *obj = json_loads(c->obj, 0, NULL);
        assert_non_null(obj);
        if (field_selector_matches(sel, obj_fields(obj), obj) != c->want)
            fail_msg("case %zu [%s]: want %d", i, c->sel, c->want);
        json_decref(obj);
        field_selector_free(sel);
    }
}

static void test_field_match_kind(void **state)
{
    /* an object without TypeMeta, kind given explicitly */
    json_t *pod = json_loads("{\"spec\":{}}", 0, NULL);
    struct field_selector *sel;
    assert_int_equal(field_selector_parse("spec.hostNetwork=false", &sel, NULL), 0);
    assert_true(field_selector_matches(sel, &field_labels_pod, pod));
    assert_false(field_selector_matches(sel, NULL, pod)); /* no own labels: generic path, "" */
    assert_null(obj_fields(pod));
    field_selector_free(sel);
    json_decref(pod);
    assert_true(field_selector_matches(NULL, NULL, NULL));
    field_selector_free(NULL);
}

static void test_limits(void **state)
{
    size_t n = SELECTOR_MAX_BYTES + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    struct label_selector *ls;
    struct field_selector *fs;
    char *err = NULL;
    assert_int_equal(label_selector_parse(big, &ls, &err), AZ_EBADREQUEST);
    assert_non_null(strstr(err, "too long"));
    free(err);
    err = NULL;
    assert_int_equal(field_selector_parse(big, &fs, &err), AZ_EBADREQUEST);
    assert_non_null(strstr(err, "too long"));
    free(err);
    err = NULL;

    /* SELECTOR_MAX_REQUIREMENTS "a," ... ok, one more rejected */
    size_t pos = 0;
    for (int i = 0; i < SELECTOR_MAX_REQUIREMENTS; i++) {
        big[pos++] = 'a';
        big[pos++] = ',';
    }
    big[pos - 1] = '\0';
    assert_int_equal(label_selector_parse(big, &ls, NULL), 0);
    assert_int_equal(label_selector_count(ls), SELECTOR_MAX_REQUIREMENTS);
    label_selector_free(ls);
    big[pos - 1] = ',';
    big[pos++] = 'a';
    big[pos] = '\0';
    assert_int_equal(label_selector_parse(big, &ls, &err), AZ_EBADREQUEST);
    assert_non_null(strstr(err, "too many"));
    free(err);
    err = NULL;

    pos = 0;
    for (int i = 0; i <= SELECTOR_MAX_REQUIREMENTS; i++) {
        memcpy(big + pos, "a=b,", 4);
        pos += 4;
    }
    big[pos - 1] = '\0';
    assert_int_equal(field_selector_parse(big, &fs, &err), AZ_EBADREQUEST);
    assert_non_null(strstr(err, "too many"));
    free(err);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_parse_ok),
        cmocka_unit_test(test_label_parse_err),
        cmocka_unit_test(test_label_match),
        cmocka_unit_test(test_label_requirements),
        cmocka_unit_test(test_label_from_json),
        cmocka_unit_test(test_field_parse_ok),
        cmocka_unit_test(test_field_parse_err),
        cmocka_unit_test(test_field_supported),
        cmocka_unit_test(test_field_match),
        cmocka_unit_test(test_field_match_kind),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
