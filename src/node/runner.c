/* runner.c — container processes (the node's "runtime"): images are not pulled, a container's
 * command+args run on the host in a new mount and UTS namespace where the pod's volumes are
 * bind-mounted at their mountPaths and the host name is the pod name. The environment is the
 * kubelet's (spec/13 §13.5 service variables, env, envFrom, $(VAR) expansion).
 * Also node_exec(): a process joining a running container's namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "api/rest.h"
#include "node/node_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_ARGS 4096
#define MAX_MOUNTS 256

extern char **environ;

void node_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* ---- environment ------------------------------------------------------------------- */

/* Expands $(VAR) references to variables defined in env, `$$` to `$`; anything else stays
 * (upstream third_party/forked/golang/expansion). */
static char *expand(const char *in, json_t *env)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (const char *s = in; *s;) {
        if (s[0] == '$' && s[1] == '$') {
            buf_putc(&b, '$');
            s += 2;
        } else if (s[0] == '$' && s[1] == '(') {
            const char *end = strchr(s + 2, ')');
            if (end == NULL) {
                buf_puts(&b, s);
                break;
            }
            char *name = xstrndup(s + 2, (size_t)(end - s - 2));
            json_t *v = json_object_get(env, name);
            free(name);
            if (json_is_string(v))
                buf_puts(&b, json_string_value(v));
            else
                buf_append(&b, s, (size_t)(end - s + 1));
            s = end + 1;
        } else {
            buf_putc(&b, *s++);
        }
    }
    return buf_detach(&b, NULL);
}

static void env_from(struct node_agent *a, struct node_pod *p, json_t *spec, json_t *env)
{
    size_t i;
    json_t *ef;
    json_array_foreach(json_object_get(spec, "envFrom"), i, ef) {
        const char *prefix = json_str(ef, "prefix");
        bool secret = json_object_get(ef, "secretRef") != NULL;
        json_t *ref = json_object_get(ef, secret ? "secretRef" : "configMapRef");
        const char *name = json_str(ref, "name");
        if (name == NULL)
            continue;
        struct api_call c = {.srv = a->srv, .res = resource_by_kind("", secret ? "Secret" : "ConfigMap"),
                             .ns = p->ns, .name = name, .user = &a->user, .internal = true};
        json_t *obj = NULL, *st = NULL;
        if (rest_get(&c, &obj, &st) != 0) {
            json_decref(st);
            continue;
        }
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(obj, "data"), k, v) {
            char *key = xasprintf("%s%s", prefix ? prefix : "", k);
            if (secret) {
                size_t len = 0;
                unsigned char *d = base64_decode(json_string_value(v), json_string_length(v), &len);
                if (d)
                    json_object_set_new(env, key, json_stringn_nocheck((char *)d, len));
                free(d);
            } else {
                json_object_set(env, key, v);
            }
            free(key);
        }
        json_decref(obj);
    }
}

char **node_container_env(struct node_agent *a, struct node_pod *p, json_t *spec)
{
    json_t *env = json_object();
    char port[16];
    snprintf(port, sizeof(port), "%d", a->api_port);
    char *tcp = xasprintf("tcp://%s:%d", a->api_host, a->api_port);
    json_object_set_new(env, "PATH", json_string(DEFAULT_PATH));
    json_object_set_new(env, "HOSTNAME", json_string(p->name));
    /* the master service's variables are set whatever enableServiceLinks says */
    json_object_set_new(env, "KUBERNETES_SERVICE_HOST", json_string(a->api_host));
    json_object_set_new(env, "KUBERNETES_SERVICE_PORT", json_string(port));
    json_object_set_new(env, "KUBERNETES_SERVICE_PORT_HTTPS", json_string(port));
    json_object_set_new(env, "KUBERNETES_PORT", json_string(tcp));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP", json_string(tcp));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_PROTO", json_string("tcp"));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_PORT", json_string(port));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_ADDR", json_string(a->api_host));
    free(tcp);
    env_from(a, p, spec, env);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(spec, "env"), i, e) {
        const char *name = json_str(e, "name");
        if (name == NULL)
            continue;
        json_t *vf = json_object_get(e, "valueFrom");
        char *val = NULL;
        if (vf == NULL) {
            val = expand(json_str(e, "value") ? json_str(e, "value") : "", env);
        } else if (json_object_get(vf, "fieldRef")) {
            const char *fp = json_path_str(vf, "fieldRef.fieldPath");
            val = fp ? node_field_ref(a, p->pod, fp) : NULL;
        } else if (json_object_get(vf, "configMapKeyRef") || json_object_get(vf, "secretKeyRef")) {
            bool secret = json_object_get(vf, "secretKeyRef") != NULL;
            json_t *ref = json_object_get(vf, secret ? "secretKeyRef" : "configMapKeyRef");
            size_t len = 0;
            if (json_str(ref, "name") && json_str(ref, "key"))
                val = node_object_key(a, p->ns, secret, json_str(ref, "name"), json_str(ref, "key"), &len);
        } else if (json_object_get(vf, "resourceFieldRef")) {
            val = xstrdup("0");
        }
        if (val != NULL)
            json_object_set_new(env, name, json_stringn_nocheck(val, strlen(val)));
        free(val);
    }
    char **envp = xcalloc(json_object_size(env) + 1, sizeof(char *));
    size_t n = 0;
    const char *k;
    json_object_foreach(env, k, e)
        envp[n++] = xasprintf("%s=%s", k, json_string_value(e));
    json_decref(env);
    return envp;
}

/* ---- process start ------------------------------------------------------------------ */

struct mount_spec {
    char *source;
    char *target;
    bool readonly;
    bool file;        /* source is not a directory: the target is a file */
};

/* What the child reports through the CLOEXEC pipe when it cannot exec. */
struct child_report {
    int stage;        /* 0 exec, 1 namespaces, 2 mount, 3 chdir */
    int err;
    int index;        /* mount index for stage 2 */
};

static void child_fail(int fd, int stage, int err, int index)
{
    struct child_report r = {stage, err, index};
    ssize_t w = write(fd, &r, sizeof(r));
    (void)w;
    _exit(127);
}

/* mkdir -p inside the child (only syscalls). */
static void child_mkdirs(char *path)
{
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    mkdir(path, 0755);
}

static void child_reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

static void container_set(struct node_container *c, enum node_cstate st, const char *reason,
                          const char *message)
{
    c->state = st;
    free(c->reason);
    free(c->message);
    c->reason = reason ? xstrdup(reason) : NULL;
    c->message = message ? xstrdup(message) : NULL;
}

static void free_mounts(struct mount_spec *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].source);
        free(m[i].target);
    }
    free(m);
}

static int cmp_mount(const void *x, const void *y)
{
    const struct mount_spec *a = x, *b = y;
    return strcmp(a->target, b->target);
}

void node_container_start(struct node_agent *a, struct node_pod *p, struct node_container *c)
{
    char **envp = node_container_env(a, p, c->spec);
    json_t *envmap = json_object();
    for (char **e = envp; *e; e++) {
        const char *eq = strchr(*e, '=');
        char *k = xstrndup(*e, (size_t)(eq - *e));
        json_object_set_new(envmap, k, json_stringn_nocheck(eq + 1, strlen(eq + 1)));
        free(k);
    }
    json_t *cmd = json_object_get(c->spec, "command"), *args = json_object_get(c->spec, "args");
    size_t argc = json_array_size(cmd) + json_array_size(args);
    char **argv = NULL;
    struct mount_spec *mounts = NULL;
    size_t nm = 0;
    char *logpath = NULL;
    int logfd = -1, pipefd[2] = {-1, -1};
    if (argc == 0) {
        container_set(c, NODE_C_WAITING, "CreateContainerError",
                      "failed to generate container spec: no command specified");
        goto out;
    }
    if (argc > MAX_ARGS)
        argc = MAX_ARGS;
    argv = xcalloc(argc + 1, sizeof(char *));
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(cmd, i, v)
        if (n < argc)
            argv[n++] = expand(json_string_value(v) ? json_string_value(v) : "", envmap);
    json_array_foreach(args, i, v)
        if (n < argc)
            argv[n++] = expand(json_string_value(v) ? json_string_value(v) : "", envmap);
    json_t *vms = json_object_get(c->spec, "volumeMounts");
    mounts = xcalloc(json_array_size(vms) + 1, sizeof(*mounts));
    json_array_foreach(vms, i, v) {
        if (nm >= MAX_MOUNTS)
            break;
        const char *vname = json_str(v, "name"), *mp = json_str(v, "mountPath");
        char *src = vname ? node_volume_source(a, p, vname) : NULL;
        if (src == NULL || mp == NULL || mp[0] != '/') {
            char *msg = xasprintf("cannot mount volume \"%s\": unknown volume or bad mountPath",
                                  vname ? vname : "");
            container_set(c, NODE_C_WAITING, "CreateContainerConfigError", msg);
            free(msg);
            free(src);
            goto out;
        }
        const char *sub = json_str(v, "subPath");
        if (sub && *sub) {
            char *full = xasprintf("%s/%s", src, sub);
            free(src);
            src = full;
            struct stat st;
            if (stat(src, &st) != 0)
                node_mkdir_p(src, 0755);
        }
        struct stat st;
        mounts[nm].source = src;
        mounts[nm].target = xstrdup(mp);
        mounts[nm].readonly = json_is_true(json_object_get(v, "readOnly"));
        mounts[nm].file = stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
        nm++;
    }
    qsort(mounts, nm, sizeof(*mounts), cmp_mount);
    char *logdir = xasprintf("%s/logs", p->dir);
    node_mkdir_p(logdir, 0755);
    logpath = xasprintf("%s/%s.log", logdir, c->name);
    if (c->restart_count > 0) {
        /* `kubectl logs` shows the current run; the previous one is kept beside it */
        char *prev = xasprintf("%s/%s.previous.log", logdir, c->name);
        rename(logpath, prev);
        free(prev);
    }
    free(logdir);
    logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (logfd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        char *msg = xasprintf("cannot open %s: %s", logpath, strerror(errno));
        container_set(c, NODE_C_WAITING, "RunContainerError", msg);
        free(msg);
        goto out;
    }
    const char *wd = json_str(c->spec, "workingDir");
    char *hostname = xstrndup(p->name, 63);
    time_t started = time(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_reset_signals();
        setsid();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0 && devnull != 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        dup2(logfd, 1);
        dup2(logfd, 2);
        if (unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0)
            child_fail(pipefd[1], 1, errno, 0);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
            child_fail(pipefd[1], 1, errno, 0);
        if (sethostname(hostname, strlen(hostname)) != 0)
            child_fail(pipefd[1], 1, errno, 0);
        for (size_t k = 0; k < nm; k++) {
            if (mounts[k].file) {
                char *slash = strrchr(mounts[k].target, '/');
                if (slash && slash != mounts[k].target) {
                    *slash = '\0';
                    child_mkdirs(mounts[k].target);
                    *slash = '/';
                }
                int fd = open(mounts[k].target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd >= 0)
                    close(fd);
            } else {
                child_mkdirs(mounts[k].target);
            }
            if (mount(mounts[k].source, mounts[k].target, NULL, MS_BIND | MS_REC, NULL) != 0)
                child_fail(pipefd[1], 2, errno, (int)k);
            if (mounts[k].readonly &&
                mount(NULL, mounts[k].target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
                child_fail(pipefd[1], 2, errno, (int)k);
        }
        if (chdir(wd && *wd ? wd : "/") != 0)
            child_fail(pipefd[1], 3, errno, 0);
        close_range(3, (unsigned)pipefd[1] - 1, 0);
        close_range((unsigned)pipefd[1] + 1, ~0U, 0);
        environ = envp;
        execvp(argv[0], argv);
        child_fail(pipefd[1], 0, errno, 0);
    }
    free(hostname);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (pid < 0) {
        char *msg = xasprintf("fork: %s", strerror(errno));
        container_set(c, NODE_C_WAITING, "RunContainerError", msg);
        free(msg);
        goto out;
    }
    struct child_report r;
    ssize_t got;
    do
        got = read(pipefd[0], &r, sizeof(r));
    while (got < 0 && errno == EINTR);
    time_rfc3339(started, c->started_at);
    if (got == (ssize_t)sizeof(r)) {
        /* the child failed before exec: collect it now */
        waitpid(pid, NULL, 0);
        char *msg;
        if (r.stage == 0 && r.err == ENOENT)
            msg = xasprintf("exec: \"%s\": executable file not found in $PATH", argv[0]);
        else if (r.stage == 0)
            msg = xasprintf("exec: \"%s\": %s", argv[0], strerror(r.err));
        else if (r.stage == 2)
            msg = xasprintf("error mounting \"%s\" to rootfs at \"%s\": %s", mounts[r.index].source,
                            mounts[r.index].target, strerror(r.err));
        else if (r.stage == 3)
            msg = xasprintf("chdir to cwd (\"%s\") set in config.json failed: %s", wd ? wd : "/",
                            strerror(r.err));
        else
            msg = xasprintf("creating the container's namespaces: %s", strerror(r.err));
        char *full = xasprintf("failed to create containerd task: failed to create shim task: OCI "
                               "runtime create failed: runc create failed: unable to start container "
                               "process: %s: unknown", msg);
        free(msg);
        container_set(c, NODE_C_TERMINATED, "StartError", full);
        free(full);
        c->exit_code = 128;
        memcpy(c->finished_at, c->started_at, sizeof(c->finished_at));
        goto out;
    }
    c->pid = pid;
    container_set(c, NODE_C_RUNNING, NULL, NULL);
    node_strv_free(c->envp);
    c->envp = envp;
    envp = NULL;
    free(c->workdir);
    c->workdir = wd && *wd ? xstrdup(wd) : NULL;
out:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (logfd >= 0)
        close(logfd);
    free(logpath);
    free_mounts(mounts, nm);
    node_strv_free(argv);
    node_strv_free(envp);
    json_decref(envmap);
}

/* ---- exec ------------------------------------------------------------------------- */

static struct node_pod *find_pod(const char *ns, const char *name)
{
    if (node__agent == NULL)
        return NULL;
    for (struct node_pod *p = node__agent->pods; p; p = p->next)
        if (strcmp(p->ns, ns) == 0 && strcmp(p->name, name) == 0 && !p->terminating)
            return p;
    return NULL;
}

int node_exec(const char *ns, const char *pod, const char *container, char *const argv[],
              bool want_stdin, int *ret_stdin, int *ret_stdout, int *ret_stderr, pid_t *ret_pid,
              char **ret_err)
{
    struct node_pod *p = find_pod(ns, pod);
    if (p == NULL) {
        *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
        return AZ_EBADREQUEST;
    }
    struct node_container *c = NULL;
    for (size_t i = 0; i < p->nc; i++) {
        if (container == NULL || *container == '\0') {
            if (!p->c[i].init) {
                c = &p->c[i];
                break;
            }
        } else if (strcmp(p->c[i].name, container) == 0) {
            c = &p->c[i];
            break;
        }
    }
    if (c == NULL) {
        *ret_err = xasprintf("container %s is not valid for pod %s", container ? container : "", pod);
        return AZ_EBADREQUEST;
    }
    if (c->state != NODE_C_RUNNING || c->pid <= 0) {
        *ret_err = xasprintf("unable to upgrade connection: container not found (\"%s\")", c->name);
        return AZ_EBADREQUEST;
    }
    if (argv == NULL || argv[0] == NULL) {
        *ret_err = xstrdup("you must specify at least one command for the container");
        return AZ_EBADREQUEST;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c->pid);
    int mntfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)c->pid);
    int utsfd = open(path, O_RDONLY | O_CLOEXEC);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
    int rc = AZ_EINTERNAL;
    if (mntfd < 0 || utsfd < 0) {
        *ret_err = xasprintf("container %s is not running", c->name);
        goto fail;
    }
    if ((want_stdin && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
        *ret_err = xasprintf("pipe: %s", strerror(errno));
        goto fail;
    }
    char **envp = c->envp;
    const char *wd = c->workdir;
    pid_t pid = fork();
    if (pid == 0) {
        child_reset_signals();
        setsid();
        if (setns(mntfd, CLONE_NEWNS) != 0 || setns(utsfd, CLONE_NEWUTS) != 0)
            child_fail(rep[1], 1, errno, 0);
        if (want_stdin) {
            dup2(in[0], 0);
        } else {
            int devnull = open("/dev/null", O_RDONLY);
            if (devnull >= 0 && devnull != 0) {
                dup2(devnull, 0);
                close(devnull);
            }
        }
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (chdir(wd ? wd : "/") != 0)
            child_fail(rep[1], 3, errno, 0);
        close_range(3, (unsigned)rep[1] - 1, 0);
        close_range((unsigned)rep[1] + 1, ~0U, 0);
        if (envp)
            environ = envp;
        execvp(argv[0], argv);
        child_fail(rep[1], 0, errno, 0);
    }
    close(rep[1]);
    rep[1] = -1;
    if (pid < 0) {
        *ret_err = xasprintf("fork: %s", strerror(errno));
        goto fail;
    }
    struct child_report r;
    ssize_t got;
    do
        got = read(rep[0], &r, sizeof(r));
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof(r)) {
        waitpid(pid, NULL, 0);
        if (r.stage == 0 && r.err == ENOENT)
            *ret_err = xasprintf("failed to exec in container: exec: \"%s\": executable file not found in $PATH",
                                 argv[0]);
        else
            *ret_err = xasprintf("failed to exec in container: %s", strerror(r.err));
        rc = AZ_EINTERNAL;
        goto fail;
    }
    close(rep[0]);
    close(mntfd);
    close(utsfd);
    if (want_stdin)
        close(in[0]);
    close(out[1]);
    close(err[1]);
    *ret_stdin = want_stdin ? in[1] : -1;
    *ret_stdout = out[0];
    *ret_stderr = err[0];
    *ret_pid = pid; /* the caller reaps it */
    return 0;
fail:
    for (int k = 0; k < 2; k++) {
        if (in[k] >= 0)
            close(in[k]);
        if (out[k] >= 0)
            close(out[k]);
        if (err[k] >= 0)
            close(err[k]);
        if (rep[k] >= 0)
            close(rep[k]);
    }
    if (mntfd >= 0)
        close(mntfd);
    if (utsfd >= 0)
        close(utsfd);
    return rc;
}
