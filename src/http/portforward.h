/* portforward.h — `kubectl port-forward` (pods/portforward) over SPDY/3.1, the protocol
 * kubelet serves (k8s.io/apimachinery httpstream/spdy + kubelet server/portforward):
 *
 *   POST …/pods/POD/portforward   Connection: Upgrade, Upgrade: SPDY/3.1,
 *                                 X-Stream-Protocol-Version: portforward.k8s.io
 *   ← 101 Switching Protocols     Upgrade: SPDY/3.1, X-Stream-Protocol-Version: portforward.k8s.io
 *
 * then SPDY frames (spdy.h). Per forwarded connection the client opens two streams with the
 * headers streamtype (error | data), port and requestid; each gets an empty SYN_REPLY. Once
 * both streams of a requestid are there, the agent connects to localhost:PORT **inside the
 * pod's network namespace** (a helper thread does setns + connect; the event loop never
 * waits), then copies bytes between the data stream and the connection. When the pod side
 * ends, both streams get FIN; when the client ends the data stream, the connection's write
 * side is shut down. A failed connect writes kubelet's message on the error stream
 * ("error forwarding port P to pod ID, uid : failed to connect to localhost:P inside
 * namespace "ID", IPv4: … IPv6 … ") and closes both streams.
 *
 * kubectl 1.31+ first asks for a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io, the
 * PortForwardWebsockets tunnel); that is answered 400 so it falls back to this SPDY upgrade,
 * which every kubectl 1.27–1.33 speaks. */
#ifndef ANZEN_HTTP_PORTFORWARD_H
#define ANZEN_HTTP_PORTFORWARD_H

#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include <jansson.h>
#include "http/query.h"

/* Handles …/namespaces/NS/pods/POD/portforward (authorised by the caller). Returns 0 when it
 * took over the request, or a negative code with *ret_status for the caller to send. */
int http_portforward_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                            json_t **ret_status);

/* Whether one of the request's headers `name` lists token (comma-separated, case-insensitive);
 * shared with exec.c's SPDY upgrade. */
bool http_header_has_token(h2o_req_t *req, const char *name, size_t name_len, const char *token);

/* kubelet's error-stream text for a failed connect (malloc'd); pure, for tests. */
char *portforward_dial_error(int port, const char *sandbox_id, int errno4, int errno6);

#endif
