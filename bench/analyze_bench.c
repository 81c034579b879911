/* analyze_bench.c — `anzen analyze` on a generated corpus: analysis time and peak RSS for
 * N ServiceAccounts, N RoleBindings and N Pods (default N = 10 000) plus upstream's default
 * roles and bindings. Prints figures; never fails on time.
 *
 *   analyze_bench [-n N]
 *
 * Corpus: 100 namespaces ns0..ns99 (even ones enforce baseline, odd ones have no Pod Security
 * label); in each, Roles pod-creator (create pods), job-runner (create jobs.batch),
 * secret-reader (get secrets) and cm-reader (get configmaps). SA i lives in ns(i % 100); its
 * RoleBinding i binds it to one of the four roles (i % 4) in ns((i + 1) % 100); every 50th SA
 * has a legacy token Secret; every 1000th is bound to cluster-admin. Pod i runs as SA i, every
 * 100th with hostPath, every 3rd with automountServiceAccountToken: false.
 * Figures: the time to parse the corpus as one JSON manifest stream (what `-f` does), the
 * analysis (model, shortest paths, checks), and the process's peak RSS (getrusage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "analyze/analyze.h"
#include "util/buf.h"
#include "util/json.h"

#define NNS 100
#define BENCH_MAX_N 1000000L

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process (less sensitive than wall time to other load on the machine). */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void emit(struct buf *b, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    buf_puts(b, "---\n");
    buf_puts(b, s);
    buf_putc(b, '\n');
    free(s);
    json_decref(o);
}

static void generate(struct buf *b, long n)
{
    static const char *const roles[][3] = {
        {"pod-creator", "", "pods"}, {"job-runner", "batch", "jobs"},
        {"secret-reader", "", "secrets"}, {"cm-reader", "", "configmaps"},
    };
    static const char *const verbs[] = {"create", "create", "get", "get"};
    for (int i = 0; i < NNS; i++) {
        char ns[16];
        snprintf(ns, sizeof(ns), "ns%d", i);
        json_t *nso = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
        if (i % 2 == 0)
            json_object_set_new(json_object_get(nso, "metadata"), "labels",
                                json_pack("{s:s}", "pod-security.kubernetes.io/enforce", "baseline"));
        emit(b, nso);
        for (int r = 0; r < 4; r++)
            emit(b, json_pack("{s:s, s:s, s:{s:s, s:s}, s:[{s:[s], s:[s], s:[s]}]}", "apiVersion",
                              "rbac.authorization.k8s.io/v1", "kind", "Role", "metadata", "name", roles[r][0],
                              "namespace", ns, "rules", "apiGroups", roles[r][1], "resources", roles[r][2], "verbs", verbs[r]));
    }
    for (long i = 0; i < n; i++) {
        char ns[16], ns2[16], sa[32];
        snprintf(ns, sizeof(ns), "ns%ld", i % NNS);
        snprintf(ns2, sizeof(ns2), "ns%ld", (i + 1) % NNS);
        snprintf(sa, sizeof(sa), "sa%ld", i);
        emit(b, json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "ServiceAccount", "metadata",
                          "name", sa, "namespace", ns));
        char bn[40];
        snprintf(bn, sizeof(bn), "rb%ld", i);
        bool admin = i % 1000 == 999;
        emit(b, json_pack("{s:s, s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s}], s:{s:s, s:s, s:s}}", "apiVersion",
                          "rbac.authorization.k8s.io/v1", "kind", "RoleBinding", "metadata", "name", bn, "namespace", ns2,
                          "subjects", "kind", "ServiceAccount", "name", sa, "namespace", ns, "roleRef", "apiGroup",
                          "rbac.authorization.k8s.io", "kind", admin ? "ClusterRole" : "Role", "name",
                          admin ? "cluster-admin" : roles[i % 4][0]));
        if (i % 50 == 0) {
            char sn[48];
            snprintf(sn, sizeof(sn), "%s-token", sa);
            emit(b, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Secret", "type",
                              "kubernetes.io/service-account-token", "metadata", "name", sn, "namespace", ns,
                              "annotations", "kubernetes.io/service-account.name", sa));
        }
        char pn[32];
        snprintf(pn, sizeof(pn), "pod%ld", i);
        json_t *spec = json_pack("{s:s, s:[{s:s, s:s}]}", "serviceAccountName", sa, "containers", "name", "c", "image", "busybox");
        if (i % 100 == 0)
            json_object_set_new(spec, "volumes", json_pack("[{s:s, s:{s:s}}]", "name", "h", "hostPath", "path", "/"));
        if (i % 3 == 0)
            json_object_set_new(spec, "automountServiceAccountToken", json_false());
        emit(b, json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", "name", pn,
                          "namespace", ns, "spec", spec));
    }
}

int main(int argc, char **argv)
{
    long n = 10000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            char *end;
            n = strtol(argv[++i], &end, 10);
            if (*end || n <= 0 || n > BENCH_MAX_N) {
                fprintf(stderr, "analyze_bench: -n must be 1..%ld\n", BENCH_MAX_N);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: analyze_bench [-n N]\n");
            return 2;
        }
    }
    struct buf text = BUF_INIT;
    double t0 = now_ms();
    generate(&text, n);
    double t1 = now_ms();
    struct rusage ru_gen;
    getrusage(RUSAGE_SELF, &ru_gen);
    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    char *err = NULL;
    if (analyze_load_manifest(&inv, text.data, text.len, "corpus.yaml", &err) != 0) {
        fprintf(stderr, "analyze_bench: %s\n", err);
        return 1;
    }
    size_t bytes = text.len;
    buf_release(&text);
    analyze_inventory_add_defaults(&inv);
    struct rusage ru_parsed;
    getrusage(RUSAGE_SELF, &ru_parsed);
    double t2 = now_ms(), c2 = cpu_ms();
    json_t *report = analyze_run(&inv);
    double t3 = now_ms(), c3 = cpu_ms();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    json_t *s = json_object_get(report, "summary"), *g = json_object_get(report, "graph");
    printf("analyze_bench: %ld ServiceAccounts, %ld RoleBindings, %ld Pods, %d namespaces (+ defaults): %zu objects, %.1f MB of manifests\n",
           n, n, n, NNS, inv.n, (double)bytes / 1e6);
    printf("  generate          %8.1f ms\n", t1 - t0);
    printf("  parse manifests   %8.1f ms\n", t2 - t1);
    printf("  analysis          %8.1f ms   (CPU %.1f ms; graph: %lld nodes, %lld edges)\n", t3 - t2, c3 - c2,
           (long long)json_integer_value(json_object_get(g, "nodes")), (long long)json_integer_value(json_object_get(g, "edges")));
    printf("  parse + analysis  %8.1f ms\n", t3 - t1);
    printf("  findings          %zu (critical %lld, high %lld, medium %lld, low %lld)\n",
           json_array_size(json_object_get(report, "findings")),
           (long long)json_integer_value(json_object_get(s, "critical")), (long long)json_integer_value(json_object_get(s, "high")),
           (long long)json_integer_value(json_object_get(s, "medium")), (long long)json_integer_value(json_object_get(s, "low")));
    printf("  peak RSS          %8.1f MB   (%.1f MB after generating, %.1f MB after parsing)\n",
           (double)ru.ru_maxrss / 1024.0, (double)ru_gen.ru_maxrss / 1024.0, (double)ru_parsed.ru_maxrss / 1024.0);
    json_decref(report);
    analyze_inventory_release(&inv);
    return 0;
}
