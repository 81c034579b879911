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

/* Subscribes every controller to the watch cache. Work runs deferred on the event loop.
 * elect: the namespace, garbage-collector, Job and node-taint controllers run only on the replica that
 * holds the controller Lease (leader.h): they start when it is first acquired, and act only
 * while controllers_leading(). Without election (one process on SQLite) they start now. */
void controllers_start(struct apiserver *srv);
void controllers_start_elected(struct apiserver *srv);
/* False while leader election is on and this replica does not hold the Lease. */
bool controllers_leading(void);

/* Individual controllers (controllers/<name>.c). */
void namespace_controller_start(struct apiserver *srv);
void gc_controller_start(struct apiserver *srv);
void compactor_start(struct apiserver *srv);
void job_controller_start(struct apiserver *srv);
void nodetaint_controller_start(struct apiserver *srv);

#endif
