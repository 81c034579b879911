/* etcd_probe.c — the revision probe's minimal HTTP/2 client (see etcd_probe.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/etcd.h"
#include "store/etcd_probe.h"
#include "util/buf.h"
#include "util/err.h"

#define PROBE_MAX_KEY 120
#define FRAME_MAX 16384          /* SETTINGS_MAX_FRAME_SIZE: we never raise the default */
#define MSG_MAX 512              /* a RangeResponse with count_only is a few dozen bytes */
#define WINDOW_BIG 0x7fff0000u   /* the connection window we open at once */
#define WINDOW_TOPUP (1u << 30)  /* received DATA bytes after which we give them back */
#define LAST_SID 0x7ffffff0u     /* stream ids run out: a new connection */
#define CONNECT_TIMEOUT_MS 1000  /* as the rest of the backend (libcurl) */
#define SLICE_MS 100             /* the stop flag is looked at this often */
#define HELLO_LEN (24 + 9 + 13)  /* the connection preface, SETTINGS and WINDOW_UPDATE */
/* A PING's acknowledgement is held this long and then rides with the next request (or is sent
 * by etcd_probe_flush): etcd (grpc-go) sends a bandwidth-estimation PING, with a connection
 * WINDOW_UPDATE, on the first DATA after its previous PING was acknowledged, so acknowledging
 * at once cost every probe two more frames from etcd, one more wake-up and one more send. */
#define PING_ACK_DELAY_MS 100

enum { F_DATA = 0, F_HEADERS = 1, F_RST = 3, F_SETTINGS = 4, F_PUSH = 5, F_PING = 6, F_GOAWAY = 7 };
enum { FL_END_STREAM = 1, FL_ACK = 1, FL_END_HEADERS = 4, FL_PADDED = 8 };

/* The answer parser's state for one stream. */
struct rx {
    uint32_t sid;
    int state;          /* 0 going, 1 answered (rev set), -1 failed */
    bool seen;          /* a frame of this stream arrived */
    int64_t rev;
    unsigned char msg[MSG_MAX];
    size_t msg_len;
    unsigned char out[128]; /* acknowledgements and window updates to send */
    size_t out_len;
    bool ping;          /* a PING arrived (its payload in ping_data): the caller holds its ack */
    unsigned char ping_data[8];
    uint64_t *unacked;  /* DATA bytes received on the connection since the last top-up */
};

struct etcd_probe {
    char *host, *port;
    int fd;             /* -1: not connected */
    uint32_t sid;       /* the next stream id */
    uint32_t stream;    /* the stream of the request last written */
    uint64_t unacked;
    bool ack_pending;   /* a PING not yet acknowledged: ack_frame, due at ack_due (now_ms) */
    int64_t ack_due;
    unsigned char ack_frame[17];
    etcd_probe_send_fn on_send; /* etcd_probe_on_send */
    void *on_send_arg;
    unsigned char req[9 + 256 + 9 + 5 + 4 + PROBE_MAX_KEY]; /* HEADERS + DATA frames */
    size_t hdr_len, req_len;
    unsigned char in[9 + FRAME_MAX];
    size_t in_len;
};

static void frame_head(unsigned char *p, size_t len, int type, int flags, uint32_t sid)
{
    p[0] = (unsigned char)(len >> 16), p[1] = (unsigned char)(len >> 8), p[2] = (unsigned char)len;
    p[3] = (unsigned char)type, p[4] = (unsigned char)flags;
    p[5] = (unsigned char)(sid >> 24 & 0x7f), p[6] = (unsigned char)(sid >> 16);
    p[7] = (unsigned char)(sid >> 8), p[8] = (unsigned char)sid;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static bool queue(struct rx *rx, size_t n)
{
    return rx->out_len + n <= sizeof(rx->out);
}

/* One complete frame (head + payload of len bytes). */
static void rx_frame(struct rx *rx, const unsigned char *h, size_t len)
{
    int type = h[3], flags = h[4];
    uint32_t s = ((uint32_t)h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
    const unsigned char *pl = h + 9;
    switch (type) {
    case F_DATA:
        if (s == 0) {
            rx->state = -1;
            return;
        }
        *rx->unacked += len;
        if (*rx->unacked >= WINDOW_TOPUP) {
            frame_head(rx->out + rx->out_len, 4, 8, 0, 0);
            put32(rx->out + rx->out_len + 9, (uint32_t)*rx->unacked);
            rx->out_len += 13;
            *rx->unacked = 0;
        }
        if (s != rx->sid)
            return; /* an older stream's */
        rx->seen = true;
        if (flags & FL_PADDED) {
            if (len < 1 || (size_t)pl[0] + 1 > len) {
                rx->state = -1;
                return;
            }
            len -= (size_t)pl[0] + 1;
            pl++;
        }
        if (rx->msg_len + len > sizeof(rx->msg) || (flags & FL_END_STREAM)) { /* gRPC ends with trailers */
            rx->state = -1;
            return;
        }
        memcpy(rx->msg + rx->msg_len, pl, len);
        rx->msg_len += len;
        return;
    case F_HEADERS:
        if (s == 0) {
            rx->state = -1;
        } else if (s == rx->sid) {
            rx->seen = true;
            if (flags & FL_END_STREAM) { /* the trailers (or a trailers-only error: no message) */
                rx->rev = store_etcd_grpc_header_rev(rx->msg, rx->msg_len);
                rx->state = rx->rev > 0 ? 1 : -1;
            }
        }
        return;
    case F_RST:
        if (s == rx->sid || s == 0) {
            rx->seen = rx->seen || s == rx->sid;
            rx->state = -1;
        }
        return;
    case F_SETTINGS:
        if (s != 0 || (!(flags & FL_ACK) && len % 6 != 0) || ((flags & FL_ACK) && len != 0))
            rx->state = -1;
        else if (!(flags & FL_ACK)) {
            frame_head(rx->out + rx->out_len, 0, F_SETTINGS, FL_ACK, 0);
            rx->out_len += 9;
        }
        return;
    case F_PING:
        if (s != 0 || len != 8)
            rx->state = -1;
        else if (!(flags & FL_ACK)) {
            rx->ping = true;
            memcpy(rx->ping_data, pl, 8);
        }
        return;
    case F_PUSH:   /* never asked for by a gRPC client */
    case F_GOAWAY: /* this connection is done: the caller reconnects */
        rx->state = -1;
        return;
    default:       /* PRIORITY, WINDOW_UPDATE, CONTINUATION, unknown: nothing to do */
        return;
    }
}

/* Consumes complete frames of in[0..n) while the stream goes on, the output has room for one
 * more reply and no PING waits for the caller; returns the bytes consumed. A frame over
 * FRAME_MAX fails the stream. */
static size_t rx_frames(struct rx *rx, const unsigned char *in, size_t n)
{
    size_t used = 0;
    while (rx->state == 0 && !rx->ping && n - used >= 9 && queue(rx, 17)) {
        const unsigned char *h = in + used;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        if (len > FRAME_MAX) {
            rx->state = -1;
            break;
        }
        if (n - used - 9 < len)
            break;
        rx_frame(rx, h, len);
        used += 9 + len;
    }
    return used;
}

int64_t etcd_probe_parse_answer(const unsigned char *data, size_t n)
{
    uint64_t unacked = 0;
    struct rx rx = {.sid = 1, .unacked = &unacked};
    size_t used = 0;
    for (;;) {
        size_t k = rx_frames(&rx, data + used, n - used);
        used += k;
        rx.out_len = 0;
        rx.ping = false;
        if (rx.state != 0 || k == 0)
            break;
    }
    return rx.state == 1 ? rx.rev : -1;
}

/* ---- the client -------------------------------------------------------------------------- */

static void lit(unsigned char **p, const char *s, size_t n)
{
    *(*p)++ = (unsigned char)n; /* n < 127: one byte, no Huffman */
    memcpy(*p, s, n);
    *p += n;
}

struct etcd_probe *etcd_probe_new(const char *url, const char *key, size_t key_len)
{
    if (strncmp(url, "http://", 7) != 0 || key_len > PROBE_MAX_KEY)
        return NULL;
    const char *h = url + 7, *end = h + strlen(h), *colon;
    const char *hs = h, *he;
    if (*h == '[') { /* [IPv6] */
        hs = h + 1;
        if ((he = memchr(hs, ']', (size_t)(end - hs))) == NULL)
            return NULL;
        colon = he + 1 < end && he[1] == ':' ? he + 1 : NULL;
        if (colon == NULL && he + 1 != end)
            return NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        he = colon != NULL ? colon : end;
    }
    size_t authority_len = (size_t)(end - h);
    if (he == hs || authority_len > 100 || memchr(h, '/', authority_len) != NULL || memchr(h, '@', authority_len) != NULL)
        return NULL;
    const char *port = colon != NULL ? colon + 1 : "80";
    size_t port_len = colon != NULL ? (size_t)(end - port) : 2;
    if (port_len == 0 || port_len > 5 || strspn(port, "0123456789") < port_len)
        return NULL;
    struct etcd_probe *p = xcalloc(1, sizeof(*p));
    p->host = xstrndup(hs, (size_t)(he - hs));
    p->port = xstrndup(port, port_len);
    p->fd = -1;
    /* HPACK, nothing indexed: :method POST (static 3), :scheme http (6), :path and
     * :authority as literals with indexed names (4, 1), content-type (31: 4-bit prefix 15 + 16),
     * te with a literal name */
    unsigned char *q = p->req + 9;
    *q++ = 0x83;
    *q++ = 0x86;
    *q++ = 0x04;
    lit(&q, "/etcdserverpb.KV/Range", 22);
    *q++ = 0x01;
    lit(&q, h, authority_len);
    *q++ = 0x0f;
    *q++ = 0x10;
    lit(&q, "application/grpc", 16);
    *q++ = 0x00;
    lit(&q, "te", 2);
    lit(&q, "trailers", 8);
    p->hdr_len = (size_t)(q - (p->req + 9));
    /* DATA: one gRPC message, RangeRequest{key = 1, count_only = 9: true} */
    unsigned char *d = q + 9;
    size_t m = 2 + key_len + 2;
    d[0] = 0;
    put32(d + 1, (uint32_t)m);
    d[5] = 1 << 3 | 2;
    d[6] = (unsigned char)key_len;
    memcpy(d + 7, key, key_len);
    d[7 + key_len] = 9 << 3 | 0;
    d[8 + key_len] = 1;
    p->req_len = 9 + p->hdr_len + 9 + 5 + m;
    return p;
}

static void drop(struct etcd_probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    p->in_len = 0;
    p->ack_pending = false; /* its PING was the old connection's */
}

void etcd_probe_on_send(struct etcd_probe *p, etcd_probe_send_fn fn, void *arg)
{
    p->on_send = fn;
    p->on_send_arg = arg;
}

void etcd_probe_free(struct etcd_probe *p)
{
    if (p == NULL)
        return;
    drop(p);
    free(p->host);
    free(p->port);
    free(p);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline, in slices that look at stop: 1 ready, 0 timed out or
 * stopped, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline, atomic_int *stop)
{
    for (;;) {
        if (stop != NULL && atomic_load(stop))
            return 0;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static int dial(struct etcd_probe *p, int64_t deadline, atomic_int *stop)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(p->host, p->port, &hints, &ai) != 0)
        return -1;
    int64_t cdeadline = now_ms() + CONNECT_TIMEOUT_MS;
    if (cdeadline > deadline)
        cdeadline = deadline;
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1, err = 0;
        socklen_t el = sizeof(err);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_fd(fd, POLLOUT, cdeadline, stop) == 1 &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)) {
            freeaddrinfo(ai);
            p->fd = fd;
            p->sid = 1;
            p->unacked = 0;
            p->in_len = 0;
            return 0;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    return -1;
}

static int send_all(struct etcd_probe *p, const unsigned char *b, size_t n, int64_t deadline, atomic_int *stop)
{
    while (n > 0) {
        ssize_t w = send(p->fd, b, n, MSG_NOSIGNAL);
        if (w > 0) {
            b += w, n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(p->fd, POLLOUT, deadline, stop) != 1)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* The request's frames for a new stream (the preface first on a fresh connection, a held
 * PING acknowledgement last once it is due) into out; returns their length. */
static size_t request_frames(struct etcd_probe *p, bool fresh, unsigned char *out)
{
    static const unsigned char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    size_t n = 0;
    if (fresh) { /* the preface, empty SETTINGS and a large connection window */
        memcpy(out, preface, 24);
        frame_head(out + 24, 0, F_SETTINGS, 0, 0);
        frame_head(out + 33, 4, 8, 0, 0);
        put32(out + 42, WINDOW_BIG);
        n = HELLO_LEN;
    }
    uint32_t sid = p->sid;
    p->stream = sid;
    p->sid += 2;
    frame_head(p->req, p->hdr_len, F_HEADERS, FL_END_HEADERS, sid);
    frame_head(p->req + 9 + p->hdr_len, p->req_len - 18 - p->hdr_len, F_DATA, FL_END_STREAM, sid);
    memcpy(out + n, p->req, p->req_len);
    n += p->req_len;
    if (p->ack_pending && now_ms() >= p->ack_due) { /* after the DATA: etcd reads it first */
        memcpy(out + n, p->ack_frame, sizeof(p->ack_frame));
        n += sizeof(p->ack_frame);
        p->ack_pending = false;
    }
    if (p->on_send != NULL)
        p->on_send(p->on_send_arg);
    return n;
}

/* Parses the buffered input for rx (p->stream, or 0 for none), holds a PING's
 * acknowledgement and sends the other replies: rx->state, or -1 when a reply could not be
 * sent; *ret_used: whether frames were consumed. */
static int pump(struct etcd_probe *p, struct rx *rx, int64_t deadline, atomic_int *stop, bool *ret_used)
{
    size_t k = rx_frames(rx, p->in, p->in_len);
    memmove(p->in, p->in + k, p->in_len - k);
    p->in_len -= k;
    if (rx->ping) { /* held (PING_ACK_DELAY_MS); an older one still held goes now */
        if (p->ack_pending && queue(rx, 17)) {
            memcpy(rx->out + rx->out_len, p->ack_frame, sizeof(p->ack_frame));
            rx->out_len += sizeof(p->ack_frame);
        }
        frame_head(p->ack_frame, 8, F_PING, FL_ACK, 0);
        memcpy(p->ack_frame + 9, rx->ping_data, 8);
        p->ack_pending = true;
        p->ack_due = now_ms() + PING_ACK_DELAY_MS;
        rx->ping = false;
    }
    *ret_used = k > 0;
    int rc = rx->out_len > 0 && send_all(p, rx->out, rx->out_len, deadline, stop) != 0 ? -1 : rx->state;
    rx->out_len = 0;
    return rc;
}

/* Reads the answer of stream p->stream: 1 answered, 0 failed before anything of the stream
 * arrived on a reused connection (worth one retry on a new one), -1 failed, -2 timed out or
 * stopped. */
static int receive(struct etcd_probe *p, bool fresh, int64_t deadline, atomic_int *stop, int64_t *ret_rev)
{
    struct rx rx = {.sid = p->stream, .unacked = &p->unacked};
    for (;;) {
        bool used;
        int st = pump(p, &rx, deadline, stop, &used);
        if (st == 1) {
            *ret_rev = rx.rev;
            return 1;
        }
        if (st < 0)
            return rx.seen || fresh ? -1 : 0;
        if (used)
            continue;
        if ((stop != NULL && atomic_load(stop)) || now_ms() >= deadline)
            return -2;
        /* read first: the answer is often there already (a caller's poll saw it) */
        ssize_t got = recv(p->fd, p->in + p->in_len, sizeof(p->in) - p->in_len, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_fd(p->fd, POLLIN, deadline, stop);
            if (w == 0)
                return -2;
            if (w > 0)
                continue;
        }
        if (got <= 0) /* closed or reset: an idle connection the server dropped */
            return rx.seen || fresh ? -1 : 0;
        p->in_len += (size_t)got;
    }
}

/* One request on the current connection (connecting first if there is none): as receive. */
static int attempt(struct etcd_probe *p, int64_t deadline, atomic_int *stop, int64_t *ret_rev)
{
    bool fresh = false;
    if (p->fd >= 0 && p->sid >= LAST_SID)
        drop(p);
    if (p->fd < 0) {
        if (dial(p, deadline, stop) != 0)
            return stop != NULL && atomic_load(stop) ? -2 : -1;
        fresh = true;
    }
    unsigned char out[HELLO_LEN + sizeof(p->req) + sizeof(p->ack_frame)];
    size_t n = request_frames(p, fresh, out);
    if (send_all(p, out, n, deadline, stop) != 0)
        return now_ms() >= deadline || (stop != NULL && atomic_load(stop)) ? -2 : fresh ? -1 : 0;
    return receive(p, fresh, deadline, stop, ret_rev);
}

/* etcd_probe_range's and etcd_probe_finish's answer to attempt's or receive's result r,
 * retrying once on a new connection (from try tries) when r is 0. */
static int conclude(struct etcd_probe *p, int r, int tries, int64_t deadline, atomic_int *stop, int64_t *ret_rev)
{
    for (;;) {
        if (r == 1)
            return 0;
        drop(p);
        if (r == -2)
            return AZ_ETIMEOUT;
        if (r == -1 || ++tries >= 2)
            return AZ_EUNAVAILABLE;
        if (stop != NULL && atomic_load(stop))
            return AZ_ETIMEOUT;
        r = attempt(p, deadline, stop, ret_rev);
    }
}

int etcd_probe_range(struct etcd_probe *p, long timeout_ms, atomic_int *stop, int64_t *ret_rev)
{
    int64_t deadline = now_ms() + timeout_ms;
    if (stop != NULL && atomic_load(stop))
        return AZ_ETIMEOUT;
    return conclude(p, attempt(p, deadline, stop, ret_rev), 0, deadline, stop, ret_rev);
}

int etcd_probe_start(struct etcd_probe *p)
{
    if (p->fd < 0 || p->sid >= LAST_SID)
        return -1; /* no connection (or a new one is due): the blocking path */
    unsigned char out[HELLO_LEN + sizeof(p->req) + sizeof(p->ack_frame)];
    uint32_t sid = p->sid;
    bool ack = p->ack_pending;
    size_t n = request_frames(p, false, out);
    ssize_t w = send(p->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w == (ssize_t)n)
        return 0;
    if (w > 0) /* a part of a frame went out: the connection is unusable */
        drop(p);
    p->sid = sid; /* nothing went out: as if never asked */
    p->ack_pending = p->fd >= 0 && ack;
    return -1;
}

int etcd_probe_finish(struct etcd_probe *p, long timeout_ms, atomic_int *stop, int64_t *ret_rev)
{
    int64_t deadline = now_ms() + timeout_ms;
    return conclude(p, receive(p, false, deadline, stop, ret_rev), 0, deadline, stop, ret_rev);
}

int etcd_probe_fd(const struct etcd_probe *p)
{
    return p != NULL ? p->fd : -1;
}

void etcd_probe_idle_read(struct etcd_probe *p)
{
    if (p == NULL || p->fd < 0)
        return;
    for (;;) {
        ssize_t got = recv(p->fd, p->in + p->in_len, sizeof(p->in) - p->in_len, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) { /* closed: the next probe reconnects */
            drop(p);
            return;
        }
        p->in_len += (size_t)got;
        struct rx rx = {.sid = 0, .unacked = &p->unacked}; /* no stream of ours is open */
        bool used = true;
        int st = 0;
        while (st == 0 && used)
            st = pump(p, &rx, now_ms() + CONNECT_TIMEOUT_MS, NULL, &used);
        if (st != 0 || p->in_len == sizeof(p->in)) { /* a GOAWAY, an error, a frame too large */
            drop(p);
            return;
        }
    }
}

long etcd_probe_ack_wait_ms(const struct etcd_probe *p)
{
    if (p == NULL || !p->ack_pending || p->fd < 0)
        return -1;
    int64_t left = p->ack_due - now_ms();
    return left > 0 ? (long)left : 0;
}

void etcd_probe_flush(struct etcd_probe *p)
{
    if (p == NULL || !p->ack_pending || p->fd < 0 || now_ms() < p->ack_due)
        return;
    p->ack_pending = false;
    ssize_t w = send(p->fd, p->ack_frame, sizeof(p->ack_frame), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w != (ssize_t)sizeof(p->ack_frame))
        drop(p); /* a part of a frame, or a broken connection: the next probe reconnects */
}
