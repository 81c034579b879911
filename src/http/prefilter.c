/* prefilter.c — request heads checked before h2o reads a body (see prefilter.h).
 *
 * How it hooks into libh2o 2.2.5 (lib/core/http1.c, lib/common/socket.c):
 *   - after the TLS handshake, h2o_http1_accept → reqread_start calls
 *     h2o_socket_read_start(sock, reqread_on_read) and then parses what is already buffered;
 *     after each response, on_send_complete consumes the request and calls reqread_start
 *     again (a pipelined head may already be buffered); on_continue_sent calls it once more
 *     after "100 Continue". libh2o makes these calls through the PLT, so the definition
 *     below takes them: for a connection of ours it installs on_read (which looks at the
 *     bytes each read event brings, then calls h2o's callback) and checks a buffered head
 *     right away, before reqread_start hands it to h2o's parser.
 *   - while h2o waits for a head, the unconsumed input begins with it (input->bytes[0]);
 *     while it reads a body, the event's new bytes are the last sock->bytes_read of input.
 *   - a rejection stops reading, writes the whole answer, shuts the TCP write side (the
 *     client sees the end of the connection, as after Go's closeWriteAndWait) and leaves
 *     the socket to h2o's request timeout, which closes the connection (10 s); the
 *     connection is never read again, so its body is never buffered. */
#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <dlfcn.h>
#include <h2o.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/ssl.h>
#include "audit/audit.h"
#include "authn/authn.h"
#include "authz/authz.h"
#include "authz/rbac.h"
#include "http/observe.h"
#include "http/prefilter.h"
#include "http/query.h"
#include "http/requestinfo.h"
#include "machinery/status.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"
#include "util/text.h"

/* picohttpparser, exported by libh2o-evloop (its header is not installed). */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

/* Private prefix of h2o 2.2.5's struct st_h2o_socket_ssl_t (as in server.c; notes/h2o-2.2.5.md). */
struct st_h2o_socket_ssl_t {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

#if H2O_VERSION_MAJOR != 2 || H2O_VERSION_MINOR != 2
#error "prefilter.c follows libh2o 2.2's HTTP/1 reader; check it against this version"
#endif

#define MAX_HEADERS 100 /* H2O_MAX_HEADERS: more is h2o's 400 */

/* ---- head parser ---------------------------------------------------------------------- */

static bool iequal(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    return alen == n && strncasecmp(a, lit, n) == 0;
}

/* h2o_strtosize: decimal digits only, at most 20 of them; else unparsable. */
static uint64_t parse_length(const char *s, size_t n)
{
    if (n == 0 || n > 19)
        return UINT64_MAX;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return UINT64_MAX;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

enum prefilter_parse prefilter_parse_head(const char *buf, size_t len, size_t prev_len, struct prefilter_head *out)
{
    memset(out, 0, sizeof(*out));
    size_t inlen = len < PREFILTER_MAX_HEAD ? len : PREFILTER_MAX_HEAD;
    if (prev_len > inlen)
        prev_len = 0;
    const char *method, *path;
    size_t method_len, path_len, nh = MAX_HEADERS;
    int minor;
    struct phr_header hs[MAX_HEADERS];
    int r = phr_parse_request(buf, inlen, &method, &method_len, &path, &path_len, &minor, hs, &nh, prev_len);
    if (r == -2)
        return inlen == PREFILTER_MAX_HEAD ? PREFILTER_HEAD_TOO_LARGE : PREFILTER_HEAD_INCOMPLETE;
    if (r < 0)
        return PREFILTER_HEAD_INVALID;
    out->head_len = (size_t)r;
    out->path = path;
    out->path_len = path_len;
    for (size_t i = 0; i < path_len; i++) {
        if (path[i] == '?') {
            out->path_len = i;
            break;
        }
    }
    /* As h2o's init_headers: the first Content-Length counts, Transfer-Encoding wins. */
    bool have_cl = false;
    for (size_t i = 0; i < nh; i++) {
        if (hs[i].name == NULL) /* a continuation line */
            continue;
        if (iequal(hs[i].name, hs[i].name_len, "content-length")) {
            if (!have_cl && !out->chunked) {
                out->content_length = parse_length(hs[i].value, hs[i].value_len);
                have_cl = true;
            }
        } else if (iequal(hs[i].name, hs[i].name_len, "transfer-encoding")) {
            /* h2o accepts only "chunked" (any other value: its 400) */
            out->chunked = iequal(hs[i].value, hs[i].value_len, "chunked");
            if (!out->chunked)
                out->content_length = UINT64_MAX;
        } else if (iequal(hs[i].name, hs[i].name_len, "authorization") && out->authorization == NULL) {
            out->authorization = hs[i].value;
            out->authorization_len = hs[i].value_len;
        } else if (iequal(hs[i].name, hs[i].name_len, "expect")) {
            out->expect_continue = iequal(hs[i].value, hs[i].value_len, "100-continue");
        } else if (iequal(hs[i].name, hs[i].name_len, "user-agent") && out->user_agent == NULL) {
            out->user_agent = hs[i].value;
            out->user_agent_len = hs[i].value_len;
        }
    }
    return PREFILTER_HEAD_OK;
}

bool prefilter_has_body(const struct prefilter_head *h)
{
    return h->chunked || (h->content_length > 0 && h->content_length != UINT64_MAX);
}

/* ---- chunked coding --------------------------------------------------------------------- */

enum {
    CK_SIZE_FIRST, /* the first hex digit of a chunk size */
    CK_SIZE,       /* more hex digits, or the end of them */
    CK_SIZE_LINE,  /* extensions up to LF */
    CK_DATA,
    CK_DATA_CR,    /* CR (optional) then LF after the data */
    CK_DATA_LF,
    CK_TRAILER,    /* at the start of a trailer line (empty: the end) */
    CK_TRAILER_CR, /* an empty line's LF after its CR */
    CK_TRAILER_LINE,
    CK_DONE,
};

/* As picohttpparser's phr_decode_chunked: CR before LF optional, chunk extensions skipped,
 * at most 15 hex digits of size, trailers skipped. */
int prefilter_chunked_feed(struct prefilter_chunked *d, const char *p, size_t n, size_t *used)
{
    size_t i = 0;
    *used = 0;
    while (i < n) {
        char c = p[i];
        switch (d->state) {
        case CK_SIZE_FIRST:
            if (hex_digit_value(c) < 0)
                return AZ_EBADREQUEST;
            d->chunk_left = (uint64_t)hex_digit_value(c);
            d->state = CK_SIZE;
            i++;
            break;
        case CK_SIZE:
            if (hex_digit_value(c) >= 0) {
                if (d->chunk_left >> 56)
                    return AZ_EBADREQUEST;
                d->chunk_left = d->chunk_left * 16 + (uint64_t)hex_digit_value(c);
                i++;
                break;
            }
            d->state = CK_SIZE_LINE;
            break;
        case CK_SIZE_LINE:
            i++;
            if (c == '\n')
                d->state = d->chunk_left == 0 ? CK_TRAILER : CK_DATA;
            break;
        case CK_DATA: {
            uint64_t take = n - i < d->chunk_left ? n - i : d->chunk_left;
            d->chunk_left -= take;
            d->decoded += take;
            i += (size_t)take;
            if (d->chunk_left == 0)
                d->state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            if (c == '\r') {
                d->state = CK_DATA_LF;
                i++;
                break;
            }
            __attribute__((fallthrough)); /* CR is optional */
        case CK_DATA_LF:
            if (c != '\n')
                return AZ_EBADREQUEST;
            d->state = CK_SIZE_FIRST;
            i++;
            break;
        case CK_TRAILER:
            i++;
            if (c == '\r')
                d->state = CK_TRAILER_CR;
            else if (c == '\n')
                d->state = CK_DONE;
            else
                d->state = CK_TRAILER_LINE;
            break;
        case CK_TRAILER_CR: /* else a CR inside a trailer line: skip the rest of it */
            i++;
            d->state = c == '\n' ? CK_DONE : CK_TRAILER_LINE;
            break;
        case CK_TRAILER_LINE:
            i++;
            if (c == '\n')
                d->state = CK_TRAILER;
            break;
        default:
            break;
        }
        if (d->state == CK_DONE) {
            *used = i;
            return 1;
        }
    }
    *used = n;
    return 0;
}

/* ---- connections ------------------------------------------------------------------------ */

enum phase {
    PH_HANDSHAKE, /* TLS handshake running: h2o's own callbacks */
    PH_HEAD,      /* h2o waits for a request head at input->bytes[0] */
    PH_CHUNKED,   /* an accepted head with a chunked body: following it */
    PH_PASS,      /* the current request is accepted: nothing to look at until the next head */
    PH_OFF,       /* HTTP/2 or an upgraded connection: not ours any more */
    PH_REJECTED,  /* answered; waiting for h2o's timeout to close it */
};

struct pf_conn {
    h2o_socket_cb h1_read;   /* h2o's HTTP/1 read callback (reqread_on_read) */
    uint8_t phase;
    bool continue_pending;   /* "Expect: 100-continue" accepted: h2o reads the body after it */
    size_t prev_len;         /* head bytes seen incomplete */
    uint64_t reserved;       /* bytes of the budget this connection holds */
    struct prefilter_chunked ck;
    char *chunked_head;      /* PH_CHUNKED: a copy of the request's head, to answer from */
    size_t chunked_head_len;
    char *answer;            /* the rejection being written */
};

static struct apiserver *pf__srv;
static uint64_t pf__budget;
static uint64_t pf__used; /* atomic */

void prefilter_init(struct apiserver *srv, uint64_t body_budget)
{
    pf__srv = srv;
    pf__budget = body_budget;
    /* libh2o must reach the definition below (it would not if the binary stopped exporting
     * it): say so loudly rather than serve without the checks unknowingly. */
    if (dlsym(RTLD_DEFAULT, "h2o_socket_read_start") != (void *)h2o_socket_read_start)
        log_error("prefilter: h2o_socket_read_start is not interposed: request bodies are read "
                  "before authentication");
}

static bool budget_reserve(struct pf_conn *c, uint64_t n)
{
    if (pf__budget == 0) /* unlimited: count only */
        goto take;
    uint64_t cur = __atomic_load_n(&pf__used, __ATOMIC_RELAXED);
    do {
        if (cur + n > pf__budget)
            return false;
    } while (!__atomic_compare_exchange_n(&pf__used, &cur, cur + n, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    c->reserved += n;
    return true;
take:
    __atomic_add_fetch(&pf__used, n, __ATOMIC_RELAXED);
    c->reserved += n;
    return true;
}

static void budget_release(struct pf_conn *c)
{
    if (c->reserved != 0)
        __atomic_sub_fetch(&pf__used, c->reserved, __ATOMIC_RELAXED);
    c->reserved = 0;
}

static void on_close(void *data)
{
    struct pf_conn *c = data;
    budget_release(c);
    free(c->chunked_head);
    free(c->answer);
    free(c);
}

void prefilter_attach(h2o_socket_t *sock)
{
    struct pf_conn *c = xcalloc(1, sizeof(*c));
    c->phase = PH_HANDSHAKE;
    sock->on_close.cb = on_close;
    sock->on_close.data = c;
}

static struct pf_conn *conn_of(h2o_socket_t *sock)
{
    return sock->on_close.cb == on_close ? sock->on_close.data : NULL;
}

/* The library's h2o_socket_read_start (the definition below takes the name). */
typedef void (*read_start_fn)(h2o_socket_t *, h2o_socket_cb);
static read_start_fn real_read_start__;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void resolve_real(void)
{
    real_read_start__ = (read_start_fn)dlsym(RTLD_NEXT, "h2o_socket_read_start");
    if (real_read_start__ == NULL) {
        log_error("prefilter: h2o_socket_read_start not found: %s", dlerror());
        abort();
    }
}

static void real_read_start(h2o_socket_t *sock, h2o_socket_cb cb)
{
    pthread_once(&real_once, resolve_real);
    real_read_start__(sock, cb);
}

/* ---- answers ----------------------------------------------------------------------------
 * Every answer but 431 is given as the handler gives it after the same checks (server.c's
 * serve_request: authentication, impersonation, request info, authorization), and observed
 * as the handler's are (http/observe.h): upstream's audit event (a failed authentication at
 * ResponseStarted) and /metrics (authentication_attempts, apiserver_request_total for requests
 * that passed authentication, apiserver_request_terminations_total for the 429). The 431 is
 * Go's net/http's own answer before any handler: upstream neither audits nor counts it. */

/* A request head as the handler would read it. */
struct pf_req {
    const char *method;
    size_t method_len;
    struct phr_header hs[MAX_HEADERS];
    size_t nh;
    char *method_z, *uri, *path, *user_agent;
    struct query q;
    bool authenticated;
    struct user_info user; /* the authenticated (or impersonated) user */
    struct request_info info;
    struct http_observe obs;
    char audit_id[37];
    char ip[INET6_ADDRSTRLEN];
};

static const struct phr_header *pf_header(const struct pf_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->nh; i++)
        if (rq->hs[i].name != NULL && iequal(rq->hs[i].name, rq->hs[i].name_len, name))
            return &rq->hs[i];
    return NULL;
}

/* Parses the head at head[0..len) (already known to be a complete, valid head). */
static void pf_req_init(struct pf_req *rq, h2o_socket_t *sock, const char *head, size_t len)
{
    memset(rq, 0, sizeof(*rq));
    http_observe_begin(&rq->obs);
    const char *path;
    size_t path_len;
    int minor;
    rq->nh = MAX_HEADERS;
    if (phr_parse_request(head, len, &rq->method, &rq->method_len, &path, &path_len, &minor, rq->hs, &rq->nh, 0) < 0) {
        rq->nh = 0;
        rq->method = "";
        path = "";
        path_len = 0;
    }
    rq->method_z = xstrndup(rq->method, rq->method_len);
    rq->uri = xstrndup(path, path_len);
    const char *qm = memchr(path, '?', path_len);
    size_t plen = qm ? (size_t)(qm - path) : path_len;
    rq->path = percent_decode_path(path, plen);
    if (qm == NULL || query_parse(qm + 1, path_len - plen - 1, &rq->q) < 0)
        memset(&rq->q, 0, sizeof(rq->q));
    const struct phr_header *ua = pf_header(rq, "user-agent");
    rq->user_agent = ua ? xstrndup(ua->value, ua->value_len) : NULL;
    const struct phr_header *aid = pf_header(rq, "audit-id");
    if (aid != NULL && aid->value_len > 0 && aid->value_len < sizeof(rq->audit_id)) {
        memcpy(rq->audit_id, aid->value, aid->value_len);
        rq->audit_id[aid->value_len] = '\0';
    } else {
        uuid_v4(rq->audit_id);
    }
    struct sockaddr_storage ss;
    socklen_t sl = h2o_socket_getpeername(sock, (struct sockaddr *)&ss);
    if (sl > 0 && ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, rq->ip, sizeof(rq->ip));
    else if (sl > 0 && ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, rq->ip, sizeof(rq->ip));
}

/* The request info (as the handler parses it), once; upstream has it before authentication
 * (WithRequestInfo), so every observed answer carries it. AZ_EBADREQUEST when it does not
 * parse (then rq->info stays zeroed: the observation uses the method as verb). */
static int pf_info(struct pf_req *rq)
{
    if (rq->info.verb != NULL)
        return 0;
    if (request_info_parse(rq->method_z, rq->path, &rq->q, &rq->info) < 0) {
        memset(&rq->info, 0, sizeof(rq->info));
        return AZ_EBADREQUEST;
    }
    return 0;
}

static void pf_req_release(struct pf_req *rq)
{
    free(rq->method_z);
    free(rq->uri);
    free(rq->path);
    free(rq->user_agent);
    query_release(&rq->q);
    user_info_release(&rq->user);
    request_info_release(&rq->info);
}

/* Header accessors for rbac_impersonate (as server.c's over an h2o request). */
static json_t *pf_get_header(void *ctx, const char *name)
{
    struct pf_req *rq = ctx;
    json_t *vals = json_array();
    for (size_t i = 0; i < rq->nh; i++)
        if (rq->hs[i].name != NULL && iequal(rq->hs[i].name, rq->hs[i].name_len, name))
            json_array_append_new(vals, json_stringn(rq->hs[i].value, rq->hs[i].value_len));
    return vals;
}

static json_t *pf_header_names(void *ctx)
{
    struct pf_req *rq = ctx;
    json_t *names = json_array();
    for (size_t i = 0; i < rq->nh; i++)
        if (rq->hs[i].name != NULL) {
            char *lower = xstrndup(rq->hs[i].name, rq->hs[i].name_len);
            for (char *p = lower; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            json_array_append_new(names, json_string(lower));
            free(lower);
        }
    return names;
}

static bool pf_pretty(const struct pf_req *rq)
{
    bool pretty;
    if (query_has(&rq->q, "pretty") && query_bool(&rq->q, "pretty", &pretty) == 0)
        return pretty;
    static const char *const prefixes[] = {"curl", "Wget", "Mozilla/5.0"};
    for (size_t i = 0; rq->user_agent != NULL && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(rq->user_agent, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* The answer's bytes, as server.c's handler writes them through h2o (status line with an
 * empty reason, Date, Connection, Content-Length, Server, then the handler's headers). */
static char *format_answer(int code, const char *audit_id, const char *extra, const char *ct, const char *body,
                           size_t blen, size_t *ret_len)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    char *out = xasprintf("HTTP/1.1 %d \r\nDate: %s\r\nConnection: close\r\nContent-Length: %zu\r\n"
                          "Server: anzen\r\naudit-id: %s\r\ncache-control: no-cache, private\r\n%s"
                          "content-type: %s\r\n\r\n",
                          code, date, blen, audit_id, extra, ct);
    size_t hl = strlen(out);
    out = xrealloc(out, hl + blen + 1);
    memcpy(out + hl, body, blen);
    out[hl + blen] = '\0';
    *ret_len = hl + blen;
    return out;
}

static void on_answer_written(h2o_socket_t *sock, const char *err)
{
    struct pf_conn *c = conn_of(sock);
    if (c != NULL) {
        free(c->answer);
        c->answer = NULL;
    }
    /* The peer sees the end of the connection; h2o's request timeout closes the socket. */
    if (err == NULL)
        shutdown(h2o_socket_get_fd(sock), SHUT_WR);
}

/* Stops reading and writes the answer (owned), then half-closes. */
static void send_answer(h2o_socket_t *sock, struct pf_conn *c, char *answer, size_t len)
{
    c->phase = PH_REJECTED;
    budget_release(c);
    free(c->chunked_head);
    c->chunked_head = NULL;
    h2o_socket_read_stop(sock);
    c->answer = answer;
    h2o_iovec_t iov = h2o_iovec_init(c->answer, len);
    h2o_socket_write(sock, &iov, 1, on_answer_written);
}

/* Answers rq with status (a Status, taken) or text (plain, when status is NULL), observes it
 * and releases rq. */
static void answer_request(h2o_socket_t *sock, struct pf_conn *c, struct pf_req *rq, int code, json_t *status,
                           const char *text, const char *extra)
{
    log_debug("prefilter: %d before the body", code);
    size_t blen, len;
    char *body;
    const char *ct;
    if (status != NULL) {
        body = json_dump_go(status, pf_pretty(rq), &blen);
        ct = "application/json";
        http_observe_status(&rq->obs, status);
    } else {
        body = xstrdup(text);
        blen = strlen(body);
        ct = "text/plain; charset=utf-8";
    }
    char *answer = format_answer(code, rq->audit_id, extra, ct, body, blen, &len);
    free(body);
    json_decref(status);
    struct http_observed o = {
        .info = &rq->info, .user = rq->authenticated ? &rq->user : NULL, .path = rq->path,
        .method = rq->method_z, .audit_id = rq->audit_id, .request_uri = rq->uri,
        .source_ip = rq->ip[0] ? rq->ip : NULL, .user_agent = rq->user_agent, .code = code,
    };
    http_observe_end(&rq->obs, &o);
    pf_req_release(rq);
    send_answer(sock, c, answer, len);
}

/* What the handler would answer, up to authorization, for the request whose head is at
 * head[0..head_len): authentication (401), and when the body will not be read (over the
 * limit) or cannot be sized (chunked), impersonation (403, or 500 for malformed headers), the
 * request info (400) and authorization (403); then the 413 when over is set, and the body
 * budget's 429. Returns true when it answered (the connection is then done). */
static bool judge(h2o_socket_t *sock, struct pf_conn *c, const char *head, size_t head_len,
                  const struct prefilter_head *h, bool over)
{
    struct pf_req rq;
    pf_req_init(&rq, sock, head, head_len);
    /* Authentication first, as upstream's filter chain (anonymous, when enabled, passes). */
    SSL *ssl = sock->ssl != NULL ? sock->ssl->ossl : NULL;
    const char *warning = NULL;
    if (authn_request(pf__srv, ssl, h->authorization, h->authorization_len, rq.path, &rq.user, &warning) < 0) {
        user_info_release(&rq.user);
        (void)pf_info(&rq);
        rq.obs.authn_failed = true;
        const char *tok = query_get(&rq.q, "access_token");
        audit_authn_failure_message(rq.obs.authn_message, sizeof(rq.obs.authn_message), h->authorization,
                                    h->authorization_len, tok != NULL && *tok,
                                    ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL);
        answer_request(sock, c, &rq, 401, status_unauthorized(), NULL, "");
        return true;
    }
    rq.authenticated = true;
    if (over || h->chunked) {
        struct user_info imp = {0};
        json_t *ist = NULL;
        int ir = rbac_impersonate(pf__srv, &rq.user, pf_get_header, pf_header_names, &rq, &imp, &ist);
        if (ir == AZ_EINTERNAL) {
            const char *m = json_str(ist, "message");
            char *text = xasprintf("Internal Server Error: \"%s\": %s\n", rq.uri, m ? m : "");
            json_decref(ist);
            answer_request(sock, c, &rq, 500, NULL, text, "x-content-type-options: nosniff\r\n");
            free(text);
            return true;
        }
        if (ir < 0) {
            json_t *st = ist ? ist : status_internal("impersonation failed");
            int code = (int)json_integer_value(json_object_get(st, "code"));
            answer_request(sock, c, &rq, code ? code : 500, st, NULL, "x-content-type-options: nosniff\r\n");
            return true;
        }
        if (imp.name != NULL) {
            user_info_release(&rq.user);
            rq.user = imp;
        }
        if (pf_info(&rq) < 0) {
            answer_request(sock, c, &rq, 400, status_bad_request("invalid request"), NULL, "");
            return true;
        }
        struct authz_attrs attrs = {
            .user = &rq.user, .verb = rq.info.verb, .is_resource = rq.info.is_resource,
            .ns = rq.info.namespace, .group = rq.info.api_group, .version = rq.info.api_version,
            .resource = rq.info.resource, .subresource = rq.info.subresource, .name = rq.info.name,
            .path = rq.path,
        };
        char *reason = NULL;
        enum authz_decision decision = authz_authorize(pf__srv, &attrs, &reason);
        http_observe_authz(&rq.obs, decision == AUTHZ_ALLOW, reason);
        if (decision != AUTHZ_ALLOW) {
            json_t *st = authz_forbidden_status(&attrs, reason);
            free(reason);
            answer_request(sock, c, &rq, 403, st, NULL, "x-content-type-options: nosniff\r\n");
            return true;
        }
        free(reason);
        if (over) { /* upstream's handler: the body read stops at the limit */
            answer_request(sock, c, &rq, 413, status_too_large(), NULL, "");
            return true;
        }
    }
    /* A chunked body's length is unknown: it holds the whole limit. */
    if (!budget_reserve(c, h->chunked ? PREFILTER_BODY_LIMIT : h->content_length)) {
        /* like upstream's max-in-flight refusal (a request that passed authentication) */
        (void)pf_info(&rq);
        rq.obs.terminated = true;
        answer_request(sock, c, &rq, 429, NULL, "Too many requests, please try again later.\n",
                       "x-content-type-options: nosniff\r\nretry-after: 1\r\n");
        return true;
    }
    /* passed: the handler observes the request itself */
    free(rq.obs.reason);
    json_decref(rq.obs.status);
    pf_req_release(&rq);
    return false;
}

static void reject_431(h2o_socket_t *sock, struct pf_conn *c)
{
    static const char go431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                                "431 Request Header Fields Too Large";
    log_debug("prefilter: 431 (head too large)");
    send_answer(sock, c, xstrdup(go431), sizeof(go431) - 1);
}

/* The chunked body of the current request ended within the limit. */
static void chunked_done(struct pf_conn *c)
{
    c->phase = PH_PASS;
    free(c->chunked_head);
    c->chunked_head = NULL;
}

/* The chunked body of the current request went past the limit: answered from its head. */
static void reject_chunked(h2o_socket_t *sock, struct pf_conn *c)
{
    struct prefilter_head h;
    if (c->chunked_head == NULL ||
        prefilter_parse_head(c->chunked_head, c->chunked_head_len, 0, &h) != PREFILTER_HEAD_OK ||
        !judge(sock, c, c->chunked_head, c->chunked_head_len, &h, true)) {
        /* cannot happen (the head was accepted before); answer as the handler would */
        struct pf_req rq;
        memset(&h, 0, sizeof(h));
        pf_req_init(&rq, sock, "", 0);
        answer_request(sock, c, &rq, 413, status_too_large(), NULL, "");
    }
}

/* Looks at the head at input->bytes[0] (h2o waits for it). Returns true when the connection
 * was rejected (h2o must not see its input). */
static bool check_head(h2o_socket_t *sock, struct pf_conn *c)
{
    h2o_buffer_t *in = sock->input;
    struct prefilter_head h;
    enum prefilter_parse r = prefilter_parse_head(in->bytes, in->size, c->prev_len, &h);
    if (r == PREFILTER_HEAD_INCOMPLETE) {
        c->prev_len = in->size;
        return false;
    }
    c->prev_len = 0;
    if (r == PREFILTER_HEAD_TOO_LARGE) {
        reject_431(sock, c);
        return true;
    }
    if (r == PREFILTER_HEAD_INVALID || !prefilter_has_body(&h)) {
        c->phase = PH_PASS; /* h2o answers an invalid head itself */
        return false;
    }
    if (judge(sock, c, in->bytes, h.head_len, &h, !h.chunked && h.content_length > PREFILTER_BODY_LIMIT))
        return true;
    /* Expect: 100-continue — h2o writes "100 Continue", then calls read_start again */
    c->continue_pending = h.expect_continue;
    if (!h.chunked) {
        c->phase = PH_PASS;
        return false;
    }
    c->phase = PH_CHUNKED;
    memset(&c->ck, 0, sizeof(c->ck));
    free(c->chunked_head);
    c->chunked_head = xstrndup(in->bytes, h.head_len);
    c->chunked_head_len = h.head_len;
    size_t used;
    int cr = prefilter_chunked_feed(&c->ck, in->bytes + h.head_len, in->size - h.head_len, &used);
    if (c->ck.decoded > PREFILTER_BODY_LIMIT) {
        reject_chunked(sock, c);
        return true;
    }
    if (cr != 0)
        chunked_done(c);
    return false;
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    struct pf_conn *c = conn_of(sock);
    if (c == NULL || err != NULL) {
        if (c != NULL && c->h1_read != NULL)
            c->h1_read(sock, err);
        return;
    }
    h2o_socket_cb next = c->h1_read;
    switch (c->phase) {
    case PH_HEAD:
        if (check_head(sock, c))
            return;
        break;
    case PH_CHUNKED: {
        size_t n = sock->bytes_read <= sock->input->size ? sock->bytes_read : sock->input->size;
        size_t used;
        int cr = prefilter_chunked_feed(&c->ck, sock->input->bytes + sock->input->size - n, n, &used);
        if (c->ck.decoded > PREFILTER_BODY_LIMIT) {
            reject_chunked(sock, c);
            return;
        }
        if (cr != 0)
            chunked_done(c);
        break;
    }
    case PH_REJECTED:
        return;
    default:
        break;
    }
    next(sock, NULL); /* may free sock: nothing after this */
}

static bool handshake_done(h2o_socket_t *sock)
{
    return sock->ssl == NULL || (sock->ssl->ossl != NULL && SSL_is_init_finished(sock->ssl->ossl));
}

static bool is_h2(h2o_socket_t *sock)
{
    if (sock->ssl == NULL)
        return false;
    h2o_iovec_t p = h2o_socket_ssl_get_selected_protocol(sock);
    return p.len == 2 && memcmp(p.base, "h2", 2) == 0;
}

/* Interposes libh2o's function of that name (see the top of the file). */
void h2o_socket_read_start(h2o_socket_t *sock, h2o_socket_cb cb)
{
    struct pf_conn *c = conn_of(sock);
    if (c == NULL || c->phase == PH_OFF || c->phase == PH_REJECTED || cb == on_read) {
        real_read_start(sock, cb);
        return;
    }
    if (c->phase == PH_HANDSHAKE) {
        if (!handshake_done(sock)) {
            real_read_start(sock, cb);
            return;
        }
        if (is_h2(sock)) { /* HTTP/2: h2o's limits only (docs/hardening.md) */
            c->phase = PH_OFF;
            real_read_start(sock, cb);
            return;
        }
        c->h1_read = cb; /* the first call after the handshake: h2o_http1_accept's */
        c->phase = PH_HEAD;
    } else if (cb != c->h1_read) { /* upgraded (WebSocket, SPDY) or HTTP/2 prior knowledge */
        c->phase = PH_OFF;
        budget_release(c);
        real_read_start(sock, cb);
        return;
    } else if (c->continue_pending) { /* after "100 Continue": the body follows */
        c->continue_pending = false;
        real_read_start(sock, on_read);
        return;
    } else { /* reqread_start: the previous request is done */
        budget_release(c);
        c->phase = PH_HEAD;
        c->prev_len = 0;
    }
    real_read_start(sock, on_read);
    /* reqread_start parses what is buffered as soon as this returns: check it first, and
     * hide it from h2o when it is rejected. */
    if (sock->input->size != 0 && check_head(sock, c))
        sock->input->size = 0;
}
