/* patch_fuzz.c — libFuzzer target for api/patch.c and api/smpatch.c.
 * Input: byte 0 selects the patch type (mod 3: JSON, merge, strategic; bit 2 set: strategic
 * with the real Pod schema, else no schema); the rest is "<original JSON>\n\n<patch body>"
 * (no separator: the whole rest is the patch and the original is a small fixed Pod). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/patch.h"
#include "machinery/schema.h"

static const char default_original[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\"},"
    "\"finalizers\":[\"x\"]},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\","
    "\"env\":[{\"name\":\"E\",\"value\":\"v\"}]}],\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum patch_type t = (enum patch_type)(data[0] % 3);
    const struct schema_node *schema = (data[0] & 4) ? schema_for_kind("", "v1", "Pod") : NULL;
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    const char *sep = memmem(rest, len, "\n\n", 2);
    json_t *orig;
    const char *patch = rest;
    size_t plen = len;
    if (sep != NULL) {
        orig = json_loadb(rest, (size_t)(sep - rest), 0, NULL);
        patch = sep + 2;
        plen = len - (size_t)(patch - rest);
    } else {
        orig = json_loads(default_original, 0, NULL);
    }
    if (!json_is_object(orig)) {
        json_decref(orig);
        return 0;
    }
    char *before = json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT);
    json_t *ret = NULL;
    char *err = NULL;
    int rc = patch_apply(t, schema, orig, patch, plen, &ret, &err);
    if (rc == 0) {
        if (!json_is_object(ret) || err != NULL)
            abort();
        char *out = json_dumps(ret, JSON_COMPACT);
        free(out);
        json_decref(ret);
    } else {
        if (ret != NULL || err == NULL)
            abort();
        json_t *st = patch_error_status(rc, err);
        json_decref(st);
        free(err);
    }
    char *after = json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT);
    if (strcmp(before, after) != 0)
        abort(); /* the original must never be modified */
    free(before);
    free(after);
    json_decref(orig);
    return 0;
}
