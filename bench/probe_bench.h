/* probe_bench.h — `etcd_bench --probe`: what the consistent-read barrier's revision probe costs,
 * four ways on one etcd, alternated (see etcd_bench.c's usage and docs/bench.md, "The probe's
 * floor"). Included by etcd_bench.c only; every function is static.
 *
 *   own   the backend's own minimal HTTP/2 client (src/store/etcd_probe.c, h2c with prior
 *         knowledge, TCP_NODELAY): per probe one send (HEADERS + DATA) and reads until the
 *         stream ends, on the calling thread. The floor: etcd's own round trip + the kernel.
 *   curl  libcurl's gRPC as the barrier threads sent it before etcd_probe.c (rev_fetch's
 *         fallback for https:// endpoints).
 *   json  libcurl to etcd's JSON gateway (POST /v3/kv/range count_only).
 *   sync  store_sync_async on the backend, this thread standing for the request loop: it asks,
 *         then sleeps in poll() on an eventfd until the completion (run on the barrier thread)
 *         writes it — the two hand-offs a parked read pays, plus the barrier thread's probe
 *         (the own client on http://).
 */
#ifndef ANZEN_PROBE_BENCH_H
#define ANZEN_PROBE_BENCH_H

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "store/etcd_probe.h"

#define PB_PREFIX "/registry"

struct pb_way {
    const char *name;
    double wall_us, p50_us, self_cpu_us, etcd_cpu_us;
};

static int64_t pb_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t pb_self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* utime + stime of pid in microseconds (clock-tick resolution), -1 if unknown */
static int64_t pb_proc_cpu_us(pid_t pid)
{
    if (pid <= 0)
        return -1;
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')');
    unsigned long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (int64_t)(ut + st) * 1000000 / sysconf(_SC_CLK_TCK);
}

/* RangeRequest{key = 1: PB_PREFIX, count_only = 9: true} as one gRPC message (as etcd.c's
 * rev_fetcher_init builds it); returns its length. */
static size_t pb_grpc_body(unsigned char *g)
{
    size_t kl = sizeof(PB_PREFIX) - 1, m = 2 + kl + 2;
    g[0] = g[1] = g[2] = g[3] = 0;
    g[4] = (unsigned char)m;
    g[5] = 1 << 3 | 2;
    g[6] = (unsigned char)kl;
    memcpy(g + 7, PB_PREFIX, kl);
    g[7 + kl] = 9 << 3 | 0;
    g[8 + kl] = 1;
    return 5 + m;
}

/* ---- curl: gRPC as rev_fetch sends it, and the JSON gateway -------------------------------- */

struct pb_body {
    char data[4096];
    size_t len;
};

static size_t pb_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct pb_body *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > sizeof(b->data))
        return 0;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

struct pb_curl {
    CURL *h;
    struct curl_slist *hdrs;
    bool grpc, h2_up;
    unsigned char grpc_body[64];
    struct pb_body resp;
};

static void pb_curl_open(struct pb_curl *c, const char *url, bool grpc)
{
    memset(c, 0, sizeof(*c));
    c->grpc = grpc;
    c->h = curl_easy_init();
    char u[160];
    snprintf(u, sizeof(u), "%s%s", url, grpc ? "/etcdserverpb.KV/Range" : "/v3/kv/range");
    curl_easy_setopt(c->h, CURLOPT_URL, u);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, pb_collect);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->resp);
    if (grpc) {
        c->hdrs = curl_slist_append(NULL, "Content-Type: application/grpc");
        c->hdrs = curl_slist_append(c->hdrs, "TE: trailers");
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, (char *)c->grpc_body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)pb_grpc_body(c->grpc_body));
    } else {
        c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, "{\"key\":\"L3JlZ2lzdHJ5\",\"count_only\":true}");
    }
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
}

static int64_t pb_curl_probe(struct pb_curl *c)
{
    if (c->grpc) /* as rev_fetch: prior knowledge on a new connection, plain HTTP/2 to reuse it */
        curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION,
                         (long)(c->h2_up ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    c->resp.len = 0;
    long code = 0;
    if (curl_easy_perform(c->h) != CURLE_OK || curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
        code != 200)
        return -1;
    int64_t rev = c->grpc ? store_etcd_grpc_header_rev((const unsigned char *)c->resp.data, c->resp.len)
                          : store_etcd_scan_header_rev(c->resp.data, c->resp.len);
    c->h2_up = c->grpc && rev > 0;
    return rev;
}

static void pb_curl_close(struct pb_curl *c)
{
    curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdrs);
}

static int64_t pb_own_probe(struct etcd_probe *p)
{
    int64_t rev = -1;
    return etcd_probe_range(p, 20000, NULL, &rev) == 0 ? rev : -1;
}

/* ---- sync: store_sync_async with this thread as the request loop ------------------------- */

struct pb_loop {
    int efd;
    atomic_int done;
    int rc;
};

static void pb_notify(void *arg)
{
    struct pb_loop *l = arg;
    uint64_t one = 1;
    if (write(l->efd, &one, sizeof(one)) < 0)
        abort();
}

static void pb_sync_done(void *arg, int rc)
{
    struct pb_loop *l = arg;
    l->rc = rc;
    atomic_store(&l->done, 1);
    pb_notify(l);
}

static int64_t pb_sync_probe(struct store *s, struct pb_loop *l)
{
    atomic_store(&l->done, 0);
    int rc = store_sync_async(s, pb_sync_done, l);
    if (rc != 1)
        return rc == 0 ? 1 : -1;
    while (!atomic_load(&l->done)) {
        struct pollfd p = {.fd = l->efd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0)
            return -1;
        uint64_t v;
        if (read(l->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
            return -1;
        store_etcd_dispatch(s);
    }
    return l->rc == 0 ? 1 : -1;
}

/* ---- the runs ---------------------------------------------------------------------------- */

static int pb_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

enum { PB_OWN, PB_CURL, PB_JSON, PB_SYNC, PB_WAYS };

static int probe_bench(const char *url, pid_t etcd_pid, long n, int rounds)
{
    static const char *names[PB_WAYS] = {"own h2c (floor)", "libcurl gRPC", "libcurl JSON gateway",
                                         "store_sync_async"};
    if (n < 10)
        n = 10;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct store *s = NULL;
    char *err = NULL;
    struct etcd_config cfg = {.servers = url, .prefix = PB_PREFIX, .request_timeout_ms = 20000};
    int64_t t_up = pb_now_us();
    while (store_etcd_open(&cfg, &s, &err) != 0) { /* etcd still starting */
        free(err);
        err = NULL;
        if (pb_now_us() - t_up > 60 * 1000000) {
            fprintf(stderr, "etcd at %s does not answer\n", url);
            return 1;
        }
        usleep(100000);
    }
    struct pb_loop loop = {.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    store_etcd_set_notify(s, pb_notify, &loop);
    struct etcd_probe *own = etcd_probe_new(url, PB_PREFIX, sizeof(PB_PREFIX) - 1);
    struct pb_curl cg, cj;
    if (own == NULL) {
        fprintf(stderr, "own h2c: not an http:// endpoint: %s\n", url);
        return 1;
    }
    pb_curl_open(&cg, url, true);
    pb_curl_open(&cj, url, false);
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    int bad = 0;
    printf("probe: %ld sequential linearizable count_only ranges per way and round, one keep-alive connection each\n", n);
    printf("%-6s %-22s %10s %10s %12s %12s\n", "round", "way", "wall us", "p50 us", "own CPU us", "etcd CPU us");
    for (int r = 1; r <= rounds; r++) {
        for (int w = 0; w < PB_WAYS; w++) {
            struct etcd_barrier_stats b0, b1;
            store_etcd_barrier_stats(s, &b0);
            for (long i = 0; i < 50; i++) /* warm the connection */
                (void)(w == PB_OWN ? pb_own_probe(own) : w == PB_CURL ? pb_curl_probe(&cg)
                                          : w == PB_JSON ? pb_curl_probe(&cj) : pb_sync_probe(s, &loop));
            int64_t c0 = pb_self_cpu_us(), e0 = pb_proc_cpu_us(etcd_pid), t0 = pb_now_us();
            for (long i = 0; i < n; i++) {
                int64_t a = pb_now_us();
                int64_t rev = w == PB_OWN ? pb_own_probe(own) : w == PB_CURL ? pb_curl_probe(&cg)
                              : w == PB_JSON ? pb_curl_probe(&cj) : pb_sync_probe(s, &loop);
                lat[i] = pb_now_us() - a;
                if (rev <= 0 && bad++ == 0)
                    fprintf(stderr, "%s: a probe failed\n", names[w]);
            }
            int64_t t1 = pb_now_us(), c1 = pb_self_cpu_us(), e1 = pb_proc_cpu_us(etcd_pid);
            qsort(lat, (size_t)n, sizeof(*lat), pb_cmp);
            printf("%-6d %-22s %10.1f %10" PRId64 " %12.1f ", r, names[w], (double)(t1 - t0) / n, lat[n / 2],
                   (double)(c1 - c0) / n);
            if (e0 >= 0 && e1 >= 0)
                printf("%12.1f\n", (double)(e1 - e0) / n);
            else
                printf("%12s\n", "-");
            if (w == PB_SYNC) {
                store_etcd_barrier_stats(s, &b1);
                uint64_t nf = b1.fetches - b0.fetches;
                printf("%-6s   barrier thread: %" PRIu64 " fetches (%" PRIu64 " by gRPC, %" PRIu64
                       " on the own client), %.1f us each in rev_fetch\n",
                       "", nf, b1.fetches_grpc - b0.fetches_grpc, b1.fetches_own - b0.fetches_own,
                       nf ? (double)(b1.fetch_us - b0.fetch_us) / (double)nf : 0.0);
            }
        }
    }
    free(lat);
    pb_curl_close(&cg);
    pb_curl_close(&cj);
    etcd_probe_free(own);
    store_close(s);
    close(loop.efd);
    return bad > 0 ? 1 : 0;
}

#endif
