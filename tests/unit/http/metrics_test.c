/* metrics_test.c — src/http/metrics.c counted from several request threads at once: every
 * observation is in the counters exactly once, and a /metrics rendering taken meanwhile is
 * self-consistent (cumulative buckets, +Inf equal to _count). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../../src/http/metrics.c"

#define THREADS 4
#define PER_THREAD 20000

static const char *const verbs[] = {"get", "list", "create"};
static const int codes[] = {200, 200, 201};

static void *observe(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        int v = (i + t) % 3;
        struct audit_attrs a = {.verb = verbs[v], .is_resource = true, .group = "",
                                .version = "v1", .resource = "configmaps", .subresource = "",
                                .ns = "default", .name = v == 0 ? "cm" : "", .path = ""};
        struct metrics_request r = {.attrs = &a, .code = codes[v],
                                    .seconds = (double)(i % 7) * 0.01,
                                    .authn_result = "success", .authz_decision = "allowed"};
        metrics_inflight(v == 2, 1);
        metrics_observe_request(&r);
        metrics_sa_token(i % 4 == 0);
        metrics_inflight(v == 2, -1);
    }
    return NULL;
}

/* The value of the line starting with prefix (a full series name with labels), or -1. */
static long long value_of(const char *text, const char *prefix)
{
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix)) == 0 && p[strlen(prefix)] == ' ')
            return strtoll(p + strlen(prefix) + 1, NULL, 10);
    }
    return -1;
}

/* Every histogram in text: buckets non-decreasing and +Inf == _count. Returns violations. */
static int histogram_violations(const char *text)
{
    int bad = 0;
    unsigned long long prev = 0;
    const char *p = text;
    while ((p = strstr(p, "apiserver_request_duration_seconds_bucket{")) != NULL) {
        const char *sp = strchr(p, ' ');
        unsigned long long v = strtoull(sp + 1, NULL, 10);
        bool inf = strstr(p, "le=\"+Inf\"") != NULL && strstr(p, "le=\"+Inf\"") < sp;
        bool first = strstr(p, "le=\"0.005\"") != NULL && strstr(p, "le=\"0.005\"") < sp;
        if (!first && v < prev)
            bad++;
        prev = v;
        if (inf) {
            const char *c = strstr(sp, "apiserver_request_duration_seconds_count{");
            if (c == NULL || strtoull(strchr(c, ' ') + 1, NULL, 10) != v)
                bad++;
        }
        p = sp;
    }
    return bad;
}

static volatile int stop_render; /* written before join only; read by the renderer */
static int render_bad;

static void *render_loop(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_render, __ATOMIC_ACQUIRE)) {
        struct buf b = BUF_INIT;
        render_requests(&b);
        render_bad += histogram_violations(b.data);
        buf_release(&b);
    }
    return NULL;
}

static void test_counts_add_up_from_threads(void **state)
{
    (void)state;
    pthread_t t[THREADS], r;
    assert_int_equal(pthread_create(&r, NULL, render_loop, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, observe, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    __atomic_store_n(&stop_render, 1, __ATOMIC_RELEASE);
    pthread_join(r, NULL);
    assert_int_equal(render_bad, 0);

    struct buf b = BUF_INIT;
    render_requests(&b);
    const char *m = b.data;
    long long total = 0;
    static const char *const sel[] = {"GET", "LIST", "POST"};
    static const char *const scope[] = {"resource", "namespace", "resource"}; /* create: resource */
    for (int v = 0; v < 3; v++) {
        char name[512];
        snprintf(name, sizeof(name),
                 "apiserver_request_total{code=\"%d\",component=\"apiserver\",dry_run=\"\",group=\"\","
                 "resource=\"configmaps\",scope=\"%s\",subresource=\"\",verb=\"%s\",version=\"v1\"}",
                 codes[v], scope[v], sel[v]);
        long long n = value_of(m, name);
        assert_true(n > 0);
        total += n;
        snprintf(name, sizeof(name),
                 "apiserver_request_duration_seconds_count{component=\"apiserver\",dry_run=\"\",group=\"\","
                 "resource=\"configmaps\",scope=\"%s\",subresource=\"\",verb=\"%s\",version=\"v1\"}",
                 scope[v], sel[v]);
        assert_int_equal(value_of(m, name), n);
    }
    assert_int_equal(total, (long long)THREADS * PER_THREAD);
    assert_int_equal(value_of(m, "authentication_attempts{result=\"success\"}"), (long long)THREADS * PER_THREAD);
    assert_int_equal(value_of(m, "apiserver_authorization_decisions_total{decision=\"allowed\",name=\"rbac\",type=\"RBAC\"}"),
                     (long long)THREADS * PER_THREAD);
    assert_int_equal(value_of(m, "serviceaccount_stale_tokens_total"), (long long)THREADS * PER_THREAD / 4);
    assert_int_equal(value_of(m, "serviceaccount_valid_tokens_total"), (long long)THREADS * PER_THREAD * 3 / 4);
    assert_int_equal(value_of(m, "apiserver_current_inflight_requests{request_kind=\"mutating\"}"), 0);
    assert_int_equal(value_of(m, "apiserver_current_inflight_requests{request_kind=\"readOnly\"}"), 0);
    assert_int_equal(value_of(m, "anzen_metrics_dropped_series_total"), 0);
    assert_int_equal(histogram_violations(m), 0);
    buf_release(&b);
}

/* A self-defence refusal (429) is in apiserver_request_total and, with upstream's labels (no
 * dry_run), in apiserver_request_terminations_total; a failed authentication only in
 * authentication_attempts. */
static void test_terminations_and_authn_failures(void **state)
{
    (void)state;
    struct audit_attrs a = {.verb = "create", .is_resource = true, .group = "", .version = "v1",
                            .resource = "configmaps", .subresource = "", .ns = "lab", .name = "", .path = ""};
    struct metrics_request r = {.attrs = &a, .code = 429, .authn_result = "success", .terminated = true};
    metrics_observe_request(&r);
    metrics_observe_request(&r);
    struct metrics_request f = {.attrs = &a, .code = 401, .authn_result = "failure"};
    struct buf b = BUF_INIT;
    render_requests(&b);
    long long fail0 = value_of(b.data, "authentication_attempts{result=\"failure\"}");
    buf_release(&b);
    metrics_observe_request(&f);
    render_requests(&b);
    const char *m = b.data;
    assert_int_equal(value_of(m, "apiserver_request_terminations_total{code=\"429\",component=\"apiserver\",group=\"\","
                                 "resource=\"configmaps\",scope=\"resource\",subresource=\"\",verb=\"POST\",version=\"v1\"}"), 2);
    assert_int_equal(value_of(m, "apiserver_request_total{code=\"429\",component=\"apiserver\",dry_run=\"\",group=\"\","
                                 "resource=\"configmaps\",scope=\"resource\",subresource=\"\",verb=\"POST\",version=\"v1\"}"), 2);
    assert_null(strstr(m, "code=\"401\""));
    assert_int_equal(value_of(m, "authentication_attempts{result=\"failure\"}"), fail0 + 1);
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_add_up_from_threads),
        cmocka_unit_test(test_terminations_and_authn_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
