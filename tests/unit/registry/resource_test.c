/* resource_test.c — what the resource rows say about field selectors and RBAC kinds, checked
 * as the code that reads them relies on it: the field-label sets the rows point at have
 * distinct attribute ids, a row's cache_index is one of its own field labels, the object
 * cache indexes an object by its row (a Pod by spec.nodeName, nothing else), an object's
 * row is found by its apiVersion and kind, and the RBAC role and binding flags sit on one
 * namespaced and one cluster-scoped row each (the escalation check derives "cluster" from
 * the scope). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "machinery/selector.h"
#include "registry/resource.h"
#include "registry/rest.h"
#include "util/buf.h"
#include "util/err.h"

static void test_field_label_ids(void **state)
{
    (void)state;
    size_t n;
    const struct resource_def *rows = resource_table(&n);
    size_t with_fields = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].fields == NULL)
            continue;
        with_fields++;
        unsigned id = field_labels_id(rows[i].fields);
        if (id == 0 || id > 255)
            fail_msg("%s/%s: field label id %u", rows[i].group, rows[i].kind, id);
        for (size_t j = 0; j < i; j++)
            if (rows[j].fields != NULL && rows[j].fields != rows[i].fields &&
                field_labels_id(rows[j].fields) == id)
                fail_msg("%s and %s share field label id %u", rows[j].kind, rows[i].kind, id);
    }
    assert_int_equal(with_fields, 6); /* Namespace, Secret, Pod, Node, Event, Job */
    assert_int_equal(field_labels_id(NULL), 0);
}

static void test_cache_index_is_a_field_label(void **state)
{
    (void)state;
    size_t n, indexed = 0;
    const struct resource_def *rows = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].cache_index == NULL)
            continue;
        indexed++;
        char sel[128];
        snprintf(sel, sizeof(sel), "%s=x", rows[i].cache_index);
        struct field_selector *fs = NULL;
        assert_int_equal(field_selector_parse(sel, &fs, NULL), 0);
        if (rows[i].fields == NULL || field_selector_check_supported(fs, rows[i].fields, NULL) != 0)
            fail_msg("%s: cache_index %s is not one of its field labels", rows[i].kind,
                     rows[i].cache_index);
        field_selector_free(fs);
    }
    assert_int_equal(indexed, 1);
    assert_string_equal(resource_by_kind("", "Pod")->cache_index, "spec.nodeName");
}

/* rest_cache_attrs on obj: 1 when indexed, the value NUL-terminated in index. */
static int cache_attrs(const char *obj, struct buf *attrs, struct buf *index)
{
    attrs->len = 0;
    index->len = 0;
    int r = rest_cache_attrs("/registry/x/y", obj, strlen(obj), attrs, index, NULL);
    buf_putc(index, '\0');
    return r;
}

static void test_cache_attrs_by_row(void **state)
{
    (void)state;
    struct buf attrs = BUF_INIT, index = BUF_INIT;
    struct field_selector *fs = NULL;
    assert_int_equal(field_selector_parse("spec.nodeName=n1", &fs, NULL), 0);

    assert_int_equal(cache_attrs("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                                 "\"spec\":{\"nodeName\":\"n1\"}}", &attrs, &index), 1);
    assert_string_equal(index.data, "n1");
    assert_int_equal((unsigned char)attrs.data[0], field_labels_id(&field_labels_pod));
    assert_int_equal(field_selector_matches_attrs(fs, &field_labels_pod, attrs.data, attrs.len), 1);

    /* an unscheduled pod is indexed under "" (the list for "spec.nodeName=" reads it) */
    assert_int_equal(cache_attrs("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}",
                                 &attrs, &index), 1);
    assert_string_equal(index.data, "");

    /* other kinds are not indexed, whatever their fields */
    assert_int_equal(cache_attrs("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                                 "\"spec\":{\"nodeName\":\"n1\"}}", &attrs, &index), 0);
    assert_int_equal((unsigned char)attrs.data[0], 0);
    assert_int_equal(cache_attrs("{\"apiVersion\":\"apps/v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                                 "\"spec\":{\"nodeName\":\"n1\"}}", &attrs, &index), 0);
    assert_int_equal(cache_attrs("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}",
                                 &attrs, &index), 0);
    assert_int_equal((unsigned char)attrs.data[0], field_labels_id(&field_labels_node));
    /* read with the pods' labels, a node's attributes cannot answer */
    assert_int_equal(field_selector_matches_attrs(fs, &field_labels_pod, attrs.data, attrs.len), -1);

    field_selector_free(fs);
    buf_release(&attrs);
    buf_release(&index);
}

static const struct resource_def *row_of(const char *json)
{
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    const struct resource_def *r = resource_of_object(o);
    json_decref(o);
    return r;
}

static void test_resource_of_object(void **state)
{
    (void)state;
    assert_ptr_equal(row_of("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}"), resource_by_kind("", "Pod"));
    assert_ptr_equal(row_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\"}"), resource_by_kind("batch", "Job"));
    assert_ptr_equal(row_of("{\"apiVersion\":\"v1\",\"kind\":\"Event\"}"), resource_by_kind("", "Event"));
    assert_ptr_equal(row_of("{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\"}"),
                     resource_by_kind("events.k8s.io", "Event"));
    assert_null(row_of("{\"apiVersion\":\"apps/v1\",\"kind\":\"Pod\"}"));
    assert_null(row_of("{\"apiVersion\":\"v2\",\"kind\":\"Pod\"}"));
    assert_null(row_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Pod\"}"));
    assert_null(row_of("{\"kind\":\"Pod\"}"));
    assert_null(row_of("{\"apiVersion\":\"v1\"}"));
    assert_null(row_of("{\"apiVersion\":1,\"kind\":\"Pod\"}"));
    assert_null(resource_of_object(NULL));
}

static void test_rbac_flags(void **state)
{
    (void)state;
    size_t n;
    const struct resource_def *rows = resource_table(&n);
    const unsigned flags[] = {RES_RBAC_ROLE, RES_RBAC_BINDING};
    for (size_t f = 0; f < 2; f++) {
        size_t namespaced = 0, cluster = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(rows[i].flags & flags[f]))
                continue;
            assert_string_equal(rows[i].group, "rbac.authorization.k8s.io");
            assert_false(rows[i].flags & flags[1 - f]);
            if (rows[i].namespaced)
                namespaced++;
            else
                cluster++;
        }
        assert_int_equal(namespaced, 1);
        assert_int_equal(cluster, 1);
    }
    assert_true(resource_by_kind("rbac.authorization.k8s.io", "ClusterRole")->flags & RES_RBAC_ROLE);
    assert_true(resource_by_kind("rbac.authorization.k8s.io", "RoleBinding")->flags & RES_RBAC_BINDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_label_ids),
        cmocka_unit_test(test_cache_index_is_a_field_label),
        cmocka_unit_test(test_cache_attrs_by_row),
        cmocka_unit_test(test_resource_of_object),
        cmocka_unit_test(test_rbac_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
