/* bootstrap_policy.c — placeholder until the bootstrap policy data lands: empty policy. */
#include "authz/bootstrap_policy.h"

json_t *bootstrap_policy(void)
{
    return json_pack("{s:[], s:[], s:[], s:[]}", "clusterRoles", "clusterRoleBindings", "roles",
                     "roleBindings");
}
