/* reviews_test.c — the access review handlers (authz/reviews.c) called from several request
 * threads at once while the RBAC policy changes under them, as the multi-loop server runs
 * them without the biglock: SelfSubjectAccessReview, SubjectAccessReview and
 * SelfSubjectRulesReview answers always match the policy published when the review ran
 * (a binding granting list pods in lab to the ServiceAccount, added and removed in turns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "authz/authz.h"
#include "authz/node.h"
#include "authz/rbac.h"
#include "authz/rbac_int.h"
#include "registry/resource.h"
#include "util/buf.h"

#define THREADS 4
#define FLIPS 60
#define SA "system:serviceaccount:lab:runner"

static struct apiserver srv;
static struct rbac_state state;

static enum authz_decision index_authorize(void *st, struct apiserver *s, const struct authz_attrs *a,
                                           char **ret_reason)
{
    (void)s;
    struct rbac_snapshot *snap = rbac_index_acquire(((struct rbac_state *)st)->index);
    enum authz_decision d = rbac_snapshot_authorize(snap, a, ret_reason);
    rbac_snapshot_release(snap);
    return d;
}

static struct authorizer rbac_auth = {.name = "RBAC", .authorize = index_authorize};

static void put(const char *kind_json, enum rbac_kind k)
{
    json_t *j = json_loads(kind_json, 0, NULL);
    assert_non_null(j);
    rbac_index_put(state.index, k, j);
    json_decref(j);
}

struct shared {
    int phase;  /* __atomic: 4k granted, 4k+2 not, odd: changing */
    int done;   /* __atomic */
    long wrong, granted, denied; /* __atomic */
};

static struct shared sh;

static void judge(int p0, int p1, bool allowed)
{
    if (p0 != p1 || p0 % 2 == 1)
        return;
    bool want = p0 % 4 == 0;
    if (allowed != want)
        __atomic_add_fetch(&sh.wrong, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(want ? &sh.granted : &sh.denied, 1, __ATOMIC_RELAXED);
}

static bool review_allowed(int (*fn)(struct api_call *, json_t *, json_t **, json_t **),
                           const char *kind, const char *body_text, const struct user_info *u)
{
    struct api_call c = {.srv = &srv, .res = resource_by_kind("authorization.k8s.io", kind),
                         .user = u, .field_manager = "kubectl"};
    json_t *body = json_loads(body_text, 0, NULL), *obj = NULL, *st = NULL;
    int rc = fn(&c, body, &obj, &st);
    bool allowed = rc == 0 && json_is_true(json_object_get(json_object_get(obj, "status"), "allowed"));
    if (rc != 0)
        __atomic_add_fetch(&sh.wrong, 1, __ATOMIC_RELAXED);
    json_decref(body);
    json_decref(obj);
    json_decref(st);
    return allowed;
}

static bool rules_allow_list(const struct user_info *u)
{
    struct api_call c = {.srv = &srv, .res = resource_by_kind("authorization.k8s.io", "SelfSubjectRulesReview"),
                         .user = u, .field_manager = "kubectl"};
    json_t *body = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "authorization.k8s.io/v1", "kind",
                             "SelfSubjectRulesReview", "spec", "namespace", "lab");
    json_t *obj = NULL, *st = NULL;
    bool found = false;
    if (rbac_ssrr_create(&c, body, &obj, &st) == 0) {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(json_object_get(obj, "status"), "resourceRules"), i, r) {
            char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
            if (strstr(s, "\"resources\":[\"pods\"]") && strstr(s, "\"verbs\":[\"list\"]"))
                found = true;
            free(s);
        }
    } else {
        __atomic_add_fetch(&sh.wrong, 1, __ATOMIC_RELAXED);
    }
    json_decref(body);
    json_decref(obj);
    json_decref(st);
    return found;
}

static void *reviewer(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct user_info sa = {0}, admin = {0};
    sa.name = strdup(SA);
    user_info_add_group(&sa, "system:serviceaccounts");
    user_info_add_group(&sa, "system:authenticated");
    admin.name = strdup("admin");
    user_info_add_group(&admin, "system:masters");
    for (unsigned i = 0; !__atomic_load_n(&sh.done, __ATOMIC_ACQUIRE) || i < 10; i++) {
        int p0 = __atomic_load_n(&sh.phase, __ATOMIC_ACQUIRE);
        bool allowed;
        switch ((i + (unsigned)t) % 3) {
        case 0:
            allowed = review_allowed(rbac_ssar_create, "SelfSubjectAccessReview",
                                     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                                     "\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"pods\",\"namespace\":\"lab\"}}}",
                                     &sa);
            break;
        case 1:
            allowed = review_allowed(rbac_sar_create, "SubjectAccessReview",
                                     "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
                                     "\"spec\":{\"user\":\"" SA "\",\"groups\":[\"system:serviceaccounts\"],"
                                     "\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"pods\",\"namespace\":\"lab\"}}}",
                                     &admin);
            break;
        default:
            allowed = rules_allow_list(&sa);
            break;
        }
        judge(p0, __atomic_load_n(&sh.phase, __ATOMIC_ACQUIRE), allowed);
    }
    user_info_release(&sa);
    user_info_release(&admin);
    return NULL;
}

/* Waits until a review was judged in the current phase (safety net: 60 s). */
static void wait_judged(long *counter)
{
    long start = __atomic_load_n(counter, __ATOMIC_ACQUIRE);
    for (long i = 0; i < 60000000L && __atomic_load_n(counter, __ATOMIC_ACQUIRE) == start &&
                     __atomic_load_n(&sh.wrong, __ATOMIC_ACQUIRE) == 0; i++)
        sched_yield();
}

static void test_reviews_while_policy_changes(void **st)
{
    (void)st;
    state.srv = &srv;
    state.index = rbac_index_new();
    rbac__state = &state;
    rbac_auth.state = &state;
    static const struct authorizer *chain[2];
    chain[0] = node_authorizer();
    chain[1] = &rbac_auth;
    srv.authorizers = chain;
    srv.nauthorizers = 2;
    put("{\"metadata\":{\"name\":\"pod-lister\",\"namespace\":\"lab\"},\"rules\":[{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}",
        RBAC_ROLE);
    put("{\"metadata\":{\"name\":\"runner\",\"namespace\":\"lab\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"pod-lister\"},"
        "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"runner\",\"namespace\":\"lab\"}]}",
        RBAC_ROLE_BINDING);
    rbac_index_publish(state.index);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reviewer, (void *)(intptr_t)i), 0);
    for (int f = 0; f < FLIPS; f++) {
        wait_judged(&sh.granted);
        __atomic_add_fetch(&sh.phase, 1, __ATOMIC_RELEASE);
        rbac_index_delete(state.index, RBAC_ROLE_BINDING, "lab", "runner");
        rbac_index_publish(state.index);
        __atomic_add_fetch(&sh.phase, 1, __ATOMIC_RELEASE);
        wait_judged(&sh.denied);
        __atomic_add_fetch(&sh.phase, 1, __ATOMIC_RELEASE);
        put("{\"metadata\":{\"name\":\"runner\",\"namespace\":\"lab\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"pod-lister\"},"
            "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"runner\",\"namespace\":\"lab\"}]}",
            RBAC_ROLE_BINDING);
        rbac_index_publish(state.index);
        __atomic_add_fetch(&sh.phase, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&sh.done, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(sh.wrong, 0);
    assert_true(sh.granted >= FLIPS);
    assert_true(sh.denied >= FLIPS);
    rbac__state = NULL;
    rbac_index_free(state.index);
}

/* The managedFields entry's fieldsV1 of an SSAR answer (each thread remembers its last
 * body's set): the same body twice gives the same set, a different body its own, and the
 * first body again its own once more. */
static char *ssar_fields(const char *body_text)
{
    struct user_info u = {0};
    u.name = strdup("admin");
    user_info_add_group(&u, "system:masters");
    struct api_call c = {.srv = &srv, .res = resource_by_kind("authorization.k8s.io", "SelfSubjectAccessReview"),
                         .user = &u, .field_manager = "kubectl"};
    json_t *body = json_loads(body_text, 0, NULL), *obj = NULL, *st = NULL;
    assert_int_equal(rbac_ssar_create(&c, body, &obj, &st), 0);
    json_t *mf = json_array_get(json_object_get(json_object_get(obj, "metadata"), "managedFields"), 0);
    char *s = json_dumps(json_object_get(mf, "fieldsV1"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(s);
    json_decref(body);
    json_decref(obj);
    json_decref(st);
    user_info_release(&u);
    return s;
}

static void test_ssar_fields_remembered(void **st)
{
    (void)st;
    static const struct authorizer *chain[1];
    chain[0] = node_authorizer();
    srv.authorizers = chain;
    srv.nauthorizers = 1;
    const char *a = "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                    "\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\"}}}";
    const char *b = "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                    "\"spec\":{\"nonResourceAttributes\":{\"verb\":\"get\",\"path\":\"/x\"}}}";
    char *a1 = ssar_fields(a), *a2 = ssar_fields(a), *b1 = ssar_fields(b), *a3 = ssar_fields(a);
    assert_string_equal(a1, "{\"f:spec\":{\"f:resourceAttributes\":{\".\":{},\"f:resource\":{},\"f:verb\":{}}}}");
    assert_string_equal(a2, a1);
    assert_string_equal(b1, "{\"f:spec\":{\"f:nonResourceAttributes\":{\".\":{},\"f:path\":{},\"f:verb\":{}}}}");
    assert_string_equal(a3, a1);
    free(a1);
    free(a2);
    free(b1);
    free(a3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviews_while_policy_changes),
        cmocka_unit_test(test_ssar_fields_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
