/* exec.c — placeholder until WebSocket exec lands: answers 400. */
#include "api/status.h"
#include "http/exec.h"

int http_exec_handle(h2o_req_t *req, const char *ns, const char *pod, const struct query *q,
                     json_t **ret_status)
{
    (void)req;
    (void)ns;
    (void)pod;
    (void)q;
    *ret_status = status_bad_request("Upgrade request required");
    return AZ_EBADREQUEST;
}
