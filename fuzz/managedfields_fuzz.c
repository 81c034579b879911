/* managedfields_fuzz.c — libFuzzer target for the field-set and apply parsers (api/
 * managedfields.c, api/apply.c).
 * Input: byte 0 selects the mode (mod 2): 0 = the rest is a fieldsV1 value: parsed, written
 * back, re-parsed (must round-trip), its paths listed, set algebra with itself checked;
 * 1 = the rest is an apply-patch+yaml body (YAML or JSON): decoded, typed against the Pod
 * schema, merged into a fixed live Pod, its field set built, compared and pruned. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/apply.h"
#include "machinery/managedfields.h"
#include "machinery/schema.h"

static const char live_pod[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\"},"
    "\"finalizers\":[\"x\"]},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\","
    "\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"E\",\"value\":\"v\"}]}]}}";

static void fieldsv1(const char *s, size_t n)
{
    json_t *v = json_loadb(s, n, 0, NULL);
    json_t *set = NULL;
    char *err = NULL;
    if (v == NULL)
        return;
    if (fs_from_fields_v1(v, &set, &err) == 0) {
        json_t *out = fs_to_fields_v1(set), *again = NULL;
        if (fs_from_fields_v1(out, &again, &err) != 0 || !json_equal(again, set))
            abort();
        json_t *paths = json_array();
        fs_paths(set, paths);
        if (json_array_size(paths) != fs_count(set))
            abort();
        json_t *d = fs_difference(set, set), *x = fs_intersection(set, set), *u = fs_union(set, set);
        if (!fs_empty(d) || !json_equal(x, set) || !json_equal(u, set))
            abort();
        json_decref(d);
        json_decref(x);
        json_decref(u);
        json_decref(paths);
        json_decref(again);
        json_decref(out);
        json_decref(set);
    }
    free(err);
    json_decref(v);
}

static void applied(const char *s, size_t n)
{
    json_t *st = NULL;
    char *strict = NULL;
    json_t *cfg = apply_decode_body(s, n, &strict, &st);
    json_decref(st);
    free(strict);
    if (cfg == NULL)
        return;
    const struct schema_node *pod = schema_for_kind("", "v1", "Pod");
    json_t *live = json_loads(live_pod, 0, NULL);
    char *err = NULL;
    json_t *merged = mf_merge(pod, live, cfg, &err);
    if (merged != NULL) {
        json_t *set = mf_to_field_set(pod, cfg), *a, *m, *r;
        mf_compare(pod, live, merged, &a, &m, &r);
        mf_remove_items(pod, merged, set);
        json_t *v1 = fs_to_fields_v1(set);
        json_decref(v1);
        json_decref(a);
        json_decref(m);
        json_decref(r);
        json_decref(set);
        json_decref(merged);
    }
    free(err);
    json_decref(live);
    json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0)
        fieldsv1((const char *)data + 1, size - 1);
    else
        applied((const char *)data + 1, size - 1);
    return 0;
}
