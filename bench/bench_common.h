/* bench_common.h — helpers shared by the end-to-end benches that run `anzen serve` and nginx
 * as children (api_bench, ssar_bench): die/fmt, monotonic time, files, free loopback ports,
 * fork+exec of servers and of capture-and-wait commands, /proc readings (RSS, CPU), nginx
 * serving static files over TLS, the exit path that stops children and
 * removes the temp dir, libcurl body callbacks, readiness polling and percentiles.
 *
 * Header-only on purpose: CMake builds each bench/NAME_bench.c as its own program, so every
 * function here is static and each bench gets its own copy. Before including it, a bench defines
 *   BENCH_NAME       its program name as a string literal, the prefix of die() messages
 *   BENCH_MAX_BODY   the cap in bytes on a body collect_cb() accumulates
 * The process-wide state the exit path must undo lives in `g` (struct bench_state); benches
 * set g.tmpdir, g.anzen and g.nginx and register cleanup()/on_signal().
 */
#ifndef ANZEN_BENCH_COMMON_H
#define ANZEN_BENCH_COMMON_H

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_common.h"
#endif
#ifndef BENCH_MAX_BODY
#error "define BENCH_MAX_BODY before including bench_common.h"
#endif

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <ftw.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_START_TIMEOUT_S
#define BENCH_START_TIMEOUT_S 30.0        /* exec → ready, either server (a bench may set its own) */
#endif
#define BENCH_STOP_TIMEOUT_S 10.0         /* SIGTERM → exit, then SIGKILL */

/* Everything the exit path must undo. Written only from the main thread. */
struct bench_state {
    char tmpdir[PATH_MAX];   /* mkdtemp'd directory, "" until made */
    pid_t anzen;             /* running anzen serve, 0 if none */
    pid_t nginx;             /* running nginx master, 0 if none */
    volatile sig_atomic_t cleaning;
};

static struct bench_state g;

/* ---------------------------------------------------------------- small helpers */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(BENCH_NAME ": ", stderr);
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
 * exit normally, 127 when it could not be executed. When ret_ru is non-NULL it receives the
 * child's resource usage (wait4: its user and system CPU). */
static int run_capture_ru(char *const argv[], char *out, size_t outsz, double timeout_s,
                          struct rusage *ret_ru)
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
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
        ;
    if (ret_ru != NULL)
        *ret_ru = ru;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_capture(char *const argv[], char *out, size_t outsz, double timeout_s)
{
    return run_capture_ru(argv, out, outsz, timeout_s, NULL);
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

/* ---------------------------------------------------------------- libcurl */

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

/* ---------------------------------------------------------------- /proc readings */

/* Reads a "Key:   N kB" line of /proc/PID/status; -1 when unavailable. */
__attribute__((unused)) static long proc_status_kib(pid_t pid, const char *key)
{
    char path[64], line[256];
    fmt(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* What wrk printed: requests done, req/s, p50/p99 (with --latency), non-2xx answers. */
struct wrk_result {
    bool ran;
    long requests;
    double rps, p50_ms, p99_ms;
    long non2xx;
    long socket_errors; /* connect + read + write + timeout of wrk's "Socket errors" line */
};

/* "123.45us" / "1.2ms" / "2.00s" → milliseconds; NAN if unparsable. */
__attribute__((unused)) static double wrk_time_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return NAN;
    if (strncmp(end, "us", 2) == 0)
        return v / 1e3;
    if (strncmp(end, "ms", 2) == 0)
        return v;
    if (strncmp(end, "s", 1) == 0)
        return v * 1e3;
    if (strncmp(end, "m", 1) == 0)
        return v * 60e3;
    return NAN;
}

/* Parses wrk's report in out (modified: lines are split in place) into *r; figures wrk did
 * not print stay NAN / 0. r->ran is true when a Requests/sec line was found. */
__attribute__((unused)) static void wrk_parse(char *out, struct wrk_result *r)
{
    *r = (struct wrk_result){.rps = NAN, .p50_ms = NAN, .p99_ms = NAN};
    for (char *p = out; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *s = p + strspn(p, " \t");
        char *in = strstr(s, " requests in ");
        if (strncmp(s, "50%", 3) == 0)
            r->p50_ms = wrk_time_ms(s + 3 + strspn(s + 3, " \t"));
        else if (strncmp(s, "99%", 3) == 0)
            r->p99_ms = wrk_time_ms(s + 3 + strspn(s + 3, " \t"));
        else if (strncmp(s, "Requests/sec:", 13) == 0)
            r->rps = strtod(s + 13, NULL), r->ran = true;
        else if (strncmp(s, "Non-2xx or 3xx responses:", 25) == 0)
            r->non2xx = strtol(s + 25, NULL, 10);
        else if (strncmp(s, "Socket errors:", 14) == 0) {
            long c = 0, rd = 0, wr = 0, to = 0;
            if (sscanf(s + 14, " connect %ld, read %ld, write %ld, timeout %ld", &c, &rd, &wr,
                       &to) == 4)
                r->socket_errors = c + rd + wr + to;
        }
        else if (in != NULL)
            r->requests = strtol(s, NULL, 10);
        if (!nl)
            break;
        p = nl + 1;
    }
}

/* Reads ppid and utime+stime (clock ticks) from /proc/PID/stat. Returns 0 or -1. */
__attribute__((unused)) static int proc_stat(pid_t pid, int *ret_ppid, unsigned long *ret_ticks)
{
    char path[64], buf[1024];
    fmt(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    char state;
    int ppid;
    unsigned long ut, st;
    if (sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &state, &ppid, &ut, &st) != 4)
        return -1;
    *ret_ppid = ppid;
    *ret_ticks = ut + st;
    return 0;
}

/* Sums over root and its direct children (nginx master + workers; anzen is one process):
 * CPU seconds in *ret_cpu_s and VmRSS KiB in *ret_rss_kib. Returns 0 or -1 if root is gone. */
__attribute__((unused)) static int tree_usage(pid_t root, double *ret_cpu_s, long *ret_rss_kib)
{
    int ppid;
    unsigned long ticks, total;
    if (proc_stat(root, &ppid, &ticks) != 0)
        return -1;
    total = ticks;
    long rss = proc_status_kib(root, "VmRSS");
    DIR *d = opendir("/proc");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || pid == root)
                continue;
            if (proc_stat((pid_t)pid, &ppid, &ticks) == 0 && ppid == root) {
                total += ticks;
                long r = proc_status_kib((pid_t)pid, "VmRSS");
                if (r > 0)
                    rss += r;
            }
        }
        closedir(d);
    }
    *ret_cpu_s = (double)total / (double)sysconf(_SC_CLK_TCK);
    *ret_rss_kib = rss;
    return 0;
}

__attribute__((unused)) static long tree_rss_kib(pid_t root)
{
    double cpu;
    long rss;
    return tree_usage(root, &cpu, &rss) == 0 ? rss : -1;
}

/* ---------------------------------------------------------------- wrk */

/* Whether wrk can be run (PATH lookup). */
__attribute__((unused)) static bool bench_have_wrk(void)
{
    char out[PATH_MAX];
    char *argv[] = { "sh", "-c", "command -v wrk", NULL };
    return run_capture(argv, out, sizeof(out), 10) == 0;
}

/* One wrk run and what it cost. */
struct wrk_run {
    struct wrk_result w;  /* w.ran false when wrk failed (status != 0 or no report) */
    int status;           /* wrk's exit status */
    double server_cpu_us; /* the server tree's user+sys CPU per request wrk counted, or NAN */
    double wrk_cpu_us;    /* wrk's own user+sys CPU per request (wait4), or NAN */
};

/* `wrk -t threads -c conns -d secs --latency --timeout 10s [-s script] url`: the server's CPU
 * (root server and its direct children, /proc) and wrk's are read around the run. out receives
 * wrk's whole output (a script's done() lines too); on failure it is printed to stderr. */
__attribute__((unused)) static void bench_wrk(const char *url, int threads, int conns, int secs,
                                              const char *script, pid_t server, char *out,
                                              size_t outsz, struct wrk_run *ret)
{
    char t[16], c[16], d[16];
    fmt(t, sizeof(t), "%d", threads);
    fmt(c, sizeof(c), "%d", conns);
    fmt(d, sizeof(d), "%ds", secs);
    char *argv[14] = { "wrk", "-t", t, "-c", c, "-d", d, "--latency", "--timeout", "10s" };
    int n = 10;
    if (script != NULL) {
        argv[n++] = "-s";
        argv[n++] = (char *)script;
    }
    argv[n++] = (char *)url;
    argv[n] = NULL;
    double c0 = NAN, c1 = NAN;
    long rss;
    if (tree_usage(server, &c0, &rss) != 0)
        c0 = NAN;
    struct rusage ru;
    int st = run_capture_ru(argv, out, outsz, secs + 60.0, &ru);
    if (tree_usage(server, &c1, &rss) != 0)
        c1 = NAN;
    *ret = (struct wrk_run){ .status = st, .server_cpu_us = NAN, .wrk_cpu_us = NAN };
    /* wrk_parse splits lines in place: parse a copy so the caller still has the text */
    char *copy = strdup(out);
    if (copy == NULL)
        die("out of memory");
    wrk_parse(copy, &ret->w);
    free(copy);
    if (st != 0 || !ret->w.ran) {
        ret->w.ran = false;
        fprintf(stderr, BENCH_NAME ": wrk %s exited with %d:\n%s\n", url, st, out);
        return;
    }
    double req = (double)ret->w.requests;
    if (req > 0 && !isnan(c0) && !isnan(c1))
        ret->server_cpu_us = (c1 - c0) * 1e6 / req;
    if (req > 0)
        ret->wrk_cpu_us = ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6) *
                          1e6 / req;
}

/* status.token of a TokenRequest answer copied into token (size n); false when absent or too
 * long. */
__attribute__((unused)) static bool bench_token_of(const char *json, size_t len, char *token,
                                                   size_t n)
{
    json_t *j = json_loadb(json ? json : "", json ? len : 0, 0, NULL);
    const char *tok = json_string_value(json_object_get(json_object_get(j, "status"), "token"));
    bool ok = tok != NULL && strlen(tok) < n;
    if (ok)
        fmt(token, n, "%s", tok);
    json_decref(j);
    return ok;
}

/* ---------------------------------------------------------------- nginx */

/* Starts nginx (2 workers, TLS with a throwaway P-256 certificate written to ndir/cert.pem,
 * keep-alive, no access log) serving the files under ndir/www on 127.0.0.1:port; g.nginx is
 * its master. Returns seconds from exec until GET probe_path answered 200; dies when nginx
 * cannot be started. ndir/www must exist and hold probe_path; a POST to /post/NAME answers 200
 * with the bytes of ndir/www/post/NAME. */
__attribute__((unused)) static double nginx_start(const char *ndir, int port, const char *probe_path)
{
    char www[PATH_MAX + 16], tmpd[PATH_MAX + 16], path_a[PATH_MAX + 64], path_b[PATH_MAX + 64];
    fmt(www, sizeof(www), "%s/www", ndir);
    fmt(tmpd, sizeof(tmpd), "%s/tmp", ndir);
    if (mkdir(tmpd, 0755) != 0 && errno != EEXIST)
        die("mkdir %s: %s", tmpd, strerror(errno));
    fmt(path_a, sizeof(path_a), "%s/cert.pem", ndir);
    fmt(path_b, sizeof(path_b), "%s/key.pem", ndir);
    char out[8192];
    char *req[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path_b,
                    "-out", path_a, NULL };
    if (run_capture(req, out, sizeof(out), 30) != 0)
        die("openssl req could not make the nginx certificate:\n%s", out);

    char conf[PATH_MAX + 32], conf_text[8192], nlog[PATH_MAX + 32];
    fmt(conf, sizeof(conf), "%s/nginx.conf", ndir);
    fmt(nlog, sizeof(nlog), "%s/nginx.log", ndir);
    fmt(conf_text, sizeof(conf_text),
        "%s"
        "worker_processes 2;\n"
        "pid %s/nginx.pid;\n"
        "error_log %s/error.log warn;\n"
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
        "    location / { }\n"
        /* a POST to /post/NAME is answered 200 with the file post/NAME (nginx answers a POST
         * to a static file 405; error_page turns that into the file) */
        "    location /post/ { error_page 405 =200 $uri; }\n"
        "  }\n"
        "}\n",
        geteuid() == 0 ? "user root;\n" : "", ndir, ndir, tmpd, tmpd, tmpd, tmpd, tmpd, port,
        path_a, path_b, www);
    write_file(conf, conf_text, strlen(conf_text));

    char errlog[PATH_MAX + 32];
    fmt(errlog, sizeof(errlog), "%s/error.log", ndir);
    char *nargv[] = { "nginx", "-e", errlog, "-c", conf, "-p", (char *)ndir, "-g", "daemon off;", NULL };
    char nurl[128];
    fmt(nurl, sizeof(nurl), "https://127.0.0.1:%d%s", port, probe_path);
    double nt0 = now_s();
    g.nginx = spawn(nargv, nlog);
    double nginx_start_s = wait_ready(nurl, g.nginx, nt0);
    if (nginx_start_s < 0) {
        show_log_tail(nlog);
        show_log_tail(errlog);
        if (nginx_start_s < -1.5)
            die("nginx exited before serving %s (is nginx installed? scripts/install-deps.sh)",
                nurl);
        die("nginx did not serve %s within %.0f s (is nginx installed? scripts/install-deps.sh)",
            nurl, BENCH_START_TIMEOUT_S);
    }
    return nginx_start_s;
}

/* ---------------------------------------------------------------- curl multi */

/* A multi handle that keeps conc connections to the one server open (no more, none closed
 * for lack of room in its cache); NULL when out of memory. */
__attribute__((unused)) static CURLM *multi_for(int conc)
{
    CURLM *m = curl_multi_init();
    if (m != NULL) {
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conc);
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
    }
    return m;
}

/* The next finished transfer of m (CURLMSG_DONE), driving and waiting on m until one is there;
 * NULL when nothing is in flight any more. The caller removes (and may re-add) its handle. */
__attribute__((unused)) static CURLMsg *multi_next_done(CURLM *m)
{
    for (;;) {
        int q, running = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &q)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                return msg;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &q)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                return msg;
        if (running == 0)
            return NULL;
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
}

/* ---------------------------------------------------------------- statistics */

__attribute__((unused)) static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of sorted v[0..n-1], nearest-rank. */
__attribute__((unused)) static double percentile(const double *v, long n, double q)
{
    if (n <= 0)
        return NAN;
    long rank = (long)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

/* The run's header facts: the UTC time (when) and /proc/loadavg's line (load, "?" if absent). */
static inline void bench_when_load(char when[64], char load[64])
{
    time_t tnow = time(NULL);
    strftime(when, 64, "%Y-%m-%d %H:%M UTC", gmtime(&tnow));
    fmt(load, 64, "?");
    FILE *lf = fopen("/proc/loadavg", "re");
    if (lf) {
        if (!fgets(load, 64, lf))
            fmt(load, 64, "?");
        load[strcspn(load, "\n")] = '\0';
        fclose(lf);
    }
}

#endif /* ANZEN_BENCH_COMMON_H */
