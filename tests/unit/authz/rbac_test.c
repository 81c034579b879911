/* rbac_test.c — RBAC rule matching (spec/08 §8.3), subject index decisions and reasons
 * (§8.4), incremental updates, coverage and the escalation text (§8.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "authz/rbac_index.h"
#include "authz/rbac_rules.h"

static struct user_info mkuser(const char *name, const char *g1, const char *g2)
{
    struct user_info u = {0};
    u.name = strdup(name);
    if (g1)
        user_info_add_group(&u, g1);
    if (g2)
        user_info_add_group(&u, g2);
    return u;
}

static struct authz_attrs res(const struct user_info *u, const char *verb, const char *group,
                              const char *resource, const char *sub, const char *ns, const char *name)
{
    struct authz_attrs a = {.user = u, .verb = verb, .is_resource = true, .group = group,
                            .version = "v1", .resource = resource, .subresource = sub,
                            .ns = ns, .name = name, .path = ""};
    return a;
}

static bool allows(const char *rule_json, struct authz_attrs a)
{
    struct rbac_rules rs;
    rbac_rules_init(&rs);
    json_t *j = json_loads(rule_json, 0, NULL);
    assert_non_null(j);
    json_t *arr = json_pack("[o]", j);
    rbac_rules_add_json(&rs, arr);
    json_decref(arr);
    bool r = rbac_rule_allows(&rs.items[0], &a);
    rbac_rules_release(&rs);
    return r;
}

static void test_rule_allows(void **state)
{
    struct user_info u = mkuser("u", NULL, NULL);
    const char *pods = "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}";
    assert_true(allows(pods, res(&u, "get", "", "pods", "", "ns", "x")));
    assert_false(allows(pods, res(&u, "list", "", "pods", "", "ns", "")));
    assert_false(allows(pods, res(&u, "get", "apps", "pods", "", "ns", "x")));
    assert_false(allows(pods, res(&u, "get", "", "pods", "log", "ns", "x"))); /* pods !⊇ pods/log */
    assert_false(allows(pods, res(&u, "GET", "", "pods", "", "ns", "x")));    /* case-sensitive */
    const char *star = "{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}";
    assert_true(allows(star, res(&u, "delete", "apps", "deployments", "scale", "", "d")));
    const char *sub = "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"*/scale\"]}";
    assert_true(allows(sub, res(&u, "get", "", "replicationcontrollers", "scale", "ns", "x")));
    assert_false(allows(sub, res(&u, "get", "", "replicationcontrollers", "", "ns", "x")));
    assert_false(allows(sub, res(&u, "get", "", "pods", "xscale", "ns", "x")));
    const char *podstar = "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods/*\"]}";
    assert_false(allows(podstar, res(&u, "get", "", "pods", "log", "ns", "x")));
    assert_true(allows(podstar, res(&u, "get", "", "pods", "*", "ns", "x"))); /* literal */
    const char *named = "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"resourceNames\":[\"s1\"]}";
    assert_true(allows(named, res(&u, "get", "", "secrets", "", "ns", "s1")));
    assert_false(allows(named, res(&u, "get", "", "secrets", "", "ns", "s2")));
    assert_false(allows(named, res(&u, "get", "", "secrets", "", "ns", "")));
    const char *urls = "{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/apis/*\",\"/healthz\"]}";
    struct authz_attrs nr = {.user = &u, .verb = "get", .path = "/apis/"};
    assert_true(allows(urls, nr));
    nr.path = "/apis/x/y";
    assert_true(allows(urls, nr));
    nr.path = "/apis";
    assert_false(allows(urls, nr));
    nr.path = "/healthz/x";
    assert_false(allows(urls, nr));
    nr.path = "/healthz";
    assert_true(allows(urls, nr));
    nr.verb = "post";
    assert_false(allows(urls, nr));
    /* a resource rule never allows a non-resource path and vice versa */
    nr.verb = "get";
    assert_false(allows(star, nr));
    assert_false(allows(urls, res(&u, "get", "", "healthz", "", "", "")));
    user_info_release(&u);
}

static json_t *load(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (j == NULL)
        fail_msg("bad json: %s: %s", e.text, s);
    return j;
}

static void put(struct rbac_index *ix, enum rbac_kind k, const char *s)
{
    json_t *j = load(s);
    rbac_index_put(ix, k, j);
    json_decref(j);
}

static enum authz_decision decide(struct rbac_index *ix, struct authz_attrs a, char **ret_reason)
{
    struct rbac_snapshot *s = rbac_index_acquire(ix);
    enum authz_decision d = rbac_snapshot_authorize(s, &a, ret_reason);
    rbac_snapshot_release(s);
    return d;
}

static void test_index_decisions(void **state)
{
    struct rbac_index *ix = rbac_index_new();
    put(ix, RBAC_CLUSTER_ROLE, "{\"metadata\":{\"name\":\"reader\"},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    put(ix, RBAC_ROLE, "{\"metadata\":{\"name\":\"svc\",\"namespace\":\"lab\"},\"rules\":[{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"services\"]}]}");
    put(ix, RBAC_CLUSTER_ROLE_BINDING, "{\"metadata\":{\"name\":\"crb\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"reader\"},\"subjects\":[{\"kind\":\"Group\",\"name\":\"g\"},{\"kind\":\"User\",\"name\":\"alice\"}]}");
    put(ix, RBAC_ROLE_BINDING, "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"lab\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"svc\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"runner\"}]}");
    put(ix, RBAC_ROLE_BINDING, "{\"metadata\":{\"name\":\"gone\",\"namespace\":\"lab\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"nope\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"carol\"}]}");
    put(ix, RBAC_CLUSTER_ROLE_BINDING, "{\"metadata\":{\"name\":\"odd\"},\"roleRef\":{\"kind\":\"Thing\",\"name\":\"x\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"carol\"}]}");
    /* nothing visible before publish */
    struct user_info alice = mkuser("alice", "g", "system:authenticated");
    char *why = NULL;
    assert_int_equal(decide(ix, res(&alice, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_NO_OPINION);
    assert_null(why);
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&alice, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_ALLOW);
    /* the first matching subject of the binding is reported: Group g before User alice */
    assert_string_equal(why, "RBAC: allowed by ClusterRoleBinding \"crb\" of ClusterRole \"reader\" to Group \"g\"");
    free(why);
    struct user_info alice2 = mkuser("alice", NULL, NULL);
    assert_int_equal(decide(ix, res(&alice2, "get", "", "pods", "", "", "p"), &why), AUTHZ_ALLOW);
    assert_string_equal(why, "RBAC: allowed by ClusterRoleBinding \"crb\" of ClusterRole \"reader\" to User \"alice\"");
    free(why);
    /* SA subject without namespace takes the binding's */
    struct user_info sa = mkuser("system:serviceaccount:lab:runner", "system:serviceaccounts", NULL);
    assert_int_equal(decide(ix, res(&sa, "list", "", "services", "", "lab", ""), &why), AUTHZ_ALLOW);
    assert_string_equal(why, "RBAC: allowed by RoleBinding \"rb/lab\" of Role \"svc\" to ServiceAccount \"runner/lab\"");
    free(why);
    assert_int_equal(decide(ix, res(&sa, "list", "", "services", "", "other", ""), &why), AUTHZ_NO_OPINION);
    assert_null(why);
    /* role bindings never apply to cluster-scoped requests */
    assert_int_equal(decide(ix, res(&sa, "list", "", "services", "", "", ""), &why), AUTHZ_NO_OPINION);
    free(why);
    /* role-resolution errors only when nothing allowed; CRBs first, deduplicated */
    struct user_info carol = mkuser("carol", NULL, NULL);
    assert_int_equal(decide(ix, res(&carol, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_NO_OPINION);
    assert_string_equal(why, "RBAC: [unsupported role reference kind: \"Thing\", role.rbac.authorization.k8s.io \"nope\" not found]");
    free(why);
    assert_int_equal(decide(ix, res(&carol, "get", "", "pods", "", "", "p"), &why), AUTHZ_NO_OPINION);
    assert_string_equal(why, "RBAC: unsupported role reference kind: \"Thing\"");
    free(why);
    /* incremental: binding update removes the old subject, delete removes everything */
    put(ix, RBAC_CLUSTER_ROLE_BINDING, "{\"metadata\":{\"name\":\"crb\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"reader\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\"}]}");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&alice, "get", "", "pods", "", "lab", "p"), NULL), AUTHZ_NO_OPINION);
    struct user_info bob = mkuser("bob", NULL, NULL);
    assert_int_equal(decide(ix, res(&bob, "get", "", "pods", "", "lab", "p"), NULL), AUTHZ_ALLOW);
    rbac_index_delete(ix, RBAC_CLUSTER_ROLE, NULL, "reader");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&bob, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_NO_OPINION);
    assert_string_equal(why, "RBAC: clusterrole.rbac.authorization.k8s.io \"reader\" not found");
    free(why);
    rbac_index_delete(ix, RBAC_CLUSTER_ROLE_BINDING, NULL, "crb");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&bob, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_NO_OPINION);
    assert_null(why);
    /* rules_for: CRBs then RBs of the namespace */
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    char *errs = NULL;
    struct rbac_snapshot *s = rbac_index_acquire(ix);
    rbac_snapshot_rules_for(s, &sa, "lab", &rules, &errs);
    assert_int_equal(rules.n, 1);
    assert_string_equal(rules.items[0].resources[0], "services");
    assert_null(errs);
    rbac_snapshot_release(s);
    rbac_rules_release(&rules);
    user_info_release(&alice);
    user_info_release(&alice2);
    user_info_release(&sa);
    user_info_release(&carol);
    user_info_release(&bob);
    rbac_index_free(ix);
}

static void test_cover_and_describe(void **state)
{
    struct rbac_rules owner, want, missing;
    rbac_rules_init(&owner);
    rbac_rules_init(&want);
    rbac_rules_init(&missing);
    json_t *o = load("[{\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"*/status\"]},"
                     "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"resourceNames\":[\"a\"]},"
                     "{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/logs/*\"]}]");
    rbac_rules_add_json(&owner, o);
    json_t *w = load("[{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"\",\"apps\"],\"resources\":[\"pods\",\"deployments/status\"]},"
                     "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"resourceNames\":[\"a\",\"b\"]},"
                     "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"]},"
                     "{\"verbs\":[\"get\",\"post\"],\"nonResourceURLs\":[\"/logs/x\",\"/metrics\"]}]");
    rbac_rules_add_json(&want, w);
    assert_false(rbac_rules_cover(&owner, &want, &missing));
    char *d = rbac_rules_describe_missing(&missing);
    assert_string_equal(d,
        "{APIGroups:[\"\"], Resources:[\"deployments/status\"], Verbs:[\"watch\"]}\n"
        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"watch\"]}\n"
        "{APIGroups:[\"\"], Resources:[\"secrets\"], ResourceNames:[\"b\"], Verbs:[\"get\"]}\n"
        "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}\n"
        "{APIGroups:[\"apps\"], Resources:[\"deployments/status\"], Verbs:[\"get\" \"list\" \"watch\"]}\n"
        "{APIGroups:[\"apps\"], Resources:[\"pods\"], Verbs:[\"get\" \"list\" \"watch\"]}\n"
        "{NonResourceURLs:[\"/logs/x\"], Verbs:[\"post\"]}\n"
        "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}\n"
        "{NonResourceURLs:[\"/metrics\"], Verbs:[\"post\"]}");
    free(d);
    json_decref(o);
    json_decref(w);
    rbac_rules_release(&owner);
    rbac_rules_release(&want);
    rbac_rules_release(&missing);
}

/* Roles written after their bindings, replaced and deleted: lists re-point at the new rules. */
static void test_role_changes_repoint(void **state)
{
    struct rbac_index *ix = rbac_index_new();
    put(ix, RBAC_ROLE_BINDING, "{\"metadata\":{\"name\":\"rb\",\"namespace\":\"lab\"},\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"dan\"},{\"kind\":\"Group\",\"name\":\"ops\"}]}");
    rbac_index_publish(ix);
    struct user_info dan = mkuser("dan", NULL, NULL);
    struct user_info op = mkuser("eve", "ops", NULL);
    char *why = NULL;
    assert_int_equal(decide(ix, res(&dan, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_NO_OPINION);
    assert_string_equal(why, "RBAC: role.rbac.authorization.k8s.io \"r\" not found");
    free(why);
    put(ix, RBAC_ROLE, "{\"metadata\":{\"name\":\"r\",\"namespace\":\"lab\"},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&dan, "get", "", "pods", "", "lab", "p"), NULL), AUTHZ_ALLOW);
    assert_int_equal(decide(ix, res(&op, "get", "", "pods", "", "lab", "p"), &why), AUTHZ_ALLOW);
    assert_string_equal(why, "RBAC: allowed by RoleBinding \"rb/lab\" of Role \"r\" to Group \"ops\"");
    free(why);
    /* a snapshot taken before an update keeps answering from its own rules */
    struct rbac_snapshot *old = rbac_index_acquire(ix);
    put(ix, RBAC_ROLE, "{\"metadata\":{\"name\":\"r\",\"namespace\":\"lab\"},\"rules\":[{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&dan, "get", "", "pods", "", "lab", "p"), NULL), AUTHZ_NO_OPINION);
    assert_int_equal(decide(ix, res(&op, "list", "", "pods", "", "lab", ""), NULL), AUTHZ_ALLOW);
    struct authz_attrs a = res(&dan, "get", "", "pods", "", "lab", "p");
    assert_int_equal(rbac_snapshot_authorize(old, &a, NULL), AUTHZ_ALLOW);
    rbac_snapshot_release(old);
    rbac_index_delete(ix, RBAC_ROLE, "lab", "r");
    rbac_index_publish(ix);
    assert_int_equal(decide(ix, res(&op, "list", "", "pods", "", "lab", ""), NULL), AUTHZ_NO_OPINION);
    user_info_release(&dan);
    user_info_release(&op);
    rbac_index_free(ix);
}

/* ---- several readers while the policy changes ---------------------------------------------
 * The writer flips between two policies, each published in one step from several changes:
 *   A: ClusterRole cr = get pods, ClusterRoleBinding bx: cr -> user x (no by)
 *   B: ClusterRole cr = list pods, ClusterRoleBinding by: cr -> user y (no bx)
 * Four readers ask four questions of one snapshot (through the authorizer's own acquire)
 * and check the answers are exactly A's or exactly B's: never a mix of a published policy
 * and the writer's unpublished changes. */

#define HAMMER_FLIPS 600

struct hammer {
    struct rbac_index *ix;
    atomic_bool done;
    atomic_long mixed, seen_a, seen_b;
};

static void *hammer_reader(void *arg)
{
    struct hammer *h = arg;
    struct user_info x = mkuser("x", "system:authenticated", NULL);
    struct user_info y = mkuser("y", "system:authenticated", NULL);
    long rounds = 0;
    while (!atomic_load(&h->done) || rounds < 100) {
        struct rbac_snapshot *s = rbac_index_acquire(h->ix);
        struct authz_attrs q[4] = {res(&x, "get", "", "pods", "", "lab", "p"),
                                   res(&x, "list", "", "pods", "", "lab", ""),
                                   res(&y, "get", "", "pods", "", "lab", "p"),
                                   res(&y, "list", "", "pods", "", "lab", "")};
        int bits = 0;
        for (int i = 0; i < 4; i++)
            if (rbac_snapshot_authorize(s, &q[i], NULL) == AUTHZ_ALLOW)
                bits |= 1 << i;
        rbac_snapshot_release(s);
        if (bits == 1)
            atomic_fetch_add(&h->seen_a, 1);
        else if (bits == 8)
            atomic_fetch_add(&h->seen_b, 1);
        else
            atomic_fetch_add(&h->mixed, 1);
        rounds++;
    }
    user_info_release(&x);
    user_info_release(&y);
    return NULL;
}

static void hammer_policy(struct rbac_index *ix, bool b)
{
    if (b) {
        put(ix, RBAC_CLUSTER_ROLE, "{\"metadata\":{\"name\":\"cr\"},\"rules\":[{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
        rbac_index_delete(ix, RBAC_CLUSTER_ROLE_BINDING, NULL, "bx");
        put(ix, RBAC_CLUSTER_ROLE_BINDING, "{\"metadata\":{\"name\":\"by\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"y\"}]}");
    } else {
        put(ix, RBAC_CLUSTER_ROLE_BINDING, "{\"metadata\":{\"name\":\"bx\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"x\"}]}");
        rbac_index_delete(ix, RBAC_CLUSTER_ROLE_BINDING, NULL, "by");
        put(ix, RBAC_CLUSTER_ROLE, "{\"metadata\":{\"name\":\"cr\"},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    }
}

static void test_readers_see_one_snapshot_while_policy_changes(void **state)
{
    (void)state;
    struct hammer h = {.ix = rbac_index_new()};
    /* unrelated bindings so the map has several shards to share and copy */
    for (int i = 0; i < 200; i++) {
        char b[256];
        snprintf(b, sizeof(b), "{\"metadata\":{\"name\":\"other%d\",\"namespace\":\"ns%d\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"cr\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"u%d\"}]}", i, i % 7, i);
        put(h.ix, RBAC_ROLE_BINDING, b);
    }
    hammer_policy(h.ix, false);
    rbac_index_publish(h.ix);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_reader, &h), 0);
    for (int i = 1; i <= HAMMER_FLIPS; i++) {
        hammer_policy(h.ix, i % 2 == 1);
        rbac_index_publish(h.ix);
    }
    atomic_store(&h.done, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&h.mixed), 0);
    assert_true(atomic_load(&h.seen_a) + atomic_load(&h.seen_b) >= 100);
    /* the last policy published (HAMMER_FLIPS is even: A) is what a new reader sees */
    struct user_info x = mkuser("x", NULL, NULL);
    assert_int_equal(decide(h.ix, res(&x, "get", "", "pods", "", "lab", "p"), NULL), AUTHZ_ALLOW);
    user_info_release(&x);
    rbac_index_free(h.ix);
}

/* The compiled matcher answers exactly as rbac_rule_allows over a grid of rules × requests. */
static void test_compiled_matches_reference(void **state)
{
    struct rbac_rules rs;
    rbac_rules_init(&rs);
    json_t *j = load("[{\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/log\"]},"
                     "{\"verbs\":[\"*\"],\"apiGroups\":[\"apps\"],\"resources\":[\"*/scale\"]},"
                     "{\"verbs\":[\"frobnicate\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]},"
                     "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"resourceNames\":[\"a-long-secret-name\",\"s\"]},"
                     "{\"verbs\":[\"get\"],\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"clusterrolebindings\",\"*/status\"]},"
                     "{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\",\"/api/*\"]}]");
    rbac_rules_add_json(&rs, j);
    json_decref(j);
    static const char *verbs[] = {"get", "list", "delete", "frobnicate", "frobnicat", "*", ""};
    static const char *groups[] = {"", "apps", "rbac.authorization.k8s.io", "rbac.authorization.k8s.iO"};
    static const char *resources[] = {"pods", "deployments", "secrets", "clusterrolebindings", "*", "podsx"};
    static const char *subs[] = {"", "log", "scale", "status", "statuses"};
    static const char *names[] = {"", "s", "a-long-secret-name", "a-long-secret-namf"};
    struct user_info u = mkuser("u", NULL, NULL);
    size_t checked = 0, allowed = 0;
    for (size_t v = 0; v < 7; v++)
        for (size_t g = 0; g < 4; g++)
            for (size_t r = 0; r < 6; r++)
                for (size_t sb = 0; sb < 5; sb++)
                    for (size_t n = 0; n < 4; n++) {
                        struct authz_attrs a = res(&u, verbs[v], groups[g], resources[r], subs[sb], "ns", names[n]);
                        bool want = false;
                        for (size_t i = 0; i < rs.n && !want; i++)
                            want = rbac_rule_allows(&rs.items[i], &a);
                        struct rbac_crules c;
                        rbac_crules_compile(&rs, &c);
                        struct rbac_probe p;
                        rbac_probe_init(&p, &a);
                        assert_int_equal(rbac_crules_allow(&c, &p), want);
                        rbac_crules_release(&c);
                        checked++;
                        allowed += want;
                    }
    static const char *paths[] = {"/healthz", "/healthz/x", "/api", "/api/", "/api/v1", ""};
    for (size_t v = 0; v < 7; v++)
        for (size_t i = 0; i < 6; i++) {
            struct authz_attrs a = {.user = &u, .verb = verbs[v], .path = paths[i]};
            bool want = false;
            for (size_t k = 0; k < rs.n && !want; k++)
                want = rbac_rule_allows(&rs.items[k], &a);
            struct rbac_crules c;
            rbac_crules_compile(&rs, &c);
            struct rbac_probe p;
            rbac_probe_init(&p, &a);
            assert_int_equal(rbac_crules_allow(&c, &p), want);
            rbac_crules_release(&c);
            allowed += want;
        }
    assert_true(checked == 3360);
    assert_true(allowed > 50); /* the grid exercises both answers */
    user_info_release(&u);
    rbac_rules_release(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_allows),
        cmocka_unit_test(test_index_decisions),
        cmocka_unit_test(test_cover_and_describe),
        cmocka_unit_test(test_role_changes_repoint),
        cmocka_unit_test(test_compiled_matches_reference),
        cmocka_unit_test(test_readers_see_one_snapshot_while_policy_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
