/* etcd_probe.h — the consistent-read barrier's revision probe on its own minimal HTTP/2 client.
 *
 * The probe is etcd's gRPC KV/Range (a linearizable count_only range of one key) on a
 * cleartext HTTP/2 connection ("h2c with prior knowledge", as gRPC's own clients connect to
 * http:// endpoints). libcurl's HTTP/2 made each probe several sends, polls and wake-ups on
 * both sides (docs/bench.md, "The probe's floor": ~2× the wall time and ~1.5× etcd's CPU of
 * one write per request); this client writes each request as one HEADERS + DATA pair in one
 * send, and reads until its stream ends. It is deliberately small:
 *
 *  - http:// endpoints only ("http://HOST[:PORT]", HOST a name, an IPv4 or a [IPv6] literal);
 *    TLS endpoints keep libcurl (etcd_probe_new returns NULL).
 *  - one request at a time per client (the caller's thread blocks in etcd_probe_range, with
 *    the timeout and the stop flag checked at least every 100 ms; or one thread writes it
 *    with etcd_probe_start and another reads the answer with etcd_probe_finish).
 *  - answers are not HPACK-decoded: the stream's DATA must hold exactly one uncompressed gRPC
 *    message whose RangeResponse header carries a revision (store_etcd_grpc_header_rev), and
 *    the stream must end cleanly. A gRPC error is trailers-only (no message), so it, a
 *    RST_STREAM, a GOAWAY, a frame over 16 KiB, or anything else is a failure; the connection
 *    is then dropped and the next call reconnects.
 *  - SETTINGS are acknowledged at once; a PING's acknowledgement is held 100 ms, then sent
 *    with the next request or by etcd_probe_flush (etcd answers the first DATA after an
 *    acknowledged PING with a new PING and a WINDOW_UPDATE: at once, every probe cost two more
 *    frames each way and a wake-up). The connection's receive window is topped up. The
 *    send window is not tracked: each request's DATA is ~20 bytes and etcd (grpc-go) returns
 *    the window as it reads; a flow-control error would end the connection like any other
 *    failure (the next call reconnects).
 *
 * Not thread-safe: one thread at a time uses a client (the barrier hands it over under its
 * mutex: a caller writes with etcd_probe_start, the barrier thread then reads the answer).
 */
#ifndef ANZEN_STORE_ETCD_PROBE_H
#define ANZEN_STORE_ETCD_PROBE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct etcd_probe;

/* A client for url (an endpoint as given to --etcd-servers) probing key[0..key_len) (at most
 * 120 bytes); NULL when url is not one this client speaks (https://, a path, malformed) or the
 * key is too long. Connects lazily. */
struct etcd_probe *etcd_probe_new(const char *url, const char *key, size_t key_len);
void etcd_probe_free(struct etcd_probe *p);

/* One linearizable range: 0 and *ret_rev = the answer's header.revision (> 0); AZ_ETIMEOUT
 * after timeout_ms or once *stop is set; AZ_EUNAVAILABLE when the connection failed or the answer
 * is not a clean gRPC success. Never blocks beyond the timeout. */
int etcd_probe_range(struct etcd_probe *p, long timeout_ms, atomic_int *stop, int64_t *ret_rev);

/* fn(arg) runs on the caller's thread right before each request is written (after the
 * connection is up), on every attempt of etcd_probe_range: the last moment a consistent read
 * may still join the probe (etcd.c takes its batch of waiters there). NULL: none. */
typedef void (*etcd_probe_send_fn)(void *arg);
void etcd_probe_on_send(struct etcd_probe *p, etcd_probe_send_fn fn, void *arg);

/* The request in two halves, for a caller that writes it on one thread and reads the
 * answer on another (never both at once). etcd_probe_start writes a request on the open
 * connection without blocking (after the on_send hook): 0 written; -1 nothing usable went
 * out (no connection, the socket would block, or it failed: then the connection is dropped),
 * and the client is as before the call. After a 0, etcd_probe_finish reads the answer as
 * etcd_probe_range does (the same results; a reused connection the server had closed gets one
 * full retry on a new one). */
int etcd_probe_start(struct etcd_probe *p);
int etcd_probe_finish(struct etcd_probe *p, long timeout_ms, atomic_int *stop, int64_t *ret_rev);

/* The open connection's socket (-1: none), to wait for input while no request is out; then
 * etcd_probe_idle_read reads what came without blocking: PINGs and SETTINGS are handled as
 * during a probe, a GOAWAY, an error or a close drops the connection (the next probe
 * reconnects). */
int etcd_probe_fd(const struct etcd_probe *p);
void etcd_probe_idle_read(struct etcd_probe *p);

/* A held PING acknowledgement: -1 none, else the milliseconds until it is due (0: now). */
long etcd_probe_ack_wait_ms(const struct etcd_probe *p);
/* Sends a held PING acknowledgement once it is due (without blocking; a failure drops the
 * connection, which the next probe reopens); nothing before. For idle callers, once
 * etcd_probe_ack_wait_ms says 0. */
void etcd_probe_flush(struct etcd_probe *p);

/* For the fuzz target: the answer bytes data[0..n) (server frames after the connection
 * preface) as the client parses them for stream 1; the revision, or -1 if the stream did not
 * end with a clean answer within them. */
int64_t etcd_probe_parse_answer(const unsigned char *data, size_t n);

#endif
