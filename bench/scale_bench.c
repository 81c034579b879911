/* scale_bench.c — issue 9's scale figures for `anzen serve --no-node`, with nginx serving the
 * same full-list bytes to the same client in the same run.
 *
 *   scale_bench [-n N[,N...]] [-r RUNS] [ANZEN]      (default -n 1000,10000, -r 5)
 *
 * For each N: N ServiceAccounts + N Pods (labels app=a<j%50>) + N RoleBindings in 20
 * namespaces (3N objects), created over keep-alive HTTPS by 8 clients, and N/10 ConfigMaps in
 * one namespace (for the configmaps limit=100 CPU figure). Then it prints:
 *   - VmRSS after the creates, after RUNS full pod lists, VmHWM so far;
 *   - the median time of RUNS requests of each case: the full pod list, limit=500, one
 *     namespace's pods, labelSelector=app=a7, limit=200, fieldSelector=spec.nodeName=;
 *   - anzen's server CPU per `configmaps?limit=100` request (utime+stime over 200 requests);
 *   - nginx (2 workers, TLS) serving the full-list bytes anzen answered, timed by the same
 *     libcurl client, and the ratio;
 *   - the peak RSS (VmHWM, reset through /proc/PID/clear_refs first) while 8 clients list all
 *     pods at once, each on its own connection.
 * Figures only: it never passes or fails on time. It exits non-zero only when something
 * could not be set up (a server, a create that was not 201). Needs nginx and the openssl CLI.
 */
#include <pthread.h>

#define BENCH_NAME "scale_bench"
#define BENCH_MAX_BODY (512L << 20)
#define BENCH_NS 20
#define BENCH_UA "anzen-scale-bench/1"
#define BENCH_MAX_SIZES 4

#include "bench_common.h"

/* The server a client talks to. */
struct target {
    char base[64];        /* https://127.0.0.1:PORT */
    char cainfo[PATH_MAX];
    char cert[PATH_MAX];  /* client certificate, "" for none */
    char key[PATH_MAX];
};

/* A keep-alive client: one libcurl handle reused for every request. */
struct client {
    CURL *h;
    struct curl_slist *hdrs;
    const struct target *t;
};

static void client_init(struct client *c, const struct target *t)
{
    c->t = t;
    c->h = curl_easy_init();
    c->hdrs = curl_slist_append(NULL, "Accept: application/json");
    c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
    if (c->h == NULL || c->hdrs == NULL)
        die("curl init failed");
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, BENCH_UA);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(c->h, CURLOPT_CAINFO, t->cainfo);
    if (t->cert[0]) {
        curl_easy_setopt(c->h, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(c->h, CURLOPT_SSLKEY, t->key);
    }
}

static void client_release(struct client *c)
{
    curl_easy_cleanup(c->h);
    curl_slist_free_all(c->hdrs);
}

/* One request; body NULL → GET. Returns the HTTP status (0: transport failure); the response
 * goes to *ret_body when given (the caller frees data), else it is counted in *ret_len. */
static long client_do(struct client *c, const char *path, const char *body,
                      struct body_buf *ret_body, size_t *ret_len)
{
    char url[1024];
    fmt(url, sizeof(url), "%s%s", c->t->base, path);
    struct body_buf b = {0};
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &b);
    long code = 0;
    if (curl_easy_perform(c->h) == CURLE_OK)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
    if (ret_len != NULL)
        *ret_len = b.len;
    if (ret_body != NULL)
        *ret_body = b;
    else
        free(b.data);
    return code;
}

/* Median milliseconds of runs GETs of path (after one untimed warm-up); *ret_len: body size. */
static double timed_ms(struct client *c, const char *path, int runs, size_t *ret_len)
{
    double v[64];
    size_t len = 0;
    if (client_do(c, path, NULL, NULL, &len) != 200)
        die("GET %s%s did not answer 200", c->t->base, path);
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        long code = client_do(c, path, NULL, NULL, &len);
        v[i] = (now_s() - t0) * 1e3;
        if (code != 200)
            die("GET %s%s: HTTP %ld", c->t->base, path, code);
    }
    qsort(v, (size_t)runs, sizeof(v[0]), cmp_double);
    if (ret_len != NULL)
        *ret_len = len;
    return v[runs / 2];
}

/* ---------------------------------------------------------------- the population */

struct creator {
    pthread_t th;
    const struct target *t;
    long n, w;        /* objects j = w, w+8, ... < n */
    long failed;      /* creates that were not 201 */
};

static void *creator_run(void *arg)
{
    struct creator *cr = arg;
    struct client c;
    client_init(&c, cr->t);
    char path[256], body[1024];
    for (long j = cr->w; j < cr->n; j += 8) {
        long ns = j % BENCH_NS;
        fmt(path, sizeof(path), "/api/v1/namespaces/ns%ld/serviceaccounts", ns);
        fmt(body, sizeof(body),
            "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa%ld\"}}", j);
        cr->failed += client_do(&c, path, body, NULL, NULL) != 201;
        fmt(path, sizeof(path), "/api/v1/namespaces/ns%ld/pods", ns);
        fmt(body, sizeof(body),
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%ld\",\"labels\":"
            "{\"app\":\"a%ld\"}},\"spec\":{\"serviceAccountName\":\"sa%ld\",\"containers\":"
            "[{\"name\":\"c\",\"image\":\"busybox\",\"command\":[\"sleep\",\"3600\"]}]}}",
            j, j % 50, j);
        cr->failed += client_do(&c, path, body, NULL, NULL) != 201;
        fmt(path, sizeof(path), "/apis/rbac.authorization.k8s.io/v1/namespaces/ns%ld/rolebindings", ns);
        fmt(body, sizeof(body),
            "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
            "\"metadata\":{\"name\":\"rb%ld\"},\"roleRef\":{\"apiGroup\":"
            "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"view\"},"
            "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"sa%ld\",\"namespace\":\"ns%ld\"}]}",
            j, j, ns);
        cr->failed += client_do(&c, path, body, NULL, NULL) != 201;
        if (j % 10 == 0) {
            fmt(body, sizeof(body),
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm%ld\"},"
                "\"data\":{\"k\":\"v%ld\"}}", j, j);
            cr->failed += client_do(&c, "/api/v1/namespaces/cms/configmaps", body, NULL, NULL) != 201;
        }
    }
    client_release(&c);
    return NULL;
}

/* ---------------------------------------------------------------- concurrent full lists */

struct lister {
    pthread_t th;
    const struct target *t;
    long code;
    size_t len;
};

static void *lister_run(void *arg)
{
    struct lister *l = arg;
    struct client c;
    client_init(&c, l->t);
    /* count the bytes without keeping them: the client is not what is measured */
    char url[256];
    fmt(url, sizeof(url), "%s/api/v1/pods", l->t->base);
    curl_easy_setopt(c.h, CURLOPT_URL, url);
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, discard_cb);
    if (curl_easy_perform(c.h) == CURLE_OK) {
        curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &l->code);
        curl_off_t n = 0;
        curl_easy_getinfo(c.h, CURLINFO_SIZE_DOWNLOAD_T, &n);
        l->len = (size_t)n;
    }
    client_release(&c);
    return NULL;
}

/* ---------------------------------------------------------------- one population */

static void start_anzen(const char *anzen, const char *dir, int port, const char *log)
{
    char listen[32], url[64];
    fmt(listen, sizeof(listen), "127.0.0.1:%d", port);
    fmt(url, sizeof(url), "https://127.0.0.1:%d/readyz", port);
    char *argv[] = { (char *)anzen, "serve", "--no-node", "--data-dir", (char *)dir, "--listen",
                     listen, NULL };
    g.anzen = spawn(argv, log);
    if (wait_ready(url, g.anzen, now_s()) < 0) {
        show_log_tail(log);
        die("anzen did not answer /readyz (%s)", anzen);
    }
}

static double cpu_s(pid_t pid)
{
    int ppid;
    unsigned long ticks;
    if (proc_stat(pid, &ppid, &ticks) != 0)
        die("cannot read /proc/%d/stat", (int)pid);
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static void run(const char *anzen, long n, int runs, int idx)
{
    char dir[PATH_MAX + 32], log[PATH_MAX + 32];
    fmt(dir, sizeof(dir), "%s/anzen-%d", g.tmpdir, idx);
    fmt(log, sizeof(log), "%s/anzen-%d.log", g.tmpdir, idx);
    int port = free_port();
    start_anzen(anzen, dir, port, log);
    struct target at = {0};
    fmt(at.base, sizeof(at.base), "https://127.0.0.1:%d", port);
    fmt(at.cainfo, sizeof(at.cainfo), "%s/pki/ca.crt", dir);
    fmt(at.cert, sizeof(at.cert), "%s/pki/admin.crt", dir);
    fmt(at.key, sizeof(at.key), "%s/pki/admin.key", dir);

    struct client c;
    client_init(&c, &at);
    char body[256];
    for (int i = 0; i <= BENCH_NS; i++) {
        if (i < BENCH_NS)
            fmt(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns%d\"}}", i);
        else
            fmt(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"cms\"}}");
        if (client_do(&c, "/api/v1/namespaces", body, NULL, NULL) != 201)
            die("creating namespace %d failed", i);
    }
    double t0 = now_s();
    struct creator cr[8];
    for (int w = 0; w < 8; w++) {
        cr[w] = (struct creator){ .t = &at, .n = n, .w = w };
        if (pthread_create(&cr[w].th, NULL, creator_run, &cr[w]) != 0)
            die("pthread_create failed");
    }
    long failed = 0;
    for (int w = 0; w < 8; w++) {
        pthread_join(cr[w].th, NULL);
        failed += cr[w].failed;
    }
    double create_s = now_s() - t0;
    if (failed > 0)
        die("%ld creates were not answered 201 (server log: %s)", failed, log);
    long rss_created = proc_status_kib(g.anzen, "VmRSS");

    size_t full_len = 0;
    double full = timed_ms(&c, "/api/v1/pods", runs, &full_len);
    long rss_lists = proc_status_kib(g.anzen, "VmRSS");
    double page = timed_ms(&c, "/api/v1/pods?limit=500", runs, NULL);
    double one_ns = timed_ms(&c, "/api/v1/namespaces/ns7/pods", runs, NULL);
    double sel = timed_ms(&c, "/api/v1/pods?labelSelector=app%3Da7", runs, NULL);
    double page200 = timed_ms(&c, "/api/v1/pods?limit=200", runs, NULL);
    double node = timed_ms(&c, "/api/v1/pods?fieldSelector=spec.nodeName%3D", runs, NULL);
    long hwm = proc_status_kib(g.anzen, "VmHWM");

    /* server CPU per configmaps?limit=100 request */
    const char *cm = "/api/v1/namespaces/cms/configmaps?limit=100";
    (void)timed_ms(&c, cm, 1, NULL);
    double cpu0 = cpu_s(g.anzen);
    for (int i = 0; i < 200; i++)
        if (client_do(&c, cm, NULL, NULL, NULL) != 200)
            die("GET %s failed", cm);
    double cm_cpu_ms = (cpu_s(g.anzen) - cpu0) / 200 * 1e3;

    /* nginx serves the bytes anzen answered for the full list */
    struct body_buf full_body;
    if (client_do(&c, "/api/v1/pods", NULL, &full_body, NULL) != 200 || full_body.too_big)
        die("GET /api/v1/pods for nginx's copy failed");
    char ndir[PATH_MAX], www[PATH_MAX + 16], file[PATH_MAX + 32];
    fmt(ndir, sizeof(ndir), "%s/nginx-%d", g.tmpdir, idx);
    fmt(www, sizeof(www), "%s/www", ndir);
    if (mkdir(ndir, 0755) != 0 || mkdir(www, 0755) != 0)
        die("mkdir %s: %s", www, strerror(errno));
    fmt(file, sizeof(file), "%s/pods.json", www);
    write_file(file, full_body.data, full_body.len);
    free(full_body.data);
    int nport = free_port();
    while (nport == port)
        nport = free_port();
    nginx_start(ndir, nport, "/pods.json");
    struct target nt = {0};
    fmt(nt.base, sizeof(nt.base), "https://127.0.0.1:%d", nport);
    fmt(nt.cainfo, sizeof(nt.cainfo), "%s/cert.pem", ndir);
    struct client nc;
    client_init(&nc, &nt);
    size_t nginx_len = 0;
    double nginx_ms = timed_ms(&nc, "/pods.json", runs, &nginx_len);
    client_release(&nc);
    stop_child(&g.nginx);

    /* eight clients listing all pods at once: the peak during them alone */
    char clear[64];
    fmt(clear, sizeof(clear), "/proc/%d/clear_refs", (int)g.anzen);
    FILE *cf = fopen(clear, "we");
    bool reset = cf != NULL && fputs("5", cf) >= 0;
    if (cf != NULL && fclose(cf) != 0)
        reset = false;
    long rss8_before = proc_status_kib(g.anzen, "VmRSS");
    struct lister ls[8];
    for (int k = 0; k < 8; k++) {
        ls[k] = (struct lister){ .t = &at };
        if (pthread_create(&ls[k].th, NULL, lister_run, &ls[k]) != 0)
            die("pthread_create failed");
    }
    for (int k = 0; k < 8; k++) {
        pthread_join(ls[k].th, NULL);
        if (ls[k].code != 200 || ls[k].len != full_len)
            die("a concurrent full list answered %ld with %zu bytes (want 200, %zu)", ls[k].code,
                ls[k].len, full_len);
    }
    long hwm8 = proc_status_kib(g.anzen, "VmHWM");
    client_release(&c);
    stop_child(&g.anzen);

    printf("N=%ld (%ld objects + %ld ConfigMaps): creates %.1f s\n", n, 3 * n, (n + 9) / 10,
           create_s);
    printf("  RSS after creates %ld MB, after %d full lists %ld MB, peak (VmHWM) %ld MB\n",
           rss_created / 1024, runs, rss_lists / 1024, hwm / 1024);
    printf("  GET /api/v1/pods (%ld pods, %.1f MB): %.1f ms; nginx, same bytes (%.1f MB), same "
           "client: %.1f ms; ratio %.2f\n", n, (double)full_len / 1e6, full,
           (double)nginx_len / 1e6, nginx_ms, full / nginx_ms);
    printf("  limit=500: %.2f ms; one namespace (%ld pods): %.2f ms; labelSelector app=a7: "
           "%.2f ms; limit=200: %.2f ms (selector/limit=200 %.2f); spec.nodeName= (%ld "
           "pods): %.1f ms\n", page, n / BENCH_NS, one_ns, sel, page200, sel / page200, n, node);
    printf("  configmaps?limit=100 (%ld ConfigMaps): server CPU %.3f ms per request\n",
           (n + 9) / 10, cm_cpu_ms);
    printf("  eight clients listing all pods at once: peak (VmHWM) %ld MB%s (RSS before %ld MB)\n",
           hwm8 / 1024, reset ? "" : " (VmHWM could not be reset: peak since start)",
           rss8_before / 1024);
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr, "usage: scale_bench [-n N[,N...]] [-r RUNS] [ANZEN]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long sizes[BENCH_MAX_SIZES] = { 1000, 10000 };
    int nsizes = 2, runs = 5, opt;
    while ((opt = getopt(argc, argv, "n:r:h")) != -1) {
        switch (opt) {
        case 'n': {
            nsizes = 0;
            char *list = strdup(optarg), *save = NULL;
            if (list == NULL)
                die("out of memory");
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *end;
                long v = strtol(tok, &end, 10);
                if (*end || v < 8 || v > 200000 || nsizes == BENCH_MAX_SIZES)
                    die("-n takes up to %d sizes in [8, 200000], got '%s'", BENCH_MAX_SIZES, optarg);
                sizes[nsizes++] = v;
            }
            free(list);
            break;
        }
        case 'r':
            runs = atoi(optarg);
            if (runs < 1 || runs > 63)
                die("-r must be in [1, 63]");
            break;
        default:
            usage();
        }
    }
    if (argc - optind > 1 || nsizes == 0)
        usage();
    const char *anzen = optind < argc ? argv[optind] : getenv("ANZEN");
    if (anzen == NULL || !*anzen)
        anzen = "build/anzen";
    char anzen_abs[PATH_MAX];
    if (!realpath(anzen, anzen_abs) || access(anzen_abs, X_OK) != 0)
        die("cannot execute anzen binary '%s' (pass a path or set $ANZEN)", anzen);

    atexit(cleanup);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed");
    const char *tmpbase = getenv("TMPDIR");
    fmt(g.tmpdir, sizeof(g.tmpdir), "%s/anzen-scale-bench.XXXXXX", tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(g.tmpdir)) {
        g.tmpdir[0] = '\0';
        die("mkdtemp: %s", strerror(errno));
    }
    chmod(g.tmpdir, 0755); /* nginx workers may run as another user */

    char when[64], load[64];
    bench_when_load(when, load);
    printf("# scale_bench %s, %ld CPUs online, loadavg %s; anzen %s; medians of %d requests, "
           "HTTP/1.1 keep-alive over TLS (libcurl %s)\n", when, sysconf(_SC_NPROCESSORS_ONLN), load,
           anzen_abs, runs, curl_version_info(CURLVERSION_NOW)->version);
    fflush(stdout);
    for (int i = 0; i < nsizes; i++)
        run(anzen_abs, sizes[i], runs, i);
    return 0;
}
