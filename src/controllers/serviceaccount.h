/* serviceaccount.h — the ServiceAccount controller ("default" SA in every namespace,
 * re-created when deleted) and the root-CA publisher (kube-root-ca.crt ConfigMap with the
 * cluster CA in every namespace) (spec/05). */
#ifndef ANZEN_CONTROLLERS_SERVICEACCOUNT_H
#define ANZEN_CONTROLLERS_SERVICEACCOUNT_H

#include "registry/apiserver.h"

/* Subscribes both controllers to the watch cache (once, on every replica; they act only while
 * controllers_leading()). */
void serviceaccount_controllers_watch(struct apiserver *srv);
/* Queues a reconcile of every namespace (at start and when this replica takes the Lease). */
void serviceaccount_controllers_resync(struct apiserver *srv);
/* Both (tests). */
void serviceaccount_controllers_start(struct apiserver *srv);

#endif
