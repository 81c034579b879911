/* sandbox.c — pod sandboxes: namespace files and CNI (see sandbox.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "node/node_int.h"
#include "node/sandbox.h"
#include "node/spawn.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

static const char *const ns_types[] = {"net", "ipc", "uts"};

char *sandbox_ns_path(const char *dir, const char *type)
{
    char *p = xasprintf("%s/ns/%s", dir, type);
    struct stat st;
    if (stat(p, &st) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

int cni_gateway(const char *subnet, char out[16])
{
    char addr[32];
    const char *slash = strchr(subnet, '/');
    if (slash == NULL || (size_t)(slash - subnet) >= sizeof(addr))
        return AZ_EINVALID;
    memcpy(addr, subnet, (size_t)(slash - subnet));
    addr[slash - subnet] = '\0';
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    struct in_addr a;
    if (*end != '\0' || bits < 8 || bits > 30 || inet_pton(AF_INET, addr, &a) != 1)
        return AZ_EINVALID;
    uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    uint32_t net = ntohl(a.s_addr) & mask;
    a.s_addr = htonl(net + 1);
    return inet_ntop(AF_INET, &a, out, 16) ? 0 : AZ_EINVALID;
}

bool cni_plugins_present(const char *cni_dir, char **ret_missing)
{
    static const char *const need[] = {"bridge", "host-local", "loopback"};
    for (size_t i = 0; i < 3; i++) {
        char *p = xasprintf("%s/%s", cni_dir, need[i]);
        bool ok = access(p, X_OK) == 0;
        free(p);
        if (!ok) {
            if (ret_missing)
                *ret_missing = xasprintf("%s/%s", cni_dir, need[i]);
            return false;
        }
    }
    return true;
}

int cni_parse_result(const char *json, size_t len, char **ret_ip)
{
    json_error_t jerr;
    json_t *r = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *addr = json_str(json_array_get(json_object_get(r, "ips"), 0), "address");
    int rc = AZ_EINVALID;
    if (addr != NULL) {
        const char *slash = strchr(addr, '/');
        size_t n = slash ? (size_t)(slash - addr) : strlen(addr);
        char ip[64];
        struct in_addr a;
        if (n > 0 && n < sizeof(ip)) {
            memcpy(ip, addr, n);
            ip[n] = '\0';
            if (inet_pton(AF_INET, ip, &a) == 1) {
                *ret_ip = xstrdup(ip);
                rc = 0;
            }
        }
    }
    json_decref(r);
    return rc;
}

/* Runs one CNI plugin. Returns 0 (*ret_out: its stdout) or a negative code, *ret_err. */
static int cni_exec(const struct sandbox_net *net, const char *cmd, json_t *conf, const char *id,
                    const char *netns, const char *ifname, char **ret_out, char **ret_err)
{
    char *plugin = xasprintf("%s/%s", net->cni_dir, json_str(conf, "type"));
    char *argv[] = {plugin, NULL};
    char *env[] = {xasprintf("CNI_COMMAND=%s", cmd), xasprintf("CNI_CONTAINERID=%s", id),
                   xasprintf("CNI_NETNS=%s", netns), xasprintf("CNI_IFNAME=%s", ifname),
                   xasprintf("CNI_PATH=%s", net->cni_dir),
                   xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), NULL};
    char *in = json_dumps(conf, JSON_COMPACT);
    struct spawn_opts o = {.argv = argv, .envp = env, .input = in, .input_len = strlen(in),
                           .stdout_fd = -1, .stderr_fd = -1};
    char *out = NULL;
    int st = spawn_wait(&o, &out);
    int rc = 0;
    if (st != 0) {
        json_t *e = out ? json_loads(out, 0, NULL) : NULL;
        if (st < 0)
            *ret_err = xasprintf("plugin type=\"%s\" failed (%s): %s", json_str(conf, "type"), cmd,
                                 strerror(-st));
        else
            *ret_err = xasprintf("plugin type=\"%s\" failed (%s): %s%s%s", json_str(conf, "type"), cmd,
                                 json_str(e, "msg") ? json_str(e, "msg") : "exit status",
                                 json_str(e, "details") ? ": " : "",
                                 json_str(e, "details") ? json_str(e, "details") : "");
        json_decref(e);
        free(out);
        out = NULL;
        rc = AZ_EINTERNAL;
    }
    if (ret_out)
        *ret_out = out;
    else
        free(out);
    free(in);
    free(plugin);
    for (char **e = env; *e; e++)
        free(*e);
    return rc;
}

static json_t *loopback_conf(void)
{
    return json_pack("{s:s, s:s, s:s}", "cniVersion", "1.0.0", "name", "lo", "type", "loopback");
}

static json_t *bridge_conf(const struct sandbox_net *net)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[[{s:s}]], s:s}}", "cniVersion",
                     "1.0.0", "name", "anzen", "type", "bridge", "bridge", net->bridge, "isGateway", 1,
                     "ipMasq", 0, "hairpinMode", 1, "ipam", "type", "host-local", "ranges", "subnet",
                     net->subnet, "dataDir", net->ipam_dir);
}

/* The portmap plugin's configuration for mappings (kubelet's hostPort entries), chained after
 * the bridge (prevResult: the bridge's result). */
static json_t *portmap_conf(json_t *mappings, json_t *prev)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:{s:b}, s:{s:O}, s:b}", "cniVersion", "1.0.0", "name", "anzen",
                          "type", "portmap", "capabilities", "portMappings", 1, "runtimeConfig",
                          "portMappings", mappings, "snat", 1);
    if (prev)
        json_object_set(c, "prevResult", prev);
    return c;
}

/* Unshares the namespaces in a helper and binds them to dir/ns/<type>. */
static int make_namespaces(const char *dir, const char *hostname, int flags, char **ret_err)
{
    int ready[2] = {-1, -1}, go[2] = {-1, -1};
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
        *ret_err = xasprintf("pipe: %s", strerror(errno));
        for (int k = 0; k < 2; k++) {
            if (ready[k] >= 0)
                close(ready[k]);
            if (go[k] >= 0)
                close(go[k]);
        }
        return AZ_EINTERNAL;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        char status = 0;
        if (unshare(flags) != 0)
            status = 1;
        else if ((flags & CLONE_NEWUTS) && sethostname(hostname, strlen(hostname)) != 0)
            status = 2;
        ssize_t w = write(ready[1], &status, 1);
        char c;
        ssize_t r = read(go[0], &c, 1);
        (void)w;
        (void)r;
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    int rc = 0;
    char status = 1;
    if (pid < 0 || read(ready[0], &status, 1) != 1 || status != 0) {
        *ret_err = xasprintf("creating the pod's namespaces: %s",
                             pid < 0 ? strerror(errno) : status == 2 ? "sethostname failed" : "unshare failed");
        rc = AZ_EINTERNAL;
    }
    char *nsdir = xasprintf("%s/ns", dir);
    if (rc == 0 && node_mkdir_p(nsdir, 0700) != 0) {
        *ret_err = xasprintf("creating %s: %s", nsdir, strerror(errno));
        rc = AZ_EINTERNAL;
    }
    static const int ns_flags[] = {CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS};
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        if (!(flags & ns_flags[i]))
            continue;
        char *src = xasprintf("/proc/%d/ns/%s", (int)pid, ns_types[i]);
        char *dst = xasprintf("%s/%s", nsdir, ns_types[i]);
        int fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0400);
        if (fd >= 0)
            close(fd);
        if (fd < 0 || mount(src, dst, NULL, MS_BIND, NULL) != 0) {
            *ret_err = xasprintf("binding the pod's %s namespace: %s", ns_types[i], strerror(errno));
            rc = AZ_EINTERNAL;
        }
        free(src);
        free(dst);
    }
    free(nsdir);
    if (pid > 0) {
        close(go[1]);
        go[1] = -1;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (go[1] >= 0)
        close(go[1]);
    close(ready[0]);
    return rc;
}

int sandbox_pid_holder(pid_t *ret_pid, char **ret_err)
{
    int rep[2];
    if (pipe2(rep, O_CLOEXEC) != 0) {
        *ret_err = xasprintf("pipe: %s", strerror(errno));
        return AZ_EINTERNAL;
    }
    pid_t helper = fork();
    if (helper == 0) {
        pid_t holder = -1;
        if (unshare(CLONE_NEWPID) == 0)
            holder = fork();
        if (holder == 0) { /* PID 1 of the pod's PID namespace */
            spawn_child_reset_signals();
            setsid();
            int devnull = open("/dev/null", O_RDWR);
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
            close_range(3, ~0U, 0);
            char *argv[] = {"sleep", "infinity", NULL};
            char *envp[] = {NULL};
            execve("/bin/sleep", argv, envp);
            for (;;)
                pause();
        }
        ssize_t w = write(rep[1], &holder, sizeof(holder));
        (void)w;
        _exit(holder > 0 ? 0 : 1);
    }
    close(rep[1]);
    pid_t holder = -1;
    ssize_t got = helper > 0 ? read(rep[0], &holder, sizeof(holder)) : -1;
    close(rep[0]);
    if (helper > 0)
        while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
            ;
    if (got != (ssize_t)sizeof(holder) || holder <= 0) {
        *ret_err = xasprintf("creating the pod's PID namespace: %s", helper < 0 ? strerror(errno) : "failed");
        return AZ_EINTERNAL;
    }
    *ret_pid = holder; /* reparented to the agent (a child subreaper) */
    return 0;
}

static void unbind_namespaces(const char *dir)
{
    for (size_t i = 0; i < 3; i++) {
        char *p = xasprintf("%s/ns/%s", dir, ns_types[i]);
        umount2(p, MNT_DETACH);
        unlink(p);
        free(p);
    }
    char *nsdir = xasprintf("%s/ns", dir);
    rmdir(nsdir);
    free(nsdir);
}

int sandbox_create(const struct sandbox_net *net, const char *dir, const char *id, const char *hostname,
                   bool host_net, bool host_ipc, json_t *port_mappings, char **ret_ip, char **ret_err)
{
    int flags = (host_net ? 0 : CLONE_NEWNET | CLONE_NEWUTS) | (host_ipc ? 0 : CLONE_NEWIPC);
    *ret_ip = NULL;
    if (flags == 0)
        return 0;
    int rc = make_namespaces(dir, hostname, flags, ret_err);
    if (rc != 0 || host_net) {
        if (rc != 0)
            unbind_namespaces(dir);
        return rc;
    }
    char *netns = xasprintf("%s/ns/net", dir);
    json_t *lo = loopback_conf(), *br = bridge_conf(net);
    char *out = NULL, *err = NULL;
    rc = cni_exec(net, "ADD", lo, id, netns, "lo", NULL, &err);
    if (rc == 0)
        rc = cni_exec(net, "ADD", br, id, netns, "eth0", &out, &err);
    if (rc == 0 && cni_parse_result(out ? out : "", out ? strlen(out) : 0, ret_ip) != 0) {
        err = xstrdup("the bridge plugin returned no IPv4 address");
        rc = AZ_EINTERNAL;
    }
    if (rc == 0 && json_array_size(port_mappings) > 0) {
        json_t *prev = json_loads(out, 0, NULL);
        json_t *pm = portmap_conf(port_mappings, prev);
        rc = cni_exec(net, "ADD", pm, id, netns, "eth0", NULL, &err);
        /* kept for the DEL (which needs the same mappings) */
        json_object_del(pm, "prevResult");
        char *saved = xasprintf("%s/ns/portmap.json", dir);
        if (rc == 0 && json_dump_file(pm, saved, JSON_COMPACT) != 0) {
            err = xasprintf("saving %s failed", saved);
            rc = AZ_EIO;
        }
        free(saved);
        json_decref(pm);
        json_decref(prev);
    }
    if (rc != 0) {
        *ret_err = xasprintf("failed to setup network for sandbox \"%s\": %s", id, err ? err : "failed");
        sandbox_destroy(net, dir, id);
    }
    free(err);
    free(out);
    free(netns);
    json_decref(lo);
    json_decref(br);
    return rc;
}

void sandbox_destroy(const struct sandbox_net *net, const char *dir, const char *id)
{
    char *netns = sandbox_ns_path(dir, "net");
    if (netns != NULL) {
        char *saved = xasprintf("%s/ns/portmap.json", dir);
        json_t *pm = json_load_file(saved, 0, NULL);
        char *err = NULL;
        if (pm) {
            cni_exec(net, "DEL", pm, id, netns, "eth0", NULL, &err);
            free(err);
            err = NULL;
            json_decref(pm);
        }
        unlink(saved);
        free(saved);
        json_t *br = bridge_conf(net);
        cni_exec(net, "DEL", br, id, netns, "eth0", NULL, &err);
        free(err);
        json_decref(br);
        free(netns);
    }
    unbind_namespaces(dir);
}
