/* Fuzz target: typed decoding of request bodies (api/typecheck.c) — both the JSON decoder's
 * and the unstructured converter's rules over every kind's schema, Go's %+v of the body, and
 * the base64 verdict over the raw bytes. The first input byte picks the resource row and the
 * mode. */
#include <stdint.h>
#include <stdlib.h>
#include "registry/resource.h"
#include "machinery/schema.h"
#include "machinery/typecheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n;
    const struct resource_def *t = resource_table(&n);
    const struct resource_def *r = &t[(data[0] >> 1) % n];
    enum typecheck_mode mode = (data[0] & 1) ? TYPECHECK_UNSTRUCTURED : TYPECHECK_JSON;
    (void)typecheck_base64_error((const char *)data + 1, size - 1);
    json_t *obj = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (obj == NULL)
        return 0;
    const struct schema_node *root = schema_for_kind(r->group, r->version, r->kind);
    free(typecheck_object(root, r->kind, obj, mode));
    free(typecheck_go_format(obj));
    json_decref(obj);
    return 0;
}
