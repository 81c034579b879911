/* ssar_bench.c — SelfSubjectAccessReview requests per second against the real `anzen serve`
 * over HTTPS/1.1 keep-alive with a ServiceAccount bearer token, next to nginx answering the
 * same request with the same response bytes from a static file, in the same run (issue 4's
 * second RBAC figure; the first is rbac_bench). Prints figures; never passes or fails on time.
 * Exit 0 when every figure was taken, 1 when anzen, nginx or openssl could not be started.
 *
 *   ssar_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [-w WRK_SECS] [ANZEN]
 *
 *   ANZEN       the anzen binary (default $ANZEN, else build/anzen relative to the cwd)
 *   -n COUNT    requests per phase (default 5000, at most 1000000)
 *   -c LIST     concurrent keep-alive connections, one phase per entry (default 1,8; <= 64)
 *   -t SECS     wall-clock cap per phase (default 60)
 *   -w SECS     duration of the wrk -t2 -c64 run against each server (default 10; 0: none); also
 *               prints each server's CPU time per request during it
 *
 * Steps (one server at a time): start anzen on a temp data dir and a free loopback port (as
 * api_bench does); get a token for system:serviceaccount:default:default with a TokenRequest
 * POST using the admin client cert; POST the seed's SSAR (get pods in default) with
 * `Authorization: Bearer`, expecting 201 and "allowed": false; time COUNT of them per
 * concurrency over C pre-opened connections (libcurl multi, one thread). Then nginx
 * (worker_processes 2, TLS with a throwaway P-256 cert) serves anzen's exact response bytes as
 * a static file — POST is answered from the file via `error_page 405 =200` — and the same
 * client sends the same POSTs. The temp dir is removed and children stopped on every exit. */
#include <jansson.h>

#define BENCH_MAX_COUNT 1000000L
#define BENCH_MAX_CONC 64
#define BENCH_MAX_LEVELS 4
#define BENCH_MAX_BODY (1L << 20)
#define BENCH_REQ_TIMEOUT_MS 10000L
#define BENCH_TOKEN_WAIT_S 20.0 /* the default ServiceAccount is made by a controller */
#define BENCH_UA "anzen-ssar-bench/1"
#define BENCH_NAME "ssar_bench" /* prefix of die() messages */
#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
#define SSAR_BODY                                                                              \
    "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","        \
    "\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\","           \
    "\"resource\":\"pods\"}}}"

#include "bench_common.h"

/* One server the client talks to. */
struct target {
    const char *name;
    char base[64];
    char cainfo[PATH_MAX];
    char cert[PATH_MAX]; /* client cert, "" for none */
    char key[PATH_MAX];
    char auth[8192];     /* "Authorization: Bearer ..." or "" */
};

struct phase_result {
    long done, errors, new_conns;
    bool cut;
    double secs, rps, p50_ms, p99_ms;
};

/* TLS material, HTTP/1.1, JSON, bounded time, and the bearer header when t has one. */
static struct curl_slist *easy_setup(CURL *h, const struct target *t)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (t->auth[0])
        hdrs = curl_slist_append(hdrs, t->auth);
    if (hdrs == NULL)
        die("out of memory");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, BENCH_UA);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, BENCH_REQ_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CAINFO, t->cainfo);
    if (t->cert[0]) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, t->key);
    }
    return hdrs;
}

/* One untimed POST with a fresh handle; *ret_code 0 on transport failure. */
static void post(const struct target *t, const char *path, const char *body, long *ret_code,
                 struct body_buf *ret_body)
{
    char url[512];
    fmt(url, sizeof(url), "%s%s", t->base, path);
    CURL *h = curl_easy_init();
    if (!h)
        die("curl init failed");
    struct curl_slist *hdrs = easy_setup(h, t);
    struct body_buf b = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    *ret_code = code;
    *ret_body = b;
}

/* COUNT POSTs of SSAR_BODY to t through conc kept-alive connections (opened by an untimed
 * warm-up of 2*conc requests); each must answer `want`. */
static void run_phase(const struct target *t, long want, int conc, long count, double max_secs,
                      struct phase_result *ret)
{
    char url[512];
    fmt(url, sizeof(url), "%s%s", t->base, SSAR_PATH);
    CURLM *m = multi_for(conc);
    CURL **hs = calloc((size_t)conc, sizeof(*hs));
    struct curl_slist **hdrs = calloc((size_t)conc, sizeof(*hdrs));
    double *t_start = calloc((size_t)conc, sizeof(double));
    double *lat = malloc((size_t)count * sizeof(double));
    if (!m || !hs || !hdrs || !t_start || !lat)
        die("out of memory");
    for (int i = 0; i < conc; i++) {
        hs[i] = curl_easy_init();
        if (!hs[i])
            die("curl init failed");
        hdrs[i] = easy_setup(hs[i], t);
        curl_easy_setopt(hs[i], CURLOPT_URL, url);
        curl_easy_setopt(hs[i], CURLOPT_POSTFIELDS, SSAR_BODY);
        curl_easy_setopt(hs[i], CURLOPT_POSTFIELDSIZE, (long)strlen(SSAR_BODY));
        curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, discard_cb);
        curl_easy_setopt(hs[i], CURLOPT_PRIVATE, (char *)(intptr_t)i);
    }
    struct phase_result r = {0};
    for (int pass = 0; pass < 2; pass++) { /* 0: warm-up, 1: timed */
        long total = pass == 0 ? 2L * conc : count;
        long next = 0, done = 0, errors = 0, conns = 0;
        int active = 0;
        double t0 = now_s(), deadline = t0 + max_secs;
        for (int i = 0; i < conc && next < total; i++, next++) {
            t_start[i] = now_s();
            curl_multi_add_handle(m, hs[i]);
            active++;
        }
        while (active > 0) {
            int running;
            curl_multi_perform(m, &running);
            CURLMsg *msg;
            int q;
            while ((msg = curl_multi_info_read(m, &q))) {
                if (msg->msg != CURLMSG_DONE)
                    continue;
                CURL *h = msg->easy_handle;
                char *priv;
                curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
                int i = (int)(intptr_t)priv;
                double tnow = now_s();
                long code = 0, nc = 0;
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
                curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc);
                if (msg->data.result != CURLE_OK || code != want) {
                    if (errors < 3)
                        fprintf(stderr, "ssar_bench: %s: curl %d, HTTP %ld\n", t->name,
                                (int)msg->data.result, code);
                    errors++;
                }
                conns += nc;
                if (pass == 1)
                    lat[done] = tnow - t_start[i];
                done++;
                curl_multi_remove_handle(m, h);
                active--;
                if (next < total && tnow < deadline) {
                    next++;
                    t_start[i] = now_s();
                    curl_multi_add_handle(m, h);
                    active++;
                }
            }
            if (active > 0)
                curl_multi_poll(m, NULL, 0, 100, NULL);
        }
        if (pass == 1) {
            r.secs = now_s() - t0;
            r.done = done;
            r.errors = errors;
            r.new_conns = conns;
            r.cut = done < count;
        }
    }
    qsort(lat, (size_t)r.done, sizeof(double), cmp_double);
    r.rps = r.secs > 0 ? (double)r.done / r.secs : NAN;
    r.p50_ms = percentile(lat, r.done, 0.50) * 1e3;
    r.p99_ms = percentile(lat, r.done, 0.99) * 1e3;
    printf("# %-5s ssar C=%-2d %7ld req %7.2f s %9.0f req/s  p50 %.3f ms  p99 %.3f ms  errors %ld"
           "  new conns %ld%s\n", t->name, conc, r.done, r.secs, r.rps, r.p50_ms, r.p99_ms,
           r.errors, r.new_conns, r.cut ? "  (stopped at the phase deadline)" : "");
    fflush(stdout);
    *ret = r;
    for (int i = 0; i < conc; i++) {
        curl_easy_cleanup(hs[i]);
        curl_slist_free_all(hdrs[i]);
    }
    curl_multi_cleanup(m);
    free(hs);
    free(hdrs);
    free(t_start);
    free(lat);
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        die("%s must be an integer in [%ld, %ld], got \"%s\"", what, lo, hi, s);
    return v;
}

struct wrk_figure {
    double rps;
    long non2xx;
    double cpu_us; /* the server's CPU per request (all its processes), NAN if not measured */
};

/* wrk -t2 -c64 for secs seconds: POSTs of SSAR_BODY with t's Authorization header (the Lua
 * script in the temp dir), the load generator; pid: the server to charge CPU to
 * (with its direct children: nginx's workers). */
static void run_wrk(const struct target *t, int secs, pid_t pid, struct wrk_figure *ret)
{
    char script[PATH_MAX + 16], url[320];
    fmt(script, sizeof(script), "%s/ssar.lua", g.tmpdir);
    FILE *f = fopen(script, "w");
    if (f == NULL)
        die("%s: %s", script, strerror(errno));
    const char *auth = strchr(t->auth, ':');
    fprintf(f, "wrk.method = \"POST\"\nwrk.body = [[%s]]\n"
               "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
               "wrk.headers[\"Authorization\"] = \"%s\"\n",
            SSAR_BODY, auth ? auth + 2 : "");
    fclose(f);
    fmt(url, sizeof(url), "%s%s", t->base, SSAR_PATH);
    char out[8192];
    struct wrk_run w;
    bench_wrk(url, 2, 64, secs, script, pid, out, sizeof(out), &w);
    ret->rps = w.w.rps;
    ret->non2xx = w.w.non2xx;
    ret->cpu_us = w.server_cpu_us;
}

int main(int argc, char **argv)
{
    long count = 5000, max_secs = 60, wrk_secs = 10;
    int levels[BENCH_MAX_LEVELS] = {1, 8}, nlevels = 2;
    const char *anzen = getenv("ANZEN") ? getenv("ANZEN") : "build/anzen";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            count = parse_long(argv[++i], 1, BENCH_MAX_COUNT, "-n");
        } else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
            wrk_secs = parse_long(argv[++i], 0, 600, "-w");
        } else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            max_secs = parse_long(argv[++i], 1, 3600, "-t");
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            char list[256];
            fmt(list, sizeof(list), "%s", argv[++i]);
            nlevels = 0;
            for (char *tok = list; *tok;) {
                char *comma = strchr(tok, ',');
                if (comma)
                    *comma = '\0';
                if (nlevels == BENCH_MAX_LEVELS)
                    die("-c takes at most %d levels", BENCH_MAX_LEVELS);
                levels[nlevels++] = (int)parse_long(tok, 1, BENCH_MAX_CONC, "-c entry");
                tok = comma ? comma + 1 : tok + strlen(tok);
            }
            if (nlevels == 0)
                die("-c needs at least one level");
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: ssar_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [-w WRK_SECS] [ANZEN]\n");
            return 2;
        } else {
            anzen = argv[i];
        }
    }
    if (access(anzen, X_OK) != 0)
        die("%s is not executable (pass the anzen binary or set $ANZEN)", anzen);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    fmt(g.tmpdir, sizeof(g.tmpdir), "%s/anzen-ssar-bench.XXXXXX", tmp);
    if (!mkdtemp(g.tmpdir)) {
        g.tmpdir[0] = '\0';
        die("mkdtemp: %s", strerror(errno));
    }

    /* ---- anzen */
    char dir[PATH_MAX + 8], alog[PATH_MAX + 16], listen[32], ready[64];
    fmt(dir, sizeof(dir), "%s/data", g.tmpdir);
    fmt(alog, sizeof(alog), "%s/anzen.log", g.tmpdir);
    int aport = free_port();
    fmt(listen, sizeof(listen), "127.0.0.1:%d", aport);
    fmt(ready, sizeof(ready), "https://127.0.0.1:%d/readyz", aport);
    char *aargv[] = {(char *)anzen, "serve", "--data-dir", dir, "--listen", listen, NULL};
    g.anzen = spawn(aargv, alog);
    if (wait_ready(ready, g.anzen, now_s()) < 0) {
        show_log_tail(alog);
        die("anzen did not become ready (%s)", anzen);
    }
    struct target admin = {.name = "anzen"};
    fmt(admin.base, sizeof(admin.base), "https://127.0.0.1:%d", aport);
    fmt(admin.cainfo, sizeof(admin.cainfo), "%s/pki/ca.crt", dir);
    fmt(admin.cert, sizeof(admin.cert), "%s/pki/admin.crt", dir);
    fmt(admin.key, sizeof(admin.key), "%s/pki/admin.key", dir);

    /* token for default/default (the ServiceAccount appears once its controller ran) */
    char token[7000] = "";
    double tdeadline = now_s() + BENCH_TOKEN_WAIT_S;
    while (!token[0]) {
        long code;
        struct body_buf b;
        post(&admin, "/api/v1/namespaces/default/serviceaccounts/default/token",
             "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{}}",
             &code, &b);
        if (code == 201 && !bench_token_of(b.data, b.len, token, sizeof(token)))
            token[0] = '\0';
        free(b.data);
        if (!token[0]) {
            if (now_s() > tdeadline) {
                show_log_tail(alog);
                die("no token from TokenRequest (last HTTP %ld)", code);
            }
            sleep_s(0.2);
        }
    }
    struct target at = admin;
    at.cert[0] = at.key[0] = '\0';
    fmt(at.auth, sizeof(at.auth), "Authorization: Bearer %s", token);

    /* the response every request gets, checked once */
    long code;
    struct body_buf resp;
    post(&at, SSAR_PATH, SSAR_BODY, &code, &resp);
    json_t *rj = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
    json_t *allowed = json_object_get(json_object_get(rj, "status"), "allowed");
    if (code != 201 || !json_is_false(allowed))
        die("SSAR answered HTTP %ld, status.allowed %s (want 201, false):\n%.400s", code,
            allowed ? (json_is_true(allowed) ? "true" : "?") : "missing", resp.data ? resp.data : "");
    json_decref(rj);
    printf("# anzen with its defaults: --workers %ld (the online CPUs), --write-threads 64\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("# SSAR as system:serviceaccount:default:default (bearer token), get pods in default:"
           " 201, allowed false, %zu-byte response\n", resp.len);

    struct phase_result ar[BENCH_MAX_LEVELS], nr[BENCH_MAX_LEVELS];
    for (int i = 0; i < nlevels; i++)
        run_phase(&at, 201, levels[i], count, (double)max_secs, &ar[i]);
    bool have_wrk = wrk_secs > 0 && bench_have_wrk();
    struct wrk_figure aw = {NAN, 0, NAN}, nw = {NAN, 0, NAN};
    if (have_wrk)
        run_wrk(&at, (int)wrk_secs, g.anzen, &aw);
    stop_child(&g.anzen);

    /* ---- nginx with the same bytes */
    char ndir[PATH_MAX + 8], www[PATH_MAX + 16], tmpd[PATH_MAX + 16];
    char crt[PATH_MAX + 32], key[PATH_MAX + 32], file[PATH_MAX + 64];
    fmt(ndir, sizeof(ndir), "%s/nginx", g.tmpdir);
    fmt(www, sizeof(www), "%s/www", ndir);
    fmt(tmpd, sizeof(tmpd), "%s/tmp", ndir);
    if (mkdir(ndir, 0755) != 0 || mkdir(www, 0755) != 0 || mkdir(tmpd, 0755) != 0)
        die("mkdir under %s: %s", g.tmpdir, strerror(errno));
    fmt(file, sizeof(file), "%s/ssar.json", www);
    write_file(file, resp.data, resp.len);
    fmt(crt, sizeof(crt), "%s/cert.pem", ndir);
    fmt(key, sizeof(key), "%s/key.pem", ndir);
    char out[8192];
    char *req[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt, NULL};
    if (run_capture(req, out, sizeof(out), 30) != 0)
        die("openssl req could not make the nginx certificate:\n%s", out);
    int nport = free_port();
    while (nport == aport)
        nport = free_port();
    char conf[PATH_MAX + 32], conf_text[8192], nlog[PATH_MAX + 32], errlog[PATH_MAX + 32];
    fmt(conf, sizeof(conf), "%s/nginx.conf", ndir);
    fmt(nlog, sizeof(nlog), "%s/nginx.log", ndir);
    fmt(errlog, sizeof(errlog), "%s/error.log", ndir);
    fmt(conf_text, sizeof(conf_text),
        "%s"
        "worker_processes 2;\n"
        "pid %s/nginx.pid;\n"
        "error_log %s warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "  access_log off;\n"
        "  default_type application/json;\n"
        "  types { }\n"
        "  client_body_temp_path %s/body;\n"
        "  proxy_temp_path %s/proxy;\n"
        "  fastcgi_temp_path %s/fastcgi;\n"
        "  uwsgi_temp_path %s/uwsgi;\n"
        "  scgi_temp_path %s/scgi;\n"
        "  keepalive_timeout 75s;\n"
        "  keepalive_requests 10000000;\n"
        "  server {\n"
        "    listen 127.0.0.1:%d ssl;\n"
        "    ssl_certificate %s;\n"
        "    ssl_certificate_key %s;\n"
        "    ssl_verify_client off;\n"
        /* what anzen negotiates with the same clients: TLS 1.3, TLS_AES_256_GCM_SHA384, X25519
         * (Debian's nginx 1.22 defaults to TLS 1.2 with ECDHE-ECDSA-AES256-GCM-SHA384) */
        "    ssl_protocols TLSv1.3;\n"
        "    root %s;\n"
        "    location = " SSAR_PATH " { try_files /ssar.json =404; error_page 405 =200 /ssar.json; }\n"
        "    location = /ssar.json { }\n"
        "  }\n"
        "}\n",
        geteuid() == 0 ? "user root;\n" : "", ndir, errlog, tmpd, tmpd, tmpd, tmpd, tmpd, nport, crt,
        key, www);
    write_file(conf, conf_text, strlen(conf_text));
    char *nargv[] = {"nginx", "-e", errlog, "-c", conf, "-p", ndir, "-g", "daemon off;", NULL};
    char nurl[128];
    fmt(nurl, sizeof(nurl), "https://127.0.0.1:%d/ssar.json", nport);
    g.nginx = spawn(nargv, nlog);
    if (wait_ready(nurl, g.nginx, now_s()) < 0) {
        show_log_tail(nlog);
        die("nginx did not serve %s (is nginx installed? scripts/install-deps.sh)", nurl);
    }
    struct target nt = {.name = "nginx"};
    fmt(nt.base, sizeof(nt.base), "https://127.0.0.1:%d", nport);
    fmt(nt.cainfo, sizeof(nt.cainfo), "%s", crt);
    fmt(nt.auth, sizeof(nt.auth), "%s", at.auth); /* same request bytes */
    struct body_buf nb;
    post(&nt, SSAR_PATH, SSAR_BODY, &code, &nb);
    if (code != 200 || nb.len != resp.len || memcmp(nb.data, resp.data, resp.len) != 0)
        die("nginx answered the SSAR POST with HTTP %ld and %zu bytes (want 200, the same %zu)",
            code, nb.len, resp.len);
    free(nb.data);
    for (int i = 0; i < nlevels; i++)
        run_phase(&nt, 200, levels[i], count, (double)max_secs, &nr[i]);
    if (have_wrk)
        run_wrk(&nt, (int)wrk_secs, g.nginx, &nw);
    stop_child(&g.nginx);
    free(resp.data);

    printf("\n%-28s %12s %12s %8s\n", "SSAR (bearer, keep-alive)", "anzen", "nginx", "ratio");
    for (int i = 0; i < nlevels; i++) {
        char label[64];
        fmt(label, sizeof(label), "C=%d req/s", levels[i]);
        printf("%-28s %12.0f %12.0f %8.2f\n", label, ar[i].rps, nr[i].rps, ar[i].rps / nr[i].rps);
        fmt(label, sizeof(label), "C=%d p50 (ms)", levels[i]);
        printf("%-28s %12.3f %12.3f %8.2f\n", label, ar[i].p50_ms, nr[i].p50_ms, ar[i].p50_ms / nr[i].p50_ms);
        fmt(label, sizeof(label), "C=%d p99 (ms)", levels[i]);
        printf("%-28s %12.3f %12.3f %8.2f\n", label, ar[i].p99_ms, nr[i].p99_ms, ar[i].p99_ms / nr[i].p99_ms);
    }
    if (have_wrk) {
        printf("%-28s %12.0f %12.0f %8.2f\n", "wrk -t2 -c64 req/s", aw.rps, nw.rps, aw.rps / nw.rps);
        printf("%-28s %12ld %12ld\n", "wrk non-2xx responses", aw.non2xx, nw.non2xx);
        printf("%-28s %12.1f %12.1f %8.2f\n", "server CPU per request (us)", aw.cpu_us, nw.cpu_us,
               aw.cpu_us / nw.cpu_us);
    } else {
        printf("(wrk not found or -w 0: no wrk figures)\n");
    }
    printf("\nratio = anzen / nginx (req/s: higher is better; latency: lower is better). nginx\n"
           "answers from a file; anzen authenticates the token and runs the authorizer.\n");
    return 0;
}
