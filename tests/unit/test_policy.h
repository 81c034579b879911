/* test_policy.h — an authorizer for unit tests that drive in-process callers (controllers,
 * the node agent) through client_call(): the Node authorizer, then the bootstrap policy's
 * ClusterRoleBindings evaluated with the RBAC rule matcher (cluster-wide bindings only; no
 * store, no watch). srv->authorizers as cmd/serve.c wires them, with RBAC reduced to the
 * defaults. Header-only: include it from one test program. */
#ifndef ANZEN_TEST_POLICY_H
#define ANZEN_TEST_POLICY_H

#include <string.h>
#include "authz/authz.h"
#include "authz/bootstrap_policy.h"
#include "authz/node.h"
#include "authz/rbac_rules.h"
#include "util/json.h"

static bool test_policy_subject_matches(json_t *subj, const struct user_info *u)
{
    const char *kind = json_str(subj, "kind"), *name = json_str(subj, "name");
    if (kind == NULL || name == NULL)
        return false;
    if (strcmp(kind, "User") == 0)
        return strcmp(name, u->name) == 0;
    if (strcmp(kind, "Group") == 0)
        return user_info_in_group(u, name);
    if (strcmp(kind, "ServiceAccount") == 0) {
        char full[512];
        snprintf(full, sizeof(full), "system:serviceaccount:%s:%s", json_str(subj, "namespace"), name);
        return strcmp(full, u->name) == 0;
    }
    return false;
}

static enum authz_decision test_policy_authorize(void *state, struct apiserver *srv,
                                                 const struct authz_attrs *a, char **ret_reason)
{
    json_t *policy = state;
    enum authz_decision d = AUTHZ_NO_OPINION;
    size_t i, j, k;
    json_t *b, *subj, *role;
    json_array_foreach(json_object_get(policy, "clusterRoleBindings"), i, b) {
        bool bound = false;
        json_array_foreach(json_object_get(b, "subjects"), j, subj)
            bound = bound || test_policy_subject_matches(subj, a->user);
        if (!bound)
            continue;
        const char *rn = json_path_str(b, "roleRef.name");
        json_array_foreach(json_object_get(policy, "clusterRoles"), k, role) {
            if (rn == NULL || strcmp(json_path_str(role, "metadata.name"), rn) != 0)
                continue;
            struct rbac_rules rs;
            rbac_rules_init(&rs);
            rbac_rules_add_json(&rs, json_object_get(role, "rules"));
            for (size_t r = 0; r < rs.n && d == AUTHZ_NO_OPINION; r++)
                if (rbac_rule_allows(&rs.items[r], a))
                    d = AUTHZ_ALLOW;
            rbac_rules_release(&rs);
        }
    }
    return d;
}

/* Sets srv->authorizers to Node, then the bootstrap policy (the policy object lives for the
 * process: tests never free it). */
static void test_policy_install(struct apiserver *srv)
{
    static struct authorizer rbac = {.name = "RBAC", .authorize = test_policy_authorize};
    static const struct authorizer *chain[2];
    if (rbac.state == NULL)
        rbac.state = bootstrap_policy();
    chain[0] = node_authorizer();
    chain[1] = &rbac;
    srv->authorizers = chain;
    srv->nauthorizers = 2;
}

#endif
