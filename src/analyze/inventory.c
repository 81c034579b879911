/* inventory.c — the objects an analysis reads, with their origin (see analyze.h). */
#include <string.h>
#include "analyze/analyze.h"
#include "authz/bootstrap_policy.h"
#include "util/buf.h"
#include "util/json.h"

static const char *const severity_names[] = {"none", "low", "medium", "high", "critical"};

const char *analyze_severity_name(enum analyze_severity s)
{
    switch (s) {
    case ANALYZE_NONE:
    case ANALYZE_LOW:
    case ANALYZE_MEDIUM:
    case ANALYZE_HIGH:
    case ANALYZE_CRITICAL:
        return severity_names[s];
    }
    return "none";
}

int analyze_severity_parse(const char *s)
{
    for (int i = 0; i <= ANALYZE_CRITICAL; i++)
        if (s != NULL && strcmp(s, severity_names[i]) == 0)
            return i;
    return -1;
}

void analyze_inventory_init(struct analyze_inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
}

void analyze_inventory_release(struct analyze_inventory *inv)
{
    for (size_t i = 0; i < inv->n; i++) {
        json_decref(inv->items[i].obj);
        free(inv->items[i].file);
    }
    free(inv->items);
    memset(inv, 0, sizeof(*inv));
}

static void add_one(struct analyze_inventory *inv, json_t *obj, const char *file, int line, bool builtin)
{
    if (inv->n == inv->cap) {
        inv->cap = inv->cap ? inv->cap * 2 : 64;
        inv->items = xrealloc(inv->items, inv->cap * sizeof(*inv->items));
    }
    struct analyze_object *o = &inv->items[inv->n++];
    o->obj = obj;
    o->file = file ? xstrdup(file) : NULL;
    o->line = line;
    o->builtin = builtin;
}

static bool is_list_kind(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

/* Upstream's default RBAC objects carry kubernetes.io/bootstrapping=rbac-defaults (also when
 * read back from a live cluster). */
static bool is_default_object(json_t *obj)
{
    const char *v = json_str(json_path(obj, "metadata.labels"), "kubernetes.io/bootstrapping");
    return v != NULL && strcmp(v, "rbac-defaults") == 0;
}

void analyze_inventory_add(struct analyze_inventory *inv, json_t *obj, const char *file, int line)
{
    if (!json_is_object(obj)) {
        json_decref(obj);
        return;
    }
    if (is_list_kind(json_str(obj, "kind")) && json_is_array(json_object_get(obj, "items"))) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(obj, "items"), i, it) {
            if (json_is_object(it))
                add_one(inv, json_incref(it), file, line, is_default_object(it));
        }
        json_decref(obj);
        return;
    }
    add_one(inv, obj, file, line, is_default_object(obj));
}

void analyze_inventory_add_defaults(struct analyze_inventory *inv)
{
    json_t *p = bootstrap_policy();
    static const char *const lists[] = {"clusterRoles", "clusterRoleBindings", "roles", "roleBindings"};
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(p, lists[k]), i, it)
            add_one(inv, json_incref(it), NULL, 0, true);
    }
    json_decref(p);
    static const char *const nss[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    for (size_t k = 0; k < sizeof(nss) / sizeof(nss[0]); k++)
        add_one(inv, json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                               "metadata", "name", nss[k]), NULL, 0, true);
}
