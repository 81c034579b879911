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
#include "registry/apiserver.h"

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
};

/* `kubectl logs`: the log of a container of a pod running here. On success *ret_log
 * (malloc'd) and *ret_len. Errors: AZ_ENOTFOUND / AZ_EBADREQUEST with *ret_err (malloc'd)
 * holding upstream's message. */
int node_pod_log(const char *ns, const char *pod, const struct node_log_opts *o, char **ret_log,
                 size_t *ret_len, char **ret_err);

/* `kubectl exec`: starts argv in a running container (`runc exec`: its namespaces, user,
 * environment, working directory, capabilities and seccomp). Returns pipes (stdin may be -1 if
 * !want_stdin) and the pid to reap. tty: the process gets a terminal; *ret_stdout (and
 * *ret_stdin) are then its pty master and *ret_stderr is at EOF at once. */
int node_exec(const char *ns, const char *pod, const char *container, char *const argv[],
              bool want_stdin, bool tty, int *ret_stdin, int *ret_stdout, int *ret_stderr,
              pid_t *ret_pid, char **ret_err);

#endif
