/* node.c — the Node authorizer; see node.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authz/bootstrap_policy.h"
#include "authz/node.h"
#include "authz/rbac_rules.h"
#include "registry/loopback.h"
#include "registry/rest.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/json.h"

#define NODE_PREFIX "system:node:"
#define LEASE_NAMESPACE "kube-node-lease"

/* ClusterRole system:node's rules: the node's static rules. */
static struct rbac_rules node_rules;
static pthread_once_t node_rules_once = PTHREAD_ONCE_INIT;

static void node_rules_init(void)
{
    rbac_rules_init(&node_rules);
    json_t *policy = bootstrap_policy();
    size_t i;
    json_t *role;
    json_array_foreach(json_object_get(policy, "clusterRoles"), i, role) {
        const char *name = json_path_str(role, "metadata.name");
        if (name != NULL && strcmp(name, "system:node") == 0)
            rbac_rules_add_json(&node_rules, json_object_get(role, "rules"));
    }
    json_decref(policy);
}

/* The references of a pod's spec that the Node authorizer follows. */
enum ref_kind { REF_SECRET, REF_CONFIGMAP, REF_PVC, REF_SERVICEACCOUNT };

static bool str_is(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static bool containers_ref(json_t *containers, enum ref_kind k, const char *name)
{
    const char *ref = k == REF_SECRET ? "valueFrom.secretKeyRef.name" : "valueFrom.configMapKeyRef.name";
    const char *from = k == REF_SECRET ? "secretRef.name" : "configMapRef.name";
    size_t i, j;
    json_t *c, *e;
    json_array_foreach(containers, i, c) {
        json_array_foreach(json_object_get(c, "env"), j, e)
            if (str_is(json_path(e, ref), name))
                return true;
        json_array_foreach(json_object_get(c, "envFrom"), j, e)
            if (str_is(json_path(e, from), name))
                return true;
    }
    return false;
}

/* True if pod (bound to the node) references the object k/name of its namespace. */
static bool pod_references(json_t *pod, enum ref_kind k, const char *name)
{
    json_t *spec = json_object_get(pod, "spec");
    if (k == REF_SERVICEACCOUNT) {
        const char *sa = json_str(spec, "serviceAccountName");
        return strcmp(sa != NULL && *sa ? sa : "default", name) == 0;
    }
    size_t i, j;
    json_t *v, *src;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        switch (k) {
        case REF_SECRET:
            if (str_is(json_path(v, "secret.secretName"), name))
                return true;
            break;
        case REF_CONFIGMAP:
            if (str_is(json_path(v, "configMap.name"), name))
                return true;
            break;
        case REF_PVC:
            if (str_is(json_path(v, "persistentVolumeClaim.claimName"), name))
                return true;
            if (json_object_get(v, "ephemeral") != NULL) { /* the claim is <pod>-<volume> */
                char *claim = xasprintf("%s-%s", json_path_str(pod, "metadata.name"), json_str(v, "name"));
                bool same = strcmp(claim, name) == 0;
                free(claim);
                if (same)
                    return true;
            }
            break;
        case REF_SERVICEACCOUNT:
            break;
        }
        json_array_foreach(json_path(v, "projected.sources"), j, src) {
            if (k == REF_SECRET && str_is(json_path(src, "secret.name"), name))
                return true;
            if (k == REF_CONFIGMAP && str_is(json_path(src, "configMap.name"), name))
                return true;
        }
    }
    if (k == REF_PVC)
        return false;
    if (k == REF_SECRET) {
        json_array_foreach(json_object_get(spec, "imagePullSecrets"), i, v)
            if (str_is(json_object_get(v, "name"), name))
                return true;
    }
    return containers_ref(json_object_get(spec, "containers"), k, name) ||
           containers_ref(json_object_get(spec, "initContainers"), k, name) ||
           containers_ref(json_object_get(spec, "ephemeralContainers"), k, name);
}

/* True if a pod in ns bound to node references k/name: a lister read of the object cache's
 * pods-by-node index (lock-free, any thread; as current as the cache, like upstream's graph
 * fed by informers), else (no cache or no index) a list through the registry. */
static bool node_has_path(struct apiserver *srv, const char *node, const char *ns, enum ref_kind k,
                          const char *name)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind("", "Pod"), .ns = ns,
                         .user = apiserver_loopback_user(), .internal = true};
    if (c.res == NULL)
        return false;
    if (srv->wc != NULL) {
        char *prefix = resource_key(c.res, ns, NULL);
        struct wc_list l;
        int rc = watchcache_list_indexed(srv->wc, prefix, node, NULL, 0, &l);
        free(prefix);
        if (rc == 0) {
            bool found = false;
            for (size_t i = 0; i < l.n && !found; i++) {
                json_t *pod = json_loadb(l.items[i].value, l.items[i].len, 0, NULL);
                found = pod != NULL && pod_references(pod, k, name);
                json_decref(pod);
            }
            watchcache_list_release(&l);
            return found;
        }
    }
    char *sel = xasprintf("spec.nodeName=%s", node);
    struct list_opts o = {.field_selector = sel};
    json_t *list = NULL, *st = NULL;
    bool found = false;
    if (rest_list(&c, &o, &list, &st) == 0) {
        size_t i;
        json_t *pod;
        json_array_foreach(json_object_get(list, "items"), i, pod)
            if (!found && pod_references(pod, k, name))
                found = true;
    }
    json_decref(list);
    json_decref(st);
    free(sel);
    return found;
}

static enum authz_decision no_opinion(char **ret_reason, const char *reason)
{
    *ret_reason = xstrdup(reason);
    return AUTHZ_NO_OPINION;
}

static enum authz_decision path_decision(struct apiserver *srv, const char *node,
                                         const struct authz_attrs *a, enum ref_kind k, char **ret_reason)
{
    if (a->name == NULL || *a->name == '\0')
        return no_opinion(ret_reason, "No Object name found");
    if (node_has_path(srv, node, a->ns, k, a->name))
        return AUTHZ_ALLOW;
    *ret_reason = xasprintf("no relationship found between node '%s' and this object", node);
    return AUTHZ_NO_OPINION;
}

static bool verb_in(const char *verb, const char *const *verbs)
{
    for (; *verbs; verbs++)
        if (strcmp(verb, *verbs) == 0)
            return true;
    return false;
}

static enum authz_decision node_authorize(void *state, struct apiserver *srv, const struct authz_attrs *a,
                                          char **ret_reason)
{
    const struct user_info *u = a->user;
    if (u == NULL || u->name == NULL || strncmp(u->name, NODE_PREFIX, strlen(NODE_PREFIX)) != 0 ||
        !user_info_in_group(u, "system:nodes"))
        return AUTHZ_NO_OPINION;
    const char *node = u->name + strlen(NODE_PREFIX);
    if (*node == '\0') {
        *ret_reason = xasprintf("unknown node for user \"%s\"", u->name);
        return AUTHZ_NO_OPINION;
    }
    if (!a->is_resource)
        return AUTHZ_NO_OPINION;
    const char *group = a->group != NULL ? a->group : "", *res = a->resource != NULL ? a->resource : "";
    const char *sub = a->subresource != NULL ? a->subresource : "";
    const char *ns = a->ns != NULL ? a->ns : "";
    if (*group == '\0' && (strcmp(res, "secrets") == 0 || strcmp(res, "configmaps") == 0 ||
                           strcmp(res, "persistentvolumeclaims") == 0)) {
        static const char *const read_verbs[] = {"get", "list", "watch", NULL};
        if (!verb_in(a->verb, read_verbs))
            return no_opinion(ret_reason, "can only read resources of this type");
        if (*sub)
            return no_opinion(ret_reason, "cannot read subresource");
        if (*ns == '\0')
            return no_opinion(ret_reason, "can only read namespaced object of this type");
        enum ref_kind k = res[0] == 's' ? REF_SECRET : res[0] == 'c' ? REF_CONFIGMAP : REF_PVC;
        return path_decision(srv, node, a, k, ret_reason);
    }
    if (*group == '\0' && strcmp(res, "serviceaccounts") == 0) {
        if (strcmp(a->verb, "create") != 0 || a->name == NULL || *a->name == '\0')
            return no_opinion(ret_reason, "can only create tokens for individual service accounts");
        if (strcmp(sub, "token") != 0)
            return no_opinion(ret_reason, "can only create token subresource of serviceaccount");
        return path_decision(srv, node, a, REF_SERVICEACCOUNT, ret_reason);
    }
    if (strcmp(group, "coordination.k8s.io") == 0 && strcmp(res, "leases") == 0) {
        static const char *const lease_verbs[] = {"get", "create", "update", "patch", "delete", NULL};
        if (!verb_in(a->verb, lease_verbs))
            return no_opinion(ret_reason, "can only get, create, update, patch, or delete a node lease");
        if (strcmp(ns, LEASE_NAMESPACE) != 0)
            return no_opinion(ret_reason, "can only access leases in the kube-node-lease namespace");
        /* no name on create: NodeRestriction checks it there, as upstream */
        if (strcmp(a->verb, "create") != 0 && (a->name == NULL || strcmp(a->name, node) != 0))
            return no_opinion(ret_reason, "can only access node lease with the same name as the requesting node");
        return AUTHZ_ALLOW;
    }
    pthread_once(&node_rules_once, node_rules_init);
    for (size_t i = 0; i < node_rules.n; i++)
        if (rbac_rule_allows(&node_rules.items[i], a))
            return AUTHZ_ALLOW;
    return AUTHZ_NO_OPINION;
}

const struct authorizer *node_authorizer(void)
{
    static const struct authorizer a = {.name = "Node", .authorize = node_authorize};
    return &a;
}
