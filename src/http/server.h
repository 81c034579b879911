/* server.h — the HTTPS front end: h2o event loop, TLS with optional client certificates,
 * request pipeline (authn → authz → handler), JSON/Table responses and watch streams.
 * HTTP/1.1 by default; HTTP/2 (ALPN h2) only with http2 = true. */
#ifndef ANZEN_HTTP_SERVER_H
#define ANZEN_HTTP_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include "api/apiserver.h"

struct http_server_config {
    const char *listen;   /* "127.0.0.1:6443" */
    SSL_CTX *ssl_ctx;     /* serving context (owned by the caller) */
    bool http2;           /* offer h2 through ALPN */
};

/* Runs the server until SIGTERM/SIGINT. ready_cb (may be NULL) is called once listening. */
int http_server_run(struct apiserver *srv, const struct http_server_config *cfg,
                    void (*ready_cb)(void *arg), void *ready_arg);
/* Asks a running server to stop (async-signal-safe). */
void http_server_stop(void);

#endif
