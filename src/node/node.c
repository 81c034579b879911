/* node.c — placeholder until the node agent lands: no node, no logs, no exec. */
#include <stdlib.h>
#include "node/node.h"
#include "util/buf.h"
#include "util/err.h"

int node_start(struct apiserver *srv, const struct node_config *cfg, char **ret_err)
{
    (void)srv;
    (void)cfg;
    (void)ret_err;
    return 0;
}

void node_stop(void)
{
}

int node_pod_log(const char *ns, const char *pod, const char *container, int64_t tail_lines,
                 char **ret_log, size_t *ret_len, char **ret_err)
{
    *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
    return AZ_EBADREQUEST;
}

int node_exec(const char *ns, const char *pod, const char *container, char *const argv[],
              bool want_stdin, int *ret_stdin, int *ret_stdout, int *ret_stderr, pid_t *ret_pid,
              char **ret_err)
{
    *ret_err = xasprintf("pod %s/%s is not running on this node", ns, pod);
    return AZ_EBADREQUEST;
}
