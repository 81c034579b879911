/* store_bench.c — throughput of the SQLite store on a real file: creates/s (each one durable),
 * updates/s, gets/s, lists/s (one namespace, full; a page of 100 of all pods) before and after
 * compaction. Prints figures; never passes or fails on time.
 *
 *   store_bench [N]    N objects (default 2000), spread over 10 namespaces, in a temp dir
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, long n, double secs)
{
    printf("%-34s %8ld ops %9.3f s %12.0f ops/s\n", what, n, secs, secs > 0 ? n / secs : 0.0);
}

static void pod_key(char *buf, size_t n, long i)
{
    snprintf(buf, n, "/registry/pods/ns%02ld/pod-%06ld", i % 10, i);
}

static void bench_lists(struct store *s, long n, const char *label)
{
    char what[64];
    long rounds = 200;
    double t0 = now_s();
    size_t seen = 0;
    for (long r = 0; r < rounds; r++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "/registry/pods/ns%02ld/", r % 10);
        struct store_list l = {0};
        if (store_list(s, prefix, NULL, 0, 0, &l) != 0)
            exit(1);
        seen += l.n;
        store_list_release(&l);
    }
    snprintf(what, sizeof(what), "list namespace (%ld items) %s", n / 10, label);
    report(what, rounds, now_s() - t0);

    t0 = now_s();
    for (long r = 0; r < rounds; r++) {
        char after[64];
        pod_key(after, sizeof(after), (r * 7919) % n);
        struct store_list l = {0};
        if (store_list(s, "/registry/pods/", after, 0, 100, &l) != 0)
            exit(1);
        seen += l.n;
        store_list_release(&l);
    }
    snprintf(what, sizeof(what), "list page of 100 %s", label);
    report(what, rounds, now_s() - t0);
    if (seen == 0)
        printf("(no items listed?)\n");
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    if (n < 10 || n > 10000000)
        n = 2000;
    char dir[] = "/tmp/anzen-bench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char path[128];
    snprintf(path, sizeof(path), "%s/state.db", dir);
    struct store *s = NULL;
    char *msg = NULL;
    if (store_sqlite_open(path, &s, &msg) != 0) {
        fprintf(stderr, "open: %s\n", msg != NULL ? msg : "?");
        return 1;
    }

    char value[1024];
    memset(value, 'x', sizeof(value));
    const char *head = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"pad\":\"";
    memcpy(value, head, strlen(head));
    memcpy(value + sizeof(value) - 2, "\"}", 2);

    char key[64];
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        int64_t rev;
        pod_key(key, sizeof(key), i);
        if (store_create(s, key, value, sizeof(value), &rev) != 0)
            return 1;
    }
    report("create (1 KiB, durable)", n, now_s() - t0);

    long gets = n * 10;
    t0 = now_s();
    for (long i = 0; i < gets; i++) {
        struct store_kv kv = {0};
        pod_key(key, sizeof(key), (i * 7919) % n);
        if (store_get(s, key, &kv) != 0)
            return 1;
        store_kv_release(&kv);
    }
    report("get", gets, now_s() - t0);

    bench_lists(s, n, "(no history)");

    /* three updates per object: lists must skip superseded rows */
    t0 = now_s();
    for (long u = 0; u < 3; u++)
        for (long i = 0; i < n; i++) {
            int64_t rev;
            pod_key(key, sizeof(key), i);
            if (store_update(s, key, value, sizeof(value), 0, &rev) != 0)
                return 1;
        }
    report("update (CAS any, durable)", 3 * n, now_s() - t0);
    bench_lists(s, n, "(3 old rows/key)");

    t0 = now_s();
    if (store_compact(s, store_current_rev(s)) != 0)
        return 1;
    report("compact all history", 1, now_s() - t0);
    bench_lists(s, n, "(compacted)");

    store_close(s);
    const char *files[] = {"state.db", "state.db-wal", "state.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}
