/* server.h — the HTTPS front end: h2o event loops, TLS with optional client certificates,
 * request pipeline (authn → authz → handler), JSON/Table responses and watch streams.
 * HTTP/1.1 by default; HTTP/2 (ALPN h2) only with http2 = true.
 *
 * Threads (--workers N): N request loops, each with its own h2o context, all accepting on
 * the listen addresses; a connection, and every watch, exec/attach/port-forward session, log
 * follow and parked read on it, stays on the loop that accepted it. The control loop (run by
 * the thread that calls http_server_run) has no listener: it runs deferred work
 * (http_server_defer*: controllers, the node agent, leader election, the store's
 * thread-affine callbacks). Application code runs with the biglock (util/biglock.h) held,
 * except the requests server.c's needs_biglock() lets through without it. */
#ifndef ANZEN_HTTP_SERVER_H
#define ANZEN_HTTP_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "registry/apiserver.h"

/* Extra GET endpoints outside the resource tree (e.g. OIDC discovery). The handler returns 0
 * and a new JSON body, or a negative code with *ret_body holding a Status. content type and
 * cache control may be left NULL (defaults: application/json, "no-cache, private"). */
typedef int (*http_get_fn)(struct apiserver *srv, json_t **ret_body, const char **ret_content_type,
                           const char **ret_cache_control);
struct st_h2o_evloop_t;

struct http_route {
    const char *path; /* exact path */
    http_get_fn fn;
};

#define HTTP_MAX_WORKERS 256

struct http_server_config {
    const char *listen;   /* "127.0.0.1:6443" */
    const char *extra_listen; /* a second address, or NULL; it need not exist yet (IP_FREEBIND):
                               * the node's pod bridge address appears with the first pod */
    SSL_CTX *ssl_ctx;     /* serving context (owned by the caller) */
    bool http2;           /* offer h2 through ALPN */
    const struct http_route *routes; /* extra GET routes (cmd/serve.c's table) */
    size_t nroutes;
    struct st_h2o_evloop_t *loop; /* the control loop (cmd/serve.c creates it; NULL: a new one) */
    unsigned workers;     /* request loops (0: the number of online CPUs; at most HTTP_MAX_WORKERS) */
    unsigned write_threads; /* threads that run mutating requests (0: they run on the loops) */
    const char *testing_stall_file; /* testing only: while it exists, the control loop holds
                                     * the biglock (a controller that is busy for that long) */
    uint64_t body_budget;         /* bytes of request bodies buffered at once (0: no limit) */
    unsigned max_requests_inflight;          /* read-only requests in flight (0: no limit) */
    unsigned max_mutating_requests_inflight; /* mutating requests in flight (0: no limit) */
};

/* Runs the server until SIGTERM/SIGINT. ready_cb (may be NULL) is called once listening. */
int http_server_run(struct apiserver *srv, const struct http_server_config *cfg,
                    void (*ready_cb)(void *arg), void *ready_arg);
/* Queues fn(arg) to run on the control loop, with the biglock held (struct apiserver's defer
 * hook). Callable from any thread; usable before the loop starts: queued work runs once it
 * does. Work queued while deferred work runs runs in a later turn. */
void http_server_defer(struct apiserver *srv, void (*fn)(void *), void *arg);
/* Runs fn(arg) on the control loop delay_ms from now, with the biglock held (call with the
 * biglock held). At most HTTP_DEFER_AFTER_DELAYS distinct delays; others round up to the
 * longest. */
#define HTTP_DEFER_AFTER_DELAYS 4
void http_server_defer_after(struct apiserver *srv, unsigned delay_ms, void (*fn)(void *), void *arg);
/* The same as http_server_defer (kept for callers that have no struct apiserver). */
void http_server_defer_ts(void (*fn)(void *), void *arg);

/* One of the server's event loops. */
struct http_loop;
/* The loop the calling thread runs (NULL: not a loop thread of the running server). */
struct http_loop *http_loop_current(void);
/* Queues fn(arg) to run on loop l, with the biglock held; callable from any thread (wakes l).
 * fn runs in a later turn of l, also when l is the caller's own loop. */
void http_loop_post(struct http_loop *l, void (*fn)(void *), void *arg);

#endif
