/* etcd_probe_test.c — the consistent-read probe's own HTTP/2 client (src/store/etcd_probe.c):
 * the answer parser on hand-made frame sequences, and the client against a scripted fake
 * server on loopback (the request's bytes, a reused connection the server closed, a
 * trailers-only gRPC error, no answer, the stop flag). Against real etcd the client is
 * covered by unit/etcd_test (test_sync_async: every fetch on it) and the e2e etcd tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/etcd_probe.h"
#include "util/err.h"

struct bytes {
    unsigned char b[1024];
    size_t n;
};

static void frame(struct bytes *o, int type, int flags, uint32_t sid, const void *pl, size_t len)
{
    unsigned char *p = o->b + o->n;
    p[0] = (unsigned char)(len >> 16), p[1] = (unsigned char)(len >> 8), p[2] = (unsigned char)len;
    p[3] = (unsigned char)type, p[4] = (unsigned char)flags;
    p[5] = (unsigned char)(sid >> 24), p[6] = (unsigned char)(sid >> 16), p[7] = (unsigned char)(sid >> 8);
    p[8] = (unsigned char)sid;
    if (len > 0)
        memcpy(p + 9, pl, len);
    o->n += 9 + len;
}

/* gRPC message RangeResponse{header{revision = rev}} for rev < 128 */
static const unsigned char *msg_rev(unsigned char rev)
{
    static unsigned char m[9] = {0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x18, 0x00};
    m[8] = rev;
    return m;
}

static const unsigned char status_hdr[] = {0x88};          /* :status 200 (static 8) */
static const unsigned char trailer_hdr[] = {0x40, 0x0b, 'g', 'r', 'p', 'c', '-', 's', 't', 'a', 't', 'u', 's', 0x01, '0'};

/* a clean answer on stream sid: SETTINGS, HEADERS, DATA, trailers */
static void answer(struct bytes *o, uint32_t sid, unsigned char rev)
{
    frame(o, 4, 0, 0, "\x00\x03\x00\x00\x00\x64", 6);
    frame(o, 1, 4, sid, status_hdr, sizeof(status_hdr));
    frame(o, 0, 0, sid, msg_rev(rev), 9);
    frame(o, 1, 5, sid, trailer_hdr, sizeof(trailer_hdr));
}

static void test_parse(void **state)
{
    (void)state;
    struct bytes o = {0};
    answer(&o, 1, 7);
    assert_int_equal(etcd_probe_parse_answer(o.b, o.n), 7);
    assert_int_equal(etcd_probe_parse_answer(o.b, o.n - 1), -1); /* trailers cut */

    /* a PING, a WINDOW_UPDATE, an older stream's DATA and the DATA split in two, padded */
    o.n = 0;
    frame(&o, 6, 0, 0, "12345678", 8);
    frame(&o, 8, 0, 0, "\x00\x00\x10\x00", 4);
    frame(&o, 0, 0, 3, "zz", 2);
    frame(&o, 1, 4, 1, status_hdr, 1);
    frame(&o, 0, 0, 1, msg_rev(9), 4);
    unsigned char padded[1 + 5 + 2];
    padded[0] = 2;
    memcpy(padded + 1, msg_rev(9) + 4, 5);
    padded[6] = padded[7] = 0;
    frame(&o, 0, 8, 1, padded, sizeof(padded));
    frame(&o, 1, 5, 1, trailer_hdr, sizeof(trailer_hdr));
    assert_int_equal(etcd_probe_parse_answer(o.b, o.n), 9);

    /* refused: trailers-only (a gRPC error), RST_STREAM, GOAWAY, END_STREAM on DATA, a bad
     * padding, an oversized frame, a SETTINGS of the wrong length, a message that is not one */
    struct bytes bad[8] = {0};
    frame(&bad[0], 1, 5, 1, trailer_hdr, sizeof(trailer_hdr));
    frame(&bad[1], 1, 4, 1, status_hdr, 1);
    frame(&bad[1], 3, 0, 1, "\x00\x00\x00\x02", 4);
    frame(&bad[2], 7, 0, 0, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
    answer(&bad[2], 1, 5);
    frame(&bad[3], 0, 1, 1, msg_rev(5), 9);
    frame(&bad[4], 0, 8, 1, "\x09zz", 3);
    frame(&bad[4], 1, 5, 1, trailer_hdr, sizeof(trailer_hdr));
    bad[5].b[0] = 0x00, bad[5].b[1] = 0x40, bad[5].b[2] = 0x01, bad[5].n = 9; /* 16 KiB + 1 */
    frame(&bad[6], 4, 0, 0, "\x00\x03\x00", 3);
    answer(&bad[6], 1, 5);
    frame(&bad[7], 0, 0, 1, "\x00\x00\x00\x00\x09\x0a\x02\x18\x05", 9);
    frame(&bad[7], 1, 5, 1, trailer_hdr, sizeof(trailer_hdr));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(etcd_probe_parse_answer(bad[i].b, bad[i].n), -1);
}

static void test_urls(void **state)
{
    (void)state;
    static const char *ok[] = {"http://127.0.0.1:2379", "http://localhost:2379", "http://[::1]:2379", "http://etcd"};
    static const char *no[] = {"https://127.0.0.1:2379", "http://127.0.0.1:2379/x", "http://u@h:1", "http://:1",
                               "http://h:", "http://h:123456", "http://[::1", "unix:///x"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct etcd_probe *p = etcd_probe_new(ok[i], "/registry", 9);
        assert_non_null(p);
        etcd_probe_free(p);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_null(etcd_probe_new(no[i], "/registry", 9));
    char key[121];
    memset(key, 'k', sizeof(key));
    assert_null(etcd_probe_new("http://127.0.0.1:1", key, 121));
}

static bool contains(const struct bytes *b, const void *s, size_t n)
{
    for (size_t i = 0; i + n <= b->n; i++)
        if (memcmp(b->b + i, s, n) == 0)
            return true;
    return false;
}

/* ---- the fake server: per request, what it does ---- */
enum act { ANSWER, ANSWER_CLOSE, ERROR_ONLY, SILENT, PING_ANSWER };
struct fake {
    int lfd, port;
    enum act acts[8];
    size_t nacts;
    struct bytes first_req; /* the first request's bytes (preface and frames) */
    struct bytes reqs[8];   /* each request's bytes */
    atomic_int served;
    atomic_int received;    /* requests received (counted before they are answered) */
    atomic_int idle_acks;   /* PING acknowledgements received on their own (not with a request) */
};

static const unsigned char ping_ack[] = {0x00, 0x00, 0x08, 0x06, 0x01, 0x00, 0x00, 0x00, 0x00,
                                         0x02, 0x04, 0x10, 0x10, 0x09, 0x0e, 0x07, 0x07};

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    size_t k = 0;
    while (k < f->nacts) {
        int c = accept(f->lfd, NULL, NULL);
        if (c < 0)
            return NULL;
        uint32_t sid = 1;
        bool open = true;
        while (open && k < f->nacts) {
            unsigned char in[1024];
            ssize_t n = recv(c, in, sizeof(in), 0);
            if (n <= 0)
                break;
            struct bytes got = {.n = (size_t)n};
            memcpy(got.b, in, (size_t)n);
            if (!contains(&got, "/etcdserverpb.KV/Range", 22)) { /* an acknowledgement: not a request */
                if (contains(&got, ping_ack, sizeof(ping_ack)))
                    atomic_fetch_add(&f->idle_acks, 1);
                continue;
            }
            if (k == 0 && f->first_req.n == 0) {
                memcpy(f->first_req.b, in, (size_t)n);
                f->first_req.n = (size_t)n;
            }
            memcpy(f->reqs[k].b, in, (size_t)n);
            f->reqs[k].n = (size_t)n;
            atomic_fetch_add(&f->received, 1);
            struct bytes o = {0};
            switch (f->acts[k]) {
            case PING_ANSWER: /* as etcd's bandwidth-estimation PING on the request's DATA */
                frame(&o, 8, 0, 0, "\x00\x00\x00\x14", 4);
                frame(&o, 6, 0, 0, "\x02\x04\x10\x10\x09\x0e\x07\x07", 8);
                answer(&o, sid, (unsigned char)(10 + k));
                break;
            case ANSWER:
            case ANSWER_CLOSE:
                answer(&o, sid, (unsigned char)(10 + k));
                break;
            case ERROR_ONLY:
                frame(&o, 1, 5, sid, trailer_hdr, sizeof(trailer_hdr));
                break;
            case SILENT:
                break;
            }
            if (o.n > 0 && send(c, o.b, o.n, MSG_NOSIGNAL) != (ssize_t)o.n)
                break;
            open = f->acts[k] != ANSWER_CLOSE;
            k++;
            atomic_store(&f->served, (int)k);
            sid += 2;
        }
        if (k == f->nacts && f->acts[k - 1] == SILENT) {
            unsigned char in[256];
            while (recv(c, in, sizeof(in), 0) > 0) /* until the client drops it */
                ;
        }
        close(c);
    }
    return NULL;
}

static void fake_start(struct fake *f, pthread_t *t)
{
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
    f->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(t, NULL, fake_main, f), 0);
}

static struct etcd_probe *client(struct fake *f)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->port);
    struct etcd_probe *p = etcd_probe_new(url, "/registry", 9);
    assert_non_null(p);
    return p;
}

/* The fake server started on its thread *t, and a client of it. */
static struct etcd_probe *fake_client(struct fake *f, pthread_t *t)
{
    fake_start(f, t);
    return client(f);
}

/* Frees the client, waits for the fake server's thread and closes its socket. */
static void fake_done(struct fake *f, pthread_t t, struct etcd_probe *p)
{
    etcd_probe_free(p);
    pthread_join(t, NULL);
    close(f->lfd);
}

/* etcd_probe_on_send's hook: how many requests the fake server had received when each
 * request was about to be written */
struct sends {
    struct fake *f;
    int received[8];
    size_t n;
};

static void on_send(void *arg)
{
    struct sends *s = arg;
    if (s->n < 8)
        s->received[s->n] = atomic_load(&s->f->received);
    s->n++;
}

static void test_client(void **state)
{
    (void)state;
    struct fake f = {.acts = {ANSWER, ANSWER_CLOSE, ANSWER, ERROR_ONLY, ANSWER}, .nacts = 5};
    pthread_t t;
    struct etcd_probe *p = fake_client(&f, &t);
    struct sends sn = {.f = &f};
    etcd_probe_on_send(p, on_send, &sn);
    int64_t rev = 0;
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 10);
    /* the first request: the preface, then HEADERS with the path and DATA with the key */
    assert_true(f.first_req.n > 24 && memcmp(f.first_req.b, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) == 0);
    assert_true(contains(&f.first_req, "/etcdserverpb.KV/Range", 22));
    assert_true(contains(&f.first_req, "\x0a\x09/registry\x48\x01", 13));
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0); /* then the server closes */
    assert_int_equal(rev, 11);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0); /* retried on a new connection */
    assert_int_equal(rev, 12);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), AZ_EUNAVAILABLE); /* trailers-only */
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0); /* reconnected */
    assert_int_equal(rev, 14);
    /* the hook ran before every request was written, the retry's included: each time, the
     * server had received only the earlier requests (the consistent-read barrier takes its
     * waiters there, so none that arrives after the request can share its answer) */
    assert_int_equal(sn.n, 6);
    static const int want[] = {0, 1, 2, 2, 3, 4};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(sn.received[i], want[i]);
    fake_done(&f, t, p);
}

/* The request in two halves: etcd_probe_start writes on an open connection only (else -1,
 * and the blocking etcd_probe_range connects), etcd_probe_finish reads the answer; an idle
 * connection the server closed is noticed by etcd_probe_idle_read. */
static void test_start_finish(void **state)
{
    (void)state;
    struct fake f = {.acts = {ANSWER, ANSWER_CLOSE, ANSWER, ANSWER}, .nacts = 4};
    pthread_t t;
    struct etcd_probe *p = fake_client(&f, &t);
    int64_t rev = 0;
    assert_int_equal(etcd_probe_fd(p), -1);
    assert_int_equal(etcd_probe_start(p), -1); /* no connection yet */
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 10);
    assert_true(etcd_probe_fd(p) >= 0);
    assert_int_equal(etcd_probe_start(p), 0);
    assert_int_equal(etcd_probe_finish(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 11); /* then the server closes */
    struct pollfd pfd = {.fd = etcd_probe_fd(p), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 20000), 1);
    etcd_probe_idle_read(p);
    assert_int_equal(etcd_probe_fd(p), -1);
    assert_int_equal(etcd_probe_start(p), -1);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0); /* a new connection */
    assert_int_equal(rev, 12);
    assert_int_equal(etcd_probe_start(p), 0);
    assert_int_equal(etcd_probe_finish(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 13);
    fake_done(&f, t, p);
}

/* etcd's PING is acknowledged 100 ms late: not with the request right after it (etcd would
 * answer that request's DATA with another PING), but with a request once it is due, or by
 * etcd_probe_flush while the client is idle. */
static void test_ping_ack_held(void **state)
{
    (void)state;
    struct fake f = {.acts = {PING_ANSWER, ANSWER, ANSWER, PING_ANSWER, ANSWER}, .nacts = 5};
    pthread_t t;
    struct etcd_probe *p = fake_client(&f, &t);
    int64_t rev = 0;
    assert_int_equal(etcd_probe_ack_wait_ms(p), -1);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 10);
    long wait = etcd_probe_ack_wait_ms(p);
    assert_true(wait > 0 && wait <= 100);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 11);
    assert_false(contains(&f.reqs[1], ping_ack, sizeof(ping_ack))); /* held */
    usleep(120 * 1000);
    assert_int_equal(etcd_probe_ack_wait_ms(p), 0);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 12);
    assert_true(contains(&f.reqs[2], ping_ack, sizeof(ping_ack))); /* due: with the request */
    assert_int_equal(etcd_probe_ack_wait_ms(p), -1);
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0);
    assert_int_equal(rev, 13);
    etcd_probe_flush(p); /* not due yet: nothing sent */
    assert_true(etcd_probe_ack_wait_ms(p) > 0);
    usleep(120 * 1000);
    etcd_probe_flush(p);
    assert_int_equal(etcd_probe_ack_wait_ms(p), -1);
    for (int i = 0; atomic_load(&f.idle_acks) == 0 && i < 20000; i++) /* safety net: 20 s */
        usleep(1000);
    assert_int_equal(atomic_load(&f.idle_acks), 1); /* idle: on its own */
    assert_int_equal(etcd_probe_range(p, 20000, NULL, &rev), 0); /* the connection goes on */
    assert_int_equal(rev, 14);
    fake_done(&f, t, p);
}

static atomic_int stop_flag;

static void *set_stop(void *arg)
{
    struct fake *f = arg;
    while (atomic_load(&f->served) < 1)
        usleep(1000);
    atomic_store(&stop_flag, 1);
    return NULL;
}

static void test_timeout_and_stop(void **state)
{
    (void)state;
    struct fake f = {.acts = {SILENT}, .nacts = 1};
    pthread_t t, s;
    fake_start(&f, &t);
    struct etcd_probe *p = client(&f);
    int64_t rev = 0;
    assert_int_equal(etcd_probe_range(p, 300, NULL, &rev), AZ_ETIMEOUT); /* no answer */
    etcd_probe_free(p);
    pthread_join(t, NULL);
    close(f.lfd);

    struct fake g = {.acts = {SILENT}, .nacts = 1};
    fake_start(&g, &t);
    p = client(&g);
    atomic_store(&stop_flag, 0);
    assert_int_equal(pthread_create(&s, NULL, set_stop, &g), 0);
    assert_int_equal(etcd_probe_range(p, 600000, &stop_flag, &rev), AZ_ETIMEOUT); /* stopped, not 10 min */
    pthread_join(s, NULL);
    etcd_probe_free(p);
    pthread_join(t, NULL);
    close(g.lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_ping_ack_held),
        cmocka_unit_test(test_start_finish),
        cmocka_unit_test(test_timeout_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
