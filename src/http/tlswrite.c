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
