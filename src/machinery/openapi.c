/* openapi.c — /openapi/v3/<group-version> documents generated from the schema table.
 *
 * Shape (OpenAPI 3.0, modelled on kube-apiserver's documents):
 *
 *   {"openapi":"3.0.0","info":{"title":"Kubernetes","version":"v1.32.0"},
 *    "paths":{"/api/v1/namespaces/{namespace}/pods":{"get":…,"post":…,"delete":…,
 *                                                      "parameters":[namespace, pretty]},
 *             "/api/v1/namespaces/{namespace}/pods/{name}":{"get","put","patch","delete",…}},
 *    "components":{"schemas":{"io.k8s.api.core.v1.Pod":{…,"x-kubernetes-group-version-kind":
 *                  [{"group":"","kind":"Pod","version":"v1"}]}, …},
 *                  "securitySchemes":{"BearerToken":{…}}}}
 *
 * What kubectl 1.32 reads (see shared notes kubectl-wire.md):
 *  - the query-param verifier finds the path whose PATCH operation carries
 *    "x-kubernetes-group-version-kind":{group,version,kind} and looks for a parameter named
 *    "fieldValidation" in that operation; found, kubectl leaves validation to the server;
 *  - client-side apply checks that the same PATCH accepts
 *    application/strategic-merge-patch+json and then computes the patch from
 *    components.schemas (properties, items, allOf/$ref, x-kubernetes-patch-merge-key,
 *    x-kubernetes-patch-strategy), finding the root by its x-kubernetes-group-version-kind.
 *
 * Kinds served only through "create" (reviews) get, besides the POST, a PATCH entry on the
 * collection path so the verifier above finds it; the server answers such PATCHes with 405. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/managedfields.h"
#include "machinery/schema.h"
#include "machinery/schema_int.h"
#include "util/buf.h"

#define REF_PREFIX "#/components/schemas/"
#define REF_QUANTITY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define REF_INTSTR "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
#define REF_TIME "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
#define REF_PATCH "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
#define REF_DELETE_OPTIONS "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
#define REF_STATUS "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
#define REF_LIST_META "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

/* ---- components.schemas -------------------------------------------------------------- */

static json_t *ref_to(const char *name)
{
    char *ref = xasprintf(REF_PREFIX "%s", name);
    json_t *r = json_pack("{s:s}", "$ref", ref);
    free(ref);
    return r;
}

/* {"allOf":[{"$ref":…}],"default":{}} — how upstream points a property at a struct. */
static json_t *all_of_ref(const char *name)
{
    return json_pack("{s:[o],s:{}}", "allOf", ref_to(name), "default");
}

static void component_add(json_t *schemas, const struct schema_node *node);

/* The schema for a value of type node, as it appears inside another schema. Object nodes
 * with a ref_name become references (and are added to schemas). */
static json_t *schema_inline(json_t *schemas, const struct schema_node *node, bool as_property)
{
    json_t *s = NULL;
    switch (node->type) {
    case SCHEMA_OBJECT:
        if (node->ref_name) {
            component_add(schemas, node);
            return as_property ? all_of_ref(node->ref_name) : ref_to(node->ref_name);
        }
        s = json_pack("{s:s,s:{}}", "type", "object", "properties");
        for (const struct schema_field *f = node->fields; f && f->name; f++)
            json_object_set_new(json_object_get(s, "properties"), f->name,
                                schema_inline(schemas, f->type, true));
        return s;
    case SCHEMA_ANY:
        return json_pack("{s:s,s:b}", "type", "object", "x-kubernetes-preserve-unknown-fields",
                         1);
    case SCHEMA_MAP:
        return json_pack("{s:s,s:o}", "type", "object", "additionalProperties",
                         node->items ? schema_inline(schemas, node->items, true)
                                     : json_object());
    case SCHEMA_ARRAY:
        s = json_pack("{s:s,s:o}", "type", "array", "items",
                      node->items ? schema_inline(schemas, node->items, true) : json_object());
        if (node->patch_merge_key)
            json_object_set_new(s, "x-kubernetes-patch-merge-key",
                                json_string(node->patch_merge_key));
        if (node->patch_strategy)
            json_object_set_new(s, "x-kubernetes-patch-strategy",
                                json_string(node->patch_strategy));
        /* "map" lists get x-kubernetes-list-map-keys where their field is known
         * (component_add, keys from api/managedfields.c); atomic and set are complete here. */
        if (node->list_type && strcmp(node->list_type, "map") != 0)
            json_object_set_new(s, "x-kubernetes-list-type", json_string(node->list_type));
        return s;
    case SCHEMA_STRING:
        return json_pack("{s:s,s:s}", "type", "string", "default", "");
    case SCHEMA_INTEGER:
        return json_pack("{s:s}", "type", "integer");
    case SCHEMA_NUMBER:
        return json_pack("{s:s}", "type", "number");
    case SCHEMA_BOOLEAN:
        return json_pack("{s:s}", "type", "boolean");
    case SCHEMA_INT_OR_STRING:
        json_object_set_new(schemas, REF_INTSTR,
                            json_pack("{s:s,s:s}", "type", "string", "format", "int-or-string"));
        return as_property ? all_of_ref(REF_INTSTR) : ref_to(REF_INTSTR);
    case SCHEMA_QUANTITY:
        json_object_set_new(schemas, REF_QUANTITY, json_pack("{s:s}", "type", "string"));
        return as_property ? all_of_ref(REF_QUANTITY) : ref_to(REF_QUANTITY);
    case SCHEMA_TIME:
        json_object_set_new(schemas, REF_TIME,
                            json_pack("{s:s,s:s}", "type", "string", "format", "date-time"));
        return as_property ? all_of_ref(REF_TIME) : ref_to(REF_TIME);
    }
    return json_object();
}

/* Adds the component for a named object node (and, recursively, everything it uses). */
static void component_add(json_t *schemas, const struct schema_node *node)
{
    if (json_object_get(schemas, node->ref_name))
        return;
    json_t *s = json_pack("{s:s,s:{}}", "type", "object", "properties");
    /* Insert before recursing so self-references terminate. */
    json_object_set_new(schemas, node->ref_name, s);
    json_t *props = json_object_get(s, "properties");
    for (const struct schema_field *f = node->fields; f && f->name; f++) {
        json_t *p = schema_inline(schemas, f->type, true);
        const char *keys[4];
        size_t nk = mf_list_map_keys(node->ref_name, f->name, f->type, keys);
        if (nk > 0 && f->type->list_type && strcmp(f->type->list_type, "map") == 0) {
            json_t *ka = json_array();
            for (size_t i = 0; i < nk; i++)
                json_array_append_new(ka, json_string(keys[i]));
            json_object_set_new(p, "x-kubernetes-list-map-keys", ka);
            json_object_set_new(p, "x-kubernetes-list-type", json_string("map"));
        }
        json_object_set_new(props, f->name, p);
    }
    if (mf_struct_is_atomic(node->ref_name))
        json_object_set_new(s, "x-kubernetes-map-type", json_string("atomic"));
}

static json_t *gvk_object(const char *group, const char *version, const char *kind)
{
    return json_pack("{s:s,s:s,s:s}", "group", group, "kind", kind, "version", version);
}

/* Appends {group,version,kind} to the component's x-kubernetes-group-version-kind array. */
static void component_add_gvk(json_t *schemas, const char *ref, const char *group,
                              const char *version, const char *kind)
{
    json_t *s = json_object_get(schemas, ref);
    if (!s)
        return;
    json_t *arr = json_object_get(s, "x-kubernetes-group-version-kind");
    if (!arr) {
        arr = json_array();
        json_object_set_new(s, "x-kubernetes-group-version-kind", arr);
    }
    json_array_append_new(arr, gvk_object(group, version, kind));
}

/* ---- paths --------------------------------------------------------------------------- */

static bool has_verb(json_t *verbs, const char *verb)
{
    size_t i;
    json_t *v;
    json_array_foreach(verbs, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), verb) == 0)
            return true;
    }
    return false;
}

static json_t *query_param(const char *name, const char *type, const char *description)
{
    return json_pack("{s:s,s:s,s:s,s:{s:s,s:b}}", "name", name, "in", "query", "description",
                     description, "schema", "type", type, "uniqueItems", 1);
}

static json_t *path_param(const char *name, const char *description)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:{s:s,s:b}}", "name", name, "in", "path",
                     "description", description, "required", 1, "schema", "type", "string",
                     "uniqueItems", 1);
}

#define DESC_DRYRUN                                                                        \
    "When present, indicates that modifications should not be persisted. Valid values "   \
    "are: - All: all dry run stages will be processed"
#define DESC_FIELD_MANAGER                                                                 \
    "fieldManager is a name associated with the actor or entity that is making these "    \
    "changes."
#define DESC_FIELD_VALIDATION                                                              \
    "fieldValidation instructs the server on how to handle objects in the request "       \
    "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, "  \
    "Warn (the default), Strict."
#define DESC_FORCE                                                                         \
    "Force is going to \"force\" Apply requests. It means user will re-acquire "          \
    "conflicting fields owned by other people."

/* The write-operation query parameters: dryRun, fieldManager, fieldValidation (+ force). */
static void add_write_params(json_t *params, bool with_force)
{
    json_array_append_new(params, query_param("dryRun", "string", DESC_DRYRUN));
    json_array_append_new(params, query_param("fieldManager", "string", DESC_FIELD_MANAGER));
    json_array_append_new(params,
                          query_param("fieldValidation", "string", DESC_FIELD_VALIDATION));
    if (with_force)
        json_array_append_new(params, query_param("force", "boolean", DESC_FORCE));
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

static json_t *responses(const char *code, json_t *schema)
{
    json_t *r = json_pack("{s:s,s:o}", "description", "OK", "content", json_content(schema));
    return json_pack("{s:o,s:{s:s}}", code, r, "401", "description", "Unauthorized");
}

/* "" -> "Core", "rbac.authorization.k8s.io" -> "RbacAuthorization", "v1" -> "V1". */
static void camel_group_version(struct buf *b, const char *group, const char *version)
{
    if (!*group) {
        buf_puts(b, "Core");
    } else {
        size_t glen = strlen(group);
        static const char suffix[] = ".k8s.io";
        if (glen >= sizeof(suffix) - 1 && strcmp(group + glen - (sizeof(suffix) - 1), suffix) == 0)
            glen -= sizeof(suffix) - 1;
        bool upper = true;
        for (size_t i = 0; i < glen; i++) {
            if (group[i] == '.' || group[i] == '-') {
                upper = true;
                continue;
            }
            char c = group[i];
            if (upper && c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            buf_putc(b, c);
            upper = false;
        }
    }
    if (version[0] >= 'a' && version[0] <= 'z') {
        buf_putc(b, (char)(version[0] - 'a' + 'A'));
        buf_puts(b, version + 1);
    } else {
        buf_puts(b, version);
    }
}

struct op_ctx {
    const char *group, *version, *kind;  /* GVK carried by every operation */
    const char *gv_camel;                /* "CoreV1" */
    bool namespaced;
    const char *ref;                     /* component of the kind */
    const char *list_ref;                /* component of its List, or NULL */
};

static json_t *operation(const struct op_ctx *c, const char *verb_prefix, const char *action,
                         const char *kind_suffix)
{
    char *op_id = xasprintf("%s%s%s%s%s", verb_prefix, c->gv_camel,
                            c->namespaced ? "Namespaced" : "", c->kind, kind_suffix);
    json_t *op = json_pack("{s:[s],s:s,s:s,s:[],s:s,s:o}", "tags", c->gv_camel, "description",
                           action, "operationId", op_id, "parameters", "x-kubernetes-action",
                           action, "x-kubernetes-group-version-kind",
                           gvk_object(c->group, c->version, c->kind));
    free(op_id);
    return op;
}

static json_t *op_body_write(const struct op_ctx *c, const char *verb_prefix,
                             const char *action, const char *code)
{
    json_t *op = operation(c, verb_prefix, action, "");
    add_write_params(json_object_get(op, "parameters"), false);
    json_object_set_new(op, "requestBody",
                        json_pack("{s:o,s:b}", "content", json_content(ref_to(c->ref)),
                                  "required", 1));
    json_object_set_new(op, "responses", responses(code, ref_to(c->ref)));
    return op;
}

static json_t *op_patch(const struct op_ctx *c, const char *suffix)
{
    json_t *op = operation(c, "patch", "patch", suffix);
    add_write_params(json_object_get(op, "parameters"), true);
    json_t *content = json_object();
    static const char *const types[] = {
        "application/apply-patch+yaml", "application/json-patch+json",
        "application/merge-patch+json", "application/strategic-merge-patch+json"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        json_object_set_new(content, types[i], json_pack("{s:o}", "schema", ref_to(REF_PATCH)));
    json_object_set_new(op, "requestBody",
                        json_pack("{s:o,s:b}", "content", content, "required", 1));
    json_object_set_new(op, "responses", responses("200", ref_to(c->ref)));
    return op;
}

static json_t *op_delete(const struct op_ctx *c, bool collection)
{
    json_t *op = operation(c, "delete", collection ? "deletecollection" : "delete",
                           "");
    if (collection) {
        /* upstream: deleteCoreV1CollectionNamespacedPod */
        char *op_id = xasprintf("delete%sCollection%s%s", c->gv_camel,
                                c->namespaced ? "Namespaced" : "", c->kind);
        json_object_set_new(op, "operationId", json_string(op_id));
        free(op_id);
    }
    json_t *params = json_object_get(op, "parameters");
    json_array_append_new(params, query_param("dryRun", "string", DESC_DRYRUN));
    json_array_append_new(params, query_param("gracePeriodSeconds", "integer",
                                              "The duration in seconds before the object "
                                              "should be deleted."));
    json_array_append_new(params, query_param("propagationPolicy", "string",
                                              "Whether and how garbage collection will be "
                                              "performed."));
    json_object_set_new(op, "requestBody",
                        json_pack("{s:o}", "content", json_content(ref_to(REF_DELETE_OPTIONS))));
    json_object_set_new(op, "responses", responses("200", ref_to(REF_STATUS)));
    return op;
}

static json_t *op_get(const struct op_ctx *c, bool list)
{
    json_t *op = operation(c, list ? "list" : "read", list ? "list" : "get", "");
    if (list) {
        json_t *params = json_object_get(op, "parameters");
        static const char *const names[] = {"allowWatchBookmarks", "continue", "fieldSelector",
                                            "labelSelector", "limit", "resourceVersion",
                                            "resourceVersionMatch", "sendInitialEvents",
                                            "timeoutSeconds", "watch"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *type = "string";
            if (!strcmp(names[i], "limit") || !strcmp(names[i], "timeoutSeconds"))
                type = "integer";
            else if (!strcmp(names[i], "watch") || !strcmp(names[i], "allowWatchBookmarks") ||
                     !strcmp(names[i], "sendInitialEvents"))
                type = "boolean";
            json_array_append_new(params, query_param(names[i], type, names[i]));
        }
    }
    json_object_set_new(op, "responses",
                        responses("200", ref_to(list && c->list_ref ? c->list_ref : c->ref)));
    return op;
}

/* The path item at path (created on first use) with its shared parameters. */
static json_t *path_item(json_t *paths, const char *path, bool namespaced, bool named)
{
    json_t *item = json_object_get(paths, path);
    if (item)
        return item;
    item = json_object();
    json_t *params = json_array();
    if (named)
        json_array_append_new(params, path_param("name", "name of the resource"));
    if (namespaced)
        json_array_append_new(params,
                              path_param("namespace", "object name and auth scope, such as "
                                                      "for teams and projects"));
    json_array_append_new(params, query_param("pretty", "string",
                                              "If 'true', then the output is pretty printed."));
    json_object_set_new(item, "parameters", params);
    json_object_set_new(paths, path, item);
    return item;
}

/* Adds the List component for a kind: {apiVersion, kind, metadata: ListMeta, items}. */
static const char *list_component(json_t *schemas, const char *ref, const char *group,
                                  const char *version, const char *kind, char **ret_name)
{
    *ret_name = xasprintf("%sList", ref);
    component_add(schemas, schema_core__list_meta);
    json_t *s = json_pack(
        "{s:s,s:[s],s:{s:{s:s},s:{s:s},s:{s:s,s:{s:[o],s:{}}},s:o}}", "type", "object",
        "required", "items", "properties", "apiVersion", "type", "string", "kind", "type",
        "string", "items", "type", "array", "items", "allOf", ref_to(ref), "default",
        "metadata", all_of_ref(REF_LIST_META));
    json_object_set_new(schemas, *ret_name, s);
    char *list_kind = xasprintf("%sList", kind);
    component_add_gvk(schemas, *ret_name, group, version, list_kind);
    free(list_kind);
    return *ret_name;
}

/* Adds paths and components for one entry of the kinds array. */
static void add_kind(json_t *paths, json_t *schemas, const char *group, const char *version,
                     const char *prefix, const char *gv_camel, json_t *entry)
{
    const char *kind = json_string_value(json_object_get(entry, "kind"));
    const char *plural = json_string_value(json_object_get(entry, "plural"));
    if (!kind || !plural || !*plural)
        return;
    /* A subresource entry may name the group-version its kind belongs to
     * (serviceaccounts/token serves authentication.k8s.io/v1 TokenRequest). */
    const char *kgroup = json_string_value(json_object_get(entry, "group"));
    const char *kversion = json_string_value(json_object_get(entry, "version"));
    if (!kgroup)
        kgroup = group;
    if (!kversion)
        kversion = version;
    const struct schema_node *root = schema_for_kind(kgroup, kversion, kind);
    if (!root || !root->ref_name)
        return;
    bool namespaced = json_is_true(json_object_get(entry, "namespaced"));
    json_t *verbs = json_object_get(entry, "verbs");
    if (!json_is_array(verbs))
        verbs = NULL;

    if (!json_object_get(schemas, root->ref_name)) {
        component_add(schemas, root);
        component_add_gvk(schemas, root->ref_name, kgroup, kversion, kind);
    }

    const char *slash = strchr(plural, '/');
    struct op_ctx c = {.group = kgroup, .version = kversion, .kind = kind,
                       .gv_camel = gv_camel, .namespaced = namespaced,
                       .ref = root->ref_name};
    char *list_name = NULL;
    const char *ns_part = namespaced ? "/namespaces/{namespace}" : "";

    if (slash) {
        /* subresource: /…/<resource>/{name}/<sub> */
        char *path = xasprintf("%s%s/%.*s/{name}%s", prefix, ns_part, (int)(slash - plural),
                               plural, slash);
        json_t *item = path_item(paths, path, namespaced, true);
        if (!verbs || has_verb(verbs, "get"))
            json_object_set_new(item, "get", op_get(&c, false));
        if (verbs && has_verb(verbs, "create"))
            json_object_set_new(item, "post", op_body_write(&c, "create", "post", "201"));
        if (verbs && has_verb(verbs, "update"))
            json_object_set_new(item, "put", op_body_write(&c, "replace", "put", "200"));
        if (verbs && has_verb(verbs, "patch"))
            json_object_set_new(item, "patch", op_patch(&c, ""));
        free(path);
        return;
    }

    bool any_read = !verbs || has_verb(verbs, "list") || has_verb(verbs, "get");
    if (any_read)
        c.list_ref = list_component(schemas, root->ref_name, kgroup, kversion, kind,
                                    &list_name);

    char *coll = xasprintf("%s%s/%s", prefix, ns_part, plural);
    char *named = xasprintf("%s%s/%s/{name}", prefix, ns_part, plural);
    bool create = !verbs || has_verb(verbs, "create");
    bool list = !verbs || has_verb(verbs, "list");
    bool delcoll = !verbs || has_verb(verbs, "deletecollection");
    if (create || list || delcoll) {
        json_t *item = path_item(paths, coll, namespaced, false);
        if (list)
            json_object_set_new(item, "get", op_get(&c, true));
        if (create)
            json_object_set_new(item, "post", op_body_write(&c, "create", "post", "201"));
        if (delcoll)
            json_object_set_new(item, "delete", op_delete(&c, true));
    }
    bool get = !verbs || has_verb(verbs, "get");
    bool update = !verbs || has_verb(verbs, "update");
    bool patch = !verbs || has_verb(verbs, "patch");
    bool del = !verbs || has_verb(verbs, "delete");
    if (get || update || patch || del) {
        json_t *item = path_item(paths, named, namespaced, true);
        if (get)
            json_object_set_new(item, "get", op_get(&c, false));
        if (update)
            json_object_set_new(item, "put", op_body_write(&c, "replace", "put", "200"));
        if (patch)
            json_object_set_new(item, "patch", op_patch(&c, ""));
        if (del)
            json_object_set_new(item, "delete", op_delete(&c, false));
    } else if (create) {
        /* create-only kind: a PATCH entry so kubectl's fieldValidation check succeeds */
        json_t *item = path_item(paths, coll, namespaced, false);
        json_object_set_new(item, "patch", op_patch(&c, ""));
    }
    free(coll);
    free(named);
    free(list_name);
}

json_t *openapi_v3_document(const char *group, const char *version, json_t *kinds)
{
    if (!group || !version)
        return NULL;
    json_t *paths = json_object();
    json_t *schemas = json_object();

    char *prefix = *group ? xasprintf("/apis/%s/%s", group, version)
                          : xasprintf("/api/%s", version);
    struct buf camel = BUF_INIT;
    buf_init(&camel, 1024);
    camel_group_version(&camel, group, version);
    const char *gv_camel = camel.data ? camel.data : "";

    /* Shared meta/v1 components every document references. */
    json_object_set_new(schemas, REF_PATCH,
                        json_pack("{s:s,s:s}", "type", "object", "description",
                                  "Patch is provided to give a concrete name and type to the "
                                  "Kubernetes PATCH request body."));
    component_add(schemas, schema_for_kind(group, version, "DeleteOptions"));
    component_add_gvk(schemas, REF_DELETE_OPTIONS, group, version, "DeleteOptions");
    component_add(schemas, schema_for_kind(group, version, "Status"));
    component_add_gvk(schemas, REF_STATUS, group, version, "Status");

    size_t i;
    json_t *entry;
    json_array_foreach(kinds, i, entry) {
        if (json_is_object(entry))
            add_kind(paths, schemas, group, version, prefix, gv_camel, entry);
    }

    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s},s:o,s:{s:o,s:{s:{s:s,s:s,s:s,s:s}}},s:[{s:[]}]}", "openapi", "3.0.0",
        "info", "title", "Kubernetes", "version", "v1.32.0", "paths", paths, "components",
        "schemas", schemas, "securitySchemes", "BearerToken", "type", "apiKey", "description",
        "Bearer Token authentication", "name", "authorization", "in", "header", "security",
        "BearerToken");
    free(prefix);
    buf_release(&camel);
    return doc;
}
