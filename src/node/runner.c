/* runner.c — containers (kubelet's runtime manager + containerd's CRI, for one node): per pod a
 * sandbox (sandbox.h: net/IPC/UTS namespaces, CNI bridge), per container an OCI bundle under
 * the pod's dir — the image unpacked once into a cache (image.h) and mounted as the lower
 * layer of an overlay, config.json from ocispec.h — run detached by the OCI runtime (runc),
 * whose init process the agent reaps as a child subreaper. The environment is the kubelet's
 * (spec/13 §13.5 service variables, env, envFrom, $(VAR) expansion). imagePullPolicy with
 * ErrImagePull / ImagePullBackOff / ErrImageNeverPull. node_exec(): `runc exec`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "registry/rest.h"
#include "client/client.h"
#include "node/image.h"
#include "node/node_int.h"
#include "node/ocispec.h"
#include "node/sandbox.h"
#include "node/spawn.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"
#include "util/util.h"

#define MAX_ARGS 4096
#define MAX_MOUNTS 256


void node_strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* ---- environment ------------------------------------------------------------------- */

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
        if (client_call(&c, CLIENT_GET, NULL, &obj, &st) != 0) {
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

/* Builds the environment of container c (malloc'd NULL-terminated array). */
static char **node_container_env(struct node_agent *a, struct node_pod *p, json_t *spec)
{
    json_t *env = json_object();
    char port[16];
    snprintf(port, sizeof(port), "%d", a->api_port);
    /* hostNetwork pods are on the host's network: the bridge address may not exist yet */
    const char *api_host = json_is_true(json_path(p->pod, "spec.hostNetwork")) ? a->host_api_host
                                                                              : a->api_host;
    char *tcp = xasprintf("tcp://%s:%d", api_host, a->api_port);
    char *hostname = xstrndup(json_path_str(p->pod, "spec.hostname") ? json_path_str(p->pod, "spec.hostname")
                                                                    : p->name, 63);
    json_object_set_new(env, "HOSTNAME", json_string(hostname));
    free(hostname);
    /* the master service's variables are set whatever enableServiceLinks says */
    json_object_set_new(env, "KUBERNETES_SERVICE_HOST", json_string(api_host));
    json_object_set_new(env, "KUBERNETES_SERVICE_PORT", json_string(port));
    json_object_set_new(env, "KUBERNETES_SERVICE_PORT_HTTPS", json_string(port));
    json_object_set_new(env, "KUBERNETES_PORT", json_string(tcp));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP", json_string(tcp));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_PROTO", json_string("tcp"));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_PORT", json_string(port));
    json_object_set_new(env, "KUBERNETES_PORT_443_TCP_ADDR", json_string(api_host));
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
            val = ocispec_expand(json_str(e, "value") ? json_str(e, "value") : "", env);
        } else if (json_object_get(vf, "fieldRef")) {
            const char *fp = json_path_str(vf, "fieldRef.fieldPath");
            val = fp ? node_field_ref(a, p->pod, p->pod_ip, fp) : NULL;
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

/* ---- isolation check ------------------------------------------------------------- */

/* The runtime's absolute path (malloc'd), or NULL if it cannot be found. */
static char *find_runtime(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    char *copy = xstrdup(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char *found = NULL, *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = xasprintf("%s/%s", d, name);
        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(copy);
    return found;
}

/* True when the host mounts cgroup v1 controllers at /sys/fs/cgroup with a cgroup2 hierarchy
 * beside them (systemd's "hybrid" layout). */
static bool cgroup_hybrid(void)
{
    struct statfs root, unified;
    return statfs("/sys/fs/cgroup", &root) == 0 && root.f_type != CGROUP2_SUPER_MAGIC &&
           statfs("/sys/fs/cgroup/unified", &unified) == 0 && unified.f_type == CGROUP2_SUPER_MAGIC;
}

/* Whether the runtime at path is crun (its `--version` says so), asked once per path. */
static bool runtime_is_crun(const char *path)
{
    static char *asked;
    static bool answer;
    if (asked != NULL && strcmp(asked, path) == 0)
        return answer;
    char *const argv[] = {(char *)path, "--version", NULL};
    struct spawn_opts o = {.argv = argv, .stdout_fd = -1, .stderr_fd = -1};
    char *out = NULL;
    answer = spawn_wait(&o, &out) == 0 && out != NULL && strncmp(out, "crun ", 5) == 0;
    free(out);
    free(asked);
    asked = xstrdup(path);
    return answer;
}

char *node_isolation_check(struct node_agent *a)
{
    if (geteuid() != 0)
        return xstrdup("container runtime is down: the node agent must run as root to isolate pods "
                       "(namespaces, mounts, cgroups)");
    char *rt = find_runtime(a->runtime);
    if (rt == NULL)
        return xasprintf("container runtime is down: OCI runtime \"%s\" not found", a->runtime);
    bool crun = runtime_is_crun(rt);
    free(rt);
    /* crun refuses to create any container on a hybrid cgroup host, even without a cgroup
     * manager: say so now rather than fail every pod with a StartError */
    if (crun && cgroup_hybrid())
        return xasprintf("container runtime is down: OCI runtime \"%s\" (crun) cannot run containers on "
                         "this host: its cgroups are in hybrid mode (cgroup v1 controllers with a cgroup2 "
                         "hierarchy at /sys/fs/cgroup/unified), which crun does not support; use "
                         "--container-runtime runc, or crun on a host with unified cgroup v2", a->runtime);
    char *missing = NULL;
    if (!cni_plugins_present(a->cni_dir, &missing)) {
        char *msg = xasprintf("container runtime network not ready: NetworkReady=false "
                              "reason:NetworkPluginNotReady message:Network plugin returns error: "
                              "cni plugin not initialized (%s missing)", missing);
        free(missing);
        return msg;
    }
    return NULL;
}

/* ---- sandbox ------------------------------------------------------------------------ */

static struct sandbox_net net_of(struct node_agent *a)
{
    struct sandbox_net n = {.cni_dir = a->cni_dir, .ipam_dir = a->ipam_dir, .subnet = a->pod_cidr,
                            .bridge = a->bridge};
    return n;
}

static bool pod_host_network(struct node_pod *p)
{
    return json_is_true(json_path(p->pod, "spec.hostNetwork"));
}

/* kubelet's hosts file, the container runtime's hostname and resolv.conf, in p->dir/etc. */
static int write_etc_files(struct node_pod *p, const char *hostname)
{
    char *dir = xasprintf("%s/etc", p->dir);
    int rc = node_mkdir_p(dir, 0755);
    char *hosts = xasprintf("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost "
                            "ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
                            "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n%s\t%s\n",
                            p->pod_ip ? p->pod_ip : "127.0.0.1", hostname);
    char *hn = xasprintf("%s\n", hostname);
    char *resolv = NULL;
    FILE *f = fopen("/etc/resolv.conf", "re");
    if (f) {
        struct buf b;
        buf_init(&b, 64 << 10);
        char line[512];
        while (fgets(line, sizeof(line), f))
            buf_puts(&b, line);
        fclose(f);
        resolv = buf_detach(&b, NULL);
    }
    const char *names[] = {"hosts", "hostname", "resolv.conf"};
    const char *data[] = {hosts, hn, resolv ? resolv : ""};
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data[i], strlen(data[i])) != (ssize_t)strlen(data[i]))
            rc = -errno;
        if (fd >= 0)
            close(fd);
        free(path);
    }
    free(hosts);
    free(hn);
    free(resolv);
    free(dir);
    return rc;
}

static char *pod_hostname(struct node_pod *p)
{
    const char *h = json_path_str(p->pod, "spec.hostname");
    return xstrndup(h && *h ? h : p->name, 63);
}

/* The sandbox (namespaces, CNI ADD, ≈ 50–100 ms; CNI plugins may take longer) is set up on a
 * thread of its own: the event loop never waits for it. Everything it reads is its own copy. */
struct node_sandbox_job {
    pthread_t thread;
    atomic_int done;
    char *cni_dir, *ipam_dir, *subnet, *bridge, *dir, *uid, *hostname;
    bool host_net, host_ipc, want_holder;
    json_t *mappings;         /* hostPort mappings (the thread's own copy) */
    int rc;
    char *ip, *err;
    pid_t holder;             /* shareProcessNamespace's PID 1, or 0 */
};

static void sandbox_job_free(struct node_sandbox_job *j)
{
    free(j->cni_dir);
    free(j->ipam_dir);
    free(j->subnet);
    free(j->bridge);
    free(j->dir);
    free(j->uid);
    free(j->hostname);
    json_decref(j->mappings);
    free(j->ip);
    free(j->err);
    free(j);
}

static void *sandbox_thread(void *arg)
{
    struct node_sandbox_job *j = arg;
    struct sandbox_net net = {.cni_dir = j->cni_dir, .ipam_dir = j->ipam_dir, .subnet = j->subnet,
                              .bridge = j->bridge};
    sandbox_destroy(&net, j->dir, j->uid); /* leftovers of a failed attempt */
    j->rc = sandbox_create(&net, j->dir, j->uid, j->hostname, j->host_net, j->host_ipc, j->mappings, &j->ip,
                           &j->err);
    if (j->rc == 0 && j->want_holder && (j->rc = sandbox_pid_holder(&j->holder, &j->err)) != 0)
        sandbox_destroy(&net, j->dir, j->uid);
    atomic_store(&j->done, 1);
    return NULL;
}

/* kubelet's hostPort mappings, for the portmap plugin (a new array) */
static json_t *port_mappings(struct node_pod *p)
{
    json_t *mappings = json_array();
    size_t i, k;
    json_t *ctr, *port;
    json_array_foreach(json_path(p->pod, "spec.containers"), i, ctr)
        json_array_foreach(json_object_get(ctr, "ports"), k, port) {
            json_t *hp = json_object_get(port, "hostPort"), *cp = json_object_get(port, "containerPort");
            if (!json_is_integer(hp) || json_integer_value(hp) <= 0 || !json_is_integer(cp))
                continue;
            const char *proto = json_str(port, "protocol") ? json_str(port, "protocol") : "TCP";
            char lower[8] = "tcp";
            if (strcasecmp(proto, "UDP") == 0)
                memcpy(lower, "udp", 4);
            else if (strcasecmp(proto, "SCTP") == 0)
                memcpy(lower, "sctp", 5);
            json_array_append_new(mappings, json_pack("{s:I, s:I, s:s, s:s}", "hostPort",
                                                      json_integer_value(hp), "containerPort",
                                                      json_integer_value(cp), "protocol", lower, "hostIP",
                                                      json_str(port, "hostIP") ? json_str(port, "hostIP") : ""));
        }
    return mappings;
}

/* Joins a finished (or, with wait, any) sandbox job of p; its results become p's. */
static void sandbox_job_finish(struct node_agent *a, struct node_pod *p)
{
    struct node_sandbox_job *j = p->sandbox_job;
    p->sandbox_job = NULL;
    pthread_join(j->thread, NULL);
    int rc = j->rc;
    char *err = j->err;
    j->err = NULL;
    if (rc == 0) {
        if (j->holder > 0)
            p->pid_holder = j->holder;
        free(p->pod_ip);
        p->pod_ip = j->host_net ? xstrdup(a->host_api_host) : j->ip;
        j->ip = NULL;
        if (write_etc_files(p, j->host_net ? a->name : j->hostname) != 0) {
            err = xasprintf("writing the pod's /etc files: %s", strerror(errno));
            rc = AZ_EIO;
        }
    }
    sandbox_job_free(j);
    free(p->sandbox_error);
    p->sandbox_error = NULL;
    if (rc != 0) {
        p->sandbox_error = xasprintf("Failed to create pod sandbox: %s", err ? err : "failed");
        p->next_sandbox_ms = now_ms() + 2000;
        log_warn("node agent: pod %s/%s: %s", p->ns, p->name, p->sandbox_error);
    } else {
        p->sandbox_ready = true;
    }
    free(err);
}

bool node_sandbox_poll(struct node_pod *p)
{
    return p->sandbox_job != NULL && atomic_load(&p->sandbox_job->done) != 0;
}

bool node_sandbox_ensure(struct node_agent *a, struct node_pod *p)
{
    if (p->sandbox_ready)
        return true;
    if (p->sandbox_job != NULL) {
        if (!node_sandbox_poll(p))
            return false;
        sandbox_job_finish(a, p);
        return p->sandbox_ready;
    }
    if (now_ms() < p->next_sandbox_ms)
        return false;
    struct node_sandbox_job *j = xcalloc(1, sizeof(*j));
    j->cni_dir = xstrdup(a->cni_dir);
    j->ipam_dir = xstrdup(a->ipam_dir);
    j->subnet = xstrdup(a->pod_cidr);
    j->bridge = xstrdup(a->bridge);
    j->dir = xstrdup(p->dir);
    j->uid = xstrdup(p->uid);
    j->hostname = pod_hostname(p);
    j->host_net = pod_host_network(p);
    j->host_ipc = json_is_true(json_path(p->pod, "spec.hostIPC"));
    j->want_holder = p->pid_holder <= 0 && json_is_true(json_path(p->pod, "spec.shareProcessNamespace")) &&
                     !json_is_true(json_path(p->pod, "spec.hostPID"));
    j->mappings = port_mappings(p);
    atomic_init(&j->done, 0);
    if (pthread_create(&j->thread, NULL, sandbox_thread, j) != 0) {
        sandbox_job_free(j);
        free(p->sandbox_error);
        p->sandbox_error = xstrdup("Failed to create pod sandbox: cannot start a thread");
        p->next_sandbox_ms = now_ms() + 2000;
        return false;
    }
    p->sandbox_job = j;
    return false;
}

/* ---- running the OCI runtime ----------------------------------------------------------- */

/* Receives one fd (SCM_RIGHTS) from a connection on the listening socket lfd, or -1. */
static int recv_console(int lfd)
{
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return -1;
    char data[256];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof(u.buf)};
    int fd = -1;
    if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
    close(conn);
    return fd;
}

/* A listening unix socket at path (a console socket for the runtime's --console-socket), or
 * -1 (path too long for sun_path, or socket errors). */
static int console_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd >= 0 && (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0)) {
        close(lfd);
        lfd = -1;
    }
    return lfd;
}


/* runtime --root R ARGS...; stdout to out_fd (or captured), stderr to err_fd (-1: out_fd).
 * Returns the exit status or -errno; *ret_err (malloc'd) the runtime's error message from its
 * log when it failed. */
static int runtime_run_in(struct node_agent *a, const char *logfile, const char *const *args, int in_fd,
                          int out_fd, int err_fd, char **ret_err);

static int runtime_run(struct node_agent *a, const char *logfile, const char *const *args, int out_fd,
                       int err_fd, char **ret_err)
{
    return runtime_run_in(a, logfile, args, -1, out_fd, err_fd, ret_err);
}

/* ... with in_fd (>= 0) as the runtime's stdin, which `run --detach` passes to the container */
static int runtime_run_in(struct node_agent *a, const char *logfile, const char *const *args, int in_fd,
                          int out_fd, int err_fd, char **ret_err)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = a->runtime;
    argv[n++] = "--root";
    argv[n++] = a->runtime_root;
    if (logfile) {
        argv[n++] = "--log";
        argv[n++] = logfile;
        argv[n++] = "--log-format";
        argv[n++] = "json";
    }
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct spawn_opts o = {.argv = (char *const *)argv, .stdout_fd = out_fd,
                           .stderr_fd = err_fd >= 0 ? err_fd : out_fd,
                           .use_stdin_fd = in_fd >= 0, .stdin_fd = in_fd};
    char *out = NULL;
    int st = spawn_wait(&o, out_fd < 0 ? &out : NULL);
    free(out);
    if (st != 0 && ret_err) {
        char *msg = NULL;
        FILE *f = logfile ? fopen(logfile, "re") : NULL;
        char line[4096];
        while (f && fgets(line, sizeof(line), f)) {
            json_t *l = json_loads(line, 0, NULL);
            if (json_str(l, "level") && strcmp(json_str(l, "level"), "error") == 0 && json_str(l, "msg")) {
                free(msg);
                msg = xstrdup(json_str(l, "msg"));
            }
            json_decref(l);
        }
        if (f)
            fclose(f);
        *ret_err = msg ? msg : st < 0 ? xasprintf("%s: %s", a->runtime, strerror(-st))
                                      : xasprintf("%s exited with status %d", a->runtime, st);
    }
    return st;
}

void node_container_close_stdio(struct node_container *c)
{
    if (c->stdin_open)
        close(c->stdin_fd);
    if (c->tty_open)
        close(c->tty_fd);
    c->stdin_open = c->tty_open = false;
    c->stdin_fd = c->tty_fd = -1;
}

void node_container_cleanup(struct node_agent *a, struct node_container *c)
{
    node_container_close_stdio(c);
    if (c->bundle == NULL)
        return;
    if (c->cid) {
        const char *args[] = {"delete", "--force", c->cid, NULL};
        runtime_run(a, NULL, args, -1, -1, NULL);
    }
    char *rootfs = xasprintf("%s/rootfs", c->bundle);
    umount2(rootfs, MNT_DETACH);
    free(rootfs);
    node_remove_tree(c->bundle);
    free(c->bundle);
    c->bundle = NULL;
}

/* fn(path) for /sys/fs/cgroup/REL (the unified hierarchy) and /sys/fs/cgroup/X/REL for every
 * hierarchy X (v1). */
static void each_cgroup_dir(const char *rel, void (*fn)(const char *path))
{
    char *v2 = xasprintf("/sys/fs/cgroup/%s", rel);
    fn(v2);
    free(v2);
    DIR *d = opendir("/sys/fs/cgroup");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("/sys/fs/cgroup/%s/%s", e->d_name, rel);
        fn(path);
        free(path);
    }
    if (d)
        closedir(d);
}

static void rmdir_quiet(const char *path)
{
    rmdir(path);
}

/* The pod's cgroup parent (/anzen/pod<uid>) in every hierarchy: runc removes only its leaves. */
static void remove_pod_cgroups(struct node_pod *p)
{
    char *rel = xasprintf("anzen/pod%s", p->uid);
    each_cgroup_dir(rel, rmdir_quiet);
    free(rel);
}

void node_pod_teardown(struct node_agent *a, struct node_pod *p)
{
    if (p->sandbox_job != NULL) /* a set-up in flight: let it end, then undo it */
        sandbox_job_finish(a, p);
    for (size_t i = 0; i < p->nc; i++)
        node_container_cleanup(a, &p->c[i]);
    remove_pod_cgroups(p);
    struct sandbox_net net = net_of(a);
    sandbox_destroy(&net, p->dir, p->uid);
    node_volumes_unmount(p);
    if (p->pid_holder > 0) {
        kill(p->pid_holder, SIGKILL);
        while (waitpid(p->pid_holder, NULL, 0) < 0 && errno == EINTR)
            ;
        p->pid_holder = 0;
    }
    p->sandbox_ready = false;
    p->volumes_ready = false;
}

void node_sweep(struct node_agent *a)
{
    /* containers of a previous agent (still running if it died): killed and deleted */
    DIR *d = opendir(a->runtime_root);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        const char *args[] = {"delete", "--force", e->d_name, NULL};
        runtime_run(a, NULL, args, -1, -1, NULL);
    }
    if (d)
        closedir(d);
    char *pods = xasprintf("%s/pods", a->root);
    d = opendir(pods);
    struct sandbox_net net = net_of(a);
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        struct node_pod tmp = {.dir = xasprintf("%s/%s", pods, e->d_name)};
        char *cdir = xasprintf("%s/containers", tmp.dir);
        DIR *cd = opendir(cdir);
        struct dirent *ce;
        while (cd && (ce = readdir(cd)) != NULL) {
            if (ce->d_name[0] == '.')
                continue;
            char *rootfs = xasprintf("%s/%s/rootfs", cdir, ce->d_name);
            umount2(rootfs, MNT_DETACH);
            free(rootfs);
        }
        if (cd)
            closedir(cd);
        node_remove_tree(cdir);
        free(cdir);
        node_volumes_unmount(&tmp);
        sandbox_destroy(&net, tmp.dir, e->d_name);
        free(tmp.dir);
    }
    if (d)
        closedir(d);
    free(pods);
}

/* ---- images ------------------------------------------------------------------------- */

static bool policy_pulls(json_t *spec, const char *image)
{
    const char *policy = json_str(spec, "imagePullPolicy");
    if (policy == NULL) {
        /* the API's default: Always for :latest or no tag, else IfNotPresent */
        const char *slash = strrchr(image, '/');
        const char *tag = strchr(slash ? slash : image, ':');
        policy = strchr(image, '@') ? "IfNotPresent" : (tag == NULL || strcmp(tag, ":latest") == 0)
                                                           ? "Always" : "IfNotPresent";
    }
    return strcmp(policy, "Never") != 0;
}

static char *image_cache_dir(struct node_agent *a, const char *image, char **ret_ref, char **ret_id,
                             char **ret_err);
static int image_unpack_into(const char *image_dir, const char *ref, const char *dir, char **ret_err);

/* An image pull running on its own thread (pulls can take long; the event loop must not wait).
 * state: 0 running, 1 done, 2 abandoned by its container — whoever comes second frees it. */
struct node_pull {
    char *dir, *image;
    char *cache_dir, *ref;    /* an unpack job (the image's first use): into cache_dir */
    int rc;
    char *err;
    atomic_int state;
};

static void pull_free(struct node_pull *j)
{
    free(j->dir);
    free(j->image);
    free(j->cache_dir);
    free(j->ref);
    free(j->err);
    free(j);
}

static void *pull_thread(void *arg)
{
    struct node_pull *j = arg;
    if (j->cache_dir != NULL)
        j->rc = image_unpack_into(j->dir, j->ref, j->cache_dir, &j->err);
    else
        j->rc = image_pull(j->dir, j->image, &j->err);
    if (atomic_exchange(&j->state, 1) == 2)
        pull_free(j);
    return NULL;
}

void node_container_abandon_pull(struct node_container *c)
{
    struct node_pull *j = c->pull;
    c->pull = NULL;
    if (j && atomic_exchange(&j->state, 2) == 1)
        pull_free(j);
}

/* Runs j (a pull, or an unpack with cache_dir) on a detached thread as c's job: c waits as
 * ContainerCreating and ensure_image takes the result in. false (j freed) if no thread. */
static bool job_start(struct node_agent *a, struct node_container *c, struct node_pull *j)
{
    j->dir = xstrdup(a->image_dir);
    atomic_init(&j->state, 0);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, pull_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pull_free(j);
        return false;
    }
    c->pull = j;
    node_container_set(c, NODE_C_WAITING, "ContainerCreating", NULL);
    return true;
}

/* The image's first use: its unpack into the node's cache runs off the loop (a big image
 * takes seconds). true when c now waits for it. */
static bool unpack_started(struct node_agent *a, struct node_container *c, const char *image)
{
    char *ref = NULL, *err = NULL;
    char *dir = image_cache_dir(a, image, &ref, NULL, &err);
    free(err);
    if (dir == NULL)
        return false; /* image_cache reports it */
    char *cfg = xasprintf("%s/config.json", dir);
    bool cached = access(cfg, F_OK) == 0;
    free(cfg);
    if (cached) {
        free(dir);
        free(ref);
        return false;
    }
    struct node_pull *j = xcalloc(1, sizeof(*j));
    j->image = xstrdup(image);
    j->cache_dir = dir;
    j->ref = ref;
    return job_start(a, c, j);
}

/* Makes sure the image is in the store (kubelet's image manager). Returns 0, or sets the
 * container waiting (ContainerCreating while a pull runs; upstream's reasons when it cannot)
 * and returns AZ_EUNAVAILABLE. Deviation from upstream: an image already in the store is used as it is
 * even under Always (the store is the node's registry mirror; CI and air-gapped nodes cannot
 * reach a registry). */
static int ensure_image(struct node_agent *a, struct node_pod *p, struct node_container *c, const char *image)
{
    struct node_pull *j = c->pull;
    if (j != NULL) {
        if (atomic_load(&j->state) == 0) {
            node_container_set(c, NODE_C_WAITING, "ContainerCreating", NULL);
            return AZ_EUNAVAILABLE;
        }
        c->pull = NULL;
        int rc = j->rc;
        bool unpacked = j->cache_dir != NULL;
        char *msg = rc == 0 ? NULL : xstrdup(j->err ? j->err : "failed to pull image");
        pull_free(j);
        if (unpacked) { /* the image's first unpack, done off the loop */
            if (rc == 0) {
                free(msg);
                return 0;
            }
            node_container_set(c, NODE_C_WAITING, "CreateContainerError", msg);
            free(msg);
            return AZ_EUNAVAILABLE;
        }
        if (rc == 0 && image_present(a->image_dir, image)) {
            c->pull_failures = 0;
            return unpack_started(a, c, image) ? AZ_EUNAVAILABLE : 0;
        }
        c->pull_failures++;
        node_container_set(c, NODE_C_WAITING, "ErrImagePull", msg ? msg : "pulled image is not in the store");
        node_event(p, "Warning", "Failed", "Failed to pull image \"%s\": %s", image, c->message);
        node_event(p, "Warning", "Failed", "Error: ErrImagePull");
        log_info("node agent: pod %s/%s: pulling %s: %s", p->ns, p->name, image, c->message);
        free(msg);
        return AZ_EUNAVAILABLE;
    }
    if (image_present(a->image_dir, image)) {
        c->pull_failures = 0;
        node_event(p, "Normal", "Pulled", "Container image \"%s\" already present on machine", image);
        return unpack_started(a, c, image) ? AZ_EUNAVAILABLE : 0;
    }
    if (!policy_pulls(c->spec, image)) {
        char *msg = xasprintf("Container image \"%s\" is not present with pull policy of Never", image);
        node_container_set(c, NODE_C_WAITING, "ErrImageNeverPull", msg);
        free(msg);
        return AZ_EUNAVAILABLE;
    }
    if (c->pull_failures > 0 && c->reason && strcmp(c->reason, "ErrImagePull") == 0) {
        /* the attempt after a failure is reported as back-off, the one after pulls again */
        char *msg = xasprintf("Back-off pulling image \"%s\"", image);
        node_container_set(c, NODE_C_WAITING, "ImagePullBackOff", msg);
        node_event(p, "Normal", "BackOff", "%s", msg);
        node_event(p, "Warning", "Failed", "Error: ImagePullBackOff");
        free(msg);
        return AZ_EUNAVAILABLE;
    }
    node_event(p, "Normal", "Pulling", "Pulling image \"%s\"", image);
    j = xcalloc(1, sizeof(*j));
    j->image = xstrdup(image);
    if (!job_start(a, c, j))
        node_container_set(c, NODE_C_WAITING, "ErrImagePull", "cannot start the image pull");
    return AZ_EUNAVAILABLE;
}

/* The cache directory of image's unpacked form, a->root/images/<hex>, with *ret_ref (the
 * normalised reference) and *ret_id (status imageID), or NULL with *ret_err. All malloc'd. */
static char *image_cache_dir(struct node_agent *a, const char *image, char **ret_ref, char **ret_id,
                             char **ret_err)
{
    char *ref = image_normalize(image);
    struct image_entry *e = NULL;
    size_t n = 0;
    char *digest = NULL;
    if (ref && image_list(a->image_dir, &e, &n, ret_err) == 0) {
        for (size_t i = 0; i < n && !digest; i++)
            if (strcmp(e[i].ref, ref) == 0 && e[i].digest)
                digest = xstrdup(e[i].digest);
        image_entries_free(e, n);
    }
    if (digest == NULL) {
        if (*ret_err == NULL)
            *ret_err = xasprintf("image \"%s\" not found in the node's image store", image);
        free(ref);
        return NULL;
    }
    /* containerd's imageID: the repository (no tag) @ the manifest digest */
    const char *at = strchr(ref, '@');
    const char *colon = strrchr(ref, ':'), *slash = strrchr(ref, '/');
    size_t repo_len = at ? (size_t)(at - ref) : (colon && (!slash || colon > slash)) ? (size_t)(colon - ref)
                                                                                     : strlen(ref);
    if (ret_id)
        *ret_id = xasprintf("%.*s@%s", (int)repo_len, ref, digest);
    const char *hex = strchr(digest, ':') ? strchr(digest, ':') + 1 : digest;
    char *dir = xasprintf("%s/images/%s", a->root, hex);
    free(digest);
    *ret_ref = ref;
    return dir;
}

/* Unpacks ref from the store image_dir into the cache dir (rootfs/ and config.json, made in
 * a private temporary dir and renamed into place: concurrent unpacks of one image are safe, the
 * first rename wins). Safe off the event loop. 0, or AZ_EIO with *ret_err. */
static int image_unpack_into(const char *image_dir, const char *ref, const char *dir, char **ret_err)
{
    static atomic_uint seq;
    char *tmp = xasprintf("%s.tmp.%d.%u", dir, (int)getpid(), atomic_fetch_add(&seq, 1));
    char *rootfs = xasprintf("%s/rootfs", tmp), *cfgpath = xasprintf("%s/config.json", dir);
    node_remove_tree(tmp);
    node_mkdir_p(tmp, 0700);
    json_t *icfg = NULL;
    int rc = AZ_EIO;
    if (image_unpack(image_dir, ref, rootfs, &icfg, ret_err) == 0) {
        char *tcfg = xasprintf("%s/config.json", tmp);
        if (json_dump_file(icfg ? icfg : json_object(), tcfg, JSON_COMPACT) == 0 &&
            (rename(tmp, dir) == 0 || access(cfgpath, F_OK) == 0))
            rc = 0;
        else if (*ret_err == NULL)
            *ret_err = xasprintf("caching image %s: %s", ref, strerror(errno));
        free(tcfg);
    }
    json_decref(icfg);
    node_remove_tree(tmp); /* gone already after the rename, or a loser's copy */
    free(rootfs);
    free(cfgpath);
    free(tmp);
    return rc;
}

/* The unpacked image (lower layer) for image: a->root/images/<hex>/{rootfs,config.json}
 * (unpacked here when missing: normally ensure_image has done it off the loop). Returns its
 * dir (malloc'd) and *ret_config, or NULL with *ret_err. */
static char *image_cache(struct node_agent *a, const char *image, json_t **ret_config, char **ret_id,
                         char **ret_err)
{
    char *ref = NULL;
    char *dir = image_cache_dir(a, image, &ref, ret_id, ret_err);
    if (dir == NULL)
        return NULL;
    char *cfgpath = xasprintf("%s/config.json", dir);
    json_t *cfg = json_load_file(cfgpath, 0, NULL);
    if (cfg == NULL && image_unpack_into(a->image_dir, ref, dir, ret_err) == 0)
        cfg = json_load_file(cfgpath, 0, NULL);
    free(cfgpath);
    free(ref);
    if (cfg == NULL) {
        free(*ret_id);
        *ret_id = NULL;
        free(dir);
        return NULL;
    }
    *ret_config = cfg;
    return dir;
}

/* ---- container start ---------------------------------------------------------------- */

/* A volumeMount's subPathExpr expanded with the container's environment envp (kubelet's
 * ExpandContainerVolumeMounts: $(VAR) references, $$ for $), or NULL with *ret_err naming the
 * variables that are unset or empty ("missing value for A, B"). malloc'd. */
static char *expand_subpath_expr(const char *expr, char *const *envp, char **ret_err)
{
    json_t *env = json_object();
    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        char *k = xstrndup(*e, (size_t)(eq - *e));
        json_object_set_new(env, k, json_string(eq + 1));
        free(k);
    }
    json_t *missing = json_object(); /* a set, listed sorted below */
    for (const char *s = expr; *s; s++) {
        if (s[0] == '$' && s[1] == '$') {
            s++;
            continue;
        }
        const char *end = s[0] == '$' && s[1] == '(' ? strchr(s + 2, ')') : NULL;
        if (end == NULL)
            continue;
        char *name = xstrndup(s + 2, (size_t)(end - s - 2));
        const char *v = json_string_value(json_object_get(env, name));
        if (v == NULL || *v == '\0')
            json_object_set_new(missing, name, json_true());
        free(name);
        s = end;
    }
    char *out = NULL;
    if (json_object_size(missing) == 0) {
        out = ocispec_expand(expr, env);
    } else {
        struct buf b;
        buf_init(&b, 1 << 16);
        buf_puts(&b, "missing value for ");
        const char *k;
        json_t *v;
        size_t n = json_object_size(missing), i = 0;
        const char **keys = xcalloc(n, sizeof(*keys));
        json_object_foreach(missing, k, v)
            keys[i++] = k;
        qsort(keys, n, sizeof(*keys), strp_cmp);
        for (i = 0; i < n; i++) {
            if (i > 0)
                buf_puts(&b, ", ");
            buf_puts(&b, keys[i]);
        }
        free(keys);
        *ret_err = buf_detach(&b, NULL);
    }
    json_decref(missing);
    json_decref(env);
    return out;
}

/* Volumes + etc files as bind mounts. Returns the count, or AZ_EINVALID with a waiting reason
 * set. */
static ssize_t container_mounts(struct node_agent *a, struct node_pod *p, struct node_container *c,
                                char *const *envp, struct oci_mount *m, char **owned)
{
    size_t nm = 0, i;
    json_t *v;
    json_t *vms = json_object_get(c->spec, "volumeMounts");
    json_array_foreach(vms, i, v) {
        if (nm >= MAX_MOUNTS)
            break;
        const char *vname = json_str(v, "name"), *mp = json_str(v, "mountPath");
        char *src = vname ? node_volume_source(a, p, vname) : NULL;
        if (src == NULL || mp == NULL || mp[0] != '/') {
            char *msg = xasprintf("cannot mount volume \"%s\": unknown volume or bad mountPath",
                                  vname ? vname : "");
            node_container_set(c, NODE_C_WAITING, "CreateContainerConfigError", msg);
            free(msg);
            free(src);
            return AZ_EINVALID;
        }
        const char *sub = json_str(v, "subPath");
        char *expanded = NULL;
        const char *expr = json_str(v, "subPathExpr");
        if (expr && *expr) {
            char *err = NULL;
            if ((expanded = expand_subpath_expr(expr, envp, &err)) == NULL) {
                node_container_set(c, NODE_C_WAITING, "CreateContainerConfigError", err);
                free(err);
                free(src);
                return AZ_EINVALID;
            }
            sub = expanded;
        }
        if (sub && *sub) {
            /* bound from an fd opened beneath the volume (the pod owns its volumes' content:
             * a symlink it made must lead neither the agent nor the runtime out of them) */
            char *err = NULL;
            char *bound = node_subpath_bind(p, src, sub, vname, c->name, i, &err);
            free(src);
            src = bound;
            if (src == NULL) {
                char *msg = xasprintf("failed to prepare subPath for volumeMount \"%s\" of container \"%s\"",
                                      vname, c->name);
                node_container_set(c, NODE_C_WAITING, "CreateContainerConfigError", msg);
                free(msg);
                free(err);
                free(expanded);
                return AZ_EINVALID;
            }
            free(err);
        }
        free(expanded);
        owned[nm] = src;
        m[nm].source = src;
        m[nm].destination = mp;
        m[nm].readonly = json_is_true(json_object_get(v, "readOnly")) || node_volume_read_only(p, vname);
        nm++;
    }
    if (!pod_host_network(p)) {
        static const char *const files[][2] = {{"hosts", "/etc/hosts"}, {"hostname", "/etc/hostname"},
                                               {"resolv.conf", "/etc/resolv.conf"}};
        bool ro = json_is_true(json_path(c->spec, "securityContext.readOnlyRootFilesystem"));
        for (size_t k = 0; k < 3; k++) {
            bool taken = false;
            for (size_t j = 0; j < nm; j++)
                if (strcmp(m[j].destination, files[k][1]) == 0)
                    taken = true;
            if (taken)
                continue;
            owned[nm] = xasprintf("%s/etc/%s", p->dir, files[k][0]);
            m[nm].source = owned[nm];
            m[nm].destination = files[k][1];
            m[nm].readonly = ro;
            nm++;
        }
    }
    return (ssize_t)nm;
}

static void start_failed(struct node_container *c, const char *reason, const char *msg, bool terminated)
{
    node_container_set(c, terminated ? NODE_C_TERMINATED : NODE_C_WAITING, reason, msg);
    if (terminated) {
        c->exit_code = 128;
        time_rfc3339(clock_wall_s(), c->started_at);
        memcpy(c->finished_at, c->started_at, sizeof(c->finished_at));
    }
}

/* `runc run --detach` on its own thread (it takes ~100 ms; the event loop must not wait).
 * Polled by node_container_start_poll(), joined there. */
struct node_start {
    pthread_t thread;
    atomic_int done;
    char *runtime, *runtime_root, *bundle, *cid, *pidfile, *runclog;
    char *logpath;            /* the container's log file (rotated) */
    int logfd;                /* the container's stdout (its log pipe) */
    int errfd;                /* ... its stderr, or -1: stdout's */
    int stdin_fd;             /* stdin: the read end of its stdin pipe, else -1 */
    char *console;            /* tty: the console socket runc hands the terminal over, or NULL */
    int console_lfd;          /* ... listening */
    int master;               /* ... the terminal's master received, or -1 */
    time_t started;
    int status;               /* the runtime's exit status */
    char *err;                /* its error message */
    pid_t pid;                /* the container's init, > 0 on success */
    struct st_h2o_evloop_t *loop; /* the node agent's loop, for the terminal's log reader */
};

static void start_free(struct node_start *j)
{
    if (j->logfd >= 0)
        close(j->logfd);
    if (j->errfd >= 0)
        close(j->errfd);
    if (j->stdin_fd >= 0)
        close(j->stdin_fd);
    if (j->console_lfd >= 0)
        close(j->console_lfd);
    if (j->master >= 0)
        close(j->master);
    if (j->console != NULL)
        unlink(j->console);
    free(j->console);
    free(j->runtime);
    free(j->runtime_root);
    free(j->bundle);
    free(j->cid);
    free(j->pidfile);
    free(j->runclog);
    free(j->logpath);
    free(j->err);
    free(j);
}

static void *start_thread(void *arg)
{
    struct node_start *j = arg;
    struct node_agent view = {.runtime = j->runtime, .runtime_root = j->runtime_root};
    const char *args[] = {"run", "--detach", "--bundle", j->bundle, "--pid-file", j->pidfile,
                          j->console ? "--console-socket" : j->cid, j->console ? j->console : NULL,
                          j->console ? j->cid : NULL, NULL};
    j->status = runtime_run_in(&view, j->runclog, args, j->stdin_fd, j->logfd, j->errfd, &j->err);
    if (j->status == 0 && j->console != NULL && (j->master = recv_console(j->console_lfd)) < 0) {
        j->status = 1;
        j->err = xstrdup("no terminal from the runtime");
    }
    if (j->status == 0) {
        FILE *f = fopen(j->pidfile, "re");
        int v = 0;
        if (f && fscanf(f, "%d", &v) == 1)
            j->pid = v;
        if (f)
            fclose(f);
    }
    /* on failure the runtime's own complaint went to the log pipe too: the loop discards it
     * (node_container_start_poll) */
    atomic_store(&j->done, 1);
    return NULL;
}

/* SIGKILL to the pids listed in dir/cgroup.procs. */
static void kill_cgroup_procs(const char *dir)
{
    char *path = xasprintf("%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    free(path);
    int pid;
    while (f && fscanf(f, "%d", &pid) == 1)
        if (pid > 1)
            kill(pid, SIGKILL);
    if (f)
        fclose(f);
}

void node_container_start_abort(struct node_pod *p, struct node_container *c)
{
    if (c->starting == NULL || atomic_load(&c->starting->done) != 0 || c->cid == NULL)
        return;
    /* the cgroup runc puts the container's init in (ocispec cgroupsPath), in every hierarchy */
    char *rel = xasprintf("anzen/pod%s/%s", p->uid, c->cid);
    each_cgroup_dir(rel, kill_cgroup_procs);
    free(rel);
}

void node_container_start_kill(struct node_pod *p, struct node_container *c)
{
    /* an abort before runc's init joined the cgroup kills nothing: again until the start ends */
    while (c->starting != NULL && atomic_load(&c->starting->done) == 0) {
        node_container_start_abort(p, c);
        if (atomic_load(&c->starting->done) == 0)
            usleep(20 * 1000);
    }
    node_container_start_poll(c, true);
}

bool node_container_start_poll(struct node_container *c, bool wait)
{
    struct node_start *j = c->starting;
    if (j == NULL)
        return true;
    if (!wait && atomic_load(&j->done) == 0)
        return false;
    pthread_join(j->thread, NULL);
    c->starting = NULL;
    time_rfc3339(j->started, c->started_at);
    if (j->status != 0 || j->pid <= 0) {
        /* containerd runs `runc create`: its words, without `runc run`'s own prefix */
        const char *why = j->err ? j->err : "no pid";
        if (strncmp(why, "runc run failed: ", 17) == 0)
            why += 17;
        char *m = xasprintf("failed to create containerd task: failed to create shim task: OCI runtime "
                            "create failed: runc create failed: %s: unknown", why);
        node_container_set(c, NODE_C_TERMINATED, "StartError", m);
        free(m);
        c->exit_code = 128;
        memcpy(c->finished_at, c->started_at, sizeof(c->finished_at));
    } else {
        c->pid = j->pid;
        node_container_set(c, NODE_C_RUNNING, NULL, NULL);
        if (j->master >= 0) {
            /* a terminal: its master is the container's output (and input) from now on; the
             * log pipe had only the runtime's own output */
            int filefd = -1, dupfd = fcntl(j->master, F_DUPFD_CLOEXEC, 0);
            if (c->log != NULL && dupfd >= 0)
                filefd = node_log_pipe_dup_file(c->log);
            if (filefd >= 0) {
                node_log_pipe_close(c->log, false);
                c->log = node_log_pipe_open_fd(j->loop, filefd, dupfd);
                node_log_pipe_rotate(c->log, j->logpath);
                dupfd = -1;
            }
            if (dupfd >= 0)
                close(dupfd);
            c->tty_fd = j->master;
            c->tty_open = true;
            j->master = -1;
        }
    }
    bool failed = c->pid <= 0;
    start_free(j); /* closes our copy of the log pipe's write end */
    if (failed) { /* keep the log clean of the runtime's complaint */
        node_log_pipe_close(c->log, true);
        c->log = NULL;
    }
    return true;
}

void node_container_start(struct node_agent *a, struct node_pod *p, struct node_container *c)
{
    const char *image = json_str(c->spec, "image");
    char **envp = NULL, *imgdir = NULL, *bundle = NULL, *logpath = NULL, *err = NULL;
    char *owned[MAX_MOUNTS + 3] = {0};
    struct oci_mount mounts[MAX_MOUNTS + 3];
    json_t *imgcfg = NULL, *spec = NULL;
    int logfd = -1;
    ssize_t nm = 0;
    if (image == NULL || *image == '\0') {
        start_failed(c, "InvalidImageName", "Failed to apply default image tag \"\": couldn't parse "
                     "image name \"\": invalid reference format", false);
        goto out;
    }
    if (ensure_image(a, p, c, image) != 0)
        goto out;
    char *image_id = NULL;
    if ((imgdir = image_cache(a, image, &imgcfg, &image_id, &err)) == NULL) {
        start_failed(c, "CreateContainerError", err ? err : "image unpack failed", false);
        goto out;
    }
    free(c->image_id);
    c->image_id = image_id;
    /* a fresh container per run, as kubelet creates one per restart */
    node_container_cleanup(a, c);
    char cid[128];
    snprintf(cid, sizeof(cid), "%.36s-%s-%d", p->uid, c->name, c->restart_count);
    bundle = xasprintf("%s/containers/%s", p->dir, c->name);
    char *rootfs = xasprintf("%s/rootfs", bundle), *upper = xasprintf("%s/upper", bundle),
         *work = xasprintf("%s/work", bundle), *lower = xasprintf("%s/rootfs", imgdir);
    /* leftovers of an agent that died without cleaning up: its runtime state, its mount */
    char *state = xasprintf("%s/%s", a->runtime_root, cid);
    if (access(state, F_OK) == 0) {
        const char *del[] = {"delete", "--force", cid, NULL};
        runtime_run(a, NULL, del, -1, -1, NULL);
    }
    free(state);
    umount2(rootfs, MNT_DETACH);
    node_remove_tree(bundle);
    int mrc = node_mkdir_p(rootfs, 0755);
    if (mrc == 0)
        mrc = node_mkdir_p(upper, 0755);
    if (mrc == 0)
        mrc = node_mkdir_p(work, 0700);
    char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    if (mrc != 0 || mount("overlay", rootfs, "overlay", MS_NODEV, opts) != 0) {
        char *msg = xasprintf("failed to create containerd container: mounting the root filesystem: %s",
                              strerror(mrc ? -mrc : errno));
        start_failed(c, "CreateContainerError", msg, false);
        free(msg);
        node_remove_tree(bundle);
        free(opts);
        free(rootfs);
        free(upper);
        free(work);
        free(lower);
        goto out;
    }
    free(opts);
    free(upper);
    free(work);
    free(lower);
    c->bundle = bundle;
    bundle = NULL;
    envp = node_container_env(a, p, c->spec);
    if ((nm = container_mounts(a, p, c, envp, mounts, owned)) < 0) {
        free(rootfs);
        goto out;
    }
    char *cgroup = xasprintf("/anzen/pod%s/%s", p->uid, cid);
    char *netns = sandbox_ns_path(p->dir, "net"), *ipcns = sandbox_ns_path(p->dir, "ipc"),
         *utsns = sandbox_ns_path(p->dir, "uts"), *secdir = xasprintf("%s/seccomp", a->root),
         *pidns = p->pid_holder > 0 ? xasprintf("/proc/%d/ns/pid", (int)p->pid_holder) : NULL;
    /* an ephemeral container with targetContainerName joins that container's PID namespace
     * (kubectl debug --target), as kubelet asks the runtime to */
    const char *target = c->ephemeral ? json_str(c->spec, "targetContainerName") : NULL;
    for (size_t i = 0; target && *target && i < p->nc; i++)
        if (!p->c[i].ephemeral && strcmp(p->c[i].name, target) == 0 && p->c[i].pid > 0) {
            free(pidns);
            pidns = xasprintf("/proc/%d/ns/pid", (int)p->c[i].pid);
        }
    struct ocispec_input in = {.pod = p->pod, .container = c->spec, .image_config = imgcfg,
                               .env = envp, .rootfs = rootfs, .mounts = mounts, .nmounts = (size_t)nm,
                               .netns = netns, .ipcns = ipcns, .utsns = utsns, .pidns = pidns,
                               .cgroups_path = cgroup,
                               .seccomp_dir = secdir};
    if (json_is_true(json_path(c->spec, "securityContext.privileged")))
        in.host_devices = ocispec_host_devices("/dev");
    const char *reason = NULL;
    char *msg = NULL;
    int brc = ocispec_build(&in, &spec, &reason, &msg);
    json_decref(in.host_devices);
    free(cgroup);
    free(netns);
    free(ipcns);
    free(utsns);
    free(pidns);
    free(secdir);
    free(rootfs);
    if (brc != 0) {
        start_failed(c, reason, msg, false);
        free(msg);
        goto out;
    }
    char *cfgpath = xasprintf("%s/config.json", c->bundle);
    int drc = json_dump_file(spec, cfgpath, JSON_COMPACT);
    free(cfgpath);
    if (drc != 0) {
        start_failed(c, "CreateContainerError", "failed to create containerd container: writing config.json", false);
        goto out;
    }
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
    logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (logfd < 0) {
        char *m = xasprintf("cannot open %s: %s", logpath, strerror(errno));
        start_failed(c, "RunContainerError", m, false);
        free(m);
        goto out;
    }
    /* stdin: true keeps the container's stdin open for attach (the agent holds the write end
     * of a pipe); tty: true gets a terminal from the runtime through a console socket */
    node_container_close_stdio(c);
    c->attached = false;
    bool tty = json_is_true(json_object_get(c->spec, "tty"));
    int stdin_rd = -1, lfd = -1;
    char *console = NULL;
    if (tty) {
        static unsigned seq;
        node_mkdir_p("/run/anzen", 0700);
        console = xasprintf("/run/anzen/console-%d-r%u.sock", (int)getpid(), ++seq);
        if ((lfd = console_listen(console)) < 0) {
            start_failed(c, "RunContainerError", "cannot create the console socket", false);
            free(console);
            goto out;
        }
    } else if (json_is_true(json_object_get(c->spec, "stdin"))) {
        int sp[2];
        if (pipe2(sp, O_CLOEXEC) != 0) {
            start_failed(c, "RunContainerError", "cannot create the stdin pipe", false);
            goto out;
        }
        stdin_rd = sp[0];
        c->stdin_fd = sp[1];
        c->stdin_open = true;
    }
    /* the output goes through a pipe the loop reads, one CRI record per line (logs.h); without
     * the loop (not expected) straight into the file, as plain bytes */
    node_log_pipe_close(c->log, false);
    int wfd = -1, efd = -1;
    int filefd = fcntl(logfd, F_DUPFD_CLOEXEC, 0);
    c->log = filefd >= 0 ? node_log_pipe_open(a->loop, filefd, &wfd, &efd) : NULL;
    node_log_pipe_rotate(c->log, logpath);
    if (c->log != NULL) {
        close(logfd);
        logfd = wfd;
    }
    struct node_start *j = xcalloc(1, sizeof(*j));
    j->runtime = xstrdup(a->runtime);
    j->runtime_root = xstrdup(a->runtime_root);
    j->bundle = xstrdup(c->bundle);
    j->cid = xstrdup(cid);
    j->pidfile = xasprintf("%s/pid", c->bundle);
    j->runclog = xasprintf("%s/runc.log", c->bundle);
    j->logpath = xstrdup(logpath);
    j->logfd = logfd;
    j->errfd = efd;
    efd = -1;
    j->stdin_fd = stdin_rd;
    j->console = console;
    j->console_lfd = lfd;
    j->master = -1;
    j->loop = a->loop;
    j->started = clock_wall_s();
    atomic_init(&j->done, 0);
    free(c->cid);
    c->cid = xstrdup(cid);
    if (pthread_create(&j->thread, NULL, start_thread, j) != 0) {
        j->logfd = -1; /* closed below; start_free closes errfd */
        start_free(j);
        node_container_set(c, NODE_C_WAITING, "RunContainerError", "cannot start the container runtime");
        goto out;
    }
    logfd = -1; /* the job's now */
    c->starting = j;
    node_container_set(c, NODE_C_WAITING, "ContainerCreating", NULL);
out:
    if (logfd >= 0)
        close(logfd);
    for (size_t i = 0; i < MAX_MOUNTS + 3; i++)
        free(owned[i]);
    free(logpath);
    free(err);
    free(bundle);
    free(imgdir);
    json_decref(imgcfg);
    json_decref(spec);
    node_strv_free(envp);
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

/* The container of a pod running here (the first app container when container is NULL or
 * empty), or NULL with *ret_err (upstream's words). */
static struct node_container *find_container(const char *ns, const char *pod, const char *container,
                                             char **ret_err)
{
    struct node_pod *p = find_pod(ns, pod);
    if (p == NULL) {
        *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
        return NULL;
    }
    for (size_t i = 0; i < p->nc; i++) {
        if (container == NULL || *container == '\0') {
            if (!p->c[i].init)
                return &p->c[i];
        } else if (strcmp(p->c[i].name, container) == 0) {
            return &p->c[i];
        }
    }
    *ret_err = xasprintf("container %s is not valid for pod %s", container ? container : "", pod);
    return NULL;
}

/* `runc exec --tty --detach`: the runtime hands the pty master over its console socket and
 * leaves; the process is reparented to the agent (a child subreaper), which reaps it. */
static int exec_tty(struct node_agent *a, struct node_container *c, char *const argv[], size_t argc,
                    bool want_stdin, int *ret_stdin, int *ret_stdout, int *ret_stderr, pid_t *ret_pid,
                    char **ret_err)
{
    static unsigned seq;
    /* a short path: sun_path holds 108 bytes, bundle paths can be longer */
    node_mkdir_p("/run/anzen", 0700);
    char *sock = xasprintf("/run/anzen/console-%d-%u.sock", (int)getpid(), ++seq);
    char *pidfile = xasprintf("%s/exec-%u.pid", c->bundle, seq);
    int lfd = console_listen(sock), master = -1, rc = AZ_EINTERNAL;
    int efd[2] = {-1, -1};
    if (lfd < 0) {
        *ret_err = xasprintf("failed to exec in container: console socket: %s", strerror(errno));
        goto out;
    }
    const char **args = xcalloc(argc + 12, sizeof(char *));
    size_t n = 0;
    args[n++] = "exec";
    args[n++] = "--tty";
    args[n++] = "--detach";
    args[n++] = "--console-socket";
    args[n++] = sock;
    args[n++] = "--pid-file";
    args[n++] = pidfile;
    args[n++] = c->cid;
    for (size_t i = 0; i < argc; i++)
        args[n++] = argv[i];
    char *err = NULL;
    int st = runtime_run(a, NULL, args, -1, -1, &err);
    free(args);
    if (st != 0) {
        *ret_err = xasprintf("failed to exec in container: %s", err ? err : "runtime failed");
        free(err);
        goto out;
    }
    free(err);
    master = recv_console(lfd);
    FILE *f = fopen(pidfile, "re");
    int pid = 0;
    if (f && fscanf(f, "%d", &pid) != 1)
        pid = 0;
    if (f)
        fclose(f);
    if (master < 0 || pid <= 0 || pipe2(efd, O_CLOEXEC) != 0) {
        *ret_err = xstrdup("failed to exec in container: no terminal from the runtime");
        if (pid > 0)
            kill(pid, SIGKILL);
        goto out;
    }
    close(efd[1]); /* stderr: a terminal has none */
    *ret_stderr = efd[0];
    *ret_stdin = want_stdin ? fcntl(master, F_DUPFD_CLOEXEC, 0) : -1;
    *ret_stdout = master;
    *ret_pid = pid;
    master = -1;
    rc = 0;
out:
    if (master >= 0)
        close(master);
    if (lfd >= 0)
        close(lfd);
    unlink(sock);
    unlink(pidfile);
    free(sock);
    free(pidfile);
    return rc;
}

int node_exec(const char *ns, const char *pod, const char *container, char *const argv[],
              bool want_stdin, bool tty, int *ret_stdin, int *ret_stdout, int *ret_stderr,
              pid_t *ret_pid, char **ret_err)
{
    struct node_agent *a = node__agent;
    struct node_container *c = find_container(ns, pod, container, ret_err);
    if (c == NULL)
        return AZ_EBADREQUEST;
    if (c->state != NODE_C_RUNNING || c->pid <= 0 || c->cid == NULL) {
        *ret_err = xasprintf("unable to upgrade connection: container not found (\"%s\")", c->name);
        return AZ_EBADREQUEST;
    }
    if (argv == NULL || argv[0] == NULL) {
        *ret_err = xstrdup("you must specify at least one command for the container");
        return AZ_EBADREQUEST;
    }
    size_t argc = 0;
    while (argv[argc] && argc < MAX_ARGS)
        argc++;
    if (tty)
        return exec_tty(a, c, argv, argc, want_stdin, ret_stdin, ret_stdout, ret_stderr, ret_pid, ret_err);
    const char **rargv = xcalloc(argc + 8, sizeof(char *));
    size_t n = 0;
    rargv[n++] = a->runtime;
    rargv[n++] = "--root";
    rargv[n++] = a->runtime_root;
    rargv[n++] = "exec";
    rargv[n++] = c->cid;
    for (size_t i = 0; i < argc; i++)
        rargv[n++] = argv[i];
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
    int rc = AZ_EINTERNAL;
    if ((want_stdin && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 ||
        pipe2(err, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
        *ret_err = xasprintf("pipe: %s", strerror(errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid == 0) {
        spawn_child_reset_signals();
        setsid();
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
        close_range(3, (unsigned)rep[1] - 1, 0);
        close_range((unsigned)rep[1] + 1, ~0U, 0);
        execvp(rargv[0], (char *const *)rargv);
        int e = errno;
        ssize_t w = write(rep[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    close(rep[1]);
    rep[1] = -1;
    if (pid < 0) {
        *ret_err = xasprintf("fork: %s", strerror(errno));
        goto fail;
    }
    int e = 0;
    ssize_t got;
    do
        got = read(rep[0], &e, sizeof(e));
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof(e)) {
        waitpid(pid, NULL, 0);
        *ret_err = xasprintf("failed to exec in container: %s: %s", a->runtime, strerror(e));
        goto fail;
    }
    close(rep[0]);
    if (want_stdin)
        close(in[0]);
    close(out[1]);
    close(err[1]);
    free(rargv);
    *ret_stdin = want_stdin ? in[1] : -1;
    *ret_stdout = out[0];
    *ret_stderr = err[0];
    *ret_pid = pid; /* the caller reaps it */
    return 0;
fail:
    free(rargv);
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
    return rc;
}

/* ---- attach ------------------------------------------------------------------------ */

int node_attach(const char *ns, const char *pod, const char *container, bool want_stdin,
                node_log_tap_fn fn, void *arg, struct node_attach *ret, char **ret_err)
{
    memset(ret, 0, sizeof(*ret));
    ret->stdin_fd = ret->tty_fd = -1;
    struct node_container *c = find_container(ns, pod, container, ret_err);
    if (c == NULL)
        return AZ_EBADREQUEST;
    /* kubectl run -i: the first attach to a stdinOnce container also gets what it wrote before
     * (the client attaches only once it saw the pod Running; a short command is done by then) */
    bool replay = !c->attached && json_is_true(json_object_get(c->spec, "stdinOnce")) &&
                  (c->stdin_open || c->tty_open || c->state == NODE_C_TERMINATED);
    bool running = c->state == NODE_C_RUNNING && c->pid > 0 && c->log != NULL;
    if (!running && !(replay && c->state == NODE_C_TERMINATED && c->cid != NULL)) {
        *ret_err = xasprintf("unable to upgrade connection: container not found (\"%s\")", c->name);
        return AZ_EBADREQUEST;
    }
    if (replay) {
        struct node_log_opts lo = {.container = c->name, .tail_lines = -1};
        char *log = NULL, *err = NULL;
        size_t len = 0;
        if (node_pod_log(ns, pod, &lo, &log, &len, NULL, &err) != 0)
            len = 0;
        free(err);
        size_t plen = 0;
        const char *pending = running ? node_log_pipe_pending(c->log, &plen) : "";
        ret->replay = xmalloc(len + plen + 1);
        if (len > 0)
            memcpy(ret->replay, log, len);
        memcpy(ret->replay + len, pending, plen);
        ret->replay_len = len + plen;
        free(log);
    }
    c->attached = true;
    if (!running || !node_log_pipe_tap(c->log, fn, arg)) {
        ret->ended = true;
        return 0;
    }
    ret->log = c->log;
    ret->tty = c->tty_open;
    if (c->tty_open) {
        ret->tty_fd = fcntl(c->tty_fd, F_DUPFD_CLOEXEC, 0);
        if (want_stdin)
            ret->stdin_fd = fcntl(c->tty_fd, F_DUPFD_CLOEXEC, 0);
    } else if (want_stdin && c->stdin_open) {
        ret->stdin_fd = fcntl(c->stdin_fd, F_DUPFD_CLOEXEC, 0);
    }
    snprintf(ret->cid, sizeof(ret->cid), "%s", c->cid ? c->cid : "");
    return 0;
}

void node_attach_stdin_closed(const char *cid)
{
    if (node__agent == NULL || cid == NULL || *cid == '\0')
        return;
    for (struct node_pod *p = node__agent->pods; p; p = p->next) {
        for (size_t i = 0; i < p->nc; i++) {
            struct node_container *c = &p->c[i];
            if (c->cid == NULL || strcmp(c->cid, cid) != 0)
                continue;
            /* stdinOnce: the container's stdin ends with the first attach session's */
            if (c->stdin_open && json_is_true(json_object_get(c->spec, "stdinOnce"))) {
                close(c->stdin_fd);
                c->stdin_open = false;
                c->stdin_fd = -1;
            }
            return;
        }
    }
}

/* ---- port-forward ------------------------------------------------------------------- */

int node_pod_netns(const char *ns, const char *pod, char **ret_netns, char **ret_sandbox_id, char **ret_err)
{
    *ret_netns = *ret_sandbox_id = NULL;
    struct node_pod *p = find_pod(ns, pod);
    if (p == NULL || p->finished) {
        *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
        return AZ_EBADREQUEST;
    }
    if (!pod_host_network(p)) {
        if (!p->sandbox_ready) {
            *ret_err = xasprintf("unable to upgrade connection: pod %s/%s has no network namespace yet", ns, pod);
            return AZ_EBADREQUEST;
        }
        *ret_netns = sandbox_ns_path(p->dir, "net");
    }
    *ret_sandbox_id = xstrdup(p->uid);
    return 0;
}
