/* controllers.h — controllers that run inside `anzen serve`, on the event loop. Each writes
 * through client_call() (client/client.h) as its own kube-controller-manager identity, so
 * authorization, admission, defaulting and validation apply as to any client; they learn
 * about changes from the watch cache and read from the registry as upstream's controllers
 * read from their informer caches. */
#ifndef ANZEN_CONTROLLERS_CONTROLLERS_H
#define ANZEN_CONTROLLERS_CONTROLLERS_H

#include <stdbool.h>
#include "registry/apiserver.h"

/* Creates what must exist from the start (the four system namespaces). Called before
 * serving. Returns 0 or a negative code. */
int controllers_bootstrap(struct apiserver *srv);

/* The controllers are listed in cmd/serve.c's table. Each start function runs once on every
 * replica and subscribes its controller to the watch cache (work runs deferred on the event
 * loop). The leader-only ones (kube-controller-manager's: namespace, garbage collector, Job,
 * node lifecycle, ServiceAccount, root-CA publisher, token Secrets, ClusterRole aggregation)
 * act only while controllers_leading(): with leader election (leader.h) while this replica
 * holds the controller Lease, without it always. Their resync functions are a full pass over
 * their inputs (an informer resync), run each time this replica takes the Lease and once at
 * start without election, so work missed meanwhile is done. */
/* False while leader election is on and this replica does not hold the Lease. */
bool controllers_leading(void);

/* Individual controllers (controllers/<name>.c). */
void namespace_controller_start(struct apiserver *srv);
void namespace_controller_resync(struct apiserver *srv);
void gc_controller_start(struct apiserver *srv);
void gc_controller_resync(struct apiserver *srv);
void compactor_start(struct apiserver *srv);
void job_controller_start(struct apiserver *srv);
void job_controller_resync(struct apiserver *srv);
void nodetaint_controller_start(struct apiserver *srv);
void nodetaint_controller_resync(struct apiserver *srv);
void clusterrole_aggregation_start(struct apiserver *srv);
void clusterrole_aggregation_resync(struct apiserver *srv);

#endif
