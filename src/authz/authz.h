/* authz.h — the authorization stage: request attributes (upstream authorizer.Attributes),
 * the authorizer chain, and the forbidden message format of spec/06 §6.5. *
 * THREADS: authz_authorize and authz_forbidden_status may be called from any thread without
 * the biglock, provided srv->authorizers is not changed after start-up (cmd/serve.c sets it
 * once) and each authorizer in it is itself safe (Node: node.h; RBAC: rbac.h). */
#ifndef ANZEN_AUTHZ_AUTHZ_H
#define ANZEN_AUTHZ_AUTHZ_H

#include <stdbool.h>
#include "registry/apiserver.h"
#include "machinery/user.h"

struct authz_attrs {
    const struct user_info *user;
    const char *verb;
    bool is_resource;
    const char *ns, *group, *version, *resource, *subresource, *name;
    const char *path; /* non-resource requests */
};

enum authz_decision { AUTHZ_NO_OPINION = 0, AUTHZ_ALLOW = 1, AUTHZ_DENY = 2 };

struct authorizer {
    const char *name;
    /* Returns a decision; *ret_reason may be set (malloc'd) to the reason text. */
    enum authz_decision (*authorize)(void *state, struct apiserver *srv,
                                     const struct authz_attrs *a, char **ret_reason);
    void *state;
};

/* Runs the chain srv->authorizers (system:masters is always allowed first). Returns AUTHZ_ALLOW, AUTHZ_DENY
 * (an authorizer denied) or AUTHZ_NO_OPINION (nobody allowed; callers refuse). *ret_reason
 * gets the joined reasons (may be NULL). */
enum authz_decision authz_authorize(struct apiserver *srv, const struct authz_attrs *a,
                                    char **ret_reason);
/* The full 403 Status for a denied request (message per spec/06 §6.5). */
json_t *authz_forbidden_status(const struct authz_attrs *a, const char *reason);

#endif
