/* eviction.h — the pods/eviction subresource (policy/v1 Eviction), as kube-apiserver 1.32
 * serves it when no PodDisruptionBudget exists (anzen serves none): an Eviction is a graceful
 * delete of the pod with the Eviction's deleteOptions, answered 201 with a Success Status.
 * kubectl drain uses it (it asks /api/v1 whether pods/eviction is served). */
#ifndef ANZEN_API_EVICTION_H
#define ANZEN_API_EVICTION_H

#include "registry/apiserver.h"

/* The pods/eviction create handler (virtual_create_fn; cmd/serve.c hands it to the apiserver). */
int eviction_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status);

#endif
