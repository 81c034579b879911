/* rbac.c — placeholder until the RBAC module lands: installs nothing, impersonates nobody. */
#include "authz/rbac.h"

int rbac_init(struct apiserver *srv, char **ret_err)
{
    (void)srv;
    (void)ret_err;
    return 0;
}

int rbac_impersonate(struct apiserver *srv, const struct user_info *requester,
                     json_t *(*get_header)(void *ctx, const char *name),
                     json_t *(*header_names)(void *ctx), void *ctx, struct user_info *ret,
                     json_t **ret_status)
{
    (void)srv;
    (void)requester;
    (void)get_header;
    (void)header_names;
    (void)ctx;
    (void)ret;
    (void)ret_status;
    return 0;
}
