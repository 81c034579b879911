/* eviction.c — pods/eviction; see eviction.h. */
#include <string.h>
#include "registry/eviction.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "util/json.h"

int eviction_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    const char *kind = json_str(body, "kind"), *av = json_str(body, "apiVersion");
    if (kind != NULL && strcmp(kind, "Eviction") != 0) {
        *ret_status = status_newf(AZ_EBADREQUEST,
                                  "the object provided is unrecognized (must be of type Eviction): %s", kind);
        return AZ_EBADREQUEST;
    }
    if (av != NULL && strcmp(av, "policy/v1") != 0 && strcmp(av, "policy/v1beta1") != 0) {
        *ret_status = status_newf(AZ_EBADREQUEST, "unsupported eviction version %s", av);
        return AZ_EBADREQUEST;
    }
    int rc = rest_check_namespace(call, body, ret_status);
    if (rc < 0)
        return rc;
    const char *name = json_path_str(body, "metadata.name");
    if (name == NULL || strcmp(name, call->name) != 0) {
        *ret_status = status_bad_request("name in URL does not match name in Eviction object");
        return AZ_EBADREQUEST;
    }
    json_t *opts = json_object_get(body, "deleteOptions");
    opts = json_is_object(opts) ? json_deep_copy(opts) : json_object();
    json_t *dry = json_object_get(opts, "dryRun");
    struct api_call del = *call;
    del.subresource = NULL;
    del.dry_run = call->dry_run || json_array_size(dry) > 0;
    json_t *obj = NULL;
    int code;
    rc = rest_delete(&del, opts, &obj, &code, ret_status);
    json_decref(opts);
    json_decref(obj);
    if (rc < 0)
        return rc;
    /* upstream: a Success Status; the create handler fills in its 201 */
    *ret_obj = json_pack("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                         "metadata", "status", "Success", "code", 201);
    return 0;
}
