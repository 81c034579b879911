/* ssar_bench.c — SelfSubjectAccessReview requests per second against the real `anzen serve`
 * over HTTPS/1.1 keep-alive with a ServiceAccount bearer token, next to nginx answering the
 * same request with the same response bytes from a static file, in the same run (issue 4's
 * second RBAC figure; the first is rbac_bench). Prints figures; never passes or fails on time.
 * Exit 0 when every figure was taken, 1 when anzen, nginx or openssl could not be started.
 *
 *   ssar_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [ANZEN]
 *
 *   ANZEN       the anzen binary (default $ANZEN, else build/anzen relative to the cwd)
 *   -n COUNT    requests per phase (default 5000, at most 1000000)
 *   -c LIST     concurrent keep-alive connections, one phase per entry (default 1,8; <= 64)
 *   -t SECS     wall-clock cap per phase (default 60)
 *
 * Steps (one server at a time): start anzen on a temp data dir and a free loopback port (as
 * api_bench does); get a token for system:serviceaccount:default:default with a TokenRequest
 * POST using the admin client cert; POST the seed's SSAR (get pods in default) with
 * `Authorization: Bearer`, expecting 201 and "allowed": false; time COUNT of them per
 * concurrency over C pre-opened connections (libcurl multi, one thread). Then nginx
 * (worker_processes 2, TLS with a throwaway P-256 cert) serves anzen's exact response bytes as
 * a static file — POST is answered from the file via `error_page 405 =200` — and the same
 * client sends the same POSTs. The temp dir is removed and children stopped on every exit. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_COUNT 1000000L
#define BENCH_MAX_CONC 64
#define BENCH_MAX_LEVELS 4
#define BENCH_MAX_BODY (1L << 20)
#define BENCH_START_TIMEOUT_S 30.0
#define BENCH_STOP_TIMEOUT_S 10.0
#define BENCH_REQ_TIMEOUT_MS 10000L
#define BENCH_TOKEN_WAIT_S 20.0 /* the default ServiceAccount is made by a controller */
#define BENCH_UA "anzen-ssar-bench/1"
#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
#define SSAR_BODY                                                                              \
    "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\","        \
    "\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\","           \
    "\"resource\":\"pods\"}}}"

static struct {
    char tmpdir[PATH_MAX];
    pid_t anzen;
    pid_t nginx;
    volatile sig_atomic_t cleaning;
} g;

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

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ssar_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* snprintf that treats truncation as a bug in the caller's sizing. */
static void fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = vsnprintf(buf, n, f, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= n)
        die("internal: string too long (%.40s...)", buf);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write %s: %s", path, strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    close(fd);
}

/* Prints the last lines of a child's log to stderr (for start failures). */
static void show_log_tail(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char buf[4096];
    size_t n = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
        n = fread(buf, 1, sizeof(buf) - 1, f);
    }
    fclose(f);
    buf[n] = '\0';
    fprintf(stderr, "--- %s (tail) ---\n%s\n---\n", path, buf);
}

/* Returns a free loopback TCP port (bound then released; good enough on one machine). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("bind loopback: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

/* ---------------------------------------------------------------- child processes */

/* fork+exec argv[0] (PATH lookup) with stdin from /dev/null and stdout+stderr to log_path.
 * The child dies with us (PR_SET_PDEATHSIG). Returns the pid; exec failure shows up later as
 * the child exiting with 127. */
static pid_t spawn(char *const argv[], const char *log_path)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* SIGTERM, wait up to BENCH_STOP_TIMEOUT_S, then SIGKILL; always reaps. Returns the seconds it
 * took to exit after SIGTERM (NAN if it had to be killed). *pid becomes 0. */
static double stop_child(pid_t *pid)
{
    if (*pid <= 0)
        return NAN;
    double t0 = now_s(), took = NAN;
    kill(*pid, SIGTERM);
    for (;;) {
        pid_t r = waitpid(*pid, NULL, WNOHANG);
        if (r == *pid || (r < 0 && errno != EINTR)) {
            took = now_s() - t0;
            break;
        }
        if (now_s() - t0 > BENCH_STOP_TIMEOUT_S) {
            kill(*pid, SIGKILL);
            while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        sleep_s(0.002);
    }
    *pid = 0;
    return took;
}

/* Runs argv to completion (PATH lookup) with stdout+stderr captured into out (NUL-terminated,
 * truncated to outsz-1), killing it after timeout_s. Returns its exit status, -1 when it did not
 * exit normally, 127 when it could not be executed. */
static int run_capture(char *const argv[], char *out, size_t outsz, double timeout_s)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    double deadline = now_s() + timeout_s;
    bool killed = false;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        int r = poll(&pfd, 1, left > 0 ? (int)(left * 1000) + 1 : 100);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue;
        char tmp[4096];
        ssize_t got = read(p[0], tmp, sizeof(tmp));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got;
        if (take > outsz - 1 - n)
            take = outsz - 1 - n;
        memcpy(out + n, tmp, take);
        n += take;
    }
    out[n] = '\0';
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

/* Stops children and removes the temp dir. Safe to call more than once. */
static void cleanup(void)
{
    if (g.cleaning)
        return;
    g.cleaning = 1;
    stop_child(&g.anzen);
    stop_child(&g.nginx);
    if (g.tmpdir[0]) {
        nftw(g.tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        g.tmpdir[0] = '\0';
    }
}

static void on_signal(int sig)
{
    if (g.cleaning)
        return; /* the exit path is already stopping children (bounded); let it finish */
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

struct body_buf {
    char *data;
    size_t len;
    bool too_big;
};

static size_t discard_cb(char *p, size_t sz, size_t nm, void *ud)
{
    return sz * nm;
}

static size_t collect_cb(char *p, size_t sz, size_t nm, void *ud)
{
    struct body_buf *b = ud;
    size_t n = sz * nm;
    if (b->len + n > (size_t)BENCH_MAX_BODY) {
        b->too_big = true;
        return 0;
    }
    char *nd = realloc(b->data, b->len + n + 1);
    if (!nd)
        abort();
    b->data = nd;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Polls GET url every 1 ms until 200, from t0 on. Returns seconds from t0 to the first 200,
 * -1 when BENCH_START_TIMEOUT_S passes, -2 when pid exits (it is reaped). TLS is not verified here:
 * anzen writes its CA during start-up, and only reachability is being timed. */
static double wait_ready(const char *url, pid_t pid, double t0)
{
    CURL *h = curl_easy_init();
    if (!h)
        die("curl init failed");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 500L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
    double result = -1;
    for (;;) {
        long code = 0;
        if (curl_easy_perform(h) == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        double t = now_s();
        if (code == 200) {
            result = t - t0;
            break;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            result = -2;
            if (pid == g.anzen)
                g.anzen = 0;
            if (pid == g.nginx)
                g.nginx = 0;
            break;
        }
        if (t - t0 > BENCH_START_TIMEOUT_S)
            break;
        sleep_s(0.001);
    }
    curl_easy_cleanup(h);
    return result;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of sorted v[0..n-1], nearest-rank. */
static double percentile(const double *v, long n, double q)
{
    if (n <= 0)
        return NAN;
    long rank = (long)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}


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
    CURLM *m = curl_multi_init();
    CURL **hs = calloc((size_t)conc, sizeof(*hs));
    struct curl_slist **hdrs = calloc((size_t)conc, sizeof(*hdrs));
    double *t_start = calloc((size_t)conc, sizeof(double));
    double *lat = malloc((size_t)count * sizeof(double));
    if (!m || !hs || !hdrs || !t_start || !lat)
        die("out of memory");
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conc);
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
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

int main(int argc, char **argv)
{
    long count = 5000, max_secs = 60;
    int levels[BENCH_MAX_LEVELS] = {1, 8}, nlevels = 2;
    const char *anzen = getenv("ANZEN") ? getenv("ANZEN") : "build/anzen";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            count = parse_long(argv[++i], 1, BENCH_MAX_COUNT, "-n");
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
            fprintf(stderr, "usage: ssar_bench [-n COUNT] [-c C1,C2,..] [-t PHASE_SECS] [ANZEN]\n");
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
        if (code == 201) {
            json_t *j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
            const char *tok = json_string_value(json_object_get(json_object_get(j, "status"), "token"));
            if (tok && strlen(tok) < sizeof(token))
                fmt(token, sizeof(token), "%s", tok);
            json_decref(j);
        }
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
    printf("# SSAR as system:serviceaccount:default:default (bearer token), get pods in default:"
           " 201, allowed false, %zu-byte response\n", resp.len);

    struct phase_result ar[BENCH_MAX_LEVELS], nr[BENCH_MAX_LEVELS];
    for (int i = 0; i < nlevels; i++)
        run_phase(&at, 201, levels[i], count, (double)max_secs, &ar[i]);
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
    printf("\nratio = anzen / nginx (req/s: higher is better; latency: lower is better). nginx\n"
           "answers from a file; anzen authenticates the token and runs the authorizer.\n");
    return 0;
}
