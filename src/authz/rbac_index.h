/* rbac_index.h — the RBAC decision index: Roles, ClusterRoles, RoleBindings and
 * ClusterRoleBindings folded into a map keyed by subject, published as immutable,
 * reference-counted snapshots (spec/08 §8.3–8.4; threads: docs/internals/threads.md).
 *
 * KEYS (one persistent hash map, PMAP_SHARDS copy-on-write shards):
 *   "C" <subject>                 grants of ClusterRoleBindings naming <subject>
 *   "N" <ns> "\x01" <subject>     grants of RoleBindings in <ns> naming <subject>
 *   "R" <ns> "\x01" <name>        compiled rules of Role <ns>/<name>
 *   "K" <name>                    compiled rules of ClusterRole <name>
 *   "B" <r|c> <ns> "\x01" <name>  which grant keys a binding contributed (for updates)
 *   <subject> = "u:" <user name> | "g:" <group name>; a ServiceAccount subject is the user
 *   "system:serviceaccount:<ns>:<name>" (ns = subject namespace, else the binding's).
 * A grant = one (binding, matching subject position, roleRef) with its precomputed allow
 * reason. A decision looks up at most 2 × (1 + groups) keys: never all bindings.
 *
 * WRITERS (one thread at a time: the watch-cache sink delivering RBAC objects, under the
 * biglock) change a private working map: each put/delete rebuilds only the touched shards.
 * rbac_index_publish() makes the working map the current snapshot (an atomic pointer swap).
 * READERS call rbac_index_acquire() (atomic load + reference inside an epoch read section,
 * util/epoch.h) and never lock; the writer's reference on a replaced snapshot is dropped
 * through epoch_retire(), so a reader racing with the swap still takes its reference on a
 * live snapshot, and the snapshot is freed when its last reader releases it.
 *
 * THREADS: rbac_index_acquire(), rbac_snapshot_release() and every rbac_snapshot_* query may
 * be called from any thread without the biglock, concurrently with the writer; a snapshot
 * never changes, so a decision sees one consistent policy. rbac_index_put/_delete/_publish
 * are the writer's: one thread at a time (the biglock, or the caller's own exclusion);
 * rbac_index_new/_free: no other user. */
#ifndef ANZEN_AUTHZ_RBAC_INDEX_H
#define ANZEN_AUTHZ_RBAC_INDEX_H

#include <jansson.h>
#include <stdint.h>
#include "authz/authz.h"
#include "authz/rbac_rules.h"

enum rbac_kind { RBAC_ROLE, RBAC_CLUSTER_ROLE, RBAC_ROLE_BINDING, RBAC_CLUSTER_ROLE_BINDING };

struct rbac_index;
struct rbac_snapshot;

struct rbac_index *rbac_index_new(void);
void rbac_index_free(struct rbac_index *ix);

/* Adds or replaces a stored object of the given kind (metadata.name/namespace identify it). */
void rbac_index_put(struct rbac_index *ix, enum rbac_kind kind, json_t *obj);
/* Removes an object. Absent objects are ignored. */
void rbac_index_delete(struct rbac_index *ix, enum rbac_kind kind, const char *ns,
                       const char *name);
/* Makes everything put/deleted so far visible to readers. */
void rbac_index_publish(struct rbac_index *ix);

/* The current snapshot with a reference (release with rbac_snapshot_release). */
struct rbac_snapshot *rbac_index_acquire(struct rbac_index *ix);
void rbac_snapshot_release(struct rbac_snapshot *s);

/* RBAC's decision for a: AUTHZ_ALLOW or AUTHZ_NO_OPINION (never DENY). When ret_reason is
 * not NULL it gets the malloc'd reason (allow text, "RBAC: <errs>" or NULL). */
enum authz_decision rbac_snapshot_authorize(const struct rbac_snapshot *s,
                                            const struct authz_attrs *a, char **ret_reason);

/* Upstream RulesFor: the rules of every binding matching u — ClusterRoleBindings, then the
 * RoleBindings of ns when ns is non-empty — appended to ret. Role-resolution errors go to
 * *ret_errors as upstream's aggregate text (NULL when none). */
void rbac_snapshot_rules_for(const struct rbac_snapshot *s, const struct user_info *u,
                             const char *ns, struct rbac_rules *ret, char **ret_errors);

/* Rules of a Role (kind "Role", in ns) or ClusterRole ("ClusterRole"), appended to ret.
 * AZ_ENOTFOUND when absent, AZ_EINVALID for another kind. */
int rbac_snapshot_role_rules(const struct rbac_snapshot *s, const char *kind, const char *ns,
                             const char *name, struct rbac_rules *ret);

#endif
