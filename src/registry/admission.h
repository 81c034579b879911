/* admission.h — the admission stage: mutating then validating plugins, run for create,
 * update and delete of stored resources (after authorization, before storage).
 * The chain is srv->admission: plugins handed to the registry by cmd/serve.c's table. */
#ifndef ANZEN_ADMISSION_ADMISSION_H
#define ANZEN_ADMISSION_ADMISSION_H

#include <jansson.h>
#include "registry/apiserver.h"

enum admission_op { ADMIT_CREATE, ADMIT_UPDATE, ADMIT_DELETE, ADMIT_CONNECT };

struct admission_plugin {
    const char *name;
    /* Whether the plugin may act on op for objects of row r (mutate or validate them, read
     * other objects for them): false only when both of its functions return 0 at once,
     * touching nothing, for every such call. NULL: it may act on every row. */
    bool (*acts_on)(const struct resource_def *r, enum admission_op op);
    /* May modify obj. Return 0, or a negative code with *ret_status (a Status) set. */
    int (*mutate)(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                  json_t **ret_status);
    int (*validate)(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                    json_t **ret_status);
};

/* The two stages on their own: create runs mutate before the server fills in generated
 * names, uid and timestamps, and validate after (as upstream's handler and registry do). */
int admission_mutate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                     json_t **ret_status);
int admission_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                       json_t **ret_status);
/* Whether a create (no subresource) of row r needs no biglock: a stored row (not virtual,
 * not the events.k8s.io view, whose conversion the front end does) on which no plugin of the
 * chain acts_on ADMIT_CREATE. The rest of the create path is per call: the row's hooks are
 * pure functions of the object (resource.h), NamespaceLifecycle reads the object cache,
 * the store serialises its writes (docs/internals/threads.md). */
bool admission_create_unlocked(const struct apiserver *srv, const struct resource_def *r);

/* Runs every plugin's mutate, then every validate. */
int admission_run(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                  json_t **ret_status);

#endif
