/* node_int.h — the node agent's internal state, shared by node.c (agent loop, status, logs,
 * exec), volumes.c (volume set-up, the atomic writer, token refresh) and runner.c (container
 * processes). Everything here runs on the event loop thread only.
 *
 * ON-DISK LAYOUT (root_dir = DATA_DIR/node)
 *   pods/<uid>/volumes/<volume>/       emptyDir, or atomic-writer dir (..data scheme) on its
 *                                      own tmpfs (secret, configMap, downwardAPI, projected)
 *   pods/<uid>/logs/<container>.log    stdout+stderr of the current (last) run, CRI format (logs.h)
 *   pods/<uid>/logs/<container>.previous.log   ... of the run before it (restarts)
 *   pods/<uid>/ns/{net,ipc,uts}        the sandbox's namespaces (sandbox.h)
 *   pods/<uid>/etc/{hosts,hostname,resolv.conf}  files bound into every container
 *   pods/<uid>/containers/<name>/      OCI bundle: config.json, rootfs (overlay of the image
 *                                      cache: upper/, work/), pid, runc.log
 *   images/<digest hex>/rootfs, config.json   unpacked images (the overlays' lower layer)
 *   runc/                              the OCI runtime's state (--root)
 *   seccomp/                           Localhost seccomp profiles
 * hostPath volumes are bind-mounted from their host path directly. Nothing of this tree is
 * visible in a container except its own volumes and etc files (bind mounts). */
#ifndef ANZEN_NODE_NODE_INT_H
#define ANZEN_NODE_NODE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "registry/apiserver.h"
#include "node/logs.h"
#include "node/node.h"

enum node_cstate { NODE_C_WAITING, NODE_C_RUNNING, NODE_C_TERMINATED };
struct node_pull;
struct node_start;
struct node_sandbox_job;

struct node_container {
    char *name;
    bool init;                /* init container (runs to completion before the others) */
    bool ephemeral;           /* ephemeral container (kubectl debug): runs once, never restarted,
                               * counts for neither phase nor readiness */
    json_t *spec;             /* the container's spec (reference) */
    enum node_cstate state;
    pid_t pid;                /* > 0 while the process runs */
    int exit_code;            /* of the last termination */
    int restart_count;
    char *reason;             /* waiting/terminated reason, or NULL */
    char *message;            /* waiting/terminated message, or NULL */
    char started_at[32];      /* RFC 3339 of the current/last start */
    char finished_at[32];     /* RFC 3339 of the last termination */
    json_t *last_state;       /* lastState.terminated of the previous run, or NULL */
    uint64_t next_start_ms;   /* earliest (re)start (back-off), 0: now */
    int backoff_s;            /* current back-off (10 s doubling to 300 s) */
    char **envp;              /* environment of the current run (for exec), NULL-terminated */
    char *workdir;            /* working directory of the current run, or NULL */
    char *cid;                /* OCI runtime container id of the current/last run, or NULL */
    char *bundle;             /* its bundle dir while it has runtime state (rootfs mounted) */
    int pull_failures;        /* consecutive image pull failures (ImagePullBackOff) */
    struct node_pull *pull;   /* an image pull in flight, or NULL (runner.c) */
    struct node_start *starting; /* the runtime starting it (off the loop), or NULL */
    char *image_id;           /* status imageID of the last run: "REPO@sha256:...", or NULL */
    struct node_log_pipe *log; /* reader of the current run's output (logs.h), or NULL */
    /* attach (runner.c): a container with `stdin: true` keeps the write end of its stdin
     * pipe here; one with `tty: true` its terminal's master (its output is read from it). */
    bool stdin_open;
    int stdin_fd;
    bool tty_open;
    int tty_fd;
    bool attached;            /* an attach session has been opened on the current run */
};

/* One projected ServiceAccount token, cached per (volume, source) as the kubelet's token
 * manager caches one TokenRequest per key. */
struct node_token {
    char *volume;             /* volume name */
    size_t source;            /* index in projected.sources */
    char *token;              /* the JWT */
    int64_t exp;              /* status.expirationTimestamp (unix s) */
    int64_t ttl;              /* spec.expirationSeconds as requested */
    int jitter;               /* [0, 10) s */
    struct node_token *next;
};

/* p->c has room for this many ephemeral containers beyond the pod's own (they are added while
 * the pod runs; the array never moves) */
#define NODE_MAX_EPHEMERAL 32

struct node_pod {
    char *ns, *name, *uid;
    json_t *pod;              /* the newest object seen */
    char *dir;                /* root/pods/<uid> */
    struct node_container *c; /* init containers first, ephemeral ones last */
    size_t nc;
    size_t cap_c;             /* room in c (NODE_MAX_EPHEMERAL beyond the spec's containers) */
    bool volumes_ready;       /* all volumes set up once */
    char *volume_error;       /* last set-up failure (waiting message), or NULL */
    uint64_t next_volume_sync_ms;
    struct node_token *tokens;
    char start_time[32];
    bool terminating;         /* processes being killed (pod deleted) */
    uint64_t kill_at_ms;      /* SIGKILL deadline while terminating */
    bool finished;            /* phase Succeeded/Failed reached: nothing runs any more */
    bool historic;            /* finished before the agent started: status left as it is */
    bool sandbox_ready;       /* namespaces + network set up */
    char *pod_ip;             /* from CNI, NULL before (or hostNetwork: the node's) */
    pid_t pid_holder;         /* PID 1 of the pod's PID namespace (shareProcessNamespace), or 0 */
    char *sandbox_error;      /* last sandbox failure (waiting message), or NULL */
    struct node_sandbox_job *sandbox_job; /* the sandbox being set up (off the loop), or NULL */
    uint64_t next_sandbox_ms; /* retry time after a sandbox failure */
    json_t *last_status;      /* the status last written, or NULL */
    struct node_pod *next;
};

struct st_h2o_evloop_t;

struct node_agent {
    struct apiserver *srv;
    struct st_h2o_evloop_t *loop; /* the server's event loop (node_config.loop) */
    char *name;
    char *root;
    char *api_host;           /* KUBERNETES_SERVICE_HOST of pods: the bridge's address */
    char *host_api_host;      /* ... of hostNetwork pods: the address anzen listens on */
    int api_port;
    char *runtime;            /* OCI runtime binary (runc) */
    char *runtime_root;       /* its --root */
    char *image_dir;          /* image store (image.h) */
    char *pod_cidr;           /* Node spec.podCIDR */
    char *cni_dir, *ipam_dir, *bridge;
    char *not_ready;          /* why the node cannot isolate pods (NULL: it can) */
    struct user_info user;    /* system:node:<name> */
    struct node_pod *pods;
};

extern struct node_agent *node__agent;

/* volumes.c: sets up (or refreshes) every volume of p under p->dir. Returns 0, or a negative
 * code with *ret_err (malloc'd) naming the failing volume. force: rewrite even if set up. */
int node_volumes_sync(struct node_agent *a, struct node_pod *p, char **ret_err);
/* Unmounts the tmpfs of p's API-backed volumes (secret, configMap, downwardAPI, projected)
 * and the subPath binds (node_subpath_bind). */
void node_volumes_unmount(struct node_pod *p);
/* A volumeMount's subPath (kubelet's doSafeMakeDir + doBindSubPath): sub is resolved inside
 * the volume at vol (openat2 RESOLVE_BENEATH: a symlink, absolute or leading out of the
 * volume, is refused, never followed onto the host; ".." elements are refused), its missing
 * directories are made one by one (mkdirat under an fd of the parent: nothing is ever made
 * outside the volume), and what it names is bind-mounted from its fd onto
 * p->dir/volume-subpaths/<volume>/<container>/<index>, the path to hand the runtime: the pod
 * changing its volume afterwards (a symlink swapped in) cannot redirect the runtime's mount.
 * Returns that path (malloc'd), or NULL with *ret_err. */
char *node_subpath_bind(struct node_pod *p, const char *vol, const char *sub, const char *volume,
                        const char *container, size_t index, char **ret_err);
/* Whether some token of p needs refreshing now (80 % of its lifetime, or 24 h). */
bool node_tokens_need_refresh(struct node_pod *p, int64_t now);
void node_tokens_free(struct node_token *t);
/* Whether the volume of p is one the agent writes (secret, configMap, downwardAPI, projected):
 * kubelet mounts those read-only whatever the volumeMount says (their plugins' ReadOnly
 * attribute), so a container can never change what the agent reads back and removes. */
bool node_volume_read_only(struct node_pod *p, const char *volume);
/* The host path a volume of p is mounted from, or NULL (unknown volume). malloc'd. */
char *node_volume_source(struct node_agent *a, struct node_pod *p, const char *volume);
/* Writes the payload files into dir with the `..data` scheme (spec/03 §3.4). files is an
 * object path -> {"data": base64 or "text": string, "mode": int}. Returns 0 or -errno. */
int node_atomic_write(const char *dir, json_t *files, char **ret_err);
/* rm -rf without following symlinks or crossing mount points. */
void node_remove_tree(const char *path);
/* mkdir -p with mode for created components. Returns 0 or -errno. */
int node_mkdir_p(const char *path, mode_t mode);
/* A downward-API field of the pod (metadata.name, metadata.labels['k'], ...) or NULL;
 * status.podIP(s) is pod_ip (else the pod's status.podIP, else ""), status.hostIP(s) the node's. */
char *node_field_ref(struct node_agent *a, json_t *pod, const char *pod_ip, const char *field_path);
/* Reads a key of a ConfigMap (secret = false) or Secret (decoded) in ns. NULL if absent. */
char *node_object_key(struct node_agent *a, const char *ns, bool secret, const char *name,
                      const char *key, size_t *ret_len);

/* runner.c: sets up p's sandbox (namespaces, CNI) if not yet, on a thread of its own
 * (p->sandbox_job); false while it is not ready (p->sandbox_error says why after a failure). */
bool node_sandbox_ensure(struct node_agent *a, struct node_pod *p);
/* Whether p's sandbox set-up has finished on its thread (node_sandbox_ensure takes it in). */
bool node_sandbox_poll(struct node_pod *p);
/* Removes container c's runtime state and bundle (its process must have exited); c->cid
 * stays for the status. Idempotent. */
void node_container_cleanup(struct node_agent *a, struct node_container *c);
/* Lets an in-flight image pull of c finish on its own (c is going away). */
void node_container_abandon_pull(struct node_container *c);
/* Every container's cleanup, then the sandbox's (CNI DEL, namespaces). */
void node_pod_teardown(struct node_agent *a, struct node_pod *p);
/* Start-up: kills and deletes what a previous agent left in the runtime, unmounts its pods'
 * rootfs, volumes and namespaces (CNI DEL). Pods still bound here are set up again. */
void node_sweep(struct node_agent *a);
/* Why this host cannot run pods isolated (malloc'd), or NULL when it can. */
char *node_isolation_check(struct node_agent *a);

/* node.c: records a kubelet Event about pod p (source component "kubelet"; through the
 * controllers' event recorder: spam filter, aggregation, dedup). type "Normal"/"Warning". */
void node_event(struct node_pod *p, const char *type, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* node.c: the scheduler's filters for pod on node (NodeUnschedulable, TaintToleration, in
 * that order): NULL when the pod fits, else the first failing filter's reason, e.g.
 * "node(s) were unschedulable" (malloc'd). */
char *node_sched_filter(json_t *node, json_t *pod);

/* node.c: sets c's state with its reason and message (copied; NULL: none). */
void node_container_set(struct node_container *c, enum node_cstate st, const char *reason,
                        const char *message);

/* node.c: the node's memory (MemTotal of /proc/meminfo) in bytes; 0 when unknown. */
int64_t node_memory_bytes(void);

/* runner.c: starts container c of p. The runtime runs on its own thread: c->starting is set
 * and c waits as ContainerCreating until node_container_start_poll() finds it done. Config
 * and image failures leave it waiting (CreateContainerError, ErrImagePull, ...) at once. */
void node_container_start(struct node_agent *a, struct node_pod *p, struct node_container *c);
/* Finishes a start in flight (waits for it if wait): then c->pid and c->state = RUNNING, or
 * terminated (StartError, exit code 128). Returns false while it is still running. */
bool node_container_start_poll(struct node_container *c, bool wait);
/* Ends a start in flight that has not finished: SIGKILL to every process already in the
 * container's cgroup (the runtime's init, blocked in the image's files, say: a FIFO for
 * /etc/group keeps `runc run` waiting for ever), so the runtime returns and the next poll
 * reports a StartError. For a pod being deleted and for the agent's stop, which wait for
 * starts in flight. Idempotent; nothing when no start is in flight. */
void node_container_start_abort(struct node_pod *p, struct node_container *c);
/* Kills a start in flight (node_container_start_abort until it ends) and joins it: the agent's
 * stop, which must not wait for ever on a runc init blocked in the image (a FIFO at
 * /etc/group). */
void node_container_start_kill(struct node_pod *p, struct node_container *c);
void node_strv_free(char **v);
/* Closes c's stdin pipe and terminal master (the run ended). Idempotent. */
void node_container_close_stdio(struct node_container *c);

#endif
