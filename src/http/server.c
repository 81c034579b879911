/* server.c — HTTPS front end on libh2o-evloop 2.2.5 (see server.h and notes/h2o-2.2.5.md).
 *
 * One event loop thread serves every connection and also runs deferred work (controllers),
 * so REST calls, watch fan-out and controllers never race. Request path:
 *   parse path+query → request info → body limits → authn (x509 | bearer | anonymous)
 *   → authz (403 Status) → route: health, version, discovery, openapi, resources.
 * Every error leaves through send_status(), which renders a metav1.Status. */
#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <h2o.h>
#include <h2o/http1.h>
#include <h2o/http2.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "registry/discovery.h"
#include "registry/openapi_v2.h"
#include "machinery/patch.h"
#include "registry/events_v1.h"
#include "machinery/protobuf.h"
#include "registry/admission.h"
#include "registry/rest.h"
#include "machinery/schema.h"
#include "machinery/selector.h"
#include "machinery/status.h"
#include "audit/audit.h"
#include "authn/authn.h"
#include "authz/authz.h"
#include "authz/rbac.h"
#include "http/exec.h"
#include "http/portforward.h"
#include "http/health.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/observe.h"
#include "http/prefilter.h"
#include "http/query.h"
#include "http/requestinfo.h"
#include "http/server.h"
#include "node/logs.h"
#include "node/node.h"
#include "machinery/itembytes.h"
#include "store/watchcache.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "machinery/yaml_out.h"
#include "util/log.h"
#include "util/text.h"
#include "util/util.h"
#include "util/yaml.h"

#define MAX_BODY (3 * 1024 * 1024)
#define H2O_BODY_LIMIT (4 * 1024 * 1024) /* h2o's own cap (HTTP/2; HTTP/1.1 is checked first by prefilter.c) */
#define MIN_REQUEST_TIMEOUT 1800

/* Private prefix of h2o 2.2.5's struct st_h2o_socket_ssl_t (verified layout, see notes). */
struct st_h2o_socket_ssl_t {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

static atomic_int server__stop; /* set by the signal handler, read by every loop (lock-free: signal-safe) */
static struct apiserver *server__api;
static char server__address[64];

/* ---- event loops ---------------------------------------------------------------------
 * Every loop has a queue of posted work and an eventfd that wakes it; the work runs on the
 * loop with the biglock held. The control loop (no listener) runs deferred work; request loops
 * run what other threads hand to the connections they own (watch events, log records, the
 * container output of an attach, parked reads). Each loop also keeps its own watch streams
 * (1-second deadline ticker) and its parked reads. */

struct deferred {
    void (*fn)(void *);
    void *arg;
    bool unlocked;            /* fn runs without the biglock (loop_post_unlocked) */
    struct deferred *next;
};

struct parked_read;

struct http_loop {
    h2o_evloop_t *loop;
    bool control;
    unsigned index;               /* request loops: 0..N-1 */
    pthread_t thread;
    /* posted work, under mu (any thread) */
    pthread_mutex_t mu;
    struct deferred *head, **tail;
    int wake_fd;
    h2o_socket_t *wake_sock;
    struct parked_read *parked_head, **parked_tail; /* reads parked this turn, under mu */
    /* under the biglock: */
    h2o_linklist_t dirty;         /* watch streams with events to hand to h2o (watch_kick) */
    h2o_linklist_t watches;       /* watch streams with a deadline */
    /* request loops only (owner thread): */
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listeners[2];
    h2o_timeout_t tick_queue;
    h2o_timeout_entry_t tick_entry;
    h2o_timeout_t park_queue;     /* delay 0: fires at the end of this turn of the loop */
    h2o_timeout_entry_t park_entry; /* linked while reads parked this turn wait for their group */
};

static struct http_loop server__ctl = {
    .control = true,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .tail = &server__ctl.head,
    .wake_fd = -1,
    .dirty = {&server__ctl.dirty, &server__ctl.dirty},
    .watches = {&server__ctl.watches, &server__ctl.watches},
    .parked_tail = &server__ctl.parked_head,
};
static struct http_loop *server__workers;
static unsigned server__nworkers;
static __thread struct http_loop *loop__self;

struct http_loop *http_loop_current(void)
{
    return loop__self;
}

static void loop_wake(struct http_loop *l)
{
    uint64_t one = 1;
    if (l->wake_fd >= 0 && write(l->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_warn("loop: eventfd: %s", strerror(errno));
}

static void loop_post(struct http_loop *l, void (*fn)(void *), void *arg, bool unlocked)
{
    struct deferred *d = xcalloc(1, sizeof(*d));
    d->fn = fn;
    d->arg = arg;
    d->unlocked = unlocked;
    pthread_mutex_lock(&l->mu);
    if (l->wake_fd < 0)
        l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    /* a queue that was not empty has its wake-up pending: the loop reads the eventfd before
     * it takes the queue, so whoever made it non-empty woke it for this piece too */
    bool wake = l->head == NULL;
    *l->tail = d;
    l->tail = &d->next;
    pthread_mutex_unlock(&l->mu);
    if (wake)
        loop_wake(l);
}

void http_loop_post(struct http_loop *l, void (*fn)(void *), void *arg)
{
    loop_post(l, fn, arg, false);
}

/* As http_loop_post, but fn runs without the biglock: for work that touches only the loop's
 * own h2o objects and state that is safe on any thread (a write job's answer). */
static void loop_post_unlocked(struct http_loop *l, void (*fn)(void *), void *arg)
{
    loop_post(l, fn, arg, true);
}

static void watch_flush_dirty(struct http_loop *l);

/* The wake-up: the posted work (the whole queue: work posted meanwhile waits for the next
 * wake-up), then the watch streams other threads gave events to. */
static void on_loop_wake(h2o_socket_t *sock, const char *err)
{
    (void)err;
    struct http_loop *l = sock->data;
    uint64_t v;
    if (read(l->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        log_warn("loop: eventfd: %s", strerror(errno));
    pthread_mutex_lock(&l->mu);
    struct deferred *list = l->head;
    l->head = NULL;
    l->tail = &l->head;
    pthread_mutex_unlock(&l->mu);
    /* the lock per piece of work, so a long queue of controller work (the control loop)
     * lets the loops and write threads in between */
    while (list != NULL) {
        struct deferred *d = list;
        list = d->next;
        if (d->unlocked) {
            d->fn(d->arg);
            free(d);
            continue;
        }
        bool took = biglock_enter();
        d->fn(d->arg);
        biglock_leave(took);
        free(d);
        if (took && list != NULL)
            sched_yield();
    }
    bool took = biglock_enter();
    watch_flush_dirty(l);
    biglock_leave(took);
}

/* Starts watching l's eventfd on its loop (on l's thread), and wakes it for work queued
 * before the loop existed. */
static void loop_attach_wake(struct http_loop *l)
{
    pthread_mutex_lock(&l->mu);
    if (l->wake_fd < 0)
        l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_unlock(&l->mu);
    if (l->wake_fd < 0) {
        log_error("loop: eventfd: %s", strerror(errno));
        return;
    }
    l->wake_sock = h2o_evloop_socket_create(l->loop, l->wake_fd, H2O_SOCKET_FLAG_DONT_READ);
    l->wake_sock->data = l;
    h2o_socket_read_start(l->wake_sock, on_loop_wake);
    loop_wake(l);
}

void http_server_defer(struct apiserver *srv, void (*fn)(void *), void *arg)
{
    (void)srv;
    http_loop_post(&server__ctl, fn, arg);
}

void http_server_defer_ts(void (*fn)(void *), void *arg)
{
    http_loop_post(&server__ctl, fn, arg);
}

/* One queue per distinct delay: h2o 2.2.5 timeout queues have a fixed duration and must
 * outlive every entry, so they are static (all on the control loop). */
struct deferred_after {
    h2o_timeout_entry_t entry; /* first: the callback gets its address */
    void (*fn)(void *);
    void *arg;
    unsigned delay_ms;
};
static struct {
    unsigned delay_ms;
    h2o_timeout_t queue;
} defer_after_queues[HTTP_DEFER_AFTER_DELAYS];
static size_t defer_after_nqueues;

static void run_deferred_after(h2o_timeout_entry_t *e)
{
    struct deferred_after *d = (struct deferred_after *)e;
    bool took = biglock_enter();
    d->fn(d->arg);
    biglock_leave(took);
    free(d);
}

/* On the control loop: links d into the queue of its delay. */
static void defer_after_link(void *arg)
{
    struct deferred_after *d = arg;
    size_t i;
    for (i = 0; i < defer_after_nqueues && defer_after_queues[i].delay_ms != d->delay_ms; i++)
        ;
    if (i == defer_after_nqueues) {
        if (defer_after_nqueues == HTTP_DEFER_AFTER_DELAYS) {
            i = 0; /* out of queues: the longest delay there is */
            for (size_t j = 1; j < defer_after_nqueues; j++)
                if (defer_after_queues[j].delay_ms > defer_after_queues[i].delay_ms)
                    i = j;
        } else {
            defer_after_queues[i].delay_ms = d->delay_ms;
            h2o_timeout_init(server__ctl.loop, &defer_after_queues[i].queue, d->delay_ms);
            defer_after_nqueues++;
        }
    }
    h2o_timeout_link(server__ctl.loop, &defer_after_queues[i].queue, &d->entry);
}

void http_server_defer_after(struct apiserver *srv, unsigned delay_ms, void (*fn)(void *), void *arg)
{
    if (delay_ms == 0) {
        http_server_defer(srv, fn, arg);
        return;
    }
    struct deferred_after *d = xcalloc(1, sizeof(*d));
    d->entry.cb = run_deferred_after;
    d->fn = fn;
    d->arg = arg;
    d->delay_ms = delay_ms;
    if (loop__self == &server__ctl)
        defer_after_link(d);
    else
        http_loop_post(&server__ctl, defer_after_link, d); /* h2o timers: the owner thread only */
}

/* Whether a request other than a GET or HEAD is served with the biglock: everything that may
 * touch shared state not yet safe for several threads. Reviews (SSAR, SAR, SSRR, LSAR,
 * TokenReview, SelfSubjectReview) go without it. Every request starts without it: what
 * serve_request does before it knows the request's verb (authentication, impersonation,
 * authorization, the read barrier's parking) is safe on any thread, and it takes the lock
 * there when needed: a read that needs it (read_needs_biglock), a write on its write
 * thread (write_thread_main), any other request that needs_biglock on the loop. */
static bool is_review_path(const char *p, size_t n)
{
    static const struct { const char *prefix, *plural; } reviews[] = {
        {"/apis/authorization.k8s.io/v1/", "selfsubjectaccessreviews"},
        {"/apis/authorization.k8s.io/v1/", "subjectaccessreviews"},
        {"/apis/authorization.k8s.io/v1/", "selfsubjectrulesreviews"},
        {"/apis/authorization.k8s.io/v1/", "localsubjectaccessreviews"}, /* namespaces/NS/... */
        {"/apis/authentication.k8s.io/v1/", "tokenreviews"},
        {"/apis/authentication.k8s.io/v1/", "selfsubjectreviews"},
    };
    for (size_t i = 0; i < sizeof(reviews) / sizeof(reviews[0]); i++) {
        size_t pl = strlen(reviews[i].prefix), rl = strlen(reviews[i].plural);
        if (n < pl + rl || memcmp(p, reviews[i].prefix, pl) != 0 || p[n - rl - 1] != '/' ||
            memcmp(p + n - rl, reviews[i].plural, rl) != 0)
            continue;
        /* the row is the plural right after the version, or namespaces/NS/plural */
        const char *mid = p + pl;
        size_t midn = n - pl - rl;
        if (midn == 0)
            return true;
        if (midn > 12 && memcmp(mid, "namespaces/", 11) == 0 &&
            memchr(mid + 11, '/', midn - 12) == NULL)
            return true;
    }
    return false;
}

static bool needs_biglock(h2o_req_t *req)
{
    size_t n = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *p = req->path.base;
    bool get = (req->method.len == 3 && memcmp(req->method.base, "GET", 3) == 0) ||
               (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0);
    /* access and token reviews: authn (token cache, x509), impersonation, the RBAC/Node
     * authorizers on their snapshots, the review handlers, audit and metrics are safe without
     * it (docs/internals/threads.md); their creates write nothing */
    if (req->method.len == 4 && memcmp(req->method.base, "POST", 4) == 0 && is_review_path(p, n))
        return false;
    return !get; /* reads: serve_request decides once it knows the verb */
}

/* Whether a GET or HEAD, authorized, must be served with the biglock (serve_request takes it
 * then). Without it: get and list of resources and their non-stream subresources (status,
 * ephemeralcontainers, ...): request_rv/get_sync, the consistent-read barrier, the object
 * cache, the store's reads, selectors, Table, JSON/YAML encoding and the streamed list are
 * safe on any thread (docs/internals/threads.md, registry/rest.h); and the health checks and
 * /version. With it: watches (subscriptions and streams share the loop's watch lists), the
 * stream subresources (log, exec, attach, portforward: node agent and session state) and the
 * other non-resource documents. */
static bool read_needs_biglock(const struct request_info *ri, const char *path)
{
    if (!ri->is_resource)
        return !(health_path(path) || strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0);
    if (strcmp(ri->verb, "get") != 0 && strcmp(ri->verb, "list") != 0)
        return true;
    if (ri->subresource != NULL && *ri->subresource) {
        const struct resource_def *r = resource_lookup(ri->api_group, ri->api_version, ri->resource);
        const struct subresource_def *sd = r != NULL ? resource_subresource(r, ri->subresource) : NULL;
        if (sd != NULL && sd->stream)
            return true;
    }
    return false;
}

/* Server-wide request counters (metrics, audit log) for requests with and without the
 * biglock. Lock order: biglock before it. */
static pthread_mutex_t observe_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- request context ---------------------------------------------------------------- */

struct ctx {
    h2o_req_t *req;
    struct query q;
    struct request_info info;
    struct user_info user;
    char audit_id[37];
    bool events_view; /* the request is for events.k8s.io/v1 Events (watch conversion) */
    bool pretty;
    bool want_table;
    bool want_yaml; /* Accept names application/yaml first: JSON answers go out as YAML */
    json_t *warnings;
    char *path; /* percent-decoded path without query */
    struct http_observe obs; /* what the audit log and /metrics record (observe.h) */
    int read_barrier; /* api_call.read_barrier: the consistent-read barrier ran before resuming */
    /* What handle_resource reads of the request: into the request (on its loop), or copies
     * owned by a write job (on a write thread, which never touches the h2o_req_t). */
    h2o_iovec_t body, content_type, user_agent;
    bool async_create; /* a create whose store write may complete on this loop (create_job) */
    bool deferred;     /* handle_resource handed the request to a create job: not answered */
    char **owned; /* strings made for this request (ctx_strndup), freed with it */
    size_t nowned;
};

/* A copy of the n bytes at s (NULs included: bodies may be protobuf), NUL-terminated, that
 * lives as long as the request's context. */
static char *ctx_strndup(struct ctx *c, const char *s, size_t n)
{
    char *copy = xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    c->owned = xrealloc(c->owned, (c->nowned + 1) * sizeof(*c->owned));
    return c->owned[c->nowned++] = copy;
}

static void ctx_release_owned(struct ctx *c)
{
    for (size_t i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c->owned);
    c->owned = NULL;
    c->nowned = 0;
}

/* ---- captured responses ----
 * A write thread runs handle_resource with capture__ set: the response (status, content
 * type, headers, body) is recorded instead of handed to h2o, and the owning loop sends it
 * (write_job_done). */
struct captured_header {
    const h2o_token_t *tok; /* or name */
    char *name, *value;
};

struct captured {
    bool sent;
    int code;
    char *content_type;
    char *body;
    size_t len;
    struct captured_header *headers;
    size_t nheaders;
};

static __thread struct captured *capture__;

static void capture_header(const h2o_token_t *tok, const char *name, const char *v)
{
    struct captured *cp = capture__;
    cp->headers = xrealloc(cp->headers, (cp->nheaders + 1) * sizeof(*cp->headers));
    cp->headers[cp->nheaders++] = (struct captured_header){tok, name ? xstrdup(name) : NULL, xstrdup(v)};
}

static void capture_body(int code, const char *content_type, char *body, size_t len)
{
    struct captured *cp = capture__;
    free(cp->body);
    free(cp->content_type);
    cp->sent = true;
    cp->code = code;
    cp->content_type = xstrdup(content_type);
    cp->body = body;
    cp->len = len;
}

static void captured_release(struct captured *cp)
{
    for (size_t i = 0; i < cp->nheaders; i++) {
        free(cp->headers[i].name);
        free(cp->headers[i].value);
    }
    free(cp->headers);
    free(cp->content_type);
    free(cp->body);
    memset(cp, 0, sizeof(*cp));
}

static h2o_iovec_t header_value_str(h2o_req_t *req, const char *name);

/* Hands the finished request to the audit log and the metrics (observe.c). */
static void observe_request(struct ctx *c)
{
    h2o_req_t *req = c->req;
    if (req == NULL)
        return;
    /* the client's address, URI and agent only go to the audit log */
    bool audit = audit_enabled();
    char ip[INET6_ADDRSTRLEN] = "";
    struct sockaddr_storage ss;
    if (audit && req->conn->callbacks->get_peername != NULL &&
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) > 0) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
    }
    h2o_iovec_t ua = audit ? header_value_str(req, "user-agent") : h2o_iovec_init(NULL, 0);
    char *uri = audit ? xstrndup(req->path.base, req->path.len) : NULL;
    char method_buf[16];
    char *method = req->method.len < sizeof(method_buf) ? method_buf : xstrndup(req->method.base, req->method.len);
    if (method == method_buf) {
        memcpy(method_buf, req->method.base, req->method.len);
        method_buf[req->method.len] = '\0';
    }
    char *agent = ua.base ? xstrndup(ua.base, ua.len) : NULL;
    struct http_observed o = {
        .info = &c->info, .user = c->user.name ? &c->user : NULL, .path = c->path ? c->path : "",
        .method = method, .audit_id = c->audit_id, .request_uri = uri ? uri : "", .source_ip = *ip ? ip : NULL,
        .user_agent = agent, .body = req->entity.base, .body_len = req->entity.len,
        .code = req->res.status,
    };
    pthread_mutex_lock(&observe_mu);
    http_observe_end(&c->obs, &o);
    pthread_mutex_unlock(&observe_mu);
    free(uri);
    if (method != method_buf)
        free(method);
    free(agent);
}

/* observe_request for a write job's request: method non-NULL when the request is gone (its
 * client left before the answer): observed from what the job kept. */
static void observe_request_gone(struct ctx *c, const char *method, int code)
{
    if (method == NULL) {
        observe_request(c);
        return;
    }
    struct http_observed o = {
        .info = &c->info, .user = c->user.name ? &c->user : NULL, .path = c->path ? c->path : "",
        .method = method, .audit_id = c->audit_id, .request_uri = c->path ? c->path : "",
        .body = c->body.base, .body_len = c->body.len, .code = code,
    };
    pthread_mutex_lock(&observe_mu);
    http_observe_end(&c->obs, &o);
    pthread_mutex_unlock(&observe_mu);
}

static h2o_iovec_t header_value(h2o_req_t *req, const h2o_token_t *tok)
{
    ssize_t i = h2o_find_header(&req->headers, tok, -1);
    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}

static h2o_iovec_t header_value_str(h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return h2o_iovec_init(NULL, 0);
    return req->headers.entries[i].value;
}

static bool iov_has(h2o_iovec_t v, const char *needle)
{
    return v.base != NULL && memmem(v.base, v.len, needle, strlen(needle)) != NULL;
}

static bool iov_prefix(h2o_iovec_t v, const char *p)
{
    size_t n = strlen(p);
    return v.base != NULL && v.len >= n && strncasecmp(v.base, p, n) == 0;
}

static void add_header(h2o_req_t *req, const h2o_token_t *tok, const char *v)
{
    if (capture__ != NULL) {
        capture_header(tok, NULL, v);
        return;
    }
    h2o_add_header(&req->pool, &req->res.headers, tok, NULL, h2o_strdup(&req->pool, v, SIZE_MAX).base,
                   strlen(v));
}

static void add_header_str(h2o_req_t *req, const char *name, const char *v)
{
    if (capture__ != NULL) {
        capture_header(NULL, name, v);
        return;
    }
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL,
                          h2o_strdup(&req->pool, v, SIZE_MAX).base, strlen(v));
}

static void common_headers(struct ctx *c)
{
    add_header_str(c->req, "audit-id", c->audit_id);
    add_header(c->req, H2O_TOKEN_CACHE_CONTROL, "no-cache, private");
    if (c->warnings != NULL) {
        size_t i;
        json_t *w;
        json_array_foreach(c->warnings, i, w) {
            /* RFC 7230 quoted-string: escape '"' and '\\' */
            struct buf v = BUF_INIT;
            buf_puts(&v, "299 - \"");
            for (const char *p = json_string_value(w); *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_putc(&v, '\\');
                buf_putc(&v, *p);
            }
            buf_putc(&v, '"');
            add_header_str(c->req, "warning", v.data);
            buf_release(&v);
        }
    }
}

static void send_bytes(h2o_req_t *req, int code, const char *content_type, const char *body, size_t len)
{
    static h2o_generator_t gen = {NULL, NULL};
    if (capture__ != NULL) {
        char *copy = xmalloc(len + 1);
        memcpy(copy, body, len);
        capture_body(code, content_type, copy, len);
        return;
    }
    req->res.status = code;
    req->res.reason = "";
    add_header(req, H2O_TOKEN_CONTENT_TYPE, content_type);
    req->res.content_length = len;
    h2o_iovec_t b = h2o_strdup(&req->pool, body, len);
    h2o_start_response(req, &gen);
    if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0)
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &b, 1, H2O_SEND_STATE_FINAL);
}

/* Frees the malloc'd body a request's pool holds (see send_owned). */
static void owned_body_dispose(void *p)
{
    free(*(char **)p);
}

/* send_bytes without the copy: body (malloc'd) is handed to the request's pool, freed when the
 * request is done with it. */
static void send_owned(h2o_req_t *req, int code, const char *content_type, char *body, size_t len)
{
    static h2o_generator_t gen = {NULL, NULL};
    if (capture__ != NULL) {
        capture_body(code, content_type, body, len);
        return;
    }
    char **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), owned_body_dispose);
    *slot = body;
    req->res.status = code;
    req->res.reason = "";
    add_header(req, H2O_TOKEN_CONTENT_TYPE, content_type);
    req->res.content_length = len;
    h2o_iovec_t b = h2o_iovec_init(body, len);
    h2o_start_response(req, &gen);
    if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0)
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, &b, 1, H2O_SEND_STATE_FINAL);
}

/* ---- streamed lists ----
 * A list is written LIST_CHUNK bytes at a time: the next part is composed only when h2o has
 * written the previous one (proceed), so a slow reader holds one part and the references to
 * the cached items, never a copy of the whole list, and the loop serves other requests
 * between parts. A list that fits in one part is sent with a Content-Length. */
#define LIST_CHUNK (256u * 1024)

struct list_gen {
    h2o_generator_t super;
    h2o_req_t *req;
    struct rest_list_stream *ls; /* NULL once the last part is composed */
    struct buf part;             /* the part being written (alive until proceed) */
};

/* The stream holds references to the object cache's immutable items and its own buffers
 * only: composing and freeing it needs no lock (rest.h). */
static void list_gen_dispose(void *p)
{
    struct list_gen *g = p;
    rest_list_stream_free(g->ls);
    g->ls = NULL;
    buf_release(&g->part);
}

/* Composes the next part into g->part; true while more follows. */
static bool list_gen_fill(struct list_gen *g)
{
    g->part.len = 0;
    bool more = rest_list_stream_next(g->ls, &g->part, LIST_CHUNK);
    if (!more) {
        rest_list_stream_free(g->ls);
        g->ls = NULL;
    }
    return more;
}

static void list_gen_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    struct list_gen *g = (struct list_gen *)gen;
    bool more = list_gen_fill(g);
    h2o_iovec_t b = h2o_iovec_init(g->part.data, g->part.len);
    h2o_send(req, &b, 1, more ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

static void list_gen_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)gen;
    (void)req; /* the request's pool frees the generator (list_gen_dispose) */
}

/* Sends the list ls (taking it over) as a 200 application/json response. */
static void send_list_stream(h2o_req_t *req, struct rest_list_stream *ls)
{
    struct list_gen *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), list_gen_dispose);
    memset(g, 0, sizeof(*g));
    g->super.proceed = list_gen_proceed;
    g->super.stop = list_gen_stop;
    g->req = req;
    g->ls = ls;
    req->res.status = 200;
    req->res.reason = "";
    add_header(req, H2O_TOKEN_CONTENT_TYPE, "application/json");
    bool more = list_gen_fill(g);
    if (!more)
        req->res.content_length = g->part.len;
    h2o_start_response(req, &g->super);
    if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_iovec_t b = h2o_iovec_init(g->part.data, g->part.len);
    h2o_send(req, &b, 1, more ? H2O_SEND_STATE_IN_PROGRESS : H2O_SEND_STATE_FINAL);
}

static void item_ref_dispose(void *p)
{
    watchcache_item_release(p);
}

/* Sends a get's answer (200, JSON) from the object cache's item it: the stored bytes with
 * metadata.resourceVersion put in, exactly what json_dump_go prints for the decoded object
 * (itembytes_object_rv_at), with no decode and no re-encode. A large object goes out as
 * references to the item's immutable bytes, which the request's pool keeps; one up to
 * SEND_ITEM_COPY_MAX bytes is copied into one buffer instead (h2o 2.2.5 writes each buffer
 * as its own TLS record: four records cost more than the copy, ~10% CPU per GET under wrk).
 * The pretty form is re-indented from the bytes. false when the bytes cannot give the exact
 * answer: nothing is sent and it is still the caller's. On success it is taken over. */
#define SEND_ITEM_COPY_MAX (16u * 1024)

/* itembytes_object_rv_at of the item's bytes, remembered in the item's memo word (they are
 * immutable): 1 + the offset, ITEM_RV_EMPTY set when metadata is empty; ITEM_RV_NONE when
 * the bytes cannot be spliced. The scan of the members was 7% of a GET's instructions. */
#define ITEM_RV_EMPTY (1u << 30)
#define ITEM_RV_NONE UINT32_MAX
static bool item_rv_at(const struct wc_item *it, size_t *ret_at, bool *ret_empty)
{
    uint32_t m = watchcache_item_memo(it);
    if (m == ITEM_RV_NONE)
        return false;
    if (m != 0) {
        *ret_at = (size_t)(m & ~ITEM_RV_EMPTY) - 1;
        *ret_empty = (m & ITEM_RV_EMPTY) != 0;
        return true;
    }
    size_t at;
    bool empty;
    if (!itembytes_object_rv_at(it->value, it->len, &at, &empty)) {
        watchcache_item_set_memo(it, ITEM_RV_NONE);
        return false;
    }
    if (at < ITEM_RV_EMPTY - 1)
        watchcache_item_set_memo(it, ((uint32_t)at + 1) | (empty ? ITEM_RV_EMPTY : 0));
    *ret_at = at;
    *ret_empty = empty;
    return true;
}

/* `,"resourceVersion":"REV"` (no comma when empty) into out (48 bytes), as snprintf would
 * print it but without its format parsing (4% of a GET's instructions); returns the length. */
static int format_rv_member(char *out, bool empty, int64_t rev)
{
    static const char member[] = "\"resourceVersion\":\"";
    char digits[24];
    size_t nd = 0;
    uint64_t v = rev < 0 ? (uint64_t)0 - (uint64_t)rev : (uint64_t)rev;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (rev < 0)
        digits[nd++] = '-';
    size_t n = 0;
    if (!empty)
        out[n++] = ',';
    memcpy(out + n, member, sizeof(member) - 1);
    n += sizeof(member) - 1;
    while (nd > 0)
        out[n++] = digits[--nd];
    out[n++] = '"';
    return (int)n;
}

/* Sends stored object bytes v (len) with its resourceVersion rev put in at at (the offset
 * and emptiness itembytes_object_rv_at gives) as the code answer: json_dump_go's bytes of
 * the decoded object, pretty when asked. it (may be NULL): the cache item v belongs to,
 * released here, or kept by the request's pool while a large v is written from it. */
static void send_object_bytes(struct ctx *c, int code, const char *v, size_t len, size_t at, bool empty,
                              int64_t rev, struct wc_item *it)
{
    static h2o_generator_t gen = {NULL, NULL};
    h2o_req_t *req = c->req;
    common_headers(c);
    char rv[48];
    int rvn = format_rv_member(rv, empty, rev);
    if (c->pretty) {
        struct buf b = BUF_INIT;
        struct itembytes_indent st = {0};
        itembytes_indent(&st, &b, v, at);
        itembytes_indent(&st, &b, rv, (size_t)rvn);
        itembytes_indent(&st, &b, v + at, len - at);
        if (it != NULL)
            watchcache_item_release(it);
        size_t blen;
        char *body = buf_detach(&b, &blen);
        send_owned(req, code, "application/json", body, blen);
        return;
    }
    size_t total = len + (size_t)rvn + 1;
    h2o_iovec_t parts[4];
    size_t nparts;
    if (total <= SEND_ITEM_COPY_MAX || it == NULL) {
        /* one buffer: h2o 2.2.5 makes a TLS record of every buffer it is given */
        char *one = h2o_mem_alloc_pool(&req->pool, total);
        memcpy(one, v, at);
        memcpy(one + at, rv, (size_t)rvn);
        memcpy(one + at + (size_t)rvn, v + at, len - at);
        one[total - 1] = '\n';
        if (it != NULL)
            watchcache_item_release(it);
        parts[0] = h2o_iovec_init(one, total);
        nparts = 1;
    } else {
        struct wc_item *keep = h2o_mem_alloc_shared(&req->pool, sizeof(*keep), item_ref_dispose);
        *keep = *it;
        parts[0] = h2o_iovec_init(keep->value, at);
        parts[1] = h2o_strdup(&req->pool, rv, (size_t)rvn);
        parts[2] = h2o_iovec_init(keep->value + at, keep->len - at);
        parts[3] = h2o_iovec_init(H2O_STRLIT("\n"));
        nparts = 4;
    }
    req->res.status = code;
    req->res.reason = "";
    add_header(req, H2O_TOKEN_CONTENT_TYPE, "application/json");
    req->res.content_length = total;
    h2o_start_response(req, &gen);
    if (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0)
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    else
        h2o_send(req, parts, nparts, H2O_SEND_STATE_FINAL);
}

static bool send_item(struct ctx *c, struct wc_item *it)
{
    size_t at;
    bool empty;
    if (capture__ != NULL || !item_rv_at(it, &at, &empty))
        return false;
    send_object_bytes(c, 200, it->value, it->len, at, empty, it->mod_rev, it);
    return true;
}

static void send_json_ct(struct ctx *c, int code, json_t *obj, const char *ct)
{
    common_headers(c);
    http_observe_response(&c->obs, obj);
    if (c->want_yaml && strcmp(ct, "application/json") == 0) {
        struct buf y = BUF_INIT;
        yaml_write(&y, obj);
        send_bytes(c->req, code, "application/yaml", y.data ? y.data : "", y.len);
        buf_release(&y);
        return;
    }
    size_t len;
    char *s = json_dump_go(obj, c->pretty, &len);
    send_owned(c->req, code, ct, s, len);
}

static void send_json(struct ctx *c, int code, json_t *obj)
{
    send_json_ct(c, code, obj, "application/json");
}

/* Sends a Status object (steals the reference). */
static void send_status(struct ctx *c, json_t *status)
{
    http_observe_status(&c->obs, status);
    json_t *retry = json_object_get(json_object_get(status, "details"), "retryAfterSeconds");
    if (json_is_integer(retry) && json_integer_value(retry) > 0) {
        char v[24];
        snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(retry));
        add_header(c->req, H2O_TOKEN_RETRY_AFTER, v);
    }
    send_json(c, status_code(status), status);
    json_decref(status);
}

static void send_text(struct ctx *c, int code, const char *text)
{
    common_headers(c);
    add_header_str(c->req, "x-content-type-options", "nosniff");
    send_bytes(c->req, code, "text/plain; charset=utf-8", text, strlen(text));
}

/* ---- body decoding ------------------------------------------------------------------ */

static json_t *yaml_to_json(const char *s, size_t len, char **ret_err)
{
    if (utf8_invalid_at(s, len) < len) { /* go-yaml's reader error; libfyaml may loop on it */
        *ret_err = xstrdup("error converting YAML to JSON: yaml: invalid leading UTF-8 octet");
        return NULL;
    }
    struct fy_document *fyd = yaml_document_quiet(s, len, 0);
    if (fyd == NULL) {
        *ret_err = xstrdup("error converting YAML to JSON: yaml: invalid document");
        return NULL;
    }
    char *js = yaml_document_to_json(fyd);
    fy_document_destroy(fyd);
    if (js == NULL) {
        *ret_err = xstrdup("error converting YAML to JSON");
        return NULL;
    }
    json_error_t err;
    json_t *v = json_loads(js, JSON_DECODE_INT_AS_REAL * 0, &err);
    free(js);
    if (v == NULL)
        *ret_err = xasprintf("error converting YAML to JSON: %s", err.text);
    return v;
}

/* Upstream's summary of a body in decode errors: "<empty>", hex for binary, else the text
 * cut at 30 bytes with " ...". malloc'd. */
static char *summarize_body(const char *body, size_t len)
{
    if (len == 0)
        return xstrdup("<empty>");
    size_t n = len > 30 ? 30 : len;
    if (body[0] == 0) {
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%02x", (unsigned char)body[i]);
        return buf_detach(&b, NULL);
    }
    return xasprintf("%.*s%s", (int)n, body, len > 30 ? " ..." : "");
}

/* Decodes the request body by Content-Type into a JSON object, for a resource of the given
 * kind. Returns NULL and sends the error response itself. */
static json_t *decode_body(struct ctx *c, const char *kind)
{
    h2o_iovec_t ct = c->content_type;
    const char *body = c->body.base ? c->body.base : "";
    size_t len = c->body.len;
    enum http_body_format fmt = http_body_format(ct.base, ct.len);
    if (fmt == HTTP_BODY_JSON) {
        char *err = NULL;
        json_t *v = json_parse_go(body, len, &err);
        if (v == NULL && len == 0)
            err = xstrdup("unexpected end of JSON input");
        if (v == NULL || !json_is_object(v)) {
            char *summary = summarize_body(body, len);
            char *msg = xasprintf("the object provided is unrecognized (must be of type %s): couldn't get version/kind; json parse error: %s (%s)",
                                  kind, err ? err : "json: cannot unmarshal into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }", summary);
            send_status(c, status_bad_request(msg));
            free(msg);
            free(summary);
            free(err);
            json_decref(v);
            return NULL;
        }
        free(err);
        if (query_get(&c->q, "fieldValidation") && strcmp(query_get(&c->q, "fieldValidation"), "Strict") == 0) {
            json_error_t jerr;
            json_t *strict = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
            if (strict == NULL && strstr(jerr.text, "duplicate object key") != NULL) {
                /* jansson: "duplicate object key near '"data"'" */
                const char *q = strchr(jerr.text, '\'');
                char field[256] = "";
                if (q != NULL && q[1] == '"') {
                    const char *e = strchr(q + 2, '"');
                    if (e != NULL && (size_t)(e - (q + 2)) < sizeof(field)) {
                        memcpy(field, q + 2, (size_t)(e - (q + 2)));
                        field[e - (q + 2)] = '\0';
                    }
                }
                char *msg = xasprintf("%s in version \"%s\" cannot be handled as a %s: strict decoding error: duplicate field \"%s\"",
                                      kind, c->info.api_version ? c->info.api_version : "v1", kind, field);
                send_status(c, status_bad_request(msg));
                free(msg);
                json_decref(v);
                return NULL;
            }
            json_decref(strict);
        }
        return v;
    }
    if (fmt == HTTP_BODY_YAML) {
        char *err = NULL;
        json_t *v = yaml_to_json(body, len, &err);
        if (v == NULL) {
            send_status(c, status_bad_request(err));
            free(err);
        }
        return v;
    }
    if (fmt == HTTP_BODY_PROTOBUF) {
        json_t *v = NULL;
        char *err = NULL;
        int r = k8s_protobuf_decode((const uint8_t *)body, len, resource_schema_by_kind, &v, &err);
        if (r < 0) {
            send_status(c, status_new(r, err ? err : "invalid protobuf body", NULL));
            free(err);
            return NULL;
        }
        return v;
    }
    send_status(c, status_unsupported_media_type("application/json, application/yaml, application/vnd.kubernetes.protobuf"));
    return NULL;
}

/* 422 for an invalid option of <Kind>Options.meta.k8s.io (dryRun, fieldValidation, …). */
static void send_options_invalid(struct ctx *c, const char *options_kind, const char *field,
                                 json_t *value, const char *const *supported)
{
    struct field_errors fe;
    field_errors_init(&fe);
    field_errors_add_not_supported(&fe, field, value, supported);
    send_status(c, status_invalid("meta.k8s.io", options_kind, "", &fe));
    field_errors_release(&fe);
}

/* ---- watch streams ------------------------------------------------------------------ */

struct watch_stream {
    h2o_generator_t super;
    h2o_req_t *req;
    struct watch_sub *sub;
    const struct resource_def *res;
    char *ns;
    struct label_selector *ls;
    struct field_selector *fs;
    bool table;
    bool events_view; /* events.k8s.io/v1: convert each core/v1 Event (api/events_v1.h) */
    bool columns_sent;
    bool sending;
    bool done;       /* final chunk queued */
    bool final_sent; /* FINAL handed to h2o: never touch the generator again */
    bool overflowed; /* pending hit WATCH_MAX_PENDING: no more events, end soon */
    bool stopped;    /* client went away */
    bool started;    /* status line and headers handed to h2o */
    bool chunked;    /* HTTP/1.1: the stream frames its own chunks (see watch_flush) */
    char chunk_head[24]; /* size line of the chunk in flight */
    struct buf pending;
    struct buf inflight;
    _Atomic uint64_t deadline_ms; /* end of the watch (timeoutSeconds); 0: end now. Read by the
                                   * ticker without the biglock */
    h2o_linklist_t link;    /* in owner->watches while subscribed (owner thread only) */
    struct http_loop *owner; /* the loop of the request: the only thread that calls h2o */
    h2o_linklist_t dirty_link; /* in owner->dirty: events from another thread to flush */
};

/* Watches with a deadline are checked by their loop's 1-second ticker: h2o 2.2.5 timeout
 * queues are registered with the loop and must outlive the request pool, so none live in a
 * stream. */

/* Memory per watch stream is bounded: events wait in `pending` (at most WATCH_MAX_PENDING:
 * room for the largest object, MAX_BODY, as a Table), and at most WATCH_CHUNK bytes are
 * handed to h2o at a time (h2o keeps a copy while TLS-encrypting and sending it). A client
 * that falls this far behind is cut off: its stream ends and it re-lists, as upstream closes
 * a watcher whose buffer is full. */
#define WATCH_MAX_PENDING (8 * 1024 * 1024)
#define WATCH_CHUNK (256 * 1024)
/* Behind-bound: once WATCH_BEHIND_MAX bytes of events wait beyond what the buffer started
 * with (the initial events of a list-watch), the next event ends the watch. One event of
 * any size up to WATCH_MAX_PENDING always fits. In bytes what upstream's cacheWatcher bounds
 * by count (its input channel: 10 to 100 events without an index, ~1 s of the window). */
#define WATCH_BEHIND_MAX (1024 * 1024)

static bool watch_behind(const struct watch_stream *w)
{
    return w->pending.max != 0 && w->pending.len + WATCH_MAX_PENDING > w->pending.max + WATCH_BEHIND_MAX;
}

/* Hands w->pending to h2o. On HTTP/1.1 the stream does its own chunked framing (h2o's
 * chunked filter holds back an empty send, and with it the headers): the first flush goes
 * out even when empty, so a client gets the 200 and its headers at once, as upstream writes
 * them before any event; every later flush carries the events queued since. */
static void watch_flush(struct watch_stream *w)
{
    if (w->sending || w->stopped || w->final_sent)
        return;
    if (w->pending.len == 0 && !w->done && w->started)
        return;
    w->started = true;
    h2o_iovec_t v[3];
    size_t n = 0;
    if (w->done) {
        /* h2o calls neither proceed nor stop after FINAL: the last bytes live in the pool */
        struct buf last = BUF_INIT;
        if (w->chunked && w->pending.len > 0)
            buf_printf(&last, "%zx\r\n", w->pending.len);
        buf_append(&last, w->pending.data ? w->pending.data : "", w->pending.len);
        if (w->chunked)
            buf_puts(&last, w->pending.len > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
        v[n++] = h2o_strdup(&w->req->pool, last.data ? last.data : "", last.len);
        buf_release(&last);
        buf_release(&w->pending);
        buf_release(&w->inflight);
        if (h2o_linklist_is_linked(&w->dirty_link))
            h2o_linklist_unlink(&w->dirty_link);
        w->final_sent = true;
        h2o_send(w->req, v, n, H2O_SEND_STATE_FINAL);
        return;
    }
    buf_release(&w->inflight);
    if (w->pending.len <= WATCH_CHUNK) {
        w->inflight = w->pending;
        buf_init(&w->pending, WATCH_MAX_PENDING);
    } else {
        buf_init(&w->inflight, 0);
        buf_append(&w->inflight, w->pending.data, WATCH_CHUNK);
        memmove(w->pending.data, w->pending.data + WATCH_CHUNK, w->pending.len - WATCH_CHUNK);
        w->pending.len -= WATCH_CHUNK;
        w->pending.data[w->pending.len] = '\0';
    }
    if (w->inflight.len > 0) {
        if (w->chunked) {
            int hl = snprintf(w->chunk_head, sizeof(w->chunk_head), "%zx\r\n", w->inflight.len);
            v[n++] = h2o_iovec_init(w->chunk_head, (size_t)hl);
        }
        v[n++] = h2o_iovec_init(w->inflight.data, w->inflight.len);
        if (w->chunked)
            v[n++] = h2o_iovec_init(H2O_STRLIT("\r\n"));
    }
    w->sending = true;
    h2o_send(w->req, v, n, H2O_SEND_STATE_IN_PROGRESS);
}

/* watch_flush from any thread (biglock held): at once on the owner's thread, else the owner
 * is woken to do it (on_loop_wake → watch_flush_dirty). */
static void watch_kick(struct watch_stream *w)
{
    if (w->owner == NULL || w->owner == loop__self) {
        watch_flush(w);
        return;
    }
    if (w->stopped || w->final_sent || h2o_linklist_is_linked(&w->dirty_link))
        return;
    h2o_linklist_insert(&w->owner->dirty, &w->dirty_link);
    loop_wake(w->owner);
}

static void watch_flush_dirty(struct http_loop *l)
{
    while (!h2o_linklist_is_empty(&l->dirty)) {
        struct watch_stream *w = H2O_STRUCT_FROM_MEMBER(struct watch_stream, dirty_link, l->dirty.next);
        h2o_linklist_unlink(&w->dirty_link);
        watch_flush(w);
    }
}

static void watch_cleanup(struct watch_stream *w)
{
    if (w->sub != NULL) {
        watchcache_unsubscribe(server__api->wc, w->sub);
        w->sub = NULL;
    }
    if (h2o_linklist_is_linked(&w->link))
        h2o_linklist_unlink(&w->link);
    if (h2o_linklist_is_linked(&w->dirty_link))
        h2o_linklist_unlink(&w->dirty_link);
    label_selector_free(w->ls);
    field_selector_free(w->fs);
    w->ls = NULL;
    w->fs = NULL;
    free(w->ns);
    w->ns = NULL;
}

static void watch_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct watch_stream *w = (struct watch_stream *)g;
    bool took = biglock_enter();
    w->sending = false;
    watch_flush(w); /* also sends FINAL when the stream ended while a chunk was in flight */
    biglock_leave(took);
}

static void watch_stop_locked(struct watch_stream *w)
{
    w->stopped = true;
    watch_cleanup(w);
    buf_release(&w->pending);
    buf_release(&w->inflight);
}

static void watch_stop(h2o_generator_t *g, h2o_req_t *req)
{
    bool took = biglock_enter();
    watch_stop_locked((struct watch_stream *)g);
    biglock_leave(took);
}

static void watch_emit(struct watch_stream *w, const char *type, json_t *obj)
{
    if (w->overflowed)
        return;
    json_t *ev = json_object();
    json_t *conv = NULL;
    /* the stored core/v1 Events (not an ERROR's Status) are converted to the view's kind */
    if (w->events_view && json_str(obj, "kind") && strcmp(json_str(obj, "kind"), w->res->kind) == 0)
        obj = conv = events_v1_from_core(obj);
    json_object_set_new(ev, "type", json_string(type));
    if (w->table && strcmp(type, "ERROR") != 0 && strcmp(type, "BOOKMARK") != 0) {
        json_object_set_new(ev, "object", rest_to_table(w->res, obj, !w->columns_sent));
        w->columns_sent = true;
    } else {
        json_object_set(ev, "object", obj);
    }
    if (watch_behind(w) || json_write_go(&w->pending, ev, false) == AZ_ETOOLARGE) {
        /* The client stopped reading: end the watch (it re-lists, as with upstream). This
         * may run inside a watch-cache callback, which must not unsubscribe: the ticker
         * ends the stream within a second. */
        w->overflowed = true;
        w->deadline_ms = 0;
        buf_release(&w->pending); /* dropped, as upstream drops a closed watcher's buffer */
    }
    json_decref(ev);
    json_decref(conv);
}

static void watch_on_event(void *arg, const struct watch_event *ev)
{
    struct watch_stream *w = arg;
    if (w->stopped || w->done || w->overflowed)
        return;
    bool now = ev->obj && rest_object_matches(ev->obj, w->ns, w->ls, w->fs);
    bool before = ev->prev_obj && rest_object_matches(ev->prev_obj, w->ns, w->ls, w->fs);
    const char *type = NULL;
    switch (ev->type) {
    case WATCH_ADDED:
        type = now ? "ADDED" : NULL;
        break;
    case WATCH_MODIFIED:
        type = now ? (before ? "MODIFIED" : "ADDED") : (before ? "DELETED" : NULL);
        break;
    case WATCH_DELETED:
        type = (now || before) ? "DELETED" : NULL;
        break;
    }
    if (type == NULL)
        return;
    json_t *obj = json_deep_copy(ev->obj);
    if (strcmp(type, "DELETED") == 0 && ev->type == WATCH_MODIFIED) {
        json_t *m = json_object_get(obj, "metadata");
        (void)m;
    }
    watch_emit(w, type, obj);
    json_decref(obj);
    watch_kick(w);
}

static void watch_tick(h2o_timeout_entry_t *e)
{
    struct http_loop *l = H2O_STRUCT_FROM_MEMBER(struct http_loop, tick_entry, e);
    uint64_t now = now_ms();
    if (l->index == 0)
        http_idle_tick(now);
    /* the list is this thread's; the lock only when a watch ends (a loop whose watches all
     * go on never waits for it here, so it keeps serving what needs no lock) */
    bool took = false;
    h2o_linklist_t *node = l->watches.next;
    while (node != &l->watches) {
        struct watch_stream *w = H2O_STRUCT_FROM_MEMBER(struct watch_stream, link, node);
        node = node->next;
        if (atomic_load_explicit(&w->deadline_ms, memory_order_relaxed) <= now) {
            if (!took && !biglock_held())
                took = biglock_enter();
            watch_cleanup(w);
            w->done = true;
            watch_flush(w);
        }
    }
    biglock_leave(took);
    h2o_timeout_link(l->loop, &l->tick_queue, &l->tick_entry);
}

static int64_t parse_int(const char *s, int64_t dflt)
{
    if (s == NULL || *s == '\0')
        return dflt;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end == '\0' ? v : -1;
}

static void handle_watch(struct ctx *c, struct api_call *call, const struct list_opts *lo)
{
    struct label_selector *ls;
    struct field_selector *fs;
    json_t *st = NULL;
    if (rest_parse_selectors(call->res, lo, &ls, &fs, &st) < 0) {
        send_status(c, st);
        return;
    }
    struct watch_stream *w = h2o_mem_alloc_pool(&c->req->pool, sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->super.proceed = watch_proceed;
    w->super.stop = watch_stop;
    w->req = c->req;
    w->owner = loop__self;
    w->res = c->events_view ? resource_by_kind("events.k8s.io", "Event") : call->res;
    w->events_view = c->events_view;
    w->ns = call->ns && *call->ns ? xstrdup(call->ns) : NULL;
    w->ls = ls;
    w->fs = fs;
    w->table = c->want_table;
    buf_init(&w->pending, WATCH_MAX_PENDING);
    buf_init(&w->inflight, 0);
    if (call->name != NULL) {
        /* a watch on a single object (…/pods?fieldSelector=metadata.name=x handled by fs) */
    }
    int64_t timeout = parse_int(query_get(&c->q, "timeoutSeconds"), 0);
    if (timeout > 366LL * 24 * 3600)
        timeout = 366LL * 24 * 3600;
    if (timeout <= 0) {
        unsigned char rnd;
        random_bytes(&rnd, 1);
        timeout = MIN_REQUEST_TIMEOUT + (int64_t)rnd * MIN_REQUEST_TIMEOUT / 256;
    }
    common_headers(c);
    c->req->res.status = 200;
    c->req->res.reason = "OK";
    add_header(c->req, H2O_TOKEN_CONTENT_TYPE, "application/json");
    c->req->res.content_length = SIZE_MAX;
    if (c->req->version == 0x101) {
        w->chunked = true; /* h2o's chunked filter steps aside when the header is set */
        add_header(c->req, H2O_TOKEN_TRANSFER_ENCODING, "chunked");
    }
    h2o_start_response(c->req, &w->super);

    const char *rvs = lo->resource_version;
    int64_t from = parse_int(rvs, 0);
    if (from < 0) {
        json_t *s = status_bad_request("invalid resourceVersion");
        watch_emit(w, "ERROR", s);
        json_decref(s);
        watch_cleanup(w);
        w->done = true;
        watch_flush(w);
        return;
    }
    /* sendInitialEvents (WatchList, KEP-3157): true — the current state (a consistent read
     * from the object cache, which is not older than any resourceVersion given) as ADDED
     * events, then a BOOKMARK annotated k8s.io/initial-events-end, then changes; false — no
     * synthetic events, even for "" and "0". */
    bool initial = false, initial_set = query_bool(&c->q, "sendInitialEvents", &initial) == 0;
    if (initial_set && initial)
        from = 0;
    if (from == 0 && !(initial_set && !initial)) {
        /* "" and "0": synthetic ADDED events for the current state, then changes. */
        struct list_opts all = *lo;
        all.limit = 0;
        all.continue_token = NULL;
        all.resource_version = NULL;
        json_t *list = NULL, *lst = NULL;
        w->pending.max = 0; /* the current state is already in memory as a list */
        if (rest_list(call, &all, &list, &lst) == 0) {
            size_t i;
            json_t *it;
            json_array_foreach(json_object_get(list, "items"), i, it) {
                json_object_set_new(it, "kind", json_string(call->res->kind));
                json_object_set_new(it, "apiVersion", json_string(resource_api_version(call->res)));
                /* kind/apiVersion first */
                json_t *o = json_object();
                json_object_set(o, "kind", json_object_get(it, "kind"));
                json_object_set(o, "apiVersion", json_object_get(it, "apiVersion"));
                json_object_update_missing(o, it);
                watch_emit(w, "ADDED", o);
                json_decref(o);
            }
            from = parse_int(json_path_str(list, "metadata.resourceVersion"), 0);
            if (initial) {
                json_t *bm = json_pack("{s:s,s:s,s:{s:s,s:n,s:{s:s}}}", "kind", call->res->kind,
                                       "apiVersion", resource_api_version(call->res), "metadata",
                                       "resourceVersion", json_path_str(list, "metadata.resourceVersion"),
                                       "creationTimestamp", "annotations",
                                       "k8s.io/initial-events-end", "true");
                watch_emit(w, "BOOKMARK", bm);
                json_decref(bm);
            }
        }
        w->pending.max = w->pending.len + WATCH_MAX_PENDING;
        json_decref(list);
        json_decref(lst);
    }
    char *prefix = resource_key(call->res, call->ns, NULL);
    int64_t oldest = 0;
    int r = watchcache_subscribe(server__api->wc, prefix, from, watch_on_event, w, &w->sub, &oldest);
    free(prefix);
    if (r == AZ_EGONE) {
        char *msg = xasprintf("too old resource version: %lld (%lld)", (long long)from, (long long)oldest);
        json_t *s = status_gone(msg);
        free(msg);
        watch_emit(w, "ERROR", s);
        json_decref(s);
        w->sub = NULL;
        watch_cleanup(w);
        w->done = true;
        watch_flush(w);
        return;
    }
    w->deadline_ms = now_ms() + (uint64_t)timeout * 1000;
    h2o_linklist_insert(&w->owner->watches, &w->link);
    watch_flush(w);
}

/* ---- resources ---------------------------------------------------------------------- */

/* True if s[0..n) is valid UTF-8 made of printable characters (no controls). */
static bool printable_utf8(const char *s, size_t n)
{
    json_t *probe = json_stringn(s, n); /* NULL for invalid UTF-8 or NUL */
    if (probe == NULL)
        return false;
    json_decref(probe);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* The managedFields manager: ?fieldManager (validated as upstream: at most 128 printable
 * characters; NULL with *ret_error set otherwise), else the User-Agent up to its first '/',
 * cut at 128 bytes, or "unknown" when that is empty or not printable UTF-8. */
static const char *field_manager(struct ctx *c, const char **ret_error)
{
    *ret_error = NULL;
    const char *fm = query_get(&c->q, "fieldManager");
    if (fm != NULL && *fm) {
        if (strlen(fm) > 128)
            *ret_error = "toolong";
        else if (!printable_utf8(fm, strlen(fm)))
            *ret_error = "invalid";
        return *ret_error ? NULL : fm;
    }
    h2o_iovec_t ua = c->user_agent;
    if (ua.base == NULL || ua.len == 0)
        return "unknown";
    size_t n = 0;
    while (n < ua.len && ua.base[n] != '/' && n < 128)
        n++;
    if (n == 0 || !printable_utf8(ua.base, n))
        return "unknown";
    return ctx_strndup(c, ua.base, n);
}

/* ---- pods/log?follow=true -------------------------------------------------------------- */

/* A followed log: the watch streams' framing and flow control (no subscription, no deadline),
 * fed by the node agent's log pipe with each record as it is written; it ends with the run. */
struct log_stream {
    struct watch_stream w;
    struct node_log_follower *f; /* NULL once the run or the client ended */
    bool timestamps;
    bool in_line;                /* the last record was partial: no timestamp before the next */
    int64_t limit;               /* limitBytes left (0: no limit) */
};

static void log_stream_end(struct log_stream *ls)
{
    node_log_unfollow(ls->f);
    ls->f = NULL;
    ls->w.done = true;
    watch_kick(&ls->w);
}

static void log_stream_on_record(void *arg, const char *rec, size_t len)
{
    struct log_stream *ls = arg;
    if (rec == NULL) { /* the follower is freed by the caller */
        ls->f = NULL;
        ls->w.done = true;
        watch_kick(&ls->w);
        return;
    }
    struct node_log_render r = {.tail_lines = -1, .limit_bytes = ls->limit,
                                .timestamps = ls->timestamps && !ls->in_line};
    size_t n = 0;
    char *out = node_log_render(rec, len, &r, &n);
    /* "<time> <stream> P ...": a partial record continues the line */
    const char *sp = memchr(rec, ' ', len);
    sp = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - rec)) : NULL;
    ls->in_line = sp && (size_t)(sp + 1 - rec) < len && sp[1] == 'P';
    int rc = buf_append(&ls->w.pending, out, n);
    free(out);
    if (ls->limit > 0) {
        ls->limit -= (int64_t)n;
        if (ls->limit <= 0) {
            log_stream_end(ls);
            return;
        }
    }
    if (rc != 0) { /* the client stopped reading: cut it off, as a watch is */
        log_stream_end(ls);
        return;
    }
    watch_kick(&ls->w);
}

static void log_stream_stop(h2o_generator_t *g, h2o_req_t *req)
{
    struct log_stream *ls = (struct log_stream *)g;
    bool took = biglock_enter();
    node_log_unfollow(ls->f);
    ls->f = NULL;
    watch_stop_locked(&ls->w);
    biglock_leave(took);
}

/* Starts the streamed response of a followed log in ls (pool memory of c->req): the 200 and
 * its headers at once. */
static void log_stream_start(struct ctx *c, const struct node_log_opts *lo, struct log_stream *ls)
{
    memset(ls, 0, sizeof(*ls));
    ls->w.super.proceed = watch_proceed;
    ls->w.super.stop = log_stream_stop;
    ls->w.req = c->req;
    ls->w.owner = loop__self;
    ls->timestamps = lo->timestamps;
    ls->limit = lo->limit_bytes > 0 ? lo->limit_bytes : 0;
    buf_init(&ls->w.pending, WATCH_MAX_PENDING);
    buf_init(&ls->w.inflight, 0);
    common_headers(c);
    c->req->res.status = 200;
    c->req->res.reason = "OK";
    add_header(c->req, H2O_TOKEN_CONTENT_TYPE, "text/plain");
    c->req->res.content_length = SIZE_MAX;
    if (c->req->version == 0x101) {
        ls->w.chunked = true;
        add_header(c->req, H2O_TOKEN_TRANSFER_ENCODING, "chunked");
    }
    h2o_start_response(c->req, &ls->w.super);
}

/* pods/log, pods/exec, pods/attach and pods/portforward: served by the node agent running the pod. */
static void handle_pod_stream(struct ctx *c, const struct resource_def *r, const char *ns,
                              const char *name, const char *sub)
{
    struct api_call call = {.srv = server__api, .res = r, .ns = ns, .name = name, .user = &c->user};
    json_t *pod = NULL, *st = NULL;
    if (rest_get(&call, &pod, &st) != 0) {
        send_status(c, st);
        return;
    }
    json_decref(pod);
    if (strcmp(sub, "exec") == 0) {
        if (http_exec_handle(c->req, ns, name, &c->q, &st) != 0)
            send_status(c, st ? st : status_internal("exec failed"));
        return;
    }
    if (strcmp(sub, "attach") == 0) {
        if (http_attach_handle(c->req, ns, name, &c->q, &st) != 0)
            send_status(c, st ? st : status_internal("attach failed"));
        return;
    }
    if (strcmp(sub, "portforward") == 0) {
        if (http_portforward_handle(c->req, ns, name, &c->q, &st) != 0)
            send_status(c, st ? st : status_internal("port-forward failed"));
        return;
    }
    const char *tail = query_get(&c->q, "tailLines"), *limit = query_get(&c->q, "limitBytes");
    const char *prev = query_get(&c->q, "previous");
    struct node_log_opts lo = {.container = query_get(&c->q, "container"),
                               .tail_lines = tail ? strtoll(tail, NULL, 10) : -1,
                               .limit_bytes = limit ? strtoll(limit, NULL, 10) : 0,
                               .previous = prev && strcmp(prev, "true") == 0};
    const char *ts = query_get(&c->q, "timestamps"), *since_s = query_get(&c->q, "sinceSeconds");
    const char *since_t = query_get(&c->q, "sinceTime");
    lo.timestamps = ts && strcmp(ts, "true") == 0;
    /* ValidatePodLogOptions: every field error, aggregated as Go's ErrorList ("[a, b]") */
    long long since_n = since_s ? strtoll(since_s, NULL, 10) : 0;
    char *errs[3];
    size_t ne = 0;
    if (tail && lo.tail_lines < 0)
        errs[ne++] = xasprintf("tailLines: Invalid value: %lld: must be greater than or equal to 0",
                               (long long)lo.tail_lines);
    if (limit && lo.limit_bytes < 1)
        errs[ne++] = xasprintf("limitBytes: Invalid value: %lld: must be greater than 0", (long long)lo.limit_bytes);
    if (since_s && since_t)
        errs[ne++] = xstrdup(": Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
    else if (since_s && since_n < 1)
        errs[ne++] = xasprintf("sinceSeconds: Invalid value: %lld: must be greater than 0", since_n);
    if (ne > 0) {
        char *m = ne == 1 ? xstrdup(errs[0])
                  : ne == 2 ? xasprintf("[%s, %s]", errs[0], errs[1])
                            : xasprintf("[%s, %s, %s]", errs[0], errs[1], errs[2]);
        for (size_t e = 0; e < ne; e++)
            free(errs[e]);
        send_status(c, status_new(AZ_EBADREQUEST, m, NULL));
        free(m);
        return;
    }
    if (since_s != NULL) {
        long long n = since_n;
        struct timespec now;
        clock_wall(&now);
        lo.has_since = true;
        lo.since_ns = ((int64_t)now.tv_sec - (n > INT32_MAX ? INT32_MAX : n)) * 1000000000 + now.tv_nsec;
    } else if (since_t != NULL) {
        if (!time_parse_rfc3339_ns(since_t, strlen(since_t), &lo.since_ns)) {
            char *m = xasprintf("sinceTime: invalid RFC 3339 time \"%s\"", since_t);
            send_status(c, status_new(AZ_EBADREQUEST, m, NULL));
            free(m);
            return;
        }
        lo.has_since = true;
    }
    char *log = NULL, *err = NULL;
    size_t len = 0;
    const char *follow = query_get(&c->q, "follow");
    /* the follower may be called only after the response has started: it is registered in
     * this turn of the loop, and records arrive in later ones */
    struct log_stream *ls = NULL;
    struct node_log_follower *f = NULL;
    if (follow && strcmp(follow, "true") == 0) {
        ls = h2o_mem_alloc_pool(&c->req->pool, sizeof(*ls));
        lo.follow_fn = log_stream_on_record;
        lo.follow_arg = ls;
    }
    int rc = node_pod_log(ns, name, &lo, &log, &len, &f, &err);
    if (rc < 0) {
        send_status(c, status_new(rc, err ? err : "log unavailable", NULL));
        free(err);
        return;
    }
    if (f != NULL) {
        log_stream_start(c, &lo, ls);
        ls->f = f;
        if (ls->limit > 0)
            ls->limit -= (int64_t)len;
        ls->w.pending.max = len + WATCH_MAX_PENDING; /* the log so far may be up to 16 MiB */
        buf_append(&ls->w.pending, log, len);
        free(log);
        watch_flush(&ls->w);
        return;
    }
    common_headers(c);
    send_bytes(c->req, 200, "text/plain", log, len);
    free(log);
}

/* Whether a create is a SelfSubjectAccessReview whose answer is exactly the compact
 * json_dump_go of the handler's object and nothing else reads the request or the answer:
 * a JSON body, no query parameters (dryRun, fieldValidation, pretty, fieldManager), no
 * YAML or pretty answer, no audit, not a write thread's captured response. rbac.h:
 * rbac_ssar_fast answers a repeat of the same request from those bytes. */
static bool ssar_memo_applies(struct ctx *c, const struct api_call *call,
                              const struct subresource_def *sd, bool events_view)
{
    return sd == NULL && !events_view && c->q.nparams == 0 && !c->pretty && !c->want_yaml &&
           capture__ == NULL && !audit_enabled() &&
           apiserver_virtual_handler(call->srv, call->res, NULL) == rbac_ssar_create &&
           http_body_format(c->content_type.base, c->content_type.len) == HTTP_BODY_JSON;
}

static void create_job_start(struct ctx *c, struct rest_deferred *d, int code);

/* Whether a request for the namespaces resource that carries a namespace came by one of the
 * namespace object's own paths: /api/v1/[watch/]namespaces/NS, .../NS/status, .../NS/finalize.
 * requestinfo restarts the parts after namespaces/NS unless a namespace subresource follows, as
 * upstream's does, so /api/v1/namespaces/NS/namespaces[/NAME] also reads as namespace NS,
 * resource namespaces: upstream routes no such path (404 once authorized), and serving it would
 * let a grant scoped to NS reach every namespace. */
static bool namespace_own_path(const struct request_info *ri)
{
    const char *p = ri->path;
    size_t nslen = strlen(ri->namespace);
    if (strncmp(p, "/api/v1/", 8) != 0)
        return false;
    p += 8;
    if (strncmp(p, "watch/", 6) == 0)
        p += 6;
    if (strncmp(p, "namespaces/", 11) != 0 || strncmp(p + 11, ri->namespace, nslen) != 0)
        return false;
    p += 11 + nslen;
    if (strcmp(p, "/status") == 0 || strcmp(p, "/finalize") == 0)
        return true;
    return *p == '\0' || strcmp(p, "/") == 0;
}

static void handle_resource(struct ctx *c)
{
    struct request_info *ri = &c->info;
    const struct resource_def *r = resource_lookup(ri->api_group, ri->api_version, ri->resource);
    if (r == NULL) {
        send_status(c, status_not_found_path());
        return;
    }
    const char *ns = ri->namespace && *ri->namespace ? ri->namespace : NULL;
    bool path_ns_is_name = (r->flags & RES_PATH_NAME_IS_NAMESPACE) != 0;
    if (path_ns_is_name) {
        if (ns != NULL && !namespace_own_path(ri)) {
            send_status(c, status_not_found_path());
            return;
        }
        ns = NULL;
    }
    if (!r->namespaced && ri->namespace && *ri->namespace && !path_ns_is_name) {
        send_status(c, status_not_found_path());
        return;
    }
    const char *verb = ri->verb;
    const char *sub = ri->subresource && *ri->subresource ? ri->subresource : NULL;
    const struct subresource_def *sd = NULL;
    if (sub != NULL) {
        sd = resource_subresource(r, sub);
        if (sd == NULL || ri->name == NULL) {
            send_status(c, status_not_found_path());
            return;
        }
    }
    unsigned bit = 0;
    if (strcmp(verb, "get") == 0) bit = VERB_GET;
    else if (strcmp(verb, "list") == 0) bit = VERB_LIST;
    else if (strcmp(verb, "watch") == 0) bit = VERB_WATCH;
    else if (strcmp(verb, "create") == 0) bit = VERB_CREATE;
    else if (strcmp(verb, "update") == 0) bit = VERB_UPDATE;
    else if (strcmp(verb, "patch") == 0) bit = VERB_PATCH;
    else if (strcmp(verb, "delete") == 0) bit = VERB_DELETE;
    else if (strcmp(verb, "deletecollection") == 0) bit = VERB_DELETECOLLECTION;
    unsigned allowed = sd ? sd->verbs : r->verbs;
    /* list/watch/deletecollection may carry a name from a metadata.name field selector
     * (for authorization); the URL itself names no object then. */
    bool named = ri->name != NULL && *ri->name &&
                 !(strcmp(verb, "list") == 0 || strcmp(verb, "watch") == 0 || strcmp(verb, "deletecollection") == 0) ;
    if ((bit & allowed) == 0 || (named && (bit == VERB_LIST || bit == VERB_DELETECOLLECTION)) ||
        (!named && (bit == VERB_UPDATE || bit == VERB_PATCH || bit == VERB_DELETE) && !(r->flags & RES_VIRTUAL)) ||
        (named && bit == VERB_CREATE && sd == NULL) ||
        (r->namespaced && ns == NULL && (bit == VERB_CREATE || (named && bit != VERB_WATCH)))) {
        if (r->namespaced && ns == NULL && bit == VERB_CREATE && !(r->flags & RES_VIRTUAL)) {
            send_status(c, status_not_found_path());
            return;
        }
        send_status(c, status_method_not_allowed());
        return;
    }
    if (sd != NULL && sd->stream && (bit & allowed)) {
        handle_pod_stream(c, r, ns, ri->name, sub);
        return;
    }

    if (c->warnings == NULL)
        c->warnings = json_array();
    json_t *warnings = c->warnings;
    struct api_call call = {0};
    call.srv = server__api;
    call.res = r;
    /* events.k8s.io/v1 Events: the core/v1 Events' storage, bodies converted in and out */
    bool events_view = events_v1_is_view(r);
    if (events_view)
        call.res = resource_by_kind("", "Event");
    call.subresource = sub;
    call.ns = path_ns_is_name ? NULL : ns;
    call.name = named ? ri->name : NULL;
    call.user = &c->user;
    const char *fm_error;
    /* reads record no manager: the User-Agent is not checked for them */
    fm_error = NULL;
    call.field_manager = (bit & (VERB_GET | VERB_LIST | VERB_WATCH)) ? "unknown" : field_manager(c, &fm_error);
    call.warnings = warnings;
    call.read_barrier = c->read_barrier;
    const char *options_kind = bit == VERB_CREATE ? "CreateOptions" : bit == VERB_UPDATE ? "UpdateOptions"
                             : bit == VERB_PATCH ? "PatchOptions" : "DeleteOptions";
    if (fm_error != NULL && (bit & (VERB_CREATE | VERB_UPDATE | VERB_PATCH))) {
        struct field_errors fe;
        field_errors_init(&fe);
        json_t *v = json_string(query_get(&c->q, "fieldManager"));
        if (strcmp(fm_error, "toolong") == 0)
            field_errors_add(&fe, FIELD_TOO_LONG, "fieldManager", NULL, "may not be longer than 128");
        else
            field_errors_add(&fe, FIELD_INVALID, "fieldManager", v, "must only contain printable characters");
        json_decref(v);
        send_status(c, status_invalid("meta.k8s.io", options_kind, "", &fe));
        field_errors_release(&fe);
        return;
    }
    if (call.field_manager == NULL)
        call.field_manager = "unknown";
    const char *dry = query_get(&c->q, "dryRun");
    if (dry != NULL && (bit & (VERB_CREATE | VERB_UPDATE | VERB_PATCH | VERB_DELETE | VERB_DELETECOLLECTION))) {
        if (strcmp(dry, "All") != 0) {
            static const char *const sup[] = {"All", NULL};
            char *rendered = xasprintf("[]string{\"%s\"}", dry);
            struct field_errors fe;
            field_errors_init(&fe);
            field_errors_add_raw(&fe, FIELD_NOT_SUPPORTED, "dryRun", rendered, "supported values: \"All\"");
            (void)sup;
            send_status(c, status_invalid("meta.k8s.io", options_kind, "", &fe));
            field_errors_release(&fe);
            free(rendered);
            return;
        }
        call.dry_run = true;
    }
    const char *fv = query_get(&c->q, "fieldValidation");
    call.validation = FIELD_VALIDATION_WARN;
    if (fv != NULL && (bit & (VERB_CREATE | VERB_UPDATE | VERB_PATCH))) {
        if (strcmp(fv, "Strict") == 0)
            call.validation = FIELD_VALIDATION_STRICT;
        else if (strcmp(fv, "Ignore") == 0)
            call.validation = FIELD_VALIDATION_IGNORE;
        else if (strcmp(fv, "Warn") == 0 || *fv == '\0')
            call.validation = FIELD_VALIDATION_WARN;
        else {
            static const char *const sup[] = {"", "Ignore", "Strict", "Warn", NULL};
            json_t *v = json_string(fv);
            send_options_invalid(c, options_kind, "fieldValidation", v, sup);
            json_decref(v);
            return;
        }
    }
    static const char *const int_params[] = {"limit", "timeoutSeconds", "gracePeriodSeconds"};
    for (size_t i = 0; i < sizeof(int_params) / sizeof(int_params[0]); i++) {
        const char *v = query_get(&c->q, int_params[i]);
        char *end = NULL;
        if (v != NULL && (*v == '\0' || (strtoll(v, &end, 10), *end != '\0'))) {
            char *msg = xasprintf("strconv.ParseInt: parsing \"%s\": invalid syntax", v);
            send_status(c, status_bad_request(msg));
            free(msg);
            return;
        }
    }
    struct list_opts lo = {
        .label_selector = query_get(&c->q, "labelSelector"),
        .field_selector = query_get(&c->q, "fieldSelector"),
        .limit = parse_int(query_get(&c->q, "limit"), 0),
        .continue_token = query_get(&c->q, "continue"),
        .resource_version = query_get(&c->q, "resourceVersion"),
        .resource_version_match = query_get(&c->q, "resourceVersionMatch"),
    };
    if (events_view && lo.field_selector && *lo.field_selector) {
        char *ferr = NULL, *conv = events_v1_field_selector(lo.field_selector, &ferr);
        if (conv == NULL) {
            send_status(c, status_bad_request(ferr));
            free(ferr);
            return;
        }
        lo.field_selector = ctx_strndup(c, conv, strlen(conv));
        free(conv);
    }
    json_t *obj = NULL, *st = NULL, *body = NULL;
    int code = 200, rc = 0;
    bool ssar_memo = false;
    switch (bit) {
    case VERB_GET:
        call.resource_version = query_get(&c->q, "resourceVersion");
        if (!c->want_table && !c->want_yaml && !events_view && !audit_enabled()) {
            /* the stored object's bytes, not a tree of it (send_item) */
            struct wc_item it;
            rc = rest_get_item(&call, &it, &st);
            if (rc == 0 && send_item(c, &it))
                return;
            if (rc == 0)
                watchcache_item_release(&it);
            if (rc != 0 && rc != AZ_EUNAVAILABLE)
                break;
        }
        rc = rest_get(&call, &obj, &st);
        break;
    case VERB_LIST:
        if (lo.limit < 0) {
            rc = AZ_EBADREQUEST;
            st = status_bad_request("limit must be a non-negative integer");
            break;
        }
        if (!c->want_table && !c->want_yaml && !events_view && !audit_enabled()) {
            /* JSON composed from the stored bytes (no tree of the list), streamed; the
             * events.k8s.io view is converted from core Events, so it takes the tree */
            struct rest_list_stream *ls;
            rc = rest_list_open(&call, &lo, c->pretty, &ls, &st);
            if (rc == 0) {
                json_decref(st);
                common_headers(c);
                send_list_stream(c->req, ls);
                return;
            }
            break;
        }
        rc = rest_list(&call, &lo, &obj, &st);
        break;
    case VERB_WATCH:
        if (ri->nparts >= 2 && *ri->parts[1]) {
            /* legacy /watch/…/NAME: the object authorized by name, ANDed with any selector */
            char *fsel = lo.field_selector && *lo.field_selector
                             ? xasprintf("metadata.name=%s,%s", ri->parts[1], lo.field_selector)
                             : xasprintf("metadata.name=%s", ri->parts[1]);
            lo.field_selector = ctx_strndup(c, fsel, strlen(fsel));
            free(fsel);
            call.name = NULL;
        }
        c->events_view = events_view;
        handle_watch(c, &call, &lo);
        return;
    case VERB_CREATE:
        ssar_memo = ssar_memo_applies(c, &call, sd, events_view);
        if (ssar_memo) {
            /* a repeated SelfSubjectAccessReview: the remembered answer's bytes */
            size_t n;
            char *s = rbac_ssar_fast(&call, c->body.base ? c->body.base : "", c->body.len, &n);
            if (s != NULL) {
                common_headers(c);
                send_owned(c->req, 201, "application/json", s, n);
                return;
            }
        }
        if ((body = decode_body(c, sd ? sd->kind : r->kind)) == NULL)
            return;
        if (events_view) {
            json_t *core = events_v1_to_core(body);
            json_decref(body);
            body = core;
        }
        virtual_create_fn vc = sd ? apiserver_virtual_handler(call.srv, r, sd->name) : NULL;
        if (vc != NULL)
            rc = (code = 201, vc(&call, body, &obj, &st));
        else if (sd != NULL)
            rc = AZ_EMETHOD, st = status_method_not_allowed();
        else if (c->async_create && !call.dry_run) {
            struct rest_deferred d = {0};
            call.defer = &d;
            rc = rest_create(&call, body, &obj, &code, &st);
            if (rc == 1) {
                create_job_start(c, &d, code);
                json_decref(body);
                return; /* the job answers, on this loop, once the write is durable */
            }
        } else
            rc = rest_create(&call, body, &obj, &code, &st);
        break;
    case VERB_UPDATE:
        if ((body = decode_body(c, r->kind)) == NULL)
            return;
        if (events_view) {
            json_t *core = events_v1_to_core(body);
            json_decref(body);
            body = core;
        }
        rc = rest_update(&call, body, &obj, &code, &st);
        break;
    case VERB_PATCH: {
        h2o_iovec_t ct = c->content_type;
        char *cts = ct.base ? xstrndup(ct.base, ct.len) : xstrdup("");
        int pt = patch_type_from_media_type(cts);
        bool apply = strncmp(cts, "application/apply-patch+yaml", strcspn(cts, ";")) == 0 &&
                     strcspn(cts, ";") == strlen("application/apply-patch+yaml");
        free(cts);
        const char *force = query_get(&c->q, "force");
        const char *fmq = query_get(&c->q, "fieldManager");
        if ((apply && (fmq == NULL || *fmq == '\0')) || (!apply && force != NULL && pt >= 0)) {
            /* upstream ValidatePatchOptions */
            struct field_errors fe;
            field_errors_init(&fe);
            if (apply)
                field_errors_add(&fe, FIELD_REQUIRED, "fieldManager", NULL, "is required for apply patch");
            else
                field_errors_add(&fe, FIELD_FORBIDDEN, "force", NULL, "may not be specified for non-apply patch");
            send_status(c, status_invalid("meta.k8s.io", "PatchOptions", "", &fe));
            field_errors_release(&fe);
            return;
        }
        if (apply) {
            rc = rest_apply(&call, c->body.base ? c->body.base : "", c->body.len,
                            force != NULL && (strcmp(force, "true") == 0 || strcmp(force, "True") == 0 ||
                                              strcmp(force, "TRUE") == 0 || strcmp(force, "t") == 0 ||
                                              strcmp(force, "T") == 0 || strcmp(force, "1") == 0),
                            &obj, &code, &st);
            break;
        }
        if (pt < 0) {
            send_status(c, status_unsupported_media_type("application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"));
            return;
        }
        rc = (events_view ? events_v1_patch : rest_patch)(&call, pt, c->body.base ? c->body.base : "",
                                                        c->body.len, &obj, &st);
        break;
    }
    case VERB_DELETE:
    case VERB_DELETECOLLECTION: {
        json_t *opts = NULL;
        h2o_iovec_t dct = c->content_type;
        if (c->body.len > 0 && dct.base != NULL &&
            iov_prefix(dct, "application/vnd.kubernetes.protobuf")) {
            /* client-go's typed clients (kubectl drain) send DeleteOptions as protobuf */
            char *err = NULL;
            int r = k8s_protobuf_decode((const uint8_t *)c->body.base, c->body.len, resource_schema_by_kind, &opts, &err);
            if (r < 0 || strcmp(json_str(opts, "kind") ? json_str(opts, "kind") : "", "DeleteOptions") != 0) {
                char *msg = r < 0 ? NULL
                                  : xasprintf("the object provided is unrecognized (must be of type DeleteOptions): %s",
                                              json_str(opts, "kind"));
                send_status(c, r < 0 ? status_new(r, err ? err : "invalid protobuf body", NULL)
                                     : status_bad_request(msg));
                free(msg);
                free(err);
                json_decref(opts);
                return;
            }
        } else if (c->body.len > 0) {
            json_error_t err;
            opts = json_loadb(c->body.base, c->body.len, 0, &err);
            if (opts == NULL) {
                char *msg = xasprintf("couldn't get version/kind; json parse error: %s", err.text);
                send_status(c, status_bad_request(msg));
                free(msg);
                return;
            }
        } else {
            opts = json_object();
        }
        const char *pp = query_get(&c->q, "propagationPolicy");
        if (pp != NULL) {
            if (strcmp(pp, "Foreground") != 0 && strcmp(pp, "Background") != 0 && strcmp(pp, "Orphan") != 0) {
                json_decref(opts);
                static const char *const sup[] = {"Foreground", "Background", "Orphan", "nil", NULL};
                json_t *v = json_string(pp);
                send_options_invalid(c, "DeleteOptions", "propagationPolicy", v, sup);
                json_decref(v);
                return;
            }
            json_object_set_new(opts, "propagationPolicy", json_string(pp));
        }
        const char *gps = query_get(&c->q, "gracePeriodSeconds");
        if (gps != NULL)
            json_object_set_new(opts, "gracePeriodSeconds", json_integer(parse_int(gps, 0)));
        if (bit == VERB_DELETE)
            rc = rest_delete(&call, opts, &obj, &code, &st);
        else
            rc = rest_deletecollection(&call, &lo, opts, &obj, &st);
        json_decref(opts);
        break;
    }
    default:
        rc = AZ_EMETHOD;
        st = status_method_not_allowed();
    }
    json_decref(body);
    if (rc < 0 || obj == NULL) {
        send_status(c, st ? st : status_internal("no result"));
        json_decref(obj);
        return;
    }
    json_decref(st);
    if (events_view)
        events_v1_output(obj);
    if (c->want_table && (bit == VERB_GET || bit == VERB_LIST) && sd == NULL) {
        json_t *t = rest_to_table(r, obj, true);
        send_json(c, code, t);
        json_decref(t);
    } else if (ssar_memo) {
        /* send_json's bytes (no audit, no YAML: ssar_memo_applies), kept for a repeat */
        common_headers(c);
        size_t len;
        char *s = json_dump_go(obj, false, &len);
        rbac_ssar_remember(&call, c->body.base ? c->body.base : "", c->body.len, obj, s, len);
        send_owned(c->req, code, "application/json", s, len);
    } else {
        send_json(c, code, obj);
    }
    json_decref(obj);
}

/* ---- non-resource endpoints --------------------------------------------------------- */

/* the extra GET routes of the running server's config (cmd/serve.c's table) */
static const struct http_route *server__routes;
static size_t server__nroutes;

static bool handle_extra_get(struct ctx *c)
{
    for (size_t i = 0; i < server__nroutes; i++) {
        if (strcmp(c->path, server__routes[i].path) != 0)
            continue;
        json_t *body = NULL;
        const char *ct = NULL, *cc = NULL;
        int r = server__routes[i].fn(server__api, &body, &ct, &cc);
        if (r < 0) {
            send_status(c, body ? body : status_internal("handler failed"));
            return true;
        }
        if (cc != NULL)
            add_header(c->req, H2O_TOKEN_CACHE_CONTROL, cc);
        add_header_str(c->req, "audit-id", c->audit_id);
        /* these documents are served as pre-rendered compact bytes, no trailing newline */
        size_t len;
        char *s = json_dump_go(body, false, &len);
        if (len > 0 && s[len - 1] == '\n')
            len--;
        send_bytes(c->req, 200, ct ? ct : "application/json", s, len);
        free(s);
        json_decref(body);
        return true;
    }
    return false;
}

/* Value of media-type parameter NAME in one Accept entry [p, end), or an empty iovec. */
static h2o_iovec_t media_param(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    for (const char *q = p; q < end; q++) {
        if (*q != ';')
            continue;
        const char *k = q + 1;
        while (k < end && *k == ' ')
            k++;
        if ((size_t)(end - k) > n && strncmp(k, name, n) == 0 && k[n] == '=') {
            const char *v = k + n + 1, *ve = v;
            while (ve < end && *ve != ';' && *ve != ' ')
                ve++;
            return h2o_iovec_init(v, (size_t)(ve - v));
        }
    }
    return h2o_iovec_init(NULL, 0);
}

/* Aggregated discovery version for an Accept header, in the client's order: "v2",
 * "v2beta1", or NULL when a plain JSON type (legacy discovery) comes first or nothing fits. */
static const char *discovery_negotiate(h2o_iovec_t accept)
{
    const char *p = accept.base, *end = accept.base ? accept.base + accept.len : NULL;
    while (p != NULL && p < end) {
        const char *e = memchr(p, ',', (size_t)(end - p));
        if (e == NULL)
            e = end;
        while (p < e && *p == ' ')
            p++;
        h2o_iovec_t as = media_param(p, e, "as"), g = media_param(p, e, "g"), v = media_param(p, e, "v");
        if (as.len == 0) {
            if (strncmp(p, "application/json", 16) == 0 || strncmp(p, "*/*", 3) == 0)
                return NULL;
        } else if (h2o_memis(as.base, as.len, H2O_STRLIT("APIGroupDiscoveryList")) &&
                   h2o_memis(g.base, g.len, H2O_STRLIT("apidiscovery.k8s.io"))) {
            if (h2o_memis(v.base, v.len, H2O_STRLIT("v2")))
                return "v2";
            if (h2o_memis(v.base, v.len, H2O_STRLIT("v2beta1")))
                return "v2beta1";
        }
        p = e + 1;
    }
    return NULL;
}

static bool handle_nonresource(struct ctx *c)
{
    const char *p = c->path;
    bool get = c->req->method.len == 3 && memcmp(c->req->method.base, "GET", 3) == 0;
    bool head = c->req->method.len == 4 && memcmp(c->req->method.base, "HEAD", 4) == 0;
    if (!get && !head)
        return false;
    if (handle_extra_get(c))
        return true;
    if (health_path(p)) {
        struct buf out = BUF_INIT;
        int code = health_render(p, &c->q, store_health(server__api->store, NULL) == 0, &out);
        send_text(c, code, out.data ? out.data : "");
        buf_release(&out);
        return true;
    }
    if (strcmp(p, "/metrics") == 0) {
        struct buf b = BUF_INIT;
        buf_init(&b, 64 * 1024 * 1024);
        pthread_mutex_lock(&observe_mu);
        metrics_render(server__api, &b);
        pthread_mutex_unlock(&observe_mu);
        common_headers(c);
        send_bytes(c->req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "", b.len);
        buf_release(&b);
        return true;
    }
    if (strcmp(p, "/version") == 0 || strcmp(p, "/version/") == 0) {
        json_t *v = discovery_version();
        send_json(c, 200, v);
        json_decref(v);
        return true;
    }
    if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0 || strcmp(p, "/apis") == 0 || strcmp(p, "/apis/") == 0) {
        bool legacy = strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0;
        const char *aggregated = discovery_negotiate(header_value(c->req, H2O_TOKEN_ACCEPT));
        json_t *d;
        if (aggregated != NULL) {
            d = discovery_aggregated_version(legacy, aggregated);
            send_json_ct(c, 200, d, strcmp(aggregated, "v2") == 0 ? DISCOVERY_V2_CONTENT_TYPE : DISCOVERY_V2BETA1_CONTENT_TYPE);
        } else {
            d = legacy ? discovery_api_versions(server__address) : discovery_api_groups();
            send_json(c, 200, d);
        }
        json_decref(d);
        return true;
    }
    if (strcmp(p, "/api/v1") == 0 || strncmp(p, "/apis/", 6) == 0) {
        json_t *d = NULL;
        if (strcmp(p, "/api/v1") == 0) {
            d = discovery_resource_list("", "v1");
        } else {
            char group[128] = "", version[32] = "";
            const char *rest = p + 6;
            const char *slash = strchr(rest, '/');
            if (slash == NULL) {
                snprintf(group, sizeof(group), "%s", rest);
                d = discovery_api_group(group);
            } else if (strchr(slash + 1, '/') == NULL && (size_t)(slash - rest) < sizeof(group)) {
                memcpy(group, rest, (size_t)(slash - rest));
                group[slash - rest] = '\0';
                snprintf(version, sizeof(version), "%s", slash + 1);
                d = discovery_resource_list(group, version);
            } else {
                return false;
            }
        }
        if (d == NULL)
            send_status(c, status_not_found_path());
        else
            send_json(c, 200, d);
        json_decref(d);
        return true;
    }
    if (strcmp(p, "/openapi/v2") == 0) {
        /* kubectl 1.27/1.28 ask for the protobuf form; others get JSON */
        json_t *doc = openapi_v2_document();
        add_header(c->req, H2O_TOKEN_ETAG, "\"" ANZEN_K8S_GIT_VERSION "-1\"");
        if (iov_has(header_value(c->req, H2O_TOKEN_ACCEPT), "application/com.github.proto-openapi.spec.v2")) {
            struct buf pb = BUF_INIT;
            openapi_v2_protobuf(doc, &pb);
            common_headers(c);
            send_bytes(c->req, 200, OPENAPI_V2_PROTOBUF_TYPE, pb.data ? pb.data : "", pb.len);
            buf_release(&pb);
        } else {
            send_json(c, 200, doc);
        }
        json_decref(doc);
        return true;
    }
    if (strcmp(p, "/openapi/v3") == 0 || strcmp(p, "/openapi/v3/") == 0) {
        json_t *paths = discovery_openapi_paths(), *out = json_object(), *po = json_object();
        size_t i;
        json_t *v;
        json_array_foreach(paths, i, v) {
            char *u = xasprintf("/openapi/v3/%s?hash=%s", json_string_value(v), ANZEN_K8S_GIT_VERSION "-1");
            json_object_set_new(po, json_string_value(v), json_pack("{s:s}", "serverRelativeURL", u));
            free(u);
        }
        json_object_set_new(out, "paths", po);
        send_json(c, 200, out);
        json_decref(out);
        json_decref(paths);
        return true;
    }
    if (strncmp(p, "/openapi/v3/", 12) == 0) {
        const char *gvp = p + 12;
        char group[128] = "", version[32] = "";
        if (strcmp(gvp, "api/v1") == 0) {
            snprintf(version, sizeof(version), "v1");
        } else if (strncmp(gvp, "apis/", 5) == 0) {
            const char *slash = strrchr(gvp + 5, '/');
            if (slash == NULL || (size_t)(slash - (gvp + 5)) >= sizeof(group))
                return false;
            memcpy(group, gvp + 5, (size_t)(slash - (gvp + 5)));
            snprintf(version, sizeof(version), "%s", slash + 1);
        } else {
            return false;
        }
        json_t *kinds = discovery_openapi_kinds(group, version);
        if (json_array_size(kinds) == 0) {
            json_decref(kinds);
            send_status(c, status_not_found_path());
            return true;
        }
        json_t *doc = openapi_v3_document(group, version, kinds, resource_schema_by_kind);
        json_decref(kinds);
        add_header(c->req, H2O_TOKEN_ETAG, "\"" ANZEN_K8S_GIT_VERSION "-1\"");
        send_json(c, 200, doc);
        json_decref(doc);
        return true;
    }
    return false;
}

/* ---- the pipeline ------------------------------------------------------------------- */

static SSL *request_ssl(h2o_req_t *req)
{
    if (req->conn->callbacks->get_socket == NULL)
        return NULL;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL || sock->ssl == NULL)
        return NULL;
    return sock->ssl->ossl;
}

/* Header accessors handed to rbac_impersonate(). */
static json_t *imp_get_header(void *ctx, const char *name)
{
    h2o_req_t *req = ctx;
    json_t *vals = json_array();
    ssize_t i = -1;
    while ((i = h2o_find_header_by_str(&req->headers, name, strlen(name), i)) >= 0) {
        /* Go's header parser (textproto) drops the value's leading and trailing white space */
        const char *v = req->headers.entries[i].value.base;
        size_t n = req->headers.entries[i].value.len;
        while (n > 0 && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        json_array_append_new(vals, json_stringn(v, n));
    }
    return vals;
}

static json_t *imp_header_names(void *ctx)
{
    h2o_req_t *req = ctx;
    json_t *names = json_array();
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_iovec_t *n = req->headers.entries[i].name;
        json_array_append_new(names, json_stringn(n->base, n->len));
    }
    return names;
}

/* Whether any header asks for impersonation (Impersonate-User, -Group, -Uid, -Extra-*):
 * without one rbac_impersonate has nothing to do, and its header arrays are not built. */
static bool has_impersonation_headers(h2o_req_t *req)
{
    static const char prefix[] = "impersonate-";
    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_iovec_t *n = req->headers.entries[i].name;
        if (n->len >= sizeof(prefix) - 1 && strncasecmp(n->base, prefix, sizeof(prefix) - 1) == 0)
            return true;
    }
    return false;
}

/* ---- consistent reads: the barrier off the loop ---------------------------------------
 * A get or list without resourceVersion must see every write acknowledged before it arrived,
 * through any replica (upstream 1.31+ consistent reads from cache). With etcd that needs a
 * round trip for etcd's current revision: instead of making it on the loop, such a request
 * is parked. The reads parked during one turn of the loop form a group that takes one
 * barrier (store_sync_async, which also lets groups of every loop arriving while a fetch is
 * in flight share the next one); when it passes, each is served from the start on its loop.
 * The control loop is not involved (its controllers never delay a read). The request's pool
 * owns a slot pointing back at its parked record, so a request dropped meanwhile is never
 * touched. Backends whose barrier is free (SQLite) never park. */

static int serve_request(h2o_req_t *req, int read_barrier, const struct http_observe *begun);

struct parked_read {
    h2o_req_t *req;             /* NULL once the request is gone */
    struct parked_read **slot;  /* in the request's pool: points back here */
    struct http_observe obs;    /* when the request arrived (audit, latency metrics) */
    struct parked_read *next;
};

struct parked_group {
    struct parked_read *reads;  /* in arrival order */
    int rc;                     /* the barrier's result */
    struct http_loop *owner;    /* the loop of the requests: they are served again there */
};

/* The request's pool is freed on its loop, where parked_group_resume runs too: no lock. */
static void parked_slot_dispose(void *p)
{
    struct parked_read **slot = p;
    if (*slot != NULL)
        (*slot)->req = NULL;
}

/* Posted work on the owning loop (run with the biglock held): the reads are served without
 * it, as they would have been had they not parked; one that needs it takes it again. */
static void parked_group_resume(void *arg)
{
    struct parked_group *g = arg;
    int held = biglock_suspend();
    while (g->reads != NULL) {
        struct parked_read *pr = g->reads;
        g->reads = pr->next;
        if (pr->req != NULL) {
            *pr->slot = NULL;
            serve_request(pr->req, g->rc == 0 ? 1 : g->rc, &pr->obs);
        }
        free(pr);
    }
    free(g);
    biglock_resume(held);
}

/* store_sync_async's completion: may run inside another request's store call, so it only
 * queues the resumption. */
static void parked_group_done(void *arg, int rc)
{
    struct parked_group *g = arg;
    g->rc = rc;
    http_loop_post(g->owner, parked_group_resume, g);
}

/* Runs on a request loop at the end of the turn in which it parked reads (a zero-delay
 * timeout: h2o runs it after the turn's socket callbacks, with no wake-up or syscall): one
 * barrier for all it parked meanwhile (store_sync_async never blocks; its completion may come
 * from the store's own thread). */
static void parked_group_start(h2o_timeout_entry_t *e)
{
    struct http_loop *l = H2O_STRUCT_FROM_MEMBER(struct http_loop, park_entry, e);
    struct parked_group *g = xcalloc(1, sizeof(*g));
    g->owner = l;
    pthread_mutex_lock(&l->mu);
    g->reads = l->parked_head;
    l->parked_head = NULL;
    l->parked_tail = &l->parked_head;
    pthread_mutex_unlock(&l->mu);
    int rc = store_sync_async(server__api->store, parked_group_done, g);
    if (rc != 1)
        parked_group_done(g, rc);
}

/* A GET under /api or /apis without watch, resourceVersion or continue: a read the REST
 * layer would serve after store_sync (others skip the barrier or read the store). */
static bool wants_read_barrier(h2o_req_t *req, const char *path, const struct query *q)
{
    if (!(req->method.len == 3 && memcmp(req->method.base, "GET", 3) == 0))
        return false;
    if (strncmp(path, "/api/", 5) != 0 && strncmp(path, "/apis/", 6) != 0)
        return false;
    bool watch = false;
    if (query_bool(q, "watch", &watch) == 0 && watch)
        return false;
    const char *rv = query_get(q, "resourceVersion"), *cont = query_get(q, "continue");
    return (rv == NULL || *rv == '\0') && (cont == NULL || *cont == '\0');
}

/* Parks req until its group's barrier has passed. */
static void park_for_barrier(h2o_req_t *req, const struct http_observe *obs)
{
    struct parked_read *pr = xcalloc(1, sizeof(*pr));
    pr->req = req;
    pr->obs = *obs;
    pr->slot = h2o_mem_alloc_shared(&req->pool, sizeof(*pr->slot), parked_slot_dispose);
    *pr->slot = pr;
    struct http_loop *l = loop__self;
    pthread_mutex_lock(&l->mu);
    bool first = l->parked_head == NULL;
    *l->parked_tail = pr;
    l->parked_tail = &pr->next;
    pthread_mutex_unlock(&l->mu);
    if (first)
        h2o_timeout_link(l->loop, &l->park_queue, &l->park_entry);
}

/* ---- writes off the request loops --------------------------------------------------------
 * create/update/patch/apply/delete/deletecollection (and the virtual creates that write:
 * TokenRequest, eviction, binding) run on a pool of blocking threads (--write-threads), each
 * with the biglock held except while its store write waits (group commit), so a loop never
 * sits in an fsync and concurrent writes can share one. The loop copies what handle_resource
 * reads of the request (body, Content-Type, User-Agent) into the job; the thread never
 * touches the h2o_req_t: it records the response (captured), and the owning loop sends it.
 * A request whose client went away meanwhile is only observed (audit, metrics), never sent. */

struct write_job {
    struct ctx c;               /* c.req: NULL once the request is gone (only the owner reads it) */
    struct http_loop *owner;
    struct write_job **slot;    /* in the request's pool: points back here while it waits */
    struct captured cap;
    char *method;               /* for observing a request that is gone */
    struct write_job *next;
    /* a create job (create_job_start): the prepared write and its outcome */
    struct rest_deferred d;
    int code;                   /* the answer's code on success (201) */
    int rc;                     /* the store's answer (set on the writer thread) */
    int64_t rev;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct write_job *head, **tail;
    unsigned nthreads;
    unsigned alive;   /* threads not yet gone after stopping */
    bool stopping;    /* shutdown: threads finish their job and leave */
} wpool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, &wpool.head, 0, 0, false};

static void ctx_release(struct ctx *c)
{
    query_release(&c->q);
    request_info_release(&c->info);
    user_info_release(&c->user);
    json_decref(c->warnings);
    c->warnings = NULL;
    free(c->path);
    c->path = NULL;
    ctx_release_owned(c);
}

/* Whether the pool serves c (a mutating resource request): not with no pool, not the reviews,
 * and not the streams (exec, attach, port-forward), which live on the loop. */
static bool write_pool_takes(struct ctx *c)
{
    if (wpool.nthreads == 0)
        return false;
    const struct request_info *ri = &c->info;
    const struct resource_def *r = resource_lookup(ri->api_group, ri->api_version, ri->resource);
    if (r == NULL)
        return false;
    bool sub = ri->subresource != NULL && *ri->subresource;
    if ((r->flags & RES_VIRTUAL) && !sub)
        return false; /* the reviews (SSAR, TokenReview, ...) write nothing: on the loop */
    if (sub) {
        const struct subresource_def *sd = resource_subresource(r, ri->subresource);
        if (sd == NULL || sd->stream)
            return false;
    }
    return true;
}

static void write_slot_dispose(void *p)
{
    struct write_job **slot = p;
    if (*slot != NULL) /* the client went away: the owner will not send */
        (*slot)->c.req = NULL;
}

/* A job that owns c's request from now on (c must not be released by its caller). */
static struct write_job *write_job_new(struct ctx *c)
{
    struct write_job *j = xcalloc(1, sizeof(*j));
    j->c = *c;
    if (c->user.borrowed) /* lent by the connection for this turn of the loop only */
        user_info_copy(&j->c.user, &c->user);
    j->owner = loop__self;
    h2o_req_t *req = c->req;
    j->method = xstrndup(req->method.base, req->method.len);
    /* copies: the thread must not read the request, which h2o frees if the client goes */
    j->c.body = h2o_iovec_init(req->entity.base ? ctx_strndup(&j->c, req->entity.base, req->entity.len) : NULL,
                               req->entity.len);
    if (c->content_type.base != NULL)
        j->c.content_type.base = ctx_strndup(&j->c, c->content_type.base, c->content_type.len);
    if (c->user_agent.base != NULL)
        j->c.user_agent.base = ctx_strndup(&j->c, c->user_agent.base, c->user_agent.len);
    j->slot = h2o_mem_alloc_shared(&req->pool, sizeof(*j->slot), write_slot_dispose);
    *j->slot = j;
    return j;
}

static void write_job_start(struct ctx *c)
{
    struct write_job *j = write_job_new(c);
    pthread_mutex_lock(&wpool.mu);
    *wpool.tail = j;
    wpool.tail = &j->next;
    pthread_cond_signal(&wpool.cond);
    pthread_mutex_unlock(&wpool.mu);
}

/* On the owning loop, without the biglock (the loop's own h2o request; metrics and audit are
 * safe on any thread): sends the captured response and observes it. */
static void write_job_done(void *arg)
{
    struct write_job *j = arg;
    h2o_req_t *req = j->c.req;
    if (req != NULL) {
        *j->slot = NULL;
        for (size_t i = 0; i < j->cap.nheaders; i++) {
            struct captured_header *h = &j->cap.headers[i];
            if (h->tok != NULL)
                add_header(req, h->tok, h->value);
            else
                add_header_str(req, h->name, h->value);
        }
        if (!j->cap.sent) {
            capture__ = &j->cap;
            capture_body(500, "text/plain; charset=utf-8", xstrdup("no response"), 11);
            capture__ = NULL;
        }
        send_owned(req, j->cap.code, j->cap.content_type, j->cap.body, j->cap.len);
        j->cap.body = NULL; /* the request's pool has it */
    }
    bool mutating = true;
    pthread_mutex_lock(&observe_mu);
    metrics_inflight(mutating, -1);
    pthread_mutex_unlock(&observe_mu);
    observe_request_gone(&j->c, req == NULL ? j->method : NULL, j->cap.code);
    ctx_release(&j->c);
    captured_release(&j->cap);
    free(j->method);
    free(j);
}

/* Whether write job c runs without the biglock: a create of a row whose create path needs
 * none (admission_create_unlocked; the rest of handle_resource's create branch, decoding, options,
 * the captured response and its observation, is per request). */
static bool write_job_unlocked(const struct ctx *c)
{
    const struct request_info *ri = &c->info;
    if (strcmp(ri->verb, "create") != 0 || (ri->subresource != NULL && *ri->subresource))
        return false;
    const struct resource_def *r = resource_lookup(ri->api_group, ri->api_version, ri->resource);
    return admission_create_unlocked(server__api, r);
}

/* ---- creates completed on the loop ----
 * A create of a row whose create path needs no biglock (admission_create_unlocked) runs on the
 * request's loop up to its store write (decoding, admission, validation: handle_resource
 * with api_call.defer), which goes to the store without blocking (store_create_async); the
 * store's writer posts the outcome back to the loop after the batch's fsync and event
 * delivery, and the loop answers. No write thread, no biglock. Only for a store that has
 * the asynchronous create (sqlite); etcd's creates keep the write pool. */

/* Whether c (a mutating resource request, authorized) is such a create. */
static bool create_runs_async(const struct ctx *c)
{
    return wpool.nthreads != 0 && store_create_is_async(server__api->store) && write_job_unlocked(c);
}

/* On the owning loop, without the biglock: the answer of a create job. */
static void create_job_done(void *arg)
{
    struct write_job *j = arg;
    h2o_req_t *req = j->c.req;
    json_t *obj = NULL, *st = NULL;
    int rc = rest_create_finish(&j->d, j->rc, j->rev, &obj, &st);
    int code = rc < 0 ? status_code(st) : j->code;
    if (req != NULL) {
        *j->slot = NULL;
        size_t at;
        bool empty;
        if (rc < 0)
            send_status(&j->c, st);
        else if (!j->c.want_yaml && !audit_enabled() && itembytes_object_rv_at(j->d.value, j->d.len, &at, &empty))
            /* the stored bytes with the resourceVersion put in: what send_json would print */
            send_object_bytes(&j->c, code, j->d.value, j->d.len, at, empty, j->rev, NULL);
        else
            send_json(&j->c, code, obj);
        st = NULL;
    }
    json_decref(st);
    json_decref(obj);
    pthread_mutex_lock(&observe_mu);
    metrics_inflight(true, -1);
    pthread_mutex_unlock(&observe_mu);
    observe_request_gone(&j->c, req == NULL ? j->method : NULL, code);
    rest_deferred_release(&j->d);
    ctx_release(&j->c);
    free(j->method);
    free(j);
}

/* On the store's writer thread: the outcome, to the owning loop (one wake-up for the batch:
 * loop_post writes the eventfd only when the loop's queue was empty). */
static void create_job_stored(void *arg, int rc, int64_t rev)
{
    struct write_job *j = arg;
    j->rc = rc;
    j->rev = rev;
    loop_post_unlocked(j->owner, create_job_done, j);
}

/* Hands c's request (c->deferred: its caller must neither answer nor release it) and the
 * prepared write d (taken) to a create job, which answers; a write the store refuses at
 * once is answered at once. */
static void create_job_start(struct ctx *c, struct rest_deferred *d, int code)
{
    struct write_job *j = write_job_new(c);
    c->deferred = true;
    j->d = *d;
    memset(d, 0, sizeof(*d));
    j->code = code;
    int rc = store_create_async(server__api->store, j->d.key, j->d.value, j->d.len, create_job_stored, j);
    if (rc < 0) {
        j->rc = rc;
        create_job_done(j);
    }
}

static void *write_thread_main(void *arg)
{
    (void)arg;
    thread_set_may_wait(true);
    for (;;) {
        pthread_mutex_lock(&wpool.mu);
        while (wpool.head == NULL && !wpool.stopping)
            pthread_cond_wait(&wpool.cond, &wpool.mu);
        if (wpool.stopping) {
            wpool.alive--;
            pthread_mutex_unlock(&wpool.mu);
            return NULL;
        }
        struct write_job *j = wpool.head;
        wpool.head = j->next;
        if (wpool.head == NULL)
            wpool.tail = &wpool.head;
        pthread_mutex_unlock(&wpool.mu);
        bool locked = !write_job_unlocked(&j->c);
        if (locked)
            biglock_lock();
        capture__ = &j->cap;
        handle_resource(&j->c);
        capture__ = NULL;
        if (locked)
            biglock_unlock();
        loop_post_unlocked(j->owner, write_job_done, j);
    }
    return NULL;
}

/* Starts n write threads (0: writes stay on the loops). */
static void write_pool_start(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, write_thread_main, NULL) != 0) {
            log_warn("write threads: %u of %u started", i, n);
            break;
        }
        pthread_detach(t); /* write_pool_stop waits for them through wpool.alive */
        pthread_setname_np(t, "anzen-write");
        pthread_mutex_lock(&wpool.mu);
        wpool.nthreads++;
        wpool.alive++;
        pthread_mutex_unlock(&wpool.mu);
    }
}

/* Shutdown: asks the write threads to leave after the job in progress (the store is closed
 * next); queued jobs are dropped with their connections. */
static void write_pool_stop(void)
{
    pthread_mutex_lock(&wpool.mu);
    wpool.stopping = true;
    pthread_cond_broadcast(&wpool.cond);
    pthread_mutex_unlock(&wpool.mu);
}

static bool write_pool_gone(void)
{
    pthread_mutex_lock(&wpool.mu);
    bool gone = wpool.alive == 0;
    pthread_mutex_unlock(&wpool.mu);
    return gone;
}

/* Max in flight (limits.h), after impersonation and before authorization as upstream's
 * filter chain: a request takes a slot until its pool is disposed (the response is done);
 * over the limit → upstream's plain-text 429, except for system:masters; health endpoints
 * and long-running requests are not counted. */
static void inflight_slot_dispose(void *p)
{
    http_inflight_release(*(bool *)p);
}

static bool inflight_admit(struct ctx *c)
{
    if (authn_is_health_path(c->path) || http_inflight_long_running(c->info.verb, c->info.subresource))
        return true;
    const char *v = c->info.verb;
    bool mutating = !(strcmp(v, "get") == 0 || strcmp(v, "list") == 0 || strcmp(v, "watch") == 0);
    if (!http_inflight_acquire(mutating)) {
        for (size_t i = 0; i < c->user.ngroups; i++)
            if (strcmp(c->user.groups[i], "system:masters") == 0)
                return true;
        add_header(c->req, H2O_TOKEN_RETRY_AFTER, "1");
        c->obs.terminated = true;
        send_text(c, 429, "Too many requests, please try again later.\n");
        return false;
    }
    bool *slot = h2o_mem_alloc_shared(&c->req->pool, sizeof(*slot), inflight_slot_dispose);
    *slot = mutating;
    return true;
}

/* Every request starts without the biglock: serve_request takes it once it knows the request
 * needs it (needs_biglock, read_needs_biglock), after authentication and authorization. */
static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    return serve_request(req, 0, NULL);
}

/* Serves req; read_barrier: 0 the barrier has not run, else as api_call.read_barrier;
 * begun: when a parked request first arrived (NULL: now). */
static int serve_request(h2o_req_t *req, int read_barrier, const struct http_observe *begun)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.req = req;
    c.read_barrier = read_barrier;
    c.body = req->entity;
    c.content_type = header_value(req, H2O_TOKEN_CONTENT_TYPE);
    c.user_agent = header_value(req, H2O_TOKEN_USER_AGENT);
    if (begun != NULL)
        c.obs = *begun;
    else
        http_observe_begin(&c.obs);
    http_idle_note_request(now_ms());
    h2o_iovec_t aid = header_value_str(req, "audit-id");
    if (aid.base != NULL && aid.len > 0 && aid.len < sizeof(c.audit_id)) {
        memcpy(c.audit_id, aid.base, aid.len);
        c.audit_id[aid.len] = '\0';
    } else {
        uuid_v4(c.audit_id);
    }
    switch (http_target_check(req->path.base, req->path.len)) {
    case HTTP_TARGET_OK:
        break;
    case HTTP_TARGET_NOT_ORIGIN_FORM: /* what Go's net/http answers */
        add_header(req, H2O_TOKEN_CONNECTION, "close");
        send_bytes(req, 400, "text/plain; charset=utf-8", "400 Bad Request", 15);
        return 0;
    case HTTP_TARGET_NUL:
        send_status(&c, status_not_found_path());
        return 0;
    }
    size_t path_end = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    c.path = percent_decode_path(req->path.base, path_end);
    if (req->query_at != SIZE_MAX) {
        if (query_parse(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, &c.q) < 0) {
            send_status(&c, status_bad_request("invalid query string"));
            goto out;
        }
    }
    if (read_barrier == 0 && server__api->wc != NULL && store_sync_is_async(server__api->store) &&
        wants_read_barrier(req, c.path, &c.q)) {
        park_for_barrier(req, &c.obs);
        query_release(&c.q);
        free(c.path);
        return 0; /* served again by parked_group_resume */
    }
    bool pretty;
    if (query_bool(&c.q, "pretty", &pretty) == 0 && query_has(&c.q, "pretty")) {
        c.pretty = pretty;
    } else {
        h2o_iovec_t ua = header_value(req, H2O_TOKEN_USER_AGENT);
        c.pretty = iov_prefix(ua, "curl") || iov_prefix(ua, "Wget") || iov_prefix(ua, "Mozilla/5.0");
    }
    h2o_iovec_t accept = header_value(req, H2O_TOKEN_ACCEPT);
    c.want_table = iov_has(accept, "as=Table");
    c.want_yaml = !c.want_table && iov_prefix(accept, "application/yaml");

    /* authentication */
    h2o_iovec_t authz = header_value(req, H2O_TOKEN_AUTHORIZATION);
    const char *warning = NULL;
    if (authn_request(server__api, request_ssl(req), authz.base, authz.len, c.path, &c.user, &warning) < 0) {
        c.obs.authn_failed = true;
        /* the audit event has the request info (upstream parses it before authentication) */
        char *m = xstrndup(req->method.base, req->method.len);
        if (request_info_parse(m, c.path, &c.q, &c.info) < 0)
            memset(&c.info, 0, sizeof(c.info));
        free(m);
        const char *tok = query_get(&c.q, "access_token");
        SSL *ssl = request_ssl(req);
        audit_authn_failure_message(c.obs.authn_message, sizeof(c.obs.authn_message), authz.base, authz.len,
                                    tok != NULL && *tok, ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL);
        send_status(&c, status_unauthorized());
        goto out;
    }
    if (warning != NULL) {
        c.warnings = json_array();
        json_array_append_new(c.warnings, json_string(warning));
    }
    if (has_impersonation_headers(req)) {
        struct user_info imp = {0};
        json_t *ist = NULL;
        int ir = rbac_impersonate(server__api, &c.user, imp_get_header, imp_header_names, req, &imp, &ist);
        if (ir == AZ_EINTERNAL) {
            char *uri = xstrndup(req->path.base, req->path.len);
            char *text = xasprintf("Internal Server Error: \"%s\": %s\n", uri, json_str(ist, "message") ? json_str(ist, "message") : "");
            send_text(&c, 500, text);
            free(text);
            free(uri);
            json_decref(ist);
            goto out;
        }
        if (ir < 0) {
            add_header_str(req, "x-content-type-options", "nosniff");
            send_status(&c, ist ? ist : status_internal("impersonation failed"));
            goto out;
        }
        if (imp.name != NULL) {
            user_info_release(&c.user);
            c.user = imp;
        }
    }
    if (req->entity.base != NULL && req->entity.len > MAX_BODY) {
        send_status(&c, status_too_large());
        goto out;
    }

    /* request info and authorization */
    char *method = xstrndup(req->method.base, req->method.len);
    int rr = request_info_parse(method, c.path, &c.q, &c.info);
    free(method);
    if (rr < 0) {
        send_status(&c, status_bad_request("invalid request"));
        goto out;
    }
    if (!inflight_admit(&c))
        goto out;
    struct authz_attrs attrs = {
        .user = &c.user,
        .verb = c.info.verb,
        .is_resource = c.info.is_resource,
        .ns = c.info.namespace,
        .group = c.info.api_group,
        .version = c.info.api_version,
        .resource = c.info.resource,
        .subresource = c.info.subresource,
        .name = c.info.name,
        .path = c.path,
    };
    char *reason = NULL;
    enum authz_decision decision = authz_authorize(server__api, &attrs, &reason);
    http_observe_authz(&c.obs, decision == AUTHZ_ALLOW, reason);
    if (decision != AUTHZ_ALLOW) {
        add_header_str(req, "x-content-type-options", "nosniff");
        send_status(&c, authz_forbidden_status(&attrs, reason));
        free(reason);
        goto out;
    }
    free(reason);

    bool mutating = !(strcmp(c.info.verb, "get") == 0 || strcmp(c.info.verb, "list") == 0 ||
                      strcmp(c.info.verb, "watch") == 0 || strcmp(c.info.verb, "head") == 0);
    /* every request came without the lock (on_req): a GET or HEAD takes it here if it needs
     * it, a review never; a write the write pool serves takes it on its write thread, any
     * other request here */
    bool getlike = (req->method.len == 3 && memcmp(req->method.base, "GET", 3) == 0) ||
                   (req->method.len == 4 && memcmp(req->method.base, "HEAD", 4) == 0);
    c.async_create = mutating && c.info.is_resource && create_runs_async(&c);
    bool pooled = !c.async_create && mutating && c.info.is_resource && write_pool_takes(&c);
    bool lock = getlike ? read_needs_biglock(&c.info, c.path) : !pooled && !c.async_create && needs_biglock(req);
    bool took = lock ? biglock_enter() : false;
    pthread_mutex_lock(&observe_mu);
    metrics_inflight(mutating, 1);
    pthread_mutex_unlock(&observe_mu);
    if (pooled) {
        write_job_start(&c); /* the job owns c now; the owning loop answers */
        biglock_leave(took);
        return 0;
    }
    if (c.info.is_resource) {
        handle_resource(&c);
        if (c.deferred) { /* a create job has the request (and its in-flight count) now */
            biglock_leave(took);
            return 0;
        }
    } else if (!handle_nonresource(&c)) {
        send_status(&c, getlike ? status_not_found_path() : status_method_not_allowed());
    }
    pthread_mutex_lock(&observe_mu);
    metrics_inflight(mutating, -1);
    pthread_mutex_unlock(&observe_mu);
    biglock_leave(took);
out:
    observe_request(&c);
    ctx_release(&c);
    return 0;
}

/* ---- listener ----------------------------------------------------------------------- */

/* Every request loop watches the same non-blocking listening sockets (each through its own
 * dup of the fd); the loops that lose the race for a connection get NULL (EAGAIN). An idle
 * loop is the first to accept, so a busy one does not collect connections it cannot serve. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    prefilter_attach(sock);
    h2o_accept(listener->data, sock); /* the accepting loop's context */
}

static int listen_on(const char *addr, bool freebind, struct sockaddr_storage *ret_sa)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    int port = (int)strtol(colon + 1, NULL, 10);
    int fd;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sin.sin_addr) != 1)
        return -1;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (freebind)
        setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    memcpy(ret_sa, &sin, sizeof(sin));
    return fd;
}

/* SIGTERM/SIGINT ask the loop to stop; if the loop does not get there within the grace
 * period (it is stuck in a long piece of work), the process leaves anyway: every
 * acknowledged write is already durable (store/sqlite.c), so this is as safe as a crash. */
#define SHUTDOWN_GRACE_SECONDS 20

static void on_forced_exit(int sig)
{
    static const char msg[] = "anzen: shutdown grace period over, exiting\n";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    (void)w;
    _exit(1);
}

static void on_signal(int sig)
{
    if (server__stop)
        on_forced_exit(sig); /* a second signal: leave now */
    server__stop = 1;
    alarm(SHUTDOWN_GRACE_SECONDS);
}

/* --testing-stall-file: polled by the control loop; while the file exists the control loop
 * holds the biglock, as a controller busy that long would, so tests can show what is served
 * meanwhile (health endpoints, on any request loop) and what waits (everything else). */
static const char *stall__path;
static h2o_timeout_t stall__queue;
static h2o_timeout_entry_t stall__entry;

static void stall_poll(h2o_timeout_entry_t *e)
{
    if (access(stall__path, F_OK) == 0) {
        bool took = biglock_enter();
        log_info("testing: %s exists, the control loop holds the biglock", stall__path);
        struct timespec ts = {0, 10 * 1000 * 1000};
        while (!server__stop && access(stall__path, F_OK) == 0)
            nanosleep(&ts, NULL);
        log_info("testing: %s removed, the control loop releases the biglock", stall__path);
        biglock_leave(took);
    }
    h2o_timeout_link(server__ctl.loop, &stall__queue, e);
}

static atomic_uint server__workers_left; /* request loops that have left their loop */

static bool workers_gone(void)
{
    return atomic_load(&server__workers_left) == server__nworkers;
}

/* Shutdown: the control loop keeps turning (a loop or a write thread may wait for work it
 * does: etcd's event delivery, a deferred resumption) until done() holds. */
static void control_run_until(bool (*done)(void))
{
    while (!done())
        h2o_evloop_run(server__ctl.loop, 50);
}

static void *worker_main(void *arg)
{
    struct http_loop *l = arg;
    loop__self = l;
    while (!server__stop)
        h2o_evloop_run(l->loop, 200);
    for (size_t i = 0; i < 2; i++) {
        if (l->listeners[i] != NULL) {
            h2o_socket_read_stop(l->listeners[i]);
            h2o_socket_close(l->listeners[i]);
            l->listeners[i] = NULL;
        }
    }
    atomic_fetch_add(&server__workers_left, 1);
    return NULL;
}

/* Sets up request loop l (its loop, context, ticker, wake-up and listeners: dups of fds). */
static int worker_init(struct http_loop *l, unsigned index, h2o_globalconf_t *config, SSL_CTX *ssl_ctx,
                       const int *fds)
{
    l->index = index;
    pthread_mutex_init(&l->mu, NULL);
    l->tail = &l->head;
    l->wake_fd = -1;
    h2o_linklist_init_anchor(&l->dirty);
    h2o_linklist_init_anchor(&l->watches);
    l->parked_tail = &l->parked_head;
    l->loop = h2o_evloop_create();
    h2o_context_init(&l->ctx, l->loop, config);
    l->accept_ctx.ctx = &l->ctx;
    l->accept_ctx.hosts = config->hosts;
    l->accept_ctx.ssl_ctx = ssl_ctx;
    h2o_timeout_init(l->loop, &l->tick_queue, 1000);
    l->tick_entry.cb = watch_tick;
    h2o_timeout_link(l->loop, &l->tick_queue, &l->tick_entry);
    h2o_timeout_init(l->loop, &l->park_queue, 0);
    l->park_entry.cb = parked_group_start;
    loop_attach_wake(l);
    for (size_t i = 0; i < 2; i++) {
        if (fds[i] < 0)
            continue;
        int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return AZ_EIO;
        l->listeners[i] = h2o_evloop_socket_create(l->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        l->listeners[i]->data = &l->accept_ctx;
        h2o_socket_read_start(l->listeners[i], on_accept);
    }
    return 0;
}

int http_server_run(struct apiserver *srv, const struct http_server_config *cfg,
                    void (*ready_cb)(void *arg), void *ready_arg)
{
    static h2o_globalconf_t config;
    server__api = srv;
    snprintf(server__address, sizeof(server__address), "%s", cfg->listen);
    server__routes = cfg->routes;
    server__nroutes = cfg->nroutes;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_forced_exit;
    sigaction(SIGALRM, &sa, NULL);

    h2o_config_init(&config);
    config.server_name = h2o_iovec_init(H2O_STRLIT("anzen"));
    config.max_request_entity_size = H2O_BODY_LIMIT;
    h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = on_req;

    config.http1.upgrade_to_http2 = cfg->http2; /* no HTTP/2 by prior knowledge either */
    /* OpenSSL frees a connection's 16 KB read and write record buffers whenever they are
     * empty (as nginx does), instead of keeping ~34 KB per idle keep-alive connection */
    SSL_CTX_set_mode(cfg->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
    if (cfg->http2) {
        h2o_ssl_register_alpn_protocols(cfg->ssl_ctx, h2o_http2_alpn_protocols);
        log_warn("--http2: HTTP/2 is served by libh2o 2.2.5, which has no protection against rapid "
                 "reset (CVE-2023-44487) and buffers request bodies before authentication");
    }
    prefilter_init(srv, cfg->body_budget);
    http_inflight_set_limits(cfg->max_requests_inflight, cfg->max_mutating_requests_inflight);

    struct sockaddr_storage ss;
    int fds[2] = {-1, -1};
    fds[0] = listen_on(cfg->listen, false, &ss);
    if (fds[0] < 0) {
        log_error("cannot listen on %s: %s", cfg->listen, strerror(errno));
        return AZ_EIO;
    }
    fds[1] = cfg->extra_listen ? listen_on(cfg->extra_listen, true, &ss) : -1;
    if (cfg->extra_listen && fds[1] < 0)
        log_warn("cannot listen on %s: %s", cfg->extra_listen, strerror(errno));
    for (size_t i = 0; i < 2; i++) /* several loops accept on them: never block in accept */
        if (fds[i] >= 0)
            (void)fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);

    /* the control loop: this thread */
    server__ctl.loop = cfg->loop != NULL ? cfg->loop : h2o_evloop_create();
    loop__self = &server__ctl;
    srv->defer = http_server_defer;
    loop_attach_wake(&server__ctl);

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cfg->workers != 0 ? cfg->workers : ncpu > 0 ? (unsigned)ncpu : 1;
    if (n > HTTP_MAX_WORKERS)
        n = HTTP_MAX_WORKERS;
    server__workers = xcalloc(n, sizeof(*server__workers));
    for (unsigned i = 0; i < n; i++) {
        if (worker_init(&server__workers[i], i, &config, cfg->ssl_ctx, fds) != 0) {
            log_error("request loop %u: %s", i, strerror(errno));
            return AZ_EIO;
        }
    }
    write_pool_start(cfg->write_threads); /* before the loops: they read wpool.nthreads */
    biglock_lock(); /* the loops serve once every one is up */
    for (unsigned i = 0; i < n; i++) {
        struct http_loop *l = &server__workers[i];
        if (pthread_create(&l->thread, NULL, worker_main, l) != 0) {
            log_error("cannot start request loop %u", i);
            server__stop = 1;
            n = i;
            break;
        }
        char name[32]; /* at most "anzen-req-255": within the 15 bytes of a thread name */
        snprintf(name, sizeof(name), "anzen-req-%u", i);
        pthread_setname_np(l->thread, name);
    }
    server__nworkers = n;
    biglock_unlock();
    log_info("serving with %u request loop%s, a control loop and %u write thread%s", n, n == 1 ? "" : "s",
             wpool.nthreads, wpool.nthreads == 1 ? "" : "s");
    if (cfg->testing_stall_file != NULL) {
        stall__path = cfg->testing_stall_file;
        h2o_timeout_init(server__ctl.loop, &stall__queue, 100);
        stall__entry.cb = stall_poll;
        h2o_timeout_link(server__ctl.loop, &stall__queue, &stall__entry);
    }
    if (ready_cb)
        ready_cb(ready_arg);
    while (!server__stop)
        h2o_evloop_run(server__ctl.loop, 200);
    log_info("shutting down");
    control_run_until(workers_gone);
    for (unsigned i = 0; i < n; i++)
        pthread_join(server__workers[i].thread, NULL);
    write_pool_stop();
    control_run_until(write_pool_gone);
    for (size_t i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}
