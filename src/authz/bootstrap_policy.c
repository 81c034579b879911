/* bootstrap_policy.c — upstream kube-apiserver v1.32's default RBAC objects as data
 * (spec/09-bootstrap-policy.md): every default ClusterRole (aggregated admin/edit/view and the
 * system:aggregate-to-* roles, system:* roles, the system:controller:* roles of
 * kube-controller-manager), every ClusterRoleBinding, and the Roles/RoleBindings in
 * kube-system and kube-public, with the default feature gates of v1.32.
 *
 * The policy is one declarative table of rows, read top to bottom:
 *
 *   row                               meaning
 *   CLUSTER_ROLE(name)                starts a ClusterRole
 *   CONTROLLER_ROLE(ctrl)             starts ClusterRole "system:controller:<ctrl>" and adds the
 *                                     ClusterRoleBinding of the same name to ServiceAccount
 *                                     kube-system/<ctrl> (upstream binds every controller role so)
 *   ROLE(namespace, name)             starts a Role
 *   LABEL(key)                        adds label key: "true" to the current role
 *   AGGREGATE(key)                    adds an aggregationRule selector matchLabels {key: "true"};
 *                                     an aggregated role's bootstrap rules are null (spec 09 §9.3:
 *                                     the aggregation controller fills them)
 *   RULE(verbs, groups, resources)    a resource rule
 *   RULE_NAMED(v, g, r, names)        a resource rule restricted to resourceNames
 *   URLS(verbs, urls)                 a nonResourceURLs rule
 *   EVENTS_RULE                       create/patch/update events in "" and events.k8s.io
 *   CLUSTER_BINDING(name, role)       starts a ClusterRoleBinding to ClusterRole <role>
 *   ROLE_BINDING(namespace, name, role)  starts a RoleBinding to Role <role> in <namespace>
 *   USER(name) / GROUP(name)          adds a subject with apiGroup rbac.authorization.k8s.io
 *   SERVICE_ACCOUNT(namespace, name)  adds a ServiceAccount subject (no apiGroup)
 *
 * Lists are space-separated and written in the order upstream stores them (upstream's rule
 * builder sorts verbs, apiGroups, resources, resourceNames and nonResourceURLs); the token
 * '' stands for the core API group "". Every object gets label
 * kubernetes.io/bootstrapping=rbac-defaults and annotation
 * rbac.authorization.kubernetes.io/autoupdate="true" (spec 09 §9.1).
 *
 * Rules upstream adds only behind feature gates that are off by default in v1.32 (DRA,
 * ClusterTrustBundle, MultiCIDRServiceAllocator, VolumeAttributesClass, StorageVersionAPI,
 * StorageVersionMigrator, SELinuxChangePolicy, ...) are left out. */
#include "authz/bootstrap_policy.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum bootstrap_op {
    BP_CLUSTER_ROLE,     /* a = name */
    BP_CONTROLLER_ROLE,  /* a = controller name, without the system:controller: prefix */
    BP_ROLE,             /* a = namespace, b = name */
    BP_LABEL,            /* a = label key, value "true" */
    BP_AGGREGATE,        /* a = label key of a clusterRoleSelector */
    BP_RULE,             /* a = verbs, b = apiGroups, c = resources, d = resourceNames or NULL */
    BP_URLS,             /* a = verbs, b = nonResourceURLs */
    BP_CLUSTER_BINDING,  /* a = name, b = ClusterRole name */
    BP_ROLE_BINDING,     /* a = namespace, b = name, c = Role name */
    BP_USER,             /* a = user name */
    BP_GROUP,            /* a = group name */
    BP_SERVICE_ACCOUNT,  /* a = namespace, b = name */
};

/* One row of the policy table; the meaning of a..d depends on op (see above). */
struct bootstrap_row {
    enum bootstrap_op op;
    const char *a, *b, *c, *d;
};

#define CLUSTER_ROLE(name) {BP_CLUSTER_ROLE, name}
#define CONTROLLER_ROLE(ctrl) {BP_CONTROLLER_ROLE, ctrl}
#define ROLE(ns, name) {BP_ROLE, ns, name}
#define LABEL(key) {BP_LABEL, key}
#define AGGREGATE(key) {BP_AGGREGATE, key}
#define RULE(verbs, groups, resources) {BP_RULE, verbs, groups, resources, NULL}
#define RULE_NAMED(verbs, groups, resources, names) {BP_RULE, verbs, groups, resources, names}
#define URLS(verbs, urls) {BP_URLS, verbs, urls}
#define EVENTS_RULE RULE("create patch update", "'' events.k8s.io", "events")
#define CLUSTER_BINDING(name, role) {BP_CLUSTER_BINDING, name, role}
#define ROLE_BINDING(ns, name, role) {BP_ROLE_BINDING, ns, name, role}
#define USER(name) {BP_USER, name}
#define GROUP(name) {BP_GROUP, name}
#define SERVICE_ACCOUNT(ns, name) {BP_SERVICE_ACCOUNT, ns, name}

#define AGG_ADMIN "rbac.authorization.k8s.io/aggregate-to-admin"
#define AGG_EDIT "rbac.authorization.k8s.io/aggregate-to-edit"
#define AGG_VIEW "rbac.authorization.k8s.io/aggregate-to-view"
#define MUTATE "create delete deletecollection patch update"
#define READ "get list watch"

/* The v1.32 default policy, in the order upstream creates it. */
static const struct bootstrap_row bootstrap_rows[] = {
    /* ---- ClusterRoles (spec 09 §9.3), by name */
    CLUSTER_ROLE("admin"),
    AGGREGATE(AGG_ADMIN),
    CLUSTER_ROLE("cluster-admin"),
    RULE("*", "*", "*"),
    URLS("*", "*"),
    CLUSTER_ROLE("edit"),
    LABEL(AGG_ADMIN),
    AGGREGATE(AGG_EDIT),
    CLUSTER_ROLE("system:aggregate-to-admin"),
    LABEL(AGG_ADMIN),
    RULE("create", "authorization.k8s.io", "localsubjectaccessreviews"),
    RULE("create delete deletecollection get list patch update watch", "rbac.authorization.k8s.io",
        "rolebindings roles"),
    CLUSTER_ROLE("system:aggregate-to-edit"),
    LABEL(AGG_EDIT),
    RULE(READ, "''", "pods/attach pods/exec pods/portforward pods/proxy secrets services/proxy"),
    RULE("impersonate", "''", "serviceaccounts"),
    RULE(MUTATE, "''", "pods pods/attach pods/exec pods/portforward pods/proxy"),
    RULE("create", "''", "pods/eviction"),
    RULE(MUTATE, "''",
        "configmaps events persistentvolumeclaims replicationcontrollers "
        "replicationcontrollers/scale secrets serviceaccounts services services/proxy"),
    RULE("create", "''", "serviceaccounts/token"),
    RULE(MUTATE, "apps",
        "daemonsets deployments deployments/rollback deployments/scale replicasets "
        "replicasets/scale statefulsets statefulsets/scale"),
    RULE(MUTATE, "autoscaling", "horizontalpodautoscalers"),
    RULE(MUTATE, "batch", "cronjobs jobs"),
    RULE(MUTATE, "extensions",
        "daemonsets deployments deployments/rollback deployments/scale ingresses "
        "networkpolicies replicasets replicasets/scale replicationcontrollers/scale"),
    RULE(MUTATE, "policy", "poddisruptionbudgets"),
    RULE(MUTATE, "networking.k8s.io", "ingresses networkpolicies"),
    RULE("create delete deletecollection get list patch update watch", "coordination.k8s.io",
        "leases"),
    CLUSTER_ROLE("system:aggregate-to-view"),
    LABEL(AGG_VIEW),
    RULE(READ, "''",
        "configmaps endpoints persistentvolumeclaims persistentvolumeclaims/status pods "
        "replicationcontrollers replicationcontrollers/scale serviceaccounts services "
        "services/status"),
    RULE(READ, "''",
        "bindings events limitranges namespaces/status pods/log pods/status "
        "replicationcontrollers/status resourcequotas resourcequotas/status"),
    RULE(READ, "''", "namespaces"),
    RULE(READ, "discovery.k8s.io", "endpointslices"),
    RULE(READ, "apps",
        "controllerrevisions daemonsets daemonsets/status deployments deployments/scale "
        "deployments/status replicasets replicasets/scale replicasets/status statefulsets "
        "statefulsets/scale statefulsets/status"),
    RULE(READ, "autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status"),
    RULE(READ, "batch", "cronjobs cronjobs/status jobs jobs/status"),
    RULE(READ, "extensions",
        "daemonsets daemonsets/status deployments deployments/scale deployments/status "
        "ingresses ingresses/status networkpolicies replicasets replicasets/scale "
        "replicasets/status replicationcontrollers/scale"),
    RULE(READ, "policy", "poddisruptionbudgets poddisruptionbudgets/status"),
    RULE(READ, "networking.k8s.io", "ingresses ingresses/status networkpolicies"),
    CLUSTER_ROLE("system:auth-delegator"),
    RULE("create", "authentication.k8s.io", "tokenreviews"),
    RULE("create", "authorization.k8s.io", "subjectaccessreviews"),
    CLUSTER_ROLE("system:basic-user"),
    RULE("create", "authorization.k8s.io", "selfsubjectaccessreviews selfsubjectrulesreviews"),
    RULE("create", "authentication.k8s.io", "selfsubjectreviews"),
    CLUSTER_ROLE("system:certificates.k8s.io:certificatesigningrequests:nodeclient"),
    RULE("create", "certificates.k8s.io", "certificatesigningrequests/nodeclient"),
    CLUSTER_ROLE("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"),
    RULE("create", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient"),
    CLUSTER_ROLE("system:certificates.k8s.io:kube-apiserver-client-approver"),
    RULE_NAMED("approve", "certificates.k8s.io", "signers", "kubernetes.io/kube-apiserver-client"),
    CLUSTER_ROLE("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver"),
    RULE_NAMED("approve", "certificates.k8s.io", "signers",
        "kubernetes.io/kube-apiserver-client-kubelet"),
    CLUSTER_ROLE("system:certificates.k8s.io:kubelet-serving-approver"),
    RULE_NAMED("approve", "certificates.k8s.io", "signers", "kubernetes.io/kubelet-serving"),
    CLUSTER_ROLE("system:certificates.k8s.io:legacy-unknown-approver"),
    RULE_NAMED("approve", "certificates.k8s.io", "signers", "kubernetes.io/legacy-unknown"),
    CLUSTER_ROLE("system:discovery"),
    URLS("get",
        "/api /api/* /apis /apis/* /healthz /livez /openapi /openapi/* /readyz /version "
        "/version/"),
    CLUSTER_ROLE("system:heapster"),
    RULE(READ, "''", "events namespaces nodes pods"),
    RULE(READ, "extensions", "deployments"),
    CLUSTER_ROLE("system:kube-aggregator"),
    RULE(READ, "''", "endpoints services"),
    CLUSTER_ROLE("system:kube-controller-manager"),
    EVENTS_RULE,
    RULE("create", "coordination.k8s.io", "leases"),
    RULE_NAMED("get update", "coordination.k8s.io", "leases", "kube-controller-manager"),
    RULE("create", "''", "secrets serviceaccounts"),
    RULE("delete", "''", "secrets"),
    RULE("get", "''", "configmaps namespaces secrets serviceaccounts"),
    RULE("update", "''", "secrets serviceaccounts"),
    RULE("create", "authentication.k8s.io", "tokenreviews"),
    RULE("create", "authorization.k8s.io", "subjectaccessreviews"),
    RULE("list watch", "*", "*"),
    RULE("create", "''", "serviceaccounts/token"),
    CLUSTER_ROLE("system:kube-dns"),
    RULE("list watch", "''", "endpoints services"),
    CLUSTER_ROLE("system:kube-scheduler"),
    EVENTS_RULE,
    RULE("create", "coordination.k8s.io", "leases"),
    RULE_NAMED("get list update watch", "coordination.k8s.io", "leases", "kube-scheduler"),
    RULE("create delete deletecollection get list patch update watch", "coordination.k8s.io",
        "leasecandidates"),
    RULE(READ, "''", "nodes"),
    RULE("delete get list watch", "''", "pods"),
    RULE("create", "''", "bindings pods/binding"),
    RULE("patch update", "''", "pods/status"),
    RULE(READ, "''", "replicationcontrollers services"),
    RULE(READ, "apps extensions", "replicasets"),
    RULE(READ, "apps", "statefulsets"),
    RULE(READ, "policy", "poddisruptionbudgets"),
    RULE(READ, "''", "persistentvolumeclaims persistentvolumes"),
    RULE("create", "authentication.k8s.io", "tokenreviews"),
    RULE("create", "authorization.k8s.io", "subjectaccessreviews"),
    RULE(READ, "storage.k8s.io", "csinodes"),
    RULE(READ, "storage.k8s.io", "volumeattachments"),
    RULE(READ, "''", "namespaces"),
    RULE(READ, "storage.k8s.io", "csidrivers"),
    RULE(READ, "storage.k8s.io", "csistoragecapacities"),
    CLUSTER_ROLE("system:kubelet-api-admin"),
    RULE(READ, "''", "nodes"),
    RULE("proxy", "''", "nodes"),
    RULE("*", "''", "nodes/log nodes/metrics nodes/proxy nodes/stats"),
    CLUSTER_ROLE("system:monitoring"),
    URLS("get", "/healthz /healthz/* /livez /livez/* /metrics /metrics/slis /readyz /readyz/*"),
    CLUSTER_ROLE("system:node"),
    RULE("create", "authentication.k8s.io", "tokenreviews"),
    RULE("create", "authorization.k8s.io", "localsubjectaccessreviews subjectaccessreviews"),
    RULE(READ, "''", "services"),
    RULE("create get list watch", "''", "nodes"),
    RULE("patch update", "''", "nodes/status"),
    RULE("patch update", "''", "nodes"),
    RULE("create patch update", "''", "events"),
    RULE(READ, "''", "pods"),
    RULE("create delete", "''", "pods"),
    RULE("patch update", "''", "pods/status"),
    RULE("create", "''", "pods/eviction"),
    RULE(READ, "''", "configmaps secrets"),
    RULE("get", "''", "persistentvolumeclaims persistentvolumes"),
    RULE("get", "''", "endpoints"),
    RULE("create get list watch", "certificates.k8s.io", "certificatesigningrequests"),
    RULE("create delete get patch update", "coordination.k8s.io", "leases"),
    RULE("get", "storage.k8s.io", "volumeattachments"),
    RULE("create", "''", "serviceaccounts/token"),
    RULE("get patch update", "''", "persistentvolumeclaims/status"),
    RULE(READ, "storage.k8s.io", "csidrivers"),
    RULE("create delete get patch update", "storage.k8s.io", "csinodes"),
    RULE(READ, "node.k8s.io", "runtimeclasses"),
    CLUSTER_ROLE("system:node-bootstrapper"),
    RULE("create get list watch", "certificates.k8s.io", "certificatesigningrequests"),
    CLUSTER_ROLE("system:node-problem-detector"),
    RULE("get", "''", "nodes"),
    RULE("patch", "''", "nodes/status"),
    EVENTS_RULE,
    CLUSTER_ROLE("system:node-proxier"),
    RULE("list watch", "''", "endpoints services"),
    RULE(READ, "''", "nodes"),
    EVENTS_RULE,
    RULE("list watch", "discovery.k8s.io", "endpointslices"),
    CLUSTER_ROLE("system:persistent-volume-provisioner"),
    RULE("create delete get list watch", "''", "persistentvolumes"),
    RULE("get list update watch", "''", "persistentvolumeclaims"),
    RULE(READ, "storage.k8s.io", "storageclasses"),
    RULE("watch", "''", "events"),
    EVENTS_RULE,
    CLUSTER_ROLE("system:public-info-viewer"),
    URLS("get", "/healthz /livez /readyz /version /version/"),
    CLUSTER_ROLE("system:service-account-issuer-discovery"),
    URLS("get",
        "/.well-known/openid-configuration /.well-known/openid-configuration/ /openid/v1/jwks "
        "/openid/v1/jwks/"),
    CLUSTER_ROLE("system:volume-scheduler"),
    RULE("get list patch update watch", "''", "persistentvolumes"),
    RULE(READ, "storage.k8s.io", "storageclasses"),
    RULE("get list patch update watch", "''", "persistentvolumeclaims"),
    CLUSTER_ROLE("view"),
    LABEL(AGG_EDIT),
    AGGREGATE(AGG_VIEW),
    /* ---- controller roles of kube-controller-manager (spec 09 §9.3), each bound to its
     * ServiceAccount in kube-system; gated ones that v1.32 leaves off are omitted */
    CONTROLLER_ROLE("attachdetach-controller"),
    RULE("list watch", "''", "persistentvolumeclaims persistentvolumes"),
    RULE(READ, "''", "nodes"),
    RULE("patch update", "''", "nodes/status"),
    RULE("list watch", "''", "pods"),
    EVENTS_RULE,
    RULE("create delete get list watch", "storage.k8s.io", "volumeattachments"),
    RULE(READ, "storage.k8s.io", "csidrivers"),
    RULE(READ, "storage.k8s.io", "csinodes"),
    CONTROLLER_ROLE("clusterrole-aggregation-controller"),
    RULE("escalate get list patch update watch", "rbac.authorization.k8s.io", "clusterroles"),
    CONTROLLER_ROLE("cronjob-controller"),
    RULE("get list update watch", "batch", "cronjobs"),
    RULE("create delete get list patch update watch", "batch", "jobs"),
    RULE("update", "batch", "cronjobs/status"),
    RULE("update", "batch", "cronjobs/finalizers"),
    RULE("delete list watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("daemon-set-controller"),
    RULE(READ, "apps extensions", "daemonsets"),
    RULE("update", "apps extensions", "daemonsets/status"),
    RULE("update", "apps extensions", "daemonsets/finalizers"),
    RULE("list watch", "''", "nodes"),
    RULE("create delete list patch watch", "''", "pods"),
    RULE("create", "''", "pods/binding"),
    RULE("create delete get list patch update watch", "apps", "controllerrevisions"),
    EVENTS_RULE,
    CONTROLLER_ROLE("deployment-controller"),
    RULE("get list update watch", "apps extensions", "deployments"),
    RULE("update", "apps extensions", "deployments/status"),
    RULE("update", "apps extensions", "deployments/finalizers"),
    RULE("create delete get list patch update watch", "apps extensions", "replicasets"),
    RULE("get list update watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("disruption-controller"),
    RULE(READ, "apps extensions", "deployments"),
    RULE(READ, "apps extensions", "replicasets"),
    RULE(READ, "''", "replicationcontrollers"),
    RULE(READ, "policy", "poddisruptionbudgets"),
    RULE(READ, "apps", "statefulsets"),
    RULE("update", "policy", "poddisruptionbudgets/status"),
    RULE("patch update", "''", "pods/status"),
    RULE("get", "*", "*/scale"),
    EVENTS_RULE,
    CONTROLLER_ROLE("endpoint-controller"),
    RULE(READ, "''", "pods services"),
    RULE("create delete get list update watch", "''", "endpoints"),
    RULE("create", "''", "endpoints/restricted"),
    EVENTS_RULE,
    CONTROLLER_ROLE("endpointslice-controller"),
    RULE(READ, "''", "nodes pods services"),
    RULE("update", "''", "services/finalizers"),
    RULE("create delete get list update watch", "discovery.k8s.io", "endpointslices"),
    EVENTS_RULE,
    CONTROLLER_ROLE("endpointslicemirroring-controller"),
    RULE(READ, "''", "endpoints services"),
    RULE("update", "''", "services/finalizers"),
    RULE("update", "''", "endpoints/finalizers"),
    RULE("create delete get list update watch", "discovery.k8s.io", "endpointslices"),
    EVENTS_RULE,
    CONTROLLER_ROLE("expand-controller"),
    RULE("get list patch update watch", "''", "persistentvolumes"),
    RULE("patch update", "''", "persistentvolumeclaims/status"),
    RULE(READ, "''", "persistentvolumeclaims"),
    EVENTS_RULE,
    RULE("get", "''", "services"),
    CONTROLLER_ROLE("ephemeral-volume-controller"),
    RULE(READ, "''", "pods"),
    RULE("update", "''", "pods/finalizers"),
    RULE("create get list watch", "''", "persistentvolumeclaims"),
    EVENTS_RULE,
    CONTROLLER_ROLE("generic-garbage-collector"),
    RULE("delete get list patch update watch", "*", "*"),
    EVENTS_RULE,
    CONTROLLER_ROLE("horizontal-pod-autoscaler"),
    RULE(READ, "autoscaling", "horizontalpodautoscalers"),
    RULE("update", "autoscaling", "horizontalpodautoscalers/status"),
    RULE("get update", "*", "*/scale"),
    RULE("list watch", "''", "pods"),
    RULE("list watch", "metrics.k8s.io", "pods"),
    RULE(READ, "custom.metrics.k8s.io", "*"),
    RULE(READ, "external.metrics.k8s.io", "*"),
    EVENTS_RULE,
    CONTROLLER_ROLE("job-controller"),
    RULE("get list patch update watch", "batch", "jobs"),
    RULE("update", "batch", "jobs/status"),
    RULE("update", "batch", "jobs/finalizers"),
    RULE("create delete list patch watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("namespace-controller"),
    RULE("delete get list watch", "''", "namespaces"),
    RULE("update", "''", "namespaces/finalize namespaces/status"),
    RULE("delete deletecollection get list watch", "*", "*"),
    CONTROLLER_ROLE("node-controller"),
    RULE("delete get list patch update watch", "''", "nodes"),
    RULE("patch update", "''", "nodes/status"),
    RULE("patch update", "''", "pods/status"),
    RULE("delete get list watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("persistent-volume-binder"),
    RULE("create delete get list update watch", "''", "persistentvolumes"),
    RULE("update", "''", "persistentvolumes/status"),
    RULE("get list update watch", "''", "persistentvolumeclaims"),
    RULE("update", "''", "persistentvolumeclaims/status"),
    RULE("create delete get list watch", "''", "pods"),
    RULE(READ, "storage.k8s.io", "storageclasses"),
    RULE("list watch", "''", "nodes"),
    EVENTS_RULE,
    RULE("watch", "''", "events"),
    RULE("get", "''", "services"),
    CONTROLLER_ROLE("pod-garbage-collector"),
    RULE("delete list watch", "''", "pods"),
    RULE(READ, "''", "nodes"),
    RULE("patch", "''", "pods/status"),
    CONTROLLER_ROLE("replicaset-controller"),
    RULE("get list update watch", "apps extensions", "replicasets"),
    RULE("update", "apps extensions", "replicasets/status"),
    RULE("update", "apps extensions", "replicasets/finalizers"),
    RULE("create delete list patch watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("replication-controller"),
    RULE("get list update watch", "''", "replicationcontrollers"),
    RULE("update", "''", "replicationcontrollers/status"),
    RULE("update", "''", "replicationcontrollers/finalizers"),
    RULE("create delete list patch watch", "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("resourcequota-controller"),
    RULE("list watch", "*", "*"),
    RULE("update", "''", "resourcequotas/status"),
    EVENTS_RULE,
    CONTROLLER_ROLE("route-controller"),
    RULE("list watch", "''", "nodes"),
    RULE("patch", "''", "nodes/status"),
    EVENTS_RULE,
    CONTROLLER_ROLE("service-account-controller"),
    RULE("create", "''", "serviceaccounts"),
    EVENTS_RULE,
    CONTROLLER_ROLE("service-controller"),
    RULE(READ, "''", "services"),
    RULE("patch update", "''", "services/status"),
    RULE("list watch", "''", "nodes"),
    EVENTS_RULE,
    CONTROLLER_ROLE("statefulset-controller"),
    RULE("list watch", "''", "pods"),
    RULE(READ, "apps", "statefulsets"),
    RULE("update", "apps", "statefulsets/status"),
    RULE("update", "apps", "statefulsets/finalizers"),
    RULE("create delete get patch update", "''", "pods"),
    RULE("create delete get list patch update watch", "apps", "controllerrevisions"),
    RULE("create get list watch", "''", "persistentvolumeclaims"),
    RULE("delete update", "''", "persistentvolumeclaims"),
    RULE("update", "''", "pods/finalizers"),
    EVENTS_RULE,
    CONTROLLER_ROLE("ttl-controller"),
    RULE("list patch update watch", "''", "nodes"),
    EVENTS_RULE,
    CONTROLLER_ROLE("certificate-controller"),
    RULE("delete get list watch", "certificates.k8s.io", "certificatesigningrequests"),
    RULE("update", "certificates.k8s.io",
        "certificatesigningrequests/approval certificatesigningrequests/status"),
    RULE_NAMED("approve", "certificates.k8s.io", "signers",
        "kubernetes.io/kube-apiserver-client-kubelet"),
    RULE_NAMED("sign", "certificates.k8s.io", "signers",
        "kubernetes.io/kube-apiserver-client kubernetes.io/kube-apiserver-client-kubelet "
        "kubernetes.io/kubelet-serving kubernetes.io/legacy-unknown"),
    RULE("create", "authorization.k8s.io", "subjectaccessreviews"),
    EVENTS_RULE,
    CONTROLLER_ROLE("pvc-protection-controller"),
    RULE("get list update watch", "''", "persistentvolumeclaims"),
    RULE(READ, "''", "pods"),
    EVENTS_RULE,
    CONTROLLER_ROLE("pv-protection-controller"),
    RULE("get list update watch", "''", "persistentvolumes"),
    EVENTS_RULE,
    CONTROLLER_ROLE("ttl-after-finished-controller"),
    RULE("delete get list watch", "batch", "jobs"),
    EVENTS_RULE,
    CONTROLLER_ROLE("root-ca-cert-publisher"),
    RULE("create update", "''", "configmaps"),
    EVENTS_RULE,
    CONTROLLER_ROLE("validatingadmissionpolicy-status-controller"),
    RULE(READ, "admissionregistration.k8s.io", "validatingadmissionpolicies"),
    RULE("get patch update", "admissionregistration.k8s.io", "validatingadmissionpolicies/status"),
    EVENTS_RULE,
    CONTROLLER_ROLE("legacy-service-account-token-cleaner"),
    RULE_NAMED("get", "''", "configmaps", "kube-apiserver-legacy-service-account-token-tracking"),
    RULE("delete patch", "''", "secrets"),
    /* ---- ClusterRoleBindings (spec 09 §9.2); controller bindings come with CONTROLLER_ROLE */
    CLUSTER_BINDING("cluster-admin", "cluster-admin"),
    GROUP("system:masters"),
    CLUSTER_BINDING("system:monitoring", "system:monitoring"),
    GROUP("system:monitoring"),
    CLUSTER_BINDING("system:discovery", "system:discovery"),
    GROUP("system:authenticated"),
    CLUSTER_BINDING("system:basic-user", "system:basic-user"),
    GROUP("system:authenticated"),
    CLUSTER_BINDING("system:public-info-viewer", "system:public-info-viewer"),
    GROUP("system:authenticated"),
    GROUP("system:unauthenticated"),
    CLUSTER_BINDING("system:node-proxier", "system:node-proxier"),
    USER("system:kube-proxy"),
    CLUSTER_BINDING("system:kube-controller-manager", "system:kube-controller-manager"),
    USER("system:kube-controller-manager"),
    CLUSTER_BINDING("system:kube-dns", "system:kube-dns"),
    SERVICE_ACCOUNT("kube-system", "kube-dns"),
    CLUSTER_BINDING("system:kube-scheduler", "system:kube-scheduler"),
    USER("system:kube-scheduler"),
    CLUSTER_BINDING("system:volume-scheduler", "system:volume-scheduler"),
    USER("system:kube-scheduler"),
    /* bound to nobody: nodes are authorized by the Node authorizer (spec 09 §9.2, spec 10) */
    CLUSTER_BINDING("system:node", "system:node"),
    CLUSTER_BINDING("system:service-account-issuer-discovery",
                    "system:service-account-issuer-discovery"),
    GROUP("system:serviceaccounts"),
    /* ---- Roles in kube-public and kube-system (spec 09 §9.4) */
    ROLE("kube-public", "system:controller:bootstrap-signer"),
    RULE(READ, "''", "configmaps"),
    RULE_NAMED("update", "''", "configmaps", "cluster-info"),
    EVENTS_RULE,
    ROLE("kube-system", "extension-apiserver-authentication-reader"),
    RULE_NAMED(READ, "''", "configmaps", "extension-apiserver-authentication"),
    ROLE("kube-system", "system::leader-locking-kube-controller-manager"),
    /* v1.32 still grants the ConfigMap lock (README of reference/bootstrap-policy) */
    RULE("watch", "''", "configmaps"),
    RULE_NAMED("get update", "''", "configmaps", "kube-controller-manager"),
    RULE("create get list update watch", "coordination.k8s.io", "leases"),
    RULE("create get list update watch", "coordination.k8s.io", "leasecandidates"),
    ROLE("kube-system", "system::leader-locking-kube-scheduler"),
    /* v1.32 still grants the ConfigMap lock (README of reference/bootstrap-policy) */
    RULE("watch", "''", "configmaps"),
    RULE_NAMED("get update", "''", "configmaps", "kube-scheduler"),
    RULE("create get list update watch", "coordination.k8s.io", "leases"),
    RULE("create get list update watch", "coordination.k8s.io", "leasecandidates"),
    ROLE("kube-system", "system:controller:bootstrap-signer"),
    RULE(READ, "''", "secrets"),
    ROLE("kube-system", "system:controller:cloud-provider"),
    RULE("create get list watch", "''", "configmaps"),
    ROLE("kube-system", "system:controller:token-cleaner"),
    RULE("delete get list watch", "''", "secrets"),
    EVENTS_RULE,
    /* ---- RoleBindings in kube-public and kube-system (spec 09 §9.4) */
    ROLE_BINDING("kube-public", "system:controller:bootstrap-signer",
                 "system:controller:bootstrap-signer"),
    SERVICE_ACCOUNT("kube-system", "bootstrap-signer"),
    ROLE_BINDING("kube-system", "system::extension-apiserver-authentication-reader",
                 "extension-apiserver-authentication-reader"),
    USER("system:kube-controller-manager"),
    USER("system:kube-scheduler"),
    ROLE_BINDING("kube-system", "system::leader-locking-kube-controller-manager",
                 "system::leader-locking-kube-controller-manager"),
    USER("system:kube-controller-manager"),
    SERVICE_ACCOUNT("kube-system", "kube-controller-manager"),
    SERVICE_ACCOUNT("kube-system", "leader-election-controller"),
    ROLE_BINDING("kube-system", "system::leader-locking-kube-scheduler",
                 "system::leader-locking-kube-scheduler"),
    USER("system:kube-scheduler"),
    SERVICE_ACCOUNT("kube-system", "kube-scheduler"),
    ROLE_BINDING("kube-system", "system:controller:bootstrap-signer",
                 "system:controller:bootstrap-signer"),
    SERVICE_ACCOUNT("kube-system", "bootstrap-signer"),
    ROLE_BINDING("kube-system", "system:controller:cloud-provider",
                 "system:controller:cloud-provider"),
    SERVICE_ACCOUNT("kube-system", "cloud-provider"),
    ROLE_BINDING("kube-system", "system:controller:token-cleaner",
                 "system:controller:token-cleaner"),
    SERVICE_ACCOUNT("kube-system", "token-cleaner"),
};

/* ---- building the JSON objects --------------------------------------------------------- */

#define RBAC_API_VERSION "rbac.authorization.k8s.io/v1"
#define RBAC_GROUP "rbac.authorization.k8s.io"
#define CONTROLLER_PREFIX "system:controller:"

/* A JSON array of the space-separated words of list; the word '' becomes "". */
static json_t *word_array(const char *list)
{
    json_t *arr = json_array();
    const char *p = list;

    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        if (n == 2 && p[0] == '\'' && p[1] == '\'')
            json_array_append_new(arr, json_string(""));
        else
            json_array_append_new(arr, json_stringn(p, n));
        p += n;
    }
    return arr;
}

/* A new object {apiVersion, kind, metadata} with the bootstrap label and annotation;
 * namespace may be NULL. */
static json_t *object_new(const char *kind, const char *namespace, const char *name)
{
    json_t *meta = json_pack("{s:{s:s}, s:{s:s}, s:s}",
                             "annotations", "rbac.authorization.kubernetes.io/autoupdate", "true",
                             "labels", "kubernetes.io/bootstrapping", "rbac-defaults",
                             "name", name);
    if (namespace)
        json_object_set_new(meta, "namespace", json_string(namespace));
    return json_pack("{s:s, s:s, s:o}", "apiVersion", RBAC_API_VERSION, "kind", kind,
                     "metadata", meta);
}

static json_t *role_new(const char *kind, const char *namespace, const char *name)
{
    json_t *role = object_new(kind, namespace, name);
    json_object_set_new(role, "rules", json_array());
    return role;
}

static json_t *binding_new(const char *kind, const char *namespace, const char *name,
                           const char *role_kind, const char *role_name)
{
    json_t *binding = object_new(kind, namespace, name);
    json_object_set_new(binding, "roleRef", json_pack("{s:s, s:s, s:s}", "apiGroup", RBAC_GROUP,
                                                      "kind", role_kind, "name", role_name));
    return binding;
}

/* Appends subject to binding's subjects, creating the list on first use (a binding without
 * subjects has no "subjects" key, as upstream's omitempty). */
static void binding_add_subject(json_t *binding, json_t *subject)
{
    json_t *subjects = json_object_get(binding, "subjects");
    if (!subjects) {
        subjects = json_array();
        json_object_set_new(binding, "subjects", subjects);
    }
    json_array_append_new(subjects, subject);
}

static json_t *rule_new(const struct bootstrap_row *row)
{
    json_t *rule = json_object();

    if (row->op == BP_URLS) {
        json_object_set_new(rule, "nonResourceURLs", word_array(row->b));
    } else {
        json_object_set_new(rule, "apiGroups", word_array(row->b));
        json_object_set_new(rule, "resources", word_array(row->c));
        if (row->d)
            json_object_set_new(rule, "resourceNames", word_array(row->d));
    }
    json_object_set_new(rule, "verbs", word_array(row->a));
    return rule;
}

static void role_add_label(json_t *role, const char *key)
{
    json_t *labels = json_object_get(json_object_get(role, "metadata"), "labels");
    json_object_set_new(labels, key, json_string("true"));
}

/* Adds a clusterRoleSelector {matchLabels: {key: "true"}}; an aggregated role's bootstrap
 * rules are null (upstream stores them so until the aggregation controller fills them). */
static void role_add_aggregation(json_t *role, const char *key)
{
    json_t *rule = json_object_get(role, "aggregationRule");
    if (!rule) {
        rule = json_pack("{s:[]}", "clusterRoleSelectors");
        json_object_set_new(role, "aggregationRule", rule);
    }
    json_array_append_new(json_object_get(rule, "clusterRoleSelectors"),
                          json_pack("{s:{s:s}}", "matchLabels", key, "true"));
    json_object_set_new(role, "rules", json_null());
}

json_t *bootstrap_policy(void)
{
    json_t *cluster_roles = json_array(), *cluster_bindings = json_array();
    json_t *roles = json_array(), *role_bindings = json_array();
    json_t *role = NULL, *binding = NULL; /* the object the rows below its header fill */
    char name[256];

    for (size_t i = 0; i < sizeof bootstrap_rows / sizeof bootstrap_rows[0]; i++) {
        const struct bootstrap_row *row = &bootstrap_rows[i];

        switch (row->op) {
        case BP_CLUSTER_ROLE:
            role = role_new("ClusterRole", NULL, row->a);
            json_array_append_new(cluster_roles, role);
            binding = NULL;
            break;
        case BP_CONTROLLER_ROLE:
            snprintf(name, sizeof name, "%s%s", CONTROLLER_PREFIX, row->a);
            role = role_new("ClusterRole", NULL, name);
            json_array_append_new(cluster_roles, role);
            binding = binding_new("ClusterRoleBinding", NULL, name, "ClusterRole", name);
            binding_add_subject(binding, json_pack("{s:s, s:s, s:s}", "kind", "ServiceAccount",
                                                   "name", row->a, "namespace", "kube-system"));
            json_array_append_new(cluster_bindings, binding);
            binding = NULL;
            break;
        case BP_ROLE:
            role = role_new("Role", row->a, row->b);
            json_array_append_new(roles, role);
            binding = NULL;
            break;
        case BP_LABEL:
            role_add_label(role, row->a);
            break;
        case BP_AGGREGATE:
            role_add_aggregation(role, row->a);
            break;
        case BP_RULE:
        case BP_URLS:
            json_array_append_new(json_object_get(role, "rules"), rule_new(row));
            break;
        case BP_CLUSTER_BINDING:
            binding = binding_new("ClusterRoleBinding", NULL, row->a, "ClusterRole", row->b);
            json_array_append_new(cluster_bindings, binding);
            role = NULL;
            break;
        case BP_ROLE_BINDING:
            binding = binding_new("RoleBinding", row->a, row->b, "Role", row->c);
            json_array_append_new(role_bindings, binding);
            role = NULL;
            break;
        case BP_USER:
        case BP_GROUP:
            binding_add_subject(binding, json_pack("{s:s, s:s, s:s}", "apiGroup", RBAC_GROUP,
                                                   "kind", row->op == BP_USER ? "User" : "Group",
                                                   "name", row->a));
            break;
        case BP_SERVICE_ACCOUNT:
            binding_add_subject(binding, json_pack("{s:s, s:s, s:s}", "kind", "ServiceAccount",
                                                   "name", row->b, "namespace", row->a));
            break;
        }
    }
    return json_pack("{s:o, s:o, s:o, s:o}", "clusterRoles", cluster_roles,
                     "clusterRoleBindings", cluster_bindings, "roles", roles,
                     "roleBindings", role_bindings);
}
