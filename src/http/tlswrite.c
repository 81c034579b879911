/* tlswrite.c — one TLS record for a small response, not one per buffer.
 *
 * Debian's libh2o 2.2.5 encrypts each buffer given to h2o_socket_write as its own TLS record
 * (one SSL_write per buffer), and its HTTP/1 writer passes the status line and headers as one
 * buffer and the body as another: every answer of a few hundred bytes went out as two records
 * where nginx sends one, so each client decrypted two records and read twice per answer (the
 * api_bench client spent 39 µs per GET on anzen's answer against 26 on nginx's same body).
 *
 * This file defines h2o_socket_write. libh2o calls the function through its PLT, so this
 * definition is the one every caller reaches, libh2o's own HTTP/1 and HTTP/2 writers included;
 * it hands libh2o's definition (found with dlsym(RTLD_NEXT)) one buffer instead of several
 * when the socket is TLS and they add up to at most TLSWRITE_FLATTEN bytes. The copy may live
 * on the stack: over TLS, libh2o encrypts every buffer before h2o_socket_write returns and
 * keeps only its own encrypted copy (plain TCP sockets may keep the caller's buffers until the
 * write completes, so they pass through untouched, as do single buffers). Larger answers are
 * split into records by libh2o's own sizing either way. e2e/tls_records_test.sh counts the
 * records of an answer. */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o.h>

#define TLSWRITE_FLATTEN 16384 /* one full TLS record's payload */

typedef void (*socket_write_fn)(h2o_socket_t *, h2o_iovec_t *, size_t, h2o_socket_cb);

static _Atomic(socket_write_fn) next_write;

static socket_write_fn libh2o_write(void)
{
    socket_write_fn fn = atomic_load_explicit(&next_write, memory_order_acquire);
    if (fn == NULL) {
        /* the same answer on every thread, so a race only looks it up twice */
        fn = (socket_write_fn)dlsym(RTLD_NEXT, "h2o_socket_write");
        if (fn == NULL) {
            fprintf(stderr, "anzen: libh2o's h2o_socket_write not found: %s\n", dlerror());
            abort();
        }
        atomic_store_explicit(&next_write, fn, memory_order_release);
    }
    return fn;
}

void h2o_socket_write(h2o_socket_t *sock, h2o_iovec_t *bufs, size_t bufcnt, h2o_socket_cb cb)
{
    socket_write_fn write_fn = libh2o_write();
    if (sock->ssl != NULL && bufcnt > 1) {
        size_t total = 0;
        for (size_t i = 0; i < bufcnt && total <= TLSWRITE_FLATTEN; i++)
            total += bufs[i].len;
        if (total <= TLSWRITE_FLATTEN) {
            char flat[TLSWRITE_FLATTEN];
            size_t off = 0;
            for (size_t i = 0; i < bufcnt; i++) {
                if (bufs[i].len > 0)
                    memcpy(flat + off, bufs[i].base, bufs[i].len);
                off += bufs[i].len;
            }
            h2o_iovec_t one = h2o_iovec_init(flat, total);
            write_fn(sock, &one, 1, cb);
            return;
        }
    }
    write_fn(sock, bufs, bufcnt, cb);
}

/* ---- libh2o's response head without vfprintf ----
 *
 * libh2o's HTTP/1 writer formats every response head with two sprintf calls (the status line
 * with Date, Connection and Content-Length, then "Server: %s\r\n"); built with
 * _FORTIFY_SOURCE, they reach glibc's __sprintf_chk through libh2o's PLT, and vfprintf cost
 * ~2,800 instructions per GET, 7 % of a whole GET (get_cost_bench, callgrind). This definition
 * is the one libh2o reaches (it lives in this file, which the server always links, for the
 * same reason as h2o_socket_write). It writes exactly those three formats by hand, byte for
 * byte what vfprintf prints, and hands every other format, and any argument it does not
 * expect (a NULL string, an output longer than the caller's buffer), to glibc's
 * __vsprintf_chk unchanged: that one keeps its overflow check and abort. */

#define H2O_HEAD_CL "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\nContent-Length: %zu\r\n"
#define H2O_HEAD "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\n"
#define H2O_SERVER "Server: %s\r\n"

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);
int __vsprintf_chk(char *s, int flag, size_t slen, const char *fmt, va_list ap);

/* decimal digits of v into out (at least 21 bytes), returns the length; no terminator */
static size_t put_udec(char *out, unsigned long long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

struct head_piece {
    const char *p;
    size_t len;
};

/* The pieces of one of the three formats, with its arguments taken from ap; returns the
 * piece count, 0 when fmt is not one of them or an argument is NULL. */
static size_t head_pieces(const char *fmt, va_list ap, struct head_piece *pc, char *num1,
                          char *num2)
{
#define PIECE(str, n) (pc[k].p = (str), pc[k].len = (n), k++)
#define LIT(str) PIECE(str, sizeof(str) - 1)
    size_t k = 0;
    if (fmt[0] == 'S' && strcmp(fmt, H2O_SERVER) == 0) {
        const char *v = va_arg(ap, const char *);
        if (v == NULL)
            return 0;
        LIT("Server: ");
        PIECE(v, strlen(v));
        LIT("\r\n");
        return k;
    }
    int cl;
    if (fmt[0] != 'H' || !((cl = strcmp(fmt, H2O_HEAD_CL) == 0) || strcmp(fmt, H2O_HEAD) == 0))
        return 0;
    int status = va_arg(ap, int);
    const char *reason = va_arg(ap, const char *);
    const char *date = va_arg(ap, const char *);
    const char *conn = va_arg(ap, const char *);
    if (reason == NULL || date == NULL || conn == NULL)
        return 0;
    LIT("HTTP/1.1 ");
    size_t n1 = 0;
    if (status < 0) {
        num1[n1++] = '-';
        n1 += put_udec(num1 + 1, -(unsigned long long)(long long)status);
    } else {
        n1 = put_udec(num1, (unsigned long long)status);
    }
    PIECE(num1, n1);
    LIT(" ");
    PIECE(reason, strlen(reason));
    LIT("\r\nDate: ");
    PIECE(date, strlen(date));
    LIT("\r\nConnection: ");
    PIECE(conn, strlen(conn));
    LIT("\r\n");
    if (cl) {
        size_t len = va_arg(ap, size_t);
        LIT("Content-Length: ");
        PIECE(num2, put_udec(num2, len));
        LIT("\r\n");
    }
    return k;
#undef LIT
#undef PIECE
}

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
    va_list ap, fast;
    va_start(ap, fmt);
    va_copy(fast, ap);
    struct head_piece pc[16];
    char num1[24], num2[24];
    size_t k = head_pieces(fmt, fast, pc, num1, num2);
    va_end(fast);
    size_t total = 0;
    for (size_t i = 0; i < k; i++)
        total += pc[i].len;
    int n;
    if (k > 0 && total < slen && total <= INT_MAX) {
        char *d = s;
        for (size_t i = 0; i < k; i++) {
            memcpy(d, pc[i].p, pc[i].len);
            d += pc[i].len;
        }
        *d = '\0';
        n = (int)total;
    } else {
        n = __vsprintf_chk(s, flag, slen, fmt, ap);
    }
    va_end(ap);
    return n;
}
