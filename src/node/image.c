/* image.c — the node's local OCI image store (contract: image.h).
 *
 * Layout of the store (image-spec `image-layout.md`), at DIR:
 *
 *   DIR/oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   DIR/index.json            manifests[]: descriptors annotated with
 *                             org.opencontainers.image.ref.name = the normalised reference
 *   DIR/blobs/sha256/HEX      manifests, configs, layers (content-addressed, immutable)
 *   DIR/.lock                 flock(2): exclusive while blobs are moved in and index.json is
 *                             replaced (the commit of an import or pull), shared while it is
 *                             read (list, inspect, unpack)
 *   DIR/.staging-XXXXXX/      an import or pull in progress: skopeo copies into a private
 *                             layout there (no store lock held), then the commit renames its
 *                             blobs into blobs/ and rewrites index.json (write + fsync +
 *                             rename); flocked by its owner, so a commit removes the ones a
 *                             crashed process left
 *
 * Copies and conversions (an OCI layout, an OCI archive, a `docker save` tarball, a
 * registry) are done by skopeo; unpacking is done here (layer.c) so that the rootfs is
 * written under our own path rules. */
#include "node/image.h"
#include "node/spawn.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "node/layer.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME_ANNOTATION "io.containerd.image.name"
#define MAX_MANIFEST (4 * 1024 * 1024)
#define MAX_CONFIG (16 * 1024 * 1024)
#define MAX_NAME_LEN 255

/* Safety nets only: a copy that has not finished by then is killed. A registry that cannot
 * be reached fails at once (DNS or connect errors); skopeo's own timeout bounds the rest. */
#define IMPORT_TIMEOUT_S 1800
#define PULL_TIMEOUT_S 600
#define PULL_COMMAND_TIMEOUT "590s"

/* ---- references (distribution/reference, as containerd normalises them) ---- */

/* One path component of a repository: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*. */
static bool valid_path_component(const char *s, size_t n)
{
    if (n == 0 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    size_t i = 0;
    while (i < n) {
        if (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        /* a separator, then an alphanumeric */
        size_t j = i;
        if (s[j] == '.') {
            j++;
        } else if (s[j] == '_') {
            j++;
            if (j < n && s[j] == '_')
                j++;
        } else if (s[j] == '-') {
            while (j < n && s[j] == '-')
                j++;
        } else {
            return false;
        }
        if (j == n || !(islower((unsigned char)s[j]) || isdigit((unsigned char)s[j])))
            return false;
        i = j;
    }
    return true;
}

/* A registry host: DNS labels separated by '.', or [IPv6], then an optional :port. */
static bool valid_domain(const char *s, size_t n)
{
    size_t host_end = n;
    const char *colon = NULL;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':')
                return false;
        host_end = (size_t)(close - s) + 1;
        if (host_end < n && s[host_end] != ':')
            return false;
        colon = host_end < n ? s + host_end : NULL;
    } else {
        colon = memchr(s, ':', n);
        if (colon != NULL)
            host_end = (size_t)(colon - s);
        size_t i = 0;
        while (i < host_end) {
            size_t j = i;
            while (j < host_end && s[j] != '.')
                j++;
            if (j == i || !isalnum((unsigned char)s[i]) || !isalnum((unsigned char)s[j - 1]))
                return false;
            for (size_t k = i; k < j; k++)
                if (!isalnum((unsigned char)s[k]) && s[k] != '-')
                    return false;
            i = j + 1;
            if (j < host_end && i == host_end)
                return false; /* trailing '.' */
        }
        if (host_end == 0)
            return false;
    }
    if (colon != NULL) {
        size_t plen = n - (size_t)(colon - s) - 1;
        if (plen == 0)
            return false;
        for (size_t k = 1; k <= plen; k++)
            if (!isdigit((unsigned char)colon[k]))
                return false;
    }
    return true;
}

static bool valid_tag(const char *s, size_t n)
{
    if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* "ALG:HEX": sha256 (64 hex) or sha512 (128 hex), lowercase. */
static bool valid_digest(const char *s)
{
    size_t hex;
    if (strncmp(s, "sha256:", 7) == 0)
        hex = 64;
    else if (strncmp(s, "sha512:", 7) == 0)
        hex = 128;
    else
        return false;
    const char *h = s + 7;
    if (strlen(h) != hex)
        return false;
    for (size_t i = 0; i < hex; i++)
        if (!isdigit((unsigned char)h[i]) && !(h[i] >= 'a' && h[i] <= 'f'))
            return false;
    return true;
}

char *image_normalize(const char *ref)
{
    if (ref == NULL || *ref == '\0' || strlen(ref) > 1024)
        return NULL;
    const char *at = strchr(ref, '@');
    const char *digest = NULL;
    size_t name_tag_len = strlen(ref);
    if (at != NULL) {
        digest = at + 1;
        if (!valid_digest(digest))
            return NULL;
        name_tag_len = (size_t)(at - ref);
    }
    /* the tag is after the last ':' that follows the last '/' */
    const char *last_slash = memrchr(ref, '/', name_tag_len);
    const char *tag_colon = memrchr(last_slash ? last_slash : ref, ':',
                                    name_tag_len - (size_t)((last_slash ? last_slash : ref) - ref));
    size_t name_len = tag_colon ? (size_t)(tag_colon - ref) : name_tag_len;
    const char *tag = tag_colon ? tag_colon + 1 : NULL;
    size_t tag_len = tag ? name_tag_len - name_len - 1 : 0;
    if (name_len == 0 || (tag != NULL && !valid_tag(tag, tag_len)))
        return NULL;

    /* the domain: the first component when it has a '.' or ':', is "localhost", or has an
     * uppercase letter; else docker.io */
    const char *slash = memchr(ref, '/', name_len);
    const char *domain = "docker.io";
    size_t domain_len = 9;
    const char *path = ref;
    size_t path_len = name_len;
    if (slash != NULL) {
        size_t first = (size_t)(slash - ref);
        bool has_upper = false;
        for (size_t i = 0; i < first; i++)
            has_upper |= isupper((unsigned char)ref[i]) != 0;
        if (memchr(ref, '.', first) || memchr(ref, ':', first) ||
            (first == 9 && memcmp(ref, "localhost", 9) == 0) || has_upper) {
            if (!valid_domain(ref, first))
                return NULL;
            domain = ref;
            domain_len = first;
            path = slash + 1;
            path_len = name_len - first - 1;
        }
    }
    bool docker_hub = (domain_len == 9 && memcmp(domain, "docker.io", 9) == 0) ||
                      (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0);
    /* path components */
    if (path_len == 0)
        return NULL;
    for (size_t i = 0; i < path_len;) {
        const char *end = memchr(path + i, '/', path_len - i);
        size_t n = end ? (size_t)(end - (path + i)) : path_len - i;
        if (!valid_path_component(path + i, n))
            return NULL;
        i += n + 1;
        if (end != NULL && i == path_len)
            return NULL; /* trailing '/' */
    }
    /* 64 hex characters alone are an image ID, not a name */
    if (slash == NULL && path_len == 64) {
        bool hex = true;
        for (size_t i = 0; i < 64 && hex; i++)
            hex = isdigit((unsigned char)path[i]) || (path[i] >= 'a' && path[i] <= 'f');
        if (hex)
            return NULL;
    }
    struct buf b = BUF_INIT;
    if (docker_hub) {
        buf_puts(&b, "docker.io/");
        if (memchr(path, '/', path_len) == NULL)
            buf_puts(&b, "library/");
    } else {
        buf_append(&b, domain, domain_len);
        buf_putc(&b, '/');
    }
    buf_append(&b, path, path_len);
    if (b.len > MAX_NAME_LEN) {
        buf_release(&b);
        return NULL;
    }
    if (tag != NULL) {
        buf_putc(&b, ':');
        buf_append(&b, tag, tag_len);
    } else if (digest == NULL) {
        buf_puts(&b, ":latest");
    }
    if (digest != NULL) {
        buf_putc(&b, '@');
        buf_puts(&b, digest);
    }
    return buf_detach(&b, NULL);
}

/* The repository of a normalised reference (without tag and digest), malloc'd. */
static char *ref_repository(const char *ref)
{
    size_t n = strcspn(ref, "@");
    const char *slash = memrchr(ref, '/', n);
    const char *colon = memrchr(slash ? slash : ref, ':', n - (size_t)((slash ? slash : ref) - ref));
    return xstrndup(ref, colon ? (size_t)(colon - ref) : n);
}

/* ---- child processes ---- */

/* Runs argv, its stdout and stderr collected into out (at most 64 KiB kept). Killed after
 * timeout_s (a safety net). The exit status, or -1 if it could not run or was killed (out
 * then says why). */
static int run_command(char *const argv[], int timeout_s, struct buf *out)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        buf_printf(out, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid;
    int rc = spawn_start(argv, NULL, -1, p[1], p[1], &pid);
    if (rc != 0) {
        buf_printf(out, "cannot run %s: %s", argv[0], strerror(-rc));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    close(p[1]);
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
    bool killed = false;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int wait_ms = killed ? 1000 : (int)(deadline - now > 1000 ? 1000 : deadline - now);
        int n = poll(&pfd, 1, wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char chunk[4096];
        ssize_t k = read(p[0], chunk, sizeof(chunk));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        if (out->len + (size_t)k <= 64 * 1024)
            buf_append(out, chunk, (size_t)k);
    }
    close(p[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (killed) {
        buf_printf(out, "%s%s did not finish in %d s and was stopped", out->len ? "; " : "",
                   argv[0], timeout_s);
        return -1;
    }
    if (!WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* The message of skopeo's fatal log line (level=fatal msg="..."), unescaped, or its whole
 * output trimmed; malloc'd. */
static char *skopeo_message(const char *out)
{
    const char *m = strstr(out, "msg=\"");
    struct buf b = BUF_INIT;
    if (m != NULL) {
        for (const char *p = m + 5; *p != '\0' && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            buf_putc(&b, *p);
        }
    } else {
        buf_puts(&b, out);
        while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
            b.data[--b.len] = '\0';
    }
    return buf_detach(&b, NULL);
}

static int skopeo_copy(const char *src, const char *dst, bool pull, char **ret_err)
{
    char *argv[16];
    size_t n = 0;
    argv[n++] = "skopeo";
    argv[n++] = "--insecure-policy";
    if (pull) {
        argv[n++] = "--command-timeout";
        argv[n++] = PULL_COMMAND_TIMEOUT;
    }
    argv[n++] = "copy";
    argv[n++] = "--retry-times";
    argv[n++] = "0";
    argv[n++] = "--quiet";
    argv[n++] = (char *)src;
    argv[n++] = (char *)dst;
    argv[n] = NULL;
    struct buf out = BUF_INIT;
    int st = run_command(argv, pull ? PULL_TIMEOUT_S : IMPORT_TIMEOUT_S, &out);
    int rc = 0;
    if (st != 0) {
        *ret_err = skopeo_message(out.data ? out.data : "");
        rc = AZ_EIO;
    }
    buf_release(&out);
    return rc;
}

/* ---- the store ---- */

/* Creates the store's directory (and its parents) if missing. */
static int store_prepare(const char *dir, char **ret_err)
{
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        (void)mkdir(p, 0700);
        *s = '/';
    }
    free(p);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        *ret_err = xasprintf("cannot create the image store %s: %s", dir, strerror(errno));
        return AZ_EIO;
    }
    return 0;
}

/* Takes the store's lock (creating dir when create). The lock fd, or -1 with *ret_err set;
 * -2 (and no error) when !create and the store does not exist. */
static int store_lock(const char *dir, bool exclusive, bool create, char **ret_err)
{
    if (create && store_prepare(dir, ret_err) != 0)
        return -1;
    char *path = xasprintf("%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    int err = errno;
    free(path);
    if (fd < 0) {
        if (!create && (err == ENOENT || err == ENOTDIR)) {
            /* a store made by other tools has no lock file: read it unlocked */
            struct stat st;
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                return open("/dev/null", O_RDONLY | O_CLOEXEC);
            return -2;
        }
        *ret_err = xasprintf("cannot lock the image store %s: %s", dir, strerror(err));
        return -1;
    }
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            *ret_err = xasprintf("cannot lock the image store %s: %s", dir, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static json_t *load_index(const char *dir)
{
    char *path = xasprintf("%s/index.json", dir);
    json_t *idx = json_load_file(path, 0, NULL);
    free(path);
    return idx;
}

/* The path of a blob, or NULL when the digest is not a valid one. */
static char *blob_path(const char *dir, const char *digest)
{
    if (digest == NULL || !valid_digest(digest))
        return NULL;
    return xasprintf("%s/blobs/%.6s/%s", dir, digest, digest + 7);
}

static json_t *load_blob_json(const char *dir, const char *digest, size_t max, char **ret_err)
{
    char *path = blob_path(dir, digest);
    if (path == NULL) {
        *ret_err = xasprintf("invalid digest \"%s\"", digest ? digest : "");
        return NULL;
    }
    struct stat st;
    json_t *j = NULL;
    if (stat(path, &st) != 0) {
        *ret_err = xasprintf("blob %s: %s", digest, strerror(errno));
    } else if ((size_t)st.st_size > max) {
        *ret_err = xasprintf("blob %s is too large (%lld bytes)", digest, (long long)st.st_size);
    } else {
        json_error_t je;
        j = json_load_file(path, 0, &je);
        if (j == NULL || !json_is_object(j)) {
            json_decref(j);
            j = NULL;
            *ret_err = xasprintf("blob %s is not a JSON object", digest);
        }
    }
    free(path);
    return j;
}

static const char *annotation(json_t *desc, const char *key)
{
    return json_str(json_object_get(desc, "annotations"), key);
}

/* Whether the descriptor desc (of index.json) is the image norm names. */
static bool desc_matches(json_t *desc, const char *norm)
{
    const char *name = annotation(desc, REF_ANNOTATION);
    if (name != NULL && strcmp(name, norm) == 0)
        return true;
    const char *at = strchr(norm, '@');
    const char *digest = json_str(desc, "digest");
    if (at == NULL || name == NULL || digest == NULL || strcmp(at + 1, digest) != 0)
        return false;
    char *a = ref_repository(norm), *b = ref_repository(name);
    bool same = strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

static bool is_index_media_type(const char *mt)
{
    return mt != NULL && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
                          strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

static const char *runtime_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__i386__)
    return "386";
#elif defined(__powerpc64__)
    return "ppc64le";
#elif defined(__s390x__)
    return "s390x";
#else
    return "unknown";
#endif
}

/* The image manifest a descriptor names: itself, or (for an image index) the entry for
 * linux/this architecture. A new reference, or NULL with *ret_err. */
static json_t *load_manifest(const char *dir, json_t *desc, char **ret_err)
{
    json_t *m = load_blob_json(dir, json_str(desc, "digest"), MAX_MANIFEST, ret_err);
    if (m == NULL)
        return NULL;
    const char *mt = json_str(m, "mediaType");
    if (mt == NULL)
        mt = json_str(desc, "mediaType");
    if (!is_index_media_type(mt) && json_object_get(m, "manifests") == NULL)
        return m;
    json_t *chosen = NULL, *d;
    size_t i;
    json_array_foreach(json_object_get(m, "manifests"), i, d) {
        json_t *pl = json_object_get(d, "platform");
        const char *os = json_str(pl, "os"), *arch = json_str(pl, "architecture");
        if (os != NULL && strcmp(os, "linux") == 0 && arch != NULL &&
            strcmp(arch, runtime_arch()) == 0) {
            chosen = d;
            break;
        }
    }
    json_t *res = NULL;
    if (chosen == NULL)
        *ret_err = xasprintf("no image for linux/%s in the image index", runtime_arch());
    else
        res = load_blob_json(dir, json_str(chosen, "digest"), MAX_MANIFEST, ret_err);
    json_decref(m);
    return res;
}

/* The descriptor (new reference) of the image norm in the store's index, or NULL. */
static json_t *find_image(json_t *idx, const char *norm)
{
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(idx, "manifests"), i, d) {
        if (desc_matches(d, norm))
            return json_incref(d);
    }
    return NULL;
}

/* Fills e from the index descriptor desc (which has a name and a digest). */
static void fill_entry(const char *dir, json_t *desc, struct image_entry *e)
{
    const char *digest = json_str(desc, "digest");
    e->ref = xstrdup(annotation(desc, REF_ANNOTATION));
    e->digest = xstrdup(digest);
    e->size = json_integer_value(json_object_get(desc, "size"));
    char *err = NULL;
    json_t *m = load_manifest(dir, desc, &err);
    free(err);
    json_t *cfg = json_object_get(m, "config"), *l;
    size_t j;
    e->id = xstrdup(json_str(cfg, "digest") ? json_str(cfg, "digest") : digest);
    e->size += json_integer_value(json_object_get(cfg, "size"));
    json_array_foreach(json_object_get(m, "layers"), j, l)
        e->size += json_integer_value(json_object_get(l, "size"));
    json_decref(m);
}

int image_list(const char *dir, struct image_entry **ret, size_t *ret_n, char **ret_err)
{
    int lock = store_lock(dir, false, false, ret_err);
    if (lock == -1)
        return AZ_EIO;
    json_t *idx = lock >= 0 ? load_index(dir) : NULL;
    size_t cap = json_array_size(json_object_get(idx, "manifests"));
    struct image_entry *v = xcalloc(cap ? cap : 1, sizeof(*v));
    size_t n = 0;
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(idx, "manifests"), i, d) {
        const char *name = annotation(d, REF_ANNOTATION);
        const char *digest = json_str(d, "digest");
        if (name == NULL || digest == NULL)
            continue;
        fill_entry(dir, d, &v[n++]);
    }
    json_decref(idx);
    if (lock >= 0)
        close(lock);
    for (size_t a = 1; a < n; a++) /* insertion sort by ref: stores are small */
        for (size_t b = a; b > 0 && strcmp(v[b - 1].ref, v[b].ref) > 0; b--) {
            struct image_entry t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    *ret = v;
    *ret_n = n;
    return 0;
}

void image_entries_free(struct image_entry *e, size_t n)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(e[i].ref);
        free(e[i].digest);
        free(e[i].id);
    }
    free(e);
}

/* Resolves ref in the store under a shared lock: *ret_norm (malloc'd), *ret_desc (a new
 * reference, or NULL when ref is not in the store) and *ret_lock (close() it once the blobs
 * are read; < 0 when the store does not exist yet). Returns 0, or AZ_EINVALID (not a
 * reference) / AZ_EIO (the lock failed) with *ret_err; nothing is held on failure. */
static int resolve_locked(const char *dir, const char *ref, char **ret_norm, json_t **ret_desc,
                          int *ret_lock, char **ret_err)
{
    char *norm = image_normalize(ref);
    if (norm == NULL) {
        *ret_err = xasprintf("invalid reference format: \"%s\"", ref);
        return AZ_EINVALID;
    }
    int lock = store_lock(dir, false, false, ret_err);
    if (lock == -1) {
        free(norm);
        return AZ_EIO;
    }
    json_t *idx = lock >= 0 ? load_index(dir) : NULL;
    *ret_desc = find_image(idx, norm);
    json_decref(idx);
    *ret_norm = norm;
    *ret_lock = lock;
    return 0;
}

int image_inspect(const char *dir, const char *ref, struct image_entry **ret, char **ret_err)
{
    char *norm;
    json_t *d;
    int lock;
    int rc = resolve_locked(dir, ref, &norm, &d, &lock, ret_err);
    if (rc != 0)
        return rc;
    if (d == NULL || json_str(d, "digest") == NULL) {
        *ret_err = xasprintf("image \"%s\" not found in the image store", norm);
        rc = AZ_ENOTFOUND;
    } else {
        struct image_entry *e = xcalloc(1, sizeof(*e));
        fill_entry(dir, d, e);
        *ret = e;
    }
    json_decref(d);
    if (lock >= 0)
        close(lock);
    free(norm);
    return rc;
}

bool image_present(const char *dir, const char *ref)
{
    char *norm, *err = NULL;
    json_t *d;
    int lock;
    if (resolve_locked(dir, ref, &norm, &d, &lock, &err) != 0) {
        free(err);
        return false;
    }
    bool found = d != NULL;
    json_decref(d);
    if (lock >= 0)
        close(lock);
    free(norm);
    return found;
}

/* ---- staging: copies land in a private layout, then are committed in one step ---- */

static void remove_tree(const char *path);

/* A copy in progress: its directory inside the store (same filesystem: blobs are renamed
 * into place) and a flock on it, which tells a live staging directory from one a crashed
 * process left behind (staging_sweep). */
struct staging {
    char *path;
    int lockfd;
};

static int staging_new(const char *dir, struct staging *st, char **ret_err)
{
    if (store_prepare(dir, ret_err) != 0)
        return AZ_EIO;
    char *tmp = xasprintf("%s/.staging-XXXXXX", dir);
    if (mkdtemp(tmp) == NULL) {
        *ret_err = xasprintf("cannot create a directory in %s: %s", dir, strerror(errno));
        free(tmp);
        return AZ_EIO;
    }
    st->lockfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->lockfd < 0 || flock(st->lockfd, LOCK_EX) != 0) {
        *ret_err = xasprintf("cannot lock %s: %s", tmp, strerror(errno));
        if (st->lockfd >= 0)
            close(st->lockfd);
        remove_tree(tmp);
        free(tmp);
        return AZ_EIO;
    }
    st->path = tmp;
    return 0;
}

static void staging_release(struct staging *st)
{
    remove_tree(st->path);
    close(st->lockfd);
    free(st->path);
}

/* Removes the staging directories no process holds (left by a crash). */
static void staging_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".staging-", 9) != 0)
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
            remove_tree(path);
        if (fd >= 0)
            close(fd);
        free(path);
    }
    closedir(d);
}

static int write_file_atomic(const char *path, const char *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -errno : 0;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t k = write(fd, data + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = -errno;
        else
            off += (size_t)k;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* Moves the blobs of the staged layout into the store and points the store's names at the
 * staged manifests, under the exclusive lock; index.json is replaced atomically, so the
 * store never holds a name without its blobs. */
static int store_commit(const char *dir, const char *layout, char **ret_err)
{
    char *p = xasprintf("%s/index.json", layout);
    json_t *staged = json_load_file(p, 0, NULL);
    free(p);
    if (!json_is_array(json_object_get(staged, "manifests"))) {
        *ret_err = xasprintf("the copy into %s wrote no index.json", layout);
        json_decref(staged);
        return AZ_EIO;
    }
    int lock = store_lock(dir, true, true, ret_err);
    if (lock < 0) {
        json_decref(staged);
        return AZ_EIO;
    }
    staging_sweep(dir);
    int rc = 0;
    static const char *const algs[] = {"sha256", "sha512"};
    for (size_t a = 0; rc == 0 && a < 2; a++) {
        char *from = xasprintf("%s/blobs/%s", layout, algs[a]);
        char *to = xasprintf("%s/blobs/%s", dir, algs[a]);
        DIR *d = opendir(from);
        if (d != NULL) {
            char *blobs = xasprintf("%s/blobs", dir);
            (void)mkdir(blobs, 0700);
            free(blobs);
            if (mkdir(to, 0700) != 0 && errno != EEXIST) {
                *ret_err = xasprintf("cannot create %s: %s", to, strerror(errno));
                rc = AZ_EIO;
            }
            struct dirent *de;
            while (rc == 0 && (de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                    continue;
                char *digest = xasprintf("%s:%s", algs[a], de->d_name);
                char *src = xasprintf("%s/%s", from, de->d_name);
                char *dst = xasprintf("%s/%s", to, de->d_name);
                struct stat st;
                if (valid_digest(digest) && lstat(dst, &st) != 0 && rename(src, dst) != 0) {
                    *ret_err = xasprintf("cannot move blob %s into the store: %s", digest,
                                         strerror(errno));
                    rc = AZ_EIO;
                }
                free(digest);
                free(src);
                free(dst);
            }
            closedir(d);
        }
        free(from);
        free(to);
    }
    if (rc == 0) {
        json_t *idx = load_index(dir);
        if (!json_is_array(json_object_get(idx, "manifests"))) {
            json_decref(idx);
            idx = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
        }
        json_t *mans = json_object_get(idx, "manifests"), *d;
        size_t i;
        json_array_foreach(json_object_get(staged, "manifests"), i, d) {
            const char *name = annotation(d, REF_ANNOTATION);
            if (name == NULL)
                continue;
            for (size_t j = json_array_size(mans); j-- > 0;) {
                const char *other = annotation(json_array_get(mans, j), REF_ANNOTATION);
                if (other != NULL && strcmp(other, name) == 0)
                    json_array_remove(mans, j);
            }
            json_array_append(mans, d);
        }
        char *text = json_dumps(idx, JSON_COMPACT);
        char *ipath = xasprintf("%s/index.json", dir), *lpath = xasprintf("%s/oci-layout", dir);
        static const char layout_text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        int w = 0;
        if (access(lpath, F_OK) != 0)
            w = write_file_atomic(lpath, layout_text, sizeof(layout_text) - 1);
        if (w == 0)
            w = write_file_atomic(ipath, text, strlen(text));
        if (w != 0) {
            *ret_err = xasprintf("cannot write %s: %s", ipath, strerror(-w));
            rc = AZ_EIO;
        }
        free(text);
        free(ipath);
        free(lpath);
        json_decref(idx);
    }
    close(lock);
    json_decref(staged);
    return rc;
}

/* ---- remove ---- */

/* Marks in set the blobs the manifest (or index) descriptor desc reaches. false if one of
 * them cannot be read or nests too deep (then nothing may be collected). */
static bool mark_reachable(const char *dir, json_t *desc, json_t *set, int depth)
{
    const char *digest = json_str(desc, "digest");
    if (digest == NULL || depth > 4)
        return false;
    json_object_set_new(set, digest, json_true());
    char *err = NULL;
    json_t *m = load_blob_json(dir, digest, MAX_MANIFEST, &err);
    free(err);
    if (m == NULL)
        return false;
    bool ok = true;
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(m, "manifests"), i, d) {
        ok = ok && mark_reachable(dir, d, set, depth + 1);
    }
    json_t *cfg = json_object_get(m, "config");
    if (json_str(cfg, "digest") != NULL)
        json_object_set_new(set, json_str(cfg, "digest"), json_true());
    json_array_foreach(json_object_get(m, "layers"), i, d) {
        if (json_str(d, "digest") != NULL)
            json_object_set_new(set, json_str(d, "digest"), json_true());
    }
    json_decref(m);
    return ok;
}

/* Deletes the blobs that no manifest in idx reaches. */
static void collect_garbage(const char *dir, json_t *idx)
{
    json_t *set = json_object(), *d;
    size_t i;
    bool ok = true;
    json_array_foreach(json_object_get(idx, "manifests"), i, d) {
        ok = ok && mark_reachable(dir, d, set, 0);
    }
    static const char *const algs[] = {"sha256", "sha512"};
    for (size_t a = 0; ok && a < 2; a++) {
        char *bdir = xasprintf("%s/blobs/%s", dir, algs[a]);
        DIR *dd = opendir(bdir);
        struct dirent *de;
        while (dd != NULL && (de = readdir(dd)) != NULL) {
            char *digest = xasprintf("%s:%s", algs[a], de->d_name);
            if (valid_digest(digest) && json_object_get(set, digest) == NULL) {
                char *path = xasprintf("%s/%s", bdir, de->d_name);
                (void)unlink(path);
                free(path);
            }
            free(digest);
        }
        if (dd != NULL)
            closedir(dd);
        free(bdir);
    }
    json_decref(set);
}

int image_remove(const char *dir, const char *ref, char **ret_err)
{
    char *norm = image_normalize(ref);
    if (norm == NULL) {
        *ret_err = xasprintf("invalid reference format: \"%s\"", ref);
        return AZ_EINVALID;
    }
    char *err = NULL;
    int lock = store_lock(dir, true, false, &err);
    if (lock == -1) {
        *ret_err = err;
        free(norm);
        return AZ_EIO;
    }
    json_t *idx = lock >= 0 ? load_index(dir) : NULL;
    json_t *mans = json_object_get(idx, "manifests");
    size_t removed = 0;
    for (size_t j = json_array_size(mans); j-- > 0;) {
        if (desc_matches(json_array_get(mans, j), norm)) {
            json_array_remove(mans, j);
            removed++;
        }
    }
    int rc = 0;
    if (removed == 0) {
        *ret_err = xasprintf("image \"%s\" not found in the image store", norm);
        rc = AZ_ENOTFOUND;
    } else {
        char *text = json_dumps(idx, JSON_COMPACT);
        char *ipath = xasprintf("%s/index.json", dir);
        int w = write_file_atomic(ipath, text, strlen(text));
        if (w != 0) {
            *ret_err = xasprintf("cannot write %s: %s", ipath, strerror(-w));
            rc = AZ_EIO;
        } else {
            collect_garbage(dir, idx);
        }
        free(text);
        free(ipath);
    }
    json_decref(idx);
    if (lock >= 0)
        close(lock);
    free(norm);
    return rc;
}

/* ---- import ---- */

enum source_kind { SRC_OCI_DIR, SRC_OCI_ARCHIVE, SRC_DOCKER_ARCHIVE };

/* What the tar archive at path is; its manifest.json (docker save) into *ret_manifest. */
static int sniff_archive(const char *path, enum source_kind *ret_kind, json_t **ret_manifest,
                         char **ret_err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *ret_err = xasprintf("cannot open %s: %s", path, strerror(errno));
        return AZ_ENOTFOUND;
    }
    struct tar_reader *r = tar_reader_new(fd);
    bool oci = false, docker = false;
    json_t *manifest = NULL;
    int rc = 0;
    for (;;) {
        struct tar_entry *e = NULL;
        char *err = NULL;
        int n = tar_next(r, &e, &err);
        if (n < 0) {
            *ret_err = xasprintf("%s is not an OCI layout or a docker save archive: %s", path, err);
            free(err);
            rc = AZ_EINVALID;
            break;
        }
        if (n == 0)
            break;
        char *name = tar_clean_path(e->path);
        if (name != NULL && (strcmp(name, "oci-layout") == 0 || strcmp(name, "index.json") == 0))
            oci = true;
        if (name != NULL && strcmp(name, "manifest.json") == 0 && e->type == '0') {
            char *data = NULL;
            size_t len = 0;
            if (tar_read_all(r, MAX_MANIFEST, &data, &len) == 0) {
                json_decref(manifest);
                manifest = json_loadb(data, len, 0, NULL);
                free(data);
            }
            docker = manifest != NULL;
        }
        free(name);
    }
    tar_reader_free(r);
    close(fd);
    if (rc == 0 && oci) {
        *ret_kind = SRC_OCI_ARCHIVE;
    } else if (rc == 0 && docker && json_is_array(manifest)) {
        *ret_kind = SRC_DOCKER_ARCHIVE;
        *ret_manifest = json_incref(manifest);
    } else if (rc == 0) {
        *ret_err = xasprintf("%s is not an OCI layout or a docker save archive", path);
        rc = AZ_EINVALID;
    }
    json_decref(manifest);
    return rc;
}

/* The reference an image's own name annotations give it, or NULL (none, or only a tag). */
static char *recorded_name(json_t *desc)
{
    const char *n = annotation(desc, CONTAINERD_NAME_ANNOTATION);
    if (n == NULL) {
        n = annotation(desc, REF_ANNOTATION);
        if (n != NULL && strpbrk(n, "/:@") == NULL)
            return NULL; /* a bare tag ("latest") names no repository */
    }
    return n ? image_normalize(n) : NULL;
}

/* Copies the images of the OCI layout src into the store. */
static int import_oci_dir(const char *dir, const char *src, const char *origin, const char *name,
                          char **ret_err)
{
    char *p = xasprintf("%s/index.json", src);
    json_error_t je;
    json_t *idx = json_load_file(p, 0, &je);
    free(p);
    json_t *mans = json_object_get(idx, "manifests");
    if (!json_is_array(mans) || json_array_size(mans) == 0) {
        *ret_err = xasprintf("%s is not an OCI image layout with images (index.json: %s)", origin,
                             idx ? "no manifests" : je.text);
        json_decref(idx);
        return AZ_EINVALID;
    }
    int rc = 0;
    size_t i;
    json_t *d;
    if (name != NULL) {
        char *norm = image_normalize(name);
        const char *srcref = NULL;
        if (json_array_size(mans) > 1) {
            json_array_foreach(mans, i, d) {
                const char *rn = annotation(d, REF_ANNOTATION);
                char *rec = recorded_name(d);
                if ((rn != NULL && strcmp(rn, name) == 0) || (rec && strcmp(rec, norm) == 0))
                    srcref = rn;
                free(rec);
            }
            if (srcref == NULL) {
                *ret_err = xasprintf("%s holds %zu images and none is named %s", origin,
                                     json_array_size(mans), name);
                rc = AZ_EINVALID;
            }
        }
        if (rc == 0) {
            char *s = srcref ? xasprintf("oci:%s:%s", src, srcref) : xasprintf("oci:%s", src);
            char *t = xasprintf("oci:%s:%s", dir, norm);
            rc = skopeo_copy(s, t, false, ret_err);
            free(s);
            free(t);
        }
        free(norm);
    } else {
        size_t copied = 0;
        json_array_foreach(mans, i, d) {
            char *rec = recorded_name(d);
            const char *rn = annotation(d, REF_ANNOTATION);
            if (rec == NULL || rn == NULL) {
                free(rec);
                continue;
            }
            char *s = xasprintf("oci:%s:%s", src, rn);
            char *t = xasprintf("oci:%s:%s", dir, rec);
            rc = skopeo_copy(s, t, false, ret_err);
            free(s);
            free(t);
            free(rec);
            if (rc != 0)
                break;
            copied++;
        }
        if (rc == 0 && copied == 0) {
            *ret_err = xasprintf("%s records no image name; give one with --name NAME:TAG", origin);
            rc = AZ_EINVALID;
        }
    }
    json_decref(idx);
    return rc;
}

static int import_docker_archive(const char *dir, const char *path, json_t *manifest,
                                 const char *name, char **ret_err)
{
    int rc = 0;
    size_t i, j;
    json_t *img, *tag;
    if (name != NULL) {
        char *norm = image_normalize(name);
        char *src = NULL;
        if (json_array_size(manifest) == 1) {
            src = xasprintf("docker-archive:%s", path);
        } else {
            json_array_foreach(manifest, i, img) {
                json_array_foreach(json_object_get(img, "RepoTags"), j, tag) {
                    char *t = image_normalize(json_string_value(tag) ? json_string_value(tag) : "");
                    if (src == NULL && t != NULL && strcmp(t, norm) == 0)
                        src = xasprintf("docker-archive:%s:%s", path, json_string_value(tag));
                    free(t);
                }
            }
        }
        if (src == NULL) {
            *ret_err = xasprintf("%s holds %zu images and none is named %s", path,
                                 json_array_size(manifest), name);
            rc = AZ_EINVALID;
        } else {
            char *t = xasprintf("oci:%s:%s", dir, norm);
            rc = skopeo_copy(src, t, false, ret_err);
            free(t);
        }
        free(src);
        free(norm);
        return rc;
    }
    size_t copied = 0;
    json_array_foreach(manifest, i, img) {
        json_array_foreach(json_object_get(img, "RepoTags"), j, tag) {
            const char *ts = json_string_value(tag);
            char *norm = ts ? image_normalize(ts) : NULL;
            if (norm == NULL)
                continue;
            char *s = xasprintf("docker-archive:%s:%s", path, ts);
            char *t = xasprintf("oci:%s:%s", dir, norm);
            rc = skopeo_copy(s, t, false, ret_err);
            free(s);
            free(t);
            free(norm);
            if (rc != 0)
                return rc;
            copied++;
        }
    }
    if (copied == 0) {
        *ret_err = xasprintf("%s records no image name; give one with --name NAME:TAG", path);
        return AZ_EINVALID;
    }
    return 0;
}

/* Extracts the OCI archive at path into the new directory to. */
static int extract_archive(const char *to, const char *path, char **ret_err)
{
    if (mkdir(to, 0700) != 0) {
        *ret_err = xasprintf("cannot create %s: %s", to, strerror(errno));
        return AZ_EIO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int root = open(to, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || root < 0) {
        *ret_err = xasprintf("cannot open %s: %s", fd < 0 ? path : to, strerror(errno));
        rc = AZ_EIO;
    } else {
        char *err = NULL;
        if ((rc = layer_apply(root, fd, &err)) != 0) {
            *ret_err = xasprintf("%s: %s", path, err);
            free(err);
        }
    }
    if (fd >= 0)
        close(fd);
    if (root >= 0)
        close(root);
    return rc;
}

static void remove_tree(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    int dfd = -1;
    const char *name = copy;
    if (slash != NULL) {
        *slash = '\0';
        dfd = open(*copy ? copy : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        name = slash + 1;
    } else {
        dfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd >= 0) {
        (void)layer_remove_at(dfd, name);
        close(dfd);
    }
    free(copy);
}

int image_import(const char *dir, const char *path, const char *name, char **ret_err)
{
    if (name != NULL) {
        char *norm = image_normalize(name);
        if (norm == NULL) {
            *ret_err = xasprintf("invalid reference format: \"%s\"", name);
            return AZ_EINVALID;
        }
        free(norm);
        if (strchr(name, '@') != NULL) {
            *ret_err = xasprintf("cannot import as \"%s\": the name must be NAME[:TAG], not a "
                                 "digest reference", name);
            return AZ_EINVALID;
        }
    }
    if (strchr(dir, ':') != NULL || strchr(path, ':') != NULL) {
        *ret_err = xstrdup("paths with ':' cannot be imported from or into (skopeo's syntax)");
        return AZ_EINVALID;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        *ret_err = xasprintf("cannot import %s: %s", path, strerror(errno));
        return AZ_ENOTFOUND;
    }
    enum source_kind kind = SRC_OCI_DIR;
    json_t *docker_manifest = NULL;
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        char *p = xasprintf("%s/index.json", path);
        bool ok = access(p, R_OK) == 0;
        free(p);
        if (!ok) {
            *ret_err = xasprintf("%s is not an OCI image layout (no index.json)", path);
            return AZ_EINVALID;
        }
    } else if ((rc = sniff_archive(path, &kind, &docker_manifest, ret_err)) != 0) {
        return rc;
    }
    /* the copy (slow) goes into a staging layout without the lock; the commit is quick */
    struct staging stg;
    if (staging_new(dir, &stg, ret_err) != 0) {
        json_decref(docker_manifest);
        return AZ_EIO;
    }
    char *layout = xasprintf("%s/layout", stg.path);
    switch (kind) {
    case SRC_OCI_DIR:
        rc = import_oci_dir(layout, path, path, name, ret_err);
        break;
    case SRC_OCI_ARCHIVE: {
        char *tmp = xasprintf("%s/archive", stg.path);
        rc = extract_archive(tmp, path, ret_err);
        if (rc == 0)
            rc = import_oci_dir(layout, tmp, path, name, ret_err);
        free(tmp);
        break;
    }
    case SRC_DOCKER_ARCHIVE:
        rc = import_docker_archive(layout, path, docker_manifest, name, ret_err);
        break;
    }
    if (rc == 0)
        rc = store_commit(dir, layout, ret_err);
    staging_release(&stg);
    free(layout);
    json_decref(docker_manifest);
    return rc;
}

/* ---- pull ---- */

int image_pull(const char *dir, const char *ref, char **ret_err)
{
    char *norm = image_normalize(ref);
    if (norm == NULL) {
        *ret_err = xasprintf("invalid reference format: \"%s\"", ref);
        return AZ_EINVALID;
    }
    if (strchr(dir, ':') != NULL) {
        *ret_err = xstrdup("the image store's path has a ':'");
        free(norm);
        return AZ_EINVALID;
    }
    struct staging stg;
    if (staging_new(dir, &stg, ret_err) != 0) {
        free(norm);
        return AZ_EIO;
    }
    char *src = xasprintf("docker://%s", norm);
    char *dst = xasprintf("oci:%s/layout:%s", stg.path, norm);
    char *err = NULL;
    int rc = skopeo_copy(src, dst, true, &err);
    if (rc == 0) {
        char *layout = xasprintf("%s/layout", stg.path);
        rc = store_commit(dir, layout, ret_err);
        free(layout);
    } else {
        /* as containerd's CRI words it, behind kubelet's gRPC error */
        const char *detail = err;
        const char *p = strstr(detail, "docker://");
        if (strncmp(detail, "initializing source ", 20) == 0 && p != NULL &&
            (p = strstr(p, ": ")) != NULL)
            detail = p + 2;
        bool not_found = strstr(detail, "manifest unknown") != NULL ||
                         strstr(detail, "not found") != NULL ||
                         strstr(detail, "requested access to the resource is denied") != NULL;
        if (strncmp(detail, "pinging container registry ", 27) == 0 &&
            (p = strstr(detail + 27, ": ")) != NULL)
            detail = p + 2;
        if (not_found)
            *ret_err = xasprintf("rpc error: code = NotFound desc = failed to pull and unpack "
                                 "image \"%s\": failed to resolve reference \"%s\": %s: not found",
                                 norm, norm, norm);
        else
            *ret_err = xasprintf("rpc error: code = Unknown desc = failed to pull and unpack "
                                 "image \"%s\": failed to resolve reference \"%s\": failed to do "
                                 "request: %s", norm, norm, detail);
        rc = AZ_EUNAVAILABLE;
    }
    staging_release(&stg);
    free(err);
    free(src);
    free(dst);
    free(norm);
    return rc;
}

/* ---- unpack ---- */

/* Checks that the blob at path has the descriptor's digest and size. */
static int verify_blob(int fd, const char *digest, int64_t size, char **ret_err)
{
    const EVP_MD *md = strncmp(digest, "sha512:", 7) == 0 ? EVP_sha512() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, NULL);
    /* on the heap, not static TLS: a __thread array is zeroed in every thread's stack at
     * thread start (RSS in each of the ~70 threads), whether or not it ever verifies a blob */
    enum { VERIFY_BUF = 128 * 1024 };
    unsigned char *buf = xmalloc(VERIFY_BUF);
    int64_t total = 0;
    ssize_t n;
    while ((n = pread(fd, buf, VERIFY_BUF, total)) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += n;
    }
    free(buf);
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    EVP_DigestFinal_ex(ctx, h, &hl);
    EVP_MD_CTX_free(ctx);
    if (n < 0) {
        *ret_err = xasprintf("cannot read blob %s: %s", digest, strerror(errno));
        return AZ_EIO;
    }
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < hl; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    if (strcmp(hex, digest + 7) != 0 || (size >= 0 && size != total)) {
        *ret_err = xasprintf("blob %s is corrupt (digest or size mismatch)", digest);
        return AZ_EIO;
    }
    return 0;
}

/* Applies one layer blob: uncompressed, or gzip / zstd through the decompressor. */
static int apply_layer_blob(int rootfd, int blobfd, const char *digest, char **ret_err)
{
    unsigned char magic[4] = {0};
    ssize_t m = pread(blobfd, magic, sizeof(magic), 0);
    char *const gzip[] = {"gzip", "-dc", NULL};
    char *const zstd[] = {"zstd", "-dcq", NULL};
    char *const *argv = NULL;
    if (m >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        argv = gzip;
    else if (m == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        argv = zstd;
    char *err = NULL;
    int rc;
    if (argv == NULL) {
        rc = layer_apply(rootfd, blobfd, &err);
    } else {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
            *ret_err = xasprintf("pipe: %s", strerror(errno));
            return AZ_EIO;
        }
        pid_t pid;
        int sp = spawn_start(argv, NULL, blobfd, p[1], -1, &pid);
        if (sp != 0) {
            *ret_err = xasprintf("failed to extract layer %s: cannot run %s: %s", digest, argv[0],
                                 strerror(-sp));
            close(p[0]);
            close(p[1]);
            return AZ_EIO;
        }
        close(p[1]);
        rc = layer_apply(rootfd, p[0], &err);
        bool killed = false;
        if (rc == 0) {
            /* the rest (tar padding) is read so that the decompressor ends; beyond 1 MiB
             * after the end of the archive it is stopped instead (the blob's digest is
             * already verified: nothing after the end changes the rootfs) */
            char sink[8192];
            size_t drained = 0;
            ssize_t k;
            while ((k = read(p[0], sink, sizeof(sink))) > 0 && drained < 1024 * 1024)
                drained += (size_t)k;
            if (k > 0) {
                kill(pid, SIGKILL);
                killed = true;
            }
        } else {
            kill(pid, SIGKILL);
        }
        close(p[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (rc == 0 && !killed && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            err = xasprintf("%s could not decompress it (exit %d)", argv[0],
                            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            rc = AZ_EIO;
        }
    }
    if (rc != 0) {
        *ret_err = xasprintf("failed to extract layer %s: %s", digest, err ? err : "failed");
        free(err);
    }
    return rc;
}

int image_unpack(const char *dir, const char *ref, const char *rootfs, json_t **ret_config,
                 char **ret_err)
{
    char *norm, *err = NULL;
    json_t *desc;
    int lock;
    int rc = resolve_locked(dir, ref, &norm, &desc, &lock, ret_err);
    if (rc != 0)
        return rc;
    json_t *manifest = NULL, *config = NULL;
    int rootfd = -1;
    bool made = false;
    if (desc == NULL) {
        *ret_err = xasprintf("image \"%s\" not found in the image store", norm);
        rc = AZ_ENOTFOUND;
        goto out;
    }
    if ((manifest = load_manifest(dir, desc, &err)) == NULL ||
        (config = load_blob_json(dir, json_str(json_object_get(manifest, "config"), "digest"),
                                 MAX_CONFIG, &err)) == NULL) {
        *ret_err = xasprintf("failed to unpack image \"%s\": %s", norm, err);
        rc = AZ_EIO;
        goto out;
    }
    if (mkdir(rootfs, 0755) != 0) {
        *ret_err = xasprintf("failed to unpack image \"%s\": cannot create %s: %s", norm, rootfs,
                             strerror(errno));
        rc = errno == EEXIST ? AZ_EEXIST : AZ_EIO;
        goto out;
    }
    made = true;
    (void)chmod(rootfs, 0755); /* whatever the umask */
    rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rootfd < 0) {
        *ret_err = xasprintf("failed to unpack image \"%s\": cannot open %s: %s", norm, rootfs,
                             strerror(errno));
        rc = AZ_EIO;
        goto out;
    }
    json_t *layer;
    size_t i;
    json_array_foreach(json_object_get(manifest, "layers"), i, layer) {
        const char *digest = json_str(layer, "digest");
        char *path = blob_path(dir, digest);
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        free(path);
        if (fd < 0) {
            err = xasprintf("layer %s: %s", digest ? digest : "(no digest)",
                            digest && valid_digest(digest) ? strerror(errno) : "invalid digest");
            rc = AZ_EIO;
        } else {
            json_t *sz = json_object_get(layer, "size");
            rc = verify_blob(fd, digest, json_is_integer(sz) ? json_integer_value(sz) : -1, &err);
            if (rc == 0)
                rc = apply_layer_blob(rootfd, fd, digest, &err);
            close(fd);
        }
        if (rc != 0) {
            *ret_err = xasprintf("failed to unpack image \"%s\": %s", norm, err);
            goto out;
        }
    }
    if (ret_config != NULL) {
        json_t *c = json_object_get(config, "config");
        *ret_config = json_is_object(c) ? json_deep_copy(c) : json_object();
    }
out:
    if (rootfd >= 0)
        close(rootfd);
    if (rc != 0 && made)
        remove_tree(rootfs);
    if (lock >= 0)
        close(lock);
    free(err);
    json_decref(desc);
    json_decref(manifest);
    json_decref(config);
    free(norm);
    return rc;
}
