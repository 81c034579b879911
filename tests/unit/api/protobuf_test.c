/* protobuf_test.c — tests for src/api/protobuf.c (Kubernetes protobuf body -> JSON).
 *
 * Two kinds of input:
 *  - bodies captured from real kubectl v1.32 (tests/unit/api/protobuf_data/, see its
 *    README.md), so the wire bytes do not come from our own understanding of the format;
 *  - bodies built here with a tiny protobuf encoder, for kinds and fields kubectl does not
 *    send and for malformed input.
 * Expected JSON is written by hand from the upstream Go types' JSON tags (k8s.io/api
 * authentication/v1 and authorization/v1 types.go, apimachinery meta/v1): struct fields are
 * always printed, omitempty scalars vanish when zero, nil slices/pointers without omitempty
 * print null, metav1.Time prints RFC 3339 or null. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/protobuf.h"
#include "util/err.h"

/* ---- tiny protobuf encoder ------------------------------------------------------------ */

struct enc {
    uint8_t buf[16384];
    size_t len;
};

static void put_raw(struct enc *e, const void *p, size_t n)
{
    assert_true(e->len + n <= sizeof(e->buf));
    memcpy(e->buf + e->len, p, n);
    e->len += n;
}

static void put_varint(struct enc *e, uint64_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        if (v != 0)
            b |= 0x80;
        put_raw(e, &b, 1);
    } while (v != 0);
}

static void put_tag(struct enc *e, uint32_t field, unsigned wire)
{
    put_varint(e, ((uint64_t)field << 3) | wire);
}

static void put_int(struct enc *e, uint32_t field, int64_t v)
{
    put_tag(e, field, 0);
    put_varint(e, (uint64_t)v);
}

static void put_bytes(struct enc *e, uint32_t field, const void *p, size_t n)
{
    put_tag(e, field, 2);
    put_varint(e, n);
    put_raw(e, p, n);
}

static void put_str(struct enc *e, uint32_t field, const char *s)
{
    put_bytes(e, field, s, strlen(s));
}

static void put_msg(struct enc *e, uint32_t field, const struct enc *sub)
{
    put_bytes(e, field, sub->buf, sub->len);
}

/* map<string,string> entry */
static void put_map_str(struct enc *e, uint32_t field, const char *k, const char *v)
{
    struct enc entry = { .len = 0 };
    put_str(&entry, 1, k);
    put_str(&entry, 2, v);
    put_msg(e, field, &entry);
}

/* Time {1 seconds} */
static void put_time(struct enc *e, uint32_t field, int64_t seconds, int32_t nanos)
{
    struct enc t = { .len = 0 };
    put_int(&t, 1, seconds);
    if (nanos != 0)
        put_int(&t, 2, nanos);
    put_msg(e, field, &t);
}

/* "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, "", ""} like client-go. */
static void envelope(struct enc *out, const char *api_version, const char *kind,
                     const struct enc *raw)
{
    struct enc tm = { .len = 0 };
    out->len = 0;
    put_raw(out, "k8s\0", 4);
    put_str(&tm, 1, api_version);
    put_str(&tm, 2, kind);
    put_msg(out, 1, &tm);
    put_msg(out, 2, raw);
    put_str(out, 3, "");
    put_str(out, 4, "");
}

/* ---- helpers -------------------------------------------------------------------------- */

static void assert_json(json_t *got, const char *expected_text)
{
    json_error_t jerr;
    json_t *want = json_loads(expected_text, 0, &jerr);
    if (want == NULL)
        fail_msg("bad expected JSON literal: %s", jerr.text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_SORT_KEYS);
        print_error("got:  %s\nwant: %s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

static void decode_ok(const uint8_t *buf, size_t len, const char *expected)
{
    json_t *obj = NULL;
    char *err = (char *)"sentinel";
    int rc = k8s_protobuf_decode(buf, len, &obj, &err);
    if (rc != 0)
        fail_msg("decode failed rc=%d: %s", rc, err);
    assert_null(err);
    assert_non_null(obj);
    assert_json(obj, expected);
    json_decref(obj);
}

/* Decodes expecting failure with `code`; the message must contain `needle`. */
static void decode_err(const uint8_t *buf, size_t len, int code, const char *needle)
{
    json_t *obj = (json_t *)0x1;
    char *err = NULL;
    int rc = k8s_protobuf_decode(buf, len, &obj, &err);
    assert_int_equal(rc, code);
    assert_ptr_equal(obj, (json_t *)0x1); /* untouched on failure */
    assert_non_null(err);
    if (needle != NULL && strstr(err, needle) == NULL)
        fail_msg("error %s does not contain %s", err, needle);
    free(err);
}

static uint8_t *read_capture(const char *name, size_t *ret_len)
{
    const char *src = getenv("ANZEN_SRC");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/unit/api/protobuf_data/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (is ANZEN_SRC set?)", path);
    uint8_t *buf = malloc(65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65536, f);
    fclose(f);
    assert_true(n > 4 && n < 65536);
    *ret_len = n;
    return buf;
}

static void capture_ok(const char *name, const char *expected)
{
    size_t len;
    uint8_t *buf = read_capture(name, &len);
    decode_ok(buf, len, expected);
    free(buf);
}

#define EMPTY_META "\"metadata\":{\"creationTimestamp\":null}"

/* ---- bodies captured from kubectl ----------------------------------------------------- */

static void test_kubectl_create_token_duration(void **state)
{
    /* --audience foo --duration 20m: no bound object, expirationSeconds 1200. */
    capture_ok("kubectl_create_token_duration.bin",
               "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"audiences\":[\"foo\"],\"expirationSeconds\":1200,"
               "\"boundObjectRef\":null},"
               "\"status\":{\"token\":\"\",\"expirationTimestamp\":null}}");
}

static void test_kubectl_create_token_bound(void **state)
{
    capture_ok("kubectl_create_token_bound.bin",
               "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"audiences\":[\"a1\",\"a2\"],\"expirationSeconds\":null,"
               "\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"web-0\","
               "\"uid\":\"0b7a4c3e-1111-2222-3333-444455556666\"}},"
               "\"status\":{\"token\":\"\",\"expirationTimestamp\":null}}");
}

static void test_kubectl_can_i(void **state)
{
    capture_ok("kubectl_can_i_get_pods.bin",
               "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"resourceAttributes\":{\"namespace\":\"lab\",\"verb\":\"get\","
               "\"resource\":\"pods\"}},\"status\":{\"allowed\":false}}");
    capture_ok("kubectl_can_i_list_secrets_all_ns.bin",
               "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"secrets\","
               "\"subresource\":\"x\"}},\"status\":{\"allowed\":false}}");
    capture_ok("kubectl_can_i_create_pods_exec.bin",
               "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"resourceAttributes\":{\"namespace\":\"lab\",\"verb\":\"create\","
               "\"resource\":\"pods\",\"subresource\":\"exec\"}},\"status\":{\"allowed\":false}}");
    capture_ok("kubectl_can_i_nonresource.bin",
               "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
               EMPTY_META ","
               "\"spec\":{\"nonResourceAttributes\":{\"path\":\"/logs\",\"verb\":\"get\"}},"
               "\"status\":{\"allowed\":false}}");
}

static void test_kubectl_can_i_list(void **state)
{
    capture_ok("kubectl_can_i_list.bin",
               "{\"kind\":\"SelfSubjectRulesReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
               EMPTY_META ",\"spec\":{\"namespace\":\"lab\"},"
               "\"status\":{\"resourceRules\":null,\"nonResourceRules\":null,"
               "\"incomplete\":false}}");
}

static void test_kubectl_whoami(void **state)
{
    capture_ok("kubectl_auth_whoami.bin",
               "{\"kind\":\"SelfSubjectReview\",\"apiVersion\":\"authentication.k8s.io/v1\","
               EMPTY_META ",\"status\":{\"userInfo\":{}}}");
}

/* Every truncation of a real body either decodes (cut at a field boundary of the outer
 * envelope) or fails as a bad request; never anything else. */
static void test_kubectl_truncations(void **state)
{
    static const char *const names[] = { "kubectl_create_token_bound.bin",
                                         "kubectl_can_i_create_pods_exec.bin",
                                         "kubectl_can_i_list.bin", "kubectl_auth_whoami.bin" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len;
        uint8_t *buf = read_capture(names[i], &len);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
            assert_non_null(copy);
            memcpy(copy, buf, cut);
            json_t *obj = NULL;
            char *err = NULL;
            int rc = k8s_protobuf_decode(copy, cut, &obj, &err);
            if (rc == 0) {
                assert_non_null(obj);
                json_decref(obj);
            } else {
                assert_int_equal(rc, AZ_EBADREQUEST);
                free(err);
            }
            free(copy);
        }
        free(buf);
    }
}

/* ---- hand-encoded bodies -------------------------------------------------------------- */

static void test_token_review(void **state)
{
    struct enc meta = { .len = 0 }, spec = { .len = 0 }, status = { .len = 0 };
    struct enc user = { .len = 0 }, extra = { .len = 0 }, ev = { .len = 0 };
    struct enc raw = { .len = 0 }, body;

    put_str(&meta, 1, "tr");
    put_str(&meta, 3, "");       /* present but empty: omitempty -> absent */
    put_map_str(&meta, 11, "app", "web");
    put_map_str(&meta, 12, "note", "x");
    put_time(&meta, 8, 1700000000, 123); /* nanos dropped */

    put_str(&spec, 1, "tok.en");
    put_str(&spec, 2, "api");
    put_str(&spec, 2, "vault");

    put_str(&ev, 1, "s1");
    put_str(&ev, 1, "s2");
    put_str(&extra, 1, "scopes");
    put_msg(&extra, 2, &ev);
    put_str(&user, 1, "alice");
    put_str(&user, 3, "dev");
    put_msg(&user, 4, &extra);
    put_int(&status, 1, 1);
    put_msg(&status, 2, &user);
    put_str(&status, 3, "");

    put_msg(&raw, 1, &meta);
    put_msg(&raw, 2, &spec);
    put_msg(&raw, 3, &status);
    envelope(&body, "authentication.k8s.io/v1", "TokenReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\","
              "\"metadata\":{\"name\":\"tr\",\"labels\":{\"app\":\"web\"},"
              "\"annotations\":{\"note\":\"x\"},\"creationTimestamp\":\"2023-11-14T22:13:20Z\"},"
              "\"spec\":{\"token\":\"tok.en\",\"audiences\":[\"api\",\"vault\"]},"
              "\"status\":{\"authenticated\":true,\"user\":{\"username\":\"alice\","
              "\"groups\":[\"dev\"],\"extra\":{\"scopes\":[\"s1\",\"s2\"]}}}}");

    /* Empty TokenReview: status.user is a struct and always printed. */
    raw.len = 0;
    envelope(&body, "authentication.k8s.io/v1", "TokenReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\","
              EMPTY_META ",\"spec\":{},\"status\":{\"user\":{}}}");
}

static void test_subject_access_review(void **state)
{
    struct enc ra = { .len = 0 }, fs = { .len = 0 }, ls = { .len = 0 }, req = { .len = 0 };
    struct enc req2 = { .len = 0 }, spec = { .len = 0 }, extra1 = { .len = 0 };
    struct enc extra2 = { .len = 0 }, ev = { .len = 0 }, raw = { .len = 0 }, body;

    put_str(&req, 1, "metadata.name");
    put_str(&req, 2, "In");
    put_str(&req, 3, "a");
    put_str(&req, 3, "b");
    put_str(&fs, 1, "metadata.name=a");
    put_msg(&fs, 2, &req);
    put_str(&req2, 1, "tier");
    put_str(&req2, 2, "Exists");
    put_msg(&ls, 2, &req2);

    put_str(&ra, 1, "ns1");
    put_str(&ra, 2, "get");
    put_str(&ra, 3, "apps");
    put_str(&ra, 4, "v1");
    put_str(&ra, 5, "deployments");
    put_str(&ra, 6, "scale");
    put_str(&ra, 7, "d1");
    put_msg(&ra, 8, &fs);
    put_msg(&ra, 9, &ls);

    put_str(&ev, 1, "x");
    put_str(&extra1, 1, "k1");
    put_msg(&extra1, 2, &ev);
    put_str(&extra2, 1, "k2"); /* no value: an empty ExtraValue prints [] */

    put_msg(&spec, 1, &ra);
    put_str(&spec, 3, "bob");
    put_str(&spec, 4, "g1");
    put_str(&spec, 4, "g2");
    put_msg(&spec, 5, &extra1);
    put_msg(&spec, 5, &extra2);
    put_str(&spec, 6, "uid-1");

    put_msg(&raw, 2, &spec);
    envelope(&body, "authorization.k8s.io/v1", "SubjectAccessReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              EMPTY_META ",\"spec\":{\"resourceAttributes\":{\"namespace\":\"ns1\","
              "\"verb\":\"get\",\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\","
              "\"subresource\":\"scale\",\"name\":\"d1\","
              "\"fieldSelector\":{\"rawSelector\":\"metadata.name=a\",\"requirements\":"
              "[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]},"
              "\"labelSelector\":{\"requirements\":[{\"key\":\"tier\",\"operator\":\"Exists\"}]}},"
              "\"user\":\"bob\",\"groups\":[\"g1\",\"g2\"],"
              "\"extra\":{\"k1\":[\"x\"],\"k2\":[]},\"uid\":\"uid-1\"},"
              "\"status\":{\"allowed\":false}}");

    /* Same spec as a LocalSubjectAccessReview with a namespaced metadata. */
    struct enc meta = { .len = 0 };
    put_str(&meta, 3, "ns1");
    raw.len = 0;
    put_msg(&raw, 1, &meta);
    spec.len = 0;
    put_msg(&spec, 2, &ev); /* NonResourceAttributes{path:"x"} reusing field 1 bytes */
    put_msg(&raw, 2, &spec);
    envelope(&body, "authorization.k8s.io/v1", "LocalSubjectAccessReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"LocalSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              "\"metadata\":{\"namespace\":\"ns1\",\"creationTimestamp\":null},"
              "\"spec\":{\"nonResourceAttributes\":{\"path\":\"x\"}},"
              "\"status\":{\"allowed\":false}}");
}

static void test_ssar_empty_and_status(void **state)
{
    struct enc ra = { .len = 0 }, fs = { .len = 0 }, spec = { .len = 0 }, st = { .len = 0 };
    struct enc raw = { .len = 0 }, body;

    put_str(&ra, 2, "");  /* present-but-empty verb: omitempty drops it */
    put_msg(&ra, 8, &fs); /* present-but-empty pointer struct: {} */
    put_msg(&spec, 1, &ra);
    put_int(&st, 1, 1);
    put_int(&st, 4, 0);
    put_str(&st, 2, "because");
    put_str(&st, 3, "");
    put_msg(&raw, 2, &spec);
    put_msg(&raw, 3, &st);
    envelope(&body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              EMPTY_META ",\"spec\":{\"resourceAttributes\":{\"fieldSelector\":{}}},"
              "\"status\":{\"allowed\":true,\"reason\":\"because\"}}");

    /* No raw at all: every struct printed with its zero values. */
    raw.len = 0;
    envelope(&body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              EMPTY_META ",\"spec\":{},\"status\":{\"allowed\":false}}");
}

static void test_rules_review_status(void **state)
{
    struct enc rr = { .len = 0 }, nrr = { .len = 0 }, st = { .len = 0 }, spec = { .len = 0 };
    struct enc raw = { .len = 0 }, body;

    put_str(&rr, 1, "get");
    put_str(&rr, 3, "pods");
    put_str(&nrr, 2, "/healthz");
    put_msg(&st, 1, &rr);
    put_msg(&st, 2, &nrr);
    put_int(&st, 3, 1);
    put_str(&st, 4, "partial");
    put_str(&spec, 1, "lab");
    put_msg(&raw, 2, &spec);
    put_msg(&raw, 3, &st);
    envelope(&body, "authorization.k8s.io/v1", "SelfSubjectRulesReview", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"SelfSubjectRulesReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              EMPTY_META ",\"spec\":{\"namespace\":\"lab\"},"
              "\"status\":{\"resourceRules\":[{\"verbs\":[\"get\"],\"resources\":[\"pods\"]}],"
              "\"nonResourceRules\":[{\"verbs\":null,\"nonResourceURLs\":[\"/healthz\"]}],"
              "\"incomplete\":true,\"evaluationError\":\"partial\"}}");
}

static void test_token_request_fields(void **state)
{
    struct enc meta = { .len = 0 }, owner = { .len = 0 }, spec = { .len = 0 };
    struct enc bound = { .len = 0 }, st = { .len = 0 }, raw = { .len = 0 }, body;

    put_str(&owner, 5, "v1");
    put_str(&owner, 1, "Pod");
    put_str(&owner, 3, "p");
    put_str(&owner, 4, "u");
    put_int(&owner, 6, 0); /* *bool present and false: printed */
    put_str(&meta, 2, "gen-");
    put_str(&meta, 5, "uid-x");
    put_str(&meta, 6, "42");
    put_int(&meta, 7, 0);                 /* generation omitempty: dropped */
    put_bytes(&meta, 9, "", 0);           /* *Time present but zero: null */
    put_int(&meta, 10, 0);                /* *int64 present: printed even when 0 */
    put_msg(&meta, 13, &owner);
    put_str(&meta, 14, "f1");
    put_time(&meta, 8, 1709208000, 0);    /* leap day */

    put_str(&spec, 1, "aud");
    put_int(&spec, 4, -5);                /* negative int64: 10-byte varint */
    put_msg(&spec, 3, &bound);            /* present, all empty: {} */
    put_str(&st, 1, "t");
    put_time(&st, 2, 0, 0);               /* seconds 0 is 1970, not the zero time */

    put_msg(&raw, 1, &meta);
    put_msg(&raw, 2, &spec);
    put_msg(&raw, 3, &st);
    envelope(&body, "authentication.k8s.io/v1", "TokenRequest", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\","
              "\"metadata\":{\"generateName\":\"gen-\",\"uid\":\"uid-x\","
              "\"resourceVersion\":\"42\",\"creationTimestamp\":\"2024-02-29T12:00:00Z\","
              "\"deletionTimestamp\":null,\"deletionGracePeriodSeconds\":0,"
              "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\","
              "\"uid\":\"u\",\"controller\":false}],\"finalizers\":[\"f1\"]},"
              "\"spec\":{\"audiences\":[\"aud\"],\"expirationSeconds\":-5,\"boundObjectRef\":{}},"
              "\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"1970-01-01T00:00:00Z\"}}");
}

static void test_times(void **state)
{
    static const struct {
        int64_t seconds;
        const char *json;
    } cases[] = {
        { -1, "\"1969-12-31T23:59:59Z\"" },
        { 951782400, "\"2000-02-29T00:00:00Z\"" },
        { 253402300799, "\"9999-12-31T23:59:59Z\"" },
        { -62135596800, "null" }, /* Go's zero time */
        { -62135596799, "\"0001-01-01T00:00:01Z\"" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct enc st = { .len = 0 }, raw = { .len = 0 }, body;
        char want[512];
        put_time(&st, 2, cases[i].seconds, 0);
        put_msg(&raw, 3, &st);
        envelope(&body, "authentication.k8s.io/v1", "TokenRequest", &raw);
        snprintf(want, sizeof(want),
                 "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\","
                 EMPTY_META ",\"spec\":{\"audiences\":null,\"expirationSeconds\":null,"
                 "\"boundObjectRef\":null},\"status\":{\"token\":\"\","
                 "\"expirationTimestamp\":%s}}",
                 cases[i].json);
        decode_ok(body.buf, body.len, want);
    }
    struct enc st = { .len = 0 }, raw = { .len = 0 }, body;
    put_time(&st, 2, 253402300800, 0);
    put_msg(&raw, 3, &st);
    envelope(&body, "authentication.k8s.io/v1", "TokenRequest", &raw);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "out of range");
}

/* Protobuf merge rules, unknown fields, and field order independence. */
static void test_merge_and_unknown(void **state)
{
    struct enc ra1 = { .len = 0 }, ra2 = { .len = 0 }, spec = { .len = 0 };
    struct enc raw = { .len = 0 }, body, tm = { .len = 0 };
    uint8_t fixed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

    put_str(&ra1, 2, "get");
    put_str(&ra1, 5, "pods");
    put_str(&ra1, 7, "old");
    put_int(&ra1, 99, 12345);           /* unknown varint */
    put_tag(&ra1, 98, 1);               /* unknown fixed64 */
    put_raw(&ra1, fixed, 8);
    put_tag(&ra1, 97, 5);               /* unknown fixed32 */
    put_raw(&ra1, fixed, 4);
    put_str(&ra2, 7, "");               /* later empty value clears the omitempty name */
    put_str(&ra2, 2, "list");           /* last wins */
    put_bytes(&ra2, 96, "\xff\xfe", 2); /* unknown bytes are not checked for UTF-8 */
    put_msg(&spec, 1, &ra1);
    put_msg(&spec, 1, &ra2);            /* repeated singular message: merged */
    put_msg(&raw, 2, &spec);
    put_int(&raw, 50, 7);               /* unknown top-level field */

    /* Build the envelope by hand: fields out of order, typeMeta split in two. */
    body.len = 0;
    put_raw(&body, "k8s\0", 4);
    put_str(&body, 3, "");
    put_msg(&body, 2, &raw);
    put_str(&tm, 2, "SelfSubjectAccessReview");
    put_msg(&body, 1, &tm);
    tm.len = 0;
    put_str(&tm, 1, "authorization.k8s.io/v1");
    put_msg(&body, 1, &tm);
    put_int(&body, 9, 1); /* unknown envelope field */
    decode_ok(body.buf, body.len,
              "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
              EMPTY_META ",\"spec\":{\"resourceAttributes\":{\"verb\":\"list\","
              "\"resource\":\"pods\"}},\"status\":{\"allowed\":false}}");
}

/* ---- errors --------------------------------------------------------------------------- */

static void test_envelope_errors(void **state)
{
    struct enc raw = { .len = 0 }, body;
    decode_err((const uint8_t *)"", 0, AZ_EBADREQUEST, "empty data");
    decode_err((const uint8_t *)"{\"kind\":\"x\"}", 12, AZ_EBADREQUEST,
               "expected prefix [107 56 115 0]");
    decode_err((const uint8_t *)"k8s", 3, AZ_EBADREQUEST, "expected prefix");
    decode_err((const uint8_t *)"k8s\0", 4, AZ_EBADREQUEST, "empty body");

    envelope(&body, "v1", "Pod", &raw);
    decode_err(body.buf, body.len, AZ_EMEDIATYPE,
               "the body of the request was in an unknown format - accepted media types "
               "include: application/json, application/yaml");
    envelope(&body, "authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", &raw);
    decode_err(body.buf, body.len, AZ_EMEDIATYPE, "unknown format");
    envelope(&body, "authorization.k8s.io/v1", "", &raw);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "Object 'Kind' is missing");
    envelope(&body, "", "TokenReview", &raw);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "Object 'apiVersion' is missing");

    /* raw with the wrong wire type */
    body.len = 0;
    put_raw(&body, "k8s\0", 4);
    put_int(&body, 2, 5);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "wrong wireType");

    /* NUL inside kind */
    struct enc tm = { .len = 0 };
    put_bytes(&tm, 2, "Tok\0en", 6);
    body.len = 0;
    put_raw(&body, "k8s\0", 4);
    put_msg(&body, 1, &tm);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "UTF-8");
}

/* Wraps `raw` as a SelfSubjectAccessReview and expects a bad request mentioning `needle`. */
static void ssar_err(const struct enc *raw, const char *needle)
{
    struct enc body;
    envelope(&body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", raw);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, needle);
}

static void test_malformed_raw(void **state)
{
    struct enc raw = { .len = 0 }, spec = { .len = 0 }, ra = { .len = 0 };

    /* wrong wire type for a known field (verb as varint) */
    put_int(&ra, 2, 1);
    put_msg(&spec, 1, &ra);
    put_msg(&raw, 2, &spec);
    ssar_err(&raw, "SelfSubjectAccessReview in version \"v1\" cannot be handled as a "
                   "SelfSubjectAccessReview: proto: wrong wireType");

    /* varint longer than 10 bytes */
    raw.len = 0;
    put_tag(&raw, 99, 0);
    for (int i = 0; i < 11; i++)
        put_raw(&raw, "\xff", 1);
    put_raw(&raw, "\x01", 1);
    ssar_err(&raw, "integer overflow");

    /* truncated varint */
    raw.len = 0;
    put_tag(&raw, 99, 0);
    put_raw(&raw, "\xff", 1);
    ssar_err(&raw, "unexpected EOF");

    /* length beyond the message */
    raw.len = 0;
    put_tag(&raw, 2, 2);
    put_varint(&raw, 1000);
    put_raw(&raw, "ab", 2);
    ssar_err(&raw, "unexpected EOF");

    /* huge length */
    raw.len = 0;
    put_tag(&raw, 2, 2);
    put_varint(&raw, UINT64_MAX);
    ssar_err(&raw, "length");

    /* field number 0 */
    raw.len = 0;
    put_raw(&raw, "\x02\x00", 2);
    ssar_err(&raw, "illegal tag 0");

    /* groups and reserved wire types */
    raw.len = 0;
    put_tag(&raw, 7, 3);
    ssar_err(&raw, "group");
    raw.len = 0;
    put_tag(&raw, 7, 4);
    ssar_err(&raw, "end group");
    raw.len = 0;
    put_tag(&raw, 7, 6);
    ssar_err(&raw, "illegal wireType 6");

    /* truncated fixed64 */
    raw.len = 0;
    put_tag(&raw, 7, 1);
    put_raw(&raw, "1234", 4);
    ssar_err(&raw, "unexpected EOF");

    /* invalid UTF-8 (overlong, surrogate, stray continuation) and NUL in strings */
    static const char *const bad[] = { "\xc0\xaf", "\xed\xa0\x80", "\x80", "a\0b", "\xf4\x90\x80\x80",
                                       "\xe2\x82" };
    static const size_t bad_len[] = { 2, 3, 1, 3, 4, 2 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        raw.len = spec.len = ra.len = 0;
        put_bytes(&ra, 5, bad[i], bad_len[i]);
        put_msg(&spec, 1, &ra);
        put_msg(&raw, 2, &spec);
        ssar_err(&raw, "UTF-8");
    }
    /* valid multi-byte UTF-8 passes */
    {
        struct enc body;
        raw.len = spec.len = ra.len = 0;
        put_str(&ra, 5, "p\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        put_msg(&spec, 1, &ra);
        put_msg(&raw, 2, &spec);
        envelope(&body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
        decode_ok(body.buf, body.len,
                  "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
                  EMPTY_META ",\"spec\":{\"resourceAttributes\":{\"resource\":\"p\\u00e9\\u20ac"
                  "\\ud83d\\ude00\"}},\"status\":{\"allowed\":false}}");
    }

    /* map entry with a non-string key wire type; map key not UTF-8 */
    {
        struct enc meta = { .len = 0 }, entry = { .len = 0 }, body;
        put_int(&entry, 1, 3);
        put_msg(&meta, 11, &entry);
        raw.len = 0;
        put_msg(&raw, 1, &meta);
        ssar_err(&raw, "wrong wireType");
        meta.len = entry.len = 0;
        put_bytes(&entry, 1, "\xff", 1);
        put_msg(&meta, 12, &entry);
        raw.len = 0;
        put_msg(&raw, 1, &meta);
        envelope(&body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
        decode_err(body.buf, body.len, AZ_EBADREQUEST, "key is not valid UTF-8");
    }
}

static void test_limits(void **state)
{
    /* Over the size cap. */
    size_t big = K8S_PROTOBUF_MAX_BODY + 1;
    uint8_t *buf = calloc(1, big);
    assert_non_null(buf);
    memcpy(buf, "k8s\0", 4);
    decode_err(buf, big, AZ_ETOOLARGE, NULL);

    /* Too many values: K8S_PROTOBUF_MAX_ELEMENTS + 1 empty audiences (2 bytes each). */
    size_t n = K8S_PROTOBUF_MAX_ELEMENTS + 1;
    size_t spec_len = 2 * n;
    uint8_t *p = buf;
    struct enc hdr = { .len = 0 }, tm = { .len = 0 };
    put_str(&tm, 1, "authentication.k8s.io/v1");
    put_str(&tm, 2, "TokenRequest");
    put_raw(&hdr, "k8s\0", 4);
    put_msg(&hdr, 1, &tm);
    /* raw = tag(2,2) len(spec) spec ; spec = n x (0x0a 0x00) */
    struct enc lens = { .len = 0 };
    put_tag(&lens, 2, 2);
    put_varint(&lens, spec_len);
    size_t raw_len = lens.len + spec_len;
    put_tag(&hdr, 2, 2);
    put_varint(&hdr, raw_len);
    memcpy(p, hdr.buf, hdr.len);
    p += hdr.len;
    memcpy(p, lens.buf, lens.len);
    p += lens.len;
    for (size_t i = 0; i < n; i++) {
        *p++ = 0x0a;
        *p++ = 0x00;
    }
    decode_err(buf, (size_t)(p - buf), AZ_EBADREQUEST, "more than");

    /* MAX - 1 audiences plus the spec message itself is exactly the cap: accepted. */
    hdr.len = 0;
    lens.len = 0;
    put_raw(&hdr, "k8s\0", 4);
    put_msg(&hdr, 1, &tm);
    put_tag(&lens, 2, 2);
    put_varint(&lens, 2 * (n - 2));
    put_tag(&hdr, 2, 2);
    put_varint(&hdr, lens.len + 2 * (n - 2));
    uint8_t *q = malloc(hdr.len + lens.len + 2 * (n - 2));
    assert_non_null(q);
    memcpy(q, hdr.buf, hdr.len);
    memcpy(q + hdr.len, lens.buf, lens.len);
    for (size_t i = 0; i < n - 2; i++) {
        q[hdr.len + lens.len + 2 * i] = 0x0a;
        q[hdr.len + lens.len + 2 * i + 1] = 0x00;
    }
    json_t *obj = NULL;
    char *err = NULL;
    int rc = k8s_protobuf_decode(q, hdr.len + lens.len + 2 * (n - 2), &obj, &err);
    if (rc != 0)
        fail_msg("rc=%d %s", rc, err);
    json_t *aud = json_object_get(json_object_get(obj, "spec"), "audiences");
    assert_int_equal(json_array_size(aud), n - 2);
    json_decref(obj);
    free(q);
    free(buf);
}

static void test_has_magic(void **state)
{
    assert_true(k8s_protobuf_has_magic((const uint8_t *)"k8s\0\x0a", 5));
    assert_false(k8s_protobuf_has_magic((const uint8_t *)"k8s", 3));
    assert_false(k8s_protobuf_has_magic((const uint8_t *)"{}", 2));
    assert_false(k8s_protobuf_has_magic(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_create_token_duration),
        cmocka_unit_test(test_kubectl_create_token_bound),
        cmocka_unit_test(test_kubectl_can_i),
        cmocka_unit_test(test_kubectl_can_i_list),
        cmocka_unit_test(test_kubectl_whoami),
        cmocka_unit_test(test_kubectl_truncations),
        cmocka_unit_test(test_token_review),
        cmocka_unit_test(test_subject_access_review),
        cmocka_unit_test(test_ssar_empty_and_status),
        cmocka_unit_test(test_rules_review_status),
        cmocka_unit_test(test_token_request_fields),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_merge_and_unknown),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_malformed_raw),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_has_magic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
