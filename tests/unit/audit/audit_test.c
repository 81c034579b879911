/* audit_test.c — audit policy parsing and evaluation as upstream's policy checker (first
 * matching rule, users/groups/verbs/namespaces/resources/nonResourceURLs, omitStages), and the
 * Event built for a request: fields, annotations, and no body for Secrets or tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"

static const char policy_yaml[] =
    "apiVersion: audit.k8s.io/v1\n"
    "kind: Policy\n"
    "omitStages: [RequestReceived]\n"
    "rules:\n"
    "- level: None\n"
    "  users: [system:kube-proxy]\n"
    "  verbs: [watch]\n"
    "- level: None\n"
    "  nonResourceURLs: [/healthz*, /version]\n"
    "- level: RequestResponse\n"
    "  resources:\n"
    "  - group: \"\"\n"
    "    resources: [secrets, pods/log]\n"
    "- level: Request\n"
    "  userGroups: [system:nodes]\n"
    "  namespaces: [kube-system]\n"
    "  omitStages: [ResponseComplete]\n"
    "- level: Metadata\n"
    "  resources:\n"
    "  - group: rbac.authorization.k8s.io\n"
    "    resources: [\"*/status\"]\n"
    "  - group: apps\n"
    "    resources: [deployments]\n"
    "    resourceNames: [web]\n"
    "- level: Request\n"
    "  nonResourceURLs: [\"*\"]\n";

static struct audit_policy *load(void)
{
    char *err = NULL;
    struct audit_policy *p = audit_policy_parse(policy_yaml, strlen(policy_yaml), &err);
    if (p == NULL)
        fail_msg("parse: %s", err);
    return p;
}

static enum audit_level eval(struct audit_policy *p, const struct user_info *u, const char *verb,
                             const char *group, const char *resource, const char *sub,
                             const char *ns, const char *name, unsigned *omit)
{
    struct audit_attrs a = {.user = u, .verb = verb, .is_resource = true, .group = group,
                            .version = "v1", .resource = resource, .subresource = sub,
                            .ns = ns, .name = name, .path = ""};
    return audit_policy_eval(p, &a, omit);
}

static void test_policy_eval(void **state)
{
    (void)state;
    struct audit_policy *p = load();
    char *proxy_groups[] = {"system:authenticated"};
    struct user_info proxy = {.name = "system:kube-proxy", .groups = proxy_groups, .ngroups = 1};
    char *node_groups[] = {"system:nodes", "system:authenticated"};
    struct user_info node = {.name = "system:node:n1", .groups = node_groups, .ngroups = 2};
    struct user_info admin = {.name = "admin"};
    unsigned omit = 0;

    assert_int_equal(eval(p, &proxy, "watch", "", "pods", "", "", "", &omit), AUDIT_NONE);
    assert_int_equal(eval(p, &proxy, "get", "", "secrets", "", "a", "s", &omit), AUDIT_REQUEST_RESPONSE);
    assert_int_equal(omit, AUDIT_STAGE_REQUEST_RECEIVED);
    assert_int_equal(eval(p, &admin, "get", "", "pods", "log", "a", "p", &omit), AUDIT_REQUEST_RESPONSE);
    assert_int_equal(eval(p, &node, "get", "", "configmaps", "", "kube-system", "c", &omit), AUDIT_REQUEST);
    assert_int_equal(omit, AUDIT_STAGE_REQUEST_RECEIVED | AUDIT_STAGE_RESPONSE_COMPLETE);
    assert_int_equal(eval(p, &node, "get", "", "configmaps", "", "default", "c", &omit), AUDIT_NONE);
    assert_int_equal(eval(p, &admin, "update", "rbac.authorization.k8s.io", "clusterroles", "status", "", "x", &omit), AUDIT_METADATA);
    assert_int_equal(eval(p, &admin, "update", "rbac.authorization.k8s.io", "clusterroles", "", "", "x", &omit), AUDIT_NONE);
    assert_int_equal(eval(p, &admin, "get", "apps", "deployments", "", "a", "web", &omit), AUDIT_METADATA);
    assert_int_equal(eval(p, &admin, "get", "apps", "deployments", "", "a", "db", &omit), AUDIT_NONE);
    assert_int_equal(eval(p, NULL, "get", "", "pods", "", "a", "x", &omit), AUDIT_NONE);

    struct audit_attrs a = {.user = &admin, .verb = "get", .is_resource = false, .group = "",
                            .version = "", .resource = "", .subresource = "", .ns = "", .name = "",
                            .path = "/healthz/etcd"};
    assert_int_equal(audit_policy_eval(p, &a, &omit), AUDIT_NONE);
    a.path = "/metrics";
    assert_int_equal(audit_policy_eval(p, &a, &omit), AUDIT_REQUEST);
    audit_policy_free(p);
}

static void test_policy_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]\n",
        "apiVersion: audit.k8s.io/v1\nkind: Pod\nrules: [{level: None}]\n",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Everything}]\n",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, verbs: get}]\n",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, omitStages: [Later]}]\n",
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, nonResourceURLs: [/x], resources: [{group: ''}]}]\n",
        "{[",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *err = NULL;
        struct audit_policy *p = audit_policy_parse(bad[i], strlen(bad[i]), &err);
        if (p != NULL)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(err);
        free(err);
    }
}

static void test_event(void **state)
{
    (void)state;
    char *groups[] = {"system:serviceaccounts", "system:authenticated"};
    struct user_info u = {.name = "system:serviceaccount:lab:default", .uid = "u1", .groups = groups, .ngroups = 2};
    json_t *status = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                               "metadata", "status", "Failure", "message", "forbidden", "reason",
                               "Forbidden", "code", 403);
    static const char body[] = "{\"data\":{\"password\":\"c2VjcmV0\"}}";
    struct audit_request r = {
        .attrs = {.user = &u, .verb = "create", .is_resource = true, .group = "", .version = "v1",
                  .resource = "secrets", .subresource = "", .ns = "default", .name = "", .path = ""},
        .audit_id = "id-1", .request_uri = "/api/v1/namespaces/default/secrets", .source_ip = "127.0.0.1",
        .user_agent = "test", .received_us = 1700000000000000LL, .decision = "forbid", .reason = "",
        .body = body, .body_len = sizeof(body) - 1, .code = 403, .response_status = status,
    };
    json_t *ev = audit_event(&r, AUDIT_REQUEST_RESPONSE, AUDIT_STAGE_RESPONSE_COMPLETE);
    char *s = json_dumps(ev, JSON_COMPACT);
    assert_non_null(strstr(s, "\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"RequestResponse\",\"auditID\":\"id-1\",\"stage\":\"ResponseComplete\""));
    assert_non_null(strstr(s, "\"annotations\":{\"authorization.k8s.io/decision\":\"forbid\",\"authorization.k8s.io/reason\":\"\"}"));
    assert_non_null(strstr(s, "\"responseStatus\":{\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden\",\"reason\":\"Forbidden\",\"code\":403}"));
    assert_non_null(strstr(s, "\"requestReceivedTimestamp\":\"2023-11-14T22:13:20.000000Z\""));
    assert_null(strstr(s, "c2VjcmV0")); /* a Secret's body is never logged */
    assert_null(strstr(s, "requestObject"));
    free(s);
    json_decref(ev);

    r.attrs.resource = "configmaps";
    ev = audit_event(&r, AUDIT_REQUEST, AUDIT_STAGE_REQUEST_RECEIVED);
    s = json_dumps(ev, JSON_COMPACT);
    assert_non_null(strstr(s, "\"requestObject\":{\"data\""));
    assert_null(strstr(s, "responseStatus")); /* not at RequestReceived */
    assert_null(strstr(s, "annotations"));
    free(s);
    json_decref(ev);

    /* the other bodies kept out of the log: TokenReview, serviceaccounts/token (rows' flags) */
    static const struct {
        const char *group, *resource, *subresource;
        bool hidden;
    } cases[] = {
        {"authentication.k8s.io", "tokenreviews", "", true},
        {"", "serviceaccounts", "token", true},
        {"", "serviceaccounts", "", false},
        {"authentication.k8s.io", "selfsubjectreviews", "", false},
        {"", "secrets", "", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.attrs.group = cases[i].group;
        r.attrs.resource = cases[i].resource;
        r.attrs.subresource = cases[i].subresource;
        ev = audit_event(&r, AUDIT_REQUEST, AUDIT_STAGE_REQUEST_RECEIVED);
        s = json_dumps(ev, JSON_COMPACT);
        if (cases[i].hidden)
            assert_null(strstr(s, "requestObject"));
        else
            assert_non_null(strstr(s, "\"requestObject\":{\"data\""));
        free(s);
        json_decref(ev);
    }
    json_decref(status);
}

/* A failed authentication: upstream's WithFailedAuthenticationAudit event (no user, only the
 * attempted methods in responseStatus, code 401), whatever Status was sent. */
static void test_authn_failed_event(void **state)
{
    (void)state;
    char msg[96];
    static const char bearer[] = "Bearer not-a-token";
    audit_authn_failure_message(msg, sizeof(msg), bearer, sizeof(bearer) - 1, false, false);
    assert_string_equal(msg, "Authentication failed, attempted: bearer");
    static const char basic[] = "Basic dXNlcjpwYXNz"; /* user:pass */
    audit_authn_failure_message(msg, sizeof(msg), basic, sizeof(basic) - 1, true, true);
    assert_string_equal(msg, "Authentication failed, attempted: basic, access_token, x509");
    static const char nocolon[] = "basic dXNlcg=="; /* "user": not basic auth to Go */
    audit_authn_failure_message(msg, sizeof(msg), nocolon, sizeof(nocolon) - 1, false, false);
    assert_string_equal(msg, "Authentication failed, no credentials provided");
    static const char lone[] = "  bearer  "; /* trimmed: one part only */
    audit_authn_failure_message(msg, sizeof(msg), lone, sizeof(lone) - 1, false, false);
    assert_string_equal(msg, "Authentication failed, no credentials provided");
    audit_authn_failure_message(msg, sizeof(msg), NULL, 0, false, false);
    assert_string_equal(msg, "Authentication failed, no credentials provided");

    struct user_info u = {.name = "system:anonymous"};
    json_t *status = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                               "metadata", "status", "Failure", "message", "Unauthorized", "reason",
                               "Unauthorized", "code", 401);
    struct audit_request r = {
        .attrs = {.user = &u, .verb = "create", .is_resource = true, .group = "", .version = "v1",
                  .resource = "configmaps", .subresource = "", .ns = "default", .name = "", .path = ""},
        .audit_id = "id-2", .request_uri = "/api/v1/namespaces/default/configmaps", .code = 401,
        .response_status = status, .authn_failed = true,
        .authn_message = "Authentication failed, attempted: bearer",
    };
    json_t *ev = audit_event(&r, AUDIT_REQUEST, AUDIT_STAGE_RESPONSE_STARTED);
    char *s = json_dumps(ev, JSON_COMPACT);
    assert_non_null(strstr(s, "\"level\":\"Request\",\"auditID\":\"id-2\",\"stage\":\"ResponseStarted\""));
    assert_non_null(strstr(s, "\"user\":{}"));
    assert_non_null(strstr(s, "\"responseStatus\":{\"metadata\":{},\"message\":\"Authentication failed, attempted: bearer\",\"code\":401}"));
    assert_non_null(strstr(s, "\"objectRef\":{\"resource\":\"configmaps\",\"namespace\":\"default\",\"apiVersion\":\"v1\"}"));
    free(s);
    json_decref(ev);
    json_decref(status);
}

/* ---- several request threads logging at once -------------------------------------------
 * Four threads log requests while the log rotates (1 MB): every line is whole JSON, and each
 * request's two stages are in the files (log + backups) exactly once. */

#define LOG_THREADS 4
#define LOG_PER_THREAD 700

static void *log_requests(void *arg)
{
    int t = (int)(intptr_t)arg;
    char *groups[] = {"system:authenticated"};
    struct user_info u = {.name = "alice", .uid = "u1", .groups = groups, .ngroups = 1};
    for (int i = 0; i < LOG_PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof(id), "t%d-%d", t, i);
        struct audit_request r = {
            .attrs = {.user = &u, .verb = "get", .is_resource = true, .group = "", .version = "v1",
                      .resource = "configmaps", .subresource = "", .ns = "default", .name = "cm",
                      .path = ""},
            .audit_id = id, .request_uri = "/api/v1/namespaces/default/configmaps/cm",
            .source_ip = "127.0.0.1", .user_agent = "audit-test-with-a-longer-user-agent-string/1.0",
            .received_us = 1700000000000000LL, .decision = "allow", .reason = "", .code = 200,
        };
        audit_log_request(&r);
    }
    return NULL;
}

static void test_concurrent_log_and_rotation(void **state)
{
    (void)state;
    char dir[] = "/tmp/anzen-audit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char policy[128], logp[128];
    snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
    snprintf(logp, sizeof(logp), "%s/audit.log", dir);
    FILE *f = fopen(policy, "w");
    assert_non_null(f);
    fputs("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n", f);
    fclose(f);
    struct audit_config cfg = {.log_path = logp, .policy_file = policy, .max_size_mb = 1};
    char *err = NULL;
    assert_int_equal(audit_init(&cfg, &err), 0);
    assert_true(audit_enabled());
    pthread_t th[LOG_THREADS];
    for (int t = 0; t < LOG_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, log_requests, (void *)(intptr_t)t), 0);
    for (int t = 0; t < LOG_THREADS; t++)
        pthread_join(th[t], NULL);
    /* stage bit per request: 1 RequestReceived, 2 ResponseComplete */
    static unsigned char seen[LOG_THREADS][LOG_PER_THREAD];
    memset(seen, 0, sizeof(seen));
    size_t lines = 0, files = 0, dup = 0, bad = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "audit", 5) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *lf = fopen(path, "r");
        assert_non_null(lf);
        files++;
        char line[8192];
        while (fgets(line, sizeof(line), lf) != NULL) {
            lines++;
            json_t *ev = json_loads(line, 0, NULL);
            const char *id = json_string_value(json_object_get(ev, "auditID"));
            const char *stage = json_string_value(json_object_get(ev, "stage"));
            int t = -1, i = -1;
            if (id == NULL || stage == NULL || sscanf(id, "t%d-%d", &t, &i) != 2 || t < 0 ||
                t >= LOG_THREADS || i < 0 || i >= LOG_PER_THREAD) {
                bad++;
            } else {
                unsigned bit = strcmp(stage, "RequestReceived") == 0 ? 1 : 2;
                if (seen[t][i] & bit)
                    dup++;
                seen[t][i] |= (unsigned char)bit;
            }
            json_decref(ev);
        }
        fclose(lf);
        unlink(path);
    }
    closedir(d);
    unlink(policy);
    rmdir(dir);
    assert_int_equal(bad, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(lines, 2 * LOG_THREADS * LOG_PER_THREAD);
    for (int t = 0; t < LOG_THREADS; t++)
        for (int i = 0; i < LOG_PER_THREAD; i++)
            assert_int_equal(seen[t][i], 3);
    assert_true(files >= 2); /* it rotated meanwhile */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_eval),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_authn_failed_event),
        cmocka_unit_test(test_concurrent_log_and_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
