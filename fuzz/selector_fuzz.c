/* selector_fuzz.c — libFuzzer target for label and field selectors: the input (up to the
 * first NUL) is parsed as a label selector and as a field selector; successful parses are
 * matched against fixed objects, checked against several kinds and rendered. The input is
 * also tried as a metav1.LabelSelector JSON document, and converted as an events.k8s.io/v1
 * field selector (whose result must parse whenever the input does). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "machinery/selector.h"
#include "registry/events_v1.h"

static json_t *fixture(void)
{
    static json_t *obj;
    if (obj == NULL)
        obj = json_loads(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
            "\"namespace\":\"ns\",\"labels\":{\"app\":\"web\",\"tier\":\"1\",\"x\":\"\"}},"
            "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true},\"status\":{\"phase\":\"Running\"}}",
            0, NULL);
    return obj;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size);
    if (s == NULL)
        abort();
    json_t *obj = fixture();
    json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");

    struct label_selector *ls = NULL;
    char *err = NULL;
    if (label_selector_parse(s, &ls, &err) == 0) {
        (void)label_selector_matches(ls, labels);
        (void)label_selector_matches(ls, NULL);
        char *str = label_selector_string(ls);
        /* the canonical form must parse again */
        struct label_selector *again = NULL;
        if (label_selector_parse(str, &again, NULL) != 0)
            abort();
        label_selector_free(again);
        free(str);
        label_selector_free(ls);
    } else if (err == NULL) {
        abort();
    }
    free(err);
    err = NULL;

    struct field_selector *fs = NULL;
    if (field_selector_parse(s, &fs, &err) == 0) {
        static const struct field_labels *const kinds[] = {
            &field_labels_pod, &field_labels_node, &field_labels_event, &field_labels_job,
            &field_labels_namespace, &field_labels_secret, NULL};
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
            char *e = NULL;
            (void)field_selector_check_supported(fs, kinds[i], &e);
            free(e);
            (void)field_selector_matches(fs, kinds[i], obj);
        }
        (void)field_selector_exact_name(fs);
        field_selector_free(fs);
    } else if (err == NULL) {
        abort();
    }
    free(err);
    err = NULL;

    char *conv = events_v1_field_selector(s, &err);
    if (conv != NULL) {
        struct field_selector *a = NULL, *b = NULL;
        char *e1 = NULL, *e2 = NULL;
        bool pa = field_selector_parse(s, &a, &e1) == 0, pb = field_selector_parse(conv, &b, &e2) == 0;
        if (pa && !pb)
            abort();
        field_selector_free(a);
        field_selector_free(b);
        free(e1);
        free(e2);
        free(conv);
    } else if (err == NULL) {
        abort();
    }
    free(err);
    err = NULL;

    json_t *js = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (js != NULL) {
        if (label_selector_from_json(js, &ls, &err) == 0) {
            (void)label_selector_matches(ls, labels);
            label_selector_free(ls);
        }
        free(err);
        json_decref(js);
    }
    free(s);
    return 0;
}
