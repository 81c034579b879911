/* bootstrap_policy.h — upstream v1.32's default RBAC objects (spec/09): ClusterRoles
 * (with aggregation rules and their labels/annotations), ClusterRoleBindings, and the Roles
 * and RoleBindings in kube-system and kube-public, as JSON objects ready to create. */
#ifndef ANZEN_AUTHZ_BOOTSTRAP_POLICY_H
#define ANZEN_AUTHZ_BOOTSTRAP_POLICY_H

#include <jansson.h>

/* A new object {"clusterRoles":[...], "clusterRoleBindings":[...], "roles":[...],
 * "roleBindings":[...]}: full objects with apiVersion, kind and metadata (namespace set for
 * roles/roleBindings), labels kubernetes.io/bootstrapping=rbac-defaults and the annotation
 * rbac.authorization.kubernetes.io/autoupdate=true as upstream sets them. */
json_t *bootstrap_policy(void);

#endif
