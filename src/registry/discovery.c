/* discovery.c — discovery documents from the resource table; see discovery.h. */
#include <stdio.h>
#include <string.h>
#include "registry/discovery.h"
#include "registry/resource.h"
#include "util/buf.h"

static const char *verb_names[] = {"create", "delete", "deletecollection", "get", "list",
                                   "patch", "update", "watch"};
static const unsigned verb_bits[] = {VERB_CREATE, VERB_DELETE, VERB_DELETECOLLECTION, VERB_GET,
                                     VERB_LIST, VERB_PATCH, VERB_UPDATE, VERB_WATCH};

static json_t *verbs_json(unsigned verbs)
{
    json_t *a = json_array();
    for (size_t i = 0; i < 8; i++)
        if (verbs & verb_bits[i])
            json_array_append_new(a, json_string(verb_names[i]));
    return a;
}

json_t *discovery_version(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", ANZEN_K8S_MAJOR,
                     "minor", ANZEN_K8S_MINOR, "gitVersion", ANZEN_K8S_GIT_VERSION, "gitCommit",
                     "anzen", "gitTreeState", "clean", "buildDate", "2026-11-29T00:00:00Z",
                     "goVersion", "go1.23.3", "compiler", "gc", "platform", "linux/amd64");
}

json_t *discovery_api_versions(const char *server_address)
{
    return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
                     "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress",
                     server_address);
}

/* Distinct non-core groups in table order (upstream orders by priority; close enough). */
static size_t groups(const char **out, size_t max)
{
    size_t n, ng = 0;
    const struct resource_def *t = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (!*t[i].group)
            continue;
        bool seen = false;
        for (size_t j = 0; j < ng; j++)
            if (strcmp(out[j], t[i].group) == 0)
                seen = true;
        if (!seen && ng < max)
            out[ng++] = t[i].group;
    }
    return ng;
}

static json_t *group_json(const char *g)
{
    char gv[128];
    snprintf(gv, sizeof(gv), "%s/v1", g);
    return json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", g, "versions", "groupVersion",
                     gv, "version", "v1", "preferredVersion", "groupVersion", gv, "version", "v1");
}

json_t *discovery_api_groups(void)
{
    const char *gs[32];
    size_t ng = groups(gs, 32);
    json_t *arr = json_array();
    for (size_t i = 0; i < ng; i++)
        json_array_append_new(arr, group_json(gs[i]));
    return json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", arr);
}

json_t *discovery_api_group(const char *group)
{
    const char *gs[32];
    size_t ng = groups(gs, 32);
    for (size_t i = 0; i < ng; i++)
        if (strcmp(gs[i], group) == 0) {
            json_t *g = group_json(group);
            json_t *out = json_pack("{s:s, s:s}", "kind", "APIGroup", "apiVersion", "v1");
            json_object_update(out, g);
            json_decref(g);
            return out;
        }
    return NULL;
}

static json_t *strings_json(const char *const *v, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; i < max && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *discovery_resource_list(const char *group, const char *version)
{
    size_t n;
    const struct resource_def *t = resource_table(&n);
    json_t *res = json_array();
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &t[i];
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        any = true;
        json_t *e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", r->plural, "singularName",
                              r->singular, "namespaced", r->namespaced, "kind", r->kind, "verbs",
                              verbs_json(r->verbs));
        if (r->short_names[0])
            json_object_set_new(e, "shortNames", strings_json(r->short_names, 4));
        if (r->categories[0])
            json_object_set_new(e, "categories", strings_json(r->categories, 2));
        json_array_append_new(res, e);
        for (size_t j = 0; j < sizeof(r->subresources) / sizeof(r->subresources[0]); j++) {
            const struct subresource_def *s = &r->subresources[j];
            if (s->name == NULL)
                continue;
            char name[128];
            snprintf(name, sizeof(name), "%s/%s", r->plural, s->name);
            json_t *se = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
                                   "namespaced", r->namespaced, "kind", s->kind, "verbs",
                                   verbs_json(s->verbs));
            if (s->group) {
                json_object_set_new(se, "group", json_string(s->group));
                json_object_set_new(se, "version", json_string(s->version));
            }
            json_array_append_new(res, se);
        }
    }
    if (!any) {
        json_decref(res);
        return NULL;
    }
    char gv[128];
    if (*group)
        snprintf(gv, sizeof(gv), "%s/%s", group, version);
    else
        snprintf(gv, sizeof(gv), "%s", version);
    return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", gv, "resources", res);
}

static json_t *aggregated_group(const char *group)
{
    size_t n;
    const struct resource_def *t = resource_table(&n);
    json_t *res = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &t[i];
        if (strcmp(r->group, group) != 0)
            continue;
        json_t *e = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "resource", r->plural,
                              "responseKind", "group", r->group, "version", r->version, "kind",
                              r->kind, "scope", r->namespaced ? "Namespaced" : "Cluster",
                              "singularResource", r->singular, "verbs", verbs_json(r->verbs));
        if (r->short_names[0])
            json_object_set_new(e, "shortNames", strings_json(r->short_names, 4));
        if (r->categories[0])
            json_object_set_new(e, "categories", strings_json(r->categories, 2));
        json_t *subs = json_array();
        for (size_t j = 0; j < sizeof(r->subresources) / sizeof(r->subresources[0]); j++) {
            const struct subresource_def *s = &r->subresources[j];
            if (s->name == NULL)
                continue;
            json_array_append_new(subs, json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "subresource",
                                                  s->name, "responseKind", "group",
                                                  s->group ? s->group : r->group, "version",
                                                  s->version ? s->version : r->version, "kind",
                                                  s->kind, "verbs", verbs_json(s->verbs)));
        }
        if (json_array_size(subs))
            json_object_set_new(e, "subresources", subs);
        else
            json_decref(subs);
        json_array_append_new(res, e);
    }
    json_t *item = json_pack("{s:{s:n}, s:[{s:s, s:o, s:s}]}", "metadata", "creationTimestamp",
                             "versions", "version", "v1", "resources", res, "freshness", "Current");
    if (*group)
        json_object_set_new(json_object_get(item, "metadata"), "name", json_string(group));
    return item;
}

json_t *discovery_aggregated(bool legacy)
{
    return discovery_aggregated_version(legacy, "v2");
}

json_t *discovery_aggregated_version(bool legacy, const char *version)
{
    json_t *items = json_array();
    if (legacy) {
        json_array_append_new(items, aggregated_group(""));
    } else {
        const char *gs[32];
        size_t ng = groups(gs, 32);
        for (size_t i = 0; i < ng; i++)
            json_array_append_new(items, aggregated_group(gs[i]));
    }
    char api_version[64];
    snprintf(api_version, sizeof(api_version), "apidiscovery.k8s.io/%s", version);
    return json_pack("{s:s, s:s, s:{}, s:o}", "kind", "APIGroupDiscoveryList", "apiVersion",
                     api_version, "metadata", "items", items);
}

json_t *discovery_openapi_kinds(const char *group, const char *version)
{
    size_t n;
    const struct resource_def *t = resource_table(&n);
    json_t *kinds = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &t[i];
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        json_array_append_new(kinds, json_pack("{s:s, s:s, s:b, s:o}", "kind", r->kind, "plural",
                                               r->plural, "namespaced", r->namespaced, "verbs",
                                               verbs_json(r->verbs)));
    }
    return kinds;
}

json_t *discovery_openapi_paths(void)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("api/v1"));
    const char *gs[32];
    size_t ng = groups(gs, 32);
    for (size_t i = 0; i < ng; i++) {
        char p[160];
        snprintf(p, sizeof(p), "apis/%s/v1", gs[i]);
        json_array_append_new(a, json_string(p));
    }
    return a;
}
