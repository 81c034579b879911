/* client_test.c — the internal call (src/client/client.c) on a real SQLite store with the
 * authorizer chain cmd/serve.c wires (Node, then the bootstrap RBAC policy; test_policy.h):
 * in-process callers are authorized as their own identities and refused what their policy
 * does not grant, with the 403 Status a client would get —
 *   - the Job controller (system:serviceaccount:kube-system:job-controller) may create a Pod
 *     but not a Secret;
 *   - the node (system:node:n1 in system:nodes) may read the Secret and ConfigMap of a pod
 *     bound to it and create a token for its service account, but not a Secret of a pod
 *     bound to another node, nor a token for another service account, nor another node's
 *     Lease; it may update its own Node's status;
 *   - NodeRestriction admission (after authorization) keeps the node to its own pods' status
 *     and its own Node, and to mirror pods;
 *   - the scheduler binds through pods/binding (a second binding is a 409 Conflict) and may
 *     not update a pod;
 *   - an identity-less call is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admission/noderestriction.h"
#include "client/client.h"
#include "machinery/status.h"
#include "registry/admission.h"
#include "registry/binding.h"
#include "registry/loopback.h"
#include "test_policy.h"
#include "test_store.h"
#include "util/json.h"

struct fixture {
    struct test_store ts;
    struct apiserver srv;
    struct user_info node; /* system:node:n1 */
};

static void run_now(struct apiserver *srv, void (*fn)(void *), void *arg)
{
    fn(arg);
}

/* Creates an object as the API server itself (the test's setup, not under test). */
static void seed(struct fixture *f, const char *kind, const char *ns, const char *body)
{
    json_error_t jerr;
    json_t *obj = json_loads(body, 0, &jerr);
    assert_non_null(obj);
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", kind), .ns = ns,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_STRICT};
    json_t *res = NULL, *st = NULL;
    if (client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = obj}, &res, &st) != 0)
        fail_msg("seeding %s: %s", kind, json_str(st, "message"));
    json_decref(obj);
    json_decref(res);
    json_decref(st);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (test_store_open(&f->ts, &f->srv, "client") != 0)
        return -1;
    f->srv.defer = run_now;
    test_policy_install(&f->srv);
    static const struct admission_plugin *chain[1];
    chain[0] = noderestriction_admission();
    f->srv.admission = chain;
    f->srv.nadmission = 1;
    f->node.name = "system:node:n1";
    user_info_add_group(&f->node, "system:nodes");
    user_info_add_group(&f->node, "system:authenticated");
    seed(f, "Namespace", NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"lab\"}}");
    seed(f, "Namespace", NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"kube-node-lease\"}}");
    seed(f, "Secret", "lab", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"mine\",\"namespace\":\"lab\"}}");
    seed(f, "Secret", "lab", "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"theirs\",\"namespace\":\"lab\"}}");
    seed(f, "ConfigMap", "lab", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"env\",\"namespace\":\"lab\"}}");
    seed(f, "Pod", "lab",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\",\"namespace\":\"lab\"},"
         "\"spec\":{\"nodeName\":\"n1\",\"serviceAccountName\":\"builder\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\","
         "\"envFrom\":[{\"configMapRef\":{\"name\":\"env\"}}]}],"
         "\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"mine\"}}]}}");
    seed(f, "Pod", "lab",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p2\",\"namespace\":\"lab\"},"
         "\"spec\":{\"nodeName\":\"n2\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}],"
         "\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"theirs\"}}]}}");
    seed(f, "Pod", "lab",
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"unbound\",\"namespace\":\"lab\"},"
         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    f->node.name = NULL; /* a literal */
    user_info_release(&f->node);
    test_store_close(&f->ts, &f->srv);
    free(f);
    return 0;
}

/* Runs verb as user on kind[/sub] ns/name; returns the code and the Status message (or ""). */
static int call_as(struct fixture *f, const struct user_info *user, enum client_verb verb, const char *kind,
                   const char *group, const char *sub, const char *ns, const char *name, const char *body,
                   char *msg, size_t msglen)
{
    json_t *obj = NULL;
    if (body != NULL) {
        json_error_t jerr;
        obj = json_loads(body, 0, &jerr);
        assert_non_null(obj);
    }
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind(group, kind), .subresource = sub,
                         .ns = ns, .name = name, .user = user, .field_manager = "test",
                         .validation = FIELD_VALIDATION_IGNORE};
    json_t *res = NULL, *st = NULL;
    int rc = client_call(&c, verb, &(struct client_args){.obj = obj}, &res, &st);
    snprintf(msg, msglen, "%s", rc == 0 ? "" : json_str(st, "message") ? json_str(st, "message") : "?");
    if (rc != 0)
        assert_int_equal(status_code(st), rc == AZ_EFORBIDDEN ? 403 : status_code(st));
    json_decref(obj);
    json_decref(res);
    json_decref(st);
    return rc;
}

static void test_controller_refused_secret(void **state)
{
    struct fixture *f = *state;
    const struct user_info *job = client_controller_user(CONTROLLER_JOB);
    assert_string_equal(job->name, "system:serviceaccount:kube-system:job-controller");
    char msg[512];
    assert_int_equal(call_as(f, job, CLIENT_CREATE, "Secret", "", NULL, "lab", NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\",\"namespace\":\"lab\"}}",
                             msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "secrets is forbidden: User \"system:serviceaccount:kube-system:job-controller\" "
                             "cannot create resource \"secrets\" in API group \"\" in the namespace \"lab\"");
    /* what its role grants goes through */
    assert_int_equal(call_as(f, job, CLIENT_CREATE, "Pod", "", NULL, "lab", NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j-1\",\"namespace\":\"lab\"},"
                             "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
                             msg, sizeof(msg)),
                     0);
    /* the same identity object every time */
    assert_ptr_equal(job, client_controller_user(CONTROLLER_JOB));
}

static void test_node_reads_only_its_pods_objects(void **state)
{
    struct fixture *f = *state;
    char msg[512];
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "Secret", "", NULL, "lab", "mine", NULL, msg, sizeof(msg)), 0);
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "ConfigMap", "", NULL, "lab", "env", NULL, msg, sizeof(msg)), 0);
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "Secret", "", NULL, "lab", "theirs", NULL, msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "secrets \"theirs\" is forbidden: User \"system:node:n1\" cannot get resource \"secrets\" "
                             "in API group \"\" in the namespace \"lab\": no relationship found between node 'n1' "
                             "and this object");
    assert_int_equal(call_as(f, &f->node, CLIENT_LIST, "Secret", "", NULL, "lab", NULL, NULL, msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_non_null(strstr(msg, ": No Object name found"));
    assert_int_equal(call_as(f, &f->node, CLIENT_UPDATE, "Secret", "", NULL, "lab", "mine",
                             "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"mine\",\"namespace\":\"lab\"}}",
                             msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_non_null(strstr(msg, ": can only read resources of this type"));
}

static void test_node_tokens_and_lease(void **state)
{
    struct fixture *f = *state;
    char msg[512];
    /* no token handler in this test: authorized, then the registry answers (not a 403) */
    int rc = call_as(f, &f->node, CLIENT_CREATE, "ServiceAccount", "", "token", "lab", "builder",
                     "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{}}", msg,
                     sizeof(msg));
    assert_int_not_equal(rc, AZ_EFORBIDDEN);
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "ServiceAccount", "", "token", "lab", "default",
                             "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{}}",
                             msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "serviceaccounts \"default\" is forbidden: User \"system:node:n1\" cannot create resource "
                             "\"serviceaccounts/token\" in API group \"\" in the namespace \"lab\": no relationship "
                             "found between node 'n1' and this object");
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "ServiceAccount", "", NULL, "lab", "builder", NULL, msg,
                             sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_non_null(strstr(msg, ": can only create tokens for individual service accounts"));
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "Lease", "coordination.k8s.io", NULL, "kube-node-lease", "n2",
                             NULL, msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_non_null(strstr(msg, ": can only access node lease with the same name as the requesting node"));
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "Lease", "coordination.k8s.io", NULL, "kube-node-lease",
                             NULL,
                             "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"n1\","
                             "\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":\"n1\"}}",
                             msg, sizeof(msg)),
                     0);
    assert_int_equal(call_as(f, &f->node, CLIENT_GET, "Lease", "coordination.k8s.io", NULL, "kube-node-lease", "n1",
                             NULL, msg, sizeof(msg)),
                     0);
    /* its own Node: the static node rules */
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "Node", "", NULL, NULL, NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}", msg, sizeof(msg)),
                     0);
    /* not a namespace */
    assert_int_equal(call_as(f, &f->node, CLIENT_DELETE, "Namespace", "", NULL, NULL, "lab", NULL, msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
}

static void test_node_restriction(void **state)
{
    struct fixture *f = *state;
    char msg[512];
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Pod"), .ns = "lab",
                         .user = apiserver_loopback_user()};
    json_t *p1 = NULL, *p2 = NULL, *st = NULL;
    c.name = "p1";
    assert_int_equal(rest_get(&c, &p1, &st), 0);
    c.name = "p2";
    assert_int_equal(rest_get(&c, &p2, &st), 0);
    json_object_set_new(p1, "status", json_pack("{s:s}", "phase", "Running"));
    json_object_set_new(p2, "status", json_pack("{s:s}", "phase", "Running"));
    char *b1 = json_dumps(p1, JSON_COMPACT), *b2 = json_dumps(p2, JSON_COMPACT);
    assert_int_equal(call_as(f, &f->node, CLIENT_UPDATE, "Pod", "", "status", "lab", "p1", b1, msg, sizeof(msg)), 0);
    /* authorized (the node rules allow pods/status), refused by NodeRestriction */
    assert_int_equal(call_as(f, &f->node, CLIENT_UPDATE, "Pod", "", "status", "lab", "p2", b2, msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "pods \"p2\" is forbidden: node \"n1\" can only update pod status for pods with "
                             "spec.nodeName set to itself");
    free(b1);
    free(b2);
    json_decref(p1);
    json_decref(p2);
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "Pod", "", NULL, "lab", NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"own\",\"namespace\":\"lab\"},"
                             "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
                             msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "pods \"own\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, "
                             "node \"n1\" can only create mirror pods");
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "Pod", "", NULL, "lab", NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"mirror\",\"namespace\":\"lab\","
                             "\"annotations\":{\"kubernetes.io/config.mirror\":\"x\"}},"
                             "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
                             msg, sizeof(msg)),
                     0);
    assert_int_equal(call_as(f, &f->node, CLIENT_CREATE, "Node", "", NULL, NULL, NULL,
                             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\"}}", msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "nodes \"n2\" is forbidden: node \"n1\" is not allowed to modify node \"n2\"");
}

static void test_scheduler_binds(void **state)
{
    struct fixture *f = *state;
    static const struct virtual_handler handlers[] = {{"", "pods", "binding", binding_create}};
    f->srv.virtual_handlers = handlers;
    f->srv.nvirtual_handlers = 1;
    const struct user_info *sched = client_scheduler_user();
    char msg[512];
    const char *binding = "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"unbound\","
                          "\"namespace\":\"lab\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"n1\"}}";
    assert_int_equal(call_as(f, sched, CLIENT_CREATE, "Pod", "", "binding", "lab", "unbound", binding, msg, sizeof(msg)),
                     0);
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Pod"), .ns = "lab", .name = "unbound",
                         .user = apiserver_loopback_user()};
    json_t *pod = NULL, *st = NULL;
    assert_int_equal(rest_get(&c, &pod, &st), 0);
    assert_string_equal(json_path_str(pod, "spec.nodeName"), "n1");
    json_t *cond = json_array_get(json_path(pod, "status.conditions"), 0);
    assert_string_equal(json_str(cond, "type"), "PodScheduled");
    assert_string_equal(json_str(cond, "status"), "True");
    json_decref(pod);
    assert_int_equal(call_as(f, sched, CLIENT_CREATE, "Pod", "", "binding", "lab", "unbound", binding, msg, sizeof(msg)),
                     AZ_ECONFLICT);
    assert_string_equal(msg, "Operation cannot be fulfilled on pods/binding \"unbound\": pod unbound is already "
                             "assigned to node \"n1\"");
    assert_int_equal(call_as(f, sched, CLIENT_UPDATE, "Pod", "", NULL, "lab", "p1",
                             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\",\"namespace\":\"lab\"}}",
                             msg, sizeof(msg)),
                     AZ_EFORBIDDEN);
    assert_string_equal(msg, "pods \"p1\" is forbidden: User \"system:kube-scheduler\" cannot update resource \"pods\" "
                             "in API group \"\" in the namespace \"lab\"");
}

static void test_no_identity_refused(void **state)
{
    struct fixture *f = *state;
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Secret"), .ns = "lab", .name = "mine"};
    json_t *obj = NULL, *st = NULL;
    assert_int_equal(client_call(&c, CLIENT_GET, NULL, &obj, &st), AZ_EINTERNAL);
    assert_null(obj);
    assert_int_equal(status_code(st), 500);
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_controller_refused_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_reads_only_its_pods_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_tokens_and_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_restriction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheduler_binds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_identity_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
