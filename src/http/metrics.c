/* metrics.c — counters, histograms and the Prometheus text exposition (see metrics.h).
 * Names, labels and histogram buckets as kube-apiserver 1.32 registers them
 * (k8s.io/apiserver/pkg/endpoints/metrics, pkg/authentication, pkg/serviceaccount). */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "registry/resource.h"
#include "http/metrics.h"
#include "store/store.h"
#include "util/err.h"

#define METRICS_MAX_SERIES 4096

static const double duration_buckets[] = {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25,
                                          1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60};
#define NBUCKETS (sizeof(duration_buckets) / sizeof(duration_buckets[0]))

/* One series. Created once (never moved or freed while serving), counted with relaxed
 * atomics by any request thread. */
struct series {
    char *key;             /* labels "|" code: the lookup key */
    char *labels;          /* rendered label set without code: component="apiserver",... */
    char *code;            /* "200" for request_total; NULL for the duration series */
    bool termination;      /* an apiserver_request_terminations_total series (with code) */
    atomic_ullong count;   /* request_total only */
    atomic_ullong sum_ns;  /* durations: the sum in nanoseconds */
    atomic_ullong buckets[NBUCKETS + 1]; /* durations: per bucket (not cumulative); the last
                                            counts those above every bound */
};

/* Open addressing over the key's hash; slots only ever go from NULL to a series. */
#define METRICS_SLOTS 8192 /* a power of two, >= 2 * METRICS_MAX_SERIES */

static struct {
    _Atomic(struct series *) slots[METRICS_SLOTS];
    _Atomic(struct series *) items[METRICS_MAX_SERIES]; /* in creation order, for /metrics */
    atomic_size_t n;
    pthread_mutex_t mu;           /* creating a series (rare); lookups take no lock */
    atomic_ullong dropped;
    atomic_ullong authn[2];       /* success, failure */
    atomic_ullong authz[2];       /* allowed, denied */
    atomic_ullong sa_valid, sa_stale;
    atomic_int inflight[2];       /* readOnly, mutating */
} metrics__ = {.mu = PTHREAD_MUTEX_INITIALIZER};

static inline void count_add(atomic_ullong *c, unsigned long long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline unsigned long long count_get(atomic_ullong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static _Atomic(struct series *) *series_slot(const char *key, uint64_t h)
{
    for (size_t i = h & (METRICS_SLOTS - 1);; i = (i + 1) & (METRICS_SLOTS - 1)) {
        struct series *s = atomic_load_explicit(&metrics__.slots[i], memory_order_acquire);
        if (s == NULL || strcmp(s->key, key) == 0)
            return &metrics__.slots[i];
    }
}

static struct series *series_get(const char *labels, const char *code, bool termination)
{
    char key[1024];
    snprintf(key, sizeof(key), "%s|%s|%d", labels, code ? code : "", termination);
    uint64_t h = key_hash(key);
    struct series *s = atomic_load_explicit(series_slot(key, h), memory_order_acquire);
    if (s != NULL)
        return s;
    pthread_mutex_lock(&metrics__.mu);
    _Atomic(struct series *) *slot = series_slot(key, h); /* again: another thread may have won */
    s = atomic_load_explicit(slot, memory_order_acquire);
    size_t n = atomic_load_explicit(&metrics__.n, memory_order_relaxed);
    if (s == NULL && n < METRICS_MAX_SERIES) {
        s = xcalloc(1, sizeof(*s));
        s->key = xstrdup(key);
        s->labels = xstrdup(labels);
        s->code = code ? xstrdup(code) : NULL;
        s->termination = termination;
        atomic_store_explicit(slot, s, memory_order_release);
        atomic_store_explicit(&metrics__.items[n], s, memory_order_release);
        atomic_store_explicit(&metrics__.n, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&metrics__.mu);
    if (s == NULL)
        count_add(&metrics__.dropped, 1);
    return s;
}

/* Each request thread's last request series and duration series with their label values
 * and code: a repeated request (the same resource and verb, the same code) skips rendering
 * the labels and the two lookups (~4% of an SSAR's CPU). Series are never freed. */
#define SERIES_MEMO_PARTS 6
#define SERIES_MEMO_PART_MAX 64
static __thread struct {
    bool set;
    int code;
    char parts[SERIES_MEMO_PARTS][SERIES_MEMO_PART_MAX];
    struct series *total, *duration;
} series_memo__;

static bool series_memo_find(const char *const *parts, int code, struct series **ret_total,
                             struct series **ret_duration)
{
    if (!series_memo__.set || series_memo__.code != code)
        return false;
    for (size_t i = 0; i < SERIES_MEMO_PARTS; i++)
        if (strcmp(series_memo__.parts[i], parts[i]) != 0)
            return false;
    *ret_total = series_memo__.total;
    *ret_duration = series_memo__.duration;
    return true;
}

/* Remembers both series for these labels (not when either is missing or a value is long). */
static void series_memo_keep(const char *const *parts, int code, struct series *total,
                             struct series *duration)
{
    series_memo__.set = false;
    if (total == NULL || duration == NULL)
        return;
    for (size_t i = 0; i < SERIES_MEMO_PARTS; i++) {
        size_t n = strlen(parts[i]);
        if (n >= SERIES_MEMO_PART_MAX)
            return;
        memcpy(series_memo__.parts[i], parts[i], n + 1);
    }
    series_memo__.code = code;
    series_memo__.total = total;
    series_memo__.duration = duration;
    series_memo__.set = true;
}

/* Upstream's verb label: the kube verb upper-cased, POST/PUT for create/update, DELETE for
 * deletecollection; the HTTP method for non-resource requests. */
static const char *metric_verb(const struct metrics_request *r)
{
    static const struct {
        const char *kube, *label;
    } map[] = {{"get", "GET"}, {"list", "LIST"}, {"watch", "WATCH"}, {"create", "POST"},
               {"update", "PUT"}, {"patch", "PATCH"}, {"delete", "DELETE"},
               {"deletecollection", "DELETE"}, {"head", "HEAD"}, {"post", "POST"},
               {"put", "PUT"}, {"options", "OPTIONS"}, {"connect", "CONNECT"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(r->attrs->verb, map[i].kube) == 0)
            return map[i].label;
    return "other";
}

static bool label_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || *s == '\n' || (unsigned char)*s < 0x20)
            return false;
    return true;
}

void metrics_observe_request(const struct metrics_request *r)
{
    if (r->authn_result != NULL)
        count_add(&metrics__.authn[strcmp(r->authn_result, "success") == 0 ? 0 : 1], 1);
    if (r->authz_decision != NULL)
        count_add(&metrics__.authz[strcmp(r->authz_decision, "allowed") == 0 ? 0 : 1], 1);
    if (r->authn_result != NULL && strcmp(r->authn_result, "failure") == 0)
        return; /* upstream counts requests after authentication */
    const char *group = "", *version = "", *resource = "", *sub = "", *scope = "";
    const struct audit_attrs *a = r->attrs;
    if (a->is_resource && resource_lookup(a->group, a->version, a->resource) != NULL) {
        group = a->group;
        version = a->version;
        resource = a->resource;
        sub = label_safe(a->subresource) && strlen(a->subresource) < 64 ? a->subresource : "";
        /* upstream's CleanScope: a create is about one resource too (kubernetes#110009) */
        scope = *a->name || strcmp(a->verb, "create") == 0 ? "resource" : (*a->ns ? "namespace" : "cluster");
    }
    const char *verb = metric_verb(r);
    const char *parts[SERIES_MEMO_PARTS] = {group, resource, scope, sub, verb, version};
    struct series *total, *d;
    if (!series_memo_find(parts, r->code, &total, &d)) {
        char labels[512];
        snprintf(labels, sizeof(labels),
                 "component=\"apiserver\",dry_run=\"\",group=\"%s\",resource=\"%s\",scope=\"%s\","
                 "subresource=\"%s\",verb=\"%s\",version=\"%s\"",
                 group, resource, scope, sub, verb, version);
        char code[8];
        snprintf(code, sizeof(code), "%d", r->code);
        total = series_get(labels, code, false);
        d = series_get(labels, NULL, false);
        series_memo_keep(parts, r->code, total, d);
    }
    if (total != NULL)
        count_add(&total->count, 1);
    if (r->terminated) { /* upstream's labels there: no dry_run */
        char tlabels[512], tcode[8];
        snprintf(tlabels, sizeof(tlabels),
                 "component=\"apiserver\",group=\"%s\",resource=\"%s\",scope=\"%s\","
                 "subresource=\"%s\",verb=\"%s\",version=\"%s\"",
                 group, resource, scope, sub, verb, version);
        snprintf(tcode, sizeof(tcode), "%d", r->code);
        struct series *t = series_get(tlabels, tcode, true);
        if (t != NULL)
            count_add(&t->count, 1);
    }
    if (d != NULL) {
        double ns = r->seconds > 0 ? r->seconds * 1e9 + 0.5 : 0;
        count_add(&d->sum_ns, ns < 1.8e19 ? (unsigned long long)ns : 0);
        size_t b = 0;
        while (b < NBUCKETS && r->seconds > duration_buckets[b])
            b++;
        count_add(&d->buckets[b], 1);
    }
}

void metrics_inflight(bool mutating, int delta)
{
    atomic_fetch_add_explicit(&metrics__.inflight[mutating ? 1 : 0], delta, memory_order_relaxed);
}

void metrics_sa_token(bool stale)
{
    count_add(stale ? &metrics__.sa_stale : &metrics__.sa_valid, 1);
}

/* ---- exposition ------------------------------------------------------------------------ */

static void header(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(struct buf *b)
{
    header(b, "apiserver_request_total", "counter",
           "[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.");
    size_t n = atomic_load_explicit(&metrics__.n, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        struct series *s = atomic_load_explicit(&metrics__.items[i], memory_order_acquire);
        if (s->code != NULL && !s->termination)
            buf_printf(b, "apiserver_request_total{code=\"%s\",%s} %llu\n", s->code, s->labels,
                       count_get(&s->count));
    }
    header(b, "apiserver_request_terminations_total", "counter",
           "[ALPHA] Number of requests which apiserver terminated in self-defense.");
    for (size_t i = 0; i < n; i++) {
        struct series *s = atomic_load_explicit(&metrics__.items[i], memory_order_acquire);
        if (s->termination)
            buf_printf(b, "apiserver_request_terminations_total{code=\"%s\",%s} %llu\n", s->code, s->labels,
                       count_get(&s->count));
    }
    header(b, "apiserver_request_duration_seconds", "histogram",
           "[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.");
    for (size_t i = 0; i < n; i++) {
        struct series *s = atomic_load_explicit(&metrics__.items[i], memory_order_acquire);
        if (s->code != NULL)
            continue;
        /* cumulative from one read of each bucket, so the buckets, +Inf and _count agree
         * even while requests are counted */
        unsigned long long cum = 0;
        for (size_t k = 0; k < NBUCKETS; k++) {
            cum += count_get(&s->buckets[k]);
            buf_printf(b, "apiserver_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", s->labels,
                       duration_buckets[k], cum);
        }
        cum += count_get(&s->buckets[NBUCKETS]);
        buf_printf(b, "apiserver_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", s->labels, cum);
        buf_printf(b, "apiserver_request_duration_seconds_sum{%s} %.9g\n", s->labels,
                   (double)count_get(&s->sum_ns) / 1e9);
        buf_printf(b, "apiserver_request_duration_seconds_count{%s} %llu\n", s->labels, cum);
    }
    header(b, "apiserver_current_inflight_requests", "gauge",
           "[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.");
    buf_printf(b, "apiserver_current_inflight_requests{request_kind=\"mutating\"} %d\n", atomic_load(&metrics__.inflight[1]));
    buf_printf(b, "apiserver_current_inflight_requests{request_kind=\"readOnly\"} %d\n", atomic_load(&metrics__.inflight[0]));
    header(b, "authentication_attempts", "counter", "[ALPHA] Counter of authenticated attempts.");
    buf_printf(b, "authentication_attempts{result=\"failure\"} %llu\n", count_get(&metrics__.authn[1]));
    buf_printf(b, "authentication_attempts{result=\"success\"} %llu\n", count_get(&metrics__.authn[0]));
    header(b, "apiserver_authorization_decisions_total", "counter",
           "[ALPHA] Total number of terminal decisions made by an authorizer split by authorizer type, name, and decision.");
    buf_printf(b, "apiserver_authorization_decisions_total{decision=\"allowed\",name=\"rbac\",type=\"RBAC\"} %llu\n", count_get(&metrics__.authz[0]));
    buf_printf(b, "apiserver_authorization_decisions_total{decision=\"denied\",name=\"rbac\",type=\"RBAC\"} %llu\n", count_get(&metrics__.authz[1]));
    header(b, "serviceaccount_valid_tokens_total", "counter",
           "[ALPHA] Cumulative valid projected service account tokens used");
    buf_printf(b, "serviceaccount_valid_tokens_total %llu\n", count_get(&metrics__.sa_valid));
    header(b, "serviceaccount_stale_tokens_total", "counter",
           "[ALPHA] Cumulative stale projected service account tokens used");
    buf_printf(b, "serviceaccount_stale_tokens_total %llu\n", count_get(&metrics__.sa_stale));
    header(b, "anzen_metrics_dropped_series_total", "counter",
           "Request observations not recorded because the series limit was reached.");
    buf_printf(b, "anzen_metrics_dropped_series_total %llu\n", count_get(&metrics__.dropped));
}

static void render_storage(struct apiserver *srv, struct buf *b)
{
    header(b, "apiserver_storage_objects", "gauge",
           "[STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.");
    size_t n;
    const struct resource_def *t = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        char *prefix = resource_key(&t[i], NULL, NULL);
        long long count = 0;
        char *after = NULL;
        for (;;) {
            struct store_list l;
            if (store_list(srv->store, prefix, after, 0, 1000, &l) < 0) {
                count = -1;
                break;
            }
            count += (long long)l.n;
            free(after);
            after = l.n ? xstrdup(l.items[l.n - 1].key) : NULL;
            bool more = l.more;
            store_list_release(&l);
            if (!more || after == NULL)
                break;
        }
        free(after);
        free(prefix);
        if (*t[i].group)
            buf_printf(b, "apiserver_storage_objects{resource=\"%s.%s\"} %lld\n", t[i].plural, t[i].group, count);
        else
            buf_printf(b, "apiserver_storage_objects{resource=\"%s\"} %lld\n", t[i].plural, count);
    }
}

static void render_process(struct buf *b)
{
    long page = sysconf(_SC_PAGESIZE), ticks = sysconf(_SC_CLK_TCK);
    unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
    long long rss = 0;
    FILE *f = fopen("/proc/self/stat", "re");
    if (f != NULL) {
        char line[2048];
        if (fgets(line, sizeof(line), f) != NULL) {
            const char *p = strrchr(line, ')');
            if (p != NULL)
                sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
                       &utime, &stime, &starttime, &vsize, &rss);
        }
        fclose(f);
    }
    double boot = 0;
    f = fopen("/proc/stat", "re");
    if (f != NULL) {
        char line[256];
        while (fgets(line, sizeof(line), f) != NULL)
            if (sscanf(line, "btime %lf", &boot) == 1)
                break;
        fclose(f);
    }
    int fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        while (readdir(d) != NULL)
            fds++;
        closedir(d);
        fds -= 3; /* ".", ".." and the directory's own fd */
    }
    struct rlimit rl = {0};
    getrlimit(RLIMIT_NOFILE, &rl);
    header(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    buf_printf(b, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)ticks);
    header(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    buf_printf(b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    header(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    buf_printf(b, "process_open_fds %d\n", fds);
    header(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    buf_printf(b, "process_resident_memory_bytes %lld\n", rss * page);
    header(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    buf_printf(b, "process_start_time_seconds %.2f\n", boot + (double)starttime / (double)ticks);
    header(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    buf_printf(b, "process_virtual_memory_bytes %llu\n", vsize);
}

int metrics_render(struct apiserver *srv, struct buf *out)
{
    render_requests(out);
    render_storage(srv, out);
    render_process(out);
    return 0;
}
