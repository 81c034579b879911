/* api_bench.c — end-to-end figures for `anzen serve`, with nginx serving static JSON of the same
 * size as the reference to beat. One run prints one table; see docs/bench.md for what each
 * figure means. Never passes or fails on time: exit 0 when every figure could be taken, exit 1
 * only when something could not be started (anzen, nginx, the openssl CLI) or set up.
 *
 *   api_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [-w WRK_SECS] [-r ROUNDS] [-0] [ANZEN]
 *
 *   ANZEN       the anzen binary (default $ANZEN, else build/anzen relative to the cwd)
 *   -n COUNT    requests per phase (default 5000, at most 1000000)
 *   -c LIST     concurrent keep-alive connections, one phase per entry (default 1,8; <= 64 each)
 *   -t SECS     wall-clock cap per phase; a phase stops early and says so (default 60)
 *   -w SECS     duration of each wrk run (default 5; 0 skips every wrk run, the rounds too)
 *   -r ROUNDS   interleaved wrk rounds (default 3, at most 50; see 6.)
 *   -0          gets and lists with resourceVersion=0
 *
 * What it does, in order (servers run one at a time so each has the machine to itself):
 *   1. cold start: fork+exec `anzen serve` on a fresh data dir and a free loopback port, poll
 *      GET /readyz every 1 ms with libcurl; the figure is exec → first 200.
 *   2. idle RSS (VmRSS of /proc/PID/status) 500 ms after ready.
 *   3. phases over HTTPS/1.1 keep-alive with the admin client cert: create ConfigMaps, get one
 *      ConfigMap, list the namespace with limit=100 (-0: a namespace of 100 ConfigMaps with
 *      resourceVersion=0, which ignores limit). One thread drives C easy handles through
 *      one curl multi handle whose pool holds exactly C connections; the connections are
 *      opened by an untimed warm-up, and the phase reports how many new connections it had to
 *      open (0 means keep-alive held). Latency is measured per request from hand-off to libcurl
 *      to completion. Server CPU per request from /proc (the server tree), client CPU per
 *      request from getrusage (this process: libcurl and TLS for every connection).
 *   4. RSS after the load, peak RSS (VmHWM), then a warm restart on the same data dir.
 *   5. nginx (worker_processes 2, TLS with a throwaway P-256 cert like anzen's) serving the
 *      exact bytes anzen answered for the get and the list; same client, same phases; then
 *      wrk against nginx at the same concurrencies (wrk cannot present client certs).
 *   6. wrk rounds (issue 10's figures; skipped by -w 0 or without wrk): anzen again on the same
 *      data dir, up for all rounds, nginx still up. Through the admin cert: ServiceAccount
 *      bench/bench-wrk, a Role (get/list/create configmaps in bench), a RoleBinding, a token by
 *      TokenRequest. Each round k runs, one after the other, `wrk -t2 -c64 -d W` GETting the
 *      get phase's ConfigMap from anzen, the same requests to nginx's copy of its bytes,
 *      SQLite's single-row commit rate (sqlite_ref.h, min(COUNT, 2000) commits, on the temp
 *      dir: the data dir's file system), then wrk POSTing ConfigMaps of the create phase's
 *      shape named wrk-rK-tT-NNNNNNN (a Lua script: per-thread prefix and counter, answers
 *      counted by status). Then a paged list (limit=500) counts wrk-rK-* objects: it must be
 *      >= the 201s wrk counted and <= them + 64 (requests in flight when wrk stopped), else the
 *      round prints MISMATCH. Server CPU per request from /proc, wrk's from wait4. Printed:
 *      every round's ratios, their medians (GET vs nginx; creates / single commits), and,
 *      informational, nginx answering the same create POSTs with anzen's create answer.
 *      Load average at the start and the end.
 *
 * Children get PR_SET_PDEATHSIG, and an atexit/signal handler stops them and removes the temp
 * dir on every exit path.
 */

#define BENCH_MAX_COUNT 1000000L
#define BENCH_MAX_CONC 64
#define BENCH_MAX_LEVELS 4
#define BENCH_MAX_BODY (4L << 20)         /* cap on a captured response body */
#define BENCH_REQ_TIMEOUT_MS 10000L       /* one request */
#define BENCH_NS "bench"
#define BENCH_LIST_NS "bench-list"     /* -0: the namespace listed, 100 ConfigMaps */
#define BENCH_UA "anzen-api-bench/1"
#define BENCH_NAME "api_bench"            /* prefix of die() messages */

#include "bench_common.h"
#include "sqlite_ref.h"

#include <ctype.h>
#include <sys/resource.h>

/* One server the client talks to. */
struct target {
    const char *name;    /* "anzen" or "nginx" */
    char base[64];       /* https://127.0.0.1:PORT */
    char cainfo[PATH_MAX];
    char cert[PATH_MAX]; /* client cert, "" for none */
    char key[PATH_MAX];
    char auth[8192];     /* "Authorization: Bearer ..." sent by fetch(), or "" */
    pid_t pid;           /* server process (tree root) for CPU and RSS */
};

enum bench_op { OP_CREATE, OP_GET, OP_LIST };
static const char *const op_names[] = { "create", "get", "list" };

/* Outcome of one timed phase. */
struct phase_result {
    bool ran;
    long done;           /* requests completed (ok or not) */
    long errors;         /* transport errors and unexpected status codes */
    long new_conns;      /* connections opened during the timed part */
    bool cut;            /* stopped by the phase deadline */
    double secs, rps, p50_ms, p99_ms;
    double cpu_us_per_req; /* server user+sys CPU per request, NAN when unknown */
    double client_cpu_us_per_req; /* this client's user+sys CPU per request (libcurl, TLS) */
};

/* This process's user+sys CPU seconds (every thread). */
static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------- libcurl client */

/* Options shared by every handle talking to t: TLS material, HTTP/1.1, our User-Agent (so
 * anzen answers compact JSON as it does for kubectl), JSON accept, bounded time. */
static void easy_setup(CURL *h, const struct target *t, struct curl_slist *hdrs)
{
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
}

/* One request with a fresh handle (setup only, never timed). body NULL → GET. On return
 * *ret_code holds the HTTP status (0 on transport failure) and ret_body (if non-NULL) the
 * response, which the caller frees. */
static void fetch(const struct target *t, const char *path, const char *body, long *ret_code,
                  struct body_buf *ret_body)
{
    char url[512];
    fmt(url, sizeof(url), "%s%s", t->base, path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (t->auth[0])
        hdrs = curl_slist_append(hdrs, t->auth);
    struct body_buf b = {0};
    CURL *h = curl_easy_init();
    if (!h || !hdrs)
        die("curl init failed");
    easy_setup(h, t, hdrs);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    *ret_code = code;
    if (ret_body)
        *ret_body = b;
    else
        free(b.data);
}

/* One in-flight request of a phase. */
struct slot {
    CURL *h;
    double t_start;
    char body[256];      /* create payload; libcurl does not copy POSTFIELDS */
};

/* Points slot s at request idx of the phase: a GET of url, or for OP_CREATE a POST of a small
 * ConfigMap named bench-c<conc>-<idx> (prefix distinguishes warm-up requests). */
static void slot_prepare(struct slot *s, enum bench_op op, const char *url, int conc,
                         const char *prefix, long idx)
{
    curl_easy_setopt(s->h, CURLOPT_URL, url);
    if (op == OP_CREATE) {
        fmt(s->body, sizeof(s->body),
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
            "\"%s-c%d-%07ld\",\"labels\":{\"app\":\"bench\"}},"
            "\"data\":{\"greeting\":\"hello\",\"index\":\"%ld\"}}",
            prefix, conc, idx, idx);
        curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
        curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    } else {
        curl_easy_setopt(s->h, CURLOPT_HTTPGET, 1L);
    }
}

/* Runs `count` requests through `conc` handles on one multi handle (at most conc connections,
 * kept alive). When lat is non-NULL, stores each latency (seconds) in completion order.
 * Stops early at `deadline`. Fills done/errors/new_conns/cut/secs. */
static void drive(CURLM *m, struct slot *slots, int conc, enum bench_op op, const char *url,
                  const char *prefix, long count, double deadline, double *lat,
                  struct phase_result *r)
{
    long next = 0, done = 0, errors = 0, conns = 0;
    int active = 0;
    long want = op == OP_CREATE ? 201 : 200;
    double t0 = now_s();
    for (int i = 0; i < conc && next < count; i++) {
        slot_prepare(&slots[i], op, url, conc, prefix, next++);
        slots[i].t_start = now_s();
        curl_multi_add_handle(m, slots[i].h);
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
            struct slot *s;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
            double t = now_s();
            long code = 0, nc = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc);
            if (msg->data.result != CURLE_OK || code != want) {
                if (errors < 3)
                    fprintf(stderr, "api_bench: %s %s: curl %d, HTTP %ld\n", op_names[op],
                            url, (int)msg->data.result, code);
                errors++;
            }
            conns += nc;
            if (lat)
                lat[done] = t - s->t_start;
            done++;
            curl_multi_remove_handle(m, h);
            active--;
            if (next < count && t < deadline) {
                slot_prepare(s, op, url, conc, prefix, next++);
                s->t_start = now_s();
                curl_multi_add_handle(m, h);
                active++;
            }
        }
        if (active > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    r->secs = now_s() - t0;
    r->done = done;
    r->errors = errors;
    r->new_conns = conns;
    r->cut = done < count;
}

/* One phase: `op` against t at concurrency conc. An untimed warm-up of 2*conc GETs of
 * warm_path opens the conc connections; then `count` timed requests reuse them. */
static void run_phase(const struct target *t, enum bench_op op, const char *path,
                      const char *warm_path, int conc, long count, double max_secs,
                      struct phase_result *ret)
{
    char url[512], warm_url[512];
    fmt(url, sizeof(url), "%s%s", t->base, path);
    fmt(warm_url, sizeof(warm_url), "%s%s", t->base, warm_path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (op == OP_CREATE)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    CURLM *m = multi_for(conc);
    struct slot *slots = calloc((size_t)conc, sizeof(*slots));
    double *lat = malloc((size_t)count * sizeof(double));
    if (!hdrs || !m || !slots || !lat)
        die("out of memory");
    for (int i = 0; i < conc; i++) {
        slots[i].h = curl_easy_init();
        if (!slots[i].h)
            die("curl init failed");
        easy_setup(slots[i].h, t, hdrs);
        curl_easy_setopt(slots[i].h, CURLOPT_WRITEFUNCTION, discard_cb);
        curl_easy_setopt(slots[i].h, CURLOPT_PRIVATE, (char *)&slots[i]);
    }

    struct phase_result warm = {0};
    drive(m, slots, conc, OP_GET, warm_url, "warm", 2L * conc, now_s() + max_secs, NULL, &warm);

    double cpu0 = NAN, cpu1 = NAN;
    long rss;
    tree_usage(t->pid, &cpu0, &rss);
    struct phase_result r = { .ran = true };
    double self0 = self_cpu_s();
    drive(m, slots, conc, op, url, "bench", count, now_s() + max_secs, lat, &r);
    double self1 = self_cpu_s();
    if (tree_usage(t->pid, &cpu1, &rss) != 0)
        cpu1 = NAN;

    qsort(lat, (size_t)r.done, sizeof(double), cmp_double);
    r.rps = r.secs > 0 ? (double)r.done / r.secs : NAN;
    r.p50_ms = percentile(lat, r.done, 0.50) * 1e3;
    r.p99_ms = percentile(lat, r.done, 0.99) * 1e3;
    /* /proc CPU times count clock ticks (10 ms): below 5 ticks the figure means nothing. */
    r.cpu_us_per_req = r.done > 0 && cpu1 - cpu0 >= 0.05 ? (cpu1 - cpu0) * 1e6 / (double)r.done
                                                          : NAN;
    r.client_cpu_us_per_req = r.done > 0 ? (self1 - self0) * 1e6 / (double)r.done : NAN;
    printf("# %-5s %-6s C=%-2d %7ld req %7.2f s %9.0f req/s  errors %ld  new conns %ld%s\n",
           t->name, op_names[op], conc, r.done, r.secs, r.rps, r.errors, r.new_conns,
           r.cut ? "  (stopped at the phase deadline)" : "");
    fflush(stdout);
    *ret = r;

    for (int i = 0; i < conc; i++) {
        curl_multi_remove_handle(m, slots[i].h);
        curl_easy_cleanup(slots[i].h);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs);
    free(slots);
    free(lat);
}

/* ---------------------------------------------------------------- wrk */

static void run_wrk(const char *url, int conc, int secs, struct wrk_result *ret)
{
    char out[8192];
    struct wrk_run r;
    bench_wrk(url, conc < 2 ? conc : 2, conc, secs, NULL, g.nginx, out, sizeof(out), &r);
    *ret = r.w;
    if (!r.w.ran)
        return;
    printf("# nginx wrk    C=%-2d %9.0f req/s  %s  non-2xx %ld\n", conc, r.w.rps, url, r.w.non2xx);
    fflush(stdout);
}

/* ---------------------------------------------------------------- wrk rounds (bearer token) */

#define WRK_CONNS 64          /* wrk -t2 -c64, issue 10's load */
#define WRK_SA "bench-wrk"    /* the ServiceAccount wrk authenticates as, in BENCH_NS */
#define WRK_MAX_ROUNDS 50

/* Makes ServiceAccount WRK_SA in BENCH_NS, a Role allowing get/list/create of configmaps
 * there and a RoleBinding to it (with the admin cert of admin), takes a token by TokenRequest
 * and fills bearer (admin's address and CA, no client cert, the token's header). Waits until
 * the token GETs get_path with 200 and the same bytes as want (RBAC reaches the authorizer
 * asynchronously). Dies when any step fails. */
static void bearer_setup(const struct target *admin, const char *get_path,
                         const struct body_buf *want, struct target *bearer)
{
    static const struct {
        const char *path, *body;
    } objs[] = {
        { "/api/v1/namespaces/" BENCH_NS "/serviceaccounts",
          "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"" WRK_SA "\"}}" },
        { "/apis/rbac.authorization.k8s.io/v1/namespaces/" BENCH_NS "/roles",
          "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":"
          "{\"name\":\"" WRK_SA "\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":"
          "[\"configmaps\"],\"verbs\":[\"get\",\"list\",\"create\"]}]}" },
        { "/apis/rbac.authorization.k8s.io/v1/namespaces/" BENCH_NS "/rolebindings",
          "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":"
          "{\"name\":\"" WRK_SA "\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"" WRK_SA
          "\",\"namespace\":\"" BENCH_NS "\"}],\"roleRef\":{\"apiGroup\":"
          "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"" WRK_SA "\"}}" },
    };
    long code;
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        fetch(admin, objs[i].path, objs[i].body, &code, NULL);
        if (code != 201)
            die("POST %s: HTTP %ld (want 201)", objs[i].path, code);
    }
    struct body_buf b;
    fetch(admin, "/api/v1/namespaces/" BENCH_NS "/serviceaccounts/" WRK_SA "/token",
          "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{}}",
          &code, &b);
    char token[7000];
    if (code != 201 || !bench_token_of(b.data, b.len, token, sizeof(token)))
        die("TokenRequest for " BENCH_NS "/" WRK_SA ": HTTP %ld, no status.token", code);
    free(b.data);
    *bearer = *admin;
    bearer->cert[0] = bearer->key[0] = '\0';
    fmt(bearer->auth, sizeof(bearer->auth), "Authorization: Bearer %s", token);
    double deadline = now_s() + BENCH_START_TIMEOUT_S;
    for (;;) {
        fetch(bearer, get_path, NULL, &code, &b);
        bool same = code == 200 && b.len == want->len && memcmp(b.data, want->data, b.len) == 0;
        free(b.data);
        if (same)
            return;
        if (code != 403 || now_s() > deadline)
            die("GET %s with " WRK_SA "'s token: HTTP %ld%s", get_path, code,
                code == 200 ? ", other bytes than with the admin cert" : "");
        sleep_s(0.05);
    }
}

/* Writes the wrk scripts into the temp dir: get.lua (GET with bearer's token) and, per round,
 * create-rK.lua (POSTs of ConfigMaps named wrk-rK-tT-NNNNNNN, the same shape and size as the
 * libcurl create phase's bench-cC-NNNNNNN; each wrk thread has its own prefix and counter,
 * counts answers by status, and done() prints "wrk-create: 201 N other M" and
 * "wrk-create: HTTP S N" for every other status). */
static void write_wrk_script(const struct target *bearer, int round, char *path, size_t n)
{
    const char *value = strchr(bearer->auth, ':') + 2; /* "Bearer ..." */
    if (round == 0)
        fmt(path, n, "%s/get.lua", g.tmpdir);
    else
        fmt(path, n, "%s/create-r%d.lua", g.tmpdir, round);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("%s: %s", path, strerror(errno));
    fprintf(f,
            "wrk.method = \"%s\"\n"
            "wrk.headers[\"Authorization\"] = \"%s\"\n"
            "wrk.headers[\"Accept\"] = \"application/json\"\n"
            "wrk.headers[\"User-Agent\"] = \"" BENCH_UA "\"\n",
            round == 0 ? "GET" : "POST", value);
    if (round > 0)
        fprintf(f,
                "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                "local threads = {}\n"
                "local nthreads = 0\n"
                "function setup(thread)\n"
                "  nthreads = nthreads + 1\n"
                "  thread:set(\"tid\", nthreads)\n"
                "  table.insert(threads, thread)\n"
                "end\n"
                "function init(args)\n"
                "  prefix = string.format(\"wrk-r%d-t%%d\", tid)\n"
                "  n = 0\n"
                "  created = 0\n"
                "  other = 0\n"
                "  codes = {}\n"
                "end\n"
                "function request()\n"
                "  n = n + 1\n"
                "  return wrk.format(nil, nil, nil, string.format("
                "'{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                "\"%%s-%%07d\",\"labels\":{\"app\":\"bench\"}},"
                "\"data\":{\"greeting\":\"hello\",\"index\":\"%%d\"}}', prefix, n, n))\n"
                "end\n"
                "function response(status, headers, body)\n"
                "  if status == 201 then\n"
                "    created = created + 1\n"
                "  else\n"
                "    other = other + 1\n"
                "    codes[status] = (codes[status] or 0) + 1\n"
                "    if other <= 3 then\n"
                "      io.stderr:write(string.format(\"wrk-create: answer %%d: %%s\\n\", status, string.sub(body or \"\", 1, 300)))\n"
                "    end\n"
                "  end\n"
                "end\n"
                "function done(summary, latency, requests)\n"
                "  local c, o, by = 0, 0, {}\n"
                "  for _, t in ipairs(threads) do\n"
                "    c = c + t:get(\"created\")\n"
                "    o = o + t:get(\"other\")\n"
                "    for k, v in pairs(t:get(\"codes\")) do by[k] = (by[k] or 0) + v end\n"
                "  end\n"
                "  io.write(string.format(\"wrk-create: 201 %%d other %%d\\n\", c, o))\n"
                "  for k, v in pairs(by) do io.write(string.format(\"wrk-create: HTTP %%d %%d\\n\", k, v)) end\n"
                "end\n",
                round);
    if (fclose(f) != 0)
        die("%s: %s", path, strerror(errno));
}

/* How many ConfigMaps of BENCH_NS have names starting with prefix: a paged list (limit=500,
 * continue) with admin's cert. */
static long count_listed(const struct target *admin, const char *prefix)
{
    char path[2048], cont[1024] = "";
    long n = 0;
    size_t pl = strlen(prefix);
    do {
        fmt(path, sizeof(path), "/api/v1/namespaces/" BENCH_NS "/configmaps?limit=500%s%s",
            cont[0] ? "&continue=" : "", cont);
        long code;
        struct body_buf b;
        fetch(admin, path, NULL, &code, &b);
        json_t *j = code == 200 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
        free(b.data);
        json_t *items = json_object_get(j, "items");
        if (!json_is_array(items))
            die("GET %s: HTTP %ld, no items", path, code);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
            const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
            if (name && strncmp(name, prefix, pl) == 0)
                n++;
        }
        const char *c = json_string_value(json_object_get(json_object_get(j, "metadata"), "continue"));
        cont[0] = '\0';
        if (c && *c) {
            /* tokens are base64url with '=' padding: escape what a query needs */
            size_t o = 0;
            for (const char *p = c; *p; p++) {
                if (o + 4 >= sizeof(cont))
                    die("continue token too long");
                if (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.')
                    cont[o++] = *p;
                else
                    o += (size_t)snprintf(cont + o, sizeof(cont) - o, "%%%02X", (unsigned char)*p);
            }
            cont[o] = '\0';
        }
        json_decref(j);
    } while (cont[0]);
    return n;
}

/* One round of the interleaved comparison. */
struct round_result {
    struct wrk_run aget, nget, acreate;
    double commits;   /* SQLite single-row commits/s, same file system, this round */
    long n201, other; /* the create script's counts */
    long listed;      /* ConfigMaps named wrk-rK-* listed afterwards */
    bool mismatch;
};

static void print_wrk_line(int round, const char *what, const struct wrk_run *r)
{
    printf("# round %d: %-13s C=%d %9.0f req/s  %8ld req  non-2xx %ld  socket errors %ld"
           "  p99 %.2f ms  server CPU %.1f us/req  wrk CPU %.1f us/req\n",
           round, what, WRK_CONNS, r->w.rps, r->w.requests, r->w.non2xx, r->w.socket_errors,
           r->w.p99_ms, r->server_cpu_us, r->wrk_cpu_us);
    if (!r->w.ran || r->w.non2xx > 0 || r->w.socket_errors > 0)
        printf("# round %d: ERROR: %s: %s%ld answers not 2xx, %ld socket errors\n", round, what,
               r->w.ran ? "" : "wrk failed; ", r->w.non2xx, r->w.socket_errors);
}

/* Round k (1-based): wrk GET of anzen, wrk GET of nginx (the same bytes), SQLite's single-row
 * commit rate in refdir, wrk creates on anzen; then the lost-create check. */
static void run_round(int k, const struct target *admin, const struct target *bearer,
                      const char *get_path, const struct target *nt, int secs, long ref_n,
                      const char *refdir, struct round_result *r)
{
    char get_script[PATH_MAX + 16], create_script[PATH_MAX + 32], url[1024], out[16384];
    write_wrk_script(bearer, 0, get_script, sizeof(get_script));
    write_wrk_script(bearer, k, create_script, sizeof(create_script));
    *r = (struct round_result){ .commits = NAN };

    fmt(url, sizeof(url), "%s%s", bearer->base, get_path);
    bench_wrk(url, 2, WRK_CONNS, secs, get_script, admin->pid, out, sizeof(out), &r->aget);
    print_wrk_line(k, "anzen get", &r->aget);
    fmt(url, sizeof(url), "%s/get.json", nt->base);
    bench_wrk(url, 2, WRK_CONNS, secs, get_script, nt->pid, out, sizeof(out), &r->nget);
    print_wrk_line(k, "nginx get", &r->nget);

    char refdb[PATH_MAX + 32];
    fmt(refdb, sizeof(refdb), "%s/reference-r%d.db", refdir, k);
    static const char refval[300] = {'x'};
    r->commits = sqlite_ref_commit_rate(refdb, ref_n, refval, sizeof(refval));
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char f[PATH_MAX + 48];
        fmt(f, sizeof(f), "%s%s", refdb, suffixes[i]);
        unlink(f);
    }
    printf("# round %d: SQLite single-row commits (sync=FULL, %ld of them) %9.0f /s\n", k, ref_n,
           r->commits);

    fmt(url, sizeof(url), "%s/api/v1/namespaces/" BENCH_NS "/configmaps", bearer->base);
    bench_wrk(url, 2, WRK_CONNS, secs, create_script, admin->pid, out, sizeof(out), &r->acreate);
    print_wrk_line(k, "anzen create", &r->acreate);
    r->n201 = r->other = -1;
    for (char *p = strstr(out, "wrk-create: "); p; p = strstr(p + 1, "wrk-create: ")) {
        long a, b;
        if (sscanf(p, "wrk-create: 201 %ld other %ld", &a, &b) == 2) {
            r->n201 = a;
            r->other = b;
        } else if (sscanf(p, "wrk-create: HTTP %ld %ld", &a, &b) == 2) {
            printf("# round %d: ERROR: %ld creates answered HTTP %ld (want 201)\n", k, b, a);
        } else if (strncmp(p, "wrk-create: answer ", 19) == 0) {
            printf("# round %d: ERROR: %.*s\n", k, (int)strcspn(p + 12, "\n"), p + 12);
        }
    }
    if (r->n201 < 0)
        printf("# round %d: ERROR: the create script printed no counts:\n%s\n", k, out);
    else if (r->other > 0)
        printf("# round %d: ERROR: %ld creates answered other than 201\n", k, r->other);
    char prefix[32];
    fmt(prefix, sizeof(prefix), "wrk-r%d-", k);
    r->listed = count_listed(admin, prefix);
    r->mismatch = r->n201 < 0 || r->listed < r->n201 || r->listed > r->n201 + WRK_CONNS;
    printf("# round %d: creates: wrk counted %ld answered 201, %ld other; listed %ld ConfigMaps"
           " %s*: %s\n", k, r->n201, r->other, r->listed, prefix,
           r->mismatch ? "MISMATCH (want 201s <= listed <= 201s + 64 in flight)"
                       : "ok (201s <= listed <= 201s + 64 in flight)");
    fflush(stdout);
}

static double median(double *v, int n)
{
    if (n <= 0)
        return NAN;
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The rounds' table and the two medians. */
static void print_rounds(const struct round_result *rr, int rounds, int secs)
{
    double gr[WRK_MAX_ROUNDS], cr[WRK_MAX_ROUNDS], cpu[WRK_MAX_ROUNDS];
    int ng = 0, nc = 0, ncpu = 0;
    long mismatches = 0, errors = 0;
    printf("\nwrk -t2 -c%d, %d s per run, ServiceAccount bearer token, rounds interleaved:\n",
           WRK_CONNS, secs);
    printf("%-6s %10s %10s %6s %9s %9s %9s %10s %10s %6s %9s %9s\n", "round", "anzen get",
           "nginx get", "ratio", "srv us", "ngx us", "wrk us", "creates/s", "commits/s", "x",
           "srv us", "wrk us");
    for (int k = 0; k < rounds; k++) {
        const struct round_result *r = &rr[k];
        double g_ratio = r->aget.w.ran && r->nget.w.ran && r->nget.w.rps > 0
                             ? r->aget.w.rps / r->nget.w.rps : NAN;
        double c_ratio = r->acreate.w.ran && r->commits > 0 ? r->acreate.w.rps / r->commits : NAN;
        if (!isnan(g_ratio))
            gr[ng++] = g_ratio;
        if (!isnan(c_ratio))
            cr[nc++] = c_ratio;
        if (!isnan(r->aget.server_cpu_us) && r->nget.server_cpu_us > 0)
            cpu[ncpu++] = r->aget.server_cpu_us / r->nget.server_cpu_us;
        mismatches += r->mismatch;
        errors += r->aget.w.non2xx + r->aget.w.socket_errors + r->nget.w.non2xx +
                  r->nget.w.socket_errors + r->acreate.w.socket_errors +
                  (r->other > 0 ? r->other : 0) + !r->aget.w.ran + !r->nget.w.ran +
                  !r->acreate.w.ran;
        printf("%-6d %10.0f %10.0f %6.2f %9.1f %9.1f %9.1f %10.0f %10.0f %6.2f %9.1f %9.1f\n",
               k + 1, r->aget.w.rps, r->nget.w.rps, g_ratio, r->aget.server_cpu_us,
               r->nget.server_cpu_us, r->aget.wrk_cpu_us, r->acreate.w.rps, r->commits, c_ratio,
               r->acreate.server_cpu_us, r->acreate.wrk_cpu_us);
    }
    printf("(srv us: the server's CPU per request; ngx us: nginx's; wrk us: wrk's own CPU per"
           " request on anzen)\n");
    printf("median GET C=64 vs nginx (wrk): %.2f over %d rounds (goal >= 0.80)\n", median(gr, ng),
           ng);
    printf("median server CPU per GET, anzen / nginx: %.2f over %d rounds\n", median(cpu, ncpu),
           ncpu);
    printf("median durable creates C=64 (wrk) / single commits: %.2fx over %d rounds (goal >= 2x)\n",
           median(cr, nc), nc);
    printf("wrk create check: %ld MISMATCH rounds; errors (non-2xx, socket, non-201) %ld\n",
           mismatches, errors);
}

/* ---------------------------------------------------------------- the table */

enum row_kind { ROW_MS, ROW_RPS, ROW_KIB, ROW_US, ROW_BYTES, ROW_RULE };

struct row {
    char label[64];
    enum row_kind kind;
    double anzen, nginx; /* NAN → "-" */
};

#define MAX_ROWS 96
static struct row rows[MAX_ROWS];
static int n_rows;

static void add_row(enum row_kind kind, double a, double n, const char *f, ...)
    __attribute__((format(printf, 4, 5)));

static void add_row(enum row_kind kind, double a, double n, const char *f, ...)
{
    if (n_rows >= MAX_ROWS)
        return;
    struct row *r = &rows[n_rows++];
    va_list ap;
    va_start(ap, f);
    vsnprintf(r->label, sizeof(r->label), f, ap);
    va_end(ap);
    r->kind = kind;
    r->anzen = a;
    r->nginx = n;
}

static void cell(char *buf, size_t n, enum row_kind kind, double v)
{
    if (isnan(v) || v < 0) {
        fmt(buf, n, "-");
        return;
    }
    switch (kind) {
    case ROW_MS:
        fmt(buf, n, v < 10 ? "%.3f" : "%.1f", v);
        break;
    case ROW_US:
        fmt(buf, n, "%.0f", v);
        break;
    case ROW_RPS:
    case ROW_KIB:
    case ROW_BYTES:
        fmt(buf, n, "%.0f", v);
        break;
    case ROW_RULE:
        buf[0] = '\0';
        break;
    }
}

static void print_table(void)
{
    printf("\n%-40s %12s %12s %8s\n", "metric", "anzen", "nginx", "ratio");
    printf("%-40s %12s %12s %8s\n", "----------------------------------------",
           "------------", "------------", "--------");
    for (int i = 0; i < n_rows; i++) {
        struct row *r = &rows[i];
        if (r->kind == ROW_RULE) {
            printf("%s\n", r->label);
            continue;
        }
        char a[32], n[32], q[32] = "-";
        cell(a, sizeof(a), r->kind, r->anzen);
        cell(n, sizeof(n), r->kind, r->nginx);
        if (!isnan(r->anzen) && !isnan(r->nginx) && r->anzen >= 0 && r->nginx > 0)
            fmt(q, sizeof(q), "%.2f", r->anzen / r->nginx);
        printf("%-40s %12s %12s %8s\n", r->label, a, n, q);
    }
    printf("\nratio = anzen / nginx: for req/s higher is better, for latency, CPU and RSS lower"
           " is better.\n");
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr, "usage: api_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [-w WRK_SECS]"
                    " [-r ROUNDS] [-0] [ANZEN]\n"
                    "  -0  gets and lists with resourceVersion=0: any cached state, no consistent-read\n"
                    "      barrier (what informers and `kubectl get --raw ...?resourceVersion=0` ask)\n");
    exit(1);
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        die("%s must be an integer in [%ld, %ld], got '%s'", what, lo, hi, s);
    return v;
}

/* Starts anzen on data dir `dir`; returns seconds from exec to the first /readyz 200. */
static double start_anzen(const char *anzen, const char *dir, int port, const char *log)
{
    char listen[32], url[64];
    fmt(listen, sizeof(listen), "127.0.0.1:%d", port);
    fmt(url, sizeof(url), "https://127.0.0.1:%d/readyz", port);
    char *argv[] = { (char *)anzen, "serve", "--data-dir", (char *)dir, "--listen", listen, NULL };
    double t0 = now_s();
    g.anzen = spawn(argv, log);
    double secs = wait_ready(url, g.anzen, t0);
    if (secs < 0) {
        show_log_tail(log);
        if (secs < -1.5)
            die("anzen (%s) exited before answering /readyz", anzen);
        die("anzen did not answer /readyz 200 within %.0f s (%s)", BENCH_START_TIMEOUT_S, anzen);
    }
    return secs;
}

int main(int argc, char **argv)
{
    long count = 5000;
    int conc[BENCH_MAX_LEVELS] = { 1, 8 }, n_conc = 2;
    double phase_secs = 60;
    int wrk_secs = 5, rounds = 3;
    bool rv0 = false;
    int c;
    while ((c = getopt(argc, argv, "n:c:t:w:r:0h")) != -1) {
        switch (c) {
        case '0':
            rv0 = true;
            break;
        case 'n':
            count = parse_long(optarg, 1, BENCH_MAX_COUNT, "-n");
            break;
        case 'c': {
            n_conc = 0;
            char *list = strdup(optarg), *save = NULL;
            for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (n_conc == BENCH_MAX_LEVELS)
                    die("-c takes at most %d levels", BENCH_MAX_LEVELS);
                conc[n_conc++] = (int)parse_long(tok, 1, BENCH_MAX_CONC, "-c entry");
            }
            free(list);
            if (n_conc == 0)
                usage();
            break;
        }
        case 't':
            phase_secs = (double)parse_long(optarg, 1, 3600, "-t");
            break;
        case 'w':
            wrk_secs = (int)parse_long(optarg, 0, 120, "-w");
            break;
        case 'r':
            rounds = (int)parse_long(optarg, 1, WRK_MAX_ROUNDS, "-r");
            break;
        default:
            usage();
        }
    }
    if (argc - optind > 1)
        usage();
    const char *anzen = optind < argc ? argv[optind] : getenv("ANZEN");
    if (!anzen || !*anzen)
        anzen = "build/anzen";
    char anzen_abs[PATH_MAX];
    if (!realpath(anzen, anzen_abs) || access(anzen_abs, X_OK) != 0)
        die("cannot execute anzen binary '%s' (pass a path or set $ANZEN)", anzen);

    /* Exit paths: die()/return → atexit; SIGINT/SIGTERM/SIGHUP → handler. */
    atexit(cleanup);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed");

    const char *tmpbase = getenv("TMPDIR");
    fmt(g.tmpdir, sizeof(g.tmpdir), "%s/anzen-api-bench.XXXXXX", tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(g.tmpdir)) {
        g.tmpdir[0] = '\0';
        die("mkdtemp: %s", strerror(errno));
    }
    chmod(g.tmpdir, 0755); /* nginx workers may run as another user */

    /* Header: when, where, how loaded the machine is. */
    char when[64], load[64];
    bench_when_load(when, load);
    printf("# api_bench %s, %ld CPUs online (anzen's default --workers), loadavg %s\n", when,
           sysconf(_SC_NPROCESSORS_ONLN), load);
    printf("# anzen %s; %ld requests per phase; concurrency", anzen_abs, count);
    for (int i = 0; i < n_conc; i++)
        printf(" %d", conc[i]);
    printf("; HTTP/1.1 keep-alive over TLS, libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
    fflush(stdout);

    /* ---- anzen: cold start, idle RSS */
    char datadir[PATH_MAX + 32], log[PATH_MAX + 32];
    fmt(datadir, sizeof(datadir), "%s/anzen-data", g.tmpdir);
    fmt(log, sizeof(log), "%s/anzen.log", g.tmpdir);
    int aport = free_port();
    double cold_s = start_anzen(anzen_abs, datadir, aport, log);
    sleep_s(0.5);
    long anzen_idle_kib = proc_status_kib(g.anzen, "VmRSS");
    printf("# anzen cold start %.1f ms, idle RSS %ld KiB\n", cold_s * 1e3, anzen_idle_kib);

    struct target at = { .name = "anzen", .pid = g.anzen };
    fmt(at.base, sizeof(at.base), "https://127.0.0.1:%d", aport);
    fmt(at.cainfo, sizeof(at.cainfo), "%s/pki/ca.crt", datadir);
    fmt(at.cert, sizeof(at.cert), "%s/pki/admin.crt", datadir);
    fmt(at.key, sizeof(at.key), "%s/pki/admin.key", datadir);

    long code;
    fetch(&at, "/api/v1/namespaces",
          "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" BENCH_NS "\"}}",
          &code, NULL);
    if (code != 201)
        die("creating namespace " BENCH_NS " on anzen: HTTP %ld", code);
    const char *coll = "/api/v1/namespaces/" BENCH_NS "/configmaps";
    const char *get_path = rv0 ? "/api/v1/namespaces/" BENCH_NS "/configmaps/bench-get?resourceVersion=0"
                               : "/api/v1/namespaces/" BENCH_NS "/configmaps/bench-get";
    /* resourceVersion=0 lists ignore limit (the whole list from the cache, as upstream's
     * watch cache serves them): -0 lists a namespace of exactly 100 ConfigMaps instead, the
     * same 100 items a limit=100 page of the bench namespace returns */
    const char *list_path = rv0 ? "/api/v1/namespaces/" BENCH_LIST_NS "/configmaps?resourceVersion=0"
                                : "/api/v1/namespaces/" BENCH_NS "/configmaps?limit=100";
    if (rv0) {
        printf("# gets and lists with resourceVersion=0 (-0); the list: namespace " BENCH_LIST_NS
               " (100 ConfigMaps and its kube-root-ca.crt)\n");
        fetch(&at, "/api/v1/namespaces",
              "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" BENCH_LIST_NS "\"}}",
              &code, NULL);
        if (code != 201)
            die("creating namespace " BENCH_LIST_NS " on anzen: HTTP %ld", code);
        for (int i = 0; i < 100; i++) {
            char body[256];
            fmt(body, sizeof(body),
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                "\"bench-c1-%07d\",\"labels\":{\"app\":\"bench\"}},"
                "\"data\":{\"greeting\":\"hello\",\"index\":\"%d\"}}",
                i, i);
            fetch(&at, "/api/v1/namespaces/" BENCH_LIST_NS "/configmaps", body, &code, NULL);
            if (code != 201)
                die("creating ConfigMap %d of namespace " BENCH_LIST_NS " on anzen: HTTP %ld", i, code);
        }
    }
    struct body_buf create_body; /* nginx answers wrk's informational POSTs with these bytes */
    fetch(&at, coll,
          "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"bench-get\","
          "\"labels\":{\"app\":\"bench\"}},\"data\":{\"greeting\":\"hello\",\"index\":\"0\"}}",
          &code, &create_body);
    if (code != 201 || !create_body.data)
        die("creating the ConfigMap to get on anzen: HTTP %ld", code);

    struct phase_result ares[3][BENCH_MAX_LEVELS] = {0}, nres[3][BENCH_MAX_LEVELS] = {0};
    for (int op = OP_CREATE; op <= OP_LIST; op++) {
        const char *path = op == OP_CREATE ? coll : op == OP_GET ? get_path : list_path;
        for (int i = 0; i < n_conc; i++)
            run_phase(&at, (enum bench_op)op, path, get_path, conc[i], count, phase_secs,
                      &ares[op][i]);
    }
    /* The durable-write reference, on the data dir's file system, right after the creates:
     * plain SQLite single-row commits (one fsync each) of a value of a created object's size. */
    char refdb[PATH_MAX + 16];
    fmt(refdb, sizeof(refdb), "%s/reference.db", g.tmpdir);
    static const char refval[300] = {'x'};
    double ref_commits = sqlite_ref_commit_rate(refdb, count < 2000 ? count : 2000, refval, sizeof(refval));

    /* The bodies nginx will serve: anzen's own answers for the same get and list. */
    struct body_buf get_body, list_body;
    fetch(&at, get_path, NULL, &code, &get_body);
    if (code != 200 || !get_body.data)
        die("GET %s on anzen: HTTP %ld", get_path, code);
    fetch(&at, list_path, NULL, &code, &list_body);
    if (code != 200 || !list_body.data)
        die("GET %s on anzen: HTTP %ld", list_path, code);

    long anzen_load_kib = proc_status_kib(g.anzen, "VmRSS");
    long anzen_peak_kib = proc_status_kib(g.anzen, "VmHWM");
    double stop_s = stop_child(&g.anzen);
    double warm_s = start_anzen(anzen_abs, datadir, aport, log);
    sleep_s(0.5);
    long anzen_restart_kib = proc_status_kib(g.anzen, "VmRSS");
    long n_objects = 1;
    for (int i = 0; i < n_conc; i++)
        n_objects += ares[OP_CREATE][i].done + 2L * conc[i];
    printf("# anzen stop %.1f ms; warm start (%ld ConfigMaps) %.1f ms, idle RSS %ld KiB\n",
           stop_s * 1e3, n_objects, warm_s * 1e3, anzen_restart_kib);
    stop_child(&g.anzen);

    /* ---- nginx: cert, config, static files */
    char ndir[PATH_MAX], path_a[PATH_MAX + 64];
    fmt(ndir, sizeof(ndir), "%s/nginx", g.tmpdir);
    char www[PATH_MAX + 16], tmpd[PATH_MAX + 16];
    fmt(www, sizeof(www), "%s/www", ndir);
    fmt(tmpd, sizeof(tmpd), "%s/tmp", ndir);
    if (mkdir(ndir, 0755) != 0 || mkdir(www, 0755) != 0 || mkdir(tmpd, 0755) != 0)
        die("mkdir under %s: %s", g.tmpdir, strerror(errno));
    fmt(path_a, sizeof(path_a), "%s/get.json", www);
    write_file(path_a, get_body.data, get_body.len);
    fmt(path_a, sizeof(path_a), "%s/list.json", www);
    write_file(path_a, list_body.data, list_body.len);
    fmt(path_a, sizeof(path_a), "%s/post", www);
    if (mkdir(path_a, 0755) != 0)
        die("mkdir %s: %s", path_a, strerror(errno));
    fmt(path_a, sizeof(path_a), "%s/post/create.json", www);
    write_file(path_a, create_body.data, create_body.len);

    fmt(path_a, sizeof(path_a), "%s/cert.pem", ndir);
    int nport = free_port();
    while (nport == aport)
        nport = free_port();
    double nginx_start_s = nginx_start(ndir, nport, "/get.json");
    sleep_s(0.5);
    long nginx_idle_kib = tree_rss_kib(g.nginx);

    struct target nt = { .name = "nginx", .pid = g.nginx };
    fmt(nt.base, sizeof(nt.base), "https://127.0.0.1:%d", nport);
    fmt(nt.cainfo, sizeof(nt.cainfo), "%s", path_a);
    for (int op = OP_GET; op <= OP_LIST; op++)
        for (int i = 0; i < n_conc; i++)
            run_phase(&nt, (enum bench_op)op, op == OP_GET ? "/get.json" : "/list.json",
                      "/get.json", conc[i], count, phase_secs, &nres[op][i]);
    long nginx_load_kib = tree_rss_kib(g.nginx);

    struct wrk_result wres[3][BENCH_MAX_LEVELS] = {0};
    bool have_wrk = wrk_secs > 0 && bench_have_wrk();
    if (have_wrk) {
        for (int op = OP_GET; op <= OP_LIST; op++)
            for (int i = 0; i < n_conc; i++) {
                char u[160];
                fmt(u, sizeof(u), "%s/%s", nt.base, op == OP_GET ? "get.json" : "list.json");
                run_wrk(u, conc[i], wrk_secs, &wres[op][i]);
            }
    } else {
        printf("# wrk %s; no wrk reference figures\n", wrk_secs > 0 ? "not found" : "skipped (-w 0)");
    }

    /* ---- wrk rounds: anzen (started again on the same data dir, up across the rounds) with
     * a ServiceAccount's bearer token, nginx with the same requests, SQLite's commit rate */
    struct round_result rr[WRK_MAX_ROUNDS];
    struct wrk_run npost = { .server_cpu_us = NAN };
    if (have_wrk) {
        start_anzen(anzen_abs, datadir, aport, log);
        at.pid = g.anzen;
        struct target bt;
        bearer_setup(&at, get_path, &get_body, &bt);
        printf("# wrk rounds: %d of anzen get, nginx get, SQLite commits, anzen create; wrk -t2"
               " -c%d -d %ds as " BENCH_NS "/" WRK_SA " (bearer token)\n", rounds, WRK_CONNS,
               wrk_secs);
        fflush(stdout);
        long ref_n = count < 2000 ? count : 2000;
        for (int k = 0; k < rounds; k++)
            run_round(k + 1, &at, &bt, get_path, &nt, wrk_secs, ref_n, g.tmpdir, &rr[k]);
        /* informational: nginx answering the same create POSTs with anzen's create answer */
        char script[PATH_MAX + 32], url[160], out[16384];
        write_wrk_script(&bt, rounds + 1, script, sizeof(script));
        fmt(url, sizeof(url), "%s/post/create.json", nt.base);
        bench_wrk(url, 2, WRK_CONNS, wrk_secs, script, g.nginx, out, sizeof(out), &npost);
        print_wrk_line(rounds + 1, "nginx POST", &npost); /* "round R+1": after the rounds */
        stop_child(&g.anzen);
    }
    stop_child(&g.nginx);

    /* ---- table */
    /* nginx starts with its cert already made, like anzen's warm start; anzen's cold start
     * also generates its PKI, so it has no nginx counterpart. */
    add_row(ROW_MS, cold_s * 1e3, NAN, "cold start: exec to first 200 (ms)");
    add_row(ROW_MS, warm_s * 1e3, nginx_start_s * 1e3, "warm start, %ld objects (ms)", n_objects);
    add_row(ROW_MS, stop_s * 1e3, NAN, "SIGTERM to exit after load (ms)");
    add_row(ROW_KIB, (double)anzen_idle_kib, (double)nginx_idle_kib, "idle RSS after start (KiB)");
    add_row(ROW_KIB, (double)anzen_load_kib, (double)nginx_load_kib, "RSS after load (KiB)");
    add_row(ROW_KIB, (double)anzen_peak_kib, NAN, "peak RSS, VmHWM (KiB)");
    add_row(ROW_KIB, (double)anzen_restart_kib, NAN, "idle RSS after warm start (KiB)");
    add_row(ROW_BYTES, (double)get_body.len, (double)get_body.len, "get response body (bytes)");
    add_row(ROW_BYTES, (double)list_body.len, (double)list_body.len,
            "list limit=100 response body (bytes)");
    for (int op = OP_CREATE; op <= OP_LIST; op++) {
        for (int i = 0; i < n_conc; i++) {
            struct phase_result *a = &ares[op][i], *n = &nres[op][i];
            double nan = NAN;
            add_row(ROW_RULE, 0, 0, "%s", "");
            add_row(ROW_RPS, a->rps, n->ran ? n->rps : nan, "%s C=%d req/s%s", op_names[op],
                    conc[i], a->errors || n->errors ? " (errors!)" : "");
            add_row(ROW_MS, a->p50_ms, n->ran ? n->p50_ms : nan, "%s C=%d p50 (ms)",
                    op_names[op], conc[i]);
            add_row(ROW_MS, a->p99_ms, n->ran ? n->p99_ms : nan, "%s C=%d p99 (ms)",
                    op_names[op], conc[i]);
            add_row(ROW_US, a->cpu_us_per_req, n->ran ? n->cpu_us_per_req : nan,
                    "%s C=%d server CPU (us/req)", op_names[op], conc[i]);
            add_row(ROW_US, a->client_cpu_us_per_req, n->ran ? n->client_cpu_us_per_req : nan,
                    "%s C=%d client CPU (us/req)", op_names[op], conc[i]);
            struct wrk_result *w = &wres[op][i];
            if (w->ran) {
                add_row(ROW_RPS, a->rps, w->rps, "%s C=%d req/s vs nginx+wrk", op_names[op],
                        conc[i]);
                add_row(ROW_MS, a->p99_ms, w->p99_ms, "%s C=%d p99 vs nginx+wrk (ms)",
                        op_names[op], conc[i]);
            }
        }
    }
    print_table();
    printf("\ndurable creates vs plain SQLite single-row commits (sync=FULL, one fsync each, same"
           " file system, this run): %.0f commits/s\n", ref_commits);
    for (int i = 0; i < n_conc && ref_commits > 0; i++)
        printf("create C=%-2d %9.0f req/s = %.2fx the single-commit rate\n", conc[i],
               ares[OP_CREATE][i].rps, ares[OP_CREATE][i].rps / ref_commits);
    if (have_wrk) {
        print_rounds(rr, rounds, wrk_secs);
        printf("nginx answering the same create POSTs with anzen's %zu-byte create answer from a"
               " file (informational): %.0f req/s, %.1f us of nginx CPU per request\n",
               create_body.len, npost.w.rps, npost.server_cpu_us);
    }
    bench_when_load(when, load);
    printf("# end %s, loadavg %s\n", when, load);
    free(get_body.data);
    free(list_body.data);
    free(create_body.data);
    return 0;
}
