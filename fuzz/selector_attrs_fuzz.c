/* selector_attrs_fuzz.c — libFuzzer target for the pre-parsed selector attributes
 * (api/selector.h), differential: the input's first line is parsed as a label selector and as
 * a field selector, the rest as a JSON object (its field labels: those of the resource row of
 * its apiVersion/kind, as the object cache takes them). Whenever the object has attributes, matching
 * over them must give exactly what matching over the decoded object gives; for field
 * selectors the kind serves, the attributes must answer (never "cannot tell"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "machinery/selector.h"
#include "registry/resource.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    if (nl == NULL)
        return 0;
    size_t sl = (size_t)(nl - (const char *)data);
    char *sel = strndup((const char *)data, sl);
    if (sel == NULL)
        abort();
    json_t *obj = json_loadb(nl + 1, size - sl - 1, 0, NULL);
    struct buf a = BUF_INIT;
    /* attributes of anything, and matching over arbitrary bytes, must not crash */
    const struct resource_def *r = resource_of_object(obj);
    const struct field_labels *k = r != NULL ? r->fields : NULL;
    (void)selector_attrs_build(k, obj, &a);
    struct label_selector *ls = NULL;
    struct field_selector *fs = NULL;
    if (label_selector_parse(sel, &ls, NULL) == 0) {
        (void)label_selector_matches_attrs(ls, (const char *)data, size);
        if (a.len > 0) {
            json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
            int m = label_selector_matches_attrs(ls, a.data, a.len);
            if (m != (label_selector_matches(ls, labels) ? 1 : 0))
                abort();
        }
    }
    if (field_selector_parse(sel, &fs, NULL) == 0) {
        (void)field_selector_matches_attrs(fs, k, (const char *)data, size);
        (void)field_selector_matches_attrs(fs, &field_labels_pod, (const char *)data, size);
        if (a.len > 0) {
            int m = field_selector_matches_attrs(fs, k, a.data, a.len);
            bool served = field_selector_check_supported(fs, k, NULL) == 0;
            if (served && m == -1)
                abort();
            if (m != -1 && m != (field_selector_matches(fs, k, obj) ? 1 : 0))
                abort();
        }
    }
    label_selector_free(ls);
    field_selector_free(fs);
    buf_release(&a);
    json_decref(obj);
    free(sel);
    return 0;
}
