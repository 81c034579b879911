/* noderestriction.c — NodeRestriction admission; see noderestriction.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admission/noderestriction.h"
#include "machinery/status.h"
#include "registry/admission.h"
#include "util/buf.h"
#include "util/json.h"

#define NODE_PREFIX "system:node:"
#define MIRROR_ANNOTATION "kubernetes.io/config.mirror"

/* The node name of a node user, or NULL (not a node, or no name). */
static const char *node_name(const struct user_info *u)
{
    if (u == NULL || u->name == NULL || strncmp(u->name, NODE_PREFIX, strlen(NODE_PREFIX)) != 0 ||
        !user_info_in_group(u, "system:nodes") || u->name[strlen(NODE_PREFIX)] == '\0')
        return NULL;
    return u->name + strlen(NODE_PREFIX);
}

/* admission.NewForbidden: `<resource> "<name>" is forbidden: <text>`. */
static int forbid(const struct api_call *c, const char *name, json_t **ret_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int forbid(const struct api_call *c, const char *name, json_t **ret_status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    *ret_status = status_forbidden(c->res->group, c->res->plural, name, text);
    free(text);
    return AZ_EFORBIDDEN;
}

static bool str_set(json_t *v)
{
    return json_is_string(v) && *json_string_value(v) != '\0';
}

/* The first kind of object pod references that a node may not make a mirror pod use. */
static const char *mirror_pod_reference(json_t *pod)
{
    json_t *spec = json_object_get(pod, "spec");
    if (str_set(json_object_get(spec, "serviceAccountName")))
        return "a service account";
    size_t i, j, k;
    json_t *v, *src, *c, *e;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        if (json_object_get(v, "secret") != NULL)
            return "secrets";
        if (json_object_get(v, "configMap") != NULL)
            return "configmaps";
        if (json_object_get(v, "persistentVolumeClaim") != NULL || json_object_get(v, "ephemeral") != NULL)
            return "persistentvolumeclaims";
        json_array_foreach(json_path(v, "projected.sources"), j, src) {
            if (json_object_get(src, "secret") != NULL)
                return "secrets";
            if (json_object_get(src, "configMap") != NULL)
                return "configmaps";
            if (json_object_get(src, "serviceAccountToken") != NULL)
                return "serviceaccounts";
        }
    }
    if (json_array_size(json_object_get(spec, "imagePullSecrets")) > 0)
        return "secrets";
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t l = 0; l < 3; l++)
        json_array_foreach(json_object_get(spec, lists[l]), j, c) {
            json_array_foreach(json_object_get(c, "env"), k, e) {
                if (json_path(e, "valueFrom.secretKeyRef") != NULL)
                    return "secrets";
                if (json_path(e, "valueFrom.configMapKeyRef") != NULL)
                    return "configmaps";
            }
            json_array_foreach(json_object_get(c, "envFrom"), k, e) {
                if (json_object_get(e, "secretRef") != NULL)
                    return "secrets";
                if (json_object_get(e, "configMapRef") != NULL)
                    return "configmaps";
            }
        }
    return NULL;
}

static const char *op_name(enum admission_op op)
{
    switch (op) {
    case ADMIT_CREATE: return "CREATE";
    case ADMIT_UPDATE: return "UPDATE";
    case ADMIT_DELETE: return "DELETE";
    case ADMIT_CONNECT: return "CONNECT";
    }
    return "";
}

static int admit_pod(struct api_call *c, const char *node, enum admission_op op, json_t *obj, json_t *old,
                     json_t **ret_status)
{
    const char *name = json_path_str(op == ADMIT_DELETE ? old : obj, "metadata.name");
    if (name == NULL)
        name = c->name;
    if (c->subresource != NULL && strcmp(c->subresource, "status") == 0) {
        if (op != ADMIT_UPDATE)
            return forbid(c, name, ret_status, "unexpected operation %s", op_name(op));
        const char *nn = json_path_str(old != NULL ? old : obj, "spec.nodeName");
        if (nn == NULL || strcmp(nn, node) != 0)
            return forbid(c, name, ret_status,
                          "node \"%s\" can only update pod status for pods with spec.nodeName set to itself", node);
        return 0;
    }
    if (c->subresource != NULL)
        return 0;
    switch (op) {
    case ADMIT_CREATE: {
        if (json_object_get(json_path(obj, "metadata.annotations"), MIRROR_ANNOTATION) == NULL)
            return forbid(c, name, ret_status, "pod does not have \"%s\" annotation, node \"%s\" can only create mirror pods",
                          MIRROR_ANNOTATION, node);
        const char *nn = json_path_str(obj, "spec.nodeName");
        if (nn == NULL || strcmp(nn, node) != 0)
            return forbid(c, name, ret_status, "node \"%s\" can only create pods with spec.nodeName set to itself", node);
        const char *ref = mirror_pod_reference(obj);
        if (ref != NULL)
            return forbid(c, name, ret_status, "node \"%s\" can not create pods that reference %s", node, ref);
        return 0;
    }
    case ADMIT_DELETE: {
        const char *nn = json_path_str(old, "spec.nodeName");
        if (nn == NULL || strcmp(nn, node) != 0)
            return forbid(c, name, ret_status, "node \"%s\" can only delete pods with spec.nodeName set to itself", node);
        return 0;
    }
    case ADMIT_UPDATE:
    case ADMIT_CONNECT:
        break;
    }
    return forbid(c, name, ret_status, "unexpected operation \"%s\", node \"%s\" can only create and delete mirror pods",
                  op_name(op), node);
}

static int nr_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old, json_t **ret_status)
{
    const char *node = node_name(c->user);
    if (node == NULL || c->res == NULL || *c->res->group != '\0')
        return 0;
    if (c->res->flags & RES_POD)
        return admit_pod(c, node, op, obj, old, ret_status);
    if (c->res->flags & RES_NODE) {
        const char *name = json_path_str(op == ADMIT_DELETE ? old : obj, "metadata.name");
        if (name == NULL)
            name = c->name != NULL ? c->name : "";
        if (strcmp(name, node) != 0)
            return forbid(c, name, ret_status, "node \"%s\" is not allowed to modify node \"%s\"", node, name);
    }
    return 0;
}

/* nr_validate's rows: core Pods and Nodes. */
static bool nr_acts_on(const struct resource_def *r, enum admission_op op)
{
    (void)op;
    return *r->group == '\0' && (r->flags & (RES_POD | RES_NODE)) != 0;
}

static const struct admission_plugin noderestriction_plugin = {
    .name = "NodeRestriction",
    .acts_on = nr_acts_on,
    .mutate = NULL,
    .validate = nr_validate,
};

const struct admission_plugin *noderestriction_admission(void)
{
    return &noderestriction_plugin;
}
