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

/* ---- the member scan against the byte-by-byte reference it replaced ------------------- */

/* The scan as it was before the byte classes (one byte per step): the reference. */
static int members_ref(const char *v, size_t len, size_t starts[ITEMBYTES_MAX_MEMBERS + 1], bool *go_ok)
{
    if (len < 2 || v[0] != '{' || v[len - 1] != '}')
        return -1;
    size_t nm = 0;
    int depth = 0;
    bool in_str = false, ok = true;
    starts[nm++] = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (in_str) {
            if (ch == '\\') {
                char e = i + 1 < len ? v[i + 1] : 0;
                if (e != '"' && e != '\\' && e != 'n' && e != 'r' && e != 't')
                    ok = false;
                i++;
            } else if (ch == '"') {
                in_str = false;
            } else if (ch == '<' || ch == '>' || ch == '&' || ch == 0xE2 || ch < 0x20) {
                ok = false;
            }
            continue;
        }
        switch (ch) {
        case '"': in_str = true; break;
        case '{': case '[': depth++; break;
        case '}': case ']': depth--; break;
        case ',':
            if (depth == 1) {
                if (nm == ITEMBYTES_MAX_MEMBERS)
                    return -1;
                starts[nm++] = i + 1;
            }
            break;
        case '.': case 'E': ok = false; break;
        case 'e':
            if (i > 0 && v[i - 1] >= '0' && v[i - 1] <= '9')
                ok = false;
            break;
        case ' ': case '\n': case '\r': case '\t': return -1;
        default: break;
        }
    }
    if (depth != 0 || in_str || len == 2)
        return -1;
    starts[nm] = len;
    if (go_ok != NULL)
        *go_ok = ok;
    return (int)nm;
}

static void check_same_split(const char *v, size_t len)
{
    size_t a[ITEMBYTES_MAX_MEMBERS + 1], b[ITEMBYTES_MAX_MEMBERS + 1];
    bool oka = true, okb = true;
    int na = itembytes_members(v, len, a, &oka), nb = members_ref(v, len, b, &okb);
    if ((na < 0) != (nb < 0) || (na >= 0 && (na != nb || oka != okb)))
        fail_msg("split differs (%d/%d, go_ok %d/%d) for %.*s", na, nb, oka, okb, (int)len, v);
    for (int k = 0; na >= 0 && k <= na; k++)
        assert_int_equal(a[k], b[k]);
}

/* Real stored forms, every prefix and suffix of them, and random texts over the bytes the
 * scan tells apart: the same members, the same verdict. */
static void test_members_same_as_reference(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"namespace\":\"default\",\"uid\":\"u\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"labels\":{\"app\":\"x\"}},\"data\":{\"k\":\"v\\n\\\"q\\\"\"}}",
        "{\"a\":[1,2,{\"b\":[]}],\"c\":1e5,\"d\":1.5,\"e\":true,\"f\":null,\"g\":\"<&>\",\"h\":\"\\u00e9\"}",
        "{\"a\":\"\xe2\x80\xa8\",\"b\":\"\\b\",\"c\":-12,\"d\":\"tab\\t\"}",
        "{\"a\":1, \"b\":2}",
        "{}",
        "{\"metadata\":{}}",
    };
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        size_t n = strlen(texts[t]);
        for (size_t i = 0; i <= n; i++) {
            check_same_split(texts[t], i);
            check_same_split(texts[t] + i, n - i);
        }
    }
    static const char alphabet[] = "{}[]\",:\\\"aeE.1 <&\xe2nrtu";
    unsigned seed = 12345;
    char v[64];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 2 + (seed >> 16) % (sizeof(v) - 2);
        v[0] = '{';
        for (size_t i = 1; i + 1 < n; i++) {
            seed = seed * 1103515245u + 12345u;
            v[i] = (seed >> 16) % 9 == 0 ? (char)((seed >> 8) & 0xff) : alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        v[n - 1] = '}';
        check_same_split(v, n);
    }
    /* more than ITEMBYTES_MAX_MEMBERS members */
    struct buf big = BUF_INIT;
    buf_putc(&big, '{');
    for (int k = 0; k <= ITEMBYTES_MAX_MEMBERS; k++)
        buf_printf(&big, "%s\"k%d\":%d", k ? "," : "", k, k);
    buf_putc(&big, '}');
    check_same_split(big.data, big.len);
    buf_release(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_decoded),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_members_same_as_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
