/* layer.c — a streaming tar reader and the application of OCI image layers to a rootfs
 * (formats and the security contract: layer.h). */
#include "node/layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"

#define BLOCK 512

struct tar_reader {
    int fd;
    bool eof;               /* end of archive seen */
    int64_t remaining;      /* content bytes of the current entry not yet read */
    int64_t padding;        /* padding after the current entry's content */
    struct tar_entry e;     /* the current entry */
    /* values an 'x' or 'L'/'K' header sets for the next entry */
    char *next_path, *next_link;
    int64_t next_size, next_uid, next_gid, next_mtime;
    bool has_size, has_uid, has_gid, has_mtime;
    struct tar_xattr next_xattrs[TAR_MAX_XATTRS];
    size_t next_n_xattrs;
};

static void xattrs_clear(struct tar_xattr *x, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        free(x[i].name);
        free(x[i].value);
    }
    *n = 0;
}

static void entry_clear(struct tar_entry *e)
{
    free(e->path);
    free(e->link);
    xattrs_clear(e->xattrs, &e->n_xattrs);
    memset(e, 0, sizeof(*e));
}

static void pending_clear(struct tar_reader *r)
{
    free(r->next_path);
    free(r->next_link);
    r->next_path = r->next_link = NULL;
    r->has_size = r->has_uid = r->has_gid = r->has_mtime = false;
    xattrs_clear(r->next_xattrs, &r->next_n_xattrs);
}

struct tar_reader *tar_reader_new(int fd)
{
    struct tar_reader *r = xcalloc(1, sizeof(*r));
    r->fd = fd;
    return r;
}

void tar_reader_free(struct tar_reader *r)
{
    if (r == NULL)
        return;
    entry_clear(&r->e);
    pending_clear(r);
    free(r);
}

/* Reads exactly n bytes: 1, 0 at a clean EOF before any byte, AZ_EIO otherwise. */
static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return AZ_EIO;
        if (k == 0)
            return got == 0 ? 0 : AZ_EIO;
        got += (size_t)k;
    }
    return 1;
}

static int skip_bytes(struct tar_reader *r, int64_t n)
{
    char buf[8192];
    while (n > 0) {
        size_t k = n > (int64_t)sizeof(buf) ? sizeof(buf) : (size_t)n;
        if (read_full(r->fd, buf, k) != 1)
            return AZ_EIO;
        n -= (int64_t)k;
    }
    return 0;
}

/* A numeric header field: octal, or base-256 (GNU) when the high bit of the first byte is
 * set. -1 if it is not a number or does not fit in 63 bits. */
static int64_t parse_number(const unsigned char *p, size_t n)
{
    if (n > 0 && (p[0] & 0x80)) {
        if (p[0] & 0x40)
            return -1; /* negative */
        uint64_t v = p[0] & 0x3f;
        for (size_t i = 1; i < n; i++) {
            if (v >> 55)
                return -1;
            v = (v << 8) | p[i];
        }
        return v > INT64_MAX ? -1 : (int64_t)v;
    }
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\0'))
        i++;
    if (i == n)
        return 0;
    uint64_t v = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v >> 60)
            return -1;
        v = v * 8 + (uint64_t)(p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return -1;
    return (int64_t)v;
}

static char *field_str(const unsigned char *p, size_t n)
{
    return xstrndup((const char *)p, strnlen((const char *)p, n));
}

/* Parses a decimal integer (PAX values; a fraction after '.' is ignored). */
static bool parse_decimal(const char *s, size_t len, int64_t *ret)
{
    int64_t v = 0;
    size_t i = 0;
    bool neg = false;
    if (i < len && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i == len || s[i] < '0' || s[i] > '9')
        return false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            ;
    }
    if (i != len)
        return false;
    *ret = neg ? -v : v;
    return true;
}

/* Applies the records of a PAX extended header to the pending values. */
static int parse_pax(struct tar_reader *r, const char *p, size_t n, char **ret_err)
{
    size_t off = 0;
    while (off < n) {
        /* "LEN key=value\n", LEN counting the whole record */
        size_t i = off, len = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && len < n + 1) {
            len = len * 10 + (size_t)(p[i] - '0');
            i++;
        }
        if (i == off || i >= n || p[i] != ' ' || len <= i - off + 1 || len > n - off ||
            p[off + len - 1] != '\n') {
            if (p[off] == '\0') /* NUL padding after the records */
                break;
            *ret_err = xstrdup("malformed PAX extended header");
            return AZ_EINVALID;
        }
        const char *kv = p + i + 1, *end = p + off + len - 1;
        const char *eq = memchr(kv, '=', (size_t)(end - kv));
        if (eq == NULL) {
            *ret_err = xstrdup("malformed PAX record (no '=')");
            return AZ_EINVALID;
        }
        size_t klen = (size_t)(eq - kv), vlen = (size_t)(end - eq - 1);
        const char *v = eq + 1;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(kv, s, klen) == 0)
        if (KEY("path") || KEY("linkpath")) {
            if (vlen > TAR_MAX_NAME || memchr(v, '\0', vlen) != NULL) {
                *ret_err = xstrdup("PAX path too long or with a NUL byte");
                return AZ_EINVALID;
            }
            char **dst = KEY("path") ? &r->next_path : &r->next_link;
            free(*dst);
            *dst = xstrndup(v, vlen);
        } else if (KEY("size") || KEY("uid") || KEY("gid") || KEY("mtime")) {
            int64_t num;
            if (!parse_decimal(v, vlen, &num) || (num < 0 && !KEY("mtime"))) {
                *ret_err = xasprintf("malformed PAX %.*s", (int)klen, kv);
                return AZ_EINVALID;
            }
            if (KEY("size")) {
                r->next_size = num;
                r->has_size = true;
            } else if (KEY("uid")) {
                r->next_uid = num;
                r->has_uid = true;
            } else if (KEY("gid")) {
                r->next_gid = num;
                r->has_gid = true;
            } else {
                r->next_mtime = num;
                r->has_mtime = true;
            }
        } else if (klen > 13 && memcmp(kv, "SCHILY.xattr.", 13) == 0) {
            if (r->next_n_xattrs == TAR_MAX_XATTRS) {
                *ret_err = xstrdup("too many extended attributes on one entry");
                return AZ_ETOOLARGE;
            }
            struct tar_xattr *x = &r->next_xattrs[r->next_n_xattrs++];
            x->name = xstrndup(kv + 13, klen - 13);
            x->value = xmalloc(vlen + 1);
            memcpy(x->value, v, vlen);
            x->value[vlen] = '\0';
            x->len = vlen;
        }
#undef KEY
        off += len;
    }
    return 0;
}

/* Reads the content of a meta entry ('x', 'L', 'K') of size bytes, padding included. */
static int read_meta(struct tar_reader *r, int64_t size, size_t max, char **ret, char **ret_err)
{
    if (size < 0 || (uint64_t)size > max) {
        *ret_err = xasprintf("tar extended header too large (%lld bytes)", (long long)size);
        return AZ_ETOOLARGE;
    }
    size_t padded = ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
    char *p = xmalloc(padded + 1);
    if (padded > 0 && read_full(r->fd, p, padded) != 1) {
        free(p);
        *ret_err = xstrdup("truncated tar stream");
        return AZ_EIO;
    }
    p[size] = '\0';
    *ret = p;
    return 0;
}

int tar_next(struct tar_reader *r, struct tar_entry **e, char **ret_err)
{
    if (r->eof)
        return 0;
    if (skip_bytes(r, r->remaining + r->padding) != 0) {
        *ret_err = xstrdup("truncated tar stream");
        return AZ_EIO;
    }
    r->remaining = r->padding = 0;
    entry_clear(&r->e);
    for (;;) {
        unsigned char h[BLOCK];
        int rc = read_full(r->fd, h, BLOCK);
        if (rc == 0) { /* EOF without the end-of-archive blocks: accepted, as GNU tar does */
            r->eof = true;
            pending_clear(r);
            return 0;
        }
        if (rc < 0) {
            *ret_err = xstrdup("truncated tar stream");
            return AZ_EIO;
        }
        bool zero = true;
        for (size_t i = 0; i < BLOCK && zero; i++)
            zero = h[i] == 0;
        if (zero) {
            r->eof = true;
            pending_clear(r);
            return 0;
        }
        /* checksum: the header's bytes with the chksum field read as spaces */
        int64_t want = parse_number(h + 148, 8);
        int64_t usum = 0, ssum = 0;
        for (size_t i = 0; i < BLOCK; i++) {
            unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
            usum += c;
            ssum += (signed char)c;
        }
        if (want < 0 || (want != usum && want != ssum)) {
            *ret_err = xstrdup("invalid tar header checksum");
            return AZ_EINVALID;
        }
        char type = (char)h[156];
        int64_t size = parse_number(h + 124, 12);
        if (size < 0) {
            *ret_err = xstrdup("invalid size in tar header");
            return AZ_EINVALID;
        }
        if (type == 'x' || type == 'g') {
            char *pax = NULL;
            if ((rc = read_meta(r, size, TAR_MAX_PAX, &pax, ret_err)) != 0)
                return rc;
            if (type == 'x')
                rc = parse_pax(r, pax, (size_t)size, ret_err);
            free(pax);
            if (rc != 0)
                return rc;
            continue;
        }
        if (type == 'L' || type == 'K') {
            char *name = NULL;
            if ((rc = read_meta(r, size, TAR_MAX_NAME, &name, ret_err)) != 0)
                return rc;
            char **dst = type == 'L' ? &r->next_path : &r->next_link;
            free(*dst);
            *dst = name; /* up to the first NUL */
            continue;
        }
        struct tar_entry *t = &r->e;
        switch (type) {
        case '\0': case '7': type = '0'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': break;
        default:
            *ret_err = xasprintf("unsupported tar entry type '%c'",
                                 type >= 0x20 && type < 0x7f ? type : '?');
            return AZ_EINVALID;
        }
        t->type = type;
        bool posix = memcmp(h + 257, "ustar\0", 6) == 0;
        if (r->next_path != NULL) {
            t->path = r->next_path;
            r->next_path = NULL;
        } else if (posix && h[345] != '\0') {
            char *prefix = field_str(h + 345, 155), *name = field_str(h, 100);
            t->path = xasprintf("%s/%s", prefix, name);
            free(prefix);
            free(name);
        } else {
            t->path = field_str(h, 100);
        }
        if (r->next_link != NULL) {
            t->link = r->next_link;
            r->next_link = NULL;
        } else {
            t->link = field_str(h + 157, 100);
        }
        int64_t mode = parse_number(h + 100, 8), uid = parse_number(h + 108, 8),
                gid = parse_number(h + 116, 8), mtime = parse_number(h + 136, 12),
                major = parse_number(h + 329, 8), minor = parse_number(h + 337, 8);
        if (mode < 0 || uid < 0 || gid < 0 || mtime < 0 || major < 0 || minor < 0 ||
            major > UINT32_MAX || minor > UINT32_MAX) {
            *ret_err = xasprintf("invalid number in the tar header of %s", t->path);
            return AZ_EINVALID;
        }
        t->mode = (uint32_t)(mode & 07777);
        t->uid = r->has_uid ? r->next_uid : uid;
        t->gid = r->has_gid ? r->next_gid : gid;
        t->mtime = r->has_mtime ? r->next_mtime : mtime;
        t->size = r->has_size ? r->next_size : size;
        t->devmajor = (uint32_t)major;
        t->devminor = (uint32_t)minor;
        memcpy(t->xattrs, r->next_xattrs, sizeof(t->xattrs));
        t->n_xattrs = r->next_n_xattrs;
        r->next_n_xattrs = 0;
        pending_clear(r);
        if (t->uid >= UINT32_MAX || t->gid >= UINT32_MAX) { /* (uid_t)-1 means "unchanged" */
            *ret_err = xasprintf("invalid owner of %s in the tar header", t->path);
            return AZ_EINVALID;
        }
        if (strlen(t->path) > TAR_MAX_NAME || strlen(t->link) > TAR_MAX_NAME) {
            *ret_err = xstrdup("tar entry name too long");
            return AZ_EINVALID;
        }
        /* only regular files carry content; the others are header-only whatever their size
         * field says (POSIX: hard links may repeat the target's size, devices' is unspecified) */
        int64_t content = type == '0' ? t->size : 0;
        t->size = content;
        if (content > INT64_MAX - BLOCK) {
            *ret_err = xstrdup("invalid size in tar header");
            return AZ_EINVALID;
        }
        r->remaining = content;
        r->padding = (BLOCK - content % BLOCK) % BLOCK;
        *e = t;
        return 1;
    }
}

ssize_t tar_read(struct tar_reader *r, void *buf, size_t n)
{
    if (r->remaining == 0)
        return 0;
    if ((int64_t)n > r->remaining)
        n = (size_t)r->remaining;
    for (;;) {
        ssize_t k = read(r->fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return AZ_EIO;
        r->remaining -= k;
        return k;
    }
}

int tar_read_all(struct tar_reader *r, size_t max, char **ret, size_t *ret_len)
{
    if (r->remaining > (int64_t)max)
        return AZ_ETOOLARGE;
    size_t n = (size_t)r->remaining;
    char *p = xmalloc(n + 1);
    if (n > 0 && read_full(r->fd, p, n) != 1) {
        free(p);
        return AZ_EIO;
    }
    r->remaining = 0;
    p[n] = '\0';
    *ret = p;
    *ret_len = n;
    return 0;
}

char *tar_clean_path(const char *path)
{
    if (strlen(path) > TAR_MAX_NAME)
        return NULL;
    struct buf b = BUF_INIT;
    const char *p = path;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            buf_release(&b);
            return NULL;
        }
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (b.len > 0)
                buf_putc(&b, '/');
            buf_append(&b, p, n);
        }
        p = end;
    }
    return buf_detach(&b, NULL);
}

/* ---- applying a layer ---- */

int layer_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
    for (int tries = 0; tries < 16; tries++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN)
            return (int)fd;
    }
    return -1;
}

int layer_open_in_root(int rootfd, const char *path, int flags)
{
    return layer_openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

#define MAX_SYMLINK_HOPS 40

/* Opens directory dir ("" for the root) inside the rootfs, creating the missing components
 * as 0755 directories when create — also the target of a dangling symlink met on the way,
 * inside the rootfs, as containerd does. The fd (O_PATH) or -errno. */
static int open_dir_hops(int rootfd, const char *dir, bool create, int hops)
{
    int fd = layer_open_in_root(rootfd, *dir ? dir : ".", O_PATH | O_DIRECTORY);
    if (fd >= 0)
        return fd;
    if (errno != ENOENT || !create)
        return -errno;
    /* component by component: each prefix is resolved inside the root by the kernel, a
     * missing component is made in the directory its prefix resolved to */
    int cur = layer_open_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
    if (cur < 0)
        return -errno;
    size_t len = strlen(dir);
    char *prefix = xstrdup(dir);
    for (size_t start = 0, end; start < len; start = end + 1) {
        for (end = start; end < len && dir[end] != '/'; end++)
            ;
        if (end == start || (end - start == 1 && dir[start] == '.'))
            continue;
        prefix[end] = '\0';
        fd = layer_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (fd < 0 && errno == ENOENT) {
            char *comp = xstrndup(dir + start, end - start);
            char target[TAR_MAX_NAME + 1];
            ssize_t n;
            if (mkdirat(cur, comp, 0755) == 0) {
                (void)fchmodat(cur, comp, 0755, 0); /* whatever the umask */
                fd = layer_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
            } else if (errno == EEXIST &&
                       (n = readlinkat(cur, comp, target, sizeof(target) - 1)) > 0) {
                /* a dangling symlink: continue with its target (relative to the directory
                 * holding it, or to the root), which the next round creates */
                free(comp);
                close(cur);
                free(prefix);
                if (hops >= MAX_SYMLINK_HOPS)
                    return -ELOOP;
                target[n] = '\0';
                const char *rest = end < len ? dir + end + 1 : "";
                char *next = target[0] == '/' ? xasprintf("%s/%s", target, rest)
                                              : xasprintf("%.*s/%s/%s", (int)start, dir, target, rest);
                int rc = open_dir_hops(rootfd, next, create, hops + 1);
                free(next);
                return rc;
            } else {
                fd = -1;
                if (errno == EEXIST || errno == EINVAL)
                    errno = ENOENT;
            }
            free(comp);
        }
        int err = errno;
        close(cur);
        if (fd < 0) {
            free(prefix);
            return -err;
        }
        cur = fd;
        if (end < len)
            prefix[end] = '/';
    }
    free(prefix);
    return cur;
}

static int open_dir_in_root(int rootfd, const char *dir, bool create)
{
    return open_dir_hops(rootfd, dir, create, 0);
}

int layer_remove_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int err = errno;
        close(fd);
        return -err;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = layer_remove_at(fd, de->d_name);
    }
    closedir(d);
    if (rc != 0)
        return rc;
    return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : -errno;
}

/* Paths the layer being applied has written (cleaned), so that an opaque whiteout keeps
 * them: it only hides what the lower layers put in its directory. */
struct written {
    char **paths;
    size_t n, cap;
};

static void written_add(struct written *w, const char *path)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->paths = xrealloc(w->paths, w->cap * sizeof(*w->paths));
    }
    w->paths[w->n++] = xstrdup(path);
}

static bool written_has_child(const struct written *w, const char *dir, const char *child)
{
    size_t dl = strlen(dir), cl = strlen(child);
    for (size_t i = 0; i < w->n; i++) {
        const char *p = w->paths[i];
        if (dl > 0) {
            if (strncmp(p, dir, dl) != 0 || p[dl] != '/')
                continue;
            p += dl + 1;
        }
        if (strncmp(p, child, cl) == 0 && (p[cl] == '\0' || p[cl] == '/'))
            return true;
    }
    return false;
}

static void written_release(struct written *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->paths[i]);
    free(w->paths);
}

/* Empties dirfd (the directory at dir) of what the layer has not written itself. */
static int apply_opaque(int dirfd, const char *dir, const struct written *w)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int err = errno;
        close(fd);
        return -err;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            written_has_child(w, dir, de->d_name))
            continue;
        rc = layer_remove_at(fd, de->d_name);
    }
    closedir(d);
    return rc;
}

/* Ownership, mode, xattrs and mtime of the entry just created at dirfd/name; fd is an open
 * descriptor of it (regular files and directories) or -1. Ownership is skipped when not
 * root (rootless unpacking keeps the caller's ids). */
static int apply_metadata(int dirfd, const char *name, int fd, const struct tar_entry *e)
{
    bool root = geteuid() == 0;
    if (root) {
        int rc = fd >= 0 ? fchown(fd, (uid_t)e->uid, (gid_t)e->gid)
                         : fchownat(dirfd, name, (uid_t)e->uid, (gid_t)e->gid,
                                    AT_SYMLINK_NOFOLLOW);
        if (rc != 0)
            return -errno;
    }
    if (e->type != '2') {
        /* after chown, which clears setuid/setgid */
        int rc = fd >= 0 ? fchmod(fd, e->mode) : fchmodat(dirfd, name, e->mode, 0);
        if (rc != 0)
            return -errno;
    }
    for (size_t i = 0; fd >= 0 && i < e->n_xattrs; i++) {
        /* file capabilities and user attributes only: trusted.* (e.g. overlayfs' own
         * trusted.overlay.*) and security labels are not the image's to set on the node */
        const char *n = e->xattrs[i].name;
        if (strcmp(n, "security.capability") != 0 && strncmp(n, "user.", 5) != 0)
            continue;
        if (fsetxattr(fd, n, e->xattrs[i].value, e->xattrs[i].len, 0) != 0 && root &&
            errno != ENOTSUP && errno != EOPNOTSUPP)
            return -errno;
    }
    struct timespec ts[2] = {{.tv_sec = e->mtime}, {.tv_sec = e->mtime}};
    if (fd >= 0)
        (void)futimens(fd, ts);
    else
        (void)utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int write_content(struct tar_reader *r, int fd)
{
    /* on the heap, not static TLS: a __thread array is zeroed in every thread's stack at
     * thread start (RSS in each of the ~70 threads), whether or not it ever unpacks a layer */
    enum { CONTENT_BUF = 128 * 1024 };
    char *buf = xmalloc(CONTENT_BUF);
    int rc = 0;
    for (;;) {
        ssize_t n = tar_read(r, buf, CONTENT_BUF);
        if (n <= 0) {
            rc = n == 0 ? 0 : -EIO;
            break;
        }
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t k = write(fd, buf + off, (size_t)(n - off));
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                rc = -errno;
            else
                off += k;
        }
        if (rc != 0)
            break;
    }
    free(buf);
    return rc;
}

/* Creates the entry e as name in dirfd (whatever was there is gone). 0 or -errno. */
static int create_entry(struct tar_reader *r, int rootfd, int dirfd, const char *name,
                        const struct tar_entry *e, const char **what)
{
    int rc = 0, fd = -1;
    struct stat st;
    bool exists = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (e->type == '5' && exists && S_ISDIR(st.st_mode)) {
        /* an existing directory is kept and takes the entry's metadata */
    } else if (exists && (rc = layer_remove_at(dirfd, name)) != 0) {
        *what = "cannot replace";
        return rc;
    }
    switch (e->type) {
    case '0':
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            *what = "cannot create";
            return -errno;
        }
        if ((rc = write_content(r, fd)) != 0) {
            *what = "cannot write";
            break;
        }
        rc = apply_metadata(dirfd, name, fd, e);
        break;
    case '5':
        if (!(e->type == '5' && exists && S_ISDIR(st.st_mode)) && mkdirat(dirfd, name, 0700) != 0) {
            *what = "cannot create directory";
            return -errno;
        }
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            *what = "cannot open directory";
            return -errno;
        }
        rc = apply_metadata(dirfd, name, fd, e);
        break;
    case '2':
        if (symlinkat(e->link, dirfd, name) != 0) {
            *what = "cannot create symlink";
            return -errno;
        }
        rc = apply_metadata(dirfd, name, -1, e);
        break;
    case '1': {
        char *target = tar_clean_path(e->link);
        if (target == NULL || *target == '\0') {
            free(target);
            *what = "hard link target outside the rootfs";
            return -EXDEV;
        }
        char *slash = strrchr(target, '/');
        const char *tname = slash ? slash + 1 : target;
        if (slash)
            *slash = '\0';
        int tdir = open_dir_in_root(rootfd, slash ? target : "", false);
        if (tdir < 0) {
            free(target);
            *what = "hard link target not found";
            return tdir;
        }
        /* flags 0: the target itself is linked (a symlink is not followed) */
        rc = linkat(tdir, tname, dirfd, name, 0) == 0 ? 0 : -errno;
        close(tdir);
        free(target);
        if (rc != 0)
            *what = "cannot create hard link";
        return rc;
    }
    case '3':
    case '4':
    case '6': {
        mode_t m = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
        if (mknodat(dirfd, name, m | 0600, makedev(e->devmajor, e->devminor)) != 0) {
            if (errno == EPERM && geteuid() != 0)
                return 0; /* rootless: devices cannot be made; skipped */
            *what = "cannot create node";
            return -errno;
        }
        rc = apply_metadata(dirfd, name, -1, e);
        break;
    }
    default:
        *what = "unsupported entry";
        return -EINVAL;
    }
    if (rc != 0 && *what == NULL)
        *what = "cannot set ownership or mode of";
    if (fd >= 0)
        close(fd);
    return rc;
}

int layer_apply(int rootfd, int tarfd, char **ret_err)
{
    struct tar_reader *r = tar_reader_new(tarfd);
    struct written w = {0};
    int rc = 0;
    for (;;) {
        struct tar_entry *e = NULL;
        char *err = NULL;
        int n = tar_next(r, &e, &err);
        if (n == 0)
            break;
        if (n < 0) {
            *ret_err = xasprintf("invalid layer: %s", err);
            free(err);
            rc = n;
            break;
        }
        char *path = tar_clean_path(e->path);
        if (path == NULL) {
            *ret_err = xasprintf("invalid layer: entry \"%s\" escapes the root filesystem",
                                 e->path);
            rc = AZ_EINVALID;
            break;
        }
        if (*path == '\0') { /* the root itself: its metadata is not the layer's to set */
            free(path);
            continue;
        }
        char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        if (slash)
            *slash = '\0';
        const char *dir = slash ? path : "";
        const char *what = NULL;
        int err_no = 0;
        if (strncmp(name, ".wh.", 4) == 0) {
            const char *victim = name + 4;
            if (strcmp(name, ".wh..wh..opq") == 0) {
                int dfd = open_dir_in_root(rootfd, dir, true);
                if (dfd < 0) {
                    err_no = -dfd;
                    what = "cannot open opaque directory";
                } else {
                    err_no = -apply_opaque(dfd, dir, &w);
                    what = "cannot apply opaque whiteout in";
                    close(dfd);
                }
            } else if (strncmp(victim, ".wh.", 4) == 0) {
                /* other AUFS metadata (.wh..wh.plnk, ...): not part of the rootfs */
            } else if (*victim == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0) {
                err_no = EINVAL;
                what = "invalid whiteout";
            } else {
                int dfd = open_dir_in_root(rootfd, dir, false);
                if (dfd >= 0) {
                    err_no = -layer_remove_at(dfd, victim);
                    what = "cannot apply whiteout";
                    close(dfd);
                } else if (dfd != -ENOENT && dfd != -ENOTDIR) {
                    err_no = -dfd;
                    what = "cannot open the directory of whiteout";
                }
            }
        } else {
            int dfd = open_dir_in_root(rootfd, dir, true);
            if (dfd < 0) {
                err_no = -dfd;
                what = "cannot create the parent directory of";
            } else {
                err_no = -create_entry(r, rootfd, dfd, name, e, &what);
                close(dfd);
                if (err_no == 0) {
                    if (slash)
                        *slash = '/';
                    written_add(&w, path);
                }
            }
        }
        if (err_no != 0) {
            *ret_err = xasprintf("applying layer: %s \"%s\": %s", what ? what : "failed at",
                                 e->path, strerror(err_no));
            free(path);
            rc = AZ_EIO;
            break;
        }
        free(path);
    }
    written_release(&w);
    tar_reader_free(r);
    return rc;
}
