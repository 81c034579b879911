/* etcd_bench.c — the store interface on etcd and on SQLite in the same run: creates/s (each
 * acknowledged durable: etcd raft + fsync, SQLite synchronous=FULL), gets/s, lists/s (one
 * namespace, full) and pages of 100. Prints figures; never passes or fails on time.
 *
 *   etcd_bench [N]     N objects of 1 KiB (default 1000) over 10 namespaces.
 *   etcd_bench --probe [N] [ROUNDS]
 *                      the consistent-read probe's floor (docs/bench.md, "The probe's floor"):
 *                      N sequential linearizable count_only ranges (default 3000) per way, in
 *                      ROUNDS alternations (default 3), each way on one keep-alive connection:
 *                      a minimal HTTP/2 client of this file on a blocking socket (etcd's own
 *                      round trip plus the kernel's), libcurl's gRPC as the barrier threads
 *                      send it, libcurl to the JSON gateway, and store_sync_async as the server
 *                      runs it (this thread as the request loop, woken by an eventfd; the
 *                      backend's barrier thread probes). Prints wall time, this process's CPU
 *                      and etcd's CPU per probe.
 *   ETCD_SERVERS=URL   use that etcd (a scratch prefix); otherwise a one-member etcd is started
 *                      on free loopback ports in a temp dir (Debian's etcd-server).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/etcd.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct figures {
    double create, get, list, page;
};

static double rate(long n, double secs)
{
    return secs > 0 ? n / secs : 0.0;
}

static void run(struct store *s, long n, struct figures *f)
{
    char key[96], *val = malloc(1025);
    memset(val, 'x', 1024);
    val[0] = '{', val[1] = '"', val[2] = 'a', val[3] = '"', val[4] = ':', val[5] = '"';
    val[1022] = '"', val[1023] = '}', val[1024] = '\0';
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "/registry/pods/ns%02ld/pod-%06ld", i % 10, i);
        int64_t rev;
        if (store_create(s, key, val, 1024, &rev) != 0) {
            fprintf(stderr, "create %s failed\n", key);
            exit(1);
        }
    }
    f->create = rate(n, now_s() - t0);
    t0 = now_s();
    long gets = n * 2;
    for (long i = 0; i < gets; i++) {
        struct store_kv kv;
        snprintf(key, sizeof(key), "/registry/pods/ns%02ld/pod-%06ld", (i % n) % 10, i % n);
        if (store_get(s, key, &kv) == 0)
            store_kv_release(&kv);
    }
    f->get = rate(gets, now_s() - t0);
    long rounds = 100;
    t0 = now_s();
    for (long r = 0; r < rounds; r++) {
        char prefix[32];
        struct store_list l;
        snprintf(prefix, sizeof(prefix), "/registry/pods/ns%02ld/", r % 10);
        if (store_list(s, prefix, NULL, 0, 0, &l) == 0)
            store_list_release(&l);
    }
    f->list = rate(rounds, now_s() - t0);
    t0 = now_s();
    for (long r = 0; r < rounds; r++) {
        struct store_list l;
        if (store_list(s, "/registry/pods/", NULL, 0, 100, &l) == 0)
            store_list_release(&l);
    }
    f->page = rate(rounds, now_s() - t0);
    free(val);
}

#include "probe_bench.h"

static pid_t start_etcd(const char *dir, char *url, size_t urln)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int base = 20000 + rand() % 20000;
    char client[64], peer[64], metrics[64], cluster[96], data[160];
    snprintf(client, sizeof(client), "http://127.0.0.1:%d", base);
    snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", base + 1);
    snprintf(metrics, sizeof(metrics), "http://127.0.0.1:%d", base + 2);
    snprintf(cluster, sizeof(cluster), "b=%s", peer);
    snprintf(data, sizeof(data), "%s/etcd", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(127);
        dup2(2, 1);
        execlp("etcd", "etcd", "--name", "b", "--data-dir", data, "--listen-client-urls", client,
               "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls",
               peer, "--initial-cluster", cluster, "--initial-cluster-state", "new", "--listen-metrics-urls",
               metrics, (char *)NULL);
        _exit(127);
    }
    snprintf(url, urln, "%s", client);
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--probe") == 0) {
        char dir[] = "/tmp/anzen-etcdprobe-XXXXXX", url[64];
        if (mkdtemp(dir) == NULL)
            return 1;
        const char *servers = getenv("ETCD_SERVERS");
        pid_t pid = 0;
        if (servers == NULL) {
            pid = start_etcd(dir, url, sizeof(url));
            servers = url;
        }
        int rc = probe_bench(servers, pid, argc > 2 ? strtol(argv[2], NULL, 10) : 3000,
                             argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3);
        if (pid > 0) {
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
        }
        char cmd[96];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? rc : 1;
    }
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    if (n < 10)
        n = 10;
    char dir[] = "/tmp/anzen-etcdbench-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char dbpath[96], url[64], prefix[64];
    snprintf(dbpath, sizeof(dbpath), "%s/bench.db", dir);
    struct store *sq = NULL, *et = NULL;
    char *err = NULL;
    if (store_sqlite_open(dbpath, &sq, &err) != 0) {
        fprintf(stderr, "sqlite: %s\n", err ? err : "?");
        return 1;
    }
    pid_t pid = 0;
    const char *servers = getenv("ETCD_SERVERS");
    if (servers == NULL) {
        pid = start_etcd(dir, url, sizeof(url));
        servers = url;
    }
    snprintf(prefix, sizeof(prefix), "/bench-%d", (int)getpid());
    struct etcd_config cfg = {.servers = servers, .prefix = prefix, .request_timeout_ms = 20000};
    if (store_etcd_open(&cfg, &et, &err) != 0) {
        fprintf(stderr, "etcd: %s\n", err ? err : "?");
        return 1;
    }
    struct figures fs, fe;
    run(sq, n, &fs);
    run(et, n, &fe);
    printf("store: %ld objects of 1 KiB, 10 namespaces (%ld per namespace list)\n", n, n / 10);
    printf("%-26s %12s %12s %10s\n", "op", "sqlite/s", "etcd/s", "etcd/sqlite");
    printf("%-26s %12.0f %12.0f %10.2f\n", "create (durable)", fs.create, fe.create, fe.create / fs.create);
    printf("%-26s %12.0f %12.0f %10.2f\n", "get", fs.get, fe.get, fe.get / fs.get);
    printf("%-26s %12.0f %12.0f %10.2f\n", "list one namespace", fs.list, fe.list, fe.list / fs.list);
    printf("%-26s %12.0f %12.0f %10.2f\n", "list page of 100", fs.page, fe.page, fe.page / fs.page);
    store_close(et);
    store_close(sq);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
