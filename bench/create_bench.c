/* create_bench.c — the CPU of one durable create below HTTP (issue 10): the registry's create
 * path (decode, type checks, defaults, managedFields, NamespaceLifecycle, admission, validation,
 * encoding), the SQLite group commit and the object cache's insert, stage by stage, on the
 * ConfigMap api_bench posts. Prints CPU microseconds per operation; never passes or fails.
 *
 *   create_bench [N]    N creates (default 2000) into a fresh SQLite file in $TMPDIR or /tmp
 *
 * Stage figures are the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over N runs of
 * that stage alone. "rest_create, whole" is the process's CPU time (every thread: the SQLite
 * writer, fsync's system time) over N sequential creates, each waiting for its commit; the
 * HTTP/TLS side and the hand-off between threads under 64 clients are not in it (api_bench
 * measures those, docs/bench.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../tests/unit/test_store.h"
#include "machinery/patch.h"
#include "registry/apply.h"
#include "registry/loopback.h"
#include "registry/resource.h"
#include "util/json.h"

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double process_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(const char *what, long n, double cpu)
{
    printf("%-44s %8ld ops %10.1f us CPU/op\n", what, n, n > 0 ? cpu * 1e6 / (double)n : 0.0);
}

static size_t body_of(char *buf, size_t n, long i)
{
    return (size_t)snprintf(buf, n,
                            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                            "\"bench-%07ld\",\"labels\":{\"app\":\"bench\"}},"
                            "\"data\":{\"greeting\":\"hello\",\"index\":\"%ld\"}}",
                            i, i);
}

static struct api_call call_for(struct apiserver *srv, const char *kind, const char *ns)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind("", kind), .ns = ns,
                         .user = apiserver_loopback_user(), .field_manager = "create_bench",
                         .validation = FIELD_VALIDATION_STRICT};
    return c;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    if (n < 1 || n > 1000000) {
        fprintf(stderr, "usage: create_bench [N]   (1 <= N <= 1000000)\n");
        return 2;
    }
    struct test_store ts;
    struct apiserver srv;
    memset(&srv, 0, sizeof(srv));
    if (test_store_open(&ts, &srv, "create-bench") != 0) {
        fprintf(stderr, "create_bench: cannot open a SQLite store under /tmp\n");
        return 1;
    }
    srv.defer = test_store_no_defer;
    struct api_call c = call_for(&srv, "Namespace", NULL);
    json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", "bench");
    json_t *res = NULL, *st = NULL;
    int code = 0;
    if (rest_create(&c, ns, &res, &code, &st) != 0) {
        fprintf(stderr, "create_bench: creating the namespace failed\n");
        return 1;
    }
    json_decref(ns);
    json_decref(res);

    printf("# create_bench: %ld ConfigMaps (api_bench's body), SQLite in %s\n", n, ts.dir);
    char body[256];
    double t0 = thread_cpu();
    for (long i = 0; i < n; i++) {
        size_t len = body_of(body, sizeof(body), i);
        json_t *v = json_parse_go(body, len, NULL);
        json_decref(v);
    }
    report("request body decode (json_parse_go)", n, thread_cpu() - t0);

    json_t *sample = NULL;
    t0 = thread_cpu();
    for (long i = 0; i < n; i++) {
        size_t len = body_of(body, sizeof(body), i);
        json_t *v = json_parse_go(body, len, NULL);
        c = call_for(&srv, "ConfigMap", "bench");
        apply_update_managed_fields(&c, NULL, v);
        if (i + 1 == n)
            sample = json_incref(v);
        json_decref(v);
    }
    report("decode + managedFields of a create", n, thread_cpu() - t0);

    double p0 = process_cpu();
    long ok = 0;
    for (long i = 0; i < n; i++) {
        size_t len = body_of(body, sizeof(body), i);
        json_t *v = json_parse_go(body, len, NULL);
        c = call_for(&srv, "ConfigMap", "bench");
        res = st = NULL;
        if (rest_create(&c, v, &res, &code, &st) == 0)
            ok++;
        if (i + 1 == n && res != NULL) {
            json_decref(sample);
            sample = json_incref(res);
        }
        json_decref(res);
        json_decref(st);
        json_decref(v);
    }
    report("decode + rest_create, whole (process CPU)", ok, process_cpu() - p0);

    t0 = thread_cpu();
    for (long i = 0; i < n; i++) {
        size_t len;
        free(json_dump_go(sample, false, &len));
    }
    report("response encode (json_dump_go)", n, thread_cpu() - t0);
    json_decref(sample);

    test_store_close(&ts, &srv);
    return ok == n ? 0 : 1;
}
