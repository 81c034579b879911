/* node.h — the node agent (kubelet's role, for the seed's needs): pods bound to this node run
 * in containers (an OCI runtime, runc, with bundles from the node's image store; a sandbox of
 * shared net/IPC/UTS namespaces per pod on a CNI bridge; securityContext honoured), with
 * their volumes projected (ServiceAccount tokens through the TokenRequest
 * API, refreshed at 80 % of their lifetime; the `..data` symlink swap), status reported
 * (Pending → Running → Succeeded/Failed), logs kept for `kubectl logs`, and processes killed
 * when their pod goes away. `anzen serve` embeds one agent unless --no-node; a scheduler
 * controller binds unassigned pods to it. */
#ifndef ANZEN_NODE_NODE_H
#define ANZEN_NODE_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "node/logs.h"
#include "registry/apiserver.h"

struct st_h2o_evloop_t;

struct node_config {
    const char *name;      /* Node object name, e.g. the host name */
    const char *root_dir;  /* agent state: DATA_DIR/node (pod dirs, volumes, logs) */
    const char *api_host;  /* what pods see as KUBERNETES_SERVICE_HOST: the bridge's address */
    const char *host_api_host; /* ... hostNetwork pods: an address anzen listens on */
    int api_port;          /* the API server's port (KUBERNETES_SERVICE_PORT and _443_TCP_PORT) */
    const char *runtime;   /* OCI runtime: "runc" (PATH) or a path */
    const char *image_dir; /* the image store (image.h) */
    const char *pod_cidr;  /* IPv4 pod CIDR of this node, e.g. "10.88.0.0/24" */
    const char *cni_dir;   /* CNI plugins, /usr/lib/cni */
    struct st_h2o_evloop_t *loop; /* the event loop the HTTP server runs (cmd/serve.c) */
};

/* Registers the Node object, starts the scheduler and the agent on srv's event loop.
 * Returns 0, or a negative code with *ret_err (malloc'd). */
int node_start(struct apiserver *srv, const struct node_config *cfg, char **ret_err);
/* Kills every pod process (server shutdown). */
void node_stop(void);

/* `kubectl logs` options (pods/log query parameters). */
struct node_log_opts {
    const char *container; /* NULL or "": the only container */
    int64_t tail_lines;    /* < 0: all */
    int64_t limit_bytes;   /* <= 0: no limit; else at most this many bytes (from the start) */
    bool previous;         /* the run before the current one (after a restart) */
    bool timestamps;       /* each line prefixed with its RFC3339Nano time */
    bool has_since;
    int64_t since_ns;      /* with has_since: lines logged before this time are left out */
    /* follow (`kubectl logs -f`): with the current run still running, follow_fn gets every
     * record written from now on and NULL when the run ends (logs.h); NULL: no following */
    node_log_follow_fn follow_fn;
    void *follow_arg;
};

/* `kubectl logs`: the log of a container of a pod running here. On success *ret_log
 * (malloc'd) and *ret_len; with o->follow_fn, *ret_follower is the follower of the current
 * run (node_log_unfollow), or NULL when the run is over (or --previous): nothing follows.
 * Errors: AZ_ENOTFOUND / AZ_EBADREQUEST with *ret_err (malloc'd) holding upstream's message. */
int node_pod_log(const char *ns, const char *pod, const struct node_log_opts *o, char **ret_log,
                 size_t *ret_len, struct node_log_follower **ret_follower, char **ret_err);

/* `kubectl exec`: starts argv in a running container (`runc exec`: its namespaces, user,
 * environment, working directory, capabilities and seccomp). Returns pipes (stdin may be -1 if
 * !want_stdin) and the pid to reap. tty: the process gets a terminal; *ret_stdout (and
 * *ret_stdin) are then its pty master and *ret_stderr is at EOF at once. */
int node_exec(const char *ns, const char *pod, const char *container, char *const argv[],
              bool want_stdin, bool tty, int *ret_stdin, int *ret_stdout, int *ret_stderr,
              pid_t *ret_pid, char **ret_err);

/* `kubectl attach` to a container's main process. */
struct node_attach {
    struct node_log_pipe *log; /* tapped (fn gets the live output; EOF ends it), NULL if ended */
    bool ended;                /* the container is not running: send replay, then finish */
    bool tty;                  /* the container has a terminal (output on one stream) */
    int stdin_fd;              /* want_stdin and the container has stdin: a dup of its write end
                                * (or terminal master), else -1; the caller closes it */
    int tty_fd;                /* tty: a dup of the terminal's master (resizes), else -1 */
    char *replay;              /* output written before (malloc'd) or NULL: see node_attach */
    size_t replay_len;
    char cid[128];             /* the run attached to, for node_attach_stdin_closed */
};

/* Attaches to container (NULL/"": the first app container) of a pod running here: taps its
 * output (fn(arg, ...) as logs.h's node_log_pipe_tap; untap with node_log_pipe_untap(ret->log,
 * arg) before EOF) and hands out its stdin. The first attach to a `stdinOnce` container (what
 * `kubectl run -i` creates) also gets what the run wrote before (ret->replay), and works on a
 * run that already ended (ret->ended). Errors: AZ_EBADREQUEST with *ret_err (upstream's words). */
int node_attach(const char *ns, const char *pod, const char *container, bool want_stdin,
                node_log_tap_fn fn, void *arg, struct node_attach *ret, char **ret_err);
/* The attach session on run cid closed its stdin: a stdinOnce container's stdin ends (EOF). */
void node_attach_stdin_closed(const char *cid);

/* `kubectl port-forward`: the network namespace file of a pod running here (*ret_netns, NULL
 * for a hostNetwork pod: the node's) and the id its sandbox is known by (its UID), both
 * malloc'd. Errors: AZ_EBADREQUEST with *ret_err. */
int node_pod_netns(const char *ns, const char *pod, char **ret_netns, char **ret_sandbox_id, char **ret_err);

#endif
