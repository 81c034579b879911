/* exec.c — `kubectl exec` over WebSocket (the wire format is described in exec.h).
 *
 * One struct exec_session per upgraded request, owned by the event loop thread. The process
 * comes from node_exec(); its stdout/stderr pipes are h2o sockets whose read callbacks queue
 * channel messages into wslay, its stdin pipe is an h2o socket written from a bounded buffer.
 * Nothing blocks: the process is reaped with waitpid(WNOHANG), polled by a 20 ms timer once
 * both output pipes reached EOF.
 *
 * wslay is linked directly (libh2o-evloop's pkg-config file does not list it).
 *
 * Lifetime: the session outlives the h2o_websocket_conn_t. Every callback holds the session
 * (busy count) while it runs, because h2o_websocket_proceed() may report the close — and so
 * free the connection — in the middle of our own call; the session is freed when the
 * connection is gone, the pipes are closed, the process is reaped, and nobody holds it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <h2o/websocket.h>
#include "machinery/status.h"
#include "http/exec.h"
#include "node/node.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/util.h"

#define EXEC_STDIN_MAX (16u << 20)     /* stdin bytes buffered for a process not reading */
#define EXEC_QUEUE_HIGH (1u << 20)     /* stop reading the pipes above this much queued output */
#define EXEC_QUEUE_LOW (256u << 10)    /* …and resume below this */
#define EXEC_MAX_RECV_MSG (1u << 20)   /* largest client message accepted */
#define EXEC_REAP_POLL_MS 20
#define EXEC_FAILURE_MEMORY_S 10       /* see remember_failure() */

/* ---- protocol helpers ------------------------------------------------------------------- */

static const char proto_v5[] = "v5.channel.k8s.io";
static const char proto_v4[] = "v4.channel.k8s.io";

const char *exec_proto_name(enum exec_proto p)
{
    switch (p) {
    case EXEC_PROTO_V5:
        return proto_v5;
    case EXEC_PROTO_V4:
        return proto_v4;
    case EXEC_PROTO_NONE:
        break;
    }
    return NULL;
}

enum exec_proto exec_proto_select(const char *s, size_t len)
{
    bool v4 = false, v5 = false;
    size_t i = 0;
    while (s != NULL && i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
            i++;
        size_t start = i;
        while (i < len && s[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        size_t n = end - start;
        if (n == sizeof(proto_v5) - 1 && memcmp(s + start, proto_v5, n) == 0)
            v5 = true;
        else if (n == sizeof(proto_v4) - 1 && memcmp(s + start, proto_v4, n) == 0)
            v4 = true;
    }
    return v5 ? EXEC_PROTO_V5 : v4 ? EXEC_PROTO_V4 : EXEC_PROTO_NONE;
}

void exec_frame_parse(enum exec_proto p, const uint8_t *msg, size_t len, struct exec_frame *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->kind = EXEC_FRAME_IGNORE;
    if (len == 0)
        return;
    if (p == EXEC_PROTO_V5 && msg[0] == EXEC_CH_CLOSE) {
        if (len == 2) {
            ret->kind = EXEC_FRAME_CLOSE;
            ret->channel = msg[1];
        }
        return;
    }
    ret->kind = EXEC_FRAME_DATA;
    ret->channel = msg[0];
    ret->data = msg + 1;
    ret->len = len - 1;
}

static bool resize_dim(json_t *v, uint16_t *ret)
{
    if (v == NULL || json_is_null(v))
        return true; /* absent: Go leaves the zero value */
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT16_MAX)
        return false;
    *ret = (uint16_t)json_integer_value(v);
    return true;
}

bool exec_resize_parse(const uint8_t *data, size_t len, uint16_t *ret_width, uint16_t *ret_height)
{
    json_t *o = json_loadb((const char *)data, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL);
    bool ok = json_is_object(o);
    uint16_t w = 0, h = 0;
    const char *k;
    json_t *v;
    if (ok) {
        json_object_foreach(o, k, v) {
            if (strcasecmp(k, "width") == 0)
                ok = ok && resize_dim(v, &w);
            else if (strcasecmp(k, "height") == 0)
                ok = ok && resize_dim(v, &h);
        }
    }
    json_decref(o);
    if (ok) {
        *ret_width = w;
        *ret_height = h;
    }
    return ok;
}

size_t exec_frame_encode(uint8_t channel, const void *data, size_t len, uint8_t *out, size_t cap)
{
    if (cap < 1 || len > cap - 1)
        return 0;
    out[0] = channel;
    if (len > 0)
        memcpy(out + 1, data, len);
    return len + 1;
}

static char *dump_status(json_t *st)
{
    char *s = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(st);
    if (s == NULL)
        abort();
    return s;
}

char *exec_exit_status_json(int wait_status)
{
    int code = 0;
    if (WIFEXITED(wait_status))
        code = WEXITSTATUS(wait_status);
    else if (WIFSIGNALED(wait_status))
        code = 128 + WTERMSIG(wait_status);
    json_t *st = json_object();
    json_object_set_new(st, "metadata", json_object());
    if (code == 0) {
        json_object_set_new(st, "status", json_string("Success"));
        return dump_status(st);
    }
    /* upstream's translator wraps client-go's CodeExitError("command terminated with exit
     * code N") into "command terminated with non-zero exit code: %v" */
    char msg[128];
    snprintf(msg, sizeof(msg),
             "command terminated with non-zero exit code: command terminated with exit code %d", code);
    char num[16];
    snprintf(num, sizeof(num), "%d", code);
    json_t *cause = json_object();
    json_object_set_new(cause, "reason", json_string("ExitCode"));
    json_object_set_new(cause, "message", json_string(num));
    json_t *causes = json_array();
    json_array_append_new(causes, cause);
    json_t *details = json_object();
    json_object_set_new(details, "causes", causes);
    json_object_set_new(st, "status", json_string("Failure"));
    json_object_set_new(st, "message", json_string(msg));
    json_object_set_new(st, "reason", json_string("NonZeroExitCode"));
    json_object_set_new(st, "details", details);
    return dump_status(st);
}

char *exec_internal_status_json(const char *err)
{
    char *msg = xasprintf("Internal error occurred: %s", err);
    json_t *cause = json_object();
    json_object_set_new(cause, "message", json_string(err));
    json_t *causes = json_array();
    json_array_append_new(causes, cause);
    json_t *details = json_object();
    json_object_set_new(details, "causes", causes);
    json_t *st = json_object();
    json_object_set_new(st, "metadata", json_object());
    json_object_set_new(st, "status", json_string("Failure"));
    json_object_set_new(st, "message", json_string(msg));
    json_object_set_new(st, "reason", json_string("InternalError"));
    json_object_set_new(st, "details", details);
    json_object_set_new(st, "code", json_integer(500));
    free(msg);
    return dump_status(st);
}

static bool query_flag(const struct query *q, const char *name)
{
    const char *v = query_get(q, name);
    if (v == NULL || *v == '\0')
        return false;
    return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0);
}

int exec_options_parse(const struct query *q, struct exec_options *ret, const char **ret_err)
{
    struct exec_options o = {0};
    o.want_stdin = query_flag(q, "stdin");
    o.want_stdout = query_flag(q, "stdout");
    o.want_stderr = query_flag(q, "stderr");
    o.tty = query_flag(q, "tty");
    if (o.tty)
        o.want_stderr = false; /* upstream: tty and stderr cannot both be set; stderr is dropped */
    if (!o.want_stdin && !o.want_stdout && !o.want_stderr) {
        *ret_err = "you must specify at least 1 of stdin, stdout, stderr";
        return AZ_EBADREQUEST;
    }
    const char *c = query_get(q, "container");
    o.container = c != NULL && *c ? c : NULL;
    size_t n = q != NULL ? q->nparams : 0;
    o.argv = xcalloc(n + 1, sizeof(*o.argv));
    for (size_t i = 0; i < n; i++)
        if (strcmp(q->params[i].name, "command") == 0)
            o.argv[o.argc++] = q->params[i].value;
    if (o.argc == 0) {
        free(o.argv);
        *ret_err = "you must specify at least 1 command";
        return AZ_EBADREQUEST;
    }
    *ret = o;
    return 0;
}

void exec_options_release(struct exec_options *o)
{
    free(o->argv);
    memset(o, 0, sizeof(*o));
}

/* ---- wslay ------------------------------------------------------------------------------ */

/* The wslay calls this file makes (libwslay is linked directly; see CMakeLists.txt). */
static const struct {
    __typeof__(wslay_event_queue_msg) *queue_msg;
    __typeof__(wslay_event_queue_close) *queue_close;
    __typeof__(wslay_event_config_set_max_recv_msg_length) *set_max_recv_msg_length;
    __typeof__(wslay_event_config_set_callbacks) *set_callbacks;
    __typeof__(wslay_event_get_queued_msg_length) *queued_msg_length;
    __typeof__(wslay_event_get_queued_msg_count) *queued_msg_count;
} wslay = {
    wslay_event_queue_msg,
    wslay_event_queue_close,
    wslay_event_config_set_max_recv_msg_length,
    wslay_event_config_set_callbacks,
    wslay_event_get_queued_msg_length,
    wslay_event_get_queued_msg_count,
};

/* ---- the session ------------------------------------------------------------------------ */

struct exec_session;

struct exec_output {
    struct exec_session *s;
    h2o_socket_t *sock; /* the pipe; NULL once closed */
    uint8_t channel;    /* EXEC_CH_STDOUT or EXEC_CH_STDERR */
    bool forward;       /* the client asked for this stream (else it is drained and dropped) */
};

struct exec_session {
    h2o_loop_t *loop;
    h2o_websocket_conn_t *ws;  /* NULL once closed */
    ssize_t (*h2o_send)(wslay_event_context_ptr, const uint8_t *, size_t, int, void *);
    enum exec_proto proto;
    pid_t pid;
    bool exited;               /* reaped (or lost: waitpid said ECHILD) */
    int wait_status;
    bool status_sent;          /* Status queued */
    bool close_pending;        /* queue the WebSocket close once the Status left the queue */
    char *failure;             /* set: report this internal error instead of the exit code */
    struct exec_output out, err;
    bool throttled;            /* output pipes paused while wslay's queue drains */
    h2o_socket_t *in_sock;     /* stdin pipe; NULL when closed or not requested */
    int tty_fd;                /* tty: the terminal's master (a dup), for resizes; else -1 */
    struct buf in_pending;     /* stdin bytes not yet handed to the socket */
    char *in_flight;           /* stdin bytes being written (kept until free) */
    bool in_close_wanted;      /* close stdin once the buffer is flushed */
    h2o_timeout_entry_t reap_timer;
    int busy;                  /* callbacks running; the session is not freed while > 0 */
};

static struct {
    h2o_loop_t *loop;
    h2o_timeout_t q;
} reap_timeout;

static void session_try_finish(struct exec_session *s);

static void session_hold(struct exec_session *s)
{
    s->busy++;
}

static void session_release(struct exec_session *s)
{
    if (--s->busy > 0)
        return;
    if (s->ws != NULL || s->out.sock != NULL || s->err.sock != NULL || s->in_sock != NULL ||
        !s->exited)
        return;
    if (h2o_timeout_is_linked(&s->reap_timer))
        h2o_timeout_unlink(&s->reap_timer);
    buf_release(&s->in_pending);
    if (s->tty_fd >= 0)
        close(s->tty_fd);
    free(s->in_flight);
    free(s->failure);
    free(s);
}

/* Runs wslay until it cannot progress. May close the connection (s->ws becomes NULL). */
static void session_flush(struct exec_session *s)
{
    if (s->ws != NULL && s->ws->sock != NULL)
        h2o_websocket_proceed(s->ws);
}

static void session_send(struct exec_session *s, uint8_t channel, const void *data, size_t len)
{
    if (s->ws == NULL || s->status_sent)
        return;
    uint8_t *frame = xmalloc(len + 1);
    size_t n = exec_frame_encode(channel, data, len, frame, len + 1);
    struct wslay_event_msg m = {.opcode = WSLAY_BINARY_FRAME, .msg = frame, .msg_length = n};
    wslay.queue_msg(s->ws->ws_ctx, &m); /* copies; fails only after our close */
    free(frame);
}

static void stdin_close(struct exec_session *s)
{
    if (s->in_sock != NULL) {
        h2o_socket_close(s->in_sock);
        s->in_sock = NULL;
    }
    buf_release(&s->in_pending);
}

static void on_stdin_written(h2o_socket_t *sock, const char *err);

/* Hands buffered stdin to the pipe, or closes it when asked and drained. */
static void stdin_kick(struct exec_session *s)
{
    if (s->in_sock == NULL || s->in_flight != NULL)
        return;
    if (s->in_pending.len > 0) {
        size_t len;
        s->in_flight = buf_detach(&s->in_pending, &len);
        buf_init(&s->in_pending, EXEC_STDIN_MAX);
        h2o_iovec_t v = h2o_iovec_init(s->in_flight, len);
        h2o_socket_write(s->in_sock, &v, 1, on_stdin_written);
        return;
    }
    if (s->in_close_wanted)
        stdin_close(s);
}

static void on_stdin_written(h2o_socket_t *sock, const char *err)
{
    struct exec_session *s = sock->data;
    session_hold(s);
    free(s->in_flight);
    s->in_flight = NULL;
    if (err != NULL)
        stdin_close(s); /* the process closed its stdin: drop what the client still sends */
    else
        stdin_kick(s);
    session_release(s);
}

static void on_output(h2o_socket_t *sock, const char *err);

static void output_pause(struct exec_session *s, bool pause)
{
    s->throttled = pause;
    struct exec_output *outs[] = {&s->out, &s->err};
    for (size_t i = 0; i < 2; i++) {
        if (outs[i]->sock == NULL)
            continue;
        if (pause)
            h2o_socket_read_stop(outs[i]->sock);
        else
            h2o_socket_read_start(outs[i]->sock, on_output);
    }
}

static void on_output(h2o_socket_t *sock, const char *err)
{
    struct exec_output *o = sock->data;
    struct exec_session *s = o->s;
    session_hold(s);
    size_t off = 0, size = sock->input->size;
    while (o->forward && off < size) {
        size_t n = size - off < EXEC_MAX_FRAME ? size - off : EXEC_MAX_FRAME;
        session_send(s, o->channel, sock->input->bytes + off, n);
        off += n;
    }
    h2o_buffer_consume(&sock->input, size);
    if (err != NULL) {
        h2o_socket_close(sock);
        o->sock = NULL;
    }
    if (s->ws != NULL && !s->throttled && wslay.queued_msg_length(s->ws->ws_ctx) > EXEC_QUEUE_HIGH)
        output_pause(s, true);
    session_flush(s);
    session_try_finish(s);
    session_release(s);
}

/* wslay sends control frames ahead of queued data and stops sending once its close went
 * out, so the close is queued only when nothing but the message being sent is left: `in_send`
 * inside the send callback, where the message in flight still counts (wslay finishes a message
 * before it starts a control frame). */
static void session_queue_close(struct exec_session *s, bool in_send)
{
    if (!s->close_pending || s->ws == NULL ||
        wslay.queued_msg_count(s->ws->ws_ctx) > (in_send ? 1u : 0u))
        return;
    s->close_pending = false;
    wslay.queue_close(s->ws->ws_ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
}

/* Wraps h2o's wslay send callback: once the queue has drained enough, resume the pipes. */
static ssize_t on_wslay_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                             void *user_data)
{
    h2o_websocket_conn_t *conn = user_data;
    struct exec_session *s = conn->data;
    ssize_t r = s->h2o_send(ctx, data, len, flags, user_data);
    if (s->throttled && wslay.queued_msg_length(ctx) < EXEC_QUEUE_LOW)
        output_pause(s, false);
    session_queue_close(s, true);
    return r;
}

static void session_reap(struct exec_session *s)
{
    if (s->exited)
        return;
    int st = 0;
    pid_t r = waitpid(s->pid, &st, WNOHANG);
    if (r == s->pid) {
        s->exited = true;
        s->wait_status = st;
    } else if (r < 0 && errno != EINTR) {
        /* not our child any more (reaped elsewhere): the exit code is lost */
        s->exited = true;
        s->wait_status = 0;
    }
}

static void on_reap_timer(h2o_timeout_entry_t *entry)
{
    struct exec_session *s = H2O_STRUCT_FROM_MEMBER(struct exec_session, reap_timer, entry);
    session_hold(s);
    session_try_finish(s);
    session_release(s);
}

/* When the output is drained and the process reaped: Status on channel 3, then close. */
static void session_try_finish(struct exec_session *s)
{
    if (s->out.sock != NULL || s->err.sock != NULL)
        return;
    session_reap(s);
    if (!s->exited) {
        if (!h2o_timeout_is_linked(&s->reap_timer))
            h2o_timeout_link(s->loop, &reap_timeout.q, &s->reap_timer);
        return;
    }
    if (s->status_sent || s->ws == NULL)
        return;
    s->in_close_wanted = true;
    stdin_close(s);
    char *st = s->failure ? exec_internal_status_json(s->failure) : exec_exit_status_json(s->wait_status);
    session_send(s, EXEC_CH_ERROR, st, strlen(st));
    free(st);
    s->status_sent = true;
    s->close_pending = true;
    session_flush(s);
    session_queue_close(s, false);
    session_flush(s);
}

static void on_client_message(struct exec_session *s, const struct wslay_event_on_msg_recv_arg *arg)
{
    if (arg->opcode != WSLAY_BINARY_FRAME)
        return; /* text, ping, pong, close: wslay answers the control frames itself */
    struct exec_frame f;
    exec_frame_parse(s->proto, arg->msg, arg->msg_length, &f);
    switch (f.kind) {
    case EXEC_FRAME_IGNORE:
        return;
    case EXEC_FRAME_CLOSE:
        if (f.channel == EXEC_CH_STDIN) {
            s->in_close_wanted = true;
            stdin_kick(s);
        }
        return;
    case EXEC_FRAME_DATA:
        break;
    }
    if (f.channel == EXEC_CH_RESIZE) {
        uint16_t w, h;
        if (s->tty_fd >= 0 && exec_resize_parse(f.data, f.len, &w, &h)) {
            struct winsize ws = {.ws_row = h, .ws_col = w};
            ioctl(s->tty_fd, TIOCSWINSZ, &ws); /* the kernel signals SIGWINCH to the process */
        }
        return;
    }
    if (f.channel != EXEC_CH_STDIN || s->in_sock == NULL || s->in_close_wanted || f.len == 0)
        return; /* unknown channels are dropped, like upstream */
    if (buf_append(&s->in_pending, f.data, f.len) != 0) {
        /* the process does not read its stdin fast enough: end the session */
        if (s->failure == NULL)
            s->failure = xstrdup("stdin buffer limit exceeded");
        stdin_close(s);
        kill(s->pid, SIGKILL);
        return;
    }
    stdin_kick(s);
}

static void on_ws_event(h2o_websocket_conn_t *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    struct exec_session *s = conn->data;
    session_hold(s);
    if (arg != NULL) {
        on_client_message(s, arg);
    } else {
        /* the client went away (or completed the close handshake) */
        h2o_websocket_close(conn);
        s->ws = NULL;
        stdin_close(s);
        session_reap(s);
        if (!s->exited)
            kill(s->pid, SIGKILL);
        struct exec_output *outs[] = {&s->out, &s->err};
        for (size_t i = 0; i < 2; i++) {
            if (outs[i]->sock != NULL) {
                h2o_socket_close(outs[i]->sock);
                outs[i]->sock = NULL;
            }
        }
        session_try_finish(s); /* links the reap timer until the process is gone */
    }
    session_release(s);
}

static h2o_socket_t *pipe_socket(h2o_loop_t *loop, int fd, void *data)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    h2o_socket_t *sock = h2o_evloop_socket_create(loop, fd, 0);
    sock->data = data;
    return sock;
}

/* ---- the SPDY fallback ------------------------------------------------------------------
 * kubectl falls back to SPDY when the WebSocket handshake is refused, and then prints the
 * SPDY answer. So a node_exec failure (e.g. `container x is not valid for pod y`) answered to
 * the WebSocket attempt is remembered for a few seconds and repeated to the SPDY retry of the
 * same pod and container, which we cannot serve otherwise. */

static struct {
    char *key;
    json_t *status;
    int rc;
    time_t at;
} last_failure;

static char *failure_key(const char *ns, const char *pod, const char *container)
{
    return xasprintf("%s/%s/%s", ns, pod, container ? container : "");
}

static void remember_failure(const char *ns, const char *pod, const char *container, int rc,
                             json_t *status)
{
    free(last_failure.key);
    json_decref(last_failure.status);
    last_failure.key = failure_key(ns, pod, container);
    last_failure.status = json_incref(status);
    last_failure.rc = rc;
    last_failure.at = time(NULL);
}

static int recall_failure(const char *ns, const char *pod, const char *container, json_t **ret_status)
{
    if (last_failure.key == NULL || time(NULL) - last_failure.at > EXEC_FAILURE_MEMORY_S)
        return 0;
    char *key = failure_key(ns, pod, container);
    int same = strcmp(key, last_failure.key) == 0;
    free(key);
    if (!same)
        return 0;
    *ret_status = json_incref(last_failure.status);
    return last_failure.rc;
}

/* ---- the handler ------------------------------------------------------------------------ */

int http_exec_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                     json_t **ret_status)
{
    struct exec_options o;
    const char *perr = NULL;
    if (exec_options_parse(q, &o, &perr) != 0) {
        *ret_status = status_bad_request(perr);
        return AZ_EBADREQUEST;
    }
    int rc = AZ_EBADREQUEST;
    const char *client_key = NULL;
    if (req->version >= 0x200 || h2o_is_websocket_handshake(req, &client_key) != 0 ||
        client_key == NULL) {
        if (req->upgrade.base == NULL) {
            *ret_status = status_bad_request("Upgrade request required");
        } else if ((rc = recall_failure(ns, pod, o.container, ret_status)) == 0) {
            rc = AZ_EBADREQUEST;
            *ret_status = status_bad_request(
                "unable to upgrade connection: only the WebSocket protocols v5.channel.k8s.io "
                "and v4.channel.k8s.io are supported");
        }
        goto out;
    }
    ssize_t hi = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-protocol"), -1);
    enum exec_proto proto = EXEC_PROTO_NONE;
    while (hi != -1) {
        h2o_iovec_t v = req->headers.entries[hi].value;
        enum exec_proto p = exec_proto_select(v.base, v.len);
        if (p > proto)
            proto = p;
        hi = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-protocol"), hi);
    }
    if (proto == EXEC_PROTO_NONE) {
        *ret_status = status_bad_request("requested protocol(s) are not supported; supports "
                                         "[v5.channel.k8s.io v4.channel.k8s.io]");
        goto out;
    }

    int fd_in = -1, fd_out = -1, fd_err = -1;
    pid_t pid = -1;
    char *nerr = NULL;
    rc = node_exec(ns, pod, o.container, (char *const *)o.argv, o.want_stdin, o.tty, &fd_in, &fd_out,
                   &fd_err, &pid, &nerr);
    if (rc != 0) {
        *ret_status = status_new(rc, nerr ? nerr : "exec failed", NULL);
        remember_failure(ns, pod, o.container, rc, *ret_status);
        free(nerr);
        goto out;
    }
    free(nerr);

    h2o_loop_t *loop = req->conn->ctx->loop;
    if (reap_timeout.loop != loop) {
        reap_timeout.loop = loop;
        h2o_timeout_init(loop, &reap_timeout.q, EXEC_REAP_POLL_MS);
    }
    struct exec_session *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->proto = proto;
    s->pid = pid;
    s->reap_timer.cb = on_reap_timer;
    s->tty_fd = o.tty && fd_out >= 0 ? fcntl(fd_out, F_DUPFD_CLOEXEC, 0) : -1;
    buf_init(&s->in_pending, EXEC_STDIN_MAX);
    s->out = (struct exec_output){.s = s, .channel = EXEC_CH_STDOUT, .forward = o.want_stdout};
    s->err = (struct exec_output){.s = s, .channel = EXEC_CH_STDERR, .forward = o.want_stderr};
    s->out.sock = pipe_socket(loop, fd_out, &s->out);
    s->err.sock = pipe_socket(loop, fd_err, &s->err);
    if (fd_in >= 0) {
        if (o.want_stdin)
            s->in_sock = pipe_socket(loop, fd_in, s);
        else
            close(fd_in);
    }

    const char *name = exec_proto_name(proto);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0,
                          NULL, name, strlen(name));
    session_hold(s);
    s->ws = h2o_upgrade_to_websocket(req, client_key, s, on_ws_event);
    if (s->ws != NULL) {
        s->h2o_send = s->ws->ws_callbacks.send_callback;
        s->ws->ws_callbacks.send_callback = on_wslay_send;
        wslay.set_callbacks(s->ws->ws_ctx, &s->ws->ws_callbacks);
        wslay.set_max_recv_msg_length(s->ws->ws_ctx, EXEC_MAX_RECV_MSG);
        /* tell the client the streams are up: an empty message on the lowest channel we write */
        uint8_t first = o.want_stdout ? EXEC_CH_STDOUT : o.want_stderr ? EXEC_CH_STDERR : EXEC_CH_ERROR;
        session_send(s, first, NULL, 0);
    }
    h2o_socket_read_start(s->out.sock, on_output);
    h2o_socket_read_start(s->err.sock, on_output);
    session_release(s);
    rc = 0;
out:
    exec_options_release(&o);
    return rc;
}
