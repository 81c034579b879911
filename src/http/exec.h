/* exec.h — `kubectl exec` over WebSocket (v5.channel.k8s.io and v4.channel.k8s.io
 * subprotocols) and over SPDY/3.1 (v4.channel.k8s.io; one stream per channel, see the SPDY
 * section of exec.c and docs/node.md): upgrades the request and pumps the process's stdin/stdout/stderr between the
 * socket and node_exec()'s pipes; the final Status goes on the error channel.
 *
 * Wire format (k8s.io/apimachinery/pkg/util/remotecommand, client-go tools/remotecommand):
 * every WebSocket message is binary; byte 0 names the channel, the rest is the payload.
 *
 *   channel  direction        payload
 *   0        client → server  stdin bytes
 *   1        server → client  stdout bytes
 *   2        server → client  stderr bytes
 *   3        server → client  one metav1.Status JSON (Success, or Failure/NonZeroExitCode
 *                             with details.causes[{reason: ExitCode, message: "<code>"}])
 *   4        client → server  terminal size JSON {"Width":w,"Height":h} (tty only)
 *   255      client → server  v5 only: CLOSE signal, payload = the one channel id being
 *                             closed (e.g. [255, 0]: stdin reached EOF). v4 has no CLOSE.
 *
 * Session: after the 101, the server sends one empty message on the lowest channel it will
 * write (1 if stdout was requested, else 2, else 3); then output as it comes (at most
 * EXEC_MAX_FRAME payload bytes per message). When stdout and stderr reached EOF and the
 * process was reaped it sends the Status on channel 3 and a WebSocket close (1000), then
 * waits for the client's close. If the client goes away first the process is killed. */
#ifndef ANZEN_HTTP_EXEC_H
#define ANZEN_HTTP_EXEC_H

#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "http/query.h"

/* Handles GET/POST …/namespaces/NS/pods/POD/exec?command=…&container=…&stdin=…&stdout=…
 * Returns 0 when it took over the request (upgraded or answered), or a negative code with
 * *ret_status set for the caller to send. */
int http_exec_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                     json_t **ret_status);

/* Handles GET/POST …/namespaces/NS/pods/POD/attach?container=…&stdin=…&stdout=…&stderr=…&tty=…
 * over the same WebSocket protocols: the container's main process output (live, from the
 * node's log reader) on channel 1 (2 when only stderr was asked), stdin to the container's
 * stdin (`stdin: true`; a terminal with `tty: true`), resizes on channel 4; a Success Status on
 * channel 3 when the container's output ends. The client leaving does not stop the container
 * (with `stdinOnce` its stdin ends then). Returns as http_exec_handle. */
int http_attach_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                       json_t **ret_status);

/* ---- protocol helpers (pure; exposed for tests) ------------------------------------------ */

enum exec_proto {
    EXEC_PROTO_NONE = 0,
    EXEC_PROTO_V4 = 4, /* v4.channel.k8s.io: exit codes on channel 3 */
    EXEC_PROTO_V5 = 5, /* v5.channel.k8s.io: v4 + the CLOSE signal on channel 255 */
};

#define EXEC_CH_STDIN 0
#define EXEC_CH_STDOUT 1
#define EXEC_CH_STDERR 2
#define EXEC_CH_ERROR 3
#define EXEC_CH_RESIZE 4
#define EXEC_CH_CLOSE 255
#define EXEC_MAX_FRAME 32768 /* payload bytes per server message (Go io.Copy's buffer) */

/* Picks the subprotocol from a Sec-WebSocket-Protocol value (comma-separated, spaces allowed):
 * v5 when offered anywhere (upstream routes any v5 request to its translator), else v4, else
 * EXEC_PROTO_NONE. s may be NULL. */
enum exec_proto exec_proto_select(const char *s, size_t len);
/* "v5.channel.k8s.io" / "v4.channel.k8s.io" / NULL. */
const char *exec_proto_name(enum exec_proto p);

enum exec_frame_kind {
    EXEC_FRAME_IGNORE, /* empty message, or a CLOSE that is malformed or not in this protocol */
    EXEC_FRAME_DATA,   /* channel + payload */
    EXEC_FRAME_CLOSE,  /* v5: the client closed `channel` */
};

struct exec_frame {
    enum exec_frame_kind kind;
    uint8_t channel;      /* DATA: the message's channel; CLOSE: the channel being closed */
    const uint8_t *data;  /* DATA: payload (points into the message) */
    size_t len;           /* DATA: payload length */
};

/* Decodes one binary message received from the client. Never fails: anything it cannot use
 * becomes EXEC_FRAME_IGNORE (upstream logs and skips such messages). */
void exec_frame_parse(enum exec_proto p, const uint8_t *msg, size_t len, struct exec_frame *ret);

/* Decodes a channel-4 message, remotecommand's TerminalSize as JSON ({"Width":80,"Height":24};
 * Go's decoder matches the keys case-insensitively, the values are uint16). Returns false when
 * it is not one (the kubelet then stops resizing; here the message is ignored). */
bool exec_resize_parse(const uint8_t *data, size_t len, uint16_t *ret_width, uint16_t *ret_height);

/* Encodes channel + payload into out[0..len+1). Returns the message length, or 0 when cap is
 * too small. */
size_t exec_frame_encode(uint8_t channel, const void *data, size_t len, uint8_t *out, size_t cap);

/* The channel-3 Status for a process that ended with waitpid() status wait_status, as compact
 * JSON in Go's field order (malloc'd): {"metadata":{},"status":"Success"} for exit 0, else
 * Failure / NonZeroExitCode with the ExitCode cause (a signal N counts as exit 128+N). */
char *exec_exit_status_json(int wait_status);
/* The channel-3 Status for an internal failure (apierrors.NewInternalError's shape). */
char *exec_internal_status_json(const char *err);

/* The request's options (PodExecOptions from the query). */
struct exec_options {
    bool want_stdin, want_stdout, want_stderr, tty;
    const char *container;  /* NULL when absent or empty; points into the query */
    const char **argv;      /* NULL-terminated, malloc'd array pointing into the query */
    size_t argc;
};

/* Parses command (repeated), container, stdin, stdout, stderr, tty. Booleans follow the
 * apiserver's query conversion: absent, "0" or "false" (any case) is false, anything else
 * true; tty turns stderr off. Returns 0, or AZ_EBADREQUEST with *ret_err (static text, the
 * upstream wording). The caller frees ret->argv. */
int exec_options_parse(const struct query *q, struct exec_options *ret, const char **ret_err);
/* PodAttachOptions: stdin, stdout, stderr, tty, container (no command); same rules and errors. */
int attach_options_parse(const struct query *q, struct exec_options *ret, const char **ret_err);

#endif
