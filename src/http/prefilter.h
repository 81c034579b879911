/* prefilter.h — HTTP/1.1 intake checks on each accepted connection, before h2o reads a body
 * (issue 11). h2o 2.2.5 buffers a whole request body before any handler runs, so every
 * request head is looked at here first, on the decrypted bytes h2o has read and before its
 * HTTP/1 parser consumes them:
 *
 *   - a head larger than h2o can parse (H2O_MAX_REQLEN, below Go's 1 MiB MaxHeaderBytes)
 *     → Go's plain-text "431 Request Header Fields Too Large";
 *   - a request with a body (Content-Length > 0 or chunked) whose credentials do not
 *     authenticate → the 401 Status the handler sends;
 *   - Content-Length above PREFILTER_BODY_LIMIT (upstream's MaxRequestBodyBytes), or a
 *     chunked body that grows past it → the 413 RequestEntityTooLarge Status;
 *   - a body that would take the bytes buffered in request bodies server-wide past the
 *     budget → 429 with Retry-After: 1, as upstream's too-many-requests answer.
 * Each answer is followed by closing the connection; the body is never read.
 *
 * Hook: prefilter_attach() on every accepted socket (before h2o_accept). The module
 * interposes h2o_socket_read_start (libh2o calls it through the PLT) to wrap the read
 * callback h2o's HTTP/1 connection installs; HTTP/2 connections (ALPN h2) and upgraded
 * connections (WebSocket, SPDY) are left alone. State: one small struct per connection,
 * hung on the socket's on_close slot; the budget is one atomic counter. Safe on several
 * event loops at once. */
#ifndef ANZEN_HTTP_PREFILTER_H
#define ANZEN_HTTP_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct apiserver;
struct st_h2o_socket_t;

#define PREFILTER_BODY_LIMIT (3 * 1024 * 1024)                 /* upstream MaxRequestBodyBytes */
#define PREFILTER_DEFAULT_BUDGET ((uint64_t)256 * 1024 * 1024) /* --max-request-body-budget */

/* Once, before serving: the server used to authenticate, and the budget in bytes (0: none). */
void prefilter_init(struct apiserver *srv, uint64_t body_budget);
/* On each accepted socket, before h2o_accept. */
void prefilter_attach(struct st_h2o_socket_t *sock);

/* ---- pure parts (unit-tested and fuzzed) ------------------------------------------------ */

struct prefilter_head {
    size_t head_len;          /* bytes of the request head, CRLFCRLF included */
    bool chunked;             /* Transfer-Encoding: chunked */
    uint64_t content_length;  /* when !chunked; UINT64_MAX: unparsable (h2o answers 400) */
    const char *path;         /* request target up to '?' (not NUL-terminated) */
    size_t path_len;
    const char *authorization; /* value of Authorization, or NULL */
    size_t authorization_len;
    bool expect_continue;     /* Expect: 100-continue */
    const char *user_agent;   /* or NULL */
    size_t user_agent_len;
};

enum prefilter_parse {
    PREFILTER_HEAD_INCOMPLETE = -2,
    PREFILTER_HEAD_INVALID = -1, /* h2o answers it (400) */
    PREFILTER_HEAD_TOO_LARGE = -3,
    PREFILTER_HEAD_OK = 0,
};
/* Parses the head at buf[0..len). prev_len: bytes already seen incomplete (0 the first
 * time; an optimisation only). The longest head looked at is PREFILTER_MAX_HEAD bytes
 * (h2o's own limit): a head not complete within it is TOO_LARGE. */
#define PREFILTER_MAX_HEAD (8192 + 4096 * 100) /* H2O_MAX_REQLEN of 2.2.5 */
enum prefilter_parse prefilter_parse_head(const char *buf, size_t len, size_t prev_len,
                                          struct prefilter_head *out);
/* Whether the head announces a body. */
bool prefilter_has_body(const struct prefilter_head *h);

/* Chunked transfer coding, followed without copying (RFC 9112 7.1): counts the decoded
 * bytes of a body arriving in pieces. */
struct prefilter_chunked {
    uint8_t state;
    uint64_t chunk_left; /* data bytes left in the current chunk */
    uint64_t decoded;    /* data bytes so far */
};
/* Feeds n bytes; returns 1 when the body (last chunk and trailers) ended — *used is then the
 * number of bytes of p that belonged to it —, 0 when more is needed, AZ_EBADREQUEST on a
 * malformed coding (h2o answers it). */
int prefilter_chunked_feed(struct prefilter_chunked *d, const char *p, size_t n, size_t *used);

#endif
