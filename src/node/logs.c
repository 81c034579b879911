/* logs.c — CRI-format container logs (logs.h): the pipe reader on the event loop and the
 * renderer behind `kubectl logs`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include "node/logs.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/text.h"
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

struct stream {
    struct node_log_pipe *lp;
    const char *name;  /* "stdout" or "stderr" */
    h2o_socket_t *sock;
    int rfd;           /* the read end (owned by sock) */
    char *line;        /* the current line, not yet ended */
    size_t line_len;
};

struct node_log_follower {
    struct node_log_pipe *lp;
    node_log_follow_fn fn;
    void *arg;
    struct node_log_follower *next;
};

struct node_log_pipe {
    struct stream s[2]; /* stdout, stderr (a terminal: s[0] only) */
    int nstreams;
    int file_fd;
    char *path;        /* the file's, when rotated (node_log_pipe_rotate) */
    int64_t size;      /* ... its size */
    struct node_log_follower *followers; /* `kubectl logs -f` */
    struct log_tap {
        node_log_tap_fn fn;
        void *arg;
    } *taps;           /* live output listeners (attach) */
    size_t ntaps;
    bool feeding;      /* taps_feed running: untap only marks (fn = NULL) */
};

static void taps_feed(struct node_log_pipe *lp, const char *data, size_t len)
{
    lp->feeding = true;
    for (size_t i = 0; i < lp->ntaps; i++)
        if (lp->taps[i].fn != NULL)
            lp->taps[i].fn(lp->taps[i].arg, data, len);
    lp->feeding = false;
    size_t n = 0;
    for (size_t i = 0; i < lp->ntaps; i++)
        if (lp->taps[i].fn != NULL)
            lp->taps[n++] = lp->taps[i];
    lp->ntaps = n;
}

/* EOF to every tap; each is gone afterwards */
static void taps_end(struct node_log_pipe *lp)
{
    while (lp->ntaps > 0) {
        struct log_tap t = lp->taps[--lp->ntaps];
        if (t.fn != NULL)
            t.fn(t.arg, NULL, 0);
    }
    free(lp->taps);
    lp->taps = NULL;
}

static bool pipe_open(const struct node_log_pipe *lp)
{
    for (int i = 0; i < lp->nstreams; i++)
        if (lp->s[i].sock != NULL)
            return true;
    return false;
}

bool node_log_pipe_tap(struct node_log_pipe *lp, node_log_tap_fn fn, void *arg)
{
    if (lp == NULL || !pipe_open(lp))
        return false;
    lp->taps = xrealloc(lp->taps, (lp->ntaps + 1) * sizeof(*lp->taps));
    lp->taps[lp->ntaps++] = (struct log_tap){fn, arg};
    return true;
}

void node_log_pipe_untap(struct node_log_pipe *lp, void *arg)
{
    for (size_t i = 0; lp != NULL && i < lp->ntaps; i++) {
        if (lp->taps[i].arg == arg && lp->taps[i].fn != NULL) {
            if (lp->feeding)
                lp->taps[i].fn = NULL;
            else
                lp->taps[i] = lp->taps[--lp->ntaps];
            return;
        }
    }
}

int node_log_pipe_dup_file(const struct node_log_pipe *lp)
{
    return lp != NULL ? fcntl(lp->file_fd, F_DUPFD_CLOEXEC, 0) : -1;
}

const char *node_log_pipe_pending(const struct node_log_pipe *lp, size_t *ret_len)
{
    *ret_len = lp != NULL ? lp->s[0].line_len : 0;
    return lp != NULL ? lp->s[0].line : "";
}

/* Removes all but the newest NODE_LOG_MAX_FILES - 1 rotated files of lp->path (their
 * timestamps sort as their names). */
static void remove_old_rotated(const struct node_log_pipe *lp)
{
    char *dir = xstrdup(lp->path), *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if (slash)
        *slash = '\0';
    char *prefix = xasprintf("%s.", base);
    size_t pl = strlen(prefix), n = 0, cap = 0;
    char **names = NULL;
    DIR *d = opendir(slash ? dir : ".");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = xstrdup(e->d_name);
    }
    if (d)
        closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), strp_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i + (NODE_LOG_MAX_FILES - 1) < n) {
            char *p = xasprintf("%s/%s", slash ? dir : ".", names[i]);
            unlink(p);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    free(prefix);
    free(dir);
}

/* The file is full: renamed to PATH.<YYYYMMDD-hhmmss.nnnnnnnnn>, a new one opened in its
 * place. */
static void rotate(struct node_log_pipe *lp)
{
    struct timespec now;
    clock_wall(&now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char stamp[32];
    size_t n = strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    snprintf(stamp + n, sizeof(stamp) - n, ".%09ld", (long)now.tv_nsec);
    char *to = xasprintf("%s.%s", lp->path, stamp);
    int fd = -1;
    if (rename(lp->path, to) == 0) {
        fd = open(lp->path, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
            (void)rename(to, lp->path); /* no new file (ENOSPC, EMFILE): the old one stays PATH */
    }
    free(to);
    if (fd < 0)
        return; /* keeps writing the old file, and tries again at the next record */
    close(lp->file_fd);
    lp->file_fd = fd;
    lp->size = 0;
    remove_old_rotated(lp);
}

void node_log_pipe_rotate(struct node_log_pipe *lp, const char *path)
{
    if (lp == NULL)
        return;
    free(lp->path);
    lp->path = xstrdup(path);
    struct stat st;
    lp->size = fstat(lp->file_fd, &st) == 0 ? (int64_t)st.st_size : 0;
}

static void write_record(struct stream *st, const char *data, size_t len, char tag)
{
    struct node_log_pipe *lp = st->lp;
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
    rec[hl] = ' ';
    memcpy(rec + hl + 1, st->name, 6);
    rec[hl + 7] = ' ';
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
    lp->size += (int64_t)off;
    if (lp->path != NULL && lp->size > NODE_LOG_MAX_SIZE)
        rotate(lp);
    for (struct node_log_follower *f = lp->followers, *next; f; f = next) {
        next = f->next; /* fn may unfollow f */
        f->fn(f->arg, rec, total);
    }
    free(rec);
}

/* Splits bytes into records: full lines at '\n', P records at NODE_LOG_MAX_LINE. */
static void feed(struct stream *st, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = NODE_LOG_MAX_LINE - st->line_len;
        if (take >= room) {
            memcpy(st->line + st->line_len, data, room);
            write_record(st, st->line, NODE_LOG_MAX_LINE, 'P');
            st->line_len = 0;
            data += room;
            len -= room;
            continue;
        }
        memcpy(st->line + st->line_len, data, take);
        st->line_len += take;
        if (nl == NULL)
            return;
        write_record(st, st->line, st->line_len, 'F');
        st->line_len = 0;
        data += take + 1;
        len -= take + 1;
    }
}

/* Raw output to the taps (attach: both streams as one), then into records. */
static void take(struct stream *st, const char *data, size_t len)
{
    taps_feed(st->lp, data, len);
    feed(st, data, len);
}

static void stream_finish(struct stream *st)
{
    if (st->line_len > 0) /* containerd: the last line is full even without its newline */
        write_record(st, st->line, st->line_len, 'F');
    st->line_len = 0;
    if (st->sock != NULL) {
        h2o_socket_read_stop(st->sock);
        h2o_socket_close(st->sock);
        st->sock = NULL;
    }
    if (!pipe_open(st->lp))
        taps_end(st->lp); /* the output ended: EOF to attached clients */
}

static void on_pipe_read_locked(h2o_socket_t *sock, const char *err)
{
    struct stream *st = sock->data;
    take(st, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    if (err != NULL)
        stream_finish(st); /* EOF: every writer is gone; lp itself stays for node_log_pipe_close */
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_pipe_read(h2o_socket_t *sock, const char *err)
{
    bool took = biglock_enter();
    on_pipe_read_locked(sock, err);
    biglock_leave(took);
}

/* What is left in the pipe, without waiting (every writer has exited). */
static void stream_drain(struct stream *st)
{
    if (st->sock == NULL)
        return;
    if (st->sock->input->size > 0) {
        take(st, st->sock->input->bytes, st->sock->input->size);
        h2o_buffer_consume(&st->sock->input, st->sock->input->size);
    }
    char b[8192];
    for (;;) {
        ssize_t r = read(st->rfd, b, sizeof(b));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        take(st, b, (size_t)r);
    }
    stream_finish(st);
}

/* Starts reading rfds[0..n) (owned from now on) into a new pipe writing file_fd. */
static struct node_log_pipe *reader_open(h2o_evloop_t *loop, int file_fd, const int *rfds, int n)
{
    static const char *const names[2] = {"stdout", "stderr"};
    struct node_log_pipe *lp = xcalloc(1, sizeof(*lp));
    lp->file_fd = file_fd;
    lp->nstreams = n;
    for (int i = 0; i < n; i++) {
        struct stream *st = &lp->s[i];
        int fl = fcntl(rfds[i], F_GETFL);
        if (fl >= 0)
            (void)fcntl(rfds[i], F_SETFL, fl | O_NONBLOCK);
        st->lp = lp;
        st->name = names[i];
        st->rfd = rfds[i];
        st->line = xmalloc(NODE_LOG_MAX_LINE);
        st->sock = h2o_evloop_socket_create(loop, rfds[i], 0);
        st->sock->data = st;
        h2o_socket_read_start(st->sock, on_pipe_read);
    }
    return lp;
}

struct node_log_pipe *node_log_pipe_open(struct st_h2o_evloop_t *loop, int file_fd, int *ret_out_fd,
                                         int *ret_err_fd)
{
    *ret_out_fd = *ret_err_fd = -1;
    int p[2][2];
    if (loop == NULL || pipe2(p[0], O_CLOEXEC) != 0) {
        close(file_fd);
        return NULL;
    }
    if (pipe2(p[1], O_CLOEXEC) != 0) {
        close(p[0][0]);
        close(p[0][1]);
        close(file_fd);
        return NULL;
    }
    *ret_out_fd = p[0][1];
    *ret_err_fd = p[1][1];
    return reader_open(loop, file_fd, (const int[2]){p[0][0], p[1][0]}, 2);
}

struct node_log_pipe *node_log_pipe_open_fd(struct st_h2o_evloop_t *loop, int file_fd, int read_fd)
{
    if (loop == NULL) {
        close(file_fd);
        close(read_fd);
        return NULL;
    }
    return reader_open(loop, file_fd, &read_fd, 1);
}

struct node_log_follower *node_log_pipe_follow(struct node_log_pipe *lp, node_log_follow_fn fn, void *arg)
{
    struct node_log_follower *f = xcalloc(1, sizeof(*f));
    f->lp = lp;
    f->fn = fn;
    f->arg = arg;
    f->next = lp->followers;
    lp->followers = f;
    return f;
}

void node_log_unfollow(struct node_log_follower *f)
{
    if (f == NULL)
        return;
    for (struct node_log_follower **pp = &f->lp->followers; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    free(f);
}

void node_log_pipe_close(struct node_log_pipe *lp, bool discard)
{
    if (lp == NULL)
        return;
    for (int i = 0; i < lp->nstreams; i++)
        stream_drain(&lp->s[i]);
    if (discard && ftruncate(lp->file_fd, 0) != 0) {
        /* nothing better to do: the runtime's words stay in the log */
    }
    while (lp->followers) { /* the run is over: so are its followers (kubelet's -f ends) */
        struct node_log_follower *f = lp->followers;
        lp->followers = f->next;
        f->fn(f->arg, NULL, 0);
        free(f);
    }
    taps_end(lp);
    close(lp->file_fd);
    for (int i = 0; i < lp->nstreams; i++)
        free(lp->s[i].line);
    free(lp->path);
    free(lp);
}
