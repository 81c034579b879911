/* portforward.c — `kubectl port-forward` over SPDY/3.1 (the protocol is described in
 * portforward.h, the framing in spdy.h).
 *
 * One struct pf_session per upgraded connection, on the event loop thread. Frames from the
 * client are parsed from the socket's input as they come; everything sent goes through one
 * bounded output buffer written one piece at a time. Each forwarded connection is a struct
 * pf_pair (its error and data streams, the TCP socket in the pod). Connects run on a helper
 * thread each (setns into the pod's network namespace, then a blocking connect to localhost),
 * which hands the result back through a pipe the loop reads; the loop never waits on a pod.
 *
 * Lifetime: callbacks hold the session (busy) while they run; the session is freed when its
 * socket is closed, no pair is left and nobody holds it. A pair whose connect is still in
 * flight when it goes away leaves its dial job behind, cancelled; the loop frees the job when
 * the thread reports. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "http/portforward.h" /* h2o.h first: h2o/http1.h needs its types */
#include <h2o/http1.h>
#include "http/spdy.h"
#include "machinery/status.h"
#include "node/node.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define PF_OUT_MAX (64u << 20)     /* output buffered for the client (hard cap) */
#define PF_OUT_HIGH (4u << 20)     /* stop reading pod connections above this much queued… */
#define PF_OUT_LOW (1u << 20)      /* …and resume below this */
#define PF_TO_POD_MAX (16u << 20)  /* client bytes buffered for one pod connection */
#define PF_IN_MAX (SPDY_MAX_CONTROL + (16u << 20)) /* unparsed client input */
#define PF_CHUNK 32768             /* bytes per DATA frame to the client */
#define PF_MAX_PAIRS 256           /* forwarded connections open at once per session */
#define PF_CONNECT_TIMEOUT_S 30

static const char pf_protocol[] = "portforward.k8s.io";

struct pf_session;

struct pf_dial {
    struct pf_pair *pair;      /* NULL: cancelled (the pair went away) */
    char *netns;               /* NULL: the node's network */
    int port;
    int fd;                    /* result: the connected socket, or -1 */
    int errno4, errno6;        /* result: why not */
    int wfd;                   /* the dialer pipe of the loop that started it */
};

struct pf_pair {
    struct pf_session *s;
    char *request_id;
    int port;
    uint32_t error_id, data_id; /* 0 until the stream arrived */
    bool error_fin_sent, data_fin_sent;
    struct pf_dial *dial;       /* connect in flight */
    h2o_socket_t *tcp;          /* the connection in the pod, once connected */
    struct buf to_pod;          /* client bytes not yet handed to tcp */
    char *to_pod_flight;        /* being written */
    bool client_fin;            /* the client ended the data stream */
    bool paused;                /* tcp reads stopped (output backlog) */
    struct pf_pair *next;
};

struct pf_session {
    h2o_loop_t *loop;
    h2o_socket_t *sock;         /* NULL once closed */
    z_stream zin, zout;
    char *netns, *sandbox_id;
    struct pf_pair *pairs;
    size_t npairs;
    struct buf out;             /* frames not yet handed to the socket */
    char *out_flight;
    bool closing;               /* close once the output is flushed */
    bool throttled;
    int busy;
};

static void session_kick(struct pf_session *s);
static void pair_free(struct pf_pair *p);

/* ---- pure helpers ------------------------------------------------------------------------ */

/* Go's text for an errno (its syscall table is glibc's strerror, lower-cased first letter) */
static void go_errno(int e, char *out, size_t cap)
{
    snprintf(out, cap, "%s", strerror(e));
    if (out[0] >= 'A' && out[0] <= 'Z')
        out[0] = (char)(out[0] - 'A' + 'a');
}

char *portforward_dial_error(int port, const char *sandbox_id, int errno4, int errno6)
{
    char e4[128], e6[128];
    go_errno(errno4, e4, sizeof(e4));
    go_errno(errno6, e6, sizeof(e6));
    /* containerd's CRI error, wrapped by kubelet's httpstream handler */
    return xasprintf("error forwarding port %d to pod %s, uid : failed to connect to localhost:%d inside "
                     "namespace \"%s\", IPv4: dial tcp4 127.0.0.1:%d: connect: %s IPv6 dial tcp6 [::1]:%d: "
                     "connect: %s ",
                     port, sandbox_id, port, sandbox_id, port, e4, port, e6);
}

/* ---- session basics ---------------------------------------------------------------------- */

static void session_hold(struct pf_session *s)
{
    s->busy++;
}

static void session_release(struct pf_session *s)
{
    if (--s->busy > 0 || s->sock != NULL || s->pairs != NULL)
        return;
    inflateEnd(&s->zin);
    deflateEnd(&s->zout);
    buf_release(&s->out);
    free(s->out_flight);
    free(s->netns);
    free(s->sandbox_id);
    free(s);
}

static void session_close(struct pf_session *s)
{
    while (s->pairs != NULL)
        pair_free(s->pairs);
    if (s->sock != NULL) {
        h2o_socket_close(s->sock);
        s->sock = NULL;
    }
}

/* Queues a frame's bytes (already in s->out) failing only at the hard cap: then the client
 * is hopelessly behind and the connection ends. */
static void session_overflow(struct pf_session *s)
{
    log_warn("port-forward: client not reading, closing the connection");
    session_close(s);
}

static void pairs_pause(struct pf_session *s, bool pause)
{
    s->throttled = pause;
    for (struct pf_pair *p = s->pairs; p; p = p->next) {
        if (p->tcp == NULL || p->paused == pause)
            continue;
        p->paused = pause;
        if (pause)
            h2o_socket_read_stop(p->tcp);
    }
}

static void on_tcp_read(h2o_socket_t *sock, const char *err);

static void pairs_resume(struct pf_session *s)
{
    s->throttled = false;
    for (struct pf_pair *p = s->pairs; p; p = p->next) {
        if (p->tcp != NULL && p->paused) {
            p->paused = false;
            h2o_socket_read_start(p->tcp, on_tcp_read);
        }
    }
}

static void on_client_written_locked(h2o_socket_t *sock, const char *err)
{
    struct pf_session *s = sock->data;
    session_hold(s);
    free(s->out_flight);
    s->out_flight = NULL;
    if (err != NULL) {
        session_close(s);
    } else {
        if (s->throttled && s->out.len < PF_OUT_LOW)
            pairs_resume(s);
        session_kick(s);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_client_written(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_client_written_locked(sock, err);
    biglock_leave(took);
}

/* Hands the buffered output to the socket; closes when asked and flushed. */
static void session_kick(struct pf_session *s)
{
    if (s->sock == NULL || s->out_flight != NULL)
        return;
    if (s->out.len == 0) {
        if (s->closing)
            session_close(s);
        return;
    }
    size_t len;
    s->out_flight = buf_detach(&s->out, &len);
    buf_init(&s->out, PF_OUT_MAX);
    h2o_iovec_t v = h2o_iovec_init(s->out_flight, len);
    h2o_socket_write(s->sock, &v, 1, on_client_written);
    if (!s->throttled && len > PF_OUT_HIGH)
        pairs_pause(s, true);
}

/* ---- pairs ------------------------------------------------------------------------------- */

static struct pf_pair *pair_by_stream(struct pf_session *s, uint32_t id)
{
    for (struct pf_pair *p = s->pairs; p; p = p->next)
        if (id != 0 && (p->error_id == id || p->data_id == id))
            return p;
    return NULL;
}

static void pair_free(struct pf_pair *p)
{
    struct pf_session *s = p->s;
    for (struct pf_pair **pp = &s->pairs; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    s->npairs--;
    if (p->dial != NULL)
        p->dial->pair = NULL; /* the loop frees the job when the thread reports */
    if (p->tcp != NULL)
        h2o_socket_close(p->tcp);
    buf_release(&p->to_pod);
    free(p->to_pod_flight);
    free(p->request_id);
    free(p);
}

/* Ends the pair: FIN on both streams it has (a message on the error stream first if msg). */
static void pair_finish(struct pf_pair *p, const char *msg)
{
    struct pf_session *s = p->s;
    int rc = 0;
    if (p->error_id != 0 && !p->error_fin_sent) {
        if (msg != NULL)
            rc |= spdy_put_data(p->error_id, 0, msg, strlen(msg), &s->out);
        rc |= spdy_put_data(p->error_id, SPDY_FLAG_FIN, NULL, 0, &s->out);
        p->error_fin_sent = true;
    }
    if (p->data_id != 0 && !p->data_fin_sent) {
        rc |= spdy_put_data(p->data_id, SPDY_FLAG_FIN, NULL, 0, &s->out);
        p->data_fin_sent = true;
    }
    pair_free(p);
    if (rc != 0)
        session_overflow(s);
    else
        session_kick(s);
}

static void on_to_pod_written(h2o_socket_t *sock, const char *err);

static void to_pod_kick(struct pf_pair *p)
{
    if (p->tcp == NULL || p->to_pod_flight != NULL)
        return;
    if (p->to_pod.len > 0) {
        size_t len;
        p->to_pod_flight = buf_detach(&p->to_pod, &len);
        buf_init(&p->to_pod, PF_TO_POD_MAX);
        h2o_iovec_t v = h2o_iovec_init(p->to_pod_flight, len);
        h2o_socket_write(p->tcp, &v, 1, on_to_pod_written);
        return;
    }
    if (p->client_fin) /* the client is done sending: so is the pod's peer */
        shutdown(h2o_socket_get_fd(p->tcp), SHUT_WR);
}

static void on_to_pod_written_locked(h2o_socket_t *sock, const char *err)
{
    struct pf_pair *p = sock->data;
    struct pf_session *s = p->s;
    session_hold(s);
    free(p->to_pod_flight);
    p->to_pod_flight = NULL;
    if (err != NULL)
        pair_finish(p, NULL);
    else
        to_pod_kick(p);
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_to_pod_written(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_to_pod_written_locked(sock, err);
    biglock_leave(took);
}

static void on_tcp_read_locked(h2o_socket_t *sock, const char *err)
{
    struct pf_pair *p = sock->data;
    struct pf_session *s = p->s;
    session_hold(s);
    int rc = 0;
    for (size_t off = 0; off < sock->input->size && rc == 0; off += PF_CHUNK) {
        size_t n = sock->input->size - off < PF_CHUNK ? sock->input->size - off : PF_CHUNK;
        rc = spdy_put_data(p->data_id, 0, sock->input->bytes + off, n, &s->out);
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (rc != 0)
        session_overflow(s);
    else if (err != NULL)
        pair_finish(p, NULL); /* the pod side closed */
    else
        session_kick(s);
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_tcp_read(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_tcp_read_locked(sock, err);
    biglock_leave(took);
}

/* ---- connecting inside the pod (helper threads) ------------------------------------------ */

static __thread struct { /* one per request loop: a dial ends on the loop that started it */
    int wfd;                 /* threads write the finished job's pointer here */
    h2o_socket_t *rsock;     /* the loop reads them */
} dialer = {-1, NULL};

static int dial_one(int family, int port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct timeval tv = {.tv_sec = PF_CONNECT_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); /* bounds connect() */
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    }
    if (rc != 0) {
        int e = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
        close(fd);
        return -e;
    }
    struct timeval none = {0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
    return fd;
}

/* The thread: into the pod's network namespace (this thread only), localhost over IPv4,
 * then IPv6, as containerd dials; the socket stays in the pod's namespace after we leave. */
static void *dial_thread(void *arg)
{
    struct pf_dial *d = arg;
    d->fd = -1;
    d->errno4 = d->errno6 = 0;
    int nsfd = d->netns ? open(d->netns, O_RDONLY | O_CLOEXEC) : -1;
    if (d->netns != NULL && (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)) {
        d->errno4 = d->errno6 = errno ? errno : EINVAL;
    } else {
        int fd = dial_one(AF_INET, d->port);
        if (fd < 0) {
            d->errno4 = -fd;
            fd = dial_one(AF_INET6, d->port);
            if (fd < 0)
                d->errno6 = -fd;
        }
        d->fd = fd;
    }
    if (nsfd >= 0)
        close(nsfd);
    ssize_t w;
    do
        w = write(d->wfd, &d, sizeof(d)); /* < PIPE_BUF: atomic */
    while (w < 0 && errno == EINTR);
    return NULL;
}

static void dial_done(struct pf_dial *d)
{
    struct pf_pair *p = d->pair;
    if (p == NULL) { /* cancelled */
        if (d->fd >= 0)
            close(d->fd);
    } else {
        struct pf_session *s = p->s;
        session_hold(s);
        p->dial = NULL;
        if (d->fd < 0) {
            char *msg = portforward_dial_error(p->port, s->sandbox_id, d->errno4, d->errno6);
            log_info("port-forward: %s", msg);
            pair_finish(p, msg);
            free(msg);
        } else {
            int fl = fcntl(d->fd, F_GETFL);
            if (fl >= 0)
                (void)fcntl(d->fd, F_SETFL, fl | O_NONBLOCK);
            p->tcp = h2o_evloop_socket_create(s->loop, d->fd, 0);
            p->tcp->data = p;
            p->paused = s->throttled;
            if (!p->paused)
                h2o_socket_read_start(p->tcp, on_tcp_read);
            to_pod_kick(p);
        }
        session_release(s);
    }
    free(d->netns);
    free(d);
}

static void on_dialer_read_locked(h2o_socket_t *sock, const char *err)
{
    while (sock->input->size >= sizeof(struct pf_dial *)) {
        struct pf_dial *d;
        memcpy(&d, sock->input->bytes, sizeof(d));
        h2o_buffer_consume(&sock->input, sizeof(d));
        dial_done(d);
    }
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_dialer_read(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_dialer_read_locked(sock, err);
    biglock_leave(took);
}

static int dialer_init(h2o_loop_t *loop)
{
    if (dialer.rsock != NULL)
        return 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return AZ_EINTERNAL;
    int fl = fcntl(p[0], F_GETFL);
    if (fl >= 0)
        (void)fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    dialer.wfd = p[1];
    dialer.rsock = h2o_evloop_socket_create(loop, p[0], 0);
    h2o_socket_read_start(dialer.rsock, on_dialer_read);
    return 0;
}

static void pair_dial(struct pf_pair *p)
{
    struct pf_session *s = p->s;
    struct pf_dial *d = xcalloc(1, sizeof(*d));
    d->pair = p;
    d->netns = s->netns ? xstrdup(s->netns) : NULL;
    d->port = p->port;
    d->fd = -1;
    d->wfd = dialer.wfd;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, dial_thread, d);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(d->netns);
        free(d);
        char *msg = portforward_dial_error(p->port, s->sandbox_id, rc, rc);
        pair_finish(p, msg);
        free(msg);
        return;
    }
    p->dial = d;
}

/* ---- frames from the client -------------------------------------------------------------- */

/* kubelet's checks of a new stream; NULL when it is accepted */
static const char *stream_check(const struct spdy_headers *h, int *ret_port, bool *ret_error)
{
    const char *type = spdy_header_get(h, "streamtype"), *port = spdy_header_get(h, "port");
    if (type == NULL || (strcmp(type, "error") != 0 && strcmp(type, "data") != 0))
        return "invalid stream type";
    if (port == NULL || *port == '\0')
        return "port header is required";
    char *end;
    long v = strtol(port, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535)
        return "invalid port";
    *ret_port = (int)v;
    *ret_error = strcmp(type, "error") == 0;
    return NULL;
}

static int on_syn_stream(struct pf_session *s, const struct spdy_frame *f)
{
    struct spdy_headers h;
    int rc = spdy_headers_decode(&s->zin, f->payload, f->len, &h);
    if (rc != 0) {
        spdy_headers_release(&h);
        return rc; /* the compression context is broken: nothing after this can be read */
    }
    int port = 0;
    bool is_error = false;
    const char *bad = stream_check(&h, &port, &is_error);
    const char *rid = spdy_header_get(&h, "requestid");
    char legacy[16];
    if (bad == NULL && (rid == NULL || *rid == '\0')) {
        /* kubelet's fallback for clients without requestID: data streams follow their error
         * stream by 2 */
        snprintf(legacy, sizeof(legacy), "%u", is_error ? f->stream_id : f->stream_id - 2);
        rid = legacy;
    }
    struct pf_pair *p = NULL;
    if (bad == NULL && f->stream_id != 0 && pair_by_stream(s, f->stream_id) == NULL) {
        for (p = s->pairs; p; p = p->next)
            if (strcmp(p->request_id, rid) == 0)
                break;
        if (p != NULL && ((is_error && p->error_id != 0) || (!is_error && p->data_id != 0)))
            bad = "duplicate stream";
        else if (p == NULL && s->npairs >= PF_MAX_PAIRS)
            bad = "too many streams";
    } else if (bad == NULL) {
        bad = "invalid stream id";
    }
    if (bad != NULL) {
        log_info("port-forward: stream %u refused: %s", f->stream_id, bad);
        rc = spdy_put_rst(f->stream_id, SPDY_RST_REFUSED_STREAM, &s->out);
    } else {
        if (p == NULL) {
            p = xcalloc(1, sizeof(*p));
            p->s = s;
            p->request_id = xstrdup(rid);
            p->port = port;
            buf_init(&p->to_pod, PF_TO_POD_MAX);
            p->next = s->pairs;
            s->pairs = p;
            s->npairs++;
        }
        if (is_error)
            p->error_id = f->stream_id;
        else
            p->data_id = f->stream_id;
        if (is_error == false)
            p->port = port; /* the data stream's port is the one forwarded */
        rc = spdy_put_syn_reply(&s->zout, f->stream_id, 0, &s->out);
        if (rc == 0 && p->error_id != 0 && p->data_id != 0)
            pair_dial(p);
    }
    spdy_headers_release(&h);
    return rc;
}

static void on_data(struct pf_session *s, const struct spdy_frame *f)
{
    struct pf_pair *p = pair_by_stream(s, f->stream_id);
    if (p == NULL || f->stream_id != p->data_id)
        return; /* the error stream carries nothing from the client; closed streams: dropped */
    if (f->len > 0 && !p->client_fin && buf_append(&p->to_pod, f->payload, f->len) != 0) {
        log_info("port-forward: pod connection not reading, resetting stream %u", f->stream_id);
        (void)spdy_put_rst(p->data_id, SPDY_RST_CANCEL, &s->out);
        p->data_fin_sent = true;
        pair_finish(p, NULL);
        return;
    }
    if (f->flags & SPDY_FLAG_FIN)
        p->client_fin = true;
    to_pod_kick(p);
}

/* Handles one frame; a negative code ends the connection (protocol error). */
static int on_frame(struct pf_session *s, const struct spdy_frame *f)
{
    if (!f->control) {
        on_data(s, f);
        return 0;
    }
    switch (f->type) {
    case SPDY_SYN_STREAM:
        return on_syn_stream(s, f);
    case SPDY_RST_STREAM: {
        struct pf_pair *p = pair_by_stream(s, f->stream_id);
        if (p != NULL) {
            if (p->error_id == f->stream_id)
                p->error_fin_sent = true; /* nothing more may be sent on a reset stream */
            else
                p->data_fin_sent = true;
            pair_finish(p, NULL);
        }
        return 0;
    }
    case SPDY_PING:
        return spdy_put_ping(f->value, &s->out);
    case SPDY_GOAWAY:
        s->closing = true;
        return 0;
    case SPDY_HEADERS: {
        /* keeps the compression contexts in step; the headers mean nothing here */
        struct spdy_headers h;
        int rc = spdy_headers_decode(&s->zin, f->payload, f->len, &h);
        spdy_headers_release(&h);
        return rc;
    }
    default: /* SETTINGS, WINDOW_UPDATE (no flow control), SYN_REPLY, unknown: ignored */
        return 0;
    }
}

static void on_client_read_locked(h2o_socket_t *sock, const char *err)
{
    struct pf_session *s = sock->data;
    session_hold(s);
    if (err != NULL) {
        session_close(s);
        session_release(s);
        return;
    }
    size_t off = 0;
    bool broken = false;
    while (!broken && s->sock != NULL) {
        struct spdy_frame f;
        ssize_t n = spdy_frame_parse((const uint8_t *)sock->input->bytes + off, sock->input->size - off, &f);
        if (n == 0)
            break;
        if (n < 0 || on_frame(s, &f) != 0) {
            broken = true;
            break;
        }
        off += (size_t)n;
    }
    if (s->sock != NULL) {
        h2o_buffer_consume(&sock->input, off);
        if (broken || sock->input->size > PF_IN_MAX) {
            log_info("port-forward: protocol error from the client, closing");
            (void)spdy_put_goaway(0, 1, &s->out);
            s->closing = true;
            h2o_socket_read_stop(sock);
        }
        session_kick(s);
    }
    session_release(s);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_client_read(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_client_read_locked(sock, err);
    biglock_leave(took);
}

/* ---- the handler ------------------------------------------------------------------------- */

static void on_upgraded_locked(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    struct pf_session *s = user_data;
    if (sock == NULL) {
        session_hold(s);
        session_release(s);
        return;
    }
    h2o_buffer_consume(&sock->input, reqsize);
    s->sock = sock;
    sock->data = s;
    h2o_socket_read_start(sock, on_client_read);
    if (sock->input->size > 0)
        on_client_read(sock, NULL);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_upgraded(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    bool took = biglock_enter();
    on_upgraded_locked(user_data, sock, reqsize);
    biglock_leave(took);
}

bool http_header_has_token(h2o_req_t *req, const char *name, size_t name_len, const char *token)
{
    for (ssize_t i = h2o_find_header_by_str(&req->headers, name, name_len, -1); i != -1;
         i = h2o_find_header_by_str(&req->headers, name, name_len, i)) {
        h2o_iovec_t v = req->headers.entries[i].value;
        size_t tl = strlen(token), k = 0;
        while (k < v.len) {
            while (k < v.len && (v.base[k] == ' ' || v.base[k] == ','))
                k++;
            size_t st = k;
            while (k < v.len && v.base[k] != ',')
                k++;
            size_t e = k;
            while (e > st && v.base[e - 1] == ' ')
                e--;
            if (e - st == tl && strncasecmp(v.base + st, token, tl) == 0)
                return true;
        }
    }
    return false;
}

int http_portforward_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                            json_t **ret_status)
{
    (void)q;
    if (req->upgrade.base == NULL) {
        *ret_status = status_bad_request("Upgrade request required");
        return AZ_EBADREQUEST;
    }
    if (req->version >= 0x200 || !(req->upgrade.len == 8 && strncasecmp(req->upgrade.base, "SPDY/3.1", 8) == 0)) {
        /* the WebSocket tunnel (PortForwardWebsockets) is not served: kubectl falls back to
         * SPDY on an upgrade failure */
        *ret_status = status_bad_request("unable to upgrade connection: only the SPDY/3.1 protocol "
                                         "portforward.k8s.io is supported");
        return AZ_EBADREQUEST;
    }
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-stream-protocol-version"), -1) == -1) {
        *ret_status = status_bad_request("unable to upgrade: X-Stream-Protocol-Version is required");
        return AZ_EBADREQUEST;
    }
    if (!http_header_has_token(req, H2O_STRLIT("x-stream-protocol-version"), pf_protocol)) {
        *ret_status = status_new(AZ_EFORBIDDEN, "unable to upgrade: unable to negotiate protocol: "
                                 "server accepts [portforward.k8s.io]", NULL);
        return AZ_EFORBIDDEN;
    }
    char *netns = NULL, *id = NULL, *err = NULL;
    int rc = node_pod_netns(ns, pod, &netns, &id, &err);
    if (rc != 0) {
        *ret_status = status_new(rc, err ? err : "port-forward failed", NULL);
        free(err);
        return rc;
    }
    h2o_loop_t *loop = req->conn->ctx->loop;
    struct pf_session *s = xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->netns = netns;
    s->sandbox_id = id;
    buf_init(&s->out, PF_OUT_MAX);
    if (dialer_init(loop) != 0 || spdy_inflate_init(&s->zin) != 0 || spdy_deflate_init(&s->zout) != 0) {
        /* zlib contexts are freed with the session (inflateEnd/deflateEnd accept unset ones) */
        session_hold(s);
        session_release(s);
        *ret_status = status_internal("port-forward: cannot set up the connection");
        return AZ_EINTERNAL;
    }
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("SPDY/3.1"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-stream-protocol-version"), 0, NULL,
                          pf_protocol, sizeof(pf_protocol) - 1);
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, s);
    return 0;
}
