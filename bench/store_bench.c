/* store_bench.c — throughput of the SQLite store on a real file: creates/s (each one durable),
 * updates/s, gets/s, lists/s (one namespace, full; a page of 100 of all pods) before and after
 * compaction. Prints figures; never passes or fails on time.
 *
 * First, group commit (issue 10), all in the same temp dir: (a) plain SQLite, one 1 KiB row
 * per transaction with synchronous=FULL in WAL mode — the rate of durable commits this file
 * system allows, the reference; (b) store_create/s from one thread; (c) store_create/s from
 * 64 threads at once (their writes share transactions and fsyncs); and the ratio (c)/(a)
 * (goal: >= 2).
 *
 *   store_bench [N]    N objects (default 2000), spread over 10 namespaces, in a temp dir
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "sqlite_ref.h"

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

#define GROUP_THREADS 64

/* (a): n single-row transactions on a new plain SQLite file; returns commits/s or 0. */
static double bench_sqlite_reference(const char *dir, int round, long n, const char *value,
                                     size_t len)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/reference-%d.db", dir, round);
    double t0 = now_s();
    double rate = sqlite_ref_commit_rate(path, n, value, len);
    if (rate > 0)
        report("(a) SQLite 1-row commit, sync=FULL", n, now_s() - t0);
    return rate;
}

struct group_arg {
    struct store *s;
    long from, to; /* key indexes [from, to) */
    const char *value;
    size_t len;
    int failed;
};

static void *group_main(void *arg)
{
    struct group_arg *a = arg;
    for (long i = a->from; i < a->to && !a->failed; i++) {
        char key[64];
        int64_t rev;
        snprintf(key, sizeof(key), "/registry/configmaps/g%02ld/cm-%07ld", i % GROUP_THREADS, i);
        if (store_create(a->s, key, a->value, a->len, &rev) != 0)
            a->failed = 1;
    }
    return NULL;
}

/* store_create/s with nthreads threads creating n objects between them; 0 on failure. */
static double bench_group_creates(struct store *s, long base, long n, int nthreads,
                                  const char *value, size_t len, const char *what)
{
    struct group_arg args[GROUP_THREADS];
    pthread_t th[GROUP_THREADS];
    double t0 = now_s();
    for (int i = 0; i < nthreads; i++) {
        args[i] = (struct group_arg){.s = s, .from = base + n * i / nthreads,
                                     .to = base + n * (i + 1) / nthreads,
                                     .value = value, .len = len};
        if (pthread_create(&th[i], NULL, group_main, &args[i]) != 0)
            return 0;
    }
    int failed = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        failed |= args[i].failed;
    }
    double secs = now_s() - t0;
    if (failed) {
        fprintf(stderr, "%s: a create failed\n", what);
        return 0;
    }
    report(what, n, secs);
    return secs > 0 ? n / secs : 0;
}

#define GROUP_ROUNDS 3

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The group commit figures (a), (b), (c) and (c)/(a), GROUP_ROUNDS rounds in turn (the
 * machine is shared: a round's figures are taken close together), then the median ratios.
 * Returns 0, or 1 on failure. */
static int bench_group_commit(const char *dir, long n, const char *value, size_t len)
{
    printf("# group commit: durable creates vs SQLite's single-row commit rate, same file system,"
           " %d rounds\n", GROUP_ROUNDS);
    char path[160];
    snprintf(path, sizeof(path), "%s/group.db", dir);
    struct store *s = NULL;
    if (store_sqlite_open(path, &s, NULL) != 0)
        return 1;
    long many = n * 4 < 64000 ? n * 4 : 64000, base = 0;
    double par_ratio[GROUP_ROUNDS], one_ratio[GROUP_ROUNDS];
    int err = 0;
    for (int r = 0; r < GROUP_ROUNDS && err == 0; r++) {
        double ref = bench_sqlite_reference(dir, r, n, value, len);
        double one = bench_group_creates(s, base, n, 1, value, len, "(b) store_create, 1 thread");
        base += n;
        double par = bench_group_creates(s, base, many, GROUP_THREADS, value, len,
                                         "(c) store_create, 64 threads");
        base += many;
        if (ref == 0 || one == 0 || par == 0) {
            err = 1;
            break;
        }
        par_ratio[r] = par / ref;
        one_ratio[r] = one / ref;
        printf("%-34s %8.2f   (b)/(a) %.2f\n", "(c)/(a) this round", par_ratio[r], one_ratio[r]);
    }
    store_close(s);
    if (err != 0)
        return 1;
    qsort(par_ratio, GROUP_ROUNDS, sizeof(double), cmp_double);
    qsort(one_ratio, GROUP_ROUNDS, sizeof(double), cmp_double);
    printf("%-34s %8.2f   (goal >= 2; rounds %.2f .. %.2f); (b)/(a) median %.2f\n",
           "(c)/(a) median", par_ratio[GROUP_ROUNDS / 2], par_ratio[0],
           par_ratio[GROUP_ROUNDS - 1], one_ratio[GROUP_ROUNDS / 2]);
    return 0;
}

/* Removes dir and the files in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
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

    char value[1024];
    memset(value, 'x', sizeof(value));
    const char *head = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"pad\":\"";
    memcpy(value, head, strlen(head));
    memcpy(value + sizeof(value) - 2, "\"}", 2);

    if (bench_group_commit(dir, n, value, sizeof(value)) != 0) {
        remove_dir(dir);
        return 1;
    }
    printf("# the store, one thread, %ld objects of 1 KiB\n", n);

    struct store *s = NULL;
    char *msg = NULL;
    if (store_sqlite_open(path, &s, &msg) != 0) {
        fprintf(stderr, "open: %s\n", msg != NULL ? msg : "?");
        return 1;
    }

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
    remove_dir(dir);
    return 0;
}
