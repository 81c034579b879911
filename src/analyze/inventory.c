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


/* ---- slimming: only the fields the analysis reads are kept -------------------------------
 * (no Secret data, no status or managedFields), which also bounds the memory a large live
 * cluster or chart takes. Kinds the analysis does not read are dropped. */

static void copy_key(json_t *dst, json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);
    if (v != NULL)
        json_object_set(dst, key, v);
}

static json_t *slim_pod_spec(json_t *spec)
{
    json_t *out = json_object();
    static const char *const keep[] = {"serviceAccountName", "serviceAccount", "automountServiceAccountToken", "hostPID"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        copy_key(out, spec, keep[i]);
    size_t i;
    json_t *v;
    json_t *vols = json_array();
    json_array_foreach(json_object_get(spec, "volumes"), i, v)
        if (json_object_get(v, "hostPath") != NULL || json_object_get(v, "projected") != NULL)
            json_array_append(vols, v);
    if (json_array_size(vols) > 0)
        json_object_set(out, "volumes", vols);
    json_decref(vols);
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
    for (size_t l = 0; l < 3; l++) {
        json_t *cs = json_array();
        json_array_foreach(json_object_get(spec, lists[l]), i, v) {
            /* only privileged containers matter to the analysis */
            if (json_is_true(json_object_get(json_object_get(v, "securityContext"), "privileged")))
                json_array_append_new(cs, json_pack("{s:O?, s:{s:b}}", "name", json_object_get(v, "name"),
                                                     "securityContext", "privileged", 1));
        }
        if (json_array_size(cs) > 0)
            json_object_set(out, lists[l], cs);
        json_decref(cs);
    }
    return out;
}

/* Sets dst.<path> (dotted, objects created on the way) to v (stolen). */
static void set_path(json_t *dst, const char *path, json_t *v)
{
    json_t *cur = dst;
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        char *seg = xstrndup(path, (size_t)(dot - path));
        cur = json_obj_ensure(cur, seg);
        free(seg);
        path = dot + 1;
    }
    json_object_set_new(cur, path, v);
}

static json_t *slim(json_t *obj)
{
    static const struct {
        const char *kind;
        const char *keep[3];  /* top-level fields kept as they are */
        const char *pod_spec; /* where the pod spec is */
    } kinds[] = {
        {"Namespace", {NULL}, NULL},
        {"ServiceAccount", {"automountServiceAccountToken", NULL}, NULL},
        {"Secret", {"type", NULL}, NULL},
        {"Role", {"rules", NULL}, NULL},
        {"ClusterRole", {"rules", "aggregationRule", NULL}, NULL},
        {"RoleBinding", {"subjects", "roleRef", NULL}, NULL},
        {"ClusterRoleBinding", {"subjects", "roleRef", NULL}, NULL},
        {"Pod", {NULL}, "spec"},
        {"PodTemplate", {NULL}, "template.spec"},
        {"Deployment", {NULL}, "spec.template.spec"},
        {"ReplicaSet", {NULL}, "spec.template.spec"},
        {"StatefulSet", {NULL}, "spec.template.spec"},
        {"DaemonSet", {NULL}, "spec.template.spec"},
        {"Job", {NULL}, "spec.template.spec"},
        {"ReplicationController", {NULL}, "spec.template.spec"},
        {"CronJob", {NULL}, "spec.jobTemplate.spec.template.spec"},
    };
    const char *kind = json_str(obj, "kind");
    for (size_t k = 0; kind != NULL && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (strcmp(kinds[k].kind, kind) != 0)
            continue;
        json_t *out = json_pack("{s:s}", "kind", kind);
        json_t *meta = json_object_get(obj, "metadata"), *m = json_object();
        copy_key(m, meta, "name");
        copy_key(m, meta, "namespace");
        copy_key(m, meta, "labels");
        json_t *sa = json_object_get(json_object_get(meta, "annotations"), "kubernetes.io/service-account.name");
        if (sa != NULL)
            json_object_set_new(m, "annotations", json_pack("{s:O}", "kubernetes.io/service-account.name", sa));
        json_object_set_new(out, "metadata", m);
        for (size_t i = 0; i < 3 && kinds[k].keep[i]; i++)
            copy_key(out, obj, kinds[k].keep[i]);
        json_t *spec = kinds[k].pod_spec ? json_path(obj, kinds[k].pod_spec) : NULL;
        if (json_is_object(spec))
            set_path(out, kinds[k].pod_spec, slim_pod_spec(spec));
        return out;
    }
    return NULL;
}

/* Adds the slim form of obj (the reference is stolen; kinds not analysed are dropped). */
static void add_one(struct analyze_inventory *inv, json_t *obj, const char *file, int line, bool builtin)
{
    json_t *s = slim(obj);
    json_decref(obj);
    if (s == NULL)
        return;
    obj = s;
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
