/* selector_attrs_test.c — the pre-parsed selector attributes (selector_attrs_build and the
 * *_matches_attrs functions) against the JSON-decoding matchers, differentially: generated
 * objects of every kind with its own field labels (and ConfigMaps, which have none) with
 * varying labels and field values, and generated label and field selectors; every answer the
 * attributes give must be the decoded path's, and for fields the kind serves they must answer. */
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
#include "util/buf.h"
#include "util/err.h"

static const char *const kinds[][2] = {
    {"v1", "Pod"}, {"v1", "Node"}, {"v1", "Secret"}, {"v1", "Event"}, {"v1", "Namespace"},
    {"v1", "Service"}, {"v1", "ReplicationController"}, {"batch/v1", "Job"},
    {"certificates.k8s.io/v1", "CertificateSigningRequest"}, {"v1", "ConfigMap"},
};
static const char *const fields[] = {
    "metadata.name", "metadata.namespace", "spec.nodeName", "spec.host", "status.phase",
    "spec.serviceAccountName", "spec.restartPolicy", "spec.schedulerName", "status.podIP",
    "spec.hostNetwork", "spec.unschedulable", "type", "source", "reason",
    "involvedObject.name", "status.successful", "status.replicas", "spec.signerName",
    "spec.clusterIP", "status.nominatedNodeName", "status.podIPs",
};
static const char *const values[] = {"", "a", "b", "n1", "true", "false", "0", "3"};

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) % n;
}

static json_t *gen_object(void)
{
    const char *const *k = kinds[rnd(sizeof(kinds) / sizeof(kinds[0]))];
    json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", k[0], "kind", k[1], "metadata",
                          "name", values[rnd(4)]);
    json_t *md = json_object_get(o, "metadata");
    if (rnd(2))
        json_object_set_new(md, "namespace", json_string(values[rnd(4)]));
    if (rnd(3)) {
        json_t *l = json_object();
        for (unsigned i = rnd(4); i > 0; i--) {
            char key[8];
            snprintf(key, sizeof(key), "k%u", rnd(4));
            json_object_set_new(l, key, rnd(8) ? json_string(values[rnd(8)]) : json_integer(1));
        }
        json_object_set_new(md, "labels", l);
    }
    /* field values at their paths: strings, booleans, integers, or absent */
    static const char *const paths[][2] = {
        {"spec", "nodeName"}, {"status", "phase"}, {"spec", "serviceAccountName"},
        {"spec", "restartPolicy"}, {"status", "podIP"}, {"spec", "hostNetwork"},
        {"spec", "unschedulable"}, {"status", "succeeded"}, {"status", "replicas"},
        {"spec", "signerName"}, {"involvedObject", "name"}, {"source", "component"},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (rnd(2))
            continue;
        json_t *parent = json_object_get(o, paths[i][0]);
        if (parent == NULL) {
            parent = json_object();
            json_object_set_new(o, paths[i][0], parent);
        }
        json_t *v = rnd(3) == 0 ? json_integer(rnd(4)) : rnd(4) == 0 ? json_boolean(rnd(2))
                                                                     : json_string(values[rnd(8)]);
        json_object_set_new(parent, paths[i][1], v);
    }
    if (rnd(4) == 0)
        json_object_set_new(o, "type", json_string(values[rnd(8)]));
    if (rnd(4) == 0)
        json_object_set_new(o, "reportingComponent", json_string(values[rnd(8)]));
    return o;
}

static char *gen_label_selector(void)
{
    static const char *const forms[] = {"%s=%s", "%s!=%s", "%s", "!%s", "%s in (%s,b)",
                                        "%s notin (%s)", "%s>%s", "%s<%s", "%s==%s"};
    struct buf b = BUF_INIT;
    for (unsigned i = rnd(3) + 1; i > 0; i--) {
        char key[8];
        snprintf(key, sizeof(key), "k%u", rnd(4));
        const char *v = rnd(2) ? "3" : values[1 + rnd(4)];
        if (b.len > 0)
            buf_putc(&b, ',');
        unsigned f = rnd(sizeof(forms) / sizeof(forms[0]));
        if (f == 2 || f == 3)
            buf_printf(&b, forms[f], key);
        else
            buf_printf(&b, forms[f], key, v);
    }
    size_t n;
    return buf_detach(&b, &n);
}

static char *gen_field_selector(void)
{
    struct buf b = BUF_INIT;
    for (unsigned i = rnd(2) + 1; i > 0; i--) {
        if (b.len > 0)
            buf_putc(&b, ',');
        buf_printf(&b, "%s%s%s", fields[rnd(sizeof(fields) / sizeof(fields[0]))],
                   rnd(2) ? "=" : "!=", values[rnd(8)]);
    }
    size_t n;
    return buf_detach(&b, &n);
}

/* The field labels of the row of o's apiVersion/kind (NULL: no row, or none of its own), as
 * the object cache (rest_cache_attrs) and the list (the row's fields) use them. */
static const struct field_labels *obj_fields(json_t *o)
{
    const struct resource_def *r = resource_of_object(o);
    return r != NULL ? r->fields : NULL;
}

static void test_differential(void **state)
{
    (void)state;
    size_t served = 0, label_checks = 0;
    for (int round = 0; round < 20000; round++) {
        json_t *o = gen_object();
        struct buf a = BUF_INIT;
        const struct field_labels *k = obj_fields(o);
        assert_int_equal(selector_attrs_build(k, o, &a), 0);
        char *lsel = gen_label_selector();
        struct label_selector *ls = NULL;
        if (label_selector_parse(lsel, &ls, NULL) == 0) {
            json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");
            int m = label_selector_matches_attrs(ls, a.data, a.len);
            if (m != (label_selector_matches(ls, labels) ? 1 : 0))
                fail_msg("labelSelector %s on %s: attributes say %d", lsel, json_dumps(o, 0), m);
            label_checks++;
        }
        label_selector_free(ls);
        free(lsel);
        char *fsel = gen_field_selector();
        struct field_selector *fs = NULL;
        assert_int_equal(field_selector_parse(fsel, &fs, NULL), 0);
        int m = field_selector_matches_attrs(fs, k, a.data, a.len);
        if (field_selector_check_supported(fs, k, NULL) == 0) {
            served++;
            if (m != (field_selector_matches(fs, k, o) ? 1 : 0))
                fail_msg("fieldSelector %s on %s: attributes say %d", fsel, json_dumps(o, 0), m);
        }
        field_selector_free(fs);
        free(fsel);
        buf_release(&a);
        json_decref(o);
    }
    /* the generator reaches both matchers often enough to mean something */
    assert_true(served > 2000);
    assert_true(label_checks > 10000);
}

static void test_form(void **state)
{
    (void)state;
    json_t *pod = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                             "\"namespace\":\"ns\",\"labels\":{\"app\":\"a7\",\"n\":1}},"
                             "\"spec\":{\"nodeName\":\"n1\"}}", 0, NULL);
    struct buf a = BUF_INIT;
    const struct field_labels *k = &field_labels_pod;
    assert_int_equal(selector_attrs_build(k, pod, &a), 0);
    assert_int_equal((unsigned char)a.data[0], field_labels_id(k));
    assert_string_equal(selector_attrs_field(k, a.data, a.len, "spec.nodeName"), "n1");
    assert_string_equal(selector_attrs_field(k, a.data, a.len, "spec.host"), "n1");
    assert_string_equal(selector_attrs_field(k, a.data, a.len, "spec.hostNetwork"), "false");
    assert_string_equal(selector_attrs_field(k, a.data, a.len, "status.phase"), "");
    assert_null(selector_attrs_field(k, a.data, a.len, "spec.unknown"));
    /* attributes built with other labels than the reader's cannot answer */
    assert_null(selector_attrs_field(&field_labels_node, a.data, a.len, "metadata.name"));
    assert_null(selector_attrs_field(NULL, a.data, a.len, "metadata.name"));
    struct field_selector *byname = NULL;
    assert_int_equal(field_selector_parse("metadata.name=p", &byname, NULL), 0);
    assert_int_equal(field_selector_matches_attrs(byname, k, a.data, a.len), 1);
    assert_int_equal(field_selector_matches_attrs(byname, &field_labels_node, a.data, a.len), -1);
    field_selector_free(byname);
    /* the non-string label is not carried (label matching treats it as absent) */
    assert_null(memmem(a.data, a.len, "\0n\0", 3));
    assert_non_null(memmem(a.data, a.len, "\0app\0a7\0", 8));
    buf_release(&a);
    json_decref(pod);
    /* a NUL inside a value: read as the decoding matchers read it (up to the NUL) */
    json_t *nul = json_loads("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\\u0000b\","
                             "\"labels\":{\"k\":\"v\\u0000w\"}}}", JSON_ALLOW_NUL, NULL);
    assert_non_null(nul);
    buf_puts(&a, "x");
    assert_int_equal(selector_attrs_build(NULL, nul, &a), 0);
    assert_string_equal(selector_attrs_field(NULL, a.data + 1, a.len - 1, "metadata.name"), "a");
    struct label_selector *kv = NULL;
    assert_int_equal(label_selector_parse("k=v", &kv, NULL), 0);
    assert_int_equal(label_selector_matches_attrs(kv, a.data + 1, a.len - 1),
                     label_selector_matches(kv, json_object_get(json_object_get(nul, "metadata"), "labels")) ? 1 : 0);
    label_selector_free(kv);
    buf_release(&a);
    json_decref(nul);
    /* not an object: nothing */
    json_t *arr = json_array();
    assert_int_equal(selector_attrs_build(NULL, arr, &a), AZ_EINVALID);
    assert_int_equal(a.len, 0);
    json_decref(arr);
    /* malformed attributes: cannot tell */
    struct label_selector *ls = NULL;
    assert_int_equal(label_selector_parse("a=b", &ls, NULL), 0);
    assert_int_equal(label_selector_matches_attrs(ls, "\x01" "abc", 4), -1);
    assert_int_equal(label_selector_matches_attrs(ls, "\x7f", 1), -1);
    label_selector_free(ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
