/* rbac_bench.c — ns per RBAC decision on the subject index (rbac_index.h) with the bootstrap
 * policy plus N synthetic RoleBindings/ClusterRoleBindings (N = 100, 10 000, 100 000), for an
 * allowed and a denied request, in-process. Prints figures; never fails on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "authz/bootstrap_policy.h"
#include "authz/rbac_index.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void load_policy(struct rbac_index *ix)
{
    json_t *p = bootstrap_policy();
    static const struct { const char *key; enum rbac_kind kind; } parts[] = {
        {"clusterRoles", RBAC_CLUSTER_ROLE}, {"clusterRoleBindings", RBAC_CLUSTER_ROLE_BINDING},
        {"roles", RBAC_ROLE}, {"roleBindings", RBAC_ROLE_BINDING}};
    for (size_t k = 0; k < 4; k++) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(p, parts[k].key), i, o)
            rbac_index_put(ix, parts[k].kind, o);
    }
    json_decref(p);
}

static void add_synthetic(struct rbac_index *ix, size_t n)
{
    json_t *role = json_pack("{s:{s:s,s:s},s:[{s:[s,s],s:[s],s:[s,s]}]}", "metadata", "name", "worker",
                             "namespace", "ns0", "rules", "verbs", "get", "list", "apiGroups", "",
                             "resources", "pods", "configmaps");
    for (size_t i = 0; i < 100; i++) {
        char ns[32];
        snprintf(ns, sizeof(ns), "ns%zu", i);
        json_object_set_new(json_object_get(role, "metadata"), "namespace", json_string(ns));
        rbac_index_put(ix, RBAC_ROLE, role);
    }
    json_decref(role);
    for (size_t i = 0; i < n; i++) {
        char name[64], ns[32], user[64];
        snprintf(name, sizeof(name), "b%zu", i);
        snprintf(ns, sizeof(ns), "ns%zu", i % 100);
        snprintf(user, sizeof(user), "user%zu", i);
        json_t *b;
        if (i % 10 == 0)
            b = json_pack("{s:{s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s}]}", "metadata", "name", name,
                          "roleRef", "apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole",
                          "name", "view", "subjects", "kind", "User", "name", user);
        else
            b = json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s},{s:s,s:s,s:s}]}", "metadata",
                          "name", name, "namespace", ns, "roleRef", "apiGroup",
                          "rbac.authorization.k8s.io", "kind", "Role", "name", "worker", "subjects",
                          "kind", "User", "name", user, "kind", "ServiceAccount", "name", user,
                          "namespace", ns);
        rbac_index_put(ix, i % 10 == 0 ? RBAC_CLUSTER_ROLE_BINDING : RBAC_ROLE_BINDING, b);
        json_decref(b);
    }
}

static double bench(struct rbac_snapshot *s, const struct authz_attrs *a, enum authz_decision want,
                    int iters)
{
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        enum authz_decision d = rbac_snapshot_authorize(s, a, NULL);
        if (d != want) {
            fprintf(stderr, "unexpected decision %d\n", d);
            exit(1);
        }
    }
    return (now_ns() - t0) / iters;
}

int main(void)
{
    static const size_t sizes[] = {100, 10000, 100000};
    printf("%-8s %12s %14s %14s %14s\n", "N", "build_ms", "allow_ns", "deny_ns", "publish_us");
    for (size_t k = 0; k < 3; k++) {
        size_t n = sizes[k];
        struct rbac_index *ix = rbac_index_new();
        double t0 = now_ns();
        load_policy(ix);
        add_synthetic(ix, n);
        rbac_index_publish(ix);
        double build = (now_ns() - t0) / 1e6;
        /* one incremental update + publish, as a watch event does */
        json_t *b = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:[{s:s,s:s}]}", "metadata", "name", "extra",
                              "namespace", "ns1", "roleRef", "kind", "Role", "name", "worker",
                              "subjects", "kind", "User", "name", "late");
        double t1 = now_ns();
        rbac_index_put(ix, RBAC_ROLE_BINDING, b);
        rbac_index_publish(ix);
        double publish = (now_ns() - t1) / 1e3;
        json_decref(b);
        struct rbac_snapshot *s = rbac_index_acquire(ix);
        char uname[64];
        snprintf(uname, sizeof(uname), "user%zu", n / 2 + 1); /* a RoleBinding user in ns(n/2+1)%100 */
        char ns[32];
        snprintf(ns, sizeof(ns), "ns%zu", (n / 2 + 1) % 100);
        struct user_info u = {0};
        u.name = uname;
        char *groups[] = {"system:authenticated", "team-a"};
        u.groups = groups;
        u.ngroups = 2;
        struct authz_attrs allow = {.user = &u, .verb = "list", .is_resource = true, .ns = ns,
                                    .group = "", .version = "v1", .resource = "configmaps",
                                    .subresource = "", .name = "", .path = ""};
        struct authz_attrs deny = allow;
        deny.verb = "delete";
        deny.name = "x";
        int iters = 2000000;
        double a = bench(s, &allow, AUTHZ_ALLOW, iters);
        double d = bench(s, &deny, AUTHZ_NO_OPINION, iters);
        printf("%-8zu %12.1f %14.1f %14.1f %14.1f\n", n, build, a, d, publish);
        rbac_snapshot_release(s);
        rbac_index_free(ix);
    }
    return 0;
}
