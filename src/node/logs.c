/* logs.c — CRI-format container logs (logs.h): the pipe reader on the event loop and the
 * renderer behind `kubectl logs`. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include "http/server.h"
#include "node/logs.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/util.h"

/* ---- time ------------------------------------------------------------------------------ */

void node_log_format_time(int64_t ns, char out[36])
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 36, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac != 0) {
        char f[11];
        snprintf(f, sizeof(f), ".%09lld", (long long)frac);
        size_t fl = strlen(f);
        while (f[fl - 1] == '0')
            f[--fl] = '\0';
        memcpy(out + n, f, fl);
        n += fl;
    }
    out[n++] = 'Z';
    out[n] = '\0';
}

/* ---- rendering --------------------------------------------------------------------------- */

struct record {
    const char *content;
    size_t len;
    bool partial;  /* P: the line continues in the next record */
    bool has_ts;
    int64_t ts;
    const char *ts_text;
    size_t ts_len;
};

/* One line of the file (without its '\n'): a CRI record, or a legacy plain line. */
static void parse_record(const char *line, size_t len, struct record *r)
{
    memset(r, 0, sizeof(*r));
    r->content = line;
    r->len = len;
    const char *sp1 = memchr(line, ' ', len);
    if (sp1 == NULL)
        return;
    size_t tl = (size_t)(sp1 - line);
    int64_t ts;
    if (!time_parse_rfc3339_ns(line, tl, &ts))
        return;
    const char *rest = sp1 + 1;
    size_t rl = len - tl - 1;
    const char *sp2 = memchr(rest, ' ', rl);
    if (sp2 == NULL)
        return;
    size_t sl = (size_t)(sp2 - rest);
    if (!((sl == 6 && memcmp(rest, "stdout", 6) == 0) || (sl == 6 && memcmp(rest, "stderr", 6) == 0)))
        return;
    const char *tag = sp2 + 1;
    size_t tagl = rl - sl - 1;
    if (tagl < 1 || (tag[0] != 'F' && tag[0] != 'P') || (tagl > 1 && tag[1] != ' '))
        return;
    r->has_ts = true;
    r->ts = ts;
    r->ts_text = line;
    r->ts_len = tl;
    r->partial = tag[0] == 'P';
    r->content = tagl > 1 ? tag + 2 : tag + 1;
    r->len = tagl > 1 ? tagl - 2 : 0;
}

char *node_log_render(const char *data, size_t len, const struct node_log_render *o, size_t *ret_len)
{
    /* the records, in order (a final unterminated line counts too) */
    size_t n = 0, cap = 64;
    struct record *rs = xmalloc(cap * sizeof(*rs));
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (data + pos)) : len - pos;
        if (n == cap) {
            cap *= 2;
            rs = xrealloc(rs, cap * sizeof(*rs));
        }
        parse_record(data + pos, ll, &rs[n++]);
        pos += ll + (nl ? 1 : 0);
    }
    /* --tail: the record where the last N lines start (a line may span P records) */
    size_t from = 0;
    if (o->tail_lines >= 0) {
        int64_t lines = 0;
        from = n;
        for (size_t i = n; i > 0; i--) {
            if (!rs[i - 1].partial || i == n) {
                if (lines == o->tail_lines)
                    break;
                lines++;
            }
            from = i - 1;
        }
        /* a line's P records before `from` belong to it */
        while (from > 0 && from < n && rs[from - 1].partial)
            from--;
        if (o->tail_lines == 0)
            from = n;
    }
    struct buf out;
    buf_init(&out, 0);
    bool line_start = true;
    for (size_t i = from; i < n; i++) {
        struct record *r = &rs[i];
        if (o->has_since && r->has_ts && r->ts < o->since_ns) {
            line_start = !r->partial;
            continue;
        }
        if (o->timestamps && line_start) {
            char ts[36];
            if (r->has_ts)
                node_log_format_time(r->ts, ts);
            buf_append(&out, r->has_ts ? ts : "", r->has_ts ? strlen(ts) : 0);
            buf_putc(&out, ' ');
        }
        buf_append(&out, r->content, r->len);
        bool last_plain = !r->has_ts && i == n - 1 && len > 0 && data[len - 1] != '\n';
        if (!r->partial && !last_plain)
            buf_putc(&out, '\n');
        line_start = !r->partial;
        if (o->limit_bytes > 0 && (int64_t)out.len >= o->limit_bytes)
            break;
    }
    free(rs);
    size_t ol = 0;
    char *res = buf_detach(&out, &ol);
    if (res == NULL)
        res = xstrdup("");
    if (o->limit_bytes > 0 && (int64_t)ol > o->limit_bytes) {
        ol = (size_t)o->limit_bytes;
        res[ol] = '\0';
    }
    *ret_len = ol;
    return res;
}

/* ---- the pipe reader ------------------------------------------------------------------ */

struct node_log_pipe {
    h2o_socket_t *sock;
    int rfd;           /* the read end (owned by sock) */
    int file_fd;
    char *line;        /* the current line, not yet ended */
    size_t line_len;
};

static void write_record(struct node_log_pipe *lp, const char *data, size_t len, char tag)
{
    struct timespec now;
    clock_wall(&now);
    char ts[36];
    /* containerd writes RFC3339Nano; fixed 9 digits here sort and parse the same */
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%09ldZ", (long)now.tv_nsec);
    size_t hl = strlen(ts);
    char *rec = xmalloc(hl + 10 + len + 1);
    memcpy(rec, ts, hl);
    memcpy(rec + hl, " stdout ", 8);
    rec[hl + 8] = tag;
    rec[hl + 9] = ' ';
    memcpy(rec + hl + 10, data, len);
    rec[hl + 10 + len] = '\n';
    size_t total = hl + 11 + len, off = 0;
    while (off < total) { /* one write() normally: O_APPEND keeps records whole */
        ssize_t w = write(lp->file_fd, rec + off, total - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* disk full: the output is lost, as a full disk loses it upstream */
        off += (size_t)w;
    }
    free(rec);
}

/* Splits bytes into records: full lines at '\n', P records at NODE_LOG_MAX_LINE. */
static void feed(struct node_log_pipe *lp, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = NODE_LOG_MAX_LINE - lp->line_len;
        if (take >= room) {
            memcpy(lp->line + lp->line_len, data, room);
            write_record(lp, lp->line, NODE_LOG_MAX_LINE, 'P');
            lp->line_len = 0;
            data += room;
            len -= room;
            continue;
        }
        memcpy(lp->line + lp->line_len, data, take);
        lp->line_len += take;
        if (nl == NULL)
            return;
        write_record(lp, lp->line, lp->line_len, 'F');
        lp->line_len = 0;
        data += take + 1;
        len -= take + 1;
    }
}

static void pipe_finish(struct node_log_pipe *lp)
{
    if (lp->line_len > 0) /* containerd: the last line is full even without its newline */
        write_record(lp, lp->line, lp->line_len, 'F');
    lp->line_len = 0;
    if (lp->sock != NULL) {
        h2o_socket_read_stop(lp->sock);
        h2o_socket_close(lp->sock);
        lp->sock = NULL;
    }
}

static void on_pipe_read(h2o_socket_t *sock, const char *err)
{
    struct node_log_pipe *lp = sock->data;
    feed(lp, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL)
        pipe_finish(lp); /* EOF: every writer is gone; lp itself stays for node_log_pipe_close */
}

struct node_log_pipe *node_log_pipe_open(int file_fd, int *ret_write_fd)
{
    *ret_write_fd = -1;
    h2o_evloop_t *loop = http_server_loop();
    int p[2];
    if (loop == NULL || pipe2(p, O_CLOEXEC) != 0) {
        close(file_fd);
        return NULL;
    }
    int fl = fcntl(p[0], F_GETFL);
    if (fl >= 0)
        (void)fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    struct node_log_pipe *lp = xcalloc(1, sizeof(*lp));
    lp->rfd = p[0];
    lp->file_fd = file_fd;
    lp->line = xmalloc(NODE_LOG_MAX_LINE);
    lp->sock = h2o_evloop_socket_create(loop, p[0], 0);
    lp->sock->data = lp;
    h2o_socket_read_start(lp->sock, on_pipe_read);
    *ret_write_fd = p[1];
    return lp;
}

void node_log_pipe_close(struct node_log_pipe *lp, bool discard)
{
    if (lp == NULL)
        return;
    if (lp->sock != NULL) {
        /* what the loop has not read yet: the pipe holds it (all writers have exited) */
        if (lp->sock->input->size > 0) {
            feed(lp, lp->sock->input->bytes, lp->sock->input->size);
            h2o_buffer_consume(&lp->sock->input, lp->sock->input->size);
        }
        char b[8192];
        for (;;) {
            ssize_t r = read(lp->rfd, b, sizeof(b));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            feed(lp, b, (size_t)r);
        }
        pipe_finish(lp);
    }
    if (discard && ftruncate(lp->file_fd, 0) != 0) {
        /* nothing better to do: the runtime's words stay in the log */
    }
    close(lp->file_fd);
    free(lp->line);
    free(lp);
}
