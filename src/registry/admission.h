/* admission.h — the admission stage: mutating then validating plugins, run for create,
 * update and delete of stored resources (after authorization, before storage).
 * Plugins are a table of function pointers (see admission.c). */
#ifndef ANZEN_ADMISSION_ADMISSION_H
#define ANZEN_ADMISSION_ADMISSION_H

#include <jansson.h>
#include "registry/apiserver.h"

enum admission_op { ADMIT_CREATE, ADMIT_UPDATE, ADMIT_DELETE, ADMIT_CONNECT };

struct admission_plugin {
    const char *name;
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
/* Runs every plugin's mutate, then every validate. */
int admission_run(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                  json_t **ret_status);
/* Adds a plugin at the end of the chain (called at startup). */
void admission_register(const struct admission_plugin *p);

#endif
