/* binding.h — the pods/binding subresource (core/v1 Binding), as kube-apiserver 1.32's
 * BindingREST: the scheduler assigns a pod to a node by creating a Binding named as the pod
 * with target {kind: Node, name}. The pod gets spec.nodeName and condition PodScheduled True;
 * a pod already assigned, or being deleted, is a 409 Conflict on pods/binding. Answered 201
 * with a Success Status. */
#ifndef ANZEN_REGISTRY_BINDING_H
#define ANZEN_REGISTRY_BINDING_H

#include "registry/apiserver.h"

/* The pods/binding create handler (virtual_create_fn; cmd/serve.c hands it to the apiserver). */
int binding_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);

#endif
