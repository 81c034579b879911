/* itembytes_test.c — a get's answer composed from the stored bytes (itembytes_object_rv_at,
 * issue 10: GET served from the object cache's bytes) against the decoded path
 * (json_dump_go of the object with metadata.resourceVersion set), compact and pretty, for
 * stored forms it must take and byte-exact forms it must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/itembytes.h"
#include "util/buf.h"
#include "util/json.h"

/* The decoded path: what rest_get + send_json print. */
static char *decoded(const char *stored, int64_t rev, bool pretty, size_t *ret_len)
{
    json_t *obj = json_loads(stored, 0, NULL);
    assert_non_null(obj);
    char rvs[32];
    snprintf(rvs, sizeof(rvs), "%lld", (long long)rev);
    json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string(rvs));
    char *s = json_dump_go(obj, pretty, ret_len);
    json_decref(obj);
    return s;
}

/* The composed path: what send_item sends. */
static bool composed(const char *stored, int64_t rev, bool pretty, struct buf *out)
{
    size_t at;
    bool empty;
    size_t len = strlen(stored);
    if (!itembytes_object_rv_at(stored, len, &at, &empty))
        return false;
    char rv[48];
    int n = snprintf(rv, sizeof(rv), "%s\"resourceVersion\":\"%lld\"", empty ? "" : ",", (long long)rev);
    if (pretty) {
        struct itembytes_indent st = {0};
        itembytes_indent(&st, out, stored, at);
        itembytes_indent(&st, out, rv, (size_t)n);
        itembytes_indent(&st, out, stored + at, len - at);
    } else {
        buf_append(out, stored, at);
        buf_append(out, rv, (size_t)n);
        buf_append(out, stored + at, len - at);
        buf_putc(out, '\n');
    }
    return true;
}

static void test_same_as_decoded(void **state)
{
    (void)state;
    static const char *const stored[] = {
        "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"namespace\":\"d\","
        "\"labels\":{\"x\":\"y\"}},\"data\":{\"k\":\"v\\n\\\"q\\\"\"}}",
        "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{},\"spec\":{\"finalizers\":[\"kubernetes\"]}}",
        "{\"metadata\":{\"name\":\"m\",\"managedFields\":[{\"manager\":\"k\",\"fieldsV1\":{\"f:data\":{}}}]},"
        "\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"data\":{\"a\":\"AAE=\"},\"type\":\"Opaque\"}",
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"uid\":\"u\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"args\":[]}],\"priority\":0,"
        "\"enableServiceLinks\":true,\"x\":null},\"status\":{\"phase\":\"Pending\"}}",
    };
    for (size_t i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
        for (int pretty = 0; pretty < 2; pretty++) {
            size_t n;
            char *want = decoded(stored[i], 12345 + (int64_t)i, pretty, &n);
            struct buf got = BUF_INIT;
            assert_true(composed(stored[i], 12345 + (int64_t)i, pretty, &got));
            buf_putc(&got, '\0');
            assert_int_equal(got.len - 1, n);
            assert_string_equal(got.data, want);
            buf_release(&got);
            free(want);
        }
    }
}

static void test_refused(void **state)
{
    (void)state;
    size_t at;
    bool empty;
    /* Go escapes < > & ; a fraction may print differently; no metadata; not an object */
    static const char *const refused[] = {
        "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"<b>\"}}",
        "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"a&b\"}}",
        "{\"kind\":\"X\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"f\":1.5}}",
        "{\"kind\":\"X\",\"spec\":{}}",
        "[1,2]",
        "{\"kind\": \"X\", \"metadata\": {}}",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_false(itembytes_object_rv_at(refused[i], strlen(refused[i]), &at, &empty));
    const char *v = "{\"metadata\":{},\"kind\":\"X\"}";
    assert_true(itembytes_object_rv_at(v, strlen(v), &at, &empty));
    assert_true(empty);
    assert_int_equal(at, 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_decoded),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
