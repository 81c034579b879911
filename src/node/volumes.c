/* volumes.c — pod volumes on the node (upstream pkg/volume/{emptydir,hostpath,configmap,secret,
 * downwardapi,projected} and pkg/kubelet/token, spec/03): emptyDir directories, hostPath
 * sources, and file volumes written with the atomic writer's `..data` symlink swap
 * (spec/03 §3.4). ServiceAccount tokens come from the TokenRequest API, bound to the pod, and
 * are refreshed after 80 % of their lifetime or 24 h (spec/03 §3.2).
 *
 * Payload format used between the collectors and the writer: a JSON object
 *   "<relative path>": {"data": <bytes as a non-checked jansson string>, "mode": <int>,
 *                       "gid": <int, optional>} */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "registry/rest.h"
#include "client/client.h"
#include "node/layer.h"
#include "node/node_int.h"
#include "node/ocispec.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"
#include "util/util.h"

#define VOLUME_DEFAULT_MODE 0644     /* defaultMode 420 */
#define TOKEN_DEFAULT_EXPIRATION 3600
#define TOKEN_MAX_AGE (24 * 3600)
#define PAYLOAD_MAX_PATH 4096
#define PAYLOAD_MAX_ELEMENT 255

/* ---- filesystem helpers ------------------------------------------------------------- */

int node_mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void node_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode, json_t *gid)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        off += (size_t)w;
    }
    if (json_is_integer(gid) && fchown(fd, (uid_t)-1, (gid_t)json_integer_value(gid)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    close(fd);
    return 0;
}

/* Whether path holds exactly len bytes equal to data and has mode. */
static bool same_file(const char *path, const char *data, size_t len, mode_t mode)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len ||
        (st.st_mode & 07777) != mode)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    char buf[4096];
    size_t off = 0;
    bool same = true;
    while (same && off < len) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0 || off + (size_t)r > len || memcmp(buf, data + off, (size_t)r) != 0)
            same = false;
        else
            off += (size_t)r;
    }
    close(fd);
    return same;
}

/* ---- the atomic writer (spec/03 §3.4) ----------------------------------------------- */

/* Validates and cleans a payload path: relative, no "..", first element not starting with
 * "..", elements <= 255 bytes, whole <= 4096. Returns a malloc'd clean path or NULL. */
static char *clean_payload_path(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > PAYLOAD_MAX_PATH || p[0] == '/')
        return NULL;
    struct buf b;
    buf_init(&b, PAYLOAD_MAX_PATH + 1);
    const char *s = p;
    bool first = true;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > PAYLOAD_MAX_ELEMENT)
            goto bad;
        if (len == 0 || (len == 1 && s[0] == '.')) {
            /* empty or "." elements are cleaned away */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            goto bad;
        } else {
            if (first && len >= 2 && s[0] == '.' && s[1] == '.')
                goto bad;
            if (!first)
                buf_putc(&b, '/');
            buf_append(&b, s, len);
            first = false;
        }
        s += len;
        if (*s == '/')
            s++;
    }
    if (first)
        goto bad;
    return buf_detach(&b, NULL);
bad:
    buf_release(&b);
    return NULL;
}

static char *first_element(const char *path)
{
    const char *slash = strchr(path, '/');
    return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(path);
}

static bool payload_has_first(json_t *files, const char *elem)
{
    const char *k;
    json_t *v;
    size_t n = strlen(elem);
    json_object_foreach(files, k, v)
        if (strncmp(k, elem, n) == 0 && (k[n] == '\0' || k[n] == '/'))
            return true;
    return false;
}

static int make_ts_dir(const char *dir, char *ret_name, size_t cap)
{
    struct timespec ts;
    clock_wall(&ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y_%m_%d_%H_%M_%S", &tm);
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned r;
        random_bytes(&r, sizeof(r));
        snprintf(ret_name, cap, "..%s.%09u", stamp, r % 1000000000u);
        char *full = xasprintf("%s/%s", dir, ret_name);
        int rc = mkdir(full, 0755);
        int e = errno;
        if (rc == 0)
            chmod(full, 0755);
        free(full);
        if (rc == 0)
            return 0;
        if (e != EEXIST)
            return -e;
    }
    return -EEXIST;
}

int node_atomic_write(const char *dir, json_t *files, char **ret_err)
{
    int rc = 0;
    char *old_ts = NULL, *new_path = NULL, *tmp_link = NULL, *data_link = NULL;
    json_t *clean = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(files, k, v) {
        char *cp = clean_payload_path(k);
        if (cp == NULL) {
            *ret_err = xasprintf("invalid path %s", k);
            rc = -EINVAL;
            goto out;
        }
        json_object_set(clean, cp, v);
        free(cp);
    }
    if ((rc = node_mkdir_p(dir, 0777)) != 0) {
        *ret_err = xasprintf("mkdir %s: %s", dir, strerror(-rc));
        goto out;
    }
    data_link = xasprintf("%s/..data", dir);
    char target[PATH_MAX];
    ssize_t tl = readlink(data_link, target, sizeof(target) - 1);
    /* only a name this writer makes (..<timestamp>, in dir): the old payload dir is read and
     * then removed, so a ..data that leads elsewhere (a container that could write its volume
     * pointed it at ../../../etc) is never followed */
    if (tl > 2) {
        target[tl] = '\0';
        if (strncmp(target, "..", 2) == 0 && strchr(target, '/') == NULL && strcmp(target, "..data") != 0 &&
            strcmp(target, "..data_tmp") != 0)
            old_ts = xstrdup(target);
    }
    /* user-visible paths of the old payload no longer wanted */
    json_t *remove = json_array();
    bool unchanged = old_ts != NULL;
    if (old_ts != NULL) {
        char *old_dir = xasprintf("%s/%s", dir, old_ts);
        DIR *d = opendir(old_dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (!payload_has_first(clean, de->d_name))
                json_array_append_new(remove, json_string(de->d_name));
        }
        if (d)
            closedir(d);
        json_object_foreach(clean, k, v) {
            json_t *data = json_object_get(v, "data");
            char *p = xasprintf("%s/%s", old_dir, k);
            if (!same_file(p, json_string_value(data), json_string_length(data),
                           (mode_t)json_integer_value(json_object_get(v, "mode"))))
                unchanged = false;
            free(p);
        }
        free(old_dir);
    }
    if (json_array_size(remove) > 0)
        unchanged = false;
    if (!unchanged) {
        char ts_name[64];
        if ((rc = make_ts_dir(dir, ts_name, sizeof(ts_name))) != 0) {
            *ret_err = xasprintf("creating the data dir in %s: %s", dir, strerror(-rc));
            json_decref(remove);
            goto out;
        }
        new_path = xasprintf("%s/%s", dir, ts_name);
        json_object_foreach(clean, k, v) {
            char *p = xasprintf("%s/%s", new_path, k);
            char *slash = strrchr(p, '/');
            *slash = '\0';
            if (strcmp(p, new_path) != 0)
                node_mkdir_p(p, 0755);
            *slash = '/';
            json_t *data = json_object_get(v, "data");
            rc = write_file(p, json_string_value(data), json_string_length(data),
                            (mode_t)json_integer_value(json_object_get(v, "mode")),
                            json_object_get(v, "gid"));
            if (rc != 0)
                *ret_err = xasprintf("writing %s: %s", p, strerror(-rc));
            free(p);
            if (rc != 0) {
                node_remove_tree(new_path);
                json_decref(remove);
                goto out;
            }
        }
        tmp_link = xasprintf("%s/..data_tmp", dir);
        unlink(tmp_link);
        if (symlink(ts_name, tmp_link) != 0 || rename(tmp_link, data_link) != 0) {
            rc = -errno;
            *ret_err = xasprintf("switching %s: %s", data_link, strerror(errno));
            node_remove_tree(new_path);
            json_decref(remove);
            goto out;
        }
    }
    /* user-visible symlinks into ..data */
    json_object_foreach(clean, k, v) {
        char *elem = first_element(k);
        char *link = xasprintf("%s/%s", dir, elem);
        struct stat st;
        if (lstat(link, &st) != 0) {
            char *to = xasprintf("..data/%s", elem);
            if (symlink(to, link) != 0 && errno != EEXIST && rc == 0) {
                rc = -errno;
                *ret_err = xasprintf("symlink %s: %s", link, strerror(errno));
            }
            free(to);
        }
        free(link);
        free(elem);
    }
    size_t i;
    json_array_foreach(remove, i, v) {
        char *p = xasprintf("%s/%s", dir, json_string_value(v));
        unlink(p);
        free(p);
    }
    json_decref(remove);
    if (!unchanged && old_ts != NULL) {
        char *p = xasprintf("%s/%s", dir, old_ts);
        node_remove_tree(p);
        free(p);
    }
out:
    json_decref(clean);
    free(old_ts);
    free(new_path);
    free(tmp_link);
    free(data_link);
    return rc;
}

/* ---- reading API objects ------------------------------------------------------------ */

static json_t *get_object(struct node_agent *a, const char *kind, const char *ns, const char *name)
{
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("", kind), .ns = ns, .name = name,
                         .user = &a->user, .internal = true};
    json_t *obj = NULL, *st = NULL;
    if (c.res == NULL || client_call(&c, CLIENT_GET, NULL, &obj, &st) != 0) {
        json_decref(st);
        return NULL;
    }
    return obj;
}

/* Value of key in a ConfigMap (data or binaryData) or Secret (data, decoded), malloc'd. */
static char *key_value(json_t *obj, bool secret, const char *key, size_t *ret_len)
{
    json_t *v = json_object_get(json_object_get(obj, "data"), key);
    if (json_is_string(v) && !secret) {
        *ret_len = json_string_length(v);
        return xstrndup(json_string_value(v), json_string_length(v));
    }
    if (!secret)
        v = json_object_get(json_object_get(obj, "binaryData"), key);
    if (!json_is_string(v))
        return NULL;
    unsigned char *d = base64_decode(json_string_value(v), json_string_length(v), ret_len);
    return (char *)d;
}

char *node_object_key(struct node_agent *a, const char *ns, bool secret, const char *name,
                      const char *key, size_t *ret_len)
{
    json_t *obj = get_object(a, secret ? "Secret" : "ConfigMap", ns, name);
    if (obj == NULL)
        return NULL;
    char *v = key_value(obj, secret, key, ret_len);
    json_decref(obj);
    return v;
}

/* metadata.labels / metadata.annotations as the kubelet formats them: sorted key="value"
 * lines. */
static char *format_map(json_t *map)
{
    size_t n = json_object_size(map), i = 0;
    const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
        keys[i++] = k;
    qsort(keys, n, sizeof(*keys), strp_cmp);
    struct buf b;
    buf_init(&b, 1 << 20);
    for (i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, '\n');
        buf_puts(&b, keys[i]);
        buf_putc(&b, '=');
        const char *s = json_string_value(json_object_get(map, keys[i]));
        go_quote(&b, s ? s : "", s ? strlen(s) : 0);
    }
    free(keys);
    return buf_detach(&b, NULL);
}

char *node_field_ref(struct node_agent *a, json_t *pod, const char *pod_ip, const char *fp)
{
    static const char *simple[] = {"metadata.name", "metadata.namespace", "metadata.uid",
                                   "spec.nodeName", "spec.serviceAccountName"};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (strcmp(fp, simple[i]) == 0) {
            const char *v = json_path_str(pod, fp);
            if (v == NULL && strcmp(fp, "spec.nodeName") == 0)
                v = a->name;
            return xstrdup(v ? v : "");
        }
    if (strcmp(fp, "status.hostIP") == 0 || strcmp(fp, "status.hostIPs") == 0)
        return xstrdup(a->api_host);
    if (strcmp(fp, "status.podIP") == 0 || strcmp(fp, "status.podIPs") == 0) {
        /* the pod's own address (the sandbox's; a hostNetwork pod's is the node's), as kubelet
         * gives it; "" while it has none yet */
        const char *ip = pod_ip ? pod_ip : json_path_str(pod, "status.podIP");
        return xstrdup(ip ? ip : "");
    }
    if (strcmp(fp, "metadata.labels") == 0)
        return format_map(json_path(pod, "metadata.labels"));
    if (strcmp(fp, "metadata.annotations") == 0)
        return format_map(json_path(pod, "metadata.annotations"));
    const char *which = NULL;
    if (strncmp(fp, "metadata.labels['", 17) == 0)
        which = "labels";
    else if (strncmp(fp, "metadata.annotations['", 22) == 0)
        which = "annotations";
    if (which != NULL) {
        const char *start = strchr(fp, '\'') + 1;
        const char *end = strrchr(fp, '\'');
        if (end == NULL || end < start || strcmp(end, "']") != 0)
            return NULL;
        char *key = xstrndup(start, (size_t)(end - start));
        const char *v = json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), which), key));
        free(key);
        return xstrdup(v ? v : "");
    }
    return NULL;
}

/* ---- payload collectors -------------------------------------------------------------- */

static int mode_of(json_t *item, int dflt)
{
    json_t *m = json_object_get(item, "mode");
    return json_is_integer(m) ? (int)(json_integer_value(m) & 0777) : dflt;
}

static void payload_add(json_t *files, const char *path, const char *data, size_t len, int mode)
{
    json_object_set_new(files, path, json_pack("{s:o, s:i}", "data", json_stringn_nocheck(data, len),
                                               "mode", mode));
}

/* ConfigMap or Secret source (volume or projection). */
static int collect_keys(struct node_agent *a, struct node_pod *p, json_t *src, bool secret,
                        int dflt_mode, json_t *files, char **ret_err)
{
    const char *name = json_str(src, secret ? "secretName" : "name");
    if (name == NULL)
        name = json_str(src, "name");
    bool optional = json_is_true(json_object_get(src, "optional"));
    const char *what = secret ? "secret" : "configmap";
    json_t *obj = name ? get_object(a, secret ? "Secret" : "ConfigMap", p->ns, name) : NULL;
    if (obj == NULL) {
        if (optional)
            return 0;
        *ret_err = xasprintf("%s \"%s\" not found", what, name ? name : "");
        return AZ_ENOTFOUND;
    }
    json_t *items = json_object_get(src, "items");
    int rc = 0;
    if (json_array_size(items) > 0) {
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
            const char *key = json_str(it, "key"), *path = json_str(it, "path");
            size_t len = 0;
            char *v = key && path ? key_value(obj, secret, key, &len) : NULL;
            if (v == NULL) {
                if (optional)
                    continue;
                *ret_err = xasprintf("%s references non-existent %s key: %s", what,
                                     secret ? "secret" : "config", key ? key : "");
                rc = AZ_ENOTFOUND;
                break;
            }
            payload_add(files, path, v, len, mode_of(it, dflt_mode));
            free(v);
        }
    } else {
        const char *sections[2] = {"data", secret ? NULL : "binaryData"};
        for (int s = 0; s < 2 && sections[s]; s++) {
            const char *key;
            json_t *val;
            json_object_foreach(json_object_get(obj, sections[s]), key, val) {
                size_t len = 0;
                char *v = key_value(obj, secret, key, &len);
                if (v != NULL)
                    payload_add(files, key, v, len, dflt_mode);
                free(v);
            }
        }
    }
    json_decref(obj);
    return rc;
}

static int collect_downward(struct node_agent *a, struct node_pod *p, json_t *src, int dflt_mode,
                            json_t *files, char **ret_err)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(src, "items"), i, it) {
        const char *path = json_str(it, "path");
        const char *fp = json_path_str(it, "fieldRef.fieldPath");
        char *v = NULL;
        if (fp != NULL)
            v = node_field_ref(a, p->pod, p->pod_ip, fp);
        else if (json_object_get(it, "resourceFieldRef") != NULL)
            v = xstrdup("0"); /* no resource accounting on this node */
        if (v == NULL || path == NULL) {
            free(v);
            *ret_err = xasprintf("unsupported downward API field %s", fp ? fp : "");
            return AZ_EINVALID;
        }
        payload_add(files, path, v, strlen(v), mode_of(it, dflt_mode));
        free(v);
    }
    return 0;
}

static bool token_needs_refresh(const struct node_token *t, int64_t now)
{
    int64_t iat = t->exp - t->ttl;
    if (now > iat + TOKEN_MAX_AGE - t->jitter)
        return true;
    return now > t->exp - (t->ttl * 20 / 100) - t->jitter;
}

bool node_tokens_need_refresh(struct node_pod *p, int64_t now)
{
    for (struct node_token *t = p->tokens; t; t = t->next)
        if (token_needs_refresh(t, now))
            return true;
    return false;
}

void node_tokens_free(struct node_token *t)
{
    while (t) {
        struct node_token *next = t->next;
        free(t->volume);
        free(t->token);
        free(t);
        t = next;
    }
}

/* Asks the TokenRequest API for a token of the pod's ServiceAccount bound to the pod. */
static int request_token(struct node_agent *a, struct node_pod *p, json_t *proj, int64_t ttl,
                         char **ret_token, int64_t *ret_exp, char **ret_err)
{
    const char *sa = json_path_str(p->pod, "spec.serviceAccountName");
    if (sa == NULL || *sa == '\0')
        sa = "default";
    json_t *auds = json_array();
    const char *aud = json_str(proj, "audience");
    if (aud && *aud)
        json_array_append_new(auds, json_string(aud));
    json_t *body = json_pack("{s:s, s:s, s:{s:o, s:I, s:{s:s, s:s, s:s, s:s}}}", "apiVersion",
                             "authentication.k8s.io/v1", "kind", "TokenRequest", "spec", "audiences",
                             auds, "expirationSeconds", (json_int_t)ttl, "boundObjectRef",
                             "apiVersion", "v1", "kind", "Pod", "name", p->name, "uid", p->uid);
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("", "ServiceAccount"), .subresource = "token",
                         .ns = p->ns, .name = sa, .user = &a->user, .field_manager = "kubelet"};
    json_t *obj = NULL, *st = NULL;
    int rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = body}, &obj, &st);
    if (rc != 0) {
        const char *m = json_str(st, "message");
        *ret_err = xasprintf("failed to fetch token: %s", m ? m : az_err_str(rc));
    } else {
        const char *tok = json_path_str(obj, "status.token");
        const char *exp = json_path_str(obj, "status.expirationTimestamp");
        if (tok == NULL || exp == NULL) {
            rc = AZ_EINTERNAL;
            *ret_err = xstrdup("failed to fetch token: empty TokenRequest status");
        } else {
            *ret_token = xstrdup(tok);
            *ret_exp = (int64_t)time_parse_rfc3339(exp);
        }
    }
    json_decref(body);
    json_decref(obj);
    json_decref(st);
    return rc;
}

static struct node_token *token_for(struct node_pod *p, const char *volume, size_t source)
{
    for (struct node_token *t = p->tokens; t; t = t->next)
        if (t->source == source && strcmp(t->volume, volume) == 0)
            return t;
    return NULL;
}

static int collect_token(struct node_agent *a, struct node_pod *p, const char *volume, size_t source,
                         json_t *proj, int dflt_mode, json_t *files, char **ret_err)
{
    const char *path = json_str(proj, "path");
    if (path == NULL) {
        *ret_err = xstrdup("serviceAccountToken projection without a path");
        return AZ_EINVALID;
    }
    json_t *es = json_object_get(proj, "expirationSeconds");
    int64_t ttl = json_is_integer(es) ? json_integer_value(es) : TOKEN_DEFAULT_EXPIRATION;
    struct node_token *t = token_for(p, volume, source);
    int64_t now = (int64_t)clock_wall_s();
    if (t == NULL || token_needs_refresh(t, now)) {
        char *tok = NULL, *err = NULL;
        int64_t exp = 0;
        int rc = request_token(a, p, proj, ttl, &tok, &exp, &err);
        if (rc != 0) {
            if (t == NULL || now > t->exp) {
                if (t != NULL) {
                    *ret_err = xasprintf("token %s/%s expired and refresh failed: %s", p->ns, volume, err);
                    free(err);
                } else {
                    *ret_err = err;
                }
                return rc;
            }
            free(err); /* keep serving the cached token */
        } else {
            if (t == NULL) {
                t = xcalloc(1, sizeof(*t));
                t->volume = xstrdup(volume);
                t->source = source;
                t->next = p->tokens;
                p->tokens = t;
            }
            free(t->token);
            t->token = tok;
            t->exp = exp;
            t->ttl = ttl;
            unsigned char r;
            random_bytes(&r, sizeof(r));
            t->jitter = r % 10;
        }
    }
    /* fsGroup: the token is 0600, then volume ownership makes it 0640 group-owned */
    json_t *fsgroup = json_path(p->pod, "spec.securityContext.fsGroup");
    int mode = json_is_integer(fsgroup) ? 0640 : dflt_mode;
    payload_add(files, path, t->token, strlen(t->token), mode);
    if (json_is_integer(fsgroup))
        json_object_set(json_object_get(files, path), "gid", fsgroup);
    return 0;
}

/* ---- volumes ----------------------------------------------------------------------- */

static char *volume_dir(struct node_pod *p, const char *name)
{
    return xasprintf("%s/volumes/%s", p->dir, name);
}

/* The volume named name in p's spec, or NULL. */
static json_t *pod_volume(struct node_pod *p, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_path(p->pod, "spec.volumes"), i, v)
        if (json_str(v, "name") != NULL && strcmp(json_str(v, "name"), name) == 0)
            return v;
    return NULL;
}

bool node_volume_read_only(struct node_pod *p, const char *volume)
{
    static const char *const api_backed[] = {"secret", "configMap", "downwardAPI", "projected"};
    json_t *v = pod_volume(p, volume);
    for (size_t k = 0; v != NULL && k < sizeof(api_backed) / sizeof(api_backed[0]); k++)
        if (json_object_get(v, api_backed[k]) != NULL)
            return true;
    return false;
}

char *node_volume_source(struct node_agent *a, struct node_pod *p, const char *volume)
{
    (void)a;
    json_t *v = pod_volume(p, volume);
    if (v == NULL)
        return NULL;
    json_t *hp = json_object_get(v, "hostPath");
    if (hp != NULL) {
        const char *path = json_str(hp, "path");
        return path ? xstrdup(path) : NULL;
    }
    return volume_dir(p, volume);
}

static int default_mode(json_t *src)
{
    json_t *m = json_object_get(src, "defaultMode");
    return json_is_integer(m) ? (int)(json_integer_value(m) & 0777) : VOLUME_DEFAULT_MODE;
}

static int setup_hostpath(json_t *hp, char **ret_err)
{
    const char *path = json_str(hp, "path");
    const char *type = json_str(hp, "type");
    struct stat st;
    if (path == NULL) {
        *ret_err = xstrdup("hostPath without a path");
        return AZ_EINVALID;
    }
    if (type == NULL || *type == '\0')
        return 0;
    if (strcmp(type, "DirectoryOrCreate") == 0) {
        int rc = node_mkdir_p(path, 0755);
        if (rc != 0) {
            *ret_err = xasprintf("mkdir %s: %s", path, strerror(-rc));
            return AZ_EIO;
        }
        return 0;
    }
    if (strcmp(type, "FileOrCreate") == 0) {
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) {
            *ret_err = xasprintf("create %s: %s", path, strerror(errno));
            return AZ_EIO;
        }
        close(fd);
        return 0;
    }
    bool exists = stat(path, &st) == 0;
    if ((strcmp(type, "Directory") == 0 && (!exists || !S_ISDIR(st.st_mode))) ||
        (strcmp(type, "File") == 0 && (!exists || !S_ISREG(st.st_mode)))) {
        *ret_err = xasprintf("hostPath type check failed: %s is not a %s", path,
                             strcmp(type, "File") == 0 ? "file" : "directory");
        return AZ_EINVALID;
    }
    return 0;
}

/* Volumes whose content comes from the API (secrets, tokens, ...) live in memory, as kubelet
 * keeps them: dir becomes a tmpfs mount (once) with opts. Returns 0 or -errno. */
static int ensure_tmpfs(const char *dir, const char *opts)
{
    int rc = node_mkdir_p(dir, 0755);
    if (rc != 0)
        return rc;
    char *parent = xasprintf("%s/..", dir);
    struct stat sd, sp;
    bool mounted = stat(dir, &sd) == 0 && stat(parent, &sp) == 0 && sd.st_dev != sp.st_dev;
    free(parent);
    if (mounted)
        return 0;
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
        return -errno;
    return 0;
}

/* Unmounts (lazily) every mount point at depth levels below dir, deepest first. */
static void unmount_below(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        if (depth > 1)
            unmount_below(path, depth - 1);
        else
            umount2(path, MNT_DETACH);
        free(path);
    }
    if (d)
        closedir(d);
}

void node_volumes_unmount(struct node_pod *p)
{
    char *vols = xasprintf("%s/volumes", p->dir);
    unmount_below(vols, 1);
    free(vols);
    char *subs = xasprintf("%s/volume-subpaths", p->dir);
    unmount_below(subs, 3); /* <volume>/<container>/<index> */
    free(subs);
}

/* ---- subPath ------------------------------------------------------------------------ */

/* openat2 of path beneath dirfd (no absolute symlink, no way out by ".."), O_PATH. */
static int open_beneath(int dirfd, const char *path, int flags)
{
    return layer_openat2(dirfd, path, flags | O_PATH, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

/* An O_PATH fd of clean (relative, cleaned) beneath volfd, its missing directories made:
 * -errno on failure (-EXDEV / -ELOOP: a symlink that leaves the volume). */
static int subpath_open(int volfd, const char *clean)
{
    if (*clean == '\0') { /* the volume itself */
        int d = fcntl(volfd, F_DUPFD_CLOEXEC, 0);
        return d >= 0 ? d : -errno;
    }
    int fd = open_beneath(volfd, clean, 0);
    if (fd >= 0 || errno != ENOENT)
        return fd >= 0 ? fd : -errno;
    /* make the missing directories, each under an fd of its parent */
    char *prefix = xstrdup(clean);
    int rc = 0;
    for (char *slash = prefix;; slash++) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        int cur = open_beneath(volfd, prefix, O_DIRECTORY);
        if (cur < 0 && errno == ENOENT) {
            /* prefix's last element is missing: mkdirat it in its parent, then open it */
            char *base = strrchr(prefix, '/');
            const char *name = base ? base + 1 : prefix;
            if (base)
                *base = '\0';
            int parent = base ? open_beneath(volfd, prefix, O_DIRECTORY) : fcntl(volfd, F_DUPFD_CLOEXEC, 0);
            if (base)
                *base = '/';
            if (parent < 0 || (mkdirat(parent, name, 0755) != 0 && errno != EEXIST))
                rc = -errno;
            if (parent >= 0)
                close(parent);
            if (rc == 0 && (cur = open_beneath(volfd, prefix, O_DIRECTORY)) < 0)
                rc = -errno;
        } else if (cur < 0) {
            rc = -errno;
        }
        if (cur >= 0)
            close(cur);
        if (rc != 0 || slash == NULL)
            break;
        *slash = '/';
    }
    free(prefix);
    if (rc != 0)
        return rc;
    fd = open_beneath(volfd, clean, 0);
    return fd >= 0 ? fd : -errno;
}

char *node_subpath_bind(struct node_pod *p, const char *vol, const char *sub, const char *volume,
                        const char *container, size_t index, char **ret_err)
{
    /* layer.h's tar path cleaning: empty and "." elements dropped, NULL for a ".." one */
    char *clean = sub[0] == '/' ? NULL : tar_clean_path(sub);
    if (clean == NULL) {
        *ret_err = xasprintf("subPath %s is absolute or has \"..\"", sub);
        return NULL;
    }
    int volfd = open(vol, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = volfd < 0 ? -errno : subpath_open(volfd, clean);
    if (volfd >= 0)
        close(volfd);
    free(clean);
    if (fd < 0) {
        *ret_err = xasprintf("subPath %s of %s: %s", sub, vol, strerror(-fd));
        return NULL;
    }
    struct stat st;
    char *dir = xasprintf("%s/volume-subpaths/%s/%s", p->dir, volume, container);
    char *target = xasprintf("%s/%zu", dir, index);
    char *src = xasprintf("/proc/self/fd/%d", fd);
    umount2(target, MNT_DETACH); /* a previous run's */
    int rc = fstat(fd, &st) != 0 ? -errno : node_mkdir_p(dir, 0750);
    if (rc == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(target, 0750) != 0 && errno != EEXIST)
                rc = -errno;
        } else {
            int t = open(target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
            if (t < 0)
                rc = -errno;
            else
                close(t);
        }
    }
    if (rc == 0 && mount(src, target, NULL, MS_BIND, NULL) != 0)
        rc = -errno;
    close(fd);
    free(src);
    free(dir);
    if (rc != 0) {
        *ret_err = xasprintf("bind-mounting subPath %s: %s", sub, strerror(-rc));
        free(target);
        return NULL;
    }
    return target;
}

/* The size of a memory-backed emptyDir (upstream calculateEmptyDirMemorySize, SizeMemoryBacked
 * Volumes on): the node's memory, lowered to the pod's memory limit when every container has
 * one, and to the volume's sizeLimit when set (> 0). */
static int64_t emptydir_memory_size(struct node_pod *p, json_t *v)
{
    int64_t size = node_memory_bytes(), lim, sum = 0;
    bool all = true;
    size_t i;
    json_t *c;
    json_array_foreach(json_path(p->pod, "spec.containers"), i, c) {
        if (ocispec_quantity(json_path_str(c, "resources.limits.memory"), 1, &lim) == 0 && lim > 0)
            sum = lim > INT64_MAX - sum ? INT64_MAX : sum + lim; /* limits up to 8Ei each */
        else
            all = false;
    }
    if (all && sum > 0 && (size <= 0 || sum < size))
        size = sum;
    if (ocispec_quantity(json_path_str(v, "emptyDir.sizeLimit"), 1, &lim) == 0 && lim > 0 &&
        (size <= 0 || lim < size))
        size = lim;
    return size > 0 ? size : 64 << 20;
}

static int setup_volume(struct node_agent *a, struct node_pod *p, json_t *v, char **ret_err)
{
    const char *name = json_str(v, "name");
    json_t *src;
    int rc = 0;
    if (name == NULL)
        return 0;
    if ((src = json_object_get(v, "hostPath")) != NULL)
        return setup_hostpath(src, ret_err);
    char *dir = volume_dir(p, name);
    json_t *files = NULL;
    const char *medium = json_path_str(v, "emptyDir.medium");
    if (medium != NULL && strcmp(medium, "Memory") == 0 && geteuid() == 0) {
        /* kubelet: a tmpfs, never the node's disk, sized as calculateEmptyDirMemorySize */
        char *opts = xasprintf("mode=0777,size=%lld", (long long)emptydir_memory_size(p, v));
        rc = ensure_tmpfs(dir, opts);
        free(opts);
        if (rc == 0)
            chmod(dir, 0777);
        else
            *ret_err = xasprintf("mounting tmpfs at %s: %s", dir, strerror(-rc));
        free(dir);
        return rc == 0 ? 0 : AZ_EIO;
    }
    if (json_object_get(v, "emptyDir") != NULL || json_object_size(v) == 1) {
        rc = node_mkdir_p(dir, 0777);
        if (rc == 0)
            chmod(dir, 0777);
        else
            *ret_err = xasprintf("mkdir %s: %s", dir, strerror(-rc));
        free(dir);
        return rc == 0 ? 0 : AZ_EIO;
    }
    files = json_object();
    if ((src = json_object_get(v, "configMap")) != NULL) {
        rc = collect_keys(a, p, src, false, default_mode(src), files, ret_err);
    } else if ((src = json_object_get(v, "secret")) != NULL) {
        rc = collect_keys(a, p, src, true, default_mode(src), files, ret_err);
    } else if ((src = json_object_get(v, "downwardAPI")) != NULL) {
        rc = collect_downward(a, p, src, default_mode(src), files, ret_err);
    } else if ((src = json_object_get(v, "projected")) != NULL) {
        int dm = default_mode(src);
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(src, "sources"), i, s) {
            json_t *x;
            if ((x = json_object_get(s, "serviceAccountToken")) != NULL)
                rc = collect_token(a, p, name, i, x, dm, files, ret_err);
            else if ((x = json_object_get(s, "configMap")) != NULL)
                rc = collect_keys(a, p, x, false, dm, files, ret_err);
            else if ((x = json_object_get(s, "secret")) != NULL)
                rc = collect_keys(a, p, x, true, dm, files, ret_err);
            else if ((x = json_object_get(s, "downwardAPI")) != NULL)
                rc = collect_downward(a, p, x, dm, files, ret_err);
            if (rc != 0)
                break;
        }
    } else {
        /* volume types this node cannot provide (PVCs, CSI, ...): an empty directory */
        rc = node_mkdir_p(dir, 0777);
        json_decref(files);
        free(dir);
        if (rc != 0) {
            *ret_err = xasprintf("mkdir %s: %s", name, strerror(-rc));
            return AZ_EIO;
        }
        return 0;
    }
    if (rc == 0 && geteuid() == 0 && (rc = ensure_tmpfs(dir, "mode=0755,size=64m")) != 0) {
        *ret_err = xasprintf("mounting tmpfs at %s: %s", dir, strerror(-rc));
        rc = AZ_EIO;
    }
    if (rc == 0) {
        char *err = NULL;
        if (node_atomic_write(dir, files, &err) != 0) {
            *ret_err = err;
            rc = AZ_EIO;
        }
    }
    json_decref(files);
    free(dir);
    return rc;
}

int node_volumes_sync(struct node_agent *a, struct node_pod *p, char **ret_err)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_path(p->pod, "spec.volumes"), i, v) {
        char *err = NULL;
        int rc = setup_volume(a, p, v, &err);
        if (rc != 0) {
            *ret_err = xasprintf("MountVolume.SetUp failed for volume \"%s\" : %s",
                                 json_str(v, "name") ? json_str(v, "name") : "", err ? err : "failed");
            free(err);
            return rc;
        }
    }
    return 0;
}
