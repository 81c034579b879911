/* binding.h — the pods/binding subresource (core/v1 Binding), as kube-apiserver 1.32's
 * BindingREST: the scheduler assigns a pod to a node by creating a Binding named as the pod
 * with target {kind: Node, name}. The pod gets spec.nodeName and condition PodScheduled True;
 * a pod already assigned, or being deleted, is a 409 Conflict on pods/binding. Answered 201
 * with a Success Status. */
#ifndef ANZEN_REGISTRY_BINDING_H
#define ANZEN_REGISTRY_BINDING_H

/* Installs the pods/binding create handler in the resource table. */
void binding_register(void);

#endif
