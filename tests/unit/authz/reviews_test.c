/* reviews_test.c — the access review handlers (authz/reviews.c) called from several request
 * threads at once while the RBAC policy changes under them, as the multi-loop server runs
 * them without the biglock: SelfSubjectAccessReview, SubjectAccessReview and
 * SelfSubjectRulesReview answers always match the policy published when the review ran
 * (a binding granting list pods in lab to the ServiceAccount, added and removed in turns),
 * SSARs answered from a thread's remembered answer (rbac_ssar_fast) included. */
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
#include "machinery/patch.h"
#include "registry/resource.h"
#include "util/buf.h"
#include "util/json.h"

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

/* An SSAR as the server answers a repeat: the thread's remembered answer (rbac_ssar_fast),
 * else the general path, printed and remembered; allowed read from the answer's bytes. */
static bool ssar_memo_allowed(const char *body_text, const struct user_info *u)
{
    struct api_call c = {.srv = &srv, .res = resource_by_kind("authorization.k8s.io", "SelfSubjectAccessReview"),
                         .user = u, .field_manager = "kubectl"};
    size_t len = strlen(body_text), n;
    char *s = rbac_ssar_fast(&c, body_text, len, &n);
    if (s == NULL) {
        json_t *body = json_parse_go(body_text, len, NULL), *obj = NULL, *st = NULL;
        if (rbac_ssar_create(&c, body, &obj, &st) != 0) {
            __atomic_add_fetch(&sh.wrong, 1, __ATOMIC_RELAXED);
            s = strdup("");
        } else {
            s = json_dump_go(obj, false, &n);
            rbac_ssar_remember(&c, body_text, len, obj, s, n);
        }
        json_decref(body);
        json_decref(obj);
        json_decref(st);
    }
    bool allowed = strstr(s, "\"status\":{\"allowed\":true") != NULL;
    free(s);
    return allowed;
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
        switch ((i + (unsigned)t) % 4) {
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
        case 2:
            allowed = rules_allow_list(&sa);
            break;
        default:
            allowed = ssar_memo_allowed("{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
                                        "\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"pods\",\"namespace\":\"lab\"}}}",
                                        &sa);
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

/* ---- the repeated SSAR's remembered answer (rbac_ssar_fast) against the general path ---- */

static int toggle_allow; /* the toggled authorizer's answer: allow with a reason, or no opinion */

static enum authz_decision toggle_authorize(void *st, struct apiserver *s, const struct authz_attrs *a,
                                            char **ret_reason)
{
    (void)st;
    (void)s;
    if (!toggle_allow || strcmp(a->verb, "get") != 0)
        return AUTHZ_NO_OPINION;
    *ret_reason = strdup("toggled on");
    return AUTHZ_ALLOW;
}

static struct authorizer toggle_auth = {.name = "toggle", .authorize = toggle_authorize};

/* The general path's answer text (json_dump_go of rbac_ssar_create's object, as the server
 * sends it), or NULL when the body is refused. *ret_obj: the object. */
static char *ssar_general(struct api_call *c, const char *body_text, size_t *ret_len, json_t **ret_obj)
{
    json_t *body = json_parse_go(body_text, strlen(body_text), NULL), *obj = NULL, *st = NULL;
    assert_non_null(body);
    int rc = rbac_ssar_create(c, body, &obj, &st);
    json_decref(body);
    json_decref(st);
    if (rc != 0)
        return NULL;
    char *s = json_dump_go(obj, false, ret_len);
    *ret_obj = obj;
    return s;
}

/* a and b are the same bytes but for managedFields' time value (20 bytes, both well formed) */
static void assert_same_but_time(const char *a, size_t alen, const char *b, size_t blen)
{
    assert_int_equal(alen, blen);
    const char *t = strstr(b, "\"apiVersion\":\"authorization.k8s.io/v1\",\"time\":\"");
    size_t at = t ? (size_t)(t - b) + strlen("\"apiVersion\":\"authorization.k8s.io/v1\",\"time\":\"") : blen;
    for (size_t i = 0; i < alen; i++) {
        if (i >= at && i < at + 20) {
            assert_true(a[i] >= '0' && a[i] <= '9' ? true : strchr("-T:Z", a[i]) != NULL);
            continue;
        }
        if (a[i] != b[i])
            fail_msg("byte %zu differs: fast %.40s vs general %.40s", i, a + i, b + i);
    }
}

static void test_ssar_fast_matches_general(void **st)
{
    (void)st;
    static const struct authorizer *chain[2];
    chain[0] = node_authorizer();
    chain[1] = &toggle_auth;
    srv.authorizers = chain;
    srv.nauthorizers = 2;
    struct user_info u = {0};
    u.name = strdup("system:serviceaccount:default:default");
    user_info_add_group(&u, "system:serviceaccounts");
    struct api_call c = {.srv = &srv, .res = resource_by_kind("authorization.k8s.io", "SelfSubjectAccessReview"),
                         .user = &u, .field_manager = "kubectl"};
    static const char *const bodies[] = {
        "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\",\"resource\":\"pods\"}}}",
        "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"list\",\"resource\":\"pods\"}},\"status\":{\"allowed\":false}}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\",\"subresource\":\"scale\",\"name\":\"web\",\"namespace\":\"prod\"}}}",
        "{ \"apiVersion\" : \"authorization.k8s.io/v1\", \"kind\": \"SelfSubjectAccessReview\",\n \"spec\": {\"nonResourceAttributes\": {\"path\": \"/healthz\", \"verb\": \"get\"}}}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\",\"fieldSelector\":{\"rawSelector\":\"spec.nodeName=n1\"},\"labelSelector\":{\"rawSelector\":\"app in (a,b\"}}}}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"p\\u00f6ds\",\"name\":\"a\\\"b\\\\c\"}}}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"\",\"resource\":\"\",\"namespace\":\"\"}}}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\"},\"unknown\":[1,2]},\"extra\":true}",
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\",\"resource\":\"pods\",\"labelSelector\":{\"requirements\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}}}}",
    };
    for (int allow = 0; allow < 2; allow++) {
        toggle_allow = allow;
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            const char *b = bodies[i];
            size_t glen, flen;
            json_t *obj = NULL;
            char *g = ssar_general(&c, b, &glen, &obj);
            assert_non_null(g);
            /* not remembered yet (the memo holds the previous body): the general path */
            assert_null(rbac_ssar_fast(&c, b, strlen(b), &flen));
            rbac_ssar_remember(&c, b, strlen(b), obj, g, glen);
            char *f = rbac_ssar_fast(&c, b, strlen(b), &flen);
            assert_non_null(f);
            assert_same_but_time(f, flen, g, glen);
            free(f);
            /* one byte more, another manager: not the remembered request */
            char *longer = malloc(strlen(b) + 2);
            sprintf(longer, "%s ", b);
            assert_null(rbac_ssar_fast(&c, longer, strlen(longer), &flen));
            free(longer);
            c.field_manager = "other";
            assert_null(rbac_ssar_fast(&c, b, strlen(b), &flen));
            c.field_manager = "kubectl";
            /* the decision changes: not answered from the memo */
            toggle_allow = !allow;
            f = rbac_ssar_fast(&c, b, strlen(b), &flen);
            bool get = strstr(b, "\"verb\":\"get\"") != NULL || strstr(b, "\"verb\": \"get\"") != NULL;
            if (get)
                assert_null(f);
            else
                assert_non_null(f), free(f);
            toggle_allow = allow;
            /* the same request again, with the decision it was remembered with */
            f = rbac_ssar_fast(&c, b, strlen(b), &flen);
            assert_non_null(f);
            assert_int_equal(strstr(f, "\"allowed\":true") != NULL, allow && get);
            free(f);
            free(g);
            json_decref(obj);
        }
    }
    /* the time is now's, not the remembered answer's */
    const char *b = bodies[0];
    size_t glen, flen;
    json_t *obj = NULL;
    char *g = ssar_general(&c, b, &glen, &obj);
    json_t *mf = json_array_get(json_object_get(json_object_get(obj, "metadata"), "managedFields"), 0);
    json_object_set_new(mf, "time", json_string("2001-02-03T04:05:06Z"));
    free(g);
    g = json_dump_go(obj, false, &glen);
    assert_non_null(strstr(g, "2001-02-03T04:05:06Z"));
    rbac_ssar_remember(&c, b, strlen(b), obj, g, glen);
    char *f = rbac_ssar_fast(&c, b, strlen(b), &flen);
    assert_non_null(f);
    assert_null(strstr(f, "2001-02-03T04:05:06Z"));
    assert_same_but_time(f, flen, g, glen);
    free(f);
    free(g);
    json_decref(obj);
    /* a refused body is never remembered by the server; a non-object body is not kept */
    json_t *o2 = json_pack("{s:{}}", "status");
    rbac_ssar_remember(&c, "[]", 2, o2, "{}", 2);
    assert_null(rbac_ssar_fast(&c, "[]", 2, &flen));
    json_decref(o2);
    user_info_release(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviews_while_policy_changes),
        cmocka_unit_test(test_ssar_fields_remembered),
        cmocka_unit_test(test_ssar_fast_matches_general),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
