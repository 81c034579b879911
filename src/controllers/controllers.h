/* controllers.h — controllers that run inside `anzen serve`, on the event loop. They act
 * through the REST layer (so defaulting, validation and admission apply) as the internal
 * user, and learn about changes from the watch cache. */
#ifndef ANZEN_CONTROLLERS_CONTROLLERS_H
#define ANZEN_CONTROLLERS_CONTROLLERS_H

#include <stdbool.h>
#include "registry/apiserver.h"

/* The identity controllers act as (group system:masters). */
const struct user_info *controllers_user(void);

/* Creates what must exist from the start (the four system namespaces). Called before
 * serving. Returns 0 or a negative code. */
int controllers_bootstrap(struct apiserver *srv);

/* Starts every controller (controllers.c's table): each subscribes to the watch cache, on
 * every replica; work runs deferred on the event loop. The leader-only ones (namespace,
 * garbage collector, Job, node lifecycle, ServiceAccount, root-CA publisher, token Secrets,
 * ClusterRole aggregation: kube-controller-manager's) act only while controllers_leading();
 * with leader election (leader.h) that is while this replica holds the controller Lease,
 * without it always. */
void controllers_start(struct apiserver *srv);
/* Full pass of every leader-only controller over its inputs (informer resync): on the loop,
 * when this replica takes the Lease, and once at start without election. */
void controllers_resync(struct apiserver *srv);
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

#endif
