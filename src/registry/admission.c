/* admission.c — the plugin chain srv->admission (see admission.h). */
#include <string.h>
#include "registry/admission.h"
#include "machinery/status.h"
#include "util/buf.h"
#include "util/json.h"

int admission_mutate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                     json_t **ret_status)
{
    for (size_t i = 0; i < c->srv->nadmission; i++)
        if (c->srv->admission[i]->mutate) {
            int r = c->srv->admission[i]->mutate(c, op, obj, old, ret_status);
            if (r < 0)
                return r;
        }
    return 0;
}

bool admission_create_unlocked(const struct apiserver *srv, const struct resource_def *r)
{
    if (r == NULL || (r->flags & (RES_VIRTUAL | RES_EVENTS_VIEW)))
        return false;
    for (size_t i = 0; i < srv->nadmission; i++) {
        const struct admission_plugin *p = srv->admission[i];
        if (p->acts_on == NULL || p->acts_on(r, ADMIT_CREATE))
            return false;
    }
    return true;
}

int admission_run(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                  json_t **ret_status)
{
    int r = admission_mutate(c, op, obj, old, ret_status);
    return r < 0 ? r : admission_validate(c, op, obj, old, ret_status);
}

int admission_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                       json_t **ret_status)
{
    for (size_t i = 0; i < c->srv->nadmission; i++)
        if (c->srv->admission[i]->validate) {
            int r = c->srv->admission[i]->validate(c, op, obj, old, ret_status);
            if (r < 0)
                return r;
        }
    return 0;
}
