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

/* The controllers are listed in cmd/serve.c's table; each start function subscribes its
 * controller to the watch cache (work runs deferred on the event loop). The elected ones
 * (namespace, garbage collector, Job, node taint) run only on the replica that holds the
 * controller Lease (leader.h): they start when it is first acquired, and act only while
 * controllers_leading(). Without election (one process on SQLite) they start at once. */
/* False while leader election is on and this replica does not hold the Lease. */
bool controllers_leading(void);

/* Individual controllers (controllers/<name>.c). */
void namespace_controller_start(struct apiserver *srv);
void gc_controller_start(struct apiserver *srv);
void compactor_start(struct apiserver *srv);
void job_controller_start(struct apiserver *srv);
void nodetaint_controller_start(struct apiserver *srv);
void clusterrole_aggregation_start(struct apiserver *srv);

#endif
