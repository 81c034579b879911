/* serviceaccount.h — the ServiceAccount controller ("default" SA in every namespace,
 * re-created when deleted) and the root-CA publisher (kube-root-ca.crt ConfigMap with the
 * cluster CA in every namespace) (spec/05). */
#ifndef ANZEN_CONTROLLERS_SERVICEACCOUNT_H
#define ANZEN_CONTROLLERS_SERVICEACCOUNT_H

#include "registry/apiserver.h"

/* Subscribes both controllers to the watch cache and reconciles existing namespaces
 * (called once by identity_init). */
void serviceaccount_controllers_start(struct apiserver *srv);

#endif
