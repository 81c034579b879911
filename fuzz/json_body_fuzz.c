/* Fuzz target: request bodies as the create/update path sees them — JSON decoding, strict
 * field checking against every kind's schema, defaulting, validation, managedFields and the
 * Go-compatible JSON writer. The first input byte picks the resource row. */
#include <stdint.h>
#include <stdlib.h>
#include "machinery/field.h"
#include "registry/resource.h"
#include "registry/rest.h"
#include "machinery/schema.h"
#include "machinery/validate.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n;
    const struct resource_def *t = resource_table(&n);
    const struct resource_def *r = &t[data[0] % n];
    json_t *obj = json_loadb((const char *)data + 1, size - 1, 0, NULL);
    if (obj == NULL)
        return 0;
    if (json_is_object(obj)) {
        const struct schema_node *root = schema_for_kind(r->group, r->version, r->kind);
        json_t *msgs = json_array();
        if (root != NULL)
            schema_find_unknown_fields(root, obj, msgs);
        json_decref(msgs);
        defaults_apply(r->group, r->kind, obj);
        defaults_prepare_for_create(r->group, r->kind, obj);
        struct field_errors fe;
        field_errors_init(&fe);
        validate_object(r->group, r->kind, r->namespaced, obj, NULL, &fe);
        free(field_errors_aggregate(&fe));
        field_errors_release(&fe);
        json_decref(rest_fields_v1(r, obj));
    }
    free(json_dump_go(obj, false, NULL));
    free(json_dump_go(obj, true, NULL));
    json_decref(obj);
    return 0;
}
