/* image_test.c — tests of the image store (src/node/image.c) and of layer application
 * (src/node/layer.c): reference normalisation as containerd does it; archive path cleaning;
 * layers built here as tar streams — files with content, modes (setuid), ownership, symlinks,
 * hard links, devices, PAX and GNU long names, whiteouts and opaque directories; attempts to
 * escape the rootfs ("..", absolute names, symlinks and hard links pointing outside, writing
 * through a symlink, whiteouts through a symlink) that must leave a sentinel directory outside
 * the rootfs untouched; and image_unpack over a store written here by hand (gzip and plain
 * layers, trailing data after a layer's end, the config returned, digest verification,
 * missing images, existing rootfs). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "node/image.h"
#include "node/layer.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- building tar streams ---- */

static void octal(char *dst, size_t n, uint64_t v)
{
    snprintf(dst, n, "%0*llo", (int)n - 1, (unsigned long long)v);
}

static void tar_header(struct buf *t, const char *name, char type, unsigned mode, unsigned uid,
                       unsigned gid, size_t size, const char *link, unsigned major, unsigned minor)
{
    char h[512];
    memset(h, 0, sizeof(h));
    strncpy(h, name, 100);
    octal(h + 100, 8, mode);
    octal(h + 108, 8, uid);
    octal(h + 116, 8, gid);
    octal(h + 124, 12, size);
    octal(h + 136, 12, 1700000000);
    memset(h + 148, ' ', 8);
    h[156] = type;
    if (link != NULL)
        strncpy(h + 157, link, 100);
    memcpy(h + 257, "ustar\0" "00", 8);
    octal(h + 329, 8, major);
    octal(h + 337, 8, minor);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    buf_append(t, h, 512);
}

static void tar_data(struct buf *t, const char *data, size_t n)
{
    buf_append(t, data, n);
    static const char zero[512];
    if (n % 512)
        buf_append(t, zero, 512 - n % 512);
}

static void tar_file(struct buf *t, const char *name, const char *content, unsigned mode)
{
    tar_header(t, name, '0', mode, 0, 0, strlen(content), NULL, 0, 0);
    tar_data(t, content, strlen(content));
}

static void tar_dir(struct buf *t, const char *name, unsigned mode)
{
    tar_header(t, name, '5', mode, 0, 0, 0, NULL, 0, 0);
}

static void tar_symlink(struct buf *t, const char *name, const char *target)
{
    tar_header(t, name, '2', 0777, 0, 0, 0, target, 0, 0);
}

static void tar_hardlink(struct buf *t, const char *name, const char *target)
{
    tar_header(t, name, '1', 0644, 0, 0, 0, target, 0, 0);
}

/* A PAX 'x' header whose records are recs ("path=..." etc.). */
static void tar_pax(struct buf *t, const char *const *recs, size_t n)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        size_t body = strlen(recs[i]) + 2; /* ' ' and '\n' */
        size_t len = body + 1;
        while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
            len = body + (size_t)snprintf(NULL, 0, "%zu", len);
        buf_printf(&b, "%zu %s\n", len, recs[i]);
    }
    tar_header(t, "PaxHeaders/x", 'x', 0644, 0, 0, b.len, NULL, 0, 0);
    tar_data(t, b.data, b.len);
    buf_release(&b);
}

static void tar_end(struct buf *t)
{
    static const char zero[1024];
    buf_append(t, zero, sizeof(zero));
}

/* ---- fixtures ---- */

struct fixture {
    char *top;      /* temp dir holding root/ and outside/ */
    char *root;     /* the rootfs layers are applied to */
    char *outside;  /* a sentinel directory next to it */
    int rootfd;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char tmpl[] = "/tmp/anzen-image-test.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->top = xstrdup(tmpl);
    f->root = xasprintf("%s/root", f->top);
    f->outside = xasprintf("%s/outside", f->top);
    assert_int_equal(mkdir(f->root, 0755), 0);
    assert_int_equal(mkdir(f->outside, 0755), 0);
    char *secret = xasprintf("%s/secret", f->outside);
    FILE *fp = fopen(secret, "w");
    assert_non_null(fp);
    fputs("host secret\n", fp);
    fclose(fp);
    free(secret);
    f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->rootfd >= 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->rootfd);
    char *slash = strrchr(f->top, '/');
    int d = open("/tmp", O_PATH | O_DIRECTORY);
    layer_remove_at(d, slash + 1);
    close(d);
    free(f->top);
    free(f->root);
    free(f->outside);
    free(f);
    return 0;
}

/* Applies the tar stream t to the fixture's rootfs; the result code, *ret_err kept. */
static int apply(struct fixture *f, struct buf *t, char **ret_err)
{
    char path[] = "/tmp/anzen-layer.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, t->data, t->len), (ssize_t)t->len);
    lseek(fd, 0, SEEK_SET);
    char *err = NULL;
    int rc = layer_apply(f->rootfd, fd, &err);
    close(fd);
    if (ret_err != NULL)
        *ret_err = err;
    else
        free(err);
    return rc;
}

/* Applies a layer holding one regular file name with content; apply's result. */
static int apply_file(struct fixture *f, const char *name, const char *content, char **ret_err)
{
    struct buf t;
    buf_init(&t, 0);
    tar_file(&t, name, content, 0644);
    tar_end(&t);
    int rc = apply(f, &t, ret_err);
    buf_release(&t);
    return rc;
}

static char *read_file(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    FILE *fp = fopen(p, "r");
    free(p);
    if (fp == NULL)
        return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return xstrdup(buf);
}

static bool exists(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

/* The sentinel directory holds exactly its secret, unchanged. */
static void assert_outside_untouched(struct fixture *f)
{
    DIR *d = opendir(f->outside);
    assert_non_null(d);
    struct dirent *de;
    size_t n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        assert_string_equal(de->d_name, "secret");
        n++;
    }
    closedir(d);
    assert_int_equal(n, 1);
    char *s = read_file(f->outside, "secret");
    assert_non_null(s);
    assert_string_equal(s, "host secret\n");
    free(s);
    char *p = xasprintf("%s/secret", f->outside);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    free(p);
    /* and nothing new next to root/ and outside/ (but what the test made there) */
    static const char *const allowed[] = {".", "..", "root", "outside", "store", "unpacked"};
    d = opendir(f->top);
    while ((de = readdir(d)) != NULL) {
        bool ok = false;
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
            ok |= strcmp(de->d_name, allowed[i]) == 0;
        if (!ok)
            fail_msg("%s appeared next to the rootfs", de->d_name);
    }
    closedir(d);
}

/* ---- normalisation ---- */

static void test_normalize(void **state)
{
    static const char *const cases[][2] = {
        {"alpine", "docker.io/library/alpine:latest"},
        {"alpine:latest", "docker.io/library/alpine:latest"},
        {"alpine:3.19", "docker.io/library/alpine:3.19"},
        {"library/alpine", "docker.io/library/alpine:latest"},
        {"docker.io/alpine", "docker.io/library/alpine:latest"},
        {"docker.io/library/alpine:1", "docker.io/library/alpine:1"},
        {"index.docker.io/alpine", "docker.io/library/alpine:latest"},
        {"repo/x", "docker.io/repo/x:latest"},
        {"repo/x/y:v1", "docker.io/repo/x/y:v1"},
        {"localhost/x", "localhost/x:latest"},
        {"localhost:5000/x:y", "localhost:5000/x:y"},
        {"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"},
        {"quay.io/a/b-c/d_e:f.g-h", "quay.io/a/b-c/d_e:f.g-h"},
        {"10.0.0.1:5000/app", "10.0.0.1:5000/app:latest"},
        {"[::1]:5000/app:v", "[::1]:5000/app:v"},
        {"Foo/bar", "Foo/bar:latest"},
        {"a__b", "docker.io/library/a__b:latest"},
        {"a--b.c", "docker.io/library/a--b.c:latest"},
        {"alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "docker.io/library/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        {"alpine:3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "docker.io/library/alpine:3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        /* invalid */
        {"", NULL},
        {"ALPINE", NULL},
        {"alpine:", NULL},
        {":latest", NULL},
        {"alpine:-x", NULL},
        {"a//b", NULL},
        {"a/", NULL},
        {"docker.io/", NULL},
        {"localhost/", NULL},
        {"/x", NULL},
        {"-abc", NULL},
        {"a..b", NULL},
        {"a___b", NULL},
        {"alpine@sha256:abc", NULL},
        {"alpine@md5:0123456789abcdef0123456789abcdef", NULL},
        {"example.com:/x", NULL},
        {"exa_mple.com/x", NULL},
        {"alpine latest", NULL},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *n = image_normalize(cases[i][0]);
        if (cases[i][1] == NULL) {
            if (n != NULL)
                fail_msg("%s: expected invalid, got %s", cases[i][0], n);
        } else {
            if (n == NULL)
                fail_msg("%s: expected %s, got invalid", cases[i][0], cases[i][1]);
            assert_string_equal(n, cases[i][1]);
        }
        free(n);
    }
    assert_null(image_normalize(NULL));
}

static void test_clean_path(void **state)
{
    static const char *const cases[][2] = {
        {"a/b", "a/b"}, {"./a/b/", "a/b"}, {"/a//b/./c", "a/b/c"}, {"./", ""}, {"/", ""},
        {".", ""}, {"a/../b", NULL}, {"..", NULL}, {"../x", NULL}, {"/x/..", NULL},
        {"a/..b", "a/..b"}, {"...", "..."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *c = tar_clean_path(cases[i][0]);
        if (cases[i][1] == NULL) {
            assert_null(c);
        } else {
            assert_non_null(c);
            assert_string_equal(c, cases[i][1]);
        }
        free(c);
    }
}

/* ---- layers ---- */

static void test_apply_basic(void **state)
{
    struct fixture *f = *state;
    struct buf t = BUF_INIT;
    tar_dir(&t, "./", 0755);
    tar_dir(&t, "./etc/", 0755);
    tar_file(&t, "./etc/hello", "hello world\n", 0640);
    tar_header(&t, "usr/bin/tool", '0', 04755, 1000, 1001, 3, NULL, 0, 0); /* parent implied */
    tar_data(&t, "abc", 3);
    tar_symlink(&t, "bin", "usr/bin");
    tar_symlink(&t, "abs", "/etc/hello");
    tar_hardlink(&t, "etc/hello-link", "./etc/hello");
    tar_header(&t, "dev/null", '3', 0666, 0, 0, 0, NULL, 1, 3);
    tar_header(&t, "run/fifo", '6', 0600, 0, 0, 0, NULL, 0, 0);
    tar_dir(&t, "tmp", 01777);
    const char *long_name = "very/long/"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "/file";
    char *rec = xasprintf("path=%s", long_name);
    const char *recs[] = {rec, "uid=4000000", "mtime=1600000000.5"};
    tar_pax(&t, recs, 3);
    tar_file(&t, "short-name-replaced-by-pax", "pax\n", 0600);
    free(rec);
    char gnu_name[300];
    memset(gnu_name, 'g', sizeof(gnu_name) - 1);
    gnu_name[sizeof(gnu_name) - 1] = '\0';
    memcpy(gnu_name, "gnu/", 4);
    gnu_name[150] = '/';
    tar_header(&t, "././@LongLink", 'L', 0644, 0, 0, strlen(gnu_name) + 1, NULL, 0, 0);
    tar_data(&t, gnu_name, strlen(gnu_name) + 1);
    tar_file(&t, "truncated", "gnu\n", 0644);
    tar_end(&t);
    char *err = NULL;
    int rc = apply(f, &t, &err);
    if (rc != 0)
        fail_msg("apply: %s", err);
    buf_release(&t);

    char *s = read_file(f->root, "etc/hello");
    assert_string_equal(s, "hello world\n");
    free(s);
    char *p = xasprintf("%s/etc/hello", f->root), *q = xasprintf("%s/etc/hello-link", f->root);
    struct stat a, b;
    assert_int_equal(lstat(p, &a), 0);
    assert_int_equal(lstat(q, &b), 0);
    assert_int_equal(a.st_mode & 07777, 0640);
    assert_int_equal(a.st_ino, b.st_ino); /* a hard link */
    assert_int_equal(a.st_mtime, 1700000000);
    free(p);
    free(q);
    p = xasprintf("%s/usr/bin/tool", f->root);
    assert_int_equal(lstat(p, &a), 0);
    assert_int_equal(a.st_mode & 07777, 04755); /* setuid kept after chown */
    if (geteuid() == 0) {
        assert_int_equal(a.st_uid, 1000);
        assert_int_equal(a.st_gid, 1001);
    }
    free(p);
    char target[64];
    p = xasprintf("%s/bin", f->root);
    ssize_t n = readlink(p, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "usr/bin");
    free(p);
    s = read_file(f->root, "bin/tool"); /* through the relative symlink */
    assert_string_equal(s, "abc");
    free(s);
    p = xasprintf("%s/tmp", f->root);
    assert_int_equal(lstat(p, &a), 0);
    assert_true(S_ISDIR(a.st_mode));
    assert_int_equal(a.st_mode & 07777, 01777);
    free(p);
    if (geteuid() == 0) {
        p = xasprintf("%s/dev/null", f->root);
        assert_int_equal(lstat(p, &a), 0);
        assert_true(S_ISCHR(a.st_mode));
        assert_int_equal(major(a.st_rdev), 1);
        assert_int_equal(minor(a.st_rdev), 3);
        free(p);
    }
    p = xasprintf("%s/run/fifo", f->root);
    assert_int_equal(lstat(p, &a), 0);
    assert_true(S_ISFIFO(a.st_mode));
    free(p);
    s = read_file(f->root, long_name);
    assert_non_null(s);
    assert_string_equal(s, "pax\n");
    free(s);
    p = xasprintf("%s/%s", f->root, long_name);
    assert_int_equal(lstat(p, &a), 0);
    if (geteuid() == 0)
        assert_int_equal(a.st_uid, 4000000);
    assert_int_equal(a.st_mtime, 1600000000);
    free(p);
    s = read_file(f->root, gnu_name);
    assert_non_null(s);
    assert_string_equal(s, "gnu\n");
    free(s);
    assert_false(exists(f->root, "truncated"));
    assert_false(exists(f->root, "short-name-replaced-by-pax"));
    assert_outside_untouched(f);
}

static void test_apply_whiteouts(void **state)
{
    struct fixture *f = *state;
    struct buf t = BUF_INIT;
    tar_file(&t, "a/x", "x", 0644);
    tar_file(&t, "a/y", "y", 0644);
    tar_file(&t, "b/z", "z", 0644);
    tar_file(&t, "c/old", "old", 0644);
    tar_dir(&t, "c/olddir", 0755);
    tar_file(&t, "c/olddir/f", "f", 0644);
    tar_file(&t, "d/keep", "k", 0644);
    tar_file(&t, "file-then-dir", "f", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);

    buf_init(&t, 0);
    tar_file(&t, "a/.wh.x", "", 0644);
    tar_file(&t, ".wh.b", "", 0644);
    tar_file(&t, "c/new", "new", 0644);          /* before the opaque marker: kept */
    tar_file(&t, "c/.wh..wh..opq", "", 0644);
    tar_file(&t, "c/newer", "newer", 0644);
    tar_file(&t, "d/.wh.absent", "", 0644);       /* whiteout of nothing: fine */
    tar_file(&t, "nodir/.wh.x", "", 0644);        /* in a directory that does not exist */
    tar_file(&t, ".wh..wh.plnk", "", 0644);       /* AUFS metadata: ignored */
    tar_dir(&t, "file-then-dir", 0700);           /* a file replaced by a directory */
    tar_file(&t, "d/keep", "replaced", 0600);     /* a file replaced by a file */
    tar_end(&t);
    char *err = NULL;
    int rc = apply(f, &t, &err);
    if (rc != 0)
        fail_msg("apply: %s", err);
    buf_release(&t);
    assert_false(exists(f->root, "a/x"));
    assert_true(exists(f->root, "a/y"));
    assert_false(exists(f->root, "a/.wh.x"));
    assert_false(exists(f->root, "b"));
    assert_false(exists(f->root, ".wh.b"));
    assert_false(exists(f->root, "c/old"));
    assert_false(exists(f->root, "c/olddir"));
    assert_false(exists(f->root, "c/.wh..wh..opq"));
    assert_true(exists(f->root, "c/new"));
    assert_true(exists(f->root, "c/newer"));
    assert_false(exists(f->root, "nodir"));
    assert_false(exists(f->root, ".wh..wh.plnk"));
    char *s = read_file(f->root, "d/keep");
    assert_string_equal(s, "replaced");
    free(s);
    char *p = xasprintf("%s/file-then-dir", f->root);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(p);
    assert_outside_untouched(f);
}

/* Each layer tries to get out of the rootfs; none may change anything outside it. */
static void test_apply_escapes(void **state)
{
    struct fixture *f = *state;
    char *err = NULL;
    struct buf t = BUF_INIT;

    /* ".." in a name: refused */
    tar_file(&t, "../outside/pwned", "x", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EINVALID);
    assert_non_null(strstr(err, "escapes the root filesystem"));
    free(err);
    buf_release(&t);
    assert_int_equal(apply_file(f, "a/b/../../../outside/pwned", "x", NULL), AZ_EINVALID);
    assert_outside_untouched(f);

    /* an absolute name lands inside the rootfs */
    char *abs_name = xasprintf("%s/pwned", f->outside);
    assert_int_equal(apply_file(f, abs_name, "x", NULL), 0);
    assert_true(exists(f->root, abs_name + 1));
    assert_outside_untouched(f);

    /* symlinks pointing outside (absolute and relative), then writes through them: the
     * symlinks resolve inside the rootfs */
    char *rel = xasprintf("../../../../../../../../..%s", f->outside);
    buf_init(&t, 0);
    tar_symlink(&t, "esc-abs", f->outside);
    tar_symlink(&t, "esc-rel", rel);
    tar_symlink(&t, "esc-dotdot", "../outside");
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    const char *dirs[] = {"esc-abs", "esc-rel", "esc-dotdot"};
    /* writes "through" each symlink: to the host's secret, a whiteout, an opaque marker */
    static const struct {
        const char *name, *content;
    } through[] = {{"secret", "overwritten"}, {".wh.secret", ""}, {".wh..wh..opq", ""}};
    for (size_t i = 0; i < 3; i++) {
        char *name = xasprintf("%s/pwned-%zu", dirs[i], i);
        /* the dangling symlink's target is created inside the rootfs, as containerd does */
        char *err = NULL;
        if (apply_file(f, name, "x", &err) != 0)
            fail_msg("%s: %s", name, err);
        free(name);
        name = xasprintf("%s/pwned-%zu", i == 2 ? "outside" : f->outside + 1, i);
        if (!exists(f->root, name))
            fail_msg("%s/%s not created", f->root, name);
        free(name);
        for (size_t k = 0; k < sizeof(through) / sizeof(through[0]); k++) {
            name = xasprintf("%s/%s", dirs[i], through[k].name);
            (void)apply_file(f, name, through[k].content, NULL);
            free(name);
        }
        assert_outside_untouched(f);
    }
    free(rel);

    /* a chain of dangling symlinks is followed inside the rootfs; a loop is refused */
    buf_init(&t, 0);
    tar_symlink(&t, "chain1", "chain2/sub");
    tar_symlink(&t, "chain2", "/chain3");
    tar_file(&t, "chain1/f", "c", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    assert_true(exists(f->root, "chain3/sub/f"));
    buf_init(&t, 0);
    tar_symlink(&t, "loop1", "loop2");
    tar_symlink(&t, "loop2", "loop1");
    tar_file(&t, "loop1/f", "c", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EIO);
    assert_non_null(strstr(err, "symbolic links"));
    free(err);
    buf_release(&t);
    assert_outside_untouched(f);

    /* a symlink to the host's file, then a regular file of the same name: the symlink is
     * replaced, the target is not written */
    char *secret = xasprintf("%s/secret", f->outside);
    buf_init(&t, 0);
    tar_symlink(&t, "to-secret", secret);
    tar_file(&t, "to-secret", "overwritten", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    char *s = read_file(f->root, "to-secret");
    assert_string_equal(s, "overwritten");
    free(s);
    assert_outside_untouched(f);

    /* hard links to the host's file: by "..", absolute, through a symlink */
    buf_init(&t, 0);
    tar_hardlink(&t, "hl1", "../outside/secret");
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), AZ_EIO);
    buf_release(&t);
    buf_init(&t, 0);
    tar_hardlink(&t, "hl2", secret);
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), AZ_EIO);
    buf_release(&t);
    buf_init(&t, 0);
    tar_symlink(&t, "sd", f->outside);
    tar_hardlink(&t, "hl3", "sd/secret");
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), AZ_EIO);
    buf_release(&t);
    /* a hard link to a symlink links the symlink itself */
    buf_init(&t, 0);
    tar_hardlink(&t, "hl4", "sd");
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    struct stat st;
    char *p = xasprintf("%s/hl4", f->root);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    free(p);
    assert_outside_untouched(f);

    /* the root itself through a symlink: "evil" -> "/" then "evil/etc/x" */
    buf_init(&t, 0);
    tar_symlink(&t, "evil", "/");
    tar_file(&t, "evil/etc/x", "x", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    assert_true(exists(f->root, "etc/x"));
    free(secret);
    free(abs_name);
    assert_outside_untouched(f);
}

static void test_apply_xattrs(void **state)
{
    struct fixture *f = *state;
    char *probe = xasprintf("%s/probe", f->top);
    FILE *fp = fopen(probe, "w");
    fclose(fp);
    bool user_ok = setxattr(probe, "user.probe", "1", 1, 0) == 0;
    unlink(probe);
    free(probe);
    struct buf t = BUF_INIT;
    const char *recs[] = {"SCHILY.xattr.user.color=blue", "SCHILY.xattr.trusted.overlay.opaque=y",
                          "SCHILY.xattr.security.selinux=system_u:object_r:etc_t:s0"};
    tar_pax(&t, recs, 3);
    tar_file(&t, "f", "x", 0644);
    tar_header(&t, "dev/c", '3', 0644, 0, 0, 999, NULL, 5, 1); /* devices carry no content */
    tar_file(&t, "after", "y", 0644);
    tar_end(&t);
    char *err = NULL;
    int rc = apply(f, &t, &err);
    if (rc != 0)
        fail_msg("apply: %s", err);
    buf_release(&t);
    char *p = xasprintf("%s/f", f->root);
    char v[64];
    if (user_ok) {
        ssize_t n = getxattr(p, "user.color", v, sizeof(v));
        assert_int_equal(n, 4);
        assert_memory_equal(v, "blue", 4);
    }
    assert_true(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) < 0);
    free(p);
    char *s = read_file(f->root, "after");
    assert_string_equal(s, "y");
    free(s);
}

static void test_apply_malformed(void **state)
{
    struct fixture *f = *state;
    struct buf t = BUF_INIT;
    char *err = NULL;
    /* a bad checksum */
    tar_file(&t, "a", "x", 0644);
    t.data[148] = '7';
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EINVALID);
    assert_non_null(strstr(err, "checksum"));
    free(err);
    buf_release(&t);
    /* content shorter than the header says */
    buf_init(&t, 0);
    tar_header(&t, "short", '0', 0644, 0, 0, 5000, NULL, 0, 0);
    tar_data(&t, "abc", 3);
    assert_int_equal(apply(f, &t, &err), AZ_EIO);
    free(err);
    buf_release(&t);
    /* an unsupported entry type (sparse) */
    buf_init(&t, 0);
    tar_header(&t, "sparse", 'S', 0644, 0, 0, 0, NULL, 0, 0);
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EINVALID);
    assert_non_null(strstr(err, "unsupported"));
    free(err);
    buf_release(&t);
    /* a malformed PAX record */
    buf_init(&t, 0);
    tar_header(&t, "pax", 'x', 0644, 0, 0, 9, NULL, 0, 0);
    tar_data(&t, "99 path=x", 9);
    tar_file(&t, "f", "x", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EINVALID);
    free(err);
    buf_release(&t);
    /* an owner that chown(2) would read as "unchanged" */
    buf_init(&t, 0);
    const char *recs[] = {"uid=4294967295"};
    tar_pax(&t, recs, 1);
    tar_file(&t, "f", "x", 0644);
    tar_end(&t);
    assert_int_equal(apply(f, &t, &err), AZ_EINVALID);
    assert_non_null(strstr(err, "invalid owner"));
    free(err);
    buf_release(&t);
    /* an empty stream is an empty layer */
    buf_init(&t, 0);
    assert_int_equal(apply(f, &t, NULL), 0);
    buf_release(&t);
    assert_outside_untouched(f);
}

/* ---- image_unpack over a store written by hand ---- */

static char *write_blob(const char *store, const void *data, size_t len)
{
    unsigned char h[32];
    unsigned int hl = 0;
    EVP_Digest(data, len, h, &hl, EVP_sha256(), NULL);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    char *p = xasprintf("%s/blobs/sha256/%s", store, hex);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
    free(p);
    return xasprintf("sha256:%s", hex);
}

static char *gzip_bytes(const struct buf *in, size_t *ret_len)
{
    char tmpl[] = "/tmp/anzen-gz.XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in->data, in->len), (ssize_t)in->len);
    close(fd);
    char *cmd = xasprintf("gzip -nf %s", tmpl);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *gz = xasprintf("%s.gz", tmpl);
    FILE *fp = fopen(gz, "r");
    assert_non_null(fp);
    char *data = xmalloc(in->len + 65536);
    size_t n = fread(data, 1, in->len + 65536, fp);
    fclose(fp);
    unlink(gz);
    free(gz);
    *ret_len = n;
    return data;
}

/* A store at f->top/store with image "docker.io/library/test:1": a gzip layer, then a plain
 * layer that whites out a file of the first. Returns the store path. */
static char *make_store(struct fixture *f, char **ret_layer_digest)
{
    char *store = xasprintf("%s/store", f->top);
    char *blobs = xasprintf("%s/blobs/sha256", store);
    char *cmd = xasprintf("mkdir -p %s", blobs);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(blobs);
    struct buf l1 = BUF_INIT, l2 = BUF_INIT;
    tar_file(&l1, "bin/hello", "#!/bin/sh\necho hi\n", 0755);
    tar_file(&l1, "etc/gone", "gone", 0644);
    tar_end(&l1);
    /* 2 MiB of zeros after the end of the archive: the decompressor is stopped, not drained */
    char *zeros = xcalloc(1, 2 * 1024 * 1024);
    buf_append(&l1, zeros, 2 * 1024 * 1024);
    free(zeros);
    tar_file(&l2, "etc/.wh.gone", "", 0644);
    tar_file(&l2, "etc/added", "added", 0644);
    tar_end(&l2);
    size_t gzlen = 0;
    char *gz = gzip_bytes(&l1, &gzlen);
    char *d1 = write_blob(store, gz, gzlen);
    char *d2 = write_blob(store, l2.data, l2.len);
    const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
                      "\"Cmd\":[\"sh\"],\"User\":\"1000\"},\"rootfs\":{\"type\":\"layers\","
                      "\"diff_ids\":[]}}";
    char *dc = write_blob(store, cfg, strlen(cfg));
    char *man = xasprintf(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
        "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
        "\"digest\":\"%s\",\"size\":%zu},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
        "\"digest\":\"%s\",\"size\":%zu}]}",
        dc, strlen(cfg), d1, gzlen, d2, l2.len);
    char *dm = write_blob(store, man, strlen(man));
    char *index = xasprintf(
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":"
        "\"docker.io/library/test:1\"}}]}",
        dm, strlen(man));
    char *p = xasprintf("%s/index.json", store);
    FILE *fp = fopen(p, "w");
    fputs(index, fp);
    fclose(fp);
    free(p);
    p = xasprintf("%s/oci-layout", store);
    fp = fopen(p, "w");
    fputs("{\"imageLayoutVersion\":\"1.0.0\"}", fp);
    fclose(fp);
    free(p);
    *ret_layer_digest = d1;
    free(gz);
    free(d2);
    free(dc);
    free(man);
    free(dm);
    free(index);
    buf_release(&l1);
    buf_release(&l2);
    return store;
}

static void test_unpack(void **state)
{
    struct fixture *f = *state;
    char *d1 = NULL;
    char *store = make_store(f, &d1);
    char *rootfs = xasprintf("%s/unpacked", f->top);

    assert_true(image_present(store, "test:1"));
    assert_true(image_present(store, "docker.io/library/test:1"));
    assert_false(image_present(store, "test"));
    struct image_entry *v = NULL;
    size_t n = 0;
    char *err = NULL;
    assert_int_equal(image_list(store, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].ref, "docker.io/library/test:1");
    assert_true(v[0].size > 0);
    assert_non_null(v[0].id);
    assert_int_equal(strncmp(v[0].id, "sha256:", 7), 0);
    char *listed_id = xstrdup(v[0].id);
    image_entries_free(v, n);
    struct image_entry *one = NULL;
    assert_int_equal(image_inspect(store, "test:1", &one, &err), 0);
    assert_string_equal(one->ref, "docker.io/library/test:1");
    assert_string_equal(one->id, listed_id);
    /* by digest too */
    char *by_digest = xasprintf("test@%s", one->digest);
    assert_true(image_present(store, by_digest));
    free(by_digest);
    image_entries_free(one, 1);
    free(listed_id);
    assert_int_equal(image_inspect(store, "test:2", &one, &err), AZ_ENOTFOUND);
    assert_non_null(strstr(err, "docker.io/library/test:2"));
    free(err);
    assert_false(image_present(store, "other@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

    json_t *config = NULL;
    int rc = image_unpack(store, "test:1", rootfs, &config, &err);
    if (rc != 0)
        fail_msg("unpack: %s", err);
    assert_string_equal(json_string_value(json_array_get(json_object_get(config, "Cmd"), 0)), "sh");
    assert_string_equal(json_string_value(json_object_get(config, "User")), "1000");
    json_decref(config);
    char *s = read_file(rootfs, "bin/hello");
    assert_string_equal(s, "#!/bin/sh\necho hi\n");
    free(s);
    assert_false(exists(rootfs, "etc/gone"));
    assert_true(exists(rootfs, "etc/added"));

    /* the rootfs must not exist */
    assert_int_equal(image_unpack(store, "test:1", rootfs, NULL, &err), AZ_EEXIST);
    free(err);
    /* unknown image */
    char *other = xasprintf("%s/other", f->top);
    assert_int_equal(image_unpack(store, "nope", other, NULL, &err), AZ_ENOTFOUND);
    assert_non_null(strstr(err, "docker.io/library/nope:latest"));
    free(err);
    assert_false(exists(f->top, "other"));
    /* invalid reference */
    assert_int_equal(image_unpack(store, "Bad Ref", other, NULL, &err), AZ_EINVALID);
    free(err);
    /* a corrupt layer is detected and the partial rootfs removed */
    char *p = xasprintf("%s/blobs/sha256/%s", store, d1 + 7);
    FILE *fp = fopen(p, "r+");
    fputc('X', fp);
    fclose(fp);
    free(p);
    assert_int_equal(image_unpack(store, "test:1", other, NULL, &err), AZ_EIO);
    assert_non_null(strstr(err, "corrupt"));
    free(err);
    assert_false(exists(f->top, "other"));

    /* a store that does not exist has no images */
    char *none = xasprintf("%s/none", f->top);
    assert_int_equal(image_list(none, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    image_entries_free(v, n);
    assert_false(image_present(none, "test:1"));
    free(none);
    free(other);
    free(d1);
    free(store);
    free(rootfs);
    assert_outside_untouched(f);
}

static size_t count_blobs(const char *store)
{
    char *p = xasprintf("%s/blobs/sha256", store);
    DIR *d = opendir(p);
    free(p);
    size_t n = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static void test_remove(void **state)
{
    struct fixture *f = *state;
    char *d1 = NULL;
    char *store = make_store(f, &d1);
    /* a second name on the same manifest, and a stray blob nothing uses */
    char *p = xasprintf("%s/index.json", store);
    json_t *idx = json_load_file(p, 0, NULL);
    json_t *second = json_deep_copy(json_array_get(json_object_get(idx, "manifests"), 0));
    json_object_set_new(json_object_get(second, "annotations"), "org.opencontainers.image.ref.name",
                        json_string("example.com/other:2"));
    json_array_append_new(json_object_get(idx, "manifests"), second);
    json_dump_file(idx, p, 0);
    json_decref(idx);
    free(p);
    char *stray = write_blob(store, "stray", 5);
    size_t before = count_blobs(store);
    assert_int_equal(before, 5); /* 2 layers, config, manifest, stray */

    char *err = NULL;
    assert_int_equal(image_remove(store, "test:1", &err), 0);
    assert_false(image_present(store, "test:1"));
    assert_true(image_present(store, "example.com/other:2"));
    assert_int_equal(count_blobs(store), 4); /* only the stray blob went */
    char *rootfs = xasprintf("%s/unpacked", f->top);
    assert_int_equal(image_unpack(store, "example.com/other:2", rootfs, NULL, &err), 0);
    assert_int_equal(image_remove(store, "test:1", &err), AZ_ENOTFOUND);
    assert_non_null(strstr(err, "not found"));
    free(err);
    assert_int_equal(image_remove(store, "Bad Ref", &err), AZ_EINVALID);
    free(err);
    assert_int_equal(image_remove(store, "example.com/other:2", &err), 0);
    assert_int_equal(count_blobs(store), 0);
    struct image_entry *v = NULL;
    size_t n = 1;
    assert_int_equal(image_list(store, &v, &n, &err), 0);
    assert_int_equal(n, 0);
    image_entries_free(v, n);
    free(rootfs);
    free(stray);
    free(store);
    free(d1);
}

static void test_import_errors(void **state)
{
    struct fixture *f = *state;
    char *store = xasprintf("%s/store", f->top);
    char *err = NULL;
    assert_int_equal(image_import(store, f->outside, "Bad Name", &err), AZ_EINVALID);
    assert_non_null(strstr(err, "invalid reference format"));
    free(err);
    assert_int_equal(image_import(store, f->outside, "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &err), AZ_EINVALID);
    free(err);
    char *missing = xasprintf("%s/missing", f->top);
    assert_int_equal(image_import(store, missing, "x", &err), AZ_ENOTFOUND);
    free(err);
    free(missing);
    /* a directory that is not a layout */
    assert_int_equal(image_import(store, f->outside, "x", &err), AZ_EINVALID);
    assert_non_null(strstr(err, "not an OCI image layout"));
    free(err);
    /* a file that is not an archive */
    char *secret = xasprintf("%s/secret", f->outside);
    assert_int_equal(image_import(store, secret, "x", &err), AZ_EINVALID);
    free(err);
    free(secret);
    free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test_setup_teardown(test_apply_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_whiteouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_xattrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
