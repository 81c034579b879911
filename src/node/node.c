/* node.c — the embedded node agent (kubelet's role, DESIGN.md "node agent"): registers and
 * heartbeats the Node object, binds unassigned pods to this node (the scheduler's role),
 * drives each bound pod through volume set-up, init containers, containers, restarts and
 * termination, reports pods/status, and serves `kubectl logs`.
 *
 * Threading: everything runs on the server's event loop. Watch callbacks only queue events;
 * the queue is drained by deferred work, and a 200 ms h2o timer reaps children (waitpid on
 * the agent's own pids only), applies back-offs and kill deadlines, refreshes tokens and
 * heartbeats the Node every 10 s. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define H2O_USE_LIBUV 0
#define H2O_USE_EPOLL 1
#include <h2o.h>
#include "registry/rest.h"
#include "client/client.h"
#include "client/events.h"
#include "machinery/status.h"
#include "node/node_int.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

#define TICK_MS 200
#define START_POLL_MS 10
#define HEARTBEAT_MS 10000
#define VOLUME_RESYNC_MS 60000
#define VOLUME_RETRY_MS 2000
#define MAX_GRACE_S 10
#define BACKOFF_FIRST_S 10
#define BACKOFF_MAX_S 300
#define LOG_MAX_BYTES (16 << 20)
#define KUBELET_VERSION "v1.32.0"
#define LEASE_NAMESPACE "kube-node-lease"
#define LEASE_DURATION_S 40 /* kubelet's nodeLeaseDurationSeconds; renewed every 10 s (1/4) */

struct node_agent *node__agent;

static h2o_timeout_t node__tick;
static h2o_timeout_entry_t node__tick_entry;
static h2o_timeout_t node__start_poll;
static h2o_timeout_entry_t node__start_poll_entry;
static void start_poll_arm(void);
static json_t *node__events;        /* queued [type, object] pairs */
static bool node__drain_queued;
static uint64_t node__last_heartbeat;
static struct watch_sub *node__sub;
static struct watch_sub *node__node_sub; /* our Node's spec changes (the scheduler's retries) */
static json_t *node__last_spec;

/* ---- helpers ---------------------------------------------------------------------- */

/* Calls of the node agent run as the node (system:node:<name> in system:nodes), authorized by
 * the Node authorizer as kubelet's are. */
static struct api_call pod_call(struct node_agent *a, const char *ns, const char *name)
{
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("", "Pod"), .ns = ns, .name = name,
                         .user = &a->user, .field_manager = "kubelet",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    return c;
}

static void now_rfc3339(char out[32])
{
    time_rfc3339(clock_wall_s(), out);
}

static const char *restart_policy(struct node_pod *p)
{
    const char *rp = json_path_str(p->pod, "spec.restartPolicy");
    return rp ? rp : "Always";
}

static bool should_restart(struct node_pod *p, struct node_container *c)
{
    if (c->ephemeral)
        return false; /* ephemeral containers run once */
    const char *rp = restart_policy(p);
    if (strcmp(rp, "Never") == 0)
        return false;
    if (c->init || strcmp(rp, "OnFailure") == 0)
        return c->exit_code != 0;
    return true;
}

/* ---- the Node object ------------------------------------------------------------- */

static char *read_first_line(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    char line[512];
    char *r = fgets(line, sizeof(line), f) ? xstrdup(line) : NULL;
    fclose(f);
    if (r)
        r[strcspn(r, "\n")] = '\0';
    return r;
}

static char *os_image(void)
{
    FILE *f = fopen("/etc/os-release", "re");
    char line[512];
    char *r = NULL;
    while (f && r == NULL && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
            char *v = line + 12;
            v[strcspn(v, "\n")] = '\0';
            size_t n = strlen(v);
            if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v[n - 1] = '\0';
                v++;
            }
            r = xstrdup(v);
        }
    }
    if (f)
        fclose(f);
    return r ? r : xstrdup("Linux");
}

static const char *go_arch(const char *machine)
{
    if (strcmp(machine, "x86_64") == 0)
        return "amd64";
    if (strcmp(machine, "aarch64") == 0)
        return "arm64";
    return machine;
}

int64_t node_memory_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    long long kib = 0;
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (int64_t)kib * 1024;
}

static json_t *node_resources(struct node_agent *a)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long long mem_kb = (long long)(node_memory_bytes() / 1024);
    struct statvfs vfs;
    long long disk_kb = 0;
    if (statvfs(a->root, &vfs) == 0)
        disk_kb = (long long)vfs.f_blocks * (long long)vfs.f_frsize / 1024;
    char cpu[32], mem[32], disk[32];
    snprintf(cpu, sizeof(cpu), "%ld", cpus > 0 ? cpus : 1);
    snprintf(mem, sizeof(mem), "%lldKi", mem_kb);
    snprintf(disk, sizeof(disk), "%lldKi", disk_kb);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cpu", cpu, "ephemeral-storage", disk,
                     "hugepages-1Gi", "0", "hugepages-2Mi", "0", "memory", mem, "pods", "110");
}

static json_t *node_condition(const char *type, const char *status, const char *reason,
                              const char *message, const char *heartbeat, const char *transition)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status,
                     "lastHeartbeatTime", heartbeat, "lastTransitionTime", transition, "reason",
                     reason, "message", message);
}

static json_t *node_status(struct node_agent *a, json_t *old_status)
{
    char now[32];
    now_rfc3339(now);
    /* keep transition times of conditions whose status did not change */
    const char *ready_since = now;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(old_status, "conditions"), i, c)
        if (json_str(c, "type") && strcmp(json_str(c, "type"), "Ready") == 0 &&
            json_str(c, "status") && strcmp(json_str(c, "status"), "True") == 0 &&
            json_str(c, "lastTransitionTime"))
            ready_since = json_str(c, "lastTransitionTime");
    const char *first_seen = ready_since;
    json_t *conds = json_pack("[o, o, o, o]",
        node_condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                       "kubelet has sufficient memory available", now, first_seen),
        node_condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                       "kubelet has no disk pressure", now, first_seen),
        node_condition("PIDPressure", "False", "KubeletHasSufficientPID",
                       "kubelet has sufficient PID available", now, first_seen),
        a->not_ready ? node_condition("Ready", "False", "KubeletNotReady", a->not_ready, now, now)
                     : node_condition("Ready", "True", "KubeletReady", "kubelet is posting ready status",
                                      now, ready_since));
    struct utsname un;
    if (uname(&un) != 0)
        memset(&un, 0, sizeof(un));
    char *machine_id = read_first_line("/etc/machine-id");
    char *boot_id = read_first_line("/proc/sys/kernel/random/boot_id");
    char *osimg = os_image();
    json_t *info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                             "machineID", machine_id ? machine_id : "",
                             "systemUUID", machine_id ? machine_id : "",
                             "bootID", boot_id ? boot_id : "",
                             "kernelVersion", un.release, "osImage", osimg,
                             "containerRuntimeVersion", "anzen://0.1.0",
                             "kubeletVersion", KUBELET_VERSION,
                             /* deprecated, but 1.32 kubelets still set it (clients require it) */
                             "kubeProxyVersion", KUBELET_VERSION,
                             "operatingSystem", "linux", "architecture", go_arch(un.machine));
    free(machine_id);
    free(boot_id);
    free(osimg);
    json_t *st = json_pack("{s:o, s:o, s:o, s:[{s:s, s:s}, {s:s, s:s}], s:{s:{s:i}}, s:o}",
                           "capacity", node_resources(a), "allocatable", node_resources(a),
                           "conditions", conds, "addresses", "type", "InternalIP", "address",
                           a->api_host, "type", "Hostname", "address", a->name, "daemonEndpoints",
                           "kubeletEndpoint", "Port", 10250, "nodeInfo", info);
    return st;
}

static struct api_call node_obj_call(struct node_agent *a)
{
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("", "Node"), .name = a->name,
                         .user = &a->user, .field_manager = "kubelet",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    return c;
}

/* Creates the Node (or refreshes its labels), then writes its status. */
static int node_register(struct node_agent *a, char **ret_err)
{
    struct utsname un;
    if (uname(&un) != 0)
        memset(&un, 0, sizeof(un));
    const char *arch = go_arch(un.machine);
    json_t *labels = json_pack("{s:s, s:s, s:s, s:s, s:s}", "beta.kubernetes.io/arch", arch,
                               "beta.kubernetes.io/os", "linux", "kubernetes.io/arch", arch,
                               "kubernetes.io/hostname", a->name, "kubernetes.io/os", "linux");
    struct api_call c = node_obj_call(a);
    json_t *obj = NULL, *st = NULL, *res = NULL;
    int rc;
    if (client_call(&c, CLIENT_GET, NULL, &obj, &st) == 0) {
        json_t *l = json_obj_ensure(json_obj_ensure(obj, "metadata"), "labels");
        json_object_update(l, labels);
        json_t *spec = json_obj_ensure(obj, "spec");
        const char *cidr = json_str(spec, "podCIDR");
        if (cidr == NULL) { /* set once, immutable afterwards (as the node IPAM controller does) */
            json_object_set_new(spec, "podCIDR", json_string(a->pod_cidr));
            json_object_set_new(spec, "podCIDRs", json_pack("[s]", a->pod_cidr));
        }
        rc = client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st);
    } else {
        json_decref(st);
        st = NULL;
        json_t *n = json_pack("{s:s, s:s, s:{s:s, s:O}, s:{s:s, s:[s]}}", "apiVersion", "v1", "kind",
                              "Node", "metadata", "name", a->name, "labels", labels, "spec", "podCIDR",
                              a->pod_cidr, "podCIDRs", a->pod_cidr);
        c.name = NULL;
        rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = n}, &res, &st);
        c.name = a->name;
        json_decref(n);
    }
    json_decref(labels);
    json_decref(obj);
    if (rc != 0) {
        *ret_err = xasprintf("registering node %s: %s", a->name,
                             json_str(st, "message") ? json_str(st, "message") : az_err_str(rc));
        json_decref(st);
        json_decref(res);
        return rc;
    }
    json_decref(st);
    st = NULL;
    json_object_set_new(res, "status", node_status(a, json_object_get(res, "status")));
    c.subresource = "status";
    json_t *res2 = NULL;
    rc = client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = res}, &res2, &st);
    if (rc != 0)
        *ret_err = xasprintf("node %s status: %s", a->name,
                             json_str(st, "message") ? json_str(st, "message") : az_err_str(rc));
    json_decref(res);
    json_decref(res2);
    json_decref(st);
    return rc;
}

/* The node's Lease (kube-node-lease/<node>), as kubelet's lease controller keeps it: created
 * with holderIdentity = the node's name, leaseDurationSeconds 40 and an owner reference to the
 * Node, then its renewTime (MicroTime) set on every heartbeat. */
static void node_lease_renew(struct node_agent *a, const char *node_uid)
{
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("coordination.k8s.io", "Lease"),
                         .ns = LEASE_NAMESPACE, .name = a->name, .user = &a->user,
                         .field_manager = "kubelet", .validation = FIELD_VALIDATION_IGNORE,
                         .internal = true};
    if (c.res == NULL)
        return;
    char now[40];
    time_rfc3339_micro(now);
    json_t *obj = NULL, *st = NULL, *res = NULL;
    int rc;
    if (client_call(&c, CLIENT_GET, NULL, &obj, &st) == 0) {
        json_t *spec = json_obj_ensure(obj, "spec");
        json_object_set_new(spec, "holderIdentity", json_string(a->name));
        json_object_set_new(spec, "leaseDurationSeconds", json_integer(LEASE_DURATION_S));
        json_object_set_new(spec, "renewTime", json_string(now));
        rc = client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st);
    } else {
        json_decref(st);
        st = NULL;
        obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:s}}", "apiVersion",
                        "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", a->name,
                        "namespace", LEASE_NAMESPACE, "spec", "holderIdentity", a->name,
                        "leaseDurationSeconds", LEASE_DURATION_S, "renewTime", now);
        if (node_uid != NULL)
            json_object_set_new(json_object_get(obj, "metadata"), "ownerReferences",
                                json_pack("[{s:s, s:s, s:s, s:s}]", "apiVersion", "v1", "kind", "Node",
                                          "name", a->name, "uid", node_uid));
        c.name = NULL;
        rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = obj}, &res, &st);
    }
    if (rc != 0)
        log_warn("node agent: lease %s/%s: %s", LEASE_NAMESPACE, a->name,
                 json_str(st, "message") ? json_str(st, "message") : az_err_str(rc));
    json_decref(obj);
    json_decref(res);
    json_decref(st);
}

static void rescan_unscheduled(void *arg);

static void node_heartbeat(struct node_agent *a)
{
    char *why = node_isolation_check(a);
    if ((why == NULL) != (a->not_ready == NULL)) {
        log_warn("node agent: %s", why ? why : "the node can isolate pods again: Ready");
        a->srv->defer(a->srv, rescan_unscheduled, a); /* the scheduler tries the pending pods again */
    }
    free(a->not_ready);
    a->not_ready = why;
    struct api_call c = node_obj_call(a);
    json_t *obj = NULL, *st = NULL, *res = NULL;
    if (client_call(&c, CLIENT_GET, NULL, &obj, &st) != 0) {
        json_decref(st);
        char *err = NULL;
        if (node_register(a, &err) != 0)
            log_warn("node agent: %s", err);
        free(err);
        return;
    }
    json_object_set_new(obj, "status", node_status(a, json_object_get(obj, "status")));
    c.subresource = "status";
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = obj}, &res, &st) != 0)
        log_warn("node agent: heartbeat: %s", json_str(st, "message") ? json_str(st, "message") : "failed");
    node_lease_renew(a, json_path_str(obj, "metadata.uid"));
    json_decref(obj);
    json_decref(res);
    json_decref(st);
}

/* ---- pod bookkeeping -------------------------------------------------------------- */

static struct node_pod *pod_by_uid(struct node_agent *a, const char *uid)
{
    for (struct node_pod *p = a->pods; p; p = p->next)
        if (strcmp(p->uid, uid) == 0)
            return p;
    return NULL;
}

static void container_release(struct node_container *c)
{
    node_container_abandon_pull(c);
    if (c->starting != NULL) { /* not expected (pods with a start in flight are kept): be safe */
        node_container_start_poll(c, true);
        if (c->pid > 0) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, NULL, 0);
        }
    }
    node_log_pipe_close(c->log, false);
    c->log = NULL;
    node_container_close_stdio(c);
    free(c->name);
    json_decref(c->spec);
    free(c->reason);
    free(c->message);
    json_decref(c->last_state);
    node_strv_free(c->envp);
    free(c->workdir);
    free(c->cid);
    free(c->bundle);
    free(c->image_id);
}

static void pod_free(struct node_pod *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nc; i++)
        container_release(&p->c[i]);
    free(p->c);
    free(p->ns);
    free(p->name);
    free(p->uid);
    free(p->dir);
    free(p->volume_error);
    free(p->pod_ip);
    free(p->sandbox_error);
    json_decref(p->pod);
    json_decref(p->last_status);
    node_tokens_free(p->tokens);
    free(p);
}

static struct node_container *container_named(struct node_pod *p, const char *name)
{
    for (size_t i = 0; i < p->nc; i++)
        if (strcmp(p->c[i].name, name) == 0)
            return &p->c[i];
    return NULL;
}

/* Adds the containers of list not yet known (ephemeral ones arrive while the pod runs, up to
 * NODE_MAX_EPHEMERAL). */
static void add_containers(struct node_pod *p, json_t *list, bool init, bool ephemeral)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        const char *name = json_str(c, "name");
        if (name == NULL || container_named(p, name) != NULL)
            continue;
        if (ephemeral && p->nc >= p->cap_c)
            break;
        struct node_container *nc = &p->c[p->nc++];
        memset(nc, 0, sizeof(*nc));
        nc->name = xstrdup(name);
        nc->init = init;
        nc->ephemeral = ephemeral;
        nc->spec = json_incref(c);
        nc->state = NODE_C_WAITING;
    }
}

/* restartCount survives a restart of the agent: the stored status is the record (kubelet counts
 * the runtime's dead containers, which anzen's start-up sweep removed). A container that had
 * run and may restart runs again as a new attempt: its count goes up by one, and the run the
 * sweep ended (or the one that had terminated) becomes lastState. */
static void restore_restart_counts(struct node_pod *p, json_t *obj)
{
    static const char *const keys[2] = {"status.initContainerStatuses", "status.containerStatuses"};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *cs;
        json_array_foreach(json_path(obj, keys[k]), i, cs) {
            const char *name = json_str(cs, "name");
            struct node_container *c = NULL;
            for (size_t j = 0; name && j < p->nc; j++)
                if (p->c[j].init == (k == 0) && strcmp(p->c[j].name, name) == 0)
                    c = &p->c[j];
            json_int_t n = json_integer_value(json_object_get(cs, "restartCount"));
            if (c == NULL || n < 0 || n > INT32_MAX - 1)
                continue;
            c->restart_count = (int)n;
            json_t *run = json_path(cs, "state.running"), *term = json_path(cs, "state.terminated");
            if (p->historic || (run == NULL && term == NULL))
                continue;
            json_t *last;
            if (term != NULL) {
                last = json_deep_copy(term);
                c->exit_code = (int)json_integer_value(json_object_get(term, "exitCode"));
            } else {
                char now[32];
                now_rfc3339(now);
                last = json_pack("{s:i, s:s, s:s?, s:s}", "exitCode", 137, "reason", "Error", "startedAt",
                                 json_str(run, "startedAt"), "finishedAt", now);
                c->exit_code = 137;
            }
            if (should_restart(p, c)) {
                json_decref(c->last_state);
                c->last_state = last;
            } else {
                json_decref(last);
            }
        }
    }
}

/* Ephemeral containers run once: one the stored status knows (it ran before a restart of the
 * agent, whose start-up sweep ended it) stays terminated, with its recorded end if any. */
static void restore_ephemeral(struct node_pod *p, json_t *obj)
{
    size_t i;
    json_t *st;
    json_array_foreach(json_path(obj, "status.ephemeralContainerStatuses"), i, st) {
        const char *name = json_str(st, "name");
        struct node_container *c = name ? container_named(p, name) : NULL;
        if (c == NULL || !c->ephemeral)
            continue;
        json_t *t = json_path(st, "state.terminated");
        c->exit_code = t ? (int)json_integer_value(json_object_get(t, "exitCode")) : 137;
        const char *sa = json_str(t, "startedAt"), *fa = json_str(t, "finishedAt");
        snprintf(c->started_at, sizeof(c->started_at), "%s", sa ? sa : "");
        snprintf(c->finished_at, sizeof(c->finished_at), "%s", fa ? fa : "");
        node_container_set(c, NODE_C_TERMINATED, json_str(t, "reason") ? json_str(t, "reason") : "Error",
                           json_str(t, "message"));
    }
}

static struct node_pod *pod_new(struct node_agent *a, json_t *obj)
{
    struct node_pod *p = xcalloc(1, sizeof(*p));
    p->ns = xstrdup(json_path_str(obj, "metadata.namespace"));
    p->name = xstrdup(json_path_str(obj, "metadata.name"));
    p->uid = xstrdup(json_path_str(obj, "metadata.uid"));
    p->pod = json_incref(obj);
    p->dir = xasprintf("%s/pods/%s", a->root, p->uid);
    json_t *inits = json_path(obj, "spec.initContainers"), *cs = json_path(obj, "spec.containers");
    p->cap_c = json_array_size(inits) + json_array_size(cs) + NODE_MAX_EPHEMERAL;
    p->c = xcalloc(p->cap_c, sizeof(*p->c));
    add_containers(p, inits, true, false);
    add_containers(p, cs, false, false);
    add_containers(p, json_path(obj, "spec.ephemeralContainers"), false, true);
    restore_ephemeral(p, obj);
    const char *phase = json_path_str(obj, "status.phase");
    if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)) {
        p->finished = true; /* ran before a restart of the agent: never again */
        p->historic = true;
    }
    restore_restart_counts(p, obj);
    const char *st = json_path_str(obj, "status.startTime");
    if (st && strlen(st) < sizeof(p->start_time))
        memcpy(p->start_time, st, strlen(st) + 1);
    p->next = a->pods;
    a->pods = p;
    return p;
}

static void pod_unlink(struct node_agent *a, struct node_pod *p)
{
    for (struct node_pod **pp = &a->pods; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void signal_pod(struct node_pod *p, int sig)
{
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].pid > 0) {
            /* the container's init (its own session and process group) */
            kill(-p->c[i].pid, sig);
            kill(p->c[i].pid, sig);
        }
}

static void pod_terminate(struct node_pod *p)
{
    if (p->terminating)
        return;
    p->terminating = true;
    json_t *g = json_path(p->pod, "metadata.deletionGracePeriodSeconds");
    if (!json_is_integer(g))
        g = json_path(p->pod, "spec.terminationGracePeriodSeconds");
    int64_t grace = json_is_integer(g) ? json_integer_value(g) : 30;
    if (grace > MAX_GRACE_S)
        grace = MAX_GRACE_S;
    if (grace < 0)
        grace = 0;
    p->kill_at_ms = now_ms() + (uint64_t)grace * 1000;
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].pid > 0)
            node_event(p, "Normal", "Killing", "Stopping container %s", p->c[i].name);
    signal_pod(p, grace == 0 ? SIGKILL : SIGTERM);
}

/* ---- container lifecycle ---------------------------------------------------------- */

void node_event(struct node_pod *p, const char *type, const char *reason, const char *fmt, ...)
{
    if (node__agent == NULL || p->pod == NULL)
        return;
    char msg[4096]; /* longer messages (runtime errors) are cut: events are for people */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    event_record(node__agent->srv, &node__agent->user, "kubelet", p->pod, type, reason, "%s", msg);
}

void node_container_set(struct node_container *c, enum node_cstate st, const char *reason,
                        const char *message)
{
    c->state = st;
    free(c->reason);
    free(c->message);
    c->reason = reason ? xstrdup(reason) : NULL;
    c->message = message ? xstrdup(message) : NULL;
}

static json_t *terminated_json(struct node_container *c)
{
    json_t *t = json_pack("{s:i, s:s, s:s, s:s}", "exitCode", c->exit_code, "reason",
                          c->reason ? c->reason : (c->exit_code == 0 ? "Completed" : "Error"),
                          "startedAt", c->started_at, "finishedAt", c->finished_at);
    if (c->message)
        json_object_set_new(t, "message", json_string(c->message));
    return t;
}

/* A container ended (exit status from waitpid, or a start failure already recorded). */
static void container_exited(struct node_pod *p, struct node_container *c, int wstatus, bool reaped)
{
    if (reaped) {
        c->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                       : WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 1;
        now_rfc3339(c->finished_at);
        node_container_set(c, NODE_C_TERMINATED, c->exit_code == 0 ? "Completed" : "Error", NULL);
    }
    if (p->terminating || !should_restart(p, c))
        return;
    json_decref(c->last_state);
    c->last_state = terminated_json(c);
    c->backoff_s = c->backoff_s == 0 ? 1 : c->backoff_s < BACKOFF_FIRST_S ? BACKOFF_FIRST_S
                                                                          : c->backoff_s * 2;
    if (c->backoff_s > BACKOFF_MAX_S)
        c->backoff_s = BACKOFF_MAX_S;
    c->next_start_ms = now_ms() + (uint64_t)(c->backoff_s == 1 ? 0 : c->backoff_s) * 1000;
    if (c->backoff_s > 1)
        node_event(p, "Warning", "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)",
                   c->name, p->name, p->ns, p->uid);
    char *msg = xasprintf("back-off %ds restarting failed container=%s pod=%s_%s(%s)", c->backoff_s,
                          c->name, p->name, p->ns, p->uid);
    node_container_set(c, NODE_C_WAITING, "CrashLoopBackOff", msg);
    free(msg);
}

/* A start in flight finished: RUNNING, or a StartError to report. */
static void container_started(struct node_pod *p, struct node_container *c)
{
    if (c->state == NODE_C_RUNNING) {
        node_event(p, "Normal", "Created", "Created container: %s", c->name);
        node_event(p, "Normal", "Started", "Started container %s", c->name);
    } else if (c->state == NODE_C_TERMINATED && c->message) {
        node_event(p, "Warning", "Failed", "Error: %s", c->message);
    }
    if (c->state == NODE_C_TERMINATED)
        container_exited(p, c, 0, false);
    else if (c->state == NODE_C_RUNNING && p->terminating)
        kill(c->pid, SIGKILL); /* deleted while it started */
}

static void container_run(struct node_agent *a, struct node_pod *p, struct node_container *c)
{
    if (c->starting) {
        if (node_container_start_poll(c, false))
            container_started(p, c);
        return;
    }
    if (now_ms() < c->next_start_ms)
        return;
    if (c->last_state != NULL && c->pull == NULL)
        c->restart_count++; /* a new attempt (not the poll of a pull in flight) */
    node_container_start(a, p, c);
    if (c->starting)
        start_poll_arm();
    if (c->state == NODE_C_TERMINATED)
        container_exited(p, c, 0, false);
    else if (c->state == NODE_C_WAITING && c->starting == NULL) /* config errors: retry later; a pull: poll it */
        c->next_start_ms = now_ms() + (c->pull ? TICK_MS : BACKOFF_FIRST_S * 1000);
}

static void reap(struct node_agent *a, struct node_pod *p)
{
    for (size_t i = 0; i < p->nc; i++) {
        struct node_container *c = &p->c[i];
        int ws;
        if (c->starting && p->terminating) {
            node_container_start_abort(p, c); /* a start blocked for ever must not keep the pod */
            if (node_container_start_poll(c, false))
                container_started(p, c);
        }
        if (c->pid <= 0)
            continue;
        pid_t r = waitpid(c->pid, &ws, WNOHANG);
        if (r == c->pid || (r < 0 && errno == ECHILD)) {
            if (r != c->pid)
                ws = 0; /* lost: somebody else reaped it */
            c->pid = -c->pid;
            node_log_pipe_close(c->log, false); /* the rest of its output, before its status */
            c->log = NULL;
            node_container_cleanup(a, c);
            container_exited(p, c, ws, true);
        }
    }
}

static bool init_done(struct node_container *c)
{
    return c->state == NODE_C_TERMINATED && c->exit_code == 0;
}

/* Moves the pod's containers forward. Sets p->finished at a final phase. */
static void pod_progress(struct node_agent *a, struct node_pod *p)
{
    uint64_t now = now_ms();
    if (!p->volumes_ready || now >= p->next_volume_sync_ms ||
        node_tokens_need_refresh(p, (int64_t)clock_wall_s())) {
        char *err = NULL;
        if (node_volumes_sync(a, p, &err) != 0) {
            free(p->volume_error);
            p->volume_error = err;
            p->next_volume_sync_ms = now + VOLUME_RETRY_MS;
            if (!p->volumes_ready)
                return;
        } else {
            free(p->volume_error);
            p->volume_error = NULL;
            p->volumes_ready = true;
            p->next_volume_sync_ms = now + VOLUME_RESYNC_MS;
        }
    }
    if (p->start_time[0] == '\0')
        now_rfc3339(p->start_time);
    if (a->not_ready) {
        free(p->sandbox_error);
        p->sandbox_error = xstrdup(a->not_ready);
        return;
    }
    if (!node_sandbox_ensure(a, p)) {
        if (p->sandbox_job != NULL)
            start_poll_arm(); /* polled like container starts */
        return;
    }
    for (size_t i = 0; i < p->nc; i++) {
        struct node_container *c = &p->c[i];
        if (!c->init)
            break;
        if (init_done(c))
            continue;
        if (c->state == NODE_C_WAITING)
            container_run(a, p, c);
        return; /* one init container at a time */
    }
    for (size_t i = 0; i < p->nc; i++) {
        struct node_container *c = &p->c[i];
        if (!c->init && c->state == NODE_C_WAITING)
            container_run(a, p, c);
    }
}

/* ---- pod status ------------------------------------------------------------------- */

static const char *pod_phase(struct node_pod *p)
{
    size_t waiting = 0, running = 0, restarting = 0, failed = 0, total = 0;
    for (size_t i = 0; i < p->nc; i++) {
        struct node_container *c = &p->c[i];
        if (c->ephemeral)
            continue;
        if (c->init) {
            if (init_done(c))
                continue;
            if (c->state == NODE_C_TERMINATED)
                return "Failed"; /* not restarted: restartPolicy Never */
            return "Pending";
        }
        total++;
        if (c->state == NODE_C_RUNNING)
            running++;
        else if (c->state == NODE_C_WAITING && c->last_state)
            restarting++;
        else if (c->state == NODE_C_WAITING)
            waiting++;
        else if (c->exit_code != 0)
            failed++;
    }
    if (total == 0 || waiting > 0)
        return "Pending";
    if (running > 0 || restarting > 0)
        return "Running";
    return failed > 0 ? "Failed" : "Succeeded";
}

static json_t *container_status(struct node_pod *p, struct node_container *c, bool pod_initialized)
{
    json_t *state;
    char cid[192] = "";
    if (c->cid != NULL)
        snprintf(cid, sizeof(cid), "anzen://%s", c->cid);
    switch (c->state) {
    case NODE_C_RUNNING:
        state = json_pack("{s:{s:s}}", "running", "startedAt", c->started_at);
        break;
    case NODE_C_TERMINATED: {
        json_t *t = terminated_json(c);
        if (cid[0])
            json_object_set_new(t, "containerID", json_string(cid));
        state = json_pack("{s:o}", "terminated", t);
        break;
    }
    case NODE_C_WAITING:
    default: {
        const char *reason = c->reason ? c->reason
                             : (!c->init && !pod_initialized) ? "PodInitializing"
                                                               : "ContainerCreating";
        json_t *w = json_pack("{s:s}", "reason", reason);
        const char *msg = c->message ? c->message
                          : c->reason != NULL ? NULL
                          : p->volume_error ? p->volume_error : p->sandbox_error;
        if (msg)
            json_object_set_new(w, "message", json_string(msg));
        state = json_pack("{s:o}", "waiting", w);
        break;
    }
    }
    const char *image = json_str(c->spec, "image");
    bool running = c->state == NODE_C_RUNNING;
    json_t *s = json_pack("{s:s, s:o, s:o, s:b, s:i, s:s, s:s}", "name", c->name, "state", state,
                          "lastState", c->last_state ? json_pack("{s:O}", "terminated", c->last_state)
                                                     : json_object(),
                          "ready", running, "restartCount", c->restart_count, "image",
                          image ? image : "", "imageID", c->image_id ? c->image_id : "");
    if (cid[0])
        json_object_set_new(s, "containerID", json_string(cid));
    json_object_set_new(s, "started", json_boolean(running));
    json_t *vms = json_array();
    size_t i;
    json_t *vm;
    json_array_foreach(json_object_get(c->spec, "volumeMounts"), i, vm) {
        json_t *m = json_pack("{s:s?, s:s?}", "name", json_str(vm, "name"), "mountPath",
                              json_str(vm, "mountPath"));
        if (json_is_true(json_object_get(vm, "readOnly"))) {
            json_object_set_new(m, "readOnly", json_true());
            json_object_set_new(m, "recursiveReadOnly", json_string("Disabled"));
        }
        json_array_append_new(vms, m);
    }
    if (json_array_size(vms))
        json_object_set_new(s, "volumeMounts", vms);
    else
        json_decref(vms);
    return s;
}

static json_t *pod_condition(json_t *old_status, const char *type, bool status, const char *reason,
                             const char *message, const char *now)
{
    const char *since = now;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(old_status, "conditions"), i, c)
        if (json_str(c, "type") && strcmp(json_str(c, "type"), type) == 0 && json_str(c, "status") &&
            strcmp(json_str(c, "status"), status ? "True" : "False") == 0 &&
            json_str(c, "lastTransitionTime"))
            since = json_str(c, "lastTransitionTime");
    json_t *o = json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", status ? "True" : "False",
                          "lastProbeTime", "lastTransitionTime", since);
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    if (message)
        json_object_set_new(o, "message", json_string(message));
    return o;
}

/* The names (Go's %s of a []string) of p's regular (init false) or init containers, or with
 * ephemeral its ephemeral ones, for which pred holds. */
static char *names_where_kind(struct node_pod *p, bool init, bool ephemeral,
                              bool (*pred)(struct node_container *))
{
    struct buf b;
    buf_init(&b, 1 << 16);
    buf_putc(&b, '[');
    bool first = true;
    for (size_t i = 0; i < p->nc; i++) {
        if (p->c[i].ephemeral != ephemeral || (!ephemeral && p->c[i].init != init) || !pred(&p->c[i]))
            continue;
        if (!first)
            buf_putc(&b, ' ');
        buf_puts(&b, p->c[i].name);
        first = false;
    }
    buf_putc(&b, ']');
    return buf_detach(&b, NULL);
}

static char *names_where(struct node_pod *p, bool init, bool (*pred)(struct node_container *))
{
    return names_where_kind(p, init, false, pred);
}

static bool not_init_done(struct node_container *c)
{
    return !init_done(c);
}

static bool not_running(struct node_container *c)
{
    return c->state != NODE_C_RUNNING;
}

static json_t *pod_status(struct node_agent *a, struct node_pod *p, json_t *old)
{
    char now[32];
    now_rfc3339(now);
    const char *phase = pod_phase(p);
    bool done = strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0;
    bool initialized = true, all_running = true;
    size_t nregular = 0;
    for (size_t i = 0; i < p->nc; i++) {
        if (p->c[i].init && !init_done(&p->c[i]))
            initialized = false;
        if (!p->c[i].init && !p->c[i].ephemeral) {
            nregular++;
            if (p->c[i].state != NODE_C_RUNNING)
                all_running = false;
        }
    }
    char *not_init = names_where(p, true, not_init_done);
    char *unready = names_where(p, false, not_running);
    char *init_msg = xasprintf("containers with incomplete status: %s", not_init);
    char *ready_msg = xasprintf("containers with unready status: %s", unready);
    bool ready = all_running && nregular > 0 && !done;
    const char *creason = done ? "PodCompleted" : "ContainersNotReady";
    json_t *conds = json_array();
    json_array_append_new(conds, pod_condition(old, "PodReadyToStartContainers",
                                               p->sandbox_ready && !done, NULL, NULL, now));
    json_array_append_new(conds, pod_condition(old, "Initialized", initialized || done,
                                               initialized || done ? (done ? "PodCompleted" : NULL)
                                                                   : "ContainersNotInitialized",
                                               initialized || done ? NULL : init_msg, now));
    json_array_append_new(conds, pod_condition(old, "Ready", ready, ready ? NULL : creason,
                                               ready || done ? NULL : ready_msg, now));
    json_array_append_new(conds, pod_condition(old, "ContainersReady", ready, ready ? NULL : creason,
                                               ready || done ? NULL : ready_msg, now));
    json_array_append_new(conds, pod_condition(old, "PodScheduled", true, NULL, NULL, now));
    free(not_init);
    free(unready);
    free(init_msg);
    free(ready_msg);
    json_t *st = json_pack("{s:s, s:o, s:s, s:[{s:s}]}", "phase", phase, "conditions", conds,
                           "hostIP", a->api_host, "hostIPs", "ip", a->api_host);
    const char *ip = p->pod_ip ? p->pod_ip : json_str(old, "podIP");
    if (ip) {
        json_object_set_new(st, "podIP", json_string(ip));
        json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
    }
    if (p->start_time[0])
        json_object_set_new(st, "startTime", json_string(p->start_time));
    json_t *inits = json_array(), *cs = json_array(), *ecs = json_array();
    for (size_t i = 0; i < p->nc; i++)
        json_array_append_new(p->c[i].ephemeral ? ecs : p->c[i].init ? inits : cs,
                              container_status(p, &p->c[i], initialized));
    if (json_array_size(inits))
        json_object_set_new(st, "initContainerStatuses", inits);
    else
        json_decref(inits);
    json_object_set_new(st, "containerStatuses", cs);
    if (json_array_size(ecs))
        json_object_set_new(st, "ephemeralContainerStatuses", ecs);
    else
        json_decref(ecs);
    json_t *qos = json_object_get(old, "qosClass");
    if (qos)
        json_object_set(st, "qosClass", qos);
    return st;
}

/* Writes the pod's status through pods/status when it changed. */
static void pod_report(struct node_agent *a, struct node_pod *p)
{
    json_t *old = json_object_get(p->pod, "status");
    json_t *st = pod_status(a, p, p->last_status ? p->last_status : old);
    if (p->last_status && json_equal(st, p->last_status)) {
        json_decref(st);
        return;
    }
    struct api_call c = pod_call(a, p->ns, p->name);
    json_t *cur = NULL, *err = NULL, *res = NULL;
    if (client_call(&c, CLIENT_GET, NULL, &cur, &err) != 0 ||
        strcmp(json_path_str(cur, "metadata.uid") ? json_path_str(cur, "metadata.uid") : "", p->uid) != 0) {
        json_decref(err);
        json_decref(cur);
        json_decref(st);
        return;
    }
    json_t *qos = json_path(cur, "status.qosClass");
    if (qos && !json_object_get(st, "qosClass"))
        json_object_set(st, "qosClass", qos);
    json_object_set(cur, "status", st);
    c.subresource = "status";
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = cur}, &res, &err) == 0) {
        json_decref(p->last_status);
        p->last_status = json_incref(st);
        json_decref(p->pod);
        p->pod = json_incref(res);
    } else {
        log_debug("node agent: status of %s/%s: %s", p->ns, p->name,
                  json_str(err, "message") ? json_str(err, "message") : "failed");
    }
    json_decref(res);
    json_decref(err);
    json_decref(cur);
    json_decref(st);
}

/* ---- per-pod sync ----------------------------------------------------------------- */

static bool pod_has_processes(struct node_pod *p)
{
    for (size_t i = 0; i < p->nc; i++)
        if (p->c[i].pid > 0 || p->c[i].starting != NULL)
            return true;
    return false;
}

/* Returns false when p was freed. */
static bool pod_sync(struct node_agent *a, struct node_pod *p)
{
    reap(a, p);
    if (p->terminating) {
        if (pod_has_processes(p) && now_ms() >= p->kill_at_ms)
            signal_pod(p, SIGKILL);
        if (!pod_has_processes(p)) {
            pod_unlink(a, p);
            node_pod_teardown(a, p);
            node_remove_tree(p->dir);
            pod_free(p);
            return false;
        }
        return true;
    }
    if (!p->finished) {
        pod_progress(a, p);
        const char *phase = pod_phase(p);
        if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
            p->finished = !pod_has_processes(p);
        if (p->finished)
            node_pod_teardown(a, p); /* kubelet stops the sandbox of a finished pod */
    }
    if (!p->historic)
        pod_report(a, p);
    return true;
}

/* ---- scheduler -------------------------------------------------------------------- */

/* The scheduler's toleration match (v1 Toleration.ToleratesTaint): an empty effect matches
 * every effect; an empty key with Exists matches every taint; Exists ignores the value; Equal
 * (the default operator) needs key and value equal. */
static bool tolerates(json_t *tol, const char *key, const char *value, const char *effect)
{
    const char *te = json_str(tol, "effect"), *tk = json_str(tol, "key"), *op = json_str(tol, "operator");
    const char *tv = json_str(tol, "value");
    if (te && *te && strcmp(te, effect) != 0)
        return false;
    if (tk && *tk && strcmp(tk, key) != 0)
        return false;
    if (op && strcmp(op, "Exists") == 0)
        return true;
    if (!(op == NULL || *op == '\0' || strcmp(op, "Equal") == 0))
        return false;
    if (tk == NULL || *tk == '\0')
        return false; /* an empty key goes with Exists only */
    return strcmp(tv ? tv : "", value ? value : "") == 0;
}

static bool pod_tolerates(json_t *pod, const char *key, const char *value, const char *effect)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_path(pod, "spec.tolerations"), i, t)
        if (tolerates(t, key, value, effect))
            return true;
    return false;
}

char *node_sched_filter(json_t *node, json_t *pod)
{
    /* NodeUnschedulable, then TaintToleration, in the default profile's filter order; the
     * first failing filter gives the node's reason */
    if (json_is_true(json_path(node, "spec.unschedulable")) &&
        !pod_tolerates(pod, "node.kubernetes.io/unschedulable", "", "NoSchedule"))
        return xstrdup("node(s) were unschedulable");
    size_t i;
    json_t *t;
    json_array_foreach(json_path(node, "spec.taints"), i, t) {
        const char *e = json_str(t, "effect"), *k = json_str(t, "key"), *v = json_str(t, "value");
        if (e == NULL || k == NULL || (strcmp(e, "NoSchedule") != 0 && strcmp(e, "NoExecute") != 0))
            continue;
        if (!pod_tolerates(pod, k, v ? v : "", e))
            return xasprintf("node(s) had untolerated taint {%s: %s}", k, v ? v : "");
    }
    return NULL;
}

/* The pod cannot go to this (the only) node: the scheduler's FitError text as PodScheduled
 * False (Unschedulable) and a FailedScheduling event, once per distinct message. */
static void pod_unschedulable(struct node_agent *a, struct api_call *c, json_t *cur, const char *why)
{
    char *msg = xasprintf("0/1 nodes are available: 1 %s. preemption: 0/1 nodes are available: 1 "
                          "Preemption is not helpful for scheduling.", why);
    json_t *st = json_obj_ensure(cur, "status");
    json_t *conds = json_object_get(st, "conditions");
    size_t i;
    json_t *cd;
    json_array_foreach(conds, i, cd)
        if (json_str(cd, "type") && strcmp(json_str(cd, "type"), "PodScheduled") == 0 &&
            json_str(cd, "message") && strcmp(json_str(cd, "message"), msg) == 0) {
            free(msg);
            return;
        }
    char now[32];
    now_rfc3339(now);
    json_t *nc = json_array();
    json_array_foreach(conds, i, cd)
        if (!(json_str(cd, "type") && strcmp(json_str(cd, "type"), "PodScheduled") == 0))
            json_array_append(nc, cd);
    json_array_append_new(nc, json_pack("{s:s, s:s, s:n, s:s, s:s, s:s}", "type", "PodScheduled",
                                        "status", "False", "lastProbeTime", "lastTransitionTime", now,
                                        "reason", "Unschedulable", "message", msg));
    json_object_set_new(st, "conditions", nc);
    if (json_object_get(st, "phase") == NULL)
        json_object_set_new(st, "phase", json_string("Pending"));
    json_t *res = NULL, *err = NULL;
    struct api_call sc = *c;
    sc.subresource = "status";
    if (client_call(&sc, CLIENT_UPDATE, &(struct client_args){.obj = cur}, &res, &err) == 0)
        event_record(a->srv, client_scheduler_user(), "default-scheduler", res, "Warning",
                     "FailedScheduling", "%s", msg);
    json_decref(res);
    json_decref(err);
    free(msg);
}

static void pod_bind(struct node_agent *a, json_t *obj)
{
    const char *ns = json_path_str(obj, "metadata.namespace"), *name = json_path_str(obj, "metadata.name");
    const char *nn = json_path_str(obj, "spec.nodeName");
    if (ns == NULL || name == NULL || (nn != NULL && *nn) || json_path(obj, "metadata.deletionTimestamp"))
        return;
    /* the scheduler's own identity: it reads the pod and the node, reports an unschedulable
     * pod on pods/status and binds through pods/binding, as upstream's scheduler does */
    struct api_call c = {.srv = a->srv, .res = resource_by_kind("", "Pod"), .ns = ns, .name = name,
                         .user = client_scheduler_user(), .field_manager = "default-scheduler",
                         .validation = FIELD_VALIDATION_IGNORE};
    json_t *cur = NULL, *st = NULL, *res = NULL;
    if (client_call(&c, CLIENT_GET, NULL, &cur, &st) != 0) {
        json_decref(st);
        return;
    }
    nn = json_path_str(cur, "spec.nodeName");
    bool unbound = (nn == NULL || *nn == '\0') && json_path(cur, "metadata.deletionTimestamp") == NULL;
    json_t *node = NULL;
    char *why = NULL;
    if (unbound) {
        struct api_call ncall = {.srv = a->srv, .res = resource_by_kind("", "Node"), .name = a->name,
                                 .user = client_scheduler_user()};
        json_t *nst = NULL;
        if (client_call(&ncall, CLIENT_GET, NULL, &node, &nst) == 0)
            why = node_sched_filter(node, cur);
        json_decref(nst);
    }
    /* a node that cannot run pods carries node.kubernetes.io/not-ready:NoSchedule upstream
     * (the node lifecycle controller's taint); even a pod tolerating it is not bound here */
    bool not_ready = a->not_ready != NULL;
    if (why == NULL && not_ready && node != NULL &&
        !pod_tolerates(cur, "node.kubernetes.io/not-ready", "", "NoSchedule"))
        why = xstrdup("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
    if (why != NULL) {
        pod_unschedulable(a, &c, cur, why);
    } else if (unbound && node != NULL && !not_ready) {
        json_t *binding = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}}", "apiVersion", "v1",
                                    "kind", "Binding", "metadata", "name", name, "namespace", ns,
                                    "target", "apiVersion", "v1", "kind", "Node", "name", a->name);
        struct api_call bc = c;
        bc.subresource = "binding";
        int rc = client_call(&bc, CLIENT_CREATE, &(struct client_args){.obj = binding}, &res, &st);
        json_decref(binding);
        if (rc != 0) {
            if (status_code(st) != 409) /* bound meanwhile */
                log_warn("scheduler: binding %s/%s to %s: %s", ns, name, a->name,
                         json_str(st, "message") ? json_str(st, "message") : "failed");
        } else { /* upstream's scheduler reports each binding on the pod */
            event_record(a->srv, client_scheduler_user(), "default-scheduler", cur, "Normal",
                         "Scheduled", "Successfully assigned %s/%s to %s", ns, name, a->name);
        }
    }
    free(why);
    json_decref(node);
    json_decref(cur);
    json_decref(res);
    json_decref(st);
}

/* ---- events ----------------------------------------------------------------------- */

static void pod_event(struct node_agent *a, int type, json_t *obj)
{
    const char *nn = json_path_str(obj, "spec.nodeName");
    const char *uid = json_path_str(obj, "metadata.uid");
    if (uid == NULL)
        return;
    struct node_pod *p = pod_by_uid(a, uid);
    if (type == WATCH_DELETED) {
        if (p)
            pod_terminate(p);
        return;
    }
    if (nn == NULL || *nn == '\0') {
        if (json_path(obj, "metadata.deletionTimestamp") == NULL)
            pod_bind(a, obj);
        return;
    }
    if (strcmp(nn, a->name) != 0)
        return;
    if (p == NULL) {
        if (json_path(obj, "metadata.deletionTimestamp") != NULL)
            return;
        p = pod_new(a, obj);
    } else {
        json_decref(p->pod);
        p->pod = json_incref(obj);
        if (!p->finished) /* kubectl debug: ephemeral containers added while the pod runs */
            add_containers(p, json_path(obj, "spec.ephemeralContainers"), false, true);
    }
    if (json_path(obj, "metadata.deletionTimestamp") != NULL)
        pod_terminate(p);
    pod_sync(a, p);
}

static void drain_events(void *arg)
{
    struct node_agent *a = arg;
    node__drain_queued = false;
    if (node__agent != a)
        return;
    json_t *events = node__events;
    node__events = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
        pod_event(a, (int)json_integer_value(json_array_get(ev, 0)), json_array_get(ev, 1));
    json_decref(events);
}

static void queue_event(struct node_agent *a, int type, json_t *obj)
{
    json_array_append_new(node__events, json_pack("[i, O]", type, obj));
    if (!node__drain_queued) {
        node__drain_queued = true;
        a->srv->defer(a->srv, drain_events, a);
    }
}

static void on_pod_event(void *arg, const struct watch_event *ev)
{
    queue_event(arg, (int)ev->type, ev->obj);
}

/* Queues every pod matching field_selector (NULL: all) as a watch event of type. */
static void queue_listed(struct node_agent *a, const char *field_selector, int type)
{
    struct api_call c = pod_call(a, NULL, NULL);
    struct list_opts lo = {.field_selector = field_selector};
    json_t *list = NULL, *st = NULL;
    if (client_call(&c, CLIENT_LIST, &(struct client_args){.list = &lo}, &list, &st) == 0) {
        size_t i;
        json_t *obj;
        json_array_foreach(json_object_get(list, "items"), i, obj)
            queue_event(a, type, obj);
    }
    json_decref(list);
    json_decref(st);
}

/* The scheduler retries pods it could not place when the node's spec changes (uncordon, a
 * taint removed), as upstream's queue moves unschedulable pods back on a Node update. */
static void rescan_unscheduled(void *arg)
{
    struct node_agent *a = arg;
    if (node__agent == a)
        queue_listed(a, "spec.nodeName=", WATCH_MODIFIED);
}

static void on_node_event(void *arg, const struct watch_event *ev)
{
    struct node_agent *a = arg;
    const char *name = json_path_str(ev->obj, "metadata.name");
    if (ev->type == WATCH_DELETED || name == NULL || strcmp(name, a->name) != 0)
        return;
    json_t *spec = json_object_get(ev->obj, "spec");
    if (node__last_spec != NULL && json_equal(spec, node__last_spec))
        return;
    json_decref(node__last_spec);
    node__last_spec = json_deep_copy(spec);
    a->srv->defer(a->srv, rescan_unscheduled, a);
}

static void on_tick_locked(h2o_timeout_entry_t *e)
{
    struct node_agent *a = node__agent;
    if (a == NULL)
        return;
    struct node_pod *p = a->pods;
    while (p) {
        struct node_pod *next = p->next;
        pod_sync(a, p);
        p = next;
    }
    uint64_t now = now_ms();
    if (now - node__last_heartbeat >= HEARTBEAT_MS) {
        node__last_heartbeat = now;
        node_heartbeat(a);
    }
    h2o_timeout_link(a->loop, &node__tick, &node__tick_entry);
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_tick(h2o_timeout_entry_t *e)
{
    bool took = biglock_enter();
    on_tick_locked(e);
    biglock_leave(took);
}

/* While container starts are in flight, they are polled every START_POLL_MS (only them), so a
 * pod is reported Running as soon as the runtime is done. */
static void on_start_poll_locked(h2o_timeout_entry_t *e)
{
    struct node_agent *a = node__agent;
    if (a == NULL)
        return;
    bool pending = false;
    struct node_pod *p = a->pods;
    while (p) {
        struct node_pod *next = p->next;
        bool finished = node_sandbox_poll(p);
        if (p->sandbox_job != NULL && !finished)
            pending = true;
        for (size_t i = 0; i < p->nc; i++) {
            struct node_container *c = &p->c[i];
            if (c->starting == NULL)
                continue;
            if (node_container_start_poll(c, false)) {
                container_started(p, c);
                finished = true;
            } else {
                pending = true;
            }
        }
        if (finished)
            pod_sync(a, p);
        p = next;
    }
    if (pending)
        start_poll_arm(); /* (pod_sync may have armed it already for a new start) */
}

/* h2o calls it from the loop: the biglock around it (see util/biglock.h) */
static void on_start_poll(h2o_timeout_entry_t *e)
{
    bool took = biglock_enter();
    on_start_poll_locked(e);
    biglock_leave(took);
}

static void start_poll_arm(void)
{
    h2o_evloop_t *loop = node__agent != NULL ? node__agent->loop : NULL;
    if (loop != NULL && node__start_poll_entry.cb != NULL && !h2o_timeout_is_linked(&node__start_poll_entry))
        h2o_timeout_link(loop, &node__start_poll, &node__start_poll_entry);
}

static void attach_timer(void *arg)
{
    h2o_evloop_t *loop = node__agent != NULL ? node__agent->loop : NULL;
    if (loop == NULL || node__agent == NULL)
        return;
    h2o_timeout_init(loop, &node__tick, TICK_MS);
    node__tick_entry.cb = on_tick;
    h2o_timeout_link(loop, &node__tick, &node__tick_entry);
    h2o_timeout_init(loop, &node__start_poll, START_POLL_MS);
    node__start_poll_entry.cb = on_start_poll;
    start_poll_arm();
}

/* ---- public API ------------------------------------------------------------------- */

static void agent_free(struct node_agent *a)
{
    user_info_release(&a->user);
    free(a->name);
    free(a->root);
    free(a->api_host);
    free(a->host_api_host);
    free(a->runtime);
    free(a->runtime_root);
    free(a->image_dir);
    free(a->pod_cidr);
    free(a->cni_dir);
    free(a->ipam_dir);
    free(a->bridge);
    free(a->not_ready);
    free(a);
}

int node_start(struct apiserver *srv, const struct node_config *cfg, char **ret_err)
{
    if (node__agent != NULL) {
        *ret_err = xstrdup("the node agent is already running");
        return AZ_EINTERNAL;
    }
    struct node_agent *a = xcalloc(1, sizeof(*a));
    a->srv = srv;
    a->loop = cfg->loop;
    a->name = xstrdup(cfg->name);
    a->root = xstrdup(cfg->root_dir);
    a->api_host = xstrdup(cfg->api_host ? cfg->api_host : "127.0.0.1");
    a->host_api_host = xstrdup(cfg->host_api_host ? cfg->host_api_host : a->api_host);
    a->api_port = cfg->api_port;
    a->runtime = xstrdup(cfg->runtime ? cfg->runtime : "runc");
    a->runtime_root = xasprintf("%s/runc", cfg->root_dir);
    a->image_dir = xstrdup(cfg->image_dir ? cfg->image_dir : cfg->root_dir);
    a->pod_cidr = xstrdup(cfg->pod_cidr ? cfg->pod_cidr : "10.88.0.0/24");
    a->cni_dir = xstrdup(cfg->cni_dir ? cfg->cni_dir : "/usr/lib/cni");
    /* host-local's reservations are shared by every agent using the bridge on this host */
    a->ipam_dir = xstrdup("/run/anzen/cni-ipam");
    a->bridge = xstrdup("anzen0");
    a->not_ready = node_isolation_check(a);
    if (a->not_ready)
        log_warn("node agent: pods will not run on this node: %s", a->not_ready);
    /* containers' init processes, orphaned when the runtime exits, are reaped here */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (a->not_ready == NULL)
        node_sweep(a);
    a->user.name = xasprintf("system:node:%s", cfg->name);
    user_info_add_group(&a->user, "system:nodes");
    user_info_add_group(&a->user, "system:authenticated");
    char *pods = xasprintf("%s/pods", a->root);
    int rc = node_mkdir_p(pods, 0750);
    free(pods);
    if (rc != 0) {
        *ret_err = xasprintf("creating %s/pods: %s", cfg->root_dir, strerror(-rc));
        goto fail;
    }
    if ((rc = node_register(a, ret_err)) != 0)
        goto fail;
    struct api_call nc = node_obj_call(a); /* the Lease at once, as kubelet */
    json_t *nobj = NULL, *nst = NULL;
    client_call(&nc, CLIENT_GET, NULL, &nobj, &nst);
    node_lease_renew(a, json_path_str(nobj, "metadata.uid"));
    json_decref(nobj);
    json_decref(nst);
    node__agent = a;
    node__events = json_array();
    node__last_heartbeat = now_ms();
    int64_t rev = watchcache_rev(srv->wc);
    watchcache_subscribe(srv->wc, "/registry/pods/", rev, on_pod_event, a, &node__sub, NULL);
    watchcache_subscribe(srv->wc, "/registry/nodes/", rev, on_node_event, a, &node__node_sub, NULL);
    /* pods that exist already: bind the unassigned ones, run ours (both lists come from the
     * object cache's pods-by-node index, not from every pod) */
    char *mine = xasprintf("spec.nodeName=%s", a->name);
    queue_listed(a, "spec.nodeName=", WATCH_ADDED);
    queue_listed(a, mine, WATCH_ADDED);
    free(mine);
    srv->defer(srv, attach_timer, NULL);
    return 0;
fail:
    agent_free(a);
    return rc;
}

void node_stop(void)
{
    struct node_agent *a = node__agent;
    if (a == NULL)
        return;
    if (node__sub)
        watchcache_unsubscribe(a->srv->wc, node__sub);
    node__sub = NULL;
    if (node__node_sub)
        watchcache_unsubscribe(a->srv->wc, node__node_sub);
    node__node_sub = NULL;
    json_decref(node__last_spec);
    node__last_spec = NULL;
    if (h2o_timeout_is_linked(&node__tick_entry))
        h2o_timeout_unlink(&node__tick_entry);
    if (h2o_timeout_is_linked(&node__start_poll_entry))
        h2o_timeout_unlink(&node__start_poll_entry);
    for (struct node_pod *p = a->pods; p; p = p->next) {
        for (size_t i = 0; i < p->nc; i++) {
            node_container_start_kill(p, &p->c[i]);
        }
        signal_pod(p, SIGKILL);
    }
    while (a->pods) {
        struct node_pod *p = a->pods;
        a->pods = p->next;
        for (size_t i = 0; i < p->nc; i++)
            if (p->c[i].pid > 0)
                waitpid(p->c[i].pid, NULL, 0);
        node_pod_teardown(a, p);
        pod_free(p);
    }
    node__agent = NULL;
    json_decref(node__events);
    node__events = NULL;
    agent_free(a);
}

/* ---- logs ------------------------------------------------------------------------- */

static struct node_pod *pod_by_name(struct node_agent *a, const char *ns, const char *name)
{
    struct node_pod *found = NULL;
    for (struct node_pod *p = a->pods; p; p = p->next)
        if (strcmp(p->ns, ns) == 0 && strcmp(p->name, name) == 0 && (found == NULL || !p->terminating))
            found = p;
    return found;
}

static bool is_regular(struct node_container *c)
{
    return !c->init;
}

static bool is_init(struct node_container *c)
{
    return c->init;
}

int node_pod_log(const char *ns, const char *pod, const struct node_log_opts *o, char **ret_log,
                 size_t *ret_len, struct node_log_follower **ret_follower, char **ret_err)
{
    if (ret_follower)
        *ret_follower = NULL;
    const char *container = o->container;
    int64_t tail_lines = o->tail_lines;
    struct node_agent *a = node__agent;
    struct node_pod *p = a ? pod_by_name(a, ns, pod) : NULL;
    if (p == NULL) {
        *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
        return AZ_EBADREQUEST;
    }
    struct node_container *c = NULL;
    if (container == NULL || *container == '\0') {
        size_t n = 0;
        for (size_t i = 0; i < p->nc; i++)
            if (!p->c[i].init && !p->c[i].ephemeral) {
                c = &p->c[i];
                n++;
            }
        if (n != 1) {
            char *names = names_where(p, false, is_regular);
            char *inits = names_where(p, true, is_init);
            char *ephs = names_where_kind(p, false, true, is_regular);
            struct buf m = BUF_INIT;
            buf_printf(&m, "a container name must be specified for pod %s, choose one of: %s", pod, names);
            if (strcmp(inits, "[]") != 0)
                buf_printf(&m, " or one of the init containers: %s", inits);
            if (strcmp(ephs, "[]") != 0)
                buf_printf(&m, " or one of the ephemeral containers: %s", ephs);
            *ret_err = buf_detach(&m, NULL);
            free(names);
            free(inits);
            free(ephs);
            return AZ_EBADREQUEST;
        }
    } else {
        for (size_t i = 0; i < p->nc; i++)
            if (strcmp(p->c[i].name, container) == 0)
                c = &p->c[i];
        if (c == NULL) {
            *ret_err = xasprintf("container %s is not valid for pod %s", container, pod);
            return AZ_EBADREQUEST;
        }
    }
    char *path = xasprintf("%s/logs/%s%s.log", p->dir, c->name, o->previous ? ".previous" : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0 && o->previous) {
        *ret_err = xasprintf("previous terminated container \"%s\" in pod \"%s\" not found", c->name, pod);
        return AZ_EBADREQUEST;
    }
    if (fd < 0) {
        const char *why = c->reason ? c->reason
                          : (!c->init && !init_done(c)) ? "PodInitializing" : "ContainerCreating";
        *ret_err = xasprintf("container \"%s\" in pod \"%s\" is waiting to start: %s", c->name, pod, why);
        return AZ_EBADREQUEST;
    }
    struct stat st;
    off_t size = fstat(fd, &st) == 0 ? st.st_size : 0;
    off_t start = size > LOG_MAX_BYTES ? size - LOG_MAX_BYTES : 0;
    size_t want = (size_t)(size - start), got = 0;
    char *data = xmalloc(want + 1);
    while (got < want) {
        ssize_t r = pread(fd, data + got, want - got, start + (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    data[got] = '\0';
    size_t start_at = 0;
    if (start > 0) { /* cut in the middle of a record: start at the next one */
        const char *nl = memchr(data, '\n', got);
        start_at = nl ? (size_t)(nl - data) + 1 : got;
    }
    struct node_log_render r = {.tail_lines = tail_lines, .limit_bytes = o->limit_bytes,
                                .timestamps = o->timestamps, .has_since = o->has_since,
                                .since_ns = o->since_ns};
    *ret_log = node_log_render(data + start_at, got - start_at, &r, ret_len);
    free(data);
    /* kubelet follows the container it found: the stream ends when that run does */
    if (o->follow_fn && ret_follower && !o->previous && c->log != NULL && c->state == NODE_C_RUNNING &&
        !(o->limit_bytes > 0 && (int64_t)*ret_len >= o->limit_bytes))
        *ret_follower = node_log_pipe_follow(c->log, o->follow_fn, o->follow_arg);
    return 0;
}
