/* get_cost_bench.c — user-space instructions per GET, anzen against nginx serving the same bytes,
 * counted by valgrind's callgrind: a figure that does not move with the machine's load (CPU
 * times per request do, by 20-40 % on the shared 2-core machine). Never passes or fails on
 * time: exit 0 when both figures were taken, 1 when something could not be started.
 *
 *   get_cost_bench [-m get|create] [-n COUNT] [-c CONC] [ANZEN]
 *
 *   ANZEN     the anzen binary (default $ANZEN, else build/anzen relative to the cwd)
 *   -n COUNT  measured GETs per server (default 3000)
 *   -c CONC   keep-alive connections (default 64, at most 64)
 *   -m MODE   get (default), or create: COUNT POSTs of new ConfigMaps (anzen only, no nginx;
 *             the figure includes the SQLite commits and the fsyncs' user-space side, so it
 *             depends on how creates share a batch: use few connections, e.g. -c 4)
 *   $GET_COST_KEEP  a directory: each server's callgrind dump is copied there as
 *             callgrind.anzen / callgrind.nginx (for callgrind_annotate)
 *
 * What it does:
 *   1. starts `anzen serve --no-node` natively on a fresh data dir, creates ConfigMap
 *      default/bench-get (as api_bench's), fetches its bytes, stops it;
 *   2. starts it again on that data dir under `valgrind --tool=callgrind`; CONC connections
 *      (admin client certificate, api_bench's User-Agent and Accept) are opened by an untimed
 *      warm-up of COUNT GETs; `callgrind_control -z` zeroes the counters, COUNT GETs run over
 *      the same connections, `callgrind_control -d` dumps: the dump's total over COUNT is the
 *      figure (every thread of the process is counted; the TLS handshakes are not);
 *   3. the same for nginx (one worker, no master process, TLS 1.3 with a P-256 certificate)
 *      serving the GET's exact bytes as a static file, no client certificate.
 * Kernel work (the loopback TCP path, about half of either server's CPU) is not counted.
 */

#define BENCH_MAX_BODY (1L << 20)
#define BENCH_NAME "get_cost_bench"
#define BENCH_START_TIMEOUT_S 300.0 /* a server's start under valgrind on a loaded machine */

#include "bench_common.h"

/* One server under callgrind. */
struct vg_target {
    const char *name;
    char url[256];
    char cainfo[PATH_MAX];
    char cert[PATH_MAX]; /* "" for none */
    char key[PATH_MAX];
    pid_t pid;
    char out_prefix[PATH_MAX]; /* callgrind's output file prefix (PID appended) */
};

static void handle_setup(CURL *h, const struct vg_target *t, struct curl_slist *hdrs)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "anzen-api-bench/1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_CAINFO, t->cainfo);
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
    if (t->cert[0]) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, t->key);
    }
}

/* The create mode (-m create): each request POSTs a new ConfigMap to coll_url. */
static struct {
    int on;
    char coll_url[256];
    long next_name; /* bench-create-N, unique over the warm-up and the counted run */
} creates;

/* Points h at its next request: the GET, or a POST of a new ConfigMap. */
static void next_request(CURL *h)
{
    if (!creates.on)
        return;
    char body[256];
    fmt(body, sizeof(body),
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"bench-create-%ld\","
        "\"labels\":{\"app\":\"bench\"}},\"data\":{\"greeting\":\"hello\",\"index\":\"0\"}}",
        creates.next_name++);
    curl_easy_setopt(h, CURLOPT_URL, creates.coll_url);
    curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body);
}

/* count requests (GETs, or creates with -m create) through the conc handles of m; returns
 * the number that failed. */
static long drive(CURLM *m, CURL **hs, int conc, long count)
{
    long next = 0, errors = 0;
    long want = creates.on ? 201 : 200;
    for (int i = 0; i < conc && next < count; i++, next++) {
        next_request(hs[i]);
        curl_multi_add_handle(m, hs[i]);
    }
    CURLMsg *msg;
    while ((msg = multi_next_done(m)) != NULL) {
        CURL *h = msg->easy_handle;
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (msg->data.result != CURLE_OK || code != want)
            errors++;
        curl_multi_remove_handle(m, h);
        if (next < count) {
            next_request(h);
            curl_multi_add_handle(m, h);
            next++;
        }
    }
    return errors;
}

static void callgrind_control(const char *flag, pid_t pid)
{
    char p[32], out[4096];
    fmt(p, sizeof(p), "%d", (int)pid);
    char *argv[] = { "callgrind_control", (char *)flag, p, NULL };
    if (run_capture(argv, out, sizeof(out), 120) != 0)
        die("callgrind_control %s %s failed:\n%s", flag, p, out);
}

/* The "summary:" total of callgrind's first dump (PREFIX.PID.1); -1 when absent. */
static double dump_total(const struct vg_target *t)
{
    char path[PATH_MAX + 32], line[512];
    fmt(path, sizeof(path), "%s.%d.1", t->out_prefix, (int)t->pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    double total = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "summary:", 8) == 0) {
            total = strtod(line + 8, NULL);
            break;
        }
    fclose(f);
    return total;
}

/* With $GET_COST_KEEP set to a directory, copies t's dump there as callgrind.NAME (for
 * callgrind_annotate); the temp dir is removed at exit. */
static void keep_dump(const struct vg_target *t)
{
    const char *dir = getenv("GET_COST_KEEP");
    if (dir == NULL || dir[0] == '\0')
        return;
    char from[PATH_MAX + 32], to[PATH_MAX + 64];
    fmt(from, sizeof(from), "%s.%d.1", t->out_prefix, (int)t->pid);
    fmt(to, sizeof(to), "%s/callgrind.%s", dir, t->name);
    char *argv[] = { "cp", from, to, NULL };
    char out[1024];
    if (run_capture(argv, out, sizeof(out), 60) != 0)
        fprintf(stderr, "get_cost_bench: could not keep %s: %s\n", from, out);
}

/* Waits until t answers 200 (wait_ready: reachability only), or dies. */
static void vg_wait_ready(const struct vg_target *t, const char *probe_url)
{
    if (wait_ready(probe_url, t->pid, now_s()) < 0)
        die("%s under valgrind did not serve %s within %.0f s", t->name, probe_url,
            BENCH_START_TIMEOUT_S);
}

/* Runs the warm-up and the counted GETs against t (already started under callgrind); returns
 * instructions per GET. */
static double measure(struct vg_target *t, int conc, long count)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (creates.on)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    CURLM *m = multi_for(conc);
    CURL *hs[64];
    if (!hdrs || !m)
        die("out of memory");
    for (int i = 0; i < conc; i++) {
        hs[i] = curl_easy_init();
        if (!hs[i])
            die("curl init failed");
        handle_setup(hs[i], t, hdrs);
    }
    long errors = drive(m, hs, conc, count); /* opens the connections */
    callgrind_control("-z", t->pid);
    errors += drive(m, hs, conc, count);
    callgrind_control("-d", t->pid);
    if (errors > 0)
        die("%s: %ld %s failed", t->name, errors, creates.on ? "creates" : "GETs");
    for (int i = 0; i < conc; i++) {
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    double total = -1;
    for (int i = 0; i < 100 && (total = dump_total(t)) < 0; i++)
        sleep_s(0.1);
    if (total < 0)
        die("no callgrind dump of %s", t->name);
    keep_dump(t);
    return total / (double)count;
}

static pid_t spawn_valgrind(struct vg_target *t, char *const server_argv[], const char *log)
{
    char outopt[PATH_MAX + 64];
    fmt(outopt, sizeof(outopt), "--callgrind-out-file=%s.%%p", t->out_prefix);
    char *argv[32] = { "valgrind", "--tool=callgrind", outopt, "--dump-instr=no",
                       "--collect-jumps=no" };
    size_t n = 5;
    for (size_t i = 0; server_argv[i] != NULL && n < 31; i++)
        argv[n++] = server_argv[i];
    argv[n] = NULL;
    return spawn(argv, log);
}

int main(int argc, char **argv)
{
    long count = 3000;
    int conc = 64, c;
    while ((c = getopt(argc, argv, "n:c:m:h")) != -1) {
        if (c == 'm' && strcmp(optarg, "create") == 0)
            creates.on = 1;
        else if (c == 'm' && strcmp(optarg, "get") == 0)
            creates.on = 0;
        else if (c == 'n')
            count = strtol(optarg, NULL, 10);
        else if (c == 'c')
            conc = (int)strtol(optarg, NULL, 10);
        else {
            fprintf(stderr, "usage: get_cost_bench [-m get|create] [-n COUNT] [-c CONC] [ANZEN]\n");
            return 2;
        }
    }
    if (count < 1 || count > 1000000 || conc < 1 || conc > 64)
        die("-n must be 1..1000000 and -c 1..64");
    const char *anzen = optind < argc ? argv[optind] : getenv("ANZEN");
    if (anzen == NULL)
        anzen = "build/anzen";
    char anzen_abs[PATH_MAX];
    if (realpath(anzen, anzen_abs) == NULL)
        die("%s: %s", anzen, strerror(errno));

    curl_global_init(CURL_GLOBAL_ALL);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    fmt(g.tmpdir, sizeof(g.tmpdir), "%s/anzen-get-cost.XXXXXX", tmp);
    if (mkdtemp(g.tmpdir) == NULL)
        die("mkdtemp: %s", strerror(errno));
    chmod(g.tmpdir, 0755);

    /* 1. the object, made natively */
    char datadir[PATH_MAX + 16], log[PATH_MAX + 32], listen[64], base[64];
    fmt(datadir, sizeof(datadir), "%s/data", g.tmpdir);
    fmt(log, sizeof(log), "%s/anzen.log", g.tmpdir);
    int aport = free_port();
    fmt(listen, sizeof(listen), "127.0.0.1:%d", aport);
    fmt(base, sizeof(base), "https://127.0.0.1:%d", aport);
    char *serve[] = { anzen_abs, "serve", "--data-dir", datadir, "--listen", listen, "--no-node", NULL };
    g.anzen = spawn(serve, log);
    char probe[128];
    fmt(probe, sizeof(probe), "%s/readyz", base);
    if (wait_ready(probe, g.anzen, now_s()) < 0) {
        show_log_tail(log);
        die("anzen did not start");
    }
    struct vg_target at = { .name = "anzen" };
    fmt(at.url, sizeof(at.url), "%s/api/v1/namespaces/default/configmaps/bench-get", base);
    fmt(at.cainfo, sizeof(at.cainfo), "%s/pki/ca.crt", datadir);
    fmt(at.cert, sizeof(at.cert), "%s/pki/admin.crt", datadir);
    fmt(at.key, sizeof(at.key), "%s/pki/admin.key", datadir);
    fmt(at.out_prefix, sizeof(at.out_prefix), "%s/callgrind.anzen", g.tmpdir);
    struct body_buf body = {0};
    {
        char coll[256];
        fmt(coll, sizeof(coll), "%s/api/v1/namespaces/default/configmaps", base);
        struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        CURL *h = curl_easy_init();
        handle_setup(h, &at, hdrs);
        curl_easy_setopt(h, CURLOPT_URL, coll);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"bench-get\","
                         "\"labels\":{\"app\":\"bench\"}},\"data\":{\"greeting\":\"hello\",\"index\":\"0\"}}");
        long code = 0;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code != 201)
            die("creating the ConfigMap: HTTP %ld", code);
        curl_easy_reset(h);
        handle_setup(h, &at, NULL);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
        code = 0;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200 || body.data == NULL)
            die("GET of the ConfigMap: HTTP %ld", code);
        curl_easy_cleanup(h);
        curl_slist_free_all(hdrs);
    }
    stop_child(&g.anzen);

    /* 2. anzen under callgrind */
    char vglog[PATH_MAX + 32];
    fmt(vglog, sizeof(vglog), "%s/anzen-valgrind.log", g.tmpdir);
    at.pid = g.anzen = spawn_valgrind(&at, serve, vglog);
    vg_wait_ready(&at, probe);
    fmt(creates.coll_url, sizeof(creates.coll_url), "%s/api/v1/namespaces/default/configmaps", base);
    double anzen_ir = measure(&at, conc, count);
    stop_child(&g.anzen);
    if (creates.on) {
        char when[64], load[64];
        bench_when_load(when, load);
        printf("get_cost_bench: %s, load %s, creates of a ConfigMap, C=%d, %ld creates\n", when,
               load, conc, count);
        printf("user-space instructions per create (callgrind, all threads, TLS handshakes "
               "excluded)\n  anzen   %9.0f\n", anzen_ir);
        free(body.data);
        return 0;
    }

    /* 3. nginx under callgrind, the same bytes */
    char ndir[PATH_MAX], www[PATH_MAX + 16], path[PATH_MAX + 64], conf_text[4096], out[8192];
    fmt(ndir, sizeof(ndir), "%s/nginx", g.tmpdir);
    fmt(www, sizeof(www), "%s/www", ndir);
    if (mkdir(ndir, 0755) != 0 || mkdir(www, 0755) != 0)
        die("mkdir under %s: %s", g.tmpdir, strerror(errno));
    fmt(path, sizeof(path), "%s/get.json", www);
    write_file(path, body.data, body.len);
    struct vg_target nt = { .name = "nginx" };
    fmt(nt.cainfo, sizeof(nt.cainfo), "%s/cert.pem", ndir);
    char keyfile[PATH_MAX + 16];
    fmt(keyfile, sizeof(keyfile), "%s/key.pem", ndir);
    char *req[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyfile,
                    "-out", nt.cainfo, NULL };
    if (run_capture(req, out, sizeof(out), 60) != 0)
        die("openssl req could not make the nginx certificate:\n%s", out);
    int nport = free_port();
    fmt(conf_text, sizeof(conf_text),
        "%s"
        "worker_processes 1;\nmaster_process off;\ndaemon off;\n"
        "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  access_log off;\n  default_type application/json;\n  types { }\n"
        "  client_body_temp_path %s;\n  proxy_temp_path %s;\n  fastcgi_temp_path %s;\n"
        "  uwsgi_temp_path %s;\n  scgi_temp_path %s;\n"
        "  keepalive_timeout 75s;\n  keepalive_requests 10000000;\n"
        "  server {\n    listen 127.0.0.1:%d ssl;\n    ssl_certificate %s;\n"
        "    ssl_certificate_key %s;\n    ssl_protocols TLSv1.3;\n    root %s;\n"
        "    location / { }\n  }\n}\n",
        geteuid() == 0 ? "user root;\n" : "", ndir, ndir, ndir, ndir, ndir, ndir, ndir, nport,
        nt.cainfo, keyfile, www);
    fmt(path, sizeof(path), "%s/nginx.conf", ndir);
    write_file(path, conf_text, strlen(conf_text));
    fmt(nt.url, sizeof(nt.url), "https://127.0.0.1:%d/get.json", nport);
    fmt(nt.out_prefix, sizeof(nt.out_prefix), "%s/callgrind.nginx", g.tmpdir);
    char *nginx_argv[] = { "nginx", "-c", path, "-p", ndir, NULL };
    fmt(vglog, sizeof(vglog), "%s/nginx-valgrind.log", g.tmpdir);
    nt.pid = g.nginx = spawn_valgrind(&nt, nginx_argv, vglog);
    vg_wait_ready(&nt, nt.url);
    double nginx_ir = measure(&nt, conc, count);
    stop_child(&g.nginx);

    char when[64], load[64];
    bench_when_load(when, load);
    printf("get_cost_bench: %s, load %s, GET of one ConfigMap (%zu bytes), C=%d, %ld GETs each\n",
           when, load, body.len, conc, count);
    printf("user-space instructions per GET (callgrind, all threads, TLS handshakes excluded)\n");
    printf("  anzen   %9.0f\n  nginx   %9.0f\n  ratio   %9.2f  (anzen / nginx)\n", anzen_ir,
           nginx_ir, anzen_ir / nginx_ir);
    free(body.data);
    return 0;
}
