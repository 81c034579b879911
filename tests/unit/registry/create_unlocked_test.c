/* create_unlocked_test.c — which creates run without the biglock (and, over SQLite, complete
 * on the request's loop) is said by the admission chain: admission_create_unlocked(row) with
 * the server's chain (cmd/serve.c's order) holds exactly for the stored rows no plugin acts
 * on, and every plugin's acts_on is honest: where it says false, its mutate and validate
 * return 0 for a create of that row and leave the object as it was, for a node's user (whom
 * NodeRestriction checks) and for an ordinary one (whom RBAC escalation checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "admission/noderestriction.h"
#include "admission/podsecurity.h"
#include "admission/serviceaccount.h"
#include "authz/rbac.h"
#include "registry/admission.h"
#include "registry/resource.h"

static const struct admission_plugin *chain[4];

static void chain_init(struct apiserver *srv)
{
    memset(srv, 0, sizeof(*srv));
    chain[0] = serviceaccount_admission();
    chain[1] = noderestriction_admission();
    chain[2] = podsecurity_admission();
    chain[3] = rbac_escalation_admission();
    srv->admission = chain;
    srv->nadmission = 4;
}

static void test_unlocked_rows(void **state)
{
    (void)state;
    struct apiserver srv;
    chain_init(&srv);
    size_t n;
    const struct resource_def *rows = resource_table(&n);
    char got[1024] = "";
    for (size_t i = 0; i < n; i++)
        if (admission_create_unlocked(&srv, &rows[i])) {
            strncat(got, rows[i].group, sizeof(got) - strlen(got) - 1);
            strncat(got, "/", sizeof(got) - strlen(got) - 1);
            strncat(got, rows[i].kind, sizeof(got) - strlen(got) - 1);
            strncat(got, " ", sizeof(got) - strlen(got) - 1);
        }
    /* Pods (ServiceAccount, NodeRestriction, PodSecurity), Nodes (NodeRestriction),
     * Namespaces and Jobs (PodSecurity), RBAC roles and bindings (escalation), the reviews
     * (virtual) and the events.k8s.io view (converted by the front end) keep the lock */
    assert_string_equal(got, "/ServiceAccount /Secret /ConfigMap /Event coordination.k8s.io/Lease ");
    assert_false(admission_create_unlocked(&srv, NULL));
    /* a plugin that does not say where it acts is taken to act everywhere */
    static const struct admission_plugin silent = {.name = "Silent"};
    static const struct admission_plugin *one[1] = {&silent};
    srv.admission = one;
    srv.nadmission = 1;
    assert_false(admission_create_unlocked(&srv, resource_by_kind("", "ConfigMap")));
    srv.nadmission = 0;
    assert_true(admission_create_unlocked(&srv, resource_by_kind("", "ConfigMap")));
    assert_true(admission_create_unlocked(&srv, resource_by_kind("", "Pod"))); /* no plugin */
}

static void test_acts_on_is_honest(void **state)
{
    (void)state;
    struct apiserver srv;
    chain_init(&srv);
    char *node_groups[] = {"system:nodes", "system:authenticated"};
    char *plain_groups[] = {"system:authenticated"};
    struct user_info users[2] = {
        {.name = "system:node:n1", .groups = node_groups, .ngroups = 2},
        {.name = "alice", .groups = plain_groups, .ngroups = 1},
    };
    size_t n, checked = 0;
    const struct resource_def *rows = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &rows[i];
        if (r->flags & RES_VIRTUAL)
            continue;
        for (size_t p = 0; p < 4; p++) {
            if (chain[p]->acts_on(r, ADMIT_CREATE))
                continue;
            for (size_t u = 0; u < 2; u++) {
                /* an object with what the plugins look at: a pod spec, a template, labels */
                json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s}], s:{s:{s:[{s:s, s:s}]}}}}",
                                        "apiVersion", resource_api_version(r), "kind", r->kind,
                                        "metadata", "name", "n1", "namespace", "ns",
                                        "labels", "pod-security.kubernetes.io/enforce", "restricted",
                                        "spec", "nodeName", "n2", "containers", "name", "c", "image", "i",
                                        "template", "spec", "containers", "name", "c", "image", "i");
                json_t *before = json_deep_copy(obj);
                struct api_call c = {.srv = &srv, .res = r, .ns = r->namespaced ? "ns" : NULL,
                                     .user = &users[u], .field_manager = "t"};
                json_t *st = NULL;
                if (chain[p]->mutate != NULL)
                    assert_int_equal(chain[p]->mutate(&c, ADMIT_CREATE, obj, NULL, &st), 0);
                if (chain[p]->validate != NULL)
                    assert_int_equal(chain[p]->validate(&c, ADMIT_CREATE, obj, NULL, &st), 0);
                if (st != NULL || !json_equal(obj, before))
                    fail_msg("%s acts on a create of %s/%s though acts_on says not", chain[p]->name, r->group, r->kind);
                json_decref(obj);
                json_decref(before);
                checked++;
            }
        }
    }
    assert_true(checked > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlocked_rows),
        cmocka_unit_test(test_acts_on_is_honest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
