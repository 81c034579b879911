/* eviction.h — the pods/eviction subresource (policy/v1 Eviction), as kube-apiserver 1.32
 * serves it when no PodDisruptionBudget exists (anzen serves none): an Eviction is a graceful
 * delete of the pod with the Eviction's deleteOptions, answered 201 with a Success Status.
 * kubectl drain uses it (it asks /api/v1 whether pods/eviction is served). */
#ifndef ANZEN_API_EVICTION_H
#define ANZEN_API_EVICTION_H

/* Installs the pods/eviction create handler in the resource table. */
void eviction_register(void);

#endif
