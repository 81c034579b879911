/* managedfields_test.c — field ownership as kube-apiserver 1.32 computes it, table-driven:
 * each case is a sequence of writes (create, update, merge / strategic / JSON patch, apply)
 * by named managers through the real REST layer on a SQLite store, then the exact
 * metadata.managedFields (times left out) and, where it matters, the object. The expected
 * values are written down from upstream's rules; each case names the upstream source.
 *
 * Upstream sources (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/
 * managedfields/internal unless noted):
 *   [UPD]  managedfieldsupdater.go + sigs.k8s.io/structured-merge-diff merge/update.go
 *          (Updater.update/Update: changed fields move to the updater, removed ones leave all)
 *   [APPLY] structuredmerge.go + merge/update.go Apply/prune (applied set = ToFieldSet of the
 *          configuration; fields no longer applied are removed unless owned elsewhere)
 *   [CONF] conflict.go NewConflictError / getConflictMessage / printManager
 *   [STRIP] stripmeta.go; [SORT] encoding.go sortEncodedManagedFields
 *   [RESET] fieldmanager.go decodeLiveOrNew / isResetManagedFields
 *   [CSA]  lastappliedmanager.go, lastappliedupdater.go
 *   [SER]  structured-merge-diff fieldpath/serialize.go ("." for members with children),
 *          typed/tofieldset.go, typed/compare.go (Added paths of new maps and list items)
 *   [ZERO] the create compares against the kind's zero Go value (create.go: Creater.New) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/apply.h"
#include "machinery/managedfields.h"
#include "machinery/patch.h"
#include "registry/rest.h"
#include "machinery/schema.h"
#include "controllers/controllers.h"
#include "registry/loopback.h"
#include "store/store.h"
#include "store/watchcache.h"
#include "util/json.h"
#include "test_store.h"
#include "util/err.h"

enum op { CREATE, UPDATE, MERGE, STRATEGIC, JSONPATCH, APPLY, APPLY_FORCE };

struct step {
    enum op op;
    const char *manager;
    const char *body;        /* object, patch or applied configuration (JSON or YAML) */
    const char *subresource; /* or NULL */
    const char *want_error;  /* expected Status message, or NULL for success */
};

struct tcase {
    const char *name;
    const char *source; /* upstream rule, see the header */
    const char *kind;   /* "ConfigMap" or "Pod" */
    struct step steps[6];
    const char *want_mf;     /* managedFields without "time", as JSON */
    const char *want_object; /* optional: {"path": value} checks, JSON */
};

#define CM(data) "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\"data\":" data "}"

static const struct tcase cases[] = {
    {"issue 14: create, label by m1, data.a by m2", "[UPD] [ZERO] [SER]", "ConfigMap",
     {{CREATE, "kubectl-create", CM("{\"a\":\"1\",\"b\":\"2\"}"), NULL, NULL},
      {MERGE, "m1", "{\"metadata\":{\"labels\":{\"app\":\"x\"}}}", NULL, NULL},
      {MERGE, "m2", "{\"data\":{\"a\":\"3\"}}", NULL, NULL}},
     "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:b\":{}}}},"
     "{\"manager\":\"m1\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}},"
     "{\"manager\":\"m2\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"3\",\"b\":\"2\"}}"},
    {"apply creates; the same apply again changes nothing", "[APPLY] [SER] [STRIP]", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL}, {APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     NULL},
    {"apply in YAML", "[APPLY]", "ConfigMap",
     {{APPLY, "m1", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {k: v}\ndata:\n  a: \"1\"\n", NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}},\"f:metadata\":{\"f:labels\":{\"f:k\":{}}}}}]",
     "{\"data\":{\"a\":\"1\"}}"},
    {"conflicting apply without force is refused", "[CONF]", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL},
      {APPLY, "m2", CM("{\"a\":\"2\"}"), NULL, "Apply failed with 1 conflict: conflict with \"m1\": .data.a"}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"1\"}}"},
    {"two conflicts are listed per manager", "[CONF]", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\",\"b\":\"1\"}"), NULL, NULL},
      {APPLY, "m2", CM("{\"a\":\"2\",\"b\":\"2\"}"), NULL,
       "Apply failed with 2 conflicts: conflicts with \"m1\":\n- .data.a\n- .data.b"}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{}}}}]",
     NULL},
    {"force moves ownership", "[APPLY] update.go force", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\",\"b\":\"1\"}"), NULL, NULL},
      {APPLY_FORCE, "m2", CM("{\"a\":\"2\"}"), NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:b\":{}}}},"
     "{\"manager\":\"m2\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"2\",\"b\":\"1\"}}"},
    {"a conflict with an Update manager names its apiVersion", "[CONF] printManager", "ConfigMap",
     {{CREATE, "kubectl-create", CM("{\"a\":\"1\"}"), NULL, NULL},
      {APPLY, "m1", CM("{\"a\":\"2\"}"), NULL,
       "Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1: .data.a"}},
     "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}}]",
     NULL},
    {"applying the same value co-owns without conflict", "[APPLY] update.go (Modified only)", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\",\"b\":\"1\"}"), NULL, NULL},
      {APPLY, "m2", CM("{\"b\":\"1\"}"), NULL, NULL},
      {APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}},"
     "{\"manager\":\"m2\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:b\":{}}}}]",
     "{\"data\":{\"a\":\"1\",\"b\":\"1\"}}"},
    {"a field no longer applied and owned by nobody else is removed", "[APPLY] prune", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\",\"b\":\"1\"}"), NULL, NULL},
      {APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"1\"}}"},
    {"apply after an update takes the field over only with force", "[UPD] [APPLY]", "ConfigMap",
     {{APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, NULL},
      {MERGE, "m2", "{\"data\":{\"a\":\"5\"}}", NULL, NULL},
      {APPLY, "m1", CM("{\"a\":\"1\"}"), NULL, "Apply failed with 1 conflict: conflict with \"m2\" using v1: .data.a"},
      {APPLY_FORCE, "m1", CM("{\"a\":\"1\"}"), NULL, NULL}},
     "[{\"manager\":\"m1\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"1\"}}"},
    {"JSON patch removing a field drops it from every manager", "[UPD] Removed", "ConfigMap",
     {{CREATE, "kubectl-create", CM("{\"a\":\"1\",\"b\":\"2\"}"), NULL, NULL},
      {JSONPATCH, "m3", "[{\"op\":\"remove\",\"path\":\"/data/b\"}]", NULL, NULL}},
     "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}}]",
     "{\"data\":{\"a\":\"1\"}}"},
    {"an update that changes nothing keeps the entries", "[UPD] IsSame", "ConfigMap",
     {{CREATE, "c", CM("{\"a\":\"1\"}"), NULL, NULL}, {UPDATE, "u", CM("{\"a\":\"1\"}"), NULL, NULL}},
     "[{\"manager\":\"c\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}}]",
     NULL},
    {"managedFields [{}] in an update resets them", "[RESET]", "ConfigMap",
     {{CREATE, "c", CM("{\"a\":\"1\"}"), NULL, NULL},
      {MERGE, "u", "{\"metadata\":{\"managedFields\":[{}]}}", NULL, NULL}},
     "null", NULL},
    {"invalid managedFields in an update are ignored", "[RESET] decode error → live", "ConfigMap",
     {{CREATE, "c", CM("{\"a\":\"1\"}"), NULL, NULL},
      {MERGE, "u", "{\"metadata\":{\"managedFields\":[{\"manager\":\"z\",\"operation\":\"Update\",\"fieldsType\":\"Bogus\"}]},\"data\":{\"b\":\"2\"}}",
       NULL, NULL}},
     "[{\"manager\":\"c\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}},"
     "{\"manager\":\"u\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:b\":{}}}}]",
     NULL},
    {"finalizers are a set: v: entries", "[SER] listType=set", "ConfigMap",
     {{CREATE, "c", CM("{\"a\":\"1\"}"), NULL, NULL},
      {MERGE, "m1", "{\"metadata\":{\"finalizers\":[\"example.com/f\"]}}", NULL, NULL}},
     "[{\"manager\":\"c\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}},"
     "{\"manager\":\"m1\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:metadata\":{\"f:finalizers\":{\".\":{},\"v:\\\"example.com/f\\\"\":{}}}}}]",
     NULL},
    {"strategic patch of one container: k: entries; status by the kubelet", "[UPD] [SER] subresource",
     "Pod",
     {{CREATE, "c", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":"
                    "[{\"name\":\"app\",\"image\":\"a:1\",\"imagePullPolicy\":\"IfNotPresent\"}]}}", NULL, NULL},
      {STRATEGIC, "a-patcher", "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a:2\"}]}}", NULL, NULL},
      {MERGE, "kubelet", "{\"status\":{\"phase\":\"Running\"}}", "status", NULL}},
     NULL /* checked below: only m1 and kubelet */, NULL},
    {"kubectl upgrades a client-side applied object without conflicts", "[CSA]", "ConfigMap",
     {{CREATE, "kubectl-client-side-apply",
       "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"annotations\":{"
       "\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"data\\\":{\\\"a\\\":\\\"1\\\"},"
       "\\\"kind\\\":\\\"ConfigMap\\\",\\\"metadata\\\":{\\\"name\\\":\\\"x\\\"}}\\n\"}},\"data\":{\"a\":\"1\"}}", NULL, NULL},
      {APPLY, "kubectl", CM("{\"a\":\"2\"}"), NULL, NULL}},
     "[{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}},"
     "{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:data\":{},\"f:metadata\":{\"f:annotations\":{\".\":{},"
     "\"f:kubectl.kubernetes.io/last-applied-configuration\":{}}}}}]",
     "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
     "\"{\\\"apiVersion\\\":\\\"v1\\\",\\\"data\\\":{\\\"a\\\":\\\"2\\\"},\\\"kind\\\":\\\"ConfigMap\\\",\\\"metadata\\\":{\\\"name\\\":\\\"x\\\"}}\\n\"}}}"},
};

static int setup(void **state)
{
    return test_apiserver_setup(state, "mf", false);
}

static struct api_call call_for(struct test_apiserver *f, const char *kind, const char *ns, const char *name,
                                const char *manager, const char *sub)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", kind), .ns = ns, .name = name,
                         .subresource = sub, .user = apiserver_loopback_user(), .field_manager = manager,
                         .validation = FIELD_VALIDATION_STRICT, .internal = true};
    return c;
}

/* Runs one step on object x in namespace ns; returns the Status message of a failure or NULL. */
static char *run_step(struct test_apiserver *f, const char *kind, const char *ns, const struct step *s)
{
    struct api_call c = call_for(f, kind, ns, s->op == CREATE ? NULL : "x", s->manager, s->subresource);
    json_t *res = NULL, *st = NULL;
    int code = 0, rc;
    switch (s->op) {
    case CREATE:
    case UPDATE: {
        json_t *obj = json_loads(s->body, 0, NULL);
        assert_non_null(obj);
        rc = s->op == CREATE ? rest_create(&c, obj, &res, &code, &st) : rest_update(&c, obj, &res, &code, &st);
        json_decref(obj);
        break;
    }
    case MERGE:
    case STRATEGIC:
    case JSONPATCH: {
        enum patch_type pt = s->op == MERGE ? PATCH_TYPE_MERGE : s->op == STRATEGIC ? PATCH_TYPE_STRATEGIC : PATCH_TYPE_JSON;
        rc = rest_patch(&c, (int)pt, s->body, strlen(s->body), &res, &st);
        break;
    }
    case APPLY:
    case APPLY_FORCE:
        rc = rest_apply(&c, s->body, strlen(s->body), s->op == APPLY_FORCE, &res, &code, &st);
        break;
    default:
        rc = -1;
    }
    char *msg = NULL;
    if (rc != 0)
        msg = strdup(json_str(st, "message") ? json_str(st, "message") : "(no message)");
    json_decref(res);
    json_decref(st);
    return msg;
}

static json_t *read_object(struct test_apiserver *f, const char *kind, const char *ns)
{
    struct api_call c = call_for(f, kind, ns, "x", "t", NULL);
    json_t *obj = NULL, *st = NULL;
    if (rest_get(&c, &obj, &st) != 0)
        fail_msg("get: %s", json_str(st, "message"));
    return obj;
}

static json_t *managed_without_time(json_t *obj)
{
    json_t *mf = json_deep_copy(json_path(obj, "metadata.managedFields"));
    size_t i;
    json_t *e;
    json_array_foreach(mf, i, e) {
        assert_non_null(json_str(e, "time")); /* every entry carries its time */
        json_object_del(e, "time");
    }
    return mf ? mf : json_null();
}

static void assert_json_eq(const char *what, json_t *want, json_t *got)
{
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        char *g = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        fail_msg("%s:\n  want %s\n  got  %s", what, w, g);
    }
}

/* Also checks the fieldsV1 key order as upstream serialises it ("." first, then sorted). */
static void assert_order(json_t *mf)
{
    char *s = json_dumps(mf, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *again = json_loads(s, JSON_PRESERVE_ORDER, NULL);
    size_t i;
    json_t *e;
    json_array_foreach(again, i, e) {
        json_t *canon = NULL;
        char *err = NULL;
        assert_int_equal(fs_from_fields_v1(json_object_get(e, "fieldsV1"), &canon, &err), 0);
        json_t *back = fs_to_fields_v1(canon);
        char *a = json_dumps(json_object_get(e, "fieldsV1"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *b = json_dumps(back, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(back);
        json_decref(canon);
    }
    json_decref(again);
    free(s);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct tcase *tc = &cases[i];
        struct test_apiserver *f = NULL;
        assert_int_equal(setup((void **)&f), 0);
        assert_non_null(f);
        print_message("case: %s (%s)\n", tc->name, tc->source);
        struct api_call nc = call_for(f, "Namespace", NULL, NULL, "t", NULL);
        json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", "ns");
        json_t *res = NULL, *st = NULL;
        int code;
        assert_int_equal(rest_create(&nc, ns, &res, &code, &st), 0);
        json_decref(ns);
        json_decref(res);
        for (size_t k = 0; k < 6 && tc->steps[k].manager; k++) {
            char *msg = run_step(f, tc->kind, "ns", &tc->steps[k]);
            if (tc->steps[k].want_error == NULL && msg != NULL)
                fail_msg("%s: step %zu failed: %s", tc->name, k, msg);
            if (tc->steps[k].want_error != NULL) {
                if (msg == NULL)
                    fail_msg("%s: step %zu succeeded, want %s", tc->name, k, tc->steps[k].want_error);
                assert_string_equal(msg, tc->steps[k].want_error);
            }
            free(msg);
        }
        json_t *obj = read_object(f, tc->kind, "ns");
        json_t *mf = managed_without_time(obj);
        if (tc->want_mf != NULL) {
            json_t *want = json_loads(tc->want_mf, JSON_DECODE_ANY, NULL);
            assert_non_null(want);
            assert_json_eq(tc->name, want, mf);
            json_decref(want);
        } else {
            /* pod case: a-patcher owns exactly the image it changed; the kubelet the status
             * phase (sorted by time, then manager: the same order either way, [SORT]) */
            json_t *want = json_loads(
                "[{\"manager\":\"a-patcher\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
                "\"fieldsV1\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"app\\\"}\":{\"f:image\":{}}}}}},"
                "{\"manager\":\"kubelet\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
                "\"fieldsV1\":{\"f:status\":{\"f:phase\":{}}},\"subresource\":\"status\"}]",
                0, NULL);
            json_t *got = json_array();
            size_t j;
            json_t *e;
            json_array_foreach(mf, j, e) {
                if (strcmp(json_str(e, "manager"), "c") != 0)
                    json_array_append(got, e);
                else /* the creator keeps the container's other fields, and the "." of its item */
                    assert_non_null(json_path(json_object_get(e, "fieldsV1"), "f:spec"));
            }
            assert_json_eq(tc->name, want, got);
            json_decref(got);
            json_decref(want);
        }
        assert_order(mf);
        if (tc->want_object != NULL) {
            json_t *want = json_loads(tc->want_object, 0, NULL);
            const char *k;
            json_t *v;
            json_object_foreach(want, k, v) {
                if (strcmp(k, "metadata") == 0) {
                    assert_json_eq(k, json_object_get(v, "annotations"), json_path(obj, "metadata.annotations"));
                    continue;
                }
                assert_json_eq(k, v, json_object_get(obj, k));
            }
            json_decref(want);
        }
        json_decref(mf);
        json_decref(obj);
        test_apiserver_teardown((void **)&f);
    }
}

static void new_namespace(struct test_apiserver *f)
{
    struct api_call nc = call_for(f, "Namespace", NULL, NULL, "t", NULL);
    json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", "ns");
    json_t *res = NULL, *st = NULL;
    int code;
    assert_int_equal(rest_create(&nc, ns, &res, &code, &st), 0);
    json_decref(ns);
    json_decref(res);
}

/* [CAP] capmanagers.go: more than 10 Update managers — the oldest (then by name) are merged
 * per apiVersion into "ancient-changes". Eleven managers in the same second: "c" becomes the
 * bucket holding its own and m0's fields. */
static void test_cap_update_managers(void **state)
{
    struct test_apiserver *f = *state;
    new_namespace(f);
    struct step s = {CREATE, "c", CM("{\"c\":\"1\"}"), NULL, NULL};
    assert_null(run_step(f, "ConfigMap", "ns", &s));
    char body[10][64], mgr[10][8];
    for (int i = 0; i < 10; i++) {
        snprintf(mgr[i], sizeof(mgr[i]), "m%d", i);
        snprintf(body[i], sizeof(body[i]), "{\"data\":{\"k%d\":\"v\"}}", i);
        struct step p = {MERGE, mgr[i], body[i], NULL, NULL};
        char *msg = run_step(f, "ConfigMap", "ns", &p);
        assert_null(msg);
    }
    json_t *obj = read_object(f, "ConfigMap", "ns");
    json_t *mf = json_path(obj, "metadata.managedFields");
    assert_int_equal(json_array_size(mf), 10);
    json_t *first = json_array_get(mf, 0);
    assert_string_equal(json_str(first, "manager"), "ancient-changes");
    char *v1 = json_dumps(json_object_get(first, "fieldsV1"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(v1, "{\"f:data\":{\".\":{},\"f:c\":{},\"f:k0\":{}}}");
    free(v1);
    assert_string_equal(json_str(json_array_get(mf, 1), "manager"), "m1");
    assert_string_equal(json_str(json_array_get(mf, 9), "manager"), "m9");
    json_decref(obj);
}

/* [APPLY] on /status: an Apply entry with subresource "status" owning only status fields
 * (spec in the configuration is reset by the status strategy and not owned). */
static void test_apply_status(void **state)
{
    struct test_apiserver *f = *state;
    new_namespace(f);
    struct step s = {CREATE, "c", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},"
                                  "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a:1\"}]}}", NULL, NULL};
    assert_null(run_step(f, "Pod", "ns", &s));
    struct step a = {APPLY, "ctl", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},"
                                   "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\","
                                   "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}", "status", NULL};
    assert_null(run_step(f, "Pod", "ns", &a));
    json_t *obj = read_object(f, "Pod", "ns");
    assert_string_equal(json_path_str(obj, "status.phase"), "Running");
    assert_null(json_path(obj, "spec.nodeName"));
    json_t *mf = managed_without_time(obj);
    json_t *e = json_array_get(mf, 0);
    char *txt = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(txt, "{\"manager\":\"ctl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
                             "\"fieldsV1\":{\"f:status\":{\"f:conditions\":{\"k:{\\\"type\\\":\\\"Ready\\\"}\":"
                             "{\".\":{},\"f:status\":{},\"f:type\":{}}},\"f:phase\":{}}},\"subresource\":\"status\"}");
    free(txt);
    json_decref(mf);
    json_decref(obj);
}

/* fieldsV1 round trip, Set operations, path strings and order (fieldpath/serialize.go,
 * set.go, element.go). */
static void test_fieldset(void **state)
{
    (void)state;
    const char *v1 = "{\"f:a\":{},\"f:spec\":{\"f:ports\":{\".\":{},"
                     "\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:name\":{}},"
                     "\"k:{\\\"containerPort\\\":9,\\\"protocol\\\":\\\"TCP\\\"}\":{}}},\"f:z\":{\"v:\\\"x\\\"\":{},\"i:2\":{},\"i:10\":{}}}";
    json_t *in = json_loads(v1, 0, NULL), *s = NULL;
    char *err = NULL;
    assert_int_equal(fs_from_fields_v1(in, &s, &err), 0);
    assert_int_equal(fs_count(s), 8);
    json_t *out = fs_to_fields_v1(s);
    char *txt = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    /* keys sorted: k: by key values (9 < 80), v: before i:, indexes numerically */
    assert_string_equal(txt, "{\"f:a\":{},\"f:spec\":{\"f:ports\":{\".\":{},"
                             "\"k:{\\\"containerPort\\\":9,\\\"protocol\\\":\\\"TCP\\\"}\":{},"
                             "\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:name\":{}}}},"
                             "\"f:z\":{\"v:\\\"x\\\"\":{},\"i:2\":{},\"i:10\":{}}}");
    free(txt);
    json_t *paths = json_array();
    fs_paths(s, paths);
    txt = json_dumps(paths, JSON_COMPACT);
    assert_string_equal(txt, "[\".a\",\".spec.ports\",\".spec.ports[containerPort=9,protocol=\\\"TCP\\\"]\","
                             "\".spec.ports[containerPort=80,protocol=\\\"TCP\\\"]\","
                             "\".spec.ports[containerPort=80,protocol=\\\"TCP\\\"].name\",\".z[=\\\"x\\\"]\",\".z[2]\",\".z[10]\"]");
    free(txt);
    json_decref(paths);
    json_t *b = NULL;
    json_t *bin = json_loads("{\"f:a\":{},\"f:z\":{\"i:2\":{}}}", 0, NULL);
    assert_int_equal(fs_from_fields_v1(bin, &b, &err), 0);
    json_t *d = fs_difference(s, b), *x = fs_intersection(s, b), *u = fs_union(d, x);
    assert_int_equal(fs_count(d), 6);
    assert_int_equal(fs_count(x), 2);
    assert_true(json_equal(u, s));
    json_decref(d);
    json_decref(x);
    json_decref(u);
    json_decref(b);
    json_decref(bin);
    /* invalid element prefixes and keys are refused */
    json_t *bad = json_loads("{\"q:x\":{}}", 0, NULL), *r = NULL;
    assert_int_equal(fs_from_fields_v1(bad, &r, &err), AZ_EINVALID);
    free(err);
    json_decref(bad);
    json_decref(out);
    json_decref(s);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fieldset),
        cmocka_unit_test(test_cases),
        cmocka_unit_test_setup_teardown(test_cap_update_managers, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_apply_status, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
