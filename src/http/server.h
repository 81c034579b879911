/* server.h — the HTTPS front end: h2o event loop, TLS with optional client certificates,
 * request pipeline (authn → authz → handler), JSON/Table responses and watch streams.
 * HTTP/1.1 by default; HTTP/2 (ALPN h2) only with http2 = true. */
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

struct http_server_config {
    const char *listen;   /* "127.0.0.1:6443" */
    const char *extra_listen; /* a second address, or NULL; it need not exist yet (IP_FREEBIND):
                               * the node's pod bridge address appears with the first pod */
    SSL_CTX *ssl_ctx;     /* serving context (owned by the caller) */
    bool http2;           /* offer h2 through ALPN */
    const struct http_route *routes; /* extra GET routes (cmd/serve.c's table) */
    size_t nroutes;
    struct st_h2o_evloop_t *loop; /* the event loop (cmd/serve.c creates it; NULL: a new one) */
    uint64_t body_budget;         /* bytes of request bodies buffered at once (0: no limit) */
    unsigned max_requests_inflight;          /* read-only requests in flight (0: no limit) */
    unsigned max_mutating_requests_inflight; /* mutating requests in flight (0: no limit) */
};

/* Runs the server until SIGTERM/SIGINT. ready_cb (may be NULL) is called once listening. */
int http_server_run(struct apiserver *srv, const struct http_server_config *cfg,
                    void (*ready_cb)(void *arg), void *ready_arg);
/* Queues fn(arg) to run on the event loop after the current request (struct apiserver's
 * defer hook). Usable before the loop starts: queued work runs once it does. */
void http_server_defer(struct apiserver *srv, void (*fn)(void *), void *arg);
/* Runs fn(arg) on the event loop delay_ms from now (call from the loop thread once the loop
 * runs). At most HTTP_DEFER_AFTER_DELAYS distinct delays; others round up to the longest. */
#define HTTP_DEFER_AFTER_DELAYS 4
void http_server_defer_after(struct apiserver *srv, unsigned delay_ms, void (*fn)(void *), void *arg);
/* Like http_server_defer, callable from any thread (wakes the loop); fn runs on the loop. */
void http_server_defer_ts(void (*fn)(void *), void *arg);

#endif
