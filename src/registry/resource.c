/* resource.c — the resource table (see resource.h). One row per resource, as upstream v1.32
 * serves it (discovery names, short names, categories, verbs, subresources). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "registry/resource.h"
#include "util/buf.h"

#define RW VERBS_ALL
#define SUB_STATUS(k) {"status", k, NULL, NULL, VERB_GET | VERB_PATCH | VERB_UPDATE, NULL}

static struct resource_def resources[] = {
    {"", "v1", "Namespace", "NamespaceList", "namespaces", "namespace", {"ns"}, {NULL}, false,
     VERB_GET | VERB_LIST | VERB_WATCH | VERB_CREATE | VERB_UPDATE | VERB_PATCH | VERB_DELETE, true,
     true, false, NULL,
     {SUB_STATUS("Namespace"), {"finalize", "Namespace", NULL, NULL, VERB_UPDATE, NULL}}},
    {"", "v1", "ServiceAccount", "ServiceAccountList", "serviceaccounts", "serviceaccount", {"sa"},
     {NULL}, true, RW, true, false, false, NULL,
     {{"token", "TokenRequest", "authentication.k8s.io", "v1", VERB_CREATE, NULL}}},
    {"", "v1", "Secret", "SecretList", "secrets", "secret", {NULL}, {NULL}, true, RW, false, false,
     false, NULL, {{NULL}}},
    {"", "v1", "ConfigMap", "ConfigMapList", "configmaps", "configmap", {"cm"}, {NULL}, true, RW,
     false, false, false, NULL, {{NULL}}},
    {"", "v1", "Pod", "PodList", "pods", "pod", {"po"}, {"all"}, true, RW, true, true, false, NULL,
     {SUB_STATUS("Pod"), {"log", "Pod", NULL, NULL, VERB_GET, NULL},
      {"exec", "PodExecOptions", NULL, NULL, VERB_CREATE | VERB_GET, NULL},
      {"binding", "Binding", NULL, NULL, VERB_CREATE, NULL},
      {"eviction", "Eviction", "policy", "v1", VERB_CREATE, NULL}}},
    {"", "v1", "Node", "NodeList", "nodes", "node", {"no"}, {NULL}, false, RW, false, true, false,
     NULL, {SUB_STATUS("Node")}},
    {"", "v1", "Event", "EventList", "events", "event", {"ev"}, {NULL}, true, RW, false, false,
     false, NULL, {{NULL}}},
    /* events.k8s.io/v1 serves the core/v1 Events' storage, converted (api/events_v1.h) */
    {"events.k8s.io", "v1", "Event", "EventList", "events", "event", {"ev"}, {NULL}, true, RW,
     false, false, false, NULL, {{NULL}}},
    {"batch", "v1", "Job", "JobList", "jobs", "job", {NULL}, {"all"}, true, RW, false, true, true,
     NULL, {SUB_STATUS("Job")}},
    {"coordination.k8s.io", "v1", "Lease", "LeaseList", "leases", "lease", {NULL}, {NULL}, true,
     RW, false, false, false, NULL, {{NULL}}},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", "ClusterRoleList", "clusterroles",
     "clusterrole", {NULL}, {NULL}, false, RW, false, false, false, NULL, {{NULL}}},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "ClusterRoleBindingList",
     "clusterrolebindings", "clusterrolebinding", {NULL}, {NULL}, false, RW, false, false, false,
     NULL, {{NULL}}},
    {"rbac.authorization.k8s.io", "v1", "Role", "RoleList", "roles", "role", {NULL}, {NULL}, true,
     RW, false, false, false, NULL, {{NULL}}},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", "RoleBindingList", "rolebindings",
     "rolebinding", {NULL}, {NULL}, true, RW, false, false, false, NULL, {{NULL}}},
    {"authentication.k8s.io", "v1", "TokenReview", NULL, "tokenreviews", "", {NULL}, {NULL}, false,
     VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
    {"authentication.k8s.io", "v1", "SelfSubjectReview", NULL, "selfsubjectreviews", "", {NULL},
     {NULL}, false, VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
    {"authorization.k8s.io", "v1", "LocalSubjectAccessReview", NULL, "localsubjectaccessreviews",
     "", {NULL}, {NULL}, true, VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
    {"authorization.k8s.io", "v1", "SelfSubjectAccessReview", NULL, "selfsubjectaccessreviews", "",
     {NULL}, {NULL}, false, VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
    {"authorization.k8s.io", "v1", "SelfSubjectRulesReview", NULL, "selfsubjectrulesreviews", "",
     {NULL}, {NULL}, false, VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
    {"authorization.k8s.io", "v1", "SubjectAccessReview", NULL, "subjectaccessreviews", "", {NULL},
     {NULL}, false, VERBS_CREATE_ONLY, false, false, false, NULL, {{NULL}}},
};

#define NRESOURCES (sizeof(resources) / sizeof(resources[0]))

const struct resource_def *resource_table(size_t *ret_n)
{
    *ret_n = NRESOURCES;
    return resources;
}

const struct resource_def *resource_lookup(const char *group, const char *version, const char *plural)
{
    for (size_t i = 0; i < NRESOURCES; i++) {
        const struct resource_def *r = &resources[i];
        if (strcmp(r->group, group ? group : "") == 0 && strcmp(r->version, version) == 0 &&
            strcmp(r->plural, plural) == 0)
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

const struct subresource_def *resource_subresource(const struct resource_def *r, const char *name)
{
    for (size_t i = 0; i < sizeof(r->subresources) / sizeof(r->subresources[0]); i++)
        if (r->subresources[i].name != NULL && strcmp(r->subresources[i].name, name) == 0)
            return &r->subresources[i];
    return NULL;
}

const char *resource_api_version(const struct resource_def *r)
{
    static char gv[NRESOURCES][96];
    size_t i = (size_t)(r - resources);
    if (i >= NRESOURCES)
        return r->version;
    if (gv[i][0] == '\0') {
        if (*r->group)
            snprintf(gv[i], sizeof(gv[i]), "%s/%s", r->group, r->version);
        else
            snprintf(gv[i], sizeof(gv[i]), "%s", r->version);
    }
    return gv[i];
}

char *resource_key(const struct resource_def *r, const char *ns, const char *name)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "/registry/%s/", r->plural);
    if (r->namespaced && ns != NULL && *ns)
        buf_printf(&b, "%s/", ns);
    if (name != NULL)
        buf_puts(&b, name);
    return buf_detach(&b, NULL);
}

char *resource_qualified(const struct resource_def *r)
{
    if (*r->group)
        return xasprintf("%s.%s", r->plural, r->group);
    return xstrdup(r->plural);
}

void resource_set_create_handler(const char *group, const char *plural, virtual_create_fn fn)
{
    for (size_t i = 0; i < NRESOURCES; i++)
        if (strcmp(resources[i].group, group) == 0 && strcmp(resources[i].plural, plural) == 0)
            resources[i].create = fn;
}

void resource_set_subresource_handler(const char *group, const char *plural, const char *sub,
                                      virtual_create_fn fn)
{
    for (size_t i = 0; i < NRESOURCES; i++) {
        struct resource_def *r = &resources[i];
        if (strcmp(r->group, group) != 0 || strcmp(r->plural, plural) != 0)
            continue;
        for (size_t j = 0; j < sizeof(r->subresources) / sizeof(r->subresources[0]); j++)
            if (r->subresources[j].name && strcmp(r->subresources[j].name, sub) == 0)
                r->subresources[j].create = fn;
    }
}
