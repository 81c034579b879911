/* storage_fault_test.c — what a client sees when the storage fails under the REST layer: the
 * store is SQLite behind the failing wrapper (store/faulty.h). Upstream's registry turns a
 * storage error into 500 InternalError ("Internal error occurred: ..."), a storage timeout
 * into 504 Timeout; the object is then either wholly written or not at all, and the watch
 * cache and the store agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "registry/apiserver.h"
#include "registry/resource.h"
#include "registry/rest.h"
#include "registry/loopback.h"
#include "store/faulty.h"
#include "test_store.h"
#include "util/err.h"
#include "util/json.h"

static int setup(void **state)
{
    if (test_apiserver_setup(state, "fault", true) != 0)
        return -1;
    struct test_apiserver *f = *state;
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "Namespace"), .user = apiserver_loopback_user(),
                         .field_manager = "test", .validation = FIELD_VALIDATION_STRICT, .internal = true};
    json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", "lab");
    json_t *res = NULL, *st = NULL;
    int code = 0;
    int rc = rest_create(&c, ns, &res, &code, &st);
    json_decref(ns);
    json_decref(res);
    json_decref(st);
    return rc == 0 ? 0 : -1;
}

static struct api_call cm_call(struct test_apiserver *f, const char *name)
{
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind("", "ConfigMap"), .ns = "lab", .name = name,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_STRICT, .internal = true};
    return c;
}

/* Creates ConfigMap lab/name with data {"k": value}; returns rc, *ret_status on failure. */
static int create_cm(struct test_apiserver *f, const char *name, const char *value, json_t **ret_status)
{
    struct api_call c = cm_call(f, NULL);
    json_t *obj = json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                            "name", name, "data", "k", value);
    json_t *res = NULL, *st = NULL;
    int code = 0;
    int rc = rest_create(&c, obj, &res, &code, &st);
    json_decref(obj);
    json_decref(res);
    if (ret_status != NULL)
        *ret_status = st;
    else
        json_decref(st);
    return rc;
}

/* The stored value of lab/name straight from SQLite (not the wrapper, not the cache). */
static char *stored(struct test_apiserver *f, const char *name)
{
    char key[128];
    snprintf(key, sizeof(key), "/registry/configmaps/lab/%s", name);
    struct store_kv kv;
    if (store_get(store_faulty_inner(f->srv.store), key, &kv) != 0)
        return NULL;
    char *v = strdup(kv.value);
    store_kv_release(&kv);
    return v;
}

/* data.k of lab/name as a GET through the REST layer (the watch cache) returns it. */
static char *get_k(struct test_apiserver *f, const char *name)
{
    struct api_call c = cm_call(f, name);
    json_t *obj = NULL, *st = NULL;
    if (rest_get(&c, &obj, &st) != 0) {
        json_decref(st);
        return NULL;
    }
    char *v = strdup(json_path_str(obj, "data.k"));
    json_decref(obj);
    return v;
}

static void assert_status(json_t *st, int code, const char *reason, const char *message)
{
    assert_non_null(st);
    assert_string_equal(json_str(st, "kind"), "Status");
    assert_string_equal(json_str(st, "status"), "Failure");
    assert_int_equal(json_integer_value(json_object_get(st, "code")), code);
    assert_string_equal(json_str(st, "reason"), reason);
    assert_string_equal(json_str(st, "message"), message);
}

static void test_create_fault_is_500_and_writes_nothing(void **state)
{
    struct test_apiserver *f = *state;
    int64_t rev = store_current_rev(f->srv.store);
    store_faulty_arm(f->srv.store, STORE_FAULTY_CREATE, 1, AZ_EIO, false);
    json_t *st = NULL;
    assert_int_equal(create_cm(f, "a", "1", &st), AZ_EIO);
    assert_status(st, 500, "InternalError", "Internal error occurred: create: i/o error");
    assert_string_equal(json_str(json_array_get(json_path(st, "details.causes"), 0), "message"), "create: i/o error");
    json_decref(st);
    assert_int_equal(store_faulty_injected(f->srv.store), 1);
    /* nothing stored, no revision used, nothing in the cache */
    assert_null(stored(f, "a"));
    assert_int_equal(store_current_rev(f->srv.store), rev);
    assert_null(get_k(f, "a"));
    /* the fault was for one call: the same create now succeeds */
    assert_int_equal(create_cm(f, "a", "1", NULL), 0);
    char *v = get_k(f, "a");
    assert_string_equal(v, "1");
    free(v);
}

static void test_update_fault_keeps_the_old_object(void **state)
{
    struct test_apiserver *f = *state;
    assert_int_equal(create_cm(f, "a", "old", NULL), 0);
    char *before = stored(f, "a");
    struct api_call c = cm_call(f, "a");
    json_t *obj = json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                            "name", "a", "data", "k", "new");
    json_t *res = NULL, *st = NULL;
    int code = 0;
    store_faulty_arm(f->srv.store, STORE_FAULTY_UPDATE, 1, AZ_EIO, false);
    assert_int_equal(rest_update(&c, obj, &res, &code, &st), AZ_EIO);
    assert_null(res);
    assert_status(st, 500, "InternalError", "Internal error occurred: update: i/o error");
    json_decref(st);
    json_decref(obj);
    char *after = stored(f, "a");
    assert_string_equal(after, before);
    char *v = get_k(f, "a");
    assert_string_equal(v, "old");
    free(v);
    free(before);
    free(after);
}

static void test_delete_fault_keeps_the_object(void **state)
{
    struct test_apiserver *f = *state;
    assert_int_equal(create_cm(f, "a", "1", NULL), 0);
    struct api_call c = cm_call(f, "a");
    json_t *res = NULL, *st = NULL;
    int code = 0;
    store_faulty_arm(f->srv.store, STORE_FAULTY_DELETE, 1, AZ_EIO, false);
    assert_int_equal(rest_delete(&c, NULL, &res, &code, &st), AZ_EIO);
    assert_status(st, 500, "InternalError", "Internal error occurred: delete: i/o error");
    json_decref(st);
    json_decref(res);
    char *v = stored(f, "a");
    assert_non_null(v);
    free(v);
    v = get_k(f, "a");
    assert_string_equal(v, "1");
    free(v);
}

/* A storage timeout (etcd without quorum) is upstream's 504 Timeout, not a 500. */
static void test_timeout_is_504(void **state)
{
    struct test_apiserver *f = *state;
    store_faulty_arm(f->srv.store, STORE_FAULTY_CREATE, 1, AZ_ETIMEOUT, false);
    json_t *st = NULL;
    assert_int_equal(create_cm(f, "a", "1", &st), AZ_ETIMEOUT);
    assert_status(st, 504, "Timeout",
                  "Timeout: request did not complete within requested timeout - context deadline exceeded");
    json_decref(st);
    assert_null(stored(f, "a"));
}

/* A failing consistent-read barrier is a storage error too: 500 or 504, never a 404 that
 * would tell the client the object does not exist. */
static void test_read_barrier_fault(void **state)
{
    struct test_apiserver *f = *state;
    assert_int_equal(create_cm(f, "a", "1", NULL), 0);
    struct api_call c = cm_call(f, "a");
    json_t *obj = NULL, *st = NULL;
    store_faulty_arm(f->srv.store, STORE_FAULTY_READS, 1, AZ_EIO, true);
    assert_int_equal(rest_get(&c, &obj, &st), AZ_EIO);
    assert_null(obj);
    assert_status(st, 500, "InternalError", "Internal error occurred: get: i/o error");
    json_decref(st);
    st = NULL;
    store_faulty_arm(f->srv.store, STORE_FAULTY_SYNC, 1, AZ_ETIMEOUT, false);
    assert_int_equal(rest_get(&c, &obj, &st), AZ_ETIMEOUT);
    assert_int_equal(json_integer_value(json_object_get(st, "code")), 504);
    json_decref(st);
    /* disarmed: the object is there */
    char *v = get_k(f, "a");
    assert_string_equal(v, "1");
    free(v);
}

/* The Nth write failing in the middle of a collection delete: upstream's DeleteCollection
 * returns that error; the objects deleted before it are gone, the rest are intact. */
static void test_deletecollection_stops_at_the_failing_write(void **state)
{
    struct test_apiserver *f = *state;
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(create_cm(f, names[i], names[i], NULL), 0);
    struct api_call c = cm_call(f, NULL);
    struct list_opts o = {0};
    json_t *res = NULL, *st = NULL;
    unsigned deletes = store_faulty_calls(f->srv.store, STORE_FAULTY_DELETE);
    store_faulty_arm(f->srv.store, STORE_FAULTY_DELETE, 2, AZ_EIO, false);
    assert_int_equal(rest_deletecollection(&c, &o, NULL, &res, &st), AZ_EIO);
    assert_null(res);
    assert_status(st, 500, "InternalError", "Internal error occurred: delete: i/o error");
    json_decref(st);
    /* the first delete went through, the second failed, the third was not tried */
    assert_int_equal(store_faulty_calls(f->srv.store, STORE_FAULTY_DELETE) - deletes, 2);
    char *v = stored(f, "a");
    assert_null(v);
    for (int i = 1; i < 3; i++) {
        v = get_k(f, names[i]);
        assert_non_null(v);
        assert_string_equal(v, names[i]);
        free(v);
    }
}

/* The wrapper itself: the Nth call among the armed operations fails, others pass; sticky
 * keeps failing; counts are per operation. */
static void test_faulty_wrapper_counts(void **state)
{
    struct test_apiserver *f = *state;
    struct store *s = f->srv.store;
    int64_t r;
    store_faulty_arm(s, STORE_FAULTY_WRITES, 3, AZ_EUNAVAILABLE, false);
    assert_int_equal(store_create(s, "/registry/x/1", "{}", 2, &r), 0);
    struct store_kv kv;
    assert_int_equal(store_get(s, "/registry/x/1", &kv), 0); /* not a write: not counted */
    store_kv_release(&kv);
    assert_int_equal(store_update(s, "/registry/x/1", "{}", 2, 0, &r), 0);
    assert_int_equal(store_delete(s, "/registry/x/1", 0, &r, NULL), AZ_EUNAVAILABLE);
    assert_int_equal(store_delete(s, "/registry/x/1", 0, &r, NULL), 0);
    store_faulty_arm(s, STORE_FAULTY_GET, 1, AZ_EIO, true);
    assert_int_equal(store_get(s, "/registry/x/1", &kv), AZ_EIO);
    assert_int_equal(store_get(s, "/registry/x/2", &kv), AZ_EIO);
    store_faulty_arm(s, 0, 0, 0, false);
    assert_int_equal(store_get(s, "/registry/x/1", &kv), AZ_ENOTFOUND);
    char *reason = NULL;
    store_faulty_arm(s, STORE_FAULTY_HEALTH, 1, AZ_EUNAVAILABLE, false);
    assert_int_equal(store_health(s, &reason), AZ_EUNAVAILABLE);
    assert_string_equal(reason, "injected fault");
    free(reason);
    assert_int_equal(store_health(s, NULL), 0);
    assert_int_equal(store_faulty_injected(s), 4);
    assert_int_equal(store_faulty_calls(s, STORE_FAULTY_DELETE), 2);
    assert_int_equal(store_faulty_calls(s, STORE_FAULTY_GET), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_fault_is_500_and_writes_nothing, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_update_fault_keeps_the_old_object, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_delete_fault_keeps_the_object, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_is_504, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_read_barrier_fault, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_deletecollection_stops_at_the_failing_write, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_faulty_wrapper_counts, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
