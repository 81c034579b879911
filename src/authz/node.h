/* node.h — the Node authorizer (spec/10 §10.1–10.2; upstream plugin/pkg/auth/authorizer/node):
 * authorizes the requests of nodes — users named system:node:<name> in group system:nodes —
 * and has no opinion on anyone else, so it sits in front of RBAC in the chain
 * (--authorization-mode Node,RBAC).
 *
 *   - secrets, configmaps, persistentvolumeclaims (core): get/list/watch of a named object in
 *     a namespace that a pod bound to the node (spec.nodeName) references: volumes (secret,
 *     configMap, projected, persistentVolumeClaim), env/envFrom of every container, and
 *     imagePullSecrets; else no opinion with upstream's reason;
 *   - serviceaccounts: only create of the token subresource of a service account that a pod
 *     bound to the node runs as;
 *   - coordination.k8s.io leases: get/create/update/patch/delete of the node's own Lease in
 *     kube-node-lease;
 *   - anything else: the rules of ClusterRole system:node (spec/09 §9.3), minus those above.
 * Where upstream walks a graph kept from informers, this reads the pods of the object's
 * namespace bound to the node from the object cache's pods-by-node index at decision time
 * (an answer as current as the cache).
 *
 * THREADS: the authorizer may run on any thread without the biglock: its static rules are
 * built once (pthread_once) and never change, and the pod lookup is a lock-free object-cache
 * read (watchcache.h). Only when the server has no object cache (or one without the pods
 * index) does it fall back to rest_list, which is as thread-safe as the registry's list. */
#ifndef ANZEN_AUTHZ_NODE_H
#define ANZEN_AUTHZ_NODE_H

#include "authz/authz.h"

/* The authorizer (static rules compiled from the bootstrap policy on first use). */
const struct authorizer *node_authorizer(void);

#endif
