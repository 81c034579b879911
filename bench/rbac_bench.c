/* rbac_bench.c — ns per RBAC decision on the subject index (rbac_index.h) with the bootstrap
 * policy plus N synthetic RoleBindings/ClusterRoleBindings (default N = 100, 10 000, 100 000),
 * in-process, for an allowed and a denied request (the two figures) and two more
 * shapes: an allow through a ClusterRoleBinding of the large `view` ClusterRole, and a
 * service account denied with a resource name. Prints figures; never fails on time.
 *
 *   rbac_bench [-n N1,N2,..] [-i ITERS]
 *
 *   -n LIST   binding counts, one table row each (default 100,10000,100000; each <= 1000000)
 *   -i ITERS  decisions per timed case (default 2000000; <= 100000000). Small values suit
 *             `valgrind --tool=callgrind`, which counts instructions reproducibly.
 *
 * Synthetic policy: 100 namespaces ns0..ns99 each with Role "worker" (get, list on pods and
 * configmaps); binding i names User "user<i>": every 10th is a ClusterRoleBinding to
 * ClusterRole "view", the others RoleBindings to "worker" in ns(i % 100) that also name the
 * ServiceAccount ns(i % 100)/user<i>. The requester has groups system:authenticated and
 * team-a, as a real request does (system:authenticated has bootstrap bindings). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "authz/bootstrap_policy.h"
#include "authz/rbac_index.h"

#define BENCH_MAX_SIZES 8
#define BENCH_MAX_N 1000000L
#define BENCH_MAX_ITERS 100000000L

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Whether role's labels satisfy every matchLabels entry of selector. */
static bool labels_match(json_t *role, json_t *selector)
{
    json_t *labels = json_object_get(json_object_get(role, "metadata"), "labels");
    json_t *want = json_object_get(selector, "matchLabels");
    const char *k;
    json_t *v;
    if (json_object_size(want) == 0)
        return false;
    json_object_foreach(want, k, v)
        if (!json_equal(json_object_get(labels, k), v))
            return false;
    return true;
}

/* What the aggregation controller does for admin/edit/view: an aggregated ClusterRole's rules
 * are those of every ClusterRole its selectors match (one pass; the bootstrap roles' sources
 * are not themselves aggregated). */
static void aggregate(json_t *roles)
{
    size_t i, j, k;
    json_t *role, *other, *sel;
    json_array_foreach(roles, i, role) {
        json_t *agg = json_object_get(role, "aggregationRule");
        if (agg == NULL)
            continue;
        json_t *rules = json_array();
        json_array_foreach(roles, j, other) {
            if (other == role || json_object_get(other, "aggregationRule") != NULL)
                continue;
            json_array_foreach(json_object_get(agg, "clusterRoleSelectors"), k, sel)
                if (labels_match(other, sel)) {
                    json_array_extend(rules, json_object_get(other, "rules"));
                    break;
                }
        }
        json_object_set_new(role, "rules", rules);
    }
}

static void load_policy(struct rbac_index *ix)
{
    json_t *p = bootstrap_policy();
    aggregate(json_object_get(p, "clusterRoles"));
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
                    long iters)
{
    /* the reason text must be right too (once, untimed) */
    char *why = NULL;
    enum authz_decision d = rbac_snapshot_authorize(s, a, &why);
    if (d != want) {
        fprintf(stderr, "rbac_bench: unexpected decision %d (%s)\n", d, why ? why : "-");
        exit(1);
    }
    free(why);
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        d = rbac_snapshot_authorize(s, a, NULL);
        if (d != want) {
            fprintf(stderr, "rbac_bench: unexpected decision %d\n", d);
            exit(1);
        }
    }
    return (now_ns() - t0) / (double)iters;
}

static int parse_sizes(const char *arg, size_t *sizes, size_t *ret_n)
{
    size_t n = 0;
    const char *p = arg;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > BENCH_MAX_N || n == BENCH_MAX_SIZES ||
            (*end != ',' && *end != '\0'))
            return -1;
        sizes[n++] = (size_t)v;
        p = *end == ',' ? end + 1 : end;
    }
    *ret_n = n;
    return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t sizes[BENCH_MAX_SIZES] = {100, 10000, 100000};
    size_t nsizes = 3;
    long iters = 2000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            if (parse_sizes(argv[++i], sizes, &nsizes) < 0) {
                fprintf(stderr, "rbac_bench: -n wants up to %d counts <= %ld\n", BENCH_MAX_SIZES, BENCH_MAX_N);
                return 2;
            }
        } else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
            char *end;
            iters = strtol(argv[++i], &end, 10);
            if (*end || iters < 1 || iters > BENCH_MAX_ITERS) {
                fprintf(stderr, "rbac_bench: -i wants 1..%ld\n", BENCH_MAX_ITERS);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: rbac_bench [-n N1,N2,..] [-i ITERS]\n");
            return 2;
        }
    }
    printf("ns per decision (%ld decisions per case); build = policy + N bindings; publish = mean\n"
           "of 100 (one RoleBinding added + publish)\n", iters);
    printf("%-8s %10s %11s %9s %9s %13s %11s\n", "N", "build_ms", "publish_us", "allow_ns",
           "deny_ns", "allow_crb_ns", "deny_sa_ns");
    for (size_t k = 0; k < nsizes; k++) {
        size_t n = sizes[k];
        struct rbac_index *ix = rbac_index_new();
        double t0 = now_ns();
        load_policy(ix);
        add_synthetic(ix, n);
        rbac_index_publish(ix);
        double build = (now_ns() - t0) / 1e6;
        /* incremental updates, each published, as watch events do (mean of 100) */
        json_t *b = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:[{s:s,s:s}]}", "metadata", "name", "extra",
                              "namespace", "ns1", "roleRef", "kind", "Role", "name", "worker",
                              "subjects", "kind", "User", "name", "late");
        double t1 = now_ns();
        for (int u = 0; u < 100; u++) {
            char bname[32];
            snprintf(bname, sizeof(bname), "extra%d", u);
            json_object_set_new(json_object_get(b, "metadata"), "name", json_string(bname));
            rbac_index_put(ix, RBAC_ROLE_BINDING, b);
            rbac_index_publish(ix);
        }
        double publish = (now_ns() - t1) / 1e3 / 100;
        json_decref(b);
        struct rbac_snapshot *s = rbac_index_acquire(ix);
        /* a RoleBinding user (i % 10 != 0) in ns(i % 100); with N < 2 it has no binding */
        size_t ui = n / 2 + 1;
        char uname[64], ns[32], crb_user[64], sa[96];
        snprintf(uname, sizeof(uname), "user%zu", ui);
        snprintf(ns, sizeof(ns), "ns%zu", ui % 100);
        snprintf(crb_user, sizeof(crb_user), "user%zu", (n / 20) * 10); /* a "view" CRB user */
        snprintf(sa, sizeof(sa), "system:serviceaccount:%s:user%zu", ns, ui);
        struct user_info u = {0}, cu = {0}, su = {0};
        char *groups[] = {"system:authenticated", "team-a"};
        char *sa_groups[] = {"system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"};
        u.name = uname;
        u.groups = groups;
        u.ngroups = 2;
        cu = u;
        cu.name = crb_user;
        su.name = sa;
        su.groups = sa_groups;
        su.ngroups = 3;
        struct authz_attrs allow = {.user = &u, .verb = "list", .is_resource = true, .ns = ns,
                                    .group = "", .version = "v1", .resource = "configmaps",
                                    .subresource = "", .name = "", .path = ""};
        struct authz_attrs deny = allow;
        deny.verb = "delete";
        deny.name = "x";
        struct authz_attrs allow_crb = allow;
        allow_crb.user = &cu;
        allow_crb.verb = "get";
        allow_crb.group = "apps";
        allow_crb.resource = "deployments";
        allow_crb.subresource = "scale";
        allow_crb.name = "web";
        struct authz_attrs deny_sa = allow;
        deny_sa.user = &su;
        deny_sa.verb = "get";
        deny_sa.resource = "secrets";
        deny_sa.name = "token";
        bool have = n >= 2;
        double a = have ? bench(s, &allow, AUTHZ_ALLOW, iters) : 0;
        double d = bench(s, &deny, AUTHZ_NO_OPINION, iters);
        double ac = have ? bench(s, &allow_crb, AUTHZ_ALLOW, iters) : 0;
        double ds = bench(s, &deny_sa, AUTHZ_NO_OPINION, iters);
        printf("%-8zu %10.1f %11.1f %9.1f %9.1f %13.1f %11.1f\n", n, build, publish, a, d, ac, ds);
        rbac_snapshot_release(s);
        rbac_index_free(ix);
    }
    return 0;
}
