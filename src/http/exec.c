/* exec.c — `kubectl exec` and `kubectl attach` over WebSocket (the wire format is described
 * in exec.h) and over SPDY/3.1 (kubelet's httpstream remotecommand, see "the SPDY transport").
 *
 * One struct exec_session per upgraded request, owned by the event loop thread. The process
 * comes from node_exec(); its stdout/stderr pipes are h2o sockets whose read callbacks queue
 * channel messages into wslay, its stdin pipe is an h2o socket written from a bounded buffer.
 * Nothing blocks: the process is reaped with waitpid(WNOHANG), polled by a 20 ms timer once
 * both output pipes reached EOF.
 *
 * wslay is linked directly (libh2o-evloop's pkg-config file does not list it).
 *
 * Both transports share the session: only sending, flushing and reading the client differ
 * (session_send / session_flush / session_client_data; session_lost when the client is gone).
 *
 * Lifetime: the session outlives the h2o_websocket_conn_t (or the SPDY socket). Every callback holds the session
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
#include <h2o/http1.h>
#include "machinery/status.h"
#include "http/exec.h"
#include "http/server.h"
#include "http/portforward.h"
#include "http/spdy.h"
#include "node/node.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/util.h"

#define EXEC_STDIN_MAX (16u << 20)     /* stdin bytes buffered for a process not reading */
#define EXEC_QUEUE_HIGH (1u << 20)     /* stop reading the pipes above this much queued output */
#define EXEC_QUEUE_LOW (256u << 10)    /* …and resume below this */
#define EXEC_MAX_RECV_MSG (1u << 20)   /* largest client message accepted */
#define EXEC_REAP_POLL_MS 20
#define EXEC_FAILURE_MEMORY_S 10       /* see remember_failure() */
#define EXEC_ATTACH_QUEUE_MAX (8u << 20) /* attach output queued for a slow client, then dropped */
#define EXEC_SPDY_OUT_MAX (64u << 20)  /* SPDY: frames buffered for the client (hard cap) */
#define EXEC_SPDY_IN_MAX (SPDY_MAX_CONTROL + (16u << 20)) /* SPDY: unparsed client input */
#define EXEC_RESIZE_MAX 4096          /* SPDY: one resize JSON line */

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

int attach_options_parse(const struct query *q, struct exec_options *ret, const char **ret_err)
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
    *ret = o;
    return 0;
}

int exec_options_parse(const struct query *q, struct exec_options *ret, const char **ret_err)
{
    struct exec_options o;
    if (attach_options_parse(q, &o, ret_err) != 0)
        return AZ_EBADREQUEST;
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

static void exec_options_release(struct exec_options *o)
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
    struct http_loop *owner;   /* the request loop of the connection (server.h) */
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
    /* attach: the container's output comes from a tap on its log reader; there is no process */
    bool attach;
    struct node_log_pipe *log; /* tapped while not NULL */
    uint8_t attach_channel;    /* where its output goes (0: nowhere) */
    char cid[128];             /* the run attached to (stdinOnce) */
    struct exec_spdy *sp;      /* the SPDY transport (kubectl 1.27–1.29); NULL: WebSocket */
};

/* The SPDY/3.1 transport (v4.channel.k8s.io as kubelet serves it): one stream per channel,
 * opened by the client with a `streamtype` header; output starts once every expected stream
 * is there. */
struct exec_spdy {
    h2o_socket_t *sock;        /* NULL before the upgrade completes and once closed */
    bool upgrading;            /* between the 101 and on_spdy_upgraded */
    z_stream zin, zout;
    struct buf out;            /* frames not yet handed to the socket */
    char *out_flight;
    size_t flight_len;
    bool closing;              /* close once the output is flushed */
    bool ready;                /* every expected stream arrived */
    uint32_t id[EXEC_CH_RESIZE + 1]; /* stream id by channel (0: not opened) */
    bool want[EXEC_CH_RESIZE + 1];
    struct buf resize;         /* a partial resize line */
    struct buf early;          /* attach output before the streams are up */
};

static __thread struct { /* one per request loop: h2o timers belong to a loop */
    h2o_loop_t *loop;
    h2o_timeout_t q;
} reap_timeout;

static void session_try_finish(struct exec_session *s);
static void spdy_kick(struct exec_session *s);
static void spdy_send(struct exec_session *s, uint8_t channel, const void *data, size_t len);

/* The client is (still) there. */
static bool session_connected(const struct exec_session *s)
{
    if (s->sp != NULL)
        return s->sp->sock != NULL || s->sp->upgrading;
    return s->ws != NULL;
}

/* Output bytes queued for the client. */
static size_t session_queued(const struct exec_session *s)
{
    if (s->sp != NULL)
        return s->sp->out.len + s->sp->flight_len;
    return s->ws != NULL ? wslay.queued_msg_length(s->ws->ws_ctx) : 0;
}

static void session_hold(struct exec_session *s)
{
    s->busy++;
}

static void session_release(struct exec_session *s)
{
    if (--s->busy > 0)
        return;
    if (session_connected(s) || s->out.sock != NULL || s->err.sock != NULL || s->in_sock != NULL ||
        !s->exited || s->log != NULL)
        return;
    if (s->sp != NULL) {
        inflateEnd(&s->sp->zin);
        deflateEnd(&s->sp->zout);
        buf_release(&s->sp->out);
        buf_release(&s->sp->resize);
        buf_release(&s->sp->early);
        free(s->sp->out_flight);
        free(s->sp);
    }
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
    if (s->sp != NULL)
        spdy_kick(s);
    else if (s->ws != NULL && s->ws->sock != NULL)
        h2o_websocket_proceed(s->ws);
}

static void session_send(struct exec_session *s, uint8_t channel, const void *data, size_t len)
{
    if (s->sp != NULL) {
        if (!s->status_sent)
            spdy_send(s, channel, data, len);
        return;
    }
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
        if (s->attach)
            node_attach_stdin_closed(s->cid);
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

static void on_stdin_written_locked(h2o_socket_t *sock, const char *err)
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

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_stdin_written(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_stdin_written_locked(sock, err);
    biglock_leave(took);
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

static void on_output_locked(h2o_socket_t *sock, const char *err)
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
    if (session_connected(s) && !s->throttled && session_queued(s) > EXEC_QUEUE_HIGH)
        output_pause(s, true);
    session_flush(s);
    session_try_finish(s);
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_output(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_output_locked(sock, err);
    biglock_leave(took);
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

static void on_reap_timer_locked(h2o_timeout_entry_t *entry)
{
    struct exec_session *s = H2O_STRUCT_FROM_MEMBER(struct exec_session, reap_timer, entry);
    session_hold(s);
    session_try_finish(s);
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_reap_timer(h2o_timeout_entry_t *entry)
{
    bool took = biglock_enter();
    on_reap_timer_locked(entry);
    biglock_leave(took);
}

/* When the output is drained and the process reaped: Status on channel 3, then close. */
static void session_try_finish(struct exec_session *s)
{
    if (s->out.sock != NULL || s->err.sock != NULL || s->log != NULL)
        return;
    session_reap(s);
    if (!s->exited) {
        if (!h2o_timeout_is_linked(&s->reap_timer))
            h2o_timeout_link(s->loop, &reap_timeout.q, &s->reap_timer);
        return;
    }
    if (s->status_sent || !session_connected(s) || (s->sp != NULL && !s->sp->ready))
        return;
    s->in_close_wanted = true;
    stdin_close(s);
    char *st = s->failure ? exec_internal_status_json(s->failure) : exec_exit_status_json(s->wait_status);
    session_send(s, EXEC_CH_ERROR, st, strlen(st));
    free(st);
    s->status_sent = true;
    if (s->sp != NULL) {
        /* end every stream we write, then the connection (kubelet closes it after the Status) */
        const uint8_t chans[] = {EXEC_CH_STDOUT, EXEC_CH_STDERR, EXEC_CH_ERROR};
        for (size_t i = 0; i < sizeof(chans); i++)
            if (s->sp->id[chans[i]] != 0)
                (void)spdy_put_data(s->sp->id[chans[i]], SPDY_FLAG_FIN, NULL, 0, &s->sp->out);
        (void)spdy_put_goaway(0, 0, &s->sp->out);
        s->sp->closing = true;
        spdy_kick(s);
        return;
    }
    s->close_pending = true;
    session_flush(s);
    session_queue_close(s, false);
    session_flush(s);
}

/* The client's bytes on a channel (both transports). */
static void session_client_data(struct exec_session *s, uint8_t channel, const uint8_t *data, size_t len)
{
    if (channel == EXEC_CH_RESIZE) {
        uint16_t w, h;
        if (s->tty_fd >= 0 && exec_resize_parse(data, len, &w, &h)) {
            struct winsize ws = {.ws_row = h, .ws_col = w};
            ioctl(s->tty_fd, TIOCSWINSZ, &ws); /* the kernel signals SIGWINCH to the process */
        }
        return;
    }
    if (channel != EXEC_CH_STDIN || s->in_sock == NULL || s->in_close_wanted || len == 0)
        return; /* unknown channels are dropped, like upstream */
    if (buf_append(&s->in_pending, data, len) != 0) {
        /* the process does not read its stdin fast enough: end the session */
        if (s->failure == NULL)
            s->failure = xstrdup("stdin buffer limit exceeded");
        stdin_close(s);
        kill(s->pid, SIGKILL);
        return;
    }
    stdin_kick(s);
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
    session_client_data(s, f.channel, f.data, f.len);
}

static void session_lost(struct exec_session *s);

static void on_ws_event_locked(h2o_websocket_conn_t *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    struct exec_session *s = conn->data;
    session_hold(s);
    if (arg != NULL) {
        on_client_message(s, arg);
    } else {
        /* the client went away (or completed the close handshake) */
        h2o_websocket_close(conn);
        s->ws = NULL;
        session_lost(s);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_ws_event(h2o_websocket_conn_t *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    bool took = biglock_enter();
    on_ws_event_locked(conn, arg);
    biglock_leave(took);
}

/* The client is gone (its connection already closed): stop the process, drop the pipes. */
static void session_lost(struct exec_session *s)
{
    stdin_close(s);
    if (s->log != NULL) { /* attach: the container goes on */
        node_log_pipe_untap(s->log, s);
        s->log = NULL;
    }
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
    last_failure.at = clock_wall_s();
}

static int recall_failure(const char *ns, const char *pod, const char *container, json_t **ret_status)
{
    if (last_failure.key == NULL || clock_wall_s() - last_failure.at > EXEC_FAILURE_MEMORY_S)
        return 0;
    char *key = failure_key(ns, pod, container);
    int same = strcmp(key, last_failure.key) == 0;
    free(key);
    if (!same)
        return 0;
    *ret_status = json_incref(last_failure.status);
    return last_failure.rc;
}

/* ---- the SPDY transport --------------------------------------------------------------------
 * kubelet's remotecommand over SPDY/3.1 (pkg/kubelet/cri/streaming/remotecommand/httpstream.go,
 * client-go tools/remotecommand/v4.go): after the 101 the client opens one stream per channel
 * with a `streamtype` header (error, stdin, stdout, stderr, resize); each gets a SYN_REPLY.
 * Once all streams the query asked for are there (error always; resize with tty) the output
 * flows as DATA frames; stdin ends with the client's FIN; resize carries TerminalSize JSON
 * lines. At the end the v4 Status goes on the error stream, every stream we write gets FIN
 * and the connection is closed. Only v4.channel.k8s.io is served (every kubectl 1.27+ asks
 * for it first). */

static const char *const spdy_stream_types[EXEC_CH_RESIZE + 1] = {
    [EXEC_CH_STDIN] = "stdin", [EXEC_CH_STDOUT] = "stdout", [EXEC_CH_STDERR] = "stderr",
    [EXEC_CH_ERROR] = "error", [EXEC_CH_RESIZE] = "resize",
};

static void spdy_close(struct exec_session *s)
{
    if (s->sp->sock != NULL) {
        h2o_socket_close(s->sp->sock);
        s->sp->sock = NULL;
        session_lost(s);
    }
}

static void on_spdy_written_locked(h2o_socket_t *sock, const char *err)
{
    struct exec_session *s = sock->data;
    session_hold(s);
    free(s->sp->out_flight);
    s->sp->out_flight = NULL;
    s->sp->flight_len = 0;
    if (err != NULL) {
        spdy_close(s);
    } else {
        if (s->throttled && session_queued(s) < EXEC_QUEUE_LOW)
            output_pause(s, false);
        spdy_kick(s);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_spdy_written(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_spdy_written_locked(sock, err);
    biglock_leave(took);
}

/* Hands the buffered frames to the socket; closes when asked and flushed. */
static void spdy_kick(struct exec_session *s)
{
    struct exec_spdy *sp = s->sp;
    if (sp->sock == NULL || sp->out_flight != NULL)
        return;
    if (sp->out.len == 0) {
        if (sp->closing)
            spdy_close(s);
        return;
    }
    sp->out_flight = buf_detach(&sp->out, &sp->flight_len);
    buf_init(&sp->out, EXEC_SPDY_OUT_MAX);
    h2o_iovec_t v = h2o_iovec_init(sp->out_flight, sp->flight_len);
    h2o_socket_write(sp->sock, &v, 1, on_spdy_written);
}

static void spdy_send(struct exec_session *s, uint8_t channel, const void *data, size_t len)
{
    struct exec_spdy *sp = s->sp;
    if (!sp->ready) { /* attach output (or its replay) before the streams: kept, bounded */
        if (channel == s->attach_channel)
            (void)buf_append(&sp->early, data, len);
        return;
    }
    if (channel > EXEC_CH_RESIZE || sp->id[channel] == 0 || sp->sock == NULL || len == 0)
        return;
    if (spdy_put_data(sp->id[channel], 0, data, len, &sp->out) != 0) {
        log_warn("exec: client not reading, closing the connection");
        spdy_close(s);
    }
}

/* Every expected stream is there: start the output. */
static void spdy_ready(struct exec_session *s)
{
    struct exec_spdy *sp = s->sp;
    sp->ready = true;
    if (sp->early.len > 0) {
        size_t len;
        char *early = buf_detach(&sp->early, &len);
        for (size_t off = 0; off < len; off += EXEC_MAX_FRAME)
            spdy_send(s, s->attach_channel, early + off, len - off < EXEC_MAX_FRAME ? len - off : EXEC_MAX_FRAME);
        free(early);
    }
    if (!s->throttled) {
        if (s->out.sock != NULL)
            h2o_socket_read_start(s->out.sock, on_output);
        if (s->err.sock != NULL)
            h2o_socket_read_start(s->err.sock, on_output);
    }
    session_try_finish(s);
}

static int spdy_on_syn_stream(struct exec_session *s, const struct spdy_frame *f)
{
    struct exec_spdy *sp = s->sp;
    struct spdy_headers h;
    int rc = spdy_headers_decode(&sp->zin, f->payload, f->len, &h);
    if (rc != 0) {
        spdy_headers_release(&h);
        return rc; /* the compression context is broken */
    }
    const char *type = spdy_header_get(&h, "streamtype");
    int ch = -1;
    for (int i = 0; type != NULL && i <= EXEC_CH_RESIZE; i++)
        if (strcmp(type, spdy_stream_types[i]) == 0)
            ch = i;
    if (ch < 0 || sp->id[ch] != 0 || f->stream_id == 0) {
        log_info("exec: stream %u refused: %s", f->stream_id, ch < 0 ? "invalid stream type" : "duplicate stream");
        rc = spdy_put_rst(f->stream_id, SPDY_RST_REFUSED_STREAM, &sp->out);
    } else {
        sp->id[ch] = f->stream_id;
        rc = spdy_put_syn_reply(&sp->zout, f->stream_id, 0, &sp->out);
    }
    spdy_headers_release(&h);
    if (rc != 0)
        return rc;
    bool all = !sp->ready;
    for (int i = 0; i <= EXEC_CH_RESIZE; i++)
        all = all && (!sp->want[i] || sp->id[i] != 0);
    if (all)
        spdy_ready(s);
    return 0;
}

/* The channel stream id carries, or -1 for none. */
static int spdy_channel_of(const struct exec_spdy *sp, uint32_t id)
{
    for (int i = 0; id != 0 && i <= EXEC_CH_RESIZE; i++)
        if (sp->id[i] == id)
            return i;
    return -1;
}

/* Resize stream bytes: one TerminalSize JSON per line (Go's json.Encoder). */
static void spdy_resize_data(struct exec_session *s, const uint8_t *data, size_t len)
{
    struct exec_spdy *sp = s->sp;
    if (buf_append(&sp->resize, data, len) != 0) {
        buf_release(&sp->resize);
        buf_init(&sp->resize, EXEC_RESIZE_MAX);
        return;
    }
    const char *nl;
    while ((nl = memchr(sp->resize.data, '\n', sp->resize.len)) != NULL) {
        size_t n = (size_t)(nl - sp->resize.data) + 1;
        session_client_data(s, EXEC_CH_RESIZE, (const uint8_t *)sp->resize.data, n);
        memmove(sp->resize.data, sp->resize.data + n, sp->resize.len - n);
        sp->resize.len -= n;
    }
}

/* Handles one frame from the client; a negative code ends the connection (protocol error). */
static int spdy_on_frame(struct exec_session *s, const struct spdy_frame *f)
{
    struct exec_spdy *sp = s->sp;
    if (!f->control) {
        int ch = spdy_channel_of(sp, f->stream_id);
        if (ch == EXEC_CH_STDIN) {
            session_client_data(s, EXEC_CH_STDIN, f->payload, f->len);
            if (f->flags & SPDY_FLAG_FIN) {
                s->in_close_wanted = true;
                stdin_kick(s);
            }
        } else if (ch == EXEC_CH_RESIZE) {
            spdy_resize_data(s, f->payload, f->len);
        }
        return 0; /* the other streams carry nothing from the client */
    }
    switch (f->type) {
    case SPDY_SYN_STREAM:
        return spdy_on_syn_stream(s, f);
    case SPDY_RST_STREAM:
        if (spdy_channel_of(sp, f->stream_id) == EXEC_CH_STDIN) {
            s->in_close_wanted = true;
            stdin_kick(s);
        }
        return 0;
    case SPDY_PING:
        return spdy_put_ping(f->value, &sp->out);
    case SPDY_HEADERS: {
        struct spdy_headers h; /* keeps the compression context in step */
        int rc = spdy_headers_decode(&sp->zin, f->payload, f->len, &h);
        spdy_headers_release(&h);
        return rc;
    }
    default: /* GOAWAY (the close follows), SETTINGS, WINDOW_UPDATE, SYN_REPLY: ignored */
        return 0;
    }
}

static void on_spdy_read_locked(h2o_socket_t *sock, const char *err)
{
    struct exec_session *s = sock->data;
    session_hold(s);
    if (err != NULL) {
        spdy_close(s);
        session_release(s);
        return;
    }
    size_t off = 0;
    bool broken = false;
    while (s->sp->sock != NULL) {
        struct spdy_frame f;
        ssize_t n = spdy_frame_parse((const uint8_t *)sock->input->bytes + off, sock->input->size - off, &f);
        if (n == 0)
            break;
        if (n < 0 || spdy_on_frame(s, &f) != 0) {
            broken = true;
            break;
        }
        off += (size_t)n;
    }
    if (s->sp->sock != NULL) {
        h2o_buffer_consume(&sock->input, off);
        if (broken || sock->input->size > EXEC_SPDY_IN_MAX) {
            log_info("exec: protocol error from the client, closing");
            (void)spdy_put_goaway(0, 1, &s->sp->out);
            s->sp->closing = true;
            h2o_socket_read_stop(sock);
        }
        spdy_kick(s);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_spdy_read(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_spdy_read_locked(sock, err);
    biglock_leave(took);
}

static void on_spdy_upgraded_locked(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    struct exec_session *s = user_data;
    session_hold(s);
    s->sp->upgrading = false;
    if (sock == NULL) {
        session_lost(s);
    } else {
        h2o_buffer_consume(&sock->input, reqsize);
        s->sp->sock = sock;
        sock->data = s;
        h2o_socket_read_start(sock, on_spdy_read);
        if (sock->input->size > 0)
            on_spdy_read(sock, NULL);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_spdy_upgraded(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    bool took = biglock_enter();
    on_spdy_upgraded_locked(user_data, sock, reqsize);
    biglock_leave(took);
}

/* The request asks for the SPDY upgrade (kubectl 1.27–1.29, or 1.30+ falling back). */
static bool spdy_requested(const h2o_req_t *req)
{
    return req->version < 0x200 && req->upgrade.base != NULL && req->upgrade.len == 8 &&
           strncasecmp(req->upgrade.base, "SPDY/3.1", 8) == 0;
}

/* kubelet's httpstream.Handshake: the client must offer v4.channel.k8s.io. */
static int spdy_negotiate(h2o_req_t *req, json_t **ret_status)
{
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-stream-protocol-version"), -1) == -1) {
        *ret_status = status_bad_request("unable to upgrade: X-Stream-Protocol-Version is required");
        return AZ_EBADREQUEST;
    }
    if (!http_header_has_token(req, H2O_STRLIT("x-stream-protocol-version"), proto_v4)) {
        /* Go prints the client's list as %v: the comma-separated values, space-joined */
        struct buf list;
        buf_init(&list, 4096);
        for (ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-stream-protocol-version"), -1);
             i != -1; i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-stream-protocol-version"), i)) {
            h2o_iovec_t v = req->headers.entries[i].value;
            for (size_t k = 0; k < v.len;) {
                size_t st = k;
                while (k < v.len && v.base[k] != ',')
                    k++;
                size_t e = k++;
                while (st < e && v.base[st] == ' ')
                    st++;
                while (e > st && v.base[e - 1] == ' ')
                    e--;
                if (e > st) {
                    if (list.len > 0)
                        (void)buf_append(&list, " ", 1);
                    (void)buf_append(&list, v.base + st, e - st);
                }
            }
        }
        char *msg = xasprintf("unable to upgrade: unable to negotiate protocol: client supports [%s], "
                              "server accepts [%s]", list.data ? list.data : "", proto_v4);
        buf_release(&list);
        *ret_status = status_new(AZ_EFORBIDDEN, msg, NULL);
        free(msg);
        return AZ_EFORBIDDEN;
    }
    return 0;
}

/* Answers 101 and takes the connection over (s held by the caller). */
static void spdy_upgrade(struct exec_session *s, h2o_req_t *req, const struct exec_options *o)
{
    struct exec_spdy *sp = xcalloc(1, sizeof(*sp));
    s->sp = sp;
    buf_init(&sp->out, EXEC_SPDY_OUT_MAX);
    buf_init(&sp->resize, EXEC_RESIZE_MAX);
    buf_init(&sp->early, EXEC_ATTACH_QUEUE_MAX);
    if (spdy_inflate_init(&sp->zin) != 0 || spdy_deflate_init(&sp->zout) != 0)
        abort(); /* out of memory */
    sp->want[EXEC_CH_ERROR] = true;
    sp->want[EXEC_CH_STDIN] = o->want_stdin;
    sp->want[EXEC_CH_STDOUT] = o->want_stdout;
    sp->want[EXEC_CH_STDERR] = o->want_stderr;
    sp->want[EXEC_CH_RESIZE] = o->tty;
    sp->upgrading = true;
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("SPDY/3.1"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-stream-protocol-version"), 0, NULL,
                          proto_v4, sizeof(proto_v4) - 1);
    h2o_http1_upgrade(req, NULL, 0, on_spdy_upgraded, s);
}

/* ---- the handlers ----------------------------------------------------------------------- */

/* Checks the WebSocket handshake and picks the subprotocol. Returns 0 with *ret_key and
 * *ret_proto, or a negative code with *ret_status (also the remembered failure, see above). */
static int ws_negotiate(h2o_req_t *req, const char *ns, const char *pod, const char *container,
                        const char **ret_key, enum exec_proto *ret_proto, json_t **ret_status)
{
    const char *client_key = NULL;
    int rc;
    if (spdy_requested(req)) {
        *ret_key = NULL;
        *ret_proto = EXEC_PROTO_V4;
        return spdy_negotiate(req, ret_status);
    }
    if (req->version >= 0x200 || h2o_is_websocket_handshake(req, &client_key) != 0 ||
        client_key == NULL) {
        if (req->upgrade.base == NULL) {
            *ret_status = status_bad_request("Upgrade request required");
        } else if ((rc = recall_failure(ns, pod, container, ret_status)) != 0) {
            return rc;
        } else {
            *ret_status = status_bad_request(
                "unable to upgrade connection: only the WebSocket protocols v5.channel.k8s.io "
                "and v4.channel.k8s.io and SPDY/3.1 are supported");
        }
        return AZ_EBADREQUEST;
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
        return AZ_EBADREQUEST;
    }
    *ret_key = client_key;
    *ret_proto = proto;
    return 0;
}

static struct exec_session *session_new(h2o_req_t *req, enum exec_proto proto, pid_t pid)
{
    h2o_loop_t *loop = req->conn->ctx->loop;
    if (reap_timeout.loop != loop) {
        reap_timeout.loop = loop;
        h2o_timeout_init(loop, &reap_timeout.q, EXEC_REAP_POLL_MS);
    }
    struct exec_session *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->owner = http_loop_current();
    s->proto = proto;
    s->pid = pid;
    s->reap_timer.cb = on_reap_timer;
    s->tty_fd = -1;
    buf_init(&s->in_pending, EXEC_STDIN_MAX);
    return s;
}

/* Upgrades (with s held by the caller) and sends the first empty message on `first`. */
static void session_upgrade(struct exec_session *s, h2o_req_t *req, const char *client_key, uint8_t first)
{
    const char *name = exec_proto_name(s->proto);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0,
                          NULL, name, strlen(name));
    s->ws = h2o_upgrade_to_websocket(req, client_key, s, on_ws_event);
    if (s->ws != NULL) {
        s->h2o_send = s->ws->ws_callbacks.send_callback;
        s->ws->ws_callbacks.send_callback = on_wslay_send;
        wslay.set_callbacks(s->ws->ws_ctx, &s->ws->ws_callbacks);
        wslay.set_max_recv_msg_length(s->ws->ws_ctx, EXEC_MAX_RECV_MSG);
        /* tell the client the streams are up: an empty message on the lowest channel we write */
        session_send(s, first, NULL, 0);
    }
}

int http_exec_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                     json_t **ret_status)
{
    struct exec_options o;
    const char *perr = NULL;
    if (exec_options_parse(q, &o, &perr) != 0) {
        *ret_status = status_bad_request(perr);
        return AZ_EBADREQUEST;
    }
    const char *client_key = NULL;
    enum exec_proto proto = EXEC_PROTO_NONE;
    int rc = ws_negotiate(req, ns, pod, o.container, &client_key, &proto, ret_status);
    if (rc != 0)
        goto out;

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

    struct exec_session *s = session_new(req, proto, pid);
    h2o_loop_t *loop = s->loop;
    s->tty_fd = o.tty && fd_out >= 0 ? fcntl(fd_out, F_DUPFD_CLOEXEC, 0) : -1;
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
    session_hold(s);
    if (client_key == NULL) {
        spdy_upgrade(s, req, &o); /* the output starts once the client's streams are there */
    } else {
        session_upgrade(s, req, client_key,
                        o.want_stdout ? EXEC_CH_STDOUT : o.want_stderr ? EXEC_CH_STDERR : EXEC_CH_ERROR);
        h2o_socket_read_start(s->out.sock, on_output);
        h2o_socket_read_start(s->err.sock, on_output);
    }
    session_release(s);
    rc = 0;
out:
    exec_options_release(&o);
    return rc;
}

/* The container's output, from its log reader (logs.h tap). A client that does not read is
 * not waited for (the reader serves the log too): above EXEC_ATTACH_QUEUE_MAX queued bytes
 * its output is dropped. */
static void on_attach_output_here(struct exec_session *s, const char *data, size_t len);

/* Output that the node's log reader (on the control loop) hands over, on its way to the
 * session's own loop. */
struct attach_chunk {
    struct exec_session *s;
    bool end;
    size_t len;
    char data[];
};

static void attach_chunk_run(void *arg)
{
    struct attach_chunk *c = arg;
    on_attach_output_here(c->s, c->end ? NULL : c->data, c->len);
    session_release(c->s);
    free(c);
}

static void on_attach_output(void *arg, const char *data, size_t len)
{
    struct exec_session *s = arg;
    if (data == NULL)
        s->log = NULL; /* the container's output ended: the tap is gone */
    if (s->owner != NULL && s->owner != http_loop_current()) {
        struct attach_chunk *c = xmalloc(sizeof(*c) + (data ? len : 0));
        c->s = s;
        c->end = data == NULL;
        c->len = data ? len : 0;
        if (data != NULL)
            memcpy(c->data, data, len);
        session_hold(s);
        http_loop_post(s->owner, attach_chunk_run, c);
        return;
    }
    on_attach_output_here(s, data, len);
}

static void on_attach_output_here(struct exec_session *s, const char *data, size_t len)
{
    session_hold(s);
    if (data == NULL) {
        session_try_finish(s);
        session_release(s);
        return;
    }
    if (s->attach_channel != 0 && session_connected(s) && session_queued(s) < EXEC_ATTACH_QUEUE_MAX) {
        for (size_t off = 0; off < len; off += EXEC_MAX_FRAME)
            session_send(s, s->attach_channel, data + off,
                         len - off < EXEC_MAX_FRAME ? len - off : EXEC_MAX_FRAME);
        session_flush(s);
    }
    session_release(s);
}

int http_attach_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                       json_t **ret_status)
{
    struct exec_options o;
    const char *perr = NULL;
    if (attach_options_parse(q, &o, &perr) != 0) {
        *ret_status = status_bad_request(perr);
        return AZ_EBADREQUEST;
    }
    const char *client_key = NULL;
    enum exec_proto proto = EXEC_PROTO_NONE;
    int rc = ws_negotiate(req, ns, pod, o.container, &client_key, &proto, ret_status);
    if (rc != 0)
        return rc;
    struct exec_session *s = session_new(req, proto, -1);
    s->attach = true;
    s->exited = true; /* no process of ours: the session ends with the container's output */
    s->attach_channel = o.want_stdout ? EXEC_CH_STDOUT : o.want_stderr ? EXEC_CH_STDERR : 0;
    struct node_attach na;
    char *nerr = NULL;
    rc = node_attach(ns, pod, o.container, o.want_stdin, on_attach_output, s, &na, &nerr);
    if (rc != 0) {
        *ret_status = status_new(rc, nerr ? nerr : "attach failed", NULL);
        remember_failure(ns, pod, o.container, rc, *ret_status);
        free(nerr);
        session_hold(s);
        session_release(s); /* frees it */
        return rc;
    }
    s->log = na.log;
    s->tty_fd = na.tty_fd;
    memcpy(s->cid, na.cid, sizeof(s->cid));
    if (na.stdin_fd >= 0)
        s->in_sock = pipe_socket(s->loop, na.stdin_fd, s);
    session_hold(s);
    if (client_key == NULL)
        spdy_upgrade(s, req, &o);
    else
        session_upgrade(s, req, client_key, s->attach_channel ? s->attach_channel : EXEC_CH_ERROR);
    if (na.replay_len > 0 && s->attach_channel != 0)
        for (size_t off = 0; off < na.replay_len; off += EXEC_MAX_FRAME)
            session_send(s, s->attach_channel, na.replay + off,
                         na.replay_len - off < EXEC_MAX_FRAME ? na.replay_len - off : EXEC_MAX_FRAME);
    free(na.replay);
    session_flush(s);
    session_try_finish(s); /* an ended container: the Status at once */
    session_release(s);
    return 0;
}
