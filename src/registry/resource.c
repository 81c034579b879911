/* resource.c — the resource table (see resource.h). One row per resource, as upstream v1.32
 * serves it (discovery names, short names, categories, verbs, subresources). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry/resource.h"
#include "machinery/schema.h"
#include "machinery/selector.h"
#include "machinery/table.h"
#include "machinery/validate.h"
#include "util/buf.h"

#define RW VERBS_ALL
#define SUB_STATUS(k) {.name = "status", .kind = k, .verbs = VERB_GET | VERB_PATCH | VERB_UPDATE}
#define AUTHN "authentication.k8s.io"
#define AUTHZ "authorization.k8s.io"
#define RBAC "rbac.authorization.k8s.io"

/* Zero values of the Go types as ToUnstructured writes them: non-pointer structs as {},
 * slices and maps without omitempty as null, non-omitempty scalars as their zero. */
#define ZERO_SAR "{\"metadata\":{},\"spec\":{},\"status\":{\"allowed\":false}}"
#define ZERO_ROLE "{\"metadata\":{},\"rules\":null}"
#define ZERO_BINDING "{\"metadata\":{},\"roleRef\":{\"apiGroup\":\"\",\"kind\":\"\",\"name\":\"\"}}"

/* The rows are constant. Virtual resources (RES_VIRTUAL) and subresources (virtual_create)
 * only say that their POST runs a handler: the handlers belong to modules above this layer and
 * are handed to the apiserver by cmd/serve.c (struct virtual_handler, apiserver.h). */
static const struct resource_def resources[] = {
    {
        .group = "", .version = "v1", .kind = "Namespace", .list_kind = "NamespaceList",
        .plural = "namespaces", .singular = "namespace", .short_names = {"ns"},
        .verbs = VERB_GET | VERB_LIST | VERB_WATCH | VERB_CREATE | VERB_UPDATE | VERB_PATCH |
                 VERB_DELETE,
        .return_deleted_object = true, .has_status = true,
        .subresources = {SUB_STATUS("Namespace"),
                         {.name = "finalize", .kind = "Namespace", .verbs = VERB_UPDATE}},
        .flags = RES_CREATE_KEEPS_STATUS | RES_PATH_NAME_IS_NAMESPACE | RES_NAMESPACE,
        .defaults = defaults_kind_namespace, .prepare_create = prepare_kind_namespace,
        .validate = validate_kind_namespace, .table = &table_namespace,
        .schema = &schema_namespace, .zero = "{\"metadata\":{},\"spec\":{},\"status\":{}}",
        .fields = &field_labels_namespace,
    },
    {
        .group = "", .version = "v1", .kind = "ServiceAccount", .list_kind = "ServiceAccountList",
        .plural = "serviceaccounts", .singular = "serviceaccount", .short_names = {"sa"},
        .namespaced = true, .verbs = RW, .return_deleted_object = true, .flags = RES_GC_OWNER,
        .subresources = {{.name = "token", .kind = "TokenRequest", .group = AUTHN,
                          .version = "v1", .verbs = VERB_CREATE, .virtual_create = true,
                          .sensitive_body = true, .schema = &schema_token_request}},
        .validate = validate_kind_core_namespaced, .table = &table_service_account,
        .schema = &schema_service_account,
    },
    {
        .group = "", .version = "v1", .kind = "Secret", .list_kind = "SecretList",
        .plural = "secrets", .singular = "secret", .namespaced = true, .verbs = RW,
        .flags = RES_SENSITIVE_BODY | RES_GC_OWNER,
        .defaults = defaults_kind_secret, .validate = validate_kind_secret,
        .table = &table_secret, .schema = &schema_secret, .fields = &field_labels_secret,
    },
    {
        .group = "", .version = "v1", .kind = "ConfigMap", .list_kind = "ConfigMapList",
        .plural = "configmaps", .singular = "configmap", .short_names = {"cm"},
        .namespaced = true, .verbs = RW, .flags = RES_GC_OWNER,
        .validate = validate_kind_config_map, .table = &table_config_map,
        .schema = &schema_config_map,
    },
    {
        .group = "", .version = "v1", .kind = "Pod", .list_kind = "PodList", .plural = "pods",
        .singular = "pod", .short_names = {"po"}, .categories = {"all"}, .namespaced = true,
        .verbs = RW, .return_deleted_object = true, .has_status = true,
        .subresources = {SUB_STATUS("Pod"),
                         {.name = "log", .kind = "Pod", .verbs = VERB_GET, .stream = true},
                         {.name = "exec", .kind = "PodExecOptions",
                          .verbs = VERB_CREATE | VERB_GET, .stream = true},
                         {.name = "attach", .kind = "PodAttachOptions",
                          .verbs = VERB_CREATE | VERB_GET, .stream = true},
                         {.name = "portforward", .kind = "PodPortForwardOptions",
                          .verbs = VERB_CREATE | VERB_GET, .stream = true},
                         {.name = "binding", .kind = "Binding", .verbs = VERB_CREATE,
                          .virtual_create = true},
                         {.name = "eviction", .kind = "Eviction", .group = "policy",
                          .version = "v1", .verbs = VERB_CREATE, .virtual_create = true,
                          .schema = &schema_eviction},
                         {.name = "ephemeralcontainers", .kind = "Pod",
                          .verbs = VERB_GET | VERB_PATCH | VERB_UPDATE,
                          .validate = validate_pod_ephemeral_update}},
        .flags = RES_SCHEDULER_BINDS | RES_POD | RES_GC_OWNER,
        .defaults = defaults_kind_pod, .prepare_create = prepare_kind_pod,
        .validate = validate_kind_pod, .table = &table_pod, .schema = &schema_pod,
        .zero = "{\"metadata\":{},\"spec\":{\"containers\":null},\"status\":{}}",
        .fields = &field_labels_pod, .cache_index = "spec.nodeName",
    },
    {
        .group = "", .version = "v1", .kind = "Node", .list_kind = "NodeList", .plural = "nodes",
        .singular = "node", .short_names = {"no"}, .verbs = RW, .has_status = true,
        .subresources = {SUB_STATUS("Node")},
        .flags = RES_CREATE_KEEPS_STATUS | RES_NODE | RES_GC_OWNER,
        .defaults = defaults_kind_node, .validate = validate_kind_node, .table = &table_node,
        .schema = &schema_node_kind,
        .zero = "{\"metadata\":{},\"spec\":{},\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":"
                "{\"Port\":0}},\"nodeInfo\":{\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\","
                "\"kernelVersion\":\"\",\"osImage\":\"\",\"containerRuntimeVersion\":\"\","
                "\"kubeletVersion\":\"\",\"kubeProxyVersion\":\"\",\"operatingSystem\":\"\","
                "\"architecture\":\"\"}}}",
        .fields = &field_labels_node,
    },
    {
        .group = "", .version = "v1", .kind = "Event", .list_kind = "EventList",
        .plural = "events", .singular = "event", .short_names = {"ev"}, .namespaced = true,
        .verbs = RW, .flags = RES_CREATE_ON_UPDATE,
        .validate = validate_kind_core_namespaced, .table = &table_event,
        .schema = &schema_event,
        .zero = "{\"metadata\":{},\"involvedObject\":{},\"source\":{},\"firstTimestamp\":null,"
                "\"lastTimestamp\":null,\"eventTime\":null,\"reportingComponent\":\"\","
                "\"reportingInstance\":\"\"}",
        .fields = &field_labels_event,
    },
    /* events.k8s.io/v1 serves the core/v1 Events' storage, converted (registry/events_v1.h):
     * its field selectors are translated to the core labels and served by the row above */
    {
        .group = "events.k8s.io", .version = "v1", .kind = "Event", .list_kind = "EventList",
        .plural = "events", .singular = "event", .short_names = {"ev"}, .namespaced = true,
        .verbs = RW, .flags = RES_EVENTS_VIEW | RES_CREATE_ON_UPDATE,
        .table = &table_events_event, .schema = &schema_events_event,
    },
    {
        .group = "batch", .version = "v1", .kind = "Job", .list_kind = "JobList",
        .plural = "jobs", .singular = "job", .categories = {"all"}, .namespaced = true,
        .verbs = RW, .has_status = true, .tracks_generation = true,
        .subresources = {SUB_STATUS("Job")},
        .flags = RES_DELETE_ORPHANS | RES_GC_OWNER, .pod_template = "spec.template",
        .defaults = defaults_kind_job, .prepare_create = prepare_kind_job,
        .validate = validate_kind_job, .table = &table_job, .schema = &schema_job,
        .zero = "{\"metadata\":{},\"spec\":{\"template\":{\"metadata\":{},\"spec\":"
                "{\"containers\":null}}},\"status\":{}}",
        .fields = &field_labels_job,
    },
    {
        .group = "coordination.k8s.io", .version = "v1", .kind = "Lease",
        .list_kind = "LeaseList", .plural = "leases", .singular = "lease", .namespaced = true,
        .verbs = RW, .flags = RES_CREATE_ON_UPDATE,
        .validate = validate_kind_lease, .table = &table_lease, .schema = &schema_lease,
        .zero = "{\"metadata\":{},\"spec\":{}}",
    },
    {
        .group = RBAC, .version = "v1", .kind = "ClusterRole", .list_kind = "ClusterRoleList",
        .plural = "clusterroles", .singular = "clusterrole", .verbs = RW,
        .flags = RES_RBAC_ROLE | RES_CREATE_ON_UPDATE,
        .validate = validate_kind_cluster_role, .schema = &schema_cluster_role,
        .zero = ZERO_ROLE,
    },
    {
        .group = RBAC, .version = "v1", .kind = "ClusterRoleBinding",
        .list_kind = "ClusterRoleBindingList", .plural = "clusterrolebindings",
        .singular = "clusterrolebinding", .verbs = RW,
        .flags = RES_RBAC_BINDING | RES_CREATE_ON_UPDATE,
        .defaults = defaults_kind_binding, .validate = validate_kind_cluster_role_binding,
        .table = &table_binding, .schema = &schema_cluster_role_binding, .zero = ZERO_BINDING,
    },
    {
        .group = RBAC, .version = "v1", .kind = "Role", .list_kind = "RoleList",
        .plural = "roles", .singular = "role", .namespaced = true, .verbs = RW,
        .flags = RES_RBAC_ROLE | RES_CREATE_ON_UPDATE,
        .validate = validate_kind_role, .schema = &schema_role, .zero = ZERO_ROLE,
    },
    {
        .group = RBAC, .version = "v1", .kind = "RoleBinding", .list_kind = "RoleBindingList",
        .plural = "rolebindings", .singular = "rolebinding", .namespaced = true, .verbs = RW,
        .flags = RES_RBAC_BINDING | RES_CREATE_ON_UPDATE,
        .defaults = defaults_kind_binding, .validate = validate_kind_role_binding,
        .table = &table_binding, .schema = &schema_role_binding, .zero = ZERO_BINDING,
    },
    {
        .group = AUTHN, .version = "v1", .kind = "TokenReview", .plural = "tokenreviews",
        .singular = "", .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL | RES_SENSITIVE_BODY,
        .schema = &schema_token_review,
        .zero = "{\"metadata\":{},\"spec\":{},\"status\":{\"user\":{}}}",
    },
    {
        .group = AUTHN, .version = "v1", .kind = "SelfSubjectReview",
        .plural = "selfsubjectreviews", .singular = "", .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL,
        .schema = &schema_self_subject_review, .zero = "{\"metadata\":{},\"status\":{}}",
    },
    {
        .group = AUTHZ, .version = "v1", .kind = "LocalSubjectAccessReview",
        .plural = "localsubjectaccessreviews", .singular = "", .namespaced = true,
        .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL, .schema = &schema_local_subject_access_review,
        .zero = ZERO_SAR,
    },
    {
        .group = AUTHZ, .version = "v1", .kind = "SelfSubjectAccessReview",
        .plural = "selfsubjectaccessreviews", .singular = "", .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL,
        .schema = &schema_self_subject_access_review, .zero = ZERO_SAR,
    },
    {
        .group = AUTHZ, .version = "v1", .kind = "SelfSubjectRulesReview",
        .plural = "selfsubjectrulesreviews", .singular = "", .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL,
        .schema = &schema_self_subject_rules_review,
        .zero = "{\"metadata\":{},\"spec\":{},\"status\":{\"resourceRules\":null,"
                "\"nonResourceRules\":null,\"incomplete\":false}}",
    },
    {
        .group = AUTHZ, .version = "v1", .kind = "SubjectAccessReview",
        .plural = "subjectaccessreviews", .singular = "", .verbs = VERBS_CREATE_ONLY, .flags = RES_VIRTUAL,
        .schema = &schema_subject_access_review, .zero = ZERO_SAR,
    },
};

#define NRESOURCES (sizeof(resources) / sizeof(resources[0]))

const struct resource_def *resource_table(size_t *ret_n)
{
    *ret_n = NRESOURCES;
    return resources;
}

const struct resource_def *resource_lookup(const char *group, const char *version, const char *plural)
{
    const char *g = group ? group : "";
    /* the plural first, its first byte inline: most rows differ there (every request) */
    for (size_t i = 0; i < NRESOURCES; i++) {
        const struct resource_def *r = &resources[i];
        if (r->plural[0] == plural[0] && strcmp(r->plural, plural) == 0 &&
            strcmp(r->group, g) == 0 && strcmp(r->version, version) == 0)
            return r;
    }
    return NULL;
}

const struct resource_def *resource_by_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < NRESOURCES; i++)
        if (strcmp(resources[i].group, group ? group : "") == 0 && strcmp(resources[i].kind, kind) == 0)
            return &resources[i];
    return NULL;
}

const struct resource_def *resource_of_object(json_t *obj)
{
    const char *av = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (av == NULL || kind == NULL)
        return NULL;
    const char *slash = strchr(av, '/');
    size_t glen = slash != NULL ? (size_t)(slash - av) : 0;
    const char *version = slash != NULL ? slash + 1 : av;
    for (size_t i = 0; i < NRESOURCES; i++) {
        const struct resource_def *r = &resources[i];
        if (strlen(r->group) == glen && strncmp(r->group, av, glen) == 0 &&
            strcmp(r->version, version) == 0 && strcmp(r->kind, kind) == 0)
            return r;
    }
    return NULL;
}

const struct subresource_def *resource_subresource(const struct resource_def *r, const char *name)
{
    for (size_t i = 0; i < sizeof(r->subresources) / sizeof(r->subresources[0]); i++)
        if (r->subresources[i].name != NULL && strcmp(r->subresources[i].name, name) == 0)
            return &r->subresources[i];
    return NULL;
}

const struct schema_node *resource_schema_by_kind(const char *group, const char *version,
                                                  const char *kind)
{
    if (group == NULL || version == NULL || kind == NULL)
        return NULL;
    /* meta/v1 kinds registered in every group-version */
    static const struct {
        const char *kind;
        const struct schema_node *schema;
    } meta_kinds[] = {{"DeleteOptions", &schema_delete_options}, {"Status", &schema_status}};
    for (size_t i = 0; i < sizeof(meta_kinds) / sizeof(meta_kinds[0]); i++)
        if (strcmp(meta_kinds[i].kind, kind) == 0)
            return meta_kinds[i].schema;
    for (size_t i = 0; i < NRESOURCES; i++) {
        const struct resource_def *r = &resources[i];
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 &&
            strcmp(r->kind, kind) == 0 && r->schema != NULL)
            return r->schema;
        for (size_t j = 0; j < sizeof(r->subresources) / sizeof(r->subresources[0]); j++) {
            const struct subresource_def *sd = &r->subresources[j];
            if (sd->name != NULL && sd->schema != NULL && strcmp(sd->kind, kind) == 0 &&
                strcmp(sd->group ? sd->group : r->group, group) == 0 &&
                strcmp(sd->version ? sd->version : r->version, version) == 0)
                return sd->schema;
        }
    }
    return NULL;
}

/* "group/version" of every row, written once (pthread_once) and read-only afterwards:
 * safe from any thread. */
static char resource__gv[NRESOURCES][96];
static pthread_once_t resource__gv_once = PTHREAD_ONCE_INIT;

static void resource_gv_fill(void)
{
    for (size_t i = 0; i < NRESOURCES; i++) {
        const struct resource_def *r = &resources[i];
        if (*r->group)
            snprintf(resource__gv[i], sizeof(resource__gv[i]), "%s/%s", r->group, r->version);
        else
            snprintf(resource__gv[i], sizeof(resource__gv[i]), "%s", r->version);
    }
}

const char *resource_api_version(const struct resource_def *r)
{
    size_t i = (size_t)(r - resources);
    if (i >= NRESOURCES)
        return r->version;
    pthread_once(&resource__gv_once, resource_gv_fill);
    return resource__gv[i];
}

char *resource_key(const struct resource_def *r, const char *ns, const char *name)
{
    /* by hand, not buf_printf: this runs on every get (its format parsing was 3% of one) */
    struct buf b = BUF_INIT;
    buf_puts(&b, "/registry/");
    buf_puts(&b, r->plural);
    buf_putc(&b, '/');
    if (r->namespaced && ns != NULL && *ns) {
        buf_puts(&b, ns);
        buf_putc(&b, '/');
    }
    if (name != NULL)
        buf_puts(&b, name);
    return buf_detach(&b, NULL);
}

void resource_defaults(const struct resource_def *r, json_t *obj)
{
    if (r != NULL && r->defaults != NULL && json_is_object(obj))
        r->defaults(obj);
}

void resource_prepare_create(const struct resource_def *r, json_t *obj)
{
    if (r != NULL && r->prepare_create != NULL && json_is_object(obj))
        r->prepare_create(obj);
}

void resource_validate(const struct resource_def *r, json_t *obj, json_t *old,
                       struct field_errors *errs)
{
    if (r == NULL || !json_is_object(obj))
        return;
    if (!json_is_object(old))
        old = NULL;
    validate_metadata_nul(obj, errs);
    if (r->validate != NULL)
        r->validate(obj, old, errs);
    else
        validate_generic(obj, old, r->namespaced, errs);
}
