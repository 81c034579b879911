/* exec.h — `kubectl exec` over WebSocket (v5.channel.k8s.io and v4 subprotocols): upgrades
 * the request and pumps the process's stdin/stdout/stderr between the socket and
 * node_exec()'s pipes; the final Status goes on the error channel. */
#ifndef ANZEN_HTTP_EXEC_H
#define ANZEN_HTTP_EXEC_H

#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include <jansson.h>
#include "http/query.h"

/* Handles GET/POST …/namespaces/NS/pods/POD/exec?command=…&container=…&stdin=…&stdout=…
 * Returns 0 when it took over the request (upgraded or answered), or a negative code with
 * *ret_status set for the caller to send. */
int http_exec_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                     json_t **ret_status);

#endif
