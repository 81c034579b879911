/* binding.c — pods/binding; see binding.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/binding.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/util.h"

/* Sets condition PodScheduled=True in pod's status (kept if already True). */
static void set_scheduled(json_t *pod)
{
    json_t *status = json_obj_ensure(pod, "status");
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        const char *t = json_str(c, "type");
        if (t != NULL && strcmp(t, "PodScheduled") == 0) {
            const char *s = json_str(c, "status");
            if (s == NULL || strcmp(s, "True") != 0) {
                char now[32];
                time_rfc3339(clock_wall_s(), now);
                json_object_set_new(c, "status", json_string("True"));
                json_object_set_new(c, "lastTransitionTime", json_string(now));
                json_object_del(c, "reason");
                json_object_del(c, "message");
            }
            return;
        }
    }
    char now[32];
    time_rfc3339(clock_wall_s(), now);
    json_array_append_new(conds, json_pack("{s:s, s:s, s:n, s:s}", "type", "PodScheduled", "status",
                                           "True", "lastProbeTime", "lastTransitionTime", now));
}

int binding_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    const char *kind = json_str(body, "kind");
    if (kind != NULL && *kind && strcmp(kind, "Binding") != 0) {
        *ret_status = status_newf(AZ_EBADREQUEST,
                                  "the object provided is unrecognized (must be of type Binding): %s", kind);
        return AZ_EBADREQUEST;
    }
    int rc = rest_check_namespace(call, body, ret_status);
    if (rc < 0)
        return rc;
    const char *name = json_path_str(body, "metadata.name");
    if (name == NULL || strcmp(name, call->name) != 0) {
        *ret_status = status_bad_request("name in URL does not match name in Binding object");
        return AZ_EBADREQUEST;
    }
    const char *tkind = json_path_str(body, "target.kind");
    const char *node = json_path_str(body, "target.name");
    if ((tkind != NULL && *tkind && strcmp(tkind, "Node") != 0) || node == NULL || *node == '\0') {
        char *why = node == NULL || *node == '\0' ? xstrdup("target.name: Required value")
                                                  : xasprintf("target.kind: Unsupported value: \"%s\": supported values: \"\", \"Node\"", tkind);
        *ret_status = status_newf(AZ_EINVALID, "Binding \"%s\" is invalid: %s", name, why);
        free(why);
        return AZ_EINVALID;
    }
    struct api_call pc = *call;
    pc.subresource = NULL;
    json_t *pod = NULL;
    rc = rest_get(&pc, &pod, ret_status);
    if (rc < 0)
        return rc;
    const char *cur = json_path_str(pod, "spec.nodeName");
    char *why = NULL;
    if (json_path(pod, "metadata.deletionTimestamp") != NULL)
        why = xasprintf("pod %s is being deleted, cannot be assigned to a host", name);
    else if (cur != NULL && *cur)
        why = xasprintf("pod %s is already assigned to node \"%s\"", name, cur);
    if (why != NULL) {
        *ret_status = status_conflict("", "pods/binding", name, why);
        free(why);
        json_decref(pod);
        return AZ_ECONFLICT;
    }
    json_object_set_new(json_obj_ensure(pod, "spec"), "nodeName", json_string(node));
    json_t *ann = json_path(body, "metadata.annotations");
    if (json_is_object(ann))
        json_object_update(json_obj_ensure(json_obj_ensure(pod, "metadata"), "annotations"), ann);
    json_t *res = NULL;
    int code;
    /* the spec change (nodeName) goes through the pod update path, which lets an internal
     * call bind an unassigned pod; the condition through pods/status */
    pc.internal = true;
    rc = rest_update(&pc, pod, &res, &code, ret_status);
    json_decref(pod);
    if (rc < 0)
        return rc;
    set_scheduled(res);
    pc.subresource = "status";
    json_t *res2 = NULL;
    json_t *st = NULL;
    if (rest_update(&pc, res, &res2, &code, &st) < 0)
        json_decref(st); /* the binding stands; the condition is best effort */
    json_decref(res);
    json_decref(res2);
    *ret_obj = json_pack("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                         "metadata", "status", "Success", "code", 201);
    return 0;
}
