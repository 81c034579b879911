/* rbac_int.h — state shared by the RBAC module's files (rbac.c, rbac_escalation.c,
 * impersonation.c, reviews.c). Not for use outside src/authz/. */
#ifndef ANZEN_AUTHZ_RBAC_INT_H
#define ANZEN_AUTHZ_RBAC_INT_H

#include <stdbool.h>
#include "registry/apiserver.h"
#include "authz/rbac_index.h"

struct rbac_state {
    struct apiserver *srv;
    struct rbac_index *index;
};

/* The module's state (NULL before rbac_init). */
extern struct rbac_state *rbac__state;

/* The admission plugin that refuses privilege escalation (rbac_escalation.c). */
extern const struct admission_plugin rbac__escalation_plugin;


/* Whether user u may do verb on (group, resource, ns, name) per the full authorizer chain. */
bool rbac__authorized(struct apiserver *srv, const struct user_info *u, const char *verb,
                      const char *group, const char *resource, const char *subresource,
                      const char *ns, const char *name, char **ret_reason);

#endif
