/* protobuf_test.c — tests for src/api/protobuf.c (Kubernetes protobuf body -> JSON).
 *
 * Two kinds of input:
 *  - bodies captured from real kubectl v1.32 (tests/unit/machinery/protobuf_data/, see its
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

#include "machinery/protobuf.h"
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
    snprintf(path, sizeof(path), "%s/tests/unit/machinery/protobuf_data/%s", src ? src : ".", name);
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


/* ---- kubectl create: typed objects ---------------------------------------------------- *
 * Each expected JSON is what the same kubectl 1.32 printed for the same command with
 * --dry-run=client -o json (Go's encoding/json of the object it would have sent), so the
 * oracle is upstream's own encoder, not this decoder. */

static void test_kubectl_create_namespace(void **state)
{
    /* kubectl create namespace x */
    capture_ok("kubectl_create_namespace.bin",
               "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"creationT"
               "imestamp\":null},\"spec\":{},\"status\":{}}");
}

static void test_kubectl_create_sa(void **state)
{
    /* kubectl create sa x -n lab */
    capture_ok("kubectl_create_sa.bin",
               "{\"kind\":\"ServiceAccount\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"name"
               "space\":\"lab\",\"creationTimestamp\":null}}");
}

static void test_kubectl_create_configmap(void **state)
{
    /* kubectl create configmap x --from-literal=a=b */
    capture_ok("kubectl_create_configmap.bin",
               "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"creationT"
               "imestamp\":null},\"data\":{\"a\":\"b\"}}");
}

static void test_kubectl_create_secret(void **state)
{
    /* kubectl create secret generic x --from-literal=a=b */
    capture_ok("kubectl_create_secret.bin",
               "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"creationTime"
               "stamp\":null},\"data\":{\"a\":\"Yg==\"}}");
}

static void test_kubectl_create_role(void **state)
{
    /* kubectl create role x --verb=get --resource=pods */
    capture_ok("kubectl_create_role.bin",
               "{\"kind\":\"Role\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"nam"
               "e\":\"x\",\"creationTimestamp\":null},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\""
               "\"],\"resources\":[\"pods\"]}]}");
}

static void test_kubectl_create_clusterrole(void **state)
{
    /* kubectl create clusterrole x --verb=get --resource=pods */
    capture_ok("kubectl_create_clusterrole.bin",
               "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\""
               ":{\"name\":\"x\",\"creationTimestamp\":null},\"rules\":[{\"verbs\":[\"get\"],\"apiGrou"
               "ps\":[\"\"],\"resources\":[\"pods\"]}]}");
}

static void test_kubectl_create_rolebinding(void **state)
{
    /* kubectl create rolebinding x --role=r --serviceaccount=lab:sa --user=u --group=g */
    capture_ok("kubectl_create_rolebinding.bin",
               "{\"kind\":\"RoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\""
               ":{\"name\":\"x\",\"creationTimestamp\":null},\"subjects\":[{\"kind\":\"User\",\"apiGro"
               "up\":\"rbac.authorization.k8s.io\",\"name\":\"u\"},{\"kind\":\"Group\",\"apiGroup\":\""
               "rbac.authorization.k8s.io\",\"name\":\"g\"},{\"kind\":\"ServiceAccount\",\"name\":\"sa"
               "\",\"namespace\":\"lab\"}],\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"k"
               "ind\":\"Role\",\"name\":\"r\"}}");
}

static void test_kubectl_create_clusterrolebinding(void **state)
{
    /* kubectl create clusterrolebinding x --clusterrole=r --user=u */
    capture_ok("kubectl_create_clusterrolebinding.bin",
               "{\"kind\":\"ClusterRoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"met"
               "adata\":{\"name\":\"x\",\"creationTimestamp\":null},\"subjects\":[{\"kind\":\"User\",\""
               "apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"u\"}],\"roleRef\":{\"apiGroup\":\""
               "rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"r\"}}");
}

static void test_kubectl_create_job(void **state)
{
    /* kubectl create job x --image=alpine -- sleep 1 */
    capture_ok("kubectl_create_job.bin",
               "{\"kind\":\"Job\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"x\",\"creationT"
               "imestamp\":null},\"spec\":{\"template\":{\"metadata\":{\"creationTimestamp\":null},\"s"
               "pec\":{\"containers\":[{\"name\":\"x\",\"image\":\"alpine\",\"command\":[\"sleep\",\"1"
               "\"],\"resources\":{}}],\"restartPolicy\":\"Never\"}}},\"status\":{}}");
}

static void test_kubectl_create_deployment(void **state)
{
    /* kubectl create deployment d --image=nginx */
    capture_ok("kubectl_create_deployment.bin",
               "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"d\",\"cre"
               "ationTimestamp\":null,\"labels\":{\"app\":\"d\"}},\"spec\":{\"replicas\":1,\"selector\""
               ":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":{\"creationTimestamp\":n"
               "ull,\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\""
               ":\"nginx\",\"resources\":{}}]}},\"strategy\":{}},\"status\":{}}");
}

static void test_kubectl_create_cronjob(void **state)
{
    /* kubectl create cronjob cj --image=busybox --schedule="*\/1 * * * *" */
    capture_ok("kubectl_create_cronjob.bin",
               "{\"kind\":\"CronJob\",\"apiVersion\":\"batch/v1\",\"metadata\":{\"name\":\"cj\",\"crea"
               "tionTimestamp\":null},\"spec\":{\"schedule\":\"*/1 * * * *\",\"jobTemplate\":{\"metada"
               "ta\":{\"name\":\"cj\",\"creationTimestamp\":null},\"spec\":{\"template\":{\"metadata\""
               ":{\"creationTimestamp\":null},\"spec\":{\"containers\":[{\"name\":\"cj\",\"image\":\"b"
               "usybox\",\"resources\":{}}],\"restartPolicy\":\"OnFailure\"}}}}},\"status\":{}}");
}


/* A Pod exercising the PodSpec value types: inline embedded structs (Volume/VolumeSource,
 * ConfigMapVolumeSource.name, Probe handler), Quantity (message {1 string}) in maps and as a
 * pointer, IntOrString, int32 sign extension, packed repeated int64, pointer vs omitempty.
 * Expected JSON written from the core/v1 Go JSON tags. */
static void test_pod_spec(void **state)
{
    struct enc meta = { .len = 0 }, spec = { .len = 0 }, c = { .len = 0 }, raw = { .len = 0 };
    struct enc tmp = { .len = 0 }, tmp2 = { .len = 0 }, tmp3 = { .len = 0 }, body;

    put_str(&meta, 1, "web");
    put_str(&meta, 3, "lab");
    put_map_str(&meta, 11, "app", "web");

    /* container */
    put_str(&c, 1, "app");
    put_str(&c, 2, "nginx:1");
    put_str(&c, 4, "-v");
    tmp.len = 0; /* ports: containerPort 80, protocol TCP, hostPort 0 (omitempty) */
    put_str(&tmp, 1, "http");
    put_int(&tmp, 2, 0);
    put_int(&tmp, 3, 80);
    put_str(&tmp, 4, "TCP");
    put_msg(&c, 6, &tmp);
    tmp.len = 0; /* env A=B */
    put_str(&tmp, 1, "A");
    put_str(&tmp, 2, "B");
    put_msg(&c, 7, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* env from secretKeyRef {name s, key k} */
    put_str(&tmp3, 1, "s");
    put_msg(&tmp2, 1, &tmp3);
    put_str(&tmp2, 2, "k");
    tmp3.len = 0;
    put_msg(&tmp3, 4, &tmp2);
    put_str(&tmp, 1, "TOKEN");
    put_msg(&tmp, 3, &tmp3);
    put_msg(&c, 7, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* resources: limits cpu 500m, requests memory 64Mi */
    put_str(&tmp3, 1, "500m");
    put_str(&tmp2, 1, "cpu");
    put_msg(&tmp2, 2, &tmp3);
    put_msg(&tmp, 1, &tmp2);
    tmp2.len = tmp3.len = 0;
    put_str(&tmp3, 1, "64Mi");
    put_str(&tmp2, 1, "memory");
    put_msg(&tmp2, 2, &tmp3);
    put_msg(&tmp, 2, &tmp2);
    put_msg(&c, 8, &tmp);
    tmp.len = 0; /* volumeMount */
    put_str(&tmp, 1, "cfg");
    put_int(&tmp, 2, 1);
    put_str(&tmp, 3, "/etc/cfg");
    put_msg(&c, 9, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* livenessProbe httpGet port "http", period 10 */
    put_str(&tmp3, 1, "/healthz");
    {
        struct enc ios = { .len = 0 };
        put_int(&ios, 1, 1);
        put_str(&ios, 3, "http");
        put_msg(&tmp3, 2, &ios);
    }
    put_msg(&tmp2, 2, &tmp3);
    put_msg(&tmp, 1, &tmp2);
    put_int(&tmp, 4, 10);
    put_int(&tmp, 2, 0); /* initialDelaySeconds 0: omitempty */
    put_msg(&c, 10, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* readinessProbe tcpSocket port 8080 (int) */
    {
        struct enc ios = { .len = 0 };
        put_int(&ios, 2, 8080);
        put_msg(&tmp3, 1, &ios);
    }
    put_msg(&tmp2, 3, &tmp3);
    put_msg(&tmp, 1, &tmp2);
    put_msg(&c, 11, &tmp);
    tmp.len = tmp2.len = 0; /* securityContext: runAsUser 1000, drop ALL, privileged false */
    put_int(&tmp, 4, 1000);
    put_str(&tmp2, 2, "ALL");
    put_msg(&tmp, 1, &tmp2);
    put_int(&tmp, 2, 0);
    put_msg(&c, 15, &tmp);
    put_msg(&spec, 2, &c);

    /* init container: only a name */
    c.len = 0;
    put_str(&c, 1, "init");
    put_msg(&spec, 20, &c);

    /* volumes */
    tmp.len = tmp2.len = tmp3.len = 0; /* configMap volume: name via inline LocalObjectReference */
    put_str(&tmp3, 1, "app-config");
    put_msg(&tmp2, 1, &tmp3);
    put_int(&tmp2, 3, 0644);
    put_str(&tmp, 1, "cfg");
    put_msg(&tmp, 2, &(struct enc){ .len = 0 }); /* empty VolumeSource first: merges */
    tmp3.len = 0;
    put_msg(&tmp3, 19, &tmp2);
    put_msg(&tmp, 2, &tmp3);
    put_msg(&spec, 1, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* emptyDir with sizeLimit */
    {
        struct enc q = { .len = 0 };
        put_str(&q, 1, "1Gi");
        put_str(&tmp2, 1, "Memory");
        put_msg(&tmp2, 2, &q);
    }
    put_msg(&tmp3, 2, &tmp2);
    put_str(&tmp, 1, "scratch");
    put_msg(&tmp, 2, &tmp3);
    put_msg(&spec, 1, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* hostPath */
    put_str(&tmp2, 1, "/var/log");
    put_msg(&tmp3, 1, &tmp2);
    put_str(&tmp, 1, "logs");
    put_msg(&tmp, 2, &tmp3);
    put_msg(&spec, 1, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* projected: serviceAccountToken + configMap items */
    {
        struct enc sat = { .len = 0 }, proj1 = { .len = 0 }, cmp = { .len = 0 };
        struct enc kp = { .len = 0 }, lor = { .len = 0 }, proj2 = { .len = 0 };
        put_int(&sat, 2, 3607);
        put_str(&sat, 3, "token");
        put_msg(&proj1, 4, &sat);
        put_str(&lor, 1, "kube-root-ca.crt");
        put_msg(&cmp, 1, &lor);
        put_str(&kp, 1, "ca.crt");
        put_str(&kp, 2, "ca.crt");
        put_msg(&cmp, 2, &kp);
        put_msg(&proj2, 3, &cmp);
        put_msg(&tmp2, 1, &proj1);
        put_msg(&tmp2, 1, &proj2);
        put_int(&tmp2, 2, 420);
    }
    put_msg(&tmp3, 26, &tmp2);
    put_str(&tmp, 1, "kube-api-access");
    put_msg(&tmp, 2, &tmp3);
    put_msg(&spec, 1, &tmp);

    put_str(&spec, 3, "Always");
    put_int(&spec, 4, 30);
    put_str(&spec, 8, "builder");
    put_int(&spec, 21, 0); /* *bool false: printed */
    put_int(&spec, 11, 0); /* bool false, omitempty: absent */
    put_int(&spec, 25, -1); /* *int32 -1 as a 10-byte varint */
    tmp.len = tmp2.len = 0; /* pod securityContext: packed supplementalGroups [1, 2, 300] */
    put_raw(&tmp2, "\x01\x02\xac\x02", 4);
    put_bytes(&tmp, 4, tmp2.buf, tmp2.len);
    put_int(&tmp, 4, 7); /* plus one unpacked element */
    put_int(&tmp, 5, 2000);
    put_msg(&spec, 14, &tmp);
    tmp.len = 0; /* toleration */
    put_str(&tmp, 1, "node.kubernetes.io/not-ready");
    put_str(&tmp, 2, "Exists");
    put_str(&tmp, 4, "NoExecute");
    put_int(&tmp, 5, 300);
    put_msg(&spec, 22, &tmp);
    tmp.len = tmp2.len = tmp3.len = 0; /* nodeAffinity required term */
    {
        struct enc req = { .len = 0 }, term = { .len = 0 }, ns = { .len = 0 };
        put_str(&req, 1, "zone");
        put_str(&req, 2, "In");
        put_str(&req, 3, "a");
        put_msg(&term, 1, &req);
        put_msg(&ns, 1, &term);
        put_msg(&tmp2, 1, &ns);
    }
    put_msg(&tmp, 1, &tmp2);
    put_msg(&spec, 18, &tmp);

    put_msg(&raw, 1, &meta);
    put_msg(&raw, 2, &spec);
    envelope(&body, "v1", "Pod", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
              "\"metadata\":{\"name\":\"web\",\"namespace\":\"lab\",\"creationTimestamp\":null,"
              "\"labels\":{\"app\":\"web\"}},"
              "\"spec\":{"
              "\"volumes\":["
              "{\"name\":\"cfg\",\"configMap\":{\"name\":\"app-config\",\"defaultMode\":420}},"
              "{\"name\":\"scratch\",\"emptyDir\":{\"medium\":\"Memory\",\"sizeLimit\":\"1Gi\"}},"
              "{\"name\":\"logs\",\"hostPath\":{\"path\":\"/var/log\"}},"
              "{\"name\":\"kube-api-access\",\"projected\":{\"sources\":["
              "{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"
              "{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\","
              "\"path\":\"ca.crt\"}]}}],\"defaultMode\":420}}],"
              "\"initContainers\":[{\"name\":\"init\",\"resources\":{}}],"
              "\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1\",\"args\":[\"-v\"],"
              "\"ports\":[{\"name\":\"http\",\"containerPort\":80,\"protocol\":\"TCP\"}],"
              "\"env\":[{\"name\":\"A\",\"value\":\"B\"},{\"name\":\"TOKEN\",\"valueFrom\":"
              "{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}}],"
              "\"resources\":{\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"memory\":\"64Mi\"}},"
              "\"volumeMounts\":[{\"name\":\"cfg\",\"readOnly\":true,\"mountPath\":\"/etc/cfg\"}],"
              "\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port\":\"http\"},"
              "\"periodSeconds\":10},"
              "\"readinessProbe\":{\"tcpSocket\":{\"port\":8080}},"
              "\"securityContext\":{\"capabilities\":{\"drop\":[\"ALL\"]},\"privileged\":false,"
              "\"runAsUser\":1000}}],"
              "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,"
              "\"serviceAccountName\":\"builder\",\"automountServiceAccountToken\":false,"
              "\"securityContext\":{\"supplementalGroups\":[1,2,300,7],\"fsGroup\":2000},"
              "\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
              "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
              "\"values\":[\"a\"]}]}]}}},"
              "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
              "\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],"
              "\"priority\":-1},"
              "\"status\":{}}");

    /* Empty pod: spec.containers is a nil slice without omitempty -> null. */
    raw.len = 0;
    envelope(&body, "v1", "Pod", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"," EMPTY_META
              ",\"spec\":{\"containers\":null},\"status\":{}}");
}

/* Secret/ConfigMap bytes maps (base64 with padding), ClusterRole aggregationRule, Lease
 * MicroTime, Event and Node value types. */
static void test_other_kinds(void **state)
{
    struct enc raw = { .len = 0 }, tmp = { .len = 0 }, tmp2 = { .len = 0 }, body;

    put_bytes(&tmp, 1, "k1", 2);
    put_bytes(&tmp, 2, "\x00\xff\xfe\x01", 4);
    put_msg(&raw, 2, &tmp);
    tmp.len = 0;
    put_str(&tmp, 1, "k2");
    put_bytes(&tmp, 2, "ab", 2);
    put_msg(&raw, 2, &tmp);
    tmp.len = 0;
    put_str(&tmp, 1, "k3"); /* no value: empty */
    put_msg(&raw, 2, &tmp);
    put_map_str(&raw, 4, "plain", "text");
    put_str(&raw, 3, "Opaque");
    put_int(&raw, 5, 1);
    envelope(&body, "v1", "Secret", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Secret\",\"apiVersion\":\"v1\"," EMPTY_META ",\"immutable\":true,"
              "\"data\":{\"k1\":\"AP/+AQ==\",\"k2\":\"YWI=\",\"k3\":\"\"},"
              "\"stringData\":{\"plain\":\"text\"},\"type\":\"Opaque\"}");

    raw.len = tmp.len = 0;
    put_str(&tmp, 1, "bin");
    put_bytes(&tmp, 2, "xyz", 3);
    put_msg(&raw, 3, &tmp);
    envelope(&body, "v1", "ConfigMap", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\"," EMPTY_META
              ",\"binaryData\":{\"bin\":\"eHl6\"}}");

    /* ClusterRole with an aggregationRule and no rules: rules is null (no omitempty). */
    raw.len = tmp.len = tmp2.len = 0;
    put_map_str(&tmp2, 1, "rbac.example.com/aggregate-to-view", "true");
    put_msg(&tmp, 1, &tmp2);
    put_msg(&raw, 3, &tmp);
    envelope(&body, "rbac.authorization.k8s.io/v1", "ClusterRole", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
              EMPTY_META ",\"rules\":null,\"aggregationRule\":{\"clusterRoleSelectors\":["
              "{\"matchLabels\":{\"rbac.example.com/aggregate-to-view\":\"true\"}}]}}");

    /* Lease: MicroTime keeps microseconds (nanos truncated). */
    raw.len = tmp.len = tmp2.len = 0;
    put_str(&tmp, 1, "node-1");
    put_int(&tmp, 2, 40);
    put_time(&tmp2, 0, 0, 0); /* placeholder, replaced below */
    tmp2.len = 0;
    put_int(&tmp2, 1, 1700000000);
    put_int(&tmp2, 2, 123456789);
    put_msg(&tmp, 4, &tmp2);
    put_bytes(&tmp, 3, "", 0); /* *MicroTime present but zero: null */
    put_msg(&raw, 2, &tmp);
    envelope(&body, "coordination.k8s.io/v1", "Lease", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\"," EMPTY_META
              ",\"spec\":{\"holderIdentity\":\"node-1\",\"leaseDurationSeconds\":40,"
              "\"acquireTime\":null,\"renewTime\":\"2023-11-14T22:13:20.123456Z\"}}");

    /* Event: struct times print null when absent; reportingComponent has no omitempty. */
    raw.len = tmp.len = 0;
    put_str(&tmp, 1, "Pod");
    put_str(&tmp, 3, "web");
    put_msg(&raw, 2, &tmp);
    put_str(&raw, 3, "Started");
    put_int(&raw, 8, 2);
    envelope(&body, "v1", "Event", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Event\",\"apiVersion\":\"v1\"," EMPTY_META
              ",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web\"},\"reason\":\"Started\","
              "\"source\":{},\"firstTimestamp\":null,\"lastTimestamp\":null,\"count\":2,"
              "\"eventTime\":null,\"reportingComponent\":\"\",\"reportingInstance\":\"\"}");

    /* Node: quantity map (entry without value is the zero Quantity "0"), taints. */
    raw.len = tmp.len = tmp2.len = 0;
    {
        struct enc e = { .len = 0 }, q = { .len = 0 }, spec = { .len = 0 }, t = { .len = 0 };
        put_str(&q, 1, "4");
        put_str(&e, 1, "cpu");
        put_msg(&e, 2, &q);
        put_msg(&tmp, 1, &e);
        e.len = 0;
        put_str(&e, 1, "pods");
        put_msg(&tmp, 1, &e);
        put_str(&t, 1, "k");
        put_str(&t, 3, "NoSchedule");
        put_msg(&spec, 5, &t);
        put_int(&spec, 4, 1);
        put_msg(&raw, 2, &spec);
        put_msg(&raw, 3, &tmp);
    }
    envelope(&body, "v1", "Node", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Node\",\"apiVersion\":\"v1\"," EMPTY_META
              ",\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"k\","
              "\"effect\":\"NoSchedule\"}]},"
              "\"status\":{\"capacity\":{\"cpu\":\"4\",\"pods\":\"0\"},\"daemonEndpoints\":"
              "{\"kubeletEndpoint\":{\"Port\":0}},\"nodeInfo\":{\"machineID\":\"\","
              "\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"\",\"osImage\":\"\","
              "\"containerRuntimeVersion\":\"\",\"kubeletVersion\":\"\","
              "\"kubeProxyVersion\":\"\",\"operatingSystem\":\"\",\"architecture\":\"\"}}}");

    /* Wrong wire type inside an IntOrString and an over-long Quantity are bad requests. */
    raw.len = tmp.len = 0;
    {
        struct enc spec = { .len = 0 }, strat = { .len = 0 }, ru = { .len = 0 };
        put_str(&tmp, 2, "x"); /* intVal as bytes */
        put_msg(&ru, 1, &tmp);
        put_msg(&strat, 2, &ru);
        put_msg(&spec, 4, &strat);
        put_msg(&raw, 2, &spec);
    }
    envelope(&body, "apps/v1", "Deployment", &raw);
    decode_err(body.buf, body.len, AZ_EBADREQUEST, "wrong wireType = 2 for field IntVal");
}

/* Every truncation of a real body either decodes (cut at a field boundary of the outer
 * envelope) or fails as a bad request; never anything else. */
/* DeleteOptions (kubectl drain --disable-eviction, as "v1") and policy/v1 Eviction (drain). */
static void test_delete_options_eviction(void **state)
{
    struct enc raw = { .len = 0 }, tmp = { .len = 0 }, opts = { .len = 0 }, body;
    (void)state;

    put_int(&opts, 1, 30);
    put_str(&tmp, 1, "uid-1");
    put_msg(&opts, 2, &tmp);
    put_str(&opts, 4, "Foreground");
    put_str(&opts, 5, "All");
    envelope(&body, "v1", "DeleteOptions", &opts);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":30,"
              "\"preconditions\":{\"uid\":\"uid-1\"},\"propagationPolicy\":\"Foreground\","
              "\"dryRun\":[\"All\"]}");
    /* a zero grace period is kept (pointer field) */
    raw.len = 0;
    put_int(&raw, 1, 0);
    put_int(&raw, 3, 1);
    envelope(&body, "meta.k8s.io/v1", "DeleteOptions", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"meta.k8s.io/v1\","
              "\"gracePeriodSeconds\":0,\"orphanDependents\":true}");
    tmp.len = 0;
    envelope(&body, "v1", "DeleteOptions", &tmp);
    decode_ok(body.buf, body.len, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\"}");

    raw.len = tmp.len = 0;
    put_str(&tmp, 1, "p1");
    put_str(&tmp, 3, "default");
    put_msg(&raw, 1, &tmp);
    put_msg(&raw, 2, &opts);
    envelope(&body, "policy/v1", "Eviction", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\",\"metadata\":{\"name\":\"p1\","
              "\"namespace\":\"default\",\"creationTimestamp\":null},\"deleteOptions\":{"
              "\"gracePeriodSeconds\":30,\"preconditions\":{\"uid\":\"uid-1\"},"
              "\"propagationPolicy\":\"Foreground\",\"dryRun\":[\"All\"]}}");
    /* without deleteOptions (kubectl drain without --grace-period): absent */
    raw.len = 0;
    put_msg(&raw, 1, &tmp);
    envelope(&body, "policy/v1", "Eviction", &raw);
    decode_ok(body.buf, body.len,
              "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\",\"metadata\":{\"name\":\"p1\","
              "\"namespace\":\"default\",\"creationTimestamp\":null}}");
}

static void test_kubectl_truncations(void **state)
{
    static const char *const names[] = { "kubectl_create_token_bound.bin",
                                         "kubectl_can_i_create_pods_exec.bin",
                                         "kubectl_can_i_list.bin", "kubectl_auth_whoami.bin",
                                         "kubectl_create_job.bin",
                                         "kubectl_create_rolebinding.bin" };
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

    envelope(&body, "v1", "Service", &raw); /* not decoded (yet): 415 */
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
        cmocka_unit_test(test_kubectl_create_namespace),
        cmocka_unit_test(test_kubectl_create_sa),
        cmocka_unit_test(test_kubectl_create_configmap),
        cmocka_unit_test(test_kubectl_create_secret),
        cmocka_unit_test(test_kubectl_create_role),
        cmocka_unit_test(test_kubectl_create_clusterrole),
        cmocka_unit_test(test_kubectl_create_rolebinding),
        cmocka_unit_test(test_kubectl_create_clusterrolebinding),
        cmocka_unit_test(test_kubectl_create_job),
        cmocka_unit_test(test_kubectl_create_deployment),
        cmocka_unit_test(test_kubectl_create_cronjob),
        cmocka_unit_test(test_pod_spec),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_delete_options_eviction),
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
